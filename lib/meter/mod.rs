//! Meters: drivers for real devices and a simulator, opened from device URIs, and the health
//! checks that catch the paper's meter attacks.
//!
//! A driver turns a device into [`Sample`]s; `evlock-sense` turns samples into `reading` and
//! `alarm` records; `evlock-calibrate` commissions and checks a meter against a reference.
//!
//! | URI | driver | bus |
//! |---|---|---|
//! | `modbus:/dev/ttyUSB0?profile=pzem004t&addr=1&baud=9600` | [`modbus`] | Modbus RTU over serial (`serialport`) |
//! | `ina228:/dev/i2c-1?addr=0x40&shunt_ohms=0.015` | [`ina22x`] | I2C (embedded-hal 1.0, linux-embedded-hal) |
//! | `ina229:/dev/spidev0.0?shunt_ohms=0.015` | [`ina22x`] | SPI |
//! | `iio-acs712:/sys/bus/iio/devices/iio:device0?channel=0&mv_per_amp=185&offset_mv=1650` | [`acs712`] | Linux IIO sysfs |
//! | `sim:NAME?…` | [`sim`] | none: a simulated battery, solar panel, load and relay |
//! | `gpio:/dev/gpiochip0?line=17` (a switch) | [`gpio`] | GPIO character device |
//!
//! Every driver implements [`Meter`]; relay switches implement [`Switch`]. Time is passed in
//! by the caller ([`Meter::read`]'s `at`), so drivers that integrate over time and the
//! simulator run the same under a wall clock and under the virtual clock tests use.
//!
//! On top of the drivers: [`health`] (the checks run on every reading, with their stable
//! alarm codes), [`clock`] (wall or virtual time on a fixed schedule) and [`session`] (the
//! read → check → record loop of `evlock-sense`, for any tool that reads meters in-process).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::exit::{ErrorClass, ExitCode};

pub mod acs712;
#[cfg(test)]
pub(crate) mod bench;
pub mod clock;
mod correction;
pub mod gpio;
pub mod health;
pub mod ina22x;
pub mod modbus;
pub mod session;
pub mod sim;

pub use crate::wire::{Counters, PowerState};
pub use correction::{Calibration, Correction, round_to};

/// A device address: `scheme:path?key=value&…`, e.g. `modbus:/dev/ttyUSB0?profile=sdm120`.
///
/// ```
/// use evlock::meter::DeviceUri;
/// let uri: DeviceUri = "ina228:/dev/i2c-1?addr=0x40&shunt_ohms=0.015".parse().unwrap();
/// assert_eq!(uri.scheme, "ina228");
/// assert_eq!(uri.path, "/dev/i2c-1");
/// assert_eq!(uri.param::<f64>("shunt_ohms").unwrap(), Some(0.015));
/// assert_eq!(uri.param_u16("addr").unwrap(), Some(0x40));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceUri {
    /// The driver's name (`modbus`, `ina228`, `ina229`, `iio-acs712`, `sim`, `gpio`).
    pub scheme: String,
    /// The device path (or the simulator's name).
    pub path: String,
    /// The query parameters, in order of appearance; a repeated key keeps its last value.
    pub params: BTreeMap<String, String>,
    raw: String,
}

impl DeviceUri {
    /// The URI as it was written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// A parameter parsed as `T`, `None` when absent; a clear error when it does not parse.
    pub fn param<T: FromStr>(&self, name: &str) -> Result<Option<T>, MeterError>
    where
        T::Err: fmt::Display,
    {
        match self.params.get(name) {
            None => Ok(None),
            Some(text) => text.parse::<T>().map(Some).map_err(|e| MeterError::BadUri {
                uri: self.raw.clone(),
                reason: format!("parameter {name}={text}: {e}"),
            }),
        }
    }

    /// An integer parameter written in decimal or as 0x-hex (bus addresses).
    pub fn param_u16(&self, name: &str) -> Result<Option<u16>, MeterError> {
        match self.params.get(name) {
            None => Ok(None),
            Some(text) => {
                let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                    Some(hex) => u16::from_str_radix(hex, 16),
                    None => text.parse::<u16>(),
                };
                parsed.map(Some).map_err(|e| MeterError::BadUri {
                    uri: self.raw.clone(),
                    reason: format!("parameter {name}={text}: {e}"),
                })
            }
        }
    }

    /// Fails naming any parameter not in `known`, so a typo is not silently ignored.
    pub fn check_params(&self, known: &[&str]) -> Result<(), MeterError> {
        match self.params.keys().find(|k| !known.contains(&k.as_str())) {
            None => Ok(()),
            Some(unknown) => Err(MeterError::BadUri {
                uri: self.raw.clone(),
                reason: format!("unknown parameter {unknown:?} (known: {})", known.join(", ")),
            }),
        }
    }
}

