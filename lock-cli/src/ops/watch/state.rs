//! What `watch` saw of the lock, and the events between two sightings.

use std::time::Duration;

use lock_redis::{LockInfo, LockToken};
use tokio::time::Instant;

use crate::ops::show::{fencing, ttl};

/// A slack for deciding that a lock that vanished had run out its ttl.
const EXPIRY_SLACK: Duration = Duration::from_millis(20);

/// One holding of the lock, as read.
#[derive(Clone, Debug)]
pub(crate) struct Holding {
    holder: LockToken,
    fencing: Option<u64>,
    ttl: Option<Duration>,
    read_at: Instant,
}

impl Holding {
    /// From what `info` answered, read at `read_at`.
    pub(crate) fn new(info: LockInfo, read_at: Instant) -> Self {
        Self {
            holder: info.holder,
            fencing: info.fencing.map(|f| f.get()),
            ttl: info.ttl_remaining,
            read_at,
        }
    }

    /// Whether `other` is the same acquisition (same holder and fencing token).
    fn same(&self, other: &Holding) -> bool {
        self.holder == other.holder && self.fencing == other.fencing
    }

    /// Whether its ttl had run out by `now`.
    fn ran_out(&self, now: Instant) -> bool {
        self.ttl.is_some_and(|ttl| now + EXPIRY_SLACK >= self.read_at + ttl)
    }

    /// `holder=…  fencing=…` (and the ttl when asked).
    fn describe(&self, with_ttl: bool) -> String {
        let mut text =
            format!("holder={}  fencing={}", self.holder.redacted(), fencing(self.fencing));
        if with_ttl {
            text.push_str(&format!("  ttl={}", ttl(self.ttl)));
        }
        text
    }
}

/// The first line: `held ...` or `free`.
pub(crate) fn initial(now: &Option<Holding>) -> String {
    match now {
        Some(h) => format!("{:<8}  {}", "held", h.describe(true)),
        None => "free".to_owned(),
    }
}

/// The events between `before` and `after` (without timestamps): the end of the earlier holding
/// (`released`, or `expired` when its ttl had run out and no release was announced), then the
/// new acquisition. `announced` says a release notification preceded this reading.
pub(crate) fn events(
    before: &Option<Holding>,
    after: &Option<Holding>,
    announced: bool,
    now: Instant,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(old) = before
        && !after.as_ref().is_some_and(|new| new.same(old))
    {
        let event = if !announced && old.ran_out(now) { "expired" } else { "released" };
        out.push(format!("{event:<8}  {}", old.describe(false)));
    }
    if let Some(new) = after
        && !before.as_ref().is_some_and(|old| old.same(new))
    {
        out.push(format!("{:<8}  {}", "acquired", new.describe(true)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lock_redis::FencingToken;

    fn holding(token: &str, fence: u64, ttl_ms: u64, at: Instant) -> Option<Holding> {
        let info = LockInfo {
            holder: LockToken::from_stored(token),
            ttl_remaining: Some(Duration::from_millis(ttl_ms)),
            fencing: Some(FencingToken::new(fence)),
        };
        Some(Holding::new(info, at))
    }

    #[test]
    fn reports_each_change() {
        let t0 = Instant::now();
        let a = holding("aaaaaaaaaa", 1, 10_000, t0);
        let b = holding("bbbbbbbbbb", 2, 10_000, t0);
        assert!(events(&a, &a, false, t0).is_empty());
        assert!(events(&a, &a, true, t0).is_empty(), "a spurious wake-up changes nothing");
        let acquired = events(&None, &a, false, t0);
        assert_eq!(acquired, vec!["acquired  holder=aaaaaa…  fencing=1  ttl=10.000s"]);
        let released = events(&a, &None, false, t0);
        assert_eq!(released, vec!["released  holder=aaaaaa…  fencing=1"]);
        let handover = events(&a, &b, true, t0);
        assert_eq!(handover.len(), 2);
        assert!(handover[0].starts_with("released") && handover[1].starts_with("acquired"));
        let later = t0 + Duration::from_secs(11);
        assert!(events(&a, &None, false, later)[0].starts_with("expired"));
        assert!(events(&a, &None, true, later)[0].starts_with("released"));
    }
}
