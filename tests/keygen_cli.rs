//! `evlock-keygen` as a user runs it: the real binary, a scrubbed environment, real files.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use assert_cmd::Command;
use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

fn keygen(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("evlock-keygen").unwrap();
    cmd.env_clear().current_dir(dir).write_stdin("");
    cmd
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keystores").join(name)
}

fn records(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8(stdout.to_vec())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("every stdout line is a JSON record"))
        .collect()
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("pw"), "correct horse\n").unwrap();
    fs::write(dir.path().join("other-pw"), "battery staple\n").unwrap();
    dir
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn new_writes_private_files_and_secret_free_records() {
    let dir = setup();
    let out = keygen(dir.path())
        .args(["new", "--words", "24", "--count", "3", "--light-kdf", "--out-dir", "keys"])
        .args(["--mnemonic-out", "seed.txt", "--password-file", "pw"])
        .assert()
        .success()
        .get_output()
        .clone();
    let keys = records(&out.stdout);
    assert_eq!(keys.len(), 3);
    let mnemonic = fs::read_to_string(dir.path().join("seed.txt")).unwrap();
    assert_eq!(mnemonic.split_whitespace().count(), 24);
    #[cfg(unix)]
    assert_eq!(mode(&dir.path().join("seed.txt")), 0o600);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for word in mnemonic.split_whitespace().collect::<Vec<_>>().windows(3) {
        let phrase = word.join(" ");
        assert!(!stdout.contains(&phrase) && !stderr.contains(&phrase), "mnemonic leaked");
    }
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(key["kind"], "key");
        assert_eq!(key["v"], 1);
        assert_eq!(key["path"], format!("m/44'/8217'/0'/0/{i}"));
        let file = dir.path().join(key["keystore"].as_str().unwrap());
        #[cfg(unix)]
        assert_eq!(mode(&file), 0o600);
        let keystore: Value = serde_json::from_slice(&fs::read(&file).unwrap()).unwrap();
        assert_eq!(keystore["version"], 3);
        assert_eq!(keystore["crypto"]["kdfparams"]["n"], 4096);
        assert_eq!(
            format!("0x{}", keystore["address"].as_str().unwrap()),
            key["address"].as_str().unwrap().to_lowercase()
        );
    }

    // The mnemonic file derives the same addresses; the keystores open with the password.
    let derived = keygen(dir.path())
        .args(["derive", "--mnemonic-file", "seed.txt", "--count", "3"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let derived = records(&derived);
    for (a, b) in keys.iter().zip(&derived) {
        assert_eq!(a["address"], b["address"]);
        assert_eq!(a["public_key"], b["public_key"]);
    }
    let verified = keygen(dir.path())
        .args(["inspect", "--verify", "--password-file", "pw", keys[2]["keystore"].as_str().unwrap()])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(records(&verified)[0]["address"], keys[2]["address"]);
    assert_eq!(records(&verified)[0]["verified"], true);
}

/// Fresh trading addresses from one wallet (SECURITY.md row 13): `derive --start N --count 1`
/// gives account N of the mnemonic, the same as in the list, and 100 accounts have 100
/// different addresses and public keys, so a party can trade from a new address each time.
#[test]
fn derive_gives_a_fresh_address_for_every_trade_from_one_mnemonic() {
    let dir = setup();
    keygen(dir.path())
        .args(["new", "--words", "12", "--count", "1", "--light-kdf", "--out-dir", "keys"])
        .args(["--mnemonic-out", "seed.txt", "--password-file", "pw"])
        .assert()
        .success();
    let all = keygen(dir.path())
        .args(["derive", "--mnemonic-file", "seed.txt", "--count", "100"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let all = records(&all);
    assert_eq!(all.len(), 100);
    let addresses: std::collections::HashSet<&str> =
        all.iter().map(|k| k["address"].as_str().unwrap()).collect();
    let publics: std::collections::HashSet<&str> =
        all.iter().map(|k| k["public_key"].as_str().unwrap()).collect();
    assert_eq!((addresses.len(), publics.len()), (100, 100), "every account is its own");
    for n in [0usize, 41, 99] {
        let one = keygen(dir.path())
            .args(["derive", "--mnemonic-file", "seed.txt", "--start", &n.to_string(), "--count", "1"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let one = records(&one);
        assert_eq!(one[0]["address"], all[n]["address"]);
        assert_eq!(one[0]["path"], format!("m/44'/8217'/0'/0/{n}"));
    }
}

#[test]
fn default_kdf_is_the_standard_scrypt_cost() {
    let dir = setup();
    fs::write(
        dir.path().join("key.hex"),
        "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d\n",
    )
    .unwrap();
    keygen(dir.path())
        .args(["import", "--private-key-file", "key.hex", "--password-file", "pw"])
        .assert()
        .success();
    let file = dir.path().join("0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b.json");
    let keystore: Value = serde_json::from_slice(&fs::read(file).unwrap()).unwrap();
    let params = &keystore["crypto"]["kdfparams"];
    assert_eq!(
        (params["n"].as_u64(), params["r"].as_u64(), params["p"].as_u64()),
        (Some(262144), Some(8), Some(1))
    );
}

#[test]
fn password_from_the_environment_variable() {
    let dir = setup();
    fs::write(
        dir.path().join("seed.txt"),
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about\n",
    )
    .unwrap();
    let out = keygen(dir.path())
        .env("EVLOCK_PASSWORD_FILE", "pw")
        .args(["import", "--mnemonic-file", "seed.txt", "--hd-path", "m/44'/60'/0'/0", "--light-kdf"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(records(&out)[0]["address"], "0x9858EfFD232B4033E47d90003D41EC34EcaEda94");
}

#[test]
fn import_from_other_keystores_and_inspect_kip3() {
    let dir = setup();
    let out = keygen(dir.path())
        .args(["import", "--keystore"])
        .arg(fixture("web3-v3-pbkdf2.json"))
        .args(["--source-password-file"])
        .arg(fixture("web3-password.txt"))
        .args(["--password-file", "pw", "--light-kdf", "--out-dir", "imported"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(records(&out)[0]["address"], "0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b");

    let out = keygen(dir.path())
        .args(["inspect", "--verify", "--password-file"])
        .arg(fixture("kaia-password.txt"))
        .arg(fixture("kaia-v4-role-based.json"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let keys = records(&out);
    assert_eq!(keys.len(), 5);
    assert_eq!(keys[0]["format"], "kip3-v4");
    assert_eq!(
        keys[0]["address"].as_str().unwrap().to_lowercase(),
        "0x86bce8c859f5f304aa30adb89f2f7b6ee5a0d6e2"
    );
    let roles: Vec<_> = keys.iter().map(|k| k["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["transaction", "transaction", "account_update", "fee_payer", "fee_payer"]);
}

#[test]
fn wrong_password_exits_5_and_touches_nothing() {
    let dir = setup();
    fs::write(dir.path().join("key.hex"), "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d")
        .unwrap();
    keygen(dir.path())
        .args(["import", "--private-key-file", "key.hex", "--password-file", "pw", "--light-kdf"])
        .assert()
        .success();
    let file = dir.path().join("0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b.json");
    let before = fs::read(&file).unwrap();
    let failed = keygen(dir.path())
        .args(["change-password", "0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b.json"])
        .args(["--password-file", "other-pw", "--new-password-file", "other-pw"])
        .assert()
        .code(5)
        .get_output()
        .clone();
    assert!(failed.stdout.is_empty());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("wrong password"));
    assert_eq!(fs::read(&file).unwrap(), before, "the keystore is unchanged");
    let entries = fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(entries, 4, "no stray files: pw, other-pw, key.hex, the keystore");

    keygen(dir.path())
        .args(["inspect", "--verify", "--password-file", "other-pw"])
        .arg(&file)
        .assert()
        .code(5);

    // The right password changes it; the old one then fails.
    keygen(dir.path())
        .args(["change-password", "--light-kdf", "--password-file", "pw", "--new-password-file", "other-pw"])
        .arg(&file)
        .assert()
        .success();
    keygen(dir.path()).args(["inspect", "--verify", "--password-file", "pw"]).arg(&file).assert().code(5);
    keygen(dir.path())
        .args(["inspect", "--verify", "--password-file", "other-pw"])
        .arg(&file)
        .assert()
        .success();
}

#[test]
fn bad_keystores_exit_5_with_a_reason() {
    let dir = setup();
    let valid = fs::read_to_string(fixture("kaia-v3.json")).unwrap();
    let cases = [
        ("corrupt.json", "{\"version\": 3, \"crypto\": [oops".to_string(), "not JSON"),
        ("truncated.json", valid[..valid.len() / 2].to_string(), "truncated"),
        ("future.json", valid.replace("\"version\": 3", "\"version\": 7"), "version 7"),
        ("no-mac.json", valid.replace("\"mac\"", "\"nomac\""), "mac"),
        ("bad-hex.json", valid.replace("f7296e68", "zz296e68"), "not hex"),
        ("array.json", "[1, 2]".to_string(), "not a JSON object"),
    ];
    for (name, text, reason) in cases {
        fs::write(dir.path().join(name), text).unwrap();
        let out = keygen(dir.path())
            .args(["inspect", "--verify", "--password-file", "pw", name])
            .assert()
            .code(5)
            .get_output()
            .clone();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(reason) && stderr.contains(name), "{name}: {stderr}");
    }
    let out = keygen(dir.path())
        .args(["inspect"])
        .arg(fixture("eip2335-bls.json"))
        .assert()
        .code(5)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("EIP-2335"));
    keygen(dir.path()).args(["inspect", "missing.json"]).assert().code(5);
}

#[test]
fn usage_errors_exit_2() {
    let dir = setup();
    // No password source and no terminal to prompt on.
    let out = keygen(dir.path())
        .args(["new", "--light-kdf", "--mnemonic-out", "seed.txt"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a terminal"));
    assert!(!dir.path().join("seed.txt").exists(), "nothing written before the password is known");
    keygen(dir.path()).args(["new", "--no-input", "--discard-mnemonic"]).assert().code(2);
    // A missing password file.
    keygen(dir.path()).args(["new", "--discard-mnemonic", "--password-file", "nope"]).assert().code(2);
    // --show-mnemonic into a pipe is refused.
    keygen(dir.path()).args(["new", "--show-mnemonic", "--password-file", "pw"]).assert().code(2);
    // A bad mnemonic, a bad key, a bad path.
    fs::write(dir.path().join("bad-seed"), "abandon abandon abandon").unwrap();
    keygen(dir.path()).args(["derive", "--mnemonic-file", "bad-seed"]).assert().code(2);
    fs::write(dir.path().join("bad-key"), "0xnothex").unwrap();
    keygen(dir.path())
        .args(["import", "--private-key-file", "bad-key", "--password-file", "pw"])
        .assert()
        .code(2);
    fs::write(
        dir.path().join("seed"),
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
    )
    .unwrap();
    keygen(dir.path()).args(["derive", "--mnemonic-file", "seed", "--hd-path", "44'/x"]).assert().code(2);
    keygen(dir.path()).assert().code(2);
}

#[test]
fn existing_files_are_never_overwritten_without_force() {
    let dir = setup();
    fs::write(dir.path().join("seed.txt"), "precious\n").unwrap();
    keygen(dir.path())
        .args(["new", "--light-kdf", "--mnemonic-out", "seed.txt", "--password-file", "pw"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("already exists"));
    assert_eq!(fs::read_to_string(dir.path().join("seed.txt")).unwrap(), "precious\n");

    fs::write(dir.path().join("key.hex"), "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d")
        .unwrap();
    let import = |force: bool| {
        let mut cmd = keygen(dir.path());
        cmd.args(["import", "--private-key-file", "key.hex", "--password-file", "pw", "--light-kdf"]);
        if force {
            cmd.arg("--force");
        }
        cmd.assert()
    };
    import(false).success();
    let file = dir.path().join("0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b.json");
    let first = fs::read(&file).unwrap();
    import(false).code(2);
    assert_eq!(fs::read(&file).unwrap(), first);
    import(true).success();
    assert_ne!(fs::read(&file).unwrap(), first, "--force replaces it (new salt)");
}

#[test]
fn a_closed_stdout_ends_quietly_with_exit_0() {
    let dir = setup();
    fs::write(
        dir.path().join("seed"),
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
    )
    .unwrap();
    let mut child = std::process::Command::cargo_bin("evlock-keygen")
        .unwrap()
        .env_clear()
        .current_dir(dir.path())
        .args(["derive", "--mnemonic-file", "seed", "--count", "10000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    // The reader is dropped here: the next writes hit a broken pipe.
    let output = child.wait_with_output().unwrap();
    assert!(first.contains("\"kind\":\"key\""));
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn pretty_output_and_generated_docs() {
    let dir = setup();
    fs::write(
        dir.path().join("seed"),
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
    )
    .unwrap();
    let out = keygen(dir.path()).args(["derive", "--mnemonic-file", "seed", "--pretty"]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.lines().count() > 3);
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["kind"], "key");
    keygen(dir.path())
        .args(["--generate", "man"])
        .assert()
        .success()
        .stdout(predicates::str::contains(".TH evlock-keygen"));
    keygen(dir.path())
        .args(["--generate", "bash"])
        .assert()
        .success()
        .stdout(predicates::str::contains("complete -F _evlock_keygen"));
}

/// Runs `evlock-keygen ARGS` on a pseudo-terminal (util-linux `script`), typing `answers`
/// at its prompts; returns the exit code and what the terminal showed.
fn on_terminal(dir: &Path, args: &str, answers: &[&str]) -> (Option<i32>, String) {
    use std::io::Write;
    // The binary with its runner in front when the tests run under emulation.
    let keygen = std::process::Command::cargo_bin("evlock-keygen").unwrap();
    let exe: Vec<_> =
        std::iter::once(keygen.get_program()).chain(keygen.get_args()).map(|a| a.to_string_lossy()).collect();
    let mut child = std::process::Command::new("script")
        .args(["-qec", &format!("{} {args}", exe.join(" ")), "/dev/null"])
        .env_clear()
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("util-linux script is installed");
    let mut stdin = child.stdin.take().unwrap();
    for answer in answers {
        std::thread::sleep(std::time::Duration::from_millis(400));
        stdin.write_all(format!("{answer}\n").as_bytes()).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(400));
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stdout).replace('\r', ""))
}

#[test]
fn hidden_prompt_and_mnemonic_on_a_terminal() {
    let dir = setup();
    let (code, screen) = on_terminal(
        dir.path(),
        "new --light-kdf --show-mnemonic --out-dir k",
        &["typed secret", "typed secret"],
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("Password for the new keystores (again):"));
    assert!(!screen.contains("typed secret"), "the password is not echoed");
    let words: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.starts_with("Mnemonic"))
        .nth(2)
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(words.len(), 12, "{screen}");
    fs::write(dir.path().join("typed"), "typed secret\n").unwrap();
    let keystore = fs::read_dir(dir.path().join("k")).unwrap().next().unwrap().unwrap().path();
    keygen(dir.path())
        .args(["inspect", "--verify", "--password-file", "typed"])
        .arg(&keystore)
        .assert()
        .success();
    // The shown mnemonic derives the keystore's address.
    fs::write(dir.path().join("shown"), words.join(" ")).unwrap();
    let derived = keygen(dir.path())
        .args(["derive", "--mnemonic-file", "shown"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(keystore.to_string_lossy().contains(records(&derived)[0]["address"].as_str().unwrap()));

    // Two different passwords: refused, nothing written.
    let (code, screen) =
        on_terminal(dir.path(), "new --light-kdf --discard-mnemonic --out-dir k2", &["one", "two"]);
    assert_eq!(code, Some(2), "{screen}");
    assert!(screen.contains("differ"));
    assert!(!dir.path().join("k2").exists());
}
