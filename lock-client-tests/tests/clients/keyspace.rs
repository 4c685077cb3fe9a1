//! Keyspace-event wake-ups (see the README's "Locks shared with other clients"): decided at
//! connect from the server's `notify-keyspace-events`, and harmless where the ACL refuses the
//! keyspace channels. The wake-up itself is the Redis check
//! `keyspace_events_wake_waiters_on_foreign_deletes`.

use std::time::{Duration, Instant};

use lock_client_tests::{Client, client_tests};
use lock_redis::{ConnectOptions, KeyspaceEvents, LockManager, RetryPolicy};
use lock_testkit::redis_checks::LEAST_PRIVILEGE_RULES;
use lock_testkit::server::{RedisServer, redis_available};

client_tests! {
    #[tokio::test] the_server_setting_decides_unless_told,
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    a_refused_keyspace_channel_leaves_release_notification_working,
}

async fn connect<C: Client>(url: &str, events: KeyspaceEvents) -> C {
    let options = ConnectOptions::new().keyspace_events(events);
    let (how, backend) = C::constructors(url, options).remove(0);
    backend.await.unwrap_or_else(|e| panic!("{} {how}: {e}", C::NAME))
}

async fn the_server_setting_decides_unless_told<C: Client>() {
    if !redis_available() {
        return;
    }
    let plain = RedisServer::spawn().expect("spawn");
    let publishing =
        RedisServer::builder().config("notify-keyspace-events KEA").spawn().expect("spawn");
    let expiries_only =
        RedisServer::builder().config("notify-keyspace-events Kx").spawn().expect("spawn");
    let on = |url: String, events| async move {
        connect::<C>(&url, events).await.wakes_on_keyspace_events()
    };
    assert!(!on(plain.url(), KeyspaceEvents::Auto).await);
    assert!(on(publishing.url(), KeyspaceEvents::Auto).await);
    assert!(!on(expiries_only.url(), KeyspaceEvents::Auto).await, "DEL publishes nothing there");
    assert!(!on(publishing.url(), KeyspaceEvents::Off).await);
    assert!(on(plain.url(), KeyspaceEvents::On).await);
}

/// A user the ACL refuses `CONFIG GET` and the keyspace channels: `Auto` finds them off, and
/// with `On` a release still wakes the waiter at once through its own channel.
async fn a_refused_keyspace_channel_leaves_release_notification_working<C: Client>() {
    if !redis_available() {
        return;
    }
    let server = RedisServer::builder()
        .config("notify-keyspace-events Kgx")
        .user("locker", "locker-pw", LEAST_PRIVILEGE_RULES)
        .spawn()
        .expect("spawn");
    let url = server.url_for("locker").expect("a URL for the user");
    let auto = C::connect(&url).await.expect("connect");
    assert!(!auto.wakes_on_keyspace_events(), "CONFIG GET is refused, so the setting is unknown");
    let backend = connect::<C>(&url, KeyspaceEvents::On).await;
    assert!(backend.wakes_on_keyspace_events());
    let locks = LockManager::new(backend);
    for round in 0..3 {
        let holder =
            locks.try_lock("acl", Duration::from_secs(30)).await.expect("ok").expect("free");
        let waiter = {
            let locks = locks.clone();
            tokio::spawn(async move {
                let slow = RetryPolicy::fixed(Duration::from_secs(20));
                let guard = locks.lock("acl").retry(slow).wait(Duration::from_secs(30)).acquire();
                (guard.await, Instant::now())
            })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        let released = Instant::now();
        holder.release().await.expect("release");
        let (guard, got) = waiter.await.expect("waiter");
        let after = got.saturating_duration_since(released);
        assert!(after < Duration::from_secs(3), "round {round}: woken {after:?} after the release");
        guard.expect("acquired").release().await.expect("release");
    }
}
