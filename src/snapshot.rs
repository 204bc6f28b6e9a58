//! Content-addressed snapshots: raw fetched bytes and normalised text, each stored once under
//! `<data>/snapshots/<aa>/<sha256>.zst` (zstd), named by the SHA-256 of the uncompressed bytes.
//!
//! Entry point: [`SnapshotStore`]. Writes go to a temporary file renamed into place, so a crash
//! never leaves a truncated snapshot under its final name.

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot store I/O at {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("snapshot {0} not found")]
    Missing(String),
    #[error("invalid snapshot address {0:?}")]
    BadAddress(String),
}

#[derive(Debug, Clone)]
pub struct SnapshotStore {
    dir: PathBuf,
}

/// Hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

impl SnapshotStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `<data>/snapshots`.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self::new(data_dir.join("snapshots"))
    }

    fn path(&self, sha: &str) -> Result<PathBuf, SnapshotError> {
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(SnapshotError::BadAddress(sha.into()));
        }
        Ok(self.dir.join(&sha[..2]).join(format!("{sha}.zst")))
    }

    /// Stores `bytes` (idempotent) and returns their SHA-256.
    pub fn put(&self, bytes: &[u8]) -> Result<String, SnapshotError> {
        let sha = sha256_hex(bytes);
        let path = self.path(&sha)?;
        if path.exists() {
            return Ok(sha);
        }
        let io = |source| SnapshotError::Io {
            path: path.display().to_string(),
            source,
        };
        let parent = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(parent).map_err(io)?;
        let mut tmp = tempfile_in(parent).map_err(io)?;
        let compressed = zstd::encode_all(bytes, 3).map_err(io)?;
        tmp.1.write_all(&compressed).map_err(io)?;
        tmp.1.sync_all().map_err(io)?;
        drop(tmp.1);
        std::fs::rename(&tmp.0, &path).map_err(io)?;
        Ok(sha)
    }

    /// The bytes stored under `sha`.
    pub fn get(&self, sha: &str) -> Result<Vec<u8>, SnapshotError> {
        let path = self.path(sha)?;
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(SnapshotError::Missing(sha.into()));
            }
            Err(source) => {
                return Err(SnapshotError::Io {
                    path: path.display().to_string(),
                    source,
                });
            }
        };
        zstd::decode_all(file).map_err(|source| SnapshotError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    pub fn contains(&self, sha: &str) -> bool {
        self.path(sha).map(|p| p.exists()).unwrap_or(false)
    }
}

/// A uniquely named temporary file in `dir` (same filesystem, so the rename is atomic).
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    loop {
        let path = dir.join(format!(".tmp-{:016x}", fastrand::u64(..)));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_by_content_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = SnapshotStore::in_data_dir(dir.path());
        let a = store.put(b"hello world").unwrap();
        assert_eq!(
            a,
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(store.put(b"hello world").unwrap(), a);
        assert_eq!(store.get(&a).unwrap(), b"hello world");
        assert!(store.contains(&a));
        assert!(matches!(
            store.get(&"0".repeat(64)),
            Err(SnapshotError::Missing(_))
        ));
        assert!(matches!(
            store.get("../etc"),
            Err(SnapshotError::BadAddress(_))
        ));
    }
}
