//! The bodies of evlock's fuzz targets, one function per target.
//!
//! Each takes arbitrary bytes and feeds them to one parser the tools run on untrusted input.
//! It must never panic, hang or allocate without bound; where the parser has an inverse, the
//! body also checks the round trip (decode(encode(x)) == x, sign then decode recovers the
//! signer), so a target finds wrong answers, not only crashes. `fuzz_targets/*.rs` hand these
//! to libFuzzer on nightly; `tests/fuzz_corpus.rs` replays every file of `fuzz/corpus/<target>/`
//! through the same functions in the normal `cargo test` on stable.

use std::path::Path;
use std::time::{Duration, SystemTime};

use alloy_primitives::{Address, U256};
use evlock::kaia::{RecoverableSig, Transaction, address_of};
use evlock::meter::modbus::rtu::{self, Reply, Request};
use serde_json::Value;

/// A target's body: arbitrary bytes in, a panic for a finding.
pub type Body = fn(&[u8]);

/// Every target: its name (the file in `fuzz_targets/`, the folder in `fuzz/corpus/`) and body.
pub const TARGETS: &[(&str, Body)] = &[
    ("tx_decode", tx_decode),
    ("tx_record", tx_record),
    ("signed_tx_record", signed_tx_record),
    ("reading_record", reading_record),
    ("keystore", keystore),
    ("modbus_rtu", modbus_rtu),
    ("devnet_rpc", devnet_rpc),
    ("policy", policy),
    ("link_frame", link_frame),
    ("delivery_receipt", delivery_receipt),
];

/// The fixed key the round trips sign with (any valid scalar: the point is the recovery).
fn signing_key() -> k256::ecdsa::SigningKey {
    k256::ecdsa::SigningKey::from_slice(&[0x11; 32]).expect("a valid secp256k1 scalar")
}

/// Signs `tx` as its sender with [`signing_key`], then checks that its raw bytes decode to the
/// same transaction, encode again to the same bytes, and recover the signer.
fn sign_and_check_round_trip(mut tx: Transaction) {
    let key = signing_key();
    let signer = address_of(key.verifying_key());
    // Kaia native types append signatures (multisig); start from none so ours is the first.
    if let Transaction::Kaia(kaia) = &mut tx {
        kaia.signatures.clear();
    }
    if tx.sign_sender_with(|hash| RecoverableSig::sign_prehash(&key, hash)).is_err() {
        return; // a transaction the codec refuses to sign (e.g. a bad chain id for its V)
    }
    let Ok(raw) = tx.raw() else { return };
    let decoded = Transaction::decode_raw(&raw)
        .unwrap_or_else(|e| panic!("a signed transaction's own raw bytes do not decode: {e}"));
    assert_eq!(decoded, tx, "decode(encode(tx)) != tx");
    assert_eq!(decoded.raw().expect("re-encodes"), raw, "encode(decode(raw)) != raw");
    assert_eq!(decoded.recover_sender().expect("recovers"), signer, "sign then decode lost the signer");
}

/// `Transaction::decode_raw` on raw bytes (what `evlock-relay`, `evlock-sign --raw` and the
/// devnet decode). Whatever decodes re-encodes to the very same bytes (the decoder refuses
/// non-canonical forms, so encoding is its exact inverse), and re-signed, round-trips.
pub fn tx_decode(data: &[u8]) {
    let Ok(tx) = Transaction::decode_raw(data) else { return };
    if let Ok(raw) = tx.raw() {
        // Legacy and typed forms encode to what they decoded from; a Kaia fee-delegated
        // transaction's raw form may carry or drop fee-payer parts, so compare decodings.
        let again = Transaction::decode_raw(&raw).expect("a decoded transaction's raw bytes decode");
        assert_eq!(again, tx, "decode(encode(decode(raw))) != decode(raw)");
    }
    let _ = tx.tx_hash();
    let _ = tx.sender_tx_hash();
    let _ = tx.recover_sender();
    let _ = tx.recover_fee_payer();
    let _ = Transaction::to_json_value(&tx);
    sign_and_check_round_trip(tx);
}

/// A `tx` record (the JSON `evlock-trade` writes and `evlock-sign` reads), through
/// `Transaction::from_json_value`: what parses writes back to a record that parses to the same
/// transaction, and signs and decodes round.
pub fn tx_record(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(tx) = Transaction::from_json_str(text) else { return };
    let record = tx.to_json_value();
    let again = Transaction::from_json_value(&record)
        .unwrap_or_else(|e| panic!("the tx record written for a parsed tx does not parse: {e}\n{record}"));
    assert_eq!(again, tx, "parse(write(tx)) != tx");
    sign_and_check_round_trip(tx);
}

