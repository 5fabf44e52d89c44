//! EnergyMarket's gas, printed (a bench binary, not criterion: gas is exact, not timed).
//!
//!     cargo bench --bench market_gas
//!
//! Every figure is the `gas_used` of a real signed transaction mined by the in-process devnet
//! (revm, Kaia's intrinsic gas), priced at Kaia's 25 ston (25 gwei) per gas:
//! - each market call once: deploy, registerMeter, offer, buy, report (a side's first and a
//!   later one), settle (complete and cut short), cancel, withdraw;
//! - the on-chain cost of one hour of delivery of 3,600 Wh (a 3.6 kW charge) with both
//!   meters reporting every second (7,200 reports) and every minute (120 reports), plus the
//!   offer, the buy, the settlement and the withdrawals.
//!
//! - version 2 beside it (`EnergyMarketV2`): each call once, and whole trades settled in one
//!   transaction on both meters' latest signed receipts — the same gas for a one-minute and a
//!   one-hour trade, however often the meters signed.
//!
//! Under `cargo test --all-targets` (no `--bench`) it runs the per-call tables and the
//! every-minute trade only, and checks the contract's documented bound that a report stays
//! under 35,000 gas, and version 2's goals: a settle with two receipts under 120,000 gas, a
//! whole trade (offer, buy, one settle with both receipts, two withdrawals) under 450,000.

#[allow(dead_code)]
#[path = "../tests/common/market.rs"]
mod market;

use alloy_primitives::{Address, U256};
use evlock::market::Action;
use market::{GAS_PRICE, Market, Party, Sent};

/// Kaia's block time is one second: an hour-long delivery needs this many blocks, and the
/// devnet mines one block per transaction, so the window must also hold 7,200 reports.
const DELIVERY_BLOCKS: u64 = 10_000;
const HOUR_WH: u64 = 3_600;
const PRICE_PER_WH: u64 = 2_000_000_000;
/// The contract's own claim (EnergyMarket.sol header): a report stays under 35,000 gas.
const REPORT_GAS_BOUND: u64 = 35_000;

fn u(n: u64) -> U256 {
    U256::from(n)
}

/// A fee in peb as KAIA (10^18 peb), exact, without trailing zeros.
fn kaia(peb: u128) -> String {
    let (whole, fraction) = (peb / 10u128.pow(18), peb % 10u128.pow(18));
    let fraction = format!("{fraction:018}");
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() { whole.to_string() } else { format!("{whole}.{fraction}") }
}

fn row(label: &str, gas: u64) {
    let peb = gas as u128 * GAS_PRICE as u128;
    println!("{label:<46} {gas:>12} {peb:>26} {:>22}", kaia(peb));
}

/// The market, its registrar, a seller and a buyer with one registered meter each.
struct Desk {
    market: Market,
    registrar: Party,
    seller: Party,
    buyer: Party,
    seller_meter: Party,
    buyer_meter: Party,
    offers: u64,
    trades: u64,
}

impl Desk {
    /// Deploys and registers the two meters; returns the desk and those three transactions.
    fn open() -> (Desk, [Sent; 3]) {
        let [registrar, seller, buyer, seller_meter, buyer_meter] = [1, 2, 3, 4, 5].map(Party::new);
        let funded: Vec<Address> =
            [&registrar, &seller, &buyer, &seller_meter, &buyer_meter].iter().map(|p| p.address).collect();
        let mut desk = Desk {
            market: Market::new(&funded),
            registrar,
            seller,
            buyer,
            seller_meter,
            buyer_meter,
            offers: 0,
            trades: 0,
        };
        let deploy =
            desk.market.send(&mut desk.registrar, &Action::Deploy { delivery_blocks: DELIVERY_BLOCKS });
        let seller_meter =
            Action::RegisterMeter { meter: desk.seller_meter.address, owner: desk.seller.address };
        let seller_register = desk.market.send(&mut desk.registrar, &seller_meter);
        let buyer_meter =
            Action::RegisterMeter { meter: desk.buyer_meter.address, owner: desk.buyer.address };
        let buyer_register = desk.market.send(&mut desk.registrar, &buyer_meter);
        (desk, [deploy, seller_register, buyer_register].map(ok))
    }

