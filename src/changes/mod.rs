//! The change history as a read model: the crawler's change events (`cw:ChangeEvent` in the
//! changes graph) as [`Change`] records for the history API, the Atom feed ([`atom`]) and the
//! alert outbox.
//!
//! Entry points: [`after`] (oldest first after a sequence number: the outbox's cursor), [`list`]
//! (newest first, filtered, with an opaque cursor), [`get`] (one event with its structured, word
//! and unified diffs), [`source_history`] (every fetch and version of a source). Filters are a
//! [`Filter`]. Every event has a stable id (`cw:eventId`) and a sequence number
//! (`cw:sequence`, assigned in the graph write that recorded it, never reused); both reads go
//! by those numbers (`order`), so their cost follows what they return, not the history.

pub mod atom;
mod filter;
mod history;
mod order;
mod read;

pub use filter::{Filter, KINDS, MAX_VALUES, PARAMETERS};
pub use history::{FetchEntry, SourceHistory, Version, source_history};

use crate::diff::words::{self, Hunk};
use crate::graph::codes::UnknownCode;
use crate::graph::{Graph, GraphError};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use oxigraph::model::NamedNode;
use serde::Serialize;

/// Most changes one page or one `after` call returns.
pub const MAX_LIMIT: usize = 500;
/// Events a filtered page examines at most before it stops (and hands out a cursor to go on).
const MAX_SCAN: usize = 20_000;

#[derive(Debug, thiserror::Error)]
pub enum ChangesError {
    #[error("unknown parameter {name:?} (known: {known})")]
    UnknownParameter { name: String, known: &'static str },
    #[error("{parameter}: {source}")]
    UnknownCode {
        parameter: &'static str,
        #[source]
        source: UnknownCode,
    },
    #[error("unknown change kind {kind:?}{}", closest_hint(.closest))]
    UnknownKind { kind: String, closest: Vec<String> },
    #[error("{parameter}={value:?}: {reason}")]
    Invalid {
        parameter: String,
        value: String,
        reason: String,
    },
    #[error("invalid cursor (use the next_cursor of a previous page)")]
    BadCursor,
    #[error("no change event {0:?}")]
    Unknown(String),
    #[error(transparent)]
    Graph(#[from] GraphError),
}

impl ChangesError {
    /// The caller's mistake (HTTP 400), not the server's.
    pub fn is_client_error(&self) -> bool {
        !matches!(self, Self::Graph(_))
    }
}

fn closest_hint(closest: &[String]) -> String {
    if closest.is_empty() {
        format!("; known kinds: {}", KINDS.join(", "))
    } else {
        format!("; closest known: {}", closest.join(", "))
    }
}

/// A term with its short code (`EU` for `…/id/jurisdiction/EU`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub iri: String,
    pub code: String,
}

impl Tag {
    fn new(iri: &str) -> Self {
        Self {
            iri: iri.to_owned(),
            code: iri.rsplit(['/', '#']).next().unwrap_or(iri).to_owned(),
        }
    }
}

/// What an event concerns: a provision, a candidate requirement or another resource (a
/// consolidated version, a discovered document, the source), with its reference where known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Affected {
    pub iri: String,
    /// `provision`, `requirement` or `other`.
    pub role: &'static str,
    /// The citation (`Article 2`, `Art. 50(2)`) or identifier.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// One change event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Stable public id (`/api/changes/{id}`).
    pub id: String,
    pub iri: String,
    /// Unique, increasing in the order events were recorded.
    pub sequence: u64,
    pub kind: String,
    /// The kind and every aspect (further kinds the change also is).
    pub kinds: Vec<String>,
    pub material: bool,
    /// When it was detected.
    #[serde(serialize_with = "rfc3339")]
    pub at: DateTime<Utc>,
    pub jurisdictions: Vec<Tag>,
    pub instruments: Vec<Tag>,
    /// The tracked source's IRI and id.
    pub source: String,
    pub source_id: String,
    pub themes: Vec<Tag>,
    pub roles: Vec<Tag>,
    /// The provision's identifier (and the one it had before a renumbering).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provision_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_provision_id: Option<String>,
    pub affects: Vec<Affected>,
    /// IRIs of the provisions and candidate requirements touched.
    pub provisions: Vec<String>,
    pub obligations: Vec<String>,
    /// One line for people (the event's `rdfs:comment`).
    pub summary: String,
    /// The changed words (`"should" → "shall"`), or only counts where the text may not be quoted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub word_summary: Option<String>,
    pub link: String,
}

/// One event with its diffs, for `/api/changes/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeDetail {
    #[serde(flatten)]
    pub change: Change,
    pub diff: StructuredDiff,
    /// Word-level hunks (only where the text may be quoted).
    pub words: Vec<Hunk>,
    /// A unified diff of the old and new text (only where the text may be quoted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unified: Option<String>,
}

/// What the event records of the text and its provenance.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StructuredDiff {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_text: Option<String>,
    pub added_words: Vec<String>,
    pub removed_words: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_word_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_word_count: Option<u64>,
    /// Whether the text may be quoted (old and new text are kept only then).
    pub quoted: bool,
    /// Snapshot IRIs the event was derived from, and the fetch that recorded it.
    pub snapshots: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetch: Option<String>,
    /// Curated mappings the change flagged for review.
    pub flags_for_review: Vec<String>,
}

