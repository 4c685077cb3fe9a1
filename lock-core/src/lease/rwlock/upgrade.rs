//! `Upgrade`: an upgradeable read turned into a write, consuming the read (one hold, one
//! deadline), or given back intact.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;

use crate::backend::{
    AcquireOutcome, BackendInfo, DynLockBackend, ExtendOutcome, LockBackend, LockInfo,
    ReleaseOutcome, ReleaseWatch,
};
use crate::call_timeout::{bounded, within};
use crate::error::{BackendError, BackendErrorKind, Error, LossReason};
use crate::guard::{LockGuard, LockHandle};
use crate::key::LockKey;
use crate::manager::LockRequest;
use crate::retry::RetryPolicy;
use crate::token::LockToken;

/// A request to turn an upgradeable read into a write, from [`crate::RwLock::upgrade`]. It owns
/// the read: granted, the write guard takes the read's hold over (the read guard ends, its
/// handles see [`LossReason::Upgraded`]); refused, timed out or failed, the read comes back
/// intact in an [`UpgradeError`], its hold untouched and the upgrade's waiting mark taken away.
/// Dropping the request (or cancelling its future) drops the read, which releases it.
///
/// ```
/// use std::time::Duration;
/// use lock_core::{LockManager, MemoryBackend};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), lock_core::Error> {
/// let locks = LockManager::new(MemoryBackend::new());
/// let config = locks.rw_lock("config")?;
/// let ttl = Duration::from_secs(10);
/// let read = config.upgradeable_read().ttl(ttl).acquire().await?;
/// let other = config.read().ttl(ttl).acquire().await?;
/// // Another reader is in: the upgrade is refused, and the read comes back.
/// let refused = config.upgrade(read).ttl(ttl).try_acquire().await.expect_err("a reader is in");
/// let read = refused.into_read();
/// assert!(read.is_valid());
/// other.release().await?;
/// let write = config.upgrade(read).ttl(ttl).acquire().await?;
/// assert!(write.is_valid());
/// write.release().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[must_use = "an upgrade does nothing until it is acquired"]
pub struct Upgrade {
    request: LockRequest,
    read: LockGuard,
    /// The reader-writer locks, to take the upgrade's mark away when it gives up.
    rw: Arc<DynLockBackend>,
    /// Set once the upgrade gave up: an attempt answered later cleans up after itself.
    gave_up: Arc<AtomicBool>,
    /// Why the read cannot be upgraded here (another lock's guard, not an upgradeable read).
    invalid: Option<Error>,
}

impl Upgrade {
    pub(super) fn new(
        request: LockRequest,
        read: LockGuard,
        (rw, write): (Arc<DynLockBackend>, Arc<DynLockBackend>),
        invalid: Option<Error>,
    ) -> Self {
        let gave_up = Arc::new(AtomicBool::new(false));
        let store = Arc::new(UpgradeView {
            write,
            read: read.handle(),
            rw: rw.clone(),
            gave_up: gave_up.clone(),
        });
        let request = request.in_store(store).upgrading(read.handle().shared);
        Self { request, read, rw, gave_up, invalid }
    }

    /// The write's ttl (see [`LockRequest::ttl`]).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.request = self.request.ttl(ttl);
        self
    }
    /// How to retry while plain readers are still in (see [`LockRequest::retry`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.request = self.request.retry(policy);
        self
    }

    /// Waits up to `wait` for the plain readers to leave (see [`LockRequest::wait`]).
    pub fn wait(mut self, wait: Duration) -> Self {
        self.request = self.request.wait(wait);
        self
    }

    /// Auto-refreshes the write guard (see [`LockRequest::auto_refresh`]).
    pub fn auto_refresh(mut self) -> Self {
        self.request = self.request.auto_refresh();
        self
    }

    /// Caps the write guard's auto-refresh (see [`LockRequest::max_hold`]).
    pub fn max_hold(mut self, max: Duration) -> Self {
        self.request = self.request.max_hold(max);
        self
    }

    /// One attempt, or waiting if [`Upgrade::retry`] or [`Upgrade::wait`] was set: the write
    /// guard, or the read back with why (a refusal is [`Error::WaitTimeout`]).
    pub async fn try_acquire(self) -> Result<LockGuard, UpgradeError> {
        let Self { request, read, rw, gave_up, invalid } = self;
        if let Some(error) = invalid {
            return Err(UpgradeError { read, error });
        }
        let outcome = request.try_acquire().await;
        let outcome = outcome.and_then(|write| write.ok_or_else(|| refused(&read)));
        settle(outcome, read, &rw, &gave_up).await
    }

    /// Waits as the retry policy says (default: the manager's), as [`LockRequest::acquire`]
    /// does: the write guard, or the read back with why.
    pub async fn acquire(self) -> Result<LockGuard, UpgradeError> {
        let Self { request, read, rw, gave_up, invalid } = self;
        if let Some(error) = invalid {
            return Err(UpgradeError { read, error });
        }
        let outcome = request.acquire().await;
        settle(outcome, read, &rw, &gave_up).await
    }
}

