//! `evlock-sense`: reads a meter at a fixed interval, runs the health checks on every reading
//! and writes `reading` and `alarm` records.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, Parser, ValueEnum};

use crate::calibrate::{Certificate, Correction};
use crate::cli::{ExitCode, Failure, GlobalArgs, Output, Tool};
use crate::meter::clock::{Clock, Schedule};
use crate::meter::health::{Alarm, HealthConfig, HealthMonitor, Limits, Observation, is_transient};
use crate::meter::{self, DeviceUri, Meter, PowerState, Sample, Switch};
use crate::wire::{AlarmRecord, Health, ReadingRecord, SelfTestRecord};

const EXAMPLES: &str = "\
Examples:
  # A PZEM-004T on a USB-RS485 adapter, one reading a second, forever
  evlock-sense --device 'modbus:/dev/ttyUSB0?profile=pzem004t&addr=1'

  # An INA228 with its relay on GPIO 17; stop with exit 1 at the first alarm
  evlock-sense --device 'ina228:/dev/i2c-1?addr=0x40&shunt_ohms=0.015' \\
    --switch 'gpio:/dev/gpiochip0?line=17' --stop-on-alarm

  # The paper's board: an ACS712 on the ADC, corrected by its calibration certificate
  evlock-sense --device 'iio-acs712:/sys/bus/iio/devices/iio:device0?channel=0' \\
    --certificate meter-cert.json --technician 0x9858EfFD232B4033E47d90003D41EC34EcaEda94

  # A simulated battery put to sleep after 30 s, 60 readings on the virtual clock (instant)
  evlock-sense --device 'sim:home?fault=sleep@30s' --switch sim:home --clock virtual --count 60

  # The device's own checks: one self_test record per check
  evlock-sense --device 'ina228:/dev/i2c-1?addr=0x40' --self-test

  # Feed a delivery: readings into evlock-trade, which cuts the trade on an alarm
  evlock-sense --device 'sim:home' --switch sim:home | evlock-trade report --trade 7 …

For each reading the alarms it raised come first (`alarm` records), then the `reading` record
with `health.ok` and the alarm codes. An alarm is raised when its condition starts and again
only after it cleared; `energy_reset` is raised at every drop of the energy total. A read that
fails (timeout, CRC error, garbage) raises `device_silent`, and the stream goes on; its `seq`
is skipped, so gaps in `seq` are missed readings. `--clock virtual` (for the simulator) passes
`at = seq × interval` to the meter without sleeping and stamps times from
2025-01-01T00:00:00Z; with `--interval 0` it does not advance.

Exit codes: 0 done (or stdout closed); 1 an alarm with --fail-on-alarm/--stop-on-alarm, a failed
self-test, or a certificate whose signature does not hold; 2 bad options or an unreadable
certificate; 3 the device cannot be opened or stops working for good; 130 interrupted (Ctrl-C),
after the records so far are flushed.";

/// Read a meter at an interval; write `reading` and `alarm` records.
///
/// Opens the device (Modbus RTU, INA228/INA229, ACS712 on an IIO ADC, the simulator), takes a
/// reading every --interval on a fixed schedule, and runs the health checks on each one:
/// sleep/shutdown mode, a stalled ADC, an energy reset, registers changed from the baseline
/// (the calibration certificate's, or the first reading's), frozen values, current with the
/// relay open or none with it closed, values out of the device's range, a silent device, and
/// for the ACS712 zero drift and a stuck ADC.
#[derive(Debug, Parser)]
#[command(name = "evlock-sense", version, after_long_help = EXAMPLES)]
pub struct Sense {
    #[command(flatten)]
    globals: GlobalArgs,
    #[command(flatten)]
    stream: StreamArgs,
    #[command(flatten)]
    health: HealthArgs,
}

/// Which clock paces the readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClockKind {
    /// Real time: sleep to a fixed schedule.
    Wall,
    /// Virtual time (simulator, tests): no sleeping, `at` advances by the interval.
    Virtual,
}

