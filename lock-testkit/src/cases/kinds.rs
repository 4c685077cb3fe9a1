//! One keyspace: a name holds a lock, a semaphore or a reader-writer lock, never two of them
//! (K2 in the contract of `lock_core::LockBackend::acquire_lease`). Asking for
//! a name as another kind than the one it holds is a `WrongType` error that changes nothing
//! held, on every backend, the in-process one included.

use std::time::Duration;

use lock_core::{
    BackendErrorKind, LockKey, RwMode, backend::AcquireOutcome, backend::Lease, backend::LeaseKind,
};

use crate::context::TestContext;
use crate::failure::{CaseResult, Failure};
use crate::{check, check_eq, fail};

/// How many hold `key` as `kind`, and the least time one of them has left.
async fn holders(
    cx: &TestContext,
    kind: LeaseKind,
    key: &LockKey,
) -> Result<(usize, Option<Duration>), Failure> {
    let infos = cx.backend().inspect_lease(key, kind).await?.into_infos();
    let least = infos.iter().filter_map(|i| i.ttl_remaining).min();
    Ok((infos.len(), least))
}

/// K2, for every pair of kinds the backend offers: a name held as one kind, asked for as another
/// (acquired, released, extended or inspected, even with the holder's own token), answers a
/// `WrongType` error (not a grant, not a refusal, not `NotHeld`), and its holder keeps the name
/// as it was. (Release, extend and inspect were added after the differential check against
/// Redis found the in-process store answering `NotHeld` where Redis refuses the type, and
/// Redis extending a reader's hold through the semaphore call.)
pub async fn a_name_used_as_two_kinds_is_a_clear_error(cx: TestContext) -> CaseResult {
    let caps = cx.caps();
    let kinds: Vec<Lease<'_>> = [Lease::Lock, Lease::Permit { limit: 2 }, Lease::Rw(RwMode::Read)]
        .into_iter()
        .filter(|lease| caps.offers(lease.kind()))
        .collect();
    if kinds.len() < 2 {
        return Err(Failure::skip("the backend offers one kind of lock only"));
    }
    let ttl = cx.ms(30_000);
    for held in &kinds {
        for asked in kinds.iter().filter(|k| *k != held) {
            let key = cx.key(format!("kinds-{:?}-{:?}", held.kind(), asked.kind()))?;
            let holder = cx.token()?;
            match cx.backend().acquire_lease(&key, &holder, *held, ttl).await {
                Ok(AcquireOutcome::Acquired { .. }) => {}
                other => fail!("setup: {held:?} of a free name gave {other:?}"),
            }
            let before = holders(&cx, held.kind(), &key).await?;
            let answer = cx.backend().acquire_lease(&key, &cx.token()?, *asked, ttl).await;
            match answer {
                Err(e) if e.kind() == BackendErrorKind::WrongType => {}
                other => fail!("{asked:?} of a name held as a {held:?}: {other:?}, not WrongType"),
            }
            // Every other lease call of the asked kind, even by the holder's own token.
            let kind = asked.kind();
            let released = cx.backend().release_lease(&key, &holder, kind).await.map(|_| ());
            let extended = cx.backend().extend_lease(&key, &holder, kind, ttl).await.map(|_| ());
            let inspected = cx.backend().inspect_lease(&key, kind).await.map(|_| ());
            for (call, answer) in
                [("release", released), ("extend", extended), ("inspect", inspected)]
            {
                match answer {
                    Err(e) if e.kind() == BackendErrorKind::WrongType => {}
                    other => fail!(
                        "K2: {call} as a {kind:?} of a name held as a {held:?}: {other:?}, not WrongType"
                    ),
                }
            }
            let after = holders(&cx, held.kind(), &key).await?;
            check_eq!(after.0, before.0, "{held:?}'s holders after asking for a {asked:?}");
            check!(
                after.1 <= before.1,
                "{held:?}'s ttl grew after asking for a {asked:?}: {:?} -> {:?}",
                before.1,
                after.1
            );
        }
    }
    Ok(())
}

/// K2: a name holds a kind while something holds it. A reader-writer lock whose last hold is
/// gone, with only a writer's waiting mark left (the writer was refused while readers held it),
/// holds nothing: a plain lock may take the name. (Found by the differential check against
/// Redis, where the mark is a key of its own; the in-process store refused the lock.)
pub async fn a_writers_mark_alone_holds_no_name(cx: TestContext) -> CaseResult {
    let caps = cx.caps();
    if !caps.offers(LeaseKind::Rw) {
        return Err(Failure::skip("the backend offers no reader-writer locks"));
    }
    let key = cx.key("kinds-mark-only")?;
    let ttl = cx.ms(30_000);
    let (reader, writer, lock) = (cx.token()?, cx.token()?, cx.token()?);
    match cx.backend().acquire_lease(&key, &reader, Lease::Rw(RwMode::Read), ttl).await? {
        AcquireOutcome::Acquired { .. } => {}
        other => fail!("setup: a read of a free name gave {other:?}"),
    }
    match cx.backend().acquire_lease(&key, &writer, Lease::Rw(RwMode::Write), ttl).await? {
        AcquireOutcome::Held { .. } => {}
        other => fail!("RW: a write beside a read gave {other:?}, not Held"),
    }
    cx.backend().release_lease(&key, &reader, LeaseKind::Rw).await?;
    match cx.backend().try_acquire(&key, &lock, ttl).await {
        Ok(AcquireOutcome::Acquired { .. }) => {}
        other => fail!("K2: a plain lock of a name left with only a writer's mark: {other:?}"),
    }
    let _ = cx.backend().release(&key, &lock).await;
    let _ = cx.backend().release_lease(&key, &writer, LeaseKind::Rw).await;
    Ok(())
}

/// K1: every kind of lease the backend's capabilities do not offer answers an `Unsupported`
/// error: not a grant, not a refusal. Skipped for a backend that offers every kind.
pub async fn kinds_not_offered_are_unsupported(cx: TestContext) -> CaseResult {
    let caps = cx.caps();
    let metadata = lock_core::Metadata::new();
    let leases = [
        Lease::Metadata(&metadata),
        Lease::Permit { limit: 2 },
        Lease::Rw(RwMode::Read),
        Lease::Fair { queue_ttl: cx.ms(10_000) },
    ];
    let missing: Vec<Lease<'_>> = leases.into_iter().filter(|l| !caps.offers(l.kind())).collect();
    if missing.is_empty() {
        return Err(Failure::skip("the backend offers every kind of lease"));
    }
    for lease in missing {
        let kind = lease.kind();
        let key = cx.key(format!("not-offered-{kind:?}"))?;
        let token = cx.token()?;
        match cx.backend().acquire_lease(&key, &token, lease, cx.ms(10_000)).await {
            Err(e) if e.kind() == BackendErrorKind::Unsupported => {}
            other => {
                fail!("K1: {kind:?} is not in the capabilities, yet acquiring it gave {other:?}")
            }
        }
    }
    Ok(())
}
