//! TLS (`rediss://`, feature `tls-rustls`): the whole conformance suite on a TLS-only server
//! (`port 0`, a `tls-port`, a CA and server certificate made in the test), and clients that do
//! not trust that CA refused at once with an error that says so.

use std::time::{Duration, Instant};

use lock_fred::fred::rustls::pki_types::CertificateDer;
use lock_fred::fred::rustls::pki_types::pem::PemObject;
use lock_fred::fred::rustls::{ClientConfig, RootCertStore};
use lock_fred::fred::types::config::{Config, TlsConnector};
use lock_fred::{BackendErrorKind, FredBackend};
use lock_testkit::server::{self, TestCerts};

/// The config for `url` with a rustls connector that trusts `ca_pem` (and nothing else).
fn config_trusting(url: &str, ca_pem: &str) -> Config {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.expect("a PEM certificate")).expect("a CA certificate");
    }
    let tls = ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    let mut config = Config::from_url(url).expect("a rediss:// URL");
    config.tls = Some(TlsConnector::from(tls).into());
    config
}

lock_testkit::conformance_suite!(tls, maybe: async {
    let server = server::shared_tls_server()?;
    let ca = server.tls_certs().expect("a TLS server").ca_pem();
    Some(FredBackend::connect_config(config_trusting(&server.url(), ca)).await.expect("connect over TLS"))
});

lock_testkit::conformance_suite!(tls_pool, maybe: async {
    let server = server::shared_tls_server()?;
    let ca = server.tls_certs().expect("a TLS server").ca_pem();
    let config = config_trusting(&server.url(), ca);
    Some(FredBackend::connect_pool(config, 2).await.expect("connect a pool over TLS"))
});

/// The refusal must be quick, permanent, of kind `Config`, and say it is the certificate.
fn assert_refused(e: &lock_fred::BackendError, started: Instant) {
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
    let e = FredBackend::connect_config(config_trusting(&server.url(), other.ca_pem()))
        .await
        .expect_err("a server certificate from an untrusted CA");
    assert_refused(&e, started);
    println!("refused in {:?}: {e}", started.elapsed());
}

#[tokio::test]
async fn a_client_trusting_only_the_system_roots_is_refused_with_a_certificate_error() {
    let Some(server) = server::shared_tls_server() else { return };
    let started = Instant::now();
    let e = FredBackend::connect(&server.url())
        .await
        .expect_err("the test CA is not among the system roots");
    assert_refused(&e, started);
}

#[tokio::test]
async fn a_plain_client_on_the_tls_port_fails_fast() {
    let Some(server) = server::shared_tls_server() else { return };
    let plain = server.url().replacen("rediss://", "redis://", 1);
    let started = Instant::now();
    let e = FredBackend::connect(&plain).await.expect_err("plain text on a TLS port");
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "failed only after {elapsed:?}: {e}");
    assert!(
        matches!(e.kind(), BackendErrorKind::Connection | BackendErrorKind::Timeout),
        "{:?}: {e}",
        e.kind()
    );
}
