//! Unit tests: decoding errors, JSON field handling, signing hooks.

use alloy_primitives::{Address, Bytes, U256, address};
use k256::ecdsa::SigningKey;
use rlp::RlpStream;
use serde_json::{Value, json};

use crate::kaia::{
    AccountKey, FeeDelegation, FeeRatio, KaiaError, KaiaKind, KaiaTx, LegacyTx, RawForm, RecoverableSig,
    Transaction, TxSignature, TxType, address_of,
};

const KEY: &str = "45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8";
const FP_KEY: &str = "b9d5558443585bca6f225b935950e3f6e69f9da8a5809a83f51c3365dff53936";
const FROM: Address = address!("a94f5374fce5edbc8e2a8697c15331677e6ebf0b");
const TO: Address = address!("7b65b75d204abed71587c9e519a89277766ee1d0");
const FEE_PAYER: Address = address!("5a0043070275d9f6054307ee7348bd660849d90f");

fn key(k: &str) -> SigningKey {
    SigningKey::from_slice(&hex::decode(k).unwrap()).unwrap()
}

fn sign(tx: &mut Transaction) {
    let k = key(KEY);
    tx.sign_sender_with(|h| RecoverableSig::sign_prehash(&k, h)).unwrap();
    if tx.tx_type().is_fee_delegated() {
        let fp = key(FP_KEY);
        tx.sign_fee_payer_with(|h| RecoverableSig::sign_prehash(&fp, h)).unwrap();
    }
}

fn vt(fee: FeeDelegation) -> Transaction {
    Transaction::Kaia(KaiaTx {
        chain_id: 31337,
        nonce: 5,
        gas_price: U256::from(25_000_000_000u64),
        gas: 21000,
        from: FROM,
        kind: KaiaKind::ValueTransfer { to: TO, value: U256::from(1000) },
        fee,
        signatures: vec![],
        fee_payer_signatures: vec![],
    })
}

fn ratio(r: u64) -> FeeDelegation {
    FeeDelegation::WithRatio { fee_payer: FEE_PAYER, fee_ratio: FeeRatio::new(r).unwrap() }
}

fn signed_fdr_raw() -> Vec<u8> {
    let mut tx = vt(ratio(30));
    sign(&mut tx);
    tx.raw().unwrap()
}

/// A 0x08 ValueTransfer raw tx with caller-chosen integer payloads.
fn vt_raw(nonce: &[u8], gas_price: &[u8], value: &[u8], v: u64) -> Vec<u8> {
    let mut s = RlpStream::new_list(7);
    s.append(&nonce);
    s.append(&gas_price);
    s.append(&21000u64);
    s.append(&TO.as_slice());
    s.append(&value);
    s.append(&FROM.as_slice());
    s.begin_list(1);
    s.begin_list(3);
    s.append(&v);
    s.append(&1u8);
    s.append(&1u8);
    let mut out = vec![0x08];
    out.extend_from_slice(&s.out());
    out
}

// ------------------------------------------------------------ round trips --

#[test]
fn every_type_round_trips_through_raw_and_json() {
    let kinds = [
        KaiaKind::ValueTransfer { to: TO, value: U256::from(1) },
        KaiaKind::ValueTransferMemo { to: TO, value: U256::from(1), input: Bytes::from_static(b"kWh 42") },
        KaiaKind::AccountUpdate { key: AccountKey::Legacy },
        KaiaKind::AccountUpdate { key: AccountKey::Fail },
        KaiaKind::AccountUpdate { key: AccountKey::Nil },
        KaiaKind::AccountUpdate { key: multisig_2_of_3() },
        KaiaKind::AccountUpdate {
            key: AccountKey::RoleBased(vec![
                AccountKey::Public(pubkey(21)),
                AccountKey::Nil,
                AccountKey::WeightedMultiSig(crate::kaia::WeightedMultiSig {
                    threshold: 1,
                    keys: vec![crate::kaia::WeightedPublicKey { weight: 1, key: pubkey(22) }],
                }),
            ]),
        },
        KaiaKind::SmartContractDeploy {
            to: None,
            value: U256::ZERO,
            input: Bytes::from_static(&[0x60, 0x00]),
            human_readable: false,
            code_format: 0,
        },
        KaiaKind::SmartContractExecution { to: TO, value: U256::MAX, input: Bytes::from_static(&[1, 2]) },
        KaiaKind::Cancel,
    ];
    let fees = [FeeDelegation::None, FeeDelegation::Full { fee_payer: FEE_PAYER }, ratio(99)];
    for kind in &kinds {
        for fee in fees {
            let mut tx = vt(fee);
            if let Transaction::Kaia(k) = &mut tx {
                k.kind = kind.clone();
            }
            sign(&mut tx);
            let raw = tx.raw().unwrap();
            let back = Transaction::decode_raw(&raw).unwrap();
            assert_eq!(back, tx);
            assert_eq!(back.recover_sender().unwrap(), FROM);
            if fee.fee_payer().is_none() {
                assert_eq!(tx.sender_tx_hash().unwrap(), tx.tx_hash().unwrap());
            } else {
                assert_ne!(tx.sender_tx_hash().unwrap(), tx.tx_hash().unwrap());
                assert_eq!(back.recover_fee_payer().unwrap(), address_of(key(FP_KEY).verifying_key()));
            }
            let json = serde_json::to_string(&tx).unwrap();
            if matches!(kind, KaiaKind::AccountUpdate { key: AccountKey::Nil }) {
                // Kaia never installs a nil key: the record is refused, naming the rule.
                let error = serde_json::from_str::<Transaction>(&json).unwrap_err().to_string();
                assert!(error.contains("ErrAccountKeyNilUninitializable"), "{error}");
            } else {
                let from_json: Transaction = serde_json::from_str(&json).unwrap();
                assert_eq!(from_json, tx, "{json}");
            }
            for key in tx.to_json_value().as_object().unwrap().keys() {
                let field =
                    crate::kaia::tx_field(key).unwrap_or_else(|| panic!("`{key}` is not in the tx table"));
                assert_eq!(field.name, key, "records are written with wire names");
            }
        }
    }
}

