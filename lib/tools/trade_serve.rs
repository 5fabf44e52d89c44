//! `evlock-trade serve`: the operator's console, a local web page of the market and the
//! meters (see [`crate::console`]).

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::Address;
use clap::Args;
use serde_json::json;

use super::common::duration;
use crate::console::{Console, FollowOptions, Follower, Model, ServeOptions, Settings, read_input, start};
use crate::exit::{ExitCode, Failure};
use crate::rpc::RpcClient;
use crate::trade::{ChainParams, TradeError};
use crate::wire::{ConsoleRecord, MAX_LINE_BYTES, Output};

/// The `serve` command's examples (its long help).
/// Where the console listens by default (loopback only: see `--listen`).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

pub(crate) const EXAMPLES: &str = r#"
# The console of a market on a local node, at http://127.0.0.1:8080/
evlock-trade serve --rpc http://127.0.0.1:8551/ --contract 0x…

# With a meter's readings and alarms on the meters page
evlock-sense --device 'modbus:/dev/ttyUSB0?profile=pzem004t' \
  | evlock-trade serve --contract 0x…

# For other machines: HTTPS, only for clients with an operator certificate
evlock-trade serve --bind 0.0.0.0:8443 --tls-cert console.pem \
  --tls-key console.key --client-ca operator-ca.pem

# Offer and buy forms that download unsigned tx records (sign elsewhere)
evlock-trade serve --allow-actions --from "$SELLER"
evlock-sign --key seller.json < offer-tx.ndjson | evlock-relay submit
"#;

/// The `serve` command's notes (its long help, after the examples).
pub(crate) const NOTES: &str = r#"
The first stdout line is a `console` record with the URL. Pages: /market and /meters, their JSON at /market.json and /meters.json, one offer, trade or credit as a `status` record at /status/trade/ID (the same fields as `evlock-trade status`), live updates at /events.

stdin, unless it is a terminal, is read for `reading` and `alarm` records (evlock-sense, or relayed by the link with `meta.peer` {name, account}) and `link` records: {"kind":"link","v":1,"event":"connected","peer":{"name":"meter-7"},"time":"…"} (the peer's account is optional). A bad input line is reported on stderr and skipped; the console never stops for its input.

The console holds no key. It listens on loopback unless --bind says otherwise, and a loopback console answers only requests for localhost, 127.0.0.1 or [::1]. Every value on the pages is escaped. Without --allow-actions it takes no POST at all.

Exit codes: 130 stopped by Ctrl-C or SIGTERM; 2 bad options or certificates; 4 the node could not be reached at start, or the address cannot be bound.
"#;

/// `evlock-trade serve`'s options (the node and market come from --rpc and --contract).
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// How the forms' `tx` records are built (with --allow-actions; --from is the default
    /// sender).
    #[command(flatten)]
    pub(crate) tx: super::trade::TxArgs,
    /// Where to listen. Loopback by default; serving other machines wants TLS and --client-ca.
    #[arg(long, value_name = "ADDRESS:PORT", default_value = DEFAULT_LISTEN)]
    bind: SocketAddr,
    /// The first block whose market events are read: 0 (the default) reads the whole
    /// history; on a long chain give the market's deployment block. Offers and trades made
    /// before it are read from the contract when their events refer to them.
    #[arg(long, value_name = "BLOCK", default_value_t = 0)]
    from_block: u64,
    /// How often to look for new blocks.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = duration)]
    poll: Duration,
    /// Serve HTTPS with this certificate chain (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The HTTPS certificate's private key (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Require every client to present a certificate issued by this CA (PEM): the operator
    /// CA that issues the link's certificates. Needs --tls-cert and --tls-key.
    #[arg(long, value_name = "PEM")]
    client_ca: Option<PathBuf>,
    /// Serve the offer and buy forms. They only build unsigned `tx` records to download; the
    /// sender is the form's account (--from fills it in).
    #[arg(long)]
    allow_actions: bool,
    /// Link transactions to a block explorer: its URL prefix, e.g. `https://kaiascan.io/tx/`
    /// (default: the console's own /tx/HASH page, read from the node).
    #[arg(long, value_name = "URL")]
    explorer: Option<String>,
    /// The longest input line accepted from stdin, in bytes; a longer one is reported and
    /// skipped.
    #[arg(long, value_name = "BYTES", default_value_t = MAX_LINE_BYTES)]
    max_line: usize,
}

fn read_pem(path: &Path, flag: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::usage(format!("{flag} {}: {e}", path.display())))
}

/// Runs the console until Ctrl-C or SIGTERM.
pub(crate) fn run(
    client: RpcClient,
    market: Address,
    params: ChainParams,
    args: ServeArgs,
    out: &mut Output,
) -> Result<ExitCode, Failure> {
    if let Some(url) = &args.explorer
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(Failure::usage(format!("--explorer {url:?}: give an http:// or https:// URL prefix")));
    }
    let mut options = ServeOptions::new(args.bind);
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        options.tls = Some((read_pem(cert, "--tls-cert")?, read_pem(key, "--tls-key")?));
    }
    if let Some(ca) = &args.client_ca {
        if options.tls.is_none() {
            return Err(crate::console::ConsoleError::ClientCaWithoutTls.into());
        }
        options.client_ca = Some(read_pem(ca, "--client-ca")?);
    }
    let head = client.block_number().map_err(TradeError::from)?;
    let code =
        client.call("eth_getCode", json!([market.to_checksum(None), "latest"])).map_err(TradeError::from)?;
    if code.as_str().is_none_or(|code| code == "0x" || code.is_empty()) {
        return Err(Failure::usage(format!(
            "there is no contract at {market} (is --contract the market's address?)"
        )));
    }
    // The version decides the forms' calls and what the pages show (receipts, grace).
    let grace_blocks = match crate::trade::check_market(&client, market)? {
        crate::trade::MarketVersion::V1 => None,
        crate::trade::MarketVersion::V2 => Some(crate::trade::grace_blocks(&client, market)?),
    };
    let settings = Settings {
        contract: market,
        actions: args.allow_actions,
        explorer: args.explorer.clone(),
        default_from: params.from,
        grace_blocks,
    };
    let console = Arc::new(Console::new(Model::new(settings, args.from_block)));
    let client = Arc::new(client);
    let client_certificates = options.client_ca.is_some();
    let https = options.tls.is_some();
    let server = start(options, console.clone(), client.clone(), params)?;
    let local = server.local_addr();
    if !local.ip().is_loopback() {
        if !https {
            log::warn!("serving plain HTTP on {local}: anyone on the network can read the console");
        } else if !client_certificates {
            log::warn!("serving {local} without --client-ca: anyone on the network can read the console");
        }
    }
    out.emit(&ConsoleRecord {
        url: server.url(),
        contract: market.to_checksum(None),
        block: head.to_string(),
        actions: args.allow_actions,
        client_certificates,
    })?;
    out.flush()?;
    log::info!("the console is at {}; stop with Ctrl-C", server.url());

    crate::interrupt::install();
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        log::info!("stdin is a terminal: no meter records are read");
    } else {
        let console = console.clone();
        let max_line = args.max_line;
        std::thread::Builder::new()
            .name("evlock-console-input".into())
            .spawn(move || {
                if let Err(failure) = read_input(&console, stdin.lock(), max_line) {
                    log::error!("stdin: {failure}");
                }
            })
            .map_err(crate::console::ConsoleError::Runtime)?;
    }
    Follower::new(&client, &console, market, FollowOptions { poll: args.poll })
        .run(crate::interrupt::requested);
    server.shutdown();
    Ok(ExitCode::Interrupted)
}
