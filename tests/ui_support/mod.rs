//! What the web UI tests share: one real server (on-disk store, search index, admin token)
//! over the shipped catalogue, with one fixture change event recorded in the store before it
//! starts, the way the crawler records one (in the changes graph, numbered in the write that
//! stores it): a modified EU AI Act Art. 50(2) with its old and new wording.
#![allow(dead_code)]

use crate::common::{TestServer, client};
use std::sync::OnceLock;

pub const TOKEN: &str = "web-ui-test-admin-token-0123";
pub const ID: &str = "https://w3id.org/crosswalk/id/";
/// The fixture change's public id (`/changes/{id}`, `/api/changes/{id}`).
pub const CHANGE_ID: &str = "eu-ai-act-cellar_20261130T040000.000000Z-f1c7-1";
pub const CHANGE_IRI: &str =
    "https://w3id.org/crosswalk/id/change/eu-ai-act-cellar/20261130T040000.000000Z-f1c7-1";
pub const DIM_7: &str = "https://w3id.org/crosswalk/id/provision/sg-mgf-genai/dim-7";

const OLD_TEXT: &str = "Providers shall ensure that the outputs of the AI system are marked in a machine-readable format.";
const NEW_TEXT: &str = "Providers shall ensure that the outputs of the AI system, including audio, are marked in a machine-readable format and detectable.";

/// The statements the crawler writes for a modified provision of a quotable source
/// (`crawl::record::event_quads`), with the word diff computed by the crawler's own code.
fn fixture_change() -> Vec<oxigraph::model::Quad> {
    let words = crosswalk::diff::WordDiff::compute(OLD_TEXT, NEW_TEXT);
    // JSON string escapes are Turtle string escapes.
    let lit = |s: &str| serde_json::to_string(s).unwrap();
    let mut changed = String::new();
    for w in words.added() {
        changed.push_str(&format!("    cw:addedWords {} ;\n", lit(w)));
    }
    for w in words.removed() {
        changed.push_str(&format!("    cw:removedWords {} ;\n", lit(w)));
    }
    let trig = format!(
        r#"
@prefix cw: <https://w3id.org/crosswalk/ontology#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
GRAPH <https://w3id.org/crosswalk/graph/changes> {{
  <{CHANGE_IRI}> a cw:ChangeEvent, prov:Entity ;
    cw:eventId "{CHANGE_ID}" ;
    cw:changeKind "provision-modified" ;
    cw:material true ;
    cw:source <{ID}source/eu-ai-act-cellar> ;
    cw:jurisdiction <{ID}jurisdiction/EU> ;
    cw:instrument <{ID}instrument/eu-ai-act> ;
    cw:affects <{ID}provision/eu-ai-act/art-50-2> ;
    cw:affectsProvision <{ID}provision/eu-ai-act/art-50-2> ;
    cw:provisionId "art-50-2" ;
    cw:theme <{ID}theme/content-provenance> ;
    cw:role <{ID}role/provider> ;
    cw:addedWordCount {} ;
    cw:removedWordCount {} ;
    cw:wordSummary {} ;
{changed}    cw:oldText {} ;
    cw:newText {} ;
    prov:generatedAtTime "2026-11-30T04:00:00Z"^^xsd:dateTime ;
    rdfs:comment "Art. 50(2) modified: the marking duty now names audio and detection" .
}}
"#,
        words.added_words,
        words.removed_words,
        lit(&words.summary()),
        lit(OLD_TEXT),
        lit(NEW_TEXT),
    );
    oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::TriG)
        .for_slice(trig.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("fixture change: {e}\n{trig}"))
}

/// The shared server, started once per test binary over a store holding the fixture change.
pub fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        TestServer::start_searchable(|c| {
            c.admin.token = Some(TOKEN.into());
            let graph = crosswalk::graph::Graph::open(&c.graph_dir()).expect("open the store");
            let quads = fixture_change();
            graph
                .write(|t| {
                    crosswalk::crawl::insert_numbered(t, &quads)
                        .map_err(crosswalk::graph::GraphError::from)
                })
                .expect("record the fixture change");
        })
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
