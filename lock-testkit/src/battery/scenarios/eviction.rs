//! B18 (outside the timing model, `LOCK_BATTERY_FULL=1`): Redis evicts lock keys and fencing
//! counters. The server runs `maxmemory-policy allkeys-lru` with `maxmemory` a few MB above
//! what it uses once the clients are connected, and another client keeps writing 64 KB values
//! under other keys, so keys are evicted all the time. Four contenders take one lock in turn
//! and hold it for 1.5 to 3 ttls with auto-refresh.
//!
//! The eviction is watched, not hoped for: keyspace notifications (`notify-keyspace-events
//! Ee`) name every evicted key, with the time it was seen, and the run goes on (8 s at least,
//! 90 s at most) until the lock key was evicted while a holder claimed it, a grant was made
//! after the fencing counter had been evicted (so its fence came from a lost counter), and a
//! critical section completed; `INFO stats` must show `evicted_keys` > 0.
//!
//! Required: fences in real-time order (a grant after a lost counter included), the fenced
//! register accepts no stale write and refuses no current holder, every holder whose key was
//! evicted under it is told (`lost()`), unless it let go within a ttl; overlaps are expected
//! (a waiter takes the evicted lock while its holder still claims it, until its next refresh
//! fails) and reported.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::super::report::ScenarioReport;
use super::super::workload::{Run, Workload, run_clients};
use super::common::{clients, io, outside_model, report, settle};
use crate::check;
use crate::failure::Failure;
use crate::history::Acquisition;
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

const TTL: Duration = Duration::from_secs(1);
/// `maxmemory` is set this far above the memory used once every client is connected.
const HEADROOM: usize = 4 << 20;
/// The size of each value the filler writes.
const FILLER_VALUE: usize = 64 << 10;
/// The filler writes a value every 2 ms for this long (keys are evicted many times a
/// second, lock keys among them)...
const STORM: Duration = Duration::from_secs(1);
/// ...then pauses this long (holds complete: the lock still works between storms).
const CALM: Duration = Duration::from_secs(3);
/// The run stops once everything required was seen, but not before this long...
const AT_LEAST: Duration = Duration::from_secs(8);
/// ...and gives up after this long.
const AT_MOST: Duration = Duration::from_secs(90);
/// An eviction seen less than this long after a grant is not attributed to that grant's
/// holder (the notification may be of the previous holder's key, seen late).
const ATTRIBUTION_MARGIN: Duration = Duration::from_millis(20);

