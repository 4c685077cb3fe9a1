//! The connection scripts run on, whichever kind the user brought.

use lock_core::BackendError;
use lock_redis_protocol::{Call, Command, Reply, ScriptRunner, WaitFor};
use redis::aio::{ConnectionLike, ConnectionManager, MultiplexedConnection};
use redis::{Cmd, ErrorKind, RedisResult, ServerErrorKind, Value};

use crate::errors::map;

/// Where commands go.
#[derive(Clone)]
pub(crate) enum Commands {
    Manager(ConnectionManager),
    Multiplexed(MultiplexedConnection),
    #[cfg(feature = "deadpool")]
    Pool(deadpool_redis::Pool),
    #[cfg(feature = "cluster")]
    Cluster(redis::cluster_async::ClusterConnection),
    /// The master of a Sentinel-managed deployment, followed on failover.
    #[cfg(feature = "sentinel")]
    Sentinel(std::sync::Arc<crate::sentinel::SentinelMaster>),
}

/// Runs `$body` with `$c` bound to the Sentinel master's connection; if it fails as
/// [`crate::sentinel::moved`] says, once more on the connection to the master the sentinels name
/// now.
#[cfg(feature = "sentinel")]
macro_rules! on_master {
    ($master:expr, |$c:ident| $body:expr) => {{
        let master = &$master;
        let (generation, mut $c) = master.connection();
        match $body {
            Err(e) if crate::sentinel::moved(&e) => match master.switch(generation, &e).await {
                Some(mut $c) => $body,
                None => Err(e),
            },
            other => other,
        }
    }};
}

fn evalsha(call: &Call<'_>) -> Cmd {
    // Sized up front: sha1, key count, keys and args, so the buffer never grows.
    let args = 3 + call.keys.len() + call.args.len();
    let mut cmd = Cmd::with_capacity(args, 7 + 40 + 4 + call.payload_len());
    cmd.arg("EVALSHA").arg(call.script.sha1()).arg(call.keys.len());
    for key in &call.keys {
        cmd.arg(key.as_ref());
    }
    for arg in &call.args {
        cmd.arg(arg.as_ref());
    }
    cmd
}

/// `EVALSHA`; on `NOSCRIPT` (a restart, a failover or `SCRIPT FLUSH` emptied the cache),
/// `SCRIPT LOAD` and once more. Script text never carries user data.
pub(crate) async fn eval(conn: &mut impl ConnectionLike, call: &Call<'_>) -> RedisResult<Value> {
    let cmd = evalsha(call);
    match cmd.query_async::<Value>(conn).await {
        Err(e) if is_noscript(&e) => {
            load(conn, call).await?;
            cmd.query_async(conn).await
        }
        other => other,
    }
}

fn is_noscript(e: &redis::RedisError) -> bool {
    e.kind() == ErrorKind::Server(ServerErrorKind::NoScript)
}

/// `SCRIPT LOAD` of the call's script.
async fn load(conn: &mut impl ConnectionLike, call: &Call<'_>) -> RedisResult<()> {
    redis::cmd("SCRIPT").arg("LOAD").arg(call.script.source()).query_async::<Value>(conn).await?;
    Ok(())
}

/// The script call then `WAIT`, pipelined on one connection (WAIT counts that connection's
/// writes), with the same `NOSCRIPT` handling.
pub(crate) async fn eval_then_wait(
    conn: &mut impl ConnectionLike,
    call: &Call<'_>,
    wait: WaitFor,
) -> RedisResult<(Value, i64)> {
    let mut pipe = redis::pipe();
    let timeout = u64::try_from(wait.timeout.as_millis()).unwrap_or(u64::MAX);
    pipe.add_command(evalsha(call)).cmd("WAIT").arg(wait.replicas).arg(timeout);
    match pipe.query_async::<(Value, i64)>(conn).await {
        Err(e) if is_noscript(&e) => {
            load(conn, call).await?;
            pipe.query_async(conn).await
        }
        other => other,
    }
}

