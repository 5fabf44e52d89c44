//! A signing session: the unlocked keys of one account, its role, the chain pin, the policy
//! and the audit log, applied to a stream of records. `evlock-sign` is a thin loop around it.
//!
//! Which keys sign: the sender's step uses the account's RoleTransaction keys, or its
//! RoleAccountUpdate keys for an account update; the fee payer's step its RoleFeePayer keys
//! (see [`AccountKeys`]). Every such key signs, and its signature is appended to those the
//! transaction has: a `signed_tx` of a Kaia type whose sender (or fee payer) is this account
//! takes this step's signatures after the ones already there, so the keys of a multisig
//! account may sign one after the other, in separate steps (a key whose signature is there
//! already does not sign again). The order is the order of signing, as with Kaia's SDK: it
//! does not matter to a node, which counts the keys, but it is part of the bytes and so of the
//! hash.

use std::time::SystemTime;

use alloy_primitives::Address;
use serde_json::{Map, Value};

use super::AccountKeys;
use crate::audit::{AuditEntry, AuditLog, now_rfc3339};
use crate::exit::{ErrorClass, ExitCode, Failure};
use crate::kaia::{KaiaError, KeyRole, Transaction, fields, tx_field};
use crate::market::v2::{ReceiptError, ReceiptRequest};
use crate::policy::{Policy, Request};
use crate::wire::{
    DERIVED_TX_FIELDS, DeliveryReceiptRecord, ENVELOPE_FIELDS, Record, RecordError, SignedTxRecord,
    check_record,
};

/// Which signature the session adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// The sending account signs a `tx` record.
    Sender,
    /// The fee payer adds its signature to a sender-signed `signed_tx` record.
    FeePayer,
}

impl Role {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Sender => "sender",
            Role::FeePayer => "fee-payer",
        }
    }
}

/// Why a record cannot be signed (besides the policy's and the key's own errors). Every
/// variant is bad input: exit 2.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The line is JSON but not an object.
    #[error("a record must be a JSON object")]
    NotAnObject,
    /// The record's `kind` or `v` is not one this role signs.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The sender's signature is already there.
    #[error("the transaction is already signed by {by}{hint}")]
    AlreadySigned {
        /// Who signed it, as far as it can be recovered.
        by: String,
        /// What to do instead.
        hint: &'static str,
    },
    /// A fee payer has signed already.
    #[error("a fee payer has already signed this transaction")]
    FeePayerSigned,
    /// The fee payer was given a record without a sender-signed `raw`.
    #[error("{0}")]
    Unsigned(&'static str),
    /// `from` is not an address.
    #[error("field `from`: {0}")]
    BadFrom(String),
    /// The record names another account than the key's.
    #[error("the transaction names {role} {named} but the key is {key}")]
    WrongSigner {
        /// `sender` or `fee payer`.
        role: &'static str,
        /// The account the record names.
        named: Address,
        /// The key's account.
        key: Address,
    },
    /// An Ethereum transaction type for an account none of whose keys is its own.
    #[error(
        "account {account} is decoupled (its keys are not its own address): an Ethereum transaction \
         type is sent from its key's own address, and Kaia takes it only from an account whose key is \
         legacy; use a Kaia type"
    )]
    EthereumTypeDecoupled {
        /// The account.
        account: Address,
    },
    /// A legacy transaction without a chain id could be replayed anywhere.
    #[error("a pre-EIP-155 legacy transaction (no chain id) can be replayed on any chain: give chain_id")]
    NoChainId,
    /// The record's chain id is not the one `--chain-id` pins.
    #[error("chain id {tx} of the transaction does not match --chain-id {pin}")]
    WrongChainId {
        /// The transaction's chain id.
        tx: u64,
        /// The pinned chain id.
        pin: u64,
    },
    /// `raw` is not hex.
    #[error("field `raw`: not hex: {0}")]
    BadRaw(String),
    /// A delivery receipt without a policy that allows receipts.
    #[error(
        "delivery receipts are signed only under a --policy with allow_receipts (a meter signs them from its own readings, not from piped figures)"
    )]
    ReceiptsNeedPolicy,
    /// A delivery receipt given to the fee-payer role.
    #[error("a delivery receipt is signed with --role sender (the meter's key), not as a fee payer")]
    ReceiptNotForFeePayer,
}

