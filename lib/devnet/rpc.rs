//! The devnet's JSON-RPC methods, in the `eth_`, `kaia_` and `klay_` namespaces: the
//! dispatch from a method name and its params to the [`Chain`], with the result shapes and
//! error codes Ethereum and Kaia nodes use.

use alloy_primitives::{Address, B256, Bytes, U256};
use serde_json::{Value, json};

use super::{Block, Chain, ChainError, Mined};
use crate::kaia::{AccountKey, CompressedPubkey, ETHEREUM_TX_ENVELOPE, RawForm, Transaction, TxType};
use crate::rpc::JsonRpcError;

/// What evlock-devnet answers to `web3_clientVersion`.
pub const CLIENT_VERSION: &str = concat!("evlock-devnet/", env!("CARGO_PKG_VERSION"));

fn invalid_params(message: impl Into<String>) -> JsonRpcError {
    JsonRpcError { code: -32602, message: message.into(), data: None }
}

fn chain_error(error: ChainError) -> JsonRpcError {
    JsonRpcError { code: -32000, message: error.to_string(), data: None }
}

/// A 0x-hex quantity without leading zeros.
fn qty<T: std::fmt::LowerHex>(value: T) -> Value {
    Value::String(format!("{value:#x}"))
}

fn hex(bytes: &[u8]) -> Value {
    Value::String(format!("0x{}", ::hex::encode(bytes)))
}

fn param(params: &Value, index: usize) -> Option<&Value> {
    match params {
        Value::Array(items) => items.get(index).filter(|v| !v.is_null()),
        _ => None,
    }
}

fn address_param(params: &Value, index: usize) -> Result<Address, JsonRpcError> {
    param(params, index)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_params(format!("param {index}: expected an address")))?
        .parse()
        .map_err(|e| invalid_params(format!("param {index}: invalid address: {e}")))
}

fn hash_param(params: &Value, index: usize) -> Result<B256, JsonRpcError> {
    param(params, index)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_params(format!("param {index}: expected a 32-byte hash")))?
        .parse()
        .map_err(|e| invalid_params(format!("param {index}: invalid hash: {e}")))
}

fn bytes_value(value: &Value, what: &str) -> Result<Bytes, JsonRpcError> {
    let text = value.as_str().ok_or_else(|| invalid_params(format!("{what}: expected 0x-hex data")))?;
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| invalid_params(format!("{what}: hex data must start with 0x")))?;
    ::hex::decode(digits).map(Bytes::from).map_err(|e| invalid_params(format!("{what}: {e}")))
}

fn quantity_value(value: &Value, what: &str) -> Result<U256, JsonRpcError> {
    let text = value.as_str().ok_or_else(|| invalid_params(format!("{what}: expected a 0x-hex quantity")))?;
    let digits =
        text.strip_prefix("0x").ok_or_else(|| invalid_params(format!("{what}: quantities start with 0x")))?;
    U256::from_str_radix(digits, 16).map_err(|e| invalid_params(format!("{what}: {e}")))
}

/// A block tag: a number, or latest/pending/earliest/safe/finalized.
fn block_number(chain: &Chain, value: Option<&Value>) -> Result<u64, JsonRpcError> {
    match value.and_then(Value::as_str) {
        None | Some("latest" | "pending" | "safe" | "finalized") => Ok(chain.head().number),
        Some("earliest") => Ok(0),
        Some(text) => {
            let number = quantity_value(&Value::String(text.into()), "block")?;
            u64::try_from(number).map_err(|_| invalid_params("block: number too large"))
        }
    }
}

/// State queries: only the latest state is kept.
fn latest_only(chain: &Chain, params: &Value, index: usize) -> Result<(), JsonRpcError> {
    let number = block_number(chain, param(params, index))?;
    if number > chain.head().number {
        return Err(JsonRpcError {
            code: -32000,
            message: format!("block {number} does not exist yet (head is {})", chain.head().number),
            data: None,
        });
    }
    if number != chain.head().number {
        return Err(JsonRpcError {
            code: -32000,
            message: format!(
                "historical state is not kept by evlock-devnet (asked for block {number}, head is {})",
                chain.head().number
            ),
            data: None,
        });
    }
    Ok(())
}

