//! `evlock-relay`: submits signed transactions to a Kaia JSON-RPC endpoint and writes their
//! receipts; makes raw JSON-RPC calls.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use alloy_primitives::B256;
use clap::{Args, Parser, Subcommand};
use serde_json::Value;

use super::common::{ConnectionArgs, connect, duration};
use crate::cli::docs::{command_help, tool_help};
use crate::cli::{GlobalArgs, InputArgs, Tool};
use crate::exit::{ExitCode, Failure};
use crate::relay::{Pipeline, Progress, RelayError, Submission, SubmitOptions, Submitter};
use crate::rpc::RpcClient;
use crate::wire::Output;
use crate::wire::{Envelope, ErrorRecord, OnError, RpcResultRecord, StreamOutcome, write_stderr};

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

# Fire and forget: records with status "pending" and the hash; --check then
# waits until every one is mined and exits non-zero if one reverted or never
# came
evlock-relay submit --no-wait < signed.ndjson
evlock-relay submit --no-wait --check < signed.ndjson

# A transaction signed by any other tool: a bare hex line, or a record with
# only `raw`
cast mktx --keystore meter.json --password-file meter.pw \
  --rpc-url "$EVLOCK_RPC_URL" 0x7b65…1d0 --value 1 | evlock-relay submit
echo '{"raw":"0x02f8…","meta":{"order":7}}' | evlock-relay submit

# Wait for 3 confirmations, at most 2 minutes per transaction
evlock-relay submit --confirmations 3 --timeout 2m < signed.ndjson
"#;

const RPC_EXAMPLES: &str = r#"
# The chain's height, and an account's balance
evlock-relay rpc --rpc http://127.0.0.1:8551/ eth_blockNumber
evlock-relay rpc --rpc http://127.0.0.1:8551/ eth_getBalance \
  '["0xa94f5374Fce5edBC8E2a8697C15331677e6EbF0B","latest"]'
"#;

