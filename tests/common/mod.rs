//! The one helper module of the integration tests and the benches (which include it with
//! `#[path = "../tests/common/mod.rs"]`): running the real binaries, NDJSON lines, keys, the
//! pinned npm reference implementations of `tests/js`; a running devnet ([`devnet`]), the
//! in-process market ([`market`]), the JSON-RPC fixtures ([`rpc`]) and the operator–meter
//! link's certificates and processes ([`link`]). The Modbus pty rig is
//! in the library: `evlock::meter::modbus::slave::Slave::on_pty`.

#![allow(dead_code)]

pub mod anvil;
pub mod devnet;
pub mod faults;
pub mod link;
pub mod market;
pub mod rpc;
pub mod txgen;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

/// The folder of the npm reference scripts.
pub fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

/// Whether the npm packages are installed; panics with the fix when they are not, unless
/// `EVLOCK_SKIP_NODE_TESTS=1` says to skip (the test then returns early).
pub fn node_ready() -> bool {
    if js_dir().join("node_modules/ethers").exists() {
        return true;
    }
    if std::env::var("EVLOCK_SKIP_NODE_TESTS").as_deref() == Ok("1") {
        eprintln!("skipping: tests/js/node_modules is missing and EVLOCK_SKIP_NODE_TESTS=1");
        return false;
    }
    panic!("tests/js/node_modules is missing: run `npm ci --prefix tests/js` (scripts/test does it)");
}

/// Runs `node SCRIPT ARGS` in tests/js with `input` on stdin; returns stdout, panicking with
/// stderr on failure.
pub fn node(script: &str, args: &[&str], input: &str) -> String {
    let mut child = Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(js_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node is installed");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        output.status.success(),
        "node {script} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The path of one of our binaries, as cargo built it for this test or bench.
pub fn bin(name: &str) -> &'static str {
    match name {
        "evlock-keygen" => env!("CARGO_BIN_EXE_evlock-keygen"),
        "evlock-sign" => env!("CARGO_BIN_EXE_evlock-sign"),
        "evlock-relay" => env!("CARGO_BIN_EXE_evlock-relay"),
        "evlock-trade" => env!("CARGO_BIN_EXE_evlock-trade"),
        "evlock-devnet" => env!("CARGO_BIN_EXE_evlock-devnet"),
        "evlock-sense" => env!("CARGO_BIN_EXE_evlock-sense"),
        "evlock-calibrate" => env!("CARGO_BIN_EXE_evlock-calibrate"),
        other => panic!("no binary {other}"),
    }
}

/// Runs one of our binaries with a scrubbed environment, `input` on stdin, in `dir`.
pub fn run(bin: &str, dir: &Path, args: &[&str], input: &str) -> std::process::Output {
    run_with_env(bin, dir, args, &[], input)
}

/// One of our binaries as a command: behind the target's runner when the tests run under
/// emulation (assert_cmd reads `CARGO_TARGET_<TRIPLE>_RUNNER`, which .cargo/config.toml sets to
/// qemu-user for the ARM targets); natively, [`bin`] itself.
pub fn command(name: &str) -> Command {
    Command::cargo_bin(name).unwrap()
}

/// Runs one of our binaries with a scrubbed environment plus `env`, `input` on stdin, in `dir`.
pub fn run_with_env(
    name: &str,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    input: &str,
) -> std::process::Output {
    run_command_with_env(command(name), dir, args, env, input)
}

/// [`run`] for a prepared command (another build of a tool, behind its runner).
pub fn run_command(command: Command, dir: &Path, args: &[&str], input: &str) -> std::process::Output {
    run_command_with_env(command, dir, args, &[], input)
}

fn run_command_with_env(
    mut command: Command,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    input: &str,
) -> std::process::Output {
    let mut child = command
        .env_clear()
        .envs(env.iter().copied())
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    // A tool that stops reading early (a refused record) closes its stdin: not an error here.
    let _ = writer.join().unwrap();
    output
}

/// Values as NDJSON text, one per line.
pub fn ndjson(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

/// NDJSON text into values (a line that is not JSON fails the test, naming it).
pub fn lines(text: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(text)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect()
}

/// Imports a raw private key (hex) as a light keystore under `dir/name/`; returns its path
/// and address. The password file is `dir/pw`.
pub fn import_key(dir: &Path, key_hex: &str, name: &str) -> (String, String) {
    std::fs::write(dir.join("pw"), "pw\n").unwrap();
    std::fs::write(dir.join("key.hex"), key_hex).unwrap();
    let out = run(
        "evlock-keygen",
        dir,
        &[
            "import",
            "--private-key-file",
            "key.hex",
            "--password-file",
            "pw",
            "--light-kdf",
            "--out-dir",
            name,
        ],
        "",
    );
    std::fs::remove_file(dir.join("key.hex")).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let record = &lines(&out.stdout)[0];
    (record["keystore"].as_str().unwrap().to_string(), record["address"].as_str().unwrap().to_string())
}

/// A small deterministic PRNG (splitmix64) so a failing run can be replayed from its seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
    pub fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
}
