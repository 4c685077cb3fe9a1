//! Observability: the metrics the `metrics` feature documents are recorded (hold durations with
//! their real length), and TRACE-level logs never contain a whole token.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lock_core::{LockBackend, LockKey, LockManager, LockToken, MemoryBackend, RetryPolicy};

/// Held by each test: `tracing` caches per call site whether anyone listens, and a call site
/// first reached on a thread without a subscriber while another thread has a scoped one can be
/// cached as unwatched. The tests run one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime")
}

/// The token `key` holds in `backend`, read from the store (guards do not hand it out).
async fn stored_token(backend: &MemoryBackend, key: &LockKey) -> LockToken {
    backend.inspect(key).await.expect("inspect").expect("held").holder
}

/// One lock's life: uncontended acquire, a refused try, a waiter that gets it after release, and
/// an auto-refreshed guard whose key is deleted behind its back. Returns the tokens it saw.
async fn scenario() -> Vec<String> {
    let backend = MemoryBackend::new();
    let locks = LockManager::builder(backend.clone())
        .retry(RetryPolicy::fixed(Duration::from_millis(5)))
        .build()
        .expect("settings");
    let mut tokens = Vec::new();
    let held =
        locks.try_lock("telemetry", Duration::from_secs(5)).await.expect("ok").expect("free");
    let token = stored_token(&backend, held.key()).await;
    tokens.push(token.as_str().unwrap_or_default().to_owned());
    assert!(locks.try_lock("telemetry", Duration::from_secs(5)).await.expect("ok").is_none());
    let waiter = locks.lock("telemetry").wait(Duration::from_secs(2)).acquire();
    let (released, waited) = tokio::join!(
        async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            held.release().await
        },
        waiter
    );
    released.expect("release");
    let waited = waited.expect("the waiter got it");
    let token = stored_token(&backend, waited.key()).await;
    tokens.push(token.as_str().unwrap_or_default().to_owned());
    waited.release().await.expect("release");
    let refreshed = locks
        .lock("refreshed")
        .ttl(Duration::from_millis(60))
        .auto_refresh()
        .acquire()
        .await
        .expect("ok");
    let token = stored_token(&backend, refreshed.key()).await;
    tokens.push(token.as_str().unwrap_or_default().to_owned());
    backend.release(refreshed.key(), &token).await.expect("delete behind its back");
    let reason = tokio::time::timeout(Duration::from_secs(2), refreshed.lost())
        .await
        .expect("loss signalled");
    assert_eq!(reason, lock_core::LossReason::NotHeld);
    tokens
}

#[cfg(feature = "metrics")]
#[test]
fn metrics_are_recorded() {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};

    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || runtime().block_on(scenario()));
    let snapshot = snapshotter.snapshot().into_vec();
    let find = |name: &str, label: Option<(&str, &str)>| {
        snapshot.iter().find_map(|(key, _, _, value)| {
            let k = key.key();
            let labelled =
                label.is_none_or(|(n, v)| k.labels().any(|l| l.key() == n && l.value() == v));
            (k.name() == name && labelled).then_some(value)
        })
    };
    let count = |value: Option<&DebugValue>| match value {
        Some(DebugValue::Counter(n)) => *n as usize,
        Some(DebugValue::Histogram(samples)) => samples.len(),
        _ => 0,
    };
    assert!(count(find("lock_acquire_duration_seconds", Some(("outcome", "acquired")))) >= 3);
    assert_eq!(count(find("lock_acquire_duration_seconds", Some(("outcome", "not_acquired")))), 1);
    assert!(count(find("lock_contended_total", None)) >= 2, "contention not counted");
    assert_eq!(count(find("lock_wait_duration_seconds", None)), 1, "the waiter's wait");
    assert_eq!(count(find("lock_lost_total", Some(("reason", "not_held")))), 1);
    assert!(count(find("lock_hold_duration_seconds", Some(("backend", "memory")))) >= 3);
    // The first lock is held 20 ms before its release.
    let holds: Vec<f64> = match find("lock_hold_duration_seconds", Some(("backend", "memory"))) {
        Some(DebugValue::Histogram(samples)) => samples.iter().map(|s| s.into_inner()).collect(),
        _ => Vec::new(),
    };
    assert!(holds.iter().any(|&held| held >= 0.02), "no hold of 20 ms or more in {holds:?}");
}

/// Collects everything a `tracing` subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn logs_never_print_a_whole_token() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let tokens = tracing::subscriber::with_default(subscriber, || runtime().block_on(scenario()));
    let text =
        String::from_utf8_lossy(&captured.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    assert!(text.contains("lock.acquire"), "no acquire span in:\n{text}");
    assert!(text.contains("lock lost"), "the loss was not logged:\n{text}");
    // The first lock is held 20 ms before its release, and the release says so.
    let held_ms = |line: &str| -> Option<u64> {
        let (_, rest) = line.split_once("held_ms=")?;
        rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    };
    let released: Vec<u64> =
        text.lines().filter(|l| l.contains("lock released")).filter_map(held_ms).collect();
    assert!(released.iter().any(|&ms| ms >= 20), "no release after 20 ms or more: {released:?}");
    assert!(!text.contains("no tokio runtime"), "a false warning about auto-refresh:\n{text}");
    for token in tokens {
        assert!(token.len() == 32 && !text.contains(&token), "a whole token appears in the logs");
    }
}

/// Nothing lost silently, even unwatched: an auto-refreshed guard whose extensions keep failing
/// until its deadline is reported lost (a `warn` log) by the refresher, though nobody looks at
/// the guard.
#[test]
fn an_unwatched_refreshed_guard_that_runs_out_is_logged() {
    use common::hooked::{Hooked, Step};
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        runtime().block_on(async {
            let backend = Hooked::default();
            let failing = Step::fails(lock_core::BackendErrorKind::Connection);
            backend.hooks.extend.lock().expect("steps").extend([failing; 64]);
            let locks = LockManager::new(backend);
            let guard = locks
                .lock("unwatched")
                .ttl(Duration::from_millis(90))
                .auto_refresh()
                .acquire()
                .await
                .expect("ok");
            tokio::time::sleep(Duration::from_millis(300)).await;
            drop(guard);
        })
    });
    let text =
        String::from_utf8_lossy(&captured.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    assert!(text.contains("lock lost"), "the refresher did not report the loss:\n{text}");
}
