//! `extend`: bullets E1 to E3.

use super::util::{extend, must_acquire, must_be_free, must_hold, release};
use crate::context::TestContext;
use crate::failure::CaseResult;
use crate::{check, check_eq};

/// E1: the holder's extend keeps the lock alive past its first ttl.
pub async fn extend_by_owner_outlives_the_first_ttl(cx: TestContext) -> CaseResult {
    let key = cx.key("extend")?;
    let holder = cx.token()?;
    must_acquire(&cx, &key, &holder, cx.ms(500)).await?;
    cx.sleep(250).await;
    check!(extend(&cx, &key, &holder, cx.ms(1_500)).await?, "the holder's extend was not Extended");
    let info = must_hold(&cx, &key, &holder).await?;
    check!(
        info.ttl_remaining.is_some_and(|t| t <= cx.ms(1_500) && t > cx.ms(1_000)),
        "ttl after extending to 1.5 s: {:?}",
        info.ttl_remaining
    );
    cx.sleep(500).await;
    // 750 ms after the acquire, past its first 500 ms ttl.
    must_hold(&cx, &key, &holder).await?;
    Ok(())
}

/// E1: extend sets the remaining time to the new ttl, even when that is shorter.
pub async fn extend_can_shorten_the_ttl(cx: TestContext) -> CaseResult {
    let key = cx.key("shorten")?;
    let holder = cx.token()?;
    must_acquire(&cx, &key, &holder, cx.ms(30_000)).await?;
    check!(extend(&cx, &key, &holder, cx.ms(300)).await?, "the holder's extend was not Extended");
    let info = must_hold(&cx, &key, &holder).await?;
    check!(
        info.ttl_remaining.is_some_and(|t| t <= cx.ms(300)),
        "ttl after extending to 300 ms: {:?}",
        info.ttl_remaining
    );
    cx.sleep(600).await;
    must_be_free(&cx, &key).await?;
    Ok(())
}

/// E2: an extend with another token is `NotHeld` and does not touch the holder's ttl.
pub async fn extend_by_stranger_changes_nothing(cx: TestContext) -> CaseResult {
    let key = cx.key("stranger")?;
    let (holder, stranger) = (cx.token()?, cx.token()?);
    let ttl = cx.ms(2_000);
    must_acquire(&cx, &key, &holder, ttl).await?;
    check!(
        !extend(&cx, &key, &stranger, cx.ms(60_000)).await?,
        "a stranger's extend reported Extended"
    );
    let info = must_hold(&cx, &key, &holder).await?;
    check!(
        info.ttl_remaining.is_some_and(|t| t <= ttl),
        "holder's ttl after a stranger's extend: {:?}",
        info.ttl_remaining
    );
    Ok(())
}

/// E2: extending after expiry is `NotHeld` and does not re-create the lock.
pub async fn extend_after_expiry_does_not_resurrect(cx: TestContext) -> CaseResult {
    let key = cx.key("expired")?;
    let (holder, next) = (cx.token()?, cx.token()?);
    must_acquire(&cx, &key, &holder, cx.ms(200)).await?;
    cx.sleep(500).await;
    check!(
        !extend(&cx, &key, &holder, cx.ms(10_000)).await?,
        "an extend after expiry reported Extended"
    );
    must_be_free(&cx, &key).await?;
    must_acquire(&cx, &key, &next, cx.ms(10_000)).await?;
    Ok(())
}

/// E2: extending after release is `NotHeld` and does not re-create the lock.
pub async fn extend_after_release_does_not_resurrect(cx: TestContext) -> CaseResult {
    let key = cx.key("released")?;
    let holder = cx.token()?;
    must_acquire(&cx, &key, &holder, cx.ms(10_000)).await?;
    check!(release(&cx, &key, &holder).await?, "the holder's release was not Released");
    check!(
        !extend(&cx, &key, &holder, cx.ms(10_000)).await?,
        "an extend after release reported Extended"
    );
    must_be_free(&cx, &key).await?;
    Ok(())
}

/// E3: extending leaves the fencing token as it was.
pub async fn extend_keeps_the_fencing_token(cx: TestContext) -> CaseResult {
    let key = cx.key("fence")?;
    let holder = cx.token()?;
    let fencing = must_acquire(&cx, &key, &holder, cx.ms(10_000)).await?;
    check!(
        extend(&cx, &key, &holder, cx.ms(10_000)).await?,
        "the holder's extend was not Extended"
    );
    let info = must_hold(&cx, &key, &holder).await?;
    check_eq!(info.fencing, fencing, "fencing token reported by inspect after extend");
    let again = must_acquire(&cx, &key, &holder, cx.ms(10_000)).await?;
    check_eq!(again, fencing, "fencing token of a same-token re-acquire after extend");
    Ok(())
}
