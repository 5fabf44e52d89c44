//! The operator link's examples run end to end against evlock-devnet: the operator's offer and
//! purchase go to the boxes, are signed under each box's policy, submitted, and their receipts
//! come back to the operator; a forbidden transfer is refused on the box. `examples/operator-link.sh`
//! does it over the direct link (mutual TLS to the operator's listener),
//! `examples/mqtt/fleet.sh` through Debian's mosquitto with the shipped configuration.
//! `examples/trade.sh`, the whole system (the link, commissioned meters with role-based keys
//! on SoftHSM2, receipts both ways, one-transaction settlement), runs with each of its attacks
//! and shows each caught; on Ctrl-C it stops every process it started and removes its folder.

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

/// `examples/trade.sh ARGS` on the debug binaries, its temp folder made under `tmp`: its exit
/// code and stderr (the script's story and summary).
fn demo(args: &[&str], tmp: &Path) -> (Option<i32>, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = assert_cmd::cargo::cargo_bin("evlock-trade");
    let output = std::process::Command::new("bash")
        .arg(root.join("examples/trade.sh"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("EVLOCK_BIN", bin.parent().unwrap())
        .env("TMPDIR", tmp)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Where the demo keeps the meters' keys: on SoftHSM2 tokens where it is installed (CI installs
/// it), else in keystores, which only `EVLOCK_SKIP_SOFTHSM_TESTS=1` accepts.
fn meter_keys() -> &'static str {
    let on_path = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("softhsm2-util").is_file()));
    if on_path && Path::new("/usr/lib/softhsm/libsofthsm2.so").is_file() {
        return "SoftHSM2: each meter's key was made on its own PKCS#11 token";
    }
    assert_eq!(
        std::env::var("EVLOCK_SKIP_SOFTHSM_TESTS").as_deref(),
        Ok("1"),
        "the demo keeps the meters' keys on SoftHSM2: apt-get install softhsm2 (.ci/run does it)"
    );
    "the meters' keys are keystores"
}

/// What each run must say: the honest trade's summary, and each attack's verdicts.
fn expected(attack: Option<&str>) -> (usize, Vec<&'static str>) {
    match attack {
        None => (
            0,
            vec![
                meter_keys(),
                "both boxes connected",
                "the seller's box holds the buyer meter's receipts up to 50 Wh",
                "trade 1: settled: 50 Wh offered, 50 Wh delivered (seller's meter 50 Wh on chain, buyer's 50 Wh)",
                "settled by the seller meter's session: 1 transaction(s)",
                "paid to the seller: 100 ston · refunded to the buyer: 0 ston",
                "credits: seller 1, buyer 1",
                "the operator paid 0.00",
                "done: the whole system ran",
            ],
        ),
        Some("recal") => (
            2,
            vec![
                "the calibration check fails against the certificate's register baseline",
                "raised 'recalibrated'",
            ],
        ),
        Some("sleep") => (1, vec!["the meter's health check raised 'shutdown'", "trade 1: delivering"]),
        Some("rewire") => {
            (2, vec!["'divergence'", "waiting until block", "settled for what the buyer's meter signed"])
        }
        Some("mitm") => (
            2,
            vec![
                "the operator's certificate is not issued by a trusted CA",
                "it is not issued by its client CA",
                "the forged receipt reached no one",
            ],
        ),
        Some("replay") => (
            2,
            vec![
                "the replayed withdraw paid nothing",
                "receipt_signer_mismatch",
                "trade 2: delivering: 50 Wh offered, 0 Wh delivered",
            ],
        ),
        Some("silent-buyer") => (
            2,
            vec![
                "CAUGHT: 'counterparty_silent'",
                "waiting until block",
                "trade 1: settled: 50 Wh offered, 10 Wh delivered (seller's meter 30 Wh on chain, buyer's 10 Wh)",
                "paid to the seller: 20 ston · refunded to the buyer: 80 ston",
            ],
        ),
        Some("stolen-key") => (
            3,
            vec![
                "ErrInvalidAccountKey",
                "left out: signed by",
                "the new key's receipts settled trade 1 complete",
            ],
        ),
        Some(other) => panic!("no expectations for {other}"),
    }
}

