//! `History`: what every client did and when, on one monotonic clock.

use std::sync::Mutex;
use std::time::Duration;

use lock_core::LockHandle;
use tokio::time::Instant;

/// One successful acquisition and the interval in which its holder claimed the lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acquisition {
    /// Which client.
    pub client: usize,
    /// When the acquire was called.
    pub invoked: Duration,
    /// When it returned the guard: the claimed interval starts here.
    pub ok: Duration,
    /// The last validity deadline the guard reported while it said it was valid: the one
    /// computed at acquisition, moved by every [`History::observe`] that found the guard valid
    /// (auto-refresh and `extend` move it).
    pub deadline: Duration,
    /// When the holder called release (or stopped claiming the lock), if it did.
    pub released: Option<Duration>,
    /// When the holder saw `lost()` fire (or found the guard invalid), if it did.
    pub lost: Option<Duration>,
    /// The fencing token, if the backend issues them.
    pub fence: Option<u64>,
}

impl Acquisition {
    /// The claimed ownership interval: `[ok, min(released, deadline, lost))`.
    pub fn claim(&self) -> (Duration, Duration) {
        let end =
            [self.released, self.lost].into_iter().flatten().fold(self.deadline, Duration::min);
        (self.ok, end)
    }
}

/// Identifies an acquisition in a [`History`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpanId(usize);

/// Records acquisitions (on tokio's clock, so every client of a test shares one monotonic
/// clock) plus counters of failed and ambiguous operations.
#[derive(Debug)]
pub struct History {
    base: Instant,
    acquisitions: Mutex<Vec<Acquisition>>,
}

impl Default for History {
    fn default() -> Self {
        Self::new()
    }
}

impl History {
    /// An empty history; its clock starts now.
    pub fn new() -> Self {
        Self { base: Instant::now(), acquisitions: Mutex::new(Vec::new()) }
    }

    /// Time since the history started.
    pub fn now(&self) -> Duration {
        self.base.elapsed()
    }

    fn at(&self, instant: Instant) -> Duration {
        instant.saturating_duration_since(self.base)
    }

    /// Records that `client`, which called acquire at `invoked`, now holds `guard`.
    pub fn acquired(&self, client: usize, invoked: Duration, guard: &LockHandle) -> SpanId {
        let acquisition = Acquisition {
            client,
            invoked,
            ok: self.now(),
            deadline: self.at(guard.deadline()),
            released: None,
            lost: None,
            fence: guard.fencing_token().map(|f| f.get()),
        };
        let mut all = self.acquisitions.lock().unwrap_or_else(|e| e.into_inner());
        all.push(acquisition);
        SpanId(all.len() - 1)
    }

    /// Records an acquisition made up by a scripted scenario (a holder that acted without
    /// looking at any guard, say), as is.
    pub fn record(&self, acquisition: Acquisition) -> SpanId {
        let mut all = self.acquisitions.lock().unwrap_or_else(|e| e.into_inner());
        all.push(acquisition);
        SpanId(all.len() - 1)
    }

    /// Asks `guard` whether it is still valid; if it is, the deadline it reported (read first)
    /// becomes the end of `span`'s claim, so a claim follows the deadline as auto-refresh or
    /// `extend` moves it. If it is not, records the loss now. Returns the guard's answer.
    ///
    /// The deadline is read before the validity: a guard that says it is valid vouches for a
    /// deadline at least as late as the one read.
    pub fn observe(&self, span: SpanId, guard: &LockHandle) -> bool {
        let deadline = self.at(guard.deadline());
        let valid = guard.is_valid();
        if valid {
            let mut all = self.acquisitions.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(a) = all.get_mut(span.0) {
                a.deadline = deadline;
            }
        } else {
            self.lost(span);
        }
        valid
    }

    /// Records that the holder of `span` claims the lock until `until` at the most: it is about
    /// to extend to a ttl shorter than its guard has left (the guard's deadline moves there as
    /// the extension is sent, before any answer).
    pub fn bound(&self, span: SpanId, until: Instant) {
        let until = self.at(until);
        let mut all = self.acquisitions.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(a) = all.get_mut(span.0) {
            a.deadline = a.deadline.min(until);
        }
    }

    /// Records that the holder of `span` learnt now that its lock was lost (`lost()` fired);
    /// only the first loss counts.
    pub fn lost(&self, span: SpanId) {
        let now = self.now();
        let mut all = self.acquisitions.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(a) = all.get_mut(span.0) {
            a.lost.get_or_insert(now);
        }
    }

    /// Records that `span` goes on with an earlier claim's grant (an adopted hold that kept its
    /// fencing token): its fence is not a new grant, so the fence checks leave it out.
    pub fn continues_a_grant(&self, span: SpanId) {
        let mut all = self.acquisitions.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(a) = all.get_mut(span.0) {
            a.fence = None;
        }
    }

    /// The acquisition recorded as `span`.
    pub fn get(&self, span: SpanId) -> Option<Acquisition> {
        self.acquisitions.lock().unwrap_or_else(|e| e.into_inner()).get(span.0).cloned()
    }

    /// Records that the holder of `span` stopped claiming the lock (called release) now.
    pub fn released(&self, span: SpanId) {
        let now = self.now();
        let mut all = self.acquisitions.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(a) = all.get_mut(span.0) {
            a.released = Some(now);
        }
    }

    /// Every acquisition so far.
    pub fn acquisitions(&self) -> Vec<Acquisition> {
        self.acquisitions.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// How many acquisitions were recorded.
    pub fn len(&self) -> usize {
        self.acquisitions.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use lock_core::{LockManager, MemoryBackend};

    use super::History;

    #[tokio::test]
    async fn an_observed_claim_follows_the_refreshed_deadline_and_ends_at_the_loss() {
        let locks = LockManager::builder(MemoryBackend::new()).build().expect("manager");
        let ttl = Duration::from_millis(60);
        let guard = locks.lock("k").ttl(ttl).auto_refresh().acquire().await.expect("acquired");
        let history = History::new();
        let span = history.acquired(0, Duration::ZERO, &guard);
        let first = history.get(span).expect("recorded").deadline;
        tokio::time::sleep(ttl * 3).await;
        assert!(history.observe(span, &guard));
        let moved = history.get(span).expect("recorded").deadline;
        assert!(moved >= first + ttl * 2, "deadline {first:?} was not moved on ({moved:?})");
        let handle = guard.handle();
        drop(guard.release().await);
        assert!(!history.observe(span, &handle), "a released guard still says it is valid");
        let a = history.get(span).expect("recorded");
        assert_eq!(a.deadline, moved, "an invalid guard's deadline was taken");
        assert!(a.lost.is_some() && a.claim().1 <= moved);
    }
}