fn pubkey(byte: u8) -> crate::kaia::CompressedPubkey {
    crate::kaia::CompressedPubkey::from_verifying_key(key(&hex::encode([byte; 32])).verifying_key())
}

fn multisig_2_of_3() -> AccountKey {
    AccountKey::WeightedMultiSig(crate::kaia::WeightedMultiSig {
        threshold: 2,
        keys: (1..=3).map(|b| crate::kaia::WeightedPublicKey { weight: 1, key: pubkey(b) }).collect(),
    })
}

#[test]
fn the_tx_table_knows_every_spelling_once() {
    let mut seen = std::collections::BTreeSet::new();
    for field in crate::kaia::fields::ALL {
        for spelling in field.spellings() {
            assert!(seen.insert(spelling), "`{spelling}` is in the table twice");
            assert_eq!(crate::kaia::tx_field(spelling), Some(field));
        }
    }
    assert!(crate::kaia::tx_field("chainID").is_some() && crate::kaia::tx_field("frob").is_none());
}

#[test]
fn a_chain_id_alias_that_disagrees_is_refused() {
    let mut record = record();
    record["chainID"] = serde_json::json!("1");
    let error = Transaction::from_json_value(&record).unwrap_err().to_string();
    assert!(error.contains("chainID") && error.contains("conflicts with `chain_id`"), "{error}");
    let mut legacy = serde_json::json!({"type": "legacy", "chainID": "1", "nonce": "0", "gas": "21000",
        "gas_price": "1", "to": null, "value": "0"});
    assert_eq!(Transaction::from_json_value(&legacy).unwrap().chain_id(), Some(1), "an alias alone is read");
    legacy["chain_id"] = serde_json::json!("1001");
    assert!(Transaction::from_json_value(&legacy).is_err(), "two spellings, two values");
}

#[test]
fn account_key_encodings() {
    assert_eq!(AccountKey::Legacy.rlp_encoding(), vec![0x01, 0xc0]);
    assert_eq!(AccountKey::Fail.rlp_encoding(), vec![0x03, 0xc0]);
    assert_eq!(AccountKey::Nil.rlp_encoding(), vec![0x80]);
    for k in [AccountKey::Legacy, AccountKey::Fail, AccountKey::Nil] {
        assert_eq!(AccountKey::from_rlp_encoding(&k.rlp_encoding()).unwrap(), k);
    }
    let err = AccountKey::from_rlp_encoding(&[0x04, 0xc0]).unwrap_err();
    assert!(err.to_string().contains("has 0 items, expected 2"), "{err}");
    let err = AccountKey::from_rlp_encoding(&[0x06, 0xc0]).unwrap_err();
    assert!(err.to_string().contains("unknown key type 0x06"), "{err}");
    let err = AccountKey::from_rlp_encoding(&[0x01, 0xc0, 0x80]).unwrap_err();
    assert!(matches!(err, KaiaError::AccountKey(_)), "{err}");
}

