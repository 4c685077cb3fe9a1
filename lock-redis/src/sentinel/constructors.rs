//! Ways to build a `RedisBackend` on the master of a Sentinel-managed deployment.

use std::sync::Arc;

use lock_core::{BackendError, BackendErrorKind};
use lock_redis_protocol::{ConnectOptions, Publish, ReleaseHub};
use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use redis::{RedisConnectionInfo, Role};

use super::master::{Resolver, SentinelMaster};
use super::url::SentinelUrl;
use crate::BACKEND;
use crate::backend::RedisBackend;
use crate::commands::Commands;
use crate::constructors::{Probed, endpoint, probe};
use crate::errors::map;
use crate::notify::SentinelSubscriber;

/// The `SentinelClient` a `redis+sentinel://` URL describes.
pub(crate) fn client_for(url: SentinelUrl) -> Result<SentinelClient, BackendError> {
    let mut redis = RedisConnectionInfo::default().set_db(url.db);
    if let Some(user) = &url.username {
        redis = redis.set_username(user);
    }
    if let Some(password) = &url.password {
        redis = redis.set_password(password);
    }
    let node = SentinelNodeConnectionInfo::default().set_redis_connection_info(redis);
    SentinelClient::build(url.sentinels, url.service, Some(node), SentinelServerType::Master)
        .map_err(map)
}

impl RedisBackend {
    /// Connects to the master that `sentinels` (any `IntoConnectionInfo`: URLs such as
    /// `redis://127.0.0.1:26379/` or `(host, port)` pairs) monitor as `service`, and follows it
    /// on failover. [`RedisBackend::connect`] does the same from a
    /// `redis+sentinel://host:port[,host:port...]/service[/db]` URL.
    ///
    /// # Following the master
    ///
    /// Commands go over one multiplexed connection to the master (connect timeout 1 s, reply
    /// timeout 500 ms). The backend moves to a new master:
    /// - when the sentinels announce one (`+switch-master`, listened to on one sentinel after
    ///   another by a background task that lives as long as the backend): the old master may
    ///   still take writes for seconds after `SENTINEL FAILOVER` or a partition, until the
    ///   sentinels turn it into a replica, which then drops what it took;
    /// - when a command finds its connection broken or refused, answered by a replica
    ///   (`READONLY`, `MASTERDOWN`), or silent past its timeout: the backend asks the sentinels
    ///   (in the order given, each answer checked with `ROLE` on the master it names, within
    ///   2 s) and runs the command once more on a connection to the master they name.
    ///
    /// The manager's retries cover a failover still under way (measured here: locks work on
    /// the new master about 1.3 s after `SENTINEL FAILOVER` and 2.3 s after the master is
    /// killed, with `down-after-milliseconds` 1000). Release notification subscribes on the
    /// master the sentinels name; when the backend moves, or a failover ends that connection,
    /// every waiter is woken and the next watch subscribes on the new master. A failover loses
    /// what the old master had not replicated, locks included (see [`RedisBackend::with_wait`]).
    ///
    /// The backend's `endpoint` is the master's identity at connect time (its `run_id`, see
    /// [`RedisBackend::from_client`]). The sentinels here need no password; for credentials on
    /// the sentinels or the master, TLS, or another database, build the `SentinelClient` with
    /// `redis::sentinel::SentinelClientBuilder` and use [`RedisBackend::from_sentinel_client`].
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sentinels = ["redis://127.0.0.1:26379/", "redis://127.0.0.1:26380/", "redis://127.0.0.1:26381/"];
    /// let backend = lock_redis::RedisBackend::connect_sentinel(sentinels, "mymaster").await?;
    /// let locks = lock_redis::LockManager::new(backend);
    /// # let _ = locks;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect_sentinel<I, T>(sentinels: I, service: &str) -> Result<Self, BackendError>
    where
        I: IntoIterator<Item = T>,
        T: redis::IntoConnectionInfo,
    {
        Self::connect_sentinel_with(sentinels, service, ConnectOptions::default()).await
    }

