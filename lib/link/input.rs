//! Records to send, read from stdin (or a command's output) in batches, with the byte offset
//! after each line. When the input is a regular file, the spool remembers the file (device and
//! inode) and how far its records were spooled, and a restart resumes right there: a killed
//! sender reading `< records.ndjson` sends each record once. A pipe cannot be resumed: what a
//! killed process had read from it and not yet spooled is gone, so a pipeline that must not
//! lose records feeds the link from a file (or restarts its producer from its own state).

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

use serde_json::Value;

use super::LinkError;
use super::store::{FileId, Spool};
use crate::wire::{ErrorRecord, LineRead, read_line_capped};

/// One input line.
#[derive(Debug)]
pub enum Line {
    /// A record (a JSON object).
    Record {
        /// The record.
        record: Value,
        /// The input's byte offset after the line.
        end: u64,
        /// The line's number in this run.
        line: u64,
    },
    /// A line that is not a record: the `error` record to report.
    Bad {
        /// What is wrong, at which line.
        error: ErrorRecord,
        /// The input's byte offset after the line.
        end: u64,
    },
}

/// The input of a link side.
pub struct Input {
    reader: BufReader<Box<dyn Read + Send>>,
    file: Option<FileId>,
    seekable: Option<File>,
    offset: u64,
    line_no: u64,
    max_line: usize,
    buffer: Vec<u8>,
}

impl Input {
    /// The process's stdin; a regular file is recognised (and can be resumed).
    pub fn stdin(max_line: usize) -> Input {
        use std::os::fd::AsFd;
        let stdin = std::io::stdin();
        if let Ok(fd) = stdin.as_fd().try_clone_to_owned() {
            let file = File::from(fd);
            if let Ok(meta) = file.metadata()
                && meta.is_file()
            {
                use std::os::unix::fs::MetadataExt;
                let id = FileId { dev: meta.dev(), ino: meta.ino() };
                let offset = (&file).stream_position().unwrap_or(0);
                // A second descriptor of the same open file: seeking it moves the reader too.
                let seekable = file.try_clone().ok();
                let mut input = Input::from_reader(Box::new(file), max_line);
                input.file = Some(id);
                input.offset = offset;
                input.seekable = seekable;
                return input;
            }
        }
        Input::from_reader(Box::new(stdin), max_line)
    }

    /// Any reader (a pipe, a command's output); never resumed.
    pub fn from_reader(reader: Box<dyn Read + Send>, max_line: usize) -> Input {
        Input {
            reader: BufReader::with_capacity(64 * 1024, reader),
            file: None,
            seekable: None,
            offset: 0,
            line_no: 0,
            max_line,
            buffer: Vec::new(),
        }
    }

    /// The regular file being read, if it is one.
    pub fn file(&self) -> Option<FileId> {
        self.file
    }

    /// Where reading starts or stands (bytes).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// For a regular file: skips what the spool says was spooled already from this same file,
    /// or records that a new file is being read. Call it before reading. Returns how many bytes
    /// were skipped.
    pub fn resume(&mut self, spool: &Spool) -> Result<u64, LinkError> {
        let (Some(id), Some(file)) = (self.file, self.seekable.as_mut()) else { return Ok(0) };
        let io = |source| LinkError::Io { what: "cannot seek stdin".into(), source };
        match spool.input() {
            Some((known, offset)) if known == id && offset != self.offset => {
                let len = file.metadata().map_err(io)?.len();
                if len < offset {
                    log::warn!(
                        "stdin is the file read before, but shorter than the {offset} bytes already spooled: reading it from the start"
                    );
                    file.seek(SeekFrom::Start(0)).map_err(io)?;
                    self.offset = 0;
                    spool.begin_input(id, 0)?;
                    return Ok(0);
                }
                file.seek(SeekFrom::Start(offset)).map_err(io)?;
                log::info!(
                    "stdin is the file read before: resuming after the {offset} bytes already spooled"
                );
                let skipped = offset.saturating_sub(self.offset);
                self.offset = offset;
                Ok(skipped)
            }
            Some((known, _)) if known == id => Ok(0),
            _ => {
                spool.begin_input(id, self.offset)?;
                Ok(0)
            }
        }
    }

    /// The next lines: at least one (blocking), then as many as are already buffered, up to
    /// `max`. Empty at the end of the input.
    pub fn next_batch(&mut self, max: usize) -> Result<Vec<Line>, LinkError> {
        let mut lines = Vec::new();
        while lines.len() < max.max(1) {
            if !lines.is_empty() && !self.reader.buffer().contains(&b'\n') {
                break;
            }
            let read =
                read_line_capped(&mut self.reader, &mut self.buffer, self.max_line).map_err(|source| {
                    LinkError::Io {
                        what: format!("cannot read the input (line {})", self.line_no + 1),
                        source,
                    }
                })?;
            let (length, terminated) = match read {
                LineRead::End => break,
                LineRead::Line { terminated } => (self.buffer.len() as u64, terminated),
                LineRead::TooLong { skipped, terminated } => (skipped, terminated),
            };
            self.offset += length + u64::from(terminated);
            self.line_no += 1;
            let end = self.offset;
            let line = self.line_no;
            if let LineRead::TooLong { skipped, .. } = read {
                let message = format!(
                    "the line has more than {} bytes ({skipped}): raise --max-line if it is meant",
                    self.max_line
                );
                lines
                    .push(Line::Bad { error: ErrorRecord::new("line_too_long", message).at_line(line), end });
                continue;
            }
            let text = match std::str::from_utf8(&self.buffer) {
                Ok(text) if text.trim().is_empty() => continue,
                Ok(text) => text,
                Err(e) => {
                    let message = format!("not UTF-8 text (invalid byte at offset {})", e.valid_up_to());
                    lines
                        .push(Line::Bad { error: ErrorRecord::new("bad_input", message).at_line(line), end });
                    continue;
                }
            };
            match serde_json::from_str::<Value>(text.trim()) {
                Ok(record @ Value::Object(_)) => lines.push(Line::Record { record, end, line }),
                Ok(_) => lines.push(Line::Bad {
                    error: ErrorRecord::new("bad_input", "not a record: a record is a JSON object")
                        .at_line(line),
                    end,
                }),
                Err(e) => lines.push(Line::Bad {
                    error: ErrorRecord::new("bad_input", format!("not a valid record: {e}")).at_line(line),
                    end,
                }),
            }
        }
        Ok(lines)
    }
}

/// Writes an `error` record on stderr.
pub fn report(error: &ErrorRecord) {
    let envelope = crate::wire::Envelope::new(error);
    if let Ok(mut text) = serde_json::to_string(&envelope) {
        text.push('\n');
        crate::wire::write_stderr(&text);
    }
}