#[test]
fn the_whole_system_demo_runs_and_catches_every_attack() {
    let attacks = [None, Some("recal"), Some("sleep"), Some("rewire"), Some("mitm"), Some("replay")]
        .into_iter()
        .chain([Some("silent-buyer"), Some("stolen-key")]);
    // The runs are independent (each its own chain, link and folder on free ports): at once.
    let runs: Vec<_> = attacks
        .map(|attack| {
            std::thread::spawn(move || {
                let tmp = tempfile::tempdir().unwrap();
                let args: Vec<&str> = attack.map(|a| vec!["--attack", a]).unwrap_or_default();
                let (code, err) = demo(&args, tmp.path());
                let left: Vec<_> =
                    std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().path()).collect();
                (attack, code, err, left)
            })
        })
        .collect();
    for run in runs {
        let (attack, code, err, left) = run.join().unwrap();
        let name = attack.unwrap_or("the honest trade");
        assert_eq!(code, Some(0), "{name}:\n{err}");
        assert!(left.is_empty(), "{name} left {left:?} behind");
        let (caught, says) = expected(attack);
        assert!(!err.contains("NOT CAUGHT"), "{name}:\n{err}");
        assert_eq!(err.matches("\nCAUGHT: ").count(), caught, "{name}:\n{err}");
        for text in says {
            assert!(err.contains(text), "{name}: no {text:?} in\n{err}");
        }
        if let Some(attack) = attack {
            assert!(err.contains(&format!("\nATTACK {attack}: ")), "{err}");
            assert!(err.contains(&format!("done: attack '{attack}' was caught")), "{err}");
        }
    }
}

#[test]
fn the_demo_refuses_an_unknown_attack() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, err) = demo(&["--attack", "teleport"], tmp.path());
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("unknown attack 'teleport'") && err.contains("silent-buyer"), "{err}");
}

#[test]
fn on_ctrl_c_the_demo_stops_every_process_it_started_and_removes_its_folder() {
    use std::io::BufRead;
    use std::os::unix::process::CommandExt;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = assert_cmd::cargo::cargo_bin("evlock-trade");
    let tmp = tempfile::tempdir().unwrap();
    // Its own process group, as a shell gives a foreground job: Ctrl-C signals the whole group.
    let mut child = std::process::Command::new("bash")
        .arg(root.join("examples/trade.sh"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("EVLOCK_BIN", bin.parent().unwrap())
        .env("TMPDIR", tmp.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let group = child.id() as i32;
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    // The chain, the operator's listener and both boxes are running by then.
    while !seen.contains("both boxes connected") {
        assert!(stderr.read_line(&mut seen).unwrap() > 0, "the demo ended early:\n{seen}");
    }
    let rest = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).unwrap();
        text
    });
    // SAFETY: signalling the process group of our own child.
    assert_eq!(unsafe { libc::kill(-group, libc::SIGINT) }, 0);
    let status = child.wait().unwrap();
    let said = rest.join().unwrap();
    assert_eq!(status.code(), Some(130), "{seen}{said}");
    // Every process of the group is gone: the script stopped and waited for each one it started
    // in the background; a pipeline's tools that had the Ctrl-C themselves may still be on
    // their way out for a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut alive = group_members(group);
    while !alive.is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
        alive = group_members(group);
    }
    assert!(alive.is_empty(), "processes of the demo outlived it: {alive:?}\n{seen}{said}");
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(left.is_empty(), "{left:?} left behind");
}

/// The live processes of process group `group` (from /proc), with their command lines.
fn group_members(group: i32) -> Vec<String> {
    let mut members = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // pid (comm) state ppid pgrp …: the fields after the command's closing parenthesis.
        let Some((_, rest)) = stat.rsplit_once(')') else { continue };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // A zombie has ended (only its parent's bookkeeping is left).
        if fields.get(2).and_then(|pgrp| pgrp.parse::<i32>().ok()) == Some(group) && fields[0] != "Z" {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            members.push(format!(
                "{} {}: {}",
                entry.file_name().to_string_lossy(),
                fields[0],
                String::from_utf8_lossy(&cmdline).replace('\0', " ")
            ));
        }
    }
    members
}
