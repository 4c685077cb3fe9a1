//! Long work under an auto-refreshed lock: the manager extends it every third of its validity
//! window, and if it is lost anyway (the key deleted, the server gone past the deadline) the
//! work is stopped and `Error::Lost` returned.
//!
//! ```sh
//! cargo run -p lock-redis --example auto_refresh
//! ```

use std::time::Duration;

use lock_redis::{Error, LockManager, RedisBackend};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let locks = LockManager::new(RedisBackend::connect(&url).await?);

    // A 2 s ttl, held for 5 s by refreshing; `max_hold` caps how long refresh goes on.
    let result = locks
        .lock("jobs:rebuild-index")
        .ttl(Duration::from_secs(2))
        .auto_refresh()
        .max_hold(Duration::from_secs(60))
        .run(|lock| async move {
            for step in 0..5 {
                tokio::time::sleep(Duration::from_secs(1)).await;
                println!("step {step}, lock valid for {:?} more", lock.remaining());
            }
            Ok::<_, Error>("index rebuilt")
        })
        .await;
    match result {
        Ok(done) => println!("{done}"),
        Err(Error::Lost { key, reason }) => println!("lost {key} ({reason:?}): work stopped"),
        Err(e) => return Err(e.into()),
    }

    // A guard can also be watched directly: `lost()` resolves when the lock is gone.
    if let Some(guard) = locks.lock("jobs:watched").auto_refresh().try_acquire().await? {
        tokio::select! {
            reason = guard.lost() => println!("lost: {reason:?}"),
            () = tokio::time::sleep(Duration::from_millis(300)) => {
                guard.release().await?;
            }
        }
    }
    Ok(())
}
