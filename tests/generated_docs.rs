//! The committed man pages and completions match the clap definitions (regenerate them with
//! `scripts/generate-docs`), every command's help has examples that paste as valid shell, the
//! man pages read without warnings and name only pages that ship, and the tables of exit
//! codes in the docs are the one generated from `ExitCode`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use evlock::cli::docs::{self, EXAMPLE_WIDTH, Generate, LongHelp};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every tool's command, built, with every subcommand that stands for itself: (path, command).
fn commands() -> Vec<(String, clap::Command)> {
    let mut all = Vec::new();
    for tool in evlock::tools::all() {
        let mut command = tool.command;
        command.build();
        for sub in docs::subcommands(&command) {
            all.push((format!("{} {}", tool.name, sub.get_name()), sub.clone()));
        }
        all.push((tool.name.to_string(), command));
    }
    all
}

#[test]
fn man_pages_and_completions_match_the_tools() {
    let mut stale = Vec::new();
    let tools = evlock::tools::all();
    assert!(!tools.is_empty());
    for tool in tools {
        assert!(
            root().join("src/bin").join(format!("{}.rs", tool.name)).exists(),
            "{} has no binary",
            tool.name
        );
        for what in Generate::ALL {
            let expected = docs::render(&mut tool.command.clone(), tool.name, tool.see_also, what);
            let path = root().join(what.path(tool.name));
            if std::fs::read(&path).ok().as_deref() != Some(&expected[..]) {
                stale.push(what.path(tool.name));
            }
        }
    }
    assert!(stale.is_empty(), "out of date (run scripts/generate-docs and commit): {stale:?}");
}

#[test]
fn every_binary_is_a_registered_tool() {
    let names: Vec<_> = evlock::tools::all().into_iter().map(|tool| tool.name).collect();
    for entry in std::fs::read_dir(root().join("src/bin")).unwrap() {
        let file = entry.unwrap().path();
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(names.contains(&stem.as_str()), "{stem} is missing from evlock::tools::all()");
    }
}

#[test]
fn every_command_has_examples_that_fit_a_terminal() {
    for (path, command) in commands() {
        let help = LongHelp::of(&command);
        assert!(!help.examples.is_empty(), "`{path} --help` shows no examples");
        for example in &help.examples {
            assert!(!example.comment.is_empty() && !example.lines.is_empty(), "{path}: {example:?}");
            let comments = example.comment.iter().map(|c| format!("# {c}"));
            for line in comments.chain(example.lines.iter().cloned()) {
                assert!(
                    line.chars().count() <= EXAMPLE_WIDTH,
                    "{path}: an example line wider than {EXAMPLE_WIDTH} columns is broken by help wrapping: {line}"
                );
            }
        }
        assert!(
            help.examples.iter().flat_map(|e| &e.lines).any(|line| line.contains(&path)),
            "{path}: no example runs `{path}`"
        );
        assert_eq!(help.exit_codes, !path.contains(' '), "{path}: the exit codes belong to a tool's help");
    }
}

/// The examples as `--help` printed them: the indented lines under `Examples:`.
fn examples_of(help: &str) -> String {
    let start = help.find("\nExamples:\n").unwrap_or_else(|| panic!("no Examples section in:\n{help}"));
    let mut script = String::new();
    for line in help[start + "\nExamples:\n".len()..].lines() {
        if !line.is_empty() && !line.starts_with("  ") {
            break;
        }
        script.push_str(line.strip_prefix("  ").unwrap_or(line));
        script.push('\n');
    }
    script
}

fn bash_syntax_check(what: &str, script: &str) {
    let mut child = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash runs");
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{what}: the examples are not valid shell: {}\n{script}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn examples_pasted_from_help_are_valid_shell() {
    for (path, command) in commands() {
        let mut words = path.split(' ');
        let tool = words.next().unwrap();
        let output = Command::new(bin(tool)).args(words).arg("--help").output().unwrap();
        assert!(output.status.success(), "{path} --help");
        let help = String::from_utf8(output.stdout).unwrap();
        let script = examples_of(&help);
        bash_syntax_check(&format!("`{path} --help`"), &script);
        // No quoted string runs over two lines: an NDJSON record stays on one line.
        for line in script.lines() {
            assert!(quotes_close(line), "{path}: a quoted string runs past the line: {line}");
        }
        // On an 80-column terminal too, where clap wraps help at 80.
        let narrow = command.clone().term_width(80).render_long_help().to_string();
        bash_syntax_check(&format!("`{path} --help` at 80 columns"), &examples_of(&narrow));
        assert_eq!(examples_of(&narrow), script, "{path}: wrapping at 80 columns changed the examples");
    }
}

/// Whether every shell quote opened on `line` is closed on it.
fn quotes_close(line: &str) -> bool {
    let (mut single, mut double, mut escaped) = (false, false, false);
    let mut previous = ' ';
    for c in line.chars() {
        if c == '#' && !single && !double && !escaped && previous.is_whitespace() {
            break; // a comment
        }
        previous = c;
        match c {
            _ if escaped => escaped = false,
            '\\' if !single => escaped = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            _ => {}
        }
    }
    !single && !double
}

fn bin(tool: &str) -> &'static str {
    match tool {
        "evlock-keygen" => env!("CARGO_BIN_EXE_evlock-keygen"),
        "evlock-sign" => env!("CARGO_BIN_EXE_evlock-sign"),
        "evlock-relay" => env!("CARGO_BIN_EXE_evlock-relay"),
        "evlock-trade" => env!("CARGO_BIN_EXE_evlock-trade"),
        "evlock-devnet" => env!("CARGO_BIN_EXE_evlock-devnet"),
        "evlock-sense" => env!("CARGO_BIN_EXE_evlock-sense"),
        "evlock-calibrate" => env!("CARGO_BIN_EXE_evlock-calibrate"),
        other => panic!("no tool {other}"),
    }
}

