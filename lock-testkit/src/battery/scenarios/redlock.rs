//! Redlock on real servers: B10 a minority and a majority of nodes down, B11 a node restarted
//! without delay (outside the model, `LOCK_BATTERY_FULL=1`), B12 the quorum arithmetic over
//! every subset of pre-held nodes.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use lock_core::{
    DynLockBackend, KeyPrefix, LockBackend, LockKey, LockManager, LockToken, Quorum, RetryPolicy,
    backend::AcquireOutcome,
};
use tokio::time::Instant;

use super::super::report::ScenarioReport;
use super::super::workload::{Run, Workload};
use super::common::{FaultLog, inside_model, io, outside_model, report, settle, under_faults};
use crate::check;
use crate::failure::Failure;
use crate::history::overlaps;
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

fn servers(n: usize) -> Result<Vec<Arc<RedisServer>>, Failure> {
    (0..n).map(|_| RedisServer::spawn().map(Arc::new).map_err(io)).collect()
}

/// How long a node may take per call in B10 and B12.
const NODE_TIMEOUT: Duration = Duration::from_millis(100);

async fn quorum(
    c: &Connectors,
    servers: &[Arc<RedisServer>],
) -> Result<Arc<DynLockBackend>, Failure> {
    Ok(quorum_and_nodes(c, servers, NODE_TIMEOUT).await?.0)
}

/// A quorum over `servers`, and its node backends.
async fn quorum_and_nodes(
    c: &Connectors,
    servers: &[Arc<RedisServer>],
    node_timeout: Duration,
) -> Result<(Arc<DynLockBackend>, Vec<Arc<DynLockBackend>>), Failure> {
    let mut builder = Quorum::builder().node_timeout(node_timeout);
    let mut nodes = Vec::new();
    for server in servers {
        let node = (c.standalone)(server.url()).await?;
        nodes.push(node.clone());
        builder = builder.shared_node(node);
    }
    Ok((Arc::new(builder.build()?), nodes))
}

/// B10: (a) two of five nodes killed mid-run and restarted only after a ttl (delayed restart),
/// inside the model; (b) three of five down: every acquire fails fast and leaves nothing.
pub(crate) async fn nodes_down(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let servers = servers(5)?;
    let mut workload = Workload::new(8, 80, Duration::from_secs(2));
    workload.refresh_every = 2;
    let mut backends = Vec::new();
    for _ in 0..workload.clients {
        backends.push(quorum(c, &servers).await?);
    }
    let mut report = report("B10 Redlock, 2 of 5 nodes down then 3 of 5", &backends, true);
    let (victims, ttl) = (servers[..2].to_vec(), workload.ttl);
    let period = Duration::from_millis(800);
    let (run, faults) = under_faults(&workload, backends, &mut report, period, move |log| {
        if faults_done(log) {
            return false;
        }
        victims.iter().for_each(|v| v.kill());
        std::thread::sleep(ttl + Duration::from_millis(500));
        victims.iter().for_each(|v| drop(v.start_again()));
        true
    })
    .await;
    let nodes: Vec<&RedisServer> = servers.iter().map(|s| s.as_ref()).collect();
    settle(&run, &mut report, &nodes, &workload).await?;
    check!(faults.count() == 1, "the two nodes were not killed and restarted during the run");
    inside_model(&report)?;

    // (b) A majority down (the client connects first, as one that was running would have).
    let survivor_view = quorum(c, &servers).await?;
    servers[..3].iter().for_each(|s| s.kill());
    let locks = LockManager::builder_shared(survivor_view)
        .prefix(workload.prefix.as_bytes())
        .retry(RetryPolicy::none())
        .build()?;
    for _ in 0..5 {
        let started = Instant::now();
        let outcome = locks.try_lock("down", Duration::from_secs(2)).await;
        check!(outcome.is_err(), "acquired with 3 of 5 nodes down: {outcome:?}");
        check!(
            started.elapsed() < Duration::from_secs(1),
            "a failed acquire took {:?}",
            started.elapsed()
        );
    }
    drop(locks);
    let survivors: Vec<&RedisServer> = servers[3..].iter().map(|s| s.as_ref()).collect();
    let (keys, _) = super::super::quiesce::leftovers(&survivors, &workload.prefix)?;
    check!(keys == 0, "{keys} lock keys left on the surviving nodes after failed acquires");
    Ok(report)
}

