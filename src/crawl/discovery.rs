//! Discovered documents: what official channels and listings found that nobody tracks yet, in
//! a review queue. Each is a `cw:DiscoveredDocument` in the discoveries graph (title, address,
//! date, issuer, jurisdiction, why it matched, how it would be tracked, its status) and raised a
//! `document-discovered` change event. An analyst tracks it (it becomes a tracked source, with an
//! instrument stub) or dismisses it; the status is review data, public like the rest of the
//! graph.
//!
//! Entry points: [`list`], [`get`], [`track`], [`dismiss`]; the crawler records new ones with
//! [`record_new`] in the same write as the fetch that found them.

use super::CrawlError;
use super::record::{self, EventRecord, Quads};
use crate::graph::names::{self, DISCOVERIES_GRAPH, ID};
use crate::graph::{Graph, GraphError};
use crate::source::{self, Kind, NewSource, Source, SourceError};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{NamedNode, Quad, Term};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const DISCOVERIES_QUERY: &str = include_str!("../../queries/crawl/discoveries.rq");

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("no discovered document {0:?}")]
    Unknown(String),
    #[error("discovered document {id:?} is already {status}")]
    Settled { id: String, status: &'static str },
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Graph(#[from] GraphError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Tracked,
    Dismissed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Tracked => "tracked",
            Self::Dismissed => "dismissed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "tracked" => Some(Self::Tracked),
            "dismissed" => Some(Self::Dismissed),
            _ => None,
        }
    }
}

/// How a discovered document would be tracked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suggestion {
    /// An HTML page or PDF.
    Page,
    /// An EU act in CELLAR.
    Cellar { celex: String },
    /// A Federal Register document.
    FederalRegister { document_number: String },
}

/// A document a channel found, before it is recorded.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Unique within the channel: what "seen before" is decided on.
    pub key: String,
    pub title: String,
    /// Where a person reads it.
    pub url: String,
    /// What a source tracking it fetches (the CELLAR resource, the API description, the page).
    pub access_url: String,
    /// `YYYY-MM-DD`: signing, document or publication date.
    pub date: Option<String>,
    pub issuer: Option<String>,
    pub publisher: Option<String>,
    /// Why it matched, for the analyst.
    pub reason: String,
    pub suggestion: Suggestion,
    pub executive_order_number: Option<u64>,
    pub signing_date: Option<String>,
}

/// A discovered document as the queue shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Discovery {
    pub id: String,
    pub iri: String,
    pub title: String,
    pub url: Option<String>,
    pub access_url: Option<String>,
    pub date: Option<String>,
    pub issuer: Option<String>,
    pub publisher: Option<String>,
    pub jurisdiction: Option<String>,
    pub reason: Option<String>,
    pub status: Status,
    /// The source that found it.
    pub source: Option<String>,
    pub discovered_at: Option<String>,
    /// `page`, `cellar` or `federal-register`: how `track` registers it.
    pub suggested_kind: String,
    pub celex: Option<String>,
    pub document_number: Option<String>,
    pub executive_order_number: Option<u64>,
    pub signing_date: Option<String>,
    /// The source tracking it, once tracked.
    pub tracked_as: Option<String>,
    pub event: Option<String>,
}

/// Which discoveries `list` returns.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// `None`: every status.
    pub status: Option<Status>,
    pub source: Option<String>,
    /// Jurisdiction code (`US`, `SG`).
    pub jurisdiction: Option<String>,
}

pub fn discovery_iri(id: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ID}discovery/{id}"))
}

/// A stable, readable id: the tail of what is tracked plus a hash of its address, so the same
/// document found twice (by two listings, or again after a layout change) is one entry.
pub(super) fn discovery_id(candidate: &Candidate) -> String {
    let tail = match &candidate.suggestion {
        Suggestion::Cellar { celex } => celex.clone(),
        Suggestion::FederalRegister { document_number } => document_number.clone(),
        Suggestion::Page => url::Url::parse(&candidate.access_url)
            .ok()
            .and_then(|u| {
                u.path_segments()
                    .and_then(|mut s| s.rfind(|p| !p.is_empty()).map(str::to_owned))
            })
            .unwrap_or_default(),
    };
    let mut slug = String::new();
    for c in tail.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_matches('-');
    let hash = crate::snapshot::sha256_hex(candidate.access_url.as_bytes());
    if slug.is_empty() {
        format!("doc-{}", &hash[..10])
    } else {
        format!("{slug}-{}", &hash[..8])
    }
}

