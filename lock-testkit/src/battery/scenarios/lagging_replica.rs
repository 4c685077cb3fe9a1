//! B13b (`LOCK_BATTERY_FULL=1`) and B14b (per PR, about 5 s), outside the timing model: a
//! failover to a replica that missed the last fencing-counter writes. On a master and its
//! replica (a Sentinel deployment, or the master of the lock's slot in a cluster and its
//! replica), the replica is stopped (SIGSTOP) and its link cut from the master's side (`CLIENT
//! KILL TYPE replica`, so nothing more reaches even its socket); holder A then takes the lock
//! on the master three times, keeping the last grant
//! (ttl 20 s, not refreshed), so the master's counter is ahead of the replica's. The master is
//! killed (-9), the replica resumed and promoted: by Sentinel, or by `CLUSTER FAILOVER
//! TAKEOVER`. That the replica really missed the writes is checked on it before it serves: its
//! replication offset is behind the master's last one, and the fence its counter records is
//! below A's.
//!
//! B is then granted the lock on the promoted replica (which lacks A's lock key) while A's
//! guard still says it is valid: the overlap, forced. Required: B's fence, and every fence
//! issued after the failover, is above every fence issued before it (0 inversions), so the
//! fenced register takes B's writes (no current holder refused) and refuses A's late one (0
//! stale writes accepted). Where A's client follows the failover, A's next extend is refused
//! and its loss signalled.
//!
//! lock-redis has no Sentinel client here: it connects to a master by address, so for B13b its
//! clients are connected to the master Sentinel names, before the failover and after it.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use lock_core::{DynLockBackend, LockManager, RetryPolicy};
use tokio::time::Instant;

use super::super::report::ScenarioReport;
use super::super::workload::{Run, Workload};
use super::common::{io, outside_model, report, settle};
use crate::check;
use crate::failure::Failure;
use crate::redis_checks::{Connectors, SentinelTarget};
use crate::server::{RedisCluster, RedisSentinel, RedisServer};

/// A's last grant: long enough to outlast the failover.
const HOLDER_TTL: Duration = Duration::from_secs(20);
/// Grants taken by A while the replica is in sync.
const IN_SYNC: usize = 3;
/// Grants taken by A while the replica lags (the last one kept).
const LAGGING: usize = 3;
/// Grants taken by B after the failover.
const AFTER: usize = 3;