    /// [`RedisBackend::connect_sentinel`] with `options` (see the eviction check of
    /// [`RedisBackend::connect_with`]; it reads the master's `INFO` at connect).
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use lock_redis::{ConnectOptions, EvictionCheck, RedisBackend};
    /// let options = ConnectOptions::new().eviction(EvictionCheck::Refuse);
    /// let sentinels = [("127.0.0.1", 26379), ("127.0.0.1", 26380)];
    /// let backend = RedisBackend::connect_sentinel_with(sentinels, "mymaster", options).await?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect_sentinel_with<I, T>(
        sentinels: I,
        service: &str,
        options: ConnectOptions,
    ) -> Result<Self, BackendError>
    where
        I: IntoIterator<Item = T>,
        T: redis::IntoConnectionInfo,
    {
        let sentinels = sentinels.into_iter().collect::<Vec<_>>();
        // A `String`: without `tls-rustls`, the redis crate takes no other type of name.
        let service = String::from(service);
        let client = SentinelClient::build(sentinels, service, None, SentinelServerType::Master)
            .map_err(map)?;
        Self::from_sentinel_client_with(client, options).await
    }

    /// From a `redis::sentinel::SentinelClient` built for `SentinelServerType::Master` (a
    /// client for replicas is refused with a `Config` error): the way to give the sentinels or
    /// the master credentials, a database, TLS and a custom CA (with the `tls-rustls` feature),
    /// through `SentinelClientBuilder`. It follows the master on failover as
    /// [`RedisBackend::connect_sentinel`] describes.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use lock_redis::redis::sentinel::{SentinelClientBuilder, SentinelServerType};
    /// use lock_redis::redis::ConnectionAddr;
    ///
    /// let sentinels = [
    ///     ConnectionAddr::Tcp("127.0.0.1".into(), 26379),
    ///     ConnectionAddr::Tcp("127.0.0.1".into(), 26380),
    /// ];
    /// let client = SentinelClientBuilder::new(sentinels, "mymaster", SentinelServerType::Master)?
    ///     .set_client_to_sentinel_password("sentinel-secret")
    ///     .set_client_to_redis_username("locker")
    ///     .set_client_to_redis_password("master-secret")
    ///     .set_client_to_redis_db(2)
    ///     .build()?;
    /// let backend = lock_redis::RedisBackend::from_sentinel_client(client).await?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn from_sentinel_client(client: SentinelClient) -> Result<Self, BackendError> {
        Self::from_sentinel_client_with(client, ConnectOptions::default()).await
    }

    /// [`RedisBackend::from_sentinel_client`] with `options` (see the eviction check of
    /// [`RedisBackend::connect_with`]).
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use lock_redis::redis::sentinel::{SentinelClient, SentinelServerType};
    /// use lock_redis::{ConnectOptions, EvictionCheck, RedisBackend};
    /// let client = SentinelClient::build(
    ///     vec!["redis://127.0.0.1:26379/"],
    ///     "mymaster".to_owned(),
    ///     None,
    ///     SentinelServerType::Master,
    /// )?;
    /// let options = ConnectOptions::new().eviction(EvictionCheck::Off);
    /// let backend = RedisBackend::from_sentinel_client_with(client, options).await?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn from_sentinel_client_with(
        client: SentinelClient,
        options: ConnectOptions,
    ) -> Result<Self, BackendError> {
        let resolver = Arc::new(Resolver::new(client));
        let (master, mut connection) = resolver.connect().await.map_err(map)?;
        let address = endpoint(master.get_connection_info());
        // A user the ACL refuses ROLE passes quietly (the lookup itself checked the role).
        if let Ok(role) = redis::cmd("ROLE").query_async::<Role>(&mut connection).await
            && !matches!(role, Role::Primary { .. })
        {
            return Err(BackendError::new(
                BACKEND,
                BackendErrorKind::Config,
                format!(
                    "the SentinelClient named {address}, which is not a master: build it for \
                     SentinelServerType::Master"
                ),
            ));
        }
        let db = master.get_connection_info().redis_settings().db();
        let Probed { endpoint, policy, keyspace } =
            probe(&mut connection, &options, address, db).await?;
        let master = Arc::new(SentinelMaster::new(resolver.clone(), &master, connection));
        SentinelMaster::listen(&master);
        let hub =
            ReleaseHub::new(BACKEND, SentinelSubscriber { resolver, switches: master.switches() });
        let commands = Commands::Sentinel(master);
        let backend = Self::assemble(commands, Some((hub, Publish::Classic)), Some(endpoint));
        Ok(backend
            .with_eviction_policy(policy)
            .with_reply_timeout(crate::REPLY_TIMEOUT)
            .with_keyspace(keyspace))
    }
}
