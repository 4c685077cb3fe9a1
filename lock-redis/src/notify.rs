//! Subscriber connections for release notification.

use futures_util::StreamExt;
use lock_core::BackendError;
use lock_core::backend::async_trait;
use lock_redis_protocol::{SubscriberEvent, SubscriberEvents, SubscriberFactory, SubscriberLink};
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

/// A classic pub/sub connection from `client`.
async fn classic(
    client: &redis::Client,
) -> Result<(Box<dyn SubscriberLink>, SubscriberEvents), BackendError> {
    let (sink, stream) = client.get_async_pubsub().await.map_err(map)?.split();
    let events = stream.filter_map(|msg| async move {
        let channel = msg.get_channel::<Vec<u8>>().ok()?;
        lock_redis_protocol::keyspace::wakes(&channel, msg.get_payload_bytes())
            .then_some(SubscriberEvent::Message(channel))
    });
    Ok((Box::new(ClassicLink { sink }), Box::pin(events)))
}

#[async_trait]
impl SubscriberFactory for ClassicSubscriber {
    async fn connect(&self) -> Result<(Box<dyn SubscriberLink>, SubscriberEvents), BackendError> {
        classic(&self.client).await
    }
}

/// Classic pub/sub on the master of a Sentinel-managed deployment: each new subscriber
/// connection goes to wherever the sentinels say the master is. When a failover kills the old
/// master, or the commands move to a new one, the connection's events end, the hub wakes every
/// waiter, and the next watch subscribes on the new master.
#[cfg(feature = "sentinel")]
pub(crate) struct SentinelSubscriber {
    pub(crate) resolver: std::sync::Arc<crate::sentinel::Resolver>,
    /// Changes at each switch of the commands' master.
    pub(crate) switches: tokio::sync::watch::Receiver<u64>,
}

#[cfg(feature = "sentinel")]
#[async_trait]
impl SubscriberFactory for SentinelSubscriber {
    async fn connect(&self) -> Result<(Box<dyn SubscriberLink>, SubscriberEvents), BackendError> {
        let mut switches = self.switches.clone();
        switches.borrow_and_update();
        let client = self.resolver.master().await.map_err(map)?;
        let (link, events) = classic(&client).await?;
        let switched = async move {
            let _ = switches.changed().await;
        };
        Ok((link, Box::pin(events.take_until(switched))))
    }
}

/// Sharded pub/sub (`SSUBSCRIBE`) over a RESP3 cluster connection that routes each channel to
/// the shard owning its slot and resubscribes after reconnects. When a node drops a
/// subscription itself (it sends an unsolicited `sunsubscribe` when its slot moves to another
/// node), the event stream ends, so the hub wakes every waiter and subscribes again on a new
/// connection.
#[cfg(feature = "cluster")]
pub(crate) struct ShardedSubscriber {
    pub(crate) nodes: Vec<redis::ConnectionInfo>,
}

/// How many `sunsubscribe` confirmations of our own `SUNSUBSCRIBE`s are still to come, per
/// channel: any other `sunsubscribe` push is the server dropping a subscription.
#[cfg(feature = "cluster")]
type Expected = std::sync::Arc<std::sync::Mutex<Counts>>;

#[cfg(feature = "cluster")]
type Counts = std::collections::HashMap<Vec<u8>, usize>;

#[cfg(feature = "cluster")]
struct ShardedLink {
    conn: redis::cluster_async::ClusterConnection,
    expected: Expected,
}

#[cfg(feature = "cluster")]
fn expected(expected: &Expected) -> std::sync::MutexGuard<'_, Counts> {
    expected.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(feature = "cluster")]
#[async_trait]
impl SubscriberLink for ShardedLink {
    async fn subscribe(&self, channel: &[u8]) -> Result<(), BackendError> {
        self.conn.clone().ssubscribe(channel).await.map_err(map)
    }

    async fn unsubscribe(&self, channel: &[u8]) -> Result<(), BackendError> {
        // Counted before it is sent, so its confirmation always finds it. (If it fails, the hub
        // drops this link, counts and all.)
        *expected(&self.expected).entry(channel.to_vec()).or_default() += 1;
        self.conn.clone().sunsubscribe(channel).await.map_err(map)
    }
}

/// What a push on the sharded subscriber connection means for the hub.
#[cfg(feature = "cluster")]
enum Push {
    Event(SubscriberEvent),
    Nothing,
    /// The server dropped a subscription: a node gave up the channel's slot (a slot migration,
    /// or it became a replica). The client will not restore it, so the link must go.
    Dropped,
}

#[cfg(feature = "cluster")]
fn meaning(push: redis::PushInfo, expected: &Expected) -> Push {
    match push.kind {
        redis::PushKind::SMessage | redis::PushKind::Message => {
            match redis::Msg::from_push_info(push).and_then(|m| m.get_channel::<Vec<u8>>().ok()) {
                Some(channel) => Push::Event(SubscriberEvent::Message(channel)),
                None => Push::Nothing,
            }
        }
        redis::PushKind::Disconnection => Push::Event(SubscriberEvent::Resynced),
        redis::PushKind::SUnsubscribe => {
            let channel = match push.data.first() {
                Some(redis::Value::BulkString(channel)) => Some(channel.as_slice()),
                _ => None,
            };
            if confirms_our_own(expected, channel) {
                return Push::Nothing;
            }
            tracing::debug!(
                channel = %String::from_utf8_lossy(channel.unwrap_or_default()),
                "the server dropped a sharded subscription; resubscribing on a new connection"
            );
            Push::Dropped
        }
        _ => Push::Nothing,
    }
}

/// Whether a `sunsubscribe` push on `channel` confirms one of our own `SUNSUBSCRIBE`s (and
/// consumes that expectation) rather than reporting that the server dropped the subscription.
#[cfg(feature = "cluster")]
fn confirms_our_own(expected_by_us: &Expected, channel: Option<&[u8]>) -> bool {
    let Some(channel) = channel else { return true };
    let mut counts = expected(expected_by_us);
    match counts.get_mut(channel) {
        Some(n) if *n > 1 => {
            *n -= 1;
            true
        }
        Some(_) => {
            counts.remove(channel);
            true
        }
        None => false,
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
        let expected = Expected::default();
        let events =
            futures_util::stream::unfold((rx, expected.clone()), |(mut rx, expected)| async move {
                loop {
                    match meaning(rx.recv().await?, &expected) {
                        Push::Event(event) => return Some((event, (rx, expected))),
                        Push::Nothing => {}
                        // The hub wakes every waiter, drops this link, and the next watch
                        // subscribes on a new one, routed to the slot's new owner.
                        Push::Dropped => return None,
                    }
                }
            });
        Ok((Box::new(ShardedLink { conn, expected }), Box::pin(events)))
    }
}
