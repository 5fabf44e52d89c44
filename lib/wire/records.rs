//! The record types, one struct per `kind`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::exit::Failure;

/// The wire format version every record carries as `"v"`.
pub const WIRE_VERSION: u32 = 1;

/// A record type: its fields serialize as the body, [`Record::KIND`] names it.
pub trait Record: Serialize {
    /// The value of the record's `"kind"` field.
    const KIND: &'static str;
}

/// A record with its `kind` and `v` in front, as it goes on the wire.
#[derive(Serialize)]
pub struct Envelope<'a, R: Record> {
    kind: &'static str,
    v: u32,
    #[serde(flatten)]
    body: &'a R,
}

impl<'a, R: Record> Envelope<'a, R> {
    /// Wraps a record for writing.
    pub fn new(body: &'a R) -> Self {
        Envelope { kind: R::KIND, v: WIRE_VERSION, body }
    }
}

/// An account key: written by `evlock-keygen new`, `import`, `derive`, `inspect`.
///
/// ```json
/// {"kind":"key","v":1,"address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94",
///  "public_key":"0x04…","path":"m/44'/8217'/0'/0/0","index":0,
///  "keystore":"keys/0x9858EfFD232B4033E47d90003D41EC34EcaEda94.json","format":"v3-scrypt"}
/// ```
///
/// The record never holds a secret: no private key, no mnemonic, no password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// The account address, EIP-55 checksummed.
    pub address: String,
    /// The uncompressed SEC1 public key (0x04…), when the key was decrypted or derived.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub public_key: Option<String>,
    /// For a key inside a device: the `--key` URI that names it (`optee:SLOT`,
    /// `pkcs11:token=…;object=…`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub uri: Option<String>,
    /// The HD derivation path, for keys derived from a mnemonic.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub path: Option<String>,
    /// The account index within the derivation (the last path component).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub index: Option<u32>,
    /// The keystore file written or read.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub keystore: Option<String>,
    /// The keystore format: `v3-scrypt`, `v3-pbkdf2` or `kip3-v4`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub format: Option<String>,
    /// For KIP-3 role-based keystores: the role the key belongs to (`transaction`,
    /// `account_update`, `fee_payer`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub role: Option<String>,
    /// The Kaia roles this key signs in (`transaction`, `account_update`, `fee_payer`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub roles: Option<Vec<String>>,
    /// Whether the account is decoupled from this key (its address is not the key's).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub decoupled: Option<bool>,
    /// Whether the password was checked against the keystore and the key is that of the
    /// account the file names (`inspect --verify`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub verified: Option<bool>,
    /// The key's own address, EIP-55, when it is not `address` (the account the file names):
    /// in a KIP-3 keystore a decoupled, multisig or role-based account (its key was changed;
    /// normal); in a v3 keystore an `address` field that does not belong to the key (`verified`
    /// is then false).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key_address: Option<String>,
    /// Carried from the input record, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub meta: Option<Value>,
}

impl Record for KeyRecord {
    const KIND: &'static str = "key";
}

/// A signed transaction, ready for `evlock-relay submit` (or for the fee payer's
/// `evlock-sign --role fee-payer`).
///
/// ```json
/// {"kind":"signed_tx","v":1,"type":"value_transfer","role":"sender","chain_id":"31337",
///  "from":"0x…","nonce":"0","raw":"0x08f8…","hash":"0x…","sender_tx_hash":"0x…",
///  "signer":"0x…","policy_sha256":"e3b0…","meta":{"order":7}}
/// ```
///
/// For a fee-delegated type signed by the sender only, `hash` is that of the current raw
/// bytes; the final transaction hash exists once the fee payer has signed. `sender_tx_hash`
/// does not change when the fee payer signs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedTxRecord {
    /// The transaction type's wire name.
    #[serde(rename = "type")]
    pub tx_type: String,
    /// Who signed last: `sender` or `fee-payer`.
    pub role: String,
    /// The chain id, decimal.
    pub chain_id: String,
    /// The sending account, EIP-55.
    pub from: String,
    /// The fee payer, for fee-delegated types.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fee_payer: Option<String>,
    /// The nonce, decimal.
    pub nonce: String,
    /// The raw transaction, 0x-hex, as sent to a node (EIP-2930/1559 in the plain EIP-2718
    /// form `0x01…`/`0x02…`; a fee-delegated one without a named fee payer as the
    /// SenderTxHashRLP).
    pub raw: String,
    /// keccak256 of the raw transaction (EIP-2930/1559 raw is the plain EIP-2718 form).
    pub hash: String,
    /// Kaia's SenderTxHash: the hash without fee-payer data.
    pub sender_tx_hash: String,
    /// The address of the key that made this signature (the first, when several keys of a
    /// multisig account signed in this step).
    pub signer: String,
    /// Every key that signed in this step, in order, when more than one did.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub signers: Option<Vec<String>>,
    /// The sha256 of the signing policy in force, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub policy_sha256: Option<String>,
    /// Carried from the input record.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub meta: Option<Value>,
    /// Fields of the input record this tool does not know, carried through untouched.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

