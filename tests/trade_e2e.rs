//! Trades end to end with the real binaries on a real `evlock-devnet` over HTTP:
//! evlock-trade → evlock-sign → evlock-relay, meters' readings streamed into reports.

mod common;

use std::path::Path;

use assert_cmd::cargo::CommandCargoExt;
use common::devnet::{Devnet, dev_keys, seller_delivery, sign, submit};
use common::{lines, run};
use serde_json::{Value, json};

const PRICE_PEB_PER_WH: u128 = 2_000_000_000; // 2 ston/Wh

/// The parties of a market: registrar/operator, seller, buyer, and the two meters.
struct Market<'a> {
    dir: &'a Path,
    devnet: &'a Devnet,
    keys: Vec<(String, String)>,
    contract: String,
}

const REGISTRAR: usize = 0;
const SELLER: usize = 1;
const BUYER: usize = 2;
const SELLER_METER: usize = 3;
const BUYER_METER: usize = 4;

impl<'a> Market<'a> {
    fn addr(&self, who: usize) -> &str {
        &self.keys[who].1
    }

    /// `evlock-trade ARGS` as `who`, with the node and market from flags (and the sender,
    /// for the commands that build transactions; `deliver` takes it from its key).
    fn trade(&self, who: usize, args: &[&str], input: &str) -> std::process::Output {
        let mut all: Vec<&str> = vec!["--rpc", &self.devnet.url];
        if !self.contract.is_empty() {
            all.extend(["--contract", &self.contract]);
        }
        all.extend(args);
        if !matches!(args.first(), Some(&("status" | "watch" | "deliver"))) {
            all.extend(["--from", self.addr(who)]);
        }
        run("evlock-trade", self.dir, &all, input)
    }