impl FromStr for DeviceUri {
    type Err = MeterError;

    fn from_str(text: &str) -> Result<Self, MeterError> {
        let bad = |reason: &str| MeterError::BadUri { uri: text.to_owned(), reason: reason.into() };
        let (scheme, rest) = text.split_once(':').ok_or_else(|| bad("expected SCHEME:PATH[?PARAMS]"))?;
        if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(bad("the scheme must be a driver name such as modbus, ina228 or sim"));
        }
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() {
            return Err(bad("the device path is empty"));
        }
        let mut params = BTreeMap::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if key.is_empty() {
                return Err(bad("a parameter has no name"));
            }
            params.insert(key.to_owned(), value.to_owned());
        }
        Ok(DeviceUri {
            scheme: scheme.to_ascii_lowercase(),
            path: path.to_owned(),
            params,
            raw: text.to_owned(),
        })
    }
}

impl fmt::Display for DeviceUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Named device registers (configuration and calibration), as read back from the device.
///
/// The commissioned baseline is one of these; a reading whose registers differ from it is the
/// paper's recalibration attack.
pub type Registers = BTreeMap<String, u64>;

/// One measurement from a driver.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sample {
    /// Bus voltage, V.
    pub volts: f64,
    /// Current, A (positive into the load).
    pub amps: f64,
    /// Active power, W.
    pub watts: f64,
    /// The energy total, Wh: the device's accumulator, or the driver's integral for sensors
    /// without one (ACS712).
    pub energy_wh: f64,
    /// Charge total, Ah, where the device accumulates it (INA228/INA229).
    pub charge_ah: Option<f64>,
    /// Line frequency, Hz (AC meters).
    pub frequency_hz: Option<f64>,
    /// Power factor (AC meters).
    pub power_factor: Option<f64>,
    /// Die or sensor temperature, °C, where reported.
    pub temperature_c: Option<f64>,
    /// Whether the sensor is converting.
    pub state: PowerState,
    /// Configuration and calibration registers read back with this sample, for tamper checks
    /// (empty for devices that expose none).
    pub registers: Registers,
    /// Transport counters.
    pub counters: Counters,
}

/// The outcome of one self-test check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelfCheck {
    /// A stable snake_case name, e.g. `config_readback`.
    pub name: String,
    /// Whether it passed.
    pub pass: bool,
    /// What was found.
    pub detail: String,
}

/// What a driver is and can do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceInfo {
    /// The URI it was opened from.
    pub uri: String,
    /// The driver (`modbus`, `ina228`, …).
    pub driver: String,
    /// The model, e.g. `PZEM-004T v3` or `INA228`.
    pub model: String,
    /// Whether the device keeps its own energy accumulator.
    pub has_energy_register: bool,
    /// Whether the device exposes calibration registers to baseline.
    pub has_calibration_registers: bool,
}

/// A meter driver.
pub trait Meter: Send {
    /// What this meter is.
    fn info(&self) -> &DeviceInfo;

    /// Takes one measurement. `at` is the time since the session began: drivers that
    /// integrate (ACS712) and the simulator use it as their clock.
    fn read(&mut self, at: Duration) -> Result<Sample, MeterError>;

    /// Reads the configuration and calibration registers, the baseline a commissioning
    /// records and later checks compare against.
    fn registers(&mut self) -> Result<Registers, MeterError>;

    /// Runs the device's own checks: configuration read-back, reset defaults, ranges.
    fn self_test(&mut self) -> Result<Vec<SelfCheck>, MeterError>;

    /// Sensor-specific signals about the latest reading for the health checks (empty for
    /// drivers that have none). Kept out of [`Sample::registers`], which are baselined.
    fn health_hints(&self) -> HealthHints {
        HealthHints::default()
    }
}

/// Signals about a driver's latest reading that sensor-specific health checks need: the
/// ACS712's zero-offset drift (sensor output with the switch open vs its configured zero) and
/// a stuck ADC (the same raw code, reading after reading, while the current should vary).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HealthHints {
    /// The raw ADC code behind the latest reading.
    pub adc_raw: Option<i64>,
    /// The sensor's output voltage at the latest reading, mV.
    pub sensor_mv: Option<f64>,
    /// The sensor's configured output at zero current, mV.
    pub zero_offset_mv: Option<f64>,
    /// The sensor's configured sensitivity, mV per A.
    pub mv_per_amp: Option<f64>,
}

