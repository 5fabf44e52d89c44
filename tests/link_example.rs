//! `examples/operator-link.sh` runs end to end against evlock-devnet: the operator's offer and
//! purchase go to the boxes over mutual TLS, are signed under each box's policy, submitted,
//! and their receipts come back to the operator's listener; a forbidden transfer is refused on
//! the box.

use std::path::Path;

#[test]
fn the_operator_link_example_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = assert_cmd::cargo::cargo_bin("evlock-relay");
    let output = std::process::Command::new("bash")
        .arg(root.join("examples/operator-link.sh"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("EVLOCK_BIN", bin.parent().unwrap())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{err}\n{out}");
    assert!(
        err.contains("done: the offer and the purchase went operator -> box -> chain -> operator"),
        "{err}"
    );
    assert!(err.contains(r#""code":"policy_denied""#), "{err}");
    let receipts: Vec<serde_json::Value> = out
        .lines()
        .filter(|l| l.starts_with(r#"{"kind":"receipt""#) && l.ends_with('}'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        receipts.iter().any(|r| r["meta"]["peer"]["name"] == "seller-box" && r["status"] == "success"),
        "{out}"
    );
    assert!(
        receipts.iter().any(|r| r["meta"]["peer"]["name"] == "buyer-box" && r["status"] == "success"),
        "{out}"
    );
    assert!(out.contains(r#""state":"bought""#), "{out}");
}
