//! Uncontended: every task locks and releases its own keys in a loop.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use lock_testkit::proxy::FaultProxy;

use super::cyclers::Cycler;
use super::report::Uncontended;
use crate::stats::Samples;

/// Task counts measured.
const TASKS: [usize; 3] = [1, 16, 64];
/// Cycles run through the counting proxy.
const COUNTED: u64 = 500;

struct Measured {
    cycles_per_s: f64,
    samples: Samples,
}

/// Runs `tasks` tasks of cycles for `duration` (after a short warm-up).
async fn measure(cycler: &Cycler, tasks: usize, duration: Duration) -> Result<Measured, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let counting = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::new();
    for task in 0..tasks {
        let (cycler, stop, counting) = (cycler.clone(), stop.clone(), counting.clone());
        handles.push(tokio::spawn(async move {
            let keys: Vec<String> = (0..16).map(|i| format!("bench:u:{task}:{i}")).collect();
            let mut latencies = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                cycler.cycle(&keys[i % keys.len()]).await?;
                if counting.load(Ordering::Relaxed) {
                    latencies.push(started.elapsed());
                }
                i += 1;
            }
            Ok::<_, String>(latencies)
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    counting.store(true, Ordering::SeqCst);
    let started = Instant::now();
    tokio::time::sleep(duration).await;
    counting.store(false, Ordering::SeqCst);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let mut samples = Samples::default();
    for handle in handles {
        samples.extend(handle.await.map_err(|e| e.to_string())??);
    }
    let cycles_per_s = samples.len() as f64 / elapsed.as_secs_f64();
    Ok(Measured { cycles_per_s, samples: samples.finish() })
}

/// Commands the client sends per cycle, counted by a pass-through proxy.
async fn commands_per_cycle(
    make: &(dyn Fn(String) -> CyclerFuture + Sync),
    port: u16,
) -> Result<f64, String> {
    let upstream = format!("127.0.0.1:{port}").parse().map_err(|_| "bad address".to_owned())?;
    let proxy = FaultProxy::start(upstream).await.map_err(|e| e.to_string())?;
    let cycler = make(proxy.url()).await?;
    cycler.cycle("bench:count:warm").await?;
    let before = proxy.commands_seen();
    for i in 0..COUNTED {
        cycler.cycle(&format!("bench:count:{}", i % 8)).await?;
    }
    Ok((proxy.commands_seen() - before) as f64 / COUNTED as f64)
}

type CyclerFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Cycler, String>> + Send>>;
/// Connects a cycler to a URL.
type MakeCycler = fn(String) -> CyclerFuture;

pub(crate) async fn run(
    url: &str,
    port: u16,
    duration: Duration,
) -> Result<Vec<Uncontended>, String> {
    let pairs: [(&str, MakeCycler, MakeCycler); 2] = [
        (
            "lock-redis",
            |u| Box::pin(async move { Cycler::lock_redis(&u).await }),
            |u| Box::pin(async move { Cycler::raw_redis(&u).await }),
        ),
        (
            "lock-fred",
            |u| Box::pin(async move { Cycler::lock_fred(&u).await }),
            |u| Box::pin(async move { Cycler::raw_fred(&u).await }),
        ),
    ];
    let mut rows = Vec::new();
    for (name, backend, ceiling) in pairs {
        let commands = commands_per_cycle(&backend, port).await?;
        let ceiling_commands = commands_per_cycle(&ceiling, port).await?;
        let (lock, raw) = (backend(url.to_owned()).await?, ceiling(url.to_owned()).await?);
        for tasks in TASKS {
            eprintln!("uncontended: {name} vs raw client, {tasks} tasks...");
            let ours = measure(&lock, tasks, duration).await?;
            let theirs = measure(&raw, tasks, duration).await?;
            rows.push(Uncontended {
                backend: name,
                tasks,
                cycles_per_s: ours.cycles_per_s,
                ceiling_cycles_per_s: theirs.cycles_per_s,
                ratio: ours.cycles_per_s / theirs.cycles_per_s,
                p50_us: ours.samples.percentile_us(50.0),
                p99_us: ours.samples.percentile_us(99.0),
                ceiling_p50_us: theirs.samples.percentile_us(50.0),
                ceiling_p99_us: theirs.samples.percentile_us(99.0),
                commands_per_cycle: commands,
                ceiling_commands_per_cycle: ceiling_commands,
            });
        }
    }
    Ok(rows)
}
