//! The three durable logs under real faults: the signing audit log, the delivery journal and
//! the devnet's state file, each through a full disk, `kill -9` at random points and torn or
//! corrupt files, over several restarts. After every round:
//!
//! - no recorded operation is lost (the log's whole lines of before are still its first lines),
//! - none is applied twice,
//! - nothing that was not recorded took effect (every signature, report and served block has
//!   its line),
//! - the policy window never lets more through than its limit, a corrupted audit log refuses
//!   to sign, and the devnet never serves a block it could not persist.
//!
//! The full disk is a small tmpfs mounted by the test, or, where mounting is not allowed, the
//! file size limit (see `common::faults`). The random points come from a seeded generator:
//! the seed is printed, and `EVLOCK_FAULT_SEED=N` replays a run. Rounds are bounded so the
//! whole file takes seconds on two cores.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::devnet::{Devnet, dev_keys, market_with_a_trade, sign};
use common::faults::{SmallDisk, log_lines};
use common::{Rng, import_key, lines, run};
use serde_json::{Value, json};

const KEY: &str = "45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8";
const STRANGER: &str = "0x7b65B75d204aBed71587c9E519a89277766EE1d0";
/// Each transfer is worth this much; the policy window lets 1,500 peb through an hour.
const VALUE: u64 = 100;
const WINDOW_MAX: u64 = 1500;

fn rng() -> Rng {
    let seed = std::env::var("EVLOCK_FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    eprintln!("fault seed: {seed} (replay with EVLOCK_FAULT_SEED={seed})");
    Rng(seed)
}

fn bin(name: &str, dir: &Path) -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin(name));
    command.env_clear().current_dir(dir);
    command
}

fn transfer(nonce: u64) -> String {
    format!(
        "{}\n",
        json!({"kind": "tx", "type": "value_transfer", "chain_id": "31337", "nonce": nonce.to_string(),
               "gas": "21000", "gas_price": "25000000000", "to": STRANGER, "value": VALUE.to_string()})
    )
}

/// The text of a log up to its last newline: what the next open keeps.
fn whole_lines(path: &Path) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let end = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    String::from_utf8(text[..end].to_vec()).expect("the log is UTF-8")
}

/// Appends bytes without a newline: the tail a crash mid-write leaves.
fn tear(path: &Path, rng: &mut Rng) {
    let torn: String = "{\"time\":\"2026-01-01T00:00:00.000Z\",\"decision\":\"appr"
        .chars()
        .take(1 + rng.below(40) as usize)
        .collect();
    std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(torn.as_bytes()).unwrap();
}

/// Kills `child` with SIGKILL (a crash: no destructor, no flush).
fn kill_9(child: &mut Child) {
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
}

struct Signer {
    dir: tempfile::TempDir,
    key: String,
    disk: SmallDisk,
}

impl Signer {
    fn new() -> Signer {
        let dir = tempfile::tempdir().unwrap();
        let (key, _) = import_key(dir.path(), KEY, "k");
        std::fs::write(
            dir.path().join("policy.toml"),
            format!("chain_ids = [31337]\n[window]\nseconds = 3600\nmax_value = {WINDOW_MAX}\n"),
        )
        .unwrap();
        Signer { dir, key, disk: SmallDisk::new(256 << 10) }
    }

    fn audit(&self) -> std::path::PathBuf {
        self.disk.path().join("audit.ndjson")
    }

    fn command(&self) -> Command {
        let mut command = self.disk.command(assert_cmd::cargo::cargo_bin("evlock-sign"));
        command.env_clear().current_dir(self.dir.path());
        command.args([
            "--key",
            &self.key,
            "--password-file",
            "pw",
            "--policy",
            "policy.toml",
            "--on-error",
            "skip",
        ]);
        command.arg("--audit-log").arg(self.audit());
        command
    }

    /// Signs `input` to the end; returns the exit code and the signed records.
    fn sign_all(&self, input: &str) -> (Option<i32>, Vec<Value>, String) {
        let mut child = self
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_string();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(input.as_bytes());
        });
        let output = child.wait_with_output().unwrap();
        writer.join().unwrap();
        (output.status.code(), lines(&output.stdout), String::from_utf8_lossy(&output.stderr).into_owned())
    }

    /// Feeds `input` line by line and kills the signer after `after`; returns what it signed.
    fn sign_until_killed(&self, input: &str, after: Duration) -> Vec<Value> {
        let mut child = self
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input: Vec<String> = input.lines().map(|l| format!("{l}\n")).collect();
        let writer = std::thread::spawn(move || {
            for line in input {
                if stdin.write_all(line.as_bytes()).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            text
        });
        std::thread::sleep(after);
        kill_9(&mut child);
        child.wait().unwrap();
        writer.join().unwrap();
        // Only whole lines reached the reader as records; a record cut by the kill is not one.
        let text = reader.join().unwrap();
        text.lines().filter(|l| l.ends_with('}')).filter_map(|l| serde_json::from_str(l).ok()).collect()
    }
}

