//! A TCP fault-injection proxy to put between a Redis client and a real `redis-server`.
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use std::time::Duration;
//!
//! use lock_testkit::proxy::FaultProxy;
//! use lock_testkit::server::RedisServer;
//!
//! # #[tokio::main]
//! # async fn main() -> std::io::Result<()> {
//! let server = RedisServer::spawn()?;
//! let proxy = FaultProxy::start(SocketAddr::from(([127, 0, 0, 1], server.port()))).await?;
//! println!("point the client under test at {}", proxy.url());
//!
//! proxy.set_latency(Duration::from_millis(100)); // every round trip now takes ≥ 200 ms
//! proxy.blackhole(true); // commands vanish, clients time out
//! proxy.drop_reply_to_command(1); // the next command is applied, its reply lost
//! proxy.heal(); // back to a plain proxy
//! proxy.cut_all(); // and close every connection
//! # Ok(())
//! # }
//! ```
//!
//! [`FaultProxy`] forwards each accepted connection to its own upstream connection and applies
//! the faults switched on at the time bytes are read. To drop the reply to one command it counts
//! commands and replies with [`frame_len`], a RESP2/RESP3 frame splitter, and matches them by
//! order on each connection: that fault is meant for command connections, not subscribers.

mod commands;
mod connection;
mod fault_proxy;
mod faults;
mod pump;
mod registry;
mod replies;

pub use crate::resp::{FrameError, frame_len};
pub use fault_proxy::FaultProxy;
