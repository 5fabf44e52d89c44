//! The one output writer: NDJSON records on stdout, flushed per record.
//!
//! A write error on stdout other than a broken pipe (a full disk, a closed descriptor) is a
//! failure with exit 2 and code [`STDOUT_WRITE`]: it ends a record stream whatever
//! `--on-error` says, since everything after it would be lost too. A tool started with stdout
//! closed (`>&-`) fails before it does anything ([`Output::stdout`]).

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use super::Record;
use crate::exit::{ExitCode, Failure};

/// Why a record could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The reader of stdout went away (broken pipe): the tool ends quietly with exit 0.
    #[error("stdout was closed by its reader")]
    Closed,
    /// Any other write error on stdout (a full disk, a file size limit, an I/O error): exit 2.
    #[error("cannot write to stdout, so the output is incomplete")]
    Io(#[source] io::Error),
    /// The process was started with stdout closed (`>&-`): whatever it printed would be lost,
    /// so it does nothing at all (exit 2).
    #[error(
        "stdout is closed (the tool was started with file descriptor 1 closed): nothing it writes could be read, so it does nothing; redirect to /dev/null to discard the output"
    )]
    NotOpen,
    /// A record could not be turned into JSON (a bug, not bad input).
    #[error("cannot encode a record as JSON")]
    Json(#[source] serde_json::Error),
}

impl From<OutputError> for Failure {
    fn from(error: OutputError) -> Self {
        match error {
            OutputError::Closed => Failure::closed_output(),
            other => Failure::new(ExitCode::Usage, STDOUT_WRITE, other),
        }
    }
}

/// The error code of a failed write on stdout (and of a stdout closed at start).
pub const STDOUT_WRITE: &str = "stdout_write";

/// Whether file descriptor 1 was closed when the process started. Rust's runtime opens
/// `/dev/null` on a closed standard descriptor before `main` runs, so by then `>&-` looks like
/// `>/dev/null`; this probe runs earlier, as an ELF constructor, and records what it saw.
#[cfg(target_os = "linux")]
mod startup {
    use std::sync::atomic::{AtomicBool, Ordering};

    pub(super) static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

    extern "C" fn probe() {
        // SAFETY: F_GETFD only reads the descriptor's flags; it fails with EBADF when closed.
        let closed = unsafe { libc::fcntl(1, libc::F_GETFD) } == -1;
        STDOUT_CLOSED.store(closed, Ordering::Relaxed);
    }

    #[used]
    #[unsafe(link_section = ".init_array")]
    pub(super) static PROBE: extern "C" fn() = probe;
}

/// Whether stdout was closed when the process started (see [`Output::stdout`]).
pub fn stdout_closed_at_start() -> bool {
    #[cfg(target_os = "linux")]
    {
        // Naming the probe keeps the linker from dropping it.
        std::hint::black_box(&startup::PROBE);
        startup::STDOUT_CLOSED.load(Ordering::Relaxed)
    }
    #[cfg(not(target_os = "linux"))]
    false
}

fn classify(error: io::Error) -> OutputError {
    if error.kind() == io::ErrorKind::BrokenPipe { OutputError::Closed } else { OutputError::Io(error) }
}

/// Writes records as NDJSON (or indented JSON with `--pretty`) to stdout or any writer.
///
/// ```
/// use evlock::wire::Output;
/// use evlock::wire::ErrorRecord;
/// let mut out = Output::to_writer(Vec::new(), false);
/// out.emit(&ErrorRecord::new("bad_input", "line 1: not JSON").at_line(1)).unwrap();
/// let text = String::from_utf8(out.into_inner()).unwrap();
/// assert!(text.starts_with(r#"{"kind":"error","v":1,"#));
/// assert!(text.ends_with("}\n"));
/// ```
pub struct Output<W: Write = Box<dyn Write + Send>> {
    writer: W,
    pretty: bool,
    is_terminal: bool,
    deferred: bool,
    buffer: Vec<u8>,
}

impl Output {
    /// The process's stdout, through a 64 KiB buffer of our own (Rust's `Stdout` would write
    /// at every newline). Records are still flushed one by one unless a stream defers it.
    ///
    /// Fails with [`OutputError::NotOpen`] when the process was started with stdout closed:
    /// a tool then stops before doing any work (a signer must not sign and audit what nobody
    /// receives). Writes go to a duplicate of fd 1, never through Rust's `Stdout`, which
    /// takes a write on a closed descriptor for a success.
    pub fn stdout(pretty: bool) -> Result<Self, OutputError> {
        use std::os::fd::AsFd;
        if stdout_closed_at_start() {
            return Err(OutputError::NotOpen);
        }
        let stdout = io::stdout();
        let is_terminal = stdout.is_terminal();
        let fd = stdout.as_fd().try_clone_to_owned().map_err(|_| OutputError::NotOpen)?;
        let writer: Box<dyn Write + Send> =
            Box::new(io::BufWriter::with_capacity(64 * 1024, std::fs::File::from(fd)));
        Ok(Output { writer, pretty, is_terminal, deferred: false, buffer: Vec::with_capacity(1024) })
    }
}

