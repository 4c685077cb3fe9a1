//! Ways to build a `FredBackend`.

use std::time::Duration;

use fred::clients::{Client, Pool};
use fred::interfaces::ClientLike;
use fred::types::config::{Config, ReconnectPolicy};
use fred::types::{Builder, InfoKind};
use lock_core::BackendError;

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

/// The server's identity from `INFO server` (see [`lock_lua::server_endpoint`]), for a client
/// of one server (directly or through Sentinel); `None` for a cluster, or if `INFO` fails.
async fn server_endpoint(client: &Client) -> Option<String> {
    if client.is_clustered() {
        return None;
    }
    let info = client.info::<String>(Some(InfoKind::Server)).await.ok()?;
    lock_lua::server_endpoint(&info)
}

impl FredBackend {
    /// Connects by URL: `redis://` or `rediss://` for a server, `redis-cluster://host:port?node=...`
    /// for a cluster, `redis-sentinel://host:port?node=...&sentinelServiceName=mymaster` for a
    /// Sentinel-managed master (see `fred::types::config::Config::from_url`). Commands time out
    /// after [`COMMAND_TIMEOUT`]; the client reconnects on its own, and is closed (`QUIT`) when
    /// the last clone of the backend is dropped.
    ///
    /// The backend's `endpoint` names the server itself (for a standalone server or a Sentinel
    /// master), by the `run_id` that `INFO server` reports once at connect time
    /// (`redis run_id=<id>`, whatever the address or database), so a Redlock [`crate::Quorum`]
    /// refuses one server twice however it was addressed. For a cluster, or if the user may not
    /// run `INFO`, it is the configured address. The same holds for
    /// [`FredBackend::connect_config`] and [`FredBackend::connect_pool`].
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
        Self::connect_config(Config::from_url(url).map_err(map)?).await
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
    pub async fn connect_config(config: Config) -> Result<Self, BackendError> {
        let client = builder(config).build().map_err(map)?;
        let task = client.init().await.map_err(map)?;
        let identity = server_endpoint(&client).await;
        let backend = Self::from_client(client).owning_its_clients(vec![task.abort_handle()]);
        Ok(backend.named(identity))
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
        let pool = builder(config).build_pool(size).map_err(map)?;
        // Each client on its own, so each connection task can be ended when the backend goes.
        let mut tasks = Vec::with_capacity(pool.size());
        for client in pool.clients() {
            tasks.push(client.init().await.map_err(map)?.abort_handle());
        }
        let identity = server_endpoint(pool.next()).await;
        Ok(Self::from_pool(pool).owning_its_clients(tasks).named(identity))
    }
}
