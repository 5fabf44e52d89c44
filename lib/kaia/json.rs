//! JSON (serde) form of transactions, matching the evlock wire `tx` record:
//! snake_case keys, big numbers as decimal strings.
//!
//! Input is lenient where it is safe (decimal strings, u64 JSON numbers and
//! `0x` hex strings for numbers; Kaia/Ethereum camelCase aliases; numeric or
//! CamelCase type names; unknown keys ignored) and strict where silence
//! would be dangerous (negative, fractional or oversized numbers, and values
//! given for fields the type does not have are errors naming the field).

use alloy_primitives::{Address, B256, Bytes, U256};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use crate::exit::excerpt;
use crate::kaia::Transaction;
use crate::kaia::account_key::{AccountKey, CompressedPubkey, WeightedMultiSig, WeightedPublicKey};
use crate::kaia::error::KaiaError;
use crate::kaia::ethereum::{AccessListItem, Eip1559Tx, Eip2930Tx, LegacyTx};
use crate::kaia::native::{FeeDelegation, FeeRatio, KaiaKind, KaiaTx};
use crate::kaia::signature::{RecoverableSig, TxSignature};
use crate::kaia::types::{FeeMode, KaiaBase, TxType};

// ---------------------------------------------------------------- numbers --

fn too_large(field: &str, bits: u32) -> KaiaError {
    KaiaError::NumberTooLarge { field: field.to_string(), bits }
}

/// Parses a number from a decimal string, a `0x` hex string or a JSON
/// number that fits in u64.
pub(crate) fn parse_u256(field: &str, v: &Value) -> Result<U256, KaiaError> {
    match v {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Ok(U256::from(u))
            } else if n.as_i64().is_some() || n.as_f64().is_some_and(|f| f < 0.0) {
                Err(KaiaError::field(field, "negative numbers are not allowed"))
            } else if n.as_f64().is_some_and(|f| f.fract() != 0.0) {
                Err(KaiaError::field(field, format!("must be an integer, got {n}")))
            } else {
                Err(KaiaError::field(
                    field,
                    format!("JSON number {n} is not an exact u64; write big numbers as decimal strings"),
                ))
            }
        }
        Value::String(s) => parse_num_str(field, s),
        other => Err(KaiaError::field(
            field,
            format!("expected a number or a numeric string, got {}", json_kind(other)),
        )),
    }
}

fn parse_num_str(field: &str, s: &str) -> Result<U256, KaiaError> {
    if s.starts_with('-') {
        return Err(KaiaError::field(field, "negative numbers are not allowed"));
    }
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if h.is_empty() {
            return Err(KaiaError::field(field, "empty hex number `0x`"));
        }
        if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(KaiaError::field(field, format!("invalid hex number {}", excerpt(s))));
        }
        let h = h.trim_start_matches('0');
        if h.len() > 64 {
            return Err(too_large(field, 256));
        }
        return U256::from_str_radix(if h.is_empty() { "0" } else { h }, 16)
            .map_err(|_| too_large(field, 256));
    }
    if s.is_empty() {
        return Err(KaiaError::field(field, "empty string is not a number"));
    }
    if s.contains(['.', 'e', 'E']) && s.bytes().all(|b| b.is_ascii_digit() || b".eE+".contains(&b)) {
        return Err(KaiaError::field(field, format!("must be an integer, got {}", excerpt(s))));
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(KaiaError::field(field, format!("invalid decimal number {}", excerpt(s))));
    }
    U256::from_str_radix(s, 10).map_err(|_| too_large(field, 256))
}

pub(crate) fn parse_u64(field: &str, v: &Value) -> Result<u64, KaiaError> {
    u64::try_from(parse_u256(field, v)?).map_err(|_| too_large(field, 64))
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn as_str<'a>(field: &str, v: &'a Value) -> Result<&'a str, KaiaError> {
    v.as_str()
        .ok_or_else(|| KaiaError::field(field, format!("expected a 0x-hex string, got {}", json_kind(v))))
}

fn parse_hex(field: &str, v: &Value) -> Result<Vec<u8>, KaiaError> {
    let s = as_str(field, v)?;
    let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    hex::decode(h).map_err(|e| KaiaError::field(field, format!("invalid hex {}: {e}", excerpt(s))))
}

fn parse_bytes(field: &str, v: &Value) -> Result<Bytes, KaiaError> {
    parse_hex(field, v).map(Bytes::from)
}

fn parse_fixed<const N: usize>(field: &str, v: &Value) -> Result<[u8; N], KaiaError> {
    let b = parse_hex(field, v)?;
    <[u8; N]>::try_from(b.as_slice()).map_err(|_| KaiaError::WrongLength {
        field: field.to_string(),
        expected: N,
        got: b.len(),
    })
}

/// An address field: 20 bytes of hex, refused when its mixed case is not the EIP-55 checksum.
fn parse_address(field: &str, v: &Value) -> Result<Address, KaiaError> {
    let address = parse_fixed::<20>(field, v).map(Address::from)?;
    crate::wire::parse_address(as_str(field, v)?).map_err(|e| KaiaError::field(field, e.to_string()))?;
    Ok(address)
}

fn parse_b256(field: &str, v: &Value) -> Result<B256, KaiaError> {
    parse_fixed::<32>(field, v).map(B256::from)
}

