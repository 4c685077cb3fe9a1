//! One simulated task: a random mix of operations on the world's keys, each recorded in the
//! key's history.

use std::sync::Arc;
use std::time::Duration;

use lock_core::{LockGuard, LockManager, Metadata, MultiGuard};
use rand::RngExt;
use rand::rngs::StdRng;
use tokio::time::Instant;

use super::World;
use crate::history::{History, SpanId};

/// The longest ttl a task asks for.
pub(crate) const MAX_TTL: Duration = Duration::from_millis(1_000);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs `ops` operations; returns how many were cancelled.
pub(crate) async fn run(
    id: usize,
    locks: LockManager,
    world: Arc<World>,
    mut rng: StdRng,
    ops: usize,
) -> usize {
    let mut cancelled = 0;
    for _ in 0..ops {
        tokio::time::sleep(ms(rng.random_range(0..=50))).await;
        let ttl = ms(rng.random_range(50..=MAX_TTL.as_millis() as u64));
        let wait = ms(rng.random_range(0..=800));
        let cancel_at = rng.random_bool(0.15).then(|| ms(rng.random_range(0..=600)));
        let first = rng.random_range(0..world.keys.len());
        let set = rng.random_bool(0.2) && world.keys.len() > 1;
        let refresh = rng.random_bool(0.3);
        // The other kinds, where the store offers them: a fair lock of the same names, a
        // permit of a semaphore of LIMIT, a read or a write of a reader-writer lock.
        let kind = match rng.random_range(0..11) {
            _ if set || !world.family => Target::Plain(first),
            0 => Target::Fair(first),
            1 | 2 => Target::Permit(first),
            3 => Target::Rw(first, Mode::Read),
            4 => Target::Rw(first, Mode::Write),
            5 => Target::Rw(first, Mode::Upgradeable),
            _ => Target::Plain(first),
        };
        // A plain lock may carry metadata (which must go with the lock: the orphan check).
        let metadata = world.family && rng.random_bool(0.3);
        let started = Instant::now();
        let invoked = world.histories[0].now();
        let outcome = if set {
            let second = (first + rng.random_range(1..world.keys.len())) % world.keys.len();
            let mut request = locks.lock_all([&world.keys[first], &world.keys[second]]).ttl(ttl);
            if refresh {
                request = request.auto_refresh().max_hold(ms(rng.random_range(100..=3_000)));
            }
            let request = request.wait(wait).try_acquire();
            cancellable(cancel_at, request).await.map(|result| result.map(|set| set.map(Held::Set)))
        } else {
            let request = match kind {
                Target::Plain(k) if metadata => {
                    let fields = Metadata::new().with("task", id.to_string());
                    fields.map(|fields| locks.lock(&world.keys[k]).metadata(fields))
                }
                Target::Plain(k) => Ok(locks.lock(&world.keys[k])),
                Target::Fair(k) => Ok(locks.lock(&world.keys[k]).fair()),
                Target::Permit(k) => {
                    locks.semaphore(format!("{}:permits", world.keys[k]), LIMIT).map(|s| s.permit())
                }
                Target::Rw(k, mode) => {
                    locks.rw_lock(format!("{}:rw", world.keys[k])).map(|rw| match mode {
                        Mode::Read => rw.read(),
                        Mode::Upgradeable => rw.upgradeable_read(),
                        Mode::Write => rw.write(),
                    })
                }
            };
            let Ok(request) = request else {
                world
                    .violations
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(format!("task {id}: a valid name was refused: {:?}", request.err()));
                continue;
            };
            let mut request = request.ttl(ttl);
            if refresh {
                request = request.auto_refresh().max_hold(ms(rng.random_range(100..=3_000)));
            }
            let try_once = rng.random_bool(0.3);
            let request =
                if try_once { request.try_acquire() } else { request.wait(wait).try_acquire() };
            cancellable(cancel_at, request)
                .await
                .map(|result| result.map(|one| one.map(|guard| Held::One(guard, kind))))
        };
        let Some(outcome) = outcome else {
            cancelled += 1;
            continue;
        };
        // A wait ends by its deadline, plus the calls in flight: for one lock, the attempt and
        // the give-back of a grant that came too late; for a set taken member by member, the
        // pass under way (each member's attempt and late give-back, the watch on the blocker,
        // the give-back of the members taken): six call timeouts for two members.
        let bound = wait + world.call_timeout * if set { 6 } else { 2 } + ms(1);
        let took = started.elapsed();
        if took > bound {
            let what = if set { "a lock set's" } else { "a lock's" };
            world.violations.lock().unwrap_or_else(|e| e.into_inner()).push(format!(
                "task {id}: {what} wait({wait:?}) ended after {took:?} (call timeout {:?})",
                world.call_timeout
            ));
        }
        let held = match outcome {
            Ok(Some(held)) => held,
            Ok(None) | Err(_) => {
                world.counts.lock().unwrap_or_else(|e| e.into_inner()).1 += 1;
                continue;
            }
        };
        let spans = held.record(id, invoked, &world);
        world.counts.lock().unwrap_or_else(|e| e.into_inner()).0 += spans.len();
        hold(&held, &spans, &mut rng, ttl).await;
        if let Held::One(guard, Target::Plain(k) | Target::Fair(k)) = &held
            && world.family
            && rng.random_bool(0.3)
        {
            write(guard, *k, id, &world).await;
        }
        // Sometimes the hold is passed on: leaked and adopted again (same token, same fence),
        // or an upgradeable read upgraded to a write (the read ends, the write is a new claim).
        let (held, spans) = match held {
            Held::One(guard, Target::Rw(k, Mode::Upgradeable)) if rng.random_bool(0.5) => {
                let Ok(rw) = locks.rw_lock(format!("{}:rw", world.keys[k])) else { continue };
                let upgrade =
                    rw.upgrade(guard).ttl(ms(rng.random_range(50..=MAX_TTL.as_millis() as u64)));
                let upgrade = if rng.random_bool(0.3) { upgrade.auto_refresh() } else { upgrade };
                let wait = ms(rng.random_range(0..=800));
                // The read's holder cannot act under it while the upgrade owns it: its claim
                // ends here, and a read given back valid is claimed again from then on (the
                // same grant: C2 leaves it out).
                for (history, span) in &spans {
                    history.released(*span);
                }
                let invoked = world.rw[k].now();
                let started = Instant::now();
                let cut = rng.random_bool(0.15).then(|| ms(rng.random_range(0..=600)));
                let outcome = cancellable(cut, upgrade.wait(wait).try_acquire()).await;
                let took = started.elapsed();
                // The attempt in flight, the read's turn it holds until answered (or cut), and
                // the withdrawal of the upgrade's mark: three call timeouts past the deadline.
                if took > wait + world.call_timeout * 3 + ms(1) {
                    world.violations.lock().unwrap_or_else(|e| e.into_inner()).push(format!(
                        "task {id}: an upgrade's wait({wait:?}) ended after {took:?} (call timeout {:?})",
                        world.call_timeout
                    ));
                }
                let (held, target) = match outcome {
                    // Cancelled: the read went with the upgrade's future (released).
                    None => {
                        cancelled += 1;
                        continue;
                    }
                    Some(Ok(write)) => (Held::One(write, Target::Rw(k, Mode::Write)), "write"),
                    Some(Err(refused)) => {
                        (Held::One(refused.into_read(), Target::Rw(k, Mode::Upgradeable)), "read")
                    }
                };
                let spans = held.record(id, invoked, &world);
                if target == "read" {
                    for (history, span) in &spans {
                        history.continues_a_grant(*span);
                    }
                } else {
                    world.counts.lock().unwrap_or_else(|e| e.into_inner()).0 += 1;
                }
                hold(&held, &spans, &mut rng, ttl).await;
                (held, spans)
            }
            Held::One(guard, target @ Target::Plain(_)) if rng.random_bool(0.15) => {
                // The adopted guard is a new claim: the lock may have run out and been taken
                // afresh (a new fence) in between.
                for (history, span) in &spans {
                    history.released(*span);
                }
                let invoked = world.histories[0].now();
                let fence = guard.fencing_token();
                match locks.adopt(guard.leak()).ttl(ttl).try_acquire().await {
                    Ok(Some(guard)) => {
                        let same_hold = fence.is_some() && guard.fencing_token() == fence;
                        let held = Held::One(guard, target);
                        let spans = held.record(id, invoked, &world);
                        if same_hold {
                            for (history, span) in &spans {
                                history.continues_a_grant(*span);
                            }
                        }
                        hold(&held, &spans, &mut rng, ttl).await;
                        (held, spans)
                    }
                    Ok(None) | Err(_) => continue,
                }
            }
            held => (held, spans),
        };
        for (history, span) in &spans {
            history.released(*span);
        }
        match rng.random_range(0..10) {
            // Dropped: released in the background.
            0..=2 => drop(held),
            // Released, perhaps cancelled on the way.
            _ => {
                let cut = rng.random_bool(0.2).then(|| ms(rng.random_range(0..=100)));
                let release = held.release();
                if cancellable(cut, release).await.is_none() {
                    cancelled += 1;
                }
            }
        }
    }
    cancelled
}

