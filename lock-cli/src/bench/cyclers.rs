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
    /// The raw client running this library's own protocol (release notification, and fencing
    /// when the flag says so), by hand: what the lock protocol costs without the library around
    /// it. Without fencing the acquire is the plain `SET NX PX` the backends send.
    ProtocolRedis(redis::aio::ConnectionManager, bool),
    ProtocolFred(fred::clients::Client, bool),
    /// rslock (Redlock over the `redis` crate) on one server: its `lock`, then its `unlock`.
    Rslock(std::sync::Arc<rslock::LockManager>),
}

impl Cycler {
    /// lock-redis through the lock API (a `ConnectionManager`, as `RedisBackend::connect`),
    /// with fencing on or off.
    pub(crate) async fn lock_redis(url: &str, fencing: bool) -> Result<Self, String> {
        let backend = RedisBackend::connect(url).await.map_err(err)?;
        let backend = if fencing { backend } else { backend.without_fencing() };
        Ok(Self::Locks(LockManager::new(backend)))
    }

    /// lock-fred through the lock API, with fencing on or off.
    pub(crate) async fn lock_fred(url: &str, fencing: bool) -> Result<Self, String> {
        let backend = FredBackend::connect(url).await.map_err(err)?;
        let backend = if fencing { backend } else { backend.without_fencing() };
        Ok(Self::Locks(LockManager::new(backend)))
    }

    /// The raw `redis` crate on a `ConnectionManager` set up as `RedisBackend::connect` sets
    /// up its own (the same connect and reply timeouts and reconnect delays).
    pub(crate) async fn raw_redis(url: &str) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(err)?;
        let config = lock_redis::manager_config();
        let mut manager = client.get_connection_manager_with_config(config).await.map_err(err)?;
        let script = redis::Script::new(COMPARE_AND_DELETE);
        let _: String = script.prepare_invoke().load_async(&mut manager).await.map_err(err)?;
        Ok(Self::RawRedis(manager, script))
    }

    /// The raw `fred` crate on one client, set up as `FredBackend::connect` sets up its own
    /// (the same command and connection timeouts and reconnect policy).
    pub(crate) async fn raw_fred(url: &str) -> Result<Self, String> {
        let config = FredConfig::from_url(url).map_err(err)?;
        let client = lock_fred::builder(config).build().map_err(err)?;
        client.init().await.map_err(err)?;
        let sha: String = client.script_load(COMPARE_AND_DELETE).await.map_err(err)?;
        Ok(Self::RawFred(client, sha))
    }

    /// rslock's lock manager over the one server at `url`.
    pub(crate) fn rslock(url: &str) -> Self {
        Self::Rslock(std::sync::Arc::new(rslock::LockManager::new(vec![url.to_owned()])))
    }

    /// The raw `redis` crate running the library's acquire and release.
    pub(crate) async fn protocol_redis(url: &str, fencing: bool) -> Result<Self, String> {
        let Self::RawRedis(mut manager, _) = Self::raw_redis(url).await? else { unreachable!() };
        for script in lock_redis_protocol::scripts::ALL {
            let _: String = redis::cmd("SCRIPT")
                .arg("LOAD")
                .arg(script.source())
                .query_async(&mut manager)
                .await
                .map_err(err)?;
        }
        Ok(Self::ProtocolRedis(manager, fencing))
    }

    /// The raw `fred` crate running the library's acquire and release.
    pub(crate) async fn protocol_fred(url: &str, fencing: bool) -> Result<Self, String> {
        let Self::RawFred(client, _) = Self::raw_fred(url).await? else { unreachable!() };
        for script in lock_redis_protocol::scripts::ALL {
            let _: String = client.script_load(script.source()).await.map_err(err)?;
        }
        Ok(Self::ProtocolFred(client, fencing))
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
                let key = format!("lock:{key}");
                let token = raw_try_take(manager, &key).await?.ok_or("the key was held")?;
                raw_give_back(manager, script, &key, &token).await?;
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
            Self::ProtocolRedis(manager, fencing) => {
                let mut conn = manager.clone();
                let (lock, token) = protocol_names(key)?;
                let taken = if *fencing {
                    let acquire = lock_redis_protocol::calls::acquire(&lock, &token, TTL, true);
                    send_redis(&mut conn, acquire).await? > 0
                } else {
                    let set = lock_redis_protocol::calls::set_if_absent(&lock, &token, TTL);
                    let mut cmd = redis::cmd(set.name);
                    for arg in &set.args {
                        cmd.arg(arg.as_ref());
                    }
                    cmd.query_async::<Option<String>>(&mut conn).await.map_err(err)?.is_some()
                };
                if !taken {
                    return Err("the key was held".into());
                }
                let release = lock_redis_protocol::calls::release(
                    &lock,
                    &token,
                    lock_redis_protocol::Publish::Classic,
                );
                send_redis(&mut conn, release).await?;
            }
            Self::Rslock(locks) => {
                let key = format!("lock:{key}");
                let lock = locks.lock(key.as_bytes(), TTL).await.map_err(|e| format!("{e:?}"))?;
                locks.unlock(&lock).await;
            }
            Self::ProtocolFred(client, fencing) => {
                let (lock, token) = protocol_names(key)?;
                let taken = if *fencing {
                    let acquire = lock_redis_protocol::calls::acquire(&lock, &token, TTL, true);
                    send_fred(client, acquire).await? > 0
                } else {
                    let set: Option<String> = client
                        .set(
                            lock.as_bytes(),
                            token.as_bytes(),
                            Some(Expiration::PX(TTL.as_millis() as i64)),
                            Some(SetOptions::NX),
                            false,
                        )
                        .await
                        .map_err(err)?;
                    set.is_some()
                };
                if !taken {
                    return Err("the key was held".into());
                }
                let release = lock_redis_protocol::calls::release(
                    &lock,
                    &token,
                    lock_redis_protocol::Publish::Classic,
                );
                send_fred(client, release).await?;
            }
        }
        Ok(())
    }
}

