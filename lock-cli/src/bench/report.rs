//! The benchmark's results: one JSON object, or a table.

use serde::Serialize;

#[derive(Debug, Serialize)]
pub(crate) struct Uncontended {
    pub(crate) backend: &'static str,
    pub(crate) tasks: usize,
    /// Whether the lock side issued fencing tokens (the raw client never does).
    pub(crate) fencing: bool,
    pub(crate) cycles_per_s: f64,
    pub(crate) ceiling_cycles_per_s: f64,
    pub(crate) ratio: f64,
    pub(crate) p50_us: u64,
    pub(crate) p99_us: u64,
    pub(crate) ceiling_p50_us: u64,
    pub(crate) ceiling_p99_us: u64,
    pub(crate) commands_per_cycle: f64,
    pub(crate) ceiling_commands_per_cycle: f64,
    /// Commands the server executed per cycle, scripts' inner calls included.
    pub(crate) server_commands_per_cycle: f64,
    /// The same for the raw client's cycle.
    pub(crate) ceiling_server_commands_per_cycle: f64,
    /// The raw client running this library's scripts by hand (fencing and notification
    /// included): `cycles_per_s` over this is the library's own overhead, the rest of the gap
    /// to the ceiling is what the protocol costs the server.
    pub(crate) protocol_cycles_per_s: f64,
    pub(crate) protocol_ratio: f64,
}

