//! Evaluation slots shared fairly between clients.
//!
//! At most `capacity` evaluations run at once, and at most `per_client` of them for one client
//! (address). A query that finds no slot waits, up to a limit; when a slot frees, it goes to the
//! waiting query whose client runs the fewest evaluations (the oldest among equals), so one
//! client with many queries cannot starve another with few. A client with `max_queued` queries
//! already waiting is refused at once.
//!
//! An evaluation still running past its deadline gives its place in `capacity` back
//! ([`Slot::overrun`]) but keeps counting against its own client's `per_client` until it ends:
//! runaway queries stop counting against well-behaved clients and keep counting against the
//! client that sent them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// Who a query is counted against: an IPv4 address, or an IPv6 /64 (one subscriber's prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    pub fn of(address: IpAddr) -> Self {
        match address {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    Self(IpAddr::V6(prefix.into()))
                }
            },
            v4 => Self(v4),
        }
    }

    /// Requests without a peer address (in-process callers) share one key.
    pub fn unknown() -> Self {
        Self(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }
}

impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
            v4 => write!(f, "{v4}"),
        }
    }
}

/// Why no slot was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No slot freed within the wait.
    Busy,
    /// The client already has the most queries waiting that it may.
    Queued,
}

pub struct Slots {
    capacity: usize,
    per_client: usize,
    max_queued: usize,
    state: Mutex<State>,
    refused_busy: AtomicU64,
    refused_queued: AtomicU64,
}

#[derive(Default)]
struct State {
    /// Evaluations holding a place in `capacity`.
    running: usize,
    clients: HashMap<ClientKey, Counts>,
    waiting: Vec<Waiter>,
    next: u64,
}

#[derive(Default)]
struct Counts {
    /// Evaluations of this client, overrunning ones included.
    running: usize,
    waiting: usize,
}

struct Waiter {
    client: ClientKey,
    ticket: u64,
    grant: oneshot::Sender<Slot>,
}

/// Snapshot for `/metrics`.
#[derive(Debug, Clone, Copy)]
pub struct SlotStats {
    pub running: usize,
    pub waiting: usize,
    pub refused_busy: u64,
    pub refused_queued: u64,
}

