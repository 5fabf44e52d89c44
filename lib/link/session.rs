//! One connection's protocol engine, the same for every transport and both sides: `hello`,
//! the resume point, data out of the spool and into the delivery, acks, keepalive, the idle
//! timeout and the per-peer rate. See [the protocol](super).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{mpsc, watch};

use super::LinkError;
use super::frame::{Frame, PROTOCOL_VERSION};
use super::limits::TokenBucket;
use super::store::{LaneHandle, Marks, Spool};
use super::transport::{FrameReader, FrameWriter, TransportError};
use crate::pki::Identity;
use crate::wire::ErrorRecord;

/// A record received from a peer, on its way to the delivery.
pub struct Incoming {
    /// Who sent it (from its verified certificate).
    pub peer: Arc<Identity>,
    /// The peer's stream.
    pub stream: Arc<str>,
    /// Its number in the stream.
    pub seq: u64,
    /// The record.
    pub record: Value,
    /// Where the delivery sends the ack (or refusal) for it.
    pub reply: Replies,
    /// Shared mode ([`super::mqtt`]): the sender's floor (every record below it is
    /// acknowledged by some receiver). The record is then checked and acknowledged on its own
    /// ([`Control::AckEach`]) rather than against a high-water mark. `None`: a session.
    pub floor: Option<u64>,
}

/// What goes to the delivery thread: a received record, or a peer that came or went (the
/// listener's `--events`), written out in its place among the records, never marked or acked.
pub enum Inbound {
    /// A record to deliver.
    Record(Incoming),
    /// A `link` record to write as it is.
    Event(crate::wire::LinkRecord),
}

/// What a session's writer is asked to send.
#[derive(Debug)]
pub enum Control {
    /// Everything of the peer's `stream` up to `seq` is written.
    Ack {
        /// The peer's stream.
        stream: Arc<str>,
        /// The highest record written.
        seq: u64,
    },
    /// Shared mode: records `seqs` of the peer's `stream` are written (each on its own).
    AckEach {
        /// The peer's stream.
        stream: Arc<str>,
        /// The records written (or dropped as duplicates).
        seqs: Vec<u64>,
    },
    /// Record `seq` will not be written.
    Refused {
        /// Its number.
        seq: u64,
        /// A stable code.
        code: String,
        /// Why.
        message: String,
    },
    /// Answer a ping.
    Pong,
    /// The peer's resume point arrived: start sending after `seq`.
    Resume(u64),
    /// Say goodbye (with a reason) and close.
    Bye {
        /// The code.
        code: String,
        /// The message.
        message: String,
    },
}

/// The channel to a session's writer.
pub type Replies = mpsc::UnboundedSender<Control>;

/// What one side brings to a session.
pub struct Endpoint {
    /// The spool that holds what is sent to this peer.
    pub spool: Arc<Spool>,
    /// The peer's lane in it.
    pub lane: LaneHandle,
    /// The high-water marks of what was received (resume points).
    pub marks: Arc<Mutex<Marks>>,
    /// Where received records go.
    pub inbox: mpsc::Sender<Inbound>,
    /// Whether this session sends the lane's records (`None`: always). The operator sends a
    /// peer's outbox over its newest connection only.
    pub sending: Option<watch::Receiver<bool>>,
    /// The peer's rate limit, shared by its connections.
    pub bucket: Option<Arc<Mutex<TokenBucket>>>,
}

/// A session's timing.
#[derive(Debug, Clone, Copy)]
pub struct SessionOptions {
    /// Nothing received for this long cuts the connection; pings go out after a third of it.
    pub idle: Duration,
    /// The peer's `hello` must arrive within this.
    pub hello_timeout: Duration,
}

/// How a session ended.
#[derive(Debug)]
pub enum Ended {
    /// This side stopped (shutdown, end of input), saying `bye`.
    Stopped,
    /// The peer said `bye`.
    PeerBye {
        /// Its code (`closing` for a plain stop).
        code: String,
        /// Its message.
        message: String,
    },
    /// This side cut the peer for misbehaving.
    Cut {
        /// The reason's code.
        code: &'static str,
        /// The reason.
        message: String,
    },
    /// The connection broke.
    Lost(String),
    /// The peer's resume point does not fit the spool (it was rolled back).
    Conflict(LinkError),
}

