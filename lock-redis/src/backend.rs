//! `RedisBackend`: the `LockBackend` over the `redis` crate.

use std::fmt;
use std::sync::Arc;

use lock_core::BackendError;
use lock_redis_protocol::{Publish, ReleaseHub, ScriptBackend};

use crate::commands::Commands;

/// Locks in Redis through the `redis` crate: one non-generic type over a connection manager,
/// a multiplexed connection, a `deadpool-redis` pool or a cluster connection, usable as
/// `Arc<dyn LockBackend>`. Cheap to clone.
///
/// Every primitive is one `EVALSHA` round trip (the script is loaded on `NOSCRIPT`, as after a
/// restart, a failover or `SCRIPT FLUSH`). Capabilities: fencing tokens (unless turned off with
/// [`RedisBackend::without_fencing`]) and release notification when the backend has a way to
/// open a subscriber connection (every constructor from a URL or a client; add one to the others
/// with [`RedisBackend::with_notifications`]).
///
/// ```no_run
/// use std::time::Duration;
/// use lock_redis::{LockManager, RedisBackend};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), lock_redis::Error> {
/// let backend = RedisBackend::connect("redis://127.0.0.1:6379/").await?;
/// let locks = LockManager::new(backend);
/// if let Some(guard) = locks.try_lock("jobs:42", Duration::from_secs(10)).await? {
///     // ... the critical section, passing guard.fencing_token() to what you write to ...
///     guard.release().await?;
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisBackend {
    inner: Arc<ScriptBackend<Commands>>,
    /// The server's `maxmemory-policy`, when it was read at connect.
    eviction_policy: Option<Arc<str>>,
    /// The connection's reply timeout, when this crate opened it.
    reply_timeout: Option<std::time::Duration>,
}

impl RedisBackend {
    pub(crate) fn assemble(
        commands: Commands,
        notify: Option<(ReleaseHub, Publish)>,
        endpoint: Option<String>,
    ) -> Self {
        let backend = ScriptBackend::new(crate::BACKEND, commands);
        let backend = match endpoint {
            Some(endpoint) => backend.with_endpoint(endpoint),
            None => backend,
        };
        let backend = match notify {
            Some((hub, publish)) => backend.with_notifications(hub, publish),
            None => backend,
        };
        Self { inner: Arc::new(backend), eviction_policy: None, reply_timeout: None }
    }

    /// Records the `maxmemory-policy` read at connect.
    pub(crate) fn with_eviction_policy(mut self, policy: Option<String>) -> Self {
        self.eviction_policy = policy.map(Arc::from);
        self
    }

    /// Wakes waiters on the keyspace events of database `db` too, when it is `Some`.
    pub(crate) fn with_keyspace(self, db: Option<i64>) -> Self {
        match db {
            Some(db) => self.map(|b| b.with_keyspace_events(db)),
            None => self,
        }
    }

    /// Whether waiters also wake on the server's keyspace notifications, so that a lock deleted
    /// or expired by a client of another library wakes them at once (see
    /// [`crate::KeyspaceEvents`]): decided at connect from the options and the server's
    /// `notify-keyspace-events`. Never on a cluster, nor on a backend built from a connection
    /// or a pool.
    pub fn keyspace_events(&self) -> bool {
        self.inner.keyspace_events().is_some()
    }

