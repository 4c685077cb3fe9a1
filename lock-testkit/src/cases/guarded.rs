//! Asking the store (`holds`, bullets V1 and V2) and guarded writes
//! (`lock_core::backend::GuardedWriteBackend`, D1 to G7), then both through the manager's guards.
//! The guarded-write cases are skipped on backends without guarded writes.

use lock_core::{
    Error, FencingToken, LockKey, LockToken, LossReason, backend::GuardedWriteBackend,
    backend::WriteOutcome,
};

use super::util::{delete_behind_the_holders_back, inspect, must_acquire, must_hold, release};
use crate::context::TestContext;
use crate::failure::{CaseResult, Failure};
use crate::{check, check_eq, fail};

fn writes(cx: &TestContext) -> Result<&dyn GuardedWriteBackend, Failure> {
    let writes = cx.backend().guarded_writes().filter(|_| cx.caps().guarded_writes);
    writes.ok_or_else(|| Failure::skip("the backend offers no guarded writes"))
}

async fn write(
    cx: &TestContext,
    key: &LockKey,
    token: &LockToken,
    data: &[u8],
    value: &str,
    fence: Option<u64>,
) -> Result<WriteOutcome, Failure> {
    let fence = fence.map(FencingToken::new);
    Ok(writes(cx)?.write_if_held(key, token, data, value.as_bytes(), fence).await?)
}

async fn read(cx: &TestContext, data: &[u8]) -> Result<Option<String>, Failure> {
    let value = writes(cx)?.read_data(data).await?;
    Ok(value.map(|v| String::from_utf8_lossy(&v).into_owned()))
}

/// V1, V2: `holds` is true for the holder only, and false once the lock is released or expired;
/// asking changes nothing.
pub async fn holds_is_true_for_the_holder_only(cx: TestContext) -> CaseResult {
    let key = cx.key("holds")?;
    let (holder, other) = (cx.token()?, cx.token()?);
    check!(!cx.backend().holds(&key, &holder).await?, "V1: holds() on a free key");
    let ttl = cx.ms(600);
    must_acquire(&cx, &key, &holder, ttl).await?;
    check!(cx.backend().holds(&key, &holder).await?, "V1: the holder is not told it holds");
    check!(!cx.backend().holds(&key, &other).await?, "V1: a stranger is told it holds");
    let left = must_hold(&cx, &key, &holder).await?.ttl_remaining;
    check!(left.is_some_and(|l| l <= ttl), "V2: holds() extended the lock: {left:?} of {ttl:?}");
    release(&cx, &key, &holder).await?;
    check!(!cx.backend().holds(&key, &holder).await?, "V1: holds() after the release");
    must_acquire(&cx, &key, &holder, cx.ms(100)).await?;
    cx.sleep(300).await;
    check!(!cx.backend().holds(&key, &holder).await?, "V1: holds() after the lock expired");
    Ok(())
}

/// `LockHandle::verify` asks the store: true while held, false (and the guard lost) once the
/// key was deleted behind the holder's back, well before the guard's own deadline.
pub async fn verify_asks_the_store(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let guard = locks.lock("verify").ttl(cx.ms(30_000)).try_acquire().await?;
    let Some(guard) = guard else { fail!("the lock was not free") };
    check!(guard.verify().await?, "verify() is false for a held lock");
    check!(guard.is_valid(), "verify() changed a held guard");
    delete_behind_the_holders_back(&cx, guard.key()).await?;
    check!(guard.is_valid(), "the guard noticed the deletion by itself (the case needs it not to)");
    check!(!guard.verify().await?, "verify() is true after the key was deleted");
    check_eq!(guard.loss(), Some(LossReason::NotHeld), "a failed verify marks the guard lost");
    Ok(())
}

/// D1, D2: data keys are stable, distinct per name and per lock, never a lock key, and accepted
/// by `check_data_key`; a data key written does not touch its lock.
pub async fn data_keys_are_distinct_and_accepted(cx: TestContext) -> CaseResult {
    let w = writes(&cx)?;
    let (a, b) = (cx.key("data-a")?, cx.key("data-b")?);
    let a1 = w.data_key(&a, "x");
    check_eq!(w.data_key(&a, "x"), a1.clone(), "D1: the same name gave another key");
    let others = [w.data_key(&a, "y"), w.data_key(&b, "x"), a.as_bytes().to_vec()];
    for other in &others {
        check!(*other != a1, "D1/D2: data key {:?} is shared", String::from_utf8_lossy(&a1));
    }
    for key in [&a1, &others[0]] {
        check!(w.check_data_key(&a, key).is_ok(), "D1: check_data_key refused its own data key");
    }
    // Where the lock's name ends and the data's begins is part of the key.
    let split = (w.data_key(&a, "b:c"), w.data_key(&cx.key("data-a:b")?, "c"));
    check!(split.0 != split.1, "D1: lock `a` + `b:c` and lock `a:b` + `c` share a data key");
    let token = cx.token()?;
    must_acquire(&cx, &a, &token, cx.ms(10_000)).await?;
    check_eq!(write(&cx, &a, &token, &a1, "1", None).await?, WriteOutcome::Written, "G1");
    must_hold(&cx, &a, &token).await?;
    check_eq!(read(&cx, &others[0]).await?, None, "D1: writing `x` changed `y`");
    Ok(())
}

