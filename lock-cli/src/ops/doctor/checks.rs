//! What `lockctl doctor` concludes from what a server told it: one [`Finding`] per concern.

use serde::Serialize;

/// How a finding bears on lock safety.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    /// Nothing to do.
    Ok,
    /// Worth knowing, not a misconfiguration (replicas: a deployment choice).
    Note,
    /// Locks are not safe as configured: the exit code is 1.
    Flag,
    /// The server would not say (the ACL refused `INFO` and `CONFIG GET`).
    Unknown,
}

impl Status {
    /// The label of the human-readable report.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Note => "note",
            Self::Flag => "FLAG",
            Self::Unknown => "unknown",
        }
    }
}

/// One concern on one server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Finding {
    /// What was checked: `version`, `maxmemory-policy`, `persistence`, `replication` or
    /// `connection`.
    pub(crate) check: &'static str,
    /// The verdict.
    pub(crate) status: Status,
    /// What the server reported, e.g. `allkeys-lru` or `appendonly yes, appendfsync always`.
    pub(crate) value: String,
    /// Why it matters, and the fix when flagged.
    pub(crate) detail: String,
}

impl Finding {
    fn new(check: &'static str, status: Status, value: impl Into<String>, detail: &str) -> Self {
        Self { check, status, value: value.into(), detail: detail.to_owned() }
    }

    fn unknown(check: &'static str) -> Self {
        Self::new(check, Status::Unknown, "?", "the user may not run INFO or CONFIG GET")
    }
}

/// What one server reported (from `INFO` and `CONFIG GET`); `None` for what it would not say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    /// `redis_version`.
    pub(crate) version: Option<String>,
    /// `role`: `master` or `slave`.
    pub(crate) role: Option<String>,
    /// `connected_slaves`.
    pub(crate) replicas: Option<u64>,
    /// `maxmemory-policy`.
    pub(crate) policy: Option<String>,
    /// `maxmemory` in bytes (0: no limit).
    pub(crate) maxmemory: Option<u64>,
    /// `appendonly`.
    pub(crate) appendonly: Option<bool>,
    /// `appendfsync`.
    pub(crate) appendfsync: Option<String>,
}

/// The findings for a server with `facts`, one of the masters of a cluster when `cluster`.
pub(crate) fn evaluate(facts: &Facts, cluster: bool) -> Vec<Finding> {
    vec![version(facts, cluster), eviction(facts), persistence(facts), replication(facts)]
}

fn version(facts: &Facts, cluster: bool) -> Finding {
    let Some(text) = &facts.version else { return Finding::unknown("version") };
    let mut parts = text.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if (major, minor) < (6, 2) {
        let why = "the acquire script writes the fence with SET ... GET, which needs Redis 6.2 or later; upgrade";
        return Finding::new("version", Status::Flag, text, why);
    }
    if cluster && (major, minor) < (7, 0) {
        let why = "release notification on a cluster needs sharded pub/sub (Redis 7.0); upgrade";
        return Finding::new("version", Status::Flag, text, why);
    }
    Finding::new("version", Status::Ok, text, "supported")
}

fn eviction(facts: &Facts) -> Finding {
    const CHECK: &str = "maxmemory-policy";
    let Some(policy) = &facts.policy else { return Finding::unknown(CHECK) };
    match lock_redis_protocol::eviction::eviction_risk(policy) {
        None => Finding::new(
            CHECK,
            Status::Ok,
            policy,
            "never evicts: when memory is full, writes fail (OOM) and are retried",
        ),
        Some(risk) => {
            let mut detail = risk;
            if facts.maxmemory == Some(0) {
                detail
                    .push_str(" (maxmemory is 0 for now: nothing is evicted until a limit is set)");
            }
            Finding { check: CHECK, status: Status::Flag, value: policy.clone(), detail }
        }
    }
}

