//! The lock family: an uncontended permit, read and write cycle through the lock API, each
//! against the raw client sending the same two script calls by hand (no raw client has a
//! semaphore or reader-writer lock of its own to compare with); and a reader-writer lock
//! contended by a writer queue (4 writers, 12 readers), where a writer's handoff is the time from
//! one writer's release to the next writer's grant.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lock_core::{LockGuard, LockKey, LockManager, LockToken, RwMode};
use lock_redis::{RedisBackend, redis};
use lock_redis_protocol::{Publish, calls};
use lock_testkit::proxy::FaultProxy;

use super::cyclers::{TTL, send_redis as send};
use super::report::{FamilyContended, FamilyUncontended};
use crate::stats::Samples;

/// Task counts measured.
const TASKS: [usize; 2] = [1, 16];
/// Cycles run through the counting proxy.
const COUNTED: u64 = 300;
/// The contended workload.
const WRITERS: usize = 4;
const READERS: usize = 12;
const HOLD: Duration = Duration::from_micros(500);

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Which member of the family a cycle takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Permit,
    Read,
    Write,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Permit => "permit",
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

#[derive(Clone)]
enum Cycler {
    /// lock-redis through the lock API.
    Api(LockManager, Kind),
    /// The raw `redis` crate sending the same script calls by hand.
    Hand(redis::aio::ConnectionManager, Kind),
}

impl Cycler {
    async fn api(url: &str, kind: Kind) -> Result<Self, String> {
        Ok(Self::Api(LockManager::new(RedisBackend::connect(url).await.map_err(err)?), kind))
    }

    async fn hand(url: &str, kind: Kind) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(err)?;
        let config = lock_redis::manager_config();
        let mut conn = client.get_connection_manager_with_config(config).await.map_err(err)?;
        for script in lock_redis_protocol::scripts::ALL {
            let _: String = redis::cmd("SCRIPT")
                .arg("LOAD")
                .arg(script.source())
                .query_async(&mut conn)
                .await
                .map_err(err)?;
        }
        Ok(Self::Hand(conn, kind))
    }

    async fn cycle(&self, name: &str) -> Result<(), String> {
        match self {
            Self::Api(locks, kind) => {
                let guard: Option<LockGuard> = match kind {
                    Kind::Permit => {
                        locks.semaphore(name, 1_000).map_err(err)?.try_acquire(TTL).await
                    }
                    Kind::Read => {
                        locks.rw_lock(name).map_err(err)?.read().ttl(TTL).try_acquire().await
                    }
                    Kind::Write => {
                        locks.rw_lock(name).map_err(err)?.write().ttl(TTL).try_acquire().await
                    }
                }
                .map_err(err)?;
                guard.ok_or("refused")?.release().await.map_err(err)?;
            }
            Self::Hand(conn, kind) => {
                let mut conn = conn.clone();
                let key = LockKey::with_default_prefix(name).map_err(err)?;
                let token = LockToken::generate().map_err(err)?;
                let (acquire, release) = match kind {
                    Kind::Permit => (
                        calls::permit_acquire(&key, &token, 1_000, TTL, true),
                        calls::permit_release(&key, &token, Publish::Classic),
                    ),
                    Kind::Read | Kind::Write => {
                        let mode = if *kind == Kind::Read { RwMode::Read } else { RwMode::Write };
                        (
                            calls::rw_acquire(&key, &token, mode, TTL, true, Publish::Classic),
                            calls::rw_release(&key, &token, Publish::Classic),
                        )
                    }
                };
                if send(&mut conn, acquire).await? <= 0 {
                    return Err("refused".into());
                }
                send(&mut conn, release).await?;
            }
        }
        Ok(())
    }
}

/// Cycles per second of `tasks` tasks over `duration`, each on its own names.
async fn rate(cycler: &Cycler, tasks: usize, duration: Duration) -> Result<(f64, Samples), String> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::new();
    for task in 0..tasks {
        let (cycler, stop) = (cycler.clone(), stop.clone());
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                cycler.cycle(&format!("bench:f:{task}:{}", i % 16)).await?;
                latencies.push(started.elapsed());
                i += 1;
            }
            Ok::<_, String>(latencies)
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::SeqCst);
    let elapsed = started.elapsed();
    let mut samples = Samples::default();
    let mut cycles = 0;
    for handle in handles {
        let latencies = handle.await.map_err(err)??;
        cycles += latencies.len();
        samples.extend(latencies);
    }
    Ok((cycles as f64 / elapsed.as_secs_f64(), samples.finish()))
}

