//! Health checks run on every reading: they turn the paper's meter attacks (sleep mode, reset,
//! recalibration, physical tampering) and plain faults (a dead bus, a stuck ADC, bad wiring)
//! into `alarm` records with stable codes.
//!
//! A [`HealthMonitor`] is fed every read result in order, with the relay's state when it is
//! known. It raises an [`Alarm`] when a condition *starts*, and again only after the condition
//! has cleared, so a meter that stays asleep gives one `shutdown` alarm, not one per second.
//! Two codes are events rather than conditions and are raised every time they happen:
//! `energy_reset` (each drop of the energy total is a new reset) and `recalibrated` when the
//! registers change *again* to other values while already differing from the baseline.
//!
//! | code | raised when |
//! |---|---|
//! | `recalibrated` | a calibration/configuration register differs from the baseline |
//! | `shutdown` | the sensor reports shutdown/sleep mode |
//! | `not_converting` | the sensor is configured to convert but no new conversion arrived |
//! | `energy_reset` | the energy total went down |
//! | `frozen` | `frozen_after` readings in a row repeated the previous one bit for bit |
//! | `current_while_open` | current flows although the relay is open (wiring bypass) |
//! | `no_current_while_closed` | no current although the relay is closed with a load (sensor removed) |
//! | `out_of_range` | a value is outside what the device can physically measure |
//! | `device_silent` | the read failed (timeout, CRC, bus error, garbage) |
//! | `zero_drift` | ACS712: the zero-current output moved while the relay is open |
//! | `adc_stuck` | ACS712: the ADC code did not move for `stuck_after` readings |

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::time::Duration;

use serde_json::{Value, json};

use super::modbus::{Profile, Quantity};
use super::{DeviceInfo, DeviceUri, HealthHints, MeterError, PowerState, Registers, Sample};
use crate::exit::ErrorClass;

/// The stable alarm codes (`docs/architecture.md`, "Meters and their health checks";
/// `AlarmRecord` in `lib/wire`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlarmCode {
    /// Registers differ from the commissioned baseline: the recalibration attack.
    Recalibrated,
    /// The sensor is in shutdown/sleep mode: the sleep-mode attack.
    Shutdown,
    /// The sensor should convert but produces no new conversions.
    NotConverting,
    /// The energy total went down: the reset attack.
    EnergyReset,
    /// The same sample, bit for bit, again and again.
    Frozen,
    /// Current while the relay is open: a bypass around the relay.
    CurrentWhileOpen,
    /// No current while the relay is closed with a load: the sensor was removed or bridged.
    NoCurrentWhileClosed,
    /// A value the device cannot physically measure.
    OutOfRange,
    /// The device did not answer (or answered garbage).
    DeviceSilent,
    /// ACS712: the zero-current offset moved.
    ZeroDrift,
    /// ACS712: the ADC code does not move.
    AdcStuck,
}

impl AlarmCode {
    /// Every code, in a stable order.
    pub const ALL: [AlarmCode; 11] = [
        AlarmCode::Recalibrated,
        AlarmCode::Shutdown,
        AlarmCode::NotConverting,
        AlarmCode::EnergyReset,
        AlarmCode::Frozen,
        AlarmCode::CurrentWhileOpen,
        AlarmCode::NoCurrentWhileClosed,
        AlarmCode::OutOfRange,
        AlarmCode::DeviceSilent,
        AlarmCode::ZeroDrift,
        AlarmCode::AdcStuck,
    ];

    /// The code as written in `alarm` records.
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmCode::Recalibrated => "recalibrated",
            AlarmCode::Shutdown => "shutdown",
            AlarmCode::NotConverting => "not_converting",
            AlarmCode::EnergyReset => "energy_reset",
            AlarmCode::Frozen => "frozen",
            AlarmCode::CurrentWhileOpen => "current_while_open",
            AlarmCode::NoCurrentWhileClosed => "no_current_while_closed",
            AlarmCode::OutOfRange => "out_of_range",
            AlarmCode::DeviceSilent => "device_silent",
            AlarmCode::ZeroDrift => "zero_drift",
            AlarmCode::AdcStuck => "adc_stuck",
        }
    }
}

impl fmt::Display for AlarmCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One alarm raised by a reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    /// The stable code.
    pub code: AlarmCode,
    /// What was found, for humans.
    pub message: String,
    /// Expected and found values, for scripts.
    pub details: Value,
}

/// The values a device can physically produce; anything outside is `out_of_range`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The highest bus/line voltage the device measures, V.
    pub max_volts: f64,
    /// The highest current magnitude the device measures, A.
    pub max_amps: f64,
    /// The highest power magnitude, W.
    pub max_watts: f64,
}

impl Limits {
    /// Limits from voltage and current ranges; power is their product with 5 % headroom for
    /// rounding in the device.
    pub fn new(max_volts: f64, max_amps: f64) -> Self {
        Limits { max_volts, max_amps, max_watts: max_volts * max_amps * 1.05 }
    }

    /// The measuring range of the device a URI names (each with 20 % headroom, so only values
    /// the device cannot produce are flagged):
    ///
    /// - INA228/INA229: bus 0–85 V; shunt full scale ±163.84 mV (ADCRANGE = 0), so
    ///   ±163.84 mV / `shunt_ohms` (datasheet SBOSA20, §8.3.1, Table 8-1).
    /// - ACS712: ±5 A at 185 mV/A, ±20 A at 100 mV/A, ±30 A at 66 mV/A (datasheet,
    ///   selection guide); the bus voltage is configured, not measured.
    /// - Modbus meters: the `[ranges]` of their profile, taken from the manuals
    ///   (PZEM-004T v3 §1.1–1.3: 80–260 V, 0–100 A, 0–23 kW; Eastron SDM120: 176–276 V,
    ///   Imax 45 A); 480 V and 100 A where a profile names none.
    /// - The simulator: 100 V, 100 A (a battery, a panel, a small load).
    pub fn for_device(uri: &DeviceUri, _info: &DeviceInfo) -> Self {
        let headroom = 1.2;
        match uri.scheme.as_str() {
            "ina228" | "ina229" => {
                let shunt = uri.param::<f64>("shunt_ohms").ok().flatten().filter(|r| *r > 0.0);
                let max_amps = shunt.map(|ohms| 0.163_84 / ohms).unwrap_or(1000.0);
                Limits::new(85.0 * headroom, max_amps * headroom)
            }
            "iio-acs712" => {
                let sensitivity = uri.param::<f64>("mv_per_amp").ok().flatten().unwrap_or(185.0);
                let range = if sensitivity >= 150.0 {
                    5.0
                } else if sensitivity >= 80.0 {
                    20.0
                } else {
                    30.0
                };
                Limits::new(100.0, range * headroom)
            }
            "modbus" => {
                let ranges = uri
                    .params
                    .get("profile")
                    .and_then(|spec| Profile::resolve(spec).ok())
                    .map(|profile| profile.ranges)
                    .unwrap_or_default();
                let largest =
                    |quantity: Quantity| ranges.get(&quantity).map(|(low, high)| low.abs().max(high.abs()));
                let volts = largest(Quantity::Volts).unwrap_or(480.0);
                let amps = largest(Quantity::Amps).unwrap_or(100.0);
                let watts = largest(Quantity::Watts).unwrap_or(volts * amps);
                Limits { max_volts: volts * headroom, max_amps: amps * headroom, max_watts: watts * headroom }
            }
            _ => Limits::new(100.0, 100.0),
        }
    }
}

