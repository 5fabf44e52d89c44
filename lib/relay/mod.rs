//! Submitting signed transactions to a node and collecting their receipts
//! (`evlock-relay submit`).
//!
//! The raw bytes are the truth. A [`Submission`] is made from any `signed_tx` record, a record
//! with only `raw`, or a bare hex string (what `cast mktx`, ethers or Kaia's SDK print): the
//! type, hash, sender, fee payer, nonce and chain id are decoded from the bytes, and a record
//! whose own fields say otherwise is refused, naming the field. Kaia's `0x78` envelope is
//! taken off on the way in.
//!
//! For each submission the [`Submitter`]:
//! 1. refuses a fee-delegated transaction without the fee payer's signature;
//! 2. sends it by what its bytes are ([`crate::kaia::RawForm`]): `eth_sendRawTransaction` for
//!    legacy and plain EIP-2718 typed transactions (every Ethereum node, and Kaia's `eth_`
//!    namespace, takes them), `kaia_sendRawTransaction` for Kaia-native types;
//! 3. treats "already known" answers as sent, and so does any refusal of a transaction the
//!    chain already holds (a receipt exists for its hash): running the same input twice never
//!    sends twice and never fails for that;
//! 4. collects the receipt by polling `eth_getTransactionReceipt`, every 25 ms at first and
//!    then less often, up to the poll interval, until it has the confirmations asked;
//! 5. writes a [`ReceiptRecord`] of what the node and the bytes say (never fields copied from
//!    the input), with the record's `meta` and unknown fields carried. A reverted
//!    transaction's reason comes from the receipt when the node puts one there (Kaia's
//!    `revertReason`), else from replaying the call with `eth_call` at the transaction's block
//!    (at the latest block when the node no longer has that block's state), decoded by
//!    [`crate::rpc::revert_reason`].
//!
//! A [`Pipeline`] does this for a stream: each transaction is sent as soon as it is read, the
//! receipts of all those in flight are collected together, and the results come out in input
//! order (ten transactions on a chain with 1 s blocks take a block or two, not ten).
//!
//! What each failure means for the tool's exit code is [`RelayError`]'s business: a node
//! refusing a transaction (bad signature, nonce too low, insufficient funds, wrong chain id)
//! is a definite "no" (exit 1), like a revert; a node that cannot be reached, or a receipt
//! that does not come in time, is a network error (exit 4).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256};
use serde_json::{Map, Value, json};

use crate::exit::{ErrorClass, ExitCode};
use crate::kaia::{KaiaError, RawForm, Transaction, TxType, strip_envelope};
use crate::rpc::{JsonRpcError, Receipt, RpcClient, RpcError, revert_reason};
use crate::wire::{
    DERIVED_TX_FIELDS, ENVELOPE_FIELDS, LogRecord, ReceiptRecord, RecordError, SignedTxRecord, check_record,
};

/// How to submit.
#[derive(Debug, Clone)]
pub struct SubmitOptions {
    /// Wait for each receipt (otherwise the record says `pending`).
    pub wait: bool,
    /// How long to wait for a receipt (and its confirmations), counted from the send.
    pub timeout: Duration,
    /// Blocks that must hold or follow the transaction's block (1: in a block).
    pub confirmations: u64,
    /// The longest pause between two receipt polls.
    pub poll: Duration,
}

impl Default for SubmitOptions {
    fn default() -> Self {
        SubmitOptions {
            wait: true,
            timeout: Duration::from_secs(60),
            confirmations: 1,
            poll: Duration::from_secs(1),
        }
    }
}

