//! A fenced register: the protected resource of the battery.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Counts of what a [`FencedRegister`] saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RegisterStats {
    /// Writes accepted.
    pub accepted: u64,
    /// Writes refused because a higher fence had already written (the detections).
    pub rejected: u64,
    /// Writes whose fence was below one already granted by the lock service when they arrived
    /// (their holder had been superseded).
    pub stale: u64,
    /// Stale writes that were accepted: must be 0.
    pub stale_accepted: u64,
    /// Writes by the current holder refused because of a fence written by a holder granted
    /// before it asked (see [`FencedRegister`]): must be 0. A lock service whose new holder's
    /// fence is not above an earlier holder's (a counter that restarted low after the store
    /// forgot it, say) makes the resource shut out the rightful holder.
    pub current_rejected: u64,
}

#[derive(Debug, Default)]
struct State {
    highest_written: u64,
    /// When the holder of `highest_written` was granted it (from its claim), if known.
    highest_written_granted: Option<Duration>,
    highest_granted: u64,
    /// The latest claim: the current holder's fence and when it called acquire.
    current: Option<(u64, Duration)>,
    /// When each claimed fence was granted.
    granted_at: HashMap<u64, Duration>,
    stats: RegisterStats,
}

/// A store that accepts `write(fence)` only if `fence` is at least the highest fence it has
/// accepted, as a resource protected by fencing tokens must. The lock holder writes first thing
/// after acquiring ([`claim`](Self::claim)); a holder that was superseded (paused past its
/// lease, or outlived by a lost lock) is then refused. Two failures are counted: a stale write
/// accepted (the old holder got through) and the current holder refused (the new holder was
/// shut out: its fence was not above an earlier holder's).
///
/// The current holder is the one whose claim came last (claims are made as soon as each
/// acquire returns). Its write refused counts as a current holder rejected only when the fence
/// that refused it was written by a holder whose grant came back before the current holder
/// called acquire: in real-time order, as fences must be. A holder concurrent with it (two
/// grants answered at about the same time, outside the timing model) could have been granted
/// first by the store, so its higher fence is no proof.
#[derive(Debug, Default)]
pub struct FencedRegister {
    state: Mutex<State>,
}

impl FencedRegister {
    /// An empty register.
    pub fn new() -> Self {
        Self::default()
    }

