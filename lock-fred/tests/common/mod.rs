//! How the shared Redis checks and the battery connect lock-fred to the servers they start.

use std::sync::Arc;

use lock_fred::fred::types::config::{Config, ServerConfig};
use lock_fred::{DynLockBackend, FredBackend};
use lock_testkit::redis_checks::{Connectors, SentinelTarget};

pub(crate) fn connectors() -> Connectors {
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
        sentinel: Some(Box::new(|target: SentinelTarget| {
            Box::pin(async move {
                let server = ServerConfig::new_sentinel(target.sentinels, target.service);
                let backend =
                    FredBackend::connect_config(Config { server, ..Config::default() }).await?;
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
                Ok(Arc::new(FredBackend::connect(&url).await?.without_fencing())
                    as Arc<DynLockBackend>)
            })
        }),
        ..connectors()
    }
}
