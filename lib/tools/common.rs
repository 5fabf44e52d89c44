//! Options and helpers several tools share, each group declared once and flattened into the
//! commands that use it: reaching a JSON-RPC node, a signing key (a keystore, a TEE slot or a
//! PKCS#11 token) and its password or PIN, a meter and its certificate, durations.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use crate::exit::Failure;
use crate::keys::password::PasswordSource;
use crate::rpc::{ClientOptions, RpcClient};
use crate::signer::{KeyAccess, KeyUri};

/// Where a keystore password comes from: a file, the file `EVLOCK_PASSWORD_FILE` names, or
/// a hidden prompt on the terminal (never the command line).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Key")]
pub(crate) struct PasswordArgs {
    /// File holding the keystore password (one trailing newline is ignored).
    #[arg(long, env = "EVLOCK_PASSWORD_FILE", hide_env_values = true, value_name = "FILE")]
    pub(crate) password_file: Option<PathBuf>,
    /// Never prompt: fail when something must be asked that no option or file answers.
    #[arg(long)]
    pub(crate) no_input: bool,
}

impl PasswordArgs {
    /// The password source of `--password-file`.
    pub(crate) fn source(&self) -> PasswordSource {
        self.other_file(self.password_file.clone(), "--password-file")
    }

    /// Another password file (`--new-password-file`, …) under the same `--no-input`.
    pub(crate) fn other_file(&self, file: Option<PathBuf>, flag: &'static str) -> PasswordSource {
        PasswordSource { file, no_input: self.no_input, flag }
    }
}

/// A signing key and its password.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Key")]
pub(crate) struct KeyArgs {
    /// The key: a keystore path or `keystore:PATH`, `optee:SLOT` (a TrustZone key; with the
    /// optee feature), or `pkcs11:token=LABEL;object=LABEL` (a key on a PKCS#11 token).
    #[arg(long, value_name = "URI", required_unless_present = "generate")]
    pub(crate) key: Option<String>,
    #[command(flatten)]
    pub(crate) password: PasswordArgs,
    #[command(flatten)]
    pub(crate) token: TokenArgs,
}

impl KeyArgs {
    /// The key's URI (`--key` is required; clap only lets it be absent for `--generate`).
    pub(crate) fn uri(&self) -> Result<KeyUri, Failure> {
        let key = self.key.as_deref().ok_or_else(|| Failure::usage("--key is required (see --help)"))?;
        Ok(key.parse()?)
    }

    /// What opening the key may need: the keystore password, the token's PIN and module.
    pub(crate) fn access(&self) -> KeyAccess {
        self.token.access(self.password.source())
    }
}

/// A meter: its device, its relay, its calibration certificate and how often it is read.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Meter")]
pub(crate) struct MeterArgs {
    /// The meter's device URI, e.g. `modbus:/dev/ttyUSB0?profile=sdm120`,
    /// `ina228:/dev/i2c-1?addr=0x40&shunt_ohms=0.015`, `sim:home?fault=reset@60s`.
    #[arg(long, value_name = "URI", required_unless_present = "generate")]
    pub(crate) device: Option<String>,
    /// The relay in front of the battery or load, e.g. `gpio:/dev/gpiochip0?line=17` or
    /// `sim:home`: its state goes into every reading and enables the wiring checks.
    #[arg(long, value_name = "URI")]
    pub(crate) switch: Option<String>,
    /// A calibration certificate (from `evlock-calibrate commission`): its signature is
    /// verified, its gain/offset correct amps and watts, its register baseline is what the
    /// `recalibrated` check compares against.
    #[arg(long, value_name = "FILE")]
    pub(crate) certificate: Option<PathBuf>,
    /// Refuse the certificate unless this address signed it.
    #[arg(long, value_name = "ADDRESS", requires = "certificate")]
    pub(crate) technician: Option<String>,
    /// The time between readings (`0` = as fast as the device answers).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = duration)]
    pub(crate) interval: Duration,
    /// The clock pacing the readings (`virtual` for the simulator: no sleeping).
    #[arg(long, value_enum, default_value_t = ClockKind::Wall)]
    pub(crate) clock: ClockKind,
}

impl MeterArgs {
    /// The device URI as given (`--device` is required; clap only lets it be absent for
    /// `--generate`).
    pub(crate) fn device(&self) -> Result<&str, Failure> {
        self.device.as_deref().ok_or_else(|| Failure::usage("--device is required (see --help)"))
    }

    /// The certificate, verified (and refused unless `--technician` signed it), if one is given.
    pub(crate) fn certificate(&self) -> Result<Option<crate::calibrate::Certificate>, Failure> {
        self.certificate
            .as_deref()
            .map(|path| crate::calibrate::Certificate::load_verified(path, self.technician.as_deref()))
            .transpose()
            .map_err(Failure::from)
    }
}

/// How to reach the node: endpoints, TLS trust and client certificate, retries.
#[derive(Debug, Args)]
#[command(next_help_heading = "Node")]
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

/// How to reach a key on a PKCS#11 token (`--key pkcs11:token=…;object=…`); beside `--key`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Key")]
pub(crate) struct TokenArgs {
    /// The PKCS#11 module (the token vendor's .so, e.g. /usr/lib/softhsm/libsofthsm2.so) for
    /// `--key pkcs11:…`.
    #[arg(long, value_name = "FILE", env = "EVLOCK_PKCS11_MODULE", hide_env_values = true)]
    pub(crate) pkcs11_module: Option<PathBuf>,
    /// File holding the token's user PIN (one trailing newline is ignored); without it, a
    /// hidden prompt. The PIN is tried once.
    #[arg(long, value_name = "FILE", env = "EVLOCK_PIN_FILE", hide_env_values = true)]
    pub(crate) pin_file: Option<PathBuf>,
}

impl TokenArgs {
    /// The access to a key: `password` for keystores, these for tokens.
    pub(crate) fn access(&self, password: PasswordSource) -> KeyAccess {
        self.access_with_pin(password, self.pin_file.clone(), "--pin-file")
    }

    /// The same with another PIN file (a second key's, e.g. `--fee-payer-pin-file`).
    pub(crate) fn access_with_pin(
        &self,
        password: PasswordSource,
        pin_file: Option<PathBuf>,
        flag: &'static str,
    ) -> KeyAccess {
        let pin = PasswordSource { file: pin_file, no_input: password.no_input, flag };
        KeyAccess { password, pin, pkcs11_module: self.pkcs11_module.clone() }
    }
}
