//! The INA228/INA229 drivers: (a) against embedded-hal-mock transaction scripts written from
//! the data sheet's register encodings (SLYS021A/SLYS023A Table 8-4's worked example), and
//! (b) against the register-level chip model, over I2C and SPI.

use std::time::Duration;

use embedded_hal::i2c::{I2c, NoAcknowledgeSource};
use embedded_hal_mock::eh1::i2c::{Mock as I2cMock, Transaction as I2cTransaction};
use embedded_hal_mock::eh1::spi::{Mock as SpiMock, Transaction as SpiTransaction};
use evlock::exit::{ErrorClass, ExitCode};
use evlock::meter::ina22x::model::{Ina22xModel, ModelHandle, ModelInputs};
use evlock::meter::ina22x::{Calibration, Chip, Ina228, Ina229, reg};
use evlock::meter::{self, DeviceUri, Meter, MeterError, PowerState};

const ADDR: u8 = 0x40;

/// The data sheet's example (§8.2, Table 8-3): 10 A maximum on a 16.2 mΩ shunt.
fn example_calibration() -> Calibration {
    Calibration::new(0.0162, 10.0, false).unwrap()
}

fn read16(address: u8, value: u16) -> I2cTransaction {
    I2cTransaction::write_read(ADDR, vec![address], value.to_be_bytes().to_vec())
}

fn read_bytes(address: u8, bytes: &[u8]) -> I2cTransaction {
    I2cTransaction::write_read(ADDR, vec![address], bytes.to_vec())
}

/// What `Ina228::new` does: check the ids, then write CONFIG, ADC_CONFIG, SHUNT_CAL and
/// DIAG_ALRT, in that order and with these exact bytes.
fn open_script() -> Vec<I2cTransaction> {
    vec![
        read16(reg::MANUFACTURER_ID, 0x5449),
        read16(reg::DEVICE_ID, 0x2281),
        I2cTransaction::write(ADDR, vec![0x00, 0x00, 0x00]),
        I2cTransaction::write(ADDR, vec![0x01, 0xFB, 0x68]),
        // SHUNT_CAL = 13107.2e6 × (10 A / 2^19) × 0.0162 Ω = 4050 = 0x0FD2.
        I2cTransaction::write(ADDR, vec![0x02, 0x0F, 0xD2]),
        I2cTransaction::write(ADDR, vec![0x0B, 0x80, 0x00]),
    ]
}

/// The raw results of one read.
struct Results {
    diag: u16,
    adc_config: u16,
    current: [u8; 3],
    charge: [u8; 5],
}

/// Table 8-4's returned values: VBUS 245760 (48 V), CURRENT 314572 (6 A), POWER 4718604
/// (288 W), ENERGY 1061683200 (1036800 J), CHARGE 1132462080 (21600 C), DIETEMP 3200 (25 °C).
/// VBUS and CURRENT sit in bits 23–4 of their registers.
const EXAMPLE: Results = Results {
    diag: 0x8003,
    adc_config: 0xFB68,
    current: [0x4C, 0xCC, 0xC0],
    charge: [0x00, 0x43, 0x80, 0x00, 0x00],
};

fn read_script(results: &Results) -> Vec<I2cTransaction> {
    vec![
        read16(reg::DIAG_ALRT, results.diag),
        read16(reg::CONFIG, 0x0000),
        read16(reg::ADC_CONFIG, results.adc_config),
        read16(reg::SHUNT_CAL, 0x0FD2),
        read16(reg::SHUNT_TEMPCO, 0x0000),
        read16(reg::MANUFACTURER_ID, 0x5449),
        read16(reg::DEVICE_ID, 0x2281),
        read_bytes(reg::VBUS, &[0x3C, 0x00, 0x00]),
        read_bytes(reg::CURRENT, &results.current),
        read_bytes(reg::POWER, &[0x48, 0x00, 0x0C]),
        read_bytes(reg::ENERGY, &[0x00, 0x3F, 0x48, 0x00, 0x00]),
        read_bytes(reg::CHARGE, &results.charge),
        read_bytes(reg::DIETEMP, &[0x0C, 0x80]),
    ]
}

fn close(found: f64, expected: f64, tolerance: f64) -> bool {
    (found - expected).abs() <= tolerance
}

#[test]
fn open_checks_the_ids_and_writes_the_calibration_bytes() {
    let mut i2c = I2cMock::new(&open_script());
    let driver = Ina228::new(i2c.clone(), ADDR, example_calibration(), "ina228:/dev/i2c-1").unwrap();
    assert_eq!(driver.info().model, "INA228");
    i2c.done();
}

