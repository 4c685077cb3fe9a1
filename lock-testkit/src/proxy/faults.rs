//! The fault switches and counters one proxy shares with all its connections.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Fault settings and statistics, read by every connection on every chunk, so a change takes
/// effect on the next chunk read.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    latency_nanos: AtomicU64,
    blackhole: AtomicBool,
    refuse: AtomicBool,
    commands: Mutex<Commands>,
    replies_dropped: AtomicU64,
}

/// Commands counted over all connections, and which one (by that count) loses its reply.
#[derive(Debug, Default)]
struct Commands {
    seen: u64,
    drop_reply_of: Option<u64>,
}

impl Faults {
    pub(crate) fn latency(&self) -> Duration {
        Duration::from_nanos(self.latency_nanos.load(Ordering::SeqCst))
    }

    pub(crate) fn set_latency(&self, latency: Duration) {
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.latency_nanos.store(nanos, Ordering::SeqCst);
    }

    pub(crate) fn blackholed(&self) -> bool {
        self.blackhole.load(Ordering::SeqCst)
    }

    pub(crate) fn set_blackhole(&self, on: bool) {
        self.blackhole.store(on, Ordering::SeqCst);
    }

    pub(crate) fn refusing(&self) -> bool {
        self.refuse.load(Ordering::SeqCst)
    }

    pub(crate) fn set_refuse(&self, on: bool) {
        self.refuse.store(on, Ordering::SeqCst);
    }

    /// Arms (or with `0` disarms) the reply drop for the `n`-th command from now.
    pub(crate) fn drop_reply_to_command(&self, n: u64) {
        let mut commands = self.commands();
        commands.drop_reply_of = (n > 0).then(|| commands.seen.saturating_add(n));
    }

    /// Counts one command forwarded to the server; `true` when its reply is to be dropped.
    pub(crate) fn count_command(&self) -> bool {
        let mut commands = self.commands();
        commands.seen += 1;
        let hit = commands.drop_reply_of == Some(commands.seen);
        if hit {
            commands.drop_reply_of = None;
        }
        hit
    }

    pub(crate) fn commands_seen(&self) -> u64 {
        self.commands().seen
    }

    pub(crate) fn count_dropped_reply(&self) {
        self.replies_dropped.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn replies_dropped(&self) -> u64 {
        self.replies_dropped.load(Ordering::SeqCst)
    }

    /// No latency, no blackhole, no refusal, no pending reply drop.
    pub(crate) fn heal(&self) {
        self.set_latency(Duration::ZERO);
        self.set_blackhole(false);
        self.set_refuse(false);
        self.drop_reply_to_command(0);
    }

    fn commands(&self) -> MutexGuard<'_, Commands> {
        self.commands.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
