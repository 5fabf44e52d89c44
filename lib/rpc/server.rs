//! A JSON-RPC 2.0 server over HTTP/1.1 and HTTPS (optionally mutual TLS), generic over an
//! [`RpcHandler`].
//!
//! The server owns a small tokio runtime (hyper 1 for HTTP, tokio-rustls for TLS) on threads
//! of its own; [`start`] binds, starts serving and returns a [`ServerHandle`] with the bound
//! address. Connections are kept alive between requests.
//!
//! What it answers:
//! - `POST /` with a request object: the response object; with a batch (array): an array of
//!   responses, one per request that has an `id`. Notifications (no `id`) get no response
//!   element; a request or batch of notifications only gets HTTP 204.
//! - Invalid JSON: -32700 with `id` null. Not a request object, `jsonrpc` not `"2.0"`, a
//!   `method` that is not a string, `params` that are not an array or object, an empty
//!   batch, a batch larger than `max_batch`: -32600. A handler that panics: -32603 for that
//!   request only.
//! - A body larger than `max_body_bytes`: HTTP 413 with a -32600 error object; the
//!   connection is closed and the server goes on. A body slower than `body_timeout`: 408.
//! - Another method than POST: 405 (with `Allow: POST`); another path than `/`: 404; a
//!   `Content-Type` that is not JSON: 415.
//!
//! The handler runs on the server's worker threads: it should answer from memory (as a local
//! chain does) rather than block for long.
//!
//! Connections are bounded so that idle or half-open ones cannot starve the others: at most
//! `max_connections` are served at once, each must send its request headers within
//! `idle_timeout` and its body within `body_timeout`, and when every slot is taken the
//! connection that has been idle the longest (waiting for a request, or still in its TLS
//! handshake; idle for `evict_after` at least) is closed to make room for the next one. A
//! connection with a request in hand is never closed for another. A flood of idle
//! connections therefore delays a real request by little more than `evict_after`.
//!
//! ```no_run
//! use evlock::rpc::{JsonRpcError, ServerOptions, start};
//! use serde_json::{Value, json};
//! let handler = |method: &str, _params: &Value| match method {
//!     "eth_chainId" => Ok(json!("0x7a69")),
//!     other => Err(JsonRpcError::method_not_found(other)),
//! };
//! let server = start(ServerOptions::new("127.0.0.1:0".parse().unwrap()), handler)?;
//! println!("serving on {}", server.url());
//! server.wait();
//! # Ok::<(), evlock::rpc::ServerError>(())
//! ```

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Notify, Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use super::tls::{self, TlsConfigError};
use super::types::JsonRpcError;
use crate::exit::{ErrorClass, ExitCode};

/// What a JSON-RPC server does with each request.
///
/// `params` is the request's array or object (`[]` when it had none). Return the result, or
/// a [`JsonRpcError`] (its code, message and data go to the client as they are). A panic is
/// caught and answered with -32603.
pub trait RpcHandler: Send + Sync + 'static {
    /// Answers one call.
    fn handle(&self, method: &str, params: &Value) -> Result<Value, JsonRpcError>;
}

impl<F> RpcHandler for F
where
    F: Fn(&str, &Value) -> Result<Value, JsonRpcError> + Send + Sync + 'static,
{
    fn handle(&self, method: &str, params: &Value) -> Result<Value, JsonRpcError> {
        self(method, params)
    }
}

/// How and where to serve.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The address to listen on (`127.0.0.1:0` picks a free port).
    pub bind: SocketAddr,
    /// HTTPS: the server's PEM certificate chain and PEM private key.
    pub tls: Option<(Vec<u8>, Vec<u8>)>,
    /// With `tls`: PEM CA certificates; every client must then present a certificate issued
    /// by one of them, or the handshake is refused.
    pub client_ca: Option<Vec<u8>>,
    /// The largest request body (default 5 MiB); larger gets HTTP 413.
    pub max_body_bytes: usize,
    /// The most requests in one batch (default 1000); more gets -32600.
    pub max_batch: usize,
    /// The most connections served at once (default 256, well below the usual limit of 1024
    /// open files); when all are taken, the longest-idle one is closed for a new one.
    pub max_connections: usize,
    /// How long a connection may wait for a request's headers, idle keep-alive included
    /// (default 10 s).
    pub idle_timeout: Duration,
    /// How long a request body may take to arrive (default 10 s).
    pub body_timeout: Duration,
    /// How long a connection must have been idle before it may be closed to make room for a
    /// new one when every slot is taken (default 100 ms).
    pub evict_after: Duration,
    /// How long a TLS handshake may take (default 10 s).
    pub handshake_timeout: Duration,
    /// Worker threads (default: the number of CPUs, at most 4).
    pub threads: usize,
}

