//! What the web UI tests share: one real server (on-disk store, search index, admin token)
//! over the shipped catalogue, with one fixture change event written through `/sparql/update`
//! (a modified EU AI Act Art. 50(2) with its old and new wording).
#![allow(dead_code)]

use crate::common::{TestServer, client};
use std::sync::OnceLock;

pub const TOKEN: &str = "web-ui-test-admin-token-0123";
pub const ID: &str = "https://w3id.org/crosswalk/id/";
/// The fixture change's page id (the event IRI after `…/id/change/`).
pub const CHANGE_ID: &str = "eu-ai-act-cellar/20261130T040000Z/fixture-1";
pub const DIM_7: &str = "https://w3id.org/crosswalk/id/provision/sg-mgf-genai/dim-7";

const FIXTURE_CHANGE: &str = r#"
PREFIX cw: <https://w3id.org/crosswalk/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
INSERT DATA { GRAPH <https://w3id.org/crosswalk/graph/test/fixture-change> {
  <https://w3id.org/crosswalk/id/change/eu-ai-act-cellar/20261130T040000Z/fixture-1>
    a cw:ChangeEvent, prov:Entity ;
    cw:changeKind "provision-modified" ;
    cw:material true ;
    cw:source <https://w3id.org/crosswalk/id/source/eu-ai-act-cellar> ;
    cw:affects <https://w3id.org/crosswalk/id/provision/eu-ai-act/art-50-2> ;
    prov:generatedAtTime "2026-11-30T04:00:00Z"^^xsd:dateTime ;
    rdfs:comment "Art. 50(2) modified: the marking duty now names audio and detection"@en ;
    cw:oldText "Providers shall ensure that the outputs of the AI system are marked in a machine-readable format." ;
    cw:newText "Providers shall ensure that the outputs of the AI system, including audio, are marked in a machine-readable format and detectable." .
} }
"#;

/// The shared server, started once per test binary with the fixture change written.
pub fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let server = TestServer::start_searchable(|c| c.admin.token = Some(TOKEN.into()));
        let response = client()
            .post(server.url("/sparql/update"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/sparql-update")
            .body(FIXTURE_CHANGE)
            .send()
            .unwrap();
        assert!(
            response.status().is_success(),
            "fixture change: {:?}",
            response.text()
        );
        server
    })
}

/// GETs a path with headers; returns status, content type and body.
pub fn get(path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    let mut request = client().get(server().url(path));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    let media = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, media, response.text().unwrap())
}

/// GETs an HTML page, asserting 200.
pub fn page(path: &str) -> String {
    let (status, media, body) = get(path, &[]);
    assert_eq!(status, 200, "{path}: {body}");
    assert!(media.starts_with("text/html"), "{path}: {media}");
    body
}
