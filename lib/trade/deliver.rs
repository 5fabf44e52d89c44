//! A delivery session (`evlock-trade deliver`): close the relay, read the meter, report every
//! so often, stop and open the relay on an alarm or when the energy is delivered, then settle
//! the trade or leave it for its deadline. Every step is journaled first, so a killed session
//! resumes without reporting twice.

use std::time::{Duration, Instant};

use alloy_primitives::{Address, U256};
use serde_json::Value;

use super::journal::{Entry, Journal};
use super::{ReportPlanner, Reporting, TradeError, TradeState, TxBuilder, meter_owner, read_trade};
use crate::exit::{ErrorClass, ExitCode, Failure};
use crate::market::Action;
use crate::meter::session::Step;
use crate::relay::{Submission, Submitter};
use crate::rpc::RpcClient;
use crate::signer::session::Session;
use crate::wire::Output;
use crate::wire::{AlarmRecord, ReceiptRecord, SignedTxRecord};

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
            DeliverError::JournaledReport { .. } => ExitCode::Usage,
            DeliverError::WrongMeter { .. }
            | DeliverError::ReportReverted { .. }
            | DeliverError::SettleReverted { .. } => ExitCode::No,
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            DeliverError::JournaledReport { .. } => "journal_corrupt",
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
    fn sign(&mut self, market: Address, action: &Action) -> Result<SignedTxRecord, Failure> {
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
    Interrupted,
}

/// Runs a delivery session to its end. Writes `alarm` and `receipt` records to `out`, and
/// finally a `status` record of the trade.
pub fn deliver(
    client: &RpcClient,
    market: Address,
    source: &mut dyn ReadingSource,
    sender: &mut ChainSender<'_>,
    journal: &mut Journal,
    options: &DeliverOptions,
    out: &mut Output,
) -> Result<Ending, Failure> {
    let id = options.trade_id;
    let side = options.side.as_str();
    let trade = read_trade(client, market, id)?;
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
    let already = on_chain.max(journal.reported_wh());
    let mut planner = ReportPlanner::new(energy_wh, options.every).resuming(already);
    let mut stopped = None;
    if !planner.is_done() {
        log::info!(
            "trade {id}: delivering as the {side}'s meter {meter}; {already} of {energy_wh} Wh reported"
        );
        source.set_switch(true)?;
        let result =
            run_delivery(market, source, sender, journal, &mut planner, journaled, energy_wh, options, out);
        // Whatever happened, the relay is opened: no energy flows unpaid.
        let opened = source.set_switch(false);
        stopped = result?;
        opened?;
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
        None => {}
    }
    if planner.is_done() && !journal.entries().iter().any(|e| matches!(e, Entry::Delivered)) {
        journal.append(Entry::Delivered)?;
    }
    let ending = settle(client, market, sender, journal, options, energy_wh, out)?;
    finish(client, market, id, ending, out)
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
    market: Address,
    source: &mut dyn ReadingSource,
    sender: &mut ChainSender<'_>,
    journal: &mut Journal,
    planner: &mut ReportPlanner,
    journaled_start: Option<u64>,
    energy_wh: u64,
    options: &DeliverOptions,
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

fn settle(
    client: &RpcClient,
    market: Address,
    sender: &mut ChainSender<'_>,
    journal: &mut Journal,
    options: &DeliverOptions,
    energy_wh: u64,
    out: &mut Output,
) -> Result<Ending, Failure> {
    let id = options.trade_id;
    let waited = Instant::now();
    loop {
        let trade = read_trade(client, market, id)?;
        if trade.status == 2 {
            journal.append(Entry::Settled { hash: None })?;
            return Ok(Ending::Settled);
        }
        let complete =
            side_report(&trade, Side::Seller) >= energy_wh && side_report(&trade, Side::Buyer) >= energy_wh;
        let block = client.block_number().map_err(TradeError::from)?;
        if complete || U256::from(block) > trade.deadline {
            let signed = sender.sign(market, &Action::Settle { trade_id: id })?;
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
        if waited.elapsed() >= options.settle_wait {
            log::info!(
                "trade {id}: delivered; waiting for the other meter's reports, or the deadline at block {}",
                trade.deadline
            );
            return Ok(Ending::LeftForDeadline);
        }
        std::thread::sleep(options.poll);
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
