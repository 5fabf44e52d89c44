//! The signing audit log: one NDJSON line per signing request, approved or denied.
//!
//! Lines are appended and fsynced before the signed record leaves the signer, so a signature
//! that exists has its audit line on disk. The log never holds secrets: no key, no password,
//! no signature over anything but the recorded transaction (the raw transaction is public
//! once sent anyway). It also carries the rolling-window state of the signing policy across
//! runs: at start, approved values within the window are counted again.
//!
//! The log is a [`DurableLog`]: a torn last line is cut off at open, any other unreadable line
//! stops the signer (fail closed: a policy window that cannot be read is never taken as
//! empty), and an append that fails is rolled back and nothing is signed.

use std::path::Path;
use std::time::SystemTime;

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::exit::{ErrorClass, ExitCode};
use crate::wire::{DurableLog, LogError, MAX_LINE_BYTES};

/// Why the audit log cannot be used. Signing stops: nothing is signed without its line, and
/// nothing is signed against a window that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The log cannot be opened or read, or a line in it is not an audit entry: the signer
    /// refuses to sign (exit 1, `audit_unreadable`) rather than take the window as empty.
    #[error("the audit log cannot be read, so nothing is signed")]
    Unreadable(#[source] LogError),
    /// An append failed and was rolled back (exit 2, `audit_log`): the request it records is
    /// not signed.
    #[error("the audit log cannot be written, so nothing is signed")]
    Write(#[source] LogError),
}

impl ErrorClass for AuditError {
    fn exit_code(&self) -> ExitCode {
        match self {
            AuditError::Unreadable(_) => ExitCode::No,
            AuditError::Write(_) => ExitCode::Usage,
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            AuditError::Unreadable(_) => "audit_unreadable",
            AuditError::Write(_) => "audit_log",
        }
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
    /// The address of the (first) key that signs.
    pub signer: String,
    /// Every key that signs, when more than one does (a multisig account).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub signers: Option<Vec<String>>,
    /// The account the keys sign for, when it is not the signer's own address (a decoupled
    /// or multisig account).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub account: Option<String>,
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

/// An append-only, fsynced NDJSON audit log, with the approved values it already holds.
pub struct AuditLog {
    log: DurableLog,
    approved: Vec<(SystemTime, U256)>,
}

impl AuditLog {
    /// Opens (or creates, 0600) the log and reads the approved values it holds. Every line
    /// must be an audit entry, and every approved one must have a readable time and value.
    pub fn open(path: &Path) -> Result<Self, AuditError> {
        let mut approved = Vec::new();
        let log = DurableLog::open_with(path, MAX_LINE_BYTES, |_, text| {
            let entry: AuditEntry =
                serde_json::from_str(text).map_err(|e| format!("not an audit entry: {e}"))?;
            if entry.decision == "approved" {
                let at = humantime::parse_rfc3339(&entry.time)
                    .map_err(|e| format!("approved entry with an unreadable time {:?}: {e}", entry.time))?;
                let value = match entry.value.as_deref() {
                    None => U256::ZERO,
                    Some(v) => U256::from_str_radix(v, 10)
                        .map_err(|_| format!("approved entry with an unreadable value {v:?}"))?,
                };
                approved.push((at, value));
            }
            Ok(())
        })
        .map_err(AuditError::Unreadable)?;
        Ok(AuditLog { log, approved })
    }

    /// Appends one entry and syncs it to disk before returning; on failure nothing is left
    /// of it in the file.
    pub fn append(&mut self, entry: &AuditEntry) -> Result<(), AuditError> {
        self.log.append(entry).map_err(AuditError::Write)?;
        if entry.decision == "approved"
            && let Ok(at) = humantime::parse_rfc3339(&entry.time)
        {
            let value =
                entry.value.as_deref().and_then(|v| U256::from_str_radix(v, 10).ok()).unwrap_or_default();
            self.approved.push((at, value));
        }
        Ok(())
    }

    /// The approved values (peb) recorded at or after `since`, with their times.
    pub fn approved_since(&self, since: SystemTime) -> Vec<(SystemTime, U256)> {
        self.approved.iter().filter(|(at, _)| *at >= since).copied().collect()
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        self.log.path()
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
            signers: None,
            account: None,
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
            // The session's own appends count at once, approvals only.
            let window = log.approved_since(now - hour);
            assert_eq!(window.iter().map(|(_, v)| *v).collect::<Vec<_>>(), vec![U256::from(7)]);
        }
        // Reopening appends, never truncates; a torn last line is cut off.
        use std::io::Write;
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"{\"time\":").unwrap();
        let log = AuditLog::open(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert!(text.ends_with("}\n"));
        let window = log.approved_since(now - hour);
        assert_eq!(window.len(), 1);
        assert_eq!(window[0].1, U256::from(7));
    }

    #[test]
    fn entries_are_stamped_with_the_time_now_in_rfc_3339() {
        let stamp = now_rfc3339();
        let at = humantime::parse_rfc3339(&stamp).unwrap();
        // Either side of now: a stamp from the future is as wrong as an old one.
        let now = SystemTime::now();
        let off = now.duration_since(at).unwrap_or_else(|ahead| ahead.duration());
        assert!(off < std::time::Duration::from_secs(5), "{stamp}");
        assert!(stamp.ends_with('Z') && stamp.contains('.'), "UTC with milliseconds: {stamp}");
    }

    #[test]
    fn an_unreadable_log_fails_closed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.ndjson");
        std::fs::write(&path, b"\xff\n").unwrap();
        let error = AuditLog::open(&path).err().unwrap();
        assert_eq!((error.exit_code(), error.error_code()), (ExitCode::No, "audit_unreadable"));
        let mut line = serde_json::to_vec(&entry(SystemTime::now(), "approved", 1)).unwrap();
        line.extend_from_slice(b"\n{\"decision\":\"approved\"}\n");
        std::fs::write(&path, &line).unwrap();
        assert!(AuditLog::open(&path).is_err(), "an entry of the wrong shape is not skipped");
    }
}
