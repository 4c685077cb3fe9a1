//! A `MemoryBackend` whose calls can be slowed, left unanswered or reordered, step by step.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lock_core::{
    BackendError, BackendErrorKind, LockBackend, LockKey, LockToken, MemoryBackend,
    backend::AcquireOutcome, backend::BackendInfo, backend::ExtendOutcome, backend::Lease,
    backend::LeaseKind, backend::ReleaseOutcome, backend::ReleaseWatch,
};
use std::sync::atomic::Ordering;
use tokio::sync::Notify;

/// What one call does: wait `before`, apply it to the store, then wait `after` before
/// answering (`None`: never answer, as when the reply is lost).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Step {
    /// Before the command leaves the client (waiting for a pooled connection, say): a caller
    /// that gives up meanwhile cancels it.
    pub(crate) unsent: Duration,
    /// On the wire: the command lands this long after it was sent, whatever its caller does.
    pub(crate) before: Duration,
    pub(crate) after: Option<Duration>,
    /// Answer this error instead (after applying the call, as a lost reply or an unconfirmed
    /// replica would).
    pub(crate) fails: Option<BackendErrorKind>,
}

impl Default for Step {
    /// Sent, applied and answered at once.
    fn default() -> Self {
        Self {
            unsent: Duration::ZERO,
            before: Duration::ZERO,
            after: Some(Duration::ZERO),
            fails: None,
        }
    }
}

impl Step {
    /// Lands `d` after it is sent, and is never answered (a lost reply).
    pub(crate) fn unanswered(d: Duration) -> Self {
        Self { before: d, after: None, ..Self::default() }
    }

    /// Applied, then answered with an error of `kind`.
    pub(crate) fn fails(kind: BackendErrorKind) -> Self {
        Self { fails: Some(kind), ..Self::default() }
    }

    /// Sent after `d` (cancelled if its caller gives up first), then applied and answered.
    pub(crate) fn send_after(d: Duration) -> Self {
        Self { unsent: d, ..Self::default() }
    }

    /// Applied at once, answered after `d`.
    pub(crate) fn answer_after(d: Duration) -> Self {
        Self { after: Some(d), ..Self::default() }
    }

    /// Applied after `d`, answered at once then.
    pub(crate) fn apply_after(d: Duration) -> Self {
        Self { before: d, ..Self::default() }
    }

    /// Applied after `d`, never answered.
    pub(crate) fn apply_after_silently(d: Duration) -> Self {
        Self { before: d, after: None, ..Self::default() }
    }
}

/// Per operation, the steps of its first calls, in call order (later calls: immediate).
#[derive(Debug, Default)]
pub(crate) struct Hooks {
    pub(crate) acquire: Mutex<Vec<Step>>,
    pub(crate) release: Mutex<Vec<Step>>,
    pub(crate) extend: Mutex<Vec<Step>>,
    /// How long `watch_release` takes to register.
    pub(crate) watch_delay: Mutex<Duration>,
    /// `watch_release` returns a future that is ready at once (W4 allows spurious wake-ups).
    pub(crate) spurious_watch: std::sync::atomic::AtomicBool,
    /// Releases do not wait for earlier acquires of their token: a pool that reorders.
    pub(crate) reorders: std::sync::atomic::AtomicBool,
    /// The backend does not advertise release notification.
    pub(crate) no_notify: std::sync::atomic::AtomicBool,
    /// Refusals report this much time left whatever the holder has (`Some(0)`: none, as a
    /// store with a coarse clock may; A2 allows any smaller figure).
    pub(crate) reported_ttl: Mutex<Option<Duration>>,
    /// The backend offers the memory store's batched extends (unhooked); set before use (N8).
    pub(crate) batches: std::sync::atomic::AtomicBool,
    /// Batched extends are applied, then answered with an error of this kind (as a batch
    /// whose replicas did not confirm it in WAIT mode).
    pub(crate) batch_fails: Mutex<Option<BackendErrorKind>>,
    /// The backend offers the memory store's fair locks, a fair attempt taking the `acquire`
    /// steps; set before use (N1: the capabilities are constant).
    pub(crate) fair: std::sync::atomic::AtomicBool,
    /// The backend offers the memory store's reader-writer locks, each reader-writer attempt taking
    /// the `acquire` steps and each extension the `extend` steps; set before use (N1).
    pub(crate) rw: std::sync::atomic::AtomicBool,
    /// The backend offers the memory store's semaphores (unhooked but for `watch_delay`); set
    /// before use (N1).
    pub(crate) semaphores: std::sync::atomic::AtomicBool,
    /// The token of every acquire and release, in call order (`"acquire"`/`"release"`).
    pub(crate) sent: Mutex<Vec<(&'static str, LockToken)>>,
    calls: Mutex<HashMap<&'static str, usize>>,
    /// Acquires per token not applied yet: a release of that token waits for them, as the
    /// contract's call order requires of every transport.
    unapplied: Mutex<HashMap<Vec<u8>, usize>>,
    applied: Notify,
}

impl Hooks {
    /// The tokens of the acquires sent so far, in order.
    pub(crate) fn acquire_tokens(&self) -> Vec<LockToken> {
        let sent = self.sent.lock().expect("sent");
        sent.iter().filter(|(op, _)| *op == "acquire").map(|(_, t)| t.clone()).collect()
    }

