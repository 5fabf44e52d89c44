//! The console's picture of the market and the meters: built from the market's `event`
//! records (what the contract did) and from `reading`, `alarm` and `link` records (what the
//! meters say). Everything here is in memory and bounded: per offer and trade a few hundred
//! bytes, per meter its last reading and its latest alarms, and a cap on how many meters
//! input records may add.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alloy_primitives::{Address, I256, U256};
use serde_json::Value;

use super::ConsoleError;
use crate::trade::{EventRecord, OfferState, TradeState};
use crate::units::{format_amount, format_energy_wh, format_price_per_wh};
use crate::wire::{AlarmRecord, LinkEvent, LinkRecord, PowerState, ReadingRecord, check_record};

/// How many alarms a meter keeps (newest first); older ones are only counted.
pub const ALARMS_KEPT: usize = 20;
/// How many of the latest market events the market page lists.
pub const RECENT_KEPT: usize = 20;
/// The most meters input records may add (registered meters do not count): a flood of made-up
/// device names cannot grow memory without end.
pub const MAX_INPUT_METERS: usize = 1024;
/// The longest name or message kept from an input record, in characters.
pub const MAX_TEXT: usize = 256;

/// What the console was started with: shown on the pages, never changed.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The market contract.
    pub contract: Address,
    /// Whether the offer and buy forms are served (`--allow-actions`).
    pub actions: bool,
    /// A block explorer's transaction URL prefix (`https://kaiascan.io/tx/`); without one,
    /// transaction links go to the console's own `/tx/HASH` page.
    pub explorer: Option<String>,
    /// The account the forms fill in as the sender (`--from`).
    pub default_from: Option<Address>,
    /// Version 2 markets: the grace window after a trade's deadline, in blocks (only the
    /// seller settles an unfinished trade in it). `None`: version 1.
    pub grace_blocks: Option<u64>,
}

/// Where in the chain something happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxRef {
    /// The block.
    pub block: u64,
    /// The transaction's hash, when the node gave it.
    pub hash: Option<String>,
}

impl TxRef {
    fn of(event: &EventRecord) -> TxRef {
        TxRef { block: event.block.parse().unwrap_or(0), hash: event.tx_hash.clone() }
    }
}

/// An offer and where it came and went.
#[derive(Debug, Clone)]
pub struct Offer {
    /// As the contract holds it (from its events).
    pub state: OfferState,
    /// The transaction that created it (unknown when seeded from the contract).
    pub created: Option<TxRef>,
    /// The transaction that bought or cancelled it.
    pub closed: Option<TxRef>,
}

/// How a trade was settled (its `TradeSettled` event).
#[derive(Debug, Clone)]
pub struct Settlement {
    /// The Wh paid for.
    pub delivered_wh: U256,
    /// What the seller was credited, peb.
    pub seller_paid: U256,
    /// What the buyer got back, peb.
    pub buyer_refund: U256,
    /// Whether both meters reported the whole energy.
    pub complete: bool,
    /// The settling transaction.
    pub tx: TxRef,
}

/// A trade, its reports and its settlement.
#[derive(Debug, Clone)]
pub struct Trade {
    /// As the contract holds it (from its events).
    pub state: TradeState,
    /// The buy.
    pub opened: Option<TxRef>,
    /// The seller's meter's latest report.
    pub seller_report: Option<TxRef>,
    /// The buyer's meter's latest report.
    pub buyer_report: Option<TxRef>,
    /// Version 2: where the seller side's latest signed receipt was recorded.
    pub seller_receipt: Option<TxRef>,
    /// Version 2: where the buyer side's latest signed receipt was recorded.
    pub buyer_receipt: Option<TxRef>,
    /// Once settled.
    pub settlement: Option<Settlement>,
}

/// One of the latest market events, for the page's list.
#[derive(Debug, Clone)]
pub struct Recent {
    /// The event's name (`OfferCreated`, …).
    pub event: String,
    /// Where.
    pub tx: TxRef,
    /// What it says, for humans.
    pub summary: String,
}

/// Who a meter is: its account when known (registered, or named by the link), else the
/// device URI or peer name its records carry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum MeterKey {
    /// A meter's Kaia account.
    Account(Address),
    /// A meter known only by name.
    Name(String),
}

