//! `evlock-sense` against Modbus RTU meters on a real pseudo-terminal: the binary opens the
//! device side through `serialport`, as it would /dev/ttyUSB0, and the slave simulator (a
//! PZEM-004T or an Eastron SDM120 with the register maps of their manuals) answers on the
//! master side in this test process.

mod common;

use common::lines;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command as StdCommand, Output, Stdio};

use assert_cmd::Command;
use assert_cmd::cargo::CommandCargoExt;
use evlock::meter::modbus::slave::{PtyLine, SimDevice, SimValues, Slave};
use serde_json::Value;

/// The library's pty rig: a simulator on a fresh pseudo-terminal.
fn rig(devices: Vec<SimDevice>) -> PtyLine {
    Slave::on_pty(devices).expect("a pseudo-terminal pair")
}

fn sense(args: &[&str]) -> Output {
    Command::cargo_bin("evlock-sense").unwrap().env_clear().args(args).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn alarms(records: &[Value]) -> Vec<(u64, String)> {
    records
        .iter()
        .filter(|r| r["kind"] == "alarm")
        .map(|a| (a["seq"].as_u64().unwrap(), a["code"].as_str().unwrap().to_string()))
        .collect()
}

fn close(found: &Value, expected: f64, tolerance: f64) -> bool {
    (found.as_f64().unwrap_or(f64::NAN) - expected).abs() <= tolerance
}

#[test]
fn a_pzem004t_reading_has_its_values_scaled_and_in_word_order() {
    // 70 000 Wh needs the energy's high word (0x0001 0x1170, low word first): a word-order
    // mistake would read 4.6 GWh; 70.123 A likewise spans both current registers.
    let values = SimValues { amps: 70.123, watts: 16135.3, energy_wh: 70_000.0, ..SimValues::sample() };
    let rig = rig(vec![SimDevice::pzem004t(1, &values)]);
    let device = rig.uri("profile=pzem004t&addr=1");
    let output = sense(&["--device", &device, "--count", "3", "--interval", "0", "--fail-on-alarm"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = lines(&output.stdout);
    assert_eq!(records.len(), 3);
    let reading = &records[0];
    assert_eq!(reading["kind"], "reading");
    assert!(close(&reading["volts"], 230.1, 1e-9), "{reading}");
    assert!(close(&reading["amps"], 70.123, 1e-9), "{reading}");
    assert!(close(&reading["watts"], 16135.3, 1e-6), "{reading}");
    assert_eq!(reading["energy_wh"], 70_000);
    assert_eq!(reading["energy_mwh"], 70_000_000u64);
    assert!(close(&reading["frequency_hz"], 50.1, 1e-9));
    assert!(close(&reading["power_factor"], 0.96, 1e-9));
    assert_eq!(reading["state"], "unknown", "a PZEM does not report its mode");
    assert_eq!(reading["counters"]["requests"], 2, "the input block and the holding block");
    assert_eq!(records[2]["counters"]["requests"], 6);
    assert!(rig.slave.stats().requests >= 6);
}

#[test]
fn an_sdm120s_floats_are_read_high_word_first() {
    let rig = rig(vec![SimDevice::sdm120(7, &SimValues::sample())]);
    let device = rig.uri("profile=sdm120&addr=7&baud=9600");
    let output = sense(&["--device", &device, "--count", "2", "--interval", "0", "--fail-on-alarm"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let reading = &lines(&output.stdout)[0];
    // f32 on the wire: equal to about 1e-5 relative.
    assert!(close(&reading["volts"], 230.1, 1e-3), "{reading}");
    assert!(close(&reading["amps"], 1.234, 1e-5), "{reading}");
    assert!(close(&reading["watts"], 271.3, 1e-3), "{reading}");
    assert!(close(&reading["frequency_hz"], 50.1, 1e-4), "{reading}");
    // 12.345 kWh in the meter's float register: 12 345 Wh on the wire.
    let mwh = reading["energy_mwh"].as_u64().unwrap();
    assert!((12_344_000..=12_346_000).contains(&mwh), "{mwh}");
}

#[test]
fn crc_errors_are_retried_and_counted_without_an_alarm() {
    let rig = rig(vec![SimDevice::pzem004t(1, &SimValues::sample())]);
    rig.slave.corrupt_crc(1);
    let device = rig.uri("profile=pzem004t&timeout=200ms&retries=2");
    let output = sense(&["--device", &device, "--count", "2", "--interval", "0", "--fail-on-alarm"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = lines(&output.stdout);
    assert!(alarms(&records).is_empty());
    let counters = &records[0]["counters"];
    assert_eq!(
        (counters["crc_errors"].as_u64(), counters["retries"].as_u64()),
        (Some(1), Some(1)),
        "{counters}"
    );
}

#[test]
fn a_meter_that_stops_answering_is_device_silent_then_recovers() {
    let rig = rig(vec![SimDevice::pzem004t(1, &SimValues::sample())]);
    // The first request and both of its retries go unanswered: the first reading times out.
    rig.slave.stay_silent(3);
    let device = rig.uri("profile=pzem004t&timeout=100ms&retries=2");
    let output = sense(&["--device", &device, "--count", "3", "--interval", "0", "--fail-on-alarm"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let records = lines(&output.stdout);
    assert_eq!(alarms(&records), vec![(0, "device_silent".to_string())]);
    let alarm = &records[0];
    assert_eq!(alarm["details"]["error"], "device_timeout");
    assert!(alarm["message"].as_str().unwrap().contains("no answer within 100ms"), "{alarm}");
    let readings: Vec<&Value> = records.iter().filter(|r| r["kind"] == "reading").collect();
    assert_eq!(readings.iter().map(|r| r["seq"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(readings[0]["counters"]["timeouts"], 3);
    assert_eq!(readings[0]["health"]["ok"], true, "answering again");
}

#[test]
fn an_exception_reply_is_named() {
    let rig = rig(vec![SimDevice::pzem004t(1, &SimValues::sample())]);
    rig.slave.raise_exception(0x02, 1);
    let device = rig.uri("profile=pzem004t&timeout=200ms");
    let output = sense(&["--device", &device, "--count", "2", "--interval", "0"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = lines(&output.stdout);
    assert_eq!(alarms(&records), vec![(0, "device_silent".to_string())]);
    assert_eq!(records[0]["details"]["error"], "modbus_exception");
    let message = records[0]["message"].as_str().unwrap();
    assert!(message.contains("Modbus exception 0x02 (illegal data address)"), "{message}");
    assert_eq!(records[1]["counters"]["exceptions"], 1);
}

#[test]
fn a_garbage_answering_meter_is_given_up_on_with_exit_3() {
    let rig = rig(vec![SimDevice::pzem004t(1, &SimValues::sample())]);
    rig.slave.send_garbage(1000);
    let device = rig.uri("profile=pzem004t&timeout=200ms&retries=0");
    let output = sense(&["--device", &device, "--interval", "0", "--give-up-after", "3"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let records = lines(&output.stdout);
    assert_eq!(alarms(&records), vec![(0, "device_silent".to_string())]);
    assert_eq!(records[0]["details"]["error"], "device_garbage");
    let err = stderr(&output);
    assert!(err.contains("failed 3 reads in a row") && err.contains("unexpected reply"), "{err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn an_energy_reset_on_a_live_meter_is_caught() {
    let rig = rig(vec![SimDevice::pzem004t(1, &SimValues::sample())]);
    let device = rig.uri("profile=pzem004t");
    let mut child = StdCommand::cargo_bin("evlock-sense")
        .unwrap()
        .env_clear()
        .args(["--device", &device, "--interval", "100ms", "--count", "10"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut records = Vec::new();
    for _ in 0..2 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        records.push(serde_json::from_str::<Value>(&line).unwrap());
    }
    // The reset attack: the accumulator is cleared between two readings.
    assert!(rig.slave.set_values(1, &SimValues { energy_wh: 3.0, ..SimValues::sample() }));
    for line in stdout.lines() {
        records.push(serde_json::from_str(&line.unwrap()).unwrap());
    }
    assert!(child.wait().unwrap().success());
    let found = alarms(&records);
    assert_eq!(found.len(), 1, "{records:?}");
    assert_eq!(found[0].1, "energy_reset");
    let alarm = records.iter().find(|r| r["kind"] == "alarm").unwrap();
    assert!(alarm["message"].as_str().unwrap().contains("from 12345000 mWh to 3000 mWh"), "{alarm}");
}

#[test]
fn scan_lists_the_slaves_on_the_line() {
    let rig =
        rig(vec![SimDevice::pzem004t(3, &SimValues::sample()), SimDevice::sdm120(5, &SimValues::sample())]);
    let line = rig.uri("baud=9600");
    let output = sense(&["scan", "--device", &line, "--addresses", "1-8", "--timeout", "100ms"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = lines(&output.stdout);
    let addresses: Vec<u64> = records.iter().map(|r| r["address"].as_u64().unwrap()).collect();
    assert_eq!(addresses, [3, 5]);
    assert_eq!(records[0]["kind"], "modbus_slave");
    assert_eq!(records[0]["answer"], "registers");
    assert_eq!(records[0]["registers"], serde_json::json!([2301, 1234]), "the PZEM's 0.1 V voltage word");
    assert_eq!(records[0]["port"], rig.path());

    rig.slave.raise_exception(0x01, 1);
    let output = sense(&["scan", "--device", &line, "--addresses", "3", "--timeout", "100ms"]);
    let record = &lines(&output.stdout)[0];
    assert_eq!((record["answer"].as_str(), record["exception"].as_u64()), (Some("exception"), Some(1)));
    assert_eq!(record["detail"], "illegal function");

    let output = sense(&["scan", "--device", &line, "--addresses", "10-12", "--timeout", "50ms"]);
    assert_eq!(output.status.code(), Some(1), "nobody there");
    assert!(output.stdout.is_empty());
}

#[test]
fn read_decodes_registers_in_either_word_order() {
    let rig =
        rig(vec![SimDevice::pzem004t(1, &SimValues::sample()), SimDevice::sdm120(2, &SimValues::sample())]);
    let line = rig.uri("baud=9600&timeout=200ms");
    // PZEM energy: u32 at 0x0005, low word first.
    let output = sense(&[
        "read",
        "--device",
        &line,
        "--address",
        "1",
        "--start",
        "0x0005",
        "--type",
        "u32",
        "--word-order",
        "little",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let record = &lines(&output.stdout)[0];
    assert_eq!(record["kind"], "registers");
    assert_eq!(record["registers"], serde_json::json!([12345, 0]));
    assert_eq!(record["value"], 12345.0);
    assert_eq!((record["function"].as_str(), record["start"].as_u64()), (Some("input"), Some(5)));
    // The same words high word first: a different number, as a wrong profile would read.
    let output = sense(&["read", "--device", &line, "--address", "1", "--start", "5", "--type", "u32"]);
    assert_eq!(lines(&output.stdout)[0]["value"], 12345.0 * 65536.0);
    // The SDM120's voltage float, with a scale.
    let output = sense(&[
        "read",
        "--device",
        &line,
        "--address",
        "2",
        "--start",
        "0",
        "--type",
        "f32",
        "--scale",
        "1000",
    ]);
    let value = lines(&output.stdout)[0]["value"].as_f64().unwrap();
    assert!((value - 230_100.0).abs() < 1.0, "{value} mV");
    // Raw holding registers without a type.
    let output = sense(&[
        "read",
        "--device",
        &line,
        "--address",
        "1",
        "--function",
        "holding",
        "--start",
        "1",
        "--count",
        "2",
    ]);
    let record = &lines(&output.stdout)[0];
    assert_eq!(record["registers"].as_array().unwrap().len(), 2);
    assert!(record.get("value").is_none());
    // An unmapped register is the slave's exception, a device error.
    let output = sense(&["read", "--device", &line, "--address", "1", "--start", "0x0100"]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("illegal data address"), "{}", stderr(&output));
}

#[test]
fn bad_devices_and_profiles_are_clear_errors_with_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let check = |output: &Output, needle: &str| {
        assert_eq!(output.status.code(), Some(3), "{needle}: {}", stderr(output));
        assert!(output.stdout.is_empty());
        let err = stderr(output);
        assert!(err.contains(needle), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    };
    check(
        &sense(&["--device", "modbus:/dev/does-not-exist?profile=pzem004t", "--count", "1"]),
        "/dev/does-not-exist: no such device",
    );
    check(&sense(&["--device", "modbus:/dev/ttyUSB0", "--count", "1"]), "profile= is required");
    check(&sense(&["--device", "modbus:/dev/ttyUSB0?profile=pzem005", "--count", "1"]), "pzem005");

    let profile = dir.path().join("broken.toml");
    std::fs::write(&profile, "model = \"half a profile\"\n[quantities.volts\nregister = 0\n").unwrap();
    let device = format!("modbus:/dev/ttyUSB0?profile={}", profile.display());
    check(&sense(&["--device", &device, "--count", "1"]), "broken.toml");

    // A device node the user may not open.
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let node = dir.path().join("ttyUSB9");
    std::fs::write(&node, "").unwrap();
    std::fs::set_permissions(&node, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    let output = as_unprivileged_user(&["--device", &format!("modbus:{}?profile=pzem004t", node.display())]);
    check(&output, "permission denied");
}

/// Runs evlock-sense as an ordinary user: root may open a 0000 file, `nobody` may not.
fn as_unprivileged_user(args: &[&str]) -> Output {
    use std::os::unix::process::CommandExt;
    let mut command = StdCommand::cargo_bin("evlock-sense").unwrap();
    command.env_clear().args(args).args(["--count", "1"]);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        command.uid(65534).gid(65534);
    }
    assert!(Path::new(&assert_cmd::cargo::cargo_bin("evlock-sense")).exists());
    command.output().unwrap()
}

#[test]
fn a_profile_file_describes_a_meter_that_is_not_built_in() {
    // The SDM120's map as a user's own file, through --profile.
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("my-meter.toml");
    let builtin =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/lib/meter/profiles/sdm120.toml"))
            .unwrap();
    std::fs::write(&profile, builtin).unwrap();
    let rig = rig(vec![SimDevice::sdm120(7, &SimValues::sample())]);
    let device = rig.uri("addr=7&baud=9600");
    let output = sense(&[
        "--device",
        &device,
        "--profile",
        profile.to_str().unwrap(),
        "--count",
        "1",
        "--interval",
        "0",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let reading = &lines(&output.stdout)[0];
    assert!(close(&reading["volts"], 230.1, 1e-3), "{reading}");
    assert_eq!(reading["energy_wh"], 12345);

    // --profile is for Modbus meters only; a broken file is exit 3 naming it.
    let output = sense(&["--device", "sim:x", "--profile", profile.to_str().unwrap(), "--count", "1"]);
    assert_eq!(output.status.code(), Some(2));
    std::fs::write(&profile, "[fields.volts]\naddress = \"zero\"\n").unwrap();
    let output = sense(&["--device", &device, "--profile", profile.to_str().unwrap(), "--count", "1"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("my-meter.toml"), "{}", stderr(&output));
}
