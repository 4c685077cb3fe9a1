//! How the shared Redis checks and the battery connect lock-redis to the servers they start.

use std::sync::Arc;

use lock_redis::{DynLockBackend, RedisBackend};
use lock_testkit::redis_checks::{Connectors, SentinelTarget};

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
        sentinel: Some(Box::new(|target: SentinelTarget| {
            Box::pin(async move {
                let sentinels: Vec<String> = target
                    .sentinels
                    .iter()
                    .map(|(host, port)| format!("redis://{host}:{port}/"))
                    .collect();
                let backend = RedisBackend::connect_sentinel(sentinels, &target.service).await?;
                let backend = match target.wait {
                    Some((replicas, timeout)) => backend.with_wait(replicas, timeout)?,
                    None => backend,
                };
                Ok(Arc::new(backend) as Arc<DynLockBackend>)
            })
        })),
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
