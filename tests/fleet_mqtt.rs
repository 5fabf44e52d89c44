//! Fleet mode on a real broker: Debian's mosquitto 2 started with the shipped configuration
//! (`examples/mqtt/`) and certificates from `evlock-keygen tls`, an operator's
//! `listen --from mqtts://…` and meters' `connect --to mqtts://…`. Records both ways with
//! `meta.peer` from the topic; the ACL keeps a meter off another's topic; clients without a
//! certificate from the CA are refused; a broker SIGKILLed and restarted and a meter killed
//! in the middle of 10,000 records each way lose and repeat nothing.

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::link::*;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(120);

/// mosquitto on a loopback port with the shipped configuration, paths moved to the test's
/// folders.
struct Mosquitto {
    child: Child,
    port: u16,
    conf: PathBuf,
    log: PathBuf,
}

fn shipped(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mqtt").join(name)).unwrap()
}

impl Mosquitto {
    fn start(pki: &Pki, work: &Path) -> Mosquitto {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let shipped_conf = shipped("mosquitto.conf");
        for directive in [
            "require_certificate true",
            "use_identity_as_username true",
            "allow_anonymous false",
            "persistence true",
            "acl_file ",
        ] {
            assert!(
                shipped_conf.lines().any(|l| l.starts_with(directive)),
                "the shipped config lacks {directive}"
            );
        }
        std::fs::write(pki.file("acl"), shipped("acl")).unwrap();
        let data = work.join("mosquitto-data");
        std::fs::create_dir_all(&data).unwrap();
        let mut conf = shipped_conf
            .replace("/etc/mosquitto/evlock/", &format!("{}/", pki.path().display()))
            .replace("/var/lib/mosquitto/", &format!("{}/", data.display()))
            .replace("listener 8883", &format!("listener {port} 127.0.0.1"));
        // Started by root, mosquitto would drop to the `mosquitto` user, who cannot read the
        // test's files; as any other user this line changes nothing.
        conf.push_str("\nuser root\nlog_type all\n");
        let path = work.join("mosquitto.conf");
        std::fs::write(&path, conf).unwrap();
        let log = work.join("mosquitto.log");
        let mut broker = Mosquitto { child: spawn_broker(&path, &log), port, conf: path, log };
        broker.wait_ready();
        broker
    }