impl<W: Write> Output<W> {
    /// Any writer (tests, benchmarks).
    pub fn to_writer(writer: W, pretty: bool) -> Self {
        Output { writer, pretty, is_terminal: false, deferred: false, buffer: Vec::with_capacity(1024) }
    }

    /// While deferred, records are buffered until [`Output::flush`]: a record stream sets it
    /// and flushes whenever it is about to wait for input, so a reader never waits on us.
    pub fn set_deferred(&mut self, deferred: bool) {
        self.deferred = deferred;
    }

    /// Writes out every buffered record.
    pub fn flush(&mut self) -> Result<(), OutputError> {
        self.writer.flush().map_err(classify)
    }

    /// The writer back.
    pub fn into_inner(self) -> W {
        self.writer
    }

    /// Whether stdout is a terminal (a human is reading).
    pub fn is_terminal(&self) -> bool {
        self.is_terminal
    }

    /// Writes one record as a line and flushes it.
    pub fn emit<R: Record>(&mut self, record: &R) -> Result<(), OutputError> {
        self.buffer.clear();
        let envelope = super::Envelope::new(record);
        if self.pretty {
            serde_json::to_writer_pretty(&mut self.buffer, &envelope)
        } else {
            serde_json::to_writer(&mut self.buffer, &envelope)
        }
        .map_err(OutputError::Json)?;
        self.buffer.push(b'\n');
        self.writer.write_all(&self.buffer).map_err(classify)?;
        if self.deferred { Ok(()) } else { self.flush() }
    }

    /// Writes one record that is already a JSON object with its own `kind` and `v` (a record
    /// passed through, as the link does), honouring `--pretty` and deferred flushing.
    pub fn emit_value(&mut self, record: &serde_json::Value) -> Result<(), OutputError> {
        self.buffer.clear();
        if self.pretty {
            serde_json::to_writer_pretty(&mut self.buffer, record)
        } else {
            serde_json::to_writer(&mut self.buffer, record)
        }
        .map_err(OutputError::Json)?;
        self.buffer.push(b'\n');
        self.writer.write_all(&self.buffer).map_err(classify)?;
        if self.deferred { Ok(()) } else { self.flush() }
    }

    /// Writes bytes that are not records (man pages, completions from `--generate`).
    pub fn write_raw(&mut self, bytes: &[u8]) -> Result<(), OutputError> {
        self.writer.write_all(bytes).map_err(classify)?;
        self.writer.flush().map_err(classify)
    }

    /// Shows a secret (a new mnemonic) to the human at the terminal. Refuses when stdout is
    /// not a terminal, so a secret never lands in a pipe or a file by accident.
    pub fn show_secret_on_terminal(&mut self, label: &str, secret: &str) -> Result<(), Failure> {
        if !self.is_terminal {
            return Err(Failure::usage(format!(
                "refusing to print the {label}: stdout is not a terminal (write it to a file instead)"
            )));
        }
        let text = zeroize::Zeroizing::new(format!("{label}:\n\n    {secret}\n\n"));
        self.write_raw(text.as_bytes()).map_err(Failure::from)
    }
}

static STDERR_SILENT: AtomicBool = AtomicBool::new(false);

/// Silences [`write_stderr`] for the rest of the process (`-qq`: nothing at all on stderr,
/// neither diagnostics nor error records nor the final error; the exit code still tells).
pub fn silence_stderr() {
    STDERR_SILENT.store(true, Ordering::Relaxed);
}

/// Writes to stderr, ignoring a closed stderr rather than panicking as `eprintln!` would.
/// Error records and diagnostics go this way; stdout is [`Output`]'s alone.
pub fn write_stderr(text: &str) {
    if STDERR_SILENT.load(Ordering::Relaxed) {
        return;
    }
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ErrorRecord;

    struct ClosedPipe;
    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn broken_pipe_is_a_quiet_success() {
        let mut out = Output::to_writer(ClosedPipe, false);
        let error = out.emit(&ErrorRecord::new("x", "y")).unwrap_err();
        assert!(matches!(error, OutputError::Closed));
        assert_eq!(Failure::from(error).exit, ExitCode::Success);
    }

    #[test]
    fn one_line_per_record() {
        let mut out = Output::to_writer(Vec::new(), false);
        out.emit(&ErrorRecord::new("a", "first")).unwrap();
        out.emit(&ErrorRecord::new("b", "second")).unwrap();
        let text = String::from_utf8(out.into_inner()).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        for line in lines {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(value["kind"], "error");
            assert_eq!(value["v"], 1);
        }
    }

    #[test]
    fn secrets_never_go_to_a_pipe() {
        let mut out = Output::to_writer(Vec::new(), false);
        assert!(out.show_secret_on_terminal("mnemonic", "abandon ...").is_err());
        assert!(out.into_inner().is_empty());
    }
}
