//! The operator–meter link: any NDJSON record stream carried between an operator and its
//! meters over mutual TLS, authenticated both ways, with nothing lost and nothing written
//! twice. `evlock-relay listen` (the operator) and `evlock-relay connect` (a meter) run it.
//!
//! The parts:
//!
//! - [`frame`]: the frames on the wire and the protocol below.
//! - [`transport`]: the small trait a transport implements (frames in, frames out); [`tls`]
//!   is the TLS 1.3 one. An MQTT broker can be another: the session on top is the same.
//! - [`session`]: the protocol engine of one connection: hello, resume, data, acks, limits.
//! - [`store`]: the fsynced spool of what is sent and not yet acknowledged (the listener's
//!   outbox is one too) and the persisted high-water marks of what was received, all on
//!   [`crate::wire::DurableLog`], compacted by atomic rotation.
//! - [`deliver`]: the one writer of received records (stdout, or a command's stdin), which
//!   drops duplicates and acknowledges what it wrote.
//! - [`peer`]: who a peer is (name and Kaia account from its verified certificate), `--allow`
//!   patterns, `--route` rules and `meta.to` destinations.
//! - [`limits`]: line size, rate, handshake and idle timeouts, connection caps.
//! - [`input`]: reading records from stdin (or a command), remembering how far a regular file
//!   was read so a restart resumes there.
//! - [`listen`] and [`connect`]: the two sides.
//!
//! # The link protocol, version 1
//!
//! Enough to write a compatible peer.
//!
//! **Transport.** TLS 1.3 over TCP, nothing older. Both sides present certificates that chain
//! to the operator's CA (`evlock-keygen tls`); the meter checks the operator's certificate
//! against the CA and the name it dialled, the operator checks the meter's against the CA and
//! its `--allow` list. A peer's *name* is its certificate's common name (else its first DNS
//! SAN); its *account* is the `kaia:0x…` URI SAN. ALPN `evlock-link/1` is offered by meters and
//! optional for other clients (plain `openssl s_client` works).
//!
//! **Framing.** Each frame is one JSON object on one line, UTF-8, ended by `\n`, with a
//! `"link"` field naming its type. A line longer than the receiver's limit (the record limit,
//! 64 KiB by default, plus 1 KiB for the frame) cuts the connection. Unknown fields are
//! ignored; an unknown frame type is a protocol error.
//!
//! | frame | meaning |
//! |---|---|
//! | `{"link":"hello","v":1,"stream":"S"}` | the first frame each side sends: `S` names its outgoing stream |
//! | `{"link":"ack","stream":"S","seq":N}` | every record of the peer's stream `S` up to `N` is written and flushed (cumulative) |
//! | `{"link":"data","seq":N,"record":{…}}` | record number `N` (1, 2, 3, …) of the sender's stream (shared mode adds `"stream":"S","floor":F`) |
//! | `{"link":"refused","seq":N,"code":"C","message":"M"}` | record `N` was taken but will not be written (an ack follows) |
//! | `{"link":"acks","stream":"S","seqs":[N,…]}` | shared mode over a broker ([`mqtt`]): these records of `S` are written, each on its own |
//! | `{"link":"ping"}` / `{"link":"pong"}` | keepalive when nothing else was sent for a third of the idle timeout |
//! | `{"link":"bye","code":"C","message":"M"}` | the sender closes the connection, saying why |
//!
//! **Streams and sequence numbers.** Each direction is a *stream*: a random id made when the
//! sender's spool is created, and records numbered from 1 without gaps. The sender keeps every
//! record in its fsynced spool until it is acknowledged; the receiver keeps, per peer and
//! stream, the highest number it has written (its *high-water mark*), fsynced before it acks.
//!
//! **Resume.** After the TLS handshake each side sends `hello`. On the peer's `hello`, a side
//! answers `ack` with its high-water mark for that stream (0 when it never saw it): that first
//! ack is the *resume point*. The sender then sends its spooled records after the resume
//! point, in order, then new ones as they come; it must not send data before the resume
//! point arrives. A record at or below the high-water mark is a duplicate: the receiver drops
//! it and acks again. A record above it is written, then acked; a gap (the receiver's state
//! was reset after the records before were acknowledged) is accepted and logged. So delivery
//! is at-least-once on the wire and exactly-once at the output.
//!
//! **Acks** are cumulative and sent after the receiver has written the records and flushed
//! its output; a sender may drop everything up to an ack from its spool. A sender may send
//! ahead without waiting for acks; the transport's flow control bounds it.
//!
//! **Meta.** The operator sets `meta.peer` (`{"name":…,"account":…}`) on every record it
//! writes from a meter, from the verified certificate; a record whose own `meta.peer` names
//! another peer is refused (`peer_mismatch`). A record the operator sends to a meter carries
//! `meta.peer` naming that meter, so a meter's answer (whose `meta` is carried from the record
//! it answers) routes back by itself. A meter's record with `meta.to` naming another peer is
//! forwarded there when a `--route` rule allows it, with `meta.from` naming the sender.
//! Both sides set `meta.link` (`{"stream":…,"seq":…}`, the record's place in the stream it
//! came on) on every record they write out; see below.
//!
//! **Closing.** A side that stops sends `bye` and closes TLS with `close_notify`. A side that
//! cuts a misbehaving peer (line too long, idle, protocol error, not allowed, too many
//! connections) sends `bye` with the reason as `code` when it can. Refusals that happen in the
//! TLS handshake (no certificate, unknown CA, expired, TLS 1.2) are TLS alerts.
//!
//! ## What "exactly once" rests on
//!
//! A record is acked only after it is written, flushed and its mark fsynced, and the sender
//! keeps it fsynced until then: no crash of either side loses an acknowledged record. Every
//! record written out carries **`meta.link`**, `{"stream":"S","seq":N}`: the stream and number it
//! had on the link ([`crate::wire::LinkMark`]; the receiver sets it, whatever the sender put
//! there). Between writing a record and recording its mark, the receiver depends on its output:
//!
//! - **A regular file** (`listen > records.ndjson`): the mark goes first, with the file's size
//!   at that moment; after a kill the receiver looks at the file, and the record counts as
//!   written only if the file grew past that size. The file is fsynced before the marks and the
//!   ack. **Exactly once**, whenever the kill falls.
//! - **A pipe**: each record is written with one write (a pipe takes up to 4 KiB in one piece,
//!   so a kill never leaves half a record in it, even while the reader lags), and its mark
//!   right after it, into the page cache, where a killed process leaves it. A pipe cannot be
//!   looked at afterwards, so one window is left: a receiver killed between those two writes (a
//!   few microseconds) writes that one record again after its restart, **at most one repeat per
//!   kill**, the same line with the same `meta.link`, right after its original in that stream.
//!   Every evlock tool reading records ([`crate::wire::RecordStream`]) drops it, as any reader
//!   can: a record whose `meta.link` and line equal the last one of its stream is a repeat. A
//!   reader that starts afresh with the restarted link (a new `connect --exec` pipeline, say) has
//!   no last record to compare with: where a repeat must never reach such a reader, write to a
//!   file, or keep the last `meta.link` of each stream with the reader's own state.
//!
//! Records forwarded between peers carry their origin into the outbox, so they have no such
//! window. What a sender reads from a pipe and has not spooled yet is lost if it is killed; a
//! regular file on its stdin is resumed where its spooled records end ([`input`]).

