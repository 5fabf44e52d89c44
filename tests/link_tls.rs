//! The link's mutual TLS with real rustls handshakes on 127.0.0.1 and certificates from
//! `evlock-keygen tls`: a good meter links both ways; no certificate, another CA's, an expired
//! one, a not-yet-valid one, a name or account outside --allow, and a TLS 1.2 client are
//! refused with a clear message on both sides; `openssl s_client` speaks the protocol.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use common::link::*;
use evlock::link::tls::{Side, describe_tls};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

/// A meter that must fail: --give-up-after 0s ends it after the first attempt; its exit code
/// and stderr.
fn refused(
    pki: &Pki,
    work: &std::path::Path,
    name: &str,
    cert: &str,
    address: &str,
    extra: &[&str],
) -> (Option<i32>, String) {
    let mut args = vec!["--give-up-after", "0s"];
    args.extend_from_slice(extra);
    let mut meter = connect_as(pki, work, name, cert, address, &args, Stdin::Null);
    let status = meter.wait(WAIT);
    (status.code(), meter.stderr_text())
}

#[test]
fn a_good_meter_links_both_ways_and_cannot_speak_for_another() {
    let pki = Pki::new();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let (mut operator, address) = listen(&pki, w, "operator", &["--allow", "meter-17"], Stdin::Piped);
    let mut meter = connect(&pki, w, "meter-17", &address, &[], Stdin::Piped);

    meter.send(r#"{"kind":"reading","v":1,"energy_wh":5}"#);
    let got = operator.wait_for_records(1, WAIT);
    assert_eq!(got[0]["energy_wh"], 5);
    assert_eq!(
        got[0]["meta"]["peer"],
        json!({"name": "meter-17", "account": ACCOUNT_17}),
        "from the certificate"
    );

    operator.send(r#"{"kind":"tx","v":1,"nonce":"3","meta":{"to":"meter-17","order":7}}"#);
    let got = meter.wait_for_records(1, WAIT);
    assert_eq!(got[0]["nonce"], "3");
    let stream = got[0]["meta"]["link"]["stream"].clone();
    assert!(stream.as_str().is_some_and(|s| s.len() >= 16), "{}", got[0]);
    assert_eq!(
        got[0]["meta"],
        json!({"order": 7, "peer": {"name": "meter-17", "account": ACCOUNT_17}, "link": {"stream": stream, "seq": 1}})
    );

    // The answer carries the meta it was made from: it routes back by itself.
    let answer = json!({"kind": "receipt", "v": 1, "status": "success", "meta": got[0]["meta"]});
    meter.send(&answer.to_string());
    let got = operator.wait_for_records(2, WAIT);
    assert_eq!((got[1]["kind"].as_str(), got[1]["meta"]["order"].as_u64()), (Some("receipt"), Some(7)));

    // A record that claims to come from another peer is refused, on both sides, and the link
    // goes on.
    meter.send(r#"{"kind":"reading","v":1,"meta":{"peer":"meter-18"}}"#);
    meter.send(
        r#"{"kind":"reading","v":1,"energy_wh":6,"meta":{"to":"operator","peer":{"name":"meter-17"}}}"#,
    );
    let got = operator.wait_for_records(3, WAIT);
    assert_eq!(got.len(), 3);
    assert_eq!(got[2]["energy_wh"], 6);
    operator.wait_for_log(
        "the record claims to come from meter-18, but its sender's certificate is meter-17",
        WAIT,
    );
    meter.wait_for_log(r#""code":"peer_mismatch""#, WAIT);
    assert!(meter.stderr_text().contains("refused record 3"), "{}", meter.stderr_text());

    assert_eq!(meter.stop().code(), Some(130));
    assert_eq!(operator.stop().code(), Some(130));
}

/// A relaying TCP proxy between a meter and its operator sees every byte of the link both
/// ways: a TLS 1.3 handshake and then nothing readable: neither record's payload, nor the
/// meter's name from its certificate (TLS 1.3 encrypts the certificates too).
#[test]
fn a_sniffer_on_the_path_sees_no_record_and_no_name_in_cleartext() {
    use std::net::{TcpListener, TcpStream};
    use std::sync::Mutex;

    let pki = Pki::new();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let (mut operator, address) = listen(&pki, w, "operator", &[], Stdin::Piped);

    // The proxy: each accepted connection is relayed to the operator, each direction copied
    // into its own capture.
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_address = proxy.local_addr().unwrap().to_string();
    let up = Arc::new(Mutex::new(Vec::<u8>::new()));
    let down = Arc::new(Mutex::new(Vec::<u8>::new()));
    let relay = |mut from: TcpStream, mut to: TcpStream, seen: Arc<Mutex<Vec<u8>>>| {
        std::thread::spawn(move || {
            let mut buf = [0u8; 16384];
            loop {
                match std::io::Read::read(&mut from, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        seen.lock().unwrap().extend_from_slice(&buf[..n]);
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                }
            }
            let _ = to.shutdown(std::net::Shutdown::Write);
        });
    };
    {
        let (up, down, target) = (up.clone(), down.clone(), address.clone());
        std::thread::spawn(move || {
            for meter in proxy.incoming() {
                let Ok(meter) = meter else { break };
                let operator = TcpStream::connect(&target).unwrap();
                relay(meter.try_clone().unwrap(), operator.try_clone().unwrap(), up.clone());
                relay(operator, meter, down.clone());
            }
        });
    }

    let mut meter = connect(&pki, w, "meter-17", &proxy_address, &[], Stdin::Piped);
    meter.send(r#"{"kind":"reading","v":1,"energy_wh":5,"note":"UPLINK-SECRET-4711"}"#);
    let got = operator.wait_for_records(1, WAIT);
    assert_eq!(got[0]["note"], "UPLINK-SECRET-4711", "the reading went through the proxy");
    operator
        .send(r#"{"kind":"tx","v":1,"nonce":"3","note":"DOWNLINK-SECRET-0815","meta":{"to":"meter-17"}}"#);
    let got = meter.wait_for_records(1, WAIT);
    assert_eq!(got[0]["note"], "DOWNLINK-SECRET-0815");
    assert_eq!(meter.stop().code(), Some(130));
    assert_eq!(operator.stop().code(), Some(130));

    let up = up.lock().unwrap().clone();
    let down = down.lock().unwrap().clone();
    // Both directions went through the proxy, and begin as TLS handshake records.
    assert!(up.len() > 200 && down.len() > 200, "captured {} and {} bytes", up.len(), down.len());
    assert_eq!((up[0], up[1]), (0x16, 0x03), "the meter opens with a TLS ClientHello");
    assert_eq!((down[0], down[1]), (0x16, 0x03), "the operator answers with a ServerHello");
    let contains = |bytes: &[u8], needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    for (direction, bytes) in [("meter → operator", &up), ("operator → meter", &down)] {
        for needle in ["UPLINK-SECRET-4711", "DOWNLINK-SECRET-0815", "\"kind\"", "reading", "meter-17"] {
            assert!(!contains(bytes, needle), "{needle} in cleartext {direction}");
        }
    }
}

/// `listen --events` writes a `link` record when a meter connects and when it goes, with the
/// name and account of its certificate, among the meter's records; they are not part of the
/// stream (no `meta.link`), and records after a reconnect still come once.
#[test]
fn with_events_the_listener_says_when_a_meter_connects_and_goes() {
    let pki = Pki::new();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let (mut operator, address) = listen(&pki, w, "operator", &["--events"], Stdin::Piped);
    let mut meter = connect(&pki, w, "meter-17", &address, &[], Stdin::Piped);
    meter.send(r#"{"kind":"reading","v":1,"n":1}"#);
    let said = operator.wait_for_records(2, WAIT);
    let peer = json!({"name": "meter-17", "account": ACCOUNT_17});
    assert_eq!((said[0]["kind"].as_str(), said[0]["event"].as_str()), (Some("link"), Some("connected")));
    assert_eq!((said[0]["v"].as_u64(), &said[0]["peer"]), (Some(1), &peer), "{}", said[0]);
    assert_eq!(said[1]["n"], 1);
    assert_eq!(said[1]["meta"]["link"]["seq"], 1);
    meter.kill();
    let said = operator.wait_for_records(3, WAIT);
    assert_eq!((said[2]["event"].as_str(), &said[2]["peer"]), (Some("disconnected"), &peer), "{}", said[2]);
    assert!(said[2]["reason"].as_str().is_some_and(|r| !r.is_empty()), "{}", said[2]);
    for event in [&said[0], &said[2]] {
        let time = event["time"].as_str().unwrap();
        assert!(humantime::parse_rfc3339(time).is_ok(), "an RFC 3339 time: {time}");
        assert!(event.get("meta").is_none(), "{event}");
    }
    assert!(said[0]["time"].as_str() <= said[2]["time"].as_str());

    // Back again: one more connected, and the next record once.
    let mut meter = connect(&pki, w, "meter-17", &address, &[], Stdin::Piped);
    meter.send(r#"{"kind":"reading","v":1,"n":2}"#);
    let said = operator.wait_for_records(5, WAIT);
    assert_eq!(said[3]["event"], "connected");
    assert_eq!((said[4]["n"].as_u64(), said[4]["meta"]["link"]["seq"].as_u64()), (Some(2), Some(2)));
    assert_eq!(meter.stop().code(), Some(130));
    let said = operator.wait_for_records(6, WAIT);
    assert_eq!(said[5]["event"], "disconnected");
    assert_eq!(operator.stop().code(), Some(130));
    assert_eq!(operator.records().len(), 6, "nothing else");
}

#[test]
fn certificates_the_operator_refuses_are_named_on_both_sides() {
    let pki = Pki::new();
    pki.issue("meter-old", &["--valid-from", "2020-01-01T00:00:00Z", "--days", "1"]);
    pki.issue("meter-future", &["--valid-from", "2099-01-01T00:00:00Z", "--days", "1"]);
    pki.issue("meter-17b", &["--account", ACCOUNT_17]);
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let allow =
        ["--allow", "meter-17", "--allow", "meter-old", "--allow", "meter-future", "--allow", "intruder"];
    let (operator, address) = listen(&pki, w, "operator", &allow, Stdin::Null);

    let (code, said) = refused(&pki, w, "intruder", "intruder", &address, &[]);
    assert_eq!(code, Some(4), "{said}");
    assert!(said.contains("it is not issued by its client CA (alert UnknownCA)"), "{said}");
    assert!(said.contains("gave up after 0s"), "{said}");
    operator.wait_for_log("the meter's certificate is not issued by a trusted CA (unknown issuer)", WAIT);

    let (code, said) = refused(&pki, w, "meter-old", "meter-old", &address, &[]);
    assert_eq!(code, Some(4));
    assert!(
        said.contains("our certificate is expired or not yet valid (alert CertificateExpired)"),
        "{said}"
    );
    operator
        .wait_for_log("the meter's certificate is outside its validity period (certificate expired", WAIT);

    let (code, said) = refused(&pki, w, "meter-future", "meter-future", &address, &[]);
    assert_eq!(code, Some(4));
    assert!(said.contains("(alert CertificateExpired)"), "{said}");
    operator.wait_for_log(
        "the meter's certificate is outside its validity period (certificate not valid yet",
        WAIT,
    );

    let (code, said) = refused(&pki, w, "meter-18", "meter-18", &address, &[]);
    assert_eq!(code, Some(4));
    assert!(said.contains(&format!("refused the link: meter-18 (kaia:{ACCOUNT_18}) is not allowed on this link (--allow) (not_allowed)")), "{said}");
    operator.wait_for_log(&format!("refused meter-18 (kaia:{ACCOUNT_18}) from 127.0.0.1:"), WAIT);
    assert!(operator.stderr_text().contains("not in --allow"));

    // By account: a certificate of another name bound to an allowed account passes.
    let (by_account, address2) =
        listen(&pki, w, "operator2", &["--allow", &format!("kaia:{ACCOUNT_17}")], Stdin::Null);
    let (code, said) = refused(&pki, w, "meter-18b", "meter-18", &address2, &[]);
    assert_eq!(code, Some(4));
    assert!(said.contains("(not_allowed)"), "{said}");
    let mut good = connect_as(&pki, w, "meter-17b", "meter-17b", &address2, &["--exit-on-eof"], Stdin::Null);
    assert_eq!(good.wait(WAIT).code(), Some(0), "{}", good.stderr_text());
    by_account.wait_for_log(&format!("meter-17b (kaia:{ACCOUNT_17}) connected"), WAIT);
    drop(by_account);

    // No client certificate: TLS 1.3 ends the client's handshake first, the alert follows.
    let no_cert = rustls::ClientConfig::builder_with_provider(evlock::rpc::tls::provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates({
            let mut roots = rustls::RootCertStore::empty();
            for cert in evlock::rpc::tls::certificates(&pki.read("ca.pem"), "CA").unwrap() {
                roots.add(cert).unwrap();
            }
            roots
        })
        .with_no_client_auth();
    let mut client = RawClient::connect(&address, Arc::new(no_cert)).unwrap();
    let (_, error) = client.read_until("never");
    let error = error.expect("the operator refuses");
    let tls = error.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()).unwrap();
    assert_eq!(
        describe_tls(tls, Side::Meter),
        "the operator requires a client certificate (alert CertificateRequired)"
    );
    operator.wait_for_log("TLS handshake failed: the client sent no certificate", WAIT);

    // A TLS 1.2 client.
    let mut tls12 = rustls::ClientConfig::builder_with_provider(evlock::rpc::tls::provider())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        // It never gets as far as the operator's certificate.
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    tls12.alpn_protocols.clear();
    let error = RawClient::connect(&address, Arc::new(tls12)).err().expect("refused");
    assert_eq!(
        describe_tls(&error, Side::Meter),
        "the operator refused our TLS version: the link is TLS 1.3 only (alert ProtocolVersion)"
    );
    operator.wait_for_log("TLS handshake failed: the client does not speak TLS 1.3", WAIT);

    // The good meter still passes.
    let mut good = connect(&pki, w, "meter-17", &address, &["--exit-on-eof"], Stdin::Null);
    assert_eq!(good.wait(WAIT).code(), Some(0), "{}", good.stderr_text());
}

#[test]
fn a_meter_refuses_an_operator_it_does_not_trust() {
    let pki = Pki::new();
    keygen(
        pki.path(),
        &["tls", "issue", "--ca", "other-ca.pem", "--name", "rogue", "--server", "--host", "127.0.0.1"],
    );
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let (rogue, address) = listen_with(&pki, w, "rogue", "rogue", &[], Stdin::Null);
    let (code, said) = refused(&pki, w, "meter-17", "meter-17", &address, &[]);
    assert_eq!(code, Some(4));
    assert!(
        said.contains("the operator's certificate is not issued by a trusted CA (unknown issuer)"),
        "{said}"
    );
    rogue.wait_for_log("the client refused our certificate (alert UnknownCA)", WAIT);
    drop(rogue);

    let (operator, address) = listen(&pki, w, "operator", &[], Stdin::Null);
    let (code, said) =
        refused(&pki, w, "meter-17b", "meter-17", &address, &["--server-name", "elsewhere.example"]);
    assert_eq!(code, Some(4));
    assert!(said.contains("the operator's certificate is not valid for the name dialled"), "{said}");
    operator.wait_for_log("the client refused our certificate (alert BadCertificate)", WAIT);
}

/// `openssl s_client ARGS` with its stdin piped and its stdout lines in a channel.
fn s_client(pki: &Pki, args: &[&str]) -> (std::process::Child, mpsc::Receiver<String>) {
    let mut child = Command::new("openssl")
        .arg("s_client")
        .args(args)
        .current_dir(pki.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl is installed");
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

fn expect_line(rx: &mpsc::Receiver<String>, needle: &str) -> String {
    loop {
        let line = rx.recv_timeout(WAIT).unwrap_or_else(|_| panic!("no line with {needle:?}"));
        if line.contains(needle) {
            return line;
        }
    }
}

#[test]
fn openssl_s_client_exchanges_records_and_is_refused_without_a_certificate() {
    let pki = Pki::new();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let (mut operator, address) = listen(&pki, w, "operator", &["--allow", "meter-17"], Stdin::Piped);
    let base = ["-connect", address.as_str(), "-CAfile", "ca.pem", "-verify_return_error", "-quiet"];

    let mut args = base.to_vec();
    args.extend(["-cert", "meter-17.pem", "-key", "meter-17.key"]);
    let (mut child, lines) = s_client(&pki, &args);
    let mut stdin = child.stdin.take().unwrap();
    let hello: serde_json::Value = serde_json::from_str(&expect_line(&lines, r#""link":"hello""#)).unwrap();
    assert_eq!(hello["v"], 1);
    let stream = hello["stream"].as_str().unwrap();
    // Our hello, and the resume point for the operator's stream: nothing of it seen yet.
    writeln!(stdin, r#"{{"link":"hello","v":1,"stream":"openssl-1"}}"#).unwrap();
    writeln!(stdin, r#"{{"link":"ack","stream":"{stream}","seq":0}}"#).unwrap();
    assert_eq!(expect_line(&lines, r#""link":"ack""#), r#"{"link":"ack","stream":"openssl-1","seq":0}"#);
    writeln!(stdin, r#"{{"link":"data","seq":1,"record":{{"kind":"reading","v":1,"energy_wh":9}}}}"#)
        .unwrap();
    stdin.flush().unwrap();
    assert_eq!(expect_line(&lines, r#""link":"ack""#), r#"{"link":"ack","stream":"openssl-1","seq":1}"#);
    let got = operator.wait_for_records(1, WAIT);
    assert_eq!(got[0]["energy_wh"], 9);
    assert_eq!(got[0]["meta"]["peer"]["name"], "meter-17");
    // And the other way: the operator's record comes out as a data frame.
    operator.send(r#"{"kind":"tx","v":1,"meta":{"to":"meter-17"}}"#);
    let data = expect_line(&lines, r#""link":"data""#);
    let frame: serde_json::Value = serde_json::from_str(&data).unwrap();
    assert_eq!(frame["seq"], 1);
    assert_eq!(frame["record"]["kind"], "tx");
    writeln!(stdin, r#"{{"link":"ack","stream":"{stream}","seq":1}}"#).unwrap();
    writeln!(stdin, r#"{{"link":"bye","code":"closing","message":""}}"#).unwrap();
    drop(stdin);
    let _ = child.wait();
    operator.wait_for_log("meter-17 (kaia:", WAIT);

    // Without a certificate: refused.
    let (child, _) = s_client(&pki, &base);
    let output = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("alert certificate required"), "{said}");
    operator.wait_for_log("TLS handshake failed: the client sent no certificate", WAIT);

    // TLS 1.2: refused.
    let mut args = base.to_vec();
    args.extend(["-cert", "meter-17.pem", "-key", "meter-17.key", "-tls1_2"]);
    let (child, _) = s_client(&pki, &args);
    let output = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("alert protocol version"), "{said}");
    operator.wait_for_log("the client does not speak TLS 1.3", WAIT);
}
