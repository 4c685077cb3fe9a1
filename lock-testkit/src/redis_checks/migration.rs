//! Release notification across a cluster slot migration.

use std::time::Duration;

use futures_util::FutureExt;
use lock_core::{LockKey, LockToken, backend::AcquireOutcome, backend::ReleaseOutcome};

use super::Connectors;
use super::util::{admin, fail_io};
use crate::failure::{CaseResult, Failure};
use crate::server::{RedisCluster, RedisServer};
use crate::{check, check_eq};

/// How long a wake-up may take before the check calls it lost.
const WAKE: Duration = Duration::from_secs(5);
/// How long an unsubscribe and its confirmation are given to be carried out.
const SETTLE: Duration = Duration::from_millis(300);

fn fail(what: &str, reply: impl std::fmt::Debug) -> Failure {
    Failure::new(format!("{what}: {reply:?}"), "slot migration")
}

/// Runs `args` on `node` and fails on an error reply.
fn run(node: &RedisServer, args: &[&str]) -> Result<crate::server::RespValue, Failure> {
    let reply = admin(node)?.cmd(args).map_err(fail_io)?;
    if reply.is_error() {
        return Err(fail(&args.join(" "), reply));
    }
    Ok(reply)
}

fn node_id(node: &RedisServer) -> Result<String, Failure> {
    run(node, &["CLUSTER", "MYID"])?.text().ok_or_else(|| fail("CLUSTER MYID", "no text"))
}

/// Moves `slot` and its keys from `from` to `to` as `redis-cli --cluster reshard` does
/// (`IMPORTING`, `MIGRATING`, `MIGRATE`, then `SETSLOT ... NODE` on every master). When `from`
/// gives the slot up it drops its clients' subscriptions to the slot's shard channels, telling
/// each client with an unsolicited `sunsubscribe`.
pub(crate) fn migrate_slot(
    cluster: &RedisCluster,
    slot: u16,
    from: &RedisServer,
    to: &RedisServer,
) -> Result<(), Failure> {
    let slot = slot.to_string();
    let (from_id, to_id) = (node_id(from)?, node_id(to)?);
    run(to, &["CLUSTER", "SETSLOT", &slot, "IMPORTING", &from_id])?;
    run(from, &["CLUSTER", "SETSLOT", &slot, "MIGRATING", &to_id])?;
    loop {
        let keys = run(from, &["CLUSTER", "GETKEYSINSLOT", &slot, "100"])?;
        let keys: Vec<String> = keys.items().iter().filter_map(|k| k.text()).collect();
        if keys.is_empty() {
            break;
        }
        let port = to.port().to_string();
        let mut migrate = vec!["MIGRATE", "127.0.0.1", &port, "", "0", "5000", "KEYS"];
        migrate.extend(keys.iter().map(String::as_str));
        run(from, &migrate)?;
    }
    run(to, &["CLUSTER", "SETSLOT", &slot, "NODE", &to_id])?;
    run(from, &["CLUSTER", "SETSLOT", &slot, "NODE", &to_id])?;
    for node in cluster.nodes().iter().filter(|n| n.port() != to.port() && n.port() != from.port())
    {
        run(node, &["CLUSTER", "SETSLOT", &slot, "NODE", &to_id])?;
    }
    Ok(())
}

/// On a cluster with sharded pub/sub: a lock is held and watched, then its slot moves to another
/// master. The old owner drops the subscription, so the watch must resolve (a spurious wake-up,
/// after which the waiter tries again); a new watch then registers with the new owner, and the
/// release, published there, resolves it.
pub async fn sharded_notification_follows_a_slot_migration(c: &Connectors) -> CaseResult {
    let cluster = RedisCluster::spawn(3, 0).map_err(fail_io)?;
    let backend = (c.cluster)(cluster.urls()).await?;
    if !backend.info().capabilities.release_notify {
        return Err(Failure::skip("the backend does not advertise release notification"));
    }
    let key = LockKey::with_default_prefix(format!("migrate:{:016x}", rand::random::<u64>()))?;
    let token = LockToken::generate()?;
    let granted = backend.try_acquire(&key, &token, Duration::from_secs(30)).await?;
    check!(matches!(granted, AcquireOutcome::Acquired { .. }), "a free lock: {granted:?}");
    let mut watch = backend.watch_release(&key).await?;

    // A watch of another lock that ends sends an unsubscribe of our own, which must not be
    // taken for the server dropping subscriptions (that would wake every waiter).
    let other = LockKey::with_default_prefix(format!("migrate:{:016x}", rand::random::<u64>()))?;
    drop(backend.watch_release(&other).await?);
    tokio::time::sleep(SETTLE).await;
    check!(
        (&mut watch).now_or_never().is_none(),
        "a watch was woken when another lock's watch ended"
    );

    let name = String::from_utf8_lossy(key.as_bytes()).into_owned();
    let nodes = cluster.nodes();
    let slot = run(&nodes[0], &["CLUSTER", "KEYSLOT", &name])?
        .int()
        .and_then(|s| u16::try_from(s).ok())
        .ok_or_else(|| fail("CLUSTER KEYSLOT", "no slot"))?;
    let from = cluster.node_for_slot(slot).map_err(fail_io)?;
    let to = nodes
        .iter()
        .find(|n| n.port() != from.port())
        .ok_or_else(|| fail("another master", "none"))?;
    migrate_slot(&cluster, slot, from, to)?;

    check!(
        tokio::time::timeout(WAKE, watch).await.is_ok(),
        "a watch on slot {slot} was not woken within {WAKE:?} after the slot moved away from \
         its node (its subscription was dropped there)"
    );
    let watch = backend.watch_release(&key).await?;
    let released = backend.release(&key, &token).await?;
    check_eq!(released, ReleaseOutcome::Released, "the holder's release after the migration");
    check!(
        tokio::time::timeout(WAKE, watch).await.is_ok(),
        "a release published by the slot's new owner did not wake a watch registered after the \
         migration"
    );
    Ok(())
}
