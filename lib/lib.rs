//! # evlock — secure peer-to-peer energy trading on Kaia
//!
//! evlock is a toolkit of small Unix tools that together implement the Evlock system: smart
//! meters that sell and buy energy, a contract on the Kaia blockchain that escrows the buyer's
//! money and pays the seller for what both meters say was delivered, signing keys that never
//! leave their keystore (or TEE), and sensor self-checks against the meter attacks of the paper.
//!
//! ## The tools
//!
//! | tool | reads | writes | job |
//! |---|---|---|---|
//! | `evlock-keygen` | args | `key` records, keystores | BIP-39 mnemonics, BIP-32/44 keys, encrypted keystores |
//! | `evlock-sign` | `tx` records | `signed_tx` records | signs Kaia transactions under a signing policy |
//! | `evlock-relay` | `signed_tx` records, raw hex | `receipt` records | submits to a Kaia (or any EVM) JSON-RPC endpoint |
//! | `evlock-relay listen`/`connect` | any records | any records | the operator–meter link over mutual TLS |
//! | `evlock-trade` | args, `reading` records | `tx`, `status` records | builds EnergyMarket calls |
//! | `evlock-sense` | a meter device | `reading`, `alarm` records | reads meters, runs health checks |
//! | `evlock-calibrate` | a meter, a certificate | `calibration` records | commissions and checks meters |
//! | `evlock-devnet` | — | JSON-RPC on loopback | a local Kaia-compatible chain |
//!
//! They pipe NDJSON to each other, one record per line:
//!
//! ```text
//! evlock-trade offer --energy 500Wh --price 2ston/Wh | evlock-sign --key seller.json | evlock-relay submit
//! ```
//!
//! ## Where each module fits
//!
//! The library is a house of rooms on floors; a room imports only rooms on lower floors, and
//! nothing imports [`cli`] or [`tools`] but the tools themselves (`docs/architecture.md`
//! draws it; `tests/house_rules.rs` holds the rules against the code).
//!
//! - The ground: [`exit`] (exit codes, [`exit::ErrorClass`], [`exit::Failure`]) and
//!   [`interrupt`] (Ctrl-C and SIGTERM). They import nothing of the crate.
//! - [`wire`]: every record type that crosses a pipe, the one stdout writer
//!   ([`wire::Output`]), the NDJSON reader ([`wire::RecordStream`]) and the one durable log
//!   type ([`wire::DurableLog`]) of the audit log, the delivery journal and the devnet state.
//! - [`units`]: KAIA amounts (peb, ston, KAIA) and energy (Wh, kWh, MWh) for humans.
//! - [`keys`]: mnemonics, HD derivation, keystores (Web3 Secret Storage v3, Kaia KIP-3 v4),
//!   password sources and secret-file handling.
//! - [`kaia`]: Kaia transactions: every type, fee delegation, RLP, hashes, signer recovery,
//!   the `tx` record's field table, Kaia's protocol constants, revert reasons.
//! - [`rpc`]: JSON-RPC 2.0 over HTTP(S): the client (fail-over, retries, TLS, mTLS) and the
//!   server every local chain is served by.
//! - [`meter`]: meter drivers (Modbus RTU, INA228/INA229, ACS712 on IIO, GPIO relay,
//!   simulator), device URIs, the health checks run on every reading, metering sessions.
//! - [`market`]: the EnergyMarket contract: bindings from its ABI, call data, events.
//! - [`policy`]: the signing policy (TOML) every signature is checked against.
//! - [`audit`]: the fsynced audit log of signing requests.
//! - [`signer`]: the `Signer` trait (digest in, signature out), its backends, and the signing
//!   session `evlock-sign` runs.
//! - [`devnet`]: the local Kaia-compatible chain on revm behind `evlock-devnet`.
//! - [`relay`]: submitting signed transactions (the raw bytes are the truth) and collecting
//!   their receipts.
//! - [`pki`]: X.509 certificates for the link: the operator CA, leaves bound to Kaia accounts.
//! - [`link`]: the operator–meter link: frames, sessions, the fsynced spool and marks, the TLS
//!   1.3 transport, `listen` and `connect`.
//! - [`calibrate`]: commissioning and checking meters against reference loads; signed
//!   calibration certificates.
//! - [`trade`]: EnergyMarket transactions for every action (nonce, gas, chain id from a node or
//!   flags), contract state and events, report streams and delivery sessions.
//! - [`console`]: the operator's console behind `evlock-trade serve`: a live web page of the
//!   market and the meters, built from market events and meter records.
//! - [`cli`]: what talks to a terminal: global flags, the stderr logger, man pages and
//!   completions, running a tool and rendering its failure.
//! - [`tools`]: the clap definition and the `run` function of each tool; `src/bin/*` only call
//!   into these, so man pages and completions come from the same source as the binaries.
//!
//! Exit codes are shared by all tools: see [`exit::ExitCode`].

pub mod audit;
pub mod calibrate;
pub mod cli;
pub mod console;
pub mod devnet;
pub mod exit;
pub mod interrupt;
pub mod kaia;
pub mod keys;
pub mod link;
pub mod market;
pub mod meter;
pub mod pki;
pub mod policy;
pub mod relay;
pub mod rpc;
pub mod signer;
pub mod tools;
pub mod trade;
pub mod units;
pub mod wire;
