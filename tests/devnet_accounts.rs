//! Kaia's account model on the devnet, in-process: every account key type an AccountUpdate
//! installs, the role each signature is checked against, weighted thresholds, decoupled
//! accounts, and each of Kaia's refusals (kaia `blockchain/types/accountkey`).

use alloy_primitives::{Address, U256};
use evlock::devnet::{Chain, ChainConfig, ChainError};
use evlock::kaia::{
    AccountKey, CompressedPubkey, FeeDelegation, KaiaKind, KaiaTx, KeyRule, RecoverableSig, Transaction,
    WeightedMultiSig, WeightedPublicKey, gas,
};
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

fn public(key: &SigningKey) -> CompressedPubkey {
    CompressedPubkey::from_verifying_key(key.verifying_key())
}

fn chain(accounts: &[Address]) -> Chain {
    let rich = U256::from(10u64).pow(U256::from(21));
    Chain::new(
        ChainConfig { alloc: accounts.iter().map(|a| (*a, rich)).collect(), ..Default::default() },
        1_000,
    )
}

/// Signs with every sender key, then every fee payer key, in order.
fn signed(mut tx: Transaction, senders: &[&SigningKey], payers: &[&SigningKey]) -> Vec<u8> {
    for sender in senders {
        tx.add_sender_signature(RecoverableSig::sign_prehash(sender, &tx.sig_hash()).unwrap()).unwrap();
    }
    for payer in payers {
        let hash = tx.fee_payer_sig_hash().unwrap();
        tx.add_fee_payer_signature(RecoverableSig::sign_prehash(payer, &hash).unwrap()).unwrap();
    }
    tx.raw().unwrap()
}

fn record(mut fields: Value) -> Transaction {
    fields["chain_id"] = json!("31337");
    fields["gas_price"] = json!(PRICE.to_string());
    Transaction::from_json_value(&fields).unwrap()
}

fn transfer(from: Address, nonce: u64) -> Transaction {
    record(
        json!({"type": "value_transfer", "nonce": nonce.to_string(), "gas": "100000", "to": TO, "value": "1",
                  "from": from.to_checksum(None)}),
    )
}

fn delegated_transfer(from: Address, payer: Address, nonce: u64) -> Transaction {
    record(
        json!({"type": "fee_delegated_value_transfer", "nonce": nonce.to_string(), "gas": "100000", "to": TO,
                  "value": "1", "from": from.to_checksum(None), "fee_payer": payer.to_checksum(None)}),
    )
}

/// An account update built directly (the JSON parser refuses what Kaia refuses, so the
/// refusals are sent as raw bytes, as any other tool could).
fn update(from: Address, nonce: u64, key: AccountKey) -> Transaction {
    Transaction::Kaia(KaiaTx {
        chain_id: 31337,
        nonce,
        gas_price: U256::from(PRICE),
        gas: 500_000,
        from,
        kind: KaiaKind::AccountUpdate { key },
        fee: FeeDelegation::None,
        signatures: vec![],
        fee_payer_signatures: vec![],
    })
}

fn multisig(threshold: u64, keys: &[&SigningKey]) -> AccountKey {
    AccountKey::WeightedMultiSig(WeightedMultiSig {
        threshold,
        keys: keys.iter().map(|k| WeightedPublicKey { weight: 1, key: public(k) }).collect(),
    })
}

fn refused(result: Result<alloy_primitives::B256, ChainError>) -> ChainError {
    result.expect_err("the chain must refuse this transaction")
}

