//! [`ScriptBackend`]'s leases of every kind: the kind picks the script, and one path per step
//! runs it (WAIT mode, the give-back of an unconfirmed grant, the reply's reading).
//!
//! The kinds' scripts and keys (each kind's keys are in one cluster slot, its fences come from
//! the lock's counter and its releases publish on the lock's channel):
//! - a lock, with or without metadata: the lock key holds the plain token; the metadata is a
//!   hash beside it, written, extended and deleted in the same step (clients without metadata
//!   still see an ordinary lock);
//! - a semaphore: a sorted set of its holders' tokens scored by their expiry on the server's
//!   clock, each permit's fence in a hash beside it;
//! - a reader-writer lock: the same sorted set, each hold's mode and fence, the writer and the
//!   upgradeable reader in a hash, and a waiting writer's mark in a key of its own;
//! - a fair lock: a plain lock, with a line of waiting tokens beside it; the release script
//!   hands the lock to the first live waiter and wakes that waiter alone, on its turn channel.

use std::time::Duration;

use lock_core::{
    BackendError, BackendErrorKind, LockKey, LockToken, backend::AcquireOutcome,
    backend::ExtendOutcome, backend::Lease, backend::LeaseHolders, backend::LeaseKind,
    backend::ReleaseOutcome, backend::ReleaseWatch,
};

use crate::backend::{ScriptBackend, ScriptRunner};
use crate::calls::{self, Call};
use crate::layout::turn_channel;
use crate::reply;

impl<R: ScriptRunner> ScriptBackend<R> {
    /// The script call that takes `lease`, or `None` for a kind no script serves.
    fn acquire_call<'a>(
        &self,
        key: &'a LockKey,
        token: &'a LockToken,
        lease: Lease<'a>,
        ttl: Duration,
    ) -> Option<Call<'a>> {
        let (fencing, publish) = (self.fencing(), self.publish());
        Some(match lease {
            Lease::Lock => calls::acquire(key, token, ttl, fencing),
            Lease::Metadata(metadata) => {
                calls::acquire_with_metadata(key, token, ttl, fencing, metadata)
            }
            Lease::Permit { limit } => calls::permit_acquire(key, token, limit, ttl, fencing),
            Lease::Rw(mode) => calls::rw_acquire(key, token, mode, ttl, fencing, publish),
            Lease::Fair { queue_ttl } => {
                calls::fair_acquire(key, token, ttl, queue_ttl, fencing, publish)
            }
            _ => return None,
        })
    }

    /// The script call that ends `token`'s lease of `kind` (a fair release hands the lock over;
    /// the lock's release deletes its metadata hash, whichever call took it).
    fn release_call<'a>(
        &self,
        key: &'a LockKey,
        token: &'a LockToken,
        kind: LeaseKind,
    ) -> Option<Call<'a>> {
        let publish = self.publish();
        Some(match kind {
            LeaseKind::Lock | LeaseKind::Metadata => calls::release(key, token, publish),
            LeaseKind::Permit => calls::permit_release(key, token, publish),
            LeaseKind::Rw => calls::rw_release(key, token, publish),
            LeaseKind::Fair => calls::fair_release(key, token, publish, self.fencing()),
            _ => return None,
        })
    }

    /// The script call that resets the expiry of `token`'s lease of `kind` (a fair lock, once
    /// held, is a plain lock).
    fn extend_call<'a>(
        &self,
        key: &'a LockKey,
        token: &'a LockToken,
        kind: LeaseKind,
        ttl: Duration,
    ) -> Option<Call<'a>> {
        Some(match kind {
            LeaseKind::Lock | LeaseKind::Fair => calls::extend(key, token, ttl),
            LeaseKind::Metadata => calls::extend_with_metadata(key, token, ttl),
            LeaseKind::Permit => calls::permit_extend(key, token, ttl),
            LeaseKind::Rw => calls::rw_extend(key, token, ttl),
            _ => return None,
        })
    }

    /// Takes `lease` with its script; in WAIT mode, a grant the replicas did not confirm is
    /// given back (with the kind's own release) and reported as a `Replication` error.
    pub(crate) async fn acquire_by_script(
        &self,
        key: &LockKey,
        token: &LockToken,
        lease: Lease<'_>,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let Some(call) = self.acquire_call(key, token, lease, ttl) else {
            return Err(BackendError::unsupported(self.name(), lease.kind().operation()));
        };
        let (reply, replicated) = self.write(call).await?;
        let outcome = reply::acquire(self.name(), reply)?;
        if replicated || !matches!(outcome, AcquireOutcome::Acquired { .. }) {
            return Ok(outcome);
        }
        // A grant only the primary knows could vanish in a failover: give it back.
        let given_back = self.release_by_script(key, token, lease.kind()).await;
        let unconfirmed = self.not_replicated("acquire");
        Err(match given_back {
            Ok(_) => unconfirmed,
            Err(failed) => BackendError::new(
                self.name(),
                BackendErrorKind::Replication,
                format!(
                    "{}; giving the grant back failed as well, so it may hold the key until its \
                     ttl",
                    unconfirmed.message()
                ),
            )
            .with_source(failed),
        })
    }

    pub(crate) async fn release_by_script(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
    ) -> Result<ReleaseOutcome, BackendError> {
        let Some(call) = self.release_call(key, token, kind) else {
            return Err(BackendError::unsupported(self.name(), kind.operation()));
        };
        reply::release(self.name(), self.runner().run(call).await?)
    }

    /// Extends with the kind's script; in WAIT mode, an extension too few replicas confirmed
    /// is a `Replication` error (the lease then lapses at its old deadline unless a later
    /// extend is confirmed).
    pub(crate) async fn extend_by_script(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let Some(call) = self.extend_call(key, token, kind, ttl) else {
            return Err(BackendError::unsupported(self.name(), kind.operation()));
        };
        let (reply, replicated) = self.write(call).await?;
        let outcome = reply::extend(self.name(), reply)?;
        if !replicated && outcome == ExtendOutcome::Extended {
            return Err(self.not_replicated("extend"));
        }
        Ok(outcome)
    }

    /// Who holds `key` as `kind`; fences are hidden when fencing is off.
    pub(crate) async fn inspect_by_script(
        &self,
        key: &LockKey,
        kind: LeaseKind,
    ) -> Result<LeaseHolders, BackendError> {
        let (name, runner) = (self.name(), self.runner());
        let mut held: LeaseHolders = match kind {
            LeaseKind::Lock | LeaseKind::Fair | LeaseKind::Metadata => {
                reply::inspect(name, runner.run(calls::inspect(key)).await?)?.into()
            }
            LeaseKind::Permit => {
                reply::permits(name, runner.run(calls::permit_inspect(key)).await?)?
                    .into_iter()
                    .collect()
            }
            LeaseKind::Rw => reply::rw_holders(name, runner.run(calls::rw_inspect(key)).await?)?,
            other => return Err(BackendError::unsupported(name, other.operation())),
        };
        if !self.fencing() {
            held.holders.iter_mut().for_each(|h| h.info.fencing = None);
        }
        Ok(held)
    }

    /// A fair waiter's turn: its own channel, published on by the release that hands it the
    /// lock.
    pub(crate) async fn watch_turn(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseWatch, BackendError> {
        match self.notifications() {
            Some((hub, _)) => hub.watch(turn_channel(key, token).into_bytes()).await,
            None => Err(BackendError::unsupported(self.name(), "watch_turn")),
        }
    }
}
