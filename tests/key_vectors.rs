//! Keys against outside truth: the Trezor BIP-39 vectors, BIP-32 test vectors 1 and 2, the
//! Web3 Secret Storage v3 vectors and Kaia's KIP-3 v4 examples.

use std::path::{Path, PathBuf};

use bip32::Prefix;
use evlock::keys::KeyError;
use evlock::keys::hd::{derive_key, derive_xprv};
use evlock::keys::keystore::{Format, Keystore};
use evlock::keys::mnemonic::Phrase;
use serde_json::Value;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn json(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(data(name)).unwrap()).unwrap()
}

#[test]
fn bip39_trezor_english_vectors() {
    let vectors = json("bip39-trezor-english.json");
    let vectors = vectors["english"].as_array().unwrap();
    assert_eq!(vectors.len(), 24);
    for vector in vectors {
        let [entropy, words, seed, xprv] = [0, 1, 2, 3].map(|i| vector[i].as_str().unwrap());
        let phrase = Phrase::from_entropy(&hex::decode(entropy).unwrap()).unwrap();
        assert_eq!(phrase.words().as_str(), words, "entropy {entropy}");
        let parsed = Phrase::parse(words).unwrap();
        let derived_seed = parsed.to_seed("TREZOR");
        assert_eq!(hex::encode(*derived_seed), seed, "seed of {words}");
        let master = derive_xprv(&*derived_seed, "m").unwrap();
        assert_eq!(master.to_string(Prefix::XPRV).as_str(), xprv, "master key of {words}");
    }
}

#[test]
fn bip32_test_vectors_1_and_2() {
    let vectors = json("bip32-vectors.json");
    let mut checked = 0;
    for vector in vectors["vectors"].as_array().unwrap() {
        let seed = hex::decode(vector["seed"].as_str().unwrap()).unwrap();
        for chain in vector["chains"].as_array().unwrap() {
            let [path, xpub, xprv] = [0, 1, 2].map(|i| chain[i].as_str().unwrap());
            let derived = derive_xprv(&seed, path).unwrap();
            assert_eq!(derived.to_string(Prefix::XPRV).as_str(), xprv, "xprv at {path}");
            assert_eq!(derived.public_key().to_string(Prefix::XPUB), xpub, "xpub at {path}");
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
}

#[test]
fn kaia_default_path_account_zero_of_the_abandon_mnemonic() {
    // Cross-checked with ethers v6 in tests/interop.rs; here: the path shape and the
    // Ethereum path's well-known first address of "abandon … about".
    let phrase = Phrase::parse(
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
    )
    .unwrap();
    let seed = phrase.to_seed("");
    let eth = derive_key(&*seed, "m/44'/60'/0'/0/0").unwrap();
    assert_eq!(eth.address().to_checksum(None), "0x9858EfFD232B4033E47d90003D41EC34EcaEda94");
    let kaia = derive_key(&*seed, "m/44'/8217'/0'/0/0").unwrap();
    assert_ne!(kaia.address(), eth.address());
}

const WEB3_KEY_ADDRESS: &str = "0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b";

#[test]
fn web3_secret_storage_pbkdf2_vector() {
    let keystore = Keystore::load(&data("keystores/web3-v3-pbkdf2.json")).unwrap();
    assert_eq!(keystore.format(), Format::V3Pbkdf2);
    let key = keystore.decrypt_signing_key(b"testpassword").unwrap();
    assert_eq!(
        hex::encode(*key.to_bytes()),
        "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d"
    );
    assert_eq!(key.address().to_checksum(None), WEB3_KEY_ADDRESS);
    assert!(matches!(keystore.decrypt_signing_key(b"testpassworD"), Err(KeyError::WrongPassword { .. })));
}

#[test]
fn web3_secret_storage_scrypt_vector() {
    let keystore = Keystore::load(&data("keystores/web3-v3-scrypt.json")).unwrap();
    assert_eq!(keystore.format(), Format::V3Scrypt);
    let key = keystore.decrypt_signing_key(b"testpassword").unwrap();
    assert_eq!(
        hex::encode(*key.to_bytes()),
        "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d"
    );
    assert!(matches!(keystore.decrypt_signing_key(b"nope"), Err(KeyError::WrongPassword { .. })));
}

#[test]
fn kaia_v4_single_matches_the_v3_of_the_same_account() {
    let v4 = Keystore::load(&data("keystores/kaia-v4-single.json")).unwrap();
    let v3 = Keystore::load(&data("keystores/kaia-v3.json")).unwrap();
    assert_eq!(v4.format(), Format::Kip3V4);
    let account = "0xc02cec4d0346bf4124deeb55c5216a4138a40a8c";
    assert_eq!(v4.address().unwrap().to_string().to_lowercase(), account);
    let from_v4 = v4.decrypt_signing_key(b"password").unwrap();
    let from_v3 = v3.decrypt_signing_key(b"password").unwrap();
    assert_eq!(*from_v4.to_bytes(), *from_v3.to_bytes());
    assert_eq!(from_v4.address().to_string().to_lowercase(), account, "a plain (not decoupled) account");
    assert!(matches!(v4.decrypt(b"Password"), Err(KeyError::WrongPassword { .. })));
}

#[test]
fn kaia_v4_multiple_and_role_based() {
    let multiple = Keystore::load(&data("keystores/kaia-v4-multiple.json")).unwrap();
    let roles = Keystore::load(&data("keystores/kaia-v4-role-based.json")).unwrap();
    let multiple_keys = multiple.decrypt(b"password").unwrap();
    let role_keys = roles.decrypt(b"password").unwrap();
    assert_eq!(multiple_keys.len(), 2);
    assert_eq!(role_keys.len(), 5);
    let role_names: Vec<_> = role_keys.iter().map(|k| k.role.unwrap()).collect();
    assert_eq!(role_names, ["transaction", "transaction", "account_update", "fee_payer", "fee_payer"]);
    // The docs' role-based keyring reuses the multiple keyring's two keys as its transaction role.
    for (a, b) in multiple_keys.iter().zip(&role_keys[..2]) {
        assert_eq!(*a.key.to_bytes(), *b.key.to_bytes());
    }
    let distinct: std::collections::HashSet<_> = role_keys.iter().map(|k| k.key.address()).collect();
    assert_eq!(distinct.len(), 5, "five different keys");
    assert_eq!(
        roles.decrypt_signing_key(b"password").unwrap().address(),
        role_keys[0].key.address(),
        "the signing key is the first transaction key"
    );
}

#[test]
fn kip3_specification_examples_parse() {
    for (name, keys) in
        [("kip3-spec-single.json", 1), ("kip3-spec-multiple.json", 2), ("kip3-spec-role-based.json", 3)]
    {
        let keystore = Keystore::load(&data(&format!("keystores/{name}"))).unwrap();
        assert_eq!(keystore.format(), Format::Kip3V4, "{name}");
        assert_eq!(keystore.key_count(), keys, "{name}");
        assert_eq!(
            keystore.address().unwrap().to_string().to_lowercase(),
            "0xa8677855999712d23692a4cad77bb9396a1174cd"
        );
    }
}

#[test]
fn eip2335_bls_keystores_are_refused_by_name() {
    let error = Keystore::load(&data("keystores/eip2335-bls.json")).unwrap_err();
    assert!(matches!(error, KeyError::UnsupportedKeystore { .. }));
    assert!(error.to_string().contains("EIP-2335"), "{error}");
}