/// A meter's latest reading.
#[derive(Debug, Clone)]
pub struct LastReading {
    /// When it was taken (RFC 3339, as the meter said).
    pub time: String,
    /// Its number in the meter's session.
    pub seq: u64,
    /// V.
    pub volts: f64,
    /// A.
    pub amps: f64,
    /// W.
    pub watts: f64,
    /// The energy total, mWh.
    pub energy_mwh: u64,
    /// Whether the sensor converts.
    pub state: Option<PowerState>,
    /// The relay's state, when known.
    pub switch: Option<String>,
    /// Whether the reading passed the health checks.
    pub healthy: bool,
}

/// An alarm a meter raised.
#[derive(Debug, Clone)]
pub struct AlarmSeen {
    /// The stable code (`shutdown`, `energy_reset`, …).
    pub code: String,
    /// When (RFC 3339, as the meter said).
    pub time: String,
    /// The reading that raised it.
    pub seq: u64,
    /// What was found, for humans.
    pub message: String,
}

/// Whether a meter's link is up, and since when.
#[derive(Debug, Clone)]
pub struct LinkState {
    /// Up or down.
    pub connected: bool,
    /// Since when (RFC 3339, as the link said).
    pub since: String,
    /// Why it went down.
    pub reason: Option<String>,
}

/// A meter's last report on the chain.
#[derive(Debug, Clone)]
pub struct LastReport {
    /// The trade.
    pub trade_id: U256,
    /// The cumulative Wh reported.
    pub wh: U256,
    /// Where.
    pub tx: TxRef,
}

/// Everything the console knows about one meter.
#[derive(Debug, Clone, Default)]
pub struct Meter {
    /// The name its records or its link give it (escaped wherever shown).
    pub name: Option<String>,
    /// The device URI of its latest record.
    pub device: Option<String>,
    /// The owner it is registered to on the market.
    pub owner: Option<Address>,
    /// Where it was registered.
    pub registered: Option<TxRef>,
    /// Its latest reading.
    pub reading: Option<LastReading>,
    /// Its latest alarms, newest first (at most [`ALARMS_KEPT`]).
    pub alarms: VecDeque<AlarmSeen>,
    /// How many alarms it raised in all.
    pub alarm_count: u64,
    /// Its link, when the link reported on it.
    pub link: Option<LinkState>,
    /// Its latest report on the chain.
    pub last_report: Option<LastReport>,
    /// Whether the contract was asked for its owner.
    pub owner_checked: bool,
    /// Version 2: `proposed`, `active` or `revoked` (from its events).
    pub state: Option<&'static str>,
    /// Version 2: the address its receipts are signed by, when changed from its own.
    pub signer: Option<Address>,
    /// Version 2, a revoked meter: the last trade it may still serve.
    pub last_trade: Option<U256>,
    /// Version 2: its latest receipt recorded on the chain.
    pub last_receipt: Option<LastReport>,
}

/// The chain as the console last saw it.
#[derive(Debug, Clone)]
pub struct ChainView {
    /// The head block.
    pub head: u64,
    /// The head block's timestamp, Unix seconds.
    pub head_time: Option<u64>,
    /// The seconds between blocks, as measured (or Kaia's nominal interval).
    pub seconds_per_block: f64,
    /// The first head this console saw and its time: the base of the measurement.
    first: Option<(u64, u64)>,
    /// Why the node could not be read, and since when (cleared when it answers again).
    pub node_error: Option<(String, SystemTime)>,
    /// The next block whose events are not read yet.
    pub next_block: u64,
}

/// The console's whole picture. Changed only through its `apply_*` and `seed_*` methods.
#[derive(Debug, Clone)]
pub struct Model {
    /// What the console was started with.
    pub settings: Settings,
    /// The chain's head and its clock.
    pub chain: ChainView,
    /// Every offer seen, by id.
    pub offers: BTreeMap<U256, Offer>,
    /// Every trade seen, by id.
    pub trades: BTreeMap<U256, Trade>,
    /// Each account's credit (from `CreditChanged`).
    pub credits: BTreeMap<Address, I256>,
    /// Every meter: registered on the market, or known from input records.
    pub meters: BTreeMap<MeterKey, Meter>,
    /// The latest market events, newest first.
    pub recent: VecDeque<Recent>,
    /// How many market events were applied.
    pub events: u64,
    /// How many input records were applied.
    pub records: u64,
    /// How many input records were dropped because [`MAX_INPUT_METERS`] was reached.
    pub dropped: u64,
    input_meters: usize,
    /// Version 2 emits no `CreditChanged`: the parties of each settlement, whose credit the
    /// follower reads from the contract.
    stale_credits: BTreeSet<Address>,
}

