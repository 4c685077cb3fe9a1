//! Fair locks ([`lock_core::backend::Lease::Fair`]), for backends that offer them: waiters queue in
//! the store and a release hands the lock to the first live one.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lock_core::{
    DynLockBackend, LockKey, LockManager, LockToken, backend::AcquireOutcome, backend::Lease,
    backend::LeaseKind, backend::ReleaseOutcome,
};

use super::fair_probe::QueueProbe;
use super::util::{inspect, offered};
use crate::context::TestContext;
use crate::failure::{CaseResult, Failure};
use crate::{check, check_eq, fail};

fn fair(cx: &TestContext) -> Result<&DynLockBackend, Failure> {
    offered(cx, LeaseKind::Fair)
}

/// The holder of `key` according to `inspect`.
async fn holder(cx: &TestContext, key: &LockKey) -> Result<Option<LockToken>, Failure> {
    Ok(inspect(cx, key).await?.map(|info| info.holder))
}

async fn must_queue(
    cx: &TestContext,
    key: &LockKey,
    token: &LockToken,
    queue_ttl: Duration,
) -> CaseResult {
    match fair(cx)?.acquire_lease(key, token, Lease::Fair { queue_ttl }, cx.ms(10_000)).await? {
        AcquireOutcome::Held { .. } => Ok(()),
        other => fail!("FA2: a token asking for a held fair lock got {other:?}; expected Held"),
    }
}

/// FA1: `token` takes the free fair `key` for `ttl`.
async fn must_take(
    cx: &TestContext,
    key: &LockKey,
    token: &LockToken,
    ttl: Duration,
) -> CaseResult {
    let lease = Lease::Fair { queue_ttl: cx.ms(10_000) };
    match fair(cx)?.acquire_lease(key, token, lease, ttl).await? {
        AcquireOutcome::Acquired { .. } => Ok(()),
        other => fail!("FA1: a free fair lock was refused: {other:?}"),
    }
}

/// FR1: `token`'s fair release of `key` answers `Released`.
async fn must_release(cx: &TestContext, key: &LockKey, token: &LockToken) -> CaseResult {
    let released = fair(cx)?.release_lease(key, token, LeaseKind::Fair).await?;
    check_eq!(released, ReleaseOutcome::Released, "FR1");
    Ok(())
}

/// FA1, FA2, FA3, FR1, FW1: three waiters queue behind the holder; each release hands the lock
/// to the next in line (its watch fires, `inspect` shows it as the holder, with a ttl no longer
/// than its place's, and its next attempt confirms it with a fence above the last), and the
/// last release leaves the lock free.
pub async fn fair_releases_hand_over_in_arrival_order(cx: TestContext) -> CaseResult {
    let f = fair(&cx)?;
    let key = cx.key("fair-order")?;
    let (ttl, place) = (cx.ms(10_000), cx.ms(5_000));
    let first = cx.token()?;
    let mut last_fence =
        match f.acquire_lease(&key, &first, Lease::Fair { queue_ttl: place }, ttl).await? {
            AcquireOutcome::Acquired { fencing } => fencing,
            other => fail!("FA1: a free fair lock with nobody in line answered {other:?}"),
        };
    let waiters = [cx.token()?, cx.token()?, cx.token()?];
    for waiter in &waiters {
        must_queue(&cx, &key, waiter, place).await?;
    }
    let mut current = first;
    for (i, waiter) in waiters.iter().enumerate() {
        let turn = if cx.caps().release_notify {
            Some(f.watch_lease(&key, waiter, LeaseKind::Fair).await?)
        } else {
            None
        };
        must_release(&cx, &key, &current).await?;
        if let Some(turn) = turn {
            check!(
                tokio::time::timeout(cx.ms(2_000), turn).await.is_ok(),
                "FW1: waiter {i}'s turn watch did not fire when the lock was handed to it"
            );
        }
        let info = inspect(&cx, &key).await?;
        let Some(info) = info else { fail!("FR1: the lock was not handed to waiter {i}") };
        check!(info.holder == *waiter, "FR1: waiter {i} was skipped: {:?} holds", info.holder);
        check!(
            info.ttl_remaining.is_none_or(|l| l <= place),
            "FR1: a handed-over lock outlives the waiter's place: {:?}",
            info.ttl_remaining
        );
        for later in &waiters[i + 1..] {
            must_queue(&cx, &key, later, place).await?;
        }
        match f.acquire_lease(&key, waiter, Lease::Fair { queue_ttl: place }, ttl).await? {
            AcquireOutcome::Acquired { fencing } => {
                if cx.caps().fencing {
                    check!(fencing > last_fence, "FR1: fence {fencing:?} after {last_fence:?}");
                }
                last_fence = fencing;
            }
            other => fail!("FA3: waiter {i} confirming its handed-over lock got {other:?}"),
        }
        let left = inspect(&cx, &key).await?.and_then(|i| i.ttl_remaining);
        check!(left.is_none_or(|l| l > place), "FA3: the confirm kept the short ttl: {left:?}");
        current = waiter.clone();
    }
    must_release(&cx, &key, &current).await?;
    check_eq!(holder(&cx, &key).await?, None, "FR1: released with nobody in line");
    Ok(())
}

