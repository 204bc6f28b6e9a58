//! Configuration: defaults, then a TOML file, then `CROSSWALK_*` environment variables, then flags.
//!
//! Secrets (the admin token) live here and in the ops database only, never in the RDF store.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("invalid value {value:?} for {name}: {reason}")]
    Invalid {
        name: String,
        value: String,
        reason: String,
    },
}

/// The whole configuration. Field names are the TOML keys; see README "Configuration".
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the graph, index, snapshots and ops database live.
    pub data_dir: PathBuf,
    /// Address the HTTP service listens on.
    pub bind: SocketAddr,
    /// Threads answering HTTP requests, each an event loop of its own; default four per core
    /// (see `server::threads` for why more than one per core).
    pub http_threads: usize,
    /// Curated Turtle loaded at start, one named graph per file.
    pub seeds_dir: PathBuf,
    /// Ontology and SHACL shapes, loaded like seeds.
    pub ontology_dir: PathBuf,
    /// Saved queries (`*.rq`) and constraint checks (`checks/*.rq`).
    pub queries_dir: PathBuf,
    pub http: HttpConfig,
    pub sparql: SparqlConfig,
    pub search: SearchConfig,
    pub admin: AdminConfig,
    pub crawl: CrawlConfig,
    pub retention: RetentionConfig,
    pub backup: BackupConfig,
    pub alerts: AlertsConfig,
}

/// Limits every HTTP connection and request is held to (README "Running in production").
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// A request's head (request line and headers) must have arrived this long after the server
    /// started waiting for it: on a new connection, or after the previous response.
    pub header_read_timeout_secs: u64,
    /// An idle keep-alive connection (no request in flight, nothing sent) is closed after this
    /// long. At most `header_read_timeout_secs`, which bounds the wait for a head anyway.
    pub keep_alive_timeout_secs: u64,
    /// A response write that makes no progress for this long (a client that stopped reading)
    /// closes the connection; a request body that does not arrive in this long is refused.
    pub write_timeout_secs: u64,
    /// Largest request head in bytes (request line and headers); larger ones get 431.
    pub max_header_bytes: usize,
    /// Largest JSON body the admin routes accept; larger ones get 413. The SPARQL routes
    /// accept what `sparql.max_query_bytes` allows, URL-encoded.
    pub max_json_bytes: usize,
    /// Connections served at once; one more is answered 503 and closed.
    pub max_connections: usize,
    /// On SIGTERM or Ctrl-C, requests in flight get this long to finish before their connections
    /// are closed and running evaluations killed.
    pub shutdown_grace_secs: u64,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names the client for
    /// the per-client query limits. Empty: the peer address is the client.
    pub trusted_proxies: Vec<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            header_read_timeout_secs: 10,
            keep_alive_timeout_secs: 5,
            write_timeout_secs: 30,
            max_header_bytes: 64 * 1024,
            max_json_bytes: 64 * 1024,
            max_connections: 512,
            shutdown_grace_secs: 10,
            trusted_proxies: Vec::new(),
        }
    }
}

impl HttpConfig {
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }

    pub fn keep_alive_timeout(&self) -> Duration {
        Duration::from_secs(self.keep_alive_timeout_secs)
    }

    pub fn write_timeout(&self) -> Duration {
        Duration::from_secs(self.write_timeout_secs)
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

/// How long crawl history is kept (README "Retention").
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Run the retention job inside `crosswalk serve` on `schedule`.
    pub enabled: bool,
    /// Six-field cron expression (UTC) of the retention job.
    pub schedule: String,
    /// Fetch records of each source that changed nothing (unchanged or failed) kept besides
    /// the newest ones; every fetch that produced a change event is kept for ever.
    pub keep_unchanged: usize,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            schedule: "0 30 3 * * *".into(),
            keep_unchanged: 30,
        }
    }
}

