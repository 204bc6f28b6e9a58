//! The one place alerts read change events: what a change event is to a subscriber
//! ([`Event`], from the change read model's [`crate::changes::Change`]) and the events after a
//! sequence number, oldest first ([`after`]), read with [`crate::changes::after`].

use crate::changes::{self, Change, ChangesError};
use crate::graph::Graph;
use serde::Serialize;

/// The change kinds a filter may name (the read model's).
pub use crate::changes::KINDS;

/// One change event as alerts see it. IRIs are full IRIs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Event {
    /// The event's short id (`/api/changes/{id}`).
    pub id: String,
    pub iri: String,
    /// Monotonic over all events: alerts keep the last one processed as their cursor.
    pub sequence: u64,
    pub kind: String,
    /// The kind and its aspects (a modified provision whose obligation strengthened…).
    pub kinds: Vec<String>,
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
    /// One line for people: what changed.
    pub summary: String,
    /// The changed words (`"should" → "shall"`; counts only for sources that are not quoted).
    pub word_summary: Option<String>,
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

impl From<Change> for Event {
    fn from(c: Change) -> Self {
        let iris = |tags: &[changes::Tag]| tags.iter().map(|t| t.iri.clone()).collect();
        Self {
            id: c.id,
            iri: c.iri,
            sequence: c.sequence,
            kinds: c.kinds,
            kind: c.kind,
            material: c.material,
            at: c.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            jurisdictions: iris(&c.jurisdictions),
            instrument: c.instruments.first().map(|t| t.iri.clone()),
            source: Some(c.source).filter(|s| !s.is_empty()),
            themes: iris(&c.themes),
            roles: iris(&c.roles),
            provisions: c.provisions,
            obligations: c.obligations,
            summary: c.summary,
            word_summary: c.word_summary,
        }
    }
}

/// The events with a sequence number above `sequence`, oldest first, at most `limit`. Blocking.
pub fn after(graph: &Graph, sequence: u64, limit: usize) -> Result<Vec<Event>, ChangesError> {
    Ok(changes::after(graph, sequence, limit)?
        .into_iter()
        .map(Event::from)
        .collect())
}

/// The sequence number of the newest event (0 without events). Blocking.
pub fn last_sequence(graph: &Graph) -> Result<u64, ChangesError> {
    changes::last_sequence(graph)
}
