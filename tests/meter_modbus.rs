//! The Modbus RTU driver over a real pseudo-terminal pair: the driver opens the device side
//! through `serialport` (as it would /dev/ttyUSB0) and the slave simulator answers on the
//! master side.

use std::io::Write as _;
use std::time::Duration;

use evlock::exit::{ErrorClass, ExitCode};
use evlock::meter::modbus::slave::{PZEM_DEFAULT_ALARM_W, PtyLine, SimDevice, SimValues, Slave};
use evlock::meter::modbus::{
    self, ModbusMeter, ReadFunction, ScanReply, SerialSettings, ValueType, WordOrder, decode, read_registers,
    scan,
};
use evlock::meter::{DeviceUri, Meter, MeterError, PowerState, open_meter};

/// The library's pty rig: a simulator on a fresh pseudo-terminal.
fn rig(devices: Vec<SimDevice>) -> PtyLine {
    Slave::on_pty(devices).expect("a pseudo-terminal pair")
}

/// What these tests open on a rig.
trait Open {
    fn device(&self, query: &str) -> DeviceUri;
    fn open(&self, query: &str) -> ModbusMeter;
}

impl Open for PtyLine {
    fn device(&self, query: &str) -> DeviceUri {
        self.uri(query).parse().expect("a valid URI")
    }

    fn open(&self, query: &str) -> ModbusMeter {
        modbus::open_modbus(&self.device(query)).expect("the driver opens the pty")
    }
}

fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
    (actual - expected).abs() <= tolerance
}

#[test]
fn pzem004t_reading_has_the_values_scaled_and_in_word_order() {
    // 70 000 Wh needs the high word (0x0001 0x1170): a word-order mistake would read 4.6e9.
    let values = SimValues { amps: 70.123, watts: 16135.3, energy_wh: 70_000.0, ..SimValues::sample() };
    let rig = rig(vec![SimDevice::pzem004t(1, &values)]);
    let mut meter = open_meter(&rig.device("profile=pzem004t&addr=1")).expect("opens through open_meter");
    assert_eq!(meter.info().model, "PZEM-004T v3");
    assert!(meter.info().has_calibration_registers);
    let sample = meter.read(Duration::ZERO).expect("a reading");
    assert!(close(sample.volts, 230.1, 1e-9), "volts {}", sample.volts);
    assert!(close(sample.amps, 70.123, 1e-9), "amps {}", sample.amps);
    assert!(close(sample.watts, 16135.3, 1e-6), "watts {}", sample.watts);
    assert_eq!(sample.energy_wh, 70_000.0);
    assert!(close(sample.frequency_hz.unwrap(), 50.1, 1e-9));
    assert!(close(sample.power_factor.unwrap(), 0.96, 1e-9));
    assert_eq!(sample.state, PowerState::Unknown);
    assert_eq!(sample.registers["slave_address"], 1);
    assert_eq!(sample.registers["power_alarm_threshold"], u64::from(PZEM_DEFAULT_ALARM_W));
    // One request for the input registers, one for the holding registers.
    assert_eq!(sample.counters.requests, 2);
    assert_eq!((sample.counters.retries, sample.counters.timeouts, sample.counters.crc_errors), (0, 0, 0));
    assert_eq!(rig.slave.stats().requests, 2);
}

#[test]
fn pzem004t_extras_registers_and_self_test() {
    // 16 135.3 W is above the simulator's 2300 W alarm threshold: the alarm register is set.
    let rig = rig(vec![SimDevice::pzem004t(7, &SimValues { watts: 2400.0, ..SimValues::sample() })]);
    let mut meter = rig.open("profile=pzem004t&addr=7");
    let values = meter.read_values().unwrap();
    assert_eq!(values["alarm"], 65535.0, "0xFFFF is alarm");
    assert_eq!(values["energy"], 12345.0);
    assert_eq!(values["slave_address"], 7.0);
    let registers = meter.registers().unwrap();
    assert_eq!(registers.len(), 2);
    assert_eq!(registers["slave_address"], 7);

    let checks = meter.self_test().unwrap();
    let names: Vec<&str> = checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["config_readback", "value_ranges", "reply_crc"]);
    assert!(checks.iter().all(|c| c.pass), "{checks:?}");

    // A voltage outside the PZEM's 80–260 V measuring range fails, and says why.
    rig.slave.set_values(7, &SimValues { volts: 300.0, ..SimValues::sample() });
    let checks = meter.self_test().unwrap();
    assert!(checks[0].pass, "{checks:?}");
    assert!(!checks[1].pass && checks[1].detail.contains("volts 300"), "{checks:?}");
    assert!(checks[2].pass);
}

