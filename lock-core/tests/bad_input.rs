//! Bad input is a typed error before any I/O, never a panic.

mod common;

use std::time::Duration;

use common::Counting;
use lock_core::{Error, LockManager, LockToken, RetryPolicy, limits::MAX_NAME_LEN};

fn is_invalid<T>(result: Result<T, Error>, what: &str) {
    match result {
        Err(Error::InvalidArgument { .. }) => {}
        Err(e) => panic!("{what}: expected InvalidArgument, got {e}"),
        Ok(_) => panic!("{what}: accepted"),
    }
}

#[tokio::test]
async fn bad_requests_fail_before_any_io() {
    let backend = Counting::default();
    let calls = backend.calls.clone();
    let locks = LockManager::new(backend);
    let ms = Duration::from_millis;

    is_invalid(locks.try_lock("", ms(100)).await, "empty name");
    is_invalid(locks.try_lock(vec![b'x'; MAX_NAME_LEN + 1], ms(100)).await, "over-long name");
    is_invalid(locks.try_lock("~reserved", ms(100)).await, "reserved name");
    is_invalid(locks.try_lock("k", Duration::ZERO).await, "zero ttl");
    is_invalid(locks.try_lock("k", Duration::from_micros(999)).await, "sub-millisecond ttl");
    is_invalid(locks.try_lock("k", ms(2)).await, "ttl inside the drift allowance");
    is_invalid(locks.try_lock("k", Duration::MAX).await, "ttl beyond any store's range");
    is_invalid(
        locks.try_lock("k", Duration::from_secs(200 * 365 * 86_400)).await,
        "ttl of 200 years",
    );
    is_invalid(
        locks.lock("k").retry(RetryPolicy::fixed(Duration::ZERO)).acquire().await,
        "zero retry delay",
    );
    is_invalid(
        locks.lock("k").retry(RetryPolicy::fixed(ms(10)).max_attempts(0)).acquire().await,
        "zero attempts",
    );
    is_invalid(
        locks.lock("k").retry(RetryPolicy::fixed(Duration::from_secs(86_400))).acquire().await,
        "day-long delay",
    );
    is_invalid(
        locks.lock("k").retry(RetryPolicy::fixed(ms(10)).jitter(-1.0)).acquire().await,
        "negative jitter",
    );
    is_invalid(
        locks
            .lock("k")
            .retry(RetryPolicy::exponential(ms(10), ms(100)).factor(f64::INFINITY))
            .acquire()
            .await,
        "infinite backoff factor",
    );
    is_invalid(
        locks.lock("k").auto_refresh().max_hold(Duration::ZERO).acquire().await,
        "zero max hold",
    );
    is_invalid(locks.info("").await, "empty name in info");
    is_invalid(locks.is_locked(vec![0u8; MAX_NAME_LEN + 1]).await, "over-long name in is_locked");
    is_invalid(LockToken::from_user("short"), "short user token");

    assert_eq!(calls.total(), 0, "bad input reached the backend");
}

#[tokio::test]
async fn bad_manager_settings_are_rejected() {
    let build = |f: fn(lock_core::LockManagerBuilder) -> lock_core::LockManagerBuilder| {
        f(LockManager::builder(Counting::default())).build().map(|_| ())
    };
    is_invalid(build(|b| b.drift_factor(1.0)), "drift factor 1");
    is_invalid(build(|b| b.drift_factor(-0.01)), "negative drift factor");
    is_invalid(build(|b| b.drift_factor(f64::NAN)), "NaN drift factor");
    is_invalid(build(|b| b.refresh_at(0.0)), "refresh at 0");
    is_invalid(build(|b| b.refresh_at(1.0)), "refresh at 1");
    is_invalid(build(|b| b.ttl(Duration::ZERO)), "zero default ttl");
    is_invalid(build(|b| b.prefix("{tag}")), "prefix with a hash tag");
    is_invalid(build(|b| b.prefix(vec![b'p'; 1000])), "over-long prefix");
    is_invalid(build(|b| b.retry(RetryPolicy::fixed(Duration::ZERO))), "zero default delay");
    is_invalid(build(|b| b.max_hold(Duration::ZERO)), "zero max hold");
    // Redis counts whole milliseconds: less than 1 ms of allowance could overlap a successor.
    is_invalid(build(|b| b.drift_allowance(Duration::ZERO)), "no fixed drift allowance");
    is_invalid(build(|b| b.drift_allowance(Duration::from_micros(999))), "under 1 ms");
    is_invalid(build(|b| b.call_timeout(Duration::ZERO)), "zero call timeout");
    is_invalid(build(|b| b.call_timeout(Duration::from_secs(7200))), "two-hour call timeout");
    assert!(build(|b| b.drift_factor(0.0).drift_allowance(Duration::from_millis(1))).is_ok());
    assert!(build(|b| b.drift_factor(0.0).refresh_at(0.5).prefix("")).is_ok());
}

#[tokio::test]
async fn a_zero_wait_is_exactly_one_attempt() {
    let backend = Counting::default();
    let calls = backend.calls.clone();
    let locks = LockManager::new(backend);
    let _held = locks.try_lock("k", Duration::from_secs(10)).await.expect("ok").expect("free");
    let before = common::Calls::get(&calls.acquire);
    let got = locks.lock("k").wait(Duration::ZERO).try_acquire().await.expect("ok");
    assert!(got.is_none());
    assert_eq!(common::Calls::get(&calls.acquire) - before, 1);
}