/// An account key as Kaia's `kaia_getAccountKey` writes it: `{"keyType": N, "key": …}`, public
/// keys as their `{"x", "y"}` coordinates (kaia `AccountKeySerializer.MarshalJSON`).
fn account_key_json(key: &AccountKey) -> Value {
    let point = |public: &CompressedPubkey| {
        let key = k256::ecdsa::VerifyingKey::from_sec1_bytes(public.as_bytes()).expect("a validated point");
        let point = key.to_sec1_point(false);
        let coordinate = |bytes: &[u8]| qty(U256::from_be_slice(bytes));
        json!({"x": coordinate(&point.as_bytes()[1..33]), "y": coordinate(&point.as_bytes()[33..])})
    };
    let inner = match key {
        AccountKey::Nil | AccountKey::Legacy | AccountKey::Fail => json!({}),
        AccountKey::Public(public) => point(public),
        AccountKey::WeightedMultiSig(multisig) => json!({
            "threshold": multisig.threshold,
            "keys": multisig.keys.iter().map(|k| json!({"weight": k.weight, "key": point(&k.key)})).collect::<Vec<_>>(),
        }),
        AccountKey::RoleBased(roles) => Value::Array(roles.iter().map(account_key_json).collect()),
    };
    json!({"keyType": key.key_type(), "key": inner})
}

fn type_int(tx: &Transaction) -> u64 {
    match tx.tx_type() {
        TxType::Legacy => 0,
        TxType::Eip2930 => 1,
        TxType::Eip1559 => 2,
        other => u64::from(other.type_int()),
    }
}

fn transaction_json(mined: &Mined) -> Value {
    let tx = &mined.tx;
    let mut value = json!({
        "hash": mined.hash.to_string(),
        "nonce": qty(tx.nonce()),
        "blockHash": mined.block_hash.to_string(),
        "blockNumber": qty(mined.block_number),
        "transactionIndex": qty(mined.index),
        "from": mined.from.to_checksum(None),
        "to": tx.to().map(|a| Value::String(a.to_checksum(None))).unwrap_or(Value::Null),
        "value": qty(tx.value()),
        "gas": qty(tx.gas()),
        "gasPrice": qty(mined.effective_gas_price),
        "input": hex(tx.input()),
        "type": qty(type_int(tx)),
        "typeName": tx.tx_type().kaia_name(),
        "chainId": qty(tx.chain_id().unwrap_or_default()),
    });
    if let Some(payer) = tx.fee_payer() {
        value["feePayer"] = Value::String(payer.to_checksum(None));
    }
    value
}

fn receipt_json(mined: &Mined) -> Value {
    let logs: Vec<Value> = mined
        .logs
        .iter()
        .map(|log| {
            json!({
                "address": log.address.to_checksum(None),
                "topics": log.topics.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
                "data": hex(&log.data),
                "blockNumber": qty(mined.block_number),
                "blockHash": mined.block_hash.to_string(),
                "transactionHash": mined.hash.to_string(),
                "transactionIndex": qty(mined.index),
                "logIndex": qty(log.log_index),
                "removed": false,
            })
        })
        .collect();
    let mut value = json!({
        "transactionHash": mined.hash.to_string(),
        "transactionIndex": qty(mined.index),
        "blockHash": mined.block_hash.to_string(),
        "blockNumber": qty(mined.block_number),
        "from": mined.from.to_checksum(None),
        "to": mined.tx.to().map(|a| Value::String(a.to_checksum(None))).unwrap_or(Value::Null),
        "gasUsed": qty(mined.gas_used),
        "cumulativeGasUsed": qty(mined.cumulative_gas_used),
        "effectiveGasPrice": qty(mined.effective_gas_price),
        "contractAddress": mined.contract_address.map(|a| Value::String(a.to_checksum(None))).unwrap_or(Value::Null),
        "logs": logs,
        "logsBloom": hex(&[0u8; 256]),
        "status": if mined.status { "0x1" } else { "0x0" },
        "type": qty(type_int(&mined.tx)),
    });
    if !mined.status {
        value["revertReason"] = hex(&mined.revert_data);
        if let Some(reason) = crate::rpc::revert_reason(&mined.revert_data) {
            value["txError"] = Value::String(reason);
        }
    }
    value
}

