//! Fleet mode: the link carried over an MQTT 5 broker (`mqtts://HOST[:PORT]`) instead of one
//! TCP connection per meter, so an operator with many meters runs on a broker that clusters
//! and authenticates devices by client certificate.
//!
//! **Topics and identity.** A meter publishes its frames to `evlock/meters/ID/up` and reads
//! `evlock/meters/ID/down`, where `ID` is its certificate's name; the operator subscribes to
//! `evlock/meters/+/up` and takes the peer's name from the topic, which the broker's ACL ties
//! to the certificate (mosquitto: `use_identity_as_username` and `pattern write
//! evlock/meters/%u/up`). Every frame is one QoS 1 message; clients keep persistent sessions
//! (clean start off, a session expiry) so the broker queues what arrives while one is away.
//!
//! **Sessions over a broker.** The link's [session](super::session) is the same as over TLS;
//! what a TCP connection gives for free is made here:
//!
//! - A meter starts a session with `hello` whenever it is (re)connected to the broker; the
//!   operator starts (or restarts) that meter's session on each `hello` from it and answers
//!   with its own. Frames before the peer's `hello` are left over from an older session and
//!   are skipped (everything they carried is sent again after the resume point).
//! - Data from a meter without a session (the operator restarted) is answered once with `bye`
//!   (`resume`): the meter starts a new session.
//! - A lost broker connection ends every session of that client, and a data frame whose
//!   number skips one (a broker dropped a message: a restart without persistence, a full
//!   queue) ends the session too, so the next one resumes at the receiver's high-water mark.
//!   The link's own sequence numbers and marks then make delivery exactly once, in order,
//!   whatever the broker redelivers or loses.
//!
//! **Shared mode** (`listen --share GROUP`, `connect --shared`). Several operator processes
//! subscribe to `$share/GROUP/evlock/meters/+/up`; mosquitto deals the messages out one at a
//! time, so one meter's records are split between them and none sees the whole stream. There
//! are no sessions then: each data frame also carries the meter's stream and its *floor*
//! (every record below it is acknowledged), and each operator takes any record on its own:
//! it drops one below the floor or one it wrote before (its marks keep the floor and the
//! records above it), writes the rest, and acknowledges each record it took with an `acks`
//! frame on the meter's down topic. What an operator remembers of a meter is bounded
//! whatever the meter sends: a record [`super::store::EACH_SPAN`] or more above its floor is
//! left unacknowledged to come again later (an honest meter sends none), and past
//! [`super::store::STREAMS_PER_PEER`] streams of one meter the least recently used is
//! forgotten. The meter drops exactly those from its spool (the acks
//! are written there too, so a restart does not send them again), keeps at most
//! [`SHARED_WINDOW`] records out, and sends a record again when no operator acknowledged it
//! within `--resend-after`; each copy expires at the broker after that long (MQTT 5 message
//! expiry), so a late copy never reaches an operator. Operators keep no persistent session:
//! one that is gone leaves the group at once.
//!
//! What holds: while every operator acknowledges within `--resend-after`, each record is
//! written exactly once across the group (a broker's redelivery goes to the operator that
//! had the message, which drops it). Order per meter is not kept across operators (within
//! one operator's output, a meter's records may also come out of order after a resend). An
//! operator killed (or stalled beyond `--resend-after`) loses nothing: what it was dealt and
//! had not acknowledged is sent again and taken by another; but a record it had written and
//! not yet acknowledged (its current batch) is then written by that other one too, so
//! across a crash the group is at-least-once. A broker that loses acknowledgements (killed
//! without saving) has the same effect. Nothing goes from the operators to the meters in
//! this mode but acks and refusals.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Packet, PubAckReason, PublishProperties, SubscribeReasonCode};
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
use rumqttc::{TlsConfiguration, Transport};
use rustls::ClientConfig;
use serde_json::Value;
use tokio::sync::{mpsc, watch};

use super::LinkError;
use super::frame::{FRAME_OVERHEAD, Frame};
use super::transport::{FrameReader, FrameWriter, TransportError};
use crate::pki::Identity;

/// The topic prefix.
pub const PREFIX: &str = "evlock/meters";
/// How long the broker keeps a client's session (subscriptions, queued messages) while it is
/// away: a week.
pub const SESSION_EXPIRY_SECS: u32 = 7 * 24 * 3600;
/// The name a meter gives the operator (its marks are kept under it).
pub const OPERATOR: &str = "operator";

/// A broker address, `mqtts://HOST[:PORT]` (port 8883 by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broker {
    /// The host (a DNS name or an IP address the broker's certificate names).
    pub host: String,
    /// The port.
    pub port: u16,
}

