//! Release notification through a fred `SubscriberClient`.

use fred::clients::SubscriberClient;
use fred::interfaces::{ClientLike, EventInterface, PubsubInterface};
use fred::types::config::{Config, ConnectionConfig, PerformanceConfig, ReconnectPolicy};
use lock_core::{BackendError, backend::async_trait};
use lock_redis_protocol::{SubscriberEvent, SubscriberEvents, SubscriberFactory, SubscriberLink};
use tokio::sync::broadcast::error::RecvError;
use tokio::task::AbortHandle;

use crate::COMMAND_TIMEOUT;
use crate::errors::map;

/// Builds a `SubscriberClient` like the command client (same servers, Sentinel or cluster
/// routing, credentials and reconnect policy).
///
/// fred drops every unsubscribe-type frame it did not ask for (`check_pubsub_message`: "Dropping
/// unused subscription response"), including the `sunsubscribe` a cluster node sends when it
/// gives up a slot, so a subscription lost to a slot migration cannot be noticed here (see
/// `FredBackend`).
pub(crate) struct FredSubscriber {
    pub(crate) config: Config,
    pub(crate) performance: PerformanceConfig,
    pub(crate) connection: ConnectionConfig,
    pub(crate) policy: Option<ReconnectPolicy>,
    /// `SSUBSCRIBE` (cluster) rather than `SUBSCRIBE`.
    pub(crate) sharded: bool,
}

struct FredLink {
    client: SubscriberClient,
    sharded: bool,
    /// The client's routing task (which owns its connections) and its resubscriber.
    tasks: [AbortHandle; 2],
}

impl FredLink {
    /// Ends the client's tasks, dropping its connection (and so its subscriptions) at once.
    fn abort(&self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A link the hub let go of must not keep its connection (see `close`), even if `close` was not
/// awaited to the end.
impl Drop for FredLink {
    fn drop(&mut self) {
        self.abort();
    }
}

fn channel(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[async_trait]
impl SubscriberLink for FredLink {
    async fn subscribe(&self, name: &[u8]) -> Result<(), BackendError> {
        if self.sharded {
            return self.client.ssubscribe(channel(name)).await.map_err(map);
        }
        self.client.subscribe(channel(name)).await.map_err(map)?;
        // fred can resolve SUBSCRIBE before the server has processed it (measured: 5 to 77 of
        // 300 publishes right after it found no subscriber). A PING on the same connection is
        // answered only after the SUBSCRIBE before it, so once it returns the watch is live.
        self.client.ping::<()>(None).await.map_err(map)
    }

    async fn unsubscribe(&self, name: &[u8]) -> Result<(), BackendError> {
        let result = if self.sharded {
            self.client.sunsubscribe(channel(name)).await
        } else {
            self.client.unsubscribe(channel(name)).await
        };
        result.map_err(map)
    }

    async fn close(&self) {
        // fred writes QUIT only once every reply in flight has arrived, and waits for them
        // without a timeout: after a reply was lost (a blackholed PING barrier, say) `quit`
        // times out while the routing task keeps the connection, and the subscriptions on it,
        // open for ever. So QUIT is a courtesy, and the tasks are ended in any case.
        let _ = tokio::time::timeout(COMMAND_TIMEOUT, self.client.quit()).await;
        self.abort();
    }
}

#[async_trait]
impl SubscriberFactory for FredSubscriber {
    async fn connect(&self) -> Result<(Box<dyn SubscriberLink>, SubscriberEvents), BackendError> {
        // One attempt per command: fred re-sends a retried SUBSCRIBE without its arguments.
        // A failed subscribe makes the hub open a new client instead.
        let mut connection = self.connection.clone();
        connection.max_command_attempts = 1;
        let client = SubscriberClient::new(
            self.config.clone(),
            Some(self.performance.clone()),
            Some(connection),
            self.policy.clone(),
        );
        let connection = client.init().await.map_err(map)?;
        // Resubscribe after reconnects and failovers; waiters are woken then (below).
        let resubscriber = client.manage_subscriptions();
        let receivers = (client.message_rx(), client.keyspace_event_rx(), client.reconnect_rx());
        let events = futures_util::stream::unfold(receivers, |mut rx| async move {
            let (messages, keyspace, reconnects) = &mut rx;
            let event = tokio::select! {
                message = messages.recv() => match message {
                    Ok(m) => Some(SubscriberEvent::Message(m.channel.as_bytes().to_vec())),
                    Err(RecvError::Lagged(_)) => Some(SubscriberEvent::Resynced),
                    Err(RecvError::Closed) => return None,
                },
                // fred hands keyspace notifications over apart from other messages.
                event = keyspace.recv() => match event {
                    Ok(e) => {
                        let mut channel = format!("__keyspace@{}__:", e.db).into_bytes();
                        channel.extend_from_slice(e.key.as_bytes());
                        lock_redis_protocol::keyspace::wakes(&channel, e.operation.as_bytes())
                            .then_some(SubscriberEvent::Message(channel))
                    }
                    Err(RecvError::Lagged(_)) => Some(SubscriberEvent::Resynced),
                    Err(RecvError::Closed) => return None,
                },
                reconnect = reconnects.recv() => match reconnect {
                    Ok(_) | Err(RecvError::Lagged(_)) => Some(SubscriberEvent::Resynced),
                    Err(RecvError::Closed) => return None,
                },
            };
            Some((event, rx))
        });
        let events = futures_util::StreamExt::filter_map(events, futures_util::future::ready);
        let tasks = [connection.abort_handle(), resubscriber.abort_handle()];
        Ok((Box::new(FredLink { client, sharded: self.sharded, tasks }), Box::pin(events)))
    }
}
