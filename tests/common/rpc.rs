//! For the JSON-RPC and relay tests: certificates made with rcgen at test time, a fake Kaia
//! node served by the real `evlock::rpc` server, and signed transactions.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

// The rpc tests take everything from here (`use common::rpc::*`).
#[allow(unused_imports)]
pub use super::{lines, ndjson};

use evlock::kaia::{RecoverableSig, Transaction};
use evlock::rpc::{JsonRpcError, RpcHandler};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use serde_json::{Value, json};

pub const SENDER_KEY: &str = "45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8";
pub const SENDER: &str = "0xa94f5374Fce5edBC8E2a8697C15331677e6EbF0B";
pub const PAYER_KEY: &str = "b9d5558443585bca6f225b935950e3f6e69f9da8a5809a83f51c3365dff53936";
pub const TO: &str = "0x7b65B75d204aBed71587c9E519a89277766EE1d0";

/// ABI `Error("not enough escrow")`.
pub const NOT_ENOUGH_ESCROW: &str = concat!(
    "0x08c379a0",
    "0000000000000000000000000000000000000000000000000000000000000020",
    "0000000000000000000000000000000000000000000000000000000000000011",
    "6e6f7420656e6f75676820657363726f77000000000000000000000000000000"
);

/// A PEM certificate and its PEM key.
#[derive(Clone)]
pub struct Pem {
    pub cert: String,
    pub key: String,
}

/// A test PKI: a CA, a server certificate for 127.0.0.1/localhost and a client certificate
/// signed by it, and the same from an unrelated CA.
pub struct Pki {
    pub ca: String,
    pub server: Pem,
    pub client: Pem,
    pub other_ca: String,
    pub other_server: Pem,
    pub other_client: Pem,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn leaf(issuer: &CertifiedIssuer<'static, KeyPair>, names: &[&str], usage: ExtendedKeyUsagePurpose) -> Pem {
    let mut params = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names.first().copied().unwrap_or("client"));
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, issuer).unwrap();
    Pem { cert: cert.pem(), key: key.serialize_pem() }
}

impl Pki {
    pub fn new() -> Pki {
        let ca_a = ca("evlock test CA");
        let ca_b = ca("somebody else's CA");
        let server_names = ["localhost", "127.0.0.1"];
        Pki {
            ca: ca_a.pem(),
            server: leaf(&ca_a, &server_names, ExtendedKeyUsagePurpose::ServerAuth),
            client: leaf(&ca_a, &["meter-1"], ExtendedKeyUsagePurpose::ClientAuth),
            other_ca: ca_b.pem(),
            other_server: leaf(&ca_b, &server_names, ExtendedKeyUsagePurpose::ServerAuth),
            other_client: leaf(&ca_b, &["intruder"], ExtendedKeyUsagePurpose::ClientAuth),
        }
    }

    /// Writes every PEM into `dir`: ca.pem, client.pem, client.key, other-client.pem,
    /// other-client.key, other-ca.pem.
    pub fn write(&self, dir: &Path) {
        let files = [
            ("ca.pem", &self.ca),
            ("client.pem", &self.client.cert),
            ("client.key", &self.client.key),
            ("other-ca.pem", &self.other_ca),
            ("other-client.pem", &self.other_client.cert),
            ("other-client.key", &self.other_client.key),
        ];
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }
}

/// What the fake node has seen and holds.
#[derive(Default)]
pub struct NodeState {
    /// Every method called, in order.
    pub calls: Vec<String>,
    /// Raw transactions accepted, in order (hash, method used).
    pub sent: Vec<(String, String)>,
    /// Receipts by transaction hash.
    pub receipts: HashMap<String, Value>,
    /// The chain height.
    pub block: u64,
    /// Nonces whose transactions are refused with this error.
    pub reject: HashMap<u64, JsonRpcError>,
    /// Nonces whose transactions revert.
    pub revert: HashSet<u64>,
    /// Receipts appear only after this many receipt polls per transaction.
    pub receipt_delay_polls: u32,
    polls: HashMap<String, u32>,
    /// Kaia's spelling ("known transaction: …") instead of geth's ("already known").
    pub kaia_messages: bool,
    /// An error every call gets (for retry counting).
    pub fail_all: Option<JsonRpcError>,
    /// Each `eth_blockNumber` call adds a block (for confirmations).
    pub advance_on_block_number: bool,
    /// Receipts of reverted transactions carry no `revertReason` (as on anvil and geth);
    /// `eth_call` then reverts with the reason in its error `data`.
    pub reason_by_call_only: bool,
    /// The params of every `eth_call`.
    pub eth_calls: Vec<Value>,
    /// The raw bytes of every accepted transaction, as sent.
    pub raws: Vec<String>,
}

