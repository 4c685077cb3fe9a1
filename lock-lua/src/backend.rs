//! `ScriptBackend`: the whole `LockBackend` for any client that can run a script call.

use std::fmt;
use std::time::Duration;

use lock_core::{
    AcquireOutcome, BackendError, BackendInfo, Capabilities, ExtendOutcome, LockBackend, LockInfo,
    LockKey, LockToken, ReleaseOutcome, ReleaseWatch, async_trait,
};

use crate::calls::{self, Call, Publish};
use crate::layout::release_channel;
use crate::reply::{self, Reply};
use crate::watch::ReleaseHub;

/// What a Redis client must do for [`ScriptBackend`]: send one script call (`EVALSHA`, then
/// `SCRIPT LOAD` and `EVALSHA` again on `NOSCRIPT`) and return its reply.
#[async_trait]
pub trait ScriptRunner: Send + Sync + 'static {
    /// Runs `call` and returns the reply, or the client's error mapped to a `BackendError`.
    async fn run(&self, call: Call) -> Result<Reply, BackendError>;

    /// A short description for `Debug` output (e.g. `"connection manager"`), without secrets.
    fn describe(&self) -> &'static str;
}

/// A complete `LockBackend` over a [`ScriptRunner`]: each primitive is one script call, release
/// notification goes through an optional [`ReleaseHub`], and fencing can be turned off.
#[derive(Clone)]
pub struct ScriptBackend<R> {
    runner: R,
    name: &'static str,
    endpoint: Option<String>,
    fencing: bool,
    notify: Option<(ReleaseHub, Publish)>,
}

impl<R: ScriptRunner> ScriptBackend<R> {
    /// A backend named `name` (for errors and `info`), with fencing and without notification.
    pub fn new(name: &'static str, runner: R) -> Self {
        Self { runner, name, endpoint: None, fencing: true, notify: None }
    }

    /// Records where the locks live (see `LockBackend::endpoint`); never include a password.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Turns fencing tokens on or off.
    pub fn with_fencing(mut self, on: bool) -> Self {
        self.fencing = on;
        self
    }

    /// Adds release notification: waiters watch through `hub`, releases publish as `publish` says.
    pub fn with_notifications(mut self, hub: ReleaseHub, publish: Publish) -> Self {
        self.notify = Some((hub, publish));
        self
    }

    /// The runner.
    pub fn runner(&self) -> &R {
        &self.runner
    }

    /// Whether fencing tokens are issued.
    pub fn fencing(&self) -> bool {
        self.fencing
    }

    /// The notification hub and publish mode, if any.
    pub fn notifications(&self) -> Option<&(ReleaseHub, Publish)> {
        self.notify.as_ref()
    }

    fn publish(&self) -> Publish {
        self.notify.as_ref().map_or(Publish::Off, |(_, publish)| *publish)
    }
}

impl<R: ScriptRunner> fmt::Debug for ScriptBackend<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptBackend")
            .field("name", &self.name)
            .field("connection", &self.runner.describe())
            .field("fencing", &self.fencing)
            .field("notify", &self.publish())
            .finish()
    }
}

#[async_trait]
impl<R: ScriptRunner> LockBackend for ScriptBackend<R> {
    fn info(&self) -> BackendInfo {
        let caps = Capabilities::none()
            .with_fencing(self.fencing)
            .with_release_notify(self.notify.is_some());
        BackendInfo::new(self.name, caps)
    }

    fn endpoint(&self) -> Option<String> {
        self.endpoint.clone()
    }

    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        reply::acquire(
            self.name,
            self.runner.run(calls::acquire(key, token, ttl, self.fencing)).await?,
        )
    }

    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        reply::release(
            self.name,
            self.runner.run(calls::release(key, token, self.publish())).await?,
        )
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        reply::extend(self.name, self.runner.run(calls::extend(key, token, ttl)).await?)
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        let mut info = reply::inspect(self.name, self.runner.run(calls::inspect(key)).await?)?;
        if !self.fencing
            && let Some(info) = info.as_mut()
        {
            info.fencing = None;
        }
        Ok(info)
    }

    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        match &self.notify {
            Some((hub, _)) => hub.watch(release_channel(key).into_bytes()).await,
            None => Err(BackendError::unsupported(self.name, "watch_release")),
        }
    }
}

/// Implements `LockBackend` for a newtype by forwarding every method to a field that is (or
/// derefs to) a `LockBackend`, e.g. an `Arc<ScriptBackend<R>>`. The client crates use it so
/// their public backend types stay non-generic.
///
/// ```
/// use std::sync::Arc;
/// use lock_core::MemoryBackend;
///
/// #[derive(Debug)]
/// struct Wrapped {
///     inner: Arc<MemoryBackend>,
/// }
/// lock_lua::delegate_lock_backend!(Wrapped => inner);
/// # let _ = lock_core::LockManager::new(Wrapped { inner: Arc::new(MemoryBackend::new()) });
/// ```
#[macro_export]
macro_rules! delegate_lock_backend {
    ($outer:ty => $field:ident) => {
        #[$crate::__async_trait]
        impl $crate::__lock_core::LockBackend for $outer {
            fn info(&self) -> $crate::__lock_core::BackendInfo {
                self.$field.info()
            }

            fn endpoint(&self) -> Option<String> {
                self.$field.endpoint()
            }

            async fn try_acquire(
                &self,
                key: &$crate::__lock_core::LockKey,
                token: &$crate::__lock_core::LockToken,
                ttl: ::std::time::Duration,
            ) -> Result<$crate::__lock_core::AcquireOutcome, $crate::__lock_core::BackendError>
            {
                self.$field.try_acquire(key, token, ttl).await
            }

            async fn release(
                &self,
                key: &$crate::__lock_core::LockKey,
                token: &$crate::__lock_core::LockToken,
            ) -> Result<$crate::__lock_core::ReleaseOutcome, $crate::__lock_core::BackendError>
            {
                self.$field.release(key, token).await
            }

            async fn extend(
                &self,
                key: &$crate::__lock_core::LockKey,
                token: &$crate::__lock_core::LockToken,
                ttl: ::std::time::Duration,
            ) -> Result<$crate::__lock_core::ExtendOutcome, $crate::__lock_core::BackendError> {
                self.$field.extend(key, token, ttl).await
            }

            async fn inspect(
                &self,
                key: &$crate::__lock_core::LockKey,
            ) -> Result<Option<$crate::__lock_core::LockInfo>, $crate::__lock_core::BackendError>
            {
                self.$field.inspect(key).await
            }

            async fn watch_release(
                &self,
                key: &$crate::__lock_core::LockKey,
            ) -> Result<$crate::__lock_core::ReleaseWatch, $crate::__lock_core::BackendError> {
                self.$field.watch_release(key).await
            }
        }
    };
}
