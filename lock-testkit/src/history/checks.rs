//! Checkers over recorded acquisitions.

use std::time::Duration;

use super::recorder::Acquisition;

/// Two claimed ownership intervals that intersect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overlap {
    /// The earlier one.
    pub first: Acquisition,
    /// The one that started while the first was still claimed.
    pub second: Acquisition,
}

/// C1: claimed intervals (`[ok, min(released, last valid deadline, lost))`, see
/// [`Acquisition::claim`]) of different acquisitions that intersect, with no tolerance. One
/// key's history is expected.
pub fn overlaps(acquisitions: &[Acquisition]) -> Vec<Overlap> {
    let mut sorted: Vec<&Acquisition> = acquisitions.iter().collect();
    sorted.sort_by_key(|a| a.claim().0);
    let mut found = Vec::new();
    // The interval that reaches furthest so far.
    let mut furthest: Option<(&Acquisition, Duration)> = None;
    for a in sorted {
        let (start, end) = a.claim();
        if let Some((b, reach)) = furthest
            && start < reach
        {
            found.push(Overlap { first: b.clone(), second: a.clone() });
        }
        if furthest.is_none_or(|(_, reach)| end > reach) {
            furthest = Some((a, end));
        }
    }
    found
}

/// C2: pairs where acquisition A completed before B was invoked, yet fence(A) ≥ fence(B)
/// (fences must follow real-time order). Acquisitions without a fence are ignored.
pub fn fence_inversions(acquisitions: &[Acquisition]) -> Vec<(Acquisition, Acquisition)> {
    let mut fenced: Vec<&Acquisition> = acquisitions.iter().filter(|a| a.fence.is_some()).collect();
    let mut by_ok = fenced.clone();
    by_ok.sort_by_key(|a| a.ok);
    fenced.sort_by_key(|a| a.invoked);
    let mut found = Vec::new();
    let mut next = 0;
    // The acquisition with the highest fence among those that completed so far.
    let mut highest: Option<&Acquisition> = None;
    for b in fenced {
        while next < by_ok.len() && by_ok[next].ok < b.invoked {
            if highest.is_none_or(|h| by_ok[next].fence > h.fence) {
                highest = Some(by_ok[next]);
            }
            next += 1;
        }
        if let Some(a) = highest
            && a.fence >= b.fence
        {
            found.push((a.clone(), b.clone()));
        }
    }
    found
}

/// Semaphores: each moment more than `limit` claimed intervals were open at once, as the
/// start of the claim that made too many and how many were open (no tolerance). One
/// semaphore's history is expected.
pub fn over_limit(acquisitions: &[Acquisition], limit: usize) -> Vec<(Acquisition, usize)> {
    // Ends sort before starts at the same instant: claims are half-open.
    let mut events: Vec<(Duration, bool, &Acquisition)> = Vec::new();
    for a in acquisitions {
        let (start, end) = a.claim();
        if start < end {
            events.push((start, true, a));
            events.push((end, false, a));
        }
    }
    events.sort_by_key(|(at, starts, _)| (*at, *starts));
    let mut open = 0usize;
    let mut found = Vec::new();
    for (_, starts, a) in events {
        if starts {
            open += 1;
            if open > limit {
                found.push((a.clone(), open));
            }
        } else {
            open -= 1;
        }
    }
    found
}

/// Reader-writer locks: claimed intervals of a writer (as `is_writer` tells) that intersect
/// any other claim, reader's or writer's.
pub fn writer_conflicts(
    acquisitions: &[Acquisition],
    is_writer: impl Fn(&Acquisition) -> bool,
) -> Vec<Overlap> {
    let mut found = Vec::new();
    for (i, w) in acquisitions.iter().enumerate().filter(|(_, a)| is_writer(a)) {
        let (ws, we) = w.claim();
        for (j, other) in acquisitions.iter().enumerate() {
            let (os, oe) = other.claim();
            let intersect = ws < oe && os < we && ws < we && os < oe;
            // Each writer-writer pair once.
            if i != j && intersect && !(is_writer(other) && j < i) {
                found.push(Overlap { first: w.clone(), second: other.clone() });
            }
        }
    }
    found
}

