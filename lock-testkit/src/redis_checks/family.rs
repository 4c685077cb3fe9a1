//! The lock family's scripts at a scale the conformance cases do not reach.

use std::time::Duration;

use lock_core::{KeyPrefix, LockToken, backend::AcquireOutcome, backend::Lease};

use super::Connectors;
use super::util::{admin, fail_io, private};
use crate::failure::{CaseResult, Failure};
use crate::{check, fail};

/// S5 at scale: a permit is granted when 10,000 expired permits are swept by the same acquire
/// (a script that passes them to one command as arguments fails past a few thousand: "too many
/// results to unpack", after part of its writes were applied). The expired permits are written
/// directly, with scores long past. Skipped for a backend without semaphores.
pub async fn many_expired_permits_are_swept_in_one_acquire(c: &Connectors) -> CaseResult {
    const EXPIRED: usize = 10_000;
    let server = private()?;
    let backend = (c.standalone)(server.url()).await?;
    if !backend.info().capabilities.permits {
        return Err(Failure::skip("the backend offers no semaphores"));
    }
    let key = KeyPrefix::default()
        .key("redis-check:swept-permits")
        .map_err(|e| Failure::new(format!("bad key: {e}"), "permit sweep"))?;
    let mut admin = admin(&server)?;
    let members: Vec<String> = (0..EXPIRED).map(|i| format!("expired-{i}")).collect();
    let mut zadd: Vec<&[u8]> = vec![b"ZADD", key.as_bytes()];
    for member in &members {
        zadd.push(b"1");
        zadd.push(member.as_bytes());
    }
    let added = admin.cmd_bytes(&zadd).map_err(fail_io)?;
    check!(added.int() == Some(EXPIRED as i64), "ZADD of the expired permits: {added:?}");
    let token = LockToken::generate()?;
    let outcome = backend
        .acquire_lease(&key, &token, Lease::Permit { limit: 1 }, Duration::from_secs(10))
        .await;
    let Ok(AcquireOutcome::Acquired { .. }) = outcome else {
        fail!("a permit after {EXPIRED} expired ones with limit 1: {outcome:?}");
    };
    let left = admin.cmd_bytes(&[b"ZCARD", key.as_bytes()]).map_err(fail_io)?;
    check!(left.int() == Some(1), "permits left after the sweep: {left:?} (only ours should be)");
    Ok(())
}
