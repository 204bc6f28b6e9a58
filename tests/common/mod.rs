//! Test harness: the real server over a real on-disk store, on an ephemeral loopback port.
#![allow(dead_code)]

use crosswalk::config::Config;
use crosswalk::server::{self, AppState};
use crosswalk::sparql::saved::SavedQueries;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A fresh data directory under the target directory's scratch space. Servers shared through a
/// `static` are never dropped, so their directories outlive the test process; each process
/// names its directories with its pid and removes those of processes that have ended.
pub fn data_dir() -> tempfile::TempDir {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("servers");
    std::fs::create_dir_all(&root).expect("scratch directory");
    SWEPT.call_once(|| {
        for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name.split('-').next().and_then(|p| p.parse::<u32>().ok());
            if pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    });
    tempfile::Builder::new()
        .prefix(&format!("{}-", std::process::id()))
        .tempdir_in(root)
        .expect("tempdir")
}

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
        let data = data_dir();
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
        // An index costs a rebuild per server in debug builds; only search tests need one.
        config.search.enabled = search;
        configure(&mut config);
        let opened = crosswalk::downstream::open(&config).expect("open graph");
        assert!(
            opened.seeds.errors.is_empty(),
            "seed errors: {:?}",
            opened.seeds.errors
        );
        let saved = SavedQueries::load(&config.queries_dir).expect("saved queries");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(server::bind(&config)).expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(config.clone(), opened.downstream, saved);
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

    /// GETs `path` with `params` as JSON (`accept`), asserting 200 with the body in the message.
    pub fn get_json(&self, path: &str, params: &[(&str, &str)], accept: &str) -> serde_json::Value {
        let response = client()
            .get(self.url(path))
            .query(params)
            .header("accept", accept)
            .send()
            .unwrap();
        let status = response.status();
        let text = response.text().unwrap();
        assert_eq!(status.as_u16(), 200, "{path} {params:?}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Runs a SPARQL query through `/sparql` and returns the JSON results.
    pub fn sparql(&self, query: &str) -> serde_json::Value {
        self.get_json(
            "/sparql",
            &[("query", query)],
            "application/sparql-results+json",
        )
    }

    /// Runs a saved query through `/api/queries/{name}` and returns its JSON bindings.
    pub fn saved(&self, name: &str, params: &[(&str, &str)]) -> Vec<serde_json::Value> {
        bindings(&self.get_json(
            &format!("/api/queries/{name}"),
            params,
            "application/sparql-results+json",
        ))
    }
}

/// The bindings of a SPARQL JSON result.
pub fn bindings(results: &serde_json::Value) -> Vec<serde_json::Value> {
    results["results"]["bindings"].as_array().unwrap().clone()
}

/// The lexical value of `var` in a JSON result row ("" when unbound).
pub fn value<'a>(row: &'a serde_json::Value, var: &str) -> &'a str {
    row[var]["value"].as_str().unwrap_or("")
}

/// The integer bound to `?n` in the first row (COUNT queries).
pub fn count_of(rows: &[serde_json::Value]) -> u64 {
    value(&rows[0], "n").parse().unwrap()
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
