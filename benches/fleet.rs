//! Fleet mode's figures beside the direct link's, in the same run (a bench binary):
//!
//!     cargo bench --bench fleet
//!
//! All on loopback with the real binaries, Debian's mosquitto 2 with the shipped configuration
//! (`examples/mqtt/`) and certificates from `evlock-keygen tls`:
//!
//! - throughput: 50,000 records of 200 bytes from one meter's `connect` until the operator's
//!   `listen` has written the last one (spool fsyncs, TLS, acks, marks and all): over the
//!   direct link, through mosquitto (one operator), and through mosquitto in shared mode (two
//!   operators on one shared subscription);
//! - end-to-end latency: one record written to the meter's stdin until the operator's stdout
//!   has it, one at a time (median and 99th percentile of 300), direct and through mosquitto;
//! - memory per connected meter client: the resident memory of one meter's `connect` process
//!   linked through the broker; mosquitto's growth per connected client (500 TLS clients with
//!   a meter certificate); the operator's growth per meter with a session (100 meters, each
//!   its own certificate, each sending its `hello`).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const KEYGEN: &str = env!("CARGO_BIN_EXE_evlock-keygen");
const RELAY: &str = env!("CARGO_BIN_EXE_evlock-relay");

fn keygen(dir: &Path, args: &[&str]) {
    let status = Command::new(KEYGEN).current_dir(dir).args(args).stdout(Stdio::null()).status().unwrap();
    assert!(status.success(), "keygen {args:?}");
}

