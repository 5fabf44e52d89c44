//! A meter's side (`evlock-relay connect`): dials the operator, sends its input and writes
//! what the operator routes to it; reconnects with exponential backoff and jitter, forever or
//! until `--give-up-after`. `--exec CMD` runs a command between the link's output and input.
//!
//! The state folder (`--spool DIR`) holds `spool.ndjson` (a [`Spool`] with one lane, `up`),
//! `received.ndjson` (the [`Marks`] of what the operator sent) and the lock.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::sync::{mpsc, watch};

use super::LinkError;
use super::deliver::{self, OutputFile, Verdict, output_position};
use super::frame::FRAME_OVERHEAD;
use super::input::{Input, Line, report};
use super::limits::Limits;
use super::session::{self, Ended, Endpoint, SessionOptions};
use super::store::{Item, LaneHandle, Marks, Spool, SpoolLimits, StateDir};
use super::tls;
use crate::exit::ExitCode;
use crate::wire::{OnError, Output};

/// The lane of a meter's spool.
pub const LANE: &str = "up";

/// Everything `connect` needs.
pub struct ConnectOptions {
    /// The operator, `HOST:PORT`.
    pub to: String,
    /// The name its certificate must carry.
    pub server_name: ServerName<'static>,
    /// The TLS configuration ([`tls::client_config`]).
    pub tls: Arc<ClientConfig>,
    /// The state folder.
    pub state: PathBuf,
    /// Record size, handshake and idle timeouts.
    pub limits: Limits,
    /// How much may wait in the spool before the input waits.
    pub spool: SpoolLimits,
    /// Give up after this long without a link (`None`: never).
    pub give_up_after: Option<Duration>,
    /// End once the input has ended and everything is acknowledged.
    pub exit_on_eof: bool,
    /// The first and the longest pause between attempts.
    pub retry: (Duration, Duration),
    /// What a bad input line does.
    pub on_error: OnError,
    /// Polled for a stop request (Ctrl-C, SIGTERM).
    pub stop_requested: fn() -> bool,
    /// The regular file the output goes to, if it is one (exact marks across kills).
    pub output_file: Option<OutputFile>,
    /// Fleet mode: the link through this MQTT broker instead of `to` ([`super::mqtt`]).
    pub broker: Option<super::mqtt::BrokerLink>,
}

/// A running `--exec` command: the link's output is its stdin, its stdout the link's input.
pub struct Exec {
    /// The child (`sh -c CMD`).
    pub child: Child,
    /// Its stdin, where received records go.
    pub stdin: ChildStdin,
    /// Its stdout, read as the link's input.
    pub input: Input,
}

/// Starts `sh -c COMMAND` for `--exec`.
pub fn spawn_exec(command: &str, max_record: usize) -> Result<Exec, LinkError> {
    let error = |source| LinkError::Exec { command: command.to_string(), source };
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(error)?;
    let stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    Ok(Exec { child, stdin, input: Input::from_reader(Box::new(stdout), max_record) })
}

/// The exit code of a finished `--exec` command, as one of ours.
pub fn exec_exit(status: std::process::ExitStatus) -> ExitCode {
    match status.code() {
        Some(0) => ExitCode::Success,
        Some(1) => ExitCode::No,
        Some(3) => ExitCode::Device,
        Some(4) => ExitCode::Network,
        Some(5) => ExitCode::Key,
        Some(130) | None => ExitCode::Interrupted,
        Some(_) => ExitCode::Usage,
    }
}

const INPUT_RUNNING: u8 = 0;
const INPUT_ENDED: u8 = 1;
const INPUT_STOPPED_BAD: u8 = 2;
const INPUT_FAILED: u8 = 3;

