//! Subscriptions and deliveries over HTTP (admin routes: `server::admin_routes` checks the
//! token), the private Atom feeds and the one-click unsubscribe (public: their URLs carry
//! random tokens). The work is `crate::alerts`'; this file only reads requests and shapes
//! answers.

use super::AppState;
use super::error::{ApiError, blocking};
use crate::alerts::subscription::{self, Channel};
use crate::alerts::{AlertError, Alerts, email, feed, outbox, webhook};
use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

impl From<AlertError> for ApiError {
    fn from(error: AlertError) -> Self {
        let status = match &error {
            AlertError::NotFound(_) => StatusCode::NOT_FOUND,
            e if e.is_client_error() => StatusCode::BAD_REQUEST,
            AlertError::Email(_) => StatusCode::BAD_GATEWAY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::new(status, error.to_string())
    }
}

fn alerts(state: &AppState) -> Result<Alerts, ApiError> {
    state.downstream.alerts().cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "alerts are disabled (alerts.enabled = false)",
        )
    })
}

/// `POST /api/subscriptions`: validates everything before storing anything; answers 201 with
/// the id and the secret (shown this once).
pub async fn create(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let alerts = alerts(&state)?;
    let request = subscription::parse(&body)?;
    request.check()?;
    if request.channel == Some(Channel::Webhook)
        && let Some(url) = &request.url
    {
        webhook::check_url(url, &alerts.allow_list()?).await?;
    }
    let codes = state.codes().await?;
    let graph = state.graph().clone();
    let (sub, created) =
        blocking(move || subscription::finish(&alerts, &graph, &codes, request)).await?;
    let mut answer = serde_json::to_value(&created).unwrap_or_default();
    if let Some(map) = answer.as_object_mut() {
        map.insert(
            "subscription".into(),
            serde_json::to_value(&sub).unwrap_or_default(),
        );
    }
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let alerts = alerts(&state)?;
    let subs = blocking(move || subscription::list(&alerts)).await?;
    Ok(Json(json!({ "subscriptions": subs })).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let alerts = alerts(&state)?;
    let sub = blocking(move || subscription::get(&alerts, &id)).await?;
    Ok(Json(sub).into_response())
}

/// `PATCH /api/subscriptions/{id}`: the fields given replace the stored ones, validated as a
/// whole again; nothing is stored unless all of it is valid.
pub async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let alerts = alerts(&state)?;
    let request = subscription::parse(&body)?;
    let stored = {
        let (alerts, id) = (alerts.clone(), id.clone());
        blocking(move || subscription::get(&alerts, &id)).await?
    };
    let enabled = request.enabled;
    let url_changed = request.url.is_some();
    let request = request.over(&stored.spec);
    request.check()?;
    if url_changed
        && request.channel == Some(Channel::Webhook)
        && let Some(url) = &request.url
    {
        webhook::check_url(url, &alerts.allow_list()?).await?;
    }
    let codes = state.codes().await?;
    let graph = state.graph().clone();
    let sub = blocking(move || {
        subscription::finish_update(&alerts, &graph, &codes, &id, request, enabled)
    })
    .await?;
    Ok(Json(sub).into_response())
}

pub async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let alerts = alerts(&state)?;
    blocking(move || subscription::remove(&alerts, &id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/subscriptions/{id}/rotate-secret`: the new secret, shown once; the previous one
/// keeps signing for `alerts.rotation_overlap_secs`.
pub async fn rotate_secret(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let alerts = alerts(&state)?;
    let overlap = alerts.config.alerts.rotation_overlap_secs;
    let secret = blocking(move || subscription::rotate_secret(&alerts, &id)).await?;
    Ok(Json(json!({ "secret": secret, "previous_valid_for_secs": overlap })).into_response())
}

/// `POST /api/subscriptions/{id}/test`: queues a `test` message now.
pub async fn test(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let alerts = alerts(&state)?;
    let delivery = blocking(move || outbox::queue_test(&alerts, &id, Duration::ZERO)).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "delivery": delivery }))).into_response())
}

/// `POST /api/subscriptions/{id}/digest`: sends an e-mail subscription's digest now.
pub async fn digest(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let alerts = alerts(&state)?;
    let sent = email::send_digest(&alerts, &id).await?;
    Ok(Json(json!({ "alerts": sent })).into_response())
}

#[derive(Deserialize)]
pub struct Limit {
    limit: Option<usize>,
}

/// `GET /api/subscriptions/{id}/deliveries`: the newest deliveries with every attempt.
pub async fn deliveries(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(limit): Query<Limit>,
) -> Result<Response, ApiError> {
    let alerts = alerts(&state)?;
    let limit = limit.limit.unwrap_or(50).clamp(1, 500);
    let rows = blocking(move || outbox::deliveries(&alerts, &id, limit)).await?;
    Ok(Json(json!({ "deliveries": rows })).into_response())
}

/// `POST /api/deliveries/{id}/retry`: sends a delivery again now (same `webhook-id`).
pub async fn retry(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let alerts = alerts(&state)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_request(format!("delivery id {id:?} is not a number")))?;
    blocking(move || outbox::retry(&alerts, id)).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "delivery": id }))).into_response())
}

/// `GET /feeds/s/{token}.atom`: a subscription's private feed, with `ETag` and
/// `Last-Modified` for conditional readers.
pub async fn private_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, "no such feed");
    let token = file.strip_suffix(".atom").ok_or_else(not_found)?.to_owned();
    if token.len() != 48 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let alerts = alerts(&state)?;
    let rendered = blocking(move || {
        let Some(sub) = subscription::by_feed_token(&alerts, &token)? else {
            return Ok(None);
        };
        feed::render(&alerts, &sub).map(Some)
    })
    .await?;
    let (body, updated) = rendered.ok_or_else(not_found)?;
    let etag = format!("\"{}\"", &crate::alerts::sha256_hex(&body)[..32]);
    let last_modified = updated
        .with_timezone(&chrono::Utc)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let cache = [
        (header::ETAG, etag),
        (header::LAST_MODIFIED, last_modified),
        (header::CACHE_CONTROL, "private, no-cache".to_owned()),
    ];
    if fresh {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((
        cache,
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        body,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "alerts/unsubscribe.html")]
struct UnsubscribePage {
    done: bool,
}

fn page(done: bool) -> Response {
    let html = UnsubscribePage { done }.render().unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// `GET /api/unsubscribe/{token}`: a page with a button (a GET never unsubscribes: link
/// scanners follow links).
pub async fn unsubscribe_page() -> Response {
    page(false)
}

/// `POST /api/unsubscribe/{token}`: one-click unsubscribe (RFC 8058).
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let alerts = alerts(&state)?;
    let done = blocking(move || subscription::unsubscribe(&alerts, &token)).await?;
    if !done {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "no such subscription"));
    }
    Ok(page(true))
}
