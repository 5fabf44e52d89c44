//! Routing on the operator: records for a meter that is away wait in the bounded outbox until
//! it connects; records are addressed by name or account; `--route` rules let meters pass
//! records (delivery receipts) to each other and nothing else; what cannot be routed is an
//! `error` record naming why, and the listener goes on.

mod common;

use std::time::Duration;

use common::link::*;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

fn errors(text: &str) -> Vec<Value> {
    text.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn the_outbox_keeps_records_for_meters_that_are_away() {
    let pki = Pki::new();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let (mut operator, address) = listen(&pki, w, "operator", &["--outbox-max-records", "3"], Stdin::Piped);
    operator.send(r#"{"kind":"tx","v":1,"n":1,"meta":{"to":"meter-18"}}"#);
    operator.send(r#"{"kind":"tx","v":1,"n":2,"meta":{"peer":{"name":"meter-18"},"order":2}}"#);
    operator.send(&format!(r#"{{"kind":"tx","v":1,"n":3,"meta":{{"to":"{ACCOUNT_18}"}}}}"#));
    operator.send(r#"{"kind":"tx","v":1,"n":4}"#);
    operator.send(r#"{"kind":"tx","v":1,"n":5,"meta":{"to":"meter 18"}}"#);
    operator.send(r#"{"kind":"tx","v":1,"n":6,"meta":{"to":"meter-18"}}"#);
    operator.send(r#"{"kind":"tx","v":1,"n":7,"meta":{"to":"meter-18"}}"#);
    operator.wait_for_log("outbox_full", WAIT);
    let said = errors(&operator.stderr_text());
    let codes: Vec<(&str, u64)> =
        said.iter().map(|e| (e["code"].as_str().unwrap(), e["line"].as_u64().unwrap())).collect();
    assert_eq!(
        codes,
        vec![("unknown_peer", 3), ("no_destination", 4), ("bad_destination", 5), ("outbox_full", 7)]
    );
    assert!(said[0]["message"].as_str().unwrap().contains("no peer with account"), "{said:?}");

    // meter-18 comes: it gets what waited, in order, addressed to it.
    let mut meter = connect(&pki, w, "meter-18", &address, &[], Stdin::Null);
    let got = meter.wait_for_records(3, WAIT);
    assert_eq!(numbers(&got), vec![1, 2, 6]);
    assert_eq!(
        got[1]["meta"],
        json!({"peer": {"name": "meter-18"}, "order": 2, "link": {"stream": got[0]["meta"]["link"]["stream"], "seq": 2}})
    );
    // It goes away with a stop, after acknowledging them (a SIGKILL could fall before its
    // ack, leaving the outbox full, and record 8 would be refused).
    meter.stop();
    // The operator takes its acks in before it sees the bye: once it logs the end of that
    // session, the outbox is free again (the meter's exit alone does not say it has read them).
    operator.wait_for_log("closed by the peer (closing)", WAIT);
    // Now its account is known: addressed by account while it is away, it still gets it.
    operator.send(&format!(r#"{{"kind":"tx","v":1,"n":8,"meta":{{"to":"kaia:{ACCOUNT_18}"}}}}"#));
    std::thread::sleep(Duration::from_millis(300));
    let meter = connect(&pki, w, "meter-18", &address, &[], Stdin::Null);
    let got = meter.wait_for_records(4, WAIT);
    assert_eq!(numbers(&got), vec![1, 2, 6, 8], "nothing twice after the reconnect");
    assert_eq!(got[3]["meta"]["peer"], json!({"name": "meter-18", "account": ACCOUNT_18}));
}

#[test]
fn meters_pass_receipts_to_each_other_where_a_route_allows() {
    let pki = Pki::new();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let (operator, address) =
        listen(&pki, w, "operator", &["--route", "meter-*:meter-*:receipt"], Stdin::Null);
    let mut seller = connect(&pki, w, "meter-17", &address, &[], Stdin::Piped);
    let buyer = connect(&pki, w, "meter-18", &address, &[], Stdin::Null);
    operator.wait_for_log("meter-18 (kaia:", WAIT);
    seller.send(r#"{"kind":"receipt","v":1,"trade":1,"meta":{"to":"meter-18"}}"#);
    seller.send(r#"{"kind":"tx","v":1,"trade":1,"meta":{"to":"meter-18"}}"#);
    seller.send(r#"{"kind":"receipt","v":1,"trade":2,"meta":{"to":"meter-99"}}"#);
    seller.send(r#"{"kind":"reading","v":1,"trade":3}"#);
    let got = buyer.wait_for_records(1, WAIT);
    assert_eq!(got[0]["trade"], 1);
    let mut meta = got[0]["meta"].clone();
    let link = meta.as_object_mut().unwrap().remove("link").expect("meta.link");
    assert_eq!(link["seq"], 1, "the first record of the operator's stream to meter-18");
    assert_eq!(
        meta,
        json!({"peer": {"name": "meter-18", "account": ACCOUNT_18}, "from": {"name": "meter-17", "account": ACCOUNT_17}})
    );
    // The reading went to the operator; the forwarded receipt did not.
    let mine = operator.wait_for_records(1, WAIT);
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["trade"], 3);
    // A tx is no receipt: refused, on both sides. A receipt for a meter never seen waits for it.
    seller.wait_for_log(r#""code":"not_routed""#, WAIT);
    assert!(seller.stderr_text().contains("no --route lets meter-17 send tx records to meter-18"));
    operator.wait_for_log("not_routed", WAIT);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(buyer.records().len(), 1);
    let outbox = std::fs::read_to_string(w.join("operator-state/outbox.ndjson")).unwrap();
    assert!(outbox.contains(r#""lane":"meter-99""#) && outbox.contains(r#""trade":2"#), "{outbox}");
}
