//! What a Redis client must provide for release notification.

use std::pin::Pin;

use async_trait::async_trait;
use futures_util::Stream;
use lock_core::BackendError;

/// The command side of a dedicated subscriber connection.
#[async_trait]
pub trait SubscriberLink: Send + Sync + 'static {
    /// Subscribes to `channel`; returns once the server confirmed it.
    async fn subscribe(&self, channel: &[u8]) -> Result<(), BackendError>;
    /// Unsubscribes from `channel`.
    async fn unsubscribe(&self, channel: &[u8]) -> Result<(), BackendError>;
    /// Closes the connection (called when the hub stops).
    async fn close(&self) {}
}

/// What arrives on a subscriber connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubscriberEvent {
    /// A message on `channel`.
    Message(Vec<u8>),
    /// The connection dropped and came back with its subscriptions restored by the client
    /// library; messages in between may be lost, so every waiter is woken.
    Resynced,
}

/// The event side of a subscriber connection; it ends when the connection is gone for good
/// (the hub then wakes every waiter and opens a new connection when next needed).
pub type SubscriberEvents = Pin<Box<dyn Stream<Item = SubscriberEvent> + Send>>;

/// Opens subscriber connections.
#[async_trait]
pub trait SubscriberFactory: Send + Sync + 'static {
    /// Opens one.
    async fn connect(&self) -> Result<(Box<dyn SubscriberLink>, SubscriberEvents), BackendError>;
}
