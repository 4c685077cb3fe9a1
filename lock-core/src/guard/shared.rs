//! State shared by a guard, its handles, and the refresher.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::backend::DynLockBackend;
use crate::error::{BackendError, BackendErrorKind, LossReason};
use crate::fencing::FencingToken;
use crate::key::LockKey;
use crate::telemetry;
use crate::token::LockToken;

/// The part of a guard's state that changes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Status {
    /// After this instant the holder must assume the lock is gone.
    pub(crate) deadline: Instant,
    /// The ttl last set in the store.
    pub(crate) ttl: Duration,
    /// Set once, when the guard stops holding the lock.
    pub(crate) lost: Option<LossReason>,
    /// What passing the deadline means (expiry, or the end of a capped hold).
    pub(crate) on_expiry: LossReason,
}

/// One acquisition: its fixed facts ([`Acquisition`], read through `Deref`) plus a [`Status`]
/// that [`super::Lost`] futures watch.
#[derive(Debug)]
pub(crate) struct GuardShared {
    facts: Acquisition,
    status: Mutex<Status>,
    /// Woken when the status changes (a loss, or a new deadline).
    changed: Notify,
    /// Held while an extension is in flight: one at a time per guard.
    extending: tokio::sync::Mutex<()>,
    /// Until when an extension cut by the call timeout may still land in the store (a call
    /// timeout after the cut, when it is presumed lost, as for an unanswered acquire).
    unsettled_until: Mutex<Option<Instant>>,
    /// Until when an attempt of the acquire that was cut by the call timeout may still land,
    /// and the validity it would leave (it renews the hold with the acquire's ttl): extensions
    /// sent before then give no more than that. See [`GuardShared::late_attempts`].
    late_attempts: Mutex<Option<(Instant, Duration)>>,
    /// Extensions sent that may still land: until when (twice the call timeout after the
    /// latest was sent: answered or cut within one, landing within one of the cut), and the
    /// shortest ttl among them. `handed_over` once the guard was leaked: no extension goes
    /// out after that. See [`GuardShared::hand_over`].
    landing: Mutex<Landing>,
    /// The runtime whose refresher task extends this guard, once it is auto-refreshed.
    pub(crate) refresh_runtime: OnceLock<tokio::runtime::Id>,
}

/// Two windows in which a call may still land, each until an instant and leaving at least a
/// duration: as one, until the later end and leaving the lesser.
pub(crate) fn both(
    a: Option<(Instant, Duration)>,
    b: Option<(Instant, Duration)>,
) -> Option<(Instant, Duration)> {
    match (a, b) {
        (Some((ua, da)), Some((ub, db))) => Some((ua.max(ub), da.min(db))),
        (a, b) => a.or(b),
    }
}

/// Extensions of a guard that may still land, and whether it was handed over.
#[derive(Debug, Default)]
struct Landing {
    until: Option<(Instant, Duration)>,
    handed_over: bool,
}

/// The fixed facts of an acquisition.
#[derive(Debug)]
pub(crate) struct Acquisition {
    pub(crate) id: u64,
    pub(crate) key: LockKey,
    pub(crate) token: LockToken,
    pub(crate) fencing: Option<FencingToken>,
    pub(crate) acquired_at: Instant,
    pub(crate) attempts: u32,
    pub(crate) waited: Duration,
    pub(crate) refreshed: bool,
    /// The backend's name, for logs and metrics.
    pub(crate) backend: &'static str,
    /// Where the lease lives: the manager's backend for a lock, a semaphore's permit view for a
    /// permit. Extensions and releases go here.
    pub(crate) store: Arc<DynLockBackend>,
}

impl std::ops::Deref for GuardShared {
    type Target = Acquisition;

    fn deref(&self) -> &Acquisition {
        &self.facts
    }
}

impl GuardShared {
    pub(crate) fn new(a: Acquisition, deadline: Instant, ttl: Duration) -> Self {
        let status = Status { deadline, ttl, lost: None, on_expiry: LossReason::Expired };
        Self {
            facts: a,
            status: Mutex::new(status),
            changed: Notify::new(),
            extending: tokio::sync::Mutex::new(()),
            unsettled_until: Mutex::new(None),
            late_attempts: Mutex::new(None),
            landing: Mutex::new(Landing::default()),
            refresh_runtime: OnceLock::new(),
        }
    }

