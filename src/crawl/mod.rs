//! Crawl orchestration: fetch → extract → snapshot → diff → graph, for one source or all.
//!
//! Entry points: [`Crawler::crawl_source`] and [`Crawler::crawl_all`], each returning a
//! [`CrawlReport`] per source. Every attempt is recorded as a `cw:Fetch` activity. Only a
//! successful fetch whose extraction differs from the stored one replaces the source graph and
//! records change events, all in one graph transaction; failures, 304s and unchanged content
//! leave it untouched. Transient failures are rescheduled with exponential backoff and jitter
//! (never less than the server's Retry-After) in the ops database.

mod changes;
mod channels;
pub mod discovery;
mod outcomes;
mod presence;
mod record;
mod seen;
pub mod state;

use crate::diff;
use crate::extract::{self, Document, ExtractOptions};
use crate::fetch::{self, FetchError, FetchSettings, Fetcher, Response, Validators};
use crate::graph::names::{self, ID};
use crate::graph::{Graph, GraphError};
use crate::opsdb::{OpsDb, OpsError};
use crate::snapshot::{self, SnapshotError, SnapshotStore};
use crate::source::{self, Format, Source, SourceError};
use futures_util::StreamExt;
use oxigraph::model::NamedNode;
use record::FetchRecord;
pub use record::{event_id, insert_numbered, number_unnumbered};
use serde::Serialize;
use state::{CrawlState, SourceState};
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

/// Backoff: 60 s × 2^(attempt−1), ±20 % jitter, capped at six hours.
const BACKOFF_BASE_SECS: u64 = 60;
const BACKOFF_CAP_SECS: u64 = 6 * 3600;
/// Sources crawled at once by `crawl_all` (per-host politeness still applies).
const PARALLEL_SOURCES: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Ops(#[from] OpsError),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// First successful fetch: the baseline is established.
    Fetched,
    /// 304, identical bytes, or an identical extraction.
    Unchanged,
    /// Provision-level changes were recorded.
    Changed,
    /// Nothing usable; see the reason. Transient failures are rescheduled.
    Failed,
    /// Not attempted: the source is backing off until its next attempt time.
    Deferred,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fetched => "fetched",
            Self::Unchanged => "unchanged",
            Self::Changed => "changed",
            Self::Failed => "failed",
            Self::Deferred => "deferred",
        }
    }
}

/// What happened to one source.
#[derive(Debug, Clone, Serialize)]
pub struct CrawlReport {
    pub source: String,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub http_status: Option<u16>,
    pub final_url: Option<String>,
    pub provisions: usize,
    pub obligations: usize,
    /// Change events recorded (material or editorial); the baseline counts as one.
    pub changes: usize,
    pub material_changes: usize,
    /// Documents found that nobody tracks yet (each also a `document-discovered` change).
    pub discoveries: usize,
    /// Next attempt time (RFC 3339) when a transient failure was rescheduled.
    pub next_attempt_at: Option<String>,
    pub retry_count: u32,
    /// Graph revision after this crawl's last write.
    #[serde(skip)]
    pub revision: Option<u64>,
}

impl CrawlReport {
    fn new(source: &str, outcome: Outcome) -> Self {
        Self {
            source: source.to_owned(),
            outcome,
            reason: None,
            http_status: None,
            final_url: None,
            provisions: 0,
            obligations: 0,
            changes: 0,
            material_changes: 0,
            discoveries: 0,
            next_attempt_at: None,
            retry_count: 0,
            revision: None,
        }
    }
}

pub struct Crawler {
    graph: Graph,
    state: CrawlState,
    fetcher: Fetcher,
    snapshots: SnapshotStore,
    max_attempts: u32,
    /// The child process PDFs are parsed in (default: this executable's `extract-pdf`).
    pdf: extract::PdfSandbox,
    /// Sources being crawled now: a second request for one of them is refused, not queued.
    in_flight: Mutex<HashSet<String>>,
    /// What official channels and listings showed before (`seen`).
    channels: seen::ChannelState,
    /// Consecutive 404/410 answers that make a source removed (`presence`).
    removed_after: u32,
    /// How often a fetch goes without validators.
    unconditional_every: Duration,
}