/// The ACS712 zero-offset checks: only an open relay shows the sensor's zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZeroCheck {
    /// `zero_drift` when the mean current of the last `window` open-relay readings is
    /// further than this from 0, A.
    pub drift_amps: f64,
    /// How many open-relay readings are averaged (the sensor's noise averages out).
    pub window: usize,
    /// `adc_stuck` when this many readings in a row give bit-identical current.
    pub stuck_after: u32,
}

impl ZeroCheck {
    /// Thresholds for an ACS712 of `mv_per_amp` sensitivity. The drift limit is 20 mV at the
    /// output: beyond the zero-current output slope over any temperature change the board sees
    /// (−0.26 mV/°C, datasheet x05B table) yet well inside the ±40 mV factory offset the
    /// commissioning removed. The sensor's noise is ≈ 21 mV peak to peak (same table), tens of
    /// ADC codes at 0.8 mV/code, so eight identical codes in a row mean the ADC is stuck.
    pub fn acs712(mv_per_amp: f64) -> Self {
        ZeroCheck { drift_amps: 20.0 / mv_per_amp, window: 10, stuck_after: 8 }
    }
}

/// What the monitor checks, and against what.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthConfig {
    /// The commissioned register baseline (from a calibration certificate). Without one, the
    /// first registers the session sees become the baseline, which catches changes during
    /// the session.
    pub baseline: Option<Registers>,
    /// `frozen` after this many readings in a row each repeat the previous one exactly.
    pub frozen_after: u32,
    /// The device's physical measuring range.
    pub limits: Limits,
    /// With the relay closed and a load connected, at least this current is expected, A;
    /// `None` turns the `no_current_while_closed` check off (no load is known to be there).
    pub min_current_closed: Option<f64>,
    /// With the relay open, more than this current is `current_while_open`, A.
    pub open_current_max: f64,
    /// A drop of the energy total larger than this is `energy_reset`, Wh (one mWh, the
    /// resolution of `reading` records, so measurement noise never counts).
    pub energy_tolerance_wh: f64,
    /// The ACS712 zero checks, for that sensor only.
    pub zero_check: Option<ZeroCheck>,
}

impl HealthConfig {
    /// Defaults for the device a URI names. Modbus meters refresh about once a second and
    /// show coarse values (0.1 V, 1 mA), so an idle one can repeat itself for a while: they
    /// get `frozen` only after 60 identical readings; sensors read on demand after 10.
    pub fn for_device(uri: &DeviceUri, info: &DeviceInfo) -> Self {
        let acs712 = uri.scheme == "iio-acs712";
        let mv_per_amp = uri.param::<f64>("mv_per_amp").ok().flatten().unwrap_or(185.0);
        HealthConfig {
            baseline: None,
            frozen_after: if uri.scheme == "modbus" { 60 } else { 10 },
            limits: Limits::for_device(uri, info),
            min_current_closed: None,
            // An ACS712's noise alone reaches ±0.06 A; shunt and Modbus meters start
            // measuring at 10–20 mA.
            open_current_max: if acs712 { 0.15 } else { 0.05 },
            energy_tolerance_wh: 0.001,
            zero_check: acs712.then(|| ZeroCheck::acs712(mv_per_amp)),
        }
    }
}

/// Where a reading sits in the session: what the monitor needs besides the sample.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observation {
    /// The reading's number in the session.
    pub seq: u64,
    /// Time since the session began (the `at` passed to the meter).
    pub at: Duration,
    /// Whether the relay is closed, when a switch is known.
    pub switch_closed: Option<bool>,
    /// The driver's sensor-specific signals for this reading ([`Meter::health_hints`]):
    /// the ACS712's raw ADC code and output voltage.
    ///
    /// [`Meter::health_hints`]: super::Meter::health_hints
    pub hints: HealthHints,
}

/// The measured values of a sample as bits, for exact repeat detection.
fn fingerprint(sample: &Sample) -> [u64; 4] {
    [sample.volts.to_bits(), sample.amps.to_bits(), sample.watts.to_bits(), sample.energy_wh.to_bits()]
}

/// Runs every health check on each reading of one session.
#[derive(Debug)]
pub struct HealthMonitor {
    /// Its `baseline` is the commissioned one, or the first registers seen.
    config: HealthConfig,
    /// Conditions currently on: an alarm is raised only when its condition turns on.
    active: BTreeSet<AlarmCode>,
    /// The register differences last reported, so a further change is reported again.
    reported_changes: Option<RegisterChanges>,
    last_fingerprint: Option<[u64; 4]>,
    repeats: u32,
    last_energy_wh: Option<f64>,
    last_code: Option<u64>,
    code_repeats: u32,
    open_amps: VecDeque<f64>,
    raised: u64,
}