impl ServerOptions {
    /// Plain HTTP on `bind` with the default limits.
    pub fn new(bind: SocketAddr) -> Self {
        ServerOptions {
            bind,
            tls: None,
            client_ca: None,
            max_body_bytes: 5 * 1024 * 1024,
            max_batch: 1000,
            max_connections: 256,
            idle_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            evict_after: Duration::from_millis(100),
            handshake_timeout: Duration::from_secs(10),
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4),
        }
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address could not be bound (in use, not local, no permission). Exit 4.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// The server certificate, key or client CA is unusable. Exit 2.
    #[error(transparent)]
    Tls(#[from] TlsConfigError),
    /// A client CA was given without a server certificate. Exit 2.
    #[error("client certificates (a client CA) need TLS: give the server a certificate and key")]
    ClientCaWithoutTls,
    /// The runtime or its threads could not be started. Exit 4.
    #[error("cannot start the server's threads")]
    Runtime(#[source] std::io::Error),
}

impl ErrorClass for ServerError {
    fn exit_code(&self) -> ExitCode {
        match self {
            ServerError::Tls(_) | ServerError::ClientCaWithoutTls => ExitCode::Usage,
            ServerError::Bind { .. } | ServerError::Runtime(_) => ExitCode::Network,
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            ServerError::Bind { .. } => "bind",
            ServerError::Tls(_) => "tls_config",
            ServerError::ClientCaWithoutTls => "usage",
            ServerError::Runtime(_) => "runtime",
        }
    }
}

/// Stops a server from anywhere (a signal handler, another thread). Cloneable.
#[derive(Debug, Clone)]
pub struct ShutdownTrigger(Arc<watch::Sender<bool>>);

impl ShutdownTrigger {
    /// Stops accepting, lets requests in flight finish (up to a second), closes connections.
    pub fn shutdown(&self) {
        self.0.send_replace(true);
    }
}

/// A running server. Dropping it shuts the server down.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    https: bool,
    trigger: ShutdownTrigger,
    thread: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// The address the server listens on (with the port chosen for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL clients use: `http://127.0.0.1:PORT/` or `https://…` (a wildcard bind address
    /// is shown as the loopback address).
    pub fn url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("{}://{addr}/", if self.https { "https" } else { "http" })
    }

    /// A trigger that stops this server from elsewhere.
    pub fn trigger(&self) -> ShutdownTrigger {
        self.trigger.clone()
    }

    /// Stops the server and waits until its threads are gone.
    pub fn shutdown(mut self) {
        self.stop();
    }

