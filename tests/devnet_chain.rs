//! The chain's rules in-process: Kaia's fee split with a ratio, account keys changed by an
//! AccountUpdate, cancels, memos and EIP-1559 transactions, against exact balances.

use alloy_primitives::{Address, U256};
use evlock::devnet::{Chain, ChainConfig, ChainError};
use evlock::kaia::gas;
use evlock::kaia::{CompressedPubkey, RecoverableSig, Transaction};
use k256::ecdsa::SigningKey;
use serde_json::{Value, json};

const PRICE: u64 = 25_000_000_000;
const TO: &str = "0x7b65B75d204aBed71587c9E519a89277766EE1d0";

fn key(byte: u8) -> SigningKey {
    SigningKey::from_slice(&[byte; 32]).unwrap()
}

fn addr(key: &SigningKey) -> Address {
    evlock::kaia::address_of(key.verifying_key())
}

fn sign(mut fields: Value, sender: &SigningKey, payer: Option<&SigningKey>) -> Vec<u8> {
    fields["chain_id"] = json!("31337");
    fields["gas_price"] = fields.get("gas_price").cloned().unwrap_or(json!(PRICE.to_string()));
    let mut tx = Transaction::from_json_value(&fields).unwrap();
    tx.add_sender_signature(RecoverableSig::sign_prehash(sender, &tx.sig_hash()).unwrap()).unwrap();
    if let Some(payer) = payer {
        let hash = tx.fee_payer_sig_hash().unwrap();
        tx.add_fee_payer_signature(RecoverableSig::sign_prehash(payer, &hash).unwrap()).unwrap();
    }
    tx.raw().unwrap()
}

fn chain(accounts: &[Address]) -> Chain {
    let rich = U256::from(10u64).pow(U256::from(21));
    Chain::new(
        ChainConfig { alloc: accounts.iter().map(|a| (*a, rich)).collect(), ..Default::default() },
        1_000,
    )
}

#[test]
fn fee_ratio_splits_the_fee_exactly() {
    let (sender, payer) = (key(1), key(2));
    let (s, p) = (addr(&sender), addr(&payer));
    let mut chain = chain(&[s, p]);
    let (s0, p0) = (chain.balance(s), chain.balance(p));
    let raw = sign(
        json!({"type": "fee_delegated_value_transfer_with_ratio", "nonce": "0", "gas": "100000", "to": TO, "value": "1000",
               "from": s.to_checksum(None), "fee_payer": p.to_checksum(None), "fee_ratio": 30}),
        &sender,
        Some(&payer),
    );
    let hash = chain.submit(&raw, 1_001, true).unwrap();
    let mined = chain.transaction(&hash).unwrap();
    assert_eq!(mined.gas_used, gas::TX + gas::FEE_DELEGATED_WITH_RATIO);
    let fee = U256::from(mined.gas_used) * U256::from(PRICE);
    let payer_part = fee * U256::from(30) / U256::from(100);
    assert_eq!(chain.balance(p), p0 - payer_part, "the fee payer pays its 30 %");
    assert_eq!(
        chain.balance(s),
        s0 - U256::from(1000) - (fee - payer_part),
        "the sender pays the value and 70 %"
    );
    assert_eq!(chain.balance(TO.parse().unwrap()), U256::from(1000));
}

#[test]
fn an_account_update_changes_which_key_signs() {
    let (owner, new_key) = (key(3), key(4));
    let account = addr(&owner);
    let mut chain = chain(&[account]);
    let public = CompressedPubkey::from_verifying_key(new_key.verifying_key());
    let update = sign(
        json!({"type": "account_update", "nonce": "0", "gas": "100000", "from": account.to_checksum(None),
               "key": {"type": "public", "public_key": format!("0x{}", hex::encode(public.as_bytes()))}}),
        &owner,
        None,
    );
    chain.submit(&update, 1_001, true).unwrap();
    let transfer = |nonce: u64| {
        json!({"type": "value_transfer", "nonce": nonce.to_string(), "gas": "21000", "to": TO, "value": "1",
               "from": account.to_checksum(None)})
    };
    let by_old = chain.submit(&sign(transfer(1), &owner, None), 1_002, true).unwrap_err();
    assert!(matches!(by_old, ChainError::BadSignature { role: "sender", .. }), "{by_old}");
    chain.submit(&sign(transfer(1), &new_key, None), 1_002, true).unwrap();
    assert_eq!(chain.nonce(account, false), 2);
}

#[test]
fn cancel_memo_and_eip1559() {
    let sender = key(5);
    let s = addr(&sender);
    let mut chain = chain(&[s]);
    let memo = sign(
        json!({"type": "value_transfer_memo", "nonce": "0", "gas": "100000", "to": TO, "value": "5",
               "from": s.to_checksum(None), "input": "0x68656c6c6f"}),
        &sender,
        None,
    );
    let hash = chain.submit(&memo, 1_001, true).unwrap();
    assert_eq!(chain.transaction(&hash).unwrap().gas_used, gas::TX + 5 * gas::DATA_NONZERO);
    let cancel = sign(
        json!({"type": "cancel", "nonce": "1", "gas": "21000", "from": s.to_checksum(None)}),
        &sender,
        None,
    );
    chain.submit(&cancel, 1_002, true).unwrap();
    assert_eq!(chain.nonce(s, false), 2, "a cancel consumes the nonce");
    let before = chain.balance(s);
    let eip1559 = sign(
        json!({"type": "eip1559", "nonce": "2", "gas": "21000", "to": TO, "value": "9",
               "max_fee_per_gas": (2 * PRICE).to_string(), "max_priority_fee_per_gas": "1", "gas_price": null}),
        &sender,
        None,
    );
    let hash = chain.submit(&eip1559, 1_003, true).unwrap();
    let mined = chain.transaction(&hash).unwrap();
    assert_eq!(mined.effective_gas_price, U256::from(PRICE), "pays the chain's price, not the max fee");
    assert_eq!(chain.balance(s), before - U256::from(9) - U256::from(21_000u64 * PRICE));
    let underpriced = sign(
        json!({"type": "value_transfer", "nonce": "3", "gas": "21000", "to": TO, "value": "1", "from": s.to_checksum(None),
               "gas_price": "1"}),
        &sender,
        None,
    );
    assert!(matches!(chain.submit(&underpriced, 1_004, true), Err(ChainError::Underpriced { .. })));
    let low_gas = sign(
        json!({"type": "value_transfer", "nonce": "3", "gas": "20000", "to": TO, "value": "1", "from": s.to_checksum(None)}),
        &sender,
        None,
    );
    assert!(matches!(
        chain.submit(&low_gas, 1_004, true),
        Err(ChainError::IntrinsicGas { needed: 21_000, .. })
    ));
    assert_eq!(chain.head().number, 3, "refused transactions mine nothing");
}
