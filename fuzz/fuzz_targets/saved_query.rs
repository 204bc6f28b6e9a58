//! Saved-query parameters (`GET /api/queries/{name}?param=value…`): the URL query string →
//! `SavedQuery::bindings` (typed RDF terms) → bound into the query algebra and evaluated.
//!
//! Input: one byte choosing the saved query (the shipped `queries/*.rq` plus one declaring
//! every parameter type), then the URL query string. Checks: no panic; invalid values are
//! errors of the request (`Invalid`, `Missing`, `UnknownParam`), never anything else; every
//! bound term has its parameter's type, is a valid value of its XSD datatype, round-trips
//! through its N-Triples/SPARQL form, and comes back unchanged from evaluation; evaluation of
//! a bound query (on an empty graph) succeeds or times out.
#![no_main]

mod common;

use crosswalk::graph::Graph;
use crosswalk::sparql::format::{OutputFormat, QueryForm};
use crosswalk::sparql::saved::{ParamType, SavedQueries, SavedQuery, SavedQueryError};
use crosswalk::sparql::{DatasetRequest, Engine, GroundTerm, Limits, SparqlError};
use libfuzzer_sys::fuzz_target;
use oxigraph::model::{Term, vocab::xsd};
use oxigraph::sparql::results::{
    QueryResultsFormat, QueryResultsParser, SliceQueryResultsParserOutput,
};
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

/// Declares every parameter type and returns what was bound, so values can be compared.
const ALL_TYPES: &str = "# Every parameter type
# @param i iri base=https://w3id.org/crosswalk/id/theme/ An IRI or a slug
# @param s string A string
# @param d date! A date
# @param n integer An integer
# @param b boolean A boolean
SELECT ?i ?s ?d ?n ?b WHERE {}
";

fn queries() -> &'static [&'static SavedQuery] {
    static EXTRA: OnceLock<SavedQueries> = OnceLock::new();
    static QUERIES: OnceLock<Vec<&'static SavedQuery>> = OnceLock::new();
    QUERIES.get_or_init(|| {
        let extra = EXTRA.get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            std::fs::write(dir.path().join("all-types.rq"), ALL_TYPES).expect("write query");
            SavedQueries::load(dir.path()).expect("load query")
        });
        common::saved_queries().list().chain(extra.list()).collect()
    })
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let limits = Limits {
            timeout: Duration::from_millis(200),
            max_rows: 20,
            max_query_bytes: 256 * 1024,
        };
        // Empty: evaluating the shipped queries over the catalogue costs up to the timeout per
        // input, and what is checked here (the bound algebra runs, the bound row comes back)
        // does not need data. The integration tests check the answers.
        Engine::new(Graph::in_memory().expect("in-memory graph"), limits)
    })
}

fuzz_target!(|data: &[u8]| {
    let queries = queries();
    let Some((&choice, query_string)) = data.split_first() else {
        return;
    };
    let saved = queries[usize::from(choice) % queries.len()];
    // What axum's `Query` extractor does with the URL's query string.
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(query_string) else {
        return;
    };
    let values = pairs
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "format" | "output"))
        .map(|(k, v)| (k.as_str(), v.as_str()));
    let bindings = match saved.bindings(values) {
        Ok(bindings) => bindings,
        Err(
            SavedQueryError::Invalid { .. }
            | SavedQueryError::Missing(_)
            | SavedQueryError::UnknownParam { .. },
        ) => return,
        Err(other) => panic!("bindings failed with {other:?}"),
    };
    for (variable, term) in &bindings {
        let param = saved
            .parameters
            .iter()
            .find(|p| p.name == variable.as_str())
            .expect("bound a declared parameter");
        check_term(param.kind, term);
    }
    let mut prepared = engine()
        .prepare(&saved.text, &DatasetRequest::default())
        .expect("a shipped saved query parses");
    assert_eq!(prepared.form(), QueryForm::Select);
    for (variable, term) in bindings.iter().cloned() {
        prepared = prepared.bind(variable, term);
    }
    let format = OutputFormat::Results(QueryResultsFormat::Json);
    let mut out = Vec::new();
    match engine().run(prepared, format, &mut out) {
        Ok(_) => {}
        Err(SparqlError::Timeout(_)) => return,
        Err(other) => panic!("bound saved query failed: {other}"),
    }
    let Ok(SliceQueryResultsParserOutput::Solutions(solutions)) =
        QueryResultsParser::from_format(QueryResultsFormat::Json).for_slice(&out)
    else {
        panic!("unreadable results: {}", String::from_utf8_lossy(&out));
    };
    if saved.name == "all-types" {
        let rows: Vec<_> = solutions.collect::<Result<_, _>>().expect("results parse");
        assert_eq!(rows.len(), 1, "the bound row is the result");
        for (variable, term) in &bindings {
            assert_eq!(
                rows[0].get(variable),
                Some(&ground(term)),
                "{variable} did not come back as bound"
            );
        }
    }
});

fn ground(term: &GroundTerm) -> Term {
    match term {
        GroundTerm::NamedNode(n) => n.clone().into(),
        GroundTerm::Literal(l) => l.clone().into(),
    }
}

fn check_term(kind: ParamType, term: &GroundTerm) {
    let text = term.to_string();
    let parsed = Term::from_str(&text).unwrap_or_else(|e| panic!("{text} does not parse: {e}"));
    assert_eq!(parsed, ground(term), "{text} does not round-trip");
    match (kind, term) {
        (ParamType::Iri, GroundTerm::NamedNode(_)) => {}
        (ParamType::String, GroundTerm::Literal(l)) => assert_eq!(l.datatype(), xsd::STRING),
        (ParamType::Date, GroundTerm::Literal(l)) => {
            assert_eq!(l.datatype(), xsd::DATE);
            assert!(
                oxsdatatypes::Date::from_str(l.value()).is_ok(),
                "{text} is not a valid xsd:date"
            );
        }
        (ParamType::Integer, GroundTerm::Literal(l)) => {
            assert_eq!(l.datatype(), xsd::INTEGER);
            assert!(
                oxsdatatypes::Integer::from_str(l.value()).is_ok(),
                "{text} is not an integer"
            );
        }
        (ParamType::Boolean, GroundTerm::Literal(l)) => {
            assert_eq!(l.datatype(), xsd::BOOLEAN);
            assert!(
                oxsdatatypes::Boolean::from_str(l.value()).is_ok(),
                "{text} is not a boolean"
            );
        }
        (kind, term) => panic!("{kind} parameter bound to {term}"),
    }
}
