//! The alert tests' harness: the test catalogue, an in-process server with the fixture site
//! and the webhook receiver on the test's own runtime, `crosswalk serve` as a process, aiosmtpd
//! on loopback, and small helpers.
#![allow(dead_code)]

use super::common::{self, ServeProcess, TestServer, client, free_port};
use super::fixture_web;
use super::webhook_receiver::Receiver;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const TOKEN: &str = "alerts-test-admin-token";
pub const INST: &str = "https://w3id.org/crosswalk/id/instrument/alert-reg";

pub fn page(name: &str) -> Vec<u8> {
    std::fs::read(common::root().join("tests/fixtures/alerts").join(name)).unwrap()
}

/// The test catalogue: two jurisdictions, themes, a role, one instrument with a curated
/// Article 2 and requirements applying `soon_days` and `later_days` from today.
pub fn write_seeds(dir: &Path, soon_days: i64, later_days: i64) -> PathBuf {
    let seeds = dir.join("seeds");
    std::fs::create_dir_all(&seeds).unwrap();
    let today = chrono::Utc::now().date_naive();
    let soon = today + chrono::Duration::days(soon_days);
    let later = today + chrono::Duration::days(later_days);
    std::fs::write(
        seeds.join("alerts.ttl"),
        format!(
            r#"@prefix cw: <https://w3id.org/crosswalk/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix id: <https://w3id.org/crosswalk/id/> .
@prefix jur: <https://w3id.org/crosswalk/id/jurisdiction/> .
@prefix theme: <https://w3id.org/crosswalk/id/theme/> .
@prefix role: <https://w3id.org/crosswalk/id/role/> .
@prefix req: <https://w3id.org/crosswalk/id/requirement/alert-reg/> .
jur:EU a cw:Jurisdiction ; cw:code "EU" .
jur:SG a cw:Jurisdiction ; cw:code "SG" .
theme:record-keeping a cw:Theme .
theme:content-provenance a cw:Theme .
role:provider a cw:Role .
<https://w3id.org/crosswalk/id/status/binding-law> a cw:LegalStatus .
<{INST}> a cw:Instrument ; dcterms:title "Alert test regulation"@en ; cw:jurisdiction jur:EU ;
    cw:legalStatus <https://w3id.org/crosswalk/id/status/binding-law> .
<https://w3id.org/crosswalk/id/provision/alert-reg/art-2> a cw:Provision ; cw:instrument <{INST}> ; cw:ref "Art. 2" .
<https://w3id.org/crosswalk/id/provision/alert-reg/art-9> a cw:Provision ; cw:instrument <{INST}> ; cw:ref "Art. 9" .
req:soon a cw:Requirement ; cw:instrument <{INST}> ; cw:jurisdiction jur:EU ;
    cw:provision <https://w3id.org/crosswalk/id/provision/alert-reg/art-2> ; cw:theme theme:record-keeping ;
    cw:addressee role:provider ; cw:appliesFrom "{soon}"^^xsd:date .
req:later a cw:Requirement ; cw:instrument <{INST}> ; cw:jurisdiction jur:EU ;
    cw:provision <https://w3id.org/crosswalk/id/provision/alert-reg/art-9> ; cw:theme theme:record-keeping ;
    cw:addressee role:provider ; cw:appliesFrom "{later}"^^xsd:date .
"#
        ),
    )
    .unwrap();
    seeds
}

/// The test's own runtime (fixture site, receiver), an in-process server and helpers.
pub struct Env {
    pub _rt: tokio::runtime::Runtime,
    pub site: fixture_web::Site,
    pub site_base: String,
    pub receiver: Receiver,
    pub server: TestServer,
    pub _seeds: tempfile::TempDir,
}

