//! Finding `redis-server`, and what to do when it is missing.

use std::env;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Environment variable: the `redis-server` binary to run (default: `redis-server` on `PATH`).
pub const SERVER_BIN_ENV: &str = "LOCK_TEST_REDIS_SERVER";
/// Environment variable: the `redis-cli` binary (default: next to `redis-server`, or on `PATH`).
pub const CLI_BIN_ENV: &str = "LOCK_TEST_REDIS_CLI";
/// Environment variable: run the standalone suites against this server instead of spawning one.
pub const EXTERNAL_URL_ENV: &str = "LOCK_TEST_REDIS_URL";
/// Environment variable: when `1`, a missing Redis fails the tests instead of skipping them
/// (CI sets it, so a green run always means the Redis tests ran).
pub const REQUIRE_ENV: &str = "LOCK_TEST_REQUIRE_REDIS";

/// What to tell a user without Redis.
pub const INSTALL_HINT: &str = "redis-server was not found. Install it (Debian/Ubuntu: `apt-get install redis-server`; \
     macOS: `brew install redis`), or set LOCK_TEST_REDIS_SERVER=/path/to/redis-server, \
     or point LOCK_TEST_REDIS_URL at a running server";

fn on_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}

/// The `redis-server` binary, if one can be found.
pub fn server_binary() -> Option<PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| match env::var_os(SERVER_BIN_ENV) {
            Some(path) => Some(PathBuf::from(path)).filter(|p| p.is_file()),
            None => on_path("redis-server"),
        })
        .clone()
}

/// The `redis-cli` binary, if one can be found.
pub fn cli_binary() -> Option<PathBuf> {
    if let Some(path) = env::var_os(CLI_BIN_ENV) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let beside = server_binary()
        .and_then(|s| s.parent().map(|d| d.join("redis-cli")))
        .filter(|p| p.is_file());
    beside.or_else(|| on_path("redis-cli"))
}

/// Whether a missing Redis must fail the tests ([`REQUIRE_ENV`] is `1`).
pub fn redis_required() -> bool {
    env::var(REQUIRE_ENV).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// The external server from [`EXTERNAL_URL_ENV`], if set.
pub fn external_url() -> Option<String> {
    env::var(EXTERNAL_URL_ENV).ok().filter(|u| !u.is_empty())
}

/// Whether tests can get a Redis at all; when not, prints [`INSTALL_HINT`] and returns `false`,
/// or panics with it when [`REQUIRE_ENV`] is set.
pub fn redis_available() -> bool {
    if server_binary().is_some() || external_url().is_some() {
        return true;
    }
    if redis_required() {
        panic!("{INSTALL_HINT} ({REQUIRE_ENV}=1 makes this a failure)");
    }
    crate::failure::announce_skip(format_args!("(no redis-server): {INSTALL_HINT}"));
    false
}