    fn offer(&mut self, energy_wh: u64) -> (U256, Sent) {
        let offer = Action::Offer {
            energy_wh: u(energy_wh),
            price_per_wh: u(PRICE_PER_WH),
            expiry_block: u(1_000_000),
        };
        let sent = ok(self.market.send(&mut self.seller, &offer));
        self.offers += 1;
        (u(self.offers), sent)
    }

    fn buy(&mut self, offer_id: U256, energy_wh: u64) -> (U256, Sent) {
        let buy = Action::Buy {
            offer_id,
            max_price_per_wh: u(PRICE_PER_WH),
            escrow: u(energy_wh) * u(PRICE_PER_WH),
        };
        let sent = ok(self.market.send(&mut self.buyer, &buy));
        self.trades += 1;
        (u(self.trades), sent)
    }

    fn report(&mut self, seller_side: bool, trade_id: U256, cumulative_wh: u64) -> Sent {
        let meter = if seller_side { &mut self.seller_meter } else { &mut self.buyer_meter };
        ok(self.market.send(meter, &Action::Report { trade_id, cumulative_wh: u(cumulative_wh) }))
    }

    fn settle(&mut self, trade_id: U256) -> Sent {
        ok(self.market.send(&mut self.registrar, &Action::Settle { trade_id }))
    }
}

fn ok(sent: Sent) -> Sent {
    assert!(sent.ok, "reverted: {:?}", sent.reason);
    sent
}

/// What [`per_call`] measured that the hour trades reuse.
struct Measured {
    /// The largest of the report rows.
    report: u64,
    /// The two withdrawals after a trade that owes both parties: the seller's (the market
    /// still owes the buyer) and then the buyer's (the market then owes nothing).
    withdraws: [u64; 2],
}

/// Each call once.
fn per_call() -> Measured {
    let (mut desk, [deploy, register, _]) = Desk::open();
    row("deploy (constructor: deliveryBlocks)", deploy.gas_used);
    row("registerMeter", register.gas_used);

    let (first_offer, sent) = desk.offer(500);
    row("offer (the market's first)", sent.gas_used);
    let (offer_id, sent) = desk.offer(500);
    row("offer (later)", sent.gas_used);
    let (cancelled, _) = desk.offer(500);
    let cancel = ok(desk.market.send(&mut desk.seller, &Action::Cancel { offer_id: cancelled }));
    row("cancel", cancel.gas_used);

    let (trade_id, sent) = desk.buy(first_offer, 500);
    row("buy (the market's first trade)", sent.gas_used);
    let (short_trade, sent) = desk.buy(offer_id, 500);
    row("buy (later)", sent.gas_used);

    let reports = [
        ("report (seller's meter, first)", desk.report(true, trade_id, 100)),
        ("report (buyer's meter, first)", desk.report(false, trade_id, 100)),
        ("report (seller's meter, later)", desk.report(true, trade_id, 250)),
        ("report (buyer's meter, later)", desk.report(false, trade_id, 250)),
    ];
    for (label, sent) in &reports {
        row(label, sent.gas_used);
    }
    let report_gas = reports.iter().map(|(_, s)| s.gas_used).max().unwrap();
    desk.report(true, trade_id, 500);
    desk.report(false, trade_id, 500);
    row("settle (complete)", desk.settle(trade_id).gas_used);

    desk.report(true, short_trade, 400);
    desk.report(false, short_trade, 300);
    desk.market.wait_blocks(DELIVERY_BLOCKS);
    row("settle (cut short, after the deadline)", desk.settle(short_trade).gas_used);

    let seller_withdraw = ok(desk.market.send(&mut desk.seller, &Action::Withdraw));
    row("withdraw (seller's payment)", seller_withdraw.gas_used);
    let buyer_withdraw = ok(desk.market.send(&mut desk.buyer, &Action::Withdraw));
    row("withdraw (buyer's refund)", buyer_withdraw.gas_used);
    desk.market.assert_invariant();
    Measured { report: report_gas, withdraws: [seller_withdraw.gas_used, buyer_withdraw.gas_used] }
}

