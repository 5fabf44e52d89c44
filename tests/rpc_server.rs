//! The JSON-RPC client against the JSON-RPC server over real loopback HTTP, with a fake node
//! as the handler.

mod common;

use std::time::Instant;

use alloy_primitives::{Address, U256};
use common::rpc::*;
use evlock::rpc::{ClientOptions, JsonRpcError, NonceTracker, RpcClient, RpcError, ServerOptions, start};
use serde_json::{Value, json};

fn serve(node: &FakeNode) -> evlock::rpc::ServerHandle {
    start(ServerOptions::new("127.0.0.1:0".parse().unwrap()), node.clone()).unwrap()
}

fn client(url: &str) -> RpcClient {
    RpcClient::new(ClientOptions::new([url])).unwrap()
}

fn raw_of(record: &Value) -> Vec<u8> {
    hex::decode(record["raw"].as_str().unwrap().trim_start_matches("0x")).unwrap()
}

#[test]
fn typed_helpers_and_raw_transactions() {
    let node = FakeNode::new();
    let server = serve(&node);
    let client = client(&server.url());
    assert!(server.url().starts_with("http://127.0.0.1:"));
    assert_eq!(client.chain_id().unwrap(), 31337);
    assert_eq!(client.block_number().unwrap(), 0);
    assert_eq!(client.gas_price().unwrap(), U256::from(25_000_000_000u64));
    let sender: Address = SENDER.parse().unwrap();
    assert_eq!(client.get_balance(sender, "latest").unwrap(), U256::from(10u64).pow(U256::from(18)));
    assert_eq!(client.get_transaction_count(sender, "pending").unwrap(), 7);

    let kaia = value_transfer(7);
    let hash = client.send_raw_transaction(&raw_of(&kaia)).unwrap();
    assert_eq!(hash.to_string(), kaia["hash"]);
    let legacy = legacy_transfer(8);
    client.send_raw_transaction(&raw_of(&legacy)).unwrap();
    let methods: Vec<String> = node.with(|s| s.sent.iter().map(|(_, m)| m.clone()).collect());
    assert_eq!(methods, ["kaia_sendRawTransaction", "eth_sendRawTransaction"]);

    let receipt = client.get_transaction_receipt(hash).unwrap().expect("mined at once");
    assert!(receipt.success);
    assert_eq!(receipt.block_number, 1);
    assert_eq!(receipt.gas_used, 21000);
    assert_eq!(receipt.logs.len(), 1);
    let unknown = client.get_transaction_receipt(alloy_primitives::B256::repeat_byte(9)).unwrap();
    assert!(unknown.is_none(), "a null result is None, not an error");

    let mut nonces = NonceTracker::new();
    let mut tx = json!({"kind": "tx", "from": SENDER});
    assert_eq!(nonces.fill(&client, &mut tx).unwrap(), 7);
    let mut tx = json!({"kind": "tx", "from": SENDER.to_lowercase()});
    assert_eq!(nonces.fill(&client, &mut tx).unwrap(), 8);
    assert_eq!(tx["nonce"], "8");
    assert_eq!(node.count("eth_getTransactionCount"), 2, "once for the helper, once for the tracker");
}

#[test]
fn batches_keep_order_and_per_call_errors() {
    let node = FakeNode::new();
    let server = serve(&node);
    let client = client(&server.url());
    let results = client
        .batch(&[("echo", json!([1])), ("no_such_method", json!([])), ("eth_chainId", Value::Null)])
        .unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0], Ok(json!([1])));
    assert_eq!(results[1].as_ref().unwrap_err().code, JsonRpcError::METHOD_NOT_FOUND);
    assert_eq!(results[2], Ok(json!("0x7a69")));
    assert!(client.batch(&[]).unwrap().is_empty());

    // 1001 requests: more than the server's max_batch (1000), refused as a whole.
    let calls: Vec<(&str, Value)> = (0..1001).map(|i| ("echo", json!([i]))).collect();
    let error = client.batch(&calls).unwrap_err();
    let node_error = error.node_error().expect("a JSON-RPC error object");
    assert_eq!(node_error.code, JsonRpcError::INVALID_REQUEST);
    assert!(node_error.message.contains("larger than 1000"), "{node_error}");
    let calls: Vec<(&str, Value)> = (0..1000).map(|i| ("echo", json!([i]))).collect();
    assert_eq!(client.batch(&calls).unwrap()[999], Ok(json!([999])));
}

