//! `evlock-trade`: builds `tx` records for the EnergyMarket contract (deploy, register meters,
//! offer, buy, report, settle, cancel, withdraw) and reads its state and events.

use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Duration;

use alloy_primitives::{Address, U256};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::Value;

use super::common::{ClockKind, ConnectionArgs, connect, duration};
use crate::calibrate::Certificate;
use crate::cli::{GlobalArgs, InputArgs, Tool};
use crate::exit::{ExitCode, Failure};
use crate::keys::password::PasswordSource;
use crate::market::Action;
use crate::meter::DeviceUri;
use crate::meter::session::Session as MeterSession;
use crate::relay::{SubmitOptions, Submitter};
use crate::rpc::RpcClient;
use crate::signer::KeyUri;
use crate::signer::session::{Role, Session};
use crate::trade::deliver::{ChainSender, DeliverOptions, Ending, Side, deliver};
use crate::trade::journal::Journal;
use crate::trade::{
    ChainParams, Query, ReportPlanner, Reporting, TradeError, TxBuilder, Watcher, meter_owner, read_offer,
    read_trade, status_record,
};
use crate::units::{parse_amount, parse_blocks, parse_energy_wh, parse_price_per_wh};
use crate::wire::Output;
use crate::wire::{AlarmRecord, ReadingRecord};

const EXAMPLES: &str = "\
Examples:
  export EVLOCK_RPC_URL=http://127.0.0.1:8545 EVLOCK_MARKET=0x…   # the node and the market

  # A seller offers 500 Wh at 2 ston/Wh, open for 600 blocks
  evlock-trade offer --from $SELLER --energy 500Wh --price 2ston/Wh --expires-in 600blocks \\
    | evlock-sign --key seller.json | evlock-relay submit

  # A buyer buys it: the escrow (energy × price) is read from the offer
  evlock-trade buy --from $BUYER --offer 1 --max-price 2ston/Wh | evlock-sign --key buyer.json | evlock-relay submit

  # The seller's meter reports every 10 s while energy flows; the operator pays the gas
  evlock-sense --device sim:home --interval 1s \\
    | evlock-trade report --trade 1 --every 10s --from $METER --fee-payer $OPERATOR \\
    | evlock-sign --key meter.json | evlock-sign --role fee-payer --key operator.json | evlock-relay submit

  # Settle, then take the money out
  evlock-trade settle --trade 1 --from $SELLER | evlock-sign --key seller.json | evlock-relay submit
  evlock-trade withdraw --from $SELLER | evlock-sign --key seller.json | evlock-relay submit

  # A delivery session on the seller's board: relay, meter, reports, settle, all in one
  evlock-trade deliver --trade 1 --role seller --device 'modbus:/dev/ttyUSB0?profile=pzem004t' \
    --switch 'gpio:/dev/gpiochip0?line=17' --key meter.json --password-file meter.pw \
    --fee-payer-key operator.json --fee-payer-password-file operator.pw --every 60s

  # Read state and follow events
  evlock-trade status trade 1
  evlock-trade watch --from-block 0 --follow

  # Fully offline (no node): every transaction parameter from flags
  evlock-trade settle --trade 1 --contract 0x… --from $SELLER --chain-id 1001 --nonce 12 --gas-price 25ston --gas 150000

Transactions are `tx` records for evlock-sign; evlock-trade never holds a key. Missing nonce, gas
price, chain id and gas are asked of the node (--rpc): nonces count up across a stream from the
sender's pending count; gas is estimated with a 25 % margin (a call that would revert now gets a
fixed limit and a warning, and the chain decides).

`deliver` is the one command that signs and submits itself: it journals every step (fsynced)
before taking it, so a session killed mid-way, run again with the same journal, resumes above
what it already reported. It opens the relay whenever it stops, also on Ctrl-C or SIGTERM (then
exit 130; a second signal ends it at once).

Exit codes: 0 done; 1 the offer or trade does not exist, a meter alarm stopped a report stream
or a delivery, or a delivery's report reverted;
2 bad input or options; 4 the node could not be reached.";