impl ErrorClass for SignError {
    fn exit_code(&self) -> ExitCode {
        match self {
            SignError::Record(inner) => inner.exit_code(),
            // Like a policy's denial: a definite no.
            SignError::ReceiptsNeedPolicy => ExitCode::No,
            _ => ExitCode::Usage,
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            SignError::NotAnObject => "bad_input",
            SignError::Record(inner) => inner.error_code(),
            SignError::AlreadySigned { .. } | SignError::FeePayerSigned => "already_signed",
            SignError::Unsigned(_) => "unsigned_tx",
            SignError::BadFrom(_) | SignError::NoChainId => "bad_tx",
            SignError::WrongSigner { .. } => "wrong_signer",
            SignError::EthereumTypeDecoupled { .. } => "decoupled_account",
            SignError::WrongChainId { .. } => "wrong_chain_id",
            SignError::BadRaw(_) => "bad_raw_tx",
            SignError::ReceiptsNeedPolicy => "policy_denied",
            SignError::ReceiptNotForFeePayer => "bad_input",
        }
    }
}

/// Whether a field of an input record is carried through to the `signed_tx` record: every
/// field but the envelope's, the transaction's (in any spelling), and those a signer derives
/// from the bytes again.
fn carried(key: &str) -> bool {
    !ENVELOPE_FIELDS.contains(&key) && tx_field(key).is_none() && !DERIVED_TX_FIELDS.contains(&key)
}

/// Everything a signing step needs, set up once.
pub struct Session {
    keys: AccountKeys,
    address: Address,
    /// The account, EIP-55; computed once since checksumming costs a keccak.
    address_text: String,
    role: Role,
    chain_id: Option<u64>,
    policy: Option<Policy>,
    audit: Option<AuditLog>,
}

impl Session {
    /// A session for the keys of one account (one signer, or [`AccountKeys`]) and a role,
    /// with an optional chain pin, policy and audit log. With both a policy window and an
    /// audit log, values approved within the window in earlier runs count again.
    pub fn new(
        keys: impl Into<AccountKeys>,
        role: Role,
        chain_id: Option<u64>,
        mut policy: Option<Policy>,
        audit: Option<AuditLog>,
    ) -> Self {
        if let (Some(policy), Some(log)) = (policy.as_mut(), audit.as_ref()) {
            let year_ago = SystemTime::now() - std::time::Duration::from_secs(366 * 24 * 3600);
            for (at, value) in log.approved_since(year_ago) {
                policy.remember_spent(at, value);
            }
        }
        let keys = keys.into();
        let address = keys.account();
        let address_text = address.to_checksum(None);
        Session { keys, address, address_text, role, chain_id, policy, audit }
    }

    /// The account the session signs for.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The role whose keys sign `tx` in this session's step.
    fn key_role(&self, tx: &Transaction) -> KeyRole {
        match self.role {
            Role::Sender => KeyRole::for_sender(tx.tx_type()),
            Role::FeePayer => KeyRole::FeePayer,
        }
    }