fn faults_done(log: &FaultLog) -> bool {
    log.count() > 0
}

/// B11: a node that is part of the holder's majority restarts empty at once; once it is back,
/// a second client assembles a majority (that node and the third) while the first one's guard
/// is still valid: the overlap, forced every run, as the Redlock analysis predicts. The first
/// holder then makes its (unfenced: `Quorum` has no fencing) write, and an update is lost.
/// With the restart delayed by a ttl, the second client gets the lock only after the first
/// one's claim ended.
///
/// Made deterministic (it failed about once in ten runs on a loaded machine): the vote for A is
/// decided by nodes 0 and 1, so its call to node 2 may still be on its way when A has the
/// lock; node 2 is freed for B only once it has run that call (and refused it, being held by
/// someone else), else A's late grant there left B without a majority. Both clients load the
/// scripts on every node first (again on node 1 after its restart), and B may retry for 1 s,
/// so a slow first call on a restarted server cannot decide the run.
pub(crate) async fn restart_without_delay(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let servers = servers(3)?;
    let node_timeout = Duration::from_millis(300);
    let qa = quorum_and_nodes(c, &servers, node_timeout).await?.0;
    let (qb, b_nodes) = quorum_and_nodes(c, &servers, node_timeout).await?;
    let mut report =
        report("B11 Redlock node restarted without delay", std::slice::from_ref(&qa), false);
    let ttl = Duration::from_secs(3);
    let prefix = format!("lock:battery:{:016x}:", rand::random::<u64>());
    let a = LockManager::builder_shared(qa).prefix(prefix.as_bytes()).build()?;
    let b = LockManager::builder_shared(qb).prefix(prefix.as_bytes()).build()?;
    let run = Run::default();
    let mut found = Vec::new();
    for delayed in [false, true] {
        let name = format!("b11-{delayed}");
        let raw = format!("{prefix}{name}");
        let history = crate::history::History::new();
        // Connections up and scripts loaded on every node, for both clients.
        let warm = format!("{name}-warm-up");
        for locks in [&a, &b] {
            warm_up(locks, &warm).await?;
        }
        // Every warm-up call answered: a release is sent to a node after the same token's
        // acquire there, and the key is gone once the last one ran.
        let limit = Instant::now() + Duration::from_secs(3);
        while !gone(&servers, &format!("{prefix}{warm}"))? {
            check!(Instant::now() < limit, "the warm-up lock was not given back");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Node 2 is busy (another holder), so A's majority is nodes 0 and 1.
        let mut admin = servers[2].admin().map_err(io)?;
        admin.cmd(&["SET", &raw, "someone-else", "PX", "30000"]).map_err(io)?;
        let scripts_before = scripts_run(&servers[2])?;
        let invoked = history.now();
        let guard_a = a.lock(&name).ttl(ttl).try_acquire().await?;
        let Some(guard_a) = guard_a else {
            return Err(Failure::new("A did not get nodes 0 and 1", "B11"));
        };
        let span_a = history.acquired(0, invoked, &guard_a);
        let seen = run.counter.load(Ordering::SeqCst);
        // A's call to node 2 must have been answered (Held) before node 2 is freed.
        let limit = Instant::now() + Duration::from_secs(5);
        while scripts_run(&servers[2])? == scripts_before {
            check!(Instant::now() < limit, "A's acquire never ran on node 2");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        admin.cmd(&["DEL", &raw]).map_err(io)?;
        let b_got;
        if delayed {
            let node = servers[1].clone();
            let restart = tokio::task::spawn_blocking(move || node.restart_after(ttl));
            // B tries all along; it may win only once A's grants are gone.
            let invoked = history.now();
            let guard_b = b
                .lock(&name)
                .ttl(ttl)
                .retry(RetryPolicy::fixed(Duration::from_millis(50)))
                .wait(ttl + Duration::from_secs(2))
                .try_acquire()
                .await?;
            b_got = guard_b.map(|g| (history.acquired(1, invoked, &g), g));
            let _ = restart.await;
            check!(b_got.is_some(), "B never got the lock after the delayed restart");
        } else {
            // Node 1 forgets A's grant: restarted empty, and answering B (whose connection to
            // it broke) before B tries.
            let node = servers[1].clone();
            tokio::task::spawn_blocking(move || node.restart())
                .await
                .map_err(|e| Failure::new(e.to_string(), "B11"))?
                .map_err(io)?;
            // B's node 1 connection is back and the acquire script loaded there again.
            let key = LockKey::new(&KeyPrefix::new(&prefix)?, &warm)?;
            let token = LockToken::generate()?;
            let back = Instant::now() + Duration::from_secs(3);
            while !matches!(
                b_nodes[1].try_acquire(&key, &token, ttl).await,
                Ok(AcquireOutcome::Acquired { .. })
            ) {
                check!(Instant::now() < back, "B's connection to node 1 did not come back");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let _ = b_nodes[1].release(&key, &token).await;
            let invoked = history.now();
            let guard_b = b
                .lock(&name)
                .ttl(ttl)
                .retry(RetryPolicy::fixed(Duration::from_millis(20)))
                .wait(Duration::from_secs(1))
                .try_acquire()
                .await?;
            b_got = guard_b.map(|g| (history.acquired(1, invoked, &g), g));
            check!(
                b_got.is_some(),
                "B could not assemble nodes 1 and 2 after node 1 restarted empty"
            );
            check!(
                history.observe(span_a, &guard_a),
                "A's guard had expired before B was granted: the overlap was not forced"
            );
        }
        if let Some((span_b, guard_b)) = b_got {
            let seen_b = run.counter.load(Ordering::SeqCst);
            run.counter.store(seen_b + 1, Ordering::SeqCst);
            run.sections.fetch_add(1, Ordering::SeqCst);
            history.released(span_b);
            let _ = guard_b.release().await;
        }
        if !delayed {
            // A, still valid as far as it knows, makes its write.
            run.counter.store(seen + 1, Ordering::SeqCst);
            run.sections.fetch_add(1, Ordering::SeqCst);
        }
        history.released(span_a);
        let _ = guard_a.release().await;
        found.push(overlaps(&history.acquisitions()).len() as u64);
    }
    report.overlaps = found[0];
    report.critical_sections = run.sections.load(Ordering::SeqCst);
    report.lost_updates =
        report.critical_sections.saturating_sub(run.counter.load(Ordering::SeqCst));
    check!(
        found[0] >= 1,
        "no overlap after an immediate restart: the scenario did not exercise the fault"
    );
    check!(found[1] == 0, "an overlap despite a restart delayed by a ttl");
    check!(report.lost_updates >= 1, "A's late unfenced write lost nothing: {report}");
    outside_model(&report)?;
    Ok(report)
}

/// Takes and gives back `name` (retrying for up to 3 s), so every node has answered this
/// client since its last restart and has the acquire script loaded.
async fn warm_up(locks: &LockManager, name: &str) -> Result<(), Failure> {
    let guard = locks
        .lock(name)
        .ttl(Duration::from_secs(1))
        .retry(RetryPolicy::fixed(Duration::from_millis(20)))
        .wait(Duration::from_secs(3))
        .try_acquire()
        .await?
        .ok_or_else(|| Failure::new(format!("could not take `{name}` to warm up"), "B11"))?;
    guard.release().await?;
    Ok(())
}

/// Whether no server has `key`.
fn gone(servers: &[Arc<RedisServer>], key: &str) -> Result<bool, Failure> {
    for server in servers {
        let exists = server.admin().and_then(|mut a| a.cmd(&["EXISTS", key])).map_err(io)?;
        if exists.int() != Some(0) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Scripts `server` has run successfully so far (`EVAL*` calls less failed ones, `NOSCRIPT`
/// included), from `INFO commandstats`.
fn scripts_run(server: &RedisServer) -> Result<i64, Failure> {
    let stats = server.admin().and_then(|mut a| a.cmd(&["INFO", "commandstats"])).map_err(io)?;
    let stats = stats.text().unwrap_or_default();
    let mut ran = 0;
    for line in stats.lines().filter(|l| l.starts_with("cmdstat_eval")) {
        let field = |name: &str| {
            line.split([':', ','])
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse::<i64>().ok())
        };
        ran += field("calls").unwrap_or(0) - field("failed_calls").unwrap_or(0);
    }
    Ok(ran)
}

/// B12: for N = 3, 4, 5 and every subset of nodes already held by someone else, an acquire
/// succeeds iff the free nodes are a majority, and a failed one leaves our token nowhere (once
/// its background give-back, bounded by the node timeout, is done).
pub(crate) async fn arithmetic(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let servers = servers(5)?;
    let mut admins =
        servers.iter().map(|s| s.admin().map_err(io)).collect::<Result<Vec<_>, _>>()?;
    let nodes: Vec<Arc<DynLockBackend>> = {
        let mut v = Vec::new();
        for s in &servers {
            v.push((c.standalone)(s.url()).await?);
        }
        v
    };
    let mut report = report("B12 quorum arithmetic, N = 3, 4, 5, every subset", &nodes, true);
    for n in 3..=5usize {
        let quorum = nodes[..n]
            .iter()
            .fold(Quorum::builder(), |b, node| b.shared_node(node.clone()))
            .build()?;
        for mask in 0u32..(1 << n) {
            let key = LockKey::with_default_prefix(format!(
                "battery:b12:{n}:{mask}:{:08x}",
                rand::random::<u32>()
            ))?;
            let raw = String::from_utf8_lossy(key.as_bytes()).into_owned();
            for (i, admin) in admins.iter_mut().enumerate().take(n) {
                if mask & (1 << i) != 0 {
                    admin.cmd(&["SET", &raw, "foreign", "PX", "30000"]).map_err(io)?;
                }
            }
            let token = LockToken::generate()?;
            let won = matches!(
                quorum.try_acquire(&key, &token, Duration::from_secs(10)).await,
                Ok(AcquireOutcome::Acquired { .. })
            );
            let free = n - mask.count_ones() as usize;
            check!(won == (free > n / 2), "N={n}, pre-held {mask:0n$b}: won={won}", n = n);
            // A lost acquire gives its token back: at once on the nodes that answered, and
            // within the node timeout on the ones still silent when the vote was decided.
            let give_back_by = std::time::Instant::now() + Duration::from_secs(1);
            let mut ours = usize::MAX;
            while ours > 0 {
                ours = 0;
                for admin in admins.iter_mut().take(n) {
                    if admin.cmd(&["GET", &raw]).map_err(io)?.text().as_deref() == token.as_str() {
                        ours += 1;
                    }
                }
                if won || std::time::Instant::now() > give_back_by {
                    break;
                }
                if ours > 0 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            for admin in admins.iter_mut().take(n) {
                admin.cmd(&["DEL", &raw]).map_err(io)?;
            }
            check!(
                won || ours == 0,
                "N={n}, pre-held {mask:b}: a lost acquire left our token on {ours} nodes after 1 s"
            );
            report.critical_sections += 1;
        }
    }
    Ok(report)
}
