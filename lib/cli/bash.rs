//! bash completions: a script that completes each tool's subcommands, every subcommand's own
//! and global flags, and the values of flags that have a fixed set of them.
//!
//! The script walks the words before the cursor to find which (sub)command is being typed
//! (its *path*, e.g. `deliver`), then offers that path's flags and subcommands, or, after a
//! flag that takes a value, that flag's possible values or file names. A path is spelled one
//! way everywhere in the script, so what the walk finds is what the offers are keyed on.

use std::fmt::Write as _;

use clap::{Arg, Command, ValueHint};

/// The bash completion script of a built tool command installed under `name`.
pub fn script(cmd: &Command, name: &str) -> String {
    let function = format!("_{}", name.replace('-', "_"));
    let mut paths = Vec::new();
    collect(cmd, String::new(), &mut paths);

    let mut out = String::new();
    let _ = writeln!(out, "# bash completion for {name}; generated from its clap definition.");
    let _ = writeln!(out, "{function}() {{");
    out.push_str(
        "    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"\" path=\"\" word i opts\n\
         \x20   if (( COMP_CWORD > 0 )); then prev=\"${COMP_WORDS[COMP_CWORD-1]}\"; fi\n\
         \x20   COMPREPLY=()\n\
         \x20   for (( i = 1; i < COMP_CWORD; i++ )); do\n\
         \x20       word=\"${COMP_WORDS[i]}\"\n\
         \x20       case \"${path}:${word}\" in\n",
    );
    for (path, sub) in &paths {
        for child in sub.get_subcommands().filter(|c| !c.is_hide_set()) {
            let child_path = join(path, child.get_name());
            let mut names = vec![child.get_name()];
            names.extend(child.get_visible_aliases());
            let labels: Vec<String> = names.iter().map(|n| quote(&format!("{path}:{n}"))).collect();
            let _ = writeln!(out, "            {}) path={} ;;", labels.join("|"), quote(&child_path));
        }
    }
    out.push_str("        esac\n    done\n");

    // The value of a flag: its possible values, file or folder names, or nothing to offer.
    out.push_str("    case \"${path}:${prev}\" in\n");
    for (path, sub) in &paths {
        for arg in sub.get_arguments().filter(|a| !a.is_hide_set() && !a.is_positional() && takes_value(a)) {
            let labels: Vec<String> =
                flags(arg).iter().map(|flag| quote(&format!("{path}:{flag}"))).collect();
            if labels.is_empty() {
                continue;
            }
            let reply = value_reply(arg);
            let _ =
                writeln!(out, "        {})\n            {reply}\n            return 0 ;;", labels.join("|"));
        }
    }
    out.push_str("    esac\n");

    // Flags and subcommands of the path.
    out.push_str("    case \"${path}\" in\n");
    for (path, sub) in &paths {
        let mut words: Vec<String> = Vec::new();
        for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
            if arg.is_positional() {
                words.extend(possible_values(arg));
            } else {
                words.extend(flags(arg));
            }
        }
        for child in sub.get_subcommands().filter(|c| !c.is_hide_set()) {
            words.push(child.get_name().to_string());
            words.extend(child.get_visible_aliases().map(str::to_string));
        }
        let _ = writeln!(out, "        {}) opts={} ;;", quote(path), quote(&words.join(" ")));
    }
    out.push_str("    esac\n");
    out.push_str("    COMPREPLY=( $(compgen -W \"${opts}\" -- \"${cur}\") )\n    return 0\n}\n\n");
    let _ = writeln!(out, "complete -F {function} -o bashdefault -o default {name}");
    out
}

/// Every (sub)command with its path: `""` for the tool, `"deliver"`, `"help deliver"`, ….
fn collect<'a>(cmd: &'a Command, path: String, paths: &mut Vec<(String, &'a Command)>) {
    paths.push((path.clone(), cmd));
    for child in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
        collect(child, join(&path, child.get_name()), paths);
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_string() } else { format!("{path} {name}") }
}

fn takes_value(arg: &Arg) -> bool {
    arg.get_num_args().is_some_and(|range| range.takes_values())
}

/// `-k` and `--key` (and visible aliases) of an option.
fn flags(arg: &Arg) -> Vec<String> {
    let mut flags = Vec::new();
    if let Some(short) = arg.get_short() {
        flags.push(format!("-{short}"));
    }
    if let Some(long) = arg.get_long() {
        flags.push(format!("--{long}"));
    }
    if let Some(aliases) = arg.get_visible_aliases() {
        flags.extend(aliases.into_iter().map(|alias| format!("--{alias}")));
    }
    flags
}

fn possible_values(arg: &Arg) -> Vec<String> {
    arg.get_possible_values()
        .into_iter()
        .filter(|value| !value.is_hide_set())
        .map(|value| value.get_name().to_string())
        .collect()
}

/// What to offer after a flag that takes a value.
fn value_reply(arg: &Arg) -> String {
    let values = possible_values(arg);
    if !values.is_empty() {
        return format!("COMPREPLY=( $(compgen -W {} -- \"${{cur}}\") )", quote(&values.join(" ")));
    }
    let names = arg.get_value_names().unwrap_or_default();
    let named = |wanted: &[&str]| names.iter().any(|name| wanted.contains(&name.as_str()));
    match arg.get_value_hint() {
        ValueHint::DirPath => "COMPREPLY=( $(compgen -d -- \"${cur}\") )".into(),
        _ if named(&["DIR"]) => "COMPREPLY=( $(compgen -d -- \"${cur}\") )".into(),
        ValueHint::FilePath | ValueHint::AnyPath | ValueHint::ExecutablePath => {
            "COMPREPLY=( $(compgen -f -- \"${cur}\") )".into()
        }
        _ if named(&["FILE", "PEM", "KEYSTORE", "PATH"]) => {
            "COMPREPLY=( $(compgen -f -- \"${cur}\") )".into()
        }
        // A number, an address, a URI …: nothing to offer (bash then offers file names).
        _ => "COMPREPLY=()".into(),
    }
}

/// A word in single quotes for bash.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}
