//! Honest exits, tried as a new user (and an attacker) would: every way the tools could end
//! with the wrong code, lose output without a word, replace what is not theirs to replace,
//! accept a record or an address they should refuse, or flood stderr.
//!
//! Each test fails on the code before these fixes; the comment above it says how.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::devnet::{Devnet, seller_delivery};
use common::faults::{close_stdout, limit_file_size};
use common::{import_key, lines, run};
use serde_json::{Value, json};

const KEY: &str = "45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8";
const TECHNICIAN_KEY: &str = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
const STRANGER: &str = "0x7b65B75d204aBed71587c9E519a89277766EE1d0";

fn command(bin: &str, dir: &Path) -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin(bin));
    command.env_clear().current_dir(dir);
    command
}

/// Runs `command` with `input` on stdin (a reader that goes away early is fine).
fn feed(mut command: Command, input: String) -> Output {
    let mut child = command.stdin(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn transfer(nonce: u64, to: &str) -> Value {
    json!({"kind": "tx", "type": "value_transfer", "chain_id": "31337", "nonce": nonce.to_string(),
           "gas": "21000", "gas_price": "25000000000", "to": to, "value": "7"})
}

fn transfers(count: u64) -> String {
    (0..count).map(|n| format!("{}\n", transfer(n, STRANGER))).collect()
}

fn audit_lines(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("audit.ndjson")).map(|t| t.lines().count()).unwrap_or(0)
}

// Before: Rust's runtime put /dev/null on the closed fd 1, so evlock-sign signed and audited
// every transaction and exited 0 with all output lost.
#[test]
fn a_tool_started_with_stdout_closed_does_nothing_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = import_key(dir.path(), KEY, "k");
    let mut sign = command("evlock-sign", dir.path());
    sign.args(["--key", &key, "--password-file", "pw", "--audit-log", "audit.ndjson"]);
    close_stdout(&mut sign);
    let output = feed(sign, transfers(300));
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("stdout is closed"), "{}", text(&output.stderr));
    assert_eq!(audit_lines(dir.path()), 0, "nothing was signed or audited");
    assert!(!dir.path().join("audit.ndjson").exists(), "not even the audit log was opened");

    // Every tool: keygen writes no keystore either.
    let mut keygen = command("evlock-keygen", dir.path());
    keygen.args([
        "import",
        "--private-key-file",
        "-",
        "--password-file",
        "pw",
        "--light-kdf",
        "--out-dir",
        "out",
    ]);
    close_stdout(&mut keygen);
    let output = feed(keygen, format!("{KEY}\n"));
    assert_eq!(output.status.code(), Some(2));
    assert!(!dir.path().join("out").exists());

    // Discarding on purpose still works.
    let mut sign = command("evlock-sign", dir.path());
    sign.args(["--key", &key, "--password-file", "pw"]).stdout(Stdio::null());
    let output = feed(sign, transfers(2));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

// Before: with --on-error=skip every failed write was one more skipped record: all 1000 were
// signed and audited while nothing reached the reader.
#[test]
fn a_full_disk_on_stdout_exits_2_and_stops_the_stream() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = import_key(dir.path(), KEY, "k");
    let mut sign = command("evlock-sign", dir.path());
    sign.args(["--key", &key, "--password-file", "pw", "--audit-log", "audit.ndjson", "--on-error", "skip"]);
    sign.stdout(std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap());
    let output = feed(sign, transfers(1000));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot write to stdout") && stderr.contains("No space left"), "{stderr}");
    let audited = audit_lines(dir.path());
    assert!(audited > 0 && audited < 500, "the stream stopped at the first failed write: {audited} audited");
    assert_eq!(stderr.matches("evlock-sign: error").count(), 1, "{stderr}");
    assert!(!stderr.contains("\"kind\":\"error\""), "one failure, not an error record per record: {stderr}");
}

// Before: -qq still printed the final error and every error record.
#[test]
fn minus_qq_prints_nothing_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let out = run("evlock-keygen", dir.path(), &["-qq", "derive", "--mnemonic-file", "missing.txt"], "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr), "", "-qq is silent");
    let out = run("evlock-keygen", dir.path(), &["-q", "derive", "--mnemonic-file", "missing.txt"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("missing.txt"), "-q still shows errors");

    let (key, _) = import_key(dir.path(), KEY, "k");
    let args = ["-qq", "--key", &key, "--password-file", "pw", "--on-error", "skip"];
    let out = run("evlock-sign", dir.path(), &args, "not json\n{\"kind\":\"frob\"}\n");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr), "", "no error records either");
}

// Before: --force renamed a regular file over a symlink or a fifo (and, as root, over
// /dev/stdout).
#[test]
fn force_never_replaces_a_symlink_a_fifo_or_a_device() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), "pw\n").unwrap();
    std::fs::write(dir.path().join("precious.txt"), "precious\n").unwrap();
    std::os::unix::fs::symlink("precious.txt", dir.path().join("link")).unwrap();
    let fifo = std::ffi::CString::new(dir.path().join("pipe").to_str().unwrap()).unwrap();
    // SAFETY: mkfifo on a path we own.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    for target in ["link", "pipe"] {
        let args = ["new", "--mnemonic-out", target, "--force", "--password-file", "pw", "--light-kdf"];
        let out = run("evlock-keygen", dir.path(), &[&args[..], &["--out-dir", "keys"]].concat(), "");
        assert_eq!(out.status.code(), Some(2), "{target}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("not a regular file"), "{}", text(&out.stderr));
        assert!(!dir.path().join("keys").exists(), "{target}: no keystore without its mnemonic saved");
    }
    let meta = std::fs::symlink_metadata(dir.path().join("link")).unwrap();
    assert!(meta.file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(dir.path().join("precious.txt")).unwrap(), "precious\n");
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(dir.path().join("pipe")).unwrap().file_type().is_fifo());

    // The certificate writer: refused before anything is measured.
    let (keystore, _) = import_key(dir.path(), TECHNICIAN_KEY, "tech");
    let out = commission(dir.path(), &keystore, "sim:force", &["--out", "link", "--force"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "nothing measured: {}", text(&out.stdout));
    assert!(std::fs::symlink_metadata(dir.path().join("link")).unwrap().file_type().is_symlink());
}

