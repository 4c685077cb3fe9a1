//! Following the master of a Sentinel-managed deployment.

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use futures_util::StreamExt;

use redis::aio::MultiplexedConnection;
use redis::sentinel::SentinelClient;
use redis::{AsyncConnectionConfig, ErrorKind, RedisError, RedisResult, ServerErrorKind};

use crate::commands::connection_lost;

/// How long asking the sentinels where the master is (each answer checked with `ROLE` on the
/// master it names) may take.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(2);

/// The settings of connections to the master: those of [`crate::manager_config`] (connect
/// timeout 1 s, reply timeout 500 ms).
fn connection_config() -> AsyncConnectionConfig {
    AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(1)))
        .set_response_timeout(Some(crate::REPLY_TIMEOUT))
}

/// Asks the sentinels where the master is. Shared by the command side and the subscriber.
pub(crate) struct Resolver {
    client: tokio::sync::Mutex<SentinelClient>,
}

impl Resolver {
    pub(crate) fn new(client: SentinelClient) -> Self {
        Self { client: tokio::sync::Mutex::new(client) }
    }

    /// A client for the current master: the first sentinel (in the configured order) that
    /// names a master which confirms it with `ROLE` wins. Bounded by [`RESOLVE_TIMEOUT`].
    pub(crate) async fn master(&self) -> RedisResult<redis::Client> {
        let lookup = async { self.client.lock().await.async_get_client().await };
        match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
            Ok(found) => found,
            Err(_) => Err(RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the sentinels did not name a master within {RESOLVE_TIMEOUT:?}"),
            ))),
        }
    }

    /// A client for a sentinel that answers as one.
    async fn sentinel(&self) -> RedisResult<redis::Client> {
        let lookup = async { self.client.lock().await.async_get_sentinel_client().await };
        match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
            Ok(found) => found,
            Err(_) => Err(RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "no sentinel answered in time",
            ))),
        }
    }

    /// A connection to the current master, and its client.
    pub(crate) async fn connect(&self) -> RedisResult<(redis::Client, MultiplexedConnection)> {
        let client = self.master().await?;
        let connection =
            client.get_multiplexed_async_connection_with_config(&connection_config()).await?;
        Ok((client, connection))
    }
}

/// The connection commands use right now.
#[derive(Clone)]
struct Current {
    /// Bumped at each switch, so concurrent failures switch once.
    generation: u64,
    address: String,
    connection: MultiplexedConnection,
}

/// Commands to the master of a Sentinel-managed deployment. When a command fails in a way
/// that says the connection no longer reaches a master ([`moved`]: the connection dropped or
/// was refused, `READONLY` or `MASTERDOWN` from a demoted master, or no reply in time), the
/// sentinels are asked where the master is now ([`SentinelMaster::switch`]), and the command
/// runs once more on a connection to it (`on_master!` in `commands.rs`).
///
/// A background task also listens to the sentinels' `+switch-master` announcements and moves
/// to the new master as soon as one is made, while the old master may still take writes (after
/// `SENTINEL FAILOVER`, or a partition, the sentinels turn it into a replica only seconds
/// later, and it then drops what it took). Each switch is announced on
/// [`SentinelMaster::switches`], which ends the subscriber connection so waiters subscribe
/// again on the new master.
pub(crate) struct SentinelMaster {
    resolver: Arc<Resolver>,
    current: Mutex<Current>,
    switching: tokio::sync::Mutex<()>,
    switched: tokio::sync::watch::Sender<u64>,
    listener: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Drop for SentinelMaster {
    fn drop(&mut self) {
        if let Some(listener) = self.listener.get_mut().unwrap_or_else(|e| e.into_inner()).take() {
            listener.abort();
        }
    }
}

/// How long the announcement listener waits before connecting to a sentinel again.
const LISTEN_RETRY: Duration = Duration::from_secs(1);

/// Listens to `+switch-master` on one sentinel after another, for as long as `master` lives;
/// after each (re)subscription, and at each announcement, checks where the master is.
async fn listen(master: Weak<SentinelMaster>, resolver: Arc<Resolver>) {
    loop {
        match resolver.sentinel().await {
            Ok(sentinel) => match sentinel.get_async_pubsub().await {
                Ok(mut pubsub) => {
                    if pubsub.subscribe("+switch-master").await.is_ok() {
                        // A switch announced while no listener was subscribed.
                        match master.upgrade() {
                            Some(master) => master.refresh().await,
                            None => return,
                        }
                        let mut messages = pubsub.into_on_message();
                        while let Some(message) = messages.next().await {
                            tracing::debug!(
                                announcement = %String::from_utf8_lossy(message.get_payload_bytes()),
                                "+switch-master"
                            );
                            match master.upgrade() {
                                Some(master) => master.refresh().await,
                                None => return,
                            }
                        }
                    }
                }
                Err(e) => tracing::debug!(error = %e, "cannot subscribe to a sentinel"),
            },
            Err(e) => tracing::debug!(error = %e, "no sentinel to listen to"),
        }
        if master.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(LISTEN_RETRY).await;
    }
}

/// Whether `e` may mean the connection no longer reaches the master.
pub(crate) fn moved(e: &RedisError) -> bool {
    connection_lost(e)
        || e.is_timeout()
        || matches!(
            e.kind(),
            ErrorKind::Server(ServerErrorKind::ReadOnly | ServerErrorKind::MasterDown)
        )
}

impl SentinelMaster {
    pub(crate) fn new(
        resolver: Arc<Resolver>,
        client: &redis::Client,
        connection: MultiplexedConnection,
    ) -> Self {
        let address = crate::constructors::endpoint(client.get_connection_info());
        Self {
            resolver,
            current: Mutex::new(Current { generation: 0, address, connection }),
            switching: tokio::sync::Mutex::new(()),
            switched: tokio::sync::watch::Sender::new(0),
            listener: Mutex::new(None),
        }
    }

