//! Distributed locks in Redis over the [`fred`] crate: standalone, cluster and Sentinel.
//!
//! [`FredBackend`] implements `lock_core::LockBackend`; hand it to a [`LockManager`]. This crate
//! re-exports `fred` and the whole `lock-core` API, so it is the only dependency you need.
//!
//! ```no_run
//! use std::time::Duration;
//! use lock_fred::{FredBackend, LockManager};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), lock_fred::Error> {
//! let locks = LockManager::new(FredBackend::connect("redis://127.0.0.1:6379").await?);
//! if let Some(guard) = locks.try_lock("invoices:7", Duration::from_secs(10)).await? {
//!     println!("fencing token {:?}", guard.fencing_token());
//!     guard.release().await?;
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Constructors
//!
//! | from | constructor |
//! |---|---|
//! | a URL (`redis://`, `redis-cluster://`, `redis-sentinel://`) | [`FredBackend::connect`] |
//! | a fred `Config` (centralized, clustered, sentinel) | [`FredBackend::connect_config`] |
//! | a connected `fred::clients::Client` | [`FredBackend::from_client`] |
//! | a connected `fred::clients::Pool` | [`FredBackend::from_pool`] / [`FredBackend::connect_pool`] |
//!
//! All of them issue fencing tokens (unless [`FredBackend::without_fencing`]) and offer release
//! notification (sharded pub/sub on a cluster). What is stored, and how it interoperates with
//! other clients, is described in `lock-lua`.
#![doc(test(attr(deny(warnings))))]

mod backend;
mod commands;
mod constructors;
mod errors;
mod notify;

pub use backend::FredBackend;
pub use constructors::{COMMAND_TIMEOUT, builder};
pub use fred;
pub use lock_core::*;

/// The backend's name in errors and [`BackendInfo`].
pub const BACKEND: &str = "fred";
