//! A delivery session (`evlock-trade deliver`): close the relay, read the meter, report every
//! so often, stop and open the relay on an alarm or when the energy is delivered, then settle
//! the trade or leave it for its deadline. Every step is journaled first, so a killed session
//! resumes without reporting twice.
//!
//! On a version 2 market the session signs delivery receipts instead of sending reports:
//! each from its own meter's reading, never decreasing, journaled before it is written out
//! (stdout, for the link to carry to the other side). The seller's session reads the buyer
//! meter's receipts (a file the link writes) and keeps its relay closed only while what the
//! buyer acknowledged trails what it delivered by at most `--max-unacknowledged`; otherwise it
//! opens the relay and raises `counterparty_silent` or `divergence`. When it stops delivering
//! it puts the buyer's latest receipt on chain, and it settles with both sides' receipts. The
//! buyer's session raises `foreign_receipt` when the chain holds more for its side than its
//! journal signed (a stolen meter key at work).

use std::io::{Read, Seek};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, U256};
use serde_json::Value;

use super::journal::{Entry, Journal};
use super::receipts::{CheckedReceipt, receipt_side};
use super::{ReportPlanner, Reporting, TradeError, TradeState, TxBuilder, meter_owner, read_trade};
use crate::exit::{ErrorClass, ExitCode, Failure};
use crate::market::v2::{self, ReceiptRequest, SignedReceipt};
use crate::market::{Action, MarketCall};
use crate::meter::session::Step;
use crate::relay::{Submission, Submitter};
use crate::rpc::RpcClient;
use crate::signer::session::Session;
use crate::wire::Output;
use crate::wire::{AlarmRecord, DeliveryReceiptRecord, ReadingRecord, ReceiptRecord, SignedTxRecord};

/// Why a delivery session stopped on its own account (the meter, the chain and the journal
/// have their own errors).
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    /// A report in the journal cannot be read back as a `signed_tx` record (exit 2).
    #[error("journaled report {hash}: {reason}")]
    JournaledReport {
        /// The report's transaction hash.
        hash: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The meter's key is not the registered meter of this side of the trade (exit 1).
    #[error("meter {meter} is {whose}, not to trade {trade}'s {side} {party}")]
    WrongMeter {
        /// The meter's address (the signing key's account).
        meter: Address,
        /// `not registered` or `registered to 0x…`.
        whose: String,
        /// The trade id.
        trade: U256,
        /// `seller` or `buyer`.
        side: &'static str,
        /// The trade's party on that side.
        party: Address,
    },
    /// A report transaction reverted (exit 1).
    #[error("trade {trade}: the report of {cumulative_wh} Wh reverted: {reason}")]
    ReportReverted {
        /// The trade id.
        trade: U256,
        /// The cumulative Wh the report carried.
        cumulative_wh: u64,
        /// The contract's reason.
        reason: String,
    },
    /// A journaled delivery receipt cannot be read back (exit 2).
    #[error("journaled delivery receipt of {cumulative_wh} Wh: {reason}")]
    JournaledReceipt {
        /// Its figure.
        cumulative_wh: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The counterpart's receipt file cannot be read (exit 2).
    #[error("counterpart receipts {path}: {source}")]
    Feed {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The settle transaction reverted and the trade is still not settled (exit 1).
    #[error("settling trade {trade} reverted: {reason}")]
    SettleReverted {
        /// The trade id.
        trade: U256,
        /// The contract's reason.
        reason: String,
    },
}

impl ErrorClass for DeliverError {
    fn exit_code(&self) -> ExitCode {
        match self {
            DeliverError::JournaledReport { .. }
            | DeliverError::JournaledReceipt { .. }
            | DeliverError::Feed { .. } => ExitCode::Usage,
            DeliverError::WrongMeter { .. }
            | DeliverError::ReportReverted { .. }
            | DeliverError::SettleReverted { .. } => ExitCode::No,
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            DeliverError::JournaledReport { .. } | DeliverError::JournaledReceipt { .. } => "journal_corrupt",
            DeliverError::Feed { .. } => "input",
            DeliverError::WrongMeter { .. } => "wrong_meter",
            DeliverError::ReportReverted { .. } | DeliverError::SettleReverted { .. } => "reverted",
        }
    }
}

/// Which side of the trade this meter measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Side {
    /// The seller's meter (energy out of the battery).
    Seller,
    /// The buyer's meter (energy into the load or battery).
    Buyer,
}

impl Side {
    /// `seller` or `buyer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Seller => "seller",
            Side::Buyer => "buyer",
        }
    }
}

/// Where a delivery's readings come from, and the relay it switches.
pub trait ReadingSource {
    /// Waits for and takes the next reading, with its health checks; `None` when the session
    /// was asked to stop (Ctrl-C, SIGTERM).
    fn next_step(&mut self) -> Result<Option<Step>, Failure>;
    /// Closes (energy flows) or opens the relay; a no-op without a switch.
    fn set_switch(&mut self, closed: bool) -> Result<(), Failure>;
}

