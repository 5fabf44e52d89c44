//! Encrypted keystores.
//!
//! Writes Web3 Secret Storage v3 (scrypt, aes-128-ctr, keccak MAC): n = 262144, r = 8, p = 1 by
//! default ([`Kdf::Standard`]), n = 4096 with [`Kdf::Light`] for small boards. Reads v3 with
//! scrypt or pbkdf2-hmac-sha256, and Kaia's KIP-3 v4 (one address, a flat list of keys or a
//! role-based list of lists). An EIP-2335 BLS keystore (also "version 4") is recognised and
//! refused with a message saying what it is.
//!
//! A keystore names an account (`address`) and holds the keys that sign for it. On Kaia the
//! two may differ: an account whose key was changed by an AccountUpdate is *decoupled*, and
//! its keystore (a KIP-3 file, or a v3 file as caver-js writes one) names the account, not the
//! key's own address. [`Keystore::role_keys`] says which keys sign for which role.
//!
//! ```
//! use evlock::keys::{SecretKey, keystore::{Keystore, Kdf, encrypt_v3}};
//! let key = SecretKey::from_hex("7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d").unwrap();
//! let json = encrypt_v3(&key, b"correct horse", Kdf::Light).unwrap();
//! let keystore = Keystore::parse(json.as_bytes(), "mem.json".as_ref()).unwrap();
//! let keys = keystore.decrypt(b"correct horse").unwrap();
//! assert_eq!(keys[0].key.address(), key.address());
//! assert!(keystore.decrypt(b"wrong").is_err());
//! ```

use std::path::{Path, PathBuf};

use aes::cipher::{KeyIvInit, StreamCipher};

use alloy_primitives::{Address, keccak256};
use serde_json::{Map, Value, json};
use zeroize::Zeroizing;

use super::{KeyError, SecretKey};

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;

/// The scrypt cost of a new keystore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kdf {
    /// n = 262144, r = 8, p = 1 (≈ 256 MiB and half a second per unlock): the geth default.
    Standard,
    /// n = 4096, r = 8, p = 1 (4 MiB): for boards without the memory; weaker against guessing.
    Light,
}

impl Kdf {
    fn log_n(self) -> u8 {
        match self {
            Kdf::Standard => 18,
            Kdf::Light => 12,
        }
    }
}

/// The most key-derivation work one key may cost, in bytes of scrypt memory traffic
/// (128·r·n·p): 2 GiB, 8× the standard keystore (n = 2^18, r = 8, p = 1: 256 MiB, about half a
/// second). It bounds scrypt's memory too (128·r·n bytes for V, 128·r·p for B), so a hostile
/// file cannot exhaust memory or time.
pub const MAX_KDF_WORK_PER_KEY: u64 = 2 << 30;
/// The most key-derivation work of a whole keystore, every key together: 8 GiB, 32 standard
/// keys (a role-based keyring of 3 × 10 standard keys fits; it takes about 15 s).
pub const MAX_KDF_WORK_TOTAL: u64 = 8 << 30;
/// What one pbkdf2-hmac-sha256 round counts as, in bytes of scrypt work (about the same time):
/// a key may have at most 8 million rounds (geth writes 262,144).
pub const PBKDF2_ROUND_WORK: u64 = 256;
/// The most keys in one KIP-3 key list: Kaia's limit for a weighted multisig account key
/// (a flat keyring, or each role of a role-based one, which has at most 3 roles).
pub const MAX_KEYS_PER_LIST: usize = 10;

/// The key-derivation parameters of one encrypted key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KdfParams {
    Scrypt { log_n: u8, r: u32, p: u32, dklen: usize, salt: Vec<u8> },
    Pbkdf2 { rounds: u32, dklen: usize, salt: Vec<u8> },
}

/// One encrypted private key (a v3 `crypto` object, or a KIP-3 keyring entry).
#[derive(Debug, Clone, PartialEq, Eq)]
struct EncryptedKey {
    ciphertext: Vec<u8>,
    iv: [u8; 16],
    kdf: KdfParams,
    mac: [u8; 32],
}

/// Which format a keystore file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Web3 Secret Storage v3 with scrypt.
    V3Scrypt,
    /// Web3 Secret Storage v3 with pbkdf2.
    V3Pbkdf2,
    /// Kaia KIP-3 v4.
    Kip3V4,
}

