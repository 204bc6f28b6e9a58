//! A source's history: every fetch with its outcome and reason, and every version of its
//! content (a fetch that established or changed it) with its snapshot hashes and the events it
//! raised (`queries/changes/*.rq`).

use super::ChangesError;
use crate::graph::Graph;
use crate::graph::names::ID;
use oxigraph::model::{NamedNode, Term};
use oxigraph::sparql::{QuerySolution, Variable};
use serde::Serialize;
use std::collections::BTreeMap;

const FETCHES: &str = include_str!("../../queries/changes/fetches.rq");
const EVENTS: &str = include_str!("../../queries/changes/events-of-fetch.rq");

#[derive(Debug, Clone, Serialize)]
pub struct FetchEntry {
    pub fetch: String,
    pub started: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// fetched, unchanged, changed or failed.
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_url: Option<String>,
    /// SHA-256 of the raw snapshot it generated or confirmed, and of its text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_snapshot: Option<String>,
    /// Ids of the change events it recorded.
    pub events: Vec<String>,
}

/// One version of the source's content: a fetch whose outcome was fetched or changed, or that
/// raised events with a snapshot (a restoration names the content that came back; a removal is
/// no version, the last one stays).
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    pub fetch: String,
    pub at: String,
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_snapshot: Option<String>,
    pub events: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceHistory {
    pub source: String,
    pub source_id: String,
    /// Newest first (at most 5,000).
    pub fetches: Vec<FetchEntry>,
    /// Newest first.
    pub versions: Vec<Version>,
}

fn text(row: &QuerySolution, var: &str) -> Option<String> {
    match row.get(var) {
        Some(Term::Literal(l)) => Some(l.value().to_owned()),
        Some(Term::NamedNode(n)) => Some(n.as_str().to_owned()),
        _ => None,
    }
}

/// The history of the source with id (slug) or IRI `source`; `None` when the graph has never
/// heard of it. Blocking.
pub fn source_history(graph: &Graph, source: &str) -> Result<Option<SourceHistory>, ChangesError> {
    let iri = if source.starts_with(ID) {
        source.to_owned()
    } else {
        format!("{ID}source/{source}")
    };
    let Ok(node) = NamedNode::new(&iri) else {
        return Ok(None);
    };
    let bind = || {
        [(
            Variable::new_unchecked("source"),
            Term::NamedNode(node.clone()),
        )]
    };
    let mut by_fetch: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in graph.select("events of a source's fetches", EVENTS, bind())? {
        if let (Some(fetch), Some(event)) = (text(&row, "fetch"), text(&row, "event")) {
            let id = text(&row, "id").unwrap_or_else(|| crate::crawl::event_id(&event));
            by_fetch.entry(fetch).or_default().push(id);
        }
    }
    let rows = graph.select("fetches of a source", FETCHES, bind())?;
    let known = !rows.is_empty()
        || crate::source::list(graph)
            .map(|all| all.iter().any(|s| s.iri == iri))
            .unwrap_or(false);
    if !known {
        return Ok(None);
    }
    let mut fetches: Vec<FetchEntry> = Vec::new();
    for row in &rows {
        let Some(fetch) = text(row, "fetch") else {
            continue;
        };
        // One row per fetch (a snapshot has one hash of each kind).
        if fetches.last().is_some_and(|f| f.fetch == fetch) {
            continue;
        }
        fetches.push(FetchEntry {
            events: by_fetch.get(&fetch).cloned().unwrap_or_default(),
            started: text(row, "started").unwrap_or_default(),
            ended: text(row, "ended"),
            http_status: text(row, "status").and_then(|s| s.parse().ok()),
            outcome: text(row, "outcome").unwrap_or_default(),
            reason: text(row, "reason"),
            bytes: text(row, "bytes").and_then(|s| s.parse().ok()),
            final_url: text(row, "finalUrl"),
            snapshot: text(row, "sha"),
            text_snapshot: text(row, "textSha"),
            fetch,
        });
    }
    let versions = fetches
        .iter()
        .filter(|f| {
            matches!(f.outcome.as_str(), "fetched" | "changed")
                || (!f.events.is_empty() && f.snapshot.is_some())
        })
        .map(|f| Version {
            fetch: f.fetch.clone(),
            at: f.started.clone(),
            outcome: f.outcome.clone(),
            snapshot: f.snapshot.clone(),
            text_snapshot: f.text_snapshot.clone(),
            events: f.events.clone(),
        })
        .collect();
    Ok(Some(SourceHistory {
        source_id: iri
            .strip_prefix(&format!("{ID}source/"))
            .unwrap_or(&iri)
            .to_owned(),
        source: iri,
        fetches,
        versions,
    }))
}
