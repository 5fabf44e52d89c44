//! The same work on x86_64 and on the ARM builds must give the same bytes: `tx` records signed by
//! each architecture's `evlock-sign` (RFC 6979 makes the signatures deterministic), keystores
//! written on one architecture and unlocked on the other, and `evlock-sense` readings of the
//! simulator on the virtual clock (same seed, so the same noise, faults and energy sums).
//!
//! It needs the ARM builds, so a plain `cargo test` lists these tests as ignored. scripts/cross
//! builds them and runs this file natively with `--ignored` and
//! `EVLOCK_CROSS_BINS="TRIPLE=DIR …"` (the folders of the ARM tools); each ARM tool runs through
//! its target's runner, `CARGO_TARGET_<TRIPLE>_RUNNER` (set in .cargo/config.toml).
//!
//! The transactions are random (every type, the SDK differential's generator); the seed is
//! printed and `EVLOCK_DIFF_SEED=N` replays it, `EVLOCK_DIFF_CASES=N` changes the count.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use common::txgen::{make_tx, random_key, types};
use common::{Rng, import_key, lines, run_command};
use serde_json::json;

/// A build of the tools: this test's own (x86_64), or a foreign one behind its runner.
enum Arch {
    Native,
    /// `name` is the triple and the build's folder name (its profile): several builds of one
    /// target may be compared.
    Foreign {
        name: String,
        dir: PathBuf,
        runner: Vec<String>,
    },
}

impl Arch {
    fn name(&self) -> &str {
        match self {
            Arch::Native => std::env::consts::ARCH,
            Arch::Foreign { name, .. } => name,
        }
    }

    fn command(&self, tool: &str) -> Command {
        match self {
            Arch::Native => Command::cargo_bin(tool).unwrap(),
            Arch::Foreign { name, dir, runner } => {
                let exe = dir.join(tool);
                assert!(exe.is_file(), "{tool} is missing from the {name} build in {}", dir.display());
                let mut command = Command::new(&runner[0]);
                command.args(&runner[1..]).arg(exe);
                command
            }
        }
    }

    /// Runs `tool ARGS` in `dir` with `input`; fails the test unless it succeeds.
    fn stdout(&self, tool: &str, dir: &Path, args: &[&str], input: &str) -> String {
        let output = run_command(self.command(tool), dir, args, input);
        assert!(
            output.status.success(),
            "{tool} {args:?} on {}: {}",
            self.name(),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }
}

/// The foreign builds named by `EVLOCK_CROSS_BINS`; a run with `--ignored` and none named fails.
fn foreign() -> Vec<Arch> {
    let spec = std::env::var("EVLOCK_CROSS_BINS")
        .expect("EVLOCK_CROSS_BINS must name the ARM builds, as TRIPLE=DIR (scripts/cross sets it)");
    let builds: Vec<Arch> = spec
        .split_whitespace()
        .map(|entry| {
            let (triple, dir) = entry.split_once('=').unwrap_or_else(|| panic!("not TRIPLE=DIR: {entry}"));
            let variable = format!("CARGO_TARGET_{}_RUNNER", triple.replace('-', "_").to_uppercase());
            let runner = std::env::var(&variable).unwrap_or_else(|_| panic!("{variable} is unset"));
            let dir = PathBuf::from(dir);
            let profile = dir.file_name().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
            Arch::Foreign {
                name: format!("{triple}-{profile}"),
                dir,
                runner: runner.split_whitespace().map(String::from).collect(),
            }
        })
        .collect();
    assert!(!builds.is_empty(), "EVLOCK_CROSS_BINS names no build");
    builds
}

/// Fails naming the first line where `theirs` differs from `ours`.
fn assert_same(what: &str, arch: &Arch, ours: &str, theirs: &str) {
    if ours == theirs {
        return;
    }
    let (a, b): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), theirs.lines().collect());
    let line = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    panic!(
        "{what}: {} differs from {} at line {} ({} lines against {})\n  {}: {}\n  {}: {}",
        arch.name(),
        Arch::Native.name(),
        line + 1,
        b.len(),
        a.len(),
        Arch::Native.name(),
        a.get(line).unwrap_or(&"<end>"),
        arch.name(),
        b.get(line).unwrap_or(&"<end>"),
    );
}

