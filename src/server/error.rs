//! Module errors turned into HTTP answers: a status and a plain-text or JSON message.

use crate::sparql::SparqlError;
use crate::sparql::format::NotAcceptable;
use crate::sparql::saved::SavedQueryError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// The message is a JSON document (a row-level import report), sent as such.
    pub json: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            json: false,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

/// Runs a store read or write off the async threads (they touch RocksDB), its error turned
/// into a status.
pub(super) async fn blocking<T: Send + 'static, E: Into<ApiError> + Send + 'static>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("task failed: {e}")))?
        .map_err(Into::into)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, message = %self.message, "request failed");
        }
        let mut response = (self.status, format!("{}\n", self.message)).into_response();
        if self.json {
            response.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            );
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"crosswalk-admin\""),
            );
        }
        response
    }
}

impl From<SparqlError> for ApiError {
    fn from(error: SparqlError) -> Self {
        let status = match &error {
            SparqlError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            e if e.is_client_error() => StatusCode::BAD_REQUEST,
            SparqlError::Timeout(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::new(status, error.to_string())
    }
}

impl From<NotAcceptable> for ApiError {
    fn from(error: NotAcceptable) -> Self {
        Self::new(StatusCode::NOT_ACCEPTABLE, error.to_string())
    }
}

impl From<SavedQueryError> for ApiError {
    fn from(error: SavedQueryError) -> Self {
        let status = match error {
            SavedQueryError::Unknown(_) => StatusCode::NOT_FOUND,
            SavedQueryError::Read { .. } | SavedQueryError::Header { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::BAD_REQUEST,
        };
        Self::new(status, error.to_string())
    }
}

impl From<crate::graph::GraphError> for ApiError {
    fn from(error: crate::graph::GraphError) -> Self {
        Self::internal(error.to_string())
    }
}
