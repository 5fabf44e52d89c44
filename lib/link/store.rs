//! The link's durable state, all on [`DurableLog`]: the spool of records sent and not yet
//! acknowledged (a meter's `--spool`, the operator's per-peer outbox), the high-water marks of
//! what was received, and the folder lock that keeps one process per folder.
//!
//! ## The spool
//!
//! One file, `spool.ndjson` (`outbox.ndjson` on the operator), with one *lane* per destination
//! (a meter has one, the operator one per peer). Its lines:
//!
//! ```text
//! {"input":{"dev":2049,"ino":1311,"offset":0}}                 the input file being read
//! {"lane":"meter-17","stream":"5f0c…","seq":0}                 a lane: its stream and last number
//! {"lane":"meter-17","seq":1,"in":217,"record":{…}}            a record; `in`: input read so far
//! {"lane":"meter-17","seq":2,"from":{"peer":"m2","stream":"…","seq":9},"record":{…}}
//! {"in":4096}                                                  input read (lines that went nowhere)
//! {"lane":"up","acked":[3,5,6]}                                shared mode: records acknowledged one by one
//! ```
//!
//! Records are appended in batches, one write and one fsync per batch, before the sender
//! takes them. Each line stands alone, so a batch torn by a crash keeps its first lines, and
//! each carries how far the input was read *after* it: a restart resumes the input file right
//! after the last record it kept. Acknowledgements are not written: they live in memory until
//! the next rotation, and a restarted sender learns them again from the receiver's resume
//! point.
//!
//! **Rotation.** When the acknowledged lines outnumber the live ones (and there are at least
//! [`COMPACT_MIN_LINES`]), the spool is rewritten: a new file `NAME.next` gets the input line,
//! every lane's header with its last number, and the unacknowledged records; it is fsynced,
//! renamed over the old file (atomic), and the folder is fsynced. A crash before the rename
//! leaves the old file whole (a stale `.next` is deleted at the next open); after it, the new
//! one. Either holds every unacknowledged record.
//!
//! ## The marks
//!
//! `received.ndjson`: `{"peer":"meter-17","stream":"5f0c…","seq":812}` lines, one written
//! right after each record is written out (so a killed process keeps it), fsynced once per
//! delivered batch before the acks go out; the highest per peer and stream counts.
//! Rotated the same way when old lines dominate, keeping the [`STREAMS_PER_PEER`] most recent
//! streams of each peer.
//!
//! Shared mode ([`super::mqtt`]) adds `{"peer":…,"stream":…,"floor":F}` (every record of the
//! stream below `F` was acknowledged by some receiver) and `{"peer":…,"stream":…,"each":N}`
//! (record `N` written here) lines: a record counts as written when it is below the floor or
//! has its own line. Rotation keeps the floor and the lines above it.

use std::collections::{HashMap, VecDeque};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use serde_json::{Value, json};
use tokio::sync::watch;

use super::LinkError;
use crate::wire::DurableLog;

/// Rotation waits until at least this many lines are dead.
pub const COMPACT_MIN_LINES: u64 = 4096;

/// How many streams of one peer the marks remember (a peer makes a new stream only when its
/// spool is made anew).
pub const STREAMS_PER_PEER: usize = 16;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not wedge the link: the data under the lock stays consistent
    // because every change is completed before the lock is released.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A state folder held by this process alone (an exclusive `flock` on `DIR/lock`).
#[derive(Debug)]
pub struct StateDir {
    path: PathBuf,
    _lock: File,
}

impl StateDir {
    /// Creates the folder (0700) if needed and locks it; [`LinkError::StateBusy`] when
    /// another process has it.
    pub fn open(path: &Path) -> Result<StateDir, LinkError> {
        let error = |source| LinkError::StateDir { path: path.to_path_buf(), source };
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(path).map_err(error)?;
        let mut options = fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path.join("lock")).map_err(error)?;
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: flock on a descriptor we own; no memory is involved.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                let e = std::io::Error::last_os_error();
                return Err(if e.kind() == std::io::ErrorKind::WouldBlock {
                    LinkError::StateBusy { path: path.to_path_buf() }
                } else {
                    error(e)
                });
            }
        }
        Ok(StateDir { path: path.to_path_buf(), _lock: file })
    }

    /// A file in the folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Opens the folder's files with `open`. When it fails (a file it cannot read), the files
    /// it created before that one and left empty are removed again: a refused start leaves
    /// the folder as it found it, apart from the lock.
    pub fn start<T>(&self, open: impl FnOnce(&StateDir) -> Result<T, LinkError>) -> Result<T, LinkError> {
        let names = |path: &Path| -> std::collections::BTreeSet<std::ffi::OsString> {
            fs::read_dir(path)
                .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
                .unwrap_or_default()
        };
        let before = names(&self.path);
        let opened = open(self);
        if opened.is_err() {
            for name in names(&self.path).difference(&before) {
                let path = self.path.join(name);
                if fs::symlink_metadata(&path).is_ok_and(|m| m.is_file() && m.len() == 0) {
                    let _ = fs::remove_file(&path);
                }
            }
        }
        opened
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn next_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".next");
    path.with_file_name(name)
}

/// Rewrites `path` with `lines` atomically (see the module docs) and reopens it.
fn rotate(path: &Path, lines: &[String], max_line: usize) -> Result<DurableLog, LinkError> {
    let rotate_error = |source| LinkError::Rotate { path: path.to_path_buf(), source };
    let next = next_path(path);
    match fs::remove_file(&next) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(rotate_error(e)),
    }
    let mut log = DurableLog::open_with(&next, max_line, |_, _| Ok(()))?;
    log.append_lines(lines)?;
    drop(log);
    fs::rename(&next, path).map_err(rotate_error)?;
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        File::open(dir).and_then(|d| d.sync_all()).map_err(rotate_error)?;
    }
    Ok(DurableLog::open_with(path, max_line, |_, _| Ok(()))?)
}

/// Deletes a `.next` file a crash left before its rename: the old file is whole.
fn remove_stale_next(path: &Path) -> Result<(), LinkError> {
    let next = next_path(path);
    match fs::remove_file(&next) {
        Ok(()) => {
            log::warn!("{}: removed an unfinished rotation (the old file is whole)", next.display());
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(LinkError::Rotate { path: path.to_path_buf(), source }),
    }
}

fn new_stream_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A regular input file: device and inode, so a restart knows it reads the same file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    /// The device number.
    pub dev: u64,
    /// The inode number.
    pub ino: u64,
}

/// Where a record came from when the operator forwarded it from another peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The sending peer's name.
    pub peer: String,
    /// Its stream.
    pub stream: String,
    /// The record's number in it.
    pub seq: u64,
}

/// A record to spool.
#[derive(Debug, Clone)]
pub struct Item {
    /// The lane (destination).
    pub lane: String,
    /// The record as compact JSON.
    pub record: String,
    /// How far the input was read after this record, when the input is a regular file.
    pub input_end: Option<u64>,
    /// The origin of a forwarded record.
    pub from: Option<Origin>,
}

/// A spooled record.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its number in the lane's stream.
    pub seq: u64,
    /// The record as compact JSON.
    pub record: Arc<str>,
    from: Option<Box<Origin>>,
}

/// What a spool may hold per lane before it refuses (operator) or waits (meter).
#[derive(Debug, Clone, Copy)]
pub struct SpoolLimits {
    /// Records.
    pub max_records: usize,
    /// Bytes of records.
    pub max_bytes: usize,
}

impl Default for SpoolLimits {
    fn default() -> Self {
        SpoolLimits { max_records: 100_000, max_bytes: 64 << 20 }
    }
}

/// Why a record was not spooled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushRefusal {
    /// The lane is at its limit.
    Full {
        /// The lane.
        lane: String,
        /// Records waiting in it.
        records: usize,
    },
}

struct Lane {
    stream: Arc<str>,
    entries: VecDeque<Entry>,
    bytes: usize,
    last_seq: u64,
    acked: u64,
    /// Whether the receiver acknowledged this lane's stream since the spool was opened.
    confirmed: bool,
    /// The last number spooled, for senders waiting for more.
    added: watch::Sender<u64>,
}