impl HealthMonitor {
    /// A monitor for one session.
    pub fn new(config: HealthConfig) -> Self {
        HealthMonitor {
            config,
            active: BTreeSet::new(),
            reported_changes: None,
            last_fingerprint: None,
            repeats: 0,
            last_energy_wh: None,
            last_code: None,
            code_repeats: 0,
            open_amps: VecDeque::new(),
            raised: 0,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &HealthConfig {
        &self.config
    }

    /// The register baseline in force (the commissioned one, or the first seen).
    pub fn baseline(&self) -> Option<&Registers> {
        self.config.baseline.as_ref()
    }

    /// The alarm conditions in force after the last reading (a sensor still asleep, registers
    /// still changed, …); events such as `energy_reset` are never in force.
    pub fn active(&self) -> impl Iterator<Item = AlarmCode> + '_ {
        self.active.iter().copied()
    }

    /// How many alarms were raised so far.
    pub fn alarms_raised(&self) -> u64 {
        self.raised
    }

    /// Checks one read result; returns the alarms it raises (usually none).
    pub fn observe(&mut self, read: Result<&Sample, &MeterError>, at: &Observation) -> Vec<Alarm> {
        let mut alarms = Vec::new();
        match read {
            Err(error) => self.on_error(error, &mut alarms),
            Ok(sample) => self.on_sample(sample, at, &mut alarms),
        }
        self.raised += alarms.len() as u64;
        alarms
    }

    /// Turns a condition on or off; true when it just turned on (time to raise the alarm).
    fn set(&mut self, code: AlarmCode, on: bool) -> bool {
        if on {
            self.active.insert(code)
        } else {
            self.active.remove(&code);
            false
        }
    }

    fn on_error(&mut self, error: &MeterError, alarms: &mut Vec<Alarm>) {
        if self.set(AlarmCode::DeviceSilent, true) {
            alarms.push(Alarm {
                code: AlarmCode::DeviceSilent,
                message: format!("the device did not answer: {error}"),
                details: json!({"error": error.error_code()}),
            });
        }
    }

    fn on_sample(&mut self, sample: &Sample, at: &Observation, alarms: &mut Vec<Alarm>) {
        self.set(AlarmCode::DeviceSilent, false);
        self.check_state(sample, alarms);
        self.check_registers(sample, alarms);
        let in_range = self.check_range(sample, alarms);
        if !in_range {
            // The values are garbage: judging energy, wiring or repeats by them would only
            // add false alarms to the one that matters.
            return;
        }
        self.check_energy(sample, alarms);
        self.check_frozen(sample, alarms);
        self.check_wiring(sample, at.switch_closed, alarms);
        if let Some(zero) = self.config.zero_check {
            self.check_zero(sample, at, zero, alarms);
        }
    }

    fn check_state(&mut self, sample: &Sample, alarms: &mut Vec<Alarm>) {
        if self.set(AlarmCode::Shutdown, sample.state == PowerState::Shutdown) {
            alarms.push(Alarm {
                code: AlarmCode::Shutdown,
                message: "the sensor is in shutdown (sleep) mode: no energy is being measured".into(),
                details: json!({"state": "shutdown"}),
            });
        }
        if self.set(AlarmCode::NotConverting, sample.state == PowerState::Stalled) {
            alarms.push(Alarm {
                code: AlarmCode::NotConverting,
                message: "the sensor is configured to convert but no new conversion arrived".into(),
                details: json!({"state": "stalled"}),
            });
        }
    }

    fn check_registers(&mut self, sample: &Sample, alarms: &mut Vec<Alarm>) {
        // Entering shutdown rewrites the mode bits of a configuration register (INA228
        // ADC_CONFIG.MODE); `shutdown` already says so. Registers are compared again once
        // the sensor converts, so a calibration changed while it slept is still caught.
        if sample.registers.is_empty() || sample.state == PowerState::Shutdown {
            return;
        }
        let Some(baseline) = &self.config.baseline else {
            self.config.baseline = Some(sample.registers.clone());
            return;
        };
        let changes = register_changes(baseline, &sample.registers);
        if changes.is_empty() {
            self.set(AlarmCode::Recalibrated, false);
            self.reported_changes = None;
            return;
        }
        let newly = self.set(AlarmCode::Recalibrated, true);
        if newly || self.reported_changes.as_ref() != Some(&changes) {
            let listed: Vec<String> = changes
                .iter()
                .map(|(name, (expected, found))| {
                    format!("{name} {} → {}", show_register(*expected), show_register(*found))
                })
                .collect();
            alarms.push(Alarm {
                code: AlarmCode::Recalibrated,
                message: format!("registers differ from the baseline: {}", listed.join(", ")),
                details: changes_json(&changes),
            });
            self.reported_changes = Some(changes);
        }
    }

    fn check_range(&mut self, sample: &Sample, alarms: &mut Vec<Alarm>) -> bool {
        let limits = self.config.limits;
        let problem = if !(sample.volts.is_finite()
            && sample.amps.is_finite()
            && sample.watts.is_finite()
            && sample.energy_wh.is_finite())
        {
            Some("a value is not a finite number".to_string())
        } else if sample.volts < -0.5 || sample.volts > limits.max_volts {
            Some(format!("voltage {} V outside 0..{} V", sample.volts, limits.max_volts))
        } else if sample.amps.abs() > limits.max_amps {
            Some(format!("current {} A beyond ±{} A", sample.amps, limits.max_amps))
        } else if sample.watts.abs() > limits.max_watts {
            Some(format!("power {} W beyond ±{} W", sample.watts, limits.max_watts))
        } else {
            None
        };
        if self.set(AlarmCode::OutOfRange, problem.is_some()) {
            alarms.push(Alarm {
                code: AlarmCode::OutOfRange,
                message: format!("impossible reading: {}", problem.as_deref().unwrap_or_default()),
                details: json!({
                    "volts": finite_or_null(sample.volts),
                    "amps": finite_or_null(sample.amps),
                    "watts": finite_or_null(sample.watts),
                    "max_volts": limits.max_volts,
                    "max_amps": limits.max_amps,
                    "max_watts": limits.max_watts,
                }),
            });
        }
        problem.is_none()
    }

    fn check_energy(&mut self, sample: &Sample, alarms: &mut Vec<Alarm>) {
        let dropped_from = self
            .last_energy_wh
            .filter(|previous| sample.energy_wh < previous - self.config.energy_tolerance_wh);
        if let Some(previous) = dropped_from {
            alarms.push(Alarm {
                code: AlarmCode::EnergyReset,
                message: format!(
                    "energy total went down from {} mWh to {} mWh",
                    (previous * 1000.0).floor(),
                    (sample.energy_wh * 1000.0).floor()
                ),
                details: json!({"previous_wh": previous, "found_wh": sample.energy_wh}),
            });
        }
        self.last_energy_wh = Some(sample.energy_wh);
    }

    fn check_frozen(&mut self, sample: &Sample, alarms: &mut Vec<Alarm>) {
        let print = fingerprint(sample);
        self.repeats = if self.last_fingerprint == Some(print) { self.repeats.saturating_add(1) } else { 0 };
        self.last_fingerprint = Some(print);
        // A sensor that says it is asleep or stalled has already explained why its values
        // stopped; `shutdown`/`not_converting` cover it.
        let explained = matches!(sample.state, PowerState::Shutdown | PowerState::Stalled);
        let frozen = !explained && self.repeats >= self.config.frozen_after.max(1);
        if self.set(AlarmCode::Frozen, frozen) {
            alarms.push(Alarm {
                code: AlarmCode::Frozen,
                message: format!(
                    "the last {} readings repeat the one before them bit for bit: the values are replayed",
                    self.repeats
                ),
                details: json!({"repeats": self.repeats, "volts": sample.volts, "amps": sample.amps,
                                "energy_wh": sample.energy_wh}),
            });
        }
    }

    fn check_wiring(&mut self, sample: &Sample, switch_closed: Option<bool>, alarms: &mut Vec<Alarm>) {
        let amps = sample.amps.abs();
        let open_limit = self.config.open_current_max;
        let leaking = switch_closed == Some(false) && amps > open_limit;
        if self.set(AlarmCode::CurrentWhileOpen, leaking) {
            alarms.push(Alarm {
                code: AlarmCode::CurrentWhileOpen,
                message: format!(
                    "{} A flows although the relay is open (limit {open_limit} A): the relay is bypassed",
                    sample.amps
                ),
                details: json!({"amps": sample.amps, "limit_amps": open_limit, "switch": "open"}),
            });
        }
        if let Some(minimum) = self.config.min_current_closed {
            let missing = switch_closed == Some(true) && amps < minimum;
            if self.set(AlarmCode::NoCurrentWhileClosed, missing) {
                alarms.push(Alarm {
                    code: AlarmCode::NoCurrentWhileClosed,
                    message: format!(
                        "only {} A with the relay closed and a load connected (expected at least {minimum} A): \
                         the sensor is bypassed or removed",
                        sample.amps
                    ),
                    details: json!({"amps": sample.amps, "min_amps": minimum, "switch": "closed"}),
                });
            }
        }
    }

    fn check_zero(&mut self, sample: &Sample, at: &Observation, zero: ZeroCheck, alarms: &mut Vec<Alarm>) {
        // The raw ADC code when the driver gives it, else the current it was converted to.
        let code = match at.hints.adc_raw {
            Some(raw) => raw as u64,
            None => sample.amps.to_bits(),
        };
        self.code_repeats =
            if self.last_code == Some(code) { self.code_repeats.saturating_add(1) } else { 0 };
        self.last_code = Some(code);
        // `stuck_after` identical readings are `stuck_after - 1` repeats.
        let readings = self.code_repeats + 1;
        if self.set(AlarmCode::AdcStuck, readings >= zero.stuck_after.max(2)) {
            let what = match at.hints.adc_raw {
                Some(raw) => format!("the ADC returns code {raw}"),
                None => format!("the current reads exactly {} A", sample.amps),
            };
            alarms.push(Alarm {
                code: AlarmCode::AdcStuck,
                message: format!("{what} for {readings} readings in a row; a live sensor's noise moves it"),
                details: json!({"adc_raw": at.hints.adc_raw, "amps": sample.amps, "readings": readings}),
            });
        }
        if at.switch_closed != Some(false) {
            // The zero is only visible with no current; a closed relay starts a new window.
            self.open_amps.clear();
            return;
        }
        self.open_amps.push_back(sample.amps);
        while self.open_amps.len() > zero.window.max(1) {
            self.open_amps.pop_front();
        }
        if self.open_amps.len() < zero.window.max(1) {
            return;
        }
        let mean = self.open_amps.iter().sum::<f64>() / self.open_amps.len() as f64;
        if self.set(AlarmCode::ZeroDrift, mean.abs() > zero.drift_amps) {
            // In the sensor's own terms when the driver says them: where its zero went.
            let (configured, sensitivity) = (at.hints.zero_offset_mv, at.hints.mv_per_amp);
            let zero_moved = match (configured, sensitivity) {
                (Some(zero_mv), Some(mv_per_amp)) => format!(
                    "; its output at zero current moved from {zero_mv} mV to about {:.1} mV",
                    zero_mv + mean * mv_per_amp
                ),
                _ => String::new(),
            };
            alarms.push(Alarm {
                code: AlarmCode::ZeroDrift,
                message: format!(
                    "with the relay open the sensor reads {mean:.4} A on average over {} readings \
                     (limit ±{:.4} A){zero_moved}",
                    self.open_amps.len(),
                    zero.drift_amps
                ),
                details: json!({"mean_amps": mean, "limit_amps": zero.drift_amps,
                                "readings": self.open_amps.len(), "zero_offset_mv": configured,
                                "mv_per_amp": sensitivity}),
            });
        }
    }
}

/// Whether a read error may go away by itself (retry, raise `device_silent`, go on) rather
/// than end the session: timeouts, CRC errors, exceptions, garbage, bus and I/O errors are
/// transient; a device that is gone, forbidden, misnamed or unsupported is not.
pub fn is_transient(error: &MeterError) -> bool {
    match error {
        MeterError::Timeout { .. }
        | MeterError::Crc { .. }
        | MeterError::Exception { .. }
        | MeterError::Garbage { .. }
        | MeterError::Bus { .. }
        | MeterError::Io { .. } => true,
        MeterError::UnknownScheme { .. }
        | MeterError::BadUri { .. }
        | MeterError::NotFound { .. }
        | MeterError::PermissionDenied { .. }
        | MeterError::Profile { .. }
        | MeterError::RegisterRange { .. }
        | MeterError::WrongCertificate { .. }
        | MeterError::Unsupported { .. } => false,
    }
}

/// Registers that differ from a baseline: name → `(expected, found)`, `None` when missing.
pub type RegisterChanges = BTreeMap<String, (Option<u64>, Option<u64>)>;

/// The registers of `baseline` whose value in `found` differs (or is missing), with
/// `(expected, found)`.
pub fn register_changes(baseline: &Registers, found: &Registers) -> RegisterChanges {
    baseline
        .iter()
        .filter(|(name, value)| found.get(*name) != Some(value))
        .map(|(name, value)| (name.clone(), (Some(*value), found.get(name).copied())))
        .collect()
}

/// The changes as JSON: `{"gain": {"expected": 32768, "found": 33423}}` (`null` when missing).
pub fn changes_json(changes: &RegisterChanges) -> Value {
    let map: serde_json::Map<String, Value> = changes
        .iter()
        .map(|(name, (expected, found))| (name.clone(), json!({"expected": expected, "found": found})))
        .collect();
    Value::Object(map)
}

fn show_register(value: Option<u64>) -> String {
    match value {
        Some(v) => format!("{v:#x}"),
        None => "missing".into(),
    }
}

fn finite_or_null(value: f64) -> Value {
    if value.is_finite() { json!(value) } else { Value::Null }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> HealthConfig {
        HealthConfig {
            baseline: None,
            frozen_after: 3,
            limits: Limits::new(60.0, 20.0),
            min_current_closed: Some(0.5),
            open_current_max: 0.05,
            energy_tolerance_wh: 0.001,
            zero_check: None,
        }
    }

    /// A healthy battery sample whose values move a little with `n`.
    fn sample(n: u64) -> Sample {
        let wiggle = (n % 7) as f64 * 1e-4;
        let amps = 2.0 + wiggle;
        let volts = 12.8 - wiggle;
        Sample {
            volts,
            amps,
            watts: volts * amps,
            energy_wh: n as f64 * 0.007,
            registers: [("gain".to_string(), 0x8000), ("config".to_string(), 0x0123)].into(),
            ..Sample::default()
        }
    }

    fn at(seq: u64, switch_closed: Option<bool>) -> Observation {
        Observation { seq, at: Duration::from_secs(seq), switch_closed, hints: HealthHints::default() }
    }

    /// Feeds samples (or errors) and returns `(seq, code)` for every alarm.
    fn run(
        monitor: &mut HealthMonitor,
        reads: impl IntoIterator<Item = (Result<Sample, MeterError>, Option<bool>)>,
    ) -> Vec<(u64, &'static str)> {
        let mut raised = Vec::new();
        let before = monitor.alarms_raised();
        for (seq, (read, switch)) in reads.into_iter().enumerate() {
            let alarms = monitor.observe(read.as_ref(), &at(seq as u64, switch));
            raised.extend(alarms.iter().map(|a| (seq as u64, a.code.as_str())));
        }
        // The count evlock-sense reports at the end is every alarm raised, one by one.
        assert_eq!(monitor.alarms_raised() - before, raised.len() as u64, "alarms_raised");
        raised
    }

    fn closed(samples: impl IntoIterator<Item = Sample>) -> Vec<(Result<Sample, MeterError>, Option<bool>)> {
        samples.into_iter().map(|s| (Ok(s), Some(true))).collect()
    }

    #[test]
    fn codes_are_the_stable_strings() {
        let codes: Vec<&str> = AlarmCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            codes,
            [
                "recalibrated",
                "shutdown",
                "not_converting",
                "energy_reset",
                "frozen",
                "current_while_open",
                "no_current_while_closed",
                "out_of_range",
                "device_silent",
                "zero_drift",
                "adc_stuck"
            ]
        );
    }

