//! JSON-RPC throughput on loopback: what the server and client cost a local chain, apart from
//! executing transactions.
//!
//!     cargo bench --bench relay
//!
//! - `call_keep_alive`: one `eth_chainId`-like call over a kept-alive HTTP/1.1 connection.
//! - `call_keep_alive_https`: the same over TLS (rustls on ring, session established once).
//! - `batch_100`: a batch of 100 calls in one request.
//! - `submit_and_receipt`: the relay's library path per transaction against an in-process
//!   node that decodes and hashes the raw transaction: decode the record's bytes (sender
//!   recovered, its fields checked against them), send, then the receipt (found at once).
//! - `four_clients`: 4 threads × 250 calls each, for the server's concurrency.
//!
//! The devnet goal is ≥ 2,000 contract-call transactions/s: each one costs a send and a receipt
//! call here, so `submit_and_receipt` should stay well under 250 µs.

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use evlock::kaia::Transaction;
use evlock::relay::{Submission, SubmitOptions, Submitter};
use evlock::rpc::{ClientOptions, JsonRpcError, RpcClient, ServerOptions, start};
use evlock::wire::SignedTxRecord;
use serde_json::{Value, json};

#[path = "../tests/common/mod.rs"]
mod common;

fn node(method: &str, params: &Value) -> Result<Value, JsonRpcError> {
    match method {
        "eth_chainId" => Ok(json!("0x7a69")),
        "kaia_sendRawTransaction" | "eth_sendRawTransaction" => {
            let text = params[0].as_str().unwrap_or_default();
            let raw = hex::decode(text.trim_start_matches("0x"))
                .map_err(|e| JsonRpcError::invalid_params(e.to_string()))?;
            let tx = Transaction::decode_raw(&raw).map_err(|e| JsonRpcError::new(-32000, e.to_string()))?;
            Ok(json!(tx.tx_hash().unwrap().to_string()))
        }
        "eth_getTransactionReceipt" => Ok(json!({
            "transactionHash": params[0], "status": "0x1", "blockNumber": "0x1",
            "blockHash": format!("0x{}", "11".repeat(32)), "transactionIndex": "0x0", "gasUsed": "0x7444",
            "effectiveGasPrice": "0x5d21dba00", "logs": [{"address": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
            "topics": [format!("0x{}", "22".repeat(32))], "data": "0x", "logIndex": "0x0"}]
        })),
        other => Err(JsonRpcError::method_not_found(other)),
    }
}

fn signed_call() -> SignedTxRecord {
    let tx = json!({
        "type": "smart_contract_execution", "chain_id": "31337", "nonce": "0", "gas": "90000",
        "gas_price": "25000000000", "to": "0x5FbDB2315678afecb367f032d93F642f64180aa3", "value": "0",
        "from": common::rpc::SENDER,
        "input": "0x9b0a1e0b000000000000000000000000000000000000000000000000000000000000000700000000000000000000000000000000000000000000000000000000000001f4"
    });
    serde_json::from_value(common::rpc::signed(tx, json!({"seq": 1}))).unwrap()
}

fn rpc(c: &mut Criterion) {
    let server = start(ServerOptions::new("127.0.0.1:0".parse().unwrap()), node).unwrap();
    let client = Arc::new(RpcClient::new(ClientOptions::new([server.url()])).unwrap());
    let mut group = c.benchmark_group("rpc");

    group.throughput(Throughput::Elements(1));
    group.bench_function("call_keep_alive", |b| b.iter(|| client.call("eth_chainId", json!([])).unwrap()));

    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let mut options = ServerOptions::new("127.0.0.1:0".parse().unwrap());
    options.tls =
        Some((certified.cert.pem().into_bytes(), certified.signing_key.serialize_pem().into_bytes()));
    let https = start(options, node).unwrap();
    let mut client_options = ClientOptions::new([https.url()]);
    client_options.ca_cert_pem = Some(certified.cert.pem().into_bytes());
    let tls_client = RpcClient::new(client_options).unwrap();
    group.bench_function("call_keep_alive_https", |b| {
        b.iter(|| tls_client.call("eth_chainId", json!([])).unwrap())
    });

    let record = signed_call();
    let submitter = Submitter::new(&client, SubmitOptions::default());
    group.bench_function("submit_and_receipt", |b| {
        b.iter(|| {
            let submission = Submission::from_signed_tx(&record).unwrap();
            submitter.submit(submission, &mut ()).unwrap()
        })
    });

    let calls: Vec<(&str, Value)> = (0..100).map(|_| ("eth_chainId", json!([]))).collect();
    group.throughput(Throughput::Elements(100));
    group.bench_function("batch_100", |b| b.iter(|| client.batch(&calls).unwrap()));

    group.throughput(Throughput::Elements(1000));
    group.sample_size(20);
    group.bench_function("four_clients", |b| {
        b.iter(|| {
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    let client = client.clone();
                    std::thread::spawn(move || {
                        for _ in 0..250 {
                            client.call("eth_chainId", json!([])).unwrap();
                        }
                    })
                })
                .collect();
            threads.into_iter().for_each(|t| t.join().unwrap());
        })
    });
    group.finish();
}

criterion_group!(benches, rpc);
criterion_main!(benches);
