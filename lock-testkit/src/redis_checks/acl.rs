//! A least-privilege ACL user can do everything the lock API needs.

use lock_core::LockBackend;

use super::Connectors;
use super::util::fail_io;
use crate::check;
use crate::failure::{CaseResult, Failure};
use crate::server::{AdminConn, RedisServer};
use crate::suite::{SuiteOptions, run_suite};

/// ACL rules that are enough for the whole lock API under the `lock:` prefix: keys and channels
/// under `lock:`; `EVALSHA` and `SCRIPT LOAD`; the commands the scripts run (ACLs apply inside
/// Lua: `GET SET DEL PEXPIRE PTTL TIME PUBLISH SPUBLISH` for locks, and `ZADD ZCARD ZRANGE
/// ZRANGEBYSCORE ZREMRANGEBYSCORE ZREM ZSCORE HGET HSET HDEL EXISTS` for semaphores and
/// reader-writer locks, `HGETALL` for metadata); pub/sub for release notification; and the connection handshake.
/// Nothing else: no other key, no `FLUSHALL`, no `KEYS`.
pub const LEAST_PRIVILEGE_RULES: &str = "~lock:* resetchannels &lock:* -@all +evalsha +script|load \
     +get +set +del +pexpire +pttl +time +publish +spublish \
     +zadd +zcard +zrange +zrangebyscore +zremrangebyscore +zrem +zscore +hget +hset +hdel +hgetall +exists \
     +subscribe +unsubscribe +ssubscribe +sunsubscribe +ping +hello +auth +client|setname +select";

/// A user with only [`LEAST_PRIVILEGE_RULES`] runs the whole conformance suite.
pub async fn least_privilege_user_runs_the_suite(c: &Connectors) -> CaseResult {
    let server = RedisServer::builder()
        .user("locker", "locker-pw", LEAST_PRIVILEGE_RULES)
        .spawn()
        .map_err(fail_io)?;
    let url =
        server.url_for("locker").ok_or_else(|| Failure::new("no URL for the ACL user", "acl"))?;
    let backend = (c.standalone)(url).await?;
    let report = run_suite(backend.clone(), &SuiteOptions::default()).await;
    check!(report.is_success(), "the least-privilege user failed cases:\n{report}");
    check!(report.passed() > 40, "only {} cases passed:\n{report}", report.passed());
    let mut user = AdminConn::connect("127.0.0.1", server.port(), Some(("locker", "locker-pw")))
        .map_err(fail_io)?;
    check!(
        user.cmd(&["SET", "other", "1"]).map_err(fail_io)?.is_error(),
        "the ACL let the user write outside lock:*"
    );
    check!(user.cmd(&["FLUSHALL"]).map_err(fail_io)?.is_error(), "the ACL let the user FLUSHALL");
    let _ = backend.info();
    Ok(())
}
