//! Real third-party SPARQL clients against `/sparql`, unmodified.
//!
//! What they send (read from their sources and checked on the wire by these tests):
//! * SPARQLWrapper 2.x: GET (or POST form with `setMethod(POST)`) with `query=` plus
//!   `format=json&output=json&results=json` and `Accept: application/sparql-results+json,
//!   application/json,text/javascript,application/javascript`; for CONSTRUCT with RDF/XML it sends
//!   `format=xml` and `Accept: application/rdf+xml`.
//! * rdflib `SPARQLStore`: GET with `query=` and `Accept: application/sparql-results+xml` for
//!   SELECT/ASK, `application/rdf+xml` for CONSTRUCT/DESCRIBE.
//! * Comunica 4 (`@comunica/query-sparql`, the `comunica-sparql` CLI with a `sparql@` source):
//!   POST form `query=` with a long q-valued Accept list (`application/sparql-results+json;q=1.0,
//!   application/sparql-results+xml;q=0.7, …, */*;q=0.1`) — run for real below, and its request
//!   shape also checked at the HTTP level.

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

/// The real Comunica CLI, installed by `.ci/run` under `$HOME/.cache/crosswalk-clients`
/// (override with `CROSSWALK_COMUNICA`). Missing, the test fails and says how to install it:
/// a client test that passes without its client proves nothing.
#[test]
fn comunica_works_unmodified() {
    let bin = std::env::var_os("CROSSWALK_COMUNICA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/crosswalk-clients/node_modules/.bin/comunica-sparql")
        });
    assert!(
        bin.exists(),
        "Comunica is missing at {}: run .ci/run, or `npm install --prefix ~/.cache/crosswalk-clients @comunica/query-sparql@4`",
        bin.display()
    );
    let source = format!("sparql@{}", shipped().url("/sparql"));
    let run = |query: &str, media: &str| {
        let output = Command::new(&bin)
            .args([source.as_str(), query, "-t", media])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let select = run(
        "SELECT ?a WHERE { ?a <https://w3id.org/crosswalk/ontology#instrument> <https://w3id.org/crosswalk/id/instrument/eu-ai-act> ; <https://w3id.org/crosswalk/ontology#provisionType> \"article\" }",
        "application/sparql-results+json",
    );
    let select: serde_json::Value = serde_json::from_str(&select).unwrap();
    assert_eq!(select["results"]["bindings"].as_array().unwrap().len(), 113);
    let construct = run(
        "CONSTRUCT { ?a <urn:t> ?t } WHERE { ?a <https://w3id.org/crosswalk/ontology#instrument> <https://w3id.org/crosswalk/id/instrument/eu-ai-act> ; <http://purl.org/dc/terms/title> ?t }",
        "application/n-triples",
    );
    assert!(construct.lines().count() >= 113, "{construct}");
    let ask = run(
        "ASK { <https://w3id.org/crosswalk/id/instrument/eu-ai-act> ?p ?o }",
        "simple",
    );
    assert_eq!(ask.trim(), "true");
}

/// Runs tests/clients/python_clients.py against the server. The Python libraries are installed
/// by `.ci/run`; missing, the test fails and says how to install them.
#[test]
fn sparqlwrapper_and_rdflib_work_unmodified() {
    let server = shipped();
    let available = Command::new("python3")
        .args(["-c", "import SPARQLWrapper, rdflib"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        available,
        "SPARQLWrapper and rdflib are missing: run .ci/run, or `python3 -m pip install SPARQLWrapper rdflib`"
    );
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
