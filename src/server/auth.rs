//! Bearer-token check for admin routes. The token lives in configuration only.

use super::AppState;
use super::error::ApiError;
use axum::http::{HeaderMap, StatusCode, header};

/// Succeeds only with `Authorization: Bearer <configured token>`.
pub fn require_admin(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = state.config.admin.token.as_deref() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "admin routes are disabled (no admin token configured)",
        ));
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match presented {
        Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(()),
        Some(_) => Err(ApiError::new(StatusCode::FORBIDDEN, "invalid admin token")),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "admin bearer token required",
        )),
    }
}

/// Compares without an early exit, so timing does not reveal how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i % b.len().max(1)).copied().unwrap_or(0));
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(super::constant_time_eq(b"abcdef", b"abcdef"));
        assert!(!super::constant_time_eq(b"abcdef", b"abcdeg"));
        assert!(!super::constant_time_eq(b"abc", b"abcdef"));
        assert!(!super::constant_time_eq(b"", b"abcdef"));
    }
}