#[test]
fn unknown_methods_and_panics_are_node_errors_and_the_server_goes_on() {
    let node = FakeNode::new();
    let server = serve(&node);
    let client = client(&server.url());
    let error = client.call("no_such_method", json!([])).unwrap_err();
    assert!(
        matches!(&error, RpcError::Node { method, error } if method == "no_such_method" && error.code == -32601)
    );
    assert_eq!(evlock::exit::ErrorClass::exit_code(&error).as_i32(), 4);
    let error = client.call("panic", json!([])).unwrap_err();
    assert_eq!(error.node_error().unwrap().code, JsonRpcError::INTERNAL_ERROR);
    assert_eq!(client.chain_id().unwrap(), 31337);
}

#[test]
fn bad_http_and_bad_json() {
    let node = FakeNode::new();
    let server = serve(&node);
    let addr = server.local_addr();

    let (status, _, body) = post(addr, "/", "application/json", "{not json");
    assert_eq!(status, 200);
    let reply: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(reply["error"]["code"], -32700);
    assert_eq!(reply["id"], Value::Null);

    let (_, _, body) = post(addr, "/", "application/json", r#"{"jsonrpc":"2.0","id":3,"method":7}"#);
    let reply: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((reply["id"].clone(), reply["error"]["code"].clone()), (json!(3), json!(-32600)));

    let (_, _, body) = post(addr, "/", "application/json", "[]");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["error"]["code"], -32600, "empty batch");

    let (status, _, body) = post(addr, "/", "application/json", r#"{"jsonrpc":"2.0","method":"echo"}"#);
    assert_eq!((status, body.as_str()), (204, ""), "a notification gets no response");
    let (_, _, body) = post(
        addr,
        "/",
        "application/json; charset=utf-8",
        r#"[{"jsonrpc":"2.0","method":"echo"},{"jsonrpc":"2.0","id":"x","method":"echo","params":[2]}]"#,
    );
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!([{"jsonrpc":"2.0","id":"x","result":[2]}])
    );

    let (status, head, _) = http_raw(addr, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!(status, 405);
    assert!(head.to_ascii_lowercase().contains("allow: post"), "{head}");
    assert_eq!(post(addr, "/admin", "application/json", "{}").0, 404);
    assert_eq!(post(addr, "/", "text/plain", "{}").0, 415);
    assert_eq!(http_raw(addr, b"garbage\r\n\r\n").0, 400);
    assert_eq!(client(&server.url()).chain_id().unwrap(), 31337, "still serving");
}

#[test]
fn oversized_bodies_get_413_and_the_server_goes_on() {
    let node = FakeNode::new();
    let server = serve(&node);
    let client = client(&server.url());
    // 6 MiB of params: over the 5 MiB default.
    let big = "a".repeat(6 * 1024 * 1024);
    let error = client.call("echo", json!([big])).unwrap_err();
    assert!(matches!(error, RpcError::Http { status: 413, .. }), "{error}");
    assert!(error.to_string().contains("larger than 5242880 bytes"), "{error}");
    assert_eq!(client.chain_id().unwrap(), 31337);

    // Announcing a huge body is refused before any of it is read.
    let request = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{",
        1u64 << 40
    );
    let (status, head, body) = http_raw(server.local_addr(), request.as_bytes());
    assert_eq!(status, 413);
    assert!(head.to_ascii_lowercase().contains("connection: close"));
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["error"]["code"], -32600);
    assert_eq!(client.chain_id().unwrap(), 31337);
    assert_eq!(node.count("echo"), 0);
}

#[test]
fn keep_alive_serves_many_requests_from_many_threads() {
    let node = FakeNode::new();
    let server = serve(&node);
    let client = std::sync::Arc::new(client(&server.url()));
    let started = Instant::now();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let client = client.clone();
            std::thread::spawn(move || {
                for i in 0..500 {
                    assert_eq!(client.call("echo", json!([t, i])).unwrap(), json!([t, i]));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    // Not a timed assertion (benchmarks measure); a hint when run with --nocapture.
    eprintln!("2000 calls in {:?}", started.elapsed());
    assert_eq!(node.count("echo"), 2000);
}

#[test]
fn shutdown_closes_the_port() {
    let node = FakeNode::new();
    let server = serve(&node);
    let url = server.url();
    let mut options = ClientOptions::new([url.as_str()]);
    options.retries = 0;
    let client = RpcClient::new(options).unwrap();
    assert_eq!(client.chain_id().unwrap(), 31337);
    server.shutdown();
    let error = client.chain_id().unwrap_err();
    assert!(matches!(error, RpcError::Unreachable { .. }), "{error}");
    assert!(error.to_string().contains(&url), "{error}");
}
