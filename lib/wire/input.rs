//! NDJSON input: one record per line, with line numbers and the `--on-error` policy.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Read, Write};
use std::ops::ControlFlow;

use serde::de::DeserializeOwned;

use super::{ErrorRecord, LinkMark, Output};
use crate::exit::{ExitCode, Failure};

/// What to do with an input line that cannot be processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum OnError {
    /// Report the line and stop the stream (the default: nothing is done past a bad line).
    #[default]
    Stop,
    /// Report the line and go on with the next one; the tool still exits non-zero at the end.
    Skip,
}

/// The longest NDJSON line any reader accepts by default: 4 MiB. A record is rarely above a
/// few KiB (a contract deployment, ~30 KiB, is the largest); the limit keeps a runaway or
/// hostile input from growing memory without end. Tools raise it with `--max-line`.
pub const MAX_LINE_BYTES: usize = 4 << 20;

/// The largest file a tool reads whole by default (a keystore, a policy, a certificate, a PEM
/// file): 1 MiB, far above any real one, so `/dev/zero` or a wrong path cannot fill memory.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// Reads a whole file of at most `limit` bytes; a longer one (or an endless one, a device) is
/// an `InvalidData` error naming the limit, after reading no more than `limit + 1` bytes.
/// Pipes work (`--password-file <(…)`).
pub fn read_file_capped(path: &std::path::Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the file is larger than {limit} bytes (the most this reads)"),
        ));
    }
    Ok(bytes)
}

/// What [`read_line_capped`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineRead {
    /// End of input: nothing more was read.
    End,
    /// A line is in the buffer (without its newline); `terminated` is false for a last line
    /// that ended without one.
    Line {
        /// Whether the line ended with a newline.
        terminated: bool,
    },
    /// The line was longer than the limit: its bytes were read and dropped, the buffer is
    /// empty.
    TooLong {
        /// How many bytes the line had.
        skipped: u64,
        /// Whether the line ended with a newline.
        terminated: bool,
    },
}

/// Reads one line into `line` (cleared first, newline not included), holding at most
/// `max_line` bytes: the one line reader of every NDJSON input and log.
pub fn read_line_capped<R: BufRead>(
    reader: &mut R,
    line: &mut Vec<u8>,
    max_line: usize,
) -> std::io::Result<LineRead> {
    line.clear();
    let mut skipped: Option<u64> = None;
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(match skipped {
                Some(skipped) => LineRead::TooLong { skipped, terminated: false },
                None if line.is_empty() => LineRead::End,
                None => LineRead::Line { terminated: false },
            });
        }
        let newline = available.iter().position(|&b| b == b'\n');
        let chunk = &available[..newline.unwrap_or(available.len())];
        match skipped.as_mut() {
            Some(count) => *count += chunk.len() as u64,
            None if line.len() + chunk.len() > max_line => {
                skipped = Some((line.len() + chunk.len()) as u64);
                line.clear();
            }
            None => line.extend_from_slice(chunk),
        }
        let used = chunk.len() + usize::from(newline.is_some());
        reader.consume(used);
        if newline.is_some() {
            return Ok(match skipped {
                Some(skipped) => LineRead::TooLong { skipped, terminated: true },
                None => LineRead::Line { terminated: true },
            });
        }
    }
}

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
/// there, with [`OnError::Skip`] it goes on. Blank lines are ignored. A failed write on
/// stdout ends the stream with that failure in either mode.
///
/// A repeat of a record the link delivered (see [`LinkMark`]: the same `meta.link` stream and
/// seq and the same line as the last record read of that stream) is dropped with a warning:
/// a link side killed between writing a record to a pipe and marking it writes it again.
///
/// ```
/// use evlock::exit::ExitCode;
/// use evlock::wire::{OnError, Output, RecordStream};
/// let input = "{\"n\": 1}\nnot json\n{\"n\": 3}\n";
/// let mut seen = Vec::new();
/// let mut out = Output::to_writer(Vec::new(), false);
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
    max_line: usize,
    bare_words: bool,
    report: Box<dyn FnMut(&ErrorRecord)>,
    /// The last record read of each link stream: its seq and a hash of its line.
    last_of_stream: HashMap<String, (u64, u64)>,
}