/// Multi-resource locks: acquisitions of sets (each with its members) whose claimed intervals
/// intersect while the sets share a member, as `(member, overlap)`: [`overlaps`] over each
/// member's acquisitions. Empty when no two guards ever shared a member.
pub fn shared_members<M: Ord + Clone>(sets: &[(Vec<M>, Acquisition)]) -> Vec<(M, Overlap)> {
    let mut by_member: std::collections::BTreeMap<M, Vec<Acquisition>> = Default::default();
    for (members, acquisition) in sets {
        for member in members {
            by_member.entry(member.clone()).or_default().push(acquisition.clone());
        }
    }
    by_member
        .into_iter()
        .flat_map(|(member, acquisitions)| {
            overlaps(&acquisitions).into_iter().map(move |o| (member.clone(), o))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acq(client: usize, invoked: u64, ok: u64, end: u64, fence: u64) -> Acquisition {
        let ms = Duration::from_millis;
        Acquisition {
            client,
            invoked: ms(invoked),
            ok: ms(ok),
            deadline: ms(end),
            released: None,
            lost: None,
            fence: Some(fence),
        }
    }

    #[test]
    fn sets_sharing_a_member_at_once_are_found() {
        // {a, b} over [0, 10), {b, c} over [5, 15), {c} over [20, 30), {a} over [10, 20).
        let sets = [
            (vec!["a", "b"], acq(0, 0, 0, 10, 1)),
            (vec!["b", "c"], acq(1, 0, 5, 15, 2)),
            (vec!["c"], acq(2, 0, 20, 30, 3)),
            (vec!["a"], acq(3, 0, 10, 20, 4)),
        ];
        let found = shared_members(&sets);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].0, found[0].1.first.client, found[0].1.second.client), ("b", 0, 1));
        assert!(shared_members(&[sets[0].clone(), sets[2].clone(), sets[3].clone()]).is_empty());
    }

    #[test]
    fn disjoint_intervals_pass() {
        let h = [acq(0, 0, 1, 10, 1), acq(1, 2, 10, 20, 2), acq(0, 15, 20, 30, 3)];
        assert!(overlaps(&h).is_empty());
        assert!(fence_inversions(&h).is_empty());
    }

    #[test]
    fn an_overlap_and_an_inversion_are_found() {
        let h = [acq(0, 0, 1, 10, 5), acq(1, 2, 9, 20, 6), acq(2, 21, 22, 30, 4)];
        let o = overlaps(&h);
        assert_eq!(o.len(), 1);
        assert_eq!((o[0].first.client, o[0].second.client), (0, 1));
        let inv = fence_inversions(&h);
        assert_eq!(inv.len(), 1);
        assert_eq!((inv[0].0.fence, inv[0].1.fence), (Some(6), Some(4)));
    }

    #[test]
    fn overlap_is_found_behind_a_long_interval() {
        // A long claim, then two short ones inside it.
        let h = [acq(0, 0, 0, 100, 1), acq(1, 0, 10, 20, 2), acq(2, 0, 30, 40, 3)];
        assert_eq!(overlaps(&h).len(), 2);
    }

    #[test]
    fn a_moved_deadline_extends_the_claim_and_a_loss_ends_it() {
        // The first deadline says 10, but the guard later reported itself valid until 40.
        let mut a = acq(0, 0, 1, 40, 1);
        let b = acq(1, 5, 20, 50, 2);
        assert_eq!(overlaps(&[a.clone(), b.clone()]).len(), 1);
        // The holder saw its loss at 15: the claim ends there.
        a.lost = Some(Duration::from_millis(15));
        assert!(overlaps(&[a.clone(), b.clone()]).is_empty());
        assert_eq!(a.claim(), (Duration::from_millis(1), Duration::from_millis(15)));
    }

    #[test]
    fn too_many_holders_are_found_and_touching_claims_are_not() {
        // Three claims over [0, 10), [5, 15), [10, 20): at most two open at once.
        let h = [acq(0, 0, 0, 10, 1), acq(1, 0, 5, 15, 2), acq(2, 0, 10, 20, 3)];
        assert!(over_limit(&h, 2).is_empty());
        let found = over_limit(&h, 1);
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].0.client, found[0].1), (1, 2));
        // A fourth inside all of [5, 10): three open.
        let h = [h[0].clone(), h[1].clone(), h[2].clone(), acq(3, 0, 6, 9, 4)];
        assert_eq!(over_limit(&h, 2).len(), 1);
    }

    #[test]
    fn a_writer_beside_anyone_is_found_and_readers_together_are_not() {
        let writer = |a: &Acquisition| a.client == 9;
        let readers = [acq(0, 0, 0, 10, 1), acq(1, 0, 5, 15, 2)];
        assert!(writer_conflicts(&readers, writer).is_empty());
        let mut h = readers.to_vec();
        h.push(acq(9, 0, 15, 20, 3));
        assert!(writer_conflicts(&h, writer).is_empty(), "after the readers left");
        h.push(acq(9, 0, 18, 25, 4));
        let found = writer_conflicts(&h, writer);
        assert_eq!(found.len(), 1, "two writers, reported once: {found:?}");
        h.push(acq(2, 0, 24, 30, 5));
        assert_eq!(writer_conflicts(&h, writer).len(), 2, "a reader beside a writer");
    }

    #[test]
    fn release_ends_the_claim_before_the_deadline() {
        let mut a = acq(0, 0, 1, 100, 1);
        a.released = Some(Duration::from_millis(10));
        let b = acq(1, 5, 10, 50, 2);
        assert!(overlaps(&[a, b]).is_empty());
    }
}
