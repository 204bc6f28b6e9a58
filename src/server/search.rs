//! `GET /api/search`: full-text search with facets (see `crate::index`).

use super::AppState;
use super::error::ApiError;
use crate::index::document::date_number;
use crate::index::schema::FACETS;
use crate::index::{IndexError, SearchRequest, Sort};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

impl From<IndexError> for ApiError {
    fn from(error: IndexError) -> Self {
        let status = if error.is_client_error() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        Self::new(status, error.to_string())
    }
}

/// Reads the query string; repeated facet parameters accumulate (OR within a facet).
pub fn parse_request(pairs: &[(String, String)]) -> Result<SearchRequest, ApiError> {
    let mut request = SearchRequest::default();
    let date = |name: &str, value: &str| {
        date_number(value).ok_or_else(|| {
            ApiError::bad_request(format!("{name}={value:?}: expected a date YYYY-MM-DD"))
        })
    };
    let number = |name: &str, value: &str| {
        value.parse::<usize>().map_err(|_| {
            ApiError::bad_request(format!("{name}={value:?}: expected a non-negative integer"))
        })
    };
    for (key, value) in pairs {
        match key.as_str() {
            "q" => request.q = value.clone(),
            "from" => request.from = Some(date("from", value)?),
            "to" => request.to = Some(date("to", value)?),
            "limit" => request.limit = Some(number("limit", value)?),
            "offset" => request.offset = number("offset", value)?,
            "understand" => {
                request.understand = match value.as_str() {
                    "" | "true" | "1" => true,
                    "false" | "0" => false,
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "understand={other:?}: use true or false"
                        )));
                    }
                }
            }
            "sort" => {
                request.sort = match value.as_str() {
                    "" | "relevance" => Sort::Relevance,
                    "date" => Sort::Date,
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "sort={other:?}: use relevance or date"
                        )));
                    }
                }
            }
            facet if FACETS.contains(&facet) => request
                .filters
                .entry(facet.to_owned())
                .or_default()
                .push(value.clone()),
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter {other:?}; use q, {}, from, to, limit, offset, sort, understand",
                    FACETS.join(", ")
                )));
            }
        }
    }
    Ok(request)
}

pub async fn search(
    State(state): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let Some(index) = state.search().cloned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the search index is not enabled on this server",
        ));
    };
    let request = parse_request(&pairs)?;
    let response = tokio::task::spawn_blocking(move || index.search(&request))
        .await
        .map_err(|e| ApiError::internal(format!("search task failed: {e}")))??;
    Ok(Json(response).into_response())
}
