//! The OP-TEE backend: secp256k1 keys inside evlock's trusted application (`optee/ta`), in
//! ARM TrustZone's secure world, named `optee:SLOT`.
//!
//! The normal world only ever holds a slot name, public keys and signatures: the TA
//! generates the key from the TEE's random number generator, keeps it in OP-TEE's private
//! secure storage and signs 32-byte digests. The requests and responses are the bytes of
//! [`evlock_tee_proto`], the crate the TA is built with too.
//!
//! [`TeeClient`] speaks that protocol over any [`TeeTransport`]; the real transport is
//! libteec (`optee-teec`), built with `--features optee` on ARM Linux. Without the feature,
//! [`connect`] says so.

use std::sync::Mutex;

use alloy_primitives::{Address, B256, U256};
use evlock_tee_proto::{
    Command, MAX_REQUEST, MAX_RESPONSE, PUBLIC_KEY_LEN, Refusal, Request, Response, check_slot_name,
};

use super::{HeldKey, Signer, SignerError};
use crate::exit::{ErrorClass, ExitCode};
use crate::kaia::RecoverableSig;

/// `TEEC_ERROR_ITEM_NOT_FOUND`: from `TEEC_InitializeContext`, no TEE device; from
/// `TEEC_OpenSession`, no TA of that UUID.
pub const TEEC_ERROR_ITEM_NOT_FOUND: u32 = 0xffff_0008;

/// `TEEC_ERROR_TARGET_DEAD`: the TA panicked.
pub const TEEC_ERROR_TARGET_DEAD: u32 = 0xffff_3024;

/// Where a TEE client error came from (`TEEC_ORIGIN_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The client library.
    Api,
    /// The communication with the secure world.
    Comms,
    /// The TEE's core.
    Tee,
    /// The trusted application.
    TrustedApp,
    /// Not said.
    Unknown,
}

impl Origin {
    /// The origin of a `TEEC_ORIGIN_*` value.
    pub fn from_raw(origin: u32) -> Origin {
        match origin {
            1 => Origin::Api,
            2 => Origin::Comms,
            3 => Origin::Tee,
            4 => Origin::TrustedApp,
            _ => Origin::Unknown,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Origin::Api => "the client library",
            Origin::Comms => "the communication with the TEE",
            Origin::Tee => "the TEE",
            Origin::TrustedApp => "the trusted application",
            Origin::Unknown => "an unknown origin",
        }
    }
}

/// The name of a `TEEC_ERROR_*` code, where it is a well-known one.
pub fn teec_name(code: u32) -> &'static str {
    match code {
        0xffff_0000 => "TEEC_ERROR_GENERIC",
        0xffff_0001 => "TEEC_ERROR_ACCESS_DENIED",
        0xffff_0003 => "TEEC_ERROR_EXCESS_DATA",
        0xffff_0006 => "TEEC_ERROR_BAD_PARAMETERS",
        0xffff_0007 => "TEEC_ERROR_BAD_STATE",
        TEEC_ERROR_ITEM_NOT_FOUND => "TEEC_ERROR_ITEM_NOT_FOUND",
        0xffff_000a => "TEEC_ERROR_NOT_SUPPORTED",
        0xffff_000c => "TEEC_ERROR_OUT_OF_MEMORY",
        0xffff_000f => "TEEC_ERROR_SECURITY",
        0xffff_0010 => "TEEC_ERROR_SHORT_BUFFER",
        0xffff_3001 => "TEEC_ERROR_STORAGE_NOT_AVAILABLE",
        TEEC_ERROR_TARGET_DEAD => "TEEC_ERROR_TARGET_DEAD",
        0xffff_3041 => "TEEC_ERROR_STORAGE_NO_SPACE",
        _ => "TEEC error",
    }
}

