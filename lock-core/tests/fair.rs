//! Fair locks through the manager, on `MemoryBackend` and tokio's paused clock: waiters of
//! every manager are served in the order they came, a waiter that leaves gives up its place,
//! a waiter keeps its place by renewing it, and bad combinations fail before any I/O.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lock_core::{
    Error, LockBackend, LockManager, MemoryBackend, Metadata, RetryPolicy, backend::Lease,
    backend::LeaseKind, limits::FAIR_QUEUE_TTL,
};
use tokio::time::Instant;

const TTL: Duration = Duration::from_secs(10);

/// Five managers (as five processes would be) each ask in turn while the lock is held; each
/// holds it 5 ms. They get it in the order they asked, each from the previous one's release.
#[tokio::test(start_paused = true)]
async fn waiters_of_every_manager_are_served_in_arrival_order() {
    let backend = MemoryBackend::new();
    let holder = LockManager::new(backend.clone());
    let first = holder.lock("fifo").ttl(TTL).fair().acquire().await.expect("free");
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut waiters = Vec::new();
    for i in 0..5 {
        let (locks, order) = (LockManager::new(backend.clone()), order.clone());
        waiters.push(tokio::spawn(async move {
            let guard = locks.lock("fifo").ttl(TTL).fair().acquire().await.expect("granted");
            order.lock().unwrap().push(i);
            tokio::time::sleep(Duration::from_millis(5)).await;
            guard.release().await.expect("release");
        }));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.release().await.expect("release");
    for waiter in waiters {
        waiter.await.expect("waiter");
    }
    assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
}

/// A waiter cancelled while in line leaves it: the next one is handed the lock at the
/// release, not after the cancelled one's place lapses.
#[tokio::test(start_paused = true)]
async fn a_cancelled_waiter_leaves_the_line() {
    let backend = MemoryBackend::new();
    let locks = LockManager::new(backend.clone());
    let held = locks.lock("leave").ttl(TTL).fair().acquire().await.expect("free");
    let gone = {
        let locks = LockManager::new(backend.clone());
        tokio::spawn(async move { locks.lock("leave").ttl(TTL).fair().acquire().await })
    };
    tokio::time::sleep(Duration::from_millis(10)).await;
    let next = {
        let locks = LockManager::new(backend.clone());
        tokio::spawn(async move { locks.lock("leave").ttl(TTL).fair().acquire().await })
    };
    tokio::time::sleep(Duration::from_millis(10)).await;
    gone.abort();
    tokio::time::sleep(Duration::from_millis(10)).await;
    let released = Instant::now();
    held.release().await.expect("release");
    let guard = next.await.expect("join").expect("granted");
    assert!(released.elapsed() < Duration::from_millis(50), "waited {:?}", released.elapsed());
    guard.release().await.expect("release");
}

/// A waiter that gives up (its wait runs out) leaves the line too.
#[tokio::test(start_paused = true)]
async fn a_waiter_that_gives_up_leaves_the_line() {
    let backend = MemoryBackend::new();
    let locks = LockManager::new(backend.clone());
    let held = locks.lock("give-up").ttl(TTL).fair().acquire().await.expect("free");
    let impatient = locks.lock("give-up").ttl(TTL).fair().wait(Duration::from_millis(20));
    assert!(impatient.try_acquire().await.expect("no error").is_none());
    let next = {
        let locks = LockManager::new(backend.clone());
        tokio::spawn(async move { locks.lock("give-up").ttl(TTL).fair().acquire().await })
    };
    tokio::time::sleep(Duration::from_millis(10)).await;
    let released = Instant::now();
    held.release().await.expect("release");
    next.await.expect("join").expect("granted");
    assert!(released.elapsed() < Duration::from_millis(50), "waited {:?}", released.elapsed());
}

/// A waiter in line for much longer than its place lives keeps it by asking again in time: a
/// later waiter does not overtake it.
#[tokio::test(start_paused = true)]
async fn a_long_wait_keeps_its_place() {
    let backend = MemoryBackend::new();
    let locks = LockManager::new(backend.clone());
    let held = locks.lock("long").ttl(TTL * 3).fair().acquire().await.expect("free");
    let order = Arc::new(Mutex::new(Vec::new()));
    let waiter = |i: u32| {
        let (locks, order) = (LockManager::new(backend.clone()), order.clone());
        tokio::spawn(async move {
            let request = locks.lock("long").ttl(TTL).fair();
            let guard = request.retry(RetryPolicy::fixed(Duration::from_secs(60))).acquire();
            let guard = guard.await.expect("granted");
            order.lock().unwrap().push(i);
            guard.release().await.expect("release");
        })
    };
    let first = waiter(1);
    tokio::time::sleep(FAIR_QUEUE_TTL * 4).await;
    let second = waiter(2);
    tokio::time::sleep(Duration::from_millis(10)).await;
    held.release().await.expect("release");
    first.await.expect("first");
    second.await.expect("second");
    assert_eq!(*order.lock().unwrap(), vec![1, 2], "the long waiter lost its place");
}

/// A lock handed to a waiter that never confirms is free again after the queue ttl at most.
#[tokio::test(start_paused = true)]
async fn a_lock_handed_to_a_dead_waiter_lapses() {
    let backend = MemoryBackend::new();
    let a = LockManager::new(backend.clone());
    let held = a.lock("dead").ttl(TTL).fair().acquire().await.expect("free");
    let key = lock_core::LockKey::with_default_prefix("dead").expect("key");
    let dead = lock_core::LockToken::generate().expect("token");
    backend
        .acquire_lease(&key, &dead, Lease::Fair { queue_ttl: FAIR_QUEUE_TTL }, TTL)
        .await
        .expect("queued");
    held.release().await.expect("release: handed to the dead waiter");
    assert!(a.try_lock("dead", TTL).await.expect("no error").is_none(), "not handed over");
    tokio::time::sleep(FAIR_QUEUE_TTL + Duration::from_millis(1)).await;
    assert!(a.try_lock("dead", TTL).await.expect("no error").is_some(), "still blocked");
}
/// Without the backend's fair locks, a fair request is `Unsupported`; with metadata it is
/// `InvalidArgument`; both before any I/O.
#[tokio::test]
async fn fair_requests_are_checked_first() {
    #[derive(Debug)]
    struct Plain(MemoryBackend);
    #[lock_core::backend::async_trait]
    impl lock_core::LockBackend for Plain {
        fn info(&self) -> lock_core::backend::BackendInfo {
            self.0.info()
        }
        async fn try_acquire(
            &self,
            _: &lock_core::LockKey,
            _: &lock_core::LockToken,
            _: Duration,
        ) -> Result<lock_core::backend::AcquireOutcome, lock_core::BackendError> {
            panic!("no I/O expected")
        }
        async fn release(
            &self,
            _: &lock_core::LockKey,
            _: &lock_core::LockToken,
        ) -> Result<lock_core::backend::ReleaseOutcome, lock_core::BackendError> {
            panic!("no I/O expected")
        }
        async fn extend(
            &self,
            _: &lock_core::LockKey,
            _: &lock_core::LockToken,
            _: Duration,
        ) -> Result<lock_core::backend::ExtendOutcome, lock_core::BackendError> {
            panic!("no I/O expected")
        }
        async fn inspect(
            &self,
            _: &lock_core::LockKey,
        ) -> Result<Option<lock_core::backend::LockInfo>, lock_core::BackendError> {
            panic!("no I/O expected")
        }
    }
    let plain = LockManager::new(Plain(MemoryBackend::new()));
    match plain.lock("x").fair().acquire().await {
        Err(Error::Unsupported { operation, .. }) => assert_eq!(operation, "fair locks"),
        other => panic!("expected Unsupported, got {other:?}"),
    }
    let memory = LockManager::new(MemoryBackend::new());
    let meta = Metadata::new().with("purpose", "x").expect("valid");
    match memory.lock("x").fair().metadata(meta).acquire().await {
        Err(Error::InvalidArgument { .. }) => {}
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

/// Counts fair attempts and watches for a turn, forwarding everything to a `MemoryBackend`;
/// `quiet` hides its release notification, as a store without pub/sub would.
#[derive(Debug, Clone, Default)]
struct CountingFair {
    inner: MemoryBackend,
    attempts: Arc<std::sync::atomic::AtomicUsize>,
    watches: Arc<std::sync::atomic::AtomicUsize>,
    quiet: bool,
}

lock_core::forward_lock_backend!(impl for CountingFair => |this| &this.inner, except {
    fn info(&self) -> lock_core::backend::BackendInfo {
        let mut info = self.inner.info();
        info.capabilities.release_notify &= !self.quiet;
        info
    }

    async fn acquire_lease(
        &self,
        key: &lock_core::LockKey,
        token: &lock_core::LockToken,
        lease: Lease<'_>,
        ttl: Duration,
    ) -> Result<lock_core::backend::AcquireOutcome, lock_core::BackendError> {
        if lease.kind() == LeaseKind::Fair {
            self.attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        self.inner.acquire_lease(key, token, lease, ttl).await
    }

    async fn watch_lease(
        &self,
        key: &lock_core::LockKey,
        token: &lock_core::LockToken,
        kind: LeaseKind,
    ) -> Result<lock_core::backend::ReleaseWatch, lock_core::BackendError> {
        if kind == LeaseKind::Fair {
            self.watches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        self.inner.watch_lease(key, token, kind).await
    }
});

/// A fair waiter watching for its turn asks the store only to renew its place (every third of
/// the queue ttl), not at each step of the retry policy's backoff: waiting 10 s behind a holder
/// costs its first attempt, about ten renewals and the confirm.
#[tokio::test(start_paused = true)]
async fn a_watching_waiter_asks_only_to_renew_its_place() {
    let backend = CountingFair::default();
    let locks = LockManager::new(backend.clone());
    let held = locks.lock("quiet").ttl(TTL * 3).fair().acquire().await.expect("free");
    let waiter = {
        let locks = LockManager::new(backend.clone());
        tokio::spawn(async move { locks.lock("quiet").ttl(TTL).fair().acquire().await })
    };
    tokio::time::sleep(Duration::from_secs(10)).await;
    held.release().await.expect("release");
    waiter.await.expect("join").expect("granted");
    let attempts = backend.attempts.load(std::sync::atomic::Ordering::SeqCst);
    // The holder's 1, the waiter's first, 10 s / 1 s renewals, the confirm.
    assert!(attempts <= 14, "{attempts} fair attempts");
}

/// A waiter woken by the release that hands it the lock looks at once: it does not watch for
/// its turn a second time first. One watch per request, the holder's and the waiter's, each
/// registered before the request's first attempt.
#[tokio::test(start_paused = true)]
async fn a_woken_waiter_does_not_watch_again() {
    let backend = CountingFair::default();
    let locks = LockManager::new(backend.clone());
    let held = locks.lock("woken").ttl(TTL).fair().acquire().await.expect("free");
    let before = backend.watches.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(before, 1, "a fair request watches for its turn before its first attempt");
    let waiter = {
        let locks = LockManager::new(backend.clone());
        tokio::spawn(async move { locks.lock("woken").ttl(TTL).fair().acquire().await })
    };
    tokio::time::sleep(Duration::from_millis(10)).await;
    held.release().await.expect("release");
    waiter.await.expect("join").expect("granted");
    let watches = backend.watches.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(watches, 2, "watches for a turn");
}

/// On a store that cannot tell of releases, a fair waiter still renews its place in time,
/// whatever its retry policy's delay: a waiter arriving after its place would have lapsed
/// does not get the lock before it.
#[tokio::test(start_paused = true)]
async fn a_waiter_without_notifications_keeps_its_place() {
    use lock_core::{LockKey, LockToken};
    let backend = CountingFair { quiet: true, ..CountingFair::default() };
    let locks = LockManager::new(backend.clone());
    let held = locks.lock("quiet").ttl(TTL * 3).fair().acquire().await.expect("free");
    let first = {
        let locks = LockManager::new(backend.clone());
        tokio::spawn(async move {
            let request = locks.lock("quiet").ttl(TTL).fair();
            let guard = request.retry(RetryPolicy::fixed(Duration::from_secs(60))).acquire();
            guard.await.expect("granted").release().await.expect("release");
        })
    };
    tokio::time::sleep(FAIR_QUEUE_TTL + Duration::from_secs(2)).await;
    let key = LockKey::with_default_prefix("quiet").expect("key");
    let late = LockToken::generate().expect("token");
    let queued =
        backend.inner.acquire_lease(&key, &late, Lease::Fair { queue_ttl: TTL }, TTL).await;
    assert!(matches!(queued, Ok(lock_core::backend::AcquireOutcome::Held { .. })), "{queued:?}");
    held.release().await.expect("release");
    let next = backend.inspect(&key).await.expect("inspect").map(|info| info.holder);
    assert!(
        next.as_ref().is_some_and(|holder| *holder != late),
        "handed to {next:?}, the later waiter"
    );
    first.await.expect("first waiter");
}

/// A fair guard's `verify` asks the store: true while the lock is its own, false once its
/// ttl ran out.
#[tokio::test(start_paused = true)]
async fn a_fair_guard_verifies_with_the_store() {
    let locks = LockManager::new(MemoryBackend::new());
    let guard = locks.lock("verify").ttl(TTL).fair().acquire().await.expect("free");
    assert!(guard.verify().await.expect("no error"), "held, yet not verified");
    tokio::time::sleep(TTL).await;
    assert!(!guard.verify().await.expect("no error"), "expired, yet verified");
}

/// A place in the queue lapses exactly at its queue ttl after the last attempt (FA4): a
/// release 1 ms before hands the lock to the waiter, one at that instant to no one.
#[tokio::test(start_paused = true)]
async fn a_place_lapses_exactly_at_its_queue_ttl() {
    use lock_core::{LockKey, LockToken};
    let queue_ttl = Duration::from_millis(300);
    for (after, handed) in [(queue_ttl - Duration::from_millis(1), true), (queue_ttl, false)] {
        let backend = MemoryBackend::new();
        let key = LockKey::with_default_prefix("lapse").expect("key");
        let (holder, waiter) = (LockToken::generate(), LockToken::generate());
        let (holder, waiter) = (holder.expect("token"), waiter.expect("token"));
        backend.acquire_lease(&key, &holder, Lease::Fair { queue_ttl }, TTL).await.expect("free");
        let queued = backend.acquire_lease(&key, &waiter, Lease::Fair { queue_ttl }, TTL).await;
        assert!(
            matches!(queued, Ok(lock_core::backend::AcquireOutcome::Held { .. })),
            "{queued:?}"
        );
        tokio::time::sleep(after).await;
        backend.release_lease(&key, &holder, LeaseKind::Fair).await.expect("release");
        let now = backend.inspect(&key).await.expect("inspect").map(|info| info.holder);
        assert_eq!(now == Some(waiter), handed, "released {after:?} after the waiter asked");
    }
}

/// Issue 20, item 11: a fair waiter whose first grant went unconfirmed (a `Replication` error:
/// given back, and the request goes on with a fresh token) watches the fresh token's turn, not
/// the old one's. Before, it kept the old token's watch, which never fires, and looked only
/// every second to renew its place: a lock handed to it waited up to a second, and with a ttl
/// under that the handover lapsed before it looked.
#[tokio::test(start_paused = true)]
async fn a_waiter_with_a_fresh_token_watches_the_fresh_turn() {
    use common::hooked::{Hooked, Step};
    use lock_core::{BackendErrorKind, LockKey, LockToken};
    let ms = Duration::from_millis;
    let backend = Hooked::default();
    backend.hooks.fair.store(true, std::sync::atomic::Ordering::SeqCst);
    // The first fair attempt is granted, then reported unconfirmed by the replicas.
    backend.hooks.acquire.lock().expect("steps").push(Step::fails(BackendErrorKind::Replication));
    let locks = LockManager::new(backend.clone());
    let key = LockKey::with_default_prefix("fresh-turn").expect("key");
    let other = LockToken::generate().expect("token");
    let fair = &backend.inner;
    let waiter = tokio::spawn(async move {
        let guard = locks.lock("fresh-turn").ttl(ms(500)).fair().wait(ms(5_000)).acquire().await;
        (guard, Instant::now())
    });
    // Once the unconfirmed grant is given back, another holder takes the lock.
    let took = Instant::now();
    loop {
        tokio::time::sleep(ms(1)).await;
        let got = fair
            .acquire_lease(&key, &other, Lease::Fair { queue_ttl: TTL }, TTL)
            .await
            .expect("answer");
        if matches!(got, lock_core::backend::AcquireOutcome::Acquired { .. }) {
            break;
        }
        assert!(took.elapsed() < ms(2_000), "the unconfirmed grant was never given back");
    }
    // The waiter queues behind it with its fresh token; then the holder hands it the lock.
    tokio::time::sleep(ms(300)).await;
    let released = Instant::now();
    fair.release_lease(&key, &other, LeaseKind::Fair).await.expect("release");
    let (guard, at) = waiter.await.expect("task");
    let guard = guard.expect("the waiter got the lock");
    assert!(
        at - released < ms(100),
        "the waiter took {:?} to take the lock handed to it",
        at - released
    );
    guard.release().await.expect("release");
}

/// A fair lock is a plain lock in the store: its guard writes guarded data as any lock's
/// does, and a write under a guard that lost it is refused. (The fair view used to answer
/// guarded writes as unsupported.)
#[tokio::test(start_paused = true)]
async fn a_fair_guard_writes_guarded_data() {
    let locks = LockManager::new(MemoryBackend::new());
    let guard = locks.lock("fair-data").ttl(TTL).fair().acquire().await.expect("free");
    let data = guard.data_key("report").expect("a data key");
    let written = guard.write(&data, b"v1").await.expect("a guarded write");
    assert_eq!(written, lock_core::backend::WriteOutcome::Written);
    assert_eq!(locks.read_data(&data).await.expect("read"), Some(b"v1".to_vec()));
    let fenced = guard.write_fenced(&data, b"v2").await.expect("a fenced write");
    assert_eq!(fenced, lock_core::backend::WriteOutcome::Written);
    guard.release().await.expect("release");
}

/// A fair waiter on a store without release notification polls at its policy's spacing: only a
/// waiter watching for its turn may pause longer (up to a third of its place's ttl).
#[tokio::test(start_paused = true)]
async fn a_fair_waiter_without_a_watch_polls_at_its_spacing() {
    let backend = common::hooked::Hooked::default();
    backend.hooks.fair.store(true, std::sync::atomic::Ordering::SeqCst);
    backend.hooks.no_notify.store(true, std::sync::atomic::Ordering::SeqCst);
    let locks = LockManager::new(backend.clone());
    let held = locks.lock("unwatched").ttl(TTL).fair().acquire().await.expect("free");
    let waiter = {
        let locks = locks.clone();
        tokio::spawn(async move {
            let policy = RetryPolicy::fixed(Duration::from_millis(20));
            let guard = locks.lock("unwatched").ttl(TTL).fair().retry(policy).wait(TTL);
            let guard = guard.acquire().await;
            (guard, Instant::now())
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let released = Instant::now();
    held.release().await.expect("release");
    let (guard, got) = waiter.await.expect("task");
    guard.expect("handed over");
    let waited = got - released;
    assert!(waited <= Duration::from_millis(60), "took {waited:?} with a 20 ms spacing");
}
