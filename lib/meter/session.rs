//! A metering session: the loop behind `evlock-sense`, as a library, so a tool that consumes
//! readings in-process (`evlock-trade deliver`) runs exactly the same reads and checks.
//!
//! Each [`Session::next_step`] waits for the next slot of a fixed schedule, reads the meter,
//! reads the relay's state, runs the [`HealthMonitor`] and returns the `reading` record (when
//! the device answered) and the `alarm` records it raised. A transient read error is a step
//! without a reading (its `device_silent` alarm says why); after `give_up_after` failed reads
//! in a row, or on an error that cannot pass, the session ends with a [`SessionError`].

use std::time::Duration;

use super::clock::{Clock, Schedule};
use super::health::{Alarm, HealthConfig, HealthMonitor, Observation, is_transient};
use super::{Calibration, Correction, DeviceUri, Meter, MeterError, Sample, Switch, round_to};
use crate::exit::{ErrorClass, ExitCode};
use crate::wire::{AlarmRecord, Health, ReadingRecord};

/// Why a session ended on a device error (exit 3).
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The device kept failing.
    #[error("the device failed {count} reads in a row; giving up")]
    GaveUp {
        /// Failed reads in a row.
        count: u32,
        /// The last error.
        #[source]
        last: MeterError,
    },
    /// An error that does not pass by retrying (the device is gone, forbidden, unsupported).
    #[error(transparent)]
    Device(#[from] MeterError),
}

impl ErrorClass for SessionError {
    fn exit_code(&self) -> ExitCode {
        ExitCode::Device
    }

    fn error_code(&self) -> &'static str {
        match self {
            SessionError::GaveUp { last, .. } | SessionError::Device(last) => last.error_code(),
        }
    }
}

/// What one step of a session produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Step {
    /// The reading's number in the session (failed reads take one too).
    pub seq: u64,
    /// The reading, when the device answered.
    pub reading: Option<ReadingRecord>,
    /// The alarms this step raised, in the order they were found.
    pub alarms: Vec<AlarmRecord>,
}

/// How a session reads.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// The URI written into records.
    pub device: String,
    /// The time between readings (0: as fast as the device answers).
    pub interval: Duration,
    /// The clock: wall, or virtual for the simulator.
    pub clock: Clock,
    /// The certificate's correction of amps and watts.
    pub correction: Correction,
    /// End with [`SessionError::GaveUp`] after this many failed reads in a row (0: never).
    pub give_up_after: u32,
}

/// A meter, its relay and its health checks, read on a schedule.
pub struct Session {
    options: SessionOptions,
    meter: Box<dyn Meter>,
    switch: Option<Box<dyn Switch>>,
    monitor: HealthMonitor,
    schedule: Schedule,
    seq: u64,
    failures: u32,
}

impl Session {
    /// A session on `meter`, with the relay `switch` when there is one.
    pub fn new(
        meter: Box<dyn Meter>,
        switch: Option<Box<dyn Switch>>,
        monitor: HealthMonitor,
        options: SessionOptions,
    ) -> Self {
        let schedule = Schedule::new(options.interval);
        Session { options, meter, switch, monitor, schedule, seq: 0, failures: 0 }
    }

