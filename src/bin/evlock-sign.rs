//! `evlock-sign`: see `evlock-sign --help` and the `evlock::tools::sign` docs.

use clap::Parser;
use evlock::tools::sign::Sign;

fn main() -> std::process::ExitCode {
    evlock::cli::execute(Sign::parse())
}
