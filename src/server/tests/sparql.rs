//! `/sparql`, updates and saved queries: protocol errors, time limits, tokens, slots and
//! content negotiation.

use super::*;

#[tokio::test]
async fn sparql_protocol_errors() {
    let r = &reader().router;
    let bad = get(
        r,
        &format!("/sparql?query={}", encode("SELECT * WHERE { ?s ?p")),
    )
    .await;
    expect(&bad, StatusCode::BAD_REQUEST, "error at");
    let form = post(
        r,
        "/sparql",
        "application/x-www-form-urlencoded",
        "default-graph-uri=x",
        None,
    )
    .await;
    expect(&form, StatusCode::BAD_REQUEST, "missing 'query'");
    let unsupported = post(r, "/sparql", "text/plain", "ASK {}", None).await;
    expect(
        &unsupported,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "application/sparql-query",
    );
    let update = post(r, "/sparql", "application/sparql-update", "CLEAR ALL", None).await;
    expect(&update, StatusCode::FORBIDDEN, "read-only");
    let update_form = post(
        r,
        "/sparql",
        "application/x-www-form-urlencoded",
        &format!("update={}", encode("CLEAR ALL")),
        None,
    )
    .await;
    expect(&update_form, StatusCode::FORBIDDEN, "read-only");
    let not_acceptable = send(
        r,
        request(Method::GET, &format!("/sparql?query={}", encode("ASK {}")))
            .header(header::ACCEPT, "image/png")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        not_acceptable.status,
        StatusCode::NOT_ACCEPTABLE,
        "{}",
        not_acceptable.body
    );
    let remote = get(
        r,
        &format!(
            "/sparql?query={}",
            encode("SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
        ),
    )
    .await;
    expect(
        &remote,
        StatusCode::BAD_REQUEST,
        "SERVICE calls are disabled",
    );
    let dataset = get(
        r,
        &format!(
            "/sparql?query={}&default-graph-uri=not%20an%20iri",
            encode("ASK {}")
        ),
    )
    .await;
    expect(&dataset, StatusCode::BAD_REQUEST, "invalid dataset IRI");
    let huge = format!("ASK {{ FILTER({}) }}", "1 = 1 && ".repeat(40_000));
    let too_large = post(r, "/sparql", "application/sparql-query", &huge, None).await;
    expect(&too_large, StatusCode::PAYLOAD_TOO_LARGE, "the limit is");
    let wrong_method = send(
        r,
        request(Method::DELETE, "/sparql")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    // Without a query: the service description, in Turtle for a browser.
    let description = get(r, "/sparql").await;
    expect(&description, StatusCode::OK, "sd:endpoint");
}

#[tokio::test]
async fn a_query_past_its_time_limit_is_a_503() {
    let h = harness(|c| {
        c.sparql.timeout_secs = 1;
        c.search.enabled = false;
    });
    // A chain join: every row is a storage lookup, and lookups are where Oxigraph checks for
    // cancellation (a pure cross product over in-memory data would not stop; issue 18).
    let explosive =
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?c ?d ?e . ?e ?f ?g . ?g ?h ?i . ?i ?j ?k }";
    let answer = get(&h.router, &format!("/sparql?query={}", encode(explosive))).await;
    expect(&answer, StatusCode::SERVICE_UNAVAILABLE, "time limit");
}

#[tokio::test]
async fn updates_need_a_configured_token_and_the_right_one() {
    let r = &reader().router;
    let absent = post(
        r,
        "/sparql/update",
        "application/sparql-update",
        "CLEAR ALL",
        Some(TOKEN),
    )
    .await;
    assert_eq!(
        absent.status,
        StatusCode::NOT_FOUND,
        "no token configured: no update route"
    );
    // Its own graph (the revision is asserted) and an index (acknowledged means searchable).
    let h = harness(|c| c.admin.token = Some(TOKEN.into()));
    let insert = "INSERT DATA { <urn:s> <urn:p> <urn:o> }";
    let missing = post(
        &h.router,
        "/sparql/update",
        "application/sparql-update",
        insert,
        None,
    )
    .await;
    expect(&missing, StatusCode::UNAUTHORIZED, "bearer token required");
    assert!(missing.headers.contains_key(header::WWW_AUTHENTICATE));
    let wrong = post(
        &h.router,
        "/sparql/update",
        "application/sparql-update",
        insert,
        Some("wrong-token-wrong-token"),
    )
    .await;
    expect(&wrong, StatusCode::FORBIDDEN, "invalid admin token");
    let media = post(
        &h.router,
        "/sparql/update",
        "text/plain",
        insert,
        Some(TOKEN),
    )
    .await;
    assert_eq!(media.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let syntax = post(
        &h.router,
        "/sparql/update",
        "application/sparql-update",
        "INSERT DATA {",
        Some(TOKEN),
    )
    .await;
    assert_eq!(syntax.status, StatusCode::BAD_REQUEST, "{}", syntax.body);
    let before = h.state.graph().revision();
    let done = post(
        &h.router,
        "/sparql/update",
        "application/sparql-update",
        insert,
        Some(TOKEN),
    )
    .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    assert_eq!(h.state.graph().revision(), before + 1);
    // Acknowledged means everything downstream reflects it.
    let revision = h.state.graph().revision();
    assert!(
        h.state.feed().status().iter().all(|(_, r)| *r == revision),
        "{:?} at {revision}",
        h.state.feed().status()
    );
}

#[tokio::test]
async fn updates_that_cannot_be_done_are_the_clients_fault_and_change_nothing() {
    // Its own graph: the revision is asserted.
    let h = &harness(|c| {
        c.admin.token = Some(TOKEN.into());
        c.search.enabled = false;
    });
    let update = |text: &'static str| {
        post(
            &h.router,
            "/sparql/update",
            "application/sparql-update",
            text,
            Some(TOKEN),
        )
    };
    let made = update("CREATE GRAPH <urn:test:made>").await;
    assert_eq!(made.status, StatusCode::NO_CONTENT, "{}", made.body);
    let before = h.state.graph().revision();
    for (text, message) in [
        ("LOAD <http://127.0.0.1:9/x.ttl>", "LOAD is not available"),
        (
            "LOAD <http://127.0.0.1:9/x.ttl> INTO GRAPH <urn:test:g>",
            "never fetches remote documents",
        ),
        ("CREATE GRAPH <urn:test:made>", "already exists"),
        ("DROP GRAPH <urn:test:never-made>", "does not exist"),
        (
            "INSERT { <urn:s> <urn:p> ?o } WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
            "SERVICE",
        ),
    ] {
        let answer = update(text).await;
        expect(&answer, StatusCode::BAD_REQUEST, message);
    }
    assert_eq!(
        h.state.graph().revision(),
        before,
        "a refused update writes nothing"
    );
    // LOAD SILENT fails silently, as the protocol says.
    let silent = update("LOAD SILENT <http://127.0.0.1:9/x.ttl>").await;
    assert_eq!(silent.status, StatusCode::NO_CONTENT, "{}", silent.body);
}

#[tokio::test]
async fn saved_query_errors() {
    let r = &reader().router;
    expect(
        &get(r, "/api/queries/no-such-query").await,
        StatusCode::NOT_FOUND,
        "no-such-query",
    );
    let unknown = get(r, "/api/queries/obligations?colour=red").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.body);
    let bad_date = get(r, "/api/queries/obligations?asOf=yesterday").await;
    assert_eq!(
        bad_date.status,
        StatusCode::BAD_REQUEST,
        "{}",
        bad_date.body
    );
    let format = get(r, "/api/queries/obligations?format=png").await;
    assert_eq!(format.status, StatusCode::NOT_ACCEPTABLE, "{}", format.body);
    let listed = get(r, "/api/queries").await;
    expect(&listed, StatusCode::OK, "\"obligations\"");
}

