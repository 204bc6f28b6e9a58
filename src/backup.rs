//! Online backup and restore of a data directory.
//!
//! A backup is a directory holding `graph/` (a RocksDB checkpoint: a consistent copy at one
//! revision, made while writers wait a moment), `ops.sqlite` (SQLite's online backup API),
//! `snapshots/` (every snapshot file, hard-linked when on the same file system, by hash) and
//! `manifest.json` (revision, quad count, rows per ops table, snapshot count). The search index
//! is not copied: it is rebuilt from the graph when the restored directory is first opened.
//!
//! Consistency between the three stores follows the crawler's write order (snapshot files, then
//! the graph, then the ops database): the ops database is copied first and the graph second, so
//! the graph is never older than the crawl state that vouches for it (an older crawl state only
//! makes the next crawl fetch again), and the snapshot files are listed after the graph, so every
//! snapshot the graph names is there. A backup is written under a temporary name and renamed when
//! complete, so an interrupted one never looks finished. Retention does not delete snapshot
//! files while a backup runs ([`exclusive`]); files already in a backup are its own (links or
//! copies), so retention never takes anything from one.
//!
//! [`restore`] refuses to overwrite an existing store, checks every snapshot against its hash and
//! the restored store and ops database against the manifest.
//!
//! Entry points: [`create`], [`restore`].

// Without the on-disk store (the fuzz build) only [`exclusive`] and [`snapshot_files`] are used.
#![cfg_attr(not(feature = "rocksdb"), allow(dead_code, unused_imports))]

use crate::graph::{Graph, GraphError};
use crate::opsdb::{OpsDb, OpsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Bumped when the layout of a backup changes.
const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Ops(#[from] OpsError),
    #[error("{0} already exists; back up into a new directory")]
    Exists(String),
    #[error(
        "{0} already holds a store; restore into an empty data directory (or move it away first)"
    )]
    NotEmpty(String),
    #[error("{0} is not a Crosswalk backup (no readable manifest.json)")]
    NotABackup(String),
    #[error("backup format {found} is not supported (expected {FORMAT})")]
    Format { found: u32 },
    #[error("the backup is damaged: {0}")]
    Damaged(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// What a backup holds; written as `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub format: u32,
    /// When it was made (RFC 3339).
    pub created: String,
    pub crosswalk_version: String,
    /// The graph revision of the checkpoint.
    pub revision: u64,
    pub quads: usize,
    /// Rows per table of the ops database.
    pub ops_rows: BTreeMap<String, u64>,
    pub snapshots: usize,
    pub snapshot_bytes: u64,
}

/// Held while a backup copies snapshot files or retention deletes them.
pub fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Backs up the store of `graph`, the ops database and the snapshot files of `data_dir` into
/// `target` (which must not exist). Blocking; the server keeps serving meanwhile.
#[cfg(feature = "rocksdb")]
pub fn create(
    graph: &Graph,
    ops: &OpsDb,
    data_dir: &Path,
    target: &Path,
) -> Result<Manifest, BackupError> {
    if target.exists() {
        return Err(BackupError::Exists(target.display().to_string()));
    }
    let parent = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let partial = parent.join(format!(
        ".{}.partial-{:08x}",
        target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        fastrand::u32(..)
    ));
    let result = write(graph, ops, data_dir, &partial);
    match result {
        Ok(manifest) => {
            std::fs::rename(&partial, target).map_err(io(target))?;
            Ok(manifest)
        }
        Err(error) => {
            let _ = std::fs::remove_dir_all(&partial);
            Err(error)
        }
    }
}

#[cfg(feature = "rocksdb")]
fn write(
    graph: &Graph,
    ops: &OpsDb,
    data_dir: &Path,
    into: &Path,
) -> Result<Manifest, BackupError> {
    std::fs::create_dir_all(into).map_err(io(into))?;
    let _exclusive = exclusive();
    // Ops first, then the graph, then the files: see the module documentation.
    let ops_copy = into.join("ops.sqlite");
    ops.backup_to(&ops_copy)?;
    let ops_rows = OpsDb::open(&ops_copy)?.row_counts()?;
    let revision = graph.checkpoint(&into.join("graph"))?;
    let quads = Graph::open_checkpoint(&into.join("graph"))?.quad_count()?;
    let (snapshots, snapshot_bytes) =
        copy_snapshots(&data_dir.join("snapshots"), &into.join("snapshots"), true)?;
    let manifest = Manifest {
        format: FORMAT,
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        crosswalk_version: env!("CARGO_PKG_VERSION").into(),
        revision,
        quads,
        ops_rows,
        snapshots,
        snapshot_bytes,
    };
    let path = into.join(MANIFEST);
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Io {
        path: path.display().to_string(),
        source: e.into(),
    })?;
    std::fs::write(&path, json).map_err(io(&path))?;
    Ok(manifest)
}