/// Why one transaction did not end in a receipt.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The input is not a transaction: `raw` missing, not hex, or not decodable. Exit 2.
    #[error("field `raw`: {0}")]
    BadRaw(String),
    /// The input line is neither a record nor a hex string. Exit 2.
    #[error("expected a signed_tx record, a record with `raw`, or a raw transaction in hex; got {0}")]
    NotATransaction(&'static str),
    /// The record is of another kind or wire version. Exit 2.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A field of the record says something else than the transaction's bytes. Exit 2.
    #[error("field `{field}` says {claimed}, but the transaction's bytes say {actual}")]
    Mismatch {
        /// The record's field.
        field: &'static str,
        /// What the record says.
        claimed: String,
        /// What the bytes say.
        actual: String,
    },
    /// A fee-delegated transaction without the fee payer's signature: sign it with
    /// `evlock-sign --role fee-payer` first. Exit 2.
    #[error(
        "{tx_type} {hash} has no fee payer signature (sign it with `evlock-sign --role fee-payer` first)"
    )]
    NotFeePayerSigned {
        /// The transaction type.
        tx_type: &'static str,
        /// The transaction hash so far.
        hash: B256,
    },
    /// The node refused the transaction (invalid signature, nonce too low, insufficient funds,
    /// wrong chain id, …): a definite "no". Exit 1.
    #[error("the node refused transaction {hash}: {error}")]
    Rejected {
        /// The transaction hash.
        hash: B256,
        /// The node's error object.
        error: Box<JsonRpcError>,
    },
    /// The transaction was sent but no receipt (or not enough confirmations) came in time.
    /// It may still be mined: running the same input again waits for it without resending.
    /// Exit 4.
    #[error("no receipt for {hash} within {}{}", humantime::format_duration(*.waited), if *.confirmations > 1 { format!(" ({} confirmations)", .confirmations) } else { String::new() })]
    ReceiptTimeout {
        /// The transaction hash.
        hash: B256,
        /// How long the relay waited.
        waited: Duration,
        /// The confirmations asked for.
        confirmations: u64,
    },
    /// The node could not be reached or answered badly (after fail-over and retries). Exit 4
    /// (2 for a bad client configuration).
    #[error(transparent)]
    Rpc(#[from] RpcError),
}

impl ErrorClass for RelayError {
    fn exit_code(&self) -> ExitCode {
        match self {
            RelayError::BadRaw(_)
            | RelayError::NotATransaction(_)
            | RelayError::Mismatch { .. }
            | RelayError::NotFeePayerSigned { .. } => ExitCode::Usage,
            RelayError::Record(error) => error.exit_code(),
            RelayError::Rejected { .. } => ExitCode::No,
            RelayError::ReceiptTimeout { .. } => ExitCode::Network,
            RelayError::Rpc(error) => error.exit_code(),
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            RelayError::BadRaw(_) => "bad_raw_tx",
            RelayError::NotATransaction(_) => "bad_input",
            RelayError::Record(error) => error.error_code(),
            RelayError::Mismatch { .. } => "record_mismatch",
            RelayError::NotFeePayerSigned { .. } => "missing_fee_payer_signature",
            RelayError::Rejected { .. } => "tx_rejected",
            RelayError::ReceiptTimeout { .. } => "receipt_timeout",
            RelayError::Rpc(error) => error.error_code(),
        }
    }
}

impl From<KaiaError> for RelayError {
    fn from(error: KaiaError) -> Self {
        RelayError::BadRaw(error.to_string())
    }
}

/// The fields of a `signed_tx` record, which a submission reads (and checks against the
/// bytes) or drops: none of them is carried into the receipt.
const SIGNED_TX_FIELDS: &[&str] =
    &["type", "role", "chain_id", "from", "fee_payer", "nonce", "raw", "hash", "sender_tx_hash", "signer"];

/// Names an input record's unknown fields must not have to be carried into a receipt.
const RECEIPT_FIELDS: &[&str] = &[
    "kind",
    "v",
    "hash",
    "status",
    "type",
    "chain_id",
    "from",
    "fee_payer",
    "nonce",
    "to",
    "block_number",
    "block_hash",
    "transaction_index",
    "gas_used",
    "effective_gas_price",
    "contract_address",
    "logs",
    "revert_reason",
    "meta",
];

/// One transaction to submit: its bytes and what they say, and what its input record carries.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The raw bytes to send: the plain form (Kaia's `0x78` envelope taken off).
    pub raw: Vec<u8>,
    /// The decoded transaction.
    pub tx: Transaction,
    /// Its hash (keccak of the plain form).
    pub hash: B256,
    /// The sending account: `from` of a Kaia-native type, the signer of any other.
    pub from: Address,
    /// The input record's `meta`.
    pub meta: Option<Value>,
    /// The input record's fields this tool does not know, carried into the receipt.
    pub extra: Map<String, Value>,
}