/// Alert delivery: subscriptions' webhooks, e-mail and private feeds (README "Alerts").
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertsConfig {
    /// Keep the outbox on the change feed and deliver inside `crosswalk serve`.
    pub enabled: bool,
    /// Hosts or CIDR ranges webhooks may be sent to although private or loopback.
    pub allow_private: Vec<String>,
    /// The service's public base URL, for links in payloads, feeds and e-mail
    /// (default: `http://<bind>`).
    pub public_url: Option<String>,
    pub connect_timeout_secs: u64,
    /// A webhook attempt (connect, send, answer) taking longer fails.
    pub timeout_secs: u64,
    /// Bytes of a receiver's answer read (and kept in the log) at most.
    pub max_response_bytes: usize,
    /// Webhook attempts in flight at once, over all endpoints.
    pub concurrency: usize,
    /// Attempts in flight at once per endpoint (subscription).
    pub per_endpoint: usize,
    /// Pause before each retry, in seconds (the first attempt is immediate); jittered by ±20 %.
    /// After the last one the delivery is given up (`failed`).
    pub retry_schedule_secs: Vec<u64>,
    /// A receiver's `Retry-After` is honoured up to this many seconds.
    pub max_retry_after_secs: u64,
    /// After a secret rotation, the previous secret also signs for this long.
    pub rotation_overlap_secs: u64,
    /// Consecutive failed fetches of a source that raise a `source.health` event.
    pub health_failures: u32,
    /// Rows a standing query may return; more fail the evaluation (logged, nothing delivered).
    pub standing_max_rows: usize,
    /// SMTP relay for e-mail subscriptions; e-mail is refused without it.
    pub smtp: Option<SmtpConfig>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            allow_private: Vec::new(),
            public_url: None,
            connect_timeout_secs: 5,
            timeout_secs: 15,
            max_response_bytes: 16 * 1024,
            concurrency: 16,
            per_endpoint: 1,
            // Standard Webhooks' example: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
            retry_schedule_secs: vec![5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400],
            max_retry_after_secs: 86400,
            rotation_overlap_secs: 86400,
            health_failures: 3,
            standing_max_rows: 10_000,
            smtp: None,
        }
    }
}

/// An SMTP relay (`[alerts.smtp]`). The password lives here only.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// `none` (plain, for a relay on loopback), `starttls` or `tls`.
    pub security: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The From address of every alert.
    pub from: String,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: "localhost".into(),
            port: 587,
            security: "starttls".into(),
            username: None,
            password: None,
            from: "crosswalk@localhost".into(),
        }
    }
}

/// Never prints the password.
impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "(hidden)"))
            .field("from", &self.from)
            .finish()
    }
}

/// Where `POST /api/admin/backup` writes.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupConfig {
    /// Directory the online backups of the admin API go into, one timestamped directory each;
    /// relative paths are relative to the data directory.
    pub dir: PathBuf,
}

impl Default for BackupConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("backups"),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// Keep the full-text index at `<data>/index` (`/api/search`, `SERVICE cw:search`). Off, the
    /// service is a SPARQL endpoint only and keeps no index.
    pub enabled: bool,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SparqlConfig {
    /// A query still running after this many seconds is cancelled.
    pub timeout_secs: u64,
    /// At most this many solutions (or triples) are returned; the rest is cut off.
    pub max_rows: usize,
    /// Larger query texts are refused with 413.
    pub max_query_bytes: usize,
    /// Queries evaluated at once; more wait (up to the timeout) for a slot.
    pub max_concurrent: usize,
    /// Evaluations one client (address) may run at once; its further queries wait behind other
    /// clients' (up to the timeout). Evaluations past their deadline still count here, though
    /// no longer against `max_concurrent`.
    pub max_per_client: usize,
    /// Queries one client may have waiting for a slot; more are answered 429 at once.
    pub max_queued_per_client: usize,
    /// Evaluate queries in worker processes that are killed at the time limit (with an on-disk
    /// store). Off, they run on threads of the server, which Oxigraph stops only when it next
    /// reads storage: an in-memory cross product then runs past its deadline.
    pub isolate: bool,
    /// Address-space limit of each worker process, in MiB.
    pub worker_memory_mb: u64,
    /// With workers: a query whose evaluation in a worker took at most this much CPU time runs
    /// on a server thread the next times, until the graph changes (it saves the round trip
    /// to the worker). 0 sends every query to a worker.
    pub quick_cpu_ms: u64,
}

