//! robots.txt per RFC 9309: fetched per origin, cached in the ops database for at most 24 h,
//! 4xx = allow all, 5xx or unreachable = disallow all (keeping a previous good copy for up to 30
//! days), 429 = try again later. Parsing and longest-match rules come from texting_robots.

use super::{FetchError, Fetcher, Request};
use crate::opsdb::{OpsDb, OpsError};
use rusqlite::{OptionalExtension, params};
use std::time::Duration;
use texting_robots::Robot;
use url::Url;

/// RFC 9309 §2.5: parse at least 500 KiB; we read no more.
const ROBOTS_CAP: u64 = 500 * 1024;
/// RFC 9309 §2.4: a cached copy SHOULD NOT be used for more than 24 h.
const TTL_SECS: i64 = 24 * 3600;
/// An "unreachable" answer is retried sooner than a good one.
const UNREACHABLE_TTL_SECS: i64 = 3600;
/// How long a good copy may stand in for an unreachable robots.txt.
const STALE_OK_SECS: i64 = 30 * 24 * 3600;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS robots (
    origin TEXT PRIMARY KEY, status TEXT NOT NULL, body BLOB NOT NULL, fetched_at INTEGER NOT NULL
);
";

/// A cached robots.txt answer for one origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotsEntry {
    /// `ok` (body holds the file), `unavailable` (4xx: allow all), `unreachable` (5xx/network:
    /// disallow all).
    pub status: String,
    pub body: Vec<u8>,
    pub fetched_at: i64,
}

/// The robots.txt cache: the `robots` table of the ops database, one row per origin.
#[derive(Clone)]
pub struct RobotsCache {
    db: OpsDb,
}

impl RobotsCache {
    pub fn new(db: OpsDb) -> Result<Self, OpsError> {
        db.ensure(SCHEMA)?;
        Ok(Self { db })
    }

    pub fn get(&self, origin: &str) -> Result<Option<RobotsEntry>, OpsError> {
        self.db.with(|conn| {
            conn.query_row(
                "SELECT status, body, fetched_at FROM robots WHERE origin = ?1",
                [origin],
                |r| {
                    Ok(RobotsEntry {
                        status: r.get(0)?,
                        body: r.get(1)?,
                        fetched_at: r.get(2)?,
                    })
                },
            )
            .optional()
        })
    }

    pub fn put(&self, origin: &str, entry: &RobotsEntry) -> Result<(), OpsError> {
        self.db.with(|conn| {
            conn.execute(
                "INSERT INTO robots (origin, status, body, fetched_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(origin) DO UPDATE SET status = ?2, body = ?3, fetched_at = ?4",
                params![origin, entry.status, entry.body, entry.fetched_at],
            )
        })?;
        Ok(())
    }
}

/// What robots.txt says about one URL.
pub struct Verdict {
    pub allowed: bool,
    /// Crawl-delay for our agent, if any, at most [`MAX_CRAWL_DELAY`].
    pub delay: Option<Duration>,
    /// The origin could not serve robots.txt (5xx or network): everything is disallowed.
    pub unreachable: bool,
}

/// Crawl-delay is honoured up to this long (a hostile value must not stall the crawler).
pub const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);

pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// What a cached robots.txt `entry` says about `url` for the product token `agent`.
pub fn judge(agent: &str, entry: &RobotsEntry, url: &Url) -> Verdict {
    match entry.status.as_str() {
        "ok" => match Robot::new(agent, &entry.body) {
            Ok(robot) => Verdict {
                allowed: robot.allowed(url.as_str()),
                delay: robot.delay.map(|seconds| {
                    Duration::from_secs_f32(seconds.clamp(0.0, MAX_CRAWL_DELAY.as_secs_f32()))
                }),
                unreachable: false,
            },
            // An unparseable file restricts nothing (RFC 9309 §2.2: ignore invalid lines).
            Err(_) => Verdict {
                allowed: true,
                delay: None,
                unreachable: false,
            },
        },
        "unavailable" => Verdict {
            allowed: true,
            delay: None,
            unreachable: false,
        },
        _ => Verdict {
            allowed: false,
            delay: None,
            unreachable: true,
        },
    }
}

