//! TI INA228 (I2C) and INA229 (SPI) 85 V, 20-bit power monitors with energy and charge
//! accumulators: the drivers, and a register-level model of the chip for tests and the simulator.
//!
//! Both chips share one register map and one calculation engine; only the bus differs. The
//! register logic lives in [`Ina22x`], generic over a [`RegisterAccess`]: [`I2cRegisters`] over
//! an embedded-hal 1.0 [`I2c`], [`SpiRegisters`] over an [`SpiDevice`]. [`Ina228`] and
//! [`Ina229`] name the two combinations; [`open`] binds them to Linux through
//! linux-embedded-hal (`/dev/i2c-*`, `/dev/spidev*`).
//!
//! ```text
//! ina228:/dev/i2c-1?addr=0x40&shunt_ohms=0.015&max_amps=10[&adcrange=0|1]
//! ina229:/dev/spidev0.0?shunt_ohms=0.015&max_amps=10[&adcrange=0|1]
//! ```
//!
//! `addr` defaults to 0x40; `max_amps` (which sets CURRENT_LSB = max_amps / 2¹⁹) defaults to
//! the current at the shunt range's full scale (163.84 mV / shunt_ohms); `adcrange=1`
//! selects the ±40.96 mV range for small shunts. Opening writes CONFIG, ADC_CONFIG (continuous
//! conversions at the reset timing), SHUNT_CAL and DIAG_ALRT (ALATCH); it does not reset the
//! chip, so the energy accumulator carries on across sessions.
//!
//! References are to the INA228 data sheet, TI SLYS021A (the INA229's, SLYS023A, numbers its
//! tables the same way): register map Table 7-3, field tables 7-5 … 7-24, the calculations
//! in §8.1.1 (Table 8-1) and §8.1.2, the worked example in §8.2.2.5 (Table 8-4), the SPI frame
//! in SLYS023A §7.5.1.1 (Table 7-2).
//!
//! The tamper checks baseline [`Meter::registers`]: `config` (RST, RSTACC, ADCRANGE),
//! `adc_config` (MODE: shutdown is the paper's sleep attack), `shunt_cal` and `shunt_tempco`
//! (the recalibration attack), and the two identification registers.

pub mod model;

use std::time::Duration;

use embedded_hal::i2c::{I2c, NoAcknowledgeSource};
use embedded_hal::spi::{Operation, SpiDevice};

use super::{Counters, DeviceInfo, DeviceUri, Meter, MeterError, PowerState, Registers, Sample, SelfCheck};

/// Register addresses (Table 7-3).
pub mod reg {
    /// Configuration: RST (bit 15), RSTACC (bit 14), CONVDLY, TEMPCOMP, ADCRANGE (bit 4).
    pub const CONFIG: u8 = 0x00;
    /// ADC configuration: MODE (bits 15–12), VBUSCT, VSHCT, VTCT, AVG.
    pub const ADC_CONFIG: u8 = 0x01;
    /// Shunt calibration (15 bits).
    pub const SHUNT_CAL: u8 = 0x02;
    /// Shunt temperature coefficient, ppm/°C (14 bits).
    pub const SHUNT_TEMPCO: u8 = 0x03;
    /// Shunt voltage (24-bit register, 20-bit two's complement in bits 23–4).
    pub const VSHUNT: u8 = 0x04;
    /// Bus voltage (24-bit register, 20 bits in bits 23–4, 195.3125 µV/LSB).
    pub const VBUS: u8 = 0x05;
    /// Die temperature (16-bit two's complement, 7.8125 m°C/LSB).
    pub const DIETEMP: u8 = 0x06;
    /// Current (24-bit register, 20-bit two's complement in bits 23–4, CURRENT_LSB).
    pub const CURRENT: u8 = 0x07;
    /// Power (24-bit unsigned, 3.2 × CURRENT_LSB W).
    pub const POWER: u8 = 0x08;
    /// Energy (40-bit unsigned, 16 × 3.2 × CURRENT_LSB J).
    pub const ENERGY: u8 = 0x09;
    /// Charge (40-bit two's complement, CURRENT_LSB C).
    pub const CHARGE: u8 = 0x0A;
    /// Diagnostic flags and alert configuration.
    pub const DIAG_ALRT: u8 = 0x0B;
    /// Shunt overvoltage threshold.
    pub const SOVL: u8 = 0x0C;
    /// Shunt undervoltage threshold.
    pub const SUVL: u8 = 0x0D;
    /// Bus overvoltage threshold.
    pub const BOVL: u8 = 0x0E;
    /// Bus undervoltage threshold.
    pub const BUVL: u8 = 0x0F;
    /// Temperature over-limit threshold.
    pub const TEMP_LIMIT: u8 = 0x10;
    /// Power over-limit threshold.
    pub const PWR_LIMIT: u8 = 0x11;
    /// Manufacturer ID, 0x5449 ("TI").
    pub const MANUFACTURER_ID: u8 = 0x3E;
    /// Device ID: DIEID in bits 15–4, REV_ID in bits 3–0.
    pub const DEVICE_ID: u8 = 0x3F;

