//! Whole results of saved queries, kept per graph revision.
//!
//! Analysts run the same saved queries again and again (the catalogue summary, the theme
//! matrix), and an answer changes only when the graph does; under mixed load they were the
//! requests that waited longest for an evaluation slot (BENCHMARKS.md, "Mixed load"). A result
//! that was sent in full and untruncated, whole or streamed (copied as its chunks go out,
//! [`Keeping`]), up to [`MAX_ENTRY_BYTES`], is kept under the revision it was read at, and
//! served without evaluation until the revision moves on. The first result kept at a newer
//! revision drops everything older. Bounded by entries and bytes: a full cache keeps nothing
//! more until the next write empties it.
//!
//! Concurrent misses of one answer evaluate it once ([`SavedResults::lookup`]): the first request
//! takes the answer's turn and evaluates, the others wait for it (at most the query time limit)
//! and are served what it kept. Where it kept nothing (a larger, truncated or failed result),
//! they evaluate as before, each in its own slot.

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Most results kept at once, and their total size.
const MAX_ENTRIES: usize = 512;
const MAX_BYTES: usize = 32 * 1024 * 1024;
/// The largest one result kept (the shipped `obligations` answer is about 300 KB as JSON).
pub const MAX_ENTRY_BYTES: usize = 4 * 1024 * 1024;

/// The copy of an answer being sent, to keep once it has all gone out: the chunks as they are
/// sent, then the tail. Past [`MAX_ENTRY_BYTES`] it gives up (and stops copying).
pub struct Keeping {
    key: ResultKey,
    bytes: Option<Vec<u8>>,
}

impl Keeping {
    pub fn new(key: ResultKey) -> Self {
        Self {
            key,
            bytes: Some(Vec::new()),
        }
    }

    /// Copies one chunk that was sent.
    pub fn push(&mut self, chunk: &[u8]) {
        if let Some(bytes) = &mut self.bytes {
            if bytes.len() + chunk.len() > MAX_ENTRY_BYTES {
                self.bytes = None;
            } else {
                bytes.extend_from_slice(chunk);
            }
        }
    }

    /// The whole answer, ending with `tail`, and its key; None if it grew too large.
    pub fn finish(self, tail: &[u8]) -> Option<(ResultKey, Bytes)> {
        let mut bytes = self.bytes?;
        if bytes.len() + tail.len() > MAX_ENTRY_BYTES {
            return None;
        }
        bytes.extend_from_slice(tail);
        Some((self.key, Bytes::from(bytes)))
    }
}

/// One saved query's answer: its name, its parameters as bound, the result format.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResultKey {
    name: String,
    bindings: String,
    format: &'static str,
}

impl ResultKey {
    /// `bindings` in any order: they are sorted, so `?a=1&b=2` and `?b=2&a=1` share an entry.
    pub fn new<'a>(
        name: &str,
        bindings: impl IntoIterator<Item = (&'a str, String)>,
        format: &'static str,
    ) -> Self {
        let mut pairs: Vec<_> = bindings
            .into_iter()
            .map(|(variable, term)| format!("{variable}={term}"))
            .collect();
        pairs.sort();
        Self {
            name: name.to_owned(),
            bindings: pairs.join("\u{1f}"),
            format,
        }
    }
}

#[derive(Default)]
pub struct SavedResults {
    held: Mutex<Held>,
    hits: AtomicU64,
    turns: Mutex<Turns>,
}

/// One lock per answer being evaluated at `revision`, so misses of it wait for one evaluation.
#[derive(Default)]
struct Turns {
    revision: u64,
    locks: HashMap<ResultKey, Arc<tokio::sync::Mutex<()>>>,
}

/// What [`SavedResults::lookup`] found.
pub enum Lookup {
    /// The kept answer.
    Kept(Bytes),
    /// Evaluate it; while the turn is held, other misses of the same answer wait. Drop it once
    /// the result is kept (or will not be).
    Evaluate(Option<tokio::sync::OwnedMutexGuard<()>>),
}

#[derive(Default)]
struct Held {
    revision: u64,
    bytes: usize,
    entries: HashMap<ResultKey, Bytes>,
}

