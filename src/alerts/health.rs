//! `source.health`: operator events about fetching, never mixed into change alerts — only
//! subscriptions whose `types` name `source.health` receive them. A source is reported when its
//! failed fetches since the last good one reach `alerts.health_failures`, when one of them met a
//! bot challenge or WAF page, or when its content selector matched nothing. Each problem is
//! reported once to each subscription (`alert_health_reported`) until the source fetches well
//! again; a subscription made while a problem is open hears of it at the next check. A
//! subscription's source, jurisdiction and instrument filters apply (to the source's own terms).

use super::outbox::{self, Message};
use super::subscription::Subscription;
use super::{AlertError, Alerts, now_ms, rfc3339, webhook};
use crate::graph::Graph;
use oxigraph::model::Term;
use rusqlite::params;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

const HEALTH: &str = include_str!("../../queries/alerts/health.rq");

/// A problem of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub source: String,
    /// `failing`, `challenge` or `selector`.
    pub problem: &'static str,
    pub failures: u64,
    pub reasons: Vec<String>,
    pub last: String,
}

/// The sources failing now and why. Blocking.
pub fn problems(graph: &Graph, threshold: u32) -> Result<Vec<Problem>, AlertError> {
    let rows = graph.select("alerts: source health", HEALTH, [])?;
    let text = |row: &oxigraph::sparql::QuerySolution, var: &str| match row.get(var) {
        Some(Term::Literal(l)) => Some(l.value().to_owned()),
        Some(Term::NamedNode(n)) => Some(n.as_str().to_owned()),
        _ => None,
    };
    let mut out = Vec::new();
    for row in &rows {
        let Some(source) = text(row, "source") else {
            continue;
        };
        let failures: u64 = text(row, "failures")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let reasons: Vec<String> = text(row, "why")
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect();
        let last = text(row, "last").unwrap_or_default();
        let mut found = |problem: &'static str| {
            out.push(Problem {
                source: source.clone(),
                problem,
                failures,
                reasons: reasons.clone(),
                last: last.clone(),
            });
        };
        if failures >= u64::from(threshold) {
            found("failing");
        }
        if reasons.iter().any(|r| r.contains("challenge")) {
            found("challenge");
        }
        if reasons.iter().any(|r| r.contains("selector")) {
            found("selector");
        }
    }
    Ok(out)
}

/// Reports new problems to the subscriptions asking for `source.health`, and forgets the
/// problems that cleared; returns how many messages were queued. Blocking.
pub fn check(
    alerts: &Alerts,
    graph: &Graph,
    subscriptions: &[Subscription],
) -> Result<usize, AlertError> {
    let wanting: Vec<&Subscription> = subscriptions
        .iter()
        .filter(|s| s.spec.wants("source.health"))
        .collect();
    if wanting.is_empty() {
        return Ok(0);
    }
    let problems = problems(graph, alerts.config.alerts.health_failures)?;
    // Each source's jurisdiction and instrument, for subscriptions that filter on them.
    let mut terms: HashMap<String, (Option<String>, Option<String>)> = HashMap::new();
    if !problems.is_empty() {
        for s in crate::source::list(graph)? {
            terms.insert(s.iri, (s.jurisdiction, s.instrument));
        }
    }
    let now = now_ms();
    Ok(alerts.db.with(|conn| {
        let tx = conn.transaction()?;
        let current: BTreeSet<(&str, &str)> = problems
            .iter()
            .map(|p| (p.source.as_str(), p.problem))
            .collect();
        let known: BTreeSet<(String, String, String)> = {
            let mut stmt =
                tx.prepare("SELECT subscription, source, problem FROM alert_health_reported")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?
        };
        // A problem that cleared is forgotten (for every subscription), so its return is news.
        let cleared: BTreeSet<(&str, &str)> = known
            .iter()
            .map(|(_, source, problem)| (source.as_str(), problem.as_str()))
            .filter(|pair| !current.contains(pair))
            .collect();
        for (source, problem) in cleared {
            tx.execute(
                "DELETE FROM alert_health_reported WHERE source = ?1 AND problem = ?2",
                params![source, problem],
            )?;
        }
        let mut messages = Vec::new();
        for p in &problems {
            let (jurisdiction, instrument) = terms.get(&p.source).cloned().unwrap_or_default();
            for sub in &wanting {
                let f = &sub.spec.filter;
                let admits = |wanted: &[String], have: Option<&String>| {
                    wanted.is_empty() || have.is_some_and(|h| wanted.contains(h))
                };
                if !admits(&f.source, Some(&p.source))
                    || !admits(&f.jurisdiction, jurisdiction.as_ref())
                    || !admits(&f.instrument, instrument.as_ref())
                    || known.contains(&(sub.id.clone(), p.source.clone(), p.problem.to_owned()))
                {
                    continue;
                }
                tx.execute(
                    "INSERT INTO alert_health_reported (subscription, source, problem, reported_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![sub.id, p.source, p.problem, now],
                )?;
                messages.push(Message {
                    subscription: sub.id.clone(),
                    event_type: "source.health".into(),
                    key: format!("{}|{}|{now}", p.source, p.problem),
                    payload: webhook::payload(
                        "source.health",
                        &rfc3339(now),
                        json!({
                            "source": p.source,
                            "problem": p.problem,
                            "consecutive_failures": p.failures,
                            "reasons": p.reasons,
                            "last_attempt": p.last,
                        }),
                    ),
                    detected_at: Some(now),
                });
            }
        }
        let n = outbox::insert(&tx, &messages)?;
        tx.commit()?;
        Ok(n)
    })?)
}
