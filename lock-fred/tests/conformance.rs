//! The whole conformance suite against lock-fred on real servers: standalone (client and pool),
//! a 3-master cluster, and a Sentinel deployment.

use lock_fred::FredBackend;
use lock_fred::fred::types::config::{Config, ServerConfig};
use lock_testkit::server;

lock_testkit::conformance_suite!(standalone_unfenced, maybe: async {
    let url = server::standalone_url()?;
    Some(FredBackend::connect(&url).await.expect("connect to the standalone server").without_fencing())
});

lock_testkit::conformance_suite!(standalone, maybe: async {
    let url = server::standalone_url()?;
    Some(FredBackend::connect(&url).await.expect("connect to the standalone server"))
});

lock_testkit::conformance_suite!(pool, maybe: async {
    let url = server::standalone_url()?;
    let config = Config::from_url(&url).expect("url");
    Some(FredBackend::connect_pool(config, 4).await.expect("connect the pool"))
});

lock_testkit::conformance_suite!(cluster, maybe: async {
    let cluster = server::shared_cluster()?;
    let hosts = cluster.nodes().iter().map(|n| ("127.0.0.1", n.port())).collect();
    let config = Config { server: ServerConfig::new_clustered(hosts), ..Config::default() };
    Some(FredBackend::connect_config(config).await.expect("connect to the cluster"))
});

lock_testkit::conformance_suite!(sentinel, maybe: async {
    let deployment = server::shared_sentinel()?;
    let config = Config { server: ServerConfig::new_sentinel(deployment.sentinel_addrs(), deployment.service()), ..Config::default() };
    Some(FredBackend::connect_config(config).await.expect("connect through the sentinels"))
});
