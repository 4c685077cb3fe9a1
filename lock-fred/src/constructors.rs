//! Ways to build a `FredBackend`.

use std::time::Duration;

use fred::clients::{Client, Pool};
use fred::interfaces::ClientLike;
#[cfg(feature = "cluster")]
use fred::interfaces::ClusterInterface;
use fred::types::config::{Config, ReconnectPolicy};
use fred::types::{Builder, ClusterHash, CustomCommand, InfoKind, Value};
use lock_core::BackendError;
use lock_redis_protocol::{ConnectOptions, EvictionCheck, KeyspaceEvents};

use crate::BACKEND;
use crate::backend::FredBackend;
use crate::commands::Commands;
use crate::errors::map;

/// How long a command may wait for its reply in clients this crate builds.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(1);

/// The fred `Builder` [`crate::FredBackend::connect`] uses for `config`: commands time out
/// after [`COMMAND_TIMEOUT`], connecting after 1 s, internal commands after 2 s, and the client
/// reconnects with an exponential backoff from 20 ms up to 1 s. Use it for a client that should
/// behave like the backend's (the benchmark's raw-client ceiling does).
pub fn builder(config: Config) -> Builder {
    let mut builder = Builder::from_config(config);
    builder
        .with_performance_config(|p| p.default_command_timeout = COMMAND_TIMEOUT)
        .with_connection_config(|c| {
            c.connection_timeout = Duration::from_secs(1);
            c.internal_command_timeout = Duration::from_secs(2);
        })
        .set_policy(ReconnectPolicy::new_exponential(0, 20, 1_000, 2));
    builder
}

/// What one `INFO` at connect told about the server(s).
struct Learned {
    /// The server's identity (see [`lock_redis_protocol::server_endpoint`]); `None` for a cluster.
    identity: Option<String>,
    /// The `maxmemory-policy` that matters and where it was read (a primary of a cluster).
    policy: Option<(Option<String>, String)>,
    /// The database whose keyspace events wake waiters, if they are to.
    keyspace: Option<i64>,
}

/// `INFO` once at connect: on a client of one server (directly or through Sentinel), the whole
/// default reply (its `server` section names the server, its `memory` section holds
/// `maxmemory_policy`), or only `INFO server` when the eviction check is off; on a cluster,
/// `INFO memory` on every primary, unless the check is off. A refused or failed `INFO` leaves
/// what it would have told unknown, quietly.
async fn learn(client: &Client, options: &ConnectOptions) -> Learned {
    let check = options.eviction_check() != EvictionCheck::Off;
    if client.is_clustered() {
        let policy = if check { cluster_policy(client).await } else { None };
        // Keyspace events reach only subscribers of the key's own node: not followed on a cluster.
        return Learned {
            identity: None,
            policy: policy.map(|(at, p)| (Some(at), p)),
            keyspace: None,
        };
    }
    let keyspace = keyspace_db(client, options).await;
    let section = if check { None } else { Some(InfoKind::Server) };
    let Ok(info) = client.info::<String>(section).await else {
        return Learned { identity: None, policy: None, keyspace };
    };
    let policy = if check { lock_redis_protocol::eviction::maxmemory_policy(&info) } else { None };
    Learned {
        identity: lock_redis_protocol::server_endpoint(&info),
        policy: policy.map(|p| (None, p)),
        keyspace,
    }
}

/// The database whose keyspace events wake waiters, if `options` ask for them and, with
/// [`KeyspaceEvents::Auto`], the server's `notify-keyspace-events` publishes what wakes them.
/// A server that refuses `CONFIG GET` counts as not publishing them.
async fn keyspace_db(client: &Client, options: &ConnectOptions) -> Option<i64> {
    let db = i64::from(client.client_config().database.unwrap_or(0));
    match options.keyspace() {
        KeyspaceEvents::On => return Some(db),
        KeyspaceEvents::Auto => {}
        _ => return None,
    }
    let command = CustomCommand::new_static("CONFIG", ClusterHash::Random, false);
    let reply: Value = client.custom(command, vec!["GET", "notify-keyspace-events"]).await.ok()?;
    let flags = match reply {
        Value::Array(items) => items.get(1).and_then(Value::as_string),
        Value::Map(map) => map.inner().into_values().next().and_then(|v| v.as_string()),
        _ => None,
    }?;
    lock_redis_protocol::keyspace::keyspace_events_wake(&flags).then_some(db)
}