impl std::fmt::Display for Ended {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ended::Stopped => f.write_str("closed by us"),
            Ended::PeerBye { code, message } if message.is_empty() => {
                write!(f, "closed by the peer ({code})")
            }
            Ended::PeerBye { code, message } => write!(f, "closed by the peer: {message} ({code})"),
            Ended::Cut { code, message } => write!(f, "cut: {message} ({code})"),
            Ended::Lost(why) => write!(f, "lost: {why}"),
            Ended::Conflict(error) => write!(f, "{error}"),
        }
    }
}

/// A session's outcome and counts.
#[derive(Debug)]
pub struct Summary {
    /// How it ended.
    pub ended: Ended,
    /// Whether the peer's `hello` arrived (the link was up).
    pub established: bool,
    /// Records received (duplicates included).
    pub received: u64,
    /// Records sent (resends included).
    pub sent: u64,
}

#[derive(Default)]
struct Counts {
    established: AtomicBool,
    received: AtomicU64,
    sent: AtomicU64,
}

/// Writes an `error` record on stderr for a record the peer refused, with that record's meta.
fn report_refused(peer: &Identity, endpoint: &Endpoint, seq: u64, code: &str, message: &str) {
    let meta = endpoint
        .spool
        .entry(&endpoint.lane.lane, seq)
        .and_then(|entry| serde_json::from_str::<Value>(&entry.record).ok())
        .and_then(|record| record.get("meta").cloned());
    let record = ErrorRecord::new(code, format!("{peer} refused record {seq}: {message}")).with_meta(meta);
    let envelope = crate::wire::Envelope::new(&record);
    if let Ok(mut text) = serde_json::to_string(&envelope) {
        text.push('\n');
        crate::wire::write_stderr(&text);
    }
}

/// Runs one session over a transport's two halves until it ends.
pub async fn run<R: FrameReader, W: FrameWriter>(
    reader: R,
    mut writer: W,
    peer: Arc<Identity>,
    endpoint: Endpoint,
    options: SessionOptions,
    stop: watch::Receiver<bool>,
) -> Summary {
    let (control, mut controls) = mpsc::unbounded_channel();
    let counts = Counts::default();
    let read = read_loop(reader, &peer, &endpoint, options, control.clone(), &counts);
    let write = write_loop(&mut writer, &mut controls, &endpoint, options, stop, &counts);
    tokio::pin!(read, write);
    let ended = tokio::select! {
        ended = &mut read => {
            let goodbye = match &ended {
                Ended::Cut { code, message } => Some(((*code).to_string(), message.clone())),
                Ended::Conflict(error) => Some(("stream_conflict".to_string(), error.to_string())),
                Ended::PeerBye { .. } | Ended::Stopped => Some(("closing".to_string(), String::new())),
                Ended::Lost(_) => None,
            };
            if let Some((code, message)) = goodbye {
                let _ = control.send(Control::Bye { code, message });
                let _ = tokio::time::timeout(Duration::from_secs(1), &mut write).await;
            }
            ended
        }
        written = &mut write => match written {
            Ok(()) => Ended::Stopped,
            Err(why) => Ended::Lost(why),
        },
    };
    Summary {
        ended,
        established: counts.established.load(Ordering::Relaxed),
        received: counts.received.load(Ordering::Relaxed),
        sent: counts.sent.load(Ordering::Relaxed),
    }
}