impl Submission {
    /// Raw transaction bytes (plain, enveloped, legacy or Kaia-native), with nothing to carry.
    pub fn from_raw(raw: &[u8]) -> Result<Submission, RelayError> {
        if raw.is_empty() {
            return Err(RelayError::BadRaw("empty".into()));
        }
        if let RawForm::Typed(ty) = RawForm::of(raw)
            && ty > 2
        {
            return Err(RelayError::BadRaw(format!(
                "EIP-2718 type 0x{ty:02x} cannot be decoded by this build (legacy, 0x01, 0x02 and Kaia's types can)"
            )));
        }
        let tx = Transaction::decode_raw(raw)?;
        let hash = tx.tx_hash()?;
        let signer = tx.recover_sender()?;
        if tx.tx_type().is_fee_delegated() && !tx.has_fee_payer_signature() {
            return Err(RelayError::NotFeePayerSigned { tx_type: tx.tx_type().name(), hash });
        }
        if tx.tx_type().is_fee_delegated() {
            tx.recover_fee_payer()?;
        }
        let from = tx.from_address().unwrap_or(signer);
        Ok(Submission { raw: strip_envelope(raw).to_vec(), tx, hash, from, meta: None, extra: Map::new() })
    }

    /// One input line's value: a `signed_tx` record, a record with only `raw` (and perhaps
    /// `meta`), or a JSON string of raw hex. A record of another kind is refused; so is one
    /// whose `type`, `chain_id`, `from`, `fee_payer`, `nonce`, `hash`, `sender_tx_hash` or
    /// `signer` disagrees with its bytes.
    pub fn from_input(value: Value) -> Result<Submission, RelayError> {
        let mut record = match value {
            Value::String(text) => return Submission::from_raw(&parse_hex(&text)?),
            Value::Object(record) => record,
            Value::Null => return Err(RelayError::NotATransaction("null")),
            Value::Bool(_) => return Err(RelayError::NotATransaction("a boolean")),
            Value::Number(_) => return Err(RelayError::NotATransaction("a number")),
            Value::Array(_) => return Err(RelayError::NotATransaction("an array")),
        };
        check_record(&record, &["signed_tx"])?;
        let raw = match record.get("raw") {
            Some(Value::String(text)) => parse_hex(text)?,
            Some(other) => return Err(RelayError::BadRaw(format!("expected a 0x-hex string, got {other}"))),
            None => return Err(RelayError::BadRaw("missing: the record has no raw transaction".into())),
        };
        let mut submission = Submission::from_raw(&raw)?;
        submission.check_claims(&record)?;
        submission.meta = record.remove("meta");
        submission.extra = record
            .into_iter()
            .filter(|(key, _)| {
                let key = key.as_str();
                !SIGNED_TX_FIELDS.contains(&key)
                    && !RECEIPT_FIELDS.contains(&key)
                    && !ENVELOPE_FIELDS.contains(&key)
                    && !DERIVED_TX_FIELDS.contains(&key)
            })
            .collect();
        Ok(submission)
    }

    /// A `signed_tx` record as `evlock-sign` writes it (checked like any input).
    pub fn from_signed_tx(record: &SignedTxRecord) -> Result<Submission, RelayError> {
        let mut value = serde_json::to_value(record).map_err(|e| RelayError::BadRaw(e.to_string()))?;
        value["kind"] = json!("signed_tx");
        Submission::from_input(value)
    }