/// Without feature `cluster`, a cluster's policy is not read.
#[cfg(not(feature = "cluster"))]
async fn cluster_policy(_client: &Client) -> Option<(String, String)> {
    None
}

/// The policy that matters on a cluster (see [`lock_redis_protocol::eviction::worst_policy`]) and the primary that
/// reported it; `None` if any primary refuses or none is known.
#[cfg(feature = "cluster")]
async fn cluster_policy(client: &Client) -> Option<(String, String)> {
    let primaries = client.cached_cluster_state()?.unique_primary_nodes();
    let mut found = Vec::with_capacity(primaries.len());
    for primary in primaries {
        let node = client.with_cluster_node(&primary);
        let info = node.info::<String>(Some(InfoKind::Memory)).await.ok()?;
        found.push((
            format!("{}:{}", primary.host, primary.port),
            lock_redis_protocol::eviction::maxmemory_policy(&info)?,
        ));
    }
    lock_redis_protocol::eviction::worst_policy(found)
}

impl Learned {
    /// Applies the eviction check to `backend` (built with the configured address as its
    /// endpoint), then names it by the server's identity.
    fn apply(
        self,
        backend: FredBackend,
        options: &ConnectOptions,
    ) -> Result<FredBackend, BackendError> {
        if let Some((primary, policy)) = &self.policy {
            let address = lock_core::LockBackend::endpoint(&backend).unwrap_or_default();
            let at = match primary {
                Some(primary) => format!("{address} (primary {primary})"),
                None => address,
            };
            lock_redis_protocol::eviction::check_eviction(
                BACKEND,
                options.eviction_check(),
                &at,
                Some(policy),
            )?;
        }
        Ok(backend
            .named(self.identity)
            .with_eviction_policy(self.policy.map(|(_, p)| p))
            .with_keyspace(self.keyspace))
    }
}

/// The URL schemes [`FredBackend::connect`] takes.
const SCHEMES: [&str; 6] =
    ["redis", "rediss", "redis-cluster", "rediss-cluster", "redis-sentinel", "rediss-sentinel"];

/// Refuses a URL whose scheme is not a Redis one (fred would connect to `http://host:port` as if
/// it were `redis://`), without I/O; the message shows the scheme, never the rest of the URL.
fn check_scheme(url: &str) -> Result<(), BackendError> {
    let scheme = url.split_once("://").map(|(scheme, _)| scheme.to_ascii_lowercase());
    match scheme {
        Some(scheme) if SCHEMES.contains(&scheme.as_str()) => Ok(()),
        Some(scheme) => Err(BackendError::new(
            BACKEND,
            lock_core::BackendErrorKind::Config,
            format!(
                "`{scheme}://` is not a Redis URL; use one of {}",
                SCHEMES.join("://, ") + "://"
            ),
        )),
        None => Err(BackendError::new(
            BACKEND,
            lock_core::BackendErrorKind::Config,
            format!("not a URL (no `scheme://`); use one of {}", SCHEMES.join("://, ") + "://"),
        )),
    }
}

