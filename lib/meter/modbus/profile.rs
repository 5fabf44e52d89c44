//! Meter profiles: which registers hold which quantity, in what type, word order, scale and
//! unit, written as TOML data files. Three are built in (`lib/meter/profiles/*.toml`); any
//! other meter is a profile file away.
//!
//! ```toml
//! model = "PZEM-004T v3"
//! reset_energy_function = 0x42      # optional vendor command (PZEM only)
//!
//! [serial]                           # defaults for the URI's baud, parity and stop
//! baud = 9600
//! parity = "N"
//! stop = 1
//!
//! [blocks]
//! max_gap = 0          # registers a request may read through to join two fields
//! max_registers = 125  # the most registers one request may ask for
//!
//! [quantities.amps]    # volts, amps, watts and energy are required
//! address = 0x0001
//! function = 4         # 3 holding, 4 input registers
//! type = "u32"         # u16, i16, u32, i32, f32
//! word_order = "little" # 32-bit types: "big" (high word first, the default) or "little"
//! scale = 0.001        # raw value times scale is the value in `unit`
//! unit = "A"
//!
//! [extras.alarm]       # other values, reported as read
//! address = 0x0009
//! function = 4
//! type = "u16"
//!
//! [registers.slave_address]   # configuration read back for tamper baselines
//! address = 0x0002
//! function = 3
//! type = "u16"
//! expect = "slave_address"    # or a number: self_test checks the read-back
//!
//! [ranges]                    # plausible values, checked by self_test
//! volts = [80, 260]
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::Deserialize;

use super::rtu::{MAX_READ_REGISTERS, ReadFunction};
use crate::meter::MeterError;

/// The built-in profiles: name, TOML text.
const BUILTIN: &[(&str, &str)] = &[
    ("pzem004t", include_str!("../profiles/pzem004t.toml")),
    ("sdm120", include_str!("../profiles/sdm120.toml")),
    ("sdm630", include_str!("../profiles/sdm630.toml")),
];

/// The names of the built-in profiles.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(name, _)| *name).collect()
}

/// How a value is laid out in its registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    /// One register, unsigned.
    U16,
    /// One register, two's complement.
    I16,
    /// Two registers, unsigned.
    U32,
    /// Two registers, two's complement.
    I32,
    /// Two registers, IEEE-754 single precision.
    F32,
}

impl ValueType {
    /// How many 16-bit registers the value takes.
    pub fn words(self) -> u16 {
        match self {
            ValueType::U16 | ValueType::I16 => 1,
            ValueType::U32 | ValueType::I32 | ValueType::F32 => 2,
        }
    }
}

impl FromStr for ValueType {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "u16" => Ok(ValueType::U16),
            "i16" => Ok(ValueType::I16),
            "u32" => Ok(ValueType::U32),
            "i32" => Ok(ValueType::I32),
            "f32" => Ok(ValueType::F32),
            other => Err(format!("unknown type {other:?} (known: u16, i16, u32, i32, f32)")),
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueType::U16 => "u16",
            ValueType::I16 => "i16",
            ValueType::U32 => "u32",
            ValueType::I32 => "i32",
            ValueType::F32 => "f32",
        })
    }
}

/// The order of the two registers of a 32-bit value (bytes within a register are always
/// big-endian in Modbus).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WordOrder {
    /// High word first (Eastron floats).
    #[default]
    Big,
    /// Low word first (PZEM-004T counters).
    Little,
}

impl FromStr for WordOrder {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "big" => Ok(WordOrder::Big),
            "little" => Ok(WordOrder::Little),
            other => Err(format!("unknown word order {other:?} (known: big, little)")),
        }
    }
}

impl fmt::Display for WordOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WordOrder::Big => "big",
            WordOrder::Little => "little",
        })
    }
}