/// `SET key token NX PX ttl` with a fresh token on the raw `redis` crate: the token when it
/// was set, `None` when the key was held.
pub(crate) async fn raw_try_take(
    manager: &redis::aio::ConnectionManager,
    key: &str,
) -> Result<Option<String>, String> {
    let token = raw_token();
    let set: Option<String> = redis::cmd("SET")
        .arg(key)
        .arg(&token)
        .arg("NX")
        .arg("PX")
        .arg(TTL.as_millis() as u64)
        .query_async(&mut manager.clone())
        .await
        .map_err(err)?;
    Ok(set.map(|_| token))
}

/// Deletes `key` if it still holds `token` (the compare-and-delete `script`).
pub(crate) async fn raw_give_back(
    manager: &redis::aio::ConnectionManager,
    script: &redis::Script,
    key: &str,
    token: &str,
) -> Result<(), String> {
    let _: i64 =
        script.key(key).arg(token).invoke_async(&mut manager.clone()).await.map_err(err)?;
    Ok(())
}

/// The lock key of `key` under the default prefix, and a fresh token.
fn protocol_names(key: &str) -> Result<(lock_core::LockKey, lock_core::LockToken), String> {
    let token = lock_core::LockToken::from_user(raw_token()).map_err(err)?;
    Ok((lock_core::LockKey::with_default_prefix(key).map_err(err)?, token))
}

/// Sends one of the library's script calls by hand on the raw `redis` crate, as the backend
/// does: `EVALSHA sha numkeys keys... args...`.
pub(crate) async fn send_redis(
    conn: &mut redis::aio::ConnectionManager,
    call: lock_redis_protocol::Call<'_>,
) -> Result<i64, String> {
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(call.script.sha1()).arg(call.keys.len());
    for key in &call.keys {
        cmd.arg(key.as_ref());
    }
    for arg in &call.args {
        cmd.arg(arg.as_ref());
    }
    cmd.query_async(conn).await.map_err(err)
}

/// [`send_redis`] on the raw `fred` crate.
async fn send_fred(
    client: &fred::clients::Client,
    call: lock_redis_protocol::Call<'_>,
) -> Result<i64, String> {
    let keys: Vec<fred::types::Key> =
        call.keys.iter().map(|k| fred::types::Key::from(k.as_ref())).collect();
    let args: Vec<fred::types::Value> =
        call.args.iter().map(|a| fred::types::Value::from(a.as_ref())).collect();
    client.evalsha(call.script.sha1(), keys, args).await.map_err(err)
}
