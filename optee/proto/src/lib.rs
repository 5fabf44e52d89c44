//! The one encoding between evlock's OP-TEE client (normal world) and its trusted application
//! (secure world): the TA's UUID, its commands, and the bytes of every request and response.
//!
//! Both sides depend on this crate, so they cannot drift apart. It is `no_std`, allocates
//! nothing and has no dependencies, so the trusted application compiles it as it is.
//!
//! # The wire
//!
//! A command is invoked with the command id ([`Command`]) and two temporary memory
//! references: parameter 0 holds the request (input), parameter 1 receives the response
//! (output, at least [`MAX_RESPONSE`] bytes; the TA sets its updated size).
//!
//! Every request starts with the protocol [`VERSION`]; a string or byte string is one length
//! byte and that many bytes:
//!
//! | command | request after the version byte |
//! |---|---|
//! | `Generate` (1) | slot |
//! | `PublicKey` (2) | slot |
//! | `Sign` (3) | slot, digest (must be 32 bytes: the TA refuses any other length) |
//! | `List` (4) | — |
//! | `Delete` (5) | slot |
//!
//! Every response starts with the version and a status byte: 0 for success, else a
//! [`Refusal`] code and nothing more. After a 0:
//!
//! | command | response body |
//! |---|---|
//! | `Generate`, `PublicKey` | the 65-byte uncompressed SEC1 public key (`04 ‖ x ‖ y`) |
//! | `Sign` | `r` (32 bytes), `s` (32 bytes, low-S), recovery id (1 byte: 0 or 1) |
//! | `List` | count (u16, big-endian), then each slot name |
//! | `Delete` | — |
//!
//! A private key never appears in any message: there is no command that could return one.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use core::fmt;

/// The trusted application's UUID: the one place it is written. The TA is installed as
/// `/lib/optee_armtz/<UUID>.ta`.
pub const UUID: &str = "025d73e0-d069-4881-b9eb-d2e806dfdc09";

/// The protocol version, the first byte of every request and response.
pub const VERSION: u8 = 1;

/// The longest slot name, in bytes.
pub const SLOT_MAX: usize = 32;

/// The length of a digest the TA signs.
pub const DIGEST_LEN: usize = 32;

/// The length of an uncompressed SEC1 secp256k1 public key.
pub const PUBLIC_KEY_LEN: usize = 65;

/// The size of the response buffer a client passes (and the most a response may take).
pub const MAX_RESPONSE: usize = 4096;

/// The longest request: version, the longest slot and the longest byte string.
pub const MAX_REQUEST: usize = 1 + 1 + SLOT_MAX + 1 + 255;

/// The TA's commands; the discriminant is the TEE command id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Command {
    /// Generate a secp256k1 key in a new slot; returns its public key.
    Generate = 1,
    /// The public key of a slot.
    PublicKey = 2,
    /// Sign a 32-byte digest with a slot's key.
    Sign = 3,
    /// The names of every slot.
    List = 4,
    /// Delete a slot and its key.
    Delete = 5,
}

impl Command {
    /// Every command, in id order.
    pub const ALL: [Command; 5] =
        [Command::Generate, Command::PublicKey, Command::Sign, Command::List, Command::Delete];

    /// The TEE command id.
    pub const fn id(self) -> u32 {
        self as u32
    }

    /// The command with this id.
    pub fn from_id(id: u32) -> Option<Command> {
        Command::ALL.into_iter().find(|command| command.id() == id)
    }

    /// The command's name, for messages.
    pub const fn name(self) -> &'static str {
        match self {
            Command::Generate => "generate",
            Command::PublicKey => "public-key",
            Command::Sign => "sign",
            Command::List => "list",
            Command::Delete => "delete",
        }
    }
}