// Before: the file's address was reported with "verified": true, while sign signs from the
// key's own address.
#[test]
fn inspect_verify_checks_the_files_address_against_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (keystore, address) = import_key(dir.path(), KEY, "k");
    let args = ["inspect", "--verify", "--password-file", "pw", &keystore];
    let out = run("evlock-keygen", dir.path(), &args, "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let record = &lines(&out.stdout)[0];
    assert_eq!((record["verified"].as_bool(), record["address"].as_str()), (Some(true), Some(&address[..])));
    assert!(record.get("key_address").is_none());

    let path = dir.path().join(&keystore);
    let mut file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    file["address"] = json!(STRANGER[2..].to_lowercase());
    std::fs::write(&path, file.to_string()).unwrap();
    let out = run("evlock-keygen", dir.path(), &args, "");
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    let record = &lines(&out.stdout)[0];
    assert_eq!(record["verified"], false);
    assert_eq!(record["address"], STRANGER, "the account the file names");
    assert_eq!(record["key_address"], address.as_str(), "the key's own");
    let stderr = text(&out.stderr);
    assert!(stderr.contains(STRANGER) && stderr.contains(&address), "{stderr}");
}

fn commission(dir: &Path, keystore: &str, device: &str, extra: &[&str]) -> Output {
    let reference = format!("{device}?role=reference");
    let mut args = vec!["commission", "--device", device, "--switch", device, "--reference", &reference];
    args.extend_from_slice(&["--key", keystore, "--password-file", "pw", "--clock", "virtual"]);
    args.extend_from_slice(extra);
    run("evlock-calibrate", dir, &args, "")
}

