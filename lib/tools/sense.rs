//! `evlock-sense`: reads a meter at a fixed interval, runs the health checks on every reading
//! and writes `reading` and `alarm` records.

use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::common::{MeterArgs, duration};
use crate::calibrate::Certificate;
use crate::cli::docs::{command_help, tool_help};
use crate::cli::{GlobalArgs, Tool};
use crate::exit::{ExitCode, Failure};
use crate::interrupt;
use crate::meter::health::{HealthConfig, Limits};
use crate::meter::modbus::{self, ReadFunction, ScanReply, ValueType, WordOrder};
use crate::meter::session::Session;
use crate::meter::{self, DeviceUri, Meter, modbus_exception_name};
use crate::wire::Output;
use crate::wire::{ModbusSlaveRecord, RegistersRecord, SelfTestRecord};

const EXAMPLES: &str = r#"
# A PZEM-004T on a USB-RS485 adapter, one reading a second, forever
evlock-sense --device 'modbus:/dev/ttyUSB0?profile=pzem004t&addr=1'

# An INA228 with its relay on GPIO 17; stop with exit 1 at the first alarm
evlock-sense --device 'ina228:/dev/i2c-1?addr=0x40&shunt_ohms=0.015' \
  --switch 'gpio:/dev/gpiochip0?line=17' --stop-on-alarm

# The paper's board: an ACS712 on the ADC, corrected by its certificate
evlock-sense \
  --device 'iio-acs712:/sys/bus/iio/devices/iio:device0?channel=0' \
  --certificate meter-cert.json \
  --technician 0x9858EfFD232B4033E47d90003D41EC34EcaEda94

# A simulated battery put to sleep after 30 s, 60 readings on the virtual
# clock (instant)
evlock-sense --device 'sim:home?fault=sleep@30s' --switch sim:home \
  --clock virtual --count 60

# The device's own checks: one self_test record per check
evlock-sense --device 'ina228:/dev/i2c-1?addr=0x40&shunt_ohms=0.015' \
  --self-test

# Feed a delivery: readings into evlock-trade, which stops on an alarm
evlock-sense --device sim:home --switch sim:home \
  | evlock-trade report --trade 7 --from "$METER"
"#;

const NOTES: &str = "\
For each reading the alarms it raised come first (`alarm` records), then the `reading` record
with `health.ok` and the alarm codes. An alarm is raised when its condition starts and again
only after it cleared; `energy_reset` is raised at every drop of the energy total. A read that
fails (timeout, CRC error, garbage) raises `device_silent`, and the stream goes on; its `seq`
is skipped, so gaps in `seq` are missed readings. After --give-up-after failed reads in a row
(default 10) the tool gives up with exit 3. `--clock virtual` (for the simulator) passes
`at = seq × interval` to the meter without sleeping and stamps times from
2025-01-01T00:00:00Z; with `--interval 0` it does not advance.

Exit 1 comes from an alarm with --fail-on-alarm or --stop-on-alarm, a failed self-test, or a
certificate whose signature does not hold; 130 (Ctrl-C) comes after the records so far are
flushed.";

const SCAN_EXAMPLES: &str = r#"
# Which addresses answer on this line at 9600 baud?
evlock-sense scan --device 'modbus:/dev/ttyUSB0?baud=9600' --addresses 1-10
"#;

const READ_EXAMPLES: &str = r#"
# A PZEM-004T's energy total: a u32 at 0x0005, low word first
evlock-sense read --device 'modbus:/dev/ttyUSB0?addr=1' --start 0x0005 \
  --type u32 --word-order little

# Three holding registers, raw
evlock-sense read --device 'modbus:/dev/ttyUSB0' --address 3 \
  --function holding --start 0 --count 3
"#;

