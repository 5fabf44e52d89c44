//! NDJSON input: one record per line, with line numbers and the `--on-error` policy.

use std::io::{BufRead, BufReader, Read, Write};
use std::ops::ControlFlow;

use serde::de::DeserializeOwned;

use super::{ExitCode, Failure, OnError};
use crate::wire::ErrorRecord;

/// How a stream of input records ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamOutcome {
    /// Records handled successfully.
    pub processed: u64,
    /// Records that failed (each reported as an `error` record on stderr).
    pub failed: u64,
    /// The exit code the tool should end with: success, or the most severe failure seen.
    pub exit: ExitCode,
}

/// Reads NDJSON records from a reader and hands each to a handler, applying `--on-error`.
///
/// Output is flushed whenever no complete line is waiting in the input buffer, i.e. just
/// before the stream could block: under load records go out in large writes, and a record is
/// never held back while the tool waits for more input.
///
/// A line that is not valid JSON for the record type, or whose handler fails, produces one
/// `error` record on stderr naming the line number; with [`OnError::Stop`] the stream ends
/// there, with [`OnError::Skip`] it goes on. Blank lines are ignored.
///
/// ```
/// use evlock::cli::{OnError, RecordStream, ExitCode};
/// let input = "{\"n\": 1}\nnot json\n{\"n\": 3}\n";
/// let mut seen = Vec::new();
/// let mut out = evlock::cli::Output::to_writer(Vec::new(), false);
/// let outcome = RecordStream::new(input.as_bytes(), OnError::Skip)
///     .run(&mut out, |record: serde_json::Value, _line, _out| { seen.push(record["n"].clone()); Ok(()) })
///     .unwrap();
/// assert_eq!(seen.len(), 2);
/// assert_eq!((outcome.processed, outcome.failed), (2, 1));
/// assert_eq!(outcome.exit, ExitCode::Usage);
/// ```
pub struct RecordStream<R> {
    reader: BufReader<R>,
    on_error: OnError,
    report: Box<dyn FnMut(&ErrorRecord)>,
}

impl<R: Read> RecordStream<R> {
    /// A stream over `reader` whose error records go to stderr.
    pub fn new(reader: R, on_error: OnError) -> Self {
        RecordStream {
            reader: BufReader::with_capacity(64 * 1024, reader),
            on_error,
            report: Box::new(report_on_stderr),
        }
    }

    /// Sends error records somewhere else than stderr (tests).
    pub fn with_error_sink(mut self, sink: impl FnMut(&ErrorRecord) + 'static) -> Self {
        self.report = Box::new(sink);
        self
    }

    /// Runs `handle(record, line_number)` for every record until the input ends or a failure
    /// stops the stream. A closed stdout inside `handle` ends the stream at once, quietly.
    pub fn run<T, F, W>(self, out: &mut super::Output<W>, mut handle: F) -> Result<StreamOutcome, Failure>
    where
        T: DeserializeOwned,
        F: FnMut(T, u64, &mut super::Output<W>) -> Result<(), Failure>,
        W: Write,
    {
        self.run_until(out, |record, line, out| handle(record, line, out).map(|()| ControlFlow::Continue(())))
    }

    /// Like [`RecordStream::run`], but `handle` may end the stream early with
    /// `ControlFlow::Break` (the rest of the input is not read), e.g. once a consumer has
    /// all it needs from an endless stream.
    pub fn run_until<T, F, W>(
        mut self,
        out: &mut super::Output<W>,
        mut handle: F,
    ) -> Result<StreamOutcome, Failure>
    where
        T: DeserializeOwned,
        F: FnMut(T, u64, &mut super::Output<W>) -> Result<ControlFlow<()>, Failure>,
        W: Write,
    {
        out.set_deferred(true);
        let result = self.drive(out, &mut handle);
        out.set_deferred(false);
        let flushed = out.flush();
        let outcome = result?;
        flushed?;
        Ok(outcome)
    }

