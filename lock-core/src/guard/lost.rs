//! The `Lost` future.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::GuardShared;
use crate::error::LossReason;

/// Resolves, with the reason, when a guard stops holding its lock: its validity deadline
/// passed without an extension, the store refused an extension, or it was released.
///
/// It owns what it needs (`'static`, `Send`), so it can be moved into `tokio::select!` or a
/// spawned task. A guard never recovers from a loss.
pub struct Lost {
    inner: Pin<Box<dyn Future<Output = LossReason> + Send>>,
}

impl Lost {
    pub(crate) fn new(shared: Arc<GuardShared>) -> Self {
        Self { inner: Box::pin(wait_lost(shared)) }
    }
}

async fn wait_lost(shared: Arc<GuardShared>) -> LossReason {
    let mut rx = shared.subscribe();
    loop {
        let status = *rx.borrow_and_update();
        if let Some(reason) = status.lost {
            return reason;
        }
        tokio::select! {
            changed = rx.changed() => {
                if changed.is_err() {
                    // The sender lives in `shared`, which this future owns: unreachable, but
                    // never spin if it happens.
                    return status.on_expiry;
                }
            }
            () = tokio::time::sleep_until(status.deadline) => shared.expire_if_due(),
        }
    }
}

impl Future for Lost {
    type Output = LossReason;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LossReason> {
        self.inner.as_mut().poll(cx)
    }
}

impl fmt::Debug for Lost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lost").finish_non_exhaustive()
    }
}