impl Broker {
    /// `Some` for an `mqtts://` or `mqtt://` URL (the latter is refused: the link is TLS
    /// only), `None` for anything else (a `HOST:PORT` of the direct link).
    pub fn parse(text: &str) -> Result<Option<Broker>, LinkError> {
        if text.starts_with("mqtt://") {
            return Err(LinkError::BadOption(format!(
                "{text}: plain MQTT is not offered; use mqtts:// (TLS with client certificates)"
            )));
        }
        let Some(rest) = text.strip_prefix("mqtts://") else { return Ok(None) };
        let rest = rest.trim_end_matches('/');
        let bad = || LinkError::BadOption(format!("{text}: write mqtts://HOST[:PORT]"));
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(':') => (host, port.parse::<u16>().map_err(|_| bad())?),
            _ => (rest, 8883),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains('/') {
            return Err(bad());
        }
        Ok(Some(Broker { host: host.to_string(), port }))
    }
}

impl std::fmt::Display for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "mqtts://{}:{}", self.host, self.port)
    }
}

/// The topic a meter publishes to.
pub fn up_topic(meter: &str) -> String {
    format!("{PREFIX}/{meter}/up")
}

/// The topic a meter reads.
pub fn down_topic(meter: &str) -> String {
    format!("{PREFIX}/{meter}/down")
}

/// The meter an `…/ID/up` topic belongs to.
pub fn meter_of(topic: &str) -> Option<&str> {
    let id = topic.strip_prefix(PREFIX)?.strip_prefix('/')?.strip_suffix("/up")?;
    (!id.is_empty() && !id.contains('/') && crate::pki::valid_name(id)).then_some(id)
}

/// One side's broker settings.
#[derive(Clone)]
pub struct BrokerLink {
    /// The broker.
    pub broker: Broker,
    /// The TLS configuration: the CA the broker's certificate chains to, this side's
    /// certificate and key.
    pub tls: Arc<ClientConfig>,
    /// This side's identity (its certificate's): the client id, and a meter's topics.
    pub identity: Identity,
    /// Operator: shared mode in this group (`$share/GROUP/evlock/meters/+/up`).
    pub share: Option<String>,
    /// Meter: shared mode, re-sending a record not acknowledged within this long.
    pub resend_after: Option<Duration>,
}

/// The state of one broker connection: a number that grows at each connect and at each
/// loss, and whether it is up.
type Epoch = watch::Receiver<(u64, bool)>;

/// A connected MQTT client: the handle to publish with and the connection's epoch.
struct Client {
    client: AsyncClient,
    epoch: Epoch,
}

fn options(link: &BrokerLink, client_id: &str, max_frame: usize, keep_alive: Duration) -> MqttOptions {
    let mut options = MqttOptions::new(client_id, link.broker.host.clone(), link.broker.port);
    // rustls offers the link's ALPN; a broker speaks MQTT, so none is offered here.
    let mut tls = (*link.tls).clone();
    tls.alpn_protocols.clear();
    options
        .set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(Arc::new(tls))))
        .set_clean_start(false)
        .set_session_expiry_interval(Some(SESSION_EXPIRY_SECS))
        .set_keep_alive(keep_alive.max(Duration::from_secs(5)))
        .set_max_packet_size(Some((max_frame + 1024) as u32))
        .set_connection_timeout(10);
    options
}

/// Starts a client and its event loop: incoming messages go to `on_message` (topic, payload),
/// subscriptions are (re)made at each connect, the epoch moves at each connect and loss.
fn start(
    options: MqttOptions,
    subscribe: Vec<String>,
    retry: (Duration, Duration),
    mut on_message: impl FnMut(&str, &[u8]) -> Option<tokio::task::JoinHandle<()>> + Send + 'static,
    mut stop: watch::Receiver<bool>,
    failures: mpsc::UnboundedSender<String>,
) -> (Client, tokio::task::JoinHandle<()>) {
    let (client, mut events) = AsyncClient::new(options, 1024);
    let (epoch_tx, epoch) = watch::channel((0u64, false));
    let subscriber = client.clone();
    let task = tokio::spawn(async move {
        let mut delay = retry.0;
        let mut counter = 0u64;
        loop {
            let event = tokio::select! {
                event = events.poll() => event,
                _ = stop.changed() => break,
            };
            match event {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                    counter += 1;
                    delay = retry.0;
                    log::info!(
                        "connected to the broker (session {})",
                        if ack.session_present { "resumed" } else { "new" }
                    );
                    for topic in &subscribe {
                        if let Err(e) = subscriber.try_subscribe(topic.clone(), QoS::AtLeastOnce) {
                            log::error!("cannot subscribe to {topic}: {e}");
                        }
                    }
                    epoch_tx.send_replace((counter, true));
                }
                Ok(Event::Incoming(Packet::Publish(publish))) => {
                    let topic = String::from_utf8_lossy(&publish.topic).into_owned();
                    if let Some(waiting) = on_message(&topic, &publish.payload) {
                        // A session's queue is full: wait for it (the broker holds the rest).
                        let _ = waiting.await;
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(ack))) => {
                    if ack.return_codes.iter().any(|c| !matches!(c, SubscribeReasonCode::Success(_))) {
                        let _ = failures
                            .send(format!("the broker refused a subscription: {:?}", ack.return_codes));
                    }
                }
                Ok(Event::Incoming(Packet::PubAck(ack))) => {
                    if !matches!(ack.reason, PubAckReason::Success | PubAckReason::NoMatchingSubscribers) {
                        log::warn!("the broker refused a message: {:?}", ack.reason);
                    }
                }
                Ok(Event::Incoming(Packet::Disconnect(disconnect))) => {
                    log::warn!("the broker closed the connection: {:?}", disconnect.reason_code);
                }
                Ok(_) => {}
                Err(error) => {
                    if epoch_tx.borrow().1 {
                        counter += 1;
                        epoch_tx.send_replace((counter, false));
                    }
                    let why = format!("the broker: {error}");
                    log::warn!("{why}");
                    let _ = failures.send(why);
                    let pause = super::connect::jitter(delay);
                    delay = (delay * 2).min(retry.1);
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => {}
                        _ = stop.changed() => break,
                    }
                }
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), subscriber.disconnect()).await;
        // Flush the disconnect out.
        let _ = tokio::time::timeout(Duration::from_millis(300), events.poll()).await;
        epoch_tx.send_replace((counter + 1, false));
    });
    (Client { client, epoch }, task)
}

