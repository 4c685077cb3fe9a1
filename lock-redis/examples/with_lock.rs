//! Run work under a lock and get its value back, with your own error type: `with_lock` needs
//! only `From<lock_redis::Error>` for it, so `?` works on both lock and work errors.
//!
//! ```sh
//! cargo run -p lock-redis --example with_lock
//! ```

use std::time::Duration;

use lock_redis::{LockManager, RedisBackend};

/// The application's error: lock failures and its own.
#[derive(Debug)]
enum AppError {
    Lock(lock_redis::Error),
    NothingToDo,
}

impl From<lock_redis::Error> for AppError {
    fn from(e: lock_redis::Error) -> Self {
        Self::Lock(e)
    }
}

async fn count_pending_orders() -> Result<u64, AppError> {
    Ok(3)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let locks = LockManager::new(RedisBackend::connect(&url).await?);

    // The closure's error type decides `with_lock`'s; the lock is released either way.
    let pending = locks
        .with_lock("reports:daily", Duration::from_secs(10), |_lock| async {
            let n = count_pending_orders().await?;
            if n == 0 {
                return Err(AppError::NothingToDo);
            }
            Ok(n)
        })
        .await;
    match pending {
        Ok(n) => println!("{n} pending orders"),
        Err(AppError::NothingToDo) => println!("nothing to do"),
        Err(AppError::Lock(e)) => println!("could not lock: {e}"),
    }
    Ok(())
}
