//! `release`: bullets R1 and R2.

use lock_core::LockToken;

use super::util::{must_acquire, must_be_free, must_be_refused, must_hold, release};
use crate::check;
use crate::context::TestContext;
use crate::failure::CaseResult;

/// R1: the holder's release deletes the lock and frees the key for others at once.
pub async fn release_by_owner_frees_the_key(cx: TestContext) -> CaseResult {
    let key = cx.key("owner")?;
    let (holder, next) = (cx.token()?, cx.token()?);
    must_acquire(&cx, &key, &holder, cx.ms(10_000)).await?;
    check!(release(&cx, &key, &holder).await?, "the holder's release was not Released");
    must_be_free(&cx, &key).await?;
    must_acquire(&cx, &key, &next, cx.ms(10_000)).await?;
    Ok(())
}

/// R2: a release with another token is `NotHeld` and leaves the holder's lock alone.
pub async fn release_by_stranger_changes_nothing(cx: TestContext) -> CaseResult {
    let key = cx.key("stranger")?;
    let (holder, stranger) = (cx.token()?, cx.token()?);
    must_acquire(&cx, &key, &holder, cx.ms(10_000)).await?;
    check!(!release(&cx, &key, &stranger).await?, "a stranger's release reported Released");
    must_hold(&cx, &key, &holder).await?;
    // Tokens are compared whole: user tokens that share a long prefix are two holders.
    let key = cx.key("stranger-prefix")?;
    let user = |last: &str| LockToken::from_user(format!("a-shared-prefix-of-32-bytes-----{last}"));
    let (holder, stranger) = (user("1")?, user("2")?);
    must_acquire(&cx, &key, &holder, cx.ms(10_000)).await?;
    must_be_refused(&cx, &key, &stranger, cx.ms(10_000)).await?;
    check!(!release(&cx, &key, &stranger).await?, "a near-namesake's release reported Released");
    must_hold(&cx, &key, &holder).await?;
    Ok(())
}

/// R2: releasing twice gives `NotHeld` the second time.
pub async fn release_twice_is_not_held(cx: TestContext) -> CaseResult {
    let key = cx.key("twice")?;
    let holder = cx.token()?;
    must_acquire(&cx, &key, &holder, cx.ms(10_000)).await?;
    check!(release(&cx, &key, &holder).await?, "the first release was not Released");
    check!(!release(&cx, &key, &holder).await?, "the second release reported Released");
    Ok(())
}

/// R2: releasing after the ttl ran out gives `NotHeld`.
pub async fn release_after_expiry_is_not_held(cx: TestContext) -> CaseResult {
    let key = cx.key("expired")?;
    let holder = cx.token()?;
    must_acquire(&cx, &key, &holder, cx.ms(200)).await?;
    cx.sleep(500).await;
    check!(!release(&cx, &key, &holder).await?, "a release after expiry reported Released");
    Ok(())
}

/// R2: a stale holder's release after someone else took the expired lock leaves the new
/// holder's lock alone (the race a plain `DEL` gets wrong).
pub async fn release_after_takeover_keeps_the_new_holder(cx: TestContext) -> CaseResult {
    let key = cx.key("takeover")?;
    let (stale, fresh) = (cx.token()?, cx.token()?);
    must_acquire(&cx, &key, &stale, cx.ms(200)).await?;
    cx.sleep(500).await;
    must_acquire(&cx, &key, &fresh, cx.ms(10_000)).await?;
    check!(!release(&cx, &key, &stale).await?, "the stale holder's release reported Released");
    must_hold(&cx, &key, &fresh).await?;
    Ok(())
}

/// R2: releasing a key nobody holds gives `NotHeld` and creates nothing.
pub async fn release_of_a_free_key_is_not_held(cx: TestContext) -> CaseResult {
    let key = cx.key("never")?;
    check!(!release(&cx, &key, &cx.token()?).await?, "releasing a free key reported Released");
    must_be_free(&cx, &key).await?;
    Ok(())
}
