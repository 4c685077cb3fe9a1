//! The battery's workload: clients take one lock in turn and run a critical section on a
//! fenced register and an unfenced counter, recording everything in a history.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use lock_core::{DynLockBackend, LockHandle, LockManager, RetryPolicy};
use tokio::time::Instant;

use crate::history::{
    FencedRegister, History, SpanId, fence_inversions, over_limit, overlaps, writer_conflicts,
};

use super::report::ScenarioReport;

/// What the clients take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Primitive {
    /// The lock `shared`, with the fenced register and the unfenced counter.
    Lock,
    /// A permit of the semaphore `shared` of this many.
    Semaphore(u32),
    /// The reader-writer lock `shared`: clients `0, 3, 6...` write, the others read.
    RwLock,
    /// The lock `shared` taken fairly (in the store's line), with the register and counter.
    FairLock,
}

impl Primitive {
    /// Whether client `client` writes (reader-writer locks).
    pub(crate) fn writes(client: usize) -> bool {
        client.is_multiple_of(3)
    }
}

/// How the clients behave.
#[derive(Clone, Debug)]
pub(crate) struct Workload {
    /// What they take.
    pub(crate) primitive: Primitive,
    pub(crate) clients: usize,
    pub(crate) rounds: usize,
    pub(crate) ttl: Duration,
    /// Each critical section holds the lock between [`Self::hold_min`] and this long (uniformly)
    /// between reading and writing the counter.
    pub(crate) hold: Duration,
    /// The shortest hold.
    pub(crate) hold_min: Duration,
    /// Every k-th client (k > 0) holds its lock with auto-refresh.
    pub(crate) refresh_every: usize,
    /// How long one acquire may wait.
    pub(crate) wait: Duration,
    /// The key prefix (unique per run).
    pub(crate) prefix: String,
}

impl Workload {
    pub(crate) fn new(clients: usize, rounds: usize, ttl: Duration) -> Self {
        Self {
            primitive: Primitive::Lock,
            clients,
            rounds,
            ttl,
            hold: Duration::from_millis(2),
            hold_min: Duration::ZERO,
            refresh_every: 0,
            wait: Duration::from_secs(30),
            prefix: format!("lock:battery:{:016x}:", rand::random::<u64>()),
        }
    }
}

/// What the clients did.
#[derive(Debug, Default)]
pub(crate) struct Run {
    pub(crate) history: History,
    pub(crate) register: FencedRegister,
    pub(crate) counter: AtomicU64,
    pub(crate) sections: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) losses: AtomicU64,
    pub(crate) stop: AtomicBool,
    /// What the clients took (the checks depend on it).
    pub(crate) primitive: std::sync::OnceLock<Primitive>,
}

impl Run {
    /// Fills the history-derived figures of `report`.
    pub(crate) fn fill(&self, report: &mut ScenarioReport) {
        let acquisitions = self.history.acquisitions();
        report.critical_sections = self.sections.load(Ordering::SeqCst);
        report.errors = self.errors.load(Ordering::SeqCst);
        // C1 for each primitive: no two holders; never more than the limit; no writer beside
        // anyone. The counter is updated under locks only.
        let primitive = self.primitive.get().copied().unwrap_or(Primitive::Lock);
        report.overlaps = match primitive {
            Primitive::Lock | Primitive::FairLock => overlaps(&acquisitions).len(),
            Primitive::Semaphore(limit) => over_limit(&acquisitions, limit as usize).len(),
            Primitive::RwLock => {
                writer_conflicts(&acquisitions, |a| Primitive::writes(a.client)).len()
            }
        } as u64;
        report.fence_inversions = fence_inversions(&acquisitions).len() as u64;
        if matches!(primitive, Primitive::Lock | Primitive::FairLock) {
            report.lost_updates =
                report.critical_sections.saturating_sub(self.counter.load(Ordering::SeqCst));
        }
        let register = self.register.stats();
        report.stale_rejected = register.rejected;
        report.stale_accepted = register.stale_accepted;
        report.current_rejected = register.current_rejected;
        report.losses_signalled = self.losses.load(Ordering::SeqCst);
    }

    /// Claims the fenced register for the grant recorded as `span` (its acquire invoked at
    /// `invoked`) with `fence`, as of the moment the grant came back.
    pub(crate) fn claim(&self, span: SpanId, invoked: Duration, fence: u64) {
        let granted = self.history.get(span).map_or(invoked, |a| a.ok);
        self.register.claim(fence, invoked, granted);
    }

    /// Client `client`'s grant of `guard` (its acquire invoked at `invoked`) over the earlier
    /// holder's guard `over` (span `over_span`), which must still be valid in its own eyes: the
    /// overlap a scenario outside the model forces. Records the grant, claims its fence as the
    /// register's current holder (a refusal of it is counted as a current holder rejected, which
    /// must stay 0), and makes its unfenced update. Returns its span and fence.
    pub(crate) fn granted_over(
        &self,
        client: usize,
        invoked: Duration,
        guard: &LockHandle,
        over_span: SpanId,
        over: &LockHandle,
    ) -> Result<(SpanId, u64), crate::Failure> {
        let span = self.history.acquired(client, invoked, guard);
        crate::check!(
            self.history.observe(over_span, over),
            "the earlier guard had expired before the later grant: the overlap was not forced"
        );
        let fence = guard.fencing_token().map_or(0, |f| f.get());
        self.claim(span, invoked, fence);
        let seen = self.counter.load(Ordering::SeqCst);
        self.counter.store(seen + 1, Ordering::SeqCst);
        self.sections.fetch_add(1, Ordering::SeqCst);
        Ok((span, fence))
    }

