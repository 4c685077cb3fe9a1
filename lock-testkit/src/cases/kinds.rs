//! One keyspace: a name holds a lock, a semaphore or a reader-writer lock, never two of them
//! (the contracts of `lock_core::SemaphoreBackend` and `lock_core::RwLockBackend`). Asking for
//! a name as another kind than the one it holds is a `WrongType` error that changes nothing
//! held, on every backend, the in-process one included.

use std::time::Duration;

use lock_core::{AcquireOutcome, BackendErrorKind, LockKey, LockToken, RwMode};

use crate::context::TestContext;
use crate::failure::{CaseResult, Failure};
use crate::{check, check_eq, fail};

/// The kinds a name can hold.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Lock,
    Semaphore,
    RwLock,
}

/// Takes `key` as `kind` for `token`.
async fn take(
    cx: &TestContext,
    kind: Kind,
    key: &LockKey,
    token: &LockToken,
    ttl: Duration,
) -> Result<Result<AcquireOutcome, lock_core::BackendError>, Failure> {
    let backend = cx.backend();
    Ok(match kind {
        Kind::Lock => backend.try_acquire(key, token, ttl).await,
        Kind::Semaphore => match backend.semaphores() {
            Some(s) => s.try_acquire_permit(key, token, 2, ttl).await,
            None => return Err(Failure::skip("no semaphores")),
        },
        Kind::RwLock => match backend.rw_locks() {
            Some(rw) => rw.try_acquire_rw(key, token, RwMode::Read, ttl).await,
            None => return Err(Failure::skip("no reader-writer locks")),
        },
    })
}

/// How many hold `key` as `kind`, and the least time one of them has left.
async fn holders(
    cx: &TestContext,
    kind: Kind,
    key: &LockKey,
) -> Result<(usize, Option<Duration>), Failure> {
    let backend = cx.backend();
    let infos = match kind {
        Kind::Lock => backend.inspect(key).await?.into_iter().collect(),
        Kind::Semaphore => match backend.semaphores() {
            Some(s) => s.inspect_permits(key).await?,
            None => Vec::new(),
        },
        Kind::RwLock => match backend.rw_locks() {
            Some(rw) => rw.inspect_rw(key).await?.0.into_iter().map(|h| h.info).collect(),
            None => Vec::new(),
        },
    };
    let least = infos.iter().filter_map(|i| i.ttl_remaining).min();
    Ok((infos.len(), least))
}

/// For every pair of kinds the backend offers: a name held as one kind, asked for as another,
/// answers a `WrongType` error (not a grant, not a refusal), and its holder keeps the name as
/// it was.
pub async fn a_name_used_as_two_kinds_is_a_clear_error(cx: TestContext) -> CaseResult {
    let backend = cx.backend();
    let mut kinds = vec![Kind::Lock];
    if backend.semaphores().is_some() {
        kinds.push(Kind::Semaphore);
    }
    if backend.rw_locks().is_some() {
        kinds.push(Kind::RwLock);
    }
    if kinds.len() < 2 {
        return Err(Failure::skip("the backend offers one kind of lock only"));
    }
    let ttl = cx.ms(30_000);
    for held in &kinds {
        for asked in kinds.iter().filter(|k| *k != held) {
            let key = cx.key(format!("kinds-{held:?}-{asked:?}"))?;
            let holder = cx.token()?;
            match take(&cx, *held, &key, &holder, ttl).await? {
                Ok(AcquireOutcome::Acquired { .. }) => {}
                other => fail!("setup: {held:?} of a free name gave {other:?}"),
            }
            let before = holders(&cx, *held, &key).await?;
            let answer = take(&cx, *asked, &key, &cx.token()?, ttl).await?;
            match answer {
                Err(e) if e.kind() == BackendErrorKind::WrongType => {}
                other => fail!("{asked:?} of a name held as a {held:?}: {other:?}, not WrongType"),
            }
            let after = holders(&cx, *held, &key).await?;
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
