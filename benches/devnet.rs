//! Chain-path figures, printed (a bench binary, not criterion: it reports percentiles).
//!
//!     cargo bench --bench devnet
//!
//! - devnet throughput: pre-signed value transfers and EnergyMarket `report` calls submitted
//!   to an in-process chain (one block each, as `evlock-devnet` mines by default);
//! - the latency of one signed transaction through `evlock-relay submit --wait` against a
//!   real `evlock-devnet` on loopback (process start included), median and p99.

use std::process::Command;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, U256};
use evlock::devnet::{Chain, ChainConfig};
use evlock::kaia::{RecoverableSig, Transaction};
use evlock::market::Action;
use serde_json::{Value, json};

#[path = "../tests/common/mod.rs"]
mod common;

use common::devnet::{Devnet, dev_key as key};

fn signed(tx: Value, key: &k256::ecdsa::SigningKey) -> Vec<u8> {
    let mut tx = Transaction::from_json_value(&tx).unwrap();
    tx.add_sender_signature(RecoverableSig::sign_prehash(key, &tx.sig_hash()).unwrap()).unwrap();
    tx.raw().unwrap()
}

fn address(key: &k256::ecdsa::SigningKey) -> Address {
    evlock::kaia::address_of(key.verifying_key())
}

fn call(from: Address, nonce: u64, to: Address, action: &Action) -> Value {
    json!({"type": "smart_contract_execution", "chain_id": "31337", "nonce": nonce.to_string(), "gas": "300000",
           "gas_price": "25000000000", "from": from.to_checksum(None), "to": to.to_checksum(None),
           "value": action.value().to_string(), "input": format!("0x{}", hex::encode(action.call_data()))})
}

fn throughput() {
    let (k0, k1) = (key(0), key(1));
    let (a0, a1) = (address(&k0), address(&k1));
    let rich = U256::from(10u64).pow(U256::from(24));
    let config = ChainConfig { alloc: vec![(a0, rich), (a1, rich)], ..Default::default() };
    let n = 2000;

    let transfers: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            signed(
                json!({"type": "value_transfer", "chain_id": "31337", "nonce": i.to_string(), "gas": "21000",
                          "gas_price": "25000000000", "from": a0.to_checksum(None),
                          "to": "0x7b65B75d204aBed71587c9E519a89277766EE1d0", "value": "1"}),
                &k0,
            )
        })
        .collect();
    let mut chain = Chain::new(config.clone(), 1);
    let start = Instant::now();
    for raw in &transfers {
        chain.submit(raw, 1, true).unwrap();
    }
    let elapsed = start.elapsed();
    println!("devnet value transfers: {:.0}/s ({n} in {elapsed:.2?})", n as f64 / elapsed.as_secs_f64());

    // A market with a trade in delivery; then `report` calls from the seller's meter.
    let mut chain = Chain::new(config, 1);
    let deploy = json!({"type": "smart_contract_deploy", "chain_id": "31337", "nonce": "0", "gas": "3000000",
        "gas_price": "25000000000", "from": a0.to_checksum(None), "value": "0", "human_readable": false, "code_format": 0,
        "input": format!("0x{}", hex::encode(Action::Deploy { delivery_blocks: 1_000_000 }.call_data()))});
    let hash = chain.submit(&signed(deploy, &k0), 1, true).unwrap();
    let market = chain.transaction(&hash).unwrap().contract_address.unwrap();
    let setup = [
        (&k0, a0, 1, Action::RegisterMeter { meter: a0, owner: a0 }),
        (&k0, a0, 2, Action::RegisterMeter { meter: a1, owner: a1 }),
        (
            &k0,
            a0,
            3,
            Action::Offer {
                energy_wh: U256::from(1_000_000),
                price_per_wh: U256::from(1),
                expiry_block: U256::from(100),
            },
        ),
        (
            &k1,
            a1,
            0,
            Action::Buy {
                offer_id: U256::from(1),
                max_price_per_wh: U256::from(1),
                escrow: U256::from(1_000_000),
            },
        ),
    ];
    for (k, from, nonce, action) in &setup {
        let hash = chain.submit(&signed(call(*from, *nonce, market, action), k), 1, true).unwrap();
        assert!(chain.transaction(&hash).unwrap().status, "{action:?}");
    }
    let reports: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let action = Action::Report { trade_id: U256::from(1), cumulative_wh: U256::from(i + 1) };
            signed(call(a0, 4 + i, market, &action), &k0)
        })
        .collect();
    let start = Instant::now();
    let mut gas = 0;
    for raw in &reports {
        let hash = chain.submit(raw, 1, true).unwrap();
        let mined = chain.transaction(&hash).unwrap();
        assert!(mined.status);
        gas = mined.gas_used;
    }
    let elapsed = start.elapsed();
    println!(
        "devnet contract calls (EnergyMarket.report, {gas} gas each): {:.0}/s ({n} in {elapsed:.2?})",
        n as f64 / elapsed.as_secs_f64()
    );
}

fn latency() {
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    let k0 = key(0);
    let a0 = address(&k0);
    let n = 200;
    let mut times: Vec<Duration> = Vec::with_capacity(n);
    for i in 0..n {
        let tx = json!({"type": "value_transfer", "chain_id": "31337", "nonce": i.to_string(), "gas": "21000",
                        "gas_price": "25000000000", "from": a0.to_checksum(None),
                        "to": "0x7b65B75d204aBed71587c9E519a89277766EE1d0", "value": "1"});
        let record = common::rpc::signed_by(&k0, tx, json!({"n": i}));
        std::fs::write(dir.path().join("tx.json"), format!("{record}\n")).unwrap();
        let start = Instant::now();
        let output = Command::new(common::bin("evlock-relay"))
            .args(["submit", "--wait", "--rpc", &devnet.url])
            .stdin(std::fs::File::open(dir.path().join("tx.json")).unwrap())
            .output()
            .unwrap();
        times.push(start.elapsed());
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    drop(devnet);
    times.sort();
    println!(
        "evlock-relay submit --wait, one tx on loopback (process start included): median {:.2?}, p99 {:.2?}, min {:.2?} over {n}",
        times[n / 2],
        times[n * 99 / 100],
        times[0]
    );
}

fn main() {
    // `cargo test --all-targets` runs benches in test mode: keep that quick.
    if std::env::args().any(|a| a == "--bench") {
        throughput();
        latency();
    } else {
        println!("devnet bench: run with `cargo bench --bench devnet`");
    }
}
