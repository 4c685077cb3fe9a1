//! S2 and S6 at the manager: a grant that comes back too late is never handed out, is given
//! back, and its token is never sent again; an ambiguous attempt is released when the acquire
//! gives up, even after a later attempt found the lock held.

mod common;

use std::time::Duration;

use common::hooked::{Hooked, Step};
use lock_core::{
    HolderId, LockBackend, LockGuard, LockManager, LockToken, MemoryBackend, RetryPolicy,
};

const MS: Duration = Duration::from_millis(1);

async fn holder(store: &MemoryBackend, guard: &LockGuard) -> Option<HolderId> {
    store.inspect(guard.key()).await.expect("inspect").map(|i| HolderId::of(&i.holder))
}

/// S2: the answer to an acquire arrives after the lock's validity: no guard, the grant is given
/// back long before its ttl would have run out.
#[tokio::test(start_paused = true)]
async fn a_grant_answered_after_its_validity_is_not_handed_out() {
    let backend = Hooked::default();
    backend.hooks.acquire.lock().expect("steps").push(Step::answer_after(120 * MS));
    let locks = LockManager::new(backend.clone());
    let got = locks.try_lock("late", 100 * MS).await.expect("ok");
    assert!(got.is_none(), "a grant that came back after its 100 ms ttl was handed out");
    tokio::time::sleep(5 * MS).await;
    assert!(!locks.is_locked("late").await.expect("ok"), "the late grant was not given back");
    assert_eq!(backend.hooks.calls("release"), 1);
}

/// A grant answered exactly at its validity deadline leaves nothing to rely on: not handed out.
#[tokio::test(start_paused = true)]
async fn a_grant_answered_at_its_deadline_is_not_handed_out() {
    let backend = Hooked::default();
    // 100 ms less the default drift allowance (1 % + 2 ms): 97 ms of validity.
    backend.hooks.acquire.lock().expect("steps").push(Step::answer_after(97 * MS));
    let locks = LockManager::new(backend.clone());
    assert!(locks.try_lock("deadline", 100 * MS).await.expect("ok").is_none());
}

/// A late grant whose give-back is slow (it reaches the store after the next attempt): the
/// next attempt uses a fresh token, so the give-back cannot delete the grant the guard is
/// handed. With the same token, the re-acquire would succeed and the slow give-back would then
/// delete it under a valid guard.
#[tokio::test(start_paused = true)]
async fn a_slow_give_back_never_deletes_the_next_grant() {
    let backend = Hooked::default();
    // Granted at once, answered after 1.2 s: past the 1 s lock's validity, within the 2 s call
    // timeout.
    backend.hooks.acquire.lock().expect("steps").push(Step::answer_after(1_200 * MS));
    // The give-back reaches the store 3 s after it was sent (the manager stops waiting at 2 s).
    backend.hooks.release.lock().expect("steps").push(Step::apply_after(3_000 * MS));
    let locks =
        LockManager::builder(backend.clone()).call_timeout(2_000 * MS).build().expect("settings");
    let guard = locks
        .lock("slow-give-back")
        .ttl(Duration::from_secs(1))
        .auto_refresh()
        .retry(RetryPolicy::fixed(5 * MS))
        .wait(Duration::from_secs(10))
        .acquire()
        .await
        .expect("acquired after the late grant");
    let ours = guard.holder();
    for _ in 0..6_000 {
        if !guard.is_valid() {
            break;
        }
        assert_eq!(
            holder(&backend.inner, &guard).await,
            Some(ours),
            "a valid guard whose lock is gone from the store"
        );
        tokio::time::sleep(MS).await;
    }
    assert!(guard.is_valid(), "the refreshed guard was lost: {:?}", guard.loss());
}

/// An attempt whose reply was lost may be applied after a later attempt found the lock held
/// (by a holder that then let go). When the acquire gives up, it releases that token anyway,
/// so no ghost lock blocks everyone until its ttl.
#[tokio::test(start_paused = true)]
async fn an_ambiguous_attempt_is_released_even_after_a_held_answer() {
    let backend = Hooked::default();
    let locks =
        LockManager::builder(backend.clone()).call_timeout(100 * MS).build().expect("settings");
    let other = LockToken::generate().expect("entropy");
    let key = locks.key("ghost").expect("key");
    backend.inner.try_acquire(&key, &other, 150 * MS).await.expect("held by another");
    // Attempt 1 reaches the store only after 200 ms and its reply is lost; attempt 2 finds the
    // other holder still there.
    backend.hooks.acquire.lock().expect("steps").push(Step::apply_after_silently(200 * MS));
    let got = locks
        .lock("ghost")
        .ttl(Duration::from_secs(60))
        .retry(RetryPolicy::fixed(10 * MS).max_attempts(2))
        .try_acquire()
        .await;
    assert!(got.is_err() || got.as_ref().is_ok_and(Option::is_none), "{got:?}");
    // The other holder's lock ran out at 150 ms; attempt 1 lands at 200 ms and grants a ghost.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        backend.inner.inspect(&key).await.expect("inspect").is_none(),
        "a ghost lock of an acquire that gave up is held until its 60 s ttl"
    );
}

/// The give-back of a late grant is waited for (within the call timeout) before the next
/// attempt, which would otherwise find the late grant still there and wait behind it.
#[tokio::test(start_paused = true)]
async fn a_late_grant_is_given_back_before_the_next_attempt() {
    let backend = Hooked::default();
    // A 1 s lock with half of it as drift allowance: answered at 600 ms, it is too late for the
    // holder but still held in the store until 1 s, unless the give-back (landing at 800 ms)
    // frees it first.
    backend.hooks.acquire.lock().expect("steps").push(Step::answer_after(600 * MS));
    backend.hooks.release.lock().expect("steps").push(Step::apply_after(200 * MS));
    let locks = LockManager::builder(backend.clone()).drift_factor(0.5).build().expect("settings");
    let guard = locks
        .lock("given-back-first")
        .ttl(Duration::from_secs(1))
        .retry(RetryPolicy::fixed(10 * MS))
        .wait(Duration::from_secs(5))
        .acquire()
        .await
        .expect("acquired");
    assert_eq!(guard.attempts(), 2, "the second attempt found the late grant still held");
}
