//! The TLS transport: TLS 1.3 only, on rustls with `ring`, certificates required both ways and
//! checked against the operator's CA; a frame per line over the stream.
//!
//! The listener's client verifier is rustls's `WebPkiClientVerifier` (the certificate must
//! chain to `--client-ca`, be valid now and be meant for TLS clients); a meter checks the
//! operator's certificate against `--ca` and the name it dialled. Nothing else is trusted: not
//! the web roots, not the system store.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::server::WebPkiClientVerifier;
use rustls::{AlertDescription, CertificateError, ClientConfig, RootCertStore, ServerConfig};
use sha2::{Digest, Sha256};
use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, BufWriter, ReadHalf, WriteHalf,
};
use tokio::net::TcpStream;

use super::frame::ALPN;
use super::transport::{FrameReader, FrameWriter, TransportError};
use crate::pki::Identity;
use crate::rpc::TlsConfigError;
use crate::rpc::tls::{certificates, private_key, provider};

fn roots(pem: &[u8], what: &'static str) -> Result<RootCertStore, TlsConfigError> {
    let mut store = RootCertStore::empty();
    for cert in certificates(pem, what)? {
        store.add(cert).map_err(|source| TlsConfigError::BadCa { what, source })?;
    }
    Ok(store)
}

/// The listener's configuration: TLS 1.3 only, a client certificate from `client_ca_pem`
/// required, ALPN `evlock-link/1` (clients that offer no ALPN are served too).
pub fn server_config(
    cert_pem: &[u8],
    key_pem: &[u8],
    client_ca_pem: &[u8],
) -> Result<Arc<ServerConfig>, TlsConfigError> {
    let provider = provider();
    let verifier = WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots(client_ca_pem, "client CA")?),
        provider.clone(),
    )
    .build()
    .map_err(TlsConfigError::Verifier)?;
    let chain = certificates(cert_pem, "server certificate")?;
    let key = private_key(key_pem, "server key")?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("the ring provider supports TLS 1.3")
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|source| TlsConfigError::Identity { what: "server", source })?;
    config.alpn_protocols = vec![ALPN.to_vec()];
    Ok(Arc::new(config))
}

/// A meter's configuration: TLS 1.3 only, only `ca_pem` trusted, its certificate and key.
pub fn client_config(
    ca_pem: &[u8],
    cert_pem: &[u8],
    key_pem: &[u8],
) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let chain = certificates(cert_pem, "client certificate")?;
    let key = private_key(key_pem, "client key")?;
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("the ring provider supports TLS 1.3")
        .with_root_certificates(roots(ca_pem, "CA")?)
        .with_client_auth_cert(chain, key)
        .map_err(|source| TlsConfigError::Identity { what: "client", source })?;
    config.alpn_protocols = vec![ALPN.to_vec()];
    Ok(Arc::new(config))
}

/// Which side describes a TLS failure (the wording says whose certificate is meant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The listener, describing a meter's handshake.
    Operator,
    /// A meter, describing the operator's.
    Meter,
}

/// A TLS failure in words a person can act on, with rustls's own words in brackets.
pub fn describe_tls(error: &rustls::Error, side: Side) -> String {
    use rustls::Error as E;
    let theirs = match side {
        Side::Operator => "the meter's certificate",
        Side::Meter => "the operator's certificate",
    };
    match (error, side) {
        (E::NoCertificatesPresented, _) => "the client sent no certificate (a client certificate is required)".into(),
        (E::InvalidCertificate(cert), _) => match cert {
            CertificateError::UnknownIssuer => format!("{theirs} is not issued by a trusted CA (unknown issuer)"),
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => format!("{theirs} is outside its validity period ({cert})"),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!("{theirs} is not valid for the name dialled ({cert}); --server-name gives another")
            }
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                format!("{theirs} is not meant for this use ({cert}): issue it with --client or --server")
            }
            other => format!("{theirs} is refused ({other})"),
        },
        (E::AlertReceived(alert), Side::Meter) => match alert {
            AlertDescription::CertificateRequired => "the operator requires a client certificate (alert CertificateRequired)".into(),
            AlertDescription::UnknownCA => {
                "the operator does not trust our certificate: it is not issued by its client CA (alert UnknownCA)".into()
            }
            AlertDescription::CertificateExpired => {
                "the operator says our certificate is expired or not yet valid (alert CertificateExpired)".into()
            }
            AlertDescription::ProtocolVersion => "the operator refused our TLS version: the link is TLS 1.3 only (alert ProtocolVersion)".into(),
            other => format!("the operator refused the handshake (alert {other:?})"),
        },
        (E::AlertReceived(alert), Side::Operator) => match alert {
            AlertDescription::UnknownCA | AlertDescription::BadCertificate | AlertDescription::CertificateUnknown => {
                format!("the client refused our certificate (alert {alert:?}): it does not trust our CA or name")
            }
            other => format!("the client ended the handshake (alert {other:?})"),
        },
        (E::PeerIncompatible(why), Side::Operator) => format!("the client does not speak TLS 1.3 ({why:?})"),
        (E::PeerIncompatible(why), Side::Meter) => format!("the operator does not speak TLS 1.3 ({why:?})"),
        (other, _) => other.to_string(),
    }
}