    /// trade → sign → submit; returns relay's exit code, its receipts and its stderr.
    fn step(&self, who: usize, args: &[&str]) -> (Option<i32>, Vec<Value>, String) {
        let out = self.trade(who, args, "");
        assert!(out.status.success(), "evlock-trade {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let signed = sign(self.dir, &self.keys[who].0, "sender", &String::from_utf8(out.stdout).unwrap());
        submit(self.dir, &self.devnet.url, &signed)
    }

    fn ok(&self, who: usize, args: &[&str]) -> Vec<Value> {
        let (code, receipts, stderr) = self.step(who, args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(receipts.iter().all(|r| r["status"] == "success"), "{receipts:?}");
        receipts
    }

    /// The transaction reverts: relay exits 1 and the receipt carries `reason`.
    fn reverts(&self, who: usize, args: &[&str], reason: &str) {
        let (code, receipts, stderr) = self.step(who, args);
        assert_eq!(code, Some(1), "{args:?} should revert: {stderr}");
        assert_eq!(receipts[0]["status"], "reverted", "{receipts:?}");
        assert_eq!(receipts[0]["revert_reason"], reason, "{args:?}");
    }

    fn status(&self, what: &str, id: &str) -> Value {
        let out = self.trade(REGISTRAR, &["status", what, id], "");
        assert!(out.status.success(), "status {what} {id}: {}", String::from_utf8_lossy(&out.stderr));
        let record = lines(&out.stdout).remove(0);
        assert_eq!(record["kind"], "status");
        record["fields"].clone()
    }

    /// A meter's readings piped into `evlock-trade report`, signed by the meter with the
    /// operator paying the gas, and submitted. Returns the cumulative values reported.
    fn report_stream(&self, meter: usize, trade: &str, every: &str, readings: &str) -> Vec<u64> {
        let operator = self.addr(REGISTRAR).to_string();
        let out = self.trade(
            meter,
            &["report", "--trade", trade, "--every", every, "--fee-payer", &operator],
            readings,
        );
        assert!(out.status.success(), "report: {}", String::from_utf8_lossy(&out.stderr));
        let txs = lines(&out.stdout);
        assert!(txs.iter().all(|t| t["type"] == "fee_delegated_smart_contract_execution"));
        let reported: Vec<u64> = txs
            .iter()
            .map(|t| t["meta"]["market"]["cumulative_wh"].as_str().unwrap().parse().unwrap())
            .collect();
        let signed = sign(self.dir, &self.keys[meter].0, "sender", &String::from_utf8(out.stdout).unwrap());
        let signed = sign(self.dir, &self.keys[REGISTRAR].0, "fee-payer", &signed);
        let (code, receipts, stderr) = submit(self.dir, &self.devnet.url, &signed);
        assert_eq!(code, Some(0), "{stderr}");
        assert_eq!(receipts.len(), reported.len());
        reported
    }

    fn balance(&self, who: usize) -> u128 {
        self.devnet.balance(self.dir, self.addr(who))
    }
}

/// Readings of a meter delivering `wh_per_second` for `seconds` from a total of `start_mwh`.
fn readings(start_mwh: u64, mwh_per_second: u64, seconds: u64) -> String {
    (0..=seconds)
        .map(|s| {
            let total = start_mwh + s * mwh_per_second;
            format!(
                "{}\n",
                json!({"kind": "reading", "v": 1, "device": "sim:test", "seq": s,
                       "time": format!("2026-11-24T10:{:02}:{:02}.000Z", s / 60, s % 60),
                       "volts": 12.8, "amps": 2.0, "watts": 25.6, "energy_wh": total / 1000, "energy_mwh": total,
                       "counters": {}, "health": {"ok": true, "alarms": []}})
            )
        })
        .collect()
}

fn fee(receipts: &[Value]) -> u128 {
    receipts
        .iter()
        .map(|r| {
            r["gas_used"].as_str().unwrap().parse::<u128>().unwrap()
                * r["effective_gas_price"].as_str().unwrap().parse::<u128>().unwrap()
        })
        .sum()
}

fn deploy<'a>(dir: &'a Path, devnet: &'a Devnet, delivery_blocks: &str) -> Market<'a> {
    let mut market = Market { dir, devnet, keys: dev_keys(dir, 5), contract: String::new() };
    let receipts = market.ok(REGISTRAR, &["deploy", "--delivery-blocks", delivery_blocks]);
    market.contract = receipts[0]["contract_address"].as_str().unwrap().to_string();
    for (meter, owner) in [(SELLER_METER, SELLER), (BUYER_METER, BUYER)] {
        let (meter, owner) = (market.addr(meter).to_string(), market.addr(owner).to_string());
        market.ok(REGISTRAR, &["register-meter", "--meter", &meter, "--owner", &owner]);
    }
    market
}

/// Mines `blocks` blocks with tiny transfers from the registrar.
fn mine(market: &Market, blocks: u64) {
    let from = market.addr(REGISTRAR);
    let nonce: u64 = u64::from_str_radix(
        market.devnet.rpc(market.dir, "eth_getTransactionCount", json!([from, "pending"])).as_str().unwrap()
            [2..]
            .as_ref(),
        16,
    )
    .unwrap();
    let txs: String = (0..blocks)
        .map(|i| {
            format!(
                "{}\n",
                json!({"kind": "tx", "type": "value_transfer", "chain_id": market.devnet.chain_id, "nonce": (nonce + i).to_string(),
                       "gas": "21000", "gas_price": "25000000000", "from": from, "to": market.addr(BUYER_METER), "value": "1"})
            )
        })
        .collect();
    let (code, _, stderr) =
        submit(market.dir, &market.devnet.url, &sign(market.dir, &market.keys[REGISTRAR].0, "sender", &txs));
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_complete_trade_and_one_cut_short_with_an_over_reporting_seller() {
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    let market = deploy(dir.path(), &devnet, "40");

    // Offer 500 Wh at 2 ston/Wh; the buyer's escrow is read from the offer.
    market.ok(SELLER, &["offer", "--energy", "500Wh", "--price", "2ston/Wh", "--expires-in", "100blocks"]);
    let offer = market.status("offer", "1");
    assert_eq!(offer["state"], "open");
    assert_eq!(offer["escrow"]["peb"], (500 * PRICE_PEB_PER_WH).to_string());
    let buyer_before = market.balance(BUYER);
    let receipts = market.ok(BUYER, &["buy", "--offer", "1", "--max-price", "2ston/Wh"]);
    assert_eq!(
        market.balance(BUYER),
        buyer_before - 500 * PRICE_PEB_PER_WH - fee(&receipts),
        "escrow and gas"
    );

    // Both meters stream readings; reports are cumulative, increasing, and end at 500 Wh.
    let seller_reports = market.report_stream(SELLER_METER, "1", "60s", &readings(7_000_000, 600, 900));
    let buyer_reports = market.report_stream(BUYER_METER, "1", "100Wh", &readings(0, 550, 1000));
    for reports in [&seller_reports, &buyer_reports] {
        assert!(reports.windows(2).all(|w| w[0] < w[1]), "{reports:?}");
        assert_eq!(*reports.last().unwrap(), 500);
    }
    assert_eq!(buyer_reports, vec![100, 200, 300, 400, 500]);
    assert_eq!(seller_reports[0], 36, "60 s at 0.6 Wh/s");
    let trade = market.status("trade", "1");
    assert_eq!(
        (trade["seller_report_wh"].as_str(), trade["buyer_report_wh"].as_str()),
        (Some("500"), Some("500"))
    );

    // Settle and withdraw: the seller gets the whole escrow, minus its own gas.
    let seller_before = market.balance(SELLER);
    let settle = market.ok(SELLER, &["settle", "--trade", "1"]);
    let withdraw = market.ok(SELLER, &["withdraw"]);
    assert_eq!(
        market.balance(SELLER),
        seller_before + 500 * PRICE_PEB_PER_WH - fee(&settle) - fee(&withdraw)
    );
    assert_eq!(market.status("trade", "1")["state"], "settled");
    assert_eq!(market.status("credit", market.addr(SELLER))["credit"], "1");
    assert_eq!(market.status("credit", market.addr(BUYER))["credit"], "1");
    market.reverts(BUYER, &["withdraw"], "nothing to withdraw");

    // Trade 2 is cut short: the buyer's meter sees 200 Wh, the seller's claims 450 Wh.
    market.ok(SELLER, &["offer", "--energy", "500Wh", "--price", "2ston/Wh"]);
    market.ok(BUYER, &["buy", "--offer", "2"]);
    assert_eq!(
        market.report_stream(SELLER_METER, "2", "150Wh", &readings(0, 1_000, 450)),
        vec![150, 300, 450]
    );
    assert_eq!(
        market.report_stream(BUYER_METER, "2", "1m", &readings(0, 1_000, 200)),
        vec![60, 120, 180, 200]
    );
    market.reverts(SELLER, &["settle", "--trade", "2"], "trade still in delivery");
    mine(&market, 41);
    let seller_before = market.balance(SELLER);
    let buyer_before = market.balance(BUYER);
    let settle = market.ok(BUYER, &["settle", "--trade", "2"]);
    let seller_withdraw = market.ok(SELLER, &["withdraw"]);
    let buyer_withdraw = market.ok(BUYER, &["withdraw"]);
    assert_eq!(
        market.balance(SELLER),
        seller_before + 200 * PRICE_PEB_PER_WH - fee(&seller_withdraw),
        "paid the buyer's figure"
    );
    assert_eq!(
        market.balance(BUYER),
        buyer_before + 300 * PRICE_PEB_PER_WH - fee(&settle) - fee(&buyer_withdraw),
        "the undelivered rest back"
    );
    assert_eq!(market.status("credit", market.addr(SELLER))["credit"], "-2", "+1 then -3");
    assert_eq!(market.status("credit", market.addr(BUYER))["credit"], "-2");
    let trade = market.status("trade", "2");
    assert_eq!(trade["delivered_wh"], "200");

    // Every step is in the event log, in order.
    let out = market.trade(REGISTRAR, &["watch", "--from-block", "0"], "");
    assert!(out.status.success());
    let events = lines(&out.stdout);
    let names: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(names.iter().filter(|n| **n == "MeterRegistered").count(), 2);
    assert_eq!(
        names.iter().filter(|n| **n == "Reported").count(),
        seller_reports.len() + buyer_reports.len() + 7
    );
    let settled: Vec<&Value> = events.iter().filter(|e| e["event"] == "TradeSettled").collect();
    assert_eq!(settled[0]["fields"]["delivered_wh"], "500");
    assert_eq!(settled[0]["fields"]["complete"], true);
    assert_eq!(settled[1]["fields"]["delivered_wh"], "200");
    assert_eq!(settled[1]["fields"]["buyer_refund"], (300 * PRICE_PEB_PER_WH).to_string());
    assert!(events.windows(2).all(|w| w[0]["block"].as_str().unwrap().parse::<u64>().unwrap()
        <= w[1]["block"].as_str().unwrap().parse::<u64>().unwrap()));
}

#[test]
fn bad_requests_revert_with_their_reasons_through_the_relay() {
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    let market = deploy(dir.path(), &devnet, "100");
    market.ok(SELLER, &["offer", "--energy", "100Wh", "--price", "1ston/Wh"]);

    market.reverts(BUYER, &["buy", "--offer", "99"], "unknown offer");
    market.reverts(SELLER, &["buy", "--offer", "1"], "cannot buy own offer");
    market.reverts(BUYER, &["buy", "--offer", "1", "--max-price", "0.5ston/Wh"], "price above maximum");
    market.reverts(SELLER, &["settle", "--trade", "7"], "unknown trade");
    market.ok(BUYER, &["buy", "--offer", "1"]);
    // The buyer's own account is no registered meter; a meter reports, then goes backwards.
    market.reverts(BUYER, &["report", "--trade", "1", "--wh", "10"], "meter not registered");
    market.ok(SELLER_METER, &["report", "--trade", "1", "--wh", "60"]);
    market.reverts(SELLER_METER, &["report", "--trade", "1", "--wh", "50"], "report decreased");
    market.reverts(SELLER_METER, &["report", "--trade", "1", "--wh", "101"], "report exceeds trade energy");
    market.reverts(SELLER, &["settle", "--trade", "1"], "trade still in delivery");
    market.reverts(SELLER, &["cancel", "--offer", "1"], "offer not open");

    // The tool itself: a missing offer in status is a definite no; bad ids are usage errors.
    let out = market.trade(REGISTRAR, &["status", "offer", "42"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("offer 42 does not exist"));
    let out = market.trade(REGISTRAR, &["status", "trade", "x1"], "");
    assert_eq!(out.status.code(), Some(2));
    let out = market.trade(REGISTRAR, &["offer", "--energy", "5 joules", "--price", "1ston"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown unit"));
    // A report stream that is fed garbage names the line; an alarm stops it with exit 1.
    let out =
        market.trade(SELLER_METER, &["report", "--trade", "1"], "{\"kind\":\"reading\",\"seq\":\"x\"}\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("\"line\":1"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alarm = json!({"kind": "alarm", "v": 1, "code": "energy_reset", "device": "sim:test", "seq": 3,
                       "time": "2026-11-24T10:00:03Z", "message": "energy total went down"});
    let input = format!("{}{alarm}\n{}", readings(0, 1000, 20), readings(20_000, 1000, 50));
    let out = market.trade(SELLER_METER, &["report", "--trade", "1", "--every", "10Wh"], &input);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("energy_reset"));
    let reported: Vec<String> = lines(&out.stdout)
        .iter()
        .map(|t| t["meta"]["market"]["cumulative_wh"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(reported, vec!["70", "80"], "resumes above the 60 Wh on chain; stops at the alarm");
}

#[test]
fn offline_use_needs_no_node_and_a_dead_node_is_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let market = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    let args = [
        "--contract",
        market,
        "--chain-id",
        "1001",
        "--nonce",
        "5",
        "--gas-price",
        "25ston",
        "--gas",
        "90000",
    ];
    let input = readings(0, 1_000, 30);
    let mut all = vec!["report", "--trade", "3", "--every", "10Wh", "--energy", "25Wh"];
    all.extend(args);
    let out = run("evlock-trade", dir.path(), &all, &input);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let txs = lines(&out.stdout);
    let summary: Vec<(String, String)> = txs
        .iter()
        .map(|t| {
            (
                t["nonce"].as_str().unwrap().into(),
                t["meta"]["market"]["cumulative_wh"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![("5".into(), "10".into()), ("6".into(), "20".into()), ("7".into(), "25".into())]
    );
    assert!(txs.iter().all(|t| t["gas"] == "90000" && t["chain_id"] == "1001" && t["to"] == market));

    let out = run("evlock-trade", dir.path(), &["settle", "--trade", "1", "--contract", market], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--chain-id or --rpc"));

    // A bare number is never taken in the smallest unit: the error shows how to write it.
    let offline = ["--contract", market, "--chain-id", "1001", "--nonce", "0", "--gas", "90000"];
    for (flag, bare, example) in [
        ("--price", "2", "e.g. 2ston/Wh"),
        ("--energy", "500", "e.g. 500Wh"),
        ("--gas-price", "25", "e.g. 25ston"),
        ("--expires-in", "600", "e.g. 600blocks"),
    ] {
        let mut all = vec!["offer", "--energy", "500Wh", "--price", "2ston/Wh", "--expiry-block", "99"];
        all.extend(offline);
        all.extend(["--gas-price", "25ston"]);
        if flag == "--expires-in" {
            all.retain(|a| *a != "--expiry-block" && *a != "99");
        }
        let at = all.iter().position(|a| *a == flag);
        match at {
            Some(at) => all[at + 1] = bare,
            None => all.extend([flag, bare]),
        }
        let out = run("evlock-trade", dir.path(), &all, "");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {bare}: {stderr}");
        assert!(stderr.contains("has no unit") && stderr.contains(example), "{flag} {bare}: {stderr}");
    }
    // Reading commands do not offer the options of a transaction.
    for extra in [["--nonce", "3"], ["--gas-price", "25ston"], ["--fee-payer", market]] {
        for read in [&["status", "trade", "1"][..], &["watch"][..]] {
            let mut all = read.to_vec();
            all.extend(extra);
            let out = run("evlock-trade", dir.path(), &all, "");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{all:?}: {stderr}");
            assert!(stderr.contains(&format!("unexpected argument '{}'", extra[0])), "{all:?}: {stderr}");
        }
    }

    // A port nobody listens on: bound, then let go.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dead = format!("http://127.0.0.1:{port}");
    let out = run(
        "evlock-trade",
        dir.path(),
        &["--rpc", &dead, "--retries", "0", "status", "trade", "1", "--contract", market],
        "",
    );
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("127.0.0.1:{port}")));
}

/// `evlock-trade deliver` for one meter; returns its exit code, stdout records and stderr.
fn deliver(
    market: &Market,
    meter: usize,
    role: &str,
    trade: &str,
    extra: &[&str],
) -> (Option<i32>, Vec<Value>, String) {
    deliver_with_stdin(market, meter, role, trade, extra, "")
}

/// The arguments of `evlock-trade deliver` for one meter, the node and market included.
fn deliver_args(market: &Market, meter: usize, role: &str, trade: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["--rpc", &market.devnet.url, "--contract", &market.contract];
    args.extend([
        "deliver",
        "--trade",
        trade,
        "--role",
        role,
        "--key",
        &market.keys[meter].0,
        "--password-file",
        "pw",
        "--fee-payer-key",
        &market.keys[REGISTRAR].0,
        "--fee-payer-password-file",
        "pw",
    ]);
    args.extend(extra);
    args.into_iter().map(str::to_string).collect()
}

/// [`deliver`] started in the background, its stdout and stderr in `NAME.out` and `NAME.err`
/// of the market's folder (or stdout piped, for a pipeline).
fn spawn_deliver(market: &Market, name: &str, args: &[String], pipe: bool) -> std::process::Child {
    let file = |ext: &str| std::fs::File::create(market.dir.join(format!("{name}.{ext}"))).unwrap();
    let stdout = if pipe { std::process::Stdio::piped() } else { file("out").into() };
    std::process::Command::cargo_bin("evlock-trade")
        .unwrap()
        .env_clear()
        .current_dir(market.dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(stdout)
        .stderr(file("err"))
        .spawn()
        .unwrap()
}

/// Waits (20 s at most) until `NAME.err` in the market's folder holds `needle`.
fn wait_for_stderr(market: &Market, name: &str, needle: &str) {
    let path = market.dir.join(format!("{name}.err"));
    let start = std::time::Instant::now();
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.contains(needle) {
            return;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(20), "no {needle:?} in {name}:\n{text}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Waits (20 s at most) for a child to end; its exit code.
fn wait_exit(child: &mut std::process::Child) -> Option<i32> {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if start.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("still running after 20 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// [`deliver`] with `stdin` on its standard input.
fn deliver_with_stdin(
    market: &Market,
    meter: usize,
    role: &str,
    trade: &str,
    extra: &[&str],
    stdin: &str,
) -> (Option<i32>, Vec<Value>, String) {
    let mut args = vec![
        "deliver",
        "--trade",
        trade,
        "--role",
        role,
        "--key",
        &market.keys[meter].0,
        "--password-file",
        "pw",
        "--fee-payer-key",
        &market.keys[REGISTRAR].0,
        "--fee-payer-password-file",
        "pw",
    ];
    args.extend(extra);
    let out = market.trade(meter, &args, stdin);
    (out.status.code(), lines(&out.stdout), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn delivery_sessions_meter_report_settle_and_stop_on_alarms() {
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    let market = deploy(dir.path(), &devnet, "60");
    market.ok(SELLER, &["offer", "--energy", "20Wh", "--price", "2ston/Wh"]);
    market.ok(BUYER, &["buy", "--offer", "1"]);

    // The seller's battery (12 V, 2 A: 24 W) delivers 20 Wh in 3000 s of virtual time.
    let sim = ["--clock", "virtual", "--interval", "1s", "--every", "600s"];
    let mut args = vec![
        "--device",
        "sim:seller?volts=12&amps=2",
        "--switch",
        "sim:seller",
        "--journal",
        "seller.ndjson",
    ];
    args.extend(sim);
    let (code, records, stderr) = deliver(&market, SELLER_METER, "seller", "1", &args);
    assert_eq!(code, Some(0), "{stderr}");
    let receipts: Vec<&Value> = records.iter().filter(|r| r["kind"] == "receipt").collect();
    // 24 W for 600 s is 4 Wh between reports (a little less as the battery sags), ending at 20.
    let reported: Vec<u64> = receipts
        .iter()
        .map(|r| r["meta"]["market"]["cumulative_wh"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(reported.windows(2).all(|w| w[0] < w[1] && w[1] - w[0] <= 4), "{reported:?}");
    assert!(reported[0] <= 4 && reported.len() >= 5, "{reported:?}");
    assert_eq!(*reported.last().unwrap(), 20);
    assert!(receipts.iter().all(|r| r["status"] == "success" && r["fee_payer"] == market.addr(REGISTRAR)));
    let status = records.last().unwrap();
    assert_eq!(
        (status["kind"].as_str(), status["fields"]["seller_report_wh"].as_str()),
        (Some("status"), Some("20"))
    );
    assert_eq!(status["fields"]["state"], "delivering", "left for the buyer's meter or the deadline");
    let journal = std::fs::read_to_string(dir.path().join("seller.ndjson")).unwrap();
    assert_eq!(journal.lines().filter(|l| l.contains("\"event\":\"report\"")).count(), reported.len());
    assert!(journal.lines().any(|l| l.contains("\"event\":\"delivered\"")));

    // Run again: nothing is reported twice.
    let (code, records, stderr) = deliver(&market, SELLER_METER, "seller", "1", &args);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(records.iter().all(|r| r["kind"] != "receipt"), "{records:?}");
    assert_eq!(records.last().unwrap()["fields"]["seller_report_wh"], "20", "{records:?}");

    // The buyer's meter finishes, and its session settles the trade complete.
    let mut args =
        vec!["--device", "sim:buyer?volts=12&amps=3", "--switch", "sim:buyer", "--journal", "buyer.ndjson"];
    args.extend(sim);
    let (code, records, stderr) = deliver(&market, BUYER_METER, "buyer", "1", &args);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(records.last().unwrap()["fields"]["state"], "settled");
    assert_eq!(market.status("credit", market.addr(SELLER))["credit"], "1");
    assert_eq!(
        market.status("balance", market.addr(SELLER))["withdrawable"]["peb"],
        (20 * PRICE_PEB_PER_WH).to_string()
    );

    // Trade 2: the seller's meter is put to sleep after 10 minutes: the alarm stops the
    // delivery with exit 1, the relay is opened, and the trade waits for its deadline.
    market.ok(SELLER, &["offer", "--energy", "20Wh", "--price", "2ston/Wh"]);
    market.ok(BUYER, &["buy", "--offer", "2"]);
    let mut args = vec![
        "--device",
        "sim:sleepy?volts=12&amps=2&fault=sleep@1000s",
        "--switch",
        "sim:sleepy",
        "--journal",
        "sleepy.ndjson",
    ];
    args.extend(sim);
    let (code, records, stderr) = deliver(&market, SELLER_METER, "seller", "2", &args);
    assert_eq!(code, Some(1), "{stderr}");
    let alarm = records.iter().find(|r| r["kind"] == "alarm").expect("an alarm record");
    assert_eq!(alarm["code"], "shutdown");
    let reported = market.status("trade", "2")["seller_report_wh"].as_str().unwrap().parse::<u64>().unwrap();
    assert!((1..=7).contains(&reported), "reports up to the alarm only: {reported}");
    assert!(
        std::fs::read_to_string(dir.path().join("sleepy.ndjson")).unwrap().contains("\"event\":\"alarm\"")
    );

    // A meter that is not the trade's side is refused before anything moves.
    let (code, _, stderr) = deliver(&market, BUYER_METER, "seller", "2", &args);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("not to trade 2's seller"), "{stderr}");
}

#[test]
fn a_killed_delivery_resumes_without_reporting_twice() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    let market = deploy(dir.path(), &devnet, "300");
    market.ok(SELLER, &["offer", "--energy", "40Wh", "--price", "2ston/Wh"]);
    market.ok(BUYER, &["buy", "--offer", "1"]);
    // 48 V × 75 A = 1 Wh a second of wall-clock time; a report per Wh. The two interrupted runs
    // stop after a receipt or two, far below the trade's 40 Wh even on a slow machine.
    let extra = ["--interval", "50ms", "--every", "1Wh"];
    let key = &market.keys[SELLER_METER].0;
    let args =
        seller_delivery(&devnet.url, &market.contract, key, "fast?volts=48&amps=75", "j.ndjson", &extra);
    // Started, and stopped after its first receipt: by SIGKILL (a crash), then by SIGTERM
    // (a clean stop: relay opened, exit 130).
    let start_and_stop = |signal: i32| {
        let mut child = std::process::Command::cargo_bin("evlock-trade")
            .unwrap()
            .env_clear()
            .current_dir(dir.path())
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while stdout.read_line(&mut line).unwrap() > 0 && !line.contains("\"receipt\"") {
            line.clear();
        }
        // SAFETY: signalling our own child process.
        assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
        let output = child.wait_with_output().unwrap();
        (output.status, rest, String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let (status, _, _) = start_and_stop(libc::SIGKILL);
    assert_eq!(status.code(), None, "killed");
    let before = market.status("trade", "1")["seller_report_wh"].as_str().unwrap().parse::<u64>().unwrap();
    assert!((1..40).contains(&before), "killed mid-way: {before}");
    let (status, rest, stderr) = start_and_stop(libc::SIGTERM);
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("the relay is open"), "{stderr}");
    assert!(rest.contains("\"kind\":\"status\""), "the trade's status comes last: {rest}");
    let stopped = market.status("trade", "1")["seller_report_wh"].as_str().unwrap().parse::<u64>().unwrap();
    assert!(stopped > before && stopped < 40, "stopped mid-way again: {stopped}");

    // The third run finishes on the virtual clock (the journal is what carries over).
    let mut last_run: Vec<&str> = args.iter().map(String::as_str).collect();
    last_run.extend(["--clock", "virtual"]);
    let out = run("evlock-trade", dir.path(), &last_run, "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(market.status("trade", "1")["seller_report_wh"], "40");
    // Every report on chain is higher than the one before: none was sent twice.
    let out = market.trade(REGISTRAR, &["watch", "--from-block", "0"], "");
    let reports: Vec<u64> = lines(&out.stdout)
        .iter()
        .filter(|e| e["event"] == "Reported")
        .map(|e| e["fields"]["cumulative_wh"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(reports.windows(2).all(|w| w[0] < w[1]), "{reports:?}");
    assert_eq!(*reports.last().unwrap(), 40);
}

#[test]
fn watch_follows_new_blocks() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    let market = deploy(dir.path(), &devnet, "50");
    // Following from the next block: the registrations are history, only what comes next is
    // written, however long the watcher takes to start.
    let head = devnet.rpc(dir.path(), "eth_blockNumber", json!([]));
    let next =
        (u64::from_str_radix(head.as_str().unwrap().trim_start_matches("0x"), 16).unwrap() + 1).to_string();
    let mut child = std::process::Command::cargo_bin("evlock-trade")
        .unwrap()
        .env_clear()
        .args(["--rpc", &devnet.url, "--contract", &market.contract, "watch", "--follow", "--poll", "50ms"])
        .args(["--from-block", &next])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    market.ok(SELLER, &["offer", "--energy", "10Wh", "--price", "1ston/Wh"]);
    let (sender, received) = std::sync::mpsc::channel();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = stdout.read_line(&mut line);
        let _ = sender.send(line);
    });
    let line = received.recv_timeout(std::time::Duration::from_secs(20));
    child.kill().unwrap();
    child.wait().unwrap();
    let line = line.expect("watch --follow wrote the new event within 20 s");
    let event: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["event"], "OfferCreated");
    assert_eq!(event["fields"]["energy_wh"], "10");
    assert_eq!(event["fields"]["seller"], market.addr(SELLER));
}

#[test]
fn a_report_stream_ends_once_the_energy_is_reported_even_if_readings_go_on() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::cargo_bin("evlock-trade")
        .unwrap()
        .env_clear()
        .current_dir(dir.path())
        .args([
            "report",
            "--trade",
            "3",
            "--every",
            "10Wh",
            "--energy",
            "25Wh",
            "--contract",
            "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            "--chain-id",
            "1001",
            "--nonce",
            "0",
            "--gas-price",
            "25ston",
            "--gas",
            "90000",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Readings well past 25 Wh, and stdin left open, as from an endless `evlock-sense`.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(readings(0, 1_000, 60).as_bytes()).unwrap();
    stdin.flush().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "still reading after the whole energy was reported");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    drop(stdin);
    assert!(status.success());
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    let reported: Vec<String> = lines(out.as_bytes())
        .iter()
        .map(|t| t["meta"]["market"]["cumulative_wh"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(reported, vec!["10", "20", "25"]);
}

#[test]
fn the_key_rotation_example_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = assert_cmd::cargo::cargo_bin("evlock-trade");
    let output = std::process::Command::new("bash")
        .arg(root.join("examples/rotate.sh"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("EVLOCK_BIN", bin.parent().unwrap())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{err}");
    // The chain named why the stolen key was refused, and the new key's report counted.
    assert!(
        err.contains("RoleTransaction key (AccountKeyPublic)") && err.contains("ErrInvalidAccountKey"),
        "{err}"
    );
    assert!(err.contains("done: the meter kept its address"), "{err}");
    assert!(err.contains("the new key's receipt counts after set-signer"), "{err}");
    assert!(err.contains("are signed by"), "before set-signer the receipt is left out: {err}");
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(out.contains("\"seller_report_wh\": \"50\""), "{out}");
}

/// Meter `meter`'s receipts of `trade` for each of `figures`, signed by `evlock-sign` under a
/// test bench's policy (`allow_receipts` for this market only): `delivery_receipt` records.
fn bench_receipts(market: &Market, meter: usize, trade: &str, figures: &[u64]) -> String {
    receipts_for(market, &market.contract, meter, trade, figures)
}

/// [`bench_receipts`] for the market contract `contract`.
fn receipts_for(market: &Market, contract: &str, meter: usize, trade: &str, figures: &[u64]) -> String {
    let policy = market.dir.join("bench.toml");
    std::fs::write(&policy, format!("allow_receipts = true\nreceipt_markets = [\"{contract}\"]\n")).unwrap();
    let requests: String = figures
        .iter()
        .map(|wh| {
            format!(
                "{}\n",
                json!({"kind": "delivery_receipt", "v": 1, "market": contract, "trade_id": trade,
                       "cumulative_wh": wh.to_string()})
            )
        })
        .collect();
    let args = [
        "--key",
        &market.keys[meter].0,
        "--password-file",
        "pw",
        "--chain-id",
        &market.devnet.chain_id,
        "--policy",
        "bench.toml",
    ];
    let out = run("evlock-sign", market.dir, &args, &requests);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_version_2_market_binds_meters_with_consent_and_settles_with_receipts_through_the_tools() {
    const NEXT_REGISTRAR: usize = 5;
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    let mut market =
        Market { dir: dir.path(), devnet: &devnet, keys: dev_keys(dir.path(), 6), contract: String::new() };
    let receipts = market.ok(
        REGISTRAR,
        &["--market-version", "2", "deploy", "--delivery-blocks", "40", "--grace-blocks", "5"],
    );
    assert_eq!(receipts[0]["status"], "success");
    market.contract = receipts[0]["contract_address"].as_str().unwrap().to_string();
    let (seller_meter, buyer_meter) =
        (market.addr(SELLER_METER).to_string(), market.addr(BUYER_METER).to_string());

    // The node tells the version: version 1's register-meter is refused before anything is
    // built, and so is insisting on the wrong version.
    let out = market.trade(
        REGISTRAR,
        &["register-meter", "--meter", &seller_meter, "--owner", market.addr(SELLER)],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("version 2 binds a meter with consent") && err.contains("meter propose"), "{err}");
    assert!(out.stdout.is_empty());
    let out = market.trade(SELLER, &["--market-version", "1", "withdraw"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is an EnergyMarket version 2"));

    // The registrar proposes; a meter counts only once its owner accepted it.
    for (meter, owner) in [(&seller_meter, SELLER), (&buyer_meter, BUYER)] {
        market.ok(REGISTRAR, &["meter", "propose", "--meter", meter, "--owner", market.addr(owner)]);
        assert_eq!(market.status("meter", meter)["state"], "proposed");
    }
    market.reverts(BUYER, &["meter", "accept", "--meter", &seller_meter], "only the meter's owner");
    market.ok(SELLER, &["meter", "accept", "--meter", &seller_meter]);
    market.ok(BUYER, &["meter", "accept", "--meter", &buyer_meter]);
    let meter = market.status("meter", &seller_meter);
    assert_eq!(
        (meter["state"].as_str(), meter["owner"].as_str()),
        (Some("active"), Some(market.addr(SELLER)))
    );
    assert_eq!(meter["signer"], seller_meter, "a meter signs with its own key until told otherwise");

    // Offer and buy on version 2 (the credit minimums are version 2's).
    let sent = market.ok(
        SELLER,
        &[
            "offer",
            "--energy",
            "100Wh",
            "--price",
            "2ston/Wh",
            "--expires-in",
            "100blocks",
            "--min-buyer-credit",
            "-3",
        ],
    );
    assert_eq!(sent.len(), 1);
    assert_eq!(market.status("offer", "1")["state"], "open");
    market.ok(BUYER, &["buy", "--offer", "1", "--min-seller-credit", "0"]);
    assert_eq!(market.status("trade", "1")["state"], "delivering");

    // Receipts from both meters; a submit puts each meter's highest on chain, in one
    // transaction, as EIP-1559 (every market call honours --tx-type).
    let seller_receipts = bench_receipts(&market, SELLER_METER, "1", &[30, 60, 130]);
    let buyer_receipts = bench_receipts(&market, BUYER_METER, "1", &[20, 40, 100]);
    let early = format!(
        "{}{}",
        seller_receipts.lines().take(2).map(|l| format!("{l}\n")).collect::<String>(),
        buyer_receipts.lines().take(2).map(|l| format!("{l}\n")).collect::<String>()
    );
    let out = market.trade(SELLER, &["receipts", "submit", "--tx-type", "eip1559"], &early);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tx = lines(&out.stdout).remove(0);
    assert_eq!(tx["type"], "eip1559");
    assert_eq!(tx["meta"]["market"]["action"], "submitReceipts");
    let carried: Vec<&str> = tx["meta"]["market"]["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cumulative_wh"].as_str().unwrap())
        .collect();
    assert_eq!(carried.len(), 2, "one receipt per meter: {carried:?}");
    assert!(carried.contains(&"60") && carried.contains(&"40"), "{carried:?}");
    let signed = sign(market.dir, &market.keys[SELLER].0, "sender", &String::from_utf8(out.stdout).unwrap());
    let (code, sent, stderr) = submit(market.dir, &devnet.url, &signed);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(sent[0]["status"], "success");
    let trade = market.status("trade", "1");
    assert_eq!(
        (trade["seller_report_wh"].as_str(), trade["buyer_report_wh"].as_str()),
        (Some("60"), Some("40"))
    );

    // A receipt for another market is refused (exit 2), naming both; nothing is written.
    let elsewhere =
        receipts_for(&market, "0x5FbDB2315678afecb367f032d93F642f64180aa3", SELLER_METER, "1", &[70]);
    let out = market.trade(SELLER, &["receipts", "settle", "--trade", "1"], &elsewhere);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("a delivery receipt for market"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());

    // A receipt signed by a key that is not the meter's signer is left out, not sent to
    // revert the settle.
    let mut forged: Value = lines(buyer_receipts.lines().last().unwrap().as_bytes()).remove(0);
    let by_seller = bench_receipts(&market, SELLER, "1", &[100]);
    let by_seller: Value = lines(by_seller.as_bytes()).remove(0);
    for field in ["r", "s", "y_parity"] {
        forged[field] = by_seller[field].clone();
    }
    let mut forged = {
        let mut map = forged.as_object().unwrap().clone();
        map.remove("signer");
        map.remove("digest");
        Value::Object(map)
    };
    forged["meter"] = json!(buyer_meter);
    // Settle: each side's latest receipt and the settlement in one transaction.
    let all = format!("{seller_receipts}{buyer_receipts}");
    let out = market.trade(SELLER, &["receipts", "settle", "--trade", "1"], &all);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tx = lines(&out.stdout).remove(0);
    assert_eq!(tx["meta"]["market"]["action"], "settleWithReceipts");
    let figures: Vec<&str> = tx["meta"]["market"]["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cumulative_wh"].as_str().unwrap())
        .collect();
    assert_eq!(figures, vec!["130", "100"], "the seller side's latest, then the buyer side's");
    let forged_input = format!("{forged}\n");
    let out_forged = market.trade(SELLER, &["receipts", "submit"], &forged_input);
    assert!(out_forged.status.success(), "{}", String::from_utf8_lossy(&out_forged.stderr));
    assert!(out_forged.stdout.is_empty(), "the forged receipt is not sent");
    assert!(String::from_utf8_lossy(&out_forged.stderr).contains("the contract would refuse it"));
    let seller_before = market.balance(SELLER);
    let signed = sign(market.dir, &market.keys[SELLER].0, "sender", &String::from_utf8(out.stdout).unwrap());
    let (code, sent, stderr) = submit(market.dir, &devnet.url, &signed);
    assert_eq!(code, Some(0), "{stderr}");
    let settle_fee = fee(&sent);
    let trade = market.status("trade", "1");
    assert_eq!(trade["state"], "settled");
    assert_eq!(trade["delivered_wh"], "100", "an overshooting count is the whole energy");
    let receipts = market.ok(SELLER, &["withdraw"]);
    assert_eq!(market.balance(SELLER), seller_before - settle_fee - fee(&receipts) + 100 * PRICE_PEB_PER_WH);

    // The owner sets the meter's signing address; either party revokes; the registrar hands
    // over in two steps.
    let new_signer = market.addr(NEXT_REGISTRAR).to_string();
    market.reverts(
        BUYER,
        &["meter", "set-signer", "--meter", &seller_meter, "--signer", &new_signer],
        "only the meter's owner",
    );
    market.ok(SELLER, &["meter", "set-signer", "--meter", &seller_meter, "--signer", &new_signer]);
    assert_eq!(market.status("meter", &seller_meter)["signer"], new_signer.as_str());
    market.ok(BUYER, &["meter", "revoke", "--meter", &buyer_meter]);
    let revoked = market.status("meter", &buyer_meter);
    assert_eq!((revoked["state"].as_str(), revoked["last_trade"].as_str()), (Some("revoked"), Some("1")));
    market.reverts(NEXT_REGISTRAR, &["registrar", "accept"], "only the proposed registrar");
    market.ok(REGISTRAR, &["registrar", "propose", "--registrar", &new_signer]);
    market.ok(NEXT_REGISTRAR, &["registrar", "accept"]);
    let spare = market.addr(SELLER).to_string();
    market.reverts(
        REGISTRAR,
        &["meter", "propose", "--meter", &spare, "--owner", &spare],
        "only the registrar",
    );
    market.ok(NEXT_REGISTRAR, &["meter", "propose", "--meter", &spare, "--owner", &spare]);

    // `watch` decodes version 2's events too.
    let out = market.trade(REGISTRAR, &["watch", "--from-block", "0"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = lines(&out.stdout);
    let names: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
    for name in [
        "MeterProposed",
        "MeterAccepted",
        "OfferCreated",
        "TradeOpened",
        "ReceiptAccepted",
        "TradeSettled",
        "MeterSignerChanged",
        "MeterRevoked",
        "RegistrarProposed",
        "RegistrarChanged",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let offer = events.iter().find(|e| e["event"] == "OfferCreated").unwrap();
    assert_eq!(offer["fields"]["min_buyer_credit"], "-3");

    // Offline, the version 2 commands need no node and build version 2's calls.
    let offline = run(
        "evlock-trade",
        market.dir,
        &[
            "--contract",
            &market.contract,
            "meter",
            "accept",
            "--meter",
            &seller_meter,
            "--chain-id",
            "1001",
            "--nonce",
            "0",
            "--gas-price",
            "25ston",
        ],
        "",
    );
    assert!(offline.status.success(), "{}", String::from_utf8_lossy(&offline.stderr));
    let tx = lines(&offline.stdout).remove(0);
    assert_eq!(
        (tx["meta"]["market"]["action"].as_str(), tx["meta"]["market"]["version"].as_str()),
        (Some("acceptMeter"), Some("2"))
    );
    let refused = run(
        "evlock-trade",
        market.dir,
        &[
            "--contract",
            &market.contract,
            "--market-version",
            "1",
            "meter",
            "revoke",
            "--meter",
            &seller_meter,
            "--chain-id",
            "1001",
            "--nonce",
            "0",
            "--gas-price",
            "25ston",
        ],
        "",
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("meter revoke needs version 2"));
}

/// A version 2 market whose two meters were proposed by the registrar and accepted by their
/// owners.
fn deploy_v2<'a>(dir: &'a Path, devnet: &'a Devnet, delivery_blocks: &str, grace_blocks: &str) -> Market<'a> {
    let mut market = Market { dir, devnet, keys: dev_keys(dir, 5), contract: String::new() };
    let args = [
        "--market-version",
        "2",
        "deploy",
        "--delivery-blocks",
        delivery_blocks,
        "--grace-blocks",
        grace_blocks,
    ];
    let receipts = market.ok(REGISTRAR, &args);
    market.contract = receipts[0]["contract_address"].as_str().unwrap().to_string();
    for (meter, owner) in [(SELLER_METER, SELLER), (BUYER_METER, BUYER)] {
        let (meter, owner_address) = (market.addr(meter).to_string(), market.addr(owner).to_string());
        market.ok(REGISTRAR, &["meter", "propose", "--meter", &meter, "--owner", &owner_address]);
        market.ok(owner, &["meter", "accept", "--meter", &meter]);
    }
    market
}

fn block_number(market: &Market) -> u64 {
    let hex = market.devnet.rpc(market.dir, "eth_blockNumber", json!([]));
    u64::from_str_radix(hex.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

fn figures(records: &[Value], kind: &str) -> Vec<u64> {
    records
        .iter()
        .filter(|r| r["kind"] == kind)
        .map(|r| r["cumulative_wh"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn on_version_2_a_seller_whose_buyer_goes_quiet_opens_its_relay_and_is_paid_the_last_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    let market = deploy_v2(dir.path(), &devnet, "30", "5");
    market.ok(SELLER, &["offer", "--energy", "100Wh", "--price", "2ston/Wh"]);
    market.ok(BUYER, &["buy", "--offer", "1"]);
    let sim = ["--clock", "virtual", "--interval", "1s", "--every", "10Wh"];

    // The buyer's meter (36 W) falls asleep after 3300 s: its session signed receipts of its
    // own readings up to 30 Wh, journaled each before writing it, and stops (exit 1).
    let mut args = vec![
        "--device",
        "sim:buyer?volts=12&amps=3&fault=sleep@3300s",
        "--switch",
        "sim:buyer",
        "--journal",
        "buyer.ndjson",
        "--receipts-to",
        "seller-box",
    ];
    args.extend(sim);
    // Figures on its stdin (a reading claiming the whole energy, a receipt request) are never
    // signed: the session signs only what its own meter measured.
    let forged = format!(
        "{}{}\n",
        readings(0, 100_000, 1),
        json!({"kind": "delivery_receipt", "v": 1, "market": market.contract, "trade_id": "1", "cumulative_wh": "100"})
    );
    let (code, records, stderr) = deliver_with_stdin(&market, BUYER_METER, "buyer", "1", &args, &forged);
    assert_eq!(code, Some(1), "{stderr}");
    let acknowledged = figures(&records, "delivery_receipt");
    assert!(acknowledged.windows(2).all(|w| w[0] < w[1]), "{acknowledged:?}");
    let last_ack = *acknowledged.last().unwrap();
    assert!((25..=33).contains(&last_ack), "about 30 %: {acknowledged:?}");
    assert!(records.iter().all(|r| r["kind"] != "receipt"), "no report transactions on version 2");
    assert!(
        records.iter().filter(|r| r["kind"] == "delivery_receipt").all(|r| r["meta"]["to"] == "seller-box"),
        "addressed for the link to route: {records:?}"
    );
    let journal = std::fs::read_to_string(dir.path().join("buyer.ndjson")).unwrap();
    assert_eq!(journal.lines().filter(|l| l.contains("\"event\":\"receipt\"")).count(), acknowledged.len());
    // What the link carries to the seller's side.
    let link: String =
        records.iter().filter(|r| r["kind"] == "delivery_receipt").map(|r| format!("{r}\n")).collect();
    std::fs::write(dir.path().join("link.ndjson"), link).unwrap();

    // A version 2 seller not told where the buyer's receipts come from is refused before
    // anything moves, unless it says --unprotected; a buyer has nothing to be unprotected of.
    let mut bare = vec!["--device", "sim:seller", "--journal", "bare.ndjson"];
    bare.extend(sim);
    let (code, _, stderr) = deliver(&market, SELLER_METER, "seller", "1", &bare);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--counterpart-receipts FILE") && stderr.contains("--unprotected"), "{stderr}");
    bare.push("--unprotected");
    let (code, _, stderr) = deliver(&market, BUYER_METER, "buyer", "1", &bare);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--unprotected is a version 2 seller's"), "{stderr}");
    assert!(!dir.path().join("bare.ndjson").exists(), "refused before the journal is made");

    // The seller delivers while the buyer's receipts keep up, and opens its relay within one
    // step of them falling behind by more than one step; it puts the buyer's last receipt on
    // chain at once, then waits for the end of the grace window to settle, saying until when.
    let mut extra = vec![
        "--device",
        "sim:seller?volts=12&amps=2",
        "--switch",
        "sim:seller",
        "--journal",
        "seller.ndjson",
        "--counterpart-receipts",
        "link.ndjson",
    ];
    extra.extend(sim);
    let args = deliver_args(&market, SELLER_METER, "seller", "1", &extra);
    let mut seller = spawn_deliver(&market, "seller", &args, false);
    wait_for_stderr(&market, "seller", "waiting until block");
    let trade = market.status("trade", "1");
    assert_eq!(trade["buyer_report_wh"], last_ack.to_string(), "on chain before the wait");
    let deadline: u64 = trade["deadline_block"].as_str().unwrap().parse().unwrap();
    let stderr = std::fs::read_to_string(dir.path().join("seller.err")).unwrap();
    assert!(stderr.contains(&format!("waiting until block {}", deadline + 6)), "{stderr}");
    // The wait is interruptible (the relay is open already); a run again resumes it.
    // SAFETY: signalling our own child process.
    assert_eq!(unsafe { libc::kill(seller.id() as i32, libc::SIGTERM) }, 0);
    assert_eq!(wait_exit(&mut seller), Some(130));
    let records = lines(&std::fs::read(dir.path().join("seller.out")).unwrap());
    let alarm = records.iter().find(|r| r["kind"] == "alarm").expect("an alarm");
    assert_eq!(alarm["code"], "counterparty_silent", "{alarm}");
    assert_eq!(alarm["details"]["acknowledged_wh"], last_ack);
    let delivered = figures(&records, "delivery_receipt");
    let stopped_at = *delivered.last().unwrap();
    assert!(stopped_at > last_ack + 10 && stopped_at <= last_ack + 20, "{delivered:?} against {last_ack}");
    let submitted: Vec<&Value> = records.iter().filter(|r| r["kind"] == "receipt").collect();
    assert_eq!(submitted.len(), 1, "{records:?}");
    assert_eq!(submitted[0]["status"], "success");

    // The late-settle attack: right after the deadline the buyer's plain settle is refused,
    // and the chain already holds its last receipt.
    mine(&market, deadline + 1 - block_number(&market));
    market.reverts(BUYER, &["settle", "--trade", "1"], "trade in its grace window");

    // The seller's session, run again, keeps the relay open, waits out the grace window and
    // settles with both sides' receipts: paid for what the buyer's meter signed, at least
    // 30 % less one step.
    let mut seller = spawn_deliver(&market, "seller-again", &args, false);
    wait_for_stderr(&market, "seller-again", &format!("waiting until block {}", deadline + 6));
    mine(&market, deadline + 6 - block_number(&market));
    let code = wait_exit(&mut seller);
    let stderr = std::fs::read_to_string(dir.path().join("seller-again.err")).unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    let records = lines(&std::fs::read(dir.path().join("seller-again.out")).unwrap());
    assert!(figures(&records, "delivery_receipt").is_empty(), "nothing delivered again: {records:?}");
    let status = records.last().unwrap();
    assert_eq!(status["fields"]["state"], "settled");
    assert_eq!(status["fields"]["delivered_wh"], last_ack.to_string());
    assert_eq!(status["fields"]["seller_report_wh"], stopped_at.to_string());
    assert!(last_ack >= 20);
    assert_eq!(
        market.status("balance", market.addr(SELLER))["withdrawable"]["peb"],
        (u128::from(last_ack) * PRICE_PEB_PER_WH).to_string()
    );
}

#[test]
fn on_version_2_the_link_carries_the_buyers_receipts_to_the_seller_who_settles_with_them() {
    use common::link::{Pki, Stdin, connect, listen, read_records};
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path();
    let devnet = Devnet::start(w, &[]);
    let market = deploy_v2(w, &devnet, "300", "5");
    market.ok(SELLER, &["offer", "--energy", "6Wh", "--price", "2ston/Wh"]);
    market.ok(BUYER, &["buy", "--offer", "1"]);
    // The operator passes delivery receipts between meters' boxes (mutual TLS): meter-17 is
    // the seller's, meter-18 the buyer's.
    let pki = Pki::new();
    let (_operator, address) =
        listen(&pki, w, "operator", &["--route", "meter-*:meter-*:delivery_receipt"], Stdin::Null);
    let seller_box = connect(&pki, w, "meter-17", &address, &[], Stdin::Null);
    // 95 V × 95 A: 2.5 Wh a second of wall-clock time, a receipt per Wh.
    let sim = ["--switch", "sim:fast", "--interval", "50ms", "--every", "1Wh"];
    let mut extra = vec!["--device", "sim:fast?volts=95&amps=95&noise=0", "--journal", "buyer.ndjson"];
    extra.extend(sim);
    extra.extend(["--receipts-to", "meter-17"]);
    // The buyer's board: `deliver | evlock-relay connect --exit-on-eof`.
    let mut buyer =
        spawn_deliver(&market, "buyer", &deliver_args(&market, BUYER_METER, "buyer", "1", &extra), true);
    let pipe = Stdin::Pipe(buyer.stdout.take().unwrap());
    let mut buyer_box = connect(&pki, w, "meter-18", &address, &["--exit-on-eof"], pipe);
    // The seller starts once its box has the buyer's first receipt (both simulated meters
    // run on their own, so the one started first is ahead); the allowance covers the link's
    // delay on a busy machine.
    let logs = || -> String {
        ["buyer.err", "meter-18.err", "operator.err", "meter-17.err"]
            .iter()
            .map(|f| format!("{f}:\n{}\n", std::fs::read_to_string(w.join(f)).unwrap_or_default()))
            .collect()
    };
    let start = std::time::Instant::now();
    while seller_box.records().is_empty() {
        assert!(start.elapsed() < std::time::Duration::from_secs(20), "no receipt came:\n{}", logs());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut extra = vec!["--device", "sim:fast?volts=95&amps=95&noise=0", "--journal", "seller.ndjson"];
    extra.extend(sim);
    let inbox = seller_box.stdout.display().to_string();
    extra.extend(["--counterpart-receipts", &inbox, "--max-unacknowledged", "3Wh"]);
    let (code, records, stderr) = deliver(&market, SELLER_METER, "seller", "1", &extra);
    assert_eq!(code, Some(0), "{stderr}\n{}", logs());
    assert!(records.iter().all(|r| r["kind"] != "alarm"), "the relay stayed closed: {records:?}");
    assert_eq!(figures(&records, "delivery_receipt").last(), Some(&6));
    // It settled, carrying the buyer's latest receipt as it came over the link (the buyer's
    // session puts nothing on chain): a complete trade.
    let status = records.last().unwrap();
    assert_eq!(status["fields"]["state"], "settled", "{records:?}");
    assert_eq!(status["fields"]["delivered_wh"], "6");
    assert_eq!(status["fields"]["buyer_report_wh"], "6");
    let settled: Vec<&Value> = records.iter().filter(|r| r["kind"] == "receipt").collect();
    assert_eq!(settled.len(), 1, "one transaction: {records:?}");
    let call = &settled[0]["meta"]["market"];
    assert_eq!(call["action"], "settleWithReceipts", "{call}");
    let buyer_meter = market.addr(BUYER_METER).to_lowercase();
    assert!(
        call["receipts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["meter"].as_str().unwrap().to_lowercase() == buyer_meter && r["cumulative_wh"] == "6"),
        "the buyer's latest receipt: {call}"
    );
    assert_eq!(market.status("credit", market.addr(SELLER))["credit"], "1");
    assert_eq!(wait_exit(&mut buyer), Some(0));
    assert!(buyer_box.wait(std::time::Duration::from_secs(20)).success(), "{}", buyer_box.stderr_text());

    // What the seller's box wrote: the buyer meter's receipts, from meter-18, rising to the
    // whole energy; the seller's journal kept them as they came.
    let inbox = read_records(&seller_box.stdout);
    assert!(inbox.iter().all(|r| r["kind"] == "delivery_receipt" && r["meta"]["from"]["name"] == "meter-18"));
    let carried = figures(&inbox, "delivery_receipt");
    assert!(carried.windows(2).all(|w| w[0] < w[1]) && carried.last() == Some(&6), "{carried:?}");
    let journal = std::fs::read_to_string(w.join("seller.ndjson")).unwrap();
    let kept: Vec<u64> = journal
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["event"] == "counterpart")
        .map(|e| e["cumulative_wh"].as_u64().unwrap())
        .collect();
    assert_eq!(kept.last(), Some(&6), "{kept:?}");
    assert!(kept.len() > 1, "{kept:?}");
}

#[test]
fn on_version_2_killed_deliveries_resume_without_losing_or_double_counting_a_receipt() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    let market = deploy_v2(dir.path(), &devnet, "300", "5");
    market.ok(SELLER, &["offer", "--energy", "40Wh", "--price", "2ston/Wh"]);
    market.ok(BUYER, &["buy", "--offer", "1"]);
    // 48 V × 75 A = 1 Wh a second of wall-clock time; a receipt per Wh.
    let session = |meter: usize, role: &'static str, extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "--rpc",
            &devnet.url,
            "--contract",
            &market.contract,
            "deliver",
            "--trade",
            "1",
            "--role",
            role,
            "--key",
            &market.keys[meter].0,
            "--password-file",
            "pw",
            "--device",
            "sim:fast?volts=48&amps=75",
            "--switch",
            "sim:fast",
            "--interval",
            "50ms",
            "--every",
            "1Wh",
            "--journal",
            &format!("{role}.ndjson"),
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    };
    // Started, and killed (a crash) once it wrote its second receipt: what it wrote, read to
    // the end of the pipe.
    let killed = |args: &[String]| -> Vec<Value> {
        let mut child = std::process::Command::cargo_bin("evlock-trade")
            .unwrap()
            .env_clear()
            .current_dir(dir.path())
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (mut line, mut seen) = (String::new(), 0);
        while seen < 2 && stdout.read_line(&mut line).unwrap() > 0 {
            seen += usize::from(line.contains("\"delivery_receipt\""));
            line.clear();
        }
        // SAFETY: signalling our own child process.
        assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGKILL) }, 0);
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
        child.wait().unwrap();
        lines(rest.as_bytes())
    };
    let journaled = |role: &str| -> Vec<u64> {
        std::fs::read_to_string(dir.path().join(format!("{role}.ndjson")))
            .unwrap()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|e| e["event"] == "receipt")
            .map(|e| e["cumulative_wh"].as_u64().unwrap())
            .collect()
    };
    // Receipts only grow, by at most a step and a little (a jump would be energy counted
    // twice, a repeat or a fall a receipt lost), and reach the whole energy.
    let check = |figures: &[u64]| {
        assert!(figures.windows(2).all(|w| w[0] < w[1] && w[1] - w[0] <= 2), "{figures:?}");
        assert_eq!(*figures.last().unwrap(), 40, "{figures:?}");
    };

    for (meter, role) in [(BUYER_METER, "buyer"), (SELLER_METER, "seller")] {
        let extra: &[&str] = if role == "seller" { &["--counterpart-receipts", "link.ndjson"] } else { &[] };
        let args = session(meter, role, extra);
        killed(&args);
        let before = journaled(role);
        assert!(before.len() >= 2 && *before.last().unwrap() < 40, "killed mid-way: {before:?}");
        // The next run, on the virtual clock, finishes from the journal.
        let mut last_run = args.clone();
        last_run.extend(["--clock".to_string(), "virtual".to_string()]);
        let refs: Vec<&str> = last_run.iter().map(String::as_str).collect();
        let out = run("evlock-trade", dir.path(), &refs, "");
        let records = lines(&out.stdout);
        let resumed = figures(&records, "delivery_receipt");
        assert!(
            resumed.first().is_some_and(|first| first > before.last().unwrap()),
            "{before:?} then {resumed:?}"
        );
        let all = journaled(role);
        assert_eq!(&all[..before.len()], &before[..], "the journal kept every receipt");
        check(&all);
        if role == "buyer" {
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            // The link carries every receipt the buyer's meter signed, from its journal.
            let link: String = std::fs::read_to_string(dir.path().join("buyer.ndjson"))
                .unwrap()
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .filter(|e| e["event"] == "receipt")
                .map(|e| format!("{}\n", e["record"]))
                .collect();
            std::fs::write(dir.path().join("link.ndjson"), link).unwrap();
        } else {
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let status = records.last().unwrap();
            assert_eq!(status["fields"]["state"], "settled", "{records:?}");
            assert_eq!(status["fields"]["delivered_wh"], "40");
        }
    }
    assert_eq!(market.status("credit", market.addr(SELLER))["credit"], "1", "a complete trade");
}
