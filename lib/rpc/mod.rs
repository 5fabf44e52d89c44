//! JSON-RPC 2.0 over HTTP(S): a blocking client for Kaia nodes and a server for local chains.
//!
//! - [`RpcClient`] ([`client`]): one or more endpoints with fail-over, per-request timeouts,
//!   retries with exponential backoff on transport errors only, a custom CA added to the webpki
//!   roots, and client certificates (mutual TLS). There is no way to skip certificate checks.
//!   Typed helpers cover what the tools need (`eth_chainId`, nonces, gas, raw transactions,
//!   receipts, logs); [`NonceTracker`] numbers a stream of transactions per sender.
//! - [`start`] ([`server`]): a JSON-RPC server over HTTP/1.1 or HTTPS (optionally requiring
//!   client certificates), generic over an [`RpcHandler`]. Batches, notifications, size limits
//!   and handler panics are dealt with; the handler only sees one `(method, params)` at a time.
//! - [`tls`]: PEM loading and the rustls configurations both sides use (rustls on `ring`).
//!
//! ```no_run
//! use evlock::rpc::{ClientOptions, RpcClient};
//! let client = RpcClient::new(ClientOptions::new(["http://127.0.0.1:8551/"]))?;
//! let height = client.block_number()?;
//! # Ok::<(), evlock::rpc::RpcError>(())
//! ```

pub mod client;
pub mod server;
pub mod tls;
mod types;

pub use client::{ClientOptions, NonceTracker, RpcClient, RpcError, send_method};
pub use server::{RpcHandler, ServerError, ServerHandle, ServerOptions, ShutdownTrigger, start};
pub use tls::TlsConfigError;
pub use types::{JsonRpcError, Log, Receipt, revert_reason};
