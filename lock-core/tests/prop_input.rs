//! Bad input, proven: for any key, prefix, ttl, retry policy or manager setting, the public
//! API either accepts it or answers `Error::InvalidArgument` exactly as the docs say, before
//! any call reaches the backend, and never panics.

mod common;

use std::time::Duration;

use common::{Calls, Counting};
use lock_core::{
    Drift, Error, KeyPrefix, LockKey, LockManager, RetryPolicy, backend::ttl_millis,
    backend::validate_ttl, limits::DEFAULT_PREFIX, limits::MAX_NAME_LEN, limits::MAX_PREFIX_LEN,
    limits::MAX_RETRY_DELAY, limits::MAX_TTL, limits::MIN_RETRY_DELAY, limits::MIN_TTL,
};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;

const NS: Duration = Duration::from_nanos(1);
const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Never write regression files into the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A current-thread runtime on tokio's paused clock: no time passes unless a test sleeps.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime")
}

/// `Some(what)` for an `InvalidArgument`, `None` for anything else.
fn invalid_what(e: &Error) -> Option<&'static str> {
    match e {
        Error::InvalidArgument { what, .. } => Some(what),
        _ => None,
    }
}

/// Fails unless `result` is an `InvalidArgument` about `what`.
fn expect_invalid<T>(result: Result<T, Error>, what: &str) -> Result<(), TestCaseError> {
    match result {
        Err(e) => {
            prop_assert_eq!(invalid_what(&e), Some(what), "wrong error: {}", e);
            Ok(())
        }
        Ok(_) => Err(TestCaseError::fail(format!("accepted a bad {what}"))),
    }
}

// ---------------------------------------------------------------------------------------
// The documented rules, written out independently of the implementation.

/// `LockKey` docs: non-empty, at most `MAX_NAME_LEN` bytes, no `~`.
fn name_ok(name: &[u8]) -> bool {
    !name.is_empty() && name.len() <= MAX_NAME_LEN && !name.contains(&b'~')
}

/// `KeyPrefix` docs: at most `MAX_PREFIX_LEN` bytes, no `{`, `}` or `~`.
fn prefix_ok(prefix: &[u8]) -> bool {
    prefix.len() <= MAX_PREFIX_LEN && !prefix.iter().any(|b| matches!(b, b'{' | b'}' | b'~'))
}

/// `MIN_TTL..=MAX_TTL`, and something left after the default drift allowance of
/// `ttl × 0.01 + 2 ms`: `ttl × 0.99 > 2 ms` in exact arithmetic.
fn ttl_ok(ttl: Duration) -> bool {
    (MIN_TTL..=MAX_TTL).contains(&ttl) && ttl.as_nanos() * 99 > 200_000_000
}

// ---------------------------------------------------------------------------------------
// Strategies.

fn name_bytes() -> impl Strategy<Value = Vec<u8>> {
    use prop::collection::vec;
    prop_oneof![
        4 => vec(any::<u8>(), 0..6000),
        2 => vec(any::<u8>(), 0..16),
        2 => vec(select(b"{}~*?[] \n\0\xff\xc3\xa9:k".to_vec()), 0..24),
        1 => Just(Vec::new()),
        1 => Just(b"~".to_vec()),
        1 => vec(any::<u8>(), MAX_NAME_LEN..=MAX_NAME_LEN),
        1 => vec(any::<u8>(), MAX_NAME_LEN + 1..=MAX_NAME_LEN + 1),
        1 => vec(any::<u8>(), 0..MAX_NAME_LEN + 2).prop_map(|mut v| {
            v.insert(0, b'~');
            v
        }),
    ]
}

fn prefix_bytes() -> impl Strategy<Value = Vec<u8>> {
    use prop::collection::vec;
    prop_oneof![
        2 => vec(any::<u8>(), 0..400),
        2 => vec(select(b"ab:~{}".to_vec()), 0..24),
        2 => vec(select(b"ab:~ \xff".to_vec()), 0..24),
        1 => vec(select(b"ab:~".to_vec()), MAX_PREFIX_LEN..=MAX_PREFIX_LEN + 1),
        1 => Just(Vec::new()),
    ]
}

