//! The operator's side (`evlock-relay listen`): accepts meters over mutual TLS, writes what
//! they send with `meta.peer` set from their certificates, routes what it reads to them by
//! `meta.to` or `meta.peer` through a bounded on-disk outbox, and forwards records between
//! meters where `--route` rules allow.
//!
//! The state folder (`--outbox DIR`) holds `outbox.ndjson` (a [`Spool`] with a lane per
//! peer), `received.ndjson` (the [`Marks`]), `peers.ndjson` (every name and account seen, so
//! a record addressed by account finds its peer while it is offline) and the lock.
//!
//! With `--events` it also writes a `link` record ([`LinkRecord`]) when a peer connects and
//! when its connection ends, among the records on stdout: informational, never marked, spooled
//! or acknowledged (a kill can lose the last one; the console reads them).

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use alloy_primitives::Address;
use rustls::ServerConfig;
use serde_json::Value;
use tokio::sync::{mpsc, watch};

use super::LinkError;
use super::deliver::{self, OutputFile, Verdict, output_position};
use super::frame::{FRAME_OVERHEAD, Frame};
use super::input::{Input, Line, report};
use super::limits::{Limits, TokenBucket};
use super::peer::{Destination, Pattern, Route, identity_json, meta_mut};
use super::session::{self, Endpoint, SessionOptions};
use super::store::{Item, Marks, PushRefusal, Spool, SpoolLimits, StateDir};
use super::tls::{self, Accepted};
use super::transport::FrameWriter;
use crate::exit::ExitCode;
use crate::pki::Identity;
use crate::wire::{DurableLog, ErrorRecord, LinkEvent, LinkPeer, LinkRecord, Output};

/// Everything `listen` needs.
pub struct ListenOptions {
    /// The address to listen on (`127.0.0.1:0` picks a port).
    pub bind: String,
    /// The TLS configuration ([`tls::server_config`]).
    pub tls: Arc<ServerConfig>,
    /// The operator's own name (its certificate's): `meta.to` naming it means "to stdout".
    pub name: String,
    /// Only peers matching one of these (every peer when empty).
    pub allow: Vec<Pattern>,
    /// Forwarding rules between peers.
    pub routes: Vec<Route>,
    /// The state folder.
    pub state: PathBuf,
    /// The limits.
    pub limits: Limits,
    /// The outbox's bounds per peer.
    pub outbox: SpoolLimits,
    /// Told the bound address once listening.
    pub on_listening: Box<dyn FnOnce(SocketAddr) + Send>,
    /// Polled for a stop request (Ctrl-C, SIGTERM).
    pub stop_requested: fn() -> bool,
    /// The regular file the output goes to, if it is one (exact marks across kills).
    pub output_file: Option<OutputFile>,
    /// Fleet mode: meters reached through this MQTT broker instead of `bind`
    /// ([`super::mqtt`]).
    pub broker: Option<super::mqtt::BrokerLink>,
    /// Whether to write a `link` record when a peer connects and disconnects (`--events`).
    pub events: bool,
}

struct Conn {
    id: u64,
    fingerprint: String,
    sending: watch::Sender<bool>,
}

/// Names and accounts seen, persisted so routing by account works while a peer is away.
struct PeerBook {
    log: DurableLog,
    accounts: HashMap<String, Option<Address>>,
    names: HashMap<Address, String>,
}

impl PeerBook {
    fn open(path: &std::path::Path) -> Result<PeerBook, LinkError> {
        let mut accounts = HashMap::new();
        let mut names = HashMap::new();
        let log = DurableLog::open_with(path, 4096, |_, text| {
            let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
            let name = value.get("name").and_then(Value::as_str).ok_or("a peer needs a name")?;
            let account = match value.get("account") {
                Some(Value::String(a)) => Some(a.parse::<Address>().map_err(|e| e.to_string())?),
                _ => None,
            };
            accounts.insert(name.to_string(), account);
            if let Some(account) = account {
                names.insert(account, name.to_string());
            }
            Ok(())
        })?;
        Ok(PeerBook { log, accounts, names })
    }

