//! A deterministic simulation of the manager: from one seed, several managers and their tasks
//! take, wait for, hold, extend, auto-refresh, cancel, drop, leak and adopt, and release locks
//! (with metadata or without), lock sets, fair locks, semaphore permits and reader-writer holds
//! (reads, upgradeable reads and their upgrades, writes) over one [`MemoryBackend`] (or plain locks
//! and sets over a [`Quorum`] of three, which offers no other kind), through a network that delays calls, loses
//! replies, fails calls for now and wakes watchers for nothing ([`Faults`]), on tokio's paused
//! clock. The history checker then asks what every user relies on:
//!
//! - exclusion: no two claims of one key overlap (C1), whether taken alone, fairly or as a member
//!   of a lock set; never more permits than the limit; a writer alone;
//! - fences follow real time (C2);
//! - every wait ends by its deadline (plus one call timeout for the attempt in flight, and one
//!   per member for a set taken in order);
//! - no orphans: once every task has ended and the longest ttl has passed, the store holds
//!   nothing (no hold of any kind, no metadata).
//!
//! Everything random comes from the seed: the world (quorum or not, call timeout, fault rates),
//! each task's operations (from its own generator) and each manager's network (its own
//! generator, drawn in the order the manager makes calls). On the current-thread runtime and the
//! paused clock, a seed replays the same history: [`run_seed`] with the seed of a failure, or
//! `SIM_SEED=<seed>` for the simulation test, runs it again.
//!
//! Chosen over `turmoil`: the manager talks to a backend trait, not to sockets, so the network
//! is simulated at that trait (where the contract says what a store may do), and tokio's own
//! paused clock is the simulated time every part already uses.
//!
//! ```
//! use lock_testkit::sim::{SimConfig, run_seed};
//!
//! let report = run_seed(7, &SimConfig::default()).expect("no violation");
//! assert_eq!(report.seed, 7);
//! assert_eq!(run_seed(7, &SimConfig::default()).expect("again").digest, report.digest);
//! ```

mod chaos;
mod task;

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lock_core::backend::LeaseKind;
use lock_core::{DynLockBackend, LockKey, LockManager, MemoryBackend, Quorum, RetryPolicy};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

pub use chaos::Faults;

use crate::history::{History, fence_inversions, over_limit, overlaps, writer_conflicts};

/// The size of one simulated world.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Lock managers (processes), each with its own network to the store.
    pub managers: usize,
    /// Tasks per manager.
    pub tasks: usize,
    /// Operations per task.
    pub ops: usize,
    /// Lock names the tasks share (few, so they contend).
    pub keys: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self { managers: 3, tasks: 3, ops: 8, keys: 3 }
    }
}

/// What one seed did, when no invariant broke.
#[derive(Clone, Debug)]
pub struct SimReport {
    /// The seed.
    pub seed: u64,
    /// Locks granted (a set counts once per member).
    pub acquisitions: usize,
    /// Operations that ended without the lock (contention, a timed-out wait, an error).
    pub refused: usize,
    /// Operations cancelled at an await.
    pub cancelled: usize,
    /// A digest of the whole history: the same seed gives the same digest.
    pub digest: u64,
}

/// An invariant a seed broke.
#[derive(Clone, Debug)]
pub struct SimFailure {
    /// The seed that breaks it.
    pub seed: u64,
    /// What broke.
    pub violation: String,
}

impl fmt::Display for SimFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seed {}: {} (replay: SIM_SEED={})", self.seed, self.violation, self.seed)
    }
}

impl std::error::Error for SimFailure {}

/// Runs the world of `seed` to its end on a current-thread runtime with the clock paused, and
/// checks the history.
pub fn run_seed(seed: u64, config: &SimConfig) -> Result<SimReport, SimFailure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .map_err(|e| SimFailure { seed, violation: format!("no runtime: {e}") })?;
    runtime.block_on(simulate(seed, config))
}

/// What the tasks of one world share.
pub(crate) struct World {
    /// Each name's claims as a lock (plain, fair, or a member of a set).
    pub(crate) histories: Vec<History>,
    /// Each name's semaphore's claims (`<name>:permits`, limit [`task::LIMIT`]).
    pub(crate) permits: Vec<History>,
    /// Each name's reader-writer lock's claims (`<name>:rw`; writers' clients + `WRITER`).
    pub(crate) rw: Vec<History>,
    /// Whether the store offers permits, reader-writer and fair locks (not a quorum).
    pub(crate) family: bool,
    pub(crate) keys: Vec<String>,
    pub(crate) call_timeout: Duration,
    /// Broken promises seen while the tasks ran (a wait past its deadline).
    pub(crate) violations: Mutex<Vec<String>>,
    pub(crate) counts: Mutex<(usize, usize)>,
    /// Per name, the guarded writes to its data key `sim`: every value sent with its fence,
    /// and the fences of those answered `Written`.
    pub(crate) writes: Mutex<Vec<Writes>>,
}

