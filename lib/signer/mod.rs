//! Signers: whatever holds a key and turns a 32-byte digest into a recoverable signature.
//!
//! The [`Signer`] trait is shaped for a key that never leaves its device: callers pass a
//! digest (a transaction's sighash, an EIP-191 message hash) in and get `(r, s, y_parity)`
//! out; nothing ever asks for the key. Every tool that takes `--key` (`evlock-sign`,
//! `evlock-calibrate`, `evlock-trade deliver`) opens one through [`KeyUri::open`], so every
//! backend signs every Kaia transaction type.
//!
//! # The backends
//!
//! | `--key` | where the key lives | how it is unlocked | built |
//! |---|---|---|---|
//! | `PATH` or `keystore:PATH` | a Web3 v3 / KIP-3 v4 keystore file, scrypt/pbkdf2 + AES | password (file or prompt) | always |
//! | `optee:SLOT` | evlock's trusted application in ARM TrustZone (OP-TEE secure storage) | nothing: the TA only answers this board | `--features optee`, ARM Linux with OP-TEE |
//! | `pkcs11:token=T;object=O` | a PKCS#11 token: HSM, smart card, SoftHSM2 ([RFC 7512] URI) | the token's user PIN (file or prompt), tried once | always; the module is loaded at run time |
//!
//! What each protects against, and what not:
//!
//! - **keystore**: a stolen file is useless without the password (scrypt makes guessing
//!   slow). But while a tool runs, the decrypted key is in its process memory, zeroized on
//!   drop: root on the machine, a debugger, a core dump or a memory-disclosure bug can read it
//!   there. This is the paper's "memory attack" on a meter.
//! - **optee**: the key is generated inside the secure world and never crosses into the
//!   normal world — no command returns it — so root in Linux cannot read it, from memory or
//!   from disk (secure storage is encrypted with a key bound to the device and the TA). What
//!   it does not stop: root on the board can still *ask* the TA to sign anything (pair it with
//!   a signing policy on a separate device if that matters), the TA is only as good as the
//!   board's OP-TEE (the development TA-signing key, a board without secure boot or RPMB
//!   rollback protection), and the key cannot be backed up: losing the board loses the key.
//! - **pkcs11**: the key is generated on the token as sensitive and non-extractable and only
//!   signs there: it is never in the host's memory, and a stolen host holds no key. The PIN
//!   is in memory briefly (it unlocks the token, not the key) and whoever has the PIN and the
//!   token can sign. A software token such as SoftHSM2 keeps its keys in files on the same
//!   machine, encrypted under the PIN: good for tests and CI, no protection from root.
//!
//! [RFC 7512]: https://www.rfc-editor.org/rfc/rfc7512
//!
//! A signer is one key. Kaia separates the account from its keys: a decoupled account's key
//! has another address than the account (a [`Signer`]'s [`Signer::account`] vs its
//! [`Signer::address`]), a multisig account signs with several keys, a role-based account with
//! other keys per role. [`AccountKeys`] holds the keys of one account by role, from one or
//! several `--key`s.

pub mod account;
pub mod optee;
pub mod pkcs11;
pub mod session;

pub use account::AccountKeys;

use std::path::PathBuf;

use alloy_primitives::{Address, B256, keccak256};

use crate::exit::{ErrorClass, ExitCode};
use crate::kaia::RecoverableSig;
use crate::keys::keystore::Keystore;
use crate::keys::password::PasswordSource;
use crate::keys::{KeyError, SecretKey};

pub use optee::TeeError;
pub use pkcs11::{Pkcs11Error, Pkcs11Uri};

