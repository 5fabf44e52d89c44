//! `evlock-relay listen` and `evlock-relay connect`: the operator–meter link (see
//! `evlock::link`), as flags.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use super::common::duration;
use crate::cli::docs::command_help;
use crate::exit::{ExitCode, Failure};
use crate::link::LinkError;
use crate::link::connect::{ConnectOptions, exec_exit, spawn_exec};
use crate::link::deliver::OutputFile;
use crate::link::input::Input;
use crate::link::limits::{Limits, METER_LINE_BYTES, Rate};
use crate::link::listen::ListenOptions;
use crate::link::mqtt::{Broker, BrokerLink};
use crate::link::peer::{Pattern, Route};
use crate::link::store::SpoolLimits;
use crate::link::tls;
use crate::wire::{OnError, Output};

const LISTEN_EXAMPLES: &str = r#"
# The operator: meters with certificates from the operator CA, two allowed
evlock-relay listen --bind 0.0.0.0:7443 --cert operator.pem \
  --key operator.key --client-ca ca.pem --allow meter-17 --allow meter-18 \
  --outbox /var/lib/evlock/outbox < commands.fifo > from-meters.ndjson

# Send a record to meter-17 (its meta.to names it)
echo '{"kind":"tx","v":1,"meta":{"to":"meter-17"}}' > commands.fifo

# Let the meters pass delivery receipts to each other
evlock-relay listen … --route 'meter-*:meter-*:receipt'

# Fleet mode: the meters through an MQTT 5 broker (a client certificate)
evlock-relay listen --from mqtts://broker.example:8883 --ca ca.pem \
  --cert operator-client.pem --key operator-client.key \
  --outbox /var/lib/evlock/outbox < commands.fifo > from-meters.ndjson

# Fleet mode, one of several operators sharing the meters' records
evlock-relay listen --from mqtts://broker.example:8883 --share operators \
  --ca ca.pem --cert operator-client.pem --key operator-client.key \
  --outbox /var/lib/evlock/op-1 > from-meters-1.ndjson

# The operator's console, told when each meter connects and goes
evlock-relay listen … --events | evlock-trade serve
"#;

