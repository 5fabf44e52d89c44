//! Modbus RTU meters over serial, described by profiles.
//!
//! `modbus:/dev/ttyUSB0?profile=pzem004t&addr=1&baud=9600&parity=N&stop=1&timeout=500ms&retries=2`
//!
//! | parameter | default | meaning |
//! |---|---|---|
//! | `profile` | required | a built-in profile (`pzem004t`, `sdm120`, `sdm630`) or a path to a TOML profile |
//! | `addr` | 1 | the slave address, 1–247 |
//! | `baud`, `parity` (N/E/O), `stop` (1/2) | the profile's | serial line settings (8 data bits) |
//! | `timeout` | 500ms | how long each request waits for its reply |
//! | `retries` | 2 | repeats of a request after a timeout or CRC error |
//!
//! - [`rtu`]: frames, CRC, timing; [`client`]: the master on a serial port;
//!   [`profile`]: register maps as data; [`slave`]: a simulator for tests and benches.
//! - [`open_modbus`] gives the concrete [`ModbusMeter`] (with [`ModbusMeter::reset_energy`]);
//!   [`scan`], [`read_registers`] and [`decode`] serve `evlock-sense scan` and `read`.

pub mod client;
pub mod profile;
pub mod rtu;
pub mod slave;

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::time::Duration;

pub use client::{ModbusClient, SerialSettings};
pub use profile::{Block, Profile, Quantity, ValueType, WordOrder, decode};
pub use rtu::ReadFunction;
use rtu::{MAX_SLAVE_ADDRESS, Reply, Request};
pub use serialport::{Parity, StopBits};

use super::{Counters, DeviceInfo, DeviceUri, Meter, MeterError, PowerState, Registers, Sample, SelfCheck};
use profile::Expectation;

/// The URI parameters this driver knows.
pub const PARAMS: &[&str] = &["profile", "addr", "baud", "parity", "stop", "timeout", "retries"];
/// The default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);
/// The default number of retries after a timeout or CRC error.
pub const DEFAULT_RETRIES: u32 = 2;

/// Everything a `modbus:` URI says, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ModbusTarget {
    /// The serial device path.
    pub path: String,
    /// The profile, when the URI names one.
    pub profile: Option<Profile>,
    /// The slave address (`addr`, default 1).
    pub address: u8,
    /// The line settings: the URI's, else the profile's, else 9600 8N1.
    pub settings: SerialSettings,
    /// The per-request timeout.
    pub timeout: Duration,
    /// Retries after a timeout or CRC error.
    pub retries: u32,
}

impl ModbusTarget {
    /// Reads a `modbus:` URI; unknown parameters are refused.
    pub fn from_uri(uri: &DeviceUri) -> Result<ModbusTarget, MeterError> {
        uri.check_params(PARAMS)?;
        let bad = |reason: String| MeterError::BadUri { uri: uri.to_string(), reason };
        let profile = uri.params.get("profile").map(|spec| Profile::resolve(spec)).transpose()?;
        let address = match uri.param_u16("addr")? {
            None => 1,
            Some(a) if (1..=u16::from(MAX_SLAVE_ADDRESS)).contains(&a) => a as u8,
            Some(a) => return Err(bad(format!("addr={a}: slave addresses are 1 to {MAX_SLAVE_ADDRESS}"))),
        };
        let defaults = profile.as_ref().map(|p| p.serial);
        let baud = match uri.param::<u32>("baud")? {
            Some(0) => return Err(bad("baud=0: the baud rate must be above 0".into())),
            Some(baud) => baud,
            None => defaults.map_or(9600, |d| d.baud),
        };
        let parity_char = match uri.params.get("parity") {
            Some(text) => text.chars().next().filter(|_| text.len() == 1).map(|c| c.to_ascii_uppercase()),
            None => Some(defaults.map_or('N', |d| d.parity)),
        };
        let parity = match parity_char {
            Some('N') => Parity::None,
            Some('E') => Parity::Even,
            Some('O') => Parity::Odd,
            _ => return Err(bad(format!("parity={}: expected N, E or O", uri.params["parity"]))),
        };
        let stop_bits = match uri.param::<u8>("stop")?.unwrap_or(defaults.map_or(1, |d| d.stop_bits)) {
            1 => StopBits::One,
            2 => StopBits::Two,
            other => return Err(bad(format!("stop={other}: expected 1 or 2"))),
        };
        let timeout = match uri.params.get("timeout") {
            None => DEFAULT_TIMEOUT,
            Some(text) => humantime::parse_duration(text)
                .map_err(|e| bad(format!("timeout={text}: {e} (write e.g. 500ms or 2s)")))?,
        };
        if timeout.is_zero() {
            return Err(bad("timeout=0: a request needs time to be answered".into()));
        }
        let retries = uri.param::<u32>("retries")?.unwrap_or(DEFAULT_RETRIES);
        if retries > 100 {
            return Err(bad(format!("retries={retries}: at most 100")));
        }
        Ok(ModbusTarget {
            path: uri.path.clone(),
            profile,
            address,
            settings: SerialSettings { baud, parity, stop_bits },
            timeout,
            retries,
        })
    }