impl Lane {
    fn new(stream: Arc<str>, last_seq: u64) -> Lane {
        Lane {
            stream,
            entries: VecDeque::new(),
            bytes: 0,
            last_seq,
            acked: 0,
            confirmed: false,
            added: watch::channel(last_seq).0,
        }
    }

    /// Drops record `seq` if it is still here; whether it was.
    fn remove(&mut self, seq: u64) -> bool {
        let Ok(at) = self.entries.binary_search_by_key(&seq, |e| e.seq) else { return false };
        let entry = self.entries.remove(at).expect("just found");
        self.bytes -= entry.record.len();
        true
    }
}

struct SpoolFile {
    log: DurableLog,
    /// Each lane's stream and the last number written to the file.
    heads: HashMap<String, (Arc<str>, u64)>,
    input: Option<(FileId, u64)>,
}

/// A lane's stream id and a receiver that changes whenever records are added.
#[derive(Debug, Clone)]
pub struct LaneHandle {
    /// The lane.
    pub lane: String,
    /// Its stream id.
    pub stream: Arc<str>,
    /// The last number spooled; changes when records are added.
    pub added: watch::Receiver<u64>,
}

/// The spool (see the module docs): fsynced before a record is sent, thread-safe, with one
/// lane per destination.
pub struct Spool {
    path: PathBuf,
    max_line: usize,
    limits: SpoolLimits,
    /// Held while writing the file (appends, rotation); never while waiting for the network.
    file: Mutex<SpoolFile>,
    /// What is in memory; held only briefly.
    lanes: Mutex<HashMap<String, Lane>>,
    room: Condvar,
    origins: Vec<Origin>,
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool").field("path", &self.path).finish_non_exhaustive()
    }
}