/// FA4: a waiter whose place lapsed is skipped; FR2: a token that does not hold the lock
/// releases nothing and leaves the line.
pub async fn fair_lapsed_and_departed_waiters_are_skipped(cx: TestContext) -> CaseResult {
    let f = fair(&cx)?;
    let key = cx.key("fair-skip")?;
    let ttl = cx.ms(10_000);
    let (holding, lapsing, leaving, staying) = (cx.token()?, cx.token()?, cx.token()?, cx.token()?);
    must_take(&cx, &key, &holding, ttl).await?;
    must_queue(&cx, &key, &lapsing, cx.ms(150)).await?;
    must_queue(&cx, &key, &leaving, ttl).await?;
    must_queue(&cx, &key, &staying, ttl).await?;
    check_eq!(
        f.release_lease(&key, &leaving, LeaseKind::Fair).await?,
        ReleaseOutcome::NotHeld,
        "FR2: a waiter's release"
    );
    check_eq!(holder(&cx, &key).await?, Some(holding.clone()), "FR2: a waiter released the lock");
    tokio::time::sleep(cx.ms(300)).await;
    must_release(&cx, &key, &holding).await?;
    check_eq!(
        holder(&cx, &key).await?,
        Some(staying.clone()),
        "FA4, FR2: the lock went to a lapsed or departed waiter (or to nobody)"
    );
    f.release_lease(&key, &staying, LeaseKind::Fair).await?;
    check_eq!(holder(&cx, &key).await?, None, "nobody else was in line");
    Ok(())
}

/// FA2, FA4: each place lives its own queue ttl from its waiter's last attempt: a short place
/// queued after a long one lapses alone, and a release still hands the lock to the long one.
/// (The order matters: with the short place first, a queue whose places all lapse with the
/// latest one's ttl passes.)
pub async fn fair_a_short_place_does_not_lapse_a_longer_one(cx: TestContext) -> CaseResult {
    let f = fair(&cx)?;
    let key = cx.key("fair-place-ttls")?;
    let ttl = cx.ms(10_000);
    let (holding, staying, lapsing) = (cx.token()?, cx.token()?, cx.token()?);
    must_take(&cx, &key, &holding, ttl).await?;
    must_queue(&cx, &key, &staying, ttl).await?;
    must_queue(&cx, &key, &lapsing, cx.ms(150)).await?;
    tokio::time::sleep(cx.ms(300)).await;
    must_release(&cx, &key, &holding).await?;
    check_eq!(
        holder(&cx, &key).await?,
        Some(staying.clone()),
        "FA2, FA4: the long place lapsed with the short one queued after it"
    );
    f.release_lease(&key, &staying, LeaseKind::Fair).await?;
    check_eq!(holder(&cx, &key).await?, None, "nobody else was in line");
    Ok(())
}

