//! `lockctl release <name>`:
//!
//! - `--token <t>`: owner-checked; prints `released` (exit 0) or `not held by that token`
//!   (exit 1), and never touches another holder's lock.
//! - `--force`: removes the lock whoever holds it, after asking on stderr (`[y/N]` read from
//!   stdin) unless `--yes`; refused on a non-interactive stdin without `--yes`. The removal is a
//!   compare-and-delete of the holder that was shown (the library's release script), so a lock
//!   that changed hands meanwhile is never removed by mistake (the new holder is shown and, in
//!   turn, removed or asked about), and waiters are woken as by a normal release. The fencing
//!   counter is kept: tokens must keep increasing. What was removed goes to stderr; `not
//!   locked` (exit 0) when there was nothing to remove.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use lock_redis::{
    Handover, LockKey, LockToken, lock_core::backend::LockInfo, lock_core::backend::ReleaseOutcome,
};

use super::lookup;
use super::show::{holder, printable, ttl};
use crate::cli::ReleaseArgs;
use crate::endpoint::Connection;

/// How often `--force` follows a lock that changes hands before giving up.
const FORCE_ATTEMPTS: usize = 3;

/// Runs `lockctl release`.
pub(crate) async fn run(args: ReleaseArgs) -> Result<ExitCode, String> {
    match (&args.token, args.force) {
        (Some(token), false) if !args.yes => with_token(&args, token).await,
        (Some(_), false) => Err("`--yes` goes with `--force`".into()),
        (None, true) => force(&args).await,
        (Some(_), true) => Err("`--token` and `--force` exclude each other".into()),
        (None, false) => Err("say how to release: `--token <token>` (only if that token holds \
                              it) or `--force` (whoever holds it)"
            .into()),
    }
}

/// The owner-checked release.
async fn with_token(args: &ReleaseArgs, token: &str) -> Result<ExitCode, String> {
    // The message names the length only, never the token.
    let token = LockToken::from_user(token).map_err(|e| format!("bad --token: {e}"))?;
    let conn = Connection::open(&args.target.url, &args.target.prefix).await?;
    let key = lookup::key(&conn, args.name.as_bytes())?;
    match conn.locks.release_handover(Handover::from_parts(key.clone(), token)).await {
        Ok(ReleaseOutcome::Released) => {
            println!("released");
            Ok(ExitCode::SUCCESS)
        }
        Ok(_) => {
            println!("not held by that token");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(lookup::explain(&conn, &key, &e).await),
    }
}

/// The unconditional release.
async fn force(args: &ReleaseArgs) -> Result<ExitCode, String> {
    let name = printable(args.name.as_bytes());
    if !args.yes && !std::io::stdin().is_terminal() {
        return Err(format!(
            "refusing to force-release `{name}` without confirmation: stdin is not a terminal; \
             add --yes to release it without asking"
        ));
    }
    let conn = Connection::open(&args.target.url, &args.target.prefix).await?;
    let key = lookup::key(&conn, args.name.as_bytes())?;
    for _ in 0..FORCE_ATTEMPTS {
        let Some(info) = lookup::info(&conn, &key).await? else {
            println!("not locked");
            return Ok(ExitCode::SUCCESS);
        };
        if !args.yes && !confirm(&name, &info).await? {
            eprintln!("nothing released");
            return Ok(ExitCode::FAILURE);
        }
        let handover = Handover::from_parts(key.clone(), info.holder.clone());
        match conn.locks.release_handover(handover).await {
            Ok(ReleaseOutcome::Released) => {
                log_removal(&key, &info);
                println!("released");
                return Ok(ExitCode::SUCCESS);
            }
            Ok(_) => eprintln!("`{name}` changed hands or expired meanwhile; looking again"),
            Err(e) => return Err(lookup::explain(&conn, &key, &e).await),
        }
    }
    Err(format!("`{name}` kept changing hands; nothing was removed after {FORCE_ATTEMPTS} tries"))
}

/// Asks on stderr and reads the answer from stdin; only `y` or `yes` confirm.
async fn confirm(name: &str, info: &LockInfo) -> Result<bool, String> {
    let prompt = format!("Release lock `{name}` held by {}? [y/N] ", holder(&info.holder));
    let answer = tokio::task::spawn_blocking(move || {
        let mut stderr = std::io::stderr().lock();
        // The prompt is a courtesy: failing to show it must not release anything.
        let _ = stderr.write_all(prompt.as_bytes()).and_then(|()| stderr.flush());
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map(|_| line)
    })
    .await
    .map_err(|e| format!("cannot read the answer: {e}"))?
    .map_err(|e| format!("cannot read the answer: {e}"))?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

/// What `--force` removed, on stderr.
fn log_removal(key: &LockKey, info: &LockInfo) {
    let counter = match info.fencing {
        Some(f) => format!("fencing counter kept at {f}"),
        None => "no fencing counter".to_owned(),
    };
    eprintln!(
        "removed lock `{}` (key `{}`): holder {}, ttl {} left; {counter}",
        printable(key.name()),
        printable(key.as_bytes()),
        holder(&info.holder),
        ttl(info.ttl_remaining),
    );
}
