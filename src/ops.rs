//! Operational crawl state in SQLite (`<data>/ops.sqlite`): per-source validators, last outcome,
//! retry schedule, and the robots.txt cache. Bookkeeping that changes on every fetch and must not
//! be world-readable lives here, not in the RDF store.
//!
//! Entry point: [`Ops`]. Calls are short single statements; callers may use them from async code.

use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::{Arc, Mutex};

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("ops database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot create {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// What the crawler remembers about one source between fetches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceState {
    pub source: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// SHA-256 of the last successfully processed raw body.
    pub raw_sha: Option<String>,
    /// SHA-256 of the last normalised text.
    pub text_sha: Option<String>,
    /// Raw hash + extractor version + selectors: equal keys mean extraction would repeat itself.
    pub extract_key: Option<String>,
    pub last_outcome: Option<String>,
    pub last_reason: Option<String>,
    /// Unix seconds of the last attempt.
    pub last_fetch_at: Option<i64>,
    /// Unix seconds before which the source must not be fetched (backoff, Retry-After).
    pub next_attempt_at: Option<i64>,
    /// Consecutive transient failures in the current backoff series.
    pub retry_count: u32,
}

/// A cached robots.txt answer for one origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotsEntry {
    /// `ok` (body holds the file), `unavailable` (4xx: allow all), `unreachable` (5xx/network:
    /// disallow all).
    pub status: String,
    pub body: Vec<u8>,
    pub fetched_at: i64,
}

#[derive(Clone)]
pub struct Ops {
    conn: Arc<Mutex<Connection>>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS source_state (
    source TEXT PRIMARY KEY,
    etag TEXT, last_modified TEXT, raw_sha TEXT, text_sha TEXT, extract_key TEXT,
    last_outcome TEXT, last_reason TEXT, last_fetch_at INTEGER, next_attempt_at INTEGER,
    retry_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS robots (
    origin TEXT PRIMARY KEY, status TEXT NOT NULL, body BLOB NOT NULL, fetched_at INTEGER NOT NULL
);
";

impl Ops {
    /// Opens (creating) `<data>/ops.sqlite`.
    pub fn open_in(data_dir: &Path) -> Result<Self, OpsError> {
        std::fs::create_dir_all(data_dir).map_err(|source| OpsError::Io {
            path: data_dir.display().to_string(),
            source,
        })?;
        Self::open(&data_dir.join("ops.sqlite"))
    }

    pub fn open(path: &Path) -> Result<Self, OpsError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (each call is one statement).
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The stored state, or a fresh one for a source never fetched.
    pub fn state(&self, source: &str) -> Result<SourceState, OpsError> {
        let conn = self.conn();
        let row = conn
            .query_row(
                "SELECT etag, last_modified, raw_sha, text_sha, extract_key, last_outcome,
                        last_reason, last_fetch_at, next_attempt_at, retry_count
                 FROM source_state WHERE source = ?1",
                [source],
                |r| {
                    Ok(SourceState {
                        source: source.to_owned(),
                        etag: r.get(0)?,
                        last_modified: r.get(1)?,
                        raw_sha: r.get(2)?,
                        text_sha: r.get(3)?,
                        extract_key: r.get(4)?,
                        last_outcome: r.get(5)?,
                        last_reason: r.get(6)?,
                        last_fetch_at: r.get(7)?,
                        next_attempt_at: r.get(8)?,
                        retry_count: r.get(9)?,
                    })
                },
            )
            .optional()?;
        Ok(row.unwrap_or_else(|| SourceState {
            source: source.to_owned(),
            ..SourceState::default()
        }))
    }

    pub fn save_state(&self, s: &SourceState) -> Result<(), OpsError> {
        self.conn().execute(
            "INSERT INTO source_state (source, etag, last_modified, raw_sha, text_sha, extract_key,
                 last_outcome, last_reason, last_fetch_at, next_attempt_at, retry_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT(source) DO UPDATE SET etag = ?2, last_modified = ?3, raw_sha = ?4,
                 text_sha = ?5, extract_key = ?6, last_outcome = ?7, last_reason = ?8,
                 last_fetch_at = ?9, next_attempt_at = ?10, retry_count = ?11",
            params![
                s.source,
                s.etag,
                s.last_modified,
                s.raw_sha,
                s.text_sha,
                s.extract_key,
                s.last_outcome,
                s.last_reason,
                s.last_fetch_at,
                s.next_attempt_at,
                s.retry_count
            ],
        )?;
        Ok(())
    }

    /// Sources whose retry time has come (for the scheduler's retry sweep).
    pub fn due_retries(&self, now: i64) -> Result<Vec<String>, OpsError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT source FROM source_state WHERE next_attempt_at IS NOT NULL
                 AND next_attempt_at <= ?1 AND retry_count > 0 ORDER BY source",
        )?;
        let rows = stmt.query_map([now], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn forget_source(&self, source: &str) -> Result<(), OpsError> {
        self.conn()
            .execute("DELETE FROM source_state WHERE source = ?1", [source])?;
        Ok(())
    }

    pub fn robots(&self, origin: &str) -> Result<Option<RobotsEntry>, OpsError> {
        Ok(self
            .conn()
            .query_row(
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
            .optional()?)
    }

    pub fn put_robots(&self, origin: &str, entry: &RobotsEntry) -> Result<(), OpsError> {
        self.conn().execute(
            "INSERT INTO robots (origin, status, body, fetched_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(origin) DO UPDATE SET status = ?2, body = ?3, fetched_at = ?4",
            params![origin, entry.status, entry.body, entry.fetched_at],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_and_robots_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let ops = Ops::open_in(dir.path()).unwrap();
        let fresh = ops.state("a").unwrap();
        assert_eq!(fresh.retry_count, 0);
        assert!(fresh.etag.is_none());
        let state = SourceState {
            source: "a".into(),
            etag: Some("\"v1\"".into()),
            retry_count: 2,
            next_attempt_at: Some(100),
            ..SourceState::default()
        };
        ops.save_state(&state).unwrap();
        assert_eq!(ops.state("a").unwrap(), state);
        assert_eq!(ops.due_retries(99).unwrap(), Vec::<String>::new());
        assert_eq!(ops.due_retries(100).unwrap(), vec!["a".to_string()]);
        let entry = RobotsEntry {
            status: "ok".into(),
            body: b"User-agent: *\nDisallow: /x".to_vec(),
            fetched_at: 5,
        };
        ops.put_robots("http://h:1", &entry).unwrap();
        assert_eq!(ops.robots("http://h:1").unwrap(), Some(entry));
    }
}
