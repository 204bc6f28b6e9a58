//! Prometheus metrics in the text exposition format, kept in-process (no registry crate needed
//! for a handful of series).

use super::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// What one route template has seen.
#[derive(Default)]
struct RouteSeries {
    requests: BTreeMap<(&'static str, u16), u64>,
    latency: Histogram,
}

/// Triples per named graph (graph IRI, count), shared between scrapes.
type GraphSizes = Arc<Vec<(String, u64)>>;

#[derive(Default)]
pub struct Metrics {
    /// By route template. One lock per request, and a route's name is allocated only the first
    /// time it is seen.
    routes: Mutex<BTreeMap<String, RouteSeries>>,
    query_timeouts: AtomicU64,
    rows_truncated: AtomicU64,
    /// Queries run on a server thread because a worker had measured them cheap (`server::quick`).
    quick_on_threads: AtomicU64,
    /// Of those, the ones run on the connection's own thread (`stream::quick_inline`).
    quick_inline: AtomicU64,
    overrunning: AtomicU64,
    connections: AtomicU64,
    connections_refused: AtomicU64,
    /// Connections closed by a limit: [header, idle, write].
    connections_timed_out: [AtomicU64; 3],
    /// Refused admin requests: [no token presented, wrong token].
    admin_failures: [AtomicU64; 2],
    /// Triples per named graph, computed once per graph revision.
    /// The triples per graph, and the graph revision they were counted at.
    graph_sizes: Mutex<Option<(u64, GraphSizes)>>,
    graph_size_scans: AtomicU64,
}

/// Gauges read from elsewhere when `/metrics` is scraped.
#[derive(Default)]
pub struct Snapshot {
    pub graph_sizes: GraphSizes,
    pub slots: Option<super::slots::SlotStats>,
    pub workers: Option<crate::sparql::worker::PoolStats>,
    /// Saved-query results kept, and answers served from them.
    pub saved_results: (usize, u64),
}

const TIMEOUT_REASONS: [&str; 3] = ["header", "idle", "write"];
const ADMIN_FAILURES: [&str; 2] = ["missing", "invalid"];

impl Metrics {
    pub fn query_timeout(&self) {
        self.query_timeouts.fetch_add(1, Ordering::Relaxed);
    }

    /// An evaluation is still running after its deadline was answered with 503.
    pub fn overrun_started(&self) {
        self.overrunning.fetch_add(1, Ordering::Relaxed);
    }

    pub fn overrun_finished(&self) {
        let _ = self
            .overrunning
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }

    pub fn rows_truncated(&self) {
        self.rows_truncated.fetch_add(1, Ordering::Relaxed);
    }

    pub fn quick_on_thread(&self) {
        self.quick_on_threads.fetch_add(1, Ordering::Relaxed);
    }

    pub fn quick_inline(&self) {
        self.quick_inline.fetch_add(1, Ordering::Relaxed);
    }

    /// The number of open connections is now `n`.
    pub fn connections(&self, n: usize) {
        self.connections.store(n as u64, Ordering::Relaxed);
    }

