//! Keys on a PKCS#11 token, for real: SoftHSM2 tokens in a temp folder, keys made by
//! `evlock-keygen new --key pkcs11:…`, every transaction type signed by `evlock-sign` and
//! accepted by `evlock-devnet`, a calibration certificate signed on the token, and the ways it
//! goes wrong. OpenSC's `pkcs11-tool` reads the keys back and its `pkcs11-spy` module records
//! every PKCS#11 call, so the tests see what the token itself returned.
//!
//! Needs `softhsm2` and `opensc` (Debian packages; CI installs them). Without them the tests
//! fail with the fix, unless `EVLOCK_SKIP_SOFTHSM_TESTS=1`.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use alloy_primitives::U256;
use common::{lines, node, node_ready};
use serde_json::{Value, json};

const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";
const PIN: &str = "1234";
const STRANGER: &str = "0x7b65B75d204aBed71587c9E519a89277766EE1d0";
/// Init code returning a 10-byte runtime that returns 42 for any call.
const CONTRACT: &str = "0x600a600c600039600a6000f3602a60005260206000f3";

/// The secp256k1 group order.
fn order() -> U256 {
    "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141".parse().unwrap()
}

fn ready() -> bool {
    let tools = Path::new(SOFTHSM).exists()
        && which("softhsm2-util").is_some()
        && which("pkcs11-tool").is_some()
        && spy_module().is_some();
    if tools {
        return true;
    }
    if std::env::var("EVLOCK_SKIP_SOFTHSM_TESTS").as_deref() == Ok("1") {
        eprintln!("skipping: softhsm2 or opensc is missing and EVLOCK_SKIP_SOFTHSM_TESTS=1");
        return false;
    }
    panic!("SoftHSM2 and OpenSC are needed: apt-get install softhsm2 opensc (.ci/run does it)");
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(program)).find(|p| p.exists())
}

/// OpenSC's logging PKCS#11 module, in the multiarch library folder.
fn spy_module() -> Option<PathBuf> {
    std::fs::read_dir("/usr/lib")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("pkcs11-spy.so"))
        .find(|p| p.exists())
}

/// SoftHSM2 tokens in a temp folder, each with user PIN 1234.
struct Hsm {
    dir: tempfile::TempDir,
}

