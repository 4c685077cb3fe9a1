//! Auto-refresh, validity and loss through `LockManager`.

use lock_core::{Error, LossReason};
use tokio::time::Instant;

use super::util::{delete_behind_the_holders_back, must_be_free, must_be_held_by};
use crate::context::TestContext;
use crate::failure::{CaseResult, Failure};
use crate::{check, check_eq, fail};

fn not_granted() -> Failure {
    Failure::new("the free lock was not granted", "setup")
}

/// Auto-refresh keeps a lock held for several ttls.
pub async fn auto_refresh_keeps_the_lock_past_its_ttl(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let guard = locks
        .lock("refreshed")
        .ttl(cx.ms(300))
        .auto_refresh()
        .try_acquire()
        .await?
        .ok_or_else(not_granted)?;
    cx.sleep(1_300).await;
    check!(
        guard.is_valid(),
        "the guard is not valid after 1.3 s of auto-refresh: {:?}",
        guard.loss()
    );
    let info = must_be_held_by(&cx, guard.key(), guard.holder()).await?;
    check_eq!(info.fencing, guard.fencing_token(), "fencing token in the store after refreshes");
    check!(
        locks.try_lock("refreshed", cx.ms(300)).await?.is_none(),
        "another holder got a refreshed lock"
    );
    guard.release().await?;
    Ok(())
}

/// Deleting the key behind the holder's back is noticed: `lost()` resolves with `NotHeld`
/// within about one refresh period.
pub async fn loss_is_signalled_when_the_key_is_deleted(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let guard = locks
        .lock("deleted")
        .ttl(cx.ms(300))
        .auto_refresh()
        .try_acquire()
        .await?
        .ok_or_else(not_granted)?;
    // Delete it as an operator (or a lost Redis write) would.
    delete_behind_the_holders_back(&cx, guard.key()).await?;
    let started = Instant::now();
    let reason = tokio::time::timeout(cx.ms(1_000), guard.lost()).await.map_err(|_| {
        Failure::new("lost() did not resolve within 1 s of the key being deleted", "lost")
    })?;
    check!(matches!(reason, LossReason::NotHeld | LossReason::Expired), "lost() said {reason:?}");
    check!(!guard.is_valid(), "the guard is still valid after its loss");
    check!(started.elapsed() <= cx.ms(1_000), "loss noticed after {:?}", started.elapsed());
    Ok(())
}

/// Without refresh, `lost()` resolves with `Expired` at the validity deadline, and not before.
pub async fn loss_is_signalled_at_the_deadline(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let started = Instant::now();
    let guard =
        locks.lock("deadline").ttl(cx.ms(400)).try_acquire().await?.ok_or_else(not_granted)?;
    let reason = tokio::time::timeout(cx.ms(2_000), guard.lost())
        .await
        .map_err(|_| Failure::new("lost() did not resolve within 2 s of a 400 ms lock", "lost"))?;
    let at = started.elapsed();
    check_eq!(reason, LossReason::Expired, "loss reason");
    check!(
        at >= cx.ms(350) && at <= cx.ms(1_000),
        "lost() resolved after {at:?} for a 400 ms lock"
    );
    check!(!guard.is_valid(), "the guard is valid after its deadline");
    Ok(())
}

/// A maximum hold time stops auto-refresh; the lock then runs out and the loss says why.
pub async fn max_hold_stops_refreshing(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let started = Instant::now();
    let guard = locks
        .lock("capped")
        .ttl(cx.ms(200))
        .auto_refresh()
        .max_hold(cx.ms(500))
        .try_acquire()
        .await?
        .ok_or_else(not_granted)?;
    let reason = tokio::time::timeout(cx.ms(3_000), guard.lost()).await.map_err(|_| {
        Failure::new("lost() did not resolve within 3 s with a 500 ms maximum hold", "lost")
    })?;
    let at = started.elapsed();
    check_eq!(reason, LossReason::MaxHoldReached, "loss reason");
    check!(
        at >= cx.ms(450) && at <= cx.ms(1_500),
        "lost() resolved after {at:?} for a 500 ms cap and 200 ms ttl"
    );
    cx.sleep(300).await;
    must_be_free(&cx, guard.key()).await?;
    Ok(())
}

/// Extending a guard whose lock ran out fails with `NotHeld` and re-creates nothing.
pub async fn extend_after_loss_fails(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let guard = locks.lock("gone").ttl(cx.ms(200)).try_acquire().await?.ok_or_else(not_granted)?;
    cx.sleep(500).await;
    match guard.extend(cx.ms(10_000)).await {
        Err(Error::NotHeld { .. }) => {}
        Err(e) => fail!("expected NotHeld, got {e}"),
        Ok(()) => fail!("extended a lock whose ttl had run out"),
    }
    must_be_free(&cx, guard.key()).await?;
    Ok(())
}

/// A guard's validity ends before the lock's ttl (clock-drift allowance) and is reported.
pub async fn validity_leaves_room_for_drift(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let ttl = cx.ms(2_000);
    let guard = locks.lock("validity").ttl(ttl).try_acquire().await?.ok_or_else(not_granted)?;
    let left = guard.remaining();
    check!(left < ttl, "remaining() = {left:?} is not below the ttl {ttl:?}");
    check!(left > ttl / 2, "remaining() = {left:?} is far below the ttl {ttl:?}");
    guard.extend(ttl).await?;
    check!(
        guard.remaining() > ttl / 2 && guard.remaining() < ttl,
        "remaining() after extend: {:?}",
        guard.remaining()
    );
    Ok(())
}
