//! The committed contract artifacts (the product's and the test-only contracts' in
//! `contracts/test/`) are what the pinned solc makes of their sources, and the example policies
//! name the contract's real function selectors.

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
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut sources =
        vec!["contracts/EnergyMarket.sol".to_string(), "contracts/EnergyMarketV2.sol".to_string()];
    sources.extend(test_contract_sources(root));
    assert!(sources.len() >= 2, "the test contracts in contracts/test are found: {sources:?}");
    for source_path in &sources {
        let artifact_path = source_path.replace(".sol", ".json");
        assert!(
            stdout.contains(&format!("{artifact_path} matches")),
            "--check covered {artifact_path}: {stdout}"
        );
        let artifact: Value =
            serde_json::from_slice(&std::fs::read(root.join(&artifact_path)).unwrap()).unwrap();
        let source = std::fs::read(root.join(source_path)).unwrap();
        assert_eq!(artifact["source"], source_path.as_str());
        assert_eq!(
            artifact["source_sha256"],
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&source)),
            "{artifact_path}"
        );
        assert!(artifact["compiler"]["version"].as_str().unwrap().starts_with("0.8.37+"));
        assert!(artifact["bytecode"].as_str().unwrap().len() > 2, "{artifact_path} has init code");
    }
}

#[test]
fn the_v2_artifact_lists_the_pinned_library_files_it_was_built_from() {
    if !common::node_ready() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let artifact: Value =
        serde_json::from_slice(&std::fs::read(root.join("contracts/EnergyMarketV2.json")).unwrap()).unwrap();
    let package: Value =
        serde_json::from_slice(&std::fs::read(root.join("tests/js/package.json")).unwrap()).unwrap();
    let pinned = package["dependencies"]["@openzeppelin/contracts"].as_str().unwrap();
    let imports = artifact["imports"].as_array().expect("the v2 artifact lists its imports");
    let paths: Vec<&str> = imports.iter().map(|i| i["path"].as_str().unwrap()).collect();
    for needed in [
        "@openzeppelin/contracts/utils/cryptography/ECDSA.sol",
        "@openzeppelin/contracts/utils/cryptography/EIP712.sol",
    ] {
        assert!(paths.contains(&needed), "{needed} in {paths:?}");
    }
    for import in imports {
        let path = import["path"].as_str().unwrap();
        assert_eq!(import["package"], format!("@openzeppelin/contracts@{pinned}"), "{path}");
        let file = std::fs::read(root.join("tests/js/node_modules").join(path)).unwrap();
        assert_eq!(import["sha256"], hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&file)), "{path}");
    }
    assert!(artifact.get("imports").is_some() && !imports.is_empty());
}

/// `contracts/test/*.sol`, as repository-relative paths.
fn test_contract_sources(root: &Path) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(root.join("contracts/test"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sol"))
        .map(|name| format!("contracts/test/{name}"))
        .collect();
    found.sort();
    found
}

/// A copy of the contracts and the compile script, to break on purpose; the npm packages are
/// linked, not copied.
fn scratch_tree(root: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tests/js")).unwrap();
    std::fs::create_dir_all(dir.path().join("contracts/test")).unwrap();
    std::fs::copy(
        root.join("tests/js/compile-contract.mjs"),
        dir.path().join("tests/js/compile-contract.mjs"),
    )
    .unwrap();
    std::os::unix::fs::symlink(root.join("tests/js/node_modules"), dir.path().join("tests/js/node_modules"))
        .unwrap();
    for name in ["EnergyMarket.sol", "EnergyMarket.json", "EnergyMarketV2.sol", "EnergyMarketV2.json"] {
        std::fs::copy(root.join("contracts").join(name), dir.path().join("contracts").join(name)).unwrap();
    }
    for source in test_contract_sources(root) {
        for path in [source.clone(), source.replace(".sol", ".json")] {
            std::fs::copy(root.join(&path), dir.path().join(&path)).unwrap();
        }
    }
    dir
}

fn check_in(dir: &Path) -> std::process::Output {
    std::process::Command::new("node")
        .args(["tests/js/compile-contract.mjs", "--check"])
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn the_drift_check_catches_a_stale_or_orphaned_test_contract_artifact() {
    if !common::node_ready() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = scratch_tree(root);
    assert!(check_in(dir.path()).status.success(), "the untouched copy passes");

    // The source changes but its artifact is not rebuilt.
    let source = dir.path().join("contracts/test/ReentrantWithdrawer.sol");
    let text = std::fs::read_to_string(&source).unwrap();
    std::fs::write(&source, text.replace("maxDepth_;", "maxDepth_ + 1;")).unwrap();
    let output = check_in(dir.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("contracts/test/ReentrantWithdrawer.json differs"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(&source, text).unwrap();

    // An artifact whose source was deleted.
    std::fs::write(dir.path().join("contracts/test/Gone.json"), "{}\n").unwrap();
    let output = check_in(dir.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("contracts/test/Gone.json has no source"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
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