/// Runs the meter's side until it is stopped (130), gives up (4), or, with `exit_on_eof`, the
/// input has ended and every record is acknowledged (0; 2 when bad lines were reported).
pub fn connect<W: Write>(
    options: ConnectOptions,
    mut input: Input,
    out: &mut Output<W>,
) -> Result<ExitCode, LinkError> {
    super::install_provider();
    let dir = StateDir::open(&options.state)?;
    let (spool, marks) = dir.start(|dir| {
        let spool = Spool::open(&dir.file("spool.ndjson"), options.limits.max_record, options.spool)?;
        Ok((
            spool,
            Marks::open(&dir.file("received.ndjson"), output_position(options.output_file.as_ref())?)?,
        ))
    })?;
    let spool = Arc::new(spool);
    let lane = spool.lane(LANE)?;
    let marks = Arc::new(Mutex::new(marks));
    input.resume(&spool)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("evlock-link")
        .build()
        .map_err(|source| LinkError::Io { what: "cannot start the network runtime".into(), source })?;
    let (inbox, mut inbox_rx) = mpsc::channel(4096);
    let (stop_tx, stop) = watch::channel(false);
    let input_state = Arc::new(AtomicU8::new(INPUT_RUNNING));
    let bad_lines = Arc::new(AtomicBool::new(false));
    {
        let spool = spool.clone();
        let state = input_state.clone();
        let bad = bad_lines.clone();
        let on_error = options.on_error;
        std::thread::Builder::new()
            .name("evlock-link-input".into())
            .spawn(move || {
                let end = feed(input, &spool, on_error, &bad);
                state.store(end, Ordering::SeqCst);
            })
            .map_err(|source| LinkError::Io { what: "cannot start the input thread".into(), source })?;
    }
    let dialing = match options.broker {
        Some(link) => {
            let shared = link.resend_after.is_some();
            let context = super::mqtt::MeterContext {
                link,
                limits: options.limits.clone(),
                give_up_after: options.give_up_after,
                retry: options.retry,
                spool: spool.clone(),
                lane,
                marks: marks.clone(),
                inbox,
                stop,
            };
            if shared {
                runtime.spawn(super::mqtt::shared_meter_loop(context))
            } else {
                runtime.spawn(super::mqtt::meter_loop(context))
            }
        }
        None => runtime.spawn(dial_loop(DialContext {
            to: options.to.clone(),
            server_name: options.server_name,
            tls: options.tls,
            limits: options.limits.clone(),
            give_up_after: options.give_up_after,
            retry: options.retry,
            spool: spool.clone(),
            lane,
            marks: marks.clone(),
            inbox,
            stop,
        })),
    };

    let stop_requested = options.stop_requested;
    let mut interrupted = false;
    let mut stopping = false;
    let delivered = deliver::run(
        runtime.handle(),
        &mut inbox_rx,
        &marks,
        None,
        out,
        options.output_file.as_ref(),
        |_, record| Verdict::Write(record),
        || {
            if stopping {
                return;
            }
            if let Err(error) = spool.maintain() {
                log::error!("{}", crate::exit::error_chain(&error));
            }
            let state = input_state.load(Ordering::SeqCst);
            if stop_requested() {
                interrupted = true;
            } else if state == INPUT_RUNNING
                || (state == INPUT_ENDED && !options.exit_on_eof)
                || spool.pending(LANE) > 0
                || !spool.confirmed(LANE)
            {
                return;
            }
            stopping = true;
            if !interrupted {
                log::info!("the input has ended and every record is acknowledged: closing the link");
            }
            let _ = stop_tx.send(true);
        },
    );
    let _ = stop_tx.send(true);
    let dialed = runtime.block_on(async { tokio::time::timeout(Duration::from_secs(3), dialing).await });
    runtime.shutdown_timeout(Duration::from_millis(500));
    let delivered = delivered?;
    log::info!("{} records written, {} duplicates dropped", delivered.written, delivered.duplicates);
    if let Ok(Ok(Err(error))) = dialed {
        return Err(error);
    }
    let pending = spool.pending(LANE);
    if interrupted {
        if pending > 0 {
            log::warn!(
                "stopped with {pending} records not yet acknowledged: they are sent on the next start"
            );
        }
        return Ok(ExitCode::Interrupted);
    }
    Ok(match input_state.load(Ordering::SeqCst) {
        INPUT_FAILED => ExitCode::Usage,
        _ if bad_lines.load(Ordering::SeqCst) => ExitCode::Usage,
        _ => ExitCode::Success,
    })
}