/// Ttls at and beyond every edge, and anywhere in between.
fn ttl() -> impl Strategy<Value = Duration> {
    let edges = vec![
        Duration::ZERO,
        NS,
        Duration::from_nanos(999_999),
        MS,
        2 * MS,
        3 * MS,
        // `ttl × 0.99 = 2 ms` at 2.0202… ms: the last ttl with nothing left, the first with 1 ns.
        Duration::from_nanos(2_020_202),
        Duration::from_nanos(2_020_203),
        MAX_TTL - NS,
        MAX_TTL,
        MAX_TTL + NS,
        Duration::MAX,
    ];
    prop_oneof![
        3 => select(edges),
        2 => any::<u64>().prop_map(Duration::from_nanos),
        2 => (any::<u64>(), 0..1_000_000_000u32).prop_map(|(s, n)| Duration::new(s, n)),
        2 => (0..=MAX_TTL.as_secs() + 1, 0..1_000_000_000u32).prop_map(|(s, n)| Duration::new(s, n)),
        2 => (1_900_000u64..2_200_000).prop_map(Duration::from_nanos),
        1 => (0u64..4000).prop_map(|n| MAX_TTL - 2000 * NS + Duration::from_nanos(n)),
    ]
}

/// Retry delays at and beyond the edges.
fn retry_delay() -> impl Strategy<Value = Duration> {
    let edges = vec![
        Duration::ZERO,
        NS,
        Duration::from_nanos(999_999),
        MS,
        HOUR - NS,
        HOUR,
        HOUR + NS,
        Duration::MAX,
    ];
    prop_oneof![
        3 => select(edges),
        3 => (1_000_000u64..=3_600_000_000_000).prop_map(Duration::from_nanos),
        1 => any::<u64>().prop_map(Duration::from_nanos),
        1 => (any::<u64>(), 0..1_000_000_000u32).prop_map(|(s, n)| Duration::new(s, n)),
    ]
}

/// Floats at and beyond the edges of `[0, 1]` and `[1, 100]`, and anything else.
fn float() -> impl Strategy<Value = f64> {
    let edges = vec![
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -1.0,
        -f64::MIN_POSITIVE,
        -0.0,
        0.0,
        f64::MIN_POSITIVE,
        1.0 / 3.0,
        0.5,
        1.0 - f64::EPSILON / 2.0,
        1.0,
        1.0 + f64::EPSILON,
        1.5,
        2.0,
        100.0,
        100.0 + 100.0 * f64::EPSILON,
        101.0,
        f64::MAX,
    ];
    prop_oneof![
        3 => select(edges),
        2 => any::<f64>(),
        2 => 0.0..=1.0f64,
        1 => 1.0..=100.0f64,
    ]
}

/// Jitter fractions: mostly in `0..=1`, often at or just past an edge.
fn jitter() -> impl Strategy<Value = f64> {
    let edges = vec![
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -f64::MIN_POSITIVE,
        -0.0,
        0.0,
        1.0,
        1.0 + f64::EPSILON,
        2.0,
    ];
    prop_oneof![2 => select(edges), 2 => 0.0..=1.0f64, 1 => float()]
}

/// Backoff factors: mostly in `1..=100`, often at or just past an edge.
fn factor() -> impl Strategy<Value = f64> {
    let edges = vec![
        f64::NAN,
        f64::INFINITY,
        0.5,
        1.0 - f64::EPSILON / 2.0,
        1.0,
        100.0,
        100.0 + 100.0 * f64::EPSILON,
        101.0,
    ];
    prop_oneof![2 => select(edges), 2 => 1.0..=100.0f64, 1 => float()]
}

/// Delays for a policy: mostly in range, often at an edge.
fn policy_delay() -> impl Strategy<Value = Duration> {
    prop_oneof![
        2 => (1_000_000u64..=3_600_000_000_000).prop_map(Duration::from_nanos),
        1 => select(vec![MS, HOUR]),
        1 => retry_delay(),
    ]
}

#[derive(Clone, Debug)]
enum Shape {
    None,
    Fixed(Duration),
    Linear(Duration, Duration),
    Exponential(Duration, Duration),
}

/// A retry policy as its builder calls, so the test can say what `validate` must decide.
#[derive(Clone, Debug)]
struct PolicySpec {
    shape: Shape,
    factor: Option<f64>,
    max_delay: Option<Duration>,
    jitter: Option<f64>,
    max_attempts: Option<u32>,
    max_wait: Option<Duration>,
}

