//! Counters of the alert side, rendered into `/metrics` (Prometheus text) by the server: queue
//! depth (read from the outbox at render time), attempts, failures, and the histogram of the
//! time from detection to a successful delivery.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the delivery latency buckets.
const BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0, 300.0, 3600.0];

#[derive(Default)]
pub struct AlertMetrics {
    attempts: AtomicU64,
    failures: AtomicU64,
    latency: Mutex<([u64; BUCKETS.len()], f64, u64)>,
}

impl AlertMetrics {
    pub fn attempt(&self, succeeded: bool) {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        if !succeeded {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn delivered_after(&self, latency: Duration) {
        let seconds = latency.as_secs_f64();
        let mut h = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.0[i] += 1;
            }
        }
        h.1 += seconds;
        h.2 += 1;
    }

    pub fn attempts(&self) -> u64 {
        self.attempts.load(Ordering::Relaxed)
    }

    /// The Prometheus text of these series, with `queue_depth` deliveries waiting.
    pub fn render(&self, queue_depth: u64) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "# HELP crosswalk_alert_queue_depth Deliveries waiting to be sent (webhook, e-mail, digests).\n# TYPE crosswalk_alert_queue_depth gauge\ncrosswalk_alert_queue_depth {queue_depth}\n"
        ));
        out.push_str(&format!(
            "# HELP crosswalk_alert_attempts_total Delivery attempts.\n# TYPE crosswalk_alert_attempts_total counter\ncrosswalk_alert_attempts_total {}\n",
            self.attempts.load(Ordering::Relaxed)
        ));
        out.push_str(&format!(
            "# HELP crosswalk_alert_failures_total Delivery attempts that failed (not 2xx, refused, timed out).\n# TYPE crosswalk_alert_failures_total counter\ncrosswalk_alert_failures_total {}\n",
            self.failures.load(Ordering::Relaxed)
        ));
        let h = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        out.push_str("# HELP crosswalk_alert_delivery_seconds Time from detection to a successful delivery.\n# TYPE crosswalk_alert_delivery_seconds histogram\n");
        for (i, bound) in BUCKETS.iter().enumerate() {
            out.push_str(&format!(
                "crosswalk_alert_delivery_seconds_bucket{{le=\"{bound}\"}} {}\n",
                h.0[i]
            ));
        }
        out.push_str(&format!(
            "crosswalk_alert_delivery_seconds_bucket{{le=\"+Inf\"}} {}\ncrosswalk_alert_delivery_seconds_sum {}\ncrosswalk_alert_delivery_seconds_count {}\n",
            h.2, h.1, h.2
        ));
        out
    }
}
