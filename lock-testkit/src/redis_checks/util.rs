//! Helpers for the Redis checks.

use crate::failure::Failure;
use crate::server::{AdminConn, RedisServer, shared_server};

pub(super) fn fail_io(e: std::io::Error) -> Failure {
    Failure::new(format!("admin connection: {e}"), "redis check")
}

/// The shared server of this test binary (non-destructive checks only).
pub(super) fn shared() -> Result<&'static RedisServer, Failure> {
    shared_server().ok_or_else(|| Failure::new("no Redis available", "redis check"))
}

/// A private server, for checks that restart it, flush it, or kill its connections.
pub(super) fn private() -> Result<RedisServer, Failure> {
    RedisServer::spawn().map_err(fail_io)
}

pub(super) fn admin(server: &RedisServer) -> Result<AdminConn, Failure> {
    server.admin().map_err(fail_io)
}