async fn read_loop<R: FrameReader>(
    mut reader: R,
    peer: &Arc<Identity>,
    endpoint: &Endpoint,
    options: SessionOptions,
    control: Replies,
    counts: &Counts,
) -> Ended {
    let mut peer_stream: Option<Arc<str>> = None;
    let mut resumed = false;
    let mut warned_rate: Option<Instant> = None;
    loop {
        let limit = if peer_stream.is_none() { options.hello_timeout } else { options.idle };
        let text = match tokio::time::timeout(limit, reader.read_frame()).await {
            Err(_) if peer_stream.is_none() => {
                return Ended::Cut {
                    code: "hello_timeout",
                    message: format!("no hello within {}", humantime::format_duration(limit)),
                };
            }
            Err(_) => {
                return Ended::Cut {
                    code: "idle_timeout",
                    message: format!(
                        "no complete frame for {} (--idle-timeout)",
                        humantime::format_duration(limit)
                    ),
                };
            }
            Ok(Err(TransportError::TooLong { limit })) => {
                return Ended::Cut {
                    code: "line_too_long",
                    message: format!("a line of more than {limit} bytes (--max-line, plus the frame)"),
                };
            }
            Ok(Err(TransportError::NotUtf8)) => {
                return Ended::Cut { code: "protocol", message: "a line that is not UTF-8".into() };
            }
            Ok(Err(TransportError::Io(why))) => return Ended::Lost(why),
            Ok(Ok(None)) => return Ended::Lost("the peer closed the connection without bye".into()),
            Ok(Ok(Some(text))) => text,
        };
        if text.trim().is_empty() {
            continue;
        }
        let frame = match Frame::parse(&text) {
            Ok(frame) => frame,
            Err(why) => return Ended::Cut { code: "protocol", message: format!("a bad frame: {why}") },
        };
        match frame {
            Frame::Hello { v, stream } => {
                if v != PROTOCOL_VERSION {
                    return Ended::Cut {
                        code: "version",
                        message: format!("protocol version {v}; this side speaks {PROTOCOL_VERSION}"),
                    };
                }
                if peer_stream.is_some() {
                    return Ended::Cut { code: "protocol", message: "a second hello".into() };
                }
                let stream: Arc<str> = stream.into();
                let resume = endpoint
                    .marks
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .resume_point(&peer.name, &stream);
                log::debug!("{peer}: stream {stream}, resuming after {resume}");
                let _ = control.send(Control::Ack { stream: stream.clone(), seq: resume });
                peer_stream = Some(stream);
                counts.established.store(true, Ordering::Relaxed);
            }
            Frame::Data { seq, record } => {
                let Some(stream) = &peer_stream else {
                    return Ended::Cut { code: "protocol", message: "data before hello".into() };
                };
                if let Some(bucket) = &endpoint.bucket {
                    let wait = bucket.lock().unwrap_or_else(|p| p.into_inner()).take(Instant::now());
                    if let Some(wait) = wait {
                        if warned_rate.is_none_or(|at| at.elapsed() > Duration::from_secs(10)) {
                            log::warn!("{peer} sends faster than its rate limit (--rate): slowed down");
                            warned_rate = Some(Instant::now());
                        }
                        tokio::time::sleep(wait).await;
                    }
                }
                counts.received.fetch_add(1, Ordering::Relaxed);
                let incoming = Incoming {
                    peer: peer.clone(),
                    stream: stream.clone(),
                    seq,
                    record,
                    reply: control.clone(),
                    floor: None,
                };
                if endpoint.inbox.send(Inbound::Record(incoming)).await.is_err() {
                    return Ended::Stopped;
                }
            }
            Frame::Ack { stream, seq } => {
                if *stream != *endpoint.lane.stream {
                    log::debug!("{peer}: an ack for stream {stream}, not ours ({})", endpoint.lane.stream);
                    continue;
                }
                if let Err((seen, last)) = endpoint.spool.ack(&endpoint.lane.lane, &stream, seq) {
                    return Ended::Conflict(LinkError::StreamConflict {
                        peer: peer.to_string(),
                        stream: stream.clone(),
                        seen,
                        last,
                    });
                }
                if !resumed {
                    resumed = true;
                    let _ = control.send(Control::Resume(seq));
                }
            }
            Frame::Acks { .. } => {
                log::debug!("{peer}: shared-mode acks in a session: ignored");
            }
            Frame::Refused { seq, code, message } => {
                log::warn!("{peer} refused record {seq}: {message} ({code})");
                report_refused(peer, endpoint, seq, &code, &message);
            }
            Frame::Ping => {
                let _ = control.send(Control::Pong);
            }
            Frame::Pong => {}
            Frame::Bye { code, message } => return Ended::PeerBye { code, message },
        }
    }
}

