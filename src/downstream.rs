//! Everything downstream of the graph, assembled in one place: the consumers of its change feed
//! ([`crate::graph::feed`]), in the order they depend on each other — the derived graph first
//! (the index reads derived mappings), then the search index, then the alert outbox (which
//! reads change events and standing queries), then (in a running server) the crawl schedules.
//!
//! The server, the scheduler's crawls and every CLI command that writes reach these stores
//! through the one [`ChangeFeed`] built here, so adding a consumer is one line in
//! [`Downstream::open`] (ARCHITECTURE.md, "Adding a consumer").

use crate::alerts::{AlertError, Alerts, Outbox};
use crate::config::Config;
use crate::graph::derive::Derived;
use crate::graph::feed::{ChangeFeed, Consumer, FeedError};
use crate::graph::{Graph, GraphError};
use crate::index::{IndexError, SearchIndex};
use crate::schedule::Scheduler;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum DownstreamError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error(transparent)]
    Alerts(#[from] AlertError),
}

/// The graph's change feed and the stores on it that others query directly.
#[derive(Clone)]
pub struct Downstream {
    feed: ChangeFeed,
    index: Option<SearchIndex>,
    outbox: Option<Arc<Outbox>>,
}

impl Downstream {
    /// Opens every store derived from the graph (the search index at `<data>/index`, unless
    /// `search.enabled` is off; the alert outbox in the ops database, unless `alerts.enabled`
    /// is off) and puts each on one change feed. They are not caught up yet: call
    /// [`ChangeFeed::catch_up`].
    pub fn open(config: &Config, graph: &Graph) -> Result<Self, DownstreamError> {
        let mut consumers: Vec<Arc<dyn Consumer>> = vec![Arc::new(Derived::default())];
        let index = if config.search.enabled {
            let index = SearchIndex::open_behind(&config.index_dir(), graph)?;
            consumers.push(Arc::new(index.clone()));
            Some(index)
        } else {
            None
        };
        let outbox = if config.alerts.enabled {
            let outbox = Arc::new(Alerts::open(config)?.outbox()?);
            consumers.push(outbox.clone());
            Some(outbox)
        } else {
            None
        };
        Ok(Self {
            feed: ChangeFeed::new(graph.clone(), consumers),
            index,
            outbox,
        })
    }

    /// Puts a running server's crawl schedules on the feed, after the stores.
    pub fn add_schedules(&self, scheduler: Arc<Scheduler>) {
        self.feed.add(scheduler);
    }

    pub fn feed(&self) -> &ChangeFeed {
        &self.feed
    }

    pub fn graph(&self) -> &Graph {
        self.feed.graph()
    }

    /// The search index; `None` when `search.enabled` is off.
    pub fn index(&self) -> Option<&SearchIndex> {
        self.index.as_ref()
    }

    /// The alert outbox; `None` when `alerts.enabled` is off.
    pub fn outbox(&self) -> Option<&Arc<Outbox>> {
        self.outbox.as_ref()
    }

    /// The alert side (subscriptions, deliveries); `None` when `alerts.enabled` is off.
    pub fn alerts(&self) -> Option<&Alerts> {
        self.outbox.as_deref().map(Outbox::alerts)
    }
}

/// A store opened for writing with everything downstream caught up.
#[cfg(feature = "rocksdb")]
pub struct Opened {
    pub graph: Graph,
    pub downstream: Downstream,
    pub seeds: crate::graph::SeedReport,
}

#[cfg(feature = "rocksdb")]
impl Opened {
    /// Brings everything downstream up to date after this process wrote (a CLI command calls it
    /// before it exits). Blocking.
    pub fn catch_up(&self) -> Result<u64, DownstreamError> {
        Ok(self.downstream.feed().catch_up()?)
    }
}

/// Opens `<data>/graph` for writing, loads changed seed files and brings everything downstream
/// up to date. Only one process may hold the store: while `crosswalk serve` runs, use its HTTP
/// API instead (the error says so).
#[cfg(feature = "rocksdb")]
pub fn open(config: &Config) -> Result<Opened, DownstreamError> {
    let graph = Graph::open(&config.graph_dir())?;
    let before = graph.revision();
    let seeds = crate::graph::load_seed_dirs(&graph, &crate::seed_roots(config))?;
    // Change events from before events were numbered get their numbers once.
    let numbered = crate::crawl::number_unnumbered(&graph)?;
    if numbered > 0 {
        tracing::info!(numbered, "numbered earlier change events");
    }
    let downstream = Downstream::open(config, &graph)?;
    let revision = downstream.feed().catch_up()?;
    // RocksDB does not flush on recovery here, so without this the whole catalogue would be
    // served from the write-ahead log's memtable after every restart; compact after changes.
    graph.settle(revision != before)?;
    tracing::info!(
        loaded = seeds.loaded.len(),
        unchanged = seeds.unchanged,
        revision,
        "graph ready"
    );
    Ok(Opened {
        graph,
        downstream,
        seeds,
    })
}
