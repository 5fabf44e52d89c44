//! A malicious market party (contracts/test/ReentrantWithdrawer.sol, built by the pinned solc)
//! re-enters EnergyMarket while withdraw() pays it: withdraw() again, settle() and buy(). It
//! must get exactly what it was owed, once, and the market's books must stay whole.

mod common;

use alloy_primitives::{Address, I256, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use common::market::{Market, Party};
use evlock::market::{Action, EnergyMarket};

mod attacker {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        ReentrantWithdrawer,
        "contracts/test/ReentrantWithdrawer.json"
    );
}
use attacker::ReentrantWithdrawer as Attacker;

const DELIVERY_BLOCKS: u64 = 20;
const PRICE_PER_WH: u64 = 2_000_000_000;

struct Scene {
    market: Market,
    registrar: Party,
    operator: Party,
    honest: Party,
    honest_meter: Party,
    attacker_meter: Party,
    other: Party,
    other_meter: Party,
    attacker: Address,
}

impl Scene {
    /// A market, the attacker contract (a registered party through its meter), an honest
    /// trader and another trader; each with one meter.
    fn new() -> Scene {
        let parties: Vec<Party> = (1..=7).map(Party::new).collect();
        let [registrar, operator, honest, honest_meter, attacker_meter, other, other_meter] =
            <[Party; 7]>::try_from(parties).ok().unwrap();
        let funded: Vec<Address> =
            [&registrar, &operator, &honest, &honest_meter, &attacker_meter, &other, &other_meter]
                .iter()
                .map(|p| p.address)
                .collect();
        let mut scene = Scene {
            market: Market::new(&funded),
            registrar,
            operator,
            honest,
            honest_meter,
            attacker_meter,
            other,
            other_meter,
            attacker: Address::ZERO,
        };
        assert!(
            scene.market.send(&mut scene.registrar, &Action::Deploy { delivery_blocks: DELIVERY_BLOCKS }).ok
        );
        let mut init = Attacker::BYTECODE.to_vec();
        init.extend(Attacker::constructorCall { market_: scene.market.address }.abi_encode());
        let deployed = scene.market.send_input(&mut scene.operator, None, U256::ZERO, &init);
        assert!(deployed.ok, "{:?}", deployed.reason);
        scene.attacker = deployed.contract_address.unwrap();
        for (meter, owner) in [
            (scene.attacker_meter.address, scene.attacker),
            (scene.honest_meter.address, scene.honest.address),
            (scene.other_meter.address, scene.other.address),
        ] {
            assert!(scene.market.send(&mut scene.registrar, &Action::RegisterMeter { meter, owner }).ok);
        }
        scene
    }

    /// The operator calls the attacker contract.
    fn drive<C: SolCall>(&mut self, call: C, value: U256) -> common::market::Sent {
        self.market.send_input(&mut self.operator, Some(self.attacker), value, &call.abi_encode())
    }

    fn owed(&self, who: Address) -> U256 {
        self.market.view(EnergyMarket::balanceOfCall(who))
    }
}

fn u(n: u64) -> U256 {
    U256::from(n)
}

/// Opens a 500 Wh trade between the attacker and the honest trader (the attacker sells or
/// buys, through its own functions), lets both meters see 400 Wh, and settles it after the
/// deadline. Also leaves another trade open, so the market holds money that is not the
/// attacker's. Returns (the trade id, its offer id, what the attacker is owed).
fn attacker_owed_by_a_trade_cut_short(scene: &mut Scene, attacker_sells: bool) -> (U256, U256, U256) {
    let price = u(PRICE_PER_WH);
    let offer = Action::Offer { energy_wh: u(500), price_per_wh: price, expiry_block: u(1_000) };
    let escrow = u(500) * price;
    if attacker_sells {
        let call = Attacker::offerCall { energyWh: u(500), pricePerWh: price, expiryBlock: u(1_000) };
        assert!(scene.drive(call, U256::ZERO).ok);
        let buy = Action::Buy { offer_id: u(1), max_price_per_wh: price, escrow };
        assert!(scene.market.send(&mut scene.honest, &buy).ok);
    } else {
        assert!(scene.market.send(&mut scene.honest, &offer).ok);
        let sent = scene.drive(Attacker::buyCall { offerId: u(1), maxPricePerWh: price }, escrow);
        assert!(sent.ok, "{:?}", sent.reason);
    }
    // Trade 2, honest → other, stays open: its escrow sits in the market during the attack.
    let other_offer =
        Action::Offer { energy_wh: u(300), price_per_wh: u(3_000_000_000), expiry_block: u(1_000) };
    assert!(scene.market.send(&mut scene.honest, &other_offer).ok);
    let buy = Action::Buy { offer_id: u(2), max_price_per_wh: u(3_000_000_000), escrow: u(900_000_000_000) };
    assert!(scene.market.send(&mut scene.other, &buy).ok);

    for meter in [&mut scene.attacker_meter, &mut scene.honest_meter] {
        let report = Action::Report { trade_id: u(1), cumulative_wh: u(400) };
        assert!(scene.market.send(meter, &report).ok);
    }
    scene.market.wait_blocks(DELIVERY_BLOCKS + 1);
    assert!(scene.market.send(&mut scene.registrar, &Action::Settle { trade_id: u(1) }).ok);
    let paid = u(400) * price;
    let attacker_owed = if attacker_sells { paid } else { escrow - paid };
    assert_eq!(scene.owed(scene.attacker), attacker_owed);
    assert_eq!(scene.owed(scene.honest.address), escrow - attacker_owed);
    assert_eq!(scene.market.view(EnergyMarket::creditCall(scene.attacker)), I256::try_from(-3).unwrap());
    scene.market.assert_invariant();
    (u(1), u(1), attacker_owed)
}