    #[test]
    fn a_healthy_session_raises_nothing() {
        let mut monitor = HealthMonitor::new(HealthConfig {
            zero_check: Some(ZeroCheck { drift_amps: 0.1, window: 5, stuck_after: 8 }),
            ..config()
        });
        let mut reads = closed((0..2000).map(sample));
        // Open the relay for a while: current falls to noise around zero.
        for n in 2000..2100u64 {
            let mut open = sample(n);
            open.amps = ((n % 5) as f64 - 2.0) * 0.001;
            open.watts = open.volts * open.amps;
            open.energy_wh = 1999.0 * 0.007;
            reads.push((Ok(open), Some(false)));
        }
        assert_eq!(run(&mut monitor, reads), vec![]);
        assert_eq!(monitor.alarms_raised(), 0);
    }

    #[test]
    fn shutdown_is_raised_once_and_again_after_waking() {
        let mut monitor = HealthMonitor::new(config());
        let reads = closed((0..12).map(|n| {
            let mut s = sample(n);
            if (3..6).contains(&n) || n == 9 {
                s.state = PowerState::Shutdown;
            }
            s
        }));
        assert_eq!(run(&mut monitor, reads), vec![(3, "shutdown"), (9, "shutdown")]);
    }

    #[test]
    fn stalled_sensor_is_not_converting() {
        let mut monitor = HealthMonitor::new(config());
        let reads = closed((0..6).map(|n| {
            let mut s = sample(n);
            if n >= 2 {
                s.state = PowerState::Stalled;
            }
            s
        }));
        assert_eq!(run(&mut monitor, reads), vec![(2, "not_converting")]);
    }

