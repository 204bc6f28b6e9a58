//! Subscriptions: what a subscriber asked for and where it goes, in the `alert_subscription`
//! table. A request ([`SubscriptionRequest`], the JSON of `POST /api/subscriptions`) is parsed
//! ([`parse`], bounded), checked for shape ([`SubscriptionRequest::check`], no graph needed: the
//! fuzz target runs it), then resolved against the graph's codes and the saved queries
//! ([`SubscriptionRequest::resolve`]) into a [`Spec`], stored with a fresh secret ([`create`]).

use super::events::{Event, KINDS};
use super::{AlertError, Alerts, now_ms, random_bytes, random_token};
use crate::graph::codes::Codes;
use crate::graph::names::ID;
use crate::sparql::saved::SavedQueries;
use base64::Engine as _;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Largest subscription document accepted.
pub const MAX_BYTES: usize = 16 * 1024;
/// Values one filter field may list.
const MAX_VALUES: usize = 64;

/// The event types a subscription may ask for.
pub const TYPES: &[&str] = &[
    "change.detected",
    "query.results_changed",
    "deadline.upcoming",
    "deadline.moved",
    "source.health",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Webhook,
    Email,
    Atom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Digest {
    /// One message per event.
    #[default]
    None,
    Daily,
    Weekly,
}

impl Digest {
    pub fn period_ms(self) -> Option<i64> {
        match self {
            Self::None => None,
            Self::Daily => Some(86_400_000),
            Self::Weekly => Some(7 * 86_400_000),
        }
    }
}

/// A saved query and its parameters, re-evaluated after every graph change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandingQuery {
    pub name: String,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

/// The JSON a subscriber sends to create (all fields) or change (`PATCH`, the fields given) a
/// subscription. Codes may be short (`SG`, `content-provenance`) or full IRIs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionRequest {
    pub channel: Option<Channel>,
    pub url: Option<String>,
    pub email: Option<String>,
    pub digest: Option<Digest>,
    pub jurisdiction: Option<Vec<String>>,
    pub instrument: Option<Vec<String>>,
    pub source: Option<Vec<String>>,
    pub theme: Option<Vec<String>>,
    pub role: Option<Vec<String>>,
    pub kind: Option<Vec<String>>,
    /// Only material changes (the default); `false` also delivers editorial ones.
    pub material: Option<bool>,
    pub query: Option<StandingQuery>,
    pub types: Option<Vec<String>>,
    /// Tell this many days before a followed requirement starts to apply.
    pub remind_days: Option<u32>,
    pub description: Option<String>,
    /// `PATCH` only: re-enable (after a 410) or pause.
    pub enabled: Option<bool>,
}

/// What a change event must match (IRIs; an empty list matches anything).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub jurisdiction: Vec<String>,
    pub instrument: Vec<String>,
    pub source: Vec<String>,
    pub theme: Vec<String>,
    pub role: Vec<String>,
    pub kind: Vec<String>,
    pub material: bool,
}

impl Filter {
    pub fn matches(&self, event: &Event) -> bool {
        let any = |wanted: &[String], have: &[String]| {
            wanted.is_empty() || have.iter().any(|h| wanted.contains(h))
        };
        (!self.material || event.material)
            && (any(&self.kind, std::slice::from_ref(&event.kind)) || any(&self.kind, &event.kinds))
            && any(&self.jurisdiction, &event.jurisdictions)
            && any(&self.instrument, event.instrument.as_slice())
            && any(&self.source, event.source.as_slice())
            && any(&self.theme, &event.themes)
            && any(&self.role, &event.roles)
    }

    /// Whether a requirement with these terms is followed (deadline reminders).
    pub fn follows(
        &self,
        jurisdiction: &[String],
        instrument: &[String],
        themes: &[String],
        roles: &[String],
    ) -> bool {
        let any = |wanted: &[String], have: &[String]| {
            wanted.is_empty() || have.iter().any(|h| wanted.contains(h))
        };
        any(&self.jurisdiction, jurisdiction)
            && any(&self.instrument, instrument)
            && any(&self.theme, themes)
            && any(&self.role, roles)
    }
}

/// A validated subscription, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spec {
    pub channel: Channel,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub digest: Digest,
    pub filter: Filter,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<StandingQuery>,
    pub types: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remind_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Spec {
    pub fn wants(&self, event_type: &str) -> bool {
        self.types.iter().any(|t| t == event_type)
    }
}

