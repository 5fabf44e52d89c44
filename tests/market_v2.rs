//! EnergyMarketV2 on revm (the in-process devnet chain, no node): every rule and revert path
//! of signed delivery receipts, meter consent/revocation/signer, the registrar hand-over, the
//! grace window against a late settle, bounded windows and credit minimums; receipts signed
//! and hashed by ethers v6 (`signTypedData`, `TypedDataEncoder.hash`) as an independent
//! EIP-712 check; and a random-action run against a model with the balance invariant.
//!
//! `EVLOCK_PROP_STEPS=N` lengthens the random run (default 2,000 steps over two seeds),
//! `EVLOCK_PROP_SEED=S` replays one seed.

mod common;

use std::collections::HashMap;

use alloy_primitives::{Address, I256, U256};
use alloy_sol_types::{Eip712Domain, SolCall};
use common::Rng;
use common::market::{Market, Party, Sent};
use evlock::kaia::RecoverableSig;
use evlock::market::v2::{
    Action, DeliveryReceipt, EnergyMarketV2 as M, SignedReceipt, receipt_digest, receipt_domain,
};
use k256::ecdsa::SigningKey;

const DELIVERY: u64 = 20;
const GRACE: u64 = 10;
const CHAIN_ID: u64 = 31337;
const ENERGY: u64 = 500;
const PRICE: u64 = 2_000_000_000;

fn u(n: u64) -> U256 {
    U256::from(n)
}

/// Sends a v2 action from `who` to the market (a deployment becomes the market).
fn send(market: &mut Market, who: &mut Party, action: &Action) -> Sent {
    let to = if matches!(action, Action::Deploy { .. }) { None } else { Some(market.address) };
    let sent = market.send_input(who, to, action.value(), &action.call_data());
    if let Some(created) = sent.contract_address {
        market.address = created;
    }
    sent
}

#[track_caller]
fn ok(sent: Sent) -> Sent {
    assert!(sent.ok, "reverted: {:?}", sent.reason);
    sent
}

#[track_caller]
fn reverts(sent: Sent, reason: &str) {
    assert!(!sent.ok, "expected a revert with {reason:?}");
    assert_eq!(sent.reason.as_deref(), Some(reason));
}

fn sign_receipt(
    key: &SigningKey,
    domain: &Eip712Domain,
    trade: u64,
    meter: Address,
    wh: u64,
) -> SignedReceipt {
    let receipt = DeliveryReceipt { tradeId: u(trade), meter, cumulativeWh: u(wh) };
    let signature = RecoverableSig::sign_prehash(key, &receipt_digest(&receipt, domain)).unwrap();
    SignedReceipt { trade_id: u(trade), meter, cumulative_wh: u(wh), signature }
}

/// The same signature with s replaced by n − s (and the parity flipped): valid for plain
/// ecrecover, refused by a low-S library.
fn high_s(mut receipt: SignedReceipt) -> SignedReceipt {
    let n =
        U256::from_str_radix("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", 16).unwrap();
    receipt.signature.s = n - receipt.signature.s;
    receipt.signature.y_parity = !receipt.signature.y_parity;
    receipt
}

/// A deployed market with a seller and a buyer, each with one accepted meter, and a third
/// trader (`other`) with a meter of its own.
struct Desk {
    market: Market,
    registrar: Party,
    seller: Party,
    buyer: Party,
    sm: Party,
    bm: Party,
    other: Party,
    om: Party,
    stranger: Party,
    domain: Eip712Domain,
}

impl Desk {
    fn new() -> Desk {
        let [mut registrar, mut seller, mut buyer, sm, bm, mut other, om, stranger] =
            [1, 2, 3, 4, 5, 6, 7, 8].map(Party::new);
        let funded: Vec<Address> = [&registrar, &seller, &buyer, &sm, &bm, &other, &om, &stranger]
            .iter()
            .map(|p| p.address)
            .collect();
        let mut market = Market::new(&funded);
        ok(send(
            &mut market,
            &mut registrar,
            &Action::Deploy { delivery_blocks: DELIVERY, grace_blocks: GRACE },
        ));
        for (meter, owner) in [(&sm, &mut seller), (&bm, &mut buyer), (&om, &mut other)] {
            ok(send(
                &mut market,
                &mut registrar,
                &Action::ProposeMeter { meter: meter.address, owner: owner.address },
            ));
            ok(send(&mut market, owner, &Action::AcceptMeter { meter: meter.address }));
        }
        let domain = receipt_domain(CHAIN_ID, market.address);
        Desk { market, registrar, seller, buyer, sm, bm, other, om, stranger, domain }
    }