/// Everything that can go wrong between evlock and its trusted application. All are key
/// errors (exit 5): the key cannot be reached or refused to sign.
#[derive(Debug, thiserror::Error)]
pub enum TeeError {
    /// `TEEC_InitializeContext` found no TEE (`TEEC_ERROR_ITEM_NOT_FOUND`, 0xffff0008).
    #[error(
        "no TEE device: TEEC_InitializeContext returned TEEC_ERROR_ITEM_NOT_FOUND (0xffff0008); \
         this needs an ARM board running OP-TEE, with /dev/tee0 (or /dev/teepriv0) and tee-supplicant"
    )]
    NoDevice,
    /// `TEEC_InitializeContext` failed otherwise.
    #[error("cannot open the TEE: TEEC_InitializeContext returned {} (0x{code:08x})", teec_name(*code))]
    Context {
        /// The TEEC error code.
        code: u32,
    },
    /// The TEE has no trusted application of evlock's UUID.
    #[error(
        "the evlock trusted application is not installed: no /lib/optee_armtz/{uuid}.ta \
         (build and install it as optee/README.md says)"
    )]
    NoTrustedApp {
        /// The TA's UUID.
        uuid: &'static str,
    },
    /// `TEEC_OpenSession` failed otherwise.
    #[error("cannot open a session with the trusted application: {} (0x{code:08x}) from {}", teec_name(*code), origin.as_str())]
    Session {
        /// The TEEC error code.
        code: u32,
        /// Where it came from.
        origin: Origin,
    },
    /// `TEEC_InvokeCommand` failed.
    #[error("the trusted application's {command} command failed: {} (0x{code:08x}) from {}", teec_name(*code), origin.as_str())]
    Invoke {
        /// The command.
        command: &'static str,
        /// The TEEC error code.
        code: u32,
        /// Where it came from.
        origin: Origin,
    },
    /// The TA refused the request.
    #[error("the trusted application refused to {command}{}: {refusal}", slot.as_deref().map(|s| format!(" slot {s:?}")).unwrap_or_default())]
    Refused {
        /// The command.
        command: &'static str,
        /// The slot, if the request named one.
        slot: Option<String>,
        /// Why.
        refusal: Refusal,
    },
    /// The TA's response could not be read (client and TA versions differ?).
    #[error("the trusted application's response to {command} is malformed: {reason}")]
    Protocol {
        /// The command.
        command: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The TA returned a signature that does not recover to the slot's public key.
    #[error("the trusted application's signature does not recover to slot {slot:?}'s key")]
    BadSignature {
        /// The slot.
        slot: String,
    },
}

impl ErrorClass for TeeError {
    fn exit_code(&self) -> ExitCode {
        ExitCode::Key
    }

    fn error_code(&self) -> &'static str {
        match self {
            TeeError::NoDevice => "no_tee",
            TeeError::Context { .. } => "tee_context",
            TeeError::NoTrustedApp { .. } => "no_trusted_app",
            TeeError::Session { .. } => "tee_session",
            TeeError::Invoke { .. } => "tee_invoke",
            TeeError::Refused { refusal: Refusal::UnknownSlot, .. } => "no_tee_key",
            TeeError::Refused { refusal: Refusal::SlotExists, .. } => "tee_key_exists",
            TeeError::Refused { .. } => "tee_refused",
            TeeError::Protocol { .. } => "tee_protocol",
            TeeError::BadSignature { .. } => "bad_tee_signature",
        }
    }
}

/// A way to invoke the trusted application's commands.
pub trait TeeTransport: Send {
    /// Invokes `command` with `request` as parameter 0 and `response` as parameter 1;
    /// returns the response's length (the updated size of parameter 1).
    fn invoke(&mut self, command: Command, request: &[u8], response: &mut [u8]) -> Result<usize, TeeError>;
}

/// The client side of the protocol: encodes requests, decodes responses, names refusals.
pub struct TeeClient<T> {
    transport: Mutex<T>,
}

impl<T: TeeTransport> TeeClient<T> {
    /// A client over `transport`.
    pub fn new(transport: T) -> Self {
        TeeClient { transport: Mutex::new(transport) }
    }

