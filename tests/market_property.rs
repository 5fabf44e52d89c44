//! EnergyMarket against a model: random sequences of meter registrations, offers, buys,
//! reports (from both parties' meters, and from meters that have no business reporting),
//! settlements (early, complete, after the deadline), cancels, withdrawals and empty blocks,
//! by a registrar, five traders, their ten meters and a stranger, on the in-process chain.
//! After every step the contract must agree with a Rust model of the rules
//! (`docs/architecture.md`, "The EnergyMarket contract"): every transaction succeeds or
//! reverts exactly when the model says, with the model's reason; every account's `balanceOf`,
//! credit and native balance, the totals and the touched offer and trade match; and the
//! contract holds exactly the open escrows plus the unwithdrawn credits.
//!
//! `EVLOCK_PROP_SEED=N` replays one seed (a failure prints its seed), `EVLOCK_PROP_STEPS=M`
//! changes the length; by default five fixed seeds run 400 steps each.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use alloy_primitives::{Address, I256, U256};
use common::Rng;
use common::market::{Market, Party};
use evlock::market::{Action, EnergyMarket};

const DELIVERY_BLOCKS: u64 = 40;
const DEFAULT_SEEDS: [u64; 5] = [1, 0x5EED, 20_251_124, 0xE71_0C4, 0xDEAD_BEEF];
const DEFAULT_STEPS: usize = 400;
const TRADERS: usize = 5;
const METERS_PER_TRADER: usize = 2;

/// Party indices: the registrar, then the traders, then their meters (trader k owns
/// meters FIRST_METER + METERS_PER_TRADER·(k−1) …), then a stranger no one registers.
const REGISTRAR: usize = 0;
const FIRST_TRADER: usize = 1;
const FIRST_METER: usize = FIRST_TRADER + TRADERS;
const STRANGER: usize = FIRST_METER + TRADERS * METERS_PER_TRADER;
const PARTIES: usize = STRANGER + 1;

const U40_MAX: u64 = (1 << 40) - 1;
const U48_MAX: u64 = (1 << 48) - 1;
const STON: u64 = 1_000_000_000;

/// Offer status as the contract's `offers` view numbers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OfferState {
    Open = 1,
    Bought = 2,
    Cancelled = 3,
}

#[derive(Clone, Debug)]
struct OfferModel {
    seller: Address,
    energy: U256,
    price: U256,
    expiry: u64,
    state: OfferState,
}

#[derive(Clone, Debug)]
struct TradeModel {
    seller: Address,
    buyer: Address,
    offer_id: u64,
    energy: U256,
    price: U256,
    deadline: u64,
    seller_wh: U256,
    buyer_wh: U256,
    settled: bool,
}

impl TradeModel {
    fn complete(&self) -> bool {
        self.seller_wh == self.energy && self.buyer_wh == self.energy
    }
}

/// The rules, written independently of the contract.
#[derive(Default)]
struct Model {
    registrar: Address,
    meter_owner: HashMap<Address, Address>,
    meter_count: HashMap<Address, u64>,
    credit: HashMap<Address, i64>,
    owed: HashMap<Address, U256>,
    offers: Vec<OfferModel>,
    trades: Vec<TradeModel>,
    total_escrow: U256,
    total_owed: U256,
}

