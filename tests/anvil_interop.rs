//! evlock against Foundry's anvil and cast (pinned in tests/js), tools nobody here wrote: what
//! evlock-sign writes, anvil mines and cast decodes; what cast signs, evlock-relay submits; and
//! the whole market runs on anvil with `--tx-type eip1559`, to the wei, through evlock-trade —
//! version 1, and version 2 (meter consent, receipt signers, a trade settled in one transaction
//! on both meters' signed receipts).

mod common;

use std::path::Path;

use common::anvil::{Anvil, anvil_keys, cast};
use common::devnet::{sign, submit};
use common::{lines, run};
use serde_json::{Value, json};

/// anvil's first dev account (the `test test … junk` mnemonic at m/44'/60'/0'/0/0).
const ANVIL_0: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const GWEI: u128 = 1_000_000_000;

/// `cast decode-transaction RAW` as JSON (cast prints the object as a JSON string).
fn cast_decode(dir: &Path, raw: &str) -> Value {
    let text = cast(dir, &["decode-transaction", raw]);
    let value: Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"));
    match value {
        Value::String(inner) => serde_json::from_str(&inner).unwrap(),
        other => other,
    }
}

fn quantity(value: &Value) -> u128 {
    u128::from_str_radix(value.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
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

#[test]
fn evlock_signed_legacy_eip2930_and_eip1559_are_mined_by_anvil_and_decoded_by_cast() {
    let Some(anvil) = Anvil::start(&[]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let keys = anvil_keys(dir, 2);
    assert_eq!(keys[0].1, ANVIL_0, "the same accounts as anvil's");
    let (sender, to) = (keys[0].1.as_str(), keys[1].1.as_str());
    let slot = format!("0x{:064x}", 1);
    let txs = [
        json!({"type": "legacy", "chain_id": "31337", "nonce": "0", "gas": "21000", "gas_price": (2 * GWEI).to_string(),
               "to": to, "value": "1000"}),
        json!({"type": "eip2930", "chain_id": "31337", "nonce": "1", "gas": "30000", "gas_price": (2 * GWEI).to_string(),
               "to": to, "value": "2000", "access_list": [{"address": to, "storage_keys": [slot]}]}),
        json!({"type": "eip1559", "chain_id": "31337", "nonce": "2", "gas": "30000", "max_fee_per_gas": (3 * GWEI).to_string(),
               "max_priority_fee_per_gas": GWEI.to_string(), "to": to, "value": "3000", "input": "0x1234"}),
    ];
    let input: String = txs.iter().map(|t| format!("{t}\n")).collect();
    let signed = lines(sign(dir, &keys[0].0, "sender", &input).as_bytes());

    // cast decodes every raw evlock writes, and recovers our signer and hash.
    for (record, (tx, prefix)) in signed.iter().zip(txs.iter().zip(["0xf8", "0x01", "0x02"])) {
        let raw = record["raw"].as_str().unwrap();
        assert!(raw.starts_with(prefix), "{} raw is {raw}", tx["type"]);
        let decoded = cast_decode(dir, raw);
        assert_eq!(decoded["signer"].as_str().unwrap().to_lowercase(), sender.to_lowercase(), "{decoded}");
        assert_eq!(decoded["hash"], record["hash"], "{decoded}");
        assert_eq!(quantity(&decoded["nonce"]), tx["nonce"].as_str().unwrap().parse::<u128>().unwrap());
        assert_eq!(quantity(&decoded["value"]), tx["value"].as_str().unwrap().parse::<u128>().unwrap());
        assert_eq!(quantity(&decoded["chainId"]), 31337);
    }
    assert_eq!(cast_decode(dir, signed[1]["raw"].as_str().unwrap())["accessList"][0]["storageKeys"][0], slot);
    assert_eq!(cast_decode(dir, signed[2]["raw"].as_str().unwrap())["input"], "0x1234");

    // anvil accepts and mines them; the balances move to the wei.
    let before = (anvil.balance(dir, sender), anvil.balance(dir, to));
    let (code, receipts, stderr) = submit(dir, &anvil.url, &input_of(&signed));
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(receipts.len(), 3);
    for (receipt, record) in receipts.iter().zip(&signed) {
        assert_eq!(receipt["status"], "success", "{receipt}");
        assert_eq!(receipt["hash"], record["hash"]);
        assert_eq!(receipt["type"], record["type"]);
        assert_eq!(receipt["from"], sender);
        let on_chain = anvil.rpc(dir, "eth_getTransactionByHash", json!([receipt["hash"]]));
        assert_eq!(on_chain["hash"], record["hash"], "anvil's hash of our bytes is ours");
    }
    let values = 1000 + 2000 + 3000;
    assert_eq!(anvil.balance(dir, to), before.1 + values);
    assert_eq!(anvil.balance(dir, sender), before.0 - values - fee(&receipts));
}

fn input_of(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

#[test]
fn transactions_made_by_cast_mktx_go_through_the_relay_as_bare_hex_lines() {
    let Some(anvil) = Anvil::start(&[]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let keys = anvil_keys(dir, 2);
    let (sender, to) = (keys[0].1.as_str(), keys[1].1.as_str());
    // cast signs with evlock's keystore (Web3 Secret Storage v3) and the password file.
    let mktx = |nonce: &str, extra: &[&str], call: &[&str]| {
        let mut args = vec![
            "mktx",
            "--keystore",
            &keys[0].0,
            "--password-file",
            "pw",
            "--rpc-url",
            &anvil.url,
            "--nonce",
            nonce,
        ];
        args.extend_from_slice(extra);
        args.push(to);
        args.extend_from_slice(call);
        cast(dir, &args).trim().to_string()
    };
    let eip1559 = mktx("0", &["--value", "11"], &[]);
    let legacy = mktx("1", &["--legacy", "--value", "12"], &[]);
    let with_data = mktx("2", &["--value", "13"], &["ping(uint256)", "7"]);
    assert!(eip1559.starts_with("0x02") && legacy.starts_with("0xf8"), "{eip1559} {legacy}");

    // evlock-sign decode reads them.
    let out = run("evlock-sign", dir, &["decode", &eip1559], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let decoded = &lines(&out.stdout)[0];
    assert_eq!((decoded["type"].as_str(), decoded["sender"].as_str()), (Some("eip1559"), Some(sender)));

    // A record whose `from` is not the signer is refused before anvil sees it.
    let lie = json!({"kind": "signed_tx", "v": 1, "raw": eip1559, "from": to});
    let (code, receipts, stderr) = submit(dir, &anvil.url, &format!("{lie}\n"));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(receipts.is_empty() && stderr.contains("field `from` says"), "{stderr}");

    let before = anvil.balance(dir, to);
    let raw_only = json!({"raw": legacy, "meta": {"from": "cast"}});
    let input = format!("{eip1559}\n{raw_only}\n{with_data}\n");
    let (code, receipts, stderr) = submit(dir, &anvil.url, &input);
    assert_eq!(code, Some(0), "{stderr}");
    let summary: Vec<(&str, &str, &str)> = receipts
        .iter()
        .map(|r| (r["status"].as_str().unwrap(), r["type"].as_str().unwrap(), r["nonce"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [("success", "eip1559", "0"), ("success", "legacy", "1"), ("success", "eip1559", "2")]
    );
    assert!(receipts.iter().all(|r| r["from"] == sender && r["chain_id"] == "31337"));
    assert_eq!(receipts[1]["meta"], json!({"from": "cast"}));
    let call = anvil.rpc(dir, "eth_getTransactionByHash", json!([receipts[2]["hash"]]));
    assert!(call["input"].as_str().unwrap().ends_with(&format!("{:064x}", 7)), "{call}");
    assert_eq!(anvil.balance(dir, to), before + 11 + 12 + 13);
}

/// The parties of a market on anvil: registrar/operator, seller, buyer, and the two meters.
struct Market<'a> {
    dir: &'a Path,
    anvil: &'a Anvil,
    keys: Vec<(String, String)>,
    contract: String,
}

const REGISTRAR: usize = 0;
const SELLER: usize = 1;
const BUYER: usize = 2;
const SELLER_METER: usize = 3;
const BUYER_METER: usize = 4;
const PRICE_WEI_PER_WH: u128 = 2 * GWEI; // 2 ston/Wh

impl Market<'_> {
    fn addr(&self, who: usize) -> &str {
        &self.keys[who].1
    }

    /// `evlock-trade ARGS --tx-type eip1559` as `who` against anvil.
    fn trade(&self, who: usize, args: &[&str], input: &str) -> std::process::Output {
        let mut all = vec!["--rpc", &self.anvil.url];
        if !self.contract.is_empty() {
            all.extend(["--contract", &self.contract]);
        }
        all.extend(args);
        // The transaction options belong to the commands that build transactions.
        if !matches!(args.first(), Some(&("status" | "watch"))) {
            all.extend(["--tx-type", "eip1559", "--from", self.addr(who)]);
        }
        run("evlock-trade", self.dir, &all, input)
    }

    fn step(&self, who: usize, args: &[&str], input: &str) -> (Option<i32>, Vec<Value>, String) {
        let out = self.trade(who, args, input);
        assert!(out.status.success(), "evlock-trade {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let txs = lines(&out.stdout);
        assert!(txs.iter().all(|t| t["type"] == "eip1559"), "{txs:?}");
        let signed = sign(self.dir, &self.keys[who].0, "sender", &String::from_utf8(out.stdout).unwrap());
        submit(self.dir, &self.anvil.url, &signed)
    }

    fn ok(&self, who: usize, args: &[&str]) -> Vec<Value> {
        let (code, receipts, stderr) = self.step(who, args, "");
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(receipts.iter().all(|r| r["status"] == "success"), "{receipts:?}");
        receipts
    }

    fn status(&self, what: &str, id: &str) -> Value {
        let out = self.trade(REGISTRAR, &["status", what, id], "");
        assert!(out.status.success(), "status {what} {id}: {}", String::from_utf8_lossy(&out.stderr));
        lines(&out.stdout).remove(0)["fields"].clone()
    }

    fn balance(&self, who: usize) -> u128 {
        self.anvil.balance(self.dir, self.addr(who))
    }
}

/// Readings of a meter delivering `mwh_per_second` for `seconds` from a total of `start_mwh`.
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

#[test]
fn the_whole_market_runs_on_anvil_with_eip1559_transactions() {
    let Some(anvil) = Anvil::start(&[]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut market =
        Market { dir: dir.path(), anvil: &anvil, keys: anvil_keys(dir.path(), 5), contract: String::new() };

    // Kaia's fee delegation does not exist here: asked for, it is refused up front.
    let out = market.trade(REGISTRAR, &["deploy", "--fee-payer", ANVIL_0], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--fee-payer needs --tx-type kaia"));

    let receipts = market.ok(REGISTRAR, &["deploy", "--delivery-blocks", "40"]);
    market.contract = receipts[0]["contract_address"].as_str().unwrap().to_string();
    for (meter, owner) in [(SELLER_METER, SELLER), (BUYER_METER, BUYER)] {
        let (meter, owner) = (market.addr(meter).to_string(), market.addr(owner).to_string());
        market.ok(REGISTRAR, &["register-meter", "--meter", &meter, "--owner", &owner]);
    }

    market.ok(SELLER, &["offer", "--energy", "500Wh", "--price", "2ston/Wh", "--expires-in", "100blocks"]);
    let offer = market.status("offer", "1");
    assert_eq!(offer["state"], "open");
    assert_eq!(offer["escrow"]["peb"], (500 * PRICE_WEI_PER_WH).to_string());
    let buyer_before = market.balance(BUYER);
    let receipts = market.ok(BUYER, &["buy", "--offer", "1", "--max-price", "2ston/Wh"]);
    assert_eq!(
        market.balance(BUYER),
        buyer_before - 500 * PRICE_WEI_PER_WH - fee(&receipts),
        "escrow and gas"
    );

    // Both meters' report streams; each meter pays its own gas (no fee delegation on anvil).
    let mut reported = Vec::new();
    for (meter, every, feed) in
        [(SELLER_METER, "60s", readings(7_000_000, 600, 900)), (BUYER_METER, "100Wh", readings(0, 550, 1000))]
    {
        let meter_before = market.balance(meter);
        let (code, receipts, stderr) =
            market.step(meter, &["report", "--trade", "1", "--every", every], &feed);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(receipts.iter().all(|r| r["status"] == "success" && r["from"] == market.addr(meter)));
        assert_eq!(
            market.balance(meter),
            meter_before - fee(&receipts),
            "the meter paid its gas, to the wei"
        );
        reported.push(receipts.len());
    }
    assert_eq!(reported[1], 5, "100, 200, 300, 400, 500 Wh");
    let trade = market.status("trade", "1");
    assert_eq!(
        (trade["seller_report_wh"].as_str(), trade["buyer_report_wh"].as_str()),
        (Some("500"), Some("500"))
    );

    let seller_before = market.balance(SELLER);
    let settle = market.ok(SELLER, &["settle", "--trade", "1"]);
    let withdraw = market.ok(SELLER, &["withdraw"]);
    assert_eq!(
        market.balance(SELLER),
        seller_before + 500 * PRICE_WEI_PER_WH - fee(&settle) - fee(&withdraw)
    );
    assert_eq!(market.status("trade", "1")["state"], "settled");
    assert_eq!(market.status("balance", market.addr(SELLER))["withdrawable"]["peb"], "0");

    // `watch --from-block latest`: the head block's events, here the withdrawal.
    let out = market.trade(REGISTRAR, &["watch", "--from-block", "latest"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let latest = lines(&out.stdout);
    assert_eq!(latest.len(), 1, "{latest:?}");
    assert_eq!(latest[0]["event"], "Withdrawn");
    assert_eq!(latest[0]["fields"]["amount"], (500 * PRICE_WEI_PER_WH).to_string());

    // anvil puts no reason in its receipts: the relay replays the call for it.
    let buyer_before = market.balance(BUYER);
    let (code, receipts, stderr) = market.step(BUYER, &["withdraw"], "");
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(receipts[0]["status"], "reverted");
    assert_eq!(receipts[0]["revert_reason"], "nothing to withdraw", "{receipts:?}");
    let node_receipt = anvil.rpc(market.dir, "eth_getTransactionReceipt", json!([receipts[0]["hash"]]));
    assert!(node_receipt.get("revertReason").is_none(), "the reason came from the replay: {node_receipt}");
    assert_eq!(market.balance(BUYER), buyer_before - fee(&receipts), "a revert costs its gas");

    // The whole history, in order.
    let out = market.trade(REGISTRAR, &["watch", "--from-block", "0"], "");
    assert!(out.status.success());
    let events = lines(&out.stdout);
    let names: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(names.iter().filter(|n| **n == "MeterRegistered").count(), 2);
    assert_eq!(names.iter().filter(|n| **n == "Reported").count(), reported.iter().sum::<usize>());
    let settled: Vec<&Value> = events.iter().filter(|e| e["event"] == "TradeSettled").collect();
    assert_eq!(settled[0]["fields"]["delivered_wh"], "500");
    assert_eq!(settled[0]["fields"]["complete"], true);
}

#[test]
fn the_v2_market_settles_a_trade_in_one_eip1559_transaction_on_anvil() {
    use alloy_primitives::{Address, U256};
    use evlock::market::v2::{DeliveryReceipt, ReceiptRequest};
    let Some(anvil) = Anvil::start(&[]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut market =
        Market { dir: dir.path(), anvil: &anvil, keys: anvil_keys(dir.path(), 5), contract: String::new() };
    // Every call through evlock-trade (which tells version 2 from the node) as EIP-1559.
    let deploy = market.ok(
        REGISTRAR,
        &["--market-version", "2", "deploy", "--delivery-blocks", "40", "--grace-blocks", "10"],
    );
    market.contract = deploy[0]["contract_address"].as_str().unwrap().to_string();
    let contract: Address = market.contract.parse().unwrap();

    // The registrar proposes each meter, its owner accepts it and names the receipt signer (a
    // key the meter holds apart from its account key).
    let signers = [1u8, 2].map(|b| k256::ecdsa::SigningKey::from_slice(&[0x60 + b; 32]).unwrap());
    for ((meter, owner), key) in [(SELLER_METER, SELLER), (BUYER_METER, BUYER)].into_iter().zip(&signers) {
        let (meter, owner_address) = (market.addr(meter).to_string(), market.addr(owner).to_string());
        market.ok(REGISTRAR, &["meter", "propose", "--meter", &meter, "--owner", &owner_address]);
        market.ok(owner, &["meter", "accept", "--meter", &meter]);
        let signer = evlock::kaia::address_of(key.verifying_key()).to_checksum(None);
        market.ok(owner, &["meter", "set-signer", "--meter", &meter, "--signer", &signer]);
        assert_eq!(market.status("meter", &meter)["signer"], signer);
    }
    let (energy, price) = (500u64, PRICE_WEI_PER_WH);
    market.ok(SELLER, &["offer", "--energy", "500Wh", "--price", "2ston/Wh", "--expires-in", "100blocks"]);
    let before_buy = market.balance(BUYER);
    let bought = market.ok(BUYER, &["buy", "--offer", "1", "--min-seller-credit", "0"]);

    // One transaction: both meters' latest receipts (from delivery_receipt records, lower
    // ones among them), and the settlement.
    let records: String =
        [(SELLER_METER, 200), (SELLER_METER, energy + 3), (BUYER_METER, energy), (BUYER_METER, 100)]
            .into_iter()
            .map(|(meter, wh)| {
                let key = &signers[usize::from(meter == BUYER_METER)];
                let request = ReceiptRequest {
                    chain_id: 31337,
                    market: contract,
                    receipt: DeliveryReceipt {
                        tradeId: U256::from(1),
                        meter: market.addr(meter).parse().unwrap(),
                        cumulativeWh: U256::from(wh),
                    },
                };
                let signature = evlock::kaia::RecoverableSig::sign_prehash(key, &request.digest()).unwrap();
                let record =
                    request.signed_record(&signature, evlock::kaia::address_of(key.verifying_key()), None);
                format!("{}\n", serde_json::to_string(&evlock::wire::Envelope::new(&record)).unwrap())
            })
            .collect();
    let before_seller = market.balance(SELLER);
    let (code, settled, stderr) = market.step(SELLER, &["receipts", "settle", "--trade", "1"], &records);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(settled[0]["status"], "success", "{settled:?}");
    // The trade as anvil holds it: settled, the overshooting seller count capped.
    let trade = market.status("trade", "1");
    assert_eq!(
        (trade["seller_report_wh"].as_str(), trade["buyer_report_wh"].as_str(), trade["state"].as_str()),
        (Some("500"), Some("500"), Some("settled"))
    );
    let withdrawn = market.ok(SELLER, &["withdraw"]);
    let escrow = u128::from(energy) * price;
    assert_eq!(
        market.balance(SELLER),
        before_seller + escrow - fee(&settled) - fee(&withdrawn),
        "paid to the wei"
    );
    assert_eq!(market.balance(BUYER), before_buy - escrow - fee(&bought));
    assert_eq!(anvil.balance(dir.path(), &market.contract), 0, "the market keeps nothing");
}
