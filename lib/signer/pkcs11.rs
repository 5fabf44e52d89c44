//! The PKCS#11 backend: secp256k1 keys on a token (an HSM, a smart card, SoftHSM2), named by
//! an RFC 7512 URI such as `pkcs11:token=operator;object=fee-payer`.
//!
//! The module (the token vendor's `.so`) is loaded at run time. Signing is `CKM_ECDSA` over
//! the 32-byte digest; tokens return a random nonce and often a high `s`, so the signature is
//! normalized to low-S and its recovery id found by trial recovery against the token's public
//! key. The user PIN comes from a file or a hidden prompt and is tried once: a wrong PIN is
//! reported, never retried (tokens lock after a few failed logins).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use alloy_primitives::{Address, B256};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};

use super::{HeldKey, KeyAccess, Signer, SignerError};
use crate::exit::{ErrorClass, ExitCode};
use crate::kaia::RecoverableSig;

/// The DER encoding of the secp256k1 OID (1.3.132.0.10), the `CKA_EC_PARAMS` of its keys.
pub const SECP256K1_EC_PARAMS: [u8; 7] = [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a];

/// The environment variable naming the PKCS#11 module when `--pkcs11-module` is not given.
pub const MODULE_ENV: &str = "EVLOCK_PKCS11_MODULE";

/// Everything that can go wrong with a PKCS#11 module, token or key.
#[derive(Debug, thiserror::Error)]
pub enum Pkcs11Error {
    /// No module was named by `--pkcs11-module`, `EVLOCK_PKCS11_MODULE` or `module-path`.
    #[error(
        "no PKCS#11 module: give --pkcs11-module FILE, set {MODULE_ENV}, or add ?module-path=FILE to the URI"
    )]
    NoModule,
    /// The module cannot be loaded (missing file, not a PKCS#11 library).
    #[error("cannot load the PKCS#11 module {path}: {reason}")]
    LoadModule {
        /// The module file.
        path: PathBuf,
        /// What the loader said.
        reason: String,
    },
    /// No token matches the URI.
    #[error("no token matches {wanted} (tokens present: {present})")]
    NoToken {
        /// The token attributes asked for.
        wanted: String,
        /// The labels of the tokens present.
        present: String,
    },
    /// Several tokens match the URI.
    #[error("{count} tokens match {wanted}: add token=LABEL (or serial=…) to the URI")]
    AmbiguousToken {
        /// The token attributes asked for.
        wanted: String,
        /// How many match.
        count: usize,
    },
    /// No key object matches the URI on the token.
    #[error("no {class} key matches {wanted} on token {token:?}")]
    NoObject {
        /// `private` or `public`.
        class: &'static str,
        /// The object attributes asked for.
        wanted: String,
        /// The token's label.
        token: String,
    },
    /// Several key objects match the URI.
    #[error("{count} private keys match {wanted} on token {token:?}: add id=… to the URI")]
    AmbiguousObject {
        /// The object attributes asked for.
        wanted: String,
        /// The token's label.
        token: String,
        /// How many match.
        count: usize,
    },
    /// The URI names no object (signing needs `object=` or `id=`).
    #[error("the URI names no key: add object=LABEL (or id=…)")]
    NoObjectInUri,
    /// A key of that label exists already on the token (generate never adds a second one).
    #[error("token {token:?} holds a key labelled {object:?} already")]
    ObjectExists {
        /// The token's label.
        token: String,
        /// The object label.
        object: String,
    },
    /// The user PIN was refused. It was tried once and is not tried again.
    #[error("wrong PIN for token {token:?} (tried once; tokens lock after a few failed logins)")]
    WrongPin {
        /// The token's label.
        token: String,
    },
    /// The user PIN is locked after too many failed logins.
    #[error("the user PIN of token {token:?} is locked (unlock it with the SO PIN)")]
    PinLocked {
        /// The token's label.
        token: String,
    },
    /// The key is not an EC key.
    #[error("{object} on token {token:?} has key type {key_type}, not an EC key on secp256k1")]
    NotEcKey {
        /// The object's label.
        object: String,
        /// The token's label.
        token: String,
        /// Its key type.
        key_type: String,
    },
    /// The key is an EC key on another curve.
    #[error("{object} on token {token:?} is a {curve} key, not a secp256k1 key")]
    NotSecp256k1 {
        /// The object's label.
        object: String,
        /// The token's label.
        token: String,
        /// The curve it is on, by name where known, else its OID.
        curve: String,
    },
    /// The token's public key is not a valid secp256k1 point.
    #[error("the public key of {object} on token {token:?} is malformed: {reason}")]
    BadPublicKey {
        /// The object's label.
        object: String,
        /// The token's label.
        token: String,
        /// What is wrong.
        reason: String,
    },
    /// The token's signature does not verify against its public key.
    #[error("the token returned a signature that does not match its public key: {0}")]
    BadSignature(String),
    /// A PKCS#11 call failed.
    #[error("PKCS#11 {call} failed: {reason}")]
    Call {
        /// The function (`C_Login`, `C_Sign`, …).
        call: &'static str,
        /// The module's return value.
        reason: String,
    },
}