const LISTEN_NOTES: &str = "\
Every record a meter sends is written to stdout with meta.peer = {\"name\":…,\"account\":…}
from its verified certificate; a record whose own meta.peer names someone else is refused.
Records read from stdin go to the meter named by meta.to (or meta.peer), through an on-disk
outbox while it is away; answers come back with meta.peer. Sequence numbers, acks after
write and flush, fsynced outbox and marks: nothing is lost or reordered across kills and reconnects.
Into a file (> FILE: checked after a kill, fsynced before each ack) every record is there
exactly once; into a pipe, a kill can repeat the one record it was writing, with the same
meta.link = {\"stream\":…,\"seq\":…} (set on every record written), and every evlock tool
reading the pipe drops that repeat. --events adds informational `link` records (a meter
connected or disconnected), which only evlock-trade serve takes.

It runs until Ctrl-C or SIGTERM (exit 130, the normal end); 0 when stdout was closed; 2 for
bad options or unusable state; 4 when the address cannot be bound.";

const CONNECT_EXAMPLES: &str = r#"
# A meter: readings go to the operator, its records come out here
evlock-sense --device sim:meter \
  | evlock-relay connect --to operator.example:7443 --ca ca.pem \
      --cert meter-17.pem --key meter-17.key --spool /var/lib/evlock/spool

# Sign what the operator asks under the meter's policy, answer with receipts
sign='evlock-sign --key owner.json --policy meter.toml --on-error skip'
evlock-relay connect --to operator.example:7443 --ca ca.pem \
  --cert meter-17.pem --key meter-17.key --spool spool \
  --exec "$sign | evlock-relay submit"

# Send a file once and stop when the operator has it all
evlock-relay connect … --exit-on-eof < readings.ndjson

# Fleet mode: through an MQTT 5 broker (evlock/meters/meter-17/up and /down)
evlock-relay connect --to mqtts://broker.example:8883 --ca ca.pem \
  --cert meter-17.pem --key meter-17.key --spool /var/lib/evlock/spool

# The same, for operators that share the records (listen --share)
evlock-relay connect --to mqtts://broker.example:8883 --shared --ca ca.pem \
  --cert meter-17.pem --key meter-17.key --spool /var/lib/evlock/spool
"#;

const CONNECT_NOTES: &str = "\
Unacknowledged records wait in the fsynced spool and are sent again after a reconnect or a
restart; a regular file on stdin is resumed where its spooled records end. Records written
carry meta.link = {\"stream\":…,\"seq\":…}: exactly once into a file (> FILE); into a pipe a
kill can repeat the one record it was writing, which evlock tools reading it drop (a reader
started afresh with the restarted link cannot tell: use a file there). With --exec the
command's stdin is the link's output and its stdout the link's input; connect ends when the
command ends and everything it wrote is acknowledged, with its exit code.

It exits 0 when the input ended and everything was acknowledged (--exit-on-eof, --exec); 2
for bad options or input lines; 4 when no link was made for --give-up-after; 130 when stopped
by Ctrl-C or SIGTERM.";

/// Limits both sides share.
#[derive(Debug, Args)]
pub(crate) struct CommonLinkArgs {
    /// The longest record line accepted, in bytes (from stdin and from the peer).
    #[arg(long, value_name = "BYTES", default_value_t = METER_LINE_BYTES)]
    max_line: usize,
    /// The TLS handshake and the peer's hello must be done within this.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    handshake_timeout: Duration,
    /// Cut a connection on which nothing arrives for this long (pings keep a quiet link up).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = duration)]
    idle_timeout: Duration,
}

/// `evlock-relay listen`.
#[derive(Debug, Args)]
#[command(after_long_help = command_help(LISTEN_EXAMPLES, LISTEN_NOTES))]
pub(crate) struct ListenArgs {
    /// The address to listen on, e.g. 0.0.0.0:7443 (port 0 picks one: see --address-file).
    #[arg(long, value_name = "ADDR", required_unless_present = "from", conflicts_with = "from")]
    bind: Option<String>,
    /// Fleet mode: reach the meters through this MQTT 5 broker, mqtts://HOST[:PORT], with
    /// --cert/--key as this operator's client certificate and --client-ca (or --ca) as the CA
    /// of the broker's certificate.
    #[arg(long, value_name = "URL")]
    from: Option<String>,
    /// Fleet mode shared by several operator processes: subscribe as one of GROUP
    /// ($share/GROUP/evlock/meters/+/up), each taking the records the broker deals it,
    /// acknowledged one by one; for meters run with `connect --shared`. Stdin is not read.
    #[arg(long, value_name = "GROUP", requires = "from", conflicts_with = "route")]
    share: Option<String>,
    /// The operator's certificate (PEM chain), from `evlock-keygen tls issue --server`.
    #[arg(long, value_name = "PEM")]
    cert: PathBuf,
    /// Its private key (PEM).
    #[arg(long, value_name = "PEM")]
    key: PathBuf,
    /// The CA that meters' certificates must chain to (with --from: the broker's).
    #[arg(long, value_name = "PEM", alias = "ca")]
    client_ca: PathBuf,
    /// The state folder: the outbox for meters that are away, the marks of what was received.
    #[arg(long, value_name = "DIR")]
    outbox: PathBuf,
    /// Only these peers: a name (`*` matches any run, e.g. meter-*) or an account (0x…).
    /// Repeatable; without it every certificate from --client-ca is allowed.
    #[arg(long, value_name = "NAME|ACCOUNT")]
    allow: Vec<Pattern>,
    /// Forward records whose meta.to names another peer: FROM:TO[:KIND,…], e.g.
    /// 'meter-*:meter-*:receipt'. Repeatable; without it nothing is forwarded.
    #[arg(long, value_name = "FROM:TO[:KINDS]")]
    route: Vec<Route>,
    /// Records per second per peer, with an optional burst (N/s,BURST), or `none`. A peer
    /// above it is slowed down, not cut.
    #[arg(long, value_name = "RATE", default_value = "1000/s", value_parser = parse_rate)]
    rate: RateLimit,
    /// Connections per certificate.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    max_per_peer: u64,
    /// Connections in all (handshakes included).
    #[arg(long, value_name = "N", default_value_t = 4096, value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: u64,
    /// Records waiting per peer in the outbox before more are refused.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    outbox_max_records: usize,
    /// Bytes waiting per peer in the outbox before more are refused (e.g. 64MiB).
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size)]
    outbox_max_bytes: usize,
    /// Write the address actually bound to FILE once listening (with port 0).
    #[arg(long, value_name = "FILE")]
    address_file: Option<PathBuf>,
    /// Also write a `link` record to stdout whenever a meter connects or disconnects, with
    /// its certificate's name and account and the time (for `evlock-trade serve`; other
    /// tools refuse the kind, so leave it off where they read the output).
    #[arg(long)]
    events: bool,
    #[command(flatten)]
    common: CommonLinkArgs,
}

