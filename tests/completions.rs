//! bash completion for real: the committed `completions/TOOL.bash` is sourced in bash, the
//! words of a command line are put in `COMP_WORDS` as bash's programmable completion does,
//! and the function `complete -F` registered for the tool runs. Completing `--` after each
//! subcommand must offer every flag of that subcommand (its own and the global ones), and
//! completing the value of a flag with a fixed set of values must offer those values.

use std::path::Path;
use std::process::Command;

/// What the tool's completion offers for `words`, the last one being completed.
fn complete(tool: &str, words: &[&str]) -> Vec<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("completions/{tool}.bash"));
    let quoted: Vec<String> = words.iter().map(|w| format!("'{}'", w.replace('\'', r"'\''"))).collect();
    let program = format!(
        r#"source '{script}'
spec=$(complete -p {tool}) || exit 90
function=$(sed -E 's/.*-F ([^ ]+).*/\1/' <<<"$spec")
COMP_WORDS=({words})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
"$function" {tool} "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        script = script.display(),
        words = quoted.join(" "),
    );
    let output =
        Command::new("bash").args(["--norc", "--noprofile", "-c", &program]).output().expect("bash runs");
    assert!(
        output.status.success(),
        "{tool} {words:?}: bash failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().lines().map(str::to_string).collect()
}

/// The long flags a user may type after `path` (hidden ones left out).
fn long_flags(command: &clap::Command) -> Vec<String> {
    command
        .get_arguments()
        .filter(|arg| !arg.is_hide_set())
        .filter_map(|arg| arg.get_long())
        .map(|long| format!("--{long}"))
        .collect()
}

#[test]
fn every_subcommands_flags_complete_in_bash() {
    let mut checked = 0;
    for tool in evlock::tools::all() {
        let mut command = tool.command;
        command.build();
        let top = complete(tool.name, &[tool.name, "--"]);
        for flag in long_flags(&command) {
            assert!(top.contains(&flag), "{} --<TAB> lacks {flag}: {top:?}", tool.name);
        }
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
            let offered = complete(tool.name, &[tool.name, sub.get_name(), "--"]);
            let expected = long_flags(sub);
            assert!(!expected.is_empty());
            for flag in &expected {
                assert!(
                    offered.contains(flag),
                    "{} {} --<TAB> lacks {flag}: {offered:?}",
                    tool.name,
                    sub.get_name()
                );
            }
            // Only that subcommand's flags: no other subcommand's own flag leaks in.
            assert!(
                offered.iter().all(|f| expected.contains(f)),
                "{} {}: {offered:?}",
                tool.name,
                sub.get_name()
            );
            checked += 1;
        }
        // The subcommand names themselves.
        let names = complete(tool.name, &[tool.name, ""]);
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            assert!(
                names.contains(&sub.get_name().to_string()),
                "{} <TAB> lacks {}: {names:?}",
                tool.name,
                sub.get_name()
            );
        }
    }
    assert!(checked >= 20, "only {checked} subcommands checked");
}

#[test]
fn flag_values_and_prefixes_complete_in_bash() {
    // A subcommand's flag with a fixed set of values.
    assert_eq!(complete("evlock-trade", &["evlock-trade", "deliver", "--role", ""]), ["seller", "buyer"]);
    assert_eq!(complete("evlock-trade", &["evlock-trade", "deliver", "--clock", "v"]), ["virtual"]);
    // A positional value, after a global flag and its value.
    let what = complete("evlock-trade", &["evlock-trade", "--rpc", "http://x", "status", "b"]);
    assert_eq!(what, ["balance"]);
    // A prefix narrows the flags; a subcommand with a dash in its name completes too.
    assert_eq!(
        complete("evlock-keygen", &["evlock-keygen", "change-password", "--new"]),
        ["--new-password-file"]
    );
    assert_eq!(complete("evlock-keygen", &["evlock-keygen", "cha"]), ["change-password"]);
    assert_eq!(complete("evlock-sign", &["evlock-sign", "--role", ""]), ["sender", "fee-payer"]);
    let verbosity = complete("evlock-sense", &["evlock-sense", "scan", "-"]);
    assert!(verbosity.contains(&"-v".to_string()) && verbosity.contains(&"--addresses".to_string()));
}
