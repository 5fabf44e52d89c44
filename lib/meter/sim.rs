//! The simulator: a battery, a solar panel or a load behind a relay, measured by a simulated
//! sensor with the paper's meter attacks injected on a schedule.
//!
//! It lets every tool, test and CI pipeline run without hardware, and it is what the health
//! checks (`evlock-sense`) and `evlock-calibrate` are tested against.
//!
//! ```text
//! sim:NAME?kind=battery|solar|load&volts=12.8&amps=2&noise=0.002&seed=7&switch=closed|open
//!         &mode=direct|ina228&fault=KIND@TIME[,KIND@TIME…]&drift=2%[@TIME]&role=meter|reference
//! ```
//!
//! - `NAME` keys a process-wide *world*: [`open_meter`], [`open_switch`] and [`open_load`] with
//!   the same name share one source, load and relay. The world lives while any handle on it
//!   does. The first URI opened for a name sets the world's `kind`, `volts`, `amps` and
//!   `switch`; a later URI that names a different value for one of them is refused.
//! - `kind`: `battery` (default; its voltage falls slowly as charge is drawn from a 100 Ah
//!   cell), `solar` (voltage and current vary smoothly with the sun) or `load` (a steady
//!   supply). `volts` (default 12.8) is the nominal bus voltage, `amps` (default 2) the load
//!   current (for `solar`, the peak current).
//! - `noise` (default 0.002) is the relative standard deviation of the sensor's Gaussian noise,
//!   deterministic from `seed` (default 7): the same URI read at the same times gives the same
//!   samples. With the relay open the sensor reads noise only (|amps| < 0.005 A).
//! - `switch` (default `closed`): the relay's state when the world is created.
//! - `mode`: `direct` (default) exposes the calibration registers `gain` (ppm of nominal,
//!   1 000 000), `offset` (µA, 0) and `config` (bit 0: converting). `ina228` measures through
//!   the real INA228 driver ([`super::ina22x`]) on its register-level chip model behind a
//!   2 mΩ shunt (80 A full scale, SHUNT_CAL 4000): the registers are the chip's (`config`,
//!   `adc_config`, `shunt_cal`, `shunt_tempco`, `manufacturer_id`, `device_id`), samples carry
//!   charge and die temperature, and the faults act on the chip: `sleep` writes
//!   ADC_CONFIG.MODE = shutdown, `recal` rewrites SHUNT_CAL (÷ 0.9, so the current reads 10 %
//!   low), `reset` sets CONFIG.RSTACC, `freeze` hangs the ADC (no conversions, so the state
//!   turns `Stalled` on the second read); `rewire`, `nocurrent` and `drift` change what the
//!   shunt sees, `spike` glitches one sample on the bus and `disconnect` times out as in direct
//!   mode.
//! - `role=reference`: a reference meter on the same world: true values, no noise, no drift,
//!   no faults (what a calibration compares against).
//! - `fault=KIND@TIME,…` (a KIND without `@TIME` acts from the start; TIME like `30s`,
//!   `500ms`, or plain seconds) and `drift=X%[@TIME]`: see [`FaultKind`].
//!
//! Time is the caller's: [`Meter::read`]'s `at`. Energy integrates the measured V·I over the
//! `at` of successive reads (trapezoid rule), so 10 000 readings at 1 s steps run instantly.

use std::collections::HashMap;
use std::f64::consts::TAU;
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Weak};
use std::time::Duration;

use super::ina22x::model::{Ina22xModel, ModelHandle, ModelInputs};
use super::ina22x::{self, Calibration, Chip, Ina228};
use super::{
    Counters, DeviceInfo, DeviceUri, Load, Meter, MeterError, PowerState, Registers, Sample, SelfCheck,
    Switch,
};

/// Every parameter a `sim:` URI may carry.
const KNOWN_PARAMS: &[&str] =
    &["kind", "volts", "amps", "noise", "seed", "switch", "mode", "fault", "drift", "role"];

