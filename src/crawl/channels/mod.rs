//! The official channels' own step of a crawl, before (or instead of) the text: each kind reads
//! its catalogue through the polite fetcher and decides what text to fetch.
//!
//! * `cellar`: the act's consolidated versions and amending acts from CELLAR's SPARQL endpoint;
//!   a new consolidated version is a `consolidated-version` event, a new amending act a
//!   discovered document; the text is the newest consolidated version's (or the act as
//!   published), content-negotiated as XHTML or Formex and read by its element identifiers.
//! * `federal-register` with a document number: the API's description of the document (its
//!   number, executive order number, signing date, citation) into the channel graph; the text
//!   is its full-text XML.
//! * `federal-register` with a query, and `listing`: new results and new matching links are
//!   discovered documents; there is no text.
//!
//! Every catalogue reading is a `cw:Fetch` with a snapshot of the answer, written in one
//! transaction with what it found; the first reading of a source is its baseline (items seen,
//! nothing raised), so registering a channel never floods the queue.

mod cellar;
mod federal_register;
mod listing;

use super::discovery::{self, Candidate, ChannelEvent, Found, Suggestion};
use super::record::{self, FetchRecord, Quads};
use super::state::SourceState;
use super::{CrawlError, CrawlReport, Crawler, Outcome, fetch_iri, stamp};
use crate::extract::{self, Structure};
use crate::fetch::{self, FetchError, Negotiation, Response, Validators};
use crate::graph::GraphError;
use crate::graph::names::{self, ID};
use crate::source::{Format, Kind, Source, link_regex};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{NamedNode, Quad};
use url::Url;

/// The text a crawl fetches after its channel step.
pub(super) struct Target {
    pub url: Url,
    /// An official channel's text (its URL is remembered once fetched, to notice a move).
    pub channel: bool,
    pub negotiation: Negotiation,
    pub structure: Structure,
    /// The text URL differs from last time's (a new consolidated version): the stored
    /// validators vouch for another document.
    pub moved: bool,
    /// What the channel step recorded, added to the crawl's report.
    pub events: usize,
    pub discoveries: usize,
}

pub(super) enum Plan {
    Text(Target),
    /// The channel step was the whole crawl (discovery-only sources, failures).
    Done(CrawlReport),
}

/// What one catalogue reading found, to be committed with its fetch record.
struct Reading {
    page: fetch::Page,
    /// Replaces the source's channel graph when given.
    facts: Option<Vec<Quad>>,
    events: Vec<ChannelEvent>,
    /// Items not seen before (after the baseline).
    candidates: Vec<Candidate>,
    /// Every item's key, remembered as seen.
    keys: Vec<String>,
    baseline: bool,
}

/// What a discovery-only source's reading listed.
struct Listed {
    /// The source's first reading at its address (its baseline).
    first: bool,
    candidates: Vec<Candidate>,
    keys: Vec<String>,
    /// What the items are, for the baseline event ("matching links").
    what: &'static str,
}

struct Committed {
    revision: u64,
    outcome: Outcome,
    events: usize,
    discoveries: usize,
    /// SHA-256 of the catalogue answer (its snapshot).
    raw_sha: String,
    /// The answer's HTTP status and address after redirects, for the crawl's report.
    http_status: u16,
    final_url: String,
}

impl Crawler {
    /// After the text of a channel's target was fetched: remember where it was.
    pub(super) fn followed(&self, source: &Source, target: &Target) -> Result<(), CrawlError> {
        if target.channel {
            self.channels.follow(&source.id, target.url.as_str())?;
        }
        Ok(())
    }

    pub(super) async fn plan(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        url: Url,
    ) -> Result<Plan, CrawlError> {
        let channel = &source.channel;
        match channel.kind {
            Kind::Page => Ok(Plan::Text(Target {
                url,
                channel: false,
                negotiation: Negotiation::default(),
                structure: Structure::Generic,
                moved: false,
                events: 0,
                discoveries: 0,
            })),
            Kind::Cellar => self.plan_cellar(source, state, started, url).await,
            Kind::FederalRegister if channel.document_number.is_some() => {
                self.plan_federal_register_document(source, state, started, url)
                    .await
            }
            Kind::FederalRegister => {
                self.discover_federal_register(source, state, started, url)
                    .await
            }
            Kind::Listing => self.discover_listing(source, state, started, url).await,
        }
    }

