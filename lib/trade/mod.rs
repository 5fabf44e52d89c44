//! Trading on the EnergyMarket contract: `tx` records for every market action with nonce, gas,
//! gas price and chain id filled in (from a node or from flags), contract state as `status`
//! records, contract events as `event` records, and the report stream that turns meter
//! `reading`s into cumulative delivery reports.
//!
//! The tools stay composable: `evlock-trade` never holds a key. It writes `tx` records for
//! `evlock-sign`; `evlock-relay` submits them.
//!
//! ```
//! use evlock::trade::{ChainParams, TxBuilder};
//! use evlock::market::Action;
//! use alloy_primitives::U256;
//! // Fully offline: every parameter comes from flags.
//! let params = ChainParams { chain_id: Some(31337), nonce: Some(4), gas_price: Some(U256::from(25_000_000_000u64)),
//!                            gas: Some(80_000), ..ChainParams::default() };
//! let mut builder = TxBuilder::new(None, params);
//! let market = "0x5FbDB2315678afecb367f032d93F642f64180aa3".parse().unwrap();
//! let tx = builder.build(Some(market), &Action::Settle { trade_id: U256::from(7) }, None).unwrap();
//! assert_eq!(tx["type"], "smart_contract_execution");
//! assert_eq!(tx["nonce"], "4");
//! ```

mod builder;
pub mod deliver;
pub mod journal;
pub mod receipts;
mod report;
mod state;
mod watch;

pub use builder::{ChainParams, TxBuilder, TxFamily, fallback_gas};
pub use report::{ReportPlan, ReportPlanner, Reporting};
pub use state::{
    MarketVersion, MeterState, OfferState, Query, TradeState, amount_fields, check_market, credit_fields,
    grace_blocks, meter_owner, read_credit, read_meter, read_offer, read_trade, status_record,
};
pub use watch::{EventRecord, Watcher};

use crate::exit::{ErrorClass, ExitCode};
use crate::rpc::RpcError;

/// Why a trade command could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum TradeError {
    /// A transaction parameter is missing and there is no node to ask. Exit 2.
    #[error("no {what}: give {flag} or --rpc to ask the node")]
    Missing {
        /// What is missing (`chain id`, `nonce`, …).
        what: &'static str,
        /// The flag that sets it.
        flag: &'static str,
    },
    /// The node could not be reached or answered badly. Exit 4 (2 for bad RPC options).
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// The offer or trade does not exist on the contract. Exit 1.
    #[error("{what} {id} does not exist on the market at {contract}")]
    NotFound {
        /// `offer` or `trade`.
        what: &'static str,
        /// Its id.
        id: String,
        /// The market contract.
        contract: String,
    },
    /// A contract view answered something the bindings cannot decode: the address is not an
    /// EnergyMarket. Exit 2 (a wrong --contract is bad input, not a network failure).
    #[error("{contract} is not an EnergyMarket: it did not answer {function} like one ({reason})")]
    BadAnswer {
        /// The contract address.
        contract: String,
        /// The view function.
        function: &'static str,
        /// The decoder's complaint.
        reason: String,
    },
    /// There is no EnergyMarket at the address (no code there, or a view of the market
    /// reverts). Exit 2.
    #[error("{contract} is not an EnergyMarket: {reason} (check --contract or EVLOCK_MARKET)")]
    NotAMarket {
        /// The address given.
        contract: String,
        /// What the node said.
        reason: String,
    },
    /// An input record is not a usable reading. Exit 2.
    #[error("{0}")]
    BadReading(String),
    /// A fee payer was named for transaction types without fee delegation. Exit 2.
    #[error("--fee-payer needs --tx-type kaia (fee delegation is Kaia's; {tx_type} has none)")]
    FeeDelegationNeedsKaia {
        /// The types asked for.
        tx_type: &'static str,
    },
    /// A `delivery_receipt` record cannot be used (exit 2; 1 when its signature does not
    /// recover to its signer).
    #[error(transparent)]
    Receipt(#[from] crate::market::v2::ReceiptError),
    /// A receipt is for another market or chain than the one the transaction goes to. Exit 2.
    #[error("a delivery receipt for {what} {found}, not {expected}: it would not verify here")]
    ReceiptElsewhere {
        /// `market` or `chain`.
        what: &'static str,
        /// The receipt's.
        found: String,
        /// The transaction's.
        expected: String,
    },
    /// The command needs the other version of the market contract. Exit 2.
    #[error("{contract} is an EnergyMarket version {found}; {command} needs version {needs}{hint}")]
    WrongVersion {
        /// The market.
        contract: String,
        /// Its version.
        found: u8,
        /// The command.
        command: &'static str,
        /// The version it needs.
        needs: u8,
        /// What to do instead, when there is something.
        hint: &'static str,
    },
    /// The meter raised an alarm during delivery, and reporting stopped. Exit 1.
    #[error("delivery stopped by a meter alarm: {code}: {message}")]
    Alarm {
        /// The alarm's stable code.
        code: String,
        /// The alarm's message.
        message: String,
    },
}

impl ErrorClass for TradeError {
    fn exit_code(&self) -> ExitCode {
        match self {
            TradeError::Missing { .. }
            | TradeError::BadReading(_)
            | TradeError::FeeDelegationNeedsKaia { .. } => ExitCode::Usage,
            TradeError::Rpc(e) => e.exit_code(),
            TradeError::NotFound { .. } | TradeError::Alarm { .. } => ExitCode::No,
            TradeError::BadAnswer { .. } | TradeError::NotAMarket { .. } => ExitCode::Usage,
            TradeError::Receipt(e) => e.exit_code(),
            TradeError::ReceiptElsewhere { .. } | TradeError::WrongVersion { .. } => ExitCode::Usage,
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            TradeError::Missing { .. } | TradeError::FeeDelegationNeedsKaia { .. } => "usage",
            TradeError::Rpc(e) => e.error_code(),
            TradeError::NotFound { .. } => "not_found",
            TradeError::BadAnswer { .. } | TradeError::NotAMarket { .. } => "not_a_market",
            TradeError::BadReading(_) => "bad_input",
            TradeError::Alarm { .. } => "alarm",
            TradeError::Receipt(e) => e.error_code(),
            TradeError::ReceiptElsewhere { .. } => "receipt_mismatch",
            TradeError::WrongVersion { .. } => "wrong_market_version",
        }
    }
}