impl Crawler {
    pub fn new(graph: Graph, config: &crate::config::Config) -> Result<Self, CrawlError> {
        let db = OpsDb::open_in(&config.data_dir)?;
        let settings = FetchSettings::from_config(&config.crawl)?;
        Ok(Self {
            graph,
            fetcher: Fetcher::new(settings, fetch::robots::RobotsCache::new(db.clone())?),
            state: CrawlState::new(db.clone())?,
            channels: seen::ChannelState::new(db)?,
            snapshots: SnapshotStore::in_data_dir(&config.data_dir),
            max_attempts: config.crawl.max_attempts.max(1),
            pdf: extract::PdfSandbox::default(),
            in_flight: Mutex::new(HashSet::new()),
            removed_after: config.crawl.removed_after.max(1),
            unconditional_every: Duration::from_secs(
                config.crawl.unconditional_every_hours.saturating_mul(3600),
            ),
        })
    }

    /// Uses another program for the PDF sandbox (tests and benchmarks run outside the
    /// `crosswalk` binary, so they name it).
    pub fn with_pdf_sandbox(mut self, sandbox: extract::PdfSandbox) -> Self {
        self.pdf = sandbox;
        self
    }

    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// What the crawler remembers about each source (validators, last outcome, retries).
    pub fn state(&self) -> &CrawlState {
        &self.state
    }

    /// Crawls every enabled source; `on_done` sees each report as it completes.
    pub async fn crawl_all(
        &self,
        mut on_done: impl FnMut(&CrawlReport),
    ) -> Result<Vec<CrawlReport>, CrawlError> {
        let sources: Vec<Source> = source::list(&self.graph)?
            .into_iter()
            .filter(|s| s.enabled)
            .collect();
        let mut reports = Vec::with_capacity(sources.len());
        let mut stream = futures_util::stream::iter(sources)
            .map(|s| async move { self.crawl(&s).await })
            .buffer_unordered(PARALLEL_SOURCES);
        while let Some(report) = stream.next().await {
            on_done(&report);
            reports.push(report);
        }
        reports.sort_by(|a, b| a.source.cmp(&b.source));
        Ok(reports)
    }

    /// Crawls one source by id (paused sources too: an explicit request overrides the pause).
    pub async fn crawl_source(&self, id: &str) -> Result<CrawlReport, CrawlError> {
        let source = source::get(&self.graph, id)?;
        Ok(self.crawl(&source).await)
    }

    async fn crawl(&self, source: &Source) -> CrawlReport {
        // Cleared when dropped: on return, on a panic, and when the crawl's future is dropped
        // (a request cancelled), so a source is never left marked as running.
        let Some(_running) = InFlight::enter(&self.in_flight, &source.id) else {
            let mut report = CrawlReport::new(&source.id, Outcome::Deferred);
            report.reason = Some("a crawl of this source is already running".into());
            return report;
        };
        let result = self.crawl_inner(source).await;
        result.unwrap_or_else(|error| {
            tracing::error!(source = %source.id, %error, "crawl failed internally");
            let mut report = CrawlReport::new(&source.id, Outcome::Failed);
            report.reason = Some(format!("internal error: {error}"));
            report
        })
    }

