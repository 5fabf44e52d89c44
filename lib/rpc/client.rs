//! The blocking JSON-RPC 2.0 client: fail-over between endpoints, retries with backoff on
//! transport errors only, TLS with a custom CA and client certificates.
//!
//! A request goes to the endpoint that answered last (the first one to begin with). When it
//! cannot be reached, times out, fails its TLS handshake, answers with an HTTP error or with
//! something that is not JSON-RPC, the next endpoint is tried, in order. When every endpoint
//! failed and at least one failure was transient (unreachable, timeout, HTTP 429/502/503/504),
//! the round is retried after a backoff that doubles each time, up to `retries` times. A
//! JSON-RPC error answer is the node's word and is never retried: it comes back as
//! [`RpcError::Node`] with the node's code, message and data.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::io::Read;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use alloy_primitives::{Address, B256, U256};
use serde::Deserialize;
use serde_json::{Value, json};

use super::tls::{self, TlsConfigError};
use super::types::{self, JsonRpcError, Log, Receipt};
use crate::exit::{ErrorClass, ExitCode};

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Why a call did not produce the node's result.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// No connection could be made, or it broke: connection refused or reset, DNS failure,
    /// network unreachable. Transient: failed over and retried. Exit 4.
    #[error("cannot reach {endpoint}")]
    Unreachable {
        /// The endpoint URL (without password or query).
        endpoint: String,
        /// The transport's error.
        #[source]
        source: BoxError,
    },
    /// The endpoint did not answer within the request timeout. Transient. Exit 4.
    #[error("{endpoint} did not answer within {}", humantime::format_duration(*.timeout))]
    Timeout {
        /// The endpoint URL.
        endpoint: String,
        /// The request timeout.
        timeout: Duration,
    },
    /// The TLS handshake failed: untrusted or invalid server certificate, unknown CA, client
    /// certificate missing or refused, not TLS at all. Failed over, not retried. Exit 4.
    #[error("TLS with {endpoint} failed: {cause}")]
    Tls {
        /// The endpoint URL.
        endpoint: String,
        /// rustls's description of the failure (e.g. `invalid peer certificate: UnknownIssuer`).
        cause: String,
        /// The transport's error.
        #[source]
        source: BoxError,
    },
    /// The endpoint answered with an HTTP error status. 429, 502, 503 and 504 are transient;
    /// the others are failed over but not retried. Exit 4.
    #[error("{endpoint} answered HTTP {status}{}", if body.is_empty() { String::new() } else { format!(": {body}") })]
    Http {
        /// The endpoint URL.
        endpoint: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the answer's body, for the message.
        body: String,
    },
    /// The node answered with a JSON-RPC error object. Never retried. The caller decides what
    /// it means (the relay turns a refused transaction into exit 1); on its own it is exit 4.
    #[error("{method}: the node answered with an error: {error}")]
    Node {
        /// The method called.
        method: String,
        /// The node's error object: code, message, data.
        error: Box<JsonRpcError>,
    },
    /// The answer is not a JSON-RPC response, or not the expected shape (a wrong id, a
    /// result of the wrong type). Failed over, not retried. Exit 4.
    #[error("bad answer from {endpoint}: {reason}")]
    Malformed {
        /// The endpoint URL.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Every endpoint failed on every attempt; the last failure is the source. Exit 4.
    #[error("no endpoint answered ({endpoints}; {attempts} attempt{})", if *attempts == 1 { "" } else { "s" })]
    Exhausted {
        /// The endpoints tried, comma-separated.
        endpoints: String,
        /// How many rounds over the endpoints were made.
        attempts: u32,
        /// The last failure.
        #[source]
        last: Box<RpcError>,
    },
    /// A bad argument: no endpoint, an endpoint that is not an http(s) URL, a record without
    /// the field the client needs. Exit 2.
    #[error("{0}")]
    Invalid(String),
    /// A CA, client certificate or key that cannot be used. Exit 2.
    #[error(transparent)]
    TlsConfig(#[from] TlsConfigError),
}

impl RpcError {
    /// Whether trying again later could help (the error is worth a retry).
    pub fn is_transient(&self) -> bool {
        match self {
            RpcError::Unreachable { .. } | RpcError::Timeout { .. } => true,
            RpcError::Http { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// The node's error object, when the node answered with one.
    pub fn node_error(&self) -> Option<&JsonRpcError> {
        match self {
            RpcError::Node { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The failure at the root: the last one of [`RpcError::Exhausted`], or itself.
    pub fn root(&self) -> &RpcError {
        match self {
            RpcError::Exhausted { last, .. } => last.root(),
            other => other,
        }
    }
}

impl ErrorClass for RpcError {
    fn exit_code(&self) -> ExitCode {
        match self {
            RpcError::Invalid(_) | RpcError::TlsConfig(_) => ExitCode::Usage,
            _ => ExitCode::Network,
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            RpcError::Unreachable { .. } => "unreachable",
            RpcError::Timeout { .. } => "timeout",
            RpcError::Tls { .. } => "tls",
            RpcError::Http { .. } => "http_status",
            RpcError::Node { .. } => "rpc_error",
            RpcError::Malformed { .. } => "bad_response",
            RpcError::Exhausted { last, .. } => last.error_code(),
            RpcError::Invalid(_) => "usage",
            RpcError::TlsConfig(_) => "tls_config",
        }
    }
}

/// How to reach the node(s).
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Endpoint URLs (`http://` or `https://`), tried in order.
    pub endpoints: Vec<String>,
    /// The longest a request may take, connection and answer included (default 10 s).
    pub timeout: Duration,
    /// The longest a connection may take to open (default 5 s, never more than `timeout`).
    pub connect_timeout: Duration,
    /// How many times a round over the endpoints is repeated after transient failures
    /// (default 2).
    pub retries: u32,
    /// The wait before the first retry, doubled before each next one (default 200 ms).
    pub backoff: Duration,
    /// The longest wait between retries (default 5 s).
    pub max_backoff: Duration,
    /// PEM certificates of extra CAs to trust, added to the webpki (Mozilla) roots.
    pub ca_cert_pem: Option<Vec<u8>>,
    /// PEM certificate chain and PEM private key for mutual TLS.
    pub client_identity_pem: Option<(Vec<u8>, Vec<u8>)>,
    /// The largest answer read (default 64 MiB); larger is a malformed answer.
    pub max_response_bytes: u64,
}

impl ClientOptions {
    /// Defaults for the given endpoints.
    pub fn new<S: Into<String>>(endpoints: impl IntoIterator<Item = S>) -> Self {
        ClientOptions {
            endpoints: endpoints.into_iter().map(Into::into).collect(),
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            retries: 2,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            ca_cert_pem: None,
            client_identity_pem: None,
            max_response_bytes: 64 * 1024 * 1024,
        }
    }
}

#[derive(Debug)]
struct Endpoint {
    url: reqwest::Url,
    shown: String,
}

/// The URL as it may appear in messages: without password and query (API keys live there).
fn shown(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    if url.query().is_some() {
        url.set_query(Some("…"));
    }
    url.to_string()
}

/// The method that submits a raw transaction, by what its bytes are
/// ([`crate::kaia::RawForm::send_method`]): `eth_sendRawTransaction` for legacy and plain
/// EIP-2718 typed transactions (what every Ethereum node and Kaia's `eth_` namespace take),
/// `kaia_sendRawTransaction` for Kaia-native types and Kaia's `0x78`-enveloped form.
pub fn send_method(raw: &[u8]) -> &'static str {
    crate::kaia::RawForm::of(raw).send_method()
}

/// A blocking JSON-RPC 2.0 client over HTTP(S) with fail-over and retries. Shareable between
/// threads.
#[derive(Debug)]
pub struct RpcClient {
    http: reqwest::blocking::Client,
    endpoints: Vec<Endpoint>,
    current: AtomicUsize,
    next_id: AtomicU64,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
    max_backoff: Duration,
    max_response_bytes: u64,
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    id: Value,
    #[serde(default, deserialize_with = "present")]
    result: Option<Value>,
    #[serde(default)]
    error: Option<JsonRpcError>,
}

/// `"result": null` is a result (a receipt not found yet), not a missing field.
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

impl Response {
    fn into_outcome(self) -> Result<Result<Value, JsonRpcError>, String> {
        match (self.result, self.error) {
            (_, Some(error)) => Ok(Err(error)),
            (Some(result), None) => Ok(Ok(result)),
            (None, None) => Err("a response with neither result nor error".into()),
        }
    }
}

/// Finds a rustls error anywhere in a cause chain, including inside `io::Error`s (whose
/// `source()` skips the error they wrap).
fn find_tls_error(error: &(dyn StdError + 'static)) -> Option<String> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            return Some(tls.to_string());
        }
        if let Some(inner) = error.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            let inner: &(dyn StdError + 'static) = inner;
            if let Some(found) = find_tls_error(inner) {
                return Some(found);
            }
        }
        current = error.source();
    }
    None
}

impl RpcClient {
    /// A client for `options`. Fails on a bad URL or unusable certificates (exit 2).
    pub fn new(options: ClientOptions) -> Result<RpcClient, RpcError> {
        if options.endpoints.is_empty() {
            return Err(RpcError::Invalid("no JSON-RPC endpoint given".into()));
        }
        let endpoints = options
            .endpoints
            .iter()
            .map(|text| {
                let url = reqwest::Url::parse(text.trim())
                    .map_err(|e| RpcError::Invalid(format!("{text:?} is not a URL: {e}")))?;
                if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                    return Err(RpcError::Invalid(format!("{text:?} is not an http:// or https:// URL")));
                }
                Ok(Endpoint { shown: shown(&url), url })
            })
            .collect::<Result<Vec<_>, _>>()?;
        tls::install_default_provider();
        let identity = options.client_identity_pem.as_ref().map(|(cert, key)| (&cert[..], &key[..]));
        let tls = tls::client_config(options.ca_cert_pem.as_deref(), identity)?;
        let http = reqwest::blocking::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout.min(options.timeout))
            .http1_only()
            // Below the usual 30 s idle timeout of servers (ours included), so a pooled
            // connection is rarely reused just as the server closes it.
            .pool_idle_timeout(Duration::from_secs(20))
            .user_agent(concat!("evlock/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RpcError::Invalid(format!("cannot set up the HTTP client: {e}")))?;
        Ok(RpcClient {
            http,
            endpoints,
            current: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
            timeout: options.timeout,
            retries: options.retries,
            backoff: options.backoff,
            max_backoff: options.max_backoff,
            max_response_bytes: options.max_response_bytes,
        })
    }

    /// The endpoints, as they appear in messages.
    pub fn endpoints(&self) -> Vec<&str> {
        self.endpoints.iter().map(|e| e.shown.as_str()).collect()
    }

    /// The endpoint requests go to now (the last one that answered).
    pub fn current_endpoint(&self) -> &str {
        &self.endpoints[self.current.load(Ordering::Relaxed)].shown
    }

    /// Calls `method` with `params` (an array or object; `Value::Null` sends `[]`).
    /// A JSON-RPC error answer is [`RpcError::Node`].
    pub fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let params = if params.is_null() { Value::Array(Vec::new()) } else { params };
        let body =
            serde_json::to_vec(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
                .expect("JSON values always serialize");
        log::debug!("rpc → {method}");
        let outcome = self.exchange(&body, |bytes| {
            let response: Response =
                serde_json::from_slice(bytes).map_err(|e| format!("not JSON-RPC: {e}"))?;
            if response.id != json!(id) && !(response.id.is_null() && response.error.is_some()) {
                return Err(format!("answer id {} for request id {id}", response.id));
            }
            response.into_outcome()
        })?;
        outcome.map_err(|error| RpcError::Node { method: method.to_string(), error: Box::new(error) })
    }

    /// Sends several calls in one JSON-RPC batch. The outer error is the transport's (or a
    /// node refusing the whole batch); each call has its own result or error object, in the
    /// order of `calls`.
    pub fn batch(&self, calls: &[(&str, Value)]) -> Result<Vec<Result<Value, JsonRpcError>>, RpcError> {
        if calls.is_empty() {
            return Ok(Vec::new());
        }
        let first = self.next_id.fetch_add(calls.len() as u64, Ordering::Relaxed);
        let requests: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, (method, params))| {
                let params = if params.is_null() { json!([]) } else { params.clone() };
                json!({"jsonrpc": "2.0", "id": first + i as u64, "method": method, "params": params})
            })
            .collect();
        let body = serde_json::to_vec(&requests).expect("JSON values always serialize");
        log::debug!("rpc → batch of {}", calls.len());
        let outcome = self.exchange(&body, |bytes| {
            let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
            let items = match value {
                Value::Array(items) => items,
                single => {
                    // A node refusing the whole batch answers with one error object.
                    let response: Response =
                        serde_json::from_value(single).map_err(|e| format!("not JSON-RPC: {e}"))?;
                    return match response.into_outcome()? {
                        Err(error) => Ok(Err(error)),
                        Ok(_) => Err("a single result for a batch".into()),
                    };
                }
            };
            let mut slots: Vec<Option<Result<Value, JsonRpcError>>> = vec![None; calls.len()];
            for item in items {
                let response: Response =
                    serde_json::from_value(item).map_err(|e| format!("not JSON-RPC: {e}"))?;
                let index = response
                    .id
                    .as_u64()
                    .and_then(|id| id.checked_sub(first))
                    .filter(|&i| i < calls.len() as u64)
                    .ok_or_else(|| format!("an answer with id {} that was not asked", response.id))?;
                slots[index as usize] = Some(response.into_outcome()?);
            }
            slots
                .into_iter()
                .enumerate()
                .map(|(i, slot)| slot.ok_or_else(|| format!("no answer for id {}", first + i as u64)))
                .collect::<Result<Vec<_>, _>>()
                .map(Ok)
        })?;
        outcome.map_err(|error| RpcError::Node { method: "batch".into(), error: Box::new(error) })
    }

    /// Posts `body` with fail-over and retries; `parse` turns an answer into the outcome (an
    /// answer it cannot read fails over like a transport error).
    fn exchange<T>(&self, body: &[u8], parse: impl Fn(&[u8]) -> Result<T, String>) -> Result<T, RpcError> {
        let count = self.endpoints.len();
        let mut delay = self.backoff;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let start = self.current.load(Ordering::Relaxed);
            let mut transient = false;
            let mut last = None;
            for step in 0..count {
                let index = (start + step) % count;
                let endpoint = &self.endpoints[index];
                let result = self.post(endpoint, body).and_then(|bytes| {
                    parse(&bytes)
                        .map_err(|reason| RpcError::Malformed { endpoint: endpoint.shown.clone(), reason })
                });
                match result {
                    Ok(value) => {
                        if index != start {
                            log::warn!("failed over to {}", endpoint.shown);
                            self.current.store(index, Ordering::Relaxed);
                        }
                        return Ok(value);
                    }
                    Err(error) => {
                        log::info!("{}", chain(&error));
                        transient |= error.is_transient();
                        last = Some(error);
                    }
                }
            }
            let last = last.expect("there is at least one endpoint");
            if !transient || attempt > self.retries {
                return Err(if count == 1 && attempt == 1 {
                    last
                } else {
                    RpcError::Exhausted {
                        endpoints: self.endpoints().join(", "),
                        attempts: attempt,
                        last: Box::new(last),
                    }
                });
            }
            log::info!(
                "retrying in {} (attempt {} of {})",
                humantime::format_duration(delay),
                attempt + 1,
                self.retries + 1
            );
            std::thread::sleep(delay);
            delay = (delay * 2).min(self.max_backoff);
        }
    }

    /// One HTTP POST to one endpoint: the answer's body, or why there is none.
    fn post(&self, endpoint: &Endpoint, body: &[u8]) -> Result<Vec<u8>, RpcError> {
        let transport = |error: BoxError| -> RpcError {
            if let Some(cause) = find_tls_error(&*error) {
                return RpcError::Tls { endpoint: endpoint.shown.clone(), cause, source: error };
            }
            let timed_out = error.downcast_ref::<reqwest::Error>().is_some_and(reqwest::Error::is_timeout)
                || error
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::TimedOut);
            if timed_out {
                return RpcError::Timeout { endpoint: endpoint.shown.clone(), timeout: self.timeout };
            }
            RpcError::Unreachable { endpoint: endpoint.shown.clone(), source: error }
        };
        let response = self
            .http
            .post(endpoint.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec())
            .send()
            .map_err(|e| transport(Box::new(e.without_url())))?;
        let status = response.status();
        let mut bytes = Vec::new();
        response
            .take(self.max_response_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| transport(Box::new(e)))?;
        if bytes.len() as u64 > self.max_response_bytes {
            return Err(RpcError::Malformed {
                endpoint: endpoint.shown.clone(),
                reason: format!("the answer is larger than {} bytes", self.max_response_bytes),
            });
        }
        if !status.is_success() {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).trim().to_string();
            return Err(RpcError::Http {
                endpoint: endpoint.shown.clone(),
                status: status.as_u16(),
                body: text,
            });
        }
        Ok(bytes)
    }

    fn malformed(&self, reason: String) -> RpcError {
        RpcError::Malformed { endpoint: self.current_endpoint().to_string(), reason }
    }

    fn call_u64(&self, method: &str, params: Value) -> Result<u64, RpcError> {
        let value = self.call(method, params)?;
        types::quantity_u64(&value, method).map_err(|r| self.malformed(r))
    }

    fn call_u256(&self, method: &str, params: Value) -> Result<U256, RpcError> {
        let value = self.call(method, params)?;
        types::quantity_u256(&value, method).map_err(|r| self.malformed(r))
    }

    /// `eth_chainId`.
    pub fn chain_id(&self) -> Result<u64, RpcError> {
        self.call_u64("eth_chainId", json!([]))
    }

    /// `eth_blockNumber`.
    pub fn block_number(&self) -> Result<u64, RpcError> {
        self.call_u64("eth_blockNumber", json!([]))
    }

    /// `eth_getBalance` at `block` (`latest`, `pending`, or a 0x-hex number), in peb.
    pub fn get_balance(&self, address: Address, block: &str) -> Result<U256, RpcError> {
        self.call_u256("eth_getBalance", json!([address, block]))
    }

    /// `eth_getTransactionCount` at `block` (`pending` counts the pool too, `latest` does not).
    pub fn get_transaction_count(&self, address: Address, block: &str) -> Result<u64, RpcError> {
        self.call_u64("eth_getTransactionCount", json!([address, block]))
    }

    /// `eth_gasPrice`, in peb.
    pub fn gas_price(&self) -> Result<U256, RpcError> {
        self.call_u256("eth_gasPrice", json!([]))
    }

    /// `eth_maxPriorityFeePerGas`, in peb: the tip an EIP-1559 transaction offers.
    pub fn max_priority_fee_per_gas(&self) -> Result<U256, RpcError> {
        self.call_u256("eth_maxPriorityFeePerGas", json!([]))
    }

    /// `eth_estimateGas` for a call object (`{"from","to","data","value",…}`).
    pub fn estimate_gas(&self, call: &Value) -> Result<u64, RpcError> {
        self.call_u64("eth_estimateGas", json!([call]))
    }

    /// `eth_call` of a call object at `block`: the returned bytes. A revert is
    /// [`RpcError::Node`] (its `data` usually holds the revert reason).
    pub fn eth_call(&self, call: &Value, block: &str) -> Result<Vec<u8>, RpcError> {
        let value = self.call("eth_call", json!([call, block]))?;
        types::hex_bytes(&value, "eth_call").map_err(|r| self.malformed(r))
    }

    /// Submits a raw signed transaction with the method its type needs ([`send_method`]);
    /// returns the hash the node gives.
    pub fn send_raw_transaction(&self, raw: &[u8]) -> Result<B256, RpcError> {
        let method = send_method(raw);
        let value = self.call(method, json!([format!("0x{}", hex::encode(raw))]))?;
        types::hash(&value, method).map_err(|r| self.malformed(r))
    }

    /// `eth_getTransactionReceipt`: `None` while the transaction is not in a block.
    pub fn get_transaction_receipt(&self, hash: B256) -> Result<Option<Receipt>, RpcError> {
        match self.call("eth_getTransactionReceipt", json!([hash]))? {
            Value::Null => Ok(None),
            value => Receipt::from_json(&value).map(Some).map_err(|r| self.malformed(r)),
        }
    }

    /// `eth_getLogs` for a filter object (`{"fromBlock","toBlock","address","topics"}`).
    pub fn get_logs(&self, filter: &Value) -> Result<Vec<Log>, RpcError> {
        match self.call("eth_getLogs", json!([filter]))? {
            Value::Array(items) => {
                items.iter().map(Log::from_json).collect::<Result<_, _>>().map_err(|r| self.malformed(r))
            }
            other => Err(self.malformed(format!("eth_getLogs: not an array: {other}"))),
        }
    }
}

