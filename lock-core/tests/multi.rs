//! Lock sets through the manager, on a backend with atomic sets whose calls take a set time
//! (paused tokio time): one call per attempt, and every member given back when the set is not
//! handed out (cancelled, granted too late, cut off by the call timeout), after the call.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lock_core::{
    BackendError, Error, LockKey, LockManager, LockToken, MemoryBackend, backend::AcquireOutcome,
    backend::BackendInfo, backend::LockInfo, backend::MultiAcquireOutcome, backend::ReleaseWatch,
};

/// A `MemoryBackend` whose `try_acquire_all` answers after `delay`; with `by_name`, it offers
/// no atomic sets and each single acquire answers after `delay` instead.
#[derive(Debug, Default, Clone)]
struct SlowSets {
    inner: MemoryBackend,
    delay: Duration,
    by_name: bool,
    /// Answers `Acquired` with one fence fewer than keys (a broken backend).
    short_reply: bool,
    /// Watches that resolve at once, for nothing (allowed by W4).
    spurious: bool,
    inspects: Arc<AtomicUsize>,
    /// How many `try_acquire_all` calls still fail with a temporary error first.
    failures: Arc<AtomicUsize>,
    sets: Arc<AtomicUsize>,
    singles: Arc<AtomicUsize>,
}

lock_core::forward_lock_backend!(impl for SlowSets => |this| &this.inner, except {
    /// The memory store's, with atomic sets unless `by_name` (and no guarded writes).
    fn info(&self) -> BackendInfo {
        let info = self.inner.info();
        let caps = info.capabilities.with_lock_sets(!self.by_name).with_guarded_writes(false);
        BackendInfo::new(info.name, caps)
    }
    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        self.singles.fetch_add(1, Ordering::SeqCst);
        if self.by_name {
            tokio::time::sleep(self.delay).await;
        }
        self.inner.try_acquire(key, token, ttl).await
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        self.inspects.fetch_add(1, Ordering::SeqCst);
        self.inner.inspect(key).await
    }
    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        if self.spurious {
            return Ok(Box::pin(std::future::ready(())));
        }
        self.inner.watch_release(key).await
    }
    fn can_acquire_together(&self, _keys: &[LockKey]) -> bool {
        true
    }
    async fn try_acquire_all(
        &self,
        keys: &[LockKey],
        tokens: &[LockToken],
        ttl: Duration,
    ) -> Result<MultiAcquireOutcome, BackendError> {
        self.sets.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        let failing =
            self.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if failing.is_ok() {
            return Err(BackendError::new(
                "slow",
                lock_core::BackendErrorKind::Timeout,
                "try again",
            ));
        }
        let mut outcome = self.inner.try_acquire_all(keys, tokens, ttl).await?;
        if self.short_reply
            && let MultiAcquireOutcome::Acquired { fencing } = &mut outcome
        {
            fencing.pop();
        }
        Ok(outcome)
    }
});

const NAMES: [&str; 3] = ["a", "b", "c"];