    /// Waits until no other extension of this guard is in flight; hold the result while sending
    /// one. Two extensions in flight at once could be applied in the other order than sent (on
    /// a pool), leaving the deadline past the store's expiry.
    pub(crate) async fn extend_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.extending.lock().await
    }

    /// Records that a call that renews the hold may still land until `until`, leaving
    /// `validity` from its landing (an attempt of the acquire that won this guard, or an
    /// extension, cut by the call timeout): until then, an extension moves the deadline no
    /// further than `validity` from when it was sent (a late call landing after it would cut
    /// the hold back). Merged with what was recorded before: the later end, the least validity.
    pub(crate) fn late_attempts(&self, until: Instant, validity: Duration) {
        let mut late = self.late_attempts.lock().unwrap_or_else(PoisonError::into_inner);
        let open = late.filter(|(u, _)| *u > Instant::now());
        *late = both(open, Some((until, validity)));
    }

    /// Records that an extension to `ttl` is about to be sent, bounded by `call_timeout`.
    /// Returns `false`, recording nothing, when the guard was handed over (a leaked guard is
    /// extended no more: the hold is the handover's).
    pub(crate) fn extension_going(&self, ttl: Duration, call_timeout: Duration) -> bool {
        let mut landing = self.landing.lock().unwrap_or_else(PoisonError::into_inner);
        if landing.handed_over {
            return false;
        }
        let now = Instant::now();
        let open = landing.until.filter(|(u, _)| *u > now);
        landing.until = both(open, Some((now + call_timeout * 2, ttl)));
        true
    }

    /// Hands the hold over (the guard was leaked): no extension of this guard goes out from
    /// now on. Returns until when one already sent may still land, and the shortest ttl it
    /// may set from its landing: the guard that takes the hold up trusts no more than that
    /// until then, since such a late extension would cut its hold back.
    pub(crate) fn hand_over(&self) -> Option<(Instant, Duration)> {
        let mut landing = self.landing.lock().unwrap_or_else(PoisonError::into_inner);
        landing.handed_over = true;
        landing.until.filter(|(until, _)| *until > Instant::now())
    }

    /// Records that an extension of this guard giving `validity` was cut by the call timeout
    /// (`call_timeout`): it may still land until a call timeout from now, and an extension sent
    /// meanwhile moves the deadline no further than `validity` (a shorter ttl landing late
    /// would cut a longer one back).
    pub(crate) fn extension_cut(&self, call_timeout: Duration, validity: Duration) {
        let until = Instant::now() + call_timeout;
        let mut unsettled = self.unsettled_until.lock().unwrap_or_else(PoisonError::into_inner);
        *unsettled = Some(unsettled.map_or(until, |u| u.max(until)));
        drop(unsettled);
        self.late_attempts(until, validity);
    }

    /// Records the cut of an extension giving `validity` when `answer` is the call timeout's
    /// error (see [`GuardShared::extension_cut`]); any other answer came from the store.
    pub(crate) fn extension_answered<T>(
        &self,
        answer: &Result<T, BackendError>,
        call_timeout: Duration,
        validity: Duration,
    ) {
        if answer.as_ref().is_err_and(|e| e.kind() == BackendErrorKind::Timeout) {
            self.extension_cut(call_timeout, validity);
        }
    }

    /// Waits until no extension cut earlier can still land (call with the extension turn).
    /// Needed before the hold changes mode (an upgrade): a late extension of the read would
    /// set the write's hold to the read's ttl. Extensions among themselves need no such wait:
    /// while a cut one may land, the others move the deadline no further than it would leave
    /// (see [`GuardShared::extension_cut`]).
    pub(crate) async fn extensions_settled(&self) {
        let until = *self.unsettled_until.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(until) = until {
            tokio::time::sleep_until(until).await;
        }
    }

    /// The status, locked. Nothing panics while holding it, but a poisoned lock is still usable:
    /// every update leaves the status consistent.
    fn locked(&self) -> MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current status, with an expiry that has come due turned into a loss.
    pub(crate) fn status(&self) -> Status {
        let now = Instant::now();
        let mut status = self.locked();
        if status.lost.is_none() && now >= status.deadline {
            status.lost = Some(status.on_expiry);
            let (copy, reason) = (*status, status.on_expiry);
            drop(status);
            self.changed.notify_waiters();
            self.report(reason);
            return copy;
        }
        *status
    }

    /// Resolves after the next status change; create it before reading the status.
    pub(crate) fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }

    /// Records a loss; returns `false` when the guard was already lost.
    pub(crate) fn mark_lost(&self, reason: LossReason) -> bool {
        let mut status = self.locked();
        if status.lost.is_some() {
            return false;
        }
        status.lost = Some(reason);
        drop(status);
        self.changed.notify_waiters();
        self.report(reason);
        true
    }

    /// Logs and counts the end of the acquisition.
    fn report(&self, reason: LossReason) {
        telemetry::ended(&self.key, self.backend, reason, self.acquired_at, self.refreshed);
    }

    /// Records a successful extension sent at `sent` with `ttl`; `false` when already lost.
    pub(crate) fn extended(&self, sent: Instant, ttl: Duration, validity: Duration) -> bool {
        let now = Instant::now();
        let mut status = self.locked();
        // Too late when already lost, or when the lock was gone before this extension.
        if status.lost.is_some() || now >= status.deadline {
            drop(status);
            // Reading the status turns a deadline that has passed into a loss, reported now.
            self.status();
            return false;
        }
        let late = *self.late_attempts.lock().unwrap_or_else(PoisonError::into_inner);
        let validity = match late {
            Some((until, late)) if sent < until => validity.min(late),
            _ => validity,
        };
        status.deadline = sent + validity;
        status.ttl = ttl;
        drop(status);
        self.changed.notify_waiters();
        true
    }

    /// An extension is being sent at `sent`: from then on the store may apply it (whatever
    /// comes back, or if nothing does), so the deadline becomes the earlier of the current one
    /// and what that extension gives. An extension to a shorter ttl than is left shortens the
    /// hold once applied; a longer one changes nothing here, and its answer moves the deadline.
    pub(crate) fn extension_sent(&self, sent: Instant, validity: Duration) {
        let mut status = self.locked();
        let bound = sent + validity;
        if status.lost.is_none() && bound < status.deadline {
            status.deadline = bound;
            drop(status);
            self.changed.notify_waiters();
        }
    }

    /// Marks that refreshing stopped for good, so running out later is reported as `reason`.
    pub(crate) fn set_expiry_reason(&self, reason: LossReason) {
        self.locked().on_expiry = reason;
    }
}