impl Record for SignedTxRecord {
    const KIND: &'static str = "signed_tx";
}

/// A meter's EIP-712 delivery receipt for EnergyMarketV2: "meter `meter` measured
/// `cumulative_wh` for trade `trade_id`" under the domain {name "EnergyMarket", version "2",
/// `chain_id`, `market`}. Unsigned (no `r`/`s`) it is a request to `evlock-sign` (refused
/// unless its policy allows receipts); signed, any pipe carries it to whoever submits it
/// (`evlock-trade receipts`). The kind `receipt` is a transaction receipt, not this.
///
/// ```json
/// {"kind":"delivery_receipt","v":1,"chain_id":"31337","market":"0x…","trade_id":"1",
///  "meter":"0x…","cumulative_wh":"120","digest":"0x…","signer":"0x…","r":"0x…","s":"0x…",
///  "y_parity":1,"meta":{"seq":7}}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryReceiptRecord {
    /// The chain id, decimal.
    pub chain_id: String,
    /// The market contract (the domain's verifying contract), EIP-55.
    pub market: String,
    /// The trade id, decimal.
    pub trade_id: String,
    /// The meter that measured, EIP-55.
    pub meter: String,
    /// Cumulative Wh the meter measured for the trade, decimal.
    pub cumulative_wh: String,
    /// The EIP-712 digest signed, 0x-hex.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub digest: Option<String>,
    /// The address of the key that signed (the meter's receipt signer), EIP-55.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub signer: Option<String>,
    /// The signature's r, 0x-hex (32 bytes).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub r: Option<String>,
    /// The signature's s, 0x-hex (32 bytes, low-S).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub s: Option<String>,
    /// The recovery parity, 0 or 1 (the contract's v is 27 + y_parity).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub y_parity: Option<u8>,
    /// Carried from the input record.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub meta: Option<Value>,
}

impl Record for DeliveryReceiptRecord {
    const KIND: &'static str = "delivery_receipt";
}

/// The fields every record has around its body: `kind`, `v` and `meta`.
pub const ENVELOPE_FIELDS: &[&str] = &["kind", "v", "meta"];

/// The fields of a `signed_tx` (or decoded `tx`) record that are derived from its `raw`
/// bytes: a tool that signs or submits computes them again, and never carries them through.
pub const DERIVED_TX_FIELDS: &[&str] = &[
    "raw",
    "hash",
    "sender_tx_hash",
    "role",
    "signer",
    "signers",
    "policy_sha256",
    "sender",
    "fee_payer_signer",
    "fee_payer_signers",
    "form",
];

/// Why an input record is not one this tool takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Its `kind` is not one of those the tool reads.
    #[error("a record of kind {found:?} cannot be used here (this takes {})", accepted.join(", "))]
    WrongKind {
        /// The record's kind.
        found: String,
        /// The kinds this tool takes.
        accepted: Vec<&'static str>,
    },
    /// Its `v` is not the wire version this build reads.
    #[error("record version {found} is not supported (this build reads \"v\": {WIRE_VERSION})")]
    WrongVersion {
        /// The record's `v`, as written.
        found: String,
    },
}

impl crate::exit::ErrorClass for RecordError {
    fn exit_code(&self) -> crate::exit::ExitCode {
        crate::exit::ExitCode::Usage
    }

    fn error_code(&self) -> &'static str {
        match self {
            RecordError::WrongKind { .. } => "wrong_kind",
            RecordError::WrongVersion { .. } => "wrong_version",
        }
    }
}