    pub(crate) fn with_reply_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.reply_timeout = Some(timeout);
        self
    }

    fn map(self, f: impl FnOnce(ScriptBackend<Commands>) -> ScriptBackend<Commands>) -> Self {
        Self { inner: Arc::new(f(Arc::unwrap_or_clone(self.inner))), ..self }
    }

    /// Stops issuing fencing tokens: acquisitions no longer increment (or create) a counter key.
    pub fn without_fencing(self) -> Self {
        self.map(|b| b.with_fencing(false))
    }

    #[cfg(feature = "cluster")]
    pub(crate) fn with_hub(self, (hub, publish): (ReleaseHub, Publish)) -> Self {
        self.map(|b| b.with_notifications(hub, publish))
    }

    /// WAIT mode: after every acquire and extend, `WAIT replicas timeout` on the same connection;
    /// an acquire fewer replicas confirmed is released and fails with
    /// [`lock_core::BackendErrorKind::Replication`] (temporary, so the manager retries with a fresh
    /// token). Such an acquire was granted on the primary and given back unconfirmed; if giving it
    /// back failed, the error says so, carries the release's error as its source, and the grant may
    /// hold the key until its ttl. Either way, do not reuse its token for another acquire. It
    /// narrows the failover window of a replicated deployment (Sentinel, or a primary with
    /// replicas); `WAIT` does not make Redis strongly consistent. `timeout` must not be zero
    /// (`WAIT` would block until enough replicas answer, however long) and must stay under the
    /// connection's reply timeout ([`crate::REPLY_TIMEOUT`] for connections this crate opens,
    /// checked here; yours, for a connection you built), or the client gives up on every `WAIT`.
    /// Either mistake is a `Config` error. A cluster connection refuses it: `WAIT` cannot
    /// follow a script to its shard.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// let backend = lock_redis::RedisBackend::connect("redis://127.0.0.1:6379/")
    ///     .await?
    ///     .with_wait(1, Duration::from_millis(200))?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_wait(
        self,
        replicas: u32,
        timeout: std::time::Duration,
    ) -> Result<Self, BackendError> {
        #[cfg(feature = "cluster")]
        if matches!(self.inner.runner(), Commands::Cluster(_)) {
            return Err(BackendError::new(
                crate::BACKEND,
                lock_core::BackendErrorKind::Config,
                "WAIT mode is not available on a cluster connection",
            ));
        }
        lock_redis_protocol::check_wait_timeout(crate::BACKEND, timeout, self.reply_timeout)?;
        Ok(self.map(|b| b.with_wait(lock_redis_protocol::WaitFor { replicas, timeout })))
    }

    /// Release notification through classic pub/sub on a dedicated connection from `client`
    /// (for backends built from a connection or a pool, which cannot open one themselves). The
    /// client's address also becomes the backend's `endpoint` if it had none.
    pub fn with_notifications(self, client: redis::Client) -> Self {
        let endpoint = crate::constructors::endpoint(client.get_connection_info());
        let (hub, publish) = crate::constructors::classic_hub(client);
        self.map(|b| {
            let known = lock_core::LockBackend::endpoint(&b).is_some();
            let b = b.with_notifications(hub, publish);
            if known { b } else { b.with_endpoint(endpoint) }
        })
    }

    /// Runs any command on the backend's connection, for tools that inspect the server next to
    /// the locks (`lockctl` reads counters and key types with it) and for tests. It is not part
    /// of locking: the manager's call timeout and ordering do not apply, and a command that
    /// writes lock keys, counters or channels breaks the promises of SAFETY.md.
    pub async fn query(&self, cmd: &redis::Cmd) -> Result<redis::Value, BackendError> {
        self.inner.runner().query(cmd).await
    }

    /// How many lock channels have waiters subscribed right now.
    pub fn subscribed_channels(&self) -> usize {
        self.inner.notifications().map_or(0, |(hub, _)| hub.channels())
    }

    /// The server's `maxmemory-policy` as read at connect (from `INFO`), e.g. `"noeviction"` or
    /// `"allkeys-lru"`; for a cluster, the first master's policy that may evict locks, else
    /// `"noeviction"`. `None` when it was not read: the backend was built from a connection or
    /// a pool (no I/O at construction), with [`crate::EvictionCheck::Off`], or the user may not
    /// run `INFO`. Anything but `noeviction` lets Redis evict held locks (see
    /// [`RedisBackend::connect_with`]).
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let backend = lock_redis::RedisBackend::connect("redis://127.0.0.1:6379/").await?;
    /// if let Some(policy) = backend.eviction_policy().filter(|p| *p != "noeviction") {
    ///     eprintln!("this Redis may evict held locks (maxmemory-policy {policy})");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn eviction_policy(&self) -> Option<&str> {
        self.eviction_policy.as_deref()
    }
}

impl fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RedisBackend").field(&self.inner).finish()
    }
}

lock_redis_protocol::delegate_lock_backend!(RedisBackend => inner);
