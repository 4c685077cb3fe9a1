//! The refresher task and its handle.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::Instrument;

use super::queue::{Entry, TimerQueue};
use crate::backend::{ExtendItem, ExtendOutcome};
use crate::call_timeout::within;
use crate::error::{BackendError, LossReason};
use crate::guard::GuardShared;
use crate::telemetry;
use crate::timing::Drift;

/// Entries due within this window of the earliest one go out in the same pass.
const COALESCE: Duration = Duration::from_millis(2);

/// How far ahead of its time a lock may be extended so that it joins a batch, as a share of its
/// refresh interval (an eighth: at most about 14% more extensions than refreshing each lock on
/// time), and never more than [`BATCH_HORIZON`].
const BATCH_EARLY_DIVISOR: u32 = 8;

/// The furthest ahead a refresh is ever sent to join a batch.
const BATCH_HORIZON: Duration = Duration::from_millis(250);

/// The shortest time between two refreshes of a guard; a ttl whose validity window gives less
/// cannot be auto-refreshed reliably on tokio's millisecond timer.
pub(crate) const MIN_REFRESH_INTERVAL: Duration = Duration::from_millis(2);

/// How the refresher paces extensions.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RefreshSettings {
    /// Extend once this fraction of the validity window has passed since the last extension
    /// was sent.
    pub(crate) fraction: f64,
    pub(crate) drift: Drift,
    /// The manager's bound on one backend call; an extension is also cut off at the deadline.
    pub(crate) call_timeout: Duration,
}

impl RefreshSettings {
    /// Time from an extension (as sent) to the next: a fraction of the validity window, so the
    /// next extension always goes out before the deadline.
    pub(crate) fn interval(&self, ttl: Duration) -> Duration {
        self.validity(ttl).mul_f64(self.fraction).max(Duration::from_millis(1))
    }

    /// The validity window of an extension to `ttl` (none when the ttl leaves none).
    pub(crate) fn validity(&self, ttl: Duration) -> Duration {
        self.drift.validity(ttl).unwrap_or(Duration::ZERO)
    }

    /// Checks that `ttl` leaves room to refresh before the deadline.
    pub(crate) fn check(&self, ttl: Duration) -> Result<(), crate::Error> {
        let interval = self.interval(ttl);
        if interval < MIN_REFRESH_INTERVAL {
            return Err(crate::Error::invalid(
                "ttl",
                format!(
                    "{ttl:?} is too short to auto-refresh: it would need an extension every {interval:?}"
                ),
            ));
        }
        Ok(())
    }
}

enum Command {
    Add(Entry),
    Remove(u64),
    /// The guard was extended by hand: next refresh at this time.
    Reschedule(u64, Instant),
}

/// The handle a manager keeps. Each tokio runtime that acquires auto-refreshed guards gets its
/// own refresher task, started on first use, which ends when the handle is dropped and no guard
/// of it is left. A guard is refreshed by the task of the runtime it was acquired on: if that
/// runtime shuts down (or stops being driven), the guard is no longer extended and is reported
/// lost at its deadline; guards of other runtimes are not affected.
#[derive(Debug)]
pub(crate) struct Refresher {
    settings: RefreshSettings,
    tasks: Mutex<HashMap<tokio::runtime::Id, mpsc::UnboundedSender<Command>>>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Add(e) => write!(f, "Add({})", e.shared.id),
            Self::Remove(id) => write!(f, "Remove({id})"),
            Self::Reschedule(id, _) => write!(f, "Reschedule({id})"),
        }
    }
}

impl Refresher {
    pub(crate) fn new(settings: RefreshSettings) -> Self {
        Self { settings, tasks: Mutex::new(HashMap::new()) }
    }