/// Checks an input record's envelope: `kind`, when present, must be one of `accepted`, and
/// `v`, when present, must be [`WIRE_VERSION`]. (Hand-written records may leave both out.)
///
/// ```
/// use evlock::wire::check_record;
/// let record = serde_json::json!({"kind": "receipt", "v": 1});
/// let error = check_record(record.as_object().unwrap(), &["tx", "signed_tx"]).unwrap_err();
/// assert_eq!(error.to_string(), r#"a record of kind "receipt" cannot be used here (this takes tx, signed_tx)"#);
/// ```
pub fn check_record(
    record: &serde_json::Map<String, Value>,
    accepted: &[&'static str],
) -> Result<(), RecordError> {
    if let Some(kind) = record.get("kind")
        && !kind.as_str().is_some_and(|k| accepted.contains(&k))
    {
        let found = kind.as_str().map_or_else(|| kind.to_string(), str::to_string);
        return Err(RecordError::WrongKind { found, accepted: accepted.to_vec() });
    }
    match record.get("v") {
        None => Ok(()),
        Some(v) if v.as_u64() == Some(u64::from(WIRE_VERSION)) => Ok(()),
        Some(v) => Err(RecordError::WrongVersion { found: v.to_string() }),
    }
}

/// What became of a submitted transaction: written by `evlock-relay submit` for each
/// `signed_tx` record.
///
/// ```json
/// {"kind":"receipt","v":1,"hash":"0x…","status":"success","type":"smart_contract_execution",
///  "chain_id":"31337","from":"0xa94f5374Fce5edBC8E2a8697C15331677e6EbF0B","nonce":"7",
///  "to":"0x7b65B75d204aBed71587c9E519a89277766EE1d0","block_number":"42","block_hash":"0x…",
///  "transaction_index":"0","gas_used":"29764","effective_gas_price":"25000000000",
///  "logs":[{"address":"0x7b65…","topics":["0x…"],"data":"0x…","log_index":"0"}],
///  "meta":{"order":7}}
/// ```
///
/// `status` is `success` or `reverted` once the transaction is in a block (then
/// `block_number`, `block_hash`, `gas_used`, `logs` are set; `contract_address` for
/// deployments; `revert_reason` when the node gives one, or a replay of the call finds it), or
/// `pending` with `--no-wait` (the hash, the bytes' facts and the carried fields). `type`,
/// `chain_id`, `from`, `fee_payer` and `nonce` are decoded from the raw transaction, never
/// copied from the input; the input record's `meta` and any field this tool does not know are
/// carried. Integers are decimal strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptRecord {
    /// The transaction hash.
    pub hash: String,
    /// `success`, `reverted` or `pending`.
    pub status: String,
    /// The transaction type's wire name, decoded from the raw transaction.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none", default)]
    pub tx_type: Option<String>,
    /// The chain id, decimal, decoded from the raw transaction.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub chain_id: Option<String>,
    /// The sender, EIP-55.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub from: Option<String>,
    /// The fee payer of a fee-delegated transaction, EIP-55.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fee_payer: Option<String>,
    /// The nonce, decimal.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nonce: Option<String>,
    /// The recipient, EIP-55 (absent for deployments).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub to: Option<String>,
    /// The block number, decimal.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub block_number: Option<String>,
    /// The block hash.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub block_hash: Option<String>,
    /// The index in the block, decimal.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub transaction_index: Option<String>,
    /// The gas used, decimal.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gas_used: Option<String>,
    /// The price paid per gas in peb, decimal.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub effective_gas_price: Option<String>,
    /// The deployed contract's address, EIP-55, for deployments.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub contract_address: Option<String>,
    /// The events emitted (present once the transaction is in a block, maybe empty).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub logs: Option<Vec<LogRecord>>,
    /// Why the transaction reverted, when the node says.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub revert_reason: Option<String>,
    /// Carried from the input record.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub meta: Option<Value>,
    /// Fields of the input record this tool does not know, carried through untouched.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

impl Record for ReceiptRecord {
    const KIND: &'static str = "receipt";
}

/// An event log inside a [`ReceiptRecord`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRecord {
    /// The emitting contract, EIP-55.
    pub address: String,
    /// The topics, 0x-hex (the first is the event signature's hash).
    pub topics: Vec<String>,
    /// The non-indexed data, 0x-hex.
    pub data: String,
    /// The log's index in its block, decimal.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub log_index: Option<String>,
}

