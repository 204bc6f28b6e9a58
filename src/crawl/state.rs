//! What the crawler remembers about each source between fetches — validators, hashes of the last
//! processed content, last outcome, retry schedule — in the `source_state` table of the ops
//! database (bookkeeping that changes on every fetch stays out of the world-readable graph).

use crate::opsdb::{OpsDb, OpsError};
use rusqlite::{OptionalExtension, params};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS source_state (
    source TEXT PRIMARY KEY,
    etag TEXT, last_modified TEXT, raw_sha TEXT, text_sha TEXT, extract_key TEXT,
    last_outcome TEXT, last_reason TEXT, last_fetch_at INTEGER, next_attempt_at INTEGER,
    retry_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS source_presence (
    source TEXT PRIMARY KEY,
    gone_count INTEGER NOT NULL DEFAULT 0,
    unconditional_at INTEGER
);
";

/// Whether a source still answers: consecutive 404/410 answers, and when it was last fetched
/// without validators (so a server wrongly answering 304 cannot hide a change for ever).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Presence {
    pub gone_count: u32,
    /// Unix seconds of the last fetch sent without validators.
    pub unconditional_at: Option<i64>,
}

/// What the crawler remembers about one source.
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

/// The `source_state` table.
#[derive(Clone)]
pub struct CrawlState {
    db: OpsDb,
}

impl CrawlState {
    pub fn new(db: OpsDb) -> Result<Self, OpsError> {
        db.ensure(SCHEMA)?;
        Ok(Self { db })
    }

    /// The ops database this table lives in (backups copy it whole).
    pub fn db(&self) -> &OpsDb {
        &self.db
    }

    /// The stored state, or a fresh one for a source never fetched.
    pub fn get(&self, source: &str) -> Result<SourceState, OpsError> {
        let row = self.db.with(|conn| {
            conn.query_row(
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
            .optional()
        })?;
        Ok(row.unwrap_or_else(|| SourceState {
            source: source.to_owned(),
            ..SourceState::default()
        }))
    }

    pub fn save(&self, s: &SourceState) -> Result<(), OpsError> {
        self.db.with(|conn| {
            conn.execute(
                "INSERT INTO source_state (source, etag, last_modified, raw_sha, text_sha,
                     extract_key, last_outcome, last_reason, last_fetch_at, next_attempt_at,
                     retry_count)
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
            )
        })?;
        Ok(())
    }

    pub fn presence(&self, source: &str) -> Result<Presence, OpsError> {
        let row = self.db.with(|conn| {
            conn.query_row(
                "SELECT gone_count, unconditional_at FROM source_presence WHERE source = ?1",
                [source],
                |r| {
                    Ok(Presence {
                        gone_count: r.get(0)?,
                        unconditional_at: r.get(1)?,
                    })
                },
            )
            .optional()
        })?;
        Ok(row.unwrap_or_default())
    }

    pub fn save_presence(&self, source: &str, p: Presence) -> Result<(), OpsError> {
        self.db.with(|conn| {
            conn.execute(
                "INSERT INTO source_presence (source, gone_count, unconditional_at)
                 VALUES (?1, ?2, ?3)
                 ON CONFLICT(source) DO UPDATE SET gone_count = ?2, unconditional_at = ?3",
                params![source, p.gone_count, p.unconditional_at],
            )
        })?;
        Ok(())
    }

    /// Sources whose retry time has come (for the scheduler's retry sweep).
    pub fn due_retries(&self, now: i64) -> Result<Vec<String>, OpsError> {
        self.db.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT source FROM source_state WHERE next_attempt_at IS NOT NULL
                     AND next_attempt_at <= ?1 AND retry_count > 0 ORDER BY source",
            )?;
            let rows = stmt.query_map([now], |r| r.get(0))?;
            rows.collect()
        })
    }

    /// The snapshot hashes the crawler relies on now (each source's last raw body and text):
    /// retention keeps those files whatever the graph says.
    pub fn current_snapshots(&self) -> Result<std::collections::HashSet<String>, OpsError> {
        self.db.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT raw_sha FROM source_state WHERE raw_sha IS NOT NULL
                 UNION SELECT text_sha FROM source_state WHERE text_sha IS NOT NULL",
            )?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect()
        })
    }

    /// Drops what is remembered of a source (it was removed from the registry).
    pub fn forget(&self, source: &str) -> Result<(), OpsError> {
        self.db
            .with(|conn| conn.execute("DELETE FROM source_state WHERE source = ?1", [source]))?;
        self.db
            .with(|conn| conn.execute("DELETE FROM source_presence WHERE source = ?1", [source]))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_retries_come_due() {
        let dir = tempfile::tempdir().unwrap();
        let state = CrawlState::new(OpsDb::open_in(dir.path()).unwrap()).unwrap();
        let fresh = state.get("a").unwrap();
        assert_eq!(fresh.retry_count, 0);
        assert!(fresh.etag.is_none());
        let saved = SourceState {
            source: "a".into(),
            etag: Some("\"v1\"".into()),
            retry_count: 2,
            next_attempt_at: Some(100),
            ..SourceState::default()
        };
        state.save(&saved).unwrap();
        assert_eq!(state.get("a").unwrap(), saved);
        assert_eq!(state.due_retries(99).unwrap(), Vec::<String>::new());
        assert_eq!(state.due_retries(100).unwrap(), vec!["a".to_string()]);
        state.forget("a").unwrap();
        assert_eq!(state.get("a").unwrap().retry_count, 0);
    }
}