async fn write_loop<W: FrameWriter>(
    writer: &mut W,
    controls: &mut mpsc::UnboundedReceiver<Control>,
    endpoint: &Endpoint,
    options: SessionOptions,
    mut stop: watch::Receiver<bool>,
    counts: &Counts,
) -> Result<(), String> {
    let io = |e: TransportError| e.to_string();
    let hello = Frame::Hello { v: PROTOCOL_VERSION, stream: endpoint.lane.stream.to_string() };
    writer.write_frame(&hello.to_line()).await.map_err(io)?;
    writer.flush().await.map_err(io)?;
    let ping_every = (options.idle / 3).max(Duration::from_millis(50));
    let mut last_write = Instant::now();
    let mut cursor: Option<u64> = None;
    let mut added = endpoint.lane.added.clone();
    let mut sending = endpoint.sending.clone();
    let mut watch_added = true;
    let mut watch_sending = sending.is_some();
    let lane = endpoint.lane.lane.as_str();
    let mut pending: Option<Control> = None;
    loop {
        let mut wrote = false;
        // Controls first (acks free the peer's spool), then data.
        loop {
            let next = match pending.take() {
                Some(control) => control,
                None => match controls.try_recv() {
                    Ok(control) => control,
                    Err(_) => break,
                },
            };
            let line = match next {
                Control::Ack { stream, seq } => Frame::Ack { stream: stream.to_string(), seq }.to_line(),
                Control::AckEach { stream, seqs } => {
                    Frame::Acks { stream: stream.to_string(), seqs }.to_line()
                }
                Control::Refused { seq, code, message } => Frame::Refused { seq, code, message }.to_line(),
                Control::Pong => Frame::Pong.to_line(),
                Control::Resume(seq) => {
                    let before_first = endpoint.spool.first_pending(lane).map(|first| first - 1);
                    cursor = Some(before_first.map_or(seq, |b| b.max(seq)));
                    continue;
                }
                Control::Bye { code, message } => {
                    writer.write_frame(&Frame::Bye { code, message }.to_line()).await.map_err(io)?;
                    return writer.close().await.map_err(io);
                }
            };
            writer.write_frame(&line).await.map_err(io)?;
            wrote = true;
        }
        let may_send = sending.as_ref().is_none_or(|s| *s.borrow());
        if let (Some(at), true) = (cursor.as_mut(), may_send) {
            let mut batch = 0;
            loop {
                let entries = endpoint.spool.fetch(lane, *at, 256);
                if entries.is_empty() {
                    break;
                }
                for entry in &entries {
                    writer
                        .write_frame(&super::frame::Frame::data_line(entry.seq, &entry.record))
                        .await
                        .map_err(io)?;
                    *at = entry.seq;
                }
                counts.sent.fetch_add(entries.len() as u64, Ordering::Relaxed);
                wrote = true;
                batch += entries.len();
                if batch >= 4096 {
                    break; // let acks through
                }
            }
        }
        if wrote {
            writer.flush().await.map_err(io)?;
            last_write = Instant::now();
            if cursor.is_some() && may_send && !endpoint.spool.fetch(lane, cursor.unwrap_or(0), 1).is_empty()
            {
                continue;
            }
        }
        let ping_at = tokio::time::Instant::from_std(last_write + ping_every);
        tokio::select! {
            biased;
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    // Acks and refusals already owed go out before the bye: records this side
                    // has written must not wait in the peer's outbox while it is away.
                    while let Some(control) = pending.take().or_else(|| controls.try_recv().ok()) {
                        let line = match control {
                            Control::Ack { stream, seq } => Frame::Ack { stream: stream.to_string(), seq },
                            Control::AckEach { stream, seqs } => Frame::Acks { stream: stream.to_string(), seqs },
                            Control::Refused { seq, code, message } => Frame::Refused { seq, code, message },
                            Control::Pong | Control::Resume(_) | Control::Bye { .. } => continue,
                        };
                        writer.write_frame(&line.to_line()).await.map_err(io)?;
                    }
                    writer.write_frame(&Frame::Bye { code: "closing".into(), message: String::new() }.to_line()).await.map_err(io)?;
                    return writer.close().await.map_err(io);
                }
            }
            control = controls.recv() => match control {
                Some(control) => pending = Some(control),
                None => return Ok(()),
            },
            changed = added.changed(), if watch_added && cursor.is_some() => {
                if changed.is_err() { watch_added = false; }
            }
            changed = async { sending.as_mut().expect("watched only when present").changed().await }, if watch_sending => {
                if changed.is_err() { watch_sending = false; }
            }
            _ = tokio::time::sleep_until(ping_at) => {
                writer.write_frame(&Frame::Ping.to_line()).await.map_err(io)?;
                writer.flush().await.map_err(io)?;
                last_write = Instant::now();
            }
        }
    }
}

