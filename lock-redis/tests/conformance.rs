//! The whole conformance suite against lock-redis on real servers: standalone (connection
//! manager), standalone through a deadpool pool, and a 3-master cluster.

use lock_redis::RedisBackend;
use lock_testkit::server;

lock_testkit::conformance_suite!(standalone_unfenced, maybe: async {
    let url = server::standalone_url()?;
    Some(RedisBackend::connect(&url).await.expect("connect to the standalone server").without_fencing())
});

lock_testkit::conformance_suite!(standalone, maybe: async {
    let url = server::standalone_url()?;
    Some(RedisBackend::connect(&url).await.expect("connect to the standalone server"))
});

lock_testkit::conformance_suite!(deadpool, maybe: async {
    let url = server::standalone_url()?;
    Some(RedisBackend::connect_pooled(&url, 8).expect("build the pool"))
});

lock_testkit::conformance_suite!(cluster, maybe: async {
    let cluster = server::shared_cluster()?;
    Some(RedisBackend::connect_cluster(cluster.urls()).await.expect("connect to the cluster"))
});