    fn wait_ready(&mut self) {
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "mosquitto ended ({status}):\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            assert!(start.elapsed() < Duration::from_secs(20), "mosquitto did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn url(&self) -> String {
        format!("mqtts://127.0.0.1:{}", self.port)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn restart(&mut self) {
        self.child = spawn_broker(&self.conf, &self.log);
        self.wait_ready();
    }
}

fn spawn_broker(conf: &Path, log: &Path) -> Child {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    Command::new("mosquitto")
        .arg("-c")
        .arg(conf)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("mosquitto (apt-get install mosquitto)")
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The shared PKI plus the broker's server certificate and the operator's client one.
fn fleet_pki() -> Pki {
    let pki = Pki::new();
    keygen(
        pki.path(),
        &["tls", "issue", "--ca", "ca.pem", "--name", "broker", "--server", "--host", "127.0.0.1"],
    );
    keygen(
        pki.path(),
        &[
            "tls",
            "issue",
            "--ca",
            "ca.pem",
            "--name",
            "operator",
            "--cert",
            "op-client.pem",
            "--key",
            "op-client.key",
        ],
    );
    pki
}

fn operator(pki: &Pki, work: &Path, name: &str, url: &str, extra: &[&str], stdin: Stdin<'_>) -> Proc {
    let mut args: Vec<String> = vec!["-v".into(), "listen".into(), "--from".into(), url.into()];
    args.extend(["--cert".into(), pki.file("op-client.pem").display().to_string()]);
    args.extend(["--key".into(), pki.file("op-client.key").display().to_string()]);
    args.extend(["--ca".into(), pki.file("ca.pem").display().to_string()]);
    args.extend(["--outbox".into(), work.join(format!("{name}-state")).display().to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    Proc::spawn(work, name, &args, stdin)
}

fn peer_of(record: &Value) -> &str {
    record["meta"]["peer"]["name"].as_str().unwrap_or("")
}

/// An MQTT client of the test's own, with `config` (a certificate or none).
fn raw_client(
    port: u16,
    id: &str,
    config: rustls::ClientConfig,
) -> (rumqttc::v5::AsyncClient, rumqttc::v5::EventLoop) {
    let mut options = rumqttc::v5::MqttOptions::new(id, "127.0.0.1", port);
    options.set_transport(rumqttc::Transport::tls_with_config(rumqttc::TlsConfiguration::Rustls(Arc::new(
        config,
    ))));
    options.set_connection_timeout(5);
    rumqttc::v5::AsyncClient::new(options, 16)
}

fn roots(pki: &Pki) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile_certs(&pki.read("ca.pem")) {
        roots.add(cert).unwrap();
    }
    roots
}

fn rustls_pemfile_certs(pem: &[u8]) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem).map(Result::unwrap).collect()
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Whether a client gets a CONNACK within a few seconds.
async fn connects(events: &mut rumqttc::v5::EventLoop) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, events.poll()).await {
            Err(_) => return Err("no CONNACK".into()),
            Ok(Ok(rumqttc::v5::Event::Incoming(rumqttc::v5::mqttbytes::v5::Packet::ConnAck(_)))) => {
                return Ok(());
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e.to_string()),
        }
    }
}

