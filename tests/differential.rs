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

use common::txgen::{hex, make_tx, random_key, types};
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
