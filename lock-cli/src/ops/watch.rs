//! `lockctl watch <name>`: one line on stdout per change of the lock, as it happens, until
//! Ctrl-C (exit 0):
//!
//! ```text
//! 2025-01-31T09:12:03.120Z  free
//! 2025-01-31T09:12:04.501Z  acquired  holder=3fa2c1d0e4b5a6978877665544332211  fencing=1738314724501000  ttl=30.000s
//! 2025-01-31T09:12:05.017Z  released  holder=3fa2c1d0e4b5a6978877665544332211  fencing=1738314724501000
//! ```
//!
//! With `--json`, each line is one object instead:
//! `{"at":"2025-01-31T09:12:04.501Z","event":"acquired","holder":"3fa2…","fencing":8,"ttl_ms":30000}`
//! (`holder`, `fencing` and `ttl_ms` are `null` when they do not apply).
//!
//! The first line is the state when watching starts (`free`, or `held ...`). Timestamps are
//! UTC. Releases are seen at once through the lock's release channel; acquisitions, expiries
//! and changes of holder through reading the key every 50 ms. A lock that vanishes is
//! `expired` when its ttl had run out and no release was announced, else `released` (which also
//! covers a `DEL` or a client that does not announce releases). While the server is unreachable,
//! a note goes to stderr and watching continues; a key that is not a lock ends it with an error.

mod notify;
mod state;

use std::process::ExitCode;
use std::time::Duration;

use lock_redis::{BackendErrorKind, Error, LockKey};
use tokio::time::{Instant, MissedTickBehavior};

use super::clock::now_utc;
use super::lookup;
use super::show::printable;
use crate::cli::NameArgs;
use crate::endpoint::Connection;
use notify::Notifications;
use state::Holding;

/// How often the key is read.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// Runs `lockctl watch`.
pub(crate) async fn run(args: NameArgs) -> Result<ExitCode, String> {
    let conn = Connection::open(&args.target.url, &args.target.prefix).await?;
    let key = lookup::key(&conn, args.name.as_bytes())?;
    // Fail at once on a key that is not a lock, before subscribing.
    read(&conn, &key).await.map_err(|(_, message)| message)?;
    let mut notes = Notifications::new(conn.locks.backend().clone(), key.clone());
    notes.arm(&conn.endpoint).await;
    // Read after subscribing, so no release after this reading goes unannounced.
    let mut seen = read(&conn, &key).await.map_err(|(_, message)| message)?;
    eprintln!(
        "watching `{}` (key `{}`) on {}; Ctrl-C to stop",
        printable(key.name()),
        printable(key.as_bytes()),
        conn.endpoint.describe()
    );
    let print = |event: state::Event| print_event(&event, args.json);
    print(state::initial(&seen));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut tick = tokio::time::interval(POLL_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        notes.arm(&conn.endpoint).await;
        let announced = tokio::select! {
            _ = &mut ctrl_c => return Ok(ExitCode::SUCCESS),
            _ = tick.tick() => false,
            () = notes.fired() => true,
        };
        match read(&conn, &key).await {
            Ok(now) => {
                if failing {
                    eprintln!("{}  note: reachable again", now_utc());
                    failing = false;
                }
                for event in state::events(&seen, &now, announced, Instant::now()) {
                    print(event);
                }
                seen = now;
            }
            Err((true, message)) => return Err(message),
            Err((false, message)) => {
                if !failing {
                    eprintln!("{}  note: {message} (still trying)", now_utc());
                    failing = true;
                }
            }
        }
    }
}

/// One line on stdout: `<UTC time>  <event>`, or with `--json` one object with an `at` field.
fn print_event(event: &state::Event, json: bool) {
    if json {
        #[derive(serde::Serialize)]
        struct Line<'a> {
            at: String,
            #[serde(flatten)]
            event: &'a state::Event,
        }
        match serde_json::to_string(&Line { at: now_utc(), event }) {
            Ok(line) => println!("{line}"),
            Err(e) => eprintln!("{}  note: cannot encode JSON: {e}", now_utc()),
        }
    } else {
        println!("{}  {}", now_utc(), event.text());
    }
}

/// The lock now; the error says whether it is fatal (the key is not a lock).
async fn read(conn: &Connection, key: &LockKey) -> Result<Option<Holding>, (bool, String)> {
    let read_at = Instant::now();
    match lookup::read(conn, key).await {
        Ok(info) => Ok(info.map(|info| Holding::new(info, read_at))),
        Err(Error::Backend(e)) if e.kind() == BackendErrorKind::WrongType => {
            Err((true, lookup::not_a_lock(conn, key).await))
        }
        Err(e) => Err((!e.is_temporary(), conn.endpoint.explain(&e))),
    }
}
