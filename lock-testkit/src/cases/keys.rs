//! Keys are exact bytes: bullet A6.

use lock_core::{KeyPrefix, LockKey, limits::MAX_NAME_LEN};

use super::util::{must_acquire, must_be_free, must_be_refused, must_hold, release};
use crate::context::TestContext;
use crate::failure::{CaseResult, Failure};
use crate::{check, check_eq};

/// Names that stress encodings, Redis Cluster hash tags, and glob patterns.
fn odd_names() -> Vec<Vec<u8>> {
    let mut names: Vec<Vec<u8>> = [
        "ünïcødé-锁-🔒",
        "{}",
        "}",
        "{",
        "}{",
        "{tag}",
        "{tag}rest",
        "a{b}c",
        "{a}{b}",
        "*",
        "a*",
        "?",
        "[abc]",
        "\\",
        "with space",
        "new\nline",
        "quote\"s",
        "fence",
        "x:fence",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    names.push(vec![b'k'; 1024]);
    names.push(vec![b'm'; MAX_NAME_LEN]);
    names.push(vec![0u8, 0xff, 0x80, b'\r', b'\n']);
    names
}

/// Pairs that a backend which trims, folds case, normalises Unicode, hashes poorly, expands
/// globs, truncates, replaces invalid UTF-8 or stops at a NUL byte would confuse.
fn look_alike_names() -> Vec<Vec<u8>> {
    let mut long_a = vec![b'n'; MAX_NAME_LEN];
    let mut long_b = long_a.clone();
    long_a[MAX_NAME_LEN - 1] = b'a';
    long_b[MAX_NAME_LEN - 1] = b'b';
    let mut names: Vec<Vec<u8>> = [
        "Lock", "lock", "LOCK", "é", "e\u{301}", "a*", "ab", "a?", "{a}", "a", "{a}b", "{b}a", "x",
        "x ", " x", "{}x", "{x}", "tag}", "{tag",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    names.push(long_a);
    names.push(long_b);
    names.push(vec![b'n'; MAX_NAME_LEN - 1]);
    // Bytes a lossy store would confuse: invalid UTF-8 (each replaced by U+FFFD) and NUL (a C
    // string ends there).
    names.extend([
        vec![b'u', 0xff],
        vec![b'u', 0xfe],
        vec![b'u', 0xef, 0xbf, 0xbd],
        vec![b'u', 0xc3],
        b"z".to_vec(),
        b"z\0".to_vec(),
        b"z\0a".to_vec(),
        b"z\0b".to_vec(),
        b"\0".to_vec(),
        b"\0\0".to_vec(),
    ]);
    names
}

fn key_of(cx: &TestContext, name: &[u8]) -> Result<LockKey, Failure> {
    cx.key(name)
}

/// A6: odd names (Unicode, braces, glob characters, control bytes, 1 KiB and the longest
/// allowed) can be acquired, inspected and released like any other.
pub async fn odd_names_round_trip(cx: TestContext) -> CaseResult {
    for name in odd_names() {
        let key = key_of(&cx, &name)?;
        let token = cx.token()?;
        must_acquire(&cx, &key, &token, cx.ms(10_000)).await?;
        must_hold(&cx, &key, &token).await?;
        check!(release(&cx, &key, &token).await?, "release of {key} was not Released");
        must_be_free(&cx, &key).await?;
    }
    Ok(())
}

/// A6: locks under names that differ by one byte, by case, by Unicode normalisation, or by a
/// glob character are independent: all can be held at once, each by its own holder.
pub async fn similar_names_stay_distinct(cx: TestContext) -> CaseResult {
    let mut held = Vec::new();
    for name in look_alike_names().into_iter().chain(odd_names()) {
        let key = key_of(&cx, &name)?;
        if held.iter().any(|(k, _)| *k == key) {
            continue;
        }
        let token = cx.token()?;
        must_acquire(&cx, &key, &token, cx.ms(30_000)).await?;
        held.push((key, token));
    }
    let stranger = cx.token()?;
    for (key, token) in &held {
        must_hold(&cx, key, token).await?;
        must_be_refused(&cx, key, &stranger, cx.ms(1_000)).await?;
    }
    Ok(())
}

/// A6: the same name under two prefixes is two locks.
pub async fn prefixes_are_isolated(cx: TestContext) -> CaseResult {
    let base = String::from_utf8_lossy(cx.prefix().as_bytes()).into_owned();
    let bad = |e: lock_core::Error| {
        Failure::new(format!("bad test prefix: {e}"), "prefixes_are_isolated")
    };
    let first = KeyPrefix::new(format!("{base}p1:")).and_then(|p| p.key("same")).map_err(bad)?;
    let second = KeyPrefix::new(format!("{base}p2:")).and_then(|p| p.key("same")).map_err(bad)?;
    let (a, b) = (cx.token()?, cx.token()?);
    must_acquire(&cx, &first, &a, cx.ms(10_000)).await?;
    must_acquire(&cx, &second, &b, cx.ms(10_000)).await?;
    must_hold(&cx, &first, &a).await?;
    must_hold(&cx, &second, &b).await?;
    Ok(())
}

/// A6: the key is the whole of `LockKey::as_bytes`: prefix `…a` with name `bc` and prefix `…ab`
/// with name `c` are one lock, however the backend stores prefix and name.
pub async fn the_key_is_prefix_and_name_together(cx: TestContext) -> CaseResult {
    let base = String::from_utf8_lossy(cx.prefix().as_bytes()).into_owned();
    let bad = |e: lock_core::Error| {
        Failure::new(format!("bad test prefix: {e}"), "the_key_is_prefix_and_name_together")
    };
    let first = KeyPrefix::new(format!("{base}a")).and_then(|p| p.key("bc")).map_err(bad)?;
    let second = KeyPrefix::new(format!("{base}ab")).and_then(|p| p.key("c")).map_err(bad)?;
    check_eq!(first.as_bytes(), second.as_bytes(), "setup: one key");
    let (a, b) = (cx.token()?, cx.token()?);
    must_acquire(&cx, &first, &a, cx.ms(10_000)).await?;
    must_be_refused(&cx, &second, &b, cx.ms(10_000)).await?;
    must_hold(&cx, &second, &a).await?;
    Ok(())
}