fn ensure(condition: bool, reason: &'static str) -> Result<(), &'static str> {
    if condition { Ok(()) } else { Err(reason) }
}

/// An id as an index into the model's list (ids start at 1); None for 0 or out of range.
fn index(id: U256, len: usize) -> Option<usize> {
    let id = usize::try_from(id).ok()?;
    (1..=len).contains(&id).then(|| id - 1)
}

impl Model {
    fn offer(&self, id: U256) -> Option<&OfferModel> {
        index(id, self.offers.len()).map(|i| &self.offers[i])
    }

    fn trade(&self, id: U256) -> Option<&TradeModel> {
        index(id, self.trades.len()).map(|i| &self.trades[i])
    }

    fn meters_of(&self, account: Address) -> u64 {
        self.meter_count.get(&account).copied().unwrap_or(0)
    }

    fn owed(&self, account: Address) -> U256 {
        self.owed.get(&account).copied().unwrap_or_default()
    }

    fn credit(&self, account: Address) -> i64 {
        self.credit.get(&account).copied().unwrap_or(0)
    }

    /// What `action` from `sender`, mined in block `block`, must do: succeed, or revert with
    /// this reason. The checks come in the order the rules state them.
    fn expect(&self, sender: Address, action: &Action, block: u64) -> Result<(), &'static str> {
        match action {
            Action::RegisterMeter { meter, owner } => {
                ensure(sender == self.registrar, "only the registrar")?;
                ensure(!meter.is_zero() && !owner.is_zero(), "zero address")?;
                ensure(!self.meter_owner.contains_key(meter), "meter already registered")
            }
            Action::Offer { energy_wh, price_per_wh, expiry_block } => {
                ensure(self.meters_of(sender) > 0, "seller has no registered meter")?;
                ensure(!energy_wh.is_zero() && *energy_wh <= U256::from(U48_MAX), "energy out of range")?;
                ensure(
                    !price_per_wh.is_zero() && *price_per_wh <= U256::from(u128::MAX),
                    "price out of range",
                )?;
                ensure(
                    *expiry_block >= U256::from(block) && *expiry_block <= U256::from(U40_MAX),
                    "expiry out of range",
                )
            }
            Action::Buy { offer_id, max_price_per_wh, escrow } => {
                let offer = self.offer(*offer_id).ok_or("unknown offer")?;
                ensure(offer.state == OfferState::Open, "offer not open")?;
                ensure(block <= offer.expiry, "offer expired")?;
                ensure(offer.seller != sender, "cannot buy own offer")?;
                ensure(self.meters_of(sender) > 0, "buyer has no registered meter")?;
                ensure(offer.price <= *max_price_per_wh, "price above maximum")?;
                ensure(*escrow == offer.energy * offer.price, "escrow must equal energy times price")
            }
            Action::Report { trade_id, cumulative_wh } => {
                let trade = self.trade(*trade_id).ok_or("unknown trade")?;
                ensure(!trade.settled, "trade not open")?;
                ensure(block <= trade.deadline, "delivery window closed")?;
                ensure(*cumulative_wh <= trade.energy, "report exceeds trade energy")?;
                let owner = *self.meter_owner.get(&sender).ok_or("meter not registered")?;
                if owner == trade.seller {
                    ensure(*cumulative_wh >= trade.seller_wh, "report decreased")
                } else {
                    ensure(owner == trade.buyer, "meter not party to trade")?;
                    ensure(*cumulative_wh >= trade.buyer_wh, "report decreased")
                }
            }
            Action::Settle { trade_id } => {
                let trade = self.trade(*trade_id).ok_or("unknown trade")?;
                ensure(!trade.settled, "trade not open")?;
                ensure(trade.complete() || block > trade.deadline, "trade still in delivery")
            }
            Action::Cancel { offer_id } => {
                let offer = self.offer(*offer_id).ok_or("unknown offer")?;
                ensure(offer.seller == sender, "only the seller")?;
                ensure(offer.state == OfferState::Open, "offer not open")
            }
            Action::Withdraw => ensure(!self.owed(sender).is_zero(), "nothing to withdraw"),
            Action::Deploy { .. } => panic!("the property run deploys once, outside the model"),
        }
    }

    /// Applies a successful `action`; returns what the market paid `sender` (a withdrawal),
    /// and for a settlement whether it was complete.
    fn apply(&mut self, sender: Address, action: &Action, block: u64) -> (U256, Option<bool>) {
        match action {
            Action::RegisterMeter { meter, owner } => {
                self.meter_owner.insert(*meter, *owner);
                *self.meter_count.entry(*owner).or_default() += 1;
            }
            Action::Offer { energy_wh, price_per_wh, expiry_block } => self.offers.push(OfferModel {
                seller: sender,
                energy: *energy_wh,
                price: *price_per_wh,
                expiry: expiry_block.to(),
                state: OfferState::Open,
            }),
            Action::Buy { offer_id, escrow, .. } => {
                let i = index(*offer_id, self.offers.len()).unwrap();
                let offer = &mut self.offers[i];
                offer.state = OfferState::Bought;
                self.trades.push(TradeModel {
                    seller: offer.seller,
                    buyer: sender,
                    offer_id: offer_id.to(),
                    energy: offer.energy,
                    price: offer.price,
                    deadline: block + DELIVERY_BLOCKS,
                    seller_wh: U256::ZERO,
                    buyer_wh: U256::ZERO,
                    settled: false,
                });
                self.total_escrow += *escrow;
            }
            Action::Report { trade_id, cumulative_wh } => {
                let owner = self.meter_owner[&sender];
                let i = index(*trade_id, self.trades.len()).unwrap();
                let trade = &mut self.trades[i];
                if owner == trade.seller {
                    trade.seller_wh = *cumulative_wh;
                } else {
                    trade.buyer_wh = *cumulative_wh;
                }
            }
            Action::Settle { trade_id } => {
                let i = index(*trade_id, self.trades.len()).unwrap();
                let trade = &mut self.trades[i];
                trade.settled = true;
                let complete = trade.complete();
                let delivered = trade.seller_wh.min(trade.buyer_wh);
                let escrow = trade.energy * trade.price;
                let paid = delivered * trade.price;
                let (seller, buyer) = (trade.seller, trade.buyer);
                self.total_escrow -= escrow;
                self.total_owed += escrow;
                *self.owed.entry(seller).or_default() += paid;
                *self.owed.entry(buyer).or_default() += escrow - paid;
                let change = if complete { 1 } else { -3 };
                *self.credit.entry(seller).or_default() += change;
                *self.credit.entry(buyer).or_default() += change;
                return (U256::ZERO, Some(complete));
            }
            Action::Cancel { offer_id } => {
                let i = index(*offer_id, self.offers.len()).unwrap();
                self.offers[i].state = OfferState::Cancelled;
            }
            Action::Withdraw => {
                let amount = self.owed.remove(&sender).unwrap_or_default();
                self.total_owed -= amount;
                return (amount, None);
            }
            Action::Deploy { .. } => panic!("the property run deploys once, outside the model"),
        }
        (U256::ZERO, None)
    }
}

