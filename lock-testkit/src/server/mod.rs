//! Real `redis-server` processes for tests: standalone, cluster and Sentinel, on free loopback
//! ports, with fault controls (pause, kill, restart) and an admin connection.
//!
//! The binary comes from `LOCK_TEST_REDIS_SERVER` or `PATH`; `LOCK_TEST_REDIS_URL` points the
//! standalone suites at an existing server instead. Without either, tests print what to install
//! and skip, unless `LOCK_TEST_REQUIRE_REDIS=1` (set by CI) makes that a failure.

mod admin;
mod binary;
mod cluster;
mod options;
mod process;
mod replica;
mod sentinel;
mod shared;
mod standalone;
#[cfg(feature = "tls")]
mod tls;

pub use crate::resp::{RespValue, decode};
pub use admin::AdminConn;
pub use binary::{
    CLI_BIN_ENV, EXTERNAL_URL_ENV, INSTALL_HINT, REQUIRE_ENV, SERVER_BIN_ENV, cli_binary,
    external_url, redis_available, redis_required, server_binary,
};
pub use cluster::RedisCluster;
pub use options::{AclUser, ServerOptions};
pub use replica::ReplicaPair;
pub use sentinel::{RedisSentinel, SENTINEL_SERVICE};
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub use shared::shared_tls_server;
pub use shared::{shared_cluster, shared_sentinel, shared_server, standalone_url};
pub use standalone::{RedisServer, ServerBuilder};
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub use tls::TestCerts;