    /// Tells the register that the lock service granted `fence` (to classify later writes as
    /// stale).
    pub fn granted(&self, fence: u64) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.highest_granted = s.highest_granted.max(fence);
    }

    /// A new holder's first write, at once with the news of its grant ([`granted`] then
    /// [`write`] as one step, so no other write can come between them and be taken for stale
    /// while the resource has not yet seen the newer fence). `invoked` and `ok` are when the
    /// holder called acquire and when it returned, on the history's clock. Returns whether the
    /// write was accepted.
    ///
    /// The claimant becomes the current holder (see [`FencedRegister`] for when its refusal
    /// counts as a current holder rejected).
    ///
    /// [`granted`]: Self::granted
    /// [`write`]: Self::write
    pub fn claim(&self, fence: u64, invoked: Duration, ok: Duration) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.highest_granted = s.highest_granted.max(fence);
        s.current = Some((fence, invoked));
        s.granted_at.insert(fence, ok);
        let accepted = Self::apply(&mut s, fence, false);
        if !accepted && Self::shut_out(&s, invoked) {
            s.stats.current_rejected += 1;
        }
        accepted
    }

    /// Writes with `fence`; returns whether the write was accepted. A refused write with the
    /// current holder's fence may count as a current holder rejected (see [`FencedRegister`]).
    pub fn write(&self, fence: u64) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let accepted = Self::apply(&mut s, fence, false);
        if let Some((current, invoked)) = s.current
            && !accepted
            && current == fence
            && Self::shut_out(&s, invoked)
        {
            s.stats.current_rejected += 1;
        }
        accepted
    }

    /// Whether the highest fence written came from a holder granted before `invoked`.
    fn shut_out(s: &State, invoked: Duration) -> bool {
        s.highest_written_granted.is_some_and(|granted| granted < invoked)
    }

    /// A write the test knows to be stale whatever the fences say: its holder was superseded,
    /// in real time, by a holder that has already written. Counted as stale (and, if accepted,
    /// as a stale write accepted), so a lock service that handed the newer holder a fence no
    /// higher than this one is caught; never as a current holder's. Returns whether the write
    /// was accepted.
    pub fn write_superseded(&self, fence: u64) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        Self::apply(&mut s, fence, true)
    }

    fn apply(s: &mut State, fence: u64, superseded: bool) -> bool {
        let stale = superseded || fence < s.highest_granted;
        let accepted = fence >= s.highest_written;
        if accepted {
            if fence > s.highest_written || s.highest_written_granted.is_none() {
                s.highest_written_granted = s.granted_at.get(&fence).copied();
            }
            s.highest_written = fence;
            s.stats.accepted += 1;
        } else {
            s.stats.rejected += 1;
        }
        if stale {
            s.stats.stale += 1;
            if accepted {
                s.stats.stale_accepted += 1;
            }
        }
        accepted
    }

    /// What it saw.
    pub fn stats(&self) -> RegisterStats {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_superseded_holder_is_refused() {
        let r = FencedRegister::new();
        r.granted(1);
        assert!(r.write(1));
        r.granted(2);
        assert!(r.write(2));
        assert!(!r.write(1), "the old holder's late write was accepted");
        let s = r.stats();
        assert_eq!((s.accepted, s.rejected, s.stale, s.stale_accepted), (2, 1, 1, 0));
    }

    #[test]
    fn a_superseded_write_is_stale_even_with_an_equal_fence() {
        let r = FencedRegister::new();
        assert!(r.claim(7, ms(0), ms(1)));
        // The new holder was handed the same fence (a counter that restarted, say).
        assert!(r.claim(7, ms(2), ms(3)));
        assert!(r.write_superseded(7), "an equal fence cannot be told apart by the resource");
        assert!(!r.write_superseded(6));
        let s = r.stats();
        assert_eq!((s.accepted, s.rejected, s.stale, s.stale_accepted), (3, 1, 2, 1));
    }

    #[test]
    fn a_current_holder_below_an_earlier_fence_is_counted_as_rejected() {
        let r = FencedRegister::new();
        assert!(r.claim(100, ms(0), ms(1)));
        assert!(r.write(100));
        // The store forgot its counter and handed the next holder, which asked after the first
        // one's grant, a lower fence.
        assert!(!r.claim(1, ms(2), ms(3)), "a lower fence was accepted");
        assert!(!r.write(1));
        // The old holder, superseded, is not the current one: its refusal is a detection.
        assert!(!r.write_superseded(99));
        let s = r.stats();
        assert_eq!((s.rejected, s.current_rejected, s.stale_accepted), (3, 2, 0));
        // A write refused for an earlier holder's fence is not a current holder's.
        assert!(r.claim(200, ms(4), ms(5)));
        assert!(!r.write(100));
        assert_eq!(r.stats().current_rejected, 2);
    }

    #[test]
    fn a_concurrent_holder_with_a_higher_fence_proves_nothing() {
        let r = FencedRegister::new();
        // B (fence 6) asked at 0 and was granted; C (fence 7) asked at 1, was granted at 2 and
        // claimed first: B's claim is refused, but the store may have granted B after C.
        assert!(r.claim(7, ms(1), ms(2)));
        assert!(!r.claim(6, ms(0), ms(3)));
        assert!(!r.write(6));
        let s = r.stats();
        assert_eq!((s.rejected, s.current_rejected), (2, 0));
        // D asked after C's grant came back: a fence below C's is a current holder shut out.
        assert!(!r.claim(5, ms(4), ms(5)));
        assert_eq!(r.stats().current_rejected, 1);
    }

    #[test]
    fn rising_fences_reject_no_current_holder() {
        let r = FencedRegister::new();
        for (i, fence) in [5, 9, 1_000_000, 1_000_001].into_iter().enumerate() {
            let at = ms(10 * i as u64);
            assert!(r.claim(fence, at, at + ms(1)));
            assert!(r.write(fence));
        }
        assert!(!r.write_superseded(9));
        let s = r.stats();
        assert_eq!((s.accepted, s.rejected, s.current_rejected, s.stale_accepted), (8, 1, 0, 0));
    }

    #[test]
    fn a_stale_write_before_the_new_holder_writes_is_counted() {
        let r = FencedRegister::new();
        r.granted(1);
        assert!(r.write(1));
        r.granted(2);
        // The old holder writes after the grant but before the new holder's first write.
        assert!(r.write(1));
        assert_eq!(r.stats().stale_accepted, 1);
    }
}
