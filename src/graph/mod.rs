//! The knowledge graph: Oxigraph on RocksDB at `<data>/graph`, organised in named graphs.
//! The on-disk store (`Graph::open`) needs the `rocksdb` feature (on by default); in-memory
//! graphs ([`Graph::in_memory`]) do not.
//!
//! Every write goes through [`Graph::write`], one writer at a time, in one transaction that bumps
//! the graph *revision*. The stores derived from the graph (the derived graph of [`derive`], the
//! search index, the schedules, the alert outbox) are consumers of its change feed ([`feed`]):
//! each records the revision it reflects and catches up by itself, so a crash between the graph
//! commit and a consumer's heals on the next start.

pub mod cache;
pub mod codes;
pub mod derive;
pub mod feed;
pub mod names;
pub mod relationship;
mod seeds;

pub use seeds::{SeedReport, load_file, load_seed_dirs};

use oxigraph::io::RdfFormat;
use oxigraph::model::{
    GraphNameRef, Literal, NamedNodeRef, NamedOrBlankNodeRef, Quad, QuadRef, Term, TermRef,
};
use oxigraph::sparql::{
    BoundPreparedSparqlQuery, PreparedSparqlQuery, QueryEvaluationError, QueryResults,
    QuerySolution, SparqlEvaluator, SparqlSyntaxError, Variable,
};
use oxigraph::store::{StorageError, Store, Transaction};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error(
        "the graph store at {path} is locked by another process (is `crosswalk serve` running? use its HTTP API instead)"
    )]
    Locked { path: String },
    #[error("graph storage error: {0}")]
    Storage(#[from] StorageError),
    #[error("invalid SPARQL in {context}: {source}")]
    Syntax {
        context: String,
        #[source]
        source: SparqlSyntaxError,
    },
    #[error("SPARQL evaluation failed in {context}: {source}")]
    Evaluation {
        context: String,
        #[source]
        source: QueryEvaluationError,
    },
    #[error("{context}: expected a SELECT query")]
    NotSelect { context: String },
    /// [`Graph::write_at`] found that another write committed since the caller read.
    #[error("the graph moved from revision {expected} to {found} while this write was prepared")]
    Moved { expected: u64, found: u64 },
    #[error("cannot parse {file}: {source}")]
    Parse {
        file: String,
        #[source]
        source: oxigraph::io::RdfSyntaxError,
    },
    #[error("cannot write the dump: {0}")]
    Dump(#[from] oxigraph::store::SerializerError),
    #[error(
        "cannot load {file}: unknown RDF file extension (use .ttl, .nt, .nq, .trig, .rdf, .jsonld)"
    )]
    UnknownFormat { file: String },
    #[error("cannot read {file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
}

/// A cheap-to-clone handle on the store.
///
/// The store itself never leaves this type: reads go through [`Graph::select`],
/// [`Graph::quads_for_pattern`], [`Graph::bind`] (SPARQL evaluation) and [`Graph::dump`], and
/// every write through [`Graph::write`], one at a time. Oxigraph's transactions are snapshot
/// reads plus a write batch committed without conflict detection, so two overlapping writers
/// would both commit revision R+1 and the later one would silently undo what the earlier one
/// read-modified-wrote; the writer lock makes that impossible.
#[derive(Clone)]
pub struct Graph {
    store: Store,
    revision: Arc<watch::Sender<u64>>,
    writer: Arc<Mutex<()>>,
    /// The directory of an on-disk store (None in memory).
    dir: Option<Arc<std::path::Path>>,
    /// Held for the process's lifetime: our own advisory lock on the store directory, so a
    /// second process is told plainly that the store is in use (RocksDB's own lock error is an
    /// untyped I/O error).
    _lock: Option<Arc<std::fs::File>>,
}

