//! Standing queries: a subscription naming a saved query and its parameters is re-evaluated
//! after every graph change; when its result set differs from the last one (kept in
//! `alert_query_row`, one row per result row keyed by the hash of its canonical JSON) the
//! subscriber gets one `query.results_changed` message naming the rows that appeared and the
//! rows that disappeared. The first evaluation only records the rows.

use super::outbox::{self, Message};
use super::subscription::Subscription;
use super::{AlertError, Alerts, now_ms, rfc3339, sha256_hex, webhook};
use crate::graph::Graph;
use crate::sparql::format::OutputFormat;
use crate::sparql::{DatasetRequest, Engine, Limits};
use rusqlite::params;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// Rows named in one message at most (each list); the counts are always whole.
const MAX_NAMED: usize = 1000;

/// Re-evaluates every standing query; returns how many messages were queued. Blocking.
pub fn evaluate(
    alerts: &Alerts,
    graph: &Graph,
    subscriptions: &[Subscription],
) -> Result<usize, AlertError> {
    let standing: Vec<&Subscription> = subscriptions
        .iter()
        .filter(|s| s.spec.query.is_some() && s.spec.wants("query.results_changed"))
        .collect();
    if standing.is_empty() {
        return Ok(0);
    }
    let config = &alerts.config;
    let engine = Engine::new(
        graph.clone(),
        Limits {
            timeout: config.query_timeout(),
            max_rows: config.alerts.standing_max_rows + 1,
            max_query_bytes: config.sparql.max_query_bytes,
        },
    );
    let mut queued = 0;
    // Subscriptions to the same query with the same parameters share one evaluation.
    let mut evaluated: HashMap<String, BTreeMap<String, Value>> = HashMap::new();
    for sub in standing {
        let key = serde_json::to_string(&sub.spec.query).unwrap_or_default();
        let rows = match evaluated.get(&key) {
            Some(rows) => Ok(rows.clone()),
            None => rows(alerts, &engine, sub).inspect(|rows| {
                evaluated.insert(key, rows.clone());
            }),
        };
        match rows.and_then(|rows| evaluate_one(alerts, sub, rows, graph.revision())) {
            Ok(n) => queued += n,
            // One broken query must not hold the others (nor the change events) back.
            Err(error) => tracing::error!(subscription = sub.id, %error, "standing query"),
        }
    }
    Ok(queued)
}

/// The rows of `sub`'s query now, by hash.
pub fn rows(
    alerts: &Alerts,
    engine: &Engine,
    sub: &Subscription,
) -> Result<BTreeMap<String, Value>, AlertError> {
    let q = sub
        .spec
        .query
        .as_ref()
        .ok_or_else(|| AlertError::Standing {
            name: String::new(),
            message: "no query".into(),
        })?;
    let failed = |message: String| AlertError::Standing {
        name: q.name.clone(),
        message,
    };
    let saved = alerts.saved.get(&q.name)?;
    let bindings = saved.bindings(q.params.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let mut prepared = engine
        .prepare(&saved.text, &DatasetRequest::default())
        .map_err(|e| failed(e.to_string()))?;
    for (variable, term) in bindings {
        prepared = prepared.bind(variable, term);
    }
    let mut out = Vec::new();
    let summary = engine
        .run(
            prepared,
            OutputFormat::Results(oxigraph::sparql::results::QueryResultsFormat::Json),
            &mut out,
        )
        .map_err(|e| failed(e.to_string()))?;
    if summary.truncated || summary.rows > alerts.config.alerts.standing_max_rows {
        return Err(failed(format!(
            "more than {} rows (alerts.standing_max_rows)",
            alerts.config.alerts.standing_max_rows
        )));
    }
    let results: Value = serde_json::from_slice(&out).map_err(|e| failed(e.to_string()))?;
    let mut rows = BTreeMap::new();
    for binding in results["results"]["bindings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        // serde_json's maps are sorted, so this text is canonical.
        let row: BTreeMap<String, Value> = binding
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v["value"].clone()))
                    .collect()
            })
            .unwrap_or_default();
        let value = json!(row);
        rows.insert(sha256_hex(&value.to_string()), value);
    }
    Ok(rows)
}