/// Waits until the client is connected; its epoch then, or `None` once stopped.
async fn connected(epoch: &mut Epoch, stop: &mut watch::Receiver<bool>) -> Option<u64> {
    loop {
        if *stop.borrow() {
            return None;
        }
        let (number, up) = *epoch.borrow_and_update();
        if up {
            return Some(number);
        }
        tokio::select! {
            changed = epoch.changed() => if changed.is_err() { return None },
            _ = stop.changed() => {}
        }
    }
}

/// The reading half of a session over the broker: frames from a channel, ended by a lost
/// connection, a skipped record number or the channel's close.
pub struct TopicReader {
    frames: Arc<tokio::sync::Mutex<mpsc::Receiver<String>>>,
    epoch: Epoch,
    at: u64,
    seen_hello: bool,
    last: u64,
    resume: Arc<AtomicU64>,
    /// A meter skips the operator's `hello`s after the first (answers to its own older ones).
    skip_more_hellos: bool,
}

/// The writing half: one QoS 1 message per frame on the peer's topic.
pub struct TopicWriter {
    client: AsyncClient,
    topic: String,
    epoch: Epoch,
    at: u64,
    resume: Arc<AtomicU64>,
    acked: bool,
}

fn lost(epoch: &Epoch, at: u64) -> bool {
    let (number, up) = *epoch.borrow();
    number != at || !up
}

impl FrameReader for TopicReader {
    async fn read_frame(&mut self) -> Result<Option<String>, TransportError> {
        let frames = self.frames.clone();
        let mut frames = frames.lock().await;
        loop {
            if lost(&self.epoch, self.at) {
                return Err(TransportError::Io("the connection to the broker was lost".into()));
            }
            let text = tokio::select! {
                text = frames.recv() => match text {
                    Some(text) => text,
                    None => return Ok(None),
                },
                _ = self.epoch.changed() => continue,
            };
            let value: Value = match serde_json::from_str(&text) {
                Ok(value) => value,
                // The session reports it.
                Err(_) => return Ok(Some(text)),
            };
            match value.get("link").and_then(Value::as_str) {
                Some("hello") if !self.seen_hello => self.seen_hello = true,
                Some("hello") if self.skip_more_hellos => continue,
                _ if !self.seen_hello => continue,
                Some("data") => {
                    let seq = value.get("seq").and_then(Value::as_u64).unwrap_or(0);
                    let floor = self.last.max(self.resume.load(Ordering::SeqCst));
                    if seq > floor + 1 {
                        return Err(TransportError::Io(format!(
                            "record {seq} arrived after {floor}: the broker lost messages; resuming"
                        )));
                    }
                    self.last = self.last.max(seq);
                }
                _ => {}
            }
            return Ok(Some(text));
        }
    }
}

impl FrameWriter for TopicWriter {
    async fn write_frame(&mut self, frame: &str) -> Result<(), TransportError> {
        if lost(&self.epoch, self.at) {
            return Err(TransportError::Io("the connection to the broker was lost".into()));
        }
        if !self.acked && frame.starts_with("{\"link\":\"ack\"") {
            // The first ack is the resume point: the peer's data starts right after it.
            if let Ok(Frame::Ack { seq, .. }) = Frame::parse(frame) {
                self.resume.store(seq, Ordering::SeqCst);
                self.acked = true;
            }
        }
        self.client
            .publish(self.topic.clone(), QoS::AtLeastOnce, false, frame.as_bytes().to_vec())
            .await
            .map_err(|e| TransportError::Io(format!("cannot publish: {e}")))
    }

    async fn flush(&mut self) -> Result<(), TransportError> {
        Ok(())
    }

