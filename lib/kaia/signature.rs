//! ECDSA signature values as carried by Kaia transactions, and recovery of
//! the signer's address.

use alloy_primitives::{Address, B256, U256, keccak256};
use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use rlp::RlpStream;

use crate::kaia::codec::append_u256;
use crate::kaia::error::KaiaError;

/// Half the secp256k1 group order: signatures with `s` above this are
/// "high-S" and rejected by Kaia and Ethereum (EIP-2).
const SECP256K1_HALF_N: U256 = U256::from_be_bytes([
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x5d,
    0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
]);

/// A signature as produced by a signer: `(r, s)` plus the parity of the
/// nonce point's y coordinate. This is what a signing hook returns; the
/// transaction turns it into the type-specific V.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecoverableSig {
    /// The `r` scalar.
    pub r: U256,
    /// The `s` scalar (must be low-S to be accepted on chain).
    pub s: U256,
    /// `true` if the recovery id is odd (V = 28 / chainId*2+36 / yParity 1).
    pub y_parity: bool,
}

impl RecoverableSig {
    /// Builds a signature from its parts.
    pub const fn new(r: U256, s: U256, y_parity: bool) -> Self {
        Self { r, s, y_parity }
    }

    /// Converts a k256 signature and recovery id.
    ///
    /// Fails for the (astronomically rare) "x reduced" recovery ids, which
    /// Kaia/Ethereum V values cannot express.
    pub fn from_k256(sig: &Signature, recid: RecoveryId) -> Result<Self, KaiaError> {
        if recid.is_x_reduced() {
            return Err(KaiaError::InvalidSignature(
                "recovery id with reduced x cannot be encoded in V".into(),
            ));
        }
        let bytes = sig.to_bytes();
        Ok(Self {
            r: U256::from_be_slice(&bytes[..32]),
            s: U256::from_be_slice(&bytes[32..]),
            y_parity: recid.is_y_odd(),
        })
    }

    /// Signs a 32-byte prehash (e.g. [`crate::kaia::Transaction::sig_hash`])
    /// with RFC 6979 deterministic nonces, producing a low-S signature.
    ///
    /// Convenience for callers that hold a key in memory; transactions never
    /// hold keys themselves.
    pub fn sign_prehash(key: &SigningKey, hash: &B256) -> Result<Self, KaiaError> {
        let (sig, recid) = key.sign_prehash_recoverable(hash.as_slice());
        Self::from_k256(&sig, recid)
    }

    /// Recovers the address that produced this signature over `hash`.
    ///
    /// Rejects zero / out-of-range scalars and high-S signatures.
    pub fn recover_address(&self, hash: &B256) -> Result<Address, KaiaError> {
        self.recover_key(hash).map(|key| address_of(&key))
    }

    /// Recovers the public key that produced this signature over `hash` (what a Kaia
    /// account key is checked against: a decoupled account's key has another address).
    ///
    /// Rejects zero / out-of-range scalars and high-S signatures.
    pub fn recover_key(&self, hash: &B256) -> Result<VerifyingKey, KaiaError> {
        if self.s > SECP256K1_HALF_N {
            return Err(KaiaError::InvalidSignature(
                "s is in the upper half of the curve order (high-S)".into(),
            ));
        }
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(&self.r.to_be_bytes::<32>());
        bytes[32..].copy_from_slice(&self.s.to_be_bytes::<32>());
        let sig = Signature::from_slice(&bytes)
            .map_err(|_| KaiaError::InvalidSignature("r or s is zero or not below the curve order".into()))?;
        let recid = RecoveryId::new(self.y_parity, false);
        VerifyingKey::recover_from_prehash(hash.as_slice(), &sig, recid)
            .map_err(|_| KaiaError::InvalidSignature("public key recovery failed".into()))
    }
}

/// The Kaia/Ethereum address of a public key: the last 20 bytes of the
/// keccak256 of the uncompressed point without its `0x04` prefix.
pub fn address_of(key: &VerifyingKey) -> Address {
    let point = key.to_sec1_point(false);
    let hash = keccak256(&point.as_bytes()[1..]);
    Address::from_slice(&hash[12..])
}

/// One `[V, R, S]` triple of a Kaia `txSignatures` / `feePayerSignatures`
/// list, stored exactly as on the wire.
///
/// For Kaia native types V is `chainId * 2 + 35 + yParity`. The triple
/// `[1, 0, 0]` (R = S = 0) is the placeholder some SDKs put in
/// `feePayerSignatures` before the fee payer has signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TxSignature {
    /// The V value.
    pub v: u64,
    /// The R value.
    pub r: U256,
    /// The S value.
    pub s: U256,
}

impl TxSignature {
    /// Encodes `sig` for `chain_id` (V = chainId*2+35 or +36).
    pub fn from_recoverable(sig: &RecoverableSig, chain_id: u64) -> Result<Self, KaiaError> {
        Ok(Self { v: eip155_v(chain_id, sig.y_parity)?, r: sig.r, s: sig.s })
    }

    /// True for the `R = S = 0` placeholder ("not signed yet").
    pub fn is_placeholder(&self) -> bool {
        self.r.is_zero() && self.s.is_zero()
    }

    /// The y parity, checking that V belongs to `chain_id`.
    pub fn y_parity(&self, chain_id: u64, field: &'static str) -> Result<bool, KaiaError> {
        let base = eip155_v(chain_id, false)?;
        match self.v.checked_sub(base) {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            _ => Err(KaiaError::InvalidV {
                field,
                v: self.v,
                expected: format!("{} or {} for chain id {chain_id}", base, base + 1),
            }),
        }
    }

    /// The signature as a [`RecoverableSig`] for `chain_id`.
    pub fn to_recoverable(&self, chain_id: u64, field: &'static str) -> Result<RecoverableSig, KaiaError> {
        Ok(RecoverableSig::new(self.r, self.s, self.y_parity(chain_id, field)?))
    }

    pub(crate) fn append(&self, s: &mut RlpStream) {
        s.begin_list(3);
        s.append(&self.v);
        append_u256(s, &self.r);
        append_u256(s, &self.s);
    }
}

/// `chain_id * 2 + 35 + parity`, checked.
pub(crate) fn eip155_v(chain_id: u64, y_parity: bool) -> Result<u64, KaiaError> {
    chain_id
        .checked_mul(2)
        .and_then(|v| v.checked_add(35 + u64::from(y_parity)))
        .ok_or(KaiaError::ChainIdTooLarge(chain_id))
}

/// Appends a list of signatures.
pub(crate) fn append_signatures(s: &mut RlpStream, sigs: &[TxSignature]) {
    s.begin_list(sigs.len());
    for sig in sigs {
        sig.append(s);
    }
}
