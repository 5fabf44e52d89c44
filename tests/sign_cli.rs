//! `evlock-sign` as a user runs it: real binaries, keystores made by `evlock-keygen`.

mod common;

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const SENDER_KEY: &str = "45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8";
const SENDER: &str = "0xa94f5374Fce5edBC8E2a8697C15331677e6EbF0B";
const PAYER_KEY: &str = "b9d5558443585bca6f225b935950e3f6e69f9da8a5809a83f51c3365dff53936";
const TO: &str = "0x7b65B75d204aBed71587c9E519a89277766EE1d0";

struct Setup {
    dir: tempfile::TempDir,
    sender: String,
    payer: String,
    payer_address: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let (sender, sender_address) = common::import_key(dir.path(), SENDER_KEY, "sender");
    assert_eq!(sender_address, SENDER);
    let (payer, payer_address) = common::import_key(dir.path(), PAYER_KEY, "payer");
    Setup { dir, sender, payer, payer_address }
}

impl Setup {
    fn sign(&self, args: &[&str], stdin: &str) -> std::process::Output {
        Command::cargo_bin("evlock-sign")
            .unwrap()
            .env_clear()
            .current_dir(self.dir.path())
            .args(["--password-file", "pw"])
            .args(args)
            .write_stdin(stdin)
            .output()
            .unwrap()
    }
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn transfer(nonce: u64) -> Value {
    json!({"kind": "tx", "v": 1, "type": "value_transfer", "chain_id": "31337", "nonce": nonce.to_string(),
           "gas": "21000", "gas_price": "25000000000", "to": TO, "value": "1000"})
}

fn ndjson(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

#[test]
fn sender_then_fee_payer_then_decode() {
    let s = setup();
    let mut tx = transfer(3);
    tx["type"] = json!("fee_delegated_value_transfer_with_ratio");
    tx["fee_payer"] = json!(s.payer_address);
    tx["fee_ratio"] = json!(30);
    tx["meta"] = json!({"order": 7});
    tx["invoice"] = json!("A-17");
    let first = s.sign(&["--key", &s.sender], &ndjson(&[tx]));
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let signed = &lines(&first.stdout)[0];
    assert_eq!(signed["kind"], "signed_tx");
    assert_eq!(signed["role"], "sender");
    assert_eq!(signed["from"], SENDER);
    assert_eq!(signed["meta"], json!({"order": 7}));
    assert_eq!(signed["invoice"], "A-17", "unknown fields are carried through");

    let second = s.sign(
        &["--role", "fee-payer", "--key", &format!("keystore:{}", s.payer)],
        &String::from_utf8_lossy(&first.stdout),
    );
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    let both = &lines(&second.stdout)[0];
    assert_eq!(both["role"], "fee-payer");
    assert_eq!(
        both["sender_tx_hash"], signed["sender_tx_hash"],
        "the fee payer does not change the sender's hash"
    );
    assert_ne!(both["hash"], signed["hash"]);
    assert_eq!(both["meta"], json!({"order": 7}));

    let decoded = Command::cargo_bin("evlock-sign")
        .unwrap()
        .env_clear()
        .args(["decode", both["raw"].as_str().unwrap()])
        .output()
        .unwrap();
    let decoded = &lines(&decoded.stdout)[0];
    assert_eq!(decoded["sender"], SENDER);
    assert_eq!(decoded["fee_payer_signer"], s.payer_address.as_str());
    assert_eq!(decoded["fee_ratio"].to_string().trim_matches('"'), "30");
    assert_eq!(decoded["hash"], both["hash"]);
}

#[test]
fn bad_input_is_reported_per_line_and_skip_goes_on() {
    let s = setup();
    let mut unknown_type = transfer(0);
    unknown_type["type"] = json!("teleport");
    let mut missing = transfer(0);
    missing.as_object_mut().unwrap().remove("gas");
    let mut negative = transfer(0);
    negative["value"] = json!("-5");
    let mut huge = transfer(0);
    huge["value"] = json!(format!("1{}", "0".repeat(80)));
    let mut bad_hex = transfer(0);
    bad_hex["to"] = json!("0xnothex");
    let mut other_chain = transfer(0);
    other_chain["chain_id"] = json!("8217");
    let mut someone_else = transfer(0);
    someone_else["from"] = json!(TO);
    let cases: Vec<(Value, &str)> = vec![
        (unknown_type, "teleport"),
        (missing, "gas"),
        (negative, "value"),
        (huge, "value"),
        (bad_hex, "to"),
        (other_chain, "8217"),
        (someone_else, "the key is"),
    ];
    let mut input = vec![transfer(0)];
    input.extend(cases.iter().map(|(tx, _)| tx.clone()));
    input.push(transfer(1));
    let text = format!("{}not json at all\n", ndjson(&input));

    // Default --on-error=stop: the first bad line ends the stream.
    let stopped = s.sign(&["--key", &s.sender, "--chain-id", "31337"], &text);
    assert_eq!(stopped.status.code(), Some(2));
    assert_eq!(lines(&stopped.stdout).len(), 1, "the good first record was written before the stop");
    assert_eq!(lines(&stopped.stderr).len(), 1);

    let skipped = s.sign(&["--key", &s.sender, "--chain-id", "31337", "--on-error", "skip"], &text);
    assert_eq!(skipped.status.code(), Some(2));
    let out = lines(&skipped.stdout);
    assert_eq!(out.len(), 2, "the two good records are signed");
    assert_eq!(out[1]["nonce"], "1");
    let errors = lines(&skipped.stderr);
    assert_eq!(errors.len(), cases.len() + 1);
    for (i, (error, (_, reason))) in errors.iter().zip(&cases).enumerate() {
        assert_eq!(error["kind"], "error");
        assert_eq!(error["line"], i as u64 + 2);
        assert_eq!(error["exit"], 2);
        assert!(
            error["message"].as_str().unwrap().contains(reason),
            "line {}: {error} should name {reason}",
            i + 2
        );
    }
    assert_eq!(errors.last().unwrap()["code"], "bad_input");
}

#[test]
fn signing_steps_in_the_wrong_order_are_refused() {
    let s = setup();
    let mut fd = transfer(0);
    fd["type"] = json!("fee_delegated_value_transfer");
    fd["fee_payer"] = json!(s.payer_address);
    // The fee payer cannot sign an unsigned tx record.
    let out = s.sign(&["--role", "fee-payer", "--key", &s.payer], &ndjson(&[fd.clone()]));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(lines(&out.stderr)[0]["code"], "unsigned_tx");
    // A sender step on a transaction already signed by someone else.
    let signed = s.sign(&["--key", &s.sender], &ndjson(&[fd]));
    let out = s.sign(&["--key", &s.payer], &String::from_utf8_lossy(&signed.stdout));
    assert_eq!(out.status.code(), Some(2));
    let error = &lines(&out.stderr)[0];
    assert_eq!(error["code"], "already_signed");
    assert!(error["message"].as_str().unwrap().contains(SENDER));
    // The fee payer named in the tx must be the key.
    let out = s.sign(&["--role", "fee-payer", "--key", &s.sender], &String::from_utf8_lossy(&signed.stdout));
    assert_eq!(lines(&out.stderr)[0]["code"], "wrong_signer");
    // A fee-payer step on a type without fee delegation.
    let plain = s.sign(&["--key", &s.sender], &ndjson(&[transfer(0)]));
    let out = s.sign(&["--role", "fee-payer", "--key", &s.payer], &String::from_utf8_lossy(&plain.stdout));
    assert_eq!(lines(&out.stderr)[0]["code"], "not_fee_delegated");
}

#[test]
fn policy_denials_exit_1_and_the_audit_log_records_everything() {
    let s = setup();
    let policy = format!("chain_ids = [31337]\nmax_value = 5000\n[[allow]]\nto = \"{TO}\"\n");
    fs::write(s.dir.path().join("policy.toml"), &policy).unwrap();
    let mut big = transfer(1);
    big["value"] = json!("5001");
    let mut elsewhere = transfer(2);
    elsewhere["to"] = json!(SENDER);
    let input = ndjson(&[transfer(0), big, elsewhere, transfer(3)]);
    let args = [
        "--key",
        s.sender.as_str(),
        "--policy",
        "policy.toml",
        "--audit-log",
        "audit.ndjson",
        "--on-error",
        "skip",
    ];
    let out = s.sign(&args, &input);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let signed = lines(&out.stdout);
    assert_eq!(signed.len(), 2);
    let expected_hash = hex::encode(Sha256::digest(policy.as_bytes()));
    assert!(signed.iter().all(|r| r["policy_sha256"] == expected_hash.as_str()));
    let errors = lines(&out.stderr);
    assert_eq!(errors.len(), 2);
    assert!(errors.iter().all(|e| e["code"] == "policy_denied" && e["exit"] == 1));
    assert!(errors[0]["message"].as_str().unwrap().contains("max_value"));
    assert!(errors[1]["message"].as_str().unwrap().contains("allow list"));

    let audit = fs::read_to_string(s.dir.path().join("audit.ndjson")).unwrap();
    let entries = lines(audit.as_bytes());
    let decisions: Vec<_> = entries.iter().map(|e| e["decision"].as_str().unwrap()).collect();
    assert_eq!(decisions, ["approved", "denied", "denied", "approved"]);
    assert_eq!(entries[0]["tx_hash"], signed[0]["hash"]);
    assert_eq!(entries[1]["line"], 2);
    assert!(!audit.contains(SENDER_KEY) && !audit.contains("\"pw\""), "no secrets in the audit log");

    // With the default --on-error=stop, the first denial ends the stream at once.
    let out = s.sign(&["--key", &s.sender, "--policy", "policy.toml"], &input);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(lines(&out.stdout).len(), 1);
}

#[test]
fn key_and_policy_errors() {
    let s = setup();
    fs::write(s.dir.path().join("wrong"), "nope\n").unwrap();
    let out = Command::cargo_bin("evlock-sign")
        .unwrap()
        .env_clear()
        .current_dir(s.dir.path())
        .args(["--key", &s.sender, "--password-file", "wrong"])
        .write_stdin(ndjson(&[transfer(0)]))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(out.stdout.is_empty());
    fs::write(s.dir.path().join("bad.toml"), "max_value = \"lots\"").unwrap();
    let out = s.sign(&["--key", &s.sender, "--policy", "bad.toml"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_value"));
    let out = s.sign(&["--key", "optee:meter-1"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("optee"));
    assert!(Path::new(&s.dir.path().join("pw")).exists());
}

#[test]
fn the_example_policies_load() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/policies");
    for name in ["meter.toml", "operator.toml"] {
        evlock::policy::Policy::load(&root.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn a_chain_id_alias_is_pinned_like_the_wire_name_and_never_leaks() {
    let s = setup();
    let mut tx = transfer(0);
    tx["type"] = json!("legacy");
    tx.as_object_mut().unwrap().remove("chain_id");
    tx["chainID"] = json!("1");
    let out = s.sign(&["--key", &s.sender, "--chain-id", "1001"], &ndjson(&[tx.clone()]));
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "nothing signed");
    let error: Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stderr).lines().next().unwrap()).unwrap();
    assert_eq!(error["code"], "wrong_chain_id");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("chain id 1 ") && message.contains("--chain-id 1001"), "{message}");

    // Without the pin the alias is read, and neither it nor any other spelling is carried.
    tx["feePayerSignatures"] = json!([]);
    tx["gasLimit"] = json!("21000");
    tx["invoice"] = json!("A-1");
    let out = s.sign(&["--key", &s.sender], &ndjson(&[tx]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let signed = &lines(&out.stdout)[0];
    assert_eq!(signed["chain_id"], "1");
    assert_eq!(signed["invoice"], "A-1");
    for alias in ["chainID", "feePayerSignatures", "gasLimit"] {
        assert!(signed.get(alias).is_none(), "{alias} leaked into {signed}");
    }
}

#[test]
fn records_of_other_kinds_or_versions_are_refused() {
    let s = setup();
    let mut receipt = transfer(0);
    receipt["kind"] = json!("receipt");
    let out = s.sign(&["--key", &s.sender], &ndjson(&[receipt]));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wrong_kind") && stderr.contains("this takes tx, signed_tx"), "{stderr}");
    let mut v2 = transfer(0);
    v2["v"] = json!(2);
    let out = s.sign(&["--key", &s.sender], &ndjson(&[v2]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong_version"));
    // Nor does the fee payer sign a receipt record.
    let receipt = json!({"kind": "receipt", "v": 1, "hash": "0x00", "status": "success", "raw": "0x00"});
    let out = s.sign(&["--role", "fee-payer", "--key", &s.payer], &ndjson(&[receipt]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong_kind"));
}

#[test]
fn a_line_over_max_line_is_an_error_record_and_skip_goes_on() {
    let s = setup();
    let long = format!("{{\"pad\":\"{}\"}}\n", "x".repeat(2000));
    let input = format!("{}{long}{}", ndjson(&[transfer(0)]), ndjson(&[transfer(1)]));
    let out = s.sign(&["--key", &s.sender, "--max-line", "1000", "--on-error", "skip"], &input);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let signed = lines(&out.stdout);
    assert_eq!(signed.len(), 2, "the lines around the long one are signed");
    let errors = lines(&out.stderr);
    assert_eq!((errors[0]["code"].as_str(), errors[0]["line"].as_u64()), (Some("line_too_long"), Some(2)));
    // Invalid UTF-8 is an error record too, and skip goes on past it.
    let mut bytes = b"\xff\xfe\n".to_vec();
    bytes.extend_from_slice(ndjson(&[transfer(0)]).as_bytes());
    let out = Command::cargo_bin("evlock-sign")
        .unwrap()
        .env_clear()
        .current_dir(s.dir.path())
        .args(["--password-file", "pw", "--key", &s.sender, "--on-error", "skip"])
        .write_stdin(bytes)
        .output()
        .unwrap();
    assert_eq!(lines(&out.stdout).len(), 1);
    assert_eq!(lines(&out.stderr)[0]["code"], "bad_input");
}

#[test]
fn stream_options_are_offered_only_where_a_stream_is_read() {
    for (tool, args) in
        [("evlock-keygen", vec!["derive"]), ("evlock-devnet", vec![]), ("evlock-relay", vec!["rpc"])]
    {
        let mut command = Command::cargo_bin(tool).unwrap();
        let out = command.args(&args).args(["--on-error", "skip", "--help"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{tool} {args:?} takes no --on-error");
    }
}
