//! Batched refresh on tokio's paused clock: many auto-refreshed locks of one backend are
//! extended a batch at a time, each lock keeps its own answer and its own loss.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lock_core::{
    BackendError, LockBackend, LockGuard, LockKey, LockManager, LockToken, LossReason,
    MemoryBackend, backend::ExtendItem, backend::ExtendOutcome, backend::ReleaseOutcome,
};

/// A `MemoryBackend` that offers batched extends, counting them; `short` makes each batch
/// answer one outcome too few; each batch reaches the store `delay` after it is sent.
#[derive(Debug, Clone, Default)]
struct Batching {
    inner: MemoryBackend,
    max: usize,
    short: bool,
    delay: Duration,
    single: Arc<AtomicUsize>,
    batches: Arc<AtomicUsize>,
    items: Arc<AtomicUsize>,
    largest: Arc<AtomicUsize>,
}

impl Batching {
    fn new(max: usize) -> Self {
        Self { max, ..Self::default() }
    }
}

lock_core::forward_lock_backend!(impl for Batching => |this| &this.inner, except {
    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.single.fetch_add(1, Ordering::SeqCst);
        self.inner.extend(key, token, ttl).await
    }

    fn max_batch(&self) -> usize {
        self.max
    }
    async fn extend_batch(
        &self,
        items: &[ExtendItem<'_>],
    ) -> Result<Vec<ExtendOutcome>, BackendError> {
        self.batches.fetch_add(1, Ordering::SeqCst);
        self.items.fetch_add(items.len(), Ordering::SeqCst);
        self.largest.fetch_max(items.len(), Ordering::SeqCst);
        let items = if self.short { &items[..items.len() - 1] } else { items };
        tokio::time::sleep(self.delay).await;
        self.inner.extend_batch(items).await
    }
});

const TTL: Duration = Duration::from_secs(3);

/// `n` auto-refreshed locks, taken `gap` apart.
async fn hold(locks: &LockManager, n: usize, gap: Duration) -> Vec<LockGuard> {
    let mut guards = Vec::new();
    for i in 0..n {
        let guard =
            locks.lock(format!("batch-{i}")).ttl(TTL).auto_refresh().acquire().await.expect("free");
        guards.push(guard);
        tokio::time::sleep(gap).await;
    }
    guards
}

/// 1,000 locks taken over a second and held for a minute: every one stays held, each is
/// extended about as often as on its own (a third of its validity, at most an eighth early),
/// and the backend sees at most 1/50 as many calls as there were extensions.
#[tokio::test(start_paused = true)]
async fn many_locks_are_refreshed_in_few_calls() {
    let backend = Batching::new(256);
    let locks = LockManager::new(backend.clone());
    let guards = hold(&locks, 1_000, Duration::from_millis(1)).await;
    let start = backend.items.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(guards.iter().all(|g| g.is_valid()), "a lock was lost");
    let items = backend.items.load(Ordering::SeqCst) - start;
    let calls = backend.batches.load(Ordering::SeqCst) + backend.single.load(Ordering::SeqCst);
    // One extension a second each when refreshed alone: 60,000.
    assert!((57_000..=69_000).contains(&items), "{items} extensions for 1,000 locks in 60 s");
    assert!(calls * 50 <= items, "{calls} calls for {items} extensions");
    assert!(backend.largest.load(Ordering::SeqCst) <= 256, "a batch over max_batch");
}

/// Batches never carry more than the backend's `max_batch`.
#[tokio::test(start_paused = true)]
async fn batches_keep_to_max_batch() {
    let backend = Batching::new(16);
    let locks = LockManager::new(backend.clone());
    let guards = hold(&locks, 100, Duration::ZERO).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(guards.iter().all(|g| g.is_valid()));
    assert_eq!(backend.largest.load(Ordering::SeqCst), 16);
    assert!(backend.batches.load(Ordering::SeqCst) >= 100 / 16 * 4, "too few batches");
}

/// A lock deleted behind its holder's back is reported lost (`NotHeld`) at the next batch;
/// the others of the same batch stay held.
#[tokio::test(start_paused = true)]
async fn a_lock_lost_in_a_batch_is_the_only_one_lost() {
    let backend = Batching::new(256);
    let locks = LockManager::new(backend.clone());
    let guards = hold(&locks, 10, Duration::ZERO).await;
    let victim = guards[3].key().clone();
    let holder = backend.inner.inspect(&victim).await.expect("inspect").expect("held").holder;
    backend.inner.release(&victim, &holder).await.expect("release");
    tokio::time::sleep(TTL).await;
    for (i, guard) in guards.iter().enumerate() {
        if i == 3 {
            assert_eq!(guard.loss(), Some(LossReason::NotHeld), "the deleted lock");
        } else {
            assert!(guard.is_valid(), "lock {i} lost with the deleted one");
        }
    }
    assert_eq!(backend.single.load(Ordering::SeqCst), 0, "extended one by one");
}