    /// A session on the meter at `device` (and the relay at `switch`), with the health checks
    /// for that device adjusted by `tune`. A certificate (its signature verified already)
    /// brings its gain/offset correction and the register baseline the `recalibrated` check
    /// compares against: the session takes them as a [`Calibration`].
    ///
    /// A certificate is bound to the device it was made for: one made for another driver or
    /// model is refused ([`MeterError::WrongCertificate`], exit 2), since its correction and
    /// baseline mean nothing there; one made for the same model at another URI is taken with
    /// a warning naming both (a meter moved to another port, or another meter of the model:
    /// the `recalibrated` check then tells them apart by their registers).
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        device: &DeviceUri,
        meter: Box<dyn Meter>,
        switch: Option<Box<dyn Switch>>,
        calibration: Option<&Calibration>,
        clock: Clock,
        interval: Duration,
        give_up_after: u32,
        tune: impl FnOnce(&mut HealthConfig),
    ) -> Result<Session, MeterError> {
        let info = meter.info().clone();
        let mut config = HealthConfig::for_device(device, &info);
        tune(&mut config);
        let mut correction = Correction::IDENTITY;
        if let Some(calibration) = calibration {
            if calibration.driver != info.driver || calibration.model != info.model {
                return Err(MeterError::WrongCertificate {
                    reason: format!(
                        "the certificate is for a {} ({}) at {}, this device is a {} ({}) at {}",
                        calibration.model,
                        calibration.driver,
                        calibration.uri,
                        info.model,
                        info.driver,
                        device
                    ),
                });
            }
            if calibration.uri != device.to_string() {
                log::warn!(
                    "the certificate was issued for {}, not {device}: applying it because the model ({}) is the same",
                    calibration.uri,
                    info.model
                );
            }
            config.baseline = Some(calibration.baseline.clone());
            correction = calibration.correction;
            log::info!(
                "certificate of {} by {}: gain {}, offset {} A",
                calibration.issued,
                calibration.technician,
                correction.gain,
                correction.offset_amps
            );
        }
        let options =
            SessionOptions { device: device.to_string(), interval, clock, correction, give_up_after };
        Ok(Session::new(meter, switch, HealthMonitor::new(config), options))
    }

    /// The health monitor (its configuration, baseline and alarm count).
    pub fn monitor(&self) -> &HealthMonitor {
        &self.monitor
    }

    /// The relay, when there is one (a delivery closes and opens it).
    pub fn switch_mut(&mut self) -> Option<&mut (dyn Switch + 'static)> {
        self.switch.as_deref_mut()
    }

    /// Waits for the next reading's slot and takes it. Returns `Ok(None)` when `stop()` asked
    /// to end the session, while waiting or during the read (a read cut short by a signal is
    /// not the device's fault).
    pub fn next_step(&mut self, stop: &dyn Fn() -> bool) -> Result<Option<Step>, SessionError> {
        let due = self.schedule.next_due(&self.options.clock);
        if !self.options.clock.wait_until(due, stop) {
            return Ok(None);
        }
        let seq = self.seq;
        let at = self.options.clock.elapsed();
        let time = self.options.clock.rfc3339();
        let read = self.meter.read(at);
        if stop() {
            return Ok(None);
        }
        self.seq += 1;
        let switch_closed = self.switch_state();
        let observation = Observation { seq, at, switch_closed, hints: self.meter.health_hints() };
        let alarms = self.monitor.observe(read.as_ref(), &observation);
        let alarm_records = alarms.iter().map(|alarm| self.alarm_record(alarm, seq, &time)).collect();
        let reading = match read {
            Ok(sample) => {
                self.failures = 0;
                Some(self.reading(seq, time, &sample, switch_closed, &alarms))
            }
            Err(error) => {
                self.failures += 1;
                if !is_transient(&error) {
                    return Err(error.into());
                }
                if self.options.give_up_after > 0 && self.failures >= self.options.give_up_after {
                    return Err(SessionError::GaveUp { count: self.failures, last: error });
                }
                if alarms.is_empty() {
                    // The alarm said it once; the rest of an outage only at -v.
                    log::info!("reading {seq}: {error}");
                } else {
                    log::warn!("reading {seq}: {error}; retrying");
                }
                None
            }
        };
        Ok(Some(Step { seq, reading, alarms: alarm_records }))
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
            device: self.options.device.clone(),
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
        let correction = &self.options.correction;
        let amps = correction.amps(sample.amps);
        let watts = correction.watts(sample.watts, sample.volts, sample.power_factor);
        let energy_mwh = finite_or_zero(sample.energy_wh * 1000.0).max(0.0).floor() as u64;
        ReadingRecord {
            device: self.options.device.clone(),
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
            state: Some(sample.state),
            counters: sample.counters,
            health: Health {
                ok: alarms.is_empty() && self.monitor.active().next().is_none(),
                alarms: alarms.iter().map(|a| a.code.as_str().into()).collect(),
            },
            meta: None,
        }
    }
}

fn finite_or_zero(value: f64) -> f64 {
    if value.is_finite() { value } else { 0.0 }
}