#[test]
fn ethereum_types_round_trip_and_legacy_pre_eip155() {
    let mut legacy = Transaction::Legacy(LegacyTx {
        chain_id: None,
        nonce: 0,
        gas_price: U256::from(1),
        gas: 21000,
        to: None,
        value: U256::ZERO,
        input: Bytes::from_static(&[0x60]),
        signature: None,
    });
    // Pre-EIP-155: six fields only.
    assert_eq!(hex::encode(legacy.sig_rlp()), "c88001825208808060");
    sign(&mut legacy);
    let raw = legacy.raw().unwrap();
    let back = Transaction::decode_raw(&raw).unwrap();
    assert_eq!(back, legacy);
    assert_eq!(back.recover_sender().unwrap(), FROM);
    let Transaction::Legacy(l) = &back else { panic!() };
    assert!(matches!(l.v(), Ok(27 | 28)));
    let json = serde_json::to_value(&legacy).unwrap();
    assert_eq!(json["chain_id"], serde_json::Value::Null);
    assert_eq!(serde_json::from_value::<Transaction>(json).unwrap(), legacy);

    let mut tx = Transaction::from_json_value(&json!({
        "type": "eip1559", "chain_id": 8217, "nonce": "1", "gas": 21000,
        "max_priority_fee_per_gas": "25000000000", "max_fee_per_gas": "0x5d21dba00",
        "to": TO, "value": "1",
        "access_list": [{"address": TO, "storageKeys": ["0x0000000000000000000000000000000000000000000000000000000000000001"]}]
    }))
    .unwrap();
    sign(&mut tx);
    let raw = tx.raw().unwrap();
    assert_eq!(raw[0], 0x02, "the plain EIP-2718 form, no 0x78 envelope");
    assert_eq!(RawForm::of(&raw), RawForm::Typed(2));
    assert_eq!(tx.tx_hash().unwrap(), alloy_primitives::keccak256(&raw));
    assert_eq!(Transaction::decode_raw(&raw).unwrap(), tx);
    // Kaia's enveloped form decodes to the same transaction.
    let enveloped = [&[0x78][..], &raw].concat();
    assert_eq!(RawForm::of(&enveloped), RawForm::Enveloped(2));
    assert_eq!(Transaction::decode_raw(&enveloped).unwrap(), tx);
    assert_eq!(crate::kaia::strip_envelope(&enveloped), &raw[..]);
    assert_eq!(tx.recover_sender().unwrap(), FROM);
}

// ------------------------------------------------------- decoding errors --

#[test]
fn decode_rejects_empty_truncated_and_trailing() {
    assert_eq!(Transaction::decode_raw(&[]), Err(KaiaError::EmptyInput));
    let raw = signed_fdr_raw();
    let err = Transaction::decode_raw(&raw[..raw.len() - 1]).unwrap_err();
    assert!(matches!(err, KaiaError::Truncated { .. }), "{err}");
    let err = Transaction::decode_raw(&raw[..1]).unwrap_err();
    assert!(matches!(err, KaiaError::Truncated { .. }), "{err}");
    let mut long = raw.clone();
    long.push(0x00);
    assert_eq!(Transaction::decode_raw(&long), Err(KaiaError::TrailingBytes { extra: 1 }));
    assert_eq!(
        Transaction::decode_raw(&long).unwrap_err().to_string(),
        "raw transaction: 1 trailing byte(s) after the end of the transaction"
    );
}

#[test]
fn decode_rejects_unknown_types() {
    let raw = signed_fdr_raw();
    let mut bad = raw.clone();
    bad[0] = 0x07;
    let err = Transaction::decode_raw(&bad).unwrap_err();
    assert_eq!(err, KaiaError::UnknownTypeByte(0x07));
    assert_eq!(err.to_string(), "raw transaction: unknown type byte 0x07");
    bad[0] = 0x18; // TxTypeAccountCreation: not supported
    assert_eq!(Transaction::decode_raw(&bad), Err(KaiaError::UnknownTypeByte(0x18)));
    assert_eq!(Transaction::decode_raw(&[0x78, 0x03, 0xc0]), Err(KaiaError::UnknownEthereumType(3)));
    assert!(matches!(Transaction::decode_raw(&[0x78]), Err(KaiaError::Truncated { .. })));
}

#[test]
fn decode_rejects_wrong_list_length() {
    // A 0x09 type byte in front of a 0x0a body has one item too many.
    let mut raw = signed_fdr_raw();
    raw[0] = 0x09;
    let err = Transaction::decode_raw(&raw).unwrap_err();
    assert_eq!(err, KaiaError::ListLength { what: "transaction", expected: 9, got: 10 });
    assert_eq!(err.to_string(), "raw transaction: transaction has 10 items, expected 9");
}

