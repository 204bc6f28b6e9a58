//! Interoperability exports and imports on the shipped catalogue, each against a named peer, in
//! one run on a store on disk (release build):
//!
//! * reading every mapping with what the exports carry (`Mappings::read`, one scan of each
//!   property's index) — against the single SELECT with an OPTIONAL per property it replaced;
//! * the full OSCAL export (`oscal::everything`, what `crosswalk export oscal-all` writes):
//!   every framework's catalog and every mapping pair in both directions, derived mappings
//!   included, serialised to JSON — against the same provisions and mappings as Turtle from a
//!   SPARQL CONSTRUCT (`sparql::Engine`, what a client would pull without OSCAL);
//! * one mapping pair (NIST AI RMF → ISO/IEC 42001), what a client usually asks for, read from
//!   the graph as the server does after a write (all mappings, then the pair) — against the same
//!   pair's mappings from a SPARQL SELECT;
//! * the dataset dump, gzipped N-Quads and TriG, against oxigraph's own uncompressed dump
//!   (`Graph::dump`, every graph);
//! * a 10,000-row SSSOM/TSV import (parse, validate every row, write one transaction) against
//!   loading the same mappings as Turtle through `graph::load_file` (no validation), and, apart,
//!   the change feed bringing the derived graph and the search index up to date afterwards.
//!
//! ```sh
//! cargo bench --bench interop
//! cargo bench --bench interop --profile dev   # without a release build of RocksDB
//! ```

use crosswalk::config::Config;
use crosswalk::downstream::Opened;
use crosswalk::export::{dump, oscal};
use crosswalk::graph::codes::Codes;
use crosswalk::graph::{self, Graph};
use crosswalk::import;
use crosswalk::mapping::{Framework, Mappings};
use crosswalk::sparql::format::OutputFormat;
use crosswalk::sparql::{DatasetRequest, Engine, Limits};
use oxigraph::io::RdfFormat;
use oxigraph::model::Term;
use std::io::Write;
use std::time::{Duration, Instant};

const CONSTRUCT_CATALOGUE: &str = "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
CONSTRUCT { ?s ?p ?o } WHERE {
  { ?s a cw:Provision FILTER NOT EXISTS { ?s cw:origin cw:Extracted } } UNION { ?s a cw:Mapping }
  ?s ?p ?o }";
/// How every mapping was read before `Mappings::read` scanned each property's index: one SELECT
/// with an OPTIONAL per property (the peer of the mapping-read row).
const SELECT_MAPPINGS: &str = r#"PREFIX cw: <https://w3id.org/crosswalk/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?mapping ?subject ?object ?subjectInstrument ?objectInstrument ?relationship ?rationale
       ?method ?review ?strength ?confidence ?evidence ?derivedFrom ?source ?creator ?date
       ?comment ?sourceRef ?correction ?derived ?path ?subjectRef ?objectRef ?subjectTitle
       ?objectTitle
WHERE {
  ?mapping a cw:Mapping ; cw:subject ?subject ; cw:object ?object ; cw:relationship ?relationship .
  OPTIONAL { ?subject cw:instrument ?si }
  OPTIONAL { ?object cw:instrument ?oi }
  BIND(COALESCE(?si, ?subject) AS ?subjectInstrument)
  BIND(COALESCE(?oi, ?object) AS ?objectInstrument)
  BIND(EXISTS { ?mapping a cw:DerivedMapping } AS ?derived)
  OPTIONAL { ?mapping cw:rationale ?rationale }
  OPTIONAL { ?mapping cw:method ?method }
  OPTIONAL { ?mapping cw:reviewStatus ?review }
  OPTIONAL { ?mapping cw:strength ?strength }
  OPTIONAL { ?mapping cw:confidence ?confidence }
  OPTIONAL { ?mapping cw:evidenceLevel ?evidence }
  OPTIONAL { ?mapping prov:wasDerivedFrom ?derivedFrom }
  OPTIONAL { ?mapping dcterms:source ?source }
  OPTIONAL { ?mapping dcterms:creator ?creator }
  OPTIONAL { ?mapping dcterms:date ?date }
  OPTIONAL { ?mapping rdfs:comment ?comment }
  OPTIONAL { ?mapping cw:sourceRef ?sourceRef }
  OPTIONAL { ?mapping cw:correction ?correction }
  OPTIONAL { ?mapping cw:path ?path }
  OPTIONAL { ?subject cw:ref ?subjectRef }
  OPTIONAL { ?object cw:ref ?objectRef }
  OPTIONAL { ?subject dcterms:title ?subjectTitle FILTER(LANGMATCHES(LANG(?subjectTitle), "en")) }
  OPTIONAL { ?object dcterms:title ?objectTitle FILTER(LANGMATCHES(LANG(?objectTitle), "en")) }
}"#;
const SELECT_PAIR: &str = "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
PREFIX inst: <https://w3id.org/crosswalk/id/instrument/>
SELECT * WHERE { ?m a cw:Mapping ; cw:subject ?s ; cw:object ?o ; ?p ?v .
  { ?s cw:instrument inst:us-nist-ai-rmf . ?o cw:instrument inst:iso-iec-42001 }
  UNION { ?s cw:instrument inst:iso-iec-42001 . ?o cw:instrument inst:us-nist-ai-rmf } }";

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    let opened = crosswalk::downstream::open(&config).unwrap();
    let graph = opened.graph.clone();
    let codes = Codes::load(&graph).unwrap();
    let engine = Engine::new(
        graph.clone(),
        Limits {
            timeout: Duration::from_secs(600),
            max_rows: usize::MAX,
            max_query_bytes: 1 << 20,
        },
    );
    println!("| what | time | size | peer | peer time | peer size |");
    println!("|---|---:|---:|---|---:|---:|");
    read_mappings(&graph);
    oscal_export(&graph, &codes, &engine);
    one_pair(&graph, &codes, &engine);
    dumps(&graph);
    sssom_import(&opened, &codes, dir.path());
}