/// One seeded run: the chain, the parties, the model and what happened.
struct World {
    market: Market,
    parties: Vec<Party>,
    /// Party index by address.
    by_address: HashMap<Address, usize>,
    model: Model,
    /// Every party's native balance as the model sees it.
    native: HashMap<Address, U256>,
    rng: Rng,
    /// "function: outcome" → how often, over the run.
    tally: BTreeMap<String, u64>,
    history: Vec<String>,
}

fn u(n: u64) -> U256 {
    U256::from(n)
}

impl World {
    fn new(seed: u64) -> World {
        let mut parties: Vec<Party> = (0..PARTIES).map(|i| Party::new(i as u8 + 1)).collect();
        let addresses: Vec<Address> = parties.iter().map(|p| p.address).collect();
        let mut market = Market::new(&addresses);
        let deployed =
            market.send(&mut parties[REGISTRAR], &Action::Deploy { delivery_blocks: DELIVERY_BLOCKS });
        assert!(deployed.ok);
        let mut world = World {
            market,
            by_address: addresses.iter().enumerate().map(|(i, a)| (*a, i)).collect(),
            native: addresses.iter().map(|a| (*a, common::market::starting_funds())).collect(),
            parties,
            model: Model { registrar: addresses[REGISTRAR], ..Default::default() },
            rng: Rng(seed),
            tally: BTreeMap::new(),
            history: Vec::new(),
        };
        *world.native.get_mut(&addresses[REGISTRAR]).unwrap() -= deployed.fee;
        world.check(None, None);
        world
    }