impl SavedResults {
    /// The kept answer to `key` if it was read at `revision`, the graph's current one.
    pub fn get(&self, key: &ResultKey, revision: u64) -> Option<Bytes> {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let hit = (held.revision == revision)
            .then(|| held.entries.get(key).cloned())
            .flatten();
        if hit.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        hit
    }

    /// The kept answer to `key` at `revision`, or the turn to evaluate it: a miss while another
    /// request evaluates the same answer waits for it (up to `wait`) and then looks again.
    pub async fn lookup(&self, key: &ResultKey, revision: u64, wait: Duration) -> Lookup {
        if let Some(body) = self.get(key, revision) {
            return Lookup::Kept(body);
        }
        let lock = {
            let mut turns = self.turns.lock().unwrap_or_else(|e| e.into_inner());
            if turns.revision != revision {
                *turns = Turns {
                    revision,
                    ..Turns::default()
                };
            }
            match turns.locks.get(key) {
                Some(lock) => lock.clone(),
                // Distinct answers are bounded like the kept ones; past that, no waiting.
                None if turns.locks.len() >= MAX_ENTRIES => return Lookup::Evaluate(None),
                None => turns.locks.entry(key.clone()).or_default().clone(),
            }
        };
        if let Ok(turn) = lock.clone().try_lock_owned() {
            // Nobody is evaluating it; one that just finished may have kept it.
            return match self.get(key, revision) {
                Some(body) => Lookup::Kept(body),
                None => Lookup::Evaluate(Some(turn)),
            };
        }
        match tokio::time::timeout(wait, lock.lock_owned()).await {
            Ok(turn) => match self.get(key, revision) {
                Some(body) => Lookup::Kept(body),
                // It kept nothing (streamed, truncated, failed): evaluate alongside the rest.
                None => {
                    drop(turn);
                    Lookup::Evaluate(None)
                }
            },
            Err(_) => Lookup::Evaluate(None),
        }
    }