impl Format {
    /// The name used in `key` records.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::V3Scrypt => "v3-scrypt",
            Format::V3Pbkdf2 => "v3-pbkdf2",
            Format::Kip3V4 => "kip3-v4",
        }
    }
}

/// The role of a key in a KIP-3 role-based keyring (the order of Kaia's AccountKeyRoleBased).
pub const ROLES: [&str; 3] = ["transaction", "account_update", "fee_payer"];

/// A decrypted key with where it sat in its keystore.
pub struct DecryptedKey {
    /// The private key.
    pub key: SecretKey,
    /// For role-based keyrings: the role (see [`ROLES`]).
    pub role: Option<&'static str>,
    /// The key's position in its list.
    pub index: usize,
}

/// A parsed keystore file, still encrypted.
#[derive(Debug, Clone)]
pub struct Keystore {
    path: PathBuf,
    format: Format,
    address: Option<Address>,
    /// Each key with its role (None for v3 and flat v4 keyrings).
    keys: Vec<(Option<&'static str>, usize, EncryptedKey)>,
}

impl Keystore {
    /// Reads and parses a keystore file.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let bytes = crate::wire::read_file_capped(path, crate::wire::MAX_FILE_BYTES)
            .map_err(|source| KeyError::ReadKeystore { path: path.to_path_buf(), source })?;
        Keystore::parse(&bytes, path)
    }

