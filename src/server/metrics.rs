//! Prometheus metrics in the text exposition format, kept in-process (no registry crate needed
//! for a handful of series).

use super::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
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

#[derive(Default)]
pub struct Metrics {
    /// By route template. One lock per request, and a route's name is allocated only the first
    /// time it is seen.
    routes: Mutex<BTreeMap<String, RouteSeries>>,
    query_timeouts: AtomicU64,
    rows_truncated: AtomicU64,
    overrunning: AtomicU64,
}

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

    fn render(&self, graph_sizes: &[(String, u64)]) -> String {
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
        out.push_str("# HELP crosswalk_graph_triples Triples per named graph.\n# TYPE crosswalk_graph_triples gauge\n");
        for (graph, n) in graph_sizes {
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
    let graph = state.graph().clone();
    let sizes = tokio::task::spawn_blocking(move || graph.graph_sizes())
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&sizes),
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
        let rendered = metrics.render(&[]);
        assert!(rendered.contains("method=\"GET\""), "{rendered}");
        assert!(
            rendered.contains("method=\"other\",status=\"404\"} 3"),
            "{rendered}"
        );
        assert!(!rendered.contains("PGST"), "{rendered}");
    }
}
