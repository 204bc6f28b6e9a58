//! Every route's error statuses, in process: the router over the shipped catalogue in an
//! in-memory graph with a real search index and ops database in a temporary directory, driven
//! with `tower::ServiceExt::oneshot`. These run in milliseconds; what needs real sockets
//! (streaming, threads, timeouts across connections, third-party clients) stays in `tests/`.

use super::{AppState, router};
use crate::config::Config;
use crate::downstream::Downstream;
use crate::graph::Graph;
use crate::sparql::saved::SavedQueries;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use std::sync::OnceLock;
use tower::ServiceExt;

const TOKEN: &str = "test-admin-token-0123456789";

/// A router over a fresh copy of the catalogue; `configure` adjusts the defaults.
struct Harness {
    router: Router,
    state: AppState,
    _data: tempfile::TempDir,
}

fn catalogue() -> &'static Graph {
    static GRAPH: OnceLock<Graph> = OnceLock::new();
    GRAPH.get_or_init(|| {
        let graph = Graph::in_memory().unwrap();
        let report =
            crate::graph::load_seed_dirs(&graph, &crate::seed_roots(&Config::default())).unwrap();
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        graph
    })
}

/// A copy of the loaded catalogue, so tests that write do not see each other.
fn copy_of_catalogue() -> Graph {
    let copy = Graph::in_memory().unwrap();
    let quads: Vec<_> = catalogue()
        .quads_for_pattern(None, None, None, None)
        .collect::<Result<_, _>>()
        .unwrap();
    copy.write(|t| {
        t.extend(&quads);
        Ok::<_, crate::graph::GraphError>(())
    })
    .unwrap();
    copy
}

fn harness(configure: impl FnOnce(&mut Config)) -> Harness {
    let data = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: data.path().to_path_buf(),
        ..Config::default()
    };
    config.crawl.schedule = false;
    configure(&mut config);
    let graph = copy_of_catalogue();
    let downstream = Downstream::open(&config, &graph).unwrap();
    downstream.feed().catch_up().unwrap();
    let saved = SavedQueries::load(&config.queries_dir).unwrap();
    let state = AppState::new(config, downstream, saved);
    Harness {
        router: router(state.clone()),
        state,
        _data: data,
    }
}

/// A router over an empty on-disk store (RocksDB, where overlapping transactions really
/// overlap; the in-memory store serialises them), with the admin token and no index.
fn on_disk() -> Harness {
    let data = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: data.path().to_path_buf(),
        ..Config::default()
    };
    config.crawl.schedule = false;
    config.search.enabled = false;
    config.admin.token = Some(TOKEN.into());
    let graph = Graph::open(&config.graph_dir()).unwrap();
    let downstream = Downstream::open(&config, &graph).unwrap();
    let saved = SavedQueries::load(&config.queries_dir).unwrap();
    let state = AppState::new(config, downstream, saved);
    Harness {
        router: router(state.clone()),
        state,
        _data: data,
    }
}

/// One shared read-only harness (no admin token) for the tests that write nothing.
fn reader() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| harness(|_| {}))
}

/// A harness with an admin token, shared by the tests that write through it without asserting
/// on revisions (registry and crawl requests). No index: they never search.
fn admin() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        harness(|c| {
            c.admin.token = Some(TOKEN.into());
            c.search.enabled = false;
        })
    })
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn request(method: Method, uri: &str) -> axum::http::request::Builder {
    Request::builder().method(method).uri(uri)
}

async fn get(router: &Router, uri: &str) -> Answer {
    send(
        router,
        request(Method::GET, uri).body(Body::empty()).unwrap(),
    )
    .await
}

