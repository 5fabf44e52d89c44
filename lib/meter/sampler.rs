//! One metering step at a time: read the device on its schedule, run the health checks, and
//! turn the result into `reading` and `alarm` records. `evlock-sense` loops over it;
//! `evlock-trade deliver` drives it while it reports.

use std::time::Duration;

use super::clock::{Clock, Schedule};
use super::health::{Alarm, HealthConfig, HealthMonitor, Observation};
use super::{DeviceUri, Meter, MeterError, PowerState, Sample, Switch};
use crate::calibrate::{Certificate, Correction};
use crate::wire::{AlarmRecord, Health, ReadingRecord};

/// What one step produced.
#[derive(Debug)]
pub struct Step {
    /// The step's number, from 0 (failed reads count).
    pub seq: u64,
    /// The reading, when the device answered.
    pub reading: Option<ReadingRecord>,
    /// The alarms this step raised, in the order they were raised.
    pub alarms: Vec<AlarmRecord>,
    /// The device's error, when it did not answer.
    pub error: Option<MeterError>,
}

/// A meter, its relay, its health monitor and its clock.
pub struct Sampler {
    device: String,
    meter: Box<dyn Meter>,
    switch: Option<Box<dyn Switch>>,
    monitor: HealthMonitor,
    correction: Correction,
    clock: Clock,
    schedule: Schedule,
    seq: u64,
}

impl Sampler {
    /// Opens the meter at `device` (and the relay at `switch`), with the health checks for
    /// that device adjusted by `tune`, and the certificate's correction and register baseline
    /// when one is given (its signature must have been verified already).
    pub fn open(
        device: &DeviceUri,
        switch: Option<&DeviceUri>,
        certificate: Option<&Certificate>,
        clock: Clock,
        interval: Duration,
        tune: impl FnOnce(&mut HealthConfig),
    ) -> Result<Sampler, MeterError> {
        let meter = super::open_meter(device)?;
        let switch = switch.map(super::open_switch).transpose()?;
        Ok(Sampler::new(device, meter, switch, certificate, clock, interval, tune))
    }

    /// A sampler over an already opened meter and relay.
    pub fn new(
        device: &DeviceUri,
        meter: Box<dyn Meter>,
        switch: Option<Box<dyn Switch>>,
        certificate: Option<&Certificate>,
        clock: Clock,
        interval: Duration,
        tune: impl FnOnce(&mut HealthConfig),
    ) -> Sampler {
        let info = meter.info().clone();
        let mut config = HealthConfig::for_device(device, &info);
        tune(&mut config);
        let mut correction = Correction::IDENTITY;
        if let Some(certificate) = certificate {
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
        Sampler {
            device: device.to_string(),
            meter,
            switch,
            monitor: HealthMonitor::new(config),
            correction,
            clock,
            schedule: Schedule::new(interval),
            seq: 0,
        }
    }

    /// The health monitor (alarms raised so far, the baseline).
    pub fn monitor(&self) -> &HealthMonitor {
        &self.monitor
    }

    /// Waits until the next reading is due; `false` when `stop` said to stop first.
    pub fn wait_next(&mut self, stop: &dyn Fn() -> bool) -> bool {
        let due = self.schedule.next_due(&self.clock);
        self.clock.wait_until(due, stop)
    }

    /// Reads the device now and runs the health checks.
    pub fn take(&mut self) -> Step {
        let seq = self.seq;
        self.seq += 1;
        let at = self.clock.elapsed();
        let time = self.clock.rfc3339();
        let read = self.meter.read(at);
        let switch_closed = self.switch_state();
        let hints = self.meter.health_hints();
        let observation = Observation { seq, at, switch_closed, hints };
        let raised = self.monitor.observe(read.as_ref(), &observation);
        let alarms = raised.iter().map(|alarm| self.alarm_record(alarm, seq, &time)).collect();
        match read {
            Ok(sample) => Step {
                seq,
                reading: Some(self.reading(seq, time, &sample, switch_closed, &raised)),
                alarms,
                error: None,
            },
            Err(error) => Step { seq, reading: None, alarms, error: Some(error) },
        }
    }

    /// Closes (energy flows) or opens the relay; nothing without one.
    pub fn set_switch(&mut self, closed: bool) -> Result<(), MeterError> {
        match self.switch.as_mut() {
            Some(switch) => switch.set_closed(closed),
            None => Ok(()),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_and_never_carry_nan() {
        assert_eq!(round(f64::NAN, 4), 0.0);
        assert_eq!(round(12.345_678_9, 4), 12.3457);
    }

    #[test]
    fn a_step_reads_checks_and_numbers() {
        let uri: DeviceUri = "sim:sampler-test?amps=2&fault=reset@3s".parse().unwrap();
        let mut sampler =
            Sampler::open(&uri, Some(&uri), None, Clock::virtual_clock(), Duration::from_secs(1), |_| {})
                .unwrap();
        let mut steps = Vec::new();
        for _ in 0..5 {
            assert!(sampler.wait_next(&|| false));
            steps.push(sampler.take());
        }
        assert_eq!(steps.iter().map(|s| s.seq).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
        let first = steps[0].reading.as_ref().unwrap();
        assert_eq!(first.switch.as_deref(), Some("closed"));
        assert!(steps[2].reading.as_ref().unwrap().energy_mwh > 0);
        let codes: Vec<&str> = steps.iter().flat_map(|s| s.alarms.iter().map(|a| a.code.as_str())).collect();
        assert_eq!(codes, vec!["energy_reset"]);
        sampler.set_switch(false).unwrap();
        assert!(sampler.wait_next(&|| false));
        assert_eq!(sampler.take().reading.unwrap().switch.as_deref(), Some("open"));
    }
}
