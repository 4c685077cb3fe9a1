//! [`MemoryBackend`]'s fair locks: a queue of waiting tokens per key, the lock handed to the
//! first live waiter by the release.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::backend::State;
use crate::backend::{AcquireOutcome, ReleaseOutcome};
use crate::key::LockKey;
use crate::token::LockToken;

/// A queued token.
#[derive(Debug)]
pub(super) struct Waiter {
    token: LockToken,
    /// Dropped from the queue at this instant unless its token asks again (FA4).
    expires: Instant,
    /// The ttl a handoff grants: the waiter's own, at most its queue ttl.
    handoff_ttl: Duration,
}

/// The key's queue with expired waiters dropped.
fn live_queue<'a>(state: &'a mut State, key: &LockKey, now: Instant) -> &'a mut VecDeque<Waiter> {
    let queue = state.queues.entry(key.clone()).or_default();
    queue.retain(|w| w.expires > now);
    queue
}

impl Waiter {
    pub(super) fn expires(&self) -> Instant {
        self.expires
    }
}

impl State {
    /// Takes `token` out of `key`'s queue.
    fn dequeue(&mut self, key: &LockKey, token: &LockToken) {
        if let Some(queue) = self.queues.get_mut(key) {
            queue.retain(|w| w.token != *token);
            if queue.is_empty() {
                self.queues.remove(key);
            }
        }
    }

    /// Grants the free `key` to its first live waiter, if any, and wakes the watchers (FR1).
    /// Returns the ttl granted.
    fn hand_over(&mut self, key: &LockKey, now: Instant) -> Option<Duration> {
        let head = live_queue(self, key, now).pop_front()?;
        self.acquire(key, &head.token, head.handoff_ttl, now);
        self.wake(key);
        Some(head.handoff_ttl)
    }

    pub(super) fn acquire_fair(
        &mut self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
        queue_ttl: Duration,
        now: Instant,
    ) -> AcquireOutcome {
        let holder = self.live(key, now).map(|e| (e.token == *token, e.expires - now));
        let ttl_remaining = match holder {
            Some((true, _)) => {
                self.dequeue(key, token);
                return self.acquire(key, token, ttl, now);
            }
            Some((false, left)) => left,
            None => {
                let first = live_queue(self, key, now).front().map(|w| w.token.clone());
                if first.is_none_or(|t| t == *token) {
                    self.dequeue(key, token);
                    return self.acquire(key, token, ttl, now);
                }
                self.hand_over(key, now).unwrap_or_default()
            }
        };
        let queue = live_queue(self, key, now);
        let (expires, handoff_ttl) = (now + queue_ttl, ttl.min(queue_ttl));
        match queue.iter_mut().find(|w| w.token == *token) {
            Some(waiter) => {
                waiter.expires = expires;
                waiter.handoff_ttl = handoff_ttl;
            }
            None => queue.push_back(Waiter { token: token.clone(), expires, handoff_ttl }),
        }
        AcquireOutcome::Held { ttl_remaining: Some(ttl_remaining) }
    }

    pub(super) fn release_fair(
        &mut self,
        key: &LockKey,
        token: &LockToken,
        now: Instant,
    ) -> ReleaseOutcome {
        self.dequeue(key, token);
        let outcome = self.release(key, token, now);
        if outcome == ReleaseOutcome::Released {
            self.hand_over(key, now);
        }
        if self.queues.get(key).is_some_and(VecDeque::is_empty) {
            self.queues.remove(key);
        }
        outcome
    }
}
