//! The ground of the house: exit codes, the [`ErrorClass`] every domain error enum implements,
//! and [`Failure`], the error a tool ends with. It imports nothing of the crate, so every room
//! can stand on it (see `docs/architecture.md`, "Rooms and floors").

use std::error::Error;
use std::fmt;

/// The exit codes of every evlock tool (`docs/architecture.md`, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExitCode {
    /// Everything asked for was done.
    Success,
    /// A definite "no": policy denied, transaction reverted, self-test failed, out of
    /// tolerance, tamper detected.
    No,
    /// Usage error or bad input (malformed JSON, wrong types, bad hex, missing file).
    Usage,
    /// Device or bus error: unplugged meter, permission denied on a device, garbage replies.
    Device,
    /// Network, JSON-RPC or TLS error.
    Network,
    /// Key or keystore error: wrong password or PIN, unreadable or unsupported keystore, no TEE,
    /// unknown token or key.
    Key,
    /// Interrupted by a signal.
    Interrupted,
}

impl ExitCode {
    /// Every exit code, in numeric order: the help and the docs render their tables from it.
    pub const ALL: [ExitCode; 7] = [
        ExitCode::Success,
        ExitCode::No,
        ExitCode::Usage,
        ExitCode::Device,
        ExitCode::Network,
        ExitCode::Key,
        ExitCode::Interrupted,
    ];

    /// What the code means, in one line for a table of exit codes.
    pub fn meaning(self) -> &'static str {
        match self {
            ExitCode::Success => {
                "success (also when the reader of stdout went away: a broken pipe ends quietly)"
            }
            ExitCode::No => {
                "a definite \"no\": policy denied, transaction reverted, self-test failed, out of tolerance, tamper detected"
            }
            ExitCode::Usage => {
                "usage error or bad input (malformed JSON, wrong types, bad hex, missing file, file exists, \
                 a record of the wrong kind, an address that is not an EnergyMarket, an unusable TLS \
                 certificate or key, a stdout that cannot be written)"
            }
            ExitCode::Device => "device or bus error (unplugged meter, permission denied, garbage replies)",
            ExitCode::Network => "network, JSON-RPC or TLS error",
            ExitCode::Key => {
                "key or keystore error (wrong password or PIN, unreadable or unsupported keystore, no TEE, unknown token or key)"
            }
            ExitCode::Interrupted => "interrupted (Ctrl-C or SIGTERM)",
        }
    }

    /// The numeric process exit status.
    pub fn as_i32(self) -> i32 {
        match self {
            ExitCode::Success => 0,
            ExitCode::No => 1,
            ExitCode::Usage => 2,
            ExitCode::Device => 3,
            ExitCode::Network => 4,
            ExitCode::Key => 5,
            ExitCode::Interrupted => 130,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code.as_i32() as u8)
    }
}

/// What every domain error enum tells the CLI layer about itself.
pub trait ErrorClass {
    /// The exit code this error ends a tool with.
    fn exit_code(&self) -> ExitCode;
    /// A stable snake_case code for `error` records, e.g. `wrong_password`.
    fn error_code(&self) -> &'static str;
}

/// A tool's failure: the exit code, a stable error code and the error with its cause chain.
pub struct Failure {
    /// The exit code the tool ends with.
    pub exit: ExitCode,
    /// A stable snake_case code, as in `error` records.
    pub code: &'static str,
    error: Box<dyn Error + Send + Sync + 'static>,
}

impl Failure {
    /// A failure from any error, with an explicit exit code and error code.
    pub fn new(
        exit: ExitCode,
        code: &'static str,
        error: impl Into<Box<dyn Error + Send + Sync + 'static>>,
    ) -> Self {
        Failure { exit, code, error: error.into() }
    }

    /// A usage error (exit 2) with a plain message.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure::new(ExitCode::Usage, "usage", message.into())
    }

    /// A failure that ends the tool quietly with exit 0 (the reader went away).
    pub fn closed_output() -> Self {
        Failure::new(ExitCode::Success, "broken_pipe", "stdout closed")
    }

    /// The error itself.
    pub fn error(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.error
    }

    /// The message and every cause, outermost first.
    pub fn chain(&self) -> Vec<String> {
        causes(&*self.error)
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Failure({:?}, {}, {})", self.exit, self.code, self.chain().join(": "))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.chain().join(": "))
    }
}

impl<E> From<E> for Failure
where
    E: ErrorClass + Error + Send + Sync + 'static,
{
    fn from(error: E) -> Self {
        Failure { exit: error.exit_code(), code: error.error_code(), error: Box::new(error) }
    }
}

