//! Upgrades of a reader-writer lock (issue 20, items 1 and 2): the upgrade consumes the read, so
//! the one hold has one deadline; a refused, timed-out or failed upgrade gives the read back
//! with its hold intact and its waiting mark gone.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::hooked::{Hooked, Step};
use lock_core::{Error, LockManager, LossReason, MemoryBackend, RwMode};

const TTL: Duration = Duration::from_secs(10);

/// `u.extend(100 ms)` after the upgrade used to move the one hold's expiry under the write
/// guard: another writer got in at 100 ms while the write guard still said valid. The read's
/// handles now see the read ended and cannot extend the hold.
#[tokio::test(start_paused = true)]
async fn an_upgrade_ends_the_read_so_the_hold_keeps_the_writes_deadline() {
    let locks = LockManager::new(MemoryBackend::new());
    let lock = locks.rw_lock("one-deadline").expect("rw");
    let read = lock.upgradeable_read().ttl(TTL).acquire().await.expect("free");
    let read_handle = read.handle();
    let write = lock.upgrade(read).ttl(TTL).acquire().await.expect("no other reader");
    assert_eq!(read_handle.lost().await, LossReason::Upgraded);
    let extended = read_handle.extend(Duration::from_millis(100)).await;
    assert!(matches!(extended, Err(Error::NotHeld { .. })), "{extended:?}");
    tokio::time::advance(Duration::from_millis(300)).await;
    let other = lock.write().ttl(TTL).try_acquire().await.expect("ok");
    assert!(other.is_none(), "another writer got in beside the upgraded write");
    assert!(write.is_valid());
    let (holders, _) = lock.holders().await.expect("ok");
    assert_eq!(holders.iter().map(|(mode, _)| *mode).collect::<Vec<_>>(), [RwMode::Write]);
    write.release().await.expect("release");
    assert!(lock.holders().await.expect("ok").0.is_empty(), "one release ends the one hold");
}

/// A refused upgrade gives the read back, still held, and takes its mark away: new readers
/// get in at once instead of waiting out the upgrade's ttl.
#[tokio::test(start_paused = true)]
async fn a_refused_upgrade_gives_the_read_back_and_lets_readers_in() {
    let locks = LockManager::new(MemoryBackend::new());
    let lock = locks.rw_lock("refused").expect("rw");
    let read = lock.upgradeable_read().ttl(TTL).acquire().await.expect("free");
    let other = lock.read().ttl(TTL).acquire().await.expect("readers share");
    let refused = lock.upgrade(read).ttl(TTL).try_acquire().await.expect_err("a reader is in");
    assert!(matches!(refused.error(), Error::WaitTimeout { .. }), "{refused}");
    let source = std::error::Error::source(&refused).map(ToString::to_string);
    assert_eq!(source, Some(refused.error().to_string()), "the cause is the error's source");
    let read = refused.into_read();
    assert!(read.is_valid());
    let (holders, waiting) = lock.holders().await.expect("ok");
    assert!(!waiting, "the upgrade's mark outlived its giving up");
    assert!(holders.iter().any(|(mode, _)| *mode == RwMode::UpgradeableRead), "{holders:?}");
    let newcomer = lock.read().ttl(TTL).try_acquire().await.expect("ok");
    assert!(newcomer.is_some(), "a new reader was refused after the upgrade gave up");
    drop((newcomer, other));
    tokio::task::yield_now().await;
    // Once the readers left, the read that came back upgrades.
    let write = lock.upgrade(read).ttl(TTL).wait(Duration::from_secs(1)).acquire().await;
    write.expect("upgraded").release().await.expect("release");
}

