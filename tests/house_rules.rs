//! The house's rules, held against the code: which room of `lib/` may import which.
//!
//! A room is a top-level module of the library (`lib/meter/`, `lib/audit.rs`, …); an arrow is
//! a `crate::ROOM` path in its code (comments and doc comments do not count). The rules are
//! those of `docs/architecture.md`:
//!
//! - the ground (`exit`, `interrupt`) imports nothing of the crate;
//! - `wire` imports only the ground;
//! - no domain room imports `cli` or `tools`; `cli` does not import `tools`;
//! - `meter` imports neither `calibrate` nor `trade`;
//! - no two rooms import each other, directly or around a circle.
//!
//! `cargo test --test house_rules -- --nocapture` prints the graph. The last test holds
//! SECURITY.md's threat matrix to the tests it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

fn rust_files(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The room of a file under `lib/`: its first path component without `.rs`.
fn room_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let room = first.strip_suffix(".rs").unwrap_or(first);
    (room != "lib").then(|| room.to_string())
}

/// Every `crate::NAME` in the code of `text` (line comments and doc comments left out).
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            // `evlock_crate::` or `some_crate::` are not ours.
            let before = rest[..at].chars().next_back();
            rest = &rest[at + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

fn graph() -> Graph {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("lib");
    let mut files = Vec::new();
    rust_files(&lib, &mut files);
    let mut graph = Graph::new();
    for file in files {
        let relative = file.strip_prefix(&lib).unwrap();
        let Some(room) = room_of(relative) else { continue };
        let text = std::fs::read_to_string(&file).unwrap();
        let arrows = graph.entry(room.clone()).or_default();
        for target in crate_paths(&text) {
            if target != room {
                arrows.insert(target);
            }
        }
    }
    graph
}

fn render(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(room, to)| format!("  {room} -> {}\n", to.iter().cloned().collect::<Vec<_>>().join(", ")))
        .collect()
}

/// Every circle of the graph, each as the rooms around it (found from its smallest room).
fn circles(graph: &Graph) -> Vec<Vec<String>> {
    fn walk(graph: &Graph, start: &str, at: &str, path: &mut Vec<String>, found: &mut Vec<Vec<String>>) {
        for next in graph.get(at).into_iter().flatten() {
            if next == start {
                found.push(path.clone());
            } else if next.as_str() > start && !path.contains(next) {
                path.push(next.clone());
                walk(graph, start, next, path, found);
                path.pop();
            }
        }
    }
    let mut found = Vec::new();
    for start in graph.keys() {
        walk(graph, start, start, &mut vec![start.clone()], &mut found);
    }
    found
}

#[test]
fn the_rooms_follow_the_rules() {
    let graph = graph();
    println!("rooms and their arrows:\n{}", render(&graph));
    let arrows = |room: &str| graph.get(room).cloned().unwrap_or_default();
    let mut broken = Vec::new();

    for ground in ["exit", "interrupt"] {
        assert!(graph.contains_key(ground), "the ground room {ground} is missing");
        if !arrows(ground).is_empty() {
            broken.push(format!("the ground room {ground} imports {:?}", arrows(ground)));
        }
    }
    let wire_up: Vec<_> = arrows("wire").into_iter().filter(|to| to != "exit").collect();
    if !wire_up.is_empty() {
        broken.push(format!("wire imports {wire_up:?} (only the ground is allowed)"));
    }
    for (room, to) in &graph {
        if room == "tools" {
            continue;
        }
        for top in ["cli", "tools"] {
            if room != top && to.contains(top) {
                broken.push(format!("{room} imports {top}"));
            }
        }
    }
    for upward in ["calibrate", "trade"] {
        if arrows("meter").contains(upward) {
            broken.push(format!("meter imports {upward}"));
        }
    }
    for circle in circles(&graph) {
        broken.push(format!("a circle: {} -> {}", circle.join(" -> "), circle[0]));
    }
    assert!(
        broken.is_empty(),
        "the house's rules are broken:\n  {}\n\ngraph:\n{}",
        broken.join("\n  "),
        render(&graph)
    );
}

#[test]
fn the_architecture_doc_draws_this_graph() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/architecture.md")).unwrap();
    let drawn: String = render(&graph()).lines().map(|line| format!("{}\n", line.trim_end())).collect();
    assert!(
        doc.contains(&format!("rooms and their arrows:\n{drawn}```")),
        "docs/architecture.md (\"Rooms and floors\") must show the graph as it is now:\n{drawn}"
    );
}

