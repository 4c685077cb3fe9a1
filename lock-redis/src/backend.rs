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
        Self { inner: Arc::new(backend) }
    }

    /// Records the `maxmemory-policy` read at connect.
    pub(crate) fn with_eviction_policy(self, policy: Option<String>) -> Self {
        self.map(|b| b.with_eviction_policy(policy))
    }

    /// Wakes waiters on the keyspace events of database `db` too, when it is `Some`.
    pub(crate) fn with_keyspace(self, db: Option<i64>) -> Self {
        match db {
            Some(db) => self.map(|b| b.with_keyspace_events(db)),
            None => self,
        }
    }

    /// Records the reply timeout of the connection this crate opened.
    pub(crate) fn with_reply_timeout(self, timeout: std::time::Duration) -> Self {
        self.map(|b| b.with_reply_timeout(timeout))
    }

    fn map(self, f: impl FnOnce(ScriptBackend<Commands>) -> ScriptBackend<Commands>) -> Self {
        Self { inner: Arc::new(f(Arc::unwrap_or_clone(self.inner))) }
    }

    #[cfg(feature = "cluster")]
    pub(crate) fn with_hub(self, (hub, publish): (ReleaseHub, Publish)) -> Self {
        self.map(|b| b.with_notifications(hub, publish))
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
}

impl fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RedisBackend").field(&self.inner).finish()
    }
}

lock_redis_protocol::delegate_lock_backend!(RedisBackend => inner);
lock_redis_protocol::redis_backend_settings!(RedisBackend => inner, "[`crate::REPLY_TIMEOUT`]");
