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
//! | a URL (`redis://`, `redis-cluster://`, `redis-sentinel://` with feature `sentinel`) | [`FredBackend::connect`] |
//! | a fred `Config` (centralized, clustered, sentinel) | [`FredBackend::connect_config`] |
//! | a connected `fred::clients::Client` | [`FredBackend::from_client`] |
//! | a connected `fred::clients::Pool` | [`FredBackend::from_pool`] / [`FredBackend::connect_pool`] |
//!
//! All of them issue fencing tokens (unless [`FredBackend::without_fencing`]) and offer release
//! notification (sharded pub/sub on a cluster). What is stored, and how it interoperates with
//! other clients, is described in `lock-redis-protocol`.
//!
//! # Features
//!
//! - `tls-rustls`: `rediss://` through rustls with its ring crypto provider (fred's
//!   `enable-rustls-ring`; no system OpenSSL needed). A private CA goes in through
//!   `Config::tls` (see [`FredBackend::connect_config`]).
//!
//! # Eviction
//!
//! Redis under any `maxmemory-policy` but `noeviction` may evict a held lock when memory is full
//! (`volatile-*` policies too: every lock key has an expiry), and another client then takes it.
//! The constructors that connect ([`FredBackend::connect`], [`FredBackend::connect_config`],
//! [`FredBackend::connect_pool`]) read the policy from the `INFO` reply they fetch at connect
//! (every primary's on a cluster) and log one `tracing` warning when it is unsafe; their `_with`
//! forms take [`ConnectOptions`], whose [`EvictionCheck::Refuse`] turns the warning into a
//! [`BackendErrorKind::Config`] error. [`FredBackend::eviction_policy`] shows what was found
//! (`None` when the ACL refuses `INFO`: the check then passes quietly).
//!
//! ```no_run
//! use lock_fred::{BackendErrorKind, ConnectOptions, EvictionCheck, FredBackend};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let options = ConnectOptions::new().eviction(EvictionCheck::Refuse);
//! match FredBackend::connect_with("redis://127.0.0.1:6379", options).await {
//!     Ok(backend) => println!("maxmemory-policy: {:?}", backend.eviction_policy()),
//!     Err(e) if e.kind() == BackendErrorKind::Config => eprintln!("unsafe server: {e}"),
//!     Err(e) => eprintln!("cannot connect: {e}"),
//! }
//! # }
//! ```
#![doc(test(attr(deny(warnings))))]

mod backend;
mod commands;
mod constructors;
mod errors;
mod notify;

pub use backend::FredBackend;
pub use constructors::{COMMAND_TIMEOUT, builder};
pub use fred;
// The lock API, named item by item so that a new item in lock-core is not silently part of
// this crate's API; everything else is under `lock_core`.
pub use lock_core::prelude::*;
pub use lock_core::{self, Error, Result, limits};
pub use lock_redis_protocol::{ConnectOptions, EvictionCheck, KeyspaceEvents, hash_slot};

/// The backend's name in errors and [`lock_core::backend::BackendInfo`].
pub const BACKEND: &str = "fred";