    /// The register's width in bytes (Table 7-3's "Register Size"), `None` for reserved
    /// addresses.
    pub fn width(address: u8) -> Option<usize> {
        match address {
            VSHUNT | VBUS | CURRENT | POWER => Some(3),
            ENERGY | CHARGE => Some(5),
            CONFIG..=PWR_LIMIT | MANUFACTURER_ID | DEVICE_ID => Some(2),
            _ => None,
        }
    }
}

/// CONFIG bit 15: system reset, self-clearing (Table 7-5).
pub const CONFIG_RST: u16 = 1 << 15;
/// CONFIG bit 14: clears ENERGY and CHARGE (Table 7-5).
pub const CONFIG_RSTACC: u16 = 1 << 14;
/// CONFIG bit 4: ADCRANGE, 1 = ±40.96 mV full scale instead of ±163.84 mV (Table 7-5).
pub const CONFIG_ADCRANGE: u16 = 1 << 4;
/// ADC_CONFIG's reset value (Table 7-6): MODE = Fh (continuous bus, shunt and temperature),
/// VBUSCT = VSHCT = VTCT = 5h (1052 µs), AVG = 0h (1 sample).
pub const ADC_CONFIG_DEFAULT: u16 = 0xFB68;
/// SHUNT_CAL's reset value (Table 7-7).
pub const SHUNT_CAL_DEFAULT: u16 = 0x1000;
/// SHUNT_CAL is 15 bits wide; bit 15 is reserved (Table 7-7).
pub const SHUNT_CAL_MAX: u16 = 0x7FFF;
/// DIAG_ALRT bit 15: ALATCH, latches the flags until DIAG_ALRT is read (Table 7-16).
pub const DIAG_ALATCH: u16 = 1 << 15;
/// DIAG_ALRT bit 11: ENERGY overflowed (Table 7-16).
pub const DIAG_ENERGYOF: u16 = 1 << 11;
/// DIAG_ALRT bit 10: CHARGE overflowed (Table 7-16).
pub const DIAG_CHARGEOF: u16 = 1 << 10;
/// DIAG_ALRT bit 1: CNVRF, a conversion completed (Table 7-16).
pub const DIAG_CNVRF: u16 = 1 << 1;
/// DIAG_ALRT bit 0: MEMSTAT, 1 = the trim memory checksum is good (Table 7-16).
pub const DIAG_MEMSTAT: u16 = 1 << 0;
/// MANUFACTURER_ID's value: "TI" in ASCII (Table 7-23).
pub const MANUFACTURER_TI: u16 = 0x5449;

/// VBUS resolution, V/LSB (Table 8-1).
pub const VBUS_LSB_VOLTS: f64 = 195.3125e-6;
/// VSHUNT resolution with ADCRANGE = 0 and = 1, V/LSB (Table 8-1).
pub const VSHUNT_LSB_VOLTS: [f64; 2] = [312.5e-9, 78.125e-9];
/// Shunt full scale with ADCRANGE = 0 and = 1, V (§8.1.1).
pub const VSHUNT_FULL_SCALE: [f64; 2] = [0.16384, 0.04096];
/// DIETEMP resolution, °C/LSB (Table 8-1).
pub const DIETEMP_LSB_C: f64 = 7.8125e-3;
/// The constant in SHUNT_CAL = 13107.2 × 10⁶ × CURRENT_LSB × R_SHUNT (§8.1.2, Equation 2).
pub const SHUNT_CAL_SCALE: f64 = 13107.2e6;
/// POWER's LSB is this times CURRENT_LSB (§8.1.2).
pub const POWER_LSB_FACTOR: f64 = 3.2;
/// ENERGY's LSB is this times POWER's LSB (§8.1.2).
pub const ENERGY_LSB_FACTOR: f64 = 16.0;
/// The bus voltage range the chip measures, V (§8.1.1).
pub const VBUS_MAX_VOLTS: f64 = 85.0;

