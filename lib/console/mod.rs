//! The operator's console: a local web page of the market and the meters, served by
//! `evlock-trade serve`.
//!
//! The console follows the market's events the way `evlock-trade watch --follow` does and
//! builds a picture of it ([`Model`]): open offers, trades in delivery with each meter's
//! cumulative report, settled trades with what was paid and refunded, every party's credit.
//! It also reads `reading`, `alarm` and `link` records (from `evlock-sense`, or relayed by the
//! operator↔meter link with `meta.peer`) to show each meter's last reading, its alarms, and
//! whether it is connected.
//!
//! What it serves ([`server`]):
//!
//! | path | what |
//! |---|---|
//! | `/market`, `/meters` | server-rendered HTML; every value escaped (maud) |
//! | `/market.json`, `/meters.json` | the same pages as JSON, for scripts |
//! | `/status/offer/ID`, `/status/trade/ID`, `/status/credit/ADDRESS` | a `status` record, the same numbers as `evlock-trade status` |
//! | `/events?page=market` | server-sent events: the page's new content whenever it changes |
//! | `/tx/HASH` | a transaction's receipt, read from the node |
//! | `POST /actions/offer`, `/actions/buy` | only with `--allow-actions`: a `tx` record to download and sign elsewhere |
//!
//! The console never holds a key. It listens on loopback unless told otherwise; with a
//! certificate, a key and a client CA it only talks to clients holding a certificate from
//! that CA. Pages carry a strict Content-Security-Policy (scripts and styles from the console
//! itself only), and a loopback console refuses requests for other host names (DNS rebinding).

mod actions;
mod follow;
mod html;
mod model;
pub mod server;
mod views;

pub use follow::{FollowOptions, Follower, read_input};
pub use html::Page;
pub use model::{
    AlarmSeen, LastReading, LastReport, LinkState, Meter, MeterKey, Model, Offer, Recent, Settings,
    Settlement, Trade, TxRef,
};
pub use server::{ServeOptions, ServerHandle, start};
pub use views::{market_json, meters_json, status_json};

use std::sync::{PoisonError, RwLock, RwLockReadGuard};

use tokio::sync::watch;

use crate::exit::{ErrorClass, ExitCode};
use crate::rpc::TlsConfigError;
use crate::trade::TradeError;
use crate::wire::RecordError;

/// Why the console could not start, or could not take an input record.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The address could not be bound (in use, not local, no permission). Exit 4.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// The certificate, key or client CA is unusable. Exit 2.
    #[error(transparent)]
    Tls(#[from] TlsConfigError),
    /// A client CA was given without a certificate and key. Exit 2.
    #[error("client certificates (--client-ca) need TLS: give --tls-cert and --tls-key too")]
    ClientCaWithoutTls,
    /// The server's runtime or threads could not be started. Exit 4.
    #[error("cannot start the console's threads")]
    Runtime(#[source] std::io::Error),
    /// The node could not be read when the console started. Exit 4 (2 for bad options).
    #[error(transparent)]
    Trade(#[from] TradeError),
    /// An input record is not a `reading`, `alarm` or `link` record. Exit 2.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// An input record of a known kind has missing or malformed fields. Exit 2.
    #[error("not a usable {kind} record: {reason}")]
    BadRecord {
        /// `reading`, `alarm` or `link`.
        kind: &'static str,
        /// What the decoder said.
        reason: String,
    },
}

impl ErrorClass for ConsoleError {
    fn exit_code(&self) -> ExitCode {
        match self {
            ConsoleError::Tls(_)
            | ConsoleError::ClientCaWithoutTls
            | ConsoleError::Record(_)
            | ConsoleError::BadRecord { .. } => ExitCode::Usage,
            ConsoleError::Bind { .. } | ConsoleError::Runtime(_) => ExitCode::Network,
            ConsoleError::Trade(e) => e.exit_code(),
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            ConsoleError::Bind { .. } => "bind",
            ConsoleError::Tls(_) => "tls_config",
            ConsoleError::ClientCaWithoutTls => "usage",
            ConsoleError::Runtime(_) => "runtime",
            ConsoleError::Trade(e) => e.error_code(),
            ConsoleError::Record(e) => e.error_code(),
            ConsoleError::BadRecord { .. } => "bad_input",
        }
    }
}

/// The console's state, shared by the follower, the input reader and the web server: the
/// [`Model`] behind a lock, and a version number that every change bumps (the event streams
/// wait on it).
#[derive(Debug)]
pub struct Console {
    model: RwLock<Model>,
    changes: watch::Sender<u64>,
}

impl Console {
    /// A console over `model`.
    pub fn new(model: Model) -> Self {
        Console { model: RwLock::new(model), changes: watch::Sender::new(0) }
    }

    /// Reads the model.
    pub fn read(&self) -> RwLockReadGuard<'_, Model> {
        self.model.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the model; when `change` says it changed something (returns true), the version
    /// is bumped and every event stream wakes.
    pub fn update(&self, change: impl FnOnce(&mut Model) -> bool) -> bool {
        let changed = {
            let mut model = self.model.write().unwrap_or_else(PoisonError::into_inner);
            change(&mut model)
        };
        if changed {
            self.changes.send_modify(|version| *version += 1);
        }
        changed
    }

    /// The current version (bumped by every change).
    pub fn version(&self) -> u64 {
        *self.changes.borrow()
    }

    /// A receiver that wakes on every change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }
}