/// An upgrade whose attempt went unanswered (cut by the call timeout) and that then gave up
/// used to release by the read's token, deleting the read under its guard. The read now keeps
/// its hold.
#[tokio::test(start_paused = true)]
async fn a_timed_out_upgrade_keeps_the_read() {
    let backend = Hooked::default();
    backend.hooks.rw.store(true, Ordering::SeqCst);
    // Calls: the upgradeable read, the plain read, then the upgrade's first attempt: applied
    // (refused, a reader is in) and never answered.
    *backend.hooks.acquire.lock().expect("steps") =
        vec![Step::default(), Step::default(), Step::unanswered(Duration::ZERO)];
    let locks = LockManager::builder(backend.clone())
        .call_timeout(Duration::from_millis(100))
        .build()
        .expect("valid");
    let lock = locks.rw_lock("timed-out").expect("rw");
    let read = lock.upgradeable_read().ttl(TTL).acquire().await.expect("free");
    let _other = lock.read().ttl(TTL).acquire().await.expect("readers share");
    let upgrade = lock.upgrade(read).ttl(TTL).wait(Duration::from_millis(400)).acquire().await;
    let read = upgrade.expect_err("a reader stays in").into_read();
    // (The old release came a call timeout after the giving up, once the unanswered attempt
    // was presumed lost.)
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(read.is_valid());
    let (holders, waiting) = lock.holders().await.expect("ok");
    assert!(
        holders.iter().any(|(mode, _)| *mode == RwMode::UpgradeableRead),
        "the read's hold was deleted by its own upgrade: {holders:?}"
    );
    assert!(!waiting, "the upgrade's mark outlived its giving up");
    assert!(read.extend(TTL).await.is_ok(), "the read is still ours to extend");
}

/// A grant that lands after the read ran out is given back, and is no write to hand out: the
/// upgrade fails. Before, the attempt answered `Acquired` once its give-back was through, and
/// the caller got a write guard that said valid over a hold already deleted (a writer beside
/// a reader: the simulator's seed 409 with upgrades in its mix); and a give-back that was never
/// answered kept the read's extension turn, so the giving-up waited for it forever (seed 1261).
#[tokio::test(start_paused = true)]
async fn a_grant_landing_after_the_read_ran_out_is_not_handed_out() {
    let backend = Hooked::default();
    backend.hooks.rw.store(true, Ordering::SeqCst);
    let ms = Duration::from_millis;
    // The upgradeable read (200 ms), then the upgrade's attempt: granted after 300 ms, when
    // the read has run out; the give-back of that grant is never answered.
    *backend.hooks.acquire.lock().expect("steps") =
        vec![Step::default(), Step::apply_after(ms(300))];
    *backend.hooks.release.lock().expect("steps") = vec![Step::unanswered(Duration::ZERO)];
    let locks = LockManager::builder(backend.clone())
        .call_timeout(Duration::from_secs(1))
        .build()
        .expect("valid");
    let lock = locks.rw_lock("late-grant").expect("rw");
    let read = lock.upgradeable_read().ttl(ms(200)).acquire().await.expect("free");
    let upgrade = lock.upgrade(read).ttl(TTL).wait(ms(250)).acquire();
    let upgrade = tokio::time::timeout(Duration::from_secs(30), upgrade).await;
    let upgrade = upgrade.expect("the upgrade returned");
    assert!(upgrade.is_err(), "the read ran out first: {upgrade:?}");
}

/// An extension of the read cut by the call timeout may still land after the upgrade's grant,
/// and then sets the write's hold to the read's ttl: another writer got in beside the upgraded
/// write while its guard said valid (the simulator with upgrades in its mix, seed 404). The
/// upgrade now waits, before its attempt, until such an extension is presumed lost (a call
/// timeout after it was cut), as a release waits for the acquires it cleans up after.
#[tokio::test(start_paused = true)]
async fn a_cut_extension_of_the_read_cannot_land_on_the_write() {
    let ms = Duration::from_millis;
    let backend = Hooked::default();
    backend.hooks.rw.store(true, Ordering::SeqCst);
    // The read's extension lands 150 ms after it is sent, 50 ms after the 100 ms call timeout
    // cut it.
    *backend.hooks.extend.lock().expect("steps") =
        vec![Step { before: ms(150), ..Step::default() }];
    let locks = LockManager::builder(backend.clone()).call_timeout(ms(100)).build().expect("valid");
    let lock = locks.rw_lock("cut-extension").expect("rw");
    let read = lock.upgradeable_read().ttl(ms(300)).acquire().await.expect("free");
    let cut = read.extend(ms(300)).await;
    assert!(cut.is_err(), "the extension was not cut: {cut:?}");
    let write = lock.upgrade(read).ttl(TTL).wait(ms(1_000)).acquire().await.expect("upgraded");
    tokio::time::sleep(ms(500)).await;
    assert!(write.is_valid());
    let other = lock.write().ttl(TTL).try_acquire().await.expect("ok");
    assert!(other.is_none(), "another writer got in beside the upgraded write");
}

