//! B5b: grants that come back after their validity (S2). Through the fault proxy each reply
//! takes at least 250 ms (125 ms each way): longer than the lock's validity, shorter than the
//! client's 500 ms reply timeout, so the store's grant does reach the manager, too late. No
//! guard may be handed out, and the grant must be given back:
//!
//! - (a) ttl 150 ms with the default drift allowance (validity 146.5 ms): the key expires on
//!   its own before the give-back arrives; the check is that no guard came out although the
//!   store did grant the lock;
//! - (b) ttl 800 ms with a drift allowance of 600 ms (validity 192 ms): the give-back reaches
//!   the store long before the ttl would end, so the key must be gone well before then.
//!
//! After each attempt a client connected straight to the server takes the lock (the history's
//! critical sections).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use lock_core::{LockManager, RetryPolicy};

use super::super::report::ScenarioReport;
use super::super::workload::{Run, Workload};
use super::common::{inside_model, io, report, settle};
use crate::check;
use crate::failure::Failure;
use crate::proxy::FaultProxy;
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

/// One-way delay added by the proxy.
const LATENCY: Duration = Duration::from_millis(125);
/// Attempts per variant.
const ATTEMPTS: usize = 3;

/// What the store showed of one key, watched from an admin connection of its own.
#[derive(Debug, Default)]
struct Seen {
    /// When the key first existed.
    appeared: Option<Instant>,
    /// When it was gone again after that.
    vanished: Option<Instant>,
}

/// Polls `key` on the server (not through the proxy) until it appeared and vanished again, or
/// `stop` is set.
fn watch(server: &RedisServer, key: &str, stop: &AtomicBool) -> std::io::Result<Seen> {
    let mut admin = server.admin()?;
    let mut seen = Seen::default();
    while !stop.load(Ordering::SeqCst) {
        let exists = admin.cmd(&["PTTL", key])?.int().is_some_and(|pttl| pttl != -2);
        let now = Instant::now();
        match (exists, seen.appeared) {
            (true, None) => seen.appeared = Some(now),
            (false, Some(_)) => {
                seen.vanished = Some(now);
                break;
            }
            _ => {}
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(seen)
}

pub(crate) async fn run(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let server = Arc::new(RedisServer::spawn().map_err(io)?);
    let upstream = format!("127.0.0.1:{}", server.port())
        .parse()
        .map_err(|_| Failure::new("bad address", "B5b"))?;
    let proxy = FaultProxy::start(upstream).await.map_err(io)?;
    let workload = Workload::new(1, ATTEMPTS * 2, Duration::from_millis(800));
    let slow = (c.standalone)(proxy.url()).await?;
    let direct = LockManager::builder_shared((c.standalone)(server.url()).await?)
        .prefix(workload.prefix.as_bytes())
        .build()?;
    let mut report =
        report("B5b grant later than its validity (RTT 250 ms)", std::slice::from_ref(&slow), true);
    let run = Run::default();
    let mut refused = 0;
    let mut lifetimes = Vec::new();
    let mut answers = Vec::new();
    for (variant, ttl, drift) in [
        ("a", Duration::from_millis(150), None),
        ("b", Duration::from_millis(800), Some(Duration::from_millis(600))),
    ] {
        let builder = LockManager::builder_shared(slow.clone())
            .prefix(workload.prefix.as_bytes())
            .retry(RetryPolicy::none());
        let locks = match drift {
            Some(fixed) => builder.drift_allowance(fixed).build()?,
            None => builder.build()?,
        };
        // Scripts loaded and connections open before the network slows down.
        proxy.heal();
        if let Some(guard) = locks.lock("warm-up").ttl(ttl).try_acquire().await? {
            guard.release().await?;
        }
        proxy.set_latency(LATENCY);
        for _ in 0..ATTEMPTS {
            // One key throughout, so its fences can be checked in order.
            let name = "late";
            let key = format!("{}{name}", workload.prefix);
            let stop = Arc::new(AtomicBool::new(false));
            let watcher = tokio::task::spawn_blocking({
                let (server, stop, key) = (server.clone(), stop.clone(), key.clone());
                move || watch(&server, &key, &stop)
            });
            // Let the watcher connect before the attempt.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let sent = Instant::now();
            let outcome = locks.lock(name).ttl(ttl).try_acquire().await;
            let took = sent.elapsed();
            check!(
                !matches!(outcome, Ok(Some(_))),
                "({variant}) a grant that came back {took:?} after sending, past its validity, was handed out as a guard"
            );
            check!(
                matches!(outcome, Ok(None)),
                "({variant}) the late grant did not come back as a refusal but as {outcome:?} after {took:?}"
            );
            refused += 1;
            answers.push(took);
            // The key disappears by its ttl at the latest.
            tokio::time::sleep(ttl + Duration::from_millis(200)).await;
            stop.store(true, Ordering::SeqCst);
            let seen =
                watcher.await.map_err(|e| Failure::new(e.to_string(), "B5b"))?.map_err(io)?;
            let Some(appeared) = seen.appeared else {
                return Err(Failure::new(
                    format!(
                        "({variant}) the store never granted `{name}`: the late-grant path was not exercised"
                    ),
                    "B5b",
                ));
            };
            let Some(vanished) = seen.vanished else {
                return Err(Failure::new(
                    format!(
                        "({variant}) `{name}` was still held {:?} after the attempt",
                        ttl + Duration::from_millis(200)
                    ),
                    "B5b",
                ));
            };
            let lived = vanished - appeared;
            lifetimes.push(lived);
            if drift.is_some() {
                check!(
                    lived < ttl / 2,
                    "({variant}) the late grant was not given back: the key lived {lived:?} of its {ttl:?}"
                );
            }
            // Free for others: a client that sees no delay takes it at once.
            let invoked = run.history.now();
            let guard = direct.lock(name).ttl(ttl).wait(Duration::ZERO).try_acquire().await?;
            let Some(guard) = guard else {
                return Err(Failure::new(format!("({variant}) `{name}` is still held"), "B5b"));
            };
            let span = run.history.acquired(0, invoked, &guard);
            run.history.released(span);
            run.counter.fetch_add(1, Ordering::SeqCst);
            guard.release().await?;
            run.sections.fetch_add(1, Ordering::SeqCst);
        }
        proxy.heal();
    }
    let ms = |v: &[Duration]| v.iter().map(|d| d.as_millis()).collect::<Vec<_>>();
    println!(
        "B5b: {refused} late grants refused, answers after {:?} ms; keys lived {:?} ms on the store",
        ms(&answers),
        ms(&lifetimes)
    );
    settle(&run, &mut report, &[&server], &workload).await?;
    inside_model(&report)?;
    drop(proxy);
    Ok(report)
}