fn record_line(lane: &str, seq: u64, input_end: Option<u64>, from: Option<&Origin>, record: &str) -> String {
    let mut line = String::with_capacity(record.len() + lane.len() + 48);
    line.push_str(r#"{"lane":"#);
    line.push_str(&Value::from(lane).to_string());
    line.push_str(r#","seq":"#);
    line.push_str(&seq.to_string());
    if let Some(end) = input_end {
        line.push_str(r#","in":"#);
        line.push_str(&end.to_string());
    }
    if let Some(from) = from {
        line.push_str(r#","from":"#);
        line.push_str(&json!({"peer": from.peer, "stream": from.stream, "seq": from.seq}).to_string());
    }
    line.push_str(r#","record":"#);
    line.push_str(record);
    line.push('}');
    line
}

fn header_line(lane: &str, stream: &str, seq: u64) -> String {
    json!({"lane": lane, "stream": stream, "seq": seq}).to_string()
}

fn input_line(id: FileId, offset: u64) -> String {
    json!({"input": {"dev": id.dev, "ino": id.ino, "offset": offset}}).to_string()
}

impl Spool {
    /// Opens (or creates) the spool file; `max_record` is the longest record accepted.
    pub fn open(path: &Path, max_record: usize, limits: SpoolLimits) -> Result<Spool, LinkError> {
        remove_stale_next(path)?;
        let max_line = max_record + 4096;
        let mut heads: HashMap<String, (Arc<str>, u64)> = HashMap::new();
        let mut lanes: HashMap<String, Lane> = HashMap::new();
        let mut input: Option<(FileId, u64)> = None;
        let mut origins: HashMap<(String, String), u64> = HashMap::new();
        let log = DurableLog::open_with(path, max_line, |_, text| {
            let Value::Object(mut map) = serde_json::from_str::<Value>(text).map_err(|e| e.to_string())?
            else {
                return Err("not a JSON object".into());
            };
            if let Some(found) = map.get("input") {
                let field = |name: &str| found.get(name).and_then(Value::as_u64);
                let (Some(dev), Some(ino), Some(offset)) = (field("dev"), field("ino"), field("offset"))
                else {
                    return Err("an input line needs dev, ino and offset".into());
                };
                input = Some((FileId { dev, ino }, offset));
                return Ok(());
            }
            let input_end = map.get("in").and_then(Value::as_u64);
            let Some(Value::String(lane_name)) = map.remove("lane") else {
                if let (Some(end), Some((_, offset))) = (input_end, input.as_mut()) {
                    *offset = end;
                    return Ok(());
                }
                return Err("neither a lane, a record nor an input line".into());
            };
            if let Some(acked) = map.get("acked") {
                let lane = lanes
                    .get_mut(&lane_name)
                    .ok_or_else(|| format!("acks of lane {lane_name:?} before its header"))?;
                let seqs = acked.as_array().ok_or("`acked` must be a list of numbers")?;
                for seq in seqs {
                    let seq = seq.as_u64().ok_or("`acked` must be a list of numbers")?;
                    lane.remove(seq);
                }
                return Ok(());
            }
            let seq = map.get("seq").and_then(Value::as_u64).ok_or("`seq` must be a non-negative integer")?;
            if let Some(Value::String(stream)) = map.remove("stream") {
                if heads.contains_key(&lane_name) {
                    return Err(format!("a second header for lane {lane_name:?}"));
                }
                let stream: Arc<str> = stream.into();
                heads.insert(lane_name.clone(), (stream.clone(), seq));
                lanes.insert(lane_name, Lane::new(stream, seq));
                return Ok(());
            }
            let Some(record) = map.remove("record") else {
                return Err("a record line without `record`".into());
            };
            let lane = lanes
                .get_mut(&lane_name)
                .ok_or_else(|| format!("a record of lane {lane_name:?} before its header"))?;
            if seq <= lane.last_seq {
                return Err(format!("record {seq} of lane {lane_name:?} after record {}", lane.last_seq));
            }
            if let (Some(end), Some((_, offset))) = (input_end, input.as_mut()) {
                *offset = end;
            }
            let from = match map.get("from") {
                Some(from) => {
                    let peer = from.get("peer").and_then(Value::as_str);
                    let stream = from.get("stream").and_then(Value::as_str);
                    let from_seq = from.get("seq").and_then(Value::as_u64);
                    let (Some(peer), Some(stream), Some(from_seq)) = (peer, stream, from_seq) else {
                        return Err("`from` needs peer, stream and seq".into());
                    };
                    let key = (peer.to_string(), stream.to_string());
                    let best = origins.entry(key).or_default();
                    *best = (*best).max(from_seq);
                    Some(Box::new(Origin { peer: peer.into(), stream: stream.into(), seq: from_seq }))
                }
                None => None,
            };
            let record: Arc<str> = record.to_string().into();
            lane.bytes += record.len();
            lane.last_seq = seq;
            lane.entries.push_back(Entry { seq, record, from });
            heads.get_mut(&lane_name).expect("a lane has a head").1 = seq;
            Ok(())
        })
        .map_err(|e| match e {
            crate::wire::LogError::Corrupt { path, line, reason } => {
                LinkError::BadState { path, line, reason }
            }
            other => LinkError::Log(other),
        })?;
        for lane in lanes.values_mut() {
            lane.added.send_replace(lane.last_seq);
        }
        let pending: usize = lanes.values().map(|l| l.entries.len()).sum();
        if pending > 0 {
            log::info!("{}: {pending} records waiting to be sent", path.display());
        }
        Ok(Spool {
            path: path.to_path_buf(),
            max_line,
            limits,
            file: Mutex::new(SpoolFile { log, heads, input }),
            lanes: Mutex::new(lanes),
            room: Condvar::new(),
            origins: origins.into_iter().map(|((peer, stream), seq)| Origin { peer, stream, seq }).collect(),
        })
    }

    /// The spool file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The highest origin of each forwarded record found at open, per peer and stream: the
    /// operator raises its marks to them (a forward that is spooled was handled).
    pub fn origins(&self) -> &[Origin] {
        &self.origins
    }

    /// The input file the spool last recorded, and how far it was read.
    pub fn input(&self) -> Option<(FileId, u64)> {
        lock(&self.file).input
    }

    /// Records that a new input file is being read from `offset` (one synced line), unless it
    /// is the one already recorded.
    pub fn begin_input(&self, id: FileId, offset: u64) -> Result<(), LinkError> {
        let mut file = lock(&self.file);
        if file.input == Some((id, offset)) {
            return Ok(());
        }
        file.log.append_line(&input_line(id, offset))?;
        file.input = Some((id, offset));
        Ok(())
    }

    /// Records how far the input was read when the lines after the last record went nowhere.
    pub fn note_input(&self, offset: u64) -> Result<(), LinkError> {
        let mut file = lock(&self.file);
        let SpoolFile { log, input, .. } = &mut *file;
        if let Some((_, at)) = input.as_mut()
            && *at < offset
        {
            log.append_line(&json!({"in": offset}).to_string())?;
            *at = offset;
        }
        Ok(())
    }

    /// The lane's stream and change notifications, creating the lane (one synced line) if
    /// it is new.
    pub fn lane(&self, name: &str) -> Result<LaneHandle, LinkError> {
        let mut file = lock(&self.file);
        if !file.heads.contains_key(name) {
            let stream: Arc<str> = new_stream_id().into();
            file.log.append_line(&header_line(name, &stream, 0))?;
            file.heads.insert(name.to_string(), (stream.clone(), 0));
            lock(&self.lanes).insert(name.to_string(), Lane::new(stream, 0));
        }
        drop(file);
        let lanes = lock(&self.lanes);
        let lane = &lanes[name];
        Ok(LaneHandle { lane: name.to_string(), stream: lane.stream.clone(), added: lane.added.subscribe() })
    }

    /// Spools records, one write and one fsync per batch. With `wait`, a full lane blocks
    /// until acknowledgements make room (a meter's input waits); without, records for a full
    /// lane come back refused (the operator reports them). The results are in `items`' order:
    /// the record's number, or why it was refused.
    pub fn push(&self, items: Vec<Item>, wait: bool) -> Result<Vec<Result<u64, PushRefusal>>, LinkError> {
        let mut results: Vec<Option<Result<u64, PushRefusal>>> = vec![None; items.len()];
        let mut file = lock(&self.file);
        let mut next = 0;
        while next < items.len() {
            // Choose what fits, under the memory lock only.
            let mut lines = Vec::new();
            let mut taken: Vec<(usize, u64)> = Vec::new();
            let mut new_heads: HashMap<String, (Arc<str>, u64)> = HashMap::new();
            {
                let mut lanes = lock(&self.lanes);
                let mut extra: HashMap<&str, (usize, usize)> = HashMap::new();
                while next < items.len() {
                    let item = &items[next];
                    let (count, bytes) =
                        lanes.get(&item.lane).map(|l| (l.entries.len(), l.bytes)).unwrap_or((0, 0));
                    let (more_count, more_bytes) = extra.get(item.lane.as_str()).copied().unwrap_or((0, 0));
                    let fits = count + more_count < self.limits.max_records
                        && (bytes + more_bytes + item.record.len() <= self.limits.max_bytes
                            || count + more_count == 0);
                    if !fits {
                        if !wait {
                            results[next] = Some(Err(PushRefusal::Full {
                                lane: item.lane.clone(),
                                records: count + more_count,
                            }));
                            next += 1;
                            continue;
                        }
                        if !taken.is_empty() {
                            break;
                        }
                        lanes = self.room.wait(lanes).unwrap_or_else(|p| p.into_inner());
                        continue;
                    }
                    let (stream, last) =
                        match new_heads.get(&item.lane).or_else(|| file.heads.get(&item.lane)) {
                            Some((stream, last)) => (stream.clone(), *last),
                            None => {
                                let stream: Arc<str> = new_stream_id().into();
                                lines.push(header_line(&item.lane, &stream, 0));
                                (stream, 0)
                            }
                        };
                    let seq = last + 1;
                    new_heads.insert(item.lane.clone(), (stream, seq));
                    lines.push(record_line(
                        &item.lane,
                        seq,
                        item.input_end,
                        item.from.as_ref(),
                        &item.record,
                    ));
                    let slot = extra.entry(item.lane.as_str()).or_default();
                    slot.0 += 1;
                    slot.1 += item.record.len();
                    taken.push((next, seq));
                    next += 1;
                }
            }
            if taken.is_empty() {
                continue;
            }
            file.log.append_lines(&lines)?;
            // Durable: now it exists for the senders.
            let mut lanes = lock(&self.lanes);
            for (index, seq) in &taken {
                let item = &items[*index];
                let lane = lanes.entry(item.lane.clone()).or_insert_with(|| {
                    let stream = new_heads[&item.lane].0.clone();
                    Lane::new(stream, 0)
                });
                let record: Arc<str> = item.record.as_str().into();
                lane.bytes += record.len();
                lane.last_seq = *seq;
                lane.entries.push_back(Entry { seq: *seq, record, from: item.from.clone().map(Box::new) });
                results[*index] = Some(Ok(*seq));
            }
            for (name, head) in new_heads {
                if let Some(lane) = lanes.get(&name) {
                    lane.added.send_replace(lane.last_seq);
                }
                file.heads.insert(name, head);
            }
            drop(lanes);
            if let Some(end) = taken.iter().rev().find_map(|(i, _)| items[*i].input_end)
                && let Some((_, at)) = file.input.as_mut()
            {
                *at = (*at).max(end);
            }
        }
        self.maybe_rotate(&mut file)?;
        Ok(results.into_iter().map(|r| r.expect("every item has a result")).collect())
    }

    fn maybe_rotate(&self, file: &mut SpoolFile) -> Result<(), LinkError> {
        let live: u64 = lock(&self.lanes).values().map(|l| l.entries.len() as u64).sum();
        let overhead = file.heads.len() as u64 + 1;
        let dead = file.log.lines().saturating_sub(live + overhead);
        if dead < COMPACT_MIN_LINES || dead < live {
            return Ok(());
        }
        self.rotate(file)
    }

    /// Rewrites the file with only what is not acknowledged (see the module docs).
    fn rotate(&self, file: &mut SpoolFile) -> Result<(), LinkError> {
        let mut lines = Vec::new();
        if let Some((id, offset)) = file.input {
            lines.push(input_line(id, offset));
        }
        {
            let lanes = lock(&self.lanes);
            let mut names: Vec<&String> = file.heads.keys().collect();
            names.sort();
            for name in names {
                let (stream, last) = &file.heads[name];
                // The header carries the number before the first record kept (the last one
                // when nothing is pending): numbers go on from there.
                let base = lanes.get(name).and_then(|l| l.entries.front()).map_or(*last, |e| e.seq - 1);
                lines.push(header_line(name, stream, base));
                if let Some(lane) = lanes.get(name) {
                    for entry in &lane.entries {
                        lines.push(record_line(name, entry.seq, None, entry.from.as_deref(), &entry.record));
                    }
                }
            }
        }
        let before = file.log.lines();
        file.log = rotate(&self.path, &lines, self.max_line)?;
        log::debug!("{}: rotated, {before} lines down to {}", self.path.display(), lines.len());
        Ok(())
    }

    /// Up to `max` records of the lane after number `after`, in order.
    pub fn fetch(&self, lane: &str, after: u64, max: usize) -> Vec<Entry> {
        let lanes = lock(&self.lanes);
        let Some(lane) = lanes.get(lane) else { return Vec::new() };
        // Numbers rise along the lane; records acknowledged one by one leave holes.
        let start = lane.entries.partition_point(|e| e.seq <= after);
        lane.entries.range(start..).take(max).cloned().collect()
    }

    /// One record of the lane, if still spooled.
    pub fn entry(&self, lane: &str, seq: u64) -> Option<Entry> {
        self.fetch(lane, seq.saturating_sub(1), 1).into_iter().find(|e| e.seq == seq)
    }

    /// The receiver has everything of `stream` up to `seq`: drops it from memory (the file
    /// forgets it at the next rotation). An ack for another stream is ignored. Fails when the
    /// receiver claims more than was ever spooled.
    pub fn ack(&self, lane: &str, stream: &str, seq: u64) -> Result<(), (u64, u64)> {
        let mut lanes = lock(&self.lanes);
        let Some(lane) = lanes.get_mut(lane) else { return Ok(()) };
        if &*lane.stream != stream {
            return Ok(());
        }
        if seq > lane.last_seq {
            return Err((seq, lane.last_seq));
        }
        let mut freed = false;
        while lane.entries.front().is_some_and(|e| e.seq <= seq) {
            let entry = lane.entries.pop_front().expect("just looked");
            lane.bytes -= entry.record.len();
            freed = true;
        }
        lane.acked = lane.acked.max(seq);
        lane.confirmed = true;
        drop(lanes);
        if freed {
            self.room.notify_all();
        }
        Ok(())
    }

    /// The receivers have records `seqs` of `stream` (shared mode: acknowledged one by one,
    /// by whichever operator took each): drops exactly those, and writes and syncs an
    /// `acked` line so a restart does not send them again. An ack for another stream, or for
    /// a record no longer here, is ignored.
    pub fn ack_each(&self, lane: &str, stream: &str, seqs: &[u64]) -> Result<(), LinkError> {
        let mut removed = Vec::new();
        {
            let mut lanes = lock(&self.lanes);
            let Some(found) = lanes.get_mut(lane) else { return Ok(()) };
            if &*found.stream != stream {
                return Ok(());
            }
            found.confirmed = true;
            for &seq in seqs {
                if found.remove(seq) {
                    removed.push(seq);
                }
            }
        }
        if removed.is_empty() {
            return Ok(());
        }
        self.room.notify_all();
        let lines: Vec<String> =
            removed.chunks(256).map(|seqs| json!({"lane": lane, "acked": seqs}).to_string()).collect();
        let mut file = lock(&self.file);
        file.log.append_lines(&lines)?;
        self.maybe_rotate(&mut file)
    }

    /// How many records of the lane wait for an acknowledgement.
    pub fn pending(&self, lane: &str) -> usize {
        lock(&self.lanes).get(lane).map_or(0, |l| l.entries.len())
    }

    /// Whether the receiver has acknowledged the lane's stream since the spool was opened
    /// (its resume point counts): what [`Spool::pending`] says is then confirmed by it.
    pub fn confirmed(&self, lane: &str) -> bool {
        lock(&self.lanes).get(lane).is_some_and(|l| l.confirmed)
    }

    /// The number of the lane's first unacknowledged record, if any.
    pub fn first_pending(&self, lane: &str) -> Option<u64> {
        lock(&self.lanes).get(lane).and_then(|l| l.entries.front().map(|e| e.seq))
    }

    /// The lanes' names.
    pub fn lanes(&self) -> Vec<String> {
        lock(&self.lanes).keys().cloned().collect()
    }

    /// Rotates the file if acknowledged lines dominate it (see the module docs); the sides
    /// call it now and then, so a spool that only drains also shrinks.
    pub fn maintain(&self) -> Result<(), LinkError> {
        let mut file = lock(&self.file);
        self.maybe_rotate(&mut file)
    }

    /// Forces a rotation now (tests and benchmarks of crash safety).
    pub fn compact(&self) -> Result<(), LinkError> {
        let mut file = lock(&self.file);
        self.rotate(&mut file)
    }

    /// The number of lines in the file.
    pub fn file_lines(&self) -> u64 {
        lock(&self.file).log.lines()
    }
}

/// Shared mode: how far above its stream's floor a record may be and still be taken
/// ([`Marks::beyond_span`]). An honest sender keeps at most [`super::mqtt::SHARED_WINDOW`]
/// records out and sends none this far above its floor, so a receiver remembers at most this
/// many records per stream, whatever a sender with a valid certificate sends.
pub const EACH_SPAN: u64 = 16 * super::mqtt::SHARED_WINDOW as u64;

/// Shared mode's record of one stream: its sender's floor (every record below it is
/// acknowledged by some receiver) and the records at or above it written here (fewer than
/// [`EACH_SPAN`]); `used` orders a peer's streams for [`STREAMS_PER_PEER`].
#[derive(Debug, Default)]
struct Each {
    floor: u64,
    written: std::collections::BTreeSet<u64>,
    used: u64,
}

impl Each {
    fn raise(&mut self, floor: u64) {
        if floor > self.floor {
            self.floor = floor;
            self.written = self.written.split_off(&floor);
        }
    }
}

/// The persisted high-water marks (see the module docs).
pub struct Marks {
    path: PathBuf,
    log: DurableLog,
    /// Persisted marks: what resume points and duplicate checks across restarts rest on.
    persisted: HashMap<(String, String), (u64, u64)>,
    /// Noted in this batch, not yet persisted.
    pending: HashMap<(String, String), u64>,
    /// Shared mode: streams whose records arrive one by one, in any order (see [`Each`]).
    each: HashMap<(String, String), Each>,
    /// Lines of `each` written and not yet synced.
    each_unsynced: bool,
    /// Orders the uses of `each` (the least recently used stream of a peer goes first).
    each_tick: u64,
    tick: u64,
    compact_min: u64,
}

impl std::fmt::Debug for Marks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Marks").field("path", &self.path).finish_non_exhaustive()
    }
}

fn mark_line(peer: &str, stream: &str, seq: u64) -> String {
    json!({"peer": peer, "stream": stream, "seq": seq}).to_string()
}

impl Marks {
    /// Opens (or creates) the marks file. `output` is the regular file records are written
    /// to now (its identity and size), if they go to one: a record marked *before* it was
    /// written counts only if that file grew past the size the mark noted.
    pub fn open(path: &Path, output: Option<(FileId, u64)>) -> Result<Marks, LinkError> {
        remove_stale_next(path)?;
        let mut persisted: HashMap<(String, String), (u64, u64)> = HashMap::new();
        // The last mark per key when it was made before its record was written.
        let mut before: HashMap<(String, String), (FileId, u64)> = HashMap::new();
        let mut tick = 0;
        let mut each: HashMap<(String, String), Each> = HashMap::new();
        let log = DurableLog::open_with(path, 4096, |_, text| {
            let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
            let peer = value.get("peer").and_then(Value::as_str);
            let stream = value.get("stream").and_then(Value::as_str);
            let each_seq = value.get("each").and_then(Value::as_u64);
            let floor = value.get("floor").and_then(Value::as_u64);
            if each_seq.is_some() || floor.is_some() {
                let (Some(peer), Some(stream)) = (peer, stream) else {
                    return Err("a mark needs peer and stream".into());
                };
                tick += 1;
                let state = each.entry((peer.to_string(), stream.to_string())).or_default();
                state.used = tick;
                if let Some(floor) = floor {
                    state.raise(floor);
                }
                if let Some(seq) = each_seq.filter(|&seq| seq >= state.floor) {
                    state.written.insert(seq);
                }
                return Ok(());
            }
            let seq = value.get("seq").and_then(Value::as_u64);
            let (Some(peer), Some(stream), Some(seq)) = (peer, stream, seq) else {
                return Err("a mark needs peer, stream and seq".into());
            };
            tick += 1;
            let key = (peer.to_string(), stream.to_string());
            let mark = persisted.entry(key.clone()).or_default();
            if seq >= mark.0 {
                match value.get("out") {
                    Some(out) => {
                        let field = |name: &str| out.get(name).and_then(Value::as_u64);
                        let (Some(dev), Some(ino), Some(size)) = (field("dev"), field("ino"), field("size"))
                        else {
                            return Err("`out` needs dev, ino and size".into());
                        };
                        before.insert(key, (FileId { dev, ino }, size));
                    }
                    None => {
                        before.remove(&key);
                    }
                }
            }
            *mark = (mark.0.max(seq), tick);
            Ok(())
        })
        .map_err(|e| match e {
            crate::wire::LogError::Corrupt { path, line, reason } => {
                LinkError::BadState { path, line, reason }
            }
            other => LinkError::Log(other),
        })?;
        for (key, (file, size)) in before {
            let mark = persisted.get_mut(&key).expect("marked");
            match output {
                Some((now, length)) if now == file && length > size => {}
                Some((now, _)) if now == file => {
                    log::info!(
                        "record {} of {} (stream {}) was not written before the restart: it is taken again",
                        mark.0,
                        key.0,
                        key.1
                    );
                    mark.0 -= 1;
                }
                _ => {
                    log::warn!(
                        "record {} of {} (stream {}) may or may not have reached the previous output (another file now): it is taken again",
                        mark.0,
                        key.0,
                        key.1
                    );
                    mark.0 -= 1;
                }
            }
        }
        // A file written before the cap on streams per peer (or with evicted streams not yet
        // rotated out) may hold more: the most recent ones count.
        let mut by_peer: HashMap<String, Vec<(u64, String)>> = HashMap::new();
        for ((peer, stream), state) in &each {
            by_peer.entry(peer.clone()).or_default().push((state.used, stream.clone()));
        }
        for (peer, mut streams) in by_peer {
            streams.sort_unstable_by_key(|(used, _)| std::cmp::Reverse(*used));
            for (_, stream) in streams.into_iter().skip(STREAMS_PER_PEER) {
                each.remove(&(peer.clone(), stream));
            }
        }
        Ok(Marks {
            path: path.to_path_buf(),
            log,
            persisted,
            pending: HashMap::new(),
            each,
            each_unsynced: false,
            each_tick: tick,
            tick,
            compact_min: COMPACT_MIN_LINES,
        })
    }

    /// Shared mode: whether record `seq` of the stream was written here, or is below the
    /// stream's floor (acknowledged by some receiver, so written somewhere).
    pub fn written_each(&self, peer: &str, stream: &str, seq: u64) -> bool {
        self.each
            .get(&(peer.to_string(), stream.to_string()))
            .is_some_and(|state| seq < state.floor || state.written.contains(&seq))
    }

    /// Shared mode: whether record `seq` is [`EACH_SPAN`] or more above its stream's floor, so
    /// it is not taken now (nor acknowledged: the sender sends it again once its floor rose).
    pub fn beyond_span(&self, peer: &str, stream: &str, seq: u64) -> bool {
        let floor = self.each.get(&(peer.to_string(), stream.to_string())).map_or(0, |state| state.floor);
        seq >= floor.saturating_add(EACH_SPAN)
    }

    /// Shared mode: how many streams of `peer` are remembered (at most [`STREAMS_PER_PEER`]).
    pub fn each_streams(&self, peer: &str) -> usize {
        self.each.keys().filter(|(p, _)| p == peer).count()
    }

    /// Shared mode: the sender says every record of the stream below `floor` is acknowledged;
    /// what was noted below it is forgotten. A new stream of a peer that has
    /// [`STREAMS_PER_PEER`] already makes it forget its least recently used one (whose
    /// records, sent again, would then be written again).
    pub fn raise_floor(&mut self, peer: &str, stream: &str, floor: u64) -> Result<(), LinkError> {
        let key = (peer.to_string(), stream.to_string());
        self.each_tick += 1;
        let tick = self.each_tick;
        match self.each.get_mut(&key) {
            Some(state) if state.floor >= floor => {
                state.used = tick;
                return Ok(());
            }
            Some(_) => {}
            None => {
                let mut streams: Vec<(u64, &(String, String))> =
                    self.each.iter().filter(|((p, _), _)| p == peer).map(|(k, s)| (s.used, k)).collect();
                if streams.len() >= STREAMS_PER_PEER {
                    streams.sort_unstable_by_key(|(used, _)| *used);
                    let oldest = streams[0].1.clone();
                    log::warn!(
                        "{peer} has more than {STREAMS_PER_PEER} streams: forgetting stream {}",
                        oldest.1
                    );
                    self.each.remove(&oldest);
                }
            }
        }
        self.log.write_line(&json!({"peer": peer, "stream": stream, "floor": floor}).to_string())?;
        self.each_unsynced = true;
        let state = self.each.entry(key).or_default();
        state.used = tick;
        state.raise(floor);
        Ok(())
    }

    /// Shared mode: notes that record `seq` of the stream was written (at once to the file;
    /// synced by [`Marks::persist`], before its ack).
    pub fn note_each(&mut self, peer: &str, stream: &str, seq: u64) -> Result<(), LinkError> {
        self.log.write_line(&json!({"peer": peer, "stream": stream, "each": seq}).to_string())?;
        self.each_unsynced = true;
        self.each.entry((peer.to_string(), stream.to_string())).or_default().written.insert(seq);
        Ok(())
    }

    /// The persisted mark of a peer's stream: the resume point to give it (0: never seen).
    pub fn resume_point(&self, peer: &str, stream: &str) -> u64 {
        self.persisted.get(&(peer.to_string(), stream.to_string())).map_or(0, |m| m.0)
    }

    /// The highest record of the stream written so far, persisted or noted.
    pub fn current(&self, peer: &str, stream: &str) -> u64 {
        let key = (peer.to_string(), stream.to_string());
        let persisted = self.persisted.get(&key).map_or(0, |m| m.0);
        self.pending.get(&key).copied().unwrap_or(0).max(persisted)
    }

    /// Notes that record `seq` of the stream was written: its line goes to the file at once
    /// (a killed process keeps it) and is synced by [`Marks::persist`], before any ack.
    pub fn note(&mut self, peer: &str, stream: &str, seq: u64) -> Result<(), LinkError> {
        self.log.write_line(&mark_line(peer, stream, seq))?;
        let mark = self.pending.entry((peer.to_string(), stream.to_string())).or_default();
        *mark = (*mark).max(seq);
        Ok(())
    }

    /// Notes record `seq` *before* it is written to the regular file `output` (identity, size
    /// now): after a kill, [`Marks::open`] counts it only if the file grew past that size, so a
    /// file output gets every record exactly once.
    pub fn note_before(
        &mut self,
        peer: &str,
        stream: &str,
        seq: u64,
        output: (FileId, u64),
    ) -> Result<(), LinkError> {
        let (id, size) = output;
        let line = json!({"peer": peer, "stream": stream, "seq": seq, "out": {"dev": id.dev, "ino": id.ino, "size": size}});
        self.log.write_line(&line.to_string())?;
        let mark = self.pending.entry((peer.to_string(), stream.to_string())).or_default();
        *mark = (*mark).max(seq);
        Ok(())
    }

    /// Syncs the noted marks; then they count as persisted (resume points).
    pub fn persist(&mut self) -> Result<(), LinkError> {
        if self.pending.is_empty() && !self.each_unsynced {
            return Ok(());
        }
        self.log.sync()?;
        self.each_unsynced = false;
        for (key, seq) in self.pending.drain() {
            self.tick += 1;
            let mark = self.persisted.entry(key).or_default();
            *mark = (mark.0.max(seq), self.tick);
        }
        let each_lines: u64 = self.each.values().map(|state| 1 + state.written.len() as u64).sum();
        let live = self.persisted.len() as u64 + each_lines;
        if self.log.lines() >= self.compact_min && self.log.lines() > 4 * live {
            self.rotate()?;
        }
        Ok(())
    }

    /// Raises marks to at least `seq` and persists them (the operator's forwarded origins).
    pub fn raise(&mut self, origins: &[Origin]) -> Result<(), LinkError> {
        for origin in origins {
            if origin.seq > self.current(&origin.peer, &origin.stream) {
                self.note(&origin.peer, &origin.stream, origin.seq)?;
            }
        }
        self.persist()
    }

    fn rotate(&mut self) -> Result<(), LinkError> {
        // Keep the most recent streams of each peer.
        #[allow(clippy::type_complexity)] // local grouping of (peer, stream) -> (mark, size)
        let mut by_peer: HashMap<&str, Vec<(&(String, String), &(u64, u64))>> = HashMap::new();
        for (key, mark) in &self.persisted {
            by_peer.entry(key.0.as_str()).or_default().push((key, mark));
        }
        let mut keep: Vec<((String, String), (u64, u64))> = Vec::new();
        for (_, mut streams) in by_peer {
            streams.sort_by_key(|(_, mark)| std::cmp::Reverse(mark.1));
            keep.extend(streams.into_iter().take(STREAMS_PER_PEER).map(|(k, m)| (k.clone(), *m)));
        }
        keep.sort_by_key(|(_, mark)| mark.1);
        let mut lines: Vec<String> =
            keep.iter().map(|((peer, stream), mark)| mark_line(peer, stream, mark.0)).collect();
        for ((peer, stream), state) in &self.each {
            lines.push(json!({"peer": peer, "stream": stream, "floor": state.floor}).to_string());
            lines.extend(
                state
                    .written
                    .iter()
                    .map(|seq| json!({"peer": peer, "stream": stream, "each": seq}).to_string()),
            );
        }
        self.log = rotate(&self.path, &lines, 4096)?;
        self.persisted = keep.into_iter().collect();
        Ok(())
    }

    /// The number of lines in the file.
    pub fn file_lines(&self) -> u64 {
        self.log.lines()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(lane: &str, n: u64) -> Item {
        Item {
            lane: lane.into(),
            record: format!(r#"{{"kind":"t","v":1,"n":{n}}}"#),
            input_end: None,
            from: None,
        }
    }

    fn numbers(entries: &[Entry]) -> Vec<u64> {
        entries.iter().map(|e| e.seq).collect()
    }

    #[test]
    fn records_survive_reopening_until_acked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spool.ndjson");
        let spool = Spool::open(&path, 1024, SpoolLimits::default()).unwrap();
        let lane = spool.lane("up").unwrap();
        let got = spool.push((1..=5).map(|n| item("up", n)).collect(), true).unwrap();
        assert_eq!(got, (1..=5).map(Ok).collect::<Vec<_>>());
        spool.ack("up", &lane.stream, 2).unwrap();
        assert_eq!(numbers(&spool.fetch("up", 0, 10)), vec![3, 4, 5]);
        assert_eq!(numbers(&spool.fetch("up", 3, 1)), vec![4]);
        assert!(spool.ack("up", &lane.stream, 9).is_err(), "more than was ever spooled");
        assert!(spool.ack("up", "another-stream", 5).is_ok(), "ignored");
        assert_eq!(spool.pending("up"), 3);
        drop(spool);
        // Acks are not written: after a restart the receiver's resume point says them again.
        let spool = Spool::open(&path, 1024, SpoolLimits::default()).unwrap();
        assert_eq!(spool.lane("up").unwrap().stream, lane.stream, "the same stream");
        assert_eq!(numbers(&spool.fetch("up", 0, 10)), vec![1, 2, 3, 4, 5]);
        spool.ack("up", &lane.stream, 5).unwrap();
        assert_eq!(spool.push(vec![item("up", 6)], true).unwrap(), vec![Ok(6)], "numbers go on");
    }

    #[test]
    fn a_full_lane_refuses_or_waits() {
        let dir = tempfile::tempdir().unwrap();
        let limits = SpoolLimits { max_records: 2, max_bytes: 1 << 20 };
        let spool = Arc::new(Spool::open(&dir.path().join("s.ndjson"), 1024, limits).unwrap());
        let got = spool.push(vec![item("a", 1), item("b", 1), item("a", 2), item("a", 3)], false).unwrap();
        assert_eq!(got[..3], [Ok(1), Ok(1), Ok(2)]);
        assert_eq!(got[3], Err(PushRefusal::Full { lane: "a".into(), records: 2 }));
        // Waiting: the push completes once an ack makes room.
        let stream = spool.lane("a").unwrap().stream;
        let pusher = {
            let spool = spool.clone();
            std::thread::spawn(move || spool.push(vec![item("a", 3), item("a", 4)], true).unwrap())
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!pusher.is_finished());
        spool.ack("a", &stream, 2).unwrap();
        assert_eq!(pusher.join().unwrap(), vec![Ok(3), Ok(4)]);
    }

    #[test]
    fn a_lanes_byte_limit_is_freed_by_acks_of_either_kind() {
        let dir = tempfile::tempdir().unwrap();
        let size = item("a", 1).record.len();
        let limits = SpoolLimits { max_records: 1000, max_bytes: 3 * size };
        let spool = Spool::open(&dir.path().join("s.ndjson"), 1024, limits).unwrap();
        let stream = spool.lane("a").unwrap().stream;
        let got = spool.push((1..=4).map(|n| item("a", n)).collect(), false).unwrap();
        assert_eq!(got, [Ok(1), Ok(2), Ok(3), Err(PushRefusal::Full { lane: "a".into(), records: 3 })]);
        // Not confirmed until the receiver acks this lane's own stream.
        assert!(!spool.confirmed("a"));
        spool.ack("a", "another-stream", 3).unwrap();
        assert!(!spool.confirmed("a"));
        // Two acked: room for exactly two more.
        spool.ack("a", &stream, 2).unwrap();
        assert!(spool.confirmed("a") && !spool.confirmed("b"));
        let got = spool.push((4..=6).map(|n| item("a", n)).collect(), false).unwrap();
        assert_eq!(got, [Ok(4), Ok(5), Err(PushRefusal::Full { lane: "a".into(), records: 3 })]);
        // Records acked one by one free their bytes too.
        spool.ack_each("a", &stream, &[4]).unwrap();
        let got = spool.push((6..=7).map(|n| item("a", n)).collect(), false).unwrap();
        assert_eq!(got, [Ok(6), Err(PushRefusal::Full { lane: "a".into(), records: 3 })]);
        assert_eq!(numbers(&spool.fetch("a", 0, 10)), vec![3, 5, 6]);
        assert_eq!(spool.first_pending("a"), Some(3));
        assert_eq!(spool.first_pending("b"), None);
    }

    #[test]
    fn a_torn_batch_keeps_its_whole_lines_and_the_input_position_of_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.ndjson");
        let spool = Spool::open(&path, 1024, SpoolLimits::default()).unwrap();
        let id = FileId { dev: 1, ino: 2 };
        spool.begin_input(id, 0).unwrap();
        let items: Vec<Item> = (1..=3).map(|n| Item { input_end: Some(n * 10), ..item("up", n) }).collect();
        spool.push(items, true).unwrap();
        drop(spool);
        // A crash tore the batch inside its last line.
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, &text[..text.len() - 10]).unwrap();
        let spool = Spool::open(&path, 1024, SpoolLimits::default()).unwrap();
        assert_eq!(numbers(&spool.fetch("up", 0, 10)), vec![1, 2]);
        assert_eq!(spool.input(), Some((id, 20)), "the input resumes after record 2");
        assert_eq!(spool.push(vec![item("up", 3)], true).unwrap(), vec![Ok(3)]);
    }

    #[test]
    fn rotation_keeps_what_is_pending_and_a_crash_in_it_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.ndjson");
        let spool = Spool::open(&path, 1024, SpoolLimits::default()).unwrap();
        let stream = spool.lane("up").unwrap().stream;
        spool.begin_input(FileId { dev: 1, ino: 2 }, 0).unwrap();
        let total = COMPACT_MIN_LINES + 10;
        for chunk in (1..=total).collect::<Vec<_>>().chunks(500) {
            let items = chunk.iter().map(|&n| Item { input_end: Some(n), ..item("up", n) }).collect();
            spool.push(items, true).unwrap();
        }
        spool.ack("up", &stream, total - 3).unwrap();
        let lines_before = spool.file_lines();
        // The next push rotates: dead lines dominate.
        spool.push(vec![item("up", total + 1)], true).unwrap();
        assert!(spool.file_lines() < 10, "{} lines after rotating {lines_before}", spool.file_lines());
        drop(spool);
        let reopened = Spool::open(&path, 1024, SpoolLimits::default()).unwrap();
        assert_eq!(numbers(&reopened.fetch("up", 0, 100)), vec![total - 2, total - 1, total, total + 1]);
        assert_eq!(reopened.lane("up").unwrap().stream, stream);
        assert_eq!(reopened.input().unwrap().1, total);

        // A crash before the rename: a complete or a torn `.next` beside the old file.
        let before = fs::read(&path).unwrap();
        for stale in [before.clone(), before[..before.len() / 2].to_vec()] {
            fs::write(next_path(&path), &stale).unwrap();
            let spool = Spool::open(&path, 1024, SpoolLimits::default()).unwrap();
            assert_eq!(numbers(&spool.fetch("up", 0, 100)), vec![total - 2, total - 1, total, total + 1]);
            assert!(!next_path(&path).exists());
        }
        // Everything acknowledged: the rotated file holds the headers and the next number.
        let spool = Spool::open(&path, 1024, SpoolLimits::default()).unwrap();
        spool.ack("up", &stream, total + 1).unwrap();
        spool.compact().unwrap();
        drop(spool);
        let spool = Spool::open(&path, 1024, SpoolLimits::default()).unwrap();
        assert_eq!(spool.pending("up"), 0);
        assert_eq!(spool.push(vec![item("up", 0)], true).unwrap(), vec![Ok(total + 2)]);
    }

    #[test]
    fn forwarded_origins_are_found_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.ndjson");
        let spool = Spool::open(&path, 1024, SpoolLimits::default()).unwrap();
        let origin = Origin { peer: "m1".into(), stream: "s".into(), seq: 41 };
        spool.push(vec![Item { from: Some(origin.clone()), ..item("m2", 1) }], false).unwrap();
        drop(spool);
        let spool = Spool::open(&path, 1024, SpoolLimits::default()).unwrap();
        assert_eq!(spool.origins(), std::slice::from_ref(&origin));
        let mut marks = Marks::open(&dir.path().join("m.ndjson"), None).unwrap();
        marks.raise(spool.origins()).unwrap();
        assert_eq!(marks.resume_point("m1", "s"), 41);
    }

    #[test]
    fn corrupt_state_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.ndjson");
        fs::write(&path, "{\"lane\":\"up\",\"seq\":1,\"record\":{}}\n").unwrap();
        let error = Spool::open(&path, 1024, SpoolLimits::default()).unwrap_err();
        assert!(error.to_string().contains("line 1: a record of lane \"up\" before its header"), "{error}");
        fs::write(
            &path,
            "{\"lane\":\"up\",\"stream\":\"s\",\"seq\":5}\n{\"lane\":\"up\",\"seq\":3,\"record\":{}}\n",
        )
        .unwrap();
        let error = Spool::open(&path, 1024, SpoolLimits::default()).unwrap_err();
        assert!(error.to_string().contains("line 2: record 3 of lane \"up\" after record 5"), "{error}");
    }

    #[test]
    fn marks_persist_rotate_and_keep_recent_streams() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("received.ndjson");
        let mut marks = Marks::open(&path, None).unwrap();
        marks.note("m1", "s1", 5).unwrap();
        assert_eq!(
            (marks.current("m1", "s1"), marks.resume_point("m1", "s1")),
            (5, 0),
            "noted, not persisted"
        );
        marks.persist().unwrap();
        assert_eq!(marks.resume_point("m1", "s1"), 5);
        marks.compact_min = 64;
        for n in 0..64 {
            marks.note("m1", "s1", 6 + n).unwrap();
            marks.persist().unwrap();
        }
        assert!(marks.file_lines() < 10, "rotated: {}", marks.file_lines());
        for stream in 0..(STREAMS_PER_PEER + 4) {
            marks.note("m2", &format!("t{stream}"), 1).unwrap();
            marks.persist().unwrap();
        }
        marks.rotate().unwrap();
        drop(marks);
        let marks = Marks::open(&path, None).unwrap();
        assert_eq!(marks.resume_point("m1", "s1"), 5 + 64);
        assert_eq!(marks.resume_point("m2", "t0"), 0, "the oldest streams are forgotten");
        assert_eq!(marks.resume_point("m2", &format!("t{}", STREAMS_PER_PEER + 3)), 1);
        assert!(!next_path(&path).exists());
    }

    #[test]
    fn the_marks_file_is_compacted_only_past_its_minimum_and_mostly_stale() {
        let dir = tempfile::tempdir().unwrap();
        let mut marks = Marks::open(&dir.path().join("received.ndjson"), None).unwrap();
        marks.compact_min = 16;
        // One live mark: below the minimum the file keeps every line.
        for seq in 1..=15 {
            marks.note("m", "s", seq).unwrap();
            marks.persist().unwrap();
        }
        assert_eq!(marks.file_lines(), 15);
        marks.note("m", "s", 16).unwrap();
        marks.persist().unwrap();
        assert_eq!(marks.file_lines(), 1, "at the minimum and stale: compacted to the live mark");
        // Past the minimum but mostly live (four lines or fewer per mark): kept.
        for stream in 0..16 {
            marks.note("m", &format!("t{stream}"), 1).unwrap();
        }
        marks.persist().unwrap();
        assert_eq!(marks.file_lines(), 17);
        assert_eq!(marks.resume_point("m", "s"), 16);

        // Past the minimum, compacted once more than four lines per live mark.
        let mut marks = Marks::open(&dir.path().join("two.ndjson"), None).unwrap();
        marks.compact_min = 1;
        for seq in 1..=8 {
            marks.note("m", ["a", "b"][seq as usize % 2], seq).unwrap();
            marks.persist().unwrap();
        }
        assert_eq!(marks.file_lines(), 8, "two live marks, four lines each");
        marks.note("m", "a", 9).unwrap();
        marks.persist().unwrap();
        assert_eq!(marks.file_lines(), 2);
        // An origin already marked adds no line; a higher one does.
        let origin = |seq| Origin { peer: "m".into(), stream: "a".into(), seq };
        marks.raise(&[origin(8), origin(9)]).unwrap();
        assert_eq!(marks.file_lines(), 2);
        marks.raise(&[origin(10)]).unwrap();
        assert_eq!((marks.file_lines(), marks.resume_point("m", "a")), (3, 10));

        // Shared mode's floors and records count as live lines too.
        let mut marks = Marks::open(&dir.path().join("each.ndjson"), None).unwrap();
        marks.compact_min = 1;
        for floor in 1..=4 {
            marks.raise_floor("m", "x", floor).unwrap();
            marks.persist().unwrap();
        }
        assert_eq!(marks.file_lines(), 4, "one live floor, four lines");
        marks.raise_floor("m", "x", 5).unwrap();
        marks.persist().unwrap();
        assert_eq!(marks.file_lines(), 1);
        for seq in 5..=7 {
            marks.note_each("m", "x", seq).unwrap();
        }
        marks.persist().unwrap();
        assert_eq!(marks.file_lines(), 4, "a floor and three records: all live");
    }

    #[test]
    fn a_reopened_marks_file_still_knows_which_streams_were_marked_last() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("received.ndjson");
        let mut marks = Marks::open(&path, None).unwrap();
        let n = STREAMS_PER_PEER + 4;
        for stream in 0..n {
            marks.note("m", &format!("t{stream}"), 1).unwrap();
        }
        // t0 is marked again last of all: the most recent.
        marks.note("m", "t0", 2).unwrap();
        marks.persist().unwrap();
        drop(marks);
        // The order comes from the file: the rotation after reopening keeps the recent ones.
        let mut marks = Marks::open(&path, None).unwrap();
        marks.rotate().unwrap();
        drop(marks);
        let marks = Marks::open(&path, None).unwrap();
        assert_eq!(marks.resume_point("m", "t0"), 2);
        let kept: Vec<usize> = (0..n).filter(|s| marks.resume_point("m", &format!("t{s}")) > 0).collect();
        let expected: Vec<usize> = std::iter::once(0).chain(n - STREAMS_PER_PEER + 1..n).collect();
        assert_eq!(kept, expected);
    }

    #[test]
    fn a_record_at_the_floor_is_written_only_if_noted() {
        let dir = tempfile::tempdir().unwrap();
        let mut marks = Marks::open(&dir.path().join("received.ndjson"), None).unwrap();
        marks.raise_floor("m", "s", 3).unwrap();
        marks.note_each("m", "s", 4).unwrap();
        marks.raise_floor("m", "s", 4).unwrap();
        assert!(marks.written_each("m", "s", 3) && marks.written_each("m", "s", 4));
        marks.raise_floor("m", "s", 6).unwrap();
        assert!(marks.written_each("m", "s", 5), "below the floor");
        assert!(!marks.written_each("m", "s", 6), "at the floor, not noted");
    }

    #[test]
    fn records_acknowledged_one_by_one_leave_holes_that_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spool.ndjson");
        let spool = Spool::open(&path, 1024, SpoolLimits::default()).unwrap();
        let lane = spool.lane("up").unwrap();
        spool.push((1..=6).map(|n| item("up", n)).collect(), false).unwrap();
        spool.ack_each("up", "another stream", &[1, 2]).unwrap();
        assert_eq!(spool.pending("up"), 6, "an ack of another stream changes nothing");
        spool.ack_each("up", &lane.stream, &[2, 5, 5, 9]).unwrap();
        assert_eq!(numbers(&spool.fetch("up", 0, 10)), vec![1, 3, 4, 6]);
        assert_eq!(numbers(&spool.fetch("up", 2, 10)), vec![3, 4, 6]);
        assert_eq!(numbers(&spool.fetch("up", 4, 1)), vec![6]);
        assert!(spool.entry("up", 5).is_none());
        assert!(spool.confirmed("up"));
        drop(spool);
        let spool = Spool::open(&path, 1024, SpoolLimits::default()).unwrap();
        assert_eq!(numbers(&spool.fetch("up", 0, 10)), vec![1, 3, 4, 6], "the acks were kept");
        spool.ack_each("up", &lane.stream, &[1, 3, 4, 6]).unwrap();
        spool.compact().unwrap();
        drop(spool);
        let spool = Spool::open(&path, 1024, SpoolLimits::default()).unwrap();
        assert_eq!(spool.pending("up"), 0);
        spool.push(vec![item("up", 7)], false).unwrap();
        assert_eq!(numbers(&spool.fetch("up", 0, 10)), vec![7], "numbers go on after the rotation");
    }

    #[test]
    fn shared_marks_keep_each_record_above_the_floor() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("received.ndjson");
        let mut marks = Marks::open(&path, None).unwrap();
        marks.raise_floor("m1", "s1", 3).unwrap();
        for seq in [3, 5, 8] {
            marks.note_each("m1", "s1", seq).unwrap();
        }
        marks.persist().unwrap();
        let written =
            |marks: &Marks| (1..=9).filter(|&n| marks.written_each("m1", "s1", n)).collect::<Vec<_>>();
        assert_eq!(written(&marks), vec![1, 2, 3, 5, 8], "below the floor counts as written");
        assert!(!marks.written_each("m1", "s2", 1), "another stream");
        marks.raise_floor("m1", "s1", 5).unwrap();
        marks.raise_floor("m1", "s1", 4).unwrap();
        marks.persist().unwrap();
        drop(marks);
        let mut marks = Marks::open(&path, None).unwrap();
        assert_eq!(written(&marks), vec![1, 2, 3, 4, 5, 8], "the floor does not go down");
        marks.rotate().unwrap();
        drop(marks);
        let marks = Marks::open(&path, None).unwrap();
        assert_eq!(written(&marks), vec![1, 2, 3, 4, 5, 8], "kept by the rotation");
        assert_eq!(marks.file_lines(), 3, "the floor and the records above it");
    }

    #[test]
    fn shared_marks_stay_bounded_whatever_a_sender_sends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("received.ndjson");
        let mut marks = Marks::open(&path, None).unwrap();
        // Far records: taken below floor + EACH_SPAN, not at it.
        marks.raise_floor("m1", "s", 0).unwrap();
        assert!(!marks.beyond_span("m1", "s", EACH_SPAN - 1));
        assert!(marks.beyond_span("m1", "s", EACH_SPAN));
        assert!(marks.beyond_span("m1", "s", u64::MAX));
        marks.raise_floor("m1", "s", 100).unwrap();
        assert!(!marks.beyond_span("m1", "s", EACH_SPAN + 99));
        assert!(marks.beyond_span("m1", "s", EACH_SPAN + 100));
        assert!(marks.beyond_span("m1", "unknown", EACH_SPAN), "an unknown stream's floor is 0");
        marks.raise_floor("m1", "s", u64::MAX).unwrap();
        assert!(!marks.beyond_span("m1", "s", u64::MAX - 1), "no overflow");

        // Streams: a new one past STREAMS_PER_PEER forgets the least recently used.
        let n = STREAMS_PER_PEER + 3;
        for i in 0..n {
            marks.raise_floor("m2", &format!("s{i}"), 1).unwrap();
            marks.note_each("m2", &format!("s{i}"), 1).unwrap();
            // s0 stays in use.
            marks.raise_floor("m2", "s0", 1).unwrap();
        }
        marks.raise_floor("m3", "other", 1).unwrap();
        marks.persist().unwrap();
        assert_eq!(marks.each_streams("m2"), STREAMS_PER_PEER);
        assert_eq!(marks.each_streams("m3"), 1, "another peer's streams are its own");
        assert!(marks.written_each("m2", "s0", 1), "the stream in use is kept");
        assert!(!marks.written_each("m2", "s1", 1) && !marks.written_each("m2", "s3", 1), "the oldest go");
        assert!(marks.written_each("m2", "s4", 1) && marks.written_each("m2", &format!("s{}", n - 1), 1));
        // The file still has the forgotten ones until it rotates: reopened, the cap holds and
        // the streams written to last are kept.
        drop(marks);
        let marks = Marks::open(&path, None).unwrap();
        assert_eq!(marks.each_streams("m2"), STREAMS_PER_PEER);
        assert!((n - STREAMS_PER_PEER..n).all(|i| marks.written_each("m2", &format!("s{i}"), 1)));
    }

    #[test]
    fn a_mark_made_before_its_record_counts_only_if_the_file_grew() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("received.ndjson");
        let out = FileId { dev: 7, ino: 9 };
        let mut marks = Marks::open(&path, None).unwrap();
        marks.note_before("m", "s", 1, (out, 0)).unwrap();
        marks.note_before("m", "s", 2, (out, 100)).unwrap();
        marks.persist().unwrap();
        drop(marks);
        // Killed after record 2's mark; the file did not grow: record 2 is taken again.
        assert_eq!(Marks::open(&path, Some((out, 100))).unwrap().resume_point("m", "s"), 1);
        // It did grow: record 2 was written.
        assert_eq!(Marks::open(&path, Some((out, 180))).unwrap().resume_point("m", "s"), 2);
        // Another output now: taken again rather than lost.
        assert_eq!(
            Marks::open(&path, Some((FileId { dev: 7, ino: 10 }, 500))).unwrap().resume_point("m", "s"),
            1
        );
        assert_eq!(Marks::open(&path, None).unwrap().resume_point("m", "s"), 1);
    }

    #[test]
    fn a_refused_start_removes_only_the_empty_files_it_created() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(&dir.path().join("state")).unwrap();
        std::fs::write(state.file("kept.ndjson"), "").unwrap();
        let refused: Result<(), LinkError> = state.start(|dir| {
            std::fs::write(dir.file("new.ndjson"), "").unwrap();
            std::fs::write(dir.file("written.ndjson"), "x\n").unwrap();
            Err(LinkError::StateBusy { path: dir.path().to_path_buf() })
        });
        assert!(refused.is_err());
        assert!(!state.file("new.ndjson").exists(), "an empty file the start created stays");
        assert!(state.file("kept.ndjson").exists() && state.file("written.ndjson").exists());
        assert_eq!(state.start(|dir| Ok(dir.file("a"))).unwrap(), state.file("a"));
    }

    #[test]
    fn a_state_folder_has_one_process() {
        let dir = tempfile::tempdir().unwrap();
        let first = StateDir::open(&dir.path().join("state")).unwrap();
        // flock is per open file description: a second open in this process conflicts too.
        let second = StateDir::open(&dir.path().join("state")).unwrap_err();
        assert!(matches!(second, LinkError::StateBusy { .. }), "{second}");
        drop(first);
        StateDir::open(&dir.path().join("state")).unwrap();
    }
}
