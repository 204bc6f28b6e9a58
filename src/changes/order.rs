//! Change events in sequence order without reading every sequence number. Numbers are given
//! by one counter (`graph::next_sequence`) and rarely leave gaps, so the events after a cursor
//! or before a page's end are found by looking their numbers up, one (predicate, object) index
//! lookup each, from the cursor to the counter: the cost grows with what is read, not with the
//! history. When that premise fails — numbers above the counter (events written some other
//! way) or many missing numbers (deleted events: `MAX_MISSES` in one walk) — the walk gives
//! way to one scan of every number ([`sequences`]), so the events and their order are always
//! those of the scan.

use super::ChangesError;
use crate::graph::Graph;
use crate::graph::names::{self, CHANGES_GRAPH};
use oxigraph::model::vocab::xsd;
use oxigraph::model::{Literal, NamedNode, NamedOrBlankNode, NamedOrBlankNodeRef, Term};
use std::collections::HashSet;

/// Numbers looked up in vain before the walk turns into one scan.
const MAX_MISSES: u64 = 1024;

/// Every numbered event, by sequence number ascending (one scan of all the numbers).
pub(super) fn sequences(graph: &Graph) -> Result<Vec<(u64, NamedNode)>, ChangesError> {
    let sequence = names::cw("sequence");
    let mut out = Vec::new();
    for quad in graph.quads_for_pattern(
        None,
        Some(sequence.as_ref()),
        None,
        Some(CHANGES_GRAPH.into()),
    ) {
        let quad = quad.map_err(crate::graph::GraphError::from)?;
        if let (NamedOrBlankNode::NamedNode(s), Term::Literal(n)) = (quad.subject, quad.object)
            && let Ok(n) = n.value().parse::<u64>()
        {
            out.push((n, s));
        }
    }
    out.sort_by_key(|(n, _)| *n);
    Ok(out)
}

/// The events numbered `n` (one, unless something wrote the same number twice).
fn numbered(graph: &Graph, n: u64) -> Result<Vec<NamedNode>, ChangesError> {
    let sequence = names::cw("sequence");
    let value = Term::Literal(Literal::new_typed_literal(n.to_string(), xsd::INTEGER));
    let mut out = Vec::new();
    for quad in graph.quads_for_pattern(
        None,
        Some(sequence.as_ref()),
        Some(value.as_ref()),
        Some(CHANGES_GRAPH.into()),
    ) {
        if let NamedOrBlankNode::NamedNode(s) =
            quad.map_err(crate::graph::GraphError::from)?.subject
        {
            out.push(s);
        }
    }
    Ok(out)
}

/// The sequence number of event `iri`, if it has one.
fn number_of(graph: &Graph, iri: &NamedNode) -> Result<Option<u64>, ChangesError> {
    let sequence = names::cw("sequence");
    for quad in graph.quads_for_pattern(
        Some(NamedOrBlankNodeRef::NamedNode(iri.as_ref())),
        Some(sequence.as_ref()),
        None,
        Some(CHANGES_GRAPH.into()),
    ) {
        if let Term::Literal(n) = quad.map_err(crate::graph::GraphError::from)?.object
            && let Ok(n) = n.value().parse::<u64>()
        {
            return Ok(Some(n));
        }
    }
    Ok(None)
}

/// Numbered events in sequence order, ascending after a number or descending below one.
pub(super) struct BySequence<'g> {
    graph: &'g Graph,
    /// The next number to look up; ascending walks end after `last`, descending ones at 0.
    next: u64,
    last: u64,
    descending: bool,
    misses: u64,
    /// Events found and not yet handed out (those of one number, or the scan's).
    found: std::vec::IntoIter<(u64, NamedNode)>,
    /// The walk gave way to the scan, whose rest is in `found`.
    scanned: bool,
}

impl<'g> BySequence<'g> {
    /// The events numbered above `after`, oldest first.
    pub(super) fn after(graph: &'g Graph, after: u64) -> Result<Self, ChangesError> {
        Self::new(graph, after.saturating_add(1), false)
    }

    /// The events numbered below `before`, newest first.
    pub(super) fn before(graph: &'g Graph, before: u64) -> Result<Self, ChangesError> {
        Self::new(graph, before.saturating_sub(1), true)
    }

    /// A walk from number `from` (inclusive).
    fn new(graph: &'g Graph, from: u64, descending: bool) -> Result<Self, ChangesError> {
        let last = graph.last_sequence()?;
        let mut walk = Self {
            graph,
            next: from,
            last,
            descending,
            misses: 0,
            found: Vec::new().into_iter(),
            scanned: false,
        };
        if !numbered(graph, last.saturating_add(1))?.is_empty() {
            // A number above the counter: the counter does not bound the events.
            walk.scan_rest()?;
        } else if descending {
            walk.next = from.min(last);
        }
        Ok(walk)
    }

    /// Replaces the rest of the walk (from `next` on) with one scan of every number.
    fn scan_rest(&mut self) -> Result<(), ChangesError> {
        let from = self.next;
        let all = sequences(self.graph)?;
        let rest: Vec<(u64, NamedNode)> = if self.descending {
            all.into_iter().rev().filter(|(n, _)| *n <= from).collect()
        } else {
            all.into_iter().filter(|(n, _)| *n >= from).collect()
        };
        self.found = rest.into_iter();
        self.scanned = true;
        Ok(())
    }

    fn step(&mut self) -> Result<Option<(u64, NamedNode)>, ChangesError> {
        loop {
            if let Some(found) = self.found.next() {
                return Ok(Some(found));
            }
            let ended = if self.descending {
                self.next == 0
            } else {
                self.next > self.last
            };
            if self.scanned || ended {
                return Ok(None);
            }
            if self.misses >= MAX_MISSES {
                self.scan_rest()?;
                continue;
            }
            let n = self.next;
            if self.descending {
                self.next -= 1;
            } else {
                self.next += 1;
            }
            let mut events: Vec<(u64, NamedNode)> = numbered(self.graph, n)?
                .into_iter()
                .map(|s| (n, s))
                .collect();
            if events.is_empty() {
                self.misses += 1;
            }
            if self.descending {
                events.reverse();
            }
            self.found = events.into_iter();
        }
    }
}

impl Iterator for BySequence<'_> {
    type Item = Result<(u64, NamedNode), ChangesError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.step().transpose()
    }
}

/// How many candidate events are few enough to read by their own numbers (one lookup each)
/// rather than walking down until `limit` of them are met: a walk over `events` meets a set of
/// `c` after about `limit × events / c` lookups, so sets up to √(limit × events) go by number.
pub(super) fn few_enough(graph: &Graph, limit: usize) -> Result<usize, ChangesError> {
    let events = usize::try_from(graph.last_sequence()?).unwrap_or(usize::MAX);
    Ok(limit.saturating_mul(events).isqrt().max(limit))
}

/// The `candidates` numbered below `before`, newest first, by their own numbers.
pub(super) fn newest_of(
    graph: &Graph,
    candidates: &HashSet<NamedNode>,
    before: u64,
) -> Result<Vec<(u64, NamedNode)>, ChangesError> {
    let mut out = Vec::with_capacity(candidates.len());
    for iri in candidates {
        if let Some(n) = number_of(graph, iri)?
            && n < before
        {
            out.push((n, iri.clone()));
        }
    }
    out.sort_unstable_by(|(a, _), (b, _)| b.cmp(a));
    Ok(out)
}