    /// Fetches a catalogue and parses its answer; a failure of either is recorded and
    /// returned as the crawl's plan.
    #[allow(clippy::too_many_arguments)]
    async fn read<T>(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        url: &Url,
        negotiation: &Negotiation,
        what: &str,
        parse: fn(&[u8]) -> Result<T, fetch::ChannelError>,
    ) -> Result<Result<(fetch::Page, T), Plan>, CrawlError> {
        let page = match self
            .catalogue(source, state, started, url, negotiation, what)
            .await?
        {
            Ok(page) => page,
            Err(report) => return Ok(Err(Plan::Done(report))),
        };
        match parse(&page.body) {
            Ok(parsed) => Ok(Ok((page, parsed))),
            Err(error) => {
                let reason = error.to_string();
                Ok(Err(self
                    .failed_plain(source, state, started, &reason)
                    .await?))
            }
        }
    }

    /// Fetches a catalogue (no validators: answers are small and must be read whole); a
    /// failure is recorded and returned as the crawl's report.
    async fn catalogue(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        url: &Url,
        negotiation: &Negotiation,
        what: &str,
    ) -> Result<Result<fetch::Page, CrawlReport>, CrawlError> {
        match self
            .fetcher
            .fetch_negotiated(url, &Validators::default(), negotiation)
            .await
        {
            Ok(Response::Body(page)) => Ok(Ok(page)),
            Ok(Response::NotModified(_)) => Ok(Err(self
                .failed_plain_report(
                    source,
                    state,
                    started,
                    &format!("{what}: 304 to an unconditional request"),
                )
                .await?)),
            Err(error) => Ok(Err(self
                .failed_fetch(source, state, started, error, Some(what))
                .await?)),
        }
    }

    /// Records a fetch failure, transient ones rescheduled.
    pub(super) async fn failed_fetch(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        error: FetchError,
        what: Option<&str>,
    ) -> Result<CrawlReport, CrawlError> {
        let transient = error.is_transient();
        let retry_after = error.retry_after();
        let status = match &error {
            FetchError::Http { status, .. } => Some(*status),
            _ => None,
        };
        let reason = match what {
            Some(what) => format!("{what}: {error}"),
            None => error.to_string(),
        };
        self.failed(
            source,
            state,
            started,
            status,
            reason,
            transient,
            retry_after,
        )
        .await
    }

    async fn failed_plain_report(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        reason: &str,
    ) -> Result<CrawlReport, CrawlError> {
        self.failed(source, state, started, None, reason.to_owned(), false, None)
            .await
    }

    async fn failed_plain(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        reason: &str,
    ) -> Result<Plan, CrawlError> {
        Ok(Plan::Done(
            self.failed_plain_report(source, state, started, reason)
                .await?,
        ))
    }

