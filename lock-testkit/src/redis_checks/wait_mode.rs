//! WAIT mode on a primary with one replica, for any backend that offers it.

use std::time::{Duration, Instant};

use lock_core::{
    BackendError, BackendErrorKind, DynLockBackend, LockKey, LockToken, Metadata, RwMode,
    backend::AcquireOutcome, backend::Lease,
};

use crate::failure::{CaseResult, Failure};
use crate::server::RedisServer;
use crate::{check, fail};

/// The user [`add_user_who_cannot_delete`] creates.
const NO_DELETE_USER: (&str, &str) = ("no-delete", "no-delete-pw");

/// `backend` is connected to the primary of a [`crate::server::ReplicaPair`] in WAIT mode for
/// one replica with a timeout under 1 s; `replica` is the pair's replica. Acquisitions the
/// replica confirms succeed (and extend and release work); with the replica stopped, an acquire
/// fails with a temporary `Replication` error within 1 s and leaves nothing behind, for every
/// kind of lease the backend offers (each given back with its own release); once the replica is
/// back, acquisitions succeed again.
///
/// ```ignore
/// let pair = lock_testkit::server::ReplicaPair::spawn()?;
/// let backend = MyBackend::connect(&pair.primary.url()).await?.with_wait(1, Duration::from_millis(200))?;
/// lock_testkit::redis_checks::wait_mode_needs_the_replica(&backend, &pair.replica).await?;
/// ```
pub async fn wait_mode_needs_the_replica(
    backend: &DynLockBackend,
    replica: &RedisServer,
) -> CaseResult {
    let key = LockKey::with_default_prefix(format!("wait-mode:{:016x}", rand::random::<u64>()))?;
    let token = LockToken::generate()?;
    let granted = backend.try_acquire(&key, &token, Duration::from_secs(5)).await?;
    check!(matches!(granted, AcquireOutcome::Acquired { .. }), "a replicated acquire: {granted:?}");
    backend.extend(&key, &token, Duration::from_secs(5)).await?;
    backend.release(&key, &token).await?;

    replica
        .pause()
        .map_err(|e| crate::failure::Failure::new(e.to_string(), "pause the replica"))?;
    let started = Instant::now();
    let unconfirmed = backend.try_acquire(&key, &token, Duration::from_secs(5)).await;
    let elapsed = started.elapsed();
    let kinds = unconfirmed_kinds(backend, &token).await;
    let resumed = replica.resume();
    match unconfirmed {
        Err(e) => {
            check!(e.kind() == BackendErrorKind::Replication, "not a Replication error: {e}");
            check!(e.is_temporary(), "a Replication error must be temporary: {e}");
        }
        Ok(outcome) => fail!("acquired with the replica stopped: {outcome:?}"),
    }
    check!(elapsed < Duration::from_secs(1), "WAIT took {elapsed:?}");
    check!(backend.inspect(&key).await?.is_none(), "an unconfirmed grant was kept");
    kinds?;

    resumed.map_err(|e| crate::failure::Failure::new(e.to_string(), "resume the replica"))?;
    let again = backend.try_acquire(&key, &token, Duration::from_secs(5)).await?;
    check!(
        matches!(again, AcquireOutcome::Acquired { .. }),
        "after the replica came back: {again:?}"
    );
    backend.release(&key, &token).await?;
    Ok(())
}