/// Signs and submits the session's transactions: the meter's key signs, an operator's key may
/// pay the gas.
pub struct ChainSender<'a> {
    /// Fills nonce, gas, gas price and chain id.
    pub builder: TxBuilder<'a>,
    /// The meter's key.
    pub sender: Session,
    /// The operator's key, when it pays the gas.
    pub fee_payer: Option<Session>,
    /// Sends and waits for receipts.
    pub submitter: Submitter<'a>,
}

impl ChainSender<'_> {
    fn sign(&mut self, market: Address, action: &dyn MarketCall) -> Result<SignedTxRecord, Failure> {
        let tx = self.builder.build(Some(market), action, None)?;
        let signed = self.sender.sign_record(Value::Object(tx.fields), 0)?;
        match self.fee_payer.as_mut() {
            None => Ok(signed),
            Some(payer) => payer.sign_record(as_record(&signed), 0),
        }
    }

    fn submit(&self, signed: SignedTxRecord) -> Result<ReceiptRecord, Failure> {
        let submission = Submission::from_signed_tx(&signed)?;
        Ok(self.submitter.submit(submission, &mut ())?)
    }
}

/// A `signed_tx` record as the JSON that goes on the wire (what the fee payer's signing step
/// and the journal take).
fn as_record(signed: &SignedTxRecord) -> Value {
    serde_json::to_value(crate::wire::Envelope::new(signed)).expect("records serialize")
}

/// How the session runs.
#[derive(Debug, Clone)]
pub struct DeliverOptions {
    /// The trade.
    pub trade_id: U256,
    /// This meter's side.
    pub side: Side,
    /// How often to report.
    pub every: Reporting,
    /// How long to wait, after delivering, for the other side to finish so the trade can be
    /// settled complete (checked every `poll`); after that it is left for the deadline.
    pub settle_wait: Duration,
    /// The pause between two checks of the trade while waiting to settle.
    pub poll: Duration,
    /// Keep delivering through alarms (they are still written).
    pub ignore_alarms: bool,
}

/// A version 2 session's receipts: the domain they are signed under and, for the seller, the
/// buyer's receipts to watch.
#[derive(Debug)]
pub struct ReceiptMode {
    /// The chain id (the receipts' domain).
    pub chain_id: u64,
    /// The market's grace window (blocks after the deadline in which only the seller settles).
    pub grace_blocks: u64,
    /// The seller's: the buyer meter's receipts, as the link writes them.
    pub counterpart: Option<ReceiptFeed>,
    /// How far (Wh) what the buyer acknowledged may trail what was delivered; `None`: one
    /// reporting step.
    pub max_unacknowledged: Option<u64>,
    /// The link peer this session's receipts are for (`meta.to` on each, so the operator↔meter
    /// link routes them to the other side).
    pub to: Option<String>,
}

/// A file of `delivery_receipt` records another process appends to (the link's output),
/// read as it grows: each look reads the complete lines added since the last.
#[derive(Debug)]
pub struct ReceiptFeed {
    path: PathBuf,
    offset: u64,
    partial: Vec<u8>,
}

impl ReceiptFeed {
    /// A feed of the file at `path` (it need not exist yet).
    pub fn new(path: PathBuf) -> Self {
        ReceiptFeed { path, offset: 0, partial: Vec::new() }
    }

    /// The records appended since the last look; a line that is not a `delivery_receipt`
    /// is skipped with a warning (it acknowledges nothing).
    fn poll(&mut self) -> Result<Vec<DeliveryReceiptRecord>, DeliverError> {
        let feed_error = |source| DeliverError::Feed { path: self.path.clone(), source };
        let mut file = match std::fs::File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(feed_error(e)),
        };
        file.seek(std::io::SeekFrom::Start(self.offset)).map_err(feed_error)?;
        let mut added = Vec::new();
        // At most the wire's line limit per look: a runaway file cannot exhaust memory.
        let read = file
            .take(crate::wire::MAX_LINE_BYTES as u64)
            .read_to_end(&mut added)
            .map_err(|e| DeliverError::Feed { path: self.path.clone(), source: e })?;
        self.offset += read as u64;
        self.partial.extend_from_slice(&added);
        let mut records = Vec::new();
        while let Some(end) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line);
            if text.trim().is_empty() {
                continue;
            }
            let parsed =
                serde_json::from_str::<Value>(text.trim()).map_err(|e| e.to_string()).and_then(|v| {
                    match v.as_object() {
                        Some(map) => crate::wire::check_record(map, &["delivery_receipt"])
                            .map_err(|e| e.to_string())?,
                        None => return Err("not a JSON object".to_string()),
                    }
                    serde_json::from_value::<DeliveryReceiptRecord>(v).map_err(|e| e.to_string())
                });
            match parsed {
                Ok(record) => records.push(record),
                Err(e) => {
                    log::warn!("{}: a line that is not a delivery receipt skipped: {e}", self.path.display())
                }
            }
        }
        Ok(records)
    }
}

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Delivered and settled.
    Settled,
    /// Delivered (or the window closed); settling is left for later or the deadline.
    LeftForDeadline,
    /// A meter alarm stopped the delivery.
    Alarm,
    /// Ctrl-C or SIGTERM stopped it (the relay was opened; run again to resume).
    Interrupted,
}

