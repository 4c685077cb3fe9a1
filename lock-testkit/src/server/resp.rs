//! A tiny blocking RESP2 client for the harness's own admin commands (no client library, so the
//! harness works the same under every backend).

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

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

/// A blocking connection for admin commands: `CLIENT KILL`, `SCRIPT FLUSH`, `PUBSUB CHANNELS`,
/// `CLUSTER INFO`, a foreign client's `SET NX PX`, and so on.
#[derive(Debug)]
pub struct AdminConn {
    reader: BufReader<Stream>,
}

/// What an admin connection runs over: TCP, or the unix socket of a TLS-only server.
#[derive(Debug)]
enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    fn set_timeout(&self, timeout: Duration) -> io::Result<()> {
        match self {
            Self::Tcp(s) => {
                s.set_read_timeout(Some(timeout))?;
                s.set_write_timeout(Some(timeout))
            }
            Self::Unix(s) => {
                s.set_read_timeout(Some(timeout))?;
                s.set_write_timeout(Some(timeout))
            }
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Tcp(s) => s.read(buf),
            Self::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Tcp(s) => s.write(buf),
            Self::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.flush(),
            Self::Unix(s) => s.flush(),
        }
    }
}

impl AdminConn {
    /// Connects to `host:port`, authenticating when `auth` is `Some((user, password))`.
    pub fn connect(host: &str, port: u16, auth: Option<(&str, &str)>) -> io::Result<Self> {
        let stream = TcpStream::connect((host, port))?;
        stream.set_nodelay(true)?;
        Self::over(Stream::Tcp(stream), auth)
    }

    /// Connects to the unix socket at `path` (how the harness reaches a TLS-only server),
    /// authenticating when `auth` is `Some((user, password))`.
    pub fn connect_unix(path: &Path, auth: Option<(&str, &str)>) -> io::Result<Self> {
        Self::over(Stream::Unix(UnixStream::connect(path)?), auth)
    }

    fn over(stream: Stream, auth: Option<(&str, &str)>) -> io::Result<Self> {
        stream.set_timeout(Duration::from_secs(10))?;
        let mut conn = Self { reader: BufReader::new(stream) };
        if let Some((user, password)) = auth {
            let reply = conn.cmd(&["AUTH", user, password])?;
            if reply.is_error() {
                return Err(io::Error::new(io::ErrorKind::PermissionDenied, reply.to_string()));
            }
        }
        Ok(conn)
    }

    /// Sets the read and write timeout of every later command (10 s after
    /// [`connect`](Self::connect)).
    pub fn set_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        self.reader.get_ref().set_timeout(timeout)
    }

    /// Sends one command of text arguments.
    pub fn cmd(&mut self, args: &[&str]) -> io::Result<RespValue> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.cmd_bytes(&args)
    }

    /// How many times the server has executed each command so far (`INFO commandstats`,
    /// lowercase names; commands run inside scripts are counted too), so a test or benchmark can
    /// tell what a piece of work cost the server from the difference of two readings. The
    /// `INFO` of a reading counts in the next one.
    pub fn command_calls(&mut self) -> io::Result<std::collections::BTreeMap<String, u64>> {
        let stats = self.cmd(&["INFO", "commandstats"])?;
        let text = stats.text().ok_or_else(|| bad("INFO commandstats answered no text"))?;
        Ok(text
            .lines()
            .filter_map(|line| {
                let (name, rest) = line.strip_prefix("cmdstat_")?.split_once(":calls=")?;
                Some((name.to_owned(), rest.split(',').next()?.parse().ok()?))
            })
            .collect())
    }

    /// Sends one command of binary arguments.
    pub fn cmd_bytes(&mut self, args: &[&[u8]]) -> io::Result<RespValue> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
        self.reader.get_mut().write_all(&out)?;
        read_value(&mut self.reader)
    }
}

fn bad(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

fn read_line(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"));
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn read_value(reader: &mut impl BufRead) -> io::Result<RespValue> {
    let line = read_line(reader)?;
    let (kind, rest) = line.split_at(1.min(line.len()));
    let number = || rest.parse::<i64>().map_err(|_| bad(format!("bad RESP length in {line:?}")));
    match kind {
        "+" => Ok(RespValue::Simple(rest.to_owned())),
        "-" => Ok(RespValue::Error(rest.to_owned())),
        ":" => Ok(RespValue::Int(number()?)),
        "$" => {
            let len = number()?;
            if len < 0 {
                return Ok(RespValue::Bulk(None));
            }
            let mut buf = vec![0u8; len as usize + 2];
            reader.read_exact(&mut buf)?;
            buf.truncate(len as usize);
            Ok(RespValue::Bulk(Some(buf)))
        }
        "*" => {
            let len = number()?;
            if len < 0 {
                return Ok(RespValue::Array(None));
            }
            let items = (0..len).map(|_| read_value(reader)).collect::<io::Result<Vec<_>>>()?;
            Ok(RespValue::Array(Some(items)))
        }
        _ => Err(bad(format!("unexpected RESP line {line:?}"))),
    }
}