    /// Refuses a record whose fields say something else than the bytes.
    fn check_claims(&self, record: &Map<String, Value>) -> Result<(), RelayError> {
        let claim = |field: &'static str| record.get(field).filter(|v| !v.is_null());
        let mismatch = |field: &'static str, claimed: &Value, actual: String| RelayError::Mismatch {
            field,
            claimed: claimed.as_str().map_or_else(|| claimed.to_string(), str::to_string),
            actual,
        };
        let tx = &self.tx;
        if let Some(claimed) = claim("type") {
            let named = match claimed {
                Value::String(name) => {
                    TxType::from_name(name).or_else(|| name.parse::<u64>().ok().and_then(TxType::from_number))
                }
                Value::Number(n) => n.as_u64().and_then(TxType::from_number),
                _ => None,
            };
            if named != Some(tx.tx_type()) {
                return Err(mismatch("type", claimed, tx.tx_type().name().to_string()));
            }
        }
        let numbers = [("chain_id", tx.chain_id().unwrap_or_default()), ("nonce", tx.nonce())];
        for (field, actual) in numbers {
            if let Some(claimed) = claim(field)
                && number(claimed) != Some(actual)
            {
                return Err(mismatch(field, claimed, actual.to_string()));
            }
        }
        let hashes = [("hash", Some(self.hash)), ("sender_tx_hash", tx.sender_tx_hash().ok())];
        for (field, actual) in hashes {
            if let Some(claimed) = claim(field)
                && claimed.as_str().and_then(|h| h.parse::<B256>().ok()) != actual
            {
                return Err(mismatch(field, claimed, actual.map(|h| h.to_string()).unwrap_or_default()));
            }
        }
        let fee_payer_signer = tx.recover_fee_payer().ok();
        let signer = match record.get("role").and_then(Value::as_str) {
            Some("fee-payer") => fee_payer_signer,
            _ => tx.recover_sender().ok(),
        };
        let addresses = [
            ("from", Some(self.from)),
            ("fee_payer", tx.fee_payer()),
            ("signer", signer.or(fee_payer_signer)),
        ];
        for (field, actual) in addresses {
            if let Some(claimed) = claim(field)
                && claimed.as_str().and_then(|a| crate::wire::parse_address(a).ok()) != actual
            {
                let actual = actual.map_or_else(|| "none".to_string(), |a| a.to_checksum(None));
                return Err(mismatch(field, claimed, actual));
            }
        }
        Ok(())
    }
}

fn parse_hex(text: &str) -> Result<Vec<u8>, RelayError> {
    let text = text.trim();
    let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
    hex::decode(digits).map_err(|e| RelayError::BadRaw(format!("not hex: {e}")))
}

/// A decimal string, a 0x-hex string or a JSON number.
fn number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => match s.strip_prefix("0x") {
            Some(digits) => u64::from_str_radix(digits, 16).ok(),
            None => s.parse().ok(),
        },
        _ => None,
    }
}

/// What a submission tells its watcher (a spinner, a log line). Every method does nothing by
/// default.
pub trait Progress {
    /// The transaction is with the node (`already_known`: it was there before).
    fn sent(&mut self, _hash: &B256, _already_known: bool) {}
    /// Still waiting for the receipt of `hash`.
    fn waiting(&mut self, _hash: &B256, _elapsed: Duration) {}
    /// The wait is over (with or without a receipt).
    fn done(&mut self) {}
}

impl Progress for () {}

/// Submits signed transactions through one client.
pub struct Submitter<'a> {
    client: &'a RpcClient,
    options: SubmitOptions,
}

impl<'a> Submitter<'a> {
    /// A submitter sending through `client`.
    pub fn new(client: &'a RpcClient, options: SubmitOptions) -> Self {
        Submitter { client, options }
    }

    /// The options it was made with.
    pub fn options(&self) -> &SubmitOptions {
        &self.options
    }

    /// Sends one transaction and (with `wait`) waits for its receipt.
    pub fn submit(
        &self,
        submission: Submission,
        progress: &mut dyn Progress,
    ) -> Result<ReceiptRecord, RelayError> {
        let hash = self.send(&submission, progress)?;
        if !self.options.wait {
            return Ok(self.receipt_record(hash, None, submission));
        }
        let receipt = self.wait_for_receipt(hash, progress);
        progress.done();
        Ok(self.receipt_record(hash, Some(receipt?), submission))
    }

