//! The fuzz targets' corpora replayed on stable: every file of `fuzz/corpus/<target>/` goes
//! through the same body libFuzzer runs on nightly (`fuzz/src/lib.rs`), so a crash the fuzzer
//! once found, once its input is in the corpus, fails the normal `cargo test`.
//!
//! The seeds come from the tests' own vectors; `cargo test --test fuzz_corpus -- --ignored
//! write_seeds` writes them again (the fuzzer adds its finds next to them).

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod targets;

use std::fs;
use std::path::{Path, PathBuf};

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target)
}

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = fs::read_dir(corpus_dir(target))
        .unwrap_or_else(|e| panic!("fuzz/corpus/{target}: {e}"))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            let bytes = fs::read(&path).expect("a corpus file reads");
            (path, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_target_replays_its_corpus_without_a_failure() {
    for (name, body) in targets::TARGETS {
        let files = corpus(name);
        assert!(files.len() >= 3, "fuzz/corpus/{name} has {} seeds, want at least 3", files.len());
        for (path, bytes) in files {
            if let Err(panic) = std::panic::catch_unwind(|| body(&bytes)) {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panic!("{name}: {} fails: {what}", path.display());
            }
        }
    }
}

#[test]
fn every_fuzz_binary_is_a_listed_target_with_a_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut binaries: Vec<String> = fs::read_dir(root.join("fuzz_targets"))
        .expect("fuzz/fuzz_targets")
        .map(|e| e.expect("entry").path().file_stem().expect("a name").to_string_lossy().into_owned())
        .collect();
    binaries.sort();
    let mut listed: Vec<String> = targets::TARGETS.iter().map(|(name, _)| name.to_string()).collect();
    listed.sort();
    assert_eq!(binaries, listed, "fuzz/fuzz_targets and TARGETS disagree");
    let manifest = fs::read_to_string(root.join("Cargo.toml")).expect("fuzz/Cargo.toml");
    for name in &listed {
        assert!(manifest.contains(&format!("name = \"{name}\"")), "fuzz/Cargo.toml lacks the bin {name}");
        assert!(corpus_dir(name).is_dir(), "fuzz/corpus/{name} is missing");
    }
}

/// The round-trip checks can fail: a transaction whose re-encoding differs is caught.
#[test]
fn the_tx_round_trip_check_catches_a_wrong_decoding() {
    let files = corpus("tx_decode");
    let (_, raw) = files.iter().find(|(_, raw)| raw.first() == Some(&0x08)).expect("a value-transfer seed");
    let tx = evlock::kaia::Transaction::decode_raw(raw).expect("the seed decodes");
    // One byte of the signature changed: still a transaction, but another signer.
    let mut other = raw.clone();
    let last = other.len() - 1;
    other[last] ^= 1;
    let changed = evlock::kaia::Transaction::decode_raw(&other).expect("still decodes");
    assert_ne!(changed, tx);
    assert_ne!(changed.recover_sender().ok(), tx.recover_sender().ok());
    targets::tx_decode(&other);
}

/// The receipt seeds reach both sides of the verification: one verifies (so the round trip
/// and the tamper check run), the forged one is refused as another signer.
#[test]
fn the_receipt_seeds_verify_and_the_forged_one_is_refused() {
    use evlock::market::v2::{ReceiptError, SignedReceipt};
    let read = |name: &str| -> evlock::wire::DeliveryReceiptRecord {
        let bytes = fs::read(corpus_dir("delivery_receipt").join(format!("seed-{name}"))).expect("a seed");
        serde_json::from_slice(&bytes).expect("a record")
    };
    let (_, signed) = SignedReceipt::from_record(&read("signed")).expect("the signed seed verifies");
    assert_eq!(signed.cumulative_wh, alloy_primitives::U256::from(275));
    assert!(matches!(SignedReceipt::from_record(&read("forged")), Err(ReceiptError::WrongSigner { .. })));
    assert!(matches!(SignedReceipt::from_record(&read("unsigned")), Err(ReceiptError::Unsigned)));
    // And the link seeds hold every frame type.
    let session = fs::read(corpus_dir("link_frame").join("seed-session")).expect("a seed");
    let text = String::from_utf8_lossy(&session[1..]).into_owned();
    let frames: Vec<_> =
        text.lines().map(|l| evlock::link::frame::Frame::parse(l).expect("parses")).collect();
    assert_eq!(frames.len(), 8, "{text}");
}