/// Which chip: they differ in bus and device id only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chip {
    /// INA228, I2C.
    Ina228,
    /// INA229, SPI.
    Ina229,
}

impl Chip {
    /// DEVICE_ID's DIEID field (bits 15–4, Table 7-24).
    pub fn die_id(self) -> u16 {
        match self {
            Chip::Ina228 => 0x228,
            Chip::Ina229 => 0x229,
        }
    }

    /// The model name.
    pub fn name(self) -> &'static str {
        match self {
            Chip::Ina228 => "INA228",
            Chip::Ina229 => "INA229",
        }
    }
}

/// Sign-extends the low `bits` bits of `raw`.
pub fn sign_extend(raw: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((raw << shift) as i64) >> shift
}

/// The shunt and range a chip is calibrated for, and the LSBs that follow from them (§8.1.2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// The shunt resistance, Ω.
    pub shunt_ohms: f64,
    /// The largest current to measure, A.
    pub max_amps: f64,
    /// ADCRANGE = 1: ±40.96 mV full scale (for small shunts) instead of ±163.84 mV.
    pub low_range: bool,
}

impl Calibration {
    /// Checks that the shunt and current fit the chip: the shunt voltage at `max_amps` within
    /// the ADC's full scale, and SHUNT_CAL within its 15 bits.
    pub fn new(shunt_ohms: f64, max_amps: f64, low_range: bool) -> Result<Self, String> {
        if !(shunt_ohms.is_finite() && shunt_ohms > 0.0) {
            return Err(format!("shunt_ohms={shunt_ohms}: expected a positive resistance in ohms"));
        }
        if !(max_amps.is_finite() && max_amps > 0.0) {
            return Err(format!("max_amps={max_amps}: expected a positive current in amperes"));
        }
        let calibration = Calibration { shunt_ohms, max_amps, low_range };
        let full_scale = VSHUNT_FULL_SCALE[usize::from(low_range)];
        let shunt_volts = shunt_ohms * max_amps;
        if shunt_volts > full_scale {
            return Err(format!(
                "max_amps × shunt_ohms = {:.2} mV exceeds the ±{:.2} mV shunt range (adcrange={})",
                shunt_volts * 1e3,
                full_scale * 1e3,
                u8::from(low_range)
            ));
        }
        let shunt_cal = calibration.shunt_cal_exact();
        if shunt_cal.round() > f64::from(SHUNT_CAL_MAX) || shunt_cal.round() < 1.0 {
            return Err(format!(
                "SHUNT_CAL would be {shunt_cal:.0}, outside 1…{SHUNT_CAL_MAX} (choose another shunt_ohms or max_amps)"
            ));
        }
        Ok(calibration)
    }

    /// CURRENT_LSB = max_amps / 2¹⁹, A (§8.1.2, Equation 3).
    pub fn current_lsb(&self) -> f64 {
        self.max_amps / f64::from(1u32 << 19)
    }

    fn shunt_cal_exact(&self) -> f64 {
        let factor = if self.low_range { 4.0 } else { 1.0 };
        SHUNT_CAL_SCALE * self.current_lsb() * self.shunt_ohms * factor
    }

    /// SHUNT_CAL = 13107.2 × 10⁶ × CURRENT_LSB × R_SHUNT, × 4 with ADCRANGE = 1 (§8.1.2).
    pub fn shunt_cal(&self) -> u16 {
        self.shunt_cal_exact().round() as u16
    }

    /// The CONFIG value the driver writes: only ADCRANGE set.
    pub fn config(&self) -> u16 {
        if self.low_range { CONFIG_ADCRANGE } else { 0 }
    }
}

/// Register reads and writes on one bus: what differs between the INA228 and the INA229.
pub trait RegisterAccess {
    /// Reads `buffer.len()` bytes of register `address`, MSB first.
    fn read_register(&mut self, address: u8, buffer: &mut [u8]) -> Result<(), MeterError>;
    /// Writes a 16-bit register (every writable register is 16 bits wide).
    fn write_register(&mut self, address: u8, value: u16) -> Result<(), MeterError>;
}

/// INA228 registers over I2C: a pointer write then a read, MSB first (§7.5.1.1).
pub struct I2cRegisters<I2C> {
    i2c: I2C,
    address: u8,
    device: String,
}

