//! [`Client`] for lock-fred.

use std::time::Duration;

use futures_util::FutureExt;
use lock_fred::fred::prelude::{Builder, ClientLike};
use lock_fred::fred::rustls::pki_types::CertificateDer;
use lock_fred::fred::rustls::pki_types::pem::PemObject;
use lock_fred::fred::rustls::{ClientConfig, RootCertStore};
use lock_fred::fred::types::config::{Config, ServerConfig, TlsConnector};
use lock_fred::{BackendError, ConnectOptions, FredBackend};

use crate::{Client, Constructor};

fn config(url: &str) -> Config {
    Config::from_url(url).expect("a fred config for the URL")
}

impl Client for FredBackend {
    const NAME: &'static str = "lock-fred";
    const REPLY_TIMEOUT: Duration = lock_fred::COMMAND_TIMEOUT;

    fn connect(url: &str) -> impl Future<Output = Result<Self, BackendError>> + Send {
        let url = url.to_owned();
        async move { FredBackend::connect(&url).await }
    }

    fn constructors(url: &str, options: ConnectOptions) -> Vec<Constructor<Self>> {
        let owned = url.to_owned();
        let (with, config_with) = (options.clone(), options.clone());
        vec![
            ("connect_with", async move { FredBackend::connect_with(&owned, with).await }.boxed()),
            (
                "connect_config_with",
                FredBackend::connect_config_with(config(url), config_with).boxed(),
            ),
            ("connect_pool_with", FredBackend::connect_pool_with(config(url), 2, options).boxed()),
        ]
    }

    fn every_backend(url: &str) -> Vec<Constructor<Self>> {
        let owned = url.to_owned();
        let from = config(url);
        vec![
            ("connect", async move { FredBackend::connect(&owned).await }.boxed()),
            ("connect_pool", FredBackend::connect_pool(config(url), 2).boxed()),
            (
                "from_client",
                async move {
                    let client = Builder::from_config(from).build().expect("client");
                    client.init().await.expect("init");
                    Ok(FredBackend::from_client(client))
                }
                .boxed(),
            ),
        ]
    }

    fn connect_cluster(
        urls: Vec<String>,
        options: ConnectOptions,
    ) -> impl Future<Output = Result<Self, BackendError>> + Send {
        let nodes: Vec<(String, u16)> = urls
            .iter()
            .map(|url| {
                let config = config(url);
                let ServerConfig::Centralized { server } = config.server else {
                    panic!("a node URL: {url}")
                };
                (server.host.to_string(), server.port)
            })
            .collect();
        let clustered = Config {
            server: ServerConfig::new_clustered(
                nodes.iter().map(|(host, port)| (host.as_str(), *port)).collect(),
            ),
            ..Config::default()
        };
        FredBackend::connect_config_with(clustered, options)
    }

    fn connect_trusting(url: &str, ca_pem: &str) -> Vec<Constructor<Self>> {
        let trusting = || {
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
                roots.add(cert.expect("a PEM certificate")).expect("a CA certificate");
            }
            let tls = ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
            let mut config = config(url);
            config.tls = Some(TlsConnector::from(tls).into());
            config
        };
        vec![
            ("connect_config", FredBackend::connect_config(trusting()).boxed()),
            ("connect_pool", FredBackend::connect_pool(trusting(), 2).boxed()),
        ]
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
