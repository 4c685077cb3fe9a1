//! Redlock quorum logic over in-process nodes: arithmetic over every subset of pre-held nodes,
//! clean-up of partial grants, the validity window, and no wake-up storms.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{Calls, Faulty};
use lock_core::{
    DynLockBackend, Error, LockBackend, LockKey, LockManager, LockToken, MemoryBackend, Quorum,
    RetryPolicy, backend::AcquireOutcome,
};

fn nodes(n: usize) -> Vec<Faulty> {
    (0..n).map(|_| Faulty::default()).collect()
}

fn quorum(nodes: &[Faulty]) -> Quorum {
    nodes.iter().fold(Quorum::builder(), |b, n| b.node(n.clone())).build().expect("distinct nodes")
}

/// B12: for N = 3, 4, 5 and every subset of nodes already held by someone else, the acquire
/// succeeds iff the free nodes are a majority, and a failed one leaves our token nowhere.
#[tokio::test]
async fn acquire_wins_exactly_with_a_majority_of_free_nodes() {
    for n in 3..=5usize {
        for mask in 0u32..(1 << n) {
            let nodes = nodes(n);
            let key = LockKey::with_default_prefix(format!("mask-{n}-{mask}")).expect("key");
            let foreign = LockToken::generate().expect("token");
            for (i, node) in nodes.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    node.inner
                        .inner
                        .try_acquire(&key, &foreign, Duration::from_secs(30))
                        .await
                        .expect("pre-hold");
                }
            }
            let free = n - mask.count_ones() as usize;
            let ours = LockToken::generate().expect("token");
            let outcome = quorum(&nodes).try_acquire(&key, &ours, Duration::from_secs(10)).await;
            let won = matches!(outcome, Ok(AcquireOutcome::Acquired { .. }));
            assert_eq!(won, free > n / 2, "N={n}, pre-held mask {mask:0n$b}: {outcome:?}", n = n);
            let mut holding = 0;
            for node in &nodes {
                if node
                    .inner
                    .inner
                    .inspect(&key)
                    .await
                    .expect("inspect")
                    .is_some_and(|i| i.holder == ours)
                {
                    holding += 1;
                }
            }
            if won {
                assert!(holding > n / 2, "N={n} mask {mask:b}: won but holds {holding} nodes");
            } else {
                assert_eq!(
                    holding, 0,
                    "N={n} mask {mask:b}: a lost acquire left our token on {holding} nodes"
                );
            }
        }
    }
}

/// L2 / B10: with a minority of nodes down the lock works; with a majority down every acquire
/// fails with a temporary error and leaves nothing behind on the survivors.
#[tokio::test]
async fn minority_down_works_majority_down_fails_cleanly() {
    let nodes = nodes(5);
    let locks = LockManager::new(quorum(&nodes));
    nodes[0].down.store(true, Ordering::SeqCst);
    nodes[1].down.store(true, Ordering::SeqCst);
    let guard =
        locks.try_lock("b10", Duration::from_secs(5)).await.expect("minority down").expect("free");
    guard.release().await.expect("release");
    nodes[2].down.store(true, Ordering::SeqCst);
    match locks.try_lock("b10", Duration::from_secs(5)).await {
        Err(Error::Backend(e)) => assert!(e.is_temporary(), "{e}"),
        other => panic!("expected a temporary backend error with 3 of 5 nodes down, got {other:?}"),
    }
    let key = locks.key("b10").expect("key");
    for node in &nodes[3..] {
        assert!(
            node.inner.inner.inspect(&key).await.expect("inspect").is_none(),
            "a survivor kept a lost grant"
        );
    }
}

