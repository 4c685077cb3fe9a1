//! `try_acquire`: bullets A1 to A5.

use std::sync::Arc;
use std::time::Duration;

use lock_core::backend::AcquireOutcome;
use tokio::sync::Barrier;
use tokio::time::Instant;

use super::util::{inspect, must_acquire, must_be_free, must_be_refused, must_hold};
use crate::context::TestContext;
use crate::failure::CaseResult;
use crate::{check, check_eq, fail};

/// A1: a free key is granted to the first token, which then holds it.
pub async fn acquire_takes_a_free_key(cx: TestContext) -> CaseResult {
    let key = cx.key("free")?;
    let token = cx.token()?;
    must_be_free(&cx, &key).await?;
    must_acquire(&cx, &key, &token, cx.ms(10_000)).await?;
    must_hold(&cx, &key, &token).await?;
    Ok(())
}

/// A2: a held key is refused to another token.
pub async fn acquire_refuses_a_held_key(cx: TestContext) -> CaseResult {
    let key = cx.key("held")?;
    let (holder, other) = (cx.token()?, cx.token()?);
    must_acquire(&cx, &key, &holder, cx.ms(10_000)).await?;
    must_be_refused(&cx, &key, &other, cx.ms(10_000)).await?;
    must_hold(&cx, &key, &holder).await?;
    Ok(())
}

/// A2: a refused acquire changes neither the holder's token nor its remaining time (it must not
/// reset the ttl to the contender's, longer or shorter).
pub async fn refused_acquire_leaves_the_holder_untouched(cx: TestContext) -> CaseResult {
    let key = cx.key("untouched")?;
    let (holder, other) = (cx.token()?, cx.token()?);
    let ttl = cx.ms(2_000);
    must_acquire(&cx, &key, &holder, ttl).await?;
    cx.sleep(400).await;
    must_be_refused(&cx, &key, &other, cx.ms(60_000)).await?;
    let left = must_hold(&cx, &key, &holder).await?.ttl_remaining;
    check!(
        left.is_some_and(|l| l <= ttl - cx.ms(300)),
        "the holder's ttl grew after a refused acquire with a longer ttl: {left:?} left of {ttl:?}, 400 ms in"
    );
    // Short, but long enough for a quorum's per-node timeout (a third of the ttl) to hear a
    // refusal from a loaded server: a 1 ms ttl there reads as every node failing.
    must_be_refused(&cx, &key, &other, cx.ms(150)).await?;
    cx.sleep(200).await;
    let left = must_hold(&cx, &key, &holder).await?.ttl_remaining;
    check!(
        left.is_some_and(|l| l >= ttl - cx.ms(1_000)),
        "the holder's ttl shrank after a refused acquire with a 1 ms ttl: {left:?} left of {ttl:?}, 600 ms in"
    );
    Ok(())
}

/// A2: the remaining time reported with `Held` is at most the holder's.
pub async fn held_reports_at_most_the_holders_ttl(cx: TestContext) -> CaseResult {
    let key = cx.key("held-ttl")?;
    let (holder, other) = (cx.token()?, cx.token()?);
    let ttl = cx.ms(5_000);
    must_acquire(&cx, &key, &holder, ttl).await?;
    // Some of the ttl has passed: what is left is below the ttl that was set. (A2 gives no lower
    // bound: no time left at all is a legal answer.)
    let passed = cx.ms(300);
    tokio::time::sleep(passed).await;
    let reported = must_be_refused(&cx, &key, &other, cx.ms(60_000)).await?;
    if let Some(left) = reported {
        let most = ttl - passed + cx.ms(50);
        check!(left <= most, "Held reported {left:?} left of a {ttl:?} lock set {passed:?} ago");
    }
    Ok(())
}

/// A3: acquiring again with the holder's own token succeeds and keeps the fencing token.
pub async fn reacquire_with_same_token_is_idempotent(cx: TestContext) -> CaseResult {
    let key = cx.key("idempotent")?;
    let token = cx.token()?;
    let first = must_acquire(&cx, &key, &token, cx.ms(10_000)).await?;
    let second = must_acquire(&cx, &key, &token, cx.ms(10_000)).await?;
    check_eq!(second, first, "fencing token of a same-token re-acquire");
    must_hold(&cx, &key, &token).await?;
    Ok(())
}

