//! JSON-RPC error objects and the node answers the tools read (receipts, logs), with the
//! 0x-hex quantity parsing they need.

use std::fmt;

use alloy_primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A JSON-RPC 2.0 error object: what a node answers instead of a result, and what an
/// [`crate::rpc::RpcHandler`] returns to refuse a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonRpcError {
    /// The error code (-32700 parse error, -32600 invalid request, -32601 method not found,
    /// -32602 invalid params, -32603 internal error, -32000… server-defined).
    pub code: i64,
    /// A short description, as the node wrote it.
    pub message: String,
    /// Extra data (for reverts: often the ABI-encoded revert reason).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub data: Option<Value>,
}

impl JsonRpcError {
    /// Invalid JSON was received.
    pub const PARSE_ERROR: i64 = -32700;
    /// The JSON is not a valid request object.
    pub const INVALID_REQUEST: i64 = -32600;
    /// The method does not exist.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// Invalid method parameters.
    pub const INVALID_PARAMS: i64 = -32602;
    /// Internal error (a handler that panicked, among others).
    pub const INTERNAL_ERROR: i64 = -32603;
    /// The usual code of a node refusing a transaction or a call (Kaia, geth).
    pub const SERVER_ERROR: i64 = -32000;

    /// An error object with a code and a message.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        JsonRpcError { code, message: message.into(), data: None }
    }

    /// Adds `data`.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// -32601 for `method`.
    pub fn method_not_found(method: &str) -> Self {
        JsonRpcError::new(
            Self::METHOD_NOT_FOUND,
            format!("the method {method} does not exist/is not available"),
        )
    }

    /// -32602 with a message.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        JsonRpcError::new(Self::INVALID_PARAMS, message)
    }

    /// Whether a node said that it already has this transaction: a resubmission, not a failure.
    /// Matches the messages of Kaia ("known transaction"), geth ("already known"), and the
    /// `AlreadyKnown`/`already imported` spellings of other nodes.
    pub fn is_already_known(&self) -> bool {
        let message = self.message.to_ascii_lowercase();
        ["known transaction", "already known", "alreadyknown", "already imported", "already in the pool"]
            .iter()
            .any(|needle| message.contains(needle))
    }
}

impl fmt::Display for JsonRpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {}", self.message, self.code)?;
        match &self.data {
            Some(Value::String(data)) => write!(f, ", data {data})"),
            Some(Value::Null) | None => write!(f, ")"),
            Some(data) => write!(f, ", data {data})"),
        }
    }
}

impl std::error::Error for JsonRpcError {}

/// An event log from a receipt or from `eth_getLogs`.
#[derive(Debug, Clone, PartialEq)]
pub struct Log {
    /// The contract that emitted it.
    pub address: Address,
    /// The indexed topics (the first is the event signature's hash).
    pub topics: Vec<B256>,
    /// The non-indexed data.
    pub data: Vec<u8>,
    /// The block it is in, when the node says.
    pub block_number: Option<u64>,
    /// The transaction that emitted it, when the node says.
    pub transaction_hash: Option<B256>,
    /// Its index in the block, when the node says.
    pub log_index: Option<u64>,
    /// Whether a reorganisation removed it.
    pub removed: bool,
}

/// A transaction receipt (`eth_getTransactionReceipt`), parsed from the node's JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// The transaction hash.
    pub transaction_hash: B256,
    /// Whether execution succeeded (`status` 0x1).
    pub success: bool,
    /// The block the transaction is in.
    pub block_number: u64,
    /// That block's hash.
    pub block_hash: B256,
    /// The transaction's index in the block.
    pub transaction_index: Option<u64>,
    /// The sender.
    pub from: Option<Address>,
    /// The recipient (none for deployments).
    pub to: Option<Address>,
    /// The gas the transaction used.
    pub gas_used: u64,
    /// The price per gas actually paid, in peb.
    pub effective_gas_price: Option<U256>,
    /// The deployed contract, for deployments.
    pub contract_address: Option<Address>,
    /// The events the transaction emitted.
    pub logs: Vec<Log>,
    /// Why the transaction reverted, when the node says (a `revertReason` field, decoded when
    /// it is ABI-encoded, or Kaia's `txError` code).
    pub revert_reason: Option<String>,
}

/// Why a node's answer could not be read.
pub(crate) type ParseResult<T> = Result<T, String>;

/// A 0x-hex quantity as u64.
pub(crate) fn quantity_u64(value: &Value, what: &str) -> ParseResult<u64> {
    let text = value.as_str().ok_or_else(|| format!("{what}: expected a 0x-hex quantity, got {value}"))?;
    let digits = text.strip_prefix("0x").ok_or_else(|| format!("{what}: {text:?} has no 0x prefix"))?;
    if digits.is_empty() || digits.len() > 16 {
        return Err(format!("{what}: {text:?} is not a 64-bit quantity"));
    }
    u64::from_str_radix(digits, 16).map_err(|_| format!("{what}: {text:?} is not hex"))
}

