//! `lockctl info <name>`: the holder (its whole token), remaining ttl and fencing counter of one lock,
//! or "not locked". The exit code is 0 either way (use `--json` and `locked` to branch);
//! errors (unreachable server, a key that is not a lock...) exit with 1.

use std::process::ExitCode;

use serde::Serialize;

use super::lookup;
use super::show::{columns, exact_or_printable, fencing, holder, millis, printable, ttl};
use crate::cli::NameArgs;
use crate::target::Connection;

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
}

/// Runs `lockctl info`.
pub(crate) async fn run(args: NameArgs) -> Result<ExitCode, String> {
    let conn = Connection::open(&args.target.url, &args.target.prefix).await?;
    let key = lookup::key(&conn, args.name.as_bytes())?;
    let info = lookup::info(&conn, &key).await?;
    let counter = match &info {
        Some(info) => info.fencing.map(|f| f.get()),
        None => lookup::fence_counter(&conn, &key).await?,
    };
    let view = InfoView {
        name: args.name.clone(),
        key: exact_or_printable(key.as_bytes()),
        locked: info.is_some(),
        holder: info.as_ref().map(|i| holder(&i.holder)),
        ttl_ms: info.as_ref().and_then(|i| i.ttl_remaining).map(millis),
        fencing: counter,
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
        }
        None => rows.push(vec!["state".to_owned(), "not locked".to_owned()]),
    }
    rows.push(vec!["fencing".to_owned(), fencing(counter)]);
    print!("{}", columns(&rows));
    Ok(ExitCode::SUCCESS)
}
