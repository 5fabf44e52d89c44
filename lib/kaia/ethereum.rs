//! Ethereum-compatible transactions on Kaia: legacy (EIP-155 and
//! pre-EIP-155), EIP-2930 and EIP-1559.
//!
//! Signing payloads, raw encodings and hashes are exactly Ethereum's
//! (`0x01 || rlp(..)`, `0x02 || rlp(..)`, the hash is keccak of the raw bytes), as every
//! Ethereum tool and Kaia's SDK write them. Kaia's `0x78` envelope (`0x7801…`, `0x7802…`) is
//! only read: a Kaia node puts it in front itself (see [`crate::kaia::RawForm`]).

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use rlp::{Rlp, RlpStream};

use crate::kaia::codec::{
    append_address, append_bytes, append_opt_address, append_u256, dec_address, dec_b256, dec_bytes,
    dec_opt_address, dec_u64, dec_u256, list_exact, list_items, top_level_list, with_prefix,
};
use crate::kaia::error::KaiaError;
use crate::kaia::signature::{RecoverableSig, eip155_v};

/// Kaia's envelope byte in front of Ethereum typed transactions inside a Kaia node
/// (`kaia_sendRawTransaction` decodes `0x7801…`/`0x7802…`; its `eth_sendRawTransaction`
/// prefixes the byte itself). evlock reads it and never writes it.
pub const ETHEREUM_TX_ENVELOPE: u8 = 0x78;

/// One access-list entry: an address and the storage slots it will touch.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AccessListItem {
    /// The accessed account.
    pub address: Address,
    /// The accessed storage keys.
    pub storage_keys: Vec<B256>,
}

/// A legacy transaction (`[nonce, gasPrice, gas, to, value, data, v, r, s]`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LegacyTx {
    /// EIP-155 chain id; `None` = pre-EIP-155 (V = 27/28, no replay protection).
    pub chain_id: Option<u64>,
    /// Sender nonce.
    pub nonce: u64,
    /// Gas price in kei.
    pub gas_price: U256,
    /// Gas limit.
    pub gas: u64,
    /// Recipient; `None` deploys a contract.
    pub to: Option<Address>,
    /// Amount in kei.
    pub value: U256,
    /// Call data / init code.
    pub input: Bytes,
    /// The sender's signature, once signed.
    pub signature: Option<RecoverableSig>,
}

/// An EIP-2930 access-list transaction (Kaia TxTypeEthereumAccessList).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Eip2930Tx {
    /// Chain id.
    pub chain_id: u64,
    /// Sender nonce.
    pub nonce: u64,
    /// Gas price in kei.
    pub gas_price: U256,
    /// Gas limit.
    pub gas: u64,
    /// Recipient; `None` deploys a contract.
    pub to: Option<Address>,
    /// Amount in kei.
    pub value: U256,
    /// Call data / init code.
    pub input: Bytes,
    /// Access list.
    pub access_list: Vec<AccessListItem>,
    /// The sender's signature (yParity, r, s), once signed.
    pub signature: Option<RecoverableSig>,
}

/// An EIP-1559 dynamic-fee transaction (Kaia TxTypeEthereumDynamicFee).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Eip1559Tx {
    /// Chain id.
    pub chain_id: u64,
    /// Sender nonce.
    pub nonce: u64,
    /// `gasTipCap`.
    pub max_priority_fee_per_gas: U256,
    /// `gasFeeCap`.
    pub max_fee_per_gas: U256,
    /// Gas limit.
    pub gas: u64,
    /// Recipient; `None` deploys a contract.
    pub to: Option<Address>,
    /// Amount in kei.
    pub value: U256,
    /// Call data / init code.
    pub input: Bytes,
    /// Access list.
    pub access_list: Vec<AccessListItem>,
    /// The sender's signature (yParity, r, s), once signed.
    pub signature: Option<RecoverableSig>,
}

fn append_access_list(s: &mut RlpStream, list: &[AccessListItem]) {
    s.begin_list(list.len());
    for item in list {
        s.begin_list(2);
        append_address(s, &item.address);
        s.begin_list(item.storage_keys.len());
        for key in &item.storage_keys {
            s.append(&key.as_slice());
        }
    }
}

