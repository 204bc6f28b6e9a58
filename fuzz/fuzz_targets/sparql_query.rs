//! A SPARQL query from the protocol (`/sparql?query=…&default-graph-uri=…&named-graph-uri=…`):
//! `Engine::prepare` (predeclared prefixes, dataset resolution), `Prepared::bind` (the
//! parameter rewrite into the algebra), `Engine::run` (timeout, row cap, streaming
//! serialisation) on a small in-memory graph.
//!
//! Input: one byte choosing bindings and the result format, then UTF-8 text: the query, then
//! NUL-separated dataset IRIs (alternately default and named graphs). Checks: no panic; a query
//! that cannot be prepared is the client's error; a run succeeds or stops at the timeout, or
//! names the disabled SERVICE; a successful run stays within the row cap and writes a document
//! its format's parser reads back, with as many solutions as it reported.
#![no_main]

use crosswalk::graph::Graph;
use crosswalk::sparql::format::{self, OutputFormat, QueryForm};
use crosswalk::sparql::{DatasetRequest, Engine, GroundTerm, Limits, SparqlError};
use libfuzzer_sys::fuzz_target;
use oxigraph::io::RdfParser;
use oxigraph::model::{Literal, NamedNode, Variable};
use oxigraph::sparql::results::{QueryResultsParser, SliceQueryResultsParserOutput};
use std::sync::OnceLock;
use std::time::Duration;

const MAX_ROWS: usize = 8;
const RESULT_NAMES: [&str; 4] = ["json", "xml", "tsv", "csv"];
const RDF_NAMES: [&str; 4] = ["turtle", "ntriples", "rdfxml", "trig"];

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let limits = Limits {
            timeout: Duration::from_millis(200),
            max_rows: MAX_ROWS,
            max_query_bytes: 64 * 1024,
        };
        let engine = Engine::new(Graph::in_memory().expect("in-memory graph"), limits);
        engine
            .update(
                r#"PREFIX ex: <https://example.org/>
                INSERT DATA {
                  GRAPH ex:g1 { ex:a ex:p 1, 2, "three"@en, ex:b . ex:b ex:q "2026-08-02"^^xsd:date }
                  GRAPH ex:g2 { ex:b ex:p ex:a ; rdfs:label "bee", "lebah"@id . _:x ex:r ex:a }
                }"#,
                &DatasetRequest::default(),
            )
            .expect("fixture data");
        engine
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return; // the protocol refuses bodies that are not UTF-8
    };
    let mut parts = text.split('\0');
    let query = parts.next().unwrap_or_default();
    let mut dataset = DatasetRequest::default();
    for (i, iri) in parts.enumerate() {
        let graphs = if i % 2 == 0 {
            &mut dataset.default_graphs
        } else {
            &mut dataset.named_graphs
        };
        graphs.push(iri.to_owned());
    }
    let engine = engine();
    let mut prepared = match engine.prepare(query, &dataset) {
        Ok(prepared) => prepared,
        Err(error) => {
            assert!(error.is_client_error(), "prepare failed with {error:?}");
            return;
        }
    };
    if choice & 1 != 0 {
        let iri = NamedNode::new("https://example.org/a").expect("IRI");
        prepared = prepared.bind(Variable::new("s").expect("var"), GroundTerm::NamedNode(iri));
    }
    if choice & 2 != 0 {
        let value = GroundTerm::Literal(Literal::from(2));
        prepared = prepared.bind(Variable::new("o").expect("var"), value);
    }
    let form = prepared.form();
    let names = if form == QueryForm::Graph {
        RDF_NAMES
    } else {
        RESULT_NAMES
    };
    let format = format::by_name(form, names[usize::from((choice >> 2) & 3)])
        .expect("a format of this form");
    let mut out = Vec::new();
    let summary = match engine.run(prepared, format, &mut out) {
        Ok(summary) => summary,
        Err(SparqlError::Timeout(_) | SparqlError::Service(_)) => return,
        Err(other) => panic!("run failed with {other:?}"),
    };
    assert!(summary.rows <= MAX_ROWS, "row cap exceeded");
    assert!(
        !summary.truncated || summary.rows == MAX_ROWS,
        "truncated below the cap"
    );
    match format {
        OutputFormat::Results(f) if f.file_extension() != "csv" => {
            match QueryResultsParser::from_format(f).for_slice(&out) {
                Ok(SliceQueryResultsParserOutput::Solutions(solutions)) => {
                    let rows = solutions
                        .collect::<Result<Vec<_>, _>>()
                        .unwrap_or_else(|e| panic!("unreadable {f} results: {e}"));
                    assert_eq!(rows.len(), summary.rows, "{f} rows");
                }
                Ok(SliceQueryResultsParserOutput::Boolean(_)) => {
                    assert_eq!(form, QueryForm::Ask, "a boolean for {form:?}")
                }
                Err(e) => panic!("unreadable {f} results: {e}"),
            }
        }
        OutputFormat::Results(_) => {}
        OutputFormat::Rdf(f) => {
            for triple in RdfParser::from_format(f).for_slice(&out) {
                if let Err(e) = triple {
                    panic!("unreadable {f}: {e}\n{}", String::from_utf8_lossy(&out));
                }
            }
        }
    }
});