/// A stored subscription (its secrets are read separately, by the dispatcher only).
#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub id: String,
    #[serde(flatten)]
    pub spec: Spec,
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    pub created_at: String,
    #[serde(skip)]
    pub feed_token: String,
    #[serde(skip)]
    pub unsubscribe_token: String,
    #[serde(skip)]
    pub last_digest_at: Option<i64>,
    #[serde(skip)]
    pub created_ms: i64,
}

/// What a create answers, once: the id, the signing secret and (Atom) the private feed path.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    pub id: String,
    pub secret: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed_url: Option<String>,
}

/// Parses a subscription document (at most [`MAX_BYTES`]).
pub fn parse(body: &[u8]) -> Result<SubscriptionRequest, AlertError> {
    if body.len() > MAX_BYTES {
        return Err(AlertError::Invalid(format!(
            "a subscription is at most {MAX_BYTES} bytes"
        )));
    }
    serde_json::from_slice(body).map_err(|e| AlertError::Invalid(format!("subscription: {e}")))
}

fn invalid(message: impl Into<String>) -> AlertError {
    AlertError::Invalid(message.into())
}

impl SubscriptionRequest {
    /// This request applied over a stored spec (`PATCH`): fields given replace the stored ones.
    pub fn over(self, stored: &Spec) -> SubscriptionRequest {
        let f = &stored.filter;
        let unresolve = |values: &[String]| {
            values
                .iter()
                .map(|v| v.rsplit('/').next().unwrap_or(v).to_owned())
                .collect::<Vec<_>>()
        };
        SubscriptionRequest {
            channel: self.channel.or(Some(stored.channel)),
            url: self.url.or_else(|| stored.url.clone()),
            email: self.email.or_else(|| stored.email.clone()),
            digest: self.digest.or(Some(stored.digest)),
            jurisdiction: self
                .jurisdiction
                .or_else(|| Some(unresolve(&f.jurisdiction))),
            instrument: self.instrument.or_else(|| Some(unresolve(&f.instrument))),
            source: self.source.or_else(|| Some(unresolve(&f.source))),
            theme: self.theme.or_else(|| Some(unresolve(&f.theme))),
            role: self.role.or_else(|| Some(unresolve(&f.role))),
            kind: self.kind.or_else(|| Some(f.kind.clone())),
            material: self.material.or(Some(f.material)),
            query: self.query.or_else(|| stored.query.clone()),
            // Types left at their defaults follow the new fields (a query or reminders added
            // by the patch bring their types); types named once stay as named.
            types: self.types.or_else(|| {
                let defaulted = default_types(stored.query.is_some(), stored.remind_days.is_some());
                (stored.types != defaulted).then(|| stored.types.clone())
            }),
            remind_days: self.remind_days.or(stored.remind_days),
            description: self.description.or_else(|| stored.description.clone()),
            enabled: self.enabled,
        }
    }

