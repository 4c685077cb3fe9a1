//! Redis-specific checks for lock-redis: interop with foreign clients, recovery from
//! `SCRIPT FLUSH`, restarts and killed connections, release notification without channel leaks,
//! a least-privilege ACL user, and foreign data under a lock key.

use std::sync::Arc;

use lock_redis::{DynLockBackend, RedisBackend};
use lock_testkit::redis_checks::Connectors;

fn connectors() -> Connectors {
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
    }
}

lock_testkit::redis_checks!(connectors());