/// The answer to one raw JSON-RPC call: written by `evlock-relay rpc METHOD [PARAMS]`.
///
/// ```json
/// {"kind":"rpc_result","v":1,"method":"eth_blockNumber","result":"0x2a"}
/// ```
///
/// `result` is the node's result exactly as it came (0x-hex quantities stay hex). A node's
/// JSON-RPC error is an `error` record on stderr instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RpcResultRecord {
    /// The method called.
    pub method: String,
    /// The node's result.
    pub result: Value,
}

impl Record for RpcResultRecord {
    const KIND: &'static str = "rpc_result";
}

/// What a started `evlock-devnet` serves: its first stdout line.
///
/// ```json
/// {"kind":"devnet","v":1,"url":"http://127.0.0.1:41873","chain_id":"31337",
///  "accounts":[{"address":"0x…","balance":"10000000000000000000000"}],"state":"chain.ndjson"}
/// ```
///
/// The dev accounts' keys come from the dev mnemonic (`--mnemonic-file`, by default the
/// documented `test test … junk` at `m/44'/8217'/0'/0/i`); the record never holds a key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DevnetRecord {
    /// The JSON-RPC endpoint.
    pub url: String,
    /// The chain id, decimal.
    pub chain_id: String,
    /// The funded accounts at start.
    pub accounts: Vec<DevnetAccount>,
    /// The state file, if the chain persists.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub state: Option<String>,
    /// The head block number at start (non-zero after a restart from a state file).
    pub block_number: String,
}

/// A funded account of a devnet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DevnetAccount {
    /// EIP-55 address.
    pub address: String,
    /// Balance in peb, decimal.
    pub balance: String,
}

impl Record for DevnetRecord {
    const KIND: &'static str = "devnet";
}

/// A transaction to sign, as `evlock-trade` writes it: the fields of
/// [`crate::kaia::Transaction`]'s JSON (see the module docs), kept in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TxRecord {
    /// The transaction's fields (`type`, `chain_id`, `nonce`, `gas`, …, `meta`).
    #[serde(flatten)]
    pub fields: serde_json::Map<String, Value>,
}

impl Record for TxRecord {
    const KIND: &'static str = "tx";
}

impl std::ops::Index<&str> for TxRecord {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        self.fields.get(key).unwrap_or(&Value::Null)
    }
}

/// One meter reading: written by `evlock-sense`, read by `evlock-trade report` and `deliver`.
///
/// ```json
/// {"kind":"reading","v":1,"device":"sim:home?profile=battery","seq":12,
///  "time":"2026-11-24T10:00:12.000Z","volts":12.41,"amps":2.03,"watts":25.19,
///  "energy_wh":3,"energy_mwh":3120,"switch":"closed","state":"converting",
///  "counters":{"requests":13,"retries":0,"timeouts":0,"crc_errors":0,"exceptions":0},
///  "health":{"ok":true,"alarms":[]}}
/// ```
///
/// `energy_mwh` is the meter's energy total in integer mWh (`energy_wh` the same in whole Wh,
/// rounded down); consumers take differences of it, so a meter that counts from any value works.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingRecord {
    /// The device URI the reading came from.
    pub device: String,
    /// The reading's number in this session, from 0.
    pub seq: u64,
    /// When it was taken, RFC 3339 UTC.
    pub time: String,
    /// Bus voltage, V.
    pub volts: f64,
    /// Current, A.
    pub amps: f64,
    /// Active power, W.
    pub watts: f64,
    /// The energy total in whole Wh (rounded down).
    pub energy_wh: u64,
    /// The energy total in mWh.
    pub energy_mwh: u64,
    /// Charge total, Ah, where the device accumulates it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub charge_ah: Option<f64>,
    /// Line frequency, Hz (AC meters).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub frequency_hz: Option<f64>,
    /// Power factor (AC meters).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub power_factor: Option<f64>,
    /// The relay's state (`open` or `closed`) when a switch is known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub switch: Option<String>,
    /// Whether the sensor is converting (`converting`, `shutdown`, `stalled`, `unknown`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub state: Option<PowerState>,
    /// Transport counters since the device was opened.
    #[serde(default)]
    pub counters: Counters,
    /// The health summary: `ok` and the codes of the alarms this reading raised.
    #[serde(default)]
    pub health: Health,
    /// Carried through from the input, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub meta: Option<Value>,
}

impl Record for ReadingRecord {
    const KIND: &'static str = "reading";
}