#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// Bearer token for `/sparql/update` and the admin routes. None disables them.
    pub token: Option<String>,
    /// A file holding the token (its first line), read at start; instead of `token`.
    pub token_file: Option<PathBuf>,
}

/// Never prints the token, so logging a configuration cannot leak it.
impl std::fmt::Debug for AdminConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminConfig")
            .field("token", &self.token.as_ref().map(|_| "(hidden)"))
            .field("token_file", &self.token_file)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrawlConfig {
    /// Sent with every request; should name a contact.
    pub user_agent: String,
    /// Hosts or CIDR ranges that may be fetched although private or loopback.
    pub allow_private: Vec<String>,
    /// Largest response body accepted, counted after decompression.
    pub max_body_bytes: u64,
    pub connect_timeout_secs: u64,
    pub total_timeout_secs: u64,
    /// Minimum pause between two requests to the same host (raised by robots.txt Crawl-delay).
    pub min_host_interval_ms: u64,
    /// Attempts for transient failures (network errors, 5xx, 429) before giving up.
    pub max_attempts: u32,
    /// Run each enabled source on its cron schedule inside `crosswalk serve`.
    pub schedule: bool,
    /// Consecutive 404/410 answers after which a source is reported removed (`source-removed`).
    pub removed_after: u32,
    /// Fetch without validators when the last such fetch is older than this (hours; 0 = every
    /// time), so a server wrongly answering 304 cannot hide a change.
    pub unconditional_every_hours: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            bind: SocketAddr::from(([127, 0, 0, 1], 7878)),
            http_threads: 4 * std::thread::available_parallelism().map_or(1, usize::from),
            seeds_dir: project_dir("seeds"),
            ontology_dir: project_dir("ontology"),
            queries_dir: project_dir("queries"),
            http: HttpConfig::default(),
            sparql: SparqlConfig::default(),
            search: SearchConfig::default(),
            admin: AdminConfig::default(),
            crawl: CrawlConfig::default(),
            retention: RetentionConfig::default(),
            backup: BackupConfig::default(),
            alerts: AlertsConfig::default(),
        }
    }
}

impl Default for SparqlConfig {
    fn default() -> Self {
        Self {
            timeout_secs: 10,
            max_rows: 100_000,
            max_query_bytes: 256 * 1024,
            max_concurrent: 16,
            max_per_client: 8,
            max_queued_per_client: 32,
            isolate: true,
            worker_memory_mb: 2048,
            quick_cpu_ms: 10,
        }
    }
}

impl Default for CrawlConfig {
    fn default() -> Self {
        Self {
            user_agent: concat!(
                "CrosswalkBot/",
                env!("CARGO_PKG_VERSION"),
                " (AI-governance regulatory tracker; contact: crosswalk-operators@example.org)"
            )
            .into(),
            allow_private: Vec::new(),
            max_body_bytes: 20 * 1024 * 1024,
            connect_timeout_secs: 10,
            total_timeout_secs: 60,
            min_host_interval_ms: 2_000,
            max_attempts: 4,
            removed_after: 2,
            unconditional_every_hours: 7 * 24,
            schedule: true,
        }
    }
}

/// `./name` when it exists (running from a checkout), else the copy next to the sources this
/// binary was built from, so `cargo run` and the tests work from any directory.
fn project_dir(name: &str) -> PathBuf {
    let local = PathBuf::from(name);
    if local.is_dir() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
    }
}