/// Where the failover happens.
enum Topology<'a> {
    Sentinel(&'a RedisSentinel),
    Cluster { cluster: &'a RedisCluster, master: &'a RedisServer, replica: &'a RedisServer },
}

impl Topology<'_> {
    fn master(&self) -> &RedisServer {
        match self {
            Self::Sentinel(d) => d.master(),
            Self::Cluster { master, .. } => master,
        }
    }

    fn replica(&self) -> &RedisServer {
        match self {
            Self::Sentinel(d) => d.replica(),
            Self::Cluster { replica, .. } => replica,
        }
    }

    /// A client as an application would have it: through Sentinel when the backend can,
    /// else to the master Sentinel names, by address; a cluster client.
    async fn connect(&self, c: &Connectors) -> Result<Arc<DynLockBackend>, Failure> {
        match self {
            Self::Sentinel(d) => match c.sentinel.as_ref() {
                Some(connect) => Ok(connect(SentinelTarget {
                    sentinels: d.sentinel_addrs(),
                    service: d.service().to_owned(),
                    wait: None,
                })
                .await?),
                None => {
                    let port = d.current_master_port().map_err(io)?;
                    Ok((c.standalone)(format!("redis://127.0.0.1:{port}/")).await?)
                }
            },
            Self::Cluster { cluster, .. } => Ok((c.cluster)(cluster.urls()).await?),
        }
    }

    /// Whether a client connected before the failover follows it.
    fn follows(&self, c: &Connectors) -> bool {
        match self {
            Self::Sentinel(_) => c.sentinel.is_some(),
            Self::Cluster { .. } => true,
        }
    }

    /// Makes the (resumed) replica the master: waits for Sentinel, or takes over.
    async fn promote(&self) -> Result<(), Failure> {
        let replica = self.replica();
        if let Self::Cluster { .. } = self {
            let reply = replica
                .admin()
                .and_then(|mut a| a.cmd(&["CLUSTER", "FAILOVER", "TAKEOVER"]))
                .map_err(io)?;
            check!(!reply.is_error(), "CLUSTER FAILOVER TAKEOVER: {reply}");
        }
        let limit = Instant::now() + Duration::from_secs(30);
        loop {
            let promoted = match self {
                Self::Sentinel(d) => d.current_master_port().ok() == Some(replica.port()),
                Self::Cluster { cluster, .. } => {
                    cluster.wait_state_ok(Duration::from_millis(100)).is_ok()
                }
            } && role(replica)? == "master";
            if promoted {
                return Ok(());
            }
            check!(Instant::now() < limit, "the lagging replica was not promoted within 30 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// B13b: on a Sentinel deployment.
pub(crate) async fn sentinel(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let deployment = RedisSentinel::spawn().map_err(io)?;
    failover(
        c,
        &Topology::Sentinel(&deployment),
        "B13b Sentinel failover to a replica that missed the last fences",
    )
    .await
}

/// B14b: on a cluster (3 masters with a replica each), the lock's slot.
pub(crate) async fn cluster(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let cluster = RedisCluster::spawn(3, 1).map_err(io)?;
    let prefix = format!("lock:battery:{:016x}:", rand::random::<u64>());
    let key = format!("{prefix}shared");
    let slot = cluster.nodes()[0]
        .admin()
        .and_then(|mut a| a.cmd(&["CLUSTER", "KEYSLOT", &key]))
        .map_err(io)?
        .int()
        .and_then(|s| u16::try_from(s).ok())
        .ok_or_else(|| Failure::new("no slot", "B14b"))?;
    let master = cluster.node_for_slot(slot).map_err(io)?;
    let repl = master.admin().and_then(|mut a| a.cmd(&["INFO", "replication"])).map_err(io)?;
    let repl = repl.text().unwrap_or_default();
    let replica_port = repl
        .lines()
        .find_map(|l| l.strip_prefix("slave0:"))
        .and_then(|l| l.split(',').find_map(|kv| kv.strip_prefix("port=")))
        .and_then(|p| p.parse::<u16>().ok())
        .ok_or_else(|| Failure::new(format!("the slot's master has no replica: {repl}"), "B14b"))?;
    let replica = cluster
        .nodes()
        .iter()
        .find(|n| n.port() == replica_port)
        .ok_or_else(|| Failure::new("the replica is not a node of the cluster", "B14b"))?;
    let topology = Topology::Cluster { cluster: &cluster, master, replica };
    failover_with_prefix(
        c,
        &topology,
        "B14b cluster failover (TAKEOVER) to a replica that missed the last fences",
        prefix,
    )
    .await
}

async fn failover(
    c: &Connectors,
    topology: &Topology<'_>,
    name: &str,
) -> Result<ScenarioReport, Failure> {
    let prefix = format!("lock:battery:{:016x}:", rand::random::<u64>());
    failover_with_prefix(c, topology, name, prefix).await
}

async fn failover_with_prefix(
    c: &Connectors,
    topology: &Topology<'_>,
    name: &str,
    prefix: String,
) -> Result<ScenarioReport, Failure> {
    let mut workload = Workload::new(2, 0, Duration::from_secs(2));
    workload.prefix = prefix;
    let ttl = workload.ttl;
    let a_backend = topology.connect(c).await?;
    let mut report = report(name, std::slice::from_ref(&a_backend), false);
    if !a_backend.info().capabilities.fencing {
        return Err(Failure::skip("needs fencing tokens"));
    }
    let b_before = if topology.follows(c) { Some(topology.connect(c).await?) } else { None };
    let manager = |backend| {
        LockManager::builder_shared(backend)
            .prefix(workload.prefix.as_bytes())
            .retry(RetryPolicy::fixed(Duration::from_millis(50)))
            .build()
    };
    let a = manager(a_backend)?;
    let run = Run::default();
    let (master, replica) = (topology.master(), topology.replica());
    let mut master_admin = master.admin().map_err(io)?;

    // A, with the replica in sync.
    for _ in 0..IN_SYNC {
        section(&run, &a, 0, ttl).await?;
    }
    // The replica has A's grants once its offset reaches the master's. (Not `WAIT` after a
    // probe write: on a cluster the probe key may belong to another master, and a client that
    // wrote nothing has nothing to wait for.)
    let target = offset(master)?;
    let caught_up_by = Instant::now() + Duration::from_secs(5);
    while offset(replica)? < target {
        check!(Instant::now() < caught_up_by, "the replica did not catch up with A's grants");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let synced_fence = recorded_fence(replica, &workload.prefix)?;

    // The replica stops and its link is cut: what A does next stays on the master.
    replica.pause().map_err(io)?;
    let lag = async {
        let cut = master_admin.cmd(&["CLIENT", "KILL", "TYPE", "replica"]).map_err(io)?;
        check!(cut.int() == Some(1), "the replica's link was not cut: {cut}");
        for _ in 1..LAGGING {
            section(&run, &a, 0, ttl).await?;
        }
        let invoked = run.history.now();
        let guard = a.lock("shared").ttl(HOLDER_TTL).wait(Duration::from_secs(5)).acquire().await?;
        let span = run.history.acquired(0, invoked, &guard);
        let fence = guard.fencing_token().map_or(0, |f| f.get());
        run.claim(span, invoked, fence);
        let offset = offset(master)?;
        Ok::<_, Failure>((guard, span, fence, offset))
    }
    .await;
    // The master dies with the writes only it had; the replica resumes.
    master.kill();
    replica.resume().map_err(io)?;
    let (guard_a, span_a, fence_a, master_offset) = lag?;
    let seen_a = run.counter.load(Ordering::SeqCst);
    let replica_offset = offset(replica)?;
    let replica_fence = recorded_fence(replica, &workload.prefix)?;
    check!(
        replica_offset < master_offset,
        "the replica is not behind: offset {replica_offset}, the master's {master_offset}"
    );
    check!(
        replica_fence == synced_fence && replica_fence.is_some_and(|f| f < fence_a),
        "the replica's counter records fence {replica_fence:?}, not the in-sync {synced_fence:?} \
         below A's {fence_a}"
    );

    let promoted_at = Instant::now();
    topology.promote().await?;
    let promotion = promoted_at.elapsed();
    let b_backend = match b_before {
        Some(backend) => backend,
        None => topology.connect(c).await?,
    };
    let b = manager(b_backend)?;

    // B on the promoted replica, while A's guard is valid: the overlap.
    let invoked = run.history.now();
    let guard_b = b.lock("shared").ttl(ttl).wait(Duration::from_secs(20)).acquire().await?;
    let (span_b, fence_b) = run.granted_over(1, invoked, &guard_b, span_a, &guard_a)?;
    // A, valid in its own eyes, acts now: refused, and its unfenced update is lost.
    let refused = !run.register.write_superseded(fence_a);
    run.counter.store(seen_a + 1, Ordering::SeqCst);
    run.sections.fetch_add(1, Ordering::SeqCst);
    run.register.write(fence_b);
    run.history.released(span_b);
    guard_b.release().await?;
    for _ in 1..AFTER {
        section(&run, &b, 1, ttl).await?;
    }

    // A learns of its loss at its next extend, if its client followed the failover.
    let mut loss = "not checked (A's client stays with the dead master)";
    if topology.follows(c) {
        let mut refusal = false;
        let limit = Instant::now() + Duration::from_secs(10);
        while Instant::now() < limit {
            match guard_a.extend(HOLDER_TTL).await {
                Err(lock_core::Error::NotHeld { .. }) => {
                    refusal = true;
                    break;
                }
                Ok(()) => break,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        check!(refusal, "A's extend of a lock the promoted replica gave to B was not refused");
        let signalled = tokio::time::timeout(Duration::from_millis(100), guard_a.lost()).await;
        check!(signalled.is_ok(), "A's loss was not signalled after its extend was refused");
        run.losses.fetch_add(1, Ordering::SeqCst);
        loss = "signalled";
    }
    run.history.lost(span_a);
    drop(guard_a);
    drop((a, b));

    settle(&run, &mut report, &[replica], &workload).await?;
    report.recovery_ms = Some(promotion.as_millis() as u64);
    println!(
        "{name}: replica offset {replica_offset} < master's {master_offset}; replica's counter \
         {replica_fence:?} < A's fence {fence_a} (last of {LAGGING} on the master alone); \
         promoted in {} ms; B's fence {fence_b}; A's loss {loss}",
        promotion.as_millis()
    );
    outside_model(&report)?;
    check!(fence_b > fence_a, "B's fence {fence_b} is not above A's {fence_a}: {report}");
    check!(refused, "the fenced register accepted A's late write: {report}");
    check!(report.overlaps >= 1, "A's claim overlapped no one: {report}");
    Ok(report)
}

/// One critical section by `client`: acquire, claim, write, release.
async fn section(
    run: &Run,
    locks: &LockManager,
    client: usize,
    ttl: Duration,
) -> Result<(), Failure> {
    let invoked = run.history.now();
    let guard = locks.lock("shared").ttl(ttl).wait(Duration::from_secs(5)).acquire().await?;
    let span = run.history.acquired(client, invoked, &guard);
    let fence = guard.fencing_token().map_or(0, |f| f.get());
    run.claim(span, invoked, fence);
    let seen = run.counter.load(Ordering::SeqCst);
    run.counter.store(seen + 1, Ordering::SeqCst);
    run.register.write(fence);
    run.sections.fetch_add(1, Ordering::SeqCst);
    run.history.released(span);
    guard.release().await?;
    Ok(())
}

/// The fence the counter of this run's lock records on `node` (read as a replica may be read).
fn recorded_fence(node: &RedisServer, prefix: &str) -> Result<Option<u64>, Failure> {
    let mut admin = node.admin().map_err(io)?;
    // A cluster replica serves reads only after READONLY (an error elsewhere: ignored).
    let _ = admin.cmd(&["READONLY"]);
    let keys = admin.cmd(&["KEYS", &format!("{prefix}~fence*")]).map_err(io)?;
    let Some(key) = keys.items().first().and_then(|k| k.text()) else {
        return Ok(None);
    };
    let value = admin.cmd(&["GET", &key]).map_err(io)?.text().unwrap_or_default();
    let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
    Ok(digits.parse().ok())
}

/// `master_repl_offset` of `node`: on a replica, how much of its master's stream it has.
fn offset(node: &RedisServer) -> Result<i64, Failure> {
    let info = node.admin().and_then(|mut a| a.cmd(&["INFO", "replication"])).map_err(io)?;
    let info = info.text().unwrap_or_default();
    info.lines()
        .find_map(|l| l.strip_prefix("master_repl_offset:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| Failure::new(format!("no replication offset in {info}"), "failover"))
}

fn role(node: &RedisServer) -> Result<String, Failure> {
    let info = node.admin().and_then(|mut a| a.cmd(&["INFO", "replication"])).map_err(io)?;
    let info = info.text().unwrap_or_default();
    Ok(info.lines().find_map(|l| l.strip_prefix("role:")).unwrap_or("").trim().to_owned())
}
