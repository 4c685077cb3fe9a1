//! Framing: where the first complete top-level RESP frame of a byte stream ends.

use std::fmt;

/// The longest length header (`$`, `*`, `%` ... up to `\r\n`) accepted before the bytes are
/// declared not RESP; an `i64` needs 20 characters.
const MAX_HEADER: usize = 32;

/// Bytes that are not RESP2/RESP3, found by [`frame_len`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameError {
    offset: usize,
    reason: &'static str,
}

impl FrameError {
    pub(crate) fn new(offset: usize, reason: &'static str) -> Self {
        Self { offset, reason }
    }

    /// Where in the buffer the bad byte sequence starts.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What is wrong there.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not RESP at byte {}: {}", self.offset, self.reason)
    }
}

impl std::error::Error for FrameError {}

/// The length of the first complete top-level RESP frame at the start of `buf`, `Ok(None)` when
/// `buf` holds only the beginning of one (or nothing), or an error when `buf` is not RESP.
///
/// Knows the RESP2 and RESP3 types `+ - : $ * _ , # ! = ( % ~ > |`, including the nulls `$-1`
/// and `*-1`. Aggregates count their elements (two per map or attribute entry); an attribute
/// (`|`) belongs to the frame that follows it, so that frame is part of the returned length.
/// Streamed RESP3 aggregates (`$?`, `*?`) are not supported (Redis never sends them). Nesting
/// depth costs no stack.
///
/// ```
/// use lock_testkit::proxy::frame_len;
///
/// assert_eq!(frame_len(b"+OK\r\n:1\r\n"), Ok(Some(5)));
/// assert_eq!(frame_len(b"*2\r\n$3\r\nGET\r\n$1\r\n"), Ok(None));
/// assert!(frame_len(b"?what\r\n").is_err());
/// ```
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, FrameError> {
    let mut pos = 0;
    // Frames still to read, the top-level one included.
    let mut remaining: u64 = 1;
    while remaining > 0 {
        let Some(&kind) = buf.get(pos) else {
            return Ok(None);
        };
        if !b"+-:$*_,#!=(%~>|".contains(&kind) {
            return Err(FrameError::new(pos, "unknown RESP type"));
        }
        remaining -= 1;
        let Some(line_end) = line_end(buf, pos)? else {
            return Ok(None);
        };
        let header = &buf[pos + 1..line_end - 2];
        let start = pos;
        pos = line_end;
        match kind {
            b'+' | b'-' | b':' | b',' | b'(' => {}
            b'_' if header.is_empty() => {}
            b'#' if header == b"t" || header == b"f" => {}
            b'$' | b'!' | b'=' => {
                let Some(len) = length(header, kind == b'$', start)? else {
                    continue;
                };
                let end = usize::try_from(len)
                    .ok()
                    .and_then(|len| pos.checked_add(len)?.checked_add(2))
                    .ok_or_else(|| FrameError::new(start, "blob length too large"))?;
                if buf.len() < end {
                    return Ok(None);
                }
                if &buf[end - 2..end] != b"\r\n" {
                    return Err(FrameError::new(end - 2, "blob not followed by CRLF"));
                }
                pos = end;
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let Some(count) = length(header, kind == b'*', start)? else {
                    continue;
                };
                let items = match kind {
                    b'%' => count.checked_mul(2),
                    // The attribute's entries, then the frame it is attached to.
                    b'|' => count.checked_mul(2).and_then(|n| n.checked_add(1)),
                    _ => Some(count),
                };
                remaining = items
                    .and_then(|n| remaining.checked_add(n))
                    .ok_or_else(|| FrameError::new(start, "aggregate too large"))?;
            }
            _ => return Err(FrameError::new(start, "bad null or boolean")),
        }
    }
    Ok(Some(pos))
}

/// The position just past the `\r\n` ending the line that starts at `pos`.
pub(crate) fn line_end(buf: &[u8], pos: usize) -> Result<Option<usize>, FrameError> {
    let rest = &buf[pos..];
    let Some(newline) = rest.iter().position(|&b| b == b'\n') else {
        let is_length =
            matches!(rest.first(), Some(b'$' | b'!' | b'=' | b'*' | b'~' | b'>' | b'%' | b'|'));
        if is_length && rest.len() > MAX_HEADER {
            return Err(FrameError::new(pos, "length header too long"));
        }
        return Ok(None);
    };
    if newline == 0 || rest[newline - 1] != b'\r' {
        return Err(FrameError::new(pos + newline, "LF without CR"));
    }
    Ok(Some(pos + newline + 1))
}