fn parse_bool(field: &str, v: &Value) -> Result<bool, KaiaError> {
    v.as_bool().ok_or_else(|| KaiaError::field(field, format!("expected a boolean, got {}", json_kind(v))))
}

/// True for values that carry no information (null, false, 0, "0", "0x",
/// "0x0", "", []): allowed for fields a type does not have.
fn is_trivial(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_u64() == Some(0),
        Value::String(s) => {
            let h = s.strip_prefix("0x").unwrap_or(s);
            h.bytes().all(|b| b == b'0')
        }
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

// ------------------------------------------------------------------- type --

fn parse_type(v: &Value) -> Result<TxType, KaiaError> {
    let unknown = || KaiaError::UnknownTypeName(v.to_string());
    match v {
        Value::Number(n) => n.as_u64().and_then(TxType::from_number).ok_or_else(unknown),
        Value::String(s) => {
            if let Some(t) = TxType::from_name(s) {
                return Ok(t);
            }
            let n = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                u64::from_str_radix(h, 16).ok()
            } else if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse::<u64>().ok()
            } else {
                None
            };
            n.and_then(TxType::from_number).ok_or_else(unknown)
        }
        _ => Err(unknown()),
    }
}

// ----------------------------------------------------------------- record --

/// One field of a `tx` record: its wire name and the other spellings the parser accepts
/// (Kaia's and Ethereum's camelCase). The builder writes `name`; the parser reads any of
/// them; the signer carries every other field of a record through untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxField {
    /// The wire name (snake_case), as evlock writes it.
    pub name: &'static str,
    /// Other spellings accepted on input.
    pub aliases: &'static [&'static str],
}

impl TxField {
    /// The wire name and every alias.
    pub fn spellings(&self) -> impl Iterator<Item = &'static str> + use<> {
        std::iter::once(self.name).chain(self.aliases.iter().copied())
    }
}

/// The fields of a `tx` record: the one table the builder, the parser and the signer use.
pub mod fields {
    use super::TxField;

    /// The transaction type: a wire name (`value_transfer`), a Kaia name, or a number.
    pub const TYPE: TxField = TxField { name: "type", aliases: &[] };
    /// The chain id (EIP-155); `null` on a legacy transaction means pre-EIP-155.
    pub const CHAIN_ID: TxField = TxField { name: "chain_id", aliases: &["chainId", "chainID"] };
    /// The sender's account nonce.
    pub const NONCE: TxField = TxField { name: "nonce", aliases: &[] };
    /// The gas limit.
    pub const GAS: TxField = TxField { name: "gas", aliases: &["gas_limit", "gasLimit"] };
    /// The price per gas, peb (every type but EIP-1559).
    pub const GAS_PRICE: TxField = TxField { name: "gas_price", aliases: &["gasPrice"] };
    /// EIP-1559 priority fee per gas, peb.
    pub const MAX_PRIORITY_FEE_PER_GAS: TxField =
        TxField { name: "max_priority_fee_per_gas", aliases: &["maxPriorityFeePerGas"] };
    /// EIP-1559 maximum fee per gas, peb.
    pub const MAX_FEE_PER_GAS: TxField = TxField { name: "max_fee_per_gas", aliases: &["maxFeePerGas"] };
    /// The recipient (`null` for a deployment).
    pub const TO: TxField = TxField { name: "to", aliases: &[] };
    /// The value sent, peb.
    pub const VALUE: TxField = TxField { name: "value", aliases: &[] };
    /// The sending account (Kaia native types; the signer fills it in).
    pub const FROM: TxField = TxField { name: "from", aliases: &[] };
    /// Call data, init code or memo bytes.
    pub const INPUT: TxField = TxField { name: "input", aliases: &["data"] };
    /// The memo of a value_transfer_memo (the same bytes as `input`).
    pub const MEMO: TxField = TxField { name: "memo", aliases: &[] };
    /// EIP-2930/1559 access list.
    pub const ACCESS_LIST: TxField = TxField { name: "access_list", aliases: &["accessList"] };
    /// The account that pays the gas of a fee-delegated type (may be left out when the sender
    /// signs: the fee payer fills it in).
    pub const FEE_PAYER: TxField = TxField { name: "fee_payer", aliases: &["feePayer"] };
    /// The fee payer's share, 1–99 %, of a *_with_ratio type.
    pub const FEE_RATIO: TxField = TxField { name: "fee_ratio", aliases: &["feeRatio"] };
    /// The new account key of an account_update.
    pub const KEY: TxField = TxField { name: "key", aliases: &[] };
    /// Deployments: always false (Kaia dropped human-readable addresses).
    pub const HUMAN_READABLE: TxField = TxField { name: "human_readable", aliases: &["humanReadable"] };
    /// Deployments: always 0 (EVM).
    pub const CODE_FORMAT: TxField = TxField { name: "code_format", aliases: &["codeFormat"] };
    /// The sender's signatures `[{v, r, s}]`.
    pub const SIGNATURES: TxField = TxField { name: "signatures", aliases: &[] };
    /// The fee payer's signatures `[{v, r, s}]`.
    pub const FEE_PAYER_SIGNATURES: TxField =
        TxField { name: "fee_payer_signatures", aliases: &["feePayerSignatures"] };