/// A relay that connects the battery to the line.
pub trait Switch: Send {
    /// Closes (`true`, energy flows) or opens the relay.
    fn set_closed(&mut self, closed: bool) -> Result<(), MeterError>;
    /// Whether the relay is closed.
    fn is_closed(&mut self) -> Result<bool, MeterError>;
}

/// A controllable load: what a calibration pushes known currents through.
///
/// The simulator implements it; on hardware without a programmable load, `evlock-calibrate`
/// asks the technician to connect each reference load instead.
pub trait Load: Send {
    /// Sets the load to draw `amps` while the switch is closed.
    fn set_amps(&mut self, amps: f64) -> Result<(), MeterError>;
}

/// Opens the controllable load a URI names (only the simulator has one).
pub fn open_load(uri: &DeviceUri) -> Result<Box<dyn Load>, MeterError> {
    match uri.scheme.as_str() {
        "sim" => sim::open_load(uri),
        other => {
            Err(MeterError::Unsupported { driver: other.to_owned(), what: "a programmable load".into() })
        }
    }
}

/// Opens the meter a URI names.
pub fn open_meter(uri: &DeviceUri) -> Result<Box<dyn Meter>, MeterError> {
    match uri.scheme.as_str() {
        "modbus" => modbus::open(uri),
        "ina228" | "ina229" => ina22x::open(uri),
        "iio-acs712" => acs712::open(uri),
        "sim" => sim::open_meter(uri),
        "gpio" => Err(MeterError::BadUri {
            uri: uri.to_string(),
            reason: "gpio: names a relay switch, not a meter (use it with --switch)".into(),
        }),
        other => Err(MeterError::UnknownScheme { scheme: other.to_owned() }),
    }
}

/// Opens the relay switch a URI names.
pub fn open_switch(uri: &DeviceUri) -> Result<Box<dyn Switch>, MeterError> {
    match uri.scheme.as_str() {
        "gpio" => gpio::open(uri),
        "sim" => sim::open_switch(uri),
        other => Err(MeterError::UnknownScheme { scheme: other.to_owned() }),
    }
}

/// What can go wrong talking to a meter. Every variant ends a tool with exit 3, but for a
/// request no device could answer ([`MeterError::RegisterRange`]) and a certificate for
/// another device ([`MeterError::WrongCertificate`]): bad input, exit 2.
#[derive(Debug, thiserror::Error)]
pub enum MeterError {
    /// The URI's scheme names no driver.
    #[error(
        "unknown device scheme {scheme:?} (known: modbus, ina228, ina229, iio-acs712, sim; gpio for switches)"
    )]
    UnknownScheme {
        /// The scheme as written.
        scheme: String,
    },
    /// The URI does not parse or has a bad parameter.
    #[error("bad device URI {uri:?}: {reason}")]
    BadUri {
        /// The URI as written.
        uri: String,
        /// What is wrong.
        reason: String,
    },
    /// The device node does not exist (unplugged, wrong path).
    #[error("{path}: no such device (is it plugged in?)")]
    NotFound {
        /// The device path.
        path: String,
    },
    /// The device node exists but may not be opened.
    #[error("{path}: permission denied (is the user in the dialout/i2c/gpio group?)")]
    PermissionDenied {
        /// The device path.
        path: String,
    },
    /// Another I/O error on the device.
    #[error("{path}: {source}")]
    Io {
        /// The device path.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A bus error from the I2C, SPI or GPIO layer.
    #[error("{device}: bus error: {reason}")]
    Bus {
        /// The device.
        device: String,
        /// The bus's report.
        reason: String,
    },
    /// The device did not answer in time.
    #[error("{device}: no answer within {}", humantime::format_duration(*.timeout))]
    Timeout {
        /// The device.
        device: String,
        /// How long was waited.
        timeout: Duration,
    },
    /// A Modbus reply failed its CRC check.
    #[error("{device}: reply failed its CRC check (got {got:#06x}, computed {computed:#06x})")]
    Crc {
        /// The device.
        device: String,
        /// The CRC in the reply.
        got: u16,
        /// The CRC of the reply's bytes.
        computed: u16,
    },
    /// A Modbus exception reply.
    #[error("{device}: Modbus exception {code:#04x} ({}) to function {function:#04x}", modbus_exception_name(*.code))]
    Exception {
        /// The device.
        device: String,
        /// The request's function code.
        function: u8,
        /// The exception code.
        code: u8,
    },
    /// The device answered something that is not a valid reply.
    #[error("{device}: unexpected reply: {reason}")]
    Garbage {
        /// The device.
        device: String,
        /// What was wrong with it.
        reason: String,
    },
    /// A meter profile file is unreadable or malformed.
    #[error("meter profile {path}: {reason}")]
    Profile {
        /// The profile's path or built-in name.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A register read or write past the last Modbus register, 0xFFFF (exit 2: no device is
    /// asked).
    #[error("registers {start:#06x} + {count} run past the last Modbus register 0xffff")]
    RegisterRange {
        /// The first register.
        start: u16,
        /// How many.
        count: u32,
    },
    /// A calibration certificate made for another kind of device (exit 2).
    #[error("{reason}: refusing to apply its correction and baseline")]
    WrongCertificate {
        /// Which device the certificate is for, and which this is.
        reason: String,
    },
    /// The driver cannot do what was asked.
    #[error("{driver}: {what} is not supported")]
    Unsupported {
        /// The driver.
        driver: String,
        /// What was asked.
        what: String,
    },
}

impl MeterError {
    /// Maps an error from opening a device node to the right variant.
    pub fn from_open(path: &str, error: std::io::Error) -> Self {
        match error.kind() {
            std::io::ErrorKind::NotFound => MeterError::NotFound { path: path.to_owned() },
            std::io::ErrorKind::PermissionDenied => MeterError::PermissionDenied { path: path.to_owned() },
            _ => MeterError::Io { path: path.to_owned(), source: error },
        }
    }
}

/// The name of a Modbus exception code (Modbus Application Protocol v1.1b3, §7).
pub fn modbus_exception_name(code: u8) -> &'static str {
    match code {
        0x01 => "illegal function",
        0x02 => "illegal data address",
        0x03 => "illegal data value",
        0x04 => "server device failure",
        0x05 => "acknowledge",
        0x06 => "server device busy",
        0x08 => "memory parity error",
        0x0A => "gateway path unavailable",
        0x0B => "gateway target failed to respond",
        _ => "unknown exception",
    }
}