/// A batch answered with an outcome missing is an error for every lock in it, never an
/// extension: no deadline moves, and the locks run out at their ttl.
#[tokio::test(start_paused = true)]
async fn a_short_answer_extends_nothing() {
    let backend = Batching { short: true, ..Batching::new(256) };
    let locks = LockManager::new(backend.clone());
    let guards = hold(&locks, 5, Duration::ZERO).await;
    let deadlines: Vec<_> = guards.iter().map(|g| g.deadline()).collect();
    tokio::time::sleep(TTL / 2).await;
    assert!(backend.batches.load(Ordering::SeqCst) >= 1, "no batch was sent");
    for (guard, deadline) in guards.iter().zip(deadlines) {
        assert_eq!(guard.deadline(), deadline, "a deadline moved on a short answer");
    }
    tokio::time::sleep(TTL).await;
    assert!(guards.iter().all(|g| !g.is_valid()), "a lock outlived its ttl");
}

/// A lock joins a batch only when it is due within an eighth of its refresh interval (3 s ttl:
/// an interval of about 1 s, an eighth of about 124 ms): two locks taken 100 ms apart are
/// extended in one batch, two taken 200 ms apart each on its own.
#[tokio::test(start_paused = true)]
async fn a_lock_goes_at_most_an_eighth_early_to_join_a_batch() {
    for (gap, together) in [(Duration::from_millis(100), true), (Duration::from_millis(200), false)]
    {
        let backend = Batching::new(256);
        let locks = LockManager::new(backend.clone());
        let guards = hold(&locks, 2, gap).await;
        tokio::time::sleep(TTL / 2).await;
        assert!(guards.iter().all(|g| g.is_valid()), "a lock was lost");
        let calls = [&backend.batches, &backend.items, &backend.single];
        let [batches, batched, single] = calls.map(|n| n.load(Ordering::SeqCst));
        let expected = if together { [1, 2, 0] } else { [0, 0, 2] };
        assert_eq!([batches, batched, single], expected, "locks {gap:?} apart");
    }
}

/// Issue 20, item 6: two batches that share guards never wait for each other's turns. A manual
/// extension re-queues its guard while an earlier batch may still hold it, so the same guards
/// can be in two batches at once, in opposite orders: batch 1 = [A, B, C] holds A and waits for
/// B (a slow manual extension holds B); C's and A's manual extensions put C before A, and batch
/// 2 = [C, A] holds C and waits for A; B's extension ends, and batch 1 waits for C. Taking the
/// turns in one order (the entries' ids) breaks the cycle. Before, A, B and C were never
/// refreshed again and a manual `extend` on them hung.
#[tokio::test(start_paused = true)]
async fn batches_sharing_guards_do_not_wait_on_each_other() {
    use common::hooked::{Hooked, Step};
    use tokio::time::{Instant, sleep, sleep_until};
    let ms = Duration::from_millis;
    let backend = Hooked::default();
    backend.hooks.batches.store(true, Ordering::SeqCst);
    // The single extends (the manual ones here): A's answers 200 ms late, B's 1.4 s late.
    backend
        .hooks
        .extend
        .lock()
        .expect("steps")
        .extend([Step::answer_after(ms(200)), Step::answer_after(ms(1_400))]);
    let locks = LockManager::new(backend.clone());
    let t0 = Instant::now();
    let mut guards = Vec::new();
    for name in ["batch-turn-a", "batch-turn-b", "batch-turn-c"] {
        let guard = locks.lock(name).ttl(TTL).auto_refresh().acquire().await.expect("free");
        guards.push(Arc::new(guard));
    }
    let (a, b, c) = (guards[0].clone(), guards[1].clone(), guards[2].clone());
    // All three are due together, just under a second in: the first batch is [A, B, C].
    sleep_until(t0 + ms(900)).await;
    let slow_a = tokio::spawn({
        let a = a.clone();
        async move { a.extend(ms(4_000)).await }
    });
    sleep(ms(1)).await;
    let slow_b = tokio::spawn({
        let b = b.clone();
        async move { b.extend(TTL).await }
    });
    sleep_until(t0 + ms(1_150)).await;
    c.extend(TTL).await.expect("C's manual extension");
    slow_a.await.expect("task").expect("A's manual extension");
    slow_b.await.expect("task").expect("B's manual extension");
    sleep_until(t0 + ms(6_000)).await;
    for (name, guard) in [("A", &a), ("B", &b), ("C", &c)] {
        let extended = tokio::time::timeout(ms(10_000), guard.extend(TTL)).await;
        assert!(extended.is_ok(), "{name}'s manual extension hung: its turn is never given back");
        assert!(guard.is_valid(), "{name} was lost: {:?}", guard.loss());
    }
}

