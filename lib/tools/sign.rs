//! `evlock-sign`: signs Kaia transactions from `tx` records under a signing policy.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde_json::Value;

use super::common::TokenArgs;
use crate::audit::AuditLog;
use crate::cli::docs::{command_help, tool_help};
use crate::cli::{GlobalArgs, InputArgs, Tool};
use crate::exit::{ExitCode, Failure};
use crate::kaia::Transaction;
use crate::kaia::{KeyRole, RawForm, TxType};
use crate::keys::password::PasswordSource;
use crate::policy::Policy;
use crate::signer::session::{Role, Session};
use crate::signer::{AccountKeys, KeyUri};
use crate::wire::{Envelope, LineRead, OnError, Record, read_line_capped, write_stderr};
use crate::wire::{Output, address_arg};

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

# A key that never leaves its device: TrustZone (OP-TEE), or an HSM through
# PKCS#11
evlock-sign --key optee:meter-1 < tx.ndjson
evlock-sign --role fee-payer \
  --key 'pkcs11:token=operator;object=fee-payer' \
  --pkcs11-module /usr/lib/softhsm/libsofthsm2.so --pin-file op.pin \
  < signed.ndjson

# A 2-of-3 multisig account: two keystores (or backends) sign
# together, one password file each
evlock-sign --key alice.json --password-file alice.pw \
  --key bob.json --password-file bob.pw < tx.ndjson

# ... or one after the other: the second adds its signature to the
# first one's signed_tx
evlock-sign --key alice.json --password-file alice.pw \
  < tx.ndjson > half.ndjson
evlock-sign --key bob.json --password-file bob.pw < half.ndjson \
  | evlock-relay submit

# A key that signs for an account it is not the address of (a
# decoupled, multisig or role-based account)
evlock-sign --key optee:meter-1 \
  --account 0x5A0043070275d9f6054307Ee7348bD660849D90f

# A test bench signs an EnergyMarketV2 delivery receipt (allow_receipts)
r='{"kind":"delivery_receipt","v":1,"trade_id":"1","cumulative_wh":"120"'
r+=',"market":"0x5FbDB2315678afecb367f032d93F642f64180aa3"}'
echo "$r" | evlock-sign --key meter.json --password-file pw.txt \
  --chain-id 31337 --policy bench.toml

# What is inside a raw transaction, and who signed it?
evlock-sign decode 0x08f87a…
"#;

const NOTES: &str = "\
Which keys sign: the sender's step signs with the account's RoleTransaction keys (its
RoleAccountUpdate keys for an account_update), the fee payer's step with its RoleFeePayer
keys; a v3 keystore or a hardware key has one key for every role, a KIP-3 keystore one list per
role. Every key of the role signs, and the signatures are appended in signing order: those the
transaction has already, then each --key in the order given, each keystore's keys in keyring
order. A signed_tx of a Kaia type whose sender (or fee payer) is this account takes more
signatures; a key already in the list does not sign again. A node counts the keys and ignores
the order, but the order is part of the bytes and the hash (as with Kaia's SDK, where each
signTransaction appends).

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
    keys: AccountKeyArgs,
    #[command(flatten)]
    input: InputArgs,
}

