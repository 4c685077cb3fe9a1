//! Small helpers shared by the cases.

use std::future::Future;
use std::panic::Location;
use std::time::Duration;

use lock_core::{
    Drift, DynLockBackend, FencingToken, HolderId, LockGuard, LockKey, LockManager, LockRequest,
    LockToken, backend::AcquireOutcome, backend::ExtendOutcome, backend::LeaseKind,
    backend::LockInfo, backend::ReleaseOutcome,
};

use crate::context::TestContext;
use crate::failure::Failure;
use crate::{check, fail};

/// The backend under test when its capabilities offer `kind`; a visible skip otherwise.
pub(crate) fn offered(cx: &TestContext, kind: LeaseKind) -> Result<&DynLockBackend, Failure> {
    if cx.caps().offers(kind) {
        Ok(&**cx.backend())
    } else {
        Err(Failure::skip(format!("the backend offers no {}", kind.operation())))
    }
}

/// Asks the backend for the lock and insists it is granted; returns the fencing token.
#[track_caller]
pub(crate) fn must_acquire(
    cx: &TestContext,
    key: &LockKey,
    token: &LockToken,
    ttl: Duration,
) -> impl Future<Output = Result<Option<FencingToken>, Failure>> {
    traced(async move {
        match cx.backend().try_acquire(key, token, ttl).await? {
            AcquireOutcome::Acquired { fencing } => {
                if cx.caps().fencing {
                    check!(
                        fencing.is_some(),
                        "A7: the backend advertises fencing but Acquired carried none"
                    );
                } else {
                    check!(
                        fencing.is_none(),
                        "A7: the backend does not advertise fencing but Acquired carried {fencing:?}"
                    );
                }
                Ok(fencing)
            }
            other => fail!("expected Acquired for {key}, got {other:?}"),
        }
    })
}

/// Asks the backend for the lock and insists it is refused; returns the reported ttl.
#[track_caller]
pub(crate) fn must_be_refused(
    cx: &TestContext,
    key: &LockKey,
    token: &LockToken,
    ttl: Duration,
) -> impl Future<Output = Result<Option<Duration>, Failure>> {
    traced(async move {
        match cx.backend().try_acquire(key, token, ttl).await? {
            AcquireOutcome::Held { ttl_remaining } => Ok(ttl_remaining),
            other => fail!("expected Held for {key} (someone else holds it), got {other:?}"),
        }
    })
}

/// Releases and returns whether the backend said `Released`.
#[track_caller]
pub(crate) fn release(
    cx: &TestContext,
    key: &LockKey,
    token: &LockToken,
) -> impl Future<Output = Result<bool, Failure>> {
    traced(async move {
        match cx.backend().release(key, token).await? {
            ReleaseOutcome::Released => Ok(true),
            ReleaseOutcome::NotHeld => Ok(false),
            other => fail!("unknown release outcome {other:?}"),
        }
    })
}

/// Extends and returns whether the backend said `Extended`.
#[track_caller]
pub(crate) fn extend(
    cx: &TestContext,
    key: &LockKey,
    token: &LockToken,
    ttl: Duration,
) -> impl Future<Output = Result<bool, Failure>> {
    traced(async move {
        match cx.backend().extend(key, token, ttl).await? {
            ExtendOutcome::Extended => Ok(true),
            ExtendOutcome::NotHeld => Ok(false),
            other => fail!("unknown extend outcome {other:?}"),
        }
    })
}

/// The lock at `key`, as `inspect` reports it.
#[track_caller]
pub(crate) fn inspect(
    cx: &TestContext,
    key: &LockKey,
) -> impl Future<Output = Result<Option<LockInfo>, Failure>> {
    traced(async move { Ok(cx.backend().inspect(key).await?) })
}

/// Insists that `token` holds `key`, according to `inspect`; returns what it reported.
#[track_caller]
pub(crate) fn must_hold(
    cx: &TestContext,
    key: &LockKey,
    token: &LockToken,
) -> impl Future<Output = Result<LockInfo, Failure>> {
    traced(async move {
        match inspect(cx, key).await? {
            Some(info) if info.holder == *token => Ok(info),
            Some(info) => {
                fail!("inspect({key}) shows holder {:?}, expected {:?}", info.holder, token)
            }
            None => fail!("inspect({key}) shows no lock, but {token:?} should hold it"),
        }
    })
}