    pub fn connection_refused(&self) {
        self.connections_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection was closed by a limit: `header`, `idle` or `write`.
    pub fn connection_timed_out(&self, reason: &'static str) {
        if let Some(i) = TIMEOUT_REASONS.iter().position(|r| *r == reason) {
            self.connections_timed_out[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// An admin request was refused: `missing` or `invalid` token.
    pub fn admin_failure(&self, reason: &'static str) {
        if let Some(i) = ADMIN_FAILURES.iter().position(|r| *r == reason) {
            self.admin_failures[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Triples per named graph at `graph`'s revision: computed (a scan of every quad) only when
    /// the revision moved since the last scrape.
    pub fn graph_sizes(&self, graph: &crate::graph::Graph) -> GraphSizes {
        let revision = graph.revision();
        if let Some((at, sizes)) = &*self.graph_sizes.lock().expect("metrics lock")
            && *at == revision
        {
            return sizes.clone();
        }
        self.graph_size_scans.fetch_add(1, Ordering::Relaxed);
        match graph.graph_sizes() {
            Ok(sizes) => {
                let sizes = Arc::new(sizes);
                *self.graph_sizes.lock().expect("metrics lock") = Some((revision, sizes.clone()));
                sizes
            }
            Err(error) => {
                tracing::warn!(%error, "counting triples for /metrics");
                Arc::default()
            }
        }
    }

    /// How many times the triple counts were computed (a test's window on the cache).
    #[cfg(test)]
    pub fn graph_size_scans(&self) -> u64 {
        self.graph_size_scans.load(Ordering::Relaxed)
    }

    fn observe(&self, route: &str, method: &'static str, status: u16, seconds: f64) {
        let mut routes = self.routes.lock().expect("metrics lock");
        if !routes.contains_key(route) {
            routes.insert(route.to_owned(), RouteSeries::default());
        }
        let series = routes.get_mut(route).expect("inserted above");
        *series.requests.entry((method, status)).or_default() += 1;
        let histogram = &mut series.latency;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                histogram.counts[i] += 1;
            }
        }
        histogram.sum += seconds;
        histogram.count += 1;
    }

    fn render(&self, snapshot: &Snapshot) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP crosswalk_http_requests_total HTTP requests by route, method and status.\n",
        );
        out.push_str("# TYPE crosswalk_http_requests_total counter\n");
        let routes = self.routes.lock().expect("metrics lock");
        for (route, series) in routes.iter() {
            for ((method, status), n) in &series.requests {
                let _ = writeln!(
                    out,
                    "crosswalk_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str(
            "# HELP crosswalk_http_request_duration_seconds Time to response headers, by route.\n",
        );
        out.push_str("# TYPE crosswalk_http_request_duration_seconds histogram\n");
        for (route, RouteSeries { latency: h, .. }) in routes.iter() {
            for (bound, count) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "crosswalk_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "crosswalk_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\ncrosswalk_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\ncrosswalk_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count, h.sum, h.count
            );
        }
        drop(routes);
        let _ = writeln!(
            out,
            "# HELP crosswalk_sparql_timeouts_total Queries cancelled at the time limit.\n# TYPE crosswalk_sparql_timeouts_total counter\ncrosswalk_sparql_timeouts_total {}",
            self.query_timeouts.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP crosswalk_sparql_truncated_total Results cut at the row limit.\n# TYPE crosswalk_sparql_truncated_total counter\ncrosswalk_sparql_truncated_total {}",
            self.rows_truncated.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP crosswalk_sparql_overrunning Evaluations still running after their deadline was answered (the engine had not yet observed cancellation).\n# TYPE crosswalk_sparql_overrunning gauge\ncrosswalk_sparql_overrunning {}",
            self.overrunning.load(Ordering::Relaxed)
        );
        let counter = |out: &mut String, name: &str, help: &str, kind: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        let load = |n: &AtomicU64| n.load(Ordering::Relaxed);
        counter(
            &mut out,
            "crosswalk_sparql_quick_on_threads_total",
            "Queries evaluated on a server thread, not in a worker, because a worker had measured them cheap at the same graph revision.",
            "counter",
            load(&self.quick_on_threads),
        );
        counter(
            &mut out,
            "crosswalk_sparql_quick_inline_total",
            "Of the queries measured cheap, those evaluated on the connection's own thread because no other evaluation was running.",
            "counter",
            load(&self.quick_inline),
        );
        counter(
            &mut out,
            "crosswalk_http_connections",
            "Open HTTP connections.",
            "gauge",
            load(&self.connections),
        );
        counter(
            &mut out,
            "crosswalk_saved_results_kept",
            "Whole saved-query results kept for the current graph revision.",
            "gauge",
            snapshot.saved_results.0 as u64,
        );
        counter(
            &mut out,
            "crosswalk_saved_results_hits_total",
            "Saved-query requests answered from a kept result, without evaluation.",
            "counter",
            snapshot.saved_results.1,
        );
        counter(
            &mut out,
            "crosswalk_http_connections_refused_total",
            "Connections answered 503 at the connection cap.",
            "counter",
            load(&self.connections_refused),
        );
        out.push_str("# HELP crosswalk_http_connections_closed_total Connections closed by a limit (header read, idle keep-alive, stalled write).\n# TYPE crosswalk_http_connections_closed_total counter\n");
        for (reason, n) in TIMEOUT_REASONS.iter().zip(&self.connections_timed_out) {
            let _ = writeln!(
                out,
                "crosswalk_http_connections_closed_total{{reason=\"{reason}\"}} {}",
                load(n)
            );
        }
        out.push_str("# HELP crosswalk_admin_auth_failures_total Admin requests refused for a missing or wrong bearer token.\n# TYPE crosswalk_admin_auth_failures_total counter\n");
        for (reason, n) in ADMIN_FAILURES.iter().zip(&self.admin_failures) {
            let _ = writeln!(
                out,
                "crosswalk_admin_auth_failures_total{{reason=\"{reason}\"}} {}",
                load(n)
            );
        }
        if let Some(slots) = snapshot.slots {
            counter(
                &mut out,
                "crosswalk_sparql_running",
                "Evaluations holding a query slot.",
                "gauge",
                slots.running as u64,
            );
            counter(
                &mut out,
                "crosswalk_sparql_waiting",
                "Queries waiting for a slot.",
                "gauge",
                slots.waiting as u64,
            );
            out.push_str("# HELP crosswalk_sparql_refused_total Queries refused a slot: busy (none freed in time) or queued (the client had too many waiting).\n# TYPE crosswalk_sparql_refused_total counter\n");
            let _ = writeln!(
                out,
                "crosswalk_sparql_refused_total{{reason=\"busy\"}} {}\ncrosswalk_sparql_refused_total{{reason=\"queued\"}} {}",
                slots.refused_busy, slots.refused_queued
            );
        }
        if let Some(workers) = snapshot.workers {
            counter(
                &mut out,
                "crosswalk_sparql_workers",
                "Query worker processes alive.",
                "gauge",
                workers.alive as u64,
            );
            counter(
                &mut out,
                "crosswalk_sparql_workers_killed_total",
                "Query workers killed at their query's deadline.",
                "counter",
                workers.killed,
            );
            counter(
                &mut out,
                "crosswalk_sparql_workers_demoted_total",
                "Query evaluations that ran past 250 ms and were moved to a lower CPU priority.",
                "counter",
                workers.demoted,
            );
        }
        out.push_str("# HELP crosswalk_graph_triples Triples per named graph.\n# TYPE crosswalk_graph_triples gauge\n");
        for (graph, n) in snapshot.graph_sizes.iter() {
            let _ = writeln!(
                out,
                "crosswalk_graph_triples{{graph=\"{}\"}} {n}",
                graph.replace('"', "%22")
            );
        }
        out
    }
}

/// Middleware: counts and times every request under its route template (not the raw path,
/// which would make one series per saved-query argument).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // A clone of the matched path is a reference count, not a copy of the string.
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics.observe(
        route.as_ref().map_or("unmatched", MatchedPath::as_str),
        method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// The method as a label: HTTP lets clients invent methods, and each must not add a series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

pub async fn render(State(state): State<AppState>) -> Response {
    let (metrics, graph) = (state.metrics.clone(), state.graph().clone());
    let graph_sizes = tokio::task::spawn_blocking(move || metrics.graph_sizes(&graph))
        .await
        .unwrap_or_default();
    let snapshot = Snapshot {
        graph_sizes,
        slots: Some(state.slots.stats()),
        workers: state.workers.as_ref().map(|pool| pool.stats()),
        saved_results: state.saved_results.stats(),
    };
    let mut text = state.metrics.render(&snapshot);
    if let Some(alerts) = state.downstream.alerts().cloned() {
        let rendered = tokio::task::spawn_blocking(move || {
            let depth = crate::alerts::outbox::queue_depth(&alerts).unwrap_or(0);
            alerts.metrics.render(depth)
        })
        .await
        .unwrap_or_default();
        text.push_str(&rendered);
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzz/http_request: every invented method (`PGST`, `GETT`…) was its own label,
    /// so a client could grow the metrics without bound.
    #[test]
    fn invented_methods_share_one_label() {
        let metrics = Metrics::default();
        for name in ["GET", "PGST", "GETT", "P-ST"] {
            let method = Method::from_bytes(name.as_bytes()).unwrap();
            metrics.observe("unmatched", method_label(&method), 404, 0.001);
        }
        let rendered = metrics.render(&Snapshot::default());
        assert!(rendered.contains("method=\"GET\""), "{rendered}");
        assert!(
            rendered.contains("method=\"other\",status=\"404\"} 3"),
            "{rendered}"
        );
        assert!(!rendered.contains("PGST"), "{rendered}");
    }
}