/// Submit signed transactions to a Kaia node and write their receipts; make raw JSON-RPC calls;
/// link an operator and its meters over mutual TLS (`listen`, `connect`).
///
/// `submit` reads signed transactions (`signed_tx` records from `evlock-sign`, records with
/// only `raw`, or bare hex lines from any other signer) and writes one `receipt` record per
/// transaction, in input order. The bytes are the truth: type, hash, sender, fee payer, nonce
/// and chain id are decoded from them, and a record whose fields disagree is refused, naming
/// the field. Kaia-native types go through `kaia_sendRawTransaction`, legacy and EIP-2718
/// typed ones (`0x01…`, `0x02…`; Kaia's `0x78` envelope is taken off) through
/// `eth_sendRawTransaction`, so it works with Kaia and with any Ethereum node. Each
/// transaction is sent as soon as it is read, and the receipts of those in flight are
/// collected together; each hash is printed on stderr as soon as the node has it. A reverted
/// transaction still gets its receipt record (`status: reverted`, with the contract's reason
/// from the receipt, or from replaying the call at its block when the node gives none); the
/// exit code is then 1, after the whole stream.
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
    /// Send signed transactions (stdin: `signed_tx` records, records with `raw`, or hex lines)
    /// and write a `receipt` record for each.
    #[command(after_long_help = command_help(SUBMIT_EXAMPLES, ""))]
    Submit(SubmitArgs),
    /// The operator's end of the mutual-TLS link to its meters: records from meters to
    /// stdout (with meta.peer), records from stdin to the meter their meta.to names.
    Listen(Box<super::relay_link::ListenArgs>),
    /// A meter's end of the link: stdin to the operator, what the operator sends to stdout
    /// (or through --exec CMD).
    Connect(Box<super::relay_link::ConnectArgs>),
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
    /// With --no-wait: after the stream, wait (up to --timeout each) until every transaction
    /// is mined; exit 1 if one reverted, 4 if one was not mined in time.
    #[arg(long, requires = "no_wait")]
    check: bool,
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
            return Err(Failure::usage(
                "a command is needed: `submit`, `rpc`, `listen` or `connect` (see --help)",
            ));
        };
        let command = match command {
            Command::Listen(args) => return super::relay_link::listen(*args, out),
            Command::Connect(args) => return super::relay_link::connect(*args, out),
            command => command,
        };
        let client = connect(&self.connection)?;
        match command {
            Command::Submit(args) => submit(&client, args, &self.globals, out),
            Command::Listen(_) | Command::Connect(_) => unreachable!("handled above"),
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
    if std::io::stdin().is_terminal() {
        log::warn!("reading signed transactions from the terminal; end with Ctrl-D");
    }
    let submitter = Submitter::new(client, options);
    let mut watcher = Watcher::new(globals.quiet == 0);
    let stop_on_error = args.input.on_error == OnError::Stop;

    // The input is read and decoded on a thread of its own, so transactions are sent as they
    // come while the receipts of those in flight are collected here.
    let (sender, inbox) = std::sync::mpsc::sync_channel::<(u64, Submission)>(1024);
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (input, stop) = (args.input.clone(), stop.clone());
        std::thread::spawn(move || -> Result<StreamOutcome, Failure> {
            let mut sink = Output::to_writer(std::io::sink(), false);
            input.stream(std::io::stdin()).with_bare_words().run_until(&mut sink, |value: Value, line, _| {
                let submission = Submission::from_input(value)?;
                if stop.load(Ordering::Relaxed) || sender.send((line, submission)).is_err() {
                    return Ok(ControlFlow::Break(()));
                }
                Ok(ControlFlow::Continue(()))
            })
        })
    };

    let mut pipeline = Pipeline::new(&submitter);
    let mut tally = Tally::new();
    let mut fail = |tally: &mut Tally, line: u64, meta: Option<Value>, error: RelayError| {
        let failure = Failure::from(error);
        tally.exit = tally.exit.max(failure.exit);
        tally.failed += 1;
        let record = ErrorRecord::from_failure(&failure).at_line(line).with_meta(meta);
        write_stderr(&format!("{}\n", serde_json::to_string(&Envelope::new(&record)).unwrap_or_default()));
        if stop_on_error {
            stop.store(true, Ordering::Relaxed);
        }
    };
    let mut open = true;
    let mut unmined = Vec::new();
    loop {
        let stopped = stop.load(Ordering::Relaxed);
        if pipeline.len() >= MAX_IN_FLIGHT {
            // Enough in flight: let the chain catch up before reading more.
            std::thread::sleep(pipeline.pause());
            collect(&mut pipeline, &mut tally, &mut fail, args.no_wait, out)?;
            continue;
        }
        let next = if !open || stopped {
            None
        } else if pipeline.is_empty() {
            inbox.recv().ok()
        } else {
            match inbox.recv_timeout(pipeline.pause()) {
                Ok(item) => Some(item),
                Err(RecvTimeoutError::Timeout) => {
                    collect(&mut pipeline, &mut tally, &mut fail, args.no_wait, out)?;
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => None,
            }
        };
        let Some((line, submission)) = next else {
            open = false;
            if pipeline.is_empty() {
                break;
            }
            std::thread::sleep(pipeline.pause());
            collect(&mut pipeline, &mut tally, &mut fail, args.no_wait, out)?;
            continue;
        };
        tally.sent += 1;
        if !args.no_wait {
            let meta = submission.meta.clone();
            if let Err(error) = pipeline.send(line, submission, &mut watcher) {
                tally.sent -= 1;
                fail(&mut tally, line, meta, error);
            }
            continue;
        }
        match submitter.send(&submission, &mut watcher) {
            Ok(hash) => {
                out.emit(&submitter.receipt_record(hash, None, submission.clone()))?;
                if args.check {
                    pipeline.track(line, submission, hash);
                } else {
                    unmined.push(hash);
                }
            }
            Err(error) => {
                tally.sent -= 1;
                fail(&mut tally, line, submission.meta.clone(), error);
            }
        }
    }
    watcher.done();
    // Without --check, one look says how many are in a block already (for the summary only:
    // the exit code of a fire-and-forget run does not wait for the chain).
    let judged = tally;
    for hash in unmined {
        match client.get_transaction_receipt(hash) {
            Ok(Some(receipt)) => tally.count(receipt.success),
            Ok(None) => {}
            Err(error) => log::warn!("cannot look up {hash}: {error}"),
        }
    }
    let stream = if stop.load(Ordering::Relaxed) {
        // The reader may be blocked on a pipe that never ends: it is left to the exit.
        None
    } else {
        Some(reader.join().map_err(|_| Failure::usage("the input reader panicked"))??)
    };
    let mut exit = if judged.reverted > 0 { judged.exit.max(ExitCode::No) } else { judged.exit };
    if let Some(stream) = stream {
        exit = exit.max(stream.exit);
        tally.failed += stream.failed;
    }
    let pending = tally.sent - tally.mined;
    let mut summary = format!("{} sent, {} mined", tally.sent, tally.mined);
    if tally.reverted > 0 {
        summary.push_str(&format!(" ({} reverted)", tally.reverted));
    }
    if pending > 0 {
        summary.push_str(&format!(", {pending} not mined yet"));
    }
    if tally.failed > 0 {
        summary.push_str(&format!(", {} failed", tally.failed));
    }
    if args.no_wait && !args.check && pending > 0 {
        summary.push_str(" (--check waits for them)");
    }
    if globals.quiet == 0 {
        Watcher::write(&format!("{}: {summary}\n", Relay::NAME));
    }
    Ok(exit)
}

/// The most transactions sent and waiting for their receipts; the input waits beyond it.
const MAX_IN_FLIGHT: usize = 4096;

/// What happened to the stream's transactions.
#[derive(Clone, Copy)]
struct Tally {
    sent: u64,
    mined: u64,
    reverted: u64,
    failed: u64,
    exit: ExitCode,
}

impl Tally {
    fn new() -> Self {
        Tally { sent: 0, mined: 0, reverted: 0, failed: 0, exit: ExitCode::Success }
    }

    fn count(&mut self, success: bool) {
        self.mined += 1;
        if !success {
            self.reverted += 1;
        }
    }
}

/// One round of receipt polls; writes the finished receipts (with --no-wait they were written
/// as `pending` already, and are only counted).
fn collect(
    pipeline: &mut Pipeline<'_, '_>,
    tally: &mut Tally,
    fail: &mut impl FnMut(&mut Tally, u64, Option<Value>, RelayError),
    counted_only: bool,
    out: &mut Output,
) -> Result<(), Failure> {
    for outcome in pipeline.collect()? {
        match outcome.result {
            Ok(receipt) => {
                tally.count(receipt.status == "success");
                if receipt.status == "reverted" {
                    let reason =
                        receipt.revert_reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
                    log::warn!("{} reverted{reason}", receipt.hash);
                }
                if !counted_only {
                    out.emit(&receipt)?;
                }
            }
            Err(error) => fail(tally, outcome.tag, outcome.meta, error),
        }
    }
    Ok(())
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