fn num(fields: &Value, key: &str) -> Option<U256> {
    U256::from_str_radix(fields.get(key)?.as_str()?, 10).ok()
}

fn address(fields: &Value, key: &str) -> Option<Address> {
    fields.get(key)?.as_str()?.parse().ok()
}

fn capped(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

impl Model {
    /// An empty picture of the market at `settings.contract`, to be read from `from_block` on.
    pub fn new(settings: Settings, from_block: u64) -> Self {
        Model {
            settings,
            chain: ChainView {
                head: 0,
                head_time: None,
                seconds_per_block: crate::kaia::BLOCK_INTERVAL.as_secs_f64(),
                first: None,
                node_error: None,
                next_block: from_block,
            },
            offers: BTreeMap::new(),
            trades: BTreeMap::new(),
            credits: BTreeMap::new(),
            meters: BTreeMap::new(),
            recent: VecDeque::new(),
            events: 0,
            records: 0,
            dropped: 0,
            input_meters: 0,
            stale_credits: BTreeSet::new(),
        }
    }

    /// The chain's head is `block`, stamped `time` (Unix seconds); `earlier` is an older block
    /// and its time, to measure the block interval before the console has seen blocks pass.
    pub fn set_head(&mut self, block: u64, time: Option<u64>, earlier: Option<(u64, u64)>) -> bool {
        let changed = block != self.chain.head || self.chain.node_error.is_some();
        self.chain.head = block;
        self.chain.head_time = time;
        self.chain.node_error = None;
        if let Some(time) = time {
            let first = *self.chain.first.get_or_insert(earlier.unwrap_or((block, time)));
            let (blocks, seconds) = (block.saturating_sub(first.0), time.saturating_sub(first.1));
            // A handful of blocks says little; a chain that mines on demand says nothing.
            if blocks >= 10 && seconds > 0 {
                self.chain.seconds_per_block = seconds as f64 / blocks as f64;
            }
        }
        changed
    }

    /// The node could not be read; the pages say so (and since when).
    pub fn set_node_error(&mut self, error: String) -> bool {
        match &mut self.chain.node_error {
            Some((message, _)) if *message == error => false,
            Some((message, _)) => {
                *message = error;
                true
            }
            none => {
                *none = Some((error, SystemTime::now()));
                true
            }
        }
    }

    /// When block `block` was (or will be) made, estimated from the head's time and the
    /// block interval.
    pub fn block_time(&self, block: u64) -> Option<SystemTime> {
        let head_time = UNIX_EPOCH + Duration::from_secs(self.chain.head_time?);
        let spb = self.chain.seconds_per_block;
        Some(if block >= self.chain.head {
            head_time + Duration::from_secs_f64((block - self.chain.head) as f64 * spb)
        } else {
            head_time
                .checked_sub(Duration::from_secs_f64((self.chain.head - block) as f64 * spb))
                .unwrap_or(UNIX_EPOCH)
        })
    }

    /// The offers and trades `events` refer to that neither the model nor the events
    /// themselves introduce (the console started after they were made): the follower reads
    /// those from the contract first.
    pub fn missing(&self, events: &[EventRecord]) -> (BTreeSet<U256>, BTreeSet<U256>) {
        let (mut offers, mut trades) = (BTreeSet::new(), BTreeSet::new());
        let (mut new_offers, mut new_trades) = (BTreeSet::new(), BTreeSet::new());
        for event in events {
            let fields = &event.fields;
            match event.event.as_str() {
                "OfferCreated" => {
                    new_offers.extend(num(fields, "offer_id"));
                }
                "TradeOpened" | "OfferCancelled" => {
                    if let Some(id) = num(fields, "offer_id")
                        && !self.offers.contains_key(&id)
                        && !new_offers.contains(&id)
                    {
                        offers.insert(id);
                    }
                    new_trades.extend(num(fields, "trade_id"));
                }
                "Reported" | "ReceiptAccepted" | "TradeSettled" => {
                    if let Some(id) = num(fields, "trade_id")
                        && !self.trades.contains_key(&id)
                        && !new_trades.contains(&id)
                    {
                        trades.insert(id);
                    }
                }
                _ => {}
            }
        }
        (offers, trades)
    }

    /// Takes an offer read from the contract (one made before the console's first block).
    pub fn seed_offer(&mut self, id: U256, state: OfferState) {
        self.offers.entry(id).or_insert(Offer { state, created: None, closed: None });
    }

    /// Takes a trade read from the contract (one opened before the console's first block).
    pub fn seed_trade(&mut self, id: U256, state: TradeState) {
        self.trades.entry(id).or_insert(Trade {
            state,
            opened: None,
            seller_report: None,
            buyer_report: None,
            seller_receipt: None,
            buyer_receipt: None,
            settlement: None,
        });
    }

    fn remember(&mut self, event: &EventRecord, summary: String) {
        self.recent.push_front(Recent { event: event.event.clone(), tx: TxRef::of(event), summary });
        self.recent.truncate(RECENT_KEPT);
    }

    /// Applies one market event (in chain order). Unknown events only count.
    pub fn apply_event(&mut self, event: &EventRecord) {
        self.events += 1;
        let fields = &event.fields;
        let tx = TxRef::of(event);
        let summary = match event.event.as_str() {
            "MeterRegistered" => {
                let (Some(meter), Some(owner)) = (address(fields, "meter"), address(fields, "owner")) else {
                    return;
                };
                let entry = self.meters.entry(MeterKey::Account(meter)).or_default();
                entry.owner = Some(owner);
                entry.owner_checked = true;
                entry.registered = Some(tx);
                format!("meter {} registered to {}", short(&meter), short(&owner))
            }
            // Version 2's bindings: proposed by the registrar, accepted by the owner, revoked.
            "MeterProposed" | "MeterAccepted" | "MeterRevoked" => {
                let (Some(meter), Some(owner)) = (address(fields, "meter"), address(fields, "owner")) else {
                    return;
                };
                let entry = self.meters.entry(MeterKey::Account(meter)).or_default();
                entry.owner = Some(owner);
                entry.owner_checked = true;
                let (state, what) = match event.event.as_str() {
                    "MeterProposed" => ("proposed", "proposed for"),
                    "MeterAccepted" => {
                        entry.registered = Some(tx);
                        ("active", "accepted by")
                    }
                    _ => {
                        entry.last_trade = num(fields, "last_trade");
                        ("revoked", "revoked for")
                    }
                };
                entry.state = Some(state);
                format!("meter {} {what} {}", short(&meter), short(&owner))
            }
            "MeterSignerChanged" => {
                let (Some(meter), Some(signer)) = (address(fields, "meter"), address(fields, "signer"))
                else {
                    return;
                };
                self.meters.entry(MeterKey::Account(meter)).or_default().signer = Some(signer);
                format!("meter {} now signs receipts with {}", short(&meter), short(&signer))
            }
            "OfferCreated" => {
                let Some(id) = num(fields, "offer_id") else { return };
                let state = OfferState {
                    seller: address(fields, "seller").unwrap_or_default(),
                    energy_wh: num(fields, "energy_wh").unwrap_or_default(),
                    price_per_wh: num(fields, "price_per_wh").unwrap_or_default(),
                    expiry_block: num(fields, "expiry_block").unwrap_or_default(),
                    status: 1,
                };
                let summary = format!(
                    "offer {id}: {} at {}",
                    energy(state.energy_wh),
                    format_price_per_wh(state.price_per_wh)
                );
                self.offers.insert(id, Offer { state, created: Some(tx), closed: None });
                summary
            }
            "OfferCancelled" => {
                let Some(id) = num(fields, "offer_id") else { return };
                if let Some(offer) = self.offers.get_mut(&id) {
                    offer.state.status = 3;
                    offer.closed = Some(tx);
                }
                format!("offer {id} cancelled")
            }
            "TradeOpened" => {
                let (Some(id), Some(offer_id)) = (num(fields, "trade_id"), num(fields, "offer_id")) else {
                    return;
                };
                let buyer = address(fields, "buyer").unwrap_or_default();
                let deadline = num(fields, "deadline").unwrap_or_default();
                let offer = self.offers.get_mut(&offer_id).map(|offer| {
                    offer.state.status = 2;
                    offer.closed = Some(tx.clone());
                    offer.state.clone()
                });
                let trade = self.trades.entry(id).or_insert_with(|| {
                    let offer = offer.unwrap_or(OfferState {
                        seller: Address::ZERO,
                        energy_wh: U256::ZERO,
                        price_per_wh: U256::ZERO,
                        expiry_block: U256::ZERO,
                        status: 2,
                    });
                    Trade {
                        state: TradeState {
                            seller: offer.seller,
                            buyer,
                            offer_id,
                            energy_wh: offer.energy_wh,
                            price_per_wh: offer.price_per_wh,
                            deadline,
                            seller_wh: U256::ZERO,
                            buyer_wh: U256::ZERO,
                            status: 1,
                        },
                        opened: None,
                        seller_report: None,
                        buyer_report: None,
                        seller_receipt: None,
                        buyer_receipt: None,
                        settlement: None,
                    }
                });
                trade.opened = Some(tx);
                format!("trade {id}: {} bought offer {offer_id}", short(&buyer))
            }
            // A report, or (version 2) a meter's signed receipt recorded: the side's figure.
            "Reported" | "ReceiptAccepted" => {
                let (Some(id), Some(wh)) = (num(fields, "trade_id"), num(fields, "cumulative_wh")) else {
                    return;
                };
                let receipt = event.event == "ReceiptAccepted";
                let seller_side = fields.get("seller_side").and_then(Value::as_bool).unwrap_or(false);
                if let Some(trade) = self.trades.get_mut(&id) {
                    // Figures are cumulative and only grow; an older one never lowers the value.
                    let (value, report) = match (seller_side, receipt) {
                        (true, false) => (&mut trade.state.seller_wh, &mut trade.seller_report),
                        (false, false) => (&mut trade.state.buyer_wh, &mut trade.buyer_report),
                        (true, true) => (&mut trade.state.seller_wh, &mut trade.seller_receipt),
                        (false, true) => (&mut trade.state.buyer_wh, &mut trade.buyer_receipt),
                    };
                    *value = (*value).max(wh);
                    *report = Some(tx.clone());
                }
                if let Some(meter) = address(fields, "meter") {
                    let entry = self.meters.entry(MeterKey::Account(meter)).or_default();
                    let last = Some(LastReport { trade_id: id, wh, tx });
                    if receipt { entry.last_receipt = last } else { entry.last_report = last }
                }
                let side = if seller_side { "seller" } else { "buyer" };
                if receipt {
                    format!("trade {id}: the {side}'s meter's signed receipt of {} recorded", energy(wh))
                } else {
                    format!("trade {id}: the {side}'s meter reported {}", energy(wh))
                }
            }
            "TradeSettled" => {
                let Some(id) = num(fields, "trade_id") else { return };
                let settlement = Settlement {
                    delivered_wh: num(fields, "delivered_wh").unwrap_or_default(),
                    seller_paid: num(fields, "seller_paid").unwrap_or_default(),
                    buyer_refund: num(fields, "buyer_refund").unwrap_or_default(),
                    complete: fields.get("complete").and_then(Value::as_bool).unwrap_or(false),
                    tx,
                };
                let summary = format!(
                    "trade {id} settled: {} delivered, seller paid {}, buyer refunded {}",
                    energy(settlement.delivered_wh),
                    format_amount(settlement.seller_paid),
                    format_amount(settlement.buyer_refund)
                );
                if let Some(trade) = self.trades.get_mut(&id) {
                    trade.state.status = 2;
                    trade.settlement = Some(settlement);
                    if self.settings.grace_blocks.is_some() {
                        self.stale_credits.extend([trade.state.seller, trade.state.buyer]);
                    }
                }
                summary
            }
            "CreditChanged" => {
                let Some(account) = address(fields, "account") else { return };
                let Some(credit) = fields.get("credit").and_then(Value::as_str).and_then(|c| c.parse().ok())
                else {
                    return;
                };
                self.credits.insert(account, credit);
                format!("credit of {} is now {credit}", short(&account))
            }
            "Withdrawn" => {
                let account = address(fields, "account").unwrap_or_default();
                let amount = num(fields, "amount").unwrap_or_default();
                format!("{} withdrew {}", short(&account), format_amount(amount))
            }
            other => other.to_string(),
        };
        self.remember(event, summary);
    }

    /// The meter an input record is about: `meta.peer` (the link's peer) when present, else
    /// the device URI. `None` when the record would add a meter past [`MAX_INPUT_METERS`].
    fn meter_for(
        &mut self,
        peer: Option<(String, Option<Address>)>,
        device: Option<&str>,
    ) -> Option<&mut Meter> {
        let (key, name) = match (peer, device) {
            (Some((name, Some(account))), _) => (MeterKey::Account(account), Some(name)),
            (Some((name, None)), _) => (MeterKey::Name(capped(&name, MAX_TEXT)), Some(name)),
            (None, Some(device)) => (MeterKey::Name(capped(device, MAX_TEXT)), None),
            (None, None) => return None,
        };
        if !self.meters.contains_key(&key) {
            if self.input_meters >= MAX_INPUT_METERS {
                self.dropped += 1;
                return None;
            }
            self.input_meters += 1;
        }
        let meter = self.meters.entry(key).or_default();
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            meter.name = Some(capped(&name, MAX_TEXT));
        }
        if let Some(device) = device {
            meter.device = Some(capped(device, MAX_TEXT));
        }
        Some(meter)
    }

    /// Applies one input record: a `reading`, an `alarm` (from `evlock-sense`, or relayed
    /// by the link with `meta.peer`) or a `link` record. Returns whether anything changed.
    pub fn apply_input(&mut self, record: Value) -> Result<bool, ConsoleError> {
        let object = record.as_object().ok_or(ConsoleError::BadRecord {
            kind: "input",
            reason: "a record must be a JSON object".into(),
        })?;
        check_record(object, &["reading", "alarm", "link"])?;
        let kind = match object.get("kind").and_then(Value::as_str) {
            Some("reading") => "reading",
            Some("alarm") => "alarm",
            Some("link") => "link",
            _ => {
                return Err(ConsoleError::BadRecord {
                    kind: "input",
                    reason: "no \"kind\": this takes reading, alarm and link records".into(),
                });
            }
        };
        let bad = |e: serde_json::Error| ConsoleError::BadRecord { kind, reason: e.to_string() };
        let peer = record.get("meta").and_then(|m| m.get("peer")).and_then(peer_of);
        self.records += 1;
        match kind {
            "reading" => {
                let reading: ReadingRecord = serde_json::from_value(record).map_err(bad)?;
                let Some(meter) = self.meter_for(peer, Some(&reading.device)) else { return Ok(false) };
                meter.reading = Some(LastReading {
                    time: capped(&reading.time, 64),
                    seq: reading.seq,
                    volts: reading.volts,
                    amps: reading.amps,
                    watts: reading.watts,
                    energy_mwh: reading.energy_mwh,
                    state: reading.state,
                    switch: reading.switch.map(|s| capped(&s, 16)),
                    healthy: reading.health.ok,
                });
            }
            "alarm" => {
                let alarm: AlarmRecord = serde_json::from_value(record).map_err(bad)?;
                let Some(meter) = self.meter_for(peer, Some(&alarm.device)) else { return Ok(false) };
                meter.alarms.push_front(AlarmSeen {
                    code: capped(&alarm.code, 64),
                    time: capped(&alarm.time, 64),
                    seq: alarm.seq,
                    message: capped(&alarm.message, 2 * MAX_TEXT),
                });
                meter.alarms.truncate(ALARMS_KEPT);
                meter.alarm_count += 1;
            }
            _ => {
                let link: LinkRecord = serde_json::from_value(record).map_err(bad)?;
                let account = match link.peer.account.as_deref() {
                    Some(text) => Some(text.parse::<Address>().map_err(|e| ConsoleError::BadRecord {
                        kind: "link",
                        reason: format!("peer.account {text:?} is not an address: {e}"),
                    })?),
                    None => None,
                };
                let Some(meter) = self.meter_for(Some((link.peer.name, account)), None) else {
                    return Ok(false);
                };
                meter.link = Some(LinkState {
                    connected: link.event == LinkEvent::Connected,
                    since: capped(&link.time, 64),
                    reason: link.reason.map(|r| capped(&r, MAX_TEXT)),
                });
            }
        }
        Ok(true)
    }

    /// Meters that input records name by account but whose registration the console has not
    /// seen (it started after it): the follower asks the contract for their owners, once.
    pub fn unknown_owners(&self, max: usize) -> Vec<Address> {
        self.meters
            .iter()
            .filter_map(|(key, meter)| match key {
                MeterKey::Account(account) if meter.owner.is_none() && !meter.owner_checked => Some(*account),
                _ => None,
            })
            .take(max)
            .collect()
    }

    /// The accounts whose credit changed without an event (version 2's settlements), taken
    /// for the follower to read.
    pub fn take_stale_credits(&mut self) -> BTreeSet<Address> {
        std::mem::take(&mut self.stale_credits)
    }

    /// Puts accounts back for the follower to read (the node did not answer).
    pub fn mark_stale_credits(&mut self, accounts: impl IntoIterator<Item = Address>) {
        self.stale_credits.extend(accounts);
    }

    /// Sets an account's credit as read from the contract.
    pub fn set_credit(&mut self, account: Address, credit: I256) -> bool {
        self.credits.insert(account, credit) != Some(credit)
    }

    /// Sets a meter's owner as read from the contract (zero: not registered).
    pub fn set_owner(&mut self, meter: Address, owner: Address) -> bool {
        let entry = self.meters.entry(MeterKey::Account(meter)).or_default();
        entry.owner_checked = true;
        if owner == Address::ZERO {
            return false;
        }
        entry.owner = Some(owner);
        true
    }
}