fn the_attack_gets_exactly_what_is_owed(attacker_sells: bool) {
    let mut scene = Scene::new();
    let (trade_id, offer_id, owed) = attacker_owed_by_a_trade_cut_short(&mut scene, attacker_sells);
    let honest_owed = scene.owed(scene.honest.address);
    let market_before = scene.market.chain.balance(scene.market.address);
    let (escrow_before, owed_before) = scene.market.totals();
    assert!(market_before > owed * u(2), "the market holds enough to pay the attacker twice");
    assert_eq!(scene.market.chain.balance(scene.attacker), U256::ZERO);

    let attack = Attacker::attackCall { tradeId: trade_id, offerId: offer_id, maxDepth_: u(3) };
    let sent = scene.drive(attack, U256::ZERO);
    assert!(sent.ok, "the outer withdraw goes through: {:?}", sent.reason);

    let at = scene.attacker;
    assert_eq!(scene.market.chain.balance(at), owed, "gained exactly what it was owed, not more");
    assert_eq!(scene.market.view_at(at, Attacker::receivedCall {}), owed);
    assert_eq!(scene.market.view_at(at, Attacker::paymentsCall {}), u(1), "paid once");
    assert_eq!(
        scene.market.view_at(at, Attacker::reentryAttemptsCall {}),
        u(3),
        "withdraw, settle and buy were tried"
    );
    assert_eq!(scene.market.view_at(at, Attacker::reentrySuccessesCall {}), U256::ZERO);
    assert_eq!(scene.market.view_at(at, Attacker::withdrawReentryReasonCall {}), "nothing to withdraw");
    assert_eq!(scene.market.view_at(at, Attacker::settleReentryReasonCall {}), "trade not open");
    assert_eq!(scene.market.view_at(at, Attacker::buyReentryReasonCall {}), "offer not open");

    assert_eq!(scene.owed(at), U256::ZERO);
    assert_eq!(scene.owed(scene.honest.address), honest_owed, "the honest trader's credit is untouched");
    assert_eq!(scene.market.chain.balance(scene.market.address), market_before - owed);
    assert_eq!(scene.market.totals(), (escrow_before, owed_before - owed));
    scene.market.assert_invariant();

    // A second withdrawal, plain: nothing left.
    let again = scene.drive(Attacker::withdrawCall {}, U256::ZERO);
    assert!(!again.ok);
    assert_eq!(again.reason.as_deref(), Some("nothing to withdraw"));
    assert_eq!(scene.market.chain.balance(at), owed);

    // The honest trader still gets exactly its refund or payment.
    let before = scene.market.chain.balance(scene.honest.address);
    let withdrawn = scene.market.send(&mut scene.honest, &Action::Withdraw);
    assert!(withdrawn.ok);
    assert_eq!(scene.market.chain.balance(scene.honest.address), before + honest_owed - withdrawn.fee);
    scene.market.assert_invariant();
    assert_eq!(
        scene.market.chain.balance(scene.market.address),
        escrow_before,
        "only trade 2's escrow is left"
    );

    // The attacker's operator can take the money out: it was real.
    let before = scene.market.chain.balance(scene.operator.address);
    let swept = scene.drive(Attacker::sweepCall {}, U256::ZERO);
    assert!(swept.ok);
    assert_eq!(scene.market.chain.balance(scene.operator.address), before + owed - swept.fee);
}

#[test]
fn a_reentrant_seller_is_paid_once() {
    the_attack_gets_exactly_what_is_owed(true);
}

#[test]
fn a_reentrant_buyer_is_refunded_once() {
    the_attack_gets_exactly_what_is_owed(false);
}