impl ErrorClass for Pkcs11Error {
    fn exit_code(&self) -> ExitCode {
        match self {
            Pkcs11Error::NoModule | Pkcs11Error::NoObjectInUri => ExitCode::Usage,
            _ => ExitCode::Key,
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            Pkcs11Error::NoModule => "no_pkcs11_module",
            Pkcs11Error::LoadModule { .. } => "pkcs11_module",
            Pkcs11Error::NoToken { .. } => "no_token",
            Pkcs11Error::AmbiguousToken { .. } => "ambiguous_token",
            Pkcs11Error::NoObject { .. } => "no_token_key",
            Pkcs11Error::AmbiguousObject { .. } => "ambiguous_token_key",
            Pkcs11Error::NoObjectInUri => "no_object_in_uri",
            Pkcs11Error::ObjectExists { .. } => "token_key_exists",
            Pkcs11Error::WrongPin { .. } => "wrong_pin",
            Pkcs11Error::PinLocked { .. } => "pin_locked",
            Pkcs11Error::NotEcKey { .. } | Pkcs11Error::NotSecp256k1 { .. } => "not_secp256k1",
            Pkcs11Error::BadPublicKey { .. } => "bad_token_public_key",
            Pkcs11Error::BadSignature(_) => "bad_token_signature",
            Pkcs11Error::Call { .. } => "pkcs11_call",
        }
    }
}

fn call(name: &'static str) -> impl Fn(CkError) -> Pkcs11Error {
    move |e| Pkcs11Error::Call { call: name, reason: e.to_string() }
}

/// A parsed `pkcs11:` URI (RFC 7512). Path attributes select the token and the key; the
/// query may name the module (`module-path`) and a PIN file (`pin-source`). A PIN in the URI
/// (`pin-value`) is refused: it would sit on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pkcs11Uri {
    /// The token label (`token=`).
    pub token: Option<String>,
    /// The token manufacturer (`manufacturer=`).
    pub manufacturer: Option<String>,
    /// The token model (`model=`).
    pub model: Option<String>,
    /// The token serial number (`serial=`).
    pub serial: Option<String>,
    /// The slot id (`slot-id=`).
    pub slot_id: Option<u64>,
    /// The key's label (`object=`).
    pub object: Option<String>,
    /// The key's `CKA_ID` (`id=`, percent-encoded bytes).
    pub id: Option<Vec<u8>>,
    /// The module (`?module-path=`).
    pub module_path: Option<PathBuf>,
    /// A file holding the PIN (`?pin-source=file:…` or a path).
    pub pin_source: Option<PathBuf>,
}