/// With the replica stopped: an acquire of each other kind `backend` offers fails with a
/// `Replication` error and leaves no holder of that kind.
async fn unconfirmed_kinds(backend: &DynLockBackend, token: &LockToken) -> CaseResult {
    let metadata = Metadata::new();
    let leases = [
        Lease::Metadata(&metadata),
        Lease::Permit { limit: 2 },
        Lease::Rw(RwMode::Write),
        Lease::Fair { queue_ttl: Duration::from_secs(5) },
    ];
    let offered = backend.info().capabilities;
    for lease in leases.into_iter().filter(|l| offered.offers(l.kind())) {
        let name = format!("wait-mode:{:?}:{:016x}", lease.kind(), rand::random::<u64>());
        let key = LockKey::with_default_prefix(name)?;
        match backend.acquire_lease(&key, token, lease, Duration::from_secs(5)).await {
            Err(e) => check!(e.kind() == BackendErrorKind::Replication, "{lease:?}: {e}"),
            Ok(outcome) => fail!("{lease:?} acquired with the replica stopped: {outcome:?}"),
        }
        let held = backend.inspect_lease(&key, lease.kind()).await?;
        check!(held.holders.is_empty(), "an unconfirmed {lease:?} grant was kept: {held:?}");
    }
    Ok(())
}

/// Adds to `server` (at run time, with `ACL SETUSER`) a user who may run any command but `DEL`
/// and `UNLINK`, on any key and channel, and returns its URL. A backend connected as that user
/// acquires, but every release fails: the release script's `DEL` is refused.
pub fn add_user_who_cannot_delete(server: &RedisServer) -> Result<String, Failure> {
    let (user, password) = NO_DELETE_USER;
    let mut admin = server.admin().map_err(|e| Failure::new(e.to_string(), "admin connection"))?;
    let password_rule = format!(">{password}");
    let rules = [
        "ACL",
        "SETUSER",
        user,
        "reset",
        "on",
        &password_rule,
        "~*",
        "&*",
        "+@all",
        "-del",
        "-unlink",
    ];
    let reply = admin.cmd(&rules).map_err(|e| Failure::new(e.to_string(), "ACL SETUSER"))?;
    check!(!reply.is_error(), "ACL SETUSER failed: {reply:?}");
    Ok(format!("redis://{user}:{password}@127.0.0.1:{}/", server.port()))
}

/// `backend` is connected as the user of [`add_user_who_cannot_delete`] to the primary of a
/// [`crate::server::ReplicaPair`], in WAIT mode for one replica
/// with a timeout under 1 s. With the replica stopped an acquire is granted on the primary but
/// not confirmed, and giving it back fails: the acquire must fail with a temporary `Replication`
/// error that says the give-back failed and carries the release's error as its source.
///
/// ```ignore
/// let pair = lock_testkit::server::ReplicaPair::spawn()?;
/// let url = lock_testkit::redis_checks::add_user_who_cannot_delete(&pair.primary)?;
/// let backend = MyBackend::connect(&url).await?.with_wait(1, Duration::from_millis(200))?;
/// lock_testkit::redis_checks::wait_mode_reports_a_failed_give_back(&backend, &pair.replica).await?;
/// ```
pub async fn wait_mode_reports_a_failed_give_back(
    backend: &DynLockBackend,
    replica: &RedisServer,
) -> CaseResult {
    let key = LockKey::with_default_prefix(format!("give-back:{:016x}", rand::random::<u64>()))?;
    let token = LockToken::generate()?;
    replica.pause().map_err(|e| Failure::new(e.to_string(), "pause the replica"))?;
    let unconfirmed = backend.try_acquire(&key, &token, Duration::from_secs(5)).await;
    replica.resume().map_err(|e| Failure::new(e.to_string(), "resume the replica"))?;
    let e = match unconfirmed {
        Err(e) => e,
        Ok(outcome) => fail!("acquired with the replica stopped: {outcome:?}"),
    };
    check!(e.kind() == BackendErrorKind::Replication, "not a Replication error: {e}");
    check!(e.is_temporary(), "a Replication error must be temporary: {e}");
    check!(
        e.message().contains("giving the grant back failed"),
        "the error does not say the give-back failed: {e}"
    );
    let source = std::error::Error::source(&e)
        .ok_or_else(|| Failure::new(format!("no source on {e}"), "give-back"))?;
    check!(
        source.downcast_ref::<BackendError>().is_some(),
        "the source is not the release's BackendError: {source}"
    );
    Ok(())
}
