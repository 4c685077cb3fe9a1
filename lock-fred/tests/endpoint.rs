//! `endpoint()` names the server itself, however it was addressed, so a Redlock quorum refuses
//! one server counted twice; it never shows a password.

use lock_fred::fred::prelude::{Builder, ClientLike, Config};
use lock_fred::{FredBackend, LockBackend, Quorum};
use lock_testkit::server::{RedisServer, redis_available};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_server_under_two_addresses_is_one_quorum_node() {
    if !redis_available() {
        return;
    }
    let spawn = || RedisServer::spawn().expect("spawn");
    let (a, b, c) = (spawn(), spawn(), spawn());
    let by_name = FredBackend::connect(&format!("redis://localhost:{}/0", a.port()))
        .await
        .expect("connect by name");
    let by_ip = FredBackend::connect(&format!("redis://127.0.0.1:{}/1", a.port()))
        .await
        .expect("connect by address, another db");
    let config = Config::from_url(&format!("redis://127.0.0.1:{}/2", a.port())).expect("url");
    let pooled = FredBackend::connect_pool(config, 2).await.expect("connect_pool");
    let other = FredBackend::connect(&b.url()).await.expect("connect");
    assert_eq!(by_name.endpoint(), by_ip.endpoint());
    assert_eq!(by_name.endpoint(), pooled.endpoint());
    let twice = Quorum::new([by_name.clone(), by_ip, other.clone()]);
    assert!(twice.is_err(), "a quorum counted one server twice: {:?}", by_name.endpoint());
    assert!(Quorum::new([pooled, by_name.clone(), other.clone()]).is_err());

    let third = FredBackend::connect(&c.url()).await.expect("connect");
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
    let config = Config::from_url(&url).expect("url");
    let client = Builder::from_config(config.clone()).build().expect("client");
    client.init().await.expect("init");
    for backend in [
        FredBackend::connect(&url).await.expect("connect"),
        FredBackend::connect_pool(config, 2).await.expect("connect_pool"),
        FredBackend::from_client(client),
    ] {
        let endpoint = backend.endpoint().expect("an endpoint");
        assert!(!endpoint.contains(password), "the endpoint shows the password: {endpoint}");
    }
}
