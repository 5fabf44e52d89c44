//! `evlock-calibrate`: see `evlock-calibrate --help` and the `evlock::tools::calibrate` docs.

use clap::Parser;
use evlock::tools::calibrate::Calibrate;

fn main() -> std::process::ExitCode {
    evlock::cli::execute(Calibrate::parse())
}