#[test]
fn a_weighted_2_of_3_account_needs_two_signatures() {
    let owner = key(1);
    let account = addr(&owner);
    let (a, b, c) = (key(11), key(12), key(13));
    let mut chain = chain(&[account]);
    let key = multisig(2, &[&a, &b, &c]);
    let hash = chain.submit(&signed(update(account, 0, key.clone()), &[&owner], &[]), 1_001, true).unwrap();
    assert_eq!(chain.transaction(&hash).unwrap().gas_used, gas::TX + 3 * gas::ACCOUNT_KEY_PER_KEY);
    assert_eq!(chain.account_key(account), key);

    let one = refused(chain.submit(&signed(transfer(account, 1), &[&a], &[]), 1_002, true));
    assert!(matches!(one, ChainError::InvalidAccountKey { role: "sender", .. }), "{one}");
    assert!(one.to_string().contains("needs weight 2, the signatures reach 1"), "{one}");
    let by_owner = refused(chain.submit(&signed(transfer(account, 1), &[&owner], &[]), 1_002, true));
    assert!(by_owner.to_string().contains("has no key"), "the address's own key is no longer it: {by_owner}");
    let stranger = refused(chain.submit(&signed(transfer(account, 1), &[&a, &b, &owner], &[]), 1_002, true));
    assert!(stranger.to_string().contains("has no key"), "{stranger}");

    // Two of three, in either order; the second signature costs Kaia's validation gas.
    let hash = chain.submit(&signed(transfer(account, 1), &[&c, &a], &[]), 1_002, true).unwrap();
    assert_eq!(chain.transaction(&hash).unwrap().gas_used, gas::TX + gas::SIGNATURE_VALIDATION_PER_KEY);
    chain.submit(&signed(transfer(account, 2), &[&a, &b, &c], &[]), 1_003, true).unwrap();
    assert_eq!(chain.nonce(account, false), 3);
    // A gas limit that covers the intrinsic gas but not the signature validation is refused.
    let mut tight = transfer(account, 3);
    if let Transaction::Kaia(k) = &mut tight {
        k.gas = gas::TX;
    }
    let low = refused(chain.submit(&signed(tight, &[&a, &b], &[]), 1_004, true));
    assert!(matches!(low, ChainError::IntrinsicGas { needed, .. } if needed == gas::TX + 15_000), "{low}");
}

#[test]
fn a_role_based_account_signs_each_role_with_its_own_key() {
    let (owner, payer_owner) = (key(2), key(3));
    let (account, payer) = (addr(&owner), addr(&payer_owner));
    let (tx_key, update_key, fee_key) = (key(21), key(22), key(23));
    let mut chain = chain(&[account, payer]);
    let roles = |k: &[&SigningKey; 3]| {
        AccountKey::RoleBased(k.iter().map(|k| AccountKey::Public(public(k))).collect())
    };
    // Both accounts become role-based (the fee payer's roles: its own three keys).
    chain
        .submit(
            &signed(update(account, 0, roles(&[&tx_key, &update_key, &fee_key])), &[&owner], &[]),
            1_001,
            true,
        )
        .unwrap();
    let (p_tx, p_update, p_fee) = (key(31), key(32), key(33));
    chain
        .submit(
            &signed(update(payer, 0, roles(&[&p_tx, &p_update, &p_fee])), &[&payer_owner], &[]),
            1_002,
            true,
        )
        .unwrap();

    // Transactions: RoleTransaction only.
    let by_update_key =
        refused(chain.submit(&signed(transfer(account, 1), &[&update_key], &[]), 1_003, true));
    assert!(by_update_key.to_string().contains("RoleTransaction"), "{by_update_key}");
    chain.submit(&signed(transfer(account, 1), &[&tx_key], &[]), 1_003, true).unwrap();

    // The fee payer: RoleFeePayer only; its RoleTransaction key is refused.
    let fee_by_tx_key = refused(chain.submit(
        &signed(delegated_transfer(account, payer, 2), &[&tx_key], &[&p_tx]),
        1_004,
        true,
    ));
    assert!(
        matches!(fee_by_tx_key, ChainError::InvalidAccountKey { role: "fee payer", .. }),
        "{fee_by_tx_key}"
    );
    assert!(fee_by_tx_key.to_string().contains("RoleFeePayer"), "{fee_by_tx_key}");
    chain.submit(&signed(delegated_transfer(account, payer, 2), &[&tx_key], &[&p_fee]), 1_004, true).unwrap();

    // Account updates: RoleAccountUpdate only. The rotation keeps the other roles (nil).
    let new_tx_key = key(24);
    let rotate = AccountKey::RoleBased(vec![
        AccountKey::Public(public(&new_tx_key)),
        AccountKey::Nil,
        AccountKey::Nil,
    ]);
    let by_tx_key =
        refused(chain.submit(&signed(update(account, 3, rotate.clone()), &[&tx_key], &[]), 1_005, true));
    assert!(by_tx_key.to_string().contains("RoleAccountUpdate"), "{by_tx_key}");
    chain.submit(&signed(update(account, 3, rotate), &[&update_key], &[]), 1_005, true).unwrap();
    assert_eq!(
        chain.account_key(account),
        roles(&[&new_tx_key, &update_key, &fee_key]),
        "only RoleTransaction changed"
    );
    // From the next block the old key is refused and the new one signs for the same address.
    let old = refused(chain.submit(&signed(transfer(account, 4), &[&tx_key], &[]), 1_006, true));
    assert!(matches!(old, ChainError::InvalidAccountKey { role: "sender", .. }), "{old}");
    chain.submit(&signed(transfer(account, 4), &[&new_tx_key], &[]), 1_006, true).unwrap();
    assert_eq!(chain.nonce(account, false), 5);
}

