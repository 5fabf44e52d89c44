//! What the `evlock-sense` binary costs, printed (a bench binary, not criterion):
//!
//!     cargo bench --bench sense
//!
//! - readings/s it sustains with `--interval 0`, health checks and NDJSON output included,
//!   read by this process through a pipe: on the simulator (virtual and wall clock) and on a
//!   PZEM-004T slave simulator over a pseudo-terminal (the real `serialport` path);
//! - CPU time and peak RSS of `--interval 1s` over 60 s, the way it runs on a meter board,
//!   on the simulator and on the pty Modbus path side by side (`wait4` of each child).
//!
//! Under `cargo test --all-targets` (no `--bench` argument) it only makes a short smoke run.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use evlock::meter::modbus::slave::{SimDevice, SimValues, Slave};

const SENSE: &str = env!("CARGO_BIN_EXE_evlock-sense");

/// Runs evlock-sense with `args`, counts the `reading` records it writes (a constant Modbus
/// simulator also earns a `frozen` alarm); returns (readings, elapsed).
fn stream(args: &[&str]) -> (u64, Duration) {
    let start = Instant::now();
    let mut child = Command::new(SENSE)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("evlock-sense starts");
    let reader = BufReader::with_capacity(1 << 16, child.stdout.take().unwrap());
    let records = reader
        .split(b'\n')
        .map(|line| line.expect("a line"))
        .filter(|line| line.starts_with(br#"{"kind":"reading""#))
        .count();
    let status = child.wait().unwrap();
    assert!(status.success(), "evlock-sense {args:?}: {status}");
    (records as u64, start.elapsed())
}

fn report_rate(what: &str, records: u64, elapsed: Duration) {
    println!(
        "{what:<46} {:>9.0} readings/s  ({records} in {elapsed:.2?}, {:.1} µs each, process start included)",
        records as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / records as f64
    );
}

/// CPU time and peak RSS of a child, from `wait4`.
fn wait_usage(mut child: Child) -> (Duration, u64) {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value to be overwritten.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet waited for; both pointers are valid.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4: {}", std::io::Error::last_os_error());
    // The child is reaped: keep std from waiting for it again.
    let _ = child.stdout.take();
    std::mem::forget(child);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "status {status}");
    let time =
        |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    // ru_maxrss is in KiB on Linux.
    (time(usage.ru_utime) + time(usage.ru_stime), usage.ru_maxrss as u64)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (sim_count, modbus_count, idle_secs) = if full { (200_000, 3_000, 60) } else { (2_000u64, 30, 2) };

    // The virtual clock at 1 s steps never sleeps: simulated time moves, so energy counts and
    // the INA228 model converts, as in a real session.
    let count = sim_count.to_string();
    let (n, t) = stream(&["--device", "sim:bench", "--interval", "0", "--count", &count]);
    report_rate("simulator, --interval 0", n, t);
    let (n, t) =
        stream(&["--device", "sim:bench", "--switch", "sim:bench", "--clock", "virtual", "--count", &count]);
    report_rate("simulator + relay state, virtual 1 s steps", n, t);
    let (n, t) = stream(&["--device", "sim:bench?mode=ina228", "--clock", "virtual", "--count", &count]);
    report_rate("simulator mode=ina228 (the INA228 driver)", n, t);
    assert_eq!(n, sim_count, "a clean simulator raises no alarm");

    // The pty does not enforce a baud rate; at 115200 baud the driver's t3.5 gap is 1.75 ms.
    let line = Slave::on_pty(vec![SimDevice::pzem004t(1, &SimValues::sample())]).expect("a pty");
    let path = line.path();
    let count = modbus_count.to_string();
    for baud in [115_200, 9600] {
        let device = format!("modbus:{path}?profile=pzem004t&addr=1&baud={baud}");
        let (n, t) = stream(&["--device", &device, "--interval", "0", "--count", &count]);
        report_rate(&format!("PZEM-004T on a pty, {baud} baud settings"), n, t);
    }

    // A meter board's life: one reading a second, for a minute, both paths at once.
    let readings = (idle_secs + 1).to_string();
    let spawn = |device: &str| {
        Command::new(SENSE)
            .args(["--device", device, "--interval", "1s", "--count", &readings])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("evlock-sense starts")
    };
    let started = Instant::now();
    let sim = spawn("sim:idle");
    let modbus = spawn(&format!("modbus:{path}?profile=pzem004t&addr=1"));
    let (sim_cpu, sim_rss) = wait_usage(sim);
    let (modbus_cpu, modbus_rss) = wait_usage(modbus);
    let wall = started.elapsed();
    for (what, cpu, rss) in [("simulator", sim_cpu, sim_rss), ("PZEM-004T on a pty", modbus_cpu, modbus_rss)]
    {
        println!(
            "--interval 1s for {idle_secs} s, {what:<19} CPU {:>7.1} ms ({:.3} % of one core), peak RSS {:.1} MiB",
            cpu.as_secs_f64() * 1e3,
            cpu.as_secs_f64() / wall.as_secs_f64() * 100.0,
            rss as f64 / 1024.0
        );
    }
    drop(line);
}