impl Pkcs11Uri {
    /// Parses the text after `pkcs11:`.
    pub fn parse(rest: &str) -> Result<Self, String> {
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut uri = Pkcs11Uri::default();
        for attr in path.split(';').filter(|a| !a.is_empty()) {
            let (name, value) = attr.split_once('=').ok_or_else(|| format!("{attr:?} is not NAME=VALUE"))?;
            let bytes = percent_decode(value)?;
            let text = || String::from_utf8(bytes.clone()).map_err(|_| format!("{name} is not UTF-8"));
            let slot = match name {
                "token" => &mut uri.token,
                "manufacturer" => &mut uri.manufacturer,
                "model" => &mut uri.model,
                "serial" => &mut uri.serial,
                "object" => &mut uri.object,
                "id" => {
                    set_once(&mut uri.id, bytes, name)?;
                    continue;
                }
                "slot-id" => {
                    let id = text()?.parse().map_err(|_| format!("slot-id {value:?} is not a number"))?;
                    set_once(&mut uri.slot_id, id, name)?;
                    continue;
                }
                "type" => match text()?.as_str() {
                    "private" | "public" => continue,
                    other => return Err(format!("type={other}: only keys sign (type=private)")),
                },
                other => {
                    return Err(format!(
                        "unsupported attribute {other:?} (use token, manufacturer, model, serial, slot-id, \
                         object, id, type)"
                    ));
                }
            };
            set_once(slot, text()?, name)?;
        }
        for attr in query.split('&').filter(|a| !a.is_empty()) {
            let (name, value) = attr.split_once('=').ok_or_else(|| format!("{attr:?} is not NAME=VALUE"))?;
            let value =
                String::from_utf8(percent_decode(value)?).map_err(|_| format!("{name} is not UTF-8"))?;
            match name {
                "module-path" => set_once(&mut uri.module_path, PathBuf::from(value), name)?,
                "pin-source" => {
                    let path = value.strip_prefix("file:").unwrap_or(&value);
                    set_once(&mut uri.pin_source, PathBuf::from(path), name)?
                }
                "pin-value" => {
                    return Err("pin-value would put the PIN on the command line; use --pin-file FILE or \
                                ?pin-source=file:FILE"
                        .into());
                }
                other => {
                    return Err(format!(
                        "unsupported query attribute {other:?} (use module-path, pin-source)"
                    ));
                }
            }
        }
        Ok(uri)
    }

    /// The URI of one key on one token, as `evlock-keygen list` prints it.
    pub fn for_key(token: &str, object: Option<&str>, id: Option<&[u8]>) -> Self {
        Pkcs11Uri {
            token: Some(token.to_string()),
            object: object.map(str::to_string),
            id: id.filter(|_| object.is_none()).map(<[u8]>::to_vec),
            ..Pkcs11Uri::default()
        }
    }

    /// The token attributes, for messages.
    fn token_wanted(&self) -> String {
        let mut parts = Vec::new();
        push_attr(&mut parts, "token", self.token.as_deref().map(str::as_bytes));
        push_attr(&mut parts, "manufacturer", self.manufacturer.as_deref().map(str::as_bytes));
        push_attr(&mut parts, "model", self.model.as_deref().map(str::as_bytes));
        push_attr(&mut parts, "serial", self.serial.as_deref().map(str::as_bytes));
        if let Some(id) = self.slot_id {
            parts.push(format!("slot-id={id}"));
        }
        if parts.is_empty() { "any token".into() } else { parts.join(";") }
    }

    /// The object attributes, for messages.
    fn object_wanted(&self) -> String {
        let mut parts = Vec::new();
        push_attr(&mut parts, "object", self.object.as_deref().map(str::as_bytes));
        push_attr(&mut parts, "id", self.id.as_deref());
        parts.join(";")
    }
}

impl fmt::Display for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        push_attr(&mut parts, "token", self.token.as_deref().map(str::as_bytes));
        push_attr(&mut parts, "manufacturer", self.manufacturer.as_deref().map(str::as_bytes));
        push_attr(&mut parts, "model", self.model.as_deref().map(str::as_bytes));
        push_attr(&mut parts, "serial", self.serial.as_deref().map(str::as_bytes));
        if let Some(id) = self.slot_id {
            parts.push(format!("slot-id={id}"));
        }
        push_attr(&mut parts, "object", self.object.as_deref().map(str::as_bytes));
        push_attr(&mut parts, "id", self.id.as_deref());
        write!(f, "pkcs11:{}", parts.join(";"))
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T, name: &str) -> Result<(), String> {
    if slot.replace(value).is_some() {
        return Err(format!("{name} is given twice"));
    }
    Ok(())
}

fn push_attr(parts: &mut Vec<String>, name: &str, value: Option<&[u8]>) {
    if let Some(value) = value {
        parts.push(format!("{name}={}", percent_encode(value, name == "id")));
    }
}

/// RFC 7512 percent-decoding.
fn percent_decode(text: &str) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3).filter(|h| h.len() == 2);
            let byte = hex
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent-encoding at {:?}", &text[i..]))?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

