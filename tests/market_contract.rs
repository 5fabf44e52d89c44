//! EnergyMarket on revm (the in-process devnet chain, no node): whole trades with exact
//! payouts and credits, and the invariant that the contract holds open escrows plus unpaid
//! credits.

use alloy_primitives::U256;
use evlock::market::{Action, EnergyMarket};

mod common;

use common::market::{GAS_PRICE as PRICE, Market, Party};

const DELIVERY_BLOCKS: u64 = 20;

fn party(byte: u8) -> Party {
    Party::new(byte)
}

/// Sends `action` from `who`: (success, revert reason, gas used).
fn send(market: &mut Market, who: &mut Party, action: Action) -> (bool, Option<String>, u64) {
    let sent = market.send(who, &action);
    (sent.ok, sent.reason, sent.gas_used)
}

fn setup() -> (Market, Party, Party, Party, Party, Party) {
    let (mut registrar, seller, buyer, seller_meter, buyer_meter) =
        (party(1), party(2), party(3), party(4), party(5));
    let funded: Vec<_> =
        [&registrar, &seller, &buyer, &seller_meter, &buyer_meter].iter().map(|p| p.address).collect();
    let mut market = Market::new(&funded);
    assert!(send(&mut market, &mut registrar, Action::Deploy { delivery_blocks: DELIVERY_BLOCKS }).0);
    for (meter, owner) in [(&seller_meter, &seller), (&buyer_meter, &buyer)] {
        let action = Action::RegisterMeter { meter: meter.address, owner: owner.address };
        assert!(send(&mut market, &mut registrar, action).0);
    }
    (market, registrar, seller, buyer, seller_meter, buyer_meter)
}

/// Offer 500 Wh at 2 ston/Wh, buy it; returns the escrow.
fn open_trade(market: &mut Market, seller: &mut Party, buyer: &mut Party) -> U256 {
    let price = U256::from(2_000_000_000u64);
    let energy = U256::from(500);
    let offer = Action::Offer { energy_wh: energy, price_per_wh: price, expiry_block: U256::from(1_000) };
    assert!(send(market, seller, offer).0);
    let escrow = energy * price;
    let buy = Action::Buy { offer_id: U256::from(1), max_price_per_wh: price, escrow };
    assert!(send(market, buyer, buy).0);
    market.assert_invariant();
    escrow
}

fn report(market: &mut Market, meter: &mut Party, wh: u64) -> (bool, Option<String>, u64) {
    send(market, meter, Action::Report { trade_id: U256::from(1), cumulative_wh: U256::from(wh) })
}

#[test]
fn a_complete_trade_pays_the_seller_and_raises_credit() {
    let (mut market, _, mut seller, mut buyer, mut sm, mut bm) = setup();
    let escrow = open_trade(&mut market, &mut seller, &mut buyer);
    for wh in [100, 250, 500] {
        assert!(report(&mut market, &mut sm, wh).0);
        assert!(report(&mut market, &mut bm, wh).0);
        market.assert_invariant();
    }
    let (ok, reason, _) = report(&mut market, &mut sm, 400);
    assert!(!ok);
    assert_eq!(reason.as_deref(), Some("report decreased"));
    assert!(send(&mut market, &mut seller, Action::Settle { trade_id: U256::from(1) }).0);
    assert_eq!(market.view(EnergyMarket::balanceOfCall(seller.address)), escrow);
    assert_eq!(market.view(EnergyMarket::balanceOfCall(buyer.address)), U256::ZERO);
    assert_eq!(market.view(EnergyMarket::creditCall(seller.address)), alloy_primitives::I256::ONE);
    assert_eq!(market.view(EnergyMarket::creditCall(buyer.address)), alloy_primitives::I256::ONE);
    market.assert_invariant();
    let before = market.chain.balance(seller.address);
    let (ok, _, gas) = send(&mut market, &mut seller, Action::Withdraw);
    assert!(ok);
    assert_eq!(market.chain.balance(seller.address), before + escrow - U256::from(gas) * U256::from(PRICE));
    let (ok, reason, _) = send(&mut market, &mut seller, Action::Withdraw);
    assert!(!ok);
    assert_eq!(reason.as_deref(), Some("nothing to withdraw"));
    market.assert_invariant();
}