/// A fake Kaia node: accepts raw transactions, mines each at once into its own block.
#[derive(Clone, Default)]
pub struct FakeNode {
    pub state: Arc<Mutex<NodeState>>,
}

impl FakeNode {
    pub fn new() -> FakeNode {
        FakeNode::default()
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut NodeState) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    pub fn count(&self, method: &str) -> usize {
        self.with(|s| s.calls.iter().filter(|m| *m == method).count())
    }

    fn send(state: &mut NodeState, method: &str, params: &Value) -> Result<Value, JsonRpcError> {
        let text = params[0].as_str().ok_or_else(|| JsonRpcError::invalid_params("raw must be hex"))?;
        let raw = hex::decode(text.trim_start_matches("0x"))
            .map_err(|e| JsonRpcError::invalid_params(e.to_string()))?;
        let tx = Transaction::decode_raw(&raw)
            .map_err(|e| JsonRpcError::new(-32000, format!("invalid transaction: {e}")))?;
        let hash = tx.tx_hash().unwrap().to_string();
        if state.receipts.contains_key(&hash) || state.sent.iter().any(|(h, _)| *h == hash) {
            let message = if state.kaia_messages {
                format!("known transaction: {}", &hash[2..])
            } else {
                "already known".into()
            };
            return Err(JsonRpcError::new(-32000, message));
        }
        if let Some(error) = state.reject.get(&tx.nonce()) {
            return Err(error.clone());
        }
        state.sent.push((hash.clone(), method.to_string()));
        state.block += 1;
        let reverted = state.revert.contains(&tx.nonce());
        let mut receipt = json!({
            "transactionHash": hash,
            "status": if reverted { "0x0" } else { "0x1" },
            "blockNumber": format!("0x{:x}", state.block),
            "blockHash": format!("0x{:064x}", state.block),
            "transactionIndex": "0x0",
            "from": SENDER.to_lowercase(),
            "to": tx.to().map(|a| a.to_string().to_lowercase()),
            "gasUsed": "0x5208",
            "effectiveGasPrice": "0x5d21dba00",
            "contractAddress": null,
            "logs": if reverted { json!([]) } else { json!([{
                "address": TO.to_lowercase(),
                "topics": [format!("0x{}", "ab".repeat(32))],
                "data": "0x2a",
                "logIndex": "0x0"
            }]) },
        });
        if reverted && !state.reason_by_call_only {
            // Error("not enough escrow"), as a node with revert reasons gives it.
            receipt["revertReason"] = json!(NOT_ENOUGH_ESCROW);
        }
        state.raws.push(text.to_string());
        state.receipts.insert(hash.clone(), receipt);
        Ok(Value::String(hash))
    }
}

impl RpcHandler for FakeNode {
    fn handle(&self, method: &str, params: &Value) -> Result<Value, JsonRpcError> {
        if method == "panic" {
            panic!("the fake node panics on purpose");
        }
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.calls.push(method.to_string());
        if let Some(error) = &state.fail_all {
            return Err(error.clone());
        }
        match method {
            "eth_chainId" => Ok(json!("0x7a69")),
            "eth_blockNumber" => {
                if state.advance_on_block_number {
                    state.block += 1;
                }
                Ok(json!(format!("0x{:x}", state.block)))
            }
            "eth_gasPrice" => Ok(json!("0x5d21dba00")),
            "eth_getBalance" => Ok(json!("0xde0b6b3a7640000")),
            "eth_getTransactionCount" => Ok(json!("0x7")),
            "kaia_sendRawTransaction" | "eth_sendRawTransaction" => {
                FakeNode::send(&mut state, method, params)
            }
            "eth_getTransactionReceipt" => {
                let hash = params[0].as_str().unwrap_or_default().to_string();
                let polls = state.polls.entry(hash.clone()).or_insert(0);
                *polls += 1;
                if *polls <= state.receipt_delay_polls {
                    return Ok(Value::Null);
                }
                Ok(state.receipts.get(&hash).cloned().unwrap_or(Value::Null))
            }
            "eth_call" => {
                state.eth_calls.push(params.clone());
                if state.reason_by_call_only {
                    Err(JsonRpcError::new(3, "execution reverted: not enough escrow")
                        .with_data(json!(NOT_ENOUGH_ESCROW)))
                } else {
                    Ok(json!("0x"))
                }
            }
            "echo" => Ok(params.clone()),
            other => Err(JsonRpcError::method_not_found(other)),
        }
    }
}

