//! Interoperability exports and imports on the shipped catalogue, each against a named peer, in
//! one run on a store on disk (release build):
//!
//! * the full OSCAL export — every framework's catalog and every mapping pair in both directions
//!   (what a GRC tool pulling everything fetches) — against serialising the same seed graphs as
//!   Turtle (what a client gets from `/sparql` with a CONSTRUCT of them);
//! * the dataset dump, gzipped N-Quads and TriG, against oxigraph's own uncompressed
//!   `Store::dump_to_writer`;
//! * a 10,000-row SSSOM/TSV import (parse, validate every row, write one transaction; the
//!   derivation refresh that follows an import is not timed: its cost depends on how the new
//!   mappings chain with the catalogue's) against loading the same mappings as Turtle through
//!   `graph::load_file` (no validation).
//!
//! ```sh
//! cargo bench --bench interop
//! ```

use crosswalk::config::Config;
use crosswalk::export::{dump, oscal};
use crosswalk::graph::codes::Codes;
use crosswalk::graph::{self, Graph};
use crosswalk::import;
use crosswalk::mapping::{Framework, MappingSet};
use oxigraph::io::RdfFormat;
use oxigraph::model::Term;
use std::io::Write;
use std::time::Instant;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    let (graph, _) = crosswalk::open_graph(&config).unwrap();
    let codes = Codes::load(&graph).unwrap();
    println!("| what | time | size | peer | peer time | peer size |");
    println!("|---|---:|---:|---|---:|---:|");
    oscal_export(&graph, &codes);
    dumps(&graph);
    sssom_import(&graph, &codes, dir.path());
}

fn row(what: &str, secs: f64, bytes: usize, peer: &str, peer_secs: f64, peer_bytes: usize) {
    println!(
        "| {what} | {:.0} ms | {:.1} MiB | {peer} | {:.0} ms | {:.1} MiB |",
        secs * 1000.0,
        bytes as f64 / 1048576.0,
        peer_secs * 1000.0,
        peer_bytes as f64 / 1048576.0
    );
}

fn strings(graph: &Graph, query: &str, var: &str) -> Vec<String> {
    graph
        .select("bench", query, [])
        .unwrap()
        .iter()
        .filter_map(|r| match r.get(var) {
            Some(Term::Literal(l)) => Some(l.value().to_owned()),
            Some(Term::NamedNode(n)) => Some(n.as_str().to_owned()),
            _ => None,
        })
        .collect()
}

