//! The one writer of received records: it drops duplicates by the high-water marks, writes
//! the rest (or forwards them to another peer's outbox), and only acknowledges once the marks
//! are fsynced. It runs on the thread that owns the output ([`Output`]), in batches: each
//! record is written with one write (atomic on a pipe up to 4 KiB, so a kill never leaves half
//! a record there) and its mark right after it; one fsync of the marks per batch (and of the
//! output first, when it is a regular file). Every record written carries `meta.link`, its
//! stream and number ([`LinkMark`]), so a reader can drop the one repeat a kill can cause on
//! a pipe.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use super::LinkError;
use super::session::{Control, Inbound, Incoming, Replies};
use super::store::{FileId, Item, Marks, Origin, PushRefusal, Spool};
use crate::pki::Identity;
use crate::wire::{LinkMark, Output};

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
    /// Shared mode: records too far above their stream's floor, left unacknowledged to come
    /// again.
    pub deferred: u64,
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

/// The regular file the records go to (stdout redirected to a file), for exact marks.
#[derive(Debug)]
pub struct OutputFile {
    id: FileId,
    file: std::fs::File,
}

impl OutputFile {
    /// The process's stdout, if it is a regular file.
    pub fn stdout() -> Option<OutputFile> {
        use std::os::fd::AsFd;
        use std::os::unix::fs::MetadataExt;
        let file = std::fs::File::from(std::io::stdout().as_fd().try_clone_to_owned().ok()?);
        let meta = file.metadata().ok().filter(|m| m.is_file())?;
        Some(OutputFile { id: FileId { dev: meta.dev(), ino: meta.ino() }, file })
    }

    /// Writes what was written to the file through to the disk (before the marks are).
    pub fn sync(&self) -> Result<(), LinkError> {
        self.file
            .sync_data()
            .map_err(|source| LinkError::Io { what: "cannot sync the output file".into(), source })
    }

    /// The file and its size now.
    pub fn position(&self) -> Result<(FileId, u64), LinkError> {
        let meta = self
            .file
            .metadata()
            .map_err(|source| LinkError::Io { what: "cannot look at stdout".into(), source })?;
        Ok((self.id, meta.len()))
    }
}

/// Sets `meta.link` (the stream and number the record had on the link) on a record about to
/// be written, replacing what the sender put there. A record whose `meta` is not an object is
/// left as it is.
pub fn stamp(record: &mut Value, stream: &str, seq: u64) {
    let Some(object) = record.as_object_mut() else { return };
    let meta = object.entry("meta").or_insert_with(|| Value::Object(serde_json::Map::new()));
    if let Some(meta) = meta.as_object_mut() {
        let mark = LinkMark { stream: stream.to_string(), seq };
        meta.insert("link".into(), serde_json::to_value(mark).expect("a mark is JSON"));
    }
}

/// The output file's identity and size, if there is one.
pub fn output_position(output: Option<&OutputFile>) -> Result<Option<(FileId, u64)>, LinkError> {
    output.map(OutputFile::position).transpose()
}