/// Percent-encodes what RFC 7512 does not allow as is in a path attribute value (all of it
/// for an `id`, which is bytes).
fn percent_encode(value: &[u8], every_byte: bool) -> String {
    let mut out = String::new();
    for &b in value {
        let plain = b.is_ascii_alphanumeric() || b"-._~:[]@!$'()*+,=&".contains(&b);
        if plain && !every_byte {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
    out
}

/// The name of the curve in `CKA_EC_PARAMS`, or its OID when it is not one evlock knows.
pub fn curve_name(params: &[u8]) -> String {
    let named = |oid: &str| -> Option<&'static str> {
        Some(match oid {
            "1.3.132.0.10" => "secp256k1",
            "1.2.840.10045.3.1.7" => "P-256 (prime256v1)",
            "1.3.132.0.34" => "P-384 (secp384r1)",
            "1.3.132.0.35" => "P-521 (secp521r1)",
            "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
            "1.3.101.112" => "Ed25519",
            "1.3.101.113" => "Ed448",
            "1.3.101.110" => "X25519",
            _ => return None,
        })
    };
    match params {
        [0x06, len, body @ ..] if usize::from(*len) == body.len() && !body.is_empty() => {
            let oid = oid_text(body);
            named(&oid).map(str::to_string).unwrap_or_else(|| format!("OID {oid}"))
        }
        // A named curve given as a PrintableString (allowed by PKCS#11).
        [0x13, len, body @ ..] if usize::from(*len) == body.len() => {
            String::from_utf8_lossy(body).into_owned()
        }
        _ => format!("curve with EC parameters {}", hex::encode(params)),
    }
}

fn oid_text(body: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value = 0u64;
    for &b in body {
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        }
    }
    arcs.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

/// The uncompressed point in `CKA_EC_POINT`: DER-wrapped (`04 41 04…`) as the standard says,
/// or bare (`04…`) as some tokens return it.
fn ec_point(value: &[u8]) -> Result<[u8; 65], String> {
    let point = match value {
        [0x04, 0x41, rest @ ..] if rest.len() == 65 => rest,
        [0x04, ..] if value.len() == 65 => value,
        _ => return Err(format!("CKA_EC_POINT is {} bytes, not an uncompressed point", value.len())),
    };
    let mut out = [0u8; 65];
    out.copy_from_slice(point);
    VerifyingKey::from_sec1_bytes(&out).map_err(|_| "not a point on secp256k1".to_string())?;
    Ok(out)
}

/// An open token: the loaded module, the slot and a session on it.
struct Token {
    session: Session,
    label: String,
    login_required: bool,
    protected_path: bool,
}

fn module_path(uri: &Pkcs11Uri, access: &KeyAccess) -> Result<PathBuf, Pkcs11Error> {
    access.pkcs11_module.clone().or_else(|| uri.module_path.clone()).ok_or(Pkcs11Error::NoModule)
}

/// The module at `path`, loaded and initialized once per process: two keys on tokens of the
/// same module (a meter key and a fee payer's in `evlock-trade deliver`) share it, since a
/// module may be initialized only once.
fn load(path: &Path) -> Result<Pkcs11, Pkcs11Error> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut loaded = LOADED.get_or_init(Mutex::default).lock().unwrap_or_else(|p| p.into_inner());
    if let Some(pkcs11) = loaded.get(path) {
        return Ok(pkcs11.clone());
    }
    if !path.exists() {
        return Err(Pkcs11Error::LoadModule { path: path.into(), reason: "no such file".into() });
    }
    let pkcs11 = Pkcs11::new(path)
        .map_err(|e| Pkcs11Error::LoadModule { path: path.into(), reason: full_error(&e) })?;
    match pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => {
            return Err(Pkcs11Error::LoadModule { path: path.into(), reason: format!("C_Initialize: {e}") });
        }
    }
    loaded.insert(path.to_path_buf(), pkcs11.clone());
    Ok(pkcs11)
}

fn full_error(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        // libloading repeats its cause in its own message.
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        source = inner.source();
    }
    text
}