/// One line of `evlock-relay submit`'s input (a `signed_tx` record, a record with `raw`, or a
/// JSON string of hex) through `Submission::from_input`: an accepted submission's claims agree
/// with its bytes.
pub fn signed_tx_record(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<Value>(data) else { return };
    let Ok(submission) = evlock::relay::Submission::from_input(value) else { return };
    let decoded = Transaction::decode_raw(&submission.raw).expect("an accepted submission's raw decodes");
    assert_eq!(decoded, submission.tx, "the submission's tx is not its raw bytes");
    assert_eq!(alloy_primitives::keccak256(&submission.raw), submission.hash, "hash is not keccak(raw)");
}

/// A `reading` record (what `evlock-sense` writes and `evlock-trade report` reads): parses,
/// writes back to the same record, and feeds the report planner without panicking.
pub fn reading_record(data: &[u8]) {
    let Ok(reading) = serde_json::from_slice::<evlock::wire::ReadingRecord>(data) else { return };
    let text = serde_json::to_string(&reading).expect("a reading serializes");
    let again: evlock::wire::ReadingRecord = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("a written reading does not parse: {e}\n{text}"));
    // NaN cannot come out of JSON, so equality is well defined here.
    assert_eq!(again, reading, "parse(write(reading)) != reading");
    for reporting in
        [evlock::trade::Reporting::EveryWh(1), evlock::trade::Reporting::Every(Duration::from_secs(1))]
    {
        let mut planner = evlock::trade::ReportPlanner::new(1_000, reporting);
        let _ = planner.observe(&reading);
        let _ = planner.observe(&reading);
    }
}

/// The largest key-derivation parameters this target decrypts with (a few hundred KiB):
/// the parser's own limits are 2 GiB per key, too much for a fuzzer's iteration.
const FUZZ_SCRYPT_N: u64 = 1024;
const FUZZ_SCRYPT_R: u64 = 8;
const FUZZ_SCRYPT_P: u64 = 1;
const FUZZ_PBKDF2_C: u64 = 1024;

/// Whether every `kdfparams` object in the JSON is cheap enough to run in a fuzz iteration.
fn cheap_kdf(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().all(|(key, inner)| {
            if key.eq_ignore_ascii_case("kdfparams") {
                let Some(params) = inner.as_object() else { return true };
                let small = |name: &str, max: u64| {
                    params.get(name).is_none_or(|v| v.as_u64().is_some_and(|n| n <= max))
                };
                small("n", FUZZ_SCRYPT_N)
                    && small("r", FUZZ_SCRYPT_R)
                    && small("p", FUZZ_SCRYPT_P)
                    && small("c", FUZZ_PBKDF2_C)
            } else {
                cheap_kdf(inner)
            }
        }),
        Value::Array(items) => items.iter().all(cheap_kdf),
        _ => true,
    }
}

/// A keystore file (v3, v4/KIP-3) through `Keystore::parse`; one whose key derivation is
/// cheap is also decrypted with a wrong and with its seeds' password.
pub fn keystore(data: &[u8]) {
    let Ok(store) = evlock::keys::keystore::Keystore::parse(data, Path::new("fuzz.json")) else { return };
    assert!(store.key_count() >= 1, "a parsed keystore holds no key");
    let Ok(value) = serde_json::from_slice::<Value>(data) else { return };
    if cheap_kdf(&value) {
        let _ = store.decrypt(b"wrong password");
        if let Ok(keys) = store.decrypt(b"fuzz") {
            assert_eq!(keys.len(), store.key_count());
        }
    }
}

/// The Modbus RTU master's reply parsing: the first bytes choose a request (function, start,
/// count, slave address), the rest is the reply frame. `expect_reply` never asks for less than
/// it has seen, and an accepted read reply carries exactly the registers asked for. The echo
/// of a write is accepted as its reply.
pub fn modbus_rtu(data: &[u8]) {
    if data.len() < 6 {
        return;
    }
    let (head, frame) = data.split_at(6);
    let start = u16::from_be_bytes([head[1], head[2]]);
    let word = u16::from_be_bytes([head[3], head[4]]);
    let address = head[5];
    let request = match head[0] % 5 {
        0 => Request::Read { function: rtu::ReadFunction::Holding, start, count: word % 130 },
        1 => Request::Read { function: rtu::ReadFunction::Input, start, count: word % 130 },
        2 => Request::WriteSingle { register: start, value: word },
        3 => Request::WriteMultiple { start, values: vec![word; usize::from(head[4] % 125)] },
        _ => Request::Command { function: head[3] },
    };
    if request.problem().is_some() {
        return;
    }
    let sent = request.encode(address);
    assert!(rtu::check_crc(&sent).is_ok(), "an encoded request fails its own CRC");
    if let Request::WriteSingle { .. } = request {
        assert_eq!(rtu::parse_reply(&request, address, &sent), Ok(Reply::Done), "the echo of a write");
    }
    for cut in 0..=frame.len().min(260) {
        if let rtu::Expect::Bytes(n) = rtu::expect_reply(request.function(), &frame[..cut]) {
            assert!(n > 0 && n <= 260, "expect_reply asks for {n} bytes");
        }
    }
    if let Ok(Reply::Registers(words)) = rtu::parse_reply(&request, address, frame) {
        match request {
            Request::Read { count, .. } => assert_eq!(words.len(), usize::from(count)),
            _ => panic!("registers in the reply to a write"),
        }
    }
}