    async fn crawl_inner(&self, source: &Source) -> Result<CrawlReport, CrawlError> {
        let now = chrono::Utc::now();
        let mut state = self.state.get(&source.id)?;
        if let Some(next) = state.next_attempt_at.filter(|&t| t > now.timestamp()) {
            let mut report = CrawlReport::new(&source.id, Outcome::Deferred);
            report.reason = Some(format!(
                "backing off after {}; next attempt at {}",
                state
                    .last_reason
                    .as_deref()
                    .unwrap_or("a transient failure"),
                rfc3339(next)
            ));
            report.next_attempt_at = Some(rfc3339(next));
            report.retry_count = state.retry_count;
            return Ok(report);
        }
        let started = now;
        let url = match url::Url::parse(&source.url) {
            Ok(url) => url,
            Err(e) => {
                let error = FetchError::BadUrl(e.to_string());
                return self
                    .failed(
                        source,
                        &mut state,
                        started,
                        None,
                        error.to_string(),
                        false,
                        None,
                    )
                    .await;
            }
        };
        // Official channels read their catalogue first and say which text to fetch.
        let target = match self.plan(source, &mut state, started, url).await? {
            channels::Plan::Text(target) => target,
            channels::Plan::Done(report) => return Ok(report),
        };
        // Validators only help when the content they vouch for is still stored; and now and
        // then none are sent, so a server wrongly answering 304 cannot hide a change.
        let unconditional = self.unconditional_due(&source.id, started)?;
        let validators = if state.raw_sha.is_some() && !target.moved && !unconditional {
            Validators {
                etag: state.etag.clone(),
                last_modified: state.last_modified.clone(),
            }
        } else {
            Validators::default()
        };
        let response = self
            .fetcher
            .fetch_negotiated(&target.url, &validators, &target.negotiation)
            .await;
        let sent_validators = validators.etag.is_some() || validators.last_modified.is_some();
        let mut report = match response {
            Err(FetchError::Http {
                status: status @ (404 | 410),
                ..
            }) => {
                let reason = format!("HTTP {status}: the document is gone");
                self.gone(source, &mut state, started, status, reason)
                    .await?
            }
            Err(error) => {
                self.failed_fetch(source, &mut state, started, error, None)
                    .await?
            }
            Ok(Response::NotModified(not_modified)) => {
                self.unchanged_304(source, &mut state, started, not_modified)
                    .await?
            }
            Ok(Response::Body(page)) => {
                self.process(source, &mut state, started, page, target.structure)
                    .await?
            }
        };
        if report.outcome != Outcome::Failed {
            self.followed(source, &target)?;
            if !sent_validators {
                self.fetched_unconditionally(&source.id, started)?;
            }
        }
        // What the channel step raised belongs to this crawl's report too.
        if target.events > 0 && report.outcome == Outcome::Unchanged {
            report.outcome = Outcome::Changed;
        }
        report.changes += target.events;
        report.material_changes += target.discoveries;
        report.discoveries += target.discoveries;
        Ok(report)
    }

    async fn unchanged_304(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        nm: fetch::NotModified,
    ) -> Result<CrawlReport, CrawlError> {
        // A 304 carries the validators a 200 would have had; keep the old ones if it omits them.
        state.etag = nm.validators.etag.or(state.etag.take());
        state.last_modified = nm.validators.last_modified.or(state.last_modified.take());
        let raw = state.raw_sha.clone();
        let text = state.text_sha.clone();
        let record = FetchRecord {
            iri: fetch_iri(&source.id, started),
            source,
            started,
            ended: chrono::Utc::now(),
            http_status: Some(304),
            etag: state.etag.as_deref(),
            last_modified: state.last_modified.as_deref(),
            final_url: Some(nm.final_url.as_str()),
            bytes: None,
            outcome: Outcome::Unchanged,
            reason: None,
            snapshot: raw.as_deref().map(|r| (r, text.as_deref())),
        };
        let mut quads = record::fetch_quads(&record);
        quads.extend(
            self.restored_quads(source, &record.iri, raw.as_deref())
                .await?,
        );
        let revision = self.write(quads).await?;
        self.settle(state, Outcome::Unchanged, None)?;
        let mut report = CrawlReport::new(&source.id, Outcome::Unchanged);
        report.http_status = Some(304);
        report.final_url = Some(nm.final_url.to_string());
        report.revision = Some(revision);
        Ok(report)
    }