/// Commands the client sends per cycle, counted by a pass-through proxy.
async fn commands(port: u16, kind: Kind) -> Result<f64, String> {
    let upstream = format!("127.0.0.1:{port}").parse().map_err(|_| "bad address".to_owned())?;
    let proxy = FaultProxy::start(upstream).await.map_err(err)?;
    let cycler = Cycler::api(&proxy.url(), kind).await?;
    cycler.cycle("bench:f:count:warm").await?;
    let before = proxy.commands_seen();
    for i in 0..COUNTED {
        cycler.cycle(&format!("bench:f:count:{}", i % 8)).await?;
    }
    Ok((proxy.commands_seen() - before) as f64 / COUNTED as f64)
}

/// The uncontended rows: each kind and task count, the lock API then the calls by hand, twice
/// in turn.
pub(crate) async fn uncontended(
    url: &str,
    port: u16,
    duration: Duration,
) -> Result<Vec<FamilyUncontended>, String> {
    let mut rows = Vec::new();
    for kind in [Kind::Permit, Kind::Read, Kind::Write] {
        let per_cycle = commands(port, kind).await?;
        let (api, hand) = (Cycler::api(url, kind).await?, Cycler::hand(url, kind).await?);
        for tasks in TASKS {
            eprintln!("family: {} cycle, {tasks} tasks...", kind.name());
            let half = duration / 4;
            let (mut ours, mut theirs) = (0.0, 0.0);
            let mut latencies = Samples::default();
            for _ in 0..2 {
                let (r, s) = rate(&api, tasks, half).await?;
                ours += r / 2.0;
                latencies = s;
                theirs += rate(&hand, tasks, half).await?.0 / 2.0;
            }
            rows.push(FamilyUncontended {
                kind: kind.name(),
                backend: "lock-redis",
                tasks,
                cycles_per_s: ours,
                protocol_cycles_per_s: theirs,
                protocol_ratio: ours / theirs,
                p50_us: latencies.percentile_us(50.0),
                p99_us: latencies.percentile_us(99.0),
                commands_per_cycle: per_cycle,
            });
        }
    }
    Ok(rows)
}

/// 4 writers and 12 readers on one reader-writer lock for `duration`.
pub(crate) async fn contended(url: &str, duration: Duration) -> Result<FamilyContended, String> {
    let locks = LockManager::new(RedisBackend::connect(url).await.map_err(err)?);
    let lock = locks.rw_lock(format!("bench:rw:{:x}", rand::random::<u64>())).map_err(err)?;
    let last_write: Arc<Mutex<Option<Instant>>> = Arc::default();
    let until = Instant::now() + duration;
    let mut handles = Vec::new();
    for task in 0..WRITERS + READERS {
        let (lock, last_write) = (lock.clone(), last_write.clone());
        let writes = task < WRITERS;
        handles.push(tokio::spawn(async move {
            let (mut handoffs, mut waits, mut count) = (Vec::new(), Vec::new(), 0u64);
            while Instant::now() < until {
                let asked = Instant::now();
                let request = if writes { lock.write() } else { lock.read() };
                let guard = request.ttl(TTL).acquire().await.map_err(err)?;
                let got = Instant::now();
                count += 1;
                if writes {
                    waits.push(got - asked);
                    if let Some(released) =
                        last_write.lock().unwrap_or_else(|e| e.into_inner()).take()
                    {
                        handoffs.push(got.saturating_duration_since(released));
                    }
                }
                tokio::time::sleep(HOLD).await;
                if writes {
                    *last_write.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
                }
                guard.release().await.map_err(err)?;
            }
            Ok::<_, String>((writes, count, handoffs, waits))
        }));
    }
    let started = Instant::now();
    let (mut reads, mut writes) = (0u64, 0u64);
    let (mut handoffs, mut waits) = (Samples::default(), Samples::default());
    for handle in handles {
        let (writer, count, h, w) = handle.await.map_err(err)??;
        if writer {
            writes += count;
        } else {
            reads += count;
        }
        handoffs.extend(h);
        waits.extend(w);
    }
    let secs = started.elapsed().as_secs_f64();
    let (handoffs, waits) = (handoffs.finish(), waits.finish());
    Ok(FamilyContended {
        writers: WRITERS,
        readers: READERS,
        writes_per_s: writes as f64 / secs,
        reads_per_s: reads as f64 / secs,
        write_handoff_p50_us: handoffs.percentile_us(50.0),
        write_handoff_p99_us: handoffs.percentile_us(99.0),
        write_wait_p99_us: waits.percentile_us(99.0),
    })
}