/// A JSON-RPC request body for `evlock-devnet`: each request object of it (or of its batch,
/// at most 16) goes to the devnet's method handler on a fresh chain, with auto-mining on.
pub fn devnet_rpc(data: &[u8]) {
    let Ok(body) = serde_json::from_slice::<Value>(data) else { return };
    let requests = match body {
        Value::Array(items) => items.into_iter().take(16).collect(),
        single => vec![single],
    };
    let mut chain = evlock::devnet::Chain::new(evlock::devnet::ChainConfig::default(), 1_700_000_000);
    let empty = Value::Array(Vec::new());
    for (i, request) in requests.iter().enumerate() {
        let Some(method) = request.get("method").and_then(Value::as_str) else { continue };
        let params = request.get("params").unwrap_or(&empty);
        let _ = evlock::devnet::rpc::handle(&mut chain, method, params, 1_700_000_000 + i as u64, true);
    }
}

/// A signing policy file (TOML) through `Policy::parse`, then checked against a request
/// derived from the same bytes: the check answers (allow or a reason) and never panics; its
/// sha256 is the file's.
pub fn policy(data: &[u8]) {
    let Ok(mut policy) = evlock::policy::Policy::parse(data, Path::new("fuzz.toml")) else { return };
    use sha2::Digest;
    let digest = hex::encode(sha2::Sha256::digest(data));
    assert_eq!(policy.sha256(), digest, "the policy's sha256 is not its file's");
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let request = evlock::policy::Request {
        chain_id: if byte(0) % 2 == 0 { 31337 } else { u64::from(byte(0)) },
        tx_type: ["value_transfer", "smart_contract_execution", "legacy", "eip1559"]
            [usize::from(byte(1) % 4)]
        .into(),
        to: (byte(2) % 4 != 0).then(|| Address::repeat_byte(byte(3))),
        value: U256::from(byte(4)) << (u32::from(byte(5)) % 256),
        input_selector: (byte(6) % 2 == 1).then(|| [byte(7), byte(8), byte(9), byte(10)]),
        input_empty: byte(6) % 2 == 0,
        gas: u64::from(byte(11)) << (u32::from(byte(12)) % 64),
        gas_price: U256::from(byte(13)) << (u32::from(byte(14)) % 128),
    };
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    if policy.check(&request, now).is_ok() {
        policy.remember_spent(now, request.value);
    }
    let _ = policy.check(&request, now + Duration::from_secs(1));
}

/// Runs a future that never waits (the link's reader over bytes in memory) to its end.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut context) {
            return value;
        }
    }
}

