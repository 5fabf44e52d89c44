//! The operator–meter link's figures, printed (a bench binary):
//!
//!     cargo bench --bench link
//!
//! All on loopback with the real binaries and certificates from `evlock-keygen tls`:
//!
//! - throughput of `evlock-relay connect < records | … | evlock-relay listen > out`: 100,000
//!   records of 200 bytes, from the connect's start until the listener has written the last
//!   one (spool fsyncs, TLS, acks, marks and all), in records/s and MB/s;
//! - handshake time: TCP connect, TLS 1.3 handshake with client certificates, and the
//!   operator's `hello` (median and 99th percentile of 200);
//! - memory per idle connection: the listener's resident memory before and after 1,000 idle
//!   links (each through its handshake and hello), divided by 1,000;
//! - recovery after a kill: the listener is SIGKILLed mid-stream and restarted; the time from
//!   the restart until the next record is written (the meter's reconnect, resume and resend),
//!   and the same for the meter killed and restarted.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
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
    keygen(dir, &["tls", "issue", "--ca", "ca.pem", "--name", "meter-1"]);
}

fn records(path: &Path, n: usize, size: usize) {
    let mut text = String::with_capacity(n * (size + 1));
    for i in 0..n {
        let head = format!("{{\"kind\":\"reading\",\"v\":1,\"n\":{i},\"pad\":\"");
        text.push_str(&head);
        text.push_str(&"x".repeat(size - head.len() - 2));
        text.push_str("\"}\n");
    }
    std::fs::write(path, text).unwrap();
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

struct Listener {
    child: Child,
    address: String,
}

fn listen(dir: &Path, bind: &str, extra: &[&str]) -> Listener {
    let address_file = dir.join("address");
    let _ = std::fs::remove_file(&address_file);
    let out = OpenOptions::new().create(true).append(true).open(dir.join("listen.out")).unwrap();
    let mut child = Command::new(RELAY)
        .current_dir(dir)
        .args(["-q", "listen", "--bind", bind, "--cert", "operator.pem", "--key", "operator.key"])
        .args(["--client-ca", "ca.pem", "--outbox", "outbox", "--address-file", "address"])
        .args(if extra.contains(&"--rate") { &[][..] } else { &["--rate", "none"][..] })
        .args(extra)
        .stdin(Stdio::null())
        .stdout(out)
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(&address_file)
            && text.ends_with('\n')
        {
            return Listener { child, address: text.trim().to_string() };
        }
        if start.elapsed() > Duration::from_secs(20) || matches!(child.try_wait(), Ok(Some(_))) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the listener did not start");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn connect(dir: &Path, address: &str, input: &Path, extra: &[&str]) -> Child {
    Command::new(RELAY)
        .current_dir(dir)
        .args([
            "-q",
            "connect",
            "--to",
            address,
            "--ca",
            "ca.pem",
            "--cert",
            "meter-1.pem",
            "--key",
            "meter-1.key",
        ])
        .args(["--spool", "spool", "--retry-min", "20ms", "--retry-max", "200ms"])
        .args(extra)
        .stdin(File::open(input).unwrap())
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait_lines(path: &Path, n: usize) {
    let start = Instant::now();
    while lines(path) < n {
        assert!(start.elapsed() < Duration::from_secs(300), "{} of {n} lines", lines(path));
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn throughput() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    pki(d);
    const N: usize = 100_000;
    const SIZE: usize = 200;
    records(&d.join("in.ndjson"), N, SIZE);
    let mut listener = listen(d, "127.0.0.1:0", &[]);
    let start = Instant::now();
    let mut meter = connect(d, &listener.address, &d.join("in.ndjson"), &["--exit-on-eof"]);
    wait_lines(&d.join("listen.out"), N);
    let took = start.elapsed().as_secs_f64();
    assert!(meter.wait().unwrap().success());
    let _ = listener.child.kill();
    let _ = listener.child.wait();
    println!(
        "throughput  connect | listen, {N} records of {SIZE} B: {:.0} records/s, {:.1} MB/s ({took:.2} s)",
        N as f64 / took,
        (N * SIZE) as f64 / took / 1e6
    );
}

fn client_config(dir: &Path) -> Arc<rustls::ClientConfig> {
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    evlock::link::tls::client_config(&read("ca.pem"), &read("meter-1.pem"), &read("meter-1.key")).unwrap()
}

/// TCP, TLS, and the operator's hello line.
fn link(
    address: &str,
    config: Arc<rustls::ClientConfig>,
) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let tcp = TcpStream::connect(address).unwrap();
    tcp.set_nodelay(true).unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut stream = rustls::StreamOwned::new(rustls::ClientConnection::new(config, name).unwrap(), tcp);
    let mut seen = Vec::new();
    let mut byte = [0u8; 1024];
    while !seen.contains(&b'\n') {
        let n = stream.read(&mut byte).unwrap();
        assert!(n > 0, "closed before hello");
        seen.extend_from_slice(&byte[..n]);
    }
    assert!(seen.starts_with(br#"{"link":"hello""#));
    stream
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn handshakes_and_memory() {
    evlock::link::install_provider();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    pki(d);
    let mut listener = listen(d, "127.0.0.1:0", &["--idle-timeout", "600s", "--max-per-peer", "2000"]);
    let config = client_config(d);
    let mut times: Vec<Duration> = (0..200)
        .map(|_| {
            let start = Instant::now();
            let stream = link(&listener.address, config.clone());
            let took = start.elapsed();
            drop(stream);
            took
        })
        .collect();
    times.sort();
    println!(
        "handshake   TCP + TLS 1.3 (client certificate) + hello: median {:.2} ms, p99 {:.2} ms",
        times[100].as_secs_f64() * 1e3,
        times[198].as_secs_f64() * 1e3
    );

    std::thread::sleep(Duration::from_millis(500));
    let before = rss_kib(listener.child.id());
    let mut idle = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let mut stream = link(&listener.address, config.clone());
        stream.write_all(b"{\"link\":\"hello\",\"v\":1,\"stream\":\"idle\"}\n").unwrap();
        stream.flush().unwrap();
        idle.push(stream);
    }
    std::thread::sleep(Duration::from_secs(1));
    let after = rss_kib(listener.child.id());
    println!(
        "memory      1000 idle links: listener RSS {before} KiB -> {after} KiB, {:.1} KiB per connection",
        (after.saturating_sub(before)) as f64 / 1000.0
    );
    drop(idle);
    let _ = listener.child.kill();
    let _ = listener.child.wait();
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The time from `restart` until the listener's output grows past what it had.
fn until_more(out: &Path, restart: impl FnOnce()) -> Duration {
    let had = lines(out);
    let start = Instant::now();
    restart();
    while lines(out) <= had {
        assert!(start.elapsed() < Duration::from_secs(60), "nothing after the restart");
        std::thread::sleep(Duration::from_micros(500));
    }
    start.elapsed()
}

fn recovery() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    pki(d);
    const N: usize = 200_000;
    records(&d.join("in.ndjson"), N, 200);
    let out = d.join("listen.out");
    let mut listener = listen(d, "127.0.0.1:0", &["--rate", "20000/s,1000"]);
    let address = listener.address.clone();
    let mut meter = connect(d, &address, &d.join("in.ndjson"), &[]);
    wait_lines(&out, N / 10);
    kill(&mut listener.child);
    let mut restarted = None;
    let took = until_more(&out, || restarted = Some(listen(d, &address, &["--rate", "20000/s,1000"])));
    println!(
        "recovery    listener SIGKILLed mid-stream: {:.0} ms from its restart to the next record written",
        took.as_secs_f64() * 1e3
    );
    let mut listener = restarted.unwrap();
    wait_lines(&out, N / 5);
    kill(&mut meter);
    let mut again = None;
    let took = until_more(&out, || again = Some(connect(d, &address, &d.join("in.ndjson"), &[])));
    println!(
        "recovery    meter SIGKILLed mid-stream: {:.0} ms from its restart to the next record written",
        took.as_secs_f64() * 1e3
    );
    let mut meter = again.unwrap();
    kill(&mut meter);
    kill(&mut listener.child);
}

fn main() {
    // `cargo test --all-targets` runs benches in test mode: keep that quick.
    if std::env::args().any(|a| a == "--bench") {
        throughput();
        handshakes_and_memory();
        recovery();
    } else {
        println!("link bench: run with `cargo bench --bench link`");
    }
}
