//! Man pages: one roff page (section 1) per tool, with every subcommand in it.
//!
//! The page has the tool's synopsis, description and options (grouped under the same headings
//! as `--help`), a COMMANDS section with each subcommand's usage, options and examples, the
//! tool's EXAMPLES and NOTES, the EXIT STATUS table from [`ExitCode::ALL`], and SEE ALSO with
//! the related tools' pages. Examples are set without filling (`.nf`), exactly as in `--help`,
//! so a pasted example is the same shell text.

use clap::{Arg, Command};
use roff::{Inline, Roff, bold, italic, line_break, roman};

use super::docs::{Example, LongHelp, subcommands};
use crate::exit::ExitCode;

/// The man page of a built tool command; `see_also` names related tools' pages.
pub fn page(cmd: &Command, see_also: &[&str]) -> String {
    let name = cmd.get_name();
    let version = cmd.get_version().unwrap_or_default();
    let source = format!("{name} {version}");
    let mut roff = Roff::new();
    roff.control("TH", [name, "1", "\"\"", source.as_str(), "\"\""]);

    roff.control("SH", ["NAME"]);
    let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
    roff.text([roman(format!("{name} - {about}"))]);

    roff.control("SH", ["SYNOPSIS"]);
    synopsis(&mut roff, cmd);

    roff.control("SH", ["DESCRIPTION"]);
    paragraphs(&mut roff, &description(cmd));

    let args: Vec<&Arg> = cmd.get_arguments().filter(|arg| !arg.is_hide_set()).collect();
    for (heading, group) in by_heading(&args) {
        let title = heading.map_or("OPTIONS".to_string(), str::to_uppercase);
        roff.control("SH", [title.as_str()]);
        options(&mut roff, &group);
    }

    let commands: Vec<&Command> = subcommands(cmd).collect();
    if !commands.is_empty() {
        roff.control("SH", ["COMMANDS"]);
        for sub in commands {
            command_section(&mut roff, sub);
        }
    }

    let help = LongHelp::of(cmd);
    if !help.examples.is_empty() {
        roff.control("SH", ["EXAMPLES"]);
        examples(&mut roff, &help.examples);
    }
    if !help.notes.is_empty() {
        roff.control("SH", ["NOTES"]);
        paragraphs(&mut roff, &help.notes);
    }

    roff.control("SH", ["EXIT STATUS"]);
    for code in ExitCode::ALL {
        roff.control("TP", []);
        roff.text([bold(code.as_i32().to_string())]);
        roff.text([roman(code.meaning())]);
    }

    if !see_also.is_empty() {
        roff.control("SH", ["SEE ALSO"]);
        let mut refs = Vec::new();
        for (i, page) in see_also.iter().enumerate() {
            if i > 0 {
                refs.push(roman(", "));
            }
            refs.push(bold(*page));
            refs.push(roman("(1)"));
        }
        roff.text(refs);
    }

    roff.control("SH", ["VERSION"]);
    roff.text([roman(version.to_string())]);
    roff.render()
}

/// One subcommand: its usage, description, own options (the global ones are in the tool's
/// sections) and examples.
fn command_section(roff: &mut Roff, sub: &Command) {
    let path = sub.get_bin_name().unwrap_or_else(|| sub.get_name()).to_string();
    roff.control("SS", [path.as_str()]);
    synopsis(roff, sub);
    roff.control("PP", []);
    paragraphs(roff, &description(sub));
    let own: Vec<&Arg> = sub
        .get_arguments()
        .filter(|arg| !arg.is_hide_set() && !arg.is_global_set() && arg.get_id() != "help")
        .collect();
    for (heading, group) in by_heading(&own) {
        if let Some(heading) = heading {
            roff.control("PP", []);
            roff.text([bold(format!("{heading}:"))]);
        }
        options(roff, &group);
    }
    let help = LongHelp::of(sub);
    if !help.examples.is_empty() {
        roff.control("PP", []);
        roff.text([bold("Examples:")]);
        examples(roff, &help.examples);
    }
    if !help.notes.is_empty() {
        roff.control("PP", []);
        paragraphs(roff, &help.notes);
    }
    for nested in subcommands(sub) {
        command_section(roff, nested);
    }
}

/// The usage line, as `--help` prints it, the command's name in bold.
fn synopsis(roff: &mut Roff, cmd: &Command) {
    let usage = cmd.clone().render_usage().to_string();
    let usage = usage.trim().strip_prefix("Usage:").unwrap_or(&usage).trim().to_string();
    let name = cmd.get_bin_name().unwrap_or_else(|| cmd.get_name());
    let line = match usage.strip_prefix(name) {
        Some(rest) => vec![bold(name), roman(rest)],
        None => vec![roman(usage.clone())],
    };
    roff.text(line);
}

