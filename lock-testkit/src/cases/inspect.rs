//! `inspect`: bullets I1 to I3.

use super::util::{inspect, must_acquire, must_be_free, must_hold, release};
use crate::context::TestContext;
use crate::failure::CaseResult;
use crate::{check, check_eq, fail};

/// I1: a key nobody took reads as `None`.
pub async fn inspect_of_a_free_key_is_none(cx: TestContext) -> CaseResult {
    must_be_free(&cx, &cx.key("nothing")?).await
}

/// I2: a held key reads as its holder, a remaining time within the ttl, and the acquisition's
/// fencing token.
pub async fn inspect_shows_holder_ttl_and_fencing(cx: TestContext) -> CaseResult {
    let key = cx.key("held")?;
    let holder = cx.token()?;
    let ttl = cx.ms(10_000);
    let fencing = must_acquire(&cx, &key, &holder, ttl).await?;
    let info = must_hold(&cx, &key, &holder).await?;
    match info.ttl_remaining {
        Some(left) => check!(
            left <= ttl && left > ttl / 2,
            "inspect reported {left:?} left of a fresh {ttl:?} lock"
        ),
        None => fail!("inspect reported no ttl for a lock taken with a ttl"),
    }
    if cx.caps().fencing {
        check_eq!(info.fencing, fencing, "fencing token reported by inspect");
    }
    Ok(())
}

/// I1: after release the key reads as `None`.
pub async fn inspect_after_release_is_none(cx: TestContext) -> CaseResult {
    let key = cx.key("released")?;
    let holder = cx.token()?;
    must_acquire(&cx, &key, &holder, cx.ms(10_000)).await?;
    check!(release(&cx, &key, &holder).await?, "the holder's release was not Released");
    must_be_free(&cx, &key).await
}

/// I1: after expiry the key reads as `None`.
pub async fn inspect_after_expiry_is_none(cx: TestContext) -> CaseResult {
    let key = cx.key("expired")?;
    must_acquire(&cx, &key, &cx.token()?, cx.ms(200)).await?;
    cx.sleep(500).await;
    must_be_free(&cx, &key).await
}

/// I3: reading the lock does not change it: its remaining time keeps falling, and it expires
/// on time however often it is inspected.
pub async fn inspect_is_read_only(cx: TestContext) -> CaseResult {
    let key = cx.key("read-only")?;
    let holder = cx.token()?;
    let started = tokio::time::Instant::now();
    let ttl = cx.ms(600);
    must_acquire(&cx, &key, &holder, ttl).await?;
    let first = must_hold(&cx, &key, &holder).await?.ttl_remaining;
    while started.elapsed() < cx.ms(400) {
        inspect(&cx, &key).await?;
        cx.sleep(15).await;
    }
    let later = must_hold(&cx, &key, &holder).await?.ttl_remaining;
    match (first, later) {
        (Some(first), Some(later)) => check!(
            later + cx.ms(250) <= first,
            "the remaining time did not fall while inspecting for 400 ms: {first:?} then {later:?}"
        ),
        _ => fail!("inspect reported no ttl: {first:?}, {later:?}"),
    }
    tokio::time::sleep_until(started + ttl + cx.ms(150)).await;
    must_be_free(&cx, &key).await
}
