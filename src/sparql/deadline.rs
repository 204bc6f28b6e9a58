//! Cancels queries that outlive their time limit. One thread serves every query in the process:
//! spawning a watchdog thread per query cost more than a point lookup's whole evaluation.

use oxigraph::sparql::CancellationToken;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

struct Entry {
    at: Instant,
    token: CancellationToken,
    finished: Arc<AtomicBool>,
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

/// Cancels `token` after `limit` unless the returned guard was dropped first.
pub fn watch(token: CancellationToken, limit: Duration) -> Guard {
    static TIMER: OnceLock<Sender<Entry>> = OnceLock::new();
    let finished = Arc::new(AtomicBool::new(false));
    let entry = Entry {
        at: Instant::now() + limit,
        token,
        finished: finished.clone(),
    };
    // The timer thread only ends with the process, so a failed send cannot happen in practice;
    // if it ever did, the query would run without a deadline rather than fail.
    let _ = TIMER.get_or_init(spawn_timer).send(entry);
    Guard(finished)
}

fn spawn_timer() -> Sender<Entry> {
    let (sender, receiver) = mpsc::channel::<Entry>();
    std::thread::Builder::new()
        .name("sparql-deadlines".into())
        .spawn(move || {
            let mut pending: BinaryHeap<Reverse<Entry>> = BinaryHeap::new();
            loop {
                let now = Instant::now();
                while pending.peek().is_some_and(|Reverse(e)| e.at <= now) {
                    let Reverse(entry) = pending.pop().expect("peeked");
                    if !entry.finished.load(Ordering::Acquire) {
                        entry.token.cancel();
                    }
                }
                // Finished entries are dropped early so a busy server does not hoard them.
                if pending.len() > 1024 {
                    pending.retain(|Reverse(e)| !e.finished.load(Ordering::Acquire));
                }
                let next = match pending.peek() {
                    Some(Reverse(entry)) => receiver.recv_timeout(entry.at - now),
                    None => receiver.recv().map_err(|_| RecvTimeoutError::Disconnected),
                };
                match next {
                    Ok(entry) => pending.push(Reverse(entry)),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        })
        .expect("spawn the SPARQL deadline thread");
    sender
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
}
