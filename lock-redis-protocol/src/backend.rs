//! `ScriptBackend`: the whole `LockBackend` for any client that can run a script call.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lock_core::{
    BackendError, BackendErrorKind, LockBackend, LockKey, LockToken, Metadata,
    backend::AcquireOutcome, backend::BackendInfo, backend::Capabilities, backend::ExtendItem,
    backend::ExtendOutcome, backend::Lease, backend::LeaseHolders, backend::LeaseKind,
    backend::LockInfo, backend::MultiAcquireOutcome, backend::ReleaseOutcome,
    backend::ReleaseWatch, backend::async_trait,
};

use crate::calls::{self, Call, Command, Publish};
use crate::keyspace::keyspace_channel;
use crate::layout::release_channel;
use crate::reply::{self, Reply};
use crate::watch::ReleaseHub;

/// What a Redis client must do for [`ScriptBackend`]: send one script call (`EVALSHA`, then
/// `SCRIPT LOAD` and `EVALSHA` again on `NOSCRIPT`) and return its reply.
///
/// Implement the methods as plain `async fn`s; their futures must be `Send`. They are not
/// boxed: each call's future lives inside the backend's own.
///
/// Why this trait is written with `async fn` in the trait while `LockBackend` and
/// [`crate::SubscriberLink`] use `#[async_trait]`: `ScriptRunner` is called on every lock
/// operation, from generic code that knows the concrete runner, so its futures can stay
/// unboxed on the hot path. `LockBackend` must be usable as `dyn LockBackend` (the manager, the
/// quorum and the suite hold `Arc<dyn LockBackend>`), which native `async fn` in traits does not
/// allow, and `SubscriberLink` is called once per subscription change, where a box costs
/// nothing that matters.
pub trait ScriptRunner: Send + Sync + 'static {
    /// Runs `call` and returns the reply, or the client's error mapped to a `BackendError`.
    fn run(&self, call: Call<'_>) -> impl Future<Output = Result<Reply, BackendError>> + Send;

    /// A short description for `Debug` output (e.g. `"connection manager"`), without secrets.
    fn describe(&self) -> &'static str;

    /// Sends one plain command (not a script) and returns its reply. The backend uses it for
    /// the acquire fast path with fencing off: `SET key token NX PX ttl` (see
    /// [`crate::calls::set_if_absent`]), one command where the acquire script costs the server
    /// two or more; only when the key exists does the script follow (the same token taking its
    /// own lock again, or the holder's remaining ttl).
    ///
    /// Default: unsupported, and [`ScriptRunner::runs_commands`] says `false`, so the backend
    /// sends the script instead. A runner that implements this must also override
    /// `runs_commands`.
    fn run_command(
        &self,
        command: Command<'_>,
    ) -> impl Future<Output = Result<Reply, BackendError>> + Send {
        let _ = command;
        async { Err(BackendError::unsupported("script runner", "plain commands")) }
    }

    /// Whether [`ScriptRunner::run_command`] is implemented. Default: `false`.
    fn runs_commands(&self) -> bool {
        false
    }

    /// Whether the connection is to a Redis Cluster (each script may touch one hash slot).
    /// Default: `false`.
    fn clustered(&self) -> bool {
        false
    }

    /// Runs `call` then `WAIT replicas timeout` on the same connection (a pipeline), and returns
    /// the reply and how many replicas acknowledged. Default: unsupported.
    fn run_replicated(
        &self,
        call: Call<'_>,
        wait: WaitFor,
    ) -> impl Future<Output = Result<(Reply, i64), BackendError>> + Send {
        let _ = (call, wait);
        async { Err(BackendError::unsupported("script runner", "WAIT")) }
    }
}

/// WAIT mode: how many replicas must acknowledge an acquire or extend, and for how long to wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitFor {
    /// Replicas that must confirm.
    pub replicas: u32,
    /// How long `WAIT` may block.
    pub timeout: Duration,
}

