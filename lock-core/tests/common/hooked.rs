//! A `MemoryBackend` whose calls can be slowed, left unanswered or reordered, step by step.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lock_core::{
    AcquireOutcome, BackendError, BackendInfo, ExtendOutcome, LockBackend, LockInfo, LockKey,
    LockToken, MemoryBackend, ReleaseOutcome, ReleaseWatch, async_trait,
};
use tokio::sync::Notify;

/// What one call does: wait `before`, apply it to the store, then wait `after` before
/// answering (`None`: never answer, as when the reply is lost).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Step {
    pub(crate) before: Duration,
    pub(crate) after: Option<Duration>,
}

impl Default for Step {
    /// Applied and answered at once.
    fn default() -> Self {
        Self { before: Duration::ZERO, after: Some(Duration::ZERO) }
    }
}

impl Step {
    /// Applied at once, answered after `d`.
    pub(crate) fn answer_after(d: Duration) -> Self {
        Self { before: Duration::ZERO, after: Some(d) }
    }

    /// Applied after `d`, answered at once then.
    pub(crate) fn apply_after(d: Duration) -> Self {
        Self { before: d, after: Some(Duration::ZERO) }
    }

    /// Applied after `d`, never answered.
    pub(crate) fn apply_after_silently(d: Duration) -> Self {
        Self { before: d, after: None }
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
    calls: Mutex<HashMap<&'static str, usize>>,
    /// Acquires per token not applied yet: a release of that token waits for them, as the
    /// contract's call order requires of every transport.
    unapplied: Mutex<HashMap<Vec<u8>, usize>>,
    applied: Notify,
}

impl Hooks {
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
    async fn answer<T>(step: Step, value: T) -> T {
        match step.after {
            Some(after) => {
                tokio::time::sleep(after).await;
                value
            }
            None => std::future::pending().await,
        }
    }
}

#[async_trait]
impl LockBackend for Hooked {
    fn info(&self) -> BackendInfo {
        self.inner.info()
    }

    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let step = self.hooks.step("acquire", &self.hooks.acquire);
        *self
            .hooks
            .unapplied
            .lock()
            .expect("unapplied")
            .entry(token.as_bytes().to_vec())
            .or_default() += 1;
        tokio::time::sleep(step.before).await;
        let outcome = self.inner.try_acquire(key, token, ttl).await;
        if let Some(n) = self.hooks.unapplied.lock().expect("unapplied").get_mut(token.as_bytes()) {
            *n -= 1;
        }
        self.hooks.applied.notify_waiters();
        Self::answer(step, outcome).await
    }

    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        let step = self.hooks.step("release", &self.hooks.release);
        loop {
            let applied = self.hooks.applied.notified();
            let pending = self
                .hooks
                .unapplied
                .lock()
                .expect("unapplied")
                .get(token.as_bytes())
                .is_some_and(|n| *n > 0);
            if !pending {
                break;
            }
            applied.await;
        }
        tokio::time::sleep(step.before).await;
        let outcome = self.inner.release(key, token).await;
        Self::answer(step, outcome).await
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let step = self.hooks.step("extend", &self.hooks.extend);
        tokio::time::sleep(step.before).await;
        let outcome = self.inner.extend(key, token, ttl).await;
        Self::answer(step, outcome).await
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        self.inner.inspect(key).await
    }

    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        let delay = *self.hooks.watch_delay.lock().expect("delay");
        tokio::time::sleep(delay).await;
        if self.hooks.spurious_watch.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(Box::pin(std::future::ready(())));
        }
        self.inner.watch_release(key).await
    }
}
