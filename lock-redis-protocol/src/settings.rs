//! The settings every backend over a Redis client offers its users, written once: the
//! `maxmemory-policy` read at connect, WAIT mode checked against the connection, fencing off,
//! and whether keyspace events wake waiters. [`redis_backend_settings!`] gives a client crate's
//! backend type the public methods over its `Arc<ScriptBackend<_>>`.

use std::sync::Arc;
use std::time::Duration;

use lock_core::{BackendError, BackendErrorKind};

use crate::backend::{ScriptBackend, ScriptRunner, WaitFor, check_wait_timeout};

impl<R: ScriptRunner> ScriptBackend<R> {
    /// Records the server's `maxmemory-policy` as read at connect (`None`: not read).
    pub fn with_eviction_policy(mut self, policy: Option<String>) -> Self {
        self.eviction_policy = policy.map(Arc::from);
        self
    }

    /// The server's `maxmemory-policy` as read at connect, if it was.
    pub fn eviction_policy(&self) -> Option<&str> {
        self.eviction_policy.as_deref()
    }

    /// Records the connection's reply timeout, which a WAIT timeout must stay under.
    pub fn with_reply_timeout(mut self, timeout: Duration) -> Self {
        self.reply_timeout = Some(timeout);
        self
    }

    /// WAIT mode ([`ScriptBackend::with_wait`]) after the checks a user needs before any I/O:
    /// the connection is not to a cluster (`WAIT` cannot follow a script to its shard) and
    /// `timeout` passes [`check_wait_timeout`] against the recorded reply timeout. Either
    /// problem is a permanent `Config` error.
    pub fn with_replicas(self, replicas: u32, timeout: Duration) -> Result<Self, BackendError> {
        if self.runner().clustered() {
            return Err(BackendError::new(
                self.name(),
                BackendErrorKind::Config,
                "WAIT mode is not available on a cluster connection",
            ));
        }
        check_wait_timeout(self.name(), timeout, self.reply_timeout)?;
        Ok(self.with_wait(WaitFor { replicas, timeout }))
    }
}

/// Gives a client crate's backend type (a struct with a field `$field: Arc<ScriptBackend<_>>`)
/// the settings its users call: `without_fencing`, `with_wait`, `keyspace_events` and
/// `eviction_policy`. `$reply` names, for the docs, the reply timeout of the connections the
/// crate opens itself.
#[macro_export]
macro_rules! redis_backend_settings {
    ($ty:ident => $field:ident, $reply:literal) => {
        // (`..self` keeps the type's other fields, if it has any.)
        #[allow(clippy::needless_update)]
        impl $ty {
            /// Stops issuing fencing tokens: acquisitions no longer increment (or create) a
            /// counter key.
            pub fn without_fencing(self) -> Self {
                let inner = ::std::sync::Arc::unwrap_or_clone(self.$field).with_fencing(false);
                Self { $field: ::std::sync::Arc::new(inner), ..self }
            }

            /// WAIT mode: after every acquire and extend, `WAIT replicas timeout` on the same
            /// connection; an acquire fewer replicas confirmed is released and fails with
            /// `BackendErrorKind::Replication` (temporary, so the manager retries with a fresh
            /// token). Such an acquire was granted on the primary and given back unconfirmed;
            /// if giving it back failed, the error says so, carries the release's error as its
            /// source, and the grant may hold the key until its ttl. Either way, do not reuse
            /// its token for another acquire. It narrows the failover window of a replicated
            /// deployment (Sentinel, or a primary with replicas); `WAIT` does not make Redis
            /// strongly consistent.
            ///
            /// `timeout` must not be zero (`WAIT` would block until enough replicas answer,
            /// however long) and must stay under the connection's reply timeout, or the client
            /// gives up on every `WAIT`: checked here against
            #[doc = $reply]
            /// for connections this crate opens; for one you built, against its own. A cluster
            /// connection refuses WAIT mode: `WAIT` cannot follow a script to its shard. Each
            /// mistake is a `Config` error, before any I/O.
            pub fn with_wait(
                self,
                replicas: u32,
                timeout: ::std::time::Duration,
            ) -> ::std::result::Result<Self, $crate::__lock_core::BackendError> {
                let inner = ::std::sync::Arc::unwrap_or_clone(self.$field)
                    .with_replicas(replicas, timeout)?;
                Ok(Self { $field: ::std::sync::Arc::new(inner), ..self })
            }

            /// Whether waiters also wake on the server's keyspace notifications, so that a lock
            /// deleted or expired by a client of another library wakes them at once (see
            /// `KeyspaceEvents`): decided at connect from the options and the server's
            /// `notify-keyspace-events`. Never on a cluster, nor on a backend built from a
            /// connection, a client or a pool (no I/O at construction).
            pub fn keyspace_events(&self) -> bool {
                self.$field.keyspace_events().is_some()
            }

            /// The server's `maxmemory-policy` as read at connect (from `INFO`), e.g.
            /// `"noeviction"` or `"allkeys-lru"`; for a cluster, the first primary's policy
            /// that may evict locks, else `"noeviction"`. `None` when it was not read: the
            /// backend was built from a connection, a client or a pool (no I/O at
            /// construction), with `EvictionCheck::Off`, or the user may not run `INFO`.
            /// Anything but `noeviction` lets Redis evict held locks (see the crate's
            /// `connect_with`).
            pub fn eviction_policy(&self) -> Option<&str> {
                self.$field.eviction_policy()
            }
        }
    };
}
