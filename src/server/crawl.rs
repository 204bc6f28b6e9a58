//! `POST /api/crawl`: crawl one source or every enabled one now (an admin route), answering with
//! one report per source once everything downstream reflects the crawl. The crawl runs on the
//! main runtime, not on the connection's HTTP thread: it does SQLite, SPARQL and RocksDB work
//! between its awaits, which would stall every other connection of that thread.

use super::AppState;
use super::error::ApiError;
use crate::crawl::{CrawlError, Crawler};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
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

enum Crawl {
    One(String),
    All,
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
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let request: CrawlRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "expected {{\"source\": ID}} or {{\"all\": true}}: {e}"
        ))
    })?;
    let crawler = crawler(&state)?;
    let work = match (request.source, request.all) {
        (Some(id), false) => Crawl::One(id),
        (None, true) => Crawl::All,
        _ => {
            return Err(ApiError::bad_request(
                "give exactly one of {\"source\": ID} or {\"all\": true}",
            ));
        }
    };
    let reports = state
        .in_background(async move {
            match work {
                Crawl::One(id) => crawler.crawl_source(&id).await.map(|r| vec![r]),
                Crawl::All => crawler.crawl_all(|_| {}).await,
            }
        })
        .await
        .map_err(|e| ApiError::internal(format!("crawl task failed: {e}")))??;
    state.settle().await;
    Ok(Json(json!({ "reports": reports })).into_response())
}
