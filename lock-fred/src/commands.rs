//! The client scripts run on: one client or a round-robin pool.

use fred::bytes::Bytes;
use fred::clients::{Client, Pool};
use fred::interfaces::{ClientLike, LuaInterface};
use fred::types::{Key, Value};
use lock_core::{BackendError, async_trait};
use lock_lua::{Call, Reply, ScriptRunner};

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
async fn eval(client: &Client, call: &Call) -> Result<Value, fred::error::Error> {
    let keys: Vec<Key> = call.keys.iter().map(|k| Key::from(Bytes::from(k.clone()))).collect();
    let args: Vec<Value> = call.args.iter().map(|a| Value::Bytes(Bytes::from(a.clone()))).collect();
    let sha = call.script.sha1().to_owned();
    match client.evalsha::<Value, _, _, _>(sha.clone(), keys.clone(), args.clone()).await {
        Err(e) if is_noscript(&e) => {
            if client.is_clustered() {
                client.script_load_cluster::<Value, _>(call.script.source()).await?;
            } else {
                client.script_load::<Value, _>(call.script.source()).await?;
            }
            client.evalsha(sha, keys, args).await
        }
        other => other,
    }
}

#[async_trait]
impl ScriptRunner for Commands {
    async fn run(&self, call: Call) -> Result<Reply, BackendError> {
        Ok(reply(eval(self.client(), &call).await.map_err(map)?))
    }

    fn describe(&self) -> &'static str {
        match self {
            Self::Client(_) => "client",
            Self::Pool(_) => "pool",
        }
    }
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
