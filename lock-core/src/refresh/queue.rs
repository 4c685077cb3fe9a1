//! The refresher's timer queue: guards ordered by when they are next due.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use tokio::time::Instant;

use crate::guard::GuardShared;

/// A guard under refresh.
#[derive(Debug)]
pub(super) struct Entry {
    pub(super) shared: Arc<GuardShared>,
    pub(super) hold_until: Option<Instant>,
    pub(super) due: Instant,
}

/// Entries by id, plus a `(due, id)` index; at most one index slot per entry.
#[derive(Debug, Default)]
pub(super) struct TimerQueue {
    entries: HashMap<u64, Entry>,
    order: BTreeSet<(Instant, u64)>,
}

impl TimerQueue {
    pub(super) fn insert(&mut self, entry: Entry) {
        let id = entry.shared.id;
        self.order.insert((entry.due, id));
        if let Some(old) = self.entries.insert(id, entry) {
            self.order.remove(&(old.due, id));
        }
    }

    pub(super) fn remove(&mut self, id: u64) -> Option<Entry> {
        let entry = self.entries.remove(&id)?;
        self.order.remove(&(entry.due, id));
        Some(entry)
    }

    /// The entry due first, if any is scheduled.
    pub(super) fn first(&self) -> Option<&Entry> {
        self.order.first().and_then(|(_, id)| self.entries.get(id))
    }

    /// The earliest due time, if any entry is scheduled.
    pub(super) fn next_due(&self) -> Option<Instant> {
        self.order.first().map(|(due, _)| *due)
    }

    /// Takes out of the schedule the entries due by `now + early(entry)`, looking no further
    /// than `now + horizon`: a batch of refreshes sent together, each at most its own `early`
    /// ahead of time.
    pub(super) fn take_due_early(
        &mut self,
        now: Instant,
        horizon: std::time::Duration,
        early: impl Fn(&Entry) -> std::time::Duration,
    ) -> Vec<u64> {
        let window: Vec<(Instant, u64)> =
            self.order.range(..=(now + horizon, u64::MAX)).copied().collect();
        let mut due = Vec::with_capacity(window.len());
        for (at, id) in window {
            let Some(entry) = self.entries.get(&id) else { continue };
            if at <= now + early(entry) {
                self.order.remove(&(at, id));
                due.push(id);
            }
        }
        due
    }

    pub(super) fn get(&self, id: u64) -> Option<&Entry> {
        self.entries.get(&id)
    }

    /// Schedules a registered entry again at `due`.
    pub(super) fn reschedule(&mut self, id: u64, due: Instant) {
        if let Some(entry) = self.entries.get_mut(&id) {
            self.order.remove(&(entry.due, id));
            entry.due = due;
            self.order.insert((due, id));
        }
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn entry(id: u64, due: Instant) -> Entry {
        let backend: Arc<crate::backend::DynLockBackend> = Arc::new(crate::MemoryBackend::new());
        let key = crate::LockKey::with_default_prefix(format!("k{id}")).expect("valid");
        let acquisition = crate::guard::Acquisition {
            id,
            key,
            token: crate::LockToken::generate().expect("entropy"),
            fencing: None,
            acquired_at: due,
            attempts: 1,
            waited: Duration::ZERO,
            refreshed: true,
            backend: "memory",
            store: backend,
        };
        let shared = Arc::new(GuardShared::new(acquisition, due, Duration::from_secs(1)));
        Entry { shared, hold_until: None, due }
    }

    /// An entry due exactly at its own early bound is taken; one a nanosecond later is not, nor
    /// one past the horizon however early it may go; what is not taken stays scheduled.
    #[tokio::test(start_paused = true)]
    async fn take_due_early_takes_what_its_own_window_allows() {
        let mut queue = TimerQueue::default();
        let t = Instant::now();
        let ms = Duration::from_millis;
        queue.insert(entry(1, t));
        queue.insert(entry(2, t + ms(10)));
        queue.insert(entry(3, t + ms(10) + Duration::from_nanos(1)));
        queue.insert(entry(4, t + ms(30)));
        let early = |e: &Entry| if e.shared.id == 4 { ms(50) } else { ms(10) };
        assert_eq!(queue.take_due_early(t, ms(20), early), vec![1, 2]);
        assert_eq!(queue.next_due(), Some(t + ms(10) + Duration::from_nanos(1)));
        assert_eq!(queue.take_due_early(t, ms(40), early), vec![4]);
        assert_eq!(queue.first().map(|e| e.shared.id), Some(3));
        assert_eq!(queue.len(), 4, "taken entries stay registered until removed");
    }
}
