//! [`Client`] for lock-redis.

use std::time::Duration;

use futures_util::FutureExt;
use lock_redis::redis::{Client as RedisClient, TlsCertificates};
use lock_redis::{BackendError, ConnectOptions, RedisBackend};

use crate::{Client, Constructor};

fn client(url: &str) -> RedisClient {
    RedisClient::open(url).expect("a redis client for the URL")
}

impl Client for RedisBackend {
    const NAME: &'static str = "lock-redis";
    const REPLY_TIMEOUT: Duration = lock_redis::REPLY_TIMEOUT;

    fn connect(url: &str) -> impl Future<Output = Result<Self, BackendError>> + Send {
        let url = url.to_owned();
        async move { RedisBackend::connect(&url).await }
    }

    fn constructors(url: &str, options: ConnectOptions) -> Vec<Constructor<Self>> {
        let (url, from) = (url.to_owned(), client(url));
        let with = options.clone();
        vec![
            ("connect_with", async move { RedisBackend::connect_with(&url, with).await }.boxed()),
            ("from_client_with", RedisBackend::from_client_with(from, options).boxed()),
        ]
    }

    fn every_backend(url: &str) -> Vec<Constructor<Self>> {
        let (owned, from) = (url.to_owned(), client(url));
        let manager = client(url);
        let pooled = RedisBackend::connect_pooled(url, 2);
        vec![
            ("connect", async move { RedisBackend::connect(&owned).await }.boxed()),
            ("from_client", RedisBackend::from_client(from).boxed()),
            ("connect_pooled", async move { pooled }.boxed()),
            (
                "from_connection_manager",
                async move {
                    let connection = manager.get_connection_manager().await.expect("manager");
                    Ok(RedisBackend::from_connection_manager(connection)
                        .with_notifications(manager))
                }
                .boxed(),
            ),
        ]
    }

    fn connect_cluster(
        urls: Vec<String>,
        options: ConnectOptions,
    ) -> impl Future<Output = Result<Self, BackendError>> + Send {
        RedisBackend::connect_cluster_with(urls, options)
    }

    fn connect_trusting(url: &str, ca_pem: &str) -> Vec<Constructor<Self>> {
        let certs =
            TlsCertificates { client_tls: None, root_cert: Some(ca_pem.as_bytes().to_vec()) };
        let client = RedisClient::build_with_tls(url, certs).expect("a TLS client");
        vec![("from_client", RedisBackend::from_client(client).boxed())]
    }

    fn unfenced(self) -> Self {
        self.without_fencing()
    }

    fn wait_mode(self, replicas: u32, timeout: Duration) -> Result<Self, BackendError> {
        self.with_wait(replicas, timeout)
    }

    fn wakes_on_keyspace_events(&self) -> bool {
        self.keyspace_events()
    }

    fn policy(&self) -> Option<&str> {
        self.eviction_policy()
    }
}
