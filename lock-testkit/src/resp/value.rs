//! RESP2 values, read from a complete frame.

use std::fmt;

use super::frames::{FrameError, length, line_end};

/// A RESP2 value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RespValue {
    /// `+OK`
    Simple(String),
    /// `-ERR ...`
    Error(String),
    /// `:1`
    Int(i64),
    /// `$3\r\nfoo` or nil.
    Bulk(Option<Vec<u8>>),
    /// `*2 ...` or nil.
    Array(Option<Vec<RespValue>>),
}

impl RespValue {
    /// The value as text (simple or bulk string), lossy.
    pub fn text(&self) -> Option<String> {
        match self {
            Self::Simple(s) => Some(s.clone()),
            Self::Bulk(Some(b)) => Some(String::from_utf8_lossy(b).into_owned()),
            _ => None,
        }
    }

    /// The value as an integer.
    pub fn int(&self) -> Option<i64> {
        match self {
            Self::Int(n) => Some(*n),
            _ => self.text()?.parse().ok(),
        }
    }

    /// The items of an array (empty for anything else).
    pub fn items(&self) -> &[RespValue] {
        match self {
            Self::Array(Some(items)) => items,
            _ => &[],
        }
    }

    /// Whether this is an error reply.
    pub fn is_error(&self) -> bool {
        matches!(self, Self::Error(_))
    }
}

impl fmt::Display for RespValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Simple(s) => write!(f, "{s}"),
            Self::Error(e) => write!(f, "(error) {e}"),
            Self::Int(n) => write!(f, "{n}"),
            Self::Bulk(Some(b)) => write!(f, "{}", String::from_utf8_lossy(b)),
            Self::Bulk(None) | Self::Array(None) => write!(f, "(nil)"),
            Self::Array(Some(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, " ")?;
                    }
                    write!(f, "{item}")?;
                }
                Ok(())
            }
        }
    }
}

/// The RESP2 value at the start of `buf` and the length of its frame; `Ok(None)` when `buf`
/// holds only the beginning of one. RESP3 types are an error (the harness speaks RESP2).
///
/// ```
/// use lock_testkit::server::{RespValue, decode};
///
/// let (value, len) = decode(b"*2\r\n$3\r\nfoo\r\n:7\r\n+next").unwrap().unwrap();
/// assert_eq!(len, 17);
/// assert!(matches!(value, RespValue::Array(Some(_))));
/// assert_eq!(value.items()[0].text().as_deref(), Some("foo"));
/// assert_eq!(value.items()[1].int(), Some(7));
/// assert_eq!(decode(b"$3\r\nfo").unwrap(), None);
/// ```
pub fn decode(buf: &[u8]) -> Result<Option<(RespValue, usize)>, FrameError> {
    let mut pos = 0;
    Ok(value_at(buf, &mut pos)?.map(|value| (value, pos)))
}

fn value_at(buf: &[u8], pos: &mut usize) -> Result<Option<RespValue>, FrameError> {
    let start = *pos;
    let Some(&kind) = buf.get(start) else { return Ok(None) };
    let Some(end) = line_end(buf, start)? else { return Ok(None) };
    let header = &buf[start + 1..end - 2];
    let text = || String::from_utf8_lossy(header).into_owned();
    *pos = end;
    let value = match kind {
        b'+' => RespValue::Simple(text()),
        b'-' => RespValue::Error(text()),
        b':' => {
            let n = text().parse().map_err(|_| FrameError::new(start, "bad integer"))?;
            RespValue::Int(n)
        }
        b'$' => match length(header, true, start)? {
            None => RespValue::Bulk(None),
            Some(len) => {
                let len = usize::try_from(len)
                    .map_err(|_| FrameError::new(start, "blob length too large"))?;
                let Some(blob) = buf.get(end..end + len + 2) else { return Ok(None) };
                if &blob[len..] != b"\r\n" {
                    return Err(FrameError::new(end + len, "blob not followed by CRLF"));
                }
                *pos = end + len + 2;
                RespValue::Bulk(Some(blob[..len].to_vec()))
            }
        },
        b'*' => match length(header, true, start)? {
            None => RespValue::Array(None),
            Some(count) => {
                let mut items = Vec::new();
                for _ in 0..count {
                    let Some(item) = value_at(buf, pos)? else { return Ok(None) };
                    items.push(item);
                }
                RespValue::Array(Some(items))
            }
        },
        _ => return Err(FrameError::new(start, "not a RESP2 type")),
    };
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::frame_len;

    /// Every frame the harness meets decodes to its value, over exactly the length the framer
    /// finds, and each proper prefix of it is incomplete for both.
    #[test]
    fn decode_agrees_with_the_framer() {
        let cases: [(&[u8], RespValue); 7] = [
            (b"+OK\r\n", RespValue::Simple("OK".into())),
            (b"-ERR no\r\n", RespValue::Error("ERR no".into())),
            (b":-42\r\n", RespValue::Int(-42)),
            (b"$-1\r\n", RespValue::Bulk(None)),
            (b"$4\r\na\r\nb\r\n", RespValue::Bulk(Some(b"a\r\nb".to_vec()))),
            (b"*-1\r\n", RespValue::Array(None)),
            (
                b"*2\r\n*1\r\n:1\r\n$0\r\n\r\n",
                RespValue::Array(Some(vec![
                    RespValue::Array(Some(vec![RespValue::Int(1)])),
                    RespValue::Bulk(Some(Vec::new())),
                ])),
            ),
        ];
        for (frame, expected) in cases {
            assert_eq!(decode(frame), Ok(Some((expected, frame.len()))), "{frame:?}");
            assert_eq!(frame_len(frame), Ok(Some(frame.len())), "{frame:?}");
            for cut in 0..frame.len() {
                assert_eq!(decode(&frame[..cut]), Ok(None), "prefix {cut} of {frame:?}");
            }
        }
    }

    #[test]
    fn resp3_and_garbage_are_errors() {
        for bad in [&b"%1\r\n+a\r\n:1\r\n"[..], b"?\r\n", b"$3\r\nfooXY", b":x\r\n"] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
    }
}
