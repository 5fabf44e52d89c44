//! `evlock-devnet`: a local Kaia-compatible chain on revm, served over JSON-RPC.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alloy_primitives::{Address, U256};
use clap::Parser;
use serde_json::Value;

use crate::cli::docs::tool_help;
use crate::cli::{GlobalArgs, Tool};
use crate::devnet::{Chain, ChainConfig, rpc};
use crate::exit::{ExitCode, Failure};
use crate::keys::hd::{BasePath, derive_key};
use crate::keys::mnemonic::Phrase;
use crate::rpc::{JsonRpcError, ServerOptions, start};
use crate::units::parse_amount;
use crate::wire::Output;
use crate::wire::{DevnetAccount, DevnetRecord};

/// The port the chain listens on by default (`http://127.0.0.1:8551/`); the other tools'
/// examples and the README use it.
pub const DEFAULT_PORT: u16 = 8551;

/// The documented default dev mnemonic (the usual local-chain one): never use it for money.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

const EXAMPLES: &str = r#"
# A chain on http://127.0.0.1:8551/; the first stdout line says where, with
# the funded accounts
evlock-devnet

# On a free port, kept across restarts, a block every second
evlock-devnet --port 0 --state chain.ndjson --block-time 1s

# HTTPS, and only for clients with a certificate from ca.pem
evlock-devnet --tls-cert srv.pem --tls-key srv.key --client-ca ca.pem

# The dev accounts' keys, as keystores in keys/ (the dev mnemonic is in
# examples/)
evlock-keygen import --mnemonic-file examples/devnet-mnemonic.txt \
  --count 10 --out-dir keys --password-file pw.txt
"#;

const NOTES: &str = "\
The dev mnemonic is public (\"test test … junk\" by default, accounts at m/44'/8217'/0'/0/i):
the chain id defaults to 31337 so nothing signed for it replays on a public network.";

/// Run a local Kaia-compatible chain (revm) with JSON-RPC on 127.0.0.1.
///
/// Accepts every transaction type evlock-sign makes, fee delegation included; serves the
/// eth_, kaia_ and klay_ methods tools and wallets need. Mines one block per transaction,
/// or one per --block-time. With --state, every block is appended to the file and fsynced
/// before its transactions are reported, and a restart replays the file.
#[derive(Debug, Parser)]
#[command(name = "evlock-devnet", version, after_long_help = tool_help(EXAMPLES, NOTES))]
pub struct Devnet {
    /// TCP port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// The chain id.
    #[arg(long, default_value_t = 31337)]
    chain_id: u64,
    /// The dev mnemonic (default: the documented `test test … junk`).
    #[arg(long, value_name = "FILE")]
    mnemonic_file: Option<PathBuf>,
    /// How many dev accounts to fund (at most 1000).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(0..=MAX_ACCOUNTS as i64))]
    accounts: u32,
    /// Each dev account's balance.
    #[arg(long, default_value = "10000 KAIA", value_name = "AMOUNT")]
    balance: String,
    /// Fund another account too (repeatable), e.g. --fund 0xAbC…=5KAIA.
    #[arg(long, value_name = "ADDRESS=AMOUNT")]
    fund: Vec<String>,
    /// The chain's gas price.
    #[arg(long, default_value = "25 ston", value_name = "AMOUNT")]
    gas_price: String,
    /// Mine a block every DURATION (1ms or more) instead of one per transaction; 0 means on
    /// demand, one block per transaction (the default).
    #[arg(long, value_name = "DURATION", value_parser = block_time)]
    block_time: Option<Duration>,
    /// Persist the chain in FILE (loaded at start, appended after every block).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Require client certificates issued by this PEM CA (mutual TLS).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    client_ca: Option<PathBuf>,
    #[command(flatten)]
    globals: GlobalArgs,
}

/// The most dev accounts `--accounts` funds: each is derived at start, and a chain of more is
/// a typo, not a test.
const MAX_ACCOUNTS: u32 = 1000;