/// A length or count header: `Ok(None)` for the null `-1` (where `null_ok`).
pub(crate) fn length(header: &[u8], null_ok: bool, at: usize) -> Result<Option<u64>, FrameError> {
    if null_ok && header == b"-1" {
        return Ok(None);
    }
    if header.is_empty() || header.len() > 19 || !header.iter().all(u8::is_ascii_digit) {
        return Err(FrameError::new(at, "bad length"));
    }
    Ok(Some(header.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len(buf: &[u8]) -> Option<usize> {
        frame_len(buf).expect("valid RESP")
    }

    /// Every proper prefix of `frame` is incomplete, and `frame` itself is one frame even with
    /// more bytes after it.
    fn assert_frame(frame: &[u8]) {
        for cut in 0..frame.len() {
            assert_eq!(len(&frame[..cut]), None, "prefix {cut} of {frame:?}");
        }
        assert_eq!(len(frame), Some(frame.len()), "{frame:?}");
        let mut more = frame.to_vec();
        more.extend_from_slice(b"+next\r\n");
        assert_eq!(len(&more), Some(frame.len()), "{frame:?} then more");
    }

    #[test]
    fn simple_types() {
        for frame in [
            &b"+OK\r\n"[..],
            b"-ERR wrong\r\n",
            b":-42\r\n",
            b"_\r\n",
            b",3.14\r\n",
            b",inf\r\n",
            b"#t\r\n",
            b"#f\r\n",
            b"(3492890328409238509324850943850943825024385\r\n",
            b"+\r\n",
        ] {
            assert_frame(frame);
        }
    }

    #[test]
    fn blobs() {
        assert_frame(b"$3\r\nfoo\r\n");
        assert_frame(b"$0\r\n\r\n");
        assert_frame(b"$4\r\na\r\nb\r\n");
        assert_frame(b"!21\r\nSYNTAX invalid syntax\r\n");
        assert_frame(b"=15\r\ntxt:Some string\r\n");
    }

    #[test]
    fn nulls() {
        assert_frame(b"$-1\r\n");
        assert_frame(b"*-1\r\n");
        assert_frame(b"*2\r\n$-1\r\n*-1\r\n");
    }

    #[test]
    fn arrays_nested() {
        assert_frame(b"*0\r\n");
        assert_frame(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
        assert_frame(b"*2\r\n*2\r\n:1\r\n:2\r\n*1\r\n*1\r\n+deep\r\n");
        assert_frame(b"~2\r\n+a\r\n+b\r\n");
    }

    #[test]
    fn maps_count_two_frames_per_entry() {
        assert_frame(b"%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n");
        assert_eq!(len(b"%2\r\n+a\r\n:1\r\n+b\r\n"), None);
        assert_frame(b"%1\r\n+m\r\n%1\r\n+n\r\n*1\r\n:1\r\n");
    }

    #[test]
    fn attribute_belongs_to_the_following_frame() {
        assert_frame(b"|1\r\n+ttl\r\n:3600\r\n*2\r\n:1\r\n:2\r\n");
        assert_eq!(len(b"|1\r\n+ttl\r\n:3600\r\n"), None);
        // Inside an aggregate the attribute does not count as an element.
        assert_frame(b"*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n");
    }

    #[test]
    fn push() {
        assert_frame(b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
    }

    #[test]
    fn two_frames_back_to_back() {
        let buf = b"+OK\r\n$1\r\nx\r\n";
        assert_eq!(len(buf), Some(5));
        assert_eq!(len(&buf[5..]), Some(7));
    }

    #[test]
    fn not_resp() {
        for bad in [
            &b"PING\r\n"[..],
            b"PING",
            b"?\r\n",
            b"$x\r\n",
            b"$-2\r\n",
            b"*-1x\r\n",
            b"%-1\r\n",
            b"$3\r\nfooXY",
            b"+OK\n",
            b"_x\r\n",
            b"#maybe\r\n",
            b"$?\r\n",
            b"*99999999999999999999999\r\n",
        ] {
            assert!(frame_len(bad).is_err(), "{bad:?} should be rejected");
        }
        let endless = [b"*".as_slice(), &[b'1'; 40]].concat();
        assert!(frame_len(&endless).is_err());
        let err = frame_len(b"+OK\r\n!").err();
        assert_eq!(err, None, "only the first frame is looked at");
    }

    #[test]
    fn errors_say_where() {
        let err = frame_len(b"*2\r\n:1\r\n?\r\n").expect_err("bad");
        assert_eq!(err.offset(), 8);
        assert_eq!(err.reason(), "unknown RESP type");
        assert!(err.to_string().contains("byte 8"));
    }
}