    async fn process(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        page: fetch::Page,
        structure: extract::Structure,
    ) -> Result<CrawlReport, CrawlError> {
        let raw_sha = snapshot::sha256_hex(&page.body);
        let extract_key = snapshot::sha256_hex(
            format!(
                "{raw_sha}|{}|{:?}|{:?}|{:?}|{}",
                extract::EXTRACTOR_VERSION,
                source.include_selector,
                source.exclude_selector,
                source.language,
                structure.as_str()
            )
            .as_bytes(),
        );
        let status = Some(page.status);
        let is_pdf = page.body.starts_with(b"%PDF-")
            || page
                .content_type
                .as_deref()
                .is_some_and(|t| t.to_ascii_lowercase().starts_with("application/pdf"));
        if source.format == Format::Pdf && !is_pdf {
            let reason =
                "expected a PDF but the server sent another document (landing or login page?)"
                    .to_owned();
            return self
                .failed(source, state, started, status, reason, false, None)
                .await;
        }
        let same_input = state.extract_key.as_deref() == Some(extract_key.as_str());
        let document = if is_pdf {
            Document::Pdf(page.body.clone())
        } else {
            let (text, _) = fetch::charset::decode_html(&page.body, page.content_type.as_deref());
            Document::Html(text)
        };
        let options = ExtractOptions {
            include_selector: source.include_selector.clone(),
            exclude_selector: source.exclude_selector.clone(),
            language: source.language.clone(),
            pdf: self.pdf.clone(),
            structure,
        };
        let extracted = if same_input {
            None
        } else {
            let result =
                tokio::task::spawn_blocking(move || extract::extract(&document, &options)).await?;
            match result {
                Ok(extracted)
                    if extracted.provisions.is_empty() && extracted.text.trim().is_empty() =>
                {
                    let reason = extract::ExtractError::Empty.to_string();
                    return self
                        .failed(source, state, started, status, reason, false, None)
                        .await;
                }
                Ok(extracted) => Some(extracted),
                Err(error) => {
                    let reason = format!("extraction: {error}");
                    return self
                        .failed(source, state, started, status, reason, false, None)
                        .await;
                }
            }
        };
        state.etag = page.validators.etag.clone();
        state.last_modified = page.validators.last_modified.clone();
        let Some(extracted) = extracted else {
            // Byte-identical body under the same extraction rules: nothing can have changed.
            return self
                .record_unchanged(source, state, started, &page, raw_sha, 0, 0)
                .await;
        };
        let (raw, text) = (page.body.clone(), extracted.text.clone());
        let store = self.snapshots.clone();
        let (raw_sha, text_sha) = tokio::task::spawn_blocking(move || {
            Ok::<_, SnapshotError>((store.put(&raw)?, store.put(text.as_bytes())?))
        })
        .await??;
        let current = changes::current(&extracted);
        let previous = changes::previous(&self.graph, &source.id)?.with_current(&current);
        let changes = diff::diff(&previous.provisions, &current);
        let counts = (extracted.provisions.len(), extracted.obligations.len());
        if !previous.provisions.is_empty() && changes.is_empty() {
            state.text_sha = Some(text_sha.clone());
            state.extract_key = Some(extract_key);
            return self
                .record_unchanged(source, state, started, &page, raw_sha, counts.0, counts.1)
                .await;
        }
        let baseline = previous.provisions.is_empty();
        let outcome = if baseline {
            Outcome::Fetched
        } else {
            Outcome::Changed
        };
        let fetch_iri = fetch_iri(&source.id, started);
        let ended = chrono::Utc::now();
        let mut quads = record::fetch_quads(&FetchRecord {
            iri: fetch_iri.clone(),
            source,
            started,
            ended,
            http_status: status,
            etag: state.etag.as_deref(),
            last_modified: state.last_modified.as_deref(),
            final_url: Some(page.final_url.as_str()),
            bytes: Some(page.body.len()),
            outcome,
            reason: None,
            snapshot: Some((&raw_sha, Some(&text_sha))),
        });
        let snapshot_iri = record::snapshot_iri(&raw_sha);
        let graph = self.graph.clone();
        let is_curated = move |iri: &NamedNode| changes::is_curated(&graph, iri);
        let content = record::content_quads(source, &extracted, &snapshot_iri, &is_curated);
        let recorded = changes::record(
            &self.graph,
            &changes::Context {
                source,
                fetch: &fetch_iri,
                at: ended,
                event_base: format!("{ID}change/{}/{}", source.id, stamp(started)),
                from_snapshot: state.raw_sha.as_deref(),
                to_snapshot: &raw_sha,
            },
            (!baseline).then_some((changes.as_slice(), &previous)),
            counts,
        )?;
        quads.extend(recorded.quads);
        quads.extend(
            self.restored_quads(source, &fetch_iri, Some(&raw_sha))
                .await?,
        );
        let (events, material) = (recorded.events, recorded.material);
        let graph_name = names::source_graph(&source.id);
        let graph = self.graph.clone();
        let revision = tokio::task::spawn_blocking(move || {
            graph.write(|t| {
                t.clear_graph(graph_name.as_ref())?;
                for quad in &content {
                    t.insert(quad);
                }
                record::insert_numbered(t, &quads)?;
                Ok::<_, GraphError>(())
            })
        })
        .await??;
        state.raw_sha = Some(raw_sha);
        state.text_sha = Some(text_sha);
        state.extract_key = Some(extract_key);
        self.settle(state, outcome, None)?;
        let mut report = CrawlReport::new(&source.id, outcome);
        report.http_status = status;
        report.final_url = Some(page.final_url.to_string());
        report.provisions = counts.0;
        report.obligations = counts.1;
        report.changes = events;
        report.material_changes = material;
        report.revision = Some(revision);
        Ok(report)
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_unchanged(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        page: &fetch::Page,
        raw_sha: String,
        provisions: usize,
        obligations: usize,
    ) -> Result<CrawlReport, CrawlError> {
        let store = self.snapshots.clone();
        let body = page.body.clone();
        let raw_sha = tokio::task::spawn_blocking(move || store.put(&body))
            .await?
            .unwrap_or(raw_sha);
        let text = state.text_sha.clone();
        let fetch = fetch_iri(&source.id, started);
        let mut quads = record::fetch_quads(&FetchRecord {
            iri: fetch.clone(),
            source,
            started,
            ended: chrono::Utc::now(),
            http_status: Some(page.status),
            etag: state.etag.as_deref(),
            last_modified: state.last_modified.as_deref(),
            final_url: Some(page.final_url.as_str()),
            bytes: Some(page.body.len()),
            outcome: Outcome::Unchanged,
            reason: None,
            snapshot: Some((&raw_sha, text.as_deref())),
        });
        quads.extend(self.restored_quads(source, &fetch, Some(&raw_sha)).await?);
        let revision = self.write(quads).await?;
        state.raw_sha = Some(raw_sha);
        self.settle(state, Outcome::Unchanged, None)?;
        let mut report = CrawlReport::new(&source.id, Outcome::Unchanged);
        report.http_status = Some(page.status);
        report.final_url = Some(page.final_url.to_string());
        report.provisions = provisions;
        report.obligations = obligations;
        report.revision = Some(revision);
        Ok(report)
    }
}

/// A source marked as being crawled, until dropped.
struct InFlight<'a> {
    busy: &'a Mutex<HashSet<String>>,
    id: String,
}

