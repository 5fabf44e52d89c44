//! The local delivery pipeline's latency, printed (a bench binary):
//!
//!     cargo bench --bench pipeline
//!
//! A running pipeline `evlock-trade report | evlock-sign | evlock-relay submit` against a real
//! `evlock-devnet` on loopback, all processes started once: the time from writing one
//! `reading` record into the pipeline to reading the `receipt` of the report it caused
//! (gas estimation, signing, submission and mining included). The goal is under 20 ms
//! (`docs/architecture.md`, "Performance goals").

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "../tests/common/mod.rs"]
mod common;

use common::devnet::{Devnet, dev_keys};

fn bin(name: &str) -> Command {
    let mut command = Command::new(common::bin(name));
    command.env_clear().stderr(Stdio::inherit());
    command
}

/// Runs a tool to completion with `input`; its stdout.
fn run(dir: &Path, name: &str, args: &[&str], input: &str) -> String {
    let output = common::run(name, dir, args, input);
    assert!(output.status.success(), "{name} {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// trade ARGS --from FROM | sign --key KEY | relay submit; the receipts.
fn step(dir: &Path, url: &str, market: Option<&str>, from: &str, key: &str, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["--rpc", url];
    if let Some(market) = market {
        all.extend(["--contract", market]);
    }
    all.extend(args);
    all.extend(["--from", from]);
    let txs = run(dir, "evlock-trade", &all, "");
    let signed = run(dir, "evlock-sign", &["--key", key, "--password-file", "pw"], &txs);
    let receipts = run(dir, "evlock-relay", &["submit", "--rpc", url], &signed);
    let receipts: Vec<Value> = receipts.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(receipts.iter().all(|r| r["status"] == "success"), "{args:?}: {receipts:?}");
    receipts
}

fn latency() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let keys = dev_keys(dir, 3);
    let (seller, buyer, meter) = (&keys[0], &keys[1], &keys[2]);

    let devnet = Devnet::start(dir, &[]);
    let url = devnet.url.clone();

    let deployed = step(dir, &url, None, &seller.1, &seller.0, &["deploy", "--delivery-blocks", "100000"]);
    let market = deployed[0]["contract_address"].as_str().unwrap().to_string();
    let m = Some(market.as_str());
    step(dir, &url, m, &seller.1, &seller.0, &["register-meter", "--meter", &meter.1, "--owner", &seller.1]);
    step(dir, &url, m, &seller.1, &seller.0, &["register-meter", "--meter", &buyer.1, "--owner", &buyer.1]);
    step(
        dir,
        &url,
        m,
        &seller.1,
        &seller.0,
        &["offer", "--energy", "100kWh", "--price", "1ston/Wh", "--expires-in", "1000blocks"],
    );
    step(dir, &url, m, &buyer.1, &buyer.0, &["buy", "--offer", "1"]);

    // The pipeline, started once: readings in, receipts out.
    let mut trade: Child = bin("evlock-trade")
        .current_dir(dir)
        .args([
            "--rpc",
            &url,
            "--contract",
            &market,
            "report",
            "--trade",
            "1",
            "--every",
            "1Wh",
            "--from",
            &meter.1,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sign = bin("evlock-sign")
        .current_dir(dir)
        .args(["--key", &meter.0, "--password-file", "pw"])
        .stdin(trade.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut relay = bin("evlock-relay")
        .current_dir(dir)
        .args(["submit", "--rpc", &url, "--poll", "50ms", "-q"])
        .stdin(sign.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut readings = trade.stdin.take().unwrap();
    let mut receipts = BufReader::new(relay.stdout.take().unwrap());
    let reading = |seq: u64| {
        format!(
            "{}\n",
            json!({"kind": "reading", "v": 1, "device": "bench", "seq": seq,
                   "time": format!("2026-11-24T10:{:02}:{:02}Z", (seq / 60) % 60, seq % 60),
                   "volts": 12.0, "amps": 2.0, "watts": 24.0, "energy_wh": seq, "energy_mwh": seq * 1000})
        )
    };
    readings.write_all(reading(0).as_bytes()).unwrap();
    let n = 300u64;
    let mut times: Vec<Duration> = Vec::with_capacity(n as usize);
    for seq in 1..=n {
        let start = Instant::now();
        readings.write_all(reading(seq).as_bytes()).unwrap();
        readings.flush().unwrap();
        let mut line = String::new();
        receipts.read_line(&mut line).unwrap();
        times.push(start.elapsed());
        let receipt: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(receipt["status"], "success", "{receipt}");
    }
    drop(readings);
    for child in [&mut trade, &mut sign, &mut relay] {
        child.wait().unwrap();
    }
    drop(devnet);
    times.sort();
    println!(
        "reading → evlock-trade report → evlock-sign → evlock-relay submit → receipt, running pipeline on \
         loopback: median {:.2?}, p99 {:.2?}, min {:.2?} over {n} reports",
        times[times.len() / 2],
        times[times.len() * 99 / 100],
        times[0]
    );
}

fn main() {
    // `cargo test --all-targets` runs benches in test mode: keep that quick.
    if std::env::args().any(|a| a == "--bench") {
        latency();
    } else {
        println!("pipeline bench: run with `cargo bench --bench pipeline`");
    }
}