/// Why bytes could not be encoded or decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodecError {
    /// The message ends before its last field.
    Truncated,
    /// Bytes follow the last field.
    TrailingBytes,
    /// The message speaks another protocol version.
    Version(u8),
    /// No command has this id.
    UnknownCommand(u32),
    /// The status byte of a response is no known refusal code.
    UnknownStatus(u8),
    /// A string is not UTF-8.
    NotUtf8,
    /// A string or byte string is longer than a length byte can say.
    TooLong,
    /// The output buffer is too small for the message.
    NoRoom,
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecError::Truncated => f.write_str("the message is truncated"),
            CodecError::TrailingBytes => f.write_str("bytes follow the end of the message"),
            CodecError::Version(v) => write!(f, "protocol version {v}, expected {VERSION}"),
            CodecError::UnknownCommand(id) => write!(f, "unknown command id {id}"),
            CodecError::UnknownStatus(code) => write!(f, "unknown status {code}"),
            CodecError::NotUtf8 => f.write_str("a slot name is not UTF-8"),
            CodecError::TooLong => f.write_str("a field is longer than 255 bytes"),
            CodecError::NoRoom => f.write_str("the buffer is too small for the message"),
        }
    }
}

/// Why a slot name is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotNameError {
    /// The name is empty.
    Empty,
    /// The name is longer than [`SLOT_MAX`] bytes.
    TooLong,
    /// The name holds a character other than ASCII letters, digits, `-`, `_` and `.`.
    BadCharacter,
}

impl fmt::Display for SlotNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SlotNameError::Empty => f.write_str("the slot name is empty"),
            SlotNameError::TooLong => write!(f, "the slot name is longer than {SLOT_MAX} bytes"),
            SlotNameError::BadCharacter => {
                f.write_str("a slot name holds only ASCII letters, digits, '-', '_' and '.'")
            }
        }
    }
}

/// Checks a slot name: 1 to [`SLOT_MAX`] ASCII letters, digits, `-`, `_` or `.`.
pub fn check_slot_name(name: &str) -> Result<(), SlotNameError> {
    if name.is_empty() {
        return Err(SlotNameError::Empty);
    }
    if name.len() > SLOT_MAX {
        return Err(SlotNameError::TooLong);
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
        return Err(SlotNameError::BadCharacter);
    }
    Ok(())
}

/// A request from the client to the TA. Fields borrow from the bytes they were decoded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// Generate a key in a new slot.
    Generate {
        /// The slot name.
        slot: &'a str,
    },
    /// The public key of a slot.
    PublicKey {
        /// The slot name.
        slot: &'a str,
    },
    /// Sign a digest.
    Sign {
        /// The slot name.
        slot: &'a str,
        /// The digest: the TA signs exactly [`DIGEST_LEN`] bytes and refuses any other length.
        digest: &'a [u8],
    },
    /// List the slots.
    List,
    /// Delete a slot.
    Delete {
        /// The slot name.
        slot: &'a str,
    },
}

impl<'a> Request<'a> {
    /// The command that carries this request.
    pub fn command(&self) -> Command {
        match self {
            Request::Generate { .. } => Command::Generate,
            Request::PublicKey { .. } => Command::PublicKey,
            Request::Sign { .. } => Command::Sign,
            Request::List => Command::List,
            Request::Delete { .. } => Command::Delete,
        }
    }

    /// Writes the request into `out`; returns the number of bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, CodecError> {
        let mut w = Writer::new(out);
        w.byte(VERSION)?;
        match self {
            Request::Generate { slot } | Request::PublicKey { slot } | Request::Delete { slot } => {
                w.short_bytes(slot.as_bytes())?
            }
            Request::Sign { slot, digest } => {
                w.short_bytes(slot.as_bytes())?;
                w.short_bytes(digest)?;
            }
            Request::List => {}
        }
        Ok(w.len())
    }

    /// Reads a request of command `command` from `bytes`.
    pub fn decode(command: u32, bytes: &'a [u8]) -> Result<Self, CodecError> {
        let command = Command::from_id(command).ok_or(CodecError::UnknownCommand(command))?;
        let mut r = Reader::new(bytes);
        r.version()?;
        let request = match command {
            Command::Generate => Request::Generate { slot: r.string()? },
            Command::PublicKey => Request::PublicKey { slot: r.string()? },
            Command::Sign => Request::Sign { slot: r.string()?, digest: r.short_bytes()? },
            Command::List => Request::List,
            Command::Delete => Request::Delete { slot: r.string()? },
        };
        r.end()?;
        Ok(request)
    }
}