fn pki(dir: &Path) {
    keygen(dir, &["tls", "ca", "--name", "Bench CA"]);
    keygen(dir, &["tls", "issue", "--ca", "ca.pem", "--name", "operator", "--server", "--host", "127.0.0.1"]);
    keygen(dir, &["tls", "issue", "--ca", "ca.pem", "--name", "broker", "--server", "--host", "127.0.0.1"]);
    keygen(
        dir,
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
    keygen(dir, &["tls", "issue", "--ca", "ca.pem", "--name", "meter-1"]);
}

fn records(path: &Path, n: usize, size: usize) {
    let mut text = String::with_capacity(n * (size + 1));
    for i in 0..n {
        text.push_str(&record(i, size));
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

fn record(i: usize, size: usize) -> String {
    let head = format!("{{\"kind\":\"reading\",\"v\":1,\"n\":{i},\"pad\":\"");
    format!("{head}{}\"}}", "x".repeat(size - head.len() - 2))
}

fn lines(path: &Path) -> usize {
    let mut count = 0;
    let mut buffer = vec![0u8; 1 << 16];
    let Ok(mut file) = File::open(path) else { return 0 };
    while let Ok(n) = file.read(&mut buffer) {
        if n == 0 {
            break;
        }
        count += buffer[..n].iter().filter(|&&b| b == b'\n').count();
    }
    count
}

fn wait_lines(paths: &[PathBuf], n: usize) {
    let start = Instant::now();
    loop {
        let have: usize = paths.iter().map(|p| lines(p)).sum();
        if have >= n {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(300), "{have} of {n} lines");
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// mosquitto with the shipped configuration, its paths moved into `dir`.
struct Broker {
    child: Child,
    url: String,
    port: u16,
}

impl Broker {
    /// A fresh broker (its own persistence folder): no session of an earlier run lingers.
    fn start(dir: &Path, tag: &str) -> Broker {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mqtt");
        std::fs::copy(shipped.join("acl"), dir.join("acl")).unwrap();
        let data = dir.join(format!("broker-{tag}"));
        std::fs::create_dir_all(&data).unwrap();
        let port = free_port();
        let mut conf = std::fs::read_to_string(shipped.join("mosquitto.conf"))
            .unwrap()
            .replace("/etc/mosquitto/evlock/", &format!("{}/", dir.display()))
            .replace("/var/lib/mosquitto/", &format!("{}/", data.display()))
            .replace("listener 8883", &format!("listener {port} 127.0.0.1"));
        conf.push_str("\nuser root\nmax_connections -1\n");
        let conf_path = dir.join(format!("mosquitto-{tag}.conf"));
        std::fs::write(&conf_path, conf).unwrap();
        let log = File::create(dir.join(format!("mosquitto-{tag}.log"))).unwrap();
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(&conf_path)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("mosquitto (apt-get install mosquitto)");
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(start.elapsed() < Duration::from_secs(20), "mosquitto did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        Broker { child, url: format!("mqtts://127.0.0.1:{port}"), port }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        kill(&mut self.child);
    }
}

/// How an operator's `listen` is reached.
enum Via<'a> {
    Direct,
    Broker(&'a str),
    Shared(&'a str),
}

/// An operator's `listen` writing to `DIR/NAME.out` (or a pipe), and the address meters dial.
fn listen(dir: &Path, name: &str, via: &Via<'_>, stdout: Stdio) -> (Child, String) {
    let mut command = Command::new(RELAY);
    command.current_dir(dir).args(["-q", "listen", "--rate", "none", "--outbox", &format!("{name}-state")]);
    match via {
        Via::Direct => command
            .args(["--bind", "127.0.0.1:0", "--address-file", &format!("{name}.address")])
            .args(["--cert", "operator.pem", "--key", "operator.key", "--client-ca", "ca.pem"]),
        Via::Broker(url) | Via::Shared(url) => command.args([
            "--from",
            url,
            "--cert",
            "op-client.pem",
            "--key",
            "op-client.key",
            "--ca",
            "ca.pem",
        ]),
    };
    if let Via::Shared(_) = via {
        command.args(["--share", "bench"]);
    }
    let mut child = command.stdin(Stdio::null()).stdout(stdout).spawn().unwrap();
    let address = match via {
        Via::Direct => {
            let file = dir.join(format!("{name}.address"));
            let start = Instant::now();
            loop {
                if let Ok(text) = std::fs::read_to_string(&file)
                    && text.ends_with('\n')
                {
                    break text.trim().to_string();
                }
                if start.elapsed() > Duration::from_secs(20) {
                    kill(&mut child);
                    panic!("the listener did not start");
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        Via::Broker(url) | Via::Shared(url) => {
            // Subscribed before the meter publishes.
            std::thread::sleep(Duration::from_millis(700));
            url.to_string()
        }
    };
    (child, address)
}

fn out_file(dir: &Path, name: &str) -> Stdio {
    OpenOptions::new().create(true).append(true).open(dir.join(format!("{name}.out"))).unwrap().into()
}

fn connect(dir: &Path, cert: &str, spool: &str, to: &str, stdin: Stdio, extra: &[&str]) -> Child {
    Command::new(RELAY)
        .current_dir(dir)
        .args(["-q", "connect", "--to", to, "--ca", "ca.pem"])
        .args(["--cert", &format!("{cert}.pem"), "--key", &format!("{cert}.key"), "--spool", spool])
        .args(["--retry-min", "20ms", "--retry-max", "200ms"])
        .args(extra)
        .stdin(stdin)
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

fn throughput(dir: &Path) {
    const N: usize = 50_000;
    const SIZE: usize = 200;
    records(&dir.join("in.ndjson"), N, SIZE);
    for i in 0..3 {
        let broker = Broker::start(dir, &format!("tp{i}"));
        let (what, operators) = match i {
            0 => ("direct link (TLS to the listener)", vec![Via::Direct]),
            1 => ("through mosquitto, one operator", vec![Via::Broker(&broker.url)]),
            _ => (
                "through mosquitto, shared by two operators",
                vec![Via::Shared(&broker.url), Via::Shared(&broker.url)],
            ),
        };
        let mut children = Vec::new();
        let mut outs = Vec::new();
        let mut address = String::new();
        for (j, via) in operators.iter().enumerate() {
            let name = format!("tp{i}-{j}");
            let (child, at) = listen(dir, &name, via, out_file(dir, &name));
            children.push(child);
            outs.push(dir.join(format!("{name}.out")));
            address = at;
        }
        let extra: &[&str] = if matches!(operators[0], Via::Shared(_)) {
            &["--exit-on-eof", "--shared"]
        } else {
            &["--exit-on-eof"]
        };
        let start = Instant::now();
        let input = File::open(dir.join("in.ndjson")).unwrap();
        let mut meter = connect(dir, "meter-1", &format!("tp{i}-spool"), &address, input.into(), extra);
        wait_lines(&outs, N);
        let took = start.elapsed().as_secs_f64();
        assert!(meter.wait().unwrap().success());
        for child in &mut children {
            kill(child);
        }
        let split: Vec<String> = outs.iter().map(|o| lines(o).to_string()).collect();
        println!(
            "throughput  {what}: {N} records of {SIZE} B, {:.0} records/s, {:.1} MB/s ({took:.2} s; written {})",
            N as f64 / took,
            (N * SIZE) as f64 / took / 1e6,
            split.join(" + ")
        );
    }
}

/// One record at a time: from the meter's stdin to the operator's stdout.
fn latency(dir: &Path) {
    const SAMPLES: usize = 300;
    for i in 0..2 {
        let broker = Broker::start(dir, &format!("lat{i}"));
        let (what, via) = if i == 0 {
            ("direct link", Via::Direct)
        } else {
            ("through mosquitto", Via::Broker(&broker.url))
        };
        let via = &via;
        let (mut operator, address) = listen(dir, &format!("lat{i}"), via, Stdio::piped());
        let (tx, rx) = mpsc::channel::<()>();
        let stdout = operator.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if line.is_err() || tx.send(()).is_err() {
                    return;
                }
            }
        });
        let mut meter = connect(dir, "meter-1", &format!("lat{i}-spool"), &address, Stdio::piped(), &[]);
        let mut stdin: ChildStdin = meter.stdin.take().unwrap();
        let mut send = |n: usize| {
            stdin.write_all(record(n, 200).as_bytes()).unwrap();
            stdin.write_all(b"\n").unwrap();
            stdin.flush().unwrap();
        };
        // The first record waits for the link to come up.
        send(0);
        rx.recv_timeout(Duration::from_secs(60)).expect("the first record");
        let mut times: Vec<Duration> = (1..=SAMPLES)
            .map(|n| {
                let start = Instant::now();
                send(n);
                rx.recv_timeout(Duration::from_secs(30)).expect("a record");
                start.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "latency     {what}, one record at a time ({SAMPLES}): median {:.2} ms, p99 {:.2} ms",
            times[SAMPLES / 2].as_secs_f64() * 1e3,
            times[SAMPLES * 99 / 100].as_secs_f64() * 1e3
        );
        kill(&mut meter);
        kill(&mut operator);
    }
}

fn mqtt_client(
    dir: &Path,
    port: u16,
    cert: &str,
    id: &str,
) -> (rumqttc::v5::AsyncClient, rumqttc::v5::EventLoop) {
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let mut tls = (*evlock::link::tls::client_config(
        &read("ca.pem"),
        &read(&format!("{cert}.pem")),
        &read(&format!("{cert}.key")),
    )
    .unwrap())
    .clone();
    tls.alpn_protocols.clear();
    let mut options = rumqttc::v5::MqttOptions::new(id, "127.0.0.1", port);
    options
        .set_transport(rumqttc::Transport::tls_with_config(rumqttc::TlsConfiguration::Rustls(Arc::new(tls))));
    options.set_keep_alive(Duration::from_secs(600));
    options.set_connection_timeout(30);
    rumqttc::v5::AsyncClient::new(options, 16)
}

/// Polls a client's event loop until its CONNACK, then keeps it going in the background.
async fn keep_connected(mut events: rumqttc::v5::EventLoop) {
    use rumqttc::v5::Event;
    use rumqttc::v5::mqttbytes::v5::Packet;
    loop {
        match events.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => break,
            Ok(_) => {}
            Err(e) => panic!("a bench client did not connect: {e}"),
        }
    }
    tokio::spawn(async move { while events.poll().await.is_ok() {} });
}

fn memory(dir: &Path) {
    evlock::link::install_provider();
    let broker = &Broker::start(dir, "mem");
    // One meter's own process, linked through the broker and idle.
    let (mut operator, url) = listen(dir, "mem", &Via::Broker(&broker.url), Stdio::null());
    let mut meter = connect(dir, "meter-1", "mem-spool", &url, Stdio::piped(), &[]);
    std::thread::sleep(Duration::from_secs(3));
    println!(
        "memory      one meter's `connect --to mqtts://…`, linked and idle: RSS {} KiB",
        rss_kib(meter.id())
    );
    kill(&mut meter);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    // The broker: 500 more TLS clients.
    const CLIENTS: usize = 500;
    std::thread::sleep(Duration::from_millis(500));
    let before = rss_kib(broker.child.id());
    let clients: Vec<_> = runtime.block_on(async {
        let mut clients = Vec::new();
        for i in 0..CLIENTS {
            let (client, events) = mqtt_client(dir, broker.port, "meter-1", &format!("bench-{i}"));
            keep_connected(events).await;
            client
                .subscribe("evlock/meters/meter-1/down", rumqttc::v5::mqttbytes::QoS::AtLeastOnce)
                .await
                .unwrap();
            clients.push(client);
        }
        clients
    });
    std::thread::sleep(Duration::from_secs(1));
    let after = rss_kib(broker.child.id());
    println!(
        "memory      mosquitto, {CLIENTS} more TLS clients: RSS {before} KiB -> {after} KiB, {:.1} KiB per client",
        after.saturating_sub(before) as f64 / CLIENTS as f64
    );
    drop(clients);

    // The operator: a session per meter.
    const METERS: usize = 100;
    for i in 0..METERS {
        keygen(dir, &["tls", "issue", "--ca", "ca.pem", "--name", &format!("m{i}")]);
    }
    let before = rss_kib(operator.id());
    let meters: Vec<_> = runtime.block_on(async {
        let mut meters = Vec::new();
        for i in 0..METERS {
            let name = format!("m{i}");
            let (client, events) = mqtt_client(dir, broker.port, &name, &name);
            keep_connected(events).await;
            let hello = format!(r#"{{"link":"hello","v":1,"stream":"bench-{i}"}}"#);
            client
                .publish(
                    format!("evlock/meters/{name}/up"),
                    rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
                    false,
                    hello,
                )
                .await
                .unwrap();
            meters.push(client);
        }
        meters
    });
    std::thread::sleep(Duration::from_secs(2));
    let after = rss_kib(operator.id());
    println!(
        "memory      the operator, {METERS} meters with a session through the broker: RSS {before} KiB -> {after} KiB, {:.1} KiB per meter",
        after.saturating_sub(before) as f64 / METERS as f64
    );
    drop(meters);
    kill(&mut operator);
}

fn main() {
    // `cargo test --all-targets` runs benches in test mode: keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("fleet bench: run with `cargo bench --bench fleet`");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    pki(d);
    throughput(d);
    latency(d);
    memory(d);
}