/// S2: a majority that arrives after the validity window is not a win, and is given back.
#[tokio::test]
async fn a_majority_reached_too_late_is_not_a_win() {
    let nodes = nodes(3);
    for node in &nodes {
        node.stall_ms.store(40, Ordering::SeqCst);
    }
    let q = quorum(&nodes);
    let key = LockKey::with_default_prefix("late").expect("key");
    let token = LockToken::generate().expect("token");
    // Each node stalls its thread 40 ms (a pause no timeout interrupts): the majority arrives
    // after 80 ms or more, past a 60 ms ttl.
    let outcome = q.try_acquire(&key, &token, Duration::from_millis(60)).await.expect("answer");
    assert!(matches!(outcome, AcquireOutcome::Held { .. }), "{outcome:?}");
    // The nodes that answered are released before the acquire returns; one still silent when
    // the vote was decided is released in the background once it answers.
    let released = || nodes.iter().all(|n| Calls::get(&n.inner.calls.release) == 1);
    for _ in 0..100 {
        if released() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for node in &nodes {
        // Nodes 2 and 3 were granted 80 and 120 ms in, so their grants would still be alive now
        // had they not been released.
        assert!(
            node.inner.inner.inspect(&key).await.expect("inspect").is_none(),
            "a late grant was kept"
        );
        assert_eq!(Calls::get(&node.inner.calls.release), 1, "every node is released");
    }
}

/// A waiter on a quorum where one node is free (say, it restarted empty) keeps its backoff: the
/// losing attempts that win and give back the free node must not wake it at once, over and over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_give_backs_do_not_cause_a_wake_up_storm() {
    let nodes = nodes(3);
    let locks = LockManager::new(quorum(&nodes));
    let holder = locks.try_lock("storm", Duration::from_secs(30)).await.expect("ok").expect("free");
    // The quorum answered once a majority granted; let the straggler's grant land too.
    for node in &nodes {
        while node.inner.inner.inspect(holder.key()).await.expect("inspect").is_none() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    // Node 2 loses the holder's lock, as after a restart without persistence.
    let node2 = &nodes[2].inner.inner;
    let stored = node2.inspect(holder.key()).await.expect("inspect").expect("held");
    node2.release(holder.key(), &stored.holder).await.expect("forget");
    let before = Calls::get(&nodes[2].inner.calls.acquire);
    let started = std::time::Instant::now();
    let got = locks
        .lock("storm")
        .retry(RetryPolicy::fixed(Duration::from_millis(100)).max_attempts(4))
        .try_acquire()
        .await;
    assert!(got.expect("ok").is_none());
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(280), "4 attempts 100 ms apart took {waited:?}");
    let attempts = Calls::get(&nodes[2].inner.calls.acquire) - before;
    assert!(attempts <= 6, "{attempts} attempts on the free node");
}

#[test]
fn empty_and_duplicate_quorums_are_refused() {
    assert!(matches!(Quorum::builder().build(), Err(Error::InvalidArgument { .. })));
    let shared: Arc<DynLockBackend> = Arc::new(MemoryBackend::new());
    let other: Arc<DynLockBackend> = Arc::new(MemoryBackend::new());
    let twice = Quorum::builder()
        .shared_node(shared.clone())
        .shared_node(other)
        .shared_node(shared)
        .build();
    assert!(
        matches!(twice, Err(Error::InvalidArgument { .. })),
        "the same node twice was accepted"
    );
    assert!(
        Quorum::builder().node(MemoryBackend::new()).node_timeout(Duration::ZERO).build().is_err()
    );
    let one = Quorum::new([MemoryBackend::new()]).expect("one node");
    assert_eq!((one.nodes(), one.majority()), (1, 1));
    let four = Quorum::new((0..4).map(|_| MemoryBackend::new())).expect("four nodes");
    assert_eq!(four.majority(), 3, "an even quorum needs more than half");
}