/// Where and when new candidates were found.
pub(super) struct Found<'a> {
    pub source: &'a Source,
    pub fetch: &'a NamedNode,
    pub snapshot: &'a str,
    pub at: chrono::DateTime<chrono::Utc>,
    /// Event IRIs are `{event_base}-d{n}`.
    pub event_base: &'a str,
}

/// One change event a channel raises besides the discovered documents (a new consolidated
/// version, the baseline of a discovery-only source).
pub(super) struct ChannelEvent {
    pub suffix: String,
    pub kind: &'static str,
    pub material: bool,
    pub detail: String,
    pub affects: Vec<NamedNode>,
}

/// The one place channel events become the crawler's change events (`record::event_quads`),
/// so everything downstream of the changes graph treats them like a diff's.
pub(super) fn event_quads(found: &Found<'_>, event: &ChannelEvent) -> Vec<Quad> {
    record::event_quads(&EventRecord {
        iri: NamedNode::new_unchecked(format!("{}-{}", found.event_base, event.suffix)),
        source: found.source,
        kind: event.kind,
        material: event.material,
        detail: &event.detail,
        affects: event.affects.clone(),
        at: found.at,
        from_snapshot: None,
        to_snapshot: found.snapshot,
        fetch: found.fetch,
        facts: record::EventFacts::default(),
    })
}

/// Quads for the candidates that are new to the whole graph (not already discovered by any
/// source, not already tracked) and a `document-discovered` event each. Reads the graph: call
/// inside the write that commits them, so two crawls cannot both record one document.
pub(super) fn record_new(
    graph: &Graph,
    found: &Found<'_>,
    candidates: &[Candidate],
) -> Result<(Vec<Quad>, usize), CrawlError> {
    let tracked: std::collections::HashSet<String> =
        source::list(graph)?.into_iter().map(|s| s.url).collect();
    let mut quads = Vec::new();
    let mut recorded = 0;
    for candidate in candidates {
        if tracked.contains(&candidate.access_url) || tracked.contains(&candidate.url) {
            continue;
        }
        let id = discovery_id(candidate);
        let subject = discovery_iri(&id);
        let known = graph.contains_pattern(
            Some(subject.as_ref().into()),
            Some(rdf::TYPE),
            Some(names::cw("DiscoveredDocument").as_ref().into()),
            Some(DISCOVERIES_GRAPH.into()),
        )?;
        if known {
            continue;
        }
        recorded += 1;
        let event = ChannelEvent {
            suffix: format!("d{recorded}"),
            kind: "document-discovered",
            material: true,
            detail: format!(
                "new document found by {}: {} ({})",
                found.source.id, candidate.title, candidate.reason
            ),
            affects: vec![subject.clone()],
        };
        let event_iri = NamedNode::new_unchecked(format!("{}-{}", found.event_base, event.suffix));
        quads.extend(discovery_quads(found, candidate, &id, &event_iri));
        quads.extend(event_quads(found, &event));
    }
    Ok((quads, recorded))
}