fn block_json(chain: &Chain, block: &Block, full: bool) -> Value {
    let transactions: Vec<Value> = if full {
        chain.block_transactions(block).into_iter().map(transaction_json).collect()
    } else {
        block.transactions.iter().map(|h| Value::String(h.to_string())).collect()
    };
    json!({
        "number": qty(block.number),
        "hash": block.hash.to_string(),
        "parentHash": block.parent_hash.to_string(),
        "timestamp": qty(block.timestamp),
        "gasUsed": qty(block.gas_used),
        "gasLimit": qty(chain.config().block_gas_limit),
        "baseFeePerGas": qty(chain.config().gas_price),
        "miner": Address::ZERO.to_checksum(None),
        "logsBloom": hex(&[0u8; 256]),
        "transactions": transactions,
    })
}

/// The call object of eth_call / eth_estimateGas: from, to, value, data, gas.
type CallArgs = (Address, Option<Address>, U256, Bytes, Option<u64>);

fn call_args(params: &Value) -> Result<CallArgs, JsonRpcError> {
    let call = param(params, 0)
        .and_then(Value::as_object)
        .ok_or_else(|| invalid_params("param 0: expected a call object"))?;
    let address = |key: &str| -> Result<Option<Address>, JsonRpcError> {
        call.get(key)
            .filter(|v| !v.is_null())
            .map(|v| {
                v.as_str().unwrap_or_default().parse().map_err(|e| invalid_params(format!("{key}: {e}")))
            })
            .transpose()
    };
    let from = address("from")?.unwrap_or_default();
    let to = address("to")?;
    let value = call
        .get("value")
        .filter(|v| !v.is_null())
        .map(|v| quantity_value(v, "value"))
        .transpose()?
        .unwrap_or_default();
    let data = match call.get("input").or_else(|| call.get("data")).filter(|v| !v.is_null()) {
        Some(v) => bytes_value(v, "data")?,
        None => Bytes::new(),
    };
    let gas = call
        .get("gas")
        .filter(|v| !v.is_null())
        .map(|v| {
            quantity_value(v, "gas")
                .and_then(|g| u64::try_from(g).map_err(|_| invalid_params("gas: too large")))
        })
        .transpose()?;
    Ok((from, to, value, data, gas))
}

fn reverted(data: Bytes) -> JsonRpcError {
    let reason = crate::rpc::revert_reason(&data);
    JsonRpcError {
        code: 3,
        message: match reason {
            Some(reason) => format!("execution reverted: {reason}"),
            None => "execution reverted".into(),
        },
        data: Some(hex(&data)),
    }
}

fn logs(chain: &Chain, params: &Value) -> Result<Value, JsonRpcError> {
    let filter = param(params, 0)
        .and_then(Value::as_object)
        .ok_or_else(|| invalid_params("param 0: expected a filter object"))?;
    let head = chain.head().number;
    let (from, to) = if let Some(hash) = filter.get("blockHash").and_then(Value::as_str) {
        let hash: B256 = hash.parse().map_err(|e| invalid_params(format!("blockHash: {e}")))?;
        let block = chain.block_by_hash(&hash).ok_or_else(|| invalid_params("blockHash: unknown block"))?;
        (block.number, block.number)
    } else {
        (block_number(chain, filter.get("fromBlock"))?, block_number(chain, filter.get("toBlock"))?.min(head))
    };
    let addresses: Vec<Address> = match filter.get("address") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(a)) => vec![a.parse().map_err(|e| invalid_params(format!("address: {e}")))?],
        Some(Value::Array(list)) => list
            .iter()
            .map(|a| {
                a.as_str().unwrap_or_default().parse().map_err(|e| invalid_params(format!("address: {e}")))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid_params("address: expected an address or a list")),
    };
    let topics: Vec<Option<Vec<B256>>> = match filter.get("topics") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|t| match t {
                Value::Null => Ok(None),
                Value::String(s) => {
                    s.parse().map(|h| Some(vec![h])).map_err(|e| invalid_params(format!("topics: {e}")))
                }
                Value::Array(any) => any
                    .iter()
                    .map(|h| {
                        h.as_str()
                            .unwrap_or_default()
                            .parse()
                            .map_err(|e| invalid_params(format!("topics: {e}")))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                _ => Err(invalid_params("topics: expected hashes, lists or null")),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid_params("topics: expected a list")),
    };
    if to.saturating_sub(from) > 100_000 {
        return Err(invalid_params("block range too large (at most 100,000 blocks)"));
    }
    let mut out = Vec::new();
    for number in from..=to {
        let Some(block) = chain.block(number) else { break };
        for mined in chain.block_transactions(block) {
            for log in &mined.logs {
                let address_ok = addresses.is_empty() || addresses.contains(&log.address);
                let topics_ok = topics.iter().enumerate().all(|(i, wanted)| match wanted {
                    None => true,
                    Some(options) => log.topics.get(i).is_some_and(|t| options.contains(t)),
                });
                if address_ok && topics_ok {
                    out.push(receipt_json(mined)["logs"][log_position(mined, log.log_index)].clone());
                }
            }
        }
    }
    Ok(Value::Array(out))
}

