//! Foundry's `anvil` and `cast`, from the npm packages pinned in tests/js (their binaries ship
//! inside `@foundry-rs/{anvil,cast}-<os>-<arch>`), for the interop tests.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{js_dir, lines, run};

/// The path of a Foundry binary (`anvil`, `cast`) inside tests/js/node_modules; `None` (the
/// test then returns early) only when it is missing and `EVLOCK_SKIP_NODE_TESTS=1`.
pub fn foundry_bin(tool: &str) -> Option<PathBuf> {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let path = js_dir()
        .join("node_modules/@foundry-rs")
        .join(format!("{tool}-{}-{arch}", std::env::consts::OS))
        .join("bin")
        .join(tool);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("EVLOCK_SKIP_NODE_TESTS").as_deref() == Ok("1") {
        eprintln!("skipping: {} is missing and EVLOCK_SKIP_NODE_TESTS=1", path.display());
        return None;
    }
    panic!("{} is missing: run `npm ci --prefix tests/js` (scripts/test does it)", path.display());
}

/// `cast ARGS` in `dir`; returns stdout, panicking with stderr on failure.
pub fn cast(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(foundry_bin("cast").expect("cast is installed"))
        .current_dir(dir)
        .env("FOUNDRY_DISABLE_NIGHTLY_WARNING", "1")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "cast {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A running anvil on a free loopback port, killed when dropped.
pub struct Anvil {
    child: Child,
    pub url: String,
}

impl Anvil {
    /// Starts anvil (chain id 31337, the `test test … junk` accounts, one block per
    /// transaction) and waits until it answers; `None` when the binary is missing and skipping
    /// is asked for.
    pub fn start(extra: &[&str]) -> Option<Anvil> {
        let bin = foundry_bin("anvil")?;
        // A port nobody listens on: bound, then let go.
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut anvil = Anvil { child, url: format!("http://127.0.0.1:{port}") };
        let started = Instant::now();
        loop {
            let answer = http_chain_id(&anvil.url);
            if answer.as_deref() == Some("0x7a69") {
                return Some(anvil);
            }
            if let Ok(Some(status)) = anvil.child.try_wait() {
                panic!("anvil exited at start: {status}");
            }
            assert!(started.elapsed() < Duration::from_secs(60), "anvil does not answer on {}", anvil.url);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One JSON-RPC call through `evlock-relay rpc`.
    pub fn rpc(&self, dir: &Path, method: &str, params: Value) -> Value {
        let out = run("evlock-relay", dir, &["rpc", "--rpc", &self.url, method, &params.to_string()], "");
        assert!(out.status.success(), "{method}: {}", String::from_utf8_lossy(&out.stderr));
        lines(&out.stdout)[0]["result"].clone()
    }

    /// An account's balance in wei.
    pub fn balance(&self, dir: &Path, address: &str) -> u128 {
        let hex = self.rpc(dir, "eth_getBalance", json!([address, "latest"]));
        u128::from_str_radix(hex.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `eth_chainId` over a bare HTTP/1.1 request (no client to set up while anvil starts).
fn http_chain_id(url: &str) -> Option<String> {
    use std::io::{Read, Write};
    let address = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let json: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1)?).ok()?;
    json["result"].as_str().map(str::to_string)
}

/// Keystores of anvil's first `count` dev accounts: the documented mnemonic at Ethereum's
/// path m/44'/60'/0'/0/i (the devnet uses Kaia's, m/44'/8217'/0'/0/i). Returns (keystore,
/// address) pairs, in account order.
pub fn anvil_keys(dir: &Path, count: u32) -> Vec<(String, String)> {
    std::fs::write(dir.join("pw"), "pw\n").unwrap();
    let out = run(
        "evlock-keygen",
        dir,
        &[
            "import",
            "--mnemonic-file",
            super::devnet::mnemonic().to_str().unwrap(),
            "--hd-path",
            "m/44'/60'/0'/0",
            "--count",
            &count.to_string(),
            "--password-file",
            "pw",
            "--light-kdf",
            "--out-dir",
            "anvil-keys",
        ],
        "",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    lines(&out.stdout)
        .iter()
        .map(|r| (r["keystore"].as_str().unwrap().into(), r["address"].as_str().unwrap().into()))
        .collect()
}