    /// Parses keystore JSON; `path` is only used in messages.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self, KeyError> {
        let malformed = |reason: String| KeyError::MalformedKeystore { path: path.to_path_buf(), reason };
        let unsupported = |reason: String| KeyError::UnsupportedKeystore { path: path.to_path_buf(), reason };
        let value: Value = serde_json::from_slice(bytes).map_err(|e| {
            if e.is_eof() {
                malformed(format!("the file ends early (truncated?): {e}"))
            } else {
                malformed(format!("not JSON: {e}"))
            }
        })?;
        let object = value.as_object().ok_or_else(|| malformed("not a JSON object".into()))?;
        let version = object
            .get("version")
            .ok_or_else(|| malformed("no \"version\" field".into()))?
            .as_u64()
            .ok_or_else(|| malformed("\"version\" is not a number".into()))?;
        match version {
            3 => {
                let crypto = object
                    .get("crypto")
                    .or_else(|| object.get("Crypto"))
                    .ok_or_else(|| malformed("no \"crypto\" object".into()))?;
                let key = parse_encrypted_key(crypto, "crypto", path)?;
                let format = match key.kdf {
                    KdfParams::Scrypt { .. } => Format::V3Scrypt,
                    KdfParams::Pbkdf2 { .. } => Format::V3Pbkdf2,
                };
                let address = match object.get("address") {
                    Some(Value::String(text)) => {
                        Some(parse_address(text).map_err(|e| malformed(format!("\"address\": {e}")))?)
                    }
                    _ => None,
                };
                Ok(Keystore { path: path.to_path_buf(), format, address, keys: vec![(None, 0, key)] })
            }
            4 if object.contains_key("keyring") => {
                let address = object
                    .get("address")
                    .and_then(Value::as_str)
                    .ok_or_else(|| malformed("KIP-3 keystore without an \"address\"".into()))
                    .and_then(|text| {
                        parse_address(text).map_err(|e| malformed(format!("\"address\": {e}")))
                    })?;
                let keyring = object["keyring"]
                    .as_array()
                    .ok_or_else(|| malformed("\"keyring\" is not a list".into()))?;
                let role_based = keyring.iter().any(Value::is_array);
                let mut keys = Vec::new();
                if role_based {
                    if keyring.len() > ROLES.len() {
                        return Err(malformed(format!(
                            "a role-based keyring has at most {} roles, this one {}",
                            ROLES.len(),
                            keyring.len()
                        )));
                    }
                    for (role_index, role_keys) in keyring.iter().enumerate() {
                        let list = role_keys.as_array().ok_or_else(|| {
                            malformed(format!(
                                "keyring[{role_index}] is not a list (mixed flat and role-based keyring)"
                            ))
                        })?;
                        check_key_count(list.len(), &format!("keyring[{role_index}]"), path)?;
                        for (index, entry) in list.iter().enumerate() {
                            let key =
                                parse_encrypted_key(entry, &format!("keyring[{role_index}][{index}]"), path)?;
                            keys.push((Some(ROLES[role_index]), index, key));
                        }
                    }
                } else {
                    check_key_count(keyring.len(), "keyring", path)?;
                    for (index, entry) in keyring.iter().enumerate() {
                        keys.push((
                            None,
                            index,
                            parse_encrypted_key(entry, &format!("keyring[{index}]"), path)?,
                        ));
                    }
                }
                if keys.is_empty() {
                    return Err(malformed("the keyring holds no keys".into()));
                }
                let work = keys.iter().map(|(_, _, key)| key.kdf.work()).fold(0u64, u64::saturating_add);
                if work > MAX_KDF_WORK_TOTAL {
                    return Err(KeyError::TooCostly {
                        path: path.to_path_buf(),
                        reason: format!(
                            "its {} keys need {} of key-derivation work together, above the limit of {} per keystore",
                            keys.len(),
                            bytes_text(work),
                            bytes_text(MAX_KDF_WORK_TOTAL)
                        ),
                    });
                }
                Ok(Keystore {
                    path: path.to_path_buf(),
                    format: Format::Kip3V4,
                    address: Some(address),
                    keys,
                })
            }
            4 if is_eip2335(object) => Err(unsupported(
                "this is an EIP-2335 BLS12-381 keystore (an Ethereum consensus-layer validator key), \
                 not a secp256k1 account keystore; Kaia accounts use Web3 Secret Storage v3 or KIP-3 v4"
                    .into(),
            )),
            other => {
                Err(unsupported(format!("keystore version {other} (supported: 3, and Kaia KIP-3 version 4)")))
            }
        }
    }

    /// The file this keystore came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The keystore's format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The address the file names, if it names one (v3's `address` is optional).
    pub fn address(&self) -> Option<Address> {
        self.address
    }

    /// How many keys the file holds.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Decrypts every key. A wrong password fails on the first key's MAC, before any key is
    /// returned.
    pub fn decrypt(&self, password: &[u8]) -> Result<Vec<DecryptedKey>, KeyError> {
        self.keys
            .iter()
            .map(|(role, index, encrypted)| {
                Ok(DecryptedKey {
                    key: decrypt_key(encrypted, password, &self.path)?,
                    role: *role,
                    index: *index,
                })
            })
            .collect()
    }

    /// Decrypts the first key that signs transactions (the first of [`Self::role_keys`] for
    /// `transaction`): what importing or re-encrypting the file as a v3 keystore keeps.
    pub fn decrypt_signing_key(&self, password: &[u8]) -> Result<SecretKey, KeyError> {
        let first = *self.role_keys(0).first().ok_or_else(|| KeyError::UnsupportedKeystore {
            path: self.path.clone(),
            reason: "the role-based keyring has no transaction key".into(),
        })?;
        decrypt_key(&self.keys[first].2, password, &self.path)
    }

    /// Whether the file is a KIP-3 keyring with a list of keys per role.
    pub fn is_role_based(&self) -> bool {
        self.keys.iter().any(|(role, _, _)| role.is_some())
    }

    /// Which of the file's keys sign for the role numbered `role` (its index in [`ROLES`],
    /// Kaia's role order), as positions in what [`Self::decrypt`] returns: the key of a v3
    /// file and every key of a flat KIP-3 keyring sign every role; a role-based keyring's
    /// role its own keys, or the `transaction` keys when its list is empty (as Kaia validates
    /// a role an account key does not set with its RoleTransaction key, and caver-js signs
    /// it). Empty when the keyring has neither.
    pub fn role_keys(&self, role: usize) -> Vec<usize> {
        let of = |wanted: &str| -> Vec<usize> {
            self.keys.iter().enumerate().filter(|(_, (r, _, _))| *r == Some(wanted)).map(|(i, _)| i).collect()
        };
        if !self.is_role_based() {
            return (0..self.keys.len()).collect();
        }
        match ROLES.get(role).map(|name| of(name)) {
            Some(own) if !own.is_empty() => own,
            _ => of(ROLES[0]),
        }
    }

    /// Decrypts the keys at these positions (from [`Self::role_keys`]), in that order.
    pub fn decrypt_at(&self, password: &[u8], positions: &[usize]) -> Result<Vec<DecryptedKey>, KeyError> {
        positions
            .iter()
            .filter_map(|position| self.keys.get(*position))
            .map(|(role, index, encrypted)| {
                Ok(DecryptedKey {
                    key: decrypt_key(encrypted, password, &self.path)?,
                    role: *role,
                    index: *index,
                })
            })
            .collect()
    }
}

