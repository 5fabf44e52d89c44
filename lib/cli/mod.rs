//! The command-line layer: what talks to a terminal. Global flags, the stderr logger, man
//! pages and completions, and [`execute`], which runs a tool and renders its failure.
//!
//! Every tool is a [`Tool`]: a clap parser with [`GlobalArgs`] flattened in and a `run` method.
//! [`execute`] sets up logging, handles the hidden `--generate` flag, runs the tool and maps
//! the outcome to an exit code, printing the whole cause chain of a failure on stderr.
//!
//! stdout carries data only, through [`crate::wire::Output`]; a closed stdout (broken pipe)
//! ends the tool quietly with exit 0, while any other write error on stdout (a full disk) is
//! exit 2, and a tool started with stdout closed (`>&-`) refuses to start (exit 2). `-qq`
//! silences stderr entirely: not even the final error is printed, only the exit code tells. Domain modules never import this module: the exit codes
//! and [`Failure`] they need are in the ground ([`crate::exit`]).

mod args;
pub mod bash;
mod diag;
pub mod docs;
pub mod man;

pub use args::{GlobalArgs, InputArgs};
pub use docs::Generate;

use std::process;

use crate::exit::{ExitCode, Failure};
use crate::wire::{Output, write_stderr};

/// A command-line tool of the toolkit: its clap definition plus what it does.
pub trait Tool: clap::Parser {
    /// The tool's binary name, e.g. `evlock-keygen`.
    const NAME: &'static str;
    /// The man pages of the related tools, named in this tool's SEE ALSO.
    const SEE_ALSO: &'static [&'static str];
    /// The global options every tool shares.
    fn globals(&self) -> &GlobalArgs;
    /// Runs the tool. Data goes through `out`; the returned code is the process exit code.
    fn run(self, out: &mut Output) -> Result<ExitCode, Failure>;
}

/// Everything a tool needs around its `run`: logging, `--generate`, error rendering, exit code.
///
/// Binaries call it with the parsed arguments:
///
/// ```no_run
/// use clap::Parser;
/// use evlock::tools::keygen::Keygen;
/// let code = evlock::cli::execute(Keygen::parse());
/// ```
pub fn execute<T: Tool>(tool: T) -> process::ExitCode {
    let globals = tool.globals().clone();
    diag::init(T::NAME, globals.verbose, globals.quiet);
    if globals.quiet >= 2 {
        crate::wire::silence_stderr();
    }
    // Before any work: with stdout closed, nothing the tool does could be read.
    let mut out = match Output::stdout(globals.pretty) {
        Ok(out) => out,
        Err(error) => {
            let failure = Failure::from(error);
            report(&failure, T::NAME);
            return failure.exit.into();
        }
    };

    let result = match globals.generate {
        Some(what) => {
            let mut cmd = <T as clap::CommandFactory>::command();
            out.write_raw(&docs::render(&mut cmd, T::NAME, T::SEE_ALSO, what))
                .map(|()| ExitCode::Success)
                .map_err(Failure::from)
        }
        None => tool.run(&mut out),
    };
    let code = match result {
        Ok(code) => code,
        Err(failure) => {
            report(&failure, T::NAME);
            failure.exit
        }
    };
    code.into()
}

/// Prints a failure on stderr: `tool: error: message` and one `caused by:` line per cause.
/// Prints nothing for a quiet exit 0 (closed stdout).
pub fn report(failure: &Failure, tool: &str) {
    if failure.exit == ExitCode::Success {
        return;
    }
    let chain = failure.chain();
    let mut text = format!("{tool}: error: {}\n", chain[0]);
    for cause in &chain[1..] {
        text.push_str(&format!("  caused by: {cause}\n"));
    }
    write_stderr(&text);
}
