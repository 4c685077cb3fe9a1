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

/// Measurement rounds per task count, rotating which side goes first, so that drift in
/// the machine's load hits both sides alike.
const ROUNDS: u32 = 3;

#[derive(Default)]
pub(crate) struct Measured {
    cycles: usize,
    elapsed: Duration,
    pub(crate) samples: Samples,
}

impl Measured {
    pub(crate) fn cycles_per_s(&self) -> f64 {
        self.cycles as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs `tasks` tasks of cycles for `duration` (after a short warm-up), adding to `into`.
async fn measure(
    cycler: &Cycler,
    tasks: usize,
    duration: Duration,
    into: &mut Measured,
) -> Result<(), String> {
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
    tokio::time::sleep(Duration::from_millis(100)).await;
    counting.store(true, Ordering::SeqCst);
    let started = Instant::now();
    tokio::time::sleep(duration).await;
    counting.store(false, Ordering::SeqCst);
    into.elapsed += started.elapsed();
    stop.store(true, Ordering::SeqCst);
    for handle in handles {
        let latencies = handle.await.map_err(|e| e.to_string())??;
        into.cycles += latencies.len();
        into.samples.extend(latencies);
    }
    Ok(())
}

/// Cyclers side by side (the lock API, the raw client and the raw client running the
/// protocol; or the lock API and another library): `ROUNDS` rounds each, in a rotating order.
pub(crate) async fn compare<const N: usize>(
    sides: [&Cycler; N],
    tasks: usize,
    duration: Duration,
) -> Result<[Measured; N], String> {
    let mut measured: [Measured; N] = std::array::from_fn(|_| Measured::default());
    let round = duration / ROUNDS;
    for r in 0..ROUNDS as usize {
        for i in 0..N {
            let side = (r + i) % N;
            measure(sides[side], tasks, round, &mut measured[side]).await?;
        }
    }
    for m in &mut measured {
        m.samples = std::mem::take(&mut m.samples).finish();
    }
    Ok(measured)
}

/// What one cycle costs, counted over `COUNTED` cycles: commands the client sends (through a
/// pass-through proxy) and commands the server executes (`INFO commandstats`, scripts' inner
/// calls included; 0 when the server cannot be asked).
struct Cost {
    sent: f64,
    executed: f64,
}

async fn cost_per_cycle(make: &MakeCycler, fencing: bool, port: u16) -> Result<Cost, String> {
    let upstream = format!("127.0.0.1:{port}").parse().map_err(|_| "bad address".to_owned())?;
    let proxy = FaultProxy::start(upstream).await.map_err(|e| e.to_string())?;
    let cycler = make(proxy.url(), fencing).await?;
    cycler.cycle("bench:count:warm").await?;
    let mut counter = super::server::Counter::connect(port);
    let sent_before = proxy.commands_seen();
    counter.start();
    for i in 0..COUNTED {
        cycler.cycle(&format!("bench:count:{}", i % 8)).await?;
    }
    let executed = counter.executed();
    let sent = proxy.commands_seen() - sent_before;
    Ok(Cost { sent: sent as f64 / COUNTED as f64, executed: executed as f64 / COUNTED as f64 })
}

type CyclerFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Cycler, String>> + Send>>;
/// Connects a cycler to a URL, with fencing on or off (the raw client ignores the flag).
type MakeCycler = fn(String, bool) -> CyclerFuture;

pub(crate) async fn run(
    url: &str,
    port: u16,
    duration: Duration,
) -> Result<Vec<Uncontended>, String> {
    let sides: [(&str, [MakeCycler; 3]); 2] = [
        (
            "lock-redis",
            [
                |u, f| Box::pin(async move { Cycler::lock_redis(&u, f).await }),
                |u, _| Box::pin(async move { Cycler::raw_redis(&u).await }),
                |u, f| Box::pin(async move { Cycler::protocol_redis(&u, f).await }),
            ],
        ),
        (
            "lock-fred",
            [
                |u, f| Box::pin(async move { Cycler::lock_fred(&u, f).await }),
                |u, _| Box::pin(async move { Cycler::raw_fred(&u).await }),
                |u, f| Box::pin(async move { Cycler::protocol_fred(&u, f).await }),
            ],
        ),
    ];
    let mut rows = Vec::new();
    for (name, [backend, ceiling, protocol]) in sides {
        let ceiling_cost = cost_per_cycle(&ceiling, false, port).await?;
        let raw = ceiling(url.to_owned(), false).await?;
        for fencing in [true, false] {
            let cost = cost_per_cycle(&backend, fencing, port).await?;
            let lock = backend(url.to_owned(), fencing).await?;
            let by_hand = protocol(url.to_owned(), fencing).await?;
            for tasks in TASKS {
                let fenced = if fencing { "fenced" } else { "fencing off" };
                eprintln!("uncontended: {name} ({fenced}) vs raw client, {tasks} tasks...");
                let [ours, theirs, hand] =
                    compare([&lock, &raw, &by_hand], tasks, duration).await?;
                rows.push(Uncontended {
                    backend: name,
                    tasks,
                    fencing,
                    cycles_per_s: ours.cycles_per_s(),
                    ceiling_cycles_per_s: theirs.cycles_per_s(),
                    ratio: ours.cycles_per_s() / theirs.cycles_per_s(),
                    p50_us: ours.samples.percentile_us(50.0),
                    p99_us: ours.samples.percentile_us(99.0),
                    ceiling_p50_us: theirs.samples.percentile_us(50.0),
                    ceiling_p99_us: theirs.samples.percentile_us(99.0),
                    commands_per_cycle: cost.sent,
                    ceiling_commands_per_cycle: ceiling_cost.sent,
                    server_commands_per_cycle: cost.executed,
                    ceiling_server_commands_per_cycle: ceiling_cost.executed,
                    protocol_cycles_per_s: hand.cycles_per_s(),
                    protocol_ratio: ours.cycles_per_s() / hand.cycles_per_s(),
                });
            }
        }
    }
    Ok(rows)
}