    /// Serves until a [`ShutdownTrigger`] stops the server.
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    fn stop(&mut self) {
        self.trigger.shutdown();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Shared<H> {
    handler: H,
    max_body_bytes: usize,
    max_batch: usize,
    body_timeout: Duration,
    idle_timeout: Duration,
}

/// Binds `options.bind` and serves `handler` on it until the returned handle is shut down
/// or dropped.
pub fn start<H: RpcHandler>(options: ServerOptions, handler: H) -> Result<ServerHandle, ServerError> {
    let acceptor = match (&options.tls, &options.client_ca) {
        (Some((cert, key)), client_ca) => {
            Some(TlsAcceptor::from(Arc::new(tls::server_config(cert, key, client_ca.as_deref())?)))
        }
        (None, Some(_)) => return Err(ServerError::ClientCaWithoutTls),
        (None, None) => None,
    };
    let Bound { runtime, listener, addr } =
        bind(options.bind, options.threads, "evlock-rpc").map_err(|failure| match failure {
            BindFailure::Runtime(source) => ServerError::Runtime(source),
            BindFailure::Bind(source) => ServerError::Bind { addr: options.bind, source },
        })?;
    let (sender, receiver) = watch::channel(false);
    let shared = Arc::new(Shared {
        handler,
        max_body_bytes: options.max_body_bytes,
        max_batch: options.max_batch,
        body_timeout: options.body_timeout,
        idle_timeout: options.idle_timeout,
    });
    let limits = Limits {
        max_connections: options.max_connections.max(1),
        handshake_timeout: options.handshake_timeout,
        evict_after: options.evict_after,
    };
    let thread = std::thread::Builder::new()
        .name("evlock-rpc-accept".into())
        .spawn(move || {
            runtime.block_on(accept_loop(listener, acceptor, shared, receiver, limits));
            runtime.shutdown_timeout(Duration::from_secs(1));
        })
        .map_err(ServerError::Runtime)?;
    log::info!("serving JSON-RPC on {addr}");
    Ok(ServerHandle {
        addr,
        https: options.tls.is_some(),
        trigger: ShutdownTrigger(Arc::new(sender)),
        thread: Some(thread),
    })
}

/// A listener bound on a runtime of its own: what the JSON-RPC server and the operator's
/// console serve on.
pub(crate) struct Bound {
    /// The runtime the listener is registered with.
    pub(crate) runtime: tokio::runtime::Runtime,
    /// The bound listener.
    pub(crate) listener: tokio::net::TcpListener,
    /// Its address (the port chosen when 0 was asked).
    pub(crate) addr: SocketAddr,
}

/// Why [`bind`] failed.
pub(crate) enum BindFailure {
    /// The runtime could not be built.
    Runtime(std::io::Error),
    /// The address could not be bound.
    Bind(std::io::Error),
}

/// Builds a runtime of `threads` workers (at least one) named `name` and binds `addr` on it.
pub(crate) fn bind(addr: SocketAddr, threads: usize, name: &str) -> Result<Bound, BindFailure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .thread_name(name)
        .enable_all()
        .build()
        .map_err(BindFailure::Runtime)?;
    let std_listener = std::net::TcpListener::bind(addr).map_err(BindFailure::Bind)?;
    std_listener.set_nonblocking(true).map_err(BindFailure::Bind)?;
    let addr = std_listener.local_addr().map_err(BindFailure::Bind)?;
    let listener = {
        let _guard = runtime.enter();
        tokio::net::TcpListener::from_std(std_listener).map_err(BindFailure::Bind)?
    };
    Ok(Bound { runtime, listener, addr })
}

#[derive(Clone, Copy)]
struct Limits {
    max_connections: usize,
    handshake_timeout: Duration,
    evict_after: Duration,
}

/// One connection being served, as the accept loop sees it for eviction.
struct Slot {
    /// Since when it waits for a request (or its handshake); `None` while a request is in hand.
    idle_since: Mutex<Option<Instant>>,
    /// Told when the connection is to be closed to make room.
    close: Notify,
}

impl Slot {
    fn set_idle(&self, idle: bool) {
        *self.idle_since.lock().unwrap_or_else(|p| p.into_inner()) = idle.then(Instant::now);
    }
}

/// Marks a connection busy while a request is in hand, idle again when it is answered.
struct Busy(Arc<Slot>);

impl Busy {
    fn new(slot: Arc<Slot>) -> Self {
        slot.set_idle(false);
        Busy(slot)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.set_idle(true);
    }
}

/// Every connection being served.
#[derive(Default)]
struct Slots {
    next: u64,
    live: HashMap<u64, Arc<Slot>>,
}

type SlotTable = Arc<Mutex<Slots>>;

/// Registers a new connection; the guard unregisters it when the connection ends.
struct Registered {
    table: SlotTable,
    id: u64,
    slot: Arc<Slot>,
}

impl Registered {
    fn new(table: &SlotTable) -> Self {
        let slot = Arc::new(Slot { idle_since: Mutex::new(Some(Instant::now())), close: Notify::new() });
        let mut slots = table.lock().unwrap_or_else(|p| p.into_inner());
        slots.next += 1;
        let id = slots.next;
        slots.live.insert(id, slot.clone());
        Registered { table: table.clone(), id, slot }
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.table.lock().unwrap_or_else(|p| p.into_inner()).live.remove(&self.id);
    }
}

/// Closes the connection idle the longest, if one has been idle `evict_after` at least; true
/// when one was told to close.
fn evict_one(table: &SlotTable, evict_after: Duration) -> bool {
    let slots = table.lock().unwrap_or_else(|p| p.into_inner());
    let now = Instant::now();
    let oldest = slots
        .live
        .values()
        .filter_map(|slot| {
            let since = (*slot.idle_since.lock().unwrap_or_else(|p| p.into_inner()))?;
            (now.duration_since(since) >= evict_after).then_some((since, slot))
        })
        .min_by_key(|(since, _)| *since);
    match oldest {
        Some((_, slot)) => {
            // Not again: it is on its way out.
            *slot.idle_since.lock().unwrap_or_else(|p| p.into_inner()) = None;
            slot.close.notify_one();
            true
        }
        None => false,
    }
}

/// Resolves once the server is told to stop (or its handle is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

async fn accept_loop<H: RpcHandler>(
    listener: tokio::net::TcpListener,
    acceptor: Option<TlsAcceptor>,
    shared: Arc<Shared<H>>,
    mut stop: watch::Receiver<bool>,
    limits: Limits,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let table = SlotTable::default();
    // How often a full server looks again for an idle connection to close.
    let poll = limits.evict_after.clamp(Duration::from_millis(5), Duration::from_millis(50));
    loop {
        let permit = match permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            // Every slot is taken: make room by closing the longest-idle connection.
            Err(_) => loop {
                evict_one(&table, limits.evict_after);
                tokio::select! {
                    permit = permits.clone().acquire_owned() => break permit.expect("the semaphore is never closed"),
                    _ = tokio::time::sleep(poll) => {}
                    _ = stopped(&mut stop) => return finish(listener, permits, limits).await,
                }
            },
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: free one if an idle connection
                    // holds it, and wait a little instead of spinning.
                    log::warn!("accept failed: {error}");
                    evict_one(&table, limits.evict_after);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = stopped(&mut stop) => break,
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let acceptor = acceptor.clone();
        let stop = stop.clone();
        let registered = Registered::new(&table);
        tokio::spawn(async move {
            let _permit = permit;
            let slot = registered.slot.clone();
            let work = async move {
                match acceptor {
                    None => serve(stream, shared, stop, slot).await,
                    Some(acceptor) => {
                        let handshake = acceptor.accept(stream).into_fallible();
                        match tokio::time::timeout(limits.handshake_timeout, handshake).await {
                            Ok(Ok(stream)) => serve(stream, shared, stop, slot).await,
                            Ok(Err((error, stream))) => {
                                log::debug!("TLS handshake with {peer} failed: {error}");
                                linger(stream).await;
                            }
                            Err(_) => log::debug!("TLS handshake with {peer} timed out"),
                        }
                    }
                }
            };
            tokio::select! {
                () = work => {}
                () = registered.slot.close.notified() => log::debug!("closed idle connection {peer} to make room"),
            }
            drop(registered);
        });
    }
    finish(listener, permits, limits).await;
}

async fn finish(listener: tokio::net::TcpListener, permits: Arc<Semaphore>, limits: Limits) {
    drop(listener);
    // Let connections finish what they are doing, briefly: each returns its permit.
    let _ = tokio::time::timeout(Duration::from_secs(1), permits.acquire_many(limits.max_connections as u32))
        .await;
}

/// Closes a connection whose handshake failed so that the client reads our alert (a client
/// certificate refused, say) rather than a reset: end our side, then swallow what the client
/// still sends, briefly.
async fn linger(mut stream: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = stream.shutdown().await;
    let drain = async {
        let mut sink = [0u8; 4096];
        let mut total = 0usize;
        while let Ok(read @ 1..) = stream.read(&mut sink).await {
            total += read;
            if total > 64 * 1024 {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(500), drain).await;
}

async fn serve<H, S>(stream: S, shared: Arc<Shared<H>>, mut stop: watch::Receiver<bool>, slot: Arc<Slot>)
where
    H: RpcHandler,
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let idle_timeout = shared.idle_timeout;
    let service = service_fn(move |request| {
        let shared = shared.clone();
        let busy = Busy::new(slot.clone());
        async move {
            let reply = respond(request, &shared).await;
            drop(busy);
            Ok::<_, Infallible>(reply)
        }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(idle_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                log::debug!("connection ended: {error}");
            }
        }
        _ = stopped(&mut stop) => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

type Reply = Response<Full<Bytes>>;

fn plain(status: StatusCode, text: &str) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(format!("{text}\n"))));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

fn json_reply(status: StatusCode, body: Vec<u8>) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn error_object(id: Value, error: &JsonRpcError) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": error})
}

fn closing(mut response: Reply) -> Reply {
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn is_json(content_type: &HeaderValue) -> bool {
    let Ok(text) = content_type.to_str() else { return false };
    let essence = text.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    matches!(essence.as_str(), "application/json" | "application/json-rpc" | "application/jsonrequest")
}

/// The body, or why it could not be had: too large (after draining a bounded amount so the
/// client reads our answer rather than a reset), too slow, or broken.
enum Body {
    Complete(Vec<u8>),
    TooLarge,
    TooSlow,
    Broken,
}

async fn read_body(request: Request<Incoming>, max: usize, timeout: Duration) -> Body {
    // Beyond this much, stop draining and just close.
    let drain_limit = max.saturating_mul(4).max(1024 * 1024);
    // As u64: on a 32-bit board a length beyond usize (4 GiB) must be refused too, not ignored.
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > drain_limit as u64) {
        return Body::TooLarge;
    }
    let mut body = request.into_body();
    let read = async {
        let mut bytes = Vec::with_capacity(declared.map_or(0, |length| length.min(max as u64) as usize));
        let mut total = 0usize;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return Body::Broken };
            if let Ok(data) = frame.into_data() {
                total = total.saturating_add(data.len());
                if total > max {
                    bytes = Vec::new();
                    if total > drain_limit {
                        break;
                    }
                } else {
                    bytes.extend_from_slice(&data);
                }
            }
        }
        if total > max { Body::TooLarge } else { Body::Complete(bytes) }
    };
    tokio::time::timeout(timeout, read).await.unwrap_or(Body::TooSlow)
}

