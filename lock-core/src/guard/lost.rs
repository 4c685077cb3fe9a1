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
    loop {
        // Registered before the status is read, so no change in between is missed.
        let changed = shared.changed();
        tokio::pin!(changed);
        changed.as_mut().enable();
        // Reading the status also turns a deadline that has passed into a loss.
        let status = shared.status();
        if let Some(reason) = status.lost {
            return reason;
        }
        tokio::select! {
            biased;
            () = changed => {}
            () = tokio::time::sleep_until(status.deadline) => {}
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