fn refused(read: &LockGuard) -> Error {
    Error::WaitTimeout { key: read.key().clone(), waited: Duration::ZERO, attempts: 1 }
}

/// Ends the read once its hold went on as `write`'s; otherwise takes the upgrade's mark away
/// (its read keeps the hold) and gives the read back, lost if its hold turned out gone.
async fn settle(
    outcome: Result<LockGuard, Error>,
    read: LockGuard,
    rw: &Arc<DynLockBackend>,
    gave_up: &AtomicBool,
) -> Result<LockGuard, UpgradeError> {
    let error = match outcome {
        Ok(write) => {
            read.hand_on();
            return Ok(write);
        }
        Err(error) => error,
    };
    gave_up.store(true, Ordering::SeqCst);
    let handle = read.handle();
    {
        // After the attempts still in flight (they hold the turn up to a call timeout).
        let _turn = handle.shared.extend_turn().await;
        let status = handle.shared.status();
        if status.lost.is_none() {
            withdraw(&handle, rw, status.ttl).await;
        }
    }
    let error = match handle.shared.status().lost {
        // Granted too late and given back: the loop's error says why.
        Some(LossReason::Upgraded) | None => error,
        Some(reason) => Error::Lost { key: read.key().clone(), reason },
    };
    Err(UpgradeError { read, error })
}

/// Asks again for the upgradeable read `read` holds (call with its extension turn): that
/// renews it with its own ttl and takes the upgrade's waiting mark away (RW5). Anything but a
/// grant with the read's own fence means its hold is gone (a give-back in WAIT mode deleted
/// it, or a late grant made it a write): the read is marked lost and the token released.
async fn withdraw(read: &LockHandle, rw: &Arc<DynLockBackend>, ttl: Duration) {
    let shared = &read.shared;
    let limit = read.manager.config.call_timeout;
    let asked = within(shared.backend, limit, rw.try_acquire(&shared.key, &shared.token, ttl));
    match asked.await {
        Ok(AcquireOutcome::Acquired { fencing }) if fencing == shared.fencing => {}
        Ok(_) => {
            read.manager.stop_refresh(shared);
            shared.mark_lost(LossReason::NotHeld);
            read.manager.releaser_in(rw).spawn(&shared.key, &shared.token);
        }
        Err(e) => {
            if e.kind() == BackendErrorKind::Timeout {
                // The re-ask renews the read with its ttl: like an extension, it may land late.
                let validity = read.manager.config.drift.validity(ttl).unwrap_or(Duration::ZERO);
                shared.extension_cut(limit, validity);
            }
            tracing::debug!(key = %shared.key, error = %e, "taking an upgrade's mark away failed; it lapses at its ttl");
        }
    }
}

/// An upgrade that did not happen: the read it came from, and why. Converts into [`Error`]
/// (the read is then dropped, which releases it), so `?` works where the read is not wanted
/// back.
pub struct UpgradeError {
    read: LockGuard,
    error: Error,
}

impl UpgradeError {
    /// Why the upgrade did not happen: [`Error::WaitTimeout`] when readers stayed, [`Error::Lost`]
    /// when the read itself was lost, or the store's error.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The read. Check [`LockHandle::is_valid`] (or [`LockHandle::lost`]) before relying on
    /// it: its hold may be gone (the error is [`Error::Lost`]; or an upgrade granted too late,
    /// or not replicated in WAIT mode, was given back with the hold).
    pub fn into_read(self) -> LockGuard {
        self.read
    }

    /// The read and the error.
    pub fn into_parts(self) -> (LockGuard, Error) {
        (self.read, self.error)
    }
}

impl fmt::Debug for UpgradeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpgradeError")
            .field("read", &self.read)
            .field("error", &self.error)
            .finish()
    }
}

impl fmt::Display for UpgradeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "upgrade not granted, the read is kept: {}", self.error)
    }
}

impl std::error::Error for UpgradeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<UpgradeError> for Error {
    fn from(e: UpgradeError) -> Self {
        e.error
    }
}

/// The write an upgrade asks for, on its read's token. Each attempt runs in a task of its own,
/// holding the read's extension turn (so no extension of the read is in flight beside it) for
/// up to a call timeout; a grant ends the read (`Upgraded`, its refresh stopped), even when the
/// caller stopped waiting. So the hold has one deadline: the write guard's.
#[derive(Debug)]
struct UpgradeView {
    write: Arc<DynLockBackend>,
    read: LockHandle,
    /// The read's own view, to take a late attempt's mark away.
    rw: Arc<DynLockBackend>,
    /// See [`Upgrade::gave_up`].
    gave_up: Arc<AtomicBool>,
}

