//! C4: what is left once every client stopped and every lock's ttl passed.

use crate::failure::Failure;
use crate::server::RedisServer;

fn io(e: std::io::Error) -> Failure {
    Failure::new(format!("admin connection: {e}"), "quiesce")
}

/// Lock keys under `prefix` on `nodes` (fencing counters excluded: they are kept on purpose),
/// and pub/sub channels (classic and sharded) under `prefix`.
pub(crate) fn leftovers(nodes: &[&RedisServer], prefix: &str) -> Result<(u64, u64), Failure> {
    let pattern = format!("{prefix}*");
    let (mut keys, mut channels) = (0, 0);
    for node in nodes.iter().filter(|n| n.is_running()) {
        let mut admin = node.admin().map_err(io)?;
        // Replicas may still list keys that expired on their master: count masters only.
        let role = admin.cmd(&["INFO", "replication"]).map_err(io)?.text().unwrap_or_default();
        if role.contains("role:slave") {
            continue;
        }
        let mut cursor = "0".to_owned();
        loop {
            let page =
                admin.cmd(&["SCAN", &cursor, "MATCH", &pattern, "COUNT", "1000"]).map_err(io)?;
            let items = page.items();
            cursor = items.first().and_then(|c| c.text()).unwrap_or_else(|| "0".to_owned());
            if let Some(batch) = items.get(1) {
                keys += batch
                    .items()
                    .iter()
                    .filter_map(|k| k.text())
                    .filter(|k| !k.contains("~fence{"))
                    // Guarded writes' data and their fence records are the user's data, kept
                    // on purpose.
                    .filter(|k| !k.contains("~data{") && !k.contains("~written{"))
                    .count() as u64;
            }
            if cursor == "0" {
                break;
            }
        }
        for list in ["CHANNELS", "SHARDCHANNELS"] {
            let found = admin.cmd(&["PUBSUB", list, &pattern]).map_err(io)?;
            channels += found.items().len() as u64;
        }
    }
    Ok((keys, channels))
}
