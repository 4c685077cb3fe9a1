//! Contended: tasks on one key, each holding it 1 ms; handoff time from a release to the next
//! holder's acquire, with release notification and with plain polling, and what each
//! acquisition costs the server. With notification it runs with P independent managers (each
//! on its own connections, as P processes would be): 1 manager of 8 tasks, then 8 and 64
//! managers of one task each.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lock_core::{DynLockBackend, LockManager};
use lock_fred::FredBackend;
use lock_redis::RedisBackend;

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

/// `tasks` tasks on each of `backends`' managers, all on one key, waiting in the store's line
/// when `fair`.
async fn measure(
    backends: Vec<Arc<DynLockBackend>>,
    tasks: usize,
    fair: bool,
    duration: Duration,
) -> Result<Run, String> {
    let name = format!("bench:c:{:x}", rand::random::<u64>());
    let last: LastRelease = Arc::new(Mutex::new(None));
    let until = Instant::now() + duration;
    let mut handles = Vec::new();
    let managers: Vec<LockManager> = backends.into_iter().map(LockManager::from_shared).collect();
    for locks in managers.iter().flat_map(|m| std::iter::repeat_n(m, tasks)) {
        let (locks, name, last) = (locks.clone(), name.clone(), last.clone());
        handles.push(tokio::spawn(async move {
            let (mut handoffs, mut waits, mut holds) = (Vec::new(), Vec::new(), Vec::new());
            while Instant::now() < until {
                let asked = Instant::now();
                let request = locks.lock(&name);
                let request = if fair { request.fair() } else { request };
                let guard = request.acquire().await.map_err(err)?;
                let got = Instant::now();
                waits.push(got - asked);
                if let Some(released) = last.lock().unwrap_or_else(|e| e.into_inner()).take() {
                    handoffs.push(got.saturating_duration_since(released));
                }
                tokio::time::sleep(HOLD).await;
                let now = Instant::now();
                holds.push(now - got);
                *last.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
                guard.release().await.map_err(err)?;
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
    let mut rows = Vec::new();
    // (notify, fair, managers, tasks per manager)
    let mut runs: Vec<(bool, bool, usize, usize)> = Vec::new();
    for fair in [false, true] {
        runs.extend(SPREADS.iter().map(|&(managers, tasks)| (true, fair, managers, tasks)));
    }
    runs.push((false, false, 1, TASKS));
    for name in ["lock-redis", "lock-fred"] {
        for &(notify, fair, managers, tasks) in &runs {
            let backends = connect(name, url, notify, managers).await?;
            let how = match (notify, fair) {
                (_, true) => "fair",
                (true, false) => "notification",
                (false, false) => "polling",
            };
            eprintln!("contended: {name}, {how}, {managers} managers × {tasks} tasks...");
            let mut counter = super::server::Counter::connect(port);
            counter.start();
            let run = measure(backends, tasks, fair, duration).await?;
            let executed = counter.executed();
            let total_tasks = managers * tasks;
            let (hold_measured_us, handoff_p50_us) =
                (run.hold.as_micros() as u64, run.handoffs.percentile_us(50.0));
            rows.push(Contended {
                backend: name,
                notify,
                mode: if fair { "fair" } else { "manager" },
                processes: managers,
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
            });
        }
    }
    Ok(rows)
}

/// A fred backend with release notification hidden, so waiters poll with the default backoff.
#[derive(Debug)]
struct Polling(FredBackend);

#[lock_core::backend::async_trait]
impl lock_core::LockBackend for Polling {
    fn info(&self) -> lock_core::backend::BackendInfo {
        let mut info = self.0.info();
        info.capabilities = info.capabilities.with_release_notify(false);
        info
    }
    async fn try_acquire(
        &self,
        key: &lock_core::LockKey,
        token: &lock_core::LockToken,
        ttl: Duration,
    ) -> Result<lock_core::backend::AcquireOutcome, lock_core::BackendError> {
        self.0.try_acquire(key, token, ttl).await
    }
    async fn release(
        &self,
        key: &lock_core::LockKey,
        token: &lock_core::LockToken,
    ) -> Result<lock_core::backend::ReleaseOutcome, lock_core::BackendError> {
        self.0.release(key, token).await
    }
    async fn extend(
        &self,
        key: &lock_core::LockKey,
        token: &lock_core::LockToken,
        ttl: Duration,
    ) -> Result<lock_core::backend::ExtendOutcome, lock_core::BackendError> {
        self.0.extend(key, token, ttl).await
    }
    async fn inspect(
        &self,
        key: &lock_core::LockKey,
    ) -> Result<Option<lock_core::backend::LockInfo>, lock_core::BackendError> {
        self.0.inspect(key).await
    }
}
