//! Certificates for TLS test servers, generated in the test (no `openssl` CLI needed).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// A certificate authority of its own and a server certificate it signed for `127.0.0.1` and
/// `localhost` (ECDSA P-256), written as PEM files (`ca.pem`, `server.pem`, `server.key`) in a
/// temporary directory that lives as long as this value. Each call makes a new CA, so a client
/// that trusts one `TestCerts` rejects a server using another.
///
/// ```no_run
/// use lock_testkit::server::{RedisServer, TestCerts};
///
/// let server = RedisServer::builder().tls(TestCerts::generate()?).spawn()?;
/// assert!(server.url().starts_with("rediss://127.0.0.1:"));
/// let ca_pem: &str = server.tls_certs().expect("a TLS server").ca_pem();
/// # let _ = ca_pem;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct TestCerts {
    dir: tempfile::TempDir,
    ca_pem: String,
}

fn tls_error(e: rcgen::Error) -> io::Error {
    io::Error::other(format!("generating test certificates: {e}"))
}

impl TestCerts {
    /// Generates a CA and a server certificate for `127.0.0.1` and `localhost`.
    pub fn generate() -> io::Result<Self> {
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(tls_error)?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // A name of its own, so a client trusting another TestCerts finds no issuer at all.
        static MADE: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let n = MADE.fetch_add(1, Ordering::Relaxed);
        let name = format!("lock-testkit test CA {}-{n}-{nanos}", std::process::id());
        ca.distinguished_name.push(DnType::CommonName, name);
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate().map_err(tls_error)?;
        let ca_cert = ca.self_signed(&ca_key).map_err(tls_error)?;

        let mut server =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .map_err(tls_error)?;
        server.distinguished_name.push(DnType::CommonName, "127.0.0.1");
        server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_key = KeyPair::generate().map_err(tls_error)?;
        let issuer = Issuer::new(ca, ca_key);
        let server_cert = server.signed_by(&server_key, &issuer).map_err(tls_error)?;

        let dir = tempfile::Builder::new().prefix("lock-testkit-tls-").tempdir()?;
        let certs = Self { dir, ca_pem: ca_cert.pem() };
        std::fs::write(certs.ca_file(), &certs.ca_pem)?;
        std::fs::write(certs.cert_file(), server_cert.pem())?;
        std::fs::write(certs.key_file(), server_key.serialize_pem())?;
        Ok(certs)
    }

    /// The CA certificate, PEM: what a client must trust to connect.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The CA certificate's file.
    pub fn ca_file(&self) -> PathBuf {
        self.dir().join("ca.pem")
    }

    /// The server certificate's file.
    pub fn cert_file(&self) -> PathBuf {
        self.dir().join("server.pem")
    }

    /// The server key's file.
    pub fn key_file(&self) -> PathBuf {
        self.dir().join("server.key")
    }

    fn dir(&self) -> &Path {
        self.dir.path()
    }
}
