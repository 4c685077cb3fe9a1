//! All-or-nothing locks on a set of names (`LockManager::lock_all`), end to end: built on the
//! lock primitives, so they run on every backend.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lock_core::{Error, RetryPolicy, backend::ReleaseOutcome};
use tokio::time::Instant;

use super::util::{
    delete_behind_the_holders_back, inspect, must_acquire, must_be_free, must_hold, wait_until_free,
};
use crate::context::TestContext;
use crate::failure::{CaseResult, Failure};
use crate::history::{Acquisition, History, shared_members};
use crate::{check, check_eq, fail};

/// All or nothing: with one member held elsewhere, the set is refused and none of the other
/// members is left held; once it is free the whole set is taken, each member held by the set
/// with its own fencing token, and a release frees them all.
pub async fn lock_all_is_all_or_nothing(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let names = ["set-a", "set-b", "set-c"];
    let keys = names.iter().map(|n| locks.key(n)).collect::<Result<Vec<_>, _>>()?;
    let other = cx.token()?;
    must_acquire(&cx, &keys[1], &other, cx.ms(10_000)).await?;
    let refused = locks.lock_all(names).ttl(cx.ms(10_000)).try_acquire().await?;
    check!(refused.is_none(), "a set was granted with a member held elsewhere");
    for key in [&keys[0], &keys[2]] {
        check_eq!(inspect(&cx, key).await?, None, "a refused set left {key} held");
    }
    must_hold(&cx, &keys[1], &other).await?;
    check!(cx.backend().release(&keys[1], &other).await? == ReleaseOutcome::Released, "R1");
    // Names in any order, one twice: the same set.
    let set = locks
        .lock_all(["set-c", "set-a", "set-b", "set-a"])
        .ttl(cx.ms(10_000))
        .try_acquire()
        .await?;
    let Some(set) = set else { fail!("a free set was refused") };
    check_eq!(set.guards().len(), 3, "members of the set");
    let held: Vec<_> = set.keys().cloned().collect();
    check_eq!(held, keys.clone(), "members in key order");
    for guard in set.guards() {
        let info = inspect(&cx, guard.key()).await?;
        let Some(info) = info else {
            fail!("{} is not held after the set was granted", guard.key())
        };
        check_eq!(lock_core::HolderId::of(&info.holder), guard.holder(), "the member's holder");
        check_eq!(guard.fencing_token().is_some(), cx.caps().fencing, "a fence per member");
        check_eq!(set.fencing_token(guard.key()), guard.fencing_token(), "fencing_token(key)");
    }
    check!(set.is_valid() && set.verify().await?, "a fresh set is not valid");
    check_eq!(set.release().await?, ReleaseOutcome::Released, "release of the set");
    for key in &keys {
        must_be_free(&cx, key).await?;
    }
    match locks.lock_all(Vec::<&str>::new()).try_acquire().await {
        Err(Error::InvalidArgument { .. }) => Ok(()),
        other => fail!("an empty set: {other:?}"),
    }
}

/// A waiting set wakes when the member that blocked it is released, and gets the whole set.
pub async fn lock_all_waits_for_the_blocking_member(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let blocker = locks.lock("wait-b").ttl(cx.ms(30_000)).try_acquire().await?;
    let Some(blocker) = blocker else { fail!("the lock was not free") };
    let waiter = {
        let (locks, ttl, wait) = (locks.clone(), cx.ms(10_000), cx.ms(20_000));
        tokio::spawn(async move {
            let started = Instant::now();
            let set = locks.lock_all(["wait-a", "wait-b"]).ttl(ttl).wait(wait).acquire().await;
            (set, started.elapsed())
        })
    };
    cx.sleep(300).await;
    check!(!waiter.is_finished(), "the set was granted while a member was held");
    blocker.release().await?;
    let (set, waited) = waiter.await.map_err(|e| Failure::new(e.to_string(), "join"))?;
    let set = set?;
    check!(waited < cx.ms(10_000), "the set took {waited:?} after its member was released");
    set.release().await?;
    Ok(())
}

/// Losing any member loses the set: with auto-refresh, a member deleted behind the holder's
/// back makes `lost()` resolve and `is_valid()` false; `run` stops its work with `Lost`.
pub async fn lock_all_is_lost_with_any_member(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let set = locks.lock_all(["lost-a", "lost-b"]).ttl(cx.ms(300)).auto_refresh().acquire().await?;
    cx.sleep(500).await;
    check!(set.is_valid(), "an auto-refreshed set expired");
    delete_behind_the_holders_back(&cx, &locks.key("lost-b")?).await?;
    let lost = tokio::time::timeout(cx.ms(2_000), set.lost()).await;
    check!(lost.is_ok(), "the set's loss was not signalled after a member was deleted");
    check!(!set.is_valid() && set.loss().is_some(), "the set is still valid");
    check_eq!(set.release().await?, ReleaseOutcome::NotHeld, "release of a set with a lost member");
    must_be_free(&cx, &locks.key("lost-a")?).await?;
    // Dropping a set releases every member in the background.
    let set = locks.lock_all(["lost-a", "lost-b"]).ttl(cx.ms(30_000)).acquire().await?;
    drop(set);
    for name in ["lost-a", "lost-b"] {
        wait_until_free(&cx, &locks.key(name)?, cx.ms(5_000)).await?;
    }
    Ok(())
}

