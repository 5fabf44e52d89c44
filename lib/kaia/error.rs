//! The single error type of the Kaia transaction module.

use thiserror::Error;

/// Everything that can go wrong while building, encoding, decoding, signing
/// or (de)serializing a Kaia transaction.
///
/// Messages always name the offending field (or the part of the raw
/// encoding) and say what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KaiaError {
    /// The raw transaction bytes were empty.
    #[error("raw transaction: empty input")]
    EmptyInput,

    /// The RLP structure itself is malformed (bad header, length prefix with
    /// leading zeros, long form used for a short item, ...).
    #[error("raw transaction: malformed RLP in {context}: {detail}")]
    Rlp {
        /// Which part of the transaction was being read.
        context: &'static str,
        /// What the RLP decoder complained about.
        detail: String,
    },

    /// An RLP item claims more bytes than are available.
    #[error("raw transaction: {context} is truncated (needs {needed} bytes, {available} available)")]
    Truncated {
        /// Which part of the transaction was being read.
        context: &'static str,
        /// Bytes the item header announces.
        needed: usize,
        /// Bytes actually present.
        available: usize,
    },

    /// Bytes remain after the end of the transaction's RLP list.
    #[error("raw transaction: {extra} trailing byte(s) after the end of the transaction")]
    TrailingBytes {
        /// Number of unexpected bytes.
        extra: usize,
    },

    /// The first byte is not a transaction type this module knows.
    #[error("raw transaction: unknown type byte 0x{0:02x}")]
    UnknownTypeByte(u8),

    /// The byte after the `0x78` Ethereum envelope is not 0x01 or 0x02.
    #[error("raw transaction: unknown Ethereum transaction type 0x{0:02x} after the 0x78 envelope")]
    UnknownEthereumType(u8),

    /// A list (the transaction, a signature, an access-list entry, ...) has
    /// the wrong number of items.
    #[error("raw transaction: {what} has {got} items, expected {expected}")]
    ListLength {
        /// Which list.
        what: &'static str,
        /// Items required by the transaction type.
        expected: usize,
        /// Items found.
        got: usize,
    },

    /// An item is a list where a byte string was expected, or vice versa.
    #[error("raw transaction: field `{field}` must be {expected}")]
    UnexpectedShape {
        /// Field name.
        field: &'static str,
        /// "a byte string" or "a list".
        expected: &'static str,
    },

    /// An integer is encoded with leading zero bytes (or as `0x00`).
    #[error("raw transaction: field `{field}` is not a canonical integer (leading zero bytes)")]
    NonCanonicalInt {
        /// Field name.
        field: &'static str,
    },

    /// A single byte below 0x80 was wrapped in a string header (`0x81 0x05`).
    #[error("raw transaction: field `{field}` uses a non-canonical RLP encoding of a single byte")]
    NonCanonicalByte {
        /// Field name.
        field: &'static str,
    },

    /// A number does not fit the field's width.
    #[error("field `{field}`: number exceeds {bits} bits")]
    NumberTooLarge {
        /// Field name.
        field: String,
        /// Maximum width of the field.
        bits: u32,
    },

    /// A fixed-size byte field (address, hash, public key) has the wrong length.
    #[error("field `{field}`: expected {expected} bytes, got {got}")]
    WrongLength {
        /// Field name.
        field: String,
        /// Required length.
        expected: usize,
        /// Length found.
        got: usize,
    },

    /// A boolean is not encoded as 0x80 (false) or 0x01 (true).
    #[error(
        "raw transaction: field `{field}`: invalid boolean 0x{got}, expected 0x80 (false) or 0x01 (true)"
    )]
    InvalidBool {
        /// Field name.
        field: &'static str,
        /// Hex of the payload found.
        got: String,
    },

    /// The fee payer's ratio is outside 1..=99.
    #[error("fee_ratio must be 1..=99, got {0}")]
    InvalidFeeRatio(u64),

    /// A signature V value does not fit the transaction type / chain id.
    #[error("field `{field}`: V = {v} is invalid, expected {expected}")]
    InvalidV {
        /// Which signature field.
        field: &'static str,
        /// V found.
        v: u64,
        /// What was allowed.
        expected: String,
    },

    /// A Kaia transaction carries no sender signature, so its chain id
    /// (which lives only in V) cannot be known.
    #[error("raw transaction: `txSignatures` is empty, so the chain id cannot be derived")]
    NoChainId,

    /// The operation needs a sender signature and there is none.
    #[error("transaction has no sender signature")]
    MissingSenderSignature,

    /// The operation needs a fee payer signature and there is none (or only
    /// the `[1, 0, 0]` placeholder).
    #[error("transaction has no fee payer signature")]
    MissingFeePayerSignature,

    /// A fee-payer operation was requested on a type without fee delegation.
    #[error("transaction type `{0}` is not fee-delegated (it has no fee payer)")]
    NotFeeDelegated(&'static str),

    /// The chain id is so large that `chain_id * 2 + 36` overflows a u64.
    #[error("field `chain_id`: {0} is too large to be encoded in a signature V")]
    ChainIdTooLarge(u64),

    /// ECDSA: the signature is out of range, has a high S, or recovery failed.
    #[error("invalid signature: {0}")]
    InvalidSignature(String),

    /// An account key (AccountUpdate) is malformed or of an unsupported type.
    #[error("account key: {0}")]
    AccountKey(String),

    /// An account key breaks one of Kaia's rules (the rule is named as Kaia names it).
    #[error("field `{field}`: {rule}")]
    KeyRule {
        /// Where in the record (`key`, `key.roles[1]`).
        field: String,
        /// The rule.
        rule: crate::kaia::KeyRule,
    },

    /// A JSON field has a bad value.
    #[error("field `{field}`: {reason}")]
    Field {
        /// Field name as written in the record.
        field: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A JSON field required by the transaction type is missing.
    #[error("field `{field}` is required for type `{ty}`")]
    MissingField {
        /// Field name.
        field: &'static str,
        /// Snake-case type name.
        ty: &'static str,
    },

    /// The `type` of a JSON record is not a known transaction type; the message lists the
    /// names that are.
    #[error("field `type`: unknown transaction type {0} (the types: {names})", names = super::TxType::names())]
    UnknownTypeName(String),

    /// The JSON text itself could not be parsed.
    #[error("invalid JSON: {0}")]
    Json(String),
}

impl crate::exit::ErrorClass for KaiaError {
    /// Every Kaia error is about the input: a malformed record or raw transaction (exit 2).
    fn exit_code(&self) -> crate::exit::ExitCode {
        crate::exit::ExitCode::Usage
    }

    fn error_code(&self) -> &'static str {
        match self {
            KaiaError::Field { .. }
            | KaiaError::MissingField { .. }
            | KaiaError::UnknownTypeName(_)
            | KaiaError::Json(_) => "bad_tx",
            KaiaError::InvalidSignature(_) | KaiaError::InvalidV { .. } => "bad_signature",
            KaiaError::KeyRule { .. } => "bad_account_key",
            KaiaError::MissingSenderSignature => "unsigned_tx",
            KaiaError::MissingFeePayerSignature => "missing_fee_payer_signature",
            KaiaError::NotFeeDelegated(_) => "not_fee_delegated",
            _ => "bad_raw_tx",
        }
    }
}

impl KaiaError {
    /// Shorthand for a [`KaiaError::Field`] error.
    pub(crate) fn field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        KaiaError::Field { field: field.into(), reason: reason.into() }
    }
}