    /// Offer ENERGY Wh at PRICE and buy it; returns the trade id.
    fn open_trade(&mut self) -> u64 {
        let expiry = u(self.market.block_number() + 1_000);
        let offer = Action::Offer {
            energy_wh: u(ENERGY),
            price_per_wh: u(PRICE),
            expiry_block: expiry,
            min_buyer_credit: -100,
        };
        ok(send(&mut self.market, &mut self.seller, &offer));
        let offer_id = self.market.view(M::offerCountCall {});
        let buy = Action::Buy {
            offer_id,
            max_price_per_wh: u(PRICE),
            min_seller_credit: -100,
            escrow: u(ENERGY * PRICE),
        };
        ok(send(&mut self.market, &mut self.buyer, &buy));
        self.market.assert_invariant();
        self.market.view(M::tradeCountCall {}).to::<u64>()
    }

    fn receipt(&self, meter: &Party, trade: u64, wh: u64) -> SignedReceipt {
        sign_receipt(&meter.key, &self.domain, trade, meter.address, wh)
    }

    fn submit(&mut self, receipts: Vec<SignedReceipt>) -> Sent {
        send(&mut self.market, &mut self.stranger, &Action::SubmitReceipts { receipts })
    }

    /// (sellerWh, buyerWh, status) of a trade.
    fn sides(&self, trade: u64) -> (u64, u64, u8) {
        let t = self.market.view(M::tradesCall { tradeId: u(trade) });
        (t.sellerWh.to(), t.buyerWh.to(), t.status)
    }

    /// Mines empty blocks so that the next transaction lands in block `block`.
    fn next_tx_at(&mut self, block: u64) {
        let head = self.market.block_number();
        assert!(block > head, "block {block} is already mined");
        self.market.wait_blocks(block - head - 1);
    }

    fn owed(&self, who: Address) -> U256 {
        self.market.view(M::balanceOfCall(who))
    }

    fn credit(&self, who: Address) -> i64 {
        self.market.view(M::creditCall(who)).as_i64()
    }
}

#[test]
fn one_settle_with_both_receipts_completes_a_trade_and_pays_the_seller() {
    let mut d = Desk::new();
    let trade = d.open_trade();
    let receipts = vec![d.receipt(&d.sm, trade, ENERGY), d.receipt(&d.bm, trade, ENERGY)];
    ok(send(&mut d.market, &mut d.seller, &Action::SettleWithReceipts { trade_id: u(trade), receipts }));
    assert_eq!(d.sides(trade), (ENERGY, ENERGY, 2));
    assert_eq!(d.owed(d.seller.address), u(ENERGY * PRICE));
    assert_eq!(d.owed(d.buyer.address), U256::ZERO);
    assert_eq!((d.credit(d.seller.address), d.credit(d.buyer.address)), (1, 1));
    d.market.assert_invariant();
    ok(send(&mut d.market, &mut d.seller, &Action::Withdraw));
    reverts(send(&mut d.market, &mut d.seller, &Action::Withdraw), "nothing to withdraw");
    d.market.assert_invariant();
    // A settled trade: another settle is refused, a late receipt is a no-op.
    reverts(send(&mut d.market, &mut d.buyer, &Action::Settle { trade_id: u(trade) }), "trade not open");
    ok(d.submit(vec![d.receipt(&d.bm, trade, ENERGY)]));
}

#[test]
fn receipts_keep_the_highest_per_side_and_cap_at_the_energy() {
    let mut d = Desk::new();
    let trade = d.open_trade();
    ok(d.submit(vec![d.receipt(&d.sm, trade, 100), d.receipt(&d.bm, trade, 90)]));
    assert_eq!(d.sides(trade), (100, 90, 1));
    // Lower or equal receipts after higher ones change nothing and do not revert.
    ok(d.submit(vec![
        d.receipt(&d.sm, trade, 40),
        d.receipt(&d.bm, trade, 90),
        d.receipt(&d.bm, trade, 120),
    ]));
    assert_eq!(d.sides(trade), (100, 120, 1));
    // A plain report below a receipt is a decrease.
    reverts(
        send(
            &mut d.market,
            &mut d.sm.clone_party(),
            &Action::Report { trade_id: u(trade), cumulative_wh: u(50) },
        ),
        "report decreased",
    );
    // An overshooting last count counts as the whole energy.
    ok(d.submit(vec![d.receipt(&d.sm, trade, ENERGY + 7), d.receipt(&d.bm, trade, u64::MAX)]));
    assert_eq!(d.sides(trade), (ENERGY, ENERGY, 1));
    ok(send(&mut d.market, &mut d.stranger, &Action::Settle { trade_id: u(trade) }));
    assert_eq!(d.owed(d.seller.address), u(ENERGY * PRICE));
}

