//! The timeout the manager puts on every backend call.
//!
//! A backend built on a client without a reply timeout would otherwise hang an acquire, a
//! release or a refresh for as long as a reply stays lost, and a lock held by a healthy server
//! would be lost because its refresh never came back.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use crate::error::{BackendError, BackendErrorKind};

/// Awaits `future` until `deadline` (if any); `None` when the deadline came first. The timer is
/// set as [`bounded`] sets it.
pub(crate) async fn until<F: Future>(
    deadline: Option<tokio::time::Instant>,
    future: F,
) -> Option<F::Output> {
    match deadline {
        Some(deadline) => timed(|| tokio::time::sleep_until(deadline), future).await,
        None => Some(future.await),
    }
}

/// The earlier of two optional instants.
pub(crate) fn earliest(
    a: Option<tokio::time::Instant>,
    b: tokio::time::Instant,
) -> tokio::time::Instant {
    a.map_or(b, |a| a.min(b))
}

/// The default bound on one backend call (see [`crate::LockManagerBuilder::call_timeout`]).
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Awaits `call` for at most `limit`; `None` when the limit came first. The timer is made only if
/// the call is not ready on its first poll, and the limit counts from then: a call that
/// completes at once (the in-process store, a reply already buffered) reads no clock and looks
/// up no runtime handle, which `tokio::time::timeout` does for every call (it makes its timer
/// up front). The timer is always polled outside tokio's cooperative budget, so a call that
/// spends the whole budget on every poll still times out (`tokio::time::timeout` exempts its
/// timer only when the call spent the budget in that same poll; so here a call that finds the
/// budget already spent is cut once its limit has passed, where tokio would yield first).
pub(crate) async fn bounded<F: Future>(limit: Duration, call: F) -> Option<F::Output> {
    timed(|| tokio::time::sleep(limit), call).await
}

/// Awaits `call` until the timer `make` makes (only once `call` is pending) fires: the one way
/// lock-core bounds a call in time, see [`bounded`].
async fn timed<F: Future>(make: impl Fn() -> tokio::time::Sleep, call: F) -> Option<F::Output> {
    let mut call = pin!(call);
    let mut timer = pin!(None::<tokio::task::Unconstrained<tokio::time::Sleep>>);
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(output) = call.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        if timer.is_none() {
            timer.set(Some(tokio::task::unconstrained(make())));
        }
        match timer.as_mut().as_pin_mut() {
            Some(timer) => timer.poll(cx).map(|()| None),
            None => Poll::Pending,
        }
    })
    .await
}

/// Runs `call`, or fails with a temporary [`BackendErrorKind::Timeout`] once `limit` has passed
/// (the call may still have been applied by the store).
pub(crate) async fn within<T>(
    backend: &'static str,
    limit: Duration,
    call: impl Future<Output = Result<T, BackendError>>,
) -> Result<T, BackendError> {
    match bounded(limit, call).await {
        Some(result) => result,
        None => Err(timed_out(backend, limit)),
    }
}

/// The error of a call cut short after `limit`.
pub(crate) fn timed_out(backend: &'static str, limit: Duration) -> BackendError {
    BackendError::new(
        backend,
        BackendErrorKind::Timeout,
        format!(
            "no answer within {limit:?} (the lock manager's call timeout); the store may still apply the call"
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::bounded;

    /// A call that spends the task's whole cooperative budget on every poll, and never ends.
    async fn spends_the_budget() {
        loop {
            tokio::task::consume_budget().await;
        }
    }

    #[tokio::test]
    async fn a_call_that_spends_the_budget_still_times_out() {
        let limit = Duration::from_millis(50);
        let ended =
            tokio::time::timeout(Duration::from_secs(5), bounded(limit, spends_the_budget()));
        assert_eq!(ended.await.ok(), Some(None), "the call's timer never fired");
    }

    #[tokio::test]
    async fn a_ready_call_is_answered() {
        assert_eq!(bounded(Duration::from_millis(1), async { 7 }).await, Some(7));
    }
}