#[test]
fn the_checker_sees_what_it_must() {
    let text = "use crate::cli::Output; // crate::tools in a comment\n/// crate::wire in docs\nlet x = my_crate::a; crate::meter::open();";
    assert_eq!(crate_paths(text), ["cli", "meter"].iter().map(|s| s.to_string()).collect());
    let mut graph = Graph::new();
    graph.entry("a".into()).or_default().insert("b".into());
    graph.entry("b".into()).or_default().insert("c".into());
    graph.entry("c".into()).or_default().insert("a".into());
    assert_eq!(circles(&graph), vec![vec!["a".to_string(), "b".into(), "c".into()]]);
    graph.get_mut("c").unwrap().clear();
    assert!(circles(&graph).is_empty());
}

/// SECURITY.md's threat matrix has the paper's 34 rows, each `tested` or `out of scope`
/// (none pending), each naming at least one test that exists (so a renamed or deleted test
/// cannot leave a claim without its proof; the workspace's crates too, `cargo test -p CRATE`),
/// and its "Status today" line counts the rows as they are.
#[test]
fn the_threat_matrix_names_only_tests_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("SECURITY.md")).expect("SECURITY.md");
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("| ") && l[2..].starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(rows.len(), 34, "the threat matrix has {} rows", rows.len());
    for (i, row) in rows.iter().enumerate() {
        assert!(row.starts_with(&format!("| {} | ", i + 1)), "row {} is out of order: {row}", i + 1);
    }
    let mut lib_sources = Vec::new();
    rust_files(&root.join("lib"), &mut lib_sources);
    let lib_text: String = lib_sources.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    // The workspace's other crates by package name: their folder.
    let crate_dir = |name: &str| -> std::path::PathBuf {
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        let members = manifest.split("members = [").nth(1).and_then(|m| m.split(']').next()).unwrap_or("");
        members
            .split(',')
            .map(|m| m.trim().trim_matches('"'))
            .filter(|m| !m.is_empty() && *m != ".")
            .map(|m| root.join(m))
            .find(|dir| {
                std::fs::read_to_string(dir.join("Cargo.toml"))
                    .is_ok_and(|t| t.contains(&format!("name = \"{name}\"")))
            })
            .unwrap_or_else(|| panic!("SECURITY.md names -p {name}, not a workspace member"))
    };
    let (mut named, mut tested, mut out_of_scope) = (0, 0, 0);
    for row in &rows {
        let status = row.trim_end().trim_end_matches('|').rsplit('|').next().unwrap().trim();
        match status {
            "tested" => tested += 1,
            s if s.starts_with("out of scope") => out_of_scope += 1,
            other => panic!("a row neither tested nor out of scope ({other}): {row}"),
        }
        let commands: Vec<&str> =
            row.split('`').skip(1).step_by(2).filter(|c| c.starts_with("cargo test ")).collect();
        assert!(!commands.is_empty(), "a row names no test: {row}");
        for command in commands {
            let words: Vec<&str> = command.split_whitespace().collect();
            let (dir, rest): (std::path::PathBuf, &[&str]) = match &words[2..] {
                ["-p", name, rest @ ..] => (crate_dir(name), rest),
                rest => (root.to_path_buf(), rest),
            };
            match rest {
                ["--test", file] => assert!(dir.join(format!("tests/{file}.rs")).is_file(), "{command}"),
                ["--test", file, name] => {
                    let source = std::fs::read_to_string(dir.join(format!("tests/{file}.rs")))
                        .unwrap_or_else(|_| panic!("{command}: no tests/{file}.rs"));
                    assert!(source.contains(&format!("fn {name}(")), "{command}: no test {name}");
                }
                ["--lib", path] if dir == root => {
                    let name = path.rsplit("::").next().unwrap();
                    assert!(lib_text.contains(&format!("fn {name}(")), "{command}: no test {name}");
                }
                _ => panic!("SECURITY.md: a test command of an unknown shape: {command}"),
            }
            named += 1;
        }
    }
    assert!(named >= 60, "only {named} tests named");
    let status = format!("Status today: **{tested} of 34 tested**, {out_of_scope} out of scope");
    assert!(text.contains(&status), "SECURITY.md should say \"{status}\"");
}
