//! How long our waiters wait behind a foreign client that polls a shared lock every
//! millisecond (`SET NX PX`, hold, `DEL`, retry at once), with and without keyspace-event
//! wake-ups. A measurement, not a check: run it with
//! `cargo test -p lock-redis --test foreign_waits -- --ignored --nocapture`; FEATURES.md
//! ("Locks shared with other clients") reports the figures.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use lock_redis::{ConnectOptions, KeyspaceEvents, LockManager, RedisBackend, RetryPolicy};
use lock_testkit::server::{RedisServer, redis_available};

const ROUNDS: usize = 40;
const HOLD: Duration = Duration::from_millis(20);

/// A foreign client: takes the lock whenever it is free (polling every millisecond), holds it
/// for [`HOLD`], deletes it, and goes again at once.
async fn foreign_poller(url: String, key: String, stop: Arc<AtomicBool>) {
    let client = lock_redis::redis::Client::open(url).expect("url");
    let mut conn = client.get_multiplexed_async_connection().await.expect("connect");
    while !stop.load(Ordering::Relaxed) {
        let set: Option<String> = lock_redis::redis::cmd("SET")
            .arg(&key)
            .arg("foreign")
            .arg("NX")
            .arg("PX")
            .arg(5_000)
            .query_async(&mut conn)
            .await
            .expect("SET");
        if set.is_some() {
            tokio::time::sleep(HOLD).await;
            let _: i64 =
                lock_redis::redis::cmd("DEL").arg(&key).query_async(&mut conn).await.expect("DEL");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Our waits for `ROUNDS` acquisitions (with `policy`, else the default retry policy), sorted.
async fn our_waits(
    url: &str,
    events: KeyspaceEvents,
    policy: Option<RetryPolicy>,
) -> Vec<Duration> {
    let options = ConnectOptions::new().keyspace_events(events);
    let backend = RedisBackend::connect_with(url, options).await.expect("connect");
    assert_eq!(backend.keyspace_events(), events != KeyspaceEvents::Off);
    let locks = match policy {
        Some(policy) => LockManager::builder(backend).retry(policy).build().expect("valid"),
        None => LockManager::new(backend),
    };
    let name = format!("shared-{events:?}-{}", rand_suffix());
    let stop = Arc::new(AtomicBool::new(false));
    let poller = tokio::spawn(foreign_poller(url.to_owned(), format!("lock:{name}"), stop.clone()));
    let mut waits = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let guard =
            locks.lock(&name).wait(Duration::from_secs(30)).acquire().await.expect("got it");
        waits.push(started.elapsed());
        tokio::time::sleep(HOLD).await;
        guard.release().await.expect("release");
    }
    stop.store(true, Ordering::Relaxed);
    poller.await.expect("poller");
    waits.sort();
    waits
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run by hand"]
async fn waits_behind_a_polling_foreign_client() {
    if !redis_available() {
        return;
    }
    let server =
        RedisServer::builder().config("notify-keyspace-events Kgx").spawn().expect("spawn");
    let short_cap = RetryPolicy::exponential(Duration::from_millis(1), Duration::from_millis(20));
    let runs = [
        ("default retry, keyspace events off", KeyspaceEvents::Off, None),
        ("retry capped at 20 ms, keyspace events off", KeyspaceEvents::Off, Some(short_cap)),
        ("default retry, keyspace events on", KeyspaceEvents::Auto, None),
    ];
    for (what, events, policy) in runs {
        let waits = our_waits(&server.url(), events, policy).await;
        let at = |q: f64| waits[((waits.len() - 1) as f64 * q) as usize];
        let total: Duration = waits.iter().sum();
        println!(
            "{what}: {ROUNDS} acquisitions, wait p50 {:?}, p90 {:?}, max {:?}, total {:?}",
            at(0.5),
            at(0.9),
            at(1.0),
            total
        );
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}