/// An I/O error of a TLS stream in words (the rustls error inside, when there is one).
pub fn describe(error: &io::Error, side: Side) -> String {
    match error.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        Some(tls) => describe_tls(tls, side),
        None if error.kind() == io::ErrorKind::UnexpectedEof => {
            "the connection closed in the handshake".into()
        }
        None => error.to_string(),
    }
}

/// The reading half of a TLS (or any byte) stream: lines of at most `max` bytes.
pub struct LineReader<R> {
    inner: BufReader<R>,
    line: Vec<u8>,
    max: usize,
    side: Side,
}

impl<R: AsyncRead + Unpin + Send + 'static> LineReader<R> {
    /// Reads lines of at most `max` bytes from `inner`.
    pub fn new(inner: R, max: usize, side: Side) -> Self {
        LineReader { inner: BufReader::with_capacity(8 * 1024, inner), line: Vec::new(), max, side }
    }
}

impl<R: AsyncRead + Unpin + Send + 'static> FrameReader for LineReader<R> {
    async fn read_frame(&mut self) -> Result<Option<String>, TransportError> {
        self.line.clear();
        loop {
            let available =
                self.inner.fill_buf().await.map_err(|e| TransportError::Io(describe(&e, self.side)))?;
            if available.is_empty() {
                return if self.line.is_empty() {
                    Ok(None)
                } else {
                    Err(TransportError::Io("the connection closed in the middle of a line".into()))
                };
            }
            let newline = available.iter().position(|&b| b == b'\n');
            let chunk = &available[..newline.unwrap_or(available.len())];
            if self.line.len() + chunk.len() > self.max {
                return Err(TransportError::TooLong { limit: self.max });
            }
            self.line.extend_from_slice(chunk);
            let used = chunk.len() + usize::from(newline.is_some());
            self.inner.consume(used);
            if newline.is_some() {
                if self.line.last() == Some(&b'\r') {
                    self.line.pop();
                }
                let line = std::mem::take(&mut self.line);
                return String::from_utf8(line).map(Some).map_err(|_| TransportError::NotUtf8);
            }
        }
    }
}

/// The writing half: frames buffered, sent on flush.
pub struct LineWriter<W> {
    inner: BufWriter<W>,
    side: Side,
}

impl<W: AsyncWrite + Unpin + Send + 'static> LineWriter<W> {
    /// Writes lines to `inner`.
    pub fn new(inner: W, side: Side) -> Self {
        LineWriter { inner: BufWriter::with_capacity(16 * 1024, inner), side }
    }
}

impl<W: AsyncWrite + Unpin + Send + 'static> FrameWriter for LineWriter<W> {
    async fn write_frame(&mut self, frame: &str) -> Result<(), TransportError> {
        let side = self.side;
        let error = |e: io::Error| TransportError::Io(describe(&e, side));
        self.inner.write_all(frame.as_bytes()).await.map_err(error)?;
        self.inner.write_all(b"\n").await.map_err(error)
    }

    async fn flush(&mut self) -> Result<(), TransportError> {
        let side = self.side;
        self.inner.flush().await.map_err(|e| TransportError::Io(describe(&e, side)))
    }

    async fn close(&mut self) -> Result<(), TransportError> {
        let side = self.side;
        self.inner.flush().await.map_err(|e| TransportError::Io(describe(&e, side)))?;
        self.inner.shutdown().await.map_err(|e| TransportError::Io(describe(&e, side)))
    }
}

