//! Every wrapper that forwards a backend (`Arc`, `Box`, `forward_lock_backend!`, and so
//! lock-redis's and lock-fred's newtypes) hands every method of the trait on: a method left to
//! its default would answer for the wrapper instead of the backend (the default `holds` asks
//! `inspect`; the default accessors answer `None`, the default lease calls `Unsupported`).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lock_core::{
    BackendError, KeyPrefix, LockBackend, LockKey, LockToken, Metadata, backend::AcquireOutcome,
    backend::BackendInfo, backend::Capabilities, backend::ExtendItem, backend::ExtendOutcome,
    backend::GuardedWriteBackend, backend::Lease, backend::LeaseHolders, backend::LeaseKind,
    backend::LockInfo, backend::MultiAcquireOutcome, backend::ReleaseOutcome,
    backend::ReleaseWatch, backend::async_trait,
};

/// Records the name of every method called on it.
#[derive(Debug, Default)]
struct Recorder {
    calls: Mutex<Vec<&'static str>>,
}

impl Recorder {
    fn record(&self, method: &'static str) {
        self.calls.lock().unwrap().push(method);
    }

    fn take(&self) -> Vec<&'static str> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

#[async_trait]
impl LockBackend for Recorder {
    fn info(&self) -> BackendInfo {
        self.record("info");
        BackendInfo::new("recorder", Capabilities::none())
    }

    fn endpoint(&self) -> Option<String> {
        self.record("endpoint");
        None
    }

    async fn try_acquire(
        &self,
        _: &LockKey,
        _: &LockToken,
        _: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        self.record("try_acquire");
        Ok(AcquireOutcome::Acquired { fencing: None })
    }

    async fn release(&self, _: &LockKey, _: &LockToken) -> Result<ReleaseOutcome, BackendError> {
        self.record("release");
        Ok(ReleaseOutcome::NotHeld)
    }

    async fn extend(
        &self,
        _: &LockKey,
        _: &LockToken,
        _: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.record("extend");
        Ok(ExtendOutcome::NotHeld)
    }

    async fn inspect(&self, _: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        self.record("inspect");
        Ok(None)
    }

    async fn watch_release(&self, _: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.record("watch_release");
        Ok(Box::pin(std::future::ready(())))
    }

    async fn watch_before_attempt(&self, _: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.record("watch_before_attempt");
        Ok(Box::pin(async {}))
    }

    async fn holds(&self, _: &LockKey, _: &LockToken) -> Result<bool, BackendError> {
        self.record("holds");
        Ok(false)
    }

    async fn acquire_lease(
        &self,
        _: &LockKey,
        _: &LockToken,
        _: Lease<'_>,
        _: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        self.record("acquire_lease");
        Ok(AcquireOutcome::Acquired { fencing: None })
    }

    async fn release_lease(
        &self,
        _: &LockKey,
        _: &LockToken,
        _: LeaseKind,
    ) -> Result<ReleaseOutcome, BackendError> {
        self.record("release_lease");
        Ok(ReleaseOutcome::NotHeld)
    }

    async fn extend_lease(
        &self,
        _: &LockKey,
        _: &LockToken,
        _: LeaseKind,
        _: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.record("extend_lease");
        Ok(ExtendOutcome::NotHeld)
    }

    async fn inspect_lease(&self, _: &LockKey, _: LeaseKind) -> Result<LeaseHolders, BackendError> {
        self.record("inspect_lease");
        Ok(LeaseHolders::default())
    }

    async fn watch_lease(
        &self,
        _: &LockKey,
        _: &LockToken,
        _: LeaseKind,
    ) -> Result<ReleaseWatch, BackendError> {
        self.record("watch_lease");
        Ok(Box::pin(std::future::ready(())))
    }

    async fn inspect_metadata(
        &self,
        _: &LockKey,
    ) -> Result<Option<(LockToken, Metadata)>, BackendError> {
        self.record("inspect_metadata");
        Ok(None)
    }

    fn guarded_writes(&self) -> Option<&dyn GuardedWriteBackend> {
        self.record("guarded_writes");
        None
    }

    fn can_acquire_together(&self, _: &[LockKey]) -> bool {
        self.record("can_acquire_together");
        false
    }

    async fn try_acquire_all(
        &self,
        _: &[LockKey],
        _: &[LockToken],
        _: Duration,
    ) -> Result<MultiAcquireOutcome, BackendError> {
        self.record("try_acquire_all");
        Ok(MultiAcquireOutcome::Acquired { fencing: Vec::new() })
    }

    fn max_batch(&self) -> usize {
        self.record("max_batch");
        1
    }