async fn respond<H: RpcHandler>(request: Request<Incoming>, shared: &Shared<H>) -> Reply {
    if request.uri().path() != "/" {
        return plain(StatusCode::NOT_FOUND, "not found: JSON-RPC is served at /");
    }
    if request.method() != Method::POST {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "JSON-RPC takes POST requests");
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    if request.headers().get(header::CONTENT_TYPE).is_some_and(|v| !is_json(v)) {
        return plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, "JSON-RPC takes Content-Type: application/json");
    }
    match read_body(request, shared.max_body_bytes, shared.body_timeout).await {
        Body::Complete(bytes) => match process(&bytes, shared) {
            Some(body) => json_reply(StatusCode::OK, body),
            None => {
                let mut response = Response::new(Full::new(Bytes::new()));
                *response.status_mut() = StatusCode::NO_CONTENT;
                response
            }
        },
        Body::TooLarge => {
            let error = JsonRpcError::new(
                JsonRpcError::INVALID_REQUEST,
                format!("request body larger than {} bytes", shared.max_body_bytes),
            );
            let body =
                serde_json::to_vec(&error_object(Value::Null, &error)).expect("JSON always serializes");
            closing(json_reply(StatusCode::PAYLOAD_TOO_LARGE, body))
        }
        Body::TooSlow => closing(plain(StatusCode::REQUEST_TIMEOUT, "the request body took too long")),
        Body::Broken => closing(plain(StatusCode::BAD_REQUEST, "the request body could not be read")),
    }
}

