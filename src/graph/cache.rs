//! Values computed from the whole graph (known codes, the mapping index, the dataset
//! description), kept until the graph's revision moves on, so a request handler pays for the
//! scan only after a write.

use super::Graph;
use std::sync::{Arc, Mutex};

/// One value of type `T`, tagged with the revision it was computed at.
pub struct PerRevision<T>(Mutex<Option<(u64, Arc<T>)>>);

impl<T> Default for PerRevision<T> {
    fn default() -> Self {
        Self(Mutex::new(None))
    }
}

impl<T> PerRevision<T> {
    /// The value at the graph's current revision, computed by `load` when the kept one is
    /// older. Blocking when it must be computed. The revision is read before `load`, so a
    /// write landing meanwhile makes the next call compute again rather than keep a stale value
    /// under the new revision.
    pub fn get<E>(
        &self,
        graph: &Graph,
        load: impl FnOnce(&Graph) -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        let revision = graph.revision();
        if let Some((at, value)) = self.0.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
            && *at == revision
        {
            return Ok(value.clone());
        }
        let value = Arc::new(load(graph)?);
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((revision, value.clone()));
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::GraphError;

    #[test]
    fn computes_again_only_after_a_write() {
        let graph = Graph::in_memory().unwrap();
        let cache = PerRevision::default();
        let loads = std::cell::Cell::new(0);
        let get = |graph: &Graph| {
            *cache
                .get(graph, |g| {
                    loads.set(loads.get() + 1);
                    Ok::<_, GraphError>(g.revision())
                })
                .unwrap()
        };
        let first = get(&graph);
        assert_eq!(get(&graph), first);
        graph.write(|_| Ok::<_, GraphError>(())).unwrap();
        assert_eq!(get(&graph), first + 1);
        assert_eq!(loads.get(), 2);
    }
}