/// The manager's guarded writes refuse, before any I/O, a key under the lock's prefix that is
/// not one of the lock's data keys: another lock's key (taking it from its holder) or the
/// lock's own (making it immortal). The lock's data keys are written (keys outside the prefix
/// are too: Redis check `guarded_writes_take_any_key_on_a_server`).
pub async fn guarded_writes_refuse_keys_of_the_lock_layout(cx: TestContext) -> CaseResult {
    writes(&cx)?;
    let locks = cx.manager()?;
    let ttl = cx.ms(30_000);
    let (a_name, b_name) = ("layout-a", "layout-b");
    let a = locks.lock(a_name).ttl(ttl).acquire().await?;
    let b = locks.lock(b_name).ttl(ttl).acquire().await?;
    for target in [locks.key(b_name)?.as_bytes().to_vec(), a.key().as_bytes().to_vec()] {
        let written = a.write(&target, "x").await;
        check!(
            matches!(written, Err(Error::InvalidArgument { .. })),
            "a write to the lock key {:?} through a guard: {written:?}",
            String::from_utf8_lossy(&target)
        );
    }
    check!(b.verify().await?, "B's holder lost its lock to A's write");
    let own = a.data_key("x")?;
    check_eq!(a.write(&own, "1").await?, WriteOutcome::Written, "the lock's own data key");
    let info = inspect(&cx, a.key()).await?;
    check!(
        info.and_then(|i| i.ttl_remaining).is_some_and(|t| t <= ttl),
        "A's lock lost its expiry"
    );
    a.release().await?;
    b.release().await?;
    Ok(())
}

/// G1, G2, G6, G7: a write takes effect only while the writer's token holds the lock (not for a
/// stranger, after a release, after an expiry, on a free key) and leaves the lock as it was.
pub async fn guarded_write_needs_the_lock(cx: TestContext) -> CaseResult {
    let w = writes(&cx)?;
    let key = cx.key("guarded")?;
    let data = w.data_key(&key, "value");
    let (holder, other) = (cx.token()?, cx.token()?);
    check_eq!(read(&cx, &data).await?, None, "G7: a data key never written");
    check_eq!(
        write(&cx, &key, &holder, &data, "free", None).await?,
        WriteOutcome::NotHeld,
        "G2: free key"
    );
    let ttl = cx.ms(10_000);
    let fence = must_acquire(&cx, &key, &holder, ttl).await?;
    // Some of the ttl passes first, so a write that reset it would show.
    let passed = cx.ms(300);
    tokio::time::sleep(passed).await;
    check_eq!(write(&cx, &key, &holder, &data, "one", None).await?, WriteOutcome::Written, "G1");
    check_eq!(read(&cx, &data).await?.as_deref(), Some("one"), "G1: the value written");
    check_eq!(
        write(&cx, &key, &other, &data, "x", None).await?,
        WriteOutcome::NotHeld,
        "G2: stranger"
    );
    check_eq!(read(&cx, &data).await?.as_deref(), Some("one"), "G2: a stranger's write changed it");
    let info = must_hold(&cx, &key, &holder).await?;
    let most = ttl - passed + cx.ms(50);
    check!(info.ttl_remaining.is_some_and(|l| l <= most), "G6: the write extended the lock");
    check_eq!(info.fencing, fence, "G6: the write changed the lock's fence");
    release(&cx, &key, &holder).await?;
    check_eq!(
        write(&cx, &key, &holder, &data, "late", None).await?,
        WriteOutcome::NotHeld,
        "G2: released"
    );
    check_eq!(inspect(&cx, &key).await?, None, "G6: a refused write re-created the lock");
    must_acquire(&cx, &key, &holder, cx.ms(100)).await?;
    cx.sleep(300).await;
    check_eq!(
        write(&cx, &key, &holder, &data, "expired", None).await?,
        WriteOutcome::NotHeld,
        "G2: expired"
    );
    check_eq!(read(&cx, &data).await?.as_deref(), Some("one"), "G2: a refused write changed it");
    Ok(())
}