impl<I2C: I2c> I2cRegisters<I2C> {
    /// Registers of the chip at 7-bit `address` on `i2c`; `device` names it in errors.
    pub fn new(i2c: I2C, address: u8, device: impl Into<String>) -> Self {
        I2cRegisters { i2c, address, device: device.into() }
    }

    fn bus_error(&self, error: I2C::Error) -> MeterError {
        use embedded_hal::i2c::{Error, ErrorKind};
        let reason = match error.kind() {
            ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address) => {
                format!(
                    "no acknowledge from address {:#04x} (is the chip there, at that address?)",
                    self.address
                )
            }
            _ => format!("{error:?}"),
        };
        MeterError::Bus { device: self.device.clone(), reason }
    }
}

impl<I2C: I2c> RegisterAccess for I2cRegisters<I2C> {
    fn read_register(&mut self, address: u8, buffer: &mut [u8]) -> Result<(), MeterError> {
        self.i2c.write_read(self.address, &[address], buffer).map_err(|e| self.bus_error(e))
    }

    fn write_register(&mut self, address: u8, value: u16) -> Result<(), MeterError> {
        let [high, low] = value.to_be_bytes();
        self.i2c.write(self.address, &[address, high, low]).map_err(|e| self.bus_error(e))
    }
}

/// INA229 registers over SPI: the first byte is the address in bits 7–2, bit 1 = 0 and
/// bit 0 = 1 to read (SLYS023A Table 7-2); data follows MSB first in the same frame.
pub struct SpiRegisters<SPI> {
    spi: SPI,
    device: String,
}

impl<SPI: SpiDevice> SpiRegisters<SPI> {
    /// Registers of the chip on `spi`; `device` names it in errors.
    pub fn new(spi: SPI, device: impl Into<String>) -> Self {
        SpiRegisters { spi, device: device.into() }
    }

    /// The first byte of a frame (Table 7-2).
    pub fn command(address: u8, read: bool) -> u8 {
        (address & 0x3F) << 2 | u8::from(read)
    }

    fn bus_error(&self, error: SPI::Error) -> MeterError {
        MeterError::Bus { device: self.device.clone(), reason: format!("{error:?}") }
    }
}

impl<SPI: SpiDevice> RegisterAccess for SpiRegisters<SPI> {
    fn read_register(&mut self, address: u8, buffer: &mut [u8]) -> Result<(), MeterError> {
        let command = [Self::command(address, true)];
        self.spi
            .transaction(&mut [Operation::Write(&command), Operation::Read(buffer)])
            .map_err(|e| self.bus_error(e))
    }

    fn write_register(&mut self, address: u8, value: u16) -> Result<(), MeterError> {
        let [high, low] = value.to_be_bytes();
        self.spi.write(&[Self::command(address, false), high, low]).map_err(|e| self.bus_error(e))
    }
}

/// The values written at open, which `self_test` reads back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Written {
    config: u16,
    adc_config: u16,
    shunt_cal: u16,
    diag_alrt: u16,
}

/// An INA228 or INA229 driver over any [`RegisterAccess`].
pub struct Ina22x<B> {
    bus: B,
    chip: Chip,
    calibration: Calibration,
    written: Written,
    info: DeviceInfo,
    counters: Counters,
    /// Consecutive reads that found no new conversion (CNVRF clear).
    missed_conversions: u32,
}

/// An INA228 on an I2C bus.
pub type Ina228<I2C> = Ina22x<I2cRegisters<I2C>>;
/// An INA229 on an SPI device.
pub type Ina229<SPI> = Ina22x<SpiRegisters<SPI>>;

impl<I2C: I2c> Ina228<I2C> {
    /// Opens the INA228 at `address` on `i2c` and configures it for `calibration`.
    pub fn new(i2c: I2C, address: u8, calibration: Calibration, uri: &str) -> Result<Self, MeterError> {
        Ina22x::configure(I2cRegisters::new(i2c, address, uri), Chip::Ina228, calibration, uri)
    }
}

impl<SPI: SpiDevice> Ina229<SPI> {
    /// Opens the INA229 on `spi` and configures it for `calibration`.
    pub fn new(spi: SPI, calibration: Calibration, uri: &str) -> Result<Self, MeterError> {
        Ina22x::configure(SpiRegisters::new(spi, uri), Chip::Ina229, calibration, uri)
    }
}

