//! `redis::Value` to the client-neutral `lock_lua::Reply`.

use lock_lua::Reply;
use redis::Value;

pub(crate) fn reply(value: Value) -> Reply {
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
        Value::Map(pairs) => Reply::Array(
            pairs
                .into_iter()
                .flat_map(|(k, v)| [reply(k), reply(v)])
                .collect(),
        ),
        Value::Attribute { data, .. } => reply(*data),
        other => Reply::Data(format!("{other:?}").into_bytes()),
    }
}