/// Read a meter at an interval; write `reading` and `alarm` records.
///
/// Opens the device (Modbus RTU, INA228/INA229, ACS712 on an IIO ADC, the simulator), takes a
/// reading every --interval on a fixed schedule, and runs the health checks on each one:
/// sleep/shutdown mode, a stalled ADC, an energy reset, registers changed from the baseline
/// (the calibration certificate's, or the first reading's), frozen values, current with the
/// relay open or none with it closed, values out of the device's range, a silent device, and
/// for the ACS712 zero drift and a stuck ADC.
#[derive(Debug, Parser)]
#[command(
    name = "evlock-sense",
    version,
    after_long_help = tool_help(EXAMPLES, NOTES),
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Sense {
    #[command(flatten)]
    stream: StreamArgs,
    #[command(flatten)]
    meter: MeterArgs,
    #[command(flatten)]
    health: HealthArgs,
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    globals: GlobalArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Find the Modbus slaves on a serial line: one `modbus_slave` record per address that
    /// answers (exit 1 when none does).
    ///
    /// Each address gets a read of two input registers from 0x0000, once, without retries.
    #[command(after_long_help = command_help(SCAN_EXAMPLES, ""))]
    Scan(ScanArgs),
    /// Read raw registers from a Modbus slave: one `registers` record, decoded with --type.
    #[command(after_long_help = command_help(READ_EXAMPLES, ""))]
    Read(ReadArgs),
}

#[derive(Debug, Args)]
struct ScanArgs {
    /// The serial line and its settings, e.g. `modbus:/dev/ttyUSB0?baud=9600&parity=N`.
    #[arg(long, value_name = "URI")]
    device: String,
    /// The addresses to try, e.g. `1-247` or `5`.
    #[arg(long, value_name = "FROM-TO", default_value = "1-247", value_parser = address_range)]
    addresses: RangeInclusive<u8>,
    /// How long to wait for each address (a silent one costs this much).
    #[arg(long, value_name = "DURATION", default_value = "100ms", value_parser = duration)]
    timeout: Duration,
}

#[derive(Debug, Args)]
struct ReadArgs {
    /// The serial line and its settings, e.g. `modbus:/dev/ttyUSB0?profile=pzem004t&addr=1`.
    #[arg(long, value_name = "URI")]
    device: String,
    /// The slave address (default: the URI's `addr`, else 1).
    #[arg(long, value_name = "ADDRESS", value_parser = clap::value_parser!(u8).range(1..=247))]
    address: Option<u8>,
    /// Input registers (function 0x04, measurements) or holding registers (0x03, settings).
    #[arg(long, value_enum, default_value_t = FunctionArg::Input)]
    function: FunctionArg,
    /// The first register, decimal or 0x-hex.
    #[arg(long, value_name = "REGISTER", value_parser = register_address)]
    start: u16,
    /// How many registers (default: the --type's width, else 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=125))]
    count: Option<u16>,
    /// Decode the registers as u16, i16, u32, i32 or f32.
    #[arg(long = "type", value_name = "TYPE")]
    value_type: Option<ValueType>,
    /// The order of a 32-bit value's two registers: big (high word first, Eastron) or little
    /// (low word first, PZEM-004T).
    #[arg(long, value_name = "ORDER", default_value = "big", requires = "value_type")]
    word_order: WordOrder,
    /// Multiply the decoded value by this, e.g. 0.1 for a PZEM's voltage.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0, requires = "value_type")]
    scale: f64,
}

/// A register table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FunctionArg {
    /// Function 0x04: input registers.
    Input,
    /// Function 0x03: holding registers.
    Holding,
}

fn register_address(text: &str) -> Result<u16, String> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u16::from_str_radix(hex, 16),
        None => text.parse::<u16>(),
    };
    parsed.map_err(|e| format!("{text:?}: {e} (a register address 0–65535, decimal or 0x-hex)"))
}

fn address_range(text: &str) -> Result<RangeInclusive<u8>, String> {
    let number = |part: &str| match part.trim().parse::<u8>() {
        Ok(address) if (1..=247).contains(&address) => Ok(address),
        _ => Err(format!("{part:?} is not a slave address (1–247)")),
    };
    let (from, to) = match text.split_once('-') {
        Some((from, to)) => (number(from)?, number(to)?),
        None => (number(text)?, number(text)?),
    };
    if from > to {
        return Err(format!("{text}: the range is empty"));
    }
    Ok(from..=to)
}

