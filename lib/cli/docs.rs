//! Help texts, man pages and shell completions, generated from the clap definitions.
//!
//! Every command's `--help` ends with its examples (and a tool's with its notes and the table
//! of exit codes), built by [`tool_help`] and [`command_help`] from the examples each tool
//! writes once. The man pages ([`man`]) read the same text back with [`LongHelp::parse`], so
//! `--help` and `man` show the same examples.
//!
//! Every tool has a hidden `--generate man|bash|zsh|fish`; `scripts/generate-docs` writes the
//! results to `man/` and `completions/`, and a test fails when those files drift from clap.

use clap::ValueEnum;
use clap_complete::Shell;

use super::{bash, man};
use crate::exit::ExitCode;

/// What `--generate` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generate {
    /// A roff man page (section 1).
    Man,
    /// bash completions.
    Bash,
    /// zsh completions.
    Zsh,
    /// fish completions.
    Fish,
}

impl Generate {
    /// Where the generated file lives in the repository, relative to its root.
    pub fn path(self, tool: &str) -> String {
        match self {
            Generate::Man => format!("man/{tool}.1"),
            Generate::Bash => format!("completions/{tool}.bash"),
            Generate::Zsh => format!("completions/_{tool}"),
            Generate::Fish => format!("completions/{tool}.fish"),
        }
    }

    /// Every kind, in a fixed order.
    pub const ALL: [Generate; 4] = [Generate::Man, Generate::Bash, Generate::Zsh, Generate::Fish];
}

/// Renders a man page or completion script for a tool's clap command. `see_also` names the
/// man pages of the related tools (each one shipped in `man/`).
pub fn render(cmd: &mut clap::Command, name: &str, see_also: &[&str], what: Generate) -> Vec<u8> {
    cmd.set_bin_name(name);
    cmd.build();
    match what {
        Generate::Man => man::page(cmd, see_also).into_bytes(),
        // clap_complete's bash script names a hyphenated binary's subcommand states in two
        // different ways (`evlock__keygen__subcmd__new` against `evlock__subcmd__keygen__…`),
        // so no subcommand flag ever completes; ours names them once (see `bash`).
        Generate::Bash => bash::script(cmd, name).into_bytes(),
        Generate::Zsh => generate(Shell::Zsh, cmd, name),
        Generate::Fish => generate(Shell::Fish, cmd, name),
    }
}

fn generate(shell: Shell, cmd: &mut clap::Command, name: &str) -> Vec<u8> {
    let mut buffer = Vec::new();
    clap_complete::generate(shell, cmd, name, &mut buffer);
    buffer
}

/// The widest line an example may have in its source: with the two spaces of indentation it
/// fits an 80-column terminal, so clap's help wrapping never breaks a command in two.
pub const EXAMPLE_WIDTH: usize = 76;

const EXAMPLES_HEADING: &str = "Examples:";
const EXIT_CODES_HEADING: &str = "Exit codes:";
const TABLE_WIDTH: usize = 78;

/// The text after a tool's options in `--help` (`after_long_help`): its examples, its notes
/// and the table of exit codes.
///
/// `examples` is shell text: examples separated by blank lines, each one or more `# what it
/// does` lines and then the commands (continued with `\`), none wider than
/// [`EXAMPLE_WIDTH`]. `notes` is prose, paragraphs separated by blank lines (reflowed to fit
/// 80 columns).
pub fn tool_help(examples: &str, notes: &str) -> String {
    let mut text = command_help(examples, notes);
    text.push_str("\n\n");
    text.push_str(&exit_code_table());
    text
}

/// The text after a subcommand's options in `--help`: its examples and notes (see
/// [`tool_help`] for their form).
pub fn command_help(examples: &str, notes: &str) -> String {
    let mut text = String::from(EXAMPLES_HEADING);
    for line in examples.trim_matches('\n').lines() {
        text.push('\n');
        if !line.trim().is_empty() {
            text.push_str("  ");
            text.push_str(line.trim_end());
        }
    }
    // Notes are prose: reflowed to fit 80 columns, as clap would otherwise break them.
    for paragraph in notes.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        text.push_str("\n\n");
        text.push_str(&hanging("", paragraph, TABLE_WIDTH));
    }
    text
}

/// The table of exit codes, from [`ExitCode::ALL`], as `--help` shows it.
pub fn exit_code_table() -> String {
    let mut text = String::from(EXIT_CODES_HEADING);
    for code in ExitCode::ALL {
        let lead = format!("  {:>3}  ", code.as_i32());
        text.push('\n');
        text.push_str(&hanging(&lead, code.meaning(), TABLE_WIDTH));
    }
    text
}

/// The table of exit codes, from [`ExitCode::ALL`], in Markdown (as in the README and
/// `docs/architecture.md`, which a test holds to it).
pub fn exit_code_markdown() -> String {
    let mut text = String::from("| code | meaning |\n|---|---|\n");
    for code in ExitCode::ALL {
        text.push_str(&format!("| {} | {} |\n", code.as_i32(), code.meaning()));
    }
    text
}