#[tokio::test(start_paused = true)]
async fn a_set_the_backend_takes_together_is_one_call() {
    let backend = SlowSets::default();
    let locks = LockManager::new(backend.clone());
    let set = locks.lock_all(NAMES).ttl(Duration::from_secs(5)).acquire().await.expect("free");
    assert_eq!(
        (backend.sets.load(Ordering::SeqCst), backend.singles.load(Ordering::SeqCst)),
        (1, 0)
    );
    assert_eq!(backend.inner.live_locks(), 3);
    assert!(set.fencing_tokens().iter().all(|(_, f)| f.is_some()));
    set.release().await.expect("release");
    assert_eq!(backend.inner.live_locks(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_set_acquire_is_given_back_after_the_call() {
    let backend = SlowSets { delay: Duration::from_millis(100), ..SlowSets::default() };
    let locks = LockManager::new(backend.clone());
    let request = locks.lock_all(NAMES).ttl(Duration::from_secs(30)).acquire();
    assert!(
        tokio::time::timeout(Duration::from_millis(50), request).await.is_err(),
        "not cancelled"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(backend.inner.live_locks(), 0, "a cancelled set kept its grant");
}

#[tokio::test(start_paused = true)]
async fn a_set_granted_after_its_validity_is_given_back() {
    let backend = SlowSets { delay: Duration::from_millis(150), ..SlowSets::default() };
    let locks = LockManager::new(backend.clone());
    let set = locks.lock_all(NAMES).ttl(Duration::from_millis(100)).try_acquire().await;
    assert!(matches!(set, Ok(None)), "a late set was handed out: {set:?}");
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(backend.inner.live_locks(), 0, "a late grant was kept");
}

#[tokio::test(start_paused = true)]
async fn a_set_call_cut_off_by_the_timeout_is_given_back_when_it_lands() {
    let backend = SlowSets { delay: Duration::from_millis(100), ..SlowSets::default() };
    let locks = LockManager::builder(backend.clone())
        .call_timeout(Duration::from_millis(50))
        .build()
        .expect("valid");
    let set = locks.lock_all(NAMES).ttl(Duration::from_secs(30)).try_acquire().await;
    assert!(matches!(set, Err(Error::Backend(_))), "a timed-out set: {set:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(backend.inner.live_locks(), 0, "the grant that landed after the timeout was kept");
}

#[tokio::test(start_paused = true)]
async fn a_set_cancelled_midway_by_name_is_given_back() {
    let backend =
        SlowSets { delay: Duration::from_millis(100), by_name: true, ..SlowSets::default() };
    let locks = LockManager::new(backend.clone());
    let request = locks.lock_all(NAMES).ttl(Duration::from_secs(30)).acquire();
    // Cancelled while the second name's acquire is in flight: the first is held by then.
    assert!(tokio::time::timeout(Duration::from_millis(150), request).await.is_err());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(backend.sets.load(Ordering::SeqCst), 0, "the set was taken atomically");
    assert_eq!(backend.inner.live_locks(), 0, "a member of a cancelled set was kept");
}

#[tokio::test(start_paused = true)]
async fn a_set_taken_by_name_gives_back_its_part_when_refused() {
    let backend = SlowSets { by_name: true, ..SlowSets::default() };
    let locks = LockManager::new(backend.clone());
    let other = locks.try_lock("c", Duration::from_secs(30)).await.expect("ok").expect("free");
    let set = locks.lock_all(NAMES).ttl(Duration::from_secs(30)).try_acquire().await;
    assert!(matches!(set, Ok(None)), "{set:?}");
    assert_eq!(backend.inner.live_locks(), 1, "a and b were kept after c was refused");
    other.release().await.expect("release");
}

/// A backend answering fewer fences than keys is a protocol error, never a set with a member
/// missing; what it granted is given back.
#[tokio::test(start_paused = true)]
async fn a_grant_with_a_fence_missing_is_an_error() {
    let backend = SlowSets { short_reply: true, ..SlowSets::default() };
    let locks = LockManager::new(backend.clone());
    let set = locks.lock_all(NAMES).ttl(Duration::from_secs(30)).try_acquire().await;
    match set {
        Err(Error::Backend(e)) => assert!(e.to_string().contains("fences"), "{e}"),
        other => panic!("a short reply gave {other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(backend.inner.live_locks(), 0, "the grant was kept");
}

/// Attempts are counted from 1, and a temporary store error is retried as the policy allows.
#[tokio::test(start_paused = true)]
async fn a_temporary_error_is_retried_and_attempts_are_counted() {
    let backend = SlowSets { failures: Arc::new(AtomicUsize::new(1)), ..SlowSets::default() };
    let locks = LockManager::new(backend.clone());
    let policy = lock_core::RetryPolicy::fixed(Duration::from_millis(10)).max_attempts(3);
    let set = locks.lock_all(NAMES).ttl(Duration::from_secs(30)).retry(policy).acquire().await;
    let set = set.expect("retried after the temporary error");
    assert_eq!(backend.sets.load(Ordering::SeqCst), 2);
    assert!(set.guards().iter().all(|g| g.attempts() == 2), "attempts of the second try");
    set.release().await.expect("release");
    let first = locks.lock_all(NAMES).ttl(Duration::from_secs(30)).acquire().await.expect("free");
    assert!(first.guards().iter().all(|g| g.attempts() == 1), "attempts of a first try");
}

/// A waiting set keeps its retry spacing although the blocker's watch fires for nothing: each
/// wake-up costs one look (at least the minimum delay apart), never a pass over the set.
#[tokio::test(start_paused = true)]
async fn spurious_wake_ups_keep_the_spacing() {
    let backend = SlowSets { spurious: true, ..SlowSets::default() };
    let locks = LockManager::new(backend.clone());
    let blocker = locks.try_lock("b", Duration::from_secs(30)).await.expect("ok").expect("free");
    let policy = lock_core::RetryPolicy::fixed(Duration::from_millis(100)).max_attempts(3);
    let started = tokio::time::Instant::now();
    let set = locks.lock_all(NAMES).ttl(Duration::from_secs(30)).retry(policy).acquire().await;
    assert!(matches!(set, Err(Error::WaitTimeout { attempts: 3, .. })), "{set:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "gave up after {:?}",
        started.elapsed()
    );
    assert_eq!(backend.sets.load(Ordering::SeqCst), 3, "passes over the set");
    let looks = backend.inspects.load(Ordering::SeqCst);
    assert!(looks <= 2 * 101, "{looks} looks in two 100 ms pauses");
    blocker.release().await.expect("release");
}