/// Whether the connection broke (rather than the server answering an error or timing out): the
/// connection manager, pool and cluster client then reconnect on the next command.
pub(crate) fn connection_lost(e: &redis::RedisError) -> bool {
    !e.is_timeout() && (e.is_connection_dropped() || e.is_io_error() || e.is_connection_refusal())
}

impl ScriptRunner for Commands {
    /// Runs the call; if the connection turns out to be broken (a restart, a killed
    /// connection), runs it once more on a fresh one. The scripts are idempotent for one token,
    /// so a call that was applied before the break is safe to repeat (a repeated release then
    /// reports `NotHeld`).
    async fn run(&self, call: Call<'_>) -> Result<Reply, BackendError> {
        let value = match self.eval(&call).await {
            Err(e) if connection_lost(&e) => {
                tracing::debug!(error = %e, "connection lost; retrying once on a new one");
                self.eval(&call).await
            }
            other => other,
        };
        Ok(reply(value.map_err(map)?))
    }

    /// Sends the command, retried once on a fresh connection like [`ScriptRunner::run`] (the
    /// only command sent, `SET NX`, is safe to repeat: a repeat finds its own token and the
    /// backend's script then takes it as the same holder's).
    async fn run_command(&self, command: Command<'_>) -> Result<Reply, BackendError> {
        let mut cmd = Cmd::with_capacity(
            1 + command.args.len(),
            command.name.len() + command.args.iter().map(|a| a.len()).sum::<usize>(),
        );
        cmd.arg(command.name);
        for arg in &command.args {
            cmd.arg(arg.as_ref());
        }
        let value = match self.send(&cmd).await {
            Err(e) if connection_lost(&e) => {
                tracing::debug!(error = %e, "connection lost; retrying once on a new one");
                self.send(&cmd).await
            }
            other => other,
        };
        Ok(reply(value.map_err(map)?))
    }

    fn runs_commands(&self) -> bool {
        true
    }

    async fn run_replicated(
        &self,
        call: Call<'_>,
        wait: WaitFor,
    ) -> Result<(Reply, i64), BackendError> {
        let answer = match self {
            Self::Manager(c) => eval_then_wait(&mut c.clone(), &call, wait).await,
            Self::Multiplexed(c) => eval_then_wait(&mut c.clone(), &call, wait).await,
            #[cfg(feature = "deadpool")]
            Self::Pool(pool) => {
                let checkout = Box::pin(async {
                    let mut conn = pool.get().await.map_err(pool_error)?;
                    Ok::<_, BackendError>(eval_then_wait(&mut conn, &call, wait).await)
                });
                checkout.await?
            }
            #[cfg(feature = "cluster")]
            Self::Cluster(_) => {
                return Err(BackendError::unsupported(
                    crate::BACKEND,
                    "WAIT on a cluster connection",
                ));
            }
            #[cfg(feature = "sentinel")]
            Self::Sentinel(master) => {
                Box::pin(async {
                    on_master!(master, |c| eval_then_wait(&mut c, &call, wait).await)
                })
                .await
            }
        };
        let (value, acked) = answer.map_err(map)?;
        Ok((reply(value), acked))
    }

    fn describe(&self) -> &'static str {
        match self {
            Self::Manager(_) => "connection manager",
            Self::Multiplexed(_) => "multiplexed connection",
            #[cfg(feature = "deadpool")]
            Self::Pool(_) => "deadpool pool",
            #[cfg(feature = "cluster")]
            Self::Cluster(_) => "cluster connection",
            #[cfg(feature = "sentinel")]
            Self::Sentinel(_) => "sentinel master",
        }
    }

    fn clustered(&self) -> bool {
        #[cfg(feature = "cluster")]
        if matches!(self, Self::Cluster(_)) {
            return true;
        }
        false
    }
}

