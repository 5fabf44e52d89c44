//! EnergyMarket on revm (the in-process devnet chain, no node): whole trades with exact
//! payouts and credits, and the invariant that the contract holds open escrows plus unpaid
//! credits.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use evlock::devnet::{Chain, ChainConfig};
use evlock::kaia::{RecoverableSig, Transaction};
use evlock::market::{Action, EnergyMarket};
use k256::ecdsa::SigningKey;
use serde_json::json;

const PRICE: u64 = 25_000_000_000;
const DELIVERY_BLOCKS: u64 = 20;

struct Party {
    key: SigningKey,
    address: Address,
    nonce: u64,
}

struct Market {
    chain: Chain,
    address: Address,
    time: u64,
}

fn party(byte: u8) -> Party {
    let key = SigningKey::from_slice(&[byte; 32]).unwrap();
    let address = evlock::kaia::address_of(key.verifying_key());
    Party { key, address, nonce: 0 }
}

impl Market {
    /// Sends `action` from `who`; returns (success, revert reason, gas used).
    fn send(&mut self, who: &mut Party, action: Action) -> (bool, Option<String>, u64) {
        let deploy = matches!(action, Action::Deploy { .. });
        let mut fields = json!({"type": if deploy { "smart_contract_deploy" } else { "smart_contract_execution" },
            "chain_id": "31337", "nonce": who.nonce.to_string(), "gas": "3000000", "gas_price": PRICE.to_string(),
            "from": who.address.to_checksum(None), "value": action.value().to_string(),
            "input": format!("0x{}", hex::encode(action.call_data()))});
        if deploy {
            fields["human_readable"] = json!(false);
            fields["code_format"] = json!(0);
        } else {
            fields["to"] = json!(self.address.to_checksum(None));
        }
        let mut tx = Transaction::from_json_value(&fields).unwrap();
        tx.add_sender_signature(RecoverableSig::sign_prehash(&who.key, &tx.sig_hash()).unwrap()).unwrap();
        self.time += 1;
        let hash = self.chain.submit(&tx.raw().unwrap(), self.time, true).unwrap();
        who.nonce += 1;
        let mined = self.chain.transaction(&hash).unwrap();
        if let Some(created) = mined.contract_address {
            self.address = created;
        }
        (mined.status, evlock::market::revert_reason(&mined.revert_data), mined.gas_used)
    }

    fn view<C: SolCall>(&self, call: C) -> C::Return {
        let (ok, output, _) =
            self.chain.call(Address::ZERO, Some(self.address), U256::ZERO, call.abi_encode().into(), None);
        assert!(ok);
        C::abi_decode_returns(&output).unwrap()
    }

    fn assert_invariant(&self) {
        let escrow = self.view(EnergyMarket::totalEscrowCall {});
        let owed = self.view(EnergyMarket::totalOwedCall {});
        assert_eq!(
            self.chain.balance(self.address),
            escrow + owed,
            "balance = open escrows + unpaid credits"
        );
    }

    /// Mines empty blocks.
    fn wait_blocks(&mut self, n: u64) {
        for _ in 0..n {
            self.time += 1;
            self.chain.mine(self.time);
        }
    }
}

fn setup() -> (Market, Party, Party, Party, Party, Party) {
    let (mut registrar, seller, buyer, seller_meter, buyer_meter) =
        (party(1), party(2), party(3), party(4), party(5));
    let rich = U256::from(10u64).pow(U256::from(22));
    let alloc = [&registrar, &seller, &buyer, &seller_meter, &buyer_meter]
        .iter()
        .map(|p| (p.address, rich))
        .collect();
    let mut market = Market {
        chain: Chain::new(ChainConfig { alloc, ..Default::default() }, 1),
        address: Address::ZERO,
        time: 1,
    };
    assert!(market.send(&mut registrar, Action::Deploy { delivery_blocks: DELIVERY_BLOCKS }).0);
    for (meter, owner) in [(&seller_meter, &seller), (&buyer_meter, &buyer)] {
        let action = Action::RegisterMeter { meter: meter.address, owner: owner.address };
        assert!(market.send(&mut registrar, action).0);
    }
    (market, registrar, seller, buyer, seller_meter, buyer_meter)
}

