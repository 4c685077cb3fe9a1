//! `LockManagerBuilder`: manager-wide defaults.

use std::sync::Arc;
use std::time::Duration;

use super::LockManager;
use super::inner::{ManagerConfig, ManagerInner};
use crate::backend::DynLockBackend;
use crate::call_timeout::DEFAULT_CALL_TIMEOUT;
use crate::error::{Error, Result};
use crate::key::KeyPrefix;
use crate::refresh::{RefreshSettings, Refresher};
use crate::retry::RetryPolicy;
use crate::timing::{DEFAULT_DRIFT_FACTOR, DEFAULT_DRIFT_FIXED, Drift};

/// Default lock ttl.
const DEFAULT_TTL: Duration = Duration::from_secs(30);

/// Default refresh point, as a fraction of the ttl.
const DEFAULT_REFRESH_FRACTION: f64 = 1.0 / 3.0;

/// Settings for a [`LockManager`], checked by [`LockManagerBuilder::build`] before any I/O.
///
/// ```
/// use std::time::Duration;
/// use lock_core::{LockManager, MemoryBackend, RetryPolicy};
///
/// let manager = LockManager::builder(MemoryBackend::new())
///     .prefix("billing:lock:")
///     .ttl(Duration::from_secs(10))
///     .drift_factor(0.02)
///     .refresh_at(0.5)
///     .retry(RetryPolicy::fixed(Duration::from_millis(50)).max_wait(Duration::from_secs(2)))
///     .build()?;
/// # let _ = manager;
/// assert!(LockManager::builder(MemoryBackend::new()).drift_factor(1.5).build().is_err());
/// # Ok::<(), lock_core::Error>(())
/// ```
#[derive(Debug)]
pub struct LockManagerBuilder {
    backend: Arc<DynLockBackend>,
    prefix: Result<KeyPrefix>,
    ttl: Duration,
    drift_factor: f64,
    drift_fixed: Duration,
    refresh_fraction: f64,
    retry: RetryPolicy,
    max_hold: Option<Duration>,
    call_timeout: Duration,
}

/// The longest call timeout accepted.
const MAX_CALL_TIMEOUT: Duration = Duration::from_secs(3600);

impl LockManagerBuilder {
    pub(crate) fn new(backend: Arc<DynLockBackend>) -> Self {
        Self {
            backend,
            prefix: Ok(KeyPrefix::default()),
            ttl: DEFAULT_TTL,
            drift_factor: DEFAULT_DRIFT_FACTOR,
            drift_fixed: DEFAULT_DRIFT_FIXED,
            refresh_fraction: DEFAULT_REFRESH_FRACTION,
            retry: RetryPolicy::default(),
            max_hold: None,
            call_timeout: DEFAULT_CALL_TIMEOUT,
        }
    }

    /// The namespace every key goes under (default `lock:`); see [`KeyPrefix`].
    pub fn prefix(mut self, prefix: impl AsRef<[u8]>) -> Self {
        self.prefix = KeyPrefix::new(prefix);
        self
    }

    /// The ttl of locks whose request does not set one (default 30 s).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The share of each ttl a holder does not count on, for clock-rate differences
    /// (default 0.01; must be in `[0, 1)`).
    pub fn drift_factor(mut self, factor: f64) -> Self {
        self.drift_factor = factor;
        self
    }

    /// The fixed part of the drift allowance (default 2 ms; at least
    /// [`crate::limits::MIN_DRIFT_ALLOWANCE`], 1 ms).
    pub fn drift_allowance(mut self, fixed: Duration) -> Self {
        self.drift_fixed = fixed;
        self
    }

    /// When auto-refresh extends a lock, as a fraction of its validity window (the ttl less the
    /// drift allowance) after the last extension was sent (default 1/3; must be in `(0, 1)`).
    pub fn refresh_at(mut self, fraction: f64) -> Self {
        self.refresh_fraction = fraction;
        self
    }

    /// The retry policy of [`crate::LockRequest::acquire`] when a request sets none
    /// (default [`RetryPolicy::default`]: exponential backoff, giving up after 60 s).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The longest the manager waits for any one backend call (an acquire attempt, a release,
    /// an extension, a read, a subscription) before treating it as failed with a temporary
    /// [`crate::BackendErrorKind::Timeout`] (default 5 s; 1 ms to 1 h).
    ///
    /// It bounds every call whatever the client underneath does, so a lost reply on a client
    /// without its own reply timeout cannot hang an acquire or a refresh. An auto-refresh
    /// extension is also cut off at the guard's deadline, and a wait for release notification
    /// at the acquire's wait deadline. A call cut off may still be applied by the store: the
    /// manager treats it as ambiguous (an acquire is retried with the same token, or released).
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout;
        self
    }

    /// Stops auto-refreshing a lock this long after it was acquired (default: never).
    pub fn max_hold(mut self, max: Duration) -> Self {
        self.max_hold = Some(max);
        self
    }

    /// Checks every setting and builds the manager.
    pub fn build(self) -> Result<LockManager> {
        let prefix = self.prefix?;
        let drift = Drift::new(self.drift_factor, self.drift_fixed)?;
        drift.validity(self.ttl)?;
        let fraction = self.refresh_fraction;
        if !(fraction.is_finite() && fraction > 0.0 && fraction < 1.0) {
            return Err(Error::invalid(
                "refresh fraction",
                format!("{fraction} is outside (0, 1)"),
            ));
        }
        self.retry.validate()?;
        if self.max_hold.is_some_and(|max| max.is_zero()) {
            return Err(Error::invalid(
                "max hold",
                "a zero maximum hold time ends every lock at once",
            ));
        }
        let timeout = self.call_timeout;
        if !(Duration::from_millis(1)..=MAX_CALL_TIMEOUT).contains(&timeout) {
            return Err(Error::invalid(
                "call timeout",
                format!("{timeout:?} is outside 1ms..={MAX_CALL_TIMEOUT:?}"),
            ));
        }
        let config = ManagerConfig {
            prefix,
            ttl: self.ttl,
            drift,
            retry: self.retry,
            max_hold: self.max_hold,
            call_timeout: timeout,
        };
        Ok(assemble(self.backend, config, fraction))
    }

    /// The manager with every default, which needs no checking.
    pub(crate) fn build_defaults(self) -> LockManager {
        let config = ManagerConfig {
            prefix: KeyPrefix::default(),
            ttl: DEFAULT_TTL,
            drift: Drift::default(),
            retry: RetryPolicy::default(),
            max_hold: None,
            call_timeout: DEFAULT_CALL_TIMEOUT,
        };
        assemble(self.backend, config, DEFAULT_REFRESH_FRACTION)
    }
}

fn assemble(backend: Arc<DynLockBackend>, config: ManagerConfig, fraction: f64) -> LockManager {
    let settings =
        RefreshSettings { fraction, drift: config.drift, call_timeout: config.call_timeout };
    let refresher = Refresher::new(settings);
    LockManager::from_inner(Arc::new(ManagerInner::new(backend, config, refresher)))
}