/// The approved entries of an audit log, by transaction hash.
fn approved(entries: &[Value]) -> BTreeMap<String, u64> {
    let mut found = BTreeMap::new();
    for entry in entries.iter().filter(|e| e["decision"] == "approved") {
        let hash = entry["tx_hash"].as_str().expect("an approved entry names its transaction").to_string();
        let value: u64 = entry["value"].as_str().unwrap().parse().unwrap();
        assert!(found.insert(hash.clone(), value).is_none(), "{hash} approved twice");
    }
    found
}

#[test]
fn the_audit_log_survives_a_full_disk_kill_9_and_torn_lines_and_the_window_holds() {
    let mut rng = rng();
    let mut signer = Signer::new();
    let audit = signer.audit();
    let mut delivered: BTreeSet<String> = BTreeSet::new();
    let mut nonce = 0u64;
    let mut kept = String::new();
    let mut full_disk_failures = 0;
    for round in 0..14 {
        // Fresh transactions each round: a nonce is signed at most once in this test.
        let what = match round % 3 {
            0 => "full disk",
            1 => "kill -9",
            _ => "torn line",
        };
        // A full-disk round has more lines than the room it is left (a page at most).
        let count = if what == "full disk" { 8 + rng.below(5) } else { 3 + rng.below(6) };
        let input: String = (nonce..nonce + count).map(transfer).collect();
        nonce += count;
        let signed = match what {
            "full disk" => {
                signer.disk.leave(rng.below(4000), &audit);
                let (code, signed, stderr) = signer.sign_all(&input);
                signer.disk.free();
                assert!(matches!(code, Some(0..=2)), "round {round}: {code:?} {stderr}");
                if code == Some(2) {
                    assert!(
                        stderr.contains("the audit log cannot be written, so nothing is signed"),
                        "{stderr}"
                    );
                    full_disk_failures += 1;
                }
                signed
            }
            "kill -9" => signer.sign_until_killed(&input, Duration::from_millis(30 + rng.below(150))),
            _ => {
                tear(&audit, &mut rng);
                signer.sign_all(&input).1
            }
        };
        for record in &signed {
            assert_eq!(record["kind"], "signed_tx");
            assert!(delivered.insert(record["hash"].as_str().unwrap().to_string()), "signed twice: {record}");
        }

        // Reopen (an empty run cuts a torn tail) and check the log.
        let (code, _, stderr) = signer.sign_all("");
        assert_eq!(code, Some(0), "round {round} ({what}): the log reopens: {stderr}");
        let text = std::fs::read_to_string(&audit).unwrap();
        assert!(text.starts_with(&kept), "round {round} ({what}): a recorded line was lost");
        kept = text;
        let entries = log_lines(&audit);
        let approved = approved(&entries);
        for hash in &delivered {
            assert!(
                approved.contains_key(hash),
                "round {round} ({what}): {hash} was signed but not recorded"
            );
        }
        let total: u64 = approved.values().sum();
        assert!(total <= WINDOW_MAX, "round {round}: the window let {total} peb through, over {WINDOW_MAX}");
    }
    assert!(delivered.len() as u64 * VALUE <= WINDOW_MAX);
    assert!(!delivered.is_empty(), "something was signed");
    assert!(full_disk_failures > 0, "the disk never filled up");
    eprintln!(
        "audit: {} signed over 14 rounds, {full_disk_failures} runs stopped by the full disk",
        delivered.len()
    );
    // The window is full by now: one more request is denied, and recorded as such.
    let (code, signed, _) = signer.sign_all(&(nonce..nonce + 20).map(transfer).collect::<String>());
    let total: u64 = approved(&log_lines(&audit)).values().sum();
    assert!(total <= WINDOW_MAX, "{total}");
    assert!(code == Some(1) || total + signed.len() as u64 * VALUE <= WINDOW_MAX, "{code:?}");
    assert_eq!(total, WINDOW_MAX, "20 more requests filled the window exactly");
}