/// A signed transaction as a `signed_tx` record (signed in-process with the library).
pub fn signed(tx: Value, meta: Value) -> Value {
    signed_by(&sender_key(), tx, meta)
}

/// The key of [`SENDER`].
pub fn sender_key() -> k256::ecdsa::SigningKey {
    k256::ecdsa::SigningKey::from_slice(&hex::decode(SENDER_KEY).unwrap()).unwrap()
}

/// A `tx` signed in-process by `key`, as a `signed_tx` record.
pub fn signed_by(key: &k256::ecdsa::SigningKey, tx: Value, meta: Value) -> Value {
    let signer = evlock::kaia::address_of(key.verifying_key()).to_checksum(None);
    let mut transaction = Transaction::from_json_value(&tx).unwrap();
    transaction.sign_sender_with(|hash| RecoverableSig::sign_prehash(key, hash)).unwrap();
    let raw = transaction.raw().unwrap();
    let hash = transaction.tx_hash().unwrap().to_string();
    json!({
        "kind": "signed_tx", "v": 1, "type": tx["type"], "role": "sender", "chain_id": tx["chain_id"],
        "from": signer, "nonce": tx["nonce"], "raw": format!("0x{}", hex::encode(raw)), "hash": hash,
        "sender_tx_hash": transaction.sender_tx_hash().unwrap().to_string(), "signer": signer,
        "meta": meta, "batch_note": "carried"
    })
}

/// A signed Kaia value transfer with `nonce`.
pub fn value_transfer(nonce: u64) -> Value {
    signed(
        json!({"type": "value_transfer", "chain_id": "31337", "nonce": nonce.to_string(), "gas": "21000",
               "gas_price": "25000000000", "to": TO, "value": "1000", "from": SENDER}),
        json!({"n": nonce}),
    )
}

/// A signed legacy (EIP-155) transfer with `nonce`.
pub fn legacy_transfer(nonce: u64) -> Value {
    signed(
        json!({"type": "legacy", "chain_id": "31337", "nonce": nonce.to_string(), "gas": "21000",
               "gas_price": "25000000000", "to": TO, "value": "1"}),
        json!({"n": nonce}),
    )
}

pub fn eip1559_transfer(nonce: u64) -> Value {
    signed(
        json!({"type": "eip1559", "chain_id": "31337", "nonce": nonce.to_string(), "gas": "21000",
               "max_fee_per_gas": "25000000000", "max_priority_fee_per_gas": "1", "to": TO, "value": "1"}),
        json!({"n": nonce}),
    )
}

/// Runs `evlock-relay` with a scrubbed environment (plus `env`), `input` on stdin, in `dir`.
pub fn relay(dir: &Path, args: &[&str], env: &[(&str, &str)], input: &str) -> std::process::Output {
    super::run_with_env("evlock-relay", dir, args, env, input)
}

/// A port nobody listens on: bound, then released.
pub fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/")
}

pub fn path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// One raw HTTP/1.1 exchange (the connection is closed after it): status, headers, body.
pub fn http_raw(addr: std::net::SocketAddr, request: &[u8]) -> (u16, String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

/// A POST of `body` to `path` with `Connection: close`.
pub fn post(addr: std::net::SocketAddr, path: &str, content_type: &str, body: &str) -> (u16, String, String) {
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    http_raw(addr, request.as_bytes())
}