/// Build EnergyMarket transactions and read the market's state and events.
///
/// Each command writes `tx` records (stdout) to pipe into `evlock-sign` and `evlock-relay
/// submit`; `status` writes `status` records and `watch` writes `event` records. Energy takes
/// Wh, kWh or MWh; amounts peb, ston or KAIA; prices e.g. `2ston/Wh` or `2000ston/kWh`.
#[derive(Debug, Parser)]
#[command(name = "evlock-trade", version, after_long_help = EXAMPLES, arg_required_else_help = true)]
pub struct Trade {
    #[command(flatten)]
    globals: GlobalArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
    #[command(flatten)]
    tx: TxArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Transaction")]
struct TxArgs {
    /// The EnergyMarket contract.
    #[arg(long, value_name = "ADDRESS", env = "EVLOCK_MARKET", global = true)]
    contract: Option<Address>,
    /// The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the
    /// key when left out, but then --nonce is needed).
    #[arg(long, value_name = "ADDRESS", env = "EVLOCK_FROM", global = true)]
    from: Option<Address>,
    /// The chain id (default: the node's).
    #[arg(long, value_name = "ID", global = true)]
    chain_id: Option<u64>,
    /// The first nonce (default: the sender's pending count); a stream counts up from it.
    #[arg(long, value_name = "N", global = true)]
    nonce: Option<u64>,
    /// The gas price, e.g. `25ston` (default: the node's).
    #[arg(long, value_name = "AMOUNT", value_parser = amount, global = true)]
    gas_price: Option<U256>,
    /// The gas limit of each transaction (default: estimated by the node, plus 25 %).
    #[arg(long, value_name = "N", global = true)]
    gas: Option<u64>,
    /// Make the transactions fee-delegated: this account pays the gas (it signs second,
    /// with `evlock-sign --role fee-payer`).
    #[arg(long, value_name = "ADDRESS", global = true)]
    fee_payer: Option<Address>,
    /// With --fee-payer: the share of the fee the fee payer pays, 1–99 %.
    #[arg(long, value_name = "PERCENT", requires = "fee_payer", value_parser = clap::value_parser!(u8).range(1..=99), global = true)]
    fee_ratio: Option<u8>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Deploy a market; the sender becomes its registrar.
    Deploy {
        /// Blocks a trade has for delivery, counted from the buy.
        #[arg(long, value_name = "BLOCKS", default_value = "600", value_parser = blocks)]
        delivery_blocks: u64,
    },
    /// Bind a commissioned meter to its owner (registrar only).
    RegisterMeter {
        /// The meter's account.
        #[arg(long, value_name = "ADDRESS")]
        meter: Address,
        /// The account that owns it (the seller or buyer it reports for).
        #[arg(long, value_name = "ADDRESS")]
        owner: Address,
    },
    /// Offer energy at a price per Wh.
    Offer {
        /// The energy, e.g. `500Wh`, `1.5kWh`.
        #[arg(long, value_name = "ENERGY", value_parser = energy)]
        energy: u64,
        /// The price per Wh (or per kWh), e.g. `2ston/Wh`.
        #[arg(long, value_name = "PRICE", value_parser = price)]
        price: U256,
        /// How long the offer stays open, from the current block.
        #[arg(long, value_name = "BLOCKS", default_value = "600", value_parser = blocks, conflicts_with = "expiry_block")]
        expires_in: u64,
        /// The last block it can be bought at (instead of --expires-in; needed offline).
        #[arg(long, value_name = "BLOCK")]
        expiry_block: Option<u64>,
    },
    /// Buy an offer, escrowing exactly energy × price.
    Buy {
        /// The offer.
        #[arg(long, value_name = "ID")]
        offer: U256,
        /// The highest price per Wh you accept (protects against a changed offer; default:
        /// the offer's price as read now).
        #[arg(long, value_name = "PRICE", value_parser = price)]
        max_price: Option<U256>,
        /// The escrow to send (default: energy × price read from the offer; needed offline).
        #[arg(long, value_name = "AMOUNT", value_parser = amount)]
        escrow: Option<U256>,
    },
    /// Report the Wh delivered: once with --wh, or as a stream from `reading` records on stdin.
    Report(ReportArgs),
    /// Settle a trade: both meters reported the whole energy, or its deadline passed.
    Settle {
        /// The trade.
        #[arg(long, value_name = "ID")]
        trade: U256,
    },
    /// Cancel an offer nobody bought (the seller only).
    Cancel {
        /// The offer.
        #[arg(long, value_name = "ID")]
        offer: U256,
    },
    /// Withdraw everything the market owes the sender.
    Withdraw,
    /// Read an offer, a trade, an account's credit or its balance (a `status` record).
    Status {
        /// What to read.
        what: StatusWhat,
        /// The offer or trade id, or the account address.
        id: String,
    },
    /// Write the market's events as `event` records, from a block on.
    Watch(WatchArgs),
    /// Run a delivery: close the relay, meter, report, stop on an alarm or when delivered,
    /// then settle (signs and submits itself; journaled so a killed session resumes).
    Deliver(Box<DeliverArgs>),
    /// Serve the operator's console: a live web page of the market and the meters.
    #[command(after_long_help = super::trade_serve::EXAMPLES)]
    Serve(Box<super::trade_serve::ServeArgs>),
}

#[derive(Debug, Args)]
struct DeliverArgs {
    /// The trade.
    #[arg(long, value_name = "ID")]
    trade: U256,
    /// Which side's meter this is.
    #[arg(long, value_enum)]
    role: Side,
    /// The meter, e.g. `modbus:/dev/ttyUSB0?profile=pzem004t` or `sim:home`.
    #[arg(long, value_name = "URI")]
    device: String,
    /// The relay that connects the battery or load, closed while delivering.
    #[arg(long, value_name = "URI")]
    switch: Option<String>,
    /// The meter's calibration certificate: its correction and register baseline apply.
    #[arg(long, value_name = "FILE")]
    certificate: Option<PathBuf>,
    /// Refuse the certificate unless this address signed it.
    #[arg(long, value_name = "ADDRESS", requires = "certificate")]
    technician: Option<String>,
    /// The meter's key (a keystore path, `keystore:PATH` or `optee:ID`): it signs the reports.
    #[arg(long, value_name = "KEY")]
    key: String,
    /// The meter key's password file.
    #[arg(long, value_name = "FILE", env = "EVLOCK_PASSWORD_FILE", hide_env_values = true)]
    password_file: Option<PathBuf>,
    /// An operator key that pays the gas (fee delegation), signing second.
    #[arg(long, value_name = "KEY")]
    fee_payer_key: Option<String>,
    /// The fee payer key's password file.
    #[arg(long, value_name = "FILE", requires = "fee_payer_key")]
    fee_payer_password_file: Option<PathBuf>,
    /// Never prompt for a password.
    #[arg(long)]
    no_input: bool,
    /// How often to report: a time (`60s`) or an energy step (`50Wh`).
    #[arg(long, value_name = "TIME|ENERGY", default_value = "60s")]
    every: Reporting,
    /// The time between two meter readings.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = duration)]
    interval: Duration,
    /// The clock pacing the readings (`virtual` for the simulator: no sleeping).
    #[arg(long, value_enum, default_value_t = ClockKind::Wall)]
    clock: ClockKind,
    /// The journal (default: `evlock-deliver-TRADE-ROLE.ndjson` in the current folder).
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// After delivering, wait this long for the other meter to finish so the trade settles
    /// complete; after that it is left for its deadline.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = duration)]
    settle_wait: Duration,
    /// Keep delivering through meter alarms (they are still written).
    #[arg(long)]
    ignore_alarms: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StatusWhat {
    /// An offer by id.
    Offer,
    /// A trade by id.
    Trade,
    /// An account's trading credit.
    Credit,
    /// What an account can withdraw, and its balance.
    Balance,
}

#[derive(Debug, Args)]
struct ReportArgs {
    #[command(flatten)]
    input: InputArgs,
    /// The trade.
    #[arg(long, value_name = "ID")]
    trade: U256,
    /// Report this cumulative value once, instead of reading a stream.
    #[arg(long, value_name = "ENERGY", value_parser = energy, conflicts_with_all = ["every", "energy", "start_mwh"])]
    wh: Option<u64>,
    /// How often to report from the stream: a time (`10s`, by the readings' clocks) or an
    /// energy step (`50Wh`). The last report, at the trade's energy, is always sent.
    #[arg(long, value_name = "TIME|ENERGY", default_value = "10s")]
    every: Reporting,
    /// The trade's energy (default: read from the trade; needed offline).
    #[arg(long, value_name = "ENERGY", value_parser = energy)]
    energy: Option<u64>,
    /// The meter's energy total (mWh) when the trade started (default: the first reading).
    #[arg(long, value_name = "MWH")]
    start_mwh: Option<u64>,
    /// Keep reporting after an `alarm` record (by default an alarm stops the stream, exit 1).
    #[arg(long)]
    ignore_alarms: bool,
}

#[derive(Debug, Args)]
struct WatchArgs {
    /// The first block to read (default: with --follow, the next block, so only new events;
    /// without, block 0, the whole history).
    #[arg(long, value_name = "BLOCK")]
    from_block: Option<u64>,
    /// The last block to read (default: the head, or forever with --follow).
    #[arg(long, value_name = "BLOCK")]
    to_block: Option<u64>,
    /// Keep following new blocks.
    #[arg(long)]
    follow: bool,
    /// How often to look for new blocks when following.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = duration)]
    poll: Duration,
}

fn amount(text: &str) -> Result<U256, String> {
    parse_amount(text).map_err(|e| e.to_string())
}
fn price(text: &str) -> Result<U256, String> {
    parse_price_per_wh(text).map_err(|e| e.to_string())
}
fn energy(text: &str) -> Result<u64, String> {
    parse_energy_wh(text).map_err(|e| e.to_string())
}
fn blocks(text: &str) -> Result<u64, String> {
    parse_blocks(text).map_err(|e| e.to_string())
}

impl Tool for Trade {
    const NAME: &'static str = "evlock-trade";