    async fn close(&mut self) -> Result<(), TransportError> {
        Ok(())
    }
}

fn halves(
    client: &Client,
    at: u64,
    frames: Arc<tokio::sync::Mutex<mpsc::Receiver<String>>>,
    topic: String,
    meter: bool,
) -> (TopicReader, TopicWriter) {
    let resume = Arc::new(AtomicU64::new(0));
    (
        TopicReader {
            frames,
            epoch: client.epoch.clone(),
            at,
            seen_hello: false,
            last: 0,
            resume: resume.clone(),
            skip_more_hellos: meter,
        },
        TopicWriter {
            client: client.client.clone(),
            topic,
            epoch: client.epoch.clone(),
            at,
            resume,
            acked: false,
        },
    )
}

/// What a meter's side needs beyond [`super::connect`]'s own context.
pub(super) struct MeterContext {
    pub link: BrokerLink,
    pub limits: super::limits::Limits,
    pub give_up_after: Option<Duration>,
    pub retry: (Duration, Duration),
    pub spool: Arc<super::store::Spool>,
    pub lane: super::store::LaneHandle,
    pub marks: Arc<Mutex<super::store::Marks>>,
    pub inbox: mpsc::Sender<super::session::Inbound>,
    pub stop: watch::Receiver<bool>,
}

/// A meter's broker client subscribed to its own down topic: the operator's frames arrive on
/// the returned receiver (a full queue makes the broker's delivery wait rather than drop), the
/// client's failures on the other.
fn start_meter_client(
    context: &MeterContext,
    name: &str,
) -> (Client, tokio::task::JoinHandle<()>, mpsc::Receiver<String>, mpsc::UnboundedReceiver<String>) {
    let max_frame = context.limits.max_record + FRAME_OVERHEAD;
    let (frames_tx, frames_rx) = mpsc::channel::<String>(4096);
    let (failures_tx, failures) = mpsc::unbounded_channel();
    let mut options = options(&context.link, name, max_frame, context.limits.idle_timeout / 3);
    options.set_outgoing_inflight_upper_limit(256);
    let down = down_topic(name);
    let (client, events) = start(
        options,
        vec![down.clone()],
        context.retry,
        move |topic, payload| {
            if topic != down {
                return None;
            }
            let text = String::from_utf8_lossy(payload).into_owned();
            match frames_tx.try_send(text) {
                Ok(()) => None,
                Err(mpsc::error::TrySendError::Full(text)) => {
                    let frames_tx = frames_tx.clone();
                    Some(tokio::spawn(async move {
                        let _ = frames_tx.send(text).await;
                    }))
                }
                Err(mpsc::error::TrySendError::Closed(_)) => None,
            }
        },
        context.stop.clone(),
        failures_tx,
    );
    (client, events, frames_rx, failures)
}

/// A meter's side: one broker client, a session per connection (and after each break).
pub(super) async fn meter_loop(mut context: MeterContext) -> Result<(), LinkError> {
    let name = context.link.identity.name.clone();
    let (client, events, frames_rx, mut failures) = start_meter_client(&context, &name);
    let frames = Arc::new(tokio::sync::Mutex::new(frames_rx));
    let operator = Arc::new(Identity { name: OPERATOR.into(), account: None });
    let up = up_topic(&name);
    let mut since = Instant::now();
    let mut epoch = client.epoch.clone();
    let result = loop {
        let waited = async {
            let mut stop = context.stop.clone();
            connected(&mut epoch, &mut stop).await
        };
        let at = match context.give_up_after {
            None => waited.await,
            Some(limit) => {
                let left = limit.saturating_sub(since.elapsed());
                match tokio::time::timeout(left, waited).await {
                    Ok(at) => at,
                    Err(_) => {
                        let mut last = String::from("no connection to the broker");
                        while let Ok(why) = failures.try_recv() {
                            last = why;
                        }
                        break Err(LinkError::GaveUp { after: limit, last });
                    }
                }
            }
        };
        let Some(at) = at else { break Ok(()) };
        let (reader, writer) = halves(&client, at, frames.clone(), up.clone(), true);
        let endpoint = super::session::Endpoint {
            spool: context.spool.clone(),
            lane: context.lane.clone(),
            marks: context.marks.clone(),
            inbox: context.inbox.clone(),
            sending: None,
            bucket: None,
        };
        let session_options = super::session::SessionOptions {
            idle: context.limits.idle_timeout,
            hello_timeout: context.limits.handshake_timeout,
        };
        let summary = super::session::run(
            reader,
            writer,
            operator.clone(),
            endpoint,
            session_options,
            context.stop.clone(),
        )
        .await;
        if summary.established {
            since = Instant::now();
        }
        log::info!(
            "session with the operator through {} ended: {} ({} records in, {} out)",
            context.link.broker,
            summary.ended,
            summary.received,
            summary.sent
        );
        match summary.ended {
            super::session::Ended::Stopped => break Ok(()),
            super::session::Ended::Conflict(error) => break Err(error),
            _ => {}
        }
        if let Some(limit) = context.give_up_after
            && since.elapsed() >= limit
        {
            break Err(LinkError::GaveUp { after: limit, last: "no session with the operator".into() });
        }
        tokio::select! {
            _ = tokio::time::sleep(super::connect::jitter(context.retry.0)) => {}
            _ = context.stop.changed() => {}
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), events).await;
    result
}

