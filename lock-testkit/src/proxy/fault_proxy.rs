//! `FaultProxy`: the listener, its fault controls and its statistics.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use std::{fmt, io};

use tokio::net::TcpListener;
use tokio::task::AbortHandle;

use super::connection::serve;
use super::faults::Faults;
use super::registry::Registry;

/// A TCP proxy on `127.0.0.1` in front of one Redis server, with faults switched on and off
/// from the test: latency, a blackhole, a dropped reply, cut or refused connections.
///
/// Each accepted connection gets its own upstream connection. Every control takes `&self`,
/// returns at once and applies to the next chunk of bytes read (chunks already read and being
/// delayed still go out). Closing either side of a connection closes the other, even while
/// blackholed. Dropping the proxy stops the listener and closes every connection.
///
/// See the [module documentation](super) for an example.
pub struct FaultProxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    faults: Arc<Faults>,
    connections: Arc<Registry>,
    listener: AbortHandle,
}

impl FaultProxy {
    /// Listens on `127.0.0.1` and a port the OS chooses, and forwards every connection to
    /// `upstream`. Must be called within a tokio runtime, which then runs the proxy.
    ///
    /// # Errors
    ///
    /// When the listening socket cannot be opened.
    pub async fn start(upstream: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let faults = Arc::new(Faults::default());
        let connections = Arc::new(Registry::default());
        let accepting = accept(listener, upstream, Arc::clone(&faults), Arc::clone(&connections));
        let listener = tokio::spawn(accepting).abort_handle();
        Ok(Self { addr, upstream, faults, connections, listener })
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `redis://127.0.0.1:<port>/`, for clients that take a URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port())
    }

    /// The server behind the proxy.
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// Delays every chunk, in each direction, by `latency` from when it was read (so a round
    /// trip takes at least twice as long). Byte order is kept. `Duration::ZERO` turns it off.
    pub fn set_latency(&self, latency: Duration) {
        self.faults.set_latency(latency);
    }

    /// While on, bytes from both sides are read and thrown away: commands never reach the
    /// server, replies never reach the client, and connections stay open (clients time out).
    /// New connections are accepted and swallowed too. Commands thrown away are not counted.
    pub fn blackhole(&self, on: bool) {
        self.faults.set_blackhole(on);
    }

    /// Lets the `n`-th client command from now (counted over all connections, see
    /// [`commands_seen`](Self::commands_seen)) reach the server, but swallows its reply and
    /// closes that connection on both sides instead: the client sees the connection close
    /// without an answer although the server applied the command. `n` counts from 1; `0`
    /// cancels a pending drop. One drop is pending at most: a new call replaces it.
    ///
    /// Replies are matched to commands by their order on the connection, which holds for
    /// command connections; it is not meant for connections in subscriber or `MONITOR` mode, or
    /// after `CLIENT REPLY OFF`. RESP3 pushes (`>`) are passed on and not taken for replies.
    pub fn drop_reply_to_command(&self, n: u64) {
        self.faults.drop_reply_to_command(n);
    }

    /// Closes every connection open now, on both sides. New connections are still accepted.
    pub fn cut_all(&self) {
        self.connections.cut_all();
    }

    /// While on, new connections are closed right after they are accepted (clients see the
    /// connection succeed, then end before any reply). Open connections are not affected.
    pub fn refuse(&self, on: bool) {
        self.faults.set_refuse(on);
    }

    /// Back to a plain proxy: no latency, no blackhole, no refusal, no pending reply drop.
    pub fn heal(&self) {
        self.faults.heal();
    }

    /// How many client connections are being proxied now.
    pub fn open_connections(&self) -> usize {
        self.connections.len()
    }

    /// How many commands (RESP arrays, or inline commands) clients sent to the server through
    /// the proxy, over all connections. Commands lost to the blackhole are not counted.
    pub fn commands_seen(&self) -> u64 {
        self.faults.commands_seen()
    }

    /// How many replies [`drop_reply_to_command`](Self::drop_reply_to_command) swallowed.
    pub fn replies_dropped(&self) -> u64 {
        self.faults.replies_dropped()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.listener.abort();
        self.connections.close();
    }
}

impl fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr)
            .field("upstream", &self.upstream)
            .field("faults", &self.faults)
            .field("open_connections", &self.open_connections())
            .finish_non_exhaustive()
    }
}

/// Accepts connections until the task is aborted.
async fn accept(
    listener: TcpListener,
    upstream: SocketAddr,
    faults: Arc<Faults>,
    connections: Arc<Registry>,
) {
    loop {
        let client = match listener.accept().await {
            Ok((client, _)) => client,
            Err(_) => {
                // Out of file descriptors and the like: try again shortly.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        if faults.refusing() {
            drop(client);
            continue;
        }
        connections.spawn(serve(client, upstream, Arc::clone(&faults)));
    }
}
