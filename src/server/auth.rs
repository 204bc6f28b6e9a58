//! The bearer-token check in front of every admin route, as one layer (`server::admin_routes`
//! applies it to the whole group, so an admin handler cannot forget it). The token lives in
//! configuration only. Refusals are counted in `/metrics` and logged with the client and route,
//! never with what was presented.

use super::AppState;
use super::client::Client;
use super::error::ApiError;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Middleware: passes the request on only with `Authorization: Bearer <configured token>`.
pub async fn require_admin(
    State(state): State<AppState>,
    client: Client,
    request: Request,
    next: Next,
) -> Response {
    match check(state.config.admin.token.as_deref(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(Refused::Disabled) => ApiError::new(
            StatusCode::NOT_FOUND,
            "admin routes are disabled (no admin token configured)",
        )
        .into_response(),
        Err(refused) => {
            let reason = refused.reason();
            state.metrics.admin_failure(reason);
            tracing::warn!(
                %client,
                method = %request.method(),
                path = request.uri().path(),
                reason,
                "admin request refused"
            );
            refused.into_error().into_response()
        }
    }
}

enum Refused {
    Disabled,
    Missing,
    Invalid,
}

impl Refused {
    fn reason(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Disabled | Self::Invalid => "invalid",
        }
    }

    fn into_error(self) -> ApiError {
        match self {
            Self::Disabled => ApiError::new(StatusCode::NOT_FOUND, "admin routes are disabled"),
            Self::Missing => ApiError::new(StatusCode::UNAUTHORIZED, "admin bearer token required"),
            Self::Invalid => ApiError::new(StatusCode::FORBIDDEN, "invalid admin token"),
        }
    }
}

fn check(expected: Option<&str>, headers: &HeaderMap) -> Result<(), Refused> {
    let expected = expected.ok_or(Refused::Disabled)?;
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(Refused::Missing)?;
    if same_secret(presented, expected) {
        Ok(())
    } else {
        Err(Refused::Invalid)
    }
}

/// Compares digests in constant time: neither the content nor the length of the presented
/// token changes how long the comparison takes.
fn same_secret(presented: &str, expected: &str) -> bool {
    let (a, b) = (
        Sha256::digest(presented.as_bytes()),
        Sha256::digest(expected.as_bytes()),
    );
    a.as_slice().ct_eq(b.as_slice()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_content_and_length() {
        assert!(same_secret("abcdef", "abcdef"));
        assert!(!same_secret("abcdef", "abcdeg"));
        assert!(!same_secret("abc", "abcdef"));
        assert!(!same_secret("", "abcdef"));
    }

    #[test]
    fn missing_wrong_and_right_tokens() {
        let mut headers = HeaderMap::new();
        assert!(matches!(check(None, &headers), Err(Refused::Disabled)));
        assert!(matches!(check(Some("t"), &headers), Err(Refused::Missing)));
        headers.insert(header::AUTHORIZATION, "Basic dXNlcjpwYXNz".parse().unwrap());
        assert!(matches!(check(Some("t"), &headers), Err(Refused::Missing)));
        headers.insert(header::AUTHORIZATION, "Bearer nope".parse().unwrap());
        assert!(matches!(check(Some("t"), &headers), Err(Refused::Invalid)));
        headers.insert(header::AUTHORIZATION, "Bearer t".parse().unwrap());
        assert!(check(Some("t"), &headers).is_ok());
    }
}