/// Reads missed in a row before the driver calls the sensor stalled: the first read after
/// opening may come before the first conversion has finished.
const STALLED_AFTER_MISSES: u32 = 2;

/// The raw measurement registers of one read.
#[derive(Debug, Clone, Copy)]
struct Raw {
    vbus: u64,
    current: u64,
    power: u64,
    energy: u64,
    charge: u64,
    dietemp: u64,
}

impl<B: RegisterAccess> Ina22x<B> {
    /// Checks the chip's identity, then writes CONFIG (ADCRANGE), ADC_CONFIG (continuous,
    /// the reset timing), SHUNT_CAL and DIAG_ALRT (ALATCH, so CNVRF tells whether a conversion
    /// finished since the previous read).
    pub fn configure(
        mut bus: B,
        chip: Chip,
        calibration: Calibration,
        uri: &str,
    ) -> Result<Self, MeterError> {
        let manufacturer = read_u16(&mut bus, reg::MANUFACTURER_ID)?;
        let device_id = read_u16(&mut bus, reg::DEVICE_ID)?;
        if manufacturer != MANUFACTURER_TI || device_id >> 4 != chip.die_id() {
            return Err(MeterError::Garbage {
                device: uri.to_owned(),
                reason: format!(
                    "not an {}: manufacturer id {manufacturer:#06x} (expected {MANUFACTURER_TI:#06x}), device id {device_id:#06x} (expected {:#05x}x)",
                    chip.name(),
                    chip.die_id()
                ),
            });
        }
        let written = Written {
            config: calibration.config(),
            adc_config: ADC_CONFIG_DEFAULT,
            shunt_cal: calibration.shunt_cal(),
            diag_alrt: DIAG_ALATCH,
        };
        bus.write_register(reg::CONFIG, written.config)?;
        bus.write_register(reg::ADC_CONFIG, written.adc_config)?;
        bus.write_register(reg::SHUNT_CAL, written.shunt_cal)?;
        bus.write_register(reg::DIAG_ALRT, written.diag_alrt)?;
        let info = DeviceInfo {
            uri: uri.to_owned(),
            driver: "ina22x".into(),
            model: chip.name().into(),
            has_energy_register: true,
            has_calibration_registers: true,
        };
        Ok(Ina22x {
            bus,
            chip,
            calibration,
            written,
            info,
            counters: Counters { requests: 6, ..Counters::default() },
            missed_conversions: 0,
        })
    }

    /// The calibration the driver configured.
    pub fn calibration(&self) -> &Calibration {
        &self.calibration
    }

    /// Gives the bus back (tests inspect a mock's expectations).
    pub fn into_bus(self) -> B {
        self.bus
    }

    fn read(&mut self, address: u8) -> Result<u64, MeterError> {
        let width = reg::width(address).unwrap_or(2);
        let mut buffer = [0u8; 5];
        self.counters.requests += 1;
        self.bus.read_register(address, &mut buffer[..width])?;
        Ok(buffer[..width].iter().fold(0u64, |acc, byte| acc << 8 | u64::from(*byte)))
    }

    fn read_registers(&mut self) -> Result<Registers, MeterError> {
        let mut registers = Registers::new();
        for (name, address) in [
            ("config", reg::CONFIG),
            ("adc_config", reg::ADC_CONFIG),
            ("shunt_cal", reg::SHUNT_CAL),
            ("shunt_tempco", reg::SHUNT_TEMPCO),
            ("manufacturer_id", reg::MANUFACTURER_ID),
            ("device_id", reg::DEVICE_ID),
        ] {
            registers.insert(name.to_owned(), self.read(address)?);
        }
        Ok(registers)
    }

    fn read_raw(&mut self) -> Result<Raw, MeterError> {
        Ok(Raw {
            vbus: self.read(reg::VBUS)?,
            current: self.read(reg::CURRENT)?,
            power: self.read(reg::POWER)?,
            energy: self.read(reg::ENERGY)?,
            charge: self.read(reg::CHARGE)?,
            dietemp: self.read(reg::DIETEMP)?,
        })
    }