    fn tasks(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<tokio::runtime::Id, mpsc::UnboundedSender<Command>>>
    {
        self.tasks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts refreshing `shared` on the current runtime's refresher task; refreshing stops
    /// after `max_hold` (from acquisition), if set. Returns `false` when no tokio runtime is
    /// available to run it.
    pub(crate) fn add(&self, shared: Arc<GuardShared>, max_hold: Option<Duration>) -> bool {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return false;
        };
        let id = runtime.id();
        let _ = shared.refresh_runtime.set(id);
        let interval = self.interval(shared.status().ttl);
        let entry = Entry {
            hold_until: max_hold.and_then(|h| shared.acquired_at.checked_add(h)),
            due: shared.acquired_at + interval,
            shared,
        };
        let mut tasks = self.tasks();
        let mut command = Command::Add(entry);
        if let Some(sender) = tasks.get(&id) {
            match sender.send(command) {
                Ok(()) => return true,
                // The task ended with its runtime's shutdown; start another below.
                Err(mpsc::error::SendError(c)) => command = c,
            }
        }
        // Forget the tasks of runtimes that are gone.
        tasks.retain(|_, sender| !sender.is_closed());
        let (sender, rx) = mpsc::unbounded_channel();
        let _ = sender.send(command);
        runtime.spawn(run(self.settings, rx));
        tasks.insert(id, sender);
        true
    }

    /// Stops refreshing `shared`.
    pub(crate) fn remove(&self, shared: &GuardShared) {
        self.send_to(shared, Command::Remove(shared.id));
    }

    /// After a manual extension sent at `sent` with `ttl`, moves the guard's next refresh.
    pub(crate) fn extended(&self, shared: &GuardShared, sent: Instant, ttl: Duration) {
        let due = sent + self.settings.interval(ttl);
        self.send_to(shared, Command::Reschedule(shared.id, due));
    }

    fn send_to(&self, shared: &GuardShared, command: Command) {
        let Some(id) = shared.refresh_runtime.get() else { return };
        if let Some(sender) = self.tasks().get(id) {
            let _ = sender.send(command);
        }
    }

    fn interval(&self, ttl: Duration) -> Duration {
        self.settings.interval(ttl)
    }

    /// Checks that a lock of `ttl` can be auto-refreshed.
    pub(crate) fn check(&self, ttl: Duration) -> Result<(), crate::Error> {
        self.settings.check(ttl)
    }
}

type Done = (u64, Instant, Duration, Result<ExtendOutcome, BackendError>);

/// How early `entry` may be extended to join a batch: a share of its interval when its store
/// extends in batches, else only the common [`COALESCE`] window.
fn early(settings: RefreshSettings, entry: &Entry) -> Duration {
    if !entry.shared.store.info().capabilities.batch_extend {
        return COALESCE;
    }
    let interval = settings.interval(entry.shared.status().ttl);
    (interval / BATCH_EARLY_DIVISOR).clamp(COALESCE, BATCH_HORIZON)
}

async fn run(settings: RefreshSettings, mut rx: mpsc::UnboundedReceiver<Command>) {
    let mut queue = TimerQueue::default();
    let mut in_flight: FuturesUnordered<BoxFuture<'static, Vec<Done>>> = FuturesUnordered::new();
    let mut open = true;
    loop {
        if !open && queue.len() == 0 && in_flight.is_empty() {
            break;
        }
        let next_due = queue.next_due();
        // Biased, like every select of the manager, so the same inputs take the same branch and
        // a simulation replays; due extensions first and new guards last, so a flood of guards
        // taken and released cannot hold back the refresh of the ones held.
        tokio::select! {
            biased;
            () = sleep_until_opt(next_due) => {
                let now = Instant::now();
                // The earliest entry's own window bounds the look ahead: entries past it wait
                // for a later pass.
                let horizon = queue.first().map_or(COALESCE, |e| early(settings, e));
                let due = queue.take_due_early(now, horizon, |e| early(settings, e));
                for future in start_extends(settings, &mut queue, due, now) {
                    in_flight.push(future);
                }
            }
            Some(done) = in_flight.next(), if !in_flight.is_empty() => {
                for done in done {
                    finish_extend(&mut queue, settings, done);
                }
            }
            command = rx.recv(), if open => match command {
                Some(Command::Add(entry)) => queue.insert(entry),
                Some(Command::Remove(id)) => { queue.remove(id); }
                Some(Command::Reschedule(id, due)) => queue.reschedule(id, due),
                None => open = false,
            },
        }
    }
    tracing::trace!("lock refresher stopped");
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Guards of one store (by address) going out in one batched call.
struct Batch {
    store: *const (),
    items: Vec<(u64, Arc<GuardShared>)>,
}

/// Sends the extensions of the due entries (retiring those lost or past their hold cap): one
/// batched call per store that extends in batches, for up to its `max_batch` locks, and one
/// call per lock otherwise.
fn start_extends(
    settings: RefreshSettings,
    queue: &mut TimerQueue,
    due: Vec<u64>,
    now: Instant,
) -> Vec<BoxFuture<'static, Vec<Done>>> {
    let mut futures = Vec::new();
    let mut batches: Vec<Batch> = Vec::new();
    for id in due {
        let Some(shared) = still_refreshed(queue, id, now) else { continue };
        if !shared.store.info().capabilities.batch_extend {
            futures.push(extend_one(settings, id, shared));
            continue;
        }
        let max = shared.store.max_batch().max(1);
        let store = Arc::as_ptr(&shared.store).cast::<()>();
        match batches.iter_mut().find(|b| b.store == store && b.items.len() < max) {
            Some(batch) => batch.items.push((id, shared)),
            None => batches.push(Batch { store, items: vec![(id, shared)] }),
        }
    }
    for Batch { mut items, .. } in batches {
        if items.len() == 1 {
            let (id, shared) = items.remove(0);
            futures.push(extend_one(settings, id, shared));
        } else {
            futures.push(extend_batch(settings, items));
        }
    }
    futures
}

/// The entry's guard, if it is still to be refreshed; otherwise the entry is retired.
fn still_refreshed(queue: &mut TimerQueue, id: u64, now: Instant) -> Option<Arc<GuardShared>> {
    let entry = queue.get(id)?;
    let shared = entry.shared.clone();
    if shared.status().lost.is_some() {
        queue.remove(id);
        return None;
    }
    if entry.hold_until.is_some_and(|until| now >= until) {
        tracing::debug!(key = %shared.key, "maximum hold time reached; refresh stops");
        shared.set_expiry_reason(LossReason::MaxHoldReached);
        queue.remove(id);
        return None;
    }
    Some(shared)
}

/// Many guards of one store extended in one call; each gets its own answer.
fn extend_batch(
    settings: RefreshSettings,
    mut items: Vec<(u64, Arc<GuardShared>)>,
) -> BoxFuture<'static, Vec<Done>> {
    let span = tracing::trace_span!("lock.refresh_batch", locks = items.len());
    // One extension of a guard at a time, as for a single one. A guard a manual extension
    // re-queued can be in two batches in flight at once, in opposite orders, so every batch
    // takes its turns in one global order (the entries' ids): no two batches can each hold a
    // turn the other waits for, and a manual extension only ever waits for one turn.
    items.sort_unstable_by_key(|(id, _)| *id);
    Box::pin(
        async move {
            let call_timeout = settings.call_timeout;
            let mut turns = Vec::with_capacity(items.len());
            for (_, shared) in &items {
                turns.push(shared.extend_turn().await);
            }
            let statuses: Vec<_> = items.iter().map(|(_, shared)| shared.status()).collect();
            let sent = Instant::now();
            // Guards that ended (or were leaked) while this waited for their turns are not
            // extended (see `extend_one`).
            let live: Vec<usize> = (0..items.len())
                .filter(|i| {
                    statuses[*i].lost.is_none()
                        && items[*i].1.extension_going(statuses[*i].ttl, call_timeout)
                })
                .collect();
            let first_deadline = live.iter().map(|i| statuses[*i].deadline).min().unwrap_or(sent);
            let limit = call_timeout.min(first_deadline.saturating_duration_since(sent));
            let store = items[0].1.store.clone();
            let backend = items[0].1.backend;
            let calls: Vec<ExtendItem<'_>> = live
                .iter()
                .map(|i| ExtendItem {
                    key: &items[*i].1.key,
                    token: &items[*i].1.token,
                    ttl: statuses[*i].ttl,
                })
                .collect();
            let result = match calls.is_empty() {
                true => Ok(Vec::new()),
                false => {
                    within(backend, limit.max(Duration::from_millis(1)), store.extend_batch(&calls))
                        .await
                }
            };
            let result = result.and_then(|outcomes| {
                if outcomes.len() == calls.len() {
                    Ok(outcomes)
                } else {
                    Err(BackendError::new(
                        backend,
                        crate::error::BackendErrorKind::Protocol,
                        format!(
                            "a batched extend of {} locks answered {} outcomes",
                            calls.len(),
                            outcomes.len()
                        ),
                    ))
                }
            });
            let mut answers: Vec<Result<ExtendOutcome, BackendError>> = match result {
                Ok(outcomes) => outcomes.into_iter().map(Ok).collect::<Vec<_>>(),
                // Applied but not confirmed (WAIT mode): one answer for the batch would hide the
                // locks found gone until their deadlines. Each lock is asked again on its own,
                // which tells those apart at once. So is each lock of a store that reports batched
                // extends but answers `Unsupported` (a wrapper that forwards `info` and not
                // `extend_batch`): nothing was applied, and the plain extends work.
                Err(e)
                    if matches!(
                        e.kind(),
                        crate::error::BackendErrorKind::Replication
                            | crate::error::BackendErrorKind::Unsupported
                    ) =>
                {
                    // All at once, bounded by what is left before the first deadline.
                    let left = first_deadline.saturating_duration_since(Instant::now());
                    let limit = call_timeout.min(left).max(Duration::from_millis(1));
                    let each = calls.iter().map(|item| {
                        within(backend, limit, store.extend(item.key, item.token, item.ttl))
                    });
                    futures_util::future::join_all(each).await
                }
                // BE3: nothing is known of any item; each is handled as a failed extension.
                Err(e) => (0..live.len())
                    .map(|_| {
                        Err(BackendError::new(e.backend(), e.kind(), e.to_string())
                            .with_temporary(e.is_temporary()))
                    })
                    .collect(),
            }
            .into_iter()
            .rev()
            .collect();
            drop(turns);
            let mut done = Vec::with_capacity(items.len());
            for (i, ((id, shared), status)) in items.iter().zip(statuses).enumerate() {
                let answer = match live.contains(&i) {
                    true => answers.pop().unwrap_or(Ok(ExtendOutcome::NotHeld)),
                    false => Ok(ExtendOutcome::NotHeld),
                };
                shared.extension_answered(&answer, call_timeout, settings.validity(status.ttl));
                done.push((*id, sent, status.ttl, answer));
            }
            done
        }
        .instrument(span),
    )
}