#[test]
fn a_corrupted_audit_log_refuses_to_sign() {
    let signer = Signer::new();
    let audit = signer.audit();
    let (code, signed, stderr) = signer.sign_all(&transfer(0));
    assert_eq!((code, signed.len()), (Some(0), 1), "{stderr}");
    let good = std::fs::read(&audit).unwrap();
    let corruptions: [(&str, Vec<u8>); 4] = [
        ("junk in the middle", [&b"junk\n"[..], &good].concat()),
        ("invalid UTF-8", [&good[..], b"\xff\xfe\n", &good].concat()),
        ("a line of the wrong shape", [&good[..], b"{\"decision\":\"approved\"}\n"].concat()),
        (
            "an approval with an unreadable value",
            [
                &good[..],
                &String::from_utf8(good.clone())
                    .unwrap()
                    .replace("\"value\":\"100\"", "\"value\":\"lots\"")
                    .into_bytes(),
            ]
            .concat(),
        ),
    ];
    for (what, bytes) in corruptions {
        std::fs::write(&audit, &bytes).unwrap();
        let (code, signed, stderr) = signer.sign_all(&transfer(1));
        assert_eq!(code, Some(1), "{what}: {stderr}");
        assert!(signed.is_empty(), "{what}: nothing signed");
        assert!(stderr.contains("the audit log cannot be read, so nothing is signed"), "{what}: {stderr}");
        assert!(stderr.contains("audit.ndjson, line"), "{what}: names the line: {stderr}");
        assert_eq!(std::fs::read(&audit).unwrap(), bytes, "{what}: the log is left as it was");
    }
}

/// One delivery session of the seller's meter.
struct Delivery<'a> {
    dir: &'a Path,
    devnet: &'a Devnet,
    market: String,
    keys: Vec<(String, String)>,
    disk: SmallDisk,
}

impl Delivery<'_> {
    fn journal(&self) -> std::path::PathBuf {
        self.disk.path().join("journal.ndjson")
    }

    fn command(&self, virtual_clock: bool) -> Command {
        let mut command = self.disk.command(assert_cmd::cargo::cargo_bin("evlock-trade"));
        command.env_clear().current_dir(self.dir);
        command.args(["--rpc", &self.devnet.url, "--contract", &self.market, "deliver", "--trade", "1"]);
        command.args(["--role", "seller", "--key", &self.keys[3].0, "--password-file", "pw"]);
        // 96 V × 75 A: 2 Wh a second of wall-clock time, a report per Wh.
        command.args(["--device", "sim:fast?volts=96&amps=75", "--switch", "sim:fast", "--every", "1Wh"]);
        command.args(["--interval", "50ms", "--journal"]).arg(self.journal());
        if virtual_clock {
            command.args(["--clock", "virtual"]);
        }
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        command
    }

    fn reported_on_chain(&self) -> Vec<u64> {
        let out = run(
            "evlock-trade",
            self.dir,
            &["--rpc", &self.devnet.url, "--contract", &self.market, "watch", "--from-block", "0"],
            "",
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        lines(&out.stdout)
            .iter()
            .filter(|e| e["event"] == "Reported")
            .map(|e| e["fields"]["cumulative_wh"].as_str().unwrap().parse().unwrap())
            .collect()
    }
}