#[test]
fn forged_replayed_and_misbound_receipts_are_refused() {
    let mut d = Desk::new();
    let trade = d.open_trade();
    let second = d.open_trade();
    // Signed by a key that is not the meter's.
    let forged = sign_receipt(&d.stranger.key, &d.domain, trade, d.bm.address, 300);
    reverts(d.submit(vec![forged]), "receipt not signed by the meter");
    // Replayed on another trade: the signature covers the trade id.
    let mut replayed = d.receipt(&d.bm, trade, 300);
    replayed.trade_id = u(second);
    reverts(d.submit(vec![replayed]), "receipt not signed by the meter");
    // Signed for another contract or another chain.
    let elsewhere = receipt_domain(CHAIN_ID, Address::repeat_byte(0x42));
    reverts(
        d.submit(vec![sign_receipt(&d.bm.key, &elsewhere, trade, d.bm.address, 300)]),
        "receipt not signed by the meter",
    );
    let other_chain = receipt_domain(1001, d.market.address);
    reverts(
        d.submit(vec![sign_receipt(&d.bm.key, &other_chain, trade, d.bm.address, 300)]),
        "receipt not signed by the meter",
    );
    // A meter of someone not party to the trade, and an unregistered meter.
    reverts(d.submit(vec![d.receipt(&d.om, trade, 300)]), "meter not party to trade");
    reverts(d.submit(vec![d.receipt(&d.stranger, trade, 300)]), "meter not registered");
    // High-S and a wrong v.
    reverts(d.submit(vec![high_s(d.receipt(&d.bm, trade, 300))]), "invalid receipt signature");
    let mut bad_v = d.receipt(&d.bm, trade, 300).to_abi();
    bad_v.v = 29;
    let call = M::submitReceiptsCall { receipts: vec![bad_v] }.abi_encode();
    let address = d.market.address;
    reverts(
        d.market.send_input(&mut d.stranger, Some(address), U256::ZERO, &call),
        "invalid receipt signature",
    );
    // One bad receipt reverts the whole batch: nothing was recorded.
    let batch = vec![d.receipt(&d.sm, trade, 200), high_s(d.receipt(&d.bm, trade, 300))];
    reverts(d.submit(batch), "invalid receipt signature");
    assert_eq!(d.sides(trade), (0, 0, 1));
    // settleWithReceipts takes only receipts of its own trade.
    let wrong =
        Action::SettleWithReceipts { trade_id: u(trade), receipts: vec![d.receipt(&d.bm, second, 1)] };
    reverts(send(&mut d.market, &mut d.seller, &wrong), "receipt for another trade");
    reverts(d.submit(vec![d.receipt(&d.bm, 99, 1)]), "unknown trade");
}

#[test]
fn a_buyer_cannot_settle_low_before_the_grace_window_ends() {
    let mut d = Desk::new();
    let trade = d.open_trade();
    let deadline = d.market.view(M::tradesCall { tradeId: u(trade) }).deadline.to::<u64>();
    // The buyer's meter signed 150 Wh, then went silent; the seller delivered 160.
    let last = d.receipt(&d.bm, trade, 150);
    ok(d.submit(vec![d.receipt(&d.bm, trade, 30)]));
    reverts(
        send(&mut d.market, &mut d.buyer, &Action::Settle { trade_id: u(trade) }),
        "trade still in delivery",
    );
    d.next_tx_at(deadline);
    reverts(
        send(&mut d.market, &mut d.buyer, &Action::Settle { trade_id: u(trade) }),
        "trade still in delivery",
    );
    reverts(
        send(&mut d.market, &mut d.buyer, &Action::Settle { trade_id: u(trade) }),
        "trade in its grace window",
    );
    // Meanwhile the seller's session puts the buyer's last receipt on chain.
    ok(d.submit(vec![last]));
    d.next_tx_at(deadline + GRACE);
    reverts(
        send(&mut d.market, &mut d.buyer, &Action::Settle { trade_id: u(trade) }),
        "trade in its grace window",
    );
    let seller_receipt = d.receipt(&d.sm, trade, 160);
    let settle = Action::SettleWithReceipts { trade_id: u(trade), receipts: vec![seller_receipt] };
    ok(send(&mut d.market, &mut d.buyer, &settle));
    assert_eq!(d.sides(trade), (160, 150, 2));
    assert_eq!(d.owed(d.seller.address), u(150 * PRICE));
    assert_eq!(d.owed(d.buyer.address), u((ENERGY - 150) * PRICE));
    assert_eq!((d.credit(d.seller.address), d.credit(d.buyer.address)), (-3, -3));
    d.market.assert_invariant();
}