fn discovery_quads(found: &Found<'_>, c: &Candidate, id: &str, event: &NamedNode) -> Vec<Quad> {
    let mut q = Quads::new(DISCOVERIES_GRAPH);
    let s = &discovery_iri(id);
    let dcterms = names::dcterms;
    q.add(s, rdf::TYPE.into_owned(), names::cw("DiscoveredDocument"));
    q.text(s, dcterms("identifier"), id);
    q.text(s, dcterms("title"), &c.title);
    if let Ok(url) = NamedNode::new(&c.url) {
        q.add(s, names::dcat("landingPage"), url);
    }
    if let Ok(url) = NamedNode::new(&c.access_url) {
        q.add(s, names::dcat("accessURL"), url);
    }
    if let Some(date) = &c.date {
        q.typed(s, dcterms("date"), date.as_str(), xsd::DATE);
    }
    if let Some(issuer) = &c.issuer {
        q.text(s, names::cw("issuerName"), issuer);
    }
    if let Some(publisher) = c.publisher.as_deref().and_then(|p| NamedNode::new(p).ok()) {
        q.add(s, dcterms("publisher"), publisher);
    }
    if let Some(j) = found
        .source
        .jurisdiction
        .as_deref()
        .and_then(|j| NamedNode::new(j).ok())
    {
        q.add(s, names::cw("jurisdiction"), j);
    }
    q.text(s, names::cw("matchReason"), &c.reason);
    q.text(s, names::cw("discoveryStatus"), Status::Pending.as_str());
    q.add(
        s,
        names::cw("discoveredBy"),
        NamedNode::new_unchecked(&found.source.iri),
    );
    q.typed(
        s,
        names::prov("generatedAtTime"),
        record::now_literal(found.at),
        xsd::DATE_TIME,
    );
    q.add(
        s,
        names::prov("wasDerivedFrom"),
        record::snapshot_iri(found.snapshot),
    );
    q.add(s, names::cw("changeEvent"), event.clone());
    let kind = match &c.suggestion {
        Suggestion::Page => Kind::Page,
        Suggestion::Cellar { celex } => {
            q.text(s, names::cw("celex"), celex);
            Kind::Cellar
        }
        Suggestion::FederalRegister { document_number } => {
            q.text(s, names::cw("documentNumber"), document_number);
            Kind::FederalRegister
        }
    };
    q.text(s, names::cw("suggestedKind"), kind.as_str());
    if let Some(n) = c.executive_order_number {
        q.typed(
            s,
            names::cw("executiveOrderNumber"),
            n.to_string(),
            xsd::INTEGER,
        );
    }
    if let Some(date) = &c.signing_date {
        q.typed(s, names::cw("signingDate"), date.as_str(), xsd::DATE);
    }
    q.quads
}

