//! A register-level model of the INA228/INA229, so the real driver can run without the chip:
//! the simulator's `mode=ina228` and the driver's tests talk to it through embedded-hal's
//! [`I2c`] (INA228) and [`SpiDevice`] (INA229) exactly as they would to the hardware.
//!
//! What it models, from the data sheet (SLYS021A; see the parent module):
//! - the register map with each register's width, MSB first, and the reset values;
//! - I2C: a write sets the register pointer (and with two more bytes, writes the register);
//!   a read returns the pointed register's bytes. SPI: the command byte (address in bits 7–2,
//!   bit 0 = read) then data in the same frame; a write frame shifts the old value out;
//! - CONFIG.RST (all registers to their reset values) and CONFIG.RSTACC (ENERGY and CHARGE to
//!   zero), both self-clearing in the model;
//! - ADC_CONFIG.MODE: continuous modes (9h–Fh) convert whenever time advances, triggered modes
//!   (1h–7h) once per ADC_CONFIG write, shutdown (0h, 8h) never, so results hold their last
//!   values and the accumulators stop;
//! - the calculation engine: CURRENT = VSHUNT × 4096 / SHUNT_CAL (what the §8.1.2 equations
//!   imply for either ADCRANGE), POWER = |CURRENT| × VBUS / 16384, ENERGY += POWER × t / 16,
//!   CHARGE += CURRENT × t, with ENERGYOF/CHARGEOF on overflow;
//! - DIAG_ALRT: CNVRF set by each conversion and cleared when DIAG_ALRT is read (the ALATCH
//!   behaviour, which the driver selects), MEMSTAT always 1.
//!
//! Time is virtual: [`Ina22xModel::advance`] moves the chip's clock, converting the analog
//! inputs set with [`Ina22xModel::set_inputs`].

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use embedded_hal::i2c::{self, I2c, NoAcknowledgeSource};
use embedded_hal::spi::{self, SpiDevice};

use super::{
    ADC_CONFIG_DEFAULT, CONFIG_ADCRANGE, CONFIG_RST, CONFIG_RSTACC, Chip, DIAG_CHARGEOF, DIAG_CNVRF,
    DIAG_ENERGYOF, DIAG_MEMSTAT, DIETEMP_LSB_C, MANUFACTURER_TI, SHUNT_CAL_DEFAULT, SHUNT_CAL_MAX,
    VBUS_LSB_VOLTS, VSHUNT_LSB_VOLTS, reg,
};

/// DIAG_ALRT bit 9: MATHOF, a result did not fit its register (Table 7-16).
const DIAG_MATHOF: u16 = 1 << 9;
/// The writable DIAG_ALRT bits: ALATCH, CNVR, SLOWALERT, APOL (Table 7-16).
const DIAG_WRITABLE: u16 = 0xF000;
/// The largest and smallest 20-bit two's complement values.
const MAX_20: i64 = (1 << 19) - 1;
const MIN_20: i64 = -(1 << 19);
/// 40-bit accumulator range.
const SPAN_40: f64 = (1u64 << 40) as f64;

/// The analog world at the chip's pins.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ModelInputs {
    /// Bus voltage at VBUS, V.
    pub bus_volts: f64,
    /// Differential voltage across the shunt (IN+ − IN−), V.
    pub shunt_volts: f64,
    /// Die temperature, °C.
    pub die_celsius: f64,
}

/// The chip's registers and conversion engine.
#[derive(Debug, Clone)]
pub struct Ina22xModel {
    chip: Chip,
    address: u8,
    present: bool,
    stalled: bool,
    config: u16,
    adc_config: u16,
    shunt_cal: u16,
    shunt_tempco: u16,
    diag_config: u16,
    flags: u16,
    limits: [u16; 6],
    vshunt: i64,
    vbus: i64,
    dietemp: i64,
    current: i64,
    power: u64,
    /// ENERGY and CHARGE with their fractions, in register LSBs.
    energy: f64,
    charge: f64,
    pointer: u8,
    inputs: ModelInputs,
    clock: Duration,
    /// A conversion is due now: after reset and after ADC_CONFIG is written.
    conversion_due: bool,
}

