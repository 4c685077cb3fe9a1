//! A Redlock quorum over three independent Redis servers: a lock is granted when a majority
//! grants it within its validity window. It has no fencing tokens (see SAFETY.md).
//!
//! ```sh
//! REDIS_URLS=redis://127.0.0.1:7001/,redis://127.0.0.1:7002/,redis://127.0.0.1:7003/ \
//!     cargo run -p lock-redis --example quorum
//! ```

use std::time::Duration;

use lock_redis::{LockManager, Quorum, RedisBackend};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let urls = std::env::var("REDIS_URLS").map_err(|_| "set REDIS_URLS to three servers")?;
    let mut builder = Quorum::builder();
    for url in urls.split(',') {
        builder = builder.node(RedisBackend::connect(url).await?);
    }
    // The same server twice is refused (nodes are told apart by their run_id).
    let locks = LockManager::new(builder.build()?);
    if let Some(guard) = locks.try_lock("payments:7", Duration::from_secs(5)).await? {
        println!("granted by a majority, valid for {:?}", guard.remaining());
        guard.release().await?;
    }
    Ok(())
}