const TASKS: usize = 6;
const ROUNDS: usize = 8;
const NAMES: usize = 5;

/// Overlapping sets under contention: 6 tasks, each taking 8 times a set of 3 of 5 names (task
/// `i` the names `i`, `i+1`, `i+2` mod 5, given in scrambled order), holding it 2 ms. No two
/// guards may ever share a member (history checker `shared_members`), and every task must
/// finish within 30 s (no deadlock, no livelock; it takes well under a second here).
pub async fn overlapping_sets_all_make_progress(cx: TestContext) -> CaseResult {
    let policy =
        RetryPolicy::exponential(Duration::from_millis(1), Duration::from_millis(20)).jitter(1.0);
    let locks = cx.manager_builder().retry(policy).build()?;
    let history = Arc::new(History::new());
    let sets = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let members: Vec<String> =
            [task + 2, task, task + 1].iter().map(|i| format!("multi-{}", i % NAMES)).collect();
        let (locks, history, sets, ttl, wait) =
            (locks.clone(), history.clone(), sets.clone(), cx.ms(10_000), cx.ms(30_000));
        tasks.push(tokio::spawn(async move {
            for _ in 0..ROUNDS {
                let invoked = history.now();
                let set = locks.lock_all(&members).ttl(ttl).wait(wait).acquire().await?;
                let ok = history.now();
                let deadline = ok + set.remaining();
                tokio::time::sleep(Duration::from_millis(2)).await;
                let released = history.now();
                let record = Acquisition {
                    client: task,
                    invoked,
                    ok,
                    deadline,
                    released: Some(released),
                    lost: None,
                    fence: None,
                };
                sets.lock().unwrap_or_else(|e| e.into_inner()).push((members.clone(), record));
                set.release().await?;
            }
            Ok::<(), Error>(())
        }));
    }
    let started = Instant::now();
    let bound = cx.ms(30_000);
    for task in tasks {
        match tokio::time::timeout(bound.saturating_sub(started.elapsed()), task).await {
            Ok(joined) => {
                joined.map_err(|e| Failure::new(format!("a task panicked: {e}"), "join"))??
            }
            Err(_) => {
                fail!("overlapping sets made no progress within {bound:?} (deadlock or livelock)")
            }
        }
    }
    let sets = sets.lock().unwrap_or_else(|e| e.into_inner()).clone();
    check_eq!(sets.len(), TASKS * ROUNDS, "sets taken");
    let shared = shared_members(&sets);
    check!(
        shared.is_empty(),
        "{} times two sets held one member at once, first: {:?}",
        shared.len(),
        shared.first()
    );
    Ok(())
}

fn multi_locks(cx: &TestContext) -> Result<&lock_core::DynLockBackend, Failure> {
    match cx.caps().lock_sets {
        true => Ok(&**cx.backend()),
        false => Err(Failure::skip("the backend offers no atomic lock sets")),
    }
}

/// Keys in one cluster slot (a shared hash tag), so every backend accepts them together.
fn tagged_keys(cx: &TestContext, set: &str, n: usize) -> Result<Vec<lock_core::LockKey>, Failure> {
    let keys = (0..n).map(|i| cx.key(format!("{{{set}}}{i}"))).collect::<Result<Vec<_>, _>>()?;
    check!(
        multi_locks(cx)?.can_acquire_together(&keys),
        "MA4: keys with one hash tag cannot be taken together"
    );
    Ok(keys)
}