impl Fetcher {
    pub(super) async fn robots_verdict(&self, url: &Url) -> Result<Verdict, FetchError> {
        let origin = origin(url);
        let now = chrono::Utc::now().timestamp();
        let cached = self.robots.get(&origin)?;
        let fresh = cached.as_ref().filter(|e| {
            let ttl = if e.status == "unreachable" {
                UNREACHABLE_TTL_SECS
            } else {
                TTL_SECS
            };
            now - e.fetched_at < ttl
        });
        let entry = match fresh {
            Some(entry) => entry.clone(),
            None => {
                let fetched = self.fetch_robots(url, now).await?;
                match (&fetched.status[..], cached) {
                    // Keep using a recent good copy while the origin is unreachable.
                    ("unreachable", Some(old))
                        if old.status == "ok" && now - old.fetched_at < STALE_OK_SECS =>
                    {
                        old
                    }
                    _ => {
                        self.robots.put(&origin, &fetched)?;
                        fetched
                    }
                }
            }
        };
        Ok(judge(&self.settings.agent_token, &entry, url))
    }

    async fn fetch_robots(&self, url: &Url, now: i64) -> Result<RobotsEntry, FetchError> {
        let robots_url = url
            .join("/robots.txt")
            .map_err(|e| FetchError::BadUrl(e.to_string()))?;
        let request = Request {
            url: robots_url,
            etag: None,
            last_modified: None,
            cap: ROBOTS_CAP,
            check_robots: false,
            truncate_at_cap: true,
        };
        let entry = |status: &str, body: Vec<u8>| RobotsEntry {
            status: status.into(),
            body,
            fetched_at: now,
        };
        // Boxed: `get` checks robots.txt, which may fetch robots.txt (without the check).
        match Box::pin(self.get(request)).await {
            Ok(super::Response::Body(body)) => Ok(entry("ok", body.body)),
            Ok(super::Response::NotModified(_)) => Ok(entry("unavailable", Vec::new())),
            Err(FetchError::Http { status: 429, .. }) => Err(FetchError::RobotsUnreachable(
                "robots.txt answered 429 Too Many Requests".into(),
            )),
            Err(FetchError::Http { status, .. }) if (400..500).contains(&status) => {
                Ok(entry("unavailable", Vec::new()))
            }
            // Redirect trouble on robots.txt: treat as unavailable, like a 4xx (RFC 9309 §2.3.1.2).
            Err(FetchError::TooManyRedirects | FetchError::RedirectLoop(_)) => {
                Ok(entry("unavailable", Vec::new()))
            }
            Err(e @ (FetchError::Blocked { .. } | FetchError::Scheme(_))) => Err(e),
            Err(_) => Ok(entry("unreachable", Vec::new())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetched(body: &str) -> RobotsEntry {
        RobotsEntry {
            status: "ok".into(),
            body: body.as_bytes().to_vec(),
            fetched_at: 0,
        }
    }

    #[test]
    fn our_group_applies_and_crawl_delay_is_capped() {
        let body = "User-agent: *\nDisallow: /\n\nUser-agent: CrosswalkBot\nAllow: /docs\nDisallow: /\nCrawl-delay: 1000\n";
        let url = Url::parse("https://example.org/docs/a.pdf").unwrap();
        let verdict = judge("CrosswalkBot", &fetched(body), &url);
        assert!(verdict.allowed && !verdict.unreachable);
        assert_eq!(verdict.delay, Some(MAX_CRAWL_DELAY));
        assert!(!judge("OtherBot", &fetched(body), &url).allowed);
        let unreachable = RobotsEntry {
            status: "unreachable".into(),
            ..fetched(body)
        };
        assert!(judge("CrosswalkBot", &unreachable, &url).unreachable);
    }
}