/// One meter's session on the operator's side.
struct MeterSession {
    frames: mpsc::Sender<String>,
}

/// What the operator's side does with each meter's session: the listener's own checks
/// (`--allow`), state (lane, book) and session start.
pub(super) trait Sessions: Send + Sync + 'static {
    /// Whether this meter may link (`--allow`).
    fn allowed(&self, peer: &Identity) -> bool;
    /// Runs a session for `peer` over the two halves until it ends.
    fn serve(
        self: Arc<Self>,
        peer: Identity,
        reader: TopicReader,
        writer: TopicWriter,
    ) -> impl std::future::Future<Output = ()> + Send;
}

/// The operator's side: one broker client subscribed to every meter's `up` topic, a session
/// per meter started by its `hello`.
pub(super) async fn operator_loop<S: Sessions>(
    link: BrokerLink,
    limits: super::limits::Limits,
    sessions: Arc<S>,
    stop: watch::Receiver<bool>,
) {
    let max_frame = limits.max_record + FRAME_OVERHEAD;
    // One operator process per broker: a shared subscription ($share/GROUP/…) splits one
    // meter's frames between processes (mosquitto deals them out one message at a time), and
    // a session needs all of them; shared mode does without sessions (see the module docs).
    let subscription = format!("{PREFIX}/+/up");
    let client_id = link.identity.name.clone();
    let (failures_tx, mut failures) = mpsc::unbounded_channel();
    let (pending_tx, mut pending) = mpsc::unbounded_channel::<(String, String)>();
    let mut options = options(&link, &client_id, max_frame, limits.idle_timeout / 3);
    // No persistent session: an operator that is gone must leave the group at once, or the
    // broker would go on dealing it messages to queue. What was dealt to it and not
    // acknowledged, the meters send again.
    options.set_clean_start(true).set_session_expiry_interval(None);
    let (client, events) = start(
        options,
        vec![subscription],
        (Duration::from_millis(250), Duration::from_secs(30)),
        move |topic, payload| {
            let _ = pending_tx.send((topic.to_string(), String::from_utf8_lossy(payload).into_owned()));
            None
        },
        stop.clone(),
        failures_tx,
    );
    tokio::spawn(async move {
        while let Some(why) = failures.recv().await {
            log::debug!("{why}")
        }
    });
    let mut live: HashMap<String, MeterSession> = HashMap::new();
    let mut asked: HashSet<String> = HashSet::new();
    let mut stop_watch = stop.clone();
    let mut at = 0u64;
    loop {
        let (topic, text) = tokio::select! {
            next = pending.recv() => match next { Some(next) => next, None => break },
            _ = stop_watch.changed() => break,
        };
        let (number, _) = *client.epoch.borrow();
        if number != at {
            // A new connection since the last message: every session starts again.
            live.clear();
            asked.clear();
            at = number;
        }
        let Some(meter) = meter_of(&topic) else {
            log::warn!("a message on {topic}, which is not a meter's up topic: ignored");
            continue;
        };
        let peer = Identity { name: meter.to_string(), account: None };
        let hello = text.starts_with("{\"link\":\"hello\"");
        if hello {
            if !sessions.allowed(&peer) {
                log::warn!("refused {peer}: not in --allow");
                let bye = Frame::Bye {
                    code: "not_allowed".into(),
                    message: format!("{peer} is not allowed on this link (--allow)"),
                };
                let _ = client
                    .client
                    .publish(down_topic(meter), QoS::AtLeastOnce, false, bye.to_line().into_bytes())
                    .await;
                continue;
            }
            asked.remove(meter);
            // A new hello: the meter started a new session; the old one ends.
            live.remove(meter);
            let (frames_tx, frames_rx) = mpsc::channel(4096);
            let (reader, writer) =
                halves(&client, at, Arc::new(tokio::sync::Mutex::new(frames_rx)), down_topic(meter), false);
            let _ = frames_tx.try_send(text);
            live.insert(meter.to_string(), MeterSession { frames: frames_tx });
            tokio::spawn(sessions.clone().serve(peer, reader, writer));
            continue;
        }
        let data = text.starts_with("{\"link\":\"data\"") || text.starts_with("{\"link\":\"ack\"");
        if let Some(session) = live.get(meter) {
            if session.frames.send(text).await.is_ok() {
                continue;
            }
            live.remove(meter);
        }
        if data && asked.insert(meter.to_string()) {
            log::info!("{peer} sends without a session (this side restarted): asking it to resume");
            let bye = Frame::Bye { code: "resume".into(), message: "no session: send hello".into() };
            let _ = client
                .client
                .publish(down_topic(meter), QoS::AtLeastOnce, false, bye.to_line().into_bytes())
                .await;
        }
    }
    drop(live);
    let _ = tokio::time::timeout(Duration::from_secs(2), events).await;
}

