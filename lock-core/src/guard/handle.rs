//! `LockHandle`: a cheap, cloneable view of a held lock.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tracing::Instrument;

use super::{GuardShared, Lost};
use crate::backend::ExtendOutcome;
use crate::call_timeout::within;
use crate::error::{Error, LossReason, Result};
use crate::fencing::FencingToken;
use crate::holder::HolderId;
use crate::key::LockKey;
use crate::manager::ManagerInner;

/// A view of a held lock that can be cloned and moved into tasks: what the closure of
/// [`crate::LockManager::with_lock`] receives, and what a [`crate::LockGuard`] dereferences to.
///
/// It can read the lock's state, extend it and wait for its loss, but not release it: only the
/// guard that owns the lock does that.
#[derive(Clone)]
pub struct LockHandle {
    pub(crate) shared: Arc<GuardShared>,
    pub(crate) manager: Arc<ManagerInner>,
}

impl LockHandle {
    /// The lock's key.
    pub fn key(&self) -> &LockKey {
        &self.shared.key
    }

    /// This lock's holder identity, as [`crate::LockManager::info`] shows it (never the token,
    /// which only [`crate::LockGuard::leak`] hands out).
    pub fn holder(&self) -> HolderId {
        HolderId::of(&self.shared.token)
    }

    /// This acquisition's fencing token, when the backend issues them
    /// ([`crate::backend::Capabilities::fencing`]); pass it along with every write to the protected
    /// resource.
    pub fn fencing_token(&self) -> Option<FencingToken> {
        self.shared.fencing
    }

    /// Whether the lock may still be relied on: not lost, and its validity deadline not passed.
    pub fn is_valid(&self) -> bool {
        self.shared.status().lost.is_none()
    }

    /// The time left before the validity deadline; zero once lost.
    pub fn remaining(&self) -> Duration {
        let status = self.shared.status();
        if status.lost.is_some() {
            return Duration::ZERO;
        }
        status.deadline.saturating_duration_since(Instant::now())
    }

    /// The validity deadline on tokio's clock: the time it was acquired or last extended (as
    /// sent), plus the ttl, minus the clock-drift allowance.
    pub fn deadline(&self) -> Instant {
        self.shared.status().deadline
    }

    /// Why the lock was lost, or `None` while it is held.
    pub fn loss(&self) -> Option<LossReason> {
        self.shared.status().lost
    }

    /// A future that resolves when the lock is lost; see [`Lost`].
    pub fn lost(&self) -> Lost {
        Lost::new(self.shared.clone())
    }

    /// How many times the acquire asked the store.
    pub fn attempts(&self) -> u32 {
        self.shared.attempts
    }

    /// How long the acquire waited before it got the lock.
    pub fn waited(&self) -> Duration {
        self.shared.waited
    }

    /// Resets the lock's ttl to `ttl`, measured from now, and moves the deadline.
    ///
    /// Extensions of one guard (by hand, from any of its handles, or by auto-refresh) go out one
    /// at a time, each after the previous one was answered, so the deadline always follows the
    /// extension the store applied last. The call is bounded by the manager's call timeout.
    ///
    /// A `ttl` shorter than what is left moves the deadline there as the extension is sent:
    /// the store may apply it whatever comes back, even an error. A longer one moves the
    /// deadline only once the store confirms it, and, within a call timeout of an acquire
    /// whose earlier attempts went unanswered, no further than such an attempt would leave if
    /// it landed now.
    ///
    /// Errors with [`Error::NotHeld`] when the lock was lost (the guard is then marked lost if
    /// it was not already) or its guard was leaked (the hold is the handover's), and with
    /// [`Error::InvalidArgument`] for a bad ttl.
    pub async fn extend(&self, ttl: Duration) -> Result<()> {
        let validity = self.manager.config.drift.validity(ttl)?;
        let shared = &self.shared;
        if shared.refreshed {
            self.manager.refresher.check(ttl)?;
        }
        let _turn = shared.extend_turn().await;
        if shared.status().lost.is_some() {
            return Err(Error::NotHeld { key: shared.key.clone() });
        }
        let limit = self.manager.config.call_timeout;
        if !shared.extension_going(ttl, limit) {
            // The guard was leaked: the hold is the handover's now.
            return Err(Error::NotHeld { key: shared.key.clone() });
        }
        let sent = Instant::now();
        let span =
            tracing::debug_span!("lock.extend", key = %shared.key, ttl_ms = ttl.as_millis() as u64);
        let call = shared.store.extend(&shared.key, &shared.token, ttl);
        // From the moment it is sent, the store may apply it: a shorter ttl than is left then
        // shortens the hold, whatever comes back.
        shared.extension_sent(sent, validity);
        let outcome = within(shared.backend, limit, call).instrument(span).await;
        shared.extension_answered(&outcome, limit, validity);
        let outcome = outcome?;
        let alive = match outcome {
            ExtendOutcome::Extended => {
                let alive = shared.extended(sent, ttl, validity);
                if alive {
                    // The refresher (if it refreshes this guard) paces itself on the new ttl
                    // from now on.
                    self.manager.refresher.extended(shared, sent, ttl);
                }
                alive
            }
            _ => {
                shared.mark_lost(LossReason::NotHeld);
                false
            }
        };
        if alive { Ok(()) } else { Err(Error::NotHeld { key: shared.key.clone() }) }
    }
}

impl fmt::Debug for LockHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.shared.status();
        f.debug_struct("LockHandle")
            .field("key", &self.shared.key)
            .field("fencing", &self.shared.fencing)
            .field("valid", &status.lost.is_none())
            .field("deadline", &status.deadline)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for LockHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lock `{}`", self.shared.key)?;
        if let Some(fence) = self.shared.fencing {
            write!(f, " (fencing token {fence})")?;
        }
        Ok(())
    }
}