/// The values sent to one data key with their fences, and the fences written.
pub(crate) type Writes = (Vec<(String, u64)>, Vec<u64>);

async fn simulate(seed: u64, config: &SimConfig) -> Result<SimReport, SimFailure> {
    let fail = |violation: String| SimFailure { seed, violation };
    let mut rng = StdRng::seed_from_u64(seed);
    let quorum = rng.random_bool(0.3);
    let faults = if rng.random_bool(0.25) { Faults::none() } else { Faults::drawn(&mut rng) };
    let call_timeout = Duration::from_millis(rng.random_range(50..=500));
    // The store the managers use, and the stores the end-of-run check reads directly: the
    // quorum's nodes, each behind a faulty link of its own (its generator derived from the
    // seed, not drawn, so the draws below stay as they were; the quorum's node timeout bounds
    // when a call it cut may still land).
    let (store, stores): (Arc<DynLockBackend>, Vec<Arc<DynLockBackend>>) = if quorum {
        let stores: Vec<Arc<DynLockBackend>> =
            (0..3).map(|_| Arc::new(MemoryBackend::new()) as Arc<DynLockBackend>).collect();
        let node_timeout = lock_core::limits::DEFAULT_NODE_TIMEOUT;
        let nodes = stores.iter().zip(0u64..).map(|(node, n)| {
            let link = Arc::new(Mutex::new(StdRng::seed_from_u64(seed ^ (0x5eed_0000 + n))));
            chaos::Chaos::new(node.clone(), link, faults, node_timeout)
        });
        let quorum = Quorum::new(nodes).map_err(|e| fail(format!("quorum: {e}")))?;
        (Arc::new(quorum), stores)
    } else {
        let store: Arc<DynLockBackend> = Arc::new(MemoryBackend::new());
        (store.clone(), vec![store])
    };
    let keys: Vec<String> = (0..config.keys).map(|k| format!("sim:{k}")).collect();
    let world = Arc::new(World {
        histories: keys.iter().map(|_| History::new()).collect(),
        permits: keys.iter().map(|_| History::new()).collect(),
        rw: keys.iter().map(|_| History::new()).collect(),
        family: !quorum,
        keys,
        call_timeout,
        violations: Mutex::new(Vec::new()),
        counts: Mutex::new((0, 0)),
        writes: Mutex::new(vec![Writes::default(); config.keys]),
    });
    let mut tasks = Vec::new();
    for m in 0..config.managers {
        let network = Arc::new(Mutex::new(StdRng::seed_from_u64(rng.random())));
        // A quorum runs in the manager's process: the network is between it and its nodes
        // (above), not around it, and a call the manager cuts is dropped whole.
        let backend: Arc<DynLockBackend> = match quorum {
            true => store.clone(),
            false => Arc::new(chaos::Chaos::new(store.clone(), network, faults, call_timeout)),
        };
        // The retry policy's jitter draws from the thread's generator, which no seed decides:
        // the seed picks the spacing instead.
        let initial = Duration::from_millis(rng.random_range(1..=100));
        let retry =
            RetryPolicy::exponential(initial, initial * rng.random_range(1..=20)).jitter(0.0);
        let manager = LockManager::builder(backend)
            .call_timeout(call_timeout)
            .retry(retry)
            .build()
            .map_err(|e| fail(format!("manager: {e}")))?;
        for t in 0..config.tasks {
            let id = m * config.tasks + t;
            let task_rng = StdRng::seed_from_u64(rng.random());
            let run = task::run(id, manager.clone(), world.clone(), task_rng, config.ops);
            tasks.push(tokio::spawn(run));
        }
    }
    let mut cancelled = 0;
    for task in tasks {
        cancelled += task.await.map_err(|e| fail(format!("a task panicked: {e}")))?;
    }
    // Every hold has ended: after the longest ttl (and the calls still in flight), the store
    // must hold nothing.
    // A quorum may send a node call that waited behind an unanswered one up to ten node
    // timeouts late (`quorum::sequence`), which then lands within two more.
    let stragglers =
        if quorum { lock_core::limits::DEFAULT_NODE_TIMEOUT * 12 } else { Duration::ZERO };
    tokio::time::sleep(task::MAX_TTL + call_timeout * 4 + faults.max_delay * 2 + stragglers).await;
    for name in &world.keys {
        let named = [
            (name.clone(), LeaseKind::Lock),
            (format!("{name}:permits"), LeaseKind::Permit),
            (format!("{name}:rw"), LeaseKind::Rw),
        ];
        for (name, kind) in
            named.into_iter().filter(|(_, kind)| store.info().capabilities.offers(*kind))
        {
            let key = LockKey::with_default_prefix(&name).map_err(|e| fail(e.to_string()))?;
            for node in &stores {
                match node.inspect_lease(&key, kind).await {
                    Ok(holders) if holders.holders.is_empty() => {}
                    Ok(holders) => {
                        return Err(fail(format!("orphan: {name} still held: {holders:?}")));
                    }
                    Err(e) => return Err(fail(format!("inspect {name}: {e}"))),
                }
            }
        }
        if let Some(writes) = store.guarded_writes() {
            let key = LockKey::with_default_prefix(name).map_err(|e| fail(e.to_string()))?;
            let data = writes.read_data(&writes.data_key(&key, "sim")).await;
            let data = data.map_err(|e| fail(format!("read {name}'s data: {e}")))?;
            let index = world.keys.iter().position(|k| k == name).unwrap_or_default();
            let all = world.writes.lock().unwrap_or_else(|e| e.into_inner());
            check_writes(name, data, &all[index]).map_err(fail)?;
        }
        if store.info().capabilities.metadata {
            let key = LockKey::with_default_prefix(name).map_err(|e| fail(e.to_string()))?;
            match store.inspect_metadata(&key).await {
                Ok(None) => {}
                Ok(Some(left)) => return Err(fail(format!("orphan: {name}'s metadata: {left:?}"))),
                Err(e) => return Err(fail(format!("inspect {name}'s metadata: {e}"))),
            }
        }
    }
    if let Some(v) = world.violations.lock().unwrap_or_else(|e| e.into_inner()).first() {
        return Err(fail(v.clone()));
    }
    check(&world).map_err(fail)?;
    let (acquisitions, refused) = *world.counts.lock().unwrap_or_else(|e| e.into_inner());
    Ok(SimReport { seed, acquisitions, refused, cancelled, digest: digest(&world) })
}