    /// Every field, in the order records are written.
    pub const ALL: &[TxField] = &[
        TYPE,
        CHAIN_ID,
        NONCE,
        GAS,
        GAS_PRICE,
        MAX_PRIORITY_FEE_PER_GAS,
        MAX_FEE_PER_GAS,
        TO,
        VALUE,
        FROM,
        INPUT,
        MEMO,
        ACCESS_LIST,
        FEE_PAYER,
        FEE_RATIO,
        KEY,
        HUMAN_READABLE,
        CODE_FORMAT,
        SIGNATURES,
        FEE_PAYER_SIGNATURES,
    ];
}

/// The field of a `tx` record a key names (its wire name or an alias), if it is one.
pub fn tx_field(key: &str) -> Option<&'static TxField> {
    fields::ALL.iter().find(|f| f.name == key || f.aliases.contains(&key))
}

struct Record<'a> {
    obj: &'a Map<String, Value>,
    ty: TxType,
}

impl<'a> Record<'a> {
    /// The first non-null alias present; two aliases with different values
    /// are an error.
    fn get(&self, field: &TxField) -> Result<Option<(&'static str, &'a Value)>, KaiaError> {
        let mut found: Option<(&'static str, &'a Value)> = None;
        for name in field.spellings() {
            if let Some(v) = self.obj.get(name).filter(|v| !v.is_null()) {
                match found {
                    Some((first, fv)) if fv != v => {
                        return Err(KaiaError::field(
                            name,
                            format!("conflicts with `{first}` (give only one of them)"),
                        ));
                    }
                    Some(_) => {}
                    None => found = Some((name, v)),
                }
            }
        }
        Ok(found)
    }

    fn req(&self, field: &TxField) -> Result<(&'static str, &'a Value), KaiaError> {
        self.get(field)?.ok_or(KaiaError::MissingField { field: field.name, ty: self.ty.name() })
    }

    fn req_u64(&self, field: &TxField) -> Result<u64, KaiaError> {
        let (f, v) = self.req(field)?;
        parse_u64(f, v)
    }

    fn req_u256(&self, field: &TxField) -> Result<U256, KaiaError> {
        let (f, v) = self.req(field)?;
        parse_u256(f, v)
    }

    fn opt_u256(&self, field: &TxField) -> Result<U256, KaiaError> {
        self.get(field)?.map_or(Ok(U256::ZERO), |(f, v)| parse_u256(f, v))
    }

    fn req_address(&self, field: &TxField) -> Result<Address, KaiaError> {
        let (f, v) = self.req(field)?;
        parse_address(f, v)
    }

    fn opt_address(&self, field: &TxField) -> Result<Option<Address>, KaiaError> {
        self.get(field)?.map(|(f, v)| parse_address(f, v)).transpose()
    }

    fn opt_bytes(&self, field: &TxField) -> Result<Bytes, KaiaError> {
        self.get(field)?.map_or(Ok(Bytes::new()), |(f, v)| parse_bytes(f, v))
    }

    /// Errors if a field the type does not have carries a value.
    fn reject(&self, field: &TxField, hint: &str) -> Result<(), KaiaError> {
        for name in field.spellings() {
            if self.obj.get(name).is_some_and(|v| !is_trivial(v)) {
                return Err(KaiaError::field(name, format!("not used by type `{}`{hint}", self.ty.name())));
            }
        }
        Ok(())
    }