/// A 0x-hex quantity as U256.
pub(crate) fn quantity_u256(value: &Value, what: &str) -> ParseResult<U256> {
    let text = value.as_str().ok_or_else(|| format!("{what}: expected a 0x-hex quantity, got {value}"))?;
    let digits = text.strip_prefix("0x").ok_or_else(|| format!("{what}: {text:?} has no 0x prefix"))?;
    if digits.is_empty() {
        return Err(format!("{what}: {text:?} is empty"));
    }
    U256::from_str_radix(digits, 16).map_err(|_| format!("{what}: {text:?} is not a 256-bit hex quantity"))
}

/// 0x-hex bytes.
pub(crate) fn hex_bytes(value: &Value, what: &str) -> ParseResult<Vec<u8>> {
    let text = value.as_str().ok_or_else(|| format!("{what}: expected 0x-hex bytes, got {value}"))?;
    let digits = text.strip_prefix("0x").ok_or_else(|| format!("{what}: {text:?} has no 0x prefix"))?;
    hex::decode(digits).map_err(|e| format!("{what}: {e}"))
}

pub(crate) fn hash(value: &Value, what: &str) -> ParseResult<B256> {
    let bytes = hex_bytes(value, what)?;
    if bytes.len() != 32 {
        return Err(format!("{what}: expected 32 bytes, got {}", bytes.len()));
    }
    Ok(B256::from_slice(&bytes))
}

fn address(value: &Value, what: &str) -> ParseResult<Address> {
    let bytes = hex_bytes(value, what)?;
    if bytes.len() != 20 {
        return Err(format!("{what}: expected 20 bytes, got {}", bytes.len()));
    }
    Ok(Address::from_slice(&bytes))
}

fn optional<T>(
    object: &Value,
    key: &str,
    parse: impl Fn(&Value, &str) -> ParseResult<T>,
) -> ParseResult<Option<T>> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => parse(value, key).map(Some),
    }
}

fn required<T>(object: &Value, key: &str, parse: impl Fn(&Value, &str) -> ParseResult<T>) -> ParseResult<T> {
    optional(object, key, parse)?.ok_or_else(|| format!("the node's answer has no {key}"))
}

impl Log {
    /// Reads a log object of the node's JSON.
    pub fn from_json(value: &Value) -> Result<Log, String> {
        if !value.is_object() {
            return Err(format!("a log is not an object: {value}"));
        }
        let topics = match value.get("topics") {
            Some(Value::Array(items)) => {
                items.iter().map(|t| hash(t, "topics")).collect::<ParseResult<_>>()?
            }
            None | Some(Value::Null) => Vec::new(),
            Some(other) => return Err(format!("topics: not an array: {other}")),
        };
        Ok(Log {
            address: required(value, "address", address)?,
            topics,
            data: optional(value, "data", hex_bytes)?.unwrap_or_default(),
            block_number: optional(value, "blockNumber", quantity_u64)?,
            transaction_hash: optional(value, "transactionHash", hash)?,
            log_index: optional(value, "logIndex", quantity_u64)?,
            removed: value.get("removed").and_then(Value::as_bool).unwrap_or(false),
        })
    }
}

impl Receipt {
    /// Reads a receipt object of the node's JSON (Ethereum shape, as Kaia's `eth_` namespace
    /// answers it).
    pub fn from_json(value: &Value) -> Result<Receipt, String> {
        if !value.is_object() {
            return Err(format!("a receipt is not an object: {value}"));
        }
        let logs = match value.get("logs") {
            Some(Value::Array(items)) => items.iter().map(Log::from_json).collect::<ParseResult<_>>()?,
            None | Some(Value::Null) => Vec::new(),
            Some(other) => return Err(format!("logs: not an array: {other}")),
        };
        let success = match value.get("status") {
            Some(status) => quantity_u64(status, "status")? == 1,
            None => return Err("the receipt has no status".into()),
        };
        let revert_reason = match value.get("revertReason") {
            Some(Value::String(reason)) if !reason.is_empty() && reason != "0x" => {
                Some(revert_reason_text(reason))
            }
            _ => match value.get("txError") {
                Some(Value::String(code)) if !success => Some(format!("Kaia txError {code}")),
                _ => None,
            },
        };
        Ok(Receipt {
            transaction_hash: required(value, "transactionHash", hash)?,
            success,
            block_number: required(value, "blockNumber", quantity_u64)?,
            block_hash: required(value, "blockHash", hash)?,
            transaction_index: optional(value, "transactionIndex", quantity_u64)?,
            from: optional(value, "from", address)?,
            to: optional(value, "to", address)?,
            gas_used: required(value, "gasUsed", quantity_u64)?,
            effective_gas_price: optional(value, "effectiveGasPrice", quantity_u256)?,
            contract_address: optional(value, "contractAddress", address)?,
            logs,
            revert_reason: if success { None } else { revert_reason },
        })
    }
}

fn revert_reason_text(text: &str) -> String {
    match text.strip_prefix("0x").and_then(|digits| hex::decode(digits).ok()) {
        Some(bytes) => revert_reason(&bytes).unwrap_or_else(|| text.to_string()),
        None => text.to_string(),
    }
}

