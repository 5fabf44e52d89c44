//! What a transport must give the link: ordered frames in and out, and the peer's verified
//! identity. The session ([`super::session`]) does the rest (hello, resume, acks, spool,
//! duplicates, idle and rate limits), so every transport carries the same records with the
//! same guarantees.
//!
//! [`super::tls`] is the TLS 1.3 transport: one TCP connection per meter, a frame per line.
//! An MQTT broker fits the same two traits: a meter publishes its frames to its topic
//! `…/METER/up` and reads `…/METER/down` (QoS 1, one message per frame); the operator
//! subscribes to `…/+/up` and hands each meter's messages to that meter's session, with the
//! peer's identity taken from the topic, which the broker's ACLs bind to the meter's
//! certificate. At-least-once delivery and the broker's redeliveries are what the link's
//! sequence numbers and high-water marks are for; a transport must only keep each
//! direction's frames in order (one topic, one publisher, in-flight window 1, or ordered
//! topics).

use std::future::Future;

/// Why a transport could not read or write a frame.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// A frame longer than the limit arrived: the connection must be cut.
    #[error("a line of more than {limit} bytes")]
    TooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// A frame that is not UTF-8.
    #[error("a line that is not UTF-8")]
    NotUtf8,
    /// The connection failed (reset, TLS alert, broken).
    #[error("{0}")]
    Io(String),
}

/// The reading half: whole frames, in order.
pub trait FrameReader: Send + 'static {
    /// The next frame's text (without its line end), or `None` when the peer closed cleanly.
    fn read_frame(&mut self) -> impl Future<Output = Result<Option<String>, TransportError>> + Send;
}

/// The writing half: frames may be buffered until [`FrameWriter::flush`].
pub trait FrameWriter: Send + 'static {
    /// Queues one frame (text without its line end).
    fn write_frame(&mut self, frame: &str) -> impl Future<Output = Result<(), TransportError>> + Send;
    /// Sends what is queued.
    fn flush(&mut self) -> impl Future<Output = Result<(), TransportError>> + Send;
    /// Flushes and closes the connection cleanly.
    fn close(&mut self) -> impl Future<Output = Result<(), TransportError>> + Send;
}