/// FA4: a place that lapsed is gone; its token asking again queues at the back, behind those
/// who queued meanwhile. Redis kept the lapsed token's old arrival (only its place's expiry
/// was gone), so it went ahead of a waiter who queued after it lapsed (found by the
/// differential check, seed 4, once its fair places could lapse).
pub async fn fair_a_lapsed_place_asks_again_at_the_back(cx: TestContext) -> CaseResult {
    let f = fair(&cx)?;
    let key = cx.key("fair-lapsed-again")?;
    let ttl = cx.ms(10_000);
    let (holding, first, lapsed, patient) = (cx.token()?, cx.token()?, cx.token()?, cx.token()?);
    must_take(&cx, &key, &holding, ttl).await?;
    // A long place keeps the line alive while the short one lapses behind it.
    must_queue(&cx, &key, &first, ttl).await?;
    must_queue(&cx, &key, &lapsed, cx.ms(150)).await?;
    tokio::time::sleep(cx.ms(300)).await;
    must_queue(&cx, &key, &patient, ttl).await?;
    must_queue(&cx, &key, &lapsed, ttl).await?;
    let mut served = Vec::new();
    let mut releasing = holding;
    for _ in 0..3 {
        must_release(&cx, &key, &releasing).await?;
        let Some(next) = holder(&cx, &key).await? else { fail!("FA2: nobody was handed the lock") };
        served.push(next.clone());
        releasing = next;
    }
    f.release_lease(&key, &releasing, LeaseKind::Fair).await?;
    check_eq!(
        served,
        vec![first, patient, lapsed],
        "FA4: a token whose place lapsed kept its old place in line"
    );
    Ok(())
}

/// FA1: a fair lock found free (its holder's ttl ran out) goes to the first in line, not to the
/// newcomer who found it, and the newcomer queues behind.
pub async fn fair_free_lock_goes_to_the_first_in_line(cx: TestContext) -> CaseResult {
    let f = fair(&cx)?;
    let key = cx.key("fair-free")?;
    let (ttl, short) = (cx.ms(10_000), cx.ms(200));
    let (holding, first, newcomer) = (cx.token()?, cx.token()?, cx.token()?);
    must_take(&cx, &key, &holding, short).await?;
    must_queue(&cx, &key, &first, ttl).await?;
    tokio::time::sleep(short + cx.ms(100)).await;
    match f.acquire_lease(&key, &newcomer, Lease::Fair { queue_ttl: ttl }, ttl).await? {
        AcquireOutcome::Held { .. } => {}
        other => fail!("FA1: a newcomer took a free lock someone waits in line for: {other:?}"),
    }
    check_eq!(holder(&cx, &key).await?, Some(first.clone()), "FA1: handed to the first in line");
    must_release(&cx, &key, &first).await?;
    check_eq!(holder(&cx, &key).await?, Some(newcomer.clone()), "FA2: the newcomer queued");
    f.release_lease(&key, &newcomer, LeaseKind::Fair).await?;
    Ok(())
}

/// Through the manager: waiters of four managers, each asking once the one before it is in the
/// store's queue, get the lock in that order.
pub async fn fair_waiters_of_many_managers_go_in_order(cx: TestContext) -> CaseResult {
    fair(&cx)?;
    let name = format!("fair-managers-{:x}", rand::random::<u32>());
    let holding = LockManager::from_shared(cx.backend().clone());
    let ttl = cx.ms(10_000);
    let first = holding.lock(&name).ttl(ttl).fair().acquire().await.map_err(Failure::from)?;
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut waiters = Vec::new();
    for i in 0..4 {
        let probe = QueueProbe::new(cx.backend().clone());
        let locks = LockManager::from_shared(probe.clone());
        let (order, name) = (order.clone(), name.clone());
        let hold = cx.ms(20);
        waiters.push(tokio::spawn(async move {
            let guard = locks.lock(&name).ttl(ttl).fair().acquire().await?;
            order.lock().unwrap_or_else(|e| e.into_inner()).push(i);
            tokio::time::sleep(hold).await;
            guard.release().await
        }));
        let limit = cx.ms(10_000);
        if !probe.wait_queued(limit).await {
            fail!("fair waiter {i} was not in the store's queue within {limit:?}");
        }
    }
    first.release().await.map_err(Failure::from)?;
    for waiter in waiters {
        match tokio::time::timeout(cx.ms(15_000), waiter).await {
            Ok(Ok(result)) => drop(result.map_err(Failure::from)?),
            Ok(Err(e)) => fail!("a waiter panicked: {e}"),
            Err(_) => fail!("a fair waiter was not served within 15 s"),
        }
    }
    let order = order.lock().unwrap_or_else(|e| e.into_inner()).clone();
    check_eq!(order, vec![0, 1, 2, 3], "the order the fair waiters were served in");
    Ok(())
}

