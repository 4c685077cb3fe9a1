//! Mutual exclusion end to end: many tasks, one key, a shared counter.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lock_core::{FencingToken, RetryPolicy};

use crate::check;
use crate::context::TestContext;
use crate::failure::{CaseResult, Failure};

const TASKS: usize = 16;
const ROUNDS: usize = 50;

#[derive(Default)]
struct Shared {
    counter: AtomicU64,
    inside: AtomicU32,
    last_fence: Mutex<Option<FencingToken>>,
    violations: Mutex<Vec<String>>,
}

impl Shared {
    fn violation(&self, what: String) {
        self.violations.lock().unwrap_or_else(|e| e.into_inner()).push(what);
    }
}

/// 16 tasks × 50 acquisitions of one key through `LockManager`, each critical section a
/// non-atomic read, sleep, write of a shared counter. The counter must end at 800 (no lost
/// update), no two sections may overlap, and fencing tokens (when issued) must strictly
/// increase from one section to the next.
pub async fn mutual_exclusion_under_contention(cx: TestContext) -> CaseResult {
    let policy =
        RetryPolicy::exponential(Duration::from_millis(1), Duration::from_millis(20)).jitter(0.5);
    let locks = cx.manager_builder().retry(policy).build()?;
    let shared = Arc::new(Shared::default());
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let (locks, shared, ttl, wait) =
            (locks.clone(), shared.clone(), cx.ms(5_000), cx.ms(60_000));
        tasks.push(tokio::spawn(async move {
            for round in 0..ROUNDS {
                let guard = locks.lock("mutex").ttl(ttl).wait(wait).acquire().await?;
                if shared.inside.fetch_add(1, Ordering::SeqCst) != 0 {
                    shared.violation(format!(
                        "task {task} round {round} entered while another task was inside"
                    ));
                }
                if let Some(fence) = guard.fencing_token() {
                    let mut last = shared.last_fence.lock().unwrap_or_else(|e| e.into_inner());
                    if last.is_some_and(|l| fence <= l) {
                        shared.violation(format!("fencing token went from {last:?} to {fence}"));
                    }
                    *last = Some(fence);
                }
                let seen = shared.counter.load(Ordering::SeqCst);
                tokio::time::sleep(Duration::from_micros(300)).await;
                shared.counter.store(seen + 1, Ordering::SeqCst);
                shared.inside.fetch_sub(1, Ordering::SeqCst);
                guard.release().await?;
            }
            Ok::<(), lock_core::Error>(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| Failure::new(format!("a task panicked: {e}"), "join"))??;
    }
    let violations = shared.violations.lock().unwrap_or_else(|e| e.into_inner()).clone();
    check!(violations.is_empty(), "{} violations, first: {}", violations.len(), violations[0]);
    let total = shared.counter.load(Ordering::SeqCst);
    check!(
        total == (TASKS * ROUNDS) as u64,
        "the counter is {total}, expected {}: updates were lost",
        TASKS * ROUNDS
    );
    Ok(())
}
