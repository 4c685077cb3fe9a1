//! `endpoint()` names the server itself, however it was addressed, so a Redlock quorum refuses
//! one server counted twice; it never shows a password.

use lock_redis::{LockBackend, Quorum, RedisBackend};
use lock_testkit::server::{RedisServer, redis_available};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_server_under_two_addresses_is_one_quorum_node() {
    if !redis_available() {
        return;
    }
    let spawn = || RedisServer::spawn().expect("spawn");
    let (a, b, c) = (spawn(), spawn(), spawn());
    let by_name = RedisBackend::connect(&format!("redis://localhost:{}/0", a.port()))
        .await
        .expect("connect by name");
    let by_ip = RedisBackend::connect(&format!("redis://127.0.0.1:{}/1", a.port()))
        .await
        .expect("connect by address, another db");
    let other = RedisBackend::connect(&b.url()).await.expect("connect");
    assert_eq!(by_name.endpoint(), by_ip.endpoint());
    let twice = Quorum::new([by_name.clone(), by_ip, other.clone()]);
    assert!(twice.is_err(), "a quorum counted one server twice: {:?}", by_name.endpoint());

    let third = RedisBackend::connect(&c.url()).await.expect("connect");
    assert!(Quorum::new([by_name, other, third]).is_ok(), "three servers were refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_shows_no_password() {
    if !redis_available() {
        return;
    }
    let password = "s3cret-pw";
    let server = RedisServer::builder().password(password).spawn().expect("spawn");
    let url = format!("redis://:{password}@127.0.0.1:{}/", server.port());
    let client = lock_redis::redis::Client::open(url.as_str()).expect("client");
    for backend in [
        RedisBackend::connect(&url).await.expect("connect"),
        RedisBackend::from_client(client.clone()).await.expect("from_client"),
        RedisBackend::connect_pooled(&url, 2).expect("connect_pooled"),
        RedisBackend::from_connection_manager(
            client.get_connection_manager().await.expect("manager"),
        )
        .with_notifications(client.clone()),
    ] {
        let endpoint = backend.endpoint().expect("an endpoint");
        assert!(!endpoint.contains(password), "the endpoint shows the password: {endpoint}");
    }
}