/// The raw contents of a value's registers: the integer (sign-extended for i16/i32) or, for
/// f32, its bit pattern. Words beyond the type's width are ignored.
pub fn raw_bits(words: &[u16], value_type: ValueType, word_order: WordOrder) -> Result<u32, MeterError> {
    let needed = usize::from(value_type.words());
    if words.len() < needed {
        return Err(MeterError::Garbage {
            device: "decode".into(),
            reason: format!("a {value_type} needs {needed} registers, got {}", words.len()),
        });
    }
    Ok(match (value_type.words(), word_order) {
        (1, _) => u32::from(words[0]),
        (_, WordOrder::Big) => (u32::from(words[0]) << 16) | u32::from(words[1]),
        (_, WordOrder::Little) => (u32::from(words[1]) << 16) | u32::from(words[0]),
    })
}

/// Decodes a value from its registers and multiplies it by `scale`.
///
/// ```
/// use evlock::meter::modbus::{decode, ValueType, WordOrder};
/// // PZEM-004T current: 0.001 A per LSB, low word first: 0x03E8 0x0000 is 1.000 A.
/// assert_eq!(decode(&[0x03E8, 0x0000], ValueType::U32, WordOrder::Little, 0.001).unwrap(), 1.0);
/// // Eastron float, high word first: 0x4366 0x1999 is 230.1 V.
/// let volts = decode(&[0x4366, 0x1999], ValueType::F32, WordOrder::Big, 1.0).unwrap();
/// assert!((volts - 230.1).abs() < 1e-4);
/// ```
pub fn decode(
    words: &[u16],
    value_type: ValueType,
    word_order: WordOrder,
    scale: f64,
) -> Result<f64, MeterError> {
    let bits = raw_bits(words, value_type, word_order)?;
    let raw = match value_type {
        ValueType::U16 | ValueType::U32 => f64::from(bits),
        ValueType::I16 => f64::from(bits as u16 as i16),
        ValueType::I32 => f64::from(bits as i32),
        ValueType::F32 => f64::from(f32::from_bits(bits)),
    };
    Ok(raw * scale)
}

/// The measured quantities a profile maps onto [`crate::meter::Sample`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    /// Voltage (V, mV, kV).
    Volts,
    /// Current (A, mA).
    Amps,
    /// Active power (W, kW).
    Watts,
    /// The energy total (Wh, kWh, MWh).
    Energy,
    /// Line frequency (Hz).
    Frequency,
    /// Power factor (no unit).
    PowerFactor,
    /// Temperature (C).
    Temperature,
}

impl Quantity {
    /// The quantities every profile must map.
    pub const REQUIRED: [Quantity; 4] = [Quantity::Volts, Quantity::Amps, Quantity::Watts, Quantity::Energy];

    /// The profile's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Quantity::Volts => "volts",
            Quantity::Amps => "amps",
            Quantity::Watts => "watts",
            Quantity::Energy => "energy",
            Quantity::Frequency => "frequency",
            Quantity::PowerFactor => "power_factor",
            Quantity::Temperature => "temperature",
        }
    }

    /// The units it may be given in, with the factor to the sample's unit (V, A, W, Wh, Hz,
    /// no unit, °C). The first is the default.
    fn units(self) -> &'static [(&'static str, f64)] {
        match self {
            Quantity::Volts => &[("V", 1.0), ("mV", 1e-3), ("kV", 1e3)],
            Quantity::Amps => &[("A", 1.0), ("mA", 1e-3)],
            Quantity::Watts => &[("W", 1.0), ("kW", 1e3)],
            Quantity::Energy => &[("Wh", 1.0), ("kWh", 1e3), ("MWh", 1e6)],
            Quantity::Frequency => &[("Hz", 1.0)],
            Quantity::PowerFactor => &[("", 1.0)],
            Quantity::Temperature => &[("C", 1.0)],
        }
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where and how one value is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Holding (3) or input (4) registers.
    pub function: ReadFunction,
    /// The first register's address, 0-based as on the wire.
    pub address: u16,
    /// The value's type.
    pub value_type: ValueType,
    /// The order of the words of 32-bit types.
    pub word_order: WordOrder,
    /// Raw value times `scale` is the value in `unit`.
    pub scale: f64,
    /// The unit as written in the profile (empty when none was given).
    pub unit: String,
    /// Multiplies the scaled value into the sample's unit (1 for extras and registers).
    pub to_sample_unit: f64,
}

impl Field {
    /// Registers `address .. address + words`.
    pub fn span(&self) -> (u16, u16) {
        (self.address, self.value_type.words())
    }
}