impl PolicySpec {
    fn build(&self) -> RetryPolicy {
        let mut p = match self.shape {
            Shape::None => RetryPolicy::none(),
            Shape::Fixed(d) => RetryPolicy::fixed(d),
            Shape::Linear(i, s) => RetryPolicy::linear(i, s),
            Shape::Exponential(i, m) => RetryPolicy::exponential(i, m),
        };
        if let Some(f) = self.factor {
            p = p.factor(f);
        }
        if let Some(m) = self.max_delay {
            p = p.max_delay(m);
        }
        if let Some(j) = self.jitter {
            p = p.jitter(j);
        }
        if let Some(n) = self.max_attempts {
            p = p.max_attempts(n);
        }
        if let Some(w) = self.max_wait {
            p = p.max_wait(w);
        }
        p
    }

    /// The cap on each delay, as the builder calls set it.
    fn cap(&self) -> Duration {
        match (self.max_delay, &self.shape) {
            (Some(m), _) => m,
            (None, Shape::Exponential(_, m)) => *m,
            (None, _) => MAX_RETRY_DELAY,
        }
    }

    /// What the docs promise: every delay (initial, fixed, cap) within
    /// `MIN_RETRY_DELAY..=MAX_RETRY_DELAY`, a linear step at most `MAX_RETRY_DELAY`, an
    /// exponential factor in `1..=100` with a cap not below the initial delay, jitter in
    /// `0..=1`, and not zero attempts. `none()` has no delays to check.
    fn valid(&self) -> bool {
        let in_range = |d: Duration| (MIN_RETRY_DELAY..=MAX_RETRY_DELAY).contains(&d);
        let cap = self.cap();
        let shape_ok = match self.shape {
            Shape::None => true,
            Shape::Fixed(d) => in_range(d) && in_range(cap),
            Shape::Linear(i, s) => in_range(i) && s <= MAX_RETRY_DELAY && in_range(cap),
            Shape::Exponential(i, _) => {
                let f = self.factor.unwrap_or(2.0);
                in_range(i)
                    && f.is_finite()
                    && (1.0..=100.0).contains(&f)
                    && cap >= i
                    && in_range(cap)
            }
        };
        let jitter_ok = self.jitter.is_none_or(|j| j.is_finite() && (0.0..=1.0).contains(&j));
        shape_ok && jitter_ok && self.max_attempts != Some(0)
    }
}

fn policy() -> impl Strategy<Value = PolicySpec> {
    let shape = prop_oneof![
        1 => Just(Shape::None),
        2 => policy_delay().prop_map(Shape::Fixed),
        2 => (policy_delay(), policy_delay()).prop_map(|(i, s)| Shape::Linear(i, s)),
        3 => (policy_delay(), policy_delay()).prop_map(|(i, m)| Shape::Exponential(i, m)),
    ];
    let attempts = prop_oneof![select(vec![0u32, 1, 2, 3, u32::MAX - 1, u32::MAX]), any::<u32>()];
    let wait = prop_oneof![
        select(vec![Duration::ZERO, NS, MS, Duration::MAX]),
        (0u64..10_000_000_000).prop_map(Duration::from_nanos),
    ];
    (
        shape,
        prop::option::of(factor()),
        prop::option::of(policy_delay()),
        prop::option::of(jitter()),
        prop::option::weighted(0.3, attempts),
        prop::option::of(wait),
    )
        .prop_map(|(shape, factor, max_delay, jitter, max_attempts, max_wait)| PolicySpec {
            shape,
            factor,
            max_delay,
            jitter,
            max_attempts,
            max_wait,
        })
}

