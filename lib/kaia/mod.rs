//! Kaia (formerly Klaytn) transactions for evlock: typed transactions, their
//! RLP encodings and hashes, key-less signing hooks, and decoding of raw
//! transactions with signer recovery.
//!
//! Supported types: legacy (EIP-155 and pre-EIP-155), EIP-2930 (`0x01…`), EIP-1559
//! (`0x02…`) and the Kaia native ValueTransfer (0x08),
//! ValueTransferMemo (0x10), AccountUpdate (0x20), SmartContractDeploy
//! (0x28), SmartContractExecution (0x30) and Cancel (0x38), each also in its
//! fee-delegated (+1) and fee-delegated-with-ratio (+2) form.
//!
//! The raw bytes are the truth: EIP-2930/1559 transactions are written in their plain
//! EIP-2718 form, as every Ethereum tool and Kaia's SDK write them (their hash is keccak of
//! those bytes); Kaia's `0x78`-enveloped form (`0x7801…`, `0x7802…`, what
//! `kaia_sendRawTransaction` decodes) is read too. [`RawForm`] tells the forms apart and
//! says which node method takes each.
//!
//! The encodings are checked byte-for-byte against the "RLP Encoding
//! (Example)" sections of docs.kaia.io (`tests/kaia_doc_vectors.rs`) and against Kaia's SDK
//! (`tests/differential.rs`).
//!
//! Typical flow (the transaction never holds a key):
//!
//! ```ignore
//! let mut tx: Transaction = serde_json::from_str(record)?;
//! let sig = my_signer.sign(&tx.sig_hash())?;          // RecoverableSig
//! tx.add_sender_signature(sig)?;
//! let raw = tx.raw()?;                                // RawForm::of(&raw).send_method()
//! let back = Transaction::decode_raw(&raw)?;
//! assert_eq!(back.recover_sender()?, expected_sender);
//! ```

mod account_key;
mod codec;
mod error;
mod ethereum;
pub mod gas;
mod json;
mod native;
mod signature;
mod types;

#[cfg(test)]
mod tests;

/// Kaia's block interval: one block a second (the console estimates when a future block
/// comes from it until the chain's own timestamps say otherwise).
pub const BLOCK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

pub use account_key::{
    AccountKey, CompressedPubkey, KeyRole, KeyRule, MAX_MULTISIG_KEYS, MAX_ROLES, WeightedMultiSig,
    WeightedPublicKey,
};
pub use error::KaiaError;
pub use ethereum::{AccessListItem, ETHEREUM_TX_ENVELOPE, Eip1559Tx, Eip2930Tx, LegacyTx};
pub use json::{TxField, fields, tx_field};
pub use native::{FeeDelegation, FeeRatio, KaiaKind, KaiaTx};
pub use signature::{RecoverableSig, TxSignature, address_of};
pub use types::{FeeMode, KaiaBase, TxType};

use alloy_primitives::{Address, B256, keccak256};

/// Any transaction this module handles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transaction {
    /// Legacy (type 0) transaction.
    Legacy(LegacyTx),
    /// EIP-2930 transaction (type 0x01; Kaia numbers it 0x7801).
    Eip2930(Eip2930Tx),
    /// EIP-1559 transaction (type 0x02; Kaia numbers it 0x7802).
    Eip1559(Eip1559Tx),
    /// Kaia native transaction (types 0x08..=0x3a).
    Kaia(KaiaTx),
}

impl Transaction {
    /// The transaction type.
    pub fn tx_type(&self) -> TxType {
        match self {
            Transaction::Legacy(_) => TxType::Legacy,
            Transaction::Eip2930(_) => TxType::Eip2930,
            Transaction::Eip1559(_) => TxType::Eip1559,
            Transaction::Kaia(tx) => tx.tx_type(),
        }
    }

    /// The chain id (`None` only for pre-EIP-155 legacy transactions).
    pub fn chain_id(&self) -> Option<u64> {
        match self {
            Transaction::Legacy(tx) => tx.chain_id,
            Transaction::Eip2930(tx) => Some(tx.chain_id),
            Transaction::Eip1559(tx) => Some(tx.chain_id),
            Transaction::Kaia(tx) => Some(tx.chain_id),
        }
    }

    /// The sender's account nonce.
    pub fn nonce(&self) -> u64 {
        match self {
            Transaction::Legacy(tx) => tx.nonce,
            Transaction::Eip2930(tx) => tx.nonce,
            Transaction::Eip1559(tx) => tx.nonce,
            Transaction::Kaia(tx) => tx.nonce,
        }
    }

