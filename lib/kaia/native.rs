//! Kaia native transaction types (value transfer, memo, account update,
//! contract deploy/execution, cancel) in their basic, fee-delegated and
//! partially fee-delegated (with ratio) forms.
//!
//! Encodings (see docs.kaia.io, learn/transactions):
//! - `SigRLP = rlp([rlp([type, fields...]), chainId, 0, 0])` (inner list
//!   embedded as a byte string),
//! - `SigFeePayerRLP = rlp([rlp([type, fields...]), feePayer, chainId, 0, 0])`,
//! - `raw = type || rlp([fields..., txSignatures, feePayer, feePayerSignatures])`,
//! - `SenderTxHashRLP = type || rlp([fields..., txSignatures])`.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use rlp::{Rlp, RlpStream};

use crate::kaia::account_key::{AccountKey, CompressedPubkey};
use crate::kaia::codec::{
    append_address, append_bytes, append_opt_address, append_u256, data, dec_address, dec_bool, dec_bytes,
    dec_opt_address, dec_u8, dec_u64, dec_u256, list_exact, list_items, top_level_list, with_prefix,
};
use crate::kaia::error::KaiaError;
use crate::kaia::signature::{RecoverableSig, TxSignature, append_signatures, eip155_v};
use crate::kaia::types::{FeeMode, KaiaBase, TxType};

/// The fee payer's share in percent; always within 1..=99.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeeRatio(u8);

impl FeeRatio {
    /// Validates `ratio` (1..=99).
    pub fn new(ratio: u64) -> Result<Self, KaiaError> {
        match ratio {
            1..=99 => Ok(FeeRatio(ratio as u8)),
            other => Err(KaiaError::InvalidFeeRatio(other)),
        }
    }

    /// The percentage.
    pub fn get(self) -> u8 {
        self.0
    }
}

/// Who pays the fee of a Kaia native transaction.
///
/// The sender's signature does not cover the fee payer (only the fee payer's does), so a
/// sender may sign before one is named: `fee_payer` is then `Address::ZERO`, the raw form is
/// the SenderTxHashRLP (as Kaia's SDK writes it), and the fee payer fills itself in when it
/// signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeeDelegation {
    /// The sender pays (basic types).
    None,
    /// `fee_payer` pays everything (type byte + 1).
    Full {
        /// Fee payer address.
        fee_payer: Address,
    },
    /// `fee_payer` pays `fee_ratio` percent, the sender the rest (type byte + 2).
    WithRatio {
        /// Fee payer address.
        fee_payer: Address,
        /// Fee payer's share.
        fee_ratio: FeeRatio,
    },
}

impl FeeDelegation {
    /// The fee mode.
    pub fn mode(&self) -> FeeMode {
        match self {
            FeeDelegation::None => FeeMode::Sender,
            FeeDelegation::Full { .. } => FeeMode::FeeDelegated,
            FeeDelegation::WithRatio { .. } => FeeMode::FeeDelegatedWithRatio,
        }
    }

    /// The fee payer, if any.
    pub fn fee_payer(&self) -> Option<Address> {
        match self {
            FeeDelegation::None => None,
            FeeDelegation::Full { fee_payer } | FeeDelegation::WithRatio { fee_payer, .. } => {
                Some(*fee_payer)
            }
        }
    }

    /// The fee ratio, if any.
    pub fn fee_ratio(&self) -> Option<FeeRatio> {
        match self {
            FeeDelegation::WithRatio { fee_ratio, .. } => Some(*fee_ratio),
            _ => None,
        }
    }
}

/// The type-specific part of a Kaia native transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KaiaKind {
    /// TxTypeValueTransfer: `[.., to, value, from]`.
    ValueTransfer {
        /// Recipient (an EOA).
        to: Address,
        /// Amount in kei.
        value: U256,
    },
    /// TxTypeValueTransferMemo: `[.., to, value, from, input]`; the memo is
    /// the `input` field.
    ValueTransferMemo {
        /// Recipient (an EOA).
        to: Address,
        /// Amount in kei.
        value: U256,
        /// The memo bytes.
        input: Bytes,
    },
    /// TxTypeAccountUpdate: `[.., from, rlpEncodedKey]`.
    AccountUpdate {
        /// The new key.
        key: AccountKey,
    },
    /// TxTypeSmartContractDeploy:
    /// `[.., to, value, from, input, humanReadable, (feeRatio,) codeFormat]`.
    SmartContractDeploy {
        /// Must be `None` on chain (Kaia rejects a recipient); kept as an
        /// option because the documentation examples set it.
        to: Option<Address>,
        /// Amount in kei sent to the new contract.
        value: U256,
        /// Init code.
        input: Bytes,
        /// Must be `false` on chain (human-readable addresses are unsupported).
        human_readable: bool,
        /// Code format, 0 = EVM.
        code_format: u8,
    },
    /// TxTypeSmartContractExecution: `[.., to, value, from, input]`.
    SmartContractExecution {
        /// Contract address.
        to: Address,
        /// Amount in kei.
        value: U256,
        /// Call data.
        input: Bytes,
    },
    /// TxTypeCancel: `[.., from]`.
    Cancel,
}