/// Why the metering loop ended early.
enum Stop {
    Alarm(AlarmRecord),
    /// The seller's: the buyer acknowledged too little (`counterparty_silent`, `divergence`).
    Counterparty(AlarmRecord),
    Interrupted,
}

/// What a version 2 session knows of the receipts while it runs.
struct ReceiptState<'m> {
    mode: &'m mut ReceiptMode,
    /// This meter's latest signed receipt and its figure.
    own: Option<(u64, SignedReceipt)>,
    /// The buyer meter's latest valid receipt (the seller's session) and its figure.
    counterpart: Option<(u64, SignedReceipt)>,
    /// Whether the last look at the feed brought a higher counterpart receipt.
    fresh: bool,
    /// The largest step between two of this meter's receipts (the default allowance with
    /// time-based steps).
    largest_step: u64,
    /// Receipt signers checked against the market: (meter, signer) → verdict.
    checked: std::collections::BTreeMap<(Address, Address), bool>,
}

fn signed_from(value: &Value, cumulative_wh: u64) -> Result<SignedReceipt, DeliverError> {
    let bad = |reason: String| DeliverError::JournaledReceipt { cumulative_wh, reason };
    let record: DeliveryReceiptRecord =
        serde_json::from_value(value.clone()).map_err(|e| bad(e.to_string()))?;
    SignedReceipt::from_record(&record).map(|(_, signed)| signed).map_err(|e| bad(e.to_string()))
}

/// Runs a delivery session to its end. Writes `alarm` and `receipt` records to `out`, and
/// finally a `status` record of the trade. On a version 2 market `receipts` says how its
/// receipts are signed and (for the seller) where the buyer's come from.
#[allow(clippy::too_many_arguments)]
pub fn deliver(
    client: &RpcClient,
    market: Address,
    source: &mut dyn ReadingSource,
    sender: &mut ChainSender<'_>,
    journal: &mut Journal,
    options: &DeliverOptions,
    receipts: Option<&mut ReceiptMode>,
    out: &mut Output,
) -> Result<Ending, Failure> {
    let id = options.trade_id;
    let side = options.side.as_str();
    let trade = read_trade(client, market, id)?;
    let mut receipts = match receipts {
        None => None,
        Some(mode) => {
            let own = journal.own_receipt().map(|(wh, v)| signed_from(v, wh).map(|r| (wh, r))).transpose()?;
            let counterpart = journal
                .counterpart_receipt()
                .map(|(wh, v)| signed_from(v, wh).map(|r| (wh, r)))
                .transpose()?;
            Some(ReceiptState {
                mode,
                own,
                counterpart,
                fresh: false,
                largest_step: 0,
                checked: Default::default(),
            })
        }
    };
    let meter = sender.sender.address();
    check_meter(client, market, meter, &trade, options)?;
    let energy_wh = trade.energy_wh.saturating_to::<u64>();
    let on_chain = side_report(&trade, options.side);

    // A report journaled but never confirmed may not have reached the node: send it again
    // (the node recognises it if it did).
    if let Some((hash, signed)) = journal.unconfirmed_report() {
        let hash = hash.to_owned();
        let signed: SignedTxRecord = serde_json::from_value(signed.clone())
            .map_err(|e| DeliverError::JournaledReport { hash: hash.clone(), reason: e.to_string() })?;
        log::info!("resending journaled report {hash}");
        let receipt = sender.submit(signed)?;
        journal.append(Entry::Sent { hash, status: receipt.status.clone() })?;
        out.emit(&receipt)?;
    }
    if trade.status == 2 || journal.is_settled() {
        log::info!("trade {id} is already settled");
        return finish(client, market, id, Ending::Settled, out);
    }

    let journaled = journal.start_for(&id.to_string(), side)?;
    let own_signed = receipts.as_ref().and_then(|r| r.own.as_ref()).map_or(0, |(wh, _)| *wh);
    let already = on_chain.max(journal.reported_wh()).max(own_signed);
    let mut planner = ReportPlanner::new(energy_wh, options.every).resuming(already);
    let mut stopped = None;
    // A seller resuming after the buyer went quiet does not close the relay again first.
    if let Some(state) = receipts.as_mut()
        && options.side == Side::Seller
        && !planner.is_done()
    {
        stopped = check_acknowledged(client, market, &trade, state, options, already, None, journal)?;
    }
    if !planner.is_done() && stopped.is_none() {
        log::info!(
            "trade {id}: delivering as the {side}'s meter {meter}; {already} of {energy_wh} Wh measured"
        );
        source.set_switch(true)?;
        let result = run_delivery(
            client,
            market,
            &trade,
            source,
            sender,
            journal,
            &mut planner,
            journaled,
            energy_wh,
            options,
            receipts.as_mut(),
            out,
        );
        // Whatever happened, the relay is opened: no energy flows unpaid.
        let opened = source.set_switch(false);
        stopped = result?;
        opened?;
    }
    if let Some(Stop::Counterparty(alarm)) = &stopped {
        out.emit(alarm)?;
    }
    // Stopped and not settling now, the seller puts the buyer's latest receipt on chain at
    // once: a buyer settling late on a stale figure then pays for what it acknowledged.
    // (On the way to settle, [`settle`] does it unless it settles with it at once.)
    if let Some(state) = receipts.as_ref()
        && options.side == Side::Seller
        && matches!(stopped, Some(Stop::Alarm(_) | Stop::Interrupted))
    {
        submit_counterpart(client, market, sender, state, id, out)?;
    }
    match stopped {
        Some(Stop::Alarm(alarm)) => {
            log::error!(
                "trade {id}: delivery stopped by alarm {}; the trade is left for its deadline",
                alarm.code
            );
            return finish(client, market, id, Ending::Alarm, out);
        }
        Some(Stop::Interrupted) => {
            log::warn!("trade {id}: interrupted; the relay is open, and running again resumes the delivery");
            return finish(client, market, id, Ending::Interrupted, out);
        }
        Some(Stop::Counterparty(alarm)) => {
            log::error!(
                "trade {id}: the relay is open: {}; the trade settles with the buyer's latest receipt",
                alarm.message
            );
            let ending = settle(client, market, sender, journal, options, energy_wh, receipts.as_mut(), out)?;
            let ending =
                if matches!(ending, Ending::Settled | Ending::Interrupted) { ending } else { Ending::Alarm };
            return finish(client, market, id, ending, out);
        }
        None => {}
    }
    if planner.is_done() && !journal.entries().iter().any(|e| matches!(e, Entry::Delivered)) {
        journal.append(Entry::Delivered)?;
    }
    let ending = settle(client, market, sender, journal, options, energy_wh, receipts.as_mut(), out)?;
    finish(client, market, id, ending, out)
}

