//! Cancels queries that outlive their time limit, and runs other deadline actions (killing a
//! worker process that overran, `worker`). One thread serves every query in the process:
//! spawning a watchdog thread per query cost more than a point lookup's whole evaluation, and
//! registering a query wakes that thread only when the new deadline is the earliest pending one.
//! With one time limit for all queries that is only the first query after an idle spell, and
//! the thread sleeps at least one [`TICK`] between sweeps, so a busy server pays a mutex and a
//! heap push per query and no thread wake-up (BENCHMARKS.md).

use oxigraph::sparql::CancellationToken;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

struct Entry {
    at: Instant,
    action: Action,
    finished: Arc<AtomicBool>,
}

/// What happens at a deadline that was not disarmed in time.
enum Action {
    Cancel(CancellationToken),
    Run(Box<dyn FnOnce() + Send>),
}

impl Action {
    fn fire(self) {
        match self {
            Self::Cancel(token) => token.cancel(),
            Self::Run(action) => action(),
        }
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.at.cmp(&other.at)
    }
}

/// Marks its query finished when dropped, so the deadline passes without cancelling anything.
pub struct Guard(Arc<AtomicBool>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Pending deadlines, earliest first, shared by the registering threads and the timer thread.
#[derive(Default)]
struct Deadlines {
    pending: Mutex<Pending>,
    earlier: Condvar,
}

#[derive(Default)]
struct Pending {
    heap: BinaryHeap<Reverse<Entry>>,
    /// Heap size after the last sweep of finished entries; the next sweep waits until the heap
    /// has doubled, so sweeping costs O(1) per registration however busy the server is.
    swept: usize,
}

/// Cancels `token` after `limit` unless the returned guard was dropped first.
pub fn watch(token: CancellationToken, limit: Duration) -> Guard {
    register(Instant::now() + limit, Action::Cancel(token))
}

/// Runs `action` at `at` unless the returned guard was dropped first. The action runs on the
/// timer thread: keep it short.
pub fn at(at: Instant, action: impl FnOnce() + Send + 'static) -> Guard {
    register(at, Action::Run(Box::new(action)))
}

fn register(at: Instant, action: Action) -> Guard {
    static DEADLINES: OnceLock<Arc<Deadlines>> = OnceLock::new();
    let deadlines = DEADLINES.get_or_init(spawn_timer);
    let finished = Arc::new(AtomicBool::new(false));
    let entry = Entry {
        at,
        action,
        finished: finished.clone(),
    };
    let mut pending = deadlines
        .pending
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let earliest = pending.heap.peek().is_none_or(|Reverse(e)| entry.at < e.at);
    pending.heap.push(Reverse(entry));
    if pending.heap.len() > 2 * pending.swept + 1024 {
        pending
            .heap
            .retain(|Reverse(e)| !e.finished.load(Ordering::Acquire));
        pending.swept = pending.heap.len();
    }
    drop(pending);
    if earliest {
        deadlines.earlier.notify_one();
    }
    Guard(finished)
}

/// The timer thread sleeps at least this long between sweeps. Under steady load the earliest
/// deadline is always about one query away (most entries belong to queries that finished long
/// ago), so sleeping exactly until it woke the thread once per query, which cost a point lookup
/// about 7 % of its CPU (BENCHMARKS.md). A deadline may now fire this much late.
const TICK: Duration = Duration::from_millis(10);

fn spawn_timer() -> Arc<Deadlines> {
    let deadlines = Arc::new(Deadlines::default());
    let shared = deadlines.clone();
    // If the thread cannot be spawned, queries run without a deadline rather than fail; the
    // server's own deadline (server::stream) still answers 503 on time.
    let spawned = std::thread::Builder::new()
        .name("sparql-deadlines".into())
        .spawn(move || {
            let mut pending = shared
                .pending
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            loop {
                let now = Instant::now();
                let mut due = Vec::new();
                while pending.heap.peek().is_some_and(|Reverse(e)| e.at <= now) {
                    let Reverse(entry) = pending.heap.pop().expect("peeked");
                    if !entry.finished.load(Ordering::Acquire) {
                        due.push(entry.action);
                    }
                }
                if !due.is_empty() {
                    // Actions may take locks of their own (a worker's, a slot's): not under ours.
                    drop(pending);
                    due.into_iter().for_each(Action::fire);
                    pending = shared
                        .pending
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                }
                pending.swept = pending.swept.min(pending.heap.len());
                pending = match pending.heap.peek() {
                    Some(Reverse(entry)) => {
                        let wait = (entry.at - now).max(TICK);
                        shared
                            .earlier
                            .wait_timeout(pending, wait)
                            .unwrap_or_else(|poisoned| poisoned.into_inner())
                            .0
                    }
                    None => shared
                        .earlier
                        .wait(pending)
                        .unwrap_or_else(|poisoned| poisoned.into_inner()),
                };
            }
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start the SPARQL deadline thread");
    }
    deadlines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancels_only_queries_still_running_at_their_deadline() {
        let late = CancellationToken::new();
        let done = CancellationToken::new();
        let _running = watch(late.clone(), Duration::from_millis(20));
        drop(watch(done.clone(), Duration::from_millis(10)));
        std::thread::sleep(Duration::from_millis(300));
        assert!(late.is_cancelled());
        assert!(!done.is_cancelled());
    }

    #[test]
    fn actions_run_at_their_deadline_unless_disarmed() {
        let fired = Arc::new(AtomicBool::new(false));
        let kept = Arc::new(AtomicBool::new(false));
        let (f, k) = (fired.clone(), kept.clone());
        let _armed = at(Instant::now() + Duration::from_millis(20), move || {
            f.store(true, Ordering::SeqCst)
        });
        drop(at(Instant::now() + Duration::from_millis(20), move || {
            k.store(true, Ordering::SeqCst)
        }));
        std::thread::sleep(Duration::from_millis(300));
        assert!(fired.load(Ordering::SeqCst));
        assert!(!kept.load(Ordering::SeqCst));
    }

    #[test]
    fn an_earlier_deadline_registered_later_still_fires_on_time() {
        let patient = CancellationToken::new();
        let hasty = CancellationToken::new();
        let _patient = watch(patient.clone(), Duration::from_secs(60));
        let _hasty = watch(hasty.clone(), Duration::from_millis(20));
        // Without a wake-up the timer would sleep towards the 60 s deadline.
        std::thread::sleep(Duration::from_millis(500));
        assert!(hasty.is_cancelled());
        assert!(!patient.is_cancelled());
    }
}
