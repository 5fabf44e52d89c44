//! `evlock-trade`: builds `tx` records for the EnergyMarket contract (deploy, register meters,
//! offer, buy, report, settle, cancel, withdraw; on version 2 also meter consent, revocation
//! and signing addresses, the registrar hand-over, and signed delivery receipts) and reads its
//! state and events.

use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Duration;

use alloy_primitives::{Address, U256};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::Value;

use super::common::{ConnectionArgs, KeyArgs, MeterArgs, connect, duration};
use crate::calibrate::Certificate;
use crate::cli::docs::{command_help, tool_help};
use crate::cli::{GlobalArgs, InputArgs, Tool};
use crate::exit::{ExitCode, Failure};
use crate::market::v2::Action as V2;
use crate::market::{Action, MarketCall};
use crate::meter::DeviceUri;
use crate::meter::session::Session as MeterSession;
use crate::relay::{SubmitOptions, Submitter};
use crate::rpc::RpcClient;
use crate::signer::KeyUri;
use crate::signer::session::{Role, Session};
use crate::trade::deliver::{ChainSender, DeliverOptions, Ending, ReceiptFeed, ReceiptMode, Side, deliver};
use crate::trade::journal::Journal;
use crate::trade::receipts::{ReceiptBook, latest_per_side, receipt_side};
use crate::trade::{
    ChainParams, MarketVersion, Query, ReportPlanner, Reporting, TradeError, TxBuilder, TxFamily, Watcher,
    meter_owner, read_offer, read_trade, status_record,
};
use crate::units::{parse_amount, parse_blocks, parse_energy_wh, parse_price_per_wh, require_unit};
use crate::wire::Output;
use crate::wire::{AlarmRecord, DeliveryReceiptRecord, ReadingRecord, address_arg};

const EXAMPLES: &str = r#"
# The node and the market, for every command below
export EVLOCK_RPC_URL=http://127.0.0.1:8551/ EVLOCK_MARKET=0x…

# A seller offers 500 Wh at 2 ston/Wh, open for 600 blocks
evlock-trade offer --from "$SELLER" --energy 500Wh --price 2ston/Wh \
  --expires-in 600blocks \
  | evlock-sign --key seller.json | evlock-relay submit

# A buyer buys it: the escrow (energy × price) is read from the offer
evlock-trade buy --from "$BUYER" --offer 1 --max-price 2ston/Wh \
  | evlock-sign --key buyer.json | evlock-relay submit

# The seller's meter reports every 10 s while energy flows; the operator
# pays the gas
evlock-sense --device sim:home --interval 1s \
  | evlock-trade report --trade 1 --every 10s --from "$METER" \
      --fee-payer "$OPERATOR" \
  | evlock-sign --key meter.json \
  | evlock-sign --role fee-payer --key operator.json | evlock-relay submit

# Settle, then take the money out
evlock-trade settle --trade 1 --from "$SELLER" \
  | evlock-sign --key seller.json | evlock-relay submit
evlock-trade withdraw --from "$SELLER" \
  | evlock-sign --key seller.json | evlock-relay submit

# Read state and follow events
evlock-trade status trade 1
evlock-trade watch --follow

# Version 2: the registrar proposes a meter, its owner accepts it
evlock-trade deploy --market-version 2 --from "$OPERATOR" \
  | evlock-sign --key operator.json | evlock-relay submit
evlock-trade meter propose --meter "$METER" --owner "$SELLER" \
    --from "$OPERATOR" | evlock-sign --key operator.json \
  | evlock-relay submit
evlock-trade meter accept --meter "$METER" --from "$SELLER" \
  | evlock-sign --key seller.json | evlock-relay submit

# Version 2: settle with each side's latest signed receipt
cat receipts.ndjson | evlock-trade receipts settle --trade 1 \
    --from "$SELLER" | evlock-sign --key seller.json | evlock-relay submit

# The market on any EVM chain (an Ethereum node, anvil, a fork): EIP-1559
evlock-trade deploy --tx-type eip1559 --rpc "$ETH_RPC_URL" \
    --from "$OPERATOR" | evlock-sign --key operator.json \
  | evlock-relay submit --rpc "$ETH_RPC_URL"
"#;

const NOTES: &str = "\
Transactions are `tx` records for evlock-sign; evlock-trade never holds a key. Missing nonce, gas
price, chain id and gas are asked of the node (--rpc): nonces count up across a stream from the
sender's pending count; gas is estimated with a 25 % margin (a call that would revert now gets a
fixed limit and a warning, and the chain decides). --tx-type picks the types: Kaia's
smart-contract types by default (fee delegation with --fee-payer), or legacy / eip1559, which any
EVM chain takes.

Energy takes Wh, kWh or MWh, amounts peb, ston or KAIA, prices a unit per Wh, kWh or MWh
(`2ston/Wh`), expiries blocks (`600blocks`): a bare number is refused, so a price is never
taken in peb by mistake.

`deliver` is the one command that signs and submits itself: it journals every step (fsynced)
before taking it, so a session killed mid-way, run again with the same journal, resumes above
what it already reported. It opens the relay whenever it stops, also on Ctrl-C or SIGTERM (then
exit 130; a second signal ends it at once). On a version 2 market it signs a receipt of its own
meter's reading at each step instead of reporting (journaled, then written to stdout); the
seller's session also watches the buyer's receipts (--counterpart-receipts) and stops with an
alarm (`counterparty_silent`, `divergence`) when they fall behind by more than
--max-unacknowledged, puts the buyer's last receipt on chain and settles with both. A trade
left unfinished the seller's session settles as soon as the contract lets it (after the
deadline for the seller's account, else after the grace window): it waits for that block,
saying which, and Ctrl-C stops the wait (running again resumes). A version 2 seller without
--counterpart-receipts is refused unless --unprotected says so.

Version 2 markets (contracts/EnergyMarketV2.sol) are told apart by asking the node (they answer
graceBlocks()); offline, or to insist, give --market-version. `meter`, `registrar` and `receipts`
are version 2's; `register-meter` is version 1's (version 2 binds a meter with its owner's
consent).

Exit 1 means the offer or trade does not exist, a meter alarm stopped a report stream or a
delivery, or a delivery's report reverted.";

const DEPLOY_EXAMPLES: &str = r#"
# A market whose trades get 600 blocks for delivery; the sender is registrar
evlock-trade deploy --from "$OPERATOR" --delivery-blocks 600 \
  | evlock-sign --key operator.json | evlock-relay submit