    fn call<R>(&self, request: &Request, read: impl FnOnce(Response) -> Option<R>) -> Result<R, TeeError> {
        let command = request.command();
        let protocol = |reason: String| TeeError::Protocol { command: command.name(), reason };
        let mut input = [0u8; MAX_REQUEST];
        let len = request.encode(&mut input).map_err(|e| protocol(e.to_string()))?;
        let mut output = vec![0u8; MAX_RESPONSE];
        let n = {
            let mut transport = self.transport.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            transport.invoke(command, &input[..len], &mut output)?
        };
        let response =
            output.get(..n).ok_or_else(|| protocol(format!("{n} bytes in a {MAX_RESPONSE}-byte buffer")))?;
        match Response::decode(command, response).map_err(|e| protocol(e.to_string()))? {
            Response::Refused(refusal) => Err(TeeError::Refused {
                command: command.name(),
                slot: slot_of(request).map(str::to_string),
                refusal,
            }),
            other => read(other).ok_or_else(|| protocol("a response of another command".into())),
        }
    }

    /// Generates a key in a new slot; returns its public key.
    pub fn generate(&self, slot: &str) -> Result<[u8; PUBLIC_KEY_LEN], TeeError> {
        self.call(&Request::Generate { slot }, |r| match r {
            Response::PublicKey(key) => Some(key),
            _ => None,
        })
    }

    /// The public key of a slot.
    pub fn public_key(&self, slot: &str) -> Result<[u8; PUBLIC_KEY_LEN], TeeError> {
        self.call(&Request::PublicKey { slot }, |r| match r {
            Response::PublicKey(key) => Some(key),
            _ => None,
        })
    }

    /// Signs a digest with a slot's key.
    pub fn sign(&self, slot: &str, digest: &B256) -> Result<RecoverableSig, TeeError> {
        let signature = self.call(&Request::Sign { slot, digest: digest.as_slice() }, |r| match r {
            Response::Signature(sig) => Some(sig),
            _ => None,
        })?;
        if signature.recovery_id > 1 {
            return Err(TeeError::Protocol {
                command: Command::Sign.name(),
                reason: format!("recovery id {}", signature.recovery_id),
            });
        }
        Ok(RecoverableSig::new(
            U256::from_be_bytes(signature.r),
            U256::from_be_bytes(signature.s),
            signature.recovery_id == 1,
        ))
    }

    /// The slot names, sorted.
    pub fn list(&self) -> Result<Vec<String>, TeeError> {
        let mut names = self.call(&Request::List, |r| match r {
            Response::Slots(slots) => Some(slots.iter().map(str::to_string).collect::<Vec<_>>()),
            _ => None,
        })?;
        names.sort();
        Ok(names)
    }

    /// Deletes a slot and its key.
    pub fn delete(&self, slot: &str) -> Result<(), TeeError> {
        self.call(&Request::Delete { slot }, |r| matches!(r, Response::Deleted).then_some(()))
    }
}

fn slot_of<'a>(request: &Request<'a>) -> Option<&'a str> {
    match *request {
        Request::Generate { slot }
        | Request::PublicKey { slot }
        | Request::Sign { slot, .. }
        | Request::Delete { slot } => Some(slot),
        Request::List => None,
    }
}

/// Checks a slot name before anything is sent (the TA checks it again).
pub fn check_slot(slot: &str) -> Result<(), String> {
    check_slot_name(slot).map_err(|e| e.to_string())
}

/// A key in a slot of the trusted application.
pub struct OpteeSigner<T> {
    client: TeeClient<T>,
    slot: String,
    address: Address,
}

impl<T: TeeTransport> OpteeSigner<T> {
    /// The signer of `slot`: asks the TA for the slot's public key (refused when the slot is
    /// empty), so the address is known before anything is signed.
    pub fn open(client: TeeClient<T>, slot: &str) -> Result<Self, TeeError> {
        let public_key = client.public_key(slot)?;
        Ok(OpteeSigner {
            client,
            slot: slot.to_string(),
            address: crate::keys::address_of_public_key(&public_key),
        })
    }
}

impl<T: TeeTransport> Signer for OpteeSigner<T> {
    fn address(&self) -> Address {
        self.address
    }

