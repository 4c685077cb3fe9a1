//! Auto-refresh, validity and loss through `LockManager`.

use lock_core::{Drift, Error, LossReason};
use tokio::time::Instant;

use super::util::{delete_behind_the_holders_back, free_lock, must_be_free, must_be_held_by};
use crate::context::TestContext;
use crate::failure::{CaseResult, Failure};
use crate::{check, check_eq, fail};

/// Auto-refresh keeps a lock held for several ttls.
pub async fn auto_refresh_keeps_the_lock_past_its_ttl(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let guard = free_lock(&cx, &locks, "refreshed", cx.ms(300), |r| r.auto_refresh()).await?;
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

/// Deleting the key behind the holder's back is noticed at the next refresh: `lost()` resolves
/// with `NotHeld` within about one refresh period (a third of the validity), not at the deadline.
pub async fn loss_is_signalled_when_the_key_is_deleted(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let ttl = cx.ms(300);
    let guard = free_lock(&cx, &locks, "deleted", ttl, |r| r.auto_refresh()).await?;
    // Delete it as an operator (or a lost Redis write) would.
    delete_behind_the_holders_back(&cx, guard.key()).await?;
    let started = Instant::now();
    let reason = tokio::time::timeout(cx.ms(1_000), guard.lost()).await.map_err(|_| {
        Failure::new("lost() did not resolve within 1 s of the key being deleted", "lost")
    })?;
    let at = started.elapsed();
    check_eq!(reason, LossReason::NotHeld, "loss reason (the refresh should find the key gone)");
    check!(!guard.is_valid(), "the guard is still valid after its loss");
    check!(
        at <= ttl.mul_f64(0.75),
        "the deletion was noticed {at:?} later; refreshes go out every third of the {ttl:?} ttl"
    );
    Ok(())
}

/// Without refresh, `lost()` resolves with `Expired` at the validity deadline, and not before.
pub async fn loss_is_signalled_at_the_deadline(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let started = Instant::now();
    let guard = free_lock(&cx, &locks, "deadline", cx.ms(400), |r| r).await?;
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
    let guard =
        free_lock(&cx, &locks, "capped", cx.ms(200), |r| r.auto_refresh().max_hold(cx.ms(500)))
            .await?;
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
    let guard = free_lock(&cx, &locks, "gone", cx.ms(200), |r| r).await?;
    cx.sleep(500).await;
    match guard.extend(cx.ms(10_000)).await {
        Err(Error::NotHeld { .. }) => {}
        Err(e) => fail!("expected NotHeld, got {e}"),
        Ok(()) => fail!("extended a lock whose ttl had run out"),
    }
    must_be_free(&cx, guard.key()).await?;
    Ok(())
}

/// A guard's validity ends before the lock's ttl by the drift allowance (1 % + 2 ms with the
/// default settings), counted from before the acquire was sent, and likewise after an extension.
pub async fn validity_leaves_room_for_drift(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let ttl = cx.ms(2_000);
    let validity = Drift::default().validity(ttl)?;
    let sent = Instant::now();
    let guard = free_lock(&cx, &locks, "validity", ttl, |r| r).await?;
    let (left, elapsed) = (guard.remaining(), sent.elapsed());
    check!(
        left <= validity,
        "remaining() = {left:?} is more than the ttl {ttl:?} less the drift allowance ({validity:?})"
    );
    check!(
        left + elapsed >= validity,
        "remaining() = {left:?} {elapsed:?} after the acquire: the deadline is before sent + {validity:?}"
    );
    let sent = Instant::now();
    guard.extend(ttl).await?;
    let (left, elapsed) = (guard.remaining(), sent.elapsed());
    check!(
        left <= validity && left + elapsed >= validity,
        "remaining() = {left:?} {elapsed:?} after an extension to {ttl:?}; expected the validity {validity:?} from the extension's sending"
    );
    Ok(())
}
