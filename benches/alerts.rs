//! Alert delivery over loopback, in one process over an on-disk store and ops database:
//!
//! 1. detection → webhook delivered: one change event written to the graph at a time, the
//!    change feed run (as a crawl's write does), and the time until a receiver on 127.0.0.1 has
//!    the signed POST; p50/p99 over N changes;
//! 2. outbox throughput: 100 webhook subscriptions matching every event, K events queued at
//!    once, deliveries per second until every one is delivered;
//! 3. standing queries: 100 standing-query subscriptions, the cost of re-evaluating them all
//!    after one change.
//!
//! Run: `cargo bench --profile dev --bench alerts` (optionally `-- 1000` for N).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use crosswalk::alerts::subscription::{self, SubscriptionRequest};
use crosswalk::alerts::{Alerts, Outbox, dispatch, standing};
use crosswalk::config::Config;
use crosswalk::graph::Graph;
use crosswalk::graph::codes::Codes;
use crosswalk::graph::feed::{ChangeFeed, Consumer};
use crosswalk::opsdb::OpsDb;
use crosswalk::sparql::saved::SavedQueries;
use oxigraph::model::{GraphNameRef, Literal, NamedNode, QuadRef};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const CW: &str = "https://w3id.org/crosswalk/ontology#";
const ID: &str = "https://w3id.org/crosswalk/id/";

fn cw(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{CW}{local}"))
}

/// Counts POSTs; wakes the waiter after each.
#[derive(Clone, Default)]
struct Counter {
    seen: Arc<AtomicUsize>,
    notify: Arc<tokio::sync::Notify>,
}

async fn hook(State(counter): State<Counter>, _body: Bytes) -> &'static str {
    counter.seen.fetch_add(1, Ordering::SeqCst);
    counter.notify.notify_waiters();
    "ok"
}

/// The catalogue: a jurisdiction, a source, `instruments` instruments.
fn catalogue(graph: &Graph, instruments: usize) {
    let g = NamedNode::new_unchecked("urn:bench:catalogue");
    let rdf_type = oxigraph::model::vocab::rdf::TYPE;
    let eu = NamedNode::new_unchecked(format!("{ID}jurisdiction/EU"));
    let status = NamedNode::new_unchecked(format!("{ID}status/binding-law"));
    let source = NamedNode::new_unchecked(format!("{ID}source/bench"));
    graph
        .write(|t| {
            let gn = GraphNameRef::NamedNode(g.as_ref());
            t.insert(QuadRef::new(&eu, rdf_type, &cw("Jurisdiction"), gn));
            t.insert(QuadRef::new(
                &eu,
                &cw("code"),
                &Literal::new_simple_literal("EU"),
                gn,
            ));
            t.insert(QuadRef::new(&status, rdf_type, &cw("LegalStatus"), gn));
            t.insert(QuadRef::new(&source, rdf_type, &cw("Source"), gn));
            t.insert(QuadRef::new(&source, &cw("jurisdiction"), &eu, gn));
            for i in 0..instruments {
                let inst = NamedNode::new_unchecked(format!("{ID}instrument/bench-{i}"));
                t.insert(QuadRef::new(&inst, rdf_type, &cw("Instrument"), gn));
                t.insert(QuadRef::new(&inst, &cw("jurisdiction"), &eu, gn));
                t.insert(QuadRef::new(&inst, &cw("legalStatus"), &status, gn));
            }
            Ok::<_, crosswalk::graph::GraphError>(())
        })
        .unwrap();
}