    /// The gas limit.
    pub fn gas(&self) -> u64 {
        match self {
            Transaction::Legacy(tx) => tx.gas,
            Transaction::Eip2930(tx) => tx.gas,
            Transaction::Eip1559(tx) => tx.gas,
            Transaction::Kaia(tx) => tx.gas,
        }
    }

    /// The most the transaction can pay per gas: the gas price, or EIP-1559's max fee.
    pub fn max_gas_price(&self) -> alloy_primitives::U256 {
        match self {
            Transaction::Legacy(tx) => tx.gas_price,
            Transaction::Eip2930(tx) => tx.gas_price,
            Transaction::Eip1559(tx) => tx.max_fee_per_gas,
            Transaction::Kaia(tx) => tx.gas_price,
        }
    }

    /// The recipient (`None` for deployments and for types without one).
    pub fn to(&self) -> Option<Address> {
        match self {
            Transaction::Legacy(tx) => tx.to,
            Transaction::Eip2930(tx) => tx.to,
            Transaction::Eip1559(tx) => tx.to,
            Transaction::Kaia(tx) => match &tx.kind {
                KaiaKind::ValueTransfer { to, .. }
                | KaiaKind::ValueTransferMemo { to, .. }
                | KaiaKind::SmartContractExecution { to, .. } => Some(*to),
                KaiaKind::SmartContractDeploy { to, .. } => *to,
                KaiaKind::AccountUpdate { .. } | KaiaKind::Cancel => None,
            },
        }
    }

    /// Whether the transaction deploys a contract.
    pub fn is_deploy(&self) -> bool {
        match self {
            Transaction::Kaia(tx) => matches!(tx.kind, KaiaKind::SmartContractDeploy { .. }),
            other => other.to().is_none(),
        }
    }

    /// The value sent, in peb.
    pub fn value(&self) -> alloy_primitives::U256 {
        match self {
            Transaction::Legacy(tx) => tx.value,
            Transaction::Eip2930(tx) => tx.value,
            Transaction::Eip1559(tx) => tx.value,
            Transaction::Kaia(tx) => match &tx.kind {
                KaiaKind::ValueTransfer { value, .. }
                | KaiaKind::ValueTransferMemo { value, .. }
                | KaiaKind::SmartContractDeploy { value, .. }
                | KaiaKind::SmartContractExecution { value, .. } => *value,
                KaiaKind::AccountUpdate { .. } | KaiaKind::Cancel => alloy_primitives::U256::ZERO,
            },
        }
    }

    /// The call data, init code or memo (empty for types without one).
    pub fn input(&self) -> &[u8] {
        match self {
            Transaction::Legacy(tx) => &tx.input,
            Transaction::Eip2930(tx) => &tx.input,
            Transaction::Eip1559(tx) => &tx.input,
            Transaction::Kaia(tx) => match &tx.kind {
                KaiaKind::ValueTransferMemo { input, .. }
                | KaiaKind::SmartContractDeploy { input, .. }
                | KaiaKind::SmartContractExecution { input, .. } => input,
                _ => &[],
            },
        }
    }

    /// Whether the sender has signed.
    pub fn has_sender_signature(&self) -> bool {
        match self {
            Transaction::Legacy(tx) => tx.signature.is_some(),
            Transaction::Eip2930(tx) => tx.signature.is_some(),
            Transaction::Eip1559(tx) => tx.signature.is_some(),
            Transaction::Kaia(tx) => !tx.signatures.is_empty(),
        }
    }

    /// Names the fee payer of a fee-delegated transaction (before the fee payer signs).
    pub fn set_fee_payer(&mut self, payer: Address) -> Result<(), KaiaError> {
        match self {
            Transaction::Kaia(tx) => match &mut tx.fee {
                FeeDelegation::Full { fee_payer } | FeeDelegation::WithRatio { fee_payer, .. } => {
                    *fee_payer = payer;
                    Ok(())
                }
                FeeDelegation::None => Err(KaiaError::NotFeeDelegated(tx.tx_type().name())),
            },
            other => Err(KaiaError::NotFeeDelegated(other.tx_type().name())),
        }
    }

    /// Whether a fee payer has signed (not counting SDK placeholders).
    pub fn has_fee_payer_signature(&self) -> bool {
        match self {
            Transaction::Kaia(tx) => tx.fee_payer_signatures.iter().any(|s| !s.r.is_zero() || !s.s.is_zero()),
            _ => false,
        }
    }