impl Graph {
    /// Opens (creating if needed) the RocksDB store in `dir`. Only one process may hold it.
    #[cfg(feature = "rocksdb")]
    pub fn open(dir: &std::path::Path) -> Result<Self, GraphError> {
        let io = |source| GraphError::Io {
            file: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("crosswalk.lock"))
            .map_err(io)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(GraphError::Locked {
                    path: dir.display().to_string(),
                });
            }
            Err(std::fs::TryLockError::Error(source)) => return Err(io(source)),
        }
        let mut graph = Self::from_store(Store::open(dir)?)?;
        graph._lock = Some(Arc::new(lock));
        graph.dir = Some(dir.into());
        Ok(graph)
    }

    /// Opens a checkpoint made by [`Graph::checkpoint`] read-only. A checkpoint belongs to
    /// whoever made it and nobody writes to it, so no lock is taken: the query worker processes
    /// open the server's views this way. Writes fail.
    #[cfg(feature = "rocksdb")]
    pub fn open_checkpoint(dir: &std::path::Path) -> Result<Self, GraphError> {
        Self::from_store(Store::open_read_only(dir)?)
    }

    /// Writes a consistent copy of the store to `dir` (which must not exist) and returns the
    /// revision it holds. RocksDB hard-links the immutable table files when `dir` is on the same
    /// file system, so a checkpoint costs a memtable flush and a few links. Writers wait for it,
    /// so the revision is exact. Blocking.
    #[cfg(feature = "rocksdb")]
    pub fn checkpoint(&self, dir: &std::path::Path) -> Result<u64, GraphError> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        self.store.backup(dir)?;
        Ok(self.revision())
    }

    /// The directory of an on-disk store; `None` for an in-memory graph.
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_deref()
    }

    /// The number of quads in the store (a full scan). Blocking.
    pub fn quad_count(&self) -> Result<usize, GraphError> {
        Ok(self.store.len()?)
    }

    /// An in-memory graph, for tools and tests that need no persistence.
    pub fn in_memory() -> Result<Self, GraphError> {
        Self::from_store(Store::new()?)
    }

    fn from_store(store: Store) -> Result<Self, GraphError> {
        let revision = read_revision(&store)?;
        Ok(Self {
            store,
            revision: Arc::new(watch::Sender::new(revision)),
            writer: Arc::new(Mutex::new(())),
            dir: None,
            _lock: None,
        })
    }

    /// Moves buffered writes from RocksDB's memtable into sorted tables, compacting them when
    /// `compact` is set. Point lookups in a memtable walk a skip list: served from it, the
    /// catalogue cost a quarter of the SPARQL server's CPU in that walk (BENCHMARKS.md).
    #[cfg(feature = "rocksdb")]
    pub fn settle(&self, compact: bool) -> Result<(), GraphError> {
        if compact {
            self.store.optimize()?;
        } else {
            self.store.flush()?;
        }
        Ok(())
    }

    /// The revision of the last committed write.
    pub fn revision(&self) -> u64 {
        *self.revision.borrow()
    }

    /// Notified with the new revision after every committed write.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.revision.subscribe()
    }

    /// Runs `f` in one transaction and bumps the revision in it; returns the new revision.
    /// Writers run one at a time, so `f` may read the committed state (a registry check, say)
    /// knowing nobody writes until it commits. Blocking: call from a blocking thread.
    pub fn write<E: From<GraphError>>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<(), E>,
    ) -> Result<u64, E> {
        self.write_checked(None, f)
    }

    /// Like [`Graph::write`], but only if no other write committed after revision `expected`
    /// (which the caller read its inputs at); otherwise [`GraphError::Moved`] and nothing is
    /// written. For writers that compute from reads taken outside the transaction.
    pub fn write_at<E: From<GraphError>>(
        &self,
        expected: u64,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<(), E>,
    ) -> Result<u64, E> {
        self.write_checked(Some(expected), f)
    }

    fn write_checked<E: From<GraphError>>(
        &self,
        expected: Option<u64>,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<(), E>,
    ) -> Result<u64, E> {
        let storage = |e: StorageError| E::from(GraphError::Storage(e));
        // A writer that panicked left no transaction behind (it is dropped uncommitted), so
        // the lock's poison carries no broken state.
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut transaction = self.store.start_transaction().map_err(storage)?;
        let current = read_revision_in(&transaction).map_err(storage)?;
        if let Some(expected) = expected.filter(|&e| e != current) {
            return Err(E::from(GraphError::Moved {
                expected,
                found: current,
            }));
        }
        let sequence = read_counter_in(&transaction, names::EVENT_SEQUENCE).map_err(storage)?;
        f(&mut transaction)?;
        // An update may have dropped the meta graph (`DROP ALL`): the counters never go back.
        let next = read_revision_in(&transaction)
            .map_err(storage)?
            .max(current)
            + 1;
        set_revision(&mut transaction, next);
        if read_counter_in(&transaction, names::EVENT_SEQUENCE).map_err(storage)? < sequence {
            replace_meta(
                &mut transaction,
                names::EVENT_SEQUENCE,
                &Literal::from(sequence as i64),
            );
        }
        transaction.commit().map_err(storage)?;
        // Inside the lock, so subscribers see revisions in commit order.
        self.revision.send_replace(next);
        Ok(next)
    }

    /// The last change-event sequence number handed out (0 before the first).
    pub fn last_sequence(&self) -> Result<u64, GraphError> {
        let quad = self
            .quads_for_pattern(
                Some(names::META_GRAPH.into()),
                Some(names::EVENT_SEQUENCE),
                None,
                Some(names::META_GRAPH.into()),
            )
            .next()
            .transpose()?;
        Ok(parse_revision(quad.map(|q| q.object)))
    }

    /// Replaces the content of one named graph atomically.
    pub fn replace_graph<'a>(
        &self,
        graph: NamedNodeRef<'_>,
        triples: impl IntoIterator<Item = oxigraph::model::TripleRef<'a>>,
    ) -> Result<u64, GraphError> {
        self.write(|t| {
            t.clear_graph(graph)?;
            for triple in triples {
                t.insert(triple.in_graph(graph));
            }
            Ok::<_, GraphError>(())
        })
    }

    /// Binds a prepared SPARQL query to the store's current state (a read snapshot).
    pub fn bind(&self, query: PreparedSparqlQuery) -> BoundPreparedSparqlQuery<'static> {
        query.on_store(&self.store)
    }

    /// Quads matching a pattern, read from the committed state.
    pub fn quads_for_pattern(
        &self,
        subject: Option<NamedOrBlankNodeRef<'_>>,
        predicate: Option<NamedNodeRef<'_>>,
        object: Option<TermRef<'_>>,
        graph_name: Option<GraphNameRef<'_>>,
    ) -> impl Iterator<Item = Result<Quad, StorageError>> + 'static {
        self.store
            .quads_for_pattern(subject, predicate, object, graph_name)
    }

    /// Whether any quad matches the pattern.
    pub fn contains_pattern(
        &self,
        subject: Option<NamedOrBlankNodeRef<'_>>,
        predicate: Option<NamedNodeRef<'_>>,
        object: Option<TermRef<'_>>,
        graph_name: Option<GraphNameRef<'_>>,
    ) -> Result<bool, GraphError> {
        Ok(self
            .quads_for_pattern(subject, predicate, object, graph_name)
            .next()
            .transpose()?
            .is_some())
    }

    /// Writes every named graph (`NQuads` or `TriG`) to `out` and returns it.
    pub fn dump<W: std::io::Write>(&self, format: RdfFormat, out: W) -> Result<W, GraphError> {
        Ok(self.store.dump_to_writer(format, out)?)
    }

    /// When the current revision was committed (RFC 3339, UTC), if the store records it.
    pub fn revision_time(&self) -> Result<Option<String>, GraphError> {
        let quad = self
            .quads_for_pattern(
                Some(names::META_GRAPH.into()),
                Some(names::REVISION_TIME),
                None,
                Some(names::META_GRAPH.into()),
            )
            .next()
            .transpose()?;
        Ok(quad.and_then(|q| match q.object {
            Term::Literal(l) => Some(l.value().to_owned()),
            _ => None,
        }))
    }

    /// Runs a SELECT over the union of all named graphs, binding `bindings` as typed terms.
    /// For internal queries (from `queries/`), not for user input.
    pub fn select(
        &self,
        context: &str,
        query: &str,
        bindings: impl IntoIterator<Item = (Variable, Term)>,
    ) -> Result<Vec<QuerySolution>, GraphError> {
        let mut prepared = SparqlEvaluator::new()
            .parse_query(query)
            .map_err(|source| GraphError::Syntax {
                context: context.into(),
                source,
            })?;
        prepared.dataset_mut().set_default_graph_as_union();
        let mut bound = self.bind(prepared);
        for (variable, term) in bindings {
            bound = bound.substitute_variable(variable, term);
        }
        let evaluation = |source| GraphError::Evaluation {
            context: context.into(),
            source,
        };
        match bound.execute().map_err(evaluation)? {
            QueryResults::Solutions(solutions) => {
                solutions.collect::<Result<Vec<_>, _>>().map_err(evaluation)
            }
            _ => Err(GraphError::NotSelect {
                context: context.into(),
            }),
        }
    }

    /// Number of triples in each named graph, for metrics and status pages.
    pub fn graph_sizes(&self) -> Result<Vec<(String, u64)>, GraphError> {
        let rows = self.select(
            "graph sizes",
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
            [],
        )?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let Some(Term::NamedNode(g)) = row.get("g") else {
                    return None;
                };
                let Some(Term::Literal(n)) = row.get("n") else {
                    return None;
                };
                Some((g.as_str().to_owned(), n.value().parse().ok()?))
            })
            .collect())
    }
}