/// An error and its causes on one line, for diagnostics.
pub(crate) fn chain(error: &dyn StdError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Numbers the transactions of a stream per sender: asks the node for each sender's
/// `eth_getTransactionCount(address, "pending")` once, then counts up locally.
///
/// ```no_run
/// # use evlock::rpc::{ClientOptions, NonceTracker, RpcClient};
/// # let client = RpcClient::new(ClientOptions::new(["http://127.0.0.1:8551/"]))?;
/// let mut nonces = NonceTracker::new();
/// let mut tx = serde_json::json!({"kind": "tx", "from": "0xa94f5374Fce5edBC8E2a8697C15331677e6EbF0B"});
/// nonces.fill(&client, &mut tx)?;   // sets "nonce": "<pending count>"
/// # Ok::<(), evlock::rpc::RpcError>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct NonceTracker {
    next: HashMap<Address, u64>,
}

impl NonceTracker {
    /// A tracker that knows no sender yet.
    pub fn new() -> Self {
        NonceTracker::default()
    }

    /// The next nonce of `address` (asking the node the first time), counted as used.
    pub fn next(&mut self, client: &RpcClient, address: Address) -> Result<u64, RpcError> {
        let nonce = match self.next.get(&address) {
            Some(&nonce) => nonce,
            None => client.get_transaction_count(address, "pending")?,
        };
        self.next.insert(address, nonce + 1);
        Ok(nonce)
    }