/// A fenced guarded write of `<task>:<fence>` to the lock's data key `sim`, recorded in the
/// world (every attempt, and those the store answered `Written`).
async fn write(guard: &LockGuard, k: usize, id: usize, world: &World) {
    let (Ok(data_key), Some(fence)) = (guard.data_key("sim"), guard.fencing_token()) else {
        return;
    };
    let value = format!("{id}:{}", fence.get());
    world.writes.lock().unwrap_or_else(|e| e.into_inner())[k].0.push((value.clone(), fence.get()));
    if let Ok(lock_core::backend::WriteOutcome::Written) =
        guard.write_fenced(&data_key, &value).await
    {
        world.writes.lock().unwrap_or_else(|e| e.into_inner())[k].1.push(fence.get());
    }
}

/// Awaits `future`, or drops it at `cancel_at` if that comes first (`None`).
async fn cancellable<T>(cancel_at: Option<Duration>, future: impl Future<Output = T>) -> Option<T> {
    match cancel_at {
        Some(at) => tokio::time::timeout(at, future).await.ok(),
        None => Some(future.await),
    }
}

/// The limit of every simulated semaphore.
pub(crate) const LIMIT: u32 = 2;

/// Added to a writer's client number in the reader-writer histories.
pub(crate) const WRITER: usize = 1 << 20;