/// G3, G5: a fenced write below the highest fence recorded for the data key is refused, across
/// a release and a new holder; an equal fence is accepted; writes without a fence neither read
/// nor change the record; fences above 2^53 compare exactly.
pub async fn fenced_write_refuses_a_lower_fence(cx: TestContext) -> CaseResult {
    let w = writes(&cx)?;
    let key = cx.key("fenced")?;
    let data = w.data_key(&key, "value");
    let (old, new) = (cx.token()?, cx.token()?);
    let big = (1u64 << 60) + 1;
    must_acquire(&cx, &key, &old, cx.ms(10_000)).await?;
    check_eq!(write(&cx, &key, &old, &data, "a", Some(big)).await?, WriteOutcome::Written, "G1");
    check_eq!(
        write(&cx, &key, &old, &data, "b", Some(big)).await?,
        WriteOutcome::Written,
        "G1: an equal fence"
    );
    release(&cx, &key, &old).await?;
    must_acquire(&cx, &key, &new, cx.ms(10_000)).await?;
    let stale = WriteOutcome::Stale { highest: FencingToken::new(big) };
    check_eq!(
        write(&cx, &key, &new, &data, "c", Some(big - 1)).await?,
        stale,
        "G3: one below, after a release"
    );
    check_eq!(read(&cx, &data).await?.as_deref(), Some("b"), "G3: a stale write changed the data");
    check_eq!(
        write(&cx, &key, &new, &data, "d", None).await?,
        WriteOutcome::Written,
        "G5: no fence"
    );
    check_eq!(
        write(&cx, &key, &new, &data, "e", Some(big - 1)).await?,
        stale,
        "G5: an unfenced write changed the record"
    );
    check_eq!(
        write(&cx, &key, &new, &data, "f", Some(big + 1)).await?,
        WriteOutcome::Written,
        "G1: a higher fence"
    );
    let higher = WriteOutcome::Stale { highest: FencingToken::new(big + 1) };
    check_eq!(write(&cx, &key, &new, &data, "g", Some(big)).await?, higher, "G3: the record rose");
    check_eq!(
        read(&cx, &data).await?.as_deref(),
        Some("f"),
        "G3: the value of the last accepted write"
    );
    // Fences of different lengths compare as numbers, not as text ("999" > "1000" as text).
    let other = w.data_key(&key, "lengths");
    let (short, long) = (999u64, 10_000_000_000_000_000_000u64);
    check_eq!(write(&cx, &key, &new, &other, "h", Some(short)).await?, WriteOutcome::Written, "G1");
    check_eq!(
        write(&cx, &key, &new, &other, "i", Some(long)).await?,
        WriteOutcome::Written,
        "G1: a 20-digit fence above a 3-digit one"
    );
    let below = WriteOutcome::Stale { highest: FencingToken::new(long) };
    check_eq!(
        write(&cx, &key, &new, &other, "j", Some(short)).await?,
        below,
        "G3: a 3-digit fence below a 20-digit one"
    );
    Ok(())
}

/// Guarded writes through a guard: `data_key`, `write`, `write_fenced` (with a fencing token)
/// and `LockManager::read_data`; a guard whose lock expired and was taken over is refused,
/// fenced or not, and marked lost; the new holder's writes stand.
pub async fn guard_writes_only_while_it_holds(cx: TestContext) -> CaseResult {
    writes(&cx)?;
    let locks = cx.manager()?;
    let stale = locks.lock("guard-write").ttl(cx.ms(200)).try_acquire().await?;
    let Some(stale) = stale else { fail!("the lock was not free") };
    let data = stale.data_key("total")?;
    check_eq!(locks.data_key("guard-write", "total")?, data.clone(), "the manager's data key");
    check_eq!(stale.write(&data, "1").await?, WriteOutcome::Written, "a holder's write");
    if cx.caps().fencing {
        check_eq!(
            stale.write_fenced(&data, "2").await?,
            WriteOutcome::Written,
            "a holder's fenced write"
        );
    }
    let expected: &[u8] = if cx.caps().fencing { b"2" } else { b"1" };
    check_eq!(locks.read_data(&data).await?.as_deref(), Some(expected), "read_data");
    // The stale holder pauses past its ttl; another takes the lock and writes.
    cx.sleep(400).await;
    let fresh = locks.lock("guard-write").ttl(cx.ms(10_000)).try_acquire().await?;
    let Some(fresh) = fresh else { fail!("the lock did not expire") };
    check_eq!(fresh.write(&data, "3").await?, WriteOutcome::Written, "the new holder's write");
    check_eq!(stale.write(&data, "stale").await?, WriteOutcome::NotHeld, "a stale holder's write");
    if cx.caps().fencing {
        check_eq!(
            stale.write_fenced(&data, "stale").await?,
            WriteOutcome::NotHeld,
            "a stale fenced write"
        );
        check_eq!(
            fresh.write_fenced(&data, "4").await?,
            WriteOutcome::Written,
            "the new holder's fenced write"
        );
    } else {
        match stale.write_fenced(&data, "x").await {
            Err(Error::Unsupported { .. }) => {}
            other => fail!("write_fenced without fencing: {other:?}"),
        }
    }
    check!(stale.loss().is_some(), "a refused write left the stale guard valid");
    let last = if cx.caps().fencing { "4" } else { "3" };
    check_eq!(
        locks.read_data(&data).await?.as_deref(),
        Some(last.as_bytes()),
        "the data after a stale write"
    );
    fresh.release().await?;
    Ok(())
}
