//! `POST /api/crawl`: crawl one source or every enabled one now (admin bearer token), answering
//! with one report per source once everything downstream reflects the crawl.

use super::AppState;
use super::auth::require_admin;
use super::error::ApiError;
use crate::crawl::{CrawlError, Crawler};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

impl From<CrawlError> for ApiError {
    fn from(error: CrawlError) -> Self {
        match error {
            CrawlError::Source(e) => e.into(),
            other => Self::internal(other.to_string()),
        }
    }
}

fn crawler(state: &AppState) -> Result<Arc<Crawler>, ApiError> {
    state.crawler().cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the crawler is not available (see the server log: ops database or crawl configuration)",
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrawlRequest {
    source: Option<String>,
    #[serde(default)]
    all: bool,
}

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
    state.settle().await;
    Ok(Json(json!({ "reports": reports })).into_response())
}