/// The client id of an operator in shared mode: its certificate's name and a random suffix
/// made once per state folder (`mqtt-client.ndjson`), so several operators with one
/// certificate do not take over each other's session and each finds its own again after a
/// restart.
pub fn shared_client_id(path: &std::path::Path, name: &str) -> Result<String, LinkError> {
    let (mut log, lines) = crate::wire::DurableLog::open::<Value>(path)?;
    if let Some(id) = lines.iter().find_map(|line| line.get("client_id").and_then(Value::as_str)) {
        return Ok(id.to_string());
    }
    let id = format!("{name}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    log.append(&serde_json::json!({ "client_id": id }))?;
    Ok(id)
}

/// How many of a meter's records may be out (published, not acknowledged) in shared mode:
/// it bounds what each operator remembers of the meter's stream above its floor.
pub const SHARED_WINDOW: usize = 1024;

/// Shared mode's `data` frame, as an operator reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedData {
    /// The meter's stream.
    pub stream: Arc<str>,
    /// Every record of the stream below this is acknowledged.
    pub floor: u64,
    /// The record's number.
    pub seq: u64,
    /// The record (a JSON object).
    pub record: Value,
}

/// What an operator in shared mode makes of a frame from a meter: its record, or `Err` with
/// the frame type when it is something else (`hello` and plain `data` come from a meter
/// not in shared mode). Public for the fuzz target of the link's framing.
pub fn shared_data(text: &str) -> Result<SharedData, String> {
    let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(text) else {
        return Err("not a JSON object".into());
    };
    let kind = map.get("link").and_then(Value::as_str).unwrap_or("").to_string();
    let stream = map.get("stream").and_then(Value::as_str).map(Arc::<str>::from);
    let floor = map.get("floor").and_then(Value::as_u64);
    let seq = map.get("seq").and_then(Value::as_u64);
    match (kind.as_str(), stream, floor, seq, map.remove("record")) {
        ("data", Some(stream), Some(floor), Some(seq), Some(record @ Value::Object(_))) => {
            Ok(SharedData { stream, floor, seq, record })
        }
        _ => Err(kind),
    }
}

/// Publishes what the delivery says about one meter's records (acks, refusals) on its down
/// topic, merging the acks that queued up into one frame.
async fn answer_meter(
    client: AsyncClient,
    topic: String,
    mut controls: mpsc::UnboundedReceiver<super::session::Control>,
) {
    use super::session::Control;
    while let Some(first) = controls.recv().await {
        let mut acks: Vec<(Arc<str>, Vec<u64>)> = Vec::new();
        let mut lines = Vec::new();
        let mut next = Some(first);
        while let Some(control) = next.take() {
            match control {
                Control::AckEach { stream, seqs } => match acks.iter_mut().find(|(s, _)| *s == stream) {
                    Some(ack) => ack.1.extend(seqs),
                    None => acks.push((stream, seqs)),
                },
                Control::Refused { seq, code, message } => {
                    lines.push(Frame::Refused { seq, code, message }.to_line())
                }
                _ => {}
            }
            if acks.iter().map(|a| a.1.len()).sum::<usize>() < SHARED_WINDOW {
                next = controls.try_recv().ok();
            }
        }
        // Refusals first: the meter reports them before the ack drops the records.
        lines.extend(
            acks.into_iter().map(|(stream, seqs)| Frame::Acks { stream: stream.to_string(), seqs }.to_line()),
        );
        for line in lines {
            if let Err(e) = client.publish(topic.clone(), QoS::AtLeastOnce, false, line.into_bytes()).await {
                log::warn!("cannot answer on {topic}: {e}");
                return;
            }
        }
    }
}

