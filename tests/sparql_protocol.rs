//! SPARQL 1.1 Protocol conformance of `/sparql` against the real server over loopback.

mod common;

use common::{TestServer, client, shipped};
use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfParser};
use oxigraph::sparql::results::{
    QueryResultsFormat, QueryResultsParser, SliceQueryResultsParserOutput,
};
use reqwest::StatusCode;
use reqwest::blocking::Response;
use std::sync::OnceLock;
use std::time::Duration;

const ARTICLES: &str = "SELECT ?a ?ref WHERE { ?a cw:instrument inst:eu-ai-act ; cw:provisionType \"article\" ; cw:ref ?ref }";
const TITLES: &str = "CONSTRUCT { ?a dcterms:title ?t } WHERE { ?a cw:instrument inst:eu-ai-act ; cw:provisionType \"article\" ; dcterms:title ?t }";
const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// A server with tight limits and an admin token, for the tests that need them.
fn strict() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        TestServer::start(|c| {
            c.sparql.timeout_secs = 2;
            c.sparql.max_rows = 5;
            c.admin.token = Some(ADMIN_TOKEN.into());
        })
    })
}

fn query(server: &TestServer, text: &str, accept: &str) -> Response {
    client()
        .get(server.url("/sparql"))
        .query(&[("query", text)])
        .header("accept", accept)
        .send()
        .unwrap()
}

fn content_type(response: &Response) -> &str {
    response.headers()["content-type"].to_str().unwrap()
}

fn solutions(body: &[u8], format: QueryResultsFormat) -> Vec<oxigraph::sparql::QuerySolution> {
    match QueryResultsParser::from_format(format)
        .for_slice(body)
        .unwrap()
    {
        SliceQueryResultsParserOutput::Solutions(rows) => rows.collect::<Result<_, _>>().unwrap(),
        SliceQueryResultsParserOutput::Boolean(_) => panic!("expected solutions"),
    }
}

fn boolean(body: &[u8], format: QueryResultsFormat) -> bool {
    match QueryResultsParser::from_format(format)
        .for_slice(body)
        .unwrap()
    {
        SliceQueryResultsParserOutput::Boolean(value) => value,
        SliceQueryResultsParserOutput::Solutions(_) => panic!("expected a boolean"),
    }
}

#[test]
fn get_post_form_and_post_body_give_the_same_answer() {
    let server = shipped();
    let get = query(server, ARTICLES, "application/sparql-results+json");
    assert_eq!(get.status(), StatusCode::OK);
    let get = solutions(&get.bytes().unwrap(), QueryResultsFormat::Json);
    assert_eq!(get.len(), 113, "the EU AI Act has 113 articles");

    let form = client()
        .post(server.url("/sparql"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/sparql-results+json")
        .body(serde_urlencoded::to_string([("query", ARTICLES)]).unwrap())
        .send()
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    assert_eq!(
        solutions(&form.bytes().unwrap(), QueryResultsFormat::Json).len(),
        113
    );

    let direct = client()
        .post(server.url("/sparql"))
        .header("content-type", "application/sparql-query")
        .header("accept", "application/sparql-results+json")
        .body(ARTICLES)
        .send()
        .unwrap();
    assert_eq!(direct.status(), StatusCode::OK);
    assert_eq!(
        solutions(&direct.bytes().unwrap(), QueryResultsFormat::Json).len(),
        113
    );
}

#[test]
fn every_select_format_parses_back() {
    let server = shipped();
    for (media, format) in [
        ("application/sparql-results+json", QueryResultsFormat::Json),
        ("application/sparql-results+xml", QueryResultsFormat::Xml),
        ("text/tab-separated-values", QueryResultsFormat::Tsv),
    ] {
        let response = query(server, ARTICLES, media);
        assert_eq!(response.status(), StatusCode::OK, "{media}");
        assert!(content_type(&response).starts_with(media));
        assert_eq!(
            solutions(&response.bytes().unwrap(), format).len(),
            113,
            "{media}"
        );
    }
    // CSV is lossy (no term types), so no parser reads it back into terms; check its shape.
    let csv = query(server, ARTICLES, "text/csv").text().unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("a,ref"));
    assert_eq!(lines.count(), 113);

    for (media, format) in [
        ("application/sparql-results+json", QueryResultsFormat::Json),
        ("application/sparql-results+xml", QueryResultsFormat::Xml),
    ] {
        let yes = query(server, "ASK { inst:eu-ai-act a cw:Instrument }", media);
        assert!(boolean(&yes.bytes().unwrap(), format));
        let no = query(server, "ASK { inst:no-such-thing a cw:Instrument }", media);
        assert!(!boolean(&no.bytes().unwrap(), format));
    }
}

#[test]
fn every_graph_format_parses_back() {
    let server = shipped();
    let json_ld = RdfFormat::JsonLd {
        profile: JsonLdProfileSet::empty(),
    };
    for (media, format) in [
        ("text/turtle", RdfFormat::Turtle),
        ("application/n-triples", RdfFormat::NTriples),
        ("application/rdf+xml", RdfFormat::RdfXml),
        ("application/ld+json", json_ld),
        ("application/n-quads", RdfFormat::NQuads),
        ("application/trig", RdfFormat::TriG),
    ] {
        let response = query(server, TITLES, media);
        assert_eq!(response.status(), StatusCode::OK, "{media}");
        let body = response.bytes().unwrap();
        let quads: Vec<_> = RdfParser::from_format(format)
            .for_slice(&body)
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{media} does not parse back: {e}"));
        assert_eq!(quads.len(), 113, "{media}");
    }
}

#[test]
fn content_negotiation_follows_q_values_and_answers_406() {
    let server = shipped();
    let response = query(
        server,
        ARTICLES,
        "text/csv;q=0.2, application/sparql-results+xml;q=0.9, */*;q=0.1",
    );
    assert!(content_type(&response).starts_with("application/sparql-results+xml"));
    let response = query(server, TITLES, "application/json");
    assert!(content_type(&response).starts_with("application/ld+json"));
    let response = query(server, ARTICLES, "image/png");
    assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE);
    assert!(
        response
            .text()
            .unwrap()
            .contains("application/sparql-results+json")
    );
    let response = query(server, TITLES, "text/csv");
    assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE);
}