    /// The sender's signing payload (the docs' SigRLP).
    pub fn sig_rlp(&self) -> Vec<u8> {
        match self {
            Transaction::Legacy(tx) => tx.sig_rlp(),
            Transaction::Eip2930(tx) => tx.sig_rlp(),
            Transaction::Eip1559(tx) => tx.sig_rlp(),
            Transaction::Kaia(tx) => tx.sig_rlp(),
        }
    }

    /// The hash the sender signs: `keccak256(sig_rlp())` (the docs' SigHash).
    pub fn sig_hash(&self) -> B256 {
        match self {
            Transaction::Kaia(tx) => tx.sig_hash(),
            other => keccak256(other.sig_rlp()),
        }
    }

    /// The fee payer's signing payload (the docs' SigRLPFeePayer).
    pub fn fee_payer_sig_rlp(&self) -> Result<Vec<u8>, KaiaError> {
        match self {
            Transaction::Kaia(tx) => tx.fee_payer_sig_rlp(),
            other => Err(KaiaError::NotFeeDelegated(other.tx_type().name())),
        }
    }

    /// The hash the fee payer signs (the docs' SigHashFeePayer).
    pub fn fee_payer_sig_hash(&self) -> Result<B256, KaiaError> {
        match self {
            Transaction::Kaia(tx) => tx.fee_payer_sig_hash(),
            other => Err(KaiaError::NotFeeDelegated(other.tx_type().name())),
        }
    }

    /// The raw signed transaction as sent to a node: the docs' TxHashRLP for Kaia types
    /// (SenderTxHashRLP for a fee-delegated one whose fee payer is not named yet), the plain
    /// EIP-2718 form `type || rlp(..)` for EIP-2930/1559, the RLP list for legacy.
    pub fn raw(&self) -> Result<Vec<u8>, KaiaError> {
        match self {
            Transaction::Legacy(tx) => tx.raw(),
            Transaction::Eip2930(tx) => tx.raw(),
            Transaction::Eip1559(tx) => tx.raw(),
            Transaction::Kaia(tx) => tx.raw(),
        }
    }

    /// The transaction hash: keccak of [`Self::raw`] (for EIP-2930/1559 the plain form, as
    /// on Ethereum and on Kaia, which does not hash its `0x78` envelope).
    pub fn tx_hash(&self) -> Result<B256, KaiaError> {
        match self {
            Transaction::Legacy(tx) => tx.raw().map(keccak256),
            Transaction::Eip2930(tx) => tx.tx_hash(),
            Transaction::Eip1559(tx) => tx.tx_hash(),
            Transaction::Kaia(tx) => tx.tx_hash(),
        }
    }

    /// The hash without fee payer data (Kaia's SenderTxHash). Equals
    /// [`Self::tx_hash`] for every type that is not fee-delegated.
    pub fn sender_tx_hash(&self) -> Result<B256, KaiaError> {
        match self {
            Transaction::Kaia(tx) => tx.sender_tx_hash(),
            other => other.tx_hash(),
        }
    }

    /// Stores the sender's signature over [`Self::sig_hash`]. Kaia native
    /// types append (multi-signature accounts); the others replace.
    pub fn add_sender_signature(&mut self, sig: RecoverableSig) -> Result<(), KaiaError> {
        match self {
            Transaction::Legacy(tx) => tx.signature = Some(sig),
            Transaction::Eip2930(tx) => tx.signature = Some(sig),
            Transaction::Eip1559(tx) => tx.signature = Some(sig),
            Transaction::Kaia(tx) => tx.add_sender_signature(sig)?,
        }
        Ok(())
    }

    /// Stores the fee payer's signature over [`Self::fee_payer_sig_hash`].
    pub fn add_fee_payer_signature(&mut self, sig: RecoverableSig) -> Result<(), KaiaError> {
        match self {
            Transaction::Kaia(tx) => tx.add_fee_payer_signature(sig),
            other => Err(KaiaError::NotFeeDelegated(other.tx_type().name())),
        }
    }

    /// Signing hook: computes [`Self::sig_hash`], hands it to `sign` (an HSM,
    /// a remote signer, a [`RecoverableSig::sign_prehash`] closure, ...) and
    /// stores the result.
    pub fn sign_sender_with<E>(
        &mut self,
        sign: impl FnOnce(&B256) -> Result<RecoverableSig, E>,
    ) -> Result<(), E>
    where
        E: From<KaiaError>,
    {
        let sig = sign(&self.sig_hash())?;
        self.add_sender_signature(sig)?;
        Ok(())
    }