/// The seller's check after each step (and before resuming): reads what the buyer's meter
/// acknowledged since the last look, and stops when it trails `delivered_wh` by more than
/// the allowance.
#[allow(clippy::too_many_arguments)]
fn check_acknowledged(
    client: &RpcClient,
    market: Address,
    trade: &TradeState,
    state: &mut ReceiptState<'_>,
    options: &DeliverOptions,
    delivered_wh: u64,
    reading: Option<&ReadingRecord>,
    journal: &mut Journal,
) -> Result<Option<Stop>, Failure> {
    let id = options.trade_id;
    // Without the buyer's receipts there is nothing to hold the delivery to (the session
    // was started with --unprotected).
    if state.mode.counterpart.is_none() {
        return Ok(None);
    }
    absorb_counterpart(client, market, trade, state, id, journal)?;
    let acknowledged = state.counterpart.as_ref().map_or(0, |(wh, _)| *wh);
    let allowance = state.mode.max_unacknowledged.unwrap_or(match options.every {
        Reporting::EveryWh(step) => step,
        Reporting::Every(_) => state.largest_step.max(1),
    });
    if delivered_wh.saturating_sub(acknowledged) <= allowance {
        return Ok(None);
    }
    // Receipts still arriving but far behind is the rewiring attack seen from this end;
    // none since the last look is a buyer (or its meter, or the link) gone quiet.
    let (code, what) = if state.fresh {
        ("divergence", "acknowledges much less than was delivered")
    } else {
        ("counterparty_silent", "stopped acknowledging")
    };
    let message = format!(
        "the buyer's meter {what}: {acknowledged} Wh acknowledged of {delivered_wh} Wh delivered (at most {allowance} Wh may be unacknowledged)"
    );
    let alarm = AlarmRecord {
        code: code.into(),
        device: reading.map(|r| r.device.clone()).unwrap_or_default(),
        seq: reading.map_or(0, |r| r.seq),
        time: reading
            .map(|r| r.time.clone())
            .unwrap_or_else(|| humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()),
        message,
        details: Some(serde_json::json!({
            "trade": id.to_string(), "delivered_wh": delivered_wh, "acknowledged_wh": acknowledged,
            "max_unacknowledged_wh": allowance,
        })),
    };
    journal.append(Entry::Alarm { code: alarm.code.clone(), message: alarm.message.clone() })?;
    Ok(Some(Stop::Counterparty(alarm)))
}