/// One hour of delivery of HOUR_WH, both meters reporting every `interval_s` seconds, then
/// settled and the seller paid; returns the largest report's gas. The two withdrawals in the
/// total are the per-call table's: a complete trade owes the buyer no refund, so its own
/// second withdrawal would only revert; the table's pair is a trade that owes both.
fn hour_trade(interval_s: u64, withdraws: [u64; 2]) -> u64 {
    let (mut desk, _) = Desk::open();
    let (offer_id, offer) = desk.offer(HOUR_WH);
    let (trade_id, buy) = desk.buy(offer_id, HOUR_WH);
    let (mut report_gas, mut largest, mut count) = (0u64, 0u64, 0u64);
    // The meters see 1 Wh per second (3.6 kW); each reports its cumulative figure.
    for second in (interval_s..=HOUR_WH).step_by(interval_s as usize) {
        for seller_side in [true, false] {
            let gas = desk.report(seller_side, trade_id, second).gas_used;
            report_gas += gas;
            largest = largest.max(gas);
            count += 1;
        }
    }
    let settle = desk.settle(trade_id);
    let withdraw = ok(desk.market.send(&mut desk.seller, &Action::Withdraw));
    assert!(withdraw.gas_used <= withdraws[0], "the table's seller withdrawal is the dearer case");
    desk.market.assert_invariant();
    assert_eq!(desk.market.chain.balance(desk.market.address), U256::ZERO);

    let every = if interval_s == 1 { "second".to_string() } else { format!("{interval_s} s") };
    println!("\none hour, {HOUR_WH} Wh, both meters reporting every {every} ({count} reports):");
    row("offer", offer.gas_used);
    row("buy", buy.gas_used);
    row(&format!("{count} reports (mean {} each)", report_gas / count), report_gas);
    row("settle (complete)", settle.gas_used);
    row("withdraw (seller; per-call table)", withdraws[0]);
    row("withdraw (buyer's refund; per-call table)", withdraws[1]);
    let total = offer.gas_used + buy.gas_used + report_gas + settle.gas_used + withdraws[0] + withdraws[1];
    row("total", total);
    largest
}

/// Version 2: the desk, its per-call table and whole trades.
mod v2 {
    use super::{DELIVERY_BLOCKS, HOUR_WH, PRICE_PER_WH, market, ok, row, u};
    use alloy_primitives::{Address, U256};
    use evlock::kaia::RecoverableSig;
    use evlock::market::v2::{Action, DeliveryReceipt, SignedReceipt, receipt_digest, receipt_domain};
    use market::{Market, Party, Sent};

    /// Version 2's goals (issue: "EnergyMarket v2").
    pub const SETTLE_TWO_RECEIPTS_BOUND: u64 = 120_000;
    pub const WHOLE_TRADE_BOUND: u64 = 450_000;
    const GRACE_BLOCKS: u64 = 100;

    pub struct Desk {
        market: Market,
        registrar: Party,
        seller: Party,
        buyer: Party,
        sm: Party,
        bm: Party,
        trades: u64,
    }

