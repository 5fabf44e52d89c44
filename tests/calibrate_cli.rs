//! `evlock-calibrate` as a technician runs it: the real binary against the simulator, with a
//! technician keystore made by `evlock-keygen`.

mod common;

use common::lines;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const TECHNICIAN_KEY: &str = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
const OTHER_KEY: &str = "45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8";

struct Bench {
    dir: tempfile::TempDir,
    keystore: String,
    technician: String,
}

fn bench() -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let (keystore, technician) = common::import_key(dir.path(), TECHNICIAN_KEY, "tech");
    Bench { dir, keystore, technician }
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

impl Bench {
    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn calibrate(&self, args: &[&str]) -> std::process::Output {
        Command::cargo_bin("evlock-calibrate")
            .unwrap()
            .env_clear()
            .current_dir(self.path())
            .args(args)
            .output()
            .unwrap()
    }

    /// Commissions `device` (its world's relay, load and reference meter) into `out`.
    fn commission(&self, device: &str, out: &str, extra: &[&str]) -> std::process::Output {
        let world = device.split('?').next().unwrap();
        let reference = format!("{world}?role=reference");
        let mut args = vec!["commission", "--device", device, "--switch", world, "--reference", &reference];
        args.extend_from_slice(&["--key", &self.keystore, "--password-file", "pw", "--clock", "virtual"]);
        args.extend_from_slice(&["--out", out]);
        args.extend_from_slice(extra);
        self.calibrate(&args)
    }

    fn check(&self, device: &str, certificate: &str, extra: &[&str]) -> std::process::Output {
        let world = device.split('?').next().unwrap();
        let reference = format!("{world}?role=reference");
        let mut args = vec!["check", "--certificate", certificate, "--device", device, "--switch", world];
        args.extend_from_slice(&["--reference", &reference, "--clock", "virtual"]);
        args.extend_from_slice(extra);
        self.calibrate(&args)
    }
}

fn summary(records: &[Value]) -> &Value {
    let last = records.last().expect("records");
    assert_eq!(last["step"], "summary", "the summary comes last");
    last
}

