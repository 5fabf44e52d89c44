//! Kaia account keys as carried by AccountUpdate transactions
//! (`rlpEncodedKey` = `encode(keyType) || encode(key)`).

use k256::ecdsa::VerifyingKey;
use rlp::RlpStream;

use crate::kaia::codec::{concat_items, data, dec_u8, list_items};
use crate::kaia::error::KaiaError;

/// The new key installed by an AccountUpdate transaction.
///
/// Weighted-multisig (0x04) and role-based (0x05) keys are not supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountKey {
    /// AccountKeyNil (type 0x00), encoded `0x80`: "leave unchanged".
    Nil,
    /// AccountKeyLegacy (type 0x01), encoded `0x01c0`: the address itself
    /// is derived from the key.
    Legacy,
    /// AccountKeyPublic (type 0x02), encoded `0x02 || rlp(compressed point)`.
    Public(CompressedPubkey),
    /// AccountKeyFail (type 0x03), encoded `0x03c0`: every signature fails.
    Fail,
}

/// A validated 33-byte SEC1 compressed secp256k1 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CompressedPubkey([u8; 33]);

impl std::fmt::Debug for CompressedPubkey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CompressedPubkey(0x{})", hex::encode(self.0))
    }
}

impl CompressedPubkey {
    /// Accepts a compressed (33 bytes) or uncompressed (65 bytes) SEC1 point
    /// and checks that it is on the curve.
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, KaiaError> {
        let vk = VerifyingKey::from_sec1_bytes(bytes).map_err(|_| {
            KaiaError::AccountKey(format!(
                "public key 0x{} is not a valid secp256k1 point",
                hex::encode(bytes)
            ))
        })?;
        Ok(Self::from_verifying_key(&vk))
    }

    /// Compresses a k256 public key.
    pub fn from_verifying_key(vk: &VerifyingKey) -> Self {
        let point = vk.to_sec1_point(true);
        let mut out = [0u8; 33];
        out.copy_from_slice(point.as_bytes());
        Self(out)
    }

    /// The 33 compressed bytes.
    pub fn as_bytes(&self) -> &[u8; 33] {
        &self.0
    }
}

impl AccountKey {
    /// Kaia's account key type number.
    pub fn key_type(&self) -> u8 {
        match self {
            AccountKey::Nil => 0,
            AccountKey::Legacy => 1,
            AccountKey::Public(_) => 2,
            AccountKey::Fail => 3,
        }
    }

    /// The `rlpEncodedKey` bytes placed (as a byte string) in the transaction.
    pub fn rlp_encoding(&self) -> Vec<u8> {
        let mut s = RlpStream::new();
        s.append(&self.key_type());
        match self {
            AccountKey::Nil => {}
            AccountKey::Legacy | AccountKey::Fail => {
                s.begin_list(0);
            }
            AccountKey::Public(pk) => {
                s.append(&&pk.0[..]);
            }
        }
        s.out().into()
    }

    /// Parses `rlpEncodedKey` bytes.
    pub fn from_rlp_encoding(bytes: &[u8]) -> Result<Self, KaiaError> {
        let items = concat_items(bytes, "key")?;
        let Some(first) = items.first() else {
            return Err(KaiaError::AccountKey("empty key encoding".into()));
        };
        let key_type = dec_u8(first, "key.type")?;
        let expect_items = |n: usize| {
            if items.len() == n {
                Ok(())
            } else {
                Err(KaiaError::AccountKey(format!(
                    "key type 0x{key_type:02x} needs {n} RLP item(s), got {}",
                    items.len()
                )))
            }
        };
        match key_type {
            0 => {
                expect_items(1)?;
                Ok(AccountKey::Nil)
            }
            1 | 3 => {
                expect_items(2)?;
                if !list_items(&items[1], "key")?.is_empty() {
                    return Err(KaiaError::AccountKey(format!(
                        "key type 0x{key_type:02x} must be followed by an empty list"
                    )));
                }
                Ok(if key_type == 1 { AccountKey::Legacy } else { AccountKey::Fail })
            }
            2 => {
                expect_items(2)?;
                let pk = data(&items[1], "key.public_key")?;
                if pk.len() != 33 {
                    return Err(KaiaError::AccountKey(format!(
                        "public key must be 33 compressed bytes, got {}",
                        pk.len()
                    )));
                }
                Ok(AccountKey::Public(CompressedPubkey::from_sec1(pk)?))
            }
            4 => Err(KaiaError::AccountKey("unsupported key type 0x04 (AccountKeyWeightedMultiSig)".into())),
            5 => Err(KaiaError::AccountKey("unsupported key type 0x05 (AccountKeyRoleBased)".into())),
            other => Err(KaiaError::AccountKey(format!("unknown key type 0x{other:02x}"))),
        }
    }
}
