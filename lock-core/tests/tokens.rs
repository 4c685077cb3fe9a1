//! Holder tokens: minted ones do not repeat, and no guard, handle, lock info or error prints a
//! whole token.

use std::time::Duration;

use lock_core::{
    Error, Handover, HolderId, LockBackend, LockManager, LockToken, MemoryBackend, RetryPolicy,
    limits::TOKEN_RANDOM_BYTES,
};
use proptest::prelude::*;

const DRAWS: usize = 1_000_000;

#[test]
fn a_million_minted_tokens_are_distinct_hex() {
    let mut seen: Vec<u128> = Vec::with_capacity(DRAWS);
    let (mut any_bit, mut every_bit) = (0u128, u128::MAX);
    for _ in 0..DRAWS {
        let token = LockToken::generate().expect("entropy");
        let text = token.as_str().expect("minted tokens are text");
        assert_eq!(text.len(), 2 * TOKEN_RANDOM_BYTES, "{token:?}");
        assert!(
            text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
            "not lowercase hex: {token:?}"
        );
        let value = u128::from_str_radix(text, 16).expect("hex");
        any_bit |= value;
        every_bit &= value;
        seen.push(value);
    }
    // No bit is stuck at 0 or 1 across a million draws.
    assert_eq!(any_bit, u128::MAX, "a bit is never set");
    assert_eq!(every_bit, 0, "a bit is always set");
    seen.sort_unstable();
    let duplicate = seen.windows(2).find(|w| w[0] == w[1]);
    assert!(duplicate.is_none(), "duplicate token {duplicate:032x?}");
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// A caller-supplied token: hex-like text, any text, or any bytes.
fn user_token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[0-9a-f]{16,64}".prop_map(String::into_bytes),
        "[ -~]{16,80}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 16..=512),
    ]
}

fn contains(haystack: &str, needle: &[u8]) -> bool {
    haystack.as_bytes().windows(needle.len()).any(|w| w == needle)
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn nothing_prints_a_whole_token(
        user in user_token(),
        minted in any::<bool>(),
        name in "[a-z:]{1,10}",
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let token = if minted {
                LockToken::generate().expect("entropy")
            } else {
                LockToken::from_user(&user).expect("16..=512 bytes")
            };
            let secret = token.as_bytes().to_vec();
            let mut shown: Vec<(&str, String)> = vec![("token debug", format!("{token:?}"))];

            let locks = LockManager::new(MemoryBackend::new());
            let ttl = Duration::from_secs(1);
            let key = locks.key(&name).expect("valid name");
            let handover = Handover::from_parts(key.clone(), token.clone());
            shown.push(("handover debug", format!("{handover:?}")));
            let guard = locks
                .adopt(handover)
                .ttl(ttl)
                .try_acquire()
                .await
                .expect("ok")
                .expect("free");
            prop_assert_eq!(guard.holder(), HolderId::of(&token));
            let handle = guard.handle();
            shown.push(("guard debug", format!("{guard:?}")));
            shown.push(("guard display", format!("{guard}")));
            shown.push(("handle debug", format!("{handle:?}")));
            shown.push(("handle display", format!("{handle}")));
            let info = locks.info(&name).await.expect("info").expect("held");
            prop_assert_eq!(info.holder, HolderId::of(&token));
            shown.push(("info debug", format!("{info:?}")));

            // WaitTimeout: someone else tries while it is held.
            let busy = locks
                .lock(&name)
                .retry(RetryPolicy::fixed(Duration::from_millis(5)).max_attempts(2))
                .acquire()
                .await;
            let busy = busy.expect_err("held elsewhere");
            prop_assert!(matches!(busy, Error::WaitTimeout { .. }), "{}", busy);
            shown.push(("wait timeout display", format!("{busy}")));
            shown.push(("wait timeout debug", format!("{busy:?}")));

            // NotHeld: extending through a handle after the guard let go.
            guard.release().await.expect("release");
            let gone = handle.extend(ttl).await.expect_err("released");
            prop_assert!(matches!(gone, Error::NotHeld { .. }), "{}", gone);
            shown.push(("not held display", format!("{gone}")));
            shown.push(("not held debug", format!("{gone:?}")));
            shown.push(("released handle debug", format!("{handle:?}")));

            // Lost: work outlives a lock that is not refreshed.
            let lost = locks
                .adopt(Handover::from_parts(key.clone(), token.clone()))
                .ttl(Duration::from_millis(50))
                .run(|_| async {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    Ok::<_, Error>(())
                })
                .await;
            let lost = lost.expect_err("the lock ran out");
            prop_assert!(matches!(lost, Error::Lost { .. }), "{}", lost);
            shown.push(("lost display", format!("{lost}")));
            shown.push(("lost debug", format!("{lost:?}")));

            // A rejected user token does not echo the value either.
            let mut long = secret.clone();
            long.resize(600, b'x');
            let rejected = LockToken::from_user(&long).expect_err("too long");
            shown.push(("rejected token display", format!("{rejected}")));
            shown.push(("rejected token debug", format!("{rejected:?}")));

            for (what, text) in &shown {
                prop_assert!(!contains(text, &secret), "{} shows the whole token: {}", what, text);
            }
            Ok(())
        })?;
    }
}

/// A fresh `MemoryBackend` (a restarted process) issues fences above every fence an earlier one
/// issued: each is at least the system clock in microseconds.
#[tokio::test]
async fn memory_fences_start_above_an_earlier_backends() {
    let key = lock_core::LockKey::with_default_prefix("restart").expect("key");
    let first = MemoryBackend::new();
    let mut last = 0;
    for _ in 0..3 {
        let token = LockToken::generate().expect("entropy");
        let outcome = first.try_acquire(&key, &token, Duration::from_secs(1)).await;
        let Ok(lock_core::backend::AcquireOutcome::Acquired { fencing: Some(f) }) = outcome else {
            panic!("{outcome:?}")
        };
        assert!(f.get() > last);
        last = f.get();
        first.release(&key, &token).await.expect("release");
    }
    let restarted = MemoryBackend::new();
    let token = LockToken::generate().expect("entropy");
    let outcome = restarted.try_acquire(&key, &token, Duration::from_secs(1)).await;
    let Ok(lock_core::backend::AcquireOutcome::Acquired { fencing: Some(f) }) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(f.get() > last, "a new backend issued {f} after {last}");
}