    /// Sends a transaction by what its bytes are; returns the hash to follow (the node's).
    pub fn send(&self, submission: &Submission, progress: &mut dyn Progress) -> Result<B256, RelayError> {
        let hash = submission.hash;
        let already_known = match self.client.send_raw_transaction(&submission.raw) {
            Ok(node_hash) => {
                if node_hash != hash {
                    log::warn!("the node names the transaction {node_hash}, not {hash}; following the node");
                }
                progress.sent(&node_hash, false);
                return Ok(node_hash);
            }
            Err(RpcError::Node { error, .. }) if error.is_already_known() => true,
            Err(RpcError::Node { error, .. }) => {
                // Refused, but maybe because the chain has it already (nonce too low after a
                // first run): then this is a resubmission, not a failure.
                match self.client.get_transaction_receipt(hash) {
                    Ok(Some(_)) => true,
                    _ => return Err(RelayError::Rejected { hash, error }),
                }
            }
            Err(other) => return Err(other.into()),
        };
        if already_known {
            log::info!("{hash} is already known to the node; not sending it again");
        }
        progress.sent(&hash, already_known);
        Ok(hash)
    }

    /// One look at the receipt of `hash`: `Some` once it has the confirmations asked for.
    /// `head` is the chain's height (asked of the node when `None` and confirmations are
    /// needed).
    pub fn look(&self, hash: B256, head: Option<u64>) -> Result<Option<Receipt>, RelayError> {
        let Some(receipt) = self.client.get_transaction_receipt(hash)? else {
            return Ok(None);
        };
        if self.options.confirmations <= 1 {
            return Ok(Some(receipt));
        }
        let head = match head {
            Some(head) => head,
            None => self.client.block_number()?,
        };
        if head.saturating_add(1) < receipt.block_number.saturating_add(self.options.confirmations) {
            return Ok(None);
        }
        // Read it again: a reorganisation may have moved it meanwhile.
        match self.client.get_transaction_receipt(hash)? {
            Some(again) if again.block_hash == receipt.block_hash => Ok(Some(again)),
            _ => {
                log::info!("{hash} moved to another block; waiting again");
                Ok(None)
            }
        }
    }

    /// Polls for the receipt of `hash` until it has the confirmations asked for, or the
    /// timeout passes.
    pub fn wait_for_receipt(&self, hash: B256, progress: &mut dyn Progress) -> Result<Receipt, RelayError> {
        let started = Instant::now();
        let deadline = started + self.options.timeout;
        let poll = self.options.poll.max(Duration::from_millis(1));
        let mut pause = Duration::from_millis(25).min(poll);
        loop {
            if let Some(receipt) = self.look(hash, None)? {
                return Ok(receipt);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(self.timeout(hash));
            }
            progress.waiting(&hash, now - started);
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(poll);
        }
    }

    fn timeout(&self, hash: B256) -> RelayError {
        RelayError::ReceiptTimeout {
            hash,
            waited: self.options.timeout,
            confirmations: self.options.confirmations,
        }
    }

    /// Why a reverted transaction reverted, by replaying its call with `eth_call` at its
    /// block (or at the latest block, if the node has no state for that one). `None` when the
    /// replay does not revert, or reverts without a reason.
    pub fn replay_revert_reason(&self, submission: &Submission, block: u64) -> Option<String> {
        let tx = &submission.tx;
        let mut call = Map::new();
        call.insert("from".into(), json!(submission.from.to_checksum(None)));
        if let Some(to) = tx.to().filter(|_| !tx.is_deploy()) {
            call.insert("to".into(), json!(to.to_checksum(None)));
        }
        call.insert("gas".into(), json!(format!("{:#x}", tx.gas())));
        call.insert("value".into(), json!(format!("{:#x}", tx.value())));
        call.insert("data".into(), json!(format!("0x{}", hex::encode(tx.input()))));
        let call = Value::Object(call);
        let mut answer = self.client.eth_call(&call, &format!("{block:#x}"));
        if let Err(error) = &answer
            && error.node_error().is_some_and(|e| !is_revert(e))
        {
            log::debug!("replaying {} at block {block}: {error}; trying the latest block", submission.hash);
            answer = self.client.eth_call(&call, "latest");
        }
        match answer {
            Ok(_) => {
                log::debug!("the replay of {} does not revert (the state moved on)", submission.hash);
                None
            }
            Err(error) => error.node_error().filter(|e| is_revert(e)).and_then(revert_text),
        }
    }

