//! BIP-32 hierarchical derivation along BIP-44 paths.
//!
//! Accounts are `BASE/i`: the base defaults to `m/44'/8217'/0'/0` (SLIP-44 coin type 8217,
//! KLAY); `m/44'/60'/0'/0` gives Ethereum-wallet addresses.

use std::str::FromStr;

use bip32::{DerivationPath, XPrv};

use super::{KeyError, SecretKey};

/// The default base path: Kaia's SLIP-44 coin type.
pub const DEFAULT_BASE_PATH: &str = "m/44'/8217'/0'/0";

/// A base derivation path to which an account index is appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasePath(String);

impl FromStr for BasePath {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<Self, KeyError> {
        let text = text.trim().trim_end_matches('/');
        DerivationPath::from_str(text).map_err(|e| KeyError::InvalidPath {
            path: text.to_string(),
            reason: format!("{e} (expected e.g. m/44'/8217'/0'/0)"),
        })?;
        Ok(BasePath(text.to_string()))
    }
}

impl Default for BasePath {
    fn default() -> Self {
        BasePath(DEFAULT_BASE_PATH.to_string())
    }
}

impl BasePath {
    /// The full path of account `index` (non-hardened).
    pub fn account(&self, index: u32) -> Result<String, KeyError> {
        if index >= 1 << 31 {
            return Err(KeyError::InvalidPath {
                path: format!("{}/{index}", self.0),
                reason: "account index must be below 2^31".into(),
            });
        }
        Ok(if self.0 == "m" { format!("m/{index}") } else { format!("{}/{index}", self.0) })
    }
}

/// Derives the extended private key at `path` from a BIP-39 seed.
pub fn derive_xprv(seed: &[u8], path: &str) -> Result<XPrv, KeyError> {
    let parsed = DerivationPath::from_str(path)
        .map_err(|e| KeyError::InvalidPath { path: path.to_string(), reason: e.to_string() })?;
    XPrv::derive_from_path(seed, &parsed)
        .map_err(|e| KeyError::InvalidPath { path: path.to_string(), reason: e.to_string() })
}

/// Derives the account key at `path` from a BIP-39 seed.
pub fn derive_key(seed: &[u8], path: &str) -> Result<SecretKey, KeyError> {
    let xprv = derive_xprv(seed, path)?;
    SecretKey::from_bytes(&xprv.private_key().to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths() {
        let base: BasePath = "m/44'/60'/0'/0/".parse().unwrap();
        assert_eq!(base.account(3).unwrap(), "m/44'/60'/0'/0/3");
        assert_eq!(BasePath::default().account(0).unwrap(), "m/44'/8217'/0'/0/0");
        assert!("44/60".parse::<BasePath>().is_err());
        assert!("m/x".parse::<BasePath>().is_err());
        assert!(BasePath::default().account(1 << 31).is_err());
    }
}