/// Whether the sensor is converting, as far as the device can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PowerState {
    /// Measuring continuously.
    #[default]
    Converting,
    /// In shutdown or sleep mode: the paper's sleep attack.
    Shutdown,
    /// Configured to convert, but no new conversion arrived.
    Stalled,
    /// The device does not report its mode (most Modbus meters).
    Unknown,
}

/// Transport error counters since the driver was opened; every reading carries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Counters {
    /// Requests sent to the device.
    pub requests: u64,
    /// Requests repeated after an error.
    pub retries: u64,
    /// Requests that got no (complete) answer in time.
    pub timeouts: u64,
    /// Replies with a bad CRC.
    pub crc_errors: u64,
    /// Modbus exception replies.
    pub exceptions: u64,
}

/// The health summary of a reading.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Health {
    /// No alarm was raised by this reading and no alarm condition raised earlier is still in
    /// force (a sensor still asleep keeps `ok` false after its one `shutdown` alarm).
    pub ok: bool,
    /// The codes of the alarms raised by this reading.
    #[serde(default)]
    pub alarms: Vec<String>,
}

/// A health check failed: written by `evlock-sense` (and `evlock-trade deliver`).
///
/// ```json
/// {"kind":"alarm","v":1,"code":"energy_reset","device":"sim:home","seq":31,
///  "time":"2026-11-24T10:00:31.000Z","message":"energy total went down from 3120 mWh to 0 mWh"}
/// ```
///
/// Codes are stable: `recalibrated`, `shutdown`, `not_converting`, `energy_reset`, `frozen`,
/// `current_while_open`, `no_current_while_closed`, `out_of_range`, `device_silent`,
/// `zero_drift`, `adc_stuck`; from a version 2 delivery session `counterparty_silent`,
/// `divergence` and `foreign_receipt`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmRecord {
    /// The stable alarm code.
    pub code: String,
    /// The device URI.
    pub device: String,
    /// The reading that raised it.
    pub seq: u64,
    /// When, RFC 3339 UTC.
    pub time: String,
    /// What was found, for humans.
    pub message: String,
    /// Details for scripts (expected and found values).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub details: Option<Value>,
}

impl Record for AlarmRecord {
    const KIND: &'static str = "alarm";
}

/// One check of a meter's self-test: written by `evlock-sense --self-test`, one record per
/// check the driver runs (configuration read-back, reset defaults, ranges).
///
/// ```json
/// {"kind":"self_test","v":1,"device":"ina228:/dev/i2c-1?addr=0x40&shunt_ohms=0.015",
///  "name":"config_readback","pass":true,"detail":"CONFIG reads back 0x0010 as written"}
/// ```
///
/// The tool exits 1 when any check fails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelfTestRecord {
    /// The device URI.
    pub device: String,
    /// The check's stable snake_case name.
    pub name: String,
    /// Whether it passed.
    pub pass: bool,
    /// What was found.
    pub detail: String,
}

impl Record for SelfTestRecord {
    const KIND: &'static str = "self_test";
}

/// A Modbus slave that answered a scan: written by `evlock-sense scan`, one per address.
///
/// ```json
/// {"kind":"modbus_slave","v":1,"port":"/dev/ttyUSB0","address":3,"answer":"registers",
///  "registers":[2301,0]}
/// {"kind":"modbus_slave","v":1,"port":"/dev/ttyUSB0","address":5,"answer":"exception",
///  "exception":2,"detail":"illegal data address"}
/// ```
///
/// The probe reads two input registers from 0x0000 (the voltage on PZEM and Eastron meters).
/// `answer` is `registers` (with the words read), `exception` (something is there but refused
/// the probe) or `invalid` (an answer that fails its CRC or framing: perhaps another baud
/// rate, or two slaves on one address).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModbusSlaveRecord {
    /// The serial port.
    pub port: String,
    /// The slave address.
    pub address: u8,
    /// `registers`, `exception` or `invalid`.
    pub answer: String,
    /// The registers read, for `registers`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub registers: Option<Vec<u16>>,
    /// The exception code, for `exception`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub exception: Option<u8>,
    /// What the exception means or what was wrong with the answer.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<String>,
}

impl Record for ModbusSlaveRecord {
    const KIND: &'static str = "modbus_slave";
}