// Before: --class 1e308 passed every meter, --out into a missing folder failed only after
// every measurement, and a certificate applied to another kind of device with a warning at
// most.
#[test]
fn calibration_classes_destinations_and_device_identity() {
    let dir = tempfile::tempdir().unwrap();
    let (keystore, _) = import_key(dir.path(), TECHNICIAN_KEY, "tech");
    for class in ["1e308", "5", "0"] {
        let out = commission(dir.path(), &keystore, "sim:class", &["--class", class, "--out", "c.json"]);
        assert_eq!(out.status.code(), Some(2), "--class {class}");
        assert!(text(&out.stderr).contains("0.1, 0.2, 0.5, 1, 2, 3"), "{}", text(&out.stderr));
        assert!(out.stdout.is_empty());
    }
    let out = commission(dir.path(), &keystore, "sim:class", &["--class", "0.5S", "--out", "nodir/c.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("nodir/c.json"), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "checked before measuring: {}", text(&out.stdout));
    let out = commission(dir.path(), &keystore, "sim:class", &["--class", "2", "--out", "c.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // Applied to another kind of device (another model): refused before a reading.
    let sense = |device: &str| {
        let args = ["--device", device, "--clock", "virtual", "--count", "2", "--certificate", "c.json"];
        run("evlock-sense", dir.path(), &args, "")
    };
    let out = sense("sim:other?mode=ina228");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("simulated INA228") && stderr.contains("sim:class"), "{stderr}");
    assert!(out.stdout.is_empty());
    // The same model elsewhere: applied, with a warning naming both.
    let out = sense("sim:moved");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("issued for sim:class, not sim:moved"), "{stderr}");
    assert_eq!(lines(&out.stdout).len(), 2);

    // A check file holding records of another kind is refused, naming what it takes.
    std::fs::write(dir.path().join("check.ndjson"), "{\"kind\":\"reading\",\"v\":1}\n").unwrap();
    let out = run(
        "evlock-calibrate",
        dir.path(),
        &["report", "--certificate", "c.json", "--check", "check.ndjson"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("this takes calibration"), "{}", text(&out.stderr));
}

// Before: any record with the right fields was taken, whatever its `kind` or `v`.
#[test]
fn every_reader_refuses_records_of_another_kind_or_version() {
    let dir = tempfile::tempdir().unwrap();
    let market = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    let report = |input: &str| {
        let args = ["report", "--trade", "1", "--energy", "25Wh", "--every", "10Wh", "--contract", market];
        let offline = ["--chain-id", "1001", "--nonce", "0", "--gas-price", "25ston", "--gas", "90000"];
        run("evlock-trade", dir.path(), &[&args[..], &offline].concat(), input)
    };
    let reading = json!({"kind": "reading", "v": 1, "device": "sim:t", "seq": 0, "time": "2026-11-24T10:00:00.000Z",
        "volts": 12.8, "amps": 2.0, "watts": 25.6, "energy_wh": 0, "energy_mwh": 0, "counters": {},
        "health": {"ok": true, "alarms": []}});
    let out = report(&format!("{reading}\n"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut receipt = reading.clone();
    receipt["kind"] = json!("receipt");
    let out = report(&format!("{receipt}\n"));
    assert_eq!(out.status.code(), Some(2));
    let error = &lines(&out.stderr)[0];
    assert_eq!(error["code"], "wrong_kind");
    assert!(error["message"].as_str().unwrap().contains("this takes reading, alarm"), "{error}");
    let mut newer = reading.clone();
    newer["v"] = json!(2);
    let out = report(&format!("{newer}\n"));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(lines(&out.stderr)[0]["code"], "wrong_version");

    // The fee payer does not sign a receipt.
    let (key, _) = import_key(dir.path(), KEY, "k");
    let input = format!("{}\n", json!({"kind": "receipt", "v": 1, "raw": "0x08", "hash": "0x00"}));
    let out = run(
        "evlock-sign",
        dir.path(),
        &["--key", &key, "--password-file", "pw", "--role", "fee-payer"],
        &input,
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(lines(&out.stderr)[0]["code"], "wrong_kind");
    // Nor does decode take one for a transaction.
    let out = run("evlock-sign", dir.path(), &["decode"], &input);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(lines(&out.stderr)[0]["code"], "wrong_kind");
}

// Before: a mixed-case address whose case was not its checksum was taken as is.
#[test]
fn a_wrong_eip55_checksum_is_refused_one_case_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = import_key(dir.path(), KEY, "k");
    let sign = |to: &str| {
        run(
            "evlock-sign",
            dir.path(),
            &["--key", &key, "--password-file", "pw"],
            &format!("{}\n", transfer(0, to)),
        )
    };
    let wrong = STRANGER.replacen("7b65B", "7B65b", 1);
    let out = sign(&wrong);
    assert_eq!(out.status.code(), Some(2));
    let error = &lines(&out.stderr)[0];
    assert_eq!(error["code"], "bad_tx");
    assert!(error["message"].as_str().unwrap().contains("wrong EIP-55 checksum"), "{error}");
    assert!(error["message"].as_str().unwrap().contains(STRANGER), "names the right spelling: {error}");
    for fine in [STRANGER.to_string(), STRANGER.to_lowercase(), format!("0x{}", STRANGER[2..].to_uppercase())]
    {
        let out = sign(&fine);
        assert_eq!(out.status.code(), Some(0), "{fine}: {}", text(&out.stderr));
        assert_eq!(lines(&out.stdout)[0]["kind"], "signed_tx");
    }
    // Flags too.
    let out = run(
        "evlock-trade",
        dir.path(),
        &["settle", "--trade", "1", "--contract", &wrong, "--chain-id", "1"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("EIP-55"), "{}", text(&out.stderr));
}

// Before: 4 for a market address that is not a market, 4 for a garbage TLS key while a
// missing one was 2, 3 for a register range no device can answer.
#[test]
fn exit_codes_name_bad_input_as_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    // An account, not a contract: refused before anything is built for it.
    for (what, args) in [
        ("status", vec!["status", "offer", "1"]),
        ("offer", vec!["offer", "--energy", "1Wh", "--price", "1ston/Wh", "--expiry-block", "9"]),
    ] {
        let mut all = vec!["--rpc", &devnet.url, "--contract", STRANGER];
        all.extend(args);
        if what == "offer" {
            all.extend(["--from", &devnet.accounts[0]]);
        }
        let out = run("evlock-trade", dir.path(), &all, "");
        assert_eq!(out.status.code(), Some(2), "{what}: {}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(stderr.contains(&format!("{STRANGER} is not an EnergyMarket")), "{what}: {stderr}");
        assert!(out.stdout.is_empty(), "{what}: no transaction built for it");
    }

    std::fs::write(dir.path().join("garbage.pem"), "garbage\n").unwrap();
    let out = run(
        "evlock-devnet",
        dir.path(),
        &["--port", "0", "--tls-cert", "garbage.pem", "--tls-key", "garbage.pem"],
        "",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = run(
        "evlock-devnet",
        dir.path(),
        &["--port", "0", "--tls-cert", "missing.pem", "--tls-key", "garbage.pem"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    let out = run(
        "evlock-relay",
        dir.path(),
        &["rpc", "--rpc", "https://127.0.0.1:9/", "--ca-cert", "garbage.pem", "eth_chainId"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));

    let out = run(
        "evlock-sense",
        dir.path(),
        &["read", "--device", "modbus:/dev/ttyEVLOCK-NONE", "--start", "0xFFFF", "--count", "2"],
        "",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("past the last Modbus register"), "{}", text(&out.stderr));
}

#[test]
fn an_address_in_use_is_exit_4_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    let market = common::devnet::market_with_a_trade(
        dir.path(),
        &devnet,
        &common::devnet::dev_keys(dir.path(), 5),
        "1Wh",
    );
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let port = taken.local_addr().unwrap().port().to_string();
    let runs = [
        ("evlock-devnet", vec!["--port", port.as_str()]),
        ("evlock-trade", vec!["--rpc", &devnet.url, "--contract", &market, "serve", "--bind", &addr]),
    ];
    for (tool, args) in runs {
        let out = run(tool, dir.path(), &args, "");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{tool}: {stderr}");
        assert!(stderr.contains(&addr) && stderr.contains("already in use"), "{tool}: {stderr}");
        assert!(out.stdout.is_empty(), "{tool}");
    }
}

// Before: a 50 MB sysfs file came back as 50 MB of stderr; a record's 3 MB field likewise.
#[test]
fn errors_quote_a_bounded_prefix_of_bad_input() {
    let root = tempfile::tempdir().unwrap();
    let device = root.path().join("iio:device0");
    std::fs::create_dir(&device).unwrap();
    std::fs::write(device.join("in_voltage0_scale"), "1\n").unwrap();
    std::fs::write(device.join("in_voltage0_raw"), vec![b'z'; 50 << 20]).unwrap();
    let uri = format!("iio-acs712:{}?channel=0", device.display());
    let out = run("evlock-sense", root.path(), &["--device", &uri, "--count", "1"], "");
    assert_eq!(out.status.code(), Some(3), "{}", &text(&out.stderr)[..200.min(out.stderr.len())]);
    assert!(out.stderr.len() < 4096, "{} bytes of stderr", out.stderr.len());
    assert!(text(&out.stderr).contains("in_voltage0_raw"), "{}", text(&out.stderr));

    std::fs::write(device.join("in_voltage0_raw"), format!("{}\n", "9".repeat(3000))).unwrap();
    let out = run("evlock-sense", root.path(), &["--device", &uri, "--count", "1"], "");
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stderr.len() < 4096, "{} bytes of stderr", out.stderr.len());

    let dir = tempfile::tempdir().unwrap();
    let (key, _) = import_key(dir.path(), KEY, "k");
    let huge = "z".repeat(3 << 20);
    for field in ["to", "nonce", "from"] {
        let mut tx = transfer(0, STRANGER);
        tx[field] = json!(huge);
        let out =
            run("evlock-sign", dir.path(), &["--key", &key, "--password-file", "pw"], &format!("{tx}\n"));
        assert_eq!(out.status.code(), Some(2), "{field}");
        assert!(out.stderr.len() < 4096, "{field}: {} bytes of stderr", out.stderr.len());
        let error = &lines(&out.stderr)[0];
        assert!(error["message"].as_str().unwrap().contains("(3145728 bytes)"), "{field}: {error}");
    }
    let mut tx = transfer(0, STRANGER);
    tx["gas"] = json!([huge]);
    let out = run("evlock-sign", dir.path(), &["--key", &key, "--password-file", "pw"], &format!("{tx}\n"));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stderr.len() < 4096, "{} bytes of stderr", out.stderr.len());
}

/// Runs `bin args` in `dir` with `input` on stdin, stdout and stderr to files; fails the test
/// if it is still running after `limit` (a hang) and returns (exit code, stdout, stderr).
fn bounded(
    bin: &str,
    dir: &Path,
    args: &[&str],
    input: Vec<u8>,
    limit: std::time::Duration,
) -> (Option<i32>, String, String) {
    let out_path = dir.join("sweep.out");
    let err_path = dir.join("sweep.err");
    let mut child = command(bin, dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let status = wait_or_kill(&mut child, limit, &format!("{bin} {args:?}"));
    writer.join().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert!(
        status.signal().is_none(),
        "{bin} {args:?} was killed by signal {:?} (an abort?)",
        status.signal()
    );
    (status.code(), text(&std::fs::read(&out_path).unwrap()), text(&std::fs::read(&err_path).unwrap()))
}

// The bad-input sweep: every tool that reads records from stdin, fed each kind of bad input,
// ends in time with 0 (nothing to do) or 2 (bad input) — never a panic, an abort or a hang —
// says what is wrong in an error record, writes no record for the bad line, and leaves its
// audit log as it was.
#[test]
fn the_bad_input_sweep_every_reader_every_kind_of_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = import_key(dir.path(), KEY, "k");
    let devnet = Devnet::start(dir.path(), &[]);
    let market = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    let readers: Vec<(&str, Vec<&str>)> = vec![
        ("evlock-sign", vec!["--key", &key, "--password-file", "pw", "--audit-log", "audit.ndjson"]),
        ("evlock-sign", vec!["decode"]),
        ("evlock-relay", vec!["submit", "--rpc", &devnet.url, "--poll", "20ms"]),
        (
            "evlock-trade",
            vec![
                "report",
                "--trade",
                "1",
                "--energy",
                "25Wh",
                "--every",
                "10Wh",
                "--contract",
                market,
                "--chain-id",
                "1001",
                "--nonce",
                "0",
                "--gas-price",
                "25ston",
                "--gas",
                "90000",
            ],
        ),
    ];
    let mut over_limit = vec![b'"'; evlock::wire::MAX_LINE_BYTES + 1];
    over_limit.push(b'\n');
    let nested = format!("{}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let digits = format!("{{\"kind\": \"tx\", \"nonce\": {}}}\n", "9".repeat(1000));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("binary garbage", (0u8..=255).cycle().take(4096).chain([b'\n']).collect()),
        ("invalid UTF-8", b"{\"kind\": \"tx\", \"to\": \"\xff\xfe\"}\n".to_vec()),
        ("a line over the limit", over_limit),
        ("deeply nested JSON", nested.into_bytes()),
        ("a 1,000-digit number", digits.into_bytes()),
        ("a wrong record kind", b"{\"kind\": \"calibration\", \"v\": 1}\n".to_vec()),
        ("not JSON", b"hello world\n".to_vec()),
        ("a truncated record", b"{\"kind\": \"tx\", \"nonce\": \"1\"".to_vec()),
    ];
    let limit = std::time::Duration::from_secs(30);
    for (bin, args) in &readers {
        // Nothing, or only blank lines: nothing to do, success, no output.
        for quiet in [&b""[..], b"\n", b"\n\n   \n"] {
            let (code, out, err) = bounded(bin, dir.path(), args, quiet.to_vec(), limit);
            assert_eq!(code, Some(0), "{bin} {args:?} on {quiet:?}: {err}");
            assert_eq!(out, "", "{bin} {args:?} wrote records for {quiet:?}");
        }
        for (what, input) in &cases {
            let (code, out, err) = bounded(bin, dir.path(), args, input.clone(), limit);
            assert_eq!(code, Some(2), "{bin} {args:?} on {what}: exit {code:?}, stderr {err}");
            assert!(!err.contains("panicked"), "{bin} {args:?} panicked on {what}: {err}");
            assert_eq!(out, "", "{bin} {args:?} wrote a record for {what}: {out}");
            let first = err.lines().find_map(|l| serde_json::from_str::<Value>(l).ok());
            let record =
                first.unwrap_or_else(|| panic!("{bin} {args:?} on {what}: no error record in {err}"));
            let message = record["message"].as_str().unwrap_or_default();
            assert!(record["code"].is_string() && message.len() > 10, "{bin} {args:?} on {what}: {record}");
            assert!(
                message.len() < 2000,
                "{bin} {args:?} on {what} echoes the input: {} bytes",
                message.len()
            );
        }
    }
    assert_eq!(audit_lines(dir.path()), 0, "bad input reached the audit log");
    // A directory, or an unreadable file, where the key file is expected.
    std::fs::create_dir(dir.path().join("adir")).unwrap();
    for not_a_file in ["adir", "missing.json"] {
        let (code, out, err) = bounded(
            "evlock-sign",
            dir.path(),
            &["--key", not_a_file, "--password-file", "pw"],
            format!("{}\n", transfer(0, STRANGER)).into_bytes(),
            limit,
        );
        assert_eq!(code, Some(5), "a key at {not_a_file}: {err}");
        assert_eq!(out, "");
        assert!(err.contains(not_a_file), "the message names {not_a_file}: {err}");
    }
}

/// Where a sweep case's stdout goes.
#[derive(Clone, Copy, Debug)]
enum Stdout {
    /// A pipe the test reads.
    Pipe,
    /// `/dev/full`: every write fails with ENOSPC.
    Full,
    /// Closed (`>&-`).
    Closed,
}

/// One sweep case: `bin args` in `dir` with `input` on stdin and, with `fsize`, every file it
/// writes limited to that many bytes (a full disk: short writes, then EFBIG). Fails the test
/// on a hang (30 s), a signal (an abort) or a panic; returns (exit code, stdout, stderr).
fn sweep_case(
    bin: &str,
    dir: &Path,
    args: &[String],
    input: &[u8],
    fsize: Option<u64>,
    stdout: Stdout,
) -> (Option<i32>, String, String) {
    use std::io::Read;
    let mut command = command(bin, dir);
    command.args(args).stdin(Stdio::piped()).stderr(Stdio::piped());
    match stdout {
        Stdout::Pipe => command.stdout(Stdio::piped()),
        Stdout::Full => command.stdout(std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap()),
        Stdout::Closed => {
            close_stdout(&mut command);
            command.stdout(Stdio::null())
        }
    };
    if let Some(bytes) = fsize {
        limit_file_size(&mut command, bytes);
    }
    let mut child = command.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut out_pipe = child.stdout.take();
    let mut err_pipe = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(pipe) = out_pipe.as_mut() {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = err_pipe.read_to_end(&mut bytes);
        bytes
    });
    let limit = std::time::Duration::from_secs(30);
    let status = wait_or_kill(&mut child, limit, &format!("{bin} {args:?}"));
    writer.join().unwrap();
    let (out, err) = (text(&out.join().unwrap()), text(&err.join().unwrap()));
    use std::os::unix::process::ExitStatusExt;
    assert!(status.signal().is_none(), "{bin} {args:?} was killed by signal {:?}: {err}", status.signal());
    assert!(!err.contains("panicked"), "{bin} {args:?} panicked: {err}");
    (status.code(), out, err)
}

/// Every file in `dir` (names and bytes), to see that a failed run changed none.
fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path.clone());
                files.insert(format!("{}/", path.strip_prefix(dir).unwrap().display()), Vec::new());
            } else {
                let bytes = std::fs::read(&path).unwrap();
                files.insert(path.strip_prefix(dir).unwrap().display().to_string(), bytes);
            }
        }
    }
    files
}

/// The files that differ between two snapshots, by name.
fn changed(
    before: &std::collections::BTreeMap<String, Vec<u8>>,
    after: &std::collections::BTreeMap<String, Vec<u8>>,
) -> Vec<String> {
    let names: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    names.into_iter().filter(|name| before.get(*name) != after.get(*name)).cloned().collect()
}

/// Runs `jobs` on up to four threads (the cases are independent processes in their own
/// folders), so the sweep takes seconds on two cores.
/// Every failure is collected, so one run shows them all.
fn in_parallel<T: Send>(jobs: Vec<T>, run: impl Fn(T) + Sync) {
    let queue = std::sync::Mutex::new(jobs);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let Some(job) = queue.lock().unwrap().pop() else { break };
                    if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(job))) {
                        let what = panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        failures.lock().unwrap().push(what);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n---\n"));
}

