//! The ACS712 driver against a fake IIO sysfs tree in a temporary directory: the real
//! file-reading path, the IIO ABI's raw × scale, energy over virtual time, health hints and
//! every way the files can be wrong.

use std::fs;
use std::path::Path;
use std::time::Duration;

use evlock::exit::{ErrorClass, ExitCode};
use evlock::meter::{self, DeviceUri, MeterError, PowerState};

/// A 12-bit ADC on 3.3 V: 3300 / 4096 mV per code, so code 2048 is 1650 mV, the zero.
const SCALE: &str = "0.805664062\n";

fn fake_device(files: &[(&str, &str)]) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let device = root.path().join("iio:device0");
    fs::create_dir(&device).unwrap();
    for (name, content) in files {
        fs::write(device.join(name), content).unwrap();
    }
    root
}

fn device_uri(root: &Path, params: &str) -> DeviceUri {
    format!("iio-acs712:{}/iio:device0?{params}", root.display()).parse().unwrap()
}

fn set_raw(root: &Path, channel: u32, raw: i64) {
    fs::write(root.join("iio:device0").join(format!("in_voltage{channel}_raw")), format!("{raw}\n")).unwrap();
}

fn close(found: f64, expected: f64, tolerance: f64) -> bool {
    (found - expected).abs() <= tolerance
}

const PAPER: &str = "channel=0&mv_per_amp=185&offset_mv=1650&bus_volts=12";

#[test]
fn amps_are_the_sensor_millivolts_over_the_sensitivity() {
    let root = fake_device(&[("in_voltage0_raw", "2048\n"), ("in_voltage0_scale", SCALE)]);
    let mut m = meter::open_meter(&device_uri(root.path(), PAPER)).unwrap();
    assert_eq!(m.info().model, "ACS712");
    let zero = m.read(Duration::ZERO).unwrap();
    assert!(close(zero.amps, 0.0, 1e-6), "{}", zero.amps);
    assert_eq!(zero.volts, 12.0);
    assert_eq!(zero.state, PowerState::Unknown);
    // 2278 codes = 1835.3 mV: (1835.3 − 1650) / 185 = 1.0016 A.
    set_raw(root.path(), 0, 2278);
    let s = m.read(Duration::from_secs(1)).unwrap();
    let expected = (2278.0 * 0.805664062 - 1650.0) / 185.0;
    assert!(close(s.amps, expected, 1e-9) && close(s.amps, 1.0016, 1e-4), "{}", s.amps);
    assert!(close(s.watts, 12.0 * expected, 1e-9));
    // Negative current below the zero.
    set_raw(root.path(), 0, 1818);
    assert!(m.read(Duration::from_secs(2)).unwrap().amps < -0.99);
    assert_eq!(m.registers().unwrap()["scale_nano"], 805_664_062);
    assert!(m.self_test().unwrap().iter().all(|c| c.pass));
}

#[test]
fn energy_is_the_trapezoid_integral_over_the_read_times() {
    let root = fake_device(&[("in_voltage0_raw", "2048\n"), ("in_voltage0_scale", "1\n")]);
    // scale 1: raw is mV. 1835 mV = 1 A; at 12 V, 12 W.
    let mut m = meter::open_meter(&device_uri(root.path(), PAPER)).unwrap();
    set_raw(root.path(), 0, 1835);
    assert_eq!(m.read(Duration::from_secs(100)).unwrap().energy_wh, 0.0, "no energy before the first read");
    for t in 1..=3600 {
        m.read(Duration::from_secs(100 + t)).unwrap();
    }
    let hour = m.read(Duration::from_secs(3700)).unwrap().energy_wh;
    assert!(close(hour, 12.0, 1e-9), "{hour}");
    // A ramp from 1 A to 3 A over an hour: the trapezoid gives the mean, 2 A × 12 V.
    set_raw(root.path(), 0, 1650 + 3 * 185);
    let ramp = m.read(Duration::from_secs(7300)).unwrap().energy_wh - hour;
    assert!(close(ramp, 24.0, 1e-9), "{ramp}");
}

#[test]
fn the_shared_scale_the_offset_and_the_divider_apply() {
    let root = fake_device(&[
        ("in_voltage2_raw", "1000\n"),
        ("in_voltage_scale", "0.5\n"),
        ("in_voltage_offset", "650\n"),
    ]);
    // (1000 + 650) × 0.5 = 825 mV at the ADC, × 2 = 1650 mV at the sensor: zero.
    let mut m = meter::open_meter(&device_uri(root.path(), "channel=2&divider=2&bus_volts=24")).unwrap();
    let s = m.read(Duration::ZERO).unwrap();
    assert!(close(s.amps, 0.0, 1e-9), "{}", s.amps);
    assert_eq!(s.volts, 24.0);
    assert_eq!(s.registers["offset_nano"], 650_000_000_000);
}

