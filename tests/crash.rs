//! Crash safety: `crosswalk serve` (the real binary) is killed with SIGKILL at random moments
//! while it crawls a fixture site, ingests SPARQL updates and indexes, again and again, and restarted
//! over the same data directory each time. After every restart:
//!
//! * the store opens and the server answers;
//! * the graph revision and every consumer's (derived graph, index, query views) agree, or catch
//!   up by themselves (`/healthz`), and the index finds the content the graph holds;
//! * every fetch the API acknowledged has its fetch record, and every acknowledged update is
//!   there;
//! * every source graph is whole: all its provisions come from one snapshot, recorded by a
//!   fetch, and are exactly what that snapshot's page extracts to;
//! * every change event names a fetch that exists;
//! * every change event in the graph reaches the webhook subscriber (the outbox catches up on
//!   start, queued deliveries are sent after it), each in one message under one `webhook-id`,
//!   retried with the same body, signed.
//!
//! What is acknowledged is recorded in [`Acknowledged`] by the loads ([`crawl_load`],
//! [`update_load`]); each invariant is a function of it. Alert deliveries need no load of their
//! own: every crawl's change events are queued and sent while the kills land.
//!
//! Each round kills the server a random while (up to 2.5 s) after the round's first
//! acknowledged update. A debug build restarts in one to three seconds on a quiet machine; on
//! the shared two cores under other builds fifty rounds took about eleven minutes, so `cargo test`
//! runs twelve and `CROSSWALK_CRASH_ROUNDS=50 cargo test --test crash` the long soak.

mod common;
mod fixture_web;
mod webhook_receiver;

use common::{ServeProcess, client, free_port};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOKEN: &str = "crash-test-admin-token-0123456789";
/// Kill/restart rounds unless `CROSSWALK_CRASH_ROUNDS` says otherwise (see the module comment).
const DEFAULT_ROUNDS: usize = 12;

fn rounds() -> usize {
    std::env::var("CROSSWALK_CRASH_ROUNDS")
        .ok()
        .map(|n| n.parse().expect("CROSSWALK_CRASH_ROUNDS is a number"))
        .unwrap_or(DEFAULT_ROUNDS)
}
const PREFIXES: &str = "PREFIX cw: <https://w3id.org/crosswalk/ontology#>\nPREFIX prov: <http://www.w3.org/ns/prov#>\nPREFIX dcterms: <http://purl.org/dc/terms/>\n";
/// A word per page version, so the index can be asked for the version the graph holds.
const WORDS: [&str; 7] = [
    "amber", "birch", "cedar", "dunes", "ember", "fjord", "grove",
];

/// The changing page's version `k`: a varying number of articles and a word of its own.
fn version(k: usize) -> Vec<u8> {
    let mut html = String::from("<html><body><main>");
    for article in 1..=(2 + k % 3) {
        html.push_str(&format!(
            "<h2>Article {article}</h2><p>Providers shall keep {} logs for {k} months under article {article}.</p>",
            WORDS[k % WORDS.len()]
        ));
    }
    html.push_str("</main></body></html>");
    html.into_bytes()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The provision identifiers a page extracts to, as the crawler extracts it.
fn provision_ids(page: &[u8]) -> BTreeSet<String> {
    let (text, _) = crosswalk::fetch::charset::decode_html(page, Some("text/html; charset=utf-8"));
    let extracted = crosswalk::extract::extract(
        &crosswalk::extract::Document::Html(text),
        &crosswalk::extract::ExtractOptions {
            include_selector: None,
            exclude_selector: None,
            language: None,
            pdf: Default::default(),
            structure: Default::default(),
        },
    )
    .unwrap();
    extracted.provisions.into_iter().map(|p| p.id).collect()
}

/// What the server acknowledged before it was killed.
#[derive(Default)]
struct Acknowledged {
    /// Fetch records written by acknowledged crawls, per source id.
    fetches: BTreeMap<String, usize>,
    /// Markers inserted by acknowledged updates.
    markers: BTreeSet<u64>,
    next_marker: u64,
}

/// The fixture site and what it has served.
struct Site {
    base: String,
    site: fixture_web::Site,
    /// The alert subscriber's endpoint, outliving every server process.
    receiver: webhook_receiver::Receiver,
    /// Raw SHA-256 of each page the site can serve → its provision identifiers.
    pages: Mutex<BTreeMap<String, BTreeSet<String>>>,
    served: Mutex<usize>,
    _runtime: tokio::runtime::Runtime,
}

impl Site {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (base, site) = runtime.block_on(fixture_web::start());
        let receiver = runtime.block_on(webhook_receiver::Receiver::start());
        let mut pages = BTreeMap::new();
        for fixed in ["garis-panduan.html", "surat-edaran.html"] {
            let bytes = fixture_web::fixture(fixed);
            pages.insert(sha256(&bytes), provision_ids(&bytes));
        }
        let this = Self {
            base,
            site,
            receiver,
            pages: Mutex::new(pages),
            served: Mutex::new(0),
            _runtime: runtime,
        };
        this.next_version();
        this
    }

    /// Moves the changing page to its next version.
    fn next_version(&self) {
        let mut served = self.served.lock().unwrap();
        *served += 1;
        let page = version(*served);
        self.pages
            .lock()
            .unwrap()
            .insert(sha256(&page), provision_ids(&page));
        self.site.set_page(page);
    }
}

