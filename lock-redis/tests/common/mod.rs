//! How the shared Redis checks and the battery connect lock-redis to the servers they start.

use std::sync::Arc;

use lock_redis::{DynLockBackend, RedisBackend};
use lock_testkit::redis_checks::Connectors;

pub(crate) fn connectors() -> Connectors {
    Connectors {
        standalone: Box::new(|url| {
            Box::pin(async move {
                Ok(Arc::new(RedisBackend::connect(&url).await?) as Arc<DynLockBackend>)
            })
        }),
        cluster: Box::new(|urls| {
            Box::pin(async move {
                Ok(Arc::new(RedisBackend::connect_cluster(urls).await?) as Arc<DynLockBackend>)
            })
        }),
        // lock-redis connects to a Sentinel-managed master by its address, not through Sentinel.
        sentinel: None,
    }
}

/// [`connectors`] with fencing turned off on the standalone backend (the Redis checks use it,
/// the battery does not).
#[allow(dead_code)]
pub(crate) fn unfenced_connectors() -> Connectors {
    Connectors {
        standalone: Box::new(|url| {
            Box::pin(async move {
                Ok(Arc::new(RedisBackend::connect(&url).await?.without_fencing())
                    as Arc<DynLockBackend>)
            })
        }),
        ..connectors()
    }
}