impl Ina22xModel {
    /// A chip just powered on; `address` is its I2C address (ignored over SPI).
    pub fn new(chip: Chip, address: u8) -> Self {
        let mut model = Ina22xModel {
            chip,
            address,
            present: true,
            stalled: false,
            config: 0,
            adc_config: 0,
            shunt_cal: 0,
            shunt_tempco: 0,
            diag_config: 0,
            flags: 0,
            limits: [0; 6],
            vshunt: 0,
            vbus: 0,
            dietemp: 0,
            current: 0,
            power: 0,
            energy: 0.0,
            charge: 0.0,
            pointer: 0,
            inputs: ModelInputs::default(),
            clock: Duration::ZERO,
            conversion_due: true,
        };
        model.power_on_reset();
        model
    }

    /// Every register to its reset value (Tables 7-5 … 7-24).
    fn power_on_reset(&mut self) {
        self.config = 0x0000;
        self.adc_config = ADC_CONFIG_DEFAULT;
        self.shunt_cal = SHUNT_CAL_DEFAULT;
        self.shunt_tempco = 0x0000;
        self.diag_config = 0x0000;
        self.flags = 0;
        // SOVL, SUVL, BOVL, BUVL, TEMP_LIMIT, PWR_LIMIT (Tables 7-17 … 7-22).
        self.limits = [0x7FFF, 0x8000, 0x7FFF, 0x0000, 0x7FFF, 0xFFFF];
        self.vshunt = 0;
        self.vbus = 0;
        self.dietemp = 0;
        self.current = 0;
        self.power = 0;
        self.energy = 0.0;
        self.charge = 0.0;
        self.conversion_due = true;
    }

    /// Sets the analog inputs the next conversion measures.
    pub fn set_inputs(&mut self, inputs: ModelInputs) {
        self.inputs = inputs;
    }

    /// Whether the chip answers on the bus (false: unplugged, no I2C acknowledge).
    pub fn set_present(&mut self, present: bool) {
        self.present = present;
    }

    /// Stops (or restarts) the conversion engine whatever MODE says: a hung ADC.
    pub fn set_stalled(&mut self, stalled: bool) {
        self.stalled = stalled;
    }

    /// The chip's clock.
    pub fn clock(&self) -> Duration {
        self.clock
    }

    /// Moves the chip's clock to `to`; in a continuous mode the chip converts, accumulating
    /// energy and charge over the time since the previous conversion.
    pub fn advance(&mut self, to: Duration) {
        let elapsed = to.saturating_sub(self.clock);
        self.clock = self.clock.max(to);
        if self.continuous() && !self.stalled && (elapsed > Duration::ZERO || self.conversion_due) {
            self.convert(elapsed.as_secs_f64());
        }
    }

    fn mode(&self) -> u16 {
        self.adc_config >> 12
    }

    fn continuous(&self) -> bool {
        self.mode() >= 0x9
    }

    /// One conversion of the inputs; `seconds` since the previous one feed the accumulators.
    fn convert(&mut self, seconds: f64) {
        self.conversion_due = false;
        let range = usize::from(self.config & CONFIG_ADCRANGE != 0);
        let mut overflow = false;
        let mut clamp20 = |value: f64| {
            let rounded = value.round();
            if rounded > MAX_20 as f64 || rounded < MIN_20 as f64 {
                overflow = true;
            }
            (rounded.clamp(MIN_20 as f64, MAX_20 as f64)) as i64
        };
        self.vshunt = clamp20(self.inputs.shunt_volts / VSHUNT_LSB_VOLTS[range]);
        self.vbus = clamp20(self.inputs.bus_volts.max(0.0) / VBUS_LSB_VOLTS);
        self.current = if self.shunt_cal == 0 {
            0
        } else {
            clamp20(self.vshunt as f64 * 4096.0 / f64::from(self.shunt_cal))
        };
        self.dietemp = (self.inputs.die_celsius / DIETEMP_LSB_C).round().clamp(-32768.0, 32767.0) as i64;
        let power = self.current.unsigned_abs() * self.vbus.unsigned_abs() / 16384;
        self.power = power.min(0xFF_FFFF);
        if overflow || power > 0xFF_FFFF {
            self.flags |= DIAG_MATHOF;
        }
        self.energy += self.power as f64 * seconds / 16.0;
        if self.energy >= SPAN_40 {
            self.energy -= SPAN_40;
            self.flags |= DIAG_ENERGYOF;
        }
        self.charge += self.current as f64 * seconds;
        if self.charge.abs() >= SPAN_40 / 2.0 {
            self.charge -= SPAN_40 * self.charge.signum();
            self.flags |= DIAG_CHARGEOF;
        }
        self.flags |= DIAG_CNVRF;
    }

