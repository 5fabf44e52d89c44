//! `evlock-calibrate`: commissions a meter against reference loads into a signed certificate,
//! checks it later against that certificate, and reports a certificate for humans.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::{ArgGroup, Args, Parser, Subcommand};

use super::common::{ClockKind, KeyArgs, duration};
use crate::calibrate::report::{self, CheckRun};
use crate::calibrate::{self, CalibrationError, Certificate, Plan, Rig, Technician, parse_amps};
use crate::cli::docs::{command_help, tool_help};
use crate::cli::{GlobalArgs, Tool};
use crate::exit::{ExitCode, Failure};
use crate::meter::{self, DeviceUri, MeterError};
use crate::wire::Output;

const EXAMPLES: &str = r#"
# Commission a simulated meter against a simulated reference meter (instant,
# on the virtual clock)
evlock-calibrate commission --device sim:bench --switch sim:bench \
  --reference 'sim:bench?role=reference' --key tech.json \
  --password-file tech.pw --clock virtual --out bench-cert.json

# Months later: still the same meter, still in tolerance, signed by ours?
evlock-calibrate check --certificate bench-cert.json --device sim:bench \
  --switch sim:bench --reference 'sim:bench?role=reference' \
  --clock virtual --technician 0x9858EfFD232B4033E47d90003D41EC34EcaEda94

# The certificate as a table, and its errors as a picture
evlock-calibrate report --certificate bench-cert.json --svg errors.svg
"#;

const NOTES: &str = "\
Every point is measured the same way: set the load (the simulator's programmable load, or the
technician connects it when asked on the terminal), set the relay (open for the zero point,
closed for load points), wait --settle, then average --samples readings taken --interval apart,
of the meter and of the reference meter at the same times. Load points pass within ±class %
of the reference, the zero point within ±--zero-limit amps.

Exit 1 means out of tolerance, registers changed, or a certificate whose signature does not
hold (tampered, or not the --technician's).";

const COMMISSION_EXAMPLES: &str = r#"
# A PZEM-004T on the bench: the technician connects 1 A, 2 A and 5 A
# reference loads when asked; a class 1 meter (±1 %), a 20 mA zero limit
evlock-calibrate commission \
  --device 'modbus:/dev/ttyUSB0?profile=pzem004t' \
  --switch 'gpio:/dev/gpiochip0?line=17' --expect 1A,2A,5A --class 1 \
  --zero-limit 20mA --key tech.json --password-file tech.pw \
  --out pzem-cert.json
"#;

const CHECK_EXAMPLES: &str = r#"
# The same points again, and did our technician sign the certificate?
evlock-calibrate check --certificate pzem-cert.json \
  --device 'modbus:/dev/ttyUSB0?profile=pzem004t' \
  --switch 'gpio:/dev/gpiochip0?line=17' --expect 1A,2A,5A \
  --technician 0x9858EfFD232B4033E47d90003D41EC34EcaEda94 > check.ndjson
"#;

const REPORT_EXAMPLES: &str = r#"
# The certificate and a check as a table, and the errors as a picture
evlock-calibrate report --certificate pzem-cert.json --check check.ndjson \
  --svg pzem-errors.svg
"#;

/// Commission and check meters against reference loads; signed calibration certificates.
///
/// `commission` measures a zero point and two or more load points, judges each against the
/// accuracy class, fits a gain/offset correction, records the calibration registers as the
/// baseline, and writes a certificate signed by the technician's key (an EIP-191 signature
/// anyone can verify). `check` verifies a certificate, compares the registers with its
/// baseline and re-measures the points. `report` prints a certificate as a table. `commission`
/// and `check` write `calibration` records: one per point, then a summary.
#[derive(Debug, Parser)]
#[command(
    name = "evlock-calibrate",
    version,
    after_long_help = tool_help(EXAMPLES, NOTES),
    arg_required_else_help = true
)]
pub struct Calibrate {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    globals: GlobalArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Commission a meter: measure it against reference loads and write a signed certificate.
    #[command(after_long_help = command_help(COMMISSION_EXAMPLES, ""))]
    Commission(CommissionArgs),
    /// Check a meter against its certificate: signature, registers, load points.
    #[command(after_long_help = command_help(CHECK_EXAMPLES, ""))]
    Check(CheckArgs),
    /// Print a certificate (and a check's results) as a table; draw the errors as SVG.
    ///
    /// Unlike the other commands, its stdout is text for humans, not records (like --pretty).
    #[command(after_long_help = command_help(REPORT_EXAMPLES, ""))]
    Report(ReportArgs),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("reference_values").required(true).args(["reference", "expect"])))]
