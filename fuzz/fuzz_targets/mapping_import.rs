//! Mapping files from outside → `import::sssom::parse` (SSSOM/TSV with its YAML block) or
//! `import::oscal::parse` (OSCAL control-mapping JSON) → `import::import` on an in-memory graph
//! holding two tiny frameworks.
//!
//! Input: the first byte picks the format (even: SSSOM, odd: OSCAL), the rest is the file.
//! Checks: no panic; a file that cannot be read is a `Malformed` error, never a graph error;
//! every rejection names its row, field and reason; with `partial`, every row is either
//! accepted or rejected, and exactly the accepted mappings are written; without it, a rejected
//! row means nothing was written.
#![no_main]

use crosswalk::graph::Graph;
use crosswalk::graph::codes::Codes;
use crosswalk::import::{self, Format, ImportError, Options};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;
use std::sync::OnceLock;

const CATALOGUE: &str = r#"
@prefix cw: <https://w3id.org/crosswalk/ontology#> .
@prefix eli: <http://data.europa.eu/eli/ontology#> .
@prefix inst: <https://w3id.org/crosswalk/id/instrument/> .
@prefix a: <https://w3id.org/crosswalk/id/provision/fw-a/> .
@prefix b: <https://w3id.org/crosswalk/id/provision/fw-b/> .
inst:fw-a a cw:Instrument . inst:fw-b a cw:Instrument .
a:G a cw:Provision ; cw:instrument inst:fw-a ; cw:ref "G" .
a:G-1 a cw:Provision ; cw:instrument inst:fw-a ; eli:is_part_of a:G ; cw:ref "G 1" .
b:4 a cw:Provision ; cw:instrument inst:fw-b ; cw:ref "4" ; cw:provisionType "clause" .
b:4.1 a cw:Provision ; cw:instrument inst:fw-b ; eli:is_part_of b:4 ; cw:ref "4.1" ; cw:provisionType "clause" .
"#;

fn fixture() -> &'static (Graph, Codes) {
    static FIXTURE: OnceLock<(Graph, Codes)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let graph = Graph::in_memory().expect("in-memory graph");
        let quads: Vec<_> = oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::Turtle)
            .with_default_graph(oxigraph::model::NamedNode::new_unchecked("urn:fuzz:seed"))
            .for_slice(CATALOGUE.as_bytes())
            .collect::<Result<_, _>>()
            .expect("fixture catalogue");
        graph
            .write(|t| {
                for q in &quads {
                    t.insert(q);
                }
                Ok::<_, crosswalk::graph::GraphError>(())
            })
            .expect("fixture write");
        let codes = Codes::load(&graph).expect("codes");
        (graph, codes)
    })
}

fn imported(graph: &Graph) -> usize {
    graph
        .select(
            "fuzz",
            "SELECT ?m WHERE { GRAPH <https://w3id.org/crosswalk/graph/import/fuzz> { ?m a <https://w3id.org/crosswalk/ontology#Mapping> } }",
            [],
        )
        .expect("count")
        .len()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let (graph, codes) = fixture();
    let format = if selector % 2 == 0 {
        Format::Sssom
    } else {
        Format::Oscal
    };
    let rows = match format {
        Format::Sssom => import::sssom::parse(file, codes),
        Format::Oscal => import::oscal::parse(graph, codes, file),
    };
    let rows = match rows {
        Ok(rows) => rows,
        Err(ImportError::Malformed(_)) => return,
        Err(other) => panic!("reading a file is not a {other:?}"),
    };
    let total = rows.len();
    let partial = selector & 2 == 2;
    let options = Options {
        name: "fuzz".into(),
        format,
        partial,
        review_status: "draft".into(),
        origin: None,
    };
    let before = graph.revision();
    match import::import(graph, codes, rows, &options) {
        Ok(report) => {
            assert!(report.written);
            assert!(partial || report.rejected.is_empty());
            let rejected_rows: BTreeSet<&str> =
                report.rejected.iter().map(|r| r.locator.as_str()).collect();
            assert_eq!(report.accepted + rejected_rows.len(), total, "{report:?}");
            assert_eq!(imported(graph), report.accepted);
        }
        Err(ImportError::Rejected(report)) => {
            assert!(!partial);
            assert!(!report.written && !report.rejected.is_empty());
            for r in &report.rejected {
                assert!(
                    !r.locator.is_empty() && !r.field.is_empty() && !r.reason.is_empty(),
                    "{r:?}"
                );
            }
            assert_eq!(graph.revision(), before, "a rejected import writes nothing");
        }
        Err(ImportError::Malformed(_)) => assert_eq!(graph.revision(), before),
        Err(other) => panic!("{other:?}"),
    }
});