/// Raw registers read from a Modbus slave: written by `evlock-sense read`.
///
/// ```json
/// {"kind":"registers","v":1,"device":"modbus:/dev/ttyUSB0?profile=pzem004t","address":1,
///  "function":"input","start":5,"registers":[12345,0],"type":"u32","word_order":"little",
///  "scale":1.0,"value":12345.0}
/// ```
///
/// `type`, `word_order`, `scale` and `value` are present when a type was asked for: `value`
/// is the registers decoded as that type, in that word order, times `scale`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistersRecord {
    /// The device URI (its port and line settings).
    pub device: String,
    /// The slave address.
    pub address: u8,
    /// `input` (function 0x04) or `holding` (0x03).
    pub function: String,
    /// The first register's address.
    pub start: u16,
    /// The registers read.
    pub registers: Vec<u16>,
    /// The value type decoded (`u16`, `i16`, `u32`, `i32`, `f32`).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none", default)]
    pub value_type: Option<String>,
    /// The word order of 32-bit values (`big` or `little`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub word_order: Option<String>,
    /// The scale applied.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scale: Option<f64>,
    /// The decoded value.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value: Option<f64>,
}

impl Record for RegistersRecord {
    const KIND: &'static str = "registers";
}

/// One load point of a calibration: written by `evlock-calibrate commission` and `check`,
/// one per point, followed by one [`CalibrationSummaryRecord`].
///
/// ```json
/// {"kind":"calibration","v":1,"step":"point","device":"sim:home","point":2,"load":"load",
///  "nominal_amps":2.0,"reference_amps":2.0,"measured_amps":2.0614,"error_amps":0.0614,
///  "error_pct":3.07,"limit_pct":1.0,"pass":false,"class":1.0,"samples":5}
/// ```
///
/// Point 0 is the zero point, taken with the relay open (`"load":"zero"`): its error is
/// judged in amps against `limit_amps` (`error_pct` and `limit_pct` are absent, a percentage
/// of zero means nothing). Load points (`"load":"load"`) are judged by `error_pct` =
/// (measured − reference) / reference × 100 against the accuracy class, `limit_pct`.
/// `measured_amps` is the mean of `samples` raw readings (no certificate correction).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationRecord {
    /// Always `point`.
    pub step: String,
    /// The device URI.
    pub device: String,
    /// The point's index: 0 is the zero point.
    pub point: u32,
    /// `zero` (relay open) or `load`.
    pub load: String,
    /// The current the point was meant to draw, A.
    pub nominal_amps: f64,
    /// The reference value: the reference meter's mean, or the expected current, A.
    pub reference_amps: f64,
    /// The meter's mean, A.
    pub measured_amps: f64,
    /// measured − reference, A.
    pub error_amps: f64,
    /// The relative error, % (load points).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error_pct: Option<f64>,
    /// The allowed relative error, % (load points): the accuracy class.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub limit_pct: Option<f64>,
    /// The allowed absolute error, A (the zero point).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub limit_amps: Option<f64>,
    /// Whether the point is within its limit.
    pub pass: bool,
    /// The accuracy class, % (`1` = ±1 %).
    pub class: f64,
    /// How many readings were averaged.
    pub samples: u32,
}

impl Record for CalibrationRecord {
    const KIND: &'static str = "calibration";
}

/// The outcome of a calibration: the last record of `evlock-calibrate commission` and
/// `check`.
///
/// ```json
/// {"kind":"calibration","v":1,"step":"summary","command":"check","device":"sim:home",
///  "pass":false,"class":1.0,"points":4,"failed_points":[2,3],
///  "signature":"valid","technician":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94",
///  "registers":"changed","changed_registers":{"gain":{"expected":32768,"found":33423}},
///  "gain":0.97,"offset_amps":0.0001,"certificate":"cert.json",
///  "reasons":["registers differ from the certificate's baseline: gain","point 2 is out of tolerance"]}
/// ```
///
/// `signature` is `valid` or `invalid` (check), `signed` (commission). `registers` is
/// `match`, `changed` or `none` (the device exposes none). `gain` and `offset_amps` are the
/// least-squares correction reference ≈ gain × measured + offset fitted to this run's points.
/// `reasons` lists, for humans, every reason the run failed (empty when it passed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationSummaryRecord {
    /// Always `summary`.
    pub step: String,
    /// `commission` or `check`.
    pub command: String,
    /// The device URI.
    pub device: String,
    /// Whether everything passed.
    pub pass: bool,
    /// The accuracy class, %.
    pub class: f64,
    /// How many points were measured (the zero point included).
    pub points: u32,
    /// The indices of the points out of tolerance.
    pub failed_points: Vec<u32>,
    /// The certificate's signature: `signed`, `valid` or `invalid`.
    pub signature: String,
    /// The technician's address (the certificate's signer), EIP-55.
    pub technician: String,
    /// `match`, `changed` or `none`.
    pub registers: String,
    /// The registers that differ from the baseline: `{name: {expected, found}}`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub changed_registers: Option<Value>,
    /// The fitted gain correction.
    pub gain: f64,
    /// The fitted offset correction, A.
    pub offset_amps: f64,
    /// The certificate written (commission) or checked (check).
    pub certificate: String,
    /// Why the run failed, for humans.
    pub reasons: Vec<String>,
}

