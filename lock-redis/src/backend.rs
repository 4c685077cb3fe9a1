//! `RedisBackend`: the `LockBackend` over the `redis` crate.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use lock_core::async_trait;
use lock_core::{
    AcquireOutcome, BackendError, BackendInfo, Capabilities, ExtendOutcome, LockBackend, LockInfo,
    LockKey, LockToken, ReleaseOutcome, ReleaseWatch,
};
use lock_lua::{Publish, ReleaseHub, calls, reply};

use crate::BACKEND;
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
/// # async fn demo() -> Result<(), lock_redis::Error> {
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
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) commands: Commands,
    pub(crate) hub: Option<(ReleaseHub, Publish)>,
    pub(crate) fencing: bool,
}

impl RedisBackend {
    pub(crate) fn assemble(commands: Commands, hub: Option<(ReleaseHub, Publish)>) -> Self {
        Self {
            inner: Arc::new(Inner {
                commands,
                hub,
                fencing: true,
            }),
        }
    }

    fn rebuild(self, f: impl FnOnce(&mut Inner)) -> Self {
        let Inner {
            commands,
            hub,
            fencing,
        } = match Arc::try_unwrap(self.inner) {
            Ok(inner) => inner,
            Err(shared) => Inner {
                commands: shared.commands.clone(),
                hub: shared.hub.clone(),
                fencing: shared.fencing,
            },
        };
        let mut inner = Inner {
            commands,
            hub,
            fencing,
        };
        f(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Stops issuing fencing tokens: acquisitions no longer increment (or create) a counter key.
    pub fn without_fencing(self) -> Self {
        self.rebuild(|inner| inner.fencing = false)
    }

    /// Release notification through classic pub/sub on a dedicated connection from `client`
    /// (for backends built from a connection or a pool, which cannot open one themselves).
    pub fn with_notifications(self, client: redis::Client) -> Self {
        self.with_hub(crate::constructors::classic_hub(client))
    }

    pub(crate) fn with_hub(self, hub: (ReleaseHub, Publish)) -> Self {
        self.rebuild(|inner| inner.hub = Some(hub))
    }

    /// Runs any command on the backend's connection (for tools and tests).
    pub async fn query(&self, cmd: &redis::Cmd) -> Result<redis::Value, BackendError> {
        self.inner.commands.query(cmd).await
    }

    /// How many lock channels have waiters subscribed right now.
    pub fn subscribed_channels(&self) -> usize {
        self.inner.hub.as_ref().map_or(0, |(hub, _)| hub.channels())
    }

    fn publish(&self) -> Publish {
        self.inner
            .hub
            .as_ref()
            .map_or(Publish::Off, |(_, publish)| *publish)
    }
}

impl fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBackend")
            .field("connection", &self.inner.commands.kind())
            .field("fencing", &self.inner.fencing)
            .field("notify", &self.publish())
            .finish()
    }
}

#[async_trait]
impl LockBackend for RedisBackend {
    fn info(&self) -> BackendInfo {
        let caps = Capabilities::none()
            .with_fencing(self.inner.fencing)
            .with_release_notify(self.inner.hub.is_some());
        BackendInfo::new(BACKEND, caps)
    }

    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let r = self
            .inner
            .commands
            .run(calls::acquire(key, token, ttl, self.inner.fencing))
            .await?;
        reply::acquire(BACKEND, r)
    }

    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        let r = self
            .inner
            .commands
            .run(calls::release(key, token, self.publish()))
            .await?;
        reply::release(BACKEND, r)
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let r = self
            .inner
            .commands
            .run(calls::extend(key, token, ttl))
            .await?;
        reply::extend(BACKEND, r)
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        let r = self.inner.commands.run(calls::inspect(key)).await?;
        let mut info = reply::inspect(BACKEND, r)?;
        if !self.inner.fencing
            && let Some(info) = info.as_mut()
        {
            info.fencing = None;
        }
        Ok(info)
    }

    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        match &self.inner.hub {
            Some((hub, _)) => hub.watch(lock_lua::release_channel(key)).await,
            None => Err(BackendError::unsupported(BACKEND, "watch_release")),
        }
    }
}