/// Checks a WAIT mode timeout before any I/O: not zero (`WAIT` with 0 blocks until enough
/// replicas answer, however long) and, when the connection's reply timeout is known, under it
/// (else the client would give up on every `WAIT`). The error is a permanent `Config` error of
/// `backend` saying which.
///
/// ```
/// use std::time::Duration;
/// let reply = Some(Duration::from_millis(500));
/// assert!(lock_redis_protocol::check_wait_timeout("b", Duration::from_millis(200), reply).is_ok());
/// assert!(lock_redis_protocol::check_wait_timeout("b", Duration::from_millis(500), reply).is_err());
/// assert!(lock_redis_protocol::check_wait_timeout("b", Duration::ZERO, None).is_err());
/// ```
pub fn check_wait_timeout(
    backend: &'static str,
    timeout: Duration,
    reply_timeout: Option<Duration>,
) -> Result<(), BackendError> {
    let problem = if timeout.is_zero() {
        "a WAIT timeout of 0 blocks until enough replicas answer, however long: give a bound"
            .to_owned()
    } else {
        match reply_timeout {
            Some(reply) if timeout >= reply => format!(
                "the WAIT timeout {timeout:?} is not under the connection's reply timeout \
                 {reply:?}: the client would give up on every WAIT; lower it"
            ),
            _ => return Ok(()),
        }
    };
    Err(BackendError::new(backend, BackendErrorKind::Config, problem))
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
    /// The database whose keyspace notifications also wake waiters.
    keyspace: Option<i64>,
    /// Set once the server refused a keyspace channel (an ACL): not asked again.
    keyspace_refused: Arc<AtomicBool>,
    wait: Option<WaitFor>,
    /// The server's `maxmemory-policy`, when it was read at connect.
    pub(crate) eviction_policy: Option<Arc<str>>,
    /// The connection's reply timeout, when it is known (WAIT mode must stay under it).
    pub(crate) reply_timeout: Option<Duration>,
}