async fn post(
    router: &Router,
    uri: &str,
    content_type: &str,
    body: &str,
    token: Option<&str>,
) -> Answer {
    let mut builder = request(Method::POST, uri).header(header::CONTENT_TYPE, content_type);
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    send(router, builder.body(Body::from(body.to_owned())).unwrap()).await
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[track_caller]
fn expect(answer: &Answer, status: StatusCode, needle: &str) {
    assert_eq!(answer.status, status, "body: {}", answer.body);
    assert!(
        answer.body.contains(needle),
        "{status}: {needle:?} not in {:?}",
        answer.body
    );
}

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
async fn search_errors_and_a_disabled_index() {
    let r = &reader().router;
    for (uri, needle) in [
        ("/api/search?limit=many", "non-negative integer"),
        ("/api/search?from=2026-13-45", "YYYY-MM-DD"),
        ("/api/search?sort=colour", "relevance or date"),
        ("/api/search?colour=red", "unknown parameter"),
        ("/api/search?offset=1000000", "offset"),
    ] {
        expect(&get(r, uri).await, StatusCode::BAD_REQUEST, needle);
    }
    let long = get(r, &format!("/api/search?q={}", "a".repeat(1001))).await;
    expect(&long, StatusCode::BAD_REQUEST, "characters long");
    expect(
        &get(r, "/api/search?q=watermark").await,
        StatusCode::OK,
        "\"hits\"",
    );
    let off = harness(|c| c.search.enabled = false);
    expect(
        &get(&off.router, "/api/search?q=x").await,
        StatusCode::SERVICE_UNAVAILABLE,
        "not enabled",
    );
}

#[tokio::test]
async fn source_registry_errors() {
    let r = &reader().router;
    let disabled = post(r, "/api/sources", "application/json", "{}", Some(TOKEN)).await;
    expect(
        &disabled,
        StatusCode::NOT_FOUND,
        "admin routes are disabled",
    );
    let h = admin();
    let json = "application/json";
    let no_token = post(
        &h.router,
        "/api/sources",
        json,
        r#"{"url":"https://example.org/a","jurisdiction":"SG"}"#,
        None,
    )
    .await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
    for (body, needle) in [
        ("not json", "invalid source JSON"),
        (
            r#"{"url":"https://example.org/a","jurisdiction":"SG","colour":1}"#,
            "unknown field",
        ),
        (
            r#"{"url":"ftp://example.org/a","jurisdiction":"SG"}"#,
            "http or https",
        ),
        (
            r#"{"url":"https://example.org/a","jurisdiction":"S G"}"#,
            "jurisdiction",
        ),
        (
            r#"{"url":"https://example.org/a","jurisdiction":"SG","schedule":"0 4 * * *"}"#,
            "six cron fields",
        ),
        (
            r#"{"url":"https://example.org/a","jurisdiction":"SG","include_selector":"<<"}"#,
            "selector",
        ),
        (
            r#"{"kind":"telegraph","jurisdiction":"EU"}"#,
            "unknown variant",
        ),
        (
            r#"{"kind":"cellar","celex":"2024/1689","jurisdiction":"EU"}"#,
            "not a CELEX number",
        ),
        (
            r#"{"kind":"cellar","celex":"32024R1689","link_pattern":"x","jurisdiction":"EU"}"#,
            "only applies to another kind",
        ),
        (
            r#"{"kind":"federal-register","document_number":"--","jurisdiction":"US"}"#,
            "not a Federal Register document number",
        ),
        (
            r#"{"kind":"federal-register","query":"order=newest","jurisdiction":"US"}"#,
            "only conditions",
        ),
        (
            r#"{"kind":"listing","url":"https://example.org/news","link_pattern":"(","jurisdiction":"SG"}"#,
            "link_pattern",
        ),
    ] {
        let answer = post(&h.router, "/api/sources", json, body, Some(TOKEN)).await;
        expect(&answer, StatusCode::BAD_REQUEST, needle);
    }
    let body = r#"{"url":"https://example.org/ai/rules","jurisdiction":"SG","id":"example-rules"}"#;
    let added = post(&h.router, "/api/sources", json, body, Some(TOKEN)).await;
    expect(&added, StatusCode::CREATED, "example-rules");
    let again = post(&h.router, "/api/sources", json, body, Some(TOKEN)).await;
    expect(&again, StatusCode::CONFLICT, "already exists");
    let delete = |uri: &str| {
        request(Method::DELETE, uri)
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap()
    };
    let seeded = send(&h.router, delete("/api/sources/sg-mgf-2020-pdpc")).await;
    assert_eq!(seeded.status, StatusCode::CONFLICT, "{}", seeded.body);
    let unknown = send(&h.router, delete("/api/sources/no-such-source")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    let pause = post(
        &h.router,
        "/api/sources/no-such-source/pause",
        json,
        "",
        Some(TOKEN),
    )
    .await;
    assert_eq!(pause.status, StatusCode::NOT_FOUND, "{}", pause.body);
    let removed = send(&h.router, delete("/api/sources/example-rules")).await;
    expect(&removed, StatusCode::OK, "example-rules");
}

#[tokio::test]
async fn crawl_request_errors() {
    let h = admin();
    let json = "application/json";
    assert_eq!(
        post(&h.router, "/api/crawl", json, r#"{"all":true}"#, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    expect(
        &post(&h.router, "/api/crawl", json, "[]", Some(TOKEN)).await,
        StatusCode::BAD_REQUEST,
        "expected",
    );
    let both = post(
        &h.router,
        "/api/crawl",
        json,
        r#"{"source":"x","all":true}"#,
        Some(TOKEN),
    )
    .await;
    expect(&both, StatusCode::BAD_REQUEST, "exactly one");
    let neither = post(&h.router, "/api/crawl", json, "{}", Some(TOKEN)).await;
    expect(&neither, StatusCode::BAD_REQUEST, "exactly one");
    let unknown = post(
        &h.router,
        "/api/crawl",
        json,
        r#"{"source":"no-such-source"}"#,
        Some(TOKEN),
    )
    .await;
    expect(&unknown, StatusCode::NOT_FOUND, "no-such-source");
}

#[tokio::test]
async fn discovery_queue_errors() {
    let r = &reader().router;
    let listed = get(r, "/api/discoveries").await;
    expect(&listed, StatusCode::OK, "\"discoveries\"");
    for (uri, needle) in [
        ("/api/discoveries?status=bogus", "expected pending, tracked"),
        ("/api/discoveries?limit=ten", "expected a number"),
        ("/api/discoveries?colour=red", "unknown parameter"),
    ] {
        expect(&get(r, uri).await, StatusCode::BAD_REQUEST, needle);
    }
    let unknown = get(r, "/api/discoveries/no-such-discovery").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    let json = "application/json";
    let disabled = post(r, "/api/discoveries/x/track", json, "", Some(TOKEN)).await;
    expect(
        &disabled,
        StatusCode::NOT_FOUND,
        "admin routes are disabled",
    );
    let h = admin();
    for action in ["track", "dismiss"] {
        let uri = format!("/api/discoveries/no-such-discovery/{action}");
        let anonymous = post(&h.router, &uri, json, "", None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{action}");
        let missing = post(&h.router, &uri, json, "", Some(TOKEN)).await;
        expect(&missing, StatusCode::NOT_FOUND, "no-such-discovery");
    }
    let bad = post(
        &h.router,
        "/api/discoveries/no-such-discovery/track",
        json,
        "{\"id\": 7}",
        Some(TOKEN),
    )
    .await;
    expect(&bad, StatusCode::BAD_REQUEST, "invalid track options JSON");
}

#[tokio::test]
async fn health_reports_each_consumer_at_the_graph_revision() {
    let h = reader();
    let health = get(&h.router, "/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&health.body).unwrap();
    let revision = json["graph_revision"].as_u64().unwrap();
    assert!(revision > 0);
    for consumer in ["derived", "index"] {
        assert_eq!(
            json["consumers"][consumer].as_u64(),
            Some(revision),
            "{json}"
        );
    }
    let metrics = get(&h.router, "/metrics").await;
    expect(&metrics, StatusCode::OK, "crosswalk_graph_triples");
    assert_eq!(
        get(&h.router, "/no/such/route").await.status,
        StatusCode::NOT_FOUND
    );
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

/// Issue 18, "lost updates": Oxigraph's transactions commit without conflict detection, so
/// before `Graph::write` took a lock, 40 concurrent pause/resume calls (all answered 200)
/// advanced the revision by 26 and could leave both values stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_pauses_and_resumes_are_each_one_revision_and_leave_one_value() {
    let h = on_disk();
    let body = r#"{"url":"https://example.org/rules","jurisdiction":"SG","id":"toggled"}"#;
    let added = post(
        &h.router,
        "/api/sources",
        "application/json",
        body,
        Some(TOKEN),
    )
    .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    let before = h.state.graph().revision();
    let calls: Vec<_> = (0..40)
        .map(|i| {
            let router = h.router.clone();
            let action = if i % 2 == 0 { "pause" } else { "resume" };
            tokio::spawn(async move {
                post(
                    &router,
                    &format!("/api/sources/toggled/{action}"),
                    "application/json",
                    "",
                    Some(TOKEN),
                )
                .await
                .status
            })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(h.state.graph().revision(), before + 40);
    let values = h
        .state
        .graph()
        .select(
            "test",
            "SELECT ?v WHERE { GRAPH <https://w3id.org/crosswalk/graph/sources> { <https://w3id.org/crosswalk/id/source/toggled> <https://w3id.org/crosswalk/ontology#enabled> ?v } }",
            [],
        )
        .unwrap();
    assert_eq!(values.len(), 1, "{values:?}");
}

/// `source::add` checks for duplicates inside its write: of ten concurrent registrations of one
/// id, exactly one is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_of_one_source_create_it_once() {
    let h = on_disk();
    let calls: Vec<_> = (0..10)
        .map(|i| {
            let router = h.router.clone();
            tokio::spawn(async move {
                // Same id, different URLs: only the id check can refuse them.
                let body = format!(
                    r#"{{"url":"https://example.org/rules/{i}","jurisdiction":"SG","id":"race"}}"#
                );
                post(
                    &router,
                    "/api/sources",
                    "application/json",
                    &body,
                    Some(TOKEN),
                )
                .await
                .status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for call in calls {
        statuses.push(call.await.unwrap());
    }
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let conflicts = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, conflicts), (1, 9), "{statuses:?}");
}

/// Refused admin requests are counted, and logged with the client and route but without what
/// was presented.
#[tokio::test]
async fn refused_admin_requests_are_counted_and_logged_without_the_token() {
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);
    // Its own harness: the counters are asserted.
    let h = harness(|c| {
        c.admin.token = Some(TOKEN.into());
        c.search.enabled = false;
    });
    // Other tests on other threads hit the refusal's callsite with no subscriber; one that was
    // registering it while `set_default` rebuilt the interest cache keeps "never" cached, and
    // this thread's events would be dropped (tracing's callsite cache is process-wide). Rebuild
    // it again now that any such registration has finished.
    tracing::callsite::rebuild_interest_cache();
    let guess = "guessed-token-9876543210-secret";
    for token in [Some(guess), None] {
        let answer = post(&h.router, "/api/crawl", "application/json", "{}", token).await;
        assert!(answer.status.is_client_error());
    }
    let metrics = get(&h.router, "/metrics").await.body;
    assert!(
        metrics.contains("crosswalk_admin_auth_failures_total{reason=\"invalid\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("crosswalk_admin_auth_failures_total{reason=\"missing\"} 1"),
        "{metrics}"
    );
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("admin request refused"), "{log}");
    assert!(log.contains("/api/crawl"), "{log}");
    assert!(!log.contains(guess), "{log}");
    assert!(!log.contains(TOKEN), "{log}");
}

/// Every admin route is behind the one layer: without a token each answers 401, never reaching
/// its handler (an unknown source would otherwise be a 404, a bad body a 400).
#[tokio::test]
async fn every_admin_route_needs_the_token() {
    let h = admin();
    for (method, uri) in [
        (Method::POST, "/sparql/update"),
        (Method::POST, "/api/sources"),
        (Method::DELETE, "/api/sources/no-such-source"),
        (Method::POST, "/api/sources/no-such-source/pause"),
        (Method::POST, "/api/sources/no-such-source/resume"),
        (Method::POST, "/api/crawl"),
        (Method::POST, "/api/admin/backup"),
        (Method::POST, "/api/admin/retention"),
        (Method::POST, "/api/subscriptions"),
        (Method::GET, "/api/subscriptions"),
        (Method::GET, "/api/subscriptions/sub_x"),
        (Method::PATCH, "/api/subscriptions/sub_x"),
        (Method::DELETE, "/api/subscriptions/sub_x"),
        (Method::POST, "/api/subscriptions/sub_x/rotate-secret"),
        (Method::POST, "/api/subscriptions/sub_x/test"),
        (Method::POST, "/api/subscriptions/sub_x/digest"),
        (Method::GET, "/api/subscriptions/sub_x/deliveries"),
        (Method::POST, "/api/deliveries/1/retry"),
    ] {
        let answer = send(
            &h.router,
            request(method.clone(), uri)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("not json"))
                .unwrap(),
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
    }
    // The public routes stay public, including the listing beside the admin POST.
    assert_eq!(get(&h.router, "/api/sources").await.status, StatusCode::OK);
}

/// `/metrics` used to scan every quad on each scrape; the counts are now kept per revision.
#[tokio::test]
async fn triple_counts_are_computed_once_per_graph_revision() {
    // Its own harness: the counters are asserted.
    let h = harness(|c| {
        c.admin.token = Some(TOKEN.into());
        c.search.enabled = false;
    });
    for _ in 0..3 {
        expect(
            &get(&h.router, "/metrics").await,
            StatusCode::OK,
            "crosswalk_graph_triples",
        );
    }
    assert_eq!(h.state.metrics.graph_size_scans(), 1);
    let insert = "INSERT DATA { GRAPH <urn:test:m> { <urn:s> <urn:p> <urn:o> } }";
    post(
        &h.router,
        "/sparql/update",
        "application/sparql-update",
        insert,
        Some(TOKEN),
    )
    .await;
    let after = get(&h.router, "/metrics").await.body;
    assert!(
        after.contains("crosswalk_graph_triples{graph=\"urn:test:m\"} 1"),
        "{after}"
    );
    assert_eq!(h.state.metrics.graph_size_scans(), 2);
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
            super::slots::ClientKey::unknown(),
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