#[test]
fn a_decoupled_account_keeps_its_address_and_refuses_ethereum_types() {
    let owner = key(4);
    let account = addr(&owner);
    let new_key = key(41);
    let mut chain = chain(&[account]);
    chain
        .submit(
            &signed(update(account, 0, AccountKey::Public(public(&new_key))), &[&owner], &[]),
            1_001,
            true,
        )
        .unwrap();
    let legacy = record(json!({"type": "legacy", "nonce": "1", "gas": "21000", "to": TO, "value": "1"}));
    let ethereum = refused(chain.submit(&signed(legacy, &[&owner], &[]), 1_002, true));
    assert!(matches!(ethereum, ChainError::NotLegacyKey { .. }), "{ethereum}");
    assert!(ethereum.to_string().contains("ErrLegacyTransactionMustBeWithLegacyKey"), "{ethereum}");
    // The decoupled key signs Kaia types for the account; back to legacy, Ethereum types again.
    chain.submit(&signed(update(account, 1, AccountKey::Legacy), &[&new_key], &[]), 1_002, true).unwrap();
    let legacy = record(json!({"type": "legacy", "nonce": "2", "gas": "21000", "to": TO, "value": "1"}));
    chain.submit(&signed(legacy, &[&owner], &[]), 1_003, true).unwrap();
    assert_eq!(chain.account_key(account), AccountKey::Legacy);
}

#[test]
fn kaias_refusals_name_the_rule() {
    let owner = key(5);
    let account = addr(&owner);
    let mut chain = chain(&[account]);
    let one = || AccountKey::Public(public(&key(51)));
    let cases: Vec<(AccountKey, KeyRule)> = vec![
        (AccountKey::Nil, KeyRule::NilUninitializable),
        (AccountKey::RoleBased(vec![AccountKey::Nil; 3]), KeyRule::NilUninitializable),
        (AccountKey::RoleBased(vec![AccountKey::Nil, one(), one()]), KeyRule::NilUninitializable),
        (AccountKey::RoleBased(vec![one(), AccountKey::Nil]), KeyRule::NilUninitializable),
        (multisig(3, &[&key(52), &key(53)]), KeyRule::UnsatisfiableThreshold { sum: 2, threshold: 3 }),
        (
            multisig(1, &(60..71).map(key).collect::<Vec<_>>().iter().collect::<Vec<_>>()),
            KeyRule::MaxKeysExceed,
        ),
        (AccountKey::RoleBased(vec![one(); 4]), KeyRule::LengthTooLong),
        (AccountKey::RoleBased(vec![]), KeyRule::ZeroLength("a role-based key")),
    ];
    for (new_key, rule) in cases {
        let error =
            refused(chain.submit(&signed(update(account, 0, new_key.clone()), &[&owner], &[]), 1_001, true));
        assert_eq!(error, ChainError::AccountKey { account, rule }, "{new_key:?}");
    }
    // A role that is itself role-based does not even decode.
    let nested = AccountKey::RoleBased(vec![AccountKey::RoleBased(vec![one()])]);
    let error = refused(chain.submit(&signed(update(account, 0, nested), &[&owner], &[]), 1_001, true));
    assert!(matches!(&error, ChainError::Decode(m) if m.contains("ErrNestedCompositeType")), "{error}");
    assert_eq!(chain.head().number, 0, "nothing was mined");

    // AccountKeyFail: nothing is signed any more, not even an update.
    chain.submit(&signed(update(account, 0, AccountKey::Fail), &[&owner], &[]), 1_002, true).unwrap();
    let error = refused(chain.submit(&signed(transfer(account, 1), &[&owner], &[]), 1_003, true));
    assert!(error.to_string().contains("refuses every signature"), "{error}");
    let error =
        refused(chain.submit(&signed(update(account, 1, AccountKey::Legacy), &[&owner], &[]), 1_003, true));
    assert!(matches!(error, ChainError::InvalidAccountKey { .. }), "{error}");
}