/// Decodes ABI revert data: `Error(string)` to its message, `Panic(uint256)` to
/// `panic 0x11 (arithmetic overflow)` and the like. `None` for anything else (empty data, or
/// custom errors, which stay as hex with the caller). The one revert decoder of the crate:
/// receipts, `eth_call` errors and the devnet all use it.
pub fn revert_reason(data: &[u8]) -> Option<String> {
    const ERROR_STRING: [u8; 4] = [0x08, 0xc3, 0x79, 0xa0];
    const PANIC_UINT: [u8; 4] = [0x4e, 0x48, 0x7b, 0x71];
    let (selector, body) = (data.get(..4)?, data.get(4..)?);
    if selector == ERROR_STRING {
        let offset = usize::try_from(U256::from_be_slice(body.get(..32)?)).ok()?;
        let length_end = offset.checked_add(32)?;
        let length = usize::try_from(U256::from_be_slice(body.get(offset..length_end)?)).ok()?;
        let text = body.get(length_end..length_end.checked_add(length)?)?;
        return Some(String::from_utf8_lossy(text).into_owned());
    }
    if selector == PANIC_UINT {
        let code = U256::from_be_slice(body.get(..32)?);
        let what = match code.to::<u64>() {
            0x01 => "assertion failed",
            0x11 => "arithmetic overflow or underflow",
            0x12 => "division or modulo by zero",
            0x21 => "invalid enum value",
            0x22 => "invalid storage byte array",
            0x31 => "pop on an empty array",
            0x32 => "array index out of bounds",
            0x41 => "out of memory",
            0x51 => "call to a zero-initialized function",
            _ => "unknown panic code",
        };
        return Some(format!("panic 0x{code:x} ({what})"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities() {
        assert_eq!(quantity_u64(&json!("0x0"), "n").unwrap(), 0);
        assert_eq!(quantity_u64(&json!("0x7a69"), "n").unwrap(), 31337);
        assert!(quantity_u64(&json!("7a69"), "n").is_err());
        assert!(quantity_u64(&json!("0x"), "n").is_err());
        assert!(quantity_u64(&json!(5), "n").is_err());
        assert!(quantity_u64(&json!("0x10000000000000000"), "n").is_err());
        assert_eq!(quantity_u256(&json!("0x5d21dba000"), "p").unwrap(), U256::from(400_000_000_000u64));
    }

    #[test]
    fn revert_reasons() {
        // Error("not enough escrow")
        let data = hex::decode(concat!(
            "08c379a0",
            "0000000000000000000000000000000000000000000000000000000000000020",
            "0000000000000000000000000000000000000000000000000000000000000011",
            "6e6f7420656e6f75676820657363726f77000000000000000000000000000000"
        ))
        .unwrap();
        assert_eq!(revert_reason(&data).as_deref(), Some("not enough escrow"));
        let panic =
            hex::decode("4e487b710000000000000000000000000000000000000000000000000000000000000011").unwrap();
        assert_eq!(revert_reason(&panic).as_deref(), Some("panic 0x11 (arithmetic overflow or underflow)"));
        assert_eq!(revert_reason(&[0xde, 0xad, 0xbe, 0xef]), None);
        assert_eq!(revert_reason(&data[..40]), None, "truncated data is not decoded");
    }

    #[test]
    fn receipt_from_node_json() {
        let receipt = Receipt::from_json(&json!({
            "transactionHash": format!("0x{}", "11".repeat(32)),
            "status": "0x0",
            "blockNumber": "0x2a",
            "blockHash": format!("0x{}", "22".repeat(32)),
            "transactionIndex": "0x0",
            "from": "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b",
            "to": null,
            "gasUsed": "0x5208",
            "effectiveGasPrice": "0x5d21dba00",
            "contractAddress": "0x7b65b75d204abed71587c9e519a89277766ee1d0",
            "logs": [{"address": "0x7b65b75d204abed71587c9e519a89277766ee1d0",
                      "topics": [format!("0x{}", "33".repeat(32))], "data": "0x01", "logIndex": "0x3"}],
            "revertReason": "not yours"
        }))
        .unwrap();
        assert!(!receipt.success);
        assert_eq!(receipt.block_number, 42);
        assert_eq!(receipt.gas_used, 21000);
        assert_eq!(receipt.to, None);
        assert_eq!(receipt.logs[0].log_index, Some(3));
        assert_eq!(receipt.revert_reason.as_deref(), Some("not yours"));
        assert!(Receipt::from_json(&json!({"status": "0x1"})).is_err());
    }

    #[test]
    fn already_known_spellings() {
        for message in
            ["known transaction: 1234", "already known", "AlreadyKnown", "Transaction already imported"]
        {
            assert!(JsonRpcError::new(-32000, message).is_already_known(), "{message}");
        }
        assert!(!JsonRpcError::new(-32000, "nonce too low").is_already_known());
    }
}