/// The operator's side in shared mode (`listen --from … --share GROUP`): one of several
/// operator processes on the shared subscription `$share/GROUP/evlock/meters/+/up`. The broker
/// deals each message to one of them, so each takes any record of any meter on its own: it
/// drops a record it wrote before or one below the meter's floor, writes the rest and
/// acknowledges each record it wrote (or dropped) on the meter's down topic. No sessions, no
/// order; nothing goes to the meters but acks and refusals.
pub(super) async fn shared_operator_loop(
    link: BrokerLink,
    client_id: String,
    limits: super::limits::Limits,
    allowed: impl Fn(&Identity) -> bool + Send + 'static,
    inbox: mpsc::Sender<super::session::Inbound>,
    stop: watch::Receiver<bool>,
) {
    let max_frame = limits.max_record + FRAME_OVERHEAD;
    let group = link.share.clone().expect("shared mode");
    let subscription = format!("$share/{group}/{PREFIX}/+/up");
    let (failures_tx, mut failures) = mpsc::unbounded_channel();
    let (pending_tx, mut pending) = mpsc::channel::<(String, String)>(4096);
    let mut options = options(&link, &client_id, max_frame, limits.idle_timeout / 3);
    // No persistent session: an operator that is gone must leave the group at once, or the
    // broker would go on dealing it messages to queue. What was dealt to it and not
    // acknowledged, the meters send again.
    options.set_clean_start(true).set_session_expiry_interval(None);
    let (client, events) = start(
        options,
        vec![subscription],
        (Duration::from_millis(250), Duration::from_secs(30)),
        move |topic, payload| {
            let message = (topic.to_string(), String::from_utf8_lossy(payload).into_owned());
            match pending_tx.try_send(message) {
                Ok(()) => None,
                Err(mpsc::error::TrySendError::Full(message)) => {
                    let pending_tx = pending_tx.clone();
                    Some(tokio::spawn(async move {
                        let _ = pending_tx.send(message).await;
                    }))
                }
                Err(mpsc::error::TrySendError::Closed(_)) => None,
            }
        },
        stop.clone(),
        failures_tx,
    );
    tokio::spawn(async move {
        while let Some(why) = failures.recv().await {
            log::debug!("{why}")
        }
    });
    log::info!("shared subscription in group {group} as client {client_id}");
    let mut meters: HashMap<String, (Arc<Identity>, super::session::Replies)> = HashMap::new();
    let mut told: HashSet<String> = HashSet::new();
    let mut stop_watch = stop.clone();
    loop {
        let (topic, text) = tokio::select! {
            next = pending.recv() => match next { Some(next) => next, None => break },
            _ = stop_watch.changed() => break,
        };
        let Some(meter) = meter_of(&topic) else {
            log::warn!("a message on {topic}, which is not a meter's up topic: ignored");
            continue;
        };
        let data = match shared_data(&text) {
            Ok(data) => data,
            Err(kind) => {
                if matches!(kind.as_str(), "hello" | "data") && told.insert(meter.to_string()) {
                    log::warn!("{meter} is not in shared mode (connect --shared): told so");
                    let bye = Frame::Bye {
                        code: "shared_mode".into(),
                        message: "the operators share the meters' records: connect with --shared".into(),
                    };
                    let _ = client
                        .client
                        .publish(down_topic(meter), QoS::AtLeastOnce, false, bye.to_line().into_bytes())
                        .await;
                }
                continue;
            }
        };
        if !meters.contains_key(meter) {
            let peer = Identity { name: meter.to_string(), account: None };
            if !allowed(&peer) {
                if told.insert(meter.to_string()) {
                    log::warn!("refused {peer}: not in --allow");
                }
                continue;
            }
            let (reply, controls) = mpsc::unbounded_channel();
            tokio::spawn(answer_meter(client.client.clone(), down_topic(meter), controls));
            meters.insert(meter.to_string(), (Arc::new(peer), reply));
        }
        let (peer, reply) = meters.get(meter).expect("just made");
        let incoming = super::session::Incoming {
            peer: peer.clone(),
            stream: data.stream,
            seq: data.seq,
            record: data.record,
            reply: reply.clone(),
            floor: Some(data.floor),
        };
        if inbox.send(super::session::Inbound::Record(incoming)).await.is_err() {
            break;
        }
    }
    drop(meters);
    let _ = tokio::time::timeout(Duration::from_secs(2), events).await;
}

