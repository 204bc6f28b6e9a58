//! The change feed: one entry point for "the graph changed", for every store derived from it.
//!
//! Each store downstream of the graph (the derived graph, the search index, the crawl schedules,
//! the alert outbox) is a [`Consumer`]: it knows the graph revision it reflects and brings itself
//! up to the current one in [`Consumer::catch_up`]. A [`ChangeFeed`] holds the consumers in the
//! order they depend on each other and runs them after a write — when a writer asks
//! ([`ChangeFeed::catch_up`], [`ChangeFeed::settle`], so an API call is acknowledged only once
//! search and alerts reflect it) and after any other commit ([`ChangeFeed::watch`]). Consumers
//! compare revisions themselves, so a crash between the graph's commit and a consumer's heals on
//! the next start, and running the feed twice costs nothing.
//!
//! Which consumers exist is decided in one place, `crate::downstream`.

use super::Graph;
use std::sync::{Arc, Mutex, RwLock};

/// How many rounds [`ChangeFeed::catch_up`] runs while consumers' own writes (the derived
/// graph's) keep moving the revision. Two suffice: the derived graph is written at most once.
const MAX_ROUNDS: usize = 4;

/// The error a consumer's catch-up fails with, whatever its module's error type.
pub type ConsumerError = Box<dyn std::error::Error + Send + Sync>;

/// A store derived from the graph.
pub trait Consumer: Send + Sync {
    /// A short name for logs, `/healthz` and metrics (`derived`, `index`, `schedules`, …).
    fn name(&self) -> &'static str;

    /// The graph revision this store reflects; 0 when it does not know (it then catches up).
    fn revision(&self) -> u64;

    /// Brings the store up to the graph's current revision and returns the revision it now
    /// reflects. Called with the feed's lock held, so never twice at once. Blocking.
    fn catch_up(&self, graph: &Graph) -> Result<u64, ConsumerError>;
}

#[derive(Debug, thiserror::Error)]
#[error("{consumer} could not catch up with the graph: {source}")]
pub struct FeedError {
    pub consumer: &'static str,
    #[source]
    pub source: ConsumerError,
}

/// The graph's consumers, run in order. Cheap to clone.
#[derive(Clone)]
pub struct ChangeFeed(Arc<Inner>);

struct Inner {
    graph: Graph,
    consumers: RwLock<Vec<Arc<dyn Consumer>>>,
    /// Serialises catch-ups: a second caller waits, then finds every consumer current.
    running: Mutex<()>,
}

impl ChangeFeed {
    /// A feed over `graph` whose consumers run in the order given.
    pub fn new(graph: Graph, consumers: Vec<Arc<dyn Consumer>>) -> Self {
        Self(Arc::new(Inner {
            graph,
            consumers: RwLock::new(consumers),
            running: Mutex::new(()),
        }))
    }

    /// Appends a consumer that exists only later in a process's life (the schedules of a
    /// running server); it runs after the others.
    pub fn add(&self, consumer: Arc<dyn Consumer>) {
        self.consumers_mut().push(consumer);
    }

