//! One client connection and its own upstream connection, with the faults applied.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::net::TcpStream;

use super::commands::CommandSplitter;
use super::faults::Faults;
use super::pump::{Verdict, pump};
use super::replies::ReplyCounter;

/// "No reply to drop on this connection."
const NO_DROP: u64 = u64::MAX;

/// Connects to `upstream` and relays between it and `client` until one side closes, a write
/// fails, or the reply chosen by [`Faults::drop_reply_to_command`] comes back. Either way both
/// sockets are closed on return (and when the future is dropped).
pub(crate) async fn serve(mut client: TcpStream, upstream: SocketAddr, faults: Arc<Faults>) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    // Latency figures must not depend on Nagle's algorithm; failure only costs speed.
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.split();
    let (server_read, server_write) = server.split();

    // Commands numbered per connection; the number of the one whose reply is to go.
    let mut commands = CommandSplitter::default();
    let mut sent: u64 = 0;
    let drop_reply = AtomicU64::new(NO_DROP);
    let mut replies = ReplyCounter::default();

    let requests = pump(
        client_read,
        server_write,
        || faults.latency(),
        |chunk| {
            if faults.blackholed() {
                return Verdict::forward(0);
            }
            for _ in 0..commands.feed(chunk) {
                sent += 1;
                if faults.count_command() {
                    drop_reply.fetch_min(sent, Ordering::SeqCst);
                }
            }
            Verdict::forward(chunk.len())
        },
    );
    let responses = pump(
        server_read,
        client_write,
        || faults.latency(),
        |chunk| {
            // Replies are numbered even while blackholed, so numbers stay matched to commands.
            let mut verdict = replies.feed(chunk, drop_reply.load(Ordering::SeqCst));
            if verdict.close {
                faults.count_dropped_reply();
            }
            if faults.blackholed() {
                verdict.forward = 0;
            }
            verdict
        },
    );
    tokio::select! {
        () = requests => {}
        () = responses => {}
    }
}
