//! The operator's console (`evlock-trade serve`) with the real binaries on a real
//! `evlock-devnet`: watched in Debian's chromium (headless, driven by playwright-core from
//! `tests/js`) while a trade runs; its JSON views against `evlock-trade status`; its
//! refusals (client certificates, other host names, cross-origin or disabled actions).

mod common;

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use common::devnet::{Devnet, dev_keys, sign, submit};
use common::rpc::Pki;
use common::{js_dir, lines, run};
use serde_json::{Value, json};

const REGISTRAR: usize = 0;
const SELLER: usize = 1;
const BUYER: usize = 2;
const SELLER_METER: usize = 3;
const BUYER_METER: usize = 4;

/// A market on a devnet and its parties (the first five dev accounts).
struct Market<'a> {
    dir: &'a Path,
    devnet: &'a Devnet,
    keys: Vec<(String, String)>,
    contract: String,
}

impl<'a> Market<'a> {
    fn deploy(dir: &'a Path, devnet: &'a Devnet) -> Market<'a> {
        let mut market = Market { dir, devnet, keys: dev_keys(dir, 5), contract: String::new() };
        let receipts = market.ok(REGISTRAR, &["deploy", "--delivery-blocks", "200"]);
        market.contract = receipts[0]["contract_address"].as_str().unwrap().to_string();
        for (meter, owner) in [(SELLER_METER, SELLER), (BUYER_METER, BUYER)] {
            let (meter, owner) = (market.addr(meter).to_string(), market.addr(owner).to_string());
            market.ok(REGISTRAR, &["register-meter", "--meter", &meter, "--owner", &owner]);
        }
        market
    }

    fn addr(&self, who: usize) -> &str {
        &self.keys[who].1
    }

    fn trade(&self, who: usize, args: &[&str]) -> std::process::Output {
        self.trade_with(who, args, "")
    }

    /// [`Market::trade`] with `input` on stdin.
    fn trade_with(&self, who: usize, args: &[&str], input: &str) -> std::process::Output {
        let mut all: Vec<&str> = vec!["--rpc", &self.devnet.url];
        if !self.contract.is_empty() {
            all.extend(["--contract", &self.contract]);
        }
        all.extend(args);
        // --from belongs to the commands that write tx records.
        if args[0] != "status" {
            all.extend(["--from", self.addr(who)]);
        }
        run("evlock-trade", self.dir, &all, input)
    }

    /// Signs `tx_records` as `who` and submits them; every receipt must be a success.
    fn sign_and_submit(&self, who: usize, tx_records: &str) -> Vec<Value> {
        let signed = sign(self.dir, &self.keys[who].0, "sender", tx_records);
        let (code, receipts, stderr) = submit(self.dir, &self.devnet.url, &signed);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(receipts.iter().all(|r| r["status"] == "success"), "{receipts:?}");
        receipts
    }

    /// evlock-trade → evlock-sign → evlock-relay as `who`.
    fn ok(&self, who: usize, args: &[&str]) -> Vec<Value> {
        let out = self.trade(who, args);
        assert!(out.status.success(), "evlock-trade {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        self.sign_and_submit(who, &String::from_utf8(out.stdout).unwrap())
    }

    fn report(&self, meter: usize, trade: &str, wh: u64) {
        self.ok(meter, &["report", "--trade", trade, "--wh", &wh.to_string()]);
    }

    /// `evlock-trade status WHAT ID`: the whole record.
    fn status(&self, what: &str, id: &str) -> Value {
        let out = self.trade(REGISTRAR, &["status", what, id]);
        assert!(out.status.success(), "status {what} {id}: {}", String::from_utf8_lossy(&out.stderr));
        lines(&out.stdout).remove(0)
    }

    fn head(&self) -> u64 {
        let hex = self.devnet.rpc(self.dir, "eth_blockNumber", json!([]));
        u64::from_str_radix(hex.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    }
}

/// A running `evlock-trade serve`, stopped (SIGINT) when dropped.
struct Console {
    child: Child,
    stdin: Option<ChildStdin>,
    _stdout: BufReader<ChildStdout>,
    record: Value,
    stderr: PathBuf,
}

impl Console {
    fn start(market: &Market, extra: &[&str]) -> Console {
        let stderr = market.dir.join(format!("serve-{}.err", std::process::id() ^ rand_tag()));
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("evlock-trade"))
            .env_clear()
            .current_dir(market.dir)
            .args(["--rpc", &market.devnet.url, "--contract", &market.contract, "-v"])
            .args(["serve", "--bind", "127.0.0.1:0", "--poll", "100ms"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let record: Value = serde_json::from_str(&first).unwrap_or_else(|e| {
            panic!("{e}: {first:?}; stderr: {}", std::fs::read_to_string(&stderr).unwrap_or_default())
        });
        assert_eq!(record["kind"], "console");
        Console { stdin: child.stdin.take(), child, _stdout: stdout, record, stderr }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.record["url"].as_str().unwrap(), path.trim_start_matches('/'))
    }

    /// Feeds records to the console's stdin.
    fn feed(&mut self, records: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(records.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Stops it with SIGINT; returns its exit code.
    fn stop(mut self) -> Option<i32> {
        self.interrupt()
    }

    fn interrupt(&mut self) -> Option<i32> {
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGINT) };
        let code = self.child.wait().unwrap().code();
        self.stdin = None;
        code
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.interrupt();
        }
    }
}