/// Capacity of the simulated battery: 2 A for 10 000 s draws 5.6 % of it.
const BATTERY_CAPACITY_AH: f64 = 100.0;
/// How far the battery's voltage falls from full to empty, as a fraction of nominal.
const BATTERY_SAG: f64 = 0.08;
/// The solar panel's voltage wanders ±1 % over this period.
const SOLAR_VOLTS_PERIOD_S: f64 = 300.0;
/// The solar panel's current (irradiance) varies between 50 % and 100 % of peak over this period.
const SOLAR_AMPS_PERIOD_S: f64 = 1200.0;
/// The absolute noise floor of the current sensor, A (σ), so an open relay reads noise only.
const NOISE_FLOOR_AMPS: f64 = 0.001;
/// Gaussian draws are clipped at this many σ so "noise only" stays below 0.005 A.
const NOISE_CLIP_SIGMA: f64 = 4.0;
/// The factor a `recal` fault applies to the calibration (the current reads 10 % low).
pub const RECAL_FACTOR: f64 = 0.9;
/// The bus voltage a `spike` fault reports for one reading: physically impossible here.
pub const SPIKE_VOLTS: f64 = 10_000.0;
/// How long a disconnected simulated device is said to have been waited for.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The shunt of the simulated INA228: 2 mΩ, 80 A full scale (160 mV at 80 A, within the
/// ±163.84 mV range), so SHUNT_CAL = 4000.
const SIM_SHUNT_OHMS: f64 = 0.002;
const SIM_MAX_AMPS: f64 = 80.0;
/// The simulated INA228's I2C address.
const SIM_I2C_ADDRESS: u8 = 0x40;
/// The simulated INA228's die temperature, °C.
const SIM_DIE_CELSIUS: f64 = 25.0;

/// The `gain` register's nominal value (ppm).
const GAIN_NOMINAL: u64 = 1_000_000;
/// The `config` register when converting (bit 0 set) and in shutdown.
const CONFIG_CONVERTING: u64 = 0x0001;
const CONFIG_SHUTDOWN: u64 = 0x0000;

/// What the simulated world's source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A 12.8 V battery whose voltage falls slowly as charge is drawn.
    Battery,
    /// A solar panel: voltage and current vary smoothly.
    Solar,
    /// A steady supply feeding a load.
    Load,
}

impl SourceKind {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "battery" => Some(SourceKind::Battery),
            "solar" => Some(SourceKind::Solar),
            "load" => Some(SourceKind::Load),
            _ => None,
        }
    }
}

/// A fault the simulator injects (the paper's meter attacks and common hardware failures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The sensor enters shutdown: state `Shutdown`, values stop changing (paper: sleep mode
    /// attack). Also clears the mode bits of the configuration register, as on a real chip.
    Sleep,
    /// A calibration register changes (`gain`; SHUNT_CAL in ina228 mode) by [`RECAL_FACTOR`]
    /// and the measured current scales with it (paper: recalibration attack).
    Recal,
    /// The energy accumulator drops to 0 once and counts on from there (paper: reset attack).
    Reset,
    /// Every sample from then on is exactly the previous one (bit-identical floats).
    Freeze,
    /// Current flows whatever the relay's state (the relay is bypassed).
    Rewire,
    /// The sensor reads about 0 A although the relay is closed with a load (sensor removed).
    NoCurrent,
    /// One physically impossible reading ([`SPIKE_VOLTS`]), then normal again.
    Spike,
    /// `read` fails with [`MeterError::Timeout`] from then on (the device stopped answering).
    Disconnect,
}

impl FaultKind {
    const ALL: [(&'static str, FaultKind); 8] = [
        ("sleep", FaultKind::Sleep),
        ("recal", FaultKind::Recal),
        ("reset", FaultKind::Reset),
        ("freeze", FaultKind::Freeze),
        ("rewire", FaultKind::Rewire),
        ("nocurrent", FaultKind::NoCurrent),
        ("spike", FaultKind::Spike),
        ("disconnect", FaultKind::Disconnect),
    ];

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().find(|(name, _)| *name == text).map(|(_, kind)| *kind)
    }

    fn names() -> String {
        Self::ALL.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Self::ALL.iter().find(|(_, kind)| kind == self).map(|(name, _)| *name).unwrap_or("?");
        f.write_str(name)
    }
}