    impl Desk {
        /// Deploys; proposes, accepts the two meters; returns the transactions.
        pub fn open() -> (Desk, Vec<(&'static str, Sent)>) {
            let [registrar, seller, buyer, sm, bm] = [1, 2, 3, 4, 5].map(Party::new);
            let funded: Vec<Address> =
                [&registrar, &seller, &buyer, &sm, &bm].iter().map(|p| p.address).collect();
            let mut d = Desk { market: Market::new(&funded), registrar, seller, buyer, sm, bm, trades: 0 };
            let mut sent = Vec::new();
            let deploy = Action::Deploy { delivery_blocks: DELIVERY_BLOCKS, grace_blocks: GRACE_BLOCKS };
            sent.push(("deploy (constructor: delivery, grace)", d.send_from(0, &deploy)));
            let (sm, bm, seller, buyer) = (d.sm.address, d.bm.address, d.seller.address, d.buyer.address);
            sent.push(("proposeMeter", d.send_from(0, &Action::ProposeMeter { meter: sm, owner: seller })));
            sent.push(("acceptMeter", d.send_from(1, &Action::AcceptMeter { meter: sm })));
            d.send_from(0, &Action::ProposeMeter { meter: bm, owner: buyer });
            d.send_from(2, &Action::AcceptMeter { meter: bm });
            (d, sent)
        }

        /// Sends from 0 registrar, 1 seller, 2 buyer.
        pub fn send_from(&mut self, who: usize, action: &Action) -> Sent {
            let to = if matches!(action, Action::Deploy { .. }) { None } else { Some(self.market.address) };
            let party =
                [&mut self.registrar, &mut self.seller, &mut self.buyer].into_iter().nth(who).unwrap();
            let sent = ok(self.market.send_input(party, to, action.value(), &action.call_data()));
            if let Some(created) = sent.contract_address {
                self.market.address = created;
            }
            sent
        }

        pub fn trade(&mut self, energy_wh: u64) -> (U256, Sent, Sent) {
            let offer = Action::Offer {
                energy_wh: u(energy_wh),
                price_per_wh: u(PRICE_PER_WH),
                expiry_block: u(1_000_000),
                min_buyer_credit: -1_000,
            };
            let offered = self.send_from(1, &offer);
            let offer_id = self.market.view(evlock::market::v2::EnergyMarketV2::offerCountCall {});
            let buy = Action::Buy {
                offer_id,
                max_price_per_wh: u(PRICE_PER_WH),
                min_seller_credit: -1_000,
                escrow: u(energy_wh) * u(PRICE_PER_WH),
            };
            let bought = self.send_from(2, &buy);
            self.trades += 1;
            (u(self.trades), offered, bought)
        }

        pub fn receipt(&self, seller_side: bool, trade_id: U256, wh: u64) -> SignedReceipt {
            let meter = if seller_side { &self.sm } else { &self.bm };
            let domain = receipt_domain(31337, self.market.address);
            let receipt = DeliveryReceipt { tradeId: trade_id, meter: meter.address, cumulativeWh: u(wh) };
            let signature =
                RecoverableSig::sign_prehash(&meter.key, &receipt_digest(&receipt, &domain)).unwrap();
            SignedReceipt { trade_id, meter: meter.address, cumulative_wh: u(wh), signature }
        }

        pub fn settle_with(&mut self, trade_id: U256, seller_wh: u64, buyer_wh: u64) -> Sent {
            let receipts =
                vec![self.receipt(true, trade_id, seller_wh), self.receipt(false, trade_id, buyer_wh)];
            self.send_from(1, &Action::SettleWithReceipts { trade_id, receipts })
        }
    }

