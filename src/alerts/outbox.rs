//! The durable outbox: a consumer of the graph's change feed whose cursor (the last change event
//! sequence turned into deliveries, and the graph revision it reflects) lives in the ops
//! database. [`Outbox::catch_up`] turns every event after the cursor into one `alert_delivery`
//! row per matching subscription and advances the cursor in the same SQLite transaction, so a
//! crash anywhere loses nothing and repeats nothing; a restart catches up by itself. Then it
//! re-evaluates standing queries and checks deadlines and source health (each idempotent).
//!
//! Message ids are derived from what they announce (subscription, type, event), so queueing
//! the same message twice is a no-op (`msg_id` is unique).

use super::events::{self, Event};
use super::subscription::{self, Channel, Subscription};
use super::{AlertError, Alerts, now_ms, rfc3339, sha256_hex, webhook};
use crate::graph::Graph;
use crate::graph::feed::{Consumer, ConsumerError};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Events read per transaction.
const BATCH: usize = 500;

/// A message to queue.
#[derive(Debug, Clone)]
pub struct Message {
    pub subscription: String,
    pub event_type: String,
    /// What it announces, unique per subscription and type (event id, query row set hash…).
    pub key: String,
    pub payload: String,
    /// Unix ms the change was detected (delivery latency is measured from here).
    pub detected_at: Option<i64>,
}

impl Message {
    pub fn msg_id(&self) -> String {
        let hash = sha256_hex(&format!(
            "{}\n{}\n{}",
            self.subscription, self.event_type, self.key
        ));
        format!("msg_{}", &hash[..32])
    }
}

/// The outbox on the change feed.
pub struct Outbox {
    alerts: Alerts,
    revision: AtomicU64,
    /// Serialises runs: the feed's and the daily deadline check's.
    running: std::sync::Mutex<()>,
}

impl Outbox {
    pub fn new(alerts: Alerts) -> Result<Self, AlertError> {
        let (_, revision) = cursor(&alerts)?;
        Ok(Self {
            alerts,
            revision: AtomicU64::new(revision),
            running: std::sync::Mutex::new(()),
        })
    }

    pub fn alerts(&self) -> &Alerts {
        &self.alerts
    }

    /// Everything after the cursor into deliveries; standing queries, deadlines, health.
    pub fn run(&self, graph: &Graph) -> Result<u64, AlertError> {
        let _running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let target = graph.revision();
        let alerts = &self.alerts;
        let (mut sequence, _) = cursor(alerts)?;
        if sequence == 0 && self.revision.load(Ordering::SeqCst) == 0 {
            // A new outbox starts at the present: subscribers hear of changes from now on.
            sequence = events::last_sequence(graph)?;
            set_cursor(alerts, sequence, None)?;
        }
        let subscriptions: Vec<Subscription> = subscription::list(alerts)?
            .into_iter()
            .filter(|s| s.enabled)
            .collect();
        let public = alerts.public_url();
        let mut queued = 0usize;
        loop {
            let mut batch = events::after(graph, sequence, BATCH)?;
            if batch.is_empty() {
                break;
            }
            // A full batch may end inside one fetch's events: keep that group for the next
            // batch so a fetch is announced in one message (unless the group fills the batch).
            if batch.len() == BATCH {
                let tail = batch.last().map(Event::group).unwrap_or_default();
                let keep = batch.iter().take_while(|e| e.group() != tail).count();
                if keep > 0 {
                    batch.truncate(keep);
                }
            }
            let last = batch.last().map(|e| e.sequence).unwrap_or(sequence);
            let messages = change_messages(&subscriptions, &batch, &public);
            queued += alerts.db.with(|conn| {
                let tx = conn.transaction()?;
                let n = insert(&tx, &messages)?;
                tx.execute(
                    "UPDATE alert_cursor SET sequence = ?1 WHERE name = 'outbox'",
                    [last as i64],
                )?;
                tx.commit()?;
                Ok(n)
            })?;
            sequence = last;
        }
        queued += super::standing::evaluate(alerts, graph, &subscriptions)?;
        queued += super::deadline::check(alerts, graph, &subscriptions, chrono::Utc::now())?;
        queued += super::health::check(alerts, graph, &subscriptions)?;
        set_cursor(alerts, sequence, Some(target))?;
        self.revision.store(target, Ordering::SeqCst);
        if queued > 0 {
            alerts.wake.notify_one();
        }
        Ok(target)
    }
}

impl Consumer for Outbox {
    fn name(&self) -> &'static str {
        "alerts"
    }

    fn revision(&self) -> u64 {
        self.revision.load(Ordering::SeqCst)
    }

    fn catch_up(&self, graph: &Graph) -> Result<u64, ConsumerError> {
        if graph.revision() == self.revision() {
            return Ok(self.revision());
        }
        Ok(self.run(graph)?)
    }
}

