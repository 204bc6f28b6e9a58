//! Which queries are known to be cheap, so they may skip the worker round trip.
//!
//! A worker process is what makes an explosive query harmless (it is killed at the deadline),
//! but for a query that takes a millisecond the hop costs more than the evaluation: the query
//! goes out over a socket, its results come back and are copied once more. At 16 clients on two
//! cores that hop cost 16–24 % of the throughput of short queries (BENCHMARKS.md, "SPARQL
//! endpoint vs the oxigraph server").
//!
//! An evaluation's cost is fixed by the query and the data, so a query that took at most
//! `sparql.quick_cpu_ms` of CPU in a worker (the worker reports its CPU time, which other load
//! does not inflate) will take as little again at the same graph revision. Such queries are
//! remembered, by a keyed hash of their text, dataset, bindings and output format, with the
//! revision they were measured at; the next one runs on a server thread. The first evaluation
//! of any query, and every one after the graph changes, still goes to a worker, so nothing
//! unmeasured ever runs where it cannot be killed. An evaluation on a thread that turns out to
//! cost more (it should not) puts the query back in the workers' hands.

use crate::sparql::{OutputFormat, Prepared};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::sync::Mutex;
use std::time::Duration;

/// Queries remembered at once; past it the memory starts again (a flood of distinct queries
/// then only sends them to workers, as before).
const MAX_ENTRIES: usize = 4096;

/// The identity of a query for [`QuickQueries`]: a hash keyed per process (RandomState), so a
/// client cannot craft a query that collides with a known cheap one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueryKey(u64);

pub struct QuickQueries {
    /// CPU time at or under which a query counts as cheap; zero turns the routing off.
    threshold: Duration,
    hasher: RandomState,
    /// Cheap queries and the graph revision they were measured at.
    known: Mutex<HashMap<QueryKey, u64>>,
}

impl QuickQueries {
    pub fn new(threshold: Duration) -> Self {
        Self {
            threshold,
            hasher: RandomState::new(),
            known: Mutex::new(HashMap::new()),
        }
    }

    pub fn key(&self, prepared: &Prepared, format: OutputFormat) -> QueryKey {
        let mut hasher = self.hasher.build_hasher();
        prepared.hash_identity(&mut hasher);
        format.code().hash(&mut hasher);
        QueryKey(hasher.finish())
    }

    /// Whether the query was measured cheap at this revision (never with a zero threshold:
    /// nothing is remembered then).
    pub fn is_quick(&self, key: QueryKey, revision: u64) -> bool {
        self.lock().get(&key) == Some(&revision)
    }

    /// Records what an evaluation at `revision` cost: remembered if cheap, forgotten if not.
    pub fn measured(&self, key: QueryKey, revision: u64, cpu: Duration) {
        if self.threshold.is_zero() {
            return;
        }
        let mut known = self.lock();
        if cpu > self.threshold {
            known.remove(&key);
            return;
        }
        if known.len() >= MAX_ENTRIES && !known.contains_key(&key) {
            known.clear();
        }
        known.insert(key, revision);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<QueryKey, u64>> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use oxigraph::sparql::results::QueryResultsFormat;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_query_is_quick_only_at_the_revision_it_was_measured_and_only_while_cheap() {
        let quick = QuickQueries::new(10 * MS);
        let (a, b) = (QueryKey(1), QueryKey(2));
        assert!(!quick.is_quick(a, 5), "unmeasured");
        quick.measured(a, 5, 3 * MS);
        quick.measured(b, 5, 11 * MS);
        assert!(quick.is_quick(a, 5));
        assert!(!quick.is_quick(b, 5), "over the threshold");
        assert!(!quick.is_quick(a, 6), "the graph changed since");
        quick.measured(a, 5, 40 * MS);
        assert!(!quick.is_quick(a, 5), "a costly run forgets it");
    }

    #[test]
    fn a_zero_threshold_turns_the_routing_off_and_the_memory_is_bounded() {
        let off = QuickQueries::new(Duration::ZERO);
        off.measured(QueryKey(1), 1, Duration::ZERO);
        assert!(!off.is_quick(QueryKey(1), 1));
        let quick = QuickQueries::new(10 * MS);
        for i in 0..MAX_ENTRIES as u64 + 10 {
            quick.measured(QueryKey(i), 1, MS);
        }
        assert!(quick.lock().len() <= MAX_ENTRIES);
        assert!(quick.is_quick(QueryKey(MAX_ENTRIES as u64 + 9), 1));
    }

    #[test]
    fn keys_tell_queries_and_formats_apart() {
        let limits = crate::sparql::Limits {
            timeout: Duration::from_secs(5),
            max_rows: 10,
            max_query_bytes: 1024,
        };
        let engine = crate::sparql::Engine::new(crate::graph::Graph::in_memory().unwrap(), limits);
        let quick = QuickQueries::new(10 * MS);
        let prepare = |text: &str| {
            engine
                .prepare(text, &crate::sparql::DatasetRequest::default())
                .unwrap()
        };
        let ask = prepare("ASK { ?s ?p ?o }");
        let key = quick.key(&ask, OutputFormat::Results(QueryResultsFormat::Json));
        assert_eq!(
            key,
            quick.key(
                &prepare("ASK { ?s ?p ?o }"),
                OutputFormat::Results(QueryResultsFormat::Json)
            )
        );
        assert_ne!(
            key,
            quick.key(&ask, OutputFormat::Results(QueryResultsFormat::Xml))
        );
        assert_ne!(
            key,
            quick.key(
                &prepare("ASK { ?s ?p 1 }"),
                OutputFormat::Results(QueryResultsFormat::Json)
            )
        );
    }
}
