//! The chain path with real parts: `evlock-devnet` on a free loopback port, keys from
//! `evlock-keygen`, transactions from `evlock-sign`, submitted by `evlock-relay` over HTTP.

mod common;

use std::path::Path;

use alloy_sol_types::SolCall;
use common::devnet::{Devnet, dev_keys, sign, submit};
use common::lines;
use serde_json::{Value, json};

const STRANGER: &str = "0x7b65B75d204aBed71587c9E519a89277766EE1d0";

#[test]
fn transfers_fee_delegation_and_a_contract_through_the_real_tools() {
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    assert_eq!(devnet.chain_id, "31337");
    let keys = dev_keys(dir.path(), 2);
    assert_eq!(
        devnet.accounts[..2],
        [keys[0].1.clone(), keys[1].1.clone()],
        "dev accounts come from the dev mnemonic"
    );
    let (sender_key, sender) = &keys[0];
    let (payer_key, payer) = &keys[1];
    let price: u128 = 25_000_000_000;

    // A value transfer and a fee-delegated value transfer (the payer pays the gas).
    let sender_before = devnet.balance(dir.path(), sender);
    let payer_before = devnet.balance(dir.path(), payer);
    let tx = |nonce: u64, ty: &str| {
        let mut tx = json!({"kind": "tx", "type": ty, "chain_id": "31337", "nonce": nonce.to_string(),
                            "gas": "60000", "gas_price": price.to_string(), "to": STRANGER, "value": "1000"});
        if ty.starts_with("fee_delegated") {
            tx["fee_payer"] = json!(payer);
        }
        format!("{tx}\n")
    };
    let plain = sign(dir.path(), sender_key, "sender", &tx(0, "value_transfer"));
    let delegated = sign(
        dir.path(),
        payer_key,
        "fee-payer",
        &sign(dir.path(), sender_key, "sender", &tx(1, "fee_delegated_value_transfer")),
    );
    let (code, receipts, stderr) = submit(dir.path(), &devnet.url, &(plain + &delegated));
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(receipts.len(), 2);
    assert!(receipts.iter().all(|r| r["status"] == "success"), "{receipts:?}");
    let gas = |r: &Value| r["gas_used"].as_str().unwrap().parse::<u128>().unwrap();
    assert_eq!(devnet.balance(dir.path(), STRANGER), 2000);
    assert_eq!(devnet.balance(dir.path(), sender), sender_before - 2000 - gas(&receipts[0]) * price);
    assert_eq!(devnet.balance(dir.path(), payer), payer_before - gas(&receipts[1]) * price);

    // Deploy the EnergyMarket contract and call it.
    let artifact: Value = serde_json::from_slice(
        &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/EnergyMarket.json")).unwrap(),
    )
    .unwrap();
    let mut code = artifact["bytecode"].as_str().unwrap().to_string();
    code.push_str(&format!("{:064x}", 100));
    let deploy = json!({"kind": "tx", "type": "smart_contract_deploy", "chain_id": "31337", "nonce": "2",
                        "gas": "3000000", "gas_price": price.to_string(), "value": "0", "input": code,
                        "human_readable": false, "code_format": 0});
    let (code, receipts, stderr) =
        submit(dir.path(), &devnet.url, &sign(dir.path(), sender_key, "sender", &format!("{deploy}\n")));
    assert_eq!(code, Some(0), "{stderr}");
    let market = receipts[0]["contract_address"].as_str().unwrap().to_string();
    assert_eq!(receipts[0]["status"], "success");
    let call = |nonce: u64, action: evlock::market::Action| {
        format!(
            "{}\n",
            json!({"kind": "tx", "type": "smart_contract_execution", "chain_id": "31337", "nonce": nonce.to_string(),
                   "gas": "300000", "gas_price": price.to_string(), "to": market, "value": action.value().to_string(),
                   "input": format!("0x{}", hex::encode(action.call_data()))})
        )
    };
    // The registrar registers a meter for the payer; the payer (not the registrar) cannot.
    let register = |meter: &str, owner: &str| evlock::market::Action::RegisterMeter {
        meter: meter.parse().unwrap(),
        owner: owner.parse().unwrap(),
    };
    let (code, receipts, stderr) = submit(
        dir.path(),
        &devnet.url,
        &sign(dir.path(), sender_key, "sender", &call(3, register(payer, payer))),
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(receipts[0]["logs"].as_array().unwrap().len(), 1, "MeterRegistered");
    let owner = devnet.rpc(
        dir.path(),
        "eth_call",
        json!([{"to": market, "data": format!("0x{}", hex::encode(evlock::market::EnergyMarket::meterOwnerCall(payer.parse().unwrap()).abi_encode()))}, "latest"]),
    );
    assert!(owner.as_str().unwrap().to_lowercase().ends_with(&payer[2..].to_lowercase()));
    let payer_nonce = devnet.rpc(dir.path(), "eth_getTransactionCount", json!([payer, "pending"]));
    assert_eq!(payer_nonce, "0x0", "the payer sent nothing yet: it only paid fees");
    let (code, receipts, _) = submit(
        dir.path(),
        &devnet.url,
        &sign(dir.path(), payer_key, "sender", &call(0, register(sender, sender))),
    );
    assert_eq!(code, Some(1), "a revert exits 1");
    assert_eq!(receipts[0]["status"], "reverted");
    assert_eq!(receipts[0]["revert_reason"], "only the registrar");
}

#[test]
fn node_errors_surface_as_error_records() {
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    let keys = dev_keys(dir.path(), 1);
    let tx = |nonce: u64, chain: &str, value: &str| {
        format!(
            "{}\n",
            json!({"kind": "tx", "type": "value_transfer", "chain_id": chain, "nonce": nonce.to_string(), "gas": "21000",
                   "gas_price": "25000000000", "to": STRANGER, "value": value})
        )
    };
    let ok = sign(dir.path(), &keys[0].0, "sender", &tx(0, "31337", "1"));
    assert_eq!(submit(dir.path(), &devnet.url, &ok).0, Some(0));
    // The same input again: already known, same receipt, no second transfer.
    let (code, again, _) = submit(dir.path(), &devnet.url, &ok);
    assert_eq!(code, Some(0));
    assert_eq!(again[0]["status"], "success");
    assert_eq!(devnet.balance(dir.path(), STRANGER), 1);
    for (input, reason) in [
        (sign(dir.path(), &keys[0].0, "sender", &tx(0, "31337", "2")), "nonce too low"),
        (sign(dir.path(), &keys[0].0, "sender", &tx(1, "8217", "2")), "chain id"),
        (
            sign(dir.path(), &keys[0].0, "sender", &tx(1, "31337", &format!("{}", u128::MAX))),
            "insufficient funds",
        ),
    ] {
        let (code, receipts, stderr) = submit(dir.path(), &devnet.url, &input);
        assert_eq!(code, Some(1), "{stderr}");
        assert!(receipts.is_empty());
        // Error records are the JSON lines of stderr (the others are for humans).
        let json: String = stderr.lines().filter(|l| l.starts_with('{')).map(|l| format!("{l}\n")).collect();
        let error = &lines(json.as_bytes())[0];
        assert_eq!(error["kind"], "error");
        assert!(error["message"].as_str().unwrap().contains(reason), "{error}");
    }
}