fn open_token(uri: &Pkcs11Uri, access: &KeyAccess, read_write: bool) -> Result<Token, Pkcs11Error> {
    let pkcs11 = load(&module_path(uri, access)?)?;
    let slots = pkcs11.get_slots_with_token().map_err(call("C_GetSlotList"))?;
    let mut present = Vec::new();
    let mut matching: Vec<(Slot, String, bool, bool)> = Vec::new();
    for slot in slots {
        let info = pkcs11.get_token_info(slot).map_err(call("C_GetTokenInfo"))?;
        let label = info.label().trim().to_string();
        if info.token_initialized() {
            present.push(format!("{label:?}"));
        }
        let is = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have.trim());
        if is(&uri.token, &label)
            && is(&uri.manufacturer, info.manufacturer_id())
            && is(&uri.model, info.model())
            && is(&uri.serial, info.serial_number())
            && uri.slot_id.is_none_or(|id| id == slot.id())
            && info.token_initialized()
        {
            matching.push((slot, label, info.login_required(), info.protected_authentication_path()));
        }
    }
    let (slot, label, login_required, protected_path) = match matching.len() {
        1 => matching.remove(0),
        0 => {
            // Slot order is the module's (SoftHSM2's follows random serials): name them sorted.
            present.sort();
            let present = if present.is_empty() { "none".to_string() } else { present.join(", ") };
            return Err(Pkcs11Error::NoToken { wanted: uri.token_wanted(), present });
        }
        count => return Err(Pkcs11Error::AmbiguousToken { wanted: uri.token_wanted(), count }),
    };
    let session = if read_write { pkcs11.open_rw_session(slot) } else { pkcs11.open_ro_session(slot) }
        .map_err(call("C_OpenSession"))?;
    Ok(Token { session, label, login_required, protected_path })
}

impl Token {
    /// Logs the user in: the PIN from its file or a hidden prompt, tried exactly once.
    fn login(&self, uri: &Pkcs11Uri, access: &KeyAccess) -> Result<(), SignerError> {
        if !self.login_required {
            return Ok(());
        }
        let result = if self.protected_path {
            log::info!("enter the PIN of token {:?} on its reader", self.label);
            self.session.login(UserType::User, None)
        } else {
            let mut source = access.pin.clone();
            if source.file.is_none() {
                source.file = uri.pin_source.clone();
            }
            let pin = source.obtain_pin(&format!("PIN for token {}", self.label))?;
            self.session.login(UserType::User, Some(&AuthPin::from(pin.as_str())))
        };
        match result {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
            Err(CkError::Pkcs11(RvError::PinIncorrect | RvError::PinLenRange, _)) => {
                Err(Pkcs11Error::WrongPin { token: self.label.clone() }.into())
            }
            Err(CkError::Pkcs11(RvError::PinLocked, _)) => {
                Err(Pkcs11Error::PinLocked { token: self.label.clone() }.into())
            }
            Err(e) => Err(call("C_Login")(e).into()),
        }
    }

    fn find(&self, class: ObjectClass, uri: &Pkcs11Uri) -> Result<Vec<ObjectHandle>, Pkcs11Error> {
        let mut template = vec![Attribute::Class(class)];
        if let Some(label) = &uri.object {
            template.push(Attribute::Label(label.as_bytes().to_vec()));
        }
        if let Some(id) = &uri.id {
            template.push(Attribute::Id(id.clone()));
        }
        self.session.find_objects(&template).map_err(call("C_FindObjects"))
    }

    fn text_attr(&self, object: ObjectHandle, kind: AttributeType) -> Option<Vec<u8>> {
        match self.session.get_attributes(object, &[kind]).ok()?.pop()? {
            Attribute::Label(v) | Attribute::Id(v) | Attribute::EcParams(v) | Attribute::EcPoint(v) => {
                Some(v)
            }
            _ => None,
        }
    }

    fn describe(&self, object: ObjectHandle) -> String {
        match self.text_attr(object, AttributeType::Label) {
            Some(label) if !label.is_empty() => format!("key {:?}", String::from_utf8_lossy(&label)),
            _ => match self.text_attr(object, AttributeType::Id) {
                Some(id) => format!("key id={}", percent_encode(&id, true)),
                None => "the key".into(),
            },
        }
    }

    /// Checks that `object` is a secp256k1 EC key, naming its type or curve when it is not.
    fn check_secp256k1(&self, object: ObjectHandle) -> Result<(), Pkcs11Error> {
        let attrs = self
            .session
            .get_attributes(object, &[AttributeType::KeyType, AttributeType::EcParams])
            .map_err(call("C_GetAttributeValue"))?;
        let mut key_type = None;
        let mut params = None;
        for attr in attrs {
            match attr {
                Attribute::KeyType(t) => key_type = Some(t),
                Attribute::EcParams(p) => params = Some(p),
                _ => {}
            }
        }
        let object_name = || self.describe(object);
        match key_type {
            Some(t) if t == KeyType::EC => {}
            Some(t) => {
                return Err(Pkcs11Error::NotEcKey {
                    object: object_name(),
                    token: self.label.clone(),
                    key_type: t.to_string(),
                });
            }
            None => {}
        }
        match params {
            Some(p) if p == SECP256K1_EC_PARAMS => Ok(()),
            Some(p) => Err(Pkcs11Error::NotSecp256k1 {
                object: object_name(),
                token: self.label.clone(),
                curve: curve_name(&p),
            }),
            None => Err(Pkcs11Error::NotSecp256k1 {
                object: object_name(),
                token: self.label.clone(),
                curve: "key without EC parameters".into(),
            }),
        }
    }