#[test]
fn syntax_error_is_400_with_the_parser_message() {
    let response = query(
        shipped(),
        "SELECT ?x WHERE { ?x ?p }",
        "application/sparql-results+json",
    );
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let message = response.text().unwrap();
    assert!(
        message.contains("error at"),
        "parser message with position expected: {message}"
    );
    let response = client()
        .post(shipped().url("/sparql"))
        .header("content-type", "image/png")
        .body("x")
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let response = client()
        .get(shipped().url("/sparql"))
        .query(&[(
            "query",
            "SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        )])
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().unwrap().contains("SERVICE"));
}

#[test]
fn dataset_parameters_select_graphs() {
    let server = shipped();
    let seed = "https://w3id.org/crosswalk/graph/seed/eu/ai-act.ttl";
    let count = |pairs: &[(&str, &str)]| -> usize {
        let response = client()
            .get(server.url("/sparql"))
            .query(pairs)
            .header("accept", "application/sparql-results+json")
            .send()
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let rows = solutions(&response.bytes().unwrap(), QueryResultsFormat::Json);
        rows[0]
            .get("n")
            .unwrap()
            .to_string()
            .split('"')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap()
    };
    let instruments = "SELECT (COUNT(DISTINCT ?i) AS ?n) WHERE { ?i a cw:Instrument }";
    let all = count(&[("query", instruments)]);
    let only_ai_act = count(&[("query", instruments), ("default-graph-uri", seed)]);
    assert!(
        all > 50,
        "union default graph sees every instrument ({all})"
    );
    assert_eq!(
        only_ai_act, 1,
        "default-graph-uri restricts to the AI Act's graph"
    );
    let named = count(&[
        (
            "query",
            "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
        ),
        ("named-graph-uri", seed),
    ]);
    assert_eq!(named, 1);
    let bad = client()
        .get(server.url("/sparql"))
        .query(&[("query", instruments), ("default-graph-uri", "not an iri")])
        .send()
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[test]
fn service_description_without_query() {
    let response = client()
        .get(shipped().url("/sparql"))
        .header("accept", "text/turtle")
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.bytes().unwrap();
    let quads: Vec<_> = RdfParser::from_format(RdfFormat::Turtle)
        .for_slice(&body)
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        quads
            .iter()
            .any(|q| q.predicate.as_str().ends_with("#endpoint"))
    );
    assert!(
        quads
            .iter()
            .any(|q| q.object.to_string().contains("SPARQL11Query"))
    );
}

#[test]
fn explosive_query_times_out_while_a_simple_query_still_answers() {
    let server = strict();
    let explosive = std::thread::spawn(move || {
        query(
            server,
            "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
            "application/sparql-results+json",
        )
    });
    // While the explosive query runs, a simple one is answered.
    std::thread::sleep(Duration::from_millis(300));
    let simple = query(
        server,
        "ASK { inst:eu-ai-act a cw:Instrument }",
        "application/sparql-results+json",
    );
    assert_eq!(simple.status(), StatusCode::OK);
    assert!(
        !explosive.is_finished(),
        "the explosive query should still be running"
    );
    let timed_out = explosive.join().unwrap();
    assert_eq!(timed_out.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(timed_out.text().unwrap().contains("time limit"));
    let metrics = client()
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("crosswalk_sparql_timeouts_total ") && !l.ends_with(" 0"))
    );
}

#[test]
fn results_are_cut_at_the_row_limit() {
    let server = strict();
    let response = query(server, ARTICLES, "application/sparql-results+json");
    assert_eq!(response.headers()["x-crosswalk-row-limit"], "5");
    assert_eq!(
        solutions(&response.bytes().unwrap(), QueryResultsFormat::Json).len(),
        5
    );
}

/// Point lookups run on the connection's thread; one with more rows than that path takes
/// (256) must come back whole through the blocking path, and the row cap applies to both.
#[test]
fn point_lookups_answer_whole_at_any_size() {
    let server = TestServer::start(|c| c.admin.token = Some(ADMIN_TOKEN.into()));
    let objects: Vec<String> = (0..300).map(|n| format!("{n}")).collect();
    let insert = format!(
        "INSERT DATA {{ GRAPH <urn:test:lookup> {{ <urn:test:hub> <urn:test:p> {} . <urn:test:leaf> <urn:test:p> 1, 2, 3 }} }}",
        objects.join(", ")
    );
    let inserted = client()
        .post(server.url("/sparql/update"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/sparql-update")
        .body(insert)
        .send()
        .unwrap();
    assert_eq!(inserted.status(), StatusCode::NO_CONTENT);
    let rows = |server: &TestServer, subject: &str| {
        let response = query(
            server,
            &format!("SELECT ?o WHERE {{ GRAPH ?g {{ <{subject}> <urn:test:p> ?o }} }}"),
            "application/sparql-results+json",
        );
        assert_eq!(response.status(), StatusCode::OK);
        let mut values: Vec<i64> = solutions(&response.bytes().unwrap(), QueryResultsFormat::Json)
            .iter()
            .map(|row| match row.get("o") {
                Some(oxigraph::model::Term::Literal(l)) => l.value().parse().unwrap(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        values.sort_unstable();
        values
    };
    assert_eq!(rows(&server, "urn:test:leaf"), vec![1, 2, 3]);
    assert_eq!(rows(&server, "urn:test:hub"), (0..300).collect::<Vec<_>>());
    // The strict server caps rows at five, on the inline path too.
    let capped = query(
        strict(),
        "SELECT ?p ?o WHERE { GRAPH ?g { <https://w3id.org/crosswalk/id/provision/eu-ai-act/art-50> ?p ?o } }",
        "application/sparql-results+json",
    );
    assert_eq!(
        solutions(&capped.bytes().unwrap(), QueryResultsFormat::Json).len(),
        5
    );
}

#[test]
fn updates_need_the_admin_token() {
    let server = strict();
    let insert =
        "INSERT DATA { GRAPH <urn:test:update> { <urn:test:s> <urn:test:p> \"updated\" } }";
    let post = |token: Option<&str>| {
        let mut request = client()
            .post(server.url("/sparql/update"))
            .header("content-type", "application/sparql-update")
            .body(insert);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().unwrap()
    };
    assert_eq!(post(None).status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        post(Some("wrong-token-wrong-token")).status(),
        StatusCode::FORBIDDEN
    );
    let ask = "ASK { <urn:test:s> <urn:test:p> \"updated\" }";
    assert!(!boolean(
        &query(server, ask, "application/sparql-results+json")
            .bytes()
            .unwrap(),
        QueryResultsFormat::Json
    ));
    assert_eq!(post(Some(ADMIN_TOKEN)).status(), StatusCode::NO_CONTENT);
    assert!(boolean(
        &query(server, ask, "application/sparql-results+json")
            .bytes()
            .unwrap(),
        QueryResultsFormat::Json
    ));

    // The query endpoint never accepts updates, token or not.
    let via_query = client()
        .post(server.url("/sparql"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string([("update", "CLEAR ALL")]).unwrap())
        .send()
        .unwrap();
    assert_eq!(via_query.status(), StatusCode::FORBIDDEN);
    // Without a configured token the update route does not exist.
    let none = client()
        .post(shipped().url("/sparql/update"))
        .header("content-type", "application/sparql-update")
        .body(insert)
        .send()
        .unwrap();
    assert_eq!(none.status(), StatusCode::NOT_FOUND);
}

#[test]
fn health_metrics_and_cors() {
    let server = shipped();
    let health: serde_json::Value = client()
        .get(server.url("/healthz"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert!(health["graph_revision"].as_u64().unwrap() >= 1);
    let response = client()
        .get(server.url("/sparql"))
        .query(&[("query", "ASK {}")])
        .header("origin", "https://analyst.example")
        .send()
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let metrics = client()
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(metrics.contains(
        "crosswalk_http_requests_total{route=\"/sparql\",method=\"GET\",status=\"200\"}"
    ));
    assert!(
        metrics.contains(
            "crosswalk_http_request_duration_seconds_bucket{route=\"/sparql\",le=\"+Inf\"}"
        )
    );
    assert!(metrics.contains(
        "crosswalk_graph_triples{graph=\"https://w3id.org/crosswalk/graph/seed/eu/ai-act.ttl\"}"
    ));
}

/// A saved query's whole answer is kept for the graph revision it was read at: asked again, it
/// comes from the kept copy (counted in `/metrics`) byte for byte; after a write it is read
/// afresh and holds the new data; other parameters are other answers.
#[test]
fn saved_query_results_are_kept_until_the_next_write() {
    let server = TestServer::start(|c| c.admin.token = Some(ADMIN_TOKEN.into()));
    let hits = || common::metric(&server, "crosswalk_saved_results_hits_total ");
    let instruments = |jurisdiction: &str| {
        let response = client()
            .get(server.url("/api/queries/instruments"))
            .query(&[("jurisdiction", jurisdiction)])
            .header("accept", "application/sparql-results+json")
            .send()
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().unwrap()
    };
    let first = instruments("SG");
    assert_eq!(hits(), 0);
    assert_eq!(instruments("SG"), first);
    assert_eq!(hits(), 1, "the second answer was the kept one");
    assert_ne!(instruments("EU"), first);
    assert_eq!(hits(), 1, "other parameters are another answer");

    let inserted = client()
        .post(server.url("/sparql/update"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/sparql-update")
        .body(
            "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
             INSERT DATA { GRAPH <urn:test:cache> {
               <urn:test:new-instrument> a cw:Instrument ;
                 cw:legalStatus <https://w3id.org/crosswalk/id/status/guidance> ;
                 cw:jurisdiction <https://w3id.org/crosswalk/id/jurisdiction/SG> } }",
        )
        .send()
        .unwrap();
    assert_eq!(inserted.status(), StatusCode::NO_CONTENT);
    let after = instruments("SG");
    assert!(after.contains("urn:test:new-instrument"), "{after}");
    assert_eq!(hits(), 1, "a write made the kept answer stale");

    // A burst of one answer nobody has asked for since the write: one evaluation, the rest
    // wait for it and are served what it kept.
    let burst: Vec<String> = std::thread::scope(|scope| {
        let asking: Vec<_> = (0..8).map(|_| scope.spawn(|| instruments("MY"))).collect();
        asking.into_iter().map(|a| a.join().unwrap()).collect()
    });
    assert!(burst.iter().all(|answer| *answer == burst[0]));
    assert_eq!(hits(), 1 + 7, "eight asked, one evaluated");
}

#[test]
fn streamed_saved_answers_are_kept_too() {
    // Worker processes (as shipped) and blocking threads stream by different code.
    for isolate in [true, false] {
        let server = TestServer::start(|c| c.sparql.isolate = isolate);
        let hits = || common::metric(&server, "crosswalk_saved_results_hits_total ");
        let obligations = || {
            let response = client()
                .get(server.url("/api/queries/obligations"))
                .header("accept", "application/sparql-results+json")
                .send()
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.text().unwrap()
        };
        let first = obligations();
        // Several 32 KiB buffers: threads stream it in chunks.
        assert!(first.len() > 64 * 1024, "{} bytes", first.len());
        assert_eq!(hits(), 0);
        let second = obligations();
        assert_eq!(hits(), 1, "isolate={isolate}: the streamed answer was kept");
        assert_eq!(second, first, "isolate={isolate}: byte for byte");
        let rows: serde_json::Value = serde_json::from_str(&second).unwrap();
        assert!(!rows["results"]["bindings"].as_array().unwrap().is_empty());
    }
}
