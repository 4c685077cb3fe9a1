//! `lockctl list`: every live lock under the prefix (SCAN on the server, or on every master of
//! a cluster), with its holder's token prefix, remaining ttl and fencing counter; a table, or
//! with `--json` one array of `{"name","holder","ttl_ms","fencing"}`. Keys under the prefix
//! that are not locks are skipped with a note on stderr.

use std::collections::BTreeSet;
use std::process::ExitCode;

use lock_redis::{BackendErrorKind, Error, LockBackend, LockInfo, LockManager};
use tokio::task::JoinSet;

use super::show::{LockView, printable, table};
use super::{nodes, scan};
use crate::cli::ListArgs;
use crate::target::Connection;

/// Locks inspected concurrently.
const IN_FLIGHT: usize = 32;

/// Notes about skipped keys printed before summarising the rest.
const NOTES_SHOWN: usize = 10;

/// Runs `lockctl list`.
pub(crate) async fn run(args: ListArgs) -> Result<ExitCode, String> {
    let conn = Connection::open(&args.target.url, &args.target.prefix).await?;
    let prefix = args.target.prefix.as_bytes();
    let mut names = BTreeSet::new();
    for node in nodes::key_holders(&conn.endpoint).await? {
        names.extend(scan::lock_names(&conn.endpoint, &node, prefix).await?);
    }
    let mut locks = Vec::new();
    let mut skipped = Vec::new();
    for (name, result) in inspect_all(&conn.locks, names).await? {
        match result {
            Ok(Some(info)) => locks.push((name, info)),
            // Released or expired since the scan.
            Ok(None) => {}
            Err(Error::Backend(e)) if e.kind() == BackendErrorKind::WrongType => {
                skipped.push((name, "the key holds another type"));
            }
            Err(Error::InvalidArgument { .. }) => skipped.push((name, "the name is too long")),
            Err(e) => return Err(conn.endpoint.explain(&e)),
        }
    }
    locks.sort_by(|a, b| a.0.cmp(&b.0));
    note_skipped(&args.target.prefix, &skipped);
    let views: Vec<LockView> = locks.iter().map(|(name, info)| LockView::new(name, info)).collect();
    if args.json {
        let line = serde_json::to_string(&views).map_err(|e| format!("cannot encode JSON: {e}"))?;
        println!("{line}");
    } else if views.is_empty() {
        println!("no live locks under `{}`", printable(prefix));
    } else {
        let rows: Vec<Vec<String>> =
            views.iter().zip(&locks).map(|(view, (name, _))| view.row(name)).collect();
        print!("{}", table(&["NAME", "HOLDER", "TTL", "FENCING"], &rows));
    }
    Ok(ExitCode::SUCCESS)
}

/// The answer of `info` for each name, a few at a time.
async fn inspect_all(
    locks: &LockManager,
    names: BTreeSet<Vec<u8>>,
) -> Result<Vec<(Vec<u8>, Result<Option<LockInfo>, Error>)>, String> {
    let mut tasks = JoinSet::new();
    let mut done = Vec::with_capacity(names.len());
    for name in names {
        if tasks.len() >= IN_FLIGHT
            && let Some(joined) = tasks.join_next().await
        {
            done.push(joined.map_err(|e| format!("an inspection task failed: {e}"))?);
        }
        let locks = locks.clone();
        tasks.spawn(async move {
            let info = match locks.key(&name) {
                Ok(key) => locks.backend().inspect(&key).await.map_err(Error::from),
                Err(e) => Err(e),
            };
            (name, info)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        done.push(joined.map_err(|e| format!("an inspection task failed: {e}"))?);
    }
    Ok(done)
}

/// One stderr line per skipped key (a few at most).
fn note_skipped(prefix: &str, skipped: &[(Vec<u8>, &str)]) {
    for (name, why) in skipped.iter().take(NOTES_SHOWN) {
        eprintln!("note: skipped `{prefix}{}`: not a lock ({why})", printable(name));
    }
    if skipped.len() > NOTES_SHOWN {
        eprintln!("note: skipped {} more keys that are not locks", skipped.len() - NOTES_SHOWN);
    }
}
