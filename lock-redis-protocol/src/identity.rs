//! Naming a Redis server by its identity rather than by the address it was reached at.

/// The endpoint (see `LockBackend::endpoint`) of the Redis server whose `INFO` reply (plain
/// `INFO`, or `INFO server`) is `info`: `redis run_id=<run_id>`. It is the same however the server was addressed (host name
/// or IP, TCP or Unix socket) and whichever database was selected, since a Redlock quorum must
/// count one server once; it changes when the server restarts. `None` when the reply holds no
/// well-formed `run_id` (40 hex digits).
///
/// ```
/// let info = "# Server\r\nredis_version:7.0.15\r\nrun_id:0123456789abcdef0123456789abcdef01234567\r\n";
/// assert_eq!(
///     lock_redis_protocol::server_endpoint(info).as_deref(),
///     Some("redis run_id=0123456789abcdef0123456789abcdef01234567")
/// );
/// assert_eq!(lock_redis_protocol::server_endpoint("# Server\r\nredis_version:7.0.15\r\n"), None);
/// ```
pub fn server_endpoint(info: &str) -> Option<String> {
    let run_id = info.lines().find_map(|line| line.trim().strip_prefix("run_id:"))?;
    let valid = run_id.len() == 40 && run_id.bytes().all(|b| b.is_ascii_hexdigit());
    valid.then(|| format!("redis run_id={run_id}"))
}
