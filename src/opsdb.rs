//! The ops database: SQLite at `<data>/ops.sqlite`, for operational state that changes on every
//! fetch (and, with alerts, every delivery) and must not be world-readable, as everything in the
//! RDF store is through `/sparql`.
//!
//! This module only opens the file and hands out the connection. Each owner keeps its own tables
//! and creates them itself ([`OpsDb::ensure`]): the crawl state in `crate::crawl::state`, the
//! robots.txt cache in `crate::fetch::robots`.
//!
//! Entry point: [`OpsDb`]. Calls are short; callers may make them from async code.

use rusqlite::Connection;
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

/// A cheap-to-clone handle on the ops database; one connection, used one call at a time.
#[derive(Clone)]
pub struct OpsDb {
    conn: Arc<Mutex<Connection>>,
}

impl OpsDb {
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
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Creates an owner's tables if they are missing (`CREATE TABLE IF NOT EXISTS …`).
    pub fn ensure(&self, schema: &str) -> Result<(), OpsError> {
        self.with(|conn| conn.execute_batch(schema))
    }

    /// Runs `f` with the connection. A panic inside leaves SQLite consistent (a statement or a
    /// transaction either completed or rolled back), so a poisoned lock is taken over.
    pub fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, OpsError> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        Ok(f(&mut conn)?)
    }
}
