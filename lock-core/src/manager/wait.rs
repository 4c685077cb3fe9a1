//! The one bounded wait every acquire shares: a single lock of any kind, and a lock set.
//!
//! A waiter refused by the store pauses before its next counted attempt. The pause is the retry
//! policy's delay, cut short by the wait deadline, by one look when the holder's ttl runs out,
//! and by the key's release watch. Every call the wait makes (a subscription, a look) is bounded
//! by the manager's call timeout and by the deadline, so nothing waits past it.
//!
//! What differs between kinds is asked of the request's [`Line`], never branched on here: where
//! its turn is kept (this manager's local queue, or the store's own queue for a fair lock), and
//! so whether it watches before its first attempt, how long it may pause, and whether its watch
//! belongs to its token.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::queue::Lane;
use crate::backend::{DynLockBackend, ReleaseWatch};
use crate::call_timeout::{earliest, until};
use crate::key::LockKey;
use crate::retry::{MIN_RETRY_DELAY, RetryPolicy};

/// Where a waiter's turn is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// Behind this manager's earlier waiters for the key, in the given lane of its local queue
    /// (see `queue`); the store has no queue, so waiters of other processes are not ordered.
    Local(Lane),
    /// In the store's own queue (a fair lock), which orders every process's waiters; the
    /// store's watch fires for this token's turn.
    Store,
}

impl Line {
    /// The local queue lane the waiter joins, when its turn is kept here.
    pub(crate) fn lane(self) -> Option<Lane> {
        match self {
            Self::Local(lane) => Some(lane),
            Self::Store => None,
        }
    }

    /// Whether the watch is for this token's turn in the store's queue: registered before the
    /// first attempt (so a handoff right after it cannot be missed and needs no second look),
    /// not renewed on a wake-up (the waiter looks at once, and watches again only if the look
    /// finds it still waiting), and forgotten when the token changes (the old token's turn never
    /// comes).
    pub(crate) fn watch_is_the_tokens(self) -> bool {
        self == Self::Store
    }

    /// How long to pause after a refused attempt, given the policy's `delay`. A waiter watching
    /// for its own turn has nothing to gain from looking before it, except renewing its place in
    /// the store's queue before that lapses (and the hint of a holder whose ttl ran out).
    fn pause(self, delay: Duration, watching: bool) -> Duration {
        match self {
            Self::Local(_) => delay,
            Self::Store => {
                let delay = if watching { Duration::MAX } else { delay };
                delay.min(crate::lease::FAIR_QUEUE_TTL / 3)
            }
        }
    }
}

/// The state of one acquire's wait between its attempts.
pub(crate) struct Wait {
    store: Arc<DynLockBackend>,
    call_timeout: Duration,
    /// Whether the store has release notification (and the policy may retry at all).
    notify: bool,
    /// Whether an attempt (not a read) follows each watch: the watch is then the store's
    /// `watch_before_attempt`, which a store that learns of waiters from refused attempts
    /// registers without a round trip of its own.
    attempt_follows: bool,
    /// When the wait ends, whatever else happens.
    deadline: Option<Instant>,
    /// A watch on the key's release, registered before the last look at the key.
    watch: Option<ReleaseWatch>,
    /// The end of the backoff after the last counted attempt, while it runs.
    backoff_until: Option<Instant>,
    /// A look within that backoff, when the holder's reported ttl runs out. It does not count
    /// as an attempt and never shortens the policy's spacing. A look refused with a ttl again
    /// sets the next hint (a quorum's nodes expire milliseconds apart), each at least twice as
    /// far as the one before: a store may report no time left for a lock that stays held (A2
    /// says only "at most"), and then costs a few looks per backoff, not one a millisecond.
    hint_at: Option<Instant>,
    /// The hinted looks made within the running backoff.
    hinted_looks: u32,
    /// When the store was last asked.
    last_call: Instant,
    /// When the store was last asked right after a wake-up: the next such look comes at least
    /// [`MIN_RETRY_DELAY`] later, so a watch that keeps firing for nothing costs at most one look
    /// a millisecond, while the first look after a real release goes out at once.
    last_woken_look: Option<Instant>,
}

impl Wait {
    /// A wait that started at `started`, bounded as `policy` says. `attempt_follows`: every
    /// watch is followed by an attempt at its key (a single lock's wait), not by a read (a lock
    /// set's, which reads its blocker after a wake-up).
    pub(crate) fn new(
        store: Arc<DynLockBackend>,
        policy: &RetryPolicy,
        call_timeout: Duration,
        started: Instant,
        attempt_follows: bool,
    ) -> Self {
        let notify = store.info().capabilities.release_notify && policy.may_retry();
        Self {
            store,
            call_timeout,
            notify,
            attempt_follows,
            deadline: policy.wait_limit().and_then(|w| started.checked_add(w)),
            watch: None,
            backoff_until: None,
            hint_at: None,
            hinted_looks: 0,
            last_call: started,
            last_woken_look: None,
        }
    }

    /// When the wait ends, if it is bounded.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Whether the deadline has come.
    pub(crate) fn is_over(&self, now: Instant) -> bool {
        self.deadline.is_some_and(|d| now >= d)
    }