// ---------------------------------------------------------------------------------------
// 1. Keys and prefixes.

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn keys_and_prefixes_follow_the_documented_rules(
        name in name_bytes(),
        prefix in prefix_bytes(),
    ) {
        match LockKey::with_default_prefix(&name) {
            Ok(key) => {
                prop_assert!(name_ok(&name), "accepted name of {} bytes", name.len());
                prop_assert_eq!(key.as_bytes(), [DEFAULT_PREFIX.as_bytes(), &name].concat());
                prop_assert_eq!(key.name(), &name[..]);
                prop_assert_eq!(key.prefix(), DEFAULT_PREFIX.as_bytes());
                // Display is for logs: escaped (no raw control characters) and bounded.
                for shown in [key.to_string(), format!("{key:?}")] {
                    prop_assert!(!shown.chars().any(char::is_control), "{:?}", shown);
                    prop_assert!(shown.chars().count() <= 2100, "{} chars", shown.len());
                }
            }
            Err(e) => {
                prop_assert!(!name_ok(&name), "rejected a good name: {}", e);
                prop_assert_eq!(invalid_what(&e), Some("lock name"), "{}", e);
            }
        }
        match KeyPrefix::new(&prefix) {
            Ok(p) => {
                prop_assert!(prefix_ok(&prefix), "accepted prefix {:?}", p);
                prop_assert_eq!(p.as_bytes(), &prefix[..]);
                match p.key(&name) {
                    Ok(key) => {
                        prop_assert!(name_ok(&name));
                        prop_assert_eq!(key.as_bytes(), [&prefix[..], &name].concat());
                        prop_assert_eq!(key.prefix(), &prefix[..]);
                        prop_assert_eq!(key.name(), &name[..]);
                    }
                    Err(e) => {
                        prop_assert!(!name_ok(&name), "rejected a good name: {}", e);
                        prop_assert_eq!(invalid_what(&e), Some("lock name"));
                    }
                }
            }
            Err(e) => {
                prop_assert!(!prefix_ok(&prefix), "rejected a good prefix: {}", e);
                prop_assert_eq!(invalid_what(&e), Some("key prefix"), "{}", e);
            }
        }
    }

    #[test]
    fn bad_names_never_reach_the_backend(name in name_bytes(), prefix in prefix_bytes()) {
        runtime().block_on(async {
            let backend = Counting::default();
            let calls = backend.calls.clone();
            let store = backend.inner.clone();
            let locks = match LockManager::builder(backend).prefix(&prefix).build() {
                Ok(locks) => {
                    prop_assert!(prefix_ok(&prefix), "accepted a bad prefix");
                    locks
                }
                Err(e) => {
                    prop_assert!(!prefix_ok(&prefix), "rejected a good prefix: {}", e);
                    prop_assert_eq!(invalid_what(&e), Some("key prefix"));
                    prop_assert_eq!(calls.total(), 0);
                    return Ok(());
                }
            };
            let ttl = Duration::from_secs(10);
            match locks.try_lock(&name, ttl).await {
                Ok(Some(guard)) => {
                    prop_assert!(name_ok(&name), "locked a bad name of {} bytes", name.len());
                    prop_assert_eq!(guard.key().as_bytes(), [&prefix[..], &name].concat());
                    prop_assert_eq!(Calls::get(&calls.acquire), 1);
                    prop_assert_eq!(store.live_locks(), 1);
                    prop_assert!(locks.is_locked(&name).await.expect("is_locked"));
                    guard.release().await.expect("release");
                    prop_assert_eq!(store.live_locks(), 0);
                }
                Ok(None) => prop_assert!(false, "a fresh backend reported the key held"),
                Err(e) => {
                    prop_assert!(!name_ok(&name), "rejected a good name: {}", e);
                    prop_assert_eq!(invalid_what(&e), Some("lock name"), "{}", e);
                    // Every other entry point rejects it the same way, without I/O.
                    expect_invalid(locks.is_locked(&name).await, "lock name")?;
                    expect_invalid(locks.info(&name).await, "lock name")?;
                    expect_invalid(locks.key(&name), "lock name")?;
                    expect_invalid(locks.lock(&name).acquire().await, "lock name")?;
                    expect_invalid(
                        locks.lock(&name).auto_refresh().wait(Duration::ZERO).try_acquire().await,
                        "lock name",
                    )?;
                    let ran = locks
                        .lock(&name)
                        .run(|_| async { Ok::<_, Error>(()) })
                        .await;
                    expect_invalid(ran, "lock name")?;
                    prop_assert_eq!(calls.total(), 0, "a bad name reached the backend");
                }
            }
            Ok(())
        })?;
    }
}