impl Slots {
    pub fn new(capacity: usize, per_client: usize, max_queued: usize) -> Arc<Self> {
        Arc::new(Self {
            capacity: capacity.max(1),
            per_client: per_client.clamp(1, capacity.max(1)),
            max_queued,
            state: Mutex::new(State::default()),
            refused_busy: AtomicU64::new(0),
            refused_queued: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn stats(&self) -> SlotStats {
        let state = self.lock();
        SlotStats {
            running: state.running,
            waiting: state.waiting.len(),
            refused_busy: self.refused_busy.load(Ordering::Relaxed),
            refused_queued: self.refused_queued.load(Ordering::Relaxed),
        }
    }

    /// A slot for `client`, waiting up to `wait` behind other clients' queries.
    pub async fn acquire(
        self: &Arc<Self>,
        client: ClientKey,
        wait: Duration,
    ) -> Result<Slot, Refusal> {
        let receiver = {
            let mut state = self.lock();
            let counts = state.clients.entry(client).or_default();
            let (client_free, queued) = (counts.running < self.per_client, counts.waiting);
            // Nobody waiting ahead: take it at once.
            if client_free && state.running < self.capacity && state.waiting.is_empty() {
                return Ok(self.grant(&mut state, client));
            }
            if queued >= self.max_queued {
                self.refused_queued.fetch_add(1, Ordering::Relaxed);
                return Err(Refusal::Queued);
            }
            state.clients.entry(client).or_default().waiting += 1;
            let (grant, receiver) = oneshot::channel();
            let ticket = state.next;
            state.next += 1;
            state.waiting.push(Waiter {
                client,
                ticket,
                grant,
            });
            let handed = self.dispatch(&mut state);
            drop(state);
            deliver(handed);
            Waiting {
                slots: self.clone(),
                ticket,
                receiver: Some(receiver),
            }
        };
        let mut waiting = receiver;
        let received = waiting.receiver.as_mut().expect("set above");
        match tokio::time::timeout(wait, received).await {
            Ok(Ok(slot)) => {
                waiting.receiver = None;
                Ok(slot)
            }
            _ => {
                self.refused_busy.fetch_add(1, Ordering::Relaxed);
                Err(Refusal::Busy)
            }
        }
    }

    fn grant(self: &Arc<Self>, state: &mut State, client: ClientKey) -> Slot {
        state.running += 1;
        state.clients.entry(client).or_default().running += 1;
        Slot {
            slots: self.clone(),
            client,
            holds_capacity: true,
        }
    }

    /// Hands free capacity to waiting queries, fewest running evaluations of their client
    /// first. Returns the grants to deliver once the lock is released.
    fn dispatch(self: &Arc<Self>, state: &mut State) -> Vec<(oneshot::Sender<Slot>, Slot)> {
        let mut handed = Vec::new();
        while state.running < self.capacity {
            let best = state
                .waiting
                .iter()
                .enumerate()
                .filter(|(_, w)| {
                    state
                        .clients
                        .get(&w.client)
                        .is_none_or(|c| c.running < self.per_client)
                })
                .min_by_key(|(_, w)| {
                    let running = state.clients.get(&w.client).map_or(0, |c| c.running);
                    (running, w.ticket)
                })
                .map(|(i, _)| i);
            let Some(i) = best else { break };
            let waiter = state.waiting.swap_remove(i);
            if let Some(counts) = state.clients.get_mut(&waiter.client) {
                counts.waiting -= 1;
            }
            let slot = self.grant(state, waiter.client);
            handed.push((waiter.grant, slot));
        }
        handed
    }

    fn release(self: &Arc<Self>, client: ClientKey, holds_capacity: bool) {
        let mut state = self.lock();
        if holds_capacity {
            state.running -= 1;
        }
        if let Some(counts) = state.clients.get_mut(&client) {
            counts.running -= 1;
            if counts.running == 0 && counts.waiting == 0 {
                state.clients.remove(&client);
            }
        }
        let handed = self.dispatch(&mut state);
        drop(state);
        deliver(handed);
    }

    fn give_back_capacity(self: &Arc<Self>) {
        let mut state = self.lock();
        state.running -= 1;
        let handed = self.dispatch(&mut state);
        drop(state);
        deliver(handed);
    }
}

/// Sends grants outside the lock; a grant whose waiter gave up comes back and is released.
fn deliver(handed: Vec<(oneshot::Sender<Slot>, Slot)>) {
    for (grant, slot) in handed {
        // A refused send returns the slot, whose drop releases it (and dispatches again).
        let _ = grant.send(slot);
    }
}

/// A query waiting for a slot; leaving (timeout, or the request dropped) removes it.
struct Waiting {
    slots: Arc<Slots>,
    ticket: u64,
    receiver: Option<oneshot::Receiver<Slot>>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if self.receiver.is_none() {
            return;
        }
        let mut state = self.slots.lock();
        if let Some(i) = state.waiting.iter().position(|w| w.ticket == self.ticket) {
            let waiter = state.waiting.swap_remove(i);
            if let Some(counts) = state.clients.get_mut(&waiter.client) {
                counts.waiting -= 1;
                if counts.running == 0 && counts.waiting == 0 {
                    state.clients.remove(&waiter.client);
                }
            }
        }
        // A slot granted just before we left is in the channel: dropped with it, it releases.
    }
}

/// One evaluation's place; released when dropped.
pub struct Slot {
    slots: Arc<Slots>,
    client: ClientKey,
    holds_capacity: bool,
}

impl Slot {
    /// The evaluation ran past its deadline: its place in the shared capacity goes to others,
    /// while it still counts against its own client until it ends.
    pub fn overrun(&mut self) {
        if std::mem::take(&mut self.holds_capacity) {
            self.slots.give_back_capacity();
        }
    }

    #[cfg(test)]
    pub fn client(&self) -> ClientKey {
        self.client
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.release(self.client, self.holds_capacity);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(last: u8) -> ClientKey {
        ClientKey::of(IpAddr::from([127, 0, 0, last]))
    }

    #[tokio::test]
    async fn a_client_at_its_limit_waits_while_another_client_passes() {
        let slots = Slots::new(4, 2, 8);
        let wait = Duration::from_millis(50);
        let a1 = slots.acquire(key(2), wait).await.unwrap();
        let _a2 = slots.acquire(key(2), wait).await.unwrap();
        // The third from the same client waits, and gives up when nothing frees.
        assert_eq!(slots.acquire(key(2), wait).await.err(), Some(Refusal::Busy));
        // Another client gets a slot at once.
        let b = slots.acquire(key(3), wait).await.unwrap();
        drop(b);
        drop(a1);
        let _again = slots.acquire(key(2), wait).await.unwrap();
        assert_eq!(slots.stats().running, 2);
    }

    #[tokio::test]
    async fn a_freed_slot_goes_to_the_client_running_fewest() {
        let slots = Slots::new(2, 2, 8);
        let long = Duration::from_secs(5);
        let a1 = slots.acquire(key(2), long).await.unwrap();
        let _a2 = slots.acquire(key(2), long).await.unwrap();
        // Full. Client 2 queues first, client 3 second.
        let heavy = tokio::spawn({
            let slots = slots.clone();
            async move { slots.acquire(key(2), long).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let light = tokio::spawn({
            let slots = slots.clone();
            async move { slots.acquire(key(3), long).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(a1);
        // Client 3 runs nothing, client 2 runs one: client 3 goes first despite queueing later.
        let granted = light.await.unwrap().unwrap();
        assert_eq!(granted.client(), key(3));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!heavy.is_finished());
        // Its turn comes when a slot frees.
        drop(granted);
        assert_eq!(heavy.await.unwrap().unwrap().client(), key(2));
    }

    #[tokio::test]
    async fn overrunning_evaluations_free_capacity_but_not_their_clients_share() {
        let slots = Slots::new(2, 2, 8);
        let wait = Duration::from_millis(50);
        let mut a1 = slots.acquire(key(2), wait).await.unwrap();
        let mut a2 = slots.acquire(key(2), wait).await.unwrap();
        a1.overrun();
        a2.overrun();
        // Capacity is free for others…
        let _b1 = slots.acquire(key(3), wait).await.unwrap();
        let _b2 = slots.acquire(key(3), wait).await.unwrap();
        // …but the overrunning client is still at its own limit.
        assert_eq!(slots.acquire(key(2), wait).await.err(), Some(Refusal::Busy));
        drop(a1);
        drop(a2);
        assert_eq!(slots.stats().running, 2);
    }

    #[tokio::test]
    async fn a_full_queue_is_refused_at_once() {
        let slots = Slots::new(1, 1, 1);
        let long = Duration::from_secs(5);
        let _held = slots.acquire(key(2), long).await.unwrap();
        let queued = tokio::spawn({
            let slots = slots.clone();
            async move { slots.acquire(key(2), long).await.is_ok() }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(
            slots.acquire(key(2), long).await.err(),
            Some(Refusal::Queued)
        );
        queued.abort();
        let _ = queued.await;
        // The aborted waiter left the queue.
        assert_eq!(slots.stats().waiting, 0);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_prefix() {
        let a: IpAddr = "2001:db8:1:2::10".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::10".parse().unwrap();
        assert_eq!(ClientKey::of(a), ClientKey::of(b));
        assert_ne!(ClientKey::of(a), ClientKey::of(c));
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert_eq!(
            ClientKey::of(mapped),
            ClientKey::of(IpAddr::from([10, 1, 2, 3]))
        );
    }
}
