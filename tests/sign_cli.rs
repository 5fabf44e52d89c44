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

/// A meter killed while writing a record to its pipe writes it again after the restart, with
/// the same `meta.link`: the signer reading the pipe signs it once.
#[test]
fn a_repeat_the_link_wrote_is_signed_once() {
    let s = setup();
    let from_link = |nonce: u64, seq: u64| {
        let mut tx = transfer(nonce);
        tx["meta"] = json!({"peer": {"name": "meter-17"}, "link": {"stream": "5f0c", "seq": seq}});
        tx
    };
    let input = ndjson(&[from_link(1, 1), from_link(2, 2), from_link(2, 2), from_link(3, 3)]);
    let out = s.sign(&["--key", &s.sender], &input);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let signed = lines(&out.stdout);
    let nonces: Vec<&str> = signed.iter().map(|r| r["nonce"].as_str().unwrap()).collect();
    assert_eq!(nonces, ["1", "2", "3"]);
    assert_eq!(signed[2]["meta"]["link"]["seq"], 3, "meta (and its link mark) carried through");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 3: dropped a repeat of record 2 of link stream 5f0c"), "{stderr}");
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
    for name in ["meter.toml", "meter-box.toml", "operator.toml"] {
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

/// The keystore fixtures of Kaia's docs and caver-js (`tests/data/keystores/SOURCES.md`).
fn kaia_keystore(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keystores").join(name).display().to_string()
}

fn decode(raw: &Value) -> Value {
    let out = Command::cargo_bin("evlock-sign")
        .unwrap()
        .env_clear()
        .args(["decode", raw.as_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    lines(&out.stdout).remove(0)
}

/// The signers of one role in a decoded record (`sender`/`signers`, `fee_payer_signer`/`…s`).
fn signers(decoded: &Value, one: &str, many: &str) -> Vec<String> {
    match decoded.get(many) {
        Some(list) => list.as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect(),
        None => vec![decoded[one].as_str().unwrap().to_string()],
    }
}

#[test]
fn the_role_based_v4_keystore_of_kaias_docs_signs_each_role_with_its_keys() {
    let s = setup();
    let keystore = kaia_keystore("kaia-v4-role-based.json");
    let password = kaia_keystore("kaia-password.txt");
    // Its account, and each role's keys' own addresses (RoleTransaction has two, RoleAccountUpdate
    // one, RoleFeePayer two), as the caver-js examples list them.
    const ACCOUNT: &str = "0x86bcE8c859f5f304aa30ADb89F2F7B6EE5A0d6e2";
    let transaction =
        ["0x63FdfA2c88c44B8f681c12a357A087eBeb210535", "0x6B9323b26552E256d3Fe3C313859791173C6d013"];
    let account_update = ["0xE4C9fe481391921Fb3c9C81066Fa5a0b7a8e9f9E"];
    let fee_payer =
        ["0xE037F5bFA07facAdF9e99dc9a97F7e2b4Ef51B39", "0x4772220E0733d2F0BA025DACAF257739dd8B2eFD"];
    let role_sign = |role: &str, stdin: &str| {
        let out = Command::cargo_bin("evlock-sign")
            .unwrap()
            .env_clear()
            .args(["--role", role, "--key", &keystore, "--password-file", &password])
            .write_stdin(stdin.to_string())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        lines(&out.stdout).remove(0)
    };

    // A transaction: from defaults to the account, both RoleTransaction keys sign.
    let signed = role_sign("sender", &ndjson(&[transfer(0)]));
    assert_eq!(signed["from"], ACCOUNT);
    let decoded = decode(&signed["raw"]);
    assert_eq!(signers(&decoded, "sender", "signers"), transaction);

    // An account update: the RoleAccountUpdate key alone.
    let update = json!({"kind": "tx", "v": 1, "type": "account_update", "chain_id": "31337", "nonce": "1",
                        "gas": "300000", "gas_price": "25000000000", "key": {"type": "legacy"}});
    let decoded = decode(&role_sign("sender", &ndjson(&[update]))["raw"]);
    assert_eq!(decoded["from"], ACCOUNT);
    assert_eq!(signers(&decoded, "sender", "signers"), account_update);

    // A fee payer: fee_payer defaults to the account, both RoleFeePayer keys sign.
    let mut tx = transfer(2);
    tx["type"] = json!("fee_delegated_value_transfer");
    let sender_signed = s.sign(&["--key", &s.sender], &ndjson(&[tx]));
    assert!(sender_signed.status.success());
    let paid = role_sign("fee-payer", &String::from_utf8_lossy(&sender_signed.stdout));
    let decoded = decode(&paid["raw"]);
    assert_eq!(decoded["fee_payer"], ACCOUNT);
    assert_eq!(decoded["sender"], SENDER);
    assert_eq!(signers(&decoded, "fee_payer_signer", "fee_payer_signers"), fee_payer);
}

#[test]
fn a_decoupled_fee_payer_reproduces_the_fee_delegation_vector_of_kaias_docs() {
    // The docs' fee payer 0x5A00… signs with a key whose own address is 0x33f5…: its keystore,
    // as caver-js writes it, names the account.
    const DOC_PAYER: &str = "0x5A0043070275d9f6054307Ee7348bD660849D90f";
    let s = setup();
    fs::write(s.dir.path().join("payer.hex"), PAYER_KEY).unwrap();
    let imported = common::run(
        "evlock-keygen",
        s.dir.path(),
        &[
            "import",
            "--private-key-file",
            "payer.hex",
            "--account",
            DOC_PAYER,
            "--password-file",
            "pw",
            "--light-kdf",
            "--out-dir",
            "decoupled",
        ],
        "",
    );
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    let record = lines(&imported.stdout).remove(0);
    assert_eq!(record["address"], DOC_PAYER);
    assert_eq!(record["key_address"], s.payer_address.as_str());
    assert_eq!(record["decoupled"], true);
    let keystore = record["keystore"].as_str().unwrap().to_string();

    // docs.kaia.io/learn/transactions/fee-delegation, TxTypeFeeDelegatedValueTransfer.
    let tx = json!({"kind": "tx", "v": 1, "type": "fee_delegated_value_transfer", "chain_id": "1", "nonce": "1234",
                    "gas": "1000000", "gas_price": "25", "to": TO, "value": "10"});
    let sender = s.sign(&["--key", &s.sender], &ndjson(&[tx]));
    assert!(sender.status.success(), "{}", String::from_utf8_lossy(&sender.stderr));
    let paid = s.sign(&["--role", "fee-payer", "--key", &keystore], &String::from_utf8_lossy(&sender.stdout));
    assert!(paid.status.success(), "{}", String::from_utf8_lossy(&paid.stderr));
    let paid = lines(&paid.stdout).remove(0);
    assert_eq!(
        paid["raw"],
        "0x09f8d68204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0bf845f84325a09f8e49e2ad84b0732984398749956e807e4b526c786af3c5f7416b293e638956a06bf88342092f6ff9fabe31739b2ebfa1409707ce54a54693e91a6b9bb77df0e7945a0043070275d9f6054307ee7348bd660849d90ff845f84326a0f45cf8d7f88c08e6b6ec0b3b562f34ca94283e4689021987abb6b0772ddfd80aa0298fe2c5aeabb6a518f4cbb5ff39631a5d88be505d3923374f65fdcf63c2955b"
    );
    assert_eq!(paid["hash"], "0xe1e07f9971153499fc8c7bafcdaf7abc20b37aa4c18fb1e53a9bfcc259e3644c");

    // The same keystore signs as its account in the sender's role too.
    let signed = s.sign(&["--key", &keystore], &ndjson(&[transfer(0)]));
    assert!(signed.status.success(), "{}", String::from_utf8_lossy(&signed.stderr));
    let decoded = decode(&lines(&signed.stdout)[0]["raw"]);
    assert_eq!(decoded["from"], DOC_PAYER);
    assert_eq!(decoded["sender"], s.payer_address.as_str());
}

#[test]
fn decode_hashes_the_bytes_given_and_names_their_form() {
    // The docs' TxTypeFeeDelegatedValueTransfer, signed by its sender only (SenderTxHashRLP),
    // then complete.
    let sender_only = "0x09f87a8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0bf845f84325a09f8e49e2ad84b0732984398749956e807e4b526c786af3c5f7416b293e638956a06bf88342092f6ff9fabe31739b2ebfa1409707ce54a54693e91a6b9bb77df0e7";
    let decoded = decode(&json!(sender_only));
    assert_eq!(decoded["form"], "sender_only");
    let keccak = alloy_primitives::keccak256(hex::decode(&sender_only[2..]).unwrap());
    assert_eq!(decoded["hash"], format!("{keccak}"), "the hash of the bytes given, not of a re-encoding");
    assert!(decoded.get("fee_payer").is_none());
    let complete = "0x09f8d68204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0bf845f84325a09f8e49e2ad84b0732984398749956e807e4b526c786af3c5f7416b293e638956a06bf88342092f6ff9fabe31739b2ebfa1409707ce54a54693e91a6b9bb77df0e7945a0043070275d9f6054307ee7348bd660849d90ff845f84326a0f45cf8d7f88c08e6b6ec0b3b562f34ca94283e4689021987abb6b0772ddfd80aa0298fe2c5aeabb6a518f4cbb5ff39631a5d88be505d3923374f65fdcf63c2955b";
    let decoded = decode(&json!(complete));
    assert_eq!(decoded["form"], "complete");
    assert_eq!(decoded["hash"], "0xe1e07f9971153499fc8c7bafcdaf7abc20b37aa4c18fb1e53a9bfcc259e3644c");
    assert_eq!(decoded["sender_tx_hash"], format!("{keccak}"));
}

#[test]
fn account_updates_kaia_refuses_are_refused_naming_the_rule() {
    let s = setup();
    let public = |byte: u8| {
        let key = k256::ecdsa::SigningKey::from_slice(&[byte; 32]).unwrap();
        format!("0x{}", hex::encode(key.verifying_key().to_sec1_point(true).as_bytes()))
    };
    let multisig = |threshold: u64, n: u8| {
        let keys: Vec<Value> = (1..=n).map(|i| json!({"weight": 1, "public_key": public(i)})).collect();
        json!({"type": "weighted_multisig", "threshold": threshold, "keys": keys})
    };
    let nil = json!({"type": "nil"});
    for (key, rule) in [
        (json!({"type": "role_based", "roles": [nil, nil, nil]}), "ErrAccountKeyNilUninitializable"),
        (multisig(4, 3), "ErrUnsatisfiableThreshold"),
        (multisig(2, 11), "ErrMaxKeysExceed"),
        (
            json!({"type": "role_based", "roles": [{"type": "role_based", "roles": [{"type": "legacy"}]}]}),
            "ErrNestedCompositeType",
        ),
    ] {
        let tx = json!({"kind": "tx", "v": 1, "type": "account_update", "chain_id": "31337", "nonce": "0",
                        "gas": "300000", "gas_price": "25000000000", "key": key});
        let out = s.sign(&["--key", &s.sender], &ndjson(&[tx]));
        assert_eq!(out.status.code(), Some(2), "{rule}");
        assert!(out.stdout.is_empty(), "{rule}: nothing is signed");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(rule) && err.contains("bad_account_key"), "{rule}: {err}");
    }
    // The same keys within Kaia's limits sign.
    let tx = json!({"kind": "tx", "v": 1, "type": "account_update", "chain_id": "31337", "nonce": "0",
                    "gas": "300000", "gas_price": "25000000000", "key": multisig(3, 10)});
    assert!(s.sign(&["--key", &s.sender], &ndjson(&[tx])).status.success());
}