/// The snapshot files under `from` (`<aa>/<sha256>.zst`), linked (or copied) into `to`; returns
/// their number and size. Temporary files of a snapshot being written are skipped.
fn copy_snapshots(from: &Path, to: &Path, link: bool) -> Result<(usize, u64), BackupError> {
    let (mut count, mut bytes) = (0, 0);
    for (path, name) in snapshot_files(from)? {
        let prefix = path
            .parent()
            .and_then(Path::file_name)
            .ok_or_else(|| BackupError::Damaged(format!("{} has no shard", path.display())))?;
        let dir = to.join(prefix);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let target = dir.join(&name);
        let linked = link && std::fs::hard_link(&path, &target).is_ok();
        if !linked {
            std::fs::copy(&path, &target).map_err(io(&path))?;
        }
        bytes += std::fs::metadata(&target).map_err(io(&target))?.len();
        count += 1;
    }
    Ok((count, bytes))
}

/// `(path, file name)` of every snapshot file under `root`.
pub(crate) fn snapshot_files(root: &Path) -> Result<Vec<(PathBuf, String)>, BackupError> {
    let mut files = Vec::new();
    let shards = match std::fs::read_dir(root) {
        Ok(shards) => shards,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(files),
        Err(e) => return Err(io(root)(e)),
    };
    for shard in shards {
        let shard = shard.map_err(io(root))?.path();
        if !shard.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&shard).map_err(io(&shard))? {
            let path = file.map_err(io(&shard))?.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.ends_with(".zst") && !name.starts_with('.') {
                files.push((path, name));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Restores the backup in `source` into `data_dir`, which must not hold a store or an ops
/// database yet. Checks every snapshot's hash, and the restored store and ops database against
/// the manifest. The search index is rebuilt when the directory is next opened.
#[cfg(feature = "rocksdb")]
pub fn restore(source: &Path, data_dir: &Path) -> Result<Manifest, BackupError> {
    let manifest_path = source.join(MANIFEST);
    let manifest: Manifest = std::fs::read(&manifest_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| BackupError::NotABackup(source.display().to_string()))?;
    if manifest.format != FORMAT {
        return Err(BackupError::Format {
            found: manifest.format,
        });
    }
    let (graph_dir, ops_file) = (data_dir.join("graph"), data_dir.join("ops.sqlite"));
    for existing in [&graph_dir, &ops_file] {
        if existing.exists() {
            return Err(BackupError::NotEmpty(existing.display().to_string()));
        }
    }
    verify_snapshots(&source.join("snapshots"), manifest.snapshots)?;
    std::fs::create_dir_all(data_dir).map_err(io(data_dir))?;
    // Copies, not links: the restored store appends to files (its MANIFEST, its log) that must
    // stay as they are in the backup.
    copy_tree(&source.join("graph"), &graph_dir)?;
    std::fs::copy(source.join("ops.sqlite"), &ops_file).map_err(io(&ops_file))?;
    copy_snapshots(
        &source.join("snapshots"),
        &data_dir.join("snapshots"),
        false,
    )?;
    let index = data_dir.join("index");
    if index.exists() {
        std::fs::remove_dir_all(&index).map_err(io(&index))?;
    }
    let graph = Graph::open(&graph_dir)?;
    let (revision, quads) = (graph.revision(), graph.quad_count()?);
    drop(graph);
    if (revision, quads) != (manifest.revision, manifest.quads) {
        return Err(BackupError::Damaged(format!(
            "the restored store is at revision {revision} with {quads} quads; the manifest says {} and {}",
            manifest.revision, manifest.quads
        )));
    }
    let rows = OpsDb::open(&ops_file)?.row_counts()?;
    if rows != manifest.ops_rows {
        return Err(BackupError::Damaged(format!(
            "ops rows {rows:?}, the manifest says {:?}",
            manifest.ops_rows
        )));
    }
    Ok(manifest)
}

/// Every snapshot decompresses to bytes whose SHA-256 is its name, and there are `expected`.
fn verify_snapshots(root: &Path, expected: usize) -> Result<(), BackupError> {
    let files = snapshot_files(root)?;
    if files.len() != expected {
        return Err(BackupError::Damaged(format!(
            "{} snapshot files, the manifest says {expected}",
            files.len()
        )));
    }
    for (path, name) in files {
        let sha = name.trim_end_matches(".zst");
        let file = std::fs::File::open(&path).map_err(io(&path))?;
        let bytes = zstd::decode_all(file).map_err(io(&path))?;
        if crate::snapshot::sha256_hex(&bytes) != sha {
            return Err(BackupError::Damaged(format!(
                "{} does not match its hash",
                path.display()
            )));
        }
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), BackupError> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let path = entry.map_err(io(from))?.path();
        let target = to.join(path.file_name().unwrap_or_default());
        if path.is_dir() {
            copy_tree(&path, &target)?;
        } else {
            std::fs::copy(&path, &target).map_err(io(&path))?;
        }
    }
    Ok(())
}