#[test]
fn a_read_converts_the_datasheet_example() {
    let mut script = open_script();
    script.extend(read_script(&EXAMPLE));
    let mut i2c = I2cMock::new(&script);
    let mut driver = Ina228::new(i2c.clone(), ADDR, example_calibration(), "ina228:/dev/i2c-1").unwrap();
    let s = driver.read(Duration::ZERO).unwrap();
    assert_eq!(s.volts, 48.0);
    assert!(close(s.amps, 6.0, 2e-5), "{}", s.amps);
    assert!(close(s.watts, 288.0, 0.01), "{}", s.watts);
    assert!(close(s.energy_wh, 288.0, 1e-9), "{}", s.energy_wh); // 1036800 J
    assert!(close(s.charge_ah.unwrap(), 6.0, 1e-9)); // 21600 C
    assert_eq!(s.temperature_c, Some(25.0));
    assert_eq!(s.state, PowerState::Converting);
    assert_eq!(s.registers["shunt_cal"], 4050);
    assert_eq!(s.registers["adc_config"], 0xFB68);
    assert_eq!(s.registers["device_id"], 0x2281);
    assert_eq!(s.counters.requests, 6 + 13);
    i2c.done();
}

#[test]
fn negative_current_and_charge_are_twos_complement() {
    let mut script = open_script();
    // −314572 in 20 bits is 0xB3334, in bits 23–4: 0xB33340; −1132462080 in 40 bits.
    script.extend(read_script(&Results {
        current: [0xB3, 0x33, 0x40],
        charge: [0xFF, 0xBC, 0x80, 0x00, 0x00],
        ..EXAMPLE
    }));
    let mut i2c = I2cMock::new(&script);
    let mut driver = Ina228::new(i2c.clone(), ADDR, example_calibration(), "ina228:/dev/i2c-1").unwrap();
    let s = driver.read(Duration::ZERO).unwrap();
    assert!(close(s.amps, -6.0, 2e-5), "{}", s.amps);
    assert!(close(s.watts, -288.0, 0.01), "POWER is a magnitude; the sign follows CURRENT: {}", s.watts);
    assert!(close(s.charge_ah.unwrap(), -6.0, 1e-9));
    i2c.done();
}

#[test]
fn shutdown_mode_and_missing_conversions_set_the_state() {
    let mut script = open_script();
    script.extend(read_script(&Results { adc_config: 0x0B68, ..EXAMPLE }));
    script.extend(read_script(&Results { adc_config: 0x8B68, ..EXAMPLE }));
    script.extend(read_script(&Results { diag: 0x8001, ..EXAMPLE }));
    script.extend(read_script(&Results { diag: 0x8001, ..EXAMPLE }));
    script.extend(read_script(&EXAMPLE));
    let mut i2c = I2cMock::new(&script);
    let mut driver = Ina228::new(i2c.clone(), ADDR, example_calibration(), "ina228:/dev/i2c-1").unwrap();
    let states: Vec<_> = (0..5).map(|_| driver.read(Duration::ZERO).unwrap().state).collect();
    assert_eq!(
        states,
        [
            PowerState::Shutdown,
            PowerState::Shutdown,
            PowerState::Converting, // one miss may be the first conversion still running
            PowerState::Stalled,
            PowerState::Converting,
        ]
    );
    i2c.done();
}

#[test]
fn a_wrong_chip_is_refused() {
    let script = [read16(reg::MANUFACTURER_ID, 0x5449), read16(reg::DEVICE_ID, 0x2260)];
    let mut i2c = I2cMock::new(&script);
    let err = Ina228::new(i2c.clone(), ADDR, example_calibration(), "ina228:/dev/i2c-1").err().unwrap();
    assert!(matches!(err, MeterError::Garbage { .. }), "{err}");
    assert!(err.to_string().contains("not an INA228") && err.to_string().contains("0x2260"), "{err}");
    i2c.done();
}

#[test]
fn a_bus_error_is_a_device_error() {
    let script = [I2cTransaction::write_read(ADDR, vec![reg::MANUFACTURER_ID], vec![0, 0])
        .with_error(embedded_hal::i2c::ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address))];
    let mut i2c = I2cMock::new(&script);
    let err = Ina228::new(i2c.clone(), ADDR, example_calibration(), "ina228:/dev/i2c-1").err().unwrap();
    assert!(matches!(err, MeterError::Bus { .. }), "{err}");
    assert!(err.to_string().contains("no acknowledge from address 0x40"), "{err}");
    assert_eq!(err.exit_code(), ExitCode::Device);
    i2c.done();
}

