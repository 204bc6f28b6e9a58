//! The W3C SPARQL 1.1 Protocol tests (w3c/rdf-tests, `sparql/sparql11/protocol/manifest.ttl`),
//! each manifest entry written out as a test over real HTTP, named after the entry. Queries go
//! to `/sparql`; updates to `/sparql/update` with the admin token (the protocol lets a service
//! have a separate update endpoint). The manifest's dataset files (`data1.nt` … `data3.nt`,
//! loaded into graphs named `http://kasei.us/2009/09/sparql/data/dataN.rdf`) hold, as the
//! entries' queries require, one `<dataN.rdf> a foaf:Document` triple each.

mod common;

use common::{TestServer, client};
use oxigraph::sparql::results::{
    QueryResultsFormat, QueryResultsParser, SliceQueryResultsParserOutput,
};
use reqwest::blocking::{RequestBuilder, Response};
use std::sync::{Mutex, OnceLock};

const TOKEN: &str = "w3c-protocol-admin-token-01234";
const KASEI: &str = "http://kasei.us/2009/09/sparql/data/";

/// The query server: seeded catalogue plus the manifest's three dataset graphs.
fn queries() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let server = TestServer::start(|c| c.admin.token = Some(TOKEN.into()));
        let data: String = (1..=3)
            .map(|n| format!("GRAPH <{KASEI}data{n}.rdf> {{ <{KASEI}data{n}.rdf> a <http://xmlns.com/foaf/0.1/Document> }}\n"))
            .collect();
        let response = update_request(&server, "")
            .header("content-type", "application/sparql-update")
            .body(format!("INSERT DATA {{ {data} }}"))
            .send()
            .unwrap();
        assert!(response.status().is_success());
        server
    })
}

/// The update server: the entries drop and clear everything, so they run one at a time here.
fn updates() -> std::sync::MutexGuard<'static, TestServer> {
    static SERVER: OnceLock<Mutex<TestServer>> = OnceLock::new();
    SERVER
        .get_or_init(|| Mutex::new(TestServer::start(|c| c.admin.token = Some(TOKEN.into()))))
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

fn query_request(server: &TestServer, method: reqwest::Method, query: &str) -> RequestBuilder {
    client().request(method, format!("{}/sparql{query}", server.base))
}