#[test]
fn decode_rejects_bad_fee_ratio() {
    let raw = signed_fdr_raw();
    // The ratio byte directly follows `from` (0x94 + 20 bytes).
    let pos = raw.windows(20).position(|w| w == FROM.as_slice()).unwrap() + 20;
    assert_eq!(raw[pos], 30);
    for (byte, shown) in [(0x80u8, 0u64), (100, 100), (0x7f, 127)] {
        let mut bad = raw.clone();
        bad[pos] = byte;
        let err = Transaction::decode_raw(&bad).unwrap_err();
        assert_eq!(err, KaiaError::InvalidFeeRatio(shown));
        assert_eq!(err.to_string(), format!("fee_ratio must be 1..=99, got {shown}"));
    }
}

#[test]
fn decode_rejects_non_canonical_and_big_numbers() {
    assert!(Transaction::decode_raw(&vt_raw(&[5], &[25], &[1], 37)).is_ok());
    let err = Transaction::decode_raw(&vt_raw(&[0, 5], &[25], &[1], 37)).unwrap_err();
    assert_eq!(err, KaiaError::NonCanonicalInt { field: "nonce" });
    let err = Transaction::decode_raw(&vt_raw(&[0], &[25], &[1], 37)).unwrap_err();
    assert_eq!(err, KaiaError::NonCanonicalInt { field: "nonce" });
    let err = Transaction::decode_raw(&vt_raw(&[1; 9], &[25], &[1], 37)).unwrap_err();
    assert_eq!(err.to_string(), "field `nonce`: number exceeds 64 bits");
    let err = Transaction::decode_raw(&vt_raw(&[5], &[1; 33], &[1], 37)).unwrap_err();
    assert_eq!(err.to_string(), "field `gasPrice`: number exceeds 256 bits");
    assert!(Transaction::decode_raw(&vt_raw(&[5], &[0xff; 32], &[0xff; 32], 37)).is_ok());
    // 0x81 0x05 is a non-canonical encoding of the single byte 0x05.
    let mut raw = vt_raw(&[5], &[25], &[1], 37);
    let pos = raw.iter().position(|b| *b == 0x05).unwrap();
    raw.splice(pos..pos + 1, [0x81, 0x05]);
    raw[1] += 1; // short list header
    let err = Transaction::decode_raw(&raw).unwrap_err();
    assert_eq!(err, KaiaError::NonCanonicalByte { field: "nonce" });
}

#[test]
fn decode_checks_signature_v() {
    let err = Transaction::decode_raw(&vt_raw(&[5], &[25], &[1], 27)).unwrap_err();
    assert!(matches!(err, KaiaError::InvalidV { v: 27, .. }), "{err}");
    // Two sender signatures for different chains.
    let mut tx = vt(FeeDelegation::None);
    sign(&mut tx);
    if let Transaction::Kaia(k) = &mut tx {
        k.signatures.push(TxSignature { v: 37, r: U256::from(1), s: U256::from(1) });
    }
    let err = Transaction::decode_raw(&tx.raw().unwrap()).unwrap_err();
    assert!(err.to_string().contains("expected 62709 or 62710 for chain id 31337"), "{err}");
}

#[test]
fn decode_requires_a_sender_signature_for_kaia_types() {
    let mut s = RlpStream::new_list(5);
    s.append(&1u8).append(&1u8).append(&1u8).append(&FROM.as_slice());
    s.begin_list(0);
    let mut raw = vec![0x38];
    raw.extend_from_slice(&s.out());
    assert_eq!(Transaction::decode_raw(&raw), Err(KaiaError::NoChainId));
}

