//! Seeds reload idempotently on the real on-disk store: a changed file replaces exactly its graph.

use crosswalk::graph::{Graph, load_seed_dirs};

fn graph_triples(graph: &Graph, suffix: &str) -> Vec<String> {
    let mut rows: Vec<String> = graph
        .select(
            "test",
            &format!(
                "SELECT ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRENDS(STR(?g), \"{suffix}\")) }}"
            ),
            [],
        )
        .unwrap()
        .iter()
        .map(|r| format!("{} {} {}", r.get("s").unwrap(), r.get("p").unwrap(), r.get("o").unwrap()))
        .collect();
    rows.sort();
    rows
}

#[test]
fn changed_seed_file_replaces_exactly_its_graph_across_restarts() {
    let seeds = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(seeds.path().join("eu")).unwrap();
    std::fs::write(
        seeds.path().join("eu/a.ttl"),
        "<urn:a> <urn:p> \"one\" , \"two\" .",
    )
    .unwrap();
    std::fs::write(seeds.path().join("b.ttl"), "<urn:b> <urn:p> \"kept\" .").unwrap();
    let roots = [("seed", seeds.path())];

    let (b_before, revision) = {
        let graph = Graph::open(data.path()).unwrap();
        let report = load_seed_dirs(&graph, &roots).unwrap();
        assert_eq!(report.loaded.len(), 2);
        (graph_triples(&graph, "seed/b.ttl"), graph.revision())
    }; // dropping the graph releases RocksDB's lock, as a server stop would

    {
        let graph = Graph::open(data.path()).unwrap();
        let report = load_seed_dirs(&graph, &roots).unwrap();
        assert!(!report.changed(), "nothing changed, nothing reloaded");
        assert_eq!(graph.revision(), revision);
    }

    std::fs::write(seeds.path().join("eu/a.ttl"), "<urn:a> <urn:p> \"three\" .").unwrap();
    let graph = Graph::open(data.path()).unwrap();
    let report = load_seed_dirs(&graph, &roots).unwrap();
    assert_eq!(report.loaded.len(), 1);
    assert!(report.loaded[0].0.ends_with("a.ttl"));
    assert_eq!(graph.revision(), revision + 1, "one atomic write");
    assert_eq!(
        graph_triples(&graph, "seed/eu/a.ttl"),
        vec!["<urn:a> <urn:p> \"three\"".to_string()]
    );
    assert_eq!(
        graph_triples(&graph, "seed/b.ttl"),
        b_before,
        "the unchanged file's graph is untouched"
    );
}