    fn address(&self, party: usize) -> Address {
        self.parties[party].address
    }

    fn below(&mut self, n: usize) -> usize {
        self.rng.below(n as u64) as usize
    }

    fn percent(&mut self) -> u64 {
        self.rng.below(100)
    }

    fn any_party(&mut self) -> usize {
        self.below(PARTIES)
    }

    fn any_trader(&mut self) -> usize {
        FIRST_TRADER + self.below(TRADERS)
    }

    /// The trader that owns (or will own, once registered) a meter.
    fn planned_owner(meter: usize) -> usize {
        FIRST_TRADER + (meter - FIRST_METER) / METERS_PER_TRADER
    }

    fn meters_of(trader: usize) -> std::ops::Range<usize> {
        let first = FIRST_METER + (trader - FIRST_TRADER) * METERS_PER_TRADER;
        first..first + METERS_PER_TRADER
    }

    fn trader_meter(&mut self, trader: usize) -> usize {
        Self::meters_of(trader).start + self.below(METERS_PER_TRADER)
    }

    fn unregistered_meters(&self) -> Vec<usize> {
        (FIRST_METER..STRANGER).filter(|m| !self.model.meter_owner.contains_key(&self.address(*m))).collect()
    }

    /// Open offers; with `buyable`, only those not yet expired in the next block.
    fn open_offer_ids(&self, buyable: bool) -> Vec<u64> {
        let next = self.market.block_number() + 1;
        (1..=self.model.offers.len() as u64)
            .filter(|id| {
                let offer = &self.model.offers[*id as usize - 1];
                offer.state == OfferState::Open && (!buyable || next <= offer.expiry)
            })
            .collect()
    }

    /// Open trades; with `in_delivery`, only those whose window is still open next block.
    fn open_trade_ids(&self, in_delivery: bool) -> Vec<u64> {
        let next = self.market.block_number() + 1;
        (1..=self.model.trades.len() as u64)
            .filter(|id| {
                let trade = &self.model.trades[*id as usize - 1];
                !trade.settled && (!in_delivery || next <= trade.deadline)
            })
            .collect()
    }

    /// Mostly one of `ids`, sometimes any id up to `count` + 2 (unknown ones included).
    fn pick_id(&mut self, ids: &[u64], count: usize, usual_percent: u64) -> U256 {
        if !ids.is_empty() && self.percent() < usual_percent {
            u(ids[self.below(ids.len())])
        } else {
            u(self.rng.below(count as u64 + 3))
        }
    }

    fn gen_register(&mut self) -> (usize, Action) {
        let unregistered = self.unregistered_meters();
        let roll = self.percent();
        let sender = if roll < 8 { self.any_trader() } else { REGISTRAR };
        let meter = if (8..14).contains(&roll) {
            return (
                REGISTRAR,
                Action::RegisterMeter { meter: Address::ZERO, owner: self.address(FIRST_TRADER) },
            );
        } else if roll < 24 || unregistered.is_empty() {
            FIRST_METER + self.below(STRANGER - FIRST_METER)
        } else {
            unregistered[self.below(unregistered.len())]
        };
        let owner = self.address(Self::planned_owner(meter));
        (sender, Action::RegisterMeter { meter: self.address(meter), owner })
    }