#[test]
fn self_test_reports_a_corrupted_reply() {
    let rig = rig(vec![SimDevice::pzem004t(1, &SimValues::sample())]);
    let mut meter = rig.open("profile=pzem004t");
    rig.slave.corrupt_crc(1);
    let checks = meter.self_test().unwrap();
    let crc = checks.iter().find(|c| c.name == "reply_crc").unwrap();
    assert!(!crc.pass, "{crc:?}");
    assert!(crc.detail.starts_with("1 of 3 replies"), "{crc:?}");
}

#[test]
fn sdm120_floats_are_read_high_word_first() {
    let rig = rig(vec![SimDevice::sdm120(3, &SimValues::sample())]);
    let mut meter = rig.open("profile=sdm120&addr=3&baud=9600");
    let sample = meter.read(Duration::from_secs(1)).unwrap();
    // f32 precision: 230.1 is stored as 230.100006…
    assert!(close(sample.volts, 230.1, 1e-4), "volts {}", sample.volts);
    assert!(close(sample.amps, 1.234, 1e-6), "amps {}", sample.amps);
    assert!(close(sample.watts, 271.3, 1e-4), "watts {}", sample.watts);
    // 12.345 kWh in the meter is 12 345 Wh in the sample.
    assert!(close(sample.energy_wh, 12345.0, 1e-3), "energy {}", sample.energy_wh);
    assert!(close(sample.frequency_hz.unwrap(), 50.1, 1e-5));
    assert!(close(sample.power_factor.unwrap(), 0.96, 1e-6));
    // The meter id register holds the address as a float: 3.0 is 0x40400000.
    assert_eq!(sample.registers["meter_id"], 0x4040_0000);
    assert_eq!(sample.registers["baud_rate"], 0, "2400 baud, code 0");
    // Grouped into four requests: 0x0000–0x001F, 0x0046–0x004B, 0x0156–0x0157, holding 0x0012–0x001D.
    assert_eq!(sample.counters.requests, 4);
    let values = meter.read_values().unwrap();
    assert!(close(values["import_energy_kwh"], 12.345, 1e-6));
    assert!(close(values["apparent_power_va"], 230.1 * 1.234, 1e-3));
    assert!(meter.self_test().unwrap().iter().all(|c| c.pass));
    // The meter id register rewritten behind our back (it takes effect at the next power-up):
    // the read-back check fails and the sample's registers differ from the baseline.
    let baseline = meter.registers().unwrap();
    rig.slave.with_device(3, |d| d.set_holding_register(0x0014, 0x4110)).unwrap(); // 9.0
    let checks = meter.self_test().unwrap();
    assert!(!checks[0].pass && checks[0].detail.contains("meter_id reads 9, expected 3"), "{checks:?}");
    assert_ne!(meter.read(Duration::ZERO).unwrap().registers, baseline);
    // The SDM120 has no energy reset command in its profile.
    let err = meter.reset_energy().unwrap_err();
    assert!(matches!(err, MeterError::Unsupported { .. }), "{err}");
}