#[test]
#[ignore = "compares with the ARM builds: scripts/cross builds them and runs it"]
fn signed_tx_records_are_byte_identical_across_architectures() {
    let builds = foreign();
    let seed = std::env::var("EVLOCK_DIFF_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    let count: usize = std::env::var("EVLOCK_DIFF_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(1050);
    eprintln!("cross-architecture seed {seed} ({count} cases); replay with EVLOCK_DIFF_SEED={seed}");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let sender_key = random_key(&mut rng);
    let payer_key = random_key(&mut rng);
    // Written on x86_64, unlocked by every architecture's evlock-sign.
    let (sender_store, sender) = import_key(dir.path(), &::hex::encode(sender_key.to_bytes()), "sender");
    let (payer_store, payer) = import_key(dir.path(), &::hex::encode(payer_key.to_bytes()), "payer");
    let types = types();
    let input: String = (0..count)
        .map(|i| {
            let mut record = make_tx(&mut rng, types[i % types.len()], &sender, &payer);
            record["kind"] = json!("tx");
            record["meta"] = json!({"case": i});
            format!("{record}\n")
        })
        .collect();

    // Sender, then the fee payer for what is fee-delegated, then decode everything signed.
    let pipeline = |arch: &Arch| -> [String; 3] {
        let signed = arch.stdout(
            "evlock-sign",
            dir.path(),
            &["--key", &sender_store, "--password-file", "pw"],
            &input,
        );
        let delegated: String = lines(signed.as_bytes())
            .iter()
            .filter(|r| r["type"].as_str().unwrap().starts_with("fee_delegated_"))
            .map(|r| format!("{r}\n"))
            .collect();
        let paid = arch.stdout(
            "evlock-sign",
            dir.path(),
            &["--role", "fee-payer", "--key", &payer_store, "--password-file", "pw"],
            &delegated,
        );
        let raws: String = lines(signed.as_bytes())
            .iter()
            .chain(&lines(paid.as_bytes()))
            .map(|r| format!("{}\n", r["raw"].as_str().unwrap()))
            .collect();
        let decoded = arch.stdout("evlock-sign", dir.path(), &["decode"], &raws);
        [signed, paid, decoded]
    };
    let reference = pipeline(&Arch::Native);
    let signed = lines(reference[0].as_bytes());
    assert_eq!(signed.len(), count);
    assert!(signed.iter().all(|r| r["kind"] == "signed_tx"), "{}", reference[0]);
    assert!(lines(reference[1].as_bytes()).len() >= count / 2, "most of the types are fee-delegated");
    assert_eq!(lines(reference[2].as_bytes()).len(), count + lines(reference[1].as_bytes()).len());
    for arch in &builds {
        let theirs = pipeline(arch);
        for (stage, (ours, theirs)) in ["signed_tx records", "fee-payer signed_tx records", "decoded"]
            .iter()
            .zip(reference.iter().zip(&theirs))
        {
            assert_same(&format!("seed {seed}, {stage}"), arch, ours, theirs);
        }
        eprintln!("{}: {count} transactions signed, fee-paid and decoded byte-identically", arch.name());
    }
}

#[test]
#[ignore = "compares with the ARM builds: scripts/cross builds them and runs it"]
fn keystores_written_on_one_architecture_unlock_on_the_other() {
    let builds = foreign();
    let arches: Vec<&Arch> = std::iter::once(&Arch::Native).chain(&builds).collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), "pw\n").unwrap();
    std::fs::write(dir.path().join("wrong"), "not the password\n").unwrap();
    std::fs::write(
        dir.path().join("key.hex"),
        "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d",
    )
    .unwrap();

    // The standard KDF (scrypt n=2^18) and the light one (n=4096), written by every architecture.
    let mut written = Vec::new();
    for arch in &arches {
        for (kdf, light) in [("standard", false), ("light", true)] {
            let out_dir = format!("{}-{kdf}", arch.name());
            let mut args = vec!["import", "--private-key-file", "key.hex", "--password-file", "pw"];
            args.extend(["--out-dir", &out_dir]);
            if light {
                args.push("--light-kdf");
            }
            let record = lines(arch.stdout("evlock-keygen", dir.path(), &args, "").as_bytes()).remove(0);
            written.push((record["keystore"].as_str().unwrap().to_string(), "pw".to_string(), light));
        }
    }
    // And the reference keystores of the key vectors: v3 with scrypt and pbkdf2, KIP-3 v4.
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keystores");
    let vectors = [
        ("web3-v3-scrypt.json", "web3-password.txt"),
        ("web3-v3-pbkdf2.json", "web3-password.txt"),
        ("kaia-v3.json", "kaia-password.txt"),
        ("kaia-v4-single.json", "kaia-password.txt"),
        ("kaia-v4-multiple.json", "kaia-password.txt"),
        ("kaia-v4-role-based.json", "kaia-password.txt"),
    ]
    .map(|(file, password)| {
        (data.join(file).display().to_string(), data.join(password).display().to_string(), false)
    });

    // What each architecture makes of every keystore: the verified record, and exit 5 for a
    // wrong password (tried on the light ones: a wrong password costs a whole KDF run).
    let unlock = |arch: &Arch| -> String {
        let mut all = String::new();
        for (keystore, password, light) in written.iter().chain(&vectors) {
            let args = ["inspect", "--verify", "--password-file", password, keystore];
            all.push_str(&arch.stdout("evlock-keygen", dir.path(), &args, ""));
            if *light {
                let args = ["inspect", "--verify", "--password-file", "wrong", keystore];
                let output = run_command(arch.command("evlock-keygen"), dir.path(), &args, "");
                all.push_str(&format!("{keystore} with a wrong password: exit {:?}\n", output.status.code()));
            }
        }
        all
    };
    let reference = unlock(&Arch::Native);
    assert_eq!(reference.matches("with a wrong password: exit Some(5)").count(), arches.len(), "{reference}");
    let records =
        lines(reference.lines().filter(|l| l.starts_with('{')).collect::<Vec<_>>().join("\n").as_bytes());
    // Every keystore opened (a KIP-3 v4 keyring gives a record per key), all with the key's
    // address for the ones written here.
    assert!(records.iter().all(|r| r["kind"] == "key" && r["verified"] == true), "{reference}");
    for (keystore, _, _) in written.iter().chain(&vectors) {
        assert!(records.iter().any(|r| r["keystore"] == keystore.as_str()), "{keystore}: {reference}");
    }
    let address = &records[0]["address"];
    assert!(records[..written.len()].iter().all(|r| &r["address"] == address), "{reference}");
    for arch in &builds {
        assert_same("keystores unlocked", arch, &reference, &unlock(arch));
        eprintln!(
            "{}: {} keys in {} keystores unlock as on x86_64",
            arch.name(),
            records.len(),
            written.len() + vectors.len()
        );
    }
}