    fn gen_offer(&mut self) -> (usize, Action) {
        let sender = if self.percent() < 85 { self.any_trader() } else { self.any_party() };
        let energy_wh = match self.percent() {
            0..5 => U256::ZERO,
            5..8 => u(U48_MAX + 1),
            _ => u(1 + self.rng.below(600)),
        };
        let price_per_wh = match self.percent() {
            0..4 => U256::ZERO,
            4..6 => U256::from(u128::MAX) + u(1),
            _ => u((1 + self.rng.below(50)) * STON / 10),
        };
        let block = self.market.block_number() + 1;
        let expiry_block = match self.percent() {
            0..5 => u(block - 1),
            5..7 => u(U40_MAX + 1),
            _ => u(block + self.rng.below(121)),
        };
        (sender, Action::Offer { energy_wh, price_per_wh, expiry_block })
    }

    fn gen_buy(&mut self) -> (usize, Action) {
        let buyer = if self.percent() < 90 { self.any_trader() } else { self.any_party() };
        let buyable_only = self.percent() < 85;
        let open = self.open_offer_ids(buyable_only);
        let offer_id = self.pick_id(&open, self.model.offers.len(), 85);
        let (energy, price) = self.model.offer(offer_id).map_or((u(1), u(STON)), |o| (o.energy, o.price));
        let max_price_per_wh = match self.percent() {
            0..8 => price - u(1),
            8..15 => price + u(STON),
            _ => price,
        };
        let exact = energy * price;
        let escrow = match self.percent() {
            0..5 => exact + u(1),
            5..10 => exact - u(1),
            _ => exact,
        };
        (buyer, Action::Buy { offer_id, max_price_per_wh, escrow })
    }

    fn gen_report(&mut self) -> (usize, Action) {
        let in_delivery_only = self.percent() < 90;
        let open = self.open_trade_ids(in_delivery_only);
        let trade_id = self.pick_id(&open, self.model.trades.len(), 90);
        let trade = self.model.trade(trade_id).cloned();
        let (seller, buyer) = match &trade {
            Some(t) => (self.by_address[&t.seller], self.by_address[&t.buyer]),
            None => (self.any_trader(), self.any_trader()),
        };
        let roll = self.percent();
        let (sender, current) = match roll {
            0..40 => (self.trader_meter(seller), trade.as_ref().map_or(U256::ZERO, |t| t.seller_wh)),
            40..80 => (self.trader_meter(buyer), trade.as_ref().map_or(U256::ZERO, |t| t.buyer_wh)),
            80..88 => (FIRST_METER + self.below(STRANGER - FIRST_METER), U256::ZERO),
            88..94 => (STRANGER, U256::ZERO),
            _ => (self.any_trader(), U256::ZERO),
        };
        let energy = trade.as_ref().map_or(u(100), |t| t.energy);
        let step = energy.to::<u64>() / 3 + 1;
        let cumulative_wh = match self.percent() {
            0..45 => (current + u(1 + self.rng.below(step))).min(energy),
            45..70 => energy,
            70..78 => current,
            78..88 if !current.is_zero() => current - u(1 + self.rng.below(current.to::<u64>())),
            _ => energy + u(1 + self.rng.below(10)),
        };
        (sender, Action::Report { trade_id, cumulative_wh })
    }

    fn gen_settle(&mut self) -> (usize, Action) {
        let open = self.open_trade_ids(false);
        let trade_id = self.pick_id(&open, self.model.trades.len(), 80);
        (self.any_party(), Action::Settle { trade_id })
    }

    fn gen_cancel(&mut self) -> (usize, Action) {
        let open = self.open_offer_ids(false);
        let offer_id = self.pick_id(&open, self.model.offers.len(), 70);
        let seller = self.model.offer(offer_id).map(|offer| self.by_address[&offer.seller]);
        let sender = match seller {
            Some(seller) if self.percent() < 80 => seller,
            _ => self.any_trader(),
        };
        (sender, Action::Cancel { offer_id })
    }

