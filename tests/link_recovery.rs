//! Nothing lost, nothing twice: 10,000 records each way between an operator and a meter, the
//! listener SIGKILLed in the middle and restarted, and separately the meter; every record
//! arrives in order, in both directions. Both sides read their input from a file (resumed
//! after a restart), the operator writes to a file (exactly once, whenever the kill falls),
//! the meter to a pipe read by a reader that lags and outlives the kill (so the meter is often
//! blocked on a full pipe when it is killed): on a pipe a kill may repeat the one record being
//! written, with the same `meta.link`, and the toolkit's reader drops it. The operator reads no
//! faster than its --rate, so both streams are mid-way at the kill.

mod common;

use std::path::Path;
use std::time::Duration;

use common::link::*;

const N: usize = 10_000;
const WAIT: Duration = Duration::from_secs(120);
/// The meter's reader takes a line every 300 µs: the stream to it lasts about 3 s.
const PACE: Duration = Duration::from_micros(300);
/// The operator takes about 3 s for the meter's stream.
const RATE: &str = "3000/s,200";

struct Setup {
    pki: Pki,
    work: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let setup = Setup { pki: Pki::new(), work: tempfile::tempdir().unwrap() };
        records_file(&setup.path().join("up.ndjson"), N, 200, "");
        records_file(&setup.path().join("down.ndjson"), N, 200, r#","meta":{"to":"meter-17"}"#);
        setup
    }

    fn path(&self) -> &Path {
        self.work.path()
    }

    fn operator(&self, bind: &str) -> (Proc, String) {
        let down = self.path().join("down.ndjson");
        listen(&self.pki, self.path(), "operator", &["--bind", bind, "--rate", RATE], Stdin::File(&down))
    }

    fn meter(&self, address: &str) -> Proc {
        let up = self.path().join("up.ndjson");
        connect_paced(
            &self.pki,
            self.path(),
            "meter-17",
            "meter-17",
            address,
            &[],
            Stdin::File(&up),
            Some(PACE),
        )
    }

    /// Both outputs complete; then a pause in which nothing more may arrive. `repeats` is how
    /// many records the meter's pipe may have twice (one per kill of the meter), each right
    /// after its original with the same `meta.link`: they are dropped (as every evlock tool
    /// reading the pipe drops them) before the exact check.
    fn check(&self, operator: &Proc, meter: &Proc, repeats: usize) {
        let up = operator.wait_for_records(N, WAIT);
        let down = meter.wait_for_records(N, WAIT);
        std::thread::sleep(Duration::from_secs(1));
        let (up_now, down_now) = (operator.records(), meter.records());
        assert_eq!((up_now.len(), down_now.len()), (up.len(), down.len()), "records arrived after the end");
        assert_marked(&up_now);
        let raw = std::fs::read(&meter.stdout).unwrap();
        let down_now = through_the_toolkit_reader(&raw);
        let repeated = down.len() - down_now.len();
        assert!(
            repeated <= repeats,
            "{repeated} records repeated on the meter's pipe, at most {repeats} allowed"
        );
        eprintln!("{repeated} repeat(s) on the meter's pipe, dropped by the reader");
        assert_marked(&down_now);
        let expected: Vec<u64> = (0..N as u64).collect();
        assert!(
            numbers(&up_now) == expected,
            "the operator's output is not 0..{N} once each, in order: {}",
            summary(&numbers(&up_now))
        );
        assert!(
            numbers(&down_now) == expected,
            "the meter's output is not 0..{N} once each, in order: {}",
            summary(&numbers(&down_now))
        );
        assert!(up_now.iter().all(|r| r["meta"]["peer"]["name"] == "meter-17"));
        assert!(
            down_now.iter().all(|r| r["meta"].get("to").is_none() && r["meta"]["peer"]["name"] == "meter-17")
        );
    }
}