/// G1 and G3 as a user sees them: the value left in a lock's data key is one that was sent,
/// with a fence no lower than any write answered `Written` (a stale holder never overwrote a
/// later one); nothing is left when nothing was sent.
fn check_writes(name: &str, data: Option<Vec<u8>>, (sent, written): &Writes) -> Result<(), String> {
    let Some(data) = data else {
        return match written.is_empty() {
            true => Ok(()),
            false => Err(format!("{name}'s data is gone after {} writes", written.len())),
        };
    };
    let data = String::from_utf8_lossy(&data).into_owned();
    let Some((_, fence)) = sent.iter().find(|(value, _)| *value == data) else {
        return Err(format!("{name}'s data {data:?} was never sent"));
    };
    match written.iter().max() {
        Some(highest) if highest > fence => Err(format!(
            "{name}'s data has fence {fence} though fence {highest} was written (a stale write won)"
        )),
        _ => Ok(()),
    }
}

/// C1 and C2 per key; the semaphores' limit; the reader-writer locks' writers alone.
fn check(world: &World) -> Result<(), String> {
    for (name, history) in world.keys.iter().zip(&world.permits) {
        if let Some((a, open)) = over_limit(&history.acquisitions(), task::LIMIT as usize).first() {
            return Err(format!(
                "{open} permits of {name}:permits at once (limit {}): {a:?}",
                task::LIMIT
            ));
        }
    }
    for (name, history) in world.keys.iter().zip(&world.rw) {
        let all = history.acquisitions();
        if let Some(o) = writer_conflicts(&all, |a| a.client >= task::WRITER).first() {
            return Err(format!(
                "a writer of {name}:rw not alone: {:?} and {:?}",
                o.first, o.second
            ));
        }
        if let Some((a, b)) = fence_inversions(&all).first() {
            return Err(format!("C2 on {name}:rw: fence {:?} then {:?}", a.fence, b.fence));
        }
    }
    for (name, history) in world.keys.iter().zip(&world.histories) {
        let all = history.acquisitions();
        if let Some(o) = overlaps(&all).first() {
            return Err(format!("C1 on {name}: {:?} overlaps {:?}", o.first, o.second));
        }
        if let Some((a, b)) = fence_inversions(&all).first() {
            return Err(format!("C2 on {name}: fence {:?} then {:?}", a.fence, b.fence));
        }
    }
    Ok(())
}

/// A hash of every claim, in order (fences by whether they are present: the in-process store
/// starts its fences at the wall clock, which no seed decides).
fn digest(world: &World) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    for history in world.histories.iter().chain(&world.permits).chain(&world.rw) {
        for a in history.acquisitions() {
            (a.client, a.invoked, a.ok, a.deadline, a.released, a.lost, a.fence.is_some())
                .hash(&mut hasher);
        }
    }
    hasher.finish()
}