/// What a configuration register must read back as.
#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    /// This value (after scaling).
    Value(f64),
    /// The slave address the meter was opened with.
    SlaveAddress,
}

/// A configuration or calibration register read back for tamper baselines.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigRegister {
    /// Where it is.
    pub field: Field,
    /// What `self_test` expects it to read, if anything.
    pub expect: Option<Expectation>,
}

/// Serial line defaults from a profile, used where the URI does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SerialDefaults {
    /// Baud rate.
    pub baud: u32,
    /// `N`, `E` or `O`.
    pub parity: char,
    /// 1 or 2.
    pub stop_bits: u8,
}

/// One request's worth of registers: what a reading asks the meter for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// Holding or input registers.
    pub function: ReadFunction,
    /// The first register.
    pub start: u16,
    /// How many registers.
    pub count: u16,
}

/// A validated meter profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Where it came from: a built-in name or the file's path.
    pub source: String,
    /// The meter model, e.g. `PZEM-004T v3`.
    pub model: String,
    /// Serial defaults.
    pub serial: SerialDefaults,
    /// Registers a request may read through to join two fields into one request.
    pub max_gap: u16,
    /// The most registers one request may ask for.
    pub max_registers: u16,
    /// The vendor function that zeroes the energy accumulator, if the meter has one.
    pub reset_energy_function: Option<u8>,
    /// The measured quantities.
    pub quantities: BTreeMap<Quantity, Field>,
    /// Other values, reported as read (in the profile's units).
    pub extras: BTreeMap<String, Field>,
    /// Configuration and calibration registers.
    pub registers: BTreeMap<String, ConfigRegister>,
    /// Plausible ranges, `[min, max]` in the sample's units.
    pub ranges: BTreeMap<Quantity, (f64, f64)>,
}

// ---- the file format (serde) ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    model: String,
    #[serde(default)]
    serial: Option<SerialFile>,
    #[serde(default)]
    blocks: Option<BlocksFile>,
    #[serde(default)]
    reset_energy_function: Option<u8>,
    quantities: BTreeMap<Quantity, FieldFile>,
    #[serde(default)]
    extras: BTreeMap<String, FieldFile>,
    #[serde(default)]
    registers: BTreeMap<String, RegisterFile>,
    #[serde(default)]
    ranges: BTreeMap<Quantity, [f64; 2]>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SerialFile {
    baud: u32,
    #[serde(default = "default_parity")]
    parity: String,
    #[serde(default = "default_stop")]
    stop: u8,
}

fn default_parity() -> String {
    "N".into()
}

fn default_stop() -> u8 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlocksFile {
    #[serde(default)]
    max_gap: u16,
    #[serde(default = "default_max_registers")]
    max_registers: u16,
}

