//! Readings per second the Modbus RTU driver sustains over a pseudo-terminal against the
//! slave simulator, at the default settings (timeout 500 ms, 2 retries).
//!
//!     cargo bench --bench modbus
//!
//! A pty does not enforce a baud rate, so the measured rate is the driver's, the kernel's and
//! the simulator's cost per reading. A real line is slower: for each profile the bench also
//! prints the rate its frames allow at 9600 baud (and at the meter's own default), counting
//! for each request: the request's characters, t3.5 for the slave to see the frame end, the
//! reply's characters and t3.5 before the next request (the meter's own processing time is not
//! counted, so a real meter is slower still).
//!
//! The driver waits t3.5 after each reply before its next request, as the serial line spec
//! asks, at the configured baud rate even on a pty: the measured rate is bounded by that wait,
//! and the bench prints what is left per request once it is taken out.

use std::time::{Duration, Instant};

use evlock::meter::Meter;
use evlock::meter::modbus::slave::{SimDevice, SimValues, Slave};
use evlock::meter::modbus::{Block, ModbusMeter, Parity, SerialSettings, StopBits, open_modbus};

/// How long each configuration is measured under `cargo bench`.
const MEASURE_FOR: Duration = Duration::from_secs(3);
/// Under `cargo test --all-targets` (no `--bench` argument): a smoke run only.
const SMOKE_FOR: Duration = Duration::from_millis(100);

/// Line time of one reading's requests at `settings`.
fn line_time(plan: &[Block], settings: &SerialSettings) -> Duration {
    let gap = settings.inter_frame_gap();
    plan.iter()
        .map(|block| {
            let request_bytes = 8;
            let reply_bytes = 5 + 2 * usize::from(block.count);
            settings.transmission_time(request_bytes + reply_bytes) + gap * 2
        })
        .sum()
}

fn run(name: &str, device: SimDevice, query: &str, native_baud: u32, measure_for: Duration) {
    let line = Slave::on_pty(vec![device]).expect("a pseudo-terminal pair");
    let uri = line.uri(query).parse().expect("uri");
    let mut meter: ModbusMeter = open_modbus(&uri).expect("open the driver");

    for _ in 0..50 {
        meter.read(Duration::ZERO).expect("warm-up reading");
    }
    let mut latencies = Vec::with_capacity(100_000);
    let started = Instant::now();
    while started.elapsed() < measure_for {
        let t = Instant::now();
        let sample = meter.read(Duration::ZERO).expect("reading");
        latencies.push(t.elapsed());
        assert!((sample.volts - 230.1).abs() < 1e-3, "the simulator's value came back");
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let readings = latencies.len();
    let per_second = readings as f64 / elapsed.as_secs_f64();
    let median = latencies[readings / 2];
    let p99 = latencies[readings * 99 / 100];
    let counters = meter.counters();
    let plan = meter.plan().to_vec();
    let reply_registers: usize = plan.iter().map(|b| usize::from(b.count)).sum();

    let gap = meter.client().settings().inter_frame_gap();
    let overhead_per_request = median.saturating_sub(gap * plan.len() as u32) / plan.len() as u32;
    println!("{name} ({query}): {} request(s) per reading, {reply_registers} registers", plan.len());
    println!(
        "  pty, measured: {per_second:>9.0} readings/s  ({:.0} requests/s; median {:.1} µs, p99 {:.1} µs; \
         {readings} readings, {} retries, {} timeouts, {} CRC errors)",
        per_second * plan.len() as f64,
        median.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6,
        counters.retries,
        counters.timeouts,
        counters.crc_errors,
    );
    println!(
        "  of which t3.5 waits {:.2} ms per request; driver + pty + simulator ≈ {:.0} µs per request",
        gap.as_secs_f64() * 1e3,
        overhead_per_request.as_secs_f64() * 1e6,
    );
    for baud in [9600, native_baud] {
        let settings = SerialSettings { baud, parity: Parity::None, stop_bits: StopBits::One };
        let time = line_time(&plan, &settings);
        println!(
            "  line at {baud} baud 8N1 (theoretical): {:>6.1} readings/s  ({:.1} ms per reading, t3.5 = {:.2} ms)",
            1.0 / time.as_secs_f64(),
            time.as_secs_f64() * 1e3,
            settings.inter_frame_gap().as_secs_f64() * 1e3,
        );
        if baud == native_baud {
            break;
        }
    }
    drop(meter);
    drop(line);
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it.
    let measure_for = if std::env::args().any(|a| a == "--bench") { MEASURE_FOR } else { SMOKE_FOR };
    run(
        "PZEM-004T v3",
        SimDevice::pzem004t(1, &SimValues::sample()),
        "profile=pzem004t&addr=1",
        9600,
        measure_for,
    );
    // Above 19200 baud t3.5 is a fixed 1.75 ms: the most requests a spec-conforming master sends.
    run(
        "PZEM-004T v3",
        SimDevice::pzem004t(1, &SimValues::sample()),
        "profile=pzem004t&addr=1&baud=115200",
        9600,
        measure_for,
    );
    run(
        "Eastron SDM120",
        SimDevice::sdm120(1, &SimValues::sample()),
        "profile=sdm120&addr=1&baud=9600",
        2400,
        measure_for,
    );
}