pub fn env_with(configure: impl FnOnce(&mut crosswalk::config::Config)) -> Env {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (site_base, site) = rt.block_on(fixture_web::start());
    let receiver = rt.block_on(Receiver::start());
    let seeds = tempfile::tempdir().unwrap();
    let seeds_dir = write_seeds(seeds.path(), 10, 200);
    let server = TestServer::start(|config| {
        config.seeds_dir = seeds_dir;
        config.admin.token = Some(TOKEN.into());
        config.crawl.allow_private = vec!["127.0.0.1".into()];
        config.crawl.min_host_interval_ms = 0;
        config.crawl.total_timeout_secs = 5;
        config.alerts.allow_private = vec!["127.0.0.1".into()];
        config.alerts.timeout_secs = 2;
        config.alerts.connect_timeout_secs = 2;
        config.alerts.retry_schedule_secs = vec![1; 6];
        configure(config);
    });
    Env {
        _rt: rt,
        site,
        site_base,
        receiver,
        server,
        _seeds: seeds,
    }
}

pub fn env() -> Env {
    env_with(|_| {})
}

/// An admin request; returns status and body (JSON, or the text as a JSON string).
pub fn admin(base: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{base}{path}");
    let c = client();
    let request = match method {
        "GET" => c.get(url),
        "POST" => c.post(url),
        "PATCH" => c.patch(url),
        "DELETE" => c.delete(url),
        _ => unreachable!(),
    }
    .bearer_auth(TOKEN);
    let request = match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(body.to_string()),
        None => request,
    };
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    let text = response.text().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

impl Env {
    pub fn admin(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        admin(&self.server.base, method, path, body)
    }

    /// Creates a subscription (asserting 201) and tells the receiver its secret.
    pub fn subscribe(&self, hook: &str, mut body: Value) -> String {
        if let Some(map) = body.as_object_mut()
            && !map.contains_key("channel")
        {
            map.insert("channel".into(), "webhook".into());
            map.insert("url".into(), self.receiver.url(hook).into());
        }
        let (status, created) = self.admin("POST", "/api/subscriptions", Some(body));
        assert_eq!(status, 201, "{created}");
        let secret = created["secret"].as_str().unwrap();
        assert!(secret.starts_with("whsec_"), "{created}");
        self.receiver.secret(hook, secret);
        created["id"].as_str().unwrap().to_owned()
    }

    pub fn add_source(&self) {
        let (status, body) = self.admin(
            "POST",
            "/api/sources",
            Some(json!({
                "url": format!("{}/page", self.site_base),
                "jurisdiction": "EU",
                "instrument": INST,
                "format": "html",
                "id": "alert-reg",
                "language": "en",
            })),
        );
        assert_eq!(status, 201, "{body}");
    }

    pub fn crawl(&self) -> String {
        self.crawl_source("alert-reg")
    }