/// Refuses a key list longer than Kaia allows before any of it is parsed or decrypted.
fn check_key_count(count: usize, at: &str, path: &Path) -> Result<(), KeyError> {
    if count > MAX_KEYS_PER_LIST {
        return Err(KeyError::TooCostly {
            path: path.to_path_buf(),
            reason: format!(
                "{at} holds {count} keys, above the limit of {MAX_KEYS_PER_LIST} (a Kaia multisig key has at most {MAX_KEYS_PER_LIST})"
            ),
        });
    }
    Ok(())
}

fn is_eip2335(object: &Map<String, Value>) -> bool {
    object.get("crypto").and_then(|c| c.get("checksum")).is_some() || object.contains_key("pubkey")
}

/// The file's address: hex with or without `0x` (geth writes it bare and lower case); mixed
/// case must be the EIP-55 checksum.
fn parse_address(text: &str) -> Result<Address, String> {
    crate::wire::parse_address(text).map_err(|e| e.to_string())
}

fn parse_encrypted_key(value: &Value, at: &str, path: &Path) -> Result<EncryptedKey, KeyError> {
    let malformed = |reason: String| KeyError::MalformedKeystore {
        path: path.to_path_buf(),
        reason: format!("{at}: {reason}"),
    };
    let unsupported = |reason: String| KeyError::UnsupportedKeystore {
        path: path.to_path_buf(),
        reason: format!("{at}: {reason}"),
    };
    let too_costly =
        |reason: String| KeyError::TooCostly { path: path.to_path_buf(), reason: format!("{at}: {reason}") };
    let object = value.as_object().ok_or_else(|| malformed("not an object".into()))?;
    let text = |name: &str| -> Result<&str, KeyError> {
        object
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| malformed(format!("missing or non-text \"{name}\"")))
    };
    let hex_field = |name: &str, value: &str| -> Result<Vec<u8>, KeyError> {
        hex::decode(value.strip_prefix("0x").unwrap_or(value))
            .map_err(|e| malformed(format!("\"{name}\" is not hex: {e}")))
    };

    let cipher = text("cipher")?;
    if cipher != "aes-128-ctr" {
        return Err(unsupported(format!("cipher {cipher:?} (only aes-128-ctr)")));
    }
    let ciphertext = hex_field("ciphertext", text("ciphertext")?)?;
    let iv_text = object
        .get("cipherparams")
        .and_then(|p| p.get("iv"))
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("missing \"cipherparams.iv\"".into()))?;
    let iv: [u8; 16] = hex_field("cipherparams.iv", iv_text)?
        .try_into()
        .map_err(|v: Vec<u8>| malformed(format!("\"cipherparams.iv\" must be 16 bytes, got {}", v.len())))?;
    let mac: [u8; 32] = hex_field("mac", text("mac")?)?
        .try_into()
        .map_err(|v: Vec<u8>| malformed(format!("\"mac\" must be 32 bytes, got {}", v.len())))?;

    let params = object
        .get("kdfparams")
        .and_then(Value::as_object)
        .ok_or_else(|| malformed("missing \"kdfparams\"".into()))?;
    let number = |name: &str| -> Result<u64, KeyError> {
        params
            .get(name)
            .and_then(Value::as_u64)
            .ok_or_else(|| malformed(format!("missing or non-integer \"kdfparams.{name}\"")))
    };
    let salt_text = params
        .get("salt")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("missing \"kdfparams.salt\"".into()))?;
    let salt = hex_field("kdfparams.salt", salt_text)?;
    let dklen = number("dklen")?;
    if !(32..=64).contains(&dklen) {
        return Err(malformed(format!("\"kdfparams.dklen\" must be 32..=64, got {dklen}")));
    }
    let kdf = match text("kdf")? {
        "scrypt" => {
            let n = number("n")?;
            let r = number("r")?;
            let p = number("p")?;
            if n < 2 || !n.is_power_of_two() {
                return Err(malformed(format!("scrypt n must be a power of two above 1, got {n}")));
            }
            let (r, p) = match (u32::try_from(r), u32::try_from(p)) {
                (Ok(r), Ok(p)) if r > 0 && p > 0 => (r, p),
                _ => {
                    return Err(malformed(format!(
                        "scrypt r and p must be positive 32-bit integers, got r={r} p={p}"
                    )));
                }
            };
            let work = 128u64.saturating_mul(r as u64).saturating_mul(n).saturating_mul(p as u64);
            if work > MAX_KDF_WORK_PER_KEY {
                return Err(too_costly(format!(
                    "scrypt n={n} r={r} p={p} is {} of work (128·r·n·p), above the limit of {} per key",
                    bytes_text(work),
                    bytes_text(MAX_KDF_WORK_PER_KEY)
                )));
            }
            KdfParams::Scrypt { log_n: n.trailing_zeros() as u8, r, p, dklen: dklen as usize, salt }
        }
        "pbkdf2" => {
            let prf = params.get("prf").and_then(Value::as_str).unwrap_or("hmac-sha256");
            if prf != "hmac-sha256" {
                return Err(unsupported(format!("pbkdf2 prf {prf:?} (only hmac-sha256)")));
            }
            let rounds = number("c")?;
            if rounds == 0 {
                return Err(malformed("pbkdf2 c=0: no rounds".into()));
            }
            if rounds.saturating_mul(PBKDF2_ROUND_WORK) > MAX_KDF_WORK_PER_KEY {
                return Err(too_costly(format!(
                    "pbkdf2 c={rounds} is above the limit of {} rounds per key",
                    MAX_KDF_WORK_PER_KEY / PBKDF2_ROUND_WORK
                )));
            }
            KdfParams::Pbkdf2 { rounds: rounds as u32, dklen: dklen as usize, salt }
        }
        other => return Err(unsupported(format!("kdf {other:?} (only scrypt and pbkdf2)"))),
    };
    Ok(EncryptedKey { ciphertext, iv, kdf, mac })
}

