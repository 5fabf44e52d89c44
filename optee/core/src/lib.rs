//! The command core of evlock's OP-TEE trusted application: secp256k1 keys that live in
//! secure storage under slot names and sign 32-byte digests, and never leave.
//!
//! The TA's entry layer (`optee/ta`) only moves bytes between the TEE's memory references
//! and [`Core::handle`]; everything that decides lives here, `no_std` and without
//! allocation, so the host tests run the same code the TA runs. The TEE supplies the two
//! things the core cannot have on its own: [`SecureStorage`] (OP-TEE's private persistent
//! objects) and [`Entropy`] (`TEE_GenerateRandom`).
//!
//! The commands (see [`evlock_tee_proto`] for their bytes):
//!
//! - generate: a new key from the TEE's entropy in a new slot (never over an existing one);
//!   returns the public key;
//! - public key: the public key of a slot;
//! - sign: a 32-byte digest, deterministically (RFC 6979), low-S, with its recovery id;
//! - list: the slot names;
//! - delete: a slot and its key.
//!
//! No command returns a private key, and none takes one in.
//!
//! Feature `memory-storage` (host only, it needs `std`) adds [`memory::MemoryStorage`], the
//! storage the host tests and benchmarks run the core on.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "memory-storage")]
pub mod memory;

use evlock_tee_proto::{
    CodecError, DIGEST_LEN, PUBLIC_KEY_LEN, Refusal, Request, Response, SLOT_MAX, Signature, SlotsWriter,
    check_slot_name,
};
use k256::ecdsa::SigningKey;
use zeroize::Zeroize;

/// The prefix of every storage object that holds one of the core's keys.
pub const OBJECT_PREFIX: &[u8] = b"evlock.key.";

/// The longest object id: the prefix and the longest slot name (OP-TEE allows 64 bytes).
pub const OBJECT_ID_MAX: usize = OBJECT_PREFIX.len() + SLOT_MAX;

/// The first byte of a stored key: the record's format.
const KEY_FORMAT: u8 = 1;

/// A stored key: the format byte and the 32-byte secret scalar.
const KEY_RECORD_LEN: usize = 1 + 32;

/// Why secure storage failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageError {
    /// An object with this id exists already.
    Exists,
    /// Anything else (no space, storage unavailable, corrupt): the TEE's error code.
    Failed(u32),
}

/// The TEE's trusted storage as the core sees it: small objects under byte-string ids.
pub trait SecureStorage {
    /// Reads object `id` into `buf`; `Ok(None)` when there is no such object. Returns the
    /// object's full length, which may exceed `buf` (then only `buf.len()` bytes were read).
    fn read(&mut self, id: &[u8], buf: &mut [u8]) -> Result<Option<usize>, StorageError>;

    /// Creates object `id` holding `data`, atomically; [`StorageError::Exists`] when there is
    /// one already (it is never overwritten).
    fn create(&mut self, id: &[u8], data: &[u8]) -> Result<(), StorageError>;

    /// Deletes object `id`; `Ok(false)` when there was none.
    fn delete(&mut self, id: &[u8]) -> Result<bool, StorageError>;

    /// Calls `each` with the id of every object, in the storage's order, until it returns
    /// `false`.
    fn for_each_id(&mut self, each: &mut dyn FnMut(&[u8]) -> bool) -> Result<(), StorageError>;
}

/// The TEE's random number generator failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntropyError;

/// The TEE's random number generator.
pub trait Entropy {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), EntropyError>;
}

/// What went wrong when a command was handled; the entry layer turns it into a TEE error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandleError {
    /// The output buffer cannot hold even the response that says why.
    OutputTooSmall,
}

/// How many times generate draws a new secret when the bytes are no valid scalar (zero or
/// not below the group order: each draw has a chance of about 2^-128 of that).
const GENERATE_TRIES: usize = 8;

/// The command core over a secure storage and an entropy source.
pub struct Core<S, E> {
    storage: S,
    entropy: E,
}