impl KaiaKind {
    /// The family of this kind.
    pub fn base(&self) -> KaiaBase {
        match self {
            KaiaKind::ValueTransfer { .. } => KaiaBase::ValueTransfer,
            KaiaKind::ValueTransferMemo { .. } => KaiaBase::ValueTransferMemo,
            KaiaKind::AccountUpdate { .. } => KaiaBase::AccountUpdate,
            KaiaKind::SmartContractDeploy { .. } => KaiaBase::SmartContractDeploy,
            KaiaKind::SmartContractExecution { .. } => KaiaBase::SmartContractExecution,
            KaiaKind::Cancel => KaiaBase::Cancel,
        }
    }
}

/// Number of fields after `gas` (excluding feeRatio) per family.
fn kind_field_count(base: KaiaBase) -> usize {
    match base {
        KaiaBase::ValueTransfer => 3,
        KaiaBase::ValueTransferMemo => 4,
        KaiaBase::AccountUpdate => 2,
        KaiaBase::SmartContractDeploy => 6,
        KaiaBase::SmartContractExecution => 4,
        KaiaBase::Cancel => 1,
    }
}

/// A Kaia native transaction with its signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KaiaTx {
    /// Chain id (8217 mainnet, 1001 Kairos). Not in the RLP fields: it is
    /// part of the signing payload and of every V.
    pub chain_id: u64,
    /// Sender nonce.
    pub nonce: u64,
    /// Gas price in kei.
    pub gas_price: U256,
    /// Gas limit.
    pub gas: u64,
    /// The sending account (explicit on Kaia; need not equal the address of
    /// the signing key when the account's key was updated).
    pub from: Address,
    /// Type-specific fields.
    pub kind: KaiaKind,
    /// Fee delegation (selects the basic / fee-delegated / with-ratio form).
    pub fee: FeeDelegation,
    /// Sender signatures (`txSignatures`), in order.
    pub signatures: Vec<TxSignature>,
    /// Fee payer signatures (`feePayerSignatures`); empty unless fee-delegated.
    pub fee_payer_signatures: Vec<TxSignature>,
}

impl KaiaTx {
    /// The transaction type.
    pub fn tx_type(&self) -> TxType {
        TxType::Kaia(self.kind.base(), self.fee.mode())
    }

    /// The type byte (0x08, 0x09, 0x0a, ...).
    pub fn type_byte(&self) -> u8 {
        self.tx_type().kaia_byte().unwrap_or_default()
    }

    fn field_count(&self) -> usize {
        3 + kind_field_count(self.kind.base()) + usize::from(self.fee.fee_ratio().is_some())
    }

    /// Appends `nonce, gasPrice, gas, <type fields>, [feeRatio]` in Kaia's order.
    fn append_fields(&self, s: &mut RlpStream) {
        s.append(&self.nonce);
        append_u256(s, &self.gas_price);
        s.append(&self.gas);
        let ratio = self.fee.fee_ratio().map(FeeRatio::get);
        match &self.kind {
            KaiaKind::ValueTransfer { to, value } => {
                append_address(s, to);
                append_u256(s, value);
                append_address(s, &self.from);
            }
            KaiaKind::ValueTransferMemo { to, value, input }
            | KaiaKind::SmartContractExecution { to, value, input } => {
                append_address(s, to);
                append_u256(s, value);
                append_address(s, &self.from);
                append_bytes(s, input);
            }
            KaiaKind::AccountUpdate { key } => {
                append_address(s, &self.from);
                append_bytes(s, &key.rlp_encoding());
            }
            KaiaKind::SmartContractDeploy { to, value, input, human_readable, code_format } => {
                append_opt_address(s, to);
                append_u256(s, value);
                append_address(s, &self.from);
                append_bytes(s, input);
                s.append(human_readable);
                // The ratio sits between humanReadable and codeFormat.
                if let Some(r) = ratio {
                    s.append(&r);
                }
                s.append(code_format);
                return;
            }
            KaiaKind::Cancel => append_address(s, &self.from),
        }
        if let Some(r) = ratio {
            s.append(&r);
        }
    }