#[test]
fn the_delivery_journal_survives_kill_9_torn_lines_and_a_full_disk_and_reports_each_wh_once() {
    let mut rng = rng();
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    let keys = dev_keys(dir.path(), 5);
    let market = market_with_a_trade(dir.path(), &devnet, &keys, "60Wh");
    let mut delivery =
        Delivery { dir: dir.path(), devnet: &devnet, market, keys, disk: SmallDisk::new(256 << 10) };
    let journal = delivery.journal();
    let mut kept = String::new();
    for round in 0..6 {
        let what = match round % 3 {
            0 | 1 => "kill -9",
            _ => "full disk",
        };
        if round == 3 || round == 5 {
            tear(&journal, &mut rng);
        }
        match what {
            "kill -9" => {
                // At a random point: after 0 or 1 receipt of this run, then 0–500 ms more.
                let mut child = delivery.command(false).spawn().unwrap();
                let stdout = BufReader::new(child.stdout.take().unwrap());
                let (lines_tx, lines_rx) = std::sync::mpsc::channel();
                let reader = std::thread::spawn(move || {
                    for line in std::io::BufRead::lines(stdout).map_while(Result::ok) {
                        let _ = lines_tx.send(line);
                    }
                });
                let mut receipts = 0;
                let wanted = rng.below(2);
                while receipts < wanted {
                    match lines_rx.recv_timeout(Duration::from_secs(20)) {
                        Ok(line) if line.contains("\"kind\":\"receipt\"") => receipts += 1,
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
                std::thread::sleep(Duration::from_millis(rng.below(500)));
                kill_9(&mut child);
                child.wait().unwrap();
                reader.join().unwrap();
            }
            _ => {
                delivery.disk.leave(0, &journal);
                let output = delivery.command(false).output().unwrap();
                delivery.disk.free();
                let stderr = String::from_utf8_lossy(&output.stderr);
                if output.status.code() != Some(2) {
                    // It may have been stopped by the disk only after the trade was done.
                    assert_eq!(output.status.code(), Some(0), "round {round}: {stderr}");
                } else {
                    assert!(stderr.contains("delivery journal"), "round {round}: {stderr}");
                }
            }
        }
        // Check what is on chain against the journal (read through a reopen, which cuts a
        // torn tail: the next run's open does the same).
        let text = whole_lines(&journal);
        assert!(text.starts_with(&kept), "round {round} ({what}): a journaled step was lost");
        kept = text.clone();
        let journaled: Vec<u64> = text
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("round {round}: {e}: {l}")))
            .filter(|e| e["event"] == "report")
            .map(|e| e["cumulative_wh"].as_u64().unwrap())
            .collect();
        let on_chain = delivery.reported_on_chain();
        assert!(on_chain.windows(2).all(|w| w[0] < w[1]), "round {round}: reported twice: {on_chain:?}");
        for wh in &on_chain {
            assert!(journaled.contains(wh), "round {round} ({what}): {wh} Wh reported but never journaled");
        }
        eprintln!("journal round {round} ({what}): on chain {on_chain:?}, journaled {journaled:?}");
    }
    // The last run finishes on the virtual clock: the journal is what carries over.
    let output = delivery.command(true).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let on_chain = delivery.reported_on_chain();
    assert_eq!(on_chain.last(), Some(&60), "{on_chain:?}");
    assert!(on_chain.windows(2).all(|w| w[0] < w[1]), "{on_chain:?}");
    let entries = log_lines(&journal);
    assert!(entries.iter().any(|e| e["event"] == "delivered"));
    assert!(whole_lines(&journal).starts_with(&kept), "nothing journaled was lost");
}

