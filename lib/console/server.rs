//! The console's web server: HTTP/1.1, or HTTPS with rustls (optionally requiring client
//! certificates from a CA), on a small tokio runtime of its own (hyper 1), like the JSON-RPC
//! server of [`crate::rpc::server`] and with its TLS configuration ([`crate::rpc::tls`]).
//!
//! Every response carries a strict Content-Security-Policy (no inline script or style, nothing
//! from elsewhere), `X-Content-Type-Options: nosniff`, no referrer and no framing. A console
//! bound to loopback answers only requests for a loopback host name (`localhost`,
//! `127.0.0.1`, `[::1]`), so a web page elsewhere cannot reach it through DNS rebinding. The
//! only POST endpoints, with `--allow-actions`, build unsigned `tx` records; they refuse
//! cross-origin requests.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body::Frame;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio_rustls::TlsAcceptor;

use super::html::{self, Page};
use super::{Console, ConsoleError, actions, views};
use crate::rpc::server::{BindFailure, Bound, bind};
use crate::rpc::{RpcClient, tls};
use crate::trade::ChainParams;

const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/console.js");
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/// The largest form a POST may send.
const MAX_FORM_BYTES: usize = 16 * 1024;
/// A comment line on idle event streams, so proxies and browsers keep them open.
const KEEPALIVE: Duration = Duration::from_secs(15);
/// The shortest time between two updates on one event stream: a burst of changes is one
/// update.
const MIN_UPDATE_INTERVAL: Duration = Duration::from_millis(200);

/// How and where to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The address to listen on (`127.0.0.1:0` picks a free port).
    pub bind: SocketAddr,
    /// HTTPS: the PEM certificate chain and PEM private key.
    pub tls: Option<(Vec<u8>, Vec<u8>)>,
    /// With `tls`: PEM CA certificates; every client must present a certificate issued by one
    /// of them, or the handshake is refused.
    pub client_ca: Option<Vec<u8>>,
    /// The most connections served at once (default 256); more wait to be accepted.
    pub max_connections: usize,
    /// The most event streams open at once (default 64); more get HTTP 503.
    pub max_streams: usize,
    /// How long a connection may wait for a request's headers (default 30 s).
    pub header_timeout: Duration,
    /// How long a TLS handshake may take (default 10 s).
    pub handshake_timeout: Duration,
    /// Worker threads (default 2).
    pub threads: usize,
}

impl ServeOptions {
    /// Plain HTTP on `bind` with the default limits.
    pub fn new(bind: SocketAddr) -> Self {
        ServeOptions {
            bind,
            tls: None,
            client_ca: None,
            max_connections: 256,
            max_streams: 64,
            header_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(10),
            threads: 2,
        }
    }
}

/// A running console server. Dropping it shuts the server down.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    https: bool,
    stop: Arc<watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// The address it listens on (with the port chosen for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL to open: `http://127.0.0.1:PORT/` or `https://…` (a wildcard bind address is
    /// shown as loopback).
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

    /// Stops accepting, ends event streams, and waits for the server's threads.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.stop.send_replace(true);
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

/// What request handlers share.
struct Shared {
    console: Arc<Console>,
    client: Arc<RpcClient>,
    params: ChainParams,
    loopback: bool,
    streams: Arc<Semaphore>,
    stop: watch::Receiver<bool>,
}

