//! Contended: tasks on one key, each holding it 1 ms; handoff time from a release to the next
//! holder's acquire, with release notification and with plain polling, and what each
//! acquisition costs the server. With notification it runs with P independent managers (each
//! on its own connections, as P processes would be): 1 manager of 8 tasks, then 8 and 64
//! managers of one task each. Beside them, the raw `redis` crate's tasks polling `SET NX PX`
//! back to back (no pause between refusals): what a hand-written poller gets at any cost to
//! the server, the ceiling for the handoff.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lock_core::{DynLockBackend, LockGuard, LockManager};
use lock_fred::FredBackend;
use lock_redis::RedisBackend;
use lock_redis::redis;

use super::report::Contended;
use crate::stats::Samples;

const TASKS: usize = 8;
/// Managers (as separate processes would have) and tasks per manager, with notification.
const SPREADS: [(usize, usize); 3] = [(1, TASKS), (8, 1), (64, 1)];
const HOLD: Duration = Duration::from_millis(1);

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// When the last holder called release.
type LastRelease = Arc<Mutex<Option<Instant>>>;

/// What one run of the contended workload saw.
struct Run {
    acquisitions: usize,
    acquisitions_per_s: f64,
    handoffs: Samples,
    waits: Samples,
    /// The mean time a holder really held the lock (a 1 ms sleep lasts longer).
    hold: Duration,
}

/// What takes the lock in a contended run.
#[derive(Clone)]
enum Contender {
    /// A lock manager's waits, in the store's line when `fair`.
    Manager(LockManager, bool),
    /// The raw `redis` crate polling `SET NX PX` with no pause, giving back by compare-and-delete.
    RawPoller(redis::aio::ConnectionManager, redis::Script),
}

/// What a contender holds.
enum Held {
    Guard(LockGuard),
    Raw(String),
}

impl Contender {
    async fn take(&self, name: &str) -> Result<Held, String> {
        match self {
            Self::Manager(locks, fair) => {
                let request = locks.lock(name);
                let request = if *fair { request.fair() } else { request };
                Ok(Held::Guard(request.acquire().await.map_err(err)?))
            }
            Self::RawPoller(manager, _) => {
                let key = format!("lock:{name}");
                loop {
                    if let Some(token) = super::cyclers::raw_try_take(manager, &key).await? {
                        return Ok(Held::Raw(token));
                    }
                }
            }
        }
    }

    async fn give_back(&self, name: &str, held: Held) -> Result<(), String> {
        match (self, held) {
            (_, Held::Guard(guard)) => guard.release().await.map(drop).map_err(err),
            (Self::RawPoller(manager, script), Held::Raw(token)) => {
                super::cyclers::raw_give_back(manager, script, &format!("lock:{name}"), &token)
                    .await
            }
            (Self::Manager(..), Held::Raw(_)) => Err("a manager holds no raw token".into()),
        }
    }
}

/// `tasks` tasks on each of `contenders`, all on one key.
async fn measure(
    contenders: Vec<Contender>,
    tasks: usize,
    duration: Duration,
) -> Result<Run, String> {
    let name = format!("bench:c:{:x}", rand::random::<u64>());
    let last: LastRelease = Arc::new(Mutex::new(None));
    let until = Instant::now() + duration;
    let mut handles = Vec::new();
    for contender in contenders.iter().flat_map(|c| std::iter::repeat_n(c, tasks)) {
        let (contender, name, last) = (contender.clone(), name.clone(), last.clone());
        handles.push(tokio::spawn(async move {
            let (mut handoffs, mut waits, mut holds) = (Vec::new(), Vec::new(), Vec::new());
            while Instant::now() < until {
                let asked = Instant::now();
                let held = contender.take(&name).await?;
                let got = Instant::now();
                waits.push(got - asked);
                if let Some(released) = last.lock().unwrap_or_else(|e| e.into_inner()).take() {
                    handoffs.push(got.saturating_duration_since(released));
                }
                tokio::time::sleep(HOLD).await;
                let now = Instant::now();
                holds.push(now - got);
                *last.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
                contender.give_back(&name, held).await?;
            }
            Ok::<_, String>((handoffs, waits, holds))
        }));
    }
    let started = Instant::now();
    let (mut handoffs, mut waits, mut holds) = (Samples::default(), Samples::default(), Vec::new());
    for handle in handles {
        let (h, w, held) = handle.await.map_err(err)??;
        handoffs.extend(h);
        waits.extend(w);
        holds.extend(held);
    }
    let acquisitions_per_s = waits.len() as f64 / started.elapsed().as_secs_f64();
    let hold =
        holds.iter().sum::<Duration>() / u32::try_from(holds.len().max(1)).unwrap_or(u32::MAX);
    Ok(Run {
        acquisitions: waits.len(),
        acquisitions_per_s,
        handoffs: handoffs.finish(),
        waits: waits.finish(),
        hold,
    })
}

