//! The one durable NDJSON log: an append-only file of JSON lines, each fsynced before the
//! operation it records takes effect. The signing audit log, the delivery journal, the
//! devnet's block file and the link's spool and high-water mark are all this type.
//!
//! The rules, the same for every log:
//!
//! - **Open** reads every line. A torn last line (bytes after the last newline: a write cut
//!   short by a crash, `kill -9` or a full disk) is cut off (the file is truncated to the last
//!   newline and synced) and reported; the operation it would have recorded never took
//!   effect, because nothing acts on an entry before [`DurableLog::append`] returns. Any other
//!   unreadable line — not UTF-8, not JSON, the wrong shape, longer than the line limit — is a
//!   hard error naming the file and the line, never "skip it and go on".
//! - **Append** writes one line and syncs it. A failed or short write, or a failed sync, is
//!   rolled back (the file is truncated to its previous length) and reported: the caller must
//!   then not do what the entry records.
//! - The file must be a regular file (created 0600 when missing): a device or a fifo cannot
//!   be truncated or synced, and an endless one would be read forever.
//!
//! ```
//! use evlock::wire::DurableLog;
//! # let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("log.ndjson");
//! let (mut log, entries) = DurableLog::open::<serde_json::Value>(&path).unwrap();
//! assert!(entries.is_empty());
//! log.append(&serde_json::json!({"n": 1})).unwrap();
//! drop(log);
//! // A crash in the middle of the next append leaves a torn line; the next open cuts it off.
//! std::fs::write(&path, "{\"n\":1}\n{\"n\":").unwrap();
//! let (log, entries) = DurableLog::open::<serde_json::Value>(&path).unwrap();
//! assert_eq!(entries.len(), 1);
//! assert_eq!(log.torn_bytes(), 5);
//! assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"n\":1}\n");
//! ```

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::input::{LineRead, MAX_LINE_BYTES, read_line_capped};
use crate::exit::{ErrorClass, ExitCode};

