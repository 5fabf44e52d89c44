//! `evlock-sense` as a user runs it: the real binary against the simulator (and, for bad
//! devices, against real files), on the virtual clock unless a test is about the wall clock.

mod common;

use common::lines;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

const TECHNICIAN_KEY: &str = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";

fn sense(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("evlock-sense").unwrap().env_clear().current_dir(dir).args(args).output().unwrap()
}

fn of_kind<'a>(records: &'a [Value], kind: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["kind"] == kind).collect()
}

/// `(seq, code)` of every alarm record.
fn alarms(records: &[Value]) -> Vec<(u64, String)> {
    of_kind(records, "alarm")
        .iter()
        .map(|a| (a["seq"].as_u64().unwrap(), a["code"].as_str().unwrap().to_string()))
        .collect()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs 40 one-second readings of `device` on the virtual clock with `--fail-on-alarm`.
fn run_fault(device: &str, extra: &[&str]) -> (std::process::Output, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["--device", device, "--clock", "virtual", "--interval", "1s", "--count", "40"];
    args.extend_from_slice(&["--fail-on-alarm"]);
    args.extend_from_slice(extra);
    let output = sense(dir.path(), &args);
    let records = lines(&output.stdout);
    (output, records)
}

#[test]
fn every_simulated_fault_raises_its_alarm_at_its_reading() {
    // (device, extra options, the one alarm expected, at which reading)
    let cases: &[(&str, &[&str], &str, u64)] = &[
        ("sim:f-sleep?fault=sleep@20s", &["--switch", "sim:f-sleep"], "shutdown", 20),
        ("sim:f-recal?fault=recal@20s", &["--switch", "sim:f-recal"], "recalibrated", 20),
        ("sim:f-reset?fault=reset@20s", &["--switch", "sim:f-reset"], "energy_reset", 20),
        // The 20th reading is the first repeat of the 19th; the 5th repeat is reading 24.
        ("sim:f-freeze?fault=freeze@20s", &["--switch", "sim:f-freeze", "--frozen-after", "5"], "frozen", 24),
        (
            "sim:f-rewire?switch=open&fault=rewire@20s",
            &["--switch", "sim:f-rewire"],
            "current_while_open",
            20,
        ),
        (
            "sim:f-nocurrent?fault=nocurrent@20s",
            &["--switch", "sim:f-nocurrent", "--min-current", "0.5A"],
            "no_current_while_closed",
            20,
        ),
        ("sim:f-spike?fault=spike@20s", &["--switch", "sim:f-spike"], "out_of_range", 20),
        (
            "sim:f-disconnect?fault=disconnect@20s",
            &["--switch", "sim:f-disconnect", "--give-up-after", "0"],
            "device_silent",
            20,
        ),
    ];
    for (device, extra, code, seq) in cases {
        let (output, records) = run_fault(device, extra);
        assert_eq!(output.status.code(), Some(1), "{device}: --fail-on-alarm exits 1; {}", stderr(&output));
        assert_eq!(alarms(&records), vec![(*seq, code.to_string())], "{device}");
        let alarm = of_kind(&records, "alarm")[0];
        assert_eq!(alarm["device"], *device);
        assert_eq!(alarm["time"], format!("2025-01-01T00:00:{seq:02}.000Z"));
        assert!(!alarm["message"].as_str().unwrap().is_empty());
        let readings = of_kind(&records, "reading");
        if *code == "device_silent" {
            // No reading once the device stopped answering; the stream went on to the count.
            assert_eq!(readings.len(), 20, "{device}");
            assert!(stderr(&output).contains("no answer within"), "{}", stderr(&output));
            assert!(
                of_kind(&records, "alarm")[0]["message"].as_str().unwrap().contains("no answer within 1s")
            );
        } else {
            assert_eq!(readings.len(), 40, "{device}");
            let raising = readings.iter().find(|r| r["seq"] == *seq).unwrap();
            assert_eq!(raising["health"]["ok"], false, "{device}");
            assert_eq!(raising["health"]["alarms"], serde_json::json!([code]), "{device}");
            // Each alarm follows the readings before it and precedes its own reading.
            let position =
                |kind: &str| records.iter().position(|r| r["kind"] == kind && r["seq"] == *seq).unwrap();
            assert_eq!(position("alarm") + 1, position("reading"), "{device}");
        }
    }
}

#[test]
fn faults_through_the_real_ina228_driver_raise_their_alarms() {
    // mode=ina228: the INA228 driver reads a register-level model of the chip.
    let cases: &[(&str, &str, u64)] = &[
        ("sim:i-sleep?mode=ina228&fault=sleep@20s", "shutdown", 20),
        ("sim:i-recal?mode=ina228&fault=recal@20s", "recalibrated", 20),
        ("sim:i-reset?mode=ina228&fault=reset@20s", "energy_reset", 20),
        // The chip stops flagging new conversions: stalled, which explains the repeats.
        ("sim:i-freeze?mode=ina228&fault=freeze@20s", "not_converting", 21),
        ("sim:i-spike?mode=ina228&fault=spike@20s", "out_of_range", 20),
    ];
    for (device, code, seq) in cases {
        let (output, records) = run_fault(device, &["--frozen-after", "5"]);
        assert_eq!(output.status.code(), Some(1), "{device}: {}", stderr(&output));
        assert_eq!(alarms(&records), vec![(*seq, code.to_string())], "{device}");
    }
    let (output, records) = run_fault("sim:i-sleep2?mode=ina228&fault=sleep@20s", &[]);
    assert_eq!(output.status.code(), Some(1));
    let alarm = of_kind(&records, "alarm")[0];
    assert_eq!(alarm["code"], "shutdown", "ADC_CONFIG's mode bits changing is not a recalibration");
    let dir = tempfile::tempdir().unwrap();
    let output = sense(
        dir.path(),
        &["--device", "sim:i-clean?mode=ina228", "--clock", "virtual", "--count", "2000", "--fail-on-alarm"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(alarms(&lines(&output.stdout)).is_empty());
}

#[test]
fn a_silent_device_is_reported_once_per_outage_and_given_up_on() {
    let (output, records) = run_fault("sim:quiet?fault=disconnect@5s", &["--give-up-after", "0"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(alarms(&records), vec![(5, "device_silent".to_string())]);
    let alarm = of_kind(&records, "alarm")[0];
    assert_eq!(alarm["details"]["error"], "device_timeout");
    assert_eq!(stderr(&output).lines().filter(|l| l.contains("no answer")).count(), 1, "{}", stderr(&output));

    // By default the tool gives up after 10 failed reads in a row: a device error.
    let (output, records) = run_fault("sim:gone?fault=disconnect@5s", &[]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(alarms(&records), vec![(5, "device_silent".to_string())]);
    assert_eq!(of_kind(&records, "reading").len(), 5);
    let err = stderr(&output);
    assert!(err.contains("the device failed 10 reads in a row; giving up"), "{err}");
    assert!(err.contains("caused by: sim:gone?fault=disconnect@5s: no answer within 1s"), "{err}");
}

#[test]
fn conditions_keep_readings_unhealthy_but_alarm_once() {
    let (output, records) = run_fault("sim:still-asleep?fault=sleep@10s", &[]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(alarms(&records), vec![(10, "shutdown".to_string())]);
    let readings = of_kind(&records, "reading");
    assert!(readings.len() > 10, "readings before and after the sleep: {}", readings.len());
    for reading in &readings {
        let seq = reading["seq"].as_u64().unwrap();
        assert_eq!(reading["health"]["ok"], seq < 10, "seq {seq}: ok while in shutdown?");
        assert_eq!(reading["state"], if seq < 10 { "converting" } else { "shutdown" });
    }
    // A spike is over after one reading: the next one is healthy again.
    let (_, records) = run_fault("sim:spiky?fault=spike@5s", &[]);
    let readings = of_kind(&records, "reading");
    assert_eq!(readings[5]["health"]["ok"], false);
    assert_eq!(readings[6]["health"]["ok"], true);
}

#[test]
fn without_fail_on_alarm_alarms_do_not_change_the_exit_code_and_stop_on_alarm_stops() {
    let dir = tempfile::tempdir().unwrap();
    let base = ["--clock", "virtual", "--count", "40"];
    let output = sense(dir.path(), &[&["--device", "sim:noexit?fault=reset@7s"][..], &base].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(alarms(&lines(&output.stdout)), vec![(7, "energy_reset".to_string())]);

    let output = sense(
        dir.path(),
        &[&["--device", "sim:stops?fault=reset@7s", "--stop-on-alarm"][..], &base].concat(),
    );
    assert_eq!(output.status.code(), Some(1));
    let records = lines(&output.stdout);
    let last = records.last().unwrap();
    assert_eq!(
        (last["kind"].as_str(), last["seq"].as_u64()),
        (Some("reading"), Some(7)),
        "stops after the alarm's reading"
    );
}

#[test]
fn a_clean_simulator_raises_no_alarm_in_10000_readings() {
    let dir = tempfile::tempdir().unwrap();
    let output = sense(
        dir.path(),
        &[
            "--device",
            "sim:clean",
            "--switch",
            "sim:clean",
            "--min-current",
            "0.5A",
            "--clock",
            "virtual",
            "--interval",
            "1s",
            "--count",
            "10000",
            "--fail-on-alarm",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = lines(&output.stdout);
    assert_eq!(records.len(), 10_000);
    assert!(alarms(&records).is_empty());
    for (seq, reading) in records.iter().enumerate() {
        assert_eq!(reading["kind"], "reading");
        assert_eq!(reading["seq"], seq as u64);
        assert_eq!(reading["health"]["ok"], true);
        assert_eq!(reading["switch"], "closed");
    }
    // 2 A at 12.8 V (sagging slowly) for 9999 s: about 71 Wh, counted in mWh.
    let last = records.last().unwrap();
    assert_eq!(last["time"], "2025-01-01T02:46:39.000Z");
    let mwh = last["energy_mwh"].as_u64().unwrap();
    assert!((69_000..72_000).contains(&mwh), "{mwh} mWh");
    assert_eq!(last["energy_wh"].as_u64().unwrap(), mwh / 1000);
}

#[test]
fn clean_solar_and_open_relays_raise_nothing_either() {
    for (device, switch) in [("sim:sun?kind=solar", "sim:sun"), ("sim:idle?switch=open", "sim:idle")] {
        let dir = tempfile::tempdir().unwrap();
        let output = sense(
            dir.path(),
            &[
                "--device",
                device,
                "--switch",
                switch,
                "--clock",
                "virtual",
                "--count",
                "3000",
                "--fail-on-alarm",
            ],
        );
        assert_eq!(output.status.code(), Some(0), "{device}: {}", stderr(&output));
        assert!(alarms(&lines(&output.stdout)).is_empty(), "{device}");
    }
}

#[test]
fn an_acs712_with_a_stuck_adc_and_a_moved_zero() {
    // The real ACS712 driver on a fake IIO sysfs tree: 1 mV per code, the paper's 1650 mV zero.
    let dir = tempfile::tempdir().unwrap();
    let adc = dir.path().join("iio:device0");
    std::fs::create_dir(&adc).unwrap();
    std::fs::write(adc.join("in_voltage0_scale"), "1\n").unwrap();
    // 25 mV above the zero, reading after reading: 0.135 A with the relay open.
    std::fs::write(adc.join("in_voltage0_raw"), "1675\n").unwrap();
    let device = format!("iio-acs712:{}?channel=0&mv_per_amp=185&offset_mv=1650&bus_volts=12", adc.display());
    let output = sense(
        dir.path(),
        &[
            "--device",
            &device,
            "--switch",
            "sim:acs-relay?switch=open",
            "--clock",
            "virtual",
            "--count",
            "12",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = lines(&output.stdout);
    // Eight identical codes (readings 0–7); ten open-relay readings averaging 25 mV off zero.
    assert_eq!(alarms(&records), vec![(7, "adc_stuck".to_string()), (9, "zero_drift".to_string())]);
    let drift = of_kind(&records, "alarm")[1];
    assert!(drift["message"].as_str().unwrap().contains("from 1650 mV to about 1675.0 mV"), "{drift}");
    assert_eq!(of_kind(&records, "reading")[0]["switch"], "open");
}

#[test]
fn self_test_writes_one_record_per_check() {
    let dir = tempfile::tempdir().unwrap();
    let output = sense(dir.path(), &["--device", "sim:st", "--self-test"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = lines(&output.stdout);
    assert!(records.len() >= 2);
    for record in &records {
        assert_eq!(record["kind"], "self_test");
        assert_eq!(record["device"], "sim:st");
        assert_eq!(record["pass"], true, "{record}");
    }
    // A recalibrated gain is 10 % off: outside the self-test's range.
    let output = sense(dir.path(), &["--device", "sim:st-bad?fault=recal", "--self-test"]);
    assert_eq!(output.status.code(), Some(1));
    let failed: Vec<Value> = lines(&output.stdout).into_iter().filter(|r| r["pass"] == false).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["name"], "gain_range");
}

/// Commissions `sim:NAME` with a light technician keystore in `dir`; returns the certificate
/// path and the technician's address.
fn commission(dir: &Path, name: &str) -> (String, String) {
    let (keystore, address) = common::import_key(dir, TECHNICIAN_KEY, "tech");
    let reference = format!("sim:{name}?role=reference");
    let device = format!("sim:{name}");
    let output = Command::cargo_bin("evlock-calibrate")
        .unwrap()
        .env_clear()
        .current_dir(dir)
        .args(["commission", "--device", &device, "--switch", &device, "--reference", &reference])
        .args(["--key", &keystore, "--password-file", "pw", "--clock", "virtual", "--out", "cert.json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    ("cert.json".into(), address)
}

#[test]
fn a_certificate_corrects_readings_and_sets_the_register_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let (certificate, technician) = commission(dir.path(), "cert-bench");
    let text = std::fs::read_to_string(dir.path().join(&certificate)).unwrap();
    let cert: Value = serde_json::from_str(&text).unwrap();
    let (gain, offset) =
        (cert["correction"]["gain"].as_f64().unwrap(), cert["correction"]["offset_amps"].as_f64().unwrap());

    let run = |device: &str, extra: &[&str]| {
        let mut args = vec!["--device", device, "--clock", "virtual", "--count", "20", "--fail-on-alarm"];
        args.extend_from_slice(extra);
        let output = sense(dir.path(), &args);
        (output.status.code(), lines(&output.stdout), stderr(&output))
    };
    let (raw_code, raw, _) = run("sim:cert-meter", &[]);
    let (code, corrected, err) =
        run("sim:cert-meter", &["--certificate", &certificate, "--technician", &technician]);
    assert_eq!((raw_code, code), (Some(0), Some(0)), "{err}");
    assert_eq!((raw.len(), corrected.len()), (20, 20));
    for (r, c) in raw.iter().zip(&corrected) {
        let (raw_amps, amps) = (r["amps"].as_f64().unwrap(), c["amps"].as_f64().unwrap());
        assert!((amps - (gain * raw_amps + offset)).abs() < 2e-6, "{raw_amps} → {amps}");
        assert_eq!(r["energy_mwh"], c["energy_mwh"], "energy comes from the device, uncorrected");
    }

    // A meter recalibrated before the session: the certificate's baseline catches it at once.
    let (code, records, _) = run("sim:cert-recal?fault=recal", &["--certificate", &certificate]);
    assert_eq!(code, Some(1));
    assert_eq!(alarms(&records), vec![(0, "recalibrated".to_string())]);
    let alarm = of_kind(&records, "alarm")[0];
    assert_eq!(alarm["details"]["gain"]["expected"], 1_000_000);
    assert_eq!(alarm["details"]["gain"]["found"], 900_000);

    // Without the certificate the first reading is the baseline: nothing to compare against.
    let (code, _, _) = run("sim:cert-recal2?fault=recal", &[]);
    assert_eq!(code, Some(0));

    // A tampered certificate stops evlock-sense before it reads anything.
    std::fs::write(dir.path().join("forged.json"), text.replacen("\"gain\": 1000000", "\"gain\": 900000", 1))
        .unwrap();
    let (code, records, err) = run("sim:cert-meter", &["--certificate", "forged.json"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(records.is_empty());
    assert!(err.contains("changed after signing"), "{err}");
    let (code, _, err) = run(
        "sim:cert-meter",
        &["--certificate", &certificate, "--technician", "0x0000000000000000000000000000000000000001"],
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("not by the technician"), "{err}");
}

#[test]
fn bad_devices_are_clear_errors_with_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    for (device, needle) in [
        ("zigbee:/dev/x", "unknown device scheme \"zigbee\""),
        ("sim:bad?fault=melt@3s", "unknown fault \"melt\""),
        ("sim:bad?noise=lots", "noise=lots"),
        ("gpio:/dev/gpiochip0?line=17", "names a relay switch, not a meter"),
    ] {
        let output = sense(dir.path(), &["--device", device, "--count", "1"]);
        assert_eq!(output.status.code(), Some(3), "{device}: {}", stderr(&output));
        assert!(output.stdout.is_empty());
        let err = stderr(&output);
        assert!(err.contains("evlock-sense: error:") && err.contains(needle), "{device}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let output = sense(dir.path(), &["--device", "sim:ok", "--switch", "zigbee:/x", "--count", "1"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let output = sense(dir.path(), &["--device", "sim:ok", "--interval", "often"]);
    assert_eq!(output.status.code(), Some(2), "a bad option is a usage error");
    let output = sense(dir.path(), &["--device", "sim:ok", "--certificate", "missing.json"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("missing.json"));
}

#[test]
fn ctrl_c_flushes_and_exits_130() {
    let mut child = StdCommand::cargo_bin("evlock-sense")
        .unwrap()
        .env_clear()
        .args(["--device", "sim:ctrlc", "--interval", "20ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = Vec::new();
    for _ in 0..3 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        seen.push(line);
    }
    // SAFETY: a plain kill(2) of our own child.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    seen.extend(rest.lines().map(|l| format!("{l}\n")));
    for (seq, line) in seen.iter().enumerate() {
        let record: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("a cut line? {e}: {line}"));
        assert_eq!(record["seq"], seq as u64);
    }
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let mut child = StdCommand::cargo_bin("evlock-sense")
        .unwrap()
        .env_clear()
        .args(["--device", "sim:pipe", "--interval", "0", "--clock", "virtual"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(output.stderr.is_empty(), "{}", stderr(&output));
}

#[test]
#[cfg_attr(
    any(target_arch = "arm", target_arch = "aarch64"),
    ignore = "timing under qemu-user: the first reading is stamped after its slow first \
              (untranslated) read, so readings 0 and 4, due 400 ms apart, are stamped ~397 ms apart"
)]
fn the_wall_clock_keeps_the_interval() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let output = sense(dir.path(), &["--device", "sim:wall", "--interval", "100ms", "--count", "5"]);
    let took = started.elapsed();
    assert!(output.status.success(), "{}", stderr(&output));
    // Reading 4 is due 400 ms after reading 0: the run cannot be shorter.
    assert!(took >= Duration::from_millis(400), "{took:?}");
    let times: Vec<Duration> = lines(&output.stdout)
        .iter()
        .map(|r| {
            let time = humantime::parse_rfc3339(r["time"].as_str().unwrap()).unwrap();
            time.duration_since(std::time::UNIX_EPOCH).unwrap()
        })
        .collect();
    assert!(times[4] - times[0] >= Duration::from_millis(400), "{times:?}");
}