fn evaluate_one(
    alerts: &Alerts,
    sub: &Subscription,
    now_rows: BTreeMap<String, Value>,
    revision: u64,
) -> Result<usize, AlertError> {
    let (before, evaluated): (BTreeMap<String, Value>, bool) = alerts.db.with(|conn| {
        let evaluated = conn
            .query_row(
                "SELECT COUNT(*) FROM alert_query_state WHERE subscription = ?1",
                [&sub.id],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)?;
        let mut stmt =
            conn.prepare("SELECT row_hash, row FROM alert_query_row WHERE subscription = ?1")?;
        let rows = stmt
            .query_map([&sub.id], |r| {
                let text: String = r.get(1)?;
                Ok((
                    r.get(0)?,
                    serde_json::from_str(&text).unwrap_or(Value::Null),
                ))
            })?
            .collect::<Result<_, _>>()?;
        Ok((rows, evaluated))
    })?;
    let appeared: Vec<(&String, &Value)> = now_rows
        .iter()
        .filter(|(h, _)| !before.contains_key(*h))
        .collect();
    let disappeared: Vec<(&String, &Value)> = before
        .iter()
        .filter(|(h, _)| !now_rows.contains_key(*h))
        .collect();
    if evaluated && appeared.is_empty() && disappeared.is_empty() {
        return Ok(0);
    }
    let q = sub.spec.query.clone().unwrap_or_else(unreachable_query);
    let message = (evaluated).then(|| {
        let key = sha256_hex(&format!(
            "{revision}\n{}",
            now_rows.keys().cloned().collect::<Vec<_>>().join(",")
        ));
        let now = now_ms();
        Message {
            subscription: sub.id.clone(),
            event_type: "query.results_changed".into(),
            key,
            payload: webhook::payload(
                "query.results_changed",
                &rfc3339(now),
                json!({
                    "query": q.name,
                    "params": q.params,
                    "graph_revision": revision,
                    "appeared": appeared.iter().take(MAX_NAMED).map(|(_, v)| (*v).clone()).collect::<Vec<_>>(),
                    "disappeared": disappeared.iter().take(MAX_NAMED).map(|(_, v)| (*v).clone()).collect::<Vec<_>>(),
                    "appeared_count": appeared.len(),
                    "disappeared_count": disappeared.len(),
                    "rows": now_rows.len(),
                    "link": format!("{}/api/queries/{}", alerts.public_url(), q.name),
                }),
            ),
            detected_at: Some(now),
        }
    });
    // The new result set and the message in one transaction: a crash between cannot lose the
    // change nor announce it twice.
    let queued = alerts.db.with(|conn| {
        let tx = conn.transaction()?;
        for (hash, _) in &disappeared {
            tx.execute(
                "DELETE FROM alert_query_row WHERE subscription = ?1 AND row_hash = ?2",
                params![sub.id, hash],
            )?;
        }
        for (hash, row) in &appeared {
            tx.execute(
                "INSERT OR REPLACE INTO alert_query_row (subscription, row_hash, row)
                 VALUES (?1, ?2, ?3)",
                params![sub.id, hash, row.to_string()],
            )?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO alert_query_state (subscription, evaluated_at) VALUES (?1, ?2)",
            params![sub.id, now_ms()],
        )?;
        let n = match &message {
            Some(m) => outbox::insert(&tx, std::slice::from_ref(m))?,
            None => 0,
        };
        tx.commit()?;
        Ok(n)
    })?;
    Ok(queued)
}

fn unreachable_query() -> super::subscription::StandingQuery {
    super::subscription::StandingQuery {
        name: String::new(),
        params: BTreeMap::new(),
    }
}