fn row(what: &str, secs: f64, bytes: usize, peer: &str, peer_secs: f64, peer_bytes: usize) {
    println!(
        "| {what} | {} | {} | {peer} | {} | {} |",
        time(secs),
        size(bytes),
        time(peer_secs),
        size(peer_bytes)
    );
}

fn time(secs: f64) -> String {
    if secs < 10.0 {
        format!("{:.0} ms", secs * 1000.0)
    } else {
        format!("{secs:.1} s")
    }
}

fn size(bytes: usize) -> String {
    if bytes == 0 {
        "—".into()
    } else if bytes < 1 << 20 {
        format!("{:.0} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / 1048576.0)
    }
}

/// Runs a query the way `/sparql` does and returns its serialised result.
fn sparql(engine: &Engine, query: &str, format: OutputFormat) -> Vec<u8> {
    let prepared = engine.prepare(query, &DatasetRequest::default()).unwrap();
    let mut out = Vec::new();
    engine.run(prepared, format, &mut out).unwrap();
    out
}

fn oscal_export(graph: &Graph, codes: &Codes, engine: &Engine) {
    let start = Instant::now();
    let documents = oscal::everything(graph, codes).unwrap();
    let bytes: usize = documents
        .iter()
        .map(|d| serde_json::to_vec(&d.json).unwrap().len())
        .sum();
    let secs = start.elapsed().as_secs_f64();
    let catalogs = documents
        .iter()
        .filter(|d| d.path.starts_with("catalogs/"))
        .count();
    let start = Instant::now();
    let turtle = sparql(
        engine,
        CONSTRUCT_CATALOGUE,
        OutputFormat::Rdf(RdfFormat::Turtle),
    );
    let peer_secs = start.elapsed().as_secs_f64();
    row(
        &format!(
            "full OSCAL export: {catalogs} catalogs + {} mapping documents",
            documents.len() - catalogs
        ),
        secs,
        bytes,
        "the same provisions and mappings as Turtle (SPARQL CONSTRUCT)",
        peer_secs,
        turtle.len(),
    );
}

fn read_mappings(graph: &Graph) {
    let start = Instant::now();
    let mappings = Mappings::read(graph).unwrap();
    let secs = start.elapsed().as_secs_f64();
    let count = mappings.len();
    let start = Instant::now();
    let rows = graph.select("bench", SELECT_MAPPINGS, []).unwrap();
    let peer_secs = start.elapsed().as_secs_f64();
    row(
        &format!("read every mapping (`Mappings::read`, {count} mappings)"),
        secs,
        0,
        &format!(
            "one SELECT with an OPTIONAL per property ({} rows)",
            rows.len()
        ),
        peer_secs,
        0,
    );
}

fn one_pair(graph: &Graph, codes: &Codes, engine: &Engine) {
    let start = Instant::now();
    let from = Framework::resolve(graph, codes, "us-nist-ai-rmf").unwrap();
    let to = Framework::resolve(graph, codes, "iso-iec-42001").unwrap();
    let set = Mappings::read(graph).unwrap().set(from, to, false);
    let (a, b) = (
        oscal::Outline::load(graph, set.from.clone()).unwrap(),
        oscal::Outline::load(graph, set.to.clone()).unwrap(),
    );
    let context = oscal::Context::new(graph).unwrap();
    let document = oscal::mapping(&context, &set, &a, &b).unwrap();
    let bytes = serde_json::to_vec(&document).unwrap().len();
    let secs = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let json = sparql(
        engine,
        SELECT_PAIR,
        OutputFormat::Results(oxigraph::sparql::results::QueryResultsFormat::Json),
    );
    let peer_secs = start.elapsed().as_secs_f64();
    row(
        &format!(
            "OSCAL mapping NIST AI RMF → ISO/IEC 42001 ({} maps), mappings read cold",
            set.mappings.len()
        ),
        secs,
        bytes,
        "the pair's mapping statements as SPARQL JSON results",
        peer_secs,
        json.len(),
    );
}

fn dumps(graph: &Graph) {
    for (name, format) in [("N-Quads", RdfFormat::NQuads), ("TriG", RdfFormat::TriG)] {
        let start = Instant::now();
        let mut gz = Vec::new();
        dump::write(graph, format, true, &mut gz).unwrap();
        let secs = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let plain = graph.dump(format, Vec::new()).unwrap();
        let peer_secs = start.elapsed().as_secs_f64();
        row(
            &format!("dump, gzipped {name}"),
            secs,
            gz.len(),
            "oxigraph's dump (`Graph::dump`), uncompressed",
            peer_secs,
            plain.len(),
        );
    }
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

fn sssom_import(opened: &Opened, codes: &Codes, dir: &std::path::Path) {
    let graph = &opened.graph;
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
    let start = Instant::now();
    opened.catch_up().unwrap();
    let derived = start.elapsed().as_secs_f64();
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
        "`graph::load_file` of the same mappings as Turtle",
        peer,
        turtle.len(),
    );
    println!(
        "\nafter the import, the change feed (derived graph, search index) caught up in {}",
        time(derived)
    );
}
