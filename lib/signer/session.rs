//! A signing session: one unlocked signer, its role, the chain pin, the policy and the audit
//! log, applied to a stream of records. `evlock-sign` is a thin loop around it.

use std::time::SystemTime;

use alloy_primitives::Address;
use serde_json::{Map, Value};

use super::Signer;
use crate::audit::{AuditEntry, AuditLog, now_rfc3339};
use crate::exit::{ExitCode, Failure};
use crate::kaia::{KaiaError, Transaction};
use crate::policy::{Policy, Request};
use crate::wire::SignedTxRecord;

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

/// Field names of a `tx` record (with aliases); everything else is carried through.
const TX_FIELDS: &[&str] = &[
    "kind",
    "v",
    "meta",
    "type",
    "chain_id",
    "chainId",
    "nonce",
    "gas",
    "gas_limit",
    "gasLimit",
    "gas_price",
    "gasPrice",
    "max_fee_per_gas",
    "maxFeePerGas",
    "max_priority_fee_per_gas",
    "maxPriorityFeePerGas",
    "to",
    "value",
    "input",
    "data",
    "memo",
    "from",
    "fee_payer",
    "feePayer",
    "fee_ratio",
    "feeRatio",
    "key",
    "human_readable",
    "humanReadable",
    "code_format",
    "codeFormat",
    "access_list",
    "accessList",
    "signatures",
    "fee_payer_signatures",
    "raw",
    "hash",
    "sender_tx_hash",
    "role",
    "signer",
    "policy_sha256",
    "sender",
];

/// Everything a signing step needs, set up once.
pub struct Session {
    signer: Box<dyn Signer + Send>,
    address: Address,
    /// The address, EIP-55; computed once since checksumming costs a keccak.
    address_text: String,
    role: Role,
    chain_id: Option<u64>,
    policy: Option<Policy>,
    audit: Option<AuditLog>,
}

fn bad(code: &'static str, message: impl Into<String>) -> Failure {
    Failure::new(ExitCode::Usage, code, message.into())
}

impl Session {
    /// A session for one signer and role, with an optional chain pin, policy and audit log.
    /// With both a policy window and an audit log, values approved within the window in
    /// earlier runs count again.
    pub fn new(
        signer: Box<dyn Signer + Send>,
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
        let address = signer.address();
        let address_text = address.to_checksum(None);
        Session { signer, address, address_text, role, chain_id, policy, audit }
    }

    /// The signer's address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Signs one input record (line `line` of the input) and returns the output record.
    pub fn sign_record(&mut self, record: Value, line: u64) -> Result<SignedTxRecord, Failure> {
        let Value::Object(mut fields) = record else {
            return Err(bad("bad_input", "a record must be a JSON object"));
        };
        let meta = fields.remove("meta");
        let extra: Map<String, Value> = fields
            .iter()
            .filter(|(k, _)| !TX_FIELDS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let tx = match self.role {
            Role::Sender => self.prepare_sender(&mut fields)?,
            Role::FeePayer => self.prepare_fee_payer(&fields)?,
        };
        // Built only when there is a log: its checksummed addresses cost hashes.
        let mut entry = self.audit.is_some().then(|| self.audit_entry(&tx, line, meta.clone()));
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
        let signature = self.signer.sign_digest(&digest)?;
        let mut tx = tx;
        match self.role {
            Role::Sender => tx.add_sender_signature(signature)?,
            Role::FeePayer => tx.add_fee_payer_signature(signature)?,
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
            signer: self.address_text.clone(),
            policy_sha256: self.policy.as_ref().map(|p| p.sha256().to_string()),
            meta,
            extra,
        })
    }

