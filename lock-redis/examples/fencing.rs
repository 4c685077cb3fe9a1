//! Fencing a write: the protected resource remembers the highest fence it has accepted and
//! refuses lower ones, so a holder that paused past its lease (GC, SIGSTOP) cannot overwrite
//! the work of the holder that came after it. Here the resource is a struct; in SQL it is
//! `UPDATE t SET v = $1, fence = $2 WHERE id = $3 AND fence < $2`.
//!
//! ```sh
//! cargo run -p lock-redis --example fencing
//! ```

use std::sync::Mutex;
use std::time::Duration;

use lock_redis::{FencingToken, LockManager, RedisBackend};

/// A resource that accepts a write only with a fence above every fence it has seen.
#[derive(Default)]
struct FencedStore {
    state: Mutex<(u64, String)>,
}

impl FencedStore {
    fn write(&self, fence: FencingToken, value: &str) -> Result<(), String> {
        let mut state = self.state.lock().map_err(|e| e.to_string())?;
        if fence.get() <= state.0 {
            return Err(format!("stale fence {} (seen {})", fence.get(), state.0));
        }
        *state = (fence.get(), value.to_owned());
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let locks = LockManager::new(RedisBackend::connect(&url).await?);
    let store = FencedStore::default();

    let first = locks.lock("config").ttl(Duration::from_secs(10)).acquire().await?;
    let old_fence = first.fencing_token().ok_or("fencing is on by default")?;
    first.release().await?;

    let second = locks.lock("config").ttl(Duration::from_secs(10)).acquire().await?;
    let new_fence = second.fencing_token().ok_or("fencing is on by default")?;
    store.write(new_fence, "written by the current holder")?;
    // The earlier holder, waking up late, is refused.
    println!("late write: {:?}", store.write(old_fence, "stale"));
    second.release().await?;
    Ok(())
}
