//! What `watch` saw of the lock, and the events between two sightings.

use std::time::Duration;

use lock_redis::{LockToken, lock_core::backend::LockInfo};
use tokio::time::Instant;

use serde::Serialize;

use crate::ops::show::{fencing, holder, millis, ttl};

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

    /// The event `what` about this holding; the ttl only when asked.
    fn event(&self, what: &'static str, with_ttl: bool) -> Event {
        Event {
            event: what,
            holder: Some(holder(&self.holder)),
            fencing: self.fencing,
            ttl_ms: if with_ttl { self.ttl.map(millis) } else { None },
        }
    }
}

/// One line of `watch`: a state (`free`, `held`) or a change (`acquired`, `released`,
/// `expired`), as text or, with `--json`, as one JSON object.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Event {
    /// `free`, `held`, `acquired`, `released` or `expired`.
    pub(crate) event: &'static str,
    /// The holder's whole token; `None` for `free`.
    pub(crate) holder: Option<String>,
    /// The holding's fencing token, when it has one.
    pub(crate) fencing: Option<u64>,
    /// The remaining ttl in milliseconds when it was read (`held`, `acquired`).
    pub(crate) ttl_ms: Option<u64>,
}

impl Event {
    /// `acquired  holder=…  fencing=…  ttl=…`, or `free`.
    pub(crate) fn text(&self) -> String {
        let Some(holder) = &self.holder else { return self.event.to_owned() };
        let mut text =
            format!("{:<8}  holder={holder}  fencing={}", self.event, fencing(self.fencing));
        if self.event == "held" || self.event == "acquired" {
            let left = self.ttl_ms.map(Duration::from_millis);
            text.push_str(&format!("  ttl={}", ttl(left)));
        }
        text
    }
}

/// The first line: `held ...` or `free`.
pub(crate) fn initial(now: &Option<Holding>) -> Event {
    match now {
        Some(h) => h.event("held", true),
        None => Event { event: "free", holder: None, fencing: None, ttl_ms: None },
    }
}

/// The events between `before` and `after`: the end of the earlier holding (`released`, or
/// `expired` when its ttl had run out and no release was announced), then the new acquisition.
/// `announced` says a release notification preceded this reading.
pub(crate) fn events(
    before: &Option<Holding>,
    after: &Option<Holding>,
    announced: bool,
    now: Instant,
) -> Vec<Event> {
    let mut out = Vec::new();
    if let Some(old) = before
        && !after.as_ref().is_some_and(|new| new.same(old))
    {
        let event = if !announced && old.ran_out(now) { "expired" } else { "released" };
        out.push(old.event(event, false));
    }
    if let Some(new) = after
        && !before.as_ref().is_some_and(|old| old.same(new))
    {
        out.push(new.event("acquired", true));
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
        let text = |events: &[Event]| events.iter().map(Event::text).collect::<Vec<_>>();
        assert_eq!(text(&acquired), vec!["acquired  holder=aaaaaaaaaa  fencing=1  ttl=10.000s"]);
        let released = events(&a, &None, false, t0);
        assert_eq!(text(&released), vec!["released  holder=aaaaaaaaaa  fencing=1"]);
        let json = serde_json::to_string(&released[0]).expect("JSON");
        let expected = r#"{"event":"released","holder":"aaaaaaaaaa","fencing":1,"ttl_ms":null}"#;
        assert_eq!(json, expected);
        assert_eq!(initial(&None).text(), "free");
        assert_eq!(initial(&a).text(), "held      holder=aaaaaaaaaa  fencing=1  ttl=10.000s");
        let handover = events(&a, &b, true, t0);
        assert_eq!(handover.len(), 2);
        assert_eq!((handover[0].event, handover[1].event), ("released", "acquired"));
        let later = t0 + Duration::from_secs(11);
        assert_eq!(events(&a, &None, false, later)[0].event, "expired");
        assert_eq!(events(&a, &None, true, later)[0].event, "released");
    }
}
