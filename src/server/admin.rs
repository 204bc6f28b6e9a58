//! Operations behind the admin token: `POST /api/admin/backup` (an online backup into
//! `backup.dir`) and `POST /api/admin/retention` (the retention job now), and the schedule that
//! runs retention inside `serve`.

use super::AppState;
use super::error::ApiError;
use crate::backup::BackupError;
use crate::retention::{Policy, RetentionError};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

impl From<BackupError> for ApiError {
    fn from(error: BackupError) -> Self {
        let status = match &error {
            BackupError::Exists(_) => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::new(status, error.to_string())
    }
}

impl From<RetentionError> for ApiError {
    fn from(error: RetentionError) -> Self {
        Self::internal(error.to_string())
    }
}

#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupRequest {
    /// Appended to the backup's directory name (letters, digits, `-`, `_`).
    label: Option<String>,
}

/// Writes a backup to `<backup.dir>/<UTC time>[-label]` and answers with its manifest and path.
pub async fn backup(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let request: BackupRequest = if body.iter().all(u8::is_ascii_whitespace) {
        BackupRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("expected {{\"label\": \"…\"}}: {e}")))?
    };
    if let Some(label) = &request.label
        && (label.is_empty()
            || label.len() > 64
            || !label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    {
        return Err(ApiError::bad_request(
            "label: 1-64 letters, digits, '-' or '_'",
        ));
    }
    let crawler = state.crawler().cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the ops database is not available (see the server log)",
        )
    })?;
    let name = match &request.label {
        Some(label) => format!("{}-{label}", chrono::Utc::now().format("%Y%m%dT%H%M%SZ")),
        None => chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string(),
    };
    let target = state.config.backup_dir().join(name);
    let (graph, data) = (state.graph().clone(), state.config.data_dir.clone());
    let into = target.clone();
    let manifest = tokio::task::spawn_blocking(move || {
        backup_with(&graph, crawler.state().db(), &data, &into)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    tracing::info!(path = %target.display(), revision = manifest.revision, "backup written");
    Ok((
        StatusCode::CREATED,
        Json(json!({ "path": target, "manifest": manifest })),
    )
        .into_response())
}

#[cfg(feature = "rocksdb")]
fn backup_with(
    graph: &crate::graph::Graph,
    ops: &crate::opsdb::OpsDb,
    data: &std::path::Path,
    target: &std::path::Path,
) -> Result<crate::backup::Manifest, ApiError> {
    Ok(crate::backup::create(graph, ops, data, target)?)
}

#[cfg(not(feature = "rocksdb"))]
fn backup_with(
    _: &crate::graph::Graph,
    _: &crate::opsdb::OpsDb,
    _: &std::path::Path,
    _: &std::path::Path,
) -> Result<crate::backup::Manifest, ApiError> {
    Err(ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "backups need the on-disk store",
    ))
}

#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionRequest {
    /// Count what would be deleted, delete nothing.
    dry_run: bool,
}

/// Runs the retention job now and answers with its report.
pub async fn retention(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let request: RetentionRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RetentionRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("expected {{\"dry_run\": bool}}: {e}")))?
    };
    let mut policy = Policy::from_config(&state.config.retention);
    policy.dry_run = request.dry_run;
    let report = run_retention(&state, policy).await?;
    state.settle().await;
    Ok(Json(report).into_response())
}

async fn run_retention(
    state: &AppState,
    policy: Policy,
) -> Result<crate::retention::Report, ApiError> {
    let crawler = state.crawler().cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the ops database is not available (see the server log)",
        )
    })?;
    let graph = state.graph().clone();
    let snapshots = state.config.data_dir.join("snapshots");
    tokio::task::spawn_blocking(move || {
        crate::retention::run(&graph, crawler.state(), &snapshots, &policy)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(ApiError::from)
}

/// Runs retention on `retention.schedule` until the returned task is aborted; None when
/// retention is off or the schedule is invalid (logged).
pub fn start_retention(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    let config = &state.config.retention;
    if !config.enabled {
        tracing::info!("retention off (retention.enabled = false)");
        return None;
    }
    let schedule = match crate::source::Schedule::parse(&config.schedule) {
        Ok(schedule) => schedule,
        Err(error) => {
            tracing::error!(%error, "retention not scheduled (retention.schedule)");
            return None;
        }
    };
    let state = state.clone();
    Some(tokio::spawn(async move {
        loop {
            let now = chrono::Utc::now();
            let Some(next) = schedule.next_after(now) else {
                return;
            };
            let wait = (next - now).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
            let policy = Policy::from_config(&state.config.retention);
            match run_retention(&state, policy).await {
                Ok(report) => tracing::info!(?report, "retention"),
                Err(error) => tracing::error!(message = %error.message, "retention failed"),
            }
        }
    }))
}
