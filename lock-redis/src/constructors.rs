//! Ways to build a `RedisBackend`.

use lock_core::BackendError;
use lock_lua::{Publish, ReleaseHub};
use redis::aio::{ConnectionManager, MultiplexedConnection};

use crate::BACKEND;
use crate::backend::RedisBackend;
use crate::commands::Commands;
use crate::errors::map;
use crate::notify::ClassicSubscriber;

pub(crate) fn classic_hub(client: redis::Client) -> (ReleaseHub, Publish) {
    (
        ReleaseHub::new(BACKEND, ClassicSubscriber { client }),
        Publish::Classic,
    )
}

impl RedisBackend {
    /// Connects to a standalone server (or one Sentinel-managed master) by URL, e.g.
    /// `redis://user:password@127.0.0.1:6379/0`, `rediss://...` with a TLS feature of `redis`,
    /// or `redis+unix:///run/redis.sock`. Commands go through a `ConnectionManager` (reconnects on
    /// its own); release notification through a dedicated subscriber connection.
    pub async fn connect(url: &str) -> Result<Self, BackendError> {
        let client = redis::Client::open(url).map_err(map)?;
        Self::from_client(client).await
    }

    /// From a `redis::Client`: a `ConnectionManager` for commands, plus notifications.
    pub async fn from_client(client: redis::Client) -> Result<Self, BackendError> {
        let manager = client.get_connection_manager().await.map_err(map)?;
        Ok(Self::assemble(
            Commands::Manager(manager),
            Some(classic_hub(client)),
        ))
    }

    /// From an existing `ConnectionManager` (no release notification unless
    /// [`RedisBackend::with_notifications`] adds it).
    pub fn from_connection_manager(manager: ConnectionManager) -> Self {
        Self::assemble(Commands::Manager(manager), None)
    }

    /// From an existing `MultiplexedConnection` (no reconnection on failure; no release
    /// notification unless [`RedisBackend::with_notifications`] adds it).
    pub fn from_multiplexed(connection: MultiplexedConnection) -> Self {
        Self::assemble(Commands::Multiplexed(connection), None)
    }

    /// From a `deadpool_redis::Pool`: each primitive takes a pooled connection for one round
    /// trip (no release notification unless [`RedisBackend::with_notifications`] adds it).
    #[cfg(feature = "deadpool")]
    pub fn from_pool(pool: deadpool_redis::Pool) -> Self {
        Self::assemble(Commands::Pool(pool), None)
    }

    /// A `deadpool-redis` pool of `max_size` connections to `url`, with release notification.
    #[cfg(feature = "deadpool")]
    pub fn connect_pooled(url: &str, max_size: usize) -> Result<Self, BackendError> {
        let client = redis::Client::open(url).map_err(map)?;
        let config_error = |e: &dyn std::fmt::Display| {
            BackendError::new(
                BACKEND,
                lock_core::BackendErrorKind::Config,
                format!("deadpool-redis: {e}"),
            )
        };
        let pool = deadpool_redis::Config::from_url(url)
            .builder()
            .map_err(|e| config_error(&e))?
            .max_size(max_size)
            .runtime(deadpool_redis::Runtime::Tokio1)
            .build()
            .map_err(|e| config_error(&e))?;
        Ok(Self::from_pool(pool).with_notifications(client))
    }

    /// Connects to a Redis Cluster through any of its `nodes` (URLs). Every lock's keys live in
    /// one slot; release notification uses sharded pub/sub (`SPUBLISH`/`SSUBSCRIBE`, Redis 7+),
    /// so a wake-up reaches only the shard that owns the lock.
    #[cfg(feature = "cluster")]
    pub async fn connect_cluster<I, T>(nodes: I) -> Result<Self, BackendError>
    where
        I: IntoIterator<Item = T>,
        T: redis::IntoConnectionInfo,
    {
        let nodes = nodes
            .into_iter()
            .map(|n| n.into_connection_info())
            .collect::<Result<Vec<_>, _>>()
            .map_err(map)?;
        let client = redis::cluster::ClusterClient::new(nodes.clone()).map_err(map)?;
        let connection = client.get_async_connection().await.map_err(map)?;
        let hub = ReleaseHub::new(BACKEND, crate::notify::ShardedSubscriber { nodes });
        Ok(Self::assemble(
            Commands::Cluster(connection),
            Some((hub, Publish::Sharded)),
        ))
    }

    /// From an existing cluster connection (no release notification unless
    /// [`RedisBackend::with_cluster_notifications`] adds it).
    #[cfg(feature = "cluster")]
    pub fn from_cluster_connection(connection: redis::cluster_async::ClusterConnection) -> Self {
        Self::assemble(Commands::Cluster(connection), None)
    }

    /// Release notification for a cluster backend, through sharded pub/sub on a RESP3 cluster
    /// connection to `nodes`.
    #[cfg(feature = "cluster")]
    pub fn with_cluster_notifications<I, T>(self, nodes: I) -> Result<Self, BackendError>
    where
        I: IntoIterator<Item = T>,
        T: redis::IntoConnectionInfo,
    {
        let nodes = nodes
            .into_iter()
            .map(|n| n.into_connection_info())
            .collect::<Result<Vec<_>, _>>()
            .map_err(map)?;
        let hub = ReleaseHub::new(BACKEND, crate::notify::ShardedSubscriber { nodes });
        Ok(self.with_hub((hub, Publish::Sharded)))
    }
}