    #[test]
    fn a_sleeping_sensor_mode_register_is_not_a_recalibration() {
        let mut monitor = HealthMonitor::new(config());
        let reads = closed((0..8).map(|n| {
            let mut s = sample(n);
            if (2..5).contains(&n) {
                s.state = PowerState::Shutdown;
                s.registers.insert("config".into(), 0); // the mode bits say shutdown
            }
            if n >= 5 {
                s.registers.insert("gain".into(), 0x9000); // changed while asleep
            }
            s
        }));
        assert_eq!(run(&mut monitor, reads), vec![(2, "shutdown"), (5, "recalibrated")]);
    }

    #[test]
    fn asleep_sensor_repeating_itself_is_not_also_frozen() {
        let mut monitor = HealthMonitor::new(config());
        let asleep = Sample { state: PowerState::Shutdown, ..sample(1) };
        let reads = closed([sample(0)].into_iter().chain(std::iter::repeat_n(asleep, 10)));
        assert_eq!(run(&mut monitor, reads), vec![(1, "shutdown")]);
        // Raised once, but in force for as long as it lasts.
        assert_eq!(monitor.active().collect::<Vec<_>>(), vec![AlarmCode::Shutdown]);
        monitor.observe(Ok(&sample(20)), &at(20, Some(true)));
        assert_eq!(monitor.active().count(), 0);
    }

    #[test]
    fn register_change_against_the_first_seen_baseline() {
        let mut monitor = HealthMonitor::new(config());
        let reads = closed((0..8).map(|n| {
            let mut s = sample(n);
            if n >= 4 {
                s.registers.insert("gain".into(), 0x8400);
            }
            if n >= 6 {
                s.registers.insert("gain".into(), 0x9000);
            }
            s
        }));
        let alarms = run(&mut monitor, reads);
        // Raised when the change appears, and again when the register changes once more.
        assert_eq!(alarms, vec![(4, "recalibrated"), (6, "recalibrated")]);
        assert_eq!(monitor.baseline().unwrap()["gain"], 0x8000);
    }