    /// The public key that goes with `private`: the public key object of the same label and
    /// id, or the private key's own `CKA_EC_POINT` where the token exposes one.
    fn public_key_of(&self, private: ObjectHandle) -> Result<[u8; 65], Pkcs11Error> {
        let label = self.text_attr(private, AttributeType::Label).filter(|l| !l.is_empty());
        let id = self.text_attr(private, AttributeType::Id).filter(|i| !i.is_empty());
        let wanted = Pkcs11Uri {
            object: label.map(|l| String::from_utf8_lossy(&l).into_owned()),
            id,
            ..Pkcs11Uri::default()
        };
        let point = match self.find(ObjectClass::PUBLIC_KEY, &wanted)?.first() {
            Some(public) => {
                self.check_secp256k1(*public)?;
                self.text_attr(*public, AttributeType::EcPoint)
            }
            None => self.text_attr(private, AttributeType::EcPoint),
        };
        let point = point.ok_or_else(|| Pkcs11Error::NoObject {
            class: "public",
            wanted: wanted.object_wanted(),
            token: self.label.clone(),
        })?;
        ec_point(&point).map_err(|reason| Pkcs11Error::BadPublicKey {
            object: self.describe(private),
            token: self.label.clone(),
            reason,
        })
    }
}

/// A secp256k1 key on a PKCS#11 token, with a logged-in session.
pub struct Pkcs11Signer {
    token: Token,
    key: ObjectHandle,
    verifying_key: VerifyingKey,
    address: Address,
}

impl Pkcs11Signer {
    /// Opens the token, logs in (once), and finds the key the URI names.
    pub fn open(uri: &Pkcs11Uri, access: &KeyAccess) -> Result<Self, SignerError> {
        if uri.object.is_none() && uri.id.is_none() {
            return Err(Pkcs11Error::NoObjectInUri.into());
        }
        let token = open_token(uri, access, false)?;
        token.login(uri, access)?;
        let mut keys = token.find(ObjectClass::PRIVATE_KEY, uri)?;
        let key = match keys.len() {
            1 => keys.remove(0),
            0 => {
                return Err(Pkcs11Error::NoObject {
                    class: "private",
                    wanted: uri.object_wanted(),
                    token: token.label.clone(),
                }
                .into());
            }
            count => {
                return Err(Pkcs11Error::AmbiguousObject {
                    wanted: uri.object_wanted(),
                    token: token.label.clone(),
                    count,
                }
                .into());
            }
        };
        token.check_secp256k1(key)?;
        let public = token.public_key_of(key)?;
        let verifying_key =
            VerifyingKey::from_sec1_bytes(&public).map_err(|_| Pkcs11Error::BadPublicKey {
                object: token.describe(key),
                token: token.label.clone(),
                reason: "not a point on secp256k1".into(),
            })?;
        let address = crate::keys::address_of_public_key(&public);
        Ok(Pkcs11Signer { token, key, verifying_key, address })
    }
}

impl Signer for Pkcs11Signer {
    fn address(&self) -> Address {
        self.address
    }

    fn sign_digest(&self, digest: &B256) -> Result<RecoverableSig, SignerError> {
        let raw = self
            .token
            .session
            .sign(&Mechanism::Ecdsa, self.key, digest.as_slice())
            .map_err(call("C_Sign"))?;
        let signature = Signature::from_slice(&raw).map_err(|_| {
            Pkcs11Error::BadSignature(format!("{} bytes, not r ‖ s of 32 bytes each", raw.len()))
        })?;
        // Tokens pick a random nonce and do not care about Ethereum's low-S rule.
        let signature = signature.normalize_s();
        let recid = recovery_id(&self.verifying_key, digest, &signature)?;
        RecoverableSig::from_k256(&signature, recid)
            .map_err(|e| Pkcs11Error::BadSignature(e.to_string()).into())
    }
}

