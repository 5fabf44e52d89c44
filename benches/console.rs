//! The operator's console, measured (a bench binary):
//!
//!     cargo bench --bench console
//!
//! On a real `evlock-devnet`, a market is driven through 10,000 events (offer, buy, two
//! reports, settle: seven events a trade), signed in-process and sent over JSON-RPC.
//! Two `evlock-trade serve` processes watch it: one follows it live from the start, one
//! starts afterwards and reads the whole history. Printed:
//!
//! - memory: each server's resident set (VmRSS) and peak (VmHWM) from /proc, next to a
//!   console of an empty market;
//! - the history's catch-up time;
//! - page weight: the bytes of /market, /meters, the CSS and the script, and the JSON views,
//!   for a market with one offer and for the 10,000-event market;
//! - time to first paint on loopback: chromium (headless, `tests/js/browser.mjs`) loads
//!   /market five times in fresh profiles; the browser's own Performance API gives first
//!   (contentful) paint from the navigation's start (the browser's startup is not counted).
//!   Skipped with a note when chromium or playwright-core is missing.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use alloy_primitives::{Address, U256};
use evlock::kaia::{RecoverableSig, Transaction};
use evlock::market::Action;
use evlock::rpc::{ClientOptions, RpcClient};
use k256::ecdsa::SigningKey;
use serde_json::{Value, json};

const EVENTS: u64 = 10_000;
const GAS_PRICE: u64 = 25_000_000_000;

struct Party {
    key: SigningKey,
    address: Address,
    nonce: u64,
}

impl Party {
    fn new(byte: u8) -> Party {
        let key = SigningKey::from_slice(&[byte; 32]).unwrap();
        let address = evlock::kaia::address_of(key.verifying_key());
        Party { key, address, nonce: 0 }
    }
}

/// Signs and sends one market action (the devnet mines it at once); the receipt's contract
/// address for a deployment.
fn send(client: &RpcClient, who: &mut Party, market: Option<Address>, action: &Action) -> Option<Address> {
    let mut fields = json!({"type": if market.is_none() { "smart_contract_deploy" } else { "smart_contract_execution" },
        "chain_id": "31337", "nonce": who.nonce.to_string(), "gas": "3000000", "gas_price": GAS_PRICE.to_string(),
        "from": who.address.to_checksum(None), "value": action.value().to_string(),
        "input": format!("0x{}", hex::encode(action.call_data()))});
    match market {
        Some(to) => fields["to"] = json!(to.to_checksum(None)),
        None => {
            fields["human_readable"] = json!(false);
            fields["code_format"] = json!(0);
        }
    }
    let mut tx = Transaction::from_json_value(&fields).unwrap();
    tx.add_sender_signature(RecoverableSig::sign_prehash(&who.key, &tx.sig_hash()).unwrap()).unwrap();
    let hash = client.send_raw_transaction(&tx.raw().unwrap()).unwrap();
    who.nonce += 1;
    let receipt = client.get_transaction_receipt(hash).unwrap().expect("the devnet mines at once");
    assert!(receipt.success, "{action:?} reverted: {:?}", receipt.revert_reason);
    receipt.contract_address
}

fn first_line(stdout: ChildStdout) -> (Value, BufReader<ChildStdout>) {
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    (serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}")), reader)
}

struct Server {
    child: Child,
    url: String,
    _stdout: BufReader<ChildStdout>,
}