#[test]
fn in_one_block_a_rotation_leaves_out_what_the_old_key_signed_after_it() {
    let (owner, new_key) = (key(6), key(61));
    let account = addr(&owner);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("chain.ndjson");
    let config =
        ChainConfig { alloc: vec![(account, U256::from(10u64).pow(U256::from(21)))], ..Default::default() };
    let mut chain = Chain::open(&state, config.clone(), 1_000).unwrap();
    let rotation = chain
        .submit(
            &signed(update(account, 0, AccountKey::Public(public(&new_key))), &[&owner], &[]),
            1_001,
            false,
        )
        .unwrap();
    // Admitted against the state before the block, as a node's pool does ...
    let stale = chain.submit(&signed(transfer(account, 1), &[&owner], &[]), 1_001, false).unwrap();
    let block = chain.mine(1_002).unwrap().clone();
    // ... but left out of the block, as a node's block builder does.
    assert_eq!(block.transactions, vec![rotation]);
    assert!(chain.transaction(&stale).is_none());
    assert_eq!(chain.nonce(account, false), 1);
    chain.submit(&signed(transfer(account, 1), &[&new_key], &[]), 1_003, true).unwrap();
    drop(chain);
    // Replayed from its state file, the chain has the same keys and blocks.
    let chain = Chain::open(&state, config, 2_000).unwrap();
    assert_eq!(chain.account_key(account), AccountKey::Public(public(&new_key)));
    assert_eq!(chain.block(1).unwrap().transactions, vec![rotation]);
    assert_eq!(chain.nonce(account, false), 2);
}

#[test]
fn kaia_get_account_key_answers_as_a_kaia_node() {
    let owner = key(7);
    let account = addr(&owner);
    let mut chain = chain(&[account]);
    let get = |chain: &mut Chain| {
        evlock::devnet::rpc::handle(
            chain,
            "kaia_getAccountKey",
            &json!([account.to_checksum(None), "latest"]),
            1_001,
            true,
        )
        .unwrap()
    };
    assert_eq!(get(&mut chain), json!({"keyType": 1, "key": {}}));
    let (a, b) = (key(71), key(72));
    let roles =
        AccountKey::RoleBased(vec![AccountKey::Public(public(&a)), multisig(1, &[&a, &b]), AccountKey::Fail]);
    chain.submit(&signed(update(account, 0, roles), &[&owner], &[]), 1_001, true).unwrap();
    let answer = get(&mut chain);
    assert_eq!(answer["keyType"], 5);
    let point = a.verifying_key().to_sec1_point(false);
    let x = format!("{:#x}", U256::from_be_slice(&point.as_bytes()[1..33]));
    assert_eq!(
        answer["key"][0],
        json!({"keyType": 2, "key": {"x": x, "y": format!("{:#x}", U256::from_be_slice(&point.as_bytes()[33..]))}})
    );
    assert_eq!(answer["key"][1]["keyType"], 4);
    assert_eq!(answer["key"][1]["key"]["threshold"], 1);
    assert_eq!(answer["key"][1]["key"]["keys"][1]["weight"], 1);
    assert_eq!(answer["key"][2], json!({"keyType": 3, "key": {}}));
}