// The engine against a scripted peer over an in-memory byte stream, with the line framing the
// TLS transport uses (`LineReader`/`LineWriter`); the handshake itself is tested in link_tls.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::store::{Item, SpoolLimits};
    use crate::link::tls::{LineReader, LineWriter, Side};
    use serde_json::json;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf, WriteHalf};

    const PEER: &str = "meter-1";
    const LONG: Duration = Duration::from_secs(30);

    struct Peer {
        _dir: tempfile::TempDir,
        spool: Arc<Spool>,
        lane: LaneHandle,
        inbox: mpsc::Receiver<Inbound>,
        lines: Lines<BufReader<ReadHalf<DuplexStream>>>,
        out: WriteHalf<DuplexStream>,
        stop: watch::Sender<bool>,
        sending: Option<watch::Sender<bool>>,
        session: tokio::task::JoinHandle<Summary>,
    }

    struct Setup {
        records: u64,
        acked: u64,
        mark: u64,
        options: SessionOptions,
        sending: Option<bool>,
        /// Bytes the in-memory connection holds each way.
        buffer: usize,
    }

    impl Default for Setup {
        fn default() -> Self {
            Setup {
                records: 0,
                acked: 0,
                mark: 0,
                options: SessionOptions { idle: LONG, hello_timeout: LONG },
                sending: None,
                buffer: 256 * 1024,
            }
        }
    }

    fn record(n: u64) -> String {
        format!(r#"{{"kind":"t","v":1,"n":{n}}}"#)
    }

    /// A session of this side with `PEER`: `records` spooled for it (of which `acked` were
    /// acked in an earlier connection), and a mark of `mark` for its stream `p1`.
    fn start(setup: Setup) -> Peer {
        let dir = tempfile::tempdir().unwrap();
        let spool =
            Arc::new(Spool::open(&dir.path().join("spool.ndjson"), 1024, SpoolLimits::default()).unwrap());
        let lane = spool.lane(PEER).unwrap();
        let items = (1..=setup.records)
            .map(|n| Item { lane: PEER.into(), record: record(n), input_end: None, from: None })
            .collect();
        spool.push(items, true).unwrap();
        if setup.acked > 0 {
            spool.ack(PEER, &lane.stream, setup.acked).unwrap();
        }
        // As a listener or meter takes it: after what was spooled before (seen, not news).
        let lane = spool.lane(PEER).unwrap();
        let mut marks = Marks::open(&dir.path().join("marks.ndjson"), None).unwrap();
        if setup.mark > 0 {
            marks.note(PEER, "p1", setup.mark).unwrap();
            marks.persist().unwrap();
        }
        let (ours, theirs) = tokio::io::duplex(setup.buffer);
        let (our_read, our_write) = tokio::io::split(ours);
        let (their_read, their_write) = tokio::io::split(theirs);
        let (inbox_tx, inbox) = mpsc::channel(16);
        let (stop, stop_rx) = watch::channel(false);
        let (sending, sending_rx) = match setup.sending {
            Some(on) => {
                let (tx, rx) = watch::channel(on);
                (Some(tx), Some(rx))
            }
            None => (None, None),
        };
        let endpoint = Endpoint {
            spool: spool.clone(),
            lane: lane.clone(),
            marks: Arc::new(Mutex::new(marks)),
            inbox: inbox_tx,
            sending: sending_rx,
            bucket: None,
        };
        let peer = Arc::new(Identity { name: PEER.into(), account: None });
        let session = tokio::spawn(run(
            LineReader::new(our_read, 4096, Side::Operator),
            LineWriter::new(our_write, Side::Operator),
            peer,
            endpoint,
            setup.options,
            stop_rx,
        ));
        Peer {
            _dir: dir,
            spool,
            lane,
            inbox,
            lines: BufReader::new(their_read).lines(),
            out: their_write,
            stop,
            sending,
            session,
        }
    }

    impl Peer {
        async fn send(&mut self, line: &str) {
            self.out.write_all(format!("{line}\n").as_bytes()).await.unwrap();
            self.out.flush().await.unwrap();
        }

        /// The next frame this side sends (pings skipped unless `pings`).
        async fn next_frame(&mut self, pings: bool) -> Option<Frame> {
            loop {
                let line = tokio::time::timeout(Duration::from_secs(10), self.lines.next_line())
                    .await
                    .expect("a frame within 10 s")
                    .unwrap()?;
                let frame = Frame::parse(&line).unwrap();
                if pings || frame != Frame::Ping {
                    return Some(frame);
                }
            }
        }

        async fn recv(&mut self) -> Frame {
            self.next_frame(false).await.expect("a frame, not the end")
        }

        /// Says hello as stream `p1` and checks this side's hello and resume ack.
        async fn hello(&mut self, resume: u64) {
            assert_eq!(self.recv().await, Frame::Hello { v: 1, stream: self.lane.stream.to_string() });
            self.send(r#"{"link":"hello","v":1,"stream":"p1"}"#).await;
            assert_eq!(self.recv().await, Frame::Ack { stream: "p1".into(), seq: resume });
        }

        async fn ack(&mut self, seq: u64) {
            let line = Frame::Ack { stream: self.lane.stream.to_string(), seq }.to_line();
            self.send(&line).await;
        }

        async fn data_seqs(&mut self, count: usize) -> Vec<u64> {
            let mut seqs = Vec::new();
            while seqs.len() < count {
                match self.recv().await {
                    Frame::Data { seq, record: sent } => {
                        assert_eq!(sent.to_string(), record(seq));
                        seqs.push(seq);
                    }
                    other => panic!("expected data, got {other:?}"),
                }
            }
            seqs
        }

        /// How the session ended, and the bye it said (if any).
        async fn end(mut self) -> (Summary, Option<Frame>) {
            let mut bye = None;
            while let Some(frame) = self.next_frame(false).await {
                if matches!(frame, Frame::Bye { .. }) {
                    bye = Some(frame);
                }
            }
            let summary = tokio::time::timeout(Duration::from_secs(10), self.session).await.unwrap().unwrap();
            (summary, bye)
        }
    }

    fn bye(code: &str) -> Option<Frame> {
        Some(Frame::Bye { code: code.into(), message: String::new() })
    }

    #[tokio::test]
    async fn records_flow_both_ways_with_acks_and_the_session_ends_on_the_peers_bye() {
        let mut peer = start(Setup { records: 3, ..Setup::default() });
        peer.hello(0).await;
        // The peer has record 1: the rest follows, in order.
        peer.ack(1).await;
        assert_eq!(peer.data_seqs(2).await, [2, 3]);
        // The peer's records go to the delivery, which acks through the session.
        peer.send(r#"{"link":"data","seq":1,"record":{"kind":"reading","v":1}}"#).await;
        let Some(Inbound::Record(incoming)) = peer.inbox.recv().await else { panic!("a record") };
        assert_eq!((&*incoming.peer.name, &*incoming.stream, incoming.seq), (PEER, "p1", 1));
        assert_eq!((incoming.record.clone(), incoming.floor), (json!({"kind": "reading", "v": 1}), None));
        incoming.reply.send(Control::Ack { stream: incoming.stream.clone(), seq: 1 }).unwrap();
        assert_eq!(peer.recv().await, Frame::Ack { stream: "p1".into(), seq: 1 });
        incoming.reply.send(Control::Refused { seq: 2, code: "c".into(), message: "m".into() }).unwrap();
        assert_eq!(peer.recv().await, Frame::Refused { seq: 2, code: "c".into(), message: "m".into() });
        peer.send(r#"{"link":"ping"}"#).await;
        assert_eq!(peer.next_frame(true).await, Some(Frame::Pong));
        // An ack frees the spool; a record added later is sent at once.
        peer.ack(3).await;
        peer.send(r#"{"link":"pong"}"#).await;
        peer.send("").await;
        peer.send(r#"{"link":"acks","stream":"x","seqs":[1]}"#).await;
        peer.spool
            .push(vec![Item { lane: PEER.into(), record: record(4), input_end: None, from: None }], true)
            .unwrap();
        assert_eq!(peer.data_seqs(1).await, [4]);
        assert_eq!(peer.spool.pending(PEER), 1);
        assert_eq!(peer.spool.first_pending(PEER), Some(4));
        peer.send(r#"{"link":"bye","code":"closing","message":"done"}"#).await;
        let (summary, said) = peer.end().await;
        assert!(
            matches!(&summary.ended, Ended::PeerBye { code, message } if code == "closing" && message == "done"),
            "{}",
            summary.ended
        );
        assert_eq!((summary.established, summary.received, summary.sent), (true, 1, 3));
        assert_eq!(said, bye("closing"));
    }

    #[tokio::test]
    async fn a_session_resumes_at_the_marks_and_after_what_the_spool_knows_is_acked() {
        // Records 1–2 were acked in an earlier connection; the peer (restarted from a backup)
        // says it has none: 3 and on are sent, not the acked ones.
        let mut peer = start(Setup { records: 5, acked: 2, mark: 7, ..Setup::default() });
        peer.hello(7).await;
        peer.ack(0).await;
        assert_eq!(peer.data_seqs(3).await, [3, 4, 5]);
        // A peer that has more than the spool: from where it says.
        let mut peer = start(Setup { records: 5, acked: 1, ..Setup::default() });
        peer.hello(0).await;
        peer.ack(3).await;
        assert_eq!(peer.data_seqs(2).await, [4, 5]);
        // Only the first ack sets the resume point; later ones only free the spool.
        peer.ack(4).await;
        peer.send(r#"{"link":"ping"}"#).await;
        assert_eq!(peer.next_frame(true).await, Some(Frame::Pong));
        assert_eq!(peer.spool.first_pending(PEER), Some(5));
    }

    #[tokio::test]
    async fn an_ack_for_another_stream_is_ignored_and_one_beyond_the_spool_is_a_conflict() {
        let mut peer = start(Setup { records: 2, ..Setup::default() });
        peer.hello(0).await;
        peer.send(r#"{"link":"ack","stream":"not-ours","seq":99}"#).await;
        peer.ack(0).await;
        assert_eq!(peer.data_seqs(2).await, [1, 2]);
        peer.ack(5).await;
        let (summary, said) = peer.end().await;
        assert!(matches!(summary.ended, Ended::Conflict(_)), "{}", summary.ended);
        assert!(matches!(said, Some(Frame::Bye { code, .. }) if code == "stream_conflict"));
    }

    #[tokio::test]
    async fn a_misbehaving_peer_is_cut_with_a_reason_it_is_told() {
        let cases: [(&[&[u8]], &str); 6] = [
            (&[b"{\"link\":\"data\",\"seq\":1,\"record\":{}}\n"], "protocol"),
            (&[b"{\"link\":\"hello\",\"v\":2,\"stream\":\"p1\"}\n"], "version"),
            (
                &[
                    b"{\"link\":\"hello\",\"v\":1,\"stream\":\"p1\"}\n",
                    b"{\"link\":\"hello\",\"v\":1,\"stream\":\"p2\"}\n",
                ],
                "protocol",
            ),
            (&[b"{\"link\"\n"], "protocol"),
            (&[b"\xff\xfe\n"], "protocol"),
            (&[&[b'x'; 5000]], "line_too_long"),
        ];
        for (lines, code) in cases {
            let mut peer = start(Setup::default());
            for line in lines {
                peer.out.write_all(line).await.unwrap();
            }
            peer.out.flush().await.unwrap();
            let (summary, said) = peer.end().await;
            match &summary.ended {
                Ended::Cut { code: cut, .. } => assert_eq!(*cut, code, "{}", summary.ended),
                other => panic!("{code}: {other}"),
            }
            assert!(matches!(said, Some(Frame::Bye { code: told, .. }) if told == code), "{code}");
        }
    }

    #[tokio::test]
    async fn silence_is_cut_before_and_after_hello_and_a_quiet_link_is_pinged() {
        let quick =
            SessionOptions { idle: Duration::from_millis(1200), hello_timeout: Duration::from_millis(400) };
        let peer = start(Setup { options: quick, ..Setup::default() });
        let (summary, said) = peer.end().await;
        assert!(matches!(summary.ended, Ended::Cut { code: "hello_timeout", .. }), "{}", summary.ended);
        assert!(!summary.established);
        assert!(matches!(said, Some(Frame::Bye { code, .. }) if code == "hello_timeout"));

        let mut peer = start(Setup { options: quick, ..Setup::default() });
        peer.hello(0).await;
        // This side pings every third of the idle time; the peer stays silent and is cut.
        assert_eq!(peer.next_frame(true).await, Some(Frame::Ping));
        let (summary, said) = peer.end().await;
        assert!(matches!(summary.ended, Ended::Cut { code: "idle_timeout", .. }), "{}", summary.ended);
        assert!(summary.established);
        assert!(matches!(said, Some(Frame::Bye { code, .. }) if code == "idle_timeout"));
    }

    #[tokio::test]
    async fn a_stop_sends_the_acks_owed_then_bye_and_a_lost_peer_is_lost() {
        let mut peer = start(Setup::default());
        peer.hello(0).await;
        peer.send(r#"{"link":"data","seq":1,"record":{"kind":"reading","v":1}}"#).await;
        let Some(Inbound::Record(incoming)) = peer.inbox.recv().await else { panic!("a record") };
        incoming.reply.send(Control::Ack { stream: incoming.stream.clone(), seq: 1 }).unwrap();
        peer.stop.send(true).unwrap();
        assert_eq!(peer.recv().await, Frame::Ack { stream: "p1".into(), seq: 1 });
        let (summary, said) = peer.end().await;
        assert!(matches!(summary.ended, Ended::Stopped), "{}", summary.ended);
        assert_eq!(said, bye("closing"));

        let mut peer = start(Setup::default());
        peer.hello(0).await;
        peer.out.shutdown().await.unwrap();
        let (summary, _) = peer.end().await;
        assert!(matches!(summary.ended, Ended::Lost(_)), "{}", summary.ended);

        // A delivery that went away ends the session.
        let mut peer = start(Setup::default());
        peer.hello(0).await;
        peer.inbox.close();
        peer.send(r#"{"link":"data","seq":1,"record":{"kind":"reading","v":1}}"#).await;
        let (summary, said) = peer.end().await;
        assert!(matches!(summary.ended, Ended::Stopped), "{}", summary.ended);
        assert_eq!(said, bye("closing"));
    }

    #[tokio::test]
    async fn records_wait_while_this_connection_is_not_the_one_that_sends() {
        let mut peer = start(Setup { records: 2, sending: Some(false), ..Setup::default() });
        peer.hello(0).await;
        peer.ack(0).await;
        peer.send(r#"{"link":"ping"}"#).await;
        assert_eq!(peer.next_frame(true).await, Some(Frame::Pong), "no data before the pong");
        peer.sending.as_ref().unwrap().send(true).unwrap();
        assert_eq!(peer.data_seqs(2).await, [1, 2]);
    }

    #[tokio::test]
    async fn a_long_backlog_lets_a_reply_through_every_4096_records_and_then_goes_on() {
        // A connection that holds a few frames: the writer waits on the peer while it sends.
        let mut peer = start(Setup { records: 5000, buffer: 4096, ..Setup::default() });
        peer.hello(0).await;
        peer.ack(0).await;
        assert_eq!(peer.data_seqs(1).await, [1]);
        peer.send(r#"{"link":"ping"}"#).await;
        let mut before_pong = 1;
        loop {
            match peer.next_frame(true).await.unwrap() {
                Frame::Data { .. } => before_pong += 1,
                Frame::Pong => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(before_pong, 4096, "the reply waits for the batch, not for the whole backlog");
        // The rest follows without anything new being spooled.
        assert_eq!(peer.data_seqs(904).await, (4097..=5000).collect::<Vec<u64>>());

        // Past a batch the next one follows at once, with no reply or record to wake the writer
        // (its next chance would be the ping, a third of the idle time away).
        let mut peer = start(Setup { records: 5000, buffer: 4096, ..Setup::default() });
        peer.hello(0).await;
        peer.ack(0).await;
        let all = tokio::time::timeout(Duration::from_secs(5), peer.data_seqs(5000)).await;
        assert_eq!(all.expect("the whole backlog without a pause"), (1..=5000).collect::<Vec<u64>>());
    }

    #[test]
    fn how_a_session_ended_reads_plainly() {
        let cases = [
            (Ended::Stopped, "closed by us"),
            (
                Ended::PeerBye { code: "closing".into(), message: String::new() },
                "closed by the peer (closing)",
            ),
            (
                Ended::PeerBye { code: "idle".into(), message: "bored".into() },
                "closed by the peer: bored (idle)",
            ),
            (
                Ended::Cut { code: "protocol", message: "a second hello".into() },
                "cut: a second hello (protocol)",
            ),
            (Ended::Lost("reset".into()), "lost: reset"),
        ];
        for (ended, text) in cases {
            assert_eq!(ended.to_string(), text);
        }
    }
}