/// The response body for a request body, or `None` when nothing is to be answered (only
/// notifications).
fn process<H: RpcHandler>(body: &[u8], shared: &Shared<H>) -> Option<Vec<u8>> {
    let to_bytes = |value: &Value| serde_json::to_vec(value).expect("JSON values always serialize");
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(error) => {
            let error = JsonRpcError::new(JsonRpcError::PARSE_ERROR, format!("parse error: {error}"));
            return Some(to_bytes(&error_object(Value::Null, &error)));
        }
    };
    match value {
        Value::Array(requests) => {
            let refusal = if requests.is_empty() {
                Some("empty batch".to_string())
            } else if requests.len() > shared.max_batch {
                Some(format!("batch of {} requests is larger than {}", requests.len(), shared.max_batch))
            } else {
                None
            };
            if let Some(message) = refusal {
                let error = JsonRpcError::new(JsonRpcError::INVALID_REQUEST, message);
                return Some(to_bytes(&error_object(Value::Null, &error)));
            }
            let responses: Vec<Value> = requests.iter().filter_map(|request| call(request, shared)).collect();
            (!responses.is_empty()).then(|| to_bytes(&Value::Array(responses)))
        }
        request => call(&request, shared).map(|response| to_bytes(&response)),
    }
}

/// One request: its response object, or `None` for a notification.
fn call<H: RpcHandler>(request: &Value, shared: &Shared<H>) -> Option<Value> {
    let invalid = |id: Value, message: &str| {
        Some(error_object(id, &JsonRpcError::new(JsonRpcError::INVALID_REQUEST, message)))
    };
    let Some(fields) = request.as_object() else {
        return invalid(Value::Null, "a request must be a JSON object");
    };
    let id = match fields.get("id") {
        None => None,
        Some(id @ (Value::Null | Value::String(_) | Value::Number(_))) => Some(id.clone()),
        Some(_) => return invalid(Value::Null, "id must be a string, a number or null"),
    };
    let reply_id = || id.clone().unwrap_or(Value::Null);
    if fields.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return invalid(reply_id(), "jsonrpc must be \"2.0\"");
    }
    let Some(method) = fields.get("method").and_then(Value::as_str) else {
        return invalid(reply_id(), "method must be a string");
    };
    let empty = Value::Array(Vec::new());
    let params = match fields.get("params") {
        None | Some(Value::Null) => &empty,
        Some(params @ (Value::Array(_) | Value::Object(_))) => params,
        Some(_) => return invalid(reply_id(), "params must be an array or an object"),
    };
    let outcome = match catch_unwind(AssertUnwindSafe(|| shared.handler.handle(method, params))) {
        Ok(outcome) => outcome,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            log::error!("the handler panicked on {method}: {what}");
            Err(JsonRpcError::new(JsonRpcError::INTERNAL_ERROR, "internal error"))
        }
    };
    let id = id?;
    Some(match outcome {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(error) => error_object(id, &error),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> Shared<impl RpcHandler> {
        Shared {
            handler: |method: &str, params: &Value| match method {
                "echo" => Ok(params.clone()),
                "boom" => panic!("boom"),
                other => Err(JsonRpcError::method_not_found(other)),
            },
            max_body_bytes: 1024,
            max_batch: 3,
            body_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(1),
        }
    }

    fn answer(body: &str) -> Option<Value> {
        process(body.as_bytes(), &shared()).map(|bytes| serde_json::from_slice(&bytes).unwrap())
    }

    #[test]
    fn requests_and_errors() {
        let reply = answer(r#"{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]}"#).unwrap();
        assert_eq!(reply, json!({"jsonrpc": "2.0", "id": 1, "result": [1]}));
        let reply = answer(r#"{"jsonrpc":"2.0","id":"a","method":"echo"}"#).unwrap();
        assert_eq!(reply["result"], json!([]), "no params is an empty array");
        assert_eq!(answer("{oops").unwrap()["error"]["code"], -32700);
        assert_eq!(answer("{oops").unwrap()["id"], Value::Null);
        assert_eq!(answer(r#"{"jsonrpc":"2.0","id":1,"method":"nope"}"#).unwrap()["error"]["code"], -32601);
        assert_eq!(answer(r#"{"jsonrpc":"1.0","id":1,"method":"echo"}"#).unwrap()["error"]["code"], -32600);
        assert_eq!(answer(r#"{"jsonrpc":"2.0","id":1,"method":5}"#).unwrap()["error"]["code"], -32600);
        assert_eq!(answer(r#"{"jsonrpc":"2.0","id":1,"method":"echo","params":3}"#).unwrap()["id"], 1);
        assert_eq!(answer(r#"{"jsonrpc":"2.0","id":[1],"method":"echo"}"#).unwrap()["id"], Value::Null);
        assert_eq!(answer("7").unwrap()["error"]["code"], -32600);
    }

    #[test]
    fn batches_and_notifications() {
        assert_eq!(answer(r#"{"jsonrpc":"2.0","method":"echo"}"#), None);
        assert_eq!(answer("[]").unwrap()["error"]["code"], -32600);
        assert_eq!(answer("[1,1,1,1]").unwrap()["error"]["code"], -32600, "over max_batch");
        let reply = answer(
            r#"[{"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":1}},{"jsonrpc":"2.0","method":"echo"},2]"#,
        )
        .unwrap();
        let items = reply.as_array().unwrap();
        assert_eq!(items.len(), 2, "the notification has no response element");
        assert_eq!(items[0]["result"], json!({"a": 1}));
        assert_eq!(items[1]["error"]["code"], -32600);
        assert_eq!(answer(r#"[{"jsonrpc":"2.0","method":"echo"}]"#), None);
    }

    #[test]
    fn a_panicking_handler_answers_internal_error() {
        let reply =
            answer(r#"[{"jsonrpc":"2.0","id":1,"method":"boom"},{"jsonrpc":"2.0","id":2,"method":"echo"}]"#)
                .unwrap();
        assert_eq!(reply[0]["error"]["code"], -32603);
        assert_eq!(reply[1]["result"], json!([]));
    }

    #[test]
    fn json_content_types() {
        assert!(is_json(&HeaderValue::from_static("application/json")));
        assert!(is_json(&HeaderValue::from_static("Application/JSON; charset=utf-8")));
        assert!(!is_json(&HeaderValue::from_static("text/plain")));
    }
}
