//! The dispatcher: a task in `serve` that sends due deliveries. At-least-once: a delivery stays
//! `pending` until an attempt's answer is recorded, so a process killed mid-attempt sends it
//! again (same `webhook-id`). Only 2xx succeeds; `410 Gone` disables the subscription; any other
//! answer, a redirect, a refused address, a timeout is a failed attempt, retried after the
//! configured schedule (jittered ±20 %, or the receiver's `Retry-After`, capped) until the
//! schedule is used up. At most `alerts.per_endpoint` attempts per subscription and
//! `alerts.concurrency` in all are in flight, so a dead or hanging endpoint holds one slot for
//! at most the timeout and never blocks the others.

use super::subscription::{self, Channel};
use super::webhook::{self, Attempt};
use super::{AlertError, Alerts, now_ms};
use rusqlite::params;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A due delivery.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: i64,
    pub msg_id: String,
    pub subscription: String,
    pub payload: String,
    pub attempts: u32,
    pub detected_at: Option<i64>,
}

/// Pending deliveries whose time has come, oldest first.
pub fn due(alerts: &Alerts, now: i64, limit: usize) -> Result<Vec<Due>, AlertError> {
    Ok(alerts.db.with(|conn| {
        let mut stmt = conn.prepare(
            "SELECT d.id, d.msg_id, d.subscription, d.payload, d.attempts, d.detected_at
             FROM alert_delivery d JOIN alert_subscription s ON s.id = d.subscription
             WHERE d.state = 'pending' AND d.next_attempt_at <= ?1 AND s.enabled = 1
             ORDER BY d.next_attempt_at, d.id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![now, limit as i64], |r| {
            Ok(Due {
                id: r.get(0)?,
                msg_id: r.get(1)?,
                subscription: r.get(2)?,
                payload: r.get(3)?,
                attempts: r.get(4)?,
                detected_at: r.get(5)?,
            })
        })?;
        rows.collect()
    })?)
}

/// The pause before retry number `retry` (1-based), jittered by ±20 %; None when the schedule
/// is used up.
pub fn backoff(schedule: &[u64], retry: u32) -> Option<Duration> {
    let base = *schedule.get(retry.checked_sub(1)? as usize)?;
    let base_ms = base.saturating_mul(1000) as f64;
    let jitter = 0.8 + fastrand::f64() * 0.4;
    Some(Duration::from_millis((base_ms * jitter) as u64))
}

/// Records an attempt's outcome: the log row, and the delivery's next state.
pub fn record(alerts: &Alerts, due: &Due, outcome: &Attempt) -> Result<(), AlertError> {
    let now = now_ms();
    let attempt = due.attempts + 1;
    let config = &alerts.config.alerts;
    let gone = outcome.status == Some(410);
    alerts.db.with(|conn| {
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO alert_attempt (delivery, attempt, at, status, latency_ms, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                due.id,
                attempt,
                now,
                outcome.status,
                outcome.latency.as_millis() as i64,
                outcome.error
            ],
        )?;
        if outcome.succeeded() {
            tx.execute(
                "UPDATE alert_delivery SET state = 'delivered', attempts = ?2, delivered_at = ?3
                 WHERE id = ?1",
                params![due.id, attempt, now],
            )?;
        } else if gone {
            tx.execute(
                "UPDATE alert_delivery SET state = 'failed', attempts = ?2 WHERE id = ?1",
                params![due.id, attempt],
            )?;
            tx.execute(
                "UPDATE alert_subscription SET enabled = 0,
                     disabled_reason = 'the endpoint answered 410 Gone' WHERE id = ?1",
                [&due.subscription],
            )?;
        } else {
            // Attempts since the last manual retry decide the pause; the schedule's length
            // bounds the series.
            let retry = attempt;
            let pause =
                backoff(&config.retry_schedule_secs, retry).map(|p| match outcome.retry_after {
                    Some(asked) => asked.min(Duration::from_secs(config.max_retry_after_secs)),
                    None => p,
                });
            match pause {
                Some(pause) => tx.execute(
                    "UPDATE alert_delivery SET attempts = ?2, next_attempt_at = ?3 WHERE id = ?1",
                    params![due.id, attempt, now + pause.as_millis() as i64],
                )?,
                None => tx.execute(
                    "UPDATE alert_delivery SET state = 'failed', attempts = ?2 WHERE id = ?1",
                    params![due.id, attempt],
                )?,
            };
        }
        tx.commit()
    })?;
    let metrics = &alerts.metrics;
    metrics.attempt(outcome.succeeded());
    if outcome.succeeded()
        && let Some(detected) = due.detected_at
    {
        metrics.delivered_after(Duration::from_millis((now - detected).max(0) as u64));
    }
    Ok(())
}

