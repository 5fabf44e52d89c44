//! `evlock-relay submit` and `evlock-relay rpc` as a user runs them: the real binary against a
//! fake Kaia node served on a free loopback port by `evlock::rpc::start`.

mod common;

use common::rpc::*;
use evlock::rpc::{JsonRpcError, ServerHandle, ServerOptions, start};
use serde_json::{Value, json};

struct Node {
    fake: FakeNode,
    server: ServerHandle,
    dir: tempfile::TempDir,
}

impl Node {
    fn start() -> Node {
        let fake = FakeNode::new();
        let server = start(ServerOptions::new("127.0.0.1:0".parse().unwrap()), fake.clone()).unwrap();
        Node { fake, server, dir: tempfile::tempdir().unwrap() }
    }

    fn submit(&self, extra: &[&str], input: &str) -> std::process::Output {
        let url = self.server.url();
        let mut args = vec!["submit", "--rpc", url.as_str(), "--poll", "20ms"];
        args.extend_from_slice(extra);
        relay(self.dir.path(), &args, &[], input)
    }

    fn sent(&self) -> usize {
        self.fake.with(|s| s.sent.len())
    }
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn error_records(output: &std::process::Output) -> Vec<Value> {
    stderr(output).lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn writes_a_receipt_per_transaction() {
    let node = Node::start();
    let input = ndjson(&[value_transfer(0), value_transfer(1), legacy_transfer(2)]);
    let out = node.submit(&[], &input);
    assert!(out.status.success(), "{}", stderr(&out));
    let receipts = lines(&out.stdout);
    assert_eq!(receipts.len(), 3);
    let expected = [value_transfer(0), value_transfer(1), legacy_transfer(2)];
    for (i, (receipt, input)) in receipts.iter().zip(&expected).enumerate() {
        assert_eq!(receipt["kind"], "receipt");
        assert_eq!(receipt["v"], 1);
        assert_eq!(receipt["hash"], input["hash"]);
        assert_eq!(receipt["status"], "success");
        assert_eq!(receipt["block_number"], (i + 1).to_string());
        assert_eq!(receipt["block_hash"], format!("0x{:064x}", i + 1));
        assert_eq!(receipt["gas_used"], "21000");
        assert_eq!(receipt["effective_gas_price"], "25000000000");
        assert_eq!(receipt["from"], SENDER, "EIP-55 on output");
        assert_eq!(receipt["to"], TO);
        assert_eq!(receipt["nonce"], i.to_string());
        assert_eq!(receipt["chain_id"], "31337");
        assert_eq!(receipt["meta"], json!({"n": i}));
        assert_eq!(receipt["batch_note"], "carried", "unknown fields are carried");
        assert_eq!(receipt["logs"][0]["address"], TO);
        assert_eq!(receipt["logs"][0]["data"], "0x2a");
        assert_eq!(receipt["logs"][0]["log_index"], "0");
        assert!(receipt.get("raw").is_none() && receipt.get("revert_reason").is_none());
        assert!(stderr(&out).contains(&format!("evlock-relay: sent {}", input["hash"].as_str().unwrap())));
    }
    assert_eq!(receipts[0]["type"], "value_transfer");
    let methods: Vec<String> = node.fake.with(|s| s.sent.iter().map(|(_, m)| m.clone()).collect());
    assert_eq!(methods, ["kaia_sendRawTransaction", "kaia_sendRawTransaction", "eth_sendRawTransaction"]);
}

#[test]
fn a_revert_is_recorded_and_exits_1_after_the_stream() {
    let node = Node::start();
    node.fake.with(|s| {
        s.revert.insert(1);
    });
    let out = node.submit(&[], &ndjson(&[value_transfer(0), value_transfer(1), value_transfer(2)]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let receipts = lines(&out.stdout);
    let statuses: Vec<&str> = receipts.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["success", "reverted", "success"]);
    assert_eq!(receipts[1]["revert_reason"], "not enough escrow");
    assert_eq!(receipts[1]["logs"], json!([]));
    assert!(stderr(&out).contains("reverted: not enough escrow"), "{}", stderr(&out));
}

#[test]
fn running_the_same_input_twice_never_sends_twice() {
    let node = Node::start();
    let input = ndjson(&[value_transfer(0), value_transfer(1)]);
    let first = node.submit(&[], &input);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(node.sent(), 2);

    // geth's "already known"
    let second = node.submit(&[], &input);
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(node.sent(), 2, "nothing new was accepted");
    assert_eq!(lines(&second.stdout), lines(&first.stdout), "the same receipts");
    assert!(stderr(&second).contains("already known to the node"));

    // Kaia's "known transaction: …"
    node.fake.with(|s| s.kaia_messages = true);
    let third = node.submit(&[], &input);
    assert!(third.status.success(), "{}", stderr(&third));
    assert_eq!(lines(&third.stdout), lines(&first.stdout));

    // A node that says "nonce too low" for a transaction the chain already holds.
    node.fake.with(|s| {
        s.reject.insert(0, JsonRpcError::new(-32000, "nonce too low"));
        s.reject.insert(1, JsonRpcError::new(-32000, "nonce too low"));
        s.sent.clear();
    });
    let fourth = node.submit(&[], &input);
    assert!(fourth.status.success(), "{}", stderr(&fourth));
    assert_eq!(lines(&fourth.stdout), lines(&first.stdout));
    assert_eq!(node.fake.count("kaia_sendRawTransaction"), 8, "each run offered each transaction once");
}

#[test]
fn a_refused_transaction_is_an_error_record_and_exit_1() {
    let node = Node::start();
    node.fake.with(|s| {
        s.reject.insert(1, JsonRpcError::new(-32000, "insufficient funds for gas * price + value"));
    });
    let input = ndjson(&[value_transfer(0), value_transfer(1), value_transfer(2)]);
    let out = node.submit(&["--on-error", "skip"], &input);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(lines(&out.stdout).len(), 2, "the other transactions went through");
    let errors = error_records(&out);
    assert_eq!(errors.len(), 1, "{}", stderr(&out));
    let error = &errors[0];
    assert_eq!(error["kind"], "error");
    assert_eq!(error["code"], "tx_rejected");
    assert_eq!(error["exit"], 1);
    assert_eq!(error["line"], 2);
    assert_eq!(error["meta"], json!({"n": 1}));
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("insufficient funds for gas * price + value (code -32000)"), "{message}");
    assert!(message.contains(value_transfer(1)["hash"].as_str().unwrap()), "{message}");

    // --on-error=stop (the default) ends the stream at the refused transaction.
    let node = Node::start();
    node.fake.with(|s| {
        s.reject.insert(0, JsonRpcError::new(-32000, "invalid sender"));
    });
    let out = node.submit(&[], &input);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(node.sent(), 0);
}

#[test]
fn no_wait_writes_pending_records() {
    let node = Node::start();
    let out = node.submit(&["--no-wait"], &ndjson(&[value_transfer(0)]));
    assert!(out.status.success(), "{}", stderr(&out));
    let receipt = &lines(&out.stdout)[0];
    assert_eq!(receipt["status"], "pending");
    assert_eq!(receipt["hash"], value_transfer(0)["hash"]);
    assert_eq!(receipt["meta"], json!({"n": 0}));
    assert!(receipt.get("block_number").is_none());
    assert_eq!(node.fake.count("eth_getTransactionReceipt"), 0);
}

#[test]
fn waits_for_receipts_and_confirmations() {
    let node = Node::start();
    node.fake.with(|s| s.receipt_delay_polls = 3);
    let out = node.submit(&[], &ndjson(&[value_transfer(0)]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines(&out.stdout)[0]["status"], "success");
    assert_eq!(node.fake.count("eth_getTransactionReceipt"), 4);

    let node = Node::start();
    node.fake.with(|s| s.advance_on_block_number = true);
    let out = node.submit(&["--confirmations", "3"], &ndjson(&[value_transfer(0)]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(node.fake.with(|s| s.block) >= 3, "waited until block 3 (block 1 + 2 more)");

    let node = Node::start();
    node.fake.with(|s| s.receipt_delay_polls = u32::MAX);
    let out = node.submit(&["--timeout", "150ms"], &ndjson(&[value_transfer(0)]));
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let error = &error_records(&out)[0];
    assert_eq!(error["code"], "receipt_timeout");
    assert!(error["message"].as_str().unwrap().contains("no receipt for 0x"), "{error}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_input_is_refused_before_sending() {
    let node = Node::start();
    // A fee-delegated transfer the fee payer has not signed.
    let unsigned_fee = signed(
        json!({"type": "fee_delegated_value_transfer", "chain_id": "31337", "nonce": "0", "gas": "21000",
               "gas_price": "25000000000", "to": TO, "value": "1", "from": SENDER,
               "fee_payer": "0x7b65B75d204aBed71587c9E519a89277766EE1d0"}),
        json!({"n": "fd"}),
    );
    let mut not_hex = value_transfer(1);
    not_hex["raw"] = json!("0xzz");
    let input = format!("{}{}not json\n", ndjson(&[unsigned_fee]), ndjson(&[not_hex]));
    let out = node.submit(&["--on-error", "skip"], &input);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let codes: Vec<Value> = error_records(&out).iter().map(|e| e["code"].clone()).collect();
    assert_eq!(codes, [json!("missing_fee_payer_signature"), json!("bad_raw_tx"), json!("bad_input")]);
    assert_eq!(node.sent(), 0);
    assert_eq!(node.fake.count("kaia_sendRawTransaction"), 0);
}

#[test]
fn endpoints_from_flags_env_and_fail_over() {
    let node = Node::start();
    let url = node.server.url();
    let dead = dead_url();
    let input = ndjson(&[value_transfer(0)]);

    let out = relay(node.dir.path(), &["submit", "--rpc", &dead, "--rpc", &url], &[], &input);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("failed over to {url}")), "{}", stderr(&out));

    let env = format!("{dead},{url}");
    let out = relay(node.dir.path(), &["submit", "-q"], &[("EVLOCK_RPC_URL", &env)], &input);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "-q: only errors: {}", stderr(&out));

    let out = relay(node.dir.path(), &["submit", "--rpc", &dead, "--retries", "0"], &[], &input);
    assert_eq!(out.status.code(), Some(4));
    let error = &error_records(&out)[0];
    assert_eq!(error["code"], "unreachable");
    assert!(error["message"].as_str().unwrap().contains(&format!("cannot reach {dead}")), "{error}");

    let out = relay(node.dir.path(), &["submit"], &[], &input);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("give --rpc URL or set EVLOCK_RPC_URL"));
}

#[test]
fn rpc_makes_one_raw_call() {
    let node = Node::start();
    let url = node.server.url();
    let run = |args: &[&str]| {
        let mut all = vec!["rpc", "--rpc", url.as_str()];
        all.extend_from_slice(args);
        relay(node.dir.path(), &all, &[], "")
    };
    let out = run(&["eth_chainId"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        lines(&out.stdout),
        [json!({"kind": "rpc_result", "v": 1, "method": "eth_chainId", "result": "0x7a69"})]
    );
    let out = run(&["echo", r#"{"a":[1,2]}"#]);
    assert_eq!(lines(&out.stdout)[0]["result"], json!({"a": [1, 2]}));
    let out = run(&["eth_getTransactionReceipt", &format!("[\"0x{}\"]", "00".repeat(32))]);
    assert_eq!(lines(&out.stdout)[0]["result"], Value::Null);

    let out = run(&["echo", "3"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["echo", "[oops"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["no_such_method"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).contains("no_such_method: the node answered with an error"), "{}", stderr(&out));
    assert!(stderr(&out).contains("(code -32601)"));
}

#[test]
fn help_documents_exit_codes_and_examples() {
    let dir = tempfile::tempdir().unwrap();
    let out = relay(dir.path(), &["--help"], &[], "");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "Exit codes:\n",
        "    4  network, JSON-RPC or TLS error",
        "--ca-cert",
        "--client-cert",
        "EVLOCK_RPC_URL",
    ] {
        assert!(help.contains(needle), "{needle} missing from --help");
    }
    let out = relay(dir.path(), &["submit", "--help"], &[], "");
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in ["--no-wait", "--timeout", "--confirmations", "--poll", "--rpc", "Examples:\n"] {
        assert!(help.contains(needle), "{needle} missing from submit --help");
    }
}