/// Same-store detection by endpoint.
#[test]
fn nodes_reporting_the_same_endpoint_are_refused() {
    #[derive(Debug)]
    struct Named(&'static str, MemoryBackend);
    lock_core::forward_lock_backend!(impl for Named => |this| &this.1, except {
        fn endpoint(&self) -> Option<String> {
            Some(self.0.to_owned())
        }

    });
    let same = Quorum::builder()
        .node(Named("redis://10.0.0.1:6379/0", MemoryBackend::new()))
        .node(Named("redis://10.0.0.2:6379/0", MemoryBackend::new()))
        .node(Named("redis://10.0.0.1:6379/0", MemoryBackend::new()))
        .build();
    match same {
        Err(Error::InvalidArgument { reason, .. }) => {
            assert!(reason.contains("10.0.0.1"), "{reason}")
        }
        other => panic!("duplicate endpoints accepted: {other:?}"),
    }
}

/// A vote a majority refused returns without waiting for a slow node; that node's late grant
/// is given back in the background, and the same token's next attempt reaches that node only
/// after the give-back, so the give-back cannot delete the new grant.
#[tokio::test]
async fn a_slow_node_neither_holds_up_a_lost_vote_nor_loses_the_next_grant() {
    let nodes = nodes(3);
    *nodes[2].delay.lock().expect("delay") = Duration::from_millis(60);
    let q = quorum(&nodes);
    let key = LockKey::with_default_prefix("slow-node").expect("key");
    let (foreign, ours) =
        (LockToken::generate().expect("token"), LockToken::generate().expect("token"));
    for node in &nodes[..2] {
        node.inner
            .inner
            .try_acquire(&key, &foreign, Duration::from_secs(30))
            .await
            .expect("pre-hold");
    }
    let started = tokio::time::Instant::now();
    let outcome = q.try_acquire(&key, &ours, Duration::from_secs(10)).await.expect("answer");
    assert!(matches!(outcome, AcquireOutcome::Held { .. }), "{outcome:?}");
    assert!(started.elapsed() < Duration::from_millis(50), "waited for the slow node");
    // The holder leaves; we try again at once with the same token.
    for node in &nodes[..2] {
        node.inner.inner.release(&key, &foreign).await.expect("release");
    }
    let outcome = q.try_acquire(&key, &ours, Duration::from_secs(10)).await.expect("answer");
    assert!(matches!(outcome, AcquireOutcome::Acquired { .. }), "{outcome:?}");
    // First grant on the slow node at 60 ms, its give-back at 120 ms, our second grant there
    // at 180 ms: in that order, the slow node ends up ours.
    tokio::time::sleep(Duration::from_millis(400)).await;
    for (i, node) in nodes.iter().enumerate() {
        let holder = node.inner.inner.inspect(&key).await.expect("inspect").map(|info| info.holder);
        assert_eq!(holder.as_ref(), Some(&ours), "node {i} does not hold the lock we were granted");
    }
}

/// S8: a lost vote's give-backs that reach their nodes late (after the node timeout) never
/// delete the grants of the same token's next attempt: calls for one key and token to one node
/// are applied in order, so the next attempt on those nodes waits for them. Without the order,
/// the retry wins on all five nodes, the three late give-backs then delete its grants on three,
/// and a guard would be valid on a minority.
#[tokio::test(start_paused = true)]
async fn late_give_backs_never_delete_the_next_attempts_grants() {
    use common::hooked::{Hooked, Step};
    let ms = Duration::from_millis;
    let nodes: Vec<Hooked> = (0..5).map(|_| Hooked::default()).collect();
    let quorum = nodes
        .iter()
        .fold(Quorum::builder(), |b, n| b.node(n.clone()))
        .node_timeout(ms(50))
        .build()
        .expect("distinct nodes");
    let key = LockKey::with_default_prefix("late-give-back").expect("key");
    let (other, ours) =
        (LockToken::generate().expect("token"), LockToken::generate().expect("token"));
    for node in &nodes[3..] {
        node.inner.try_acquire(&key, &other, Duration::from_secs(30)).await.expect("pre-hold");
    }
    // Node 0 grants at once but its answer is lost past the node timeout; nodes 0-2 apply the
    // give-back 300 ms after it was sent.
    nodes[0].hooks.acquire.lock().expect("steps").push(Step::answer_after(ms(200)));
    for node in &nodes[..3] {
        node.hooks.release.lock().expect("steps").push(Step::apply_after(ms(300)));
    }
    let ttl = Duration::from_secs(10);
    let lost = quorum.try_acquire(&key, &ours, ttl).await;
    assert!(matches!(lost, Ok(AcquireOutcome::Held { .. })), "2 of 5 granted: {lost:?}");
    for node in &nodes[3..] {
        node.inner.release(&key, &other).await.expect("the other holder lets go");
    }
    // The manager's next attempt with the same token, as after any `Held`.
    let started = tokio::time::Instant::now();
    loop {
        if let Ok(AcquireOutcome::Acquired { .. }) = quorum.try_acquire(&key, &ours, ttl).await {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "never acquired");
        tokio::time::sleep(ms(10)).await;
    }
    // Every late give-back has landed by now.
    tokio::time::sleep(ms(500)).await;
    let mut holding = 0;
    for node in &nodes {
        if node.inner.inspect(&key).await.expect("inspect").is_some_and(|i| i.holder == ours) {
            holding += 1;
        }
    }
    assert!(holding >= 3, "the quorum answered Acquired, and now holds {holding} of 5 nodes");
}

/// The node count, and an endpoint listing the nodes' (so a quorum of quorums refuses a
/// quorum twice).
#[test]
fn a_quorum_reports_its_nodes() {
    let q = quorum(&nodes(3));
    assert_eq!((q.nodes(), q.majority()), (3, 2));
    assert_eq!(q.endpoint().as_deref(), Some("quorum[?, ?, ?]"));
    // Nodes already shared (`Arc<dyn LockBackend>`) count the same.
    let shared = nodes(5).into_iter().map(|n| Arc::new(n) as Arc<DynLockBackend>);
    let q = shared.fold(Quorum::builder(), |b, n| b.shared_node(n)).build().expect("distinct");
    assert_eq!((q.nodes(), q.majority()), (5, 3));
}

/// An undecided vote waits for the slow node at most a third of the ttl (when that is shorter
/// than the node timeout): a grant later than that would leave too little validity.
#[tokio::test(start_paused = true)]
async fn a_slow_node_is_given_a_third_of_the_ttl_at_most() {
    let nodes = nodes(3);
    *nodes[2].delay.lock().expect("delay") = Duration::from_secs(1);
    let key = LockKey::with_default_prefix("third").expect("key");
    let other = LockToken::generate().expect("token");
    nodes[0].inner.inner.try_acquire(&key, &other, Duration::from_secs(30)).await.expect("hold");
    let started = tokio::time::Instant::now();
    let ours = LockToken::generate().expect("token");
    let outcome = quorum(&nodes).try_acquire(&key, &ours, Duration::from_millis(90)).await;
    assert!(matches!(outcome, Ok(AcquireOutcome::Held { .. })), "{outcome:?}");
    assert_eq!(started.elapsed(), Duration::from_millis(30), "waited for the slow node");
}

/// Failed nodes count: with a majority down, acquire and release answer as soon as that is
/// known, without waiting for the one slow node left.
#[tokio::test(start_paused = true)]
async fn a_majority_of_failures_decides_at_once() {
    let nodes = nodes(3);
    *nodes[2].delay.lock().expect("delay") = Duration::from_millis(150);
    let key = LockKey::with_default_prefix("failures").expect("key");
    let ours = LockToken::generate().expect("token");
    let q = quorum(&nodes);
    nodes[0].down.store(true, Ordering::SeqCst);
    nodes[1].down.store(true, Ordering::SeqCst);
    let started = tokio::time::Instant::now();
    assert!(q.try_acquire(&key, &ours, Duration::from_secs(10)).await.is_err());
    assert_eq!(started.elapsed(), Duration::ZERO, "the acquire waited for the slow node");
    let started = tokio::time::Instant::now();
    assert!(q.release(&key, &ours).await.is_err());
    assert!(started.elapsed() < Duration::from_millis(150), "the release waited for the slow node");
    let started = tokio::time::Instant::now();
    assert!(q.extend(&key, &ours, Duration::from_secs(10)).await.is_err());
    assert!(started.elapsed() < Duration::from_millis(150), "the extend waited for the slow node");
}

/// A majority granted exactly at the end of the validity window (elapsed + drift = ttl) leaves
/// nothing to rely on: given back, not won.
#[tokio::test(start_paused = true)]
async fn a_majority_at_the_very_end_of_the_window_is_not_a_win() {
    let nodes = nodes(3);
    for node in &nodes {
        *node.delay.lock().expect("delay") = Duration::from_millis(89);
    }
    // ttl 300 ms, drift 70 % + 1 ms = 211 ms: the window closes 89 ms in.
    let drift = lock_core::Drift::new(0.7, Duration::from_millis(1)).expect("drift");
    let q = nodes
        .iter()
        .fold(Quorum::builder(), |b, n| b.node(n.clone()))
        .drift(drift)
        .build()
        .expect("distinct");
    let key = LockKey::with_default_prefix("window").expect("key");
    let ours = LockToken::generate().expect("token");
    let outcome = q.try_acquire(&key, &ours, Duration::from_millis(300)).await;
    assert!(matches!(outcome, Ok(AcquireOutcome::Held { .. })), "{outcome:?}");
}

/// A lost vote gives back only what may have been granted: a node that answered `Held`, even
/// one whose answer came in after the vote was decided, is sent no release.
#[tokio::test]
async fn nodes_that_refused_are_sent_no_release() {
    let nodes = nodes(3);
    let quorum = quorum(&nodes);
    let key = LockKey::with_default_prefix("refused-everywhere").expect("key");
    let holder = LockToken::generate().expect("entropy");
    for node in &nodes {
        node.inner.inner.try_acquire(&key, &holder, Duration::from_secs(30)).await.expect("ok");
    }
    let before: Vec<usize> = nodes.iter().map(|n| Calls::get(&n.inner.calls.release)).collect();
    let token = LockToken::generate().expect("entropy");
    let outcome = quorum.try_acquire(&key, &token, Duration::from_secs(30)).await.expect("ok");
    assert!(matches!(outcome, AcquireOutcome::Held { .. }), "{outcome:?}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let after: Vec<usize> = nodes.iter().map(|n| Calls::get(&n.inner.calls.release)).collect();
    assert_eq!(before, after, "releases sent to nodes that all refused");
}

/// An extend or a release is `NotHeld` only when so many nodes said they do not hold the token
/// that no majority can have it; with too few answers either way it is an error (the caller cannot
/// know). Checked at the boundary for 3 nodes and for 5 (where `nodes - majority` is 2).
#[tokio::test]
async fn not_held_only_when_a_majority_cannot_hold_it() {
    // (nodes, holding the token, down): the rest answer that they do not hold it.
    for (n, holding, down, not_held) in
        [(3, 1, 1, false), (3, 0, 1, true), (5, 0, 3, false), (5, 0, 2, true), (5, 2, 0, true)]
    {
        let nodes = nodes(n);
        let q = quorum(&nodes);
        let key = LockKey::with_default_prefix("boundary").expect("key");
        let ours = LockToken::generate().expect("token");
        for node in &nodes[..holding] {
            node.inner.inner.try_acquire(&key, &ours, Duration::from_secs(30)).await.expect("ok");
        }
        for node in &nodes[n - down..] {
            node.down.store(true, Ordering::SeqCst);
        }
        let extended = q.extend(&key, &ours, Duration::from_secs(30)).await;
        let case = format!("{n} nodes, {holding} holding, {down} down: extend {extended:?}");
        if not_held {
            assert!(matches!(extended, Ok(lock_core::backend::ExtendOutcome::NotHeld)), "{case}");
        } else {
            assert!(extended.is_err(), "{case}");
        }
        let outcome = q.release(&key, &ours).await;
        let case = format!("{n} nodes, {holding} holding, {down} down: release {outcome:?}");
        if not_held {
            assert!(matches!(outcome, Ok(lock_core::backend::ReleaseOutcome::NotHeld)), "{case}");
        } else {
            assert!(outcome.is_err(), "{case}");
        }
    }
}

/// `inspect` answers as soon as no holder can reach a majority, without waiting for a slow
/// node; a node holding the lock for someone counts as an answer, so one holder, one free node
/// and one dead node read as "no majority holder", not as an error.
#[tokio::test(start_paused = true)]
async fn inspect_answers_once_no_holder_can_have_a_majority() {
    let nodes = nodes(3);
    let q = quorum(&nodes);
    let key = LockKey::with_default_prefix("inspected").expect("key");
    *nodes[2].delay.lock().expect("delay") = Duration::from_millis(150);
    let started = tokio::time::Instant::now();
    assert_eq!(q.inspect(&key).await.expect("two free nodes answered"), None);
    assert!(started.elapsed() < Duration::from_millis(150), "waited for the slow node");

    let someone = LockToken::generate().expect("token");
    nodes[0].inner.inner.try_acquire(&key, &someone, Duration::from_secs(30)).await.expect("ok");
    *nodes[2].delay.lock().expect("delay") = Duration::ZERO;
    nodes[2].down.store(true, Ordering::SeqCst);
    assert_eq!(q.inspect(&key).await.expect("two nodes answered"), None);
    // With only one answer nothing can be said.
    nodes[1].down.store(true, Ordering::SeqCst);
    let e = q.inspect(&key).await.expect_err("one answer of three is not a reading");
    assert!(e.message().contains("1 refused, 2 failed"), "{e}");
}

/// A holder may still reach a majority through a slow node: `inspect` waits for it rather than
/// report the lock free after two split answers.
#[tokio::test(start_paused = true)]
async fn inspect_waits_while_a_holder_can_still_reach_a_majority() {
    let nodes = nodes(3);
    let q = quorum(&nodes);
    let key = LockKey::with_default_prefix("split").expect("key");
    let holder = LockToken::generate().expect("token");
    for node in [&nodes[0], &nodes[2]] {
        node.inner.inner.try_acquire(&key, &holder, Duration::from_secs(30)).await.expect("ok");
    }
    *nodes[2].delay.lock().expect("delay") = Duration::from_millis(50);
    let info = q.inspect(&key).await.expect("answered").expect("held by a majority");
    assert_eq!(info.holder, holder);
}

/// A release watch registered on a majority is enough: a slow node does not hold up the waiter.
#[tokio::test(start_paused = true)]
async fn watching_needs_only_a_majority_of_nodes() {
    let nodes = nodes(3);
    let q = quorum(&nodes);
    let key = LockKey::with_default_prefix("watched").expect("key");
    *nodes[2].delay.lock().expect("delay") = Duration::from_millis(150);
    let started = tokio::time::Instant::now();
    let _watch = q.watch_release(&key).await.expect("a watch");
    assert!(started.elapsed() < Duration::from_millis(150), "waited for the slow node");
}

/// A majority's answers are not the whole reading: a later node can raise it (an extension that
/// reached a majority without the first node to answer `inspect`). So `inspect` waits for every
/// node whose calls answer, and reports the lock as lasting while a majority still has it.
#[tokio::test(start_paused = true)]
async fn inspect_waits_for_every_answering_node() {
    let nodes = nodes(3);
    let q = quorum(&nodes);
    let key = LockKey::with_default_prefix("extended").expect("key");
    let holder = LockToken::generate().expect("token");
    for (node, secs) in nodes.iter().zip([30, 1, 30]) {
        let ttl = Duration::from_secs(secs);
        node.inner.inner.try_acquire(&key, &holder, ttl).await.expect("ok");
    }
    *nodes[2].delay.lock().expect("delay") = Duration::from_millis(50);
    let info = q.inspect(&key).await.expect("answered").expect("held by a majority");
    assert_eq!(info.holder, holder);
    let left = info.ttl_remaining.expect("an expiry");
    assert!(left > Duration::from_secs(29), "reported {left:?}: the slow node's 30 s was not read");
}

/// A node whose last call failed is not waited for once a holder has a majority, so a dead
/// node does not hold up every read for the node timeout; once it answers again, it is.
#[tokio::test(start_paused = true)]
async fn inspect_does_not_wait_for_a_failing_node() {
    let nodes = nodes(3);
    let q = quorum(&nodes);
    let key = LockKey::with_default_prefix("failing").expect("key");
    let holder = LockToken::generate().expect("token");
    for node in &nodes[..2] {
        node.inner.inner.try_acquire(&key, &holder, Duration::from_secs(30)).await.expect("ok");
    }
    nodes[2].down.store(true, Ordering::SeqCst);
    q.inspect(&key).await.expect("two nodes answered").expect("held");
    nodes[2].down.store(false, Ordering::SeqCst);
    *nodes[2].delay.lock().expect("delay") = Duration::from_millis(150);
    let started = tokio::time::Instant::now();
    q.inspect(&key).await.expect("two nodes answered").expect("held");
    assert!(started.elapsed() < Duration::from_millis(150), "waited for the failing node");
    // An extension reaches it again: from then on its answers are waited for.
    assert!(matches!(
        q.extend(&key, &holder, Duration::from_secs(30)).await,
        Ok(lock_core::backend::ExtendOutcome::Extended)
    ));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = tokio::time::Instant::now();
    q.inspect(&key).await.expect("three nodes answered").expect("held");
    assert!(started.elapsed() >= Duration::from_millis(150), "did not wait for the node");
}

/// A quorum offers no semaphores (majorities would not bound the holders), and says so.
#[tokio::test]
async fn a_quorum_has_no_semaphores() {
    let nodes = nodes(3);
    let locks = LockManager::new(quorum(&nodes));
    let e = locks.semaphore("pool", 2).expect_err("no semaphores on a quorum");
    assert!(matches!(e, Error::Unsupported { operation: "semaphores", .. }), "{e}");
}

/// E1 on a quorum: an extension reaches every node that holds the token, a straggler included,
/// and `inspect` reads a node only after this quorum's calls in flight there. Here node 2's
/// grant comes 60 ms late, so its extension queues behind it and lands after `extend` returned
/// (at the majority). Before, that extension was dropped, and `inspect` read node 2's first ttl:
/// with one of the two promptly extended nodes not answering, the quorum reported the old ttl
/// (the CI flake "ttl after extending to 1.5 s: Some(248ms)").
#[tokio::test(start_paused = true)]
async fn an_extension_reaches_the_straggler_too() {
    let ms = Duration::from_millis;
    let nodes = nodes(3);
    *nodes[2].delay.lock().expect("delay") = ms(60);
    let q = quorum(&nodes);
    let key = LockKey::with_default_prefix("straggler").expect("key");
    let holder = LockToken::generate().expect("token");
    let outcome = q.try_acquire(&key, &holder, ms(500)).await.expect("answer");
    assert!(matches!(outcome, AcquireOutcome::Acquired { .. }), "{outcome:?}");
    let extended = q.extend(&key, &holder, ms(1_500)).await.expect("answer");
    assert_eq!(extended, lock_core::backend::ExtendOutcome::Extended);
    // At once, with one of the prompt nodes not answering: node 2 is read after its extension
    // (granted at 60 ms, extended at 120 ms, read at 180 ms), not at its first 500 ms.
    nodes[0].down.store(true, Ordering::SeqCst);
    let info = q.inspect(&key).await.expect("two nodes answered").expect("held");
    let left = info.ttl_remaining.expect("an expiry");
    assert!(left > ms(1_000), "reported {left:?}: the straggler's first ttl was read");
    nodes[0].down.store(false, Ordering::SeqCst);
    tokio::time::sleep(ms(600)).await;
    // Past the first ttl: every node still holds the lock.
    for (i, node) in nodes.iter().enumerate() {
        let info = node.inner.inner.inspect(&key).await.expect("inspect");
        assert_eq!(info.map(|i| i.holder).as_ref(), Some(&holder), "node {i} lost the lock");
    }
}

/// An extension the caller stopped waiting for (the node answered past the node timeout) is
/// still sent in its turn: the slow node keeps the lock past its first ttl.
#[tokio::test(start_paused = true)]
async fn an_extension_still_reaches_a_node_past_the_timeout() {
    let ms = Duration::from_millis;
    let nodes = nodes(3);
    *nodes[2].delay.lock().expect("delay") = ms(250);
    let q = quorum(&nodes);
    let key = LockKey::with_default_prefix("past-timeout").expect("key");
    let holder = LockToken::generate().expect("token");
    let outcome = q.try_acquire(&key, &holder, ms(3_000)).await.expect("answer");
    assert!(matches!(outcome, AcquireOutcome::Acquired { .. }), "{outcome:?}");
    let extended = q.extend(&key, &holder, ms(10_000)).await.expect("answer");
    assert_eq!(extended, lock_core::backend::ExtendOutcome::Extended);
    // Node 2 granted at 250 ms for 3 s; its extension lands at 500 ms.
    tokio::time::sleep(ms(4_000)).await;
    let info = nodes[2].inner.inner.inspect(&key).await.expect("inspect");
    assert_eq!(info.map(|i| i.holder).as_ref(), Some(&holder), "node 2 was never extended");
}

/// A vote that can no longer win is lost at once, not at a failing node's timeout: with one node
/// of three failing (its last call failed) and another held elsewhere, our grant on the third
/// is given back as soon as the held node refuses. Before, the vote waited for the failing node
/// and kept its grant meanwhile; contenders of a quorum with a dead node then split every vote
/// (the conformance case `quorum_one_dead::overlapping_sets_all_make_progress` hung for 30 s
/// about one run in ten).
#[tokio::test(start_paused = true)]
async fn a_vote_out_of_reach_is_lost_without_waiting_for_a_failing_node() {
    let ms = Duration::from_millis;
    let nodes = nodes(3);
    nodes[1].down.store(true, Ordering::SeqCst);
    *nodes[1].delay.lock().expect("delay") = ms(150);
    let q = quorum(&nodes);
    // A first call finds node 1 failing.
    let warm_up = LockKey::with_default_prefix("warm-up").expect("key");
    let token = LockToken::generate().expect("token");
    q.try_acquire(&warm_up, &token, Duration::from_secs(10)).await.expect("two nodes answer");
    tokio::time::sleep(ms(200)).await;
    let key = LockKey::with_default_prefix("out-of-reach").expect("key");
    let (other, ours) =
        (LockToken::generate().expect("token"), LockToken::generate().expect("token"));
    nodes[2]
        .inner
        .inner
        .try_acquire(&key, &other, Duration::from_secs(30))
        .await
        .expect("pre-hold");
    let started = tokio::time::Instant::now();
    let outcome = q.try_acquire(&key, &ours, Duration::from_secs(10)).await.expect("answer");
    assert!(matches!(outcome, AcquireOutcome::Held { .. }), "{outcome:?}");
    assert!(started.elapsed() < ms(50), "the lost vote waited {:?}", started.elapsed());
    let left = nodes[0].inner.inner.inspect(&key).await.expect("inspect");
    assert!(left.is_none(), "our grant on node 0 was not given back: {left:?}");
}

/// A waiter's look when the holder's reported ttl runs out may find the lock still held for a
/// little longer (a quorum's nodes expire a few milliseconds apart): that refusal's ttl is a
/// new hint, not the end of the looks. Before, the second hint was dropped and the waiter slept
/// out its 20 s backoff (to its 10 s deadline): the conformance case
/// `quorum_one_dead::waiter_sleeps_no_longer_than_the_holders_ttl` failed under load that way.
#[tokio::test(start_paused = true)]
async fn a_look_that_finds_the_holder_still_there_takes_its_new_hint() {
    let ms = Duration::from_millis;
    let nodes = nodes(3);
    nodes[1].down.store(true, Ordering::SeqCst);
    let key = LockKey::with_default_prefix("expiring").expect("key");
    let other = LockToken::generate().expect("token");
    for (node, ttl) in [(0, 400), (2, 450)] {
        nodes[node].inner.inner.try_acquire(&key, &other, ms(ttl)).await.expect("pre-hold");
    }
    let locks = LockManager::new(quorum(&nodes));
    let started = tokio::time::Instant::now();
    let guard = locks
        .lock("expiring")
        .retry(RetryPolicy::fixed(Duration::from_secs(20)))
        .wait(Duration::from_secs(10))
        .acquire()
        .await
        .expect("acquired");
    let waited = started.elapsed();
    assert!(
        waited >= ms(450) && waited < ms(600),
        "waited {waited:?} for a holder with 450 ms left"
    );
    guard.release().await.expect("release");
}
