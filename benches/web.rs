//! Web UI render cost on the shipped seeds: server time per request (p50, p99) and bytes sent
//! for the search page, a requirement page and the framework explorer, driven in process
//! through the real router (`tower::ServiceExt::oneshot`: no sockets, so the numbers are the
//! server's own work — query, index, templates — not the network's).
//!
//! ```sh
//! cargo bench --bench web                        # release: the numbers in BENCHMARKS.md ("Web UI")
//! cargo bench --profile dev --bench web          # unoptimised, without a release build
//! WEB_BENCH_ROUNDS=200 cargo bench --profile dev --bench web
//! WEB_BENCH_PAGES=search cargo bench --profile dev --bench web   # only pages whose name has it
//! ```
//!
//! "Transferred" is the HTML plus the assets a first visit loads (stylesheet and script; the
//! console's YASGUI is not part of these pages), uncompressed: the server sends no
//! `Content-Encoding`.

use axum::body::Body;
use axum::http::Request;
use crosswalk::config::Config;
use crosswalk::downstream::Downstream;
use crosswalk::graph::Graph;
use crosswalk::server::{AppState, router};
use crosswalk::sparql::saved::SavedQueries;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const PAGES: [(&str, &str); 5] = [
    (
        "search (watermark, SG)",
        "/search?q=watermark&jurisdiction=SG",
    ),
    ("search (empty, facets only)", "/search"),
    (
        "requirement page",
        "/id/requirement/sg-mgf-genai/dim-7-content-provenance",
    ),
    (
        "provision page (EU Art. 50(2))",
        "/id/provision/eu-ai-act/art-50-2",
    ),
    (
        "explorer NIST RMF → ISO 42001",
        "/crosswalk?from=us-nist-ai-rmf&to=iso-iec-42001",
    ),
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn get(app: &axum::Router, path: &str) -> (u16, Vec<u8>) {
    let response = app
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, body.to_vec())
}

/// `/assets/…?v=…` URLs a page links.
fn assets(html: &str) -> Vec<String> {
    html.match_indices("/assets/")
        .filter_map(|(at, _)| {
            let rest = &html[at..];
            let end = rest.find('"')?;
            Some(rest[..end].replace("&#38;", "&"))
        })
        .collect()
}

fn main() {
    let rounds: usize = std::env::var("WEB_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(100);
    let data = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: data.path().to_path_buf(),
        ..Config::default()
    };
    config.crawl.schedule = false;
    let graph = Graph::in_memory().unwrap();
    let report = crosswalk::graph::load_seed_dirs(&graph, &crosswalk::seed_roots(&config)).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let downstream = Downstream::open(&config, &graph).unwrap();
    downstream.feed().catch_up().unwrap();
    let saved = SavedQueries::load(&config.queries_dir).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(async { router(AppState::new(config, downstream, saved)) });
    println!("| page | p50 | p99 | HTML bytes | with CSS + JS |");
    println!("|---|---|---|---|---|");
    let only = std::env::var("WEB_BENCH_PAGES").unwrap_or_default();
    for (name, path) in PAGES
        .into_iter()
        .filter(|(name, _)| name.contains(only.as_str()))
    {
        runtime.block_on(async {
            // The first request fills the per-revision caches (labels, mappings, codes).
            let (status, html) = get(&app, path).await;
            assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&html));
            let html_text = String::from_utf8_lossy(&html).into_owned();
            let mut total = html.len();
            for asset in assets(&html_text) {
                total += get(&app, &asset).await.1.len();
            }
            let mut times = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                let start = Instant::now();
                let (status, _) = get(&app, path).await;
                times.push(start.elapsed());
                assert_eq!(status, 200);
            }
            times.sort();
            println!(
                "| {name} | {:.1} ms | {:.1} ms | {} | {} |",
                percentile(&times, 0.5).as_secs_f64() * 1e3,
                percentile(&times, 0.99).as_secs_f64() * 1e3,
                html.len(),
                total
            );
        });
    }
}