/// Why the TA refused a request. The code is the response's status byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Refusal {
    /// The request bytes could not be decoded (or speak another protocol version).
    BadRequest = 1,
    /// No command has the id invoked.
    UnknownCommand = 2,
    /// The slot name is not acceptable (see [`check_slot_name`]).
    BadSlotName = 3,
    /// No slot has this name.
    UnknownSlot = 4,
    /// A slot of this name exists already (generate never overwrites).
    SlotExists = 5,
    /// The digest is not 32 bytes.
    BadDigest = 6,
    /// Secure storage failed (full, unavailable, corrupt).
    Storage = 7,
    /// The TEE's random number generator failed.
    Entropy = 8,
    /// A slot holds something that is not a valid key.
    CorruptKey = 9,
    /// The slot names do not fit in one response.
    TooManySlots = 10,
}

impl Refusal {
    /// Every refusal, in code order.
    pub const ALL: [Refusal; 10] = [
        Refusal::BadRequest,
        Refusal::UnknownCommand,
        Refusal::BadSlotName,
        Refusal::UnknownSlot,
        Refusal::SlotExists,
        Refusal::BadDigest,
        Refusal::Storage,
        Refusal::Entropy,
        Refusal::CorruptKey,
        Refusal::TooManySlots,
    ];

    /// The status byte.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The refusal with this status byte.
    pub fn from_code(code: u8) -> Option<Refusal> {
        Refusal::ALL.into_iter().find(|refusal| refusal.code() == code)
    }

    /// What the refusal means, for messages.
    pub const fn message(self) -> &'static str {
        match self {
            Refusal::BadRequest => "the request could not be decoded (client and TA versions differ?)",
            Refusal::UnknownCommand => "the TA does not know this command (client and TA versions differ?)",
            Refusal::BadSlotName => "bad slot name (1 to 32 ASCII letters, digits, '-', '_' or '.')",
            Refusal::UnknownSlot => "no key in this slot",
            Refusal::SlotExists => "the slot holds a key already",
            Refusal::BadDigest => "the digest is not 32 bytes",
            Refusal::Storage => "secure storage failed",
            Refusal::Entropy => "the TEE's random number generator failed",
            Refusal::CorruptKey => "the slot does not hold a valid key",
            Refusal::TooManySlots => "too many slots to list in one response",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// A recoverable ECDSA signature as the TA returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    /// `r`, big-endian.
    pub r: [u8; 32],
    /// `s`, big-endian, in the lower half of the group order.
    pub s: [u8; 32],
    /// The recovery id: the parity of the nonce point's y (0 or 1).
    pub recovery_id: u8,
}

/// The slot names of a `List` response, still in their encoded form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slots<'a> {
    count: u16,
    entries: &'a [u8],
}

impl<'a> Slots<'a> {
    /// How many names there are.
    pub fn len(&self) -> usize {
        usize::from(self.count)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The names, in the TA's order.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + 'a {
        let mut r = Reader::new(self.entries);
        // Validated when decoded or written, so every step succeeds.
        (0..self.count).filter_map(move |_| r.string().ok())
    }

    fn decode(r: &mut Reader<'a>) -> Result<Self, CodecError> {
        let count = u16::from_be_bytes(r.array()?);
        let start = r.at;
        for _ in 0..count {
            r.string()?;
        }
        Ok(Slots { count, entries: &r.bytes[start..r.at] })
    }
}

/// Writes a successful `List` response name by name, straight into the output buffer.
pub struct SlotsWriter<'b> {
    w: Writer<'b>,
    count: u16,
}

impl<'b> SlotsWriter<'b> {
    /// Starts the response in `out`.
    pub fn new(out: &'b mut [u8]) -> Result<Self, CodecError> {
        let mut w = Writer::new(out);
        w.byte(VERSION)?;
        w.byte(0)?;
        w.put(&[0, 0])?;
        Ok(SlotsWriter { w, count: 0 })
    }

    /// Adds a name; [`CodecError::NoRoom`] when it does not fit.
    pub fn push(&mut self, name: &str) -> Result<(), CodecError> {
        let count = self.count.checked_add(1).ok_or(CodecError::NoRoom)?;
        self.w.short_bytes(name.as_bytes())?;
        self.count = count;
        Ok(())
    }

