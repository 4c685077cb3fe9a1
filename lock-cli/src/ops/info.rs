//! `lockctl info <name>`: the holder (its whole token), remaining ttl, fencing counter and
//! metadata of one lock,
//! or "not locked". The exit code is 0 either way (use `--json` and `locked` to branch);
//! errors (unreachable server, a key that is not a lock...) exit with 1.

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde::Serialize;

use lock_redis::LockKey;

use super::show::{
    columns, exact_or_printable, fencing, holder, metadata_map, metadata_text, millis, printable,
    ttl,
};
use super::{family, lookup};
use crate::cli::NameArgs;
use crate::endpoint::Connection;

/// What `info --json` prints.
#[derive(Debug, Serialize)]
struct InfoView {
    /// The lock name, as given.
    name: String,
    /// The whole key (prefix and name).
    key: String,
    /// Whether anyone holds it.
    locked: bool,
    /// The holder's whole token, when locked.
    holder: Option<String>,
    /// Remaining ttl in milliseconds, when locked and the key expires.
    ttl_ms: Option<u64>,
    /// The value of the fencing counter (the last token issued), if any.
    fencing: Option<u64>,
    /// The metadata the holder stored with the lock, if any.
    metadata: Option<BTreeMap<String, String>>,
}

/// One holder of a semaphore or reader-writer lock, as `info --json` prints it.
#[derive(Debug, Serialize)]
struct HolderView {
    /// `permit`, `read`, `upgradeable` or `write`.
    mode: &'static str,
    /// The holder's whole token.
    holder: String,
    /// Remaining ttl in milliseconds.
    ttl_ms: Option<u64>,
    /// Its fencing token.
    fencing: Option<u64>,
}

/// What `info --json` prints for a semaphore or reader-writer lock.
#[derive(Debug, Serialize)]
struct FamilyView {
    name: String,
    key: String,
    /// `semaphore` or `rw-lock`.
    kind: &'static str,
    holders: Vec<HolderView>,
}

/// Runs `lockctl info`.
pub(crate) async fn run(args: NameArgs) -> Result<ExitCode, String> {
    let conn = Connection::open(&args.target.url, &args.target.prefix).await?;
    let key = lookup::key(&conn, args.name.as_bytes())?;
    if let Some(kind) = family::kind(&conn, &key).await {
        return family_info(&conn, &args, &key, kind).await;
    }
    let info = lookup::info(&conn, &key).await?;
    let counter = match &info {
        Some(info) => info.fencing.map(|f| f.get()),
        None => lookup::fence_counter(&conn, &key).await?,
    };
    let metadata = match &info {
        Some(info) => lookup::metadata(&conn, &key, &info.holder).await?,
        None => None,
    };
    let view = InfoView {
        name: args.name.clone(),
        key: exact_or_printable(key.as_bytes()),
        locked: info.is_some(),
        holder: info.as_ref().map(|i| holder(&i.holder)),
        ttl_ms: info.as_ref().and_then(|i| i.ttl_remaining).map(millis),
        fencing: counter,
        metadata: metadata.as_ref().map(metadata_map),
    };
    if args.json {
        let line = serde_json::to_string(&view).map_err(|e| format!("cannot encode JSON: {e}"))?;
        println!("{line}");
        return Ok(ExitCode::SUCCESS);
    }
    let mut rows = vec![
        vec!["name".to_owned(), printable(args.name.as_bytes())],
        vec!["key".to_owned(), printable(key.as_bytes())],
    ];
    match &info {
        Some(info) => {
            rows.push(vec!["state".to_owned(), "locked".to_owned()]);
            rows.push(vec!["holder".to_owned(), holder(&info.holder)]);
            rows.push(vec!["ttl".to_owned(), ttl(info.ttl_remaining)]);
            if let Some(metadata) = &view.metadata {
                rows.push(vec!["metadata".to_owned(), metadata_text(metadata)]);
            }
        }
        None => rows.push(vec!["state".to_owned(), "not locked".to_owned()]),
    }
    rows.push(vec!["fencing".to_owned(), fencing(counter)]);
    print!("{}", columns(&rows));
    Ok(ExitCode::SUCCESS)
}

/// `info` of a semaphore or reader-writer lock: its kind and every holder.
async fn family_info(
    conn: &Connection,
    args: &NameArgs,
    key: &LockKey,
    kind: family::Kind,
) -> Result<ExitCode, String> {
    let held = family::holders(conn, key, kind).await;
    let held = held.map_err(|e| conn.endpoint.explain_backend(&e))?;
    let holders: Vec<HolderView> = held
        .iter()
        .map(|h| HolderView {
            mode: h.mode,
            holder: holder(&h.info.holder),
            ttl_ms: h.info.ttl_remaining.map(millis),
            fencing: h.info.fencing.map(|f| f.get()),
        })
        .collect();
    if args.json {
        let view = FamilyView {
            name: args.name.clone(),
            key: exact_or_printable(key.as_bytes()),
            kind: kind.label(),
            holders,
        };
        let line = serde_json::to_string(&view).map_err(|e| format!("cannot encode JSON: {e}"))?;
        println!("{line}");
        return Ok(ExitCode::SUCCESS);
    }
    let mut rows = vec![
        vec!["name".to_owned(), printable(args.name.as_bytes())],
        vec!["key".to_owned(), printable(key.as_bytes())],
        vec!["kind".to_owned(), kind.label().to_owned()],
        vec!["holders".to_owned(), holders.len().to_string()],
    ];
    for h in &holders {
        let fence = fencing(h.fencing);
        let left = ttl(h.ttl_ms.map(std::time::Duration::from_millis));
        rows.push(vec![h.mode.to_owned(), format!("{}  ttl {left}  fencing {fence}", h.holder)]);
    }
    print!("{}", columns(&rows));
    Ok(ExitCode::SUCCESS)
}
