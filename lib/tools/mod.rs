//! The tools: each one's clap definition and `run`, so `src/bin/*` stay thin and the man
//! pages and completions come from the same definitions as the binaries.

pub mod calibrate;
pub(crate) mod common;
pub mod devnet;
pub mod keygen;
mod keygen_tls;
pub mod relay;
mod relay_link;
pub mod sense;
pub mod sign;
pub mod trade;
pub mod trade_serve;

/// A tool as its generated docs see it.
pub struct ToolDocs {
    /// The binary's name, e.g. `evlock-keygen`.
    pub name: &'static str,
    /// The related tools its man page names in SEE ALSO.
    pub see_also: &'static [&'static str],
    /// Its clap command.
    pub command: clap::Command,
}

/// Every tool's name, related tools and clap command, for generated docs and their tests.
pub fn all() -> Vec<ToolDocs> {
    fn docs<T: crate::cli::Tool>() -> ToolDocs {
        ToolDocs { name: T::NAME, see_also: T::SEE_ALSO, command: T::command() }
    }
    vec![
        docs::<keygen::Keygen>(),
        docs::<sign::Sign>(),
        docs::<relay::Relay>(),
        docs::<trade::Trade>(),
        docs::<devnet::Devnet>(),
        docs::<sense::Sense>(),
        docs::<calibrate::Calibrate>(),
    ]
}