/// The recovery id under which `signature` recovers to `key`, found by trying both parities.
fn recovery_id(key: &VerifyingKey, digest: &B256, signature: &Signature) -> Result<RecoveryId, Pkcs11Error> {
    [false, true]
        .into_iter()
        .map(|odd| RecoveryId::new(odd, false))
        .find(|recid| {
            VerifyingKey::recover_from_prehash(digest.as_slice(), signature, *recid).is_ok_and(|k| k == *key)
        })
        .ok_or_else(|| Pkcs11Error::BadSignature("it recovers to neither parity".into()))
}

/// Generates a secp256k1 key pair on the token (`CKM_EC_KEY_PAIR_GEN`): the private key
/// sensitive and never extractable, both labelled with the URI's `object`.
pub fn generate(uri: &Pkcs11Uri, access: &KeyAccess) -> Result<HeldKey, SignerError> {
    let label = uri.object.clone().ok_or(Pkcs11Error::NoObjectInUri)?;
    let token = open_token(uri, access, true)?;
    token.login(uri, access)?;
    let by_label = Pkcs11Uri { object: Some(label.clone()), ..Pkcs11Uri::default() };
    if !token.find(ObjectClass::PRIVATE_KEY, &by_label)?.is_empty()
        || !token.find(ObjectClass::PUBLIC_KEY, &by_label)?.is_empty()
    {
        return Err(Pkcs11Error::ObjectExists { token: token.label.clone(), object: label }.into());
    }
    let mut id = vec![0u8; 16];
    getrandom::fill(&mut id)
        .map_err(|e| SignerError::Device(format!("no randomness for the key id: {e}")))?;
    let id = uri.id.clone().unwrap_or(id);
    let public_template = [
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::EcParams(SECP256K1_EC_PARAMS.to_vec()),
        Attribute::Label(label.as_bytes().to_vec()),
        Attribute::Id(id.clone()),
    ];
    let private_template = [
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Label(label.as_bytes().to_vec()),
        Attribute::Id(id),
    ];
    let (public, _private) = token
        .session
        .generate_key_pair(&Mechanism::EccKeyPairGen, &public_template, &private_template)
        .map_err(call("C_GenerateKeyPair"))?;
    let point = token.text_attr(public, AttributeType::EcPoint).ok_or_else(|| Pkcs11Error::NoObject {
        class: "public",
        wanted: format!("object={label}"),
        token: token.label.clone(),
    })?;
    let public_key = ec_point(&point).map_err(|reason| Pkcs11Error::BadPublicKey {
        object: format!("key {label:?}"),
        token: token.label.clone(),
        reason,
    })?;
    Ok(HeldKey {
        uri: Pkcs11Uri::for_key(&token.label, Some(&label), None).to_string(),
        address: crate::keys::address_of_public_key(&public_key),
        public_key,
    })
}

/// The secp256k1 public keys on the token (those the URI's `object`/`id` select, or all),
/// found without logging in: public key objects are public.
pub fn list(uri: &Pkcs11Uri, access: &KeyAccess) -> Result<Vec<HeldKey>, SignerError> {
    let token = open_token(uri, access, false)?;
    let mut keys = Vec::new();
    for public in token.find(ObjectClass::PUBLIC_KEY, uri)? {
        if let Err(e) = token.check_secp256k1(public) {
            log::info!("skipped: {e}");
            continue;
        }
        let Some(point) = token.text_attr(public, AttributeType::EcPoint) else { continue };
        let public_key = match ec_point(&point) {
            Ok(key) => key,
            Err(reason) => {
                log::warn!("skipped {}: {reason}", token.describe(public));
                continue;
            }
        };
        let label = token.text_attr(public, AttributeType::Label).filter(|l| !l.is_empty());
        let label = label.map(|l| String::from_utf8_lossy(&l).into_owned());
        let id = token.text_attr(public, AttributeType::Id);
        keys.push(HeldKey {
            uri: Pkcs11Uri::for_key(&token.label, label.as_deref(), id.as_deref()).to_string(),
            address: crate::keys::address_of_public_key(&public_key),
            public_key,
        });
    }
    Ok(keys)
}

