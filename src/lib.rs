//! Crosswalk tracks AI-governance law and policy and serves it as a knowledge graph.
//!
//! The modules in the order the pipeline runs (ARCHITECTURE.md has the whole map):
//!
//! ```text
//!  seeds/ ─► graph ◄─ source → schedule → fetch → extract → snapshot → diff → crawl
//!              │ change feed (graph::feed), consumers assembled in `downstream`
//!              ├─► derived graph (graph::derive)
//!              ├─► index (Tantivy)
//!              └─► schedules
//!  graph ─► sparql (+ index's SERVICE) ─► web (pages) ─► server (HTTP) ─► binary (cli/)
//! ```
//!
//! Imports only go down this list: a module uses the ones declared before it, never one after
//! (`tests/architecture.rs` checks it). `config`, `graph` and `opsdb` are the foundations every
//! stage stands on; the stages follow in pipeline order; `downstream` wires the graph's
//! consumers; `web` renders the analyst pages (an edge too: its errors become HTML pages); `server`
//! is the edge where errors become HTTP answers, and mounts the pages.

// Foundations.
pub mod config;
pub mod graph;
pub mod opsdb;
// The tracking pipeline, in order.
pub mod source;
pub mod validate;
pub mod schedule;
pub mod fetch;
pub mod extract;
pub mod snapshot;
pub mod diff;
pub mod crawl;
// The change history read from the graph (history API, feeds, alert outbox).
pub mod changes;
// Keeping the data: copies and retention of crawl history.
pub mod backup;
pub mod retention;
// What is built from the graph, and how it is served.
pub mod sparql;
pub mod index;
pub mod mapping;
pub mod export;
pub mod import;
pub mod questionnaire;
pub mod alerts;
pub mod downstream;
pub mod web;
pub mod server;

use config::Config;

/// The seed roots and the label of their named graphs: ontology first, then curated data.
pub fn seed_roots(config: &Config) -> [(&'static str, &std::path::Path); 2] {
    [
        ("ontology", config.ontology_dir.as_path()),
        ("seed", config.seeds_dir.as_path()),
    ]
}