/// One backend per manager: `managers` connections of lock-redis or lock-fred, with release
/// notification or polling.
async fn connect(
    name: &str,
    url: &str,
    notify: bool,
    managers: usize,
) -> Result<Vec<Arc<DynLockBackend>>, String> {
    let mut backends: Vec<Arc<DynLockBackend>> = Vec::new();
    for _ in 0..managers {
        backends.push(match (name, notify) {
            ("lock-redis", true) => Arc::new(RedisBackend::connect(url).await.map_err(err)?),
            ("lock-redis", false) => {
                let client = lock_redis::redis::Client::open(url).map_err(err)?;
                Arc::new(RedisBackend::from_connection_manager(
                    client.get_connection_manager().await.map_err(err)?,
                ))
            }
            (_, true) => Arc::new(FredBackend::connect(url).await.map_err(err)?),
            (_, false) => Arc::new(Polling(FredBackend::connect(url).await.map_err(err)?)),
        });
    }
    Ok(backends)
}

pub(crate) async fn run(
    url: &str,
    port: u16,
    duration: Duration,
) -> Result<Vec<Contended>, String> {
    // (notify, fair, managers, tasks per manager)
    let mut runs: Vec<(bool, bool, usize, usize)> = Vec::new();
    for fair in [false, true] {
        runs.extend(SPREADS.iter().map(|&(managers, tasks)| (true, fair, managers, tasks)));
    }
    runs.push((false, false, 1, TASKS));
    let mut rows = Vec::new();
    for name in ["lock-redis", "lock-fred"] {
        for &(notify, fair, managers, tasks) in &runs {
            let how = match (notify, fair) {
                (_, true) => "fair",
                (true, false) => "notification",
                (false, false) => "polling",
            };
            eprintln!("contended: {name}, {how}, {managers} managers × {tasks} tasks...");
            let contenders = connect(name, url, notify, managers)
                .await?
                .into_iter()
                .map(|b| Contender::Manager(LockManager::from_shared(b), fair))
                .collect();
            let mode = if fair { "fair" } else { "manager" };
            rows.push(row(port, (name, notify, mode), contenders, tasks, duration).await?);
        }
    }
    eprintln!("contended: the raw redis crate, SET NX polled back to back, {TASKS} tasks...");
    let super::cyclers::Cycler::RawRedis(manager, script) =
        super::cyclers::Cycler::raw_redis(url).await?
    else {
        return Err("the raw client is not a RawRedis cycler".into());
    };
    let poller = vec![Contender::RawPoller(manager, script)];
    rows.push(row(port, ("redis (raw)", false, "set-nx"), poller, TASKS, duration).await?);
    Ok(rows)
}

/// Measures `tasks` tasks on each of `contenders` and counts the server's commands meanwhile.
async fn row(
    port: u16,
    (backend, notify, mode): (&'static str, bool, &'static str),
    contenders: Vec<Contender>,
    tasks: usize,
    duration: Duration,
) -> Result<Contended, String> {
    let processes = contenders.len();
    let mut counter = super::server::Counter::connect(port);
    counter.start();
    let run = measure(contenders, tasks, duration).await?;
    let executed = counter.executed();
    let total_tasks = processes * tasks;
    let (hold_measured_us, handoff_p50_us) =
        (run.hold.as_micros() as u64, run.handoffs.percentile_us(50.0));
    Ok(Contended {
        backend,
        notify,
        mode,
        processes,
        acquisitions_per_s: run.acquisitions_per_s,
        handoff_p50_us,
        handoff_p99_us: run.handoffs.percentile_us(99.0),
        wait_p99_us: run.waits.percentile_us(99.0),
        hold_us: HOLD.as_micros() as u64,
        tasks: total_tasks,
        hold_measured_us,
        // Twice the round-robin bound, with the hold as measured.
        fair_bound_us: 2 * total_tasks as u64 * (hold_measured_us + handoff_p50_us),
        server_commands_per_acquisition: executed as f64 / run.acquisitions.max(1) as f64,
    })
}

/// A fred backend with release notification hidden, so waiters poll with the default backoff.
#[derive(Debug)]
struct Polling(FredBackend);

lock_core::forward_lock_backend!(impl for Polling => |this| &this.0, except {
    fn info(&self) -> lock_core::backend::BackendInfo {
        let mut info = self.0.info();
        info.capabilities = info.capabilities.with_release_notify(false);
        info
    }

});