impl FredBackend {
    /// Connects by URL: `redis://` or `rediss://` (TLS, feature `tls-rustls`, trusting the
    /// system's root certificates; for a private CA see [`FredBackend::connect_config`]) for a
    /// server, `redis-cluster://host:port?node=...` for a cluster (its eviction check needs
    /// feature `cluster`), `redis-sentinel://host:port?node=...&sentinelServiceName=mymaster`
    /// for a Sentinel-managed master (feature `sentinel`; see
    /// `fred::types::config::Config::from_url`). Commands time out
    /// after [`COMMAND_TIMEOUT`]; the client reconnects on its own, and is closed (`QUIT`) when
    /// the last clone of the backend is dropped.
    ///
    /// The backend's `endpoint` names the server itself (for a standalone server or a Sentinel
    /// master), by the `run_id` that `INFO` reports once at connect time
    /// (`redis run_id=<id>`, whatever the address or database), so a Redlock [`crate::Quorum`]
    /// refuses one server twice however it was addressed. For a cluster, or if the user may not
    /// run `INFO`, it is the configured address. The same holds for
    /// [`FredBackend::connect_config`] and [`FredBackend::connect_pool`].
    ///
    /// It also checks that Redis cannot evict held locks (see [`FredBackend::connect_with`]):
    /// by default a server whose `maxmemory-policy` is not `noeviction` gets a warning.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use lock_fred::FredBackend;
    /// let standalone = FredBackend::connect("redis://127.0.0.1:6379").await?;
    /// let cluster = FredBackend::connect("redis-cluster://127.0.0.1:7000?node=127.0.0.1:7001").await?;
    /// let sentinel =
    ///     FredBackend::connect("redis-sentinel://127.0.0.1:26379?node=127.0.0.1:26380&sentinelServiceName=mymaster").await?;
    /// # let _ = (standalone, cluster, sentinel);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect(url: &str) -> Result<Self, BackendError> {
        Self::connect_with(url, ConnectOptions::default()).await
    }

    /// [`FredBackend::connect`] with `options`: what to do about a server whose
    /// `maxmemory-policy` may evict held locks.
    ///
    /// # Eviction check
    ///
    /// The constructors that connect (this one, [`FredBackend::connect_config_with`],
    /// [`FredBackend::connect_pool_with`] and their short forms) read the server's
    /// `maxmemory-policy` from the `INFO` reply they already fetch at connect (on a cluster, from
    /// `INFO memory` on every primary). Under any policy but `noeviction`, Redis may evict a
    /// held lock when memory is full, and another client then takes it: `volatile-*` policies
    /// too, since every lock key has an expiry. By default ([`EvictionCheck::Warn`]) the backend
    /// logs one `tracing` warning naming the policy; [`EvictionCheck::Refuse`] makes the
    /// constructor fail with a [`lock_core::BackendErrorKind::Config`] error (not temporary)
    /// instead; [`EvictionCheck::Off`] skips the check. A user the ACL refuses `INFO` connects
    /// quietly, the policy unknown. [`FredBackend::eviction_policy`] tells what was found.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use lock_fred::{ConnectOptions, EvictionCheck, FredBackend};
    /// let options = ConnectOptions::new().eviction(EvictionCheck::Refuse);
    /// let backend = FredBackend::connect_with("redis://127.0.0.1:6379", options).await?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect_with(url: &str, options: ConnectOptions) -> Result<Self, BackendError> {
        check_scheme(url)?;
        Self::connect_config_with(Config::from_url(url).map_err(map)?, options).await
    }

    /// Connects with a fred `Config`: `ServerConfig::Centralized`, `Clustered` or `Sentinel`.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use lock_fred::fred::types::config::{Config, ServerConfig};
    /// let config = Config {
    ///     server: ServerConfig::new_sentinel(vec![("127.0.0.1", 26379), ("127.0.0.1", 26380)], "mymaster"),
    ///     ..Config::default()
    /// };
    /// let backend = lock_fred::FredBackend::connect_config(config).await?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # TLS with a private CA
    ///
    /// With the `tls-rustls` feature, a `rediss://` URL (or `Config::tls` set to
    /// `TlsConnector::default_rustls()`) trusts the system's root certificates. To trust your
    /// own CA instead, set `Config::tls` to a `TlsConnector` made from a rustls `ClientConfig`
    /// whose root store holds it (fred re-exports `rustls`; add `with_client_auth_cert` for a
    /// server with `tls-auth-clients yes`). A server certificate the client does not trust
    /// fails the constructor at once with a [`lock_core::BackendErrorKind::Config`] error (not
    /// temporary) naming the problem, e.g. `InvalidCertificate(UnknownIssuer)`.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use lock_fred::fred::rustls::pki_types::{CertificateDer, pem::PemObject};
    /// use lock_fred::fred::rustls::{ClientConfig, RootCertStore};
    /// use lock_fred::fred::types::config::{Config, TlsConnector};
    ///
    /// let mut roots = RootCertStore::empty();
    /// for cert in CertificateDer::pem_file_iter("/etc/redis/tls/ca.pem")? {
    ///     roots.add(cert?)?;
    /// }
    /// let tls = ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    /// let mut config = Config::from_url("rediss://redis.internal:6380")?;
    /// config.tls = Some(TlsConnector::from(tls).into());
    /// let backend = lock_fred::FredBackend::connect_config(config).await?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect_config(config: Config) -> Result<Self, BackendError> {
        Self::connect_config_with(config, ConnectOptions::default()).await
    }

    /// [`FredBackend::connect_config`] with `options` (see the eviction check of
    /// [`FredBackend::connect_with`]).
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use lock_fred::{ConnectOptions, EvictionCheck, FredBackend};
    /// let config = lock_fred::fred::types::config::Config::from_url("redis://127.0.0.1:6379")?;
    /// let options = ConnectOptions::new().eviction(EvictionCheck::Refuse);
    /// let backend = FredBackend::connect_config_with(config, options).await?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect_config_with(
        config: Config,
        options: ConnectOptions,
    ) -> Result<Self, BackendError> {
        let client = builder(config).build().map_err(map)?;
        let task = client.init().await.map_err(map)?;
        let learned = learn(&client, &options).await;
        // Owning its client from here, so a refusal below closes it.
        let backend = Self::from_client(client).owning_its_clients(vec![task.abort_handle()]);
        learned.apply(backend, &options)
    }

    /// From a connected `fred::clients::Client` (call `init` first). Release notification opens
    /// a `SubscriberClient` with the same configuration when first needed. Building does no I/O,
    /// so the backend's `endpoint` is the configured address, not the server's identity (see
    /// [`FredBackend::connect`]); the same holds for [`FredBackend::from_pool`].
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use lock_fred::fred::prelude::*;
    /// let client = Builder::from_config(Config::from_url("redis://127.0.0.1:6379")?).build()?;
    /// client.init().await?;
    /// let backend = lock_fred::FredBackend::from_client(client);
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_client(client: Client) -> Self {
        let like = client.clone();
        Self::assemble(Commands::Client(client), &like)
    }

    /// From a connected `fred::clients::Pool`: each primitive goes to the pool's next client.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use lock_fred::fred::prelude::*;
    /// let pool = Builder::from_config(Config::from_url("redis://127.0.0.1:6379")?).build_pool(8)?;
    /// pool.init().await?;
    /// let backend = lock_fred::FredBackend::from_pool(pool);
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_pool(pool: Pool) -> Self {
        let like = pool.next().clone();
        Self::assemble(Commands::Pool(pool), &like)
    }

    /// A pool of `size` clients built from `config`, connected.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let config = lock_fred::fred::types::config::Config::from_url("redis://127.0.0.1:6379")?;
    /// let backend = lock_fred::FredBackend::connect_pool(config, 8).await?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect_pool(config: Config, size: usize) -> Result<Self, BackendError> {
        Self::connect_pool_with(config, size, ConnectOptions::default()).await
    }

    /// [`FredBackend::connect_pool`] with `options` (see the eviction check of
    /// [`FredBackend::connect_with`]).
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use lock_fred::{ConnectOptions, EvictionCheck, FredBackend};
    /// let config = lock_fred::fred::types::config::Config::from_url("redis://127.0.0.1:6379")?;
    /// let options = ConnectOptions::new().eviction(EvictionCheck::Refuse);
    /// let backend = FredBackend::connect_pool_with(config, 8, options).await?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect_pool_with(
        config: Config,
        size: usize,
        options: ConnectOptions,
    ) -> Result<Self, BackendError> {
        let pool = builder(config).build_pool(size).map_err(map)?;
        // Each client on its own, so each connection task can be ended when the backend goes.
        let mut tasks = Vec::with_capacity(pool.size());
        for client in pool.clients() {
            tasks.push(client.init().await.map_err(map)?.abort_handle());
        }
        let learned = learn(pool.next(), &options).await;
        learned.apply(Self::from_pool(pool).owning_its_clients(tasks), &options)
    }
}