    /// Starts listening to the sentinels' announcements (on the current tokio runtime), until
    /// the last reference to `master` is dropped.
    pub(crate) fn listen(master: &Arc<Self>) {
        let task = tokio::spawn(listen(Arc::downgrade(master), master.resolver.clone()));
        *master.listener.lock().unwrap_or_else(|e| e.into_inner()) = Some(task.abort_handle());
    }

    /// Changes (to the new generation) at each switch to another connection.
    pub(crate) fn switches(&self) -> tokio::sync::watch::Receiver<u64> {
        self.switched.subscribe()
    }

    /// Asks the sentinels where the master is, and moves there if it is elsewhere.
    async fn refresh(&self) {
        let generation = self.current().generation;
        self.replace(generation, false).await;
    }

    fn current(&self) -> MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection to the master, and its generation (for [`SentinelMaster::switch`]).
    pub(crate) fn connection(&self) -> (u64, MultiplexedConnection) {
        let current = self.current();
        (current.generation, current.connection.clone())
    }

    /// After `error` on the connection of `generation`: the connection to try again on, if
    /// there is a better one. A connection that broke or answers as a replica is replaced even
    /// when the sentinels still name the same address; after a timeout, only a master
    /// elsewhere replaces it.
    pub(crate) async fn switch(
        &self,
        generation: u64,
        error: &RedisError,
    ) -> Option<MultiplexedConnection> {
        // A connection that broke or answers as a replica must go even if the sentinels still
        // name the same address.
        self.replace(generation, !error.is_timeout()).await
    }

    /// Replaces the connection of `generation` by one to the master the sentinels name, if it
    /// is elsewhere, or whatever it is when `even_if_same`; returns the connection to use.
    async fn replace(&self, generation: u64, even_if_same: bool) -> Option<MultiplexedConnection> {
        let _one_at_a_time = self.switching.lock().await;
        let address = {
            let current = self.current();
            if current.generation != generation {
                // Another call switched while this one waited.
                return Some(current.connection.clone());
            }
            current.address.clone()
        };
        let client = match self.resolver.master().await {
            Ok(client) => client,
            Err(e) => {
                tracing::debug!(error = %e, "no master from the sentinels yet");
                return None;
            }
        };
        let found = crate::constructors::endpoint(client.get_connection_info());
        if found == address && !even_if_same {
            return None;
        }
        let connection =
            match client.get_multiplexed_async_connection_with_config(&connection_config()).await {
                Ok(connection) => connection,
                Err(e) => {
                    tracing::debug!(error = %e, master = %found, "cannot connect to the master");
                    return None;
                }
            };
        if found != address {
            tracing::info!(from = %address, to = %found, "following the Sentinel master");
        }
        {
            let mut current = self.current();
            *current = Current {
                generation: generation + 1,
                address: found,
                connection: connection.clone(),
            };
        }
        self.switched.send_replace(generation + 1);
        Some(connection)
    }
}