impl Commands {
    async fn eval(&self, call: &Call<'_>) -> RedisResult<Value> {
        match self {
            Self::Manager(c) => eval(&mut c.clone(), call).await,
            Self::Multiplexed(c) => eval(&mut c.clone(), call).await,
            // Boxed: a pool checkout is several kilobytes of future state, which would
            // otherwise make every call's future that large (and slow to move) on every path.
            #[cfg(feature = "deadpool")]
            Self::Pool(pool) => {
                Box::pin(async move {
                    match pool.get().await {
                        Ok(mut conn) => eval(&mut conn, call).await,
                        Err(deadpool_redis::PoolError::Backend(e)) => Err(e),
                        Err(e) => {
                            Err(redis::RedisError::from(std::io::Error::other(e.to_string())))
                        }
                    }
                })
                .await
            }
            #[cfg(feature = "cluster")]
            Self::Cluster(c) => Box::pin(eval(&mut c.clone(), call)).await,
            #[cfg(feature = "sentinel")]
            Self::Sentinel(master) => {
                Box::pin(async { on_master!(master, |c| eval(&mut c, call).await) }).await
            }
        }
    }

    /// Runs any command.
    pub(crate) async fn query(&self, cmd: &Cmd) -> Result<Value, BackendError> {
        self.send(cmd).await.map_err(map)
    }

    async fn send(&self, cmd: &Cmd) -> RedisResult<Value> {
        match self {
            Self::Manager(c) => cmd.query_async(&mut c.clone()).await,
            Self::Multiplexed(c) => cmd.query_async(&mut c.clone()).await,
            #[cfg(feature = "deadpool")]
            Self::Pool(pool) => {
                Box::pin(async move {
                    match pool.get().await {
                        Ok(mut conn) => cmd.query_async(&mut conn).await,
                        Err(deadpool_redis::PoolError::Backend(e)) => Err(e),
                        Err(e) => {
                            Err(redis::RedisError::from(std::io::Error::other(e.to_string())))
                        }
                    }
                })
                .await
            }
            #[cfg(feature = "cluster")]
            Self::Cluster(c) => cmd.query_async(&mut c.clone()).await,
            #[cfg(feature = "sentinel")]
            Self::Sentinel(master) => on_master!(master, |c| cmd.query_async(&mut c).await),
        }
    }
}

#[cfg(feature = "deadpool")]
fn pool_error(e: deadpool_redis::PoolError) -> BackendError {
    use lock_core::BackendErrorKind;
    match e {
        deadpool_redis::PoolError::Backend(e) => map(e),
        deadpool_redis::PoolError::Timeout(_) => BackendError::new(
            crate::BACKEND,
            BackendErrorKind::Timeout,
            "no pooled connection became free in time",
        ),
        other => BackendError::new(crate::BACKEND, BackendErrorKind::Connection, other.to_string())
            .with_temporary(false),
    }
}

fn reply(value: Value) -> Reply {
    match value {
        Value::Nil => Reply::Nil,
        Value::Int(n) => Reply::Int(n),
        Value::Boolean(b) => Reply::Int(i64::from(b)),
        Value::BulkString(data) => Reply::Data(data),
        Value::SimpleString(text) => Reply::Data(text.into_bytes()),
        Value::VerbatimString { text, .. } => Reply::Data(text.into_bytes()),
        Value::Okay => Reply::Data(b"OK".to_vec()),
        Value::Double(d) => Reply::Data(d.to_string().into_bytes()),
        Value::Array(items) | Value::Set(items) => {
            Reply::Array(items.into_iter().map(reply).collect())
        }
        Value::Map(pairs) => {
            Reply::Array(pairs.into_iter().flat_map(|(k, v)| [reply(k), reply(v)]).collect())
        }
        Value::Attribute { data, .. } => reply(*data),
        other => Reply::Data(format!("{other:?}").into_bytes()),
    }
}
