//! The tests lock-redis and lock-fred share, written once: each is a generic function over
//! [`Client`], and [`client_tests!`] runs it against both crates (as `<module>::redis::<test>`
//! and `<module>::fred::<test>`). What differs between the two clients (how a backend is built
//! from a URL, a config, a pool or a TLS trust store) is answered by the [`Client`] impls here,
//! not by copies of the tests. Not published: it only holds tests.
//!
//! ```
//! use lock_client_tests::Client;
//! assert_eq!(<lock_redis::RedisBackend as Client>::NAME, "lock-redis");
//! ```

use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use futures_util::future::BoxFuture;
use lock_redis::{BackendError, ConnectOptions, LockBackend};

mod fred;
mod redis;

/// A way of building a backend, named for messages.
pub type Constructor<C> = (&'static str, BoxFuture<'static, Result<C, BackendError>>);

/// A client crate's backend, as the shared tests build and configure it.
pub trait Client: LockBackend + Clone + Debug + Sized + 'static {
    /// The crate's name.
    const NAME: &'static str;
    /// The reply timeout of the connections the crate opens itself (`REPLY_TIMEOUT` of
    /// lock-redis, `COMMAND_TIMEOUT` of lock-fred).
    const REPLY_TIMEOUT: Duration;

    /// `connect(url)`.
    fn connect(url: &str) -> impl Future<Output = Result<Self, BackendError>> + Send;

    /// Every way the crate builds a backend from `url` with `options` and reads the server at
    /// construction: `connect_with` first, then those from a client, a config or a pool.
    fn constructors(url: &str, options: ConnectOptions) -> Vec<Constructor<Self>>;

    /// Every way the crate builds a backend from `url`, including those from a client, a
    /// connection or a pool the user built (no I/O at construction).
    fn every_backend(url: &str) -> Vec<Constructor<Self>>;

    /// A backend for the cluster whose nodes are at `urls`, with `options`.
    fn connect_cluster(
        urls: Vec<String>,
        options: ConnectOptions,
    ) -> impl Future<Output = Result<Self, BackendError>> + Send;

    /// Backends over TLS to `url` (`rediss://`) trusting only the CA `ca_pem`: a plain one,
    /// and a pooled one where the crate has it.
    fn connect_trusting(url: &str, ca_pem: &str) -> Vec<Constructor<Self>>;

    /// `without_fencing()`.
    fn unfenced(self) -> Self;

    /// `with_wait(replicas, timeout)`.
    fn wait_mode(self, replicas: u32, timeout: Duration) -> Result<Self, BackendError>;

    /// `keyspace_events()`.
    fn wakes_on_keyspace_events(&self) -> bool;

    /// `eviction_policy()`.
    fn policy(&self) -> Option<&str>;
}

/// Runs each listed generic test (`async fn name<C: Client>()`, in scope) against both clients:
/// `redis::name` with `RedisBackend`, `fred::name` with `FredBackend`. Each name may carry its
/// test attribute; the default is `#[tokio::test]`.
#[macro_export]
macro_rules! client_tests {
    ($($(#[$attr:meta])* $name:ident),* $(,)?) => {
        mod redis {
            $( $(#[$attr])* async fn $name() { super::$name::<::lock_redis::RedisBackend>().await } )*
        }
        mod fred {
            $( $(#[$attr])* async fn $name() { super::$name::<::lock_fred::FredBackend>().await } )*
        }
    };
}