/// The longest stretch of an input that an error message quotes, in bytes: enough to
/// recognise the input, never a flood (a 50 MB sysfs file, a 4 MiB JSON string).
pub const EXCERPT_BYTES: usize = 64;

/// The longest message of one error in a cause chain, in bytes. Messages that quote their
/// input through [`excerpt`] stay far below it; this bounds those that quote through a
/// library (serde's `invalid type: string "…"`) or by mistake.
pub const MAX_MESSAGE_BYTES: usize = 1024;

/// Quotes at most [`EXCERPT_BYTES`] of `text` for an error message: Rust-debug quoted (control
/// characters escaped), and when longer, cut with the whole length named.
///
/// ```
/// use evlock::exit::excerpt;
/// assert_eq!(excerpt("0x12zz"), r#""0x12zz""#);
/// let long = "x".repeat(50_000_000);
/// let quoted = excerpt(&long);
/// assert!(quoted.len() < 100);
/// assert!(quoted.ends_with("… (50000000 bytes)"));
/// ```
pub fn excerpt(text: &str) -> String {
    if text.len() <= EXCERPT_BYTES {
        return format!("{text:?}");
    }
    format!("{:?}… ({} bytes)", &text[..floor_char_boundary(text, EXCERPT_BYTES)], text.len())
}

/// [`excerpt`] for bytes that may not be UTF-8 (a device file, a line of input).
pub fn excerpt_bytes(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(EXCERPT_BYTES)];
    let shown = String::from_utf8_lossy(head);
    if bytes.len() <= EXCERPT_BYTES {
        format!("{shown:?}")
    } else {
        format!("{shown:?}… ({} bytes)", bytes.len())
    }
}

fn floor_char_boundary(text: &str, at: usize) -> usize {
    (0..=at.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0)
}

/// `message` cut to [`MAX_MESSAGE_BYTES`], saying how much was left out.
fn bounded(mut message: String) -> String {
    if message.len() > MAX_MESSAGE_BYTES {
        let left_out = message.len() - floor_char_boundary(&message, MAX_MESSAGE_BYTES);
        message.truncate(floor_char_boundary(&message, MAX_MESSAGE_BYTES));
        message.push_str(&format!("… ({left_out} more bytes left out)"));
    }
    message
}

/// An error's message and every cause, outermost first, each at most [`MAX_MESSAGE_BYTES`].
pub fn causes(error: &(dyn Error + 'static)) -> Vec<String> {
    let mut messages = vec![bounded(error.to_string())];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = bounded(cause.to_string());
        // thiserror's `#[error("...: {0}")]` often repeats the source in the message.
        if !messages.last().is_some_and(|m| m.ends_with(&text)) {
            messages.push(text);
        }
        source = cause.source();
    }
    messages
}

/// An error and its causes on one line, joined by `: `.
pub fn error_chain(error: &(dyn Error + 'static)) -> String {
    causes(error).join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn chain_lists_every_cause() {
        let failure = Failure::new(
            ExitCode::Device,
            "device",
            Outer(std::io::Error::new(std::io::ErrorKind::NotFound, "no such device")),
        );
        assert_eq!(failure.chain(), vec!["outer".to_string(), "no such device".to_string()]);
        assert_eq!(failure.exit.as_i32(), 3);
    }

    #[test]
    fn messages_and_excerpts_are_bounded() {
        let huge = format!("invalid type: string \"{}\", expected u64", "é".repeat(3_000_000));
        let failure = Failure::usage(huge);
        let chain = failure.chain();
        assert!(chain[0].len() < MAX_MESSAGE_BYTES + 64, "{}", chain[0].len());
        assert!(chain[0].ends_with("more bytes left out)"), "{}", &chain[0][chain[0].len() - 40..]);
        assert!(chain[0].starts_with("invalid type: string"));
        assert_eq!(excerpt_bytes(b"\xff\x01ok"), "\"\u{fffd}\\u{1}ok\"");
        let multibyte = "é".repeat(100);
        assert!(excerpt(&multibyte).ends_with("… (200 bytes)"), "cut on a character boundary");
    }

    #[test]
    fn exit_codes_are_the_documented_numbers() {
        let codes: Vec<i32> = ExitCode::ALL.iter().map(|c| c.as_i32()).collect();
        assert_eq!(codes, vec![0, 1, 2, 3, 4, 5, 130]);
        assert!(ExitCode::ALL.windows(2).all(|pair| pair[0] < pair[1]), "ALL is in numeric order");
    }
}
