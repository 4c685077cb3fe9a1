//! Ways to build a `RedisBackend`.

use std::time::Duration;

use lock_core::BackendError;
use lock_redis_protocol::{ConnectOptions, EvictionCheck, KeyspaceEvents, Publish, ReleaseHub};

use redis::Value;
use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};

use crate::BACKEND;
use crate::backend::RedisBackend;
use crate::commands::Commands;
use crate::errors::map;
use crate::notify::ClassicSubscriber;

/// How long the connections this crate opens wait for a reply: 500 ms.
pub const REPLY_TIMEOUT: Duration = Duration::from_millis(500);

/// The `ConnectionManager` settings of [`RedisBackend::connect`] and
/// [`RedisBackend::from_client`]: connect timeout 1 s, reply timeout 500 ms, reconnect delays
/// from 10 ms up to 1 s, 2 retries. Use them for a connection that should behave like the
/// backend's (the benchmark's raw-client ceiling does).
pub fn manager_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(1)))
        .set_response_timeout(Some(REPLY_TIMEOUT))
        .set_min_delay(Duration::from_millis(10))
        .set_max_delay(Duration::from_secs(1))
        .set_number_of_retries(2)
}

#[cfg(feature = "cluster")]
fn connection_infos<I, T>(nodes: I) -> Result<Vec<redis::ConnectionInfo>, BackendError>
where
    I: IntoIterator<Item = T>,
    T: redis::IntoConnectionInfo,
{
    nodes.into_iter().map(|n| n.into_connection_info()).collect::<Result<_, _>>().map_err(map)
}

pub(crate) fn classic_hub(client: redis::Client) -> (ReleaseHub, Publish) {
    (ReleaseHub::new(BACKEND, ClassicSubscriber { client }), Publish::Classic)
}

/// Where a connection goes, without credentials: `redis://host:port/db`.
pub(crate) fn endpoint(info: &redis::ConnectionInfo) -> String {
    let db = info.redis_settings().db();
    match info.addr() {
        redis::ConnectionAddr::Tcp(host, port) => format!("redis://{host}:{port}/{db}"),
        redis::ConnectionAddr::TcpTls { host, port, .. } => format!("rediss://{host}:{port}/{db}"),
        redis::ConnectionAddr::Unix(path) => format!("redis+unix://{}?db={db}", path.display()),
        other => format!("redis://{other}/{db}"),
    }
}

/// Where a cluster is, without credentials: its seed nodes, sorted.
#[cfg(feature = "cluster")]
fn cluster_endpoint(nodes: &[redis::ConnectionInfo]) -> String {
    let mut addrs: Vec<String> = nodes.iter().map(|n| n.addr().to_string()).collect();
    addrs.sort();
    format!("redis-cluster://{}", addrs.join(","))
}

/// The text of a reply that should be `INFO` output.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        Value::VerbatimString { text, .. } | Value::SimpleString(text) => Some(text.clone()),
        _ => None,
    }
}

/// `INFO` on a connection to one server: the whole default reply (its `server` section names
/// the server, its `memory` section holds `maxmemory_policy`), or only `INFO server` when the
/// eviction check is off. `None` when it fails otherwise (the ACL may refuse `INFO` to a user
/// that can still lock): quietly unknown. A missing or wrong password is an `Auth` error now,
/// rather than at the first lock.
pub(crate) async fn server_info(
    conn: &mut impl ConnectionLike,
    options: &ConnectOptions,
) -> Result<Option<String>, BackendError> {
    let mut cmd = redis::cmd("INFO");
    if options.eviction_check() == EvictionCheck::Off {
        cmd.arg("server");
    }
    match cmd.query_async::<Value>(conn).await {
        Ok(reply) => Ok(text(&reply)),
        Err(e) if matches!(e.code(), Some("NOAUTH" | "WRONGPASS")) => Err(map(e)),
        Err(_) => Ok(None),
    }
}