    /// Finishes the response; returns its length.
    pub fn finish(self) -> usize {
        let len = self.w.len();
        self.w.out[2..4].copy_from_slice(&self.count.to_be_bytes());
        len
    }
}

/// A response from the TA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response<'a> {
    /// The public key of the slot generated or asked for.
    PublicKey([u8; PUBLIC_KEY_LEN]),
    /// The signature of the digest.
    Signature(Signature),
    /// The slot names.
    Slots(Slots<'a>),
    /// The slot is deleted.
    Deleted,
    /// The request was refused.
    Refused(Refusal),
}

impl<'a> Response<'a> {
    /// Writes the response into `out`; returns the number of bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, CodecError> {
        let mut w = Writer::new(out);
        w.byte(VERSION)?;
        match self {
            Response::Refused(refusal) => w.byte(refusal.code())?,
            Response::PublicKey(key) => {
                w.byte(0)?;
                w.put(key)?;
            }
            Response::Signature(sig) => {
                w.byte(0)?;
                w.put(&sig.r)?;
                w.put(&sig.s)?;
                w.byte(sig.recovery_id)?;
            }
            Response::Slots(slots) => {
                w.byte(0)?;
                w.put(&slots.count.to_be_bytes())?;
                w.put(slots.entries)?;
            }
            Response::Deleted => w.byte(0)?,
        }
        Ok(w.len())
    }

    /// Reads the response to a request of command `command` from `bytes`.
    pub fn decode(command: Command, bytes: &'a [u8]) -> Result<Self, CodecError> {
        let mut r = Reader::new(bytes);
        r.version()?;
        let status = r.byte()?;
        let response = if status != 0 {
            Response::Refused(Refusal::from_code(status).ok_or(CodecError::UnknownStatus(status))?)
        } else {
            match command {
                Command::Generate | Command::PublicKey => Response::PublicKey(r.array()?),
                Command::Sign => {
                    Response::Signature(Signature { r: r.array()?, s: r.array()?, recovery_id: r.byte()? })
                }
                Command::List => Response::Slots(Slots::decode(&mut r)?),
                Command::Delete => Response::Deleted,
            }
        };
        r.end()?;
        Ok(response)
    }
}

struct Writer<'b> {
    out: &'b mut [u8],
    at: usize,
}

impl<'b> Writer<'b> {
    fn new(out: &'b mut [u8]) -> Self {
        Writer { out, at: 0 }
    }

    fn len(&self) -> usize {
        self.at
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), CodecError> {
        let end = self.at.checked_add(bytes.len()).filter(|end| *end <= self.out.len());
        let end = end.ok_or(CodecError::NoRoom)?;
        self.out[self.at..end].copy_from_slice(bytes);
        self.at = end;
        Ok(())
    }

    fn byte(&mut self, byte: u8) -> Result<(), CodecError> {
        self.put(&[byte])
    }

    fn short_bytes(&mut self, bytes: &[u8]) -> Result<(), CodecError> {
        let len = u8::try_from(bytes.len()).map_err(|_| CodecError::TooLong)?;
        self.byte(len)?;
        self.put(bytes)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.at.checked_add(n).filter(|end| *end <= self.bytes.len());
        let end = end.ok_or(CodecError::Truncated)?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn byte(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut array = [0u8; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }

    fn short_bytes(&mut self) -> Result<&'a [u8], CodecError> {
        let len = self.byte()?;
        self.take(usize::from(len))
    }

    fn string(&mut self) -> Result<&'a str, CodecError> {
        core::str::from_utf8(self.short_bytes()?).map_err(|_| CodecError::NotUtf8)
    }

    fn version(&mut self) -> Result<(), CodecError> {
        match self.byte()? {
            VERSION => Ok(()),
            other => Err(CodecError::Version(other)),
        }
    }

    fn end(&self) -> Result<(), CodecError> {
        if self.at == self.bytes.len() { Ok(()) } else { Err(CodecError::TrailingBytes) }
    }
}
