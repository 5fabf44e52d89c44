//! Keys: BIP-39 mnemonics, BIP-32/44 derivation, encrypted keystores and secret inputs.
//!
//! - [`mnemonic`]: new mnemonics from OS randomness, parsing, mnemonic → seed.
//! - [`hd`]: derivation paths (`m/44'/8217'/0'/0/i` by default) and BIP-32 derivation.
//! - [`keystore`]: Web3 Secret Storage v3 (write; read scrypt and pbkdf2) and Kaia KIP-3 v4
//!   (read, flat and role-based).
//! - [`password`]: passwords from a file, `EVLOCK_PASSWORD_FILE` or a hidden prompt.
//! - [`files`]: secret files created 0600 by atomic rename, never overwritten by accident.
//!
//! Secrets live in types that zeroize on drop ([`SecretKey`], `Zeroizing<…>`), are never
//! logged and never written to stdout records.

pub mod files;
pub mod hd;
pub mod keystore;
pub mod mnemonic;
pub mod password;

use std::path::PathBuf;

use alloy_primitives::{Address, keccak256};
use k256::ecdsa::SigningKey;
use zeroize::Zeroizing;

use crate::exit::{ErrorClass, ExitCode};

/// Everything that can go wrong with keys, keystores and secret inputs.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The password does not open the keystore (its MAC does not match).
    #[error("wrong password for keystore {path}")]
    WrongPassword {
        /// The keystore file.
        path: PathBuf,
    },
    /// The keystore is readable JSON but a format or algorithm evlock does not support.
    #[error("unsupported keystore {path}: {reason}")]
    UnsupportedKeystore {
        /// The keystore file.
        path: PathBuf,
        /// What is unsupported.
        reason: String,
    },
    /// The keystore would take too long or too much memory to open: its key-derivation
    /// parameters or its number of keys are above the limits (exit 5; see
    /// [`keystore::MAX_KDF_WORK_PER_KEY`], [`keystore::MAX_KDF_WORK_TOTAL`],
    /// [`keystore::MAX_KEYS_PER_LIST`]).
    #[error("keystore {path} is refused, it would cost too much to open: {reason}")]
    TooCostly {
        /// The keystore file.
        path: PathBuf,
        /// Which limit, and by how much.
        reason: String,
    },
    /// The keystore is not valid JSON or misses required fields (corrupt or truncated).
    #[error("malformed keystore {path}: {reason}")]
    MalformedKeystore {
        /// The keystore file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The keystore file cannot be read (missing, permission denied).
    #[error("cannot read keystore {path}")]
    ReadKeystore {
        /// The keystore file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A v3 keystore names an account whose key it does not hold (its `address` field is wrong,
    /// or the account is decoupled from its key): exit 5.
    #[error("keystore {path} names the account {account}, but the key it holds is that of {key}")]
    AddressMismatch {
        /// The keystore file.
        path: PathBuf,
        /// The address the file names.
        account: Address,
        /// The key's own address.
        key: Address,
    },
    /// A secret input file (password, mnemonic, passphrase, private key) cannot be read.
    #[error("cannot read {what} file {path}")]
    ReadSecretFile {
        /// What the file was supposed to hold.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}")]
    WriteFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The target file exists and `--force` was not given.
    #[error("{path} already exists (use --force to overwrite it)")]
    FileExists {
        /// The file that would have been overwritten.
        path: PathBuf,
    },
    /// Something that is not a regular file (a symlink, a device, a fifo, a directory) is where
    /// a file would be written: it is never replaced, not even with `--force`.
    #[error("{path} is {what}, not a regular file: it is never replaced (remove it or choose another path)")]
    NotRegularFile {
        /// The path.
        path: PathBuf,
        /// What is there.
        what: &'static str,
    },
    /// The mnemonic is not a valid BIP-39 English mnemonic.
    #[error("invalid mnemonic: {0}")]
    InvalidMnemonic(String),
    /// The private key is not 32 bytes of hex in the curve's range.
    #[error("invalid private key: {0}")]
    InvalidPrivateKey(String),
    /// The derivation path cannot be parsed or derived.
    #[error("invalid HD path {path:?}: {reason}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// No password source was given and no prompt is possible.
    #[error("no password: {0}")]
    NoPassword(String),
    /// No PIN source was given for a token that needs one, and no prompt is possible.
    #[error("no PIN: {0}")]
    NoPin(String),
    /// The two passwords typed at the prompt differ, or a password is empty.
    #[error("password rejected: {0}")]
    BadPassword(String),
}

impl ErrorClass for KeyError {
    fn exit_code(&self) -> ExitCode {
        match self {
            KeyError::WrongPassword { .. }
            | KeyError::UnsupportedKeystore { .. }
            | KeyError::MalformedKeystore { .. }
            | KeyError::TooCostly { .. }
            | KeyError::AddressMismatch { .. }
            | KeyError::ReadKeystore { .. } => ExitCode::Key,
            _ => ExitCode::Usage,
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            KeyError::WrongPassword { .. } => "wrong_password",
            KeyError::UnsupportedKeystore { .. } => "unsupported_keystore",
            KeyError::MalformedKeystore { .. } => "malformed_keystore",
            KeyError::TooCostly { .. } => "keystore_too_costly",
            KeyError::AddressMismatch { .. } => "address_mismatch",
            KeyError::ReadKeystore { .. } => "unreadable_keystore",
            KeyError::ReadSecretFile { .. } => "unreadable_file",
            KeyError::WriteFile { .. } => "write_failed",
            KeyError::FileExists { .. } => "file_exists",
            KeyError::NotRegularFile { .. } => "not_a_regular_file",
            KeyError::InvalidMnemonic(_) => "bad_mnemonic",
            KeyError::InvalidPrivateKey(_) => "bad_private_key",
            KeyError::InvalidPath { .. } => "bad_hd_path",
            KeyError::NoPassword(_) => "no_password",
            KeyError::NoPin(_) => "no_pin",
            KeyError::BadPassword(_) => "bad_password",
        }
    }
}

/// A secp256k1 private key. Zeroized on drop; has no `Debug` that could print it.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// A key from 32 big-endian bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() != 32 {
            return Err(KeyError::InvalidPrivateKey(format!("expected 32 bytes, got {}", bytes.len())));
        }
        SigningKey::from_slice(bytes).map(SecretKey).map_err(|_| {
            KeyError::InvalidPrivateKey("not a valid secp256k1 scalar (zero or ≥ the curve order)".into())
        })
    }

    /// A key from hex text (with or without `0x`, surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
        let bytes = Zeroizing::new(
            hex::decode(digits).map_err(|e| KeyError::InvalidPrivateKey(format!("not hex: {e}")))?,
        );
        SecretKey::from_bytes(&bytes)
    }

    /// The 32 key bytes, in a buffer that zeroizes on drop.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes().into())
    }

    /// The k256 signing key.
    pub fn signing_key(&self) -> &SigningKey {
        &self.0
    }

    /// The uncompressed SEC1 public key (65 bytes, 0x04 prefix).
    pub fn public_key_uncompressed(&self) -> [u8; 65] {
        let point = self.0.verifying_key().to_sec1_point(false);
        point.as_bytes().try_into().expect("uncompressed points are 65 bytes")
    }

    /// The account address: the last 20 bytes of keccak256 of the public key.
    pub fn address(&self) -> Address {
        address_of_public_key(&self.public_key_uncompressed())
    }
}

/// The address of an uncompressed SEC1 public key (65 bytes with the 0x04 prefix).
pub fn address_of_public_key(uncompressed: &[u8; 65]) -> Address {
    Address::from_slice(&keccak256(&uncompressed[1..])[12..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_of_a_known_key() {
        // The Web3 Secret Storage test vector's key and address.
        let key =
            SecretKey::from_hex("7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d").unwrap();
        assert_eq!(key.address().to_string().to_lowercase(), "0x008aeeda4d805471df9b2a5b0f38a0c3bcba786b");
    }

    #[test]
    fn rejects_bad_keys() {
        assert!(SecretKey::from_hex("0x00").is_err());
        assert!(SecretKey::from_hex(&"00".repeat(32)).is_err(), "zero is not a key");
        assert!(SecretKey::from_hex(&"ff".repeat(32)).is_err(), "above the curve order");
        assert!(SecretKey::from_hex("zz").is_err());
    }
}