/// Why a signer could not be opened or could not sign.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    /// The key URI cannot be parsed.
    #[error("invalid key URI {uri:?}: {reason}")]
    BadUri {
        /// The URI as given.
        uri: String,
        /// What is wrong.
        reason: String,
    },
    /// The key could not be unlocked (wrong password, unreadable keystore, …).
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The backend is not built into this binary.
    #[error("the {backend} signer is not available: {reason}")]
    Unavailable {
        /// The backend's URI scheme.
        backend: &'static str,
        /// Why, and how to get it.
        reason: &'static str,
    },
    /// The signing device failed.
    #[error("the signing device failed: {0}")]
    Device(String),
    /// The TEE or evlock's trusted application failed or refused.
    #[error(transparent)]
    Tee(#[from] TeeError),
    /// The PKCS#11 module or token failed or refused.
    #[error(transparent)]
    Pkcs11(Pkcs11Error),
    /// A key source holds no key for a role it is asked to sign in.
    #[error("{source_name} has no key for {role}")]
    NoKeyForRole {
        /// The keystore or key URI.
        source_name: String,
        /// The Kaia role.
        role: crate::kaia::KeyRole,
    },
    /// Keys combined with several `--key`s belong to different accounts.
    #[error(
        "the keys belong to different accounts: {first} and {second} (keys combined for a multisig \
         account must all sign for it: give --account)"
    )]
    DifferentAccounts {
        /// The first keys' account.
        first: Address,
        /// The other keys' account.
        second: Address,
    },
    /// `--account` names another account than the decoupled account a keystore names.
    #[error("{source_name} signs for account {named}, not {asked}")]
    AccountConflict {
        /// The keystore or key URI.
        source_name: String,
        /// The account the keystore names.
        named: Address,
        /// The account asked for.
        asked: Address,
    },
}

impl ErrorClass for SignerError {
    fn exit_code(&self) -> ExitCode {
        match self {
            SignerError::Key(inner) => inner.exit_code(),
            SignerError::BadUri { .. }
            | SignerError::Unavailable { .. }
            | SignerError::DifferentAccounts { .. }
            | SignerError::AccountConflict { .. } => ExitCode::Usage,
            SignerError::NoKeyForRole { .. } => ExitCode::Key,
            SignerError::Device(_) => ExitCode::Device,
            SignerError::Tee(inner) => inner.exit_code(),
            SignerError::Pkcs11(inner) => inner.exit_code(),
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            SignerError::Key(inner) => inner.error_code(),
            SignerError::BadUri { .. } => "bad_key_uri",
            SignerError::Unavailable { .. } => "signer_unavailable",
            SignerError::Device(_) => "signer_device",
            SignerError::Tee(inner) => inner.error_code(),
            SignerError::Pkcs11(inner) => inner.error_code(),
            SignerError::NoKeyForRole { .. } => "no_key_for_role",
            SignerError::DifferentAccounts { .. } | SignerError::AccountConflict { .. } => "wrong_account",
        }
    }
}

/// A key holder that signs digests.
pub trait Signer {
    /// The address of the key itself: what its signatures recover to.
    fn address(&self) -> Address;

    /// The account the key signs for: its own address, unless the key belongs to a decoupled
    /// Kaia account (one whose key was changed by an AccountUpdate) that its source names.
    fn account(&self) -> Address {
        self.address()
    }

    /// Signs a 32-byte digest: RFC 6979 nonce, low-S, with the recovery parity.
    fn sign_digest(&self, digest: &B256) -> Result<RecoverableSig, SignerError>;

    /// Signs a message the EIP-191 way (`personal_sign`): keccak256 of
    /// `"\x19Ethereum Signed Message:\n" + len + message`. Anyone can verify it with the
    /// signer's address alone.
    fn sign_message(&self, message: &[u8]) -> Result<RecoverableSig, SignerError> {
        self.sign_digest(&eip191_hash(message))
    }
}

/// The EIP-191 (version 0x45, `personal_sign`) hash of a message.
pub fn eip191_hash(message: &[u8]) -> B256 {
    let mut data = format!("\x19Ethereum Signed Message:\n{}", message.len()).into_bytes();
    data.extend_from_slice(message);
    keccak256(&data)
}

/// Where a key lives, parsed from `--key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyUri {
    /// A keystore file.
    Keystore(PathBuf),
    /// A key in a slot of evlock's OP-TEE trusted application (`optee:SLOT`).
    Optee(String),
    /// A key on a PKCS#11 token (`pkcs11:token=…;object=…`).
    Pkcs11(Pkcs11Uri),
}

impl std::str::FromStr for KeyUri {
    type Err = SignerError;