pub(crate) async fn run(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let server = Arc::new(RedisServer::spawn().map_err(io)?);
    let mut workload = Workload::new(4, usize::MAX, TTL);
    workload.refresh_every = 1;
    workload.hold_min = TTL * 6 / 5;
    workload.hold = TTL * 2;
    let lock_key = format!("{}shared", workload.prefix);
    let counter_prefix = format!("{}~fence{{", workload.prefix);
    let backends = clients(c, &server.url(), workload.clients).await?;
    let mut report = report("B18 eviction (maxmemory, allkeys-lru)", &backends, false);
    if !backends[0].info().capabilities.fencing {
        return Err(Failure::skip("needs fencing tokens"));
    }
    let run = Arc::new(Run::default());

    // The watcher subscribes before eviction is turned on.
    let evictions = Arc::new(Mutex::new(Vec::<(Duration, String)>::new()));
    let (stop_watch, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut events = TcpStream::connect(("127.0.0.1", server.port())).await.map_err(io)?;
    events.write_all(&command(&["SUBSCRIBE", "__keyevent@0__:evicted"])).await.map_err(io)?;
    let mut events = BufReader::new(events);
    read_frame(&mut events).await.map_err(io)?;
    let watcher = tokio::spawn({
        let (evictions, run) = (evictions.clone(), run.clone());
        async move {
            let mut stopped = stopped;
            loop {
                tokio::select! {
                    frame = read_frame(&mut events) => {
                        let Ok(frame) = frame else { return };
                        if frame.first().map(Vec::as_slice) == Some(b"message".as_slice()) {
                            let key = String::from_utf8_lossy(frame.get(2).map_or(&[][..], |k| k));
                            let mut all = evictions.lock().unwrap_or_else(|e| e.into_inner());
                            all.push((run.history.now(), key.into_owned()));
                        }
                    }
                    _ = &mut stopped => return,
                }
            }
        }
    });

    // A small maxmemory, relative to what the server uses with every client connected.
    let mut admin = server.admin().map_err(io)?;
    let memory = admin.cmd(&["INFO", "memory"]).map_err(io)?.text().unwrap_or_default();
    let used: usize = info_field(&memory, "used_memory").unwrap_or(1 << 20);
    for (name, value) in [
        ("notify-keyspace-events", "Ee".to_owned()),
        ("maxmemory-policy", "allkeys-lru".to_owned()),
        ("maxmemory", (used + HEADROOM).to_string()),
    ] {
        let reply = admin.cmd(&["CONFIG", "SET", name, &value]).map_err(io)?;
        check!(!reply.is_error(), "CONFIG SET {name} {value}: {reply}");
    }

    // The filler: other keys, written as fast as a small pause allows.
    let stop_filler = Arc::new(AtomicBool::new(false));
    let filler = tokio::task::spawn_blocking({
        let (server, stop) = (server.clone(), stop_filler.clone());
        move || -> std::io::Result<u64> {
            let mut admin = server.admin()?;
            let value = "x".repeat(FILLER_VALUE);
            let mut written = 0u64;
            let mut storm = std::time::Instant::now();
            while !stop.load(Ordering::SeqCst) {
                if storm.elapsed() < STORM {
                    admin.cmd(&["SET", &format!("filler:{written}"), &value])?;
                    written += 1;
                    std::thread::sleep(Duration::from_millis(2));
                } else if storm.elapsed() < STORM + CALM {
                    std::thread::sleep(Duration::from_millis(20));
                } else {
                    storm = std::time::Instant::now();
                }
            }
            Ok(written)
        }
    });

    let clients = tokio::spawn({
        let (workload, run) = (workload.clone(), run.clone());
        async move { run_clients(&workload, backends, run).await }
    });
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let all = evictions.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let seen = Seen::of(&run.history.acquisitions(), &all, &lock_key, &counter_prefix);
        let elapsed = started.elapsed();
        let sections = run.sections.load(Ordering::SeqCst);
        if (elapsed >= AT_LEAST && seen.complete() && sections > 0) || elapsed >= AT_MOST {
            break;
        }
    }
    run.stop.store(true, Ordering::SeqCst);
    let _ = clients.await;
    stop_filler.store(true, Ordering::SeqCst);
    let written = filler.await.map_err(|e| Failure::new(e.to_string(), "B18"))?.map_err(io)?;
    let stats = admin.cmd(&["INFO", "stats"]).map_err(io)?.text().unwrap_or_default();
    let evicted: u64 = info_field(&stats, "evicted_keys").unwrap_or(0);
    let _ = stop_watch.send(());
    let _ = watcher.await;
    // No more eviction: a lock key left behind must not be hidden by it.
    let reply = admin.cmd(&["CONFIG", "SET", "maxmemory", "0"]).map_err(io)?;
    check!(!reply.is_error(), "CONFIG SET maxmemory 0: {reply}");
    let all = evictions.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let acquisitions = run.history.acquisitions();
    let seen = Seen::of(&acquisitions, &all, &lock_key, &counter_prefix);
    settle(&run, &mut report, &[&server], &workload).await?;
    println!(
        "B18: {written} filler values written, {evicted} keys evicted (INFO), {} eviction \
         notifications; lock key evicted {} times while claimed ({} of those holders told, the \
         others let go within a ttl), {} times between claims; fencing counter evicted {} times, \
         {} grants made after it was; {} overlaps",
        all.len(),
        seen.lock_evicted_held,
        seen.holders_told,
        seen.lock_evicted_free,
        seen.counter_evicted,
        seen.grants_after_lost_counter,
        report.overlaps,
    );
    outside_model(&report)?;
    check!(report.critical_sections > 0, "no critical section completed: {report}");
    check!(evicted > 0, "INFO stats shows no eviction: {report}");
    check!(seen.lock_evicted_held > 0, "the lock key was never evicted under a holder: {report}");
    check!(
        seen.grants_after_lost_counter > 0,
        "no grant was made after the fencing counter was evicted: {report}"
    );
    check!(
        seen.unnoticed.is_empty(),
        "holders whose lock was evicted claimed it for over a ttl more without being told: {:?}: \
         {report}",
        seen.unnoticed
    );
    check!(report.losses_signalled > 0, "no loss was signalled: {report}");
    Ok(report)
}

