//! Mixed analyst load against `crosswalk serve` over loopback, with a client that does not
//! queue requests itself (issue 18). Not a test: it prints numbers.
//!
//! ```sh
//! cargo bench --bench load                                   # 60 s, 200 connections, closed loop
//! LOAD_SECONDS=30 LOAD_CONNECTIONS=200 LOAD_THINK_MS=200 cargo bench --bench load
//! LOAD_BINARY=/path/to/crosswalk cargo bench --bench load    # another build, same client
//! ```
//!
//! The same traffic as `benches/load.py mixed`: every analyst is a keep-alive connection from
//! its own loopback address (127.0.1.x, 127.0.2.x) choosing point lookups (50 %), saved queries
//! without parameters (20 %), search (20 %) and malformed requests (10 %), plus 4 connections
//! from 127.0.0.2 sending explosive queries without pause. `LOAD_THINK_MS=0` (the default) is
//! the closed loop: each analyst sends its next request the moment an answer arrives.
//!
//! Why a second client: at saturation the Python harness's 200 threads share one interpreter
//! lock, and a thread whose answer has arrived waits for that lock before it stops its clock, so
//! its latencies include the client's own queue (the server's histogram said 99.8 % of `/sparql`
//! answers took under 25 ms while Python reported p99 350–400 ms). This client runs every
//! connection as a task on one thread, so it takes a small share of the two cores and reads an
//! answer as soon as the kernel has it. After the run it also prints the server's own
//! time-to-headers histogram per route (`/metrics`), so the two views can be compared.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const EXPLOSIVE: &str =
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }";
const JSON: &str = "application/sparql-results+json";
const WORDS: [&str; 10] = [
    "risk",
    "transparency",
    "incident",
    "governance",
    "testing",
    "data protection",
    "high-risk",
    "accountability",
    "model",
    "audit",
];
const MALFORMED: [&str; 5] = [
    "/sparql?query=SELEC%20%3Fx%20WHERE%20%7B",
    "/sparql?query=",
    "/api/search?q=&limit=x",
    "/api/queries/no-such-query",
    "/api/search?q=risk&limit=-1",
];
/// Request classes and their weights in the analysts' mix.
const CLASSES: [(Class, u32); 4] = [
    (Class::Lookup, 50),
    (Class::Saved, 20),
    (Class::Search, 20),
    (Class::Malformed, 10),
];

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Class {
    Lookup,
    Saved,
    Search,
    Malformed,
    Explosive,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Lookup => "lookup",
            Class::Saved => "saved",
            Class::Search => "search",
            Class::Malformed => "malformed",
            Class::Explosive => "explosive",
        }
    }

    /// The statuses that are the intended answer, not an error.
    fn intended(self, status: u16) -> bool {
        match self {
            Class::Lookup | Class::Saved | Class::Search => status == 200,
            Class::Malformed => status == 400 || status == 404,
            Class::Explosive => status == 503 || status == 429,
        }
    }
}

#[derive(Default)]
struct Outcomes {
    latencies: BTreeMap<Class, Vec<f64>>,
    errors: BTreeMap<Class, BTreeMap<String, u64>>,
}

/// What the analysts draw from: subjects and saved-query names read from the catalogue itself.
struct Inputs {
    subjects: Vec<String>,
    saved: Vec<String>,
}

/// A small xorshift generator: the mix needs cheap, unbiased-enough choices, not cryptography.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct Server {
    base: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(binary: &Path) -> Server {
        let dir = tempfile::tempdir().expect("temporary directory");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let config = dir.path().join("crosswalk.toml");
        std::fs::write(
            &config,
            format!(
                "bind = \"127.0.0.1:{port}\"\n[crawl]\nschedule = false\n[retention]\nenabled = false\n"
            ),
        )
        .expect("write config");
        let child = Command::new(binary)
            .arg("serve")
            .arg("--data")
            .arg(dir.path().join("data"))
            .arg("--config")
            .arg(&config)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("CROSSWALK_LOG", "error")
            // The explosive queries' 503s are logged as errors by design; keep the table readable.
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start crosswalk");
        Server {
            base: format!("http://127.0.0.1:{port}"),
            child,
            _dir: dir,
        }
    }

    /// Resident memory of the server and its direct children (query workers), in KiB.
    fn rss_kib(&self) -> (u64, usize) {
        let parent = self.child.id();
        let mut pids = vec![parent];
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if ppid == Some(parent) {
                pids.push(pid);
            }
        }
        let total = pids
            .iter()
            .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
            .filter_map(|status| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            })
            .sum();
        (total, pids.len() - 1)
    }
}

fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A client whose connections leave from `source`, kept alive between requests.
fn client(source: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(source))
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client")
}

