//! `evlock-keygen tls ca|issue|inspect` as a user runs it, with OpenSSL reading what it wrote:
//! the chain verifies, the SANs, usages and fingerprint are what the records say, keys are
//! 0600 PKCS#8 and never overwritten without --force.

mod common;

use std::path::Path;
use std::process::Command;

use common::{lines, run};
use serde_json::Value;

fn keygen(dir: &Path, args: &[&str]) -> std::process::Output {
    run("evlock-keygen", dir, args, "")
}

fn ok(dir: &Path, args: &[&str]) -> Value {
    let out = keygen(dir, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    lines(&out.stdout).remove(0)
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl").current_dir(dir).args(args).output().expect("openssl is installed");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

const ACCOUNT: &str = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94";

#[test]
fn a_ca_and_its_leaves_as_openssl_sees_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = ok(d, &["tls", "ca", "--name", "Operator CA"]);
    assert_eq!((ca["kind"].as_str(), ca["is_ca"].as_bool()), (Some("certificate"), Some(true)));
    assert_eq!(ca["subject"], "CN=Operator CA");
    let meter = ok(
        d,
        &["tls", "issue", "--ca", "ca.pem", "--name", "meter-17", "--account", &ACCOUNT.to_lowercase()],
    );
    assert_eq!(meter["account"], ACCOUNT, "checksummed");
    assert_eq!(meter["sans"], serde_json::json!(["DNS:meter-17", format!("URI:kaia:{ACCOUNT}")]));
    assert_eq!(meter["usage"], serde_json::json!(["client"]));
    assert_eq!(meter["issuer"], "CN=Operator CA");
    assert_eq!((meter["cert"].as_str(), meter["key"].as_str()), (Some("meter-17.pem"), Some("meter-17.key")));
    let server = ok(
        d,
        &[
            "tls",
            "issue",
            "--ca",
            "ca.pem",
            "--name",
            "operator",
            "--server",
            "--host",
            "127.0.0.1",
            "--host",
            "localhost",
            "--days",
            "2",
        ],
    );
    assert_eq!(server["usage"], serde_json::json!(["server"]));

    // OpenSSL verifies both chains and reads the same extensions and fingerprint.
    let verified = openssl(d, &["verify", "-CAfile", "ca.pem", "meter-17.pem", "operator.pem"]);
    assert_eq!(verified, "meter-17.pem: OK\noperator.pem: OK\n");
    let text = openssl(d, &["x509", "-in", "meter-17.pem", "-noout", "-text"]);
    assert!(text.contains(&format!("DNS:meter-17, URI:kaia:{ACCOUNT}")), "{text}");
    assert!(text.contains("TLS Web Client Authentication"), "{text}");
    assert!(text.contains("ecdsa-with-SHA256") && text.contains("prime256v1"), "{text}");
    let text = openssl(d, &["x509", "-in", "operator.pem", "-noout", "-text"]);
    assert!(text.contains("DNS:operator, IP Address:127.0.0.1, DNS:localhost"), "{text}");
    assert!(text.contains("TLS Web Server Authentication"), "{text}");
    let fingerprint = openssl(d, &["x509", "-in", "meter-17.pem", "-noout", "-fingerprint", "-sha256"]);
    let fingerprint = fingerprint.trim().rsplit('=').next().unwrap().replace(':', "").to_lowercase();
    assert_eq!(meter["fingerprint_sha256"], fingerprint);
    let serial = openssl(d, &["x509", "-in", "meter-17.pem", "-noout", "-serial"]);
    assert_eq!(
        serial.trim().strip_prefix("serial=").unwrap().to_lowercase(),
        meter["serial"].as_str().unwrap()
    );
    // The key is a P-256 PKCS#8 key OpenSSL reads, matching the certificate.
    let key_pub = openssl(d, &["pkey", "-in", "meter-17.key", "-pubout"]);
    let cert_pub = openssl(d, &["x509", "-in", "meter-17.pem", "-noout", "-pubkey"]);
    assert_eq!(key_pub, cert_pub);

    // inspect says the same as issue did.
    let inspected = ok(d, &["tls", "inspect", "meter-17.pem"]);
    for field in
        ["subject", "sans", "account", "issuer", "serial", "not_before", "not_after", "fingerprint_sha256"]
    {
        assert_eq!(inspected[field], meter[field], "{field}");
    }
    assert_eq!(inspected["valid_now"], true);
    assert!(inspected.get("key").is_none());

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for key in ["ca.key", "meter-17.key", "operator.key"] {
            assert_eq!(std::fs::metadata(d.join(key)).unwrap().permissions().mode() & 0o777, 0o600, "{key}");
        }
    }
}

#[test]
fn validity_periods_are_as_asked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["tls", "ca", "--name", "CA"]);
    let old = ok(
        d,
        &[
            "tls",
            "issue",
            "--ca",
            "ca.pem",
            "--name",
            "old",
            "--valid-from",
            "2020-01-01T00:00:00Z",
            "--days",
            "1",
        ],
    );
    assert_eq!(
        (old["not_before"].as_str(), old["not_after"].as_str()),
        (Some("2020-01-01T00:00:00Z"), Some("2020-01-02T00:00:00Z"))
    );
    assert_eq!(old["valid_now"], false);
    let dates = openssl(d, &["x509", "-in", "old.pem", "-noout", "-dates"]);
    assert_eq!(dates, "notBefore=Jan  1 00:00:00 2020 GMT\nnotAfter=Jan  2 00:00:00 2020 GMT\n");
    let out = Command::new("openssl")
        .current_dir(d)
        .args(["verify", "-CAfile", "ca.pem", "old.pem"])
        .output()
        .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success() && said.contains("certificate has expired"), "{said}");
}

#[test]
fn existing_files_wrong_keys_and_bad_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["tls", "ca", "--name", "CA"]);
    let before = std::fs::read(d.join("ca.key")).unwrap();
    let again = keygen(d, &["tls", "ca", "--name", "CA"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("ca.pem"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(std::fs::read(d.join("ca.key")).unwrap(), before, "nothing replaced");
    ok(d, &["tls", "ca", "--name", "CA", "--force"]);
    assert_ne!(std::fs::read(d.join("ca.key")).unwrap(), before, "--force replaces");

    ok(d, &["tls", "ca", "--name", "Other", "--cert", "other.pem", "--key", "other.key"]);
    let wrong = keygen(d, &["tls", "issue", "--ca", "ca.pem", "--ca-key", "other.key", "--name", "m1"]);
    assert_eq!(wrong.status.code(), Some(5));
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("the CA key does not belong to the CA certificate")
    );
    assert!(!d.join("m1.key").exists() && !d.join("m1.pem").exists(), "nothing left behind");

    ok(d, &["tls", "issue", "--ca", "ca.pem", "--name", "m1"]);
    let not_ca = keygen(d, &["tls", "issue", "--ca", "m1.pem", "--name", "m2"]);
    assert_eq!(not_ca.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&not_ca.stderr).contains("is not a CA certificate"));

    let bad = keygen(d, &["tls", "issue", "--ca", "ca.pem", "--name", "meter 17"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a usable certificate name"));
    let bad = keygen(d, &["tls", "issue", "--ca", "ca.pem", "--name", "m3", "--account", "0x12"]);
    assert_eq!(bad.status.code(), Some(2));
    let bad = keygen(d, &["tls", "inspect", "ca.key"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not an X.509 certificate"));
}