/// The link's framing, as a meter and an operator read it: the first byte picks a line limit,
/// the rest goes through the TLS transport's `LineReader` and each line through `Frame::parse`
/// and shared mode's `shared_data`. The reader gives exactly the input's lines (a `\r` before
/// the `\n` dropped) and stops at the first line over the limit, not UTF-8, or cut off by the
/// end; every frame that parses writes back to a line that parses to the same frame.
pub fn link_frame(data: &[u8]) {
    use evlock::link::tls::{LineReader, Side};
    use evlock::link::transport::{FrameReader, TransportError};
    let Some((&first, bytes)) = data.split_first() else { return };
    let max = 8 + usize::from(first) * 64;
    let mut reader = LineReader::new(std::io::Cursor::new(bytes.to_vec()), max, Side::Operator);
    let mut segments = bytes.split(|&b| b == b'\n').peekable();
    while let Some(segment) = segments.next() {
        let complete = segments.peek().is_some();
        let got = block_on(reader.read_frame());
        if segment.len() > max {
            assert!(matches!(got, Err(TransportError::TooLong { limit }) if limit == max), "{got:?}");
            return;
        }
        if !complete {
            match got {
                Ok(None) => assert!(segment.is_empty(), "a cut-off line read as the end"),
                Err(TransportError::Io(_)) => assert!(!segment.is_empty(), "the end read as a cut-off line"),
                other => panic!("the end of the input read as {other:?}"),
            }
            return;
        }
        let line = segment.strip_suffix(b"\r").unwrap_or(segment);
        match std::str::from_utf8(line) {
            Ok(text) => {
                assert_eq!(got.ok().flatten().as_deref(), Some(text), "the reader's line is not the input's");
                link_frame_text(text);
            }
            Err(_) => {
                assert!(matches!(got, Err(TransportError::NotUtf8)), "{got:?}");
                return;
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        link_frame_text(text);
    }
}

/// One frame's text: whatever parses round-trips, as a frame and as shared mode's data frame.
fn link_frame_text(text: &str) {
    use evlock::link::frame::Frame;
    use evlock::link::mqtt::{SharedData, shared_data};
    if let Ok(frame) = Frame::parse(text) {
        let line = frame.to_line();
        assert_eq!(Frame::parse(&line).as_ref(), Ok(&frame), "parse(to_line(frame)) != frame: {line}");
        if let Frame::Data { seq, record } = &frame {
            let compact = record.to_string();
            assert_eq!(Frame::parse(&Frame::data_line(*seq, &compact)).as_ref(), Ok(&frame), "data_line");
            let shared = Frame::shared_data_line("meter-1", 3, *seq, &compact);
            let expected =
                SharedData { stream: "meter-1".into(), floor: 3, seq: *seq, record: record.clone() };
            assert_eq!(shared_data(&shared), Ok(expected), "shared_data(shared_data_line(..))");
        }
    }
    if let Ok(data) = shared_data(text) {
        let line = Frame::shared_data_line(&data.stream, data.floor, data.seq, &data.record.to_string());
        assert_eq!(shared_data(&line).as_ref(), Ok(&data), "shared data does not round-trip: {line}");
        assert_eq!(
            Frame::parse(text),
            Ok(Frame::Data { seq: data.seq, record: data.record.clone() }),
            "a shared data frame is not a data frame"
        );
    }
}

/// A `delivery_receipt` record (what a meter's delivery session signs and `evlock-trade
/// receipts` and `evlock-sign` read) through the record check, `ReceiptRequest::from_record`
/// and the EIP-712 verification `SignedReceipt::from_record`. A receipt that verifies
/// recovers to its `signer`, writes back to a record that verifies the same, enters its own
/// market's receipt book once, and stops verifying as that signer when its figure changes;
/// any receipt request signed with a fixed key recovers that key's address.
pub fn delivery_receipt(data: &[u8]) {
    use evlock::market::v2::{ReceiptError, ReceiptRequest, SignedReceipt};
    use evlock::wire::DeliveryReceiptRecord;
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(data) else { return };
    if evlock::wire::check_record(&map, &["delivery_receipt"]).is_err() {
        return;
    }
    let Ok(record) = serde_json::from_value::<DeliveryReceiptRecord>(Value::Object(map)) else { return };
    if let Ok((request, signed)) = SignedReceipt::from_record(&record) {
        let recovered = signed.signature.recover_address(&request.digest()).expect("it verified");
        if let Some(signer) = &record.signer {
            assert_eq!(
                evlock::wire::parse_address(signer).ok(),
                Some(recovered),
                "verified as another signer"
            );
        }
        let again = request.signed_record(&signed.signature, recovered, record.meta.clone());
        let (request2, signed2) = SignedReceipt::from_record(&again)
            .unwrap_or_else(|e| panic!("the record written for a verified receipt does not verify: {e}"));
        assert_eq!((&request2, &signed2), (&request, &signed), "verify(write(receipt)) != receipt");
        let mut tampered = again.clone();
        tampered.cumulative_wh = (request.receipt.cumulativeWh ^ U256::from(1)).to_string();
        match SignedReceipt::from_record(&tampered) {
            Err(ReceiptError::WrongSigner { .. }) | Err(ReceiptError::Field { field: "s", .. }) => {}
            other => panic!("a receipt with another figure still verifies as its signer: {other:?}"),
        }
        let mut book = evlock::trade::receipts::ReceiptBook::new(request.market, request.chain_id);
        assert!(book.add(&record).expect("a verified receipt enters its market's book"), "not taken");
        assert!(!book.add(&record).expect("again"), "the same figure raised the book twice");
        assert_eq!(book.all().len(), 1);
    }
    let Ok(request) = ReceiptRequest::from_record(&record) else { return };
    let key = signing_key();
    let signature = RecoverableSig::sign_prehash(&key, &request.digest()).expect("signs");
    let signer = address_of(key.verifying_key());
    let signed = request.signed_record(&signature, signer, None);
    let (request2, receipt) = SignedReceipt::from_record(&signed)
        .unwrap_or_else(|e| panic!("a receipt signed here does not verify: {e}"));
    assert_eq!(request2, request, "sign then read changed the receipt");
    assert_eq!(receipt.signature.recover_address(&request.digest()).ok(), Some(signer), "lost the signer");
}
