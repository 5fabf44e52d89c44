//! The README's trade tour, run as written: every ```` ```sh ```` block between the tour's
//! markers, in order, as one bash script in an empty folder, with the freshly built tools on
//! the `PATH` and a real `evlock-devnet` started by the tour itself. A tour that no longer
//! matches the tools fails here.

mod common;

use std::path::Path;
use std::process::Command;

use common::lines;
use serde_json::Value;

const BEGIN: &str = "<!-- tour:";
const END: &str = "<!-- end of the tour -->";

/// The shell blocks of the tour, in order.
fn tour_blocks(readme: &str) -> Vec<String> {
    let start = readme.find(BEGIN).expect("the README marks the start of its tour");
    let end = readme[start..].find(END).map(|at| start + at).expect("the README marks the end of its tour");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme[start..end].lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), text) => {
                block.push_str(text);
                block.push('\n');
            }
            (None, text) => {
                assert!(!text.starts_with("```"), "a code block in the tour that is not `sh`: {text}");
            }
        }
    }
    assert!(current.is_none(), "an unclosed code block in the tour");
    blocks
}

#[test]
fn the_readme_tour_runs_as_written() {
    assert!(
        Command::new("jq").arg("--version").output().is_ok(),
        "the README's tour uses jq: apt-get install jq"
    );
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let blocks = tour_blocks(&readme);
    assert!(blocks.len() >= 5, "the tour has {} blocks", blocks.len());

    // The tour's own lines, with a stop for the chain it starts in the background in case a
    // block fails before the tour stops it.
    let mut script = String::from("set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n");
    for block in &blocks {
        script.push_str(block);
    }
    let dir = tempfile::tempdir().unwrap();
    let tools = Path::new(common::bin("evlock-sign")).parent().unwrap().to_owned();
    let path = format!("{}:{}", tools.display(), std::env::var("PATH").unwrap_or_default());
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &script])
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir.path())
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the README's tour failed ({}):\n{stderr}", output.status);

    // Everything the tour printed is records: every transaction succeeded, the trade settled
    // with all of its energy, and the seller's pay was withdrawn.
    let records: Vec<Value> = lines(&output.stdout);
    let receipts: Vec<&Value> = records.iter().filter(|r| r["kind"] == "receipt").collect();
    assert!(receipts.len() >= 8, "{} receipts: {records:?}", receipts.len());
    assert!(receipts.iter().all(|r| r["status"] == "success"), "{receipts:?}");
    let trade = records
        .iter()
        .rev()
        .find(|r| r["kind"] == "status" && r["what"] == "trade")
        .unwrap_or_else(|| panic!("no trade status in {records:?}"));
    assert_eq!(trade["fields"]["state"], "settled", "{trade}");
    assert_eq!(trade["fields"]["delivered_wh"], "50", "{trade}");
    let events: Vec<&str> =
        records.iter().filter(|r| r["kind"] == "event").filter_map(|r| r["event"].as_str()).collect();
    for event in ["OfferCreated", "TradeOpened", "Reported", "TradeSettled", "Withdrawn"] {
        assert!(events.contains(&event), "no {event} among {events:?}");
    }
    // The chain was stopped by the tour and its state kept.
    assert!(dir.path().join("chain.ndjson").exists());
}
