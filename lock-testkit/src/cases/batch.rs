//! Batched extends ([`lock_core::LockBackend::extend_batch`]), for backends that offer them: each item
//! answered as `extend` would answer it, in order, on keys spread over many slots.

use lock_core::{DynLockBackend, backend::ExtendItem, backend::ExtendOutcome};

use super::util::{inspect, must_acquire, must_hold};
use crate::context::TestContext;
use crate::failure::{CaseResult, Failure};
use crate::{check, check_eq};

fn batch(cx: &TestContext) -> Result<&DynLockBackend, Failure> {
    match cx.caps().batch_extend {
        true => Ok(&**cx.backend()),
        false => Err(Failure::skip("the backend offers no batched extend")),
    }
}

/// BE1, BE2: a batch holding a lock of its token, a lock of another token, a free key and two
/// more locks of its own answers `Extended`, `NotHeld`, `NotHeld`, `Extended`, `Extended`, in
/// that order:
/// its own locks get the new ttl, the other holder's keeps its ttl, the free key stays free. An
/// empty batch answers an empty list.
pub async fn extend_batch_answers_each_lock_as_extend_would(cx: TestContext) -> CaseResult {
    let b = batch(&cx)?;
    check_eq!(b.extend_batch(&[]).await?, Vec::new(), "BE2: an empty batch");
    let keys = [
        cx.key("be-own")?,
        cx.key("be-other")?,
        cx.key("be-free")?,
        cx.key("be-own2")?,
        cx.key("be-own3")?,
    ];
    let tokens = [cx.token()?, cx.token()?, cx.token()?, cx.token()?, cx.token()?];
    let other = cx.token()?;
    let (short, long) = (cx.ms(2_000), cx.ms(10_000));
    must_acquire(&cx, &keys[0], &tokens[0], short).await?;
    must_acquire(&cx, &keys[1], &other, short).await?;
    must_acquire(&cx, &keys[3], &tokens[3], short).await?;
    must_acquire(&cx, &keys[4], &tokens[4], short).await?;
    // Each item its own ttl: the last one's is twice the others'.
    let ttls = [long, long, long, long, long * 2];
    let items: Vec<ExtendItem<'_>> = keys
        .iter()
        .zip(&tokens)
        .zip(ttls)
        .map(|((key, token), ttl)| ExtendItem { key, token, ttl })
        .collect();
    let answers = b.extend_batch(&items).await?;
    use ExtendOutcome::{Extended, NotHeld};
    check_eq!(
        answers,
        vec![Extended, NotHeld, NotHeld, Extended, Extended],
        "BE1, BE2: the answers"
    );
    for i in [0, 3, 4] {
        let left = must_hold(&cx, &keys[i], &tokens[i]).await?.ttl_remaining;
        check!(left.is_some_and(|l| l > short), "BE1: {} was not extended: {left:?}", keys[i]);
        check!(
            left.is_none_or(|l| l <= ttls[i] && l > ttls[i] - short),
            "BE1: {} got {left:?} left, not its own ttl {:?}",
            keys[i],
            ttls[i]
        );
    }
    let theirs = must_hold(&cx, &keys[1], &other).await?.ttl_remaining;
    check!(
        theirs.is_none_or(|l| l <= short),
        "BE1 (E2): another holder's lock was extended by a stranger's batch: {theirs:?}"
    );
    check_eq!(inspect(&cx, &keys[2]).await?, None, "BE1 (E3): a batch created a free key");
    let held = [(&keys[0], &tokens[0]), (&keys[1], &other), (&keys[3], &tokens[3])];
    for (key, token) in held.into_iter().chain([(&keys[4], &tokens[4])]) {
        cx.backend().release(key, token).await?;
    }
    Ok(())
}

/// BE1, BE4: as many locks as one batch takes (up to 64, on a cluster spread over many slots),
/// one of them expired: every live one is extended, the expired one is `NotHeld` and stays
/// gone.
pub async fn extend_batch_serves_many_keys(cx: TestContext) -> CaseResult {
    let b = batch(&cx)?;
    let n = b.max_batch().min(64);
    check!(n >= 1, "BE4: max_batch is {n}; it must be at least 1");
    let keys = (0..n).map(|i| cx.key(format!("be-many-{i}"))).collect::<Result<Vec<_>, _>>()?;
    let tokens = (0..n).map(|_| cx.token()).collect::<Result<Vec<_>, _>>()?;
    let (brief, short, long) = (cx.ms(100), cx.ms(2_000), cx.ms(10_000));
    for (i, (key, token)) in keys.iter().zip(&tokens).enumerate() {
        must_acquire(&cx, key, token, if i == n / 2 { brief } else { short }).await?;
    }
    tokio::time::sleep(brief + cx.ms(100)).await;
    let items: Vec<ExtendItem<'_>> =
        keys.iter().zip(&tokens).map(|(key, token)| ExtendItem { key, token, ttl: long }).collect();
    let answers = b.extend_batch(&items).await?;
    check_eq!(answers.len(), n, "BE2: one answer per item");
    for (i, (answer, (key, token))) in answers.iter().zip(keys.iter().zip(&tokens)).enumerate() {
        if i == n / 2 {
            check_eq!(*answer, ExtendOutcome::NotHeld, "BE1 (E3): the expired lock {key}");
            check_eq!(inspect(&cx, key).await?, None, "BE1 (E3): an expired lock came back");
        } else {
            check_eq!(*answer, ExtendOutcome::Extended, "BE1: the live lock {key}");
            let left = must_hold(&cx, key, token).await?.ttl_remaining;
            check!(left.is_some_and(|l| l > short), "BE1: {key} was not extended: {left:?}");
            cx.backend().release(key, token).await?;
        }
    }
    Ok(())
}