async fn wait_ready(base: &str) {
    let probe = client(Ipv4Addr::LOCALHOST);
    let deadline = Instant::now() + Duration::from_secs(600);
    while Instant::now() < deadline {
        if let Ok(r) = probe.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the server did not come up");
}

async fn read_inputs(base: &str) -> Inputs {
    let http = client(Ipv4Addr::LOCALHOST);
    let answer: serde_json::Value = http
        .get(format!("{base}/sparql"))
        .query(&[("query", "SELECT DISTINCT ?s WHERE { ?s a ?t } LIMIT 500")])
        .header("accept", JSON)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .expect("subjects")
        .json()
        .await
        .expect("subjects JSON");
    let subjects = answer["results"]["bindings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["s"]["type"] == "uri")
        .filter_map(|b| b["s"]["value"].as_str().map(str::to_owned))
        .collect();
    let listing: serde_json::Value = http
        .get(format!("{base}/api/queries"))
        .send()
        .await
        .expect("saved queries")
        .json()
        .await
        .expect("saved queries JSON");
    let queries = listing.get("queries").unwrap_or(&listing);
    let saved = queries
        .as_array()
        .into_iter()
        .flatten()
        .filter(|q| {
            !q["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["required"] == true)
        })
        .filter_map(|q| q["name"].as_str().map(str::to_owned))
        .collect();
    Inputs { subjects, saved }
}

fn pick(rng: &mut Rng) -> Class {
    let total: u32 = CLASSES.iter().map(|(_, w)| w).sum();
    let mut roll = (rng.next() % u64::from(total)) as u32;
    for (class, weight) in CLASSES {
        if roll < weight {
            return class;
        }
        roll -= weight;
    }
    Class::Malformed
}

fn request(
    http: &reqwest::Client,
    base: &str,
    class: Class,
    inputs: &Inputs,
    rng: &mut Rng,
) -> reqwest::RequestBuilder {
    let builder = match class {
        Class::Lookup => {
            let subject = &inputs.subjects[rng.below(inputs.subjects.len())];
            http.get(format!("{base}/sparql")).query(&[(
                "query",
                format!("SELECT ?p ?o WHERE {{ <{subject}> ?p ?o }}"),
            )])
        }
        Class::Saved => {
            let name = &inputs.saved[rng.below(inputs.saved.len())];
            http.get(format!("{base}/api/queries/{name}"))
        }
        Class::Search => http
            .get(format!("{base}/api/search"))
            .query(&[("q", WORDS[rng.below(WORDS.len())])]),
        Class::Malformed => http.get(format!("{base}{}", MALFORMED[rng.below(MALFORMED.len())])),
        Class::Explosive => http
            .get(format!("{base}/sparql"))
            .query(&[("query", EXPLOSIVE)]),
    };
    builder.header("accept", JSON)
}

/// Sends one request and reads the whole answer; the status, or the kind of failure.
async fn exchange(builder: reqwest::RequestBuilder) -> Result<u16, String> {
    let response = builder.send().await.map_err(failure)?;
    let status = response.status().as_u16();
    response.bytes().await.map_err(failure)?;
    Ok(status)
}

fn failure(error: reqwest::Error) -> String {
    if error.is_timeout() {
        "timeout".into()
    } else if error.is_connect() {
        "connect".into()
    } else if error.is_body() || error.is_decode() {
        "body".into()
    } else {
        "reset".into()
    }
}

fn record(outcomes: &Mutex<Outcomes>, class: Class, took: Duration, result: Result<u16, String>) {
    let mut outcomes = outcomes.lock().unwrap();
    match result {
        Ok(status) if class.intended(status) => outcomes
            .latencies
            .entry(class)
            .or_default()
            .push(took.as_secs_f64() * 1000.0),
        Ok(status) => {
            *outcomes
                .errors
                .entry(class)
                .or_default()
                .entry(status.to_string())
                .or_default() += 1
        }
        Err(kind) => {
            *outcomes
                .errors
                .entry(class)
                .or_default()
                .entry(kind)
                .or_default() += 1
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// The server's time-to-headers histogram per route, as `route: ≤bound ms share …` lines.
async fn server_view(base: &str) -> Vec<String> {
    let text = match client(Ipv4Addr::LOCALHOST)
        .get(format!("{base}/metrics"))
        .send()
        .await
    {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => return vec!["(metrics unreadable)".into()],
    };
    let mut routes: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) =
            line.strip_prefix("crosswalk_http_request_duration_seconds_bucket{route=\"")
        else {
            continue;
        };
        let Some((route, rest)) = rest.split_once("\",le=\"") else {
            continue;
        };
        let Some((bound, count)) = rest.split_once("\"} ") else {
            continue;
        };
        if let Ok(count) = count.trim().parse::<f64>() {
            routes
                .entry(route.to_owned())
                .or_default()
                .push((bound.to_owned(), count));
        }
    }
    routes
        .into_iter()
        .filter(|(_, buckets)| buckets.last().is_some_and(|(_, n)| *n > 100.0))
        .map(|(route, buckets)| {
            let total = buckets.last().map_or(1.0, |(_, n)| *n);
            let shares: Vec<String> = buckets
                .iter()
                .filter(|(bound, _)| {
                    ["0.001", "0.01", "0.025", "0.1", "1"].contains(&bound.as_str())
                })
                .map(|(bound, n)| {
                    let ms = bound.parse::<f64>().unwrap_or(0.0) * 1000.0;
                    format!("≤{ms} ms {:.2} %", n / total * 100.0)
                })
                .collect();
            format!("{route} ({total} answers): {}", shares.join(", "))
        })
        .collect()
}

fn main() {
    let binary: PathBuf = std::env::var_os("LOAD_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_crosswalk")));
    let seconds: u64 = setting("LOAD_SECONDS", 60);
    let connections: usize = setting("LOAD_CONNECTIONS", 200);
    let think_ms: f64 = setting("LOAD_THINK_MS", 0.0);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = Server::start(&binary);
    // One thread for every connection: the client must not take the server's cores.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        wait_ready(&server.base).await;
        let inputs = Arc::new(read_inputs(&server.base).await);
        assert!(
            !inputs.subjects.is_empty() && !inputs.saved.is_empty(),
            "the catalogue gave no subjects or saved queries"
        );
        let outcomes = Arc::new(Mutex::new(Outcomes::default()));
        let begun = Instant::now();
        let stop = begun + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for i in 0..connections {
            let source = Ipv4Addr::new(127, 0, 1 + (i / 250) as u8, 1 + (i % 250) as u8);
            let (base, inputs, outcomes) = (server.base.clone(), inputs.clone(), outcomes.clone());
            tasks.push(tokio::spawn(async move {
                let http = client(source);
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1).wrapping_mul(0x2545_F491));
                while Instant::now() < stop {
                    let class = pick(&mut rng);
                    let builder = request(&http, &base, class, &inputs, &mut rng);
                    let started = Instant::now();
                    let result = exchange(builder).await;
                    record(&outcomes, class, started.elapsed(), result);
                    if think_ms > 0.0 {
                        let pause = -(1.0 - rng.unit()).ln() * think_ms;
                        tokio::time::sleep(Duration::from_secs_f64(pause / 1000.0)).await;
                    }
                }
            }));
        }
        for i in 0..4u64 {
            let (base, inputs, outcomes) = (server.base.clone(), inputs.clone(), outcomes.clone());
            tasks.push(tokio::spawn(async move {
                let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ (i + 1));
                while Instant::now() < stop {
                    // A new connection per query, as a scripted attacker does.
                    let http = client(Ipv4Addr::new(127, 0, 0, 2));
                    let builder = request(&http, &base, Class::Explosive, &inputs, &mut rng);
                    let started = Instant::now();
                    let result = exchange(builder).await;
                    record(&outcomes, Class::Explosive, started.elapsed(), result);
                }
            }));
        }
        let mut rss = Vec::new();
        while Instant::now() < stop {
            rss.push((begun.elapsed().as_secs(), server.rss_kib()));
            tokio::time::sleep(Duration::from_secs(5).min(stop.saturating_duration_since(Instant::now()))).await;
        }
        for task in tasks {
            let _ = task.await;
        }
        rss.push((begun.elapsed().as_secs(), server.rss_kib()));
        let view = server_view(&server.base).await;

        let outcomes = outcomes.lock().unwrap();
        let answered: usize = outcomes.latencies.values().map(Vec::len).sum::<usize>()
            + outcomes.errors.values().flat_map(|e| e.values()).sum::<u64>() as usize;
        let elapsed = begun.elapsed().as_secs_f64();
        let think = if think_ms > 0.0 {
            format!("think time {think_ms} ms (mean)")
        } else {
            "no think time".into()
        };
        println!(
            "{connections} analyst connections ({think}) + 4 explosive, {seconds} s: {answered} requests answered, {:.0}/s (Rust client, one thread)",
            answered as f64 / elapsed
        );
        println!("{:<10} {:>7} {:>8} {:>8} {:>8} {:>8}  errors", "class", "ok", "p50 ms", "p90 ms", "p99 ms", "max ms");
        for class in [Class::Lookup, Class::Saved, Class::Search, Class::Malformed, Class::Explosive] {
            let mut latencies = outcomes.latencies.get(&class).cloned().unwrap_or_default();
            latencies.sort_by(f64::total_cmp);
            let errors = outcomes
                .errors
                .get(&class)
                .map_or("-".to_owned(), |e| format!("{e:?}"));
            println!(
                "{:<10} {:>7} {:>8.1} {:>8.1} {:>8.1} {:>8.1}  {errors}",
                class.name(),
                latencies.len(),
                percentile(&latencies, 50.0),
                percentile(&latencies, 90.0),
                percentile(&latencies, 99.0),
                latencies.last().copied().unwrap_or(f64::NAN),
            );
        }
        let rss: Vec<String> = rss
            .iter()
            .map(|(t, (kib, workers))| format!("{t}s {} ({workers} workers)", kib / 1024))
            .collect();
        println!("RSS (server + workers), MiB: {}", rss.join(", "));
        println!("server's time to headers, share of answers within:");
        for line in view {
            println!("  {line}");
        }
    });
}