    /// Turns raw registers into a sample (§8.1.2; Table 8-4 is the worked example).
    fn convert(&self, raw: &Raw) -> Sample {
        let current_lsb = self.calibration.current_lsb();
        // VBUS and CURRENT hold 20 bits in bits 23–4 (Tables 7-10, 7-12).
        let volts = (raw.vbus >> 4) as f64 * VBUS_LSB_VOLTS;
        let amps = sign_extend(raw.current >> 4, 20) as f64 * current_lsb;
        // POWER and ENERGY are unsigned magnitudes (Tables 7-13, 7-14); the sign follows CURRENT.
        let power = raw.power as f64 * POWER_LSB_FACTOR * current_lsb;
        let watts = if amps < 0.0 { -power } else { power };
        let joules = raw.energy as f64 * ENERGY_LSB_FACTOR * POWER_LSB_FACTOR * current_lsb;
        let coulombs = sign_extend(raw.charge, 40) as f64 * current_lsb;
        let temperature = sign_extend(raw.dietemp, 16) as f64 * DIETEMP_LSB_C;
        Sample {
            volts,
            amps,
            watts,
            energy_wh: joules / 3600.0,
            charge_ah: Some(coulombs / 3600.0),
            temperature_c: Some(temperature),
            ..Sample::default()
        }
    }
}

fn read_u16<B: RegisterAccess>(bus: &mut B, address: u8) -> Result<u16, MeterError> {
    let mut buffer = [0u8; 2];
    bus.read_register(address, &mut buffer)?;
    Ok(u16::from_be_bytes(buffer))
}

/// Whether ADC_CONFIG's MODE field (bits 15–12) is a shutdown mode, 0h or 8h (Table 7-6).
pub fn is_shutdown(adc_config: u16) -> bool {
    (adc_config >> 12) & 0x7 == 0
}

impl<B: RegisterAccess + Send> Meter for Ina22x<B> {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// Reads DIAG_ALRT first (which clears the latched CNVRF), the configuration registers,
    /// then the results. `at` is unused: the chip accumulates energy itself.
    fn read(&mut self, _at: Duration) -> Result<Sample, MeterError> {
        let diag = self.read(reg::DIAG_ALRT)? as u16;
        let registers = self.read_registers()?;
        let raw = self.read_raw()?;
        let mut sample = self.convert(&raw);
        let adc_config = registers["adc_config"] as u16;
        sample.state = if is_shutdown(adc_config) {
            PowerState::Shutdown
        } else if diag & DIAG_CNVRF == 0 {
            self.missed_conversions += 1;
            if self.missed_conversions >= STALLED_AFTER_MISSES {
                PowerState::Stalled
            } else {
                PowerState::Converting
            }
        } else {
            self.missed_conversions = 0;
            PowerState::Converting
        };
        if diag & (DIAG_ENERGYOF | DIAG_CHARGEOF) != 0 {
            log::warn!("{}: the chip's energy or charge accumulator overflowed", self.info.uri);
        }
        sample.registers = registers;
        sample.counters = self.counters;
        Ok(sample)
    }

    fn registers(&mut self) -> Result<Registers, MeterError> {
        self.read_registers()
    }

