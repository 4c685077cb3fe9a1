//! Every ```rust snippet of the workspace README and of FEATURES.md is part of a program in an
//! `examples/` folder, which `cargo test` compiles, so neither can show code that does not
//! build. Snippets
//! marked `rust,ignore` (configuration fragments) are exempt.

use std::path::Path;

/// Lines without their indentation, so an excerpt from inside a function matches.
fn normalized(text: &str) -> String {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
}

fn snippets(readme: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match &mut current {
            None if line.trim_end() == "```rust" => current = Some(String::new()),
            Some(_) if line.starts_with("```") => out.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    out
}

#[test]
fn readme_snippets_are_compiled_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let features = std::fs::read_to_string(root.join("FEATURES.md")).expect("FEATURES.md");
    let mut examples = Vec::new();
    for dir in ["lock-redis/examples", "lock-testkit/examples"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("an examples folder") {
            let path = entry.expect("entry").path();
            examples.push(normalized(&std::fs::read_to_string(&path).expect("example")));
        }
    }
    let front = snippets(&readme);
    assert!(front.len() >= 2, "the README lost its snippets");
    let more = snippets(&features);
    assert!(!more.is_empty(), "FEATURES.md lost its snippets");
    for snippet in front.into_iter().chain(more) {
        let wanted = normalized(&snippet);
        assert!(
            examples.iter().any(|e| e.contains(&wanted)),
            "this README snippet is in no example (copy it from one, or mark it rust,ignore):\n{snippet}"
        );
    }
}