fn parse_revision(term: Option<Term>) -> u64 {
    match term {
        Some(Term::Literal(l)) => l.value().parse().unwrap_or(0),
        _ => 0,
    }
}

/// The committed revision, read without a transaction (a read-only checkpoint has none).
fn read_revision(store: &Store) -> Result<u64, StorageError> {
    let quad = store
        .quads_for_pattern(
            Some(names::META_GRAPH.into()),
            Some(names::REVISION),
            None,
            Some(names::META_GRAPH.into()),
        )
        .next()
        .transpose()?;
    Ok(parse_revision(quad.map(|q| q.object)))
}

fn read_revision_in(t: &Transaction<'_>) -> Result<u64, StorageError> {
    read_counter_in(t, names::REVISION)
}

fn read_counter_in(t: &Transaction<'_>, predicate: NamedNodeRef<'_>) -> Result<u64, StorageError> {
    let quad = t
        .quads_for_pattern(
            Some(names::META_GRAPH.into()),
            Some(predicate),
            None,
            Some(names::META_GRAPH.into()),
        )
        .next()
        .transpose()?;
    Ok(parse_revision(quad.map(|q| q.object)))
}

/// Hands out the next change-event sequence number inside a write ([`Graph::write`]): the
/// counter lives in the meta graph and commits with the events numbered from it, and writers
/// run one at a time, so a number is never given twice and never goes back, across crashes
/// too (a write that does not commit hands out nothing). Consumers of the change events use
/// the sequence as their cursor.
pub fn next_sequence(t: &mut Transaction<'_>) -> Result<u64, StorageError> {
    let next = read_counter_in(t, names::EVENT_SEQUENCE)? + 1;
    replace_meta(t, names::EVENT_SEQUENCE, &Literal::from(next as i64));
    Ok(next)
}