    /// Keeps `body`, read at `revision`. A result read at an older revision than the kept ones
    /// (an evaluation that started before a write) is not kept.
    pub fn keep(&self, key: ResultKey, revision: u64, body: Bytes) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if revision < held.revision {
            return;
        }
        if revision > held.revision {
            *held = Held {
                revision,
                ..Held::default()
            };
        }
        if held.entries.len() >= MAX_ENTRIES
            || body.len() > MAX_ENTRY_BYTES
            || held.bytes + body.len() > MAX_BYTES
        {
            return;
        }
        held.bytes += body.len();
        if let Some(previous) = held.entries.insert(key, body) {
            held.bytes -= previous.len();
        }
    }

    /// Results kept now and answers served from them (for `/metrics`).
    pub fn stats(&self) -> (usize, u64) {
        let entries = self
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .len();
        (entries, self.hits.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, bindings: &[(&'static str, &str)]) -> ResultKey {
        ResultKey::new(
            name,
            bindings.iter().map(|(v, t)| (*v, (*t).to_owned())),
            "application/sparql-results+json",
        )
    }

    #[test]
    fn serves_a_result_only_at_the_revision_it_was_read_at() {
        let cache = SavedResults::default();
        cache.keep(key("summary", &[]), 7, Bytes::from_static(b"seven"));
        assert_eq!(cache.get(&key("summary", &[]), 7).unwrap(), "seven");
        assert_eq!(cache.get(&key("summary", &[]), 8), None, "a write moved on");
        cache.keep(key("other", &[]), 8, Bytes::from_static(b"eight"));
        assert_eq!(cache.stats().0, 1, "a newer revision drops what is older");
        cache.keep(key("summary", &[]), 7, Bytes::from_static(b"late"));
        assert_eq!(cache.get(&key("summary", &[]), 7), None);
        assert_eq!(
            cache.get(&key("summary", &[]), 8),
            None,
            "a late result is not kept"
        );
    }

    #[test]
    fn parameters_and_formats_are_part_of_the_key_in_any_order() {
        let cache = SavedResults::default();
        let ab = key("q", &[("a", "1"), ("b", "2")]);
        cache.keep(ab, 1, Bytes::from_static(b"x"));
        assert!(cache.get(&key("q", &[("b", "2"), ("a", "1")]), 1).is_some());
        assert!(cache.get(&key("q", &[("a", "1")]), 1).is_none());
        let csv = ResultKey::new("q", [("a", "1".to_owned()), ("b", "2".into())], "text/csv");
        assert!(cache.get(&csv, 1).is_none());
    }

    #[test]
    fn a_streamed_answer_is_kept_whole_up_to_the_entry_limit() {
        let mut keeping = Keeping::new(key("obligations", &[]));
        keeping.push(b"{\"head\":");
        keeping.push(b"[1,");
        let (k, body) = keeping.finish(b"2]}").unwrap();
        assert_eq!(k, key("obligations", &[]));
        assert_eq!(body, "{\"head\":[1,2]}");

        let mut large = Keeping::new(key("large", &[]));
        large.push(&vec![b'x'; MAX_ENTRY_BYTES - 1]);
        large.push(b"xx");
        assert!(large.finish(b"").is_none(), "past the limit");
        let mut tail_too_long = Keeping::new(key("large", &[]));
        tail_too_long.push(&vec![b'x'; MAX_ENTRY_BYTES]);
        assert!(tail_too_long.finish(b"x").is_none());

        let cache = SavedResults::default();
        cache.keep(
            key("large", &[]),
            1,
            Bytes::from(vec![0u8; MAX_ENTRY_BYTES + 1]),
        );
        assert!(cache.get(&key("large", &[]), 1).is_none());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_misses_of_one_answer_wait_for_one_evaluation() {
        let cache = Arc::new(SavedResults::default());
        let wait = Duration::from_secs(30);
        let Lookup::Evaluate(Some(turn)) = cache.lookup(&key("summary", &[]), 3, wait).await else {
            panic!("the first miss evaluates, holding the turn");
        };
        let waiting: Vec<_> = (0..4)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.lookup(&key("summary", &[]), 3, wait).await })
            })
            .collect();
        // Another answer does not wait for this one.
        assert!(matches!(
            cache.lookup(&key("other", &[]), 3, wait).await,
            Lookup::Evaluate(Some(_))
        ));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(waiting.iter().all(|w| !w.is_finished()), "they wait");
        cache.keep(key("summary", &[]), 3, Bytes::from_static(b"once"));
        drop(turn);
        for w in waiting {
            match w.await.unwrap() {
                Lookup::Kept(body) => assert_eq!(body, "once"),
                Lookup::Evaluate(_) => panic!("a waiting miss evaluated again"),
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn misses_evaluate_themselves_when_nothing_was_kept() {
        let cache = Arc::new(SavedResults::default());
        let wait = Duration::from_secs(30);
        let Lookup::Evaluate(Some(turn)) = cache.lookup(&key("big", &[]), 1, wait).await else {
            panic!("the first miss evaluates");
        };
        let waiting = {
            let cache = cache.clone();
            tokio::spawn(async move { cache.lookup(&key("big", &[]), 1, wait).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(turn); // streamed: nothing kept
        assert!(matches!(waiting.await.unwrap(), Lookup::Evaluate(None)));
        // And a miss waits no longer than it is told.
        let Lookup::Evaluate(Some(_turn)) = cache.lookup(&key("big", &[]), 1, wait).await else {
            panic!("the turn is free again");
        };
        let started = std::time::Instant::now();
        let late = cache
            .lookup(&key("big", &[]), 1, Duration::from_millis(20))
            .await;
        assert!(matches!(late, Lookup::Evaluate(None)));
        assert!(started.elapsed() < wait);
    }

    #[test]
    fn stops_keeping_when_full_until_the_next_revision() {
        let cache = SavedResults::default();
        let big = Bytes::from(vec![0u8; MAX_ENTRY_BYTES]);
        let fit = MAX_BYTES / MAX_ENTRY_BYTES;
        for n in 0..=fit {
            cache.keep(key(&format!("q{n}"), &[]), 1, big.clone());
        }
        assert_eq!(cache.stats().0, fit, "the last would pass the byte bound");
        cache.keep(key("b", &[]), 2, big);
        assert!(cache.get(&key("b", &[]), 2).is_some());
    }
}
