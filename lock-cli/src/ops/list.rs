//! `lockctl list`: every live lock under the prefix (SCAN on the server, or on every master of
//! a cluster), with its holder's token, remaining ttl and fencing token; semaphores and
//! reader-writer locks show one row per holder, with its kind (`permit`, `read`, `upgradeable`,
//! `write`; plain locks `lock`) and, for locks, the metadata their holder stored. A table, or
//! with `--json` one array of `{"name","kind","holder","ttl_ms","fencing","metadata"}`. Keys under the prefix that are none of these
//! are skipped with a note on stderr.

use std::collections::BTreeSet;
use std::process::ExitCode;

use lock_redis::{
    BackendErrorKind, Error, LockBackend, LockKey, LockManager, Metadata,
    lock_core::backend::LockInfo,
};
use tokio::task::JoinSet;

use super::show::{LockView, printable, table};
use super::{family, nodes, scan};
use crate::cli::ListArgs;
use crate::endpoint::Connection;

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
            Ok(Some((info, metadata))) => locks.push((name, "lock", info, metadata)),
            // Released or expired since the scan.
            Ok(None) => {}
            Err(Error::Backend(e)) if e.kind() == BackendErrorKind::WrongType => {
                let key = conn.locks.key(&name).map_err(|e| e.to_string())?;
                match family::kind(&conn, &key).await {
                    Some(kind) => {
                        let held = family::holders(&conn, &key, kind).await;
                        let held = held.map_err(|e| conn.endpoint.explain_backend(&e))?;
                        let holders =
                            held.into_iter().map(|h| (name.clone(), h.mode, h.info, None));
                        locks.extend(holders);
                    }
                    None => skipped.push((name, "the key holds another type")),
                }
            }
            Err(Error::InvalidArgument { .. }) => skipped.push((name, "the name is too long")),
            Err(e) => return Err(conn.endpoint.explain(&e)),
        }
    }
    locks.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    note_skipped(&args.target.prefix, &skipped);
    let views: Vec<LockView> = locks
        .iter()
        .map(|(name, kind, info, meta)| {
            LockView::holding(name, kind, info).with_metadata(meta.as_ref())
        })
        .collect();
    if args.json {
        let line = serde_json::to_string(&views).map_err(|e| format!("cannot encode JSON: {e}"))?;
        println!("{line}");
    } else if views.is_empty() {
        println!("no live locks under `{}`", printable(prefix));
    } else {
        let rows: Vec<Vec<String>> =
            views.iter().zip(&locks).map(|(view, (name, ..))| view.row(name)).collect();
        print!("{}", table(&["NAME", "KIND", "HOLDER", "TTL", "FENCING", "METADATA"], &rows));
    }
    Ok(ExitCode::SUCCESS)
}

/// What one name holds: the lock and its holder's metadata.
type Inspected = Result<Option<(LockInfo, Option<Metadata>)>, Error>;

/// The lock and metadata at each name, a few names at a time.
async fn inspect_all(
    locks: &LockManager,
    names: BTreeSet<Vec<u8>>,
) -> Result<Vec<(Vec<u8>, Inspected)>, String> {
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
                Ok(key) => with_metadata(&locks, &key).await,
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

/// The lock at `key` and, when it is held, the metadata its holder stored.
async fn with_metadata(locks: &LockManager, key: &LockKey) -> Inspected {
    let backend = locks.backend();
    let Some(info) = backend.inspect(key).await? else { return Ok(None) };
    if !backend.info().capabilities.metadata {
        return Ok(Some((info, None)));
    }
    let metadata = backend.inspect_metadata(key).await?;
    let metadata = metadata.filter(|(token, _)| *token == info.holder).map(|(_, m)| m);
    Ok(Some((info, metadata)))
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