    /// Signing hook for the fee payer (see [`Self::sign_sender_with`]).
    pub fn sign_fee_payer_with<E>(
        &mut self,
        sign: impl FnOnce(&B256) -> Result<RecoverableSig, E>,
    ) -> Result<(), E>
    where
        E: From<KaiaError>,
    {
        let hash = self.fee_payer_sig_hash()?;
        let sig = sign(&hash)?;
        self.add_fee_payer_signature(sig)?;
        Ok(())
    }

    /// Decodes a raw transaction of any supported type.
    ///
    /// Dispatch on the first byte ([`RawForm`]): `>= 0xc0` legacy list, `0x01`/`0x02` plain
    /// EIP-2718 typed, `0x78` followed by `0x01`/`0x02` Kaia's envelope around the same,
    /// otherwise a Kaia type byte. Rejects trailing bytes, wrong list lengths, non-canonical
    /// integers, fee ratios outside 1..=99, V values inconsistent with the chain id and
    /// unknown types.
    pub fn decode_raw(raw: &[u8]) -> Result<Self, KaiaError> {
        let (&first, rest) = raw.split_first().ok_or(KaiaError::EmptyInput)?;
        match RawForm::of(raw) {
            RawForm::Legacy => LegacyTx::decode(raw).map(Transaction::Legacy),
            RawForm::Typed(ty) => Self::decode_typed(ty, rest).map_err(|e| match e {
                KaiaError::UnknownEthereumType(b) => KaiaError::UnknownTypeByte(b),
                other => other,
            }),
            RawForm::Enveloped(_) => {
                let (&ty, body) = rest.split_first().ok_or(KaiaError::Truncated {
                    context: "Ethereum transaction type",
                    needed: 1,
                    available: 0,
                })?;
                Self::decode_typed(ty, body)
            }
            RawForm::KaiaNative(_) | RawForm::Unknown => {
                let ty = TxType::from_kaia_byte(first).ok_or(KaiaError::UnknownTypeByte(first))?;
                KaiaTx::decode(ty, rest).map(Transaction::Kaia)
            }
        }
    }

    fn decode_typed(ty: u8, body: &[u8]) -> Result<Self, KaiaError> {
        match ty {
            0x01 => Eip2930Tx::decode(body).map(Transaction::Eip2930),
            0x02 => Eip1559Tx::decode(body).map(Transaction::Eip1559),
            other => Err(KaiaError::UnknownEthereumType(other)),
        }
    }

    /// Recovers the address of the (first) sender signing key.
    ///
    /// For Kaia native types this is the key's address, which equals
    /// `from` only while the account uses AccountKeyLegacy.
    pub fn recover_sender(&self) -> Result<Address, KaiaError> {
        let hash = self.sig_hash();
        let sig = match self {
            Transaction::Legacy(tx) => tx.signature,
            Transaction::Eip2930(tx) => tx.signature,
            Transaction::Eip1559(tx) => tx.signature,
            Transaction::Kaia(tx) => return tx.recover_sender(),
        };
        sig.ok_or(KaiaError::MissingSenderSignature)?.recover_address(&hash)
    }

    /// Recovers the key of every sender signature, in order (one for legacy and Ethereum
    /// types; a Kaia multisig account carries several).
    pub fn recover_sender_keys(&self) -> Result<Vec<CompressedPubkey>, KaiaError> {
        let hash = self.sig_hash();
        let sig = match self {
            Transaction::Legacy(tx) => tx.signature,
            Transaction::Eip2930(tx) => tx.signature,
            Transaction::Eip1559(tx) => tx.signature,
            Transaction::Kaia(tx) => return tx.recover_sender_keys(),
        };
        let key = sig.ok_or(KaiaError::MissingSenderSignature)?.recover_key(&hash)?;
        Ok(vec![CompressedPubkey::from_verifying_key(&key)])
    }

    /// Recovers the key of every fee payer signature, in order.
    pub fn recover_fee_payer_keys(&self) -> Result<Vec<CompressedPubkey>, KaiaError> {
        match self {
            Transaction::Kaia(tx) => tx.recover_fee_payer_keys(),
            other => Err(KaiaError::NotFeeDelegated(other.tx_type().name())),
        }
    }

    /// Recovers the address of the (first) fee payer signing key.
    pub fn recover_fee_payer(&self) -> Result<Address, KaiaError> {
        match self {
            Transaction::Kaia(tx) => tx.recover_fee_payer(),
            other => Err(KaiaError::NotFeeDelegated(other.tx_type().name())),
        }
    }

