//! The one writer of received records: it drops duplicates by the high-water marks, writes
//! the rest (or forwards them to another peer's outbox), flushes, persists the marks, and only
//! then acknowledges. It runs on the thread that owns the output ([`Output`]), in batches: one
//! flush and one fsync per batch, whatever its size.

use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use super::LinkError;
use super::session::{Control, Incoming, Replies};
use super::store::{Item, Marks, Origin, PushRefusal, Spool};
use crate::pki::Identity;
use crate::wire::Output;

/// What to do with a received record.
#[derive(Debug)]
pub enum Verdict {
    /// Write it out.
    Write(Value),
    /// Put it in another peer's outbox (lane).
    Forward {
        /// The lane.
        lane: String,
        /// The record as it goes there.
        record: Value,
    },
    /// Do not write it; tell the peer why.
    Refuse {
        /// A stable code.
        code: &'static str,
        /// Why.
        message: String,
    },
}

/// Counts of a delivery run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Delivered {
    /// Records written.
    pub written: u64,
    /// Records forwarded.
    pub forwarded: u64,
    /// Duplicates dropped.
    pub duplicates: u64,
    /// Records refused.
    pub refused: u64,
}

const BATCH: usize = 2048;

fn lock(marks: &Mutex<Marks>) -> std::sync::MutexGuard<'_, Marks> {
    marks.lock().unwrap_or_else(|p| p.into_inner())
}

fn merge_ack(
    acks: &mut Vec<(Replies, std::sync::Arc<str>, u64)>,
    reply: &Replies,
    stream: &std::sync::Arc<str>,
    seq: u64,
) {
    match acks.iter_mut().find(|(r, s, _)| r.same_channel(reply) && s == stream) {
        Some(ack) => ack.2 = ack.2.max(seq),
        None => acks.push((reply.clone(), stream.clone(), seq)),
    }
}

/// Delivers until every sender of `inbox` is gone. `tick` runs at least every 100 ms (the
/// caller checks for signals and end conditions there); `forward` is the outbox that
/// [`Verdict::Forward`] records go to.
pub fn run<W: Write>(
    runtime: &tokio::runtime::Handle,
    inbox: &mut mpsc::Receiver<Incoming>,
    marks: &Mutex<Marks>,
    forward: Option<&Spool>,
    out: &mut Output<W>,
    mut judge: impl FnMut(&Identity, Value) -> Verdict,
    mut tick: impl FnMut(),
) -> Result<Delivered, LinkError> {
    let mut delivered = Delivered::default();
    let mut batch: Vec<Incoming> = Vec::with_capacity(BATCH);
    out.set_deferred(true);
    loop {
        tick();
        let first =
            runtime.block_on(async { tokio::time::timeout(Duration::from_millis(100), inbox.recv()).await });
        match first {
            Err(_) => continue,
            Ok(None) => return Ok(delivered),
            Ok(Some(incoming)) => batch.push(incoming),
        }
        while batch.len() < BATCH {
            match inbox.try_recv() {
                Ok(incoming) => batch.push(incoming),
                Err(_) => break,
            }
        }
        let mut acks: Vec<(Replies, std::sync::Arc<str>, u64)> = Vec::new();
        let mut refusals: Vec<(Replies, u64, String, String)> = Vec::new();
        let mut forwards: Vec<(Item, Replies, u64)> = Vec::new();
        for incoming in batch.drain(..) {
            let Incoming { peer, stream, seq, record, reply } = incoming;
            let current = lock(marks).current(&peer.name, &stream);
            if seq <= current {
                delivered.duplicates += 1;
            } else {
                if seq > current + 1 {
                    log::warn!(
                        "{peer}: records {}..{} of stream {stream} were never written here (acknowledged before this side's state was reset?)",
                        current + 1,
                        seq - 1
                    );
                }
                match judge(&peer, record) {
                    Verdict::Write(record) => {
                        out.emit_value(&record)?;
                        delivered.written += 1;
                    }
                    Verdict::Forward { lane, record } => {
                        let item = Item {
                            lane,
                            record: record.to_string(),
                            input_end: None,
                            from: Some(Origin { peer: peer.name.clone(), stream: stream.to_string(), seq }),
                        };
                        forwards.push((item, reply.clone(), seq));
                    }
                    Verdict::Refuse { code, message } => {
                        log::warn!("refused record {seq} from {peer}: {message} ({code})");
                        delivered.refused += 1;
                        refusals.push((reply.clone(), seq, code.to_string(), message));
                    }
                }
                lock(marks).note(&peer.name, &stream, seq);
            }
            merge_ack(&mut acks, &reply, &stream, seq);
        }
        out.flush()?;
        if !forwards.is_empty() {
            let spool = forward.expect("forwards only where an outbox is given");
            let (items, replies): (Vec<Item>, Vec<(Replies, u64)>) =
                forwards.into_iter().map(|(item, reply, seq)| (item, (reply, seq))).unzip();
            let lanes: Vec<String> = items.iter().map(|i| i.lane.clone()).collect();
            for (result, ((reply, seq), lane)) in
                spool.push(items, false)?.into_iter().zip(replies.into_iter().zip(lanes))
            {
                match result {
                    Ok(_) => delivered.forwarded += 1,
                    Err(PushRefusal::Full { lane: _, records }) => {
                        let message = format!("the outbox of {lane} is full ({records} records wait)");
                        log::warn!("refused record {seq} for {lane}: {message}");
                        delivered.refused += 1;
                        refusals.push((reply, seq, "outbox_full".into(), message));
                    }
                }
            }
        }
        lock(marks).persist()?;
        for (reply, seq, code, message) in refusals {
            let _ = reply.send(Control::Refused { seq, code, message });
        }
        for (reply, stream, seq) in acks {
            let _ = reply.send(Control::Ack { stream, seq });
        }
    }
}
