//! The benchmark's results: one JSON object, or a table.

use serde::Serialize;

#[derive(Debug, Serialize)]
pub(crate) struct Uncontended {
    pub(crate) backend: &'static str,
    pub(crate) tasks: usize,
    pub(crate) cycles_per_s: f64,
    pub(crate) ceiling_cycles_per_s: f64,
    pub(crate) ratio: f64,
    pub(crate) p50_us: u64,
    pub(crate) p99_us: u64,
    pub(crate) ceiling_p50_us: u64,
    pub(crate) ceiling_p99_us: u64,
    pub(crate) commands_per_cycle: f64,
    pub(crate) ceiling_commands_per_cycle: f64,
}

#[derive(Debug, Serialize)]
pub(crate) struct Contended {
    pub(crate) backend: &'static str,
    pub(crate) notify: bool,
    pub(crate) acquisitions_per_s: f64,
    pub(crate) handoff_p50_us: u64,
    pub(crate) handoff_p99_us: u64,
    pub(crate) wait_p99_us: u64,
    pub(crate) hold_us: u64,
    pub(crate) tasks: usize,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct Refresh {
    pub(crate) locks: usize,
    pub(crate) losses: u64,
    pub(crate) extends_per_s: f64,
    pub(crate) bytes_per_lock: u64,
    pub(crate) cpu_percent: f64,
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
}

impl Report {
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    pub(crate) fn print_table(&self) {
        println!("uncontended (cycles/s; ceiling = the raw client doing the same two round trips)");
        println!(
            "{:<11} {:>5} {:>11} {:>11} {:>6} {:>7} {:>7} {:>9}",
            "backend", "tasks", "cycles/s", "ceiling", "ratio", "p50 µs", "p99 µs", "cmds/cyc"
        );
        for u in &self.uncontended {
            println!(
                "{:<11} {:>5} {:>11.0} {:>11.0} {:>6.2} {:>7} {:>7} {:>9.2}",
                u.backend,
                u.tasks,
                u.cycles_per_s,
                u.ceiling_cycles_per_s,
                u.ratio,
                u.p50_us,
                u.p99_us,
                u.commands_per_cycle
            );
        }
        println!("\ncontended (8 tasks, one key, 1 ms hold)");
        println!(
            "{:<11} {:>7} {:>10} {:>13} {:>13} {:>11}",
            "backend", "notify", "acq/s", "handoff p50", "handoff p99", "wait p99"
        );
        for c in &self.contended {
            println!(
                "{:<11} {:>7} {:>10.0} {:>10} µs {:>10} µs {:>8} µs",
                c.backend,
                c.notify,
                c.acquisitions_per_s,
                c.handoff_p50_us,
                c.handoff_p99_us,
                c.wait_p99_us
            );
        }
        let r = &self.refresh;
        println!(
            "\nrefresh: {} locks, {} losses, {:.0} extends/s, {} B per lock, {:.1}% CPU",
            r.locks, r.losses, r.extends_per_s, r.bytes_per_lock, r.cpu_percent
        );
        println!("memory: {:.0} cycles/s on one task", self.memory.cycles_per_s);
    }
}
