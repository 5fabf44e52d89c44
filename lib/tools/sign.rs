//! `evlock-sign`: signs Kaia transactions from `tx` records under a signing policy.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde_json::Value;

use super::common::KeyArgs;
use crate::audit::AuditLog;
use crate::cli::docs::{command_help, tool_help};
use crate::cli::{GlobalArgs, InputArgs, Tool};
use crate::exit::{ExitCode, Failure};
use crate::kaia::Transaction;
use crate::policy::Policy;
use crate::signer::session::{Role, Session, decode_hex_tx};
use crate::wire::Output;
use crate::wire::{Envelope, LineRead, OnError, Record, read_line_capped, write_stderr};

const EXAMPLES: &str = r#"
# Sign a value transfer (a tx record in, a signed_tx record out)
tx='{"kind":"tx","v":1,"type":"value_transfer","chain_id":"31337"'
tx+=',"nonce":"0","gas":"21000","gas_price":"25000000000","value":"1000"'
tx+=',"to":"0x7b65B75d204aBed71587c9E519a89277766EE1d0"}'
echo "$tx" | evlock-sign --key keys/meter.json --password-file pw.txt

# Fee delegation: the meter signs, the operator pays the gas
evlock-sense --device sim:home --switch sim:home \
  | evlock-trade report --trade 7 --from "$METER" --fee-payer "$OPERATOR" \
  | evlock-sign --key meter.json --password-file meter.pw \
  | evlock-sign --role fee-payer --key operator.json --password-file op.pw \
      --policy operator.toml | evlock-relay submit

# Only what the policy allows; every request in the audit log
evlock-sign --key meter.json --password-file pw.txt --chain-id 1001 \
  --policy examples/policies/meter.toml --audit-log audit.ndjson \
  < txs.ndjson > signed.ndjson

# A test bench signs an EnergyMarketV2 delivery receipt (allow_receipts)
r='{"kind":"delivery_receipt","v":1,"trade_id":"1","cumulative_wh":"120"'
r+=',"market":"0x5FbDB2315678afecb367f032d93F642f64180aa3"}'
echo "$r" | evlock-sign --key meter.json --password-file pw.txt \
  --chain-id 31337 --policy bench.toml

# What is inside a raw transaction, and who signed it?
evlock-sign decode 0x08f87a…
"#;

const NOTES: &str = "\
A record denied by the policy gets an `error` record (`policy_denied`) on stderr and exit 1;
the stream goes on or stops as --on-error says.";

const DECODE_EXAMPLES: &str = r#"
# One raw transaction from the command line
evlock-sign decode 0x08f87a…

# Every signed_tx record of a file (its `raw`), or hex lines
evlock-sign decode < signed.ndjson
"#;

/// Sign Kaia transactions: reads `tx` records, writes `signed_tx` records.
///
/// Unlocks the key once, then streams. Every transaction type of Kaia is supported, including
/// fee delegation: `--role sender` signs a `tx` record, `--role fee-payer` adds the fee payer's
/// signature to a sender-signed `signed_tx` record. With --policy, each request is checked
/// before it is signed; with --audit-log, each request is appended and fsynced before its
/// signature is written. EnergyMarketV2 `delivery_receipt` records are signed only under a
/// policy with `allow_receipts` for their market (a technician's test bench: in the field a
/// meter signs receipts from its own readings, never from figures piped to it).
#[derive(Debug, Parser)]
#[command(
    name = "evlock-sign",
    version,
    after_long_help = tool_help(EXAMPLES, NOTES),
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Sign {
    #[command(flatten)]
    signing: SigningArgs,
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    globals: GlobalArgs,
}

#[derive(Debug, Args)]
struct SigningArgs {
    /// Whose signature to add.
    #[arg(long, value_enum, default_value_t = Role::Sender)]
    role: Role,
    /// Refuse transactions for any other chain id; fills chain_id where a record has none.
    #[arg(long, value_name = "ID")]
    chain_id: Option<u64>,
    /// A signing policy (TOML) every request must pass.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Append one NDJSON line per request (approved or denied), fsynced before signing output.
    #[arg(long, value_name = "FILE")]
    audit_log: Option<PathBuf>,
    #[command(flatten)]
    key: KeyArgs,
    #[command(flatten)]
    input: InputArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode raw transactions (an argument, or stdin: hex lines or records with `raw`).
    #[command(after_long_help = command_help(DECODE_EXAMPLES, ""))]
    Decode {
        /// A raw transaction in 0x-hex; without it, stdin is read.
        raw: Option<String>,
        #[command(flatten)]
        input: InputArgs,
    },
}

