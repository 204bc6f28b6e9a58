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
        name: &'static str,
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
    pub sparql: SparqlConfig,
    pub search: SearchConfig,
    pub admin: AdminConfig,
    pub crawl: CrawlConfig,
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
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// Bearer token for `/sparql/update` and `/api/admin` routes. None disables them.
    pub token: Option<String>,
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
            sparql: SparqlConfig::default(),
            search: SearchConfig::default(),
            admin: AdminConfig::default(),
            crawl: CrawlConfig::default(),
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
            match key.as_str() {
                "CROSSWALK_DATA_DIR" => self.data_dir = value.into(),
                "CROSSWALK_BIND" => self.bind = parse("CROSSWALK_BIND", &value)?,
                "CROSSWALK_HTTP_THREADS" => {
                    self.http_threads = parse("CROSSWALK_HTTP_THREADS", &value)?
                }
                "CROSSWALK_SEEDS_DIR" => self.seeds_dir = value.into(),
                "CROSSWALK_ONTOLOGY_DIR" => self.ontology_dir = value.into(),
                "CROSSWALK_QUERIES_DIR" => self.queries_dir = value.into(),
                "CROSSWALK_SPARQL_TIMEOUT_SECS" => {
                    self.sparql.timeout_secs = parse("CROSSWALK_SPARQL_TIMEOUT_SECS", &value)?
                }
                "CROSSWALK_SPARQL_MAX_ROWS" => {
                    self.sparql.max_rows = parse("CROSSWALK_SPARQL_MAX_ROWS", &value)?
                }
                "CROSSWALK_SEARCH" => self.search.enabled = parse("CROSSWALK_SEARCH", &value)?,
                "CROSSWALK_ADMIN_TOKEN" => {
                    self.admin.token = Some(value).filter(|token| !token.is_empty())
                }
                "CROSSWALK_CRAWL_ALLOW_PRIVATE" => {
                    self.crawl.allow_private = value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect()
                }
                "CROSSWALK_CRAWL_USER_AGENT" => self.crawl.user_agent = value,
                "CROSSWALK_CRAWL_SCHEDULE" => {
                    self.crawl.schedule = parse("CROSSWALK_CRAWL_SCHEDULE", &value)?
                }
                _ => {}
            }
        }
        self.check()
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.http_threads == 0 {
            return Err(ConfigError::Invalid {
                name: "http_threads",
                value: "0".into(),
                reason: "must be at least 1".into(),
            });
        }
        if self.sparql.timeout_secs == 0 {
            return Err(ConfigError::Invalid {
                name: "sparql.timeout_secs",
                value: "0".into(),
                reason: "must be at least 1".into(),
            });
        }
        if let Some(token) = &self.admin.token
            && token.len() < 16
        {
            return Err(ConfigError::Invalid {
                name: "admin.token",
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
}

fn parse<T: std::str::FromStr>(name: &'static str, value: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e: T::Err| ConfigError::Invalid {
        name,
        value: value.into(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file_values() {
        let mut config: Config =
            toml::from_str("bind = \"127.0.0.1:9000\"\n[sparql]\ntimeout_secs = 3\n").unwrap();
        config
            .apply_env([
                ("CROSSWALK_SPARQL_TIMEOUT_SECS".to_string(), "7".to_string()),
                (
                    "CROSSWALK_CRAWL_ALLOW_PRIVATE".to_string(),
                    "127.0.0.1, 10.0.0.0/8".to_string(),
                ),
                ("CROSSWALK_HTTP_THREADS".to_string(), "3".to_string()),
            ])
            .unwrap();
        assert_eq!(config.http_threads, 3);
        assert_eq!(config.bind.port(), 9000);
        assert_eq!(config.sparql.timeout_secs, 7);
        assert_eq!(config.crawl.allow_private, vec!["127.0.0.1", "10.0.0.0/8"]);
    }

    #[test]
    fn rejects_unknown_keys_and_short_tokens() {
        assert!(toml::from_str::<Config>("bnid = \"x\"").is_err());
        let mut config = Config::default();
        let err = config
            .apply_env([("CROSSWALK_ADMIN_TOKEN".to_string(), "short".to_string())])
            .unwrap_err();
        assert!(err.to_string().contains("at least 16"));
        let err = Config::default()
            .apply_env([("CROSSWALK_HTTP_THREADS".to_string(), "0".to_string())])
            .unwrap_err();
        assert!(err.to_string().contains("http_threads"), "{err}");
    }
}