fn description(cmd: &Command) -> Vec<String> {
    let text = cmd.get_long_about().or_else(|| cmd.get_about()).map(|t| t.to_string()).unwrap_or_default();
    split_paragraphs(&text)
}

fn split_paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.lines().map(str::trim).collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

fn paragraphs(roff: &mut Roff, paragraphs: &[String]) {
    for (i, paragraph) in paragraphs.iter().enumerate() {
        if i > 0 {
            roff.control("PP", []);
        }
        roff.text([roman(paragraph.as_str())]);
    }
}

/// Each example: its comment as a paragraph, its lines unfilled and indented.
fn examples(roff: &mut Roff, examples: &[Example]) {
    for example in examples {
        roff.control("PP", []);
        roff.text([roman(example.comment.join(" "))]);
        roff.control("RS", ["4"]);
        roff.control("nf", []);
        for line in &example.lines {
            roff.text([roman(line.as_str())]);
        }
        roff.control("fi", []);
        roff.control("RE", []);
    }
}

/// Arguments grouped by help heading: the unheaded ones first, then each heading in the order
/// it first appears (as clap's help orders them).
fn by_heading<'a>(args: &[&'a Arg]) -> Vec<(Option<&'a str>, Vec<&'a Arg>)> {
    let mut groups: Vec<(Option<&str>, Vec<&Arg>)> = vec![(None, Vec::new())];
    for arg in args {
        let heading = arg.get_help_heading();
        match groups.iter_mut().find(|(h, _)| *h == heading) {
            Some((_, group)) => group.push(arg),
            None => groups.push((heading, vec![arg])),
        }
    }
    for (_, group) in &mut groups {
        // Positional arguments first, in their order; then options in declaration order.
        group.sort_by_key(|arg| (!arg.is_positional(), arg.get_index().unwrap_or(usize::MAX)));
    }
    groups.into_iter().filter(|(_, group)| !group.is_empty()).collect()
}

fn options(roff: &mut Roff, args: &[&Arg]) {
    for arg in args {
        roff.control("TP", []);
        roff.text(tag(arg));
        let help = arg.get_long_help().or_else(|| arg.get_help()).map(|h| h.to_string()).unwrap_or_default();
        for (i, paragraph) in split_paragraphs(&help).iter().enumerate() {
            if i > 0 {
                roff.control("sp", []);
            }
            roff.text([roman(paragraph.as_str())]);
        }
        let mut notes: Vec<Inline> = Vec::new();
        let values: Vec<_> = arg.get_possible_values().into_iter().filter(|v| !v.is_hide_set()).collect();
        if !values.is_empty() && !arg.is_hide_possible_values_set() {
            if values.iter().any(|v| v.get_help().is_some()) {
                for value in &values {
                    notes.push(line_break());
                    notes.push(bold(value.get_name()));
                    if let Some(help) = value.get_help() {
                        notes.push(roman(format!(": {help}")));
                    }
                }
            } else {
                let names: Vec<&str> = values.iter().map(|v| v.get_name()).collect();
                notes.push(line_break());
                notes.push(roman(format!("[possible values: {}]", names.join(", "))));
            }
        }
        let defaults: Vec<String> =
            arg.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect();
        if !defaults.is_empty() && !arg.is_hide_default_value_set() && takes_values(arg) {
            notes.push(line_break());
            notes.push(roman(format!("[default: {}]", defaults.join(","))));
        }
        if let Some(env) = arg.get_env().filter(|_| !arg.is_hide_env_set()) {
            notes.push(line_break());
            notes.push(roman(format!("[env: {}]", env.to_string_lossy())));
        }
        if !notes.is_empty() {
            roff.text(notes);
        }
    }
}

fn takes_values(arg: &Arg) -> bool {
    arg.get_num_args().is_some_and(|range| range.takes_values())
}

/// `-k, --key URI` or `<ID>`.
fn tag(arg: &Arg) -> Vec<Inline> {
    let names: Vec<String> = arg
        .get_value_names()
        .map(|names| names.iter().map(|n| n.to_string()).collect())
        .unwrap_or_else(|| vec![arg.get_id().as_str().to_uppercase()]);
    let many = arg.get_num_args().is_some_and(|range| range.max_values() > names.len())
        || matches!(arg.get_action(), clap::ArgAction::Append);
    let value = format!("{}{}", names.join(" "), if many { "…" } else { "" });
    if arg.is_positional() {
        return vec![italic(format!("<{value}>"))];
    }
    let mut tag = Vec::new();
    if let Some(short) = arg.get_short() {
        tag.push(bold(format!("-{short}")));
    }
    if let Some(long) = arg.get_long() {
        if !tag.is_empty() {
            tag.push(roman(", "));
        }
        tag.push(bold(format!("--{long}")));
    }
    if takes_values(arg) {
        tag.push(roman(" "));
        tag.push(italic(value));
    }
    tag
}
