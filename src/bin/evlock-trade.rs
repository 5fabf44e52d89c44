//! `evlock-trade`: see `evlock-trade --help` and the `evlock::tools::trade` docs.

use clap::Parser;
use evlock::tools::trade::Trade;

fn main() -> std::process::ExitCode {
    evlock::cli::execute(Trade::parse())
}