/// Reads the input into the spool until it ends; returns how it ended.
fn feed(mut input: Input, spool: &Spool, on_error: OnError, bad: &AtomicBool) -> u8 {
    let file = input.file().is_some();
    loop {
        let lines = match input.next_batch(512) {
            Ok(lines) => lines,
            Err(error) => {
                log::error!("{}", crate::exit::error_chain(&error));
                return INPUT_FAILED;
            }
        };
        if lines.is_empty() {
            log::info!("the input has ended");
            return INPUT_ENDED;
        }
        let mut items = Vec::with_capacity(lines.len());
        let mut trailing = None;
        let mut stop = false;
        for line in lines {
            match line {
                Line::Record { record, end, .. } => {
                    items.push(Item {
                        lane: LANE.into(),
                        record: record.to_string(),
                        input_end: file.then_some(end),
                        from: None,
                    });
                    trailing = None;
                }
                Line::Bad { error, end } => {
                    report(&error);
                    bad.store(true, Ordering::SeqCst);
                    if on_error == OnError::Stop {
                        stop = true;
                        break;
                    }
                    trailing = Some(end);
                }
            }
        }
        if let Err(error) = spool.push(items, true) {
            log::error!("{}", crate::exit::error_chain(&error));
            return INPUT_FAILED;
        }
        if let (true, Some(end)) = (file, trailing)
            && let Err(error) = spool.note_input(end)
        {
            log::error!("{}", crate::exit::error_chain(&error));
            return INPUT_FAILED;
        }
        if stop {
            log::error!("the input stopped at a bad line (--on-error skip goes on)");
            return INPUT_STOPPED_BAD;
        }
    }
}

struct DialContext {
    to: String,
    server_name: ServerName<'static>,
    tls: Arc<ClientConfig>,
    limits: Limits,
    give_up_after: Option<Duration>,
    retry: (Duration, Duration),
    spool: Arc<Spool>,
    lane: LaneHandle,
    marks: Arc<Mutex<Marks>>,
    inbox: mpsc::Sender<session::Inbound>,
    stop: watch::Receiver<bool>,
}

/// A pause between `delay / 2` and `delay`, so a fleet that lost its operator does not come
/// back all at once.
pub fn jitter(delay: Duration) -> Duration {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    let fraction = (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64;
    delay.mul_f64(0.5 + 0.5 * fraction)
}

async fn dial_loop(mut context: DialContext) -> Result<(), LinkError> {
    let (first, longest) = context.retry;
    let mut delay = first;
    let mut since = Instant::now();
    let max_frame = context.limits.max_record + FRAME_OVERHEAD;
    loop {
        if *context.stop.borrow() {
            return Ok(());
        }
        let failure = match tls::dial(
            &context.to,
            &context.server_name,
            context.tls.clone(),
            context.limits.handshake_timeout,
            max_frame,
        )
        .await
        {
            Err(why) => why,
            Ok(((reader, writer), operator)) => {
                let endpoint = Endpoint {
                    spool: context.spool.clone(),
                    lane: context.lane.clone(),
                    marks: context.marks.clone(),
                    inbox: context.inbox.clone(),
                    sending: None,
                    bucket: None,
                };
                let options = SessionOptions {
                    idle: context.limits.idle_timeout,
                    hello_timeout: context.limits.handshake_timeout,
                };
                let operator = Arc::new(operator);
                let summary =
                    session::run(reader, writer, operator.clone(), endpoint, options, context.stop.clone())
                        .await;
                if summary.established {
                    since = Instant::now();
                    delay = first;
                    log::info!(
                        "link to {operator} at {} ended: {} ({} records in, {} out)",
                        context.to,
                        summary.ended,
                        summary.received,
                        summary.sent
                    );
                }
                match summary.ended {
                    Ended::Stopped => return Ok(()),
                    Ended::Conflict(error) => return Err(error),
                    Ended::PeerBye { code, message } if !summary.established || code != "closing" => {
                        let why =
                            if message.is_empty() { code.clone() } else { format!("{message} ({code})") };
                        format!("the operator {operator} refused the link: {why}")
                    }
                    other => format!("the link to {operator} at {}: {other}", context.to),
                }
            }
        };
        log::warn!("{failure}");
        if *context.stop.borrow() {
            return Ok(());
        }
        if let Some(limit) = context.give_up_after
            && since.elapsed() >= limit
        {
            return Err(LinkError::GaveUp { after: limit, last: failure });
        }
        let pause = jitter(delay);
        log::info!(
            "next attempt in {}",
            humantime::format_duration(Duration::from_millis(pause.as_millis() as u64))
        );
        delay = (delay * 2).min(longest);
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = context.stop.changed() => {}
        }
    }
}
