//! The conformance suite on a Redlock quorum of three spawned redis-servers, and on three nodes
//! of which one is dead.

use std::sync::OnceLock;

use lock_redis::{Quorum, RedisBackend};
use lock_testkit::server::{RedisServer, redis_available};

/// Three servers shared by every test of this binary.
fn servers() -> Option<&'static [RedisServer; 3]> {
    static SERVERS: OnceLock<Option<[RedisServer; 3]>> = OnceLock::new();
    SERVERS
        .get_or_init(|| {
            if !redis_available() {
                return None;
            }
            let spawn = || RedisServer::spawn().expect("spawn a quorum node");
            Some([spawn(), spawn(), spawn()])
        })
        .as_ref()
}

lock_testkit::conformance_suite!(quorum_of_three, maybe: async {
    let [a, b, c] = servers()?;
    let mut nodes = Vec::new();
    for server in [a, b, c] {
        nodes.push(RedisBackend::connect(&server.url()).await.expect("connect a node"));
    }
    Some(Quorum::new(nodes).expect("three distinct nodes"))
});

lock_testkit::conformance_suite!(quorum_one_dead, maybe: async {
    let [a, b, _] = servers()?;
    // A node whose server died after the backend connected: every call fails.
    let doomed = RedisServer::spawn().expect("spawn the doomed node");
    let dead = RedisBackend::connect(&doomed.url()).await.expect("connect the doomed node");
    doomed.kill();
    let live_a = RedisBackend::connect(&a.url()).await.expect("connect a node");
    let live_b = RedisBackend::connect(&b.url()).await.expect("connect a node");
    Some(Quorum::new([live_a, dead, live_b]).expect("three distinct nodes"))
});

#[tokio::test]
async fn the_same_server_twice_is_refused() {
    let Some([a, _, _]) = servers() else { return };
    let one = RedisBackend::connect(&a.url()).await.expect("connect");
    let again = RedisBackend::connect(&a.url()).await.expect("connect");
    let other =
        RedisBackend::connect(&servers().expect("servers")[1].url()).await.expect("connect");
    assert!(Quorum::new([one, again, other]).is_err(), "a quorum counted one server twice");
}
