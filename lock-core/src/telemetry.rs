//! Spans, events and metrics, in one place. Spans are at `debug` and events of normal operation
//! at `debug` or `trace`, so they stay quiet unless asked for; losses are `warn`. Keys are
//! printed (escaped); tokens never are. With the `metrics` feature, every function here also
//! records a metric through the `metrics` facade:
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `lock_acquire_duration_seconds` | histogram: time from the acquire call to its answer | `backend`, `outcome` (`acquired`, `not_acquired`, `error`) |
//! | `lock_wait_duration_seconds` | histogram: time waited before a contended lock was acquired | `backend` |
//! | `lock_contended_total` | counter: attempts that found the lock held | `backend` |
//! | `lock_refresh_failures_total` | counter: auto-refresh extensions that failed | `backend` |
//! | `lock_lost_total` | counter: guards that stopped holding their lock | `backend`, `reason` |
//! | `lock_hold_duration_seconds` | histogram: time from acquisition to release or loss | `backend` |

use std::time::Duration;

use tokio::time::Instant;

use tracing::Span;
use tracing::field::Empty;

use crate::error::LossReason;
use crate::key::LockKey;

/// How an acquire ended.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Acquired {
    Yes,
    No,
    Error,
}

impl Acquired {
    fn label(self) -> &'static str {
        match self {
            Self::Yes => "acquired",
            Self::No => "not_acquired",
            Self::Error => "error",
        }
    }
}

pub(crate) fn acquire_span(key: &LockKey, backend: &'static str) -> Span {
    tracing::debug_span!("lock.acquire", key = %key, backend, attempts = Empty, waited_ms = Empty, outcome = Empty)
}

/// Records the end of an acquire on the current span and in the metrics.
pub(crate) fn acquire_finished(
    backend: &'static str,
    outcome: Acquired,
    attempts: u32,
    elapsed: Duration,
    waited: Duration,
) {
    let span = Span::current();
    span.record("attempts", attempts);
    span.record("waited_ms", waited.as_millis() as u64);
    span.record("outcome", outcome.label());
    #[cfg(feature = "metrics")]
    {
        metrics::histogram!("lock_acquire_duration_seconds", "backend" => backend, "outcome" => outcome.label())
            .record(elapsed.as_secs_f64());
        if matches!(outcome, Acquired::Yes) && attempts > 1 {
            metrics::histogram!("lock_wait_duration_seconds", "backend" => backend)
                .record(waited.as_secs_f64());
        }
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (backend, elapsed);
}

/// An attempt found the lock held.
pub(crate) fn contended(backend: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("lock_contended_total", "backend" => backend).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = backend;
}

/// An auto-refresh extension failed (and will be retried, or the lock is lost).
pub(crate) fn refresh_failed(backend: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("lock_refresh_failures_total", "backend" => backend).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = backend;
}

fn reason_label(reason: LossReason) -> &'static str {
    match reason {
        LossReason::Expired => "expired",
        LossReason::NotHeld => "not_held",
        LossReason::Released => "released",
        LossReason::Upgraded => "upgraded",
        LossReason::MaxHoldReached => "max_hold",
        LossReason::Backend(_) => "backend_error",
    }
}

/// A guard stopped holding its lock (released, or lost); it was acquired at `acquired_at`. The
/// clock is read for how long it was held only by an enabled event, and by the `metrics`
/// feature's histogram when that feature is on.
pub(crate) fn ended(
    key: &LockKey,
    backend: &'static str,
    reason: LossReason,
    acquired_at: Instant,
    refreshed: bool,
) {
    match reason {
        LossReason::Released | LossReason::Upgraded => {
            tracing::trace!(key = %key, held_ms = millis_since(acquired_at), reason = %reason, "lock released")
        }
        // A lock without auto-refresh is expected to run out; one with it is not.
        LossReason::Expired if !refreshed => tracing::debug!(key = %key, "lock validity ran out"),
        _ => {
            tracing::warn!(key = %key, reason = %reason, held_ms = millis_since(acquired_at), "lock lost")
        }
    }
    #[cfg(feature = "metrics")]
    {
        metrics::histogram!("lock_hold_duration_seconds", "backend" => backend)
            .record(acquired_at.elapsed().as_secs_f64());
        if !matches!(reason, LossReason::Released | LossReason::Upgraded) {
            metrics::counter!("lock_lost_total", "backend" => backend, "reason" => reason_label(reason)).increment(1);
        }
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (backend, reason_label(reason));
}

/// Whole milliseconds since `instant`, for an event's field.
fn millis_since(instant: Instant) -> u64 {
    u64::try_from(instant.elapsed().as_millis()).unwrap_or(u64::MAX)
}
