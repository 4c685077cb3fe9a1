//! Counting votes: when an operation over N nodes has been decided.

/// The majority of `n`: ⌊n/2⌋ + 1.
pub(crate) const fn majority(n: usize) -> usize {
    n / 2 + 1
}

/// Votes of the nodes that answered so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) nodes: usize,
    /// The operation took effect (acquired, extended, released).
    pub(crate) yes: usize,
    /// The node answered that it did not (held elsewhere, not held).
    pub(crate) no: usize,
    /// The node failed or timed out.
    pub(crate) failed: usize,
}

impl Tally {
    pub(crate) fn new(nodes: usize) -> Self {
        Self { nodes, ..Self::default() }
    }

    /// Whether more answers can change a release's or extension's outcome (a majority said
    /// yes; a majority said no; or, with the answers still to come, neither can happen any more,
    /// so it is an error whatever they are).
    pub(crate) fn settled(&self) -> bool {
        let needed = majority(self.nodes);
        let pending = self.nodes - self.yes - self.no - self.failed;
        self.yes >= needed
            || self.no > self.nodes - needed
            || (self.yes + pending < needed && self.no + pending <= self.nodes - needed)
    }

    /// `Some(true)` once a majority said yes, `Some(false)` once a majority can no longer say
    /// yes, `None` while it can go either way.
    pub(crate) fn decided(&self) -> Option<bool> {
        let needed = majority(self.nodes);
        if self.yes >= needed {
            Some(true)
        } else if self.no + self.failed > self.nodes - needed {
            Some(false)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majorities() {
        assert_eq!([1, 2, 3, 4, 5, 6, 7].map(majority), [1, 2, 2, 3, 3, 4, 4]);
    }

    /// A settled tally has the outcome of the full one: never Released/Extended, NotHeld or an
    /// error other than what all the answers would give.
    #[test]
    fn settled_tallies_keep_their_outcome() {
        let outcome = |t: &Tally| match t.decided() {
            Some(true) => 0,
            _ if t.no > t.nodes - majority(t.nodes) => 1,
            _ => 2,
        };
        for nodes in 1..=7usize {
            for yes in 0..=nodes {
                for no in 0..=nodes - yes {
                    let failed = nodes - yes - no;
                    let full = Tally { nodes, yes, no, failed };
                    for y in 0..=yes {
                        for n in 0..=no {
                            for f in 0..=failed {
                                let partial = Tally { nodes, yes: y, no: n, failed: f };
                                if partial.settled() {
                                    assert_eq!(outcome(&partial), outcome(&full), "{partial:?}");
                                }
                            }
                        }
                    }
                    assert!(full.settled(), "{full:?}: every answer is in");
                }
            }
        }
    }

    /// For every final split of N = 1..=7 answers, the final decision is "yes" exactly on a
    /// majority of yes, and no subset of the answers (an earlier moment) decides otherwise.
    #[test]
    fn decisions_are_right_and_never_reversed() {
        for nodes in 1..=7usize {
            for yes in 0..=nodes {
                for no in 0..=nodes - yes {
                    let failed = nodes - yes - no;
                    let expected = yes >= majority(nodes);
                    assert_eq!(Tally { nodes, yes, no, failed }.decided(), Some(expected));
                    for y in 0..=yes {
                        for n in 0..=no {
                            for f in 0..=failed {
                                let partial = Tally { nodes, yes: y, no: n, failed: f };
                                if let Some(early) = partial.decided() {
                                    assert_eq!(
                                        early, expected,
                                        "{partial:?} decided before all answered"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
