//! Waiters of one manager take a busy key in arrival order: a task that releases and asks
//! again goes behind those already waiting, so every waiter gets its turn each round.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lock_core::{LockManager, MemoryBackend, RetryPolicy};

async fn round_robin(policy: RetryPolicy) -> Vec<usize> {
    const TASKS: usize = 4;
    const ROUNDS: usize = 6;
    let locks = LockManager::new(MemoryBackend::new());
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for id in 0..TASKS {
        let (locks, order) = (locks.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..ROUNDS {
                let guard = locks.lock("busy").retry(policy).acquire().await.expect("acquired");
                order.lock().expect("order").push(id);
                tokio::time::sleep(Duration::from_millis(5)).await;
                guard.release().await.expect("released");
            }
        }));
        // Everyone asks in a known order.
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    for task in tasks {
        task.await.expect("task");
    }
    order.lock().expect("order").clone()
}

fn assert_rounds(order: &[usize]) {
    for (round, window) in order.chunks(4).enumerate() {
        let mut seen = window.to_vec();
        seen.sort_unstable();
        assert_eq!(seen, vec![0, 1, 2, 3], "round {round} was not one turn each: {order:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn waiters_with_release_notification_take_turns() {
    assert_rounds(&round_robin(RetryPolicy::default()).await);
}

#[tokio::test(start_paused = true)]
async fn polling_waiters_take_turns_too() {
    // A long fixed delay: without the queue, the releasing task would win again every time.
    assert_rounds(&round_robin(RetryPolicy::fixed(Duration::from_millis(20))).await);
}

#[tokio::test(start_paused = true)]
async fn a_waiter_that_gives_up_leaves_the_queue_to_the_others() {
    let locks = LockManager::new(MemoryBackend::new());
    let holder = locks.try_lock("k", Duration::from_secs(10)).await.expect("ok").expect("free");
    let patient = {
        let locks = locks.clone();
        tokio::spawn(async move { locks.lock("k").acquire().await })
    };
    tokio::time::sleep(Duration::from_millis(1)).await;
    let hasty = locks.lock("k").wait(Duration::from_millis(50)).acquire().await;
    assert!(hasty.is_err(), "gave up behind the queue");
    holder.release().await.expect("released");
    let guard = tokio::time::timeout(Duration::from_secs(1), patient).await.expect("in time");
    assert!(guard.expect("task").is_ok());
}
