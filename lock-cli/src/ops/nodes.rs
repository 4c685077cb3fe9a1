//! The servers that hold keys: the one standalone server, or every master of a cluster
//! (from `CLUSTER NODES` on a seed node).

use lock_redis::redis::{self, ConnectionAddr, ConnectionInfo, Value};

use crate::endpoint::{Endpoint, node_connection};

/// Every server whose keys must be scanned to see all locks.
pub(crate) async fn key_holders(endpoint: &Endpoint) -> Result<Vec<ConnectionInfo>, String> {
    let seeds = match endpoint {
        Endpoint::Standalone(info) => return Ok(vec![(**info).clone()]),
        Endpoint::Cluster(seeds) => seeds,
    };
    let mut last_error = None;
    for seed in seeds {
        let mut conn = match node_connection(seed).await {
            Ok(conn) => conn,
            Err(e) => {
                last_error = Some(endpoint.explain_redis(&e));
                continue;
            }
        };
        let reply: Value = redis::cmd("CLUSTER")
            .arg("NODES")
            .query_async(&mut conn)
            .await
            .map_err(|e| endpoint.explain_redis(&e))?;
        let text = match reply {
            Value::BulkString(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Value::VerbatimString { text, .. } | Value::SimpleString(text) => text,
            other => return Err(format!("unexpected reply to CLUSTER NODES: {other:?}")),
        };
        let masters: Vec<ConnectionInfo> =
            masters(&text).into_iter().map(|(host, port)| at(seed, host, port)).collect();
        if masters.is_empty() {
            return Err(format!(
                "{}: CLUSTER NODES lists no master serving slots",
                endpoint.describe()
            ));
        }
        return Ok(masters);
    }
    Err(last_error.unwrap_or_else(|| "the cluster URL names no node".to_owned()))
}

/// `seed`'s settings (credentials, TLS) for another node.
fn at(seed: &ConnectionInfo, host: String, port: u16) -> ConnectionInfo {
    let addr = match seed.addr() {
        ConnectionAddr::TcpTls { insecure, tls_params, .. } => ConnectionAddr::TcpTls {
            host,
            port,
            insecure: *insecure,
            tls_params: tls_params.clone(),
        },
        _ => ConnectionAddr::Tcp(host, port),
    };
    seed.clone().set_addr(addr)
}

/// `(host, port)` of each reachable master that serves slots, from `CLUSTER NODES` text:
/// `<id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch> <link> <slot>...`.
fn masters(text: &str) -> Vec<(String, u16)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(addr), Some(flags)) = (fields.get(1), fields.get(2)) else {
            continue;
        };
        let flags: Vec<&str> = flags.split(',').collect();
        let usable = flags.contains(&"master")
            && !flags.contains(&"fail")
            && !flags.contains(&"noaddr")
            && !flags.contains(&"handshake");
        if !usable || fields.len() <= 8 {
            continue;
        }
        let addr = addr.split(['@', ',']).next().unwrap_or_default();
        let Some((host, port)) = addr.rsplit_once(':') else {
            continue;
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let (false, Ok(port)) = (host.is_empty(), port.parse::<u16>())
            && port != 0
        {
            out.push((host.to_owned(), port));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_masters_with_slots() {
        let text = "\
a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460
b2 127.0.0.1:7001@17001,node-b master - 0 0 2 connected 5461-10922
c3 127.0.0.1:7002@17002 slave a1 0 0 1 connected
d4 127.0.0.1:7003@17003 master - 0 0 3 connected
e5 127.0.0.1:7004@17004 master,fail - 0 0 4 disconnected 10923-16383
f6 :0@0 master,noaddr - 0 0 5 disconnected 1
g7 ::1:7005@17005 master - 0 0 6 connected 16000
";
        assert_eq!(
            masters(text),
            vec![
                ("127.0.0.1".to_owned(), 7000),
                ("127.0.0.1".to_owned(), 7001),
                ("::1".to_owned(), 7005)
            ]
        );
    }
}