pub mod connect;
pub mod deliver;
pub mod frame;
pub mod input;
pub mod limits;
pub mod listen;
pub mod mqtt;
pub mod peer;
pub mod session;
pub mod store;
pub mod tls;
pub mod transport;

use std::path::PathBuf;
use std::time::Duration;

use crate::exit::{ErrorClass, ExitCode};
use crate::rpc::TlsConfigError;
use crate::wire::{LogError, OutputError};

/// Why a link side could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// A certificate, key or CA given is unusable.
    #[error("bad TLS settings")]
    TlsConfig(#[from] TlsConfigError),
    /// A certificate file could not be read or parsed.
    #[error(transparent)]
    Pki(#[from] crate::pki::PkiError),
    /// A file given on the command line cannot be read.
    #[error("cannot read {path}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An option's value is unusable (`--allow`, `--route`, `--to`).
    #[error("{0}")]
    BadOption(String),
    /// The listening address cannot be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The state folder (spool, outbox) cannot be created or locked.
    #[error("cannot use {path} as the link's state folder")]
    StateDir {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Another process holds the state folder.
    #[error("{path} is in use by another process (one link process per spool or outbox folder)")]
    StateBusy {
        /// The folder.
        path: PathBuf,
    },
    /// A spool, outbox or high-water-mark file is unreadable or cannot be appended to.
    #[error("the link's state")]
    Log(#[from] LogError),
    /// A spool or mark file holds a line that is not one of its entries.
    #[error("{path}, line {line}: {reason}")]
    BadState {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// The state files cannot be rotated (compacted).
    #[error("cannot rotate {path}")]
    Rotate {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The receiver already has more of this stream than the spool ever held: the spool was
    /// restored from an older copy.
    #[error(
        "{peer} has record {seen} of stream {stream}, but this spool only reached {last}: it was rolled back (move the folder away to start a new stream)"
    )]
    StreamConflict {
        /// The peer.
        peer: String,
        /// The stream.
        stream: String,
        /// The peer's high-water mark.
        seen: u64,
        /// The spool's last record.
        last: u64,
    },
    /// No link could be made for the `--give-up-after` time.
    #[error("gave up after {}: {last}", humantime::format_duration(*.after))]
    GaveUp {
        /// How long it tried.
        after: Duration,
        /// The last failure.
        last: String,
    },
    /// The runtime could not be started or the input could not be read.
    #[error("{what}")]
    Io {
        /// What failed.
        what: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The command of `connect --exec` cannot be started.
    #[error("cannot run the --exec command {command:?}")]
    Exec {
        /// The command.
        command: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Received records cannot be written out.
    #[error("cannot write received records")]
    Output(#[from] OutputError),
}

impl ErrorClass for LinkError {
    fn exit_code(&self) -> ExitCode {
        match self {
            LinkError::Bind { .. } | LinkError::GaveUp { .. } => ExitCode::Network,
            LinkError::Pki(error) => error.exit_code(),
            LinkError::Output(OutputError::Closed) => ExitCode::Success,
            _ => ExitCode::Usage,
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            LinkError::TlsConfig(_) => "tls_config",
            LinkError::Pki(error) => error.error_code(),
            LinkError::ReadFile { .. } => "unreadable_file",
            LinkError::BadOption(_) => "usage",
            LinkError::Bind { .. } => "bind",
            LinkError::StateDir { .. } => "state_dir",
            LinkError::StateBusy { .. } => "state_busy",
            LinkError::Log(error) => error.error_code(),
            LinkError::BadState { .. } => "log_corrupt",
            LinkError::Rotate { .. } => "log_rotate",
            LinkError::StreamConflict { .. } => "stream_conflict",
            LinkError::GaveUp { .. } => "gave_up",
            LinkError::Io { .. } => "io",
            LinkError::Exec { .. } => "exec",
            LinkError::Output(OutputError::Closed) => "broken_pipe",
            LinkError::Output(_) => "output",
        }
    }
}

/// Installs rustls's `ring` provider as the process default (the link builds its
/// configurations with it explicitly too).
pub fn install_provider() {
    crate::rpc::tls::install_default_provider();
}