/// The database whose keyspace events wake waiters (`db`), if `options` ask for them and, with
/// [`KeyspaceEvents::Auto`], the server's `notify-keyspace-events` publishes what wakes them.
/// A server that refuses `CONFIG GET` counts as not publishing them.
pub(crate) async fn keyspace_db(
    conn: &mut impl ConnectionLike,
    options: &ConnectOptions,
    db: i64,
) -> Option<i64> {
    match options.keyspace() {
        KeyspaceEvents::On => return Some(db),
        KeyspaceEvents::Auto => {}
        _ => return None,
    }
    let reply = redis::cmd("CONFIG")
        .arg("GET")
        .arg("notify-keyspace-events")
        .query_async::<Value>(conn)
        .await
        .ok()?;
    let flags = match reply {
        Value::Array(items) => items.get(1).and_then(text),
        Value::Map(pairs) => pairs.first().and_then(|(_, flags)| text(flags)),
        _ => None,
    }?;
    lock_redis_protocol::keyspace::keyspace_events_wake(&flags).then_some(db)
}

/// What a new backend learns from the server it connected to before its first lock.
pub(crate) struct Probed {
    /// The endpoint the server names itself, else the address connected to.
    pub(crate) endpoint: String,
    /// Its `maxmemory-policy`, unless the eviction check is off or `INFO` was refused.
    pub(crate) policy: Option<String>,
    /// The database whose keyspace events wake waiters, if any (see [`keyspace_db`]).
    pub(crate) keyspace: Option<i64>,
}

/// Probes the server at `address` (database `db`): `INFO` (see [`server_info`]) for the
/// eviction check, which fails here when the policy can evict locks and `options` say so, and
/// for the endpoint; then `options`' keyspace events.
pub(crate) async fn probe(
    conn: &mut impl ConnectionLike,
    options: &ConnectOptions,
    address: String,
    db: i64,
) -> Result<Probed, BackendError> {
    let info = server_info(conn, options).await?;
    let policy = match options.eviction_check() {
        EvictionCheck::Off => None,
        _ => info.as_deref().and_then(lock_redis_protocol::eviction::maxmemory_policy),
    };
    lock_redis_protocol::eviction::check_eviction(
        BACKEND,
        options.eviction_check(),
        &address,
        policy.as_deref(),
    )?;
    let endpoint =
        info.as_deref().and_then(lock_redis_protocol::server_endpoint).unwrap_or(address);
    Ok(Probed { endpoint, policy, keyspace: keyspace_db(conn, options, db).await })
}

/// The policy that matters on a cluster (see [`lock_redis_protocol::eviction::worst_policy`]) and the master that
/// reported it, from `INFO memory` on every master; `None` if any refuses or none answers.
#[cfg(feature = "cluster")]
async fn cluster_policy(
    conn: &mut redis::cluster_async::ClusterConnection,
    options: &ConnectOptions,
) -> Option<(String, String)> {
    if options.eviction_check() == EvictionCheck::Off {
        return None;
    }
    // INFO goes to every master; the reply maps each one's address to its answer.
    let reply = redis::cmd("INFO").arg("memory").query_async::<Value>(conn).await.ok()?;
    let Value::Map(answers) = reply else {
        let policy =
            text(&reply).as_deref().and_then(lock_redis_protocol::eviction::maxmemory_policy)?;
        return Some((String::new(), policy));
    };
    let mut found = Vec::with_capacity(answers.len());
    for (addr, answer) in &answers {
        let policy =
            text(answer).as_deref().and_then(lock_redis_protocol::eviction::maxmemory_policy)?;
        found.push((text(addr).unwrap_or_default(), policy));
    }
    lock_redis_protocol::eviction::worst_policy(found)
}