/// The `change.detected` messages of a batch of events: the events of one fetch (same source
/// and detection time) make one message per subscription that any of them matches, naming the
/// matching ones.
fn change_messages(subscriptions: &[Subscription], batch: &[Event], public: &str) -> Vec<Message> {
    let mut groups: Vec<Vec<&Event>> = Vec::new();
    for event in batch {
        match groups.last_mut() {
            Some(group) if group[0].group() == event.group() => group.push(event),
            _ => groups.push(vec![event]),
        }
    }
    let mut messages = Vec::new();
    for group in &groups {
        for s in subscriptions
            .iter()
            .filter(|s| s.spec.wants("change.detected"))
        {
            let matching: Vec<&Event> = group
                .iter()
                .copied()
                .filter(|e| s.spec.filter.matches(e))
                .collect();
            let Some(first) = matching.first() else {
                continue;
            };
            messages.push(Message {
                subscription: s.id.clone(),
                event_type: "change.detected".into(),
                key: first.id.clone(),
                payload: webhook::payload(
                    "change.detected",
                    &first.at,
                    webhook::change_data(&matching, public),
                ),
                detected_at: chrono::DateTime::parse_from_rfc3339(&first.at)
                    .ok()
                    .map(|t| t.timestamp_millis()),
            });
        }
    }
    messages
}

/// The (sequence, revision) cursor, creating it at zero.
pub fn cursor(alerts: &Alerts) -> Result<(u64, u64), AlertError> {
    Ok(alerts.db.with(|conn| {
        conn.execute(
            "INSERT OR IGNORE INTO alert_cursor (name, sequence, revision) VALUES ('outbox', 0, 0)",
            [],
        )?;
        conn.query_row(
            "SELECT sequence, revision FROM alert_cursor WHERE name = 'outbox'",
            [],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )
    })?)
}

fn set_cursor(alerts: &Alerts, sequence: u64, revision: Option<u64>) -> Result<(), AlertError> {
    alerts.db.with(|conn| {
        conn.execute(
            "UPDATE alert_cursor SET sequence = ?1, revision = COALESCE(?2, revision)
             WHERE name = 'outbox'",
            params![sequence as i64, revision.map(|r| r as i64)],
        )
    })?;
    Ok(())
}

/// Inserts messages (ignoring ones already queued) inside `tx`; returns how many were new.
/// Atom subscriptions' rows are feed entries at once; digest e-mail waits for its digest.
pub fn insert(tx: &Transaction<'_>, messages: &[Message]) -> rusqlite::Result<usize> {
    let now = now_ms();
    let mut n = 0;
    for m in messages {
        let spec: Option<String> = tx
            .query_row(
                "SELECT spec FROM alert_subscription WHERE id = ?1",
                [&m.subscription],
                |r| r.get(0),
            )
            .optional()?;
        let Some(spec) = spec.and_then(|s| serde_json::from_str::<subscription::Spec>(&s).ok())
        else {
            continue;
        };
        let state = match spec.channel {
            Channel::Atom => "feed",
            Channel::Email
                if spec.digest != subscription::Digest::None && m.event_type != "test" =>
            {
                "digest"
            }
            _ => "pending",
        };
        n += tx.execute(
            "INSERT OR IGNORE INTO alert_delivery (msg_id, subscription, type, event, payload,
                 state, next_attempt_at, created_at, detected_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
            params![
                m.msg_id(),
                m.subscription,
                m.event_type,
                m.key,
                m.payload,
                state,
                now,
                m.detected_at
            ],
        )?;
    }
    Ok(n)
}

/// Queues messages in one transaction (tests, standing queries, reminders).
pub fn queue(alerts: &Alerts, messages: &[Message]) -> Result<usize, AlertError> {
    let n = alerts.db.with(|conn| {
        let tx = conn.transaction()?;
        let n = insert(&tx, messages)?;
        tx.commit()?;
        Ok(n)
    })?;
    if n > 0 {
        alerts.wake.notify_one();
    }
    Ok(n)
}