impl Server {
    fn start(rpc: &str, market: Address, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_evlock-trade"))
            .env_clear()
            .args(["--rpc", rpc, "--contract", &market.to_checksum(None), "-q"])
            .args(["serve", "--bind", "127.0.0.1:0", "--poll", "200ms"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let (record, stdout) = first_line(child.stdout.take().unwrap());
        Server {
            child,
            url: record["url"].as_str().unwrap().trim_end_matches('/').to_string(),
            _stdout: stdout,
        }
    }

    /// (VmRSS, VmHWM) in KiB.
    fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    fn get(&self, path: &str) -> Vec<u8> {
        let response = http().get(format!("{}{path}", self.url)).send().unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.bytes().unwrap().to_vec()
    }

    fn events(&self) -> u64 {
        let view: Value = serde_json::from_slice(&self.get("/market.json")).unwrap();
        view["events"].as_u64().unwrap()
    }

    fn wait_for(&self, events: u64) -> Duration {
        let started = Instant::now();
        while self.events() < events {
            assert!(started.elapsed() < Duration::from_secs(600), "the console did not catch up");
            std::thread::sleep(Duration::from_millis(50));
        }
        started.elapsed()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http() -> reqwest::blocking::Client {
    evlock::rpc::tls::install_default_provider();
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().unwrap()
}

fn kib(bytes: usize) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

fn weight(server: &Server, label: &str) {
    let market = server.get("/market").len();
    let meters = server.get("/meters").len();
    let css = server.get("/console.css").len();
    let js = server.get("/console.js").len();
    let market_json = server.get("/market.json").len();
    let meters_json = server.get("/meters.json").len();
    println!(
        "page weight, {label}: /market {} + CSS {} + script {} = {} (uncompressed); /meters {}; /market.json {}; /meters.json {}",
        kib(market),
        kib(css),
        kib(js),
        kib(market + css + js),
        kib(meters),
        kib(market_json),
        kib(meters_json)
    );
}

fn browser_ready() -> bool {
    let js = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    Path::new("/usr/bin/chromium").exists() && js.join("node_modules/playwright-core").exists()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// First paint and first contentful paint of /market, median of five fresh loads.
fn first_paint(server: &Server, label: &str) {
    if !browser_ready() {
        println!("first paint, {label}: skipped (needs /usr/bin/chromium and `npm ci --prefix tests/js`)");
        return;
    }
    let mut child = Command::new("node")
        .arg("browser.mjs")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut ask = |command: Value| -> Value {
        writeln!(stdin, "{command}").unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let answer: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(answer["ok"], true, "{command}: {answer}");
        answer
    };
    let (mut fp, mut fcp, mut load) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        ask(json!({"op": "open", "url": format!("{}/market", server.url), "timeout": 60_000}));
        let timings = ask(json!({"op": "paint"}))["value"].clone();
        fp.push(timings["first_paint_ms"].as_f64().unwrap_or(f64::NAN));
        fcp.push(timings["first_contentful_paint_ms"].as_f64().unwrap_or(f64::NAN));
        load.push(timings["load_ms"].as_f64().unwrap_or(f64::NAN));
    }
    ask(json!({"op": "close"}));
    drop(stdin);
    let _ = child.wait();
    println!(
        "first paint, {label}: {:.0} ms (first contentful paint {:.0} ms, load event {:.0} ms; median of 5, from navigation start)",
        median(fp),
        median(fcp),
        median(load)
    );
}

fn main() {
    // `cargo bench` passes --bench; anything else (e.g. `cargo test --benches`) only checks
    // that this builds and starts.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let mut registrar = Party::new(1);
    let mut seller = Party::new(2);
    let mut buyer = Party::new(3);
    let mut seller_meter = Party::new(4);
    let mut buyer_meter = Party::new(5);
    let funds: Vec<String> = [&registrar, &seller, &buyer, &seller_meter, &buyer_meter]
        .iter()
        .map(|p| format!("{}=1000000KAIA", p.address.to_checksum(None)))
        .collect();
    let mut devnet = Command::new(env!("CARGO_BIN_EXE_evlock-devnet"));
    devnet.env_clear().args(["--port", "0", "--accounts", "0"]);
    for fund in &funds {
        devnet.args(["--fund", fund]);
    }
    let mut devnet =
        devnet.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
    let (record, _devnet_out) = first_line(devnet.stdout.take().unwrap());
    let rpc = record["url"].as_str().unwrap().to_string();
    let client = RpcClient::new(ClientOptions::new([rpc.clone()])).unwrap();

    let market = send(&client, &mut registrar, None, &Action::Deploy { delivery_blocks: 100_000 }).unwrap();
    let mut events = 0u64;
    for (meter, owner) in [(&seller_meter, &seller), (&buyer_meter, &buyer)] {
        let action = Action::RegisterMeter { meter: meter.address, owner: owner.address };
        send(&client, &mut registrar, Some(market), &action);
        events += 1;
    }
    let empty = Server::start(&rpc, market, &["--from-block", &client.block_number().unwrap().to_string()]);
    let energy = U256::from(10u64);
    let price = U256::from(2_000_000_000u64);
    send(
        &client,
        &mut seller,
        Some(market),
        &Action::Offer { energy_wh: energy, price_per_wh: price, expiry_block: U256::from(1u64 << 32) },
    );
    events += 1;
    let live = Server::start(&rpc, market, &[]);
    live.wait_for(events);
    weight(&live, "one open offer");
    first_paint(&live, "one open offer");

    // Trades until 10,000 events: each offer is bought, reported by both meters, settled.
    let started = Instant::now();
    let mut trade = 0u64;
    let mut offer = 1u64;
    while events < EVENTS {
        trade += 1;
        let escrow = energy * price;
        let buy = Action::Buy { offer_id: U256::from(offer), max_price_per_wh: price, escrow };
        send(&client, &mut buyer, Some(market), &buy);
        for meter in [&mut seller_meter, &mut buyer_meter] {
            let report = Action::Report { trade_id: U256::from(trade), cumulative_wh: energy };
            send(&client, meter, Some(market), &report);
        }
        send(&client, &mut seller, Some(market), &Action::Settle { trade_id: U256::from(trade) });
        events += 6; // TradeOpened, 2 × Reported, TradeSettled, 2 × CreditChanged
        if events < EVENTS {
            offer += 1;
            let action = Action::Offer {
                energy_wh: energy,
                price_per_wh: price,
                expiry_block: U256::from(1u64 << 32),
            };
            send(&client, &mut seller, Some(market), &action);
            events += 1;
        }
    }
    println!(
        "market: {events} events ({trade} trades) in {} blocks, made in {:.1} s",
        client.block_number().unwrap(),
        started.elapsed().as_secs_f64()
    );
    live.wait_for(events);
    let history = Server::start(&rpc, market, &[]);
    let catch_up = history.wait_for(events);
    println!(
        "catch-up: a console started afterwards read the {events} events in {:.2} s",
        catch_up.as_secs_f64()
    );

    let (empty_rss, empty_hwm) = empty.memory();
    let (live_rss, live_hwm) = live.memory();
    let (history_rss, history_hwm) = history.memory();
    println!(
        "memory, an empty market: {:.1} MiB resident (peak {:.1} MiB)",
        empty_rss as f64 / 1024.0,
        empty_hwm as f64 / 1024.0
    );
    println!(
        "memory, following {events} events live: {:.1} MiB resident (peak {:.1} MiB)",
        live_rss as f64 / 1024.0,
        live_hwm as f64 / 1024.0
    );
    println!(
        "memory, after reading {events} events of history: {:.1} MiB resident (peak {:.1} MiB)",
        history_rss as f64 / 1024.0,
        history_hwm as f64 / 1024.0
    );
    weight(&history, &format!("{events} events"));
    first_paint(&history, &format!("{events} events"));
    let _ = devnet.kill();
    let _ = devnet.wait();
}