/// Reads the buyer's receipts added to the feed since the last look and keeps (journaled)
/// the highest valid one; `state.fresh` tells whether it rose.
fn absorb_counterpart(
    client: &RpcClient,
    market: Address,
    trade: &TradeState,
    state: &mut ReceiptState<'_>,
    id: U256,
    journal: &mut Journal,
) -> Result<(), Failure> {
    state.fresh = false;
    let Some(feed) = state.mode.counterpart.as_mut() else { return Ok(()) };
    let records = feed.poll()?;
    for record in records {
        let Some((wh, signed)) = counterpart_receipt(client, market, trade, id, state, &record)? else {
            continue;
        };
        if state.counterpart.as_ref().is_some_and(|(held, _)| *held >= wh) {
            continue;
        }
        let value = serde_json::to_value(crate::wire::Envelope::new(&record)).expect("records serialize");
        journal.append(Entry::Counterpart { cumulative_wh: wh, record: value })?;
        state.counterpart = Some((wh, signed));
        state.fresh = true;
    }
    Ok(())
}

/// A buyer receipt the contract will take for trade `id`'s buyer side, with its figure
/// (capped at the trade's energy); `None` (with a warning) for anything else.
fn counterpart_receipt(
    client: &RpcClient,
    market: Address,
    trade: &TradeState,
    id: U256,
    state: &mut ReceiptState<'_>,
    record: &DeliveryReceiptRecord,
) -> Result<Option<(u64, SignedReceipt)>, Failure> {
    let refuse = |why: String| {
        log::warn!("a counterpart receipt ({} Wh) is not counted: {why}", record.cumulative_wh);
        Ok(None)
    };
    let (request, signed) = match SignedReceipt::from_record(record) {
        Ok(parsed) => parsed,
        Err(e) => return refuse(e.to_string()),
    };
    if request.market != market || request.chain_id != state.mode.chain_id || signed.trade_id != id {
        return refuse(format!(
            "it is for trade {} of market {} on chain {}",
            signed.trade_id, request.market, request.chain_id
        ));
    }
    let signer = match signed.signature.recover_address(&request.digest()) {
        Ok(signer) => signer,
        Err(e) => return refuse(e.to_string()),
    };
    let key = (signed.meter, signer);
    let valid = match state.checked.get(&key) {
        Some(valid) => *valid,
        None => {
            let checked = CheckedReceipt { receipt: signed.clone(), signer };
            let verdict = receipt_side(client, market, trade, &checked)?;
            let valid = match verdict {
                Ok(false) => true,
                Ok(true) => {
                    log::warn!("meter {} is the seller's, not the buyer's", signed.meter);
                    false
                }
                Err(why) => {
                    log::warn!("{why}");
                    false
                }
            };
            state.checked.insert(key, valid);
            valid
        }
    };
    if !valid {
        return refuse(format!(
            "meter {} signed by {signer} is not the buyer's meter for this trade",
            signed.meter
        ));
    }
    let energy = trade.energy_wh.saturating_to::<u64>();
    Ok(Some((signed.cumulative_wh.saturating_to::<u64>().min(energy), signed)))
}

/// The seller's session puts the buyer's latest receipt on chain when it is above what the
/// chain holds for the buyer's side.
fn submit_counterpart(
    client: &RpcClient,
    market: Address,
    sender: &mut ChainSender<'_>,
    state: &ReceiptState<'_>,
    id: U256,
    out: &mut Output,
) -> Result<(), Failure> {
    let Some((wh, receipt)) = state.counterpart.as_ref() else { return Ok(()) };
    let trade = read_trade(client, market, id)?;
    if trade.status != 1 || U256::from(*wh) <= trade.buyer_wh {
        return Ok(());
    }
    let action = v2::Action::SubmitReceipts { receipts: vec![receipt.clone()] };
    let signed = sender.sign(market, &action)?;
    let receipt_record = sender.submit(signed)?;
    let success = receipt_record.status == "success";
    out.emit(&receipt_record)?;
    if success {
        log::info!("trade {id}: the buyer's receipt of {wh} Wh is on chain");
    } else {
        log::warn!(
            "trade {id}: submitting the buyer's receipt reverted: {}",
            receipt_record.revert_reason.as_deref().unwrap_or("no reason given")
        );
    }
    Ok(())
}

fn check_meter(
    client: &RpcClient,
    market: Address,
    meter: Address,
    trade: &TradeState,
    options: &DeliverOptions,
) -> Result<(), Failure> {
    let owner = meter_owner(client, market, meter)?;
    let party = match options.side {
        Side::Seller => trade.seller,
        Side::Buyer => trade.buyer,
    };
    if owner != party {
        let whose = if owner == Address::ZERO {
            "not registered".to_string()
        } else {
            format!("registered to {owner}")
        };
        return Err(DeliverError::WrongMeter {
            meter,
            whose,
            trade: options.trade_id,
            side: options.side.as_str(),
            party,
        }
        .into());
    }
    Ok(())
}