#[derive(Debug, Serialize)]
pub(crate) struct Contended {
    pub(crate) backend: &'static str,
    pub(crate) notify: bool,
    /// How waiting is ordered: `"manager"`, first come first served within each manager, its
    /// head waiter racing the other managers' on each release; `"fair"`, one line in the store
    /// for every manager, each release handing the lock to the first in it; `"set-nx"`, the
    /// raw client's tasks polling `SET NX PX` back to back.
    pub(crate) mode: &'static str,
    /// Independent managers, each on its own connections (as separate processes).
    pub(crate) processes: usize,
    pub(crate) acquisitions_per_s: f64,
    pub(crate) handoff_p50_us: u64,
    pub(crate) handoff_p99_us: u64,
    pub(crate) wait_p99_us: u64,
    pub(crate) hold_us: u64,
    pub(crate) tasks: usize,
    /// The mean time a holder really held the lock.
    pub(crate) hold_measured_us: u64,
    /// Twice the round-robin bound, `2 × tasks × (hold + handoff p50)`: the fairness target for
    /// `wait_p99_us`.
    pub(crate) fair_bound_us: u64,
    /// Commands the server executed per acquisition (scripts' inner calls, subscriptions and
    /// the waiters' failed attempts included).
    pub(crate) server_commands_per_acquisition: f64,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct Refresh {
    pub(crate) locks: usize,
    pub(crate) losses: u64,
    /// Locks extended per second (each lock's `PEXPIRE`, inside the scripts).
    pub(crate) extends_per_s: f64,
    /// `EVALSHA` calls per second: what the server is asked, a batch of locks per call.
    pub(crate) script_calls_per_s: f64,
    pub(crate) bytes_per_lock: u64,
    /// CPU of the benchmark's process, in % of one core.
    pub(crate) cpu_percent: f64,
    /// CPU of `redis-server`, in % of one core (0 when the server cannot be asked).
    pub(crate) server_cpu_percent: f64,
    pub(crate) ttl_ms: u64,
    pub(crate) held_s: f64,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct Memory {
    pub(crate) cycles_per_s: f64,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct Report {
    pub(crate) uncontended: Vec<Uncontended>,
    pub(crate) contended: Vec<Contended>,
    pub(crate) refresh: Refresh,
    pub(crate) memory: Memory,
    /// Semaphore and reader-writer lock rows (additions to the schema).
    pub(crate) family: Family,
    /// lock-redis beside another Rust lock library (an addition to the schema).
    pub(crate) peers: Vec<Peer>,
}

/// One uncontended cycle of lock-redis (through the lock API) against the same cycle of
/// another library on the same server, measured in alternating rounds.
#[derive(Debug, Serialize)]
pub(crate) struct Peer {
    /// The other library and its version, e.g. `rslock 0.10`.
    pub(crate) library: &'static str,
    /// Whether lock-redis issued fencing tokens (the other library never does).
    pub(crate) fencing: bool,
    pub(crate) tasks: usize,
    pub(crate) cycles_per_s: f64,
    pub(crate) peer_cycles_per_s: f64,
    /// `cycles_per_s / peer_cycles_per_s`.
    pub(crate) ratio: f64,
    pub(crate) p50_us: u64,
    pub(crate) p99_us: u64,
    pub(crate) peer_p50_us: u64,
    pub(crate) peer_p99_us: u64,
}

/// The lock family's rows.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Family {
    pub(crate) uncontended: Vec<FamilyUncontended>,
    pub(crate) contended: Option<FamilyContended>,
}

/// One uncontended permit or read cycle: the lock API against the raw client sending the same
/// script calls.
#[derive(Debug, Serialize)]
pub(crate) struct FamilyUncontended {
    /// `permit` or `read`.
    pub(crate) kind: &'static str,
    pub(crate) backend: &'static str,
    pub(crate) tasks: usize,
    pub(crate) cycles_per_s: f64,
    pub(crate) protocol_cycles_per_s: f64,
    pub(crate) protocol_ratio: f64,
    pub(crate) p50_us: u64,
    pub(crate) p99_us: u64,
    pub(crate) commands_per_cycle: f64,
}

/// A reader-writer lock under a writer queue.
#[derive(Debug, Serialize)]
pub(crate) struct FamilyContended {
    pub(crate) writers: usize,
    pub(crate) readers: usize,
    pub(crate) writes_per_s: f64,
    pub(crate) reads_per_s: f64,
    pub(crate) write_handoff_p50_us: u64,
    pub(crate) write_handoff_p99_us: u64,
    pub(crate) write_wait_p99_us: u64,
}

impl Report {
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    pub(crate) fn print_table(&self) {
        println!(
            "uncontended (cycles/s; ceiling = the raw client, SET NX PX then EVALSHA compare-and-delete;"
        );
        println!(
            "             protocol = the raw client running this library's fenced, notifying scripts)"
        );
        println!(
            "{:<11} {:>6} {:>5} {:>10} {:>10} {:>6} {:>10} {:>6} {:>7} {:>7} {:>9} {:>9}",
            "backend",
            "fenced",
            "tasks",
            "cycles/s",
            "ceiling",
            "ratio",
            "protocol",
            "ratio",
            "p50 µs",
            "p99 µs",
            "cmds/cyc",
            "server/cyc"
        );
        for u in &self.uncontended {
            println!(
                "{:<11} {:>6} {:>5} {:>10.0} {:>10.0} {:>6.2} {:>10.0} {:>6.2} {:>7} {:>7} {:>9.2} {:>9.2}",
                u.backend,
                u.fencing,
                u.tasks,
                u.cycles_per_s,
                u.ceiling_cycles_per_s,
                u.ratio,
                u.protocol_cycles_per_s,
                u.protocol_ratio,
                u.p50_us,
                u.p99_us,
                u.commands_per_cycle,
                u.server_commands_per_cycle
            );
        }
        println!(
            "\ncontended (one key, 1 ms hold; fair bound = 2 × tasks × (measured hold + handoff p50))"
        );
        println!(
            "{:<11} {:>7} {:>7} {:>5} {:>5} {:>10} {:>13} {:>13} {:>11} {:>11} {:>8}",
            "backend",
            "notify",
            "mode",
            "procs",
            "tasks",
            "acq/s",
            "handoff p50",
            "handoff p99",
            "wait p99",
            "fair bound",
            "cmds/acq"
        );
        for c in &self.contended {
            println!(
                "{:<11} {:>7} {:>7} {:>5} {:>5} {:>10.0} {:>10} µs {:>10} µs {:>8} µs {:>8} µs {:>8.1}",
                c.backend,
                c.notify,
                c.mode,
                c.processes,
                c.tasks,
                c.acquisitions_per_s,
                c.handoff_p50_us,
                c.handoff_p99_us,
                c.wait_p99_us,
                c.fair_bound_us,
                c.server_commands_per_acquisition
            );
        }
        let r = &self.refresh;
        println!(
            "\nrefresh: {} locks, {} losses, {:.0} extends/s in {:.0} script calls/s, {} B per lock, {:.1}% CPU client, {:.1}% CPU server",
            r.locks,
            r.losses,
            r.extends_per_s,
            r.script_calls_per_s,
            r.bytes_per_lock,
            r.cpu_percent,
            r.server_cpu_percent
        );
        println!("memory: {:.0} cycles/s on one task", self.memory.cycles_per_s);
        if !self.family.uncontended.is_empty() {
            println!(
                "\nfamily (cycles/s; protocol = the raw client sending the same script calls)"
            );
            println!(
                "{:<7} {:<11} {:>5} {:>10} {:>10} {:>6} {:>7} {:>7} {:>9}",
                "kind",
                "backend",
                "tasks",
                "cycles/s",
                "protocol",
                "ratio",
                "p50 µs",
                "p99 µs",
                "cmds/cyc"
            );
        }
        for f in &self.family.uncontended {
            println!(
                "{:<7} {:<11} {:>5} {:>10.0} {:>10.0} {:>6.2} {:>7} {:>7} {:>9.2}",
                f.kind,
                f.backend,
                f.tasks,
                f.cycles_per_s,
                f.protocol_cycles_per_s,
                f.protocol_ratio,
                f.p50_us,
                f.p99_us,
                f.commands_per_cycle
            );
        }
        if !self.peers.is_empty() {
            println!("\npeers (cycles/s, uncontended; lock-redis through the lock API)");
            println!(
                "{:<12} {:>6} {:>5} {:>10} {:>10} {:>6} {:>7} {:>7} {:>9} {:>9}",
                "library",
                "fenced",
                "tasks",
                "ours",
                "theirs",
                "ratio",
                "p50 µs",
                "p99 µs",
                "their p50",
                "their p99"
            );
        }
        for p in &self.peers {
            println!(
                "{:<12} {:>6} {:>5} {:>10.0} {:>10.0} {:>6.2} {:>7} {:>7} {:>9} {:>9}",
                p.library,
                p.fencing,
                p.tasks,
                p.cycles_per_s,
                p.peer_cycles_per_s,
                p.ratio,
                p.p50_us,
                p.p99_us,
                p.peer_p50_us,
                p.peer_p99_us
            );
        }
        if let Some(c) = &self.family.contended {
            println!(
                "rw lock, {} writers + {} readers: {:.0} writes/s, {:.0} reads/s, write handoff p50 {} µs p99 {} µs, write wait p99 {} µs",
                c.writers,
                c.readers,
                c.writes_per_s,
                c.reads_per_s,
                c.write_handoff_p50_us,
                c.write_handoff_p99_us,
                c.write_wait_p99_us
            );
        }
    }
}