/// Queues a `test` message for subscription `id`; returns its delivery id. `hold` keeps it from
/// every dispatcher for that long, for a caller that sends it itself (`crosswalk subscriptions
/// test` beside a running server, whose dispatcher would otherwise send it too); should that
/// caller die first, the server sends it once the hold is over.
pub fn queue_test(alerts: &Alerts, id: &str, hold: Duration) -> Result<i64, AlertError> {
    let sub = subscription::get(alerts, id)?;
    let now = now_ms();
    let key = super::random_token("test_", 8);
    let message = Message {
        subscription: sub.id.clone(),
        event_type: "test".into(),
        key: key.clone(),
        payload: webhook::payload(
            "test",
            &rfc3339(now),
            serde_json::json!({
                "subscription": sub.id,
                "message": "a test delivery from Crosswalk",
            }),
        ),
        detected_at: Some(now),
    };
    let msg_id = message.msg_id();
    let delivery = alerts.db.with(|conn| {
        let tx = conn.transaction()?;
        insert(&tx, std::slice::from_ref(&message))?;
        tx.execute(
            "UPDATE alert_delivery SET next_attempt_at = ?2 WHERE msg_id = ?1",
            params![msg_id, now + hold.as_millis() as i64],
        )?;
        let delivery = tx.query_row(
            "SELECT id FROM alert_delivery WHERE msg_id = ?1",
            [&msg_id],
            |r| r.get(0),
        )?;
        tx.commit()?;
        Ok(delivery)
    })?;
    if hold.is_zero() {
        alerts.wake.notify_one();
    }
    Ok(delivery)
}

/// One attempt of a delivery, as logged.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedAttempt {
    pub attempt: u32,
    pub at: String,
    pub status: Option<u16>,
    pub latency_ms: Option<i64>,
    pub error: Option<String>,
}

/// A delivery and its attempts.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub msg_id: String,
    pub subscription: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub event: Option<String>,
    pub state: String,
    pub attempts: u32,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
    pub log: Vec<LoggedAttempt>,
    #[serde(skip)]
    pub payload: String,
}

/// The newest `limit` deliveries of subscription `id` with their attempts.
pub fn deliveries(alerts: &Alerts, id: &str, limit: usize) -> Result<Vec<Delivery>, AlertError> {
    subscription::get(alerts, id)?;
    Ok(alerts.db.with(|conn| {
        let mut stmt = conn.prepare(
            "SELECT id, msg_id, subscription, type, event, state, attempts, next_attempt_at,
                    created_at, delivered_at, payload
             FROM alert_delivery WHERE subscription = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let mut rows: Vec<Delivery> = stmt
            .query_map(params![id, limit as i64], |r| {
                let state: String = r.get(5)?;
                let next: i64 = r.get(7)?;
                Ok(Delivery {
                    id: r.get(0)?,
                    msg_id: r.get(1)?,
                    subscription: r.get(2)?,
                    event_type: r.get(3)?,
                    event: r.get(4)?,
                    next_attempt_at: (state == "pending").then(|| rfc3339(next)),
                    state,
                    attempts: r.get(6)?,
                    created_at: rfc3339(r.get(8)?),
                    delivered_at: r.get::<_, Option<i64>>(9)?.map(rfc3339),
                    payload: r.get(10)?,
                    log: Vec::new(),
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut attempts = conn.prepare(
            "SELECT attempt, at, status, latency_ms, error FROM alert_attempt
             WHERE delivery = ?1 ORDER BY attempt",
        )?;
        for d in &mut rows {
            d.log = attempts
                .query_map([d.id], |r| {
                    Ok(LoggedAttempt {
                        attempt: r.get(0)?,
                        at: rfc3339(r.get(1)?),
                        status: r.get(2)?,
                        latency_ms: r.get(3)?,
                        error: r.get(4)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
        }
        Ok(rows)
    })?)
}

/// Sends delivery `id` again now (manual redelivery): the same `webhook-id`, the next attempt
/// number.
pub fn retry(alerts: &Alerts, id: i64) -> Result<(), AlertError> {
    let n = alerts.db.with(|conn| {
        conn.execute(
            "UPDATE alert_delivery SET state = 'pending', next_attempt_at = ?2
             WHERE id = ?1 AND state IN ('pending', 'failed', 'delivered')",
            params![id, now_ms()],
        )
    })?;
    if n == 0 {
        return Err(AlertError::NotFound(format!(
            "no webhook or e-mail delivery {id}"
        )));
    }
    alerts.wake.notify_one();
    Ok(())
}

/// Deliveries waiting to be sent (the queue-depth metric).
pub fn queue_depth(alerts: &Alerts) -> Result<u64, AlertError> {
    Ok(alerts.db.with(|conn| {
        conn.query_row(
            "SELECT COUNT(*) FROM alert_delivery WHERE state IN ('pending', 'digest')",
            [],
            |r| r.get::<_, i64>(0),
        )
    })? as u64)
}

/// The feed entries of an Atom subscription, newest first (all channels' rows qualify).
pub fn entries(alerts: &Alerts, id: &str, limit: usize) -> Result<Vec<Delivery>, AlertError> {
    deliveries(alerts, id, limit)
}