#[derive(Debug, Args)]
struct StreamArgs {
    /// A Modbus meter profile file (TOML: registers, types, word order, scale, units) for a
    /// meter that is not built in; the same as `profile=FILE` in the URI.
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    /// Stop after N readings (failed reads count); without it, run until interrupted.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Exit 1 at the end if any alarm was raised.
    #[arg(long)]
    fail_on_alarm: bool,
    /// Stop at the first alarm (after writing it and its reading) and exit 1.
    #[arg(long)]
    stop_on_alarm: bool,
    /// Give up with exit 3 after N failed reads in a row (0: never; the stream keeps
    /// retrying and `device_silent` stays raised).
    #[arg(long, value_name = "N", default_value_t = 10)]
    give_up_after: u32,
    /// Run the device's self-test instead: one `self_test` record per check, exit 1 if any
    /// fails.
    #[arg(long, conflicts_with_all = ["count", "fail_on_alarm", "stop_on_alarm"])]
    self_test: bool,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Health checks")]
struct HealthArgs {
    /// `frozen` after N readings in a row each repeat the previous one bit for bit
    /// (default 10; 60 for Modbus meters, which refresh about once a second).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    frozen_after: Option<u32>,
    /// A load is connected: with the relay closed, less than this current (e.g. `0.5A`) is
    /// `no_current_while_closed`. Off by default.
    #[arg(long, value_name = "CURRENT", value_parser = amps)]
    min_current: Option<f64>,
    /// With the relay open, more than this current is `current_while_open`
    /// (default 0.05 A; 0.15 A for the ACS712, whose noise alone reaches 0.06 A).
    #[arg(long, value_name = "CURRENT", value_parser = amps)]
    open_current: Option<f64>,
    /// The highest voltage the device can measure, V (default: from the device's datasheet).
    #[arg(long, value_name = "VOLTS", value_parser = positive)]
    max_volts: Option<f64>,
    /// The highest current the device can measure, A (default: from the device's datasheet,
    /// or the INA22x's shunt).
    #[arg(long, value_name = "CURRENT", value_parser = amps)]
    max_amps: Option<f64>,
}

fn amps(text: &str) -> Result<f64, String> {
    crate::calibrate::parse_amps(text)
}

fn positive(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(value) if value > 0.0 && value.is_finite() => Ok(value),
        _ => Err(format!("{text:?} is not a positive number")),
    }
}

impl Tool for Sense {
    const NAME: &'static str = "evlock-sense";
    const SEE_ALSO: &'static [&'static str] = &["evlock-calibrate", "evlock-trade"];

    fn globals(&self) -> &GlobalArgs {
        &self.globals
    }

    fn run(self, out: &mut Output) -> Result<ExitCode, Failure> {
        match self.command {
            Some(Command::Scan(args)) => return scan(args, out),
            Some(Command::Read(args)) => return read(args, out),
            None => {}
        }
        let device = self.meter.device()?;
        let mut uri: DeviceUri = device.parse()?;
        if let Some(profile) = &self.stream.profile {
            if uri.scheme != "modbus" {
                return Err(Failure::usage(format!("--profile is for modbus: devices, not {}:", uri.scheme)));
            }
            let separator = if device.contains('?') { '&' } else { '?' };
            uri = format!("{device}{separator}profile={}", profile.display()).parse()?;
        }
        // The certificate is checked before any device is touched: a forged one stops here.
        let certificate = self.meter.certificate()?;
        let mut meter = meter::open_meter(&uri)?;
        if self.stream.self_test {
            return self_test(meter.as_mut(), &uri, out);
        }
        let switch = match &self.meter.switch {
            Some(text) => Some(meter::open_switch(&text.parse()?)?),
            None => None,
        };
        let clock = self.meter.clock.into();
        let session = Session::open(
            &uri,
            meter,
            switch,
            certificate.as_ref().map(Certificate::calibration).as_ref(),
            clock,
            self.meter.interval,
            self.stream.give_up_after,
            |config| self.health.apply(config),
        )?;
        interrupt::install();
        let outcome = stream(session, self.stream.count, self.stream.stop_on_alarm, out)?;
        let failing = self.stream.fail_on_alarm || self.stream.stop_on_alarm;
        Ok(match outcome {
            Outcome::Interrupted => ExitCode::Interrupted,
            Outcome::Finished { alarms } if failing && alarms > 0 => ExitCode::No,
            Outcome::Finished { .. } => ExitCode::Success,
        })
    }
}