    /// The tokens of the releases sent so far, in order.
    pub(crate) fn release_tokens(&self) -> Vec<LockToken> {
        let sent = self.sent.lock().expect("sent");
        sent.iter().filter(|(op, _)| *op == "release").map(|(_, t)| t.clone()).collect()
    }

    fn step(&self, op: &'static str, steps: &Mutex<Vec<Step>>) -> Step {
        let n = {
            let mut calls = self.calls.lock().expect("calls");
            let n = calls.entry(op).or_default();
            *n += 1;
            *n - 1
        };
        steps.lock().expect("steps").get(n).copied().unwrap_or_default()
    }

    /// How many times `op` was called.
    pub(crate) fn calls(&self, op: &'static str) -> usize {
        self.calls.lock().expect("calls").get(op).copied().unwrap_or(0)
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Hooked {
    pub(crate) inner: MemoryBackend,
    pub(crate) hooks: Arc<Hooks>,
}

impl Hooked {
    /// Waits `watch_delay`, as every kind's subscription does here (a slow or hung link).
    async fn watch_delay(&self) {
        let delay = *self.hooks.watch_delay.lock().expect("delay");
        tokio::time::sleep(delay).await;
    }

    /// Sends `apply` to the "store": it runs after `step.before` whether or not the caller is
    /// still waiting (a command on the wire lands even if its sender gave up), and its answer
    /// comes `step.after` later, or never.
    async fn send<T: Send + 'static>(
        step: Step,
        apply: impl std::future::Future<Output = Result<T, BackendError>> + Send + 'static,
    ) -> Result<T, BackendError> {
        tokio::time::sleep(step.unsent).await;
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            tokio::time::sleep(step.before).await;
            let _ = tx.send(apply.await);
        });
        let Ok(value) = rx.await else { return std::future::pending().await };
        let value = match step.fails {
            Some(kind) => Err(BackendError::new("hooked", kind, "injected")),
            None => value,
        };
        match step.after {
            Some(after) => {
                tokio::time::sleep(after).await;
                value
            }
            None => std::future::pending().await,
        }
    }
}