/// FA3, FR1: a holder is never in line. A token that queued, then took the lock another way (a
/// plain acquire), leaves the line when it confirms the lock as a fair one, and when it releases
/// it, wherever it stood in line: a later release or free lock goes to the next waiter, never
/// back to it. (Found by the differential check against Redis: its scripts kept the token in
/// line and handed it the lock again after its own release.)
pub async fn fair_a_holder_is_never_handed_its_own_lock(cx: TestContext) -> CaseResult {
    let f = fair(&cx)?;
    let (ttl, place) = (cx.ms(10_000), cx.ms(10_000));
    let fair_lease = Lease::Fair { queue_ttl: place };
    for confirm in [false, true] {
        let key = cx.key(format!("fair-own-{confirm}"))?;
        let (first, queued, next) = (cx.token()?, cx.token()?, cx.token()?);
        match f.acquire_lease(&key, &first, fair_lease, ttl).await? {
            AcquireOutcome::Acquired { .. } => {}
            other => fail!("FA1: a free fair lock answered {other:?}"),
        }
        must_queue(&cx, &key, &queued, place).await?;
        // The holder leaves by a plain release (no handoff): the lock is free, `queued` in line.
        check_eq!(f.release(&key, &first).await?, ReleaseOutcome::Released, "plain release");
        match f.try_acquire(&key, &queued, ttl).await? {
            AcquireOutcome::Acquired { .. } => {}
            other => fail!("a plain acquire of a free lock answered {other:?}"),
        }
        if confirm {
            // Confirmed as a fair lock (FA3), it leaves the line; then a plain release.
            match f.acquire_lease(&key, &queued, fair_lease, ttl).await? {
                AcquireOutcome::Acquired { .. } => {}
                other => fail!("FA3: the holder confirming its lock got {other:?}"),
            }
            check_eq!(f.release(&key, &queued).await?, ReleaseOutcome::Released, "plain release");
            match f.acquire_lease(&key, &next, fair_lease, ttl).await? {
                AcquireOutcome::Acquired { .. } => {}
                other => fail!(
                    "FA1: a free lock whose holder had confirmed it went to {:?}, not to the next \
                     asker ({other:?})",
                    holder(&cx, &key).await?.map(|t| if t == queued {
                        "its old holder"
                    } else {
                        "another token"
                    })
                ),
            }
        } else {
            must_queue(&cx, &key, &next, place).await?;
            let released = f.release_lease(&key, &queued, LeaseKind::Fair).await?;
            check_eq!(released, ReleaseOutcome::Released, "FR1: the holder's fair release");
            let now = holder(&cx, &key).await?;
            check!(
                now.as_ref() == Some(&next),
                "FR1: the release handed the lock to {}, not to the next in line",
                match now {
                    Some(t) if t == queued => "the releasing token itself",
                    Some(_) => "another token",
                    None => "nobody",
                }
            );
        }
        let _ = f.release_lease(&key, &next, LeaseKind::Fair).await;
    }
    // Behind a live waiter: `behind` queued after `ahead`, then took the free lock another way.
    // Its fair release hands the lock to `ahead` and takes `behind` out of the line too, so
    // `ahead`'s release leaves the lock free, not handed back to `behind`.
    let key = cx.key("fair-own-behind")?;
    let (first, ahead, behind) = (cx.token()?, cx.token()?, cx.token()?);
    must_take(&cx, &key, &first, ttl).await?;
    must_queue(&cx, &key, &ahead, place).await?;
    must_queue(&cx, &key, &behind, place).await?;
    check_eq!(f.release(&key, &first).await?, ReleaseOutcome::Released, "plain release");
    match f.try_acquire(&key, &behind, ttl).await? {
        AcquireOutcome::Acquired { .. } => {}
        other => fail!("a plain acquire of a free lock answered {other:?}"),
    }
    must_release(&cx, &key, &behind).await?;
    check!(
        holder(&cx, &key).await?.as_ref() == Some(&ahead),
        "FR1: the release by a holder behind a live waiter did not hand the lock to that waiter"
    );
    must_take(&cx, &key, &ahead, ttl).await?;
    must_release(&cx, &key, &ahead).await?;
    let now = holder(&cx, &key).await?;
    check!(
        now.is_none(),
        "FR1: after the last waiter's release the lock went to {}, not free",
        if now.as_ref() == Some(&behind) { "a token that had left the line" } else { "a token" }
    );
    Ok(())
}