#[test]
fn crc_errors_are_retried_and_counted() {
    let rig = rig(vec![SimDevice::pzem004t(1, &SimValues::sample())]);
    let mut meter = rig.open("profile=pzem004t&retries=2");
    rig.slave.corrupt_crc(2);
    let sample = meter.read(Duration::ZERO).expect("the third try of the first request succeeds");
    assert!(close(sample.volts, 230.1, 1e-9));
    assert_eq!(sample.counters.crc_errors, 2);
    assert_eq!(sample.counters.retries, 2);
    assert_eq!(sample.counters.requests, 4, "3 tries of the first block, 1 of the second");

    // Retries exhausted: the CRC error itself comes out.
    rig.slave.corrupt_crc(3);
    let err = meter.read(Duration::ZERO).unwrap_err();
    let MeterError::Crc { got, computed, .. } = &err else { panic!("expected Crc, got {err}") };
    assert_ne!(got, computed);
    assert_eq!(err.exit_code(), ExitCode::Device);
    assert_eq!(err.error_code(), "crc_error");
    assert_eq!(meter.counters().crc_errors, 5);
}

#[test]
fn a_silent_meter_times_out_after_its_retries() {
    let rig = rig(vec![SimDevice::pzem004t(1, &SimValues::sample())]);
    let mut meter = rig.open("profile=pzem004t&timeout=150ms&retries=1");
    rig.slave.stay_silent(1);
    meter.read(Duration::ZERO).expect("one silence is covered by the retry");
    assert_eq!((meter.counters().timeouts, meter.counters().retries), (1, 1));

    rig.slave.stay_silent(2);
    let started = std::time::Instant::now();
    let err = meter.read(Duration::ZERO).unwrap_err();
    assert!(
        matches!(err, MeterError::Timeout { timeout, .. } if timeout == Duration::from_millis(150)),
        "{err}"
    );
    assert!(started.elapsed() >= Duration::from_millis(300), "waited the timeout twice");
    assert_eq!(meter.counters().timeouts, 3);
    assert!(err.to_string().contains("no answer within 150ms"), "{err}");
}

#[test]
fn an_exception_reply_names_code_and_function() {
    let rig = rig(vec![SimDevice::pzem004t(1, &SimValues::sample())]);
    let mut meter = rig.open("profile=pzem004t");
    rig.slave.raise_exception(0x04, 1);
    let err = meter.read(Duration::ZERO).unwrap_err();
    let MeterError::Exception { function, code, .. } = err else { panic!("expected Exception, got {err}") };
    // The plan reads the holding registers (0x03) first.
    assert_eq!((function, code), (0x03, 0x04));
    assert_eq!(meter.counters().exceptions, 1);
    assert_eq!(meter.counters().retries, 0, "exceptions are answers, not retried");
    let text = meter.read(Duration::ZERO).map(|_| ()).and_then(|()| {
        rig.slave.raise_exception(0x02, 1);
        meter.read(Duration::ZERO).map(|_| ())
    });
    let text = text.unwrap_err().to_string();
    assert!(text.contains("exception 0x02 (illegal data address) to function 0x03"), "{text}");

    // A register the meter does not have is refused by the meter itself.
    let err = meter.client().read_registers(1, ReadFunction::Input, 0x0100, 1).unwrap_err();
    assert!(matches!(err, MeterError::Exception { function: 0x04, code: 0x02, .. }), "{err}");
}

#[test]
fn garbage_and_a_foreign_address_are_refused() {
    let rig = rig(vec![SimDevice::pzem004t(1, &SimValues::sample())]);
    let mut meter = rig.open("profile=pzem004t");
    rig.slave.send_garbage(1);
    let err = meter.read(Duration::ZERO).unwrap_err();
    assert!(
        matches!(&err, MeterError::Garbage { reason, .. } if reason.contains("asked for 2 registers")),
        "{err}"
    );
    assert_eq!(err.error_code(), "device_garbage");

    rig.slave.send_garbage(1);
    let err = meter.reset_energy().unwrap_err();
    assert!(matches!(&err, MeterError::Garbage { reason, .. } if reason.contains("function 0x2b")), "{err}");

    rig.slave.reply_from(9, 1);
    let err = meter.read(Duration::ZERO).unwrap_err();
    assert!(
        matches!(&err, MeterError::Garbage { reason, .. } if reason.contains("reply from slave 9")),
        "{err}"
    );
    // The line is in step again afterwards.
    assert!(close(meter.read(Duration::ZERO).unwrap().volts, 230.1, 1e-9));
}

