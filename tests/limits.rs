//! Unbounded work from small inputs, bounded: each limit case runs the real binary in a
//! memory-capped process (`setrlimit(RLIMIT_AS)`, what `prlimit --as` does) and must end with
//! its documented exit code and a message naming the limit — never an abort, never minutes.
//!
//! The cases: a keystore with a huge scrypt `p`, a KIP-3 keyring of 3,000 keys, a 100 MB input
//! line, an endless file as `--audit-log` or `--journal`, `evlock-devnet --accounts
//! 100000000` and `--block-time 0s`, and a devnet flooded with idle connections.

mod common;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::devnet::{Devnet, dev_keys, market_with_a_trade, seller_delivery};
use common::faults::{limit_memory, raise_open_files};
use common::{import_key, lines, run};
use serde_json::{Value, json};

/// The address-space cap of every limit case: far below what the unbounded paths took
/// (100 GB for the scrypt buffer, ~300 MB for a 100 MB line, 1 GB/s for an endless log).
const MEMORY_CAP: u64 = 512 << 20;
/// No limit case may take longer than this; they all take well under a second.
const BOUND: Duration = Duration::from_secs(60);

const KEY: &str = "45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8";

/// Runs a binary memory-capped, with `input` on stdin, killed (failing the test) past BOUND.
fn capped(bin: &str, dir: &Path, args: &[&str], input: Vec<u8>) -> Output {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin(bin));
    command.env_clear().current_dir(dir).args(args);
    limit_memory(&mut command, MEMORY_CAP);
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let pid = child.id() as i32;
    let (done, waited) = std::sync::mpsc::channel();
    let watchdog = std::thread::spawn(move || {
        if waited.recv_timeout(BOUND).is_err() {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    let output = child.wait_with_output().unwrap();
    let _ = done.send(());
    watchdog.join().unwrap();
    writer.join().unwrap();
    output
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Ended by itself with `code`, not by a signal (an abort is SIGABRT, the watchdog SIGKILL).
fn assert_exit(output: &Output, code: i32, what: &str) {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(code), "{what}: {:?}: {text}", output.status);
    assert!(!text.contains("memory allocation"), "{what}: {text}");
}

fn scrypt_keystore(n: u64, r: u64, p: u64) -> String {
    json!({"version": 3, "address": "008aeeda4d805471df9b2a5b0f38a0c3bcba786b", "crypto": {
        "cipher": "aes-128-ctr", "ciphertext": "00".repeat(32), "cipherparams": {"iv": "00".repeat(16)},
        "kdf": "scrypt", "kdfparams": {"dklen": 32, "n": n, "r": r, "p": p, "salt": "00".repeat(32)},
        "mac": "00".repeat(32)}})
    .to_string()
}

// Before: "memory allocation of 102400000000 bytes failed", exit 134; p = 20000 ran minutes.
#[test]
fn keystores_beyond_the_kdf_limits_are_refused_by_every_tool() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), "pw\n").unwrap();
    std::fs::write(dir.path().join("huge-p.json"), scrypt_keystore(16384, 8, 800_000_000)).unwrap();
    std::fs::write(dir.path().join("slow-p.json"), scrypt_keystore(16384, 8, 20_000)).unwrap();
    for file in ["huge-p.json", "slow-p.json"] {
        let out = capped("evlock-sign", dir.path(), &["--key", file, "--password-file", "pw"], Vec::new());
        assert_exit(&out, 5, file);
        assert!(stderr(&out).contains("above the limit of 2.0 GiB per key"), "{}", stderr(&out));
        let args = ["inspect", "--verify", "--password-file", "pw", file];
        let out = capped("evlock-keygen", dir.path(), &args, Vec::new());
        assert_exit(&out, 5, file);
        let args = ["import", "--keystore", file, "--source-password-file", "pw", "--password-file", "pw"];
        assert_exit(&capped("evlock-keygen", dir.path(), &args, Vec::new()), 5, file);
    }
}

// Before: every one of 3,000 keys was decrypted, for minutes.
#[test]
fn a_keyring_of_3000_keys_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), "pw\n").unwrap();
    // Small entries: 3,000 of them stay under the 1 MiB a keystore file may have.
    let entry = json!({"cipher": "aes-128-ctr", "ciphertext": "00", "cipherparams": {"iv": "00".repeat(16)},
        "kdf": "scrypt", "kdfparams": {"dklen": 32, "n": 4096, "r": 8, "p": 1, "salt": "00"},
        "mac": "00".repeat(32)});
    let keystore = json!({"version": 4, "address": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "keyring": vec![entry; 3000]});
    std::fs::write(dir.path().join("kip3.json"), keystore.to_string()).unwrap();
    assert!(std::fs::metadata(dir.path().join("kip3.json")).unwrap().len() < 1 << 20);
    let out = capped(
        "evlock-keygen",
        dir.path(),
        &["inspect", "--verify", "--password-file", "pw", "kip3.json"],
        Vec::new(),
    );
    assert_exit(&out, 5, "inspect");
    assert!(stderr(&out).contains("3000 keys, above the limit of 10"), "{}", stderr(&out));
    let out = capped("evlock-sign", dir.path(), &["--key", "kip3.json", "--password-file", "pw"], Vec::new());
    assert_exit(&out, 5, "sign");
}

