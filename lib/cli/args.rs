//! Options every tool shares, flattened into each tool's clap definition.

use std::io::Read;

use clap::{ArgAction, Args};

use super::Generate;
use crate::wire::{MAX_LINE_BYTES, OnError, RecordStream};

/// Options of every command that reads NDJSON records from stdin, flattened into it (and only
/// into it: a command that reads no stream does not offer them).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Input")]
pub struct InputArgs {
    /// What to do with a bad input record: stop the stream or skip the record.
    #[arg(long, value_enum, default_value_t = OnError::Stop, value_name = "WHAT")]
    pub on_error: OnError,
    /// The longest input line accepted, in bytes; a longer line is an `error` record and is
    /// skipped without being held in memory.
    #[arg(long, value_name = "BYTES", default_value_t = MAX_LINE_BYTES, value_parser = clap::value_parser!(usize))]
    pub max_line: usize,
}

impl InputArgs {
    /// A record stream over `reader` with these options.
    pub fn stream<R: Read>(&self, reader: R) -> RecordStream<R> {
        RecordStream::new(reader, self.on_error).with_max_line(self.max_line)
    }
}

/// Options shared by every evlock tool (shown last in help, after the command's own).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Indent JSON records for humans (one record is then several lines).
    #[arg(long, global = true)]
    pub pretty: bool,

    /// More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works.
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only
    /// the exit code tells).
    #[arg(short, long, action = ArgAction::Count, global = true, conflicts_with = "verbose")]
    pub quiet: u8,

    /// Print a man page or shell completions for this tool and exit.
    #[arg(long, value_enum, hide = true, global = true, value_name = "WHAT")]
    pub generate: Option<Generate>,
}