impl RedisBackend {
    /// Connects to a standalone server by URL, e.g. `redis://user:password@127.0.0.1:6379/0`,
    /// `rediss://...` (TLS, feature `tls-rustls`, trusting the system's root certificates; for
    /// a private CA see [`RedisBackend::from_client`]) or `redis+unix:///run/redis.sock`.
    /// Commands go through a `ConnectionManager` (reconnects on its own); release notification
    /// through a dedicated subscriber connection. The backend's `endpoint` is the server's
    /// identity (see [`RedisBackend::from_client`]).
    ///
    /// A `redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/service[/db]` URL
    /// (feature `sentinel`; sentinel port 26379 unless given) connects to the
    /// master the sentinels monitor as `service` and follows it on failover, as
    /// [`RedisBackend::connect_sentinel`] describes; the credentials and database are the
    /// master's.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let backend = lock_redis::RedisBackend::connect("redis://127.0.0.1:6379/").await?;
    /// let locks = lock_redis::LockManager::new(backend);
    /// # let _ = locks;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect(url: &str) -> Result<Self, BackendError> {
        Self::connect_with(url, ConnectOptions::default()).await
    }

    /// [`RedisBackend::connect`] with `options`: what to do about a server whose
    /// `maxmemory-policy` may evict held locks.
    ///
    /// # Eviction check
    ///
    /// The constructors that connect (this one, [`RedisBackend::from_client_with`],
    /// [`RedisBackend::connect_cluster_with`] and their short forms) read the server's
    /// `maxmemory-policy` from the `INFO` reply they already fetch at connect (on a cluster, from
    /// `INFO memory` on every master). Under any policy but `noeviction`, Redis may evict a held
    /// lock when memory is full, and another client then takes it: `volatile-*` policies too,
    /// since every lock key has an expiry. By default ([`EvictionCheck::Warn`]) the backend logs
    /// one `tracing` warning naming the policy; [`EvictionCheck::Refuse`] makes the constructor
    /// fail with a [`lock_core::BackendErrorKind::Config`] error (not temporary) instead;
    /// [`EvictionCheck::Off`] skips the check. A user the ACL refuses `INFO` connects quietly,
    /// the policy unknown. [`RedisBackend::eviction_policy`] tells what was found.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use lock_redis::{ConnectOptions, EvictionCheck, RedisBackend};
    /// let options = ConnectOptions::new().eviction(EvictionCheck::Refuse);
    /// let backend = RedisBackend::connect_with("redis://127.0.0.1:6379/", options).await?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect_with(url: &str, options: ConnectOptions) -> Result<Self, BackendError> {
        #[cfg(feature = "sentinel")]
        if let Some(sentinel) = crate::sentinel::SentinelUrl::parse(url) {
            let client = crate::sentinel::client_for(sentinel?)?;
            return Self::from_sentinel_client_with(client, options).await;
        }
        let client = redis::Client::open(url).map_err(map)?;
        Self::from_client_with(client, options).await
    }

    /// From a `redis::Client`: a `ConnectionManager` for commands (connect timeout 1 s, reply
    /// timeout 500 ms, reconnect delays from 10 ms up to 1 s), plus notifications. An unreachable
    /// server is a temporary `Connection` error within about 2 s.
    ///
    /// The backend's `endpoint` names the server itself, by the `run_id` that `INFO`
    /// reports once at connect time (`redis run_id=<id>`, whatever the address or database), so
    /// a Redlock [`crate::Quorum`] refuses one server twice however it was addressed. If the user
    /// may not run `INFO`, it is the address (`redis://host:port/db`) instead.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = lock_redis::redis::Client::open("redis://127.0.0.1:6379/")?;
    /// let backend = lock_redis::RedisBackend::from_client(client).await?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # TLS with a private CA
    ///
    /// With the `tls-rustls` feature, a `rediss://` client trusts the system's root
    /// certificates. To trust your own CA instead (and optionally present a client certificate
    /// for `tls-auth-clients yes`), build the client with `redis::Client::build_with_tls`. A
    /// server certificate the client does not trust fails the constructor at once with a
    /// [`lock_core::BackendErrorKind::Config`] error (not temporary) naming the certificate
    /// problem, e.g. `invalid peer certificate: UnknownIssuer`.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use lock_redis::redis::{Client, ClientTlsConfig, TlsCertificates};
    /// let certs = TlsCertificates {
    ///     root_cert: Some(std::fs::read("/etc/redis/tls/ca.pem")?),
    ///     // Only if the server asks for a client certificate:
    ///     client_tls: Some(ClientTlsConfig {
    ///         client_cert: std::fs::read("/etc/redis/tls/client.pem")?,
    ///         client_key: std::fs::read("/etc/redis/tls/client.key")?,
    ///     }),
    /// };
    /// let client = Client::build_with_tls("rediss://redis.internal:6380/", certs)?;
    /// let backend = lock_redis::RedisBackend::from_client(client).await?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn from_client(client: redis::Client) -> Result<Self, BackendError> {
        Self::from_client_with(client, ConnectOptions::default()).await
    }

    /// [`RedisBackend::from_client`] with `options` (see the eviction check of
    /// [`RedisBackend::connect_with`]).
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use lock_redis::{ConnectOptions, EvictionCheck, RedisBackend};
    /// let client = lock_redis::redis::Client::open("redis://127.0.0.1:6379/")?;
    /// let options = ConnectOptions::new().eviction(EvictionCheck::Refuse);
    /// let backend = RedisBackend::from_client_with(client, options).await?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn from_client_with(
        client: redis::Client,
        options: ConnectOptions,
    ) -> Result<Self, BackendError> {
        let mut manager =
            client.get_connection_manager_with_config(manager_config()).await.map_err(map)?;
        let address = endpoint(client.get_connection_info());
        let db = client.get_connection_info().redis_settings().db();
        let Probed { endpoint, policy, keyspace } =
            probe(&mut manager, &options, address, db).await?;
        let backend =
            Self::assemble(Commands::Manager(manager), Some(classic_hub(client)), Some(endpoint));
        Ok(backend
            .with_eviction_policy(policy)
            .with_reply_timeout(REPLY_TIMEOUT)
            .with_keyspace(keyspace))
    }

    /// From an existing `ConnectionManager` (no release notification unless
    /// [`RedisBackend::with_notifications`] adds it).
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = lock_redis::redis::Client::open("redis://127.0.0.1:6379/")?;
    /// let manager = client.get_connection_manager().await?;
    /// let backend = lock_redis::RedisBackend::from_connection_manager(manager).with_notifications(client);
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_connection_manager(manager: ConnectionManager) -> Self {
        Self::assemble(Commands::Manager(manager), None, None)
    }

    /// From an existing `MultiplexedConnection` (no reconnection on failure; no release
    /// notification unless [`RedisBackend::with_notifications`] adds it).
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = lock_redis::redis::Client::open("redis://127.0.0.1:6379/")?;
    /// let connection = client.get_multiplexed_async_connection().await?;
    /// let backend = lock_redis::RedisBackend::from_multiplexed(connection).with_notifications(client);
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_multiplexed(connection: MultiplexedConnection) -> Self {
        Self::assemble(Commands::Multiplexed(connection), None, None)
    }

    /// From a `deadpool_redis::Pool`: each primitive takes a pooled connection for one round
    /// trip (no release notification unless [`RedisBackend::with_notifications`] adds it).
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = deadpool_redis::Config::from_url("redis://127.0.0.1:6379/")
    ///     .create_pool(Some(deadpool_redis::Runtime::Tokio1))?;
    /// let client = lock_redis::redis::Client::open("redis://127.0.0.1:6379/")?;
    /// let backend = lock_redis::RedisBackend::from_pool(pool).with_notifications(client);
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Needs the `deadpool` feature.
    #[cfg(feature = "deadpool")]
    #[cfg_attr(docsrs, doc(cfg(feature = "deadpool")))]
    pub fn from_pool(pool: deadpool_redis::Pool) -> Self {
        Self::assemble(Commands::Pool(pool), None, None)
    }

    /// A `deadpool-redis` pool of `max_size` connections to `url`, with release notification.
    /// It connects lazily, so its `endpoint` is the address `redis://host:port/db`, not the
    /// server's identity (see [`RedisBackend::from_client`]).
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let backend = lock_redis::RedisBackend::connect_pooled("redis://127.0.0.1:6379/", 16)?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Needs the `deadpool` feature.
    #[cfg(feature = "deadpool")]
    #[cfg_attr(docsrs, doc(cfg(feature = "deadpool")))]
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
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let nodes = ["redis://127.0.0.1:7000/", "redis://127.0.0.1:7001/", "redis://127.0.0.1:7002/"];
    /// let backend = lock_redis::RedisBackend::connect_cluster(nodes).await?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Needs the `cluster` feature.
    #[cfg(feature = "cluster")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cluster")))]
    pub async fn connect_cluster<I, T>(nodes: I) -> Result<Self, BackendError>
    where
        I: IntoIterator<Item = T>,
        T: redis::IntoConnectionInfo,
    {
        Self::connect_cluster_with(nodes, ConnectOptions::default()).await
    }

    /// [`RedisBackend::connect_cluster`] with `options`: the eviction check (see
    /// [`RedisBackend::connect_with`]) reads `INFO memory` on every master; a master that may
    /// evict is named in the warning or error.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use lock_redis::{ConnectOptions, EvictionCheck, RedisBackend};
    /// let nodes = ["redis://127.0.0.1:7000/", "redis://127.0.0.1:7001/"];
    /// let options = ConnectOptions::new().eviction(EvictionCheck::Refuse);
    /// let backend = RedisBackend::connect_cluster_with(nodes, options).await?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Needs the `cluster` feature.
    #[cfg(feature = "cluster")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cluster")))]
    pub async fn connect_cluster_with<I, T>(
        nodes: I,
        options: ConnectOptions,
    ) -> Result<Self, BackendError>
    where
        I: IntoIterator<Item = T>,
        T: redis::IntoConnectionInfo,
    {
        let nodes = connection_infos(nodes)?;
        let client = redis::cluster::ClusterClient::new(nodes.clone()).map_err(map)?;
        let mut connection = client.get_async_connection().await.map_err(map)?;
        let endpoint = cluster_endpoint(&nodes);
        let found = cluster_policy(&mut connection, &options).await;
        if let Some((master, policy)) = &found {
            let at = match master.as_str() {
                "" => endpoint.clone(),
                master => format!("{endpoint} (master {master})"),
            };
            lock_redis_protocol::eviction::check_eviction(
                BACKEND,
                options.eviction_check(),
                &at,
                Some(policy),
            )?;
        }
        let hub = ReleaseHub::new(BACKEND, crate::notify::ShardedSubscriber { nodes });
        let backend = Self::assemble(
            Commands::Cluster(connection),
            Some((hub, Publish::Sharded)),
            Some(endpoint),
        );
        Ok(backend.with_eviction_policy(found.map(|(_, policy)| policy)))
    }

    /// From an existing cluster connection (no release notification unless
    /// [`RedisBackend::with_cluster_notifications`] adds it).
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let nodes = vec!["redis://127.0.0.1:7000/"];
    /// let client = lock_redis::redis::cluster::ClusterClient::new(nodes.clone())?;
    /// let connection = client.get_async_connection().await?;
    /// let backend = lock_redis::RedisBackend::from_cluster_connection(connection).with_cluster_notifications(nodes)?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Needs the `cluster` feature.
    #[cfg(feature = "cluster")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cluster")))]
    pub fn from_cluster_connection(connection: redis::cluster_async::ClusterConnection) -> Self {
        Self::assemble(Commands::Cluster(connection), None, None)
    }

    /// Release notification for a cluster backend, through sharded pub/sub on a RESP3 cluster
    /// connection to `nodes`.
    ///
    /// Needs the `cluster` feature.
    #[cfg(feature = "cluster")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cluster")))]
    pub fn with_cluster_notifications<I, T>(self, nodes: I) -> Result<Self, BackendError>
    where
        I: IntoIterator<Item = T>,
        T: redis::IntoConnectionInfo,
    {
        let nodes = connection_infos(nodes)?;
        let hub = ReleaseHub::new(BACKEND, crate::notify::ShardedSubscriber { nodes });
        Ok(self.with_hub((hub, Publish::Sharded)))
    }
}