#[test]
fn the_seller_may_settle_an_unfinished_trade_right_after_the_deadline() {
    let mut d = Desk::new();
    let trade = d.open_trade();
    d.market.wait_blocks(DELIVERY);
    let receipts = vec![d.receipt(&d.sm, trade, 400), d.receipt(&d.bm, trade, 380)];
    ok(send(&mut d.market, &mut d.seller, &Action::SettleWithReceipts { trade_id: u(trade), receipts }));
    assert_eq!(d.owed(d.seller.address), u(380 * PRICE));
}

#[test]
fn meters_need_consent_and_a_revoked_meter_serves_only_older_trades() {
    let mut d = Desk::new();
    let newmeter = Party::new(9);
    let seller = d.seller.address;
    // Only the registrar proposes; only the named owner accepts.
    reverts(
        send(&mut d.market, &mut d.seller, &Action::ProposeMeter { meter: newmeter.address, owner: seller }),
        "only the registrar",
    );
    ok(send(
        &mut d.market,
        &mut d.registrar,
        &Action::ProposeMeter { meter: newmeter.address, owner: d.buyer.address },
    ));
    reverts(
        send(
            &mut d.market,
            &mut d.registrar,
            &Action::ProposeMeter { meter: newmeter.address, owner: d.seller.address },
        ),
        "meter already bound",
    );
    let trade = d.open_trade();
    // Proposed but not accepted: it speaks for nobody.
    reverts(d.submit(vec![d.receipt(&newmeter, trade, 10)]), "meter not registered");
    reverts(
        send(&mut d.market, &mut d.seller, &Action::AcceptMeter { meter: newmeter.address }),
        "only the meter's owner",
    );
    ok(send(&mut d.market, &mut d.buyer, &Action::AcceptMeter { meter: newmeter.address }));
    ok(d.submit(vec![d.receipt(&newmeter, trade, 10)]));
    assert_eq!(d.market.view(M::meterCountCall(d.buyer.address)), u(2));

    // The owner revokes its buyer meter: the open trade still takes its receipts and reports.
    reverts(
        send(&mut d.market, &mut d.other, &Action::RevokeMeter { meter: d.bm.address }),
        "only the owner or the registrar",
    );
    ok(send(&mut d.market, &mut d.buyer, &Action::RevokeMeter { meter: d.bm.address }));
    assert_eq!(d.market.view(M::meterCountCall(d.buyer.address)), u(1));
    assert_eq!(d.market.view(M::meterOwnerCall { meter: d.bm.address }), Address::ZERO);
    ok(d.submit(vec![d.receipt(&d.bm, trade, 20)]));
    let mut bm = d.bm.clone_party();
    ok(send(&mut d.market, &mut bm, &Action::Report { trade_id: u(trade), cumulative_wh: u(25) }));
    // A trade opened after the revocation refuses it.
    let later = d.open_trade();
    reverts(d.submit(vec![d.receipt(&d.bm, later, 20)]), "meter revoked");
    reverts(
        send(&mut d.market, &mut bm, &Action::Report { trade_id: u(later), cumulative_wh: u(1) }),
        "meter revoked",
    );
    // Revoked is final: never bound again, not revoked twice.
    reverts(
        send(
            &mut d.market,
            &mut d.registrar,
            &Action::ProposeMeter { meter: d.bm.address, owner: d.buyer.address },
        ),
        "meter already bound",
    );
    reverts(
        send(&mut d.market, &mut d.registrar, &Action::RevokeMeter { meter: d.bm.address }),
        "meter not bound",
    );
    // The registrar may revoke too; an owner without meters can no longer trade.
    ok(send(&mut d.market, &mut d.registrar, &Action::RevokeMeter { meter: newmeter.address }));
    let offer =
        Action::Offer { energy_wh: u(1), price_per_wh: u(1), expiry_block: u(10_000), min_buyer_credit: 0 };
    reverts(send(&mut d.market, &mut d.buyer, &offer), "seller has no registered meter");
    // A meter revoked before it was accepted never served any trade.
    let unaccepted = Party::new(10);
    ok(send(
        &mut d.market,
        &mut d.registrar,
        &Action::ProposeMeter { meter: unaccepted.address, owner: d.seller.address },
    ));
    ok(send(&mut d.market, &mut d.seller, &Action::RevokeMeter { meter: unaccepted.address }));
    reverts(d.submit(vec![d.receipt(&unaccepted, trade, 10)]), "meter revoked");
    reverts(
        send(&mut d.market, &mut d.seller, &Action::AcceptMeter { meter: unaccepted.address }),
        "meter not proposed",
    );
}

