//! `evlock-relay`: see `evlock-relay --help` and the `evlock::tools::relay` docs.

use clap::Parser;
use evlock::tools::relay::Relay;

fn main() -> std::process::ExitCode {
    evlock::cli::execute(Relay::parse())
}
