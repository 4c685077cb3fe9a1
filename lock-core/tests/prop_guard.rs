//! Random interleavings of guard operations on one key, on tokio's paused clock: every step
//! answers a value or a typed error, at most one guard is valid at a time (and a valid guard's
//! token is the one in the store), and once every guard is gone no lock outlives its ttl.

mod common;

use std::time::Duration;

use common::{Calls, Counting};
use lock_core::{
    Drift, Error, HolderId, LockBackend, LockGuard, LockKey, LockManager, backend::ReleaseOutcome,
    limits::MAX_TTL,
};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;

const MS: Duration = Duration::from_millis(1);

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    /// The first manager.
    A,
    /// A second manager on the same store: another process, as far as the lock knows.
    B,
}

#[derive(Clone, Debug)]
enum Op {
    /// `A.try_lock(ttl)`, or `A.lock().ttl(ttl).auto_refresh().try_acquire()`.
    Acquire {
        ttl: Duration,
        refresh: bool,
    },
    /// `B.try_lock(ttl)`.
    Contend {
        ttl: Duration,
    },
    Extend {
        pick: usize,
        ttl: Duration,
    },
    Release {
        pick: usize,
    },
    Drop {
        pick: usize,
    },
    Leak {
        pick: usize,
    },
    Advance(Duration),
}

/// Mostly valid ttls (3 ms is the shortest the default drift allows), sometimes invalid.
fn ttl() -> impl Strategy<Value = Duration> {
    prop_oneof![
        3 => (3_000u64..100_000).prop_map(Duration::from_micros),
        3 => (100u64..30_000).prop_map(Duration::from_millis),
        1 => select(vec![3 * MS, 4 * MS, Duration::from_secs(1), Duration::from_secs(30)]),
        1 => select(vec![Duration::ZERO, Duration::from_nanos(1), MS, 2 * MS, MAX_TTL + MS, Duration::MAX]),
    ]
}

fn advance() -> impl Strategy<Value = Duration> {
    prop_oneof![
        1 => select(vec![Duration::ZERO, MS]),
        2 => (0u64..20_000).prop_map(Duration::from_micros),
        2 => (0u64..2_000).prop_map(Duration::from_millis),
        1 => (0u64..40_000).prop_map(Duration::from_millis),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (ttl(), any::<bool>()).prop_map(|(ttl, refresh)| Op::Acquire { ttl, refresh }),
        2 => ttl().prop_map(|ttl| Op::Contend { ttl }),
        2 => (any::<usize>(), ttl()).prop_map(|(pick, ttl)| Op::Extend { pick, ttl }),
        1 => any::<usize>().prop_map(|pick| Op::Release { pick }),
        1 => any::<usize>().prop_map(|pick| Op::Drop { pick }),
        1 => any::<usize>().prop_map(|pick| Op::Leak { pick }),
        3 => advance().prop_map(Op::Advance),
    ]
}

fn ttl_ok(ttl: Duration) -> bool {
    Drift::default().validity(ttl).is_ok()
}

/// Whether auto-refresh accepts `ttl` (its docs): a validity window of at least 6 ms, so each
/// extension (a third of it apart) is at least 2 ms after the last.
fn refreshable(ttl: Duration) -> bool {
    Drift::default().validity(ttl).is_ok_and(|v| v >= Duration::from_millis(6))
}

/// A guard the test holds, and what it knows about it.
struct Held {
    guard: LockGuard,
    who: Who,
    /// Auto-refreshed, and never extended by hand since.
    refreshed_only: bool,
    /// Acquired with auto-refresh (so every ttl it is extended to must be refreshable).
    refreshed: bool,
}

struct World {
    key: LockKey,
    store: lock_core::MemoryBackend,
    held: Vec<Held>,
    /// The longest ttl any lock was given, to know when every lock must be gone.
    longest_ttl: Duration,
}

impl World {
    /// Who the store holds the key for right now.
    async fn holder(&self) -> Option<HolderId> {
        let info = self.store.inspect(&self.key).await.expect("inspect");
        info.map(|i| HolderId::of(&i.holder))
    }

    /// At most one valid guard, and a valid guard is the store's holder.
    async fn check_exclusion(&self, step: usize) -> Result<(), TestCaseError> {
        let valid: Vec<&Held> = self.held.iter().filter(|h| h.guard.is_valid()).collect();
        prop_assert!(
            valid.len() <= 1,
            "step {}: {} valid guards: {:?}",
            step,
            valid.len(),
            valid.iter().map(|h| (h.who, format!("{:?}", h.guard))).collect::<Vec<_>>()
        );
        if let Some(h) = valid.first() {
            let holder = self.holder().await;
            prop_assert_eq!(
                holder,
                Some(h.guard.holder()),
                "step {}: a valid guard of {:?} is not the store's holder",
                step,
                h.who
            );
        }
        Ok(())
    }