struct BenchArgs {
    /// The meter under test.
    #[arg(long, value_name = "URI")]
    device: String,
    /// The relay in front of the load (opened for the zero point, closed for load points);
    /// its programmable load is used when the device has one (the simulator's).
    #[arg(long, value_name = "URI")]
    switch: String,
    /// A reference meter measured alongside, e.g. `sim:bench?role=reference` or a calibrated
    /// Modbus meter in series.
    #[arg(long, value_name = "URI", conflicts_with = "expect")]
    reference: Option<String>,
    /// The reference currents are known (calibrated loads), e.g. `0A,1A,2A,5A`: they are also
    /// the load points; a 0 A entry stands for the zero point, which is always measured.
    #[arg(long, value_name = "CURRENTS", value_delimiter = ',', value_parser = parse_amps)]
    expect: Vec<f64>,
    /// The load points with --reference (default for commission: 1A,2A,5A; for check: the
    /// certificate's).
    #[arg(long, value_name = "CURRENTS", value_delimiter = ',', value_parser = parse_amps, conflicts_with = "expect")]
    points: Vec<f64>,
    /// Read the meters this long before the first point (sensors drift while warming up).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    warmup: Duration,
    /// Wait this long after each change of load or relay.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = duration)]
    settle: Duration,
    /// The time between two readings of a point.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = duration)]
    interval: Duration,
    /// Readings averaged per point.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    samples: u32,
    /// The clock: `virtual` for the simulator (no waiting).
    #[arg(long, value_enum, default_value_t = ClockKind::Wall)]
    clock: ClockKind,
}

#[derive(Debug, Args)]
struct CommissionArgs {
    #[command(flatten)]
    bench: BenchArgs,
    /// The accuracy class, %: load points must be within ±CLASS % of the reference. One of the
    /// standard classes 0.1, 0.2, 0.5, 1, 2, 3 (IEC 62053, ANSI C12.20).
    #[arg(long, value_name = "PERCENT", default_value = "1", value_parser = calibrate::parse_class)]
    class: f64,
    /// The zero point's limit (default: CLASS % of the smallest load point).
    #[arg(long, value_name = "CURRENT", value_parser = parse_amps)]
    zero_limit: Option<f64>,
    /// Where to write the certificate (only when every point passes).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Replace an existing certificate file.
    #[arg(long)]
    force: bool,
    // The technician's key that signs the certificate; its `--no-input` also means that no
    // load is asked for on the terminal.
    #[command(flatten)]
    key: KeyArgs,
}

#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    bench: BenchArgs,
    /// The meter's calibration certificate.
    #[arg(long, value_name = "FILE")]
    certificate: PathBuf,
    /// Refuse the certificate unless this address signed it.
    #[arg(long, value_name = "ADDRESS")]
    technician: Option<String>,
    /// Never prompt: fail when a load would have to be connected by hand.
    #[arg(long)]
    no_input: bool,
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// The certificate to show.
    #[arg(long, value_name = "FILE")]
    certificate: PathBuf,
    /// The NDJSON output of a `check`, shown next to the commissioning's points.
    #[arg(long, value_name = "FILE")]
    check: Option<PathBuf>,
    /// Also draw error % against load current, with the class limits, into this SVG file.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
}

impl Tool for Calibrate {
    const NAME: &'static str = "evlock-calibrate";
    const SEE_ALSO: &'static [&'static str] = &["evlock-sense", "evlock-keygen"];

    fn globals(&self) -> &GlobalArgs {
        &self.globals
    }

    fn run(self, out: &mut Output) -> Result<ExitCode, Failure> {
        match self.command {
            Some(Command::Commission(args)) => commission(args, out),
            Some(Command::Check(args)) => check(args, out),
            Some(Command::Report(args)) => report(args, out),
            None => Err(Failure::usage("a command is needed: commission, check or report (see --help)")),
        }
    }
}