fn spi_read(command: u8, response: &[u8]) -> Vec<SpiTransaction<u8>> {
    vec![
        SpiTransaction::transaction_start(),
        SpiTransaction::write_vec(vec![command]),
        SpiTransaction::read_vec(response.to_vec()),
        SpiTransaction::transaction_end(),
    ]
}

fn spi_write(bytes: &[u8]) -> Vec<SpiTransaction<u8>> {
    vec![
        SpiTransaction::transaction_start(),
        SpiTransaction::write_vec(bytes.to_vec()),
        SpiTransaction::transaction_end(),
    ]
}

#[test]
fn the_ina229_frames_put_the_address_in_bits_7_to_2() {
    let mut script = Vec::new();
    // Reads: (address << 2) | 1. MANUFACTURER_ID 0x3E → 0xF9, DEVICE_ID 0x3F → 0xFD.
    script.extend(spi_read(0xF9, &[0x54, 0x49]));
    script.extend(spi_read(0xFD, &[0x22, 0x91]));
    // Writes: address << 2, then 16 bits.
    script.extend(spi_write(&[0x00, 0x00, 0x00]));
    script.extend(spi_write(&[0x04, 0xFB, 0x68]));
    script.extend(spi_write(&[0x08, 0x0F, 0xD2]));
    script.extend(spi_write(&[0x2C, 0x80, 0x00]));
    // One read: DIAG_ALRT 0x0B → 0x2D … VBUS 0x05 → 0x15 … DIETEMP 0x06 → 0x19.
    for (command, bytes) in [
        (0x2D, &[0x80, 0x03][..]),
        (0x01, &[0x00, 0x00]),
        (0x05, &[0xFB, 0x68]),
        (0x09, &[0x0F, 0xD2]),
        (0x0D, &[0x00, 0x00]),
        (0xF9, &[0x54, 0x49]),
        (0xFD, &[0x22, 0x91]),
        (0x15, &[0x3C, 0x00, 0x00]),
        (0x1D, &[0x4C, 0xCC, 0xC0]),
        (0x21, &[0x48, 0x00, 0x0C]),
        (0x25, &[0x00, 0x3F, 0x48, 0x00, 0x00]),
        (0x29, &[0x00, 0x43, 0x80, 0x00, 0x00]),
        (0x19, &[0x0C, 0x80]),
    ] {
        script.extend(spi_read(command, bytes));
    }
    let mut spi = SpiMock::new(&script);
    let mut driver = Ina229::new(spi.clone(), example_calibration(), "ina229:/dev/spidev0.0").unwrap();
    let s = driver.read(Duration::ZERO).unwrap();
    assert_eq!(driver.info().model, "INA229");
    assert_eq!(s.volts, 48.0);
    assert!(close(s.energy_wh, 288.0, 1e-9));
    spi.done();
}

/// A model with the register defaults: SHUNT_CAL 0x1000 makes CURRENT equal VSHUNT.
fn raw_model() -> ModelHandle {
    ModelHandle::new(Ina22xModel::new(Chip::Ina228, ADDR))
}

fn raw_read(bus: &mut ModelHandle, address: u8, width: usize) -> Vec<u8> {
    let mut buffer = vec![0; width];
    bus.write_read(ADDR, &[address], &mut buffer).unwrap();
    buffer
}