    async fn extend_batch(&self, _: &[ExtendItem<'_>]) -> Result<Vec<ExtendOutcome>, BackendError> {
        self.record("extend_batch");
        Ok(Vec::new())
    }
}

/// Calls every method of `backend` once, each followed by what `recorder` saw.
async fn call_each(
    backend: &dyn LockBackend,
    recorder: &Recorder,
) -> Vec<(&'static str, Vec<&'static str>)> {
    let key = KeyPrefix::default().key("forwarding").unwrap();
    let token = LockToken::generate().unwrap();
    let ttl = Duration::from_secs(1);
    let mut seen = Vec::new();
    let mut saw = |method: &'static str| seen.push((method, recorder.take()));
    let _ = backend.info();
    saw("info");
    let _ = backend.endpoint();
    saw("endpoint");
    let _ = backend.try_acquire(&key, &token, ttl).await;
    saw("try_acquire");
    let _ = backend.release(&key, &token).await;
    saw("release");
    let _ = backend.extend(&key, &token, ttl).await;
    saw("extend");
    let _ = backend.inspect(&key).await;
    saw("inspect");
    let _ = backend.watch_release(&key).await;
    saw("watch_release");
    let _ = backend.watch_before_attempt(&key).await;
    saw("watch_before_attempt");
    let _ = backend.holds(&key, &token).await;
    saw("holds");
    let _ = backend.acquire_lease(&key, &token, Lease::Permit { limit: 2 }, ttl).await;
    saw("acquire_lease");
    let _ = backend.release_lease(&key, &token, LeaseKind::Permit).await;
    saw("release_lease");
    let _ = backend.extend_lease(&key, &token, LeaseKind::Rw, ttl).await;
    saw("extend_lease");
    let _ = backend.inspect_lease(&key, LeaseKind::Rw).await;
    saw("inspect_lease");
    let _ = backend.watch_lease(&key, &token, LeaseKind::Fair).await;
    saw("watch_lease");
    let _ = backend.inspect_metadata(&key).await;
    saw("inspect_metadata");
    let _ = backend.guarded_writes();
    saw("guarded_writes");
    let _ = backend.can_acquire_together(std::slice::from_ref(&key));
    saw("can_acquire_together");
    let _ = backend
        .try_acquire_all(std::slice::from_ref(&key), std::slice::from_ref(&token), ttl)
        .await;
    saw("try_acquire_all");
    let _ = backend.max_batch();
    saw("max_batch");
    let _ = backend.extend_batch(&[ExtendItem { key: &key, token: &token, ttl }]).await;
    saw("extend_batch");
    seen
}

/// The methods `pub trait LockBackend` declares, read from its source.
fn trait_methods() -> BTreeSet<String> {
    let source = include_str!("../src/backend/contract.rs");
    let body = source.split("pub trait LockBackend").nth(1).expect("the trait");
    let body = &body[..body.find("\n}\n").expect("the trait's end")];
    body.lines()
        .map(str::trim_start)
        .filter_map(|line| line.strip_prefix("async fn ").or_else(|| line.strip_prefix("fn ")))
        .map(|rest| rest[..rest.find(['(', '<']).unwrap()].to_string())
        .collect()
}

#[derive(Debug)]
struct Newtype {
    inner: Arc<Recorder>,
}
lock_core::forward_lock_backend!(impl for Newtype => |this| &this.inner);

/// Writes two methods of its own (one plain, one async); the macro forwards the rest.
#[derive(Debug)]
struct PartlyOwn {
    inner: Arc<Recorder>,
}
lock_core::forward_lock_backend!(impl for PartlyOwn => |this| &this.inner, except {
    fn max_batch(&self) -> usize {
        self.inner.max_batch()
    }

    async fn holds(&self, key: &LockKey, token: &LockToken) -> Result<bool, BackendError> {
        self.inner.holds(key, token).await
    }
});

fn check(wrapper: &str, seen: Vec<(&'static str, Vec<&'static str>)>) {
    let called: BTreeSet<String> = seen.iter().map(|(m, _)| m.to_string()).collect();
    assert_eq!(called, trait_methods(), "this test calls every method of the trait");
    for (method, reached) in seen {
        assert_eq!(reached, vec![method], "{wrapper} did not forward {method}");
    }
}

#[tokio::test]
async fn every_wrapper_forwards_every_method() {
    let recorder = Arc::new(Recorder::default());
    check("Arc", call_each(&recorder.clone(), &recorder).await);
    let shared: Arc<dyn LockBackend> = recorder.clone();
    check("Arc<dyn LockBackend>", call_each(&shared, &recorder).await);
    let boxed: Box<dyn LockBackend> = Box::new(recorder.clone());
    check("Box<Arc<_>>", call_each(&boxed, &recorder).await);
    let newtype = Newtype { inner: recorder.clone() };
    check("forward_lock_backend!", call_each(&newtype, &recorder).await);
    let partly = PartlyOwn { inner: recorder.clone() };
    check("forward_lock_backend! with overrides", call_each(&partly, &recorder).await);
}

#[test]
fn the_trait_is_read_whole() {
    let methods = trait_methods();
    assert!(
        methods.contains("info") && methods.contains("holds") && methods.contains("watch_lease")
    );
    assert_eq!(methods.len(), 20, "{methods:?}");
}