/// A batch applied but not confirmed by the replicas (WAIT mode) used to answer one error for
/// every lock in it, so a lock found gone was signalled only at its deadline. Each lock is now
/// asked again on its own: the gone one is lost at once, the other stays held.
#[tokio::test(start_paused = true)]
async fn an_unconfirmed_batch_does_not_hide_a_lost_lock() {
    let backend = common::hooked::Hooked::default();
    backend.hooks.batches.store(true, Ordering::SeqCst);
    let locks = LockManager::new(backend.clone());
    let ttl = Duration::from_secs(10);
    let kept = locks.lock("kept").ttl(ttl).auto_refresh().acquire().await.expect("free");
    let gone = locks.lock("gone").ttl(ttl).auto_refresh().acquire().await.expect("free");
    let gone_token = backend.hooks.acquire_tokens().pop().expect("sent");
    // Deleted behind its holder's back, and every batch from now on answered as unconfirmed.
    let key = locks.key("gone").expect("key");
    assert_eq!(
        backend.inner.release(&key, &gone_token).await.expect("ok"),
        ReleaseOutcome::Released
    );
    *backend.hooks.batch_fails.lock().expect("hook") =
        Some(lock_core::BackendErrorKind::Replication);
    let lost = tokio::time::timeout(ttl / 2, gone.lost()).await;
    assert_eq!(
        lost.ok(),
        Some(LossReason::NotHeld),
        "the gone lock was not told before half its ttl"
    );
    assert!(kept.is_valid() && kept.loss().is_none(), "the held lock was lost: {:?}", kept.loss());
}

/// Two auto-refreshed 600 ms locks (refreshed together about every 200 ms) of a store whose
/// batches take `delay`, on a manager with a 100 ms call timeout.
async fn refreshed_pair(delay: Duration) -> (LockManager, Vec<LockGuard>) {
    let backend = Batching { delay, ..Batching::new(10) };
    let locks = LockManager::builder(backend).call_timeout(MS * 100).build().expect("valid");
    let mut guards = Vec::new();
    for i in 0..2 {
        let guard = locks.lock(format!("pair-{i}")).ttl(MS * 600).auto_refresh().acquire();
        guards.push(guard.await.expect("free"));
    }
    (locks, guards)
}

const MS: Duration = Duration::from_millis(1);

/// A batched refresh cut by the call timeout may still land and set each lock back to its
/// 600 ms: until it is presumed lost, a manual extension to 5 s moves the deadline no further
/// than 600 ms from when it is sent.
#[tokio::test(start_paused = true)]
async fn a_cut_batch_caps_the_extensions_sent_while_it_may_land() {
    let (_locks, guards) = refreshed_pair(MS * 150).await;
    // The batch goes out at about 200 ms and is cut at about 300 ms.
    tokio::time::sleep(MS * 310).await;
    let sent = tokio::time::Instant::now();
    guards[0].extend(Duration::from_secs(5)).await.expect("extended");
    let trusted = guards[0].deadline() - sent;
    assert!(trusted <= MS * 600, "trusted {trusted:?} while the cut batch may land");
}

/// A guard leaked while a batched refresh of it is in flight: the adopted guard trusts no more
/// than that refresh leaves if it lands after the adoption.
#[tokio::test(start_paused = true)]
async fn a_guard_leaked_during_a_batch_caps_its_adoption() {
    let (locks, mut guards) = refreshed_pair(MS * 80).await;
    // The batch goes out at about 200 ms and lands at about 280 ms.
    tokio::time::sleep(MS * 220).await;
    let handover = guards.remove(0).leak();
    let adopted = locks.adopt(handover).ttl(Duration::from_secs(5)).try_acquire().await;
    let adopted = adopted.expect("ok").expect("still ours");
    let trusted = adopted.deadline() - tokio::time::Instant::now();
    assert!(trusted <= MS * 600, "the adopted guard trusts {trusted:?}");
}
