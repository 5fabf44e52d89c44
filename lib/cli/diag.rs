//! Diagnostics on stderr: a small `log` backend whose level comes from -v/-q or RUST_LOG.
//!
//! Lines look like `evlock-keygen: warn: message`. Secrets are never logged: no module logs a
//! password, a mnemonic or a private key, and this backend adds nothing of its own.

use std::sync::OnceLock;

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::wire::write_stderr;

struct StderrLogger {
    tool: &'static str,
}

static LOGGER: OnceLock<StderrLogger> = OnceLock::new();

impl Log for StderrLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            let level = match record.level() {
                Level::Error => "error",
                Level::Warn => "warn",
                Level::Info => "info",
                Level::Debug => "debug",
                Level::Trace => "trace",
            };
            write_stderr(&format!("{}: {level}: {}\n", self.tool, record.args()));
        }
    }

    fn flush(&self) {}
}

/// The level from -v/-q, falling back to RUST_LOG (its last `level` or `target=level` item),
/// then to `warn`.
fn level_for(verbose: u8, quiet: u8, rust_log: Option<&str>) -> LevelFilter {
    match (verbose, quiet) {
        (0, 0) => rust_log
            .and_then(|spec| spec.split(',').rev().find_map(|item| item.rsplit('=').next()?.parse().ok()))
            .unwrap_or(LevelFilter::Warn),
        (1, _) => LevelFilter::Info,
        (2, _) => LevelFilter::Debug,
        (v, _) if v >= 3 => LevelFilter::Trace,
        (_, 1) => LevelFilter::Error,
        _ => LevelFilter::Off,
    }
}

/// Installs the stderr logger once for this process.
pub(crate) fn init(tool: &'static str, verbose: u8, quiet: u8) {
    let rust_log = std::env::var("RUST_LOG").ok();
    log::set_max_level(level_for(verbose, quiet, rust_log.as_deref()));
    let logger = LOGGER.get_or_init(|| StderrLogger { tool });
    let _ = log::set_logger(logger);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_rust_log() {
        assert_eq!(level_for(0, 0, None), LevelFilter::Warn);
        assert_eq!(level_for(0, 0, Some("debug")), LevelFilter::Debug);
        assert_eq!(level_for(0, 0, Some("hyper=info,evlock=trace")), LevelFilter::Trace);
        assert_eq!(level_for(0, 0, Some("garbage")), LevelFilter::Warn);
        assert_eq!(level_for(1, 0, Some("error")), LevelFilter::Info);
        assert_eq!(level_for(3, 0, None), LevelFilter::Trace);
        assert_eq!(level_for(0, 1, Some("trace")), LevelFilter::Error);
        assert_eq!(level_for(0, 2, None), LevelFilter::Off);
    }
}