/// One scheduled fault.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Fault {
    kind: FaultKind,
    from: Duration,
}

/// How the simulated sensor measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Values computed directly; named calibration registers `gain`, `offset`, `config`.
    Direct,
    /// Through the INA228 driver on a register-level model of the chip.
    Ina228,
}

/// The world parameters a URI may set; `None` where it leaves the default.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct WorldParams {
    kind: Option<SourceKind>,
    volts: Option<f64>,
    amps: Option<f64>,
    closed: Option<bool>,
}

/// A `sim:` URI, parsed and checked.
#[derive(Debug, Clone)]
struct SimUri {
    raw: String,
    name: String,
    world: WorldParams,
    noise: f64,
    seed: u64,
    mode: Mode,
    reference: bool,
    faults: Vec<Fault>,
    /// Relative current error and when it starts.
    drift: Option<(f64, Duration)>,
}

impl SimUri {
    fn parse(uri: &DeviceUri) -> Result<Self, MeterError> {
        uri.check_params(KNOWN_PARAMS)?;
        let bad = |reason: String| MeterError::BadUri { uri: uri.to_string(), reason };
        let text = |key: &str| uri.params.get(key).map(String::as_str);

        let kind = match text("kind") {
            None => None,
            Some(k) => Some(
                SourceKind::parse(k)
                    .ok_or_else(|| bad(format!("parameter kind={k}: expected battery, solar or load")))?,
            ),
        };
        let volts = uri.param::<f64>("volts")?;
        if let Some(v) = volts
            && !(v.is_finite() && v > 0.0 && v <= 1000.0)
        {
            return Err(bad(format!("parameter volts={v}: expected a voltage in (0, 1000]")));
        }
        let amps = uri.param::<f64>("amps")?;
        if let Some(a) = amps
            && !(a.is_finite() && a.abs() <= 500.0)
        {
            return Err(bad(format!("parameter amps={a}: expected a current within ±500 A")));
        }
        let closed = match text("switch") {
            None => None,
            Some("closed") => Some(true),
            Some("open") => Some(false),
            Some(other) => return Err(bad(format!("parameter switch={other}: expected closed or open"))),
        };
        let noise = uri.param::<f64>("noise")?.unwrap_or(0.002);
        if !(noise.is_finite() && (0.0..=0.1).contains(&noise)) {
            return Err(bad(format!("parameter noise={noise}: expected a relative noise in [0, 0.1]")));
        }
        let seed = uri.param::<u64>("seed")?.unwrap_or(7);
        let mode = match text("mode") {
            None | Some("direct") => Mode::Direct,
            Some("ina228") => Mode::Ina228,
            Some(other) => return Err(bad(format!("parameter mode={other}: expected direct or ina228"))),
        };
        let reference = match text("role") {
            None | Some("meter") => false,
            Some("reference") => true,
            Some(other) => return Err(bad(format!("parameter role={other}: expected meter or reference"))),
        };
        let mut faults = Vec::new();
        if let Some(list) = text("fault") {
            for item in list.split(',') {
                let (name, time) = split_at_time(item).map_err(|e| bad(format!("fault {item:?}: {e}")))?;
                let kind = FaultKind::parse(name)
                    .ok_or_else(|| bad(format!("unknown fault {name:?} (known: {})", FaultKind::names())))?;
                faults.push(Fault { kind, from: time });
            }
        }
        let drift = match text("drift") {
            None => None,
            Some(spec) => {
                let (percent, time) = split_at_time(spec).map_err(|e| bad(format!("drift={spec}: {e}")))?;
                let number = percent.strip_suffix('%').ok_or_else(|| {
                    bad(format!("drift={spec}: expected a percentage such as 2% or -1.5%, optionally @TIME"))
                })?;
                let value: f64 = number.trim().parse().map_err(|_| {
                    bad(format!("drift={spec}: {number:?} is not a number (expected e.g. 2% or -1.5%)"))
                })?;
                if !(value.is_finite() && value.abs() < 100.0) {
                    return Err(bad(format!("drift={spec}: expected a percentage within ±100%")));
                }
                Some((value / 100.0, time))
            }
        };
        Ok(SimUri {
            raw: uri.to_string(),
            name: uri.path.clone(),
            world: WorldParams { kind, volts, amps, closed },
            noise,
            seed,
            mode,
            reference,
            faults,
            drift,
        })
    }
}