#[test]
fn the_owner_changes_a_meters_signing_address() {
    let mut d = Desk::new();
    let trade = d.open_trade();
    let rotated = Party::new(11);
    reverts(
        send(
            &mut d.market,
            &mut d.registrar,
            &Action::SetMeterSigner { meter: d.bm.address, signer: rotated.address },
        ),
        "only the meter's owner",
    );
    reverts(
        send(
            &mut d.market,
            &mut d.buyer,
            &Action::SetMeterSigner { meter: d.bm.address, signer: Address::ZERO },
        ),
        "zero address",
    );
    ok(send(
        &mut d.market,
        &mut d.buyer,
        &Action::SetMeterSigner { meter: d.bm.address, signer: rotated.address },
    ));
    let meter = d.market.view(M::metersCall { meter: d.bm.address });
    assert_eq!((meter.owner, meter.status, meter.signer), (d.buyer.address, 2, rotated.address));
    // The old key no longer verifies; the new one signs for the same meter.
    reverts(d.submit(vec![d.receipt(&d.bm, trade, 10)]), "receipt not signed by the meter");
    ok(d.submit(vec![sign_receipt(&rotated.key, &d.domain, trade, d.bm.address, 10)]));
    assert_eq!(d.sides(trade).1, 10);
}

#[test]
fn the_registrar_hands_over_in_two_steps() {
    let mut d = Desk::new();
    let mut next = Party::new(12);
    reverts(
        send(&mut d.market, &mut d.seller, &Action::ProposeRegistrar { registrar: next.address }),
        "only the registrar",
    );
    ok(send(&mut d.market, &mut d.registrar, &Action::ProposeRegistrar { registrar: d.other.address }));
    // A newer proposal replaces the older one.
    ok(send(&mut d.market, &mut d.registrar, &Action::ProposeRegistrar { registrar: d.stranger.address }));
    reverts(send(&mut d.market, &mut d.other, &Action::AcceptRegistrar), "only the proposed registrar");
    assert_eq!(d.market.view(M::registrarCall {}), d.registrar.address);
    ok(send(&mut d.market, &mut d.stranger, &Action::AcceptRegistrar));
    assert_eq!(d.market.view(M::registrarCall {}), d.stranger.address);
    assert_eq!(d.market.view(M::pendingRegistrarCall {}), Address::ZERO);
    reverts(send(&mut d.market, &mut d.stranger, &Action::AcceptRegistrar), "only the proposed registrar");
    reverts(
        send(
            &mut d.market,
            &mut d.registrar,
            &Action::ProposeMeter { meter: next.address, owner: d.seller.address },
        ),
        "only the registrar",
    );
    ok(send(
        &mut d.market,
        &mut d.stranger,
        &Action::ProposeMeter { meter: next.address, owner: d.seller.address },
    ));
    // The new registrar may revoke the old one's meters.
    ok(send(&mut d.market, &mut d.stranger, &Action::RevokeMeter { meter: d.om.address }));
    let _ = &mut next;
}