/// Delivers until every sender of `inbox` is gone. `tick` runs at least every 100 ms (the
/// caller checks for signals and end conditions there); `forward` is the outbox that
/// [`Verdict::Forward`] records go to; `output` is the regular file `out` writes to, if it is
/// one (see [`OutputFile`]).
#[allow(clippy::too_many_arguments)] // the writer thread's whole context, handed over once
pub fn run<W: Write>(
    runtime: &tokio::runtime::Handle,
    inbox: &mut mpsc::Receiver<Inbound>,
    marks: &Mutex<Marks>,
    forward: Option<&Spool>,
    out: &mut Output<W>,
    output: Option<&OutputFile>,
    mut judge: impl FnMut(&Identity, Value) -> Verdict,
    mut tick: impl FnMut(),
) -> Result<Delivered, LinkError> {
    let mut delivered = Delivered::default();
    let mut batch: Vec<Inbound> = Vec::with_capacity(BATCH);
    out.set_deferred(false);
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
        let written_before = delivered.written;
        let mut acks: Vec<(Replies, Arc<str>, u64)> = Vec::new();
        let mut refusals: Vec<(Replies, u64, String, String)> = Vec::new();
        #[allow(clippy::type_complexity)] // (item, replies, origin, stream, seq), local to this loop
        let mut forwards: Vec<(Item, Replies, Arc<Identity>, Arc<str>, u64)> = Vec::new();
        // Records forwarded in this batch are marked only once they are in the outbox.
        let mut forwarding: HashMap<(String, Arc<str>), u64> = HashMap::new();
        let mut each_acks: Vec<(Replies, Arc<str>, Vec<u64>)> = Vec::new();
        for inbound in batch.drain(..) {
            let incoming = match inbound {
                Inbound::Record(incoming) => incoming,
                // Informational: in its place among the records, neither marked nor acked.
                Inbound::Event(event) => {
                    out.emit(&event)?;
                    continue;
                }
            };
            let Incoming { peer, stream, seq, record, reply, floor } = incoming;
            if let Some(floor) = floor {
                // Shared mode: this record on its own, whatever came before it.
                let (duplicate, beyond) = {
                    let mut marks = lock(marks);
                    marks.raise_floor(&peer.name, &stream, floor)?;
                    (
                        marks.written_each(&peer.name, &stream, seq),
                        marks.beyond_span(&peer.name, &stream, seq),
                    )
                };
                if beyond && !duplicate {
                    // Taken later, once the sender's floor rose: what a receiver remembers of a
                    // stream stays bounded (`store::EACH_SPAN`). Not acknowledged.
                    log::debug!("record {seq} from {peer} is too far above its floor {floor}: not taken now");
                    delivered.deferred += 1;
                    continue;
                }
                if duplicate {
                    delivered.duplicates += 1;
                } else {
                    match judge(&peer, record) {
                        Verdict::Write(mut record) => {
                            stamp(&mut record, &stream, seq);
                            out.emit_value(&record)?;
                            lock(marks).note_each(&peer.name, &stream, seq)?;
                            delivered.written += 1;
                        }
                        Verdict::Forward { lane, .. } => {
                            let message = format!("no forwarding to {lane} in shared mode");
                            lock(marks).note_each(&peer.name, &stream, seq)?;
                            delivered.refused += 1;
                            refusals.push((reply.clone(), seq, "not_routed".into(), message));
                        }
                        Verdict::Refuse { code, message } => {
                            log::warn!("refused record {seq} from {peer}: {message} ({code})");
                            lock(marks).note_each(&peer.name, &stream, seq)?;
                            delivered.refused += 1;
                            refusals.push((reply.clone(), seq, code.to_string(), message));
                        }
                    }
                }
                match each_acks.iter_mut().find(|(r, s, _)| r.same_channel(&reply) && *s == stream) {
                    Some(ack) => ack.2.push(seq),
                    None => each_acks.push((reply, stream, vec![seq])),
                }
                continue;
            }
            let marked = lock(marks).current(&peer.name, &stream);
            let current =
                forwarding.get(&(peer.name.clone(), stream.clone())).copied().unwrap_or(0).max(marked);
            if seq <= current {
                delivered.duplicates += 1;
                merge_ack(&mut acks, &reply, &stream, seq);
                continue;
            }
            if seq > current + 1 {
                log::warn!(
                    "{peer}: records {}..{} of stream {stream} were never written here (acknowledged before this side's state was reset?)",
                    current + 1,
                    seq - 1
                );
            }
            match judge(&peer, record) {
                Verdict::Write(mut record) => {
                    stamp(&mut record, &stream, seq);
                    match output {
                        // A file: the mark (with the file's size) first; a restart checks the file.
                        Some(file) => {
                            lock(marks).note_before(&peer.name, &stream, seq, file.position()?)?;
                            out.emit_value(&record)?;
                        }
                        // A pipe: one write per record (atomic up to PIPE_BUF), then its mark.
                        None => {
                            out.emit_value(&record)?;
                            lock(marks).note(&peer.name, &stream, seq)?;
                        }
                    }
                    delivered.written += 1;
                }
                Verdict::Forward { lane, record } => {
                    let item = Item {
                        lane,
                        record: record.to_string(),
                        input_end: None,
                        from: Some(Origin { peer: peer.name.clone(), stream: stream.to_string(), seq }),
                    };
                    forwarding.insert((peer.name.clone(), stream.clone()), seq);
                    forwards.push((item, reply.clone(), peer.clone(), stream.clone(), seq));
                }
                Verdict::Refuse { code, message } => {
                    log::warn!("refused record {seq} from {peer}: {message} ({code})");
                    lock(marks).note(&peer.name, &stream, seq)?;
                    delivered.refused += 1;
                    refusals.push((reply.clone(), seq, code.to_string(), message));
                }
            }
            merge_ack(&mut acks, &reply, &stream, seq);
        }
        if !forwards.is_empty() {
            let spool = forward.expect("forwards only where an outbox is given");
            let items: Vec<Item> = forwards.iter().map(|f| f.0.clone()).collect();
            let results = spool.push(items, false)?;
            for (result, (item, reply, peer, stream, seq)) in results.into_iter().zip(forwards) {
                match result {
                    Ok(_) => delivered.forwarded += 1,
                    Err(PushRefusal::Full { records, .. }) => {
                        let message = format!("the outbox of {} is full ({records} records wait)", item.lane);
                        log::warn!("refused record {seq} from {peer} for {}: {message}", item.lane);
                        delivered.refused += 1;
                        refusals.push((reply, seq, "outbox_full".into(), message));
                    }
                }
                lock(marks).note(&peer.name, &stream, seq)?;
            }
        }
        if let Some(file) = output.filter(|_| delivered.written > written_before) {
            out.flush()?;
            file.sync()?;
        }
        lock(marks).persist()?;
        for (reply, seq, code, message) in refusals {
            let _ = reply.send(Control::Refused { seq, code, message });
        }
        for (reply, stream, seq) in acks {
            let _ = reply.send(Control::Ack { stream, seq });
        }
        for (reply, stream, seqs) in each_acks {
            let _ = reply.send(Control::AckEach { stream, seqs });
        }
    }
}