    /// Writes one catalogue reading: its fetch record and snapshot, the channel graph, its
    /// events and the documents new to the graph, in one transaction; then remembers the items.
    async fn commit(
        &self,
        source: &Source,
        started: chrono::DateTime<chrono::Utc>,
        reading: Reading,
    ) -> Result<Committed, CrawlError> {
        let store = self.snapshots.clone();
        let body = reading.page.body.clone();
        let raw_sha = tokio::task::spawn_blocking(move || store.put(&body))
            .await?
            .map_err(CrawlError::Snapshot)?;
        let snapshot = raw_sha.clone();
        let (http_status, final_url) = (reading.page.status, reading.page.final_url.to_string());
        let graph = self.graph.clone();
        let source_owned = source.clone();
        let ended = chrono::Utc::now();
        let keys = reading.keys.clone();
        let (revision, outcome, events, discoveries) = tokio::task::spawn_blocking(move || {
            let source = &source_owned;
            let fetch = fetch_iri(&source.id, started);
            let event_base = format!("{ID}change/{}/{}", source.id, stamp(started));
            let found = Found {
                source,
                fetch: &fetch,
                snapshot: &raw_sha,
                at: ended,
                event_base: &event_base,
            };
            let mut result = (Outcome::Unchanged, 0, 0);
            let revision = graph.write(|t| {
                let (discovered, n) = discovery::record_new(&graph, &found, &reading.candidates)?;
                let events = reading.events.len() + n;
                let outcome = if reading.baseline {
                    Outcome::Fetched
                } else if events > 0 {
                    Outcome::Changed
                } else {
                    Outcome::Unchanged
                };
                let fetch_quads = record::fetch_quads(&FetchRecord {
                    iri: fetch.clone(),
                    source,
                    started,
                    ended,
                    http_status: Some(reading.page.status),
                    etag: reading.page.validators.etag.as_deref(),
                    last_modified: reading.page.validators.last_modified.as_deref(),
                    final_url: Some(reading.page.final_url.as_str()),
                    bytes: Some(reading.page.body.len()),
                    outcome,
                    reason: None,
                    snapshot: Some((&raw_sha, None)),
                });
                if let Some(facts) = &reading.facts {
                    t.clear_graph(names::channel_graph(&source.id).as_ref())
                        .map_err(GraphError::from)?;
                    for quad in facts {
                        t.insert(quad);
                    }
                }
                for event in &reading.events {
                    record::insert_numbered(t, &discovery::event_quads(&found, event))
                        .map_err(GraphError::from)?;
                }
                record::insert_numbered(t, &discovered).map_err(GraphError::from)?;
                for quad in &fetch_quads {
                    t.insert(quad);
                }
                result = (outcome, events, n);
                Ok::<_, CrawlError>(())
            })?;
            let (outcome, events, n) = result;
            Ok::<_, CrawlError>((revision, outcome, events, n))
        })
        .await??;
        self.channels.remember(
            &source.id,
            &source.url,
            &keys,
            chrono::Utc::now().timestamp(),
        )?;
        Ok(Committed {
            revision,
            outcome,
            events,
            discoveries,
            raw_sha: snapshot,
            http_status,
            final_url,
        })
    }

    /// Commits a discovery-only source's reading (its first one is the baseline: one event,
    /// nothing discovered) and reports it as the whole crawl.
    async fn discovered(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        page: fetch::Page,
        listed: Listed,
    ) -> Result<Plan, CrawlError> {
        let events = baseline_event(listed.first, source, listed.keys.len(), listed.what);
        let reading = Reading {
            page,
            facts: None,
            events,
            candidates: listed.candidates,
            keys: listed.keys,
            baseline: listed.first,
        };
        let committed = self.commit(source, started, reading).await?;
        // The answer's hash: a listing's next request is conditional on it being stored.
        state.raw_sha = Some(committed.raw_sha.clone());
        self.settle(state, committed.outcome, None)?;
        let mut report = CrawlReport::new(&source.id, committed.outcome);
        report.changes = committed.events;
        report.material_changes = committed.discoveries;
        report.discoveries = committed.discoveries;
        report.revision = Some(committed.revision);
        report.http_status = Some(committed.http_status);
        report.final_url = Some(committed.final_url);
        Ok(Plan::Done(report))
    }
}

/// The one event of a discovery-only source's first reading.
fn baseline_event(baseline: bool, source: &Source, items: usize, what: &str) -> Vec<ChannelEvent> {
    if !baseline {
        return Vec::new();
    }
    vec![ChannelEvent {
        suffix: "baseline".into(),
        kind: "source-baseline",
        material: false,
        detail: format!("source baseline established: {items} {what}"),
        affects: vec![NamedNode::new_unchecked(&source.iri)],
    }]
}

/// `…/id/celex/{celex}`: an act or consolidated version as CELLAR names it.
fn official_iri(celex: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ID}celex/{}", celex.replace(['(', ')'], "_")))
}
