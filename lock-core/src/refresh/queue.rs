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

    /// The earliest due time, if any entry is scheduled.
    pub(super) fn next_due(&self) -> Option<Instant> {
        self.order.first().map(|(due, _)| *due)
    }

    /// Takes the ids of entries due at or before `until` out of the schedule (they stay
    /// registered until [`TimerQueue::reschedule`] or [`TimerQueue::remove`]).
    pub(super) fn take_due(&mut self, until: Instant) -> Vec<u64> {
        let mut due = Vec::new();
        while let Some(&(at, id)) = self.order.first() {
            if at > until {
                break;
            }
            self.order.pop_first();
            due.push(id);
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
    use super::*;

    /// An entry due exactly at `until` is due; one due later is not.
    #[test]
    fn take_due_takes_what_is_due_at_or_before_until() {
        let mut queue = TimerQueue::default();
        let t = Instant::now();
        queue.order.insert((t, 1));
        queue.order.insert((t + std::time::Duration::from_secs(1), 2));
        assert_eq!(queue.take_due(t - std::time::Duration::from_millis(1)), Vec::<u64>::new());
        assert_eq!(queue.take_due(t), vec![1]);
        assert_eq!(queue.next_due(), Some(t + std::time::Duration::from_secs(1)));
    }
}