    /// Checks what needs no graph: channel and target, kinds, types, bounds.
    pub fn check(&self) -> Result<(), AlertError> {
        let channel = self
            .channel
            .ok_or_else(|| invalid("\"channel\" is required: webhook, email or atom"))?;
        match channel {
            Channel::Webhook => {
                let url = self
                    .url
                    .as_deref()
                    .ok_or_else(|| invalid("a webhook subscription needs \"url\""))?;
                let parsed =
                    url::Url::parse(url).map_err(|e| invalid(format!("url {url:?}: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(invalid(format!(
                        "url {url:?}: only http and https webhooks are sent"
                    )));
                }
                if url.len() > 2048 {
                    return Err(invalid("url: at most 2048 bytes"));
                }
            }
            Channel::Email => {
                let email = self
                    .email
                    .as_deref()
                    .ok_or_else(|| invalid("an e-mail subscription needs \"email\""))?;
                email
                    .parse::<lettre::Address>()
                    .map_err(|e| invalid(format!("email {email:?}: {e}")))?;
            }
            Channel::Atom => {}
        }
        if channel != Channel::Email && self.digest.is_some_and(|d| d != Digest::None) {
            return Err(invalid("\"digest\" is for e-mail subscriptions"));
        }
        for (field, values) in [
            ("jurisdiction", &self.jurisdiction),
            ("instrument", &self.instrument),
            ("source", &self.source),
            ("theme", &self.theme),
            ("role", &self.role),
            ("kind", &self.kind),
            ("types", &self.types),
        ] {
            let values = values.as_deref().unwrap_or_default();
            if values.len() > MAX_VALUES {
                return Err(invalid(format!("{field}: at most {MAX_VALUES} values")));
            }
            if let Some(bad) = values.iter().find(|v| v.is_empty() || v.len() > 512) {
                return Err(invalid(format!("{field}: invalid value {bad:?}")));
            }
        }
        for kind in self.kind.as_deref().unwrap_or_default() {
            if !KINDS.contains(&kind.as_str()) {
                return Err(invalid(format!(
                    "unknown change kind {kind:?}; known: {}",
                    KINDS.join(", ")
                )));
            }
        }
        for t in self.types.as_deref().unwrap_or_default() {
            if !TYPES.contains(&t.as_str()) {
                return Err(invalid(format!(
                    "unknown event type {t:?}; known: {}",
                    TYPES.join(", ")
                )));
            }
        }
        if let Some(q) = &self.query
            && (q.params.len() > MAX_VALUES || q.name.len() > 256)
        {
            return Err(invalid("query: too many parameters or too long a name"));
        }
        if self.remind_days.is_some_and(|d| d > 3660) {
            return Err(invalid("remind_days: at most 3660"));
        }
        if self.description.as_ref().is_some_and(|d| d.len() > 1024) {
            return Err(invalid("description: at most 1024 bytes"));
        }
        Ok(())
    }

    /// Resolves codes to IRIs (unknown ones are refused naming the closest known codes), checks
    /// a standing query and its parameters, and fills the defaults. Blocking.
    pub fn resolve(
        self,
        codes: &Codes,
        saved: &SavedQueries,
        smtp: bool,
    ) -> Result<Spec, AlertError> {
        self.check()?;
        let channel = self.channel.unwrap_or(Channel::Atom);
        if channel == Channel::Email && !smtp {
            return Err(invalid(
                "e-mail subscriptions need an SMTP relay ([alerts.smtp] in the configuration)",
            ));
        }
        let resolve =
            |kind: &str, values: Option<Vec<String>>| -> Result<Vec<String>, AlertError> {
                let base = format!("{ID}{kind}/");
                values
                    .unwrap_or_default()
                    .iter()
                    .map(|v| codes.resolve(&base, v).map_err(|e| invalid(e.to_string())))
                    .collect()
            };
        let filter = Filter {
            jurisdiction: resolve("jurisdiction", self.jurisdiction)?,
            instrument: resolve("instrument", self.instrument)?,
            source: resolve("source", self.source)?,
            theme: resolve("theme", self.theme)?,
            role: resolve("role", self.role)?,
            kind: self.kind.unwrap_or_default(),
            material: self.material.unwrap_or(true),
        };
        if let Some(q) = &self.query {
            let query = saved.get(&q.name)?;
            query.checked_bindings(
                q.params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                codes,
            )?;
        }
        let types = match self.types {
            Some(types) if !types.is_empty() => types,
            _ => default_types(self.query.is_some(), self.remind_days.is_some()),
        };
        if types.iter().any(|t| t == "query.results_changed") && self.query.is_none() {
            return Err(invalid("query.results_changed needs \"query\""));
        }
        Ok(Spec {
            channel,
            url: self.url.filter(|_| channel == Channel::Webhook),
            email: self.email.filter(|_| channel == Channel::Email),
            digest: self.digest.unwrap_or_default(),
            filter,
            query: self.query,
            types,
            remind_days: self.remind_days,
            description: self.description,
        })
    }
}

/// The types of a subscription that names none: `change.detected` (with a standing query:
/// `query.results_changed`), and with reminders the deadline types.
fn default_types(query: bool, reminders: bool) -> Vec<String> {
    let mut types = vec![if query {
        "query.results_changed".to_owned()
    } else {
        "change.detected".to_owned()
    }];
    if reminders {
        types.push("deadline.upcoming".into());
        types.push("deadline.moved".into());
    }
    types
}

/// A new signing secret: `whsec_` and 32 random bytes in base64 (Standard Webhooks).
pub fn new_secret() -> String {
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(random_bytes(32))
    )
}

/// The HMAC key of a `whsec_` secret.
pub fn secret_key(secret: &str) -> Vec<u8> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap_or_else(|_| encoded.as_bytes().to_vec())
}

const COLUMNS: &str = "id, spec, enabled, disabled_reason, created_at, feed_token, \
     unsubscribe_token, last_digest_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Subscription> {
    let spec: String = r.get(1)?;
    let spec: Spec = serde_json::from_str(&spec).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
    })?;
    let created: i64 = r.get(4)?;
    Ok(Subscription {
        id: r.get(0)?,
        spec,
        enabled: r.get(2)?,
        disabled_reason: r.get(3)?,
        created_at: super::rfc3339(created),
        created_ms: created,
        feed_token: r.get(5)?,
        unsubscribe_token: r.get(6)?,
        last_digest_at: r.get(7)?,
    })
}