// ---------------------------------------------------------------------------------------
// 2. Ttls.

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn ttl_rules_are_the_documented_ones(ttl in ttl()) {
        prop_assert_eq!(validate_ttl(ttl).is_ok(), (MIN_TTL..=MAX_TTL).contains(&ttl));
        let drift = Drift::default();
        match drift.validity(ttl) {
            Ok(v) => {
                prop_assert!(ttl_ok(ttl), "validity {:?} for {:?}", v, ttl);
                prop_assert!(!v.is_zero() && v < ttl);
                prop_assert_eq!(v + drift.for_ttl(ttl), ttl);
            }
            Err(e) => {
                prop_assert!(!ttl_ok(ttl), "{:?} rejected: {}", ttl, e);
                prop_assert_eq!(invalid_what(&e), Some("ttl"));
            }
        }
        // Whole milliseconds, rounded up, saturating.
        let expected = u64::try_from(ttl.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX);
        prop_assert_eq!(ttl_millis(ttl), expected);
    }

    #[test]
    fn try_lock_takes_exactly_the_valid_ttls(ttl in ttl(), refresh in any::<bool>()) {
        runtime().block_on(async {
            let backend = Counting::default();
            let calls = backend.calls.clone();
            let store = backend.inner.clone();
            let locks = LockManager::new(backend);
            let got = if refresh {
                locks.lock("k").ttl(ttl).auto_refresh().try_acquire().await
            } else {
                locks.try_lock("k", ttl).await
            };
            // Auto-refresh also needs a validity window of 6 ms or more (its docs).
            let accepted = ttl_ok(ttl)
                && (!refresh || Drift::default().validity(ttl).is_ok_and(|v| v >= Duration::from_millis(6)));
            match got {
                Ok(Some(guard)) => {
                    prop_assert!(accepted, "locked with ttl {:?}", ttl);
                    // The paused clock stands still: the guard counts on exactly the
                    // validity, and the store got the whole ttl.
                    prop_assert_eq!(Some(guard.remaining()), Drift::default().validity(ttl).ok());
                    let info = locks.info("k").await.expect("info").expect("held");
                    prop_assert_eq!(info.ttl_remaining, Some(ttl));
                    prop_assert_eq!(info.holder, guard.holder());
                    guard.release().await.expect("release");
                }
                Ok(None) => prop_assert!(false, "free key reported held (ttl {:?})", ttl),
                Err(e) => {
                    prop_assert!(!accepted, "rejected ttl {:?}: {}", ttl, e);
                    prop_assert_eq!(invalid_what(&e), Some("ttl"), "{}", e);
                    prop_assert_eq!(calls.total(), 0, "a bad ttl reached the backend");
                    prop_assert_eq!(store.live_locks(), 0);
                }
            }
            Ok(())
        })?;
    }

    #[test]
    fn extend_takes_exactly_the_valid_ttls(ttl in ttl()) {
        runtime().block_on(async {
            let backend = Counting::default();
            let calls = backend.calls.clone();
            let locks = LockManager::new(backend);
            let guard = locks
                .try_lock("k", Duration::from_secs(10))
                .await
                .expect("ok")
                .expect("free");
            let before = guard.remaining();
            match guard.extend(ttl).await {
                Ok(()) => {
                    prop_assert!(ttl_ok(ttl), "extended with ttl {:?}", ttl);
                    prop_assert_eq!(Some(guard.remaining()), Drift::default().validity(ttl).ok());
                    let info = locks.info("k").await.expect("info").expect("held");
                    prop_assert_eq!(info.ttl_remaining, Some(ttl));
                }
                Err(e) => {
                    prop_assert!(!ttl_ok(ttl), "rejected ttl {:?}: {}", ttl, e);
                    prop_assert_eq!(invalid_what(&e), Some("ttl"), "{}", e);
                    prop_assert_eq!(Calls::get(&calls.extend), 0, "a bad ttl reached the backend");
                    prop_assert!(guard.is_valid(), "a rejected extend cost the lock");
                    prop_assert_eq!(guard.remaining(), before);
                }
            }
            guard.release().await.expect("release");
            Ok(())
        })?;
    }
}

