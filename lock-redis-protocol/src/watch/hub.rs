//! `ReleaseHub`: one subscriber connection per backend, shared by every waiter.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::StreamExt;
use lock_core::{BackendError, BackendErrorKind, backend::ReleaseWatch};
use tokio::sync::{Notify, OnceCell, mpsc, oneshot};

use super::link::{SubscriberEvent, SubscriberEvents, SubscriberFactory, SubscriberLink};

/// How long connecting or subscribing may take before the waiter falls back to polling.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Waiters on one channel.
struct Slot {
    channel: Vec<u8>,
    notify: Arc<Notify>,
    /// Changed only under the slot map's lock.
    watchers: AtomicUsize,
    /// A subscribe was sent for this slot, so its removal must send an unsubscribe.
    requested: AtomicBool,
    subscribed: OnceCell<()>,
}

type Slots = HashMap<Vec<u8>, Arc<Slot>>;

enum Op {
    Subscribe { channel: Vec<u8>, done: oneshot::Sender<Result<(), BackendError>> },
    Unsubscribe { channel: Vec<u8> },
}

struct Shared {
    backend: &'static str,
    factory: Arc<dyn SubscriberFactory>,
    slots: Arc<Mutex<Slots>>,
    ops: Mutex<Option<mpsc::UnboundedSender<Op>>>,
}

/// Release notification for a Redis-protocol backend: [`ReleaseHub::watch`] implements
/// `LockBackend::watch_release` over one shared subscriber connection.
///
/// A channel is subscribed when its first waiter arrives (the watch is returned only after the
/// server confirmed it, so no release can be missed) and unsubscribed when its last waiter
/// leaves, so no channel outlives its waiters. Subscribe and unsubscribe go out in order from
/// one task, and an unsubscribe is skipped when a new waiter has arrived on the channel since
/// (its subscribe may have been queued first), so a registered watch is never left on a channel
/// unsubscribed behind it. When the connection drops, every waiter is woken (a spurious wake-up:
/// it simply tries again) and the next watch opens a new connection.
#[derive(Clone)]
pub struct ReleaseHub {
    shared: Arc<Shared>,
}

impl fmt::Debug for ReleaseHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReleaseHub").field("channels", &self.channels()).finish()
    }
}

fn lock(slots: &Mutex<Slots>) -> MutexGuard<'_, Slots> {
    slots.lock().unwrap_or_else(|e| e.into_inner())
}

impl ReleaseHub {
    /// A hub opening subscriber connections with `factory`; `backend` names errors.
    pub fn new(backend: &'static str, factory: impl SubscriberFactory) -> Self {
        Self {
            shared: Arc::new(Shared {
                backend,
                factory: Arc::new(factory),
                slots: Arc::new(Mutex::new(HashMap::new())),
                ops: Mutex::new(None),
            }),
        }
    }

    /// How many channels have waiters right now.
    pub fn channels(&self) -> usize {
        lock(&self.shared.slots).len()
    }

    /// A watch on `channel`, registered before this returns.
    pub async fn watch(&self, channel: Vec<u8>) -> Result<ReleaseWatch, BackendError> {
        let (slot, notified) = {
            let mut slots = lock(&self.shared.slots);
            let slot = slots
                .entry(channel.clone())
                .or_insert_with(|| {
                    Arc::new(Slot {
                        channel,
                        notify: Arc::new(Notify::new()),
                        watchers: AtomicUsize::new(0),
                        requested: AtomicBool::new(false),
                        subscribed: OnceCell::new(),
                    })
                })
                .clone();
            slot.watchers.fetch_add(1, Ordering::SeqCst);
            let mut notified = Box::pin(slot.notify.clone().notified_owned());
            notified.as_mut().enable();
            (slot, notified)
        };
        let guard = WatchGuard { shared: self.shared.clone(), slot: slot.clone() };
        slot.subscribed.get_or_try_init(|| self.shared.subscribe(&slot)).await?;
        Ok(Box::pin(Watch { notified, _guard: guard }))
    }
}

/// A registered watch. It keeps its channel subscribed until it is dropped, not only until it
/// fires: a waiter that registers its next watch before dropping a fired one keeps the
/// subscription, and registering costs no round trip.
struct Watch {
    notified: Pin<Box<tokio::sync::futures::OwnedNotified>>,
    _guard: WatchGuard,
}

impl Future for Watch {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.notified.as_mut().poll(cx)
    }
}

