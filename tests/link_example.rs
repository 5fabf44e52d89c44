//! The operator link's examples run end to end against evlock-devnet: the operator's offer and
//! purchase go to the boxes, are signed under each box's policy, submitted, and their receipts
//! come back to the operator; a forbidden transfer is refused on the box. `examples/operator-link.sh`
//! does it over the direct link (mutual TLS to the operator's listener),
//! `examples/mqtt/fleet.sh` through Debian's mosquitto with the shipped configuration.

use std::path::Path;

/// Runs an example script; its stderr and stdout.
fn run(script: &str) -> (String, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = assert_cmd::cargo::cargo_bin("evlock-relay");
    let output = std::process::Command::new("bash")
        .arg(root.join(script))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("EVLOCK_BIN", bin.parent().unwrap())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{err}\n{out}");
    (err, out)
}

/// Both boxes' receipts reached the operator, successful, each with its box as `meta.peer`.
fn assert_receipts(out: &str) {
    let receipts: Vec<serde_json::Value> = out
        .lines()
        .filter(|l| l.starts_with(r#"{"kind":"receipt""#) && l.ends_with('}'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for box_name in ["seller-box", "buyer-box"] {
        assert!(
            receipts.iter().any(|r| r["meta"]["peer"]["name"] == box_name && r["status"] == "success"),
            "no receipt from {box_name}: {out}"
        );
    }
    assert!(out.contains(r#""state":"bought""#), "{out}");
}

#[test]
fn the_operator_link_example_runs() {
    let (err, out) = run("examples/operator-link.sh");
    assert!(
        err.contains("done: the offer and the purchase went operator -> box -> chain -> operator"),
        "{err}"
    );
    assert!(err.contains(r#""code":"policy_denied""#), "{err}");
    assert_receipts(&out);
}

#[test]
fn the_fleet_example_runs_through_mosquitto() {
    let (err, out) = run("examples/mqtt/fleet.sh");
    assert!(err.contains("broker at mqtts://127.0.0.1:"), "{err}");
    assert!(
        err.contains(
            "done: the offer and the purchase went operator -> broker -> box -> chain -> broker -> operator"
        ),
        "{err}"
    );
    assert!(err.contains(r#""code":"policy_denied""#), "{err}");
    assert_receipts(&out);
}