fn side_report(trade: &TradeState, side: Side) -> u64 {
    match side {
        Side::Seller => trade.seller_wh,
        Side::Buyer => trade.buyer_wh,
    }
    .saturating_to::<u64>()
}

#[allow(clippy::too_many_arguments)]
fn run_delivery(
    client: &RpcClient,
    market: Address,
    trade: &TradeState,
    source: &mut dyn ReadingSource,
    sender: &mut ChainSender<'_>,
    journal: &mut Journal,
    planner: &mut ReportPlanner,
    journaled_start: Option<u64>,
    energy_wh: u64,
    options: &DeliverOptions,
    mut receipts: Option<&mut ReceiptState<'_>>,
    out: &mut Output,
) -> Result<Option<Stop>, Failure> {
    let id = options.trade_id;
    let mut started = journaled_start.is_some();
    if let Some(start_mwh) = journaled_start {
        planner.set_start(start_mwh);
    }
    while !planner.is_done() {
        let Some(step) = source.next_step()? else { return Ok(Some(Stop::Interrupted)) };
        for alarm in step.alarms {
            out.emit(&alarm)?;
            if !options.ignore_alarms {
                journal.append(Entry::Alarm { code: alarm.code.clone(), message: alarm.message.clone() })?;
                return Ok(Some(Stop::Alarm(alarm)));
            }
            log::warn!("alarm {} ignored: {}", alarm.code, alarm.message);
        }
        let Some(reading) = step.reading else { continue };
        if !started {
            journal.append(Entry::Start {
                trade: id.to_string(),
                side: options.side.as_str().into(),
                meter: sender.sender.address().to_checksum(None),
                start_mwh: reading.energy_mwh,
                energy_wh,
            })?;
            planner.set_start(reading.energy_mwh);
            started = true;
        }
        let Some(plan) = planner.observe(&reading)? else { continue };
        if let Some(state) = receipts.as_deref_mut() {
            // Version 2: a receipt of this meter's own reading, journaled before it goes out.
            let mut record = sign_own_receipt(sender, state, market, id, plan.cumulative_wh)?;
            if let Some(to) = &state.mode.to {
                record.meta = Some(serde_json::json!({"to": to}));
            }
            let value = serde_json::to_value(crate::wire::Envelope::new(&record)).expect("records serialize");
            journal.append(Entry::Receipt { cumulative_wh: plan.cumulative_wh, record: value })?;
            out.emit(&record)?;
            log::info!("trade {id}: signed a receipt of {} of {energy_wh} Wh", plan.cumulative_wh);
            let stop = match options.side {
                Side::Seller => check_acknowledged(
                    client,
                    market,
                    trade,
                    state,
                    options,
                    plan.cumulative_wh,
                    Some(&reading),
                    journal,
                )?,
                Side::Buyer => {
                    check_foreign(client, market, options, plan.cumulative_wh, &reading, journal, out)?
                }
            };
            if stop.is_some() {
                return Ok(stop);
            }
            continue;
        }
        let action = Action::Report { trade_id: id, cumulative_wh: U256::from(plan.cumulative_wh) };
        let signed = sender.sign(market, &action)?;
        let hash = signed.hash.clone();
        journal.append(Entry::Report {
            cumulative_wh: plan.cumulative_wh,
            hash: hash.clone(),
            signed: as_record(&signed),
        })?;
        let receipt = sender.submit(signed)?;
        journal.append(Entry::Sent { hash, status: receipt.status.clone() })?;
        let reverted = receipt.status != "success";
        let reason = receipt.revert_reason.clone();
        out.emit(&receipt)?;
        if reverted {
            let reason = reason.unwrap_or_else(|| "no reason given".into());
            return Err(DeliverError::ReportReverted {
                trade: id,
                cumulative_wh: plan.cumulative_wh,
                reason,
            }
            .into());
        }
        log::info!("trade {id}: reported {} of {energy_wh} Wh", plan.cumulative_wh);
    }
    Ok(None)
}

/// Signs this meter's receipt of `cumulative_wh` (from its own reading; receipts never
/// decrease, the planner's figures only grow).
fn sign_own_receipt(
    sender: &mut ChainSender<'_>,
    state: &mut ReceiptState<'_>,
    market: Address,
    id: U256,
    cumulative_wh: u64,
) -> Result<DeliveryReceiptRecord, Failure> {
    let previous = state.own.as_ref().map_or(0, |(wh, _)| *wh);
    let request = ReceiptRequest {
        chain_id: state.mode.chain_id,
        market,
        receipt: v2::DeliveryReceipt {
            tradeId: id,
            meter: sender.sender.address(),
            cumulativeWh: U256::from(cumulative_wh.max(previous)),
        },
    };
    let record = sender.sender.sign_measured_receipt(&request)?;
    let (_, signed) = SignedReceipt::from_record(&record)?;
    state.largest_step = state.largest_step.max(cumulative_wh.saturating_sub(previous));
    state.own = Some((cumulative_wh.max(previous), signed));
    Ok(record)
}