/// Splits `WHAT@TIME` (TIME optional: from the start) into its parts.
fn split_at_time(text: &str) -> Result<(&str, Duration), String> {
    match text.split_once('@') {
        None => Ok((text.trim(), Duration::ZERO)),
        Some((what, time)) => Ok((what.trim(), parse_time(time.trim())?)),
    }
}

/// A fault time: a humantime duration (`30s`, `500ms`, `2m`) or plain seconds (`30`, `1.5`).
fn parse_time(text: &str) -> Result<Duration, String> {
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds)
            .map_err(|_| format!("time {text:?} must be a non-negative number of seconds"));
    }
    humantime::parse_duration(text).map_err(|e| format!("time {text:?}: {e} (expected e.g. 30s or 500ms)"))
}

/// The simulated physical world one name keys: a source, a load and a relay.
#[derive(Debug)]
struct World {
    /// The parameters the world was created with, to refuse conflicting later URIs.
    created_with: WorldParams,
    kind: SourceKind,
    nominal_volts: f64,
    /// The load current (for solar, the peak current), A.
    load_amps: f64,
    closed: bool,
    /// Charge drawn from the battery so far, Ah.
    drawn_ah: f64,
    /// The latest time any handle has read at.
    clock: Duration,
}

/// The true electrical values at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Truth {
    volts: f64,
    /// The current the source drives through a closed relay.
    source_amps: f64,
    /// The current actually flowing (0 with the relay open).
    line_amps: f64,
}

impl World {
    fn new(params: WorldParams) -> Self {
        World {
            created_with: params,
            kind: params.kind.unwrap_or(SourceKind::Battery),
            nominal_volts: params.volts.unwrap_or(12.8),
            load_amps: params.amps.unwrap_or(2.0),
            closed: params.closed.unwrap_or(true),
            drawn_ah: 0.0,
            clock: Duration::ZERO,
        }
    }

    /// Fails when `params` names a world value different from what the world was created with.
    fn check_compatible(&self, params: &WorldParams, uri: &str, name: &str) -> Result<(), MeterError> {
        let mine = &self.created_with;
        let conflict = |what: &str, theirs: String, ours: String| MeterError::BadUri {
            uri: uri.to_owned(),
            reason: format!("simulated world {name:?} is already open with {what}={ours}, not {theirs}"),
        };
        if let Some(kind) = params.kind
            && kind != self.kind
        {
            return Err(conflict("kind", format!("{kind:?}"), format!("{:?}", self.kind)));
        }
        if let Some(volts) = params.volts
            && Some(volts) != mine.volts.or(Some(self.nominal_volts))
        {
            return Err(conflict("volts", volts.to_string(), self.nominal_volts.to_string()));
        }
        if let Some(amps) = params.amps
            && Some(amps) != mine.amps.or(Some(2.0))
        {
            return Err(conflict("amps", amps.to_string(), mine.amps.unwrap_or(2.0).to_string()));
        }
        if let Some(closed) = params.closed
            && closed != mine.closed.unwrap_or(true)
        {
            let name_of = |c: bool| if c { "closed" } else { "open" }.to_owned();
            return Err(conflict("switch", name_of(closed), name_of(mine.closed.unwrap_or(true))));
        }
        Ok(())
    }

    /// Moves the world's clock to `at`, drawing charge from the battery meanwhile.
    fn advance(&mut self, at: Duration) {
        if at > self.clock {
            let hours = (at - self.clock).as_secs_f64() / 3600.0;
            let amps = self.truth_now(self.clock).line_amps;
            if self.kind == SourceKind::Battery && amps > 0.0 {
                self.drawn_ah = (self.drawn_ah + amps * hours).min(BATTERY_CAPACITY_AH);
            }
            self.clock = at;
        }
    }