impl Record for CalibrationSummaryRecord {
    const KIND: &'static str = "calibration";
}

/// Contract state read from the chain: written by `evlock-trade status`.
///
/// ```json
/// {"kind":"status","v":1,"what":"trade","id":"3","contract":"0x…","block":"42",
///  "fields":{"offer_id":"1","seller":"0x…","buyer":"0x…","energy_wh":"500",
///            "price_per_wh":"2000000000","escrow":"1000000000000","seller_report_wh":"200",
///            "buyer_report_wh":"200","deadline_block":"652","state":"delivering"}}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusRecord {
    /// What was read: `offer`, `trade`, `credit` or `balance`.
    pub what: String,
    /// The offer or trade id, or the account address.
    pub id: String,
    /// The contract address.
    pub contract: String,
    /// The block the state was read at.
    pub block: String,
    /// The state's fields: amounts in peb and big integers as decimal strings.
    pub fields: Value,
    /// Carried through from the input, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub meta: Option<Value>,
}

impl Record for StatusRecord {
    const KIND: &'static str = "status";
}

/// What a started `evlock-trade serve` (the operator's console) serves: its first stdout line.
///
/// ```json
/// {"kind":"console","v":1,"url":"http://127.0.0.1:8080/","contract":"0x…","block":"1234",
///  "actions":false,"client_certificates":false}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsoleRecord {
    /// Where the console is served (a wildcard bind shown as loopback).
    pub url: String,
    /// The market it follows.
    pub contract: String,
    /// The chain's head block when it started, decimal.
    pub block: String,
    /// Whether the offer and buy forms (`--allow-actions`) are served.
    pub actions: bool,
    /// Whether every client must present a certificate from the client CA.
    pub client_certificates: bool,
}

impl Record for ConsoleRecord {
    const KIND: &'static str = "console";
}

/// Where a record the link delivered sits in its stream: `meta.link` on every record that
/// `evlock-relay listen` or `connect` writes out (overwriting whatever the sender had there).
///
/// ```json
/// {"kind":"reading","v":1,…,"meta":{"peer":{"name":"meter-17","account":"0x…"},
///  "link":{"stream":"5f0c…","seq":812}}}
/// ```
///
/// A link side killed between writing a record to a pipe and recording that it did writes
/// that record again after its restart, with the same `stream` and `seq`. Every evlock tool
/// reading records ([`crate::wire::RecordStream`]) drops such a repeat: a record whose
/// `meta.link` and whole line equal the last one it read of that stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkMark {
    /// The sender's stream (a random id made with its spool).
    pub stream: String,
    /// The record's number in the stream (1, 2, 3, …).
    pub seq: u64,
}

/// A meter's link to the operator came up or went down.
///
/// ```json
/// {"kind":"link","v":1,"event":"connected","peer":{"name":"meter-7","account":"0x…"},
///  "time":"2026-11-24T10:00:00Z"}
/// ```
///
/// Records a meter sends over the link (`reading`, `alarm`) carry the same `peer` object as
/// `meta.peer`, so a reader can tell whose they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkRecord {
    /// `connected` or `disconnected`.
    pub event: LinkEvent,
    /// Who: the name and account of the peer's client certificate.
    pub peer: LinkPeer,
    /// When, RFC 3339 UTC.
    pub time: String,
    /// Why a link went down, for humans.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
}

impl Record for LinkRecord {
    const KIND: &'static str = "link";
}

/// What happened to a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkEvent {
    /// The peer connected (its certificate was accepted).
    Connected,
    /// The peer's connection ended.
    Disconnected,
}

/// The far end of a link, as its certificate names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkPeer {
    /// The certificate's name (attacker-controlled text: escape it wherever it is shown).
    #[serde(default)]
    pub name: String,
    /// The Kaia account the certificate is bound to, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub account: Option<String>,
}