fn set_revision(t: &mut Transaction<'_>, revision: u64) {
    let value = Literal::from(revision as i64);
    replace_meta(t, names::REVISION, &value);
    // When the revision was made: the dataset's last modification (VoID, export metadata).
    let now = Literal::new_typed_literal(
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        oxigraph::model::vocab::xsd::DATE_TIME,
    );
    replace_meta(t, names::REVISION_TIME, &now);
}

/// Sets the meta graph's one value of `predicate` (about the meta graph itself).
fn replace_meta(t: &mut Transaction<'_>, predicate: NamedNodeRef<'_>, value: &Literal) {
    let old: Vec<_> = t
        .quads_for_pattern(
            Some(names::META_GRAPH.into()),
            Some(predicate),
            None,
            Some(names::META_GRAPH.into()),
        )
        .filter_map(Result::ok)
        .collect();
    for quad in &old {
        t.remove(quad);
    }
    t.insert(QuadRef::new(
        names::META_GRAPH,
        predicate,
        value,
        GraphNameRef::from(names::META_GRAPH),
    ));
}

#[cfg(test)]
impl Graph {
    /// Loads Turtle into one graph in one write, for unit tests.
    pub(crate) fn load_turtle(&self, graph_name: impl Into<oxigraph::model::GraphName>, ttl: &str) {
        let quads: Vec<Quad> = oxigraph::io::RdfParser::from_format(RdfFormat::Turtle)
            .with_default_graph(graph_name)
            .for_slice(ttl.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        self.write(|t| {
            for q in &quads {
                t.insert(q);
            }
            Ok::<_, GraphError>(())
        })
        .unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{NamedNode, TripleRef};

    #[test]
    fn writes_bump_the_revision_and_notify() {
        let graph = Graph::in_memory().unwrap();
        let mut watcher = graph.subscribe();
        assert_eq!(graph.revision(), 0);
        let g = NamedNode::new("https://example.org/g").unwrap();
        let s = NamedNode::new("https://example.org/s").unwrap();
        let rev = graph
            .replace_graph(g.as_ref(), [TripleRef::new(&s, &s, &s)])
            .unwrap();
        assert_eq!(rev, 1);
        assert!(watcher.has_changed().unwrap());
        assert_eq!(*watcher.borrow_and_update(), 1);
        // Replacing again keeps exactly the new content.
        let o = NamedNode::new("https://example.org/o").unwrap();
        graph
            .replace_graph(g.as_ref(), [TripleRef::new(&s, &s, &o)])
            .unwrap();
        let sizes = graph.graph_sizes().unwrap();
        assert!(sizes.contains(&("https://example.org/g".to_string(), 1)));
        assert_eq!(graph.revision(), 2);
    }

    #[test]
    fn sequence_numbers_are_handed_out_once_and_survive_a_drop_all() {
        let graph = Graph::in_memory().unwrap();
        let taken = |graph: &Graph| {
            let mut got = 0;
            graph
                .write(|t| {
                    got = next_sequence(t)?;
                    Ok::<_, GraphError>(())
                })
                .unwrap();
            got
        };
        assert_eq!((taken(&graph), taken(&graph)), (1, 2));
        // A write that fails hands out nothing.
        let failed: Result<u64, GraphError> = graph.write(|t| {
            next_sequence(t)?;
            Err(GraphError::NotSelect {
                context: "test".into(),
            })
        });
        assert!(failed.is_err());
        assert_eq!(graph.last_sequence().unwrap(), 2);
        graph
            .write(|t| {
                t.clear_graph(names::META_GRAPH)?;
                Ok::<_, GraphError>(())
            })
            .unwrap();
        assert_eq!(graph.last_sequence().unwrap(), 2, "never goes back");
        assert_eq!(taken(&graph), 3);
    }
}