impl Shared {
    async fn subscribe(&self, slot: &Slot) -> Result<(), BackendError> {
        slot.requested.store(true, Ordering::SeqCst);
        let (done, answer) = oneshot::channel();
        self.send(Op::Subscribe { channel: slot.channel.clone(), done })?;
        match tokio::time::timeout(SUBSCRIBE_TIMEOUT * 2, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(BackendError::new(
                self.backend,
                BackendErrorKind::Connection,
                "the subscriber task stopped",
            )),
            Err(_) => Err(BackendError::new(
                self.backend,
                BackendErrorKind::Timeout,
                "subscribing took too long",
            )),
        }
    }

    /// Queues `op` for the subscriber task, starting it (again) on the current runtime if needed.
    fn send(&self, op: Op) -> Result<(), BackendError> {
        let mut ops = self.ops.lock().unwrap_or_else(|e| e.into_inner());
        let op = match ops.as_ref() {
            Some(tx) => match tx.send(op) {
                Ok(()) => return Ok(()),
                Err(mpsc::error::SendError(op)) => op,
            },
            None => op,
        };
        if let Op::Unsubscribe { .. } = op {
            // No task, so no connection, so nothing to unsubscribe.
            return Ok(());
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            BackendError::new(
                self.backend,
                BackendErrorKind::Config,
                "release notification needs a tokio runtime",
            )
        })?;
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = tx.send(op);
        runtime.spawn(run(self.factory.clone(), self.slots.clone(), rx, self.backend));
        *ops = Some(tx);
        Ok(())
    }
}

/// Leaves a slot when its watch is dropped; the last one out unsubscribes.
struct WatchGuard {
    shared: Arc<Shared>,
    slot: Arc<Slot>,
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        let mut slots = lock(&self.shared.slots);
        if self.slot.watchers.fetch_sub(1, Ordering::SeqCst) != 1 {
            return;
        }
        let current = slots.get(&self.slot.channel).is_some_and(|s| Arc::ptr_eq(s, &self.slot));
        if !current {
            // Its connection died and the slot was already dropped: nothing is subscribed.
            return;
        }
        slots.remove(&self.slot.channel);
        drop(slots);
        #[cfg(test)]
        tests::in_the_gap();
        if self.slot.requested.load(Ordering::SeqCst) {
            let _ = self.shared.send(Op::Unsubscribe { channel: self.slot.channel.clone() });
        }
    }
}

fn wake_all(slots: &Mutex<Slots>, forget: bool) {
    let mut slots = lock(slots);
    for slot in slots.values() {
        slot.notify.notify_waiters();
    }
    if forget {
        slots.clear();
    }
}

async fn next_event(events: &mut Option<SubscriberEvents>) -> Option<SubscriberEvent> {
    match events {
        Some(events) => events.next().await,
        None => std::future::pending().await,
    }
}

/// The subscriber connection, opened when first needed.
struct Connection {
    factory: Arc<dyn SubscriberFactory>,
    slots: Arc<Mutex<Slots>>,
    backend: &'static str,
    link: Option<Box<dyn SubscriberLink>>,
    events: Option<SubscriberEvents>,
}

impl Connection {
    fn timed_out(&self, what: &str) -> BackendError {
        BackendError::new(
            self.backend,
            BackendErrorKind::Timeout,
            format!("{what} took longer than {SUBSCRIBE_TIMEOUT:?}"),
        )
    }

    /// Drops the connection: its subscriptions are gone, so every waiter is woken and every
    /// slot forgotten (they subscribe again on the next connection), except `keep`, which the
    /// caller is about to subscribe again.
    async fn reset(&mut self, keep: Option<&[u8]>) {
        tracing::debug!(backend = self.backend, "subscriber connection lost; waking every waiter");
        self.events = None;
        {
            let mut slots = lock(&self.slots);
            for slot in slots.values() {
                slot.notify.notify_waiters();
            }
            slots.retain(|channel, _| Some(channel.as_slice()) == keep);
        }
        if let Some(old) = self.link.take() {
            let _ = tokio::time::timeout(SUBSCRIBE_TIMEOUT, old.close()).await;
        }
    }

    async fn subscribe_once(&mut self, channel: &[u8]) -> Result<(), BackendError> {
        if self.link.is_none() {
            let (link, events) = tokio::time::timeout(SUBSCRIBE_TIMEOUT, self.factory.connect())
                .await
                .map_err(|_| self.timed_out("opening the subscriber connection"))??;
            self.link = Some(link);
            self.events = Some(events);
        }
        let Some(link) = self.link.as_ref() else {
            return Err(BackendError::new(
                self.backend,
                BackendErrorKind::Connection,
                "no subscriber connection",
            ));
        };
        tokio::time::timeout(SUBSCRIBE_TIMEOUT, link.subscribe(channel))
            .await
            .map_err(|_| self.timed_out("subscribing"))?
    }

