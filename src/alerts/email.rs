//! E-mail alerts over SMTP (`lettre`, only with `[alerts.smtp]`): one message per delivery, or
//! a daily or weekly digest of everything queued since the last one. Every message is
//! multipart/alternative, plain text and inline-styled HTML (templates under
//! `templates/alerts/`; mail clients drop `<style>`), with `List-Unsubscribe` and
//! `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).

use super::dispatch::Due;
use super::subscription::{self, Channel, Subscription};
use super::webhook::Attempt;
use super::{AlertError, Alerts, now_ms};
use crate::config::SmtpConfig;
use askama::Template;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rusqlite::params;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Messages in one digest at most; the rest go in the next one.
const MAX_DIGEST: usize = 200;

/// One alert, as an e-mail shows it.
pub struct Item {
    pub headline: String,
    pub summary: String,
    pub provisions: Vec<String>,
    pub link: String,
    pub material: bool,
}

#[derive(Template)]
#[template(path = "alerts/email.txt")]
struct Plain<'a> {
    title: &'a str,
    items: &'a [Item],
    subscription: &'a str,
    unsubscribe: &'a str,
}

#[derive(Template)]
#[template(path = "alerts/email.html")]
struct Html<'a> {
    title: &'a str,
    items: &'a [Item],
    subscription: &'a str,
    unsubscribe: &'a str,
}

/// What a payload says, for people.
pub fn item(payload: &str) -> Item {
    let value: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
    let data = &value["data"];
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let list = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let headline = match value["type"].as_str().unwrap_or_default() {
        "change.detected" => format!(
            "{}: {}",
            list(&data["kinds"]).join(", "),
            s(&data["instrument"])
                .rsplit('/')
                .next()
                .unwrap_or_default()
        ),
        "query.results_changed" => format!(
            "Saved query {}: {} rows appeared, {} disappeared",
            s(&data["query"]),
            data["appeared_count"],
            data["disappeared_count"]
        ),
        "deadline.upcoming" => format!(
            "Applies from {} ({} days): {}",
            s(&data["applies_from"]),
            data["days_left"],
            s(&data["provision"])
        ),
        "deadline.moved" => format!(
            "Application date moved from {} to {}: {}",
            s(&data["previous"]),
            s(&data["applies_from"]),
            s(&data["provision"])
        ),
        "source.health" => format!("Source {}: {}", s(&data["source"]), s(&data["problem"])),
        other => format!("Crosswalk {other} message"),
    };
    Item {
        headline,
        summary: s(&data["summary"]),
        provisions: list(&data["provisions"]),
        link: s(&data["link"]),
        material: data["material"].as_bool().unwrap_or(false),
    }
}

fn transport(smtp: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, AlertError> {
    let failed = |e: lettre::transport::smtp::Error| AlertError::Email(e.to_string());
    let builder = match smtp.security.as_str() {
        "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
        "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(failed)?,
        _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host).map_err(failed)?,
    };
    let mut builder = builder
        .port(smtp.port)
        .timeout(Some(Duration::from_secs(30)));
    if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(lettre::transport::smtp::authentication::Credentials::new(
            user.clone(),
            password.clone(),
        ));
    }
    Ok(builder.build())
}

/// Builds the message of `items` for `sub`.
pub fn message(
    alerts: &Alerts,
    sub: &Subscription,
    title: &str,
    items: &[Item],
) -> Result<Message, AlertError> {
    let smtp = alerts
        .config
        .alerts
        .smtp
        .as_ref()
        .ok_or_else(|| AlertError::Email("no [alerts.smtp] configured".into()))?;
    let to: Mailbox = sub
        .spec
        .email
        .as_deref()
        .unwrap_or_default()
        .parse()
        .map_err(|e| AlertError::Email(format!("recipient: {e}")))?;
    let from: Mailbox = smtp
        .from
        .parse()
        .map_err(|e| AlertError::Email(format!("alerts.smtp.from: {e}")))?;
    let unsubscribe = format!(
        "{}/api/unsubscribe/{}",
        alerts.public_url(),
        sub.unsubscribe_token
    );
    let render = |e: askama::Error| AlertError::Email(format!("template: {e}"));
    let plain = Plain {
        title,
        items,
        subscription: &sub.id,
        unsubscribe: &unsubscribe,
    }
    .render()
    .map_err(render)?;
    let html = Html {
        title,
        items,
        subscription: &sub.id,
        unsubscribe: &unsubscribe,
    }
    .render()
    .map_err(render)?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(title)
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{unsubscribe}>"),
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".into(),
        ))
        .multipart(MultiPart::alternative_plain_html(plain, html))
        .map_err(|e| AlertError::Email(e.to_string()))
}