fn peer_of(peer: &Value) -> Option<(String, Option<Address>)> {
    let name = peer.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
    let account = peer.get("account").and_then(Value::as_str).and_then(|a| a.parse().ok());
    (!name.is_empty() || account.is_some()).then_some((name, account))
}

fn energy(wh: U256) -> String {
    format_energy_wh(wh.saturating_to())
}

/// An address shortened for a table cell: `0x1234…abcd`.
pub fn short(address: &Address) -> String {
    let full = address.to_checksum(None);
    format!("{}…{}", &full[..6], &full[full.len() - 4..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn unix_seconds(time: SystemTime) -> u64 {
        time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
    }

    fn model() -> Model {
        Model::new(
            Settings {
                contract: Address::repeat_byte(9),
                actions: false,
                explorer: None,
                default_from: None,
                grace_blocks: None,
            },
            0,
        )
    }

    fn event(name: &str, block: u64, fields: Value) -> EventRecord {
        EventRecord {
            event: name.into(),
            contract: Address::repeat_byte(9).to_checksum(None),
            block: block.to_string(),
            tx_hash: Some(format!("0x{block:064x}")),
            log_index: Some("0".into()),
            fields,
        }
    }

    #[test]
    fn a_trade_from_offer_to_settlement() {
        let mut m = model();
        let (seller, buyer, meter) =
            (Address::repeat_byte(1), Address::repeat_byte(2), Address::repeat_byte(3));
        m.apply_event(&event(
            "MeterRegistered",
            1,
            json!({"meter": meter.to_string(), "owner": seller.to_string()}),
        ));
        m.apply_event(&event(
            "OfferCreated",
            2,
            json!({"offer_id": "1", "seller": seller.to_string(), "energy_wh": "500", "price_per_wh": "2000000000", "expiry_block": "100"}),
        ));
        assert_eq!(m.offers[&U256::from(1)].state.status_name(), "open");
        m.apply_event(&event(
            "TradeOpened",
            3,
            json!({"trade_id": "1", "offer_id": "1", "buyer": buyer.to_string(), "escrow": "1000000000000", "deadline": "43"}),
        ));
        assert_eq!(m.offers[&U256::from(1)].state.status_name(), "bought");
        let report = |wh: &str, side: bool| json!({"trade_id": "1", "meter": meter.to_string(), "seller_side": side, "cumulative_wh": wh});
        m.apply_event(&event("Reported", 4, report("300", true)));
        m.apply_event(&event("Reported", 5, report("200", true)));
        m.apply_event(&event("Reported", 6, report("500", false)));
        let trade = &m.trades[&U256::from(1)];
        assert_eq!((trade.state.seller_wh, trade.state.buyer_wh), (U256::from(300), U256::from(500)));
        assert_eq!(trade.state.seller, seller);
        assert_eq!(trade.state.escrow(), U256::from(1_000_000_000_000u64));
        assert_eq!(trade.seller_report.as_ref().unwrap().block, 5);
        m.apply_event(&event(
            "TradeSettled",
            7,
            json!({"trade_id": "1", "delivered_wh": "300", "seller_paid": "600000000000", "buyer_refund": "400000000000", "complete": false}),
        ));
        m.apply_event(&event("CreditChanged", 7, json!({"account": seller.to_string(), "credit": "-3"})));
        let trade = &m.trades[&U256::from(1)];
        assert_eq!(trade.state.status_name(), "settled");
        assert_eq!(trade.settlement.as_ref().unwrap().seller_paid, U256::from(600_000_000_000u64));
        assert_eq!(m.credits[&seller], I256::try_from(-3).unwrap());
        assert_eq!(m.events, 8);
        assert_eq!(m.recent.len(), 8);
        assert!(m.recent[0].summary.contains("credit"), "{:?}", m.recent[0]);
        assert_eq!(m.meters[&MeterKey::Account(meter)].last_report.as_ref().unwrap().wh, U256::from(500));
    }

    #[test]
    fn events_about_unseen_trades_are_named_for_seeding() {
        let m = model();
        let events = [
            event("OfferCreated", 2, json!({"offer_id": "4"})),
            event("TradeOpened", 3, json!({"trade_id": "2", "offer_id": "4"})),
            event("TradeOpened", 3, json!({"trade_id": "3", "offer_id": "1"})),
            event("Reported", 4, json!({"trade_id": "1", "cumulative_wh": "5"})),
            event("Reported", 4, json!({"trade_id": "2", "cumulative_wh": "5"})),
        ];
        let (offers, trades) = m.missing(&events);
        assert_eq!(offers.into_iter().collect::<Vec<_>>(), vec![U256::from(1)]);
        assert_eq!(trades.into_iter().collect::<Vec<_>>(), vec![U256::from(1)]);
    }

    #[test]
    fn input_records_update_meters() {
        let mut m = model();
        let meter = Address::repeat_byte(3);
        let reading = json!({"kind": "reading", "v": 1, "device": "sim:a", "seq": 4, "time": "2026-01-01T00:00:04.000Z",
            "volts": 12.8, "amps": 2.0, "watts": 25.6, "energy_wh": 1, "energy_mwh": 1500, "counters": {},
            "health": {"ok": true, "alarms": []}, "meta": {"peer": {"name": "roof", "account": meter.to_string()}}});
        assert!(m.apply_input(reading).unwrap());
        let alarm = json!({"kind": "alarm", "v": 1, "code": "shutdown", "device": "sim:<b>", "seq": 3,
            "time": "2026-01-01T00:00:03.000Z", "message": "asleep"});
        assert!(m.apply_input(alarm).unwrap());
        let link = json!({"kind": "link", "v": 1, "event": "connected", "peer": {"name": "roof", "account": meter.to_string()},
            "time": "2026-01-01T00:00:00Z"});
        assert!(m.apply_input(link).unwrap());
        let roof = &m.meters[&MeterKey::Account(meter)];
        assert_eq!(roof.name.as_deref(), Some("roof"));
        assert_eq!(roof.reading.as_ref().unwrap().energy_mwh, 1500);
        assert!(roof.link.as_ref().unwrap().connected);
        let named = &m.meters[&MeterKey::Name("sim:<b>".into())];
        assert_eq!(named.alarms[0].code, "shutdown");
        assert_eq!(m.unknown_owners(10), vec![meter]);

        let error = m.apply_input(json!({"kind": "tx", "v": 1})).unwrap_err();
        assert!(error.to_string().contains("cannot be used here"), "{error}");
        let error = m.apply_input(json!({"kind": "reading", "v": 1, "device": "x"})).unwrap_err();
        assert!(error.to_string().starts_with("not a usable reading record"), "{error}");
        let error = m
            .apply_input(
                json!({"kind": "link", "event": "connected", "peer": {"account": "0x12"}, "time": "t"}),
            )
            .unwrap_err();
        assert!(error.to_string().contains("peer.account"), "{error}");
    }

    #[test]
    fn input_meters_are_capped() {
        let mut m = model();
        for i in 0..MAX_INPUT_METERS + 5 {
            let alarm = json!({"kind": "alarm", "code": "frozen", "device": format!("sim:{i}"), "seq": 0, "time": "t", "message": "m"});
            m.apply_input(alarm).unwrap();
        }
        assert_eq!(m.meters.len(), MAX_INPUT_METERS);
        assert_eq!(m.dropped, 5);
        let long = "x".repeat(10_000);
        let mut m = model();
        m.apply_input(
            json!({"kind": "alarm", "code": "frozen", "device": long, "seq": 0, "time": "t", "message": "m"}),
        )
        .unwrap();
        let MeterKey::Name(name) = m.meters.keys().next().unwrap() else { panic!() };
        assert_eq!(name.chars().count(), MAX_TEXT + 1);
    }

    #[test]
    fn block_times_are_estimated_from_the_head() {
        let mut m = model();
        assert_eq!(m.block_time(10), None);
        m.set_head(100, Some(1_000_000), Some((0, 999_800)));
        assert_eq!(m.chain.seconds_per_block, 2.0);
        assert_eq!(unix_seconds(m.block_time(110).unwrap()), 1_000_020);
        assert_eq!(unix_seconds(m.block_time(90).unwrap()), 999_980);
        let mut m = model();
        m.set_head(5, Some(1_000), None);
        assert_eq!(m.chain.seconds_per_block, 1.0, "Kaia's interval until blocks are seen to pass");
    }
}
