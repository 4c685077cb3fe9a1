//! WAIT mode on a primary with one replica, for any backend that offers it.

use std::time::{Duration, Instant};

use lock_core::{AcquireOutcome, BackendErrorKind, DynLockBackend, LockKey, LockToken};

use crate::failure::CaseResult;
use crate::server::RedisServer;
use crate::{check, fail};

/// `backend` is connected to the primary of a [`crate::server::ReplicaPair`] in WAIT mode for
/// one replica with a timeout under 1 s; `replica` is the pair's replica. Acquisitions the
/// replica confirms succeed (and extend and release work); with the replica stopped, an acquire
/// fails with a temporary `Replication` error within 1 s and leaves nothing behind; once the
/// replica is back, acquisitions succeed again.
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
    let resumed = replica.resume();
    match unconfirmed {
        Err(e) => {
            check!(e.kind() == BackendErrorKind::Replication, "not a Replication error: {e}");
            check!(e.is_temporary(), "a Replication error must be temporary: {e}");
        }
        Ok(outcome) => fail!("acquired with the replica stopped: {outcome:?}"),
    }
    check!(started.elapsed() < Duration::from_secs(1), "WAIT took {:?}", started.elapsed());
    check!(backend.inspect(&key).await?.is_none(), "an unconfirmed grant was kept");

    resumed.map_err(|e| crate::failure::Failure::new(e.to_string(), "resume the replica"))?;
    let again = backend.try_acquire(&key, &token, Duration::from_secs(5)).await?;
    check!(
        matches!(again, AcquireOutcome::Acquired { .. }),
        "after the replica came back: {again:?}"
    );
    backend.release(&key, &token).await?;
    Ok(())
}
