//! Submitting signed transactions to a Kaia node and waiting for their receipts
//! (`evlock-relay submit`).
//!
//! For each `signed_tx` record the [`Submitter`]:
//! 1. decodes the raw transaction (a fee-delegated one must carry the fee payer's signature)
//!    and computes its hash;
//! 2. sends it with `kaia_sendRawTransaction` (Kaia-native types) or `eth_sendRawTransaction`
//!    (legacy and 0x78-enveloped Ethereum types);
//! 3. treats "already known" answers as sent, and so does any refusal of a transaction the
//!    chain already holds (a receipt exists for its hash): running the same input twice never
//!    sends twice and never fails for that;
//! 4. waits (unless told not to) for the receipt by polling `eth_getTransactionReceipt`,
//!    every 25 ms at first and then less often, up to the poll interval, and for the number
//!    of confirmations asked;
//! 5. returns a [`ReceiptRecord`] with the record's `meta` and unknown fields carried.
//!
//! What each failure means for the tool's exit code is [`RelayError`]'s business: a node
//! refusing a transaction (bad signature, nonce too low, insufficient funds, wrong chain id)
//! is a definite "no" (exit 1), like a revert; a node that cannot be reached, or a receipt
//! that does not come in time, is a network error (exit 4).

use std::time::{Duration, Instant};

use alloy_primitives::B256;

use crate::exit::{ErrorClass, ExitCode};
use crate::kaia::Transaction;
use crate::rpc::{JsonRpcError, Receipt, RpcClient, RpcError};
use crate::wire::{LogRecord, ReceiptRecord, SignedTxRecord};

/// How to submit.
#[derive(Debug, Clone)]
pub struct SubmitOptions {
    /// Wait for each receipt (otherwise the record says `pending`).
    pub wait: bool,
    /// How long to wait for a receipt (and its confirmations).
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
    /// The `raw` field is not a transaction (not hex, or not decodable and without a usable
    /// `hash`). Exit 2.
    #[error("field `raw`: {0}")]
    BadRaw(String),
    /// A fee-delegated transaction without the fee payer's signature: sign it with
    /// `evlock-sign --role fee-payer` first. Exit 2.
    #[error(
        "{tx_type} {hash} has no fee payer signature (sign it with `evlock-sign --role fee-payer` first)"
    )]
    NotFeePayerSigned {
        /// The transaction type.
        tx_type: String,
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
            RelayError::BadRaw(_) | RelayError::NotFeePayerSigned { .. } => ExitCode::Usage,
            RelayError::Rejected { .. } => ExitCode::No,
            RelayError::ReceiptTimeout { .. } => ExitCode::Network,
            RelayError::Rpc(error) => error.exit_code(),
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            RelayError::BadRaw(_) => "bad_raw_tx",
            RelayError::NotFeePayerSigned { .. } => "missing_fee_payer_signature",
            RelayError::Rejected { .. } => "tx_rejected",
            RelayError::ReceiptTimeout { .. } => "receipt_timeout",
            RelayError::Rpc(error) => error.error_code(),
        }
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

    /// Sends one signed transaction and (with `wait`) waits for its receipt.
    pub fn submit(
        &self,
        record: SignedTxRecord,
        progress: &mut dyn Progress,
    ) -> Result<ReceiptRecord, RelayError> {
        let digits = record.raw.trim().strip_prefix("0x").unwrap_or(record.raw.trim());
        let raw = hex::decode(digits).map_err(|e| RelayError::BadRaw(format!("not hex: {e}")))?;
        if raw.is_empty() {
            return Err(RelayError::BadRaw("empty".into()));
        }
        let hash = match Transaction::decode_raw(&raw) {
            Ok(tx) => {
                let hash = tx.tx_hash().map_err(|e| RelayError::BadRaw(e.to_string()))?;
                if tx.tx_type().is_fee_delegated() && !tx.has_fee_payer_signature() {
                    return Err(RelayError::NotFeePayerSigned { tx_type: record.tx_type.clone(), hash });
                }
                hash
            }
            Err(error) => {
                // A type this build cannot decode may still be one the node knows: trust the
                // record's hash, and let the node judge the bytes.
                log::warn!("cannot decode the raw transaction ({error}); using the record's hash");
                record
                    .hash
                    .parse::<B256>()
                    .map_err(|_| RelayError::BadRaw(format!("{error}, and no usable hash")))?
            }
        };

        let already_known = match self.client.send_raw_transaction(&raw) {
            Ok(node_hash) => {
                if node_hash != hash {
                    log::warn!("the node names the transaction {node_hash}, not {hash}; following the node");
                }
                progress.sent(&node_hash, false);
                return self.finish(node_hash, record, progress);
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
        self.finish(hash, record, progress)
    }

    fn finish(
        &self,
        hash: B256,
        record: SignedTxRecord,
        progress: &mut dyn Progress,
    ) -> Result<ReceiptRecord, RelayError> {
        if !self.options.wait {
            return Ok(receipt_record(hash, None, record));
        }
        let receipt = self.wait_for_receipt(hash, progress);
        progress.done();
        Ok(receipt_record(hash, Some(receipt?), record))
    }

    /// Polls for the receipt of `hash` until it has the confirmations asked for, or the
    /// timeout passes.
    pub fn wait_for_receipt(&self, hash: B256, progress: &mut dyn Progress) -> Result<Receipt, RelayError> {
        let started = Instant::now();
        let deadline = started + self.options.timeout;
        let poll = self.options.poll.max(Duration::from_millis(1));
        let mut pause = Duration::from_millis(25).min(poll);
        loop {
            if let Some(receipt) = self.client.get_transaction_receipt(hash)? {
                if self.options.confirmations <= 1 {
                    return Ok(receipt);
                }
                let head = self.client.block_number()?;
                if head.saturating_add(1) >= receipt.block_number.saturating_add(self.options.confirmations) {
                    // Read it again: a reorganisation may have moved it meanwhile.
                    match self.client.get_transaction_receipt(hash)? {
                        Some(again) if again.block_hash == receipt.block_hash => return Ok(again),
                        _ => log::info!("{hash} moved to another block; waiting again"),
                    }
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(RelayError::ReceiptTimeout {
                    hash,
                    waited: self.options.timeout,
                    confirmations: self.options.confirmations,
                });
            }
            progress.waiting(&hash, now - started);
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(poll);
        }
    }
}

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

/// The receipt record for `hash`: from the node's receipt, or `pending` without one.
pub fn receipt_record(hash: B256, receipt: Option<Receipt>, mut record: SignedTxRecord) -> ReceiptRecord {
    let decimal = |n: u64| n.to_string();
    // The envelope and the receipt's own fields are written by the receipt, not carried.
    for key in RECEIPT_FIELDS {
        record.extra.remove(*key);
    }
    let mut out = ReceiptRecord {
        hash: hash.to_string(),
        status: "pending".into(),
        tx_type: Some(record.tx_type),
        chain_id: Some(record.chain_id),
        from: Some(record.from),
        fee_payer: record.fee_payer,
        nonce: Some(record.nonce),
        to: None,
        block_number: None,
        block_hash: None,
        transaction_index: None,
        gas_used: None,
        effective_gas_price: None,
        contract_address: None,
        logs: None,
        revert_reason: None,
        meta: record.meta,
        extra: record.extra,
    };
    if let Some(receipt) = receipt {
        out.status = if receipt.success { "success" } else { "reverted" }.into();
        if let Some(from) = receipt.from {
            out.from = Some(from.to_checksum(None));
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