    #[test]
    fn register_change_against_a_commissioned_baseline_names_the_register() {
        let baseline: Registers = [("gain".to_string(), 0x7000), ("config".to_string(), 0x0123)].into();
        let mut monitor = HealthMonitor::new(HealthConfig { baseline: Some(baseline), ..config() });
        let alarms = monitor.observe(Ok(&sample(0)), &at(0, Some(true)));
        assert_eq!(alarms.len(), 1);
        assert_eq!(alarms[0].code, AlarmCode::Recalibrated);
        assert!(alarms[0].message.contains("gain 0x7000 → 0x8000"), "{}", alarms[0].message);
        assert_eq!(alarms[0].details["gain"]["expected"], 0x7000);
        assert_eq!(alarms[0].details["gain"]["found"], 0x8000);
        // Still changed, same values: no repeat.
        assert!(monitor.observe(Ok(&sample(1)), &at(1, Some(true))).is_empty());
    }

    #[test]
    fn a_missing_register_counts_as_changed() {
        let changes = register_changes(&[("gain".to_string(), 1)].into(), &Registers::new());
        assert_eq!(changes["gain"], (Some(1), None));
        assert_eq!(changes_json(&changes)["gain"]["found"], Value::Null);
    }

    #[test]
    fn every_energy_drop_is_a_reset() {
        let mut monitor = HealthMonitor::new(config());
        let reads = closed((0..10).map(|n| {
            let mut s = sample(n);
            if n >= 4 {
                s.energy_wh = (n - 4) as f64 * 0.007;
            }
            if n >= 8 {
                s.energy_wh = 0.0;
            }
            s
        }));
        assert_eq!(run(&mut monitor, reads), vec![(4, "energy_reset"), (8, "energy_reset")]);
    }

    #[test]
    fn a_net_energy_total_below_zero_is_possible() {
        // Bidirectional meters count export against import; the simulator integrates the
        // sensor's noise around 0 A with the relay open.
        let mut monitor = HealthMonitor::new(config());
        let reads = (0..5).map(|n| {
            let s = Sample { amps: 0.001, watts: 0.0128, energy_wh: -3e-6 - n as f64 * 1e-7, ..sample(n) };
            (Ok(s), Some(false))
        });
        assert_eq!(run(&mut monitor, reads), vec![]);
    }

    #[test]
    fn an_energy_drop_of_exactly_the_tolerance_is_not_a_reset_and_one_more_is() {
        let mut monitor = HealthMonitor::new(config());
        let tolerance = monitor.config().energy_tolerance_wh;
        assert!(tolerance > 0.0);
        // 5 Wh, then down by exactly the tolerance (no reset), then down by 1.5 times it.
        let energies = [5.0, 5.0 - tolerance, 5.0 - tolerance - 1.5 * tolerance];
        let reads =
            closed(energies.iter().enumerate().map(|(n, &wh)| Sample { energy_wh: wh, ..sample(n as u64) }));
        assert_eq!(run(&mut monitor, reads), vec![(2, "energy_reset")]);
    }

    #[test]
    fn tiny_energy_jitter_is_not_a_reset() {
        let mut monitor = HealthMonitor::new(config());
        let reads = closed((0..10).map(|n| Sample { energy_wh: 5.0 - (n % 2) as f64 * 0.0004, ..sample(n) }));
        assert_eq!(run(&mut monitor, reads), vec![]);
    }

    #[test]
    fn frozen_after_n_exact_repeats() {
        let mut monitor = HealthMonitor::new(config()); // frozen_after = 3
        let mut samples: Vec<Sample> = (0..5).map(sample).collect();
        samples.extend(std::iter::repeat_n(sample(4), 5)); // seq 5..9 repeat seq 4
        samples.push(sample(10));
        samples.extend(std::iter::repeat_n(sample(10), 3)); // seq 11..13 repeat seq 10
        let alarms = run(&mut monitor, closed(samples));
        // Seq 5, 6, 7 are the 1st, 2nd, 3rd repeat: raised at 7; cleared at 10 (a new value
        // after the run), raised again at the third repeat of the next run.
        assert_eq!(alarms, vec![(7, "frozen"), (13, "frozen")]);
    }

    #[test]
    fn a_one_bit_difference_is_not_frozen() {
        let mut monitor = HealthMonitor::new(config());
        let reads = closed((0..20).map(|n| {
            let mut s = sample(0);
            s.volts = f64::from_bits(s.volts.to_bits() + (n % 2));
            s
        }));
        assert_eq!(run(&mut monitor, reads), vec![]);
    }

    #[test]
    fn current_while_open_and_none_while_closed() {
        let mut monitor = HealthMonitor::new(config());
        let mut reads = Vec::new();
        for n in 0..12u64 {
            let mut s = sample(n);
            let switch = match n {
                0..=2 => Some(true),
                3..=5 => Some(false), // relay open but current still flows: bypass
                6..=7 => Some(false),
                _ => Some(true),
            };
            if (6..=7).contains(&n) {
                s.amps = 0.001;
            }
            if n >= 9 {
                s.amps = 0.0; // relay closed, load connected, nothing measured
            }
            s.watts = s.volts * s.amps;
            reads.push((Ok(s), switch));
        }
        assert_eq!(run(&mut monitor, reads), vec![(3, "current_while_open"), (9, "no_current_while_closed")]);
    }

    #[test]
    fn the_wiring_limits_hold_at_equality_and_break_just_beyond() {
        let mut monitor = HealthMonitor::new(config());
        let (open_max, closed_min) =
            (monitor.config().open_current_max, monitor.config().min_current_closed.unwrap());
        let reads =
            [(open_max, false), (open_max * 1.2, false), (closed_min, true), (closed_min * 0.98, true)]
                .into_iter()
                .enumerate()
                .map(|(n, (amps, closed))| {
                    let s = Sample { amps, ..sample(n as u64) };
                    (Ok(Sample { watts: s.volts * amps, ..s }), Some(closed))
                });
        assert_eq!(run(&mut monitor, reads), vec![(1, "current_while_open"), (3, "no_current_while_closed")]);
    }

    #[test]
    fn unknown_switch_state_judges_no_wiring() {
        let mut monitor = HealthMonitor::new(config());
        let reads = (0..5).map(|n| (Ok(Sample { amps: 0.0, watts: 0.0, ..sample(n) }), None));
        assert_eq!(run(&mut monitor, reads), vec![]);
        let mut off = HealthMonitor::new(HealthConfig { min_current_closed: None, ..config() });
        let reads = (0..5).map(|n| (Ok(Sample { amps: 0.0, watts: 0.0, ..sample(n) }), Some(true)));
        assert_eq!(run(&mut off, reads), vec![], "no load known: no_current_while_closed is off");
    }