impl KdfParams {
    /// The work of deriving this key, in bytes of scrypt memory traffic (see
    /// [`MAX_KDF_WORK_PER_KEY`]).
    fn work(&self) -> u64 {
        match self {
            KdfParams::Scrypt { log_n, r, p, .. } => 128 * u64::from(*r) * (1u64 << log_n) * u64::from(*p),
            KdfParams::Pbkdf2 { rounds, .. } => u64::from(*rounds) * PBKDF2_ROUND_WORK,
        }
    }
}

fn bytes_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b => format!("{} MiB", b >> 20),
    }
}

fn derive(kdf: &KdfParams, password: &[u8]) -> Zeroizing<Vec<u8>> {
    match kdf {
        KdfParams::Scrypt { log_n, r, p, dklen, salt } => {
            let mut out = Zeroizing::new(vec![0u8; *dklen]);
            let params =
                scrypt::Params::new(*log_n, *r, *p).expect("parameters were range-checked when parsed");
            scrypt::scrypt(password, salt, &params, &mut out).expect("dklen is 32..=64");
            out
        }
        KdfParams::Pbkdf2 { rounds, dklen, salt } => {
            let mut out = Zeroizing::new(vec![0u8; *dklen]);
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, *rounds, &mut out);
            out
        }
    }
}

fn mac_of(derived: &[u8], ciphertext: &[u8]) -> [u8; 32] {
    let mut body = Zeroizing::new(Vec::with_capacity(16 + ciphertext.len()));
    body.extend_from_slice(&derived[16..32]);
    body.extend_from_slice(ciphertext);
    keccak256(&body[..]).0
}

