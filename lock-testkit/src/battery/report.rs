//! What one scenario run measured.

use std::fmt;
use std::io::Write;

/// Environment variable: append every scenario report, one JSON object per line, to this file.
pub const REPORT_ENV: &str = "LOCK_BATTERY_REPORT";

/// Figures of one scenario run (the rows of SAFETY.md).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScenarioReport {
    /// Scenario id and name, e.g. `B0 baseline`.
    pub scenario: String,
    /// Backend name.
    pub backend: String,
    /// Whether the fault stays inside the timing model (then 0 overlaps is required).
    pub inside_model: bool,
    /// Critical sections completed.
    pub critical_sections: u64,
    /// Acquire or release calls that returned an error (faults make some).
    pub errors: u64,
    /// C1: overlapping claimed intervals.
    pub overlaps: u64,
    /// C2: fencing tokens out of real-time order.
    pub fence_inversions: u64,
    /// C3(i): updates of the unfenced counter lost (sections minus final count).
    pub lost_updates: u64,
    /// C3(ii): writes the fenced register refused (detections of a superseded holder, plus
    /// any [`Self::current_rejected`]).
    pub stale_rejected: u64,
    /// C3(ii): stale writes the fenced register accepted (must be 0).
    pub stale_accepted: u64,
    /// C3(ii): writes by the current holder that the fenced register refused (must be 0: a
    /// fence not above an earlier holder's shuts the rightful holder out).
    pub current_rejected: u64,
    /// Guarded writes (`LockHandle::write`, plain and fenced) by a holder whose lock was gone
    /// that the store refused.
    pub guarded_rejected: u64,
    /// Guarded writes by a holder whose lock was gone that the store applied (must be 0).
    pub guarded_accepted: u64,
    /// Holders told by `lost()` that their lock was gone.
    pub losses_signalled: u64,
    /// C4: lock keys, channels and tasks left after quiescence.
    pub leaked_keys: u64,
    /// C4: pub/sub channels left.
    pub leaked_channels: u64,
    /// C4: tokio tasks left beyond the baseline.
    pub leaked_tasks: u64,
    /// C5: panics.
    pub panics: u64,
    /// Time from the end of the fault to the next successful acquisition, in ms.
    pub recovery_ms: Option<u64>,
    /// Wall time of the scenario, in ms.
    pub duration_ms: u64,
}

impl ScenarioReport {
    /// One JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// Appends the JSON line to the file named by [`REPORT_ENV`], if set.
    pub fn save(&self) {
        let Ok(path) = std::env::var(REPORT_ENV) else { return };
        if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(file, "{}", self.to_json());
        }
    }
}

impl fmt::Display for ScenarioReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}] {}: {} sections, {} errors, {} overlaps, {} fence inversions, {} lost updates, \
             stale writes {} rejected / {} accepted, stale guarded writes {} rejected / {} accepted, {} current holders rejected, {} losses signalled, leaks {}k/{}c/{}t, {} panics, recovery {}, {} ms",
            self.scenario,
            self.backend,
            if self.inside_model { "inside the timing model" } else { "outside the timing model" },
            self.critical_sections,
            self.errors,
            self.overlaps,
            self.fence_inversions,
            self.lost_updates,
            self.stale_rejected,
            self.stale_accepted,
            self.guarded_rejected,
            self.guarded_accepted,
            self.current_rejected,
            self.losses_signalled,
            self.leaked_keys,
            self.leaked_channels,
            self.leaked_tasks,
            self.panics,
            self.recovery_ms.map_or("n/a".to_owned(), |r| format!("{r} ms")),
            self.duration_ms
        )
    }
}

#[cfg(test)]
mod tests {
    use super::ScenarioReport;

    #[test]
    fn json_lines_parse_back_whatever_the_names() {
        let report = ScenarioReport {
            scenario: "B0 \"quoted\" \\ name".to_owned(),
            backend: "redis".to_owned(),
            overlaps: 3,
            recovery_ms: Some(12),
            ..ScenarioReport::default()
        };
        let value: serde_json::Value = serde_json::from_str(&report.to_json()).expect("valid JSON");
        assert_eq!(value["scenario"], "B0 \"quoted\" \\ name");
        assert_eq!(value["overlaps"], 3);
        assert_eq!(value["recovery_ms"], 12);
        assert!(
            serde_json::from_str::<serde_json::Value>(&ScenarioReport::default().to_json())
                .expect("valid JSON")["recovery_ms"]
                .is_null()
        );
    }
}
