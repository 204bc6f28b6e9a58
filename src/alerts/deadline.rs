//! Deadline reminders: a subscription with `remind_days` is told once, `remind_days` or fewer
//! days before a requirement it follows starts to apply (`cw:appliesFrom`, the date in force
//! after amendments such as the Digital Omnibus), `deadline.upcoming`; and when a followed
//! requirement's application date changes, `deadline.moved` (the last date seen per
//! subscription and requirement is kept in `alert_deadline`). Runs on every graph change and
//! once a day in `serve`; idempotent: one reminder per subscription, requirement and date.

use super::outbox::{self, Message};
use super::subscription::Subscription;
use super::{AlertError, Alerts, now_ms, rfc3339, webhook};
use crate::graph::Graph;
use chrono::NaiveDate;
use oxigraph::model::Term;
use rusqlite::{OptionalExtension, params};
use serde_json::json;

const DEADLINES: &str = include_str!("../../queries/alerts/deadlines.rq");

/// A requirement with an application date.
#[derive(Debug, Clone)]
pub struct Dated {
    pub requirement: String,
    pub date: NaiveDate,
    pub provision: Option<String>,
    pub jurisdictions: Vec<String>,
    pub instruments: Vec<String>,
    pub themes: Vec<String>,
    pub roles: Vec<String>,
}

/// Every requirement with a `cw:appliesFrom` date. Blocking.
pub fn dated(graph: &Graph) -> Result<Vec<Dated>, AlertError> {
    let rows = graph.select("alerts: deadlines", DEADLINES, [])?;
    let text = |row: &oxigraph::sparql::QuerySolution, var: &str| match row.get(var) {
        Some(Term::Literal(l)) => Some(l.value().to_owned()),
        Some(Term::NamedNode(n)) => Some(n.as_str().to_owned()),
        _ => None,
    };
    let words = |v: Option<String>| -> Vec<String> {
        v.unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    Ok(rows
        .iter()
        .filter_map(|row| {
            let date = NaiveDate::parse_from_str(text(row, "date")?.get(..10)?, "%Y-%m-%d").ok()?;
            Some(Dated {
                requirement: text(row, "r")?,
                date,
                provision: text(row, "provision"),
                jurisdictions: words(text(row, "jurisdictions")),
                instruments: words(text(row, "instruments")),
                themes: words(text(row, "themes")),
                roles: words(text(row, "roles")),
            })
        })
        .collect())
}

/// Checks every subscription that asks for deadline events against the graph's dates as of
/// `now`; returns how many messages were queued. Blocking.
pub fn check(
    alerts: &Alerts,
    graph: &Graph,
    subscriptions: &[Subscription],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, AlertError> {
    let wanting: Vec<&Subscription> = subscriptions
        .iter()
        .filter(|s| s.spec.wants("deadline.upcoming") || s.spec.wants("deadline.moved"))
        .collect();
    if wanting.is_empty() {
        return Ok(0);
    }
    let today = now.date_naive();
    let dated = dated(graph)?;
    let mut queued = 0;
    for sub in wanting {
        let followed: Vec<&Dated> = dated
            .iter()
            .filter(|d| {
                sub.spec
                    .filter
                    .follows(&d.jurisdictions, &d.instruments, &d.themes, &d.roles)
            })
            .collect();
        let window = sub.spec.remind_days.unwrap_or(30) as i64;
        queued += alerts.db.with(|conn| {
            let tx = conn.transaction()?;
            let mut messages = Vec::new();
            for d in &followed {
                let date = d.date.to_string();
                let seen: Option<String> = tx
                    .query_row(
                        "SELECT applies_from FROM alert_deadline
                         WHERE subscription = ?1 AND requirement = ?2",
                        params![sub.id, d.requirement],
                        |r| r.get(0),
                    )
                    .optional()?;
                if seen.as_deref() != Some(date.as_str()) {
                    tx.execute(
                        "INSERT OR REPLACE INTO alert_deadline (subscription, requirement, applies_from)
                         VALUES (?1, ?2, ?3)",
                        params![sub.id, d.requirement, date],
                    )?;
                }
                let data = |extra: serde_json::Value| {
                    let mut data = json!({
                        "requirement": d.requirement,
                        "provision": d.provision,
                        "applies_from": date,
                        "days_left": (d.date - today).num_days(),
                        "jurisdictions": d.jurisdictions,
                        "instruments": d.instruments,
                        "themes": d.themes,
                    });
                    if let (Some(map), Some(extra)) = (data.as_object_mut(), extra.as_object()) {
                        map.extend(extra.clone());
                    }
                    data
                };
                if let Some(previous) = seen.filter(|s| *s != date)
                    && sub.spec.wants("deadline.moved")
                {
                    messages.push(Message {
                        subscription: sub.id.clone(),
                        event_type: "deadline.moved".into(),
                        key: format!("{}|{previous}|{date}", d.requirement),
                        payload: webhook::payload(
                            "deadline.moved",
                            &rfc3339(now_ms()),
                            data(json!({ "previous": previous })),
                        ),
                        detected_at: Some(now_ms()),
                    });
                }
                let days = (d.date - today).num_days();
                if sub.spec.wants("deadline.upcoming") && (0..=window).contains(&days) {
                    messages.push(Message {
                        subscription: sub.id.clone(),
                        event_type: "deadline.upcoming".into(),
                        key: format!("{}|{date}", d.requirement),
                        payload: webhook::payload(
                            "deadline.upcoming",
                            &rfc3339(now_ms()),
                            data(json!({})),
                        ),
                        detected_at: Some(now_ms()),
                    });
                }
            }
            let n = outbox::insert(&tx, &messages)?;
            tx.commit()?;
            Ok(n)
        })?;
    }
    Ok(queued)
}