    fn sign_digest(&self, digest: &B256) -> Result<RecoverableSig, SignerError> {
        let signature = self.client.sign(&self.slot, digest)?;
        // A signature that recovers to another key would be refused on chain anyway; say so
        // here, where it is clear whose fault it is.
        match signature.recover_address(digest) {
            Ok(address) if address == self.address => Ok(signature),
            _ => Err(TeeError::BadSignature { slot: self.slot.clone() }.into()),
        }
    }
}

/// What a backend holds, as `evlock-keygen list` reports it.
pub fn held_keys<T: TeeTransport>(client: &TeeClient<T>) -> Result<Vec<HeldKey>, TeeError> {
    client
        .list()?
        .into_iter()
        .map(|slot| {
            let public_key = client.public_key(&slot)?;
            Ok(HeldKey {
                uri: format!("optee:{slot}"),
                address: crate::keys::address_of_public_key(&public_key),
                public_key,
            })
        })
        .collect()
}

/// Connects to evlock's trusted application through libteec.
#[cfg(feature = "optee")]
pub fn connect() -> Result<TeeClient<teec::Teec>, SignerError> {
    Ok(TeeClient::new(teec::Teec::connect()?))
}

/// Without the `optee` feature there is no TEE client in this binary.
#[cfg(not(feature = "optee"))]
pub fn connect() -> Result<TeeClient<NoTee>, SignerError> {
    Err(SignerError::Unavailable {
        backend: "optee",
        reason: "this build has no OP-TEE support; build with `--features optee` for an ARM board with OP-TEE",
    })
}

/// The transport of a build without the `optee` feature: there is none.
#[cfg(not(feature = "optee"))]
pub enum NoTee {}

#[cfg(not(feature = "optee"))]
impl TeeTransport for NoTee {
    fn invoke(&mut self, _: Command, _: &[u8], _: &mut [u8]) -> Result<usize, TeeError> {
        match *self {}
    }
}

/// libteec, through `optee-teec`.
#[cfg(feature = "optee")]
pub mod teec {
    use optee_teec::{Context, ErrorKind, Operation, ParamNone, ParamTmpRef, Session, Uuid};

    use super::{Origin, TEEC_ERROR_ITEM_NOT_FOUND, TeeError, TeeTransport};
    use evlock_tee_proto::{Command, UUID};

    /// A session with evlock's trusted application.
    pub struct Teec {
        session: Session,
        // Kept for the session's lifetime (the session holds the context too).
        _context: Context,
    }

    fn origin(error: &optee_teec::Error) -> Origin {
        Origin::from_raw(error.origin().map(u32::from).unwrap_or(0))
    }

    impl Teec {
        /// Opens the TEE and a session with the TA.
        pub fn connect() -> Result<Self, TeeError> {
            let mut context = Context::new().map_err(|e| match e.raw_code() {
                TEEC_ERROR_ITEM_NOT_FOUND => TeeError::NoDevice,
                code => TeeError::Context { code },
            })?;
            let uuid = Uuid::parse_str(UUID).map_err(|_| TeeError::Context { code: 0 })?;
            let session = context.open_session(uuid).map_err(|e| match e.kind() {
                ErrorKind::ItemNotFound => TeeError::NoTrustedApp { uuid: UUID },
                _ => TeeError::Session { code: e.raw_code(), origin: origin(&e) },
            })?;
            Ok(Teec { session, _context: context })
        }
    }

    impl TeeTransport for Teec {
        fn invoke(
            &mut self,
            command: Command,
            request: &[u8],
            response: &mut [u8],
        ) -> Result<usize, TeeError> {
            let p0 = ParamTmpRef::new_input(request);
            let p1 = ParamTmpRef::new_output(response);
            let mut operation = Operation::new(0, p0, p1, ParamNone, ParamNone);
            self.session.invoke_command(command.id(), &mut operation).map_err(|e| TeeError::Invoke {
                command: command.name(),
                code: e.raw_code(),
                origin: origin(&e),
            })?;
            let (_, p1, _, _) = operation.parameters();
            Ok(p1.updated_size())
        }
    }
}