    /// Notes a nonce used outside the tracker: the next one is at least `nonce + 1`.
    pub fn observe(&mut self, address: Address, nonce: u64) {
        let next = self.next.entry(address).or_insert(0);
        *next = (*next).max(nonce.saturating_add(1));
    }

    /// Fills `"nonce"` (a decimal string) in a `tx` record that has none, from its `"from"`.
    /// A record with a nonce keeps it, and the tracker counts on from it. Returns the nonce.
    pub fn fill(&mut self, client: &RpcClient, record: &mut Value) -> Result<u64, RpcError> {
        let from = record
            .get("from")
            .and_then(Value::as_str)
            .ok_or_else(|| RpcError::Invalid("a tx record without a nonce needs \"from\"".into()))?;
        let address: Address = from
            .parse()
            .map_err(|e| RpcError::Invalid(format!("\"from\": {from:?} is not an address: {e}")))?;
        let given = match record.get("nonce") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text.parse::<u64>().ok()),
            Some(Value::Number(number)) => Some(number.as_u64()),
            Some(_) => Some(None),
        };
        match given {
            Some(Some(nonce)) => {
                self.observe(address, nonce);
                Ok(nonce)
            }
            Some(None) => {
                Err(RpcError::Invalid(format!("\"nonce\": {} is not a decimal nonce", record["nonce"])))
            }
            None => {
                let nonce = self.next(client, address)?;
                record["nonce"] = Value::String(nonce.to_string());
                Ok(nonce)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_method_by_first_byte() {
        assert_eq!(send_method(&[0x08, 0xf8]), "kaia_sendRawTransaction");
        assert_eq!(send_method(&[0x31, 0xf8]), "kaia_sendRawTransaction");
        assert_eq!(send_method(&[0x78, 0x02]), "kaia_sendRawTransaction");
        assert_eq!(send_method(&[0x02, 0xf8]), "eth_sendRawTransaction");
        assert_eq!(send_method(&[0x01, 0xf8]), "eth_sendRawTransaction");
        assert_eq!(send_method(&[0xf8, 0x6b]), "eth_sendRawTransaction");
        assert_eq!(send_method(&[]), "eth_sendRawTransaction");
    }

    #[test]
    fn urls_are_checked_and_shown_without_secrets() {
        assert!(matches!(
            RpcClient::new(ClientOptions::new(Vec::<String>::new())),
            Err(RpcError::Invalid(_))
        ));
        assert!(matches!(RpcClient::new(ClientOptions::new(["ftp://x"])), Err(RpcError::Invalid(_))));
        assert!(matches!(RpcClient::new(ClientOptions::new(["not a url"])), Err(RpcError::Invalid(_))));
        let url = reqwest::Url::parse("https://user:secret@node.example:8651/rpc?apikey=abc").unwrap();
        assert_eq!(shown(&url), "https://user:***@node.example:8651/rpc?%E2%80%A6");
    }

    #[test]
    fn exit_codes() {
        let node = RpcError::Node {
            method: "eth_call".into(),
            error: Box::new(JsonRpcError::new(-32000, "reverted")),
        };
        assert_eq!(node.exit_code(), ExitCode::Network);
        assert_eq!(node.error_code(), "rpc_error");
        assert!(!node.is_transient());
        let timeout = RpcError::Timeout { endpoint: "http://x/".into(), timeout: Duration::from_secs(2) };
        assert!(timeout.is_transient());
        assert_eq!(timeout.to_string(), "http://x/ did not answer within 2s");
        assert_eq!(RpcError::Invalid("x".into()).exit_code(), ExitCode::Usage);
    }

    #[test]
    fn nonce_tracker_counts_from_explicit_nonces() {
        let mut tracker = NonceTracker::new();
        let address: Address = "0xa94f5374Fce5edBC8E2a8697C15331677e6EbF0B".parse().unwrap();
        tracker.observe(address, 4);
        let client = RpcClient::new(ClientOptions::new(["http://127.0.0.1:9"])).unwrap();
        assert_eq!(tracker.next(&client, address).unwrap(), 5, "no node call needed");
        let mut record = json!({"from": "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b"});
        assert_eq!(tracker.fill(&client, &mut record).unwrap(), 6);
        assert_eq!(record["nonce"], "6");
        assert!(tracker.fill(&client, &mut json!({"nonce": "1"})).is_err());
    }
}