fn log_position(mined: &Mined, log_index: u64) -> usize {
    mined.logs.iter().position(|l| l.log_index == log_index).unwrap_or(0)
}

/// What a Kaia node decodes for a raw transaction (kaia `api/api_ethereum.go`,
/// `api/api_kaia_transaction.go`; see [`RawForm`]): `eth_sendRawTransaction` and each input of
/// `kaia_sendRawTransactions` get the `0x78` envelope in front of a first byte in
/// `0x01..0x7f` (`eth_rule`), `kaia_sendRawTransaction` decodes its input as it is. Kaia's
/// decoder then takes legacy lists, Kaia-native types and the enveloped form, and nothing
/// else ("undefined tx type").
fn node_input(raw: Bytes, eth_rule: bool) -> Result<Bytes, JsonRpcError> {
    let first = raw.first().copied();
    let raw = match first {
        Some(0x01..=0x7e) if eth_rule => Bytes::from([&[ETHEREUM_TX_ENVELOPE][..], &raw].concat()),
        _ => raw,
    };
    let undefined = |ty: String, hint: &str| {
        JsonRpcError::new(JsonRpcError::SERVER_ERROR, format!("undefined tx type {ty} ({hint})"))
    };
    match (RawForm::of(&raw), first) {
        (RawForm::Enveloped(_), Some(ETHEREUM_TX_ENVELOPE)) if eth_rule => Err(undefined(
            "0x7878".into(),
            "the input already has Kaia's 0x78 envelope, which eth_sendRawTransaction puts in front \
             itself: send the plain EIP-2718 form, or this one with kaia_sendRawTransaction",
        )),
        (RawForm::Enveloped(ty), _) if eth_rule && TxType::from_kaia_byte(ty).is_some() => Err(undefined(
            format!("0x78{ty:02x}"),
            "eth_sendRawTransaction puts Kaia's 0x78 envelope in front of a first byte below 0x7f: \
             Kaia-native types go through kaia_sendRawTransaction",
        )),
        (RawForm::Typed(ty), _) => Err(undefined(
            format!("0x{ty:02x}"),
            "kaia_sendRawTransaction decodes its input as it is: send the plain EIP-2718 form \
             with eth_sendRawTransaction, or put Kaia's 0x78 envelope in front",
        )),
        _ => Ok(raw),
    }
}

