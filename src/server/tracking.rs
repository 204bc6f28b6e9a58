//! Tracked sources and crawling over HTTP: `GET/POST /api/sources`, `DELETE /api/sources/{id}`,
//! `POST /api/sources/{id}/pause|resume`, `POST /api/crawl`. Everything but the listing needs the
//! admin bearer token. The listing shows registry settings and the last crawl outcome; nothing in
//! it is secret.

use super::AppState;
use super::auth::require_admin;
use super::error::ApiError;
use crate::crawl::{CrawlError, Crawler};
use crate::source::{self, NewSource, SourceError};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

impl From<SourceError> for ApiError {
    fn from(error: SourceError) -> Self {
        let status = match &error {
            SourceError::Unknown(_) => StatusCode::NOT_FOUND,
            SourceError::Seeded(_)
            | SourceError::Duplicate(_)
            | SourceError::DuplicateUrl { .. } => StatusCode::CONFLICT,
            SourceError::Invalid { .. } => StatusCode::BAD_REQUEST,
            SourceError::Graph(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::new(status, error.to_string())
    }
}

impl From<CrawlError> for ApiError {
    fn from(error: CrawlError) -> Self {
        match error {
            CrawlError::Source(e) => e.into(),
            other => Self::internal(other.to_string()),
        }
    }
}

fn crawler(state: &AppState) -> Result<Arc<Crawler>, ApiError> {
    state.crawler.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the crawler is not available (see the server log: ops database or crawl configuration)",
        )
    })
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

pub async fn list_sources(State(state): State<AppState>) -> Result<Response, ApiError> {
    let graph = state.graph().clone();
    let ops = state.crawler.as_ref().map(|c| c.ops().clone());
    // The registry query and the per-source SQLite reads both block: one blocking task.
    let items = blocking(move || {
        let sources = source::list(&graph)?;
        Ok::<_, source::SourceError>(
            sources
                .into_iter()
                .map(|s| {
                    let last = ops.as_ref().and_then(|o| o.state(&s.id).ok());
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

pub async fn add_source(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    require_admin(&state, &headers)?;
    let new: NewSource = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid source JSON: {e}")))?;
    let graph = state.graph().clone();
    let added = blocking(move || source::add(&graph, new)).await?;
    registry_changed(&state).await;
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

pub async fn remove_source(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    require_admin(&state, &headers)?;
    let graph = state.graph().clone();
    let removed = id.clone();
    blocking(move || source::remove(&graph, &removed)).await?;
    if let Some(crawler) = &state.crawler {
        let _ = crawler.ops().forget_source(&id);
    }
    registry_changed(&state).await;
    Ok(Json(json!({ "removed": id })).into_response())
}

pub async fn pause_source(
    state: State<AppState>,
    headers: HeaderMap,
    id: Path<String>,
) -> Result<Response, ApiError> {
    set_enabled(state, headers, id, false).await
}

pub async fn resume_source(
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
    registry_changed(&state).await;
    Ok(Json(json!({ "source": id, "enabled": enabled })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrawlRequest {
    source: Option<String>,
    #[serde(default)]
    all: bool,
}

/// Crawls one source or all enabled ones and answers with one report per source.
pub async fn crawl(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    require_admin(&state, &headers)?;
    let request: CrawlRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "expected {{\"source\": ID}} or {{\"all\": true}}: {e}"
        ))
    })?;
    let crawler = crawler(&state)?;
    let reports = match (request.source, request.all) {
        (Some(id), false) => vec![crawler.crawl_source(&id).await?],
        (None, true) => crawler.crawl_all(|_| {}).await?,
        _ => {
            return Err(ApiError::bad_request(
                "give exactly one of {\"source\": ID} or {\"all\": true}",
            ));
        }
    };
    if let Some(revision) = reports.iter().filter_map(|r| r.revision).max() {
        state.after_graph_change(revision).await;
    }
    Ok(Json(json!({ "reports": reports })).into_response())
}

async fn registry_changed(state: &AppState) {
    state.after_graph_change(state.graph().revision()).await;
    if let Some(scheduler) = state.scheduler.get()
        && let Err(error) = scheduler.sync().await
    {
        tracing::error!(%error, "rescheduling after a registry change");
    }
}
