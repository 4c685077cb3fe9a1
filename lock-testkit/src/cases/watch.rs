//! `watch_release` and `watch_before_attempt`: bullets W2 to W5 (and R3).

use std::time::Duration;

use futures_util::future::join_all;

use super::util::{must_acquire, must_be_refused, release};
use crate::context::TestContext;
use crate::failure::{CaseResult, Failure};
use crate::{check, fail};

fn late(what: &str) -> Failure {
    Failure::new(format!("{what} did not resolve within 2 s of the release"), "watch")
}

/// Awaits a watch spawned before the release: it must end within 2 s.
async fn woken(cx: &TestContext, waiter: tokio::task::JoinHandle<()>, what: &str) -> CaseResult {
    match tokio::time::timeout(cx.ms(2_000), waiter).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => fail!("the watch panicked: {e}"),
        Err(_) => Err(late(what)),
    }
}

/// R3, W3: a watch resolves when the holder releases.
pub async fn watch_wakes_on_release(cx: TestContext) -> CaseResult {
    let key = cx.key("wake")?;
    let holder = cx.token()?;
    must_acquire(&cx, &key, &holder, cx.ms(10_000)).await?;
    let watch = cx.backend().watch_release(&key).await?;
    let waiter = tokio::spawn(watch);
    cx.sleep(100).await;
    check!(release(&cx, &key, &holder).await?, "release was not Released");
    woken(&cx, waiter, "the watch").await
}

/// W2: the watch is registered when `watch_release` returns: a release right after, before the
/// future is first polled, still resolves it.
pub async fn watch_is_registered_when_returned(cx: TestContext) -> CaseResult {
    for round in 0..5 {
        let key = cx.key(format!("registered-{round}"))?;
        let holder = cx.token()?;
        must_acquire(&cx, &key, &holder, cx.ms(10_000)).await?;
        let watch = cx.backend().watch_release(&key).await?;
        check!(release(&cx, &key, &holder).await?, "release was not Released");
        if tokio::time::timeout(cx.ms(2_000), watch).await.is_err() {
            fail!(
                "round {round}: a release made after watch_release returned was missed (was the watch registered lazily, on first poll?)"
            );
        }
    }
    Ok(())
}

/// W2 while the holder extends: a watch made when the hold had 300 ms left still ends by the
/// release that comes after the holder extended it to 10 s and kept it 1.5 s more (a store that
/// learns of waiters from marks with an expiry must not let the mark lapse unnoticed).
pub async fn watch_outlasts_an_extension(cx: TestContext) -> CaseResult {
    let key = cx.key("extended")?;
    let holder = cx.token()?;
    must_acquire(&cx, &key, &holder, cx.ms(300)).await?;
    let watch = cx.backend().watch_release(&key).await?;
    let waiter = tokio::spawn(watch);
    let extended = cx.backend().extend(&key, &holder, cx.ms(10_000)).await?;
    check!(extended == lock_core::backend::ExtendOutcome::Extended, "extend answered {extended:?}");
    cx.sleep(1_500).await;
    check!(release(&cx, &key, &holder).await?, "release was not Released");
    woken(&cx, waiter, "a watch made before the holder extended its hold").await
}

/// W5: a watch from `watch_before_attempt`, then a refused attempt, then the holder's release:
/// the release resolves the watch. Five rounds, the release each time sooner after the refusal.
pub async fn watch_before_a_refused_attempt_wakes_on_release(cx: TestContext) -> CaseResult {
    for round in 0..5u64 {
        let key = cx.key(format!("before-attempt-{round}"))?;
        let (holder, waiter) = (cx.token()?, cx.token()?);
        must_acquire(&cx, &key, &holder, cx.ms(10_000)).await?;
        let watch = cx.backend().watch_before_attempt(&key).await?;
        must_be_refused(&cx, &key, &waiter, cx.ms(10_000)).await?;
        cx.sleep(40 - 10 * round).await;
        check!(release(&cx, &key, &holder).await?, "release was not Released");
        if tokio::time::timeout(cx.ms(2_000), watch).await.is_err() {
            fail!(
                "round {round}: a release after the watcher's refused attempt did not resolve the watch from watch_before_attempt"
            );
        }
    }
    Ok(())
}

/// W3: one release resolves every watch on the key.
pub async fn watch_wakes_every_watcher(cx: TestContext) -> CaseResult {
    let key = cx.key("all")?;
    let holder = cx.token()?;
    must_acquire(&cx, &key, &holder, cx.ms(10_000)).await?;
    let mut watches = Vec::new();
    for _ in 0..8 {
        watches.push(cx.backend().watch_release(&key).await?);
    }
    check!(release(&cx, &key, &holder).await?, "release was not Released");
    tokio::time::timeout(cx.ms(2_000), join_all(watches))
        .await
        .map_err(|_| late("every one of 8 watches"))?;
    Ok(())
}

/// W4: dropping a watch frees it without breaking watches made later on the same key.
pub async fn dropped_watch_does_not_break_later_ones(cx: TestContext) -> CaseResult {
    let key = cx.key("dropped")?;
    let holder = cx.token()?;
    must_acquire(&cx, &key, &holder, cx.ms(10_000)).await?;
    for _ in 0..3 {
        let watch = cx.backend().watch_release(&key).await?;
        // Poll it once so a lazily-subscribing backend really subscribes, then drop it.
        let _ = tokio::time::timeout(Duration::from_millis(10), watch).await;
    }
    let watch = cx.backend().watch_release(&key).await?;
    check!(release(&cx, &key, &holder).await?, "release was not Released");
    tokio::time::timeout(cx.ms(2_000), watch)
        .await
        .map_err(|_| late("a watch made after others were dropped"))?;
    Ok(())
}