    /// The keys that add a signature to `tx` in this step (their own addresses, in order):
    /// the role's keys whose signature it does not carry yet. An Ethereum type takes one
    /// signature, by the account's own key.
    fn signing_keys(&self, tx: &Transaction) -> Result<Vec<Address>, Failure> {
        let role = self.key_role(tx);
        if !matches!(tx, Transaction::Kaia(_)) {
            return match self.keys.addresses(role).into_iter().find(|a| *a == self.address) {
                Some(own) => Ok(vec![own]),
                None => Err(SignError::EthereumTypeDecoupled { account: self.address }.into()),
            };
        }
        let present = match self.role {
            Role::Sender if tx.has_sender_signature() => tx.recover_sender_keys()?,
            Role::FeePayer if tx.has_fee_payer_signature() => tx.recover_fee_payer_keys()?,
            _ => Vec::new(),
        };
        let present: Vec<Address> = present.iter().map(|k| k.address()).collect();
        let keys: Vec<Address> =
            self.keys.addresses(role).into_iter().filter(|a| !present.contains(a)).collect();
        if keys.is_empty() {
            return Err(match self.role {
                Role::Sender => SignError::AlreadySigned {
                    by: self.address_text.clone(),
                    hint: " (every key of this account has signed it)",
                },
                Role::FeePayer => SignError::FeePayerSigned,
            }
            .into());
        }
        Ok(keys)
    }