impl Hsm {
    fn new(labels: &[&str]) -> Hsm {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("tokens")).unwrap();
        std::fs::write(
            dir.path().join("softhsm2.conf"),
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                dir.path().join("tokens").display()
            ),
        )
        .unwrap();
        std::fs::write(dir.path().join("pin"), format!("{PIN}\n")).unwrap();
        std::fs::write(dir.path().join("bad-pin"), "0000\n").unwrap();
        let hsm = Hsm { dir };
        for label in labels {
            let out = hsm
                .command("softhsm2-util")
                .args(["--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", "5678"])
                .output()
                .unwrap();
            assert!(out.status.success(), "softhsm2-util: {}", String::from_utf8_lossy(&out.stderr));
        }
        hsm
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A command in the temp folder seeing only these tokens.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("SOFTHSM2_CONF", self.path().join("softhsm2.conf"))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(self.path());
        command
    }

    /// Runs one of our binaries with `envs`, `input` on stdin.
    fn run_with(&self, bin: &str, args: &[&str], envs: &[(&str, &str)], input: &str) -> Output {
        let mut child = self
            .command(assert_cmd::cargo::cargo_bin(bin))
            .envs(envs.iter().copied())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_string();
        let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, input.as_bytes()));
        let output = child.wait_with_output().unwrap();
        // A tool that fails before reading its input closes the pipe: that is not a test error.
        if let Err(e) = writer.join().unwrap() {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
        output
    }

    fn run(&self, bin: &str, args: &[&str], input: &str) -> Output {
        self.run_with(bin, args, &[], input)
    }

    /// `evlock-keygen new --key pkcs11:token=TOKEN;object=OBJECT`: the key record.
    fn keygen(&self, token: &str, object: &str) -> Value {
        let uri = format!("pkcs11:token={token};object={object}");
        let out = self.run(
            "evlock-keygen",
            &["new", "--key", &uri, "--pkcs11-module", SOFTHSM, "--pin-file", "pin"],
            "",
        );
        assert!(out.status.success(), "keygen: {}", stderr(&out));
        let records = lines(&out.stdout);
        assert_eq!(records.len(), 1);
        records[0].clone()
    }

    /// A P-256 key made by OpenSC's pkcs11-tool.
    fn p256_key(&self, token: &str, label: &str) {
        let out = self
            .command("pkcs11-tool")
            .args(["--module", SOFTHSM, "--token-label", token, "--login", "--pin", PIN])
            .args(["--keypairgen", "--key-type", "EC:prime256v1", "--label", label])
            .output()
            .unwrap();
        assert!(out.status.success(), "pkcs11-tool: {}", stderr(&out));
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The 64-byte outputs of every C_Sign in a pkcs11-spy log.
fn spied_signatures(log: &str) -> Vec<[u8; 64]> {
    let mut signatures = Vec::new();
    let mut rows = log.lines().peekable();
    while let Some(line) = rows.next() {
        if !(line.starts_with("[out] pSignature[*pulSignatureLen]") && line.ends_with("/ 64")) {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(row) = rows.peek().filter(|r| r.starts_with("    0000")) {
            bytes.extend(row.split_whitespace().skip(1).take(16).map(|b| u8::from_str_radix(b, 16).unwrap()));
            rows.next();
        }
        signatures.push(bytes.try_into().expect("64 bytes"));
    }
    signatures
}

/// A `tx` record of `ty` from `from` at `nonce`.
fn tx(ty: &str, nonce: u64, from: &str, payer: &str, contract: &str) -> Value {
    let mut tx =
        json!({"kind": "tx", "type": ty, "chain_id": "31337", "nonce": nonce.to_string(), "gas": "300000"});
    let t = tx.as_object_mut().unwrap();
    if ty == "eip1559" {
        t.insert("max_fee_per_gas".into(), json!("50000000000"));
        t.insert("max_priority_fee_per_gas".into(), json!("1000000000"));
    } else {
        t.insert("gas_price".into(), json!("25000000000"));
    }
    if !matches!(ty, "legacy" | "eip2930" | "eip1559") {
        t.insert("from".into(), json!(from));
    }
    match ty.trim_start_matches("fee_delegated_").trim_end_matches("_with_ratio") {
        "legacy" | "eip2930" | "eip1559" | "value_transfer" => {
            t.insert("to".into(), json!(STRANGER));
            t.insert("value".into(), json!("1000"));
        }
        "value_transfer_memo" => {
            t.insert("to".into(), json!(STRANGER));
            t.insert("value".into(), json!("1000"));
            t.insert("input".into(), json!("0x6576206c6f636b"));
        }
        "account_update" => {
            t.insert("key".into(), json!({"type": "legacy"}));
        }
        "smart_contract_deploy" => {
            t.insert("gas".into(), json!("3000000"));
            t.insert("value".into(), json!("0"));
            t.insert("input".into(), json!(CONTRACT));
            t.insert("human_readable".into(), json!(false));
            t.insert("code_format".into(), json!(0));
        }
        "smart_contract_execution" => {
            t.insert("to".into(), json!(contract));
            t.insert("value".into(), json!("0"));
            t.insert("input".into(), json!("0x01020304"));
        }
        "cancel" => {}
        other => unreachable!("{other}"),
    }
    if ty.starts_with("fee_delegated_") {
        t.insert("fee_payer".into(), json!(payer));
    }
    if ty.ends_with("_with_ratio") {
        t.insert("fee_ratio".into(), json!(30));
    }
    tx
}

fn ndjson(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

#[test]
fn token_keys_sign_every_transaction_type_and_the_devnet_accepts_them() {
    if !ready() {
        return;
    }
    let hsm = Hsm::new(&["ops"]);
    let meter = hsm.keygen("ops", "meter");
    let payer = hsm.keygen("ops", "payer");
    let sender = meter["address"].as_str().unwrap().to_string();
    let fee_payer = payer["address"].as_str().unwrap().to_string();
    assert_eq!(meter["uri"], "pkcs11:token=ops;object=meter");
    let fields: Vec<&str> = meter.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(fields, ["kind", "v", "address", "public_key", "uri"], "only the address and public key");

    // The address is that of the public key, and the public key is the token's (OpenSC reads it).
    let public = ::hex::decode(meter["public_key"].as_str().unwrap().trim_start_matches("0x")).unwrap();
    let key = k256::ecdsa::VerifyingKey::from_sec1_bytes(&public).unwrap();
    assert_eq!(evlock::kaia::address_of(&key).to_checksum(None), sender);
    let out = hsm
        .command("pkcs11-tool")
        .args(["--module", SOFTHSM, "--token-label", "ops", "--read-object", "--type", "pubkey"])
        .args(["--label", "meter", "--output-file", "meter.der"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let der = std::fs::read(hsm.path().join("meter.der")).unwrap();
    assert!(der.ends_with(&public), "pkcs11-tool reads the same public key");
    // The private key is sensitive and never extractable.
    let out = hsm
        .command("pkcs11-tool")
        .args(["--module", SOFTHSM, "--token-label", "ops", "--login", "--pin", PIN, "--list-objects"])
        .args(["--type", "privkey"])
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(listing.contains("never extractable") && listing.contains("sensitive"), "{listing}");

    // Fund both token accounts from a dev account.
    let devnet = common::devnet::Devnet::start(hsm.path(), &[]);
    let dev = common::devnet::dev_keys(hsm.path(), 1);
    let funding: Vec<Value> = [&sender, &fee_payer]
        .iter()
        .enumerate()
        .map(|(nonce, to)| {
            json!({"kind": "tx", "type": "value_transfer", "chain_id": "31337", "nonce": nonce.to_string(),
                   "gas": "21000", "gas_price": "25000000000", "to": to, "value": "10000000000000000000"})
        })
        .collect();
    let signed = common::devnet::sign(hsm.path(), &dev[0].0, "sender", &ndjson(&funding));
    let (code, _, err) = common::devnet::submit(hsm.path(), &devnet.url, &signed);
    assert_eq!(code, Some(0), "{err}");

    let sign = |role: &str, key: &str, envs: &[(&str, &str)], input: &str| -> Vec<Value> {
        let uri = format!("pkcs11:token=ops;object={key}");
        let out =
            hsm.run_with("evlock-sign", &["--role", role, "--key", &uri, "--pin-file", "pin"], envs, input);
        assert!(out.status.success(), "{role}: {}", stderr(&out));
        lines(&out.stdout)
    };
    let module = [("EVLOCK_PKCS11_MODULE", SOFTHSM)];

    // A contract first, to be called by the execution types.
    let deploy =
        sign("sender", "meter", &module, &ndjson(&[tx("smart_contract_deploy", 0, &sender, "", "")]));
    let (code, receipts, err) = common::devnet::submit(hsm.path(), &devnet.url, &ndjson(&deploy));
    assert_eq!(code, Some(0), "{err}");
    let contract = receipts[0]["contract_address"].as_str().unwrap().to_string();

    // Every other type, in nonce order; the sender signs through pkcs11-spy, which logs what
    // the token returned.
    let types: Vec<&str> =
        evlock::kaia::TxType::all().map(|t| t.name()).filter(|t| *t != "smart_contract_deploy").collect();
    assert_eq!(types.len(), 20);
    let records: Vec<Value> = types
        .iter()
        .enumerate()
        .map(|(i, ty)| tx(ty, i as u64 + 1, &sender, &fee_payer, &contract))
        .collect();
    let spy = spy_module().unwrap();
    let spy_log = hsm.path().join("spy.log");
    let spied = [
        ("EVLOCK_PKCS11_MODULE", spy.to_str().unwrap()),
        ("PKCS11SPY", SOFTHSM),
        ("PKCS11SPY_OUTPUT", spy_log.to_str().unwrap()),
    ];
    let by_sender = sign("sender", "meter", &spied, &ndjson(&records));
    assert_eq!(by_sender.len(), 20);
    let delegated: Vec<Value> = by_sender
        .iter()
        .filter(|r| r["type"].as_str().unwrap().starts_with("fee_delegated_"))
        .cloned()
        .collect();
    assert_eq!(delegated.len(), 12);
    let by_payer: HashMap<String, Value> = sign("fee-payer", "payer", &module, &ndjson(&delegated))
        .into_iter()
        .map(|r| (r["nonce"].as_str().unwrap().to_string(), r))
        .collect();
    let finals: Vec<Value> = by_sender
        .iter()
        .map(|r| by_payer.get(r["nonce"].as_str().unwrap()).cloned().unwrap_or_else(|| r.clone()))
        .collect();

    // evlock decodes every one: the signers are the token keys, every s is low.
    let raws: String = finals.iter().map(|r| format!("{}\n", r["raw"].as_str().unwrap())).collect();
    let out = hsm.run("evlock-sign", &["decode"], &raws);
    assert!(out.status.success(), "{}", stderr(&out));
    let decoded = lines(&out.stdout);
    let half = order() >> 1;
    let mut ours: Vec<(U256, U256)> = Vec::new();
    for (d, ty) in decoded.iter().zip(&types) {
        assert_eq!(d["sender"], sender.as_str(), "{ty}");
        let mut sigs = vec![("signatures", &d["signatures"])];
        if ty.starts_with("fee_delegated_") {
            assert_eq!(d["fee_payer_signer"], fee_payer.as_str(), "{ty}");
            sigs.push(("fee_payer_signatures", &d["fee_payer_signatures"]));
        }
        for (field, list) in sigs {
            for sig in list.as_array().unwrap_or_else(|| panic!("{ty}: {field} in {d}")) {
                let s: U256 = sig["s"].as_str().unwrap().parse().unwrap();
                assert!(s <= half, "{ty}: high-S in {field}");
                if field == "signatures" {
                    ours.push((sig["r"].as_str().unwrap().parse().unwrap(), s));
                }
            }
        }
    }
    assert_eq!(ours.len(), 20);

    // What the token returned: the same r, the same s or n - s; and some were high-S.
    let token: HashMap<U256, U256> = spied_signatures(&std::fs::read_to_string(&spy_log).unwrap())
        .iter()
        .map(|sig| (U256::from_be_slice(&sig[..32]), U256::from_be_slice(&sig[32..])))
        .collect();
    let mut flipped = 0;
    for (r, s) in &ours {
        let token_s = token.get(r).expect("every signature came from the token");
        if token_s != s {
            assert_eq!(*token_s, order() - s, "normalized, not altered");
            flipped += 1;
        }
    }
    eprintln!("{flipped} of {} token signatures were high-S and normalized", ours.len());
    assert!(flipped > 0, "SoftHSM2 returns high-S about half the time: 20 in a row low is 1 in 10^6");

    // Kaia's SDK recovers the same signers.
    if node_ready() {
        let cases: String = finals
            .iter()
            .enumerate()
            .map(|(i, r)| format!("{}\n", json!({"case": i, "raw": r["raw"]})))
            .collect();
        for (i, d) in lines(node("kaia.mjs", &["decode"], &cases).as_bytes()).iter().enumerate() {
            assert!(d.get("error").is_none(), "{}: {d}", types[i]);
            assert_eq!(
                d["recovered_from"].as_str().unwrap().to_lowercase(),
                sender.to_lowercase(),
                "{}",
                types[i]
            );
        }
    }

    // The devnet accepts all of them.
    let (code, receipts, err) = common::devnet::submit(hsm.path(), &devnet.url, &ndjson(&finals));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(receipts.len(), 20);
    for (receipt, ty) in receipts.iter().zip(&types) {
        assert_eq!(receipt["status"], "success", "{ty}: {receipt}");
    }

    // list shows both keys, as records that name them.
    let out =
        hsm.run("evlock-keygen", &["list", "--key", "pkcs11:token=ops", "--pkcs11-module", SOFTHSM], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let mut listed: Vec<(String, String)> = lines(&out.stdout)
        .iter()
        .map(|r| (r["uri"].as_str().unwrap().to_string(), r["address"].as_str().unwrap().to_string()))
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            ("pkcs11:token=ops;object=meter".to_string(), sender),
            ("pkcs11:token=ops;object=payer".to_string(), fee_payer)
        ]
    );
}

#[test]
fn a_calibration_certificate_signed_on_the_token_verifies() {
    if !ready() {
        return;
    }
    let hsm = Hsm::new(&["bench"]);
    let technician = hsm.keygen("bench", "technician")["address"].as_str().unwrap().to_string();
    let commission = |out: &str| {
        hsm.run(
            "evlock-calibrate",
            &[
                "commission",
                "--device",
                "sim:tokenbench",
                "--switch",
                "sim:tokenbench",
                "--reference",
                "sim:tokenbench?role=reference",
                "--key",
                "pkcs11:token=bench;object=technician",
                "--pkcs11-module",
                SOFTHSM,
                "--pin-file",
                "pin",
                "--clock",
                "virtual",
                "--out",
                out,
            ],
            "",
        )
    };
    let out = commission("cert.json");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let records = lines(&out.stdout);
    assert_eq!(records.last().unwrap()["technician"], technician.as_str());
    let certificate: Value =
        serde_json::from_str(&std::fs::read_to_string(hsm.path().join("cert.json")).unwrap()).unwrap();
    assert_eq!(certificate["technician"], technician.as_str());
    let out = hsm.run(
        "evlock-calibrate",
        &[
            "check",
            "--certificate",
            "cert.json",
            "--device",
            "sim:tokenbench",
            "--switch",
            "sim:tokenbench",
            "--reference",
            "sim:tokenbench?role=reference",
            "--clock",
            "virtual",
            "--technician",
            &technician,
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let done = lines(&out.stdout).last().cloned().unwrap();
    assert_eq!(done["signature"], "valid");
    assert_eq!(done["pass"], true);
}

#[test]
fn wrong_pins_modules_tokens_and_keys_are_refused_clearly() {
    if !ready() {
        return;
    }
    let hsm = Hsm::new(&["ops", "spare"]);
    let address = hsm.keygen("ops", "meter")["address"].as_str().unwrap().to_string();
    hsm.p256_key("ops", "tls");
    let transfer = format!(
        "{}\n",
        json!({"type": "value_transfer", "chain_id": "31337", "nonce": "0", "gas": "21000", "gas_price": "1",
               "to": STRANGER, "value": "1", "from": address})
    );
    let sign = |args: &[&str], envs: &[(&str, &str)]| {
        let out = hsm.run_with("evlock-sign", args, envs, &transfer);
        assert!(out.stdout.is_empty(), "nothing is signed: {}", String::from_utf8_lossy(&out.stdout));
        (out.status.code(), stderr(&out))
    };
    let key = "pkcs11:token=ops;object=meter";

    // A wrong PIN: exit 5, and the token saw exactly one login attempt.
    let spy = spy_module().unwrap();
    let spy_log = hsm.path().join("login.log");
    let (code, err) = sign(
        &["--key", key, "--pin-file", "bad-pin"],
        &[
            ("EVLOCK_PKCS11_MODULE", spy.to_str().unwrap()),
            ("PKCS11SPY", SOFTHSM),
            ("PKCS11SPY_OUTPUT", spy_log.to_str().unwrap()),
        ],
    );
    assert_eq!(code, Some(5), "{err}");
    assert!(err.contains("wrong PIN for token \"ops\"") && err.contains("tried once"), "{err}");
    let log = std::fs::read_to_string(&spy_log).unwrap();
    assert_eq!(log.matches(": C_Login\n").count(), 1, "one login attempt, no retry");
    assert!(log.contains("CKR_PIN_INCORRECT"));
    // The right PIN still works: the token did not lock.
    let out =
        hsm.run("evlock-sign", &["--key", key, "--pin-file", "pin", "--pkcs11-module", SOFTHSM], &transfer);
    assert!(out.status.success(), "{}", stderr(&out));

    let with_module = |extra: &[&str]| {
        let mut args = vec!["--pkcs11-module", SOFTHSM];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>| sign(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[]);

    // A module that is missing, or is not a PKCS#11 library; no module at all.
    let (code, err) =
        sign(&["--key", key, "--pin-file", "pin", "--pkcs11-module", "/nonexistent/libx.so"], &[]);
    assert_eq!(code, Some(5), "{err}");
    assert!(err.contains("cannot load the PKCS#11 module /nonexistent/libx.so: no such file"), "{err}");
    std::fs::write(hsm.path().join("not-a-module.so"), "text").unwrap();
    let (code, err) = sign(&["--key", key, "--pin-file", "pin", "--pkcs11-module", "not-a-module.so"], &[]);
    assert_eq!(code, Some(5), "{err}");
    assert!(err.contains("cannot load the PKCS#11 module not-a-module.so"), "{err}");
    let (code, err) = sign(&["--key", key, "--pin-file", "pin"], &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no PKCS#11 module") && err.contains("EVLOCK_PKCS11_MODULE"), "{err}");
    // The URI may name the module itself.
    let in_uri = format!("{key}?module-path={SOFTHSM}");
    let out = hsm.run("evlock-sign", &["--key", &in_uri, "--pin-file", "pin"], &transfer);
    assert!(out.status.success(), "{}", stderr(&out));

    // An unknown token, an unknown object.
    let (code, err) = run(with_module(&["--key", "pkcs11:token=nope;object=meter", "--pin-file", "pin"]));
    assert_eq!(code, Some(5), "{err}");
    assert!(err.contains("no token matches token=nope") && err.contains("\"ops\", \"spare\""), "{err}");
    let (code, err) = run(with_module(&["--key", "pkcs11:token=ops;object=nope", "--pin-file", "pin"]));
    assert_eq!(code, Some(5), "{err}");
    assert!(err.contains("no private key matches object=nope on token \"ops\""), "{err}");
    let (code, err) = run(with_module(&["--key", "pkcs11:token=ops", "--pin-file", "pin"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("names no key"), "{err}");

    // A key on another curve is named as such.
    let (code, err) = run(with_module(&["--key", "pkcs11:token=ops;object=tls", "--pin-file", "pin"]));
    assert_eq!(code, Some(5), "{err}");
    assert!(
        err.contains("key \"tls\" on token \"ops\" is a P-256 (prime256v1) key, not a secp256k1 key"),
        "{err}"
    );

    // A missing PIN file; a PIN in the URI; no PIN and no terminal.
    let (code, err) = run(with_module(&["--key", key, "--pin-file", "no-such-pin"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot read PIN file no-such-pin"), "{err}");
    let (code, err) = run(with_module(&["--key", "pkcs11:token=ops;object=meter?pin-value=1234"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("pin-value would put the PIN on the command line"), "{err}");
    let (code, err) = run(with_module(&["--key", key]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no PIN") && err.contains("--pin-file"), "{err}");

    // keygen: a label that exists is refused and the key kept; list skips the P-256 key.
    let out =
        hsm.run("evlock-keygen", &["new", "--key", key, "--pkcs11-module", SOFTHSM, "--pin-file", "pin"], "");
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("holds a key labelled \"meter\" already"), "{}", stderr(&out));
    let out =
        hsm.run("evlock-keygen", &["list", "--key", "pkcs11:token=ops", "--pkcs11-module", SOFTHSM], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = lines(&out.stdout);
    assert_eq!(listed.len(), 1, "only the secp256k1 key: {listed:?}");
    assert_eq!(listed[0]["address"], address.as_str());
    let out =
        hsm.run("evlock-keygen", &["list", "--key", "pkcs11:token=spare", "--pkcs11-module", SOFTHSM], "");
    assert!(out.status.success() && out.stdout.is_empty(), "{}", stderr(&out));
}

#[test]
fn a_delivery_session_signs_reports_with_two_keys_on_one_token() {
    if !ready() {
        return;
    }
    let hsm = Hsm::new(&["ops"]);
    let meter = hsm.keygen("ops", "meter")["address"].as_str().unwrap().to_string();
    let operator = hsm.keygen("ops", "operator")["address"].as_str().unwrap().to_string();
    let devnet = common::devnet::Devnet::start(hsm.path(), &[]);
    let keys = common::devnet::dev_keys(hsm.path(), 4);
    let (registrar, seller, buyer, buyer_meter) = (&keys[0], &keys[1], &keys[2], &keys[3]);
    let step = |who: &(String, String), contract: &str, args: &[&str]| -> Vec<Value> {
        // The subcommand first: the connection options belong to it.
        let mut all = vec![args[0], "--rpc", devnet.url.as_str(), "--from", who.1.as_str()];
        if !contract.is_empty() {
            all.extend(["--contract", contract]);
        }
        all.extend(&args[1..]);
        let out = hsm.run("evlock-trade", &all, "");
        assert!(out.status.success(), "evlock-trade {args:?}: {}", stderr(&out));
        let signed =
            common::devnet::sign(hsm.path(), &who.0, "sender", &String::from_utf8(out.stdout).unwrap());
        let (code, receipts, err) = common::devnet::submit(hsm.path(), &devnet.url, &signed);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        receipts
    };
    // The operator's token key pays the gas: fund it.
    let fund = json!({"kind": "tx", "type": "value_transfer", "chain_id": "31337", "nonce": "0", "gas": "21000",
                      "gas_price": "25000000000", "to": operator, "value": "10000000000000000000"});
    let signed = common::devnet::sign(hsm.path(), &registrar.0, "sender", &format!("{fund}\n"));
    assert_eq!(common::devnet::submit(hsm.path(), &devnet.url, &signed).0, Some(0));
    let contract = step(registrar, "", &["deploy", "--delivery-blocks", "60"])[0]["contract_address"]
        .as_str()
        .unwrap()
        .to_string();
    step(registrar, &contract, &["register-meter", "--meter", &meter, "--owner", &seller.1]);
    step(registrar, &contract, &["register-meter", "--meter", &buyer_meter.1, "--owner", &buyer.1]);
    step(seller, &contract, &["offer", "--energy", "20Wh", "--price", "2ston/Wh"]);
    step(buyer, &contract, &["buy", "--offer", "1"]);

    let out = hsm.run(
        "evlock-trade",
        &[
            "--rpc",
            &devnet.url,
            "--contract",
            &contract,
            "deliver",
            "--trade",
            "1",
            "--role",
            "seller",
            "--key",
            "pkcs11:token=ops;object=meter",
            "--pin-file",
            "pin",
            "--fee-payer-key",
            "pkcs11:token=ops;object=operator",
            "--fee-payer-pin-file",
            "pin",
            "--pkcs11-module",
            SOFTHSM,
            "--device",
            "sim:seller?volts=12&amps=2",
            "--switch",
            "sim:seller",
            "--journal",
            "seller.ndjson",
            "--clock",
            "virtual",
            "--interval",
            "1s",
            "--every",
            "600s",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let records = lines(&out.stdout);
    let receipts: Vec<&Value> = records.iter().filter(|r| r["kind"] == "receipt").collect();
    assert!(receipts.len() >= 5, "{records:?}");
    for receipt in &receipts {
        assert_eq!(receipt["status"], "success", "{receipt}");
        assert_eq!(receipt["fee_payer"], operator.as_str(), "the operator's token key paid");
        assert_eq!(receipt["from"], meter.as_str(), "the meter's token key reported");
    }
    assert_eq!(records.last().unwrap()["fields"]["seller_report_wh"], "20");
}

/// Set in the child run of [`a_token_key_cannot_be_read_or_made_extractable`]: that child talks
/// to the token through PKCS#11 itself (cryptoki), in a process of its own, since SoftHSM2 takes
/// its token folder from the environment.
const PROBE: &str = "EVLOCK_PKCS11_PROBE_DIR";

/// The normal world holding the token's PIN tries to read a key `evlock-keygen` made, straight
/// through PKCS#11: the token answers CKA_VALUE (the secret scalar) as sensitive with no bytes,
/// refuses to make the key non-sensitive or extractable, and refuses to wrap it out under a
/// key the caller chose, while it still signs with it.
#[test]
fn a_token_key_cannot_be_read_or_made_extractable() {
    if let Ok(dir) = std::env::var(PROBE) {
        return probe_token_key(Path::new(&dir));
    }
    if !ready() {
        return;
    }
    let hsm = Hsm::new(&["ops"]);
    hsm.keygen("ops", "meter");
    let out = hsm
        .command(std::env::current_exe().unwrap())
        .env(PROBE, hsm.path())
        .args(["--exact", "a_token_key_cannot_be_read_or_made_extractable", "--nocapture"])
        .output()
        .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(out.status.success(), "{said}");
    assert!(said.contains("1 passed"), "{said}");
}

/// The child's half: cryptoki on the token in `dir` (SOFTHSM2_CONF is set by the parent).
fn probe_token_key(dir: &Path) {
    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    use cryptoki::mechanism::Mechanism;
    use cryptoki::object::{Attribute, AttributeInfo, AttributeType, ObjectClass};
    use cryptoki::session::UserType;
    use cryptoki::types::AuthPin;

    assert_eq!(std::env::var_os("SOFTHSM2_CONF").map(PathBuf::from), Some(dir.join("softhsm2.conf")));
    let pkcs11 = Pkcs11::new(SOFTHSM).unwrap();
    pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)).unwrap();
    let slot = pkcs11.get_slots_with_token().unwrap()[0];
    let session = pkcs11.open_rw_session(slot).unwrap();
    session.login(UserType::User, Some(&AuthPin::new(PIN.into()))).unwrap();
    let private = session
        .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY), Attribute::Label(b"meter".to_vec())])
        .unwrap();
    assert_eq!(private.len(), 1, "evlock-keygen made one private key");
    let key = private[0];

    // CKA_VALUE, the secret scalar: the token says it is sensitive and returns no bytes.
    let info = session.get_attribute_info(key, &[AttributeType::Value]).unwrap();
    assert!(matches!(info[..], [AttributeInfo::Sensitive]), "CKA_VALUE is {info:?}");
    let got = session.get_attributes(key, &[AttributeType::Value]).unwrap_or_default();
    assert!(!got.iter().any(|a| matches!(a, Attribute::Value(_))), "the token returned CKA_VALUE");
    let flags = session.get_attributes(key, &[AttributeType::Sensitive, AttributeType::Extractable]).unwrap();
    assert!(flags.contains(&Attribute::Sensitive(true)) && flags.contains(&Attribute::Extractable(false)));

    // Neither flag can be turned back (PKCS#11 allows only sensitive → more sensitive).
    assert!(session.update_attributes(key, &[Attribute::Sensitive(false)]).is_err(), "made non-sensitive");
    assert!(session.update_attributes(key, &[Attribute::Extractable(true)]).is_err(), "made extractable");

    // Nor wrapped out under a key the attacker chose.
    let wrapping = session
        .generate_key(
            &Mechanism::AesKeyGen,
            &[
                Attribute::Token(false),
                Attribute::ValueLen(32.into()),
                Attribute::Wrap(true),
                Attribute::Encrypt(true),
            ],
        )
        .unwrap();
    assert!(session.wrap_key(&Mechanism::AesKeyWrapPad, wrapping, key).is_err(), "the key was wrapped out");

    // It is still the meter's signing key.
    let signature = session.sign(&Mechanism::Ecdsa, key, &[7u8; 32]).unwrap();
    assert_eq!(signature.len(), 64);
}
