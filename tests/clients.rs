//! Real third-party SPARQL clients against `/sparql`, unmodified.
//!
//! What they send (read from their sources and checked on the wire by these tests):
//! * SPARQLWrapper 2.x: GET (or POST form with `setMethod(POST)`) with `query=` plus
//!   `format=json&output=json&results=json` and `Accept: application/sparql-results+json,
//!   application/json,text/javascript,application/javascript`; for CONSTRUCT with RDF/XML it sends
//!   `format=xml` and `Accept: application/rdf+xml`.
//! * rdflib `SPARQLStore`: GET with `query=` and `Accept: application/sparql-results+xml` for
//!   SELECT/ASK, `application/rdf+xml` for CONSTRUCT/DESCRIBE.
//! * Comunica (`@comunica/query-sparql` SPARQL endpoint source): POST form `query=` with
//!   `Accept: application/sparql-results+json;q=1.0,application/sparql-results+xml;q=0.7,
//!   text/turtle;q=0.6,…` — covered here at the HTTP level.

mod common;

use common::{client, shipped};
use reqwest::StatusCode;
use std::process::Command;

const COMUNICA_ACCEPT: &str = "application/sparql-results+json;q=1.0,application/sparql-results+xml;q=0.7,application/trig;q=0.95,application/n-quads;q=0.7,text/turtle;q=0.6,application/rdf+xml;q=0.5,application/n-triples;q=0.3,*/*;q=0.1";

fn comunica_post(query: &str) -> reqwest::blocking::Response {
    client()
        .post(shipped().url("/sparql"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", COMUNICA_ACCEPT)
        .body(serde_urlencoded::to_string([("query", query)]).unwrap())
        .send()
        .unwrap()
}

#[test]
fn comunica_style_requests() {
    let select = comunica_post("SELECT ?i WHERE { ?i a cw:Instrument } LIMIT 3");
    assert_eq!(select.status(), StatusCode::OK);
    assert!(
        select.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/sparql-results+json")
    );
    let construct = comunica_post("CONSTRUCT WHERE { ?i a cw:Instrument } LIMIT 3");
    assert!(
        construct.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/trig")
    );
}

/// Runs tests/clients/python_clients.py against the server. The Python libraries are installed
/// by `.ci/run`; on a developer machine without them the test says how to get them and skips,
/// but under CI (`CI` set) their absence is a failure.
#[test]
fn sparqlwrapper_and_rdflib_work_unmodified() {
    let server = shipped();
    let available = Command::new("python3")
        .args(["-c", "import SPARQLWrapper, rdflib"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install SPARQLWrapper and rdflib (see .ci/run)"
        );
        eprintln!(
            "skipped: `python3 -m pip install SPARQLWrapper rdflib` to run the third-party client test"
        );
        return;
    }
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/python_clients.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(server.url("/sparql"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "python clients failed:\n{stdout}\n{stderr}"
    );
    for check in [
        "sparqlwrapper-get-json",
        "sparqlwrapper-post-xml",
        "sparqlwrapper-ask",
        "sparqlwrapper-construct",
        "rdflib-select",
        "rdflib-ask",
        "rdflib-construct",
    ] {
        assert!(
            stdout.lines().any(|l| l == format!("ok {check}")),
            "missing {check}:\n{stdout}"
        );
    }
}