/// A folder for one sweep case holding the password file and a copy of the key.
fn case_dir(root: &Path, name: &str, keystore: &Path) -> std::path::PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pw"), "pw\n").unwrap();
    std::fs::copy(keystore, dir.join("key.json")).unwrap();
    dir
}

// The bad-input sweep over files: every tool that reads a file named on its command line
// (keystores, key and mnemonic files, policies, certificates, the audit log), given each kind
// of bad file or something that is not a file at all, ends in time with its documented code,
// names the file, writes nothing to stdout and changes no file.
#[test]
fn the_bad_input_sweep_every_file_a_tool_reads() {
    let root = tempfile::tempdir().unwrap();
    let (key, _) = import_key(root.path(), KEY, "k");
    let keystore = root.path().join(&key);
    let tx = format!("{}\n", transfer(0, STRANGER));
    let f = "input.file";
    let import = |source: &'static str| -> Vec<&'static str> {
        vec!["import", source, f, "--password-file", "pw", "--light-kdf", "--out-dir", "out"]
    };
    // (tool, arguments with the file as `input.file`, its code for a bad file, contents it takes)
    let readers: Vec<(&str, Vec<&str>, i32, Vec<&str>)> = vec![
        ("evlock-keygen", vec!["inspect", f], 5, vec![]),
        ("evlock-keygen", [import("--keystore"), vec!["--source-password-file", "pw"]].concat(), 5, vec![]),
        ("evlock-keygen", import("--private-key-file"), 2, vec![]),
        ("evlock-keygen", import("--mnemonic-file"), 2, vec![]),
        (
            "evlock-keygen",
            vec!["change-password", f, "--password-file", "pw", "--new-password-file", "pw"],
            5,
            vec![],
        ),
        ("evlock-keygen", vec!["tls", "inspect", f], 2, vec![]),
        ("evlock-sign", vec!["--key", f, "--password-file", "pw"], 5, vec![]),
        // An empty policy (or only a blank line) sets no rule: it is a valid file.
        (
            "evlock-sign",
            vec!["--key", "key.json", "--password-file", "pw", "--policy", f],
            2,
            vec!["an empty file", "a blank line"],
        ),
        // An audit log that cannot be read is tampering (1); an empty or missing one is new.
        (
            "evlock-sign",
            vec!["--key", "key.json", "--password-file", "pw", "--audit-log", f],
            1,
            vec!["an empty file", "a blank line", "a missing file"],
        ),
        ("evlock-calibrate", vec!["report", "--certificate", f], 2, vec![]),
        (
            "evlock-sense",
            vec!["--device", "sim:a", "--clock", "virtual", "--count", "1", "--certificate", f],
            2,
            vec![],
        ),
    ];
    let mut contents = vec![("an empty file", Some(Vec::new())), ("a blank line", Some(b"\n".to_vec()))];
    contents.extend(bad_files("version"));
    contents.push(("a missing file", None));
    let mut jobs = Vec::new();
    for (i, reader) in readers.iter().enumerate() {
        for (j, content) in contents.iter().enumerate() {
            jobs.push((i, j, reader, content));
        }
    }
    in_parallel(jobs, |(i, j, (bin, args, code, fine), (what, content))| {
        let dir = case_dir(root.path(), &format!("case-{i}-{j}"), &keystore);
        match (content, *what) {
            (Some(bytes), _) => std::fs::write(dir.join(f), bytes).unwrap(),
            (None, "a directory") => std::fs::create_dir(dir.join(f)).unwrap(),
            (None, _) => {}
        }
        let before = snapshot(&dir);
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let (got, out, err) = sweep_case(bin, &dir, &args, tx.as_bytes(), None, Stdout::Pipe);
        if fine.contains(what) {
            assert_eq!(got, Some(0), "{bin} {args:?} takes {what}: {err}");
            return;
        }
        assert_eq!(got, Some(*code), "{bin} {args:?} on {what}: {err}");
        assert!(err.contains(f), "{bin} {args:?} on {what}: the message names no file: {err}");
        assert!(err.len() < 4096, "{bin} {args:?} on {what} echoes the input: {} bytes", err.len());
        assert_eq!(out, "", "{bin} {args:?} on {what} wrote to stdout");
        assert_eq!(changed(&before, &snapshot(&dir)), Vec::<String>::new(), "{bin} {args:?} on {what}");
    });
}

