//! JSON API: saved queries and health.

use super::client::Client;
use super::error::ApiError;
use super::results::{Lookup, ResultKey};
use super::{AppState, stream};
use crate::sparql::DatasetRequest;
use crate::sparql::format;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub async fn list_queries(State(state): State<AppState>) -> Response {
    let queries: Vec<_> = state
        .saved
        .list()
        .map(|q| {
            json!({
                "name": q.name,
                "title": q.title,
                "description": q.description,
                "parameters": q.parameters,
                "url": format!("/api/queries/{}", q.name),
            })
        })
        .collect();
    Json(json!({ "queries": queries })).into_response()
}

/// Runs a saved query with typed parameters; same content negotiation as `/sparql`.
pub async fn run_query(
    State(state): State<AppState>,
    client: Client,
    Path(name): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let saved = state.saved.get(&name)?;
    let format_param = pairs
        .iter()
        .find(|(k, _)| matches!(k.as_str(), "format" | "output"))
        .map(|(_, v)| v.clone());
    let codes = state.codes().await?;
    let bindings = saved.checked_bindings(
        pairs
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "format" | "output"))
            .map(|(k, v)| (k.as_str(), v.as_str())),
        &codes,
    )?;
    let mut prepared = state
        .engine
        .prepare(&saved.text, &DatasetRequest::default())?;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = format::negotiate(prepared.form(), accept, format_param.as_deref())?;
    let key = ResultKey::new(
        &name,
        bindings.iter().map(|(v, t)| (v.as_str(), t.to_string())),
        format.media_type(),
    );
    let limit = state.engine.limits().timeout;
    let turn = match state
        .saved_results
        .lookup(&key, state.graph().revision(), limit)
        .await
    {
        Lookup::Kept(body) => return Ok(stream::whole(&state, format, body)),
        Lookup::Evaluate(turn) => turn,
    };
    for (variable, term) in bindings {
        prepared = prepared.bind(variable, term);
    }
    let response = stream::saved_response(&state, client, prepared, format, key).await;
    // A whole result is kept before its response is made: the misses waiting on this turn
    // find it.
    drop(turn);
    Ok(response)
}

/// Liveness, the graph revision and the revision each derived store reflects (equal when
/// everything downstream has caught up).
pub async fn healthz(State(state): State<AppState>) -> Response {
    let consumers: serde_json::Map<String, serde_json::Value> = state
        .feed()
        .status()
        .into_iter()
        .map(|(name, revision)| (name.to_owned(), json!(revision)))
        .collect();
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "graph_revision": state.graph().revision(),
        "consumers": consumers,
    }))
    .into_response()
}
