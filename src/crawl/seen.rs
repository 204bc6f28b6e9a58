//! What an official channel has already shown the crawler: the items of each source's catalogue
//! (consolidated versions, amending acts, search results, listing links) and which text URL it
//! follows, in the `channel_item` and `channel_state` tables of the ops database. Operational
//! and rewritten on every crawl, so not in the graph; what people review (the discovered
//! documents) is in the graph.
//!
//! The state belongs to a source *at an address*: a source registered again under the same id
//! with another URL starts from a fresh baseline instead of inheriting the old one's items.

use crate::opsdb::{OpsDb, OpsError};
use rusqlite::{OptionalExtension, params};
use std::collections::HashSet;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS channel_state (
    source TEXT PRIMARY KEY,
    access_url TEXT NOT NULL,
    baseline_at INTEGER NOT NULL,
    text_url TEXT
);
CREATE TABLE IF NOT EXISTS channel_item (
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    PRIMARY KEY (source, key)
);
";

/// One source's channel memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memory {
    /// Whether the catalogue has been read once at this address (later items are new).
    pub baseline: bool,
    /// Keys of every item seen so far.
    pub seen: HashSet<String>,
    /// The text URL followed last time (CELLAR: the newest consolidated version).
    pub text_url: Option<String>,
}

#[derive(Clone)]
pub struct ChannelState {
    db: OpsDb,
}

impl ChannelState {
    pub fn new(db: OpsDb) -> Result<Self, OpsError> {
        db.ensure(SCHEMA)?;
        Ok(Self { db })
    }

    /// What is remembered of `source` registered at `access_url` (nothing, when it was last
    /// seen at another address).
    pub fn recall(&self, source: &str, access_url: &str) -> Result<Memory, OpsError> {
        self.db.with(|conn| {
            let row: Option<(String, Option<String>)> = conn
                .query_row(
                    "SELECT access_url, text_url FROM channel_state WHERE source = ?1",
                    [source],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((url, text_url)) = row.filter(|(url, _)| url == access_url) else {
                return Ok(Memory::default());
            };
            debug_assert_eq!(url, access_url);
            let mut stmt = conn.prepare("SELECT key FROM channel_item WHERE source = ?1")?;
            let seen = stmt
                .query_map([source], |r| r.get::<_, String>(0))?
                .collect::<Result<HashSet<_>, _>>()?;
            Ok(Memory {
                baseline: true,
                seen,
                text_url,
            })
        })
    }

    /// Records that the text at `text_url` was fetched (after the fact, so a failed fetch of a
    /// new consolidated version is retried as moved next time).
    pub fn follow(&self, source: &str, text_url: &str) -> Result<(), OpsError> {
        self.db.with(|conn| {
            conn.execute(
                "UPDATE channel_state SET text_url = ?2 WHERE source = ?1",
                params![source, text_url],
            )
        })?;
        Ok(())
    }

    /// Records that `keys` were seen now (all of them: new and old), in one transaction; a new
    /// address replaces what was remembered of the old one.
    pub fn remember(
        &self,
        source: &str,
        access_url: &str,
        keys: &[String],
        now: i64,
    ) -> Result<(), OpsError> {
        self.db.with(|conn| {
            let tx = conn.transaction()?;
            let known: Option<String> = tx
                .query_row(
                    "SELECT access_url FROM channel_state WHERE source = ?1",
                    [source],
                    |r| r.get(0),
                )
                .optional()?;
            if known.as_deref() != Some(access_url) {
                tx.execute("DELETE FROM channel_item WHERE source = ?1", [source])?;
            }
            let moved = known.as_deref() != Some(access_url);
            tx.execute(
                "INSERT INTO channel_state (source, access_url, baseline_at, text_url)
                 VALUES (?1, ?2, ?3, NULL)
                 ON CONFLICT(source) DO UPDATE SET access_url = ?2,
                     text_url = CASE WHEN ?4 THEN NULL ELSE text_url END",
                params![source, access_url, now, moved],
            )?;
            {
                let mut insert = tx.prepare(
                    "INSERT INTO channel_item (source, key, first_seen, last_seen)
                     VALUES (?1, ?2, ?3, ?3)
                     ON CONFLICT(source, key) DO UPDATE SET last_seen = ?3",
                )?;
                for key in keys {
                    insert.execute(params![source, key, now])?;
                }
            }
            tx.commit()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_per_address() {
        let dir = tempfile::tempdir().unwrap();
        let state = ChannelState::new(OpsDb::open_in(dir.path()).unwrap()).unwrap();
        assert_eq!(state.recall("s", "https://a").unwrap(), Memory::default());
        state
            .remember("s", "https://a", &["x".into(), "y".into()], 1)
            .unwrap();
        let memory = state.recall("s", "https://a").unwrap();
        assert!(memory.baseline);
        assert_eq!(memory.seen.len(), 2);
        assert_eq!(memory.text_url, None, "no text fetched yet");
        state.follow("s", "https://t").unwrap();
        state.remember("s", "https://a", &["z".into()], 2).unwrap();
        let memory = state.recall("s", "https://a").unwrap();
        assert_eq!(memory.seen.len(), 3);
        assert_eq!(
            memory.text_url.as_deref(),
            Some("https://t"),
            "a later reading keeps the followed text"
        );
        assert!(!state.recall("s", "https://b").unwrap().baseline);
        state.remember("s", "https://b", &["q".into()], 3).unwrap();
        let moved = state.recall("s", "https://b").unwrap();
        assert_eq!(moved.seen, HashSet::from(["q".to_string()]));
        assert_eq!(moved.text_url, None, "a new address forgets the old text");
    }
}