impl HealthArgs {
    fn apply(&self, config: &mut HealthConfig) {
        if let Some(n) = self.frozen_after {
            config.frozen_after = n;
        }
        if let Some(minimum) = self.min_current {
            config.min_current_closed = Some(minimum);
        }
        if let Some(limit) = self.open_current {
            config.open_current_max = limit;
        }
        let volts = self.max_volts.unwrap_or(config.limits.max_volts);
        let amps = self.max_amps.unwrap_or(config.limits.max_amps);
        if self.max_volts.is_some() || self.max_amps.is_some() {
            config.limits = Limits::new(volts, amps);
        }
    }
}

fn self_test(meter: &mut dyn Meter, uri: &DeviceUri, out: &mut Output) -> Result<ExitCode, Failure> {
    let checks = meter.self_test()?;
    let mut exit = ExitCode::Success;
    for check in checks {
        if !check.pass {
            log::warn!("self-test {} failed: {}", check.name, check.detail);
            exit = ExitCode::No;
        }
        out.emit(&SelfTestRecord {
            device: uri.to_string(),
            name: check.name,
            pass: check.pass,
            detail: check.detail,
        })?;
    }
    Ok(exit)
}

fn modbus_uri(text: &str) -> Result<DeviceUri, Failure> {
    let uri: DeviceUri = text.parse()?;
    if uri.scheme != "modbus" {
        return Err(Failure::usage(format!("{text}: scan and read talk Modbus RTU; give a modbus: URI")));
    }
    Ok(uri)
}

fn scan(args: ScanArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let uri = modbus_uri(&args.device)?;
    let target = modbus::ModbusTarget::from_uri(&uri)?;
    log::info!(
        "scanning {} at {} baud, addresses {}–{}",
        target.path,
        target.settings.baud,
        args.addresses.start(),
        args.addresses.end()
    );
    let hits = modbus::scan(&target.path, &target.settings, args.addresses, args.timeout)?;
    for hit in &hits {
        let mut record = ModbusSlaveRecord {
            port: target.path.clone(),
            address: hit.address,
            answer: String::new(),
            registers: None,
            exception: None,
            detail: None,
        };
        match &hit.reply {
            ScanReply::Registers(words) => {
                record.answer = "registers".into();
                record.registers = Some(words.clone());
            }
            ScanReply::Exception(code) => {
                record.answer = "exception".into();
                record.exception = Some(*code);
                record.detail = Some(modbus_exception_name(*code).into());
            }
            ScanReply::Invalid(reason) => {
                record.answer = "invalid".into();
                record.detail = Some(reason.clone());
            }
        }
        out.emit(&record)?;
    }
    if hits.is_empty() {
        log::warn!("no slave answered on {}", target.path);
        return Ok(ExitCode::No);
    }
    Ok(ExitCode::Success)
}

fn read(args: ReadArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let uri = modbus_uri(&args.device)?;
    let address = match args.address {
        Some(address) => address,
        None => modbus::ModbusTarget::from_uri(&uri)?.address,
    };
    let count = args.count.unwrap_or(args.value_type.map_or(1, ValueType::words));
    if let Some(value_type) = args.value_type
        && count < value_type.words()
    {
        return Err(Failure::usage(format!("--type {value_type} needs {} registers", value_type.words())));
    }
    let function = match args.function {
        FunctionArg::Input => ReadFunction::Input,
        FunctionArg::Holding => ReadFunction::Holding,
    };
    let registers = modbus::read_registers(&uri, address, function, args.start, count)?;
    let value = match args.value_type {
        Some(value_type) => Some(modbus::decode(&registers, value_type, args.word_order, args.scale)?),
        None => None,
    };
    out.emit(&RegistersRecord {
        device: uri.to_string(),
        address,
        function: match args.function {
            FunctionArg::Input => "input",
            FunctionArg::Holding => "holding",
        }
        .into(),
        start: args.start,
        registers,
        value_type: args.value_type.map(|t| t.to_string()),
        word_order: args.value_type.map(|_| args.word_order.to_string()),
        scale: args.value_type.map(|_| args.scale),
        value: value.filter(|v| v.is_finite()),
    })?;
    Ok(ExitCode::Success)
}