impl BenchArgs {
    /// Opens the meter, its relay and load, and the reference meter.
    fn rig(&self) -> Result<Rig, Failure> {
        let device: DeviceUri = self.device.parse()?;
        let switch_uri: DeviceUri = self.switch.parse()?;
        let meter = meter::open_meter(&device)?;
        let switch = meter::open_switch(&switch_uri)?;
        let load = match meter::open_load(&switch_uri) {
            Ok(load) => Some(load),
            Err(MeterError::Unsupported { .. }) => {
                log::info!("{switch_uri} has no programmable load: the technician connects each load");
                None
            }
            Err(error) => return Err(error.into()),
        };
        let reference = match &self.reference {
            Some(text) => Some(meter::open_meter(&text.parse()?)?),
            None => None,
        };
        Ok(Rig { meter, switch, load, reference, clock: self.clock.into() })
    }

    /// The load points: --expect's non-zero values, else --points, else `default`.
    fn loads(&self, default: Vec<f64>) -> Vec<f64> {
        if !self.expect.is_empty() {
            self.expect.iter().copied().filter(|amps| *amps > 0.0).collect()
        } else if !self.points.is_empty() {
            self.points.clone()
        } else {
            default
        }
    }

    fn plan(&self, class: f64, zero_limit_amps: f64, loads: Vec<f64>) -> Plan {
        Plan {
            class,
            zero_limit_amps,
            loads,
            expected: self.reference.is_none(),
            warmup: self.warmup,
            settle: self.settle,
            interval: self.interval,
            samples: self.samples,
        }
    }
}

fn commission(args: CommissionArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let bench = &args.bench;
    let loads = bench.loads(vec![1.0, 2.0, 5.0]);
    let smallest = loads.iter().copied().fold(f64::INFINITY, f64::min);
    let zero_limit = args.zero_limit.unwrap_or(args.class / 100.0 * smallest);
    let plan = bench.plan(args.class, zero_limit, loads);
    plan.validate()?;
    // Before anything is measured: the certificate can be written where --out says.
    calibrate::certificate::check_destination(&args.out, args.force)?;
    // The key is unlocked before anything is measured: a wrong password costs no bench time.
    let signer = args.key.uri()?.open(&args.key.access())?;
    log::info!("commissioning {} as technician {}", bench.device, signer.address());
    let mut rig = bench.rig()?;
    let issued = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
    let mut technician = TerminalTechnician { no_input: args.key.password.no_input };
    let commissioned = calibrate::commission(
        &mut rig,
        &plan,
        &mut technician,
        signer.as_ref(),
        bench.reference.clone(),
        issued,
    )?;
    let device = rig.meter.info().uri.clone();
    for point in &commissioned.run.points {
        out.emit(&point.record(&device, plan.class))?;
    }
    if commissioned.pass() {
        commissioned.certificate.write(&args.out, args.force)?;
        log::info!("certificate written to {}", args.out.display());
    } else {
        log::warn!("the meter failed its commissioning: no certificate written");
    }
    out.emit(&commissioned.summary(&args.out.display().to_string()))?;
    Ok(if commissioned.pass() { ExitCode::Success } else { ExitCode::No })
}

fn check(args: CheckArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let bench = &args.bench;
    let certificate = Certificate::load_verified(&args.certificate, args.technician.as_deref())?;
    log::info!("certificate signed by {} on {}", certificate.technician, certificate.issued);
    let loads = bench.loads(certificate.load_points().map(|p| p.nominal_amps).collect());
    let plan = bench.plan(certificate.class, certificate.zero_limit_amps, loads);
    plan.validate()?;
    let mut rig = bench.rig()?;
    let mut technician = TerminalTechnician { no_input: args.no_input };
    let checked = calibrate::check(&mut rig, &plan, &mut technician, &certificate)?;
    let device = rig.meter.info().uri.clone();
    for point in &checked.run.points {
        out.emit(&point.record(&device, plan.class))?;
    }
    let summary = checked.summary(&certificate, &device, &args.certificate.display().to_string());
    for reason in &summary.reasons {
        log::warn!("{reason}");
    }
    out.emit(&summary)?;
    Ok(if checked.pass() { ExitCode::Success } else { ExitCode::No })
}