    /// Opens the serial port.
    pub fn connect(&self) -> Result<ModbusClient, MeterError> {
        ModbusClient::open(&self.path, &self.settings, self.timeout, self.retries)
    }
}

/// Where a field's words sit in the replies of a plan.
#[derive(Debug, Clone, Copy)]
struct Slot {
    block: usize,
    offset: usize,
}

/// A meter on a Modbus RTU line, read through its profile.
#[derive(Debug)]
pub struct ModbusMeter {
    client: ModbusClient,
    address: u8,
    profile: Profile,
    plan: Vec<Block>,
    info: DeviceInfo,
}

/// Opens the meter a `modbus:` URI names (it needs a `profile`).
///
/// Opening does not talk to the meter: a missing meter shows at the first read.
pub fn open_modbus(uri: &DeviceUri) -> Result<ModbusMeter, MeterError> {
    let target = ModbusTarget::from_uri(uri)?;
    let Some(profile) = target.profile.clone() else {
        return Err(MeterError::BadUri {
            uri: uri.to_string(),
            reason: format!(
                "profile= is required (built in: {}; or a path to a .toml profile)",
                profile::builtin_names().join(", ")
            ),
        });
    };
    let client = target.connect()?;
    let info = DeviceInfo {
        uri: uri.to_string(),
        driver: "modbus".into(),
        model: profile.model.clone(),
        has_energy_register: true,
        has_calibration_registers: !profile.registers.is_empty(),
    };
    let plan = profile.plan();
    Ok(ModbusMeter { client, address: target.address, profile, plan, info })
}

/// Opens the meter `uri` names, as a [`Meter`].
pub fn open(uri: &DeviceUri) -> Result<Box<dyn Meter>, MeterError> {
    Ok(Box::new(open_modbus(uri)?))
}

/// One complete reading: every block's registers.
struct Snapshot {
    words: Vec<Vec<u16>>,
}

impl ModbusMeter {
    /// The profile in use.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The requests one reading makes.
    pub fn plan(&self) -> &[Block] {
        &self.plan
    }

    /// The slave address.
    pub fn address(&self) -> u8 {
        self.address
    }

    /// The transport counters.
    pub fn counters(&self) -> Counters {
        self.client.counters()
    }

    /// The underlying client, for raw requests on the same port.
    pub fn client(&mut self) -> &mut ModbusClient {
        &mut self.client
    }

