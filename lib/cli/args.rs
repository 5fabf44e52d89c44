//! Options every tool shares, flattened into each tool's clap definition.

use clap::{ArgAction, Args};

use super::Generate;
use crate::wire::OnError;

/// Options shared by every evlock tool.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Indent JSON records for humans (one record is then several lines).
    #[arg(long, global = true)]
    pub pretty: bool,

    /// More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works.
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Fewer diagnostics on stderr (-q errors only, -qq nothing).
    #[arg(short, long, action = ArgAction::Count, global = true, conflicts_with = "verbose")]
    pub quiet: u8,

    /// What to do with a bad input record: stop the stream or skip the record.
    #[arg(long, value_enum, default_value_t = OnError::Stop, global = true, value_name = "WHAT")]
    pub on_error: OnError,

    /// Print a man page or shell completions for this tool and exit.
    #[arg(long, value_enum, hide = true, global = true, value_name = "WHAT")]
    pub generate: Option<Generate>,
}