/// One run of `crosswalk serve` over the shared data directory, asked with the prefixes above
/// and the admin token.
trait Run {
    fn query(&self, query: &str) -> Vec<BTreeMap<String, String>>;
    fn post(
        &self,
        path: &str,
        content_type: &str,
        body: String,
    ) -> Option<reqwest::blocking::Response>;
}

impl Run for ServeProcess {
    fn query(&self, query: &str) -> Vec<BTreeMap<String, String>> {
        self.select(&format!("{PREFIXES}{query}"))
    }

    fn post(
        &self,
        path: &str,
        content_type: &str,
        body: String,
    ) -> Option<reqwest::blocking::Response> {
        self.admin(TOKEN, path, content_type, body)
    }
}

/// Crawls everything, again and again, moving the changing page on between crawls.
fn crawl_load(server: &ServeProcess, site: &Site, acked: &Mutex<Acknowledged>, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        site.next_version();
        let Some(response) =
            server.post("/api/crawl", "application/json", r#"{"all":true}"#.into())
        else {
            return; // killed
        };
        if !response.status().is_success() {
            return;
        }
        let Ok(body) = response.json::<serde_json::Value>() else {
            return; // killed while the answer was on its way: not acknowledged
        };
        let mut acked = acked.lock().unwrap();
        for report in body["reports"].as_array().unwrap() {
            if report["outcome"] != "deferred" {
                *acked
                    .fetches
                    .entry(report["source"].as_str().unwrap().to_owned())
                    .or_default() += 1;
            }
        }
    }
}

/// Inserts numbered markers, one update each.
fn update_load(server: &ServeProcess, acked: &Mutex<Acknowledged>, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        let marker = {
            let mut acked = acked.lock().unwrap();
            acked.next_marker += 1;
            acked.next_marker
        };
        let update = format!(
            "INSERT DATA {{ GRAPH <urn:crash:markers> {{ <urn:crash:marker:{marker}> <urn:crash:n> {marker} }} }}"
        );
        match server.post("/sparql/update", "application/sparql-update", update) {
            Some(response) if response.status().as_u16() == 204 => {
                acked.lock().unwrap().markers.insert(marker);
            }
            // Refused (no slot in time): not acknowledged, and the server is still there.
            Some(_) => {}
            None => return, // killed
        }
    }
}

/// The graph and every consumer at one revision (waiting a while for them to catch up).
fn consumers_agree(server: &ServeProcess) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let health = server.health();
        let revision = health["graph_revision"].as_u64().unwrap();
        let consumers = health["consumers"].as_object().unwrap();
        assert!(
            consumers.contains_key("index") && consumers.contains_key("views"),
            "{health}"
        );
        if consumers.values().all(|r| r.as_u64() == Some(revision)) {
            return revision;
        }
        assert!(
            Instant::now() < deadline,
            "consumers behind the graph: {health}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn acknowledged_fetches_are_recorded(server: &ServeProcess, acked: &Acknowledged) {
    let rows = server.query(
        "SELECT ?source (COUNT(DISTINCT ?f) AS ?n) WHERE { GRAPH <https://w3id.org/crosswalk/graph/fetches> { ?f a cw:Fetch ; cw:source ?source } } GROUP BY ?source",
    );
    let recorded: BTreeMap<String, usize> = rows
        .iter()
        .map(|r| {
            let id = r["source"].rsplit('/').next().unwrap().to_owned();
            (id, r["n"].parse().unwrap())
        })
        .collect();
    for (source, n) in &acked.fetches {
        let found = recorded.get(source).copied().unwrap_or(0);
        assert!(
            found >= *n,
            "{source}: {n} fetches acknowledged, {found} recorded"
        );
    }
}