impl<'a> InFlight<'a> {
    /// Marks `id`; `None` when it already is.
    fn enter(busy: &'a Mutex<HashSet<String>>, id: &str) -> Option<Self> {
        let inserted = busy
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_owned());
        inserted.then(|| Self {
            busy,
            id: id.to_owned(),
        })
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.busy
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

/// What a scheduled job runs: a crawl whose report goes to the log (the graph write it makes
/// reaches everything downstream through the change feed).
impl crate::schedule::Crawl for Crawler {
    fn crawl<'a>(&'a self, source: &'a str) -> crate::schedule::Run<'a> {
        Box::pin(async move {
            match self.crawl_source(source).await {
                Ok(report) => tracing::info!(
                    source,
                    outcome = report.outcome.as_str(),
                    changes = report.changes,
                    "scheduled crawl"
                ),
                Err(error) => tracing::error!(source, %error, "scheduled crawl"),
            }
        })
    }

    fn due_retries(&self, now: i64) -> Vec<String> {
        self.state.due_retries(now).unwrap_or_else(|error| {
            tracing::error!(%error, "retry sweep");
            Vec::new()
        })
    }
}

/// 60 s, 120 s, 240 s … ±20 %, at most six hours.
pub fn backoff(attempt: u32) -> Duration {
    let base = BACKOFF_BASE_SECS.saturating_mul(1u64 << attempt.saturating_sub(1).min(20));
    let capped = base.min(BACKOFF_CAP_SECS) as f64;
    Duration::from_secs_f64(capped * (0.8 + 0.4 * fastrand::f64()))
}

fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "{}-{:04x}",
        t.format("%Y%m%dT%H%M%S%.6fZ"),
        fastrand::u16(..)
    )
}

fn fetch_iri(source: &str, started: chrono::DateTime<chrono::Utc>) -> NamedNode {
    NamedNode::new_unchecked(format!("{ID}fetch/{source}/{}", stamp(started)))
}

fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mark used to be cleared only on the normal path, so a panic inside a crawl (the
    /// date detection's, before it was fixed) left the source "already running" until restart.
    #[test]
    fn the_in_flight_mark_is_cleared_on_every_path() {
        let busy = Mutex::new(HashSet::new());
        let first = InFlight::enter(&busy, "a").unwrap();
        assert!(InFlight::enter(&busy, "a").is_none());
        drop(first);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _running = InFlight::enter(&busy, "a").unwrap();
            panic!("inside a crawl");
        }));
        assert!(panicked.is_err());
        assert!(InFlight::enter(&busy, "a").is_some());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let first = backoff(1).as_secs_f64();
        assert!((48.0..=72.0).contains(&first), "{first}");
        let third = backoff(3).as_secs_f64();
        assert!((192.0..=288.0).contains(&third), "{third}");
        assert!(backoff(40).as_secs() <= BACKOFF_CAP_SECS * 6 / 5);
    }
}
