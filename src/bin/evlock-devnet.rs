//! `evlock-devnet`: see `evlock-devnet --help` and the `evlock::tools::devnet` docs.

use clap::Parser;
use evlock::tools::devnet::Devnet;

fn main() -> std::process::ExitCode {
    evlock::cli::execute(Devnet::parse())
}
