//! Strict RLP helpers on top of the `rlp` crate.
//!
//! The `rlp` crate is lenient in a few places that matter for consensus
//! encodings (it ignores trailing bytes and silently stops iterating a list at
//! a malformed item), so every read here goes through checks that mirror Go's
//! `rlp` package used by Kaia: exact lengths, canonical integers and
//! canonical single bytes.

use alloy_primitives::{Address, B256, Bytes, U256};
use rlp::{PayloadInfo, Rlp, RlpStream};

use crate::kaia::error::KaiaError;

/// Appends `v` as a minimal big-endian integer.
pub(crate) fn append_u256(s: &mut RlpStream, v: &U256) {
    let bytes = v.to_be_bytes::<32>();
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(32);
    s.append(&&bytes[start..]);
}

/// Appends a byte string.
pub(crate) fn append_bytes(s: &mut RlpStream, b: &[u8]) {
    s.append(&b);
}

/// Appends a 20-byte address.
pub(crate) fn append_address(s: &mut RlpStream, a: &Address) {
    s.append(&a.as_slice());
}

/// Appends an optional address; `None` is the empty string `0x80`.
pub(crate) fn append_opt_address(s: &mut RlpStream, a: &Option<Address>) {
    match a {
        Some(a) => append_address(s, a),
        None => {
            s.append_empty_data();
        }
    }
}

/// Prepends `prefix` to the RLP encoding finished in `s`.
pub(crate) fn with_prefix(prefix: &[u8], s: RlpStream) -> Vec<u8> {
    let body = s.as_raw();
    let mut out = Vec::with_capacity(prefix.len() + body.len());
    out.extend_from_slice(prefix);
    out.extend_from_slice(body);
    out
}

fn rlp_err(context: &'static str, e: rlp::DecoderError) -> KaiaError {
    KaiaError::Rlp { context, detail: e.to_string() }
}

/// Reads the header of the item at the start of `bytes` and returns the
/// item's total length, checking that it is present in full.
fn item_len(bytes: &[u8], context: &'static str) -> Result<usize, KaiaError> {
    let info = PayloadInfo::from(bytes).map_err(|e| rlp_err(context, e))?;
    // A length prefix may claim up to 2^64 - 1 bytes: the sum must not wrap (a wrapped sum
    // would pass the check below and cut the item at a wrong place).
    let needed = info.header_len.saturating_add(info.value_len);
    if needed > bytes.len() {
        return Err(KaiaError::Truncated { context, needed, available: bytes.len() });
    }
    Ok(needed)
}

/// Parses `bytes` as exactly one RLP list (no trailing bytes allowed).
pub(crate) fn top_level_list<'a>(bytes: &'a [u8], context: &'static str) -> Result<Rlp<'a>, KaiaError> {
    if bytes.is_empty() {
        return Err(KaiaError::Truncated { context, needed: 1, available: 0 });
    }
    let len = item_len(bytes, context)?;
    if len < bytes.len() {
        return Err(KaiaError::TrailingBytes { extra: bytes.len() - len });
    }
    let rlp = Rlp::new(bytes);
    if !rlp.is_list() {
        return Err(KaiaError::UnexpectedShape { field: context, expected: "a list" });
    }
    Ok(rlp)
}

/// Splits a list item into its elements, requiring the elements to fill the
/// list payload exactly.
pub(crate) fn list_items<'a>(item: &Rlp<'a>, what: &'static str) -> Result<Vec<Rlp<'a>>, KaiaError> {
    if !item.is_list() {
        return Err(KaiaError::UnexpectedShape { field: what, expected: "a list" });
    }
    let raw = item.as_raw();
    let end = item_len(raw, what)?;
    let info = PayloadInfo::from(raw).map_err(|e| rlp_err(what, e))?;
    let mut rest = &raw[info.header_len..end];
    let mut out = Vec::new();
    while !rest.is_empty() {
        let len = item_len(rest, what)?;
        out.push(Rlp::new(&rest[..len]));
        rest = &rest[len..];
    }
    Ok(out)
}

/// Like [`list_items`] but requires exactly `expected` elements.
pub(crate) fn list_exact<'a>(
    item: &Rlp<'a>,
    what: &'static str,
    expected: usize,
) -> Result<Vec<Rlp<'a>>, KaiaError> {
    let items = list_items(item, what)?;
    if items.len() != expected {
        return Err(KaiaError::ListLength { what, expected, got: items.len() });
    }
    Ok(items)
}