/// The keys of one account, from one or several sources, and their passwords.
#[derive(Debug, Args)]
#[command(next_help_heading = "Key")]
struct AccountKeyArgs {
    /// The key: a keystore path or `keystore:PATH`, `optee:SLOT` (a TrustZone key; with the
    /// optee feature), or `pkcs11:token=LABEL;object=LABEL` (a key on a PKCS#11 token). Give
    /// it again to sign with the keys of several sources for one (multisig) account.
    #[arg(long, value_name = "URI", required_unless_present = "generate")]
    key: Vec<String>,
    /// The account the keys sign for, when their source does not name it: a hardware key or a
    /// plain keystore of a decoupled or multisig account (default: the account the keystore
    /// names, or the key's own address).
    #[arg(long, value_name = "ADDRESS", value_parser = address_arg)]
    account: Option<alloy_primitives::Address>,
    /// File holding the keystore password (one trailing newline is ignored). Once for every
    /// keystore, or once per --key, in the same order.
    #[arg(long, env = "EVLOCK_PASSWORD_FILE", hide_env_values = true, value_name = "FILE")]
    password_file: Vec<PathBuf>,
    /// Never prompt: fail when something must be asked that no option or file answers.
    #[arg(long)]
    no_input: bool,
    #[command(flatten)]
    token: TokenArgs,
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
    if args.keys.key.is_empty() {
        return Err(Failure::usage("--key is required to sign (see --help)"));
    }
    let uris: Vec<KeyUri> = args.keys.key.iter().map(|key| key.parse()).collect::<Result<_, _>>()?;
    if args.keys.password_file.len() > 1 && args.keys.password_file.len() != uris.len() {
        return Err(Failure::usage(format!(
            "--password-file is given {} times for {} --key: give it once for all, or once per --key",
            args.keys.password_file.len(),
            uris.len()
        )));
    }
    // Everything that can fail on its own is checked before the key is unlocked.
    let policy = args.policy.as_deref().map(Policy::load).transpose()?;
    let audit = args.audit_log.as_deref().map(AuditLog::open).transpose()?;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        log::warn!("reading tx records from the terminal; end with Ctrl-D");
    }
    let roles: &[KeyRole] = match args.role {
        Role::Sender => &[KeyRole::Transaction, KeyRole::AccountUpdate],
        Role::FeePayer => &[KeyRole::FeePayer],
    };
    let mut keys: Option<AccountKeys> = None;
    for (index, uri) in uris.iter().enumerate() {
        let password = PasswordSource {
            file: args.keys.password_file.get(index).or(args.keys.password_file.first()).cloned(),
            no_input: args.keys.no_input,
            flag: "--password-file",
        };
        let mut opened = uri.open_account(&args.keys.token.access(password), roles)?;
        if let Some(account) = args.keys.account {
            opened = opened.for_account(account)?;
        }
        keys = Some(match keys {
            None => opened,
            Some(held) => held.combine(opened)?,
        });
    }
    let keys = keys.expect("at least one --key");
    let key_role = if args.role == Role::Sender { KeyRole::Transaction } else { KeyRole::FeePayer };
    let key_addresses: Vec<String> = keys.addresses(key_role).iter().map(|a| a.to_checksum(None)).collect();
    let mut session = Session::new(keys, args.role, args.chain_id, policy, audit);
    log::info!(
        "signing as {} ({}) with the keys of {}",
        session.address(),
        args.role.as_str(),
        key_addresses.join(", ")
    );
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

/// A decoded transaction: its `tx` JSON plus who signed it, the form of the bytes and their
/// hash.
#[derive(serde::Serialize)]
struct Decoded {
    #[serde(flatten)]
    tx: serde_json::Map<String, Value>,
}

impl Record for Decoded {
    const KIND: &'static str = "tx";
}

fn decoded(raw: &str) -> Result<Decoded, Failure> {
    let bytes = hex::decode(raw.trim().trim_start_matches("0x"))
        .map_err(|e| crate::signer::session::SignError::BadRaw(e.to_string()))?;
    let tx = Transaction::decode_raw(&bytes)?;
    let Value::Object(mut fields) = tx.to_json_value() else { unreachable!("transactions are JSON objects") };
    let checksum = |keys: Vec<crate::kaia::CompressedPubkey>| -> Vec<Value> {
        keys.iter().map(|k| Value::String(k.address().to_checksum(None))).collect()
    };
    if tx.has_sender_signature() {
        let signers = checksum(tx.recover_sender_keys()?);
        fields.insert("sender".into(), signers[0].clone());
        if tx.from_address().is_none() {
            fields.insert("from".into(), signers[0].clone());
        }
        if signers.len() > 1 {
            fields.insert("signers".into(), Value::Array(signers));
        }
    }
    if tx.has_fee_payer_signature() {
        let signers = checksum(tx.recover_fee_payer_keys()?);
        fields.insert("fee_payer_signer".into(), signers[0].clone());
        if signers.len() > 1 {
            fields.insert("fee_payer_signers".into(), Value::Array(signers));
        }
    }
    fields.insert("form".into(), Value::String(form_of(&bytes, &tx).into()));
    // The hash of the bytes given, as a node hashes what it is sent (a sender-only
    // fee-delegated raw has its final hash once the fee payer has signed; an enveloped
    // Ethereum type is known to nodes by the hash of its plain form, its sender_tx_hash).
    fields.insert("hash".into(), Value::String(alloy_primitives::keccak256(&bytes).to_string()));
    fields.insert("sender_tx_hash".into(), Value::String(tx.sender_tx_hash()?.to_string()));
    Ok(Decoded { tx: fields })
}

/// Which form raw bytes are in: `legacy`, `plain` (EIP-2718 typed), `kaia_envelope` (Kaia's
/// `0x78` in front), `kaia_native`, or for a fee-delegated Kaia type `sender_only` (no fee
/// payer signature yet) or `complete`.
fn form_of(bytes: &[u8], tx: &Transaction) -> &'static str {
    match RawForm::of(bytes) {
        RawForm::Legacy => "legacy",
        RawForm::Typed(_) => "plain",
        RawForm::Enveloped(_) => "kaia_envelope",
        _ if tx.tx_type().is_fee_delegated() => {
            if tx.has_fee_payer_signature() {
                "complete"
            } else {
                "sender_only"
            }
        }
        _ if matches!(tx.tx_type(), TxType::Kaia(..)) => "kaia_native",
        _ => "unknown",
    }
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
