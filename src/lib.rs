//! Crosswalk tracks AI-governance law and policy and serves it as a knowledge graph.
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//!
//! ```text
//! seeds/ ──► graph ◄── source → schedule → fetch → extract → snapshot → diff
//!              │
//!              ├──► sparql (queries, saved queries) ──► server (HTTP)
//!              └──► validate (constraint checks)
//! ```

pub mod config;
pub mod crawl;
pub mod diff;
pub mod export;
pub mod extract;
pub mod fetch;
pub mod graph;
pub mod import;
pub mod index;
pub mod mapping;
pub mod ops;
pub mod questionnaire;
pub mod schedule;
pub mod server;
pub mod snapshot;
pub mod source;
pub mod sparql;
pub mod validate;

use config::Config;

/// The seed roots and the label of their named graphs: ontology first, then curated data.
pub fn seed_roots(config: &Config) -> [(&'static str, &std::path::Path); 2] {
    [
        ("ontology", config.ontology_dir.as_path()),
        ("seed", config.seeds_dir.as_path()),
    ]
}

/// Opens `<data>/graph` for writing, loads changed seed files and refreshes derived knowledge.
/// Only one process may hold the store: while `crosswalk serve` runs, use its HTTP API instead
/// (the error says so). Needs the `rocksdb` feature.
#[cfg(feature = "rocksdb")]
pub fn open_graph(config: &Config) -> Result<(graph::Graph, graph::SeedReport), graph::GraphError> {
    let graph = graph::Graph::open(&config.graph_dir())?;
    let report = graph::load_seed_dirs(&graph, &seed_roots(config))?;
    let derived = graph::derive::refresh(&graph)?;
    // RocksDB does not flush on recovery here, so without this the whole catalogue would be
    // served from the write-ahead log's memtable after every restart.
    graph.settle(report.changed() || derived.changed)?;
    tracing::info!(
        loaded = report.loaded.len(),
        unchanged = report.unchanged,
        derived_mappings = derived.derived_mappings,
        revision = graph.revision(),
        "graph ready"
    );
    Ok((graph, report))
}
