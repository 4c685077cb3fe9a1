//! The model checked against a store: the same random sequence of primitive backend calls
//! (every kind, random ttls, names shared across kinds, tokens reused, time advanced between
//! calls) sent to two backends, usually the in-process [`lock_core::MemoryBackend`] (the model,
//! and the suite's reference) and a store under test (the Lua scripts on a real `redis-server`),
//! must get the same answers, allowing only the latitude the contract states:
//!
//! - fencing tokens are compared by presence (their values come from each store's clock);
//! - remaining ttls are compared by presence (A2 promises only "at most");
//! - an error is compared by its kind;
//! - a kind the two backends do not both offer is not sent.
//!
//! Where they differ, one of them breaks the contract: [`Divergence`] names the seed, the step,
//! the call and both answers, and the calls that came before on the same names.
//!
//! ```
//! use lock_core::MemoryBackend;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // Here the store under test is a second in-process store; in lock-client-tests it is a
//! // RedisBackend or a FredBackend on a real server.
//! let (model, real) = (MemoryBackend::new(), MemoryBackend::new());
//! let report = lock_testkit::differential::compare(7, 500, &model, &real).await.expect("same answers");
//! assert_eq!(report.calls.values().sum::<usize>(), 500);
//! # }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use lock_core::backend::{
    AcquireOutcome, ExtendItem, ExtendOutcome, Lease, LeaseHolders, LeaseKind, LockInfo,
    MultiAcquireOutcome, ReleaseOutcome,
};
use lock_core::{BackendError, DynLockBackend, KeyPrefix, LockKey, LockToken, Metadata, RwMode};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Calls sent, by kind.
#[derive(Clone, Debug, Default)]
pub struct DiffReport {
    /// How many calls each kind got (both backends got each one).
    pub calls: BTreeMap<&'static str, usize>,
}

