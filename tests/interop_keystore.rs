//! Keystores that other wallets read: a keystore written by `evlock-keygen` decrypts to the
//! same address in ethers v6, and one written by ethers v6 decrypts in `evlock-keygen`.

mod common;

use common::{lines, node, node_ready, run};
use serde_json::Value;

#[test]
fn evlock_keystores_open_in_ethers() {
    if !node_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), "correct horse battery staple\n").unwrap();
    for (name, extra) in [("light", vec!["--light-kdf"]), ("standard", vec![])] {
        let mut args = vec!["new", "--discard-mnemonic", "--password-file", "pw", "--out-dir", name];
        args.extend(extra);
        let out = run("evlock-keygen", dir.path(), &args, "");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let record = &lines(&out.stdout)[0];
        let keystore = dir.path().join(record["keystore"].as_str().unwrap());
        let pw = dir.path().join("pw");
        let opened: Value = serde_json::from_str(&node(
            "keystore.mjs",
            &["decrypt", keystore.to_str().unwrap(), pw.to_str().unwrap()],
            "",
        ))
        .unwrap();
        assert_eq!(opened["address"], record["address"], "{name} keystore");
    }
}

#[test]
fn ethers_keystores_open_in_evlock() {
    if !node_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "ethers password\n").unwrap();
    let key = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
    for (name, light) in [("light.json", true), ("default.json", false)] {
        let file = dir.path().join(name);
        let mut args = vec!["encrypt", key, pw.to_str().unwrap(), file.to_str().unwrap()];
        if light {
            args.push("--light");
        }
        let written: Value = serde_json::from_str(&node("keystore.mjs", &args, "")).unwrap();
        let out =
            run("evlock-keygen", dir.path(), &["inspect", "--verify", "--password-file", "pw", name], "");
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let record = &lines(&out.stdout)[0];
        assert_eq!(record["address"], written["address"], "{name}");
        assert_eq!(record["verified"], true);
        // And the wrong password is refused with exit 5.
        std::fs::write(dir.path().join("wrong"), "ethers Password\n").unwrap();
        let out =
            run("evlock-keygen", dir.path(), &["inspect", "--verify", "--password-file", "wrong", name], "");
        assert_eq!(out.status.code(), Some(5));
    }
}

#[test]
fn a_decoupled_accounts_keystore_opens_in_the_kaia_sdk_as_that_account() {
    if !node_ready() {
        return;
    }
    // The fee payer of Kaia's fee-delegation examples: account 0x5A00…, key of 0x33f5….
    const ACCOUNT: &str = "0x5A0043070275d9f6054307Ee7348bD660849D90f";
    const KEY_ADDRESS: &str = "0x33f524631e573329a550296F595c820D6c65213f";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), "pw\n").unwrap();
    std::fs::write(
        dir.path().join("key.hex"),
        "b9d5558443585bca6f225b935950e3f6e69f9da8a5809a83f51c3365dff53936",
    )
    .unwrap();
    let args = [
        "import",
        "--private-key-file",
        "key.hex",
        "--account",
        ACCOUNT,
        "--password-file",
        "pw",
        "--light-kdf",
    ];
    let out = run("evlock-keygen", dir.path(), &args, "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let record = &lines(&out.stdout)[0];
    assert_eq!((record["address"].as_str(), record["format"].as_str()), (Some(ACCOUNT), Some("kip3-v4")));
    assert_eq!(record["key_address"], KEY_ADDRESS);
    let keystore = dir.path().join(record["keystore"].as_str().unwrap());
    let pw = dir.path().join("pw");
    let opened: Value = serde_json::from_str(&node(
        "keystore.mjs",
        &["decrypt", keystore.to_str().unwrap(), pw.to_str().unwrap(), "--kaia"],
        "",
    ))
    .unwrap();
    assert_eq!(opened["address"], ACCOUNT, "the SDK's wallet signs for the account");
    assert_eq!(opened["key_address"].as_str().unwrap().to_lowercase(), KEY_ADDRESS.to_lowercase());
    // And evlock verifies it: a KIP-3 file says its key is the account's without being its address.
    let out = run(
        "evlock-keygen",
        dir.path(),
        &["inspect", "--verify", "--password-file", "pw", keystore.to_str().unwrap()],
        "",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let inspected = &lines(&out.stdout)[0];
    assert_eq!((inspected["verified"].as_bool(), inspected["decoupled"].as_bool()), (Some(true), Some(true)));
    assert_eq!(inspected["roles"], serde_json::json!(["transaction", "account_update", "fee_payer"]));
}
