//! The signing audit log: one NDJSON line per signing request, approved or denied.
//!
//! Lines are appended and fsynced before the signed record leaves the signer, so a signature
//! that exists has its audit line on disk. The log never holds secrets: no key, no password,
//! no signature over anything but the recorded transaction (the raw transaction is public
//! once sent anyway). It also carries the rolling-window state of the signing policy across
//! runs: at start, approved values within the window are counted again.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cli::{ErrorClass, ExitCode};

/// Why the audit log cannot be written. Signing stops: nothing is signed without its line.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The log cannot be opened, written or synced.
    #[error("cannot write the audit log {path}")]
    Write {
        /// The log file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl ErrorClass for AuditError {
    fn exit_code(&self) -> ExitCode {
        ExitCode::Usage
    }

    fn error_code(&self) -> &'static str {
        "audit_log"
    }
}

/// One audit line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When the request was decided, RFC 3339 UTC.
    pub time: String,
    /// `approved` or `denied`.
    pub decision: String,
    /// Why a request was denied.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    /// `sender` or `fee-payer`.
    pub role: String,
    /// The signer's address.
    pub signer: String,
    /// The input line number.
    pub line: u64,
    /// The transaction type's wire name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tx_type: Option<String>,
    /// The chain id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub chain_id: Option<u64>,
    /// The sender.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub from: Option<String>,
    /// The recipient.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub to: Option<String>,
    /// The value in peb, decimal.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value: Option<String>,
    /// The nonce, decimal.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nonce: Option<String>,
    /// The gas limit, decimal.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gas: Option<String>,
    /// The price per gas the transaction may pay, decimal peb.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gas_price: Option<String>,
    /// The 4-byte function selector of the call data.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub selector: Option<String>,
    /// The digest that was (or would have been) signed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sig_hash: Option<String>,
    /// The transaction hash after signing.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tx_hash: Option<String>,
    /// The sha256 of the policy file in force.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub policy_sha256: Option<String>,
    /// The input record's `meta`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub meta: Option<Value>,
}

/// An append-only, fsynced NDJSON audit log.
pub struct AuditLog {
    file: File,
    path: PathBuf,
    buffer: Vec<u8>,
}

impl AuditLog {
    /// Opens (or creates, 0600) the log for appending.
    pub fn open(path: &Path) -> Result<Self, AuditError> {
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file =
            options.open(path).map_err(|source| AuditError::Write { path: path.to_path_buf(), source })?;
        Ok(AuditLog { file, path: path.to_path_buf(), buffer: Vec::with_capacity(512) })
    }

    /// Appends one entry and syncs it to disk before returning.
    pub fn append(&mut self, entry: &AuditEntry) -> Result<(), AuditError> {
        self.buffer.clear();
        serde_json::to_writer(&mut self.buffer, entry).expect("audit entries always serialize");
        self.buffer.push(b'\n');
        let error = |source| AuditError::Write { path: self.path.clone(), source };
        self.file.write_all(&self.buffer).map_err(error)?;
        self.file.sync_data().map_err(|source| AuditError::Write { path: self.path.clone(), source })
    }

    /// The approved values (peb) recorded at or after `since`, with their times; lines that
    /// cannot be read are skipped (a torn last line after a crash, say).
    pub fn approved_since(path: &Path, since: SystemTime) -> Vec<(SystemTime, U256)> {
        let Ok(file) = File::open(path) else { return Vec::new() };
        BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            .filter_map(|line| serde_json::from_str::<AuditEntry>(&line).ok())
            .filter(|entry| entry.decision == "approved")
            .filter_map(|entry| {
                let at = humantime::parse_rfc3339(&entry.time).ok()?;
                let value = entry.value.as_deref().and_then(|v| U256::from_str_radix(v, 10).ok())?;
                (at >= since).then_some((at, value))
            })
            .collect()
    }
}

/// Now, as RFC 3339 UTC with milliseconds.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(time: SystemTime, decision: &str, value: u64) -> AuditEntry {
        AuditEntry {
            time: humantime::format_rfc3339_millis(time).to_string(),
            decision: decision.into(),
            reason: None,
            role: "sender".into(),
            signer: "0x0".into(),
            line: 1,
            tx_type: None,
            chain_id: None,
            from: None,
            to: None,
            value: Some(value.to_string()),
            nonce: None,
            gas: None,
            gas_price: None,
            selector: None,
            sig_hash: None,
            tx_hash: None,
            policy_sha256: None,
            meta: None,
        }
    }

    #[test]
    fn appends_and_reads_back_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.ndjson");
        let now = SystemTime::now();
        let hour = std::time::Duration::from_secs(3600);
        {
            let mut log = AuditLog::open(&path).unwrap();
            log.append(&entry(now - 2 * hour, "approved", 5)).unwrap();
            log.append(&entry(now, "approved", 7)).unwrap();
            log.append(&entry(now, "denied", 100)).unwrap();
        }
        // Reopening appends, never truncates; a torn line is ignored.
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"{\"time\":").unwrap();
        AuditLog::open(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 4);
        let window = AuditLog::approved_since(&path, now - hour);
        assert_eq!(window.len(), 1);
        assert_eq!(window[0].1, U256::from(7));
    }
}
