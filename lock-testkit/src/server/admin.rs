//! A tiny blocking RESP2 client for the harness's own admin commands (no client library, so the
//! harness works the same under every backend); replies are read by the testkit's one RESP
//! reader ([`crate::resp`]).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use crate::resp::{RespValue, decode};

/// A blocking connection for admin commands: `CLIENT KILL`, `SCRIPT FLUSH`, `PUBSUB CHANNELS`,
/// `CLUSTER INFO`, a foreign client's `SET NX PX`, and so on.
#[derive(Debug)]
pub struct AdminConn {
    stream: Stream,
    /// Bytes read past the last reply.
    buf: Vec<u8>,
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
        let mut conn = Self { stream, buf: Vec::new() };
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
        self.stream.set_timeout(timeout)
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
        self.stream.write_all(&out)?;
        self.reply()
    }

    /// Reads the next reply.
    fn reply(&mut self) -> io::Result<RespValue> {
        loop {
            if let Some((value, len)) = decode(&self.buf).map_err(|e| bad(e.to_string()))? {
                self.buf.drain(..len);
                return Ok(value);
            }
            let mut chunk = [0u8; 16 * 1024];
            let read = self.stream.read(&mut chunk)?;
            if read == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"));
            }
            self.buf.extend_from_slice(&chunk[..read]);
        }
    }
}

fn bad(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}