    /// How many empty blocks to mine: some random number, or just enough that the next
    /// transaction lands exactly on, or just past, an open trade's deadline or an open offer's
    /// expiry (the off-by-one boundaries of the rules).
    fn gen_wait(&mut self) -> u64 {
        let next = self.market.block_number() + 1;
        let mut edges: Vec<u64> =
            self.open_trade_ids(true).iter().map(|id| self.model.trades[*id as usize - 1].deadline).collect();
        edges.extend(self.open_offer_ids(true).iter().map(|id| self.model.offers[*id as usize - 1].expiry));
        if edges.is_empty() || self.percent() < 40 {
            return 1 + self.rng.below(DELIVERY_BLOCKS / 2);
        }
        let edge = edges[self.below(edges.len())] + self.rng.below(2);
        edge - next
    }

    fn gen_withdraw(&mut self) -> (usize, Action) {
        let creditors: Vec<usize> =
            (0..PARTIES).filter(|p| !self.model.owed(self.address(*p)).is_zero()).collect();
        let sender = match self.percent() {
            0..60 if !creditors.is_empty() => creditors[self.below(creditors.len())],
            0..85 => self.any_trader(),
            _ => self.any_party(),
        };
        (sender, Action::Withdraw)
    }

    /// One random step.
    fn step(&mut self) {
        // Lean on what can make progress: registrations while meters are missing, reports
        // while trades are in delivery.
        let register_weight = if self.unregistered_meters().is_empty() { 3 } else { 20 };
        let report_weight = if self.open_trade_ids(true).is_empty() { 4 } else { 36 };
        let weights = [register_weight, 12, 16, report_weight, 10, 4, 8, 5];
        let mut roll = self.rng.below(weights.iter().sum());
        let kind = weights
            .iter()
            .position(|w| {
                if roll < *w {
                    return true;
                }
                roll -= w;
                false
            })
            .unwrap();
        let (sender, action) = match kind {
            0 => self.gen_register(),
            1 => self.gen_offer(),
            2 => self.gen_buy(),
            3 => self.gen_report(),
            4 => self.gen_settle(),
            5 => self.gen_cancel(),
            6 => self.gen_withdraw(),
            _ => {
                let blocks = self.gen_wait();
                self.history.push(format!("wait {blocks} blocks"));
                self.market.wait_blocks(blocks);
                return self.check(None, None);
            }
        };
        self.execute(sender, action);
    }

    /// Sends `action` from party `sender` and holds the contract to the model.
    fn execute(&mut self, sender: usize, action: Action) {
        let from = self.address(sender);
        let block = self.market.block_number() + 1;
        self.history.push(format!("block {block}: party {sender} {action:?}"));
        let expected = self.model.expect(from, &action, block);
        let sent = self.market.send(&mut self.parties[sender], &action);
        assert_eq!(sent.block_number, block, "one transaction, one block");
        *self.native.get_mut(&from).unwrap() -= sent.fee;
        let outcome = match expected {
            Ok(()) => {
                assert!(
                    sent.ok,
                    "{action:?} from party {sender} should succeed, reverted: {:?}",
                    sent.reason
                );
                let (paid, settled) = self.model.apply(from, &action, block);
                let native = self.native.get_mut(&from).unwrap();
                *native = *native - action.value() + paid;
                match settled {
                    Some(true) => "ok, complete",
                    Some(false) => "ok, cut short",
                    None => "ok",
                }
            }
            Err(reason) => {
                assert!(!sent.ok, "{action:?} from party {sender} should revert with {reason:?}, succeeded");
                assert_eq!(sent.reason.as_deref(), Some(reason), "{action:?} from party {sender}");
                reason
            }
        };
        *self.tally.entry(format!("{}: {outcome}", action.function())).or_default() += 1;
        let (offer, trade) = match &action {
            Action::Offer { .. } => (Some(u(self.model.offers.len() as u64)), None),
            Action::Buy { offer_id, .. } => (Some(*offer_id), Some(u(self.model.trades.len() as u64))),
            Action::Cancel { offer_id } => (Some(*offer_id), None),
            Action::Report { trade_id, .. } | Action::Settle { trade_id } => (None, Some(*trade_id)),
            _ => (None, None),
        };
        self.check(offer, trade);
    }