/// An established TLS connection, split for the session.
pub type Halves<S> = (LineReader<ReadHalf<S>>, LineWriter<WriteHalf<S>>);

/// The peer's identity and the SHA-256 fingerprint of its leaf certificate.
pub fn peer_identity(
    certs: Option<&[rustls::pki_types::CertificateDer<'_>]>,
) -> Result<(Identity, String), String> {
    let leaf = certs.and_then(|c| c.first()).ok_or("no certificate after the handshake")?;
    let identity = crate::pki::identity(leaf).map_err(|e| crate::exit::error_chain(&e))?;
    Ok((identity, hex::encode(Sha256::digest(leaf))))
}

/// Dials `to` (HOST:PORT) and completes the TLS handshake within `timeout`; the halves and
/// the operator's identity, or why not (in words).
pub async fn dial(
    to: &str,
    server_name: &ServerName<'static>,
    config: Arc<ClientConfig>,
    timeout: Duration,
    max_frame: usize,
) -> Result<(Halves<tokio_rustls::client::TlsStream<TcpStream>>, Identity), String> {
    let attempt = async {
        let addresses = tokio::net::lookup_host(to).await.map_err(|e| format!("cannot resolve {to}: {e}"))?;
        let mut last = format!("{to} resolves to no address");
        let mut tcp = None;
        for address in addresses {
            match TcpStream::connect(address).await {
                Ok(stream) => {
                    tcp = Some(stream);
                    break;
                }
                Err(e) => last = format!("cannot connect to {address}: {e}"),
            }
        }
        let tcp = tcp.ok_or(last)?;
        let _ = tcp.set_nodelay(true);
        let connector = tokio_rustls::TlsConnector::from(config);
        let stream = connector
            .connect(server_name.clone(), tcp)
            .await
            .map_err(|e| format!("TLS handshake with {to} failed: {}", describe(&e, Side::Meter)))?;
        let (identity, _) = peer_identity(stream.get_ref().1.peer_certificates())?;
        let (read, write) = tokio::io::split(stream);
        Ok(((LineReader::new(read, max_frame, Side::Meter), LineWriter::new(write, Side::Meter)), identity))
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "no TLS connection to {to} within {} (--handshake-timeout)",
            humantime::format_duration(timeout)
        )),
    }
}

/// How an incoming handshake ended.
#[allow(clippy::large_enum_variant)] // made once per connection and taken apart at once
pub enum Accepted {
    /// A verified client: the halves, its identity and its leaf's fingerprint.
    Ok(Halves<tokio_rustls::server::TlsStream<TcpStream>>, Identity, String),
    /// Refused, and why.
    Refused(String),
}

/// Completes the server side of a handshake within `timeout`.
pub async fn accept(
    acceptor: &tokio_rustls::TlsAcceptor,
    tcp: TcpStream,
    timeout: Duration,
    max_frame: usize,
) -> Accepted {
    let _ = tcp.set_nodelay(true);
    match tokio::time::timeout(timeout, acceptor.accept(tcp)).await {
        Err(_) => Accepted::Refused(format!(
            "no TLS handshake within {} (--handshake-timeout)",
            humantime::format_duration(timeout)
        )),
        Ok(Err(e)) => Accepted::Refused(format!("TLS handshake failed: {}", describe(&e, Side::Operator))),
        Ok(Ok(stream)) => match peer_identity(stream.get_ref().1.peer_certificates()) {
            Err(e) => Accepted::Refused(e),
            Ok((identity, fingerprint)) => {
                let (read, write) = tokio::io::split(stream);
                Accepted::Ok(
                    (
                        LineReader::new(read, max_frame, Side::Operator),
                        LineWriter::new(write, Side::Operator),
                    ),
                    identity,
                    fingerprint,
                )
            }
        },
    }
}

/// The name a meter checks the operator's certificate against: `--server-name`, else the
/// host of `--to`.
pub fn server_name(to: &str, explicit: Option<&str>) -> Result<ServerName<'static>, String> {
    let host = match explicit {
        Some(name) => name.to_string(),
        None => {
            let (host, _) = to.rsplit_once(':').ok_or_else(|| format!("--to {to:?}: write HOST:PORT"))?;
            host.trim_start_matches('[').trim_end_matches(']').to_string()
        }
    };
    ServerName::try_from(host.clone())
        .map_err(|_| format!("{host:?} is neither a DNS name nor an IP address"))
}
