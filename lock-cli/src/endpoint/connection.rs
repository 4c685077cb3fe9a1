//! Opening connections: [`Connection`] (backend and lock manager for a `--url`), direct node
//! connections, and node addresses without credentials.

use std::time::Duration;

use lock_redis::redis::{self, ConnectionAddr, ConnectionInfo, RedisError};
use lock_redis::{KeyPrefix, LockManager, RedisBackend};

use super::Endpoint;

/// How long opening a direct connection to one node may take.
const NODE_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long one command on a direct node connection may take.
const NODE_REPLY_TIMEOUT: Duration = Duration::from_secs(2);

/// A live connection: the backend, a manager under `--prefix`, and where they point.
#[derive(Debug)]
pub(crate) struct Connection {
    /// The backend (for raw commands such as `TYPE` or `GET`).
    pub(crate) backend: RedisBackend,
    /// The manager every lock operation goes through, with the requested prefix.
    pub(crate) locks: LockManager,
    /// Where the backend is connected.
    pub(crate) endpoint: Endpoint,
}

impl Connection {
    /// Parses `url`, connects, and checks the server answers (so an unreachable server or a
    /// missing password is reported now, not at the first lock operation).
    pub(crate) async fn open(url: &str, prefix: &str) -> Result<Self, String> {
        let endpoint = Endpoint::parse(url)?;
        let prefix = KeyPrefix::new(prefix).map_err(|e| format!("bad --prefix: {e}"))?;
        let backend = match &endpoint {
            Endpoint::Standalone(info) => {
                let client = redis::Client::open((**info).clone())
                    .map_err(|e| endpoint.explain_redis(&e))?;
                RedisBackend::from_client(client).await
            }
            Endpoint::Cluster(nodes) => RedisBackend::connect_cluster(nodes.clone()).await,
        }
        .map_err(|e| endpoint.explain_backend(&e))?;
        backend.query(&redis::cmd("PING")).await.map_err(|e| endpoint.explain_backend(&e))?;
        let locks = LockManager::builder(backend.clone())
            .prefix(prefix.as_bytes())
            .build()
            .map_err(|e| format!("bad settings: {e}"))?;
        Ok(Self { backend, locks, endpoint })
    }

    /// Runs one command on the backend (routed by key on a cluster), errors explained.
    pub(crate) async fn query(&self, cmd: &redis::Cmd) -> Result<redis::Value, String> {
        self.backend.query(cmd).await.map_err(|e| self.endpoint.explain_backend(&e))
    }
}

/// A direct connection to one node (for commands that must reach every master, such as SCAN).
pub(crate) async fn node_connection(
    info: &ConnectionInfo,
) -> Result<redis::aio::MultiplexedConnection, RedisError> {
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(NODE_CONNECT_TIMEOUT))
        .set_response_timeout(Some(NODE_REPLY_TIMEOUT));
    redis::Client::open(info.clone())?.get_multiplexed_async_connection_with_config(&config).await
}

/// `host:port` or the socket path of a node, without credentials.
pub(crate) fn address(info: &ConnectionInfo) -> String {
    match info.addr() {
        ConnectionAddr::Tcp(host, port) | ConnectionAddr::TcpTls { host, port, .. } => {
            format!("{host}:{port}")
        }
        ConnectionAddr::Unix(path) => path.display().to_string(),
        other => other.to_string(),
    }
}
