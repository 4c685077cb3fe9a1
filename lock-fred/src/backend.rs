//! `FredBackend`: the `LockBackend` over the `fred` crate.

use std::fmt;
use std::sync::Arc;

use fred::clients::Client;
use fred::interfaces::ClientLike;
use fred::types::config::{Config, Server, ServerConfig};
use lock_redis_protocol::{Publish, ReleaseHub, ScriptBackend};
use tokio::task::AbortHandle;

use crate::BACKEND;
use crate::commands::Commands;
use crate::notify::FredSubscriber;

/// Locks in Redis through the `fred` crate: one non-generic type over a client or a pool, for
/// standalone servers, Redis Cluster and Sentinel alike, usable as `Arc<dyn LockBackend>`. Cheap
/// to clone.
///
/// Every primitive is one `EVALSHA` round trip (`SCRIPT LOAD`ed on `NOSCRIPT`, on every primary
/// of a cluster, pools included). Capabilities: fencing tokens (unless
/// [`FredBackend::without_fencing`]) and release notification through a `SubscriberClient` built
/// from the command client's configuration, so it follows the same cluster or Sentinel master;
/// on a cluster it uses sharded pub/sub.
///
/// A known gap on a cluster: when a lock's slot moves to another node, the old node drops the
/// subscription and says so with an unsolicited `sunsubscribe`, which fred 10.1 discards without
/// telling its user. Until every watch of that lock has ended (the next one then subscribes on
/// the new owner), its waiters are not woken by releases and fall back to their retry backoff
/// and the holder's ttl. lock-redis sees the push and resubscribes at once.
///
/// ```no_run
/// use std::time::Duration;
/// use lock_fred::{FredBackend, LockManager};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), lock_fred::Error> {
/// let locks = LockManager::new(FredBackend::connect("redis://127.0.0.1:6379").await?);
/// let guard = locks.lock("jobs:42").wait(Duration::from_secs(5)).acquire().await?;
/// guard.release().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct FredBackend {
    inner: Arc<ScriptBackend<Commands>>,
    /// Clients this crate created, quit when the last clone of the backend is dropped.
    owned: Option<Arc<QuitOnDrop>>,
}

/// Closes the clients it holds when dropped: QUIT (on the current runtime, bounded by the
/// command timeout), then the clients' connection task is ended in any case. fred sends QUIT
/// only once every reply in flight has arrived, with no timeout, so after a lost reply QUIT
/// alone would leave the connection open for ever.
struct QuitOnDrop {
    commands: Commands,
    /// The tasks `init` returned, which own the connections.
    connections: Vec<AbortHandle>,
}

impl Drop for QuitOnDrop {
    fn drop(&mut self) {
        let connections = std::mem::take(&mut self.connections);
        let abort = move || connections.iter().for_each(AbortHandle::abort);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            abort();
            return;
        };
        let commands = self.commands.clone();
        runtime.spawn(async move {
            let quit = async {
                let _ = match &commands {
                    Commands::Client(client) => client.quit().await,
                    Commands::Pool(pool) => pool.quit().await,
                };
            };
            let _ = tokio::time::timeout(crate::COMMAND_TIMEOUT, quit).await;
            abort();
        });
    }
}

impl FredBackend {
    /// Wraps `commands`, with notifications through a subscriber built like `like`.
    pub(crate) fn assemble(commands: Commands, like: &Client) -> Self {
        let sharded = like.client_config().server.is_clustered();
        let subscriber = FredSubscriber {
            config: like.client_config(),
            performance: like.perf_config(),
            connection: like.connection_config().clone(),
            policy: like.client_reconnect_policy(),
            sharded,
        };
        let publish = if sharded { Publish::Sharded } else { Publish::Classic };
        let command_timeout = like.perf_config().default_command_timeout;
        let backend = ScriptBackend::new(BACKEND, commands)
            .with_endpoint(endpoint(&like.client_config()))
            .with_notifications(ReleaseHub::new(BACKEND, subscriber), publish);
        let backend = match command_timeout.is_zero() {
            true => backend,
            false => backend.with_reply_timeout(command_timeout),
        };
        Self { inner: Arc::new(backend), owned: None }
    }

    /// Makes the backend quit its clients once the last clone is dropped (for clients this
    /// crate created; users' own clients are left alone).
    pub(crate) fn owning_its_clients(mut self, connections: Vec<AbortHandle>) -> Self {
        let commands = self.inner.runner().clone();
        self.owned = Some(Arc::new(QuitOnDrop { commands, connections }));
        self
    }

    /// Replaces the endpoint with `identity`, when there is one.
    pub(crate) fn named(self, identity: Option<String>) -> Self {
        let Some(identity) = identity else { return self };
        let inner = Arc::unwrap_or_clone(self.inner).with_endpoint(identity);
        Self { inner: Arc::new(inner), ..self }
    }

    /// Wakes waiters on the keyspace events of database `db` too, when it is `Some`.
    pub(crate) fn with_keyspace(self, db: Option<i64>) -> Self {
        let Some(db) = db else { return self };
        let inner = Arc::unwrap_or_clone(self.inner).with_keyspace_events(db);
        Self { inner: Arc::new(inner), ..self }
    }

    /// Records the `maxmemory-policy` read at connect.
    pub(crate) fn with_eviction_policy(self, policy: Option<String>) -> Self {
        let inner = Arc::unwrap_or_clone(self.inner).with_eviction_policy(policy);
        Self { inner: Arc::new(inner), ..self }
    }

    /// A client of the backend (the next one of a pool), for tools that inspect the server next
    /// to the locks and for tests. It is not part of locking: the manager's call timeout and
    /// ordering do not apply to what you send through it, and writing lock keys, counters or
    /// channels breaks the promises of SAFETY.md.
    pub fn client(&self) -> &Client {
        self.inner.runner().client()
    }

    /// How many lock channels have waiters subscribed right now.
    pub fn subscribed_channels(&self) -> usize {
        self.inner.notifications().map_or(0, |(hub, _)| hub.channels())
    }
}

/// Where a client goes, without credentials.
fn endpoint(config: &Config) -> String {
    let addrs = |hosts: &[Server]| {
        let mut addrs: Vec<String> =
            hosts.iter().map(|h| format!("{}:{}", h.host, h.port)).collect();
        addrs.sort();
        addrs.join(",")
    };
    let db = config.database.unwrap_or(0);
    match &config.server {
        ServerConfig::Centralized { server } => {
            format!("redis://{}:{}/{db}", server.host, server.port)
        }
        ServerConfig::Clustered { hosts, .. } => format!("redis-cluster://{}", addrs(hosts)),
        ServerConfig::Sentinel { hosts, service_name, .. } => {
            format!("redis-sentinel://{}/{service_name}/{db}", addrs(hosts))
        }
        #[allow(unreachable_patterns)]
        _ => "redis://(unknown)".to_owned(),
    }
}

impl fmt::Debug for FredBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FredBackend").field(&self.inner).finish()
    }
}

lock_redis_protocol::delegate_lock_backend!(FredBackend => inner);
lock_redis_protocol::redis_backend_settings!(FredBackend => inner, "[`crate::COMMAND_TIMEOUT`]");