impl<S: SecureStorage, E: Entropy> Core<S, E> {
    /// A core over `storage` and `entropy`.
    pub fn new(storage: S, entropy: E) -> Self {
        Core { storage, entropy }
    }

    /// The storage, for the entry layer and tests.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// Handles one invocation: decodes the request of command id `command` from `input`,
    /// runs it and writes the response into `output`. Returns the response's length. A
    /// refused request is a response too; only an output buffer too small even for a
    /// refusal is an error.
    pub fn handle(&mut self, command: u32, input: &[u8], output: &mut [u8]) -> Result<usize, HandleError> {
        let request = match Request::decode(command, input) {
            Ok(request) => request,
            Err(CodecError::UnknownCommand(_)) => return refuse(Refusal::UnknownCommand, output),
            Err(_) => return refuse(Refusal::BadRequest, output),
        };
        let result = match request {
            Request::Generate { slot } => self.generate(slot).map(Response::PublicKey),
            Request::PublicKey { slot } => self.public_key(slot).map(Response::PublicKey),
            Request::Sign { slot, digest } => self.sign(slot, digest).map(Response::Signature),
            Request::Delete { slot } => self.delete(slot).map(|()| Response::Deleted),
            Request::List => {
                return match self.list_into(output) {
                    Ok(len) => Ok(len),
                    Err(refusal) => refuse(refusal, output),
                };
            }
        };
        match result {
            Ok(response) => response.encode(output).map_err(|_| HandleError::OutputTooSmall),
            Err(refusal) => refuse(refusal, output),
        }
    }

    /// Generates a key in a new slot from the TEE's entropy; returns its public key.
    pub fn generate(&mut self, slot: &str) -> Result<[u8; PUBLIC_KEY_LEN], Refusal> {
        let id = object_id(slot)?;
        let mut probe = [0u8; 1];
        if self.storage.read(id.as_bytes(), &mut probe).map_err(|_| Refusal::Storage)?.is_some() {
            return Err(Refusal::SlotExists);
        }
        let mut record = [0u8; KEY_RECORD_LEN];
        record[0] = KEY_FORMAT;
        let mut key = None;
        for _ in 0..GENERATE_TRIES {
            if self.entropy.fill(&mut record[1..]).is_err() {
                record.zeroize();
                return Err(Refusal::Entropy);
            }
            if let Ok(candidate) = SigningKey::from_slice(&record[1..]) {
                key = Some(candidate);
                break;
            }
        }
        let Some(key) = key else {
            record.zeroize();
            return Err(Refusal::Entropy);
        };
        let stored = self.storage.create(id.as_bytes(), &record);
        record.zeroize();
        match stored {
            Ok(()) => Ok(public_key_of(&key)),
            Err(StorageError::Exists) => Err(Refusal::SlotExists),
            Err(StorageError::Failed(_)) => Err(Refusal::Storage),
        }
    }

    /// The public key of a slot.
    pub fn public_key(&mut self, slot: &str) -> Result<[u8; PUBLIC_KEY_LEN], Refusal> {
        let key = self.load(slot)?;
        Ok(public_key_of(&key))
    }

    /// Signs a 32-byte digest with a slot's key: RFC 6979 nonce, low-S, recovery id 0 or 1.
    pub fn sign(&mut self, slot: &str, digest: &[u8]) -> Result<Signature, Refusal> {
        // The slot name is checked first, so a bad name is named as such whatever the digest.
        check_slot_name(slot).map_err(|_| Refusal::BadSlotName)?;
        if digest.len() != DIGEST_LEN {
            return Err(Refusal::BadDigest);
        }
        let key = self.load(slot)?;
        let (mut signature, mut recovery_id) = key.sign_prehash_recoverable(digest);
        // k256 already returns low-S; normalizing here keeps the promise whatever it does.
        let normalized = signature.normalize_s();
        if normalized != signature {
            signature = normalized;
            recovery_id = k256::ecdsa::RecoveryId::new(!recovery_id.is_y_odd(), recovery_id.is_x_reduced());
        }
        if recovery_id.is_x_reduced() {
            // An r that overflowed the group order (chance about 2^-127): V cannot express it.
            return Err(Refusal::CorruptKey);
        }
        let bytes = signature.to_bytes();
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        r.copy_from_slice(&bytes[..32]);
        s.copy_from_slice(&bytes[32..]);
        Ok(Signature { r, s, recovery_id: u8::from(recovery_id.is_y_odd()) })
    }

