//! Every route's error statuses, in process: the router over the shipped catalogue in an
//! in-memory graph with a real search index and ops database in a temporary directory, driven
//! with `tower::ServiceExt::oneshot`. These run in milliseconds; what needs real sockets
//! (streaming, threads, timeouts across connections, third-party clients) stays in `tests/`.

mod admin;
mod registry;
mod sparql;

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

/// A harness shared by several tests, each on its own runtime: made off every runtime, so its
/// state keeps no handle to the first test's (background work then runs on the caller's, and
/// does not die with the test that happened to make the harness).
fn shared(configure: impl FnOnce(&mut Config) + Send) -> Harness {
    std::thread::scope(|scope| scope.spawn(|| harness(configure)).join().unwrap())
}

/// One shared read-only harness (no admin token) for the tests that write nothing.
fn reader() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| shared(|_| {}))
}

/// A harness with an admin token, shared by the tests that write through it without asserting
/// on revisions (registry and crawl requests). No index: they never search.
fn admin() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        shared(|c| {
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