/// The buyer's check after each receipt: the chain holding more for the buyer's side than
/// this journal ever signed means another key signs for its meter.
fn check_foreign(
    client: &RpcClient,
    market: Address,
    options: &DeliverOptions,
    signed_wh: u64,
    reading: &ReadingRecord,
    journal: &mut Journal,
    out: &mut Output,
) -> Result<Option<Stop>, Failure> {
    let trade = read_trade(client, market, options.trade_id)?;
    let on_chain = trade.buyer_wh.saturating_to::<u64>();
    if on_chain <= signed_wh {
        return Ok(None);
    }
    let alarm = AlarmRecord {
        code: "foreign_receipt".into(),
        device: reading.device.clone(),
        seq: reading.seq,
        time: reading.time.clone(),
        message: format!(
            "the chain holds {on_chain} Wh for the buyer's side of trade {}, but this meter signed only {signed_wh} Wh: another key signs for it (revoke the meter)",
            options.trade_id
        ),
        details: Some(serde_json::json!({"on_chain_wh": on_chain, "signed_wh": signed_wh})),
    };
    out.emit(&alarm)?;
    journal.append(Entry::Alarm { code: alarm.code.clone(), message: alarm.message.clone() })?;
    if options.ignore_alarms {
        log::warn!("alarm foreign_receipt ignored: {}", alarm.message);
        return Ok(None);
    }
    Ok(Some(Stop::Alarm(alarm)))
}

/// Settles the trade when it may: complete at once; an unfinished one after its deadline
/// (version 2: by the seller's account, or by anyone after the grace window). Waits up to
/// `settle_wait` for the other side to finish, then leaves the trade for its deadline —
/// except the seller's session on version 2, which waits (block by block, Ctrl-C stops it)
/// until it may settle with the buyer's latest receipt, and meanwhile puts every higher one
/// it reads on chain.
#[allow(clippy::too_many_arguments)]
fn settle(
    client: &RpcClient,
    market: Address,
    sender: &mut ChainSender<'_>,
    journal: &mut Journal,
    options: &DeliverOptions,
    energy_wh: u64,
    mut receipts: Option<&mut ReceiptState<'_>>,
    out: &mut Output,
) -> Result<Ending, Failure> {
    let id = options.trade_id;
    let waited = Instant::now();
    let mut announced = None;
    loop {
        let trade = read_trade(client, market, id)?;
        if trade.status == 2 {
            journal.append(Entry::Settled { hash: None })?;
            return Ok(Ending::Settled);
        }
        // The buyer's receipts keep coming after the seller's meter is done (the last
        // steps, over the link): each look may complete the trade.
        if let Some(state) = receipts.as_deref_mut()
            && options.side == Side::Seller
        {
            absorb_counterpart(client, market, &trade, state, id, journal)?;
        }
        let block = client.block_number().map_err(TradeError::from)?;
        let past_deadline = U256::from(block) > trade.deadline;
        // Version 2: this side's receipts count with the chain's figures, and an unfinished
        // trade is settled by a meter's session only after the grace window.
        let (action, complete, may_settle): (Box<dyn MarketCall>, bool, bool) = match receipts.as_deref() {
            None => {
                let complete = side_report(&trade, Side::Seller) >= energy_wh
                    && side_report(&trade, Side::Buyer) >= energy_wh;
                (Box::new(Action::Settle { trade_id: id }), complete, past_deadline)
            }
            Some(state) => {
                let (mut seller_wh, mut buyer_wh) =
                    (side_report(&trade, Side::Seller), side_report(&trade, Side::Buyer));
                let mut carried = Vec::new();
                let own_side_is_seller = options.side == Side::Seller;
                for (wh, receipt, seller_side) in [
                    state.own.as_ref().map(|(wh, r)| (*wh, r, own_side_is_seller)),
                    state.counterpart.as_ref().map(|(wh, r)| (*wh, r, false)),
                ]
                .into_iter()
                .flatten()
                {
                    let held = if seller_side { &mut seller_wh } else { &mut buyer_wh };
                    if wh.min(energy_wh) > *held {
                        *held = wh.min(energy_wh);
                        carried.push(receipt.clone());
                    }
                }
                let complete = seller_wh >= energy_wh && buyer_wh >= energy_wh;
                let after_grace =
                    U256::from(block) > trade.deadline.saturating_add(U256::from(state.mode.grace_blocks));
                let allowed = past_deadline && (sender.sender.address() == trade.seller || after_grace);
                let action: Box<dyn MarketCall> = if carried.is_empty() {
                    Box::new(v2::Action::Settle { trade_id: id })
                } else {
                    Box::new(v2::Action::SettleWithReceipts { trade_id: id, receipts: carried })
                };
                (action, complete, allowed)
            }
        };
        if complete || may_settle {
            let signed = sender.sign(market, action.as_ref())?;
            let hash = signed.hash.clone();
            let receipt = sender.submit(signed)?;
            let success = receipt.status == "success";
            out.emit(&receipt)?;
            if success {
                journal.append(Entry::Settled { hash: Some(hash) })?;
                return Ok(Ending::Settled);
            }
            // Someone else may have settled it in between; the next look tells.
            let reason = receipt.revert_reason.clone().unwrap_or_else(|| "no reason given".into());
            log::warn!("settle reverted: {reason}");
            if read_trade(client, market, id)?.status == 2 {
                journal.append(Entry::Settled { hash: None })?;
                return Ok(Ending::Settled);
            }
            return Err(DeliverError::SettleReverted { trade: id, reason }.into());
        }
        match receipts.as_deref() {
            Some(state) if options.side == Side::Seller => {
                // Not settling now, the buyer's latest receipt goes on chain at once: a
                // buyer settling after the grace window pays for what its meter signed.
                if state.fresh || announced.is_none() {
                    submit_counterpart(client, market, sender, state, id, out)?;
                }
                let grace = if sender.sender.address() == trade.seller {
                    U256::ZERO
                } else {
                    U256::from(state.mode.grace_blocks)
                };
                let from = trade.deadline.saturating_add(grace).saturating_add(U256::from(1));
                if announced != Some(from) {
                    let acknowledged = state.counterpart.as_ref().map_or(0, |(wh, _)| *wh);
                    log::warn!(
                        "trade {id}: unfinished ({acknowledged} of {energy_wh} Wh acknowledged by the buyer's meter); waiting until block {from} to settle it (deadline {} + grace {grace}; block {block} now). Ctrl-C stops; running again resumes",
                        trade.deadline
                    );
                    announced = Some(from);
                }
            }
            _ if waited.elapsed() >= options.settle_wait => {
                log::info!(
                    "trade {id}: waiting for the other meter, or the deadline at block {}",
                    trade.deadline
                );
                return Ok(Ending::LeftForDeadline);
            }
            _ => {}
        }
        if pause(options.poll) {
            log::warn!("trade {id}: interrupted while waiting to settle; running again resumes");
            return Ok(Ending::Interrupted);
        }
    }
}

