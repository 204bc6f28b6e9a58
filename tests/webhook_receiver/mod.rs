//! A webhook receiver on 127.0.0.1 for the alert tests: records every request at
//! `/hook/{name}` and checks its Standard Webhooks signature itself, with the `hmac` crate
//! (independent of the ring code that signs). Each name can be scripted: answers given in turn
//! (a status, a hang, a redirect), then 200.
#![allow(dead_code)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One received request.
#[derive(Debug, Clone)]
pub struct Received {
    pub name: String,
    pub id: String,
    pub timestamp: i64,
    pub attempt: u32,
    pub signature: String,
    pub body: serde_json::Value,
    /// The signature verified against one of the registered secrets.
    pub valid: bool,
    /// Which registered secrets verified (by position).
    pub valid_with: Vec<usize>,
}

#[derive(Debug, Clone)]
pub enum Answer {
    Status(u16),
    /// Never answers (until the sender gives up).
    Hang,
    /// 302 to `/elsewhere`.
    Redirect,
    /// Answers 200 after this long.
    Slow(Duration),
}

#[derive(Clone, Default)]
pub struct Receiver {
    pub base: String,
    received: Arc<Mutex<Vec<Received>>>,
    scripts: Arc<Mutex<HashMap<String, VecDeque<Answer>>>>,
    /// Answer given once a script is used up (default 200).
    fallback: Arc<Mutex<HashMap<String, Answer>>>,
    secrets: Arc<Mutex<HashMap<String, Vec<String>>>>,
    elsewhere: Arc<Mutex<usize>>,
}

impl Receiver {
    /// Starts on the current tokio runtime.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Self {
            base: format!("http://{}", listener.local_addr().unwrap()),
            ..Self::default()
        };
        let app = Router::new()
            .route("/hook/{name}", post(hook))
            .route("/elsewhere", any(elsewhere))
            .with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        receiver
    }

    pub fn url(&self, name: &str) -> String {
        format!("{}/hook/{name}", self.base)
    }

    pub fn script(&self, name: &str, answers: Vec<Answer>) {
        self.scripts
            .lock()
            .unwrap()
            .insert(name.into(), answers.into());
    }

    pub fn always(&self, name: &str, answer: Answer) {
        self.fallback.lock().unwrap().insert(name.into(), answer);
    }

    /// The secrets `name`'s signatures are checked against (newest last).
    pub fn secret(&self, name: &str, secret: &str) {
        self.secrets
            .lock()
            .unwrap()
            .entry(name.into())
            .or_default()
            .push(secret.into());
    }

    pub fn received(&self, name: &str) -> Vec<Received> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.name == name)
            .cloned()
            .collect()
    }

    pub fn elsewhere_hits(&self) -> usize {
        *self.elsewhere.lock().unwrap()
    }
}

/// Standard Webhooks verification: HMAC-SHA256 over `id.timestamp.body` with the key that is
/// the base64 after `whsec_`, compared with each `v1,` entry of the header.
pub fn verify(secret: &str, id: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    let engine = base64::engine::general_purpose::STANDARD;
    let Ok(key) = engine.decode(secret.trim_start_matches("whsec_")) else {
        return false;
    };
    header.split(' ').any(|entry| {
        let Some(sig) = entry.strip_prefix("v1,") else {
            return false;
        };
        let Ok(sig) = engine.decode(sig) else {
            return false;
        };
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&sig).is_ok()
    })
}

async fn hook(
    State(receiver): State<Receiver>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let get = |h: &str| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (id, timestamp, signature) = (
        get("webhook-id"),
        get("webhook-timestamp"),
        get("webhook-signature"),
    );
    let secrets = receiver
        .secrets
        .lock()
        .unwrap()
        .get(&name)
        .cloned()
        .unwrap_or_default();
    let valid_with: Vec<usize> = secrets
        .iter()
        .enumerate()
        .filter(|(_, s)| verify(s, &id, &timestamp, &body, &signature))
        .map(|(i, _)| i)
        .collect();
    receiver.received.lock().unwrap().push(Received {
        name: name.clone(),
        id,
        timestamp: timestamp.parse().unwrap_or(0),
        attempt: get("webhook-attempt").parse().unwrap_or(0),
        signature,
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        valid: !valid_with.is_empty(),
        valid_with,
    });
    let answer = receiver
        .scripts
        .lock()
        .unwrap()
        .get_mut(&name)
        .and_then(VecDeque::pop_front)
        .or_else(|| receiver.fallback.lock().unwrap().get(&name).cloned())
        .unwrap_or(Answer::Status(200));
    match answer {
        Answer::Status(status) => StatusCode::from_u16(status).unwrap().into_response(),
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::OK.into_response()
        }
        Answer::Redirect => (
            StatusCode::FOUND,
            [(header::LOCATION, format!("{}/elsewhere", receiver.base))],
        )
            .into_response(),
        Answer::Slow(pause) => {
            tokio::time::sleep(pause).await;
            StatusCode::OK.into_response()
        }
    }
}

async fn elsewhere(State(receiver): State<Receiver>) -> StatusCode {
    *receiver.elsewhere.lock().unwrap() += 1;
    StatusCode::OK
}
