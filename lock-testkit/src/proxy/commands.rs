//! Counting the commands in the client-to-server byte stream.

use crate::resp::frame_len;

/// Redis rejects an inline command longer than this; so does the splitter.
const MAX_INLINE: usize = 64 * 1024;

/// Finds command boundaries in what a client sends, the way `redis-server` does: a buffer
/// starting with `*` holds a RESP array (no reply when it is empty), anything else an inline
/// command line (no reply when it is blank). Bytes that are neither stop the counting on this
/// connection for good; they are still forwarded.
#[derive(Debug, Default)]
pub(crate) struct CommandSplitter {
    /// The start of a command not complete yet.
    pending: Vec<u8>,
    lost: bool,
}

impl CommandSplitter {
    /// Takes the next bytes sent by the client; returns how many commands (that get a reply)
    /// they complete.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> u64 {
        if self.lost {
            return 0;
        }
        self.pending.extend_from_slice(chunk);
        let mut pos = 0;
        let mut complete = 0;
        while let Some(&first) = self.pending.get(pos) {
            let rest = &self.pending[pos..];
            let step = if first == b'*' {
                match frame_len(rest) {
                    Ok(Some(len)) => {
                        Some((len, !rest.starts_with(b"*0\r") && !rest.starts_with(b"*-")))
                    }
                    Ok(None) => None,
                    Err(_) => return self.lose(complete),
                }
            } else {
                match rest.iter().position(|&b| b == b'\n') {
                    Some(newline) => Some((newline + 1, !rest[..newline].trim_ascii().is_empty())),
                    None if rest.len() > MAX_INLINE => return self.lose(complete),
                    None => None,
                }
            };
            let Some((len, replied)) = step else { break };
            pos += len;
            complete += u64::from(replied);
        }
        self.pending.drain(..pos);
        complete
    }

    /// Stops counting; returns `complete`, the commands found before the bad bytes.
    fn lose(&mut self, complete: u64) -> u64 {
        self.lost = true;
        self.pending = Vec::new();
        complete
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_arrays_across_chunks() {
        let mut splitter = CommandSplitter::default();
        let stream = b"*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
        let mut total = 0;
        for byte in stream.chunks(1) {
            total += splitter.feed(byte);
        }
        assert_eq!(total, 2);
        assert_eq!(splitter.feed(stream), 2);
    }

    #[test]
    fn inline_and_empty_commands() {
        let mut splitter = CommandSplitter::default();
        assert_eq!(splitter.feed(b"PING\r\n\r\n  \r\n*0\r\nECHO x\n"), 2);
        assert_eq!(splitter.feed(b"GET"), 0);
        assert_eq!(splitter.feed(b" k\r\n"), 1);
    }

    #[test]
    fn garbage_stops_counting() {
        let mut splitter = CommandSplitter::default();
        assert_eq!(splitter.feed(b"PING\r\n*1\r\n?\r\n"), 1);
        assert_eq!(splitter.feed(b"*1\r\n$4\r\nPING\r\n"), 0);
    }
}