/// Bad contents for a file a tool reads, named: garbage, invalid UTF-8 (in a `field` the file
/// may hold), a line over the limit, deep nesting, a 1,000-digit number (in `field`), a record
/// of a wrong kind, and a directory (`None`) where the file should be.
fn bad_files(field: &str) -> Vec<(&'static str, Option<Vec<u8>>)> {
    let mut over_limit = vec![b'"'; evlock::wire::MAX_LINE_BYTES + 1];
    over_limit.push(b'\n');
    let mut invalid_utf8 = format!("{{\"{field}\": \"").into_bytes();
    invalid_utf8.extend(b"\xff\xfe\"}\n");
    vec![
        ("binary garbage", Some((0u8..=255).cycle().take(4096).chain([b'\n']).collect())),
        ("invalid UTF-8", Some(invalid_utf8)),
        ("a line over the limit", Some(over_limit)),
        (
            "deeply nested JSON",
            Some(format!("{}{}\n", "[".repeat(100_000), "]".repeat(100_000)).into_bytes()),
        ),
        ("a 1,000-digit number", Some(format!("{{\"{field}\": {}}}\n", "9".repeat(1000)).into_bytes())),
        ("a wrong record kind", Some(b"{\"kind\": \"reading\", \"v\": 1}\n".to_vec())),
        ("a directory", None),
    ]
}