#[test]
fn windows_are_bounded_and_credit_minimums_gate_trades() {
    let mut deployer = Party::new(13);
    let mut market = Market::new(&[deployer.address]);
    let too_long = 1u64 << 32;
    reverts(
        send(&mut market, &mut deployer, &Action::Deploy { delivery_blocks: too_long, grace_blocks: 1 }),
        "delivery window out of range",
    );
    reverts(
        send(&mut market, &mut deployer, &Action::Deploy { delivery_blocks: 1, grace_blocks: 0 }),
        "grace window out of range",
    );
    reverts(
        send(&mut market, &mut deployer, &Action::Deploy { delivery_blocks: 0, grace_blocks: 1 }),
        "delivery window out of range",
    );
    let longest = too_long - 1;
    ok(send(&mut market, &mut deployer, &Action::Deploy { delivery_blocks: longest, grace_blocks: longest }));
    // The longest window still buys (version 1's uint40 deadline overflowed and reverted).
    let [mut seller, mut buyer] = [Party::new(14), Party::new(15)];
    let mut market = {
        let mut m = Market::new(&[deployer.address, seller.address, buyer.address]);
        let mut deployer = Party::new(13);
        ok(send(&mut m, &mut deployer, &Action::Deploy { delivery_blocks: longest, grace_blocks: longest }));
        for (meter, owner) in [(Party::new(16), &mut seller), (Party::new(17), &mut buyer)] {
            ok(send(
                &mut m,
                &mut deployer,
                &Action::ProposeMeter { meter: meter.address, owner: owner.address },
            ));
            ok(send(&mut m, owner, &Action::AcceptMeter { meter: meter.address }));
        }
        m
    };
    let offer =
        Action::Offer { energy_wh: u(1), price_per_wh: u(1), expiry_block: u(100), min_buyer_credit: 0 };
    ok(send(&mut market, &mut seller, &offer));
    let buy = Action::Buy { offer_id: u(1), max_price_per_wh: u(1), min_seller_credit: 0, escrow: u(1) };
    ok(send(&mut market, &mut buyer, &buy));
    let deadline = market.view(M::tradesCall { tradeId: u(1) }).deadline;
    assert_eq!(deadline, u(market.block_number() + longest));

    let mut d = Desk::new();
    let expiry = u(d.market.block_number() + 1_000);
    let offer = Action::Offer {
        energy_wh: u(ENERGY),
        price_per_wh: u(PRICE),
        expiry_block: expiry,
        min_buyer_credit: 1,
    };
    ok(send(&mut d.market, &mut d.seller, &offer));
    let buy = Action::Buy {
        offer_id: u(1),
        max_price_per_wh: u(PRICE),
        min_seller_credit: 0,
        escrow: u(ENERGY * PRICE),
    };
    reverts(send(&mut d.market, &mut d.buyer, &buy), "buyer credit too low");
    let offer = Action::Offer {
        energy_wh: u(ENERGY),
        price_per_wh: u(PRICE),
        expiry_block: expiry,
        min_buyer_credit: 0,
    };
    ok(send(&mut d.market, &mut d.seller, &offer));
    let picky = Action::Buy {
        offer_id: u(2),
        max_price_per_wh: u(PRICE),
        min_seller_credit: 1,
        escrow: u(ENERGY * PRICE),
    };
    reverts(send(&mut d.market, &mut d.buyer, &picky), "seller credit too low");
    let buy = Action::Buy {
        offer_id: u(2),
        max_price_per_wh: u(PRICE),
        min_seller_credit: 0,
        escrow: u(ENERGY * PRICE),
    };
    ok(send(&mut d.market, &mut d.buyer, &buy));
    let t = d.market.view(M::tradesCall { tradeId: u(1) });
    assert_eq!(t.deadline, u(d.market.block_number() + DELIVERY));
    let range = Action::Offer {
        energy_wh: u(1),
        price_per_wh: u(1),
        expiry_block: expiry,
        min_buyer_credit: i64::MIN,
    };
    ok(send(&mut d.market, &mut d.seller, &range));

    // An expired offer reads as expired (4) and cannot be bought.
    let soon = u(d.market.block_number() + 2);
    let offer =
        Action::Offer { energy_wh: u(1), price_per_wh: u(1), expiry_block: soon, min_buyer_credit: 0 };
    ok(send(&mut d.market, &mut d.seller, &offer));
    let id = d.market.view(M::offerCountCall {});
    assert_eq!(d.market.view(M::offersCall { offerId: id }).status, 1);
    d.market.wait_blocks(3);
    assert_eq!(d.market.view(M::offersCall { offerId: id }).status, 4);
    let buy = Action::Buy { offer_id: id, max_price_per_wh: u(1), min_seller_credit: 0, escrow: u(1) };
    reverts(send(&mut d.market, &mut d.buyer, &buy), "offer expired");
}

