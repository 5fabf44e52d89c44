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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SecretKey;
    use crate::signer::KeystoreSigner;
    use serde_json::json;

    const TO: &str = "0x7b65B75d204aBed71587c9E519a89277766EE1d0";
    const MARKET: &str = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

    fn key(byte: u8) -> SecretKey {
        SecretKey::from_bytes(&[byte; 32]).unwrap()
    }

    fn own(byte: u8) -> AccountKeys {
        AccountKeys::single(Box::new(KeystoreSigner::from_key(key(byte))))
    }

    /// Keys `bytes` of one multisig account (the first key's address).
    fn multisig(bytes: &[u8]) -> AccountKeys {
        let account = key(bytes[0]).address();
        bytes
            .iter()
            .fold(None, |keys: Option<AccountKeys>, byte| {
                let next = AccountKeys::single(Box::new(KeystoreSigner::for_account(key(*byte), account)));
                Some(match keys {
                    None => next,
                    Some(keys) => keys.combine(next).unwrap(),
                })
            })
            .unwrap()
    }

    fn sender(keys: AccountKeys) -> Session {
        Session::new(keys, Role::Sender, Some(31337), None, None)
    }

    /// A sender pinned to chain 31337 under `rules`, writing its audit log to `log`.
    fn audited(keys: AccountKeys, rules: Option<Policy>, log: &std::path::Path) -> Session {
        Session::new(keys, Role::Sender, Some(31337), rules, Some(AuditLog::open(log).unwrap()))
    }

    fn transfer(tx_type: &str) -> Value {
        json!({"kind": "tx", "v": 1, "type": tx_type, "chain_id": "31337", "nonce": "3",
               "gas": "21000", "gas_price": "25000000000", "to": TO, "value": "1000"})
    }

    fn policy(text: &str) -> Policy {
        Policy::parse(text.as_bytes(), std::path::Path::new("test.toml")).unwrap()
    }

    #[track_caller]
    fn refused(result: Result<impl std::fmt::Debug, Failure>, code: &str, exit: ExitCode) -> String {
        let failure = result.unwrap_err();
        assert_eq!((failure.code, failure.exit), (code, exit), "{failure}");
        failure.to_string()
    }

    fn audit_lines(path: &std::path::Path) -> Vec<Value> {
        std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    #[test]
    fn a_sender_signs_fills_from_and_chain_and_carries_the_other_fields() {
        let mut session = sender(own(1));
        let mut tx = transfer("value_transfer");
        tx.as_object_mut().unwrap().remove("chain_id");
        tx["meta"] = json!({"order": 7});
        tx["invoice"] = json!("A-17");
        tx["hash"] = json!("0xdead");
        let signed = session.sign_record(tx, 1).unwrap();
        let me = key(1).address().to_checksum(None);
        assert_eq!(
            (signed.role.as_str(), signed.from.as_str(), signed.signer.as_str()),
            ("sender", &*me, &*me)
        );
        assert_eq!((signed.chain_id.as_str(), signed.nonce.as_str()), ("31337", "3"));
        assert_eq!(signed.meta, Some(json!({"order": 7})));
        // Only fields that are neither the envelope's, the transaction's nor derived are carried.
        assert_eq!(signed.extra, json!({"invoice": "A-17"}).as_object().unwrap().clone());
        assert_eq!(signed.signers, None);
        let tx = decode_hex_tx(&format!("  {}\n", signed.raw)).unwrap();
        assert_eq!(tx.recover_sender().unwrap(), key(1).address());
        assert_eq!(tx.tx_hash().unwrap().to_string(), signed.hash);
        assert_eq!(
            decode_hex_tx(signed.raw.trim_start_matches("0x")).unwrap().raw().unwrap(),
            tx.raw().unwrap()
        );
        assert_eq!(session.address(), key(1).address());
        assert!(carried("invoice") && !carried("meta") && !carried("chainId") && !carried("raw"));
        assert_eq!(Role::FeePayer.as_str(), "fee-payer");
    }

    #[test]
    fn the_chain_pin_and_a_missing_chain_id_are_enforced() {
        let mut session = sender(own(1));
        let mut other = transfer("value_transfer");
        other["chain_id"] = json!("1001");
        let message = refused(session.sign_record(other, 1), "wrong_chain_id", ExitCode::Usage);
        assert!(message.contains("1001") && message.contains("31337"), "{message}");
        // Without a pin any chain is signed; a legacy transaction without one never.
        let mut unpinned = Session::new(own(1), Role::Sender, None, None, None);
        // (An explicit null chain id is a pre-EIP-155 transaction; a missing one is an error.)
        let mut legacy = transfer("legacy");
        legacy["chain_id"] = Value::Null;
        let message = refused(unpinned.sign_record(legacy.clone(), 1), "bad_tx", ExitCode::Usage);
        assert!(message.contains("replayed on any chain"), "{message}");
        let message = refused(session.sign_record(legacy, 1), "bad_tx", ExitCode::Usage);
        assert!(message.contains("replayed on any chain"), "{message}");
        let mut elsewhere = transfer("value_transfer");
        elsewhere["chain_id"] = json!("1001");
        assert_eq!(unpinned.sign_record(elsewhere, 1).unwrap().chain_id, "1001");
    }

    #[test]
    fn a_sender_refuses_another_accounts_transaction() {
        let mut session = sender(own(1));
        let mut tx = transfer("value_transfer");
        tx["from"] = json!(key(2).address().to_checksum(None));
        refused(session.sign_record(tx.clone(), 1), "wrong_signer", ExitCode::Usage);
        tx["from"] = json!("0x12");
        refused(session.sign_record(tx.clone(), 1), "bad_tx", ExitCode::Usage);
        tx["from"] = json!(7);
        refused(session.sign_record(tx.clone(), 1), "bad_tx", ExitCode::Usage);
        tx["from"] = Value::Null;
        assert_eq!(session.sign_record(tx, 1).unwrap().from, key(1).address().to_checksum(None));
        refused(session.sign_record(json!([1]), 1), "bad_input", ExitCode::Usage);
        let mut wrong_kind = transfer("value_transfer");
        wrong_kind["kind"] = json!("reading");
        assert_eq!(session.sign_record(wrong_kind, 1).unwrap_err().exit, ExitCode::Usage);
    }

    #[test]
    fn a_signed_raw_takes_this_accounts_further_keys_but_never_anothers_signature() {
        // Another account's signed transaction is refused, naming who signed (and, for a
        // fee-delegated type, what to do).
        let theirs = sender(own(2)).sign_record(transfer("fee_delegated_value_transfer"), 1).unwrap();
        let record = json!({"kind": "signed_tx", "v": 1, "raw": theirs.raw});
        let message = refused(sender(own(1)).sign_record(record, 1), "already_signed", ExitCode::Usage);
        assert!(message.contains(&theirs.from) && message.contains("--role fee-payer"), "{message}");
        let plain = sender(own(2)).sign_record(transfer("legacy"), 1).unwrap();
        let message = refused(
            sender(own(1)).sign_record(json!({"kind": "signed_tx", "v": 1, "raw": plain.raw}), 1),
            "already_signed",
            ExitCode::Usage,
        );
        assert!(!message.contains("--role fee-payer"), "{message}");

        // A multisig account's keys sign in steps; a key that signed does not sign again.
        let first = sender(multisig(&[1])).sign_record(transfer("value_transfer"), 1).unwrap();
        let mut both = sender(multisig(&[1, 2]));
        let raw = json!({"kind": "signed_tx", "v": 1, "raw": first.raw});
        let second = both.sign_record(raw, 1).unwrap();
        assert_eq!(second.signer, key(2).address().to_checksum(None));
        let tx = decode_hex_tx(&second.raw).unwrap();
        let signers: Vec<Address> = tx.recover_sender_keys().unwrap().iter().map(|k| k.address()).collect();
        assert_eq!(signers, [key(1).address(), key(2).address()]);
        let again = json!({"kind": "signed_tx", "v": 1, "raw": second.raw});
        let message = refused(both.sign_record(again, 1), "already_signed", ExitCode::Usage);
        assert!(message.contains("every key"), "{message}");
        // Both keys at once: two signatures, both named.
        let at_once = sender(multisig(&[1, 2])).sign_record(transfer("value_transfer"), 1).unwrap();
        let named = [key(1).address().to_checksum(None), key(2).address().to_checksum(None)];
        assert_eq!(at_once.signers, Some(named.to_vec()));
        // A chain pin holds for a raw too.
        let mut elsewhere = transfer("value_transfer");
        elsewhere["chain_id"] = json!("1001");
        let far =
            Session::new(multisig(&[1]), Role::Sender, None, None, None).sign_record(elsewhere, 1).unwrap();
        let raw = json!({"kind": "signed_tx", "v": 1, "raw": far.raw});
        refused(sender(multisig(&[1, 2])).sign_record(raw, 1), "wrong_chain_id", ExitCode::Usage);
    }

    #[test]
    fn an_ethereum_type_is_signed_by_the_accounts_own_key_only() {
        let account = key(1).address();
        let decoupled = AccountKeys::single(Box::new(KeystoreSigner::for_account(key(9), account)));
        let mut session = sender(decoupled);
        let message =
            refused(session.sign_record(transfer("legacy"), 1), "decoupled_account", ExitCode::Usage);
        assert!(message.contains(&account.to_checksum(None)), "{message}");
        // The same decoupled key signs a Kaia type for its account.
        let signed = session.sign_record(transfer("value_transfer"), 1).unwrap();
        assert_eq!(signed.from, account.to_checksum(None));
        assert_eq!(signed.signer, key(9).address().to_checksum(None));
        // A multisig account's own key signs its Ethereum-type transactions alone.
        let mut multi = sender(multisig(&[1, 2]));
        let signed = multi.sign_record(transfer("legacy"), 1).unwrap();
        assert_eq!((signed.signer, signed.signers), (account.to_checksum(None), None));
    }

    #[test]
    fn a_fee_payer_signs_only_a_sender_signed_fee_delegated_transaction_that_names_it() {
        let payer = key(5).address();
        let mut tx = transfer("fee_delegated_value_transfer");
        tx["fee_payer"] = json!(payer.to_checksum(None));
        let sent = sender(own(1)).sign_record(tx.clone(), 1).unwrap();
        let record = |raw: &str| json!({"kind": "signed_tx", "v": 1, "raw": raw, "note": "n"});
        let mut fee_payer = Session::new(own(5), Role::FeePayer, Some(31337), None, None);
        let paid = fee_payer.sign_record(record(&sent.raw), 2).unwrap();
        assert_eq!(
            (paid.role.as_str(), paid.fee_payer.as_deref()),
            ("fee-payer", Some(&*payer.to_checksum(None)))
        );
        assert_eq!(paid.sender_tx_hash, sent.sender_tx_hash);
        assert_ne!(paid.hash, sent.hash);
        assert_eq!(paid.extra["note"], "n");
        let both = decode_hex_tx(&paid.raw).unwrap();
        assert_eq!(both.recover_fee_payer_keys().unwrap()[0].address(), payer);
        // Signed once by this payer: it does not sign again; another payer never.
        refused(fee_payer.sign_record(record(&paid.raw), 3), "already_signed", ExitCode::Usage);
        let mut other = Session::new(own(6), Role::FeePayer, Some(31337), None, None);
        refused(other.sign_record(record(&paid.raw), 3), "already_signed", ExitCode::Usage);
        refused(other.sign_record(record(&sent.raw), 3), "wrong_signer", ExitCode::Usage);
        // Without a fee payer named, whoever pays is named.
        let open = sender(own(1)).sign_record(transfer("fee_delegated_value_transfer"), 1).unwrap();
        let taken = other.sign_record(record(&open.raw), 4).unwrap();
        assert_eq!(taken.fee_payer, Some(key(6).address().to_checksum(None)));
        // Nothing to pay for: an unsigned record, a type without delegation.
        refused(other.sign_record(tx.clone(), 5), "unsigned_tx", ExitCode::Usage);
        let plain = sender(own(1)).sign_record(transfer("value_transfer"), 1).unwrap();
        assert_eq!(fee_payer.sign_record(record(&plain.raw), 7).unwrap_err().code, "not_fee_delegated");
        // The pin holds for the fee payer too.
        let mut elsewhere = tx;
        elsewhere["chain_id"] = json!("1001");
        let far = Session::new(own(1), Role::Sender, None, None, None).sign_record(elsewhere, 1).unwrap();
        refused(fee_payer.sign_record(record(&far.raw), 8), "wrong_chain_id", ExitCode::Usage);
        refused(fee_payer.sign_record(record("0xzz"), 9), "bad_raw_tx", ExitCode::Usage);
    }

    #[test]
    fn the_policy_decides_and_the_audit_log_has_every_decision_with_its_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.ndjson");
        let rules = policy(&format!(
            "chain_ids = [31337]\nmax_value = 5000\n[[allow]]\nto = \"{TO}\"\nselectors = [\"0xa9059cbb\"]\n"
        ));
        let digest = rules.sha256().to_string();
        let mut session = audited(own(1), Some(rules), &path);
        let mut big = transfer("value_transfer");
        big["value"] = json!("5001");
        big["meta"] = json!({"n": 2});
        let message = refused(session.sign_record(big, 2), "policy_denied", ExitCode::No);
        assert!(message.contains("max_value"), "{message}");
        let mut call = transfer("smart_contract_execution");
        call["input"] = json!("0xa9059cbb00");
        call["value"] = json!("0");
        let signed = session.sign_record(call, 3).unwrap();
        assert_eq!(signed.policy_sha256.as_deref(), Some(digest.as_str()));
        let mut elsewhere = transfer("value_transfer");
        elsewhere["to"] = json!(MARKET);
        refused(session.sign_record(elsewhere, 4), "policy_denied", ExitCode::No);

        let entries = audit_lines(&path);
        let decisions: Vec<&str> = entries.iter().map(|e| e["decision"].as_str().unwrap()).collect();
        assert_eq!(decisions, ["denied", "approved", "denied"]);
        let (denied, approved) = (&entries[0], &entries[1]);
        assert!(denied["reason"].as_str().unwrap().contains("max_value"));
        assert_eq!((denied["line"].clone(), denied["meta"].clone()), (json!(2), json!({"n": 2})));
        assert_eq!(denied["value"], "5001");
        assert!(denied.get("tx_hash").is_none() && denied.get("sig_hash").is_none());
        let me = key(1).address().to_checksum(None);
        assert_eq!(approved["signer"], me.as_str());
        assert!(approved.get("account").is_none() && approved.get("signers").is_none());
        assert_eq!(approved["tx_hash"], signed.hash.as_str());
        let tx = decode_hex_tx(&signed.raw).unwrap();
        assert_eq!(approved["sig_hash"], tx.sig_hash().to_string().as_str());
        assert_eq!(approved["selector"], "0xa9059cbb");
        assert_eq!(approved["to"], TO);
        assert_eq!(approved["from"], me.as_str());
        assert_eq!(
            (approved["chain_id"].clone(), approved["tx_type"].clone()),
            (json!(31337), json!("smart_contract_execution"))
        );
        assert_eq!((approved["nonce"].clone(), approved["gas"].clone()), (json!("3"), json!("21000")));
        assert_eq!(approved["gas_price"], "25000000000");
        assert_eq!(approved["policy_sha256"], digest.as_str());
        assert_eq!(approved["role"], "sender");

        // Values approved within the window in earlier runs count again after a restart.
        let window = format!(
            "chain_ids = [31337]\n[[allow]]\nto = \"{TO}\"\n[window]\nseconds = 3600\nmax_value = 1500\n"
        );
        let log = dir.path().join("window.ndjson");
        let mut first = audited(own(1), Some(policy(&window)), &log);
        first.sign_record(transfer("value_transfer"), 1).unwrap();
        drop(first);
        let mut again = audited(own(1), Some(policy(&window)), &log);
        refused(again.sign_record(transfer("value_transfer"), 1), "policy_denied", ExitCode::No);
    }

    #[test]
    fn a_multisig_accounts_audit_names_the_account_and_every_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.ndjson");
        let account = key(3).address();
        let keys = AccountKeys::single(Box::new(KeystoreSigner::for_account(key(1), account)))
            .combine(AccountKeys::single(Box::new(KeystoreSigner::for_account(key(2), account))))
            .unwrap();
        let mut session = audited(keys, None, &path);
        let mut deploy = transfer("smart_contract_deploy");
        deploy.as_object_mut().unwrap().remove("to");
        deploy["input"] = json!("0x6080604052");
        deploy["value"] = json!("0");
        deploy["human_readable"] = json!(false);
        deploy["code_format"] = json!(0);
        let signed = session.sign_record(deploy, 1).unwrap();
        let entry = &audit_lines(&path)[0];
        assert_eq!(entry["account"], account.to_checksum(None).as_str());
        assert_eq!(entry["signer"], key(1).address().to_checksum(None).as_str());
        let named = json!([key(1).address().to_checksum(None), key(2).address().to_checksum(None)]);
        assert_eq!(entry["signers"], named);
        assert_eq!(serde_json::to_value(&signed.signers).unwrap(), named);
        assert!(entry.get("selector").is_none(), "a deployment's input has no selector: {entry}");
        assert!(entry.get("policy_sha256").is_none());
    }

    #[test]
    fn receipts_are_signed_only_under_a_policy_for_their_market_and_chain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.ndjson");
        let unsigned = json!({"kind": "delivery_receipt", "v": 1, "market": MARKET, "trade_id": "4",
                              "cumulative_wh": "250", "meta": {"seq": 9}});
        assert!(Session::is_receipt(&unsigned) && !Session::is_receipt(&transfer("legacy")));
        // No policy: refused like a policy's denial, and the log says so.
        let mut bare = audited(own(1), None, &path);
        refused(bare.sign_receipt(unsigned.clone(), 1), "policy_denied", ExitCode::No);
        drop(bare);
        let bench =
            policy(&format!("chain_ids = [31337]\nallow_receipts = true\nreceipt_markets = [\"{MARKET}\"]"));
        let mut meter = audited(own(1), Some(bench), &path);
        let signed = meter.sign_receipt(unsigned.clone(), 2).unwrap();
        // The meter and chain default to the key's and the pin; the signature recovers to the key.
        assert_eq!(
            (signed.meter.clone(), signed.chain_id.as_str()),
            (key(1).address().to_checksum(None), "31337")
        );
        assert_eq!(signed.meta, Some(json!({"seq": 9})));
        let (request, receipt) = crate::market::v2::SignedReceipt::from_record(&signed).unwrap();
        assert_eq!(receipt.signature.recover_address(&request.digest()).unwrap(), key(1).address());
        let entries = audit_lines(&path);
        assert_eq!(
            entries.iter().map(|e| e["decision"].as_str().unwrap()).collect::<Vec<_>>(),
            ["denied", "approved"]
        );
        assert!(entries[0]["reason"].as_str().unwrap().contains("allow_receipts"));
        let entry = &entries[1];
        assert_eq!((entry["tx_type"].clone(), entry["line"].clone()), (json!("delivery_receipt"), json!(2)));
        assert_eq!((entry["to"].clone(), entry["chain_id"].clone()), (json!(MARKET), json!(31337)));
        assert_eq!(entry["sig_hash"], request.digest().to_string().as_str());
        assert_eq!(entry["meta"], json!({"seq": 9}));

        let mut other_market = unsigned.clone();
        other_market["market"] = json!(TO);
        refused(meter.sign_receipt(other_market, 3), "policy_denied", ExitCode::No);
        let mut other_chain = unsigned.clone();
        other_chain["chain_id"] = json!("1001");
        refused(meter.sign_receipt(other_chain, 4), "wrong_chain_id", ExitCode::Usage);
        for half in ["r", "s"] {
            let mut half_signed = unsigned.clone();
            half_signed[half] = json!(format!("0x{}", "11".repeat(32)));
            refused(meter.sign_receipt(half_signed, 5), "already_signed", ExitCode::Usage);
        }
        let mut signed_again = serde_json::to_value(&signed).unwrap();
        signed_again["kind"] = json!("delivery_receipt");
        signed_again["v"] = json!(1);
        refused(meter.sign_receipt(signed_again, 5), "already_signed", ExitCode::Usage);
        let mut fee_payer = Session::new(own(1), Role::FeePayer, Some(31337), None, None);
        refused(fee_payer.sign_receipt(unsigned.clone(), 6), "bad_input", ExitCode::Usage);
        refused(meter.sign_receipt(json!("x"), 7), "bad_input", ExitCode::Usage);
        let mut bad = unsigned;
        bad["trade_id"] = json!(4);
        refused(meter.sign_receipt(bad, 8), "bad_receipt", ExitCode::Usage);

        // A delivery session's own figure: no policy asked, the transaction key signs.
        let measured = meter.sign_measured_receipt(&request).unwrap();
        assert_eq!(
            crate::market::v2::SignedReceipt::from_record(&measured)
                .unwrap()
                .1
                .signature
                .recover_address(&request.digest())
                .unwrap(),
            key(1).address()
        );
        assert_eq!(measured.signer, Some(key(1).address().to_checksum(None)));
    }

    #[test]
    fn every_sign_error_has_its_exit_and_code() {
        let cases: [(SignError, ExitCode, &str); 6] = [
            (SignError::NotAnObject, ExitCode::Usage, "bad_input"),
            (SignError::ReceiptsNeedPolicy, ExitCode::No, "policy_denied"),
            (SignError::ReceiptNotForFeePayer, ExitCode::Usage, "bad_input"),
            (SignError::NoChainId, ExitCode::Usage, "bad_tx"),
            (
                SignError::EthereumTypeDecoupled { account: Address::ZERO },
                ExitCode::Usage,
                "decoupled_account",
            ),
            (SignError::Unsigned("x"), ExitCode::Usage, "unsigned_tx"),
        ];
        for (error, exit, code) in cases {
            assert_eq!((error.exit_code(), error.error_code()), (exit, code), "{error}");
        }
        let record = SignError::Record(RecordError::WrongVersion { found: "2".into() });
        assert_eq!((record.exit_code(), record.error_code()), (ExitCode::Usage, "wrong_version"));
    }
}
