//! The ACS712 Hall-effect current sensor read through a Linux IIO ADC: the paper's own board,
//! and the cheapest meter a user can build.
//!
//! ```text
//! iio-acs712:/sys/bus/iio/devices/iio:device0?channel=0&mv_per_amp=185&offset_mv=1650&bus_volts=12[&divider=1]
//! ```
//!
//! - The ADC is read through sysfs: `in_voltage{channel}_raw`, scaled by `in_voltage{channel}_scale`
//!   (or the shared `in_voltage_scale`) and offset by `in_voltage{channel}_offset` (or
//!   `in_voltage_offset`) when present. The IIO ABI (Documentation/ABI/testing/sysfs-bus-iio,
//!   `in_voltageY_raw`) gives millivolts = (raw + offset) × scale.
//! - `divider` (default 1) is the ratio of a resistor divider between the sensor and the ADC:
//!   sensor mV = ADC mV × divider.
//! - amps = (sensor mV − `offset_mv`) / `mv_per_amp`. The defaults are the paper's board:
//!   185 mV/A (ACS712ELCTR-05B sensitivity) and a 1650 mV zero-current output.
//! - The ACS712 measures current only: watts are at the configured `bus_volts` (default 12 V,
//!   logged when assumed), and energy is integrated over the `at` of successive reads
//!   (trapezoid rule), from the first read on.
//! - Health signals for the checks go through [`Meter::health_hints`]: the raw ADC code (a
//!   stuck ADC repeats it), the sensor's output in mV and the configured zero (the zero-offset
//!   drift with the switch open). [`Meter::registers`] holds only the ADC's scale and offset,
//!   which change only if someone reconfigures the ADC.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{
    Counters, DeviceInfo, DeviceUri, HealthHints, Meter, MeterError, PowerState, Registers, Sample, SelfCheck,
};

/// The most a sysfs attribute holds: one page.
const SYSFS_ATTRIBUTE_BYTES: u64 = 4096;

/// Every parameter an `iio-acs712:` URI may carry.
const KNOWN_PARAMS: &[&str] = &["channel", "mv_per_amp", "offset_mv", "bus_volts", "divider"];
/// The paper's board: ACS712ELCTR-05B (185 mV/A) with its zero-current output at 1650 mV.
const DEFAULT_MV_PER_AMP: f64 = 185.0;
const DEFAULT_OFFSET_MV: f64 = 1650.0;
const DEFAULT_BUS_VOLTS: f64 = 12.0;
/// `scale` and `offset` go into the registers in these units, as integers.
const SCALE_REGISTER_UNIT: f64 = 1e-9;

/// The sensor's configuration, from the URI.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Acs712Config {
    /// The ADC channel (`in_voltage{channel}_raw`).
    pub channel: u32,
    /// Sensitivity, mV/A.
    pub mv_per_amp: f64,
    /// Output at zero current, mV.
    pub offset_mv: f64,
    /// The bus voltage watts are computed at, V.
    pub bus_volts: f64,
    /// Sensor mV per ADC mV (a resistor divider in front of the ADC).
    pub divider: f64,
}

impl Acs712Config {
    /// Reads and checks the URI's parameters.
    pub fn from_uri(uri: &DeviceUri) -> Result<Self, MeterError> {
        uri.check_params(KNOWN_PARAMS)?;
        let bad = |reason: String| MeterError::BadUri { uri: uri.to_string(), reason };
        let positive = |name: &str, value: f64| {
            if value.is_finite() && value > 0.0 {
                Ok(value)
            } else {
                Err(bad(format!("parameter {name}={value}: expected a positive number")))
            }
        };
        let bus_volts = match uri.param::<f64>("bus_volts")? {
            Some(volts) => volts,
            None => {
                log::warn!("{uri}: no bus_volts given; computing watts at {DEFAULT_BUS_VOLTS} V");
                DEFAULT_BUS_VOLTS
            }
        };
        let offset_mv = uri.param::<f64>("offset_mv")?.unwrap_or(DEFAULT_OFFSET_MV);
        if !(offset_mv.is_finite() && offset_mv >= 0.0) {
            return Err(bad(format!("parameter offset_mv={offset_mv}: expected a voltage in mV, 0 or more")));
        }
        Ok(Acs712Config {
            channel: uri.param::<u32>("channel")?.unwrap_or(0),
            mv_per_amp: positive(
                "mv_per_amp",
                uri.param::<f64>("mv_per_amp")?.unwrap_or(DEFAULT_MV_PER_AMP),
            )?,
            offset_mv,
            bus_volts: positive("bus_volts", bus_volts)?,
            divider: positive("divider", uri.param::<f64>("divider")?.unwrap_or(1.0))?,
        })
    }
}

