//! Subscriber connections for release notification.

use futures_util::StreamExt;
use lock_core::BackendError;
use lock_core::async_trait;
use lock_lua::{SubscriberEvent, SubscriberEvents, SubscriberFactory, SubscriberLink};
use redis::aio::PubSubSink;

use crate::errors::map;

/// Classic pub/sub on a dedicated connection from a `redis::Client` (standalone servers).
pub(crate) struct ClassicSubscriber {
    pub(crate) client: redis::Client,
}

struct ClassicLink {
    sink: PubSubSink,
}

#[async_trait]
impl SubscriberLink for ClassicLink {
    async fn subscribe(&self, channel: &[u8]) -> Result<(), BackendError> {
        self.sink.clone().subscribe(channel).await.map_err(map)
    }

    async fn unsubscribe(&self, channel: &[u8]) -> Result<(), BackendError> {
        self.sink.clone().unsubscribe(channel).await.map_err(map)
    }
}

#[async_trait]
impl SubscriberFactory for ClassicSubscriber {
    async fn connect(&self) -> Result<(Box<dyn SubscriberLink>, SubscriberEvents), BackendError> {
        let (sink, stream) = self.client.get_async_pubsub().await.map_err(map)?.split();
        let events = stream.filter_map(|msg| async move {
            msg.get_channel::<Vec<u8>>().ok().map(SubscriberEvent::Message)
        });
        Ok((Box::new(ClassicLink { sink }), Box::pin(events)))
    }
}

/// Sharded pub/sub (`SSUBSCRIBE`) over a RESP3 cluster connection that routes each channel to
/// the shard owning its slot and resubscribes after reconnects.
#[cfg(feature = "cluster")]
pub(crate) struct ShardedSubscriber {
    pub(crate) nodes: Vec<redis::ConnectionInfo>,
}

#[cfg(feature = "cluster")]
struct ShardedLink {
    conn: redis::cluster_async::ClusterConnection,
}

#[cfg(feature = "cluster")]
#[async_trait]
impl SubscriberLink for ShardedLink {
    async fn subscribe(&self, channel: &[u8]) -> Result<(), BackendError> {
        self.conn.clone().ssubscribe(channel).await.map_err(map)
    }

    async fn unsubscribe(&self, channel: &[u8]) -> Result<(), BackendError> {
        self.conn.clone().sunsubscribe(channel).await.map_err(map)
    }
}

#[cfg(feature = "cluster")]
#[async_trait]
impl SubscriberFactory for ShardedSubscriber {
    async fn connect(&self) -> Result<(Box<dyn SubscriberLink>, SubscriberEvents), BackendError> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<redis::PushInfo>();
        let client = redis::cluster::ClusterClientBuilder::new(self.nodes.clone())
            .use_protocol(redis::ProtocolVersion::RESP3)
            .push_sender(tx)
            .build()
            .map_err(map)?;
        let conn = client.get_async_connection().await.map_err(map)?;
        let events = futures_util::stream::unfold(rx, |mut rx| async move {
            loop {
                let push = rx.recv().await?;
                let event = match push.kind {
                    redis::PushKind::SMessage | redis::PushKind::Message => {
                        redis::Msg::from_push_info(push)
                            .and_then(|m| m.get_channel::<Vec<u8>>().ok())
                            .map(SubscriberEvent::Message)
                    }
                    redis::PushKind::Disconnection => Some(SubscriberEvent::Resynced),
                    _ => None,
                };
                if let Some(event) = event {
                    return Some((event, rx));
                }
            }
        });
        Ok((Box::new(ShardedLink { conn }), Box::pin(events)))
    }
}