    /// Crawls source `id` now; returns its outcome.
    pub fn crawl_source(&self, id: &str) -> String {
        let (status, body) = self.admin("POST", "/api/crawl", Some(json!({"source": id})));
        assert_eq!(status, 200, "{body}");
        body["reports"][0]["outcome"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until the outbox reflects the graph's current revision (`/healthz`), so what it
    /// queues for the last write is in the delivery log: a point to assert that nothing was.
    pub fn settled(&self) {
        wait_for("the outbox to reach the graph's revision", || {
            let health: Value = client()
                .get(self.server.url("/healthz"))
                .send()
                .unwrap()
                .json()
                .unwrap();
            health["consumers"]["alerts"].as_u64() == health["graph_revision"].as_u64()
        });
    }

    pub fn deliveries(&self, id: &str) -> Vec<Value> {
        let (status, body) =
            self.admin("GET", &format!("/api/subscriptions/{id}/deliveries"), None);
        assert_eq!(status, 200, "{body}");
        body["deliveries"].as_array().unwrap().clone()
    }

    pub fn update(&self, update: &str) {
        let response = client()
            .post(self.server.url("/sparql/update"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/sparql-update")
            .body(update.to_owned())
            .send()
            .unwrap();
        assert!(
            response.status().is_success(),
            "{}",
            response.text().unwrap()
        );
    }
}

/// Waits (up to two minutes) until `check` holds; panics with `what` otherwise.
pub fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// aiosmtpd on loopback, saving messages into a Maildir.
pub struct Smtp {
    pub child: std::process::Child,
    pub port: u16,
    pub maildir: tempfile::TempDir,
}

impl Smtp {
    pub fn start() -> Self {
        let port = free_port();
        let maildir = tempfile::tempdir().unwrap();
        let child = std::process::Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("mail"))
            .spawn()
            .expect("python3 with aiosmtpd (.ci/run installs it)");
        wait_for("the SMTP server", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Self {
            child,
            port,
            maildir,
        }
    }

    /// The relay settings that send to this server (plain SMTP on loopback).
    pub fn config(&self) -> crosswalk::config::SmtpConfig {
        crosswalk::config::SmtpConfig {
            host: "127.0.0.1".into(),
            port: self.port,
            security: "none".into(),
            from: "alerts@crosswalk.test".into(),
            ..Default::default()
        }
    }

    pub fn messages(&self) -> Vec<String> {
        let dir = self.maildir.path().join("mail/new");
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect()
    }
}

/// One message from the mailbox, decoded by Python's `email` package (independent of lettre).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Mail {
    /// Header name → value (unfolded, decoded).
    pub headers: std::collections::BTreeMap<String, String>,
    pub content_type: String,
    /// The leaf parts: content type and decoded text.
    pub parts: Vec<(String, String)>,
}

impl Mail {
    pub fn part(&self, content_type: &str) -> Option<&str> {
        self.parts
            .iter()
            .find(|(t, _)| t == content_type)
            .map(|(_, text)| text.as_str())
    }
}

const PARSE_MAILDIR: &str = r#"
import email, email.policy, json, mailbox, sys
out = []
for key, message in sorted(mailbox.Maildir(sys.argv[1], create=False).items()):
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    out.append({
        "headers": {k: str(v) for k, v in parsed.items()},
        "content_type": parsed.get_content_type(),
        "parts": [[p.get_content_type(), p.get_content()] for p in parsed.walk()
                  if not p.is_multipart()],
    })
print(json.dumps(out))
"#;

impl Smtp {
    /// Every message received, decoded (MIME parts, transfer encodings, folded headers).
    pub fn mails(&self) -> Vec<Mail> {
        if self.messages().is_empty() {
            return Vec::new();
        }
        let output = std::process::Command::new("python3")
            .args(["-c", PARSE_MAILDIR])
            .arg(self.maildir.path().join("mail"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `crosswalk serve` as a process over `data`, with the test catalogue and the receiver allowed.
pub fn serve(dir: &Path, seeds: &Path, port: u16) -> ServeProcess {
    serve_with_env(dir, seeds, port, &[])
}

/// [`serve`] with extra environment variables.
pub fn serve_with_env(dir: &Path, seeds: &Path, port: u16, env: &[(&str, &str)]) -> ServeProcess {
    let config = serve_config(dir, seeds, port);
    ServeProcess::start_with_env(&config, &dir.join("data"), port, env)
}

/// Writes `<dir>/serve.toml`: the test catalogue, the admin token, the receiver allowed, no
/// schedule; for `crosswalk serve` on `port` and the other commands over `<dir>/data`.
pub fn serve_config(dir: &Path, seeds: &Path, port: u16) -> PathBuf {
    let config = dir.join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "seeds_dir = {seeds:?}\nbind = \"127.0.0.1:{port}\"\n\
             [admin]\ntoken = \"{TOKEN}\"\n\
             [search]\nenabled = false\n\
             [crawl]\nallow_private = [\"127.0.0.1\"]\nmin_host_interval_ms = 0\nschedule = false\n\
             [alerts]\nallow_private = [\"127.0.0.1\"]\nretry_schedule_secs = [1, 1, 1, 1, 1, 1]\ntimeout_secs = 10\n"
        ),
    )
    .unwrap();
    config
}