    /// A register's value as the bus sees it (VSHUNT, VBUS and CURRENT shifted into bits 23–4),
    /// with a read's side effects (reading DIAG_ALRT clears CNVRF).
    fn read_value(&mut self, address: u8) -> u64 {
        let mask20 = |v: i64| ((v as u64) & 0xF_FFFF) << 4;
        match address {
            reg::CONFIG => u64::from(self.config),
            reg::ADC_CONFIG => u64::from(self.adc_config),
            reg::SHUNT_CAL => u64::from(self.shunt_cal),
            reg::SHUNT_TEMPCO => u64::from(self.shunt_tempco),
            reg::VSHUNT => mask20(self.vshunt),
            reg::VBUS => mask20(self.vbus),
            reg::DIETEMP => (self.dietemp as u64) & 0xFFFF,
            reg::CURRENT => mask20(self.current),
            reg::POWER => self.power,
            reg::ENERGY => self.energy.floor() as u64 & 0xFF_FFFF_FFFF,
            reg::CHARGE => (self.charge.trunc() as i64 as u64) & 0xFF_FFFF_FFFF,
            reg::DIAG_ALRT => {
                let value = self.diag_config | self.flags | DIAG_MEMSTAT;
                self.flags &= !DIAG_CNVRF;
                u64::from(value)
            }
            reg::SOVL..=reg::PWR_LIMIT => u64::from(self.limits[usize::from(address - reg::SOVL)]),
            reg::MANUFACTURER_ID => u64::from(MANUFACTURER_TI),
            // DIEID in bits 15–4, REV_ID 1 in bits 3–0 (Table 7-24).
            reg::DEVICE_ID => u64::from(self.chip.die_id() << 4 | 0x1),
            _ => 0,
        }
    }

    /// The bytes a read of `address` shifts out, MSB first, at the register's width.
    fn read_bytes(&mut self, address: u8) -> Vec<u8> {
        let width = reg::width(address).unwrap_or(2);
        let value = self.read_value(address);
        (0..width).rev().map(|i| (value >> (8 * i)) as u8).collect()
    }

    /// A register write; read-only and reserved addresses ignore it, as the chip does.
    fn write(&mut self, address: u8, value: u16) {
        match address {
            reg::CONFIG => {
                if value & CONFIG_RST != 0 {
                    self.power_on_reset();
                    return;
                }
                if value & CONFIG_RSTACC != 0 {
                    self.energy = 0.0;
                    self.charge = 0.0;
                    self.flags &= !(DIAG_ENERGYOF | DIAG_CHARGEOF);
                }
                self.config = value & !(CONFIG_RST | CONFIG_RSTACC);
            }
            reg::ADC_CONFIG => {
                self.adc_config = value;
                self.conversion_due = true;
                // A triggered mode converts once, now (Table 7-6).
                if (0x1..=0x7).contains(&self.mode()) && !self.stalled {
                    self.convert(0.0);
                }
            }
            reg::SHUNT_CAL => self.shunt_cal = value & SHUNT_CAL_MAX,
            reg::SHUNT_TEMPCO => self.shunt_tempco = value & 0x3FFF,
            reg::DIAG_ALRT => self.diag_config = value & DIAG_WRITABLE,
            reg::SOVL..=reg::PWR_LIMIT => self.limits[usize::from(address - reg::SOVL)] = value,
            _ => {}
        }
    }

    /// A register's current value, without side effects (for tests and the simulator).
    pub fn peek(&self, address: u8) -> u64 {
        self.clone().read_value(address)
    }

    /// Writes a register as a bus master would (the simulator's attacks use this).
    pub fn poke(&mut self, address: u8, value: u16) {
        self.write(address, value);
    }
}