/// The ADC's conversion of raw codes to millivolts.
#[derive(Debug, Clone, Copy, PartialEq)]
struct AdcScale {
    scale: f64,
    offset: f64,
}

/// An ACS712 on an IIO ADC channel.
pub struct Acs712 {
    /// The channel's sysfs attributes, found once at open: the raw value, the scale (the
    /// channel's own or the ADC's shared one) and the offset if the ADC has one.
    raw_path: PathBuf,
    scale_path: PathBuf,
    offset_path: Option<PathBuf>,
    config: Acs712Config,
    info: DeviceInfo,
    counters: Counters,
    energy_wh: f64,
    /// The time and power of the previous read, for the trapezoid rule.
    previous: Option<(Duration, f64)>,
    hints: HealthHints,
}

impl Acs712 {
    /// Opens the sensor on the IIO device at `device_dir`, reading the channel once so a
    /// missing or unreadable channel fails here.
    pub fn new(device_dir: impl Into<PathBuf>, config: Acs712Config, uri: &str) -> Result<Self, MeterError> {
        let device_dir = device_dir.into();
        if !device_dir.is_dir() {
            return Err(MeterError::from_open(
                &device_dir.display().to_string(),
                std::io::Error::from(ErrorKind::NotFound),
            ));
        }
        let info = DeviceInfo {
            uri: uri.to_owned(),
            driver: "iio-acs712".into(),
            model: "ACS712".into(),
            has_energy_register: false,
            has_calibration_registers: true,
        };
        let channel = config.channel;
        let first_existing =
            |names: [String; 2]| names.into_iter().map(|n| device_dir.join(n)).find(|p| p.exists());
        let scale_path = first_existing([format!("in_voltage{channel}_scale"), "in_voltage_scale".into()])
            .ok_or_else(|| MeterError::Unsupported {
                driver: "iio-acs712".into(),
                what: format!(
                    "an ADC without in_voltage{channel}_scale or in_voltage_scale in {}",
                    device_dir.display()
                ),
            });
        let offset_path = first_existing([format!("in_voltage{channel}_offset"), "in_voltage_offset".into()]);
        let raw_path = device_dir.join(format!("in_voltage{channel}_raw"));
        let mut sensor = Acs712 {
            raw_path,
            // Checked after the channel itself: a wrong channel number is the likelier mistake.
            scale_path: PathBuf::new(),
            offset_path,
            config,
            info,
            counters: Counters::default(),
            energy_wh: 0.0,
            previous: None,
            hints: HealthHints::default(),
        };
        sensor.read_raw()?;
        sensor.scale_path = scale_path?;
        sensor.adc_scale()?;
        Ok(sensor)
    }

    /// Reads one sysfs attribute as a number: the real file path, errors naming the file.
    fn read_number<T: std::str::FromStr>(&self, path: &Path) -> Result<T, MeterError> {
        let shown = path.display().to_string();
        // A sysfs attribute is at most a page; anything longer is not one.
        let bytes = crate::wire::read_file_capped(path, SYSFS_ATTRIBUTE_BYTES)
            .map_err(|e| MeterError::from_open(&shown, e))?;
        let text = String::from_utf8_lossy(&bytes);
        text.trim().parse::<T>().map_err(|_| MeterError::Garbage {
            device: shown,
            reason: format!("{} is not a number", crate::exit::excerpt(text.trim())),
        })
    }