#[test]
fn a_wrong_slave_address_gets_no_answer() {
    let rig = rig(vec![SimDevice::pzem004t(1, &SimValues::sample())]);
    let mut meter = rig.open("profile=pzem004t&addr=2&timeout=50ms&retries=0");
    let err = meter.read(Duration::ZERO).unwrap_err();
    assert!(matches!(err, MeterError::Timeout { .. }), "{err}");
    assert_eq!(rig.slave.stats().requests, 0, "the simulator ignored a frame for another slave");
}

#[test]
fn reset_energy_zeroes_the_meter() {
    let rig = rig(vec![SimDevice::pzem004t(1, &SimValues::sample())]);
    let mut meter = rig.open("profile=pzem004t");
    assert_eq!(meter.read(Duration::ZERO).unwrap().energy_wh, 12345.0);
    meter.reset_energy().expect("the meter acknowledges the reset");
    assert_eq!(rig.slave.energy_wh(1), Some(0.0));
    assert_eq!(meter.read(Duration::ZERO).unwrap().energy_wh, 0.0);
}

#[test]
fn writes_change_holding_registers() {
    let rig =
        rig(vec![SimDevice::pzem004t(1, &SimValues::sample()), SimDevice::sdm120(2, &SimValues::sample())]);
    let mut meter = rig.open("profile=pzem004t");
    meter.client().write_register(1, 0x0001, 1500).unwrap();
    assert_eq!(meter.registers().unwrap()["power_alarm_threshold"], 1500);
    // Function 0x10 on the SDM120: baud rate code 2.0 (9600), the capture in SolarNetwork's notes.
    meter.client().write_registers(2, 0x001C, &[0x4000, 0x0000]).unwrap();
    assert_eq!(rig.slave.with_device(2, |d| d.holding_register(0x001C)).flatten(), Some(0x4000));
}

#[test]
fn scan_finds_the_simulators_addresses_only() {
    let rig =
        rig(vec![SimDevice::pzem004t(3, &SimValues::sample()), SimDevice::sdm120(5, &SimValues::sample())]);
    let hits = scan(rig.path(), &SerialSettings::default(), 0..=8, Duration::from_millis(150)).unwrap();
    let addresses: Vec<u8> = hits.iter().map(|h| h.address).collect();
    assert_eq!(addresses, [3, 5]);
    // The PZEM's voltage register and the SDM120's float voltage (high word).
    assert_eq!(hits[0].reply, ScanReply::Registers(vec![2301, 1234]));
    let ScanReply::Registers(words) = &hits[1].reply else { panic!("{:?}", hits[1]) };
    assert!(close(decode(words, ValueType::F32, WordOrder::Big, 1.0).unwrap(), 230.1, 1e-4));

    rig.slave.raise_exception(0x01, 1);
    let hits = scan(rig.path(), &SerialSettings::default(), 3..=3, Duration::from_millis(150)).unwrap();
    assert_eq!(hits[0].reply, ScanReply::Exception(0x01));
}

#[test]
fn read_registers_and_decode() {
    let rig = rig(vec![SimDevice::pzem004t(1, &SimValues::sample())]);
    let uri = rig.device("baud=9600");
    let words = read_registers(&uri, 1, ReadFunction::Input, 0x0005, 2).unwrap();
    assert_eq!(words, [12345, 0], "energy, low word first");
    assert_eq!(decode(&words, ValueType::U32, WordOrder::Little, 1.0).unwrap(), 12345.0);
    assert_eq!(decode(&words, ValueType::U32, WordOrder::Big, 1.0).unwrap(), 12345.0 * 65536.0);
    let holding = read_registers(&uri, 1, ReadFunction::Holding, 0x0001, 2).unwrap();
    assert_eq!(holding, [PZEM_DEFAULT_ALARM_W, 1]);
    let err = read_registers(&uri, 1, ReadFunction::Input, 0, 126).unwrap_err();
    assert!(err.to_string().contains("1 to 125"), "{err}");
}

