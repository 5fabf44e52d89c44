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
            let key = if rng.chance(2) {
                json!({"type": "legacy"})
            } else {
                let public = random_key(rng).verifying_key().to_sec1_point(true);
                json!({"type": "public", "public_key": hex(public.as_bytes())})
            };
            t.insert("key".into(), key);
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
        for field in ["nonce", "gas", "value"] {
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