fn transfer(nonce: u64) -> String {
    format!(
        "{}\n",
        json!({"kind": "tx", "type": "value_transfer", "chain_id": "31337", "nonce": nonce.to_string(),
               "gas": "21000", "gas_price": "25000000000", "to": "0x7b65B75d204aBed71587c9E519a89277766EE1d0", "value": "1"})
    )
}

// The line cap, under the memory cap: a 100 MB line is an error record and is skipped
// without being held, the records around it are signed.
#[test]
fn a_100_mb_line_is_skipped_without_being_held() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = import_key(dir.path(), KEY, "k");
    let mut input = transfer(0).into_bytes();
    input.extend(std::iter::repeat_n(b'x', 100 << 20));
    input.push(b'\n');
    input.extend(transfer(1).into_bytes());
    let args = ["--key", &key, "--password-file", "pw", "--on-error", "skip"];
    let out = capped("evlock-sign", dir.path(), &args, input);
    assert_exit(&out, 2, "100 MB line");
    assert_eq!(lines(&out.stdout).len(), 2, "both transfers signed");
    let error = &lines(&out.stderr)[0];
    assert_eq!((error["code"].as_str(), error["line"].as_u64()), (Some("line_too_long"), Some(2)));
}

// Before: reading an endless --audit-log or --journal grew about 1 GB/s.
#[test]
fn an_endless_file_as_a_log_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = import_key(dir.path(), KEY, "k");
    // A regular file of one 100 MB line with no end: not a log of ours.
    std::fs::write(dir.path().join("endless.ndjson"), vec![b'{'; 100 << 20]).unwrap();
    for log in ["/dev/zero", "/dev/urandom", "endless.ndjson"] {
        let args = ["--key", &key, "--password-file", "pw", "--audit-log", log];
        let out = capped("evlock-sign", dir.path(), &args, transfer(0).into_bytes());
        assert_exit(&out, 1, log);
        assert!(
            stderr(&out).contains("the audit log cannot be read, so nothing is signed"),
            "{}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty(), "{log}: nothing signed");
    }

    let devnet = Devnet::start(dir.path(), &[]);
    let keys = dev_keys(dir.path(), 5);
    let market = market_with_a_trade(dir.path(), &devnet, &keys, "10Wh");
    for journal in ["/dev/zero", "endless.ndjson"] {
        let args =
            seller_delivery(&devnet.url, &market, &keys[3].0, "endless", journal, &["--clock", "virtual"]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = capped("evlock-trade", dir.path(), &args, Vec::new());
        assert_exit(&out, 2, journal);
        assert!(stderr(&out).contains("delivery journal"), "{}", stderr(&out));
        assert!(out.stdout.is_empty(), "{journal}: nothing reported");
    }
}

// Before: --accounts 100000000 never started; --block-time 0s mined empty blocks in a busy
// loop, growing memory about 120 MB/s.
#[test]
fn devnet_flags_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let out = capped("evlock-devnet", dir.path(), &["--port", "0", "--accounts", "100000000"], Vec::new());
    assert_exit(&out, 2, "--accounts");
    assert!(stderr(&out).contains("0..=1000"), "{}", stderr(&out));
    let out = capped("evlock-devnet", dir.path(), &["--port", "0", "--block-time", "100us"], Vec::new());
    assert_exit(&out, 2, "--block-time 100us");
    assert!(stderr(&out).contains("at least 1ms"), "{}", stderr(&out));

    // 0 is on demand: no block without a transaction, one block per transaction.
    let devnet = Devnet::start(dir.path(), &["--block-time", "0s"]);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(devnet.rpc(dir.path(), "eth_blockNumber", json!([])), "0x0", "no empty blocks");
    let keys = dev_keys(dir.path(), 1);
    let signed = common::devnet::sign(dir.path(), &keys[0].0, "sender", &transfer(0));
    let (code, receipts, stderr) = common::devnet::submit(dir.path(), &devnet.url, &signed);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(receipts[0]["block_number"], "1");
}

/// Opens idle connections to `addr` from `threads` threads; some only send half a request.
fn flood(addr: SocketAddr, count: usize, threads: usize) -> Vec<TcpStream> {
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::spawn(move || {
                let mut held = Vec::new();
                for i in (t..count).step_by(threads) {
                    if let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
                        if i % 3 == 0 {
                            // Half a request: headers that never end.
                            let _ = stream.write_all(
                                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n",
                            );
                        }
                        held.push(stream);
                    }
                }
                held
            })
        })
        .collect();
    workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
}

// Before: 1,100 idle connections took every slot (and the backlog): nobody was served until
// the 30 s header timeout.
#[test]
fn idle_connections_cannot_starve_a_real_request() {
    // More idle connections than the old server had slots (1024), if the open-file limit
    // lets this process and the devnet hold them.
    let count = 1100.min(raise_open_files().saturating_sub(200) as usize);
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    let addr: SocketAddr = devnet.url.trim_start_matches("http://").trim_end_matches('/').parse().unwrap();
    let held = flood(addr, count, 8);
    assert!(held.len() >= count / 2, "the flood connected {} times of {count}", held.len());
    for _ in 0..3 {
        let out = run(
            "evlock-relay",
            dir.path(),
            &["rpc", "--rpc", &devnet.url, "--request-timeout", "5s", "--retries", "0", "eth_chainId"],
            "",
        );
        assert!(out.status.success(), "a real request is answered: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(lines(&out.stdout)[0]["result"], "0x7a69");
    }
    drop(held);
    let _: Value = devnet.rpc(dir.path(), "eth_blockNumber", json!([]));
}
