//! How lock-redis-protocol's scripts keep a fair line: what a handoff costs the server, and a
//! line that lost its queue key. In [`crate::script_backend_checks!`], not
//! [`crate::redis_checks!`]: another Redis backend may keep its line another way.

use std::time::Duration;

use lock_core::backend::{AcquireOutcome, Lease, LeaseKind, ReleaseOutcome};
use lock_core::{DynLockBackend, LockKey, LockToken};

use super::Connectors;
use super::cost::{at_most, key};
use super::util::{admin, fail_io, private};
use crate::failure::{CaseResult, Failure};
use crate::server::{AdminConn, RedisServer};
use crate::{check, check_eq};

/// A fair lock on a private server, taken by `holder`, with `waiter` queued behind it.
struct Line {
    _server: RedisServer,
    admin: AdminConn,
    backend: std::sync::Arc<DynLockBackend>,
    key: LockKey,
    holder: LockToken,
    waiter: LockToken,
}

/// Every attempt's ttl, and its place's in line.
const TTL: Duration = Duration::from_secs(10);

/// The lease of every attempt.
const FAIR: Lease<'static> = Lease::Fair { queue_ttl: TTL };

impl Line {
    /// Skipped for a backend without fair locks. Both fair scripts are loaded before it returns,
    /// so no `SCRIPT LOAD` is counted after.
    async fn start(c: &Connectors) -> Result<Self, Failure> {
        let server = private()?;
        let backend = (c.standalone)(server.url()).await?;
        if !backend.info().capabilities.fair_locks {
            return Err(Failure::skip("the backend has no fair locks"));
        }
        let (holder, waiter) = (LockToken::generate()?, LockToken::generate()?);
        backend.release_lease(&key(1)?, &holder, LeaseKind::Fair).await?;
        let key = key(0)?;
        let taken = backend.acquire_lease(&key, &holder, FAIR, TTL).await?;
        check!(matches!(taken, AcquireOutcome::Acquired { .. }), "the free fair lock: {taken:?}");
        let queued = backend.acquire_lease(&key, &waiter, FAIR, TTL).await?;
        check!(matches!(queued, AcquireOutcome::Held { .. }), "the waiter got {queued:?}");
        let admin = admin(&server)?;
        Ok(Self { _server: server, admin, backend, key, holder, waiter })
    }

    /// `token`'s fair attempt.
    async fn attempt(&self, token: &LockToken) -> Result<AcquireOutcome, Failure> {
        Ok(self.backend.acquire_lease(&self.key, token, FAIR, TTL).await?)
    }

    /// The holder's fair release, which must answer `Released`.
    async fn release(&self) -> CaseResult {
        let released = self.backend.release_lease(&self.key, &self.holder, LeaseKind::Fair).await?;
        check_eq!(released, ReleaseOutcome::Released, "the holder's release");
        Ok(())
    }
}

/// What the server runs for one fair handoff, scripts' inner calls included, in a line that
/// exists already: a second waiter's queuing attempt, the holder's release that hands the lock
/// to the first, and the first's confirming attempt. At most 9 + 11 + 6 commands with fencing
/// on (the release writes the fence, the confirmation reads it back), 9 + 10 + 4 with it off.
/// Skipped for a backend without fair locks.
pub async fn a_fair_handoff_is_lean(c: &Connectors) -> CaseResult {
    let mut line = Line::start(c).await?;
    let second = LockToken::generate()?;
    let (release, confirm) =
        if line.backend.info().capabilities.fencing { (11, 6) } else { (10, 4) };

    let before = line.admin.command_calls().map_err(fail_io)?;
    let queued = line.attempt(&second).await?;
    check!(matches!(queued, AcquireOutcome::Held { .. }), "the second waiter got {queued:?}");
    at_most(&mut line.admin, &before, 9, "a second waiter's queuing attempt")?;

    let before = line.admin.command_calls().map_err(fail_io)?;
    line.release().await?;
    at_most(&mut line.admin, &before, release, "a release that hands the lock over")?;

    let before = line.admin.command_calls().map_err(fail_io)?;
    let confirmed = line.attempt(&line.waiter).await?;
    check!(
        matches!(confirmed, AcquireOutcome::Acquired { .. }),
        "the first waiter's confirmation got {confirmed:?}"
    );
    at_most(&mut line.admin, &before, confirm, "the new holder's confirming attempt")
}

/// A fair line whose queue key was lost on its own (evicted, deleted by hand) while its waiters'
/// places live: a waiter's next attempt puts it back in line, so the holder's release hands the
/// lock to it rather than leaving the lock to whoever asks first. Skipped for a backend without
/// fair locks. It deletes a key of lock-redis-protocol's layout (`<prefix>~queue{<tag>}<name>`).
pub async fn a_lost_fair_queue_is_rebuilt_by_renewals(c: &Connectors) -> CaseResult {
    let mut line = Line::start(c).await?;
    let queues = super::fencing::scan(&mut line.admin, b"*~queue*")?;
    check_eq!(queues.len(), 1, "queue keys after one waiter queued: {queues:?}");
    line.admin.cmd_bytes(&[b"DEL", &queues[0]]).map_err(fail_io)?;
    let renewed = line.attempt(&line.waiter).await?;
    check!(matches!(renewed, AcquireOutcome::Held { .. }), "the waiter's renewal got {renewed:?}");
    line.release().await?;
    let now = line.backend.inspect(&line.key).await?.map(|info| info.holder);
    check!(
        now.as_ref() == Some(&line.waiter),
        "the release after the queue key was lost handed the lock to {now:?}, not to the waiter \
         that renewed its place"
    );
    Ok(())
}