    /// Milliseconds from `after` (on the history's clock) to the first acquisition that
    /// completed after it.
    pub(crate) fn recovery_after(&self, after: Duration) -> Option<u64> {
        let first = self
            .history
            .acquisitions()
            .into_iter()
            .map(|a| a.ok)
            .filter(|ok| *ok >= after)
            .min()?;
        Some((first - after).as_millis() as u64)
    }
}

/// Runs the clients, one backend each, until each did its rounds (or `run.stop` is set).
pub(crate) async fn run_clients(
    workload: &Workload,
    backends: Vec<Arc<DynLockBackend>>,
    run: Arc<Run>,
) {
    let retry =
        RetryPolicy::exponential(Duration::from_millis(2), Duration::from_millis(50)).jitter(0.5);
    let _ = run.primitive.set(workload.primitive);
    let mut tasks = Vec::new();
    for (client, backend) in backends.into_iter().enumerate() {
        let manager = LockManager::builder_shared(backend)
            .prefix(workload.prefix.as_bytes())
            .retry(retry)
            .build();
        let Ok(locks) = manager else {
            run.errors.fetch_add(1, Ordering::SeqCst);
            continue;
        };
        let refresh = workload.refresh_every > 0 && client % workload.refresh_every == 0;
        tasks.push(tokio::spawn(client_loop(
            client,
            locks,
            workload.clone(),
            refresh,
            run.clone(),
        )));
    }
    for task in tasks {
        let _ = task.await;
    }
}

async fn client_loop(
    client: usize,
    locks: LockManager,
    workload: Workload,
    refresh: bool,
    run: Arc<Run>,
) {
    for _ in 0..workload.rounds {
        if run.stop.load(Ordering::SeqCst) {
            return;
        }
        let invoked = run.history.now();
        let request = match workload.primitive {
            Primitive::Lock => Ok(locks.lock("shared")),
            Primitive::FairLock => Ok(locks.lock("shared").fair()),
            Primitive::Semaphore(limit) => locks.semaphore("shared", limit).map(|s| s.permit()),
            Primitive::RwLock if Primitive::writes(client) => {
                locks.rw_lock("shared").map(|l| l.write())
            }
            Primitive::RwLock => locks.rw_lock("shared").map(|l| l.read()),
        };
        let Ok(request) = request else {
            run.errors.fetch_add(1, Ordering::SeqCst);
            return;
        };
        let request = request.ttl(workload.ttl).wait(workload.wait);
        let request = if refresh { request.auto_refresh() } else { request };
        // The fenced register and the counter stand for a resource one holder at a time owns.
        let exclusive = matches!(workload.primitive, Primitive::Lock | Primitive::FairLock);
        let guard = match request.acquire().await {
            Ok(guard) => guard,
            Err(_) => {
                run.errors.fetch_add(1, Ordering::SeqCst);
                // Pace retries a little when the store is failing.
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
        };
        let span = run.history.acquired(client, invoked, &guard);
        let fence = guard.fencing_token().map(|f| f.get()).filter(|_| exclusive);
        if let Some(fence) = fence {
            run.claim(span, invoked, fence);
        }
        let seen = run.counter.load(Ordering::SeqCst);
        let hold = workload.hold_min
            + workload.hold.saturating_sub(workload.hold_min).mul_f64(rand::random::<f64>());
        if hold_on(&guard, span, fence, hold, &workload, &run).await {
            if exclusive {
                run.counter.store(seen + 1, Ordering::SeqCst);
            }
            if let Some(fence) = fence {
                run.register.write(fence);
            }
            run.history.released(span);
            run.sections.fetch_add(1, Ordering::SeqCst);
        } else {
            // A correct client stops at once when told: no write after the loss.
            run.losses.fetch_add(1, Ordering::SeqCst);
            run.history.released(span);
        }
        if guard.release().await.is_err() {
            run.errors.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Holds the lock for `hold`, as a client working under it does: it looks at its guard every
/// eighth of a ttl (the claim in the history follows the deadline the guard reports), writes
/// its fence to the register each time the guard says it is valid, and stops at once when
/// `lost()` fires. Returns whether the guard was still valid at the end.
async fn hold_on(
    guard: &LockHandle,
    span: SpanId,
    fence: Option<u64>,
    hold: Duration,
    workload: &Workload,
    run: &Run,
) -> bool {
    let step = (workload.ttl / 8).max(Duration::from_millis(1));
    let until = Instant::now() + hold;
    loop {
        let nap = until.saturating_duration_since(Instant::now()).min(step);
        tokio::select! {
            () = tokio::time::sleep(nap) => {}
            _ = guard.lost() => {
                run.history.lost(span);
                return false;
            }
        }
        if !run.history.observe(span, guard) {
            return false;
        }
        if Instant::now() >= until {
            return true;
        }
        if let Some(fence) = fence {
            run.register.write(fence);
        }
    }
}
