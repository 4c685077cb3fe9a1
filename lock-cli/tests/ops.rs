//! `lockctl list`, `info`, `release`, `watch` and `demo --url` against real servers, through the
//! real binary.

mod support;

use std::time::{Duration, Instant};

use lock_redis::{Handover, LockKey};
use lock_redis_protocol::hash_slot;
use lock_redis_protocol::layout::release_channel;
use lock_testkit::server::{RedisCluster, RedisServer, redis_available};
use serde_json::{Value, json};
use support::{Spawned, cluster_manager, lockctl, manager};

const TTL: Duration = Duration::from_secs(30);

/// A token no lock holds (32 characters, like a minted one).
const WRONG_TOKEN: &str = "00000000000000000000000000000000";

/// A token as lockctl shows it: whole.
fn whole(token: &lock_redis::LockToken) -> String {
    token.as_str().expect("a minted token is text").to_owned()
}

/// A private server, its URL and a manager on it; `None` where no `redis-server` can start.
async fn standalone() -> Option<(RedisServer, String, lock_redis::LockManager)> {
    if !redis_available() {
        return None;
    }
    let server = RedisServer::spawn().expect("server");
    let url = server.url();
    let locks = manager(&url).await;
    Some((server, url, locks))
}

fn entry<'a>(list: &'a Value, name: &str) -> &'a Value {
    let all = list.as_array().expect("an array");
    all.iter().find(|e| e["name"] == name).unwrap_or_else(|| panic!("no `{name}` in {list}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn list_and_info_show_live_locks() {
    let Some((server, url, locks)) = standalone().await else { return };
    let a = locks.try_lock("jobs:a", TTL).await.expect("redis").expect("free");
    let fence_a = a.fencing_token().map(|f| f.get()).expect("a fence");
    let a = a.leak().into_parts().expect("a plain lock").1;
    let b = locks
        .try_lock("jobs:b", TTL)
        .await
        .expect("redis")
        .expect("free")
        .leak()
        .into_parts()
        .expect("a plain lock")
        .1;
    let odd = locks
        .try_lock(b"odd\xff", TTL)
        .await
        .expect("redis")
        .expect("free")
        .leak()
        .into_parts()
        .expect("a plain lock")
        .1;
    let mut admin = server.admin().expect("admin");
    admin.cmd(&["HSET", "lock:a-hash", "f", "v"]).expect("hset");
    admin.cmd(&["SET", "other:x", "not under the prefix"]).expect("set");

    let run = lockctl(&["list", "--url", &url, "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let list = run.json();
    assert_eq!(list.as_array().map(Vec::len), Some(3), "{list}");
    let first = entry(&list, "jobs:a");
    assert_eq!(first["holder"], whole(&a));
    assert_eq!(first["fencing"], fence_a);
    let ttl = first["ttl_ms"].as_u64().expect("a ttl");
    assert!(ttl > 20_000 && ttl <= 30_000, "{first}");
    assert_eq!(entry(&list, "jobs:b")["holder"], whole(&b));
    assert_eq!(entry(&list, "odd\\xff")["holder"], whole(&odd));
    assert!(run.stderr.contains("lock:a-hash"), "the hash is noted as skipped: {run:?}");
    // Whole tokens, as `release --token` takes them.
    assert_eq!(a.as_str().map(str::len), Some(32), "{a:?}");

    let table = lockctl(&["list", "--url", &url]);
    assert_eq!(table.code, 0, "{table:?}");
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{table:?}");
    assert!(lines[0].starts_with("NAME") && lines[0].contains("FENCING"), "{table:?}");
    let column = lines[0].find("HOLDER").expect("a holder column");
    assert!(lines[1..].iter().all(|l| l.get(column..).is_some_and(|h| !h.starts_with(' '))));

    let info = lockctl(&["info", "jobs:a", "--url", &url, "--json"]).json();
    assert_eq!(info["locked"], true);
    assert_eq!(info["holder"], whole(&a));
    assert_eq!(info["fencing"], fence_a);
    let free = lockctl(&["info", "jobs:free", "--url", &url, "--json"]);
    assert_eq!(free.code, 0, "not locked is not an error: {free:?}");
    assert_eq!(free.json()["locked"], false);
    let text = lockctl(&["info", "jobs:free", "--url", &url]);
    assert!(text.stdout.contains("not locked"), "{text:?}");
}

/// Semaphores and reader-writer locks show one row per holder with its kind, in `list` and
/// `info`.
#[tokio::test(flavor = "multi_thread")]
async fn list_and_info_show_semaphores_and_rw_locks() {
    let Some((_server, url, locks)) = standalone().await else { return };
    let pool = locks.semaphore("pool", 3).expect("a semaphore");
    let p1 = pool.try_acquire(TTL).await.expect("redis").expect("a permit");
    let p2 = pool.try_acquire(TTL).await.expect("redis").expect("a permit");
    let config = locks.rw_lock("config").expect("a rw lock");
    let r = config.read().ttl(TTL).try_acquire().await.expect("redis").expect("free");
    let u = config.upgradeable_read().ttl(TTL).try_acquire().await.expect("redis").expect("free");
    let plain = locks.try_lock("plain", TTL).await.expect("redis").expect("free");

    let run = lockctl(&["list", "--url", &url, "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let list = run.json();
    let rows = list.as_array().expect("an array");
    assert_eq!(rows.len(), 5, "{list}");
    let kinds = |name: &str| {
        let mut kinds: Vec<&str> =
            rows.iter().filter(|e| e["name"] == name).filter_map(|e| e["kind"].as_str()).collect();
        kinds.sort();
        kinds
    };
    assert_eq!(kinds("pool"), vec!["permit", "permit"]);
    assert_eq!(kinds("config"), vec!["read", "upgradeable"]);
    assert_eq!(kinds("plain"), vec!["lock"]);
    let fences: Vec<u64> =
        rows.iter().filter(|e| e["name"] == "pool").filter_map(|e| e["fencing"].as_u64()).collect();
    let mut expected: Vec<u64> =
        [&p1, &p2].iter().filter_map(|g| g.fencing_token()).map(|f| f.get()).collect();
    let mut fences = fences;
    fences.sort();
    expected.sort();
    assert_eq!(fences, expected, "{list}");
    assert!(run.stderr.is_empty(), "nothing skipped: {run:?}");

    let info = lockctl(&["info", "config", "--url", &url, "--json"]).json();
    assert_eq!(info["kind"], "rw-lock", "{info}");
    assert_eq!(info["holders"].as_array().map(Vec::len), Some(2), "{info}");
    let info = lockctl(&["info", "pool", "--url", &url]);
    assert_eq!(info.code, 0, "{info:?}");
    assert!(info.stdout.contains("semaphore") && info.stdout.contains("permit"), "{info:?}");
    drop((p1, p2, r, u, plain));
}

/// A lock's metadata shows in `list` and `info` (JSON and text); a lock without shows none;
/// guarded writes' data keys are not listed as locks nor noted as skipped.
#[tokio::test(flavor = "multi_thread")]
async fn list_and_info_show_metadata() {
    let Some((_server, url, locks)) = standalone().await else { return };
    let meta = lock_redis::Metadata::new()
        .with("owner", "billing")
        .and_then(|m| m.with("purpose", "nightly run"))
        .expect("valid");
    let job = locks.lock("job").ttl(TTL).metadata(meta).try_acquire().await.expect("redis");
    let job = job.expect("free");
    let data = job.data_key("total").expect("data key");
    job.write_fenced(&data, "12").await.expect("write");
    let plain = locks.try_lock("plain", TTL).await.expect("redis").expect("free");

    let run = lockctl(&["list", "--url", &url, "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let list = run.json();
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    let expected = json!({"owner": "billing", "purpose": "nightly run"});
    assert_eq!(entry(&list, "job")["metadata"], expected, "{list}");
    assert_eq!(entry(&list, "plain")["metadata"], Value::Null, "{list}");
    assert!(run.stderr.is_empty(), "nothing skipped: {run:?}");
    let table = lockctl(&["list", "--url", &url]);
    assert!(
        table.stdout.contains("METADATA") && table.stdout.contains("owner=billing"),
        "{table:?}"
    );

    let info = lockctl(&["info", "job", "--url", &url, "--json"]).json();
    assert_eq!(info["metadata"], expected, "{info}");
    let text = lockctl(&["info", "job", "--url", &url]);
    assert!(text.stdout.contains("purpose=\"nightly run\""), "{text:?}");
    job.release().await.expect("release");
    let freed = lockctl(&["info", "job", "--url", &url, "--json"]).json();
    assert_eq!(freed["metadata"], Value::Null, "{freed}");
    drop(plain);
}

#[tokio::test(flavor = "multi_thread")]
async fn release_checks_the_token_and_force_keeps_the_fencing_counter() {
    let Some((server, url, locks)) = standalone().await else { return };
    let first = locks.try_lock("job", TTL).await.expect("redis").expect("free");
    let first_fence = first.fencing_token().map(|f| f.get()).expect("a fence");
    let token = first.leak().into_parts().expect("a plain lock").1;
    let token_text = token.as_str().expect("minted tokens are text").to_owned();

    let wrong = lockctl(&["release", "job", "--url", &url, "--token", WRONG_TOKEN]);
    assert_eq!((wrong.code, wrong.stdout.trim()), (1, "not held by that token"), "{wrong:?}");
    assert!(locks.is_locked("job").await.expect("redis"));
    let right = lockctl(&["release", "job", "--url", &url, "--token", &token_text]);
    assert_eq!((right.code, right.stdout.trim()), (0, "released"), "{right:?}");
    assert!(!locks.is_locked("job").await.expect("redis"));
    let again = lockctl(&["release", "job", "--url", &url, "--token", &token_text]);
    assert_eq!(again.code, 1, "{again:?}");

    // Free now, the lock still shows the last fence issued (the counter holds `<fence>:<token>`).
    let freed = lockctl(&["info", "job", "--url", &url, "--json"]).json();
    assert_eq!((&freed["locked"], &freed["fencing"]), (&json!(false), &json!(first_fence)));

    let second = locks.try_lock("job", TTL).await.expect("redis").expect("free");
    let second_fence = second.fencing_token().map(|f| f.get()).expect("a fence");
    assert!(second_fence > first_fence, "{second_fence} after {first_fence}");
    let holder = whole(&second.leak().into_parts().expect("a plain lock").1);
    let refused = lockctl(&["release", "job", "--url", &url, "--force"]);
    assert!(refused.error().contains("--yes"), "{refused:?}");
    assert!(locks.is_locked("job").await.expect("redis"));
    let forced = lockctl(&["release", "job", "--url", &url, "--force", "--yes"]);
    assert_eq!((forced.code, forced.stdout.trim()), (0, "released"), "{forced:?}");
    assert!(forced.stderr.contains(&holder) && forced.stderr.contains("ttl"), "{forced:?}");
    let kept = format!("fencing counter kept at {second_fence}");
    assert!(forced.stderr.contains(&kept), "{forced:?}");
    assert!(!locks.is_locked("job").await.expect("redis"));
    let after = lockctl(&["info", "job", "--url", &url]);
    let row = after.stdout.lines().find(|l| l.starts_with("fencing")).unwrap_or_default();
    assert!(row.ends_with(&second_fence.to_string()), "the counter is shown: {after:?}");
    let third = locks.try_lock("job", TTL).await.expect("redis").expect("free");
    let third_fence = third.fencing_token().map(|f| f.get()).expect("a fence");
    assert!(third_fence > second_fence, "the counter was kept: {third_fence} after {second_fence}");
    third.release().await.expect("redis");
    let nothing = lockctl(&["release", "job", "--url", &url, "--force", "--yes"]);
    assert_eq!((nothing.code, nothing.stdout.trim()), (0, "not locked"), "{nothing:?}");

    // A counter in the old format (a bare number, before 0.2) is still read.
    let legacy = lock_redis_protocol::layout::fence_key(
        &LockKey::with_default_prefix("legacy").expect("a name"),
    );
    let mut admin = server.admin().expect("admin");
    admin.cmd_bytes(&[b"SET", &legacy, b"41"]).expect("set");
    let old = lockctl(&["info", "legacy", "--url", &url, "--json"]).json();
    assert_eq!((&old["locked"], &old["fencing"]), (&json!(false), &json!(41)));
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_prints_acquisitions_and_releases() {
    let Some((server, url, locks)) = standalone().await else { return };
    let watch = Spawned::start(&["watch", "w", "--url", &url]);
    let first = watch.next_line(Duration::from_secs(5)).expect("a first line");
    assert!(first.ends_with("  free"), "{first}");
    let channel = release_channel(&LockKey::with_default_prefix("w").expect("a valid name"));
    let mut admin = server.admin().expect("admin");
    let subscribed = admin.cmd(&["PUBSUB", "NUMSUB", &channel]).expect("numsub");
    assert_eq!(subscribed.items().get(1).and_then(|n| n.int()), Some(1), "{subscribed:?}");

    let started = Instant::now();
    let guard = locks.try_lock("w", TTL).await.expect("redis").expect("free");
    let stored = locks.backend().inspect(guard.key()).await.expect("redis").expect("held");
    let holder = whole(&stored.holder);
    let acquired = watch.next_line(Duration::from_secs(2)).expect("an acquisition");
    assert!(acquired.contains("acquired") && acquired.contains(&holder), "{acquired}");
    let fence = guard.fencing_token().map(|f| f.get()).expect("a fence");
    assert!(acquired.contains(&format!("fencing={fence}")), "{acquired}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    guard.release().await.expect("redis");
    let released_at = Instant::now();
    let released = watch.next_line(Duration::from_secs(2)).expect("a release");
    assert!(released.contains("released") && released.contains(&holder), "{released}");
    // The release channel reports it at once (polling alone could take 50 ms).
    assert!(released_at.elapsed() < Duration::from_millis(500), "{:?}", released_at.elapsed());
    let short =
        locks.try_lock("w", Duration::from_millis(300)).await.expect("redis").expect("free");
    let _ = short.leak();
    tokio::time::sleep(Duration::from_secs(1).saturating_sub(started.elapsed())).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rest = watch.stop();
    assert!(rest.first().is_some_and(|l| l.contains("acquired")), "{rest:?}");
    assert!(rest.get(1).is_some_and(|l| l.contains("expired")), "{rest:?}");
    let timestamp = first.split_whitespace().next().unwrap_or_default();
    assert!(timestamp.len() == 24 && timestamp.ends_with('Z'), "{first}");
}

/// `watch --json`: one JSON object per line, with the time, the event, the whole holder, the
/// fence and (for acquisitions) the ttl.
#[tokio::test(flavor = "multi_thread")]
async fn watch_json_prints_one_object_per_event() {
    let Some((_server, url, locks)) = standalone().await else { return };
    let watch = Spawned::start(&["watch", "wj", "--url", &url, "--json"]);
    let line = |what: &str| {
        let line = watch.next_line(Duration::from_secs(5)).unwrap_or_else(|| panic!("{what}"));
        serde_json::from_str::<Value>(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    };
    let first = line("a first line");
    assert_eq!((&first["event"], &first["holder"]), (&json!("free"), &Value::Null), "{first}");
    assert!(first["at"].as_str().is_some_and(|t| t.ends_with('Z')), "{first}");
    let guard = locks.try_lock("wj", TTL).await.expect("redis").expect("free");
    let fence = guard.fencing_token().map(|f| f.get()).expect("a fence");
    let stored = locks.backend().inspect(guard.key()).await.expect("redis").expect("held");
    let acquired = line("an acquisition");
    assert_eq!(acquired["event"], "acquired", "{acquired}");
    assert_eq!(acquired["holder"], whole(&stored.holder), "{acquired}");
    assert_eq!(acquired["fencing"], fence, "{acquired}");
    assert!(acquired["ttl_ms"].as_u64().is_some_and(|t| t > 20_000), "{acquired}");
    guard.release().await.expect("redis");
    let released = line("a release");
    assert_eq!((&released["event"], &released["fencing"]), (&json!("released"), &json!(fence)));
    assert_eq!(released["ttl_ms"], Value::Null, "{released}");
}

#[test]
fn demo_runs_on_redis_without_overlaps() {
    if !redis_available() {
        return;
    }
    let server = RedisServer::spawn().expect("server");
    let url = server.url();
    let args = ["demo", "--url", &url, "--json", "--seconds", "1", "--workers", "8", "--keys", "2"];
    let run = support::lockctl(&args);
    assert_eq!(run.code, 0, "{run:?}");
    let summary = run.json();
    assert_eq!(summary["backend"], "redis");
    assert_eq!(summary["overlaps"], 0);
    assert_eq!(summary["fencing_regressions"], 0);
    assert!(summary["acquisitions"].as_u64().is_some_and(|n| n > 0), "{summary}");
    // The semaphore and the reader-writer lock were exercised too, without a violation.
    assert!(summary["permit_grants"].as_u64().is_some_and(|n| n > 0), "{summary}");
    assert_eq!(summary["permit_holders_over_limit"], 0);
    assert!(summary["rw_writes"].as_u64().is_some_and(|n| n > 0), "{summary}");
    assert!(summary["rw_reads"].as_u64().is_some_and(|n| n > 0), "{summary}");
    assert_eq!(summary["rw_conflicts"], 0);
    // Everything the run left behind expires.
    let mut admin = server.admin().expect("admin");
    let page = admin.cmd(&["SCAN", "0", "MATCH", "lock:demo:*", "COUNT", "10000"]).expect("scan");
    let keys = page.items().get(1).map(|k| k.items().to_vec()).unwrap_or_default();
    assert!(!keys.is_empty(), "{page:?}");
    for key in &keys {
        let key = key.text().expect("a key");
        let pttl = admin.cmd(&["PTTL", &key]).expect("pttl").int();
        assert!(pttl.is_some_and(|ms| ms > 0), "{key} has no expiry");
    }
}

#[test]
fn errors_are_one_clear_line() {
    if !redis_available() {
        return;
    }
    let down = lockctl(&["list", "--url", "redis://127.0.0.1:1/"]);
    assert_eq!(
        down.error(),
        "cannot connect to 127.0.0.1:1: connection refused — is Redis running?"
    );
    let bad = lockctl(&["info", "x", "--url", "http://:secret@127.0.0.1:1/"]);
    assert!(bad.error().starts_with("bad URL") && !bad.stderr.contains("secret"), "{bad:?}");

    let guarded = RedisServer::builder().password("pw").spawn().expect("server");
    let port = guarded.port();
    let wrong = lockctl(&["list", "--url", &format!("redis://:nope@127.0.0.1:{port}/")]);
    assert!(wrong.error().starts_with("authentication failed"), "{wrong:?}");
    assert!(!wrong.stderr.contains("nope"), "{wrong:?}");
    let missing = lockctl(&["info", "x", "--url", &format!("redis://127.0.0.1:{port}/")]);
    assert!(missing.error().starts_with("authentication failed: NOAUTH"), "{missing:?}");

    let url = guarded.url();
    let mut admin = guarded.admin().expect("admin");
    admin.cmd(&["HSET", "lock:h", "field", "value"]).expect("hset");
    let expected = "`h` is not a lock: the key holds a hash";
    assert_eq!(lockctl(&["info", "h", "--url", &url]).error(), expected);
    assert_eq!(lockctl(&["release", "h", "--url", &url, "--token", WRONG_TOKEN]).error(), expected);
    assert_eq!(lockctl(&["release", "h", "--url", &url, "--force", "--yes"]).error(), expected);
    assert_eq!(lockctl(&["watch", "h", "--url", &url]).error(), expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn cluster_list_info_and_release() {
    if !redis_available() {
        return;
    }
    let cluster = RedisCluster::spawn(3, 0).expect("cluster");
    let url = format!("redis-cluster://127.0.0.1:{}", cluster.nodes()[0].port());
    let locks = cluster_manager(cluster.urls()).await;
    let names: Vec<String> = (0..12).map(|i| format!("c:{i}")).collect();
    let mut tokens = Vec::new();
    let mut fences = Vec::new();
    for name in &names {
        let guard = locks.try_lock(name, TTL).await.expect("redis").expect("free");
        fences.push(guard.fencing_token().map(|f| f.get()).expect("a fence"));
        tokens.push(guard.leak().into_parts().expect("a plain lock").1);
    }
    let owners: std::collections::HashSet<u16> = names
        .iter()
        .filter_map(|n| cluster.node_for_slot(hash_slot(format!("lock:{n}").as_bytes())).ok())
        .map(|node| node.port())
        .collect();
    assert!(owners.len() > 1, "the names should spread over several masters");

    let run = lockctl(&["list", "--url", &url, "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let list = run.json();
    assert_eq!(list.as_array().map(Vec::len), Some(names.len()), "{list}");
    for ((name, token), fence) in names.iter().zip(&tokens).zip(&fences) {
        assert_eq!(entry(&list, name)["holder"], whole(token));
        assert_eq!(entry(&list, name)["fencing"], *fence);
    }

    let info = lockctl(&["info", "c:3", "--url", &url, "--json"]).json();
    assert_eq!(
        (&info["locked"], &info["holder"], &info["fencing"]),
        (&json!(true), &json!(whole(&tokens[3])), &json!(fences[3]))
    );
    let token = tokens[3].as_str().expect("text").to_owned();
    let wrong = lockctl(&["release", "c:3", "--url", &url, "--token", WRONG_TOKEN]);
    assert_eq!(wrong.code, 1, "{wrong:?}");
    let right = lockctl(&["release", "c:3", "--url", &url, "--token", &token]);
    assert_eq!((right.code, right.stdout.trim()), (0, "released"), "{right:?}");
    let forced = lockctl(&["release", "c:7", "--url", &url, "--force", "--yes"]);
    assert_eq!((forced.code, forced.stdout.trim()), (0, "released"), "{forced:?}");
    assert!(!locks.is_locked("c:3").await.expect("redis"));
    assert!(!locks.is_locked("c:7").await.expect("redis"));
    assert!(
        forced.stderr.contains(&format!("fencing counter kept at {}", fences[7])),
        "{forced:?}"
    );
    let freed = lockctl(&["info", "c:3", "--url", &url, "--json"]).json();
    assert_eq!((&freed["locked"], &freed["fencing"]), (&json!(false), &json!(fences[3])));
    let after = lockctl(&["list", "--url", &url, "--json"]).json();
    assert_eq!(after.as_array().map(Vec::len), Some(names.len() - 2), "{after}");

    // watch subscribes to the sharded release channel on the lock's master.
    let watch = Spawned::start(&["watch", "c:5", "--url", &url]);
    let first = watch.next_line(Duration::from_secs(5)).expect("a first line");
    assert!(first.contains("held") && first.contains(&whole(&tokens[5])), "{first}");
    let key = LockKey::with_default_prefix("c:5").expect("a valid name");
    let owner = cluster.node_for_slot(hash_slot(key.as_bytes())).expect("an owner");
    let reply =
        owner.admin().and_then(|mut a| a.cmd(&["PUBSUB", "SHARDNUMSUB", &release_channel(&key)]));
    assert_eq!(reply.ok().and_then(|r| r.items().get(1).and_then(|n| n.int())), Some(1));
    let key5 = locks.key("c:5").expect("a valid name");
    locks.release_handover(Handover::from_parts(key5, tokens[5].clone())).await.expect("redis");
    let released = watch.next_line(Duration::from_secs(2)).expect("a release");
    assert!(released.contains("released"), "{released}");
}

/// `--version` prints the crate's version; `completions <shell>` prints a script that names
/// every subcommand, for each shell clap generates.
#[test]
fn version_and_shell_completions() {
    let version = support::lockctl(&["--version"]);
    assert_eq!(version.code, 0, "{version:?}");
    assert_eq!(version.stdout.trim(), format!("lockctl {}", env!("CARGO_PKG_VERSION")));
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = support::lockctl(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {run:?}");
        for command in ["demo", "list", "info", "watch", "release", "doctor", "completions"] {
            assert!(run.stdout.contains(command), "{shell}: no {command} in {}", run.stdout);
        }
    }
    assert_ne!(support::lockctl(&["completions", "tcsh"]).code, 0, "an unknown shell is refused");
}
