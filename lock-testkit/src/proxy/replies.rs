//! Counting the replies in the server-to-client byte stream, to cut one out.

use super::pump::Verdict;
use crate::resp::frame_len;

/// Numbers the top-level frames a server sends on one connection (1, 2, ...) so that the `k`-th
/// reply can be matched to the `k`-th command. RESP3 pushes (`>`) answer no command and are not
/// numbered. Bytes that are not RESP stop the numbering on this connection for good.
#[derive(Debug, Default)]
pub(crate) struct ReplyCounter {
    /// The start of a frame not complete yet (already passed on).
    pending: Vec<u8>,
    done: u64,
    lost: bool,
}

impl ReplyCounter {
    /// Takes the next bytes from the server; `drop` is the number of the reply to swallow
    /// (`u64::MAX` for none).
    pub(crate) fn feed(&mut self, chunk: &[u8], drop: u64) -> Verdict {
        let all = Verdict::forward(chunk.len());
        if self.lost {
            return all;
        }
        let chunk_start = self.pending.len();
        self.pending.extend_from_slice(chunk);
        let mut pos = 0;
        while let Some(&first) = self.pending.get(pos) {
            if first != b'>' && self.done.saturating_add(1) == drop {
                return Verdict { forward: pos.saturating_sub(chunk_start), close: true };
            }
            match frame_len(&self.pending[pos..]) {
                Ok(Some(len)) => {
                    pos += len;
                    self.done += u64::from(first != b'>');
                }
                Ok(None) => break,
                Err(_) => {
                    self.lost = true;
                    self.pending = Vec::new();
                    return all;
                }
            }
        }
        self.pending.drain(..pos);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: u64 = u64::MAX;

    #[test]
    fn passes_everything_without_a_drop() {
        let mut counter = ReplyCounter::default();
        let cut = counter.feed(b"+OK\r\n$3\r\nfo", NONE);
        assert_eq!((cut.forward, cut.close), (11, false));
        assert_eq!(counter.feed(b"o\r\n", NONE).forward, 3);
        assert_eq!(counter.done, 2);
    }

    #[test]
    fn cuts_where_the_dropped_reply_starts() {
        let mut counter = ReplyCounter::default();
        assert_eq!(counter.feed(b"+OK\r\n:1", 3).forward, 7);
        let cut = counter.feed(b"\r\n+THIRD\r\n", 3);
        assert_eq!(cut, Verdict { forward: 2, close: true });
    }

    #[test]
    fn cuts_at_chunk_start_and_skips_pushes() {
        let mut counter = ReplyCounter::default();
        assert_eq!(counter.feed(b"+OK\r\n", 2), Verdict::forward(5));
        let cut = counter.feed(b">2\r\n+invalidate\r\n*-1\r\n+MINE\r\n", 2);
        assert_eq!((cut.forward, cut.close), (22, true));
        let mut first = ReplyCounter::default();
        assert_eq!(first.feed(b"+OK\r\n", 1), Verdict { forward: 0, close: true });
    }
}