/// A full-disk sweep case: name, tool, arguments, stdin, file size limit, stdout, the file.
type WriteCase<'a> = (String, &'a str, Vec<String>, String, Option<u64>, Stdout, &'a str);

// The full-disk sweep: every file a tool writes, written to a disk that fills up part way
// (RLIMIT_FSIZE: a short write, then EFBIG) — keystores (import, new, change-password in
// place), the mnemonic, TLS keys and certificates, calibration certificates and their SVG,
// the signing audit log — ends with exit 2 naming the file, leaves no partial or temporary
// file behind, and replaces nothing that was there. And every tool writing records to a full
// or closed stdout says so and exits 2.
#[test]
fn the_full_disk_sweep_every_file_a_tool_writes_and_its_stdout() {
    let root = tempfile::tempdir().unwrap();
    let (key, _) = import_key(root.path(), KEY, "k");
    let keystore = root.path().join(&key);
    let (technician, _) = import_key(root.path(), TECHNICIAN_KEY, "tech");
    let technician = root.path().join(technician);
    // What the writers start from: a certificate, a CA, a mnemonic.
    let setup = case_dir(root.path(), "setup", &technician);
    let out = commission(&setup, "key.json", "sim:a", &["--class", "2", "--out", "c.json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run("evlock-keygen", &setup, &["tls", "ca", "--name", "Operator CA"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run("evlock-keygen", &setup, &["tls", "issue", "--ca", "ca.pem", "--name", "meter-1"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mnemonic = "test test test test test test test test test test test junk\n";
    std::fs::write(setup.join("m.txt"), mnemonic).unwrap();
    std::fs::write(setup.join("key.hex"), KEY).unwrap();
    let copy = |dir: &Path| {
        for name in ["c.json", "ca.pem", "ca.key", "meter-1.pem", "meter-1.key", "m.txt", "key.hex"] {
            std::fs::copy(setup.join(name), dir.join(name)).unwrap();
        }
    };
    let tx = format!("{}\n", transfer(0, STRANGER));
    // (tool, arguments, stdin, file size limit, the file that cannot be written)
    let writers: Vec<(&str, Vec<&str>, &str, u64, &str)> = vec![
        (
            "evlock-keygen",
            vec![
                "import",
                "--private-key-file",
                "key.hex",
                "--password-file",
                "pw",
                "--light-kdf",
                "--out-dir",
                "out",
            ],
            "",
            200,
            "out/",
        ),
        (
            "evlock-keygen",
            vec![
                "import",
                "--mnemonic-file",
                "m.txt",
                "--count",
                "2",
                "--password-file",
                "pw",
                "--light-kdf",
                "--out-dir",
                "out",
            ],
            "",
            200,
            "out/",
        ),
        (
            "evlock-keygen",
            vec![
                "new",
                "--mnemonic-out",
                "seed.txt",
                "--password-file",
                "pw",
                "--light-kdf",
                "--out-dir",
                "out",
            ],
            "",
            20,
            "seed.txt",
        ),
        (
            "evlock-keygen",
            vec![
                "change-password",
                "key.json",
                "--password-file",
                "pw",
                "--new-password-file",
                "pw",
                "--light-kdf",
            ],
            "",
            200,
            "key.json",
        ),
        (
            "evlock-keygen",
            vec!["tls", "ca", "--name", "Second CA", "--cert", "ca2.pem", "--key", "ca2.key"],
            "",
            200,
            "ca2",
        ),
        ("evlock-keygen", vec!["tls", "issue", "--ca", "ca.pem", "--name", "meter-2"], "", 200, "meter-2"),
        ("evlock-calibrate", vec!["report", "--certificate", "c.json", "--svg", "e.svg"], "", 200, "e.svg"),
        (
            "evlock-sign",
            vec!["--key", "key.json", "--password-file", "pw", "--audit-log", "audit.ndjson"],
            &tx,
            100,
            "audit.ndjson",
        ),
    ];
    let mut jobs: Vec<WriteCase> = writers
        .iter()
        .enumerate()
        .map(|(i, (bin, args, input, fsize, file))| {
            let args = args.iter().map(|a| a.to_string()).collect();
            (format!("disk-{i}"), *bin, args, input.to_string(), Some(*fsize), Stdout::Pipe, *file)
        })
        .collect();
    // The calibration certificate: commissioning measures first, then cannot write it.
    let commission_args = [
        "commission",
        "--device",
        "sim:b",
        "--switch",
        "sim:b",
        "--reference",
        "sim:b?role=reference",
        "--key",
        "tech.json",
        "--password-file",
        "pw",
        "--clock",
        "virtual",
        "--class",
        "2",
        "--out",
        "c2.json",
    ];
    let commission_args: Vec<String> = commission_args.iter().map(|a| a.to_string()).collect();
    jobs.push((
        "disk-commission".into(),
        "evlock-calibrate",
        commission_args,
        String::new(),
        Some(200),
        Stdout::Pipe,
        "c2.json",
    ));
    // Stdout full or closed, for every tool that writes records there.
    let signed = {
        let dir = case_dir(root.path(), "signed", &keystore);
        let out = run("evlock-sign", &dir, &["--key", "key.json", "--password-file", "pw"], &tx);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let printers: Vec<(&str, Vec<&str>, String)> = vec![
        ("evlock-keygen", vec!["inspect", "key.json"], String::new()),
        ("evlock-keygen", vec!["derive", "--mnemonic-file", "m.txt", "--count", "3"], String::new()),
        ("evlock-keygen", vec!["tls", "inspect", "ca.pem"], String::new()),
        ("evlock-sign", vec!["--key", "key.json", "--password-file", "pw"], tx.clone()),
        ("evlock-sign", vec!["decode"], signed),
        ("evlock-calibrate", vec!["report", "--certificate", "c.json"], String::new()),
        ("evlock-sense", vec!["--device", "sim:a", "--clock", "virtual", "--count", "3"], String::new()),
    ];
    for (i, (bin, args, input)) in printers.iter().enumerate() {
        for mode in [Stdout::Full, Stdout::Closed] {
            let args = args.iter().map(|a| a.to_string()).collect();
            jobs.push((format!("stdout-{i}-{mode:?}"), *bin, args, input.clone(), None, mode, ""));
        }
    }
    // A meter's link spool on a full disk: each append that does not fit is rolled back and
    // said; the meter then gives up on its unreachable operator (4, as documented).
    let link =
        ["connect", "--to", "127.0.0.1:1", "--ca", "ca.pem", "--cert", "meter-1.pem", "--key", "meter-1.key"];
    let link: Vec<String> = link.iter().map(|a| a.to_string()).collect();
    let spool_args =
        [link.clone(), ["--spool", "spool", "--give-up-after", "1s"].map(String::from).to_vec()].concat();
    let readings: String = (0..3)
        .map(|seq| format!("{}\n", json!({"kind": "reading", "v": 1, "seq": seq, "pad": "x".repeat(300)})))
        .collect();
    jobs.push((
        "spool-full".into(),
        "evlock-relay",
        spool_args.clone(),
        readings,
        Some(600),
        Stdout::Pipe,
        "spool",
    ));
    let spool_args = &spool_args;
    in_parallel(jobs, |(name, bin, args, input, fsize, mode, file)| {
        let dir = case_dir(root.path(), &name, &keystore);
        copy(&dir);
        std::fs::copy(&technician, dir.join("tech.json")).unwrap();
        let before = snapshot(&dir);
        let (code, out, err) = sweep_case(bin, &dir, &args, input.as_bytes(), fsize, mode);
        if name == "spool-full" {
            assert_eq!(code, Some(4), "{bin} {args:?} ({name}): {err}");
            assert!(err.contains("cannot append to spool/spool.ndjson (the entry was rolled back)"), "{err}");
            let spool = std::fs::read_to_string(dir.join("spool/spool.ndjson")).unwrap();
            assert!(
                spool.ends_with('\n') && spool.lines().all(|l| serde_json::from_str::<Value>(l).is_ok()),
                "{spool}"
            );
            return;
        }
        assert_eq!(code, Some(2), "{bin} {args:?} ({name}): {err}");
        // Commissioning streams its measured points as it goes: those are whole; no summary.
        if !name.ends_with("commission") {
            assert_eq!(out, "", "{bin} {args:?} ({name}) wrote records: {out}");
        }
        assert!(!out.contains("\"summary\""), "{bin} {args:?}: a summary for a file not written: {out}");
        let after = snapshot(&dir);
        match mode {
            Stdout::Pipe => {
                assert!(err.contains(file.trim_end_matches('/')), "{bin} {args:?}: names no {file}: {err}");
                assert!(err.contains("File too large"), "{bin} {args:?}: says no why: {err}");
                // Nothing new but empty folders and whole files the limit let through; nothing
                // that was there changed.
                for (path, bytes) in &after {
                    match before.get(path) {
                        Some(old) => assert_eq!(old, bytes, "{bin} {args:?} changed {path}"),
                        None => assert!(
                            path.ends_with('/') || (bytes.len() as u64) < fsize.unwrap(),
                            "{bin} {args:?} left {path} ({} bytes) behind",
                            bytes.len()
                        ),
                    }
                }
                assert!(
                    !after.keys().any(|p| p.contains(".tmp")),
                    "{bin} {args:?} left a temporary file: {after:?}"
                );
            }
            Stdout::Full => {
                assert!(err.contains("No space left"), "{bin} {args:?} on a full stdout: {err}");
                assert_eq!(
                    after.keys().collect::<Vec<_>>(),
                    before.keys().collect::<Vec<_>>(),
                    "{bin} {args:?}"
                );
            }
            Stdout::Closed => {
                assert!(err.contains("stdout is closed"), "{bin} {args:?} on a closed stdout: {err}");
                assert_eq!(
                    changed(&before, &after),
                    Vec::<String>::new(),
                    "{bin} {args:?} on a closed stdout"
                );
            }
        }
    });

    // A spool that cannot be read (torn beyond its tail, not UTF-8, not the link's records)
    // or a file where the spool folder should be: refused at the start, exit 2, unchanged.
    let mut over_limit = vec![b'"'; evlock::wire::MAX_LINE_BYTES + 1];
    over_limit.push(b'\n');
    let spools: Vec<(&str, Vec<u8>)> = vec![
        ("binary garbage", (0u8..=255).cycle().take(4096).chain([b'\n']).collect()),
        ("invalid UTF-8", b"{\"lane\": \"\xff\xfe\"}\n".to_vec()),
        ("a wrong record", b"{\"kind\": \"reading\", \"v\": 1}\n".to_vec()),
        ("deeply nested JSON", format!("{}{}\n", "[".repeat(100_000), "]".repeat(100_000)).into_bytes()),
        ("a line over the limit", over_limit),
        ("a file, not a folder", Vec::new()),
    ];
    in_parallel(spools.into_iter().enumerate().collect(), |(i, (what, bytes))| {
        let dir = case_dir(root.path(), &format!("spool-{i}"), &keystore);
        copy(&dir);
        if what == "a file, not a folder" {
            std::fs::write(dir.join("spool"), b"").unwrap();
        } else {
            std::fs::create_dir(dir.join("spool")).unwrap();
            std::fs::write(dir.join("spool/spool.ndjson"), &bytes).unwrap();
        }
        let before = snapshot(&dir);
        let (code, out, err) = sweep_case("evlock-relay", &dir, spool_args, b"", None, Stdout::Pipe);
        assert_eq!(code, Some(2), "a spool holding {what}: {err}");
        assert!(err.contains("spool"), "a spool holding {what}: the message names no file: {err}");
        assert_eq!(out, "");
        // The folder's lock file (empty, taken before the spool is read) is all that is new.
        let mut after = snapshot(&dir);
        if after.get("spool/lock").is_some_and(|lock| lock.is_empty()) {
            after.remove("spool/lock");
        }
        assert_eq!(changed(&before, &after), Vec::<String>::new(), "a spool holding {what}");
    });
}

/// Waits for `child` at most `limit`; past it, kills it and fails the case as a hang.
fn wait_or_kill(
    child: &mut std::process::Child,
    limit: std::time::Duration,
    what: &str,
) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} still running after {limit:?}: a hang");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

// The bad-input sweep over the state a tool keeps between runs — the devnet's `--state` file,
// the operator link's `--outbox` folder (its outbox, its marks, its peer book), a meter link's
// marks in its `--spool` folder and a delivery's `--journal` — each given each kind of bad file: refused at the start with exit 2
// naming the file, nothing on stdout, nothing changed (a state file is never "repaired" by
// dropping what it cannot read). An empty or missing file is a fresh start, not bad input, and
// would start a server or a delivery: those are left out.
#[test]
fn the_bad_input_sweep_every_state_file_a_tool_keeps() {
    let root = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(root.path(), &[]);
    let keys = common::devnet::dev_keys(root.path(), 5);
    let market = common::devnet::market_with_a_trade(root.path(), &devnet, &keys, "60Wh");
    let meter_key = root.path().join(&keys[3].0);
    let setup = root.path().join("pki");
    std::fs::create_dir_all(&setup).unwrap();
    let out = run("evlock-keygen", &setup, &["tls", "ca", "--name", "Operator CA"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run("evlock-keygen", &setup, &["tls", "issue", "--ca", "ca.pem", "--name", "operator"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run("evlock-keygen", &setup, &["tls", "issue", "--ca", "ca.pem", "--name", "meter-1"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let pki = |name: &str| setup.join(name).display().to_string();
    let connect = [
        "connect",
        "--to",
        "127.0.0.1:1",
        "--ca",
        &pki("ca.pem"),
        "--cert",
        &pki("meter-1.pem"),
        "--key",
        &pki("meter-1.key"),
        "--spool",
        "state",
    ]
    .map(String::from)
    .to_vec();
    let listen = [
        "listen",
        "--bind",
        "127.0.0.1:0",
        "--cert",
        &pki("operator.pem"),
        "--key",
        &pki("operator.key"),
        "--client-ca",
        &pki("ca.pem"),
        "--outbox",
        "state",
    ]
    .map(String::from)
    .to_vec();
    let meter_key = meter_key.display().to_string();
    let deliver = seller_delivery(&devnet.url, &market, &meter_key, "a", "state", &["--clock", "virtual"]);
    let devnet_args = ["--port", "0", "--state", "state"].map(String::from).to_vec();
    // (tool, arguments, the file holding the bad content: `state` itself or one inside it)
    let keepers: Vec<(&str, &Vec<String>, &str)> = vec![
        ("evlock-devnet", &devnet_args, "state"),
        ("evlock-relay", &listen, "state/outbox.ndjson"),
        ("evlock-relay", &listen, "state/received.ndjson"),
        ("evlock-relay", &listen, "state/peers.ndjson"),
        ("evlock-relay", &connect, "state/received.ndjson"),
        ("evlock-trade", &deliver, "state"),
    ];
    let contents = bad_files("seq");
    let mut jobs = Vec::new();
    for (i, keeper) in keepers.iter().enumerate() {
        for (j, content) in contents.iter().enumerate() {
            jobs.push((i, j, keeper, content));
        }
    }
    in_parallel(jobs, |(i, j, (bin, args, file), (what, content))| {
        let dir = root.path().join(format!("state-{i}-{j}"));
        std::fs::create_dir_all(dir.join("state")).unwrap();
        std::fs::write(dir.join("pw"), "pw\n").unwrap();
        if *file == "state" {
            std::fs::remove_dir(dir.join("state")).unwrap();
        }
        match content {
            Some(bytes) => std::fs::write(dir.join(file), bytes).unwrap(),
            None => std::fs::create_dir(dir.join(file)).unwrap(),
        }
        let before = snapshot(&dir);
        let (code, out, err) = sweep_case(bin, &dir, args, b"", None, Stdout::Pipe);
        assert_eq!(code, Some(2), "{bin} with {file} holding {what}: {err}");
        let name = Path::new(file).file_name().unwrap().to_str().unwrap();
        assert!(err.contains(name), "{bin} with {file} holding {what}: the message names no file: {err}");
        assert!(err.len() < 4096, "{bin} with {file} holding {what} echoes it: {} bytes", err.len());
        assert_eq!(out, "", "{bin} with {file} holding {what} wrote to stdout");
        // The link's folder lock (empty, taken before its files are read) is all that is new.
        let mut after = snapshot(&dir);
        if after.get("state/lock").is_some_and(|lock| lock.is_empty()) {
            after.remove("state/lock");
        }
        assert_eq!(changed(&before, &after), Vec::<String>::new(), "{bin} with {file} holding {what}");
    });
}