/// One guard extended on its own.
fn extend_one(
    settings: RefreshSettings,
    id: u64,
    shared: Arc<GuardShared>,
) -> BoxFuture<'static, Vec<Done>> {
    let span = tracing::trace_span!("lock.refresh", key = %shared.key);
    Box::pin(
        async move {
            // One extension of a guard at a time, a manual one included; the ttl is read after
            // waiting, so a manual extension's new ttl is kept.
            let call_timeout = settings.call_timeout;
            let _turn = shared.extend_turn().await;
            let status = shared.status();
            let sent = Instant::now();
            if status.lost.is_some() || !shared.extension_going(status.ttl, call_timeout) {
                // Ended while this waited for its turn (released, or upgraded: the hold is the
                // write guard's now, and this guard's ttl must not reach it), or leaked.
                return vec![(id, sent, status.ttl, Ok(ExtendOutcome::NotHeld))];
            }
            let limit = call_timeout.min(status.deadline.saturating_duration_since(sent));
            let call = shared.store.extend(&shared.key, &shared.token, status.ttl);
            let result = within(shared.backend, limit.max(Duration::from_millis(1)), call).await;
            shared.extension_answered(&result, call_timeout, settings.validity(status.ttl));
            vec![(id, sent, status.ttl, result)]
        }
        .instrument(span),
    )
}

