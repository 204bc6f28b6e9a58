//! Test harness: the real server over a real on-disk store, on an ephemeral loopback port.
#![allow(dead_code)]

use crosswalk::config::Config;
use crosswalk::server::{self, AppState};
use crosswalk::sparql::saved::SavedQueries;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub struct TestServer {
    pub base: String,
    pub data: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
}

impl TestServer {
    /// Starts a server over a fresh data directory; `configure` adjusts the defaults.
    pub fn start(configure: impl FnOnce(&mut Config)) -> Self {
        Self::start_inner(configure, false)
    }

    /// Like [`TestServer::start`], with the search index (`<data>/index`) enabled.
    pub fn start_searchable(configure: impl FnOnce(&mut Config)) -> Self {
        Self::start_inner(configure, true)
    }

    fn start_inner(configure: impl FnOnce(&mut Config), search: bool) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let data = tempfile::tempdir().expect("tempdir");
        let mut config = Config {
            data_dir: data.path().to_path_buf(),
            bind: "127.0.0.1:0".parse().unwrap(),
            ..Config::default()
        };
        // Debug builds run RocksDB's C++ unoptimised; analyst queries that take well under a
        // second in release can take several here. Tests of the limit itself set their own.
        config.sparql.timeout_secs = 60;
        // No cron-driven crawling of the seeded (public) sources during tests.
        config.crawl.schedule = false;
        configure(&mut config);
        let (graph, report) = crosswalk::open_graph(&config).expect("open graph");
        assert!(report.errors.is_empty(), "seed errors: {:?}", report.errors);
        let saved = SavedQueries::load(&config.queries_dir).expect("saved queries");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(server::bind(&config)).expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut state = AppState::new(config.clone(), graph.clone(), saved);
        if search {
            let index = crosswalk::index::SearchIndex::open(&config.index_dir(), &graph)
                .expect("open search index");
            state = state.with_search(index);
        }
        runtime.spawn(async move { server::serve(state, listener).await });
        Self {
            base,
            data,
            runtime,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// One server with the shipped seeds, shared by every test in a test binary.
pub fn shipped() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| TestServer::start(|_| {}))
}

pub fn client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap()
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The checkout's root (seeds, ontology, queries, tests).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
