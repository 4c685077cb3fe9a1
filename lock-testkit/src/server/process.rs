//! One child process, with a watchdog that kills it if the test process dies first.

use std::io;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// A running server process. Dropping it kills it.
#[derive(Debug)]
pub(crate) struct Process {
    child: Child,
    watchdog: Option<Child>,
}

impl Process {
    /// Starts `program args...` in `dir`, plus a watchdog shell that kills it (by pid, after
    /// checking it is still the process it started: the same name in `/proc/<pid>/comm`, so a
    /// server binary of another name, such as `valkey-server`, is covered) once this test
    /// process is gone, so a crashed or aborted test run leaves no server behind.
    pub(crate) fn start(program: &Path, args: &[String], dir: &Path) -> io::Result<Self> {
        let child = Command::new(program)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let script = "name=$(cat /proc/$2/comm 2>/dev/null); \
                      while kill -0 \"$1\" 2>/dev/null; do sleep 0.5; done; \
                      if [ -n \"$name\" ] && [ \"$(cat /proc/$2/comm 2>/dev/null)\" = \"$name\" ]; then \
                      kill -9 \"$2\"; fi";
        let watchdog = Command::new("sh")
            .args(["-c", script, "lock-testkit-watchdog"])
            .arg(std::process::id().to_string())
            .arg(child.id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok();
        Ok(Self { child, watchdog })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn signal(&self, signal: Signal) -> io::Result<()> {
        let pid = i32::try_from(self.pid()).map_err(|_| io::Error::other("pid out of range"))?;
        kill(Pid::from_raw(pid), signal).map_err(io::Error::from)
    }

    /// Whether the process has exited.
    pub(crate) fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Kills (SIGKILL) and reaps the process and its watchdog.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}