/// How many link streams a reader remembers (it forgets them all past this: a repeat comes
/// right after its original, so only the latest record of each stream matters).
const STREAMS_REMEMBERED: usize = 65_536;

/// The part of a record that says where the link put it.
#[derive(serde::Deserialize)]
struct LinkProbe {
    #[serde(default)]
    meta: Option<LinkProbeMeta>,
}

#[derive(serde::Deserialize)]
struct LinkProbeMeta {
    #[serde(default)]
    link: Option<LinkMark>,
}

impl<R: Read> RecordStream<R> {
    /// A stream over `reader` whose error records go to stderr.
    pub fn new(reader: R, on_error: OnError) -> Self {
        RecordStream {
            reader: BufReader::with_capacity(64 * 1024, reader),
            on_error,
            max_line: MAX_LINE_BYTES,
            bare_words: false,
            report: Box::new(report_on_stderr),
            last_of_stream: HashMap::new(),
        }
    }

    /// Whether `text` repeats the last record read of its link stream (see [`LinkMark`]).
    fn link_repeat(&mut self, text: &str) -> Option<LinkMark> {
        if !text.contains("\"link\"") {
            return None;
        }
        let mark = serde_json::from_str::<LinkProbe>(text).ok()?.meta?.link?;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut hasher);
        let seen = (mark.seq, hasher.finish());
        if self.last_of_stream.len() >= STREAMS_REMEMBERED && !self.last_of_stream.contains_key(&mark.stream)
        {
            self.last_of_stream.clear();
        }
        match self.last_of_stream.insert(mark.stream.clone(), seen) {
            Some(last) if last == seen => Some(mark),
            _ => None,
        }
    }

    /// Also takes a line that is not JSON but one bare word (no blank, not starting with `{`,
    /// `[` or `"`), such as a raw transaction in hex written by another tool: it is handed on
    /// as the JSON string of that word.
    pub fn with_bare_words(mut self) -> Self {
        self.bare_words = true;
        self
    }

    /// Sets the longest line accepted (default [`MAX_LINE_BYTES`]); a longer one is an
    /// `error` record (`line_too_long`) and is skipped without being held in memory.
    pub fn with_max_line(mut self, max_line: usize) -> Self {
        self.max_line = max_line.max(1);
        self
    }

    /// Sends error records somewhere else than stderr (tests).
    pub fn with_error_sink(mut self, sink: impl FnMut(&ErrorRecord) + 'static) -> Self {
        self.report = Box::new(sink);
        self
    }

    /// Runs `handle(record, line_number)` for every record until the input ends or a failure
    /// stops the stream. A closed stdout inside `handle` ends the stream at once, quietly.
    pub fn run<T, F, W>(self, out: &mut Output<W>, mut handle: F) -> Result<StreamOutcome, Failure>
    where
        T: DeserializeOwned,
        F: FnMut(T, u64, &mut Output<W>) -> Result<(), Failure>,
        W: Write,
    {
        self.run_until(out, |record, line, out| handle(record, line, out).map(|()| ControlFlow::Continue(())))
    }

    /// Like [`RecordStream::run`], but `handle` may end the stream early with
    /// `ControlFlow::Break` (the rest of the input is not read), e.g. once a consumer has
    /// all it needs from an endless stream.
    pub fn run_until<T, F, W>(mut self, out: &mut Output<W>, mut handle: F) -> Result<StreamOutcome, Failure>
    where
        T: DeserializeOwned,
        F: FnMut(T, u64, &mut Output<W>) -> Result<ControlFlow<()>, Failure>,
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

    fn drive<T, F, W>(&mut self, out: &mut Output<W>, handle: &mut F) -> Result<StreamOutcome, Failure>
    where
        T: DeserializeOwned,
        F: FnMut(T, u64, &mut Output<W>) -> Result<ControlFlow<()>, Failure>,
        W: Write,
    {
        let mut outcome = StreamOutcome { processed: 0, failed: 0, exit: ExitCode::Success };
        let mut line = Vec::new();
        let mut line_no = 0u64;
        loop {
            if !self.reader.buffer().contains(&b'\n') {
                out.flush()?;
            }
            let read = read_line_capped(&mut self.reader, &mut line, self.max_line).map_err(|e| {
                Failure::new(
                    ExitCode::Usage,
                    "input",
                    std::io::Error::new(e.kind(), format!("cannot read stdin (line {}): {e}", line_no + 1)),
                )
            })?;
            let result = match read {
                LineRead::End => return Ok(outcome),
                LineRead::TooLong { skipped, .. } => {
                    line_no += 1;
                    Err(Failure::new(
                        ExitCode::Usage,
                        "line_too_long",
                        format!(
                            "the line has more than {} bytes ({skipped} read and skipped); raise --max-line if it is meant",
                            self.max_line
                        ),
                    ))
                }
                LineRead::Line { .. } => {
                    line_no += 1;
                    match std::str::from_utf8(&line) {
                        Err(e) => Err(Failure::new(
                            ExitCode::Usage,
                            "bad_input",
                            format!("not UTF-8 text (invalid byte at offset {})", e.valid_up_to()),
                        )),
                        Ok(text) if text.trim().is_empty() => continue,
                        Ok(text) => {
                            let text = text.trim();
                            if let Some(mark) = self.link_repeat(text) {
                                log::warn!(
                                    "line {line_no}: dropped a repeat of record {} of link stream {} (the link was stopped while writing it)",
                                    mark.seq,
                                    mark.stream
                                );
                                continue;
                            }
                            let bare = self.bare_words
                                && !text.starts_with(['{', '[', '"'])
                                && !text.contains(char::is_whitespace);
                            let parsed = if bare {
                                serde_json::from_value::<T>(serde_json::Value::String(text.to_string()))
                            } else {
                                serde_json::from_str::<T>(text)
                            };
                            parsed
                                .map_err(|e| {
                                    Failure::new(
                                        ExitCode::Usage,
                                        "bad_input",
                                        format!("not a valid record: {e}"),
                                    )
                                })
                                .and_then(|record| handle(record, line_no, out))
                        }
                    }
                }
            };
            match result {
                Ok(ControlFlow::Continue(())) => outcome.processed += 1,
                Ok(ControlFlow::Break(())) => {
                    outcome.processed += 1;
                    return Ok(outcome);
                }
                // A closed or failing stdout ends the stream whatever --on-error says: every
                // record after it would be lost too.
                Err(failure) if failure.exit == ExitCode::Success || failure.code == super::STDOUT_WRITE => {
                    return Err(failure);
                }
                Err(failure) => {
                    outcome.failed += 1;
                    outcome.exit = outcome.exit.max(failure.exit);
                    let meta = std::str::from_utf8(&line)
                        .ok()
                        .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
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
    let envelope = super::Envelope::new(record);
    if let Ok(mut text) = serde_json::to_string(&envelope) {
        text.push('\n');
        super::write_stderr(&text);
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
        let mut out = Output::to_writer(Vec::new(), false);
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
    fn a_repeat_of_the_last_record_of_a_link_stream_is_dropped_and_nothing_else() {
        let record = |stream: &str, seq: u64, n: u64| {
            format!(
                r#"{{"kind":"reading","v":1,"n":{n},"meta":{{"peer":{{"name":"m"}},"link":{{"stream":"{stream}","seq":{seq}}}}}}}"#
            )
        };
        let input = [
            record("a", 1, 0),
            record("a", 2, 1),
            record("b", 1, 9),
            record("a", 2, 1), // the repeat after a kill: same stream, seq and line
            record("a", 3, 2),
            record("a", 3, 7), // same seq, another record: not a repeat of the link's
            record("a", 1, 0), // an old record again, not right after its original
            r#"{"kind":"reading","v":1,"n":5,"meta":{"link":"not an object"}}"#.to_string(),
            r#"{"kind":"reading","v":1,"n":5,"meta":{"link":"not an object"}}"#.to_string(),
        ]
        .join("\n");
        let (outcome, lines, errors) = collect(&input, OnError::Stop);
        assert_eq!(lines, vec![1, 2, 3, 5, 6, 7, 8, 9]);
        assert_eq!((outcome.processed, outcome.failed), (8, 0));
        assert!(errors.is_empty());
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
    fn long_lines_and_invalid_utf8_are_error_records_and_skip_goes_on() {
        let errors = Rc::new(RefCell::new(Vec::new()));
        let sink = errors.clone();
        let mut seen = Vec::new();
        let mut out = Output::to_writer(Vec::new(), false);
        let input = [&b"{\"n\":1}\n"[..], &[b'x'; 100], b"\n\xff\xfe\n{\"n\":4}"].concat();
        let outcome = RecordStream::new(&input[..], OnError::Skip)
            .with_max_line(50)
            .with_error_sink(move |e| sink.borrow_mut().push(e.clone()))
            .run(&mut out, |v: serde_json::Value, line, _| {
                seen.push((line, v["n"].clone()));
                Ok(())
            })
            .unwrap();
        assert_eq!(seen, vec![(1, serde_json::json!(1)), (4, serde_json::json!(4))]);
        assert_eq!((outcome.processed, outcome.failed), (2, 2));
        let errors = errors.borrow();
        assert_eq!((errors[0].code.as_str(), errors[0].line), ("line_too_long", Some(2)));
        assert!(errors[0].message.contains("more than 50 bytes"), "{}", errors[0].message);
        assert_eq!((errors[1].code.as_str(), errors[1].line), ("bad_input", Some(3)));
        assert!(errors[1].message.contains("not UTF-8"), "{}", errors[1].message);
    }

    #[test]
    fn capped_reads_hold_no_more_than_the_limit() {
        let input = [&[b'a'; 10][..], b"\n", &[b'b'; 3]].concat();
        let mut reader = BufReader::with_capacity(4, &input[..]);
        let mut line = Vec::new();
        assert_eq!(
            read_line_capped(&mut reader, &mut line, 5).unwrap(),
            LineRead::TooLong { skipped: 10, terminated: true }
        );
        assert!(line.capacity() <= 8, "the long line was never buffered whole");
        assert_eq!(
            read_line_capped(&mut reader, &mut line, 5).unwrap(),
            LineRead::Line { terminated: false }
        );
        assert_eq!(line, b"bbb");
        assert_eq!(read_line_capped(&mut reader, &mut line, 5).unwrap(), LineRead::End);
    }

    struct FullDisk;
    impl Write for FullDisk {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from_raw_os_error(28))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failing_stdout_ends_the_stream_even_with_skip() {
        let mut out = Output::to_writer(FullDisk, false);
        let mut handled = 0;
        let failure = RecordStream::new("{}\n{}\n{}\n".as_bytes(), OnError::Skip)
            .with_error_sink(|_| panic!("not a record error"))
            .run(&mut out, |v: serde_json::Value, _, out| {
                handled += 1;
                out.emit(&ErrorRecord::new("x", v.to_string())).map_err(Failure::from)
            })
            .unwrap_err();
        assert_eq!(handled, 1, "nothing is done after the first failed write");
        assert_eq!((failure.exit, failure.code), (ExitCode::Usage, super::super::STDOUT_WRITE));
        assert!(failure.to_string().contains("No space left"), "{failure}");
    }

    #[test]
    fn bare_words_are_strings_only_when_asked() {
        let input = "0x02f8ab\n{\"raw\":\"0x01\"}\nnot one word\n";
        for (bare, expected) in [(true, 2), (false, 1)] {
            let mut seen = Vec::new();
            let mut out = Output::to_writer(Vec::new(), false);
            let stream = RecordStream::new(input.as_bytes(), OnError::Skip).with_error_sink(|_| {});
            let stream = if bare { stream.with_bare_words() } else { stream };
            let outcome = stream
                .run(&mut out, |v: serde_json::Value, _, _| {
                    seen.push(v);
                    Ok(())
                })
                .unwrap();
            assert_eq!(outcome.processed, expected);
            assert_eq!(outcome.failed, 3 - expected, "a line of several words is never a record");
            if bare {
                assert_eq!(seen[0], serde_json::json!("0x02f8ab"));
            }
        }
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