#[test]
#[ignore = "compares with the ARM builds: scripts/cross builds them and runs it"]
fn simulator_readings_are_identical_across_architectures() {
    let builds = foreign();
    let dir = tempfile::tempdir().unwrap();
    // Every kind of source, noise from the seed, the meter attacks, drift, and the real INA228
    // driver on its chip model: floating point, integer register encodings and energy sums.
    let sessions: [&[&str]; 4] = [
        &[
            "--device",
            "sim:home?kind=battery&seed=11&fault=sleep@40s",
            "--switch",
            "sim:home",
            "--count",
            "120",
        ],
        &[
            "--device",
            "sim:roof?kind=solar&amps=8&seed=3&drift=2%@20s&fault=spike@45s,reset@70s",
            "--count",
            "300",
        ],
        &["--device", "sim:chip?mode=ina228&seed=5&fault=recal@50s,freeze@90s", "--count", "120"],
        &["--device", "sim:cable?kind=load&noise=0.01&seed=99&fault=rewire@10s", "--count", "120"],
    ];
    let sense = |arch: &Arch| -> String {
        let mut all = String::new();
        for args in sessions {
            let mut args = args.to_vec();
            args.extend(["--clock", "virtual", "--interval", "1s"]);
            let output = run_command(arch.command("evlock-sense"), dir.path(), &args, "");
            all.push_str(&format!("{args:?}: exit {:?}\n", output.status.code()));
            all.push_str(&String::from_utf8(output.stdout).unwrap());
        }
        all
    };
    let reference = sense(&Arch::Native);
    let records =
        lines(reference.lines().filter(|l| l.starts_with('{')).collect::<Vec<_>>().join("\n").as_bytes());
    assert!(records.iter().filter(|r| r["kind"] == "reading").count() >= 600, "{reference}");
    assert!(records.iter().any(|r| r["kind"] == "alarm"), "the faults raise alarms: {reference}");
    for arch in &builds {
        assert_same("evlock-sense readings", arch, &reference, &sense(arch));
        eprintln!("{}: {} simulator records identical", arch.name(), records.len());
    }
}
