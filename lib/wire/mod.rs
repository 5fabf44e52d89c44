//! The records that cross pipes between evlock tools.
//!
//! Every record is one JSON object on one line with `"kind"` and `"v": 1` first. Big integers
//! (amounts in peb) are decimal strings; bytes, hashes and addresses are 0x-hex (addresses
//! EIP-55 checksummed on output; on input EIP-55 or all one case, see [`parse_address`]);
//! energy is integer Wh; times are RFC 3339 UTC. An optional `"meta"` object is carried from an input record to the output record it
//! produced, so scripts can correlate. The link sets `meta.peer` and `meta.link` ([`LinkMark`])
//! on what it delivers; [`RecordStream`] drops the one repeat a kill of the link can write.
//!
//! | kind | written by | example |
//! |---|---|---|
//! | `key` | `evlock-keygen` | [`KeyRecord`] |
//! | `tx` | `evlock-trade`, scripts; `evlock-sign decode` | [`crate::kaia::Transaction`]'s JSON |
//! | `signed_tx` | `evlock-sign` | [`SignedTxRecord`] |
//! | `receipt` | `evlock-relay submit` | [`ReceiptRecord`] |
//! | `delivery_receipt` | a meter's delivery session, `evlock-sign` (test benches) | [`DeliveryReceiptRecord`] |
//! | `rpc_result` | `evlock-relay rpc` | [`RpcResultRecord`] |
//! | `devnet` | `evlock-devnet`, first line | [`DevnetRecord`] |
//! | `error` | every tool, on stderr | [`ErrorRecord`] |
//! | `reading` | `evlock-sense` | [`ReadingRecord`] |
//! | `alarm` | `evlock-sense`, `evlock-trade deliver` | [`AlarmRecord`] |
//! | `self_test` | `evlock-sense --self-test` | [`SelfTestRecord`] |
//! | `modbus_slave` | `evlock-sense scan` | [`ModbusSlaveRecord`] |
//! | `registers` | `evlock-sense read` | [`RegistersRecord`] |
//! | `calibration` | `evlock-calibrate` | [`CalibrationRecord`], [`CalibrationSummaryRecord`] |
//! | `status` | `evlock-trade status` | [`StatusRecord`] |
//! | `certificate` | `evlock-keygen tls` | [`CertificateRecord`] |
//! | `console` | `evlock-trade serve`, first line | [`ConsoleRecord`] |
//! | `link` | the operator↔meter link; read by `evlock-trade serve` | [`LinkRecord`] |
//!
//! A `tx` record is a transaction to sign, in the shape of [`crate::kaia::Transaction`]'s JSON:
//!
//! ```json
//! {"kind":"tx","v":1,"type":"fee_delegated_value_transfer","chain_id":"31337","nonce":"0",
//!  "gas":"21000","gas_price":"25000000000","to":"0x…","value":"1000","from":"0x…",
//!  "fee_payer":"0x…","meta":{"order":7}}
//! ```
//!
//! ## Reading and writing
//!
//! [`Output`] is the one writer of stdout: every record a tool prints goes through it.
//! [`RecordStream`] reads NDJSON input with line numbers, the line-length limit and the
//! `--on-error` policy. This module imports nothing of the crate but the ground
//! ([`crate::exit`]).

mod address;
mod durable;
mod input;
mod output;
mod records;

pub use address::{AddressError, address_arg, parse_address};
pub use durable::{DurableLog, LogError};
pub use input::{
    LineRead, MAX_FILE_BYTES, MAX_LINE_BYTES, OnError, RecordStream, StreamOutcome, read_file_capped,
    read_line_capped,
};
pub use output::{Output, OutputError, STDOUT_WRITE, silence_stderr, stdout_closed_at_start, write_stderr};
pub use records::*;