fn update_request(server: &TestServer, query: &str) -> RequestBuilder {
    client()
        .post(format!("{}/sparql/update{query}", server.base))
        .bearer_auth(TOKEN)
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn success(response: &Response) {
    let status = response.status();
    assert!(
        status.is_success() || status.is_redirection(),
        "expected 2xx/3xx, got {status}"
    );
}

fn client_error(response: Response) {
    let status = response.status();
    assert!(
        status.is_client_error(),
        "expected 4xx, got {status}: {}",
        response.text().unwrap_or_default()
    );
}

fn media(response: &Response) -> String {
    response.headers()["content-type"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .trim()
        .to_owned()
}

/// mf:expectedFormat "boolean" with mf:expectedBoolean.
fn boolean(response: Response) -> bool {
    success(&response);
    let format = match media(&response).as_str() {
        "application/sparql-results+json" => QueryResultsFormat::Json,
        "application/sparql-results+xml" => QueryResultsFormat::Xml,
        other => panic!("not a boolean result format: {other}"),
    };
    match QueryResultsParser::from_format(format)
        .for_slice(&response.bytes().unwrap())
        .unwrap()
    {
        SliceQueryResultsParserOutput::Boolean(b) => b,
        SliceQueryResultsParserOutput::Solutions(_) => panic!("expected a boolean"),
    }
}

const ASK_1_2: &str = "ASK { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?type . <http://kasei.us/2009/09/sparql/data/data2.rdf> a ?type . }";
const ASK_NAMED: &str = "ASK { GRAPH ?g1 { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?type } GRAPH ?g2 { <http://kasei.us/2009/09/sparql/data/data2.rdf> a ?type } }";

fn graphs(param: &str, numbers: &[u8]) -> String {
    numbers
        .iter()
        .map(|n| format!("{param}={}", enc(&format!("{KASEI}data{n}.rdf"))))
        .collect::<Vec<_>>()
        .join("&")
}

#[test]
fn query_post_form() {
    let r = query_request(
        queries(),
        reqwest::Method::POST,
        &format!("?{}", graphs("default-graph-uri", &[0])),
    )
    .header("content-type", "application/x-www-form-urlencoded")
    .body("query=ASK%20%7B%7D")
    .send()
    .unwrap();
    assert!(boolean(r));
}

#[test]
fn query_dataset_default_graphs_get() {
    let q = format!(
        "?query={}&{}",
        enc(ASK_1_2),
        graphs("default-graph-uri", &[1, 2])
    );
    assert!(boolean(
        query_request(queries(), reqwest::Method::GET, &q)
            .send()
            .unwrap()
    ));
}

#[test]
fn query_dataset_default_graphs_post() {
    let r = query_request(
        queries(),
        reqwest::Method::POST,
        &format!("?{}", graphs("default-graph-uri", &[1, 2])),
    )
    .header("content-type", "application/sparql-query")
    .body(ASK_1_2)
    .send()
    .unwrap();
    assert!(boolean(r));
}

#[test]
fn query_dataset_named_graphs_post() {
    let r = query_request(
        queries(),
        reqwest::Method::POST,
        &format!("?{}", graphs("named-graph-uri", &[1, 2])),
    )
    .header("content-type", "application/sparql-query")
    .body(ASK_NAMED)
    .send()
    .unwrap();
    assert!(boolean(r));
}

#[test]
fn query_dataset_named_graphs_get() {
    let q = format!(
        "?query={}&{}",
        enc(ASK_NAMED),
        graphs("named-graph-uri", &[1, 2])
    );
    assert!(boolean(
        query_request(queries(), reqwest::Method::GET, &q)
            .send()
            .unwrap()
    ));
}

#[test]
fn query_dataset_full() {
    let q = format!(
        "?{}&{}",
        graphs("default-graph-uri", &[3]),
        graphs("named-graph-uri", &[1, 2])
    );
    let r = query_request(queries(), reqwest::Method::POST, &q)
        .header("content-type", "application/sparql-query")
        .body("ASK {\n  <http://kasei.us/2009/09/sparql/data/data3.rdf> a ?type\n  GRAPH ?g1 { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?type }\n  GRAPH ?g2 { <http://kasei.us/2009/09/sparql/data/data2.rdf> a ?type }\n}")
        .send()
        .unwrap();
    assert!(boolean(r));
}

#[test]
fn query_multiple_dataset() {
    // The manifest's request URL percent-encodes the '&' between its two named-graph-uri
    // parameters, which would make them one parameter naming no graph, while its expected
    // answer (true) needs both graphs: the entry is sent as meant, two parameters. The
    // protocol's dataset replaces the query's FROM.
    let r = query_request(queries(), reqwest::Method::POST, &format!("?{}", graphs("named-graph-uri", &[1, 2])))
        .header("content-type", "application/sparql-query")
        .body("ASK FROM <http://kasei.us/2009/09/sparql/data/data3.rdf> { GRAPH ?g1 { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?type } GRAPH ?g2 { <http://kasei.us/2009/09/sparql/data/data2.rdf> a ?type } }")
        .send()
        .unwrap();
    assert!(boolean(r));
}

#[test]
fn query_get() {
    let q = format!("?query=ASK%20%7B%7D&{}", graphs("default-graph-uri", &[0]));
    assert!(boolean(
        query_request(queries(), reqwest::Method::GET, &q)
            .send()
            .unwrap()
    ));
}

#[test]
fn query_content_type_select() {
    let r = query_request(
        queries(),
        reqwest::Method::POST,
        &format!("?{}", graphs("default-graph-uri", &[0])),
    )
    .header("content-type", "application/sparql-query")
    .body("SELECT (1 AS ?value) {}")
    .send()
    .unwrap();
    success(&r);
    assert!(
        [
            "application/sparql-results+xml",
            "application/sparql-results+json",
            "text/tab-separated-values",
            "text/csv"
        ]
        .contains(&media(&r).as_str())
    );
}

#[test]
fn query_content_type_ask() {
    let r = query_request(
        queries(),
        reqwest::Method::POST,
        &format!("?{}", graphs("default-graph-uri", &[0])),
    )
    .header("content-type", "application/sparql-query")
    .body("ASK {}")
    .send()
    .unwrap();
    assert!(
        [
            "application/sparql-results+xml",
            "application/sparql-results+json"
        ]
        .contains(&media(&r).as_str())
    );
    assert!(boolean(r));
}

fn rdf(response: Response) -> Vec<oxigraph::model::Quad> {
    success(&response);
    let format = oxigraph::io::RdfFormat::from_media_type(&media(&response))
        .unwrap_or_else(|| panic!("not an RDF media type: {}", media(&response)));
    oxigraph::io::RdfParser::from_format(format)
        .for_slice(&response.bytes().unwrap())
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn query_content_type_describe() {
    let r = query_request(
        queries(),
        reqwest::Method::POST,
        &format!("?{}", graphs("default-graph-uri", &[0])),
    )
    .header("content-type", "application/sparql-query")
    .body("DESCRIBE <http://example.org/>")
    .send()
    .unwrap();
    rdf(r);
}

#[test]
fn query_content_type_construct() {
    // A relative IRI: resolved against the endpoint's URL.
    let server = queries();
    let r = query_request(
        server,
        reqwest::Method::POST,
        &format!("?{}", graphs("default-graph-uri", &[0])),
    )
    .header("content-type", "application/sparql-query")
    .body("CONSTRUCT { <s> <p> 1 } WHERE {}")
    .send()
    .unwrap();
    let quads = rdf(r);
    assert_eq!(quads.len(), 1);
    assert_eq!(quads[0].subject.to_string(), format!("<{}/s>", server.base));
}

#[test]
fn query_post_direct() {
    let r = query_request(queries(), reqwest::Method::POST, "")
        .header("content-type", "application/sparql-query")
        .body("ASK {}")
        .send()
        .unwrap();
    assert!(boolean(r));
}

#[test]
fn bad_query_method() {
    let q = format!("?query=ASK%20%7B%7D&{}", graphs("default-graph-uri", &[0]));
    client_error(
        query_request(queries(), reqwest::Method::PUT, &q)
            .header("content-type", "application/x-www-form-urlencoded")
            .send()
            .unwrap(),
    );
}

#[test]
fn bad_multiple_queries() {
    client_error(
        query_request(
            queries(),
            reqwest::Method::GET,
            "?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D",
        )
        .send()
        .unwrap(),
    );
    // The same in a form.
    client_error(
        query_request(queries(), reqwest::Method::POST, "")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D")
            .send()
            .unwrap(),
    );
}

#[test]
fn bad_query_wrong_media_type() {
    client_error(
        query_request(queries(), reqwest::Method::POST, "")
            .header("content-type", "text/plain")
            .body("ASK {}")
            .send()
            .unwrap(),
    );
}

#[test]
fn bad_query_missing_form_type() {
    client_error(
        query_request(queries(), reqwest::Method::POST, "")
            .body("query=ASK%20%7B%7D")
            .send()
            .unwrap(),
    );
}

#[test]
fn bad_query_missing_direct_type() {
    client_error(
        query_request(queries(), reqwest::Method::POST, "")
            .body("ASK {}")
            .send()
            .unwrap(),
    );
}

/// UTF-16 with a byte-order mark, as the manifest's cnt:characterEncoding says.
fn utf16(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    bytes
}

#[test]
fn bad_query_non_utf8() {
    client_error(
        query_request(queries(), reqwest::Method::POST, "")
            .header("content-type", "application/sparql-query; charset=UTF-16")
            .body(utf16("ASK {}"))
            .send()
            .unwrap(),
    );
}

#[test]
fn bad_query_syntax() {
    client_error(
        query_request(queries(), reqwest::Method::GET, "?query=ASK%20%7B")
            .send()
            .unwrap(),
    );
}

#[test]
fn bad_update_get() {
    // Neither endpoint takes an update by GET.
    client_error(
        query_request(queries(), reqwest::Method::GET, "?update=CLEAR%20ALL")
            .send()
            .unwrap(),
    );
    client_error(
        client()
            .get(format!(
                "{}/sparql/update?update=CLEAR%20ALL",
                queries().base
            ))
            .bearer_auth(TOKEN)
            .send()
            .unwrap(),
    );
}

#[test]
fn bad_multiple_updates() {
    let server = updates();
    client_error(
        update_request(&server, "")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("update=CLEAR%20NAMED&update=CLEAR%20DEFAULT")
            .send()
            .unwrap(),
    );
}

#[test]
fn bad_update_wrong_media_type() {
    let server = updates();
    client_error(
        update_request(&server, "")
            .header("content-type", "text/plain")
            .body("CLEAR NAMED")
            .send()
            .unwrap(),
    );
}

#[test]
fn bad_update_missing_form_type() {
    let server = updates();
    client_error(
        update_request(&server, "")
            .body("update=CLEAR%20NAMED")
            .send()
            .unwrap(),
    );
}

#[test]
fn bad_update_non_utf8() {
    let server = updates();
    client_error(
        update_request(&server, "")
            .header("content-type", "application/sparql-update; charset=UTF-16")
            .body(utf16("CLEAR NAMED"))
            .send()
            .unwrap(),
    );
}

#[test]
fn bad_update_syntax() {
    let server = updates();
    client_error(
        update_request(&server, "")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("update=CLEAR%20XYZ")
            .send()
            .unwrap(),
    );
}

#[test]
fn bad_update_dataset_conflict() {
    let server = updates();
    client_error(
        update_request(&server, &format!("?using-named-graph-uri={}", enc("http://example/people")))
            .header("content-type", "application/sparql-update")
            .body("PREFIX foaf:  <http://xmlns.com/foaf/0.1/>\nWITH <http://example/addresses>\nDELETE { ?person foaf:givenName 'Bill' }\nINSERT { ?person foaf:givenName 'William' }\nWHERE {\n    ?person foaf:givenName 'Bill'\n}")
            .send()
            .unwrap(),
    );
}

fn run_update(server: &TestServer, query: &str, body: &str) {
    let r = update_request(server, query)
        .header("content-type", "application/sparql-update")
        .body(body.to_owned())
        .send()
        .unwrap();
    let status = r.status();
    assert!(
        status.is_success() || status.is_redirection(),
        "{status}: {}",
        r.text().unwrap()
    );
}

fn ask(server: &TestServer, body: &str) -> bool {
    boolean(
        query_request(server, reqwest::Method::POST, "")
            .header("content-type", "application/sparql-query")
            .body(body.to_owned())
            .send()
            .unwrap(),
    )
}

const INSERT_THREE: &str = "INSERT DATA {\n    GRAPH <http://kasei.us/2009/09/sparql/data/data1.rdf> { <http://kasei.us/2009/09/sparql/data/data1.rdf> a foaf:Document }\n    GRAPH <http://kasei.us/2009/09/sparql/data/data2.rdf> { <http://kasei.us/2009/09/sparql/data/data2.rdf> a foaf:Document }\n    GRAPH <http://kasei.us/2009/09/sparql/data/data3.rdf> { <http://kasei.us/2009/09/sparql/data/data3.rdf> a foaf:Document }\n} ;\n";
const PREFIXES: &str =
    "PREFIX dc: <http://purl.org/dc/terms/>\nPREFIX foaf: <http://xmlns.com/foaf/0.1/>\n";

#[test]
fn update_dataset_default_graph() {
    let server = updates();
    run_update(
        &server,
        &format!("?{}", graphs("using-graph-uri", &[1])),
        &format!(
            "{PREFIXES}CLEAR ALL ;\nINSERT DATA {{\n    GRAPH <http://kasei.us/2009/09/sparql/data/data1.rdf> {{\n        <http://kasei.us/2009/09/sparql/data/data1.rdf> a foaf:Document\n    }}\n}} ;\nINSERT {{\n    GRAPH <http://example.org/protocol-update-dataset-test/> {{\n        ?s a dc:BibliographicResource\n    }}\n}}\nWHERE {{\n    ?s a foaf:Document\n}}"
        ),
    );
    assert!(ask(
        &server,
        "ASK {\n    GRAPH <http://example.org/protocol-update-dataset-test/> {\n        <http://kasei.us/2009/09/sparql/data/data1.rdf> a <http://purl.org/dc/terms/BibliographicResource>\n    }\n}"
    ));
}

#[test]
fn update_dataset_default_graphs() {
    let server = updates();
    run_update(
        &server,
        &format!("?{}", graphs("using-graph-uri", &[1, 2])),
        &format!(
            "{PREFIXES}DROP ALL ;\n{INSERT_THREE}INSERT {{\n    GRAPH <http://example.org/protocol-update-dataset-graphs-test/> {{\n        ?s a dc:BibliographicResource\n    }}\n}}\nWHERE {{\n    ?s a foaf:Document\n}}"
        ),
    );
    assert!(ask(
        &server,
        "ASK {\n    GRAPH <http://example.org/protocol-update-dataset-graphs-test/> {\n        <http://kasei.us/2009/09/sparql/data/data1.rdf> a <http://purl.org/dc/terms/BibliographicResource> .\n        <http://kasei.us/2009/09/sparql/data/data2.rdf> a <http://purl.org/dc/terms/BibliographicResource> .\n    }\n    FILTER NOT EXISTS {\n        GRAPH <http://example.org/protocol-update-dataset-graphs-test/> {\n            <http://kasei.us/2009/09/sparql/data/data3.rdf> a <http://purl.org/dc/terms/BibliographicResource> .\n        }\n    }\n}"
    ));
}

#[test]
fn update_dataset_named_graphs() {
    let server = updates();
    run_update(
        &server,
        &format!("?{}", graphs("using-named-graph-uri", &[1, 2])),
        &format!(
            "{PREFIXES}DROP ALL ;\n{INSERT_THREE}INSERT {{\n    GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> {{\n        ?s a dc:BibliographicResource\n    }}\n}}\nWHERE {{\n    GRAPH ?g {{\n        ?s a foaf:Document\n    }}\n}}"
        ),
    );
    assert!(ask(
        &server,
        "ASK {\n    GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> {\n        <http://kasei.us/2009/09/sparql/data/data1.rdf> a <http://purl.org/dc/terms/BibliographicResource> .\n        <http://kasei.us/2009/09/sparql/data/data2.rdf> a <http://purl.org/dc/terms/BibliographicResource> .\n    }\n    FILTER NOT EXISTS {\n        GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> {\n            <http://kasei.us/2009/09/sparql/data/data3.rdf> a <http://purl.org/dc/terms/BibliographicResource> .\n        }\n    }\n}"
    ));
}

#[test]
fn update_dataset_full() {
    let server = updates();
    run_update(
        &server,
        &format!(
            "?{}&{}",
            graphs("using-graph-uri", &[1]),
            graphs("using-named-graph-uri", &[2])
        ),
        &format!(
            "{PREFIXES}DROP ALL ;\n{INSERT_THREE}INSERT {{\n    GRAPH <http://example.org/protocol-update-dataset-full-test/> {{\n        ?s <http://example.org/in> ?in\n    }}\n}}\nWHERE {{\n    {{\n        GRAPH ?g {{ ?s a foaf:Document }}\n        BIND(?g AS ?in)\n    }}\n    UNION\n    {{\n        ?s a foaf:Document .\n        BIND(\"default\" AS ?in)\n    }}\n}}"
        ),
    );
    assert!(ask(
        &server,
        "ASK {\n    GRAPH <http://example.org/protocol-update-dataset-full-test/> {\n        <http://kasei.us/2009/09/sparql/data/data1.rdf> <http://example.org/in> \"default\" .\n        <http://kasei.us/2009/09/sparql/data/data2.rdf> <http://example.org/in> <http://kasei.us/2009/09/sparql/data/data2.rdf> .\n    }\n    FILTER NOT EXISTS {\n        GRAPH <http://example.org/protocol-update-dataset-full-test/> {\n            <http://kasei.us/2009/09/sparql/data/data3.rdf> ?p ?o\n        }\n    }\n}"
    ));
}

#[test]
fn update_post_form() {
    let server = updates();
    let r = update_request(&server, "")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("update=CLEAR+ALL")
        .send()
        .unwrap();
    success(&r);
}

#[test]
fn update_post_direct() {
    let server = updates();
    run_update(&server, "", "CLEAR ALL");
}

#[test]
fn update_base_uri() {
    let server = updates();
    run_update(
        &server,
        "",
        "CLEAR GRAPH <http://example.org/protocol-base-test/> ;\nINSERT DATA { GRAPH <http://example.org/protocol-base-test/> { <http://example.org/s> <http://example.org/p> <test> } }",
    );
    let r = query_request(&server, reqwest::Method::POST, "")
        .header("content-type", "application/sparql-query")
        .header("accept", "application/sparql-results+json")
        .body("SELECT ?o WHERE {\n    GRAPH <http://example.org/protocol-base-test/> {\n        <http://example.org/s> <http://example.org/p> ?o\n    }\n}")
        .send()
        .unwrap();
    success(&r);
    let rows: Vec<_> = match QueryResultsParser::from_format(QueryResultsFormat::Json)
        .for_slice(&r.bytes().unwrap())
        .unwrap()
    {
        SliceQueryResultsParserOutput::Solutions(rows) => rows.collect::<Result<_, _>>().unwrap(),
        _ => panic!("expected solutions"),
    };
    assert_eq!(rows.len(), 1, "one result");
    let o = rows[0].get("o").unwrap().to_string();
    assert_ne!(o, "<test>", "bound to an IRI that is not <test>");
    assert_eq!(o, format!("<{}/sparql/test>", server.base));
}

/// SPARQLWrapper's N3 mode and `Accept: text/*` for SELECT (issue 19, beyond the manifest).
#[test]
fn n3_requests_get_turtle_and_text_wildcard_gets_csv() {
    let server = queries();
    for (accept, format) in [
        ("text/rdf+n3", None),
        ("text/n3", None),
        ("application/sparql-results+xml", Some("n3")),
    ] {
        let mut path = format!("?query={}", enc("CONSTRUCT { <urn:a> <urn:b> 1 } WHERE {}"));
        if let Some(f) = format {
            path.push_str(&format!("&format={f}"));
        }
        let r = query_request(server, reqwest::Method::GET, &path)
            .header("accept", accept)
            .send()
            .unwrap();
        success(&r);
        assert_eq!(media(&r), "text/turtle", "{accept}");
    }
    let r = query_request(
        server,
        reqwest::Method::GET,
        &format!("?query={}", enc("SELECT (1 AS ?x) {}")),
    )
    .header("accept", "text/*")
    .send()
    .unwrap();
    assert!(
        ["text/csv", "text/tab-separated-values"].contains(&media(&r).as_str()),
        "{}",
        media(&r)
    );
}