/// Stores a validated subscription with a fresh secret and tokens.
pub fn create(alerts: &Alerts, spec: &Spec) -> Result<(Subscription, Created), AlertError> {
    let id = random_token("sub_", 8);
    let secret = new_secret();
    let feed_token = random_token("", 24);
    let unsubscribe = random_token("", 24);
    let json = serde_json::to_string(spec).map_err(|e| invalid(e.to_string()))?;
    let now = now_ms();
    alerts.db.with(|conn| {
        conn.execute(
            "INSERT INTO alert_subscription (id, spec, secret, feed_token, unsubscribe_token,
                 created_at, last_digest_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            params![id, json, secret, feed_token, unsubscribe, now],
        )
    })?;
    let feed_url = (spec.channel == Channel::Atom)
        .then(|| format!("{}/feeds/s/{feed_token}.atom", alerts.public_url()));
    let stored = get(alerts, &id)?;
    Ok((
        stored,
        Created {
            id,
            secret,
            feed_url,
        },
    ))
}

pub fn get(alerts: &Alerts, id: &str) -> Result<Subscription, AlertError> {
    alerts
        .db
        .with(|conn| {
            conn.query_row(
                &format!("SELECT {COLUMNS} FROM alert_subscription WHERE id = ?1"),
                [id],
                from_row,
            )
            .optional()
        })?
        .ok_or_else(|| AlertError::NotFound(format!("no subscription {id:?}")))
}

/// Every subscription, oldest first.
pub fn list(alerts: &Alerts) -> Result<Vec<Subscription>, AlertError> {
    Ok(alerts.db.with(|conn| {
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM alert_subscription ORDER BY created_at, id"
        ))?;
        let rows = stmt.query_map([], from_row)?;
        rows.collect()
    })?)
}

/// The subscription whose private feed `token` opens.
pub fn by_feed_token(alerts: &Alerts, token: &str) -> Result<Option<Subscription>, AlertError> {
    Ok(alerts.db.with(|conn| {
        conn.query_row(
            &format!("SELECT {COLUMNS} FROM alert_subscription WHERE feed_token = ?1"),
            [token],
            from_row,
        )
        .optional()
    })?)
}

/// Replaces a subscription's spec and, when given, whether it is enabled.
pub fn update(
    alerts: &Alerts,
    id: &str,
    spec: &Spec,
    enabled: Option<bool>,
) -> Result<Subscription, AlertError> {
    let json = serde_json::to_string(spec).map_err(|e| invalid(e.to_string()))?;
    let changed = alerts.db.with(|conn| {
        conn.execute(
            "UPDATE alert_subscription SET spec = ?2,
                 enabled = COALESCE(?3, enabled),
                 disabled_reason = CASE WHEN ?3 = 1 THEN NULL ELSE disabled_reason END
             WHERE id = ?1",
            params![id, json, enabled],
        )
    })?;
    if changed == 0 {
        return Err(AlertError::NotFound(format!("no subscription {id:?}")));
    }
    get(alerts, id)
}

/// Deletes a subscription with its queued deliveries, log and standing-query state.
pub fn remove(alerts: &Alerts, id: &str) -> Result<(), AlertError> {
    let removed = alerts.db.with(|conn| {
        let tx = conn.transaction()?;
        let n = tx.execute("DELETE FROM alert_subscription WHERE id = ?1", [id])?;
        tx.execute(
            "DELETE FROM alert_attempt WHERE delivery IN
                 (SELECT id FROM alert_delivery WHERE subscription = ?1)",
            [id],
        )?;
        for table in [
            "alert_delivery",
            "alert_query_row",
            "alert_query_state",
            "alert_deadline",
            "alert_health_reported",
        ] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE subscription = ?1"),
                [id],
            )?;
        }
        tx.commit()?;
        Ok(n)
    })?;
    if removed == 0 {
        return Err(AlertError::NotFound(format!("no subscription {id:?}")));
    }
    Ok(())
}

/// Disables a subscription (its endpoint answered 410, or a one-click unsubscribe).
pub fn disable(alerts: &Alerts, id: &str, reason: &str) -> Result<(), AlertError> {
    alerts.db.with(|conn| {
        conn.execute(
            "UPDATE alert_subscription SET enabled = 0, disabled_reason = ?2 WHERE id = ?1",
            params![id, reason],
        )
    })?;
    Ok(())
}

/// One-click unsubscribe (RFC 8058): disables the subscription `token` belongs to.
pub fn unsubscribe(alerts: &Alerts, token: &str) -> Result<bool, AlertError> {
    let n = alerts.db.with(|conn| {
        conn.execute(
            "UPDATE alert_subscription SET enabled = 0, disabled_reason = 'unsubscribed'
             WHERE unsubscribe_token = ?1",
            [token],
        )
    })?;
    Ok(n > 0)
}