    /// The contract agrees with the model: money, credits, counts, and the touched records.
    fn check(&self, offer: Option<U256>, trade: Option<U256>) {
        let m = &self.market;
        let model = &self.model;
        assert_eq!(m.totals(), (model.total_escrow, model.total_owed), "totalEscrow, totalOwed");
        assert_eq!(
            m.chain.balance(m.address),
            model.total_escrow + model.total_owed,
            "the contract holds open escrows + unwithdrawn credits"
        );
        assert_eq!(m.view(EnergyMarket::offerCountCall {}), u(model.offers.len() as u64));
        assert_eq!(m.view(EnergyMarket::tradeCountCall {}), u(model.trades.len() as u64));
        for (i, party) in self.parties.iter().enumerate() {
            let a = party.address;
            assert_eq!(m.view(EnergyMarket::balanceOfCall(a)), model.owed(a), "balanceOf party {i}");
            assert_eq!(m.chain.balance(a), self.native[&a], "native balance of party {i}");
            if (FIRST_TRADER..FIRST_METER).contains(&i) {
                assert_eq!(
                    m.view(EnergyMarket::creditCall(a)),
                    I256::try_from(model.credit(a)).unwrap(),
                    "credit {i}"
                );
                assert_eq!(m.view(EnergyMarket::meterCountCall(a)), u(model.meters_of(a)), "meterCount {i}");
            }
        }
        if let Some(id) = offer {
            self.check_offer(id);
        }
        if let Some(id) = trade {
            self.check_trade(id);
        }
    }

    fn check_offer(&self, id: U256) {
        let got = self.market.view(EnergyMarket::offersCall { offerId: id });
        match self.model.offer(id) {
            None => assert_eq!(got.status, 0, "offer {id} is unknown"),
            Some(o) => {
                assert_eq!(
                    (got.seller, got.energyWh, got.pricePerWh, got.expiryBlock, got.status),
                    (o.seller, o.energy, o.price, u(o.expiry), o.state as u8),
                    "offer {id}"
                );
            }
        }
    }

    fn check_trade(&self, id: U256) {
        let got = self.market.view(EnergyMarket::tradesCall { tradeId: id });
        match self.model.trade(id) {
            None => assert_eq!(got.status, 0, "trade {id} is unknown"),
            Some(t) => assert_eq!(
                (
                    got.seller,
                    got.buyer,
                    got.offerId,
                    got.energyWh,
                    got.pricePerWh,
                    got.deadline,
                    got.sellerWh,
                    got.buyerWh,
                    got.status
                ),
                (
                    t.seller,
                    t.buyer,
                    u(t.offer_id),
                    t.energy,
                    t.price,
                    u(t.deadline),
                    t.seller_wh,
                    t.buyer_wh,
                    if t.settled { 2 } else { 1 }
                ),
                "trade {id}"
            ),
        }
    }

    /// After the random steps: every record matches; then every trade is settled and every
    /// credit withdrawn, and the market is left holding nothing.
    fn finish(&mut self) {
        for id in 1..=self.model.offers.len() as u64 {
            self.check_offer(u(id));
        }
        for id in 1..=self.model.trades.len() as u64 {
            self.check_trade(u(id));
        }
        for meter in FIRST_METER..PARTIES {
            let a = self.address(meter);
            let owner = self.model.meter_owner.get(&a).copied().unwrap_or_default();
            assert_eq!(
                self.market.view(EnergyMarket::meterOwnerCall(a)),
                owner,
                "meterOwner of party {meter}"
            );
        }
        self.history.push(format!("wait {} blocks", DELIVERY_BLOCKS + 1));
        self.market.wait_blocks(DELIVERY_BLOCKS + 1);
        for id in self.open_trade_ids(false) {
            self.execute(REGISTRAR, Action::Settle { trade_id: u(id) });
        }
        for party in 0..PARTIES {
            if !self.model.owed(self.address(party)).is_zero() {
                self.execute(party, Action::Withdraw);
            }
        }
        assert_eq!(self.market.chain.balance(self.market.address), U256::ZERO, "everything was paid out");
        assert_eq!(self.market.totals(), (U256::ZERO, U256::ZERO));
    }
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let parsed = text.strip_prefix("0x").map_or_else(|| text.parse(), |hex| u64::from_str_radix(hex, 16));
    Some(parsed.unwrap_or_else(|e| panic!("{name}={text:?} is not a number: {e}")))
}