"#;

const REGISTER_METER_EXAMPLES: &str = r#"
# Bind a commissioned meter's account to the seller it reports for
evlock-trade register-meter --from "$OPERATOR" --meter "$METER" \
  --owner "$SELLER" | evlock-sign --key operator.json | evlock-relay submit
"#;

const OFFER_EXAMPLES: &str = r#"
# 1.5 kWh at 2000 ston/kWh, open for the next 600 blocks
evlock-trade offer --from "$SELLER" --energy 1.5kWh --price 2000ston/kWh \
  --expires-in 600blocks \
  | evlock-sign --key seller.json | evlock-relay submit

# Offline: every transaction parameter from flags
evlock-trade offer --from "$SELLER" --energy 500Wh --price 2ston/Wh \
  --expiry-block 9000 --chain-id 1001 --nonce 12 --gas-price 25ston \
  --gas 250000 --contract 0x…
"#;

const BUY_EXAMPLES: &str = r#"
# Buy offer 1, refusing a price above 2 ston/Wh
evlock-trade buy --from "$BUYER" --offer 1 --max-price 2ston/Wh \
  | evlock-sign --key buyer.json | evlock-relay submit
"#;

const REPORT_EXAMPLES: &str = r#"
# A meter's readings become reports every 50 Wh, gas paid by the operator
evlock-sense --device sim:home --switch sim:home \
  | evlock-trade report --trade 1 --every 50Wh --from "$METER" \
      --fee-payer "$OPERATOR" \
  | evlock-sign --key meter.json \
  | evlock-sign --role fee-payer --key operator.json | evlock-relay submit

# One report of a cumulative value
evlock-trade report --trade 1 --wh 250 --from "$METER" \
  | evlock-sign --key meter.json | evlock-relay submit
"#;

const SETTLE_EXAMPLES: &str = r#"
# Pay the seller for what both meters reported (or, after the deadline, for
# what they agree on)
evlock-trade settle --trade 1 --from "$SELLER" \
  | evlock-sign --key seller.json | evlock-relay submit
"#;

const CANCEL_EXAMPLES: &str = r#"
# Withdraw an offer nobody bought
evlock-trade cancel --offer 2 --from "$SELLER" \
  | evlock-sign --key seller.json | evlock-relay submit
"#;

const WITHDRAW_EXAMPLES: &str = r#"
# Everything the market owes the seller, to the seller's account
evlock-trade withdraw --from "$SELLER" \
  | evlock-sign --key seller.json | evlock-relay submit
"#;

const STATUS_EXAMPLES: &str = r#"
# A trade: its reports, what was delivered, its state
evlock-trade status trade 1

# What an account can withdraw, and its balance
evlock-trade status balance "$SELLER"
"#;

const WATCH_EXAMPLES: &str = r#"
# The whole history, then every new event as it is mined
evlock-trade watch --from-block 0 --follow

# From the head block on
evlock-trade watch --from-block latest --follow
"#;

const DELIVER_EXAMPLES: &str = r#"
# The seller's board: relay, meter, reports, settle, all in one
evlock-trade deliver --trade 1 --role seller \
  --device 'modbus:/dev/ttyUSB0?profile=pzem004t' \
  --switch 'gpio:/dev/gpiochip0?line=17' --certificate meter-cert.json \
  --key meter.json --password-file meter.pw --fee-payer-key operator.json \
  --fee-payer-password-file operator.pw --every 60s

# A simulated delivery on the virtual clock (over in a moment)
evlock-trade deliver --trade 1 --role buyer --device sim:buyer \
  --switch sim:buyer --clock virtual --every 10Wh --key meter.json \
  --password-file pw.txt

# Version 2, the buyer's board: its meter's receipts go over the link,
# addressed to the seller's box (listen --route passes them on)
evlock-trade deliver --trade 1 --role buyer --device sim:buyer \
  --switch sim:buyer --every 1Wh --key meter.json --password-file pw.txt \
  --receipts-to meter-17 \
  | evlock-relay connect --to operator.example:7443 \
  --ca ca.pem --cert meter-18.pem --key meter-18.key --spool spool \
  --exit-on-eof

# Version 2, the seller's board: its link writes the buyer's receipts to
# inbox.ndjson; its relay opens when they fall more than one step behind
evlock-relay connect --to operator.example:7443 --ca ca.pem \
  --cert meter-17.pem --key meter-17.key --spool spool \
  < /dev/null > inbox.ndjson &
evlock-trade deliver --trade 1 --role seller --device sim:seller \
  --switch sim:seller --every 1Wh --key meter.json \
  --password-file pw.txt --counterpart-receipts inbox.ndjson

# Version 2, a seller on a test bench that does not watch the buyer
evlock-trade deliver --trade 1 --role seller --device sim:seller \
  --switch sim:seller --clock virtual --every 10Wh --key meter.json \
  --password-file pw.txt --unprotected
"#;

/// Build EnergyMarket transactions and read the market's state and events.
///
/// Each command writes `tx` records (stdout) to pipe into `evlock-sign` and `evlock-relay
/// submit`; `status` writes `status` records and `watch` writes `event` records. Energy takes
/// Wh, kWh or MWh; amounts peb, ston or KAIA; prices e.g. `2ston/Wh` or `2000ston/kWh`.
#[derive(Debug, Parser)]
#[command(
    name = "evlock-trade",
    version,
    after_long_help = tool_help(EXAMPLES, NOTES),
    arg_required_else_help = true
)]
pub struct Trade {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    market: MarketArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
    #[command(flatten)]
    globals: GlobalArgs,
}

/// The market every command works on.
#[derive(Debug, Args)]
#[command(next_help_heading = "Market")]
struct MarketArgs {
    /// The EnergyMarket contract.
    #[arg(long, value_name = "ADDRESS", env = "EVLOCK_MARKET", value_parser = address_arg, global = true)]
    contract: Option<Address>,
    /// The contract's version: `auto` asks the node (offline: 1, or 2 for the commands only
    /// version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy`
    /// deploys this version (auto: 1).
    #[arg(long, value_enum, value_name = "VERSION", env = "EVLOCK_MARKET_VERSION", default_value_t = VersionArg::Auto, global = true)]
    market_version: VersionArg,
}

