//! `RedisServer`: one real `redis-server` on a free loopback port.

use std::io;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::admin::AdminConn;
use super::binary::{INSTALL_HINT, server_binary};
use super::options::{AclUser, ServerOptions};
use super::process::Process;

/// How long a server may take to answer (as itself) after it starts.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A `redis-server` process on `127.0.0.1` and a free port, with no persistence unless asked,
/// in its own temporary directory. Dropping it kills it (and a watchdog kills it if the test
/// process dies first).
///
/// ```no_run
/// use lock_testkit::server::RedisServer;
///
/// let server = RedisServer::builder().aof(true).debug_command(true).spawn()?;
/// println!("connect to {}", server.url());
/// server.pause()?;   // SIGSTOP
/// server.resume()?;  // SIGCONT
/// server.restart()?; // kill -9, then start again on the same port
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct RedisServer {
    options: ServerOptions,
    port: u16,
    binary: PathBuf,
    dir: tempfile::TempDir,
    process: Mutex<Option<Process>>,
}

/// Builds a [`RedisServer`].
#[derive(Debug, Default)]
#[must_use]
pub struct ServerBuilder {
    options: ServerOptions,
}

impl ServerBuilder {
    /// Append-only file with `appendfsync always`, so locks and fencing counters survive a kill.
    pub fn aof(mut self, on: bool) -> Self {
        self.options.aof = on;
        self
    }

    /// `enable-debug-command local` (for `DEBUG SLEEP`).
    pub fn debug_command(mut self, on: bool) -> Self {
        self.options.debug_command = on;
        self
    }

    /// A password for the default user (`requirepass`).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.options.password = Some(password.into());
        self
    }

    /// An ACL user: `rules` follow `user <name> on ><password>`.
    pub fn user(
        mut self,
        name: impl Into<String>,
        password: impl Into<String>,
        rules: impl Into<String>,
    ) -> Self {
        self.options.users.push(AclUser {
            name: name.into(),
            password: password.into(),
            rules: rules.into(),
        });
        self
    }

    /// Also listen on a unix socket ([`RedisServer::unix_socket`]).
    pub fn unix_socket(mut self, on: bool) -> Self {
        self.options.unix_socket = on;
        self
    }

    /// Start as a replica of the server on `master_port`.
    pub fn replica_of(mut self, master_port: u16) -> Self {
        self.options.replica_of = Some(master_port);
        self
    }

    /// Any other config line, e.g. `"maxmemory 10mb"`.
    pub fn config(mut self, line: impl Into<String>) -> Self {
        self.options.extra.push(line.into());
        self
    }

    /// TLS only: the server listens on a `tls-port` with `certs` (a server certificate for
    /// `127.0.0.1` and `localhost`) and no plain TCP port (`port 0`); [`RedisServer::url`] is
    /// `rediss://127.0.0.1:<port>/`. The harness's own admin connection goes through a unix
    /// socket. Clients need not present a certificate (`tls-auth-clients no`).
    ///
    /// Needs the `tls` feature.
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn tls(mut self, certs: super::tls::TestCerts) -> Self {
        self.options.tls = Some(std::sync::Arc::new(certs));
        self
    }

    pub(crate) fn cluster(mut self) -> Self {
        self.options.cluster = true;
        self
    }

    pub(crate) fn sentinel_of(
        mut self,
        service: &str,
        master_port: u16,
        auth: Option<&str>,
    ) -> Self {
        self.options.sentinel_of = Some((service.to_owned(), master_port));
        self.options.sentinel_auth = auth.map(str::to_owned);
        self
    }

    /// Starts the server and waits until it answers.
    pub fn spawn(self) -> io::Result<RedisServer> {
        RedisServer::start(self.options)
    }
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

impl RedisServer {
    /// A server with default options: no persistence, no password.
    pub fn spawn() -> io::Result<Self> {
        Self::builder().spawn()
    }

