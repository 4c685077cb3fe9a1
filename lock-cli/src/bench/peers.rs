//! lock-redis beside another Rust lock library on the same server: rslock (Redlock over the
//! same `redis` crate, one server here), uncontended at 1, 16 and 64 tasks, with lock-redis's
//! fencing on and off. rslock issues no fences: a fenced cycle here pays for what it gives.

use std::time::Duration;

use super::cyclers::Cycler;
use super::report::Peer;
use super::uncontended::compare;

/// Task counts measured.
const TASKS: [usize; 3] = [1, 16, 64];

pub(crate) async fn run(url: &str, duration: Duration) -> Result<Vec<Peer>, String> {
    let theirs = Cycler::rslock(url);
    let mut rows = Vec::new();
    for fencing in [true, false] {
        let ours = Cycler::lock_redis(url, fencing).await?;
        for tasks in TASKS {
            eprintln!("peers: lock-redis (fencing {fencing}) vs rslock, {tasks} tasks...");
            let [mine, other] = compare([&ours, &theirs], tasks, duration).await?;
            rows.push(Peer {
                library: "rslock 0.10",
                fencing,
                tasks,
                cycles_per_s: mine.cycles_per_s(),
                peer_cycles_per_s: other.cycles_per_s(),
                ratio: mine.cycles_per_s() / other.cycles_per_s(),
                p50_us: mine.samples.percentile_us(50.0),
                p99_us: mine.samples.percentile_us(99.0),
                peer_p50_us: other.samples.percentile_us(50.0),
                peer_p99_us: other.samples.percentile_us(99.0),
            });
        }
    }
    Ok(rows)
}