    /// Zeroes the meter's energy accumulator with the profile's vendor command (the
    /// PZEM-004T's 0x42). Meters whose profile has none report `Unsupported`.
    pub fn reset_energy(&mut self) -> Result<(), MeterError> {
        match self.profile.reset_energy_function {
            Some(function) => self.client.command(self.address, function),
            None => Err(MeterError::Unsupported {
                driver: "modbus".into(),
                what: format!(
                    "resetting the energy of a {} (its profile names no command)",
                    self.profile.model
                ),
            }),
        }
    }

    /// Every value the profile names: quantities (in the sample's units: V, A, W, Wh, Hz),
    /// extras (in their profile units) and configuration registers (scaled).
    pub fn read_values(&mut self) -> Result<BTreeMap<String, f64>, MeterError> {
        let snapshot = self.snapshot()?;
        let mut values = BTreeMap::new();
        for (quantity, field) in &self.profile.quantities {
            values.insert(quantity.name().to_owned(), self.value(&snapshot, field)? * field.to_sample_unit);
        }
        for (name, field) in &self.profile.extras {
            values.insert(name.clone(), self.value(&snapshot, field)?);
        }
        for (name, register) in &self.profile.registers {
            values.insert(name.clone(), self.value(&snapshot, &register.field)?);
        }
        Ok(values)
    }

    fn snapshot(&mut self) -> Result<Snapshot, MeterError> {
        let mut words = Vec::with_capacity(self.plan.len());
        for block in &self.plan {
            words.push(self.client.read_registers(self.address, block.function, block.start, block.count)?);
        }
        Ok(Snapshot { words })
    }

    fn slot(&self, field: &profile::Field) -> Slot {
        let (start, words) = field.span();
        let block = self
            .plan
            .iter()
            .position(|b| {
                b.function == field.function
                    && b.start <= start
                    && u32::from(start) + u32::from(words) <= u32::from(b.start) + u32::from(b.count)
            })
            .expect("the plan covers every field of its profile");
        Slot { block, offset: usize::from(start - self.plan[block].start) }
    }

    fn words<'a>(&self, snapshot: &'a Snapshot, field: &profile::Field) -> &'a [u16] {
        let slot = self.slot(field);
        &snapshot.words[slot.block][slot.offset..]
    }

    fn value(&self, snapshot: &Snapshot, field: &profile::Field) -> Result<f64, MeterError> {
        decode(self.words(snapshot, field), field.value_type, field.word_order, field.scale)
    }

    fn quantity(&self, snapshot: &Snapshot, quantity: Quantity) -> Result<Option<f64>, MeterError> {
        match self.profile.quantities.get(&quantity) {
            None => Ok(None),
            Some(field) => Ok(Some(self.value(snapshot, field)? * field.to_sample_unit)),
        }
    }

    fn registers_from(&self, snapshot: &Snapshot) -> Result<Registers, MeterError> {
        let mut registers = Registers::new();
        for (name, register) in &self.profile.registers {
            let field = &register.field;
            let bits = profile::raw_bits(self.words(snapshot, field), field.value_type, field.word_order)?;
            registers.insert(name.clone(), u64::from(bits));
        }
        Ok(registers)
    }

    fn sample_from(&self, snapshot: &Snapshot) -> Result<Sample, MeterError> {
        let required = |q| self.quantity(snapshot, q).map(|v| v.unwrap_or_default());
        Ok(Sample {
            volts: required(Quantity::Volts)?,
            amps: required(Quantity::Amps)?,
            watts: required(Quantity::Watts)?,
            energy_wh: required(Quantity::Energy)?,
            charge_ah: None,
            frequency_hz: self.quantity(snapshot, Quantity::Frequency)?,
            power_factor: self.quantity(snapshot, Quantity::PowerFactor)?,
            temperature_c: self.quantity(snapshot, Quantity::Temperature)?,
            state: PowerState::Unknown,
            registers: self.registers_from(snapshot)?,
            counters: self.client.counters(),
        })
    }
}

impl Meter for ModbusMeter {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn read(&mut self, _at: Duration) -> Result<Sample, MeterError> {
        let snapshot = self.snapshot()?;
        self.sample_from(&snapshot)
    }

