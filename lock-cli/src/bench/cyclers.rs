//! One lock cycle (acquire then release) per implementation: the two backends through the lock
//! API, and each raw client doing the same two round trips by hand (`SET key token NX PX ttl`,
//! then `EVALSHA` of a compare-and-delete), on the same kind of connection.

use std::time::Duration;

use lock_core::LockManager;
use lock_fred::fred::prelude::{ClientLike, Expiration, KeysInterface, LuaInterface, SetOptions};
use lock_fred::fred::types::config::Config as FredConfig;
use lock_fred::{FredBackend, fred};
use lock_redis::RedisBackend;
use lock_redis::redis;

/// The lock ttl used in every cycle.
pub(crate) const TTL: Duration = Duration::from_secs(30);

const COMPARE_AND_DELETE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

/// A token as a hand-written client would make one: 128 random bits in hex.
fn raw_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Something that can run lock cycles.
#[derive(Clone)]
pub(crate) enum Cycler {
    Locks(LockManager),
    RawRedis(redis::aio::ConnectionManager, redis::Script),
    RawFred(fred::clients::Client, String),
}

impl Cycler {
    /// lock-redis through the lock API (a `ConnectionManager`, as `RedisBackend::connect`).
    pub(crate) async fn lock_redis(url: &str) -> Result<Self, String> {
        Ok(Self::Locks(LockManager::new(RedisBackend::connect(url).await.map_err(err)?)))
    }

    /// lock-fred through the lock API.
    pub(crate) async fn lock_fred(url: &str) -> Result<Self, String> {
        Ok(Self::Locks(LockManager::new(FredBackend::connect(url).await.map_err(err)?)))
    }

    /// The raw `redis` crate on a `ConnectionManager`.
    pub(crate) async fn raw_redis(url: &str) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(err)?;
        let mut manager = client.get_connection_manager().await.map_err(err)?;
        let script = redis::Script::new(COMPARE_AND_DELETE);
        let _: String = script.prepare_invoke().load_async(&mut manager).await.map_err(err)?;
        Ok(Self::RawRedis(manager, script))
    }

    /// The raw `fred` crate on one client.
    pub(crate) async fn raw_fred(url: &str) -> Result<Self, String> {
        let config = FredConfig::from_url(url).map_err(err)?;
        let client = fred::types::Builder::from_config(config).build().map_err(err)?;
        client.init().await.map_err(err)?;
        let sha: String = client.script_load(COMPARE_AND_DELETE).await.map_err(err)?;
        Ok(Self::RawFred(client, sha))
    }

    /// Acquires and releases `key` once.
    pub(crate) async fn cycle(&self, key: &str) -> Result<(), String> {
        match self {
            Self::Locks(locks) => {
                let guard =
                    locks.try_lock(key, TTL).await.map_err(err)?.ok_or("the key was held")?;
                guard.release().await.map_err(err)?;
            }
            Self::RawRedis(manager, script) => {
                let mut conn = manager.clone();
                let token = raw_token();
                let key = format!("lock:{key}");
                let set: Option<String> = redis::cmd("SET")
                    .arg(&key)
                    .arg(&token)
                    .arg("NX")
                    .arg("PX")
                    .arg(TTL.as_millis() as u64)
                    .query_async(&mut conn)
                    .await
                    .map_err(err)?;
                set.ok_or("the key was held")?;
                let _: i64 =
                    script.key(&key).arg(&token).invoke_async(&mut conn).await.map_err(err)?;
            }
            Self::RawFred(client, sha) => {
                let token = raw_token();
                let key = format!("lock:{key}");
                let set: Option<String> = client
                    .set(
                        &key,
                        &token,
                        Some(Expiration::PX(TTL.as_millis() as i64)),
                        Some(SetOptions::NX),
                        false,
                    )
                    .await
                    .map_err(err)?;
                set.ok_or("the key was held")?;
                let _: i64 = client.evalsha(sha.as_str(), key, token).await.map_err(err)?;
            }
        }
        Ok(())
    }
}
