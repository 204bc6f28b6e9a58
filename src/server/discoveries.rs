//! The discovery review queue over HTTP: `GET /api/discoveries` (public: review data is not
//! secret), `GET /api/discoveries/{id}`, and as admin routes (`server::admin_routes` checks the
//! token) `POST /api/discoveries/{id}/track` (becomes a tracked source with an instrument stub) and
//! `POST /api/discoveries/{id}/dismiss`.

use super::AppState;
use super::error::{ApiError, blocking};
use crate::crawl::discovery::{self, DiscoveryError, Filter, Status, TrackOptions};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Most entries one page returns.
const MAX_LIMIT: usize = 1_000;

impl From<DiscoveryError> for ApiError {
    fn from(error: DiscoveryError) -> Self {
        match error {
            DiscoveryError::Source(e) => e.into(),
            DiscoveryError::Unknown(_) => Self::new(StatusCode::NOT_FOUND, error.to_string()),
            DiscoveryError::Settled { .. } => Self::new(StatusCode::CONFLICT, error.to_string()),
            DiscoveryError::Invalid { .. } => Self::bad_request(error.to_string()),
            DiscoveryError::Graph(_) => Self::internal(error.to_string()),
        }
    }
}

/// `?status=pending|tracked|dismissed|all` (default pending), `source=`, `jurisdiction=`,
/// `limit=` (default 100), `offset=`.
pub async fn list(
    State(state): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let mut filter = Filter {
        status: Some(Status::Pending),
        ..Filter::default()
    };
    let (mut limit, mut offset) = (100usize, 0usize);
    for (key, value) in pairs {
        let number = |v: &str| {
            v.parse::<usize>()
                .map_err(|_| ApiError::bad_request(format!("{key}={v:?}: expected a number")))
        };
        match key.as_str() {
            "status" => {
                filter.status = match value.as_str() {
                    "all" => None,
                    "pending" => Some(Status::Pending),
                    "tracked" => Some(Status::Tracked),
                    "dismissed" => Some(Status::Dismissed),
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "status={other:?}: expected pending, tracked, dismissed or all"
                        )));
                    }
                }
            }
            "source" => filter.source = Some(value),
            "jurisdiction" => filter.jurisdiction = Some(value),
            "limit" => limit = number(&value)?.min(MAX_LIMIT),
            "offset" => offset = number(&value)?,
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter {other:?} (status, source, jurisdiction, limit, offset)"
                )));
            }
        }
    }
    let graph = state.graph().clone();
    let all = blocking(move || discovery::list(&graph, &filter)).await?;
    let total = all.len();
    let page: Vec<_> = all.into_iter().skip(offset).take(limit).collect();
    Ok(Json(json!({ "total": total, "discoveries": page })).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let graph = state.graph().clone();
    let found = blocking(move || discovery::get(&graph, &id)).await?;
    Ok(Json(found).into_response())
}

/// Body (optional): `{"id": SLUG, "instrument": IRI, "schedule": CRON, "language": TAG}`.
pub async fn track(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let options: TrackOptions = if body.iter().all(u8::is_ascii_whitespace) {
        TrackOptions::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("invalid track options JSON: {e}")))?
    };
    let graph = state.graph().clone();
    let (tracked, source) = blocking(move || discovery::track(&graph, &id, options)).await?;
    state.settle().await;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "discovery": tracked, "source": source })),
    )
        .into_response())
}

pub async fn dismiss(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let graph = state.graph().clone();
    let dismissed = blocking(move || discovery::dismiss(&graph, &id)).await?;
    state.settle().await;
    Ok(Json(json!({ "discovery": dismissed })).into_response())
}