/// `evlock-relay connect`.
#[derive(Debug, Args)]
#[command(after_long_help = command_help(CONNECT_EXAMPLES, CONNECT_NOTES))]
pub(crate) struct ConnectArgs {
    /// The operator's listener, HOST:PORT, or an MQTT 5 broker, mqtts://HOST[:PORT] (fleet
    /// mode: publish to evlock/meters/NAME/up, read evlock/meters/NAME/down).
    #[arg(long, value_name = "HOST:PORT|URL")]
    to: String,
    /// The CA the operator's certificate must chain to (the only one trusted).
    #[arg(long, value_name = "PEM")]
    ca: PathBuf,
    /// This meter's certificate (PEM chain), from `evlock-keygen tls issue`.
    #[arg(long, value_name = "PEM")]
    cert: PathBuf,
    /// Its private key (PEM).
    #[arg(long, value_name = "PEM")]
    key: PathBuf,
    /// The state folder: the spool of unacknowledged records, the marks of what was received.
    #[arg(long, value_name = "DIR")]
    spool: PathBuf,
    /// The name the operator's certificate must carry (default: the host of --to).
    #[arg(long, value_name = "NAME")]
    server_name: Option<String>,
    /// Give up (exit 4) after this long without a link; 0s: after the first failure.
    /// Default: never.
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    give_up_after: Option<Duration>,
    /// The first pause between attempts; it doubles (with jitter) up to --retry-max.
    #[arg(long, value_name = "DURATION", default_value = "250ms", value_parser = duration)]
    retry_min: Duration,
    /// The longest pause between attempts.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration)]
    retry_max: Duration,
    /// End (exit 0) once stdin has ended and the operator has acknowledged everything (after
    /// linking at least once).
    #[arg(long)]
    exit_on_eof: bool,
    /// Fleet mode with operators on a shared subscription (`listen --share`): each record
    /// acknowledged on its own by whichever operator took it; nothing comes back but acks.
    #[arg(long)]
    shared: bool,
    /// With --shared: send a record again when no operator acknowledged it within this long.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration)]
    resend_after: Duration,
    /// Run CMD (with sh -c) between the link's output and input: its stdin gets what the
    /// operator sends, its stdout is sent to the operator. Ends when CMD ends.
    #[arg(long, value_name = "CMD")]
    exec: Option<String>,
    /// What a bad input line does: stop reading (exit 2 once the rest is acknowledged) or
    /// skip it.
    #[arg(long, value_enum, default_value_t = OnError::Stop, value_name = "WHAT")]
    on_error: OnError,
    /// Records waiting in the spool before the input waits.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    spool_max_records: usize,
    /// Bytes waiting in the spool before the input waits (e.g. 64MiB).
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size)]
    spool_max_bytes: usize,
    #[command(flatten)]
    common: CommonLinkArgs,
}

/// `--rate`: a rate, or `none`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateLimit(Option<Rate>);

fn parse_rate(text: &str) -> Result<RateLimit, String> {
    if text == "none" { Ok(RateLimit(None)) } else { text.parse().map(|rate| RateLimit(Some(rate))) }
}

/// Bytes with an optional K/M/G (KiB, MiB, GiB) suffix.
fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: usize =
        number.parse().map_err(|_| format!("{text:?}: write a size such as 65536, 512KiB or 64MiB"))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => 1 << 10,
        "m" | "mib" | "mb" => 1 << 20,
        "g" | "gib" | "gb" => 1 << 30,
        _ => return Err(format!("{text:?}: the unit must be KiB, MiB or GiB")),
    };
    number.checked_mul(factor).filter(|n| *n > 0).ok_or_else(|| format!("{text:?} is out of range"))
}

fn read(path: &Path, flag: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::usage(format!("{flag} {}: {e}", path.display())))
}

fn limits(common: &CommonLinkArgs) -> Result<Limits, Failure> {
    if common.max_line < 64 {
        return Err(Failure::usage("--max-line must be at least 64 bytes"));
    }
    Ok(Limits {
        max_record: common.max_line,
        handshake_timeout: common.handshake_timeout,
        idle_timeout: common.idle_timeout.max(Duration::from_millis(100)),
        ..Limits::default()
    })
}

