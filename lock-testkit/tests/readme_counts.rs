//! The counts FEATURES.md, the testkit's README and SAFETY.md give for the suite are the
//! suite's, not typed by hand and left to drift: the cases in `CASES`, and the broken backends
//! `broken_backends.rs` rejects (one `name: Bug by case;` line each).

const FEATURES: &str = include_str!("../../FEATURES.md");
const TESTKIT_README: &str = include_str!("../README.md");
const SAFETY: &str = include_str!("../../SAFETY.md");
const BROKEN: &str = include_str!("broken_backends.rs");

/// The `rejected!` entries: `name: Bug by case;`.
fn rejected() -> usize {
    BROKEN
        .lines()
        .map(str::trim)
        .filter(|l| {
            let words: Vec<_> = l.trim_end_matches(';').split_whitespace().collect();
            l.ends_with(';') && words.len() == 4 && words[0].ends_with(':') && words[2] == "by"
        })
        .count()
}

#[test]
fn the_readmes_count_the_cases_there_are() {
    let cases = lock_testkit::CASES.len();
    let said = format!("{cases} cases");
    assert!(FEATURES.contains(&format!("conformance suite: {said}")), "FEATURES.md: {said}?");
    assert!(TESTKIT_README.contains(&said), "lock-testkit/README.md: {said}?");
}

#[test]
fn the_docs_count_the_broken_backends_rejected() {
    let rejected = rejected();
    assert!(rejected > 50, "the rejected! list was not found ({rejected} entries)");
    // Plus the three backends that must pass everything (the same backend without a bug, one
    // whose watches wake for nothing, one that reports no time left): not counted.
    let said = format!("rejects {rejected} broken backends");
    assert!(FEATURES.contains(&said), "FEATURES.md: {said}?");
    assert!(SAFETY.contains(&format!("{rejected} mutants")), "SAFETY.md: {rejected} mutants?");
}
