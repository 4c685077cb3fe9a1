//! TLS (`rediss://`, feature `tls-rustls`): the whole conformance suite on a TLS-only server
//! (`port 0`, a `tls-port`, a CA and server certificate made in the test), and clients that do
//! not trust that CA refused at once with an error that says so.

use std::time::{Duration, Instant};

use lock_redis::redis::{Client, TlsCertificates};
use lock_redis::{BackendErrorKind, RedisBackend};
use lock_testkit::server::{self, TestCerts};

/// A client for `url` that trusts `ca_pem` (and nothing else).
fn client_trusting(url: &str, ca_pem: &str) -> Client {
    let certs = TlsCertificates { client_tls: None, root_cert: Some(ca_pem.as_bytes().to_vec()) };
    Client::build_with_tls(url, certs).expect("a TLS client")
}

lock_testkit::conformance_suite!(tls, maybe: async {
    let server = server::shared_tls_server()?;
    let ca = server.tls_certs().expect("a TLS server").ca_pem();
    let client = client_trusting(&server.url(), ca);
    Some(RedisBackend::from_client(client).await.expect("connect over TLS"))
});

/// The refusal must be quick, permanent, of kind `Config`, and say it is the certificate.
fn assert_refused(e: &lock_redis::BackendError, started: Instant) {
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "refused only after {elapsed:?}");
    assert_eq!(e.kind(), BackendErrorKind::Config, "{e}");
    assert!(!e.is_temporary(), "a certificate the client does not trust is not temporary: {e}");
    let message = e.to_string();
    assert!(message.contains("TLS") && message.contains("certificate"), "{message}");
}

#[tokio::test]
async fn a_client_trusting_another_ca_is_refused_with_a_certificate_error() {
    let Some(server) = server::shared_tls_server() else { return };
    let other = TestCerts::generate().expect("another CA");
    let started = Instant::now();
    let e = RedisBackend::from_client(client_trusting(&server.url(), other.ca_pem()))
        .await
        .expect_err("a server certificate from an untrusted CA");
    assert_refused(&e, started);
    println!("refused in {:?}: {e}", started.elapsed());
}

#[tokio::test]
async fn a_client_trusting_only_the_system_roots_is_refused_with_a_certificate_error() {
    let Some(server) = server::shared_tls_server() else { return };
    let started = Instant::now();
    let e = RedisBackend::connect(&server.url())
        .await
        .expect_err("the test CA is not among the system roots");
    assert_refused(&e, started);
}

#[tokio::test]
async fn a_plain_client_on_the_tls_port_fails_fast() {
    let Some(server) = server::shared_tls_server() else { return };
    let plain = server.url().replacen("rediss://", "redis://", 1);
    let started = Instant::now();
    let e = RedisBackend::connect(&plain).await.expect_err("plain text on a TLS port");
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "failed only after {elapsed:?}: {e}");
    assert!(
        matches!(e.kind(), BackendErrorKind::Connection | BackendErrorKind::Timeout),
        "{:?}: {e}",
        e.kind()
    );
}