/// Offer 500 Wh at 2 ston/Wh, buy it; returns the escrow.
fn open_trade(market: &mut Market, seller: &mut Party, buyer: &mut Party) -> U256 {
    let price = U256::from(2_000_000_000u64);
    let energy = U256::from(500);
    let offer = Action::Offer { energy_wh: energy, price_per_wh: price, expiry_block: U256::from(1_000) };
    assert!(market.send(seller, offer).0);
    let escrow = energy * price;
    let buy = Action::Buy { offer_id: U256::from(1), max_price_per_wh: price, escrow };
    assert!(market.send(buyer, buy).0);
    market.assert_invariant();
    escrow
}

fn report(market: &mut Market, meter: &mut Party, wh: u64) -> (bool, Option<String>, u64) {
    market.send(meter, Action::Report { trade_id: U256::from(1), cumulative_wh: U256::from(wh) })
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
    assert!(market.send(&mut seller, Action::Settle { trade_id: U256::from(1) }).0);
    assert_eq!(market.view(EnergyMarket::balanceOfCall(seller.address)), escrow);
    assert_eq!(market.view(EnergyMarket::balanceOfCall(buyer.address)), U256::ZERO);
    assert_eq!(market.view(EnergyMarket::creditCall(seller.address)), alloy_primitives::I256::ONE);
    assert_eq!(market.view(EnergyMarket::creditCall(buyer.address)), alloy_primitives::I256::ONE);
    market.assert_invariant();
    let before = market.chain.balance(seller.address);
    let (ok, _, gas) = market.send(&mut seller, Action::Withdraw);
    assert!(ok);
    assert_eq!(market.chain.balance(seller.address), before + escrow - U256::from(gas) * U256::from(PRICE));
    let (ok, reason, _) = market.send(&mut seller, Action::Withdraw);
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
    let (ok, reason, _) = market.send(&mut buyer, Action::Settle { trade_id: U256::from(1) });
    assert!(!ok);
    assert_eq!(reason.as_deref(), Some("trade still in delivery"));
    market.wait_blocks(DELIVERY_BLOCKS + 1);
    let (ok, reason, _) = report(&mut market, &mut bm, 300);
    assert!(!ok);
    assert_eq!(reason.as_deref(), Some("delivery window closed"));
    assert!(market.send(&mut buyer, Action::Settle { trade_id: U256::from(1) }).0);
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
        let (ok, got, _) = market.send(who, action);
        assert!(!ok);
        assert_eq!(got.as_deref(), Some(reason));
    }
    let offer =
        Action::Offer { energy_wh: U256::from(10), price_per_wh: price, expiry_block: U256::from(100) };
    let (ok, reason, _) = market.send(&mut registrar, offer.clone());
    assert!(!ok);
    assert_eq!(reason.as_deref(), Some("seller has no registered meter"));
    assert!(market.send(&mut seller, offer).0);
    let own =
        Action::Buy { offer_id: U256::from(1), max_price_per_wh: price, escrow: U256::from(10) * price };
    assert_eq!(market.send(&mut seller, own).1.as_deref(), Some("cannot buy own offer"));
    let cheap = Action::Buy {
        offer_id: U256::from(1),
        max_price_per_wh: price - U256::from(1),
        escrow: U256::from(10) * price,
    };
    assert_eq!(market.send(&mut buyer, cheap).1.as_deref(), Some("price above maximum"));
    let short = Action::Buy { offer_id: U256::from(1), max_price_per_wh: price, escrow: U256::from(1) };
    assert_eq!(market.send(&mut buyer, short).1.as_deref(), Some("escrow must equal energy times price"));
    let ok_buy =
        Action::Buy { offer_id: U256::from(1), max_price_per_wh: price, escrow: U256::from(10) * price };
    assert!(market.send(&mut buyer, ok_buy).0);
    assert_eq!(report(&mut market, &mut registrar, 1).1.as_deref(), Some("meter not registered"));
    assert!(report(&mut market, &mut sm, 5).0);
    assert_eq!(report(&mut market, &mut sm, 4).1.as_deref(), Some("report decreased"));
    assert_eq!(report(&mut market, &mut sm, 11).1.as_deref(), Some("report exceeds trade energy"));
    assert_eq!(
        market.send(&mut seller, Action::Cancel { offer_id: U256::from(1) }).1.as_deref(),
        Some("offer not open")
    );
    market.assert_invariant();
}