/// Why a durable log could not be opened, read or appended to.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The file cannot be opened (or created) for reading and appending.
    #[error("cannot open {path}")]
    Open {
        /// The log file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The path is a device, fifo, directory or anything else but a regular file.
    #[error("{path} is not a regular file (a log must be one: it is truncated and synced)")]
    NotRegular {
        /// The path.
        path: PathBuf,
    },
    /// Reading, truncating or syncing the file failed.
    #[error("cannot read {path}")]
    Read {
        /// The log file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A line is longer than the limit: not a log this program wrote.
    #[error("{path}, line {line}: longer than {limit} bytes (not a log this program wrote?)")]
    TooLong {
        /// The log file.
        path: PathBuf,
        /// The 1-based line number.
        line: u64,
        /// The limit in bytes.
        limit: usize,
    },
    /// A complete line that is not a valid entry (not UTF-8, not JSON, or the wrong shape).
    #[error("{path}, line {line}: {reason}")]
    Corrupt {
        /// The log file.
        path: PathBuf,
        /// The 1-based line number.
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// An append failed (disk full, file size limit, I/O error) and was rolled back: the
    /// entry is not in the log, and what it records must not happen.
    #[error("cannot append to {path} (the entry was rolled back{rollback})")]
    Append {
        /// The log file.
        path: PathBuf,
        /// Empty when the rollback worked; otherwise why it did not.
        rollback: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Syncing lines written without a sync failed: they are in the file, maybe not on disk,
    /// and what they record must not be relied on.
    #[error("cannot sync {path} to disk")]
    Sync {
        /// The log file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

impl ErrorClass for LogError {
    fn exit_code(&self) -> ExitCode {
        ExitCode::Usage
    }

    fn error_code(&self) -> &'static str {
        match self {
            LogError::Open { .. } | LogError::NotRegular { .. } | LogError::Read { .. } => "log_unreadable",
            LogError::TooLong { .. } | LogError::Corrupt { .. } => "log_corrupt",
            LogError::Append { .. } | LogError::Sync { .. } => "log_append",
        }
    }
}

/// An open durable log, positioned for appending.
#[derive(Debug)]
pub struct DurableLog {
    file: File,
    path: PathBuf,
    len: u64,
    lines: u64,
    torn_bytes: u64,
    buffer: Vec<u8>,
    /// Set when a rollback failed: the file may end in a partial line, so nothing more may be
    /// appended after it (it would be glued onto that line) until the log is opened again.
    broken: bool,
}

impl DurableLog {
    /// Opens (or creates, 0600) the log at `path` and reads its entries as `T`, with the
    /// default line limit ([`MAX_LINE_BYTES`]).
    pub fn open<T: DeserializeOwned>(path: &Path) -> Result<(DurableLog, Vec<T>), LogError> {
        let mut entries = Vec::new();
        let log = DurableLog::open_with(path, MAX_LINE_BYTES, |_, text| {
            entries.push(serde_json::from_str::<T>(text).map_err(|e| e.to_string())?);
            Ok(())
        })?;
        Ok((log, entries))
    }

    /// Opens (or creates, 0600) the log and hands each complete line (1-based number, text)
    /// to `visit`; an `Err` from it makes that line [`LogError::Corrupt`]. Lines longer than
    /// `max_line` bytes are [`LogError::TooLong`]. A torn last line is cut off first.
    pub fn open_with(
        path: &Path,
        max_line: usize,
        mut visit: impl FnMut(u64, &str) -> Result<(), String>,
    ) -> Result<DurableLog, LogError> {
        let read_error = |source| LogError::Read { path: path.to_path_buf(), source };
        let mut options = OpenOptions::new();
        options.read(true).append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        // A fifo would block the open itself: look before opening.
        if let Ok(meta) = std::fs::metadata(path)
            && !meta.is_file()
        {
            return Err(LogError::NotRegular { path: path.to_path_buf() });
        }
        let file =
            options.open(path).map_err(|source| LogError::Open { path: path.to_path_buf(), source })?;
        if !file.metadata().map_err(read_error)?.is_file() {
            return Err(LogError::NotRegular { path: path.to_path_buf() });
        }

        let mut reader = BufReader::with_capacity(64 * 1024, &file);
        let mut line = Vec::new();
        let (mut good_len, mut lines) = (0u64, 0u64);
        let torn_bytes = loop {
            match read_line_capped(&mut reader, &mut line, max_line).map_err(read_error)? {
                LineRead::End => break 0,
                LineRead::TooLong { .. } => {
                    return Err(LogError::TooLong {
                        path: path.to_path_buf(),
                        line: lines + 1,
                        limit: max_line,
                    });
                }
                LineRead::Line { terminated: false } => break line.len() as u64,
                LineRead::Line { terminated: true } => {
                    lines += 1;
                    good_len += line.len() as u64 + 1;
                    let corrupt =
                        |reason: String| LogError::Corrupt { path: path.to_path_buf(), line: lines, reason };
                    let text = std::str::from_utf8(&line).map_err(|e| corrupt(format!("not UTF-8 ({e})")))?;
                    if text.trim().is_empty() {
                        continue;
                    }
                    visit(lines, text).map_err(corrupt)?;
                }
            }
        };
        drop(reader);
        if torn_bytes > 0 {
            log::warn!(
                "{}: cut off a torn last line ({torn_bytes} bytes after line {lines}): a write that never completed",
                path.display()
            );
            file.set_len(good_len).map_err(read_error)?;
            file.sync_all().map_err(read_error)?;
        }
        Ok(DurableLog {
            file,
            path: path.to_path_buf(),
            len: good_len,
            lines,
            torn_bytes,
            buffer: Vec::new(),
            broken: false,
        })
    }

    /// Appends one entry as a line and syncs it before returning. On any failure the file is
    /// truncated back to where it was, and the error says so.
    pub fn append<T: Serialize + ?Sized>(&mut self, entry: &T) -> Result<(), LogError> {
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.clear();
        serde_json::to_writer(&mut buffer, entry).map_err(|e| LogError::Append {
            path: self.path.clone(),
            rollback: String::new(),
            source: io::Error::new(io::ErrorKind::InvalidData, e),
        })?;
        buffer.push(b'\n');
        let result = self.append_bytes(&buffer);
        self.buffer = buffer;
        result
    }

    /// Appends a line that is already JSON (without its newline).
    pub fn append_line(&mut self, json: &str) -> Result<(), LogError> {
        let mut line = Vec::with_capacity(json.len() + 1);
        line.extend_from_slice(json.as_bytes());
        line.push(b'\n');
        self.append_bytes(&line)
    }

    /// Appends several lines that are already JSON (each without its newline) with one write
    /// and one sync. A failure rolls all of them back. A crash in the middle of the write
    /// can leave the first ones complete (and the next open keeps them), so each line must
    /// stand on its own.
    pub fn append_lines<S: AsRef<str>>(&mut self, lines: &[S]) -> Result<(), LogError> {
        if lines.is_empty() {
            return Ok(());
        }
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.clear();
        for line in lines {
            buffer.extend_from_slice(line.as_ref().as_bytes());
            buffer.push(b'\n');
        }
        let result = self.write_synced(&buffer, lines.len() as u64);
        self.buffer = buffer;
        result
    }

    fn append_bytes(&mut self, line: &[u8]) -> Result<(), LogError> {
        self.write_synced(line, 1)
    }

    /// Writes one line that is already JSON without syncing it: it survives the process being
    /// killed (it is in the page cache), not a power cut, until [`DurableLog::sync`]. For a log
    /// that must keep pace with another write, line by line (the link's marks follow each
    /// record written to a pipe). A failed write is rolled back like an append.
    pub fn write_line(&mut self, json: &str) -> Result<(), LogError> {
        self.refuse_if_broken()?;
        let mut line = std::mem::take(&mut self.buffer);
        line.clear();
        line.extend_from_slice(json.as_bytes());
        line.push(b'\n');
        let result = match self.file.write_all(&line) {
            Ok(()) => {
                self.len += line.len() as u64;
                self.lines += 1;
                Ok(())
            }
            Err(source) => Err(self.roll_back(source)),
        };
        self.buffer = line;
        result
    }

    /// Syncs what [`DurableLog::write_line`] wrote.
    pub fn sync(&mut self) -> Result<(), LogError> {
        self.file.sync_data().map_err(|source| LogError::Sync { path: self.path.clone(), source })
    }

    /// After a failed rollback the file may end in a partial line: nothing more goes on it.
    fn refuse_if_broken(&self) -> Result<(), LogError> {
        if self.broken {
            return Err(LogError::Append {
                path: self.path.clone(),
                rollback:
                    "; an earlier rollback failed, so nothing more is appended until the log is opened again"
                        .into(),
                source: io::Error::other("the log may end in a partial line"),
            });
        }
        Ok(())
    }

    /// Truncates back to the last good length after a failed write.
    fn roll_back(&mut self, source: io::Error) -> LogError {
        let rollback = match self.file.set_len(self.len).and_then(|()| self.file.sync_all()) {
            Ok(()) => String::new(),
            Err(e) => {
                self.broken = true;
                format!("; the rollback failed too: {e}")
            }
        };
        // Appends go to the end whatever the position; keep it honest for readers.
        let _ = self.file.seek(SeekFrom::Start(self.len));
        LogError::Append { path: self.path.clone(), rollback, source }
    }

    fn write_synced(&mut self, bytes: &[u8], lines: u64) -> Result<(), LogError> {
        self.refuse_if_broken()?;
        let written = self.file.write_all(bytes).and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.len += bytes.len() as u64;
                self.lines += lines;
                Ok(())
            }
            Err(source) => Err(self.roll_back(source)),
        }
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The log's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the log holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of lines in the log (blank ones included).
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// How many bytes of a torn last line were cut off when the log was opened (0: none).
    pub fn torn_bytes(&self) -> u64 {
        self.torn_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn open(path: &Path) -> Result<(DurableLog, Vec<Value>), LogError> {
        DurableLog::open::<Value>(path)
    }

    #[test]
    fn appends_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ndjson");
        let (mut log, entries) = open(&path).unwrap();
        assert!(entries.is_empty());
        log.append(&json!({"n": 1})).unwrap();
        log.append_line(r#"{"n":2}"#).unwrap();
        assert_eq!(log.lines(), 2);
        drop(log);
        let (log, entries) = open(&path).unwrap();
        assert_eq!(entries, vec![json!({"n": 1}), json!({"n": 2})]);
        assert_eq!(log.torn_bytes(), 0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn several_lines_go_in_one_append() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ndjson");
        let (mut log, _) = open(&path).unwrap();
        log.append_lines(&[r#"{"n":1}"#, r#"{"n":2}"#]).unwrap();
        log.append_lines::<&str>(&[]).unwrap();
        assert_eq!((log.lines(), log.len()), (2, 16));
        log.write_line(r#"{"n":3}"#).unwrap();
        log.sync().unwrap();
        drop(log);
        let (_, entries) = open(&path).unwrap();
        assert_eq!(entries, vec![json!({"n": 1}), json!({"n": 2}), json!({"n": 3})]);
    }

    #[test]
    fn a_torn_tail_is_cut_and_the_next_append_starts_clean() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ndjson");
        std::fs::write(&path, b"{\"n\":1}\n{\"n\":2}").unwrap();
        let (mut log, entries) = open(&path).unwrap();
        assert_eq!(entries, vec![json!({"n": 1})], "an unterminated line never counts, even if it parses");
        assert_eq!(log.torn_bytes(), 7);
        log.append(&json!({"n": 3})).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"n\":1}\n{\"n\":3}\n");
    }

    #[test]
    fn a_bad_line_before_the_end_is_a_hard_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ndjson");
        std::fs::write(&path, b"{\"n\":1}\njunk\n{\"n\":3}\n").unwrap();
        let error = open(&path).unwrap_err();
        assert!(matches!(error, LogError::Corrupt { line: 2, .. }), "{error}");
        assert!(error.to_string().contains("a.ndjson, line 2"), "{error}");
        // A complete last line is not torn either: it is corrupt.
        std::fs::write(&path, b"{\"n\":1}\njunk\n").unwrap();
        assert!(matches!(open(&path).unwrap_err(), LogError::Corrupt { line: 2, .. }));
        // Nothing was cut.
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"n\":1}\njunk\n");
    }

    #[test]
    fn invalid_utf8_and_wrong_shapes_name_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ndjson");
        std::fs::write(&path, b"{\"n\":1}\n\xff\xfe\n").unwrap();
        let error = open(&path).unwrap_err();
        assert!(error.to_string().contains("line 2: not UTF-8"), "{error}");

        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Entry {
            n: u32,
        }
        std::fs::write(&path, b"{\"m\":1}\n").unwrap();
        let error = DurableLog::open::<Entry>(&path).unwrap_err();
        assert!(
            matches!(error, LogError::Corrupt { line: 1, .. }),
            "a wrong shape is not a torn line: {error}"
        );
    }

    #[test]
    fn long_lines_and_non_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ndjson");
        std::fs::write(&path, vec![b'x'; 100]).unwrap();
        // Unterminated and over the limit: not a torn line of ours either.
        let error = DurableLog::open_with(&path, 10, |_, _| Ok(())).unwrap_err();
        assert!(matches!(error, LogError::TooLong { line: 1, limit: 10, .. }), "{error}");
        assert_eq!(std::fs::read(&path).unwrap().len(), 100, "nothing cut");
        let error = open(dir.path()).unwrap_err();
        assert!(matches!(error, LogError::NotRegular { .. }), "{error}");
        #[cfg(target_os = "linux")]
        assert!(matches!(open(Path::new("/dev/zero")).unwrap_err(), LogError::NotRegular { .. }));
    }
}
