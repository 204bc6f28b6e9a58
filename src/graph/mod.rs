//! The knowledge graph: Oxigraph on RocksDB at `<data>/graph`, organised in named graphs.
//! The on-disk store (`Graph::open`) needs the `rocksdb` feature (on by default); in-memory
//! graphs ([`Graph::in_memory`]) do not.
//!
//! Every write goes through [`Graph::write`], which runs in one transaction and bumps the graph
//! *revision* in the same transaction. Derived stores (the search index) record the revision they
//! reflect and watch [`Graph::subscribe`] to catch up, so a crash between the graph commit and
//! the index commit heals on the next start.

pub mod codes;
pub mod derive;
pub mod names;
mod seeds;

pub use seeds::{SeedReport, load_file, load_seed_dirs};

use oxigraph::model::{GraphNameRef, Literal, NamedNodeRef, QuadRef, Term};
use oxigraph::sparql::{QueryResults, QuerySolution, SparqlEvaluator, Variable};
use oxigraph::store::{StorageError, Store, Transaction};
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error(
        "the graph store at {path} is locked by another process (is `crosswalk serve` running? use its HTTP API instead): {source}"
    )]
    Locked { path: String, source: StorageError },
    #[error("graph storage error: {0}")]
    Storage(#[from] StorageError),
    #[error("invalid SPARQL in {context}: {message}")]
    Syntax { context: String, message: String },
    #[error("SPARQL evaluation failed in {context}: {message}")]
    Evaluation { context: String, message: String },
    #[error("cannot parse {file}: {message}")]
    Parse { file: String, message: String },
    #[error("cannot read {file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
}

/// A cheap-to-clone handle on the store.
#[derive(Clone)]
pub struct Graph {
    store: Store,
    revision: Arc<watch::Sender<u64>>,
}

impl Graph {
    /// Opens (creating if needed) the RocksDB store in `dir`. Only one process may hold it.
    #[cfg(feature = "rocksdb")]
    pub fn open(dir: &std::path::Path) -> Result<Self, GraphError> {
        std::fs::create_dir_all(dir).map_err(|source| GraphError::Io {
            file: dir.display().to_string(),
            source,
        })?;
        let store = Store::open(dir).map_err(|source| {
            if source.to_string().to_lowercase().contains("lock") {
                GraphError::Locked {
                    path: dir.display().to_string(),
                    source,
                }
            } else {
                GraphError::Storage(source)
            }
        })?;
        Self::from_store(store)
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
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
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

    /// Runs `f` in one transaction and bumps the revision in it. Returns the new revision.
    /// Blocking: call from a blocking thread in async code.
    pub fn write<E>(&self, f: impl FnOnce(&mut Transaction<'_>) -> Result<(), E>) -> Result<u64, E>
    where
        E: From<StorageError>,
    {
        let mut transaction = self.store.start_transaction()?;
        f(&mut transaction)?;
        // An update may have dropped the meta graph (`DROP ALL`): the counter never goes back.
        let next = read_revision_in(&transaction)?.max(self.revision()) + 1;
        set_revision(&mut transaction, next);
        transaction.commit()?;
        self.revision.send_replace(next);
        Ok(next)
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

    /// Runs a SELECT over the union of all named graphs, binding `bindings` as typed terms.
    /// For internal queries (from `queries/`), not for user input.
    pub fn select(
        &self,
        context: &str,
        query: &str,
        bindings: impl IntoIterator<Item = (Variable, Term)>,
    ) -> Result<Vec<QuerySolution>, GraphError> {
        let mut prepared =
            SparqlEvaluator::new()
                .parse_query(query)
                .map_err(|e| GraphError::Syntax {
                    context: context.into(),
                    message: e.to_string(),
                })?;
        prepared.dataset_mut().set_default_graph_as_union();
        let mut bound = prepared.on_store(&self.store);
        for (variable, term) in bindings {
            bound = bound.substitute_variable(variable, term);
        }
        let evaluation = |e: oxigraph::sparql::QueryEvaluationError| GraphError::Evaluation {
            context: context.into(),
            message: e.to_string(),
        };
        match bound.execute().map_err(evaluation)? {
            QueryResults::Solutions(solutions) => {
                solutions.collect::<Result<Vec<_>, _>>().map_err(evaluation)
            }
            _ => Err(GraphError::Evaluation {
                context: context.into(),
                message: "expected a SELECT query".into(),
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

/// Reads through a transaction that is dropped uncommitted, so there is one way to read it.
fn read_revision(store: &Store) -> Result<u64, StorageError> {
    read_revision_in(&store.start_transaction()?)
}

fn read_revision_in(t: &Transaction<'_>) -> Result<u64, StorageError> {
    let quad = t
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

/// When the current revision was committed (RFC 3339, UTC), if the store records it.
pub fn revision_time(graph: &Graph) -> Result<Option<String>, StorageError> {
    Ok(graph
        .store
        .quads_for_pattern(
            Some(names::META_GRAPH.into()),
            Some(names::REVISION_TIME),
            None,
            Some(names::META_GRAPH.into()),
        )
        .next()
        .transpose()?
        .and_then(|q| match q.object {
            Term::Literal(l) => Some(l.value().to_owned()),
            _ => None,
        }))
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
}