fn report(args: ReportArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let certificate = Certificate::load(&args.certificate)?;
    let verdict = certificate.verify(&args.certificate);
    let signature = match &verdict {
        Ok(_) => "valid".to_string(),
        Err(error) => format!("INVALID: {error}"),
    };
    let check = match &args.check {
        Some(path) => {
            let text = crate::wire::read_file_capped(path, MAX_CHECK_BYTES)
                .and_then(|bytes| {
                    String::from_utf8(bytes).map_err(|_| std::io::ErrorKind::InvalidData.into())
                })
                .map_err(|e| Failure::usage(format!("--check {}: {e}", path.display())))?;
            Some(
                CheckRun::parse(&text)
                    .map_err(|e| Failure::usage(format!("--check {}: {e}", path.display())))?,
            )
        }
        None => None,
    };
    // The plot first, whole or not at all (a full disk leaves no half-drawn file), so a
    // failed report prints nothing.
    if let Some(svg_path) = &args.svg {
        crate::calibrate::certificate::write_atomically(
            svg_path,
            report::svg(&certificate, check.as_ref()).as_bytes(),
            true,
        )?;
        log::info!("error plot written to {}", svg_path.display());
    }
    let path = args.certificate.display().to_string();
    out.write_raw(report::table(&certificate, &path, &signature, check.as_ref()).as_bytes())?;
    Ok(if verdict.is_ok() { ExitCode::Success } else { ExitCode::No })
}

/// The largest `check` output `report --check` reads: a check writes a few records.
const MAX_CHECK_BYTES: u64 = 16 << 20;

/// Asks the technician, on the controlling terminal, to connect each reference load.
struct TerminalTechnician {
    no_input: bool,
}

impl Technician for TerminalTechnician {
    fn connect_load(&mut self, point: u32, nominal_amps: f64) -> Result<(), CalibrationError> {
        let refuse = |why: &str| {
            CalibrationError::NoTechnician(format!(
                "the relay has no programmable load, so load point {point} ({nominal_amps} A) must be \
                 connected by hand, but {why}"
            ))
        };
        if self.no_input {
            return Err(refuse("--no-input forbids asking"));
        }
        let tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .map_err(|e| refuse(&format!("there is no terminal to ask on ({e})")))?;
        let mut writer = &tty;
        write!(
            writer,
            "evlock-calibrate: connect reference load {point} ({nominal_amps} A), then press Enter (Ctrl-C aborts): "
        )
        .and_then(|()| writer.flush())
        .map_err(|e| refuse(&format!("the terminal cannot be written ({e})")))?;
        let mut line = String::new();
        let read = BufReader::new(&tty).read_line(&mut line).map_err(|e| refuse(&format!("{e}")))?;
        if read == 0 {
            return Err(refuse("the terminal closed"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Calibrate::command().debug_assert();
    }

    #[test]
    fn load_points_come_from_expect_points_or_the_default() {
        let parse = |extra: &[&str]| {
            let mut argv = vec!["evlock-calibrate", "check", "--certificate", "c.json", "--device", "sim:a"];
            argv.extend_from_slice(&["--switch", "sim:a"]);
            argv.extend_from_slice(extra);
            match Calibrate::try_parse_from(argv).map(|c| c.command) {
                Ok(Some(Command::Check(args))) => Ok(args.bench),
                Ok(_) => unreachable!("parsed as check"),
                Err(e) => Err(e.to_string()),
            }
        };
        let bench = parse(&["--expect", "0A,1A,2.5A"]).unwrap();
        assert_eq!(bench.loads(vec![9.0]), vec![1.0, 2.5], "0 A is the zero point");
        assert!(bench.plan(1.0, 0.01, bench.loads(vec![])).expected);
        let bench = parse(&["--reference", "sim:a?role=reference", "--points", "500mA,3A"]).unwrap();
        assert_eq!(bench.loads(vec![9.0]), vec![0.5, 3.0]);
        assert!(!bench.plan(1.0, 0.01, bench.loads(vec![])).expected);
        let bench = parse(&["--reference", "sim:a?role=reference"]).unwrap();
        assert_eq!(bench.loads(vec![1.0, 2.0]), vec![1.0, 2.0]);
        assert!(parse(&[]).unwrap_err().contains("--reference"), "a reference is required");
        assert!(parse(&["--expect", "1A,2A", "--reference", "sim:b"]).is_err());
        assert!(parse(&["--expect", "1A,-2A"]).unwrap_err().contains("≥ 0"));
    }

    #[test]
    fn no_input_never_asks_the_technician() {
        let error = TerminalTechnician { no_input: true }.connect_load(2, 5.0).unwrap_err();
        assert!(error.to_string().contains("load point 2 (5 A)"), "{error}");
        assert!(error.to_string().contains("--no-input"), "{error}");
    }
}