    fn access_list(&self) -> Result<Vec<AccessListItem>, KaiaError> {
        let Some((f, v)) = self.get(&fields::ACCESS_LIST)? else {
            return Ok(Vec::new());
        };
        let arr = v
            .as_array()
            .ok_or_else(|| KaiaError::field(f, format!("expected an array, got {}", json_kind(v))))?;
        arr.iter()
            .map(|item| {
                let obj = item.as_object().ok_or_else(|| {
                    KaiaError::field(f, "entries must be objects {\"address\", \"storage_keys\"}")
                })?;
                let address =
                    obj.get("address").ok_or_else(|| KaiaError::field(f, "entry without `address`"))?;
                let keys = obj
                    .get("storage_keys")
                    .or_else(|| obj.get("storageKeys"))
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                Ok(AccessListItem {
                    address: parse_address("access_list.address", address)?,
                    storage_keys: keys
                        .iter()
                        .map(|k| parse_b256("access_list.storage_keys", k))
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect()
    }

    /// Raw `{v, r, s}` triples of `field`.
    fn signatures(&self, field: &TxField) -> Result<Vec<(u64, U256, U256)>, KaiaError> {
        let Some((f, v)) = self.get(field)? else {
            return Ok(Vec::new());
        };
        let arr = v
            .as_array()
            .ok_or_else(|| KaiaError::field(f, format!("expected an array, got {}", json_kind(v))))?;
        arr.iter()
            .map(|sig| {
                let get = |k: &str, alt: &str| {
                    sig.get(k).or_else(|| sig.get(alt)).ok_or_else(|| {
                        KaiaError::field(
                            f,
                            format!("signature entries need `v`, `r` and `s` (missing `{k}`)"),
                        )
                    })
                };
                Ok((
                    parse_u64(&format!("{f}.v"), get("v", "V")?)?,
                    parse_u256(&format!("{f}.r"), get("r", "R")?)?,
                    parse_u256(&format!("{f}.s"), get("s", "S")?)?,
                ))
            })
            .collect()
    }

    /// The single signature of a legacy / Ethereum typed transaction.
    fn single_signature(&self) -> Result<Option<(u64, U256, U256)>, KaiaError> {
        let sigs = self.signatures(&fields::SIGNATURES)?;
        if sigs.len() > 1 {
            return Err(KaiaError::field(
                "signatures",
                format!("type `{}` takes exactly one signature, got {}", self.ty.name(), sigs.len()),
            ));
        }
        Ok(sigs.into_iter().next())
    }

    fn typed_signature(&self) -> Result<Option<RecoverableSig>, KaiaError> {
        self.single_signature()?
            .map(|(v, r, s)| match v {
                0 | 1 => Ok(RecoverableSig::new(r, s, v == 1)),
                _ => Err(KaiaError::field("signatures.v", format!("must be the y parity 0 or 1, got {v}"))),
            })
            .transpose()
    }

    fn account_key(&self) -> Result<AccountKey, KaiaError> {
        let (f, v) = self.req(&fields::KEY)?;
        let key = account_key_from_json(f, v, true)?;
        key.check_update()
            .map_err(|rule| KaiaError::KeyRule { field: key_rule_field(f, &key, rule), rule })?;
        Ok(key)
    }
}

/// Where in a `key` a rule is broken: the role that breaks it, or the key itself.
fn key_rule_field(field: &str, key: &AccountKey, rule: crate::kaia::KeyRule) -> String {
    if let AccountKey::RoleBased(roles) = key {
        for (index, role) in roles.iter().enumerate() {
            let broken = match role {
                AccountKey::Nil => false,
                AccountKey::RoleBased(_) => true,
                other => other.check_installable() == Err(rule),
            };
            if broken {
                return format!("{field}.roles[{index}]");
            }
        }
    }
    field.to_string()
}

/// The first of `names` an object has (non-null).
fn member<'a>(obj: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|name| obj.get(*name).filter(|v| !v.is_null()))
}

/// An account key in its JSON form (see [`account_key_json`]), or its `rlpEncodedKey` as hex.
/// `top` is false for the roles of a role-based key, which cannot be role-based themselves.
pub(crate) fn account_key_from_json(field: &str, v: &Value, top: bool) -> Result<AccountKey, KaiaError> {
    const TYPES: &str = "nil, legacy, public, fail, weighted_multisig, role_based";
    let obj = match v {
        Value::String(_) => {
            let key = AccountKey::from_rlp_encoding(&parse_hex(field, v)?)?;
            if !top && matches!(key, AccountKey::RoleBased(_)) {
                return Err(KaiaError::KeyRule {
                    field: field.to_string(),
                    rule: crate::kaia::KeyRule::NestedCompositeType,
                });
            }
            return Ok(key);
        }
        Value::Object(obj) => obj,
        other => {
            return Err(KaiaError::field(
                field,
                format!("expected an object or rlpEncodedKey hex, got {}", json_kind(other)),
            ));
        }
    };
    let type_field = format!("{field}.type");
    let kind = match obj.get("type").or_else(|| obj.get("keyType")) {
        Some(Value::String(name)) => name.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(KaiaError::field(type_field, format!("required: one of {TYPES}"))),
    };
    let public = |at: &str, obj: &Map<String, Value>| -> Result<CompressedPubkey, KaiaError> {
        let pk = member(obj, &["public_key", "publicKey", "key"])
            .ok_or_else(|| KaiaError::field(format!("{at}.public_key"), "required"))?;
        let bytes = parse_hex(&format!("{at}.public_key"), pk)?;
        CompressedPubkey::from_sec1(&bytes)
            .map_err(|e| KaiaError::field(format!("{at}.public_key"), e.to_string()))
    };
    let number = |at: String, value: Option<&Value>| -> Result<u64, KaiaError> {
        match value {
            Some(value) => parse_u64(&at, value),
            None => Err(KaiaError::field(at, "required")),
        }
    };
    match kind.as_str() {
        "legacy" | "AccountKeyLegacy" | "1" => Ok(AccountKey::Legacy),
        "fail" | "AccountKeyFail" | "3" => Ok(AccountKey::Fail),
        "nil" | "AccountKeyNil" | "0" => Ok(AccountKey::Nil),
        "public" | "AccountKeyPublic" | "2" => public(field, obj).map(AccountKey::Public),
        "weighted_multisig" | "multisig" | "AccountKeyWeightedMultiSig" | "4" => {
            let threshold = number(format!("{field}.threshold"), obj.get("threshold"))?;
            let keys_field = format!("{field}.keys");
            let keys = member(obj, &["keys", "weighted_public_keys", "weightedPublicKeys"])
                .ok_or_else(|| {
                    KaiaError::field(&keys_field, "required: a list of {\"weight\", \"public_key\"}")
                })?
                .as_array()
                .ok_or_else(|| {
                    KaiaError::field(&keys_field, "expected a list of {\"weight\", \"public_key\"}")
                })?;
            let keys = keys
                .iter()
                .enumerate()
                .map(|(index, entry)| {
                    let at = format!("{keys_field}[{index}]");
                    let entry = entry.as_object().ok_or_else(|| {
                        KaiaError::field(&at, "expected an object {\"weight\", \"public_key\"}")
                    })?;
                    Ok(WeightedPublicKey {
                        weight: number(format!("{at}.weight"), entry.get("weight"))?,
                        key: public(&at, entry)?,
                    })
                })
                .collect::<Result<_, KaiaError>>()?;
            Ok(AccountKey::WeightedMultiSig(WeightedMultiSig { threshold, keys }))
        }
        "role_based" | "AccountKeyRoleBased" | "5" if top => {
            let roles_field = format!("{field}.roles");
            let roles = member(obj, &["roles", "keys"])
                .ok_or_else(|| {
                    KaiaError::field(
                        &roles_field,
                        "required: a list of keys for [transaction, account_update, fee_payer]",
                    )
                })?
                .as_array()
                .ok_or_else(|| KaiaError::field(&roles_field, "expected a list of keys"))?;
            let roles = roles
                .iter()
                .enumerate()
                .map(|(index, role)| account_key_from_json(&format!("{roles_field}[{index}]"), role, false))
                .collect::<Result<_, KaiaError>>()?;
            Ok(AccountKey::RoleBased(roles))
        }
        "role_based" | "AccountKeyRoleBased" | "5" => Err(KaiaError::KeyRule {
            field: field.to_string(),
            rule: crate::kaia::KeyRule::NestedCompositeType,
        }),
        other => Err(KaiaError::field(type_field, format!("unknown key type `{other}` (one of {TYPES})"))),
    }
}

/// The JSON form of an account key, as `account_update` records carry it:
///
/// ```json
/// {"type":"nil"}   {"type":"legacy"}   {"type":"fail"}
/// {"type":"public","public_key":"0x02…"}
/// {"type":"weighted_multisig","threshold":2,"keys":[{"weight":1,"public_key":"0x02…"},…]}
/// {"type":"role_based","roles":[<transaction>,<account_update>,<fee_payer>]}
/// ```
///
/// Public keys are written compressed (33 bytes) and read compressed or uncompressed; a
/// role-based key has one to three roles (a role left out, or nil, keeps the account's key
/// for it; roles it does not reach use its transaction key); `rlpEncodedKey` hex is read too.
pub(crate) fn account_key_json(key: &AccountKey) -> Value {
    let public = |pk: &CompressedPubkey| format!("0x{}", hex::encode(pk.as_bytes()));
    match key {
        AccountKey::Nil => json!({"type": "nil"}),
        AccountKey::Legacy => json!({"type": "legacy"}),
        AccountKey::Fail => json!({"type": "fail"}),
        AccountKey::Public(pk) => json!({"type": "public", "public_key": public(pk)}),
        AccountKey::WeightedMultiSig(multisig) => json!({
            "type": "weighted_multisig",
            "threshold": multisig.threshold,
            "keys": multisig.keys.iter()
                .map(|k| json!({"weight": k.weight, "public_key": public(&k.key)}))
                .collect::<Vec<_>>(),
        }),
        AccountKey::RoleBased(roles) => {
            json!({"type": "role_based", "roles": roles.iter().map(account_key_json).collect::<Vec<_>>()})
        }
    }
}

impl Transaction {
    /// Builds a transaction from an evlock wire `tx` record (a JSON object).
    pub fn from_json_value(v: &Value) -> Result<Self, KaiaError> {
        let obj = v
            .as_object()
            .ok_or_else(|| KaiaError::field("tx", format!("expected an object, got {}", json_kind(v))))?;
        let ty_value = obj.get("type").ok_or(KaiaError::field("type", "required"))?;
        let ty = parse_type(ty_value)?;
        let r = Record { obj, ty };

        // Fields that only some families have.
        if !matches!(ty, TxType::Eip2930 | TxType::Eip1559) {
            r.reject(&fields::ACCESS_LIST, "")?;
        }
        if ty != TxType::Eip1559 {
            r.reject(&fields::MAX_PRIORITY_FEE_PER_GAS, " (use gas_price)")?;
            r.reject(&fields::MAX_FEE_PER_GAS, " (use gas_price)")?;
        }
        if !matches!(ty, TxType::Kaia(..)) {
            // Kaia-only fields would be silently dropped by Ethereum types.
            for f in [
                &fields::FEE_PAYER,
                &fields::FEE_RATIO,
                &fields::FEE_PAYER_SIGNATURES,
                &fields::KEY,
                &fields::MEMO,
                &fields::HUMAN_READABLE,
                &fields::CODE_FORMAT,
            ] {
                r.reject(f, " (Kaia native types only)")?;
            }
        }

        match ty {
            TxType::Legacy => {
                // An explicit null (and no other spelling with a value) is pre-EIP-155.
                let chain_id = match r.get(&fields::CHAIN_ID)? {
                    Some((f, v)) => Some(parse_u64(f, v)?),
                    None if fields::CHAIN_ID.spellings().any(|k| obj.contains_key(k)) => None,
                    None => {
                        return Err(KaiaError::MissingField { field: fields::CHAIN_ID.name, ty: ty.name() });
                    }
                };
                let signature = r.single_signature()?.map(|(v, rr, s)| {
                    let parity = match (chain_id, v) {
                        (None, 27 | 28) => Ok(v == 28),
                        (Some(id), v) => TxSignature { v, r: rr, s }.y_parity(id, "signatures.v"),
                        (None, v) => Err(KaiaError::field(
                            "signatures.v",
                            format!("must be 27 or 28 without chain_id, got {v}"),
                        )),
                    }?;
                    Ok::<_, KaiaError>(RecoverableSig::new(rr, s, parity))
                });
                Ok(Transaction::Legacy(LegacyTx {
                    chain_id,
                    nonce: r.req_u64(&fields::NONCE)?,
                    gas_price: r.req_u256(&fields::GAS_PRICE)?,
                    gas: r.req_u64(&fields::GAS)?,
                    to: r.opt_address(&fields::TO)?,
                    value: r.opt_u256(&fields::VALUE)?,
                    input: r.opt_bytes(&fields::INPUT)?,
                    signature: signature.transpose()?,
                }))
            }
            TxType::Eip2930 => Ok(Transaction::Eip2930(Eip2930Tx {
                chain_id: r.req_u64(&fields::CHAIN_ID)?,
                nonce: r.req_u64(&fields::NONCE)?,
                gas_price: r.req_u256(&fields::GAS_PRICE)?,
                gas: r.req_u64(&fields::GAS)?,
                to: r.opt_address(&fields::TO)?,
                value: r.opt_u256(&fields::VALUE)?,
                input: r.opt_bytes(&fields::INPUT)?,
                access_list: r.access_list()?,
                signature: r.typed_signature()?,
            })),
            TxType::Eip1559 => {
                r.reject(&fields::GAS_PRICE, " (use max_fee_per_gas / max_priority_fee_per_gas)")?;
                Ok(Transaction::Eip1559(Eip1559Tx {
                    chain_id: r.req_u64(&fields::CHAIN_ID)?,
                    nonce: r.req_u64(&fields::NONCE)?,
                    max_priority_fee_per_gas: r.req_u256(&fields::MAX_PRIORITY_FEE_PER_GAS)?,
                    max_fee_per_gas: r.req_u256(&fields::MAX_FEE_PER_GAS)?,
                    gas: r.req_u64(&fields::GAS)?,
                    to: r.opt_address(&fields::TO)?,
                    value: r.opt_u256(&fields::VALUE)?,
                    input: r.opt_bytes(&fields::INPUT)?,
                    access_list: r.access_list()?,
                    signature: r.typed_signature()?,
                }))
            }
            TxType::Kaia(base, mode) => kaia_from_record(&r, base, mode).map(Transaction::Kaia),
        }
    }

    /// Parses a JSON text (see [`Transaction::from_json_value`]).
    pub fn from_json_str(s: &str) -> Result<Self, KaiaError> {
        let v: Value = serde_json::from_str(s).map_err(|e| KaiaError::Json(e.to_string()))?;
        Self::from_json_value(&v)
    }

    /// The evlock wire `tx` record of this transaction.
    pub fn to_json_value(&self) -> Value {
        let mut m = Map::new();
        m.insert(fields::TYPE.name.into(), json!(self.tx_type().name()));
        let dec = |u: &U256| Value::String(u.to_string());
        let dec64 = |u: u64| Value::String(u.to_string());
        let hexb = |b: &[u8]| Value::String(format!("0x{}", hex::encode(b)));
        let addr = |a: &Address| Value::String(a.to_checksum(None));
        let opt_addr = |a: &Option<Address>| a.as_ref().map_or(Value::Null, addr);
        let access_list = |list: &[AccessListItem]| {
            Value::Array(
                list.iter()
                    .map(|i| {
                        json!({
                            "address": addr(&i.address),
                            "storage_keys": i.storage_keys.iter().map(|k| hexb(k.as_slice())).collect::<Vec<_>>(),
                        })
                    })
                    .collect(),
            )
        };
        let sig_json = |v: u64, r: &U256, s: &U256| json!({ "v": dec64(v), "r": format!("{r:#x}"), "s": format!("{s:#x}") });
        match self {
            Transaction::Legacy(tx) => {
                m.insert(fields::CHAIN_ID.name.into(), tx.chain_id.map_or(Value::Null, dec64));
                m.insert(fields::NONCE.name.into(), dec64(tx.nonce));
                m.insert(fields::GAS.name.into(), dec64(tx.gas));
                m.insert(fields::GAS_PRICE.name.into(), dec(&tx.gas_price));
                m.insert(fields::TO.name.into(), opt_addr(&tx.to));
                m.insert(fields::VALUE.name.into(), dec(&tx.value));
                m.insert(fields::INPUT.name.into(), hexb(&tx.input));
                if let (Some(sig), Ok(v)) = (tx.signature, tx.v()) {
                    m.insert(fields::SIGNATURES.name.into(), json!([sig_json(v, &sig.r, &sig.s)]));
                }
            }
            Transaction::Eip2930(tx) => {
                m.insert(fields::CHAIN_ID.name.into(), dec64(tx.chain_id));
                m.insert(fields::NONCE.name.into(), dec64(tx.nonce));
                m.insert(fields::GAS.name.into(), dec64(tx.gas));
                m.insert(fields::GAS_PRICE.name.into(), dec(&tx.gas_price));
                m.insert(fields::TO.name.into(), opt_addr(&tx.to));
                m.insert(fields::VALUE.name.into(), dec(&tx.value));
                m.insert(fields::INPUT.name.into(), hexb(&tx.input));
                m.insert(fields::ACCESS_LIST.name.into(), access_list(&tx.access_list));
                if let Some(sig) = tx.signature {
                    m.insert(
                        fields::SIGNATURES.name.into(),
                        json!([sig_json(u64::from(sig.y_parity), &sig.r, &sig.s)]),
                    );
                }
            }
            Transaction::Eip1559(tx) => {
                m.insert(fields::CHAIN_ID.name.into(), dec64(tx.chain_id));
                m.insert(fields::NONCE.name.into(), dec64(tx.nonce));
                m.insert(fields::GAS.name.into(), dec64(tx.gas));
                m.insert(fields::MAX_PRIORITY_FEE_PER_GAS.name.into(), dec(&tx.max_priority_fee_per_gas));
                m.insert(fields::MAX_FEE_PER_GAS.name.into(), dec(&tx.max_fee_per_gas));
                m.insert(fields::TO.name.into(), opt_addr(&tx.to));
                m.insert(fields::VALUE.name.into(), dec(&tx.value));
                m.insert(fields::INPUT.name.into(), hexb(&tx.input));
                m.insert(fields::ACCESS_LIST.name.into(), access_list(&tx.access_list));
                if let Some(sig) = tx.signature {
                    m.insert(
                        fields::SIGNATURES.name.into(),
                        json!([sig_json(u64::from(sig.y_parity), &sig.r, &sig.s)]),
                    );
                }
            }
            Transaction::Kaia(tx) => {
                m.insert(fields::CHAIN_ID.name.into(), dec64(tx.chain_id));
                m.insert(fields::NONCE.name.into(), dec64(tx.nonce));
                m.insert(fields::GAS.name.into(), dec64(tx.gas));
                m.insert(fields::GAS_PRICE.name.into(), dec(&tx.gas_price));
                m.insert(fields::FROM.name.into(), addr(&tx.from));
                match &tx.kind {
                    KaiaKind::ValueTransfer { to, value } => {
                        m.insert(fields::TO.name.into(), addr(to));
                        m.insert(fields::VALUE.name.into(), dec(value));
                    }
                    KaiaKind::ValueTransferMemo { to, value, input }
                    | KaiaKind::SmartContractExecution { to, value, input } => {
                        m.insert(fields::TO.name.into(), addr(to));
                        m.insert(fields::VALUE.name.into(), dec(value));
                        m.insert(fields::INPUT.name.into(), hexb(input));
                    }
                    KaiaKind::AccountUpdate { key } => {
                        m.insert(fields::KEY.name.into(), account_key_json(key));
                    }
                    KaiaKind::SmartContractDeploy { to, value, input, human_readable, code_format } => {
                        m.insert(fields::TO.name.into(), opt_addr(to));
                        m.insert(fields::VALUE.name.into(), dec(value));
                        m.insert(fields::INPUT.name.into(), hexb(input));
                        m.insert(fields::HUMAN_READABLE.name.into(), json!(human_readable));
                        m.insert(fields::CODE_FORMAT.name.into(), json!(code_format));
                    }
                    KaiaKind::Cancel => {}
                }
                if let Some(fp) = tx.fee.fee_payer().filter(|fp| !fp.is_zero()) {
                    m.insert(fields::FEE_PAYER.name.into(), addr(&fp));
                }
                if let Some(ratio) = tx.fee.fee_ratio() {
                    m.insert(fields::FEE_RATIO.name.into(), json!(ratio.get()));
                }
                let sigs = |list: &[TxSignature]| {
                    Value::Array(list.iter().map(|s| sig_json(s.v, &s.r, &s.s)).collect())
                };
                if !tx.signatures.is_empty() {
                    m.insert(fields::SIGNATURES.name.into(), sigs(&tx.signatures));
                }
                if !tx.fee_payer_signatures.is_empty() {
                    m.insert(fields::FEE_PAYER_SIGNATURES.name.into(), sigs(&tx.fee_payer_signatures));
                }
            }
        }
        Value::Object(m)
    }
}

fn kaia_from_record(r: &Record<'_>, base: KaiaBase, mode: FeeMode) -> Result<KaiaTx, KaiaError> {
    let ty = r.ty;
    let has_to = !matches!(base, KaiaBase::AccountUpdate | KaiaBase::Cancel);
    let has_input = matches!(
        base,
        KaiaBase::ValueTransferMemo | KaiaBase::SmartContractDeploy | KaiaBase::SmartContractExecution
    );
    if !has_to {
        r.reject(&fields::TO, "")?;
        r.reject(&fields::VALUE, "")?;
    }
    if !has_input {
        let hint =
            if base == KaiaBase::ValueTransfer { " (use value_transfer_memo to attach data)" } else { "" };
        r.reject(&fields::INPUT, hint)?;
        r.reject(&fields::MEMO, hint)?;
    } else if base != KaiaBase::ValueTransferMemo {
        r.reject(&fields::MEMO, "")?;
    }
    if base != KaiaBase::AccountUpdate {
        r.reject(&fields::KEY, "")?;
    }
    if base != KaiaBase::SmartContractDeploy {
        r.reject(&fields::HUMAN_READABLE, "")?;
        r.reject(&fields::CODE_FORMAT, "")?;
    }
    if mode == FeeMode::Sender {
        r.reject(&fields::FEE_PAYER, " (not fee-delegated)")?;
        r.reject(&fields::FEE_PAYER_SIGNATURES, " (not fee-delegated)")?;
    }
    if mode != FeeMode::FeeDelegatedWithRatio {
        r.reject(&fields::FEE_RATIO, " (only the *_with_ratio types have a fee ratio)")?;
    }

    let input = || -> Result<Bytes, KaiaError> {
        let input = r.opt_bytes(&fields::INPUT)?;
        if base != KaiaBase::ValueTransferMemo {
            return Ok(input);
        }
        let memo = r.opt_bytes(&fields::MEMO)?;
        match (input.is_empty(), memo.is_empty()) {
            (_, true) => Ok(input),
            (true, false) => Ok(memo),
            (false, false) if input == memo => Ok(input),
            _ => Err(KaiaError::field(
                "memo",
                "conflicts with `input` (the memo is the on-chain input; give one)",
            )),
        }
    };

    let kind = match base {
        KaiaBase::ValueTransfer => {
            KaiaKind::ValueTransfer { to: r.req_address(&fields::TO)?, value: r.req_u256(&fields::VALUE)? }
        }
        KaiaBase::ValueTransferMemo => KaiaKind::ValueTransferMemo {
            to: r.req_address(&fields::TO)?,
            value: r.req_u256(&fields::VALUE)?,
            input: input()?,
        },
        KaiaBase::SmartContractExecution => KaiaKind::SmartContractExecution {
            to: r.req_address(&fields::TO)?,
            value: r.opt_u256(&fields::VALUE)?,
            input: input()?,
        },
        KaiaBase::AccountUpdate => KaiaKind::AccountUpdate { key: r.account_key()? },
        KaiaBase::SmartContractDeploy => {
            if let Some(to) = r.opt_address(&fields::TO)?
                && !to.is_zero()
            {
                return Err(KaiaError::field(
                    "to",
                    format!("must be null for `{}` (Kaia rejects a recipient address)", ty.name()),
                ));
            }
            let human_readable = match r.get(&fields::HUMAN_READABLE)? {
                Some((f, v)) => parse_bool(f, v)?,
                None => false,
            };
            if human_readable {
                return Err(KaiaError::field(
                    "human_readable",
                    "must be false (Kaia does not support human-readable addresses)",
                ));
            }
            let code_format = match r.get(&fields::CODE_FORMAT)? {
                Some((f, v)) => parse_u64(f, v)?,
                None => 0,
            };
            if code_format != 0 {
                return Err(KaiaError::field("code_format", format!("must be 0 (EVM), got {code_format}")));
            }
            KaiaKind::SmartContractDeploy {
                to: None,
                value: r.opt_u256(&fields::VALUE)?,
                input: input()?,
                human_readable,
                code_format: 0,
            }
        }
        KaiaBase::Cancel => KaiaKind::Cancel,
    };

    // The sender's signature does not cover the fee payer: it may be named later, by the fee
    // payer itself (Address::ZERO until then). A fee payer's signature needs one named.
    let fee_payer = || -> Result<Address, KaiaError> {
        match r.opt_address(&fields::FEE_PAYER)? {
            Some(payer) => Ok(payer),
            None if !r.signatures(&fields::FEE_PAYER_SIGNATURES)?.is_empty() => {
                Err(KaiaError::MissingField { field: fields::FEE_PAYER.name, ty: ty.name() })
            }
            None => Ok(Address::ZERO),
        }
    };
    let fee = match mode {
        FeeMode::Sender => FeeDelegation::None,
        FeeMode::FeeDelegated => FeeDelegation::Full { fee_payer: fee_payer()? },
        FeeMode::FeeDelegatedWithRatio => {
            let (f, v) = r.req(&fields::FEE_RATIO)?;
            // Anything beyond u64 is reported as the saturated value.
            let ratio = u64::try_from(parse_u256(f, v)?).unwrap_or(u64::MAX);
            FeeDelegation::WithRatio { fee_payer: fee_payer()?, fee_ratio: FeeRatio::new(ratio)? }
        }
    };

    let chain_id = r.req_u64(&fields::CHAIN_ID)?;
    let to_sigs = |list: Vec<(u64, U256, U256)>, field: &'static str, allow_placeholder: bool| {
        list.into_iter()
            .map(|(v, r, s)| {
                let sig = TxSignature { v, r, s };
                if !(allow_placeholder && sig.is_placeholder()) {
                    sig.y_parity(chain_id, field)?;
                }
                Ok(sig)
            })
            .collect::<Result<Vec<_>, KaiaError>>()
    };

    Ok(KaiaTx {
        chain_id,
        nonce: r.req_u64(&fields::NONCE)?,
        gas_price: r.req_u256(&fields::GAS_PRICE)?,
        gas: r.req_u64(&fields::GAS)?,
        from: r.req_address(&fields::FROM)?,
        kind,
        fee,
        signatures: to_sigs(r.signatures(&fields::SIGNATURES)?, "signatures.v", false)?,
        fee_payer_signatures: to_sigs(
            r.signatures(&fields::FEE_PAYER_SIGNATURES)?,
            "fee_payer_signatures.v",
            true,
        )?,
    })
}

impl Serialize for Transaction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Transaction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(deserializer)?;
        Transaction::from_json_value(&v).map_err(D::Error::custom)
    }
}
