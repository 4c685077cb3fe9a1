//! A counting semaphore with a lease per permit, and a reader-writer lock with an upgradeable
//! read.
//!
//! ```sh
//! cargo run -p lock-redis --example lock_family
//! ```

use std::time::Duration;

use lock_redis::{LockManager, RedisBackend};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let locks = LockManager::new(RedisBackend::connect(&url).await?);
    let ttl = Duration::from_secs(10);

    // At most 3 holders of `exports` at once, each with its own permit and fence.
    let exports = locks.semaphore("exports", 3)?;
    let permit = exports.permit().ttl(ttl).wait(Duration::from_secs(5)).acquire().await?;
    permit.release().await?;

    // Many readers or one writer; an upgradeable read becomes a write with no writer between.
    let config = locks.rw_lock("config")?;
    let read = config.upgradeable_read().ttl(ttl).acquire().await?;
    let write = config.upgrade(read).ttl(ttl).wait(Duration::from_secs(5)).acquire().await?; // consumes the read
    write.release().await?;

    println!("a permit and an upgrade: {} permits held now", exports.holders().await?.len());
    Ok(())
}
