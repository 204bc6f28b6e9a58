//! The one place alerts read change events from the graph: what a change event is to a
//! subscriber ([`Event`]) and the events after a sequence number, oldest first ([`after`]).
//!
//! Until the change read model (`crate::changes`) lands, events are read with
//! `queries/alerts/events.rq` and numbered by their position in detection order (events are only
//! ever appended, so a position never changes). Switching to `changes::after` is this file only.

use crate::graph::{Graph, GraphError, names};
use oxigraph::model::Term;
use serde::Serialize;

const EVENTS: &str = include_str!("../../queries/alerts/events.rq");

/// The change kinds a filter may name.
pub const KINDS: &[&str] = &[
    "source-baseline",
    "provision-added",
    "provision-modified",
    "provision-removed",
    "provision-renumbered",
    "obligation-added",
    "obligation-removed",
    "obligation-strengthened",
    "obligation-weakened",
    "addressee-changed",
    "date-moved",
    "source-removed",
    "source-restored",
];

/// One change event as alerts see it. IRIs are full IRIs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Event {
    /// The event's short id (`/api/changes/{id}`).
    pub id: String,
    pub iri: String,
    /// Monotonic over all events: alerts keep the last one processed as their cursor.
    pub sequence: u64,
    pub kind: String,
    pub material: bool,
    /// Detection time (RFC 3339).
    pub at: String,
    pub jurisdictions: Vec<String>,
    pub instrument: Option<String>,
    pub source: Option<String>,
    pub themes: Vec<String>,
    pub roles: Vec<String>,
    /// Provisions (extracted and curated) the event touches.
    pub provisions: Vec<String>,
    /// Requirements (candidate obligations) the event touches.
    pub obligations: Vec<String>,
    /// One line for people: what changed, in words.
    pub summary: String,
}

impl Event {
    /// What the events of one fetch share: the source and the detection time.
    pub fn group(&self) -> String {
        format!(
            "{}\n{}",
            self.source.as_deref().unwrap_or_default(),
            self.at
        )
    }
}

/// The short id of an event IRI (`…/id/change/{source}/{stamp}-{n}` → `{source}~{stamp}-{n}`).
pub fn short_id(iri: &str) -> String {
    let rest = iri
        .strip_prefix(&format!("{}change/", names::ID))
        .unwrap_or(iri);
    rest.replace('/', "~")
}

/// The events with a sequence number above `sequence`, oldest first, at most `limit`. Blocking.
pub fn after(graph: &Graph, sequence: u64, limit: usize) -> Result<Vec<Event>, GraphError> {
    let rows = graph.select("alerts: change events", EVENTS, [])?;
    let text = |row: &oxigraph::sparql::QuerySolution, var: &str| match row.get(var) {
        Some(Term::Literal(l)) => Some(l.value().to_owned()),
        Some(Term::NamedNode(n)) => Some(n.as_str().to_owned()),
        _ => None,
    };
    let words = |value: Option<String>| -> Vec<String> {
        let mut out: Vec<String> = value
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        out.sort();
        out.dedup();
        out
    };
    let mut events = Vec::new();
    for (position, row) in rows.iter().enumerate() {
        let n = position as u64 + 1;
        if n <= sequence {
            continue;
        }
        if events.len() >= limit {
            break;
        }
        let Some(iri) = text(row, "e") else { continue };
        events.push(Event {
            id: short_id(&iri),
            iri,
            sequence: n,
            kind: text(row, "kind").unwrap_or_default(),
            material: text(row, "material").is_some_and(|m| m == "true" || m == "1"),
            at: text(row, "at").unwrap_or_default(),
            jurisdictions: text(row, "jurisdiction").into_iter().collect(),
            instrument: text(row, "instrument"),
            source: text(row, "source"),
            themes: words(text(row, "themes")),
            roles: words(text(row, "roles")),
            provisions: words(text(row, "affected"))
                .into_iter()
                .filter(|p| p.contains("/extracted/") || p.contains("/provision/"))
                .collect(),
            obligations: words(text(row, "obligations")),
            summary: text(row, "detail").unwrap_or_default(),
        });
    }
    Ok(events)
}

/// The sequence number of the newest event (0 without events). Blocking.
pub fn last_sequence(graph: &Graph) -> Result<u64, GraphError> {
    Ok(graph.select("alerts: change events", EVENTS, [])?.len() as u64)
}