    /// Signs one input record (line `line` of the input) and returns the output record.
    pub fn sign_record(&mut self, record: Value, line: u64) -> Result<SignedTxRecord, Failure> {
        let Value::Object(mut fields) = record else {
            return Err(SignError::NotAnObject.into());
        };
        // A `tx` record reaches the fee payer's check, which says what to pipe instead.
        check_record(&fields, &["tx", "signed_tx", DeliveryReceiptRecord::KIND]).map_err(SignError::from)?;
        let meta = fields.remove("meta");
        let extra: Map<String, Value> =
            fields.iter().filter(|(k, _)| carried(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
        let tx = match self.role {
            Role::Sender => self.prepare_sender(&mut fields)?,
            Role::FeePayer => self.prepare_fee_payer(&fields)?,
        };
        let signing = self.signing_keys(&tx)?;
        // Built only when there is a log: its checksummed addresses cost hashes.
        let mut entry = self.audit.is_some().then(|| self.audit_entry(&tx, &signing, line, meta.clone()));
        if let Err(failure) = self.check_policy(&tx) {
            if let Some(entry) = entry.as_mut() {
                entry.decision = "denied".into();
                entry.reason = Some(failure.to_string());
            }
            self.write_audit(entry.as_ref())?;
            return Err(failure);
        }
        let digest = match self.role {
            Role::Sender => tx.sig_hash(),
            Role::FeePayer => tx.fee_payer_sig_hash()?,
        };
        let mut tx = tx;
        let role = self.key_role(&tx);
        for (address, signer) in self.keys.for_role(role) {
            if !signing.contains(&address) {
                continue;
            }
            let signature = signer.sign_digest(&digest)?;
            match self.role {
                Role::Sender => tx.add_sender_signature(signature)?,
                Role::FeePayer => tx.add_fee_payer_signature(signature)?,
            }
        }
        let raw = tx.raw()?;
        let hash = tx.tx_hash()?;
        if let Some(entry) = entry.as_mut() {
            entry.sig_hash = Some(digest.to_string());
            entry.tx_hash = Some(hash.to_string());
        }
        // The audit line is on disk before the signature leaves this process.
        self.write_audit(entry.as_ref())?;
        let from = tx.from_address().or_else(|| tx.recover_sender().ok()).unwrap_or(self.address);
        let checksum =
            |a: Address| if a == self.address { self.address_text.clone() } else { a.to_checksum(None) };
        Ok(SignedTxRecord {
            tx_type: tx.tx_type().name().to_string(),
            role: self.role.as_str().to_string(),
            chain_id: tx.chain_id().unwrap_or_default().to_string(),
            from: checksum(from),
            fee_payer: tx.fee_payer().map(checksum),
            nonce: tx.nonce().to_string(),
            raw: format!("0x{}", hex::encode(&raw)),
            hash: hash.to_string(),
            sender_tx_hash: tx.sender_tx_hash()?.to_string(),
            signer: checksum(signing[0]),
            signers: (signing.len() > 1).then(|| signing.iter().map(|a| checksum(*a)).collect()),
            policy_sha256: self.policy.as_ref().map(|p| p.sha256().to_string()),
            meta,
            extra,
        })
    }

    /// Whether a record is a delivery receipt (for [`Session::sign_receipt`]).
    pub fn is_receipt(record: &Value) -> bool {
        record.get("kind").and_then(Value::as_str) == Some(DeliveryReceiptRecord::KIND)
    }

    /// Signs an unsigned `delivery_receipt` record (EnergyMarketV2's EIP-712 digest), only
    /// under a policy that allows receipts for its market and chain. `meter` defaults to the
    /// key's own address and `chain_id` to `--chain-id`.
    pub fn sign_receipt(&mut self, record: Value, line: u64) -> Result<DeliveryReceiptRecord, Failure> {
        let Value::Object(mut fields) = record else {
            return Err(SignError::NotAnObject.into());
        };
        check_record(&fields, &[DeliveryReceiptRecord::KIND]).map_err(SignError::from)?;
        if self.role == Role::FeePayer {
            return Err(SignError::ReceiptNotForFeePayer.into());
        }
        if fields.contains_key("r") || fields.contains_key("s") {
            return Err(SignError::AlreadySigned {
                by: "a meter".into(),
                hint: " (a receipt is signed once)",
            }
            .into());
        }
        fields.entry("meter").or_insert_with(|| Value::String(self.address_text.clone()));
        if let Some(pin) = self.chain_id {
            fields.entry("chain_id").or_insert_with(|| Value::String(pin.to_string()));
        }
        let unsigned: DeliveryReceiptRecord = serde_json::from_value(Value::Object(fields))
            .map_err(|e| Failure::from(ReceiptError::Field { field: "record", reason: e.to_string() }))?;
        let request = ReceiptRequest::from_record(&unsigned)?;
        if let Some(pin) = self.chain_id
            && request.chain_id != pin
        {
            return Err(SignError::WrongChainId { tx: request.chain_id, pin }.into());
        }
        let digest = request.digest();
        let mut entry = self.audit.is_some().then(|| AuditEntry {
            time: now_rfc3339(),
            decision: "approved".into(),
            reason: None,
            role: self.role.as_str().into(),
            signer: self.address_text.clone(),
            signers: None,
            account: None,
            line,
            tx_type: Some(DeliveryReceiptRecord::KIND.into()),
            chain_id: Some(request.chain_id),
            from: Some(request.receipt.meter.to_checksum(None)),
            to: Some(request.market.to_checksum(None)),
            value: None,
            nonce: None,
            gas: None,
            gas_price: None,
            selector: None,
            sig_hash: Some(digest.to_string()),
            tx_hash: None,
            policy_sha256: self.policy.as_ref().map(|p| p.sha256().to_string()),
            meta: unsigned.meta.clone(),
        });
        let verdict = match self.policy.as_ref() {
            None => Err(Failure::from(SignError::ReceiptsNeedPolicy)),
            Some(policy) => policy.check_receipt(request.chain_id, request.market).map_err(Failure::from),
        };
        if let Err(failure) = verdict {
            if let Some(entry) = entry.as_mut() {
                entry.decision = "denied".into();
                entry.reason = Some(failure.to_string());
            }
            self.write_audit(entry.as_ref())?;
            return Err(failure);
        }
        // The account's transaction key signs: the contract checks the meter's signing address,
        // which is this key's own address (after a key rotation, `setMeterSigner` names it).
        let (key_address, signer) = self
            .keys
            .for_role(KeyRole::Transaction)
            .next()
            .ok_or(SignError::Unsigned("the account has no transaction key to sign the receipt with"))?;
        let signature = signer.sign_digest(&digest)?;
        self.write_audit(entry.as_ref())?;
        Ok(request.signed_record(&signature, key_address, unsigned.meta))
    }

    /// Signs the receipt of a delivery session for what its own meter measured: no policy is
    /// asked, because the figure comes from the session's own readings, never from a record
    /// (a piped `delivery_receipt` goes through [`Session::sign_receipt`] and its policy).
    /// The account's transaction key signs.
    pub fn sign_measured_receipt(
        &mut self,
        request: &ReceiptRequest,
    ) -> Result<DeliveryReceiptRecord, Failure> {
        let (key_address, signer) = self
            .keys
            .for_role(KeyRole::Transaction)
            .next()
            .ok_or(SignError::Unsigned("the account has no transaction key to sign the receipt with"))?;
        let signature = signer.sign_digest(&request.digest())?;
        Ok(request.signed_record(&signature, key_address, None))
    }

    /// A sender signs a `tx` record: fills `from` and `chain_id` when absent, refuses a
    /// transaction of another account or one already signed by another account. A signed
    /// Kaia transaction of this account takes more signatures (a multisig account's keys).
    fn prepare_sender(&self, fields: &mut Map<String, Value>) -> Result<Transaction, Failure> {
        if let Some(raw) = fields.get("raw").and_then(Value::as_str) {
            let tx = decode_hex_tx(raw)?;
            let cosigning = matches!(tx, Transaction::Kaia(_)) && tx.from_address() == Some(self.address);
            if tx.has_sender_signature() && !cosigning {
                let by = tx
                    .recover_sender()
                    .map(|a| a.to_checksum(None))
                    .unwrap_or_else(|_| "an unknown key".into());
                let hint = if tx.tx_type().is_fee_delegated() {
                    " (the fee payer signs with --role fee-payer)"
                } else {
                    ""
                };
                return Err(SignError::AlreadySigned { by, hint }.into());
            }
            if let Some(from) = tx.from_address()
                && from != self.address
            {
                return Err(SignError::WrongSigner { role: "sender", named: from, key: self.address }.into());
            }
            self.check_chain(&tx)?;
            return Ok(tx);
        }
        let own = Value::String(self.address_text.clone());
        match fields.get(fields::FROM.name) {
            None | Some(Value::Null) => {
                fields.insert(fields::FROM.name.into(), own);
            }
            Some(Value::String(text)) => {
                let from = crate::wire::parse_address(text).map_err(|e| SignError::BadFrom(e.to_string()))?;
                if from != self.address {
                    return Err(
                        SignError::WrongSigner { role: "sender", named: from, key: self.address }.into()
                    );
                }
            }
            Some(other) => {
                return Err(SignError::BadFrom(format!(
                    "expected an address, got {}",
                    crate::exit::excerpt(&other.to_string())
                ))
                .into());
            }
        }
        if let Some(pin) = self.chain_id
            && !fields::CHAIN_ID.spellings().any(|name| fields.contains_key(name))
        {
            fields.insert(fields::CHAIN_ID.name.into(), Value::String(pin.to_string()));
        }
        let tx = Transaction::from_json_value(&Value::Object(std::mem::take(fields)))?;
        self.check_chain(&tx)?;
        Ok(tx)
    }

    /// A fee payer signs a sender-signed raw transaction that names it as fee payer.
    fn prepare_fee_payer(&self, fields: &Map<String, Value>) -> Result<Transaction, Failure> {
        let raw = fields.get("raw").and_then(Value::as_str).ok_or(SignError::Unsigned(
            "the fee payer signs a sender-signed transaction: give a signed_tx record with `raw` \
             (pipe `evlock-sign --role sender` into `evlock-sign --role fee-payer`)",
        ))?;
        let mut tx = decode_hex_tx(raw)?;
        if !tx.tx_type().is_fee_delegated() {
            return Err(KaiaError::NotFeeDelegated(tx.tx_type().name()).into());
        }
        if !tx.has_sender_signature() {
            return Err(SignError::Unsigned("the sender has not signed this transaction yet").into());
        }
        tx.recover_sender()?;
        // Another account's fee payer signature is final; this account's keys may add theirs.
        if tx.has_fee_payer_signature() && tx.fee_payer() != Some(self.address) {
            return Err(SignError::FeePayerSigned.into());
        }
        // A sender-only raw without fee payer fields leaves the fee payer to whoever pays.
        if tx.fee_payer().is_none() {
            tx.set_fee_payer(self.address)?;
        }
        if let Some(payer) = tx.fee_payer()
            && payer != self.address
        {
            return Err(SignError::WrongSigner { role: "fee payer", named: payer, key: self.address }.into());
        }
        self.check_chain(&tx)?;
        Ok(tx)
    }

    fn check_chain(&self, tx: &Transaction) -> Result<(), Failure> {
        match (tx.chain_id(), self.chain_id) {
            (None, _) => Err(SignError::NoChainId.into()),
            (Some(id), Some(pin)) if id != pin => Err(SignError::WrongChainId { tx: id, pin }.into()),
            _ => Ok(()),
        }
    }

    fn check_policy(&mut self, tx: &Transaction) -> Result<(), Failure> {
        let Some(policy) = self.policy.as_mut() else { return Ok(()) };
        let input = tx.input();
        let request = Request {
            chain_id: tx.chain_id().unwrap_or_default(),
            tx_type: tx.tx_type().name().to_string(),
            // Account updates and cancels have no recipient: they act on the signer's own account.
            to: if tx.is_deploy() { None } else { Some(tx.to().unwrap_or(self.address)) },
            value: tx.value(),
            input_selector: (!tx.is_deploy())
                .then(|| input.get(..4).map(|s| s.try_into().unwrap()))
                .flatten(),
            input_empty: input.is_empty(),
            gas: tx.gas(),
            gas_price: tx.max_gas_price(),
        };
        policy.check(&request, SystemTime::now()).map_err(Failure::from)
    }

    fn audit_entry(
        &self,
        tx: &Transaction,
        signing: &[Address],
        line: u64,
        meta: Option<Value>,
    ) -> AuditEntry {
        let first = signing.first().copied().unwrap_or(self.address);
        AuditEntry {
            time: now_rfc3339(),
            decision: "approved".into(),
            reason: None,
            role: self.role.as_str().into(),
            signer: first.to_checksum(None),
            signers: (signing.len() > 1).then(|| signing.iter().map(|a| a.to_checksum(None)).collect()),
            account: (first != self.address).then(|| self.address_text.clone()),
            line,
            tx_type: Some(tx.tx_type().name().into()),
            chain_id: tx.chain_id(),
            from: tx.from_address().map(|a| a.to_checksum(None)),
            to: tx.to().map(|a| a.to_checksum(None)),
            value: Some(tx.value().to_string()),
            nonce: Some(tx.nonce().to_string()),
            gas: Some(tx.gas().to_string()),
            gas_price: Some(tx.max_gas_price().to_string()),
            selector: tx
                .input()
                .get(..4)
                .filter(|_| !tx.is_deploy())
                .map(|s| format!("0x{}", hex::encode(s))),
            sig_hash: None,
            tx_hash: None,
            policy_sha256: self.policy.as_ref().map(|p| p.sha256().to_string()),
            meta,
        }
    }

    fn write_audit(&mut self, entry: Option<&AuditEntry>) -> Result<(), Failure> {
        match (self.audit.as_mut(), entry) {
            (Some(log), Some(entry)) => log.append(entry).map_err(Failure::from),
            _ => Ok(()),
        }
    }
}

/// Decodes 0x-hex raw transaction bytes.
pub fn decode_hex_tx(raw: &str) -> Result<Transaction, Failure> {
    let digits = raw.trim().strip_prefix("0x").unwrap_or(raw.trim());
    let bytes = hex::decode(digits).map_err(|e| SignError::BadRaw(e.to_string()))?;
    Ok(Transaction::decode_raw(&bytes)?)
}