/// `--market-version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum VersionArg {
    /// Ask the node.
    Auto,
    /// contracts/EnergyMarket.sol.
    #[value(name = "1")]
    V1,
    /// contracts/EnergyMarketV2.sol (signed delivery receipts).
    #[value(name = "2")]
    V2,
}

/// How a transaction is built: only the commands that write `tx` records take these.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Transaction")]
pub(crate) struct TxArgs {
    /// The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the
    /// key when left out, but then --nonce is needed).
    #[arg(long, value_name = "ADDRESS", env = "EVLOCK_FROM", value_parser = address_arg)]
    from: Option<Address>,
    /// The first nonce (default: the sender's pending count); a stream counts up from it.
    #[arg(long, value_name = "N")]
    nonce: Option<u64>,
    /// Make the transactions fee-delegated: this account pays the gas (it signs second,
    /// with `evlock-sign --role fee-payer`). Only with --tx-type kaia.
    #[arg(long, value_name = "ADDRESS", value_parser = address_arg)]
    fee_payer: Option<Address>,
    /// With --fee-payer: the share of the fee the fee payer pays, 1–99 %.
    #[arg(long, value_name = "PERCENT", requires = "fee_payer", value_parser = clap::value_parser!(u8).range(1..=99))]
    fee_ratio: Option<u8>,
    #[command(flatten)]
    chain: GasArgs,
}

/// The chain and the gas of a transaction (what `deliver`, which signs for itself, also takes).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Transaction")]
struct GasArgs {
    /// The transaction types: Kaia's smart-contract types (`kaia`, fee delegation possible),
    /// or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks).
    #[arg(long, value_enum, value_name = "TYPE", env = "EVLOCK_TX_TYPE", default_value_t = TxFamily::Kaia)]
    tx_type: TxFamily,
    /// The chain id (default: the node's).
    #[arg(long, value_name = "ID")]
    chain_id: Option<u64>,
    /// The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node's gas
    /// price; twice it for eip1559).
    #[arg(long, value_name = "AMOUNT", value_parser = amount)]
    gas_price: Option<U256>,
    /// With eip1559: the max priority fee (tip) per gas (default: the node's
    /// `eth_maxPriorityFeePerGas`).
    #[arg(long, value_name = "AMOUNT", value_parser = amount)]
    priority_fee: Option<U256>,
    /// The gas limit of each transaction (default: estimated by the node, plus 25 %).
    #[arg(long, value_name = "N")]
    gas: Option<u64>,
}

impl TxArgs {
    pub(crate) fn params(&self) -> ChainParams {
        ChainParams {
            from: self.from,
            nonce: self.nonce,
            fee_payer: self.fee_payer,
            fee_ratio: self.fee_ratio,
            ..self.chain.params()
        }
    }
}