#[test]
fn health_hints_carry_the_raw_code_and_the_zero_offset() {
    let root = fake_device(&[("in_voltage0_raw", "2060\n"), ("in_voltage0_scale", "1\n")]);
    let mut m = meter::open_meter(&device_uri(root.path(), "offset_mv=2048&mv_per_amp=100")).unwrap();
    assert_eq!(m.health_hints().adc_raw, None, "nothing read yet");
    let s = m.read(Duration::ZERO).unwrap();
    let hints = m.health_hints();
    assert_eq!(hints.adc_raw, Some(2060));
    assert_eq!(hints.sensor_mv, Some(2060.0));
    assert_eq!(hints.zero_offset_mv, Some(2048.0));
    assert_eq!(hints.mv_per_amp, Some(100.0));
    assert!(close(s.amps, 0.12, 1e-12), "12 mV of zero drift reads as 0.12 A");
    // The hints are not registers: a clean sensor's registers stay at their baseline.
    set_raw(root.path(), 0, 2100);
    assert_eq!(m.read(Duration::from_secs(1)).unwrap().registers, s.registers);
    assert_eq!(m.health_hints().adc_raw, Some(2100));
}

#[test]
fn a_missing_device_or_channel_is_not_found() {
    let root = fake_device(&[("in_voltage0_raw", "2048\n"), ("in_voltage0_scale", SCALE)]);
    let err = meter::open_meter(&device_uri(root.path(), "channel=3")).err().unwrap();
    assert!(matches!(err, MeterError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("in_voltage3"), "{err}");
    assert_eq!(err.exit_code(), ExitCode::Device);
    let gone: DeviceUri = "iio-acs712:/sys/bus/iio/devices/iio:device-evlock-none?channel=0".parse().unwrap();
    assert!(matches!(meter::open_meter(&gone).err().unwrap(), MeterError::NotFound { .. }));
    // The channel disappears after opening (the ADC driver was unbound).
    let mut m = meter::open_meter(&device_uri(root.path(), PAPER)).unwrap();
    fs::remove_file(root.path().join("iio:device0/in_voltage0_raw")).unwrap();
    assert!(matches!(m.read(Duration::ZERO).unwrap_err(), MeterError::NotFound { .. }));
}

#[test]
fn an_unreadable_channel_is_an_io_error() {
    let root = fake_device(&[("in_voltage0_scale", SCALE)]);
    // A directory where the attribute should be: reading it fails (EISDIR), even as root.
    fs::create_dir(root.path().join("iio:device0/in_voltage0_raw")).unwrap();
    let err = meter::open_meter(&device_uri(root.path(), PAPER)).err().unwrap();
    assert!(matches!(err, MeterError::Io { .. }), "{err}");
    assert!(err.to_string().contains("in_voltage0_raw"), "{err}");
}

#[test]
fn garbage_in_the_files_is_a_garbage_error() {
    for (raw, scale, needle) in [
        ("abc\n", SCALE, "\"abc\""),
        ("\n", SCALE, "\"\""),
        ("12.5\n", SCALE, "\"12.5\""),
        ("2048\n", "fast\n", "\"fast\""),
        ("2048\n", "NaN\n", "not a finite number"),
    ] {
        let root = fake_device(&[("in_voltage0_raw", raw), ("in_voltage0_scale", scale)]);
        let err = meter::open_meter(&device_uri(root.path(), PAPER)).err().unwrap();
        assert!(matches!(err, MeterError::Garbage { .. }), "{raw:?}/{scale:?}: {err}");
        assert!(err.to_string().contains(needle), "{err}");
        assert_eq!(err.error_code(), "device_garbage");
    }
    let no_scale = fake_device(&[("in_voltage0_raw", "2048\n")]);
    let err = meter::open_meter(&device_uri(no_scale.path(), PAPER)).err().unwrap();
    assert!(err.to_string().contains("in_voltage_scale"), "{err}");
}

#[test]
fn bad_parameters_are_refused() {
    let root = fake_device(&[("in_voltage0_raw", "2048\n"), ("in_voltage0_scale", SCALE)]);
    for (params, needle) in [
        ("mv_per_amp=0", "mv_per_amp=0"),
        ("mv_per_amp=-185", "mv_per_amp=-185"),
        ("bus_volts=abc", "bus_volts=abc"),
        ("divider=0", "divider=0"),
        ("offset_mv=-1", "offset_mv=-1"),
        ("channel=-1", "channel=-1"),
        ("gain=2", "unknown parameter \"gain\""),
    ] {
        let err = meter::open_meter(&device_uri(root.path(), params)).err().unwrap();
        assert!(matches!(err, MeterError::BadUri { .. }), "{params}: {err}");
        assert!(err.to_string().contains(needle), "{params}: {err}");
    }
}

#[test]
fn an_out_of_range_output_fails_the_self_test() {
    let root = fake_device(&[("in_voltage0_raw", "4095\n"), ("in_voltage0_scale", "1\n")]);
    let mut m = meter::open_meter(&device_uri(root.path(), PAPER)).unwrap();
    let failed: Vec<_> = m.self_test().unwrap().into_iter().filter(|c| !c.pass).map(|c| c.name).collect();
    assert_eq!(failed, ["output_range"]);
}