/// Binds `options.bind` and serves `console` until the handle is shut down or dropped.
/// `client` and `params` serve the transaction pages and, with actions on, build `tx` records.
pub fn start(
    options: ServeOptions,
    console: Arc<Console>,
    client: Arc<RpcClient>,
    params: ChainParams,
) -> Result<ServerHandle, ConsoleError> {
    let acceptor = match (&options.tls, &options.client_ca) {
        (Some((cert, key)), client_ca) => {
            Some(TlsAcceptor::from(Arc::new(tls::server_config(cert, key, client_ca.as_deref())?)))
        }
        (None, Some(_)) => return Err(ConsoleError::ClientCaWithoutTls),
        (None, None) => None,
    };
    let Bound { runtime, listener, addr } =
        bind(options.bind, options.threads, "evlock-console").map_err(|failure| match failure {
            BindFailure::Runtime(source) => ConsoleError::Runtime(source),
            BindFailure::Bind(source) => ConsoleError::Bind { addr: options.bind, source },
        })?;
    let (stop, stopped) = watch::channel(false);
    let shared = Arc::new(Shared {
        console,
        client,
        params,
        loopback: addr.ip().is_loopback(),
        streams: Arc::new(Semaphore::new(options.max_streams.max(1))),
        stop: stopped.clone(),
    });
    let limits = (options.max_connections.max(1), options.handshake_timeout, options.header_timeout);
    let thread = std::thread::Builder::new()
        .name("evlock-console-accept".into())
        .spawn(move || {
            runtime.block_on(accept_loop(listener, acceptor, shared, stopped, limits));
            runtime.shutdown_timeout(Duration::from_secs(1));
        })
        .map_err(ConsoleError::Runtime)?;
    Ok(ServerHandle { addr, https: options.tls.is_some(), stop: Arc::new(stop), thread: Some(thread) })
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    acceptor: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    (max_connections, handshake_timeout, header_timeout): (usize, Duration, Duration),
) {
    let permits = Arc::new(Semaphore::new(max_connections));
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            _ = stopped(&mut stop) => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    log::warn!("accept failed: {error}");
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
        tokio::spawn(async move {
            let _permit = permit;
            match acceptor {
                None => serve(stream, shared, stop, header_timeout).await,
                Some(acceptor) => {
                    match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => serve(stream, shared, stop, header_timeout).await,
                        // A client without a certificate from the client CA ends here.
                        Ok(Err(error)) => log::info!("TLS handshake with {peer} refused: {error}"),
                        Err(_) => log::debug!("TLS handshake with {peer} timed out"),
                    }
                }
            }
        });
    }
}

async fn serve<S>(stream: S, shared: Arc<Shared>, mut stop: watch::Receiver<bool>, header_timeout: Duration)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(secured(respond(request, &shared).await)) }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
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
            let _ = tokio::time::timeout(Duration::from_secs(1), connection).await;
        }
    }
}

type Body = BoxBody<Bytes, Infallible>;
type Reply = Response<Body>;

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

fn reply(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Reply {
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn html_reply(status: StatusCode, markup: maud::Markup) -> Reply {
    reply(status, "text/html; charset=utf-8", markup.into_string())
}

fn json_reply(value: &serde_json::Value) -> Reply {
    let body = serde_json::to_vec(value).expect("JSON values serialize");
    reply(StatusCode::OK, "application/json", body)
}

fn error_reply(status: StatusCode, message: &str) -> Reply {
    let title = status.canonical_reason().unwrap_or("Error");
    html_reply(status, html::error_page(&format!("{} {title}", status.as_u16()), message))
}

/// The headers every response carries.
fn secured(mut response: Reply) -> Reply {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Not `no-referrer`: with it, browsers send `Origin: null` on the console's own forms.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The host part of a `Host` header value (`[::1]:8080` → `[::1]`, `localhost:80` → `localhost`).
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// Whether a loopback console may answer a request for this host: only loopback names, so
/// that a page elsewhere whose name resolves to 127.0.0.1 (DNS rebinding) is refused.
fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else { return false };
    let name = host_name(host).to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") || name == "[::1]" {
        return true;
    }
    name.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether a POST comes from the console's own pages: the browser says so
/// (`Sec-Fetch-Site: same-origin`), or its `Origin` names the host the request was sent to.
/// A request without either (a script, curl) is no cross-site request and passes.
fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return site == "same-origin";
    }
    match (text(header::ORIGIN), text(header::HOST)) {
        (None, _) => true,
        (Some(origin), Some(host)) => {
            origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host)
        }
        (Some(_), None) => false,
    }
}

fn query_param(query: Option<&str>, key: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes()).find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
}

async fn respond(request: Request<Incoming>, shared: &Arc<Shared>) -> Reply {
    if shared.loopback && !loopback_host(request.headers()) {
        return error_reply(
            StatusCode::MISDIRECTED_REQUEST,
            "This console answers only for localhost, 127.0.0.1 and [::1].",
        );
    }
    let path = request.uri().path().to_string();
    match *request.method() {
        Method::GET => get(&path, request.uri().query(), shared).await,
        Method::POST if path.starts_with("/actions/") => post(&path, request, shared).await,
        Method::POST => error_reply(StatusCode::METHOD_NOT_ALLOWED, "Only /actions/… take POST."),
        _ => {
            let mut response =
                error_reply(StatusCode::METHOD_NOT_ALLOWED, "This console takes GET and POST.");
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
            response
        }
    }
}

