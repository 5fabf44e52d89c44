//! The committed contract artifact is what the pinned solc makes of the source, and the
//! example policies name the contract's real function selectors.

mod common;

use std::path::Path;

use alloy_primitives::keccak256;
use serde_json::Value;

#[test]
fn the_artifact_matches_a_fresh_compile_with_the_pinned_solc() {
    if !common::node_ready() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = std::process::Command::new("node")
        .args(["tests/js/compile-contract.mjs", "--check"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let artifact: Value =
        serde_json::from_slice(&std::fs::read(root.join("contracts/EnergyMarket.json")).unwrap()).unwrap();
    let source = std::fs::read(root.join("contracts/EnergyMarket.sol")).unwrap();
    assert_eq!(artifact["source_sha256"], hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&source)));
    assert!(artifact["compiler"]["version"].as_str().unwrap().starts_with("0.8.37+"));
}

#[test]
fn the_meter_policy_allows_exactly_report() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let policy = std::fs::read_to_string(root.join("examples/policies/meter.toml")).unwrap();
    let selector = format!("0x{}", hex::encode(&keccak256("report(uint256,uint256)")[..4]));
    assert!(policy.contains(&format!("selectors = [\"{selector}\"]")), "meter.toml should allow {selector}");
    let artifact: Value =
        serde_json::from_slice(&std::fs::read(root.join("contracts/EnergyMarket.json")).unwrap()).unwrap();
    let report = artifact["abi"].as_array().unwrap().iter().find(|f| f["name"] == "report").unwrap();
    let inputs: Vec<_> =
        report["inputs"].as_array().unwrap().iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(inputs, ["uint256", "uint256"]);
}