    /// `rlp([type, fields...])`, the part both signers commit to.
    fn inner_sig_stream(&self) -> RlpStream {
        let mut s = RlpStream::new_list(1 + self.field_count());
        s.append(&self.type_byte());
        self.append_fields(&mut s);
        s
    }

    fn sig_stream(&self) -> RlpStream {
        let inner = self.inner_sig_stream();
        let mut s = RlpStream::new_list(4);
        s.append(&inner.as_raw());
        s.append(&self.chain_id);
        s.append_empty_data();
        s.append_empty_data();
        s
    }

    /// Sender signing payload `rlp([rlp([type, ...]), chainId, 0, 0])`.
    pub fn sig_rlp(&self) -> Vec<u8> {
        self.sig_stream().out().into()
    }

    /// `keccak256(sig_rlp())`, computed without copying the payload.
    pub fn sig_hash(&self) -> B256 {
        keccak256(self.sig_stream().as_raw())
    }

    fn fee_payer_sig_stream(&self) -> Result<RlpStream, KaiaError> {
        let fee_payer = self.fee.fee_payer().ok_or(KaiaError::NotFeeDelegated(self.tx_type().name()))?;
        let inner = self.inner_sig_stream();
        let mut s = RlpStream::new_list(5);
        s.append(&inner.as_raw());
        append_address(&mut s, &fee_payer);
        s.append(&self.chain_id);
        s.append_empty_data();
        s.append_empty_data();
        Ok(s)
    }

    /// Fee payer signing payload
    /// `rlp([rlp([type, ...]), feePayer, chainId, 0, 0])`.
    pub fn fee_payer_sig_rlp(&self) -> Result<Vec<u8>, KaiaError> {
        Ok(self.fee_payer_sig_stream()?.out().into())
    }

    /// `keccak256(fee_payer_sig_rlp())`.
    pub fn fee_payer_sig_hash(&self) -> Result<B256, KaiaError> {
        Ok(keccak256(self.fee_payer_sig_stream()?.as_raw()))
    }

    fn check_signed(&self) -> Result<(), KaiaError> {
        if self.signatures.is_empty() {
            return Err(KaiaError::MissingSenderSignature);
        }
        if self.fee.fee_payer().is_none() && !self.fee_payer_signatures.is_empty() {
            return Err(KaiaError::NotFeeDelegated(self.tx_type().name()));
        }
        Ok(())
    }

    /// Raw transaction `type || rlp([fields..., txSignatures(, feePayer,
    /// feePayerSignatures)])` (the docs' TxHashRLP).
    ///
    /// Needs at least one sender signature; fee payer signatures may still
    /// be missing (an empty list is encoded). A fee-delegated transaction whose fee payer is
    /// not named yet (`Address::ZERO`, no fee payer signature) is written without the fee
    /// payer fields: the SenderTxHashRLP, what Kaia's SDK returns from the sender's step.
    pub fn raw(&self) -> Result<Vec<u8>, KaiaError> {
        self.check_signed()?;
        // No fee payer named yet and none signed: the sender's step, as Kaia's SDK writes it.
        let fee_payer = self.fee.fee_payer();
        if fee_payer.is_some_and(|payer| payer.is_zero()) && self.fee_payer_signatures.is_empty() {
            return self.sender_tx_hash_rlp();
        }
        let n = self.field_count() + 1 + if fee_payer.is_some() { 2 } else { 0 };
        let mut s = RlpStream::new_list(n);
        self.append_fields(&mut s);
        append_signatures(&mut s, &self.signatures);
        if let Some(fee_payer) = fee_payer {
            append_address(&mut s, &fee_payer);
            append_signatures(&mut s, &self.fee_payer_signatures);
        }
        Ok(with_prefix(&[self.type_byte()], s))
    }

    /// `type || rlp([fields..., txSignatures])` (the docs' SenderTxHashRLP).
    pub fn sender_tx_hash_rlp(&self) -> Result<Vec<u8>, KaiaError> {
        self.check_signed()?;
        let mut s = RlpStream::new_list(self.field_count() + 1);
        self.append_fields(&mut s);
        append_signatures(&mut s, &self.signatures);
        Ok(with_prefix(&[self.type_byte()], s))
    }