    /// The receipt record for `hash`: the bytes' facts, and the node's receipt (`pending`
    /// without one).
    pub fn receipt_record(
        &self,
        hash: B256,
        receipt: Option<Receipt>,
        submission: Submission,
    ) -> ReceiptRecord {
        let reason = match &receipt {
            Some(r) if !r.success && r.revert_reason.is_none() => {
                self.replay_revert_reason(&submission, r.block_number)
            }
            _ => None,
        };
        let mut record = receipt_record(hash, receipt, submission);
        if record.revert_reason.is_none() {
            record.revert_reason = reason;
        }
        record
    }
}

/// Whether a node's error answer to `eth_call` is the call reverting (rather than, say, a
/// block it has no state for).
fn is_revert(error: &JsonRpcError) -> bool {
    error.code == 3
        || error.data.as_ref().and_then(Value::as_str).is_some_and(|d| d.len() > 2)
        || error.message.to_ascii_lowercase().contains("revert")
}

/// The reason in a revert answer: the ABI-decoded `data`, else the text after the node's
/// "execution reverted: ".
fn revert_text(error: &JsonRpcError) -> Option<String> {
    let data = error
        .data
        .as_ref()
        .and_then(Value::as_str)
        .and_then(|d| hex::decode(d.trim_start_matches("0x")).ok());
    if let Some(reason) = data.as_deref().and_then(revert_reason) {
        return Some(reason);
    }
    let message = error.message.as_str();
    let at = message.to_ascii_lowercase().find("reverted: ")?;
    Some(message[at + "reverted: ".len()..].trim().to_string()).filter(|r| !r.is_empty())
}

/// The receipt record for `hash`: the transaction's facts from its bytes, the rest from the
/// node's receipt, or `pending` without one.
pub fn receipt_record(hash: B256, receipt: Option<Receipt>, submission: Submission) -> ReceiptRecord {
    let decimal = |n: u64| n.to_string();
    let tx = &submission.tx;
    let mut out = ReceiptRecord {
        hash: hash.to_string(),
        status: "pending".into(),
        tx_type: Some(tx.tx_type().name().to_string()),
        chain_id: tx.chain_id().map(decimal),
        from: Some(submission.from.to_checksum(None)),
        fee_payer: tx.fee_payer().map(|a| a.to_checksum(None)),
        nonce: Some(decimal(tx.nonce())),
        to: tx.to().filter(|_| !tx.is_deploy()).map(|a| a.to_checksum(None)),
        block_number: None,
        block_hash: None,
        transaction_index: None,
        gas_used: None,
        effective_gas_price: None,
        contract_address: None,
        logs: None,
        revert_reason: None,
        meta: submission.meta,
        extra: submission.extra,
    };
    if let Some(receipt) = receipt {
        out.status = if receipt.success { "success" } else { "reverted" }.into();
        if let Some(from) = receipt.from
            && from != submission.from
        {
            log::warn!("the node says {hash} is from {from}; its bytes say {}", submission.from);
        }
        out.to = receipt.to.map(|a| a.to_checksum(None));
        out.block_number = Some(decimal(receipt.block_number));
        out.block_hash = Some(receipt.block_hash.to_string());
        out.transaction_index = receipt.transaction_index.map(decimal);
        out.gas_used = Some(decimal(receipt.gas_used));
        out.effective_gas_price = receipt.effective_gas_price.map(|p| p.to_string());
        out.contract_address = receipt.contract_address.map(|a| a.to_checksum(None));
        out.logs = Some(
            receipt
                .logs
                .into_iter()
                .map(|log| LogRecord {
                    address: log.address.to_checksum(None),
                    topics: log.topics.iter().map(ToString::to_string).collect(),
                    data: format!("0x{}", hex::encode(&log.data)),
                    log_index: log.log_index.map(decimal),
                })
                .collect(),
        );
        out.revert_reason = receipt.revert_reason;
    }
    out
}

/// A transaction sent and not yet done with.
struct InFlight {
    /// The caller's tag (the input line).
    tag: u64,
    submission: Submission,
    hash: B256,
    sent: Instant,
    result: Option<Result<Receipt, RelayError>>,
}

