//! The SQL fencing example (`examples/sql_fencing.rs`) against the PostgreSQL server on the
//! machine (`DATABASE_URL`, by default `host=127.0.0.1 user=postgres dbname=test`) and a
//! spawned redis-server: the stale holder's `UPDATE` changes no row. Skipped, with a line on
//! stderr, when no PostgreSQL answers.

#[allow(dead_code)]
#[path = "../examples/sql_fencing.rs"]
mod example;

use lock_redis::{LockManager, RedisBackend};
use lock_testkit::server;

#[tokio::test]
async fn a_stale_holders_update_changes_no_row() {
    let Some(url) = server::standalone_url() else { return };
    let database = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "host=127.0.0.1 user=postgres dbname=test connect_timeout=3".into());
    let (db, connection) = match tokio_postgres::connect(&database, tokio_postgres::NoTls).await {
        Ok(pair) => pair,
        Err(e) => {
            eprintln!(
                "SKIP a_stale_holders_update_changes_no_row: no PostgreSQL at `{database}`: {e}"
            );
            return;
        }
    };
    tokio::spawn(connection);
    let locks = LockManager::new(RedisBackend::connect(&url).await.expect("connect"));
    let account = format!("test-{}", std::process::id());
    let (second, first) =
        example::stale_holder_is_refused(&locks, &db, &account).await.expect("the scenario ran");
    assert!(second, "the current holder's update was refused");
    assert!(!first, "the stale holder's update was applied");
    let (balance, fence) = example::read(&db, &account).await.expect("read");
    assert_eq!(balance, 200, "the stale write overwrote the current holder's");
    assert!(fence > 0);
    // An equal fence (the same holder writing again) is accepted; one below is not.
    let same = lock_redis::FencingToken::new(u64::try_from(fence).expect("positive"));
    assert!(example::fenced_update(&db, &account, 300, same).await.expect("update"));
    let below = lock_redis::FencingToken::new(same.get() - 1);
    assert!(!example::fenced_update(&db, &account, 400, below).await.expect("update"));
    assert_eq!(example::read(&db, &account).await.expect("read").0, 300);
    db.execute("DELETE FROM fenced_accounts WHERE id = $1", &[&account]).await.expect("clean up");
}
