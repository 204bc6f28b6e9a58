//! Whole HTTP requests through the service's router (`server::router`), in process: the
//! SPARQL protocol (GET/POST, form and direct bodies, dataset parameters, Accept and format
//! parameters), saved queries and their parameters, search parameters, source listing, the
//! admin routes' refusal without a token, metrics. The state is the shipped catalogue in
//! memory with its search index; no admin token, so nothing is written or fetched.
//!
//! Input: `METHOD TARGET` on the first line, then `Name: value` header lines, an empty line and
//! the body. Requests hyper would refuse (bad method, URI or header) are skipped. Checks: no
//! panic; no 500 (a client cannot cause a server error); the metrics never grow a series per
//! client-chosen method.
#![no_main]

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use crosswalk::config::Config;
use crosswalk::downstream::Downstream;
use crosswalk::server::{self, AppState};
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use tower::ServiceExt;

/// Methods the metrics may name, besides one label for all others.
const KNOWN_METHODS: usize = 9;
/// Requests between two looks at the metrics (rendering them queries the graph).
const METRICS_EVERY: usize = 64;

struct Service {
    runtime: tokio::runtime::Runtime,
    router: Router,
}

fn service() -> &'static Service {
    static SERVICE: OnceLock<Service> = OnceLock::new();
    SERVICE.get_or_init(|| {
        let mut config = Config {
            // The ops database (source listing) lives here; reused by every run.
            data_dir: std::env::temp_dir().join("crosswalk-fuzz-http"),
            ..common::config()
        };
        config.sparql.timeout_secs = 1;
        config.sparql.max_rows = 50;
        config.crawl.schedule = false;
        // The catalogue's downstream stores (the derived graph is there already; the index is
        // built in the data directory).
        let downstream =
            Downstream::open(&config, common::catalogue()).expect("downstream stores");
        downstream.feed().catch_up().expect("catch up");
        let state = AppState::new(config, downstream, common::saved_queries().clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        Service {
            runtime,
            router: server::router(state),
        }
    })
}

fn parse(data: &[u8]) -> Option<Request<Body>> {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(end) => (&data[..end], &data[end + 2..]),
        None => (data, &[][..]),
    };
    let mut lines = head.split(|&b| b == b'\n');
    let first = lines.next()?;
    let space = first.iter().position(|&b| b == b' ')?;
    let mut builder = Request::builder()
        .method(&first[..space])
        .uri(&first[space + 1..]);
    for line in lines {
        let colon = line.iter().position(|&b| b == b':')?;
        let value = line[colon + 1..].trim_ascii();
        builder = builder.header(&line[..colon], value);
    }
    builder.body(Body::from(body.to_vec())).ok()
}

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 64 << 20)
        .await
        .expect("response body");
    (status, body.to_vec())
}

fuzz_target!(|data: &[u8]| {
    let service = service();
    let Some(request) = parse(data) else {
        return;
    };
    let target = request.uri().to_string();
    let (status, body) = service.runtime.block_on(send(&service.router, request));
    assert!(
        status != StatusCode::INTERNAL_SERVER_ERROR,
        "500 for {target}: {}",
        String::from_utf8_lossy(&body)
    );
    static SENT: AtomicUsize = AtomicUsize::new(0);
    if !SENT
        .fetch_add(1, Ordering::Relaxed)
        .is_multiple_of(METRICS_EVERY)
    {
        return;
    }
    let metrics = Request::get("/metrics")
        .body(Body::empty())
        .expect("request");
    let (status, body) = service.runtime.block_on(send(&service.router, metrics));
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8_lossy(&body);
    let methods: HashSet<&str> = text
        .lines()
        .filter_map(|l| l.split_once("method=\"")?.1.split_once('"').map(|(m, _)| m))
        .collect();
    assert!(
        methods.len() <= KNOWN_METHODS + 1,
        "a metrics series per client-chosen method: {methods:?}"
    );
});