/// What the eviction notifications show, against the history.
#[derive(Debug, Default)]
struct Seen {
    /// Evictions of the lock key while a holder claimed it.
    lock_evicted_held: u64,
    /// Of those, how many holders saw their loss.
    holders_told: u64,
    /// Holders that claimed the lock for more than a ttl after its eviction without being
    /// told: must be none.
    unnoticed: Vec<Acquisition>,
    /// Evictions of the lock key outside every claim (a key its holder no longer claimed).
    lock_evicted_free: u64,
    /// Evictions of the fencing counter.
    counter_evicted: u64,
    /// Grants invoked after the counter written by the previous grant was evicted.
    grants_after_lost_counter: u64,
}

impl Seen {
    fn of(
        acquisitions: &[Acquisition],
        evictions: &[(Duration, String)],
        lock_key: &str,
        counter_prefix: &str,
    ) -> Self {
        let mut seen = Self::default();
        for (at, key) in evictions {
            if key == lock_key {
                let holder = acquisitions.iter().find(|a| {
                    let (start, end) = a.claim();
                    start + ATTRIBUTION_MARGIN < *at && *at < end
                });
                match holder {
                    Some(a) => {
                        seen.lock_evicted_held += 1;
                        if a.lost.is_some() {
                            seen.holders_told += 1;
                        } else if a.claim().1 > *at + TTL {
                            seen.unnoticed.push(a.clone());
                        }
                    }
                    None => seen.lock_evicted_free += 1,
                }
            } else if key.starts_with(counter_prefix) {
                seen.counter_evicted += 1;
            }
        }
        let mut by_ok: Vec<&Acquisition> = acquisitions.iter().collect();
        by_ok.sort_by_key(|a| a.ok);
        for pair in by_ok.windows(2) {
            let (previous, next) = (pair[0], pair[1]);
            if evictions.iter().any(|(at, key)| {
                key.starts_with(counter_prefix) && previous.ok < *at && *at < next.invoked
            }) {
                seen.grants_after_lost_counter += 1;
            }
        }
        seen
    }

    fn complete(&self) -> bool {
        self.lock_evicted_held > 0 && self.grants_after_lost_counter > 0
    }
}

/// A RESP command of text arguments.
fn command(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
    }
    out
}

/// Reads one push of a subscribed connection: an array of bulk strings and integers.
async fn read_frame(reader: &mut BufReader<TcpStream>) -> std::io::Result<Vec<Vec<u8>>> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let header = read_line(reader).await?;
    let count: usize =
        header.strip_prefix('*').and_then(|n| n.parse().ok()).ok_or_else(|| bad(&header))?;
    let mut items = Vec::with_capacity(count);
    for _ in 0..count {
        let line = read_line(reader).await?;
        if let Some(len) = line.strip_prefix('$') {
            let len: usize = len.parse().map_err(|_| bad(&line))?;
            let mut item = vec![0; len + 2];
            reader.read_exact(&mut item).await?;
            item.truncate(len);
            items.push(item);
        } else if let Some(n) = line.strip_prefix(':') {
            items.push(n.as_bytes().to_vec());
        } else {
            return Err(bad(&line));
        }
    }
    Ok(items)
}

async fn read_line(reader: &mut BufReader<TcpStream>) -> std::io::Result<String> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed"));
    }
    Ok(line.trim_end().to_owned())
}

/// A number from an `INFO` text.
fn info_field<T: std::str::FromStr>(info: &str, name: &str) -> Option<T> {
    info.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.trim().parse().ok())
}