/// Insists that the holder identified by `holder` (a guard's [`lock_core::LockHandle::holder`])
/// holds `key`, according to `inspect`; returns what it reported.
#[track_caller]
pub(crate) fn must_be_held_by(
    cx: &TestContext,
    key: &LockKey,
    holder: HolderId,
) -> impl Future<Output = Result<LockInfo, Failure>> {
    traced(async move {
        match inspect(cx, key).await? {
            Some(info) if HolderId::of(&info.holder) == holder => Ok(info),
            Some(info) => fail!(
                "inspect({key}) shows holder {:?}, not the guard's ({holder:?})",
                HolderId::of(&info.holder)
            ),
            None => fail!("inspect({key}) shows no lock, but the guard should hold it"),
        }
    })
}

/// Deletes the lock at `key` behind its holder's back, as an operator's `DEL` (or a lost write
/// in the store) would: reads the holder's token with `inspect`, then releases with it.
#[track_caller]
pub(crate) fn delete_behind_the_holders_back(
    cx: &TestContext,
    key: &LockKey,
) -> impl Future<Output = Result<(), Failure>> {
    traced(async move {
        let Some(info) = inspect(cx, key).await? else {
            fail!("{key} is not held, so it cannot be deleted");
        };
        check!(
            release(cx, key, &info.holder).await?,
            "deleting {key} with its holder's token failed"
        );
        Ok(())
    })
}

/// Insists that nobody holds `key`, according to `inspect`.
#[track_caller]
pub(crate) fn must_be_free(
    cx: &TestContext,
    key: &LockKey,
) -> impl Future<Output = Result<(), Failure>> {
    traced(async move {
        match inspect(cx, key).await? {
            None => Ok(()),
            Some(info) => fail!(
                "inspect({key}) shows holder {:?} with ttl {:?}; expected no lock",
                info.holder,
                info.ttl_remaining
            ),
        }
    })
}

/// Polls `inspect` until `key` is free or `within` passes; returns how long it took.
#[track_caller]
pub(crate) fn wait_until_free(
    cx: &TestContext,
    key: &LockKey,
    within: Duration,
) -> impl Future<Output = Result<Duration, Failure>> {
    traced(async move {
        let started = tokio::time::Instant::now();
        loop {
            if inspect(cx, key).await?.is_none() {
                return Ok(started.elapsed());
            }
            if started.elapsed() > within {
                fail!("{key} was still held {within:?} later");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
}

/// Takes the free lock `name` for `ttl` with one try (the request set up by `configure`), and
/// says what really happened when it is refused.
#[track_caller]
pub(crate) fn free_lock(
    cx: &TestContext,
    locks: &LockManager,
    name: &str,
    ttl: Duration,
    configure: impl FnOnce(LockRequest) -> LockRequest,
) -> impl Future<Output = Result<LockGuard, Failure>> {
    traced(async move {
        let started = tokio::time::Instant::now();
        if let Some(guard) = configure(locks.lock(name).ttl(ttl)).try_acquire().await? {
            return Ok(guard);
        }
        let elapsed = started.elapsed();
        let key = locks.key(name)?;
        let validity = Drift::default().validity(ttl)?;
        match inspect(cx, &key).await? {
            None if elapsed >= validity => fail!(
                "setup: the backend answered the acquire of the free lock {key} after {elapsed:?}, \
             past the lock's validity of {validity:?} (its ttl less the drift allowance), so the \
             manager gave the grant back: the backend is too slow for this ttl (make the call \
             faster, or raise LOCK_TEST_TTL_SCALE)"
            ),
            None => fail!(
                "setup: the free lock {key} was refused (the backend answered Held for a free key?), \
             and is still free"
            ),
            Some(info) => fail!(
                "setup: the free lock {key} was refused: it is held by {:?} with {:?} left (left over \
             by an earlier step, or granted to a token that did not ask for it)",
                info.holder,
                info.ttl_remaining
            ),
        }
    })
}

/// `helper` with failures located at its caller too: the case line that called the helper, not
/// only the helper's own line (async functions cannot take `#[track_caller]` themselves).
#[track_caller]
fn traced<T>(
    helper: impl Future<Output = Result<T, Failure>>,
) -> impl Future<Output = Result<T, Failure>> {
    let at = Location::caller();
    async move { helper.await.map_err(|failure| failure.called_from(at)) }
}