// ---------------------------------------------------------------------------------------
// 3. Retry policies.

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn validate_rejects_exactly_what_the_docs_say(spec in policy(), n in any::<u32>()) {
        let p = spec.build();
        match p.validate() {
            Ok(()) => prop_assert!(spec.valid(), "accepted {:?}", spec),
            Err(e) => {
                prop_assert!(!spec.valid(), "rejected {:?}: {}", spec, e);
                prop_assert!(invalid_what(&e).is_some(), "{}", e);
                return Ok(());
            }
        }
        let none = matches!(spec.shape, Shape::None);
        prop_assert_eq!(p.attempts_limit(), spec.max_attempts.or(none.then_some(1)));
        prop_assert_eq!(p.wait_limit(), spec.max_wait);
        let cap = spec.cap().max(MIN_RETRY_DELAY);
        let jitter = spec.jitter.unwrap_or(0.0);
        let mut probes = vec![0, 1, 2, 3, 10, 64, 1100, n, u32::MAX - 1, u32::MAX];
        probes.extend(n.checked_add(1));
        let mut previous_high = Duration::ZERO;
        probes.sort_unstable();
        for failed in probes {
            let (low, high) = p.delay_bounds(failed);
            prop_assert!(MIN_RETRY_DELAY <= low && low <= high, "{:?}: {:?}..{:?}", failed, low, high);
            prop_assert!(high <= MAX_RETRY_DELAY && high <= cap, "{:?}: high {:?}", failed, high);
            // Backoff never shrinks as failures mount.
            prop_assert!(previous_high <= high, "{:?}: {:?} after {:?}", failed, high, previous_high);
            previous_high = high;
            // Jitter takes at most `jitter` of the delay off (1 ns of float slack).
            let floor = high.as_secs_f64() * (1.0 - jitter);
            prop_assert!(low.as_secs_f64() >= floor - 1e-9, "{:?}: low {:?} high {:?}", failed, low, high);
            for _ in 0..4 {
                let d = p.delay(failed);
                prop_assert!(low <= d && d <= high, "{:?}: {:?} outside {:?}..{:?}", failed, d, low, high);
            }
            // The shape itself.
            let k = failed.saturating_sub(1);
            let clamp = |d: Duration| d.min(cap).max(MIN_RETRY_DELAY);
            match spec.shape {
                Shape::None => prop_assert_eq!(high, MIN_RETRY_DELAY),
                Shape::Fixed(d) => prop_assert_eq!(high, clamp(d)),
                Shape::Linear(i, s) => {
                    prop_assert_eq!(high, clamp(i.saturating_add(s.saturating_mul(k))));
                }
                Shape::Exponential(i, _) => {
                    let f = spec.factor.unwrap_or(2.0);
                    // Growth stops after 1024 steps (it only matters for factors within 1.5 %
                    // of 1, whose delays would otherwise keep creeping up).
                    let want = i.as_secs_f64() * f.powf(f64::from(k.min(1024)));
                    let want = if want.is_finite() { want.min(cap.as_secs_f64()) } else { cap.as_secs_f64() };
                    let got = high.as_secs_f64();
                    prop_assert!((got - want).abs() <= want * 1e-9 + 1e-9, "{:?}: {:?} vs {}", failed, high, want);
                }
            }
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig { max_global_rejects: 10_000, ..config(256) })]

    #[test]
    fn acquire_checks_the_policy_before_any_io(spec in policy(), use_run in any::<bool>()) {
        runtime().block_on(async {
            let backend = Counting::default();
            let calls = backend.calls.clone();
            let built = LockManager::builder(backend.clone()).retry(spec.build()).build();
            prop_assert_eq!(built.is_ok(), spec.valid(), "builder and validate disagree");
            if let Err(e) = built {
                prop_assert!(invalid_what(&e).is_some(), "{}", e);
            }
            let locks = LockManager::new(backend);
            let policy = spec.build();
            if !spec.valid() {
                if use_run {
                    let ran = locks.lock("k").retry(policy).run(|_| async { Ok::<_, Error>(()) }).await;
                    prop_assert!(ran.as_ref().err().and_then(invalid_what).is_some(), "{:?}", ran.err());
                } else {
                    let got = locks.lock("k").retry(policy).acquire().await;
                    prop_assert!(got.as_ref().err().and_then(invalid_what).is_some(), "{:?}", got.err());
                }
                let got = locks.lock("k").retry(policy).try_acquire().await;
                prop_assert!(got.as_ref().err().and_then(invalid_what).is_some(), "{:?}", got.err());
                prop_assert_eq!(calls.total(), 0, "an invalid policy reached the backend");
                return Ok(());
            }
            // A valid policy on a free key: one call, a guard.
            let guard = locks.lock("k").retry(policy).acquire().await;
            prop_assert!(guard.is_ok(), "{:?}", guard.err());
            prop_assert_eq!(Calls::get(&calls.acquire), 1);
            Ok(())
        })?;
    }

    /// A valid policy against a lock that is held for `held_for`: the acquire ends with the
    /// lock (only once the holder's ttl ran out) or with `WaitTimeout`, and within its budget.
    #[test]
    fn acquire_on_a_held_lock_gives_up_within_its_budget(
        spec in policy().prop_filter("valid policies only", PolicySpec::valid),
        held_ms in 3u64..5_000,
    ) {
        runtime().block_on(async {
            let backend = Counting::default();
            let calls = backend.calls.clone();
            let locks = LockManager::new(backend);
            let held_for = Duration::from_millis(held_ms);
            let holder = locks.try_lock("k", held_for).await.expect("ok").expect("free");
            let _token = holder.leak();
            let before = Calls::get(&calls.acquire);
            let started = tokio::time::Instant::now();
            let got = locks.lock("k").retry(spec.build()).acquire().await;
            let elapsed = started.elapsed();
            let made = Calls::get(&calls.acquire) - before;
            match got {
                Ok(guard) => {
                    prop_assert!(elapsed >= held_for, "acquired after {:?} of a {:?} hold", elapsed, held_for);
                    prop_assert!(spec.max_wait.is_none_or(|w| elapsed <= w.saturating_add(2 * MS)), "waited {:?}", elapsed);
                    prop_assert_eq!(guard.attempts() as usize, made);
                }
                Err(Error::WaitTimeout { attempts, waited, .. }) => {
                    prop_assert_eq!(attempts as usize, made, "attempts is how often the store was asked");
                    prop_assert_eq!(waited, elapsed);
                    prop_assert!(spec.max_wait.is_none_or(|w| waited <= w.saturating_add(2 * MS)), "waited {:?}", waited);
                    prop_assert!(
                        spec.max_wait.is_some() || spec.max_attempts.is_some() || matches!(spec.shape, Shape::None),
                        "gave up without a budget"
                    );
                }
                Err(e) => prop_assert!(false, "unexpected error {}", e),
            }
            Ok(())
        })?;
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// `max_attempts` docs: "Gives up after `attempts` calls to the store in all (the first
    /// one included)."
    #[test]
    /// `max_attempts` docs: attempts spaced by the delays, plus one uncounted look right after
    /// subscribing to release notification (MemoryBackend has it) when the policy can retry.
    fn max_attempts_caps_calls_to_the_store(attempts in 1u32..6, delay_ms in 1u64..50) {
        runtime().block_on(async {
            let backend = Counting::default();
            let calls = backend.calls.clone();
            let locks = LockManager::new(backend);
            let _holder = locks.try_lock("k", Duration::from_secs(60)).await.expect("ok").expect("free");
            let before = Calls::get(&calls.acquire);
            let policy = RetryPolicy::fixed(Duration::from_millis(delay_ms)).max_attempts(attempts);
            let got = locks.lock("k").retry(policy).acquire().await;
            prop_assert!(matches!(got, Err(Error::WaitTimeout { .. })), "{:?}", got.err());
            let made = Calls::get(&calls.acquire) - before;
            // No other local waiter: only the look after subscribing goes uncounted.
            let expected = attempts as usize + usize::from(attempts > 1);
            prop_assert_eq!(made, expected, "store asked {} times for max_attempts({})", made, attempts);
            Ok(())
        })?;
    }
}