/// The same for the refresher's extension of an auto-refreshed read: cut by the call timeout,
/// it may still land after the upgrade's grant.
#[tokio::test(start_paused = true)]
async fn a_cut_refresh_of_the_read_cannot_land_on_the_write() {
    let ms = Duration::from_millis;
    let backend = Hooked::default();
    backend.hooks.rw.store(true, Ordering::SeqCst);
    // The refresher's first extension lands 150 ms after it is sent, 50 ms after the 100 ms
    // call timeout cut it.
    *backend.hooks.extend.lock().expect("steps") =
        vec![Step { before: ms(150), ..Step::default() }];
    let locks = LockManager::builder(backend.clone()).call_timeout(ms(100)).build().expect("valid");
    let lock = locks.rw_lock("cut-refresh").expect("rw");
    let read = lock.upgradeable_read().ttl(ms(600)).auto_refresh().acquire().await.expect("free");
    while backend.hooks.calls("extend") == 0 {
        tokio::time::sleep(ms(1)).await;
    }
    // Past the cut, before the landing.
    tokio::time::sleep(ms(105)).await;
    let write = lock.upgrade(read).ttl(TTL).wait(ms(1_000)).acquire().await.expect("upgraded");
    tokio::time::sleep(ms(1_000)).await;
    assert!(write.is_valid());
    let other = lock.write().ttl(TTL).try_acquire().await.expect("ok");
    assert!(other.is_none(), "another writer got in beside the upgraded write");
}

/// And for the re-ask that takes a refused upgrade's mark away: it renews the read with the
/// read's ttl, so cut by the call timeout it may land after the next upgrade's grant.
#[tokio::test(start_paused = true)]
async fn a_cut_withdrawal_cannot_land_on_the_next_upgrades_write() {
    let ms = Duration::from_millis;
    let backend = Hooked::default();
    backend.hooks.rw.store(true, Ordering::SeqCst);
    // The upgradeable read, the plain read, the refused upgrade attempt, then the withdrawal:
    // it lands 150 ms after it is sent, 50 ms after the 100 ms call timeout cut it.
    *backend.hooks.acquire.lock().expect("steps") = vec![
        Step::default(),
        Step::default(),
        Step::default(),
        Step { before: ms(150), ..Step::default() },
    ];
    let locks = LockManager::builder(backend.clone()).call_timeout(ms(100)).build().expect("valid");
    let lock = locks.rw_lock("cut-withdrawal").expect("rw");
    let read = lock.upgradeable_read().ttl(ms(300)).acquire().await.expect("free");
    let other = lock.read().ttl(TTL).acquire().await.expect("readers share");
    let refused = lock.upgrade(read).ttl(TTL).try_acquire().await.expect_err("a reader is in");
    let read = refused.into_read();
    other.release().await.expect("release");
    let write = lock.upgrade(read).ttl(TTL).wait(ms(1_000)).acquire().await.expect("upgraded");
    tokio::time::sleep(ms(1_000)).await;
    assert!(write.is_valid());
    let next = lock.write().ttl(TTL).try_acquire().await.expect("ok");
    assert!(next.is_none(), "another writer got in beside the upgraded write");
}

