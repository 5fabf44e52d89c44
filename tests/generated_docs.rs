//! The committed man pages and completions must match the clap definitions.
//! Regenerate them with `scripts/generate-docs`.

use std::path::Path;

use evlock::cli::{Generate, docs};

#[test]
fn man_pages_and_completions_match_the_tools() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stale = Vec::new();
    let tools = evlock::tools::all();
    assert!(!tools.is_empty());
    for (name, command) in tools {
        assert!(root.join("src/bin").join(format!("{name}.rs")).exists(), "{name} has no binary");
        for what in Generate::ALL {
            let expected = docs::render(&mut command.clone(), name, what);
            let path = root.join(what.path(name));
            if std::fs::read(&path).ok().as_deref() != Some(&expected[..]) {
                stale.push(what.path(name));
            }
        }
    }
    assert!(stale.is_empty(), "out of date (run scripts/generate-docs and commit): {stale:?}");
}

#[test]
fn every_binary_is_a_registered_tool() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let names: Vec<_> = evlock::tools::all().into_iter().map(|(name, _)| name).collect();
    for entry in std::fs::read_dir(root.join("src/bin")).unwrap() {
        let file = entry.unwrap().path();
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(names.contains(&stem.as_str()), "{stem} is missing from evlock::tools::all()");
    }
}
