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

use super::discovery::{self, Candidate, ChannelEvent, Found, Suggestion};
use super::record::{self, FetchRecord, Quads};
use super::state::SourceState;
use super::{CrawlError, CrawlReport, Crawler, Outcome, fetch_iri, stamp};
use crate::extract::{self, Structure};
use crate::fetch::{self, FetchError, Negotiation, Response, Validators, cellar, federal_register};
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

    async fn plan_cellar(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        url: Url,
    ) -> Result<Plan, CrawlError> {
        let Some(celex) = source.channel.celex.clone() else {
            return self
                .failed_plain(
                    source,
                    state,
                    started,
                    "cellar source without a CELEX number",
                )
                .await;
        };
        let language = cellar::language_code(source.language.as_deref());
        let request = cellar::relations_request(&cellar::sparql_endpoint(&url), &celex, language);
        let (page, relations) = match self
            .read(
                source,
                state,
                started,
                &request,
                &cellar::sparql_negotiation(),
                "CELLAR SPARQL",
                cellar::parse_relations,
            )
            .await?
        {
            Ok(read) => read,
            Err(plan) => return Ok(plan),
        };
        let memory = self.channels.recall(&source.id, &source.url)?;
        let text_url = match relations.latest_consolidated() {
            Some(latest) if source.channel.consolidated => {
                cellar::resource_url(&url, &latest.celex)
            }
            _ => url.clone(),
        };
        let act = official_iri(&celex);
        let instrument = source.instrument.as_deref().map(NamedNode::new_unchecked);
        let mut facts = Quads::new(names::channel_graph(&source.id));
        facts.add(&act, rdf::TYPE.into_owned(), names::cw("OfficialDocument"));
        facts.text(&act, names::cw("celex"), &celex);
        facts.add(
            &act,
            names::dcat("accessURL"),
            NamedNode::new_unchecked(url.as_str()),
        );
        if let Some(instrument) = &instrument {
            facts.add(&act, names::cw("instrument"), instrument.clone());
        }
        let mut keys = Vec::new();
        let mut events = Vec::new();
        let mut candidates = Vec::new();
        for version in &relations.consolidated {
            let node = official_iri(&version.celex);
            facts.add(
                &node,
                rdf::TYPE.into_owned(),
                names::cw("ConsolidatedVersion"),
            );
            facts.text(&node, names::cw("celex"), &version.celex);
            facts.add(&node, names::cw("consolidates"), act.clone());
            if let Some(date) = &version.date {
                facts.typed(&node, names::cw("asAt"), date.as_str(), xsd::DATE);
            }
            let resource = cellar::resource_url(&url, &version.celex);
            facts.add(
                &node,
                names::dcat("accessURL"),
                NamedNode::new_unchecked(resource.as_str()),
            );
            let key = format!("consolidated:{}", version.celex);
            if memory.baseline && !memory.seen.contains(&key) {
                let mut affects = vec![node.clone()];
                affects.extend(instrument.clone());
                events.push(ChannelEvent {
                    suffix: format!("c{}", events.len() + 1),
                    kind: "consolidated-version",
                    material: true,
                    detail: format!(
                        "new consolidated version {} of {celex}{}",
                        version.celex,
                        version
                            .date
                            .as_deref()
                            .map(|d| format!(" (as at {d})"))
                            .unwrap_or_default()
                    ),
                    affects,
                });
            }
            keys.push(key);
        }
        for act_amending in &relations.amending {
            let node = official_iri(&act_amending.celex);
            facts.add(&node, rdf::TYPE.into_owned(), names::cw("OfficialDocument"));
            facts.text(&node, names::cw("celex"), &act_amending.celex);
            facts.add(&node, names::cw("amendsDocument"), act.clone());
            if let Some(title) = &act_amending.title {
                facts.text(&node, names::dcterms("title"), title);
            }
            if let Some(date) = &act_amending.date {
                facts.typed(&node, names::eli("date_document"), date.as_str(), xsd::DATE);
            }
            let key = format!("amending:{}", act_amending.celex);
            if memory.baseline && !memory.seen.contains(&key) {
                let resource = cellar::resource_url(&url, &act_amending.celex);
                candidates.push(Candidate {
                    key: key.clone(),
                    title: act_amending
                        .title
                        .clone()
                        .unwrap_or_else(|| format!("CELEX {}", act_amending.celex)),
                    url: resource.to_string(),
                    access_url: resource.to_string(),
                    date: act_amending.date.clone(),
                    issuer: act_amending
                        .author
                        .as_deref()
                        .map(|a| a.rsplit('/').next().unwrap_or(a).to_owned()),
                    publisher: act_amending.author.clone(),
                    reason: format!("CELLAR lists it as amending {celex}"),
                    suggestion: Suggestion::Cellar {
                        celex: act_amending.celex.clone(),
                    },
                    executive_order_number: None,
                    signing_date: None,
                });
            }
            keys.push(key);
        }
        let moved = memory
            .text_url
            .as_deref()
            .is_some_and(|previous| previous != text_url.as_str());
        let committed = self
            .commit(
                source,
                started,
                Reading {
                    page,
                    facts: Some(facts.quads),
                    events,
                    candidates,
                    keys,
                    baseline: !memory.baseline,
                },
            )
            .await?;
        Ok(Plan::Text(Target {
            url: text_url,
            channel: true,
            negotiation: cellar::text_negotiation(source.format == Format::Formex, language),
            structure: if source.format == Format::Formex {
                Structure::Formex
            } else {
                Structure::EurLex
            },
            moved,
            events: committed.events,
            discoveries: committed.discoveries,
        }))
    }

    async fn plan_federal_register_document(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        url: Url,
    ) -> Result<Plan, CrawlError> {
        let request = federal_register::document_request(&url);
        let (page, document) = match self
            .read(
                source,
                state,
                started,
                &request,
                &federal_register::json_negotiation(),
                "Federal Register API",
                federal_register::parse_document,
            )
            .await?
        {
            Ok(read) => read,
            Err(plan) => return Ok(plan),
        };
        let (text, structure) = match (&document.full_text_xml_url, &document.body_html_url) {
            (Some(xml), _) => (xml.clone(), Structure::FederalRegister),
            (None, Some(html)) => (html.clone(), Structure::Generic),
            (None, None) => {
                let reason = format!(
                    "Federal Register document {} has no full text (no full_text_xml_url or body_html_url)",
                    document.document_number
                );
                return self.failed_plain(source, state, started, &reason).await;
            }
        };
        let Ok(text_url) = Url::parse(&text) else {
            return self
                .failed_plain(source, state, started, "unusable full-text URL")
                .await;
        };
        let memory = self.channels.recall(&source.id, &source.url)?;
        let node =
            NamedNode::new_unchecked(format!("{ID}federal-register/{}", document.document_number));
        let mut facts = Quads::new(names::channel_graph(&source.id));
        facts.add(&node, rdf::TYPE.into_owned(), names::cw("OfficialDocument"));
        facts.text(
            &node,
            names::cw("documentNumber"),
            &document.document_number,
        );
        facts.text(&node, names::dcterms("title"), &document.title);
        if let Some(n) = document.executive_order_number {
            facts.typed(
                &node,
                names::cw("executiveOrderNumber"),
                n.to_string(),
                xsd::INTEGER,
            );
        }
        if let Some(date) = &document.signing_date {
            facts.typed(&node, names::cw("signingDate"), date.as_str(), xsd::DATE);
        }
        if let Some(date) = &document.publication_date {
            facts.typed(
                &node,
                names::eli("date_publication"),
                date.as_str(),
                xsd::DATE,
            );
        }
        if let Some(citation) = &document.citation {
            facts.text(&node, names::dcterms("bibliographicCitation"), citation);
        }
        if let Some(subtype) = &document.subtype {
            facts.text(&node, names::dcterms("type"), subtype);
        }
        for link in [&document.html_url, &document.pdf_url]
            .into_iter()
            .flatten()
        {
            if let Ok(link) = NamedNode::new(link) {
                facts.add(&node, names::dcat("landingPage"), link);
            }
        }
        facts.add(
            &node,
            names::dcat("accessURL"),
            NamedNode::new_unchecked(text_url.as_str()),
        );
        if let Some(instrument) = source.instrument.as_deref() {
            facts.add(
                &node,
                names::cw("instrument"),
                NamedNode::new_unchecked(instrument),
            );
        }
        let moved = memory
            .text_url
            .as_deref()
            .is_some_and(|previous| previous != text_url.as_str());
        self.commit(
            source,
            started,
            Reading {
                page,
                facts: Some(facts.quads),
                events: Vec::new(),
                candidates: Vec::new(),
                keys: Vec::new(),
                baseline: !memory.baseline,
            },
        )
        .await?;
        Ok(Plan::Text(Target {
            url: text_url,
            channel: true,
            negotiation: match structure {
                Structure::FederalRegister => federal_register::xml_negotiation(),
                _ => Negotiation::default(),
            },
            structure,
            moved,
            events: 0,
            discoveries: 0,
        }))
    }

    async fn discover_federal_register(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        url: Url,
    ) -> Result<Plan, CrawlError> {
        let request = federal_register::search_request(&url);
        let (page, search) = match self
            .read(
                source,
                state,
                started,
                &request,
                &federal_register::json_negotiation(),
                "Federal Register API",
                federal_register::parse_search,
            )
            .await?
        {
            Ok(read) => read,
            Err(plan) => return Ok(plan),
        };
        let memory = self.channels.recall(&source.id, &source.url)?;
        // The API base, for the tracked source a discovery becomes.
        let base = {
            let mut base = url.clone();
            base.set_query(None);
            let path = base.path().trim_end_matches("/documents.json").to_owned();
            base.set_path(&path);
            base
        };
        let conditions: Vec<String> = url.query_pairs().map(|(k, v)| format!("{k}={v}")).collect();
        let mut keys = Vec::new();
        let mut candidates = Vec::new();
        for document in &search.documents {
            let key = format!("fr:{}", document.document_number);
            if memory.baseline && !memory.seen.contains(&key) {
                let access = format!(
                    "{}/documents/{}.json",
                    base.as_str().trim_end_matches('/'),
                    document.document_number
                );
                let what = match (&document.subtype, document.executive_order_number) {
                    (_, Some(n)) => format!("Executive Order {n}"),
                    (Some(subtype), None) => subtype.clone(),
                    (None, None) => document
                        .doc_type
                        .clone()
                        .unwrap_or_else(|| "document".into()),
                };
                candidates.push(Candidate {
                    key: key.clone(),
                    title: document.title.clone(),
                    url: document
                        .html_url
                        .clone()
                        .or_else(|| document.pdf_url.clone())
                        .unwrap_or_else(|| access.clone()),
                    access_url: access,
                    date: document
                        .signing_date
                        .clone()
                        .or_else(|| document.publication_date.clone()),
                    issuer: (!document.agencies.is_empty()).then(|| document.agencies.join("; ")),
                    publisher: None,
                    reason: format!(
                        "{what}, FR Doc. {}, matches the Federal Register search {}",
                        document.document_number,
                        conditions.join(" & ")
                    ),
                    suggestion: Suggestion::FederalRegister {
                        document_number: document.document_number.clone(),
                    },
                    executive_order_number: document.executive_order_number,
                    signing_date: document.signing_date.clone(),
                });
            }
            keys.push(key);
        }
        let found = Listed {
            first: !memory.baseline,
            candidates,
            keys,
            what: "search results",
        };
        self.discovered(source, state, started, page, found).await
    }

    async fn discover_listing(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        url: Url,
    ) -> Result<Plan, CrawlError> {
        let validators = if state.raw_sha.is_some() {
            Validators {
                etag: state.etag.clone(),
                last_modified: state.last_modified.clone(),
            }
        } else {
            Validators::default()
        };
        let page = match self
            .fetcher
            .fetch_negotiated(&url, &validators, &Negotiation::default())
            .await
        {
            Ok(Response::Body(page)) => page,
            Ok(Response::NotModified(not_modified)) => {
                let report = self
                    .unchanged_304(source, state, started, not_modified)
                    .await?;
                return Ok(Plan::Done(report));
            }
            Err(error) => {
                return Ok(Plan::Done(
                    self.failed_fetch(source, state, started, error, None)
                        .await?,
                ));
            }
        };
        let pattern = match source.channel.link_pattern.as_deref().map(link_regex) {
            Some(Ok(regex)) => Some(regex),
            Some(Err(error)) => {
                let reason = format!("link pattern: {error}");
                return self.failed_plain(source, state, started, &reason).await;
            }
            None => None,
        };
        let (text, _) = fetch::charset::decode_html(&page.body, page.content_type.as_deref());
        let base = page.final_url.clone();
        let content_type = page.content_type.clone();
        let links = tokio::task::spawn_blocking(move || {
            extract::links::links(&text, content_type.as_deref(), &base)
        })
        .await?;
        let links = match links {
            Ok(links) => links,
            Err(error) => {
                let reason = format!("listing: {error}");
                return self.failed_plain(source, state, started, &reason).await;
            }
        };
        let memory = self.channels.recall(&source.id, &source.url)?;
        let listing = page.final_url.as_str().to_owned();
        let mut keys = Vec::new();
        let mut candidates = Vec::new();
        for link in links {
            if link.url == listing || link.url == source.url {
                continue;
            }
            if let Some(pattern) = &pattern
                && !pattern.is_match(&link.url)
            {
                continue;
            }
            if memory.baseline && !memory.seen.contains(&link.url) {
                let title = if link.title.is_empty() {
                    link.url
                        .rsplit('/')
                        .find(|s| !s.is_empty())
                        .unwrap_or(&link.url)
                        .to_owned()
                } else {
                    link.title.clone()
                };
                candidates.push(Candidate {
                    key: link.url.clone(),
                    title,
                    url: link.url.clone(),
                    access_url: link.url.clone(),
                    date: link.date.clone(),
                    issuer: None,
                    publisher: source.publisher.clone(),
                    reason: match &source.channel.link_pattern {
                        Some(p) => format!(
                            "new link on {} matching the pattern {p}",
                            source.title.as_deref().unwrap_or(&source.url)
                        ),
                        None => format!(
                            "new item in {}",
                            source.title.as_deref().unwrap_or(&source.url)
                        ),
                    },
                    suggestion: Suggestion::Page,
                    executive_order_number: None,
                    signing_date: None,
                });
            }
            keys.push(link.url);
        }
        state.etag = page.validators.etag.clone();
        state.last_modified = page.validators.last_modified.clone();
        let found = Listed {
            first: !memory.baseline,
            candidates,
            keys,
            what: "matching links",
        };
        self.discovered(source, state, started, page, found).await
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