/// Writes one material change event (as the crawler does) and returns when it committed.
fn change(graph: &Graph, n: usize) {
    let g = NamedNode::new_unchecked("https://w3id.org/crosswalk/graph/changes");
    let e = NamedNode::new_unchecked(format!("{ID}change/bench/{n:08}-1"));
    let source = NamedNode::new_unchecked(format!("{ID}source/bench"));
    let eu = NamedNode::new_unchecked(format!("{ID}jurisdiction/EU"));
    // Each change its own detection time, a millisecond apart: events of one source at one
    // time are one fetch's and go out as one message (the outbox's grouping), and a release
    // build writes several changes within a millisecond.
    let at = (chrono::Utc::now() + chrono::Duration::milliseconds(n as i64))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let xsd = |t: &str| NamedNode::new_unchecked(format!("http://www.w3.org/2001/XMLSchema#{t}"));
    graph
        .write(|t| {
            let gn = GraphNameRef::NamedNode(g.as_ref());
            let rdf_type = oxigraph::model::vocab::rdf::TYPE;
            t.insert(QuadRef::new(&e, rdf_type, &cw("ChangeEvent"), gn));
            t.insert(QuadRef::new(
                &e,
                &cw("changeKind"),
                &Literal::new_simple_literal("provision-modified"),
                gn,
            ));
            t.insert(QuadRef::new(
                &e,
                &cw("material"),
                &Literal::new_typed_literal("true", xsd("boolean")),
                gn,
            ));
            t.insert(QuadRef::new(&e, &cw("source"), &source, gn));
            t.insert(QuadRef::new(&e, &cw("jurisdiction"), &eu, gn));
            // Numbered under the writer's lock, as the crawler numbers its events.
            let sequence =
                crosswalk::graph::next_sequence(t).map_err(crosswalk::graph::GraphError::from)?;
            t.insert(QuadRef::new(
                &e,
                &cw("sequence"),
                &Literal::new_typed_literal(sequence.to_string(), xsd("integer")),
                gn,
            ));
            t.insert(QuadRef::new(
                &e,
                &NamedNode::new_unchecked("http://www.w3.org/ns/prov#generatedAtTime"),
                &Literal::new_typed_literal(at, xsd("dateTime")),
                gn,
            ));
            Ok::<_, crosswalk::graph::GraphError>(())
        })
        .unwrap();
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let counter = Counter::default();
    let base = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/hook/{n}", post(hook))
            .with_state(counter.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        base
    });
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    config.alerts.allow_private = vec!["127.0.0.1".into()];
    config.alerts.concurrency = 16;
    let graph = Graph::open(&dir.path().join("graph")).unwrap();
    catalogue(&graph, 200);
    let saved = SavedQueries::load(&config.queries_dir).unwrap();
    let alerts = Alerts::with(OpsDb::open_in(dir.path()).unwrap(), config.clone(), saved).unwrap();
    let outbox = Arc::new(Outbox::new(alerts.clone()).unwrap());
    let feed = ChangeFeed::new(graph.clone(), vec![outbox.clone() as Arc<dyn Consumer>]);
    feed.catch_up().unwrap();
    let codes = Codes::load(&graph).unwrap();
    let subscribe = |json: String| {
        let request: SubscriptionRequest = subscription::parse(json.as_bytes()).unwrap();
        subscription::finish(&alerts, &graph, &codes, request)
            .unwrap()
            .0
    };
    let _dispatcher = {
        let _guard = rt.enter();
        dispatch::start(alerts.clone())
    };

    // 1. Detection → delivered, one subscription.
    let one = subscribe(format!(
        r#"{{"channel":"webhook","url":"{base}/hook/0","jurisdiction":["EU"]}}"#
    ));
    let mut latencies = Vec::with_capacity(n);
    for i in 0..n {
        let before = counter.seen.load(Ordering::SeqCst);
        let started = Instant::now();
        change(&graph, i);
        feed.catch_up().unwrap();
        rt.block_on(async {
            while counter.seen.load(Ordering::SeqCst) == before {
                let notified = counter.notify.notified();
                if counter.seen.load(Ordering::SeqCst) != before {
                    break;
                }
                let _ = tokio::time::timeout(Duration::from_millis(20), notified).await;
            }
        });
        latencies.push(started.elapsed());
    }
    latencies.sort();
    println!(
        "detection → webhook delivered, {n} changes: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3
    );
    subscription::remove(&alerts, &one.id).unwrap();

    // 2. Throughput: 100 subscriptions, K events at once.
    for s in 0..100 {
        subscribe(format!(
            r#"{{"channel":"webhook","url":"{base}/hook/{s}","jurisdiction":["EU"]}}"#
        ));
    }
    let k = 20;
    let before = counter.seen.load(Ordering::SeqCst);
    let started = Instant::now();
    for i in 0..k {
        change(&graph, n + i);
    }
    feed.catch_up().unwrap();
    let queued = started.elapsed();
    rt.block_on(async {
        while counter.seen.load(Ordering::SeqCst) < before + 100 * k {
            let _ =
                tokio::time::timeout(Duration::from_millis(20), counter.notify.notified()).await;
        }
    });
    let took = started.elapsed();
    println!(
        "outbox throughput, 100 subscriptions × {k} events: {} deliveries in {:.2} s = {:.0}/s (queueing {:.1} ms)",
        100 * k,
        took.as_secs_f64(),
        (100 * k) as f64 / took.as_secs_f64(),
        queued.as_secs_f64() * 1e3
    );

    // 3. 100 standing queries re-evaluated after one change.
    let mut standing_subs = Vec::new();
    for _ in 0..100 {
        standing_subs.push(subscribe(
            r#"{"channel":"atom","query":{"name":"instruments","params":{"jurisdiction":"EU"}}}"#
                .to_owned(),
        ));
    }
    let mut times = Vec::new();
    for round in 0..5 {
        catalogue_one(&graph, round);
        let started = Instant::now();
        standing::evaluate(&alerts, &graph, &standing_subs).unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "100 standing queries (instruments, 200+ rows each) after one change: median {:.1} ms ({:.2} ms per query)",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.5).as_secs_f64() * 1e3 / 100.0
    );
}

/// One more instrument: every standing query's rows change.
fn catalogue_one(graph: &Graph, n: usize) {
    let g = NamedNode::new_unchecked("urn:bench:more");
    let rdf_type = oxigraph::model::vocab::rdf::TYPE;
    let inst = NamedNode::new_unchecked(format!("{ID}instrument/more-{n}"));
    let eu = NamedNode::new_unchecked(format!("{ID}jurisdiction/EU"));
    let status = NamedNode::new_unchecked(format!("{ID}status/binding-law"));
    graph
        .write(|t| {
            let gn = GraphNameRef::NamedNode(g.as_ref());
            t.insert(QuadRef::new(&inst, rdf_type, &cw("Instrument"), gn));
            t.insert(QuadRef::new(&inst, &cw("jurisdiction"), &eu, gn));
            t.insert(QuadRef::new(&inst, &cw("legalStatus"), &status, gn));
            Ok::<_, crosswalk::graph::GraphError>(())
        })
        .unwrap();
}
