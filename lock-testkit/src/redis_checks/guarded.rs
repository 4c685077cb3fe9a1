//! Guarded writes and their data keys on Redis: any key on a standalone server; on a cluster
//! only keys in the lock's slot, and a key elsewhere is a clear error before any I/O.

use std::time::Duration;

use lock_core::{DynLockBackend, Error, LockManager, backend::WriteOutcome};

use super::Connectors;
use super::util::{fail_io, shared};
use crate::failure::{CaseResult, Failure};
use crate::server::{RedisServer, shared_cluster};
use crate::{check, check_eq, fail};

/// Writes through a lock with a hash-tagged name: a key with the same tag and the lock's own
/// `data_key` are accepted; `elsewhere` (another slot) is written on a standalone server and
/// refused with a slot error on a cluster.
async fn writes(
    backend: std::sync::Arc<DynLockBackend>,
    slots: Option<&RedisServer>,
) -> CaseResult {
    let clustered = slots.is_some();
    let locks = LockManager::from_shared(backend);
    let tag = format!("order:{:016x}", rand::random::<u64>());
    let name = format!("{{{tag}}}");
    let guard = locks.try_lock(&name, Duration::from_secs(10)).await?;
    let Some(guard) = guard else { fail!("a free lock was refused") };
    let tagged = format!("{{{tag}}}:total");
    check_eq!(guard.write(&tagged, "12").await?, WriteOutcome::Written, "a hash-tagged data key");
    let own = guard.data_key("status")?;
    check_eq!(
        guard.write_fenced(&own, "paid").await?,
        WriteOutcome::Written,
        "the lock's data key"
    );
    check_eq!(locks.read_data(&tagged).await?.as_deref(), Some(&b"12"[..]), "read back");
    // A key in another slot than the lock's (asked of the cluster itself).
    let mut elsewhere = format!("total:{:016x}", rand::random::<u64>());
    if let Some(node) = slots {
        let mut admin = node.admin().map_err(fail_io)?;
        let mut slot = |key: &str| admin.cmd(&["CLUSTER", "KEYSLOT", key]).map_err(fail_io);
        let lock_slot = slot(&name)?.int();
        while slot(&elsewhere)?.int() == lock_slot {
            elsewhere = format!("total:{:016x}", rand::random::<u64>());
        }
    }
    match (guard.write(&elsewhere, "1").await, clustered) {
        (Ok(WriteOutcome::Written), false) => {}
        (Err(Error::InvalidArgument { what: "data key", reason }), true) => {
            check!(
                reason.contains("slot") && reason.contains("hash tag"),
                "the error says how: {reason}"
            );
            check_eq!(locks.read_data(&elsewhere).await?, None, "a refused key was written");
        }
        (other, _) => fail!("a data key in another slot (cluster: {clustered}) gave {other:?}"),
    }
    guard.release().await?;
    Ok(())
}

/// On a standalone server any data key is accepted.
pub async fn guarded_writes_take_any_key_on_a_server(c: &Connectors) -> CaseResult {
    writes((c.standalone)(shared()?.url()).await?, None).await
}

/// On a cluster a data key must share the lock's slot; the library's data keys and hash-tagged
/// ones do, and any other is refused before it is sent.
pub async fn guarded_writes_need_the_locks_slot_on_a_cluster(c: &Connectors) -> CaseResult {
    let cluster =
        shared_cluster().ok_or_else(|| Failure::new("no cluster available", "guarded"))?;
    writes((c.cluster)(cluster.urls()).await?, cluster.nodes().first()).await
}

/// G5 and its bound: a lock's fence records (`<prefix>~written{<tag>}<name>`) have no expiry,
/// on purpose, and deleting that key is the documented way to drop them (when the data they
/// guard is retired; eviction under an `allkeys-*` policy does the same): a fence below the
/// recorded one is refused before, and accepted after.
pub async fn fence_records_are_dropped_with_their_key(c: &Connectors) -> CaseResult {
    let server = shared()?;
    let backend = (c.standalone)(server.url()).await?;
    let Some(writes) = backend.guarded_writes() else {
        return Err(Failure::skip("the backend offers no guarded writes"));
    };
    let name = format!("redis-check:records:{:016x}", rand::random::<u64>());
    let locks = LockManager::from_shared(backend.clone());
    let guard = locks.try_lock(&name, Duration::from_secs(10)).await?;
    let Some(guard) = guard else { fail!("a free lock was refused") };
    let data = guard.data_key("v")?;
    check_eq!(guard.write_fenced(&data, "a").await?, WriteOutcome::Written, "a fenced write");
    guard.release().await?;
    let mut admin = server.admin().map_err(fail_io)?;
    let records = super::fencing::scan(&mut admin, format!("*~written{{*}}{name}").as_bytes())?;
    check_eq!(records.len(), 1, "the lock's fence records");
    let pttl = admin.cmd_bytes(&[b"PTTL", &records[0]]).map_err(fail_io)?.int();
    check_eq!(pttl, Some(-1), "the records' expiry (none: kept on purpose)");
    let key = locks.key(&name)?;
    let token = lock_core::LockToken::generate()?;
    backend.try_acquire(&key, &token, Duration::from_secs(10)).await?;
    let low = Some(lock_core::FencingToken::new(1));
    let before = writes.write_if_held(&key, &token, &data, b"b", low).await?;
    check!(matches!(before, WriteOutcome::Stale { .. }), "a low fence before: {before:?}");
    admin.cmd_bytes(&[b"DEL", &records[0]]).map_err(fail_io)?;
    let after = writes.write_if_held(&key, &token, &data, b"c", low).await?;
    check_eq!(after, WriteOutcome::Written, "a low fence once the records were deleted");
    backend.release(&key, &token).await?;
    admin.cmd_bytes(&[b"DEL", &data]).map_err(fail_io)?;
    Ok(())
}
