//! Release notification on real Redis: waiters wake on release, share one subscription, and
//! leave no channel behind.

use std::sync::Arc;
use std::time::Duration;

use lock_core::{DynLockBackend, LockManager, RetryPolicy};
use tokio::time::Instant;

use super::Connectors;
use super::util::{admin, fail_io, private};
use crate::failure::{CaseResult, Failure};
use crate::server::{RedisCluster, RedisServer};
use crate::{check, check_eq};

const WAITERS: usize = 8;
const HOLD: Duration = Duration::from_millis(20);
/// The waiters' backoff: a wake-up that relied on it would take this long.
const BACKOFF: Duration = Duration::from_secs(2);

/// Lists the lock channels with subscribers on `nodes`, and their subscriber counts.
type ChannelCount = fn(&[&RedisServer]) -> Result<Vec<(String, i64)>, Failure>;

fn classic_channels(nodes: &[&RedisServer]) -> Result<Vec<(String, i64)>, Failure> {
    channels(nodes, "CHANNELS", "NUMSUB")
}

fn shard_channels(nodes: &[&RedisServer]) -> Result<Vec<(String, i64)>, Failure> {
    channels(nodes, "SHARDCHANNELS", "SHARDNUMSUB")
}

fn channels(
    nodes: &[&RedisServer],
    list: &str,
    count: &str,
) -> Result<Vec<(String, i64)>, Failure> {
    let mut found = Vec::new();
    for node in nodes {
        let mut admin = admin(node)?;
        let names = admin.cmd(&["PUBSUB", list, "lock:*"]).map_err(fail_io)?;
        for name in names.items().iter().filter_map(|n| n.text()) {
            let counted = admin.cmd(&["PUBSUB", count, &name]).map_err(fail_io)?;
            found.push((name, counted.items().get(1).and_then(|n| n.int()).unwrap_or(0)));
        }
    }
    Ok(found)
}

/// Eight waiters with a 2 s backoff queue behind a holder; the holder releases; each waiter
/// holds 20 ms and releases in turn. Returns how long after the release the first and the last
/// got the lock, and the channels seen while they waited.
async fn queue_behind_a_holder(
    backend: Arc<DynLockBackend>,
    nodes: &[&RedisServer],
    count: ChannelCount,
) -> Result<(Duration, Duration, Vec<(String, i64)>), Failure> {
    let locks = LockManager::builder_shared(backend).retry(RetryPolicy::fixed(BACKOFF)).build()?;
    let name = format!("notify:{:016x}", rand::random::<u64>());
    let holder = locks
        .try_lock(&name, Duration::from_secs(30))
        .await?
        .ok_or_else(|| Failure::new("free lock refused", "notify"))?;
    let mut waiters = Vec::new();
    for _ in 0..WAITERS {
        let (locks, name) = (locks.clone(), name.clone());
        waiters.push(tokio::spawn(async move {
            let guard = locks
                .lock(&name)
                .ttl(Duration::from_secs(30))
                .wait(Duration::from_secs(30))
                .acquire()
                .await?;
            let got = Instant::now();
            tokio::time::sleep(HOLD).await;
            guard.release().await?;
            Ok::<_, lock_core::Error>(got)
        }));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let waiting = count(nodes)?;
    let released = Instant::now();
    holder.release().await?;
    let mut got = Vec::new();
    for waiter in waiters {
        got.push(waiter.await.map_err(|e| Failure::new(e.to_string(), "waiter"))??);
    }
    got.sort();
    Ok((got[0] - released, got[WAITERS - 1] - released, waiting))
}

async fn check_queue(
    backend: Arc<DynLockBackend>,
    nodes: &[&RedisServer],
    count: ChannelCount,
) -> CaseResult {
    if !backend.info().capabilities.release_notify {
        return Err(Failure::skip("the backend does not advertise release notification"));
    }
    let (first, last, waiting) = queue_behind_a_holder(backend, nodes, count).await?;
    check_eq!(
        waiting.len(),
        1,
        "lock channels with subscribers while 8 waiters waited on one lock: {waiting:?}"
    );
    check_eq!(
        waiting[0].1,
        1,
        "subscriber connections on the channel (waiters share one): {waiting:?}"
    );
    check!(
        first < Duration::from_millis(500),
        "the first waiter got the lock {first:?} after the release (backoff {BACKOFF:?})"
    );
    check!(
        last < BACKOFF,
        "the last of {WAITERS} waiters got the lock {last:?} after the release (backoff {BACKOFF:?})"
    );
    // Unsubscribing follows the last waiter's exit.
    let started = Instant::now();
    loop {
        let left = count(nodes)?;
        if left.is_empty() {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(2) {
            return Err(Failure::new(
                format!("channels left after every waiter left: {left:?}"),
                "notify",
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// On a standalone server: a release wakes waiters long before their 2 s backoff, 8 waiters
/// share one subscription, and `PUBSUB CHANNELS` is empty once they are gone.
pub async fn notification_leaves_no_channels(c: &Connectors) -> CaseResult {
    let server = private()?;
    let backend = (c.standalone)(server.url()).await?;
    check_queue(backend, &[&server], classic_channels).await
}

/// The same on a cluster, with sharded pub/sub: `PUBSUB SHARDCHANNELS` is empty on every node
/// once the waiters are gone.
pub async fn sharded_notification_leaves_no_channels(c: &Connectors) -> CaseResult {
    let cluster = RedisCluster::spawn(3, 0).map_err(fail_io)?;
    let backend = (c.cluster)(cluster.urls()).await?;
    let nodes: Vec<&RedisServer> = cluster.nodes().iter().collect();
    check_queue(backend, &nodes, shard_channels).await
}
