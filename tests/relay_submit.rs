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
    // One look at the end, for the summary; the exit code does not wait for the chain.
    assert_eq!(node.fake.count("eth_getTransactionReceipt"), 1);
    assert!(stderr(&out).contains("1 sent, 1 mined"), "{}", stderr(&out));

    // --check waits for every one: a revert is exit 1, one never mined exit 4.
    let node = Node::start();
    node.fake.with(|s| {
        s.revert.insert(1);
    });
    let out = node.submit(&["--no-wait", "--check"], &ndjson(&[value_transfer(0), value_transfer(1)]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let statuses: Vec<Value> = lines(&out.stdout).iter().map(|r| r["status"].clone()).collect();
    assert_eq!(statuses, [json!("pending"), json!("pending")]);
    assert!(stderr(&out).contains("2 sent, 2 mined (1 reverted)"), "{}", stderr(&out));
    let node = Node::start();
    node.fake.with(|s| s.receipt_delay_polls = u32::MAX);
    let out = node.submit(&["--no-wait", "--check", "--timeout", "150ms"], &ndjson(&[value_transfer(0)]));
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(lines(&out.stdout)[0]["status"], "pending");
    assert_eq!(error_records(&out)[0]["code"], "receipt_timeout");
    assert!(stderr(&out).contains("1 sent, 0 mined, 1 not mined yet"), "{}", stderr(&out));
    let node = Node::start();
    node.fake.with(|s| s.receipt_delay_polls = u32::MAX);
    let out = node.submit(&["--no-wait"], &ndjson(&[value_transfer(0)]));
    assert!(out.status.success(), "without --check the exit code does not wait");
    assert!(stderr(&out).contains("1 sent, 0 mined, 1 not mined yet"), "{}", stderr(&out));
}

#[test]
fn the_bytes_are_the_truth_raw_only_records_and_bare_hex_lines() {
    let node = Node::start();
    let full = [value_transfer(0), eip1559_transfer(1), legacy_transfer(2)];
    // A record with only `raw` (and meta), a bare hex line, and Kaia's 0x78-enveloped form.
    let raw_only = json!({"raw": full[0]["raw"], "meta": {"mine": 1}});
    let bare = full[1]["raw"].as_str().unwrap().to_string();
    assert!(bare.starts_with("0x02"), "EIP-1559 raw is the plain typed form: {bare}");
    let enveloped = json!({"kind": "signed_tx", "raw": format!("0x78{}", &bare[2..])});
    let input = format!("{raw_only}\n{bare}\n{}\n", full[2]["raw"].as_str().unwrap());
    let out = node.submit(&[], &input);
    assert!(out.status.success(), "{}", stderr(&out));
    let receipts = lines(&out.stdout);
    assert_eq!(receipts.len(), 3);
    for (receipt, expected) in receipts.iter().zip(&full) {
        for field in ["hash", "type", "chain_id", "from", "nonce"] {
            assert_eq!(receipt[field], expected[field], "{field} decoded from the bytes");
        }
        assert_eq!(receipt["status"], "success");
    }
    assert_eq!(receipts[0]["meta"], json!({"mine": 1}));
    assert!(receipts[1].get("meta").is_none());
    let methods: Vec<String> = node.fake.with(|s| s.sent.iter().map(|(_, m)| m.clone()).collect());
    assert_eq!(methods, ["kaia_sendRawTransaction", "eth_sendRawTransaction", "eth_sendRawTransaction"]);

    // The enveloped form is the same transaction, sent plain to eth_sendRawTransaction.
    let node = Node::start();
    let out = node.submit(&[], &ndjson(&[enveloped]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines(&out.stdout)[0]["hash"], full[1]["hash"]);
    assert_eq!(node.fake.with(|s| s.raws.clone()), vec![bare]);
    assert_eq!(node.fake.count("eth_sendRawTransaction"), 1);
}

#[test]
fn a_record_whose_fields_disagree_with_its_bytes_is_refused() {
    let node = Node::start();
    let mut wrong_type = value_transfer(0);
    wrong_type["type"] = json!("fee_delegated_value_transfer");
    let mut wrong_from = value_transfer(1);
    wrong_from["from"] = json!(TO);
    let mut wrong_nonce = eip1559_transfer(2);
    wrong_nonce["nonce"] = json!("7");
    let mut wrong_chain = legacy_transfer(3);
    wrong_chain["chain_id"] = json!("1001");
    let mut wrong_kind = value_transfer(4);
    wrong_kind["kind"] = json!("tx");
    let input = ndjson(&[wrong_type, wrong_from, wrong_nonce, wrong_chain, wrong_kind]);
    let out = node.submit(&["--on-error", "skip"], &input);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let errors = error_records(&out);
    let codes: Vec<&str> = errors.iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert_eq!(
        codes,
        ["record_mismatch", "record_mismatch", "record_mismatch", "record_mismatch", "wrong_kind"]
    );
    let message = |i: usize| errors[i]["message"].as_str().unwrap().to_string();
    assert!(
        message(0).contains("field `type` says fee_delegated_value_transfer")
            && message(0).contains("value_transfer"),
        "{}",
        message(0)
    );
    assert!(
        message(1).contains(&format!("field `from` says {TO}, but the transaction's bytes say {SENDER}")),
        "{}",
        message(1)
    );
    assert!(message(2).contains("field `nonce` says 7") && message(2).contains("say 2"), "{}", message(2));
    assert!(message(3).contains("field `chain_id` says 1001"), "{}", message(3));
    assert!(message(4).contains("\"tx\""), "{}", message(4));
    assert_eq!(errors[1]["line"], 2);
    assert_eq!(node.sent(), 0, "nothing was sent");

    // The right address in a mixed case that is not its EIP-55 checksum is refused too.
    let mut bad_case = value_transfer(5);
    let from = bad_case["from"].as_str().unwrap().to_string();
    let flipped: String = from[2..]
        .chars()
        .map(|c| if c.is_ascii_uppercase() { c.to_ascii_lowercase() } else { c.to_ascii_uppercase() })
        .collect();
    bad_case["from"] = json!(format!("0x{flipped}"));
    let out = node.submit(&[], &ndjson(&[bad_case]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(error_records(&out)[0]["code"], "record_mismatch");
    assert_eq!(node.sent(), 0);
}

#[test]
fn a_revert_reason_comes_from_a_replay_when_the_receipt_has_none() {
    let node = Node::start();
    node.fake.with(|s| {
        s.revert.insert(0);
        s.reason_by_call_only = true;
    });
    let out = node.submit(&[], &ndjson(&[eip1559_transfer(0)]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let receipt = &lines(&out.stdout)[0];
    assert_eq!(receipt["status"], "reverted");
    assert_eq!(receipt["revert_reason"], "not enough escrow");
    let calls = node.fake.with(|s| s.eth_calls.clone());
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0][1], "0x1", "replayed at the transaction's block");
    assert_eq!(calls[0][0]["from"], SENDER);
    assert_eq!(calls[0][0]["to"], TO);
    // A node that gives the reason in the receipt is not asked again.
    let node = Node::start();
    node.fake.with(|s| {
        s.revert.insert(0);
    });
    let out = node.submit(&[], &ndjson(&[value_transfer(0)]));
    assert_eq!(lines(&out.stdout)[0]["revert_reason"], "not enough escrow");
    assert_eq!(node.fake.count("eth_call"), 0);
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