async fn get(path: &str, query: Option<&str>, shared: &Arc<Shared>) -> Reply {
    let console = &shared.console;
    match path {
        "/" => {
            let mut response = reply(StatusCode::SEE_OTHER, "text/plain; charset=utf-8", "see /market\n");
            response.headers_mut().insert(header::LOCATION, HeaderValue::from_static("/market"));
            response
        }
        "/market" => html_reply(StatusCode::OK, html::page(&console.read(), Page::Market)),
        "/meters" => html_reply(StatusCode::OK, html::page(&console.read(), Page::Meters)),
        "/market.json" => json_reply(&views::market_json(&console.read())),
        "/meters.json" => json_reply(&views::meters_json(&console.read())),
        "/console.css" => asset("text/css; charset=utf-8", CSS),
        "/console.js" => asset("text/javascript; charset=utf-8", JS),
        // Browsers ask for it on every first visit; there is none.
        "/favicon.ico" => reply(StatusCode::NO_CONTENT, "image/x-icon", Bytes::new()),
        "/events" => {
            let page = match query_param(query, "page").as_deref() {
                Some("market") | None => Page::Market,
                Some("meters") => Page::Meters,
                Some(_) => return error_reply(StatusCode::NOT_FOUND, "The pages are market and meters."),
            };
            events(page, shared)
        }
        _ => {
            if let Some(rest) = path.strip_prefix("/status/")
                && let Some((what, id)) = rest.split_once('/')
            {
                return match views::status_json(&console.read(), what, id) {
                    Some(record) => json_reply(&record),
                    None => error_reply(
                        StatusCode::NOT_FOUND,
                        "The console knows no such offer, trade or account.",
                    ),
                };
            }
            if let Some(hash) = path.strip_prefix("/tx/") {
                return tx_page(hash, shared).await;
            }
            error_reply(StatusCode::NOT_FOUND, "The console serves /market and /meters.")
        }
    }
}

fn asset(content_type: &'static str, text: &'static str) -> Reply {
    let mut response = reply(StatusCode::OK, content_type, text);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=300"));
    response
}

async fn tx_page(hash: &str, shared: &Arc<Shared>) -> Reply {
    let Ok(parsed) = hash.parse::<alloy_primitives::B256>() else {
        return error_reply(StatusCode::NOT_FOUND, "A transaction hash is 0x and 64 hex digits.");
    };
    let client = shared.client.clone();
    let receipt = tokio::task::spawn_blocking(move || client.get_transaction_receipt(parsed))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| crate::exit::error_chain(&e)));
    html_reply(StatusCode::OK, html::tx_page(&shared.console.read(), &parsed.to_string(), receipt))
}

/// An event stream's body: what its task sends, frame by frame.
struct EventStream {
    frames: mpsc::Receiver<Bytes>,
    _permit: OwnedSemaphorePermit,
}

impl http_body::Body for EventStream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.frames.poll_recv(cx).map(|frame| frame.map(|bytes| Ok(Frame::data(bytes))))
    }
}

/// One server-sent event named `update` whose data is `text` (its lines as `data:` lines).
fn sse_update(text: &str) -> Bytes {
    let mut event = String::with_capacity(text.len() + 32);
    event.push_str("event: update\n");
    for line in text.split(['\n', '\r']) {
        event.push_str("data: ");
        event.push_str(line);
        event.push('\n');
    }
    event.push('\n');
    Bytes::from(event)
}