/// Runs one seed; on a failure prints the seed and the last steps, then fails.
fn run_seed(seed: u64, steps: usize) -> BTreeMap<String, u64> {
    let mut history = Vec::new();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut world = World::new(seed);
        let run = catch_unwind(AssertUnwindSafe(|| {
            for _ in 0..steps {
                world.step();
            }
            world.finish();
        }));
        history = std::mem::take(&mut world.history);
        match run {
            Ok(()) => world.tally,
            Err(panic) => resume_unwind(panic),
        }
    }));
    result.unwrap_or_else(|panic| {
        eprintln!(
            "\nEnergyMarket property failed with seed {seed} (replay: EVLOCK_PROP_SEED={seed}); last steps:"
        );
        for line in history.iter().skip(history.len().saturating_sub(12)) {
            eprintln!("  {line}");
        }
        resume_unwind(panic)
    })
}

#[test]
fn the_market_follows_the_model_through_random_sequences() {
    let steps = env_number("EVLOCK_PROP_STEPS").map_or(DEFAULT_STEPS, |n| n as usize);
    let chosen = env_number("EVLOCK_PROP_SEED");
    let seeds = chosen.map_or(DEFAULT_SEEDS.to_vec(), |seed| vec![seed]);
    let mut tally: BTreeMap<String, u64> = BTreeMap::new();
    for seed in &seeds {
        for (outcome, n) in run_seed(*seed, steps) {
            *tally.entry(outcome).or_default() += n;
        }
    }
    eprintln!("{} seeds × {steps} steps; outcomes:", seeds.len());
    for (outcome, n) in &tally {
        eprintln!("  {n:5}  {outcome}");
    }
    if chosen.is_some() || steps < DEFAULT_STEPS {
        return;
    }
    // The default run must have exercised every rule, or it proves little.
    let expected = [
        "registerMeter: ok",
        "registerMeter: only the registrar",
        "registerMeter: zero address",
        "registerMeter: meter already registered",
        "offer: ok",
        "offer: seller has no registered meter",
        "offer: energy out of range",
        "offer: price out of range",
        "offer: expiry out of range",
        "buy: ok",
        "buy: unknown offer",
        "buy: offer not open",
        "buy: offer expired",
        "buy: cannot buy own offer",
        "buy: buyer has no registered meter",
        "buy: price above maximum",
        "buy: escrow must equal energy times price",
        "report: ok",
        "report: unknown trade",
        "report: trade not open",
        "report: delivery window closed",
        "report: report exceeds trade energy",
        "report: meter not registered",
        "report: meter not party to trade",
        "report: report decreased",
        "settle: ok, complete",
        "settle: ok, cut short",
        "settle: unknown trade",
        "settle: trade not open",
        "settle: trade still in delivery",
        "cancel: ok",
        "cancel: unknown offer",
        "cancel: only the seller",
        "cancel: offer not open",
        "withdraw: ok",
        "withdraw: nothing to withdraw",
    ];
    let missing: Vec<_> = expected.iter().filter(|o| !tally.contains_key(**o)).collect();
    assert!(missing.is_empty(), "outcomes never reached: {missing:?}");
}