    /// Subscribes; if that fails on an existing connection, once more on a new one (a broken
    /// connection, or a client library confused by a reconnect, fails this way).
    async fn subscribe(&mut self, channel: &[u8]) -> Result<(), BackendError> {
        match self.subscribe_once(channel).await {
            Err(e) if self.link.is_some() => {
                tracing::debug!(backend = self.backend, error = %e, "subscribe failed; retrying on a new connection");
                self.reset(Some(channel)).await;
                self.subscribe_once(channel).await
            }
            other => other,
        }
    }

    async fn unsubscribe(&mut self, channel: &[u8]) {
        let Some(link) = self.link.as_ref() else {
            return;
        };
        match tokio::time::timeout(SUBSCRIBE_TIMEOUT, link.unsubscribe(channel)).await {
            Ok(Ok(())) => {}
            // A broken connection unsubscribed everything already; start over on the next watch.
            _ => self.reset(None).await,
        }
    }
}

async fn run(
    factory: Arc<dyn SubscriberFactory>,
    slots: Arc<Mutex<Slots>>,
    mut ops: mpsc::UnboundedReceiver<Op>,
    backend: &'static str,
) {
    let mut conn = Connection { factory, slots: slots.clone(), backend, link: None, events: None };
    loop {
        tokio::select! {
            op = ops.recv() => match op {
                None => break,
                Some(Op::Subscribe { channel, done }) => {
                    let result = conn.subscribe(&channel).await;
                    let _ = done.send(result);
                }
                Some(Op::Unsubscribe { channel }) => {
                    // A watcher that arrived after the slot was removed has made a new one for
                    // this channel, and its subscribe may have been carried out already (a
                    // no-op on a channel still subscribed): the channel must stay subscribed.
                    let wanted = lock(&slots).contains_key(&channel);
                    if !wanted {
                        conn.unsubscribe(&channel).await;
                    }
                }
            },
            event = next_event(&mut conn.events) => match event {
                Some(SubscriberEvent::Message(channel)) => {
                    if let Some(slot) = lock(&slots).get(&channel) {
                        slot.notify.notify_waiters();
                    }
                }
                Some(SubscriberEvent::Resynced) => wake_all(&slots, false),
                None => conn.reset(None).await,
            },
        }
    }
    if let Some(link) = conn.link {
        link.close().await;
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::HashSet;
    use std::future::Future;
    use std::pin::Pin;
    use std::rc::Rc;
    use std::task::{Context, Poll, Waker};

    use async_trait::async_trait;

    use super::*;

    thread_local! {
        /// Run once by the next `WatchGuard::drop` on this thread that removes a slot, after the
        /// slot left the map and before its unsubscribe is queued.
        static GAP: RefCell<Option<Box<dyn FnOnce()>>> = const { RefCell::new(None) };
    }

    pub(super) fn in_the_gap() {
        if let Some(hook) = GAP.with(|gap| gap.borrow_mut().take()) {
            hook();
        }
    }

    /// A pub/sub server as one subscriber connection sees it: what is subscribed, every command
    /// in order, and a way to deliver a message.
    #[derive(Default)]
    struct Server {
        log: Vec<String>,
        subscribed: HashSet<Vec<u8>>,
        events: Option<mpsc::UnboundedSender<SubscriberEvent>>,
    }

    #[derive(Clone, Default)]
    struct Fake(Arc<Mutex<Server>>);

    impl Fake {
        fn server(&self) -> MutexGuard<'_, Server> {
            self.0.lock().unwrap_or_else(|e| e.into_inner())
        }

        /// Delivers a message on `channel` if it is subscribed; returns whether it was.
        fn publish(&self, channel: &[u8]) -> bool {
            let server = self.server();
            if !server.subscribed.contains(channel) {
                return false;
            }
            server
                .events
                .as_ref()
                .is_some_and(|tx| tx.send(SubscriberEvent::Message(channel.to_vec())).is_ok())
        }
    }

    struct FakeLink(Fake);

    #[async_trait]
    impl SubscriberLink for FakeLink {
        async fn subscribe(&self, channel: &[u8]) -> Result<(), BackendError> {
            let mut server = self.0.server();
            server.log.push(format!("SUBSCRIBE {}", String::from_utf8_lossy(channel)));
            server.subscribed.insert(channel.to_vec());
            Ok(())
        }

        async fn unsubscribe(&self, channel: &[u8]) -> Result<(), BackendError> {
            let mut server = self.0.server();
            server.log.push(format!("UNSUBSCRIBE {}", String::from_utf8_lossy(channel)));
            server.subscribed.remove(channel);
            Ok(())
        }
    }

    #[async_trait]
    impl SubscriberFactory for Fake {
        async fn connect(
            &self,
        ) -> Result<(Box<dyn SubscriberLink>, SubscriberEvents), BackendError> {
            let (tx, rx) = mpsc::unbounded_channel();
            self.server().events = Some(tx);
            let events = futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|event| (event, rx))
            });
            Ok((Box::new(FakeLink(self.clone())), Box::pin(events)))
        }
    }

    type PendingWatch = Pin<Box<dyn Future<Output = Result<ReleaseWatch, BackendError>>>>;

    /// W2 when a watcher arrives just as the last one leaves: the leaving watcher has removed
    /// the slot but not yet queued its unsubscribe when the new one creates a slot and queues
    /// its subscribe. The new watch must stay subscribed and be woken by a release.
    #[tokio::test(flavor = "current_thread")]
    async fn a_watcher_arriving_as_the_last_leaves_stays_subscribed() {
        let fake = Fake::default();
        let hub = ReleaseHub::new("test", fake.clone());
        let channel = b"lock:~released{x}jobs".to_vec();
        let first = hub.watch(channel.clone()).await.expect("first watch");

        let arriving: Rc<RefCell<Option<PendingWatch>>> = Rc::default();
        let (hub2, channel2, arriving2) = (hub.clone(), channel.clone(), arriving.clone());
        GAP.with(|gap| {
            *gap.borrow_mut() = Some(Box::new(move || {
                // Runs the new watcher up to its first await: its slot exists and its
                // subscribe is queued.
                let mut watch: PendingWatch = Box::pin(async move { hub2.watch(channel2).await });
                let polled = watch.as_mut().poll(&mut Context::from_waker(Waker::noop()));
                assert!(matches!(polled, Poll::Pending), "the subscribe was not even queued");
                *arriving2.borrow_mut() = Some(watch);
            }))
        });
        drop(first);
        let second = arriving.borrow_mut().take().expect("the hook ran in WatchGuard::drop");
        // Everything queued so far has been carried out once a later watch is registered.
        let later = hub.watch(b"lock:~released{y}other".to_vec()).await.expect("later watch");
        let second = second.await.expect("second watch");

        let log = fake.server().log.clone();
        assert!(
            fake.server().subscribed.contains(&channel),
            "the second watch was returned as registered, but its channel is not subscribed: {log:?}"
        );
        assert!(fake.publish(&channel));
        tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .expect("a release after the watch was registered did not wake it");

        // And the channel is unsubscribed once its waiters are gone.
        drop(later);
        let _last = hub.watch(b"lock:~released{z}last".to_vec()).await.expect("last watch");
        let server = fake.server();
        assert_eq!(server.subscribed.len(), 1, "channels left behind: {:?}", server.log);
    }

    /// A waiter that registers its next watch before dropping the one that fired keeps the
    /// channel subscribed: the new watch costs no SUBSCRIBE (a round trip on every handoff,
    /// when the fired watch unsubscribed as soon as it fired).
    #[tokio::test(flavor = "current_thread")]
    async fn a_fired_watch_keeps_its_channel_until_dropped() {
        let fake = Fake::default();
        let hub = ReleaseHub::new("test", fake.clone());
        let channel = b"lock:~released{x}handoff".to_vec();
        let mut fired = hub.watch(channel.clone()).await.expect("watch");
        assert!(fake.publish(&channel));
        tokio::time::timeout(Duration::from_secs(5), &mut fired).await.expect("woken");
        let next = hub.watch(channel.clone()).await.expect("next watch");
        drop(fired);
        let subscribes = |fake: &Fake| {
            fake.server().log.iter().filter(|line| line.starts_with("SUBSCRIBE")).count()
        };
        assert_eq!(subscribes(&fake), 1, "{:?}", fake.server().log);
        assert!(fake.publish(&channel), "the channel stays subscribed for the next watch");
        tokio::time::timeout(Duration::from_secs(5), next)
            .await
            .expect("the next release wakes it");
        // Every watch gone: unsubscribed once the hub has carried out its queue.
        let _other = hub.watch(b"lock:~released{y}other".to_vec()).await.expect("other");
        assert!(!fake.server().subscribed.contains(&channel), "{:?}", fake.server().log);
    }
}