#[derive(Debug, Args)]
struct StreamArgs {
    /// The meter's device URI, e.g. `modbus:/dev/ttyUSB0?profile=sdm120`,
    /// `ina228:/dev/i2c-1?addr=0x40&shunt_ohms=0.015`, `sim:home?fault=reset@60s`.
    #[arg(long, value_name = "URI", required_unless_present = "generate")]
    device: Option<String>,
    /// The time between readings (`0` = as fast as the device answers).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = duration)]
    interval: Duration,
    /// Stop after N readings (failed reads count); without it, run until interrupted.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// The relay in front of the load, e.g. `gpio:/dev/gpiochip0?line=17` or `sim:home`: its
    /// state goes into every reading and enables the wiring checks.
    #[arg(long, value_name = "URI")]
    switch: Option<String>,
    /// A calibration certificate (from `evlock-calibrate commission`): its signature is
    /// verified, its gain/offset correct amps and watts, its register baseline is what the
    /// `recalibrated` check compares against.
    #[arg(long, value_name = "FILE")]
    certificate: Option<PathBuf>,
    /// Refuse the certificate unless this address signed it.
    #[arg(long, value_name = "ADDRESS", requires = "certificate")]
    technician: Option<String>,
    /// Exit 1 at the end if any alarm was raised.
    #[arg(long)]
    fail_on_alarm: bool,
    /// Stop at the first alarm (after writing it and its reading) and exit 1.
    #[arg(long)]
    stop_on_alarm: bool,
    /// The clock pacing the readings.
    #[arg(long, value_enum, default_value_t = ClockKind::Wall)]
    clock: ClockKind,
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

fn duration(text: &str) -> Result<Duration, String> {
    if text.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    humantime::parse_duration(text).map_err(|e| format!("{e} (write e.g. 500ms, 1s, 2m)"))
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

    fn globals(&self) -> &GlobalArgs {
        &self.globals
    }

    fn run(self, out: &mut Output) -> Result<ExitCode, Failure> {
        let device = self.stream.device.as_deref().ok_or_else(|| Failure::usage("--device is required"))?;
        let uri: DeviceUri = device.parse()?;
        // The certificate is checked before any device is touched: a forged one stops here.
        let certificate = match &self.stream.certificate {
            Some(path) => Some(Certificate::load_verified(path, self.stream.technician.as_deref())?),
            None => None,
        };
        let mut meter = meter::open_meter(&uri)?;
        if self.stream.self_test {
            return self_test(meter.as_mut(), &uri, out);
        }
        let switch = match &self.stream.switch {
            Some(text) => Some(meter::open_switch(&text.parse()?)?),
            None => None,
        };
        let info = meter.info().clone();
        let mut config = HealthConfig::for_device(&uri, &info);
        self.health.apply(&mut config);
        let mut correction = Correction::IDENTITY;
        if let Some(certificate) = &certificate {
            if certificate.device.driver != info.driver || certificate.device.model != info.model {
                log::warn!(
                    "the certificate is for a {} ({}), this device is a {} ({})",
                    certificate.device.model,
                    certificate.device.driver,
                    info.model,
                    info.driver
                );
            }
            config.baseline = Some(certificate.registers.clone());
            correction = certificate.correction;
            log::info!(
                "certificate of {} by {}: gain {}, offset {} A",
                certificate.issued,
                certificate.technician,
                correction.gain,
                correction.offset_amps
            );
        }
        let session = Session {
            device: uri.to_string(),
            meter,
            switch,
            monitor: HealthMonitor::new(config),
            correction,
            clock: match self.stream.clock {
                ClockKind::Wall => Clock::wall(),
                ClockKind::Virtual => Clock::virtual_clock(),
            },
            interval: self.stream.interval,
            count: self.stream.count,
            stop_on_alarm: self.stream.stop_on_alarm,
        };
        interrupt::install();
        let outcome = session.run(out)?;
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

/// How a session ended.
enum Outcome {
    /// The count was reached or an alarm stopped it: the number of alarms raised.
    Finished { alarms: u64 },
    /// Ctrl-C.
    Interrupted,
}

/// One metering session: the loop of `evlock-sense`.
struct Session {
    device: String,
    meter: Box<dyn Meter>,
    switch: Option<Box<dyn Switch>>,
    monitor: HealthMonitor,
    correction: Correction,
    clock: Clock,
    interval: Duration,
    count: Option<u64>,
    stop_on_alarm: bool,
}

impl Session {
    fn run(mut self, out: &mut Output) -> Result<Outcome, Failure> {
        let mut schedule = Schedule::new(self.interval);
        let stop = || interrupt::requested();
        let mut seq = 0u64;
        while self.count.is_none_or(|count| seq < count) {
            let due = schedule.next_due(&self.clock);
            if !self.clock.wait_until(due, &stop) {
                return self.interrupted(out);
            }
            let at = self.clock.elapsed();
            let time = self.clock.rfc3339();
            let read = self.meter.read(at);
            if interrupt::requested() {
                // A read cut short by the signal is not the device's fault.
                return self.interrupted(out);
            }
            let switch_closed = self.switch_state();
            let hints = self.meter.health_hints();
            let observation = Observation { seq, at, switch_closed, hints };
            let alarms = self.monitor.observe(read.as_ref(), &observation);
            for alarm in &alarms {
                out.emit(&self.alarm_record(alarm, seq, &time))?;
            }
            match read {
                Ok(sample) => out.emit(&self.reading(seq, time, &sample, switch_closed, &alarms))?,
                // The alarm said it once; the rest of an outage only at -v.
                Err(error) if is_transient(&error) && alarms.is_empty() => {
                    log::info!("reading {seq}: {error}")
                }
                Err(error) if is_transient(&error) => log::warn!("reading {seq}: {error}; retrying"),
                Err(error) => return Err(error.into()),
            }
            seq += 1;
            if self.stop_on_alarm && !alarms.is_empty() {
                break;
            }
        }
        out.flush()?;
        Ok(Outcome::Finished { alarms: self.monitor.alarms_raised() })
    }

    fn interrupted(&self, out: &mut Output) -> Result<Outcome, Failure> {
        out.flush()?;
        log::info!("interrupted");
        Ok(Outcome::Interrupted)
    }

    fn switch_state(&mut self) -> Option<bool> {
        let switch = self.switch.as_mut()?;
        match switch.is_closed() {
            Ok(closed) => Some(closed),
            Err(error) => {
                log::warn!("cannot read the relay's state: {error}");
                None
            }
        }
    }

    fn alarm_record(&self, alarm: &Alarm, seq: u64, time: &str) -> AlarmRecord {
        AlarmRecord {
            code: alarm.code.as_str().into(),
            device: self.device.clone(),
            seq,
            time: time.into(),
            message: alarm.message.clone(),
            details: Some(alarm.details.clone()),
        }
    }

    fn reading(
        &self,
        seq: u64,
        time: String,
        sample: &Sample,
        switch_closed: Option<bool>,
        alarms: &[Alarm],
    ) -> ReadingRecord {
        let amps = self.correction.amps(sample.amps);
        let watts = self.correction.watts(sample.watts, sample.volts, sample.power_factor);
        let energy_mwh = finite_or_zero(sample.energy_wh * 1000.0).max(0.0).floor() as u64;
        ReadingRecord {
            device: self.device.clone(),
            seq,
            time,
            volts: round(sample.volts, 4),
            amps: round(amps, 6),
            watts: round(watts, 4),
            energy_wh: energy_mwh / 1000,
            energy_mwh,
            charge_ah: sample.charge_ah.map(|ah| round(ah, 6)),
            frequency_hz: sample.frequency_hz.map(|hz| round(hz, 3)),
            power_factor: sample.power_factor.map(|pf| round(pf, 4)),
            switch: switch_closed.map(|closed| if closed { "closed" } else { "open" }.to_string()),
            state: Some(state_name(sample.state).to_string()),
            counters: serde_json::to_value(sample.counters).unwrap_or_default(),
            health: Health {
                ok: alarms.is_empty() && self.monitor.active().next().is_none(),
                alarms: alarms.iter().map(|a| a.code.as_str().into()).collect(),
            },
            meta: None,
        }
    }
}

fn state_name(state: PowerState) -> &'static str {
    match state {
        PowerState::Converting => "converting",
        PowerState::Shutdown => "shutdown",
        PowerState::Stalled => "stalled",
        PowerState::Unknown => "unknown",
    }
}

fn finite_or_zero(value: f64) -> f64 {
    if value.is_finite() { value } else { 0.0 }
}

/// Rounds for the record (sub-mV, µA, sub-mW), keeping lines short; JSON has no NaN, so a
/// non-finite value (an `out_of_range` alarm says so) becomes 0.
fn round(value: f64, decimals: i32) -> f64 {
    crate::calibrate::certificate::round_to(finite_or_zero(value), decimals)
}

/// Ctrl-C: the first SIGINT asks the loop to stop (it flushes and exits 130); the handler
/// then resets to the default, so a second Ctrl-C ends the process at once.
mod interrupt {
    use super::*;

    static REQUESTED: AtomicBool = AtomicBool::new(false);

    /// Whether SIGINT arrived.
    pub fn requested() -> bool {
        REQUESTED.load(Ordering::SeqCst)
    }

    #[cfg(unix)]
    extern "C" fn on_sigint(_signal: libc::c_int) {
        // Only an atomic store: async-signal-safe.
        REQUESTED.store(true, Ordering::SeqCst);
    }

    /// Installs the handler (without SA_RESTART, so a blocking device read returns early).
    pub fn install() {
        #[cfg(unix)]
        // SAFETY: `action` is fully initialised (zeroed, then the handler, an empty mask and
        // the flags set); the handler only stores to an atomic.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            action.sa_flags = libc::SA_RESETHAND;
            if libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut()) != 0 {
                log::warn!("cannot handle Ctrl-C: {}", std::io::Error::last_os_error());
            }
        }
    }
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

    #[test]
    fn records_round_and_never_carry_nan() {
        assert_eq!(round(f64::NAN, 4), 0.0);
        assert_eq!(round(12.345_678_9, 4), 12.3457);
    }
}
