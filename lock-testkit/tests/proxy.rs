//! The fault proxy in front of a real `redis-server`: each fault does what it says, and the
//! server sees (or does not see) the commands it should.
#![cfg(feature = "redis-server")]

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use lock_testkit::proxy::FaultProxy;
use lock_testkit::server::{AdminConn, RedisServer, RespValue, redis_available};

/// Read/write timeout of connections through the proxy when no timeout is expected.
const PATIENCE: Duration = Duration::from_secs(5);

/// Runs blocking client code off the runtime's workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("blocking task panicked")
}

/// A fresh server and a proxy in front of it.
async fn setup() -> (RedisServer, FaultProxy) {
    let server = blocking(RedisServer::spawn).await.expect("spawn redis-server");
    let upstream = SocketAddr::from(([127, 0, 0, 1], server.port()));
    let proxy = FaultProxy::start(upstream).await.expect("start proxy");
    (server, proxy)
}

fn connect(port: u16, timeout: Duration) -> io::Result<AdminConn> {
    let mut conn = AdminConn::connect("127.0.0.1", port, None)?;
    conn.set_timeout(timeout)?;
    Ok(conn)
}

/// One command on a new connection to `port`.
async fn one_shot(port: u16, args: &'static [&'static str]) -> io::Result<RespValue> {
    blocking(move || connect(port, PATIENCE)?.cmd(args)).await
}

/// `GET key` straight on the server, not through the proxy.
async fn server_get(server: &RedisServer, key: &'static str) -> Option<String> {
    let port = server.port();
    let reply = blocking(move || connect(port, PATIENCE)?.cmd(&["GET", key]))
        .await
        .expect("GET on the server");
    reply.text()
}