    fn globals(&self) -> &GlobalArgs {
        &self.globals
    }

    fn run(self, out: &mut Output) -> Result<ExitCode, Failure> {
        let Some(command) = self.command else {
            return Err(Failure::usage("a command is needed (see --help)"));
        };
        let client = if self.connection.rpc.iter().any(|url| !url.trim().is_empty()) {
            Some(connect(&self.connection)?)
        } else {
            None
        };
        let params = ChainParams {
            chain_id: self.tx.chain_id,
            nonce: self.tx.nonce,
            gas_price: self.tx.gas_price,
            gas: self.tx.gas,
            from: self.tx.from,
            fee_payer: self.tx.fee_payer,
            fee_ratio: self.tx.fee_ratio,
        };
        let market = self.tx.contract;
        let builder_params = params.clone();
        let mut builder = TxBuilder::new(client.as_ref(), params);
        let needs_node = |what: &str| {
            Failure::usage(format!("{what} reads the chain: give --rpc URL or set EVLOCK_RPC_URL"))
        };
        let needs_market = || Failure::usage("no market: give --contract ADDRESS or set EVLOCK_MARKET");
        let action = match command {
            Command::Deploy { delivery_blocks } => {
                if delivery_blocks == 0 || delivery_blocks > u64::from(u32::MAX) * 256 {
                    return Err(Failure::usage("--delivery-blocks must be between 1 and 2^40 - 1"));
                }
                Action::Deploy { delivery_blocks }
            }
            Command::RegisterMeter { meter, owner } => Action::RegisterMeter { meter, owner },
            Command::Offer { energy, price, expires_in, expiry_block } => {
                let expiry_block = match (expiry_block, client.as_ref()) {
                    (Some(block), _) => block,
                    (None, Some(client)) => {
                        client.block_number().map_err(TradeError::from)?.saturating_add(expires_in)
                    }
                    (None, None) => {
                        return Err(Failure::usage(
                            "--expires-in counts from the current block: give --rpc, or --expiry-block offline",
                        ));
                    }
                };
                Action::Offer {
                    energy_wh: U256::from(energy),
                    price_per_wh: price,
                    expiry_block: U256::from(expiry_block),
                }
            }
            Command::Buy { offer, max_price, escrow } => {
                buy(client.as_ref(), market, offer, max_price, escrow)?
            }
            Command::Report(args) => {
                let market = market.ok_or_else(needs_market)?;
                return report(&mut builder, market, args, out);
            }
            Command::Settle { trade } => Action::Settle { trade_id: trade },
            Command::Cancel { offer } => Action::Cancel { offer_id: offer },
            Command::Withdraw => Action::Withdraw,
            Command::Status { what, id } => {
                let client = client.as_ref().ok_or_else(|| needs_node("status"))?;
                let market = market.ok_or_else(needs_market)?;
                let query = query(what, &id)?;
                out.emit(&status_record(client, market, &query)?)?;
                return Ok(ExitCode::Success);
            }
            Command::Watch(args) => {
                let client = client.as_ref().ok_or_else(|| needs_node("watch"))?;
                let market = market.ok_or_else(needs_market)?;
                return watch(client, market, args, out);
            }
            Command::Deliver(args) => {
                let client = client.as_ref().ok_or_else(|| needs_node("deliver"))?;
                let market = market.ok_or_else(needs_market)?;
                return run_deliver(client, market, builder_params, *args, out);
            }
            Command::Serve(args) => {
                let market = market.ok_or_else(needs_market)?;
                return super::trade_serve::run(
                    connect(&self.connection)?,
                    market,
                    builder_params,
                    *args,
                    out,
                );
            }
        };
        if !matches!(action, Action::Deploy { .. }) && market.is_none() {
            return Err(needs_market());
        }
        out.emit(&builder.build(market, &action, None)?)?;
        Ok(ExitCode::Success)
    }
}

fn query(what: StatusWhat, id: &str) -> Result<Query, Failure> {
    let number = || {
        U256::from_str_radix(id, 10)
            .map_err(|_| Failure::usage(format!("{id:?} is not an offer or trade id (a decimal number)")))
    };
    let account =
        || id.parse::<Address>().map_err(|e| Failure::usage(format!("{id:?} is not an address: {e}")));
    Ok(match what {
        StatusWhat::Offer => Query::Offer(number()?),
        StatusWhat::Trade => Query::Trade(number()?),
        StatusWhat::Credit => Query::Credit(account()?),
        StatusWhat::Balance => Query::Balance(account()?),
    })
}

fn buy(
    client: Option<&RpcClient>,
    market: Option<Address>,
    offer_id: U256,
    max_price: Option<U256>,
    escrow: Option<U256>,
) -> Result<Action, Failure> {
    if let (Some(max_price_per_wh), Some(escrow)) = (max_price, escrow) {
        return Ok(Action::Buy { offer_id, max_price_per_wh, escrow });
    }
    let Some(client) = client else {
        return Err(Failure::usage(
            "buy reads the offer for its escrow and price: give --rpc, or --escrow and --max-price offline",
        ));
    };
    let market =
        market.ok_or_else(|| Failure::usage("no market: give --contract ADDRESS or set EVLOCK_MARKET"))?;
    match read_offer(client, market, offer_id) {
        Ok(offer) => {
            let max_price_per_wh = max_price.unwrap_or(offer.price_per_wh);
            if offer.price_per_wh > max_price_per_wh {
                log::warn!(
                    "offer {offer_id} asks {} peb/Wh, above --max-price {max_price_per_wh}: the buy will revert",
                    offer.price_per_wh
                );
            }
            Ok(Action::Buy { offer_id, max_price_per_wh, escrow: escrow.unwrap_or(offer.escrow()) })
        }
        // The chain gives the authoritative refusal (and its reason) when the transaction runs.
        Err(TradeError::NotFound { .. }) => {
            log::warn!("offer {offer_id} does not exist on {market}: the buy will revert");
            Ok(Action::Buy {
                offer_id,
                max_price_per_wh: max_price.unwrap_or_default(),
                escrow: escrow.unwrap_or_default(),
            })
        }
        Err(other) => Err(other.into()),
    }
}

/// What a report stream's input line can be.
#[derive(serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum ReportInput {
    Reading(Box<ReadingRecord>),
    Alarm(AlarmRecord),
}

fn report(
    builder: &mut TxBuilder<'_>,
    market: Address,
    args: ReportArgs,
    out: &mut Output,
) -> Result<ExitCode, Failure> {
    let trade_id = args.trade;
    if let Some(wh) = args.wh {
        let action = Action::Report { trade_id, cumulative_wh: U256::from(wh) };
        out.emit(&builder.build(Some(market), &action, None)?)?;
        return Ok(ExitCode::Success);
    }
    // The trade's energy caps the reports; what this side already reported is not sent again.
    let (energy_wh, reported_wh) = match (args.energy, builder.client()) {
        (Some(energy), None) => (energy, 0),
        (energy, Some(client)) => {
            let trade = read_trade(client, market, trade_id)?;
            let energy = energy.unwrap_or_else(|| trade.energy_wh.saturating_to::<u64>());
            let reported = match builder.from() {
                Some(meter) => {
                    let owner = meter_owner(client, market, meter)?;
                    if owner == trade.seller {
                        trade.seller_wh.saturating_to::<u64>()
                    } else if owner == trade.buyer {
                        trade.buyer_wh.saturating_to::<u64>()
                    } else {
                        log::warn!(
                            "meter {meter} is not registered to trade {trade_id}'s seller or buyer: its reports will revert"
                        );
                        0
                    }
                }
                None => 0,
            };
            (energy, reported)
        }
        (None, None) => {
            return Err(Failure::usage(
                "a report stream needs the trade's energy: give --rpc, or --energy offline",
            ));
        }
    };
    let mut planner = ReportPlanner::new(energy_wh, args.every).resuming(reported_wh);
    if let Some(start) = args.start_mwh {
        planner = planner.starting_at(start);
    }
    if planner.is_done() {
        log::info!("trade {trade_id}: {reported_wh} Wh already reported, the whole energy");
        return Ok(ExitCode::Success);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        log::warn!("reading `reading` records from the terminal; end with Ctrl-D");
    }
    let mut stopped_by: Option<AlarmRecord> = None;
    // The stream ends once the whole energy is reported or an alarm stops it: a meter stream
    // (`evlock-sense` without --count) never ends by itself.
    let outcome = args.input.stream(stdin.lock()).run_until(out, |input: Value, _line, out| {
        let meta = input.get("meta").cloned();
        match serde_json::from_value::<ReportInput>(input) {
            Ok(ReportInput::Reading(reading)) => {
                if let Some(plan) = planner.observe(&reading)? {
                    let action = Action::Report { trade_id, cumulative_wh: U256::from(plan.cumulative_wh) };
                    out.emit(&builder.build(Some(market), &action, meta)?)?;
                    log::info!("trade {trade_id}: reported {} Wh of {energy_wh}", plan.cumulative_wh);
                }
                Ok(if planner.is_done() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
            }
            Ok(ReportInput::Alarm(alarm)) if args.ignore_alarms => {
                log::warn!("meter alarm {} ignored: {}", alarm.code, alarm.message);
                Ok(ControlFlow::Continue(()))
            }
            Ok(ReportInput::Alarm(alarm)) => {
                log::error!("meter alarm {}: {}; reporting stops", alarm.code, alarm.message);
                stopped_by = Some(alarm);
                Ok(ControlFlow::Break(()))
            }
            Err(e) => {
                Err(Failure::from(TradeError::BadReading(format!("not a reading or alarm record: {e}"))))
            }
        }
    })?;
    if let Some(alarm) = stopped_by {
        return Err(TradeError::Alarm { code: alarm.code, message: alarm.message }.into());
    }
    if outcome.exit == ExitCode::Success
        && let Some(plan) = planner.finish()
    {
        let action = Action::Report { trade_id, cumulative_wh: U256::from(plan.cumulative_wh) };
        out.emit(&builder.build(Some(market), &action, None)?)?;
        log::info!("trade {trade_id}: input ended; reported {} Wh of {energy_wh}", plan.cumulative_wh);
    }
    Ok(outcome.exit)
}

fn watch(
    client: &RpcClient,
    market: Address,
    args: WatchArgs,
    out: &mut Output,
) -> Result<ExitCode, Failure> {
    let from = match (args.from_block, args.follow) {
        (Some(block), _) => block,
        (None, true) => client.block_number().map_err(TradeError::from)? + 1,
        (None, false) => 0,
    };
    let mut watcher = Watcher::new(client, market, from);
    loop {
        for event in watcher.poll(args.to_block)? {
            out.emit(&event)?;
        }
        let finished = args.to_block.is_some_and(|last| watcher.next_block() > last);
        if !args.follow || finished {
            return Ok(ExitCode::Success);
        }
        std::thread::sleep(args.poll);
    }
}

fn run_deliver(
    client: &RpcClient,
    market: Address,
    mut params: ChainParams,
    args: DeliverArgs,
    out: &mut Output,
) -> Result<ExitCode, Failure> {
    // Everything that can fail on its own is checked before a key is unlocked or a relay moves.
    let device: DeviceUri = args.device.parse()?;
    let switch: Option<DeviceUri> = args.switch.as_deref().map(str::parse).transpose()?;
    let certificate = args
        .certificate
        .as_deref()
        .map(|path| Certificate::load_verified(path, args.technician.as_deref()))
        .transpose()?;
    let key: KeyUri = args.key.parse()?;
    let payer_key: Option<KeyUri> = args.fee_payer_key.as_deref().map(str::parse).transpose()?;
    let journal_path = args.journal.clone().unwrap_or_else(|| {
        PathBuf::from(format!("evlock-deliver-{}-{}.ndjson", args.trade, args.side_name()))
    });
    let mut journal = Journal::open(&journal_path)?;

    let password =
        PasswordSource { file: args.password_file.clone(), no_input: args.no_input, flag: "--password-file" };
    let sender = Session::new(key.open(&password)?, Role::Sender, None, None, None);
    let fee_payer = match &payer_key {
        Some(uri) => {
            let password = PasswordSource {
                file: args.fee_payer_password_file.clone(),
                no_input: args.no_input,
                flag: "--fee-payer-password-file",
            };
            Some(Session::new(uri.open(&password)?, Role::FeePayer, None, None, None))
        }
        None => None,
    };
    if params.from.is_some_and(|from| from != sender.address()) {
        log::warn!("--from is ignored: the reports come from the key's account {}", sender.address());
    }
    params.from = Some(sender.address());
    params.nonce = None;
    params.fee_payer = fee_payer.as_ref().map(Session::address).or(params.fee_payer);
    if params.fee_payer.is_some() && fee_payer.is_none() {
        return Err(Failure::usage("deliver signs and submits itself: a fee payer needs --fee-payer-key"));
    }
    let clock = args.clock.into();
    let meter = crate::meter::open_meter(&device)?;
    let switch = switch.as_ref().map(crate::meter::open_switch).transpose()?;
    let mut sampler = MeterSession::open(
        &device,
        meter,
        switch,
        certificate.as_ref().map(Certificate::calibration).as_ref(),
        clock,
        args.interval,
        10,
        |_| {},
    );
    let mut chain = ChainSender {
        builder: TxBuilder::new(Some(client), params),
        sender,
        fee_payer,
        submitter: Submitter::new(
            client,
            SubmitOptions { poll: Duration::from_millis(250), ..SubmitOptions::default() },
        ),
    };
    let options = DeliverOptions {
        trade_id: args.trade,
        side: args.role,
        every: args.every,
        settle_wait: args.settle_wait,
        poll: Duration::from_secs(1),
        ignore_alarms: args.ignore_alarms,
    };
    crate::interrupt::install();
    let ending = deliver(client, market, &mut sampler, &mut chain, &mut journal, &options, out)?;
    Ok(match ending {
        Ending::Settled | Ending::LeftForDeadline => ExitCode::Success,
        Ending::Alarm => ExitCode::No,
        Ending::Interrupted => ExitCode::Interrupted,
    })
}

impl DeliverArgs {
    fn side_name(&self) -> &'static str {
        self.role.as_str()
    }
}
