//! `lockctl doctor`: what matters for lock safety on the server, or on every master of a
//! cluster, read with `INFO` and `CONFIG GET`:
//!
//! - `version`: flagged below 6.2 (the acquire script writes fences with `SET ... GET`), and on a cluster
//!   below 7.0 (sharded pub/sub);
//! - `maxmemory-policy`: flagged unless `noeviction` (any other policy may evict held locks,
//!   `volatile-*` too: every lock key has an expiry);
//! - `persistence`: flagged unless `appendonly yes` with `appendfsync always` (a restart or a
//!   crash can lose held locks);
//! - `replication`: a replica is flagged (locks go to its master); a master with replicas is a
//!   note: failover over asynchronous replication is outside the timing model unless WAIT mode.
//!
//! A table per server by default, one JSON object with `--json`. Exit code 0 when nothing is
//! flagged, 1 otherwise (and on errors). What the user may not read (the ACL refuses `INFO` or
//! `CONFIG GET`) is shown as `unknown` and does not change the exit code; run it as a user
//! allowed both for a full report.

mod checks;

use std::process::ExitCode;

use lock_redis::redis::aio::MultiplexedConnection;
use lock_redis::redis::{self, ConnectionInfo, RedisError, Value};
use serde::Serialize;

use self::checks::{Facts, Finding, Status, evaluate};
use super::nodes;
use crate::cli::DoctorArgs;
use crate::endpoint::{Endpoint, address, node_connection};

/// What `doctor --json` prints.
#[derive(Debug, Serialize)]
struct Report {
    /// One entry per server: the standalone server, or each master of a cluster.
    servers: Vec<ServerReport>,
    /// How many findings are flagged (exit code 1 when any).
    flagged: usize,
    /// How many could not be read.
    unknown: usize,
}

/// The findings on one server.
#[derive(Debug, Serialize)]
struct ServerReport {
    /// `host:port` or a socket path, without credentials.
    address: String,
    /// Its findings, in a fixed order.
    checks: Vec<Finding>,
}

/// Runs `lockctl doctor`.
pub(crate) async fn run(args: DoctorArgs) -> Result<ExitCode, String> {
    let endpoint = Endpoint::parse(&args.url)?;
    let cluster = matches!(endpoint, Endpoint::Cluster(_));
    let mut servers = Vec::new();
    for node in nodes::key_holders(&endpoint).await? {
        let checks = match examine(&node).await {
            Ok(facts) => evaluate(&facts, cluster),
            // One server alone: an error, as in every command.
            Err(e) if !cluster => return Err(endpoint.explain_redis(&e)),
            Err(e) => vec![Finding {
                check: "connection",
                status: Status::Flag,
                value: "unreachable".to_owned(),
                detail: endpoint.explain_redis(&e),
            }],
        };
        servers.push(ServerReport { address: address(&node), checks });
    }
    let count =
        |status| servers.iter().flat_map(|s| &s.checks).filter(|c| c.status == status).count();
    let report = Report { flagged: count(Status::Flag), unknown: count(Status::Unknown), servers };
    if args.json {
        let line =
            serde_json::to_string(&report).map_err(|e| format!("cannot encode JSON: {e}"))?;
        println!("{line}");
    } else {
        print!("{}", human(&report));
    }
    Ok(if report.flagged == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The report as text: a block per server, then a summary line.
fn human(report: &Report) -> String {
    let mut out = String::new();
    for server in &report.servers {
        out.push_str(&format!("{}\n", server.address));
        let rows: Vec<Vec<String>> = server
            .checks
            .iter()
            .map(|c| {
                let status = format!("  {}", c.status.label());
                vec![status, c.check.to_owned(), c.value.clone(), c.detail.clone()]
            })
            .collect();
        out.push_str(&super::show::columns(&rows));
    }
    let servers = report.servers.len();
    let plural = if servers == 1 { "" } else { "s" };
    let verdict = match report.flagged {
        0 => "nothing flagged".to_owned(),
        n => format!("{n} flagged"),
    };
    let unknown = match report.unknown {
        0 => String::new(),
        n => format!(", {n} unknown"),
    };
    out.push_str(&format!("{verdict} on {servers} server{plural}{unknown}\n"));
    out
}

/// What `node` reports: `INFO` (default sections), then `CONFIG GET` for `appendfsync` and for
/// what `INFO` did not say. A refused command leaves its facts unknown; a broken connection is
/// an error.
async fn examine(node: &ConnectionInfo) -> Result<Facts, RedisError> {
    let mut conn = node_connection(node).await?;
    let info = refused_is_none(redis::cmd("INFO").query_async::<Value>(&mut conn).await)?
        .and_then(|v| text(&v))
        .unwrap_or_default();
    let field = |name: &str| {
        info.lines().find_map(|l| l.trim().strip_prefix(name)?.strip_prefix(':').map(str::to_owned))
    };
    let mut facts = Facts {
        version: field("redis_version"),
        role: field("role"),
        replicas: field("connected_slaves").and_then(|n| n.parse().ok()),
        policy: field("maxmemory_policy"),
        maxmemory: field("maxmemory").and_then(|n| n.parse().ok()),
        appendonly: field("aof_enabled").map(|on| on == "1"),
        appendfsync: config_get(&mut conn, "appendfsync").await?,
    };
    if facts.policy.is_none() {
        facts.policy = config_get(&mut conn, "maxmemory-policy").await?;
    }
    if facts.maxmemory.is_none() {
        facts.maxmemory = config_get(&mut conn, "maxmemory").await?.and_then(|n| n.parse().ok());
    }
    if facts.appendonly.is_none() {
        facts.appendonly = config_get(&mut conn, "appendonly").await?.map(|on| on == "yes");
    }
    Ok(facts)
}

/// `CONFIG GET name`'s value; `None` when refused or absent.
async fn config_get(
    conn: &mut MultiplexedConnection,
    name: &str,
) -> Result<Option<String>, RedisError> {
    let reply = redis::cmd("CONFIG").arg("GET").arg(name).query_async::<Value>(conn).await;
    let value = match refused_is_none(reply)? {
        Some(Value::Array(items)) => items.get(1).and_then(text),
        Some(Value::Map(pairs)) => pairs.first().and_then(|(_, v)| text(v)),
        _ => None,
    };
    Ok(value.map(|v| v.to_ascii_lowercase()))
}

/// An error reply from the server (`NOPERM`, a renamed command...) as `None`; a broken
/// connection or a timeout stays an error.
fn refused_is_none(reply: Result<Value, RedisError>) -> Result<Option<Value>, RedisError> {
    match reply {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.code().is_some() && !e.is_io_error() && !e.is_timeout() => Ok(None),
        Err(e) => Err(e),
    }
}

/// A string reply's text.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        Value::VerbatimString { text, .. } | Value::SimpleString(text) => Some(text.clone()),
        _ => None,
    }
}
