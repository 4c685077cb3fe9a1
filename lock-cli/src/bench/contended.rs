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

async fn measure(
    backend: Arc<DynLockBackend>,
    duration: Duration,
) -> Result<(f64, Samples, Samples), String> {
    let locks = LockManager::from_shared(backend);
    let name = format!("bench:c:{:x}", rand::random::<u64>());
    let last: LastRelease = Arc::new(Mutex::new(None));
    let until = Instant::now() + duration;
    let mut handles = Vec::new();
    for _ in 0..TASKS {
        let (locks, name, last) = (locks.clone(), name.clone(), last.clone());
        handles.push(tokio::spawn(async move {
            let (mut handoffs, mut waits) = (Vec::new(), Vec::new());
            while Instant::now() < until {
                let asked = Instant::now();
                let guard = locks.lock(&name).acquire().await.map_err(err)?;
                let got = Instant::now();
                waits.push(got - asked);
                if let Some(released) = last.lock().unwrap_or_else(|e| e.into_inner()).take() {
                    handoffs.push(got.saturating_duration_since(released));
                }
                tokio::time::sleep(HOLD).await;
                *last.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
                guard.release().await.map_err(err)?;
            }
            Ok::<_, String>((handoffs, waits))
        }));
    }
    let started = Instant::now();
    let (mut handoffs, mut waits) = (Samples::default(), Samples::default());
    for handle in handles {
        let (h, w) = handle.await.map_err(err)??;
        handoffs.extend(h);
        waits.extend(w);
    }
    let rate = waits.len() as f64 / started.elapsed().as_secs_f64();
    Ok((rate, handoffs.finish(), waits.finish()))
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
            let (rate, handoffs, waits) = measure(backend, duration).await?;
            rows.push(Contended {
                backend: name,
                notify,
                acquisitions_per_s: rate,
                handoff_p50_us: handoffs.percentile_us(50.0),
                handoff_p99_us: handoffs.percentile_us(99.0),
                wait_p99_us: waits.percentile_us(99.0),
                hold_us: HOLD.as_micros() as u64,
                tasks: TASKS,
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
