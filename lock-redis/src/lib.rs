//! Distributed locks in Redis over the [`redis`] crate.
//!
//! [`RedisBackend`] implements `lock_core::LockBackend`; hand it to a [`LockManager`]. This
//! crate re-exports `redis` and the whole `lock-core` API, so it is the only dependency you need.
//!
//! ```no_run
//! use std::time::Duration;
//! use lock_redis::{LockManager, RedisBackend};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), lock_redis::Error> {
//! let locks = LockManager::new(RedisBackend::connect("redis://127.0.0.1:6379/").await?);
//! let report = locks
//!     .lock("reports:daily")
//!     .wait(Duration::from_secs(5))
//!     .auto_refresh()
//!     .run(|lock| async move {
//!         // Long work: the lock is extended in the background; if it is lost anyway, this
//!         // future is dropped and `run` returns `Error::Lost`.
//!         Ok::<_, lock_redis::Error>(format!("built under fencing token {:?}", lock.fencing_token()))
//!     })
//!     .await?;
//! println!("{report}");
//! # Ok(())
//! # }
//! ```
//!
//! # Constructors
//!
//! | from | constructor | release notification |
//! |---|---|---|
//! | a URL | [`RedisBackend::connect`] | yes |
//! | a `redis::Client` | [`RedisBackend::from_client`] | yes |
//! | a `ConnectionManager` | [`RedisBackend::from_connection_manager`] | with [`RedisBackend::with_notifications`] |
//! | a `MultiplexedConnection` | [`RedisBackend::from_multiplexed`] | with [`RedisBackend::with_notifications`] |
//! | a `deadpool_redis::Pool` | [`RedisBackend::from_pool`] / [`RedisBackend::connect_pooled`] | with a client / yes |
//! | cluster nodes | [`RedisBackend::connect_cluster`] (feature `cluster`) | yes, sharded |
//! | a `ClusterConnection` | [`RedisBackend::from_cluster_connection`] | with [`RedisBackend::with_cluster_notifications`] |
//! | sentinels and a master name, or a `redis+sentinel://` URL | [`RedisBackend::connect_sentinel`] / [`RedisBackend::connect`] (feature `sentinel`) | yes, on the current master |
//! | a `redis::sentinel::SentinelClient` | [`RedisBackend::from_sentinel_client`] (feature `sentinel`) | yes, on the current master |
//!
//! # Features
//!
//! All off by default: a standalone server through `ConnectionManager` needs none of them.
//!
//! - `deadpool`: [`RedisBackend::from_pool`] and [`RedisBackend::connect_pooled`].
//! - `cluster`: Redis Cluster.
//! - `sentinel`: Sentinel-managed masters, followed on failover by commands and
//!   release notification (see [`RedisBackend::connect_sentinel`]).
//! - `tls-rustls`: `rediss://` through rustls with its ring crypto provider (no system OpenSSL
//!   needed; `redis`'s features `tls-rustls` and `tokio-rustls-comp`). A private CA goes in
//!   through `redis::Client::build_with_tls` (see [`RedisBackend::from_client`]).
//!
//! Every backend issues fencing tokens unless built [`RedisBackend::without_fencing`].
//! What is stored, and how it interoperates with other clients, is described in `lock-redis-protocol`.
//!
//! # Eviction
//!
//! Redis under any `maxmemory-policy` but `noeviction` may evict a held lock when memory is full
//! (`volatile-*` policies too: every lock key has an expiry), and another client then takes it.
//! The constructors that connect ([`RedisBackend::connect`], [`RedisBackend::from_client`],
//! [`RedisBackend::connect_cluster`]) read the policy from the `INFO` reply they fetch at
//! connect and log one `tracing` warning when it is unsafe; their `_with` forms take
//! [`ConnectOptions`], whose [`EvictionCheck::Refuse`] turns the warning into a
//! [`BackendErrorKind::Config`] error. [`RedisBackend::eviction_policy`] shows what was found
//! (`None` when the ACL refuses `INFO`: the check then passes quietly).
//!
//! ```no_run
//! use lock_redis::{BackendErrorKind, ConnectOptions, EvictionCheck, RedisBackend};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let options = ConnectOptions::new().eviction(EvictionCheck::Refuse);
//! match RedisBackend::connect_with("redis://127.0.0.1:6379/", options).await {
//!     Ok(backend) => println!("maxmemory-policy: {:?}", backend.eviction_policy()),
//!     Err(e) if e.kind() == BackendErrorKind::Config => eprintln!("unsafe server: {e}"),
//!     Err(e) => eprintln!("cannot connect: {e}"),
//! }
//! # }
//! ```
// docs.rs (nightly, `--cfg docsrs`) marks each item with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings))))]

mod backend;
mod commands;
mod constructors;
mod errors;
mod notify;
#[cfg(feature = "sentinel")]
mod sentinel;

pub use backend::RedisBackend;
pub use constructors::{REPLY_TIMEOUT, manager_config};
// The lock API, named item by item so that a new item in lock-core is not silently part of
// this crate's API; everything else is under `lock_core`.
pub use lock_core::prelude::*;
pub use lock_core::{self, Error, Result, limits};
pub use lock_redis_protocol::{ConnectOptions, EvictionCheck, KeyspaceEvents, hash_slot};
pub use redis;

/// The backend's name in errors and [`lock_core::backend::BackendInfo`].
pub const BACKEND: &str = "redis";