    /// Identity, the configuration read back, the registers this driver never writes still at
    /// their reset values (Tables 7-8, 7-17 … 7-20), the trim memory checksum, and the
    /// measurements within the chip's ranges. Non-destructive: a reset (RST) would also clear
    /// the energy accumulator the health checks watch.
    fn self_test(&mut self) -> Result<Vec<SelfCheck>, MeterError> {
        let check = |name: &str, pass: bool, detail: String| SelfCheck { name: name.into(), pass, detail };
        let mut checks = Vec::new();
        let manufacturer = self.read(reg::MANUFACTURER_ID)?;
        checks.push(check(
            "manufacturer_id",
            manufacturer == u64::from(MANUFACTURER_TI),
            format!("{manufacturer:#06x}, expected {MANUFACTURER_TI:#06x} (\"TI\")"),
        ));
        let device_id = self.read(reg::DEVICE_ID)?;
        checks.push(check(
            "device_id",
            device_id >> 4 == u64::from(self.chip.die_id()),
            format!("{device_id:#06x}, expected DIEID {:#05x} ({})", self.chip.die_id(), self.chip.name()),
        ));
        let written = self.written;
        for (name, address, expected) in [
            ("config_readback", reg::CONFIG, written.config),
            ("adc_config_readback", reg::ADC_CONFIG, written.adc_config),
            ("shunt_cal_readback", reg::SHUNT_CAL, written.shunt_cal),
        ] {
            let found = self.read(address)?;
            checks.push(check(
                name,
                found == u64::from(expected),
                format!("{found:#06x}, wrote {expected:#06x}"),
            ));
        }
        let mut defaults_detail = Vec::new();
        let mut defaults_pass = true;
        for (name, address, default) in [
            ("SHUNT_TEMPCO", reg::SHUNT_TEMPCO, 0x0000u64),
            ("SOVL", reg::SOVL, 0x7FFF),
            ("SUVL", reg::SUVL, 0x8000),
            ("BOVL", reg::BOVL, 0x7FFF),
            ("BUVL", reg::BUVL, 0x0000),
        ] {
            let found = self.read(address)?;
            defaults_pass &= found == default;
            defaults_detail.push(format!("{name} {found:#06x} (reset {default:#06x})"));
        }
        checks.push(check("reset_defaults", defaults_pass, defaults_detail.join(", ")));
        let diag = self.read(reg::DIAG_ALRT)?;
        checks.push(check(
            "memory_checksum",
            diag & u64::from(DIAG_MEMSTAT) != 0,
            format!("DIAG_ALRT {diag:#06x}: MEMSTAT {}", diag & 1),
        ));
        let raw = self.read_raw()?;
        let sample = self.convert(&raw);
        let temperature = sample.temperature_c.unwrap_or_default();
        checks.push(check(
            "ranges",
            (0.0..=VBUS_MAX_VOLTS).contains(&sample.volts)
                && sample.amps.abs() <= self.calibration.max_amps
                && (-40.0..=125.0).contains(&temperature),
            format!(
                "{:.3} V (0…{VBUS_MAX_VOLTS} V), {:.3} A (±{} A), {temperature:.1} °C (−40…125 °C)",
                sample.volts, sample.amps, self.calibration.max_amps
            ),
        ));
        Ok(checks)
    }
}

/// The parameters an `ina228:`/`ina229:` URI may carry.
const INA228_PARAMS: &[&str] = &["addr", "shunt_ohms", "max_amps", "adcrange"];
const INA229_PARAMS: &[&str] = &["shunt_ohms", "max_amps", "adcrange"];

/// Reads the calibration from a URI's `shunt_ohms` (required), `max_amps` (default: the
/// current at the shunt range's full scale) and `adcrange` (default 0).
pub fn calibration_from_uri(uri: &DeviceUri) -> Result<Calibration, MeterError> {
    let bad = |reason: String| MeterError::BadUri { uri: uri.to_string(), reason };
    let shunt_ohms = uri
        .param::<f64>("shunt_ohms")?
        .ok_or_else(|| bad("shunt_ohms is required (the shunt resistance in ohms, e.g. 0.015)".into()))?;
    let low_range = match uri.params.get("adcrange").map(String::as_str) {
        None | Some("0") => false,
        Some("1") => true,
        Some(other) => {
            return Err(bad(format!("parameter adcrange={other}: expected 0 (±163.84 mV) or 1 (±40.96 mV)")));
        }
    };
    // Without max_amps, the current at the shunt range's full scale (then SHUNT_CAL = 4096).
    let max_amps = match uri.param::<f64>("max_amps")? {
        Some(amps) => amps,
        None if shunt_ohms > 0.0 => VSHUNT_FULL_SCALE[usize::from(low_range)] / shunt_ohms,
        None => shunt_ohms,
    };
    Calibration::new(shunt_ohms, max_amps, low_range).map_err(bad)
}

/// The I2C address from `addr` (default 0x40); the address pins select 0x40…0x4F (Table 7-2).
pub fn address_from_uri(uri: &DeviceUri) -> Result<u8, MeterError> {
    let address = uri.param_u16("addr")?.unwrap_or(0x40);
    if !(0x40..=0x4F).contains(&address) {
        return Err(MeterError::BadUri {
            uri: uri.to_string(),
            reason: format!("addr={address:#04x}: an INA228 answers at 0x40…0x4F"),
        });
    }
    Ok(address as u8)
}

/// Opens the INA228 or INA229 `uri` names (Linux only).
pub fn open(uri: &DeviceUri) -> Result<Box<dyn Meter>, MeterError> {
    match uri.scheme.as_str() {
        "ina228" => uri.check_params(INA228_PARAMS)?,
        _ => uri.check_params(INA229_PARAMS)?,
    }
    let calibration = calibration_from_uri(uri)?;
    linux::open(uri, calibration)
}

