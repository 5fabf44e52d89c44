//! `evlock-relay`: submits signed transactions to a Kaia JSON-RPC endpoint and writes their
//! receipts; makes raw JSON-RPC calls.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use alloy_primitives::B256;
use clap::{Args, Parser, Subcommand};
use serde_json::Value;

use super::common::{ConnectionArgs, connect, duration};
use crate::cli::docs::{command_help, tool_help};
use crate::cli::{GlobalArgs, InputArgs, Tool};
use crate::exit::{ExitCode, Failure};
use crate::relay::{Progress, SubmitOptions, Submitter};
use crate::rpc::RpcClient;
use crate::wire::Output;
use crate::wire::{RpcResultRecord, SignedTxRecord};

const EXAMPLES: &str = r#"
# Sign and submit, one receipt record per transaction
evlock-trade settle --trade 7 --from "$OPERATOR" \
  | evlock-sign --key op.json --password-file pw.txt \
  | evlock-relay submit --rpc http://127.0.0.1:8551/

# One raw call (the endpoint may also come from EVLOCK_RPC_URL)
export EVLOCK_RPC_URL=http://127.0.0.1:8551/
evlock-relay rpc eth_getBalance \
  '["0xa94f5374Fce5edBC8E2a8697C15331677e6EbF0B","latest"]'
"#;

const NOTES: &str = "\
Running the same input twice never sends a transaction twice: a node that already has it (or a
chain that already holds it) counts as sent, and the relay waits for its receipt.

A transaction that reverts or that the node refuses (invalid signature, nonce too low,
insufficient funds, wrong chain id) makes the exit code 1, after the whole stream: an `error`
record on stderr carries the node's code and message. Exit 4 when the node cannot be reached
after retries, answers badly, fails TLS, or gives no receipt in time.";

const SUBMIT_EXAMPLES: &str = r#"
# Sign and submit, one receipt record per transaction
evlock-sign --key op.json --password-file pw.txt < txs.ndjson \
  | evlock-relay submit --rpc http://127.0.0.1:8551/

# A node behind TLS (a private CA, a client certificate) and a fallback
evlock-relay submit --rpc https://node-a.example:8651 \
  --rpc https://node-b.example:8651 --ca-cert operator-ca.pem \
  --client-cert meter.pem --client-key meter.key < signed.ndjson

# Fire and forget: records with status "pending" and the hash
evlock-relay submit --no-wait < signed.ndjson

# Wait for 3 confirmations, at most 2 minutes per transaction
evlock-relay submit --confirmations 3 --timeout 2m < signed.ndjson
"#;

const RPC_EXAMPLES: &str = r#"
# The chain's height, and an account's balance
evlock-relay rpc --rpc http://127.0.0.1:8551/ eth_blockNumber
evlock-relay rpc --rpc http://127.0.0.1:8551/ eth_getBalance \
  '["0xa94f5374Fce5edBC8E2a8697C15331677e6EbF0B","latest"]'
"#;

/// Submit signed transactions to a Kaia node and write their receipts; make raw JSON-RPC calls.
///
/// `submit` reads `signed_tx` records (from `evlock-sign`) and writes one `receipt` record per
/// transaction. Kaia-native types go through `kaia_sendRawTransaction`, legacy and
/// Ethereum-typed ones through `eth_sendRawTransaction`. Each hash is printed on stderr as
/// soon as the node has the transaction. A reverted transaction still gets its receipt record
/// (`status: reverted`); the exit code is then 1, after the whole stream.
#[derive(Debug, Parser)]
#[command(name = "evlock-relay", version, after_long_help = tool_help(EXAMPLES, NOTES), arg_required_else_help = true)]
pub struct Relay {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    connection: ConnectionArgs,
    #[command(flatten)]
    globals: GlobalArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Send `signed_tx` records (stdin) and write a `receipt` record for each.
    #[command(after_long_help = command_help(SUBMIT_EXAMPLES, ""))]
    Submit(SubmitArgs),
    /// Make one JSON-RPC call and write its result as an `rpc_result` record.
    #[command(after_long_help = command_help(RPC_EXAMPLES, ""))]
    Rpc {
        /// The method, e.g. `eth_blockNumber`.
        method: String,
        /// The parameters: a JSON array or object (default `[]`).
        params: Option<String>,
    },
}

