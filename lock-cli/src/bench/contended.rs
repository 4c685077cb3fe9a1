//! Contended: 8 tasks on one key, each holding it 1 ms; handoff time from a release to the next
//! holder's acquire, with release notification and with plain polling.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lock_core::{DynLockBackend, LockManager};
use lock_fred::FredBackend;
use lock_redis::RedisBackend;

use super::report::Contended;
use crate::stats::Samples;

const TASKS: usize = 8;
const HOLD: Duration = Duration::from_millis(1);

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// When the last holder called release.
type LastRelease = Arc<Mutex<Option<Instant>>>;

/// What one run of the contended workload saw.
struct Run {
    acquisitions_per_s: f64,
    handoffs: Samples,
    waits: Samples,
    /// The mean time a holder really held the lock (a 1 ms sleep lasts longer).
    hold: Duration,
}

async fn measure(backend: Arc<DynLockBackend>, duration: Duration) -> Result<Run, String> {
    let locks = LockManager::from_shared(backend);
    let name = format!("bench:c:{:x}", rand::random::<u64>());
    let last: LastRelease = Arc::new(Mutex::new(None));
    let until = Instant::now() + duration;
    let mut handles = Vec::new();
    for _ in 0..TASKS {
        let (locks, name, last) = (locks.clone(), name.clone(), last.clone());
        handles.push(tokio::spawn(async move {
            let (mut handoffs, mut waits, mut holds) = (Vec::new(), Vec::new(), Vec::new());
            while Instant::now() < until {
                let asked = Instant::now();
                let guard = locks.lock(&name).acquire().await.map_err(err)?;
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
    Ok(Run { acquisitions_per_s, handoffs: handoffs.finish(), waits: waits.finish(), hold })
}

pub(crate) async fn run(url: &str, duration: Duration) -> Result<Vec<Contended>, String> {
    let mut rows = Vec::new();
    for notify in [true, false] {
        let client = lock_redis::redis::Client::open(url).map_err(err)?;
        let redis = if notify {
            RedisBackend::connect(url).await.map_err(err)?
        } else {
            RedisBackend::from_connection_manager(
                client.get_connection_manager().await.map_err(err)?,
            )
        };
        let fred = FredBackend::connect(url).await.map_err(err)?;
        let fred: Arc<DynLockBackend> =
            if notify { Arc::new(fred) } else { Arc::new(Polling(fred)) };
        for (name, backend) in
            [("lock-redis", Arc::new(redis) as Arc<DynLockBackend>), ("lock-fred", fred)]
        {
            eprintln!("contended: {name}, notification {}...", if notify { "on" } else { "off" });
            let run = measure(backend, duration).await?;
            let (hold_measured_us, handoff_p50_us) =
                (run.hold.as_micros() as u64, run.handoffs.percentile_us(50.0));
            rows.push(Contended {
                backend: name,
                notify,
                acquisitions_per_s: run.acquisitions_per_s,
                handoff_p50_us,
                handoff_p99_us: run.handoffs.percentile_us(99.0),
                wait_p99_us: run.waits.percentile_us(99.0),
                hold_us: HOLD.as_micros() as u64,
                tasks: TASKS,
                hold_measured_us,
                // Twice the round-robin bound, with the hold as measured.
                fair_bound_us: 2 * TASKS as u64 * (hold_measured_us + handoff_p50_us),
            });
        }
    }
    Ok(rows)
}

/// A fred backend with release notification hidden, so waiters poll with the default backoff.
#[derive(Debug)]
struct Polling(FredBackend);

#[lock_core::async_trait]
impl lock_core::LockBackend for Polling {
    fn info(&self) -> lock_core::BackendInfo {
        let mut info = self.0.info();
        info.capabilities = info.capabilities.with_release_notify(false);
        info
    }
    async fn try_acquire(
        &self,
        key: &lock_core::LockKey,
        token: &lock_core::LockToken,
        ttl: Duration,
    ) -> Result<lock_core::AcquireOutcome, lock_core::BackendError> {
        self.0.try_acquire(key, token, ttl).await
    }
    async fn release(
        &self,
        key: &lock_core::LockKey,
        token: &lock_core::LockToken,
    ) -> Result<lock_core::ReleaseOutcome, lock_core::BackendError> {
        self.0.release(key, token).await
    }
    async fn extend(
        &self,
        key: &lock_core::LockKey,
        token: &lock_core::LockToken,
        ttl: Duration,
    ) -> Result<lock_core::ExtendOutcome, lock_core::BackendError> {
        self.0.extend(key, token, ttl).await
    }
    async fn inspect(
        &self,
        key: &lock_core::LockKey,
    ) -> Result<Option<lock_core::LockInfo>, lock_core::BackendError> {
        self.0.inspect(key).await
    }
}