    /// A builder for other options.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    fn start(options: ServerOptions) -> io::Result<Self> {
        let binary =
            server_binary().ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, INSTALL_HINT))?;
        let mut last_error = None;
        for _ in 0..8 {
            let dir = tempfile::Builder::new().prefix("lock-testkit-redis-").tempdir()?;
            let port = free_port()?;
            let server = Self {
                options: options.clone(),
                port,
                binary: binary.clone(),
                dir,
                process: Mutex::new(None),
            };
            match server.launch() {
                Ok(()) => return Ok(server),
                // Most likely another test took the port first; try another.
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("could not start redis-server")))
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("redis.conf")
    }

    /// Writes the config, starts the process, and waits until it answers as itself.
    fn launch(&self) -> io::Result<()> {
        std::fs::write(self.config_path(), self.options.config(self.port, self.dir.path()))?;
        let mut args = vec![self.config_path().display().to_string()];
        if self.options.sentinel_of.is_some() {
            args.push("--sentinel".into());
        }
        let mut process = Process::start(&self.binary, &args, self.dir.path())?;
        let started = Instant::now();
        loop {
            if process.exited() {
                return Err(io::Error::other(format!(
                    "redis-server on port {} exited at start: {}",
                    self.port,
                    self.log_tail()
                )));
            }
            // Ours, not another test's server that took the port first (ours then exits).
            if self.answers_as(process.pid()) {
                break;
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("redis-server on port {} did not answer as itself", self.port),
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        *self.process() = Some(process);
        Ok(())
    }

    fn process(&self) -> MutexGuard<'_, Option<Process>> {
        self.process.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the server answering on this server's address is the process `pid`, done
    /// loading its data: Redis answers `INFO` while it loads an AOF or RDB file, and every data
    /// command with `-LOADING` until it is done.
    fn answers_as(&self, pid: u32) -> bool {
        let info = self.admin().and_then(|mut admin| admin.cmd(&["INFO", "server", "persistence"]));
        let info = info.ok().and_then(|reply| reply.text()).unwrap_or_default();
        let line = |name: &str, value: &str| {
            info.lines().any(|l| l.trim_end().strip_prefix(name) == Some(value))
        };
        line("process_id:", &pid.to_string()) && !line("loading:", "1")
    }

    /// The last lines of the server's log, for error messages.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(5)..].join(" | ")
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.process().as_ref().map(Process::pid)
    }

    /// `redis://127.0.0.1:<port>/` (`rediss://` for a TLS server), with the default user's
    /// password when one is set.
    pub fn url(&self) -> String {
        let scheme = self.scheme();
        match &self.options.password {
            Some(password) => format!("{scheme}://:{password}@127.0.0.1:{}/", self.port),
            None => format!("{scheme}://127.0.0.1:{}/", self.port),
        }
    }

    /// The URL for ACL user `name` (created with [`ServerBuilder::user`]).
    pub fn url_for(&self, name: &str) -> Option<String> {
        let user = self.options.users.iter().find(|u| u.name == name)?;
        let scheme = self.scheme();
        Some(format!("{scheme}://{}:{}@127.0.0.1:{}/", user.name, user.password, self.port))
    }

    fn scheme(&self) -> &'static str {
        if self.options.tls_certs().is_some() { "rediss" } else { "redis" }
    }

    /// The certificates of a TLS server ([`ServerBuilder::tls`]).
    ///
    /// Needs the `tls` feature.
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn tls_certs(&self) -> Option<&super::tls::TestCerts> {
        self.options.tls_certs()
    }

    /// The unix socket path, when enabled (a TLS server has one for the harness, not listed here).
    pub fn unix_socket(&self) -> Option<PathBuf> {
        self.options.unix_socket.then(|| self.dir.path().join("redis.sock"))
    }

    /// The directory holding the config, log, and persistence files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// An admin connection (as the default user); through the unix socket on a TLS server.
    pub fn admin(&self) -> io::Result<AdminConn> {
        let auth = self.options.password.as_deref().map(|p| ("default", p));
        if self.options.tls_certs().is_some() {
            return AdminConn::connect_unix(&self.dir.path().join("redis.sock"), auth);
        }
        AdminConn::connect("127.0.0.1", self.port, auth)
    }

    /// Stops the process (SIGSTOP): it keeps its connections but answers nothing.
    pub fn pause(&self) -> io::Result<()> {
        self.signal(Signal::SIGSTOP)
    }

    /// Resumes a paused process (SIGCONT).
    pub fn resume(&self) -> io::Result<()> {
        self.signal(Signal::SIGCONT)
    }

    fn signal(&self, signal: Signal) -> io::Result<()> {
        match self.process().as_ref() {
            Some(process) => process.signal(signal),
            None => Err(io::Error::other("the server is not running")),
        }
    }

    /// Kills the process (SIGKILL), losing whatever was not persisted.
    pub fn kill(&self) {
        if let Some(mut process) = self.process().take() {
            process.kill();
        }
    }

    /// Whether the process is running (possibly paused).
    pub fn is_running(&self) -> bool {
        self.process().as_mut().is_some_and(|p| !p.exited())
    }

    /// Kills the process and starts it again on the same port with the same files.
    pub fn restart(&self) -> io::Result<()> {
        self.restart_after(Duration::ZERO)
    }

    /// Kills the process, waits `delay` (blocking this thread), and starts it again on the same
    /// port with the same files: Redlock's delayed restart.
    pub fn restart_after(&self, delay: Duration) -> io::Result<()> {
        self.kill();
        std::thread::sleep(delay);
        self.start_again()
    }

    /// Starts a killed server again on the same port with the same files.
    pub fn start_again(&self) -> io::Result<()> {
        let mut last = None;
        for _ in 0..50 {
            match self.launch() {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(last.unwrap_or_else(|| io::Error::other("could not restart redis-server")))
    }
}