    /// The true values at `at` (after [`World::advance`]).
    fn truth_now(&self, at: Duration) -> Truth {
        let t = at.as_secs_f64();
        let (volts, source_amps) = match self.kind {
            SourceKind::Battery => {
                let used = self.drawn_ah / BATTERY_CAPACITY_AH;
                (self.nominal_volts * (1.0 - BATTERY_SAG * used), self.load_amps)
            }
            SourceKind::Solar => (
                self.nominal_volts * (1.0 + 0.01 * (TAU * t / SOLAR_VOLTS_PERIOD_S).sin()),
                self.load_amps * (0.75 + 0.25 * (TAU * t / SOLAR_AMPS_PERIOD_S).sin()),
            ),
            SourceKind::Load => (self.nominal_volts, self.load_amps),
        };
        Truth { volts, source_amps, line_amps: if self.closed { source_amps } else { 0.0 } }
    }
}

type WorldHandle = Arc<Mutex<World>>;

/// The process-wide registry of worlds by name; a world lives while a handle on it does.
static WORLDS: LazyLock<Mutex<HashMap<String, Weak<Mutex<World>>>>> = LazyLock::new(Default::default);

/// Locks a mutex, carrying on with the data when another thread panicked while holding it
/// (the world stays consistent between statements).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The world `sim` names: the existing one if it is open elsewhere, else a new one.
fn world_for(sim: &SimUri) -> Result<WorldHandle, MeterError> {
    let mut worlds = lock(&WORLDS);
    worlds.retain(|_, weak| weak.strong_count() > 0);
    if let Some(world) = worlds.get(&sim.name).and_then(Weak::upgrade) {
        lock(&world).check_compatible(&sim.world, &sim.raw, &sim.name)?;
        return Ok(world);
    }
    let world = Arc::new(Mutex::new(World::new(sim.world)));
    worlds.insert(sim.name.clone(), Arc::downgrade(&world));
    Ok(world)
}

/// A deterministic pseudo-random source (SplitMix64) for the sensor's noise.
#[derive(Debug, Clone)]
struct Noise {
    state: u64,
}