fn persistence(facts: &Facts) -> Finding {
    const CHECK: &str = "persistence";
    let fsync = facts.appendfsync.as_deref();
    match (facts.appendonly, fsync) {
        (None, _) => Finding::unknown(CHECK),
        (Some(false), _) => Finding::new(
            CHECK,
            Status::Flag,
            "appendonly no",
            "a restart loses the held locks, and another client takes them while their holders \
             still work (fences keep rising: they follow the server clock); \
             set appendonly yes and appendfsync always",
        ),
        (Some(true), Some("always")) => Finding::new(
            CHECK,
            Status::Ok,
            "appendonly yes, appendfsync always",
            "every grant is on disk before its reply",
        ),
        (Some(true), Some(other)) => Finding::new(
            CHECK,
            Status::Flag,
            format!("appendonly yes, appendfsync {other}"),
            "a crash of the machine loses the grants not yet on disk (up to a second or more), \
             and another client takes those locks; set appendfsync always",
        ),
        (Some(true), None) => Finding::new(
            CHECK,
            Status::Unknown,
            "appendonly yes, appendfsync ?",
            "the user may not run CONFIG GET appendfsync; locks survive a crash only with \
             appendfsync always",
        ),
    }
}

fn replication(facts: &Facts) -> Finding {
    const CHECK: &str = "replication";
    match (facts.role.as_deref(), facts.replicas) {
        (None, _) => Finding::unknown(CHECK),
        (Some("slave" | "replica"), _) => Finding::new(
            CHECK,
            Status::Flag,
            "replica",
            "this server is a replica: it refuses lock writes; point clients at its master",
        ),
        (Some(role), Some(n)) if n > 0 => Finding::new(
            CHECK,
            Status::Note,
            format!("{role}, {n} replica{}", if n == 1 { "" } else { "s" }),
            "replication is asynchronous: a failover can lose a granted lock, which is outside \
             the timing model unless clients use WAIT mode (with_wait)",
        ),
        (Some(role), _) => {
            Finding::new(CHECK, Status::Ok, format!("{role}, no replicas"), "no failover")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safe() -> Facts {
        Facts {
            version: Some("7.0.15".into()),
            role: Some("master".into()),
            replicas: Some(0),
            policy: Some("noeviction".into()),
            maxmemory: Some(0),
            appendonly: Some(true),
            appendfsync: Some("always".into()),
        }
    }

    fn statuses(facts: &Facts, cluster: bool) -> Vec<Status> {
        evaluate(facts, cluster).iter().map(|f| f.status).collect()
    }

    #[test]
    fn a_safe_server_passes() {
        assert!(statuses(&safe(), true).iter().all(|s| *s == Status::Ok));
    }

    #[test]
    fn each_concern_is_flagged() {
        use Status::{Flag, Note, Ok, Unknown};
        let old = Facts { version: Some("4.0.14".into()), ..safe() };
        assert_eq!(statuses(&old, false), [Flag, Ok, Ok, Ok]);
        let no_set_get = Facts { version: Some("6.0.16".into()), ..safe() };
        assert_eq!(statuses(&no_set_get, false), [Flag, Ok, Ok, Ok]);
        let no_sharded = Facts { version: Some("6.2.14".into()), ..safe() };
        assert_eq!(statuses(&no_sharded, false), [Ok, Ok, Ok, Ok]);
        assert_eq!(statuses(&no_sharded, true), [Flag, Ok, Ok, Ok]);
        for policy in ["allkeys-lru", "volatile-ttl", "allkeys-random"] {
            let evicting = Facts { policy: Some(policy.into()), ..safe() };
            assert_eq!(statuses(&evicting, false), [Ok, Flag, Ok, Ok], "{policy}");
            assert!(evaluate(&evicting, false)[1].detail.contains("maxmemory is 0"));
        }
        let everysec = Facts { appendfsync: Some("everysec".into()), ..safe() };
        assert_eq!(statuses(&everysec, false), [Ok, Ok, Flag, Ok]);
        let no_aof = Facts { appendonly: Some(false), appendfsync: None, ..safe() };
        assert_eq!(statuses(&no_aof, false), [Ok, Ok, Flag, Ok]);
        let replicated = Facts { replicas: Some(2), ..safe() };
        assert_eq!(statuses(&replicated, false), [Ok, Ok, Ok, Note]);
        assert_eq!(evaluate(&replicated, false)[3].value, "master, 2 replicas");
        let replica = Facts { role: Some("slave".into()), ..safe() };
        assert_eq!(statuses(&replica, false), [Ok, Ok, Ok, Flag]);
        assert_eq!(statuses(&Facts::default(), false), [Unknown; 4]);
        let fsync_unknown = Facts { appendfsync: None, ..safe() };
        assert_eq!(statuses(&fsync_unknown, false), [Ok, Ok, Unknown, Ok]);
    }
}
