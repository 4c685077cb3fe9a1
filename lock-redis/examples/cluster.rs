//! Locks on a Redis Cluster (feature `cluster`): each lock's key, fencing counter and release
//! channel share one slot, and waiters are woken through sharded pub/sub.
//!
//! ```sh
//! REDIS_CLUSTER=redis://127.0.0.1:7000/,redis://127.0.0.1:7001/ \
//!     cargo run -p lock-redis --features cluster --example cluster
//! ```

use std::time::Duration;

use lock_redis::{LockManager, RedisBackend};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let nodes = std::env::var("REDIS_CLUSTER").map_err(|_| "set REDIS_CLUSTER to seed nodes")?;
    let backend = RedisBackend::connect_cluster(nodes.split(',')).await?;
    let locks = LockManager::new(backend);
    let guard = locks.lock("tenants:9").wait(Duration::from_secs(2)).acquire().await?;
    println!("locked on the cluster, fence {:?}", guard.fencing_token());
    guard.release().await?;
    Ok(())
}