#[derive(Debug, Args)]
struct SubmitArgs {
    /// Wait for each receipt (the default).
    #[arg(long, overrides_with = "no_wait")]
    wait: bool,
    /// Do not wait: write a record with the hash and `status: pending`.
    #[arg(long, overrides_with = "wait")]
    no_wait: bool,
    /// How long to wait for each receipt (and its confirmations), e.g. `30s`, `2m`.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = duration)]
    timeout: Duration,
    /// Blocks that must hold or follow the transaction's block (1: once it is in a block).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    confirmations: u64,
    /// The longest pause between two receipt polls (polling starts at 25 ms and slows down).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = duration)]
    poll: Duration,
    #[command(flatten)]
    input: InputArgs,
}

impl Tool for Relay {
    const NAME: &'static str = "evlock-relay";
    const SEE_ALSO: &'static [&'static str] = &["evlock-sign", "evlock-trade", "evlock-devnet"];

    fn globals(&self) -> &GlobalArgs {
        &self.globals
    }

    fn run(self, out: &mut Output) -> Result<ExitCode, Failure> {
        let Some(command) = self.command else {
            return Err(Failure::usage("a command is needed: `submit` or `rpc` (see --help)"));
        };
        let client = connect(&self.connection)?;
        match command {
            Command::Submit(args) => submit(&client, args, &self.globals, out),
            Command::Rpc { method, params } => {
                let params = match params.as_deref() {
                    None => Value::Array(Vec::new()),
                    Some(text) => match serde_json::from_str::<Value>(text) {
                        Ok(value @ (Value::Array(_) | Value::Object(_))) => value,
                        Ok(_) => return Err(Failure::usage("PARAMS must be a JSON array or object")),
                        Err(e) => return Err(Failure::usage(format!("PARAMS is not JSON: {e}"))),
                    },
                };
                let result = client.call(&method, params)?;
                out.emit(&RpcResultRecord { method, result })?;
                Ok(ExitCode::Success)
            }
        }
    }
}

fn submit(
    client: &RpcClient,
    args: SubmitArgs,
    globals: &GlobalArgs,
    out: &mut Output,
) -> Result<ExitCode, Failure> {
    let options = SubmitOptions {
        wait: !args.no_wait,
        timeout: args.timeout,
        confirmations: args.confirmations,
        poll: args.poll,
    };
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        log::warn!("reading signed_tx records from the terminal; end with Ctrl-D");
    }
    let submitter = Submitter::new(client, options);
    let mut watcher = Watcher::new(globals.quiet == 0);
    let mut reverted = 0u64;
    let outcome = args.input.stream(stdin.lock()).run(out, |record: SignedTxRecord, _, out| {
        let receipt = submitter.submit(record, &mut watcher)?;
        if receipt.status == "reverted" {
            reverted += 1;
            let reason = receipt.revert_reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
            log::warn!("{} reverted{reason}", receipt.hash);
        }
        out.emit(&receipt).map_err(Failure::from)
    })?;
    log::info!("{} submitted, {} reverted, {} failed", outcome.processed, reverted, outcome.failed);
    let exit = if reverted > 0 { outcome.exit.max(ExitCode::No) } else { outcome.exit };
    Ok(exit)
}

/// Hash lines on stderr as transactions are sent, and a spinner while waiting when stderr is
/// a terminal.
struct Watcher {
    report: bool,
    spinner: bool,
    frame: usize,
    drawn: bool,
}

impl Watcher {
    fn new(report: bool) -> Self {
        Watcher { report, spinner: report && std::io::stderr().is_terminal(), frame: 0, drawn: false }
    }

    fn write(text: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(text.as_bytes());
        let _ = stderr.flush();
    }
}

impl Progress for Watcher {
    fn sent(&mut self, hash: &B256, already_known: bool) {
        if self.report {
            let note = if already_known { " (already known to the node, not sent again)" } else { "" };
            Watcher::write(&format!("{}: sent {hash}{note}\n", Relay::NAME));
        }
    }

    fn waiting(&mut self, hash: &B256, elapsed: Duration) {
        if self.spinner {
            const FRAMES: [char; 4] = ['|', '/', '-', '\\'];
            self.frame = (self.frame + 1) % FRAMES.len();
            let short = hash.to_string();
            Watcher::write(&format!(
                "\r{} waiting for {}… {:.1}s\x1b[K",
                FRAMES[self.frame],
                &short[..10],
                elapsed.as_secs_f64()
            ));
            self.drawn = true;
        }
    }

    fn done(&mut self) {
        if self.drawn {
            Watcher::write("\r\x1b[K");
            self.drawn = false;
        }
    }
}