    fn registers(&mut self) -> Result<Registers, MeterError> {
        let mut registers = Registers::new();
        let address = self.address;
        for (name, register) in &self.profile.registers {
            let field = &register.field;
            let words = self.client.read_registers(
                address,
                field.function,
                field.address,
                field.value_type.words(),
            )?;
            registers.insert(
                name.clone(),
                u64::from(profile::raw_bits(&words, field.value_type, field.word_order)?),
            );
        }
        Ok(registers)
    }

    fn self_test(&mut self) -> Result<Vec<SelfCheck>, MeterError> {
        let before = self.client.counters();
        let snapshot = self.snapshot()?;
        let sample = self.sample_from(&snapshot)?;
        let mut checks = Vec::new();

        let mut mismatches = Vec::new();
        let mut checked = 0;
        for (name, register) in &self.profile.registers {
            let Some(expectation) = &register.expect else { continue };
            checked += 1;
            let expected = match expectation {
                Expectation::Value(value) => *value,
                Expectation::SlaveAddress => f64::from(self.address),
            };
            let got = self.value(&snapshot, &register.field)?;
            if (got - expected).abs() > 1e-6 * expected.abs().max(1.0) {
                mismatches.push(format!("{name} reads {got}, expected {expected}"));
            }
        }
        checks.push(SelfCheck {
            name: "config_readback".into(),
            pass: mismatches.is_empty(),
            detail: if mismatches.is_empty() {
                format!("{checked} configuration register(s) read back as the profile expects")
            } else {
                mismatches.join("; ")
            },
        });

        let mut out_of_range = Vec::new();
        for (quantity, (min, max)) in &self.profile.ranges {
            if let Some(value) = self.quantity(&snapshot, *quantity)?
                && !(*min..=*max).contains(&value)
            {
                out_of_range.push(format!("{quantity} {value} outside [{min}, {max}]"));
            }
        }
        checks.push(SelfCheck {
            name: "value_ranges".into(),
            pass: out_of_range.is_empty(),
            detail: if out_of_range.is_empty() {
                format!(
                    "{:.1} V, {:.3} A, {:.1} W within the {} ranges",
                    sample.volts, sample.amps, sample.watts, self.profile.model
                )
            } else {
                out_of_range.join("; ")
            },
        });

        let after = self.client.counters();
        let crc_errors = after.crc_errors - before.crc_errors;
        let requests = after.requests - before.requests;
        checks.push(SelfCheck {
            name: "reply_crc".into(),
            pass: crc_errors == 0,
            detail: format!("{crc_errors} of {requests} replies failed their CRC check"),
        });
        Ok(checks)
    }
}

/// What a slave answered to a scan's probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanReply {
    /// The registers it returned.
    Registers(Vec<u16>),
    /// It refused the probe with this exception code: still, something is there.
    Exception(u8),
    /// Something answered, but not validly (bad CRC, wrong length): perhaps a wrong
    /// baud rate or parity, or two slaves with one address.
    Invalid(String),
}

/// A slave address that answered a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanHit {
    /// The address.
    pub address: u8,
    /// What it answered.
    pub reply: ScanReply,
}

/// The read a scan sends to each address: two input registers from 0x0000 (the voltage on a
/// PZEM-004T and on Eastron meters).
pub const SCAN_PROBE: (ReadFunction, u16, u16) = (ReadFunction::Input, 0x0000, 2);