/// The signature ethers printed, as the contract's tuple.
fn ethers_receipt(answer: &serde_json::Value, trade: u64, meter: Address, wh: u64) -> M::Receipt {
    let word = |k: &str| answer[k].as_str().unwrap().parse::<alloy_primitives::B256>().unwrap();
    M::Receipt {
        tradeId: u(trade),
        meter,
        cumulativeWh: u(wh),
        v: answer["v"].as_u64().unwrap() as u8,
        r: word("r"),
        s: word("s"),
    }
}

#[test]
fn ethers_typed_data_digests_equal_ours_and_its_signatures_are_accepted() {
    if !common::node_ready() {
        return;
    }
    let mut d = Desk::new();
    let trade = d.open_trade();
    let mut rng = Rng(0x7E1D_0712);
    // Random receipts under random domains, plus two real ones for this market.
    let mut queries = Vec::new();
    for _ in 0..64 {
        let key = SigningKey::from_slice(&rng.bytes(32)).unwrap();
        let domain = (rng.below(1 << 40), Address::from_slice(&rng.bytes(20)));
        let mut number = || {
            let len = 1 + rng.below(32) as usize;
            U256::from_be_slice(&rng.bytes(len))
        };
        let (trade_id, cumulative) = (number(), number());
        let receipt = DeliveryReceipt {
            tradeId: trade_id,
            meter: Address::from_slice(&rng.bytes(20)),
            cumulativeWh: cumulative,
        };
        queries.push((key, domain, receipt));
    }
    for (meter, wh) in [(&d.sm, 321u64), (&d.bm, 300)] {
        let receipt = DeliveryReceipt { tradeId: u(trade), meter: meter.address, cumulativeWh: u(wh) };
        queries.push((meter.key.clone(), (CHAIN_ID, d.market.address), receipt));
    }
    let input: String = queries
        .iter()
        .map(|(key, (chain_id, contract), r)| {
            serde_json::json!({"chain_id": chain_id.to_string(), "contract": contract.to_checksum(None),
                "trade_id": r.tradeId.to_string(), "meter": r.meter.to_checksum(None),
                "cumulative_wh": r.cumulativeWh.to_string(), "key": format!("0x{}", hex::encode(key.to_bytes()))})
            .to_string()
                + "\n"
        })
        .collect();
    let answers: Vec<serde_json::Value> = common::node("eip712-receipts.mjs", &[], &input)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), queries.len());
    for ((key, (chain_id, contract), receipt), answer) in queries.iter().zip(&answers) {
        let ours = receipt_digest(receipt, &receipt_domain(*chain_id, *contract));
        assert_eq!(answer["digest"].as_str().unwrap(), format!("{ours}"), "{receipt:?}");
        // Both sides sign deterministically (RFC 6979): the same signature.
        let sig = RecoverableSig::sign_prehash(key, &ours).unwrap();
        assert_eq!(answer["s"].as_str().unwrap(), format!("{}", alloy_primitives::B256::from(sig.s)));
    }
    // The contract's own digest view agrees, and it accepts ethers' signatures.
    let last = queries.last().unwrap().2.clone();
    let view = d.market.view(M::receiptDigestCall {
        tradeId: last.tradeId,
        meter: last.meter,
        cumulativeWh: last.cumulativeWh,
    });
    assert_eq!(view, receipt_digest(&last, &d.domain));
    let n = answers.len();
    let receipts = vec![
        ethers_receipt(&answers[n - 2], trade, d.sm.address, 321),
        ethers_receipt(&answers[n - 1], trade, d.bm.address, 300),
    ];
    let call = M::submitReceiptsCall { receipts }.abi_encode();
    let address = d.market.address;
    ok(d.market.send_input(&mut d.stranger, Some(address), U256::ZERO, &call));
    assert_eq!(d.sides(trade), (321, 300, 1));
}

trait CloneParty {
    fn clone_party(&self) -> Party;
}

impl CloneParty for Party {
    /// The same key with the same nonce (a meter's account sending its own reports).
    fn clone_party(&self) -> Party {
        Party { key: self.key.clone(), address: self.address, nonce: self.nonce }
    }
}
