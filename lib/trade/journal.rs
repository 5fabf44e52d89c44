//! The delivery journal: one fsynced NDJSON line per step of a `deliver` session, so a session
//! killed mid-way resumes where it stopped and never reports the same energy twice.
//!
//! A report is journaled (with its signed bytes) *before* it is sent: after a crash the last
//! report is sent again, which the node recognises as already known, and reporting resumes
//! above it. The journal is a [`DurableLog`]: a torn last line is cut off when it is opened,
//! any other unreadable line stops the session, and a failed append is rolled back.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::exit::{ErrorClass, ExitCode};
use crate::wire::{DurableLog, LogError};

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Entry {
    /// The session began: which trade, which side, and the meter's total at the start.
    Start {
        /// The trade id.
        trade: String,
        /// `seller` or `buyer`.
        side: String,
        /// The meter's account.
        meter: String,
        /// The meter's energy total (mWh) when delivery began.
        start_mwh: u64,
        /// The trade's energy, Wh.
        energy_wh: u64,
    },
    /// A report about to be sent.
    Report {
        /// The cumulative Wh reported.
        cumulative_wh: u64,
        /// The transaction hash.
        hash: String,
        /// The signed transaction (a `signed_tx` record), to send again after a crash.
        signed: serde_json::Value,
    },
    /// A report's receipt arrived.
    Sent {
        /// The transaction hash.
        hash: String,
        /// `success` or `reverted`.
        status: String,
    },
    /// Version 2: a receipt this session's meter signed from its own reading, journaled
    /// before it is sent.
    Receipt {
        /// The cumulative Wh it says the meter measured.
        cumulative_wh: u64,
        /// The signed `delivery_receipt` record.
        record: serde_json::Value,
    },
    /// Version 2, the seller's session: a receipt of the buyer's meter that raised what the
    /// buyer acknowledged (checked against the market before it was journaled).
    Counterpart {
        /// The cumulative Wh the buyer's meter acknowledged (at most the trade's energy).
        cumulative_wh: u64,
        /// The signed `delivery_receipt` record.
        record: serde_json::Value,
    },
    /// A meter alarm stopped the delivery.
    Alarm {
        /// The alarm's code.
        code: String,
        /// Its message.
        message: String,
    },
    /// The whole energy was delivered and reported.
    Delivered,
    /// The trade was settled (by this session or another party).
    Settled {
        /// The settle transaction, when this session sent it.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        hash: Option<String>,
    },
}

/// Why the journal could not be used. Exit 2 (it is the operator's file).
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The journal cannot be opened, read or appended to, or a line in it is not an entry.
    #[error("delivery journal")]
    Log(#[from] LogError),
    /// The journal belongs to another trade or side.
    #[error("delivery journal {path} is for trade {trade} ({side}); use another --journal for this session")]
    Mismatch {
        /// The journal's path.
        path: PathBuf,
        /// The trade it records.
        trade: String,
        /// The side it records.
        side: String,
    },
}

impl ErrorClass for JournalError {
    fn exit_code(&self) -> ExitCode {
        ExitCode::Usage
    }

    fn error_code(&self) -> &'static str {
        match self {
            JournalError::Log(LogError::Append { .. }) => "journal_io",
            JournalError::Log(LogError::Corrupt { .. } | LogError::TooLong { .. }) => "journal_corrupt",
            JournalError::Log(_) => "journal_io",
            JournalError::Mismatch { .. } => "journal_mismatch",
        }
    }
}

/// An open journal, appending.
pub struct Journal {
    log: DurableLog,
    entries: Vec<Entry>,
}