/// Waits up to 5 s for `condition`.
async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn is_timeout(err: &io::Error) -> bool {
    matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_commands_through() {
    if !redis_available() {
        return;
    }
    let (server, proxy) = setup().await;
    assert_eq!(proxy.url(), format!("redis://127.0.0.1:{}/", proxy.port()));
    assert_eq!(proxy.addr().port(), proxy.port());
    assert_eq!(proxy.upstream().port(), server.port());

    let port = proxy.port();
    let (conn, set, get) = blocking(move || {
        let mut conn = connect(port, PATIENCE).expect("connect through the proxy");
        let set = conn.cmd(&["SET", "k", "v"]).expect("SET");
        let get = conn.cmd(&["GET", "k"]).expect("GET");
        (conn, set, get)
    })
    .await;
    assert_eq!(set.text().as_deref(), Some("OK"));
    assert_eq!(get.text().as_deref(), Some("v"));
    assert_eq!(server_get(&server, "k").await.as_deref(), Some("v"));
    assert_eq!(proxy.commands_seen(), 2);
    assert_eq!(proxy.replies_dropped(), 0);
    assert_eq!(proxy.open_connections(), 1);

    drop(conn);
    eventually("the closed client is gone", || proxy.open_connections() == 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_delays_each_direction() {
    if !redis_available() {
        return;
    }
    let (_server, proxy) = setup().await;
    let port = proxy.port();
    let mut conn = blocking(move || connect(port, PATIENCE)).await.expect("connect");

    proxy.set_latency(Duration::from_millis(100));
    let (mut conn, slow, reply) = blocking(move || {
        let started = Instant::now();
        let reply = conn.cmd(&["PING"]);
        (conn, started.elapsed(), reply)
    })
    .await;
    assert_eq!(reply.expect("PING").text().as_deref(), Some("PONG"));
    assert!(slow >= Duration::from_millis(200), "PING took {slow:?}");

    proxy.set_latency(Duration::ZERO);
    let (fast, reply) = blocking(move || {
        let started = Instant::now();
        let reply = conn.cmd(&["PING"]);
        (started.elapsed(), reply)
    })
    .await;
    assert_eq!(reply.expect("PING").text().as_deref(), Some("PONG"));
    assert!(fast < Duration::from_millis(150), "PING took {fast:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blackhole_swallows_commands() {
    if !redis_available() {
        return;
    }
    let (server, proxy) = setup().await;
    let port = proxy.port();
    let conn = blocking(move || connect(port, Duration::from_millis(500))).await.expect("connect");

    proxy.blackhole(true);
    let set = blocking(move || {
        let mut conn = conn;
        conn.cmd(&["SET", "k", "v"])
    })
    .await;
    let err = set.expect_err("SET through a blackhole got a reply");
    assert!(is_timeout(&err), "expected a timeout, got {err:?}");
    assert_eq!(server_get(&server, "k").await, None, "SET reached the server");
    assert_eq!(proxy.commands_seen(), 0);

    // New connections are accepted, then swallowed as well.
    let late = blocking(move || connect(port, Duration::from_millis(300))?.cmd(&["PING"])).await;
    let err = late.expect_err("PING through a blackhole got a reply");
    assert!(is_timeout(&err), "expected a timeout, got {err:?}");

    proxy.blackhole(false);
    let ping = one_shot(port, &["PING"]).await.expect("PING after blackhole");
    assert_eq!(ping.text().as_deref(), Some("PONG"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_reply_after_the_server_applied_the_command() {
    if !redis_available() {
        return;
    }
    let (server, proxy) = setup().await;
    let port = proxy.port();
    proxy.drop_reply_to_command(2);
    let (ping, set) = blocking(move || {
        let mut conn = connect(port, PATIENCE).expect("connect");
        let ping = conn.cmd(&["PING"]);
        let set = conn.cmd(&["SET", "k", "v"]);
        (ping, set)
    })
    .await;
    assert_eq!(ping.expect("PING").text().as_deref(), Some("PONG"));
    let err = set.expect_err("the SET reply was not dropped");
    assert!(!is_timeout(&err), "expected the connection closed, got {err:?}");
    assert_eq!(server_get(&server, "k").await.as_deref(), Some("v"));
    assert_eq!(proxy.replies_dropped(), 1);
    assert_eq!(proxy.commands_seen(), 2);
    eventually("the cut connection is gone", || proxy.open_connections() == 0).await;

    // Only one reply is dropped.
    let set = one_shot(port, &["SET", "k", "w"]).await.expect("SET");
    assert_eq!(set.text().as_deref(), Some("OK"));
    assert_eq!(proxy.replies_dropped(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_reply_within_a_pipeline() {
    if !redis_available() {
        return;
    }
    let (server, proxy) = setup().await;
    let port = proxy.port();
    proxy.drop_reply_to_command(2);
    let received = blocking(move || -> io::Result<Vec<u8>> {
        let mut stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(PATIENCE))?;
        stream.write_all(
            b"*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\np\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$1\r\np\r\n",
        )?;
        let mut received = Vec::new();
        match stream.read_to_end(&mut received) {
            Ok(_) => Ok(received),
            Err(err) if err.kind() == ErrorKind::ConnectionReset => Ok(received),
            Err(err) => Err(err),
        }
    })
    .await
    .expect("read until the proxy closes");
    assert_eq!(received, b"+PONG\r\n");
    assert_eq!(server_get(&server, "p").await.as_deref(), Some("1"));
    assert_eq!(proxy.commands_seen(), 3);
    assert_eq!(proxy.replies_dropped(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_all_closes_open_connections() {
    if !redis_available() {
        return;
    }
    let (_server, proxy) = setup().await;
    let port = proxy.port();
    let (mut first, mut second) = blocking(move || {
        let mut first = connect(port, PATIENCE).expect("connect");
        let mut second = connect(port, PATIENCE).expect("connect");
        first.cmd(&["PING"]).expect("PING");
        second.cmd(&["PING"]).expect("PING");
        (first, second)
    })
    .await;
    assert_eq!(proxy.open_connections(), 2);

    proxy.cut_all();
    assert_eq!(proxy.open_connections(), 0);
    let (first, second) = blocking(move || (first.cmd(&["PING"]), second.cmd(&["PING"]))).await;
    for reply in [first, second] {
        let err = reply.expect_err("PING on a cut connection");
        assert!(!is_timeout(&err), "expected the connection closed, got {err:?}");
    }

    let ping = one_shot(port, &["PING"]).await.expect("PING on a new connection");
    assert_eq!(ping.text().as_deref(), Some("PONG"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuse_closes_new_connections_only() {
    if !redis_available() {
        return;
    }
    let (_server, proxy) = setup().await;
    let port = proxy.port();
    let open = blocking(move || {
        let mut open = connect(port, PATIENCE)?;
        open.cmd(&["PING"])?; // accepted by the proxy, not just by the kernel
        io::Result::Ok(open)
    })
    .await
    .expect("connect");

    proxy.refuse(true);
    let refused = one_shot(port, &["PING"]).await;
    let err = refused.expect_err("a refused connection answered");
    assert!(!is_timeout(&err), "expected the connection closed, got {err:?}");
    let (open, ping) = blocking(move || {
        let mut open = open;
        let ping = open.cmd(&["PING"]);
        (open, ping)
    })
    .await;
    assert_eq!(ping.expect("PING on the open connection").text().as_deref(), Some("PONG"));
    assert_eq!(proxy.open_connections(), 1);

    proxy.refuse(false);
    let ping = one_shot(port, &["PING"]).await.expect("PING after refuse");
    assert_eq!(ping.text().as_deref(), Some("PONG"));
    drop(open);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heal_restores_service() {
    if !redis_available() {
        return;
    }
    let (server, proxy) = setup().await;
    let port = proxy.port();
    proxy.set_latency(Duration::from_millis(300));
    proxy.blackhole(true);
    proxy.refuse(true);
    proxy.drop_reply_to_command(1);
    proxy.heal();

    let (elapsed, set) = blocking(move || {
        let started = Instant::now();
        let set = connect(port, PATIENCE).and_then(|mut conn| conn.cmd(&["SET", "h", "1"]));
        (started.elapsed(), set)
    })
    .await;
    assert_eq!(set.expect("SET after heal").text().as_deref(), Some("OK"));
    assert!(elapsed < Duration::from_millis(300), "SET took {elapsed:?}");
    assert_eq!(server_get(&server, "h").await.as_deref(), Some("1"));
    assert_eq!(proxy.replies_dropped(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_count_over_all_connections() {
    if !redis_available() {
        return;
    }
    let (_server, proxy) = setup().await;
    let port = proxy.port();
    let conns = blocking(move || {
        let mut a = connect(port, PATIENCE).expect("connect");
        let mut b = connect(port, PATIENCE).expect("connect");
        for _ in 0..3 {
            a.cmd(&["PING"]).expect("PING");
        }
        b.cmd(&["ECHO", "x"]).expect("ECHO");
        (a, b)
    })
    .await;
    assert_eq!(proxy.commands_seen(), 4);
    assert_eq!(proxy.open_connections(), 2);
    assert_eq!(proxy.replies_dropped(), 0);

    // Drops count from the call, over all connections: the 2nd command from now is b's.
    proxy.drop_reply_to_command(2);
    let (a, b) = conns;
    let (a, a_reply, b_reply) = blocking(move || {
        let (mut a, mut b) = (a, b);
        let a_reply = a.cmd(&["PING"]);
        let b_reply = b.cmd(&["PING"]);
        (a, a_reply, b_reply)
    })
    .await;
    assert!(a_reply.is_ok(), "{a_reply:?}");
    assert!(b_reply.is_err(), "{b_reply:?}");
    assert_eq!(proxy.commands_seen(), 6);
    assert_eq!(proxy.replies_dropped(), 1);
    eventually("b's connection is gone", || proxy.open_connections() == 1).await;
    drop(a);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_proxy_closes_everything() {
    if !redis_available() {
        return;
    }
    let (_server, proxy) = setup().await;
    let port = proxy.port();
    let conn = blocking(move || connect(port, PATIENCE)).await.expect("connect");
    drop(proxy);

    let ping = blocking(move || {
        let mut conn = conn;
        conn.cmd(&["PING"])
    })
    .await;
    let err = ping.expect_err("PING through a dropped proxy");
    assert!(!is_timeout(&err), "expected the connection closed, got {err:?}");

    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < deadline, "the listener is still accepting");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