/// What one request asks for, by the index of its name.
#[derive(Clone, Copy, Debug)]
enum Target {
    Plain(usize),
    Fair(usize),
    Permit(usize),
    Rw(usize, Mode),
}

/// A reader-writer request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Read,
    /// A read that may be upgraded to a write.
    Upgradeable,
    Write,
}

/// What a task holds.
enum Held {
    One(LockGuard, Target),
    Set(MultiGuard),
}

impl Held {
    fn guards(&self) -> Vec<&LockGuard> {
        match self {
            Self::One(guard, _) => vec![guard],
            Self::Set(set) => set.guards().iter().collect(),
        }
    }

    /// Records each held name's claim in its history; returns the histories and spans.
    fn record<'w>(
        &self,
        id: usize,
        invoked: Duration,
        world: &'w World,
    ) -> Vec<(&'w History, SpanId)> {
        match self {
            Self::One(guard, target) => {
                let (history, client) = match *target {
                    Target::Plain(k) | Target::Fair(k) => (&world.histories[k], id),
                    Target::Permit(k) => (&world.permits[k], id),
                    Target::Rw(k, Mode::Write) => (&world.rw[k], id + WRITER),
                    Target::Rw(k, _) => (&world.rw[k], id),
                };
                vec![(history, history.acquired(client, invoked, guard))]
            }
            Self::Set(set) => set
                .guards()
                .iter()
                .filter_map(|guard| {
                    let key = world.keys.iter().position(|k| guard.key().name() == k.as_bytes())?;
                    Some((&world.histories[key], world.histories[key].acquired(id, invoked, guard)))
                })
                .collect(),
        }
    }

    async fn release(self) {
        match self {
            Self::One(guard, _) => drop(guard.release().await),
            Self::Set(set) => drop(set.release().await),
        }
    }
}

/// Holds for a random time, looking at the guards now and then (a claim lasts while the guard
/// says it is valid), sometimes extending. A loss signalled meanwhile (`lost()`) ends the claim
/// at once, as a holder that listens for it stops acting then: a guard may lose its hold before
/// its deadline (a late upgrade grant given back, an unconfirmed write), and the store may let
/// another in right after.
async fn hold(held: &Held, spans: &[(&History, SpanId)], rng: &mut StdRng, ttl: Duration) {
    let until = Instant::now() + ms(rng.random_range(0..=(ttl.as_millis() as u64) * 2));
    while Instant::now() < until {
        let nap = ms(rng.random_range(1..=(ttl.as_millis() as u64 / 3).max(1)));
        let losses = held.guards().into_iter().map(|guard| Box::pin(guard.lost()));
        let _ = tokio::time::timeout(nap, futures_util::future::select_all(losses)).await;
        let mut valid = true;
        for ((history, span), guard) in spans.iter().zip(held.guards()) {
            valid &= history.observe(*span, guard);
        }
        if !valid {
            return;
        }
        if rng.random_bool(0.1) {
            // Half the time to another ttl than the acquire's: a late acquire landing after a
            // longer extension must not leave the guard trusting the longer one.
            let ttl = if rng.random_bool(0.5) {
                ttl
            } else {
                ms(rng.random_range(50..=MAX_TTL.as_millis() as u64))
            };
            for ((history, span), guard) in spans.iter().zip(held.guards()) {
                history.bound(*span, Instant::now() + ttl);
                // A loss signalled while the extension waits (for its turn, or its answer) ends
                // the claim then, as anywhere else.
                let extend = guard.extend(ttl);
                tokio::pin!(extend);
                tokio::select! {
                    biased;
                    _ = &mut extend => {}
                    _ = guard.lost() => {
                        history.lost(*span);
                        let _ = extend.await;
                    }
                }
            }
            // An extension may shorten the deadline (a ttl shorter than what was left): the
            // claim follows it at once, not at the next look.
            for ((history, span), guard) in spans.iter().zip(held.guards()) {
                history.observe(*span, guard);
            }
        }
    }
}