#[test]
fn commission_then_check_passes_on_a_healthy_meter() {
    let bench = bench();
    let output = bench.commission("sim:good", "cert.json", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = lines(&output.stdout);
    assert_eq!(records.len(), 5, "zero point, 1 A, 2 A, 5 A, summary");
    for (index, point) in records[..4].iter().enumerate() {
        assert_eq!(point["kind"], "calibration");
        assert_eq!(point["step"], "point");
        assert_eq!(point["point"], index as u64);
        assert_eq!(point["pass"], true, "{point}");
        assert_eq!(point["class"], 1.0);
    }
    assert_eq!(records[0]["load"], "zero");
    assert_eq!(records[0]["limit_amps"], 0.01, "class 1 % of the smallest point, 1 A");
    assert!(records[0].get("error_pct").is_none());
    assert_eq!(
        (records[3]["nominal_amps"].as_f64(), records[3]["reference_amps"].as_f64()),
        (Some(5.0), Some(5.0))
    );
    assert!(records[3]["error_pct"].as_f64().unwrap().abs() < 0.5);
    let done = summary(&records);
    assert_eq!(done["command"], "commission");
    assert_eq!(done["pass"], true);
    assert_eq!(done["technician"], bench.technician);
    assert!((done["gain"].as_f64().unwrap() - 1.0).abs() < 0.005);

    let text = std::fs::read_to_string(bench.path().join("cert.json")).unwrap();
    let certificate: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(certificate["kind"], "calibration_certificate");
    assert_eq!(certificate["technician"], bench.technician);
    assert_eq!(certificate["registers"]["gain"], 1_000_000);
    assert_eq!(certificate["points"].as_array().unwrap().len(), 4);
    let keys: Vec<&str> = certificate.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "kind",
            "v",
            "device",
            "issued",
            "technician",
            "class",
            "zero_limit_amps",
            "method",
            "reference",
            "registers",
            "points",
            "correction",
            "signature"
        ],
        "canonical field order"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(bench.path().join("cert.json")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    let output = bench.check("sim:good", "cert.json", &["--technician", &bench.technician]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = lines(&output.stdout);
    let done = summary(&records);
    assert_eq!(done["command"], "check");
    assert_eq!(done["signature"], "valid");
    assert_eq!(done["registers"], "match");
    assert_eq!(done["reasons"], serde_json::json!([]));
}

#[test]
fn check_fails_on_a_meter_that_drifted_3_percent() {
    let bench = bench();
    assert!(bench.commission("sim:drifty", "cert.json", &[]).status.success());
    let output = bench.check("sim:drifty?drift=3%", "cert.json", &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let records = lines(&output.stdout);
    let done = summary(&records);
    assert_eq!(done["pass"], false);
    assert_eq!(done["failed_points"], serde_json::json!([1, 2, 3]));
    assert_eq!(done["registers"], "match", "drift is not a register change");
    for point in &records[1..4] {
        let error = point["error_pct"].as_f64().unwrap();
        assert!((2.5..3.5).contains(&error), "{point}");
        assert_eq!(point["limit_pct"], 1.0);
        assert_eq!(point["pass"], false);
    }
    assert_eq!(records[0]["pass"], true, "the zero point does not drift");
    // At class 2 a meter 1.5 % off is good enough.
    let output = bench.commission("sim:drifty2?drift=1.5%", "class2.json", &["--class", "2"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn check_fails_on_a_changed_calibration_register() {
    let bench = bench();
    assert!(bench.commission("sim:recal", "cert.json", &[]).status.success());
    let output = bench.check("sim:recal?fault=recal", "cert.json", &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let done = summary(&lines(&output.stdout)).clone();
    assert_eq!(done["registers"], "changed");
    assert_eq!(done["changed_registers"]["gain"]["expected"], 1_000_000);
    assert_eq!(done["changed_registers"]["gain"]["found"], 900_000);
    assert!(done["reasons"][0].as_str().unwrap().contains("registers differ"), "{done}");
    assert!(stderr(&output).contains("registers differ from the certificate's baseline: gain"));
}

#[test]
fn check_fails_on_a_tampered_certificate() {
    let bench = bench();
    assert!(bench.commission("sim:tamper", "cert.json", &[]).status.success());
    let text = std::fs::read_to_string(bench.path().join("cert.json")).unwrap();
    // One byte: the first digit of the 5 A point's measured current.
    let at = text.rfind("\"measured_amps\": ").unwrap() + "\"measured_amps\": ".len();
    let mut bytes = text.clone().into_bytes();
    bytes[at] = if bytes[at] == b'4' { b'5' } else { b'4' };
    std::fs::write(bench.path().join("tampered.json"), &bytes).unwrap();
    let output = bench.check("sim:tamper", "tampered.json", &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(output.stdout.is_empty(), "nothing is measured against a forged certificate");
    let err = stderr(&output);
    assert!(err.contains("tampered.json is not valid") && err.contains("changed after signing"), "{err}");

    // One byte of the signature.
    let at = text.find("\"signature\": \"0x").unwrap() + "\"signature\": \"0x".len() + 7;
    let mut bytes = text.clone().into_bytes();
    bytes[at] = if bytes[at] == b'a' { b'b' } else { b'a' };
    std::fs::write(bench.path().join("badsig.json"), &bytes).unwrap();
    let output = bench.check("sim:tamper", "badsig.json", &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("badsig.json is not valid"), "{}", stderr(&output));
    assert!(output.stdout.is_empty(), "refused before measuring");

    // Signed, but by someone else than the technician the operator trusts.
    let (other_keystore, other) = common::import_key(bench.path(), OTHER_KEY, "other");
    let output = bench.calibrate(&[
        "commission",
        "--device",
        "sim:other",
        "--switch",
        "sim:other",
        "--reference",
        "sim:other?role=reference",
        "--key",
        &other_keystore,
        "--password-file",
        "pw",
        "--clock",
        "virtual",
        "--out",
        "other.json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = bench.check("sim:other", "other.json", &["--technician", &bench.technician]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(&format!("signed by {other}, not by the technician")),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_failed_commissioning_writes_no_certificate() {
    let bench = bench();
    let output = bench.commission("sim:bad?drift=3%", "cert.json", &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(!bench.path().join("cert.json").exists());
    let done = summary(&lines(&output.stdout)).clone();
    assert_eq!(done["pass"], false);
    assert_eq!(done["signature"], "none", "nothing is signed for a meter that failed");
    assert!(done["technician"].as_str().unwrap().starts_with("0x"));
    assert!(
        done["reasons"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().contains("no certificate"))
    );
}

#[test]
fn certificates_are_never_overwritten_without_force() {
    let bench = bench();
    assert!(bench.commission("sim:once", "cert.json", &[]).status.success());
    let before = std::fs::read(bench.path().join("cert.json")).unwrap();
    let output = bench.commission("sim:once", "cert.json", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cert.json exists; give --force"), "{}", stderr(&output));
    assert_eq!(std::fs::read(bench.path().join("cert.json")).unwrap(), before);
    let output = bench.commission("sim:once", "cert.json", &["--force"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_ne!(std::fs::read(bench.path().join("cert.json")).unwrap(), before, "a new issue time at least");
}

#[test]
fn known_loads_instead_of_a_reference_meter() {
    let bench = bench();
    let output = bench.calibrate(&[
        "commission",
        "--device",
        "sim:expect",
        "--switch",
        "sim:expect",
        "--expect",
        "0A,0.5A,3A",
        "--key",
        &bench.keystore,
        "--password-file",
        "pw",
        "--clock",
        "virtual",
        "--samples",
        "8",
        "--out",
        "cert.json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = lines(&output.stdout);
    let nominal: Vec<f64> = records[..3].iter().map(|r| r["reference_amps"].as_f64().unwrap()).collect();
    assert_eq!(nominal, [0.0, 0.5, 3.0]);
    assert_eq!(records[1]["samples"], 8);
    let certificate: Value =
        serde_json::from_str(&std::fs::read_to_string(bench.path().join("cert.json")).unwrap()).unwrap();
    assert_eq!(certificate["method"], "expected");
    assert_eq!(certificate["reference"], Value::Null);
    // The check takes the certificate's load points.
    let output = bench.calibrate(&[
        "check",
        "--certificate",
        "cert.json",
        "--device",
        "sim:expect",
        "--switch",
        "sim:expect",
        "--expect",
        "0.5A,3A",
        "--clock",
        "virtual",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn bad_input_is_refused_clearly() {
    let bench = bench();
    // A wrong password is a key error.
    std::fs::write(bench.path().join("wrong"), "nope\n").unwrap();
    let output = bench.calibrate(&[
        "commission",
        "--device",
        "sim:pw",
        "--switch",
        "sim:pw",
        "--expect",
        "1A,2A",
        "--key",
        &bench.keystore,
        "--password-file",
        "wrong",
        "--out",
        "cert.json",
    ]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(!bench.path().join("cert.json").exists());
    // One load point cannot be fitted.
    let output = bench.commission("sim:one", "cert.json", &["--points", "2A"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("two or more load points"), "{}", stderr(&output));
    // Unknown device scheme, a switch that is not one.
    let output = bench.commission("zigbee:/dev/x", "cert.json", &[]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("unknown device scheme"));
    // A file that is not a certificate.
    std::fs::write(bench.path().join("junk.json"), "{\"kind\":\"reading\"}").unwrap();
    let output = bench.check("sim:junk", "junk.json", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("not a calibration certificate"), "{}", stderr(&output));
    // No reference at all.
    let output =
        bench.calibrate(&["check", "--certificate", "junk.json", "--device", "sim:x", "--switch", "sim:x"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--reference"), "{}", stderr(&output));
}

#[test]
fn report_prints_a_table_and_draws_the_errors() {
    let bench = bench();
    assert!(bench.commission("sim:rep", "cert.json", &[]).status.success());
    let check = bench.check("sim:rep?drift=3%", "cert.json", &[]);
    std::fs::write(bench.path().join("check.ndjson"), &check.stdout).unwrap();
    let output = bench.calibrate(&[
        "report",
        "--certificate",
        "cert.json",
        "--check",
        "check.ndjson",
        "--svg",
        "errors.svg",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(table.contains("signature valid"), "{table}");
    assert!(table.contains(&bench.technician));
    let failed_rows =
        table.lines().filter(|l| l.trim_start().starts_with(char::is_numeric) && l.ends_with("FAIL"));
    assert_eq!(failed_rows.count(), 3, "{table}");
    assert!(table.contains("Check of sim:rep?drift=3%: FAIL"));
    let svg = std::fs::read_to_string(bench.path().join("errors.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<title>checked:").count(), 3);
    assert_eq!(svg.matches("<title>commissioned:").count(), 3);

    // A tampered certificate is reported as such, with exit 1.
    let text = std::fs::read_to_string(bench.path().join("cert.json")).unwrap();
    std::fs::write(bench.path().join("cert.json"), text.replacen("\"class\": 1.0", "\"class\": 5.0", 1))
        .unwrap();
    let output = bench.calibrate(&["report", "--certificate", "cert.json"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("signature INVALID"));
}

#[test]
#[cfg_attr(
    any(target_arch = "arm", target_arch = "aarch64"),
    ignore = "under qemu-user the example script cannot start ARM tools by path (no binfmt_misc); \
              on a board: cargo test -- --include-ignored"
)]
fn the_calibration_example_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = assert_cmd::cargo::cargo_bin("evlock-calibrate");
    let output = std::process::Command::new("bash")
        .arg(root.join("examples/calibrate.sh"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("EVLOCK_BIN", bin.parent().unwrap())
        .output()
        .unwrap();
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(err.contains("done: every step behaved as expected"), "{err}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("Check of sim:bench?drift=3%: FAIL"));
}