/// How a session ended.
enum Outcome {
    /// The count was reached or an alarm stopped it: the number of alarms raised.
    Finished { alarms: u64 },
    /// Ctrl-C.
    Interrupted,
}

/// Runs the session until the count, an alarm with --stop-on-alarm, or Ctrl-C; every step's
/// alarms go out before its reading.
fn stream(
    mut session: Session,
    count: Option<u64>,
    stop_on_alarm: bool,
    out: &mut Output,
) -> Result<Outcome, Failure> {
    let stop = || interrupt::requested();
    let mut taken = 0u64;
    while count.is_none_or(|count| taken < count) {
        let Some(step) = session.next_step(&stop)? else {
            out.flush()?;
            log::info!("interrupted");
            return Ok(Outcome::Interrupted);
        };
        taken += 1;
        for alarm in &step.alarms {
            out.emit(alarm)?;
        }
        if let Some(reading) = &step.reading {
            out.emit(reading)?;
        }
        if stop_on_alarm && !step.alarms.is_empty() {
            break;
        }
    }
    out.flush()?;
    Ok(Outcome::Finished { alarms: session.monitor().alarms_raised() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Sense::command().debug_assert();
    }

    #[test]
    fn durations_and_currents_parse() {
        assert_eq!(duration("0").unwrap(), Duration::ZERO);
        assert_eq!(duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(duration("soon").unwrap_err().contains("e.g."));
        assert_eq!(amps("500mA").unwrap(), 0.5);
        assert!(positive("-3").is_err());
    }

    #[test]
    fn register_addresses_and_address_ranges_parse() {
        assert_eq!(register_address("0x0005").unwrap(), 5);
        assert_eq!(register_address("342").unwrap(), 342);
        assert!(register_address("0x10000").is_err());
        assert_eq!(address_range("1-247").unwrap(), 1..=247);
        assert_eq!(address_range("5").unwrap(), 5..=5);
        assert!(address_range("0-3").unwrap_err().contains("1–247"));
        assert!(address_range("9-3").unwrap_err().contains("empty"));
    }

    #[test]
    fn subcommands_do_not_need_the_streams_device() {
        let sense =
            Sense::try_parse_from(["evlock-sense", "scan", "--device", "modbus:/dev/ttyUSB0"]).unwrap();
        assert!(matches!(sense.command, Some(Command::Scan(_))));
        let error = Sense::try_parse_from([
            "evlock-sense",
            "read",
            "--device",
            "modbus:/dev/x",
            "--start",
            "0",
            "--scale",
            "2",
        ])
        .unwrap_err();
        assert!(error.to_string().contains("--type"), "{error}");
    }

    #[test]
    fn health_options_override_the_device_defaults() {
        let sense = Sense::try_parse_from([
            "evlock-sense",
            "--device",
            "sim:x",
            "--frozen-after",
            "4",
            "--min-current",
            "0.5A",
            "--open-current",
            "100mA",
            "--max-amps",
            "30",
        ])
        .unwrap();
        let uri: DeviceUri = "sim:x".parse().unwrap();
        let info = meter::DeviceInfo {
            uri: "sim:x".into(),
            driver: "sim".into(),
            model: "m".into(),
            has_energy_register: true,
            has_calibration_registers: true,
        };
        let mut config = HealthConfig::for_device(&uri, &info);
        sense.health.apply(&mut config);
        assert_eq!(config.frozen_after, 4);
        assert_eq!(config.min_current_closed, Some(0.5));
        assert_eq!(config.open_current_max, 0.1);
        assert_eq!(config.limits.max_amps, 30.0);
        assert_eq!(config.limits.max_volts, 100.0, "the device's voltage limit stays");
    }
}
