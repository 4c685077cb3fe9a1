//! Locks shared with the lock libraries of other languages, run here beside ours on one
//! `redis-server`: redis-py's `Lock` and python-redis-lock (PyPI), node-redlock v4 (npm). Each
//! runs in a small agent process (`lock-client-tests/foreign/agent.py`, `agent.js`) that takes
//! and releases its library's locks on command. `.ci/foreign-clients` installs the libraries
//! (pinned) into `target/foreign-clients`; without them these tests say so and pass, unless
//! `LOCK_TEST_REQUIRE_FOREIGN_CLIENTS` is set (as `.ci/run` sets it).
//!
//! Our lock `job` is the key `lock:job` holding the holder's token, with a ttl: redis-py and
//! node-redlock take it by that key, python-redis-lock by the name `job` (it adds the same
//! `lock:`).

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use lock_client_tests::{Client, client_tests};
use lock_redis::{ConnectOptions, KeyspaceEvents, LockManager};
use lock_testkit::server::{RedisServer, redis_available};
use tokio::sync::mpsc;

client_tests! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    redis_py_locks_and_ours_exclude_each_other,
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    python_redis_lock_and_ours_exclude_each_other,
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    node_redlock_and_ours_exclude_each_other,
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    their_waiters_see_our_release_at_their_next_look,
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    our_waiters_see_a_python_redis_lock_release,
}

/// Where `.ci/foreign-clients` installed the libraries, or `None` (said on stderr) when it did
/// not and nothing requires them.
fn installed() -> Option<PathBuf> {
    let dir = std::env::var_os("LOCK_FOREIGN_DIR").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/foreign-clients")
    });
    if dir.join("venv/bin/python").exists() && dir.join("node_modules/redlock").exists() {
        return Some(dir);
    }
    let missing = format!("the foreign lock libraries are not in {}", dir.display());
    if std::env::var_os("LOCK_TEST_REQUIRE_FOREIGN_CLIENTS").is_some() {
        panic!("{missing}: run .ci/foreign-clients");
    }
    eprintln!("skipped: {missing} (run .ci/foreign-clients)");
    None
}

/// One agent process holding another library's locks.
struct Agent {
    child: Child,
    stdin: ChildStdin,
    answers: mpsc::UnboundedReceiver<String>,
}

impl Agent {
    fn python(dir: &std::path::Path, port: u16) -> Self {
        let mut command = Command::new(dir.join("venv/bin/python"));
        command.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/foreign/agent.py"));
        Self::spawn(command, port)
    }

    fn node(dir: &std::path::Path, port: u16) -> Self {
        let mut command = Command::new("node");
        command.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/foreign/agent.js"));
        command.env("NODE_PATH", dir.join("node_modules"));
        Self::spawn(command, port)
    }