    fn from_str(text: &str) -> Result<Self, SignerError> {
        let bad = |reason: &str| SignerError::BadUri { uri: text.to_string(), reason: reason.to_string() };
        match text.split_once(':') {
            Some(("keystore", path)) if !path.is_empty() => Ok(KeyUri::Keystore(PathBuf::from(path))),
            Some(("keystore", _)) => Err(bad("keystore: needs a path")),
            Some(("optee", "")) => Err(bad("optee: needs a slot name (optee:SLOT)")),
            Some(("optee", slot)) => {
                optee::check_slot(slot).map_err(|reason| bad(&reason))?;
                Ok(KeyUri::Optee(slot.to_string()))
            }
            Some(("pkcs11", rest)) => {
                Ok(KeyUri::Pkcs11(Pkcs11Uri::parse(rest).map_err(|reason| bad(&reason))?))
            }
            Some((scheme, _)) if scheme.len() > 1 && scheme.chars().all(|c| c.is_ascii_alphanumeric()) => {
                Err(bad("unknown scheme (use keystore:PATH, optee:SLOT or pkcs11:token=…;object=…)"))
            }
            _ if text.is_empty() => Err(bad("empty")),
            _ => Ok(KeyUri::Keystore(PathBuf::from(text))),
        }
    }
}

/// What opening a key may need besides its URI: the keystore password, the token PIN and the
/// PKCS#11 module. Each is used only by the backend it belongs to.
#[derive(Debug, Clone)]
pub struct KeyAccess {
    /// Where a keystore's password comes from.
    pub password: PasswordSource,
    /// Where a PKCS#11 token's user PIN comes from.
    pub pin: PasswordSource,
    /// The PKCS#11 module (`--pkcs11-module` or `EVLOCK_PKCS11_MODULE`); a URI's
    /// `module-path` is used when this is not given.
    pub pkcs11_module: Option<PathBuf>,
}

impl KeyAccess {
    /// Access with a password source only (keystores); no PIN, no module.
    pub fn password(password: PasswordSource) -> Self {
        let pin = PasswordSource { file: None, no_input: password.no_input, flag: "--pin-file" };
        KeyAccess { password, pin, pkcs11_module: None }
    }
}

/// A key a backend holds, as `evlock-keygen new` and `list` report it: never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldKey {
    /// The `--key` URI that names it.
    pub uri: String,
    /// The uncompressed SEC1 public key.
    pub public_key: [u8; 65],
    /// The account address.
    pub address: Address,
}

impl KeyUri {
    /// The keys this URI holds for `roles`, for the account they sign for: a keystore's keys
    /// per role (see [`AccountKeys::unlock_keystore`]), any other backend's one key for every
    /// role.
    pub fn open_account(
        &self,
        access: &KeyAccess,
        roles: &[crate::kaia::KeyRole],
    ) -> Result<AccountKeys, SignerError> {
        match self {
            KeyUri::Keystore(path) => AccountKeys::unlock_keystore(path, &access.password, roles),
            _ => Ok(AccountKeys::single(self.open(access)?)),
        }
    }

    /// Opens the signer, asking for a password or PIN through `access` when the key needs one.
    pub fn open(&self, access: &KeyAccess) -> Result<Box<dyn Signer + Send>, SignerError> {
        match self {
            KeyUri::Keystore(path) => Ok(Box::new(KeystoreSigner::unlock(path, &access.password)?)),
            KeyUri::Optee(slot) => Ok(Box::new(optee::OpteeSigner::open(optee::connect()?, slot)?)),
            KeyUri::Pkcs11(uri) => Ok(Box::new(pkcs11::Pkcs11Signer::open(uri, access)?)),
        }
    }

    /// Creates a new key inside the backend (TEE or token); the secret never leaves it.
    /// Keystores are made by `evlock-keygen new` from a mnemonic instead.
    pub fn generate(&self, access: &KeyAccess) -> Result<HeldKey, SignerError> {
        match self {
            KeyUri::Keystore(path) => Err(SignerError::BadUri {
                uri: path.display().to_string(),
                reason: "keystores are created from a mnemonic: use evlock-keygen new --out-dir".into(),
            }),
            KeyUri::Optee(slot) => {
                let public_key = optee::connect()?.generate(slot)?;
                Ok(HeldKey {
                    uri: format!("optee:{slot}"),
                    address: crate::keys::address_of_public_key(&public_key),
                    public_key,
                })
            }
            KeyUri::Pkcs11(uri) => pkcs11::generate(uri, access),
        }
    }