    #[test]
    fn a_spike_is_one_out_of_range_and_nothing_else() {
        let mut monitor = HealthMonitor::new(config());
        let reads = closed((0..8).map(|n| {
            let mut s = sample(n);
            if n == 4 {
                s.volts = 10_000.0;
                s.watts = s.volts * s.amps;
            }
            s
        }));
        assert_eq!(run(&mut monitor, reads), vec![(4, "out_of_range")]);
    }

    #[test]
    fn out_of_range_covers_current_power_energy_and_nan() {
        for broken in [
            Sample { amps: 1000.0, ..sample(1) },
            Sample { watts: -5000.0, ..sample(1) },
            Sample { energy_wh: f64::NAN, ..sample(1) },
            Sample { amps: f64::NAN, ..sample(1) },
            Sample { volts: f64::INFINITY, ..sample(1) },
        ] {
            let mut monitor = HealthMonitor::new(config());
            let alarms = monitor.observe(Ok(&broken), &at(0, Some(true)));
            assert_eq!(alarms.len(), 1, "{broken:?}");
            assert_eq!(alarms[0].code, AlarmCode::OutOfRange);
            // Non-finite values become JSON null, never a panic or invalid JSON.
            assert!(serde_json::to_string(&alarms[0].details).is_ok());
        }
    }

    /// Whether one sample alone raises `out_of_range` on a fresh monitor.
    fn out_of_range(sample: Sample) -> bool {
        let mut monitor = HealthMonitor::new(config());
        let alarms = monitor.observe(Ok(&sample), &at(0, Some(true)));
        alarms.iter().any(|a| a.code == AlarmCode::OutOfRange)
    }

    #[test]
    fn voltage_out_of_range_on_either_side() {
        // Limits::new(60.0, 20.0): 0..60 V, with half a volt of noise allowed below zero.
        let high = Sample { volts: 60.5, ..sample(1) };
        let low = Sample { volts: -0.6, ..sample(1) };
        for broken in [high, low] {
            let mut monitor = HealthMonitor::new(config());
            let alarms = monitor.observe(Ok(&broken), &at(0, Some(true)));
            assert_eq!(alarms.len(), 1, "{broken:?}");
            assert_eq!(alarms[0].code, AlarmCode::OutOfRange);
            assert!(alarms[0].message.contains("voltage"), "{}", alarms[0].message);
            assert!(alarms[0].message.contains("outside 0..60 V"), "{}", alarms[0].message);
        }
        // A healthy voltage with the current and power in range raises nothing.
        assert!(!out_of_range(Sample { volts: 30.0, amps: 1.0, watts: 30.0, ..sample(1) }));
    }

    #[test]
    fn every_range_limit_holds_at_equality_and_breaks_just_beyond() {
        let max_watts = config().limits.max_watts;
        let small = |volts: f64, amps: f64, watts: f64| Sample { volts, amps, watts, ..sample(1) };
        // Exactly at each limit is a value the device can produce.
        assert!(!out_of_range(small(60.0, 1.0, 60.0)), "60 V is the limit, not beyond it");
        assert!(!out_of_range(small(-0.5, 0.0, 0.0)), "-0.5 V is noise around zero");
        assert!(!out_of_range(small(1.0, 20.0, 20.0)), "20 A is the limit");
        assert!(!out_of_range(small(1.0, -20.0, -20.0)), "-20 A is the limit");
        assert!(!out_of_range(small(60.0, 1.0, max_watts)), "max_watts is the limit");
        assert!(!out_of_range(small(60.0, -1.0, -max_watts)), "-max_watts is the limit");
        // The next representable value past each is impossible.
        let up = |x: f64| x.next_up();
        assert!(out_of_range(small(up(60.0), 1.0, 60.0)));
        assert!(out_of_range(small((-0.5f64).next_down(), 0.0, 0.0)));
        assert!(out_of_range(small(1.0, up(20.0), 20.0)));
        assert!(out_of_range(small(1.0, -up(20.0), -20.0)));
        assert!(out_of_range(small(60.0, 1.0, up(max_watts))));
        assert!(out_of_range(small(60.0, 1.0, -up(max_watts))));
    }

    #[test]
    fn device_silent_once_per_outage() {
        let mut monitor = HealthMonitor::new(config());
        let timeout = || MeterError::Timeout { device: "sim:x".into(), timeout: Duration::from_millis(200) };
        let mut reads: Vec<(Result<Sample, MeterError>, Option<bool>)> = vec![(Ok(sample(0)), Some(true))];
        reads.push((Err(timeout()), Some(true)));
        reads.push((Err(timeout()), Some(true)));
        reads.push((Ok(sample(3)), Some(true)));
        reads.push((Err(timeout()), Some(true)));
        let alarms = run(&mut monitor, reads);
        assert_eq!(alarms, vec![(1, "device_silent"), (4, "device_silent")]);
        let mut again = HealthMonitor::new(config());
        let alarm = &again.observe(Err(&timeout()), &at(0, None))[0];
        assert_eq!(alarm.details["error"], "device_timeout");
        assert!(alarm.message.contains("no answer within 200ms"), "{}", alarm.message);
    }

    #[test]
    fn acs712_zero_drift_with_the_relay_open() {
        let zero = ZeroCheck { drift_amps: 0.1, window: 4, stuck_after: 8 };
        // The ACS712 default: below 0.15 A an open relay's current is the sensor's own error.
        let mut monitor =
            HealthMonitor::new(HealthConfig { zero_check: Some(zero), open_current_max: 0.15, ..config() });
        let mut reads = closed((0..3).map(sample));
        for n in 3..12u64 {
            // Noise around an offset that has moved to +0.12 A (22 mV at 185 mV/A).
            let amps =
                if n < 7 { 0.01 * ((n % 3) as f64 - 1.0) } else { 0.12 + 0.01 * ((n % 3) as f64 - 1.0) };
            let s = Sample { amps, watts: 12.8 * amps, energy_wh: 0.014, ..sample(n) };
            reads.push((Ok(s), Some(false)));
        }
        let alarms = run(&mut monitor, reads);
        // The window of 4 open readings has a mean beyond 0.1 A from seq 10 on.
        assert_eq!(alarms, vec![(10, "zero_drift")]);
    }

