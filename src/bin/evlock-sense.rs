//! `evlock-sense`: see `evlock-sense --help` and the `evlock::tools::sense` docs.

use clap::Parser;
use evlock::tools::sense::Sense;

fn main() -> std::process::ExitCode {
    evlock::cli::execute(Sense::parse())
}