fn rand_tag() -> u32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
}

/// A plain HTTP client (rustls on ring as the process provider, for reqwest).
fn http() -> reqwest::blocking::Client {
    evlock::rpc::tls::install_default_provider();
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

/// An HTTPS client trusting `ca`, with a client certificate or without.
fn https(ca: &str, identity: Option<(&str, &str)>) -> reqwest::blocking::Client {
    evlock::rpc::tls::install_default_provider();
    let identity = identity.map(|(cert, key)| (cert.as_bytes(), key.as_bytes()));
    let config = evlock::rpc::tls::client_config(Some(ca.as_bytes()), identity).unwrap();
    reqwest::blocking::Client::builder()
        .tls_backend_preconfigured(config)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn get_json(client: &reqwest::blocking::Client, url: &str) -> Value {
    let response = client.get(url).send().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(response.status(), 200, "GET {url}");
    serde_json::from_str(&response.text().unwrap()).unwrap()
}

/// POSTs a form, as a browser would (with `origin` as its Origin header, when given).
fn post_form(
    client: &reqwest::blocking::Client,
    url: &str,
    origin: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::blocking::Response {
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut request = client.post(url).header("content-type", "application/x-www-form-urlencoded").body(body);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.send().unwrap()
}

/// Waits until the console has read the chain up to `block`.
fn caught_up(client: &reqwest::blocking::Client, console: &Console, block: u64) -> Value {
    let started = Instant::now();
    loop {
        let view = get_json(client, &console.url("/market.json"));
        if view["block"].as_str().unwrap().parse::<u64>().unwrap() >= block {
            // One more round so the events of that block are in.
            std::thread::sleep(Duration::from_millis(300));
            return get_json(client, &console.url("/market.json"));
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the console did not reach block {block}: {view}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether chromium and playwright-core are there; panics with the fix when they are not,
/// unless `EVLOCK_SKIP_BROWSER_TESTS=1` says to skip.
fn browser_ready() -> bool {
    let chromium = std::env::var("EVLOCK_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let ready = Path::new(&chromium).exists() && js_dir().join("node_modules/playwright-core").exists();
    if ready {
        return true;
    }
    if std::env::var("EVLOCK_SKIP_BROWSER_TESTS").as_deref() == Ok("1") {
        eprintln!("skipping: chromium or tests/js/node_modules/playwright-core is missing");
        return false;
    }
    panic!(
        "the browser tests need Debian's chromium (apt-get install chromium) and \
         `npm ci --prefix tests/js` (or EVLOCK_SKIP_BROWSER_TESTS=1 to skip them)"
    );
}

/// Chromium under tests/js/browser.mjs: one command, one answer.
struct Browser {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Browser {
    fn start() -> Browser {
        let mut child = Command::new("node")
            .arg("browser.mjs")
            .current_dir(js_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node is installed");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Browser { child, stdin, stdout }
    }

    /// Sends a command; returns the answer (`ok` true or false).
    fn try_cmd(&mut self, command: Value) -> Value {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("browser.mjs answered {line:?}: {e}"))
    }

    fn cmd(&mut self, command: Value) -> Value {
        let answer = self.try_cmd(command.clone());
        assert_eq!(answer["ok"], true, "browser: {command} failed: {}", answer["error"]);
        answer
    }

    fn text(&mut self, selector: &str) -> String {
        self.cmd(json!({"op": "text", "selector": selector}))["text"].as_str().unwrap().to_string()
    }

    fn eval(&mut self, expression: &str) -> Value {
        self.cmd(json!({"op": "eval", "expression": expression}))["value"].clone()
    }

    fn wait_text(&mut self, selector: &str, text: &str) {
        self.cmd(json!({"op": "wait_text", "selector": selector, "text": text}));
    }

    fn wait_progress(&mut self, trade: &str, side: &str, value: u64) {
        let selector = format!("#trade-{trade} progress.{side}");
        self.cmd(
            json!({"op": "wait_attr", "selector": selector, "attr": "value", "value": value.to_string()}),
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.try_cmd(json!({"op": "close"}));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the screenshots go (under target/, never committed).
fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_market_and_meters_pages_follow_a_trade_live_in_chromium() {
    if !browser_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    let market = Market::deploy(dir.path(), &devnet);
    market.ok(SELLER, &["offer", "--energy", "500Wh", "--price", "2ston/Wh", "--expires-in", "300blocks"]);
    // The forms fill in the buyer as the sender.
    let mut console = Console::start(&market, &["--allow-actions", "--from", market.addr(BUYER)]);
    let mut browser = Browser::start();

    // The offer is on the page.
    let opened = browser.cmd(json!({"op": "open", "url": console.url("/market")}));
    assert_eq!(opened["status"], 200);
    browser.wait_text("#offer-1 .energy", "500 Wh");
    assert_eq!(browser.text("#offer-1 .price"), "2 ston/Wh");
    assert_eq!(browser.text("#offer-1 .escrow"), "1000 ston");
    browser.wait_text("#live", "live");

    // The buy form downloads an unsigned tx record; signed and submitted, the trade opens.
    let download = browser.cmd(json!({"op": "click_download", "selector": "#offer-1 form.buy button"}));
    assert_eq!(download["name"], "buy-1-tx.ndjson");
    let tx = &lines(download["text"].as_str().unwrap().as_bytes())[0];
    assert_eq!(tx["kind"], "tx");
    assert_eq!(tx["from"], market.addr(BUYER));
    assert_eq!(tx["value"], "1000000000000", "the escrow: 500 Wh × 2 ston");
    market.sign_and_submit(BUYER, download["text"].as_str().unwrap());
    browser.wait_progress("1", "seller", 0);
    browser.cmd(json!({"op": "wait_gone", "selector": "#offer-1"}));

    // The progress bars move as each meter's reports arrive, without a reload.
    for (meter, side, wh) in
        [(SELLER_METER, "seller", 100), (SELLER_METER, "seller", 300), (BUYER_METER, "buyer", 250)]
    {
        market.report(meter, "1", wh);
        browser.wait_progress("1", side, wh);
    }
    browser.wait_text("#trade-1 .seller-side .figure", "300 Wh of 500 Wh (60.0 %)");
    browser.cmd(json!({"op": "screenshot", "path": artifacts().join("market-delivering.png")}));
    market.report(SELLER_METER, "1", 500);
    market.report(BUYER_METER, "1", 500);
    browser.wait_progress("1", "buyer", 500);

    // Settled: paid and refunded amounts, and the parties' credit.
    market.ok(SELLER, &["settle", "--trade", "1"]);
    browser.wait_text("#settled-1 .paid", "1000 ston");
    assert_eq!(browser.text("#settled-1 .refund"), "0 peb");
    assert_eq!(browser.text("#settled-1 .delivered"), "500 Wh of 500 Wh");
    browser.cmd(json!({"op": "wait_gone", "selector": "#trade-1"}));
    browser.wait_text("#credits", "1");

    // A new offer from the form appears too (the seller is typed in).
    let seller = market.addr(SELLER);
    let fill = format!("document.querySelector('#new-offer input[name=from]').value = '{seller}'; true");
    browser.eval(&fill);
    let download = browser.cmd(json!({"op": "click_download", "selector": "#new-offer button"}));
    market.sign_and_submit(SELLER, download["text"].as_str().unwrap());
    browser.wait_text("#offer-2 .energy", "500 Wh");
    let same = browser.cmd(json!({"op": "same_document"}));
    assert_eq!(same["value"], true, "every change came without a reload: {same}");
    browser.cmd(json!({"op": "screenshot", "path": artifacts().join("market.png")}));

    // The meters page: a simulated meter with a hostile name goes to sleep (an alarm), and
    // the link says the seller's meter is connected.
    let hostile = "sim:<script>window.__xss=1</script>?fault=sleep@3s";
    browser.cmd(json!({"op": "open", "url": console.url("/meters")}));
    browser.wait_text("#live", "live");
    let sense =
        run("evlock-sense", dir.path(), &["--device", hostile, "--clock", "virtual", "--count", "6"], "");
    assert!(sense.status.success(), "{}", String::from_utf8_lossy(&sense.stderr));
    console.feed(&String::from_utf8(sense.stdout).unwrap());
    let peer_name = "seller's meter <img src=x onerror=window.__xss=2>";
    let meter = market.addr(SELLER_METER).to_string();
    console.feed(&format!(
        "{}\n",
        json!({"kind": "link", "v": 1, "event": "connected", "peer": {"name": peer_name, "account": meter},
               "time": "2026-11-24T10:00:00Z"})
    ));
    browser.wait_text(".alarm-code", "shutdown");
    let row = format!("tr[data-account='{meter}']");
    browser.wait_text(&format!("{row} .link"), "connected");
    assert_eq!(browser.text(&format!("{row} .meter-name")), peer_name, "shown as text");
    assert!(browser.text(&format!("{row} .reading")).contains("reported 500 Wh for trade 1"));
    let names = browser.eval("[...document.querySelectorAll('.meter-name')].map(e => e.textContent)");
    assert!(names.as_array().unwrap().iter().any(|n| n == hostile), "{names}");
    assert_eq!(browser.eval("typeof window.__xss"), "undefined", "no injected script ran");
    assert_eq!(browser.eval("document.querySelectorAll('main script, main img').length"), 0);
    assert!(browser.text(".alarms li").contains("shutdown (sleep) mode"));
    browser.cmd(json!({"op": "screenshot", "path": artifacts().join("meters.png")}));
    assert!(artifacts().join("meters.png").metadata().unwrap().len() > 1000);

    assert_eq!(console.stop(), Some(130), "Ctrl-C ends the console with 130");
}

/// The `fields` of every offer, trade and credit the console shows equal what `evlock-trade
/// status` reads from the contract, at the same block.
fn assert_same_numbers(
    market: &Market,
    client: &reqwest::blocking::Client,
    console: &Console,
    ids: &[(&str, &str)],
) {
    let view = caught_up(client, console, market.head());
    for (what, id) in ids {
        let status = market.status(what, id);
        let served = get_json(client, &console.url(&format!("/status/{what}/{id}")));
        assert_eq!(served, status, "/status/{what}/{id} against evlock-trade status {what} {id}");
        let list = match *what {
            "offer" => "offers",
            "trade" => "trades",
            _ => "credits",
        };
        if let Some(entry) = view[list].as_array().unwrap().iter().find(|e| e["id"] == status["id"]) {
            assert_eq!(entry["fields"], status["fields"], "/market.json {list} {id}");
        } else {
            assert_eq!(*what, "credit", "{what} {id} is missing from /market.json");
            assert_eq!(status["fields"]["credit"], "0");
        }
    }
}

#[test]
fn the_json_views_give_the_numbers_of_evlock_trade_status() {
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    let market = Market::deploy(dir.path(), &devnet);
    let mut console = Console::start(&market, &[]);
    let client = http();

    // Trade 1 complete; trade 2 in delivery with uneven reports; offer 3 open, 4 cancelled.
    for _ in 0..2 {
        market.ok(SELLER, &["offer", "--energy", "500Wh", "--price", "2ston/Wh"]);
    }
    market.ok(BUYER, &["buy", "--offer", "1"]);
    market.ok(BUYER, &["buy", "--offer", "2"]);
    for meter in [SELLER_METER, BUYER_METER] {
        market.report(meter, "1", 500);
    }
    market.ok(SELLER, &["settle", "--trade", "1"]);
    market.report(SELLER_METER, "2", 150);
    let later = market.head() + 1;
    market.report(BUYER_METER, "2", 100);
    market.ok(SELLER, &["offer", "--energy", "1.5kWh", "--price", "3ston/Wh"]);
    market.ok(SELLER, &["offer", "--energy", "7Wh", "--price", "1ston/Wh"]);
    market.ok(SELLER, &["cancel", "--offer", "4"]);

    let (seller, buyer, registrar) = (market.addr(SELLER), market.addr(BUYER), market.addr(REGISTRAR));
    let ids = [
        ("offer", "1"),
        ("offer", "2"),
        ("offer", "3"),
        ("offer", "4"),
        ("trade", "1"),
        ("trade", "2"),
        ("credit", seller),
        ("credit", buyer),
        ("credit", registrar),
    ];
    assert_same_numbers(&market, &client, &console, &ids);
    let view = get_json(&client, &console.url("/market.json"));
    let trade1 = view["trades"].as_array().unwrap().iter().find(|t| t["id"] == "1").unwrap();
    assert_eq!(trade1["settlement"]["seller_paid"]["peb"], "1000000000000");
    assert_eq!(trade1["settlement"]["complete"], true);
    assert_eq!(view["offers"][3]["fields"]["state"], "cancelled");

    // The meters view: both registered meters with their owners and their last reports.
    let meters = get_json(&client, &console.url("/meters.json"));
    let seller_meter = meters["meters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["account"] == market.addr(SELLER_METER))
        .unwrap();
    assert_eq!(seller_meter["owner"], seller);
    assert_eq!(seller_meter["owner_credit"], "1");
    assert_eq!(seller_meter["last_report"]["wh"], "150");
    assert_eq!(seller_meter["link"], Value::Null, "no link has spoken of it yet");

    // The link tells when the seller's meter connected and went: the real listener with
    // --events, and the meter with a certificate bound to the meter's account, killed.
    let pki = common::link::Pki::new();
    pki.issue("seller-meter", &["--account", market.addr(SELLER_METER)]);
    let (operator, address) =
        common::link::listen(&pki, dir.path(), "operator", &["--events"], common::link::Stdin::Piped);
    let mut meter =
        common::link::connect(&pki, dir.path(), "seller-meter", &address, &[], common::link::Stdin::Piped);
    let link_state = |console: &Console, connected: bool, since: &str| {
        let started = Instant::now();
        loop {
            let meters = get_json(&client, &console.url("/meters.json"));
            let meter = meters["meters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["account"] == market.addr(SELLER_METER));
            let link = meter.map(|m| m["link"].clone()).unwrap_or_default();
            if link["connected"] == connected && link["since"] == since {
                return link;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "{link}\n{}", console.stderr());
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let said = operator.wait_for_records(1, Duration::from_secs(20));
    assert_eq!(said[0]["event"], "connected", "{said:?}");
    console.feed(&format!("{}\n", said[0]));
    link_state(&console, true, said[0]["time"].as_str().unwrap());
    meter.kill();
    let said = operator.wait_for_records(2, Duration::from_secs(20));
    assert_eq!(said[1]["event"], "disconnected", "{said:?}");
    console.feed(&format!("{}\n", said[1]));
    let link = link_state(&console, false, said[1]["time"].as_str().unwrap());
    assert!(link["reason"].as_str().is_some_and(|r| !r.is_empty()), "{link}");

    // A console started after trade 2 opened reads it from the contract when its events
    // name it, and shows the same numbers.
    let late = Console::start(&market, &["--from-block", &later.to_string()]);
    assert_same_numbers(&market, &client, &late, &[("trade", "2"), ("offer", "4")]);
    let status = client.get(late.url("/status/trade/1")).send().unwrap().status();
    assert_eq!(status, 404, "trade 1's events are all before --from-block");
}

/// Receipts signed by `meter`'s key (evlock-sign under a test bench policy) of trade 1.
fn signed_receipts(market: &Market, meter: usize, figures: &[u64]) -> String {
    std::fs::write(
        market.dir.join("bench.toml"),
        format!("allow_receipts = true\nreceipt_markets = [\"{}\"]\n", market.contract),
    )
    .unwrap();
    let requests: String = figures
        .iter()
        .map(|wh| {
            let request = json!({"kind": "delivery_receipt", "v": 1, "market": market.contract, "trade_id": "1",
                                 "cumulative_wh": wh.to_string()});
            format!("{request}\n")
        })
        .collect();
    let key = &market.keys[meter].0;
    let args = [
        "--key",
        key,
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
fn on_a_version_2_market_the_views_show_receipts_the_grace_window_and_meter_states() {
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    let mut market =
        Market { dir: dir.path(), devnet: &devnet, keys: dev_keys(dir.path(), 5), contract: String::new() };
    let args = ["--market-version", "2", "deploy", "--delivery-blocks", "2", "--grace-blocks", "5"];
    let receipts = market.ok(REGISTRAR, &args);
    market.contract = receipts[0]["contract_address"].as_str().unwrap().to_string();
    for (meter, owner) in [(SELLER_METER, SELLER), (BUYER_METER, BUYER)] {
        let (meter, owner_address) = (market.addr(meter).to_string(), market.addr(owner).to_string());
        market.ok(REGISTRAR, &["meter", "propose", "--meter", &meter, "--owner", &owner_address]);
        market.ok(owner, &["meter", "accept", "--meter", &meter]);
    }
    let console = Console::start(&market, &[]);
    let client = http();
    market.ok(SELLER, &["offer", "--energy", "40Wh", "--price", "2ston/Wh"]);
    market.ok(BUYER, &["buy", "--offer", "1"]);
    // The buyer meter's receipt goes on chain; a third meter is bound, then revoked.
    let out =
        market.trade_with(REGISTRAR, &["receipts", "submit"], &signed_receipts(&market, BUYER_METER, &[25]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    market.sign_and_submit(REGISTRAR, &String::from_utf8(out.stdout).unwrap());
    let spare = "0x0000000000000000000000000000000000000042";
    market.ok(REGISTRAR, &["meter", "propose", "--meter", spare, "--owner", market.addr(BUYER)]);
    market.ok(BUYER, &["meter", "accept", "--meter", spare]);
    market.ok(REGISTRAR, &["meter", "revoke", "--meter", spare]);

    // Past the deadline, in the grace window: the trade shows the buyer side's receipt (no
    // report), the window's end, and the same numbers as evlock-trade status.
    assert_same_numbers(&market, &client, &console, &[("trade", "1"), ("offer", "1")]);
    let view = get_json(&client, &console.url("/market.json"));
    assert_eq!((&view["version"], &view["grace_blocks"]), (&json!(2), &json!("5")), "{view}");
    let trade = &view["trades"][0];
    assert_eq!(trade["fields"]["buyer_report_wh"], "25");
    assert!(trade["receipts"]["buyer"]["tx_hash"].is_string(), "{trade}");
    assert_eq!(trade["reports"]["buyer"], Value::Null, "{trade}");
    let deadline: u64 = trade["fields"]["deadline_block"].as_str().unwrap().parse().unwrap();
    assert_eq!(trade["grace_end_block"], (deadline + 5).to_string());
    assert!(market.head() > deadline && market.head() <= deadline + 5);
    assert_eq!(trade["in_grace"], true, "{trade}");
    assert!(view["recent"].as_array().unwrap().iter().any(|r| r["event"] == "ReceiptAccepted"
        && r["summary"] == "trade 1: the buyer's meter's signed receipt of 25 Wh recorded"));
    let page = client.get(console.url("/")).send().unwrap().text().unwrap();
    assert!(page.contains("grace until"), "{page}");

    // The meters: bound with consent (active, signing with their own key), the spare one
    // revoked after serving trades up to 1.
    let meters = get_json(&client, &console.url("/meters.json"));
    let find = |meters: &Value, account: &str| -> Value {
        meters["meters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["account"].as_str().unwrap_or_default().eq_ignore_ascii_case(account))
            .unwrap_or_else(|| panic!("no meter {account}: {meters}"))
            .clone()
    };
    let buyer_meter = find(&meters, market.addr(BUYER_METER));
    assert_eq!(buyer_meter["state"], "active");
    assert_eq!(buyer_meter["owner"], market.addr(BUYER));
    assert_eq!(buyer_meter["signer"], market.addr(BUYER_METER));
    assert_eq!(buyer_meter["last_receipt"]["wh"], "25");
    let spare_meter = find(&meters, spare);
    assert_eq!((&spare_meter["state"], &spare_meter["last_trade"]), (&json!("revoked"), &json!("1")));
    let page = client.get(console.url("/meters")).send().unwrap().text().unwrap();
    assert!(page.contains("revoked (serves trades up to 1)"), "{page}");

    // The seller settles in the grace window with its meter's receipt; then its owner points
    // the meter at another signing key.
    let out = market.trade_with(
        SELLER,
        &["receipts", "settle", "--trade", "1"],
        &signed_receipts(&market, SELLER_METER, &[40]),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    market.sign_and_submit(SELLER, &String::from_utf8(out.stdout).unwrap());
    let signer = market.addr(REGISTRAR).to_string();
    market.ok(SELLER, &["meter", "set-signer", "--meter", market.addr(SELLER_METER), "--signer", &signer]);
    let (seller, buyer) = (market.addr(SELLER), market.addr(BUYER));
    assert_same_numbers(&market, &client, &console, &[("trade", "1"), ("credit", seller), ("credit", buyer)]);
    let view = get_json(&client, &console.url("/market.json"));
    let trade = &view["trades"][0];
    assert_eq!(trade["fields"]["state"], "settled");
    assert_eq!(trade["settlement"]["delivered_wh"], "25");
    assert_eq!(trade["settlement"]["complete"], false);
    assert_eq!(trade["in_grace"], false);
    assert!(trade["receipts"]["seller"]["tx_hash"].is_string(), "{trade}");
    let meters = get_json(&client, &console.url("/meters.json"));
    assert_eq!(find(&meters, market.addr(SELLER_METER))["signer"], signer.as_str());
}

#[test]
fn refusals_safe_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    let market = Market::deploy(dir.path(), &devnet);
    market.ok(SELLER, &["offer", "--energy", "500Wh", "--price", "2ston/Wh"]);
    let client = http();

    // Without --allow-actions: no form on the page and no POST endpoint.
    let mut console = Console::start(&market, &[]);
    assert_eq!(console.record["actions"], false);
    assert!(console.record["url"].as_str().unwrap().starts_with("http://127.0.0.1:"), "loopback by default");
    caught_up(&client, &console, market.head());
    let page = client.get(console.url("/market")).send().unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    let page = page.text().unwrap();
    assert!(page.contains("id=\"offer-1\"") && !page.contains("<form"), "{page}");
    let form =
        [("from", market.addr(SELLER)), ("energy", "5Wh"), ("price", "1ston/Wh"), ("expires_in", "10blocks")];
    let post = post_form(&client, &console.url("/actions/offer"), None, &form);
    assert_eq!(post.status(), 404);
    assert!(post.text().unwrap().contains("--allow-actions"));
    // Another host name (DNS rebinding) is refused; unknown things are 404.
    let rebound = client.get(console.url("/market.json")).header("host", "evil.example:80").send().unwrap();
    assert_eq!(rebound.status(), 421);
    assert_eq!(client.get(console.url("/status/trade/9")).send().unwrap().status(), 404);
    assert_eq!(client.get(console.url("/tx/0x12")).send().unwrap().status(), 404);

    // Bad input lines are reported and skipped; the good ones after them count.
    console.feed("not json\n{\"kind\":\"tx\",\"v\":1}\n");
    console.feed(&format!(
        "{}\n",
        json!({"kind": "alarm", "v": 1, "code": "frozen", "device": "sim:roof", "seq": 1, "time": "2026-01-01T00:00:01Z", "message": "stuck"})
    ));
    let started = Instant::now();
    while get_json(&client, &console.url("/meters.json"))["records"] != 1 {
        assert!(started.elapsed() < Duration::from_secs(10), "{}", console.stderr());
        std::thread::sleep(Duration::from_millis(50));
    }
    let stderr = console.stderr();
    assert!(stderr.contains("\"line\":1") && stderr.contains("\"line\":2"), "{stderr}");
    assert!(stderr.contains("cannot be used here"), "{stderr}");
    drop(console);

    // With --allow-actions: a form from the page gives a tx record; a cross-origin one is refused.
    let console = Console::start(&market, &["--allow-actions"]);
    let url = console.url("/actions/offer");
    let foreign = post_form(&client, &url, Some("http://evil.example"), &form);
    assert_eq!(foreign.status(), 403);
    let origin = console.url("/").trim_end_matches('/').to_string();
    let ok = post_form(&client, &url, Some(&origin), &form);
    assert_eq!(ok.status(), 200);
    assert!(ok.headers()["content-disposition"].to_str().unwrap().contains("offer-tx.ndjson"));
    let tx = lines(ok.text().unwrap().as_bytes()).remove(0);
    assert_eq!((tx["kind"].as_str(), tx["from"].as_str()), (Some("tx"), Some(market.addr(SELLER))));
    let bad = post_form(&client, &url, None, &[("from", "0x12"), ("energy", "1Wh")]);
    assert_eq!(bad.status(), 400);
    assert!(bad.text().unwrap().contains("from is not an address"));

    // Bad options are exit 2, a dead node exit 4.
    let args = |extra: &[&str]| -> Vec<String> {
        let mut all =
            vec!["--rpc".to_string(), devnet.url.clone(), "--contract".into(), market.contract.clone()];
        all.push("serve".into());
        all.extend(extra.iter().map(|s| s.to_string()));
        all
    };
    let code = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run("evlock-trade", dir.path(), &args, "");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (exit, stderr) = code(args(&["--client-ca", "ca.pem"]));
    assert_eq!(exit, Some(2), "{stderr}");
    assert!(stderr.contains("need TLS"), "{stderr}");
    let (exit, stderr) = code(args(&["--explorer", "javascript:alert(1)//"]));
    assert_eq!(exit, Some(2), "{stderr}");
    let mut no_market = args(&[]);
    no_market[3] = market.addr(SELLER).to_string();
    let (exit, stderr) = code(no_market);
    assert_eq!(exit, Some(2), "{stderr}");
    assert!(stderr.contains("is not an EnergyMarket"), "{stderr}");
    let mut dead = args(&[]);
    dead[1] = "http://127.0.0.1:9/".into();
    let (exit, stderr) = code([dead, vec!["--retries".into(), "0".into()]].concat());
    assert_eq!(exit, Some(4), "{stderr}");
}

#[test]
fn with_a_client_ca_only_operators_with_certificates_get_in() {
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path(), &[]);
    let market = Market::deploy(dir.path(), &devnet);
    market.ok(SELLER, &["offer", "--energy", "500Wh", "--price", "2ston/Wh"]);
    let pki = Pki::new();
    pki.write(dir.path());
    std::fs::write(dir.path().join("server.pem"), &pki.server.cert).unwrap();
    std::fs::write(dir.path().join("server.key"), &pki.server.key).unwrap();
    let console = Console::start(
        &market,
        &["--tls-cert", "server.pem", "--tls-key", "server.key", "--client-ca", "ca.pem"],
    );
    assert_eq!(console.record["client_certificates"], true);
    let url = console.url("/status/offer/1");
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    // An operator's certificate gets the page; no certificate, or one of another CA, does not.
    let operator = https(&pki.ca, Some((&pki.client.cert, &pki.client.key)));
    let started = Instant::now();
    while operator.get(&url).send().unwrap().status() != 200 {
        assert!(started.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(get_json(&operator, &url)["fields"]["energy_wh"], "500");
    let error = https(&pki.ca, None).get(&url).send().unwrap_err();
    let chain = evlock::exit::error_chain(&error);
    assert!(chain.contains("CertificateRequired") || chain.contains("certificate"), "{chain}");
    assert!(https(&pki.ca, Some((&pki.other_client.cert, &pki.other_client.key))).get(&url).send().is_err());

    // And chromium without a client certificate is refused at the handshake.
    if !browser_ready() {
        return;
    }
    let mut browser = Browser::start();
    let refused =
        browser.try_cmd(json!({"op": "open", "url": console.url("/market"), "ignoreHTTPSErrors": true}));
    assert_eq!(refused["ok"], false, "{refused}");
    let error = refused["error"].as_str().unwrap();
    assert!(error.contains("ERR_"), "{error}");
    let stderr = console.stderr();
    assert!(stderr.contains("refused"), "the console logs the refused handshake: {stderr}");
    // With the operator's certificate it gets the page.
    let origin = console.url("/").trim_end_matches('/').to_string();
    let certificate = json!([{"origin": origin, "certPath": dir.path().join("client.pem"), "keyPath": dir.path().join("client.key")}]);
    let opened = browser.cmd(json!({"op": "open", "url": console.url("/market"), "ignoreHTTPSErrors": true,
                                    "clientCertificates": certificate}));
    assert_eq!(opened["status"], 200);
    browser.wait_text("#offer-1 .energy", "500 Wh");
}