impl Journal {
    /// Opens (or creates, 0600) the journal at `path` and reads what it holds. A torn last
    /// line (a crash mid-write) is cut off; any other line that is not an entry is an error.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let (log, entries) = DurableLog::open(path)?;
        Ok(Journal { log, entries })
    }

    /// What the journal held when opened, and what was appended since.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Appends one entry and fsyncs it before returning.
    pub fn append(&mut self, entry: Entry) -> Result<(), JournalError> {
        self.log.append(&entry)?;
        self.entries.push(entry);
        Ok(())
    }

    /// The meter total (mWh) the session started from, if the journal has a start; fails when
    /// the journal is for another trade or side.
    pub fn start_for(&self, trade: &str, side: &str) -> Result<Option<u64>, JournalError> {
        for entry in &self.entries {
            if let Entry::Start { trade: t, side: s, start_mwh, .. } = entry {
                if t != trade || s != side {
                    return Err(JournalError::Mismatch {
                        path: self.log.path().to_path_buf(),
                        trade: t.clone(),
                        side: s.clone(),
                    });
                }
                return Ok(Some(*start_mwh));
            }
        }
        Ok(None)
    }

    /// The highest cumulative Wh journaled as reported (sent or about to be).
    pub fn reported_wh(&self) -> u64 {
        self.entries
            .iter()
            .filter_map(|e| match e {
                Entry::Report { cumulative_wh, .. } => Some(*cumulative_wh),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// Version 2: the highest cumulative Wh this session's meter signed a receipt for, and
    /// that receipt.
    pub fn own_receipt(&self) -> Option<(u64, &serde_json::Value)> {
        self.entries
            .iter()
            .filter_map(|e| match e {
                Entry::Receipt { cumulative_wh, record } => Some((*cumulative_wh, record)),
                _ => None,
            })
            .max_by_key(|(wh, _)| *wh)
    }

    /// Version 2: the highest receipt of the counterpart's meter journaled, with its figure.
    pub fn counterpart_receipt(&self) -> Option<(u64, &serde_json::Value)> {
        self.entries
            .iter()
            .filter_map(|e| match e {
                Entry::Counterpart { cumulative_wh, record } => Some((*cumulative_wh, record)),
                _ => None,
            })
            .max_by_key(|(wh, _)| *wh)
    }

    /// The last report whose receipt was not journaled: it may not have reached the node.
    pub fn unconfirmed_report(&self) -> Option<(&str, &serde_json::Value)> {
        let mut pending = None;
        for entry in &self.entries {
            match entry {
                Entry::Report { hash, signed, .. } => pending = Some((hash.as_str(), signed)),
                Entry::Sent { hash, .. } if pending.is_some_and(|(h, _)| h == hash) => pending = None,
                _ => {}
            }
        }
        pending
    }

    /// Whether the journal says the trade is settled.
    pub fn is_settled(&self) -> bool {
        self.entries.iter().any(|e| matches!(e, Entry::Settled { .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> Entry {
        Entry::Start {
            trade: "1".into(),
            side: "seller".into(),
            meter: "0xabc".into(),
            start_mwh: 5,
            energy_wh: 50,
        }
    }

    #[test]
    fn survives_reopening_and_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ndjson");
        let mut journal = Journal::open(&path).unwrap();
        journal.append(start()).unwrap();
        journal
            .append(Entry::Report {
                cumulative_wh: 10,
                hash: "0x1".into(),
                signed: serde_json::json!({"raw": "0xaa"}),
            })
            .unwrap();
        journal.append(Entry::Sent { hash: "0x1".into(), status: "success".into() }).unwrap();
        journal
            .append(Entry::Report {
                cumulative_wh: 20,
                hash: "0x2".into(),
                signed: serde_json::json!({"raw": "0xbb"}),
            })
            .unwrap();
        drop(journal);
        use std::io::Write;
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"event\":\"sent\",\"ha")
            .unwrap();

        let journal = Journal::open(&path).unwrap();
        assert_eq!(journal.entries().len(), 4);
        assert_eq!(journal.start_for("1", "seller").unwrap(), Some(5));
        assert_eq!(journal.reported_wh(), 20);
        assert_eq!(journal.unconfirmed_report(), Some(("0x2", &serde_json::json!({"raw": "0xbb"}))));
        assert!(!journal.is_settled());
        assert!(matches!(journal.start_for("2", "seller"), Err(JournalError::Mismatch { .. })));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn a_bad_line_in_the_middle_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ndjson");
        std::fs::write(&path, "{\"event\":\"delivered\"}\nnot json\n{\"event\":\"delivered\"}\n").unwrap();
        let err = Journal::open(&path).err().unwrap();
        assert_eq!(err.error_code(), "journal_corrupt");
        let chain = crate::exit::causes(&err).join(": ");
        assert!(chain.contains("line 2"), "{chain}");
        // One valid JSON line of the wrong shape is not a torn line either.
        std::fs::write(&path, "{\"event\":\"frob\"}\n").unwrap();
        assert!(Journal::open(&path).is_err());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"event\":\"frob\"}\n",
            "nothing appended or cut"
        );
    }
}