/// Cancelling an upgrade drops the read it owns, which releases it (and the upgrade's mark).
#[tokio::test(start_paused = true)]
async fn a_cancelled_upgrade_releases_the_read_and_its_mark() {
    let locks = LockManager::new(MemoryBackend::new());
    let lock = locks.rw_lock("cancelled").expect("rw");
    let read = lock.upgradeable_read().ttl(TTL).acquire().await.expect("free");
    let other = lock.read().ttl(TTL).acquire().await.expect("readers share");
    let upgrade = lock.upgrade(read).ttl(TTL).wait(Duration::from_secs(5)).acquire();
    let cancelled = tokio::time::timeout(Duration::from_millis(200), upgrade).await;
    assert!(cancelled.is_err(), "the upgrade waits for the other reader");
    tokio::time::sleep(Duration::from_millis(10)).await;
    let (holders, waiting) = lock.holders().await.expect("ok");
    assert_eq!((holders.len(), waiting), (1, false), "{holders:?}");
    drop(other);
}

/// An auto-refresh of the read that waited for its turn behind the upgrade's attempt must not
/// be sent once the upgrade is granted: it would reset the one hold to the read's ttl under the
/// write guard (found by review: a second writer got in at 1.5 s while the write said valid).
#[tokio::test(start_paused = true)]
async fn a_refresh_of_the_read_queued_behind_the_upgrade_is_not_sent() {
    let backend = Hooked::default();
    backend.hooks.rw.store(true, Ordering::SeqCst);
    // The read at once; the upgrade applied at once (granted), answered 900 ms later: the
    // read's refresh (1 s ttl) comes due meanwhile and waits for the turn.
    *backend.hooks.acquire.lock().expect("steps") =
        vec![Step::default(), Step::answer_after(Duration::from_millis(900))];
    let locks = LockManager::new(backend.clone());
    let lock = locks.rw_lock("queued-refresh").expect("rw");
    let read_ttl = Duration::from_secs(1);
    let read = lock.upgradeable_read().ttl(read_ttl).auto_refresh().acquire().await.expect("free");
    let write = lock.upgrade(read).ttl(Duration::from_secs(30)).acquire().await.expect("granted");
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let other = lock.write().ttl(TTL).try_acquire().await.expect("ok");
    assert!(other.is_none(), "a second writer got in (the write says valid: {})", write.is_valid());
    assert!(write.is_valid());
}

/// A cancelled upgrade whose attempt leaves the client after the read's release (waiting for a
/// pooled connection, say) must not leave a mark or a write behind (found by review).
#[tokio::test(start_paused = true)]
async fn a_cancelled_upgrade_sent_late_leaves_nothing_behind() {
    for with_reader in [true, false] {
        let backend = Hooked::default();
        backend.hooks.rw.store(true, Ordering::SeqCst);
        let mut steps = vec![Step::default()];
        if with_reader {
            steps.push(Step::default());
        }
        steps.push(Step::send_after(Duration::from_millis(100)));
        *backend.hooks.acquire.lock().expect("steps") = steps;
        let locks = LockManager::new(backend.clone());
        let lock = locks.rw_lock("cancelled-late").expect("rw");
        let read = lock.upgradeable_read().ttl(TTL).acquire().await.expect("free");
        let other = match with_reader {
            true => Some(lock.read().ttl(TTL).acquire().await.expect("readers share")),
            false => None,
        };
        let upgrade = lock.upgrade(read).ttl(TTL).wait(Duration::from_secs(5)).acquire();
        assert!(tokio::time::timeout(Duration::from_millis(50), upgrade).await.is_err());
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (holders, waiting) = lock.holders().await.expect("ok");
        let modes: Vec<_> = holders.iter().map(|(mode, _)| *mode).collect();
        let expected = if with_reader { vec![RwMode::Read] } else { vec![] };
        assert_eq!((modes, waiting), (expected, false), "with a reader: {with_reader}");
        drop(other);
    }
}

