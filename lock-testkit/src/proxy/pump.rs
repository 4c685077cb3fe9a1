//! One direction of a proxied connection: read, decide, delay, write, in order.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

/// Bytes read per `read` call.
const CHUNK: usize = 16 * 1024;
/// Chunks in flight (read but not yet written) before reading waits.
const IN_FLIGHT: usize = 256;

/// What to do with a chunk just read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// How many leading bytes of the chunk to pass on.
    pub(crate) forward: usize,
    /// Whether to close the connection after those bytes.
    pub(crate) close: bool,
}

impl Verdict {
    /// Pass on `len` bytes, keep the connection.
    pub(crate) fn forward(len: usize) -> Self {
        Self { forward: len, close: false }
    }
}

/// What the writer does at its due time.
#[derive(Debug)]
enum Step {
    Write(Vec<u8>),
    /// End of stream, a read error or a [`Verdict::close`]: the connection closes.
    Close,
}

/// Copies `from` to `to` until either side closes or `decide` says to close.
///
/// For each chunk read, `decide` says how many leading bytes to pass on and whether to close
/// after them; `latency` is read once per chunk and delays its bytes (and a close) by that much
/// from the moment they were read. Order is kept whatever the latency does meanwhile.
/// Returns when the connection should close.
pub(crate) async fn pump<R, W>(
    mut from: R,
    mut to: W,
    latency: impl Fn() -> Duration,
    mut decide: impl FnMut(&[u8]) -> Verdict,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (tx, mut rx) = mpsc::channel::<(Instant, Step)>(IN_FLIGHT);
    let read = async move {
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = from.read(&mut buf).await.unwrap_or(0);
            let due = Instant::now() + latency();
            if n == 0 {
                let _ = tx.send((due, Step::Close)).await;
                return;
            }
            let Verdict { forward, close } = decide(&buf[..n]);
            if forward > 0 && tx.send((due, Step::Write(buf[..forward].to_vec()))).await.is_err() {
                return;
            }
            if close {
                let _ = tx.send((due, Step::Close)).await;
                return;
            }
        }
    };
    let write = async move {
        while let Some((due, step)) = rx.recv().await {
            if due > Instant::now() {
                sleep_until(due).await;
            }
            match step {
                Step::Write(bytes) => {
                    if to.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                Step::Close => return,
            }
        }
    };
    tokio::pin!(write);
    tokio::select! {
        () = &mut write => {}
        () = read => write.await,
    }
}