impl<R: ScriptRunner> ScriptBackend<R> {
    /// A backend named `name` (for errors and `info`), with fencing and without notification.
    pub fn new(name: &'static str, runner: R) -> Self {
        Self {
            runner,
            name,
            endpoint: None,
            fencing: true,
            notify: None,
            keyspace: None,
            keyspace_refused: Arc::default(),
            wait: None,
            eviction_policy: None,
            reply_timeout: None,
        }
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

    /// Waiters also watch the keyspace channel of the lock key in database `db`
    /// (`__keyspace@<db>__:<key>`), so a lock deleted or expired by any client wakes them; see
    /// [`crate::KeyspaceEvents`]. Needs [`ScriptBackend::with_notifications`], and subscriber
    /// connections that drop the keyspace events [`crate::keyspace::wakes`] says do not wake.
    pub fn with_keyspace_events(mut self, db: i64) -> Self {
        self.keyspace = Some(db);
        self
    }

    /// The database whose keyspace events wake waiters, if that is on.
    pub fn keyspace_events(&self) -> Option<i64> {
        self.keyspace
    }

    /// WAIT mode: every acquire and extend is followed, on the same connection, by
    /// `WAIT replicas timeout`; an extend that too few replicas confirmed fails with
    /// [`lock_core::BackendErrorKind::Replication`] (and the lock then lapses at its deadline
    /// unless a later extend is confirmed).
    ///
    /// An acquire failing with `Replication` was granted on the primary, then given back: the
    /// backend released it at once. If that release failed too, the error says so and carries
    /// the release's error as its [`std::error::Error::source`], and the grant may hold the key
    /// until its ttl. Either way the token was granted once without confirmation: do not reuse it
    /// for another acquire (a retry would take that same grant over); mint a fresh one.
    pub fn with_wait(mut self, wait: WaitFor) -> Self {
        self.wait = Some(wait);
        self
    }

    /// The WAIT mode setting, if any.
    pub fn wait(&self) -> Option<WaitFor> {
        self.wait
    }

    /// Runs a write, followed by WAIT when WAIT mode is on; the second value is `true` when the
    /// required replicas confirmed it (always, without WAIT mode).
    pub(crate) async fn write(&self, call: Call<'_>) -> Result<(Reply, bool), BackendError> {
        match self.wait {
            None => Ok((self.runner.run(call).await?, true)),
            Some(wait) => {
                let (reply, acked) = self.runner.run_replicated(call, wait).await?;
                Ok((reply, acked >= i64::from(wait.replicas)))
            }
        }
    }

    pub(crate) fn not_replicated(&self, what: &str) -> BackendError {
        let wanted = self.wait.map_or(0, |w| w.replicas);
        BackendError::new(
            self.name,
            lock_core::BackendErrorKind::Replication,
            format!("{what}: fewer than {wanted} replicas confirmed it in time"),
        )
    }

    /// The name given at construction (for errors and `info`).
    pub fn name(&self) -> &'static str {
        self.name
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

    pub(crate) fn publish(&self) -> Publish {
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

/// How long the mark a bare watch leaves outlives the holder's ttl (the watch itself ends half of
/// this after that ttl, or after half of this when no lock is there or it has no expiry).
const MARK_SLACK: Duration = Duration::from_secs(1);

/// The kinds of lease the scripts serve, named one by one: a kind lock-core adds later is
/// `Unsupported` here until a script serves it.
const OFFERED: [LeaseKind; 5] =
    [LeaseKind::Lock, LeaseKind::Metadata, LeaseKind::Permit, LeaseKind::Rw, LeaseKind::Fair];

#[async_trait]
impl<R: ScriptRunner> LockBackend for ScriptBackend<R> {
    fn info(&self) -> BackendInfo {
        let caps = Capabilities::none()
            .with_fencing(self.fencing)
            .with_release_notify(self.notify.is_some())
            .with_leases(&OFFERED)
            .with_lock_sets(true)
            .with_batch_extend(true)
            .with_guarded_writes(true);
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
        // Fencing off (and no WAIT): a free key is taken with one plain SET NX PX. Only when
        // the key exists does the script run, for the same-token re-acquire and the holder's
        // ttl, so the contended path pays a second round trip and the free path none.
        if !self.fencing && self.wait.is_none() && self.runner.runs_commands() {
            let reply = self.runner.run_command(calls::set_if_absent(key, token, ttl)).await?;
            if reply::set_if_absent(self.name, reply)? {
                return Ok(AcquireOutcome::Acquired { fencing: None });
            }
        }
        self.acquire_by_script(key, token, Lease::Lock, ttl).await
    }

    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        self.release_by_script(key, token, LeaseKind::Lock).await
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.extend_by_script(key, token, LeaseKind::Lock, ttl).await
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        let held = self.inspect_by_script(key, LeaseKind::Lock).await?;
        Ok(held.into_infos().pop())
    }

    /// W2 without an attempt: a release publishes only when it deletes a waiter's mark, so one
    /// is left beside the lock (what a refused attempt leaves) while the subscription is made.
    /// The watch also ends half a second after the holder's ttl runs out, before the mark
    /// lapses (a hold extended past it would be released unmarked; W4 allows the wake-up), or,
    /// when no lock is there or it has no expiry, after half the mark's life.
    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        if self.notify.is_none() {
            return Err(BackendError::unsupported(self.name, "watch_release"));
        }
        let sent = tokio::time::Instant::now();
        let mark = async { self.runner.run(calls::mark_waiting(key, MARK_SLACK)).await };
        let (watch, mark) = futures_util::future::join(self.subscribe(key), mark).await;
        let watch = watch?;
        // Half the slack after the holder's ttl (the mark lives the whole slack): a hold that
        // simply expires is seen as expired (no release announced) before this wake-up comes.
        // No lock, or one without expiry: the mark lives MARK_SLACK.
        let ttl = reply::mark_waiting(self.name, mark?)?.unwrap_or_default();
        let lapses = sent + ttl + MARK_SLACK / 2;
        Ok(Box::pin(async move {
            futures_util::future::select(watch, Box::pin(tokio::time::sleep_until(lapses))).await;
        }))
    }

    /// The subscription alone: the attempt that follows, refused, leaves the waiter's mark the
    /// release looks for (see [`crate::layout::mark_key`]).
    async fn watch_before_attempt(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.subscribe(key).await
    }
    async fn acquire_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        lease: Lease<'_>,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        match lease {
            Lease::Lock => self.try_acquire(key, token, ttl).await,
            other => self.acquire_by_script(key, token, other, ttl).await,
        }
    }

    async fn release_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
    ) -> Result<ReleaseOutcome, BackendError> {
        self.release_by_script(key, token, kind).await
    }

    async fn extend_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.extend_by_script(key, token, kind, ttl).await
    }

    async fn inspect_lease(
        &self,
        key: &LockKey,
        kind: LeaseKind,
    ) -> Result<LeaseHolders, BackendError> {
        self.inspect_by_script(key, kind).await
    }

    /// Every kind's releases publish on the key's one channel; a fair waiter has a turn.
    async fn watch_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
    ) -> Result<ReleaseWatch, BackendError> {
        match kind {
            LeaseKind::Fair => self.watch_turn(key, token).await,
            LeaseKind::Lock | LeaseKind::Metadata => self.watch_release(key).await,
            // Their releases publish whether or not anyone marked the key.
            LeaseKind::Permit | LeaseKind::Rw => self.subscribe(key).await,
            other => Err(BackendError::unsupported(self.name, other.operation())),
        }
    }

    async fn inspect_metadata(
        &self,
        key: &LockKey,
    ) -> Result<Option<(LockToken, Metadata)>, BackendError> {
        reply::metadata_inspect(self.name, self.runner.run(calls::metadata_inspect(key)).await?)
    }

    fn guarded_writes(&self) -> Option<&dyn lock_core::backend::GuardedWriteBackend> {
        Some(self)
    }

    fn can_acquire_together(&self, keys: &[LockKey]) -> bool {
        self.together(keys)
    }

    async fn try_acquire_all(
        &self,
        keys: &[LockKey],
        tokens: &[LockToken],
        ttl: Duration,
    ) -> Result<MultiAcquireOutcome, BackendError> {
        self.take_all(keys, tokens, ttl).await
    }

    async fn extend_batch(
        &self,
        items: &[ExtendItem<'_>],
    ) -> Result<Vec<ExtendOutcome>, BackendError> {
        self.extend_each(items).await
    }
}