fn dec_access_list(item: &Rlp<'_>) -> Result<Vec<AccessListItem>, KaiaError> {
    list_items(item, "accessList")?
        .iter()
        .map(|entry| {
            let e = list_exact(entry, "accessList entry", 2)?;
            let storage_keys = list_items(&e[1], "accessList storageKeys")?
                .iter()
                .map(|k| dec_b256(k, "accessList storageKey"))
                .collect::<Result<_, _>>()?;
            Ok(AccessListItem { address: dec_address(&e[0], "accessList address")?, storage_keys })
        })
        .collect()
}

fn dec_y_parity(item: &Rlp<'_>) -> Result<bool, KaiaError> {
    let v = dec_u64(item, "yParity")?;
    match v {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(KaiaError::InvalidV { field: "yParity", v, expected: "0 or 1".into() }),
    }
}

fn dec_chain_id(item: &Rlp<'_>) -> Result<u64, KaiaError> {
    let v = dec_u256(item, "chainId")?;
    u64::try_from(v).map_err(|_| KaiaError::NumberTooLarge { field: "chainId".into(), bits: 64 })
}

fn append_sig(s: &mut RlpStream, sig: &RecoverableSig) {
    s.append(&u8::from(sig.y_parity));
    append_u256(s, &sig.r);
    append_u256(s, &sig.s);
}

impl LegacyTx {
    fn append_body(&self, s: &mut RlpStream) {
        s.append(&self.nonce);
        append_u256(s, &self.gas_price);
        s.append(&self.gas);
        append_opt_address(s, &self.to);
        append_u256(s, &self.value);
        append_bytes(s, &self.input);
    }

    /// Signing payload: `rlp([nonce, gasPrice, gas, to, value, data, chainId, 0, 0])`
    /// (EIP-155) or the first six fields only (pre-EIP-155).
    pub fn sig_rlp(&self) -> Vec<u8> {
        let n = if self.chain_id.is_some() { 9 } else { 6 };
        let mut s = RlpStream::new_list(n);
        self.append_body(&mut s);
        if let Some(chain_id) = self.chain_id {
            s.append(&chain_id);
            s.append_empty_data();
            s.append_empty_data();
        }
        s.out().into()
    }

    /// V as it appears on the wire.
    pub fn v(&self) -> Result<u64, KaiaError> {
        let sig = self.signature.as_ref().ok_or(KaiaError::MissingSenderSignature)?;
        match self.chain_id {
            Some(id) => eip155_v(id, sig.y_parity),
            None => Ok(27 + u64::from(sig.y_parity)),
        }
    }