#[test]
fn a_trade_cut_short_pays_what_both_meters_saw_and_lowers_credit() {
    let (mut market, _, mut seller, mut buyer, mut sm, mut bm) = setup();
    let escrow = open_trade(&mut market, &mut seller, &mut buyer);
    // The seller's meter over-reports; the buyer's saw 200 Wh.
    assert!(report(&mut market, &mut sm, 450).0);
    assert!(report(&mut market, &mut bm, 200).0);
    let (ok, reason, _) = send(&mut market, &mut buyer, Action::Settle { trade_id: U256::from(1) });
    assert!(!ok);
    assert_eq!(reason.as_deref(), Some("trade still in delivery"));
    market.wait_blocks(DELIVERY_BLOCKS + 1);
    let (ok, reason, _) = report(&mut market, &mut bm, 300);
    assert!(!ok);
    assert_eq!(reason.as_deref(), Some("delivery window closed"));
    assert!(send(&mut market, &mut buyer, Action::Settle { trade_id: U256::from(1) }).0);
    let paid = U256::from(200) * U256::from(2_000_000_000u64);
    assert_eq!(
        market.view(EnergyMarket::balanceOfCall(seller.address)),
        paid,
        "paid only the buyer's figure"
    );
    assert_eq!(market.view(EnergyMarket::balanceOfCall(buyer.address)), escrow - paid);
    assert_eq!(
        market.view(EnergyMarket::creditCall(seller.address)),
        alloy_primitives::I256::try_from(-3).unwrap()
    );
    assert_eq!(
        market.view(EnergyMarket::creditCall(buyer.address)),
        alloy_primitives::I256::try_from(-3).unwrap()
    );
    market.assert_invariant();
}

#[test]
fn bad_market_calls_revert_with_reasons() {
    let (mut market, mut registrar, mut seller, mut buyer, mut sm, _) = setup();
    let price = U256::from(2_000_000_000u64);
    let cases: Vec<(Action, &str, bool)> = vec![
        (
            Action::Buy { offer_id: U256::from(9), max_price_per_wh: price, escrow: U256::ZERO },
            "unknown offer",
            false,
        ),
        (Action::Settle { trade_id: U256::from(9) }, "unknown trade", false),
        (
            Action::Offer { energy_wh: U256::ZERO, price_per_wh: price, expiry_block: U256::from(100) },
            "energy out of range",
            true,
        ),
    ];
    for (action, reason, by_seller) in cases {
        let who = if by_seller { &mut seller } else { &mut buyer };
        let (ok, got, _) = send(&mut market, who, action);
        assert!(!ok);
        assert_eq!(got.as_deref(), Some(reason));
    }
    let offer =
        Action::Offer { energy_wh: U256::from(10), price_per_wh: price, expiry_block: U256::from(100) };
    let (ok, reason, _) = send(&mut market, &mut registrar, offer.clone());
    assert!(!ok);
    assert_eq!(reason.as_deref(), Some("seller has no registered meter"));
    assert!(send(&mut market, &mut seller, offer).0);
    let own =
        Action::Buy { offer_id: U256::from(1), max_price_per_wh: price, escrow: U256::from(10) * price };
    assert_eq!(send(&mut market, &mut seller, own).1.as_deref(), Some("cannot buy own offer"));
    let cheap = Action::Buy {
        offer_id: U256::from(1),
        max_price_per_wh: price - U256::from(1),
        escrow: U256::from(10) * price,
    };
    assert_eq!(send(&mut market, &mut buyer, cheap).1.as_deref(), Some("price above maximum"));
    let short = Action::Buy { offer_id: U256::from(1), max_price_per_wh: price, escrow: U256::from(1) };
    assert_eq!(
        send(&mut market, &mut buyer, short).1.as_deref(),
        Some("escrow must equal energy times price")
    );
    let ok_buy =
        Action::Buy { offer_id: U256::from(1), max_price_per_wh: price, escrow: U256::from(10) * price };
    assert!(send(&mut market, &mut buyer, ok_buy).0);
    assert_eq!(report(&mut market, &mut registrar, 1).1.as_deref(), Some("meter not registered"));
    assert!(report(&mut market, &mut sm, 5).0);
    assert_eq!(report(&mut market, &mut sm, 4).1.as_deref(), Some("report decreased"));
    assert_eq!(report(&mut market, &mut sm, 11).1.as_deref(), Some("report exceeds trade energy"));
    assert_eq!(
        send(&mut market, &mut seller, Action::Cancel { offer_id: U256::from(1) }).1.as_deref(),
        Some("offer not open")
    );
    market.assert_invariant();
}
