//! Metadata stored with a lock (`lock_core::backend::Lease::Metadata`, bullets M1 to M6), then through
//! the manager's requests and `info`. Skipped on backends without metadata.

use lock_core::{
    DynLockBackend, LockKey, LockToken, Metadata, backend::AcquireOutcome, backend::ExtendOutcome,
    backend::Lease, backend::LeaseKind, backend::ReleaseOutcome,
};

use super::util::{must_acquire, must_hold, offered};
use crate::context::TestContext;
use crate::failure::{CaseResult, Failure};
use crate::{check, check_eq, fail};

fn with_metadata(cx: &TestContext) -> Result<&DynLockBackend, Failure> {
    offered(cx, LeaseKind::Metadata)
}

fn meta(owner: &str) -> Result<Metadata, Failure> {
    let meta =
        Metadata::new().with("owner", owner).and_then(|m| m.with("purpose", "a test, with spaces"));
    meta.map_err(|e| Failure::new(e.to_string(), "metadata"))
}

/// The metadata `inspect_metadata` shows, with whose it is.
async fn shown(cx: &TestContext, key: &LockKey) -> Result<Option<(LockToken, Metadata)>, Failure> {
    Ok(with_metadata(cx)?.inspect_metadata(key).await?)
}

/// M1, M2, M5: the metadata is stored with the grant, for the holder; the lock key holds the
/// plain token (`inspect` shows the holder); a refused contender changes nothing; the holder
/// acquiring again replaces it.
pub async fn metadata_is_stored_with_the_grant(cx: TestContext) -> CaseResult {
    let m = with_metadata(&cx)?;
    let key = cx.key("meta-grant")?;
    let (holder, other) = (cx.token()?, cx.token()?);
    check_eq!(shown(&cx, &key).await?, None, "M5: metadata of a free key");
    let (first, second) = (meta("first")?, meta("second")?);
    let fence = match m.acquire_lease(&key, &holder, Lease::Metadata(&first), cx.ms(10_000)).await?
    {
        AcquireOutcome::Acquired { fencing } => {
            check_eq!(fencing.is_some(), cx.caps().fencing, "M1 (A7): fencing as advertised");
            fencing
        }
        other => fail!("M1: a free key was not granted: {other:?}"),
    };
    must_hold(&cx, &key, &holder).await?;
    check_eq!(
        shown(&cx, &key).await?,
        Some((holder.clone(), first.clone())),
        "M2: stored with the grant"
    );
    match m.acquire_lease(&key, &other, Lease::Metadata(&second), cx.ms(10_000)).await? {
        AcquireOutcome::Held { .. } => {}
        other => fail!("M1 (A2): a held key was granted to a contender: {other:?}"),
    }
    check_eq!(
        shown(&cx, &key).await?,
        Some((holder.clone(), first)),
        "M2: a refused contender changed it"
    );
    match m.acquire_lease(&key, &holder, Lease::Metadata(&second), cx.ms(10_000)).await? {
        AcquireOutcome::Acquired { fencing } => {
            check_eq!(fencing, fence, "M1 (A3): the holder asking again keeps its fence");
        }
        other => fail!("M1 (A3): the holder asking again was refused: {other:?}"),
    }
    check_eq!(shown(&cx, &key).await?, Some((holder, second)), "M2: the holder's new metadata");
    // Empty metadata is metadata: shown, with no fields.
    let (key, holder) = (cx.key("meta-empty")?, cx.token()?);
    match m.acquire_lease(&key, &holder, Lease::Metadata(&Metadata::new()), cx.ms(10_000)).await? {
        AcquireOutcome::Acquired { .. } => {}
        other => fail!("M1: a free key was not granted: {other:?}"),
    }
    check_eq!(shown(&cx, &key).await?, Some((holder, Metadata::new())), "M2: empty metadata");
    Ok(())
}

/// M3, M4, M5: an extension keeps the metadata alive past the first ttl; a release removes it;
/// an expired lock shows none; a later holder without metadata never shows an earlier one's.
pub async fn metadata_lives_and_dies_with_the_lock(cx: TestContext) -> CaseResult {
    let m = with_metadata(&cx)?;
    let key = cx.key("meta-life")?;
    let (holder, other) = (cx.token()?, cx.token()?);
    let info = meta("life")?;
    m.acquire_lease(&key, &holder, Lease::Metadata(&info), cx.ms(300)).await?;
    cx.sleep(150).await;
    check_eq!(
        m.extend_lease(&key, &holder, LeaseKind::Metadata, cx.ms(10_000)).await?,
        ExtendOutcome::Extended,
        "M3"
    );
    check_eq!(
        m.extend_lease(&key, &other, LeaseKind::Metadata, cx.ms(10_000)).await?,
        ExtendOutcome::NotHeld,
        "M3 (E2)"
    );
    cx.sleep(350).await;
    check_eq!(
        shown(&cx, &key).await?,
        Some((holder.clone(), info.clone())),
        "M3: gone before the extended ttl"
    );
    check_eq!(
        m.release_lease(&key, &other, LeaseKind::Metadata).await?,
        ReleaseOutcome::NotHeld,
        "M4 (R2)"
    );
    check_eq!(
        m.release_lease(&key, &holder, LeaseKind::Metadata).await?,
        ReleaseOutcome::Released,
        "M4 (R1)"
    );
    check_eq!(shown(&cx, &key).await?, None, "M4: left after the release");
    must_acquire(&cx, &key, &other, cx.ms(10_000)).await?;
    check_eq!(shown(&cx, &key).await?, None, "M5: a plain holder shows earlier metadata");
    check!(cx.backend().release(&key, &other).await? == ReleaseOutcome::Released, "R1");
    m.acquire_lease(&key, &holder, Lease::Metadata(&info), cx.ms(100)).await?;
    cx.sleep(300).await;
    check_eq!(shown(&cx, &key).await?, None, "M5: metadata of an expired lock");
    must_acquire(&cx, &key, &other, cx.ms(10_000)).await?;
    check_eq!(shown(&cx, &key).await?, None, "M5: a later holder shows an expired one's metadata");
    Ok(())
}

/// Through the manager: `LockRequest::metadata` with auto-refresh keeps the metadata past the
/// first ttl, `LockManager::info` shows it, a release removes it, and another manager's
/// contending request does not change it.
pub async fn metadata_through_the_manager(cx: TestContext) -> CaseResult {
    with_metadata(&cx)?;
    let locks = cx.manager()?;
    let info = meta("manager")?;
    let guard = locks
        .lock("meta-manager")
        .ttl(cx.ms(300))
        .auto_refresh()
        .metadata(info.clone())
        .acquire()
        .await?;
    let contender = locks.lock("meta-manager").metadata(meta("contender")?).try_acquire().await?;
    check!(contender.is_none(), "a contender got a held lock");
    cx.sleep(600).await;
    let state = locks.info("meta-manager").await?;
    let Some(state) = state else { fail!("the refreshed lock is gone") };
    check_eq!(state.holder, guard.holder(), "info: the holder");
    check_eq!(state.metadata, Some(info), "info: the metadata past the first ttl");
    guard.release().await?;
    check_eq!(locks.info("meta-manager").await?, None, "info after the release");
    check_eq!(shown(&cx, &locks.key("meta-manager")?).await?, None, "metadata after the release");
    Ok(())
}
