//! The tracked-source registry over HTTP: `GET/POST /api/sources`, `DELETE /api/sources/{id}`,
//! `POST /api/sources/{id}/pause|resume`. Everything but the listing needs the admin bearer
//! token. The listing shows registry settings and the last crawl outcome; nothing in it is
//! secret.

use super::AppState;
use super::auth::require_admin;
use super::error::ApiError;
use crate::source::{self, NewSource, SourceError};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

impl From<SourceError> for ApiError {
    fn from(error: SourceError) -> Self {
        let status = match &error {
            SourceError::Unknown(_) => StatusCode::NOT_FOUND,
            SourceError::Seeded(_)
            | SourceError::Duplicate(_)
            | SourceError::DuplicateUrl { .. } => StatusCode::CONFLICT,
            SourceError::Invalid { .. } | SourceError::Schedule(_) => StatusCode::BAD_REQUEST,
            SourceError::Graph(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::new(status, error.to_string())
    }
}

/// Runs registry reads and writes off the async threads (they touch RocksDB).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SourceError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("task failed: {e}")))?
        .map_err(ApiError::from)
}

pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let graph = state.graph().clone();
    let crawl_state = state.crawler().map(|c| c.state().clone());
    // The registry query and the per-source SQLite reads both block: one blocking task.
    let items = blocking(move || {
        let sources = source::list(&graph)?;
        Ok::<_, SourceError>(
            sources
                .into_iter()
                .map(|s| {
                    let last = crawl_state.as_ref().and_then(|c| c.get(&s.id).ok());
                    let mut value = serde_json::to_value(&s).unwrap_or_default();
                    if let (Some(last), Some(map)) = (last, value.as_object_mut()) {
                        map.insert("last_outcome".into(), json!(last.last_outcome));
                        map.insert("last_reason".into(), json!(last.last_reason));
                        map.insert("last_fetch_at".into(), json!(rfc3339(last.last_fetch_at)));
                        map.insert(
                            "next_attempt_at".into(),
                            json!(rfc3339(last.next_attempt_at)),
                        );
                        map.insert("retry_count".into(), json!(last.retry_count));
                    }
                    value
                })
                .collect::<Vec<_>>(),
        )
    })
    .await?;
    Ok(Json(json!({ "sources": items })).into_response())
}

/// Unix seconds as an RFC 3339 timestamp.
fn rfc3339(seconds: Option<i64>) -> Option<String> {
    seconds
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|t| t.to_rfc3339())
}

pub async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    require_admin(&state, &headers)?;
    let new: NewSource = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid source JSON: {e}")))?;
    let graph = state.graph().clone();
    let added = blocking(move || source::add(&graph, new)).await?;
    state.settle().await;
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

pub async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    require_admin(&state, &headers)?;
    let graph = state.graph().clone();
    let removed = id.clone();
    blocking(move || source::remove(&graph, &removed)).await?;
    if let Some(crawler) = state.crawler()
        && let Err(error) = crawler.state().forget(&id)
    {
        tracing::warn!(source = %id, %error, "crawl state of a removed source kept");
    }
    state.settle().await;
    Ok(Json(json!({ "removed": id })).into_response())
}

pub async fn pause(
    state: State<AppState>,
    headers: HeaderMap,
    id: Path<String>,
) -> Result<Response, ApiError> {
    set_enabled(state, headers, id, false).await
}

pub async fn resume(
    state: State<AppState>,
    headers: HeaderMap,
    id: Path<String>,
) -> Result<Response, ApiError> {
    set_enabled(state, headers, id, true).await
}

async fn set_enabled(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    enabled: bool,
) -> Result<Response, ApiError> {
    require_admin(&state, &headers)?;
    let graph = state.graph().clone();
    let target = id.clone();
    blocking(move || source::set_enabled(&graph, &target, enabled)).await?;
    state.settle().await;
    Ok(Json(json!({ "source": id, "enabled": enabled })).into_response())
}
