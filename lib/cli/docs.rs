//! Man pages and shell completions, generated from the clap definitions.
//!
//! Every tool has a hidden `--generate man|bash|zsh|fish`; `scripts/generate-docs` writes the
//! results to `man/` and `completions/`, and a test fails when those files drift from clap.

use clap::ValueEnum;
use clap_complete::Shell;

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

/// Renders a man page or completion script for a tool's clap command.
pub fn render(cmd: &mut clap::Command, name: &str, what: Generate) -> Vec<u8> {
    let mut buffer = Vec::new();
    match what {
        Generate::Man => {
            cmd.build();
            clap_mangen::Man::new(cmd.clone())
                .render(&mut buffer)
                .expect("rendering into memory cannot fail");
        }
        Generate::Bash => clap_complete::generate(Shell::Bash, cmd, name, &mut buffer),
        Generate::Zsh => clap_complete::generate(Shell::Zsh, cmd, name, &mut buffer),
        Generate::Fish => clap_complete::generate(Shell::Fish, cmd, name, &mut buffer),
    }
    buffer
}