    fn learn(&mut self, peer: &Identity) -> Result<(), LinkError> {
        if self.accounts.get(&peer.name) == Some(&peer.account) {
            return Ok(());
        }
        self.log.append(&identity_json(peer))?;
        self.accounts.insert(peer.name.clone(), peer.account);
        if let Some(account) = peer.account {
            self.names.insert(account, peer.name.clone());
        }
        Ok(())
    }

    /// The peer a destination names, with its account when known.
    fn resolve(&self, destination: &Destination) -> Result<Identity, String> {
        let name = match (&destination.name, &destination.account) {
            (Some(name), _) => name.clone(),
            (None, Some(account)) => self.names.get(account).cloned().ok_or_else(|| {
                format!(
                    "no peer with account {} has connected yet: address it by name",
                    account.to_checksum(None)
                )
            })?,
            (None, None) => return Err("a destination needs a name or an account".into()),
        };
        let account = destination.account.or_else(|| self.accounts.get(&name).copied().flatten());
        Ok(Identity { name, account })
    }
}

struct Shared {
    options_name: String,
    allow: Vec<Pattern>,
    routes: Vec<Route>,
    limits: Limits,
    spool: Arc<Spool>,
    marks: Arc<Mutex<Marks>>,
    book: Mutex<PeerBook>,
    conns: Mutex<HashMap<String, Vec<Conn>>>,
    buckets: Mutex<HashMap<String, Arc<Mutex<TokenBucket>>>>,
    total: AtomicUsize,
    next_id: AtomicU64,
    events: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Decrements the connection count when a connection's task ends, however it ends.
struct Counted(Arc<Shared>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.total.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs the listener until a stop is requested (exit 130) or its output is closed (0).
pub fn listen<W: Write>(
    options: ListenOptions,
    mut input: Input,
    out: &mut Output<W>,
) -> Result<ExitCode, LinkError> {
    super::install_provider();
    let dir = StateDir::open(&options.state)?;
    let (spool, mut marks, book) = dir.start(|dir| {
        let spool = Spool::open(&dir.file("outbox.ndjson"), options.limits.max_record, options.outbox)?;
        let marks =
            Marks::open(&dir.file("received.ndjson"), output_position(options.output_file.as_ref())?)?;
        Ok((spool, marks, PeerBook::open(&dir.file("peers.ndjson"))?))
    })?;
    let spool = Arc::new(spool);
    marks.raise(spool.origins())?;
    let marks = Arc::new(Mutex::new(marks));
    input.resume(&spool)?;
    let shared = Arc::new(Shared {
        options_name: options.name.clone(),
        allow: options.allow,
        routes: options.routes,
        limits: options.limits.clone(),
        spool: spool.clone(),
        marks: marks.clone(),
        book: Mutex::new(book),
        conns: Mutex::new(HashMap::new()),
        buckets: Mutex::new(HashMap::new()),
        total: AtomicUsize::new(0),
        next_id: AtomicU64::new(1),
        events: options.events,
    });

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("evlock-link")
        .build()
        .map_err(|source| LinkError::Io { what: "cannot start the network runtime".into(), source })?;
    let (inbox, mut inbox_rx) = mpsc::channel(4096);
    let (stop_tx, stop) = watch::channel(false);
    let shared_mode = options.broker.as_ref().is_some_and(|link| link.share.is_some());
    let accepting = match options.broker {
        Some(link) if link.share.is_some() => {
            log::info!("meters through {} (MQTT 5, shared subscription)", link.broker);
            let client_id = super::mqtt::shared_client_id(&dir.file("mqtt-client.ndjson"), &options.name)?;
            let allow_shared = shared.clone();
            let allowed = move |peer: &Identity| {
                allow_shared.allow.is_empty() || allow_shared.allow.iter().any(|p| p.matches(peer))
            };
            runtime.spawn(super::mqtt::shared_operator_loop(
                link,
                client_id,
                options.limits.clone(),
                allowed,
                inbox,
                stop.clone(),
            ))
        }
        Some(link) => {
            log::info!("meters through {} (MQTT 5, client certificates)", link.broker);
            let sessions = Arc::new(BrokerSessions { shared: shared.clone(), inbox, stop: stop.clone() });
            runtime.spawn(super::mqtt::operator_loop(link, options.limits.clone(), sessions, stop.clone()))
        }
        None => {
            let listener = runtime
                .block_on(tokio::net::TcpListener::bind(&options.bind))
                .map_err(|source| LinkError::Bind { addr: options.bind.clone(), source })?;
            let bound = listener
                .local_addr()
                .map_err(|source| LinkError::Bind { addr: options.bind.clone(), source })?;
            log::info!("listening on {bound} (TLS 1.3, client certificates required)");
            (options.on_listening)(bound);
            let acceptor = tokio_rustls::TlsAcceptor::from(options.tls);
            runtime.spawn(accept_loop(listener, acceptor, shared.clone(), inbox, stop.clone()))
        }
    };

    if shared_mode {
        // Nothing goes to the meters in shared mode but acks.
        log::info!("shared mode: stdin is not read (records go from the meters to the operators only)");
    } else {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("evlock-link-stdin".into())
            .spawn(move || read_input(input, &shared))
            .map_err(|source| LinkError::Io { what: "cannot start the input thread".into(), source })?;
    }

    let stop_requested = options.stop_requested;
    let mut stopping = false;
    let judge_shared = shared.clone();
    let result = deliver::run(
        runtime.handle(),
        &mut inbox_rx,
        &marks,
        Some(&spool),
        out,
        options.output_file.as_ref(),
        |peer, record| judge(&judge_shared, peer, record),
        || {
            if let Err(error) = spool.maintain() {
                log::error!("{}", crate::exit::error_chain(&error));
            }
            if !stopping && stop_requested() {
                stopping = true;
                log::info!("stopping: closing every link");
                let _ = stop_tx.send(true);
            }
        },
    );
    let _ = stop_tx.send(true);
    runtime.block_on(async {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), accepting).await;
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    let delivered = result?;
    log::info!(
        "{} records written, {} forwarded, {} duplicates dropped, {} refused",
        delivered.written,
        delivered.forwarded,
        delivered.duplicates,
        delivered.refused
    );
    Ok(if stopping { ExitCode::Interrupted } else { ExitCode::Success })
}

/// The operator's stdin: each record goes to the outbox lane of the peer it names.
fn read_input(mut input: Input, shared: &Shared) {
    let file = input.file().is_some();
    loop {
        let lines = match input.next_batch(1024) {
            Ok(lines) => lines,
            Err(error) => {
                log::error!("{}: records are no longer read from stdin", crate::exit::error_chain(&error));
                return;
            }
        };
        if lines.is_empty() {
            log::info!("stdin ended; the links stay open");
            return;
        }
        let mut items = Vec::new();
        let mut trailing = None;
        for line in lines {
            match line {
                Line::Bad { error, end } => {
                    report(&error);
                    trailing = Some(end);
                }
                Line::Record { record, end, line } => match address(shared, record) {
                    Ok((lane, text)) => {
                        items.push((
                            Item { lane, record: text, input_end: file.then_some(end), from: None },
                            line,
                        ));
                        trailing = None;
                    }
                    Err((code, message, meta)) => {
                        report(&ErrorRecord::new(code, message).at_line(line).with_meta(meta));
                        trailing = Some(end);
                    }
                },
            }
        }
        let (items, numbers): (Vec<Item>, Vec<u64>) = items.into_iter().unzip();
        let metas: Vec<Option<Value>> = items
            .iter()
            .map(|i| serde_json::from_str::<Value>(&i.record).ok().and_then(|r| r.get("meta").cloned()))
            .collect();
        match shared.spool.push(items, false) {
            Ok(results) => {
                for ((result, line), meta) in results.into_iter().zip(numbers).zip(metas) {
                    if let Err(PushRefusal::Full { lane, records }) = result {
                        let message = format!(
                            "the outbox of {lane} is full ({records} records wait for it): not queued"
                        );
                        report(&ErrorRecord::new("outbox_full", message).at_line(line).with_meta(meta));
                    }
                }
            }
            Err(error) => {
                log::error!("{}: records are no longer read from stdin", crate::exit::error_chain(&error));
                return;
            }
        }
        if let (true, Some(end)) = (file, trailing)
            && let Err(error) = shared.spool.note_input(end)
        {
            log::error!("{}", crate::exit::error_chain(&error));
        }
    }
}

type Refusal = (&'static str, String, Option<Value>);

/// Where a record from stdin goes, and the record as it is sent (with `meta.peer`).
fn address(shared: &Shared, record: Value) -> Result<(String, String), Refusal> {
    let Value::Object(mut map) = record else { unreachable!("the input yields objects") };
    let meta_copy = map.get("meta").cloned();
    let meta = meta_mut(&mut map).map_err(|e| ("bad_meta", e, meta_copy.clone()))?;
    let target = meta.remove("to").or_else(|| meta.get("peer").cloned()).ok_or_else(|| {
        (
            "no_destination",
            "a record for a meter needs meta.to (or meta.peer) naming it".to_string(),
            meta_copy.clone(),
        )
    })?;
    let destination =
        Destination::from_value(&target).map_err(|e| ("bad_destination", e, meta_copy.clone()))?;
    let peer =
        lock(&shared.book).resolve(&destination).map_err(|e| ("unknown_peer", e, meta_copy.clone()))?;
    meta.insert("peer".into(), identity_json(&peer));
    Ok((peer.name, Value::Object(map).to_string()))
}

/// What to do with a record a peer sent.
fn judge(shared: &Shared, peer: &Identity, record: Value) -> Verdict {
    let Value::Object(mut map) = record else {
        return Verdict::Refuse { code: "not_a_record", message: "a record is a JSON object".into() };
    };
    let kind = map.get("kind").and_then(Value::as_str).map(str::to_string);
    let meta = match meta_mut(&mut map) {
        Ok(meta) => meta,
        Err(message) => return Verdict::Refuse { code: "bad_meta", message },
    };
    if let Some(claim) = meta.get("peer") {
        match Destination::from_value(claim) {
            Ok(claimed) if claimed.is(peer) => {}
            Ok(claimed) => {
                return Verdict::Refuse {
                    code: "peer_mismatch",
                    message: format!(
                        "the record claims to come from {claimed}, but its sender's certificate is {peer}"
                    ),
                };
            }
            Err(why) => {
                return Verdict::Refuse { code: "peer_mismatch", message: format!("meta.peer: {why}") };
            }
        }
    }
    // The link owns these: `from` is only ever what the operator says.
    meta.remove("from");
    let to = meta.remove("to");
    meta.insert("peer".into(), identity_json(peer));
    let Some(to) = to else { return Verdict::Write(Value::Object(map)) };
    let destination = match Destination::from_value(&to) {
        Ok(destination) => destination,
        Err(message) => {
            return Verdict::Refuse { code: "bad_destination", message: format!("meta.to: {message}") };
        }
    };
    if destination.is(peer) || destination.name.as_deref() == Some(shared.options_name.as_str()) {
        return Verdict::Write(Value::Object(map));
    }
    let target = match lock(&shared.book).resolve(&destination) {
        Ok(target) => target,
        Err(message) => return Verdict::Refuse { code: "unknown_peer", message },
    };
    if !shared.routes.iter().any(|route| route.allows(peer, &target, kind.as_deref())) {
        return Verdict::Refuse {
            code: "not_routed",
            message: format!(
                "no --route lets {} send {} records to {}",
                peer.name,
                kind.as_deref().unwrap_or("kind-less"),
                target.name
            ),
        };
    }
    let meta = map.get_mut("meta").and_then(Value::as_object_mut).expect("meta was made an object");
    meta.insert("peer".into(), identity_json(&target));
    meta.insert("from".into(), identity_json(peer));
    Verdict::Forward { lane: target.name, record: Value::Object(map) }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    shared: Arc<Shared>,
    inbox: mpsc::Sender<session::Inbound>,
    mut stop: watch::Receiver<bool>,
) {
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => break,
        };
        let (tcp, addr) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Out of descriptors and the like: the listener goes on.
                log::warn!("cannot accept a connection: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        if shared.total.load(Ordering::SeqCst) >= shared.limits.max_connections {
            log::warn!(
                "refused {addr}: {} connections already (--max-connections)",
                shared.limits.max_connections
            );
            drop(tcp);
            continue;
        }
        shared.total.fetch_add(1, Ordering::SeqCst);
        let counted = Counted(shared.clone());
        let acceptor = acceptor.clone();
        let inbox = inbox.clone();
        let stop = stop.clone();
        tasks.spawn(async move {
            let _counted = counted;
            serve(tcp, addr, acceptor, &_counted.0, inbox, stop).await;
        });
        while tasks.try_join_next().is_some() {}
    }
    drop(inbox);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
}

async fn bye<W: FrameWriter>(writer: &mut W, code: &str, message: &str) {
    let frame = Frame::Bye { code: code.into(), message: message.into() };
    let _ = writer.write_frame(&frame.to_line()).await;
    let _ = writer.close().await;
}

async fn serve(
    tcp: tokio::net::TcpStream,
    addr: SocketAddr,
    acceptor: tokio_rustls::TlsAcceptor,
    shared: &Arc<Shared>,
    inbox: mpsc::Sender<session::Inbound>,
    stop: watch::Receiver<bool>,
) {
    let limits = &shared.limits;
    let ((reader, mut writer), peer, fingerprint) =
        match tls::accept(&acceptor, tcp, limits.handshake_timeout, limits.max_record + FRAME_OVERHEAD).await
        {
            Accepted::Ok(halves, peer, fingerprint) => (halves, peer, fingerprint),
            Accepted::Refused(why) => {
                log::warn!("refused {addr}: {why}");
                return;
            }
        };
    if !shared.allow.is_empty() && !shared.allow.iter().any(|p| p.matches(&peer)) {
        log::warn!("refused {peer} from {addr}: not in --allow");
        bye(&mut writer, "not_allowed", &format!("{peer} is not allowed on this link (--allow)")).await;
        return;
    }
    let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
    let (sending_tx, sending) = watch::channel(true);
    let crowded = {
        let mut conns = lock(&shared.conns);
        let list = conns.entry(peer.name.clone()).or_default();
        let same = list.iter().filter(|c| c.fingerprint == fingerprint).count();
        if same >= limits.max_per_peer {
            Some(same)
        } else {
            // The newest connection sends the peer's outbox; the older ones only receive.
            for older in list.iter() {
                older.sending.send_replace(false);
            }
            list.push(Conn { id, fingerprint, sending: sending_tx });
            None
        }
    };
    if let Some(same) = crowded {
        log::warn!(
            "refused {peer} from {addr}: {same} connections with its certificate already (--max-per-peer)"
        );
        bye(
            &mut writer,
            "too_many_connections",
            &format!("{same} connections with this certificate already"),
        )
        .await;
        return;
    }
    let prepared = {
        let shared = shared.clone();
        let peer = peer.clone();
        tokio::task::spawn_blocking(move || -> Result<_, LinkError> {
            lock(&shared.book).learn(&peer)?;
            shared.spool.lane(&peer.name)
        })
        .await
    };
    let lane = match prepared {
        Ok(Ok(lane)) => lane,
        Ok(Err(error)) => {
            log::error!("{peer}: {}", crate::exit::error_chain(&error));
            bye(&mut writer, "internal", "the operator cannot keep state for this peer").await;
            release(shared, &peer.name, id);
            return;
        }
        Err(join) => {
            log::error!("{peer}: {join}");
            release(shared, &peer.name, id);
            return;
        }
    };
    let bucket = limits.rate.map(|rate| {
        lock(&shared.buckets)
            .entry(peer.name.clone())
            .or_insert_with(|| Arc::new(Mutex::new(TokenBucket::new(rate))))
            .clone()
    });
    log::info!("{peer} connected from {addr}");
    let events = shared.events.then(|| inbox.clone());
    if let Some(events) = &events {
        let _ = events.send(link_event(&peer, LinkEvent::Connected, None)).await;
    }
    let endpoint = Endpoint {
        spool: shared.spool.clone(),
        lane,
        marks: shared.marks.clone(),
        inbox,
        sending: Some(sending),
        bucket,
    };
    let options = SessionOptions { idle: limits.idle_timeout, hello_timeout: limits.handshake_timeout };
    let peer = Arc::new(peer);
    let summary = session::run(reader, writer, peer.clone(), endpoint, options, stop).await;
    release(shared, &peer.name, id);
    let counts = format!("{} records in, {} out", summary.received, summary.sent);
    match &summary.ended {
        session::Ended::Cut { .. } | session::Ended::Conflict(_) => {
            log::warn!("{peer} from {addr}: {} ({counts})", summary.ended)
        }
        session::Ended::Lost(_) => log::warn!("{peer} from {addr}: {} ({counts})", summary.ended),
        _ => log::info!("{peer} from {addr}: {} ({counts})", summary.ended),
    }
    if let Some(events) = events {
        let reason = Some(summary.ended.to_string());
        let _ = events.send(link_event(&peer, LinkEvent::Disconnected, reason)).await;
    }
}

/// A `link` record about `peer`, now.
fn link_event(peer: &Identity, event: LinkEvent, reason: Option<String>) -> session::Inbound {
    session::Inbound::Event(LinkRecord {
        event,
        peer: LinkPeer { name: peer.name.clone(), account: peer.account.map(|a| a.to_checksum(None)) },
        time: humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
        reason,
    })
}

/// Forgets a connection; the newest remaining one of the peer sends its outbox.
fn release(shared: &Shared, name: &str, id: u64) {
    let mut conns = lock(&shared.conns);
    if let Some(list) = conns.get_mut(name) {
        list.retain(|c| c.id != id);
        if let Some(newest) = list.last() {
            newest.sending.send_replace(true);
        }
        if list.is_empty() {
            conns.remove(name);
        }
    }
}

/// The listener's side of fleet mode: a session per meter, over the broker's topics.
struct BrokerSessions {
    shared: Arc<Shared>,
    inbox: mpsc::Sender<session::Inbound>,
    stop: watch::Receiver<bool>,
}

impl super::mqtt::Sessions for BrokerSessions {
    fn allowed(&self, peer: &Identity) -> bool {
        self.shared.allow.is_empty() || self.shared.allow.iter().any(|p| p.matches(peer))
    }