/// Runs `evlock-relay listen`.
pub(crate) fn listen(args: ListenArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let cert = read(&args.cert, "--cert")?;
    let key = zeroize::Zeroizing::new(read(&args.key, "--key")?);
    let client_ca = read(&args.client_ca, "--client-ca")?;
    let config = tls::server_config(&cert, &key, &client_ca).map_err(LinkError::from)?;
    let own = crate::pki::first_certificate(&cert, "--cert")
        .and_then(|der| crate::pki::identity(&der))
        .map_err(LinkError::from)?;
    let broker = match args.from.as_deref().map(Broker::parse).transpose()? {
        None => None,
        Some(None) => return Err(Failure::usage("--from takes an MQTT broker, mqtts://HOST[:PORT]")),
        Some(Some(broker)) => Some(BrokerLink {
            broker,
            tls: tls::client_config(&client_ca, &cert, &key).map_err(LinkError::from)?,
            identity: own.clone(),
            share: args.share.clone(),
            resend_after: None,
        }),
    };
    if let Some(group) = &args.share
        && (group.is_empty() || group.contains(['/', '+', '#']))
    {
        return Err(Failure::usage(format!(
            "--share {group:?}: a group is a non-empty name without '/', '+' or '#'"
        )));
    }
    let limits = Limits {
        rate: args.rate.0,
        max_per_peer: args.max_per_peer as usize,
        max_connections: args.max_connections as usize,
        ..limits(&args.common)?
    };
    let address_file = args.address_file.clone();
    let options = ListenOptions {
        bind: args.bind.unwrap_or_default(),
        tls: config,
        name: own.name,
        allow: args.allow,
        routes: args.route,
        state: args.outbox,
        limits,
        outbox: SpoolLimits { max_records: args.outbox_max_records.max(1), max_bytes: args.outbox_max_bytes },
        on_listening: Box::new(move |address| {
            if let Some(path) = address_file {
                let text = format!("{address}\n");
                if let Err(e) = crate::keys::files::write_new_file(&path, text.as_bytes(), 0o644, true) {
                    log::error!("cannot write --address-file {}: {e:?}", path.display());
                }
            }
        }),
        stop_requested: crate::interrupt::requested,
        output_file: OutputFile::stdout(),
        broker,
        events: args.events,
    };
    crate::interrupt::install();
    let input = Input::stdin(options.limits.max_record);
    Ok(crate::link::listen::listen(options, input, out)?)
}

/// Runs `evlock-relay connect`.
pub(crate) fn connect(args: ConnectArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let ca = read(&args.ca, "--ca")?;
    let cert = read(&args.cert, "--cert")?;
    let key = zeroize::Zeroizing::new(read(&args.key, "--key")?);
    let config = tls::client_config(&ca, &cert, &key).map_err(LinkError::from)?;
    let broker = match Broker::parse(&args.to)? {
        None => None,
        Some(broker) => {
            let identity = crate::pki::first_certificate(&cert, "--cert")
                .and_then(|der| crate::pki::identity(&der))
                .map_err(LinkError::from)?;
            Some(BrokerLink {
                broker,
                tls: config.clone(),
                identity,
                share: None,
                resend_after: args.shared.then_some(args.resend_after),
            })
        }
    };
    let server_name = match &broker {
        Some(link) => tls::server_name(&format!("{}:{}", link.broker.host, link.broker.port), None),
        None => tls::server_name(&args.to, args.server_name.as_deref()),
    }
    .map_err(Failure::usage)?;
    if args.shared && broker.is_none() {
        return Err(Failure::usage("--shared is for a broker: --to mqtts://HOST[:PORT]"));
    }
    if args.resend_after.is_zero() {
        return Err(Failure::usage("--resend-after must be above 0"));
    }
    if args.retry_min.is_zero() || args.retry_max < args.retry_min {
        return Err(Failure::usage("--retry-min must be above 0 and at most --retry-max"));
    }
    let limits = Limits { rate: None, ..limits(&args.common)? };
    let exit_on_eof = args.exit_on_eof || args.exec.is_some();
    let options = ConnectOptions {
        to: args.to,
        server_name,
        tls: config,
        state: args.spool,
        limits,
        spool: SpoolLimits { max_records: args.spool_max_records.max(1), max_bytes: args.spool_max_bytes },
        give_up_after: args.give_up_after,
        exit_on_eof,
        retry: (args.retry_min, args.retry_max),
        on_error: args.on_error,
        stop_requested: crate::interrupt::requested,
        output_file: if args.exec.is_some() { None } else { OutputFile::stdout() },
        broker,
    };
    crate::interrupt::install();
    let max_record = options.limits.max_record;
    match args.exec {
        None => {
            let stdin = Input::stdin(max_record);
            if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                log::warn!("reading records to send from the terminal; end with Ctrl-D");
            }
            Ok(crate::link::connect::connect(options, stdin, out)?)
        }
        Some(command) => {
            let exec = spawn_exec(&command, max_record)?;
            let mut child = exec.child;
            let mut to_command = Output::to_writer(exec.stdin, false);
            let result = crate::link::connect::connect(options, exec.input, &mut to_command);
            // Closing its stdin lets the command finish.
            drop(to_command);
            let status =
                child.wait().map_err(|source| LinkError::Exec { command: command.clone(), source })?;
            // A command that stopped reading ends the link like a closed stdout: quietly, and
            // its own exit status says how it went.
            let code = match result {
                Err(LinkError::Output(crate::wire::OutputError::Closed)) => ExitCode::Success,
                other => other?,
            };
            let command_code = exec_exit(status);
            if command_code != ExitCode::Success {
                log::warn!("--exec {command:?} ended with {status}");
            }
            Ok(code.max(command_code))
        }
    }
}