fn default_max_registers() -> u16 {
    MAX_READ_REGISTERS
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldFile {
    address: u16,
    function: u8,
    #[serde(rename = "type")]
    value_type: ValueType,
    #[serde(default)]
    word_order: WordOrder,
    #[serde(default = "default_scale")]
    scale: f64,
    #[serde(default)]
    unit: Option<String>,
}

fn default_scale() -> f64 {
    1.0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterFile {
    #[serde(flatten)]
    field: FieldFile,
    #[serde(default)]
    expect: Option<ExpectFile>,
}

#[derive(Deserialize)]
#[serde(untagged, expecting = "a number or \"slave_address\"")]
enum ExpectFile {
    Number(f64),
    Keyword(ExpectKeyword),
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ExpectKeyword {
    SlaveAddress,
}

impl Profile {
    /// A built-in profile by name (`pzem004t`, `sdm120`, `sdm630`).
    pub fn builtin(name: &str) -> Result<Profile, MeterError> {
        match BUILTIN.iter().find(|(known, _)| *known == name) {
            Some((_, text)) => Profile::parse(text, name),
            None => Err(MeterError::Profile {
                path: name.to_owned(),
                reason: format!(
                    "no built-in profile has this name (built in: {}; or give a path to a .toml file)",
                    builtin_names().join(", ")
                ),
            }),
        }
    }

    /// Loads a profile file.
    pub fn load(path: &Path) -> Result<Profile, MeterError> {
        let shown = path.display().to_string();
        let text = crate::wire::read_file_capped(path, crate::wire::MAX_FILE_BYTES)
            .and_then(|bytes| String::from_utf8(bytes).map_err(|_| std::io::ErrorKind::InvalidData.into()))
            .map_err(|e| MeterError::Profile {
                path: shown.clone(),
                reason: format!("cannot read it: {e}"),
            })?;
        Profile::parse(&text, &shown)
    }

    /// A built-in name, or else a path (anything with a `/` or ending in `.toml`).
    pub fn resolve(spec: &str) -> Result<Profile, MeterError> {
        if spec.contains('/') || spec.ends_with(".toml") {
            Profile::load(Path::new(spec))
        } else {
            Profile::builtin(spec)
        }
    }

    /// Parses and validates profile text; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<Profile, MeterError> {
        let bad = |reason: String| MeterError::Profile { path: source.to_owned(), reason };
        let file: ProfileFile = toml::from_str(text).map_err(|e| bad(e.to_string().trim_end().to_owned()))?;

        let serial = match file.serial {
            None => SerialDefaults { baud: 9600, parity: 'N', stop_bits: 1 },
            Some(serial) => {
                let parity = match serial.parity.as_str() {
                    "N" | "n" => 'N',
                    "E" | "e" => 'E',
                    "O" | "o" => 'O',
                    other => return Err(bad(format!("serial.parity {other:?}: expected N, E or O"))),
                };
                if !(1..=2).contains(&serial.stop) {
                    return Err(bad(format!("serial.stop {}: expected 1 or 2", serial.stop)));
                }
                if serial.baud == 0 {
                    return Err(bad("serial.baud must be above 0".into()));
                }
                SerialDefaults { baud: serial.baud, parity, stop_bits: serial.stop }
            }
        };
        let (max_gap, max_registers) = match file.blocks {
            None => (0, MAX_READ_REGISTERS),
            Some(blocks) => (blocks.max_gap, blocks.max_registers),
        };
        if max_registers == 0 || max_registers > MAX_READ_REGISTERS {
            return Err(bad(format!(
                "blocks.max_registers {max_registers}: expected 1 to {MAX_READ_REGISTERS}"
            )));
        }
        if let Some(function) = file.reset_energy_function
            && (function == 0 || function & 0x80 != 0)
        {
            return Err(bad(format!(
                "reset_energy_function {function:#04x} is not a function code (1 to 127)"
            )));
        }

        let mut quantities = BTreeMap::new();
        for (quantity, raw) in file.quantities {
            let field =
                field(raw, &format!("quantities.{quantity}"), Some(quantity), max_registers).map_err(&bad)?;
            quantities.insert(quantity, field);
        }
        let missing: Vec<&str> =
            Quantity::REQUIRED.iter().filter(|q| !quantities.contains_key(q)).map(|q| q.name()).collect();
        if !missing.is_empty() {
            return Err(bad(format!(
                "missing quantities: {} (required: volts, amps, watts, energy)",
                missing.join(", ")
            )));
        }
        let mut extras = BTreeMap::new();
        for (name, raw) in file.extras {
            check_name(&name, "extras").map_err(&bad)?;
            extras.insert(
                name.clone(),
                field(raw, &format!("extras.{name}"), None, max_registers).map_err(&bad)?,
            );
        }
        let mut registers = BTreeMap::new();
        for (name, raw) in file.registers {
            check_name(&name, "registers").map_err(&bad)?;
            let field = field(raw.field, &format!("registers.{name}"), None, max_registers).map_err(&bad)?;
            let expect = raw.expect.map(|e| match e {
                ExpectFile::Number(value) => Expectation::Value(value),
                ExpectFile::Keyword(ExpectKeyword::SlaveAddress) => Expectation::SlaveAddress,
            });
            registers.insert(name, ConfigRegister { field, expect });
        }
        let mut ranges = BTreeMap::new();
        for (quantity, [min, max]) in file.ranges {
            if !(min.is_finite() && max.is_finite() && min < max) {
                return Err(bad(format!(
                    "ranges.{quantity} [{min}, {max}]: expected [min, max] with min < max"
                )));
            }
            ranges.insert(quantity, (min, max));
        }
        Ok(Profile {
            source: source.to_owned(),
            model: file.model,
            serial,
            max_gap,
            max_registers,
            reset_energy_function: file.reset_energy_function,
            quantities,
            extras,
            registers,
            ranges,
        })
    }

    /// Every field the driver reads for one sample: quantities, extras, then registers.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.quantities.values().chain(self.extras.values()).chain(self.registers.values().map(|r| &r.field))
    }

    /// Groups the fields into as few requests as possible: fields of the same function that
    /// are contiguous (or at most `max_gap` registers apart) share one request of at most
    /// `max_registers` registers.
    ///
    /// Ends are counted in `u32`: a field may end at 0x10000 (a `u16` at register 0xFFFF), one
    /// past what a `u16` holds.
    pub fn plan(&self) -> Vec<Block> {
        let mut spans: Vec<(ReadFunction, u32, u32)> = self
            .fields()
            .map(|f| {
                (f.function, u32::from(f.address), u32::from(f.address) + u32::from(f.value_type.words()))
            })
            .collect();
        spans.sort();
        let mut blocks: Vec<Block> = Vec::new();
        let count =
            |from: u32, to: u32| u16::try_from(to - from).expect("a block holds at most max_registers");
        for (function, start, end) in spans {
            if let Some(last) = blocks.last_mut()
                && last.function == function
            {
                let last_start = u32::from(last.start);
                let last_end = last_start + u32::from(last.count);
                let joined_end = end.max(last_end);
                if start <= last_end + u32::from(self.max_gap)
                    && joined_end - last_start <= u32::from(self.max_registers)
                {
                    last.count = count(last_start, joined_end);
                    continue;
                }
            }
            let start16 = u16::try_from(start).expect("field addresses are u16");
            blocks.push(Block { function, start: start16, count: count(start, end) });
        }
        blocks
    }
}

fn check_name(name: &str, table: &str) -> Result<(), String> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Err(format!("{table}.{name:?}: names are snake_case (a-z, 0-9, _)"));
    }
    Ok(())
}