/// Sleeps `period` in short slices; true when Ctrl-C or SIGTERM came meanwhile.
fn pause(period: Duration) -> bool {
    let until = Instant::now() + period;
    loop {
        if crate::interrupt::requested() {
            return true;
        }
        let now = Instant::now();
        if now >= until {
            return false;
        }
        std::thread::sleep((until - now).min(Duration::from_millis(50)));
    }
}

fn finish(
    client: &RpcClient,
    market: Address,
    id: U256,
    ending: Ending,
    out: &mut Output,
) -> Result<Ending, Failure> {
    let status = super::status_record(client, market, &super::Query::Trade(id))?;
    out.emit(&status)?;
    Ok(ending)
}

impl ReadingSource for crate::meter::session::Session {
    fn next_step(&mut self) -> Result<Option<Step>, Failure> {
        Ok(crate::meter::session::Session::next_step(self, &crate::interrupt::requested)?)
    }

    fn set_switch(&mut self, closed: bool) -> Result<(), Failure> {
        match self.switch_mut() {
            Some(switch) => switch.set_closed(closed).map_err(Failure::from),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_receipt_feed_reads_complete_lines_as_the_file_grows_and_skips_what_is_not_a_receipt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("link.ndjson");
        let mut feed = ReceiptFeed::new(path.clone());
        assert!(feed.poll().unwrap().is_empty(), "no file yet is no receipt");
        let record = |wh: u32| {
            serde_json::json!({"kind": "delivery_receipt", "v": 1, "chain_id": "31337", "market": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
                               "trade_id": "1", "meter": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "cumulative_wh": wh.to_string()})
            .to_string()
        };
        let mut file = std::fs::File::create(&path).unwrap();
        let first = record(10);
        // Half a line (the link is still writing it) is held back until its newline comes.
        file.write_all(&first.as_bytes()[..20]).unwrap();
        assert!(feed.poll().unwrap().is_empty());
        write!(file, "{}\n{{\"kind\":\"reading\",\"v\":1}}\nnot json\n{}\n", &first[20..], record(20))
            .unwrap();
        let got: Vec<String> = feed.poll().unwrap().into_iter().map(|r| r.cumulative_wh).collect();
        assert_eq!(got, ["10", "20"]);
        assert!(feed.poll().unwrap().is_empty(), "each line is read once");
    }
}
