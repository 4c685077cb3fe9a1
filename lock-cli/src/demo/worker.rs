//! One demo worker and the shared board it checks itself against.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use lock_core::LockManager;
use tokio::time::Instant;

/// Per-key occupancy and fencing order, shared by all workers.
#[derive(Debug)]
pub(crate) struct Board {
    inside: Vec<AtomicU32>,
    last_fence: Vec<Mutex<u64>>,
    pub(crate) acquisitions: AtomicU64,
    pub(crate) overlaps: AtomicU64,
    pub(crate) fencing_regressions: AtomicU64,
    pub(crate) max_fencing: AtomicU64,
}

impl Board {
    pub(crate) fn new(keys: usize) -> Self {
        Self {
            inside: (0..keys).map(|_| AtomicU32::new(0)).collect(),
            last_fence: (0..keys).map(|_| Mutex::new(0)).collect(),
            acquisitions: AtomicU64::new(0),
            overlaps: AtomicU64::new(0),
            fencing_regressions: AtomicU64::new(0),
            max_fencing: AtomicU64::new(0),
        }
    }

    pub(crate) fn keys(&self) -> usize {
        self.inside.len()
    }

    fn enter(&self, key: usize, fence: Option<u64>) {
        if self.inside[key].fetch_add(1, Ordering::SeqCst) != 0 {
            self.overlaps.fetch_add(1, Ordering::SeqCst);
        }
        if let Some(fence) = fence {
            let mut last = self.last_fence[key].lock().unwrap_or_else(|e| e.into_inner());
            if fence <= *last {
                self.fencing_regressions.fetch_add(1, Ordering::SeqCst);
            }
            *last = fence;
            self.max_fencing.fetch_max(fence, Ordering::SeqCst);
        }
        self.acquisitions.fetch_add(1, Ordering::Relaxed);
    }

    fn leave(&self, key: usize) {
        self.inside[key].fetch_sub(1, Ordering::SeqCst);
    }
}

/// What one worker saw.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) acquisitions: u64,
    pub(crate) contended: u64,
}

impl Tally {
    pub(crate) fn add(&mut self, other: &Tally) {
        self.acquisitions += other.acquisitions;
        self.contended += other.contended;
    }
}

/// The name of the demo's lock number `key`.
pub(crate) fn lock_name(key: usize) -> String {
    format!("demo:{key}")
}

/// Locks random keys until `until`; returns its tally and every wait.
pub(crate) async fn work(
    id: usize,
    locks: LockManager,
    board: std::sync::Arc<Board>,
    hold: Duration,
    until: Instant,
) -> Result<(Tally, Vec<Duration>), String> {
    let mut tally = Tally::default();
    let mut waits = Vec::new();
    let mut round = id;
    while Instant::now() < until {
        round = round.wrapping_mul(31).wrapping_add(7);
        let key = round % board.keys();
        let asked = Instant::now();
        let guard =
            locks.lock(lock_name(key)).acquire().await.map_err(|e| format!("worker {id}: {e}"))?;
        waits.push(asked.elapsed());
        tally.acquisitions += 1;
        if guard.attempts() > 1 {
            tally.contended += 1;
        }
        board.enter(key, guard.fencing_token().map(|f| f.get()));
        if hold.is_zero() {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(hold).await;
        }
        board.leave(key);
        guard.release().await.map_err(|e| format!("worker {id}: {e}"))?;
    }
    Ok((tally, waits))
}