/// `--block-time`: 0 (on demand) or at least 1 ms, since a shorter period mines empty blocks
/// in a busy loop and grows memory without end.
fn block_time(text: &str) -> Result<Duration, String> {
    let period = super::common::duration(text)?;
    if !period.is_zero() && period < Duration::from_millis(1) {
        return Err(format!("{text}: a block time is 0 (on demand) or at least 1ms"));
    }
    Ok(period)
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

fn read(path: &std::path::Path, what: &str) -> Result<Vec<u8>, Failure> {
    crate::wire::read_file_capped(path, crate::wire::MAX_FILE_BYTES)
        .map_err(|e| Failure::usage(format!("cannot read {what} {}: {e}", path.display())))
}

impl Tool for Devnet {
    const NAME: &'static str = "evlock-devnet";
    const SEE_ALSO: &'static [&'static str] = &["evlock-relay", "evlock-keygen", "evlock-trade"];

    fn globals(&self) -> &GlobalArgs {
        &self.globals
    }

    fn run(self, out: &mut Output) -> Result<ExitCode, Failure> {
        let amount =
            |text: &str, what: &str| parse_amount(text).map_err(|e| Failure::usage(format!("{what}: {e}")));
        let balance = amount(&self.balance, "--balance")?;
        let phrase = match &self.mnemonic_file {
            Some(path) => Phrase::parse(&crate::keys::files::read_secret_file("mnemonic", path)?)?,
            None => Phrase::parse(DEV_MNEMONIC)?,
        };
        let seed = phrase.to_seed("");
        let base = BasePath::default();
        let mut alloc: Vec<(Address, U256)> = (0..self.accounts)
            .map(|i| Ok((derive_key(&*seed, &base.account(i)?)?.address(), balance)))
            .collect::<Result<_, crate::keys::KeyError>>()?;
        for item in &self.fund {
            let (address, value) = item
                .split_once('=')
                .ok_or_else(|| Failure::usage(format!("--fund {item}: write ADDRESS=AMOUNT")))?;
            let address = crate::wire::parse_address(address.trim())
                .map_err(|e| Failure::usage(format!("--fund: {e}")))?;
            alloc.push((address, amount(value, "--fund")?));
        }
        let config = ChainConfig {
            chain_id: self.chain_id,
            gas_price: amount(&self.gas_price, "--gas-price")?,
            alloc,
            ..Default::default()
        };
        let chain = match &self.state {
            Some(path) => Chain::open(path, config, now())?,
            None => Chain::new(config, now()),
        };
        let accounts = chain
            .config()
            .alloc
            .iter()
            .map(|(a, _)| DevnetAccount {
                address: a.to_checksum(None),
                balance: chain.balance(*a).to_string(),
            })
            .collect();
        let head = chain.head().number;
        let chain_id = chain.config().chain_id;
        let chain = Arc::new(Mutex::new(chain));

        let mut options = ServerOptions::new(SocketAddr::from(([127, 0, 0, 1], self.port)));
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            options.tls = Some((read(cert, "certificate")?, read(key, "private key")?));
        }
        if let Some(ca) = &self.client_ca {
            options.client_ca = Some(read(ca, "client CA")?);
        }
        let block_time = self.block_time.filter(|period| !period.is_zero());
        let auto_mine = block_time.is_none();
        let served = Arc::clone(&chain);
        let handler = move |method: &str, params: &Value| -> Result<Value, JsonRpcError> {
            let mut chain = served.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            rpc::handle(&mut chain, method, params, now(), auto_mine)
        };
        // Its own classes: an unusable certificate or key is bad input (2), a busy port is 4.
        let server = start(options, handler)?;
        if let Some(interval) = block_time {
            let miner = Arc::clone(&chain);
            std::thread::spawn(move || {
                loop {
                    std::thread::sleep(interval);
                    let mut chain = miner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    if let Err(error) = chain.mine(now()) {
                        log::error!("{}", crate::exit::error_chain(&error));
                    }
                }
            });
        }
        out.emit(&DevnetRecord {
            url: server.url(),
            chain_id: chain_id.to_string(),
            accounts,
            state: self.state.as_ref().map(|p| p.display().to_string()),
            block_number: head.to_string(),
        })?;
        log::info!("serving {} (chain {chain_id}); stop with Ctrl-C", server.url());
        server.wait();
        Ok(ExitCode::Success)
    }
}