impl Tool for Sign {
    const NAME: &'static str = "evlock-sign";
    const SEE_ALSO: &'static [&'static str] = &["evlock-keygen", "evlock-trade", "evlock-relay"];

    fn globals(&self) -> &GlobalArgs {
        &self.globals
    }

    fn run(self, out: &mut Output) -> Result<ExitCode, Failure> {
        match self.command {
            Some(Command::Decode { raw: Some(raw), .. }) => {
                out.emit(&decoded(&raw)?)?;
                Ok(ExitCode::Success)
            }
            Some(Command::Decode { raw: None, input }) => decode_stream(&input, out),
            None => sign_stream(self.signing, out),
        }
    }
}

fn sign_stream(args: SigningArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let uri = args.key.uri()?;
    // Everything that can fail on its own is checked before the key is unlocked.
    let policy = args.policy.as_deref().map(Policy::load).transpose()?;
    let audit = args.audit_log.as_deref().map(AuditLog::open).transpose()?;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        log::warn!("reading tx records from the terminal; end with Ctrl-D");
    }
    let signer = uri.open(&args.key.password.source())?;
    let mut session = Session::new(signer, args.role, args.chain_id, policy, audit);
    log::info!("signing as {} ({})", session.address(), args.role.as_str());
    let outcome = args.input.stream(stdin.lock()).run(out, |record: Value, line, out| {
        if Session::is_receipt(&record) {
            let signed = session.sign_receipt(record, line)?;
            return out.emit(&signed).map_err(Failure::from);
        }
        let signed = session.sign_record(record, line)?;
        out.emit(&signed).map_err(Failure::from)
    })?;
    log::info!("{} signed, {} failed", outcome.processed, outcome.failed);
    Ok(outcome.exit)
}

/// A decoded transaction: its `tx` JSON plus who signed it.
#[derive(serde::Serialize)]
struct Decoded {
    #[serde(flatten)]
    tx: serde_json::Map<String, Value>,
}

impl Record for Decoded {
    const KIND: &'static str = "tx";
}

fn decoded(raw: &str) -> Result<Decoded, Failure> {
    let tx: Transaction = decode_hex_tx(raw)?;
    let Value::Object(mut fields) = tx.to_json_value() else { unreachable!("transactions are JSON objects") };
    if tx.has_sender_signature() {
        fields.insert("sender".into(), Value::String(tx.recover_sender()?.to_checksum(None)));
        if tx.from_address().is_none() {
            fields.insert("from".into(), Value::String(tx.recover_sender()?.to_checksum(None)));
        }
    }
    if tx.has_fee_payer_signature() {
        fields.insert("fee_payer_signer".into(), Value::String(tx.recover_fee_payer()?.to_checksum(None)));
    }
    fields.insert("hash".into(), Value::String(tx.tx_hash()?.to_string()));
    fields.insert("sender_tx_hash".into(), Value::String(tx.sender_tx_hash()?.to_string()));
    Ok(Decoded { tx: fields })
}

fn decode_stream(input: &InputArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let mut stdin = std::io::stdin().lock();
    let mut exit = ExitCode::Success;
    let mut line = Vec::new();
    let mut line_no = 0u64;
    loop {
        let read = read_line_capped(&mut stdin, &mut line, input.max_line)
            .map_err(|e| Failure::new(ExitCode::Usage, "input", e))?;
        let raw = match read {
            LineRead::End => break,
            LineRead::TooLong { skipped, .. } => {
                line_no += 1;
                Err(Failure::new(
                    ExitCode::Usage,
                    "line_too_long",
                    format!("the line has more than {} bytes ({skipped}); raise --max-line", input.max_line),
                ))
            }
            LineRead::Line { .. } => {
                line_no += 1;
                match std::str::from_utf8(&line).map(str::trim) {
                    Ok("") => continue,
                    Ok(text) if text.starts_with('{') => match serde_json::from_str::<Value>(text) {
                        Ok(Value::Object(record)) => crate::wire::check_record(&record, &["signed_tx", "tx"])
                            .map_err(Failure::from)
                            .map(|()| {
                                record.get("raw").and_then(Value::as_str).unwrap_or_default().to_string()
                            }),
                        _ => Ok(String::new()),
                    },
                    Ok(text) => Ok(text.trim_matches('"').to_string()),
                    Err(_) => Err(Failure::new(ExitCode::Usage, "bad_input", "not UTF-8 text")),
                }
            }
        };
        match raw.and_then(|raw| decoded(&raw)) {
            Ok(record) => out.emit(&record)?,
            Err(failure) if failure.exit == ExitCode::Success => return Err(failure),
            Err(failure) => {
                exit = exit.max(failure.exit);
                let record = crate::wire::ErrorRecord::from_failure(&failure).at_line(line_no);
                let mut text = serde_json::to_string(&Envelope::new(&record)).unwrap_or_default();
                text.push('\n');
                write_stderr(&text);
                if input.on_error == OnError::Stop {
                    break;
                }
            }
        }
    }
    Ok(exit)
}