    /// The keys the backend holds: for `optee:SLOT` that slot (every slot when the name is
    /// empty), for `pkcs11:` those the URI selects.
    pub fn list(&self, access: &KeyAccess) -> Result<Vec<HeldKey>, SignerError> {
        match self {
            KeyUri::Keystore(path) => Err(SignerError::BadUri {
                uri: path.display().to_string(),
                reason: "list reads a TEE or a token; inspect keystores with evlock-keygen inspect".into(),
            }),
            KeyUri::Optee(slot) => Ok(in_slot(optee::held_keys(&optee::connect()?)?, slot)),
            KeyUri::Pkcs11(uri) => pkcs11::list(uri, access),
        }
    }
}

/// The keys of `held` in TEE slot `slot`; every key when `slot` is empty (`optee:`).
fn in_slot(held: Vec<HeldKey>, slot: &str) -> Vec<HeldKey> {
    let uri = format!("optee:{slot}");
    held.into_iter().filter(|key| slot.is_empty() || key.uri == uri).collect()
}

/// A keystore's signing key, decrypted once and held in memory (zeroized on drop), with the
/// account its keystore names.
pub struct KeystoreSigner {
    key: SecretKey,
    account: Address,
}

impl KeystoreSigner {
    /// Unlocks a keystore file's first transaction key (see [`AccountKeys::unlock_keystore`]
    /// for every key by role), for the account the keystore names (a v3 file without an
    /// `address`: the key's own).
    pub fn unlock(path: &std::path::Path, password: &PasswordSource) -> Result<Self, SignerError> {
        let keystore = Keystore::load(path)?;
        let secret = password.obtain(&format!("Password for {}", path.display()), false)?;
        let key = keystore.decrypt_signing_key(secret.as_bytes())?;
        let account = keystore.address().unwrap_or_else(|| key.address());
        Ok(KeystoreSigner { key, account })
    }

    /// A signer from a key already in memory (tests, benchmarks, derived dev accounts).
    pub fn from_key(key: SecretKey) -> Self {
        let account = key.address();
        KeystoreSigner { key, account }
    }

    /// A key of a decoupled account: it signs for `account`.
    pub fn for_account(key: SecretKey, account: Address) -> Self {
        KeystoreSigner { key, account }
    }
}

impl Signer for KeystoreSigner {
    fn address(&self) -> Address {
        self.key.address()
    }

    fn account(&self) -> Address {
        self.account
    }