/// Sends one due delivery over its subscription's channel and records the outcome.
pub async fn attempt(alerts: &Alerts, due: &Due) -> Result<(), AlertError> {
    let sub = subscription::get(alerts, &due.subscription)?;
    let outcome = match sub.spec.channel {
        Channel::Webhook => {
            let keys = subscription::signing_keys(alerts, &sub.id)?;
            let allow = alerts.allow_list()?;
            let url = sub.spec.url.clone().unwrap_or_default();
            webhook::send(
                &alerts.config.alerts,
                &allow,
                &url,
                &due.msg_id,
                due.attempts + 1,
                &keys,
                &due.payload,
            )
            .await
        }
        Channel::Email => super::email::send_one(alerts, &sub, due).await,
        // Feed entries are never pending; nothing to send.
        Channel::Atom => Attempt {
            status: Some(200),
            ..Attempt::default()
        },
    };
    record(alerts, due, &outcome)
}

/// What is in flight: delivery ids and attempts per subscription.
#[derive(Default)]
struct InFlight {
    deliveries: HashSet<i64>,
    per_endpoint: HashMap<String, usize>,
}

/// Runs until the returned handle is aborted: sends due deliveries as they come due, and e-mail
/// digests when theirs is.
pub fn start(alerts: Alerts) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let in_flight = Arc::new(Mutex::new(InFlight::default()));
        let slots = Arc::new(tokio::sync::Semaphore::new(
            alerts.config.alerts.concurrency,
        ));
        loop {
            if let Err(error) = dispatch_due(&alerts, &in_flight, &slots) {
                tracing::error!(%error, "alert dispatch");
            }
            if let Err(error) = super::email::send_digests(&alerts).await {
                tracing::error!(%error, "alert digests");
            }
            tokio::select! {
                () = alerts.wake.notified() => {}
                () = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    })
}

fn dispatch_due(
    alerts: &Alerts,
    in_flight: &Arc<Mutex<InFlight>>,
    slots: &Arc<tokio::sync::Semaphore>,
) -> Result<(), AlertError> {
    let config = &alerts.config.alerts;
    let limit = config.concurrency * 4 + 64;
    for due in due(alerts, now_ms(), limit)? {
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            break;
        };
        {
            let mut flight = in_flight.lock().unwrap_or_else(|e| e.into_inner());
            let busy = flight
                .per_endpoint
                .get(&due.subscription)
                .copied()
                .unwrap_or(0);
            if flight.deliveries.contains(&due.id) || busy >= config.per_endpoint {
                continue;
            }
            flight.deliveries.insert(due.id);
            *flight
                .per_endpoint
                .entry(due.subscription.clone())
                .or_default() += 1;
        }
        let alerts = alerts.clone();
        let in_flight = in_flight.clone();
        tokio::spawn(async move {
            if let Err(error) = attempt(&alerts, &due).await {
                tracing::error!(%error, delivery = due.id, "alert delivery");
            }
            {
                let mut flight = in_flight.lock().unwrap_or_else(|e| e.into_inner());
                flight.deliveries.remove(&due.id);
                if let Some(n) = flight.per_endpoint.get_mut(&due.subscription) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        flight.per_endpoint.remove(&due.subscription);
                    }
                }
            }
            drop(permit);
            alerts.wake.notify_one();
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_follows_the_schedule_with_jitter_and_ends() {
        let schedule = [5, 300];
        let first = backoff(&schedule, 1).unwrap();
        assert!(first >= Duration::from_secs(4) && first <= Duration::from_secs(6));
        let second = backoff(&schedule, 2).unwrap();
        assert!(second >= Duration::from_secs(240) && second <= Duration::from_secs(360));
        assert_eq!(backoff(&schedule, 3), None);
        assert_eq!(backoff(&schedule, 0), None);
    }
}
