//! State shared by a guard, its handles, and the refresher.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::error::LossReason;
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

/// One acquisition: fixed facts plus a watched [`Status`].
#[derive(Debug)]
pub(crate) struct GuardShared {
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
    status: watch::Sender<Status>,
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
    pub(crate) backend: &'static str,
}

impl GuardShared {
    pub(crate) fn new(a: Acquisition, deadline: Instant, ttl: Duration) -> Self {
        let status = Status { deadline, ttl, lost: None, on_expiry: LossReason::Expired };
        Self {
            id: a.id,
            key: a.key,
            token: a.token,
            fencing: a.fencing,
            acquired_at: a.acquired_at,
            attempts: a.attempts,
            waited: a.waited,
            refreshed: a.refreshed,
            backend: a.backend,
            status: watch::Sender::new(status),
        }
    }

    /// The current status, with an expiry that has come due turned into a loss.
    pub(crate) fn status(&self) -> Status {
        self.expire_if_due();
        *self.status.borrow()
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<Status> {
        self.status.subscribe()
    }

    /// Records a loss; returns `false` when the guard was already lost.
    pub(crate) fn mark_lost(&self, reason: LossReason) -> bool {
        let marked = self.status.send_if_modified(|s| {
            if s.lost.is_some() {
                return false;
            }
            s.lost = Some(reason);
            true
        });
        if marked {
            self.report(reason);
        }
        marked
    }

    /// Turns a passed deadline into a loss.
    pub(crate) fn expire_if_due(&self) {
        let now = Instant::now();
        let mut reason = None;
        self.status.send_if_modified(|s| {
            if s.lost.is_none() && now >= s.deadline {
                s.lost = Some(s.on_expiry);
                reason = s.lost;
                return true;
            }
            false
        });
        if let Some(reason) = reason {
            self.report(reason);
        }
    }

    /// Logs and counts the end of the acquisition.
    fn report(&self, reason: LossReason) {
        telemetry::ended(
            &self.key,
            self.backend,
            reason,
            self.acquired_at.elapsed(),
            self.refreshed,
        );
    }

    /// Records a successful extension sent at `sent` with `ttl`; `false` when already lost.
    pub(crate) fn extended(&self, sent: Instant, ttl: Duration, validity: Duration) -> bool {
        let now = Instant::now();
        let mut alive = false;
        self.status.send_if_modified(|s| {
            if s.lost.is_some() {
                return false;
            }
            if now >= s.deadline {
                // Too late: the lock was gone before this extension.
                return false;
            }
            alive = true;
            s.deadline = sent + validity;
            s.ttl = ttl;
            true
        });
        if !alive {
            self.expire_if_due();
        }
        alive
    }

    /// Marks that refreshing stopped for good, so running out later is reported as `reason`.
    pub(crate) fn set_expiry_reason(&self, reason: LossReason) {
        self.status.send_if_modified(|s| {
            s.on_expiry = reason;
            false
        });
    }
}
