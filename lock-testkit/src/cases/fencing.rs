//! Fencing tokens: bullet A7.

use super::util::{must_acquire, release};
use crate::context::TestContext;
use crate::failure::CaseResult;
use crate::{check, fail};

/// A7: with fencing advertised, every grant carries a token.
pub async fn fencing_token_is_issued_when_advertised(cx: TestContext) -> CaseResult {
    for i in 0..3 {
        let key = cx.key(format!("issued-{i}"))?;
        if must_acquire(&cx, &key, &cx.token()?, cx.ms(10_000)).await?.is_none() {
            fail!("Acquired carried no fencing token");
        }
    }
    Ok(())
}

/// A7: tokens strictly increase across release and re-acquisition by other holders.
pub async fn fencing_increases_across_releases(cx: TestContext) -> CaseResult {
    let key = cx.key("releases")?;
    let mut last = None;
    for round in 0..8 {
        let token = cx.token()?;
        let fencing = must_acquire(&cx, &key, &token, cx.ms(10_000)).await?;
        check!(
            fencing > last,
            "round {round}: fencing token {fencing:?} is not above the previous {last:?}"
        );
        last = fencing;
        check!(release(&cx, &key, &token).await?, "release was not Released");
    }
    Ok(())
}

/// A7: tokens strictly increase across expiry and takeover.
pub async fn fencing_increases_across_expiry(cx: TestContext) -> CaseResult {
    let key = cx.key("expiry")?;
    let mut last = None;
    for round in 0..3 {
        let fencing = must_acquire(&cx, &key, &cx.token()?, cx.ms(150)).await?;
        check!(
            fencing > last,
            "round {round}: fencing token {fencing:?} is not above the previous {last:?}"
        );
        last = fencing;
        cx.sleep(350).await;
    }
    // The same token taking its own lock back after it expired is a new acquisition too.
    let token = cx.token()?;
    let first = must_acquire(&cx, &key, &token, cx.ms(150)).await?;
    cx.sleep(350).await;
    let again = must_acquire(&cx, &key, &token, cx.ms(150)).await?;
    check!(
        again > first,
        "the same token's acquire after its lock expired got {again:?}, not above {first:?}"
    );
    Ok(())
}
