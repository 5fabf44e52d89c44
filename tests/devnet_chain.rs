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
    assert!(matches!(by_old, ChainError::InvalidAccountKey { role: "sender", .. }), "{by_old}");
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

/// The devnet's sendRawTransaction methods, as a Kaia node's (kaia `api/api_ethereum.go`,
/// `api/api_kaia_transaction.go`).
mod node_rules {
    use super::*;
    use evlock::devnet::rpc::handle;
    use evlock::rpc::JsonRpcError;

    fn hex(raw: &[u8]) -> String {
        format!("0x{}", ::hex::encode(raw))
    }

    fn send(chain: &mut Chain, method: &str, raw: &[u8]) -> Result<Value, JsonRpcError> {
        handle(chain, method, &json!([hex(raw)]), 1_001, true)
    }

    /// A plain EIP-1559, a plain EIP-2930, a legacy and a Kaia-native transfer, nonces from `nonce`.
    fn four(sender: &SigningKey, nonce: u64) -> [Vec<u8>; 4] {
        let from = addr(sender).to_checksum(None);
        let n = |i: u64| (nonce + i).to_string();
        [
            sign(
                json!({"type": "eip1559", "nonce": n(0), "gas": "21000", "to": TO, "value": "1", "gas_price": null,
                       "max_fee_per_gas": PRICE.to_string(), "max_priority_fee_per_gas": "1"}),
                sender,
                None,
            ),
            sign(
                json!({"type": "eip2930", "nonce": n(1), "gas": "21000", "to": TO, "value": "1"}),
                sender,
                None,
            ),
            sign(
                json!({"type": "legacy", "nonce": n(2), "gas": "21000", "to": TO, "value": "1"}),
                sender,
                None,
            ),
            sign(
                json!({"type": "value_transfer", "nonce": n(3), "gas": "21000", "to": TO, "value": "1", "from": from}),
                sender,
                None,
            ),
        ]
    }

    fn enveloped(raw: &[u8]) -> Vec<u8> {
        [&[0x78][..], raw].concat()
    }

    fn refused(result: Result<Value, JsonRpcError>, needle: &str) {
        let error = result.expect_err("a Kaia node refuses this");
        assert!(error.message.contains(needle), "{needle:?} not in {:?}", error.message);
    }

    #[test]
    fn eth_send_raw_transaction_takes_plain_typed_and_legacy_and_refuses_kaia_native_and_enveloped() {
        let sender = key(9);
        let mut chain = chain(&[addr(&sender)]);
        let [eip1559, eip2930, legacy, native] = four(&sender, 0);
        // What Ethereum tools write: a Kaia node prefixes 0x78 itself.
        for raw in [&eip1559, &eip2930, &legacy] {
            let hash = send(&mut chain, "eth_sendRawTransaction", raw).unwrap();
            assert_eq!(
                hash,
                json!(alloy_primitives::keccak256(raw).to_string()),
                "the hash of the plain form"
            );
        }
        // Kaia-native types become 0x7808…; an enveloped one 0x7878…: undefined on Kaia too.
        refused(send(&mut chain, "eth_sendRawTransaction", &native), "undefined tx type 0x7808");
        let [next, ..] = four(&sender, 3);
        refused(send(&mut chain, "eth_sendRawTransaction", &enveloped(&next)), "undefined tx type 0x7878");
        assert_eq!(chain.nonce(addr(&sender), false), 3, "only the three were mined");
    }

    #[test]
    fn kaia_send_raw_transaction_decodes_as_is() {
        let sender = key(10);
        let mut chain = chain(&[addr(&sender)]);
        let [eip1559, eip2930, legacy, native] = four(&sender, 0);
        // The plain typed form is no Kaia type: refused, with what to do instead.
        refused(send(&mut chain, "kaia_sendRawTransaction", &eip1559), "undefined tx type 0x02");
        refused(send(&mut chain, "klay_sendRawTransaction", &eip1559), "eth_sendRawTransaction");
        for raw in [enveloped(&eip1559), enveloped(&eip2930), legacy.clone(), native.clone()] {
            send(&mut chain, "kaia_sendRawTransaction", &raw).unwrap();
        }
        assert_eq!(chain.nonce(addr(&sender), false), 4);
        let hash = alloy_primitives::keccak256(&eip1559);
        assert!(
            chain.transaction(&hash).is_some(),
            "an enveloped transaction's hash is that of the plain form"
        );
    }

    #[test]
    fn kaia_send_raw_transactions_applies_the_eth_rule_to_each_and_stops_at_the_first_refusal() {
        let sender = key(11);
        let mut chain = chain(&[addr(&sender)]);
        let [eip1559, eip2930, legacy, native] = four(&sender, 0);
        let batch = |raws: &[&Vec<u8>]| json!([raws.iter().map(|r| hex(r)).collect::<Vec<_>>()]);
        let hashes = handle(
            &mut chain,
            "kaia_sendRawTransactions",
            &batch(&[&eip1559, &eip2930, &legacy]),
            1_001,
            true,
        )
        .unwrap();
        assert_eq!(hashes.as_array().unwrap().len(), 3);
        assert_eq!(hashes[0], json!(alloy_primitives::keccak256(&eip1559).to_string()));
        // A Kaia-native input is wrapped like any byte below 0x7f, and refused; one before it stays sent.
        let [fourth, ..] = four(&sender, 3);
        let error = handle(&mut chain, "kaia_sendRawTransactions", &batch(&[&fourth, &native]), 1_001, true)
            .unwrap_err();
        assert!(error.message.starts_with("Index 1: undefined tx type 0x7808"), "{}", error.message);
        assert_eq!(chain.nonce(addr(&sender), false), 4);
        let [fifth, ..] = four(&sender, 4);
        let error =
            handle(&mut chain, "kaia_sendRawTransactions", &batch(&[&enveloped(&fifth)]), 1_001, true)
                .unwrap_err();
        assert!(error.message.starts_with("Index 0: undefined tx type 0x7878"), "{}", error.message);
        let error = handle(&mut chain, "kaia_sendRawTransactions", &json!([[]]), 1_001, true).unwrap_err();
        assert_eq!(error.message, "Empty input");
        let error =
            handle(&mut chain, "eth_sendRawTransactions", &batch(&[&fifth]), 1_001, true).unwrap_err();
        assert_eq!(error.code, -32601, "no batch in the eth_ namespace");
        assert_eq!(chain.nonce(addr(&sender), false), 4);
    }
}