    #[test]
    fn the_zero_drift_waits_for_a_full_window_and_holds_at_exactly_its_limit() {
        // 0.25 A is exact in binary, so the mean of four of them is exactly the limit.
        let zero = ZeroCheck { drift_amps: 0.25, window: 4, stuck_after: 100 };
        let config = HealthConfig { zero_check: Some(zero), open_current_max: 1.0, ..config() };
        let open = |amps: &[f64]| -> Vec<(Result<Sample, MeterError>, Option<bool>)> {
            amps.iter()
                .enumerate()
                .map(|(n, &amps)| (Ok(Sample { amps, watts: 0.0, ..sample(n as u64) }), Some(false)))
                .collect()
        };
        // One reading far off is not a mean: the alarm waits for four, then their mean is 0.4 A.
        let alarms = run(&mut HealthMonitor::new(config.clone()), open(&[0.9, 0.2, 0.25, 0.25, 0.25]));
        assert_eq!(alarms, vec![(3, "zero_drift")]);
        // A mean of exactly the limit is within it; a little more is not.
        let at_limit = open(&[0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
        assert_eq!(run(&mut HealthMonitor::new(config.clone()), at_limit), vec![]);
        let beyond = open(&[0.25, 0.25, 0.25, 0.25, 0.25, 0.2500001]);
        assert_eq!(run(&mut HealthMonitor::new(config), beyond), vec![(5, "zero_drift")]);
    }

    #[test]
    fn acs712_stuck_adc() {
        let zero = ZeroCheck { drift_amps: 0.1, window: 4, stuck_after: 4 };
        let mut monitor = HealthMonitor::new(HealthConfig { zero_check: Some(zero), ..config() });
        let reads = closed((0..10).map(|n| {
            let mut s = sample(n);
            if n >= 3 {
                s.amps = 1.5; // the same ADC code every time, while energy still integrates
                s.watts = s.volts * s.amps;
            }
            s
        }));
        // Seq 3, 4, 5, 6 are four identical codes.
        assert_eq!(run(&mut monitor, reads), vec![(6, "adc_stuck")]);
    }

    #[test]
    fn acs712_hints_name_the_adc_code_and_the_moved_zero() {
        let zero = ZeroCheck { drift_amps: 0.1, window: 3, stuck_after: 3 };
        let mut monitor =
            HealthMonitor::new(HealthConfig { zero_check: Some(zero), open_current_max: 0.15, ..config() });
        let mut raised = Vec::new();
        for seq in 0..6u64 {
            // The raw code moves, although its conversion rounds to the same current twice.
            let hints = HealthHints {
                adc_raw: Some(2077 + (seq % 2) as i64),
                sensor_mv: Some(1673.0),
                zero_offset_mv: Some(1650.0),
                mv_per_amp: Some(185.0),
            };
            let sample = Sample { amps: 0.124, watts: 1.5, energy_wh: 0.5, ..sample(seq) };
            let observation = Observation { switch_closed: Some(false), hints, ..at(seq, None) };
            raised.extend(monitor.observe(Ok(&sample), &observation));
        }
        let codes: Vec<&str> = raised.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes, ["zero_drift"], "the code moves: not stuck");
        assert!(raised[0].message.contains("moved from 1650 mV to about 1672.9 mV"), "{}", raised[0].message);

        let mut monitor = HealthMonitor::new(HealthConfig { zero_check: Some(zero), ..config() });
        let hints = HealthHints { adc_raw: Some(2500), ..HealthHints::default() };
        let stuck: Vec<Alarm> = (0..4u64)
            .flat_map(|seq| {
                let observation = Observation { hints: hints.clone(), ..at(seq, Some(true)) };
                monitor.observe(Ok(&sample(seq)), &observation)
            })
            .collect();
        assert_eq!(stuck.len(), 1);
        assert_eq!(stuck[0].code, AlarmCode::AdcStuck);
        assert!(stuck[0].message.contains("code 2500 for 3 readings"), "{}", stuck[0].message);
    }

    #[test]
    fn transient_errors_are_the_ones_that_can_pass() {
        let timeout = MeterError::Timeout { device: "d".into(), timeout: Duration::from_millis(5) };
        assert!(is_transient(&timeout));
        assert!(is_transient(&MeterError::Crc { device: "d".into(), got: 1, computed: 2 }));
        assert!(!is_transient(&MeterError::NotFound { path: "/dev/x".into() }));
        assert!(!is_transient(&MeterError::PermissionDenied { path: "/dev/x".into() }));
    }

    #[test]
    fn defaults_follow_the_device() {
        let info = |driver: &str, model: &str| DeviceInfo {
            uri: String::new(),
            driver: driver.into(),
            model: model.into(),
            has_energy_register: true,
            has_calibration_registers: true,
        };
        let uri: DeviceUri = "ina228:/dev/i2c-1?shunt_ohms=0.015".parse().unwrap();
        let limits = Limits::for_device(&uri, &info("ina228", "INA228"));
        assert!((limits.max_amps - 0.16384 / 0.015 * 1.2).abs() < 1e-9);
        assert!((limits.max_volts - 102.0).abs() < 1e-9);

        let uri: DeviceUri = "iio-acs712:/sys/x?mv_per_amp=100".parse().unwrap();
        let config = HealthConfig::for_device(&uri, &info("iio-acs712", "ACS712"));
        assert!((config.limits.max_amps - 24.0).abs() < 1e-9);
        assert!((config.zero_check.unwrap().drift_amps - 0.2).abs() < 1e-9);

        let uri: DeviceUri = "modbus:/dev/ttyUSB0?profile=sdm120".parse().unwrap();
        let config = HealthConfig::for_device(&uri, &info("modbus", "Eastron SDM120"));
        assert_eq!(config.frozen_after, 60);
        assert!((config.limits.max_amps - 54.0).abs() < 1e-9, "Imax 45 A");
        assert!((config.limits.max_volts - 276.0 * 1.2).abs() < 1e-9);
        assert!(config.zero_check.is_none());
        let uri: DeviceUri = "modbus:/dev/ttyUSB0?profile=pzem004t".parse().unwrap();
        let limits = Limits::for_device(&uri, &info("modbus", "PZEM-004T v3"));
        assert!((limits.max_watts - 23_000.0 * 1.2).abs() < 1e-6);
        let uri: DeviceUri = "modbus:/dev/ttyUSB0?profile=sdm630".parse().unwrap();
        assert!((Limits::for_device(&uri, &info("modbus", "Eastron SDM630")).max_amps - 120.0).abs() < 1e-9);
    }
}
