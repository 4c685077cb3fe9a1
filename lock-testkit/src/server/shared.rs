//! Servers shared by every test of one test binary.

use std::sync::OnceLock;

use super::binary::{external_url, redis_available};
use super::cluster::RedisCluster;
use super::sentinel::RedisSentinel;
use super::standalone::RedisServer;

fn shared<T: Send + Sync>(
    cell: &'static OnceLock<Option<T>>,
    what: &str,
    start: fn() -> std::io::Result<T>,
) -> Option<&'static T> {
    cell.get_or_init(|| {
        if !redis_available() {
            return None;
        }
        match start() {
            Ok(server) => Some(server),
            Err(e) => panic!("could not start the shared {what}: {e}"),
        }
    })
    .as_ref()
}

/// The URL the standalone suites use: [`super::EXTERNAL_URL_ENV`] when set, otherwise a
/// `redis-server` started once for this test binary. `None` (after printing what to install)
/// when neither is available and Redis is not required.
pub fn standalone_url() -> Option<String> {
    if let Some(url) = external_url() {
        return Some(url);
    }
    shared_server().map(RedisServer::url)
}

/// A standalone server started once for this test binary (killed when the binary exits).
pub fn shared_server() -> Option<&'static RedisServer> {
    static SERVER: OnceLock<Option<RedisServer>> = OnceLock::new();
    shared(&SERVER, "redis-server", RedisServer::spawn)
}

/// A 3-master cluster started once for this test binary.
pub fn shared_cluster() -> Option<&'static RedisCluster> {
    static CLUSTER: OnceLock<Option<RedisCluster>> = OnceLock::new();
    shared(&CLUSTER, "Redis Cluster", || RedisCluster::spawn(3, 0))
}

/// A Sentinel deployment started once for this test binary.
pub fn shared_sentinel() -> Option<&'static RedisSentinel> {
    static SENTINEL: OnceLock<Option<RedisSentinel>> = OnceLock::new();
    shared(&SENTINEL, "Sentinel deployment", RedisSentinel::spawn)
}

/// A TLS-only server ([`super::ServerBuilder::tls`], certificates from
/// [`super::TestCerts::generate`]) started once for this test binary; its CA is
/// `shared_tls_server()?.tls_certs()`.
///
/// Needs the `tls` feature.
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub fn shared_tls_server() -> Option<&'static RedisServer> {
    static SERVER: OnceLock<Option<RedisServer>> = OnceLock::new();
    shared(&SERVER, "TLS redis-server", || {
        RedisServer::builder().tls(super::tls::TestCerts::generate()?).spawn()
    })
}
