//! Alerts: everything a subscriber receives.
//!
//! ```text
//!  graph ── change feed ──► outbox (a Consumer; cursor = last event sequence, in SQLite)
//!                              │ one delivery row per matching subscription, cursor advanced
//!                              │ in the same SQLite transaction; standing queries re-evaluated,
//!                              │ deadlines and source health checked
//!                              ▼
//!                    alert_delivery (ops database) ──► dispatch (in `serve`)
//!                                                       ├─► webhook (Standard Webhooks v1)
//!                                                       └─► email (per event or digest)
//!                    atom subscriptions read their rows at /feeds/s/{token}.atom
//! ```
//!
//! * [`subscription`]: what a subscriber asked for (filters or a standing query, a channel),
//!   validated against the graph's codes, stored with its secret in the ops database only.
//! * [`outbox`]: the change feed's consumer and the delivery rows and their log.
//! * [`dispatch`]: the task sending due deliveries, with retries and per-endpoint bounds.
//! * [`webhook`]: payloads, signatures and one HTTP attempt through the SSRF guard.
//! * [`email`], [`feed`]: the other channels. [`standing`], [`deadline`], [`health`]: the event
//!   types beyond `change.detected`. [`events`]: the one adapter over the graph's change events.
//!
//! Entry point: [`Alerts::open`]. Secrets never reach the graph.

pub mod deadline;
pub mod dispatch;
pub mod email;
pub mod events;
pub mod feed;
pub mod health;
pub mod metrics;
pub mod outbox;
pub mod standing;
pub mod subscription;
pub mod webhook;

use crate::config::Config;
use crate::graph::GraphError;
use crate::opsdb::{OpsDb, OpsError};
use crate::sparql::saved::{SavedQueries, SavedQueryError};
use std::sync::Arc;

pub use outbox::Outbox;
pub use subscription::{Subscription, SubscriptionRequest};

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error(transparent)]
    Ops(#[from] OpsError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Changes(#[from] crate::changes::ChangesError),
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
    /// A request that cannot be accepted as given (400).
    #[error("{0}")]
    Invalid(String),
    /// No such subscription or delivery (404).
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Saved(#[from] SavedQueryError),
    #[error("standing query {name}: {message}")]
    Standing { name: String, message: String },
    #[error("e-mail: {0}")]
    Email(String),
}

impl AlertError {
    /// Whether the caller's input is at fault (a 4xx at the edge).
    pub fn is_client_error(&self) -> bool {
        match self {
            Self::Invalid(_) | Self::NotFound(_) => true,
            Self::Saved(e) => !matches!(
                e,
                SavedQueryError::Read { .. } | SavedQueryError::Header { .. }
            ),
            _ => false,
        }
    }
}

impl From<rusqlite::Error> for AlertError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Ops(OpsError::Sqlite(error))
    }
}

const SCHEMA: &str = include_str!("schema.sql");

/// The alert side of one data directory: the ops database's alert tables, the configuration,
/// the saved queries standing queries name, and a wake-up for the dispatcher. Cheap to clone.
#[derive(Clone)]
pub struct Alerts(Arc<Inner>);

pub struct Inner {
    pub db: OpsDb,
    pub config: Arc<Config>,
    pub saved: Arc<SavedQueries>,
    /// Woken when deliveries were queued or an attempt finished.
    pub wake: Arc<tokio::sync::Notify>,
    pub metrics: Arc<metrics::AlertMetrics>,
}

impl std::ops::Deref for Alerts {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Alerts {
    /// Opens the alert tables in `<data>/ops.sqlite` (creating them) and reads the saved
    /// queries under `queries_dir`.
    pub fn open(config: &Config) -> Result<Self, AlertError> {
        let db = OpsDb::open_in(&config.data_dir)?;
        let saved = SavedQueries::load(&config.queries_dir)?;
        Self::with(db, config.clone(), saved)
    }

    /// Over an already open ops database (tests, benches).
    pub fn with(db: OpsDb, config: Config, saved: SavedQueries) -> Result<Self, AlertError> {
        db.ensure(SCHEMA)?;
        Ok(Self(Arc::new(Inner {
            db,
            config: Arc::new(config),
            saved: Arc::new(saved),
            wake: Arc::new(tokio::sync::Notify::new()),
            metrics: Arc::new(metrics::AlertMetrics::default()),
        })))
    }

    /// The base URL links in payloads, feeds and e-mail start with.
    pub fn public_url(&self) -> String {
        match &self.config.alerts.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.config.bind),
        }
    }

    /// The change feed's consumer for this outbox.
    pub fn outbox(&self) -> Result<Outbox, AlertError> {
        Outbox::new(self.clone())
    }

    /// The webhook address allow-list (`alerts.allow_private`).
    pub fn allow_list(&self) -> Result<crate::fetch::guard::AllowList, AlertError> {
        crate::fetch::guard::AllowList::parse(&self.config.alerts.allow_private)
            .map_err(|e| AlertError::Invalid(e.to_string().replace("crawl.", "alerts.")))
    }
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// `n` bytes from the system's secure random generator.
pub fn random_bytes(n: usize) -> Vec<u8> {
    use ring::rand::SecureRandom;
    let mut bytes = vec![0u8; n];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random generator failed");
    bytes
}

/// A random token: `prefix` and `n` random bytes in lower-case hex.
pub fn random_token(prefix: &str, n: usize) -> String {
    let mut out = String::from(prefix);
    for b in random_bytes(n) {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Lower-case hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Unix milliseconds as RFC 3339.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
