//! The change history over HTTP (public, like the change events in the graph):
//! `GET /api/changes` (filtered, newest first, cursor pagination), `GET /api/changes/{id}`
//! (one event with its structured, word and unified diffs), `GET /api/sources/{id}/history`
//! (every fetch and version of a source) and the Atom feed `GET /feeds/changes.atom` (same
//! filters, ETag/Last-Modified with 304). The graph reads run on blocking threads.

use super::AppState;
use super::error::{ApiError, blocking};
use crate::changes::{self, ChangesError, Filter, atom};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Page size when `limit` is absent.
const DEFAULT_LIMIT: usize = 50;
/// Most entries one feed document holds.
const FEED_MAX: usize = 200;

impl From<ChangesError> for ApiError {
    fn from(error: ChangesError) -> Self {
        match &error {
            ChangesError::Unknown(_) => Self::new(StatusCode::NOT_FOUND, error.to_string()),
            e if e.is_client_error() => Self::bad_request(error.to_string()),
            _ => Self::internal(error.to_string()),
        }
    }
}

/// `limit` and `cursor` of the query pairs.
fn paging(pairs: &[(String, String)], max: usize) -> Result<(usize, Option<String>), ApiError> {
    let mut limit = DEFAULT_LIMIT.min(max);
    let mut cursor = None;
    for (key, value) in pairs {
        match key.as_str() {
            "limit" => {
                limit = value
                    .parse::<usize>()
                    .ok()
                    .filter(|&n| (1..=max).contains(&n))
                    .ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "limit={value:?}: expected a number from 1 to {max}"
                        ))
                    })?;
            }
            "cursor" => {
                changes::decode_cursor(value)?;
                cursor = Some(value.clone());
            }
            _ => {}
        }
    }
    Ok((limit, cursor))
}

async fn filter(state: &AppState, pairs: &[(String, String)]) -> Result<Filter, ApiError> {
    let codes = state.codes().await?;
    Ok(Filter::from_query(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &codes,
    )?)
}

/// `GET /api/changes?jurisdiction=&instrument=&source=&theme=&role=&kind=&material=&since=&until=&limit=&cursor=`
pub async fn list(
    State(state): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let filter = filter(&state, &pairs).await?;
    let (limit, cursor) = paging(&pairs, changes::MAX_LIMIT)?;
    let graph = state.graph().clone();
    let page = blocking(move || changes::list(&graph, &filter, cursor.as_deref(), limit)).await?;
    Ok(Json(page).into_response())
}

/// `GET /api/changes/{id}`
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let graph = state.graph().clone();
    let wanted = id.clone();
    let found = blocking(move || changes::get(&graph, &wanted)).await?;
    match found {
        Some(detail) => Ok(Json(detail).into_response()),
        None => Err(ChangesError::Unknown(id.chars().take(100).collect()).into()),
    }
}

/// `GET /api/sources/{id}/history`
pub async fn history(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let graph = state.graph().clone();
    let wanted = id.clone();
    let found = blocking(move || changes::source_history(&graph, &wanted)).await?;
    match found {
        Some(history) => Ok(Json(history).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no source {:?}", id.chars().take(100).collect::<String>()),
        )),
    }
}

/// `GET /feeds/changes.atom` with the filters of `/api/changes` (and `limit`, at most 200).
pub async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let filter = filter(&state, &pairs).await?;
    let (limit, _) = paging(&pairs, FEED_MAX)?;
    let base = base_url(&headers);
    let self_url = format!(
        "{base}{}",
        uri.path_and_query()
            .map_or("/feeds/changes.atom", |p| p.as_str())
    );
    let meta = atom::FeedMeta::public(&base, &self_url);
    let graph = state.graph().clone();
    let rendered = blocking(move || {
        let entries = atom::entries(&graph, &filter, limit)?;
        Ok::<_, ChangesError>(atom::render(&entries, &meta))
    })
    .await?;
    Ok(conditional(
        &headers,
        rendered,
        "application/atom+xml; charset=utf-8",
    ))
}

/// The feed, or 304 when the reader's validators still hold (If-None-Match first, RFC 9110
/// §13.2.2; If-Modified-Since only without it).
pub fn conditional(
    headers: &HeaderMap,
    rendered: atom::Rendered,
    content_type: &'static str,
) -> Response {
    let last_modified = rendered.last_modified.map(http_date);
    let fresh = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(tags) => tags
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == rendered.etag),
        None => match (
            headers
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok()),
            rendered.last_modified,
        ) {
            (Some(since), Some(modified)) => modified.timestamp() <= since.timestamp(),
            _ => false,
        },
    };
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
            rendered.xml,
        )
            .into_response()
    };
    let h = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&rendered.etag) {
        h.insert(header::ETAG, etag);
    }
    if let Some(lm) = last_modified.and_then(|lm| HeaderValue::from_str(&lm).ok()) {
        h.insert(header::LAST_MODIFIED, lm);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    response
}

fn http_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// `http://<Host>` of the request, for absolute links in the feed.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty() && h.len() < 256 && !h.contains(['/', ' ', '<', '>', '"', '{', '}', '\\'])
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}
