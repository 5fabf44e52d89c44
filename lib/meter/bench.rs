//! A tiny test bench shared by the meter's and the calibration's unit tests: a relay, a load,
//! and a meter reading the load's current times a gain.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{DeviceInfo, Meter, MeterError, Registers, Sample, SelfCheck, Switch};

/// A tiny bench: a relay, a load, and a meter reading the load's current times `gain`
/// (plus a small deterministic ripple), sharing one state.
#[derive(Debug, Default)]
pub(crate) struct Bench {
    pub closed: bool,
    pub load_amps: f64,
    pub reads: u64,
}

pub(crate) struct BenchMeter {
    pub bench: Arc<Mutex<Bench>>,
    pub gain: f64,
    pub info: DeviceInfo,
    pub registers: Registers,
}

impl BenchMeter {
    pub fn new(bench: &Arc<Mutex<Bench>>, gain: f64) -> Self {
        BenchMeter {
            bench: bench.clone(),
            gain,
            info: DeviceInfo {
                uri: "bench:dut".into(),
                driver: "bench".into(),
                model: "bench meter".into(),
                has_energy_register: false,
                has_calibration_registers: true,
            },
            registers: [("gain".to_string(), (gain * 32768.0) as u64)].into(),
        }
    }
}

impl Meter for BenchMeter {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }
    fn read(&mut self, _at: Duration) -> Result<Sample, MeterError> {
        let mut bench = self.bench.lock().unwrap();
        bench.reads += 1;
        let ripple = if bench.reads % 2 == 0 { 1e-4 } else { -1e-4 };
        let amps = if bench.closed { bench.load_amps * self.gain + ripple } else { ripple / 10.0 };
        Ok(Sample { volts: 12.8, amps, watts: 12.8 * amps, ..Sample::default() })
    }
    fn registers(&mut self) -> Result<Registers, MeterError> {
        Ok(self.registers.clone())
    }
    fn self_test(&mut self) -> Result<Vec<SelfCheck>, MeterError> {
        Ok(Vec::new())
    }
}

pub(crate) struct BenchSwitch(pub Arc<Mutex<Bench>>);

impl Switch for BenchSwitch {
    fn set_closed(&mut self, closed: bool) -> Result<(), MeterError> {
        self.0.lock().unwrap().closed = closed;
        Ok(())
    }
    fn is_closed(&mut self) -> Result<bool, MeterError> {
        Ok(self.0.lock().unwrap().closed)
    }
}