#[tokio::test]
async fn negotiation_follows_q_values_and_the_format_parameter_wins() {
    let r = &reader().router;
    let uri = format!(
        "/sparql?query={}",
        encode("SELECT ?s WHERE { ?s a cw:Instrument } LIMIT 1")
    );
    let with_accept = |accept: &'static str| {
        request(Method::GET, &uri)
            .header(header::ACCEPT, accept)
            .body(Body::empty())
            .unwrap()
    };
    let csv = send(
        r,
        with_accept("application/sparql-results+json;q=0.5, text/csv"),
    )
    .await;
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(csv.body.starts_with("s\r\n"), "{:?}", csv.body);
    let overridden = get(r, &format!("{uri}&format=tsv")).await;
    assert!(
        overridden.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/tab-separated-values"),
        "{:?}",
        overridden.headers
    );
    let graph = get(
        r,
        &format!(
            "/sparql?query={}&format=ntriples",
            encode("CONSTRUCT { ?s a cw:Instrument } WHERE { ?s a cw:Instrument } LIMIT 2")
        ),
    )
    .await;
    assert_eq!(graph.headers[header::CONTENT_TYPE], "application/n-triples");
    assert_eq!(graph.body.lines().count(), 2, "{}", graph.body);
}

/// A SPARQL update takes a query slot and runs under the time limit like a query.
#[tokio::test]
async fn updates_are_refused_when_the_client_has_no_slot() {
    let h = harness(|c| {
        c.admin.token = Some(TOKEN.into());
        c.sparql.max_concurrent = 1;
        c.sparql.max_per_client = 1;
        c.sparql.max_queued_per_client = 0;
    });
    // Hold the only slot, as a running query would.
    let held = h
        .state
        .slots
        .acquire(
            crate::server::slots::ClientKey::unknown(),
            std::time::Duration::from_secs(1),
        )
        .await
        .unwrap();
    let refused = post(
        &h.router,
        "/sparql/update",
        "application/sparql-update",
        "INSERT DATA { <urn:s> <urn:p> <urn:o> }",
        Some(TOKEN),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    drop(held);
    let done = post(
        &h.router,
        "/sparql/update",
        "application/sparql-update",
        "INSERT DATA { <urn:s> <urn:p> <urn:o> }",
        Some(TOKEN),
    )
    .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
}