#[test]
fn high_s_signatures_do_not_recover() {
    let mut tx = vt(FeeDelegation::None);
    sign(&mut tx);
    let Transaction::Kaia(k) = &mut tx else { panic!() };
    let n =
        U256::from_str_radix("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16).unwrap();
    let sig = &mut k.signatures[0];
    sig.s = n - sig.s;
    sig.v = if sig.v == 62709 { 62710 } else { 62709 }; // flip parity
    let err = tx.recover_sender().unwrap_err();
    assert!(err.to_string().contains("high-S"), "{err}");
}

// -------------------------------------------------------- signing hooks --

#[test]
fn the_sender_signs_before_a_fee_payer_is_named() {
    let mut tx =
        vt(FeeDelegation::WithRatio { fee_payer: Address::ZERO, fee_ratio: FeeRatio::new(30).unwrap() });
    let named = {
        let mut named = vt(ratio(30));
        let k = key(KEY);
        named.sign_sender_with(|h| RecoverableSig::sign_prehash(&k, h)).unwrap();
        named
    };
    let k = key(KEY);
    tx.sign_sender_with(|h| RecoverableSig::sign_prehash(&k, h)).unwrap();
    // The sender's signature does not cover the fee payer.
    assert_eq!(tx.sig_hash(), named.sig_hash());
    let Transaction::Kaia(kt) = &tx else { panic!() };
    let raw = tx.raw().unwrap();
    assert_eq!(raw, kt.sender_tx_hash_rlp().unwrap(), "the SenderTxHashRLP, as Kaia's SDK writes it");
    assert_eq!(tx.tx_hash().unwrap(), tx.sender_tx_hash().unwrap());
    let mut back = Transaction::decode_raw(&raw).unwrap();
    assert_eq!(back, tx);
    assert_eq!(back.fee_payer(), None);
    back.set_fee_payer(FEE_PAYER).unwrap();
    let fp = key(FP_KEY);
    back.sign_fee_payer_with(|h| RecoverableSig::sign_prehash(&fp, h)).unwrap();
    let mut full = named.clone();
    full.sign_fee_payer_with(|h| RecoverableSig::sign_prehash(&fp, h)).unwrap();
    assert_eq!(back.raw().unwrap(), full.raw().unwrap());
    assert_eq!(back.sender_tx_hash().unwrap(), tx.sender_tx_hash().unwrap());
}

#[test]
fn fee_payer_placeholder_and_hook_errors() {
    // An SDK-made sender-signed tx with a [1, 0, 0] fee payer placeholder.
    let mut tx = vt(FeeDelegation::Full { fee_payer: FEE_PAYER });
    let k = key(KEY);
    tx.sign_sender_with(|h| RecoverableSig::sign_prehash(&k, h)).unwrap();
    if let Transaction::Kaia(k) = &mut tx {
        k.fee_payer_signatures.push(TxSignature { v: 1, r: U256::ZERO, s: U256::ZERO });
    }
    let decoded = Transaction::decode_raw(&tx.raw().unwrap()).unwrap();
    assert_eq!(decoded.recover_fee_payer(), Err(KaiaError::MissingFeePayerSignature));
    let mut decoded = decoded;
    let fp = key(FP_KEY);
    decoded.sign_fee_payer_with(|h| RecoverableSig::sign_prehash(&fp, h)).unwrap();
    let Transaction::Kaia(kt) = &decoded else { panic!() };
    assert_eq!(kt.fee_payer_signatures.len(), 1, "placeholder replaced");
    assert_eq!(decoded.recover_fee_payer().unwrap(), address_of(fp.verifying_key()));

    let mut basic = vt(FeeDelegation::None);
    let err = basic.sign_fee_payer_with(|h| RecoverableSig::sign_prehash(&fp, h)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "transaction type `value_transfer` is not fee-delegated (it has no fee payer)"
    );
    assert_eq!(basic.raw(), Err(KaiaError::MissingSenderSignature));

    // A hook error propagates unchanged.
    #[derive(Debug, PartialEq)]
    enum HsmError {
        Offline,
        Kaia(KaiaError),
    }
    impl From<KaiaError> for HsmError {
        fn from(e: KaiaError) -> Self {
            HsmError::Kaia(e)
        }
    }
    assert_eq!(basic.sign_sender_with(|_| Err(HsmError::Offline)), Err(HsmError::Offline));
}

// ------------------------------------------------------------------ JSON --

fn record() -> serde_json::Value {
    json!({
        "kind": "trade", "v": 3, "meta": {"anything": true},
        "type": "fee_delegated_value_transfer_with_ratio",
        "chain_id": "31337", "nonce": "5", "gas": "21000", "gas_price": "25000000000",
        "to": "0x7b65b75d204abed71587c9e519a89277766ee1d0", "value": "1000",
        "from": "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b",
        "fee_payer": "0x5a0043070275d9f6054307ee7348bd660849d90f",
        "fee_ratio": 30, "input": "0x"
    })
}

fn err_of(v: serde_json::Value) -> String {
    Transaction::from_json_value(&v).unwrap_err().to_string()
}

fn with(field: &str, value: serde_json::Value) -> serde_json::Value {
    let mut r = record();
    r[field] = value;
    r
}

#[test]
fn json_wire_record_parses_and_ignores_unknown_fields() {
    let tx = Transaction::from_json_value(&record()).unwrap();
    assert_eq!(tx, vt(ratio(30)));
    let out = tx.to_json_value();
    assert_eq!(out["type"], "fee_delegated_value_transfer_with_ratio");
    assert_eq!(out["gas_price"], "25000000000");
    assert_eq!(out["chain_id"], "31337");
    assert_eq!(out["fee_ratio"], 30);
}

#[test]
fn json_numbers_in_all_accepted_forms() {
    for v in [json!("25000000000"), json!(25_000_000_000u64), json!("0x5d21dba00"), json!("0X05D21DBA00")] {
        let tx = Transaction::from_json_value(&with("gas_price", v.clone())).unwrap();
        assert_eq!(tx, vt(ratio(30)), "{v}");
    }
    let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    assert!(Transaction::from_json_value(&with("value", json!(max))).is_ok());
}

#[test]
fn json_number_errors_name_the_field() {
    let too_big = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
    assert_eq!(err_of(with("gas_price", json!(too_big))), "field `gas_price`: number exceeds 256 bits");
    assert_eq!(
        err_of(with("gas_price", json!(format!("0x1{}", "0".repeat(64))))),
        "field `gas_price`: number exceeds 256 bits"
    );
    assert_eq!(err_of(with("gas", json!("18446744073709551616"))), "field `gas`: number exceeds 64 bits");
    assert_eq!(err_of(with("value", json!("-1"))), "field `value`: negative numbers are not allowed");
    assert_eq!(err_of(with("value", json!(-1))), "field `value`: negative numbers are not allowed");
    assert_eq!(err_of(with("value", json!(1.5))), "field `value`: must be an integer, got 1.5");
    assert_eq!(err_of(with("value", json!("1.5"))), "field `value`: must be an integer, got \"1.5\"");
    assert_eq!(err_of(with("nonce", json!("12a"))), "field `nonce`: invalid decimal number \"12a\"");
    assert_eq!(err_of(with("nonce", json!("0x"))), "field `nonce`: empty hex number `0x`");
    assert_eq!(
        err_of(with("nonce", json!(true))),
        "field `nonce`: expected a number or a numeric string, got a boolean"
    );
    assert!(err_of(with("value", json!(1e30))).contains("write big numbers as decimal strings"));
}

#[test]
fn json_fee_ratio_and_required_fields() {
    assert_eq!(err_of(with("fee_ratio", json!(100))), "fee_ratio must be 1..=99, got 100");
    assert_eq!(err_of(with("fee_ratio", json!("0"))), "fee_ratio must be 1..=99, got 0");
    // The sender may sign before a fee payer is named; a fee payer's signature needs one.
    let mut r = record();
    r.as_object_mut().unwrap().remove("fee_payer");
    let tx = Transaction::from_json_value(&r).unwrap();
    assert_eq!(tx.fee_payer(), None);
    assert!(tx.to_json_value().get("fee_payer").is_none());
    r["fee_payer_signatures"] = json!([{"v": "0x25", "r": "0x1", "s": "0x1"}]);
    assert_eq!(err_of(r), "field `fee_payer` is required for type `fee_delegated_value_transfer_with_ratio`");
    let mut r = record();
    r.as_object_mut().unwrap().remove("chain_id");
    assert!(err_of(r).contains("field `chain_id` is required"));
    assert_eq!(err_of(with("to", json!("0x1234"))), "field `to`: expected 20 bytes, got 2");
}

#[test]
fn json_type_names_and_aliases() {
    for t in [
        json!("FeeDelegatedValueTransferWithRatio"),
        json!("TxTypeFeeDelegatedValueTransferWithRatio"),
        json!(10),
        json!("0x0a"),
        json!("10"),
    ] {
        assert_eq!(Transaction::from_json_value(&with("type", t.clone())).unwrap(), vt(ratio(30)), "{t}");
    }
    let unknown = err_of(with("type", json!("teleport")));
    assert!(
        unknown.starts_with("field `type`: unknown transaction type \"teleport\" (the types: legacy, "),
        "{unknown}"
    );
    for name in ["value_transfer", "fee_delegated_smart_contract_execution_with_ratio", "eip1559", "cancel"] {
        assert!(unknown.contains(name), "{unknown} lacks {name}");
    }
    assert_eq!(unknown.matches(", ").count() + 1, TxType::all().count());
    assert!(
        err_of(with("type", json!(7))).starts_with("field `type`: unknown transaction type 7 (the types: ")
    );
    assert_eq!(TxType::from_name("TxTypeValueTransfer").unwrap().kaia_byte(), Some(0x08));
    assert_eq!(TxType::from_number(0x7801), Some(TxType::Eip2930));

    let camel = json!({
        "type": "TxTypeValueTransfer", "chainId": "0x7a69", "nonce": 5, "gasLimit": 21000,
        "gasPrice": "25000000000", "to": TO, "value": 1000, "from": FROM
    });
    assert_eq!(Transaction::from_json_value(&camel).unwrap(), vt(FeeDelegation::None));
    let mut dup = camel.clone();
    dup["gas"] = json!(1);
    assert_eq!(err_of(dup), "field `gasLimit`: conflicts with `gas` (give only one of them)");
}

#[test]
fn json_memo_alias_and_fields_a_type_does_not_have() {
    let mut r = record();
    r["type"] = json!("value_transfer_memo");
    r.as_object_mut().unwrap().remove("fee_ratio");
    r.as_object_mut().unwrap().remove("fee_payer");
    r["memo"] = json!("0x6b5768");
    let tx = Transaction::from_json_value(&r).unwrap();
    let Transaction::Kaia(k) = &tx else { panic!() };
    assert_eq!(
        k.kind,
        KaiaKind::ValueTransferMemo { to: TO, value: U256::from(1000), input: Bytes::from_static(b"kWh") }
    );
    assert_eq!(tx.to_json_value()["input"], "0x6b5768");
    r["input"] = json!("0x01");
    assert!(err_of(r).contains("field `memo`: conflicts with `input`"));

    // Data on a plain value transfer would be dropped silently: refuse it.
    assert_eq!(
        err_of(with("memo", json!("0x6b5768"))),
        "field `memo`: not used by type `fee_delegated_value_transfer_with_ratio` (use value_transfer_memo to attach data)"
    );
    assert!(Transaction::from_json_value(&with("memo", json!("0x"))).is_ok());
    let mut r = record();
    r["type"] = json!("value_transfer");
    assert_eq!(err_of(r), "field `fee_payer`: not used by type `value_transfer` (not fee-delegated)");
    let mut r = record();
    r["type"] = json!("eip2930");
    assert_eq!(err_of(r), "field `fee_payer`: not used by type `eip2930` (Kaia native types only)");
}

#[test]
fn json_output_shape() {
    let mut tx = vt(ratio(30));
    sign(&mut tx);
    let v = tx.to_json_value();
    assert_eq!(v["from"], "0xa94f5374Fce5edBC8E2a8697C15331677e6EbF0B", "EIP-55 on output");
    let sig = &v["signatures"][0];
    assert!(sig["v"] == "62709" || sig["v"] == "62710", "{sig}");
    assert!(sig["r"].as_str().unwrap().starts_with("0x"), "{sig}");
    assert!(v["fee_payer_signatures"][0]["s"].as_str().unwrap().starts_with("0x"));
    assert_eq!(serde_json::from_value::<Transaction>(v).unwrap(), tx);
}

#[test]
fn json_account_update_and_deploy() {
    let base = json!({"type": "account_update", "chain_id": 1001, "nonce": 0, "gas": 100000,
        "gas_price": "25000000000", "from": FROM});
    let mut r = base.clone();
    r["key"] = json!({"type": "legacy"});
    let tx = Transaction::from_json_value(&r).unwrap();
    assert_eq!(tx.to_json_value()["key"], json!({"type": "legacy"}));
    let pk = "0x033a514176466fa815ed481ffad09110a2d344f6c9b78c1d14afc351c3a51be33d";
    r["key"] = json!({"type": "public", "public_key": pk});
    let tx = Transaction::from_json_value(&r).unwrap();
    assert_eq!(tx.to_json_value()["key"]["public_key"], pk);
    r["key"] = json!(format!("0x02a1{}", &pk[2..])); // rlpEncodedKey form
    assert_eq!(Transaction::from_json_value(&r).unwrap(), tx);
    r["key"] = json!({"type": "public", "public_key": "0x02aa"});
    assert!(
        err_of(r.clone())
            .starts_with("field `key.public_key`: account key: public key 0x02aa is not a valid")
    );
    r["key"] = json!({"type": "weighted_multisig"});
    assert_eq!(err_of(r.clone()), "field `key.threshold`: required");
    let weighted = |w: u64, b: u8| json!({"weight": w, "public_key": format!("0x{}", hex::encode(pubkey(b).as_bytes()))});
    r["key"] = json!({"type": "weighted_multisig", "threshold": 2, "keys": [weighted(1, 1), weighted(1, 2), weighted(1, 3)]});
    let tx = Transaction::from_json_value(&r).unwrap();
    assert_eq!(tx.to_json_value()["key"], r["key"], "the JSON form is written as read");
    r["key"] = json!({"type": "weighted_multisig", "threshold": 3, "keys": [weighted(1, 1), weighted(1, 2)]});
    assert_eq!(
        err_of(r.clone()),
        "field `key`: the weights sum to 2, below the threshold 3 (ErrUnsatisfiableThreshold)"
    );
    let eleven: Vec<Value> = (1..=11).map(|b| weighted(1, b)).collect();
    r["key"] = json!({"type": "weighted_multisig", "threshold": 1, "keys": eleven});
    assert!(err_of(r.clone()).contains("at most 10 keys (ErrMaxKeysExceed)"));
    r["key"] = json!({"type": "role_based", "roles": [{"type": "nil"}, {"type": "nil"}, {"type": "nil"}]});
    assert!(err_of(r.clone()).contains("every role is AccountKeyNil"));
    r["key"] = json!({"type": "role_based", "roles": [{"type": "public", "public_key": pk},
        {"type": "role_based", "roles": [{"type": "legacy"}]}]});
    assert_eq!(
        err_of(r.clone()),
        "field `key.roles[1]`: a role of AccountKeyRoleBased cannot itself be role-based (ErrNestedCompositeType)"
    );
    r["key"] = json!({"type": "role_based", "roles": [{"type": "nil"},
        {"type": "weighted_multisig", "threshold": 5, "keys": [weighted(1, 1)]}]});
    assert!(err_of(r.clone()).starts_with("field `key.roles[1]`: the weights sum to 1"));
    r["key"] = json!({"type": "role_based", "roles": [{"type": "public", "public_key": pk}, {"type": "nil"}, {"type": "fail"}]});
    let tx = Transaction::from_json_value(&r).unwrap();
    assert_eq!(tx.to_json_value()["key"], r["key"]);
    r["key"] = json!({"type": "nil"});
    assert!(err_of(r.clone()).contains("ErrAccountKeyNilUninitializable"));
    r["key"] = json!({"type": "teleport"});
    assert!(err_of(r).contains("unknown key type `teleport`"));
    assert!(err_of(base).contains("field `key` is required for type `account_update`"));

    let d = json!({"type": "smart_contract_deploy", "chain_id": 1001, "nonce": 0, "gas": 1000000,
        "gas_price": "25000000000", "from": FROM, "data": "0x6000", "human_readable": false, "code_format": 0});
    let tx = Transaction::from_json_value(&d).unwrap();
    let Transaction::Kaia(k) = &tx else { panic!() };
    assert!(matches!(&k.kind, KaiaKind::SmartContractDeploy { to: None, human_readable: false, .. }));
    let mut bad = d.clone();
    bad["human_readable"] = json!(true);
    assert_eq!(
        err_of(bad),
        "field `human_readable`: must be false (Kaia does not support human-readable addresses)"
    );
    let mut bad = d.clone();
    bad["code_format"] = json!(1);
    assert_eq!(err_of(bad), "field `code_format`: must be 0 (EVM), got 1");
    let mut bad = d;
    bad["to"] = json!(TO);
    assert!(err_of(bad).starts_with("field `to`: must be null"));
}

/// Found by the `tx_decode` fuzz target: a length prefix claiming 2^64 - 1 bytes made the
/// item's total length wrap (an overflow panic in debug builds, a wrong cut in release).
#[test]
fn decode_refuses_a_length_prefix_that_would_wrap() {
    let mut raw = vec![0xc9, 0xbf];
    raw.extend_from_slice(&[0xff; 8]);
    assert!(Transaction::decode_raw(&raw).is_err());
    let crash = include_bytes!("../../fuzz/corpus/tx_decode/crash-rlp-length-overflow");
    assert!(Transaction::decode_raw(crash).is_err());
}

/// Found by the `signed_tx_record` fuzz target: an account key given in SEC1's compact form
/// (tag `05`) was read as a point and re-encoded as `02…`, so the transaction's hash was not
/// keccak of the bytes the relay sends. Refused now, as Kaia's node refuses it.
#[test]
fn decode_refuses_a_public_key_in_compact_form() {
    let record: Value =
        serde_json::from_str(include_str!("../../fuzz/corpus/signed_tx_record/finding-compact-pubkey.json"))
            .unwrap();
    let raw = hex::decode(record["raw"].as_str().unwrap().trim_start_matches("0x")).unwrap();
    let err = Transaction::decode_raw(&raw).unwrap_err().to_string();
    assert!(err.contains("is not a valid secp256k1 point"), "{err}");
    // The same key with its proper tag decodes and re-encodes to the very same bytes.
    let mut proper = raw.clone();
    let at = proper.windows(3).position(|w| w == [0x02, 0xa1, 0x05]).unwrap() + 2;
    proper[at] = 0x02;
    let tx = Transaction::decode_raw(&proper).unwrap();
    assert_eq!(tx.raw().unwrap(), proper);
}