    /// The declared sender (`from`) of a Kaia native transaction.
    pub fn from_address(&self) -> Option<Address> {
        match self {
            Transaction::Kaia(tx) => Some(tx.from),
            _ => None,
        }
    }

    /// The fee payer of a fee-delegated transaction, once one is named (`None` for the
    /// sender's step of one whose fee payer is left to whoever pays).
    pub fn fee_payer(&self) -> Option<Address> {
        match self {
            Transaction::Kaia(tx) => tx.fee.fee_payer().filter(|payer| !payer.is_zero()),
            _ => None,
        }
    }
}

/// What a raw transaction is by its first bytes, before any decoding: how nodes tell the
/// forms apart, and so which `sendRawTransaction` takes it.
///
/// A Kaia node's `eth_sendRawTransaction` (and the batch `kaia_sendRawTransactions`) puts the
/// `0x78` envelope in front of any input whose first byte is below `0x7f`, so it takes the
/// plain EIP-2718 form and legacy lists, and refuses Kaia-native types and input already
/// enveloped; its `kaia_sendRawTransaction` decodes the bytes as they are, so it takes
/// Kaia-native types, legacy lists and the enveloped form (kaia `api/api_ethereum.go`,
/// `api/api_kaia_transaction.go`). Ethereum nodes take only legacy and the plain form.
///
/// ```
/// use evlock::kaia::RawForm;
/// assert_eq!(RawForm::of(&[0x02, 0xf8]), RawForm::Typed(0x02));
/// assert_eq!(RawForm::of(&[0x78, 0x02, 0xf8]), RawForm::Enveloped(0x02));
/// assert_eq!(RawForm::of(&[0x31, 0xf8]), RawForm::KaiaNative(0x31));
/// assert_eq!(RawForm::of(&[0xf8, 0x6b]), RawForm::Legacy);
/// assert_eq!(RawForm::of(&[0x02, 0xf8]).send_method(), "eth_sendRawTransaction");
/// assert_eq!(RawForm::of(&[0x31, 0xf8]).send_method(), "kaia_sendRawTransaction");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawForm {
    /// A legacy transaction: an RLP list (first byte `0xc0` or above).
    Legacy,
    /// An EIP-2718 typed transaction as Ethereum writes it (first byte `0x01`..=`0x07`, the
    /// type: 0x01 EIP-2930, 0x02 EIP-1559, …).
    Typed(u8),
    /// Kaia's envelope `0x78` in front of an EIP-2718 typed transaction (the type that
    /// follows it; 0 when nothing follows).
    Enveloped(u8),
    /// A Kaia-native type byte (`0x08`..=`0x77`; Kaia defines 0x08..=0x4a).
    KaiaNative(u8),
    /// Empty, `0x00`, or `0x79`..=`0xbf`: nothing a node takes.
    Unknown,
}

impl RawForm {
    /// Classifies raw transaction bytes by their first bytes.
    pub fn of(raw: &[u8]) -> RawForm {
        match raw.first() {
            None | Some(0x00) => RawForm::Unknown,
            Some(0xc0..) => RawForm::Legacy,
            Some(&b @ 0x01..=0x07) => RawForm::Typed(b),
            Some(&ETHEREUM_TX_ENVELOPE) => RawForm::Enveloped(raw.get(1).copied().unwrap_or(0)),
            Some(&b @ 0x08..=0x77) => RawForm::KaiaNative(b),
            Some(_) => RawForm::Unknown,
        }
    }

    /// The node method that takes this form on a Kaia node and (for legacy and plain typed)
    /// on any Ethereum node: `eth_sendRawTransaction` for legacy and plain typed,
    /// `kaia_sendRawTransaction` for Kaia-native and enveloped.
    pub fn send_method(self) -> &'static str {
        match self {
            RawForm::KaiaNative(_) | RawForm::Enveloped(_) => "kaia_sendRawTransaction",
            RawForm::Legacy | RawForm::Typed(_) | RawForm::Unknown => "eth_sendRawTransaction",
        }
    }
}

/// The plain form of raw transaction bytes: Kaia's `0x78` envelope taken off an EIP-2718
/// typed transaction, anything else as it is.
pub fn strip_envelope(raw: &[u8]) -> &[u8] {
    match RawForm::of(raw) {
        RawForm::Enveloped(_) => &raw[1..],
        _ => raw,
    }
}