#[test]
fn the_model_reads_registers_at_their_width_msb_first() {
    let mut bus = raw_model();
    assert_eq!(raw_read(&mut bus, reg::MANUFACTURER_ID, 2), [0x54, 0x49]);
    assert_eq!(raw_read(&mut bus, reg::DEVICE_ID, 2), [0x22, 0x81]);
    assert_eq!(raw_read(&mut bus, reg::ADC_CONFIG, 2), [0xFB, 0x68]);
    assert_eq!(raw_read(&mut bus, reg::SHUNT_CAL, 2), [0x10, 0x00]);
    // VSHUNT 1000 LSB (312.5 µV), VBUS 16384 LSB (3.2 V): CURRENT = 1000 × 4096 / 4096,
    // POWER = 1000 × 16384 / 16384; 16 s later ENERGY = 1000 × 16 / 16, CHARGE = 1000 × 16.
    {
        let mut model = bus.lock();
        model.set_inputs(ModelInputs { bus_volts: 3.2, shunt_volts: 312.5e-6, die_celsius: 25.0 });
        model.advance(Duration::ZERO);
        model.advance(Duration::from_secs(16));
    }
    assert_eq!(raw_read(&mut bus, reg::VSHUNT, 3), [0x00, 0x3E, 0x80]);
    assert_eq!(raw_read(&mut bus, reg::VBUS, 3), [0x04, 0x00, 0x00]);
    assert_eq!(raw_read(&mut bus, reg::CURRENT, 3), [0x00, 0x3E, 0x80]);
    assert_eq!(raw_read(&mut bus, reg::POWER, 3), [0x00, 0x03, 0xE8]);
    assert_eq!(raw_read(&mut bus, reg::ENERGY, 5), [0x00, 0x00, 0x00, 0x03, 0xE8]);
    assert_eq!(raw_read(&mut bus, reg::CHARGE, 5), [0x00, 0x00, 0x00, 0x3E, 0x80]);
    assert_eq!(raw_read(&mut bus, reg::DIETEMP, 2), [0x0C, 0x80]);
    // A negative shunt voltage: two's complement in CURRENT and a falling CHARGE.
    {
        let mut model = bus.lock();
        model.set_inputs(ModelInputs { bus_volts: 3.2, shunt_volts: -312.5e-6, die_celsius: 25.0 });
        model.advance(Duration::from_secs(32));
    }
    assert_eq!(raw_read(&mut bus, reg::CURRENT, 3), [0xFF, 0xC1, 0x80]);
    assert_eq!(raw_read(&mut bus, reg::CHARGE, 5), [0x00, 0x00, 0x00, 0x00, 0x00]);
}

#[test]
fn the_model_honours_rst_rstacc_shutdown_and_cnvrf() {
    let mut bus = raw_model();
    bus.lock().set_inputs(ModelInputs { bus_volts: 12.0, shunt_volts: 0.001, die_celsius: 30.0 });
    bus.lock().advance(Duration::from_secs(10));
    bus.lock().advance(Duration::from_secs(20));
    assert_eq!(raw_read(&mut bus, reg::DIAG_ALRT, 2), [0x00, 0x03], "CNVRF and MEMSTAT");
    assert_eq!(raw_read(&mut bus, reg::DIAG_ALRT, 2), [0x00, 0x01], "reading cleared CNVRF");
    assert_ne!(raw_read(&mut bus, reg::ENERGY, 5), [0; 5]);

    // RSTACC clears the accumulators and reads back as 0.
    bus.write(ADDR, &[reg::CONFIG, 0x40, 0x10]).unwrap();
    assert_eq!(raw_read(&mut bus, reg::ENERGY, 5), [0; 5]);
    assert_eq!(raw_read(&mut bus, reg::CHARGE, 5), [0; 5]);
    assert_eq!(raw_read(&mut bus, reg::CONFIG, 2), [0x00, 0x10], "ADCRANGE kept, RSTACC self-cleared");

    // Shutdown (MODE = 0h): results and accumulators hold although the inputs change.
    bus.lock().advance(Duration::from_secs(30));
    let vbus = raw_read(&mut bus, reg::VBUS, 3);
    let energy = raw_read(&mut bus, reg::ENERGY, 5);
    raw_read(&mut bus, reg::DIAG_ALRT, 2);
    bus.write(ADDR, &[reg::ADC_CONFIG, 0x0B, 0x68]).unwrap();
    bus.lock().set_inputs(ModelInputs { bus_volts: 24.0, shunt_volts: 0.002, die_celsius: 30.0 });
    bus.lock().advance(Duration::from_secs(100));
    assert_eq!(raw_read(&mut bus, reg::VBUS, 3), vbus);
    assert_eq!(raw_read(&mut bus, reg::ENERGY, 5), energy);
    assert_eq!(raw_read(&mut bus, reg::DIAG_ALRT, 2), [0x00, 0x01], "no conversion");

    // RST: every register back to its reset value.
    bus.write(ADDR, &[reg::SHUNT_CAL, 0x0F, 0xA0]).unwrap();
    bus.write(ADDR, &[reg::CONFIG, 0x80, 0x00]).unwrap();
    assert_eq!(raw_read(&mut bus, reg::SHUNT_CAL, 2), [0x10, 0x00]);
    assert_eq!(raw_read(&mut bus, reg::ADC_CONFIG, 2), [0xFB, 0x68]);
    assert_eq!(raw_read(&mut bus, reg::CONFIG, 2), [0x00, 0x00]);
    assert_eq!(raw_read(&mut bus, reg::VBUS, 3), [0, 0, 0]);
    // A wrong address is not acknowledged.
    let err = bus.write(0x41, &[reg::CONFIG]).unwrap_err();
    assert_eq!(err, embedded_hal::i2c::ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address));
}

