//! Which watch the manager asks the store for: `watch_before_attempt` when an attempt at the key
//! follows the watch (a single lock's wait, a lock with metadata too), `watch_release` when a
//! read follows it (a lock set's wait reads its blocker after a wake-up). A store whose
//! releases wake only waiters that left a mark (lock-redis) relies on the first to skip a round
//! trip and on the second to leave the mark a read does not.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lock_core::{
    BackendError, DynLockBackend, LockKey, LockManager, MemoryBackend, Metadata, Quorum,
    backend::ReleaseWatch,
};

/// The in-process store, counting each kind of watch asked of it.
#[derive(Debug, Default)]
struct Watches {
    inner: MemoryBackend,
    before_attempt: AtomicUsize,
    bare: AtomicUsize,
}

lock_core::forward_lock_backend!(impl for Watches => |this| &this.inner, except {
    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.bare.fetch_add(1, Ordering::SeqCst);
        self.inner.watch_release(key).await
    }

    async fn watch_before_attempt(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.before_attempt.fetch_add(1, Ordering::SeqCst);
        self.inner.watch_before_attempt(key).await
    }
});

const TTL: Duration = Duration::from_secs(30);

/// Holds `name` in a manager over `store`, lets `wait` start waiting for it, and releases it
/// after 50 ms; the waiter must take it soon after.
async fn hold_then_release<F>(
    store: Arc<DynLockBackend>,
    name: &str,
    wait: impl FnOnce(LockManager) -> F,
) where
    F: Future<Output = ()> + Send + 'static,
{
    let locks = LockManager::from_shared(store);
    let holder = locks.lock(name).ttl(TTL).acquire().await.expect("free");
    let waiter = tokio::spawn(wait(locks.clone()));
    tokio::time::sleep(Duration::from_millis(50)).await;
    holder.release().await.expect("released");
    tokio::time::timeout(Duration::from_secs(2), waiter)
        .await
        .expect("the waiter took the lock soon after the release")
        .expect("the waiter did not panic");
}

/// [`hold_then_release`] over one counting store; returns the watches asked for as (before an
/// attempt, bare).
async fn watches_of<F>(name: &str, wait: impl FnOnce(LockManager) -> F) -> (usize, usize)
where
    F: Future<Output = ()> + Send + 'static,
{
    let store = Arc::new(Watches::default());
    hold_then_release(store.clone(), name, wait).await;
    (store.before_attempt.load(Ordering::SeqCst), store.bare.load(Ordering::SeqCst))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_locks_wait_watches_before_its_attempts() {
    let watches = watches_of("one", |locks| async move {
        let guard = locks.lock("one").ttl(TTL).wait(Duration::from_secs(5)).acquire().await;
        guard.expect("acquired").release().await.expect("released");
    })
    .await;
    assert!(watches.0 >= 1 && watches.1 == 0, "(before an attempt, bare): {watches:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_with_metadatas_wait_watches_before_its_attempts() {
    let watches = watches_of("meta", |locks| async move {
        let meta = Metadata::new().with("owner", "waiter").expect("valid");
        let request = locks.lock("meta").ttl(TTL).metadata(meta).wait(Duration::from_secs(5));
        request.acquire().await.expect("acquired").release().await.expect("released");
    })
    .await;
    assert!(watches.0 >= 1 && watches.1 == 0, "(before an attempt, bare): {watches:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_sets_wait_watches_its_blocker_bare() {
    let watches = watches_of("set-b", |locks| async move {
        let set = locks.lock_all(["set-a", "set-b"]).ttl(TTL).wait(Duration::from_secs(5));
        set.acquire().await.expect("acquired").release().await.expect("released");
    })
    .await;
    assert!(watches.1 >= 1 && watches.0 == 0, "(before an attempt, bare): {watches:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quorums_wait_watches_each_node_before_its_attempts() {
    let nodes: Vec<Arc<Watches>> = (0..3).map(|_| Arc::new(Watches::default())).collect();
    let quorum = nodes.iter().fold(Quorum::builder(), |b, n| b.node(n.clone()));
    let quorum = quorum.build().expect("three nodes");
    hold_then_release(Arc::new(quorum), "quorum", |locks| async move {
        let guard = locks.lock("quorum").ttl(TTL).wait(Duration::from_secs(5)).acquire().await;
        guard.expect("acquired").release().await.expect("released");
    })
    .await;
    let watches: Vec<(usize, usize)> = nodes
        .iter()
        .map(|n| (n.before_attempt.load(Ordering::SeqCst), n.bare.load(Ordering::SeqCst)))
        .collect();
    let before = watches.iter().filter(|(before, _)| *before >= 1).count();
    assert!(
        before >= 2 && watches.iter().all(|(_, bare)| *bare == 0),
        "(before an attempt, bare) per node: {watches:?}"
    );
}