    /// Each v2 call once; returns the dearest settle with two receipts.
    pub fn per_call() -> u64 {
        println!("\nEnergyMarketV2 (signed receipts):");
        let (mut d, setup) = Desk::open();
        for (label, sent) in &setup {
            row(label, sent.gas_used);
        }
        let signer = Party::new(9).address;
        row(
            "setMeterSigner",
            d.send_from(1, &Action::SetMeterSigner { meter: d.sm.address, signer }).gas_used,
        );
        d.send_from(1, &Action::SetMeterSigner { meter: d.sm.address, signer: d.sm.address });
        let (first, offered, bought) = d.trade(500);
        row("offer (the market's first)", offered.gas_used);
        row("buy (the market's first trade)", bought.gas_used);
        let (second, offered, bought) = d.trade(500);
        row("offer (later)", offered.gas_used);
        row("buy (later)", bought.gas_used);
        let one = vec![d.receipt(false, second, 100)];
        row(
            "submitReceipts (one receipt)",
            d.send_from(0, &Action::SubmitReceipts { receipts: one }).gas_used,
        );
        let two = vec![d.receipt(true, second, 200), d.receipt(false, second, 200)];
        row(
            "submitReceipts (two receipts)",
            d.send_from(0, &Action::SubmitReceipts { receipts: two }).gas_used,
        );
        let report = d.market.send_input(
            &mut d.bm,
            Some(d.market.address),
            U256::ZERO,
            &Action::Report { trade_id: second, cumulative_wh: u(250) }.call_data(),
        );
        row("report (fallback, buyer's meter)", ok(report).gas_used);
        let complete = d.settle_with(first, 500, 500).gas_used;
        row("settleWithReceipts (two receipts, complete)", complete);
        d.market.wait_blocks(DELIVERY_BLOCKS);
        let short = d.settle_with(second, 400, 300).gas_used;
        row("settleWithReceipts (two, cut short, by seller)", short);
        row("withdraw (seller's payment)", d.send_from(1, &Action::Withdraw).gas_used);
        row("withdraw (buyer's refund)", d.send_from(2, &Action::Withdraw).gas_used);
        d.market.assert_invariant();
        complete.max(short)
    }

    /// A whole trade of `energy_wh` whose meters signed however often: offer, buy, one settle
    /// with both latest receipts, both withdrawals (the buyer's meter signed one Wh short, so
    /// the buyer has a refund to withdraw and the seller settles after the deadline). Returns
    /// the total gas.
    pub fn whole_trade(energy_wh: u64, label: &str) -> u64 {
        let (mut d, _) = Desk::open();
        let (trade_id, offered, bought) = d.trade(energy_wh);
        d.market.wait_blocks(DELIVERY_BLOCKS);
        let settled = d.settle_with(trade_id, energy_wh, energy_wh - 1);
        let seller = d.send_from(1, &Action::Withdraw);
        let buyer = d.send_from(2, &Action::Withdraw);
        d.market.assert_invariant();
        assert_eq!(d.market.chain.balance(d.market.address), U256::ZERO);
        println!("\n{label}, {energy_wh} Wh, one settle with both meters' latest receipts:");
        row("offer", offered.gas_used);
        row("buy", bought.gas_used);
        row("settleWithReceipts (two receipts)", settled.gas_used);
        row("withdraw (seller)", seller.gas_used);
        row("withdraw (buyer's refund)", buyer.gas_used);
        let total = offered.gas_used + bought.gas_used + settled.gas_used + seller.gas_used + buyer.gas_used;
        row("total", total);
        total
    }

    pub fn run() {
        let settle = per_call();
        let minute = whole_trade(60, "one minute");
        let hour = whole_trade(HOUR_WH, "one hour (meters signing every second or every minute: the same)");
        assert!(settle < SETTLE_TWO_RECEIPTS_BOUND, "settle with two receipts used {settle} gas");
        assert!(minute.max(hour) < WHOLE_TRADE_BOUND, "a whole trade used {} gas", minute.max(hour));
        assert!(hour.abs_diff(minute) < 1_000, "independent of the duration: {minute} vs {hour}");
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    println!("EnergyMarket gas, at 25 ston (25 gwei) per gas; 1 KAIA = 10^18 peb\n");
    println!("{:<46} {:>12} {:>26} {:>22}", "transaction", "gas", "fee (peb)", "fee (KAIA)");
    let measured = per_call();
    let mut largest = measured.report.max(hour_trade(60, measured.withdraws));
    if full {
        largest = largest.max(hour_trade(1, measured.withdraws));
    } else {
        println!("\n(the every-second trade runs under `cargo bench --bench market_gas`)");
    }
    assert!(
        largest < REPORT_GAS_BOUND,
        "a report used {largest} gas, over the documented {REPORT_GAS_BOUND}"
    );
    v2::run();
}