/// A shared handle on a model: the driver owns one as its bus, the simulator or a test keeps
/// another to set inputs, move time and tamper with registers.
#[derive(Debug, Clone)]
pub struct ModelHandle(Arc<Mutex<Ina22xModel>>);

impl ModelHandle {
    /// Wraps a model.
    pub fn new(model: Ina22xModel) -> Self {
        ModelHandle(Arc::new(Mutex::new(model)))
    }

    /// Locks the model.
    pub fn lock(&self) -> MutexGuard<'_, Ina22xModel> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl i2c::ErrorType for ModelHandle {
    type Error = i2c::ErrorKind;
}

impl I2c for ModelHandle {
    fn transaction(&mut self, address: u8, operations: &mut [i2c::Operation<'_>]) -> Result<(), Self::Error> {
        let mut model = self.lock();
        if !model.present || address != model.address {
            return Err(i2c::ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address));
        }
        for operation in operations {
            match operation {
                i2c::Operation::Write(bytes) => {
                    if let Some((&pointer, data)) = bytes.split_first() {
                        model.pointer = pointer;
                        if let [high, low, ..] = data {
                            model.write(pointer, u16::from_be_bytes([*high, *low]));
                        }
                    }
                }
                i2c::Operation::Read(buffer) => {
                    let pointer = model.pointer;
                    let bytes = model.read_bytes(pointer);
                    for (slot, byte) in buffer.iter_mut().zip(bytes.iter().chain(std::iter::repeat(&0))) {
                        *slot = *byte;
                    }
                }
            }
        }
        Ok(())
    }
}

/// One SPI frame in progress: the command byte, then data in both directions.
struct Frame {
    command: Option<u8>,
    shifted_out: Vec<u8>,
    shifted_in: Vec<u8>,
}

impl Frame {
    fn exchange(&mut self, model: &mut Ina22xModel, mosi: u8) -> u8 {
        match self.command {
            None => {
                self.command = Some(mosi);
                // Reads return the register; writes shift the old value out (SLYS023A §7.5.1.1).
                self.shifted_out = model.read_bytes(mosi >> 2);
                0
            }
            Some(_) => {
                let miso = self.shifted_out.get(self.shifted_in.len()).copied().unwrap_or(0);
                self.shifted_in.push(mosi);
                miso
            }
        }
    }

    fn finish(self, model: &mut Ina22xModel) {
        if let (Some(command), [high, low, ..]) = (self.command, self.shifted_in.as_slice())
            && command & 0b11 == 0
        {
            model.write(command >> 2, u16::from_be_bytes([*high, *low]));
        }
    }
}

impl spi::ErrorType for ModelHandle {
    type Error = spi::ErrorKind;
}

impl SpiDevice for ModelHandle {
    fn transaction(&mut self, operations: &mut [spi::Operation<'_, u8>]) -> Result<(), Self::Error> {
        let mut model = self.lock();
        if !model.present {
            // Nothing drives MISO: the master reads the pull-up.
            for operation in operations {
                match operation {
                    spi::Operation::Read(buffer) | spi::Operation::TransferInPlace(buffer) => {
                        buffer.fill(0xFF)
                    }
                    spi::Operation::Transfer(read, _) => read.fill(0xFF),
                    _ => {}
                }
            }
            return Ok(());
        }
        let mut frame = Frame { command: None, shifted_out: Vec::new(), shifted_in: Vec::new() };
        for operation in operations {
            match operation {
                spi::Operation::Read(buffer) => {
                    for slot in buffer.iter_mut() {
                        *slot = frame.exchange(&mut model, 0);
                    }
                }
                spi::Operation::Write(bytes) => {
                    for byte in bytes.iter() {
                        frame.exchange(&mut model, *byte);
                    }
                }
                spi::Operation::Transfer(read, write) => {
                    for i in 0..read.len().max(write.len()) {
                        let miso = frame.exchange(&mut model, write.get(i).copied().unwrap_or(0));
                        if let Some(slot) = read.get_mut(i) {
                            *slot = miso;
                        }
                    }
                }
                spi::Operation::TransferInPlace(buffer) => {
                    for slot in buffer.iter_mut() {
                        *slot = frame.exchange(&mut model, *slot);
                    }
                }
                spi::Operation::DelayNs(_) => {}
            }
        }
        frame.finish(&mut model);
        Ok(())
    }
}
