//! Recovering from what restarts and failovers do to a client: an empty script cache, a new
//! process, killed connections.

use std::time::Duration;

use lock_core::{LockKey, LockToken, backend::AcquireOutcome, backend::ReleaseOutcome};

use super::Connectors;
use super::util::{admin, fail_io, private};
use crate::failure::{CaseResult, Failure};
use crate::{check, fail};

fn key(what: &str) -> Result<LockKey, Failure> {
    LockKey::with_default_prefix(format!("recovery:{what}:{:016x}", rand::random::<u64>()))
        .map_err(|e| Failure::new(e.to_string(), "key"))
}

async fn cycle(backend: &lock_core::DynLockBackend, what: &str) -> CaseResult {
    let (key, token) = (key(what)?, LockToken::generate()?);
    match backend.try_acquire(&key, &token, Duration::from_secs(5)).await {
        Ok(AcquireOutcome::Acquired { .. }) => {}
        Ok(other) => fail!("{what}: a free key answered {other:?}"),
        Err(e) => fail!("{what}: the first operation failed: {e}"),
    }
    backend.extend(&key, &token, Duration::from_secs(5)).await?;
    check!(backend.inspect(&key).await?.is_some(), "{what}: inspect lost the lock");
    check!(
        backend.release(&key, &token).await? == ReleaseOutcome::Released,
        "{what}: release did not release"
    );
    Ok(())
}

/// After `SCRIPT FLUSH` (what a restart or failover does to the script cache) the next
/// operation reloads its script and succeeds.
pub async fn script_flush_is_recovered(c: &Connectors) -> CaseResult {
    let server = private()?;
    let backend = (c.standalone)(server.url()).await?;
    cycle(&*backend, "before the flush").await?;
    admin(&server)?.cmd(&["SCRIPT", "FLUSH"]).map_err(fail_io)?;
    cycle(&*backend, "after SCRIPT FLUSH").await
}

/// After the server is killed and started again (empty, on the same port) the next operation
/// reconnects and succeeds.
pub async fn server_restart_is_recovered(c: &Connectors) -> CaseResult {
    let server = std::sync::Arc::new(private()?);
    let backend = (c.standalone)(server.url()).await?;
    cycle(&*backend, "before the restart").await?;
    let restarting = server.clone();
    tokio::task::spawn_blocking(move || restarting.restart())
        .await
        .map_err(|e| Failure::new(e.to_string(), "restart"))?
        .map_err(fail_io)?;
    cycle(&*backend, "after a restart").await
}

/// After `CLIENT KILL` of every client connection (commands and pub/sub) the next operation
/// reconnects and succeeds, and release notification works again.
pub async fn killed_connections_are_recovered(c: &Connectors) -> CaseResult {
    let server = private()?;
    let backend = (c.standalone)(server.url()).await?;
    cycle(&*backend, "before the kill").await?;
    let notify = backend.info().capabilities.release_notify;
    let (held, holder) = (key("held")?, LockToken::generate()?);
    backend.try_acquire(&held, &holder, Duration::from_secs(10)).await?;
    if notify {
        // Open the subscriber connection so the kill hits it too.
        drop(backend.watch_release(&held).await?);
    }
    let mut admin = admin(&server)?;
    for kind in ["normal", "pubsub"] {
        admin.cmd(&["CLIENT", "KILL", "TYPE", kind, "SKIPME", "yes"]).map_err(fail_io)?;
    }
    cycle(&*backend, "after CLIENT KILL").await?;
    if notify {
        let watch = backend.watch_release(&held).await?;
        backend.release(&held, &holder).await?;
        tokio::time::timeout(Duration::from_secs(2), watch).await.map_err(|_| {
            Failure::new(
                "no release notification after the subscriber connection was killed",
                "notify",
            )
        })?;
    }
    Ok(())
}
