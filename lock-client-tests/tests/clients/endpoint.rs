//! `endpoint()` names the server itself, however it was addressed, so a Redlock quorum refuses
//! one server counted twice; it never shows a password.

use lock_client_tests::{Client, client_tests};
use lock_redis::{ConnectOptions, Quorum};
use lock_testkit::server::{RedisServer, redis_available};

client_tests! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)] one_server_under_two_addresses_is_one_quorum_node,
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)] the_endpoint_shows_no_password,
}

async fn one_server_under_two_addresses_is_one_quorum_node<C: Client>() {
    if !redis_available() {
        return;
    }
    let spawn = || RedisServer::spawn().expect("spawn");
    let (a, b, c) = (spawn(), spawn(), spawn());
    let by_name =
        C::connect(&format!("redis://localhost:{}/0", a.port())).await.expect("connect by name");
    let other = C::connect(&b.url()).await.expect("connect");
    let third = C::connect(&c.url()).await.expect("connect");
    // Every way of building a backend that reads the server, by address and another database.
    let by_address = format!("redis://127.0.0.1:{}/1", a.port());
    for (how, backend) in C::constructors(&by_address, ConnectOptions::new()) {
        let by_ip = backend.await.unwrap_or_else(|e| panic!("{how}: {e}"));
        assert_eq!(by_name.endpoint(), by_ip.endpoint(), "{how}");
        let twice = Quorum::new([by_name.clone(), by_ip, other.clone()]);
        assert!(
            twice.is_err(),
            "{how}: a quorum counted one server twice: {:?}",
            by_name.endpoint()
        );
    }
    assert!(Quorum::new([by_name, other, third]).is_ok(), "three servers were refused");
}

async fn the_endpoint_shows_no_password<C: Client>() {
    if !redis_available() {
        return;
    }
    let password = "s3cret-pw";
    let server = RedisServer::builder().password(password).spawn().expect("spawn");
    let url = format!("redis://:{password}@127.0.0.1:{}/", server.port());
    for (how, backend) in C::every_backend(&url) {
        let backend = backend.await.unwrap_or_else(|e| panic!("{how}: {e}"));
        let endpoint = backend.endpoint().expect("an endpoint");
        assert!(!endpoint.contains(password), "{how}: the endpoint shows the password: {endpoint}");
    }
}