    /// `keccak256(raw())`.
    pub fn tx_hash(&self) -> Result<B256, KaiaError> {
        self.raw().map(keccak256)
    }

    /// `keccak256(sender_tx_hash_rlp())`; equals [`Self::tx_hash`] for
    /// non-fee-delegated types.
    pub fn sender_tx_hash(&self) -> Result<B256, KaiaError> {
        self.sender_tx_hash_rlp().map(keccak256)
    }

    /// Appends a sender signature (Kaia accounts may need several).
    pub fn add_sender_signature(&mut self, sig: RecoverableSig) -> Result<(), KaiaError> {
        self.signatures.push(TxSignature::from_recoverable(&sig, self.chain_id)?);
        Ok(())
    }

    /// Appends a fee payer signature.
    pub fn add_fee_payer_signature(&mut self, sig: RecoverableSig) -> Result<(), KaiaError> {
        if self.fee.fee_payer().is_none() {
            return Err(KaiaError::NotFeeDelegated(self.tx_type().name()));
        }
        // Drop an SDK placeholder ([1, 0, 0]) before adding the real one.
        self.fee_payer_signatures.retain(|s| !s.is_placeholder());
        self.fee_payer_signatures.push(TxSignature::from_recoverable(&sig, self.chain_id)?);
        Ok(())
    }

    /// Address recovered from the first sender signature.
    pub fn recover_sender(&self) -> Result<Address, KaiaError> {
        let sig = self.signatures.first().ok_or(KaiaError::MissingSenderSignature)?;
        sig.to_recoverable(self.chain_id, "txSignatures.V")?.recover_address(&self.sig_hash())
    }

    /// Address recovered from the first (non-placeholder) fee payer signature.
    pub fn recover_fee_payer(&self) -> Result<Address, KaiaError> {
        let hash = self.fee_payer_sig_hash()?;
        let sig = self
            .fee_payer_signatures
            .iter()
            .find(|s| !s.is_placeholder())
            .ok_or(KaiaError::MissingFeePayerSignature)?;
        sig.to_recoverable(self.chain_id, "feePayerSignatures.V")?.recover_address(&hash)
    }

    /// The keys of every sender signature, in order.
    pub fn recover_sender_keys(&self) -> Result<Vec<CompressedPubkey>, KaiaError> {
        let hash = self.sig_hash();
        if self.signatures.is_empty() {
            return Err(KaiaError::MissingSenderSignature);
        }
        self.signatures
            .iter()
            .map(|sig| {
                let key = sig.to_recoverable(self.chain_id, "txSignatures.V")?.recover_key(&hash)?;
                Ok(CompressedPubkey::from_verifying_key(&key))
            })
            .collect()
    }

    /// The keys of every (non-placeholder) fee payer signature, in order.
    pub fn recover_fee_payer_keys(&self) -> Result<Vec<CompressedPubkey>, KaiaError> {
        let hash = self.fee_payer_sig_hash()?;
        let keys = self
            .fee_payer_signatures
            .iter()
            .filter(|sig| !sig.is_placeholder())
            .map(|sig| {
                let key = sig.to_recoverable(self.chain_id, "feePayerSignatures.V")?.recover_key(&hash)?;
                Ok(CompressedPubkey::from_verifying_key(&key))
            })
            .collect::<Result<Vec<_>, KaiaError>>()?;
        if keys.is_empty() {
            return Err(KaiaError::MissingFeePayerSignature);
        }
        Ok(keys)
    }

