//! `evlock-keygen tls`: the operator CA, meter and operator certificates for the link
//! (`evlock-relay listen` / `connect`), and reading certificates back.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use alloy_primitives::Address;
use clap::{ArgGroup, Args, Subcommand};

use crate::exit::{ExitCode, Failure};
use crate::keys::KeyError;
use crate::keys::files::{NewFileError, write_new_file, write_secret_file};
use crate::pki::{self, CertInfo, LeafRequest, PkiError, Usage, Validity};
use crate::wire::{CertificateRecord, Output};

/// The examples of `evlock-keygen tls --help`.
pub(crate) const EXAMPLES: &str = r#"
# The operator's CA (ca.pem, and ca.key written 0600)
evlock-keygen tls ca --name "Operator CA"

# The operator's server certificate, for the names meters dial
evlock-keygen tls issue --ca ca.pem --name operator --server \
  --host operator.example --host 10.0.0.5

# A meter's certificate, bound to its owner's Kaia account, for a year
evlock-keygen tls issue --ca ca.pem --name meter-17 --days 365 \
  --account 0x9858EfFD232B4033E47d90003D41EC34EcaEda94

# What a certificate says: subject, SANs, account, validity, SHA-256
evlock-keygen tls inspect meter-17.pem
"#;

/// Certificates for mutual TLS between the operator and its meters (ECDSA P-256).
///
/// `ca` makes the operator's CA; `issue` a meter's (client) or the operator's (server)
/// certificate under it, with the meter's Kaia account bound in as a URI SAN `kaia:0x…`;
/// `inspect` prints what a certificate says. Private keys are PKCS#8 PEM files created 0600,
/// written atomically and never over an existing file without --force. Each writes one
/// `certificate` record.
#[derive(Debug, Subcommand)]
pub(crate) enum TlsCommand {
    /// Create an operator CA: a self-signed CA certificate and its key.
    Ca(CaArgs),
    /// Issue a client (meter) or server (operator) certificate under the CA.
    Issue(IssueArgs),
    /// Print a `certificate` record for each certificate file (PEM).
    Inspect(InspectArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ValidityArgs {
    /// How many days the certificate is valid.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=36_500))]
    days: Option<u32>,
    /// The start of validity, RFC 3339 (default: now), e.g. 2026-01-01T00:00:00Z.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    valid_from: Option<SystemTime>,
}

impl ValidityArgs {
    fn validity(&self, default_days: u32) -> Validity {
        Validity { not_before: self.valid_from, days: self.days.unwrap_or(default_days) }
    }
}

#[derive(Debug, Args)]
pub(crate) struct OutArgs {
    /// Overwrite existing certificate and key files.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CaArgs {
    /// The CA's name (its common name), e.g. "Operator CA".
    #[arg(long, value_name = "NAME")]
    name: String,
    /// Where to write the CA certificate.
    #[arg(long, value_name = "FILE", default_value = "ca.pem")]
    cert: PathBuf,
    /// Where to write the CA key (0600).
    #[arg(long, value_name = "FILE", default_value = "ca.key")]
    key: PathBuf,
    /// Valid for N days (default 3650).
    #[command(flatten)]
    validity: ValidityArgs,
    #[command(flatten)]
    out: OutArgs,
}

#[derive(Debug, Args)]
#[command(group = ArgGroup::new("usage").args(["server", "client"]).multiple(true))]
pub(crate) struct IssueArgs {
    /// The CA certificate to issue under.
    #[arg(long, value_name = "FILE")]
    ca: PathBuf,
    /// The CA's key (default: the --ca file with the extension `.key`).
    #[arg(long, value_name = "FILE")]
    ca_key: Option<PathBuf>,
    /// The certificate's name: its common name and DNS SAN, and the peer's name on the link
    /// (what `listen --allow` and `meta.to` name), e.g. meter-17.
    #[arg(long, value_name = "NAME")]
    name: String,
    /// The Kaia account to bind into the certificate (a URI SAN kaia:0x…).
    #[arg(long, value_name = "ADDRESS")]
    account: Option<Address>,
    /// Another DNS name or IP address the certificate answers to (server certificates: the
    /// names meters dial). Repeatable.
    #[arg(long = "host", value_name = "NAME|IP")]
    hosts: Vec<String>,
    /// A server certificate (for `evlock-relay listen`).
    #[arg(long)]
    server: bool,
    /// A client certificate (for `evlock-relay connect`; the default). With --server: both.
    #[arg(long)]
    client: bool,
    /// Where to write the certificate (default NAME.pem).
    #[arg(long, value_name = "FILE")]
    cert: Option<PathBuf>,
    /// Where to write the key, 0600 (default NAME.key).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Valid for N days (default 365).
    #[command(flatten)]
    validity: ValidityArgs,
    #[command(flatten)]
    out: OutArgs,
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// Certificate files (PEM).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// Runs `evlock-keygen tls …`.
pub(crate) fn run(command: TlsCommand, out: &mut Output) -> Result<ExitCode, Failure> {
    match command {
        TlsCommand::Ca(args) => {
            refuse_existing(&[&args.cert, &args.key], args.out.force)?;
            let issued = pki::new_ca(&args.name, &args.validity.validity(3650))?;
            write_pair(&issued, &args.cert, &args.key, args.out.force)?;
            out.emit(&record(&issued.info, Some(&args.cert), Some(&args.key)))?;
        }
        TlsCommand::Issue(args) => {
            let cert = args.cert.clone().unwrap_or_else(|| PathBuf::from(format!("{}.pem", args.name)));
            let key = args.key.clone().unwrap_or_else(|| PathBuf::from(format!("{}.key", args.name)));
            let ca_key = args.ca_key.clone().unwrap_or_else(|| args.ca.with_extension("key"));
            if !pki::valid_name(&args.name) {
                return Err(PkiError::BadName { name: args.name }.into());
            }
            refuse_existing(&[&cert, &key], args.out.force)?;
            let ca_pem = read_text(&args.ca, "--ca")?;
            let ca_key_pem = zeroize::Zeroizing::new(read_text(&ca_key, "--ca-key")?);
            let usage = match (args.server, args.client) {
                (true, true) => Usage::Both,
                (true, false) => Usage::Server,
                _ => Usage::Client,
            };
            let request = LeafRequest {
                name: args.name.clone(),
                account: args.account,
                hosts: args.hosts.clone(),
                usage,
                validity: args.validity.validity(365),
            };
            let issued = pki::issue(&ca_pem, &ca_key_pem, &request)?;
            write_pair(&issued, &cert, &key, args.out.force)?;
            out.emit(&record(&issued.info, Some(&cert), Some(&key)))?;
        }
        TlsCommand::Inspect(args) => {
            for file in &args.files {
                let pem = read_text(file, "FILE")?;
                let der = pki::first_certificate(pem.as_bytes(), &file.display().to_string())?;
                let info = pki::inspect_der(&der, &file.display().to_string())?;
                out.emit(&record(&info, Some(file), None))?;
            }
        }
    }
    Ok(ExitCode::Success)
}

fn refuse_existing(paths: &[&Path], force: bool) -> Result<(), Failure> {
    if force {
        return Ok(());
    }
    for path in paths {
        if path.symlink_metadata().is_ok() {
            return Err(KeyError::FileExists { path: path.to_path_buf() }.into());
        }
    }
    Ok(())
}

/// The key first (0600), then the certificate; a certificate that cannot be written takes a
/// key it would have orphaned with it (unless --force replaced an older one).
fn write_pair(issued: &pki::Issued, cert: &Path, key: &Path, force: bool) -> Result<(), Failure> {
    write_secret_file(key, issued.key_pem.as_bytes(), force)?;
    let written = write_new_file(cert, issued.cert_pem.as_bytes(), 0o644, force);
    if let Err(error) = written {
        if !force {
            let _ = std::fs::remove_file(key);
        }
        return Err(match error {
            NewFileError::Exists => KeyError::FileExists { path: cert.to_path_buf() },
            NewFileError::NotRegular(what) => KeyError::NotRegularFile { path: cert.to_path_buf(), what },
            NewFileError::Io(source) => KeyError::WriteFile { path: cert.to_path_buf(), source },
        }
        .into());
    }
    log::info!("wrote {} and {} (0600)", cert.display(), key.display());
    Ok(())
}

fn read_text(path: &Path, flag: &str) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| Failure::usage(format!("{flag} {}: {e}", path.display())))
}

fn parse_time(text: &str) -> Result<SystemTime, String> {
    humantime::parse_rfc3339_weak(text).map_err(|e| format!("{e} (write e.g. 2026-01-01T00:00:00Z)"))
}

fn rfc3339(time: SystemTime) -> String {
    // Times before 1970 do not occur in certificates this tool reads in practice; show the epoch.
    humantime::format_rfc3339_seconds(time.max(SystemTime::UNIX_EPOCH)).to_string()
}

/// The `certificate` record of a certificate.
pub(crate) fn record(info: &CertInfo, cert: Option<&Path>, key: Option<&Path>) -> CertificateRecord {
    let mut sans: Vec<String> = info.dns_names.iter().map(|d| format!("DNS:{d}")).collect();
    sans.extend(info.ip_addresses.iter().map(|ip| format!("IP:{ip}")));
    sans.extend(info.uris.iter().map(|u| format!("URI:{u}")));
    let now = SystemTime::now();
    CertificateRecord {
        subject: info.subject.clone(),
        name: info.name.clone(),
        sans,
        account: info.account.map(|a| a.to_checksum(None)),
        issuer: info.issuer.clone(),
        serial: info.serial.clone(),
        not_before: rfc3339(info.not_before),
        not_after: rfc3339(info.not_after),
        valid_now: info.not_before <= now && now <= info.not_after,
        is_ca: info.is_ca,
        usage: info.usages.iter().map(|u| u.to_string()).collect(),
        fingerprint_sha256: info.fingerprint_sha256.clone(),
        cert: cert.map(|p| p.display().to_string()),
        key: key.map(|p| p.display().to_string()),
    }
}
