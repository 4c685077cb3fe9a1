//! What a lock request and a lock-set request share: the hold they ask for and how long they may
//! wait for it, resolved against the manager's defaults and checked before any I/O. (An upgrade
//! passes its options to the lock request it wraps; a lock set takes each member with the set's.)

use std::time::Duration;

use super::ManagerInner;
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;

/// A request's own ttl, retry policy, wait, auto-refresh and maximum hold; `None` and `false`
/// leave the manager's.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Hold {
    pub(crate) ttl: Option<Duration>,
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) wait: Option<Duration>,
    pub(crate) auto_refresh: bool,
    pub(crate) max_hold: Option<Duration>,
}

/// The terms of a hold, as [`Hold::terms`] resolved and checked them.
pub(crate) struct Terms {
    pub(crate) ttl: Duration,
    /// How long after an attempt is sent a grant may be trusted (the ttl less the drift).
    pub(crate) validity: Duration,
    /// `Some(maximum hold)` when the hold is auto-refreshed.
    pub(crate) refresh: Option<Option<Duration>>,
}

impl Hold {
    /// The retry policy of an acquire that `waits` (`acquire`: the request's policy, else the
    /// manager's) or of a try (`try_acquire`: the request's, else the manager's when a wait was
    /// set, else a single attempt), capped by the wait and checked.
    pub(crate) fn policy(&self, inner: &ManagerInner, waits: bool) -> Result<RetryPolicy> {
        let default =
            if waits || self.wait.is_some() { inner.config.retry } else { RetryPolicy::none() };
        let mut policy = self.retry.unwrap_or(default);
        if let Some(wait) = self.wait {
            policy = policy.max_wait(wait);
        }
        policy.validate()?;
        Ok(policy)
    }

    /// The ttl, its validity and the auto-refresh, with the manager's defaults; errors for a ttl
    /// that leaves no validity, a zero maximum hold, or a ttl too short to refresh.
    pub(crate) fn terms(&self, inner: &ManagerInner) -> Result<Terms> {
        let ttl = self.ttl.unwrap_or(inner.config.ttl);
        let validity = inner.config.drift.validity(ttl)?;
        let max_hold = self.max_hold.or(inner.config.max_hold);
        if max_hold.is_some_and(|m| m.is_zero()) {
            return Err(Error::invalid(
                "max hold",
                "a zero maximum hold time ends every lock at once",
            ));
        }
        if self.auto_refresh {
            inner.refresher.check(ttl)?;
        }
        Ok(Terms { ttl, validity, refresh: self.auto_refresh.then_some(max_hold) })
    }
}
