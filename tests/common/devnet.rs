//! A running `evlock-devnet` for tests, and the steps a user takes against it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use super::{lines, run};

/// A running devnet, killed when dropped.
pub struct Devnet {
    pub child: Child,
    pub url: String,
    pub chain_id: String,
    pub accounts: Vec<String>,
    pub block_number: u64,
}

impl Devnet {
    /// Starts the `evlock-devnet` built with the tests, or the one named by
    /// `EVLOCK_TEST_DEVNET`: scripts/cross runs the ARM tests under emulation against a
    /// native (x86_64) devnet, so that the ARM tools are the clients of a chain on the host.
    pub fn start(dir: &Path, extra: &[&str]) -> Devnet {
        // Through the target's runner (qemu-user for the ARM targets), or the native one named.
        let command = match std::env::var_os("EVLOCK_TEST_DEVNET") {
            Some(native) => Command::new(native),
            None => super::command("evlock-devnet"),
        };
        Devnet::start_command(command, dir, extra)
    }

    /// Starts `command` (the devnet binary, maybe with limits set on it) like [`Devnet::start`].
    pub fn start_command(mut command: Command, dir: &Path, extra: &[&str]) -> Devnet {
        let mut child = command
            .env_clear()
            .current_dir(dir)
            .args(["--port", "0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let record: Value = serde_json::from_str(&first).unwrap_or_else(|e| panic!("{e}: {first:?}"));
        assert_eq!(record["kind"], "devnet");
        Devnet {
            child,
            url: record["url"].as_str().unwrap().to_string(),
            chain_id: record["chain_id"].as_str().unwrap().to_string(),
            block_number: record["block_number"].as_str().unwrap().parse().unwrap(),
            accounts: record["accounts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["address"].as_str().unwrap().to_string())
                .collect(),
        }
    }

    pub fn rpc(&self, dir: &Path, method: &str, params: Value) -> Value {
        let out = run("evlock-relay", dir, &["rpc", "--rpc", &self.url, method, &params.to_string()], "");
        assert!(out.status.success(), "{method}: {}", String::from_utf8_lossy(&out.stderr));
        lines(&out.stdout)[0]["result"].clone()
    }

    pub fn balance(&self, dir: &Path, address: &str) -> u128 {
        let hex = self.rpc(dir, "eth_getBalance", json!([address, "latest"]));
        u128::from_str_radix(hex.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The signing key of dev account `index` (the documented dev mnemonic, m/44'/8217'/0'/0/i).
pub fn dev_key(index: u32) -> k256::ecdsa::SigningKey {
    let seed =
        evlock::keys::mnemonic::Phrase::parse(evlock::tools::devnet::DEV_MNEMONIC).unwrap().to_seed("");
    let path = format!("m/44'/8217'/0'/0/{index}");
    evlock::keys::hd::derive_key(&*seed, &path).unwrap().signing_key().clone()
}

/// The documented dev mnemonic's file.
pub fn mnemonic() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/devnet-mnemonic.txt")
}

/// Keystores for the first `count` dev accounts, from the documented dev mnemonic.
pub fn dev_keys(dir: &Path, count: u32) -> Vec<(String, String)> {
    std::fs::write(dir.join("pw"), "pw\n").unwrap();
    let out = run(
        "evlock-keygen",
        dir,
        &[
            "import",
            "--mnemonic-file",
            mnemonic().to_str().unwrap(),
            "--count",
            &count.to_string(),
            "--password-file",
            "pw",
            "--light-kdf",
            "--out-dir",
            "dev",
        ],
        "",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    lines(&out.stdout)
        .iter()
        .map(|r| (r["keystore"].as_str().unwrap().into(), r["address"].as_str().unwrap().into()))
        .collect()
}

pub fn sign(dir: &Path, key: &str, role: &str, input: &str) -> String {
    let out = run("evlock-sign", dir, &["--key", key, "--role", role, "--password-file", "pw"], input);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

pub fn submit(dir: &Path, url: &str, input: &str) -> (Option<i32>, Vec<Value>, String) {
    let out = run("evlock-relay", dir, &["submit", "--rpc", url, "--timeout", "20s"], input);
    (out.status.code(), lines(&out.stdout), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// `evlock-trade ARGS` as `from` against `devnet` (and `contract`, when not empty), signed
/// with `key` and submitted; returns the relay's receipts, panicking unless all succeeded.
pub fn trade_step(
    dir: &Path,
    devnet: &Devnet,
    key: &(String, String),
    contract: &str,
    args: &[&str],
) -> Vec<Value> {
    // A subcommand's own options follow it: `evlock-trade deploy --from … --rpc …`.
    let (command, rest) = args.split_first().expect("a subcommand");
    let mut all: Vec<&str> = vec![command, "--rpc", &devnet.url, "--from", &key.1];
    if !contract.is_empty() {
        all.extend(["--contract", contract]);
    }
    all.extend(rest);
    let out = run("evlock-trade", dir, &all, "");
    assert!(out.status.success(), "evlock-trade {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let signed = sign(dir, &key.0, "sender", &String::from_utf8(out.stdout).unwrap());
    let (code, receipts, stderr) = submit(dir, &devnet.url, &signed);
    assert_eq!(code, Some(0), "{args:?}: {stderr}");
    receipts
}

/// A deployed EnergyMarket with one trade in delivery: `keys[0]` is the registrar, `keys[1]`
/// the seller, `keys[2]` the buyer, `keys[3]` the seller's meter, `keys[4]` the buyer's.
/// Returns the market's address.
pub fn market_with_a_trade(dir: &Path, devnet: &Devnet, keys: &[(String, String)], energy: &str) -> String {
    let receipts = trade_step(dir, devnet, &keys[0], "", &["deploy", "--delivery-blocks", "1000"]);
    let market = receipts[0]["contract_address"].as_str().unwrap().to_string();
    for (meter, owner) in [(3, 1), (4, 2)] {
        let args = ["register-meter", "--meter", &keys[meter].1, "--owner", &keys[owner].1];
        trade_step(dir, devnet, &keys[0], &market, &args);
    }
    trade_step(dir, devnet, &keys[1], &market, &["offer", "--energy", energy, "--price", "2ston/Wh"]);
    trade_step(dir, devnet, &keys[2], &market, &["buy", "--offer", "1"]);
    market
}

/// The arguments of `evlock-trade deliver` for the seller's meter of trade 1 of `market` on
/// the node at `url`: keystore `key` (password file `pw`), the simulated meter `sim:SIM` as
/// device and switch, the journal `journal`, then `extra`.
pub fn seller_delivery(
    url: &str,
    market: &str,
    key: &str,
    sim: &str,
    journal: &str,
    extra: &[&str],
) -> Vec<String> {
    let device = format!("sim:{sim}");
    let switch = format!("sim:{}", sim.split('?').next().unwrap_or(sim));
    let args = ["--rpc", url, "--contract", market, "deliver", "--trade", "1", "--role", "seller"];
    let mut args: Vec<String> = args.map(String::from).to_vec();
    let meter = ["--key", key, "--password-file", "pw", "--device", &device, "--switch", &switch];
    args.extend(meter.map(String::from));
    args.extend(["--journal".into(), journal.into()]);
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}
