//! Differential test against Kaia's official SDK (`@kaiachain/ethers-ext` v6 with ethers 6,
//! pinned in tests/js): random transactions of every type, signed by `evlock-sign` and by
//! the SDK, must give identical raw bytes and hashes (EIP-2930/1559 in the plain EIP-2718
//! form, fee-delegated ones also at the sender's step when no fee payer is named yet), and
//! each side must decode the other's.
//!
//! The seed is random per run and printed; `EVLOCK_DIFF_SEED=N` replays a run and
//! `EVLOCK_DIFF_CASES=N` changes the number of cases (default 1,050: 50 of each type).

mod common;

use std::collections::HashMap;

use common::txgen::{address, hex, make_tx, random_key, types};
use common::{Rng, import_key, lines, node, node_ready, run};
use serde_json::{Value, json};

#[test]
fn evlock_sign_matches_the_kaia_sdk() {
    if !node_ready() {
        return;
    }
    let seed = std::env::var("EVLOCK_DIFF_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    let count: usize = std::env::var("EVLOCK_DIFF_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(1050);
    eprintln!("differential seed {seed} ({count} cases); replay with EVLOCK_DIFF_SEED={seed}");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let sender_key = random_key(&mut rng);
    let payer_key = random_key(&mut rng);
    let (sender_store, sender) = import_key(dir.path(), &::hex::encode(sender_key.to_bytes()), "sender");
    let (payer_store, payer) = import_key(dir.path(), &::hex::encode(payer_key.to_bytes()), "payer");

    let types = types();
    assert_eq!(types.len(), 21);
    let cases: Vec<Value> =
        (0..count).map(|i| make_tx(&mut rng, types[i % types.len()], &sender, &payer)).collect();
    let delegated = |i: usize| types[i % types.len()].starts_with("fee_delegated_");

    // evlock-sign, sender then fee payer.
    let input: String = cases
        .iter()
        .enumerate()
        .map(|(i, tx)| {
            let mut record = tx.clone();
            record["kind"] = json!("tx");
            record["meta"] = json!({"case": i});
            format!("{record}\n")
        })
        .collect();
    let signed = run("evlock-sign", dir.path(), &["--key", &sender_store, "--password-file", "pw"], &input);
    assert!(signed.status.success(), "seed {seed}: {}", String::from_utf8_lossy(&signed.stderr));
    let ours = lines(&signed.stdout);
    assert_eq!(ours.len(), count);
    let fd_input: String =
        ours.iter().enumerate().filter(|(i, _)| delegated(*i)).map(|(_, r)| format!("{r}\n")).collect();
    let paid = run(
        "evlock-sign",
        dir.path(),
        &["--role", "fee-payer", "--key", &payer_store, "--password-file", "pw"],
        &fd_input,
    );
    assert!(paid.status.success(), "seed {seed}: {}", String::from_utf8_lossy(&paid.stderr));
    let ours_final: HashMap<u64, Value> =
        lines(&paid.stdout).into_iter().map(|r| (r["meta"]["case"].as_u64().unwrap(), r)).collect();

    // The SDK.
    let sdk_input: String = cases
        .iter()
        .enumerate()
        .map(|(i, tx)| {
            format!(
                "{}\n",
                json!({"case": i, "sender_key": hex(&sender_key.to_bytes()), "fee_payer_key": hex(&payer_key.to_bytes()), "tx": tx})
            )
        })
        .collect();
    let sdk = lines(node("kaia.mjs", &["sign"], &sdk_input).as_bytes());
    assert_eq!(sdk.len(), count);

    let mut sdk_final_raws = String::new();
    let mut sdk_sender_only = String::new();
    let mut our_final_raws = String::new();
    for (i, (mine, theirs)) in ours.iter().zip(&sdk).enumerate() {
        let context = || format!("seed {seed}, case {i} ({}): {}", types[i % types.len()], cases[i]);
        assert!(theirs.get("error").is_none(), "the SDK failed: {theirs}; {}", context());
        assert_eq!(mine["sender_tx_hash"], theirs["sender_tx_hash"], "{}", context());
        if delegated(i) && cases[i].get("fee_payer").is_none() {
            // The sender's step without a fee payer: the SenderTxHashRLP, byte for byte.
            assert_eq!(mine["raw"], theirs["raw"], "sender step without fee_payer; {}", context());
            assert_eq!(mine["hash"], theirs["hash"], "{}", context());
            assert!(mine.get("fee_payer").is_none(), "{}", context());
        }
        let (our_raw, our_hash, their_raw, their_hash) = if delegated(i) {
            let last = &ours_final[&(i as u64)];
            sdk_sender_only.push_str(&format!("{}\n", json!({"raw": theirs["raw"], "meta": {"case": i}})));
            (&last["raw"], &last["hash"], &theirs["fee_payer_raw"], &theirs["fee_payer_hash"])
        } else {
            (&mine["raw"], &mine["hash"], &theirs["raw"], &theirs["hash"])
        };
        assert_eq!(our_raw, their_raw, "raw bytes differ; {}", context());
        assert_eq!(our_hash, their_hash, "hashes differ; {}", context());
        our_final_raws.push_str(&format!("{}\n", json!({"case": i, "raw": our_raw})));
        sdk_final_raws.push_str(&format!("{their_raw}\n"));
    }

    // The SDK decodes ours and recovers the same signers.
    let decoded = lines(node("kaia.mjs", &["decode"], &our_final_raws).as_bytes());
    for (i, d) in decoded.iter().enumerate() {
        assert!(d.get("error").is_none(), "seed {seed}, case {i}: the SDK cannot decode ours: {d}");
        assert_eq!(
            d["recovered_from"].as_str().unwrap().to_lowercase(),
            sender.to_lowercase(),
            "seed {seed}, case {i}"
        );
        if delegated(i) {
            assert_eq!(
                d["recovered_fee_payer"].as_str().unwrap().to_lowercase(),
                payer.to_lowercase(),
                "seed {seed}, case {i}"
            );
        }
        for field in ["nonce", "gas", "value", "key"] {
            if let Some(expected) = cases[i].get(field) {
                assert_eq!(&d[field], expected, "seed {seed}, case {i}: {field}");
            }
        }
    }

    // evlock decodes the SDK's, with the same signers and hashes.
    let ours_decoded = run("evlock-sign", dir.path(), &["decode"], &sdk_final_raws);
    assert!(ours_decoded.status.success(), "seed {seed}: {}", String::from_utf8_lossy(&ours_decoded.stderr));
    for (i, d) in lines(&ours_decoded.stdout).iter().enumerate() {
        assert_eq!(d["sender"], sender.as_str(), "seed {seed}, case {i}");
        assert_eq!(
            d["hash"],
            sdk[i][if delegated(i) { "fee_payer_hash" } else { "hash" }],
            "seed {seed}, case {i}"
        );
        if delegated(i) {
            assert_eq!(d["fee_payer_signer"], payer.as_str(), "seed {seed}, case {i}");
        }
    }

    // Mixed pipeline: our fee payer completes the SDK's sender-signed transactions.
    let completed = run(
        "evlock-sign",
        dir.path(),
        &["--role", "fee-payer", "--key", &payer_store, "--password-file", "pw"],
        &sdk_sender_only,
    );
    assert!(completed.status.success(), "seed {seed}: {}", String::from_utf8_lossy(&completed.stderr));
    for record in lines(&completed.stdout) {
        let i = record["meta"]["case"].as_u64().unwrap() as usize;
        assert_eq!(record["raw"], sdk[i]["fee_payer_raw"], "seed {seed}, case {i}");
    }
}

/// The signers' addresses of one role in a record of `evlock-sign decode` (`sender` alone or
/// `signers`; `fee_payer_signer` alone or `fee_payer_signers`).
fn decoded_signers(record: &Value, one: &str, many: &str) -> Vec<String> {
    match record.get(many) {
        Some(list) => list.as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect(),
        None => vec![record[one].as_str().unwrap().to_string()],
    }
}

#[test]
fn multisig_and_role_based_accounts_sign_as_the_kaia_sdk() {
    if !node_ready() {
        return;
    }
    let seed = std::env::var("EVLOCK_DIFF_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    eprintln!("multisig differential seed {seed}; replay with EVLOCK_DIFF_SEED={seed}");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    // A sender account with three keys (a 3-of-3 multisig, or the RoleTransaction keys of a
    // role-based account: both sign alike), none of them the account's own address, and a fee
    // payer account with two.
    let sender = address(&mut rng);
    let payer = address(&mut rng);
    let import = |rng: &mut Rng, name: &str| {
        let key = random_key(rng);
        let (store, own) = import_key(dir.path(), &::hex::encode(key.to_bytes()), name);
        (hex(&key.to_bytes()), store, own)
    };
    let senders: Vec<_> = (0..3).map(|i| import(&mut rng, &format!("s{i}"))).collect();
    let payers: Vec<_> = (0..2).map(|i| import(&mut rng, &format!("p{i}"))).collect();
    let own = |keys: &[(String, String, String)]| keys.iter().map(|k| k.2.clone()).collect::<Vec<_>>();

    let types: Vec<&str> =
        types().into_iter().filter(|t| !matches!(*t, "legacy" | "eip2930" | "eip1559")).collect();
    let count = types.len() * 3;
    let cases: Vec<Value> =
        (0..count).map(|i| make_tx(&mut rng, types[i % types.len()], &sender, &payer)).collect();
    let delegated = |i: usize| types[i % types.len()].starts_with("fee_delegated_");
    let input: String = cases
        .iter()
        .enumerate()
        .map(|(i, tx)| {
            let mut record = tx.clone();
            record["kind"] = json!("tx");
            record["meta"] = json!({"case": i});
            format!("{record}\n")
        })
        .collect();

    // Two keys sign together (--key twice), the third adds its signature to their signed_tx,
    // then both fee payer keys sign for the fee payer's account.
    let step = |args: &[&str], stdin: &str| {
        let out = run("evlock-sign", dir.path(), args, stdin);
        assert!(out.status.success(), "seed {seed}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let two = step(
        &["--key", &senders[0].1, "--key", &senders[1].1, "--password-file", "pw", "--account", &sender],
        &input,
    );
    let three = step(&["--key", &senders[2].1, "--password-file", "pw", "--account", &sender], &two);
    let fd_input: String = lines(three.as_bytes())
        .iter()
        .enumerate()
        .filter(|(i, _)| delegated(*i))
        .map(|(_, r)| format!("{r}\n"))
        .collect();
    let paid = step(
        &[
            "--role",
            "fee-payer",
            "--key",
            &payers[0].1,
            "--key",
            &payers[1].1,
            "--password-file",
            "pw",
            "--account",
            &payer,
        ],
        &fd_input,
    );
    let mut ours: HashMap<u64, Value> =
        lines(three.as_bytes()).into_iter().map(|r| (r["meta"]["case"].as_u64().unwrap(), r)).collect();
    ours.extend(lines(paid.as_bytes()).into_iter().map(|r| (r["meta"]["case"].as_u64().unwrap(), r)));

    let sdk_input: String = cases
        .iter()
        .enumerate()
        .map(|(i, tx)| {
            let keys =
                |list: &[(String, String, String)]| list.iter().map(|k| k.0.clone()).collect::<Vec<_>>();
            format!(
                "{}\n",
                json!({"case": i, "sender_keys": keys(&senders), "sender_account": sender,
                       "fee_payer_keys": keys(&payers), "fee_payer_account": payer, "tx": tx})
            )
        })
        .collect();
    let sdk = lines(node("kaia.mjs", &["sign"], &sdk_input).as_bytes());
    assert_eq!(sdk.len(), count);
    let mut our_raws = String::new();
    let mut sdk_raws = String::new();
    for (i, theirs) in sdk.iter().enumerate() {
        let context = || format!("seed {seed}, case {i} ({}): {}", types[i % types.len()], cases[i]);
        assert!(theirs.get("error").is_none(), "the SDK failed: {theirs}; {}", context());
        let their_raw = if delegated(i) { &theirs["fee_payer_raw"] } else { &theirs["raw"] };
        assert_eq!(ours[&(i as u64)]["raw"], *their_raw, "raw bytes differ; {}", context());
        our_raws.push_str(&format!("{}\n", json!({"case": i, "raw": their_raw})));
        sdk_raws.push_str(&format!("{}\n", their_raw.as_str().unwrap()));
    }

    // The SDK decodes ours: the account, and every signer in signing order.
    let lower = |list: Vec<String>| list.into_iter().map(|a| a.to_lowercase()).collect::<Vec<_>>();
    for (i, d) in lines(node("kaia.mjs", &["decode"], &our_raws).as_bytes()).iter().enumerate() {
        assert!(d.get("error").is_none(), "seed {seed}, case {i}: {d}");
        assert_eq!(d["from"], sender.as_str(), "seed {seed}, case {i}");
        let recovered = |field: &str| lower(serde_json::from_value(d[field].clone()).unwrap());
        assert_eq!(recovered("recovered_signers"), lower(own(&senders)), "seed {seed}, case {i}");
        if delegated(i) {
            assert_eq!(d["fee_payer"], payer.as_str(), "seed {seed}, case {i}");
            assert_eq!(
                recovered("recovered_fee_payer_signers"),
                lower(own(&payers)),
                "seed {seed}, case {i}"
            );
        }
    }
    // evlock decodes the SDK's.
    for (i, d) in lines(step(&["decode"], &sdk_raws).as_bytes()).iter().enumerate() {
        assert_eq!(d["from"], sender.as_str(), "seed {seed}, case {i}");
        assert_eq!(decoded_signers(d, "sender", "signers"), own(&senders), "seed {seed}, case {i}");
        if delegated(i) {
            assert_eq!(
                decoded_signers(d, "fee_payer_signer", "fee_payer_signers"),
                own(&payers),
                "seed {seed}, case {i}"
            );
        }
    }
}
