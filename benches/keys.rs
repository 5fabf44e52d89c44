//! Key handling costs: keystore unlock at the standard and light scrypt settings, mnemonic →
//! seed, one HD derivation, and the start-up of `evlock-keygen --help`.
//!
//!     cargo bench --bench keys

use std::process::Command;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use evlock::keys::SecretKey;
use evlock::keys::hd::derive_key;
use evlock::keys::keystore::{Kdf, Keystore, encrypt_v3};
use evlock::keys::mnemonic::Phrase;

fn keystore_unlock(c: &mut Criterion) {
    let key =
        SecretKey::from_hex("7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d").unwrap();
    let mut group = c.benchmark_group("keystore_unlock");
    group.sample_size(10).measurement_time(Duration::from_secs(8));
    for (name, kdf) in [("standard_n262144", Kdf::Standard), ("light_n4096", Kdf::Light)] {
        let json = encrypt_v3(&key, b"password", kdf).unwrap();
        let keystore = Keystore::parse(json.as_bytes(), "bench.json".as_ref()).unwrap();
        group.bench_function(name, |b| b.iter(|| keystore.decrypt_signing_key(b"password").unwrap()));
    }
    group.finish();
}

fn mnemonic_and_derivation(c: &mut Criterion) {
    let phrase = Phrase::parse(
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
    )
    .unwrap();
    c.bench_function("mnemonic_to_seed", |b| b.iter(|| phrase.to_seed("")));
    let seed = phrase.to_seed("");
    c.bench_function("derive_m44_8217_0_0_0", |b| {
        b.iter(|| derive_key(&*seed, "m/44'/8217'/0'/0/0").unwrap())
    });
}

fn startup(c: &mut Criterion) {
    let exe = env!("CARGO_BIN_EXE_evlock-keygen");
    let mut group = c.benchmark_group("startup");
    group.sample_size(50);
    group.bench_function("evlock-keygen --help", |b| {
        b.iter(|| {
            let status = Command::new(exe).arg("--help").output().unwrap().status;
            assert!(status.success());
        })
    });
    group.bench_function("true (process spawn floor)", |b| b.iter(|| Command::new("true").status().unwrap()));
    group.finish();
}

criterion_group!(benches, keystore_unlock, mnemonic_and_derivation, startup);
criterion_main!(benches);