/// Submits `signed` through the relay; returns its exit code, receipts and stderr.
fn submit(dir: &Path, url: &str, signed: &str) -> (Option<i32>, Vec<Value>, String) {
    let out =
        run("evlock-relay", dir, &["submit", "--rpc", url, "--timeout", "10s", "--retries", "0"], signed);
    (out.status.code(), lines(&out.stdout), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn number(value: &Value) -> u64 {
    u64::from_str_radix(value.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

#[test]
fn the_devnet_never_serves_a_block_it_could_not_persist() {
    let dir = tempfile::tempdir().unwrap();
    let mut disk = SmallDisk::new(256 << 10);
    let state = disk.path().join("chain.ndjson");
    let state_arg = state.to_str().unwrap().to_string();
    let keys = dev_keys(dir.path(), 1);
    let signed: Vec<String> =
        sign(dir.path(), &keys[0].0, "sender", &(0..60).map(transfer).collect::<String>())
            .lines()
            .map(|l| format!("{l}\n"))
            .collect();
    // Started once to write its header and a block, then again on a full disk (the state
    // file's last page has room for a few blocks at most).
    let devnet = Devnet::start(dir.path(), &["--state", &state_arg]);
    let (code, first, stderr) = submit(dir.path(), &devnet.url, &signed[0]);
    assert_eq!(code, Some(0), "{stderr}");
    drop(devnet);
    disk.leave(0, &state);
    let command = disk.command(assert_cmd::cargo::cargo_bin("evlock-devnet"));
    let devnet = Devnet::start_command(command, dir.path(), &["--state", &state_arg]);
    let (code, receipts, stderr) = submit(dir.path(), &devnet.url, &signed[1..40].concat());
    assert_ne!(code, Some(0), "the disk filled up: {stderr}");
    assert!(receipts.len() < 39, "{} receipts", receipts.len());
    assert!(
        receipts.iter().all(|r| r["status"] == "success"),
        "only persisted blocks are reported mined: {receipts:?}"
    );
    let mined = 1 + receipts.len() as u64;
    eprintln!("devnet: {mined} blocks fit on the full disk; the relay said: {}", stderr.trim());
    // The transaction that could not be persisted was not mined, and is not pending either.
    let failed: Value = serde_json::from_str(&signed[mined as usize]).unwrap();
    assert_eq!(devnet.rpc(dir.path(), "eth_getTransactionReceipt", json!([failed["hash"]])), Value::Null);
    assert_eq!(devnet.rpc(dir.path(), "eth_getTransactionByHash", json!([failed["hash"]])), Value::Null);
    assert_eq!(number(&devnet.rpc(dir.path(), "eth_blockNumber", json!([]))), mined);
    let pending = devnet.rpc(dir.path(), "eth_getTransactionCount", json!([keys[0].1, "pending"]));
    assert_eq!(number(&pending), mined);
    assert_eq!(devnet.balance(dir.path(), STRANGER), u128::from(mined * VALUE));
    drop(devnet);

    // Room again: restarted from the file, every served block is there, and the rest goes
    // through once each.
    disk.free();
    let devnet = Devnet::start(dir.path(), &["--state", &state_arg]);
    assert_eq!(devnet.block_number, mined);
    for receipt in first.iter().chain(&receipts) {
        let again = devnet.rpc(dir.path(), "eth_getTransactionReceipt", json!([receipt["hash"]]));
        assert_eq!(again["blockHash"], receipt["block_hash"], "{receipt}");
    }
    let (code, rest, stderr) = submit(dir.path(), &devnet.url, &signed[1..40].concat());
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(rest.len(), 39);
    assert_eq!(devnet.balance(dir.path(), STRANGER), u128::from(40 * VALUE), "40 transfers, none twice");
    drop(devnet);
    log_lines(&state);

    // kill -9 at random points under a stream of transactions, and torn tails, then restarts.
    let mut rng = rng();
    let mut served: Vec<Value> = Vec::new();
    let mut next = 40;
    let mut kept = whole_lines(&state);
    for round in 0..4 {
        if round % 2 == 1 {
            tear(&state, &mut rng);
        }
        let devnet = Devnet::start(dir.path(), &["--state", &state_arg]);
        let mut relay = bin("evlock-relay", dir.path())
            .args(["submit", "--rpc", &devnet.url, "--timeout", "5s", "--retries", "0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = relay.stdin.take().unwrap();
        let batch = signed[next.min(60)..].concat();
        let writer = std::thread::spawn(move || {
            for line in batch.lines() {
                if stdin.write_all(format!("{line}\n").as_bytes()).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(15));
            }
        });
        let mut devnet = devnet;
        std::thread::sleep(Duration::from_millis(rng.below(120)));
        kill_9(&mut devnet.child);
        devnet.child.wait().unwrap();
        writer.join().unwrap();
        let mut stdout = String::new();
        BufReader::new(relay.stdout.take().unwrap()).read_to_string(&mut stdout).unwrap();
        relay.wait().unwrap();
        for line in stdout.lines() {
            let receipt: Value = serde_json::from_str(line).unwrap();
            assert_eq!(receipt["status"], "success", "{receipt}");
            served.push(receipt);
        }
        let restarted = Devnet::start(dir.path(), &["--state", &state_arg]);
        let text = whole_lines(&state);
        assert!(text.starts_with(&kept), "round {round}: a persisted block was lost");
        kept = text;
        for receipt in &served {
            let again = restarted.rpc(dir.path(), "eth_getTransactionReceipt", json!([receipt["hash"]]));
            assert_eq!(
                again["blockHash"], receipt["block_hash"],
                "round {round}: a served block is gone: {receipt}"
            );
        }
        let count =
            number(&restarted.rpc(dir.path(), "eth_getTransactionCount", json!([keys[0].1, "latest"])));
        assert_eq!(
            restarted.balance(dir.path(), STRANGER),
            u128::from(count * VALUE),
            "round {round}: none twice"
        );
        next = count as usize;
        eprintln!("devnet round {round}: {} receipts served so far, nonce {next}", served.len());
    }

    // A junk line before the end: a hard error naming file and line, nothing cut.
    let text = std::fs::read_to_string(&state).unwrap();
    let mut broken: Vec<&str> = text.lines().collect();
    broken.insert(1, "junk");
    let broken = format!("{}\n", broken.join("\n"));
    std::fs::write(&state, &broken).unwrap();
    let out = run("evlock-devnet", dir.path(), &["--port", "0", "--state", &state_arg], "");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("chain.ndjson, line 2"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&state).unwrap(), broken);
}
