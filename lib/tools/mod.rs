//! The tools: each one's clap definition and `run`, so `src/bin/*` stay thin and the man
//! pages and completions come from the same definitions as the binaries.

pub mod calibrate;
pub(crate) mod common;
pub mod devnet;
pub mod keygen;
pub mod relay;
pub mod sense;
pub mod sign;
pub mod trade;
mod trade_serve;

/// Every tool's name and clap command, for generated docs and their drift test.
pub fn all() -> Vec<(&'static str, clap::Command)> {
    use crate::cli::Tool;
    use clap::CommandFactory;
    vec![
        (keygen::Keygen::NAME, keygen::Keygen::command()),
        (sign::Sign::NAME, sign::Sign::command()),
        (relay::Relay::NAME, relay::Relay::command()),
        (trade::Trade::NAME, trade::Trade::command()),
        (devnet::Devnet::NAME, devnet::Devnet::command()),
        (sense::Sense::NAME, sense::Sense::command()),
        (calibrate::Calibrate::NAME, calibrate::Calibrate::command()),
    ]
}