fn field(raw: FieldFile, at: &str, quantity: Option<Quantity>, max_registers: u16) -> Result<Field, String> {
    let function = ReadFunction::try_from(raw.function).map_err(|e| format!("{at}: {e}"))?;
    if u32::from(raw.address) + u32::from(raw.value_type.words()) > 0x1_0000 {
        return Err(format!(
            "{at}: a {} at address {:#06x} runs past the last register, 0xffff",
            raw.value_type, raw.address
        ));
    }
    if raw.value_type.words() > max_registers {
        return Err(format!(
            "{at}: a {} does not fit blocks.max_registers = {max_registers}",
            raw.value_type
        ));
    }
    if !raw.scale.is_finite() || raw.scale == 0.0 {
        return Err(format!("{at}: scale {} must be a finite non-zero number", raw.scale));
    }
    let (unit, to_sample_unit) = match quantity {
        None => (raw.unit.unwrap_or_default(), 1.0),
        Some(quantity) => {
            let known = quantity.units();
            match raw.unit {
                None if quantity == Quantity::Energy => {
                    return Err(format!("{at}: unit is required for energy (Wh, kWh or MWh)"));
                }
                None => (known[0].0.to_owned(), 1.0),
                Some(unit) => match known.iter().find(|(name, _)| *name == unit) {
                    Some((_, factor)) => (unit, *factor),
                    None => {
                        let names: Vec<String> = known.iter().map(|(n, _)| format!("{n:?}")).collect();
                        return Err(format!("{at}: unit {unit:?} (known: {})", names.join(", ")));
                    }
                },
            }
        }
    };
    Ok(Field {
        function,
        address: raw.address,
        value_type: raw.value_type,
        word_order: raw.word_order,
        scale: raw.scale,
        unit,
        to_sample_unit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Profile::parse(text, "test.toml").unwrap_err().to_string()
    }

    const MINIMAL: &str = r#"
        model = "X"
        [quantities.volts]
        address = 0
        function = 4
        type = "u16"
        [quantities.amps]
        address = 1
        function = 4
        type = "u16"
        [quantities.watts]
        address = 2
        function = 4
        type = "u16"
        [quantities.energy]
        address = 3
        function = 4
        type = "u32"
        unit = "kWh"
    "#;

    #[test]
    fn decode_every_type_and_word_order() {
        let d = |w: &[u16], t, o, s| decode(w, t, o, s).unwrap();
        assert!((d(&[0x0898], ValueType::U16, WordOrder::Big, 0.1) - 220.0).abs() < 1e-9);
        assert_eq!(d(&[0xFFFF], ValueType::U16, WordOrder::Big, 1.0), 65535.0);
        assert_eq!(d(&[0xFFFF], ValueType::I16, WordOrder::Big, 1.0), -1.0);
        assert_eq!(d(&[0x8000], ValueType::I16, WordOrder::Little, 1.0), -32768.0);
        assert_eq!(d(&[0x0001, 0x0002], ValueType::U32, WordOrder::Big, 1.0), 65538.0);
        assert_eq!(d(&[0x0001, 0x0002], ValueType::U32, WordOrder::Little, 1.0), 131073.0);
        assert_eq!(d(&[0xFFFF, 0xFFFE], ValueType::I32, WordOrder::Big, 1.0), -2.0);
        assert_eq!(d(&[0xFFFE, 0xFFFF], ValueType::I32, WordOrder::Little, 1.0), -2.0);
        assert_eq!(d(&[0xFFFF, 0xFFFF], ValueType::U32, WordOrder::Big, 1.0), 4_294_967_295.0);
        // 230.0 as f32 is 0x43660000; 1.5 is 0x3FC00000; -2.0 is 0xC0000000.
        assert_eq!(d(&[0x4366, 0x0000], ValueType::F32, WordOrder::Big, 1.0), 230.0);
        assert_eq!(d(&[0x0000, 0x4366], ValueType::F32, WordOrder::Little, 1.0), 230.0);
        assert_eq!(d(&[0x3FC0, 0x0000], ValueType::F32, WordOrder::Big, 2.0), 3.0);
        assert_eq!(d(&[0xC000, 0x0000], ValueType::F32, WordOrder::Big, 1.0), -2.0);
        // The PZEM manual's example: current 0x000003E8 sent as 03E8 0000 (low word first).
        assert_eq!(d(&[0x03E8, 0x0000], ValueType::U32, WordOrder::Little, 0.001), 1.0);
        let short = decode(&[1], ValueType::F32, WordOrder::Big, 1.0).unwrap_err().to_string();
        assert!(short.contains("needs 2 registers, got 1"), "{short}");
        assert_eq!(raw_bits(&[0x4366, 0x0000], ValueType::F32, WordOrder::Big).unwrap(), 0x4366_0000);
    }

    #[test]
    fn types_and_orders_parse_from_text() {
        for name in ["u16", "i16", "u32", "i32", "f32"] {
            assert_eq!(name.parse::<ValueType>().unwrap().to_string(), name);
        }
        assert!("f64".parse::<ValueType>().unwrap_err().contains("known: u16"));
        assert_eq!("little".parse::<WordOrder>().unwrap(), WordOrder::Little);
        assert!("middle".parse::<WordOrder>().is_err());
    }

    #[test]
    fn builtin_profiles_load_and_plan_few_requests() {
        let pzem = Profile::builtin("pzem004t").unwrap();
        assert_eq!(pzem.model, "PZEM-004T v3");
        assert_eq!(pzem.reset_energy_function, Some(0x42));
        // The manual's one read of input registers 0..10, then the two holding registers.
        assert_eq!(
            pzem.plan(),
            [
                Block { function: ReadFunction::Holding, start: 1, count: 2 },
                Block { function: ReadFunction::Input, start: 0, count: 10 },
            ]
        );
        let amps = &pzem.quantities[&Quantity::Amps];
        assert_eq!((amps.address, amps.value_type, amps.word_order), (1, ValueType::U32, WordOrder::Little));

        let sdm = Profile::builtin("sdm120").unwrap();
        assert_eq!(sdm.serial, SerialDefaults { baud: 2400, parity: 'N', stop_bits: 1 });
        assert_eq!(sdm.quantities[&Quantity::Energy].to_sample_unit, 1000.0, "kWh");
        let plan = sdm.plan();
        assert_eq!(plan.len(), 4, "{plan:?}");
        assert!(plan.iter().all(|b| b.count <= sdm.max_registers));

        let sdm630 = Profile::builtin("sdm630").unwrap();
        assert!(sdm630.plan().len() <= 4, "{:?}", sdm630.plan());
        assert!(Profile::builtin("nope").unwrap_err().to_string().contains("pzem004t, sdm120, sdm630"));
    }

    #[test]
    fn plan_respects_gaps_and_limits() {
        let mut profile = Profile::parse(MINIMAL, "t").unwrap();
        assert_eq!(profile.plan(), [Block { function: ReadFunction::Input, start: 0, count: 5 }]);
        profile.quantities.get_mut(&Quantity::Watts).unwrap().address = 10;
        // volts 0, amps 1, energy 3..5 (gap of 1 at 2), watts 10.
        profile.max_gap = 0;
        assert_eq!(profile.plan().len(), 3);
        profile.max_gap = 1;
        assert_eq!(profile.plan().len(), 2);
        profile.max_gap = 5;
        assert_eq!(profile.plan(), [Block { function: ReadFunction::Input, start: 0, count: 11 }]);
        profile.max_registers = 6;
        assert_eq!(profile.plan().len(), 2);
    }

    #[test]
    fn a_field_at_the_last_register_is_planned_without_overflow() {
        // A u16 at 0xffff ends at 0x10000: readable, and planned without wrapping around.
        let last = MINIMAL.replacen("address = 2\n", "address = 0xffff\n", 1);
        let profile = Profile::parse(&last, "t").unwrap();
        let blocks = profile.plan();
        assert_eq!(blocks.last(), Some(&Block { function: ReadFunction::Input, start: 0xffff, count: 1 }));
        assert!(blocks.iter().all(|b| u32::from(b.start) + u32::from(b.count) <= 0x1_0000));
        // A u32 there does not fit: a clear error, not a panic or a wrap.
        let past = MINIMAL.replacen("address = 3\n", "address = 0xffff\n", 1);
        assert_eq!(
            err(&past),
            "meter profile test.toml: quantities.energy: a u32 at address 0xffff runs past the last register, 0xffff"
        );
    }

    #[test]
    fn malformed_profiles_say_what_is_wrong() {
        assert!(err("model = ").contains("test.toml"));
        let unknown_type = MINIMAL.replace("type = \"u32\"", "type = \"u64\"");
        assert!(err(&unknown_type).contains("u64"), "{}", err(&unknown_type));
        let no_energy = MINIMAL.replace("[quantities.energy]", "[extras.energy]");
        assert!(err(&no_energy).contains("missing quantities: energy"), "{}", err(&no_energy));
        let bad_function = MINIMAL.replacen("function = 4", "function = 6", 1);
        assert!(err(&bad_function).contains("quantities.volts: function 0x06"), "{}", err(&bad_function));
        let no_unit = MINIMAL.replace("unit = \"kWh\"", "");
        assert!(err(&no_unit).contains("unit is required for energy"), "{}", err(&no_unit));
        let bad_unit = MINIMAL.replace("unit = \"kWh\"", "unit = \"J\"");
        assert!(err(&bad_unit).contains("unit \"J\""), "{}", err(&bad_unit));
        let typo = MINIMAL.replace("[quantities.amps]", "[quantities.ampz]");
        assert!(err(&typo).contains("ampz"), "{}", err(&typo));
        let missing_field = MINIMAL.replacen("address = 0\n", "", 1);
        assert!(err(&missing_field).contains("address"), "{}", err(&missing_field));
        let bad_range = format!("{MINIMAL}\n[ranges]\nvolts = [300, 80]\n");
        assert!(err(&bad_range).contains("ranges.volts"), "{}", err(&bad_range));
        let bad_expect = format!(
            "{MINIMAL}\n[registers.id]\naddress = 9\nfunction = 3\ntype = \"u16\"\nexpect = \"someone\"\n"
        );
        assert!(err(&bad_expect).contains("slave_address"), "{}", err(&bad_expect));
    }
}