    fn spawn(mut command: Command, port: u16) -> Self {
        let mut child = command
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the agent starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, answers) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Self { child, stdin, answers }
    }

    fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").expect("the agent reads");
    }

    /// The next answer, if one comes within `limit`.
    async fn answer(&mut self, limit: Duration) -> Option<String> {
        tokio::time::timeout(limit, self.answers.recv()).await.ok().flatten()
    }

    /// Sends `command` and returns its answer (within 10 s: an interpreter starting on a busy
    /// machine).
    async fn ask(&mut self, command: &str) -> String {
        self.send(command);
        self.answer(Duration::from_secs(10)).await.unwrap_or_else(|| panic!("{command}: no answer"))
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const TTL: Duration = Duration::from_secs(30);

/// Ours refuses theirs and theirs refuses ours, each way, through `agent`'s `take` command.
async fn exclusion<C: Client>(server: &RedisServer, mut agent: Agent, take: &str) {
    let locks = LockManager::new(C::connect(&server.url()).await.expect("connect"));
    let ours = locks.try_lock("job", TTL).await.expect("ok").expect("free");
    assert_eq!(agent.ask(take).await, "no", "{take} while we hold it");
    ours.release().await.expect("release");
    assert_eq!(agent.ask(take).await, "ok", "{take} once we released it");
    assert!(locks.try_lock("job", TTL).await.expect("ok").is_none(), "ours while {take} holds");
    assert!(locks.is_locked("job").await.expect("ok"), "is_locked sees their lock");
    assert_eq!(agent.ask("release").await, "ok");
    let again = locks.try_lock("job", TTL).await.expect("ok").expect("free after their release");
    again.release().await.expect("release");
}

async fn redis_py_locks_and_ours_exclude_each_other<C: Client>() {
    let Some(dir) = installed().filter(|_| redis_available()) else { return };
    let server = RedisServer::spawn().expect("spawn");
    exclusion::<C>(&server, Agent::python(&dir, server.port()), "redis-py lock:job 30000 0").await;
}

async fn python_redis_lock_and_ours_exclude_each_other<C: Client>() {
    let Some(dir) = installed().filter(|_| redis_available()) else { return };
    let server = RedisServer::spawn().expect("spawn");
    let agent = Agent::python(&dir, server.port());
    exclusion::<C>(&server, agent, "python-redis-lock job 30 0").await;
}

async fn node_redlock_and_ours_exclude_each_other<C: Client>() {
    let Some(dir) = installed().filter(|_| redis_available()) else { return };
    let server = RedisServer::spawn().expect("spawn");
    exclusion::<C>(&server, Agent::node(&dir, server.port()), "redlock lock:job 30000").await;
}

/// How long after our release a waiter of theirs, blocked on `job` by `take`, gets it.
async fn woken_after_our_release<C: Client>(
    server: &RedisServer,
    agent: &mut Agent,
    take: &str,
) -> Duration {
    let locks = LockManager::new(C::connect(&server.url()).await.expect("connect"));
    let ours = locks.try_lock("job", TTL).await.expect("ok").expect("free");
    agent.send(take);
    assert_eq!(agent.answer(Duration::from_millis(300)).await, None, "{take} waits while we hold");
    let released = Instant::now();
    ours.release().await.expect("release");
    let answer = agent.answer(Duration::from_secs(10)).await;
    let woken = released.elapsed();
    assert_eq!(answer.as_deref(), Some("ok"), "{take} after our release");
    assert_eq!(agent.ask("release").await, "ok");
    woken
}

/// redis-py's waiters poll (every 0.1 s): they get the lock right after our release.
/// python-redis-lock's waiters block on `BLPOP lock-signal:<name>`, which only its own releases
/// push to: after ours they wait out the BLPOP, whose timeout is the lock's expire (2 s here;
/// with no expire they block until one of its own releases pushes the signal).
async fn their_waiters_see_our_release_at_their_next_look<C: Client>() {
    let Some(dir) = installed().filter(|_| redis_available()) else { return };
    let server = RedisServer::spawn().expect("spawn");
    let mut agent = Agent::python(&dir, server.port());
    let polled =
        woken_after_our_release::<C>(&server, &mut agent, "redis-py lock:job 30000 1").await;
    assert!(polled < Duration::from_secs(1), "redis-py's waiter got it {polled:?} after");
    let blocked =
        woken_after_our_release::<C>(&server, &mut agent, "python-redis-lock job 2 1").await;
    assert!(
        blocked > Duration::from_secs(1) && blocked < Duration::from_secs(4),
        "python-redis-lock's waiter got it {blocked:?} after our release, not at its BLPOP timeout"
    );
    eprintln!("after our release: redis-py's waiter {polled:?}, python-redis-lock's {blocked:?}");
    // With no expire, its BLPOP has no timeout: our release never reaches it.
    let locks = LockManager::new(C::connect(&server.url()).await.expect("connect"));
    let ours = locks.try_lock("quiet", TTL).await.expect("ok").expect("free");
    agent.send("python-redis-lock quiet 0 1");
    assert_eq!(agent.answer(Duration::from_millis(300)).await, None, "it waits while we hold");
    ours.release().await.expect("release");
    let answer = agent.answer(Duration::from_secs(2)).await;
    assert_eq!(answer, None, "a python-redis-lock waiter without expire saw our release");
    assert!(!locks.is_locked("quiet").await.expect("ok"), "the lock stayed free meanwhile");
}

/// How long after python-redis-lock's release our waiter gets the lock, over `backend`.
async fn our_waiter_after_their_release<C: Client>(
    server: &RedisServer,
    dir: &std::path::Path,
    backend: C,
) -> Duration {
    let locks = LockManager::new(backend);
    let mut agent = Agent::python(dir, server.port());
    assert_eq!(agent.ask("python-redis-lock job 30 0").await, "ok");
    let waiter = tokio::spawn(async move {
        let guard = locks.lock("job").ttl(TTL).wait(Duration::from_secs(20)).acquire().await;
        (guard, Instant::now())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let released = Instant::now();
    assert_eq!(agent.ask("release").await, "ok");
    let (guard, got) = waiter.await.expect("the waiter");
    guard.expect("acquired after their release").release().await.expect("release");
    got.saturating_duration_since(released)
}

/// python-redis-lock's release deletes the key without publishing on our channel. With
/// keyspace notifications on (`notify-keyspace-events` with `K` and `g`, and
/// `ConnectOptions::keyspace_events`), the `DEL` wakes our waiter at once; without them it
/// looks again at its backoff, bounded by the retry policy's longest delay.
async fn our_waiters_see_a_python_redis_lock_release<C: Client>() {
    let Some(dir) = installed().filter(|_| redis_available()) else { return };
    let plain = RedisServer::spawn().expect("spawn");
    let backend = C::connect(&plain.url()).await.expect("connect");
    let polled = our_waiter_after_their_release(&plain, &dir, backend).await;
    let notifying =
        RedisServer::builder().config("notify-keyspace-events KEA").spawn().expect("spawn");
    let options = ConnectOptions::new().keyspace_events(KeyspaceEvents::On);
    let (how, backend) = C::constructors(&notifying.url(), options).remove(0);
    let backend = backend.await.unwrap_or_else(|e| panic!("{how}: {e}"));
    let woken = our_waiter_after_their_release(&notifying, &dir, backend).await;
    assert!(
        woken < Duration::from_secs(1),
        "woken {woken:?} after their DEL, with keyspace events"
    );
    assert!(polled < Duration::from_secs(5), "looked again {polled:?} after their release");
    eprintln!(
        "after python-redis-lock's release: ours {woken:?} with keyspace events, {polled:?} without"
    );
}