fn events(page: Page, shared: &Arc<Shared>) -> Reply {
    let Ok(permit) = shared.streams.clone().try_acquire_owned() else {
        return error_reply(StatusCode::SERVICE_UNAVAILABLE, "Too many live pages are open; reload later.");
    };
    let (sender, frames) = mpsc::channel::<Bytes>(4);
    let console = shared.console.clone();
    let mut changes = console.subscribe();
    let mut stop = shared.stop.clone();
    tokio::spawn(async move {
        if sender.send(Bytes::from_static(b"retry: 2000\n\n")).await.is_err() {
            return;
        }
        loop {
            // Mark the version seen before rendering: a change during rendering wakes us again.
            changes.borrow_and_update();
            let fragment = page.fragment(&console.read()).into_string();
            if sender.send(sse_update(&fragment)).await.is_err() {
                return; // the page is gone
            }
            tokio::time::sleep(MIN_UPDATE_INTERVAL).await;
            loop {
                tokio::select! {
                    changed = changes.changed() => {
                        if changed.is_err() { return; }
                        break;
                    }
                    _ = tokio::time::sleep(KEEPALIVE) => {
                        if sender.send(Bytes::from_static(b": keep-alive\n\n")).await.is_err() { return; }
                    }
                    _ = stopped(&mut stop) => return,
                }
            }
        }
    });
    let mut response = Response::new(EventStream { frames, _permit: permit }.boxed());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn post(path: &str, request: Request<Incoming>, shared: &Arc<Shared>) -> Reply {
    if !shared.console.read().settings.actions {
        return error_reply(
            StatusCode::NOT_FOUND,
            "Actions are off: the console was started without --allow-actions.",
        );
    }
    if !same_origin(request.headers()) {
        return error_reply(StatusCode::FORBIDDEN, "Actions are taken from the console's own pages only.");
    }
    let is_form =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
            v.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return error_reply(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Actions take a form (application/x-www-form-urlencoded).",
        );
    }
    let body = match Limited::new(request.into_body(), MAX_FORM_BYTES).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return error_reply(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large."),
    };
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let action = match path {
        "/actions/offer" => actions::Kind::Offer,
        "/actions/buy" => actions::Kind::Buy,
        _ => return error_reply(StatusCode::NOT_FOUND, "The actions are /actions/offer and /actions/buy."),
    };
    let (head, offers) = {
        let model = shared.console.read();
        (model.chain.head, model.offers.iter().map(|(id, o)| (*id, o.state.clone())).collect())
    };
    let client = shared.client.clone();
    let params = shared.params.clone();
    let (contract, v2) = {
        let settings = &shared.console.read().settings;
        (settings.contract, settings.grace_blocks.is_some())
    };
    let built = tokio::task::spawn_blocking(move || {
        actions::build(&client, params, contract, action, &form, head, &offers, v2)
    })
    .await;
    match built {
        Ok(Ok((name, ndjson))) => {
            let mut response = reply(StatusCode::OK, "application/x-ndjson", ndjson);
            let disposition = format!("attachment; filename=\"{name}\"");
            response.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).expect("a plain file name"),
            );
            response
        }
        Ok(Err(actions::ActionError::Form(message))) => error_reply(StatusCode::BAD_REQUEST, &message),
        Ok(Err(actions::ActionError::Node(message))) => error_reply(StatusCode::BAD_GATEWAY, &message),
        Err(error) => error_reply(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn only_loopback_host_names_reach_a_loopback_console() {
        for host in
            ["localhost:8080", "127.0.0.1:8080", "127.1.2.3", "[::1]:8080", "LOCALHOST", "app.localhost:1"]
        {
            assert!(loopback_host(&headers(&[("host", host)])), "{host}");
        }
        for host in ["evil.example:8080", "10.0.0.1:8080", "[::2]:80", "127.0.0.1.evil.example", ""] {
            assert!(!loopback_host(&headers(&[("host", host)])), "{host}");
        }
        assert!(!loopback_host(&HeaderMap::new()), "no Host header");
    }

    #[test]
    fn actions_refuse_other_origins() {
        assert!(same_origin(&headers(&[("host", "127.0.0.1:8080")])), "curl sends no Origin");
        assert!(same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080")])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://evil.example")])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "null")])));
        assert!(same_origin(&headers(&[
            ("host", "h:1"),
            ("origin", "null"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "h:1"),
            ("origin", "http://h:1"),
            ("sec-fetch-site", "cross-site")
        ])));
    }

    #[test]
    fn server_sent_events_split_every_line() {
        let event = sse_update("<p>a</p>\n<p>b\r\nc</p>");
        assert_eq!(
            String::from_utf8(event.to_vec()).unwrap(),
            "event: update\ndata: <p>a</p>\ndata: <p>b\ndata: \ndata: c</p>\n\n"
        );
    }
}