// ---------------------------------------------------------------------------------------
// 4. Manager settings and the drift allowance.

#[derive(Clone, Debug)]
struct Settings {
    prefix: Option<Vec<u8>>,
    ttl: Option<Duration>,
    drift_factor: Option<f64>,
    drift_fixed: Option<Duration>,
    refresh_at: Option<f64>,
    retry: Option<PolicySpec>,
    max_hold: Option<Duration>,
    call_timeout: Option<Duration>,
}

fn settings() -> impl Strategy<Value = Settings> {
    let fixed = prop_oneof![
        select(vec![Duration::ZERO, NS, MS - NS, MS, 2 * MS, HOUR, HOUR + NS, Duration::MAX]),
        (0u64..4_000_000_000_000).prop_map(Duration::from_nanos),
    ];
    let call_timeout = prop_oneof![
        select(vec![Duration::ZERO, MS - NS, MS, HOUR, HOUR + NS, Duration::MAX]),
        (0u64..10_000_000_000).prop_map(Duration::from_nanos),
    ];
    let hold = prop_oneof![
        select(vec![Duration::ZERO, NS, MS, Duration::MAX]),
        (0u64..100_000_000_000).prop_map(Duration::from_nanos),
    ];
    let ttl = prop_oneof![ttl(), (3_000_000u64..100_000_000_000).prop_map(Duration::from_nanos)];
    (
        prop::option::weighted(0.3, prefix_bytes()),
        prop::option::of(ttl),
        prop::option::of(float()),
        prop::option::of(fixed),
        prop::option::of(float()),
        prop::option::weighted(0.3, policy()),
        prop::option::weighted(0.3, hold),
        prop::option::weighted(0.3, call_timeout),
    )
        .prop_map(
            |(
                prefix,
                ttl,
                drift_factor,
                drift_fixed,
                refresh_at,
                retry,
                max_hold,
                call_timeout,
            )| {
                Settings {
                    prefix,
                    ttl,
                    drift_factor,
                    drift_fixed,
                    refresh_at,
                    retry,
                    max_hold,
                    call_timeout,
                }
            },
        )
}