    /// Decodes the bytes after the type byte.
    pub(crate) fn decode(ty: TxType, bytes: &[u8]) -> Result<Self, KaiaError> {
        let TxType::Kaia(base, mode) = ty else {
            unreachable!("KaiaTx::decode called with a non-Kaia type");
        };
        let what = "transaction";
        let rlp = top_level_list(bytes, what)?;
        let has_ratio = mode == FeeMode::FeeDelegatedWithRatio;
        let delegated = mode != FeeMode::Sender;
        let n_fields = 3 + kind_field_count(base) + usize::from(has_ratio);
        let expected = n_fields + 1 + if delegated { 2 } else { 0 };
        // A fee-delegated transaction signed by the sender only may come without the fee
        // payer fields (SenderTxHashRLP, as ethers-ext writes it): the fee payer is unset.
        let sender_only_form = delegated && list_items(&rlp, what)?.len() == n_fields + 1;
        let f = list_exact(&rlp, what, if sender_only_form { n_fields + 1 } else { expected })?;

        let nonce = dec_u64(&f[0], "nonce")?;
        let gas_price = dec_u256(&f[1], "gasPrice")?;
        let gas = dec_u64(&f[2], "gas")?;
        let t = &f[3..];
        let mut ratio_at = None;
        let (kind, from) = match base {
            KaiaBase::ValueTransfer => {
                ratio_at = Some(3);
                (
                    KaiaKind::ValueTransfer {
                        to: dec_address(&t[0], "to")?,
                        value: dec_u256(&t[1], "value")?,
                    },
                    dec_address(&t[2], "from")?,
                )
            }
            KaiaBase::ValueTransferMemo | KaiaBase::SmartContractExecution => {
                ratio_at = Some(4);
                let (to, value) = (dec_address(&t[0], "to")?, dec_u256(&t[1], "value")?);
                let input = dec_bytes(&t[3], "input")?;
                let kind = if base == KaiaBase::ValueTransferMemo {
                    KaiaKind::ValueTransferMemo { to, value, input }
                } else {
                    KaiaKind::SmartContractExecution { to, value, input }
                };
                (kind, dec_address(&t[2], "from")?)
            }
            KaiaBase::AccountUpdate => {
                ratio_at = Some(2);
                let key = AccountKey::from_rlp_encoding(data(&t[1], "key")?)?;
                (KaiaKind::AccountUpdate { key }, dec_address(&t[0], "from")?)
            }
            KaiaBase::SmartContractDeploy => {
                let code_at = if has_ratio {
                    ratio_at = Some(5);
                    6
                } else {
                    5
                };
                (
                    KaiaKind::SmartContractDeploy {
                        to: dec_opt_address(&t[0], "to")?,
                        value: dec_u256(&t[1], "value")?,
                        input: dec_bytes(&t[3], "input")?,
                        human_readable: dec_bool(&t[4], "humanReadable")?,
                        code_format: dec_u8(&t[code_at], "codeFormat")?,
                    },
                    dec_address(&t[2], "from")?,
                )
            }
            KaiaBase::Cancel => {
                ratio_at = Some(1);
                (KaiaKind::Cancel, dec_address(&t[0], "from")?)
            }
        };
        let fee_ratio = match (has_ratio, ratio_at) {
            (true, Some(i)) => Some(FeeRatio::new(dec_u64(&t[i], "feeRatio")?)?),
            _ => None,
        };

        let signatures = dec_signatures(&f[n_fields], "txSignatures")?;
        let chain_id = chain_id_of(&signatures)?;
        let (fee, fee_payer_signatures) = if delegated {
            let (fee_payer, sigs) = if sender_only_form {
                (Address::ZERO, Vec::new())
            } else {
                (
                    dec_address(&f[n_fields + 1], "feePayer")?,
                    dec_signatures(&f[n_fields + 2], "feePayerSignatures")?,
                )
            };
            for sig in sigs.iter().filter(|s| !s.is_placeholder()) {
                sig.y_parity(chain_id, "feePayerSignatures.V")?;
            }
            let fee = match fee_ratio {
                Some(fee_ratio) => FeeDelegation::WithRatio { fee_payer, fee_ratio },
                None => FeeDelegation::Full { fee_payer },
            };
            (fee, sigs)
        } else {
            (FeeDelegation::None, Vec::new())
        };

        Ok(KaiaTx { chain_id, nonce, gas_price, gas, from, kind, fee, signatures, fee_payer_signatures })
    }
}

fn dec_signatures(item: &Rlp<'_>, what: &'static str) -> Result<Vec<TxSignature>, KaiaError> {
    list_items(item, what)?
        .iter()
        .map(|sig| {
            let f = list_exact(sig, what, 3)?;
            Ok(TxSignature { v: dec_u64(&f[0], "V")?, r: dec_u256(&f[1], "R")?, s: dec_u256(&f[2], "S")? })
        })
        .collect()
}

/// Chain id from the sender signatures' V values, which must all agree.
fn chain_id_of(sigs: &[TxSignature]) -> Result<u64, KaiaError> {
    let first = sigs.first().ok_or(KaiaError::NoChainId)?;
    if first.v < 35 {
        return Err(KaiaError::InvalidV {
            field: "txSignatures.V",
            v: first.v,
            expected: "chainId*2+35 or chainId*2+36".into(),
        });
    }
    let chain_id = (first.v - 35) / 2;
    eip155_v(chain_id, true)?;
    for sig in sigs {
        sig.y_parity(chain_id, "txSignatures.V")?;
    }
    Ok(chain_id)
}