/// Payload of a byte-string item, rejecting non-canonical single bytes.
pub(crate) fn data<'a>(item: &Rlp<'a>, field: &'static str) -> Result<&'a [u8], KaiaError> {
    if !item.is_data() {
        return Err(KaiaError::UnexpectedShape { field, expected: "a byte string" });
    }
    let raw = item.as_raw();
    if raw[0] < 0x80 {
        return Ok(&raw[..1]);
    }
    let d = item.data().map_err(|e| rlp_err(field, e))?;
    if d.len() == 1 && d[0] < 0x80 {
        return Err(KaiaError::NonCanonicalByte { field });
    }
    Ok(d)
}

fn int_bytes<'a>(item: &Rlp<'a>, field: &'static str, max: usize) -> Result<&'a [u8], KaiaError> {
    let d = data(item, field)?;
    if d.first() == Some(&0) {
        return Err(KaiaError::NonCanonicalInt { field });
    }
    if d.len() > max {
        return Err(KaiaError::NumberTooLarge { field: field.to_string(), bits: (max * 8) as u32 });
    }
    Ok(d)
}

/// Reads a canonical unsigned integer of at most 64 bits.
pub(crate) fn dec_u64(item: &Rlp<'_>, field: &'static str) -> Result<u64, KaiaError> {
    let d = int_bytes(item, field, 8)?;
    Ok(d.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// Reads a canonical unsigned integer of at most 256 bits.
pub(crate) fn dec_u256(item: &Rlp<'_>, field: &'static str) -> Result<U256, KaiaError> {
    let d = int_bytes(item, field, 32)?;
    Ok(U256::from_be_slice(d))
}

/// Reads a `uint8`.
pub(crate) fn dec_u8(item: &Rlp<'_>, field: &'static str) -> Result<u8, KaiaError> {
    let d = int_bytes(item, field, 1)?;
    Ok(d.first().copied().unwrap_or(0))
}

/// Reads a Go `bool` (0x80 = false, 0x01 = true).
pub(crate) fn dec_bool(item: &Rlp<'_>, field: &'static str) -> Result<bool, KaiaError> {
    let d = data(item, field)?;
    match d {
        [] => Ok(false),
        [1] => Ok(true),
        other => Err(KaiaError::InvalidBool { field, got: hex::encode(other) }),
    }
}

/// Reads an arbitrary byte string.
pub(crate) fn dec_bytes(item: &Rlp<'_>, field: &'static str) -> Result<Bytes, KaiaError> {
    Ok(Bytes::copy_from_slice(data(item, field)?))
}

fn fixed<'a>(item: &Rlp<'a>, field: &'static str, n: usize) -> Result<&'a [u8], KaiaError> {
    let d = data(item, field)?;
    if d.len() != n {
        return Err(KaiaError::WrongLength { field: field.to_string(), expected: n, got: d.len() });
    }
    Ok(d)
}

/// Reads a 20-byte address.
pub(crate) fn dec_address(item: &Rlp<'_>, field: &'static str) -> Result<Address, KaiaError> {
    Ok(Address::from_slice(fixed(item, field, 20)?))
}

/// Reads an optional address (`0x80` = `None`).
pub(crate) fn dec_opt_address(item: &Rlp<'_>, field: &'static str) -> Result<Option<Address>, KaiaError> {
    if data(item, field)?.is_empty() {
        return Ok(None);
    }
    dec_address(item, field).map(Some)
}

/// Reads a 32-byte hash.
pub(crate) fn dec_b256(item: &Rlp<'_>, field: &'static str) -> Result<B256, KaiaError> {
    Ok(B256::from_slice(fixed(item, field, 32)?))
}

/// Splits a concatenation of RLP items (not wrapped in a list), as used by
/// Kaia's `rlpEncodedKey`.
pub(crate) fn concat_items<'a>(bytes: &'a [u8], what: &'static str) -> Result<Vec<Rlp<'a>>, KaiaError> {
    let mut rest = bytes;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let len = item_len(rest, what)?;
        out.push(Rlp::new(&rest[..len]));
        rest = &rest[len..];
    }
    Ok(out)
}