/// Builder docs: drift factor in `[0, 1)`, fixed allowance from 1 ms to an hour, a ttl with
/// validity left, refresh fraction in `(0, 1)`, a valid retry policy, a non-zero max hold, a
/// call timeout from 1 ms to an hour.
fn drift_ok(factor: f64, fixed: Duration) -> bool {
    factor.is_finite() && (0.0..1.0).contains(&factor) && (MS..=HOUR).contains(&fixed)
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn drift_allowance_never_panics(factor in float(), fixed in retry_delay(), ttl in ttl()) {
        match Drift::new(factor, fixed) {
            Err(e) => {
                prop_assert!(!drift_ok(factor, fixed), "rejected {} + {:?}: {}", factor, fixed, e);
                prop_assert!(invalid_what(&e).is_some());
            }
            Ok(drift) => {
                prop_assert!(drift_ok(factor, fixed), "accepted {} + {:?}", factor, fixed);
                let allowance = drift.for_ttl(ttl);
                // `ttl × factor + fixed`, to within float rounding.
                let want = ttl.as_secs_f64() * factor + fixed.as_secs_f64();
                prop_assert!((allowance.as_secs_f64() - want).abs() <= want * 1e-12 + 1e-9);
                match drift.validity(ttl) {
                    Ok(v) => {
                        prop_assert!(validate_ttl(ttl).is_ok());
                        prop_assert!(!v.is_zero());
                        prop_assert_eq!(v + allowance, ttl);
                    }
                    Err(e) => {
                        prop_assert!(validate_ttl(ttl).is_err() || allowance >= ttl, "{}", e);
                        prop_assert_eq!(invalid_what(&e), Some("ttl"));
                    }
                }
            }
        }
    }

    #[test]
    fn manager_settings_give_typed_errors(s in settings()) {
        runtime().block_on(async {
            let backend = Counting::default();
            let calls = backend.calls.clone();
            let mut b = LockManager::builder(backend);
            if let Some(p) = &s.prefix { b = b.prefix(p); }
            if let Some(t) = s.ttl { b = b.ttl(t); }
            if let Some(f) = s.drift_factor { b = b.drift_factor(f); }
            if let Some(d) = s.drift_fixed { b = b.drift_allowance(d); }
            if let Some(r) = s.refresh_at { b = b.refresh_at(r); }
            if let Some(p) = &s.retry { b = b.retry(p.build()); }
            if let Some(h) = s.max_hold { b = b.max_hold(h); }
            if let Some(t) = s.call_timeout { b = b.call_timeout(t); }

            let factor = s.drift_factor.unwrap_or(0.01);
            let fixed = s.drift_fixed.unwrap_or(2 * MS);
            let ttl = s.ttl.unwrap_or(Duration::from_secs(30));
            let validity = Drift::new(factor, fixed).and_then(|d| d.validity(ttl)).ok();
            let fraction = s.refresh_at.unwrap_or(1.0 / 3.0);
            let valid = s.prefix.as_deref().is_none_or(prefix_ok)
                && drift_ok(factor, fixed)
                && validity.is_some()
                && fraction.is_finite() && fraction > 0.0 && fraction < 1.0
                && s.retry.as_ref().is_none_or(PolicySpec::valid)
                && s.max_hold != Some(Duration::ZERO)
                && s.call_timeout.is_none_or(|t| (MS..=HOUR).contains(&t));

            match b.build() {
                Err(e) => {
                    prop_assert!(!valid, "rejected {:?}: {}", s, e);
                    prop_assert!(invalid_what(&e).is_some(), "{}", e);
                    prop_assert_eq!(calls.total(), 0);
                }
                Ok(locks) => {
                    prop_assert!(valid, "accepted {:?}", s);
                    prop_assert_eq!(calls.total(), 0, "build did I/O");
                    // Auto-refresh when the default ttl allows it (an extension at least 2 ms
                    // after the last, per its docs).
                    let refreshable =
                        validity.is_some_and(|v| v.mul_f64(fraction) >= Duration::from_millis(2));
                    let request = locks.lock("k");
                    let request = if refreshable { request.auto_refresh() } else { request };
                    let guard = request.try_acquire().await;
                    let guard = guard.expect("a valid manager acquires").expect("free");
                    prop_assert_eq!(Some(guard.remaining()), validity);
                    let prefix = s.prefix.clone().unwrap_or_else(|| DEFAULT_PREFIX.into());
                    prop_assert_eq!(guard.key().as_bytes(), [&prefix[..], b"k"].concat());
                    guard.release().await.expect("release");
                }
            }
            Ok(())
        })?;
    }
}