/// A driver on a model, calibrated for a 15 mΩ shunt and 10 A, measuring `volts` and `amps`.
fn driver_on_model(volts: f64, amps: f64) -> (Ina228<ModelHandle>, ModelHandle) {
    let model = raw_model();
    let calibration = Calibration::new(0.015, 10.0, false).unwrap();
    model.lock().set_inputs(ModelInputs { bus_volts: volts, shunt_volts: amps * 0.015, die_celsius: 31.5 });
    let driver = Ina228::new(model.clone(), ADDR, calibration, "ina228:model").unwrap();
    (driver, model)
}

#[test]
fn the_driver_on_the_model_measures_and_accumulates() {
    let (mut driver, model) = driver_on_model(12.8, 2.0);
    let lsb = driver.calibration().current_lsb();
    for t in 0..=3600 {
        model.lock().advance(Duration::from_secs(t));
        let s = driver.read(Duration::from_secs(t)).unwrap();
        assert!(close(s.volts, 12.8, VBUS_TOLERANCE), "{}", s.volts);
        assert!(close(s.amps, 2.0, 2.0 * lsb), "{}", s.amps);
        assert_eq!(s.state, PowerState::Converting);
        if t == 3600 {
            assert!(close(s.energy_wh, 25.6, 0.01), "{}", s.energy_wh);
            assert!(close(s.charge_ah.unwrap(), 2.0, 0.001), "{:?}", s.charge_ah);
            assert!(close(s.temperature_c.unwrap(), 31.5, 0.01));
        }
    }
    let checks = driver.self_test().unwrap();
    assert!(checks.iter().all(|c| c.pass), "{checks:?}");
    assert_eq!(
        checks.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        [
            "manufacturer_id",
            "device_id",
            "config_readback",
            "adc_config_readback",
            "shunt_cal_readback",
            "reset_defaults",
            "memory_checksum",
            "ranges"
        ]
    );
}

const VBUS_TOLERANCE: f64 = 195.3125e-6;

#[test]
fn tampering_with_the_model_shows_in_state_registers_and_self_test() {
    let (mut driver, model) = driver_on_model(12.8, 2.0);
    model.lock().advance(Duration::from_secs(1));
    let baseline = driver.registers().unwrap();
    assert_eq!(baseline["shunt_cal"], Calibration::new(0.015, 10.0, false).unwrap().shunt_cal() as u64);

    // Recalibration: SHUNT_CAL raised by 1/0.9 → the current reads 10 % low.
    let recal = (baseline["shunt_cal"] as f64 / 0.9).round() as u16;
    model.lock().poke(reg::SHUNT_CAL, recal);
    model.lock().advance(Duration::from_secs(2));
    let s = driver.read(Duration::from_secs(2)).unwrap();
    assert!(close(s.amps, 1.8, 0.001), "{}", s.amps);
    assert_ne!(s.registers, baseline);
    let failed: Vec<_> =
        driver.self_test().unwrap().into_iter().filter(|c| !c.pass).map(|c| c.name).collect();
    assert_eq!(failed, ["shunt_cal_readback"]);

    // Sleep: MODE = shutdown.
    model.lock().poke(reg::ADC_CONFIG, 0x0B68);
    model.lock().advance(Duration::from_secs(3));
    assert_eq!(driver.read(Duration::from_secs(3)).unwrap().state, PowerState::Shutdown);

    // A hung ADC: continuous mode but no conversions.
    model.lock().poke(reg::ADC_CONFIG, 0xFB68);
    model.lock().advance(Duration::from_secs(4));
    driver.read(Duration::from_secs(4)).unwrap();
    model.lock().set_stalled(true);
    let states: Vec<_> = (5..8)
        .map(|t| {
            model.lock().advance(Duration::from_secs(t));
            driver.read(Duration::from_secs(t)).unwrap().state
        })
        .collect();
    assert_eq!(states, [PowerState::Converting, PowerState::Stalled, PowerState::Stalled]);

    // Unplugged: the bus error reaches the caller.
    model.lock().set_present(false);
    let err = driver.read(Duration::from_secs(9)).unwrap_err();
    assert!(matches!(err, MeterError::Bus { .. }), "{err}");
}