fn finish_extend(queue: &mut TimerQueue, settings: RefreshSettings, done: Done) {
    let (id, sent, ttl, result) = done;
    let Some(entry) = queue.get(id) else { return };
    let shared = entry.shared.clone();
    let interval = settings.interval(ttl);
    match result {
        Ok(ExtendOutcome::Extended) => {
            let validity = settings.validity(ttl);
            if shared.extended(sent, ttl, validity) {
                queue.reschedule(id, sent + interval);
            } else {
                queue.remove(id);
            }
        }
        Ok(_) => {
            shared.mark_lost(LossReason::NotHeld);
            queue.remove(id);
        }
        Err(e) if e.is_temporary() => {
            telemetry::refresh_failed(shared.backend);
            let now = Instant::now();
            let deadline = shared.status().deadline;
            let retry_at =
                now + (interval / 4).clamp(Duration::from_millis(5), Duration::from_secs(1));
            if now >= deadline {
                tracing::debug!(key = %shared.key, error = %e, "could not extend the lock before its deadline");
                queue.remove(id);
            } else {
                tracing::debug!(key = %shared.key, error = %e, "extend failed; retrying");
                queue.reschedule(id, retry_at.min(deadline));
            }
        }
        Err(e) => {
            telemetry::refresh_failed(shared.backend);
            tracing::debug!(key = %shared.key, error = %e, "extending the lock failed");
            shared.mark_lost(LossReason::Backend(e.kind()));
            queue.remove(id);
        }
    }
}