/// Answers one JSON-RPC call. `now` is the current time in seconds (for mined blocks);
/// `auto_mine` mines every accepted transaction at once.
pub fn handle(
    chain: &mut Chain,
    method: &str,
    params: &Value,
    now: u64,
    auto_mine: bool,
) -> Result<Value, JsonRpcError> {
    let (namespace, name) = method.split_once('_').unwrap_or(("", method));
    match (namespace, name) {
        ("net", "version") => return Ok(Value::String(chain.config().chain_id.to_string())),
        ("web3", "clientVersion") => return Ok(Value::String(CLIENT_VERSION.into())),
        ("eth" | "kaia" | "klay", _) => {}
        _ => {
            return Err(JsonRpcError {
                code: -32601,
                message: format!("the method {method} does not exist/is not available"),
                data: None,
            });
        }
    }
    match name {
        "chainId" => Ok(qty(chain.config().chain_id)),
        "blockNumber" => Ok(qty(chain.head().number)),
        "gasPrice" | "maxPriorityFeePerGas" => Ok(qty(chain.config().gas_price)),
        "getBalance" => {
            let address = address_param(params, 0)?;
            latest_only(chain, params, 1)?;
            Ok(qty(chain.balance(address)))
        }
        "getCode" => {
            let address = address_param(params, 0)?;
            latest_only(chain, params, 1)?;
            Ok(hex(&chain.code(address)))
        }
        "getStorageAt" => {
            let address = address_param(params, 0)?;
            let slot = quantity_value(
                param(params, 1).ok_or_else(|| invalid_params("param 1: expected a slot"))?,
                "slot",
            )?;
            latest_only(chain, params, 2)?;
            Ok(Value::String(B256::from(chain.storage(address, slot)).to_string()))
        }
        "getAccountKey" => {
            let address = address_param(params, 0)?;
            latest_only(chain, params, 1)?;
            Ok(account_key_json(&chain.account_key(address)))
        }
        "getTransactionCount" => {
            let address = address_param(params, 0)?;
            let pending = param(params, 1).and_then(Value::as_str) == Some("pending");
            if !pending {
                latest_only(chain, params, 1)?;
            }
            Ok(qty(chain.nonce(address, pending)))
        }
        "sendRawTransaction" => {
            let raw = bytes_value(
                param(params, 0).ok_or_else(|| invalid_params("param 0: expected raw transaction data"))?,
                "param 0",
            )?;
            let raw = node_input(raw, namespace == "eth")?;
            chain
                .submit(&raw, now, auto_mine)
                .map(|hash| Value::String(hash.to_string()))
                .map_err(chain_error)
        }
        // Kaia's batch: every input under the eth_ rule, in order, stopping at the first
        // refusal (those before it stay sent), whose error names its index.
        "sendRawTransactions" if namespace != "eth" => {
            let inputs = param(params, 0)
                .and_then(Value::as_array)
                .ok_or_else(|| invalid_params("param 0: expected an array of raw transactions"))?;
            if inputs.is_empty() {
                return Err(JsonRpcError::new(JsonRpcError::SERVER_ERROR, "Empty input"));
            }
            let mut hashes = Vec::with_capacity(inputs.len());
            for (index, input) in inputs.iter().enumerate() {
                let at = |e: JsonRpcError| JsonRpcError::new(e.code, format!("Index {index}: {}", e.message));
                let raw = bytes_value(input, &format!("param 0[{index}]")).map_err(at)?;
                if raw.is_empty() {
                    return Err(at(JsonRpcError::new(JsonRpcError::SERVER_ERROR, "empty input")));
                }
                let raw = node_input(raw, true).map_err(at)?;
                let hash = chain.submit(&raw, now, auto_mine).map_err(chain_error).map_err(at)?;
                hashes.push(Value::String(hash.to_string()));
            }
            Ok(Value::Array(hashes))
        }
        "getTransactionByHash" => {
            let hash = hash_param(params, 0)?;
            Ok(chain.transaction(&hash).map(transaction_json).unwrap_or(Value::Null))
        }
        "getTransactionReceipt" => {
            let hash = hash_param(params, 0)?;
            Ok(chain.transaction(&hash).map(receipt_json).unwrap_or(Value::Null))
        }
        "getBlockByNumber" => {
            let number = block_number(chain, param(params, 0))?;
            let full = param(params, 1).and_then(Value::as_bool).unwrap_or(false);
            Ok(chain.block(number).map(|b| block_json(chain, b, full)).unwrap_or(Value::Null))
        }
        "getBlockByHash" => {
            let hash = hash_param(params, 0)?;
            let full = param(params, 1).and_then(Value::as_bool).unwrap_or(false);
            Ok(chain.block_by_hash(&hash).map(|b| block_json(chain, b, full)).unwrap_or(Value::Null))
        }
        "getLogs" => logs(chain, params),
        "call" => {
            let (from, to, value, data, gas) = call_args(params)?;
            latest_only(chain, params, 1)?;
            let (ok, output, _) = chain.call(from, to, value, data, gas);
            if ok { Ok(hex(&output)) } else { Err(reverted(output)) }
        }
        "estimateGas" => {
            let (from, to, value, data, gas) = call_args(params)?;
            let cap = gas.unwrap_or(chain.config().block_gas_limit);
            let (ok, output, _) = chain.call(from, to, value, data.clone(), Some(cap));
            if !ok {
                return Err(reverted(output));
            }
            // The smallest limit that still succeeds (refunds and the 63/64 rule make the
            // gas used an underestimate).
            let (mut low, mut high) = (20_999u64, cap);
            while high - low > 1 {
                let mid = low + (high - low) / 2;
                if chain.call(from, to, value, data.clone(), Some(mid)).0 { high = mid } else { low = mid }
            }
            Ok(qty(high))
        }
        _ => Err(JsonRpcError {
            code: -32601,
            message: format!("the method {method} does not exist/is not available"),
            data: None,
        }),
    }
}