/// Writes the seed corpora from the tests' vectors (run by hand; the files are committed).
#[test]
#[ignore = "writes fuzz/corpus: run by hand when the vectors change"]
fn write_seeds() {
    use serde_json::json;
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = corpus_dir(target);
        fs::create_dir_all(&dir).expect("corpus dir");
        fs::write(dir.join(format!("seed-{name}")), bytes).expect("writes a seed");
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));

    // Transactions: every complete raw hex string in the Kaia documentation vectors.
    let vectors = fs::read_to_string(root.join("tests/kaia_doc_vectors.rs")).expect("vectors");
    let mut raws = Vec::new();
    for piece in vectors.split('"') {
        let Some(hex) = piece.strip_prefix("0x") else { continue };
        let Ok(bytes) = hex::decode(hex) else { continue };
        if bytes.len() > 40 && evlock::kaia::Transaction::decode_raw(&bytes).is_ok() && !raws.contains(&bytes)
        {
            raws.push(bytes);
        }
    }
    assert!(raws.len() >= 8, "found {} raw vectors", raws.len());
    for (i, raw) in raws.iter().enumerate() {
        let tx = evlock::kaia::Transaction::decode_raw(raw).expect("decodes");
        let name = format!("{i:02}-{:02x}", raw[0]);
        write("tx_decode", &name, raw);
        write("tx_record", &name, tx.to_json_value().to_string().as_bytes());
        let record = json!({"kind": "signed_tx", "v": 1, "raw": format!("0x{}", hex::encode(raw))});
        write("signed_tx_record", &name, record.to_string().as_bytes());
        write(
            "signed_tx_record",
            &format!("{name}-bare"),
            json!(format!("0x{}", hex::encode(raw))).to_string().as_bytes(),
        );
    }

    // Keystores: the interop vectors, and a cheap one the target also decrypts.
    for entry in fs::read_dir(root.join("tests/data/keystores")).expect("keystores") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_stem().expect("stem").to_string_lossy().into_owned();
            write("keystore", &name, &fs::read(&path).expect("reads"));
        }
    }
    let key = evlock::keys::SecretKey::from_bytes(&[0x22; 32]).expect("a key");
    let light = evlock::keys::keystore::encrypt_v3(&key, b"fuzz", evlock::keys::keystore::Kdf::Light)
        .expect("encrypts");
    let mut cheap: serde_json::Value = serde_json::from_str(&light).expect("json");
    cheap["crypto"]["kdfparams"]["n"] = json!(1024);
    write("keystore", "cheap-scrypt", cheap.to_string().as_bytes());

    // Readings, as evlock-sense writes them.
    let readings = [
        json!({"kind": "reading", "v": 1, "device": "sim:a", "seq": 0, "time": "2026-11-24T10:00:00Z", "volts": 12.0, "amps": 2.0, "watts": 24.0, "energy_wh": 5, "energy_mwh": 5000}),
        json!({"kind": "reading", "v": 1, "device": "modbus:/dev/ttyUSB0?profile=pzem004t", "seq": 7, "time": "2026-11-24T10:00:07.250Z", "volts": 229.8, "amps": 4.35, "watts": 999.6, "energy_wh": 1234, "energy_mwh": 1234567, "frequency_hz": 50.0, "power_factor": 0.98, "counters": {"reads": 8, "retries": 1}, "health": {"alarms": ["overvoltage"]}}),
        json!({"device": "ina226:/dev/i2c-1@0x40", "seq": 18446744073709551615u64, "time": "2026-11-24T10:00:00+01:00", "volts": -0.0, "amps": 1e-9, "watts": 0, "energy_wh": 0, "energy_mwh": 0, "switch": "on", "state": "on", "meta": {"trade": 3}}),
    ];
    for (i, reading) in readings.iter().enumerate() {
        write("reading_record", &i.to_string(), reading.to_string().as_bytes());
    }

    // Modbus RTU: a 6-byte request choice (function%5, start, count/value, slave) and a reply.
    use evlock::meter::modbus::rtu::append_crc;
    let framed = |mut body: Vec<u8>| {
        append_crc(&mut body);
        body
    };
    let modbus = [
        (
            "read-holding",
            vec![0, 0x00, 0x00, 0x00, 0x02, 1],
            framed(vec![1, 0x03, 4, 0x12, 0x34, 0x56, 0x78]),
        ),
        (
            "read-input",
            vec![1, 0x00, 0x00, 0x00, 0x0a, 1],
            framed([vec![1, 0x04, 20], vec![0x11; 20]].concat()),
        ),
        ("exception", vec![1, 0x00, 0x00, 0x00, 0x01, 1], framed(vec![1, 0x84, 0x02])),
        ("write-single", vec![2, 0x00, 0x01, 0x00, 0x10, 1], framed(vec![1, 0x06, 0x00, 0x01, 0x00, 0x10])),
        ("write-multiple", vec![3, 0x00, 0x01, 0x00, 0x02, 1], framed(vec![1, 0x10, 0x00, 0x01, 0x00, 0x02])),
        ("command-reset", vec![4, 0x00, 0x00, 0x42, 0x00, 1], framed(vec![1, 0x42])),
        ("bad-crc", vec![0, 0x00, 0x00, 0x00, 0x01, 1], vec![1, 0x03, 2, 0, 1, 0, 0]),
    ];
    for (name, head, reply) in modbus {
        write("modbus_rtu", name, &[head, reply].concat());
    }

    // JSON-RPC bodies for the devnet.
    let raw0 = format!("0x{}", hex::encode(&raws[0]));
    let rpc = [
        ("chain-id", json!({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})),
        (
            "balance",
            json!({"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": ["0x7b65b75d204abed71587c9e519a89277766ee1d0", "latest"]}),
        ),
        (
            "send-raw",
            json!({"jsonrpc": "2.0", "id": 1, "method": "kaia_sendRawTransaction", "params": [raw0]}),
        ),
        (
            "call",
            json!({"jsonrpc": "2.0", "id": 2, "method": "eth_call", "params": [{"to": "0x7b65b75d204abed71587c9e519a89277766ee1d0", "data": "0x70a08231"}, "latest"]}),
        ),
        (
            "batch",
            json!([{"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"}, {"jsonrpc": "2.0", "id": 2, "method": "eth_getBlockByNumber", "params": ["0x0", true]}, {"jsonrpc": "2.0", "id": 3, "method": "eth_estimateGas", "params": [{"to": "0x7b65b75d204abed71587c9e519a89277766ee1d0", "value": "0x1"}]}]),
        ),
        (
            "receipt",
            json!({"jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionReceipt", "params": ["0x0000000000000000000000000000000000000000000000000000000000000000"]}),
        ),
    ];
    for (name, body) in rpc {
        write("devnet_rpc", name, body.to_string().as_bytes());
    }

    // The link's frames, as the session and shared mode write them (the first byte picks
    // the line limit: 8 + 64 × byte).
    use evlock::link::frame::Frame;
    let reading = json!({"kind": "reading", "v": 1, "device": "sim:a", "seq": 0, "energy_wh": 5});
    let frames = [
        Frame::Hello { v: 1, stream: "b2c4".into() },
        Frame::Data { seq: 1, record: reading.clone() },
        Frame::Ack { stream: "b2c4".into(), seq: 1 },
        Frame::Acks { stream: "b2c4".into(), seqs: vec![3, 5, 4] },
        Frame::Refused { seq: 2, code: "peer_mismatch".into(), message: "meta.to names another".into() },
        Frame::Ping,
        Frame::Pong,
        Frame::Bye { code: "idle_timeout".into(), message: "quiet for 60s".into() },
    ];
    let session: String = frames.iter().map(|f| f.to_line() + "\n").collect();
    let shared = Frame::shared_data_line("b2c4", 4, 7, &reading.to_string()) + "\n";
    let link = [
        ("session", [&[255u8][..], session.as_bytes()].concat()),
        ("shared", [&[8u8][..], shared.as_bytes()].concat()),
        ("crlf", [&[4u8][..], b"{\"link\":\"ping\"}\r\n{\"link\":\"pong\"}\r\n"].concat()),
        ("too-long", [&[0u8][..], &[b'x'; 100][..], b"\n"].concat()),
        ("not-utf8", [&[4u8][..], b"{\"link\":\"ping\"}\n\xff\xfe\n"].concat()),
        ("cut-off", [&[4u8][..], b"{\"link\":\"data\",\"seq\":1,\"rec"].concat()),
        (
            "bad-frames",
            [&[16u8][..], b"{}\n[1]\n{\"link\":\"nope\"}\n{\"link\":\"data\",\"seq\":-1,\"record\":{}}\n"]
                .concat(),
        ),
    ];
    for (name, bytes) in link {
        write("link_frame", name, &bytes);
    }

    // Delivery receipts, as tests/market_v2.rs asks evlock-sign for them and a meter signs.
    use evlock::market::v2::ReceiptRequest;
    let market = "0x7b65b75d204abed71587c9e519a89277766ee1d0";
    let unsigned = json!({"kind": "delivery_receipt", "v": 1, "chain_id": "31337", "market": market,
        "trade_id": "1", "meter": "0x1111111111111111111111111111111111111111", "cumulative_wh": "275",
        "meta": {"seq": 9}});
    let record: evlock::wire::DeliveryReceiptRecord =
        serde_json::from_value(unsigned.clone()).expect("record");
    let request = ReceiptRequest::from_record(&record).expect("a request");
    let key = k256::ecdsa::SigningKey::from_slice(&[0x22; 32]).expect("a key");
    let signature = evlock::kaia::RecoverableSig::sign_prehash(&key, &request.digest()).expect("signs");
    let signer = evlock::kaia::address_of(key.verifying_key());
    let signed = request.signed_record(&signature, signer, Some(json!({"seq": 9})));
    let mut signed = serde_json::to_value(&signed).expect("json");
    signed["kind"] = json!("delivery_receipt");
    signed["v"] = json!(1);
    let mut anonymous = signed.clone();
    anonymous.as_object_mut().expect("object").remove("signer");
    let mut forged = signed.clone();
    forged["cumulative_wh"] = json!("276");
    let mut hex_numbers = unsigned.clone();
    hex_numbers["trade_id"] = json!("0x10");
    hex_numbers["cumulative_wh"] =
        json!("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    let mut bad_parity = signed.clone();
    bad_parity["y_parity"] = json!(2);
    let receipts = [
        ("unsigned", unsigned),
        ("signed", signed),
        ("no-signer", anonymous),
        ("forged", forged),
        ("hex-numbers", hex_numbers),
        ("bad-parity", bad_parity),
    ];
    for (name, record) in receipts {
        write("delivery_receipt", name, record.to_string().as_bytes());
    }

    // Signing policies, as the policy tests and examples/policies write them.
    for entry in fs::read_dir(root.join("examples/policies")).expect("examples/policies") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        write("policy", &name, &fs::read(&path).expect("reads"));
    }
    let texts = [
        ("empty", String::new()),
        (
            "every-rule",
            format!(
                "chain_ids = [31337]\ntx_types = [\"smart_contract_execution\"]\nmax_value = \"1 KAIA\"\nmax_gas = 200000\nmax_gas_price = \"30 ston\"\nallow_deploy = false\n[window]\nseconds = 3600\nmax_value = \"5 KAIA\"\n[[allow]]\nto = \"{market}\"\nselectors = [\"0x1a2b3c4d\"]\n"
            ),
        ),
        ("peb-numbers", "max_value = \"1000000000000000000\"\nmax_gas_price = 25000000000\n".to_string()),
    ];
    for (name, text) in texts {
        write("policy", &format!("{name}.toml"), text.as_bytes());
    }
}