fn decrypt_key(encrypted: &EncryptedKey, password: &[u8], path: &Path) -> Result<SecretKey, KeyError> {
    let derived = derive(&encrypted.kdf, password);
    let mac = mac_of(&derived, &encrypted.ciphertext);
    // Constant-time comparison: the MAC is the password oracle.
    let difference = mac.iter().zip(encrypted.mac.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if difference != 0 {
        return Err(KeyError::WrongPassword { path: path.to_path_buf() });
    }
    let mut plain = Zeroizing::new(encrypted.ciphertext.clone());
    let mut cipher = Aes128Ctr::new_from_slices(&derived[..16], &encrypted.iv).expect("16-byte key and IV");
    cipher.apply_keystream(&mut plain);
    SecretKey::from_bytes(&plain).map_err(|e| KeyError::MalformedKeystore {
        path: path.to_path_buf(),
        reason: format!("the decrypted key is unusable: {e}"),
    })
}

/// Encrypts a key as a Web3 Secret Storage v3 keystore (scrypt, aes-128-ctr), returned as
/// pretty JSON text. Salt, IV and id come from the OS random source.
pub fn encrypt_v3(key: &SecretKey, password: &[u8], kdf: Kdf) -> Result<String, KeyError> {
    encrypt_v3_for(key, key.address(), password, kdf)
}

/// Like [`encrypt_v3`], for the account `account` whose key this is: a decoupled account's
/// keystore (the file's `address` is the account, as caver-js writes it, not the key's own).
pub fn encrypt_v3_for(
    key: &SecretKey,
    account: Address,
    password: &[u8],
    kdf: Kdf,
) -> Result<String, KeyError> {
    let mut salt = [0u8; 32];
    let mut iv = [0u8; 16];
    let random_failed = |e: getrandom::Error| KeyError::WriteFile {
        path: PathBuf::from("<keystore>"),
        source: std::io::Error::other(format!("the OS random source failed: {e}")),
    };
    getrandom::fill(&mut salt).map_err(random_failed)?;
    getrandom::fill(&mut iv).map_err(random_failed)?;
    Ok(encrypt_v3_with(key, account, password, kdf.log_n(), &salt, &iv, uuid::Uuid::new_v4()))
}

/// Encrypts the key of a decoupled account (one whose key an account update changed, so its
/// address is not the key's own) as a KIP-3 v4 keystore with a one-key keyring: the format
/// Kaia wallets and caver-js write for such accounts, and which says that the key signs for
/// `account` without being it.
pub fn encrypt_v4_for(
    key: &SecretKey,
    account: Address,
    password: &[u8],
    kdf: Kdf,
) -> Result<String, KeyError> {
    let v3: Value = serde_json::from_str(&encrypt_v3_for(key, account, password, kdf)?)
        .expect("encrypt_v3_with writes JSON");
    let document = json!({
        "version": 4,
        "id": v3["id"],
        "address": format!("0x{}", hex::encode(account)),
        "keyring": [v3["crypto"]],
    });
    let mut text = serde_json::to_string_pretty(&document).expect("a JSON value always serializes");
    text.push('\n');
    Ok(text)
}

fn encrypt_v3_with(
    key: &SecretKey,
    account: Address,
    password: &[u8],
    log_n: u8,
    salt: &[u8; 32],
    iv: &[u8; 16],
    id: uuid::Uuid,
) -> String {
    let kdf = KdfParams::Scrypt { log_n, r: 8, p: 1, dklen: 32, salt: salt.to_vec() };
    let derived = derive(&kdf, password);
    let mut ciphertext = key.to_bytes().to_vec();
    let mut cipher = Aes128Ctr::new_from_slices(&derived[..16], iv).expect("16-byte key and IV");
    cipher.apply_keystream(&mut ciphertext);
    let mac = mac_of(&derived, &ciphertext);
    let address = hex::encode(account);
    let document = json!({
        "address": address,
        "crypto": {
            "cipher": "aes-128-ctr",
            "cipherparams": { "iv": hex::encode(iv) },
            "ciphertext": hex::encode(&ciphertext),
            "kdf": "scrypt",
            "kdfparams": { "dklen": 32, "n": 1u64 << log_n, "p": 1, "r": 8, "salt": hex::encode(salt) },
            "mac": hex::encode(mac),
        },
        "id": id.to_string(),
        "version": 3,
    });
    let mut text = serde_json::to_string_pretty(&document).expect("a JSON value always serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_read_is_deterministic_for_fixed_salt() {
        let key =
            SecretKey::from_hex("7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d").unwrap();
        let a = encrypt_v3_with(&key, key.address(), b"pw", 10, &[1; 32], &[2; 16], uuid::Uuid::nil());
        let b = encrypt_v3_with(&key, key.address(), b"pw", 10, &[1; 32], &[2; 16], uuid::Uuid::nil());
        assert_eq!(a, b);
        let parsed = Keystore::parse(a.as_bytes(), Path::new("t")).unwrap();
        assert_eq!(parsed.format(), Format::V3Scrypt);
        assert_eq!(parsed.address(), Some(key.address()));
        assert_eq!(parsed.decrypt_signing_key(b"pw").unwrap().address(), key.address());
        assert!(matches!(parsed.decrypt(b"pW"), Err(KeyError::WrongPassword { .. })));
    }

    #[test]
    fn keys_by_role() {
        let key =
            SecretKey::from_hex("7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d").unwrap();
        let account = Address::repeat_byte(0x5a);
        let text = encrypt_v3_with(&key, account, b"pw", 4, &[1; 32], &[2; 16], uuid::Uuid::nil());
        let parsed = Keystore::parse(text.as_bytes(), Path::new("t")).unwrap();
        assert_eq!(parsed.address(), Some(account), "a decoupled account's keystore names the account");
        assert!(!parsed.is_role_based());
        for role in 0..ROLES.len() {
            assert_eq!(parsed.role_keys(role), [0], "one key signs every role");
        }
        assert_eq!(parsed.decrypt_at(b"pw", &[0]).unwrap()[0].key.address(), key.address());
    }

    #[test]
    fn hostile_kdf_parameters_are_refused() {
        let text = r#"{"version":3,"crypto":{"cipher":"aes-128-ctr","ciphertext":"00","cipherparams":{"iv":"00000000000000000000000000000000"},
            "kdf":"scrypt","kdfparams":{"dklen":32,"n":1099511627776,"r":8,"p":1,"salt":"00"},"mac":"0000000000000000000000000000000000000000000000000000000000000000"}}"#;
        assert!(matches!(Keystore::parse(text.as_bytes(), Path::new("t")), Err(KeyError::TooCostly { .. })));
        // Small n and r, but p makes the work (and scrypt's B buffer) huge.
        let huge_p = text.replace("1099511627776", "16384").replace("\"p\":1", "\"p\":800000000");
        let error = Keystore::parse(huge_p.as_bytes(), Path::new("t")).err().unwrap();
        assert!(error.to_string().contains("above the limit of 2.0 GiB per key"), "{error}");
        let pbkdf2 = r#"{"version":3,"crypto":{"cipher":"aes-128-ctr","ciphertext":"00","cipherparams":{"iv":"00000000000000000000000000000000"},
            "kdf":"pbkdf2","kdfparams":{"dklen":32,"c":100000000,"prf":"hmac-sha256","salt":"00"},"mac":"0000000000000000000000000000000000000000000000000000000000000000"}}"#;
        let error = Keystore::parse(pbkdf2.as_bytes(), Path::new("t")).err().unwrap();
        assert!(error.to_string().contains("8388608 rounds"), "{error}");
    }

    fn entry(log_n: u8) -> Value {
        serde_json::json!({"cipher":"aes-128-ctr","ciphertext":"00","cipherparams":{"iv":"00000000000000000000000000000000"},
            "kdf":"scrypt","kdfparams":{"dklen":32,"n":1u64 << log_n,"r":8,"p":1,"salt":"00"},
            "mac":"0000000000000000000000000000000000000000000000000000000000000000"})
    }

    #[test]
    fn keyrings_are_capped_in_keys_and_total_work() {
        let address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
        let keystore = |keyring: Value| {
            serde_json::json!({"version": 4, "address": address, "keyring": keyring}).to_string()
        };
        let many = keystore(Value::Array(vec![entry(10); 3000]));
        let error = Keystore::parse(many.as_bytes(), Path::new("t")).err().unwrap();
        assert!(matches!(error, KeyError::TooCostly { .. }));
        assert!(error.to_string().contains("3000 keys, above the limit of 10"), "{error}");
        let roles = keystore(serde_json::json!([vec![entry(10); 2], vec![entry(10); 11]]));
        assert!(
            Keystore::parse(roles.as_bytes(), Path::new("t"))
                .err()
                .unwrap()
                .to_string()
                .contains("keyring[1]")
        );
        let fits =
            keystore(serde_json::json!([vec![entry(18); 10], vec![entry(18); 10], vec![entry(18); 10]]));
        assert_eq!(Keystore::parse(fits.as_bytes(), Path::new("t")).unwrap().key_count(), 30);
        let heavy = keystore(serde_json::json!([vec![entry(20); 10], vec![entry(20); 10]]));
        let error = Keystore::parse(heavy.as_bytes(), Path::new("t")).err().unwrap();
        assert!(error.to_string().contains("above the limit of 8.0 GiB per keystore"), "{error}");
    }
}