#[test]
fn man_pages_name_only_shipped_pages_and_show_every_example() {
    for tool in evlock::tools::all() {
        let page = std::fs::read_to_string(root().join(Generate::Man.path(tool.name))).unwrap();
        // Every `name(1)` the page cites is a page in man/.
        for (at, _) in page.match_indices("(1)") {
            let before = &page[..at];
            let name = before.rsplit(|c: char| c.is_whitespace() || c == ',' || c == '>').next().unwrap();
            let name = name.trim_start_matches("\\fB").trim_end_matches("\\fR").replace("\\-", "-");
            assert!(
                root().join(format!("man/{name}.1")).exists(),
                "{}: names {name}(1), which is not shipped",
                tool.name
            );
        }
        for section in [".SH SYNOPSIS", ".SH EXAMPLES", ".SH \"EXIT STATUS\"", ".SH \"SEE ALSO\""] {
            assert!(page.contains(section), "{}: no {section}", tool.name);
        }
        for code in evlock::exit::ExitCode::ALL {
            assert!(
                page.contains(&format!(".TP\n\\fB{}\\fR\n", code.as_i32())),
                "{}: exit {code:?}",
                tool.name
            );
        }
        let mut command = tool.command;
        command.build();
        for sub in docs::subcommands(&command) {
            assert!(
                page.contains(&format!(".SS \"{} {}\"", tool.name, sub.get_name())),
                "{}: no {}",
                tool.name,
                sub.get_name()
            );
        }
    }
}

#[test]
fn man_pages_format_without_warnings() {
    if Command::new("man").arg("--version").output().is_err() {
        panic!("man is needed to check the man pages: apt-get install man-db groff-base");
    }
    let man = |path: &Path, width: &str| {
        Command::new("man")
            .args(["--warnings", "-l"])
            .arg(path)
            .env("MANWIDTH", width)
            .env("LC_ALL", "C.UTF-8")
            .output()
            .unwrap()
    };
    for tool in evlock::tools::all() {
        let path = root().join(Generate::Man.path(tool.name));
        for width in ["80", "100"] {
            let output = man(&path, width);
            let warnings = String::from_utf8_lossy(&output.stderr);
            assert!(
                output.status.success() && warnings.trim().is_empty(),
                "man {} at {width} columns: {warnings}",
                path.display()
            );
        }
        let output = man(&path, "100");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains("EXAMPLES") && text.contains("EXIT STATUS"), "{text}");
        // Every example of the tool and its subcommands, line for line as in --help: a
        // pasted example from the man page is the same shell text.
        let mut command = tool.command;
        command.build();
        let mut helps = vec![LongHelp::of(&command)];
        helps.extend(docs::subcommands(&command).map(LongHelp::of));
        for example in helps.iter().flat_map(|help| &help.examples) {
            for line in &example.lines {
                let shown = format!("\n{:11}{line}\n", "");
                assert!(
                    text.contains(&shown),
                    "man {}: the example line `{line}` is not shown as is",
                    tool.name
                );
            }
        }
    }
}

#[test]
fn the_docs_show_the_exit_codes_of_the_enum() {
    let table = docs::exit_code_markdown();
    for doc in ["README.md", "docs/architecture.md"] {
        let text = std::fs::read_to_string(root().join(doc)).unwrap();
        assert!(
            text.contains(&table),
            "{doc} must hold the exit-code table generated from ExitCode:\n{table}"
        );
    }
}

#[test]
fn the_help_and_the_readme_name_the_devnets_port() {
    let port = evlock::tools::devnet::DEFAULT_PORT.to_string();
    // The one other loopback address the docs may name: the console's own.
    let console = evlock::tools::trade_serve::DEFAULT_LISTEN.trim_start_matches("127.0.0.1:");
    let mut texts: Vec<(String, String)> = commands()
        .into_iter()
        .map(|(path, mut command)| (path, command.render_long_help().to_string()))
        .collect();
    for doc in ["README.md", "docs/architecture.md"] {
        texts.push((doc.to_string(), std::fs::read_to_string(root().join(doc)).unwrap()));
    }
    let mut seen = 0;
    for (what, text) in &texts {
        for (at, _) in text.match_indices("127.0.0.1:") {
            let named: String =
                text[at + "127.0.0.1:".len()..].chars().take_while(char::is_ascii_digit).collect();
            if named == console {
                continue;
            }
            assert_eq!(
                named, port,
                "{what} names port {named}, but evlock-devnet listens on {port} by default"
            );
            seen += 1;
        }
    }
    assert!(seen > 3, "the docs name the devnet's address {seen} times");
}