impl<R: ScriptRunner> ScriptBackend<R> {
    /// Subscribes to `key`'s release channel (and its keyspace channel, when that is on): the
    /// watch every kind shares, resolved by any release that publishes.
    async fn subscribe(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        match &self.notify {
            Some((hub, _)) => {
                let released = hub.watch(release_channel(key).into_bytes());
                let refused = self.keyspace_refused.load(Ordering::Relaxed);
                let keyspace = self.keyspace.filter(|_| !refused);
                let Some(channel) = keyspace.and_then(|db| keyspace_channel(db, key)) else {
                    return released.await;
                };
                let touched = hub.watch(channel.into_bytes());
                let (released, touched) = futures_util::future::join(released, touched).await;
                let released = released?;
                match touched {
                    Ok(touched) => Ok(Box::pin(async move {
                        futures_util::future::select(released, touched).await;
                    })),
                    // The ACL may refuse the channel: the release channel alone still works, and
                    // the keyspace channels are not asked for again.
                    Err(e) => {
                        if e.kind() == BackendErrorKind::Auth {
                            self.keyspace_refused.store(true, Ordering::Relaxed);
                        }
                        tracing::debug!(backend = self.name, error = %e, "keyspace channel not watched");
                        Ok(released)
                    }
                }
            }
            None => Err(BackendError::unsupported(self.name, "watch_release")),
        }
    }
}

/// Implements `LockBackend` for a newtype by forwarding every method to a field that is (or
/// derefs to) a `LockBackend`, e.g. an `Arc<ScriptBackend<R>>`. The client crates use it so
/// their public backend types stay non-generic. It is `lock_core::forward_lock_backend!`, the one
/// list of the trait's methods, for a field.
///
/// ```
/// use std::sync::Arc;
/// use lock_core::MemoryBackend;
///
/// #[derive(Debug)]
/// struct Wrapped {
///     inner: Arc<MemoryBackend>,
/// }
/// lock_redis_protocol::delegate_lock_backend!(Wrapped => inner);
/// # let _ = lock_core::LockManager::new(Wrapped { inner: Arc::new(MemoryBackend::new()) });
/// ```
#[macro_export]
macro_rules! delegate_lock_backend {
    ($outer:ty => $field:ident) => {
        $crate::__lock_core::forward_lock_backend!(impl for $outer => |this| &this.$field);
    };
}