fn acknowledged_updates_are_there(server: &ServeProcess, acked: &Acknowledged) {
    let present: BTreeSet<u64> = server
        .query("SELECT ?n WHERE { GRAPH <urn:crash:markers> { ?m <urn:crash:n> ?n } }")
        .iter()
        .map(|r| r["n"].parse().unwrap())
        .collect();
    let lost: Vec<_> = acked.markers.difference(&present).collect();
    assert!(lost.is_empty(), "acknowledged updates lost: {lost:?}");
}

/// Every source graph holds exactly the provisions of one recorded snapshot.
fn source_graphs_are_whole(server: &ServeProcess, site: &Site) {
    let pages = site.pages.lock().unwrap();
    for source in ["changing", "fixed", "surat"] {
        let graph = format!("<https://w3id.org/crosswalk/graph/source/{source}>");
        let snapshots = server.query(&format!(
            "SELECT DISTINCT ?sha WHERE {{ GRAPH {graph} {{ ?p a cw:Provision ; prov:wasDerivedFrom ?s }} OPTIONAL {{ GRAPH <https://w3id.org/crosswalk/graph/fetches> {{ ?s cw:sha256 ?sha }} }} }}"
        ));
        if snapshots.is_empty() {
            continue; // never crawled successfully yet
        }
        assert_eq!(
            snapshots.len(),
            1,
            "{source}: provisions from several snapshots {snapshots:?}"
        );
        let sha = snapshots[0]
            .get("sha")
            .unwrap_or_else(|| panic!("{source}: its snapshot has no fetch record"));
        let expected = pages
            .get(sha)
            .unwrap_or_else(|| panic!("{source}: snapshot {sha} is no page the site served"));
        let ids: BTreeSet<String> = server
            .query(&format!(
                "SELECT ?id WHERE {{ GRAPH {graph} {{ ?p a cw:Provision ; dcterms:identifier ?id }} }}"
            ))
            .into_iter()
            .map(|r| r["id"].clone())
            .collect();
        assert_eq!(&ids, expected, "{source}: a half-written source graph");
    }
}

fn change_events_name_their_fetch(server: &ServeProcess) {
    let orphans = server.query(
        "SELECT ?e WHERE { GRAPH <https://w3id.org/crosswalk/graph/changes> { ?e a cw:ChangeEvent ; prov:wasGeneratedBy ?f } FILTER NOT EXISTS { GRAPH <https://w3id.org/crosswalk/graph/fetches> { ?f a cw:Fetch } } }",
    );
    assert!(
        orphans.is_empty(),
        "change events without their fetch: {orphans:?}"
    );
}

