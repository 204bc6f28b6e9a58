//! Shared by the fuzz targets: the shipped catalogue in an in-memory graph, its search index,
//! the saved queries, and the checks every extraction result must pass.
#![allow(dead_code)]

use crosswalk::config::Config;
use crosswalk::extract::Extracted;
use crosswalk::graph::{self, Graph};
use crosswalk::index::{SearchIndex, SearchRequest};
use crosswalk::sparql::saved::SavedQueries;
use std::collections::HashSet;
use std::path::Path;
use std::sync::OnceLock;

/// The default configuration with the checkout's ontology, seeds and queries, whatever the
/// working directory (`cargo fuzz` runs in `fuzz/`, whose `seeds/` are fuzzing seeds).
pub fn config() -> Config {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    Config {
        ontology_dir: root.join("ontology"),
        seeds_dir: root.join("seeds"),
        queries_dir: root.join("queries"),
        ..Config::default()
    }
}

/// The ontology and curated seeds, loaded and derived as `crosswalk serve` does, in memory.
pub fn catalogue() -> &'static Graph {
    static GRAPH: OnceLock<Graph> = OnceLock::new();
    GRAPH.get_or_init(|| {
        let graph = Graph::in_memory().expect("in-memory graph");
        let report =
            graph::load_seed_dirs(&graph, &crosswalk::seed_roots(&config())).expect("seed files");
        assert!(report.errors.is_empty(), "seed errors: {:?}", report.errors);
        assert!(!report.loaded.is_empty(), "no seed files found");
        graph::derive::refresh(&graph).expect("derived mappings");
        graph
    })
}

/// The search index of the catalogue, built with the service's schema and analysers.
pub fn search_index() -> &'static SearchIndex {
    static INDEX: OnceLock<SearchIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        // The directory is deleted when `dir` drops; the committed segments stay readable
        // through the files and maps the index holds open, so no directory is left behind.
        let dir = tempfile::tempdir().expect("temp dir");
        let index = SearchIndex::open(dir.path(), catalogue()).expect("search index");
        let probe = SearchRequest {
            q: "risk".into(),
            ..SearchRequest::default()
        };
        let found = index.search(&probe).expect("probe search");
        assert!(found.total > 0, "the catalogue index answers nothing");
        index
    })
}

/// `queries/*.rq`, as the server loads them.
pub fn saved_queries() -> &'static SavedQueries {
    static SAVED: OnceLock<SavedQueries> = OnceLock::new();
    SAVED.get_or_init(|| SavedQueries::load(&config().queries_dir).expect("saved queries"))
}

/// What extraction promises about any result it returns.
pub fn check_extracted(extracted: &Extracted) {
    assert!(
        !extracted.text.trim().is_empty(),
        "extraction succeeded without text"
    );
    let mut ids = HashSet::new();
    for (i, p) in extracted.provisions.iter().enumerate() {
        assert!(!p.id.is_empty(), "provision without an id: {p:?}");
        assert_eq!(p.order, i, "provision {} out of document order", p.id);
        if let Some(parent) = &p.parent {
            assert!(
                ids.contains(parent.as_str()),
                "parent {parent:?} of {:?} is not an earlier provision",
                p.id
            );
        }
        assert!(
            ids.insert(p.id.as_str()),
            "duplicate provision id {:?}",
            p.id
        );
    }
    for o in &extracted.obligations {
        assert!(
            ids.contains(o.provision.as_str()),
            "obligation in unknown provision {:?}",
            o.provision
        );
        assert!(
            (0.0..=1.0).contains(&o.confidence),
            "confidence {} out of range",
            o.confidence
        );
        assert!(!o.sentence.trim().is_empty(), "empty obligation sentence");
        assert!(!o.marker.is_empty(), "obligation without its marker");
    }
}
