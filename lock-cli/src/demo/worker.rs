//! One demo worker and the shared board it checks itself against.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use lock_core::{LockGuard, LockManager, RwLock, Semaphore};
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
    /// Permits of the demo's semaphore: its limit, holders now, grants, and grants that made
    /// one holder too many.
    pub(crate) permits: u32,
    permit_holders: AtomicU32,
    pub(crate) permit_grants: AtomicU64,
    pub(crate) over_limit: AtomicU64,
    /// The demo's reader-writer lock: readers count 1 and a writer -1000 while inside; grants,
    /// and grants that let a writer in beside anyone (or a reader beside a writer).
    rw_inside: AtomicI64,
    pub(crate) reads: AtomicU64,
    pub(crate) writes: AtomicU64,
    pub(crate) rw_conflicts: AtomicU64,
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
            permits: PERMITS,
            permit_holders: AtomicU32::new(0),
            permit_grants: AtomicU64::new(0),
            over_limit: AtomicU64::new(0),
            rw_inside: AtomicI64::new(0),
            reads: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            rw_conflicts: AtomicU64::new(0),
        }
    }

    fn enter_permit(&self) {
        self.permit_grants.fetch_add(1, Ordering::Relaxed);
        if self.permit_holders.fetch_add(1, Ordering::SeqCst) >= self.permits {
            self.over_limit.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn leave_permit(&self) {
        self.permit_holders.fetch_sub(1, Ordering::SeqCst);
    }

    /// Enters the reader-writer lock; returns what to take back on leaving.
    fn enter_rw(&self, write: bool) -> i64 {
        let delta = if write { -1000 } else { 1 };
        let now = self.rw_inside.fetch_add(delta, Ordering::SeqCst) + delta;
        let alone = if write { now == -1000 } else { now > 0 };
        if !alone {
            self.rw_conflicts.fetch_add(1, Ordering::SeqCst);
        }
        let grants = if write { &self.writes } else { &self.reads };
        grants.fetch_add(1, Ordering::Relaxed);
        delta
    }

    fn leave_rw(&self, delta: i64) {
        self.rw_inside.fetch_sub(delta, Ordering::SeqCst);
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

/// Permits of the demo's semaphore.
pub(crate) const PERMITS: u32 = 3;

/// The names of the demo's semaphore and reader-writer lock.
pub(crate) const SEMAPHORE: &str = "demo-pool";
pub(crate) const RW_LOCK: &str = "demo-config";

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
    let fail = |e: lock_core::Error| format!("worker {id}: {e}");
    let pool = locks.semaphore(SEMAPHORE, PERMITS).map_err(fail)?;
    let config = locks.rw_lock(RW_LOCK).map_err(fail)?;
    let mut turn = id;
    while Instant::now() < until {
        turn += 1;
        // Every fourth round a permit, every fourth a read or write; the rest locks.
        match turn % 4 {
            1 => family_round(&board, &pool, &config, None, hold).await.map_err(fail)?,
            3 => family_round(&board, &pool, &config, Some(turn % 8 == 3), hold)
                .await
                .map_err(fail)?,
            _ => {}
        }
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

/// One round on the semaphore (`write` is `None`) or the reader-writer lock.
async fn family_round(
    board: &Board,
    pool: &Semaphore,
    config: &RwLock,
    write: Option<bool>,
    hold: Duration,
) -> Result<(), lock_core::Error> {
    let guard: LockGuard = match write {
        None => pool.permit().acquire().await?,
        Some(true) => config.write().acquire().await?,
        Some(false) => config.read().acquire().await?,
    };
    let delta = match write {
        None => {
            board.enter_permit();
            0
        }
        Some(write) => board.enter_rw(write),
    };
    if hold.is_zero() {
        tokio::task::yield_now().await;
    } else {
        tokio::time::sleep(hold).await;
    }
    match write {
        None => board.leave_permit(),
        Some(_) => board.leave_rw(delta),
    }
    guard.release().await?;
    Ok(())
}
