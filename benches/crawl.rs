//! Cost of an unchanged check (conditional GET answered 304) end to end — robots.txt from the
//! cache, ops state, the request, the PROV record in the graph — against its peer, a full fetch
//! of the same page (200 + charset decoding + extraction + snapshot + provision diff + atomic
//! source-graph replacement + change events). Both run against a local fixture server on
//! 127.0.0.1 in the same process, one after the other.
//!
//! Run: `cargo bench --bench crawl` (optionally `-- 300` for the number of checks per mode).

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use crosswalk::config::Config;
use crosswalk::crawl::{Crawler, Outcome};
use crosswalk::graph::Graph;
use crosswalk::source::{self, Format, NewSource};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

const V1: &str = include_str!("../tests/fixtures/crawl/regulation-v1.html");
const V2: &str = include_str!("../tests/fixtures/crawl/regulation-v2.html");
const ETAG: &str = "\"v1\"";

async fn conditional(headers: HeaderMap) -> axum::response::Response {
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v == ETAG)
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, ETAG)]).into_response();
    }
    (
        [
            (header::ETAG, ETAG),
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        ],
        V1,
    )
        .into_response()
}

fn main() {
    let checks: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(checks));
}

async fn run(checks: usize) {
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    let app = Router::new()
        .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
        .route("/page", get(conditional))
        // No validators, and the text alternates, so every fetch is a real change.
        .route(
            "/full",
            get(move || {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                async move {
                    (
                        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                        if n.is_multiple_of(2) { V1 } else { V2 },
                    )
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    config.crawl.allow_private = vec!["127.0.0.1".into()];
    config.crawl.min_host_interval_ms = 0;
    let graph = Graph::open(&config.graph_dir()).unwrap();
    for (id, path) in [("conditional", "/page"), ("full", "/full")] {
        source::add(
            &graph,
            NewSource {
                url: format!("{base}{path}"),
                jurisdiction: "EU".into(),
                id: Some(id.into()),
                format: Some(Format::Html),
                language: Some("en".into()),
                ..NewSource::default()
            },
        )
        .unwrap();
    }
    let crawler = Crawler::new(graph.clone(), &config).unwrap();
    // Baselines (and the robots.txt cache) before timing.
    assert_eq!(
        crawler.crawl_source("conditional").await.unwrap().outcome,
        Outcome::Fetched
    );
    assert_eq!(
        crawler.crawl_source("full").await.unwrap().outcome,
        Outcome::Fetched
    );

    let mut rows = Vec::new();
    for (id, expected, label) in [
        ("conditional", Outcome::Unchanged, "unchanged check (304)"),
        ("full", Outcome::Changed, "full fetch (200+extract+diff)"),
    ] {
        let start = Instant::now();
        for _ in 0..checks {
            let report = crawler.crawl_source(id).await.unwrap();
            assert_eq!(report.outcome, expected, "{report:?}");
        }
        let elapsed = start.elapsed().as_secs_f64();
        rows.push((
            label,
            elapsed * 1000.0 / checks as f64,
            checks as f64 / elapsed,
        ));
    }
    println!(
        "crawl benchmark: {checks} checks per mode, page {} bytes, local fixture server",
        V1.len()
    );
    println!("{:<32} {:>12} {:>12}", "mode", "ms/check", "checks/s");
    for (label, ms, rate) in &rows {
        println!("{label:<32} {ms:>12.2} {rate:>12.1}");
    }
    println!(
        "unchanged check is {:.1}x faster than the full fetch",
        rows[1].1 / rows[0].1
    );
}
