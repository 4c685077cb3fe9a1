//! One atomic attempt at a whole set ([`crate::LockBackend::try_acquire_all`]), with the
//! same care as a single lock's: a grant that came too late, a call cut off by the timeout, or
//! an acquire cancelled while the call was in flight releases every member, after the call
//! has been answered (so the release cannot overtake it).

use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::MultiGuard;
use super::request::Pass;
use crate::backend::MultiAcquireOutcome;
use crate::call_timeout::{bounded, timed_out};
use crate::error::{BackendError, BackendErrorKind, Result};
use crate::key::LockKey;
use crate::manager::{Grant, Lease, ManagerInner, guard_for};
use crate::token::LockToken;

type Call = JoinHandle<std::result::Result<MultiAcquireOutcome, BackendError>>;

/// A call whose tokens may be granted: dropped while armed, it releases every member once the
/// call has ended.
struct Pending<'a> {
    inner: &'a Arc<ManagerInner>,
    keys: &'a [LockKey],
    tokens: Vec<LockToken>,
    call: Option<Call>,
    /// The call has been answered (its handle must not be awaited again).
    answered: bool,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        let Some(call) = self.call.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("a lock set dropped outside a tokio runtime: it expires at its ttl");
            return;
        };
        let releaser = self.inner.releaser();
        let members: Vec<(LockKey, LockToken)> =
            self.keys.iter().cloned().zip(std::mem::take(&mut self.tokens)).collect();
        let answered = self.answered;
        runtime.spawn(async move {
            if !answered {
                let _ = call.await;
            }
            for (key, token) in members {
                if let Err(e) = releaser.release(&key, &token).await {
                    tracing::warn!(key = %key, error = %e, "giving back a lock set's member failed; it expires at its ttl");
                }
            }
        });
    }
}

/// Sends one `try_acquire_all` for `keys` with fresh tokens.
pub(super) async fn attempt(
    inner: &Arc<ManagerInner>,
    keys: &[LockKey],
    lease: &Lease,
    started: Instant,
    attempts: u32,
) -> Result<Pass> {
    let tokens = keys.iter().map(|_| LockToken::generate()).collect::<Result<Vec<_>>>()?;
    let (backend, ttl) = (inner.backend.clone(), lease.ttl);
    let (owned_keys, owned_tokens) = (keys.to_vec(), tokens.clone());
    let name = inner.info.name;
    // Before the call is issued: a spawned call can reach the store before this task runs
    // again (called from outside a worker thread), and validity counts from the sending (S2).
    let sent = Instant::now();
    let call =
        tokio::spawn(async move { backend.try_acquire_all(&owned_keys, &owned_tokens, ttl).await });
    let mut pending = Pending { inner, keys, tokens, call: Some(call), answered: false };
    let limit = inner.config.call_timeout;
    let answer = match pending.call.as_mut() {
        Some(call) => bounded(limit, call).await,
        None => return Ok(Pass::Failed(timed_out(name, limit))),
    };
    pending.answered = answer.is_some();
    let outcome = match answer {
        None => return Ok(Pass::Failed(timed_out(name, limit))),
        Some(Err(join)) => {
            let e = BackendError::new(
                name,
                BackendErrorKind::Protocol,
                format!("the call failed: {join}"),
            );
            return Ok(Pass::Failed(e));
        }
        Some(Ok(Err(e))) => return Ok(Pass::Failed(e)),
        Some(Ok(Ok(outcome))) => outcome,
    };
    match outcome {
        MultiAcquireOutcome::Held { index, .. } => {
            // Nothing was granted.
            pending.call = None;
            match keys.get(index) {
                Some(key) => Ok(Pass::Blocked(key.clone())),
                None => Ok(Pass::Failed(BackendError::new(
                    name,
                    BackendErrorKind::Protocol,
                    format!("try_acquire_all answered Held for key {index} of {}", keys.len()),
                ))),
            }
        }
        MultiAcquireOutcome::Acquired { fencing } if fencing.len() != keys.len() => {
            Ok(Pass::Failed(BackendError::new(
                name,
                BackendErrorKind::Protocol,
                format!(
                    "try_acquire_all answered {} fences for {} keys",
                    fencing.len(),
                    keys.len()
                ),
            )))
        }
        MultiAcquireOutcome::Acquired { .. } if Instant::now() >= sent + lease.validity => {
            // Granted too late to leave any validity: given back (by the drop) and retried.
            tracing::debug!(elapsed = ?sent.elapsed(), "lock set granted after its validity; giving it back");
            Ok(Pass::Late)
        }
        MultiAcquireOutcome::Acquired { fencing } => {
            pending.call = None;
            let tokens = std::mem::take(&mut pending.tokens);
            let guards = keys
                .iter()
                .zip(tokens)
                .zip(fencing)
                .map(|((key, token), fencing)| {
                    let grant =
                        Grant { fencing, sent, late: None, attempts, waited: sent - started };
                    guard_for(inner, key.clone(), token, grant, lease)
                })
                .collect();
            Ok(Pass::Granted(MultiGuard::new(guards)))
        }
    }
}