#[test]
fn records_flow_both_ways_and_the_broker_keeps_meters_to_their_topics() {
    let pki = fleet_pki();
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    let broker = Mosquitto::start(&pki, work);
    let url = broker.url();
    let mut op = operator(&pki, work, "op", &url, &[], Stdin::Piped);
    let mut m17 = connect(&pki, work, "meter-17", &url, &[], Stdin::Piped);
    let mut m18 = connect(&pki, work, "meter-18", &url, &[], Stdin::Piped);
    m17.send(r#"{"kind":"reading","v":1,"n":1}"#);
    m18.send(r#"{"kind":"reading","v":1,"n":2}"#);
    let records = op.wait_for_records(2, WAIT);
    let mut by_meter: Vec<(u64, String)> =
        records.iter().map(|r| (r["n"].as_u64().unwrap(), peer_of(r).to_string())).collect();
    by_meter.sort();
    assert_eq!(by_meter, vec![(1, "meter-17".to_string()), (2, "meter-18".to_string())]);

    // The operator to one meter, and that meter's answer back.
    op.send(r#"{"kind":"note","v":1,"n":3,"meta":{"to":"meter-18"}}"#);
    let got = m18.wait_for_records(1, WAIT);
    assert_eq!(got[0]["n"], 3);
    assert_eq!(peer_of(&got[0]), "meter-18");
    m18.send(r#"{"kind":"receipt","v":1,"n":4,"meta":{"peer":{"name":"meter-18"}}}"#);
    let records = op.wait_for_records(3, WAIT);
    assert_eq!((records[2]["n"].as_u64(), peer_of(&records[2])), (Some(4), "meter-18"));

    // meter-18 publishes on meter-17's topic: the broker refuses it.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let meter18 = (*client_config(&pki, "meter-18")).clone();
    let refused = runtime.block_on(async {
        let (client, mut events) = raw_client(broker.port, "meter-18-forger", meter18);
        connects(&mut events).await.expect("meter-18's own certificate connects");
        for frame in [
            r#"{"link":"hello","v":1,"stream":"forged"}"#,
            r#"{"link":"data","seq":1,"record":{"kind":"reading","v":1,"n":666}}"#,
        ] {
            client
                .publish("evlock/meters/meter-17/up", rumqttc::v5::mqttbytes::QoS::AtLeastOnce, false, frame)
                .await
                .unwrap();
        }
        let mut reasons = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while reasons.len() < 2 {
            match tokio::time::timeout_at(deadline, events.poll()).await {
                Ok(Ok(rumqttc::v5::Event::Incoming(rumqttc::v5::mqttbytes::v5::Packet::PubAck(ack)))) => {
                    reasons.push(ack.reason)
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => panic!("{e}"),
                Err(_) => break,
            }
        }
        reasons
    });
    assert_eq!(
        refused,
        vec![rumqttc::v5::mqttbytes::v5::PubAckReason::NotAuthorized; 2],
        "mosquitto answers a forbidden publish with 'not authorized'"
    );
    m17.send(r#"{"kind":"reading","v":1,"n":5}"#);
    let records = op.wait_for_records(4, WAIT);
    assert_eq!((records[3]["n"].as_u64(), peer_of(&records[3])), (Some(5), "meter-17"));
    assert!(records.iter().all(|r| r["n"] != 666), "a forged record reached the operator");
    assert_eq!(records.len(), 4);

    // No certificate, or one from another CA: no connection.
    runtime.block_on(async {
        let bare = rustls::ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(roots(&pki))
            .with_no_client_auth();
        let (_client, mut events) = raw_client(broker.port, "anonymous", bare);
        assert!(connects(&mut events).await.is_err(), "a client without a certificate connected");
        let intruder = evlock::link::tls::client_config(
            &pki.read("ca.pem"),
            &pki.read("intruder.pem"),
            &pki.read("intruder.key"),
        )
        .unwrap();
        let (_client, mut events) = raw_client(broker.port, "intruder", (*intruder).clone());
        assert!(connects(&mut events).await.is_err(), "a certificate from another CA connected");
    });
    let mut intruder =
        connect(&pki, work, "intruder", &url, &["--give-up-after", "1s", "--exit-on-eof"], Stdin::Null);
    assert_eq!(intruder.wait(WAIT).code(), Some(4), "{}", intruder.stderr_text());

    m17.stop();
    m18.stop();
    op.stop();
}

#[test]
fn a_broker_and_a_meter_killed_mid_stream_lose_and_repeat_nothing() {
    const N: usize = 10_000;
    let pki = fleet_pki();
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    records_file(&work.join("up.ndjson"), N, 200, "");
    records_file(&work.join("down.ndjson"), N, 200, r#","meta":{"to":"meter-17"}"#);
    let mut broker = Mosquitto::start(&pki, work);
    let url = broker.url();
    let mut op =
        operator(&pki, work, "op", &url, &["--rate", "4000/s,200"], Stdin::File(&work.join("down.ndjson")));
    let mut meter = connect(&pki, work, "meter-17", &url, &[], Stdin::File(&work.join("up.ndjson")));

    op.wait_for_records(N / 5, WAIT);
    broker.kill();
    std::thread::sleep(Duration::from_millis(500));
    broker.restart();
    op.wait_for_records(N / 2, WAIT);
    meter.kill();
    let mut meter = connect(&pki, work, "meter-17", &url, &[], Stdin::File(&work.join("up.ndjson")));

    op.wait_for_records(N, WAIT);
    meter.wait_for_records(N, WAIT);
    std::thread::sleep(Duration::from_millis(500));
    let (up, down) = (op.records(), meter.records());
    let expected: Vec<u64> = (0..N as u64).collect();
    assert_eq!(numbers(&up), expected, "operator's records: lost, repeated or out of order");
    assert!(up.iter().all(|r| peer_of(r) == "meter-17"));
    assert_eq!(numbers(&down), expected, "meter's records: lost, repeated or out of order");
    meter.stop();
    op.stop();
}

/// Two operators of group `operators` on `broker`.
fn shared_operators(pki: &Pki, work: &Path, url: &str) -> (Proc, Proc) {
    let shared = ["--share", "operators"];
    let op_a = operator(pki, work, "op-a", url, &shared, Stdin::Null);
    let op_b = operator(pki, work, "op-b", url, &shared, Stdin::Null);
    op_a.wait_for_log("shared subscription in group operators", WAIT);
    op_b.wait_for_log("shared subscription in group operators", WAIT);
    (op_a, op_b)
}

/// `(meter, n)` of every record.
fn origins(records: &[Value]) -> Vec<(String, u64)> {
    records.iter().map(|r| (peer_of(r).to_string(), r["n"].as_u64().unwrap())).collect()
}

#[test]
fn two_operators_on_a_shared_subscription_split_the_records_and_write_each_once() {
    const N: usize = 2_000;
    let pki = fleet_pki();
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    let broker = Mosquitto::start(&pki, work);
    let url = broker.url();
    let (mut op_a, mut op_b) = shared_operators(&pki, work, &url);
    // One meter after the other, so each meter's own stream is dealt out between the two.
    for name in ["meter-17", "meter-18"] {
        let input = work.join(format!("{name}.ndjson"));
        records_file(&input, N, 200, "");
        let mut meter = connect(&pki, work, name, &url, &["--shared", "--exit-on-eof"], Stdin::File(&input));
        // --exit-on-eof: the meter ends once an operator acknowledged each of its records.
        let status = meter.wait(WAIT);
        assert!(status.success(), "{status}: {}", meter.stderr_text());
    }
    op_a.stop();
    op_b.stop();
    let (a, b) = (origins(&op_a.records()), origins(&op_b.records()));
    for name in ["meter-17", "meter-18"] {
        let (in_a, in_b) =
            (a.iter().filter(|o| o.0 == name).count(), b.iter().filter(|o| o.0 == name).count());
        eprintln!("{name}: {in_a} records written by op-a, {in_b} by op-b");
        assert!(in_a > 0 && in_b > 0, "{name}'s records were not split ({in_a} and {in_b})");
    }
    let mut all: Vec<(String, u64)> = a.into_iter().chain(b).collect();
    all.sort();
    let expected: Vec<(String, u64)> = ["meter-17", "meter-18"]
        .iter()
        .flat_map(|name| (0..N as u64).map(move |n| (name.to_string(), n)))
        .collect();
    assert_eq!(all, expected, "records lost or written twice across the two operators");
}

#[test]
fn an_operator_killed_in_a_shared_group_loses_nothing_and_repeats_only_what_it_wrote() {
    const N: u64 = 1_500;
    let pki = fleet_pki();
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    let broker = Mosquitto::start(&pki, work);
    let url = broker.url();
    let (op_a, mut op_b) = shared_operators(&pki, work, &url);
    let mut meter =
        connect(&pki, work, "meter-17", &url, &["--shared", "--resend-after", "2s"], Stdin::Piped);
    let line = |n: u64| format!(r#"{{"kind":"reading","v":1,"n":{n},"pad":"{}"}}"#, "x".repeat(150));
    for n in 0..N {
        meter.send(&line(n));
    }
    // op-b dies with records in flight: what it was dealt and had not acknowledged is sent
    // again and taken by op-a.
    op_b.wait_for_records(50, WAIT);
    op_b.kill();
    for n in N..2 * N {
        meter.send(&line(n));
    }
    let start = Instant::now();
    let union = loop {
        let mut union: Vec<u64> =
            origins(&op_a.records()).into_iter().chain(origins(&op_b.records())).map(|o| o.1).collect();
        union.sort();
        union.dedup();
        if union.len() as u64 == 2 * N || start.elapsed() > WAIT {
            break union;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(union, (0..2 * N).collect::<Vec<_>>(), "records lost; meter:\n{}", meter.stderr_text());
    // A record is written twice only if op-b wrote it before its kill and had not
    // acknowledged it yet.
    let a: Vec<u64> = origins(&op_a.records()).into_iter().map(|o| o.1).collect();
    let b: Vec<u64> = origins(&op_b.records()).into_iter().map(|o| o.1).collect();
    let mut a_sorted = a.clone();
    a_sorted.sort();
    a_sorted.dedup();
    assert_eq!(a_sorted.len(), a.len(), "op-a wrote a record twice");
    let twice: Vec<&u64> = b.iter().filter(|n| a.contains(n)).collect();
    eprintln!("op-b wrote {} before its kill; {} of them again by op-a", b.len(), twice.len());
    assert!(twice.len() <= 1024, "more repeated than the meter has out at once (1024): {twice:?}");
    meter.stop();
}

/// A meter with a valid certificate floods a shared-mode operator through the broker with
/// frames of its own making: a new stream per record, and records far above their floor.
/// What the operator remembers of it stays bounded: past `STREAMS_PER_PEER` streams it forgets
/// the least recently used one (a record of it sent again is written again, at-least-once, the
/// documented cost), and a record `EACH_SPAN` or more above its floor is not taken (nor
/// acknowledged) until the floor rises.
#[test]
fn a_meter_flooding_a_shared_operator_with_streams_and_far_records_is_bounded() {
    use evlock::link::store::{EACH_SPAN, STREAMS_PER_PEER};
    use rumqttc::v5::mqttbytes::QoS;

    let pki = fleet_pki();
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    let broker = Mosquitto::start(&pki, work);
    let url = broker.url();
    let mut op = operator(&pki, work, "op", &url, &["--share", "operators"], Stdin::Null);
    op.wait_for_log("shared subscription in group operators", WAIT);

    let data = |stream: &str, floor: u64, seq: u64, n: u64| {
        serde_json::json!({"link": "data", "stream": stream, "floor": floor, "seq": seq,
                           "record": {"kind": "reading", "v": 1, "n": n}})
        .to_string()
    };
    let last = STREAMS_PER_PEER as u64; // streams s0 ..= s16: one more than the cap
    let mut frames: Vec<String> = (0..=last).map(|i| data(&format!("s{i}"), 0, 1, i)).collect();
    frames.extend([
        data("s0", 0, 1, 100),                        // forgotten by s16's arrival: written again
        data(&format!("s{last}"), 0, 1, 101),         // remembered: a duplicate
        data(&format!("s{last}"), 0, EACH_SPAN, 102), // too far above floor 0: not taken
        data(&format!("s{last}"), 0, EACH_SPAN - 1, 103), // just inside: taken
        data(&format!("s{last}"), 2, EACH_SPAN + 1, 104), // the floor rose: inside again
        data(&format!("s{last}"), 2, 2, 999),         // the end
    ]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let meter17 = (*client_config(&pki, "meter-17")).clone();
    runtime.block_on(async {
        let (client, mut events) = raw_client(broker.port, "meter-17-flood", meter17);
        connects(&mut events).await.expect("meter-17's own certificate connects");
        let polling = tokio::spawn(async move { while events.poll().await.is_ok() {} });
        for frame in &frames {
            client
                .publish("evlock/meters/meter-17/up", QoS::AtLeastOnce, false, frame.clone())
                .await
                .unwrap();
        }
        let start = Instant::now();
        while !op.records().iter().any(|r| r["n"] == 999) {
            assert!(start.elapsed() < WAIT, "the last record never came: {}", op.stderr_text());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        polling.abort();
    });
    op.stop();
    let mut written: Vec<u64> = op.records().iter().map(|r| r["n"].as_u64().unwrap()).collect();
    written.sort_unstable();
    let mut expected: Vec<u64> = (0..=last).collect();
    expected.extend([100, 103, 104, 999]);
    assert_eq!(written, expected, "{}", op.stderr_text());
    assert!(op.stderr_text().contains(&format!("meter-17 has more than {STREAMS_PER_PEER} streams")));
}
