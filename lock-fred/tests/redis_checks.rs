//! Redis-specific checks for lock-fred: interop with foreign clients, recovery from
//! `SCRIPT FLUSH`, restarts and killed connections, release notification without channel leaks,
//! a least-privilege ACL user, and foreign data under a lock key.

use std::sync::Arc;

use lock_fred::fred::types::config::{Config, ServerConfig};
use lock_fred::{DynLockBackend, FredBackend};
use lock_testkit::redis_checks::Connectors;

fn connectors() -> Connectors {
    Connectors {
        standalone: Box::new(|url| {
            Box::pin(async move {
                Ok(Arc::new(FredBackend::connect(&url).await?) as Arc<DynLockBackend>)
            })
        }),
        cluster: Box::new(|urls| {
            Box::pin(async move {
                let hosts = urls
                    .iter()
                    .filter_map(|u| u.trim_end_matches('/').rsplit(':').next()?.parse::<u16>().ok())
                    .map(|port| ("127.0.0.1", port))
                    .collect();
                let config =
                    Config { server: ServerConfig::new_clustered(hosts), ..Config::default() };
                Ok(Arc::new(FredBackend::connect_config(config).await?) as Arc<DynLockBackend>)
            })
        }),
    }
}

lock_testkit::redis_checks!(connectors());
