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
    /// The guard's validity deadline, as the library computed it.
    pub deadline: Duration,
    /// When the holder called release (or stopped claiming the lock), if it did.
    pub released: Option<Duration>,
    /// The fencing token, if the backend issues them.
    pub fence: Option<u64>,
}

impl Acquisition {
    /// The claimed ownership interval: `[ok, min(released, deadline))`.
    pub fn claim(&self) -> (Duration, Duration) {
        let end = self.released.map_or(self.deadline, |r| r.min(self.deadline));
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
            fence: guard.fencing_token().map(|f| f.get()),
        };
        let mut all = self.acquisitions.lock().unwrap_or_else(|e| e.into_inner());
        all.push(acquisition);
        SpanId(all.len() - 1)
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