async fn deliver(alerts: &Alerts, message: Message) -> Result<(), AlertError> {
    let smtp = alerts
        .config
        .alerts
        .smtp
        .as_ref()
        .ok_or_else(|| AlertError::Email("no [alerts.smtp] configured".into()))?;
    transport(smtp)?
        .send(message)
        .await
        .map_err(|e| AlertError::Email(e.to_string()))?;
    Ok(())
}

/// One delivery as one message (subscriptions without a digest, and `test`).
pub async fn send_one(alerts: &Alerts, sub: &Subscription, due: &Due) -> Attempt {
    let started = Instant::now();
    let items = [item(&due.payload)];
    let title = format!("Crosswalk: {}", items[0].headline);
    let sent = match message(alerts, sub, &title, &items) {
        Ok(m) => deliver(alerts, m).await,
        Err(e) => Err(e),
    };
    match sent {
        // SMTP's "250 OK", logged as the attempt's status.
        Ok(()) => Attempt {
            status: Some(250),
            latency: started.elapsed(),
            error: None,
            retry_after: None,
        },
        Err(e) => Attempt {
            status: None,
            latency: started.elapsed(),
            error: Some(e.to_string()),
            retry_after: None,
        },
    }
}

/// Sends every digest that is due.
pub async fn send_digests(alerts: &Alerts) -> Result<(), AlertError> {
    if alerts.config.alerts.smtp.is_none() {
        return Ok(());
    }
    let now = now_ms();
    for sub in subscription::list(alerts)? {
        let Some(period) = sub.spec.digest.period_ms() else {
            continue;
        };
        if !sub.enabled || sub.spec.channel != Channel::Email {
            continue;
        }
        if sub.last_digest_at.unwrap_or(sub.created_ms) + period <= now {
            send_digest(alerts, &sub.id).await?;
        }
    }
    Ok(())
}

/// Sends `id`'s digest now (whatever its period), if anything is queued for it. Returns how
/// many alerts it carried.
pub async fn send_digest(alerts: &Alerts, id: &str) -> Result<usize, AlertError> {
    let sub = subscription::get(alerts, id)?;
    if sub.spec.channel != Channel::Email {
        return Err(AlertError::Invalid(format!(
            "{id} is not an e-mail subscription"
        )));
    }
    let queued: Vec<(i64, String, u32)> = alerts.db.with(|conn| {
        let mut stmt = conn.prepare(
            "SELECT id, payload, attempts FROM alert_delivery
             WHERE subscription = ?1 AND state = 'digest' ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![id, MAX_DIGEST as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        rows.collect()
    })?;
    let now = now_ms();
    if queued.is_empty() {
        subscription::digest_sent(alerts, id, now)?;
        return Ok(0);
    }
    let items: Vec<Item> = queued.iter().map(|(_, p, _)| item(p)).collect();
    let title = format!(
        "Crosswalk {} digest: {} alert{}",
        match sub.spec.digest {
            subscription::Digest::Weekly => "weekly",
            _ => "daily",
        },
        items.len(),
        if items.len() == 1 { "" } else { "s" }
    );
    let started = Instant::now();
    let sent = match message(alerts, &sub, &title, &items) {
        Ok(m) => deliver(alerts, m).await,
        Err(e) => Err(e),
    };
    let latency = started.elapsed().as_millis() as i64;
    let error = sent.as_ref().err().map(ToString::to_string);
    alerts.db.with(|conn| {
        let tx = conn.transaction()?;
        for (delivery, _, attempts) in &queued {
            tx.execute(
                "INSERT OR REPLACE INTO alert_attempt (delivery, attempt, at, status, latency_ms, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    delivery,
                    attempts + 1,
                    now,
                    error.is_none().then_some(250),
                    latency,
                    error
                ],
            )?;
            if error.is_none() {
                tx.execute(
                    "UPDATE alert_delivery SET state = 'delivered', attempts = ?2, delivered_at = ?3
                     WHERE id = ?1",
                    params![delivery, attempts + 1, now],
                )?;
            } else {
                tx.execute(
                    "UPDATE alert_delivery SET attempts = ?2 WHERE id = ?1",
                    params![delivery, attempts + 1],
                )?;
            }
        }
        tx.commit()
    })?;
    match sent {
        Ok(()) => {
            alerts.metrics.attempt(true);
            subscription::digest_sent(alerts, id, now)?;
            Ok(items.len())
        }
        Err(e) => {
            alerts.metrics.attempt(false);
            // Try again in five minutes rather than on every pass of the dispatcher.
            let period = sub.spec.digest.period_ms().unwrap_or(0);
            subscription::digest_sent(alerts, id, now - period + 300_000)?;
            Err(e)
        }
    }
}