/// MA1, MA2: with one key held by another token, nothing changes (a key of the set already
/// held by its own token is not renewed, the free ones stay free); once it is free, every key
/// is granted to its token with its own fence, the one already held keeping its fence.
pub async fn acquire_all_grants_every_key_or_none(cx: TestContext) -> CaseResult {
    let m = multi_locks(&cx)?;
    let keys = tagged_keys(&cx, "all", 3)?;
    let tokens = [cx.token()?, cx.token()?, cx.token()?];
    let other = cx.token()?;
    let short = cx.ms(2_000);
    let own_fence = must_acquire(&cx, &keys[0], &tokens[0], short).await?;
    must_acquire(&cx, &keys[1], &other, cx.ms(10_000)).await?;
    match m.try_acquire_all(&keys, &tokens, cx.ms(10_000)).await? {
        lock_core::backend::MultiAcquireOutcome::Held { index, ttl_remaining } => {
            check_eq!(index, 1, "MA2: the index of the held key");
            check!(ttl_remaining.is_none_or(|l| l <= cx.ms(10_000)), "MA2: ttl {ttl_remaining:?}");
        }
        other => fail!("MA2: a set with a key held elsewhere was granted: {other:?}"),
    }
    check_eq!(inspect(&cx, &keys[2]).await?, None, "MA2: a free key of a refused set was taken");
    let left = must_hold(&cx, &keys[0], &tokens[0]).await?.ttl_remaining;
    check!(left.is_some_and(|l| l <= short), "MA2: a refused set renewed its own key: {left:?}");
    must_hold(&cx, &keys[1], &other).await?;
    check!(cx.backend().release(&keys[1], &other).await? == ReleaseOutcome::Released, "R1");
    match m.try_acquire_all(&keys, &tokens, cx.ms(10_000)).await? {
        lock_core::backend::MultiAcquireOutcome::Acquired { fencing } => {
            check_eq!(fencing.len(), 3, "MA1: one fence per key");
            check_eq!(fencing[0], own_fence, "MA1 (A3): the key already held keeps its fence");
            check!(
                fencing.iter().all(|f| f.is_some() == cx.caps().fencing),
                "MA1 (A7): {fencing:?}"
            );
            if cx.caps().fencing {
                // Each key's fence in the keys' order: the one its holder is shown with.
                for (key, fence) in keys.iter().zip(&fencing) {
                    let shown = inspect(&cx, key).await?.and_then(|info| info.fencing);
                    check_eq!(shown, *fence, "MA1: {key}'s fence, in the set's order");
                }
            }
        }
        other => fail!("MA1: a free set was refused: {other:?}"),
    }
    for (key, token) in keys.iter().zip(&tokens) {
        let info = must_hold(&cx, key, token).await?;
        check!(
            info.ttl_remaining.is_some_and(|l| l > cx.ms(5_000)),
            "MA1: {key} has the set's ttl"
        );
        cx.backend().release(key, token).await?;
    }
    Ok(())
}

/// MA2: a set refused because of several keys names the first of them.
pub async fn acquire_all_names_the_first_held_key(cx: TestContext) -> CaseResult {
    let m = multi_locks(&cx)?;
    let keys = tagged_keys(&cx, "first-held", 3)?;
    let tokens = [cx.token()?, cx.token()?, cx.token()?];
    let other = cx.token()?;
    must_acquire(&cx, &keys[1], &other, cx.ms(10_000)).await?;
    must_acquire(&cx, &keys[2], &other, cx.ms(10_000)).await?;
    match m.try_acquire_all(&keys, &tokens, cx.ms(10_000)).await? {
        lock_core::backend::MultiAcquireOutcome::Held { index, .. } => {
            check_eq!(index, 1, "MA2: the index of the first held key");
        }
        other => fail!("MA2: a set with keys held elsewhere was granted: {other:?}"),
    }
    check_eq!(inspect(&cx, &keys[0]).await?, None, "MA2: a free key of a refused set was taken");
    for key in &keys[1..] {
        cx.backend().release(key, &other).await?;
    }
    Ok(())
}

/// MA3: contenders racing for one set: each round exactly one gets it, and every key then
/// holds that contender's tokens (never a mix).
pub async fn acquire_all_is_atomic_under_contention(cx: TestContext) -> CaseResult {
    multi_locks(&cx)?;
    let keys = Arc::new(tagged_keys(&cx, "race", 3)?);
    for round in 0..10 {
        let mut racers = Vec::new();
        for _ in 0..6 {
            let tokens = vec![cx.token()?, cx.token()?, cx.token()?];
            let (backend, keys, ttl) = (cx.backend().clone(), keys.clone(), cx.ms(10_000));
            racers.push(tokio::spawn(async move {
                let outcome = backend.try_acquire_all(&keys, &tokens, ttl).await;
                (outcome, tokens)
            }));
        }
        let mut winners = Vec::new();
        for racer in racers {
            let (outcome, tokens) = racer.await.map_err(|e| Failure::new(e.to_string(), "join"))?;
            if let lock_core::backend::MultiAcquireOutcome::Acquired { .. } = outcome? {
                winners.push(tokens);
            }
        }
        check_eq!(winners.len(), 1, "MA3: winners of round {round}");
        for (key, token) in keys.iter().zip(&winners[0]) {
            must_hold(&cx, key, token).await?;
            cx.backend().release(key, token).await?;
        }
    }
    Ok(())
}
