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