    /// Raw encoding `rlp([nonce, gasPrice, gas, to, value, data, v, r, s])`.
    pub fn raw(&self) -> Result<Vec<u8>, KaiaError> {
        let sig = self.signature.as_ref().ok_or(KaiaError::MissingSenderSignature)?;
        let v = self.v()?;
        let mut s = RlpStream::new_list(9);
        self.append_body(&mut s);
        s.append(&v);
        append_u256(&mut s, &sig.r);
        append_u256(&mut s, &sig.s);
        Ok(s.out().into())
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, KaiaError> {
        let rlp = top_level_list(bytes, "legacy transaction")?;
        let f = list_exact(&rlp, "legacy transaction", 9)?;
        let v = dec_u64(&f[6], "v")?;
        let (chain_id, y_parity) = match v {
            27 | 28 => (None, v == 28),
            35.. => (Some((v - 35) / 2), (v - 35) % 2 == 1),
            _ => {
                return Err(KaiaError::InvalidV {
                    field: "v",
                    v,
                    expected: "27, 28 or chainId*2+35/36".into(),
                });
            }
        };
        Ok(LegacyTx {
            chain_id,
            nonce: dec_u64(&f[0], "nonce")?,
            gas_price: dec_u256(&f[1], "gasPrice")?,
            gas: dec_u64(&f[2], "gas")?,
            to: dec_opt_address(&f[3], "to")?,
            value: dec_u256(&f[4], "value")?,
            input: dec_bytes(&f[5], "input")?,
            signature: Some(RecoverableSig::new(dec_u256(&f[7], "r")?, dec_u256(&f[8], "s")?, y_parity)),
        })
    }
}

macro_rules! typed_common {
    ($ty:ident, $type_byte:expr, $count:expr, $what:expr) => {
        impl $ty {
            /// Signing payload: `type || rlp([fields...])` (as on Ethereum).
            pub fn sig_rlp(&self) -> Vec<u8> {
                let mut s = RlpStream::new_list($count);
                self.append_body(&mut s);
                with_prefix(&[$type_byte], s)
            }

            /// Raw encoding `type || rlp([fields..., yParity, r, s])` (EIP-2718, no envelope).
            pub fn raw(&self) -> Result<Vec<u8>, KaiaError> {
                let sig = self.signature.as_ref().ok_or(KaiaError::MissingSenderSignature)?;
                let mut s = RlpStream::new_list($count + 3);
                self.append_body(&mut s);
                append_sig(&mut s, sig);
                Ok(with_prefix(&[$type_byte], s))
            }

            /// Transaction hash `keccak(type || rlp([...]))`: the hash of [`Self::raw`].
            pub fn tx_hash(&self) -> Result<B256, KaiaError> {
                Ok(keccak256(self.raw()?))
            }

            /// Decodes `rlp([...])` (the bytes after the type byte).
            pub(crate) fn decode(bytes: &[u8]) -> Result<Self, KaiaError> {
                let rlp = top_level_list(bytes, $what)?;
                let f = list_exact(&rlp, $what, $count + 3)?;
                let mut tx = Self::decode_body(&f)?;
                tx.signature = Some(RecoverableSig::new(
                    dec_u256(&f[$count + 1], "r")?,
                    dec_u256(&f[$count + 2], "s")?,
                    dec_y_parity(&f[$count])?,
                ));
                Ok(tx)
            }
        }
    };
}

impl Eip2930Tx {
    fn append_body(&self, s: &mut RlpStream) {
        s.append(&self.chain_id);
        s.append(&self.nonce);
        append_u256(s, &self.gas_price);
        s.append(&self.gas);
        append_opt_address(s, &self.to);
        append_u256(s, &self.value);
        append_bytes(s, &self.input);
        append_access_list(s, &self.access_list);
    }

    fn decode_body(f: &[Rlp<'_>]) -> Result<Self, KaiaError> {
        Ok(Eip2930Tx {
            chain_id: dec_chain_id(&f[0])?,
            nonce: dec_u64(&f[1], "nonce")?,
            gas_price: dec_u256(&f[2], "gasPrice")?,
            gas: dec_u64(&f[3], "gas")?,
            to: dec_opt_address(&f[4], "to")?,
            value: dec_u256(&f[5], "value")?,
            input: dec_bytes(&f[6], "input")?,
            access_list: dec_access_list(&f[7])?,
            signature: None,
        })
    }
}
typed_common!(Eip2930Tx, 0x01, 8, "EIP-2930 transaction");

impl Eip1559Tx {
    fn append_body(&self, s: &mut RlpStream) {
        s.append(&self.chain_id);
        s.append(&self.nonce);
        append_u256(s, &self.max_priority_fee_per_gas);
        append_u256(s, &self.max_fee_per_gas);
        s.append(&self.gas);
        append_opt_address(s, &self.to);
        append_u256(s, &self.value);
        append_bytes(s, &self.input);
        append_access_list(s, &self.access_list);
    }

    fn decode_body(f: &[Rlp<'_>]) -> Result<Self, KaiaError> {
        Ok(Eip1559Tx {
            chain_id: dec_chain_id(&f[0])?,
            nonce: dec_u64(&f[1], "nonce")?,
            max_priority_fee_per_gas: dec_u256(&f[2], "maxPriorityFeePerGas")?,
            max_fee_per_gas: dec_u256(&f[3], "maxFeePerGas")?,
            gas: dec_u64(&f[4], "gas")?,
            to: dec_opt_address(&f[5], "to")?,
            value: dec_u256(&f[6], "value")?,
            input: dec_bytes(&f[7], "input")?,
            access_list: dec_access_list(&f[8])?,
            signature: None,
        })
    }
}
typed_common!(Eip1559Tx, 0x02, 9, "EIP-1559 transaction");
