//! `lockctl bench --smoke` (every measurement for a moment) runs to the end and reports every
//! row it promises (feature `bench`; CI runs it with `--features lock-cli/bench`).

// Only `lockctl` of the shared helpers is used here.
#[allow(dead_code)]
mod support;

use lock_testkit::server::redis_available;
use support::lockctl;

#[test]
fn quick_bench_reports_every_row() {
    if !redis_available() {
        return;
    }
    let run = lockctl(&[
        "bench",
        "--smoke",
        "--json",
        "--only",
        "uncontended",
        "--only",
        "contended",
        "--only",
        "family",
        "--only",
        "peers",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let report = run.json();
    let rows = report["uncontended"].as_array().expect("uncontended rows");
    assert_eq!(rows.len(), 12, "two backends × fencing on and off × 1, 16, 64 tasks: {report}");
    for row in rows {
        for field in ["cycles_per_s", "ceiling_cycles_per_s", "protocol_cycles_per_s"] {
            assert!(row[field].as_f64().is_some_and(|v| v > 0.0), "{field} in {row}");
        }
        assert_eq!(row["commands_per_cycle"], 2.0, "{row}");
        let server = row["server_commands_per_cycle"].as_f64().expect("server commands");
        match row["fencing"].as_bool().expect("fencing flag") {
            // SET NX PX; EVALSHA release with GET and DEL inside (no PUBLISH: nobody waits).
            false => assert_eq!(server, 4.0, "{row}"),
            // EVALSHA with SET NX, TIME, SET … GET; the release's EVALSHA, GET, DEL.
            true => assert_eq!(server, 7.0, "{row}"),
        }
    }
    let contended = report["contended"].as_array().expect("contended rows");
    assert_eq!(
        contended.len(),
        15,
        "two backends × (1, 8, 64 managers × both modes + pollers), and the raw SET NX pollers"
    );
    let fair = contended.iter().filter(|row| row["mode"] == "fair").count();
    assert_eq!(fair, 6, "{report}");
    let raw = contended.iter().filter(|row| row["mode"] == "set-nx").count();
    assert_eq!(raw, 1, "{report}");
    for row in contended {
        assert!(
            ["fair", "manager", "set-nx"].contains(&row["mode"].as_str().unwrap_or("")),
            "{row}"
        );
        assert!(matches!(row["processes"].as_u64(), Some(1 | 8 | 64)), "{row}");
        let commands = row["server_commands_per_acquisition"].as_f64();
        assert!(commands.is_some_and(|c| c >= 2.0), "{row}");
    }
    let family = report["family"]["uncontended"].as_array().expect("family rows");
    assert_eq!(family.len(), 6, "permit, read and write × 1, 16 tasks: {report}");
    for row in family {
        assert!(row["protocol_cycles_per_s"].as_f64().is_some_and(|v| v > 0.0), "{row}");
        assert_eq!(row["commands_per_cycle"], 2.0, "{row}");
    }
    let peers = report["peers"].as_array().expect("peer rows");
    assert_eq!(peers.len(), 6, "rslock × fencing on and off × 1, 16, 64 tasks: {report}");
    for row in peers {
        for field in ["cycles_per_s", "peer_cycles_per_s", "ratio"] {
            assert!(row[field].as_f64().is_some_and(|v| v > 0.0), "{field} in {row}");
        }
    }
    let contended = &report["family"]["contended"];
    assert!(contended["writes_per_s"].as_f64().is_some_and(|v| v > 0.0), "{contended}");
    assert!(contended["reads_per_s"].as_f64().is_some_and(|v| v > 0.0), "{contended}");
}