impl GasArgs {
    fn params(&self) -> ChainParams {
        ChainParams {
            tx_type: self.tx_type,
            chain_id: self.chain_id,
            nonce: None,
            gas_price: self.gas_price,
            priority_fee: self.priority_fee,
            gas: self.gas,
            from: None,
            fee_payer: None,
            fee_ratio: None,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Deploy a market; the sender becomes its registrar.
    #[command(after_long_help = command_help(DEPLOY_EXAMPLES, ""))]
    Deploy {
        /// Blocks a trade has for delivery, counted from the buy (the contract keeps 1 to
        /// 2^40 - 256).
        #[arg(long, value_name = "BLOCKS", default_value = "600", value_parser = clap::value_parser!(u64).range(1..=u64::from(u32::MAX) * 256))]
        delivery_blocks: u64,
        /// Version 2: blocks after a trade's deadline in which only its seller may settle it
        /// unfinished (time for the seller's side to put the buyer's latest receipt on chain).
        #[arg(long, value_name = "BLOCKS", value_parser = clap::value_parser!(u64).range(0..=u64::from(u32::MAX)))]
        grace_blocks: Option<u64>,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Bind a commissioned meter to its owner (registrar only).
    #[command(after_long_help = command_help(REGISTER_METER_EXAMPLES, ""))]
    RegisterMeter {
        /// The meter's account.
        #[arg(long, value_name = "ADDRESS", value_parser = address_arg)]
        meter: Address,
        /// The account that owns it (the seller or buyer it reports for).
        #[arg(long, value_name = "ADDRESS", value_parser = address_arg)]
        owner: Address,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Offer energy at a price per Wh.
    #[command(after_long_help = command_help(OFFER_EXAMPLES, ""))]
    Offer {
        /// The energy, e.g. `500Wh`, `1.5kWh`.
        #[arg(long, value_name = "ENERGY", value_parser = energy)]
        energy: u64,
        /// The price per Wh (or per kWh), e.g. `2ston/Wh`.
        #[arg(long, value_name = "PRICE", value_parser = price)]
        price: U256,
        /// How long the offer stays open, from the current block, e.g. `600blocks`.
        #[arg(long, value_name = "BLOCKS", default_value = "600blocks", value_parser = blocks, conflicts_with = "expiry_block")]
        expires_in: u64,
        /// The last block it can be bought at (instead of --expires-in; needed offline).
        #[arg(long, value_name = "BLOCK")]
        expiry_block: Option<u64>,
        /// Version 2: the lowest trading credit a buyer needs (default: none).
        #[arg(long, value_name = "CREDIT", allow_hyphen_values = true)]
        min_buyer_credit: Option<i64>,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Buy an offer, escrowing exactly energy × price.
    #[command(after_long_help = command_help(BUY_EXAMPLES, ""))]
    Buy {
        /// The offer.
        #[arg(long, value_name = "ID")]
        offer: U256,
        /// The highest price per Wh you accept (protects against a changed offer; default:
        /// the offer's price as read now).
        #[arg(long, value_name = "PRICE", value_parser = price)]
        max_price: Option<U256>,
        /// The escrow to send, e.g. `1000ston` (default: energy × price read from the offer;
        /// needed offline).
        #[arg(long, value_name = "AMOUNT", value_parser = amount)]
        escrow: Option<U256>,
        /// Version 2: the lowest trading credit the seller must have (default: none).
        #[arg(long, value_name = "CREDIT", allow_hyphen_values = true)]
        min_seller_credit: Option<i64>,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Report the Wh delivered: once with --wh, or as a stream from `reading` records on stdin.
    #[command(after_long_help = command_help(REPORT_EXAMPLES, ""))]
    Report(ReportArgs),
    /// Settle a trade: both meters reported the whole energy, or its deadline passed.
    #[command(after_long_help = command_help(SETTLE_EXAMPLES, ""))]
    Settle {
        /// The trade.
        #[arg(long, value_name = "ID")]
        trade: U256,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Cancel an offer nobody bought (the seller only).
    #[command(after_long_help = command_help(CANCEL_EXAMPLES, ""))]
    Cancel {
        /// The offer.
        #[arg(long, value_name = "ID")]
        offer: U256,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Withdraw everything the market owes the sender.
    #[command(after_long_help = command_help(WITHDRAW_EXAMPLES, ""))]
    Withdraw {
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Version 2: bind a meter with its owner's consent, revoke it, set its signing address.
    #[command(subcommand, after_long_help = command_help(METER_EXAMPLES, ""))]
    Meter(MeterCommand),
    /// Version 2: hand the registrar role over (propose, then accept).
    #[command(subcommand, after_long_help = command_help(REGISTRAR_EXAMPLES, ""))]
    Registrar(RegistrarCommand),
    /// Version 2: put signed `delivery_receipt` records (stdin) on chain, or settle with them.
    #[command(subcommand, after_long_help = command_help(RECEIPTS_EXAMPLES, ""))]
    Receipts(ReceiptsCommand),
    /// Read an offer, a trade, a meter, an account's credit or its balance (a `status` record).
    #[command(after_long_help = command_help(STATUS_EXAMPLES, ""))]
    Status {
        /// What to read.
        what: StatusWhat,
        /// The offer or trade id, or the account address.
        id: String,
    },
    /// Write the market's events as `event` records, from a block on.
    #[command(after_long_help = command_help(WATCH_EXAMPLES, ""))]
    Watch(WatchArgs),
    /// Run a delivery: close the relay, meter, report (version 2: sign receipts), stop on an
    /// alarm or when delivered, then settle (signs and submits itself; journaled so a killed
    /// session resumes).
    #[command(after_long_help = command_help(DELIVER_EXAMPLES, ""))]
    Deliver(Box<DeliverArgs>),
    /// Serve the operator's console: a live web page of the market and the meters.
    #[command(after_long_help = command_help(super::trade_serve::EXAMPLES, super::trade_serve::NOTES))]
    Serve(Box<super::trade_serve::ServeArgs>),
}

const METER_EXAMPLES: &str = r#"
# The registrar proposes the seller's meter; the seller accepts it
evlock-trade meter propose --meter "$METER" --owner "$SELLER" \
    --from "$OPERATOR" | evlock-sign --key operator.json \
  | evlock-relay submit
evlock-trade meter accept --meter "$METER" --from "$SELLER" \
  | evlock-sign --key seller.json | evlock-relay submit

# Its state, signing address and last trade
evlock-trade status meter "$METER"
"#;

const REGISTRAR_EXAMPLES: &str = r#"
# Hand the registrar role to $NEXT: propose, then accept
evlock-trade registrar propose --registrar "$NEXT" --from "$OPERATOR" \
  | evlock-sign --key operator.json | evlock-relay submit
evlock-trade registrar accept --from "$NEXT" \
  | evlock-sign --key next.json | evlock-relay submit
"#;

const RECEIPTS_EXAMPLES: &str = r#"
# Put the receipts on chain now; settle with them at the end
cat receipts.ndjson | evlock-trade receipts submit --from "$SELLER" \
  | evlock-sign --key seller.json | evlock-relay submit
cat receipts.ndjson | evlock-trade receipts settle --trade 1 \
    --from "$SELLER" | evlock-sign --key seller.json \
  | evlock-relay submit
"#;

const METER_PROPOSE_EXAMPLES: &str = r#"
# The registrar vouches for a commissioned meter of the seller
evlock-trade meter propose --meter "$METER" --owner "$SELLER" \
    --from "$OPERATOR" | evlock-sign --key operator.json \
  | evlock-relay submit
"#;

const METER_ACCEPT_EXAMPLES: &str = r#"
# The seller accepts the meter proposed for it: from now on it counts
evlock-trade meter accept --meter "$METER" --from "$SELLER" \
  | evlock-sign --key seller.json | evlock-relay submit
"#;

const METER_REVOKE_EXAMPLES: &str = r#"
# The owner (or the registrar) revokes a meter whose key is suspect
evlock-trade meter revoke --meter "$METER" --from "$SELLER" \
  | evlock-sign --key seller.json | evlock-relay submit
"#;

const METER_SET_SIGNER_EXAMPLES: &str = r#"
# After rotating the meter account's key: its receipts are signed by the
# new key's address
evlock-trade meter set-signer --meter "$METER" --signer "$NEW_KEY" \
    --from "$SELLER" | evlock-sign --key seller.json \
  | evlock-relay submit
"#;

const REGISTRAR_PROPOSE_EXAMPLES: &str = r#"
# The registrar offers its role to another account
evlock-trade registrar propose --registrar "$NEXT" --from "$OPERATOR" \
  | evlock-sign --key operator.json | evlock-relay submit
"#;

const REGISTRAR_ACCEPT_EXAMPLES: &str = r#"
# The proposed account takes the role
evlock-trade registrar accept --from "$NEXT" \
  | evlock-sign --key next.json | evlock-relay submit
"#;

const RECEIPTS_SUBMIT_EXAMPLES: &str = r#"
# Put the latest receipt of every meter on chain (anyone may)
cat receipts.ndjson | evlock-trade receipts submit --from "$SELLER" \
  | evlock-sign --key seller.json | evlock-relay submit
"#;

const RECEIPTS_SETTLE_EXAMPLES: &str = r#"
# One transaction: each side's latest receipt, then the settlement
cat receipts.ndjson | evlock-trade receipts settle --trade 1 \
    --from "$SELLER" | evlock-sign --key seller.json \
  | evlock-relay submit
"#;

/// Version 2's meter binding.
#[derive(Debug, Subcommand)]
enum MeterCommand {
    /// Propose a commissioned meter for its owner (registrar only); it counts once accepted.
    #[command(after_long_help = command_help(METER_PROPOSE_EXAMPLES, ""))]
    Propose {
        /// The meter's account.
        #[arg(long, value_name = "ADDRESS", value_parser = address_arg)]
        meter: Address,
        /// The account it is proposed for.
        #[arg(long, value_name = "ADDRESS", value_parser = address_arg)]
        owner: Address,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Accept a meter proposed for the sender.
    #[command(after_long_help = command_help(METER_ACCEPT_EXAMPLES, ""))]
    Accept {
        /// The meter's account.
        #[arg(long, value_name = "ADDRESS", value_parser = address_arg)]
        meter: Address,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Revoke a meter (its owner or the registrar): trades opened later refuse it, open ones
    /// keep its receipts.
    #[command(after_long_help = command_help(METER_REVOKE_EXAMPLES, ""))]
    Revoke {
        /// The meter's account.
        #[arg(long, value_name = "ADDRESS", value_parser = address_arg)]
        meter: Address,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Set the address a meter's receipts are signed by (its owner only), e.g. after the
    /// meter account's key was rotated.
    #[command(after_long_help = command_help(METER_SET_SIGNER_EXAMPLES, ""))]
    SetSigner {
        /// The meter's account.
        #[arg(long, value_name = "ADDRESS", value_parser = address_arg)]
        meter: Address,
        /// The new signing key's address (the meter's own address again: its account key).
        #[arg(long, value_name = "ADDRESS", value_parser = address_arg)]
        signer: Address,
        #[command(flatten)]
        tx: TxArgs,
    },
}

/// Version 2's registrar hand-over.
#[derive(Debug, Subcommand)]
enum RegistrarCommand {
    /// Offer the registrar role to an account (registrar only; the zero address withdraws).
    #[command(after_long_help = command_help(REGISTRAR_PROPOSE_EXAMPLES, ""))]
    Propose {
        /// The proposed registrar.
        #[arg(long, value_name = "ADDRESS", value_parser = address_arg)]
        registrar: Address,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Take the registrar role offered to the sender.
    #[command(after_long_help = command_help(REGISTRAR_ACCEPT_EXAMPLES, ""))]
    Accept {
        #[command(flatten)]
        tx: TxArgs,
    },
}

/// Version 2's signed delivery receipts, read as `delivery_receipt` records from stdin.
#[derive(Debug, Subcommand)]
enum ReceiptsCommand {
    /// One `submitReceipts` transaction with the latest receipt of every meter and trade
    /// (with a node: only those the contract takes and that raise a side's figure).
    #[command(after_long_help = command_help(RECEIPTS_SUBMIT_EXAMPLES, ""))]
    Submit {
        #[command(flatten)]
        tx: TxArgs,
        #[command(flatten)]
        input: InputArgs,
    },
    /// One `settleWithReceipts` transaction: the trade's latest receipt of each side, then the
    /// settlement (receipts of other trades are left out).
    #[command(after_long_help = command_help(RECEIPTS_SETTLE_EXAMPLES, ""))]
    Settle {
        /// The trade.
        #[arg(long, value_name = "ID")]
        trade: U256,
        #[command(flatten)]
        tx: TxArgs,
        #[command(flatten)]
        input: InputArgs,
    },
}

#[derive(Debug, Args)]
struct DeliverArgs {
    /// The trade.
    #[arg(long, value_name = "ID")]
    trade: U256,
    /// Which side's meter this is.
    #[arg(long, value_enum)]
    role: Side,
    /// How often to report: a time (`60s`) or an energy step (`50Wh`).
    #[arg(long, value_name = "TIME|ENERGY", default_value = "60s")]
    every: Reporting,
    /// The journal (default: `evlock-deliver-TRADE-ROLE.ndjson` in the current folder).
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// After delivering, wait this long for the other meter to finish so the trade settles
    /// complete; after that it is left for its deadline. (A version 2 seller waits until it
    /// may settle, complete or not.)
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = duration)]
    settle_wait: Duration,
    /// Keep delivering through meter alarms (they are still written).
    #[arg(long)]
    ignore_alarms: bool,
    /// Version 2, the seller: the buyer meter's `delivery_receipt` records, a file the link
    /// appends to; the relay stays closed only while they keep up with the delivery.
    #[arg(long, value_name = "FILE")]
    counterpart_receipts: Option<PathBuf>,
    /// Version 2, the seller: deliver without --counterpart-receipts, the relay closed
    /// whatever the buyer's meter acknowledges (a buyer gone quiet then pays only for what
    /// reached the chain). Without either flag a version 2 seller is refused (exit 2).
    #[arg(long, conflicts_with_all = ["counterpart_receipts", "max_unacknowledged"])]
    unprotected: bool,
    /// Version 2: the link peer (the other side's meter) this session's receipts are for,
    /// set as their `meta.to` so the operator↔meter link routes them there.
    #[arg(long, value_name = "PEER")]
    receipts_to: Option<String>,
    /// Version 2, the seller: how far what the buyer acknowledged may trail what was
    /// delivered, e.g. `10Wh` (default: one reporting step).
    #[arg(long, value_name = "ENERGY", value_parser = energy)]
    max_unacknowledged: Option<u64>,
    // The meter's key signs the reports.
    #[command(flatten)]
    key: KeyArgs,
    /// An operator key that pays the gas (fee delegation), signing second.
    #[arg(long, value_name = "URI", help_heading = "Key")]
    fee_payer_key: Option<String>,
    /// The fee payer key's password file.
    #[arg(long, value_name = "FILE", requires = "fee_payer_key", help_heading = "Key")]
    fee_payer_password_file: Option<PathBuf>,
    /// The fee payer token's PIN file, when --fee-payer-key is a `pkcs11:` key.
    #[arg(long, value_name = "FILE", requires = "fee_payer_key", help_heading = "Key")]
    fee_payer_pin_file: Option<PathBuf>,
    // The meter, closed in by its relay while delivering.
    #[command(flatten)]
    meter: MeterArgs,
    #[command(flatten)]
    chain: GasArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StatusWhat {
    /// An offer by id.
    Offer,
    /// A trade by id.
    Trade,
    /// A meter by address: owner, state (version 2: signing address, last trade).
    Meter,
    /// An account's trading credit.
    Credit,
    /// What an account can withdraw, and its balance.
    Balance,
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// The trade.
    #[arg(long, value_name = "ID")]
    trade: U256,
    /// Report this cumulative value once (in Wh, or with a unit: `1.5kWh`), instead of
    /// reading a stream.
    #[arg(long, value_name = "WH", value_parser = wh, conflicts_with_all = ["every", "energy", "start_mwh"])]
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
    #[command(flatten)]
    tx: TxArgs,
    #[command(flatten)]
    input: InputArgs,
}

#[derive(Debug, Args)]
struct WatchArgs {
    /// The first block to read: a number, or `latest` for the head block (default: with
    /// --follow, the next block, so only new events; without, block 0, the whole history).
    #[arg(long, value_name = "BLOCK|latest", value_parser = from_block)]
    from_block: Option<FromBlock>,
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

/// Where `watch` starts.
#[derive(Debug, Clone, Copy)]
enum FromBlock {
    /// A block number.
    Number(u64),
    /// The head block when the command starts.
    Latest,
}

fn from_block(text: &str) -> Result<FromBlock, String> {
    match text {
        "latest" => Ok(FromBlock::Latest),
        _ => text
            .parse()
            .map(FromBlock::Number)
            .map_err(|_| format!("{text:?} is not a block number or `latest`")),
    }
}

// A bare number is refused for an amount, a price, an energy or an expiry: the unit says
// what was meant (a price in peb instead of ston is off by 10^9).
fn amount(text: &str) -> Result<U256, String> {
    require_unit(text, "25ston").and_then(|()| parse_amount(text)).map_err(|e| e.to_string())
}
fn price(text: &str) -> Result<U256, String> {
    parse_price_per_wh(text).map_err(|e| e.to_string())
}
fn energy(text: &str) -> Result<u64, String> {
    parse_energy_wh(text).map_err(|e| e.to_string())
}
/// `--wh` names its unit: a bare number is Wh.
fn wh(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(wh) => Ok(wh),
        Err(_) => parse_energy_wh(text).map_err(|e| e.to_string()),
    }
}
fn blocks(text: &str) -> Result<u64, String> {
    parse_blocks(text).map_err(|e| e.to_string())
}

impl Tool for Trade {
    const NAME: &'static str = "evlock-trade";
    const SEE_ALSO: &'static [&'static str] =
        &["evlock-sign", "evlock-relay", "evlock-sense", "evlock-devnet", "evlock-calibrate"];

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
        let market = self.market.contract;
        let needs_node = |what: &str| {
            Failure::usage(format!("{what} reads the chain: give --rpc URL or set EVLOCK_RPC_URL"))
        };
        let needs_market = || Failure::usage("no market: give --contract ADDRESS or set EVLOCK_MARKET");
        // With a node to ask, a wrong --contract is caught before anything is built for it,
        // and the node tells the market's version.
        let detected = match (client.as_ref(), market) {
            (Some(client), Some(market)) if !matches!(command, Command::Deploy { .. }) => {
                Some(crate::trade::check_market(client, market)?)
            }
            _ => None,
        };
        let version = match (self.market.market_version, detected) {
            (VersionArg::V1, Some(MarketVersion::V2)) | (VersionArg::V2, Some(MarketVersion::V1)) => {
                let (found, needs) =
                    if self.market.market_version == VersionArg::V1 { (2, 1) } else { (1, 2) };
                return Err(TradeError::WrongVersion {
                    contract: market.map(|m| m.to_checksum(None)).unwrap_or_default(),
                    found,
                    command: "--market-version",
                    needs,
                    hint: "",
                }
                .into());
            }
            (_, Some(found)) => found,
            (VersionArg::V1, None) => MarketVersion::V1,
            (VersionArg::V2, None) => MarketVersion::V2,
            (VersionArg::Auto, None) => match command {
                Command::Meter(_) | Command::Registrar(_) | Command::Receipts(_) => MarketVersion::V2,
                _ => MarketVersion::V1,
            },
        };
        let needs = |command: &'static str, needs: MarketVersion, hint: &'static str| {
            if version == needs {
                return Ok(());
            }
            Err(Failure::from(TradeError::WrongVersion {
                contract: market.map(|m| m.to_checksum(None)).unwrap_or_else(|| "the market".into()),
                found: version.number(),
                command,
                needs: needs.number(),
                hint,
            }))
        };
        let v2 = version == MarketVersion::V2;
        let (tx, action): (TxArgs, Box<dyn MarketCall>) = match command {
            Command::Deploy { delivery_blocks, grace_blocks, tx } => {
                if !v2 {
                    if grace_blocks.is_some() {
                        return Err(Failure::usage(
                            "--grace-blocks is version 2's: deploy with --market-version 2",
                        ));
                    }
                    (tx, Box::new(Action::Deploy { delivery_blocks }))
                } else {
                    if delivery_blocks > u64::from(u32::MAX) {
                        return Err(Failure::usage(format!(
                            "--delivery-blocks {delivery_blocks}: version 2 keeps 1 to {} blocks",
                            u32::MAX
                        )));
                    }
                    let grace_blocks = grace_blocks.unwrap_or(DEFAULT_GRACE_BLOCKS);
                    (tx, Box::new(V2::Deploy { delivery_blocks, grace_blocks }))
                }
            }
            Command::RegisterMeter { meter, owner, tx } => {
                needs(
                    "register-meter",
                    MarketVersion::V1,
                    " (version 2 binds a meter with consent: `meter propose`, then `meter accept` by its owner)",
                )?;
                (tx, Box::new(Action::RegisterMeter { meter, owner }))
            }
            Command::Offer { energy, price, expires_in, expiry_block, min_buyer_credit, tx } => {
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
                let (energy_wh, price_per_wh, expiry_block) =
                    (U256::from(energy), price, U256::from(expiry_block));
                if v2 {
                    let min_buyer_credit = min_buyer_credit.unwrap_or(i64::MIN);
                    (tx, Box::new(V2::Offer { energy_wh, price_per_wh, expiry_block, min_buyer_credit }))
                } else {
                    if min_buyer_credit.is_some() {
                        needs("--min-buyer-credit", MarketVersion::V2, "")?;
                    }
                    (tx, Box::new(Action::Offer { energy_wh, price_per_wh, expiry_block }))
                }
            }
            Command::Buy { offer, max_price, escrow, min_seller_credit, tx } => {
                let action = buy(client.as_ref(), market, offer, max_price, escrow)?;
                match (v2, action) {
                    (true, Action::Buy { offer_id, max_price_per_wh, escrow }) => {
                        let min_seller_credit = min_seller_credit.unwrap_or(i64::MIN);
                        (tx, Box::new(V2::Buy { offer_id, max_price_per_wh, min_seller_credit, escrow }))
                    }
                    (_, action) => {
                        if min_seller_credit.is_some() {
                            needs("--min-seller-credit", MarketVersion::V2, "")?;
                        }
                        (tx, Box::new(action))
                    }
                }
            }
            Command::Report(args) => {
                let market = market.ok_or_else(needs_market)?;
                let mut builder = TxBuilder::new(client.as_ref(), args.tx.params());
                return report(&mut builder, market, args, out);
            }
            Command::Settle { trade, tx } if v2 => (tx, Box::new(V2::Settle { trade_id: trade })),
            Command::Settle { trade, tx } => (tx, Box::new(Action::Settle { trade_id: trade })),
            Command::Cancel { offer, tx } if v2 => (tx, Box::new(V2::Cancel { offer_id: offer })),
            Command::Cancel { offer, tx } => (tx, Box::new(Action::Cancel { offer_id: offer })),
            Command::Withdraw { tx } if v2 => (tx, Box::new(V2::Withdraw)),
            Command::Withdraw { tx } => (tx, Box::new(Action::Withdraw)),
            Command::Meter(command) => {
                let (name, tx, action) = match command {
                    MeterCommand::Propose { meter, owner, tx } => {
                        ("meter propose", tx, V2::ProposeMeter { meter, owner })
                    }
                    MeterCommand::Accept { meter, tx } => ("meter accept", tx, V2::AcceptMeter { meter }),
                    MeterCommand::Revoke { meter, tx } => ("meter revoke", tx, V2::RevokeMeter { meter }),
                    MeterCommand::SetSigner { meter, signer, tx } => {
                        ("meter set-signer", tx, V2::SetMeterSigner { meter, signer })
                    }
                };
                needs(name, MarketVersion::V2, "")?;
                (tx, Box::new(action))
            }
            Command::Registrar(command) => {
                let (name, tx, action) = match command {
                    RegistrarCommand::Propose { registrar, tx } => {
                        ("registrar propose", tx, V2::ProposeRegistrar { registrar })
                    }
                    RegistrarCommand::Accept { tx } => ("registrar accept", tx, V2::AcceptRegistrar),
                };
                needs(name, MarketVersion::V2, "")?;
                (tx, Box::new(action))
            }
            Command::Receipts(command) => {
                let name = match command {
                    ReceiptsCommand::Submit { .. } => "receipts submit",
                    ReceiptsCommand::Settle { .. } => "receipts settle",
                };
                needs(name, MarketVersion::V2, "")?;
                let market = market.ok_or_else(needs_market)?;
                return receipts(client.as_ref(), market, command, out);
            }
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
                return run_deliver(client, market, *args, out);
            }
            Command::Serve(args) => {
                let market = market.ok_or_else(needs_market)?;
                let params = args.tx.params();
                return super::trade_serve::run(connect(&self.connection)?, market, params, *args, out);
            }
        };
        if !action.is_deploy() && market.is_none() {
            return Err(needs_market());
        }
        let mut builder = TxBuilder::new(client.as_ref(), tx.params());
        out.emit(&builder.build(market, action.as_ref(), None)?)?;
        Ok(ExitCode::Success)
    }
}

/// Version 2's grace window when `deploy --grace-blocks` is not given: about as long as a
/// seller's session needs to notice the deadline and put a receipt on chain, with margin.
const DEFAULT_GRACE_BLOCKS: u64 = 100;

/// `receipts submit` and `receipts settle`: the receipt records of stdin, reduced to what the
/// transaction needs, as one `tx` record.
fn receipts(
    client: Option<&RpcClient>,
    market: Address,
    command: ReceiptsCommand,
    out: &mut Output,
) -> Result<ExitCode, Failure> {
    let (tx, input, trade) = match command {
        ReceiptsCommand::Submit { tx, input } => (tx, input, None),
        ReceiptsCommand::Settle { trade, tx, input } => (tx, input, Some(trade)),
    };
    let params = tx.params();
    let chain_id = match (params.chain_id, client) {
        (Some(id), _) => id,
        (None, Some(client)) => client.chain_id().map_err(TradeError::from)?,
        (None, None) => return Err(TradeError::Missing { what: "chain id", flag: "--chain-id" }.into()),
    };
    let mut book = ReceiptBook::new(market, chain_id);
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        log::warn!("reading `delivery_receipt` records from the terminal; end with Ctrl-D");
    }
    let on_error = input.on_error;
    let outcome = input.stream(stdin.lock()).run(out, |record: Value, _line, _out| {
        if let Value::Object(map) = &record {
            crate::wire::check_record(map, &["delivery_receipt"])?;
        }
        let record: DeliveryReceiptRecord = serde_json::from_value(record).map_err(|e| {
            Failure::from(TradeError::Receipt(crate::market::v2::ReceiptError::Field {
                field: "record",
                reason: e.to_string(),
            }))
        })?;
        book.add(&record)?;
        Ok(())
    })?;
    if outcome.exit != ExitCode::Success {
        // A bad record stops the command before anything is built (--on-error stop); one that
        // went on past bad records builds from the good ones, and ends with the code it met.
        if on_error == crate::wire::OnError::Stop {
            return Ok(outcome.exit);
        }
        log::warn!("{} input record(s) were refused", outcome.failed);
    }
    let mut builder = TxBuilder::new(client, params);
    let action = match trade {
        None => {
            let mut chosen = Vec::new();
            for receipt in book.all() {
                let Some(client) = client else {
                    chosen.push(receipt.receipt);
                    continue;
                };
                let trade = read_trade(client, market, receipt.receipt.trade_id)?;
                let held = match receipt_side(client, market, &trade, &receipt)? {
                    Ok(true) => trade.seller_wh,
                    Ok(false) => trade.buyer_wh,
                    Err(why) => {
                        log::warn!(
                            "receipt of {} Wh for trade {} left out: {why} (the contract would refuse it)",
                            receipt.receipt.cumulative_wh,
                            receipt.receipt.trade_id
                        );
                        continue;
                    }
                };
                if trade.status != 1 || receipt.receipt.cumulative_wh.min(trade.energy_wh) <= held {
                    log::info!(
                        "receipt of {} Wh for trade {} changes nothing on chain; left out",
                        receipt.receipt.cumulative_wh,
                        receipt.receipt.trade_id
                    );
                    continue;
                }
                chosen.push(receipt.receipt);
            }
            if chosen.is_empty() {
                log::warn!("no receipt to submit: nothing written");
                return Ok(outcome.exit);
            }
            V2::SubmitReceipts { receipts: chosen }
        }
        Some(trade_id) => {
            let others = book.all().len() - book.for_trade(trade_id).len();
            if others > 0 {
                log::warn!("{others} receipt(s) of other trades left out");
            }
            let receipts = match client {
                Some(client) => {
                    let trade = read_trade(client, market, trade_id)?;
                    latest_per_side(client, market, &trade, book.for_trade(trade_id))?
                }
                None => book.for_trade(trade_id).into_iter().map(|r| r.receipt).collect(),
            };
            if receipts.is_empty() {
                log::warn!("no receipt of trade {trade_id} raises a side's figure: a plain settle");
                V2::Settle { trade_id }
            } else {
                V2::SettleWithReceipts { trade_id, receipts }
            }
        }
    };
    out.emit(&builder.build(Some(market), &action, None)?)?;
    Ok(outcome.exit)
}

fn query(what: StatusWhat, id: &str) -> Result<Query, Failure> {
    let number = || {
        U256::from_str_radix(id, 10)
            .map_err(|_| Failure::usage(format!("{id:?} is not an offer or trade id (a decimal number)")))
    };
    let account = || crate::wire::parse_address(id).map_err(|e| Failure::usage(format!("status: {e}")));
    Ok(match what {
        StatusWhat::Offer => Query::Offer(number()?),
        StatusWhat::Trade => Query::Trade(number()?),
        StatusWhat::Meter => Query::Meter(account()?),
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
        if let Value::Object(record) = &input {
            crate::wire::check_record(record, &["reading", "alarm"])?;
        }
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
        (Some(FromBlock::Number(block)), _) => block,
        (Some(FromBlock::Latest), _) => client.block_number().map_err(TradeError::from)?,
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
    args: DeliverArgs,
    out: &mut Output,
) -> Result<ExitCode, Failure> {
    // Everything that can fail on its own is checked before a key is unlocked or a relay moves.
    let version = crate::trade::check_market(client, market)?;
    let receipts_flag = if args.receipts_to.is_some() && version == MarketVersion::V1 {
        Some("--receipts-to")
    } else if args.counterpart_receipts.is_some() {
        Some("--counterpart-receipts")
    } else if args.max_unacknowledged.is_some() {
        Some("--max-unacknowledged")
    } else {
        None
    };
    if let Some(flag) = receipts_flag {
        if version == MarketVersion::V1 {
            return Err(TradeError::WrongVersion {
                contract: market.to_checksum(None),
                found: 1,
                command: flag,
                needs: 2,
                hint: " (version 1 has no receipts)",
            }
            .into());
        }
        if args.role == Side::Buyer {
            return Err(Failure::usage(format!("{flag} is the seller's: it watches the buyer's receipts")));
        }
    }
    if args.unprotected && (version == MarketVersion::V1 || args.role == Side::Buyer) {
        return Err(Failure::usage(
            "--unprotected is a version 2 seller's: only it is held to the buyer's receipts",
        ));
    }
    if version == MarketVersion::V2 && args.role == Side::Seller && args.counterpart_receipts.is_none() {
        if !args.unprotected {
            return Err(Failure::usage(
                "a version 2 seller needs --counterpart-receipts FILE (the buyer meter's receipts, as the link writes them): without them the relay stays closed whatever the buyer's meter acknowledges; say --unprotected to deliver so anyway",
            ));
        }
        log::warn!("--unprotected: the relay stays closed whatever the buyer's meter acknowledges");
    }
    let device: DeviceUri = args.meter.device()?.parse()?;
    let switch: Option<DeviceUri> = args.meter.switch.as_deref().map(str::parse).transpose()?;
    let certificate = args.meter.certificate()?;
    let key = args.key.uri()?;
    let payer_key: Option<KeyUri> = args.fee_payer_key.as_deref().map(str::parse).transpose()?;
    let journal_path = args.journal.clone().unwrap_or_else(|| {
        PathBuf::from(format!("evlock-deliver-{}-{}.ndjson", args.trade, args.side_name()))
    });
    let mut journal = Journal::open(&journal_path)?;

    let sender = Session::new(key.open(&args.key.access())?, Role::Sender, None, None, None);
    let fee_payer = match &payer_key {
        Some(uri) => {
            let password = args
                .key
                .password
                .other_file(args.fee_payer_password_file.clone(), "--fee-payer-password-file");
            let access = args.key.token.access_with_pin(
                password,
                args.fee_payer_pin_file.clone(),
                "--fee-payer-pin-file",
            );
            Some(Session::new(uri.open(&access)?, Role::FeePayer, None, None, None))
        }
        None => None,
    };
    // The reports come from the meter key's account; the fee payer is the operator key's.
    let params = ChainParams {
        from: Some(sender.address()),
        fee_payer: fee_payer.as_ref().map(Session::address),
        ..args.chain.params()
    };
    if params.tx_type != TxFamily::Kaia && params.fee_payer.is_some() {
        return Err(TradeError::FeeDelegationNeedsKaia { tx_type: params.tx_type.as_str() }.into());
    }
    let clock = args.meter.clock.into();
    let meter = crate::meter::open_meter(&device)?;
    let switch = switch.as_ref().map(crate::meter::open_switch).transpose()?;
    let mut sampler = MeterSession::open(
        &device,
        meter,
        switch,
        certificate.as_ref().map(Certificate::calibration).as_ref(),
        clock,
        args.meter.interval,
        10,
        |_| {},
    )?;
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
    let mut receipts = match version {
        MarketVersion::V1 => None,
        MarketVersion::V2 => Some(ReceiptMode {
            chain_id: match args.chain.chain_id {
                Some(id) => id,
                None => client.chain_id().map_err(TradeError::from)?,
            },
            grace_blocks: crate::trade::grace_blocks(client, market)?,
            counterpart: args.counterpart_receipts.clone().map(ReceiptFeed::new),
            max_unacknowledged: args.max_unacknowledged,
            to: args.receipts_to.clone(),
        }),
    };
    let ending =
        deliver(client, market, &mut sampler, &mut chain, &mut journal, &options, receipts.as_mut(), out)?;
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