/// The index finds the changing page's current words, as the graph holds them.
fn index_matches_the_graph(server: &ServeProcess) {
    let texts = server.query(
        "SELECT ?t WHERE { GRAPH <https://w3id.org/crosswalk/graph/source/changing> { ?p a cw:Provision ; cw:text ?t } } LIMIT 1",
    );
    let Some(text) = texts.first() else { return };
    let word = WORDS
        .iter()
        .find(|w| text["t"].contains(*w))
        .expect("a version word in the text");
    let found: serde_json::Value = client()
        .get(server.url("/api/search"))
        .query(&[("q", *word), ("kind", "provision")])
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(
        found["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["iri"].as_str().unwrap().contains("/extracted/changing/")),
        "the index does not hold the graph's {word:?}: {found}"
    );
}

/// Every change event in the graph was (or, within a minute, is) delivered to the subscriber: in
/// exactly one message, whose retries and duplicates carry its `webhook-id` and the same body.
fn change_events_are_delivered(server: &ServeProcess, site: &Site) {
    let events: BTreeSet<String> = server
        .query("SELECT ?e WHERE { GRAPH <https://w3id.org/crosswalk/graph/changes> { ?e a cw:ChangeEvent } }")
        .into_iter()
        .map(|r| r["e"].clone())
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let received = site.receiver.received("crash");
        let mut bodies: BTreeMap<&str, &serde_json::Value> = BTreeMap::new();
        let mut announced: BTreeMap<String, &str> = BTreeMap::new();
        for message in &received {
            assert!(message.valid, "a badly signed delivery: {message:?}");
            let body = bodies.entry(&message.id).or_insert(&message.body);
            assert_eq!(
                *body, &message.body,
                "one webhook-id, two bodies: {}",
                message.id
            );
            if message.body["type"] != "change.detected" {
                continue;
            }
            for change in message.body["data"]["changes"].as_array().unwrap() {
                let event = change["event"].as_str().unwrap().to_owned();
                let first = announced.entry(event.clone()).or_insert(&message.id);
                assert_eq!(
                    *first, message.id,
                    "{event} announced under two webhook-ids"
                );
            }
        }
        let missing: Vec<&String> = events
            .iter()
            .filter(|e| !announced.contains_key(*e))
            .collect();
        if missing.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "change events never delivered: {missing:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Everything a restart must find, given what was acknowledged before the kill.
fn invariants_hold(server: &ServeProcess, acked: &Acknowledged, site: &Site) {
    consumers_agree(server);
    change_events_are_delivered(server, site);
    acknowledged_fetches_are_recorded(server, acked);
    acknowledged_updates_are_there(server, acked);
    source_graphs_are_whole(server, site);
    change_events_name_their_fetch(server);
    index_matches_the_graph(server);
}

#[test]
fn killed_at_random_while_crawling_ingesting_and_indexing_loses_nothing_acknowledged() {
    let site = Site::start();
    let dir = common::data_dir();
    let port = free_port();
    let config = common::small_config(
        dir.path(),
        "crosswalk",
        port,
        &format!(
            "[http]\nshutdown_grace_secs = 1\n[admin]\ntoken = \"{TOKEN}\"\n[crawl]\nallow_private = [\"127.0.0.1\"]\nmin_host_interval_ms = 0\nschedule = false\ntotal_timeout_secs = 10\n[retention]\nenabled = false\n[alerts]\nallow_private = [\"127.0.0.1\"]\nretry_schedule_secs = [1, 1, 1, 1, 1, 1]\ntimeout_secs = 10\n"
        ),
    );
    let data = dir.path().join("data");
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let started = Instant::now();
    let first = ServeProcess::start(&config, &data, port);
    // Every change of every source, editorial ones included, before the first crawl.
    let subscription = serde_json::json!({"channel": "webhook", "url": site.receiver.url("crash"), "material": false});
    let created = first
        .post(
            "/api/subscriptions",
            "application/json",
            subscription.to_string(),
        )
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let created: serde_json::Value = created.json().unwrap();
    site.receiver
        .secret("crash", created["secret"].as_str().unwrap());
    for (id, path) in [
        ("changing", "/page"),
        ("fixed", "/garis-panduan"),
        ("surat", "/surat-edaran"),
    ] {
        let body = serde_json::json!({"url": format!("{}{path}", site.base), "jurisdiction": "EU", "id": id});
        let created = first
            .post("/api/sources", "application/json", body.to_string())
            .unwrap();
        assert_eq!(created.status().as_u16(), 201);
    }
    first.kill();
    let mut restarts = Duration::ZERO;
    let rounds = rounds();
    for round in 0..rounds {
        let before = Instant::now();
        let server = ServeProcess::start(&config, &data, port);
        restarts += before.elapsed();
        invariants_hold(&server, &acked.lock().unwrap(), &site);
        // Work, then a kill at a random moment of it.
        let stop = AtomicBool::new(false);
        let server = &server;
        std::thread::scope(|scope| {
            scope.spawn(|| crawl_load(server, &site, &acked, &stop));
            scope.spawn(|| update_load(server, &acked, &stop));
            // The kill lands a random while after this round's first acknowledged update, not
            // after a fixed time: on a slow machine a timer could fire before any work was
            // acknowledged, and the loop would test nothing.
            let before = acked.lock().unwrap().markers.len();
            let deadline = Instant::now() + Duration::from_secs(120);
            while acked.lock().unwrap().markers.len() == before {
                assert!(
                    Instant::now() < deadline,
                    "no update acknowledged in round {round}"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
            std::thread::sleep(Duration::from_millis(fastrand::u64(0..2500)));
            server.signal(rustix::process::Signal::KILL);
            stop.store(true, Ordering::SeqCst);
        });
        let acked = acked.lock().unwrap();
        eprintln!(
            "round {round}: {} fetches and {} updates acknowledged so far",
            acked.fetches.values().sum::<usize>(),
            acked.markers.len()
        );
    }
    let last = ServeProcess::start(&config, &data, port);
    let acked = acked.lock().unwrap();
    invariants_hold(&last, &acked, &site);
    // Every round acknowledged work before its kill (see above), crawls among it.
    assert!(
        acked.markers.len() >= rounds,
        "{} updates",
        acked.markers.len()
    );
    assert!(
        acked.fetches.values().sum::<usize>() > 0,
        "{:?}",
        acked.fetches
    );
    assert!(
        !site.receiver.received("crash").is_empty(),
        "no change was ever delivered"
    );
    eprintln!(
        "{rounds} kills in {:.0?}, restarts {:.0?} in all; {} webhook requests received",
        started.elapsed(),
        restarts,
        site.receiver.received("crash").len()
    );
}