    /// A finite number from a sysfs attribute.
    fn read_finite(&self, path: &Path) -> Result<f64, MeterError> {
        let value: f64 = self.read_number(path)?;
        if !value.is_finite() {
            return Err(MeterError::Garbage {
                device: path.display().to_string(),
                reason: format!("{value} is not a finite number"),
            });
        }
        Ok(value)
    }

    /// The ADC's scale and offset, read on every reading: a changed scale is a recalibration
    /// the register baseline catches.
    fn adc_scale(&self) -> Result<AdcScale, MeterError> {
        let scale = self.read_finite(&self.scale_path)?;
        let offset = match &self.offset_path {
            Some(path) => self.read_finite(path)?,
            None => 0.0,
        };
        Ok(AdcScale { scale, offset })
    }

    fn read_raw(&mut self) -> Result<i64, MeterError> {
        self.counters.requests += 1;
        self.read_number(&self.raw_path)
    }

    /// The ADC's scale and offset as registers (in units of 10⁻⁹, so they are integers).
    fn registers_of(adc: &AdcScale) -> Registers {
        let as_register = |value: f64| (value / SCALE_REGISTER_UNIT).round() as i64 as u64;
        Registers::from([
            ("scale_nano".into(), as_register(adc.scale)),
            ("offset_nano".into(), as_register(adc.offset)),
        ])
    }
}

impl Meter for Acs712 {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn read(&mut self, at: Duration) -> Result<Sample, MeterError> {
        let raw = self.read_raw()?;
        let adc = self.adc_scale()?;
        let adc_mv = (raw as f64 + adc.offset) * adc.scale;
        let sensor_mv = adc_mv * self.config.divider;
        let amps = (sensor_mv - self.config.offset_mv) / self.config.mv_per_amp;
        let volts = self.config.bus_volts;
        let watts = volts * amps;
        if let Some((since, before)) = self.previous {
            let hours = at.saturating_sub(since).as_secs_f64() / 3600.0;
            self.energy_wh += (before + watts) / 2.0 * hours;
        }
        let latest = self.previous.map_or(at, |(since, _)| since.max(at));
        self.previous = Some((latest, watts));
        self.hints = HealthHints {
            adc_raw: Some(raw),
            sensor_mv: Some(sensor_mv),
            zero_offset_mv: Some(self.config.offset_mv),
            mv_per_amp: Some(self.config.mv_per_amp),
        };
        Ok(Sample {
            volts,
            amps,
            watts,
            energy_wh: self.energy_wh,
            state: PowerState::Unknown,
            registers: Self::registers_of(&adc),
            counters: self.counters,
            ..Sample::default()
        })
    }

    fn registers(&mut self) -> Result<Registers, MeterError> {
        Ok(Self::registers_of(&self.adc_scale()?))
    }

    /// The channel reads, the ADC's scale is positive, and the reading is within what the
    /// sensor can output (0 … 2 × the zero offset: the ACS712's output swings around VCC/2).
    fn self_test(&mut self) -> Result<Vec<SelfCheck>, MeterError> {
        let raw = self.read_raw()?;
        let adc = self.adc_scale()?;
        let sensor_mv = (raw as f64 + adc.offset) * adc.scale * self.config.divider;
        let ceiling = 2.0 * self.config.offset_mv;
        Ok(vec![
            SelfCheck {
                name: "adc_scale".into(),
                pass: adc.scale > 0.0,
                detail: format!("{} mV per code, offset {}", adc.scale, adc.offset),
            },
            SelfCheck {
                name: "output_range".into(),
                pass: (0.0..=ceiling).contains(&sensor_mv),
                detail: format!("sensor output {sensor_mv:.1} mV (raw {raw}), expected 0 … {ceiling:.0} mV"),
            },
        ])
    }

    fn health_hints(&self) -> HealthHints {
        self.hints.clone()
    }
}

/// Opens the ACS712 `uri` names.
pub fn open(uri: &DeviceUri) -> Result<Box<dyn Meter>, MeterError> {
    let config = Acs712Config::from_uri(uri)?;
    Ok(Box::new(Acs712::new(&uri.path, config, uri.as_str())?))
}