lock_core::forward_lock_backend!(impl for Hooked => |this| &this.inner, except {
    async fn extend_batch(
        &self,
        items: &[lock_core::backend::ExtendItem<'_>],
    ) -> Result<Vec<ExtendOutcome>, BackendError> {
        let outcomes = self.inner.extend_batch(items).await?;
        match *self.hooks.batch_fails.lock().expect("batch_fails") {
            Some(kind) => Err(BackendError::new("hooked", kind, "injected")),
            None => Ok(outcomes),
        }
    }

    /// The memory store's capabilities, with what the hooks offer (never metadata, lock sets or
    /// guarded writes).
    fn info(&self) -> BackendInfo {
        let info = self.inner.info();
        let on = |flag: &std::sync::atomic::AtomicBool| flag.load(Ordering::SeqCst);
        let caps = info
            .capabilities
            .with_release_notify(!on(&self.hooks.no_notify))
            .with_lease(LeaseKind::Metadata, false)
            .with_lock_sets(false)
            .with_guarded_writes(false)
            .with_batch_extend(on(&self.hooks.batches))
            .with_lease(LeaseKind::Permit, on(&self.hooks.semaphores))
            .with_lease(LeaseKind::Rw, on(&self.hooks.rw))
            .with_lease(LeaseKind::Fair, on(&self.hooks.fair));
        BackendInfo::new(info.name, caps)
    }

    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let step = self.hooks.step("acquire", &self.hooks.acquire);
        self.hooks.sent.lock().expect("sent").push(("acquire", token.clone()));
        let t = token.as_bytes().to_vec();
        *self.hooks.unapplied.lock().expect("unapplied").entry(t.clone()).or_default() += 1;
        let (inner, hooks, key, token) =
            (self.inner.clone(), self.hooks.clone(), key.clone(), token.clone());
        Self::send(step, async move {
            let mut outcome = inner.try_acquire(&key, &token, ttl).await;
            let reported = *hooks.reported_ttl.lock().expect("reported ttl");
            if let (Some(left), Ok(AcquireOutcome::Held { .. })) = (reported, &outcome) {
                outcome = Ok(AcquireOutcome::Held { ttl_remaining: Some(left) });
            }
            if let Some(n) = hooks.unapplied.lock().expect("unapplied").get_mut(&t) {
                *n -= 1;
            }
            hooks.applied.notify_waiters();
            outcome
        })
        .await
    }

    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        let step = self.hooks.step("release", &self.hooks.release);
        self.hooks.sent.lock().expect("sent").push(("release", token.clone()));
        let (inner, hooks, key, token) =
            (self.inner.clone(), self.hooks.clone(), key.clone(), token.clone());
        let ordered = !self.hooks.reorders.load(std::sync::atomic::Ordering::SeqCst);
        Self::send(step, async move {
            // Applied after every acquire of the same token sent before it.
            loop {
                let applied = hooks.applied.notified();
                let pending = hooks
                    .unapplied
                    .lock()
                    .expect("unapplied")
                    .get(token.as_bytes())
                    .is_some_and(|n| *n > 0);
                if !ordered || !pending {
                    break;
                }
                applied.await;
            }
            inner.release(&key, &token).await
        })
        .await
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let step = self.hooks.step("extend", &self.hooks.extend);
        let (inner, key, token) = (self.inner.clone(), key.clone(), token.clone());
        Self::send(step, async move { inner.extend(&key, &token, ttl).await }).await
    }

    /// Fair and reader-writer attempts take the `acquire` steps; permits are unhooked.
    async fn acquire_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        lease: Lease<'_>,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let kind = lease.kind();
        if !self.info().capabilities.offers(kind) {
            return Err(BackendError::unsupported("hooked", kind.operation()));
        }
        match lease {
            Lease::Lock => self.try_acquire(key, token, ttl).await,
            Lease::Fair { .. } | Lease::Rw(_) => {
                let step = self.hooks.step("acquire", &self.hooks.acquire);
                let owned = match lease {
                    Lease::Rw(mode) => OwnedLease::Rw(mode),
                    Lease::Fair { queue_ttl } => OwnedLease::Fair(queue_ttl),
                    _ => unreachable!("matched above"),
                };
                let (inner, key, token) = (self.inner.clone(), key.clone(), token.clone());
                Self::send(step, async move {
                    let lease = match owned {
                        OwnedLease::Rw(mode) => Lease::Rw(mode),
                        OwnedLease::Fair(queue_ttl) => Lease::Fair { queue_ttl },
                    };
                    inner.acquire_lease(&key, &token, lease, ttl).await
                })
                .await
            }
            other => self.inner.acquire_lease(key, token, other, ttl).await,
        }
    }

    async fn release_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
    ) -> Result<ReleaseOutcome, BackendError> {
        match kind {
            LeaseKind::Lock => self.release(key, token).await,
            other => self.inner.release_lease(key, token, other).await,
        }
    }

    async fn extend_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        match kind {
            LeaseKind::Lock | LeaseKind::Fair => self.extend(key, token, ttl).await,
            LeaseKind::Rw if self.hooks.rw.load(Ordering::SeqCst) => {
                let step = self.hooks.step("extend", &self.hooks.extend);
                let (inner, key, token) = (self.inner.clone(), key.clone(), token.clone());
                Self::send(step, async move { inner.extend_lease(&key, &token, kind, ttl).await })
                    .await
            }
            other => self.inner.extend_lease(key, token, other, ttl).await,
        }
    }

    /// A plain lock's watch is hooked as `watch_release`; a fair waiter's resolves at its turn;
    /// the others take the watch delay.
    async fn watch_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
    ) -> Result<ReleaseWatch, BackendError> {
        match kind {
            LeaseKind::Lock | LeaseKind::Metadata => self.watch_release(key).await,
            LeaseKind::Fair => self.watch_turn(key, token).await,
            other => {
                self.watch_delay().await;
                self.inner.watch_lease(key, token, other).await
            }
        }
    }

    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        *self.hooks.calls.lock().expect("calls").entry("watch").or_default() += 1;
        if self.hooks.no_notify.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(BackendError::unsupported("hooked", "watch_release"));
        }
        let delay = *self.hooks.watch_delay.lock().expect("delay");
        tokio::time::sleep(delay).await;
        if self.hooks.spurious_watch.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(Box::pin(std::future::ready(())));
        }
        self.inner.watch_release(key).await
    }
});

impl Hooked {
    /// Resolves only once the key is handed to `token`, as a store with one turn channel per
    /// token does (the memory store wakes every watcher at any handoff).
    async fn watch_turn(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseWatch, BackendError> {
        self.watch_delay().await;
        let (inner, key, token) = (self.inner.clone(), key.clone(), token.clone());
        let mut watch = inner.watch_release(&key).await?;
        Ok(Box::pin(async move {
            loop {
                watch.await;
                // Watching again before looking, so no handoff slips by.
                let next = inner.watch_release(&key).await;
                let holder = inner.inspect(&key).await.ok().flatten().map(|info| info.holder);
                match next {
                    _ if holder.as_ref() == Some(&token) => return,
                    Ok(next) => watch = next,
                    Err(_) => return,
                }
            }
        }))
    }
}

/// A lease that outlives the call, for a hooked step.
#[derive(Clone, Copy)]
enum OwnedLease {
    Rw(lock_core::RwMode),
    Fair(Duration),
}