impl Config {
    /// Defaults, overlaid by the file (if any), then by the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.into(),
                    source,
                })?;
                toml::from_str(&text).map_err(|source| ConfigError::Parse {
                    path: path.into(),
                    source,
                })?
            }
            None => Self::default(),
        };
        config.apply_env(std::env::vars())?;
        Ok(config)
    }

    /// Applies `CROSSWALK_*` variables; unknown ones are ignored so other tools can share the prefix.
    pub fn apply_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        for (key, value) in vars {
            let name = key.as_str();
            match name {
                "CROSSWALK_DATA_DIR" => self.data_dir = value.into(),
                "CROSSWALK_BIND" => self.bind = parse(name, &value)?,
                "CROSSWALK_HTTP_THREADS" => self.http_threads = parse(name, &value)?,
                "CROSSWALK_SEEDS_DIR" => self.seeds_dir = value.into(),
                "CROSSWALK_ONTOLOGY_DIR" => self.ontology_dir = value.into(),
                "CROSSWALK_QUERIES_DIR" => self.queries_dir = value.into(),
                "CROSSWALK_HTTP_HEADER_READ_TIMEOUT_SECS" => {
                    self.http.header_read_timeout_secs = parse(name, &value)?
                }
                "CROSSWALK_HTTP_KEEP_ALIVE_TIMEOUT_SECS" => {
                    self.http.keep_alive_timeout_secs = parse(name, &value)?
                }
                "CROSSWALK_HTTP_WRITE_TIMEOUT_SECS" => {
                    self.http.write_timeout_secs = parse(name, &value)?
                }
                "CROSSWALK_HTTP_MAX_HEADER_BYTES" => {
                    self.http.max_header_bytes = parse(name, &value)?
                }
                "CROSSWALK_HTTP_MAX_JSON_BYTES" => self.http.max_json_bytes = parse(name, &value)?,
                "CROSSWALK_HTTP_MAX_CONNECTIONS" => {
                    self.http.max_connections = parse(name, &value)?
                }
                "CROSSWALK_HTTP_SHUTDOWN_GRACE_SECS" => {
                    self.http.shutdown_grace_secs = parse(name, &value)?
                }
                "CROSSWALK_HTTP_TRUSTED_PROXIES" => self.http.trusted_proxies = list(&value),
                "CROSSWALK_SPARQL_TIMEOUT_SECS" => self.sparql.timeout_secs = parse(name, &value)?,
                "CROSSWALK_SPARQL_MAX_ROWS" => self.sparql.max_rows = parse(name, &value)?,
                "CROSSWALK_SPARQL_MAX_CONCURRENT" => {
                    self.sparql.max_concurrent = parse(name, &value)?
                }
                "CROSSWALK_SPARQL_MAX_PER_CLIENT" => {
                    self.sparql.max_per_client = parse(name, &value)?
                }
                "CROSSWALK_SPARQL_ISOLATE" => self.sparql.isolate = parse(name, &value)?,
                "CROSSWALK_SPARQL_QUICK_CPU_MS" => self.sparql.quick_cpu_ms = parse(name, &value)?,
                "CROSSWALK_SEARCH" => self.search.enabled = parse(name, &value)?,
                "CROSSWALK_ADMIN_TOKEN" => {
                    self.admin.token = Some(value).filter(|token| !token.is_empty())
                }
                "CROSSWALK_ADMIN_TOKEN_FILE" => {
                    self.admin.token_file =
                        Some(PathBuf::from(value)).filter(|p| !p.as_os_str().is_empty())
                }
                "CROSSWALK_CRAWL_ALLOW_PRIVATE" => self.crawl.allow_private = list(&value),
                "CROSSWALK_CRAWL_USER_AGENT" => self.crawl.user_agent = value,
                "CROSSWALK_CRAWL_SCHEDULE" => self.crawl.schedule = parse(name, &value)?,
                "CROSSWALK_RETENTION" => self.retention.enabled = parse(name, &value)?,
                "CROSSWALK_RETENTION_KEEP_UNCHANGED" => {
                    self.retention.keep_unchanged = parse(name, &value)?
                }
                "CROSSWALK_BACKUP_DIR" => self.backup.dir = value.into(),
                "CROSSWALK_ALERTS" => self.alerts.enabled = parse(name, &value)?,
                "CROSSWALK_ALERTS_ALLOW_PRIVATE" => self.alerts.allow_private = list(&value),
                "CROSSWALK_ALERTS_PUBLIC_URL" => {
                    self.alerts.public_url = Some(value).filter(|v| !v.is_empty())
                }
                _ => {}
            }
        }
        self.read_token_file()?;
        self.check()
    }

    /// Replaces `admin.token_file` by the token it holds (its first line, trimmed), so the rest
    /// of the program sees one place. Giving both a token and a file is refused.
    fn read_token_file(&mut self) -> Result<(), ConfigError> {
        let Some(path) = self.admin.token_file.take() else {
            return Ok(());
        };
        if self.admin.token.is_some() {
            return Err(ConfigError::Invalid {
                name: "admin.token_file".into(),
                value: path.display().to_string(),
                reason: "give either a token or a token file, not both".into(),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let token = text.lines().next().unwrap_or("").trim().to_owned();
        if token.is_empty() {
            return Err(ConfigError::Invalid {
                name: "admin.token_file".into(),
                value: path.display().to_string(),
                reason: "the file is empty".into(),
            });
        }
        self.admin.token = Some(token);
        Ok(())
    }

    fn check(&self) -> Result<(), ConfigError> {
        let at_least_one = |name: &'static str, value: u64| {
            if value == 0 {
                Err(ConfigError::Invalid {
                    name: name.into(),
                    value: "0".into(),
                    reason: "must be at least 1".into(),
                })
            } else {
                Ok(())
            }
        };
        at_least_one("http_threads", self.http_threads as u64)?;
        at_least_one("sparql.timeout_secs", self.sparql.timeout_secs)?;
        at_least_one("sparql.max_concurrent", self.sparql.max_concurrent as u64)?;
        at_least_one("sparql.max_per_client", self.sparql.max_per_client as u64)?;
        at_least_one(
            "http.header_read_timeout_secs",
            self.http.header_read_timeout_secs,
        )?;
        at_least_one(
            "http.keep_alive_timeout_secs",
            self.http.keep_alive_timeout_secs,
        )?;
        at_least_one("http.write_timeout_secs", self.http.write_timeout_secs)?;
        at_least_one("http.max_connections", self.http.max_connections as u64)?;
        at_least_one("alerts.timeout_secs", self.alerts.timeout_secs)?;
        at_least_one("alerts.concurrency", self.alerts.concurrency as u64)?;
        at_least_one("alerts.per_endpoint", self.alerts.per_endpoint as u64)?;
        // hyper's own floor for its read buffer.
        if self.http.max_header_bytes < 8192 {
            return Err(ConfigError::Invalid {
                name: "http.max_header_bytes".into(),
                value: self.http.max_header_bytes.to_string(),
                reason: "must be at least 8192".into(),
            });
        }
        for proxy in &self.http.trusted_proxies {
            if parse_net(proxy).is_none() {
                return Err(ConfigError::Invalid {
                    name: "http.trusted_proxies".into(),
                    value: proxy.clone(),
                    reason: "expected an IP address or a CIDR range".into(),
                });
            }
        }
        if let Some(token) = &self.admin.token
            && token.len() < 16
        {
            return Err(ConfigError::Invalid {
                name: "admin.token".into(),
                value: "(hidden)".into(),
                reason: "must be at least 16 characters".into(),
            });
        }
        Ok(())
    }

    pub fn query_timeout(&self) -> Duration {
        Duration::from_secs(self.sparql.timeout_secs)
    }

    pub fn graph_dir(&self) -> PathBuf {
        self.data_dir.join("graph")
    }

    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    /// Where the admin API's backups go: `backup.dir`, relative to the data directory.
    pub fn backup_dir(&self) -> PathBuf {
        self.data_dir.join(&self.backup.dir)
    }
}

/// A comma-separated list, blanks dropped.
fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// An address (`10.1.2.3`, `::1`) or a CIDR range (`10.0.0.0/8`) as a network.
pub fn parse_net(text: &str) -> Option<ipnet::IpNet> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>().ok().or_else(|| {
        text.parse::<std::net::IpAddr>()
            .ok()
            .map(ipnet::IpNet::from)
    })
}

fn parse<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e: T::Err| ConfigError::Invalid {
        name: name.into(),
        value: value.into(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests;
