//! Running the real `lockctl` binary, and taking locks from the test.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use lock_redis::{LockManager, RedisBackend};

/// What one `lockctl` run printed.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// Stdout parsed as JSON.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    /// The one error line `main` prints, without `lockctl: `.
    pub(crate) fn error(&self) -> &str {
        assert_eq!(self.code, 1, "{self:?}");
        assert_eq!(self.stderr.lines().count(), 1, "one line expected: {self:?}");
        let line = self.stderr.trim_end();
        line.strip_prefix("lockctl: ").unwrap_or_else(|| panic!("no `lockctl: `: {self:?}"))
    }
}

fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lockctl"));
    cmd.args(args).env_remove("LOCKCTL_URL").stdin(Stdio::null());
    cmd
}

/// Runs `lockctl args...` with stdin closed, and waits for it.
pub(crate) fn lockctl(args: &[&str]) -> Run {
    lockctl_with_env(args, &[])
}

/// [`lockctl`] with these environment variables set.
pub(crate) fn lockctl_with_env(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Run {
    let mut cmd = command(args);
    cmd.envs(env.iter().copied());
    let Output { status, stdout, stderr } = cmd.output().expect("lockctl runs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// A running `lockctl` whose stdout lines arrive on a channel.
pub(crate) struct Spawned {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Spawned {
    /// Starts `lockctl args...`.
    pub(crate) fn start(args: &[&str]) -> Self {
        let mut child =
            command(args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("spawns");
        let stdout = child.stdout.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    /// The next line, within `timeout`.
    pub(crate) fn next_line(&self, timeout: Duration) -> Option<String> {
        self.lines.recv_timeout(timeout).ok()
    }

    /// Kills the process and returns the lines it printed that were not read yet.
    pub(crate) fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut rest = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            rest.push(line);
        }
        rest
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A manager on the standalone server at `url`.
pub(crate) async fn manager(url: &str) -> LockManager {
    LockManager::new(RedisBackend::connect(url).await.expect("connects"))
}

/// A manager on the cluster whose nodes are `urls`.
pub(crate) async fn cluster_manager(urls: Vec<String>) -> LockManager {
    LockManager::new(RedisBackend::connect_cluster(urls).await.expect("connects"))
}