/// One page of [`list`].
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub changes: Vec<Change>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// Events recorded after sequence number `sequence`, oldest first, at most `limit`
/// (≤ [`MAX_LIMIT`]). The outbox reads this with its cursor. Blocking.
pub fn after(graph: &Graph, sequence: u64, limit: usize) -> Result<Vec<Change>, ChangesError> {
    let limit = limit.min(MAX_LIMIT);
    let mut out = Vec::new();
    if limit == 0 {
        return Ok(out);
    }
    for found in order::BySequence::after(graph, sequence)? {
        let (_, iri) = found?;
        if let Some(raw) = read::event(graph, &iri)? {
            out.push(read::enrich(graph, raw)?);
        }
        if out.len() == limit {
            break;
        }
    }
    Ok(out)
}

/// The sequence number of the newest event (0 before any).
pub fn last_sequence(graph: &Graph) -> Result<u64, ChangesError> {
    Ok(graph.last_sequence()?)
}

/// Events passing `filter`, newest first, `limit` (≤ [`MAX_LIMIT`]) per page; `cursor` is a
/// previous page's `next_cursor`. Blocking.
pub fn list(
    graph: &Graph,
    filter: &Filter,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Page, ChangesError> {
    let limit = limit.clamp(1, MAX_LIMIT);
    let before = cursor.map(decode_cursor).transpose()?.unwrap_or(u64::MAX);
    let mut changes = Vec::new();
    let mut next_cursor = None;
    let candidates = read::candidates(graph, filter, order::few_enough(graph, limit)?)?;
    // Newest first: the candidates of a selective filter by their own numbers, else down the
    // numbers from the cursor.
    let newest: Box<dyn Iterator<Item = Result<(u64, NamedNode), ChangesError>> + '_> =
        match &candidates {
            Some(c) => Box::new(order::newest_of(graph, c, before)?.into_iter().map(Ok)),
            None => Box::new(order::BySequence::before(graph, before)?),
        };
    for (scanned, found) in newest.enumerate() {
        let (n, iri) = found?;
        if changes.len() == limit || scanned == MAX_SCAN {
            next_cursor = Some(encode_cursor(n + 1));
            break;
        }
        let Some(raw) = read::event(graph, &iri)? else {
            continue;
        };
        if filter.matches(&raw) {
            changes.push(read::enrich(graph, raw)?);
        }
    }
    Ok(Page {
        changes,
        next_cursor,
    })
}

/// The event with public id `id` (its IRI works too), with its diffs; `None` when unknown.
/// Blocking.
pub fn get(graph: &Graph, id: &str) -> Result<Option<ChangeDetail>, ChangesError> {
    let Some(iri) = read::iri_of(graph, id)? else {
        return Ok(None);
    };
    let Some(raw) = read::event(graph, &iri)? else {
        return Ok(None);
    };
    let change = read::enrich(graph, raw)?;
    let diff = read::structured(graph, &iri)?;
    let (words, unified) = match (&diff.old_text, &diff.new_text) {
        (Some(old), Some(new)) => (
            words::WordDiff::compute(old, new).hunks,
            Some(words::unified(
                old,
                new,
                &format!(
                    "a/{}",
                    change
                        .previous_provision_id
                        .as_deref()
                        .unwrap_or(change.provision_id.as_deref().unwrap_or("old"))
                ),
                &format!("b/{}", change.provision_id.as_deref().unwrap_or("new")),
            )),
        ),
        (None, Some(new)) => (
            vec![Hunk {
                removed: String::new(),
                added: new.clone(),
            }],
            Some(words::unified("", new, "/dev/null", "b/new")),
        ),
        (Some(old), None) => (
            vec![Hunk {
                removed: old.clone(),
                added: String::new(),
            }],
            Some(words::unified(old, "", "a/old", "/dev/null")),
        ),
        (None, None) => (Vec::new(), None),
    };
    Ok(Some(ChangeDetail {
        change,
        diff,
        words,
        unified,
    }))
}

/// Opaque to clients: the sequence number the next page starts below.
fn encode_cursor(before: u64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("v1:{before}"))
}

/// A cursor from [`list`]; anything else is [`ChangesError::BadCursor`].
pub fn decode_cursor(cursor: &str) -> Result<u64, ChangesError> {
    if cursor.len() > 64 {
        return Err(ChangesError::BadCursor);
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| ChangesError::BadCursor)?;
    std::str::from_utf8(&bytes)
        .ok()
        .and_then(|s| s.strip_prefix("v1:"))
        .and_then(|n| n.parse().ok())
        .ok_or(ChangesError::BadCursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(decode_cursor(&encode_cursor(42)).unwrap(), 42);
        for bad in ["", "xyz", "djE6", "v1:5", &"A".repeat(100)] {
            assert!(
                matches!(decode_cursor(bad), Err(ChangesError::BadCursor)),
                "{bad}"
            );
        }
    }
}
