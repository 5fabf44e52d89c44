//! Random transactions of every type, from a seeded [`Rng`]: the differential tests (against
//! Kaia's SDK, and across architectures) sign the same cases.

use alloy_primitives::U256;
use serde_json::{Value, json};

use super::Rng;

/// Every transaction type, by its wire name.
pub fn types() -> Vec<&'static str> {
    evlock::kaia::TxType::all().map(|t| t.name()).collect()
}

pub fn random_key(rng: &mut Rng) -> k256::ecdsa::SigningKey {
    loop {
        if let Ok(key) = k256::ecdsa::SigningKey::from_slice(&rng.bytes(32)) {
            return key;
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    format!("0x{}", ::hex::encode(bytes))
}

/// Zero, small, large and maximal 256-bit amounts.
pub fn amount(rng: &mut Rng) -> String {
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

pub fn address(rng: &mut Rng) -> String {
    alloy_primitives::Address::from_slice(&rng.bytes(20)).to_checksum(None)
}

pub fn data(rng: &mut Rng) -> String {
    let len = match rng.below(4) {
        0 => 0,
        1 => rng.below(8) as usize,
        2 => rng.below(300) as usize,
        _ => 1024 + rng.below(3000) as usize,
    };
    hex(&rng.bytes(len))
}

pub fn public_key(rng: &mut Rng) -> String {
    hex(random_key(rng).verifying_key().to_sec1_point(true).as_bytes())
}

/// A random account key that Kaia accepts in an update, of every type: legacy, public, fail,
/// weighted multisig (1 to 10 keys, weights up to 5, a reachable threshold) and, at the top,
/// role-based (three roles of the other types or nil, not all nil).
pub fn account_key(rng: &mut Rng, top: bool) -> Value {
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

pub fn make_tx(rng: &mut Rng, ty: &str, sender: &str, payer: &str) -> Value {
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