    fn sign_digest(&self, digest: &B256) -> Result<RecoverableSig, SignerError> {
        RecoverableSig::sign_prehash(self.key.signing_key(), digest)
            .map_err(|e| SignerError::Device(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_uris() {
        assert_eq!("keys/a.json".parse::<KeyUri>().unwrap(), KeyUri::Keystore("keys/a.json".into()));
        assert_eq!("keystore:/x/y.json".parse::<KeyUri>().unwrap(), KeyUri::Keystore("/x/y.json".into()));
        assert_eq!("optee:meter-1".parse::<KeyUri>().unwrap(), KeyUri::Optee("meter-1".into()));
        let KeyUri::Pkcs11(uri) = "pkcs11:token=ops;object=fee-payer".parse::<KeyUri>().unwrap() else {
            panic!("a pkcs11 URI")
        };
        assert_eq!((uri.token.as_deref(), uri.object.as_deref()), (Some("ops"), Some("fee-payer")));
        assert!("hsm:slot1".parse::<KeyUri>().is_err());
        let reason = |uri: &str| match uri.parse::<KeyUri>().unwrap_err() {
            SignerError::BadUri { reason, .. } => reason,
            other => panic!("{uri}: {other}"),
        };
        assert_eq!(reason("keystore:"), "keystore: needs a path");
        assert_eq!(reason("optee:"), "optee: needs a slot name (optee:SLOT)");
        assert_eq!(reason(""), "empty");
        assert!(reason("hsm:slot1").starts_with("unknown scheme"));
        // A one-letter "scheme" is a Windows-style drive or a plain path: a keystore.
        assert_eq!("c:keys.json".parse::<KeyUri>().unwrap(), KeyUri::Keystore("c:keys.json".into()));
        // So is anything before a colon that is not a scheme's letters and digits.
        assert_eq!("./a:b.json".parse::<KeyUri>().unwrap(), KeyUri::Keystore("./a:b.json".into()));
        assert!("optee:a/b".parse::<KeyUri>().unwrap_err().to_string().contains("ASCII"));
        assert!(
            "pkcs11:token=a?pin-value=1".parse::<KeyUri>().unwrap_err().to_string().contains("--pin-file")
        );
    }

    #[test]
    fn signatures_recover_to_the_signer() {
        let key =
            SecretKey::from_hex("7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d").unwrap();
        let signer = KeystoreSigner::from_key(key);
        let digest = keccak256(b"evlock");
        let sig = signer.sign_digest(&digest).unwrap();
        assert_eq!(sig.recover_address(&digest).unwrap(), signer.address());
        let message_sig = signer.sign_message(b"certificate").unwrap();
        assert_eq!(message_sig.recover_address(&eip191_hash(b"certificate")).unwrap(), signer.address());
    }

    /// A signer that names no account: the trait's default applies.
    struct Plain(KeystoreSigner);

    impl Signer for Plain {
        fn address(&self) -> Address {
            self.0.address()
        }

        fn sign_digest(&self, digest: &B256) -> Result<RecoverableSig, SignerError> {
            self.0.sign_digest(digest)
        }
    }

    #[test]
    fn a_key_signs_for_its_own_address_unless_its_source_names_an_account() {
        let key = || SecretKey::from_bytes(&[3; 32]).unwrap();
        let own = key().address();
        assert_eq!(Plain(KeystoreSigner::from_key(key())).account(), own);
        assert_eq!(KeystoreSigner::from_key(key()).account(), own);
        let decoupled = KeystoreSigner::for_account(key(), Address::repeat_byte(9));
        assert_eq!((decoupled.address(), decoupled.account()), (own, Address::repeat_byte(9)));
    }

    #[test]
    fn every_signer_error_has_its_exit_and_code() {
        let cases = [
            (SignerError::BadUri { uri: "x".into(), reason: "y".into() }, ExitCode::Usage, "bad_key_uri"),
            (
                SignerError::Unavailable { backend: "optee", reason: "z" },
                ExitCode::Usage,
                "signer_unavailable",
            ),
            (SignerError::Device("gone".into()), ExitCode::Device, "signer_device"),
            (
                SignerError::NoKeyForRole { source_name: "k".into(), role: crate::kaia::KeyRole::FeePayer },
                ExitCode::Key,
                "no_key_for_role",
            ),
            (
                SignerError::DifferentAccounts { first: Address::ZERO, second: Address::ZERO },
                ExitCode::Usage,
                "wrong_account",
            ),
            (
                SignerError::AccountConflict {
                    source_name: "k".into(),
                    named: Address::ZERO,
                    asked: Address::ZERO,
                },
                ExitCode::Usage,
                "wrong_account",
            ),
        ];
        for (error, exit, code) in cases {
            assert_eq!((error.exit_code(), error.error_code()), (exit, code), "{error}");
        }
        // Keystores are neither generated nor listed by a backend.
        let access =
            KeyAccess::password(PasswordSource { file: None, no_input: true, flag: "--password-file" });
        let keystore = KeyUri::Keystore("k.json".into());
        assert!(keystore.generate(&access).unwrap_err().to_string().contains("evlock-keygen new"));
        assert!(keystore.list(&access).unwrap_err().to_string().contains("evlock-keygen inspect"));
    }

    #[test]
    fn listing_a_slot_keeps_that_slots_key_and_an_empty_slot_name_lists_all() {
        let held = |slot: &str| HeldKey {
            uri: format!("optee:{slot}"),
            public_key: [4; 65],
            address: Address::ZERO,
        };
        let keys = vec![held("meter"), held("fee-payer")];
        let uris = |keys: Vec<HeldKey>| keys.into_iter().map(|k| k.uri).collect::<Vec<_>>();
        assert_eq!(uris(in_slot(keys.clone(), "fee-payer")), ["optee:fee-payer"]);
        assert_eq!(uris(in_slot(keys.clone(), "")), ["optee:meter", "optee:fee-payer"]);
        assert!(in_slot(keys, "other").is_empty());
    }

    #[test]
    fn eip191_matches_the_known_hash_of_hello_world() {
        // personal_sign hash of "Hello World" as given by ethers' hashMessage documentation.
        assert_eq!(
            eip191_hash(b"Hello World").to_string(),
            "0xa1de988600a42c4b4ab089b619297c17d53cffae5d5120d82d8a92d0bb3b78f2"
        );
    }
}