    fn take(&mut self, pick: usize) -> Option<Held> {
        if self.held.is_empty() {
            return None;
        }
        let i = pick % self.held.len();
        Some(self.held.swap_remove(i))
    }
}

async fn settle() {
    for _ in 0..4 {
        tokio::task::yield_now().await;
    }
}

async fn run_ops(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let backend = Counting::default();
    let calls = backend.calls.clone();
    let a = LockManager::new(backend.clone());
    let b = LockManager::new(backend.clone());
    let mut world = World {
        key: a.key("k").expect("key"),
        store: backend.inner.clone(),
        held: Vec::new(),
        longest_ttl: Duration::ZERO,
    };
    for (step, op) in ops.into_iter().enumerate() {
        match op {
            Op::Acquire { ttl, .. } | Op::Contend { ttl } => {
                let (who, refresh) = match op {
                    Op::Acquire { refresh, .. } => (Who::A, refresh),
                    _ => (Who::B, false),
                };
                let free = world.holder().await.is_none();
                let got = match (who, refresh) {
                    (Who::A, true) => a.lock("k").ttl(ttl).auto_refresh().try_acquire().await,
                    (Who::A, false) => a.try_lock("k", ttl).await,
                    (Who::B, _) => b.try_lock("k", ttl).await,
                };
                let accepted = ttl_ok(ttl) && (!refresh || refreshable(ttl));
                match got {
                    Ok(Some(guard)) => {
                        prop_assert!(accepted, "step {}: locked with ttl {:?}", step, ttl);
                        prop_assert!(free, "step {}: {:?} locked a held key", step, who);
                        prop_assert!(guard.is_valid());
                        world.longest_ttl = world.longest_ttl.max(ttl);
                        world.held.push(Held {
                            guard,
                            who,
                            refreshed_only: refresh,
                            refreshed: refresh,
                        });
                    }
                    Ok(None) => {
                        prop_assert!(accepted);
                        prop_assert!(!free, "step {}: {:?} got None on a free key", step, who);
                    }
                    Err(Error::InvalidArgument { what: "ttl", .. }) => {
                        prop_assert!(!accepted, "step {}: ttl {:?} rejected", step, ttl);
                    }
                    Err(e) => prop_assert!(false, "step {}: acquire failed: {}", step, e),
                }
            }
            Op::Extend { pick, ttl } => {
                if world.held.is_empty() {
                    continue;
                }
                let i = pick % world.held.len();
                let h = &mut world.held[i];
                let was_valid = h.guard.is_valid();
                let before = h.guard.remaining();
                let extends = Calls::get(&calls.extend);
                let accepted = ttl_ok(ttl) && (!h.refreshed || refreshable(ttl));
                match h.guard.extend(ttl).await {
                    Ok(()) => {
                        prop_assert!(accepted && was_valid, "step {}: extended {:?}", step, ttl);
                        prop_assert_eq!(
                            Some(h.guard.remaining()),
                            Drift::default().validity(ttl).ok()
                        );
                        h.refreshed_only = false;
                        world.longest_ttl = world.longest_ttl.max(ttl);
                    }
                    Err(Error::InvalidArgument { what: "ttl", .. }) => {
                        prop_assert!(!accepted, "step {}: ttl {:?} rejected", step, ttl);
                        prop_assert_eq!(Calls::get(&calls.extend), extends);
                        prop_assert_eq!(h.guard.is_valid(), was_valid);
                        prop_assert_eq!(h.guard.remaining(), before);
                    }
                    Err(Error::NotHeld { key }) => {
                        prop_assert!(accepted && !was_valid, "step {}: NotHeld while valid", step);
                        prop_assert_eq!(&key, &world.key);
                        prop_assert!(!h.guard.is_valid());
                    }
                    Err(e) => prop_assert!(false, "step {}: extend failed: {}", step, e),
                }
            }
            Op::Release { pick } => {
                let Some(h) = world.take(pick) else { continue };
                let was_valid = h.guard.is_valid();
                let token = h.guard.holder();
                let ours = world.holder().await == Some(token);
                let handle = h.guard.handle();
                match h.guard.release().await {
                    Ok(ReleaseOutcome::Released) => {
                        prop_assert!(ours, "step {}: released a lock not held", step)
                    }
                    Ok(ReleaseOutcome::NotHeld) => {
                        prop_assert!(
                            !ours && !was_valid,
                            "step {}: release said NotHeld for our lock",
                            step
                        );
                    }
                    Ok(other) => prop_assert!(false, "step {}: release answered {:?}", step, other),
                    Err(e) => prop_assert!(false, "step {}: release failed: {}", step, e),
                }
                prop_assert!(
                    !handle.is_valid(),
                    "step {}: a released guard's handle is valid",
                    step
                );
                prop_assert!(world.holder().await != Some(token));
            }
            Op::Drop { pick } => {
                let Some(h) = world.take(pick) else { continue };
                let token = h.guard.holder();
                let handle = h.guard.handle();
                drop(h);
                prop_assert!(
                    !handle.is_valid(),
                    "step {}: a dropped guard's handle is valid",
                    step
                );
                settle().await;
                prop_assert!(
                    world.holder().await != Some(token),
                    "step {}: a dropped guard's lock is still held after the background release",
                    step
                );
            }
            Op::Leak { pick } => {
                let Some(h) = world.take(pick) else { continue };
                let token = h.guard.holder();
                let ours = world.holder().await == Some(token);
                let _handover = h.guard.leak();
                prop_assert_eq!(
                    world.holder().await == Some(token),
                    ours,
                    "step {}: leak changed the store",
                    step
                );
            }
            Op::Advance(d) => {
                let kept: Vec<bool> =
                    world.held.iter().map(|h| h.refreshed_only && h.guard.is_valid()).collect();
                tokio::time::sleep(d).await;
                for (h, was) in world.held.iter().zip(kept) {
                    if was {
                        prop_assert!(
                            h.guard.is_valid(),
                            "step {}: an auto-refreshed guard was lost ({:?}) after {:?}: {:?}",
                            step,
                            h.guard.loss(),
                            d,
                            h.guard
                        );
                    }
                }
            }
        }
        world.check_exclusion(step).await?;
    }

    // Drop everything still held, then wait out the longest ttl and every refresh period.
    let longest = world.longest_ttl;
    world.held.clear();
    settle().await;
    tokio::time::sleep(longest + MS).await;
    settle().await;
    prop_assert_eq!(world.store.live_locks(), 0, "a lock outlived its ttl");
    let extends = Calls::get(&calls.extend);
    tokio::time::sleep(3 * longest + Duration::from_secs(1)).await;
    prop_assert_eq!(
        Calls::get(&calls.extend),
        extends,
        "auto-refresh went on after every guard was gone"
    );
    prop_assert_eq!(world.store.live_locks(), 0);

    // With the managers gone too, nothing of the crate keeps running.
    drop((a, b));
    tokio::time::sleep(Duration::from_secs(1)).await;
    settle().await;
    let tasks = tokio::runtime::Handle::current().metrics().num_alive_tasks();
    prop_assert_eq!(tasks, 0, "tasks left running after managers and guards were dropped");
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn interleavings_on_one_key_keep_the_promises(ops in prop::collection::vec(op(), 1..=20)) {
        let runtime = paused_runtime();
        let started = std::time::Instant::now();
        runtime.block_on(run_ops(ops))?;
        // Keep each case cheap: the paused clock must make long waits free.
        prop_assert!(started.elapsed() < Duration::from_secs(5));
    }
}

fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime")
}

proptest! {
    #![proptest_config(config(64))]

    /// `auto_refresh` docs: "Keeps the lock extended in the background until the guard is
    /// released or dropped" and refuses a ttl whose validity is under 6 ms (with the default
    /// drift, ttl < 8.08 ms). Every ttl it accepts stays held.
    #[test]
    fn auto_refresh_keeps_every_valid_ttl_alive(
        ttl_us in 3_000u64..20_000,
        wait_ms in 1u64..1_000,
    ) {
        paused_runtime().block_on(async {
            let locks = LockManager::new(lock_core::MemoryBackend::new());
            let ttl = Duration::from_micros(ttl_us);
            let guard = locks.lock("k").ttl(ttl).auto_refresh().try_acquire().await;
            if ttl_us < 8_080 {
                prop_assert!(matches!(guard, Err(Error::InvalidArgument { .. })), "ttl {:?} accepted for auto-refresh", ttl);
                return Ok(());
            }
            if ttl_us < 8_082 {
                return Ok(());
            }
            let guard = guard.expect("valid ttl").expect("free");
            tokio::time::sleep(Duration::from_millis(wait_ms)).await;
            prop_assert!(guard.is_valid(), "ttl {:?}: lost ({:?}) after {} ms", ttl, guard.loss(), wait_ms);
            Ok(())
        })?;
    }

    /// An auto-refreshed guard extended by hand to a shorter ttl stays refreshed.
    #[test]
    fn auto_refresh_survives_a_manual_extend(
        first_ms in 100u64..60_000,
        second_ms in 9u64..60_000,
        after_ms in 0u64..10_000,
        wait_ms in 1u64..120_000,
    ) {
        paused_runtime().block_on(async {
            let locks = LockManager::new(lock_core::MemoryBackend::new());
            let guard = locks
                .lock("k")
                .ttl(Duration::from_millis(first_ms))
                .auto_refresh()
                .try_acquire()
                .await
                .expect("valid ttl")
                .expect("free");
            tokio::time::sleep(Duration::from_millis(after_ms % first_ms.div_ceil(2))).await;
            guard.extend(Duration::from_millis(second_ms)).await.expect("extend");
            tokio::time::sleep(Duration::from_millis(wait_ms)).await;
            prop_assert!(guard.is_valid(), "lost ({:?})", guard.loss());
            Ok(())
        })?;
    }
}