    fn consumers(&self) -> Vec<Arc<dyn Consumer>> {
        self.0
            .consumers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn consumers_mut(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Arc<dyn Consumer>>> {
        self.0.consumers.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn graph(&self) -> &Graph {
        &self.0.graph
    }

    /// Each consumer's name and the revision it reflects, in feed order.
    pub fn status(&self) -> Vec<(&'static str, u64)> {
        self.consumers()
            .iter()
            .map(|c| (c.name(), c.revision()))
            .collect()
    }

    /// Brings every consumer up to the graph's current revision, in order, repeating while the
    /// consumers' own writes move it. Every consumer is tried even when an earlier one fails; the
    /// first failure is returned. Returns the revision all consumers reflect. Blocking.
    pub fn catch_up(&self) -> Result<u64, FeedError> {
        let _running = self.0.running.lock().unwrap_or_else(|e| e.into_inner());
        let graph = &self.0.graph;
        let consumers = self.consumers();
        let mut target = graph.revision();
        for _ in 0..MAX_ROUNDS {
            let mut failure = None;
            for consumer in &consumers {
                if consumer.revision() != graph.revision() {
                    pause_if_asked(consumer.name());
                }
                if let Err(source) = consumer.catch_up(graph) {
                    tracing::error!(consumer = consumer.name(), error = %source, "change feed");
                    failure.get_or_insert(FeedError {
                        consumer: consumer.name(),
                        source,
                    });
                }
            }
            if let Some(failure) = failure {
                return Err(failure);
            }
            let now = graph.revision();
            if now == target {
                return Ok(target);
            }
            target = now;
        }
        tracing::warn!(
            revision = target,
            "the graph kept moving while the change feed ran; the watcher runs it again"
        );
        Ok(target)
    }

    /// [`ChangeFeed::catch_up`] on a blocking thread, for async callers: a handler awaits it so
    /// that what it acknowledges is already searchable and queued for alerts.
    pub async fn settle(&self) -> Result<u64, FeedError> {
        let feed = self.clone();
        tokio::task::spawn_blocking(move || feed.catch_up())
            .await
            .unwrap_or_else(|join| {
                Err(FeedError {
                    consumer: "change feed",
                    source: Box::new(join),
                })
            })
    }

    /// Runs the feed after every committed write, until the returned handle is dropped. Needs a
    /// Tokio runtime.
    pub fn watch(&self) -> Watch {
        let feed = self.clone();
        let mut changes = self.0.graph.subscribe();
        Watch(tokio::spawn(async move {
            while changes.changed().await.is_ok() {
                // Failures are logged by catch_up; the next change (or restart) retries.
                let _ = feed.settle().await;
            }
        }))
    }
}

/// The crash tests' hook: with `CROSSWALK_PAUSE_BEFORE=<consumer>` in its environment, the
/// process stops for good before that consumer catches up with a write, so a test can SIGKILL
/// it exactly between the graph's commit and that consumer's (the window in which a crash must
/// lose no alert). Reads keep being answered. Never set in production.
fn pause_if_asked(consumer: &str) {
    static PAUSE_BEFORE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let asked = PAUSE_BEFORE.get_or_init(|| std::env::var("CROSSWALK_PAUSE_BEFORE").ok());
    if asked.as_deref() == Some(consumer) {
        tracing::warn!(
            consumer,
            "CROSSWALK_PAUSE_BEFORE: the change feed stops here"
        );
        loop {
            std::thread::park();
        }
    }
}

/// The running watcher of [`ChangeFeed::watch`]; stops it when dropped.
pub struct Watch(tokio::task::JoinHandle<()>);

impl Drop for Watch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{NamedNode, TripleRef};
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Records what it saw; the first consumer writes once, as the derived graph does.
    struct Probe {
        name: &'static str,
        seen: AtomicU64,
        writes_once: bool,
        fail: bool,
    }

    impl Consumer for Probe {
        fn name(&self) -> &'static str {
            self.name
        }
        fn revision(&self) -> u64 {
            self.seen.load(Ordering::SeqCst)
        }
        fn catch_up(&self, graph: &Graph) -> Result<u64, ConsumerError> {
            if self.fail {
                return Err("refused".into());
            }
            if self.writes_once && self.revision() == 0 {
                let g = NamedNode::new_unchecked("urn:derived");
                graph.replace_graph(g.as_ref(), [TripleRef::new(&g, &g, &g)])?;
            }
            let now = graph.revision();
            self.seen.store(now, Ordering::SeqCst);
            Ok(now)
        }
    }

    fn probe(name: &'static str, writes_once: bool, fail: bool) -> Arc<Probe> {
        Arc::new(Probe {
            name,
            seen: AtomicU64::new(0),
            writes_once,
            fail,
        })
    }

    #[test]
    fn consumers_run_in_order_until_the_revision_stops_moving() {
        let graph = Graph::in_memory().unwrap();
        let g = NamedNode::new_unchecked("urn:g");
        graph
            .replace_graph(g.as_ref(), [TripleRef::new(&g, &g, &g)])
            .unwrap();
        let (derived, index) = (probe("derived", true, false), probe("index", false, false));
        let feed = ChangeFeed::new(graph.clone(), vec![derived.clone(), index.clone()]);
        // The derived write moved the graph to 2; the index, run after it, saw 2.
        assert_eq!(feed.catch_up().unwrap(), 2);
        assert_eq!(feed.status(), vec![("derived", 2), ("index", 2)]);
        assert_eq!(graph.revision(), 2);
    }

    #[test]
    fn a_failing_consumer_does_not_stop_the_others() {
        let graph = Graph::in_memory().unwrap();
        let (broken, index) = (probe("broken", false, true), probe("index", false, false));
        let g = NamedNode::new_unchecked("urn:g");
        graph
            .replace_graph(g.as_ref(), [TripleRef::new(&g, &g, &g)])
            .unwrap();
        let feed = ChangeFeed::new(graph, vec![broken, index.clone()]);
        let error = feed.catch_up().unwrap_err();
        assert_eq!(error.consumer, "broken");
        assert_eq!(index.revision(), 1);
    }
}
