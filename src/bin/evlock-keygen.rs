//! `evlock-keygen`: see `evlock-keygen --help` and the `evlock::tools::keygen` docs.

use clap::Parser;
use evlock::tools::keygen::Keygen;

fn main() -> std::process::ExitCode {
    evlock::cli::execute(Keygen::parse())
}