    /// The bound on one call made for the wait: the call timeout, and the deadline.
    pub(crate) fn call_limit(&self) -> Instant {
        earliest(self.deadline, Instant::now() + self.call_timeout)
    }

    /// Whether a release watch is registered.
    pub(crate) fn is_watching(&self) -> bool {
        self.watch.is_some()
    }

    /// Drops the release watch (its key or its token is no longer waited for).
    pub(crate) fn forget_watch(&mut self) {
        self.watch = None;
    }

    /// A counted attempt is about to be sent: the backoff after the previous one is over.
    pub(crate) fn counted(&mut self) {
        self.backoff_until = None;
        self.hint_at = None;
        self.hinted_looks = 0;
    }

    /// The store is asked now (an attempt, counted or not); returns the instant.
    pub(crate) fn asking(&mut self) -> Instant {
        self.last_call = Instant::now();
        self.last_call
    }

    /// Registers a watch on `key`'s release when the store has release notification, bounded
    /// by the call timeout and the deadline. Returns whether it did; without one the wait polls.
    pub(crate) async fn watch(&mut self, key: &LockKey) -> bool {
        if !self.notify {
            return false;
        }
        let watch = if self.attempt_follows {
            until(Some(self.call_limit()), self.store.watch_before_attempt(key)).await
        } else {
            until(Some(self.call_limit()), self.store.watch_release(key)).await
        };
        match watch {
            Some(Ok(watch)) => {
                self.watch = Some(watch);
                true
            }
            Some(Err(e)) => {
                tracing::debug!(key = %key, error = %e, "release notification unavailable; polling");
                false
            }
            None => {
                tracing::debug!(key = %key, "subscribing for release notification took too long; polling");
                false
            }
        }
    }

    /// Decides the backoff after a counted attempt, once per attempt: the policy's `delay` as
    /// `line` shapes it (at least [`MIN_RETRY_DELAY`]), with a look when the holder's reported
    /// ttl (`holder_ttl`) runs out before its end. After a look within the backoff, only the
    /// next look is set, by the ttl that look was refused with (see `hint_at`). `held`: the
    /// attempt was refused, so the pause will wait on the watch too.
    pub(crate) fn back_off(
        &mut self,
        now: Instant,
        line: Line,
        delay: Duration,
        held: bool,
        holder_ttl: Option<Duration>,
    ) {
        let until = match self.backoff_until {
            Some(until) => {
                self.hinted_looks = self.hinted_looks.saturating_add(1);
                until
            }
            None => {
                let until =
                    now + line.pause(delay, held && self.is_watching()).max(MIN_RETRY_DELAY);
                self.backoff_until = Some(until);
                until
            }
        };
        let spacing = MIN_RETRY_DELAY.saturating_mul(1 << self.hinted_looks.min(20));
        self.hint_at = holder_ttl
            .map(|holder| now + holder.max(spacing) + MIN_RETRY_DELAY)
            .filter(|at| *at < until);
    }

    /// Waits until the backoff ends, the deadline comes, the hint's look is due, or (when
    /// `watched`) the release watch fires. Returns `true` when the next look is not a counted
    /// attempt: a wake-up or a hint within the backoff. A look that falls at or after the
    /// backoff's end is the next counted attempt, so wake-ups racing the timer cannot stretch
    /// the policy's spacing.
    ///
    /// On a wake-up (a release, or a spurious one), the watch on `rewatch` is registered again
    /// before the look, so no wake-up can slip by; the fired watch is dropped only after, so a
    /// store sharing one subscription per key keeps it (no round trip). Looks after wake-ups
    /// stay at least [`MIN_RETRY_DELAY`] apart; the first one after a release is not delayed.
    pub(crate) async fn pause(&mut self, watched: bool, rewatch: Option<&LockKey>) -> bool {
        let backoff_until = self.backoff_until.unwrap_or_else(Instant::now);
        let hinted = self.hint_at.map(|at| at.max(self.last_call + MIN_RETRY_DELAY));
        let wake_at =
            earliest(self.deadline, hinted.map_or(backoff_until, |at| at.min(backoff_until)));
        let woken = match self.watch.as_mut() {
            Some(watch) if watched => {
                // The timer first: once it is due, a watch that fires at the same time (or
                // keeps firing for nothing) does not hold the wait past it.
                tokio::select! {
                    biased;
                    () = tokio::time::sleep_until(wake_at) => false,
                    () = watch => true,
                }
            }
            _ => {
                tokio::time::sleep_until(wake_at).await;
                false
            }
        };
        if !woken {
            // The holder's ttl ran out before the backoff's end: one look, not counted.
            return self.hint_at.take().is_some() && Instant::now() < backoff_until;
        }
        let fired = self.watch.take();
        if let Some(key) = rewatch {
            self.watch(key).await;
        }
        drop(fired);
        if let Some(last) = self.last_woken_look {
            let earliest_look = last + MIN_RETRY_DELAY;
            if Instant::now() < earliest_look {
                tokio::time::sleep_until(earliest(self.deadline, earliest_look)).await;
            }
        }
        self.last_woken_look = Some(Instant::now());
        Instant::now() < backoff_until
    }
}