/// Discovered documents matching `filter`, newest first.
pub fn list(graph: &Graph, filter: &Filter) -> Result<Vec<Discovery>, DiscoveryError> {
    let rows = graph.select("discovered documents", DISCOVERIES_QUERY, [])?;
    let mut by_iri: BTreeMap<String, Discovery> = BTreeMap::new();
    for row in &rows {
        let Some(Term::NamedNode(iri)) = row.get("d") else {
            continue;
        };
        let text = |name: &str| match row.get(name) {
            Some(Term::Literal(l)) => Some(l.value().to_owned()),
            Some(Term::NamedNode(n)) => Some(n.as_str().to_owned()),
            _ => None,
        };
        // Several values of an optional property repeat the row; the first one wins.
        if by_iri.contains_key(iri.as_str()) {
            continue;
        }
        let id = text("id").unwrap_or_else(|| {
            iri.as_str()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned()
        });
        let slug =
            |iri: Option<String>| iri.map(|i| i.rsplit('/').next().unwrap_or_default().to_owned());
        by_iri.insert(
            iri.as_str().to_owned(),
            Discovery {
                id,
                iri: iri.as_str().to_owned(),
                title: text("title").unwrap_or_default(),
                url: text("url"),
                access_url: text("access"),
                date: text("date"),
                issuer: text("issuer"),
                publisher: text("publisher"),
                jurisdiction: slug(text("jurisdiction")),
                reason: text("reason"),
                status: text("status")
                    .as_deref()
                    .and_then(Status::parse)
                    .unwrap_or(Status::Pending),
                source: slug(text("source")),
                discovered_at: text("at"),
                suggested_kind: text("kind").unwrap_or_else(|| "page".into()),
                celex: text("celex"),
                document_number: text("number"),
                executive_order_number: text("eo").and_then(|n| n.parse().ok()),
                signing_date: text("signing"),
                tracked_as: slug(text("tracked")),
                event: text("event"),
            },
        );
    }
    let mut out: Vec<Discovery> = by_iri
        .into_values()
        .filter(|d| filter.status.is_none_or(|s| d.status == s))
        .filter(|d| {
            filter
                .source
                .as_deref()
                .is_none_or(|s| d.source.as_deref() == Some(s))
        })
        .filter(|d| {
            filter.jurisdiction.as_deref().is_none_or(|j| {
                d.jurisdiction
                    .as_deref()
                    .is_some_and(|dj| dj.eq_ignore_ascii_case(j))
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.discovered_at
            .cmp(&a.discovered_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(out)
}

pub fn get(graph: &Graph, id: &str) -> Result<Discovery, DiscoveryError> {
    list(graph, &Filter::default())?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or_else(|| DiscoveryError::Unknown(id.into()))
}

/// What `track` may set on the new source (the rest comes from the discovery).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackOptions {
    /// Source slug; derived when absent (`eu-32026r0123`, `us-fr-2026-01234`).
    pub id: Option<String>,
    /// Instrument IRI; an instrument stub is created when absent.
    pub instrument: Option<String>,
    pub schedule: Option<String>,
    pub language: Option<String>,
}

/// Tracks a pending discovery: registers it as a source of its suggested kind (with an
/// instrument stub unless one is named) and marks it tracked. A document whose address is
/// already tracked is marked tracked as that source.
pub fn track(
    graph: &Graph,
    id: &str,
    options: TrackOptions,
) -> Result<(Discovery, Source), DiscoveryError> {
    let discovery = pending(graph, id)?;
    let jurisdiction = discovery
        .jurisdiction
        .clone()
        .ok_or_else(|| DiscoveryError::Invalid {
            field: "jurisdiction",
            message: "the discovery has no jurisdiction".into(),
        })?;
    let discovering = discovery
        .source
        .as_deref()
        .and_then(|s| source::get(graph, s).ok());
    let access = discovery
        .access_url
        .clone()
        .or_else(|| discovery.url.clone())
        .unwrap_or_default();
    let mut new = NewSource {
        url: access.clone(),
        jurisdiction: jurisdiction.clone(),
        instrument: options.instrument,
        schedule: options.schedule,
        title: Some(discovery.title.clone()),
        language: options
            .language
            .or_else(|| discovering.as_ref().and_then(|s| s.language.clone())),
        id: options.id,
        ..NewSource::default()
    };
    match discovery.suggested_kind.as_str() {
        "cellar" => {
            new.kind = Some(Kind::Cellar);
            new.celex = discovery.celex.clone();
            new.id = new.id.or_else(|| {
                discovery
                    .celex
                    .as_ref()
                    .map(|c| format!("eu-{}", c.to_ascii_lowercase()))
            });
        }
        "federal-register" => {
            new.kind = Some(Kind::FederalRegister);
            new.document_number = discovery.document_number.clone();
            new.id = new.id.or_else(|| {
                discovery
                    .document_number
                    .as_ref()
                    .map(|n| format!("us-fr-{}", n.to_ascii_lowercase()))
            });
        }
        _ => new.kind = Some(Kind::Page),
    }
    let source = match source::add(graph, new) {
        Ok(source) => source,
        Err(SourceError::DuplicateUrl { id: existing, .. }) => source::get(graph, &existing)?,
        Err(other) => return Err(other.into()),
    };
    set_status(graph, &discovery.iri, Status::Tracked, Some(&source.iri))?;
    Ok((get(graph, id)?, source))
}

/// Dismisses a pending discovery.
pub fn dismiss(graph: &Graph, id: &str) -> Result<Discovery, DiscoveryError> {
    let discovery = pending(graph, id)?;
    set_status(graph, &discovery.iri, Status::Dismissed, None)?;
    get(graph, id)
}

fn pending(graph: &Graph, id: &str) -> Result<Discovery, DiscoveryError> {
    let discovery = get(graph, id)?;
    if discovery.status != Status::Pending {
        return Err(DiscoveryError::Settled {
            id: id.into(),
            status: discovery.status.as_str(),
        });
    }
    Ok(discovery)
}

fn set_status(
    graph: &Graph,
    iri: &str,
    status: Status,
    tracked_as: Option<&str>,
) -> Result<u64, GraphError> {
    let subject = NamedNode::new_unchecked(iri);
    let predicate = names::cw("discoveryStatus");
    graph.write(|t| {
        let old: Vec<Quad> = t
            .quads_for_pattern(
                Some(subject.as_ref().into()),
                Some(predicate.as_ref()),
                None,
                Some(DISCOVERIES_GRAPH.into()),
            )
            .collect::<Result<_, _>>()?;
        for quad in &old {
            t.remove(quad);
        }
        let mut q = Quads::new(DISCOVERIES_GRAPH);
        q.text(&subject, predicate.clone(), status.as_str());
        q.typed(
            &subject,
            names::cw("reviewedAt"),
            record::now_literal(chrono::Utc::now()),
            xsd::DATE_TIME,
        );
        if let Some(source) = tracked_as {
            q.add(
                &subject,
                names::cw("trackedAs"),
                NamedNode::new_unchecked(source),
            );
        }
        for quad in &q.quads {
            t.insert(quad);
        }
        Ok::<_, GraphError>(())
    })
}