impl Noise {
    fn new(seed: u64) -> Self {
        Noise { state: seed ^ 0x5EED_F00D_CAFE }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform draw in (0, 1].
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    /// A standard normal draw (Box–Muller), clipped to ±[`NOISE_CLIP_SIGMA`].
    fn gaussian(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        ((-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()).clamp(-NOISE_CLIP_SIGMA, NOISE_CLIP_SIGMA)
    }
}

/// A simulated meter on a world.
struct SimMeter {
    sim: SimUri,
    info: DeviceInfo,
    world: WorldHandle,
    noise: Noise,
    /// The time of the latest read (faults are evaluated at it for `registers`).
    now: Duration,
    /// The measured energy total, Wh.
    energy_wh: f64,
    /// The time and measured power of the previous read, for the trapezoid rule.
    previous_power: Option<(Duration, f64)>,
    /// The previous sample returned (for `freeze` and `sleep`).
    previous: Option<Sample>,
    /// Which one-shot faults have fired, by index in `sim.faults`.
    fired: Vec<bool>,
    counters: Counters,
    /// In `mode=ina228`: the real driver and the chip model it talks to.
    chip: Option<SimChip>,
}

/// The INA228 driver on its register-level model.
struct SimChip {
    driver: Ina228<ModelHandle>,
    model: ModelHandle,
}

impl SimMeter {
    fn new(sim: SimUri, world: WorldHandle) -> Result<Self, MeterError> {
        let model = match (sim.reference, sim.mode) {
            (true, _) => "simulated reference meter",
            (false, Mode::Direct) => "simulated sensor",
            (false, Mode::Ina228) => "simulated INA228",
        };
        let info = DeviceInfo {
            uri: sim.raw.clone(),
            driver: "sim".into(),
            model: model.into(),
            has_energy_register: true,
            has_calibration_registers: !sim.reference,
        };
        let chip = match (sim.reference, sim.mode) {
            (false, Mode::Ina228) => {
                let model = ModelHandle::new(Ina22xModel::new(Chip::Ina228, SIM_I2C_ADDRESS));
                let calibration = Calibration::new(SIM_SHUNT_OHMS, SIM_MAX_AMPS, false)
                    .map_err(|reason| MeterError::BadUri { uri: sim.raw.clone(), reason })?;
                let driver = Ina228::new(model.clone(), SIM_I2C_ADDRESS, calibration, &sim.raw)?;
                Some(SimChip { driver, model })
            }
            _ => None,
        };
        let mut meter = SimMeter {
            noise: Noise::new(sim.seed),
            fired: vec![false; sim.faults.len()],
            sim,
            info,
            world,
            now: Duration::ZERO,
            energy_wh: 0.0,
            previous_power: None,
            previous: None,
            counters: Counters::default(),
            chip,
        };
        // Tampering "from the start" happened before anyone opened the meter.
        meter.tamper_with_chip(Duration::ZERO);
        Ok(meter)
    }

    /// The measured current and voltage before calibration: the relay (or a rewired bypass),
    /// a removed sensor, drift and the sensor's noise.
    fn sensed(&mut self, truth: &Truth, at: Duration) -> (f64, f64) {
        let mut amps = if self.active(FaultKind::Rewire, at) { truth.source_amps } else { truth.line_amps };
        if self.active(FaultKind::NoCurrent, at) {
            amps = 0.0;
        }
        amps *= 1.0 + self.drift(at);
        let mut volts = truth.volts;
        if !self.sim.reference && self.sim.noise > 0.0 {
            let noise = self.sim.noise;
            volts *= 1.0 + noise * self.noise.gaussian();
            amps = amps * (1.0 + noise * self.noise.gaussian())
                + NOISE_FLOOR_AMPS.min(noise / 2.0) * self.noise.gaussian();
        }
        (volts, amps)
    }

    /// The register-level attacks on the chip model that are due at `at`: sleep writes
    /// ADC_CONFIG.MODE = shutdown, recal rewrites SHUNT_CAL, freeze hangs the ADC. (A reset is
    /// applied after the conversion, in `read_ina228`.)
    fn tamper_with_chip(&mut self, at: Duration) {
        let Some(model) = self.chip.as_ref().map(|chip| chip.model.clone()) else { return };
        if self.fire_once(FaultKind::Sleep, at) {
            let mut model = model.lock();
            let adc_config = model.peek(ina22x::reg::ADC_CONFIG) as u16;
            model.poke(ina22x::reg::ADC_CONFIG, adc_config & 0x0FFF);
        }
        if self.fire_once(FaultKind::Recal, at) {
            let mut model = model.lock();
            let shunt_cal = model.peek(ina22x::reg::SHUNT_CAL) as f64;
            // CURRENT = VSHUNT × 4096 / SHUNT_CAL: a larger SHUNT_CAL reads less current.
            model.poke(ina22x::reg::SHUNT_CAL, (shunt_cal / RECAL_FACTOR).round() as u16);
        }
        if self.active(FaultKind::Freeze, at) {
            model.lock().set_stalled(true);
        }
    }

    fn read_ina228(&mut self, at: Duration) -> Result<Sample, MeterError> {
        if self.active(FaultKind::Disconnect, at) {
            self.counters.timeouts += 1;
            return Err(MeterError::Timeout { device: self.sim.raw.clone(), timeout: DISCONNECT_TIMEOUT });
        }
        let truth = {
            let mut world = lock(&self.world);
            world.advance(at);
            world.truth_now(at)
        };
        let (volts, amps) = self.sensed(&truth, at);
        self.tamper_with_chip(at);
        let reset_now = self.fire_once(FaultKind::Reset, at);
        let spike_now = self.fire_once(FaultKind::Spike, at);
        let Some(chip) = self.chip.as_mut() else {
            return Err(MeterError::Unsupported {
                driver: "sim".into(),
                what: "an INA228 without its model".into(),
            });
        };
        {
            let mut model = chip.model.lock();
            model.set_inputs(ModelInputs {
                bus_volts: volts,
                shunt_volts: amps * SIM_SHUNT_OHMS,
                die_celsius: SIM_DIE_CELSIUS,
            });
            model.advance(at);
            if reset_now {
                let config = model.peek(ina22x::reg::CONFIG) as u16;
                model.poke(ina22x::reg::CONFIG, config | ina22x::CONFIG_RSTACC);
            }
        }
        let mut sample = chip.driver.read(at)?;
        if spike_now {
            // A glitch on the bus: one impossible value, the chip itself unaffected.
            sample.volts = SPIKE_VOLTS;
            sample.watts = SPIKE_VOLTS * sample.amps;
        }
        self.previous = Some(sample.clone());
        Ok(sample)
    }

    /// Whether a fault of `kind` is in force at `at` (never for a reference meter).
    fn active(&self, kind: FaultKind, at: Duration) -> bool {
        !self.sim.reference && self.sim.faults.iter().any(|f| f.kind == kind && at >= f.from)
    }

    /// Fires each one-shot fault of `kind` due at `at` once; true if one fired now.
    fn fire_once(&mut self, kind: FaultKind, at: Duration) -> bool {
        if self.sim.reference {
            return false;
        }
        let mut fired_now = false;
        for (fault, fired) in self.sim.faults.iter().zip(self.fired.iter_mut()) {
            if fault.kind == kind && at >= fault.from && !*fired {
                *fired = true;
                fired_now = true;
            }
        }
        fired_now
    }

    /// The relative current error from `drift` at `at`.
    fn drift(&self, at: Duration) -> f64 {
        match self.sim.drift {
            Some((fraction, from)) if !self.sim.reference && at >= from => fraction,
            _ => 0.0,
        }
    }

    /// The calibration registers as they stand at `at` (direct mode).
    fn direct_registers(&self, at: Duration) -> Registers {
        let gain = if self.active(FaultKind::Recal, at) {
            (GAIN_NOMINAL as f64 * RECAL_FACTOR).round() as u64
        } else {
            GAIN_NOMINAL
        };
        let config = if self.active(FaultKind::Sleep, at) { CONFIG_SHUTDOWN } else { CONFIG_CONVERTING };
        Registers::from([("config".into(), config), ("gain".into(), gain), ("offset".into(), 0)])
    }

    fn read_direct(&mut self, at: Duration) -> Result<Sample, MeterError> {
        if self.active(FaultKind::Disconnect, at) {
            self.counters.timeouts += 1;
            return Err(MeterError::Timeout { device: self.sim.raw.clone(), timeout: DISCONNECT_TIMEOUT });
        }
        let truth = {
            let mut world = lock(&self.world);
            world.advance(at);
            world.truth_now(at)
        };
        let registers = self.direct_registers(at);

        if self.active(FaultKind::Freeze, at)
            && let Some(previous) = &self.previous
        {
            return Ok(Sample { counters: self.counters, ..previous.clone() });
        }
        if self.active(FaultKind::Sleep, at) {
            // In shutdown the result registers keep their last conversion (zero if none ran)
            // and the accumulator stops.
            let last = self.previous.clone().unwrap_or_default();
            let sample = Sample {
                state: PowerState::Shutdown,
                registers,
                counters: self.counters,
                temperature_c: None,
                charge_ah: None,
                ..last
            };
            self.previous = Some(sample.clone());
            return Ok(sample);
        }

        let (volts, sensed_amps) = self.sensed(&truth, at);
        let amps = sensed_amps * registers["gain"] as f64 / GAIN_NOMINAL as f64;
        let watts = volts * amps;
        self.integrate(at, watts);

        let mut sample = Sample {
            volts,
            amps,
            watts,
            energy_wh: self.energy_wh,
            state: PowerState::Converting,
            registers,
            counters: self.counters,
            ..Sample::default()
        };
        if self.fire_once(FaultKind::Spike, at) {
            // A glitched result register: the accumulator inside the sensor is unaffected.
            sample.volts = SPIKE_VOLTS;
            sample.watts = SPIKE_VOLTS * sample.amps;
        }
        self.previous = Some(sample.clone());
        Ok(sample)
    }

    /// Adds the energy since the previous read (trapezoid rule over the caller's times);
    /// a due `reset` fault clears the total first.
    fn integrate(&mut self, at: Duration, watts: f64) {
        if self.fire_once(FaultKind::Reset, at) {
            self.energy_wh = 0.0;
        } else {
            // Before the first read the meter has been on since time 0 at the first power.
            let (since, before) = self.previous_power.unwrap_or((Duration::ZERO, watts));
            let hours = at.saturating_sub(since).as_secs_f64() / 3600.0;
            self.energy_wh += (before + watts) / 2.0 * hours;
        }
        self.previous_power = Some((at.max(self.previous_power.map_or(Duration::ZERO, |p| p.0)), watts));
    }
}

impl Meter for SimMeter {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn read(&mut self, at: Duration) -> Result<Sample, MeterError> {
        self.counters.requests += 1;
        self.now = self.now.max(at);
        if self.chip.is_some() { self.read_ina228(at) } else { self.read_direct(at) }
    }

    fn registers(&mut self) -> Result<Registers, MeterError> {
        if self.active(FaultKind::Disconnect, self.now) {
            return Err(MeterError::Timeout { device: self.sim.raw.clone(), timeout: DISCONNECT_TIMEOUT });
        }
        if let Some(chip) = self.chip.as_mut() {
            return chip.driver.registers();
        }
        Ok(if self.sim.reference { Registers::new() } else { self.direct_registers(self.now) })
    }

    fn self_test(&mut self) -> Result<Vec<SelfCheck>, MeterError> {
        let registers = self.registers()?;
        if let Some(chip) = self.chip.as_mut() {
            return chip.driver.self_test();
        }
        if self.sim.reference {
            return Ok(vec![SelfCheck {
                name: "reference".into(),
                pass: true,
                detail: "simulated reference meter: true values".into(),
            }]);
        }
        let config = registers["config"];
        let gain = registers["gain"];
        Ok(vec![
            SelfCheck {
                name: "config_readback".into(),
                pass: config == CONFIG_CONVERTING,
                detail: format!("config {config:#06x}, expected {CONFIG_CONVERTING:#06x} (converting)"),
            },
            SelfCheck {
                name: "gain_range".into(),
                pass: gain.abs_diff(GAIN_NOMINAL) <= GAIN_NOMINAL / 20,
                detail: format!("gain {gain} ppm, expected {GAIN_NOMINAL} ± 5 %"),
            },
        ])
    }
}

/// The relay of a simulated world.
struct SimSwitch {
    world: WorldHandle,
}

impl Switch for SimSwitch {
    fn set_closed(&mut self, closed: bool) -> Result<(), MeterError> {
        lock(&self.world).closed = closed;
        Ok(())
    }

    fn is_closed(&mut self) -> Result<bool, MeterError> {
        Ok(lock(&self.world).closed)
    }
}

/// The load of a simulated world.
struct SimLoad {
    uri: String,
    world: WorldHandle,
}

impl Load for SimLoad {
    fn set_amps(&mut self, amps: f64) -> Result<(), MeterError> {
        if !(amps.is_finite() && amps.abs() <= 500.0) {
            return Err(MeterError::BadUri {
                uri: self.uri.clone(),
                reason: format!("load current {amps} A: expected a current within ±500 A"),
            });
        }
        lock(&self.world).load_amps = amps;
        Ok(())
    }
}

/// Opens the simulated meter `uri` names (see the module documentation for its parameters).
pub fn open_meter(uri: &DeviceUri) -> Result<Box<dyn Meter>, MeterError> {
    let sim = SimUri::parse(uri)?;
    let world = world_for(&sim)?;
    Ok(Box::new(SimMeter::new(sim, world)?))
}

/// Opens the simulated relay of the world `uri` names.
pub fn open_switch(uri: &DeviceUri) -> Result<Box<dyn Switch>, MeterError> {
    let sim = SimUri::parse(uri)?;
    Ok(Box::new(SimSwitch { world: world_for(&sim)? }))
}

/// Opens the load of the world `uri` names.
pub fn open_load(uri: &DeviceUri) -> Result<Box<dyn Load>, MeterError> {
    let sim = SimUri::parse(uri)?;
    Ok(Box::new(SimLoad { uri: sim.raw.clone(), world: world_for(&sim)? }))
}