/// A3: acquiring again with the same token resets the ttl.
pub async fn reacquire_with_same_token_resets_the_ttl(cx: TestContext) -> CaseResult {
    let key = cx.key("reset")?;
    let token = cx.token()?;
    let ttl = cx.ms(600);
    must_acquire(&cx, &key, &token, ttl).await?;
    cx.sleep(400).await;
    must_acquire(&cx, &key, &token, ttl).await?;
    cx.sleep(400).await;
    // 800 ms after the first acquire: alive only because the second one reset the ttl.
    must_hold(&cx, &key, &token).await?;
    Ok(())
}

/// A4: of many concurrent contenders for a free key, at most one wins and it is the holder;
/// when none wins (a quorum's split vote) no partial grant is left. At least one round of ten
/// must have a winner.
pub async fn concurrent_contenders_get_at_most_one_winner(cx: TestContext) -> CaseResult {
    const CONTENDERS: usize = 16;
    let mut rounds_won = 0;
    for round in 0..10 {
        let key = cx.key(format!("race-{round}"))?;
        let barrier = Arc::new(Barrier::new(CONTENDERS));
        let mut tasks = Vec::new();
        for _ in 0..CONTENDERS {
            let (backend, key, barrier, token, ttl) =
                (cx.backend().clone(), key.clone(), barrier.clone(), cx.token()?, cx.ms(10_000));
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                let outcome = backend.try_acquire(&key, &token, ttl).await;
                (token, outcome)
            }));
        }
        let mut winners = Vec::new();
        for task in tasks {
            let (token, outcome) = task
                .await
                .map_err(|e| crate::Failure::new(format!("contender panicked: {e}"), "join"))?;
            match outcome? {
                AcquireOutcome::Acquired { .. } => winners.push(token),
                AcquireOutcome::Held { .. } => {}
                other => crate::fail!("unexpected outcome {other:?}"),
            }
        }
        check!(
            winners.len() <= 1,
            "{} winners among {CONTENDERS} concurrent contenders in round {round}",
            winners.len()
        );
        match winners.first() {
            Some(winner) => {
                must_hold(&cx, &key, winner).await?;
                rounds_won += 1;
            }
            None => must_be_free(&cx, &key).await?,
        }
    }
    check!(rounds_won > 0, "no contender won in any of 10 rounds");
    Ok(())
}

/// A5: the lock lasts its whole ttl, never less (the manager counts on all of it but the drift
/// allowance): right after the grant the store reports the ttl left less the time since the
/// acquire was sent, and the key is still held when looked at just before the ttl ends.
pub async fn lock_is_not_released_before_its_ttl(cx: TestContext) -> CaseResult {
    let ttl = cx.ms(1_000);
    let slack = Duration::from_millis(1);
    for round in 0..5 {
        let key = cx.key(format!("not-early-{round}"))?;
        let holder = cx.token()?;
        let sent = Instant::now();
        must_acquire(&cx, &key, &holder, ttl).await?;
        let info = must_hold(&cx, &key, &holder).await?;
        let answered = sent.elapsed();
        if let Some(left) = info.ttl_remaining {
            check!(
                left + slack >= ttl.saturating_sub(answered),
                "A5: {answered:?} after the acquire of a {ttl:?} lock was sent, the store reports only {left:?} left: the lock would expire early"
            );
        }
        // Look again at 97 % of the ttl; an answer that comes back before the ttl has run out
        // (counted from before the acquire was sent) must show the lock.
        tokio::time::sleep_until(sent + ttl.mul_f64(0.97)).await;
        let info = inspect(&cx, &key).await?;
        let answered = sent.elapsed();
        if answered + slack >= ttl {
            // Too slow to tell (a stalled test machine); try another round.
            continue;
        }
        check!(
            info.is_some_and(|i| i.holder == holder),
            "A5: the lock was gone {answered:?} into its {ttl:?} ttl (it expired early)"
        );
        return Ok(());
    }
    fail!(
        "A5: no look at the lock came back before its ttl ran out in 5 rounds (raise LOCK_TEST_TTL_SCALE)"
    )
}

/// A5: once its ttl has passed, the lock is gone and any token can take it.
pub async fn lock_expires_after_its_ttl(cx: TestContext) -> CaseResult {
    let key = cx.key("expires")?;
    let (holder, other) = (cx.token()?, cx.token()?);
    must_acquire(&cx, &key, &holder, cx.ms(300)).await?;
    cx.sleep(600).await;
    must_be_free(&cx, &key).await?;
    must_acquire(&cx, &key, &other, cx.ms(10_000)).await?;
    must_hold(&cx, &key, &other).await?;
    Ok(())
}
