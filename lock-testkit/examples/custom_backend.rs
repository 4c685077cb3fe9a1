//! A custom backend in one file, proved with the conformance suite: a lock table in a
//! `HashMap` (the `LockBackend` docs' example), then `run_suite` over every case. Cases that
//! need a capability it does not advertise (fencing, release notification) are skipped.
//!
//! ```sh
//! cargo run -p lock-testkit --example custom_backend
//! ```
//!
//! In your own crate, `lock_testkit::conformance_suite!(map_backend, async { MapBackend::default() })`
//! in `tests/` gives one `#[test]` per case instead.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lock_core::backend::async_trait;
use lock_core::{
    BackendError, LockBackend, LockKey, LockToken, backend::AcquireOutcome, backend::BackendInfo,
    backend::Capabilities, backend::ExtendOutcome, backend::LockInfo, backend::ReleaseOutcome,
};

#[derive(Debug, Default)]
struct MapBackend {
    locks: Mutex<HashMap<Vec<u8>, (LockToken, Instant)>>,
}

impl MapBackend {
    /// Runs `f` on the live entry for `key` (expired entries are removed first).
    fn with_entry<R>(
        &self,
        key: &LockKey,
        f: impl FnOnce(&mut Option<(LockToken, Instant)>) -> R,
    ) -> R {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        let mut entry = locks.remove(key.as_bytes()).filter(|(_, until)| *until > Instant::now());
        let out = f(&mut entry);
        if let Some(e) = entry {
            locks.insert(key.as_bytes().to_vec(), e);
        }
        out
    }
}

#[async_trait]
impl LockBackend for MapBackend {
    fn info(&self) -> BackendInfo {
        BackendInfo::new("map", Capabilities::none())
    }

    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        Ok(self.with_entry(key, |entry| match entry {
            Some((holder, until)) if holder != token => AcquireOutcome::Held {
                ttl_remaining: Some(until.saturating_duration_since(Instant::now())),
            },
            _ => {
                *entry = Some((token.clone(), Instant::now() + ttl));
                AcquireOutcome::Acquired { fencing: None }
            }
        }))
    }

    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        Ok(self.with_entry(key, |entry| match entry {
            Some((holder, _)) if holder == token => {
                *entry = None;
                ReleaseOutcome::Released
            }
            _ => ReleaseOutcome::NotHeld,
        }))
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        Ok(self.with_entry(key, |entry| match entry {
            Some((holder, until)) if holder == token => {
                *until = Instant::now() + ttl;
                ExtendOutcome::Extended
            }
            _ => ExtendOutcome::NotHeld,
        }))
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        Ok(self.with_entry(key, |entry| {
            entry.as_ref().map(|(holder, until)| LockInfo {
                holder: holder.clone(),
                ttl_remaining: Some(until.saturating_duration_since(Instant::now())),
                fencing: None,
            })
        }))
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let backend = std::sync::Arc::new(MapBackend::default());
    let report = lock_testkit::run_suite(backend, &lock_testkit::SuiteOptions::default()).await;
    println!("{report}");
    if report.is_success() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
