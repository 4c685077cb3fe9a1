//! The client scripts run on: one client or a round-robin pool.

use fred::bytes::Bytes;
use fred::bytes_utils::Str;
use fred::clients::{Client, Pool};
use fred::interfaces::{ClientLike, LuaInterface, ServerInterface};
use fred::types::{ClusterHash, CustomCommand, Key, Value};
use lock_core::BackendError;
use lock_redis_protocol::{Call, Command, Reply, ScriptRunner, WaitFor};

use crate::errors::{is_noscript, map};

/// Where commands go.
#[derive(Clone)]
pub(crate) enum Commands {
    Client(Client),
    Pool(Pool),
}

fn reply(value: Value) -> Reply {
    match value {
        Value::Null | Value::Queued => Reply::Nil,
        Value::Integer(n) => Reply::Int(n),
        Value::Boolean(b) => Reply::Int(i64::from(b)),
        Value::Double(d) => Reply::Data(d.to_string().into_bytes()),
        Value::String(s) => Reply::Data(s.as_bytes().to_vec()),
        Value::Bytes(b) => Reply::Data(b.to_vec()),
        Value::Array(items) => Reply::Array(items.into_iter().map(reply).collect()),
        Value::Map(map) => Reply::Array(
            map.inner()
                .into_iter()
                .flat_map(|(k, v)| [Reply::Data(k.as_bytes().to_vec()), reply(v)])
                .collect(),
        ),
    }
}

/// `EVALSHA`; on `NOSCRIPT`, `SCRIPT LOAD` (on every primary of a cluster) and once more.
async fn eval(client: &Client, call: &Call<'_>) -> Result<Value, fred::error::Error> {
    let keys = || -> Vec<Key> { call.keys.iter().map(|k| Key::from(k.as_ref())).collect() };
    let args = || -> Vec<Value> {
        call.args.iter().map(|a| Value::Bytes(Bytes::copy_from_slice(a))).collect()
    };
    let sha = || Str::from_static(call.script.sha1());
    match client.evalsha::<Value, _, _, _>(sha(), keys(), args()).await {
        Err(e) if is_noscript(&e) => {
            if client.is_clustered() {
                client.script_load_cluster::<Value, _>(call.script.source()).await?;
            } else {
                client.script_load::<Value, _>(call.script.source()).await?;
            }
            client.evalsha(sha(), keys(), args()).await
        }
        other => other,
    }
}

impl ScriptRunner for Commands {
    async fn run(&self, call: Call<'_>) -> Result<Reply, BackendError> {
        Ok(reply(eval(self.client(), &call).await.map_err(map)?))
    }

    async fn run_command(&self, command: Command<'_>) -> Result<Reply, BackendError> {
        let custom = CustomCommand::new_static(command.name, ClusterHash::FirstKey, false);
        let args: Vec<Value> =
            command.args.iter().map(|a| Value::Bytes(Bytes::copy_from_slice(a))).collect();
        let value: Value = self.client().custom(custom, args).await.map_err(map)?;
        Ok(reply(value))
    }

    fn runs_commands(&self) -> bool {
        true
    }

    async fn run_replicated(
        &self,
        call: Call<'_>,
        wait: WaitFor,
    ) -> Result<(Reply, i64), BackendError> {
        let client = self.client();
        if client.is_clustered() {
            return Err(BackendError::unsupported(crate::BACKEND, "WAIT on a cluster client"));
        }
        let (value, acked) = eval_then_wait(client, &call, wait).await.map_err(map)?;
        Ok((reply(value), acked))
    }

    fn describe(&self) -> &'static str {
        match self {
            Self::Client(_) => "client",
            Self::Pool(_) => "pool",
        }
    }

    fn clustered(&self) -> bool {
        self.client().is_clustered()
    }
}

/// The script call then `WAIT`, pipelined on one connection, with the same `NOSCRIPT` handling.
async fn eval_then_wait(
    client: &Client,
    call: &Call<'_>,
    wait: WaitFor,
) -> Result<(Value, i64), fred::error::Error> {
    // fred's pipelines have no Lua interface: send EVALSHA as a custom command.
    let mut evalsha: Vec<Value> =
        vec![Value::from(call.script.sha1()), Value::Integer(call.keys.len() as i64)];
    evalsha.extend(
        call.keys.iter().chain(&call.args).map(|a| Value::Bytes(Bytes::copy_from_slice(a))),
    );
    let command = CustomCommand::new_static("EVALSHA", ClusterHash::FirstKey, false);
    let timeout = i64::try_from(wait.timeout.as_millis()).unwrap_or(i64::MAX);
    for attempt in 0..2 {
        let pipeline = client.pipeline();
        pipeline.custom::<(), _>(command.clone(), evalsha.clone()).await?;
        pipeline.wait::<()>(i64::from(wait.replicas), timeout).await?;
        let mut results = pipeline.try_all::<Value>().await.into_iter();
        let (Some(value), Some(acked)) = (results.next(), results.next()) else {
            return Err(fred::error::Error::new(
                fred::error::ErrorKind::Protocol,
                "short pipeline reply",
            ));
        };
        match value {
            Err(e) if is_noscript(&e) && attempt == 0 => {
                client.script_load::<Value, _>(call.script.source()).await?;
            }
            value => {
                let acked = acked?.as_i64().unwrap_or(0);
                return Ok((value?, acked));
            }
        }
    }
    Err(fred::error::Error::new(fred::error::ErrorKind::Unknown, "NOSCRIPT after SCRIPT LOAD"))
}

impl Commands {
    /// One client to send to.
    pub(crate) fn client(&self) -> &Client {
        match self {
            Self::Client(c) => c,
            Self::Pool(p) => p.next(),
        }
    }
}