/// Rounds for the record (sub-mV, µA, sub-mW), keeping lines short; JSON has no NaN, so a
/// non-finite value (an `out_of_range` alarm says so) becomes 0.
fn round(value: f64, decimals: i32) -> f64 {
    round_to(finite_or_zero(value), decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_and_never_carry_nan() {
        assert_eq!(round(f64::NAN, 4), 0.0);
        assert_eq!(round(12.345_678_9, 4), 12.3457);
    }

    use crate::meter::bench::{Bench, BenchMeter, BenchSwitch};
    use crate::meter::health::HealthConfig;
    use crate::meter::{DeviceUri, SelfCheck};
    use std::sync::{Arc, Mutex};

    fn session(meter: Box<dyn Meter>, bench: &Arc<Mutex<Bench>>, give_up_after: u32) -> Session {
        let uri: DeviceUri = "bench:dut".parse().unwrap();
        let mut config = HealthConfig::for_device(&uri, meter.info());
        config.min_current_closed = Some(0.5);
        let options = SessionOptions {
            device: "bench:dut".into(),
            interval: Duration::from_secs(1),
            clock: Clock::virtual_clock(),
            correction: Correction { gain: 2.0, offset_amps: 0.0 },
            give_up_after,
        };
        Session::new(meter, Some(Box::new(BenchSwitch(bench.clone()))), HealthMonitor::new(config), options)
    }

    #[test]
    fn steps_carry_corrected_readings_and_the_relay_state() {
        let bench = Arc::new(Mutex::new(Bench { closed: true, load_amps: 1.5, reads: 0 }));
        let mut session = session(Box::new(BenchMeter::new(&bench, 1.0)), &bench, 3);
        let first = session.next_step(&|| false).unwrap().unwrap();
        let reading = first.reading.unwrap();
        assert_eq!((first.seq, reading.seq), (0, 0));
        assert!((reading.amps - 2.0 * (1.5 - 1e-4)).abs() < 1e-6, "gain 2 applied: {}", reading.amps);
        assert_eq!(reading.switch.as_deref(), Some("closed"));
        assert_eq!(reading.time, "2025-01-01T00:00:00.000Z");
        assert!(first.alarms.is_empty() && reading.health.ok);
        // The relay opens: the reading says so; stopping returns None without reading.
        session.switch_mut().unwrap().set_closed(false).unwrap();
        let second = session.next_step(&|| false).unwrap().unwrap();
        assert_eq!(second.reading.unwrap().switch.as_deref(), Some("open"));
        assert!(session.next_step(&|| true).unwrap().is_none());
        assert_eq!(bench.lock().unwrap().reads, 2);
    }

    /// A meter that times out from its third read on.
    struct Failing(BenchMeter);

    impl Meter for Failing {
        fn info(&self) -> &crate::meter::DeviceInfo {
            self.0.info()
        }
        fn read(&mut self, at: Duration) -> Result<Sample, MeterError> {
            if self.0.bench.lock().unwrap().reads >= 2 {
                return Err(MeterError::Timeout {
                    device: "bench:dut".into(),
                    timeout: Duration::from_millis(5),
                });
            }
            self.0.read(at)
        }
        fn registers(&mut self) -> Result<crate::meter::Registers, MeterError> {
            self.0.registers()
        }
        fn self_test(&mut self) -> Result<Vec<SelfCheck>, MeterError> {
            Ok(Vec::new())
        }
    }

    #[test]
    fn a_failing_device_is_silent_then_given_up_on() {
        let bench = Arc::new(Mutex::new(Bench { closed: true, load_amps: 1.5, reads: 0 }));
        let mut session = session(Box::new(Failing(BenchMeter::new(&bench, 1.0))), &bench, 3);
        for _ in 0..2 {
            assert!(session.next_step(&|| false).unwrap().unwrap().reading.is_some());
        }
        let silent = session.next_step(&|| false).unwrap().unwrap();
        assert!(silent.reading.is_none());
        assert_eq!(silent.alarms[0].code, "device_silent");
        assert_eq!(silent.alarms[0].seq, 2);
        assert!(session.next_step(&|| false).unwrap().unwrap().alarms.is_empty(), "raised once");
        let error = session.next_step(&|| false).unwrap_err();
        assert!(matches!(error, SessionError::GaveUp { count: 3, .. }), "{error}");
        assert_eq!(error.exit_code(), ExitCode::Device);
        assert_eq!(error.error_code(), "device_timeout");
    }
}
