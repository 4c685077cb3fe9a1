//! Fencing writes to a SQL database: the row remembers the highest fencing token that wrote it,
//! and the `UPDATE` applies only when the writer's token is not below it. A holder that paused
//! past its lease (GC, SIGSTOP, a slow disk) and wakes up after another process took the lock
//! updates no row, however late its write arrives. The lock decides who may work; the database
//! refuses whoever's lease ran out.
//!
//! ```sh
//! DATABASE_URL="host=127.0.0.1 user=postgres dbname=test" cargo run -p lock-redis --example sql_fencing
//! ```
//!
//! `tests/sql_fencing.rs` runs this file against the PostgreSQL server on the machine.

use std::time::Duration;

use lock_redis::{FencingToken, LockManager, RedisBackend};
use tokio_postgres::{Client, NoTls};

/// Creates the table (once) and the account row with no fence yet.
pub(crate) async fn prepare(db: &Client, account: &str) -> Result<(), tokio_postgres::Error> {
    db.batch_execute(
        "CREATE TABLE IF NOT EXISTS fenced_accounts (
             id TEXT PRIMARY KEY,
             balance BIGINT NOT NULL,
             fence BIGINT NOT NULL DEFAULT 0
         )",
    )
    .await?;
    db.execute(
        "INSERT INTO fenced_accounts (id, balance) VALUES ($1, 0)
         ON CONFLICT (id) DO UPDATE SET balance = 0, fence = 0",
        &[&account],
    )
    .await?;
    Ok(())
}

/// Sets the balance if `fence` is not below the row's: `Ok(false)` when a later holder has
/// written it (this writer's lease ran out; stop). An equal fence is the same holder writing
/// again, so it is accepted.
pub(crate) async fn fenced_update(
    db: &Client,
    account: &str,
    balance: i64,
    fence: FencingToken,
) -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
    // Fences are below 2^63 (they start near the server's clock in microseconds).
    let fence = i64::try_from(fence.get())?;
    let updated = db
        .execute(
            "UPDATE fenced_accounts SET balance = $2, fence = $3 WHERE id = $1 AND fence <= $3",
            &[&account, &balance, &fence],
        )
        .await?;
    Ok(updated == 1)
}

/// The account's balance and the fence that last wrote it.
pub(crate) async fn read(db: &Client, account: &str) -> Result<(i64, i64), tokio_postgres::Error> {
    let row = db
        .query_one("SELECT balance, fence FROM fenced_accounts WHERE id = $1", &[&account])
        .await?;
    Ok((row.get(0), row.get(1)))
}

/// Two holders of the lock on `account`: the first pauses past its 200 ms lease, the second
/// takes the lock and writes 200; the first wakes and tries to write 100. Returns what each
/// `UPDATE` did (`(true, false)` is the fenced outcome).
pub(crate) async fn stale_holder_is_refused(
    locks: &LockManager,
    db: &Client,
    account: &str,
) -> Result<(bool, bool), Box<dyn std::error::Error + Send + Sync>> {
    prepare(db, account).await?;
    let name = format!("account:{account}");
    let first = locks.lock(&name).ttl(Duration::from_millis(200)).acquire().await?;
    let first_fence = first.fencing_token().ok_or("fencing is on by default")?;
    // The first holder stalls; its lease runs out and another process takes the lock.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let second = locks.lock(&name).ttl(Duration::from_secs(10)).acquire().await?;
    let second_fence = second.fencing_token().ok_or("fencing is on by default")?;
    let second_wrote = fenced_update(db, account, 200, second_fence).await?;
    // The first holder wakes up and writes what it computed before the pause.
    let first_wrote = fenced_update(db, account, 100, first_fence).await?;
    second.release().await?;
    drop(first);
    Ok((second_wrote, first_wrote))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let redis = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let database = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "host=127.0.0.1 user=postgres dbname=test".into());
    let locks = LockManager::new(RedisBackend::connect(&redis).await?);
    let (db, connection) = tokio_postgres::connect(&database, NoTls).await?;
    tokio::spawn(connection);
    let (second, first) = stale_holder_is_refused(&locks, &db, "alice").await?;
    println!("new holder's update applied: {second}; stale holder's update applied: {first}");
    println!("balance and fence: {:?}", read(&db, "alice").await?);
    Ok(())
}
