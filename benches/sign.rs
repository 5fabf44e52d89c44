//! Signing throughput: `evlock-sign`'s streaming path beside a bare k256 sign-with-recovery
//! loop, in the same run, so the ratio holds on any machine.
//!
//!     cargo bench --bench sign
//!
//! - `bare_k256_sign_recoverable`: one RFC 6979 signature with recovery id over a digest.
//! - `session_stream`: the library path of `evlock-sign` per record: parse the NDJSON line,
//!   build the transaction, sign, encode raw and hashes, write the `signed_tx` line.
//! - `binary_stream`: the real `evlock-sign` binary reading 5,000 records from a pipe.

use std::io::Write;
use std::process::{Command, Stdio};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use evlock::keys::SecretKey;
use evlock::signer::KeystoreSigner;
use evlock::signer::session::{Role, Session};
use evlock::wire::{OnError, Output, RecordStream};
use k256::ecdsa::SigningKey;
use serde_json::Value;

#[path = "../tests/common/mod.rs"]
mod common;

use common::rpc::SENDER_KEY as KEY;

fn records(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"kind\":\"tx\",\"v\":1,\"type\":\"fee_delegated_smart_contract_execution\",\"chain_id\":\"31337\",\
                 \"nonce\":\"{i}\",\"gas\":\"90000\",\"gas_price\":\"25000000000\",\
                 \"to\":\"0x5FbDB2315678afecb367f032d93F642f64180aa3\",\"value\":\"0\",\
                 \"input\":\"0x9b0a1e0b000000000000000000000000000000000000000000000000000000000000000700000000000000000000000000000000000000000000000000000000000001f4\",\
                 \"fee_payer\":\"0x7b65B75d204aBed71587c9E519a89277766EE1d0\",\"meta\":{{\"seq\":{i}}}}}\n"
            )
        })
        .collect()
}

fn signing(c: &mut Criterion) {
    let key = SigningKey::from_slice(&hex::decode(KEY).unwrap()).unwrap();
    let mut group = c.benchmark_group("signing");
    group.throughput(Throughput::Elements(1));
    let mut counter = 0u64;
    group.bench_function("bare_k256_sign_recoverable", |b| {
        b.iter(|| {
            counter += 1;
            let digest = alloy_primitives::keccak256(counter.to_be_bytes());
            key.sign_prehash_recoverable(digest.as_slice())
        })
    });

    let batch = 1000;
    let input = records(batch);
    group.throughput(Throughput::Elements(batch as u64));
    group.bench_function("session_stream", |b| {
        b.iter(|| {
            let signer = KeystoreSigner::from_key(SecretKey::from_hex(KEY).unwrap());
            let signer: Box<dyn evlock::signer::Signer + Send> = Box::new(signer);
            let mut session = Session::new(signer, Role::Sender, Some(31337), None, None);
            let mut out = Output::to_writer(Vec::with_capacity(batch * 700), false);
            let outcome = RecordStream::new(input.as_bytes(), OnError::Stop)
                .run(&mut out, |record: Value, line, out| {
                    let signed = session.sign_record(record, line)?;
                    out.emit(&signed).map_err(Into::into)
                })
                .unwrap();
            assert_eq!(outcome.processed, batch as u64);
            out.into_inner()
        })
    });
    group.finish();
}

fn binary(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (keystore, _) = common::import_key(dir.path(), KEY, "keys");
    let keystore = dir.path().join(keystore);
    let n = 5000;
    let input = records(n);
    let mut group = c.benchmark_group("signing");
    group.sample_size(10).throughput(Throughput::Elements(n as u64));
    group.bench_function("binary_stream", |b| {
        b.iter(|| {
            let mut child = Command::new(common::bin("evlock-sign"))
                .current_dir(dir.path())
                .args(["--key", keystore.to_str().unwrap(), "--password-file", "pw"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            let feed = input.clone();
            let writer = std::thread::spawn(move || stdin.write_all(feed.as_bytes()));
            let output = child.wait_with_output().unwrap();
            writer.join().unwrap().unwrap();
            assert!(output.status.success());
            assert_eq!(output.stdout.iter().filter(|b| **b == b'\n').count(), n);
        })
    });
    group.finish();
}

criterion_group!(benches, signing, binary);
criterion_main!(benches);