#[test]
fn the_ina229_driver_runs_on_the_model_over_spi() {
    let model = ModelHandle::new(Ina22xModel::new(Chip::Ina229, 0));
    model.lock().set_inputs(ModelInputs { bus_volts: 48.0, shunt_volts: -6.0 * 0.0162, die_celsius: 25.0 });
    let mut driver = Ina229::new(model.clone(), example_calibration(), "ina229:model").unwrap();
    assert_eq!(model.lock().peek(reg::SHUNT_CAL), 4050, "written through SPI frames");
    assert_eq!(model.lock().peek(reg::DIAG_ALRT) & 0x8000, 0x8000, "ALATCH set");
    model.lock().advance(Duration::from_secs(3600));
    let s = driver.read(Duration::from_secs(3600)).unwrap();
    assert!(close(s.volts, 48.0, VBUS_TOLERANCE));
    assert!(close(s.amps, -6.0, 1e-4), "{}", s.amps);
    assert!(close(s.charge_ah.unwrap(), -6.0, 1e-3), "{:?}", s.charge_ah);
    assert!(close(s.energy_wh, 288.0, 0.1), "{}", s.energy_wh);
    assert!(driver.self_test().unwrap().iter().all(|c| c.pass));
    // An INA228 model is not an INA229.
    let wrong = ModelHandle::new(Ina22xModel::new(Chip::Ina228, 0));
    assert!(matches!(
        Ina229::new(wrong, example_calibration(), "ina229:model").err().unwrap(),
        MeterError::Garbage { .. }
    ));
}

#[test]
fn uris_are_checked_before_any_device_is_touched() {
    for (text, needle) in [
        ("ina228:/dev/i2c-1?addr=0x40&max_amps=10", "shunt_ohms is required"),
        ("ina228:/dev/i2c-1?shunt_ohms=0.015&max_amps=0", "max_amps=0"),
        ("ina228:/dev/i2c-1?shunt_ohms=0.015&max_amps=100", "exceeds the ±163.84 mV"),
        ("ina228:/dev/i2c-1?shunt_ohms=0.015&max_amps=10&adcrange=2", "adcrange=2"),
        ("ina228:/dev/i2c-1?shunt_ohms=abc&max_amps=10", "shunt_ohms=abc"),
        ("ina229:/dev/spidev0.0?shunt_ohms=0.015&max_amps=10&addr=0x40", "unknown parameter \"addr\""),
    ] {
        let uri: DeviceUri = text.parse().unwrap();
        let err = meter::open_meter(&uri).err().unwrap_or_else(|| panic!("{text} accepted"));
        assert!(matches!(err, MeterError::BadUri { .. }), "{text}: {err}");
        assert!(err.to_string().contains(needle), "{text}: {err}");
    }
}

#[test]
fn max_amps_defaults_to_the_shunt_full_scale() {
    let uri: DeviceUri = "ina228:/dev/i2c-1?shunt_ohms=0.015".parse().unwrap();
    let calibration = evlock::meter::ina22x::calibration_from_uri(&uri).unwrap();
    assert!(close(calibration.max_amps, 0.16384 / 0.015, 1e-9));
    assert_eq!(calibration.shunt_cal(), 4096);
    let uri: DeviceUri = "ina228:/dev/i2c-1?shunt_ohms=0.002&adcrange=1".parse().unwrap();
    let calibration = evlock::meter::ina22x::calibration_from_uri(&uri).unwrap();
    assert!(close(calibration.max_amps, 0.04096 / 0.002, 1e-9));
    assert_eq!(calibration.shunt_cal(), 4096, "×4 for ADCRANGE = 1, on a 4× smaller full scale");
}

#[cfg(target_os = "linux")]
#[test]
fn a_missing_device_node_is_not_found() {
    for text in [
        "ina228:/dev/i2c-evlock-none?addr=0x41&shunt_ohms=0.015&max_amps=10",
        "ina229:/dev/spidev-evlock-none?shunt_ohms=0.015&max_amps=10",
    ] {
        let uri: DeviceUri = text.parse().unwrap();
        let err = meter::open_meter(&uri).err().unwrap();
        assert!(matches!(err, MeterError::NotFound { .. }), "{text}: {err}");
        assert_eq!(err.exit_code(), ExitCode::Device);
    }
    let uri: DeviceUri = "ina228:/dev/i2c-1?addr=0x70&shunt_ohms=0.015&max_amps=10".parse().unwrap();
    assert!(meter::open_meter(&uri).err().unwrap().to_string().contains("0x40…0x4F"));
}