fn oscal_export(graph: &Graph, codes: &Codes) {
    let frameworks = strings(
        graph,
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#> SELECT DISTINCT ?code WHERE { ?p a cw:Provision ; cw:instrument ?i BIND(STRAFTER(STR(?i), \"/instrument/\") AS ?code) } ORDER BY ?code",
        "code",
    );
    let pairs = graph
        .select(
            "bench",
            "PREFIX cw: <https://w3id.org/crosswalk/ontology#> SELECT DISTINCT ?a ?b WHERE { ?m a cw:Mapping ; cw:subject ?s ; cw:object ?o . ?s cw:instrument ?a . ?o cw:instrument ?b FILTER(?a != ?b) }",
            [],
        )
        .unwrap();
    let start = Instant::now();
    let mut bytes = 0;
    let mut documents = 0;
    for code in &frameworks {
        let outline =
            oscal::Outline::load(graph, Framework::resolve(graph, codes, code).unwrap()).unwrap();
        bytes += serde_json::to_vec(&oscal::catalog(graph, &outline).unwrap())
            .unwrap()
            .len();
        documents += 1;
    }
    for pair in &pairs {
        let iri = |v: &str| match pair.get(v) {
            Some(Term::NamedNode(n)) => n.as_str().to_owned(),
            _ => unreachable!(),
        };
        for (a, b) in [(iri("a"), iri("b")), (iri("b"), iri("a"))] {
            let from = Framework::resolve(graph, codes, &a).unwrap();
            let to = Framework::resolve(graph, codes, &b).unwrap();
            let set = MappingSet::read(graph, from.clone(), to.clone(), true).unwrap();
            let (x, y) = (
                oscal::Outline::load(graph, from).unwrap(),
                oscal::Outline::load(graph, to).unwrap(),
            );
            if let Ok(document) = oscal::mapping(graph, &set, &x, &y) {
                bytes += serde_json::to_vec(&document).unwrap().len();
                documents += 1;
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    // Peer: the seed graphs of the same content as Turtle.
    let start = Instant::now();
    let mut turtle = Vec::new();
    for graph_name in strings(
        graph,
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), \"https://w3id.org/crosswalk/graph/seed/\")) }",
        "g",
    ) {
        let name = oxigraph::model::NamedNode::new(graph_name).unwrap();
        graph
            .store()
            .dump_graph_to_writer(&name, RdfFormat::Turtle, &mut turtle)
            .unwrap();
    }
    let peer_secs = start.elapsed().as_secs_f64();
    row(
        &format!(
            "OSCAL export: {} catalogs + mapping documents ({documents} documents)",
            frameworks.len()
        ),
        secs,
        bytes,
        "seed graphs as Turtle",
        peer_secs,
        turtle.len(),
    );
}

fn dumps(graph: &Graph) {
    for (name, format) in [("N-Quads", RdfFormat::NQuads), ("TriG", RdfFormat::TriG)] {
        let start = Instant::now();
        let mut gz = Vec::new();
        dump::write(graph, format, true, &mut gz).unwrap();
        let secs = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let plain = graph.store().dump_to_writer(format, Vec::new()).unwrap();
        let peer_secs = start.elapsed().as_secs_f64();
        row(
            &format!("dump, gzipped {name}"),
            secs,
            gz.len(),
            "Store::dump_to_writer, uncompressed",
            peer_secs,
            plain.len(),
        );
    }
}

fn sssom_import(graph: &Graph, codes: &Codes, dir: &std::path::Path) {
    // 10,000 distinct (subject, object, predicate) rows over the catalogue's provisions.
    let provisions = strings(
        graph,
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#> SELECT ?p WHERE { ?p a cw:Provision ; cw:instrument ?i FILTER NOT EXISTS { ?p cw:origin cw:Extracted } } ORDER BY ?p",
        "p",
    );
    let predicates = [
        "skos:relatedMatch",
        "skos:closeMatch",
        "skos:exactMatch",
        "skos:broadMatch",
    ];
    let mut tsv = String::from(
        "#mapping_set_id: https://example.org/bench\nsubject_id\tpredicate_id\tobject_id\tmapping_justification\tconfidence\tmapping_date\tcomment\n",
    );
    let mut turtle = String::from("@prefix cw: <https://w3id.org/crosswalk/ontology#> .\n");
    let n = provisions.len();
    let mut rows = 0;
    'outer: for step in 1..n {
        for i in 0..n {
            let (s, o) = (&provisions[i], &provisions[(i + step) % n]);
            let p = predicates[(i + step) % predicates.len()];
            tsv.push_str(&format!("<{s}>\t{p}\t<{o}>\tsemapv:ManualMappingCuration\t0.{}\t2026-01-15\tbench row {rows}\n", 1 + rows % 9));
            turtle.push_str(&format!("<urn:bench:m{rows}> a cw:Mapping ; cw:subject <{s}> ; cw:object <{o}> ; cw:relationship cw:related ; cw:confidence 0.5 .\n"));
            rows += 1;
            if rows == 10_000 {
                break 'outer;
            }
        }
    }
    let options = import::Options {
        name: "bench".into(),
        format: import::Format::Sssom,
        partial: false,
        review_status: "draft".into(),
        origin: None,
    };
    let start = Instant::now();
    let parsed = import::sssom::parse(tsv.as_bytes(), codes).unwrap();
    let report = import::import(graph, codes, parsed, &options).unwrap();
    let imported = start.elapsed().as_secs_f64();
    assert_eq!(report.accepted, 10_000);
    let file = dir.join("bench-mappings.ttl");
    std::fs::File::create(&file)
        .unwrap()
        .write_all(turtle.as_bytes())
        .unwrap();
    let start = Instant::now();
    graph::load_file(graph, &file).unwrap();
    let peer = start.elapsed().as_secs_f64();
    row(
        "SSSOM import, 10,000 rows (parse, validate, write)",
        imported,
        tsv.len(),
        "graph::load_file of the same mappings as Turtle",
        peer,
        turtle.len(),
    );
}