#[cfg(target_os = "linux")]
mod linux {
    use linux_embedded_hal::spidev::{SpiModeFlags, SpidevOptions};
    use linux_embedded_hal::{I2cdev, SpidevDevice};

    use super::*;

    /// INA229 SPI settings: mode 1 (CPOL = 0, CPHA = 1), 8-bit words; 1 MHz is well under
    /// the chip's 10 MHz limit (SLYS023A §6.6).
    const SPI_HZ: u32 = 1_000_000;

    pub(super) fn open(uri: &DeviceUri, calibration: Calibration) -> Result<Box<dyn Meter>, MeterError> {
        let path = uri.path.as_str();
        if uri.scheme == "ina228" {
            let address = address_from_uri(uri)?;
            let i2c = I2cdev::new(path).map_err(|e| MeterError::from_open(path, e.into()))?;
            Ok(Box::new(Ina228::new(i2c, address, calibration, uri.as_str())?))
        } else {
            let mut spi = SpidevDevice::open(path).map_err(|e| {
                let inner = e.inner();
                MeterError::from_open(path, std::io::Error::new(inner.kind(), inner.to_string()))
            })?;
            let options = SpidevOptions::new()
                .bits_per_word(8)
                .max_speed_hz(SPI_HZ)
                .mode(SpiModeFlags::SPI_MODE_1)
                .build();
            spi.0.configure(&options).map_err(|e| MeterError::Io { path: path.to_owned(), source: e })?;
            Ok(Box::new(Ina229::new(spi, calibration, uri.as_str())?))
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod linux {
    use super::*;

    pub(super) fn open(uri: &DeviceUri, _calibration: Calibration) -> Result<Box<dyn Meter>, MeterError> {
        Err(MeterError::Unsupported { driver: uri.scheme.clone(), what: "I2C/SPI outside Linux".into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_datasheet_example_calibration() {
        // §8.2.2: 10 A maximum, 16.2 mΩ shunt → CURRENT_LSB 19.073486 µA, SHUNT_CAL 4050.
        let calibration = Calibration::new(0.0162, 10.0, false).unwrap();
        assert!((calibration.current_lsb() - 19.073486e-6).abs() < 1e-12);
        assert_eq!(calibration.shunt_cal(), 4050);
        assert_eq!(Calibration::new(0.0162 / 4.0, 10.0, true).unwrap().shunt_cal(), 4050);
    }

    #[test]
    fn calibrations_that_do_not_fit_are_refused() {
        assert!(Calibration::new(0.1, 10.0, false).unwrap_err().contains("exceeds the ±163.84 mV"));
        assert!(Calibration::new(0.015, 10.0, true).unwrap_err().contains("±40.96 mV"));
        assert!(Calibration::new(0.0, 10.0, false).unwrap_err().contains("shunt_ohms"));
        assert!(Calibration::new(0.015, -1.0, false).unwrap_err().contains("max_amps"));
        assert!(Calibration::new(1e-7, 1.0, false).unwrap_err().contains("SHUNT_CAL would be"));
    }

    #[test]
    fn register_widths_follow_the_map() {
        assert_eq!(reg::width(reg::CONFIG), Some(2));
        assert_eq!(reg::width(reg::VBUS), Some(3));
        assert_eq!(reg::width(reg::ENERGY), Some(5));
        assert_eq!(reg::width(reg::CHARGE), Some(5));
        assert_eq!(reg::width(reg::DEVICE_ID), Some(2));
        assert_eq!(reg::width(0x20), None);
    }

    #[test]
    fn sign_extension_and_spi_commands() {
        assert_eq!(sign_extend(0xFFFFF, 20), -1);
        assert_eq!(sign_extend(0x7FFFF, 20), 0x7FFFF);
        assert_eq!(sign_extend(0xFF_FFFF_FFFF, 40), -1);
        assert_eq!(
            SpiRegisters::<embedded_hal_mock::eh1::spi::Mock<u8>>::command(reg::MANUFACTURER_ID, true),
            0xF9
        );
        assert_eq!(
            SpiRegisters::<embedded_hal_mock::eh1::spi::Mock<u8>>::command(reg::SHUNT_CAL, false),
            0x08
        );
    }

    #[test]
    fn shutdown_modes_are_0h_and_8h() {
        assert!(is_shutdown(0x0B68) && is_shutdown(0x8B68));
        assert!(!is_shutdown(ADC_CONFIG_DEFAULT) && !is_shutdown(0xBB68) && !is_shutdown(0x1000));
    }
}