    /// A sender signs a `tx` record: fills `from` and `chain_id` when absent, refuses a
    /// transaction of another account or one already signed.
    fn prepare_sender(&self, fields: &mut Map<String, Value>) -> Result<Transaction, Failure> {
        match fields.get("kind").and_then(Value::as_str) {
            None | Some("tx") | Some("signed_tx") => {}
            Some(other) => return Err(bad("bad_input", format!("expected a tx record, got kind {other:?}"))),
        }
        if let Some(raw) = fields.get("raw").and_then(Value::as_str) {
            let tx = decode_hex_tx(raw)?;
            if tx.has_sender_signature() {
                let by = tx
                    .recover_sender()
                    .map(|a| a.to_checksum(None))
                    .unwrap_or_else(|_| "an unknown key".into());
                let hint = if tx.tx_type().is_fee_delegated() {
                    " (the fee payer signs with --role fee-payer)"
                } else {
                    ""
                };
                return Err(bad(
                    "already_signed",
                    format!("the transaction is already signed by {by}{hint}"),
                ));
            }
            return Ok(tx);
        }
        let own = Value::String(self.address_text.clone());
        match fields.get("from") {
            None | Some(Value::Null) => {
                fields.insert("from".into(), own);
            }
            Some(Value::String(text)) => {
                let from: Address = text.parse().map_err(|e| bad("bad_tx", format!("field `from`: {e}")))?;
                if from != self.address {
                    return Err(bad(
                        "wrong_signer",
                        format!("the transaction is from {from} but the key is {}", self.address),
                    ));
                }
            }
            Some(other) => {
                return Err(bad("bad_tx", format!("field `from`: expected an address, got {other}")));
            }
        }
        if let Some(pin) = self.chain_id
            && !fields.contains_key("chain_id")
            && !fields.contains_key("chainId")
        {
            fields.insert("chain_id".into(), Value::String(pin.to_string()));
        }
        let tx = Transaction::from_json_value(&Value::Object(std::mem::take(fields)))?;
        self.check_chain(&tx)?;
        Ok(tx)
    }

    /// A fee payer signs a sender-signed raw transaction that names it as fee payer.
    fn prepare_fee_payer(&self, fields: &Map<String, Value>) -> Result<Transaction, Failure> {
        let raw = fields.get("raw").and_then(Value::as_str).ok_or_else(|| {
            bad(
                "unsigned_tx",
                "the fee payer signs a sender-signed transaction: give a signed_tx record with `raw` \
                 (pipe `evlock-sign --role sender` into `evlock-sign --role fee-payer`)",
            )
        })?;
        let mut tx = decode_hex_tx(raw)?;
        if !tx.tx_type().is_fee_delegated() {
            return Err(KaiaError::NotFeeDelegated(tx.tx_type().name()).into());
        }
        if !tx.has_sender_signature() {
            return Err(bad("unsigned_tx", "the sender has not signed this transaction yet"));
        }
        tx.recover_sender()?;
        if tx.has_fee_payer_signature() {
            return Err(bad("already_signed", "a fee payer has already signed this transaction"));
        }
        // A sender-only raw without fee payer fields leaves the fee payer to whoever pays.
        if tx.fee_payer() == Some(Address::ZERO) {
            tx.set_fee_payer(self.address)?;
        }
        if let Some(payer) = tx.fee_payer()
            && payer != self.address
        {
            return Err(bad(
                "wrong_signer",
                format!("the transaction names fee payer {payer} but the key is {}", self.address),
            ));
        }
        self.check_chain(&tx)?;
        Ok(tx)
    }

    fn check_chain(&self, tx: &Transaction) -> Result<(), Failure> {
        match (tx.chain_id(), self.chain_id) {
            (None, _) => Err(bad(
                "bad_tx",
                "a pre-EIP-155 legacy transaction (no chain id) can be replayed on any chain: give chain_id",
            )),
            (Some(id), Some(pin)) if id != pin => {
                Err(bad("wrong_chain_id", format!("chain id {id} does not match --chain-id {pin}")))
            }
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

    fn audit_entry(&self, tx: &Transaction, line: u64, meta: Option<Value>) -> AuditEntry {
        AuditEntry {
            time: now_rfc3339(),
            decision: "approved".into(),
            reason: None,
            role: self.role.as_str().into(),
            signer: self.address.to_checksum(None),
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
    let bytes = hex::decode(digits).map_err(|e| bad("bad_raw_tx", format!("field `raw`: not hex: {e}")))?;
    Ok(Transaction::decode_raw(&bytes)?)
}