/// A meter's side in shared mode (`connect --to mqtts://… --shared`): its records go out one
/// message each with its stream and floor, up to [`SHARED_WINDOW`] at a time, to whichever
/// operator of the group the broker picks; each operator's `acks` drop exactly those records
/// from the spool, and a record not acknowledged within `resend_after` (an operator or the
/// broker lost it) goes out again.
pub(super) async fn shared_meter_loop(context: MeterContext) -> Result<(), LinkError> {
    let resend_after = context.link.resend_after.expect("shared mode");
    let name = context.link.identity.name.clone();
    let (client, events, mut frames, mut failures) = start_meter_client(&context, &name);
    let lane = context.lane.lane.clone();
    let stream = context.lane.stream.clone();
    let up = up_topic(&name);
    let mut added = context.lane.added.clone();
    let mut stop = context.stop.clone();
    let mut epoch = client.epoch.clone();
    // When each record out was last published.
    let mut out: std::collections::BTreeMap<u64, tokio::time::Instant> = std::collections::BTreeMap::new();
    let mut since = Instant::now();
    let mut held: Option<String> = None;
    // A copy the broker could not hand to an operator in time expires: by then this side
    // sends the record again, and a late copy would only be a duplicate.
    let expiry = PublishProperties {
        message_expiry_interval: Some(resend_after.as_secs_f64().ceil().max(1.0) as u32),
        ..Default::default()
    };
    let result = 'outer: loop {
        // Up to the broker (or give up).
        let waited = connected(&mut epoch, &mut stop);
        let at = match context.give_up_after {
            None => waited.await,
            Some(limit) => match tokio::time::timeout(limit.saturating_sub(since.elapsed()), waited).await {
                Ok(at) => at,
                Err(_) => {
                    let mut last = String::from("no connection to the broker");
                    while let Ok(why) = failures.try_recv() {
                        last = why;
                    }
                    break Err(LinkError::GaveUp { after: limit, last });
                }
            },
        };
        let Some(at) = at else { break Ok(()) };
        // What this side's spool holds is exact (acks are kept in it): nothing to confirm.
        context.spool.ack_each(&lane, &stream, &[])?;
        loop {
            if lost(&epoch, at) {
                since = Instant::now();
                continue 'outer;
            }
            if *stop.borrow() {
                break 'outer Ok(());
            }
            // Acks and refusals from the operators.
            while let Some(text) = held.take().or_else(|| frames.try_recv().ok()) {
                match Frame::parse(&text) {
                    Ok(Frame::Acks { stream: acked, seqs }) if *acked == *stream => {
                        for seq in &seqs {
                            out.remove(seq);
                        }
                        context.spool.ack_each(&lane, &stream, &seqs)?;
                    }
                    Ok(Frame::Refused { seq, code, message }) => {
                        let record = context.spool.entry(&lane, seq);
                        let meta = record
                            .and_then(|entry| serde_json::from_str::<Value>(&entry.record).ok())
                            .and_then(|record| record.get("meta").cloned());
                        let error = crate::wire::ErrorRecord::new(
                            &code,
                            format!("the operator refused record {seq}: {message}"),
                        )
                        .with_meta(meta);
                        log::warn!("the operator refused record {seq}: {message} ({code})");
                        if let Ok(mut text) = serde_json::to_string(&crate::wire::Envelope::new(&error)) {
                            text.push('\n');
                            crate::wire::write_stderr(&text);
                        }
                    }
                    Ok(Frame::Bye { code, message }) => log::warn!("the operators: {message} ({code})"),
                    Ok(_) => {}
                    Err(why) => log::warn!("a bad frame from the operators: {why}"),
                }
            }
            // Records out: new ones, and those unacknowledged for too long.
            let now = tokio::time::Instant::now();
            let entries = context.spool.fetch(&lane, 0, SHARED_WINDOW);
            let floor = entries.first().map_or(0, |e| e.seq);
            out.retain(|seq, _| *seq >= floor);
            for entry in &entries {
                if entry.seq >= floor.saturating_add(super::store::EACH_SPAN) {
                    // The operators would not take it yet (their memory per stream is bounded).
                    break;
                }
                if out.get(&entry.seq).is_some_and(|at| now.duration_since(*at) < resend_after) {
                    continue;
                }
                if out.contains_key(&entry.seq) {
                    log::info!(
                        "record {} was not acknowledged within {}: sent again",
                        entry.seq,
                        humantime::format_duration(resend_after)
                    );
                }
                let line = Frame::shared_data_line(&stream, floor, entry.seq, &entry.record);
                let published = client.client.publish_with_properties(
                    up.clone(),
                    QoS::AtLeastOnce,
                    false,
                    line.into_bytes(),
                    expiry.clone(),
                );
                if let Err(e) = published.await {
                    log::warn!("cannot publish: {e}");
                    continue 'outer;
                }
                out.insert(entry.seq, now);
            }
            let next_resend = out.values().min().map(|at| *at + resend_after);
            tokio::select! {
                text = frames.recv() => match text {
                    Some(text) => held = Some(text),
                    None => break 'outer Ok(()),
                },
                _ = added.changed() => {}
                _ = epoch.changed() => {}
                _ = stop.changed() => {}
                _ = async { match next_resend { Some(at) => tokio::time::sleep_until(at).await, None => std::future::pending().await } } => {}
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), events).await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls() {
        assert_eq!(
            Broker::parse("mqtts://broker.example").unwrap(),
            Some(Broker { host: "broker.example".into(), port: 8883 })
        );
        assert_eq!(
            Broker::parse("mqtts://127.0.0.1:18883/").unwrap(),
            Some(Broker { host: "127.0.0.1".into(), port: 18883 })
        );
        assert_eq!(Broker::parse("operator.example:7443").unwrap(), None);
        assert!(Broker::parse("mqtt://broker:1883").is_err());
        assert!(Broker::parse("mqtts://broker:http").is_err());
        assert!(Broker::parse("mqtts://").is_err());
    }

    #[test]
    fn topics() {
        assert_eq!(up_topic("meter-17"), "evlock/meters/meter-17/up");
        assert_eq!(meter_of("evlock/meters/meter-17/up"), Some("meter-17"));
        assert_eq!(meter_of("evlock/meters/meter-17/down"), None);
        assert_eq!(meter_of("evlock/meters/a/b/up"), None);
        assert_eq!(meter_of("other/meters/meter-17/up"), None);
    }
}
