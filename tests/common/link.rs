//! The link tests' helpers: certificates made by the real `evlock-keygen tls`, running
//! `evlock-relay listen` and `connect` processes with their output in files, and raw TLS
//! clients (rustls, in the test) for what a misbehaving or foreign peer does.

#![allow(dead_code)]

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const ACCOUNT_17: &str = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94";
pub const ACCOUNT_18: &str = "0x0000000000000000000000000000000000000018";

/// Runs `evlock-keygen ARGS` in `dir`, panicking on failure.
pub fn keygen(dir: &Path, args: &[&str]) {
    let out = Command::new(assert_cmd::cargo::cargo_bin("evlock-keygen"))
        .env_clear()
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "keygen {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A folder with the operator CA (`ca.pem`), the operator's server certificate (`operator.pem`,
/// for 127.0.0.1 and localhost), meters `meter-17` (account 17) and `meter-18` (account 18),
/// and `other-ca.pem` with `intruder.pem` under it.
pub struct Pki {
    pub dir: tempfile::TempDir,
}

impl Pki {
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        keygen(d, &["tls", "ca", "--name", "Operator CA"]);
        keygen(
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
            ],
        );
        keygen(d, &["tls", "issue", "--ca", "ca.pem", "--name", "meter-17", "--account", ACCOUNT_17]);
        keygen(d, &["tls", "issue", "--ca", "ca.pem", "--name", "meter-18", "--account", ACCOUNT_18]);
        keygen(d, &["tls", "ca", "--name", "Other CA", "--cert", "other-ca.pem", "--key", "other-ca.key"]);
        keygen(d, &["tls", "issue", "--ca", "other-ca.pem", "--name", "intruder"]);
        Pki { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Issues one more meter certificate.
    pub fn issue(&self, name: &str, extra: &[&str]) {
        let mut args = vec!["tls", "issue", "--ca", "ca.pem", "--name", name];
        args.extend_from_slice(extra);
        keygen(self.path(), &args);
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.file(name)).unwrap()
    }
}

/// A running tool with stdout and stderr in files (appended to across restarts).
pub struct Proc {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
    drain: Option<std::thread::JoinHandle<()>>,
}

fn append(path: &Path) -> File {
    OpenOptions::new().create(true).append(true).open(path).unwrap()
}

/// How a process's stdin is fed.
pub enum Stdin<'a> {
    Null,
    Piped,
    File(&'a Path),
    /// Another process's stdout (a pipeline).
    Pipe(std::process::ChildStdout),
}

impl Proc {
    pub fn spawn(dir: &Path, name: &str, args: &[String], stdin: Stdin<'_>) -> Proc {
        Proc::spawn_paced(dir, name, args, stdin, None)
    }

