//! Webhooks per Standard Webhooks v1: the versioned payload ([`payload`]), the signature over
//! `id.timestamp.body` ([`sign`], HMAC-SHA256 with ring), and one attempt ([`send`]): the URL
//! passes the SSRF guard on every attempt and the connection is pinned to the addresses it
//! approved; redirects are not followed; connect and total time and the answer's size are
//! bounded.

use super::AlertError;
use super::events::Event;
use crate::config::AlertsConfig;
use crate::fetch::guard::{self, AllowList};
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The payload envelope's version, sent as `"version"` beside type, timestamp and data.
pub const VERSION: &str = "1";

/// `{"type", "timestamp", "version", "data"}` as the bytes that are signed and sent.
pub fn payload(event_type: &str, timestamp: &str, data: Value) -> String {
    json!({
        "type": event_type,
        "timestamp": timestamp,
        "version": VERSION,
        "data": data,
    })
    .to_string()
}

/// The `data` of a `change.detected` message: the matching events of one fetch, each with its
/// id, sequence number, kind, provisions, obligations, summary and link, and their union.
pub fn change_data(events: &[&Event], public_url: &str) -> Value {
    let link = |e: &Event| format!("{public_url}/api/changes/{}", e.id);
    let union = |f: fn(&Event) -> &Vec<String>| {
        let mut all: Vec<&String> = events.iter().flat_map(|e| f(e)).collect();
        all.sort();
        all.dedup();
        all
    };
    let Some(first) = events.first() else {
        return json!({});
    };
    let mut kinds: Vec<&str> = events
        .iter()
        .flat_map(|e| std::iter::once(&e.kind).chain(&e.kinds))
        .map(String::as_str)
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    json!({
        "event_id": first.id,
        "sequence": events.iter().map(|e| e.sequence).max(),
        "kinds": kinds,
        "material": events.iter().any(|e| e.material),
        "detected_at": first.at,
        "jurisdictions": union(|e| &e.jurisdictions),
        "instrument": first.instrument,
        "source": first.source,
        "themes": union(|e| &e.themes),
        "roles": union(|e| &e.roles),
        "provisions": union(|e| &e.provisions),
        "obligations": union(|e| &e.obligations),
        "summary": events.iter().map(|e| e.summary.as_str()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join("; "),
        "word_summary": events.iter().filter_map(|e| e.word_summary.as_deref()).collect::<Vec<_>>().join("; "),
        "link": link(first),
        "changes": events.iter().map(|e| json!({
            "event_id": e.id,
            "event": e.iri,
            "sequence": e.sequence,
            "kind": e.kind,
            "material": e.material,
            "provisions": e.provisions,
            "obligations": e.obligations,
            "summary": e.summary,
            "word_summary": e.word_summary,
            "link": link(e),
        })).collect::<Vec<_>>(),
    })
}

/// `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>` for each key, space-separated.
pub fn sign(keys: &[Vec<u8>], msg_id: &str, timestamp: i64, body: &str) -> String {
    let content = format!("{msg_id}.{timestamp}.{body}");
    keys.iter()
        .map(|key| {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
            let tag = ring::hmac::sign(&key, content.as_bytes());
            format!(
                "v1,{}",
                base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks a webhook URL now (at create): scheme and every address it resolves to.
pub async fn check_url(url: &str, allow: &AllowList) -> Result<(), AlertError> {
    let parsed = url::Url::parse(url).map_err(|e| AlertError::Invalid(format!("url: {e}")))?;
    guard::resolve(&parsed, allow)
        .await
        .map_err(|e| AlertError::Invalid(format!("url {url:?} refused: {e}")))?;
    Ok(())
}

/// What one attempt came to.
#[derive(Debug, Clone, Default)]
pub struct Attempt {
    pub status: Option<u16>,
    pub latency: Duration,
    pub error: Option<String>,
    /// The receiver's `Retry-After`, when it gave one.
    pub retry_after: Option<Duration>,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// One POST of `body` to `url`, signed with `keys`. Never panics, never follows a redirect.
pub async fn send(
    config: &AlertsConfig,
    allow: &AllowList,
    url: &str,
    msg_id: &str,
    attempt: u32,
    keys: &[Vec<u8>],
    body: &str,
) -> Attempt {
    // reqwest is built without a default TLS provider (as the fetcher, install ring's).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let started = Instant::now();
    let failed = |error: String| Attempt {
        status: None,
        latency: started.elapsed(),
        error: Some(error),
        retry_after: None,
    };
    let parsed = match url::Url::parse(url) {
        Ok(u) => u,
        Err(e) => return failed(format!("url: {e}")),
    };
    let (host, addrs) = match guard::resolve(&parsed, allow).await {
        Ok(found) => found,
        Err(e) => return failed(format!("refused: {e}")),
    };
    let client = match client(config, &host, addrs) {
        Ok(c) => c,
        Err(e) => return failed(format!("HTTP client: {e}")),
    };
    let timestamp = chrono::Utc::now().timestamp();
    let request = client
        .post(parsed)
        .header("content-type", "application/json")
        .header("webhook-id", msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", sign(keys, msg_id, timestamp, body))
        .header("webhook-attempt", attempt.to_string())
        .body(body.to_owned());
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) => return failed(describe(&e)),
    };
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    // Read (and drop) at most the configured bytes of the answer, within the total timeout.
    let mut read = 0usize;
    let mut error = None;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                read += chunk.len();
                if read > config.max_response_bytes {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                error = Some(describe(&e));
                break;
            }
        }
    }
    let mut outcome = Attempt {
        status: Some(status),
        latency: started.elapsed(),
        error,
        retry_after,
    };
    if !outcome.succeeded() && outcome.error.is_none() {
        outcome.error = Some(if (300..400).contains(&status) {
            format!("HTTP {status}: redirects are not followed")
        } else {
            format!("HTTP {status}")
        });
    }
    outcome
}

/// A client pinned to `addrs` for `host`, kept for the next attempt to the same addresses:
/// building one loads the TLS roots, most of an attempt's cost on loopback. At most 256 kept.
fn client(
    config: &AlertsConfig,
    host: &str,
    addrs: Vec<std::net::SocketAddr>,
) -> Result<reqwest::Client, reqwest::Error> {
    type Key = (String, Vec<std::net::SocketAddr>, u64, u64);
    static CLIENTS: std::sync::OnceLock<std::sync::Mutex<HashMap<Key, reqwest::Client>>> =
        std::sync::OnceLock::new();
    let key: Key = (
        host.to_owned(),
        addrs,
        config.connect_timeout_secs,
        config.timeout_secs,
    );
    let clients = CLIENTS.get_or_init(Default::default);
    if let Some(client) = clients.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(client.clone());
    }
    let client = reqwest::Client::builder()
        .user_agent(concat!("Crosswalk-Webhooks/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never())
        .no_proxy()
        .connect_timeout(Duration::from_secs(config.connect_timeout_secs))
        .timeout(Duration::from_secs(config.timeout_secs))
        .resolve_to_addrs(&key.0, &key.1)
        .build()?;
    let mut clients = clients.lock().unwrap_or_else(|e| e.into_inner());
    if clients.len() >= 256 {
        clients.clear();
    }
    clients.insert(key, client.clone());
    Ok(client)
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        format!("cannot connect: {error}")
    } else {
        error.to_string()
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let secs = (date.timestamp() - chrono::Utc::now().timestamp()).max(0);
    Some(Duration::from_secs(secs as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification's reference libraries.
        let key = super::super::subscription::secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let body = r#"{"test": 2432232314}"#;
        let sig = sign(&[key], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn retry_after_as_seconds_or_date() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
