//! The shared command-line layer: one output writer, diagnostics, exit codes, error rendering.
//!
//! Every tool is a [`Tool`]: a clap parser with [`GlobalArgs`] flattened in and a `run` method.
//! [`execute`] sets up logging, handles the hidden `--generate` flag, runs the tool and maps
//! the outcome to an exit code, printing the whole cause chain of a failure on stderr.
//!
//! stdout carries data only, through [`Output`]; a closed stdout (broken pipe) ends the tool
//! quietly with exit 0.

mod args;
mod diag;
pub mod docs;
mod exit;
mod input;
pub mod interrupt;
mod output;

pub use args::{GlobalArgs, OnError};
pub use docs::Generate;
pub use exit::{ErrorClass, ExitCode, Failure};
pub use input::{RecordStream, StreamOutcome};
pub use output::{Output, OutputError};

use std::process;

/// A command-line tool of the toolkit: its clap definition plus what it does.
pub trait Tool: clap::Parser {
    /// The tool's binary name, e.g. `evlock-keygen`.
    const NAME: &'static str;
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
    let mut out = Output::stdout(globals.pretty);

    let result = match globals.generate {
        Some(what) => {
            let mut cmd = <T as clap::CommandFactory>::command();
            out.write_raw(&docs::render(&mut cmd, T::NAME, what))
                .map(|()| ExitCode::Success)
                .map_err(Failure::from)
        }
        None => tool.run(&mut out),
    };
    let code = match result {
        Ok(code) => code,
        Err(failure) => {
            failure.report(T::NAME);
            failure.exit
        }
    };
    code.into()
}