impl From<Pkcs11Error> for SignerError {
    fn from(e: Pkcs11Error) -> Self {
        SignerError::Pkcs11(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_parse_as_rfc_7512_says() {
        let uri = Pkcs11Uri::parse("token=My%20Token;object=fee-payer;id=%01%a2?module-path=/usr/lib/x.so")
            .unwrap();
        assert_eq!(uri.token.as_deref(), Some("My Token"));
        assert_eq!(uri.object.as_deref(), Some("fee-payer"));
        assert_eq!(uri.id.as_deref(), Some(&[0x01, 0xa2][..]));
        assert_eq!(uri.module_path.as_deref(), Some(Path::new("/usr/lib/x.so")));
        let uri = Pkcs11Uri::parse("serial=42;slot-id=3;type=private?pin-source=file:/run/pin").unwrap();
        assert_eq!(uri.serial.as_deref(), Some("42"));
        assert_eq!(uri.slot_id, Some(3));
        assert_eq!(uri.pin_source.as_deref(), Some(Path::new("/run/pin")));
        assert_eq!(Pkcs11Uri::parse("").unwrap(), Pkcs11Uri::default());
    }

    #[test]
    fn bad_uris_are_refused_with_the_reason() {
        assert!(Pkcs11Uri::parse("token").unwrap_err().contains("NAME=VALUE"));
        assert!(Pkcs11Uri::parse("token=a;token=b").unwrap_err().contains("twice"));
        assert!(Pkcs11Uri::parse("colour=red").unwrap_err().contains("unsupported attribute"));
        assert!(Pkcs11Uri::parse("token=%zz").unwrap_err().contains("percent"));
        assert!(Pkcs11Uri::parse("token=%4").unwrap_err().contains("percent"));
        assert!(Pkcs11Uri::parse("token=a?pin-value=1234").unwrap_err().contains("--pin-file"));
        assert!(Pkcs11Uri::parse("type=cert").unwrap_err().contains("type"));
        assert!(Pkcs11Uri::parse("slot-id=x").unwrap_err().contains("number"));
    }

    #[test]
    fn uris_print_back_percent_encoded() {
        let uri = Pkcs11Uri::for_key("my token;x", Some("fee/payer"), None);
        assert_eq!(uri.to_string(), "pkcs11:token=my%20token%3bx;object=fee%2fpayer");
        assert_eq!(Pkcs11Uri::parse(uri.to_string().strip_prefix("pkcs11:").unwrap()).unwrap(), uri);
        let by_id = Pkcs11Uri::for_key("t", None, Some(&[0xab, 0x01]));
        assert_eq!(by_id.to_string(), "pkcs11:token=t;id=%ab%01");
    }

    #[test]
    fn curves_are_named() {
        assert_eq!(curve_name(&SECP256K1_EC_PARAMS), "secp256k1");
        assert_eq!(
            curve_name(&[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]),
            "P-256 (prime256v1)"
        );
        assert_eq!(curve_name(&[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]), "P-384 (secp384r1)");
        assert_eq!(curve_name(&[0x06, 0x03, 0x2b, 0x65, 0x70]), "Ed25519");
        assert_eq!(curve_name(&[0x06, 0x03, 0x2a, 0x03, 0x04]), "OID 1.2.3.4");
        assert_eq!(curve_name(&[0x13, 0x04, b'e', b'd', b'2', b'5']), "ed25");
        assert!(curve_name(&[0x30, 0x00]).contains("3000"));
    }

    #[test]
    fn ec_points_are_unwrapped_from_der() {
        let key = crate::keys::SecretKey::from_hex(
            "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d",
        )
        .unwrap();
        let point = key.public_key_uncompressed();
        let wrapped = [&[0x04, 0x41][..], &point].concat();
        assert_eq!(ec_point(&wrapped).unwrap(), point);
        assert_eq!(ec_point(&point).unwrap(), point);
        assert!(ec_point(&point[..33]).is_err());
        let mut off_curve = point;
        off_curve[64] ^= 1;
        assert!(ec_point(&off_curve).unwrap_err().contains("secp256k1"));
    }

    #[test]
    fn high_s_token_signatures_are_normalized_and_their_parity_found() {
        let key = crate::keys::SecretKey::from_hex(
            "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d",
        )
        .unwrap();
        let verifying = *key.signing_key().verifying_key();
        for n in 0u8..16 {
            let digest = alloy_primitives::keccak256([n]);
            let (low, _) = key.signing_key().sign_prehash_recoverable(digest.as_slice());
            // What a token may return: the same signature with s flipped high.
            let (r, s) = low.split_scalars();
            let high = Signature::from_scalars(r, -*s).unwrap();
            assert_ne!(high, low);
            let normalized = high.normalize_s();
            assert_eq!(normalized, low);
            let recid = recovery_id(&verifying, &digest, &normalized).unwrap();
            let sig = RecoverableSig::from_k256(&normalized, recid).unwrap();
            assert_eq!(sig.recover_address(&digest).unwrap(), key.address());
        }
    }
}