/// Every record carries `meta.link` with the numbers 1, 2, 3, … of one stream.
fn assert_marked(records: &[serde_json::Value]) {
    let streams: std::collections::BTreeSet<&str> =
        records.iter().map(|r| r["meta"]["link"]["stream"].as_str().expect("meta.link.stream")).collect();
    assert_eq!(streams.len(), 1, "one stream: {streams:?}");
    let seqs: Vec<u64> =
        records.iter().map(|r| r["meta"]["link"]["seq"].as_u64().expect("meta.link.seq")).collect();
    assert!(seqs.iter().enumerate().all(|(i, &s)| s == i as u64 + 1), "meta.link.seq is not 1..: {}", {
        let minus: Vec<u64> = seqs.iter().map(|s| s - 1).collect();
        summary(&minus)
    });
}

/// The records of `raw` as every evlock tool reads them ([`evlock::wire::RecordStream`]): a
/// repeat is dropped only right after its original, with the same `meta.link` and line.
fn through_the_toolkit_reader(raw: &[u8]) -> Vec<serde_json::Value> {
    let complete = &raw[..raw.iter().rposition(|&b| b == b'\n').map_or(0, |end| end + 1)];
    let mut records = Vec::new();
    let mut out = evlock::wire::Output::to_writer(std::io::sink(), false);
    evlock::wire::RecordStream::new(complete, evlock::wire::OnError::Stop)
        .run(&mut out, |record: serde_json::Value, _, _| {
            records.push(record);
            Ok(())
        })
        .unwrap();
    records
}

/// Where a list of numbers departs from 0, 1, 2, …
fn summary(numbers: &[u64]) -> String {
    let at = numbers.iter().enumerate().position(|(i, &n)| n != i as u64);
    match at {
        None => format!("{} numbers, the first {} in order", numbers.len(), numbers.len()),
        Some(i) => {
            format!("{} numbers; at {i}: {:?}", numbers.len(), &numbers[i..(i + 5).min(numbers.len())])
        }
    }
}

#[test]
fn a_listener_killed_mid_stream_and_restarted_loses_and_repeats_nothing() {
    let setup = Setup::new();
    let (mut operator, address) = setup.operator("127.0.0.1:0");
    let mut meter = setup.meter(&address);
    operator.wait_for_records(N / 4, WAIT);
    operator.kill();
    let (up, down) = (operator.records().len(), meter.records().len());
    assert!(up < N && down < N, "the kill must fall mid-way: {up} and {down} of {N}");
    eprintln!("killed the listener at {up} records up, {down} down");

    let (operator, again) = setup.operator(&address);
    assert_eq!(again, address);
    setup.check(&operator, &meter, 0);
    operator.wait_for_log("resuming after the", WAIT);
    assert!(
        std::fs::metadata(setup.path().join("operator-state/outbox.ndjson")).unwrap().len() < 200 * N as u64,
        "the outbox was rotated once its records were acknowledged"
    );
    meter.kill();
}

/// The operator's file gets every record once; the meter's pipe at most one repeat, marked
/// by its `meta.link` and dropped by the toolkit's reader.
#[test]
fn a_meter_killed_mid_stream_and_restarted_loses_nothing_and_its_readers_see_nothing_twice() {
    let setup = Setup::new();
    let (operator, address) = setup.operator("127.0.0.1:0");
    let mut meter = setup.meter(&address);
    meter.wait_for_records(N / 4, WAIT);
    operator.wait_for_records(N / 8, WAIT);
    meter.kill();
    let (up, down) = (operator.records().len(), meter.records().len());
    assert!(up < N && down < N, "the kill must fall mid-way: {up} and {down} of {N}");
    eprintln!("killed the meter at {up} records up, {down} down");

    let meter = setup.meter(&address);
    meter.wait_for_log("stdin is the file read before: resuming after the", WAIT);
    setup.check(&operator, &meter, 1);
    let spool_lines =
        std::fs::read_to_string(setup.path().join("meter-17-spool/spool.ndjson")).unwrap().lines().count();
    assert!(spool_lines < N, "the spool was rotated: {spool_lines} lines");
}