    /// Deletes a slot and its key.
    pub fn delete(&mut self, slot: &str) -> Result<(), Refusal> {
        let id = object_id(slot)?;
        match self.storage.delete(id.as_bytes()) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Refusal::UnknownSlot),
            Err(_) => Err(Refusal::Storage),
        }
    }

    /// Calls `each` with every slot name, in the storage's order.
    pub fn list(&mut self, each: &mut dyn FnMut(&str)) -> Result<(), Refusal> {
        self.storage
            .for_each_id(&mut |id| {
                if let Some(name) = slot_of(id) {
                    each(name);
                }
                true
            })
            .map_err(|_| Refusal::Storage)
    }

    /// Writes the successful list response into `output`.
    fn list_into(&mut self, output: &mut [u8]) -> Result<usize, Refusal> {
        let mut writer = SlotsWriter::new(output).map_err(|_| Refusal::TooManySlots)?;
        let mut overflow = false;
        self.storage
            .for_each_id(&mut |id| {
                if let Some(name) = slot_of(id) {
                    overflow = writer.push(name).is_err();
                }
                !overflow
            })
            .map_err(|_| Refusal::Storage)?;
        if overflow {
            return Err(Refusal::TooManySlots);
        }
        Ok(writer.finish())
    }

    fn load(&mut self, slot: &str) -> Result<SigningKey, Refusal> {
        let id = object_id(slot)?;
        let mut record = [0u8; KEY_RECORD_LEN];
        let found = self.storage.read(id.as_bytes(), &mut record).map_err(|_| Refusal::Storage)?;
        let result = match found {
            None => Err(Refusal::UnknownSlot),
            Some(len) if len != KEY_RECORD_LEN || record[0] != KEY_FORMAT => Err(Refusal::CorruptKey),
            Some(_) => SigningKey::from_slice(&record[1..]).map_err(|_| Refusal::CorruptKey),
        };
        record.zeroize();
        result
    }
}

/// The uncompressed SEC1 public key of `key`.
fn public_key_of(key: &SigningKey) -> [u8; PUBLIC_KEY_LEN] {
    let point = key.verifying_key().to_sec1_point(false);
    let mut out = [0u8; PUBLIC_KEY_LEN];
    out.copy_from_slice(point.as_bytes());
    out
}

/// Writes a refusal; fails only when not even that fits.
fn refuse(refusal: Refusal, output: &mut [u8]) -> Result<usize, HandleError> {
    Response::Refused(refusal).encode(output).map_err(|_| HandleError::OutputTooSmall)
}

/// The storage object id of a slot: [`OBJECT_PREFIX`] and the name.
pub struct ObjectId {
    bytes: [u8; OBJECT_ID_MAX],
    len: usize,
}

impl ObjectId {
    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// The object id of `slot`, refusing a bad slot name.
pub fn object_id(slot: &str) -> Result<ObjectId, Refusal> {
    check_slot_name(slot).map_err(|_| Refusal::BadSlotName)?;
    let mut bytes = [0u8; OBJECT_ID_MAX];
    let len = OBJECT_PREFIX.len() + slot.len();
    bytes[..OBJECT_PREFIX.len()].copy_from_slice(OBJECT_PREFIX);
    bytes[OBJECT_PREFIX.len()..len].copy_from_slice(slot.as_bytes());
    Ok(ObjectId { bytes, len })
}

/// The slot name of an object id, when it is one of the core's keys.
pub fn slot_of(id: &[u8]) -> Option<&str> {
    let name = core::str::from_utf8(id.strip_prefix(OBJECT_PREFIX)?).ok()?;
    check_slot_name(name).ok().map(|()| name)
}
