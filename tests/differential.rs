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

use alloy_primitives::U256;
use common::{Rng, import_key, lines, node, node_ready, run};
use serde_json::{Value, json};

/// Every transaction type, by its wire name.
fn types() -> Vec<&'static str> {
    evlock::kaia::TxType::all().map(|t| t.name()).collect()
}

fn random_key(rng: &mut Rng) -> k256::ecdsa::SigningKey {
    loop {
        if let Ok(key) = k256::ecdsa::SigningKey::from_slice(&rng.bytes(32)) {
            return key;
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    format!("0x{}", ::hex::encode(bytes))
}

/// Zero, small, large and maximal 256-bit amounts.
fn amount(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => "0".into(),
        1 => rng.below(1_000_000).to_string(),
        2 => U256::MAX.to_string(),
        3 => {
            let high = U256::from(rng.next()) << 64usize;
            (high | U256::from(rng.next())).to_string()
        }
        _ => U256::from_be_slice(&rng.bytes(32)).to_string(),
    }
}

fn address(rng: &mut Rng) -> String {
    alloy_primitives::Address::from_slice(&rng.bytes(20)).to_checksum(None)
}

fn data(rng: &mut Rng) -> String {
    let len = match rng.below(4) {
        0 => 0,
        1 => rng.below(8) as usize,
        2 => rng.below(300) as usize,
        _ => 1024 + rng.below(3000) as usize,
    };
    hex(&rng.bytes(len))
}

fn public_key(rng: &mut Rng) -> String {
    hex(random_key(rng).verifying_key().to_sec1_point(true).as_bytes())
}

/// A random account key that Kaia accepts in an update, of every type: legacy, public, fail,
/// weighted multisig (1 to 10 keys, weights up to 5, a reachable threshold) and, at the top,
/// role-based (three roles of the other types or nil, not all nil).
fn account_key(rng: &mut Rng, top: bool) -> Value {
    match rng.below(if top { 5 } else { 4 }) {
        0 => json!({"type": "legacy"}),
        1 => json!({"type": "public", "public_key": public_key(rng)}),
        2 => json!({"type": "fail"}),
        3 => {
            let keys: Vec<Value> = (0..1 + rng.below(10))
                .map(|_| json!({"weight": 1 + rng.below(5), "public_key": public_key(rng)}))
                .collect();
            let sum: u64 = keys.iter().map(|k| k["weight"].as_u64().unwrap()).sum();
            json!({"type": "weighted_multisig", "threshold": 1 + rng.below(sum), "keys": keys})
        }
        _ => loop {
            let roles: Vec<Value> = (0..3)
                .map(|_| if rng.chance(4) { json!({"type": "nil"}) } else { account_key(rng, false) })
                .collect();
            if roles.iter().any(|r| r["type"] != "nil") {
                break json!({"type": "role_based", "roles": roles});
            }
        },
    }
}

fn make_tx(rng: &mut Rng, ty: &str, sender: &str, payer: &str) -> Value {
    let ethereum = matches!(ty, "legacy" | "eip2930" | "eip1559");
    let chain_id = [1u64, 1001, 8217, 31337, 0xffff_ffff][rng.below(5) as usize];
    let nonce = if ethereum {
        // ethers refuses nonces above 2^53 - 1.
        [0, rng.below(1000), (1 << 53) - 1][rng.below(3) as usize]
    } else {
        [0, rng.below(1000), u64::MAX, rng.next()][rng.below(4) as usize]
    };
    let gas = [21_000, rng.below(1 << 40) + 1, u64::MAX][rng.below(3) as usize];
    let mut tx = json!({"type": ty, "chain_id": chain_id.to_string(), "nonce": nonce.to_string(), "gas": gas.to_string()});
    let t = tx.as_object_mut().unwrap();
    if ty == "eip1559" {
        let max: U256 = amount(rng).parse().unwrap();
        let priority = if max.is_zero() { U256::ZERO } else { U256::from(rng.next()) % max };
        t.insert("max_fee_per_gas".into(), json!(max.to_string()));
        t.insert("max_priority_fee_per_gas".into(), json!(priority.to_string()));
    } else {
        t.insert("gas_price".into(), json!(amount(rng)));
    }
    if !ethereum {
        t.insert("from".into(), json!(sender));
    }
    let base = ty.trim_start_matches("fee_delegated_").trim_end_matches("_with_ratio");
    match base {
        "legacy" | "eip2930" | "eip1559" => {
            if !rng.chance(5) {
                t.insert("to".into(), json!(address(rng)));
            }
            t.insert("value".into(), json!(amount(rng)));
            t.insert("input".into(), json!(data(rng)));
            if ty != "legacy" {
                let list: Vec<Value> = (0..rng.below(3))
                    .map(|_| {
                        let keys: Vec<String> = (0..rng.below(3)).map(|_| hex(&rng.bytes(32))).collect();
                        json!({"address": address(rng), "storage_keys": keys})
                    })
                    .collect();
                t.insert("access_list".into(), json!(list));
            }
        }
        "value_transfer" => {
            t.insert("to".into(), json!(address(rng)));
            t.insert("value".into(), json!(amount(rng)));
        }
        "value_transfer_memo" => {
            t.insert("to".into(), json!(address(rng)));
            t.insert("value".into(), json!(amount(rng)));
            let len = 1 + rng.below(200) as usize;
            t.insert("input".into(), json!(hex(&rng.bytes(len))));
        }
        "account_update" => {
            t.insert("key".into(), account_key(rng, true));
        }
        "smart_contract_deploy" => {
            t.insert("value".into(), json!(amount(rng)));
            let len = 1 + rng.below(2000) as usize;
            t.insert("input".into(), json!(hex(&rng.bytes(len))));
            t.insert("human_readable".into(), json!(false));
            t.insert("code_format".into(), json!(0));
        }
        "smart_contract_execution" => {
            t.insert("to".into(), json!(address(rng)));
            t.insert("value".into(), json!(amount(rng)));
            t.insert("input".into(), json!(data(rng)));
        }
        "cancel" => {}
        other => unreachable!("{other}"),
    }
    // Half the fee-delegated senders sign before a fee payer is named (the sender's signature
    // does not cover it; the fee payer fills it in).
    if ty.starts_with("fee_delegated_") && rng.chance(2) {
        t.insert("fee_payer".into(), json!(payer));
    }
    if ty.ends_with("_with_ratio") {
        t.insert("fee_ratio".into(), json!(1 + rng.below(99)));
    }
    tx
}

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