/// A failure to handle one input record, or a tool's failure, as a record. Written to
/// stderr, never stdout.
///
/// ```json
/// {"kind":"error","v":1,"code":"bad_input","message":"not a valid record: expected value at line 1 column 1","line":3}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorRecord {
    /// A stable snake_case code (`bad_input`, `policy_denied`, `wrong_password`, …).
    pub code: String,
    /// The message with its whole cause chain, joined by `: `.
    pub message: String,
    /// The exit code this error maps to.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub exit: Option<i32>,
    /// The 1-based input line the error is about.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub line: Option<u64>,
    /// Carried from the input record, if it could be read.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub meta: Option<Value>,
}

impl Record for ErrorRecord {
    const KIND: &'static str = "error";
}

impl ErrorRecord {
    /// An error record with a code and a message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorRecord { code: code.into(), message: message.into(), exit: None, line: None, meta: None }
    }

    /// The record for a tool failure, with its whole cause chain.
    pub fn from_failure(failure: &Failure) -> Self {
        ErrorRecord {
            exit: Some(failure.exit.as_i32()),
            ..ErrorRecord::new(failure.code, failure.chain().join(": "))
        }
    }

    /// Names the input line.
    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }

    /// Carries the input record's `meta`.
    pub fn with_meta(mut self, meta: Option<Value>) -> Self {
        self.meta = meta;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_and_version_come_first() {
        let record = KeyRecord {
            address: "0x9858EfFD232B4033E47d90003D41EC34EcaEda94".into(),
            public_key: None,
            uri: None,
            path: Some("m/44'/8217'/0'/0/0".into()),
            index: Some(0),
            keystore: None,
            format: None,
            role: None,
            key_address: None,
            roles: None,
            decoupled: None,
            verified: None,
            meta: Some(serde_json::json!({"job": 1})),
        };
        let text = serde_json::to_string(&Envelope::new(&record)).unwrap();
        assert!(text.starts_with(r#"{"kind":"key","v":1,"address":"0x9858"#), "{text}");
        assert!(text.contains(r#""meta":{"job":1}"#));
        assert!(!text.contains("public_key"), "absent fields are left out");
    }
}

/// An X.509 certificate: written by `evlock-keygen tls ca`, `tls issue` and `tls inspect`.
///
/// ```json
/// {"kind":"certificate","v":1,"subject":"CN=meter-17","name":"meter-17",
///  "sans":["DNS:meter-17","URI:kaia:0x9858EfFD232B4033E47d90003D41EC34EcaEda94"],
///  "account":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","issuer":"CN=Operator CA",
///  "serial":"4f3a…","not_before":"2026-01-01T00:00:00Z","not_after":"2027-01-01T00:00:00Z",
///  "valid_now":true,"is_ca":false,"usage":["client"],"fingerprint_sha256":"9c1e…",
///  "cert":"meter-17.pem","key":"meter-17.key"}
/// ```
///
/// The fingerprint is SHA-256 over the DER in lowercase hex, as `openssl x509 -fingerprint
/// -sha256` prints it without the colons. The record never holds the private key, only the
/// name of its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateRecord {
    /// The subject, e.g. `CN=meter-17`.
    pub subject: String,
    /// The subject's common name: the peer's name on the link.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// The subject alternative names, each prefixed `DNS:`, `IP:` or `URI:` as OpenSSL shows them.
    pub sans: Vec<String>,
    /// The Kaia account bound by a `kaia:` URI SAN, EIP-55 checksummed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub account: Option<String>,
    /// The issuer (the subject itself for a CA).
    pub issuer: String,
    /// The serial number, hex.
    pub serial: String,
    /// Start of validity, RFC 3339 UTC.
    pub not_before: String,
    /// End of validity, RFC 3339 UTC.
    pub not_after: String,
    /// Whether now lies within the validity period.
    pub valid_now: bool,
    /// Whether it is a CA certificate.
    pub is_ca: bool,
    /// What the certificate may be used for: `client`, `server`.
    pub usage: Vec<String>,
    /// SHA-256 of the DER, lowercase hex.
    pub fingerprint_sha256: String,
    /// The certificate file written or read.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cert: Option<String>,
    /// The private-key file written (`ca`, `issue`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key: Option<String>,
}

impl Record for CertificateRecord {
    const KIND: &'static str = "certificate";
}