impl UpgradeView {
    fn refuse(&self, why: &str) -> BackendError {
        BackendError::new(self.write.info().name, BackendErrorKind::Other, why.to_owned())
            .with_temporary(false)
    }
}

/// Whether the read ended otherwise than by this upgrade (released, dropped with a cancelled
/// upgrade, expired): what an attempt did must then be undone.
fn ended(read: &LockHandle) -> bool {
    read.shared.status().lost.is_some_and(|r| r != LossReason::Upgraded)
}

/// One attempt of the upgrade, in its own task: see [`UpgradeView`].
async fn attempt(
    write: Arc<DynLockBackend>,
    read: LockHandle,
    rw: Arc<DynLockBackend>,
    gave_up: Arc<AtomicBool>,
    ttl: Duration,
) -> Result<AcquireOutcome, BackendError> {
    let shared = &read.shared;
    let (key, token) = (&shared.key, &shared.token);
    let limit = read.manager.config.call_timeout;
    let mut turn = Some(shared.extend_turn().await);
    // An extension of the read that was cut may still land: it would set the write's hold to
    // the read's ttl. Sent once it is presumed lost.
    shared.extensions_settled().await;
    if ended(&read) || gave_up.load(Ordering::SeqCst) {
        // The read was released, or the upgrade gave up, while this waited: not sent.
        return Ok(AcquireOutcome::Held { ttl_remaining: None });
    }
    let call = write.try_acquire(key, token, ttl);
    tokio::pin!(call);
    // The read's extensions wait for this call for a call timeout at most; its answer, however
    // late, is still awaited, so a late grant ends the read all the same.
    let outcome = match bounded(limit, &mut call).await {
        Some(outcome) => outcome,
        None => {
            turn = None;
            call.await
        }
    };
    let granted = matches!(outcome, Ok(AcquireOutcome::Acquired { .. }));
    // Whatever is undone below goes out in the background (bounded by the call timeout): a
    // give-back that is never answered must not keep the turn the giving-up waits for.
    let give_back = || read.manager.releaser_in(&write).spawn(key, token);
    if ended(&read) {
        // Released or run out meanwhile (a cancelled upgrade drops its read): whatever this
        // attempt left, a write or a mark, goes with the token, and a grant is no write to
        // hand out.
        give_back();
        if granted {
            let why = "the upgradeable read ended while its upgrade was on the wire";
            return Err(BackendError::new(write.info().name, BackendErrorKind::Other, why)
                .with_temporary(false));
        }
    } else if gave_up.load(Ordering::SeqCst) {
        if granted {
            // Landed after the upgrade gave the read back: the hold is a write nobody guards.
            read.manager.stop_refresh(shared);
            shared.mark_lost(LossReason::NotHeld);
            give_back();
        } else {
            // The turn this attempt still holds, or the turn again (not both: it is not
            // re-entrant, and the giving-up waits for it too).
            let _turn = match turn.take() {
                Some(turn) => turn,
                None => shared.extend_turn().await,
            };
            withdraw(&read, &rw, shared.status().ttl).await;
        }
    } else if granted {
        read.manager.stop_refresh(shared);
        shared.mark_lost(LossReason::Upgraded);
    }
    drop(turn);
    outcome
}

#[async_trait]
impl LockBackend for UpgradeView {
    fn info(&self) -> BackendInfo {
        self.write.info()
    }

    async fn try_acquire(
        &self,
        _key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        if *token != self.read.shared.token {
            return Err(self.refuse(
                "the upgrade was granted too late or not replicated, and given back with the \
                 read's hold",
            ));
        }
        if ended(&self.read) {
            return Err(self.refuse("the upgradeable read is no longer held"));
        }
        let task = attempt(
            self.write.clone(),
            self.read.clone(),
            self.rw.clone(),
            self.gave_up.clone(),
            ttl,
        );
        let call = tokio::spawn(task);
        call.await.map_err(|e| self.refuse(&format!("the upgrade's call panicked: {e}")))?
    }

    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        self.write.release(key, token).await
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.write.extend(key, token, ttl).await
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        self.write.inspect(key).await
    }

    async fn holds(&self, key: &LockKey, token: &LockToken) -> Result<bool, BackendError> {
        self.write.holds(key, token).await
    }

    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.write.watch_release(key).await
    }

    async fn watch_before_attempt(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.write.watch_before_attempt(key).await
    }
}