/// A stream's transactions in flight: sent as they come ([`Pipeline::send`]), their receipts
/// collected together ([`Pipeline::collect`]), the results handed back in the order they
/// were sent.
pub struct Pipeline<'s, 'a> {
    submitter: &'s Submitter<'a>,
    in_flight: VecDeque<InFlight>,
    pause: Duration,
}

/// What became of one transaction of a [`Pipeline`].
pub struct Outcome {
    /// The tag it was sent with.
    pub tag: u64,
    /// Its receipt record, or why there is none.
    pub result: Result<ReceiptRecord, RelayError>,
    /// The input record's `meta` (for an error record).
    pub meta: Option<Value>,
}

impl<'s, 'a> Pipeline<'s, 'a> {
    /// An empty pipeline sending through `submitter`.
    pub fn new(submitter: &'s Submitter<'a>) -> Self {
        Pipeline { submitter, in_flight: VecDeque::new(), pause: Duration::from_millis(25) }
    }

    /// Whether nothing is in flight.
    pub fn is_empty(&self) -> bool {
        self.in_flight.is_empty()
    }

    /// How many are in flight.
    pub fn len(&self) -> usize {
        self.in_flight.len()
    }

    /// How long to wait for more input before the next [`Pipeline::collect`]: 25 ms after a
    /// send, doubling up to the poll interval while nothing comes in.
    pub fn pause(&self) -> Duration {
        self.pause
    }

    /// Sends one transaction and keeps it for collection under `tag`. A refusal is returned
    /// at once (the transaction is then not kept).
    pub fn send(
        &mut self,
        tag: u64,
        submission: Submission,
        progress: &mut dyn Progress,
    ) -> Result<(), RelayError> {
        let hash = self.submitter.send(&submission, progress)?;
        self.track(tag, submission, hash);
        Ok(())
    }

    /// Keeps a transaction sent already (as `hash`) for collection under `tag`.
    pub fn track(&mut self, tag: u64, submission: Submission, hash: B256) {
        self.in_flight.push_back(InFlight { tag, submission, hash, sent: Instant::now(), result: None });
        self.pause = Duration::from_millis(25).min(self.submitter.options.poll);
    }

    /// One round of receipt polls for everything in flight; returns the finished ones at the
    /// front, in the order they were sent. One that waited longer than the timeout ends in
    /// [`RelayError::ReceiptTimeout`].
    pub fn collect(&mut self) -> Result<Vec<Outcome>, RelayError> {
        let submitter = self.submitter;
        let head = match submitter.options.confirmations {
            0 | 1 => None,
            _ if self.in_flight.iter().all(|f| f.result.is_some()) => None,
            _ => Some(submitter.client.block_number()?),
        };
        let mut progressed = false;
        for flight in self.in_flight.iter_mut().filter(|f| f.result.is_none()) {
            match submitter.look(flight.hash, head) {
                Ok(Some(receipt)) => flight.result = Some(Ok(receipt)),
                Ok(None) if flight.sent.elapsed() >= submitter.options.timeout => {
                    flight.result = Some(Err(submitter.timeout(flight.hash)));
                }
                Ok(None) => continue,
                // A node that cannot be reached fails the whole stream, as a single wait does.
                Err(RelayError::Rpc(error)) => return Err(RelayError::Rpc(error)),
                Err(other) => flight.result = Some(Err(other)),
            }
            progressed = true;
        }
        if !progressed {
            self.pause = (self.pause * 2).min(submitter.options.poll.max(Duration::from_millis(1)));
        }
        let mut done = Vec::new();
        while self.in_flight.front().is_some_and(|f| f.result.is_some()) {
            let flight = self.in_flight.pop_front().expect("checked above");
            let meta = flight.submission.meta.clone();
            let result = match flight.result.expect("checked above") {
                Ok(receipt) => Ok(submitter.receipt_record(flight.hash, Some(receipt), flight.submission)),
                Err(error) => Err(error),
            };
            done.push(Outcome { tag: flight.tag, result, meta });
        }
        Ok(done)
    }
}