    fn drive<T, F, W>(&mut self, out: &mut super::Output<W>, handle: &mut F) -> Result<StreamOutcome, Failure>
    where
        T: DeserializeOwned,
        F: FnMut(T, u64, &mut super::Output<W>) -> Result<ControlFlow<()>, Failure>,
        W: Write,
    {
        let mut outcome = StreamOutcome { processed: 0, failed: 0, exit: ExitCode::Success };
        let mut line = String::new();
        let mut line_no = 0u64;
        loop {
            line.clear();
            if !self.reader.buffer().contains(&b'\n') {
                out.flush()?;
            }
            let read = self.reader.read_line(&mut line).map_err(|e| {
                Failure::new(
                    ExitCode::Usage,
                    "input",
                    std::io::Error::new(e.kind(), format!("cannot read stdin (line {}): {e}", line_no + 1)),
                )
            })?;
            if read == 0 {
                return Ok(outcome);
            }
            line_no += 1;
            let text = line.trim();
            if text.is_empty() {
                continue;
            }
            let result = serde_json::from_str::<T>(text)
                .map_err(|e| Failure::new(ExitCode::Usage, "bad_input", format!("not a valid record: {e}")))
                .and_then(|record| handle(record, line_no, out));
            match result {
                Ok(ControlFlow::Continue(())) => outcome.processed += 1,
                Ok(ControlFlow::Break(())) => {
                    outcome.processed += 1;
                    return Ok(outcome);
                }
                Err(failure) if failure.exit == ExitCode::Success => return Err(failure),
                Err(failure) => {
                    outcome.failed += 1;
                    outcome.exit = outcome.exit.max(failure.exit);
                    let meta = serde_json::from_str::<serde_json::Value>(text)
                        .ok()
                        .and_then(|v| v.get("meta").cloned());
                    let record = ErrorRecord::from_failure(&failure).at_line(line_no).with_meta(meta);
                    (self.report)(&record);
                    if self.on_error == OnError::Stop {
                        return Ok(outcome);
                    }
                }
            }
        }
    }
}

fn report_on_stderr(record: &ErrorRecord) {
    let envelope = crate::wire::Envelope::new(record);
    if let Ok(mut text) = serde_json::to_string(&envelope) {
        text.push('\n');
        super::diag::write_stderr(&text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    fn collect(input: &str, on_error: OnError) -> (StreamOutcome, Vec<u64>, Vec<ErrorRecord>) {
        let errors = Rc::new(RefCell::new(Vec::new()));
        let sink = errors.clone();
        let mut ok_lines = Vec::new();
        let mut out = crate::cli::Output::to_writer(Vec::new(), false);
        let outcome = RecordStream::new(input.as_bytes(), on_error)
            .with_error_sink(move |e| sink.borrow_mut().push(e.clone()))
            .run(&mut out, |v: serde_json::Value, line, _| {
                if v.get("deny").is_some() {
                    return Err(Failure::new(ExitCode::No, "policy_denied", "denied by test"));
                }
                ok_lines.push(line);
                Ok(())
            })
            .unwrap();
        let errors = errors.borrow().clone();
        (outcome, ok_lines, errors)
    }

    #[test]
    fn stop_ends_at_the_first_bad_line() {
        let (outcome, ok, errors) = collect("{}\n{bad\n{}\n", OnError::Stop);
        assert_eq!(ok, vec![1]);
        assert_eq!(outcome.exit, ExitCode::Usage);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, Some(2));
        assert_eq!(errors[0].code, "bad_input");
    }

    #[test]
    fn skip_goes_on_and_keeps_the_worst_code() {
        let input = "{}\n\n{\"deny\":1,\"meta\":{\"id\":7}}\nnope\n{}\n";
        let (outcome, ok, errors) = collect(input, OnError::Skip);
        assert_eq!(ok, vec![1, 5]);
        assert_eq!((outcome.processed, outcome.failed), (2, 2));
        assert_eq!(outcome.exit, ExitCode::Usage, "usage (2) outranks a policy no (1)");
        assert_eq!(errors[0].line, Some(3));
        assert_eq!(errors[0].meta, Some(serde_json::json!({"id": 7})));
        assert_eq!(errors[1].line, Some(4));
    }
}