/// Sends the probe read ([`SCAN_PROBE`]) to each address in `addresses` (0 and 248–255 are
/// skipped: they are broadcast and reserved) and lists those that answered, once each,
/// without retries. It takes up to `timeout` per silent address.
pub fn scan(
    path: &str,
    settings: &SerialSettings,
    addresses: RangeInclusive<u8>,
    timeout: Duration,
) -> Result<Vec<ScanHit>, MeterError> {
    let mut client = ModbusClient::open(path, settings, timeout, 0)?;
    let (function, start, count) = SCAN_PROBE;
    let probe = Request::Read { function, start, count };
    let mut hits = Vec::new();
    for address in addresses.filter(|a| (1..=MAX_SLAVE_ADDRESS).contains(a)) {
        let reply = match client.transact_with(address, &probe, 0) {
            Ok(Reply::Registers(words)) => ScanReply::Registers(words),
            Ok(other) => ScanReply::Invalid(format!("{other:?}")),
            Err(MeterError::Exception { code, .. }) => ScanReply::Exception(code),
            Err(MeterError::Timeout { .. }) => continue,
            Err(e @ (MeterError::Crc { .. } | MeterError::Garbage { .. })) => {
                ScanReply::Invalid(e.to_string())
            }
            Err(other) => return Err(other),
        };
        log::debug!("{path}: slave {address} answered: {reply:?}");
        hits.push(ScanHit { address, reply });
    }
    Ok(hits)
}

/// Reads `count` registers from `start` on slave `address`, on the port and line settings of
/// `uri` (its `baud`, `parity`, `stop`, `timeout`, `retries` and profile defaults; its `addr`
/// is not used: `address` names the slave).
pub fn read_registers(
    uri: &DeviceUri,
    address: u8,
    function: ReadFunction,
    start: u16,
    count: u16,
) -> Result<Vec<u16>, MeterError> {
    // Before the line is opened: no device could answer a read past the last register.
    if u32::from(start) + u32::from(count) > 0x1_0000 {
        return Err(MeterError::RegisterRange { start, count: count.into() });
    }
    let target = ModbusTarget::from_uri(uri)?;
    target.connect()?.read_registers(address, function, start, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(text: &str) -> Result<ModbusTarget, MeterError> {
        ModbusTarget::from_uri(&text.parse().unwrap())
    }

    #[test]
    fn uri_defaults_come_from_the_profile() {
        let pzem = target("modbus:/dev/ttyUSB0?profile=pzem004t").unwrap();
        assert_eq!(pzem.address, 1);
        assert_eq!(
            pzem.settings,
            SerialSettings { baud: 9600, parity: Parity::None, stop_bits: StopBits::One }
        );
        assert_eq!((pzem.timeout, pzem.retries), (DEFAULT_TIMEOUT, DEFAULT_RETRIES));
        let sdm = target("modbus:/dev/ttyUSB0?profile=sdm120&addr=0x11&parity=e&stop=2&timeout=2s&retries=0")
            .unwrap();
        assert_eq!(sdm.address, 17);
        assert_eq!(
            sdm.settings,
            SerialSettings { baud: 2400, parity: Parity::Even, stop_bits: StopBits::Two }
        );
        assert_eq!((sdm.timeout, sdm.retries), (Duration::from_secs(2), 0));
        let bare = target("modbus:/dev/ttyS0?baud=19200").unwrap();
        assert!(bare.profile.is_none());
        assert_eq!(bare.settings.baud, 19200);
    }

    #[test]
    fn bad_uri_parameters_are_named() {
        for (text, needle) in [
            ("modbus:/dev/x?profile=pzem004t&speed=9600", "unknown parameter \"speed\""),
            ("modbus:/dev/x?addr=0", "addr=0"),
            ("modbus:/dev/x?addr=248", "addr=248"),
            ("modbus:/dev/x?parity=X", "parity=X"),
            ("modbus:/dev/x?stop=3", "stop=3"),
            ("modbus:/dev/x?timeout=soon", "timeout=soon"),
            ("modbus:/dev/x?baud=fast", "baud=fast"),
            ("modbus:/dev/x?profile=pzem005", "pzem005"),
        ] {
            let err = target(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
        }
        let missing = open_modbus(&"modbus:/dev/null?addr=1".parse().unwrap()).unwrap_err().to_string();
        assert!(missing.contains("profile= is required"), "{missing}");
    }
}
