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
        // Queries run in worker processes, as in `crosswalk serve`.
        let state = AppState::with_workers(
            config.clone(),
            opened.downstream,
            saved,
            env!("CARGO_BIN_EXE_crosswalk").into(),
        );
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

/// The value of the first `/metrics` line starting with `line_prefix`, 0 when there is none.
pub fn metric(server: &TestServer, line_prefix: &str) -> u64 {
    metric_at(&server.url("/metrics"), line_prefix)
}

/// [`metric`] from any server's `/metrics` URL (a [`ServeProcess`] too).
pub fn metric_at(metrics_url: &str, line_prefix: &str) -> u64 {
    let text = client().get(metrics_url).send().unwrap().text().unwrap();
    text.lines()
        .find(|l| l.starts_with(line_prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
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

/// A free loopback port (bound and released: a process started next can take it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Writes `<dir>/<name>.toml` for a `crosswalk serve` on `127.0.0.1:{port}` with the small
/// seed set, followed by `settings` (TOML tables), and returns its path.
pub fn small_config(dir: &Path, name: &str, port: u16, settings: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "seeds_dir = {:?}\nbind = \"127.0.0.1:{port}\"\n{settings}\n",
            fixtures().join("feed-seeds")
        ),
    )
    .unwrap();
    path
}

/// `crosswalk serve` (the real binary) as its own process, for what only a process shows:
/// signals, SIGKILL, restarts over one data directory. Killed when dropped.
pub struct ServeProcess {
    pub child: std::process::Child,
    pub base: String,
}

impl ServeProcess {
    /// Starts the server with `config` (which must bind `127.0.0.1:{port}`) over `data` and
    /// waits until `/healthz` answers; panics if the process exits first.
    pub fn start(config: &Path, data: &Path, port: u16) -> Self {
        Self::start_with_env(config, data, port, &[])
    }

    /// [`ServeProcess::start`] with extra environment variables (`CROSSWALK_PAUSE_BEFORE`).
    pub fn start_with_env(config: &Path, data: &Path, port: u16, env: &[(&str, &str)]) -> Self {
        use std::time::{Duration, Instant};
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_crosswalk"))
            .args(["serve", "--data"])
            .arg(data)
            .arg("--config")
            .arg(config)
            .env("CROSSWALK_LOG", "warn")
            .envs(env.iter().copied())
            .spawn()
            .unwrap();
        let mut server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("the server exited on start ({status}): the store did not open");
            }
            if client()
                .get(server.url("/healthz"))
                .timeout(Duration::from_secs(5))
                .send()
                .is_ok_and(|r| r.status().is_success())
            {
                return server;
            }
            assert!(Instant::now() < deadline, "the server did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `/healthz` as JSON.
    pub fn health(&self) -> serde_json::Value {
        client()
            .get(self.url("/healthz"))
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    pub fn signal(&self, signal: rustix::process::Signal) {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).unwrap();
        rustix::process::kill_process(pid, signal).unwrap();
    }

    /// Waits for the process to exit, at most `within`.
    pub fn exited_within(
        &mut self,
        within: std::time::Duration,
    ) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }

    /// SIGKILL, and waits for the process to be gone.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Runs a SELECT through `/sparql`; each row as variable → lexical value.
    pub fn select(&self, query: &str) -> Vec<std::collections::BTreeMap<String, String>> {
        let response = client()
            .post(self.url("/sparql"))
            .header("content-type", "application/sparql-query")
            .header("accept", "application/sparql-results+json")
            .body(query.to_owned())
            .send()
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        let json: serde_json::Value = response.json().unwrap();
        bindings(&json)
            .iter()
            .map(|row| {
                row.as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v["value"].as_str().unwrap_or("").to_owned()))
                    .collect()
            })
            .collect()
    }

    /// POSTs `body` with the bearer `token`; None when the connection failed (a killed server).
    pub fn admin(
        &self,
        token: &str,
        path: &str,
        content_type: &str,
        body: String,
    ) -> Option<reqwest::blocking::Response> {
        client()
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
            .timeout(std::time::Duration::from_secs(120))
            .send()
            .map_err(|error| eprintln!("POST {path}: {error}"))
            .ok()
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The checkout's root (seeds, ontology, queries, tests).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
