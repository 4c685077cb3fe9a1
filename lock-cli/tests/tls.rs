//! `lockctl` over TLS (`rediss://`, feature `tls`, on by default): the server's certificate is
//! checked against the system's roots, which `SSL_CERT_FILE` can replace.

// This binary runs `lockctl` only; the rest of `support` serves `ops.rs`.
#[allow(dead_code)]
mod support;

use lock_testkit::server::{redis_available, shared_tls_server};
use support::{lockctl, lockctl_with_env};

#[test]
fn info_over_tls_trusts_the_given_ca_and_refuses_an_unknown_one() {
    if !redis_available() {
        return;
    }
    let server = shared_tls_server().expect("a TLS redis-server");
    let url = server.url();
    assert!(url.starts_with("rediss://"), "{url}");
    let ca = server.tls_certs().expect("test certificates").ca_file();

    let trusted = lockctl_with_env(
        &["info", "tls-job", "--url", &url, "--json"],
        &[("SSL_CERT_FILE", ca.as_os_str())],
    );
    assert_eq!(trusted.code, 0, "{trusted:?}");
    assert_eq!(trusted.json()["locked"], false, "{trusted:?}");

    let refused = lockctl(&["info", "tls-job", "--url", &url]);
    let message = refused.error().to_ascii_lowercase();
    assert!(message.contains("certificate"), "{refused:?}");
}