/// Two answers that differ.
#[derive(Clone, Debug)]
pub struct Divergence {
    /// The seed of the sequence.
    pub seed: u64,
    /// The step at which the answers differ.
    pub step: usize,
    /// The call, and what came before it on the same names.
    pub calls: Vec<String>,
    /// The model's answer.
    pub model: String,
    /// The store's answer.
    pub real: String,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "seed {} step {}: the model answered {} and the store {}",
            self.seed, self.step, self.model, self.real
        )?;
        for call in &self.calls {
            writeln!(f, "  {call}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Divergence {}

/// An answer, reduced to what the contract fixes.
fn acquired(r: Result<AcquireOutcome, BackendError>) -> String {
    match r {
        Ok(AcquireOutcome::Acquired { fencing }) => {
            format!("Acquired(fenced: {})", fencing.is_some())
        }
        Ok(AcquireOutcome::Held { .. }) => "Held".to_owned(),
        Ok(other) => format!("{other:?}"),
        Err(e) => error(&e),
    }
}

fn released(r: Result<ReleaseOutcome, BackendError>) -> String {
    r.map_or_else(|e| error(&e), |o| format!("{o:?}"))
}

fn extended(r: Result<ExtendOutcome, BackendError>) -> String {
    r.map_or_else(|e| error(&e), |o| format!("{o:?}"))
}

fn inspected(r: Result<Option<LockInfo>, BackendError>, tokens: &[LockToken]) -> String {
    match r {
        Ok(None) => "free".to_owned(),
        Ok(Some(info)) => {
            format!("held by {} (fenced: {})", who(&info.holder, tokens), info.fencing.is_some())
        }
        Err(e) => error(&e),
    }
}

fn holders(r: Result<LeaseHolders, BackendError>, tokens: &[LockToken]) -> String {
    match r {
        Ok(h) => {
            let mut each: Vec<String> = h
                .holders
                .iter()
                .map(|holder| format!("{}:{:?}", who(&holder.info.holder, tokens), holder.mode))
                .collect();
            each.sort();
            format!("{each:?} writer waiting: {}", h.writer_waiting)
        }
        Err(e) => error(&e),
    }
}

fn multi(r: Result<MultiAcquireOutcome, BackendError>) -> String {
    match r {
        Ok(MultiAcquireOutcome::Acquired { fencing }) => {
            format!("Acquired({} fenced)", fencing.iter().filter(|f| f.is_some()).count())
        }
        Ok(MultiAcquireOutcome::Held { index, .. }) => format!("Held(index {index})"),
        Ok(other) => format!("{other:?}"),
        Err(e) => error(&e),
    }
}

fn error(e: &BackendError) -> String {
    format!("Err({:?})", e.kind())
}

fn who(token: &LockToken, tokens: &[LockToken]) -> String {
    tokens
        .iter()
        .position(|t| t == token)
        .map_or_else(|| "a foreign token".to_owned(), |i| format!("t{i}"))
}

/// Sends the same `ops` random calls (from `seed`) to `model` and `real`, comparing every
/// answer. Both must start without locks under the random prefix used here.
pub async fn compare(
    seed: u64,
    ops: usize,
    model: &DynLockBackend,
    real: &DynLockBackend,
) -> Result<DiffReport, Divergence> {
    let mut rng = StdRng::seed_from_u64(seed);
    // Draws added after sequences were kept as regression cases come from a second generator,
    // so those sequences stay as they were.
    let mut later = StdRng::seed_from_u64(seed ^ 0x005e_ed0f_1a7e);
    // The prefix is fresh for every run (two runs of one seed may share a server), drawn
    // outside the seed's sequence; the seed still spends its draw, so sequences stay as they were.
    let _ = rng.random::<u64>();
    let prefix = KeyPrefix::new(format!("diff:{:016x}:", rand::random::<u64>())).expect("prefix");
    let names: Vec<LockKey> =
        (0..4).map(|i| LockKey::new(&prefix, format!("n{i}")).expect("key")).collect();
    let tokens: Vec<LockToken> = (0..4).map(|_| LockToken::generate().expect("token")).collect();
    let (m, r) = (model.info().capabilities, real.info().capabilities);
    let kinds: Vec<&'static str> = [
        ("lock", true),
        ("metadata", m.metadata && r.metadata),
        ("permit", m.permits && r.permits),
        ("rw", m.rw_locks && r.rw_locks),
        ("fair", m.fair_locks && r.fair_locks),
        ("set", m.lock_sets && r.lock_sets),
        ("batch", m.batch_extend && r.batch_extend),
    ]
    .into_iter()
    .filter_map(|(kind, on)| on.then_some(kind))
    .collect();
    let mut report = DiffReport::default();
    let mut log: Vec<(Vec<usize>, String)> = Vec::new();
    let long = Duration::from_secs(30);
    for step in 0..ops {
        let kind = kinds[rng.random_range(0..kinds.len())];
        *report.calls.entry(kind).or_default() += 1;
        let n = rng.random_range(0..names.len());
        let key = &names[n];
        let t = rng.random_range(0..tokens.len());
        let token = &tokens[t];
        // Mostly long ttls; now and then a short one, after which time is moved past it. Never
        // for a fair lock: a waiter's ttl is kept in line and granted by a later handoff, with no
        // pause after it, and the two stores would race its expiry.
        let short = kind != "fair" && rng.random_bool(0.003);
        let ttl = if short { Duration::from_millis(10) } else { long };
        // Now and then a fair place that lapses soon (time is moved past it after the call):
        // each place lapses by itself, the others stay in line.
        let short_place = kind == "fair" && later.random_bool(0.02);
        let queue_ttl = if short_place { Duration::from_millis(10) } else { long };
        let action = rng.random_range(0..4);
        let (call, a, b) = match (kind, action) {
            ("lock", 0) => (
                format!("try_acquire(n{n}, t{t}, {ttl:?})"),
                acquired(model.try_acquire(key, token, ttl).await),
                acquired(real.try_acquire(key, token, ttl).await),
            ),
            ("lock", 1) => (
                format!("release(n{n}, t{t})"),
                released(model.release(key, token).await),
                released(real.release(key, token).await),
            ),
            ("lock", 2) => (
                format!("extend(n{n}, t{t}, {ttl:?})"),
                extended(model.extend(key, token, ttl).await),
                extended(real.extend(key, token, ttl).await),
            ),
            ("lock", _) => (
                format!("inspect(n{n})"),
                inspected(model.inspect(key).await, &tokens),
                inspected(real.inspect(key).await, &tokens),
            ),
            ("metadata", 0 | 1) => {
                let metadata = Metadata::new().with("step", step.to_string()).expect("metadata");
                let lease = Lease::Metadata(&metadata);
                (
                    format!("acquire_lease(n{n}, t{t}, Metadata, {ttl:?})"),
                    acquired(model.acquire_lease(key, token, lease, ttl).await),
                    acquired(real.acquire_lease(key, token, lease, ttl).await),
                )
            }
            ("metadata", _) => {
                let shown = |r: Result<Option<(LockToken, Metadata)>, BackendError>| match r {
                    Ok(None) => "free".to_owned(),
                    Ok(Some((holder, metadata))) => {
                        format!("held by {} with {:?}", who(&holder, &tokens), metadata)
                    }
                    Err(e) => error(&e),
                };
                (
                    format!("inspect_metadata(n{n})"),
                    shown(model.inspect_metadata(key).await),
                    shown(real.inspect_metadata(key).await),
                )
            }
            ("permit" | "rw" | "fair", _) => {
                let (lease, lease_kind) = match kind {
                    "permit" => {
                        let limit = rng.random_range(1..=3);
                        (Lease::Permit { limit }, LeaseKind::Permit)
                    }
                    "rw" => {
                        let mode = [RwMode::Read, RwMode::UpgradeableRead, RwMode::Write]
                            [rng.random_range(0..3)];
                        (Lease::Rw(mode), LeaseKind::Rw)
                    }
                    _ => (Lease::Fair { queue_ttl }, LeaseKind::Fair),
                };
                match action {
                    0 | 1 => (
                        format!("acquire_lease(n{n}, t{t}, {lease:?}, {ttl:?})"),
                        acquired(model.acquire_lease(key, token, lease, ttl).await),
                        acquired(real.acquire_lease(key, token, lease, ttl).await),
                    ),
                    2 => (
                        format!("release_lease(n{n}, t{t}, {lease_kind:?})"),
                        released(model.release_lease(key, token, lease_kind).await),
                        released(real.release_lease(key, token, lease_kind).await),
                    ),
                    _ if kind == "fair" => (
                        format!("inspect(n{n})"),
                        inspected(model.inspect(key).await, &tokens),
                        inspected(real.inspect(key).await, &tokens),
                    ),
                    _ if rng.random_bool(0.5) => (
                        format!("extend_lease(n{n}, t{t}, {lease_kind:?}, {ttl:?})"),
                        extended(model.extend_lease(key, token, lease_kind, ttl).await),
                        extended(real.extend_lease(key, token, lease_kind, ttl).await),
                    ),
                    _ => (
                        format!("inspect_lease(n{n}, {lease_kind:?})"),
                        holders(model.inspect_lease(key, lease_kind).await, &tokens),
                        holders(real.inspect_lease(key, lease_kind).await, &tokens),
                    ),
                }
            }
            ("set", _) => {
                let other = (n + 1 + rng.random_range(0..names.len() - 1)) % names.len();
                let keys = [names[n].clone(), names[other].clone()];
                let set_tokens = [token.clone(), tokens[rng.random_range(0..tokens.len())].clone()];
                (
                    format!("try_acquire_all([n{n}, n{other}], {ttl:?})"),
                    multi(model.try_acquire_all(&keys, &set_tokens, ttl).await),
                    multi(real.try_acquire_all(&keys, &set_tokens, ttl).await),
                )
            }
            _ => {
                let other = rng.random_range(0..names.len());
                let items = [
                    ExtendItem { key, token, ttl },
                    ExtendItem {
                        key: &names[other],
                        token: &tokens[rng.random_range(0..tokens.len())],
                        ttl,
                    },
                ];
                let each = |r: Result<Vec<ExtendOutcome>, BackendError>| {
                    r.map_or_else(|e| error(&e), |v| format!("{v:?}"))
                };
                (
                    format!("extend_batch([n{n}, n{other}])"),
                    each(model.extend_batch(&items).await),
                    each(real.extend_batch(&items).await),
                )
            }
        };
        let touched: Vec<usize> =
            (0..names.len()).filter(|i| *i == n || call.contains(&format!("n{i}"))).collect();
        log.push((touched, format!("{step}: {call} -> {a}")));
        if std::env::var("DIFF_DEBUG").is_ok() {
            let m = inspected(model.inspect(key).await, &tokens);
            let r = inspected(real.inspect(key).await, &tokens);
            eprintln!("{step}: {call} -> {a} / {b}   [n{n}: {m} / {r}]");
        }
        if a != b {
            let involved = &log.last().expect("this call").0;
            let calls = log
                .iter()
                .filter(|(names, _)| names.iter().any(|i| involved.contains(i)))
                .map(|(_, c)| c.clone())
                .collect::<Vec<_>>();
            let calls = calls[calls.len().saturating_sub(12)..].to_vec();
            return Err(Divergence { seed, step, calls, model: a, real: b });
        }
        if short || short_place {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    // Leave nothing behind.
    for key in &names {
        for token in &tokens {
            for kind in [LeaseKind::Lock, LeaseKind::Permit, LeaseKind::Rw, LeaseKind::Fair] {
                let _ = model.release_lease(key, token, kind).await;
                let _ = real.release_lease(key, token, kind).await;
            }
        }
    }
    Ok(report)
}
