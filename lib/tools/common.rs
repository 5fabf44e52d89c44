//! Options and helpers several tools share: reaching a JSON-RPC node, durations.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use crate::exit::Failure;
use crate::rpc::{ClientOptions, RpcClient};

/// How to reach the node: endpoints, TLS trust and client certificate, retries.
#[derive(Debug, Args)]
pub(crate) struct ConnectionArgs {
    /// A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for
    /// fallbacks tried in order when one cannot be reached.
    #[arg(
        long = "rpc",
        value_name = "URL",
        env = "EVLOCK_RPC_URL",
        hide_env_values = true,
        value_delimiter = ',',
        global = true
    )]
    pub(crate) rpc: Vec<String>,
    /// Also trust the CA certificates in this PEM file (added to the usual web roots).
    #[arg(long, value_name = "PEM", env = "EVLOCK_CA_CERT", hide_env_values = true, global = true)]
    ca_cert: Option<PathBuf>,
    /// Client certificate (PEM chain) for endpoints that require mutual TLS.
    #[arg(
        long,
        value_name = "PEM",
        env = "EVLOCK_CLIENT_CERT",
        hide_env_values = true,
        requires = "client_key",
        global = true
    )]
    client_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(
        long,
        value_name = "PEM",
        env = "EVLOCK_CLIENT_KEY",
        hide_env_values = true,
        requires = "client_cert",
        global = true
    )]
    client_key: Option<PathBuf>,
    /// Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP
    /// 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried.
    #[arg(long, value_name = "N", default_value_t = 2, global = true)]
    retries: u32,
    /// The longest one HTTP request may take.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration, global = true)]
    request_timeout: Duration,
}

fn read_pem(path: &Path, flag: &str) -> Result<Vec<u8>, Failure> {
    crate::wire::read_file_capped(path, crate::wire::MAX_FILE_BYTES)
        .map_err(|e| Failure::usage(format!("{flag} {}: {e}", path.display())))
}

pub(crate) fn connect(args: &ConnectionArgs) -> Result<RpcClient, Failure> {
    let endpoints: Vec<String> =
        args.rpc.iter().map(|url| url.trim().to_string()).filter(|url| !url.is_empty()).collect();
    if endpoints.is_empty() {
        return Err(Failure::usage("no endpoint: give --rpc URL or set EVLOCK_RPC_URL"));
    }
    let mut options = ClientOptions::new(endpoints);
    options.retries = args.retries;
    options.timeout = args.request_timeout;
    options.ca_cert_pem = args.ca_cert.as_deref().map(|p| read_pem(p, "--ca-cert")).transpose()?;
    if let (Some(cert), Some(key)) = (&args.client_cert, &args.client_key) {
        options.client_identity_pem =
            Some((read_pem(cert, "--client-cert")?, read_pem(key, "--client-key")?));
    }
    Ok(RpcClient::new(options)?)
}

/// Parses a human duration (`500ms`, `30s`, `2m`).
pub(crate) fn duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{e} (write e.g. 500ms, 30s, 2m)"))
}

/// Which clock paces meter readings (`--clock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClockKind {
    /// Real time: sleep to a fixed schedule.
    Wall,
    /// Virtual time (simulator, tests): no sleeping, `at` advances by the interval.
    Virtual,
}

impl From<ClockKind> for crate::meter::clock::Clock {
    fn from(kind: ClockKind) -> Self {
        match kind {
            ClockKind::Wall => Self::wall(),
            ClockKind::Virtual => Self::virtual_clock(),
        }
    }
}