/// `lead` then `text` wrapped at `width`, continuation lines indented under the text.
fn hanging(lead: &str, text: &str, width: usize) -> String {
    let indent = " ".repeat(lead.chars().count());
    let mut out = lead.to_string();
    let mut column = out.chars().count();
    let mut first = true;
    for word in text.split_whitespace() {
        let length = word.chars().count();
        if !first && column + 1 + length > width {
            out.push('\n');
            out.push_str(&indent);
            column = indent.len();
        } else if !first {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += length;
        first = false;
    }
    out
}

/// One example of a `--help` text: what it does and its shell lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The `# …` lines above the commands, without the `# `.
    pub comment: Vec<String>,
    /// The shell lines, as a user pastes them.
    pub lines: Vec<String>,
}

/// A long help text taken apart again: what [`tool_help`] or [`command_help`] put together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LongHelp {
    /// The examples.
    pub examples: Vec<Example>,
    /// The notes, one string per paragraph (lines joined by spaces).
    pub notes: Vec<String>,
    /// Whether the text ends with the table of exit codes.
    pub exit_codes: bool,
}

impl LongHelp {
    /// Reads a command's `after_long_help` (empty when it has none).
    pub fn of(cmd: &clap::Command) -> LongHelp {
        cmd.get_after_long_help().map(|text| LongHelp::parse(&text.to_string())).unwrap_or_default()
    }

    /// Takes apart the text [`tool_help`] or [`command_help`] made.
    pub fn parse(text: &str) -> LongHelp {
        let mut help = LongHelp::default();
        let mut lines = text.lines().peekable();
        if lines.peek() == Some(&EXAMPLES_HEADING) {
            lines.next();
            let mut current: Option<Example> = None;
            while let Some(line) = lines.peek() {
                if !line.is_empty() && !line.starts_with("  ") {
                    break;
                }
                let line = lines.next().unwrap_or_default();
                let Some(body) = line.strip_prefix("  ") else {
                    help.examples.extend(current.take());
                    continue;
                };
                let example = current.get_or_insert_with(|| Example { comment: vec![], lines: vec![] });
                match body.strip_prefix('#') {
                    Some(comment) if example.lines.is_empty() => {
                        example.comment.push(comment.trim().to_string());
                    }
                    _ => example.lines.push(body.to_string()),
                }
            }
            help.examples.extend(current.take());
        }
        let mut paragraph: Vec<&str> = Vec::new();
        for line in lines {
            if line == EXIT_CODES_HEADING {
                help.exit_codes = true;
                break;
            }
            if line.trim().is_empty() {
                if !paragraph.is_empty() {
                    help.notes.push(paragraph.join(" "));
                    paragraph.clear();
                }
            } else {
                paragraph.push(line.trim());
            }
        }
        if !paragraph.is_empty() {
            help.notes.push(paragraph.join(" "));
        }
        help
    }
}

/// The visible subcommands of a command that stand for themselves (not clap's `help`).
pub fn subcommands(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands().filter(|sub| !sub.is_hide_set() && sub.get_name() != "help")
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLES: &str = r#"
# Sign one transfer
echo '{"kind":"tx"}' \
  | evlock-sign --key k.json

# Two lines of comment,
# then one command
evlock-sign decode 0x08
"#;

    #[test]
    fn long_help_comes_apart_as_it_was_put_together() {
        let text = tool_help(EXAMPLES, "A note that goes\non over two lines.\n\nAnother one.");
        assert!(
            text.starts_with("Examples:\n  # Sign one transfer\n  echo '{\"kind\":\"tx\"}' \\\n"),
            "{text}"
        );
        let help = LongHelp::parse(&text);
        assert_eq!(help.examples.len(), 2);
        assert_eq!(help.examples[0].comment, vec!["Sign one transfer"]);
        assert_eq!(
            help.examples[0].lines,
            vec!["echo '{\"kind\":\"tx\"}' \\", "  | evlock-sign --key k.json"]
        );
        assert_eq!(help.examples[1].comment, vec!["Two lines of comment,", "then one command"]);
        assert_eq!(help.notes, vec!["A note that goes on over two lines.", "Another one."]);
        assert!(help.exit_codes);
        let sub = LongHelp::parse(&command_help(EXAMPLES, ""));
        assert_eq!(sub.examples, help.examples);
        assert!(sub.notes.is_empty() && !sub.exit_codes);
    }

    #[test]
    fn the_exit_code_table_has_every_code_and_fits_80_columns() {
        let table = exit_code_table();
        for code in ExitCode::ALL {
            assert!(table.contains(&format!("  {:>3}  ", code.as_i32())), "{table}");
        }
        assert!(table.lines().all(|line| line.chars().count() <= TABLE_WIDTH), "{table}");
        // A long meaning goes on under itself, not under the code.
        assert!(table.lines().skip(1).all(|line| line.starts_with("  ") && line.len() > 7), "{table}");
        assert!(table.lines().any(|line| line.starts_with("       ") && !line.trim().is_empty()), "{table}");
        let markdown = exit_code_markdown();
        assert_eq!(markdown.lines().count(), ExitCode::ALL.len() + 2);
        assert!(markdown.contains("| 130 | interrupted"));
    }
}
