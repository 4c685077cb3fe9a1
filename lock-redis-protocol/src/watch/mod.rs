//! Release notification over Redis pub/sub, shared by the backends.

mod hub;
mod link;

pub use hub::ReleaseHub;
pub use link::{SubscriberEvent, SubscriberEvents, SubscriberFactory, SubscriberLink};
