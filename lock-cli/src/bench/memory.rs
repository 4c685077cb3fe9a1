//! The in-process backend: uncontended cycles on one task.

use std::time::{Duration, Instant};

use lock_core::{LockManager, MemoryBackend};

use super::report::Memory;

pub(crate) async fn run(duration: Duration) -> Result<Memory, String> {
    eprintln!("memory: in-process backend, one task...");
    let locks = LockManager::new(MemoryBackend::new());
    let keys: Vec<String> = (0..16).map(|i| format!("bench:m:{i}")).collect();
    let (started, mut cycles) = (Instant::now(), 0u64);
    while started.elapsed() < duration {
        for key in &keys {
            let guard =
                locks.try_lock(key, Duration::from_secs(30)).await.map_err(|e| e.to_string())?;
            let guard = guard.ok_or("an uncontended key was held")?;
            guard.release().await.map_err(|e| e.to_string())?;
        }
        cycles += keys.len() as u64;
    }
    Ok(Memory { cycles_per_s: cycles as f64 / started.elapsed().as_secs_f64() })
}