#[test]
fn a_custom_profile_file_is_used_and_a_malformed_one_is_named() {
    let rig = rig(vec![SimDevice::pzem004t(1, &SimValues::sample())]);
    let dir = tempfile::tempdir().unwrap();
    // Energy in kWh with a 0.001 scale: the same register, read as 12.345 kWh = 12 345 Wh.
    let custom = dir.path().join("pzem-kwh.toml");
    std::fs::write(
        &custom,
        r#"
        model = "PZEM in kWh"
        [quantities.volts]
        address = 0
        function = 4
        type = "u16"
        scale = 0.1
        [quantities.amps]
        address = 1
        function = 4
        type = "u32"
        word_order = "little"
        scale = 0.001
        [quantities.watts]
        address = 3
        function = 4
        type = "u32"
        word_order = "little"
        scale = 0.1
        [quantities.energy]
        address = 5
        function = 4
        type = "u32"
        word_order = "little"
        scale = 0.001
        unit = "kWh"
        "#,
    )
    .unwrap();
    let mut meter = rig.open(&format!("profile={}", custom.display()));
    assert_eq!(meter.info().model, "PZEM in kWh");
    assert!(!meter.info().has_calibration_registers);
    let sample = meter.read(Duration::ZERO).unwrap();
    assert!(close(sample.energy_wh, 12345.0, 1e-6), "{}", sample.energy_wh);
    assert_eq!(sample.frequency_hz, None);
    assert!(sample.registers.is_empty());
    drop(meter);

    let broken = dir.path().join("broken.toml");
    let mut file = std::fs::File::create(&broken).unwrap();
    writeln!(file, "model = \"X\"\n[quantities.volts]\naddress = 0\nfunction = 4\ntype = \"u24\"").unwrap();
    let err = open_meter(&rig.device(&format!("profile={}", broken.display()))).err().expect("refused");
    let MeterError::Profile { path, reason } = &err else { panic!("expected Profile, got {err}") };
    assert_eq!(path, &broken.display().to_string());
    assert!(reason.contains("u24"), "{reason}");
    assert_eq!(err.exit_code(), ExitCode::Device);
    assert_eq!(err.error_code(), "bad_profile");

    let missing = dir.path().join("none.toml");
    let err = open_meter(&rig.device(&format!("profile={}", missing.display()))).err().expect("refused");
    assert!(matches!(&err, MeterError::Profile { reason, .. } if reason.contains("cannot read")), "{err}");
}

#[test]
fn a_missing_device_is_not_found_with_exit_3() {
    let uri: DeviceUri = "modbus:/dev/ttyUSB-evlock-missing?profile=pzem004t".parse().unwrap();
    let err = open_meter(&uri).err().expect("refused");
    assert!(matches!(&err, MeterError::NotFound { path } if path == "/dev/ttyUSB-evlock-missing"), "{err}");
    assert_eq!(err.exit_code(), ExitCode::Device);
    assert_eq!(err.exit_code().as_i32(), 3);
    assert_eq!(err.error_code(), "device_not_found");
    let err =
        scan("/dev/ttyUSB-evlock-missing", &SerialSettings::default(), 1..=2, Duration::from_millis(10))
            .unwrap_err();
    assert!(matches!(err, MeterError::NotFound { .. }), "{err}");
}

#[test]
fn unknown_uri_parameters_are_refused() {
    let rig = rig(vec![]);
    let err = open_meter(&rig.device("profile=pzem004t&adr=1")).err().expect("refused");
    assert!(matches!(&err, MeterError::BadUri { reason, .. } if reason.contains("\"adr\"")), "{err}");
    assert_eq!(err.exit_code(), ExitCode::Device);
}