/// Only an upgradeable read of the same lock upgrades; anything else comes back at once.
#[tokio::test(start_paused = true)]
async fn only_an_upgradeable_read_of_the_lock_upgrades() {
    let locks = LockManager::new(MemoryBackend::new());
    let lock = locks.rw_lock("only-upgradeable").expect("rw");
    let plain = lock.read().ttl(TTL).acquire().await.expect("free");
    let refused = lock.upgrade(plain).ttl(TTL).acquire().await.expect_err("a plain read");
    assert!(matches!(refused.error(), Error::InvalidArgument { .. }), "{refused}");
    let plain = refused.into_read();
    assert!(plain.is_valid());
    let other = locks.rw_lock("another").expect("rw");
    let foreign = other.upgradeable_read().ttl(TTL).acquire().await.expect("free");
    let refused = lock.upgrade(foreign).ttl(TTL).acquire().await.expect_err("another lock's");
    assert!(matches!(refused.error(), Error::InvalidArgument { .. }), "{refused}");
    assert!(refused.into_read().is_valid());
    let (holders, _) = other.holders().await.expect("ok");
    assert_eq!(holders.len(), 1, "the other lock's read was disturbed");
    drop(plain);
}

/// Handles of one lock are interchangeable: an upgradeable read taken through one `RwLock`
/// upgrades through another of the same name (and manager), as a user who asks
/// `rw_lock(name)` where it is needed expects. Before, each handle had its own views of the
/// store and the upgrade was refused as "not an upgradeable read of this lock" (found by the
/// simulator once it upgraded).
#[tokio::test(start_paused = true)]
async fn any_handle_of_the_lock_upgrades_its_upgradeable_read() {
    let locks = LockManager::new(MemoryBackend::new());
    let read = locks
        .rw_lock("two-handles")
        .expect("rw")
        .upgradeable_read()
        .ttl(TTL)
        .acquire()
        .await
        .expect("free");
    let lock = locks.rw_lock("two-handles").expect("rw");
    let write = lock.upgrade(read).ttl(TTL).try_acquire().await.expect("upgraded");
    assert!(write.is_valid());
    let (holders, _) = lock.holders().await.expect("ok");
    assert_eq!(holders.len(), 1, "{holders:?}");
    assert_eq!(holders[0].0, lock_core::RwMode::Write);
    // Another manager's handle is another lock user: its upgrade is refused.
    let other = LockManager::new(MemoryBackend::new());
    let theirs = other.rw_lock("two-handles").expect("rw");
    let read = lock.upgradeable_read().ttl(TTL);
    drop(write);
    let read = read.acquire().await.expect("free again");
    let refused = theirs.upgrade(read).ttl(TTL).try_acquire().await.expect_err("another manager's");
    assert!(matches!(refused.error(), Error::InvalidArgument { .. }), "{refused}");
}

/// An upgrade applied but answered with a replication error (WAIT mode) leaves a write the
/// read's guard cannot see: the read comes back lost and the hold is released, not a read that
/// says valid over a write (found by review).
#[tokio::test(start_paused = true)]
async fn an_unconfirmed_upgrade_gives_the_read_back_lost() {
    let backend = Hooked::default();
    backend.hooks.rw.store(true, Ordering::SeqCst);
    *backend.hooks.acquire.lock().expect("steps") =
        vec![Step::default(), Step::fails(lock_core::BackendErrorKind::Replication)];
    let locks = LockManager::new(backend.clone());
    let lock = locks.rw_lock("unconfirmed").expect("rw");
    let read = lock.upgradeable_read().ttl(TTL).acquire().await.expect("free");
    let failed = lock.upgrade(read).ttl(TTL).try_acquire().await.expect_err("unconfirmed");
    let read = failed.into_read();
    assert!(!read.is_valid(), "the read says valid over a hold that became a write");
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(lock.holders().await.expect("ok").0.is_empty(), "the unguarded write stayed");
}

/// The upgraded write guard asks the store about the one hold: `verify` is true while it holds,
/// false once it ran out.
#[tokio::test(start_paused = true)]
async fn the_upgraded_write_verifies_against_the_store() {
    let locks = LockManager::new(MemoryBackend::new());
    let lock = locks.rw_lock("verify").expect("rw");
    let read = lock.upgradeable_read().ttl(TTL).acquire().await.expect("free");
    let short = Duration::from_millis(100);
    let write = lock.upgrade(read).ttl(short).acquire().await.expect("alone");
    assert!(write.verify().await.expect("ok"), "the write holds");
    tokio::time::advance(short * 2).await;
    assert!(!write.verify().await.expect("ok"), "the write ran out");
}