/// A new secret; the previous one keeps signing for `alerts.rotation_overlap_secs`.
pub fn rotate_secret(alerts: &Alerts, id: &str) -> Result<String, AlertError> {
    let secret = new_secret();
    let until = now_ms() + (alerts.config.alerts.rotation_overlap_secs as i64) * 1000;
    let n = alerts.db.with(|conn| {
        conn.execute(
            "UPDATE alert_subscription SET previous_secret = secret, previous_until = ?3,
                 secret = ?2 WHERE id = ?1",
            params![id, secret, until],
        )
    })?;
    if n == 0 {
        return Err(AlertError::NotFound(format!("no subscription {id:?}")));
    }
    Ok(secret)
}

/// The keys that sign for subscription `id` now: the current secret, and the previous one
/// during a rotation's overlap.
pub fn signing_keys(alerts: &Alerts, id: &str) -> Result<Vec<Vec<u8>>, AlertError> {
    let row: Option<(String, Option<String>, Option<i64>)> = alerts.db.with(|conn| {
        conn.query_row(
            "SELECT secret, previous_secret, previous_until FROM alert_subscription WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
    })?;
    let (secret, previous, until) =
        row.ok_or_else(|| AlertError::NotFound(format!("no subscription {id:?}")))?;
    let mut keys = vec![secret_key(&secret)];
    if let (Some(previous), Some(until)) = (previous, until)
        && until > now_ms()
    {
        keys.push(secret_key(&previous));
    }
    Ok(keys)
}

/// The unsubscribe token of `id` (e-mail headers).
pub fn unsubscribe_token(alerts: &Alerts, id: &str) -> Result<String, AlertError> {
    Ok(get(alerts, id)?.unsubscribe_token)
}

/// Marks the digest of `id` as sent at `at`.
pub fn digest_sent(alerts: &Alerts, id: &str, at: i64) -> Result<(), AlertError> {
    alerts.db.with(|conn| {
        conn.execute(
            "UPDATE alert_subscription SET last_digest_at = ?2 WHERE id = ?1",
            params![id, at],
        )
    })?;
    Ok(())
}

/// The blocking rest of a create once the request's shape and webhook URL passed: resolves it,
/// stores it, and records the standing query's rows and the followed dates as of now (later
/// changes are told against them). Used by the API and the CLI.
pub fn finish(
    alerts: &Alerts,
    graph: &crate::graph::Graph,
    codes: &Codes,
    request: SubscriptionRequest,
) -> Result<(Subscription, Created), AlertError> {
    let smtp = alerts.config.alerts.smtp.is_some();
    let spec = request.resolve(codes, &alerts.saved, smtp)?;
    let (sub, created) = create(alerts, &spec)?;
    let subs = std::slice::from_ref(&sub);
    super::standing::evaluate(alerts, graph, subs)?;
    if super::deadline::check(alerts, graph, subs, chrono::Utc::now())? > 0 {
        alerts.wake.notify_one();
    }
    Ok((sub, created))
}

/// The blocking rest of a `PATCH` once the request (applied over the stored spec with
/// [`SubscriptionRequest::over`]) passed its shape and URL checks: resolves and stores it, then
/// does what [`finish`] does for a new subscription. A standing query that changed starts
/// afresh (the rows the old one had are no news: its first evaluation records the new rows),
/// and the followed dates are checked at once, so reminders a patch asks for are not held
/// back until the next graph change.
pub fn finish_update(
    alerts: &Alerts,
    graph: &crate::graph::Graph,
    codes: &Codes,
    id: &str,
    request: SubscriptionRequest,
    enabled: Option<bool>,
) -> Result<Subscription, AlertError> {
    let previous = get(alerts, id)?;
    let smtp = alerts.config.alerts.smtp.is_some();
    let spec = request.resolve(codes, &alerts.saved, smtp)?;
    let sub = update(alerts, id, &spec, enabled)?;
    if previous.spec.query != sub.spec.query {
        alerts.db.with(|conn| {
            let tx = conn.transaction()?;
            for table in ["alert_query_row", "alert_query_state"] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE subscription = ?1"),
                    [id],
                )?;
            }
            tx.commit()
        })?;
    }
    // A paused subscription is evaluated when it is enabled again, as the outbox does.
    if sub.enabled {
        let subs = std::slice::from_ref(&sub);
        super::standing::evaluate(alerts, graph, subs)?;
        if super::deadline::check(alerts, graph, subs, chrono::Utc::now())? > 0 {
            alerts.wake.notify_one();
        }
    }
    Ok(sub)
}