    /// Like [`Proc::spawn`], with stdout read through a pipe by a slow reader: one line per
    /// `pace` (a consumer that lags, so the writer blocks on a full pipe).
    pub fn spawn_paced(
        dir: &Path,
        name: &str,
        args: &[String],
        stdin: Stdin<'_>,
        pace: Option<Duration>,
    ) -> Proc {
        let stdout = dir.join(format!("{name}.out"));
        let stderr = dir.join(format!("{name}.err"));
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("evlock-relay"));
        command.env_clear().current_dir(dir).args(args).stderr(append(&stderr));
        match pace {
            None => command.stdout(append(&stdout)),
            Some(_) => command.stdout(Stdio::piped()),
        };
        match stdin {
            Stdin::Null => command.stdin(Stdio::null()),
            Stdin::Piped => command.stdin(Stdio::piped()),
            Stdin::File(path) => command.stdin(File::open(path).unwrap()),
            Stdin::Pipe(out) => command.stdin(Stdio::from(out)),
        };
        let mut child = command.spawn().unwrap();
        let stdin = child.stdin.take();
        let drain = pace.map(|pace| {
            let pipe = child.stdout.take().unwrap();
            let mut file = append(&stdout);
            std::thread::spawn(move || {
                use std::io::BufRead;
                let mut started = Instant::now();
                let mut lines = 0u32;
                for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                    file.write_all(format!("{line}\n").as_bytes()).unwrap();
                    lines += 1;
                    let due = started + pace * lines;
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    if lines >= 1000 {
                        started = Instant::now();
                        lines = 0;
                    }
                }
            })
        });
        Proc { child, stdin, stdout, stderr, drain }
    }

    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub fn records(&self) -> Vec<Value> {
        read_records(&self.stdout)
    }

    /// Waits until stderr holds `needle`; panics with stderr after `timeout`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if self.stderr_text().contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no {needle:?} on stderr within {timeout:?}:\n{}", self.stderr_text());
    }

    /// Waits until stdout holds at least `count` records.
    pub fn wait_for_records(&self, count: usize, timeout: Duration) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let records = self.records();
            if records.len() >= count {
                return records;
            }
            if start.elapsed() > timeout {
                panic!(
                    "{} of {count} records within {timeout:?}; stderr:\n{}",
                    records.len(),
                    self.stderr_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("piped stdin");
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as i32, signal);
        }
    }

    /// SIGTERM, then the exit status.
    pub fn stop(&mut self) -> ExitStatus {
        self.signal(libc::SIGTERM);
        self.wait(Duration::from_secs(10))
    }

    pub fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                if let Some(drain) = self.drain.take() {
                    drain.join().unwrap();
                }
                return status;
            }
            if start.elapsed() > timeout {
                let _ = self.child.kill();
                panic!("still running after {timeout:?}; stderr:\n{}", self.stderr_text());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL and reap; what it had written to its stdout pipe is still read to the end.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(drain) = self.drain.take() {
            drain.join().unwrap();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every complete record line of a file.
pub fn read_records(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    complete.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

/// A listener for the PKI in `work` with the state in `work/outbox`; `extra` flags appended.
pub fn listen(pki: &Pki, work: &Path, name: &str, extra: &[&str], stdin: Stdin<'_>) -> (Proc, String) {
    listen_with(pki, work, name, "operator", extra, stdin)
}

/// Like [`listen`] with the server certificate `cert.pem`.
pub fn listen_with(
    pki: &Pki,
    work: &Path,
    name: &str,
    cert: &str,
    extra: &[&str],
    stdin: Stdin<'_>,
) -> (Proc, String) {
    let address_file = work.join(format!("{name}.address"));
    let _ = std::fs::remove_file(&address_file);
    let mut args: Vec<String> = vec!["-v".into(), "listen".into()];
    if !extra.contains(&"--bind") {
        args.extend(["--bind".into(), "127.0.0.1:0".into()]);
    }
    for (flag, file) in [
        ("--cert", format!("{cert}.pem")),
        ("--key", format!("{cert}.key")),
        ("--client-ca", "ca.pem".into()),
    ] {
        args.push(flag.into());
        args.push(pki.file(&file).display().to_string());
    }
    args.extend(["--outbox".into(), work.join(format!("{name}-state")).display().to_string()]);
    args.extend(["--address-file".into(), address_file.display().to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let proc = Proc::spawn(work, name, &args, stdin);
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(&address_file)
            && text.ends_with('\n')
        {
            return (proc, text.trim().to_string());
        }
        assert!(start.elapsed() < Duration::from_secs(20), "no address; stderr:\n{}", proc.stderr_text());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A meter `meter` (its certificate `meter.pem`) dialling `address`, state in `work/meter-spool`.
pub fn connect(pki: &Pki, work: &Path, meter: &str, address: &str, extra: &[&str], stdin: Stdin<'_>) -> Proc {
    connect_as(pki, work, meter, meter, address, extra, stdin)
}

/// Like [`connect`] with the process (and its files) named `name`.
pub fn connect_as(
    pki: &Pki,
    work: &Path,
    name: &str,
    cert: &str,
    address: &str,
    extra: &[&str],
    stdin: Stdin<'_>,
) -> Proc {
    connect_paced(pki, work, name, cert, address, extra, stdin, None)
}

/// Like [`connect_as`] with a slow reader of its stdout.
#[allow(clippy::too_many_arguments)]
pub fn connect_paced(
    pki: &Pki,
    work: &Path,
    name: &str,
    cert: &str,
    address: &str,
    extra: &[&str],
    stdin: Stdin<'_>,
    pace: Option<Duration>,
) -> Proc {
    let mut args: Vec<String> = vec!["-v".into(), "connect".into(), "--to".into(), address.into()];
    args.extend(["--ca".into(), pki.file("ca.pem").display().to_string()]);
    args.extend(["--cert".into(), pki.file(&format!("{cert}.pem")).display().to_string()]);
    args.extend(["--key".into(), pki.file(&format!("{cert}.key")).display().to_string()]);
    args.extend(["--spool".into(), work.join(format!("{name}-spool")).display().to_string()]);
    args.extend(["--retry-min".into(), "50ms".into(), "--retry-max".into(), "300ms".into()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    Proc::spawn_paced(work, name, &args, stdin, pace)
}

/// A rustls client configuration of a meter, as the tool builds it.
pub fn client_config(pki: &Pki, cert: &str) -> Arc<rustls::ClientConfig> {
    evlock::link::tls::client_config(
        &pki.read("ca.pem"),
        &pki.read(&format!("{cert}.pem")),
        &pki.read(&format!("{cert}.key")),
    )
    .unwrap()
}

/// A raw TLS connection of the test itself (a peer that misbehaves on purpose).
pub struct RawClient {
    pub stream: rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
}

impl RawClient {
    pub fn connect(address: &str, config: Arc<rustls::ClientConfig>) -> Result<RawClient, rustls::Error> {
        let tcp = TcpStream::connect(address).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let connection = rustls::ClientConnection::new(config, name)?;
        let mut stream = rustls::StreamOwned::new(connection, tcp);
        while stream.conn.is_handshaking() {
            if let Err(e) = stream.conn.complete_io(&mut stream.sock) {
                let tls = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()).cloned();
                return Err(tls.unwrap_or(rustls::Error::General(e.to_string())));
            }
        }
        Ok(RawClient { stream })
    }

    pub fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// Reads lines until one contains `needle` (or the connection ends): every line read.
    pub fn read_until(&mut self, needle: &str) -> (Vec<String>, Option<std::io::Error>) {
        let mut text = String::new();
        let mut buffer = [0u8; 4096];
        loop {
            if text.contains(needle) {
                return (text.lines().map(str::to_string).collect(), None);
            }
            match self.stream.read(&mut buffer) {
                Ok(0) => return (text.lines().map(str::to_string).collect(), None),
                Ok(n) => text.push_str(&String::from_utf8_lossy(&buffer[..n])),
                Err(e) => return (text.lines().map(str::to_string).collect(), Some(e)),
            }
        }
    }
}

/// `n` reading-like records of about `size` bytes, numbered from 0, for meter `from`.
pub fn records_file(path: &Path, n: usize, size: usize, extra_meta: &str) {
    let mut text = String::with_capacity(n * (size + 1));
    for i in 0..n {
        let head = format!("{{\"kind\":\"reading\",\"v\":1,\"n\":{i},\"pad\":\"");
        let tail = format!("\"{extra_meta}}}");
        let pad = size.saturating_sub(head.len() + tail.len());
        text.push_str(&head);
        text.push_str(&"x".repeat(pad));
        text.push_str(&tail);
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// The `n` fields of records, in order.
pub fn numbers(records: &[Value]) -> Vec<u64> {
    records.iter().map(|r| r["n"].as_u64().unwrap()).collect()
}