    async fn serve(
        self: Arc<Self>,
        peer: Identity,
        reader: super::mqtt::TopicReader,
        writer: super::mqtt::TopicWriter,
    ) {
        let shared = &self.shared;
        let prepared = {
            let shared = shared.clone();
            let peer = peer.clone();
            tokio::task::spawn_blocking(move || -> Result<_, LinkError> {
                lock(&shared.book).learn(&peer)?;
                shared.spool.lane(&peer.name)
            })
            .await
        };
        let lane = match prepared {
            Ok(Ok(lane)) => lane,
            Ok(Err(error)) => {
                log::error!("{peer}: {}", crate::exit::error_chain(&error));
                return;
            }
            Err(join) => {
                log::error!("{peer}: {join}");
                return;
            }
        };
        let bucket = shared.limits.rate.map(|rate| {
            lock(&shared.buckets)
                .entry(peer.name.clone())
                .or_insert_with(|| Arc::new(Mutex::new(TokenBucket::new(rate))))
                .clone()
        });
        log::info!("{peer}: a session through the broker");
        let endpoint = Endpoint {
            spool: shared.spool.clone(),
            lane,
            marks: shared.marks.clone(),
            inbox: self.inbox.clone(),
            sending: None,
            bucket,
        };
        let options = SessionOptions {
            idle: shared.limits.idle_timeout,
            hello_timeout: shared.limits.handshake_timeout,
        };
        let peer = Arc::new(peer);
        let summary = session::run(reader, writer, peer.clone(), endpoint, options, self.stop.clone()).await;
        log::info!("{peer}: {} ({} records in, {} out)", summary.ended, summary.received, summary.sent);
    }
}
