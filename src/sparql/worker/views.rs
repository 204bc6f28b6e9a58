//! The checkpoints query workers read: one per graph revision ([`QueryViews`], a consumer of
//! the change feed), each deleted when no worker holds it and a newer one exists.

use crate::graph::Graph;
use crate::graph::feed::{Consumer, ConsumerError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A checkpoint of the graph at one revision, deleted when the last holder lets go.
pub struct ViewDir {
    pub(super) path: PathBuf,
    pub(super) revision: u64,
}

impl ViewDir {
    pub fn revision(&self) -> u64 {
        self.revision
    }
}

impl Drop for ViewDir {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.path) {
            tracing::warn!(path = %self.path.display(), %error, "query view not removed");
        }
    }
}

/// The views the workers read, one per graph revision: a consumer of the change feed.
pub struct QueryViews {
    #[cfg_attr(not(feature = "rocksdb"), allow(dead_code))]
    root: PathBuf,
    current: Mutex<Option<Arc<ViewDir>>>,
    revision: AtomicU64,
}

impl QueryViews {
    /// Views under `root` (`<data>/views`), removing what a previous process left there.
    pub fn open(root: &Path) -> std::io::Result<Self> {
        match std::fs::remove_dir_all(root) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        std::fs::create_dir_all(root)?;
        Ok(Self {
            root: root.to_path_buf(),
            current: Mutex::new(None),
            revision: AtomicU64::new(0),
        })
    }

    /// The newest view, if one was made.
    pub fn current(&self) -> Option<Arc<ViewDir>> {
        self.current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    #[cfg(feature = "rocksdb")]
    fn make(&self, graph: &Graph) -> Result<ViewDir, ConsumerError> {
        let path = self.root.join(format!(
            "r{:010}-{:08x}",
            graph.revision(),
            fastrand::u32(..)
        ));
        let revision = graph.checkpoint(&path)?;
        Ok(ViewDir { path, revision })
    }

    #[cfg(not(feature = "rocksdb"))]
    fn make(&self, _graph: &Graph) -> Result<ViewDir, ConsumerError> {
        Err("query views need the on-disk store (feature rocksdb)".into())
    }
}

impl Consumer for QueryViews {
    fn name(&self) -> &'static str {
        "views"
    }

    fn revision(&self) -> u64 {
        self.revision.load(Ordering::SeqCst)
    }

    fn catch_up(&self, graph: &Graph) -> Result<u64, ConsumerError> {
        let revision = self.revision();
        if revision != 0 && revision == graph.revision() {
            return Ok(revision);
        }
        let view = Arc::new(self.make(graph)?);
        let revision = view.revision;
        let previous = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace(view);
        self.revision.store(revision, Ordering::SeqCst);
        drop(previous); // deleted now unless a worker still has it open
        Ok(revision)
    }
}
