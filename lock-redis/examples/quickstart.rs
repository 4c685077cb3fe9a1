//! Take a lock, use its fencing token, release it.
//!
//! ```sh
//! cargo run -p lock-redis --example quickstart   # REDIS_URL=redis://127.0.0.1:6379/ by default
//! ```

use std::time::Duration;

use lock_redis::{LockManager, RedisBackend};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let locks = LockManager::new(RedisBackend::connect(&url).await?);

    // One attempt: `None` when someone else holds it.
    match locks.try_lock("orders:42", Duration::from_secs(10)).await? {
        Some(guard) => {
            // Pass the fence to whatever the lock protects, which rejects lower ones.
            println!("locked orders:42 with fence {:?}", guard.fencing_token());
            guard.release().await?;
        }
        None => println!("orders:42 is busy"),
    }

    // Waiting: up to 5 s, woken when the holder releases.
    let guard = locks.lock("orders:42").wait(Duration::from_secs(5)).acquire().await?;
    println!("waited {:?}, valid for {:?} more", guard.waited(), guard.remaining());
    guard.release().await?;
    Ok(())
}