impl ErrorClass for MeterError {
    fn exit_code(&self) -> ExitCode {
        match self {
            MeterError::RegisterRange { .. } | MeterError::WrongCertificate { .. } => ExitCode::Usage,
            _ => ExitCode::Device,
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            MeterError::UnknownScheme { .. } => "unknown_scheme",
            MeterError::BadUri { .. } => "bad_device_uri",
            MeterError::NotFound { .. } => "device_not_found",
            MeterError::PermissionDenied { .. } => "device_permission_denied",
            MeterError::Io { .. } => "device_io",
            MeterError::Bus { .. } => "bus_error",
            MeterError::Timeout { .. } => "device_timeout",
            MeterError::Crc { .. } => "crc_error",
            MeterError::Exception { .. } => "modbus_exception",
            MeterError::Garbage { .. } => "device_garbage",
            MeterError::Profile { .. } => "bad_profile",
            MeterError::Unsupported { .. } => "unsupported",
            MeterError::RegisterRange { .. } => "register_range",
            MeterError::WrongCertificate { .. } => "wrong_certificate",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_parses_scheme_path_and_params() {
        let uri: DeviceUri = "modbus:/dev/ttyUSB0?profile=pzem004t&addr=1&baud=9600".parse().unwrap();
        assert_eq!(uri.scheme, "modbus");
        assert_eq!(uri.path, "/dev/ttyUSB0");
        assert_eq!(uri.params["profile"], "pzem004t");
        assert_eq!(uri.param::<u32>("baud").unwrap(), Some(9600));
        assert_eq!(uri.param::<u32>("missing").unwrap(), None);
        assert!(uri.check_params(&["profile", "addr", "baud"]).is_ok());
        let err = uri.check_params(&["profile"]).unwrap_err().to_string();
        assert!(err.contains("unknown parameter"), "{err}");
    }

    #[test]
    fn bad_uris_are_refused_with_reasons() {
        for (text, needle) in [
            ("no-colon", "SCHEME:PATH"),
            (":/dev/x", "scheme"),
            ("sim:", "path is empty"),
            ("sim:a?=1", "no name"),
        ] {
            let err = text.parse::<DeviceUri>().unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
        }
        let uri: DeviceUri = "ina228:/dev/i2c-1?addr=0xZZ".parse().unwrap();
        assert!(uri.param_u16("addr").unwrap_err().to_string().contains("addr=0xZZ"));
    }

    #[test]
    fn unknown_scheme_exits_3() {
        let uri: DeviceUri = "zigbee:/dev/x".parse().unwrap();
        let err = open_meter(&uri).err().expect("refused");
        assert_eq!(err.exit_code(), ExitCode::Device);
        assert!(err.to_string().contains("zigbee"));
    }
}
