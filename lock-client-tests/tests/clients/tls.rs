//! TLS (`rediss://`, features `tls-rustls`): the whole conformance suite on a TLS-only server
//! (`port 0`, a `tls-port`, a CA and server certificate made in the test), and clients that do
//! not trust that CA refused at once with an error that says so.

use std::time::{Duration, Instant};

use lock_client_tests::{Client, client_tests};
use lock_fred::FredBackend;
use lock_redis::{BackendError, BackendErrorKind, RedisBackend};
use lock_testkit::server::{self, TestCerts};

/// A backend over TLS to the shared TLS server, built the `index`-th way.
async fn over_tls<C: Client>(index: usize) -> Option<C> {
    let server = server::shared_tls_server()?;
    let ca = server.tls_certs().expect("a TLS server").ca_pem();
    let (how, backend) = C::connect_trusting(&server.url(), ca).into_iter().nth(index)?;
    Some(backend.await.unwrap_or_else(|e| panic!("{} {how} over TLS: {e}", C::NAME)))
}

lock_testkit::conformance_suite!(redis_tls, maybe: over_tls::<RedisBackend>(0));
lock_testkit::conformance_suite!(fred_tls, maybe: over_tls::<FredBackend>(0));
lock_testkit::conformance_suite!(fred_tls_pool, maybe: over_tls::<FredBackend>(1));

client_tests! {
    #[tokio::test] a_client_trusting_another_ca_is_refused_with_a_certificate_error,
    #[tokio::test] a_client_trusting_only_the_system_roots_is_refused_with_a_certificate_error,
    #[tokio::test] a_plain_client_on_the_tls_port_fails_fast,
}

/// The refusal must be quick, permanent, of kind `Config`, and say it is the certificate.
fn assert_refused(e: &BackendError, started: Instant) {
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "refused only after {elapsed:?}");
    assert_eq!(e.kind(), BackendErrorKind::Config, "{e}");
    assert!(!e.is_temporary(), "a certificate the client does not trust is not temporary: {e}");
    let message = e.to_string();
    assert!(message.contains("TLS") && message.contains("certificate"), "{message}");
}

async fn a_client_trusting_another_ca_is_refused_with_a_certificate_error<C: Client>() {
    let Some(server) = server::shared_tls_server() else { return };
    let other = TestCerts::generate().expect("another CA");
    for (how, backend) in C::connect_trusting(&server.url(), other.ca_pem()) {
        let started = Instant::now();
        let e = backend.await.expect_err("a server certificate from an untrusted CA");
        assert_refused(&e, started);
        println!("{how}: refused in {:?}: {e}", started.elapsed());
    }
}

async fn a_client_trusting_only_the_system_roots_is_refused_with_a_certificate_error<C: Client>() {
    let Some(server) = server::shared_tls_server() else { return };
    let started = Instant::now();
    let e = C::connect(&server.url()).await.expect_err("the test CA is not among the system roots");
    assert_refused(&e, started);
}

async fn a_plain_client_on_the_tls_port_fails_fast<C: Client>() {
    let Some(server) = server::shared_tls_server() else { return };
    let plain = server.url().replacen("rediss://", "redis://", 1);
    let started = Instant::now();
    let e = C::connect(&plain).await.expect_err("plain text on a TLS port");
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "failed only after {elapsed:?}: {e}");
    assert!(
        matches!(e.kind(), BackendErrorKind::Connection | BackendErrorKind::Timeout),
        "{:?}: {e}",
        e.kind()
    );
}
