//! Kaia account keys: the key an AccountUpdate installs (`rlpEncodedKey` =
//! `encode(keyType) || encode(key)`), the roles of a role-based key, and Kaia's rules for
//! installing, replacing and validating against them (kaia `blockchain/types/accountkey`).
//!
//! | type | name | encoding | signs |
//! |---|---|---|---|
//! | 0x00 | AccountKeyNil | `0x80` | — ("keep this role" inside a role-based update) |
//! | 0x01 | AccountKeyLegacy | `0x01c0` | the key whose address is the account's |
//! | 0x02 | AccountKeyPublic | `0x02 ‖ rlp(pubkey33)` | that one public key |
//! | 0x03 | AccountKeyFail | `0x03c0` | nothing: every signature fails |
//! | 0x04 | AccountKeyWeightedMultiSig | `0x04 ‖ rlp([threshold, [[weight, pubkey33], …]])` | keys whose weights reach the threshold |
//! | 0x05 | AccountKeyRoleBased | `0x05 ‖ rlp([rlpEncodedKey, …])` | per role: RoleTransaction, RoleAccountUpdate, RoleFeePayer |
//!
//! An account whose key was set by an update is *decoupled*: its address stays, the key that
//! signs for it is no longer the one the address was derived from.

use alloy_primitives::Address;
use k256::ecdsa::VerifyingKey;
use rlp::RlpStream;

use crate::kaia::codec::{concat_items, data, dec_u8, dec_u64, list_exact, list_items};
use crate::kaia::error::KaiaError;
use crate::kaia::signature::address_of;
use crate::kaia::types::{KaiaBase, TxType};

/// The most keys a weighted multisig may hold (kaia `MaxNumKeysForMultiSig`).
pub const MAX_MULTISIG_KEYS: usize = 10;

/// The most roles a role-based key has (kaia `RoleLast`).
pub const MAX_ROLES: usize = 3;

/// The key an account has, or an AccountUpdate installs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AccountKey {
    /// AccountKeyNil (type 0x00), encoded `0x80`: "leave unchanged" (only as a role of a
    /// role-based update; Kaia never installs it).
    Nil,
    /// AccountKeyLegacy (type 0x01), encoded `0x01c0`: the address itself is derived from
    /// the key. Every account starts with it.
    Legacy,
    /// AccountKeyPublic (type 0x02), encoded `0x02 || rlp(compressed point)`.
    Public(CompressedPubkey),
    /// AccountKeyFail (type 0x03), encoded `0x03c0`: every signature fails.
    Fail,
    /// AccountKeyWeightedMultiSig (type 0x04): up to 10 weighted keys and a threshold.
    WeightedMultiSig(WeightedMultiSig),
    /// AccountKeyRoleBased (type 0x05): one key per role, in [`KeyRole`] order; a role the
    /// list does not reach uses the RoleTransaction key.
    RoleBased(Vec<AccountKey>),
}

/// A weighted multisig: signatures count by their keys' weights, and must reach the threshold.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WeightedMultiSig {
    /// The weight the signatures' keys must sum to at least.
    pub threshold: u64,
    /// The keys with their weights, in order.
    pub keys: Vec<WeightedPublicKey>,
}

/// One key of a weighted multisig.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WeightedPublicKey {
    /// What a signature by this key counts for.
    pub weight: u64,
    /// The key.
    pub key: CompressedPubkey,
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
    /// and checks that it is on the curve. Only the tags Kaia's node reads are accepted
    /// (`02`/`03` with 33 bytes, `04` with 65): k256 also reads SEC1's compact tag `05`, and
    /// a key taken in that form would be re-encoded as `02…`, so a decoded transaction would
    /// hash differently from the bytes it came from.
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, KaiaError> {
        let tag_fits = matches!((bytes.first(), bytes.len()), (Some(0x02 | 0x03), 33) | (Some(0x04), 65));
        let vk = tag_fits.then(|| VerifyingKey::from_sec1_bytes(bytes).ok()).flatten().ok_or_else(|| {
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

    /// The address derived from this key (what it would be as a legacy account).
    pub fn address(&self) -> Address {
        let key = VerifyingKey::from_sec1_bytes(&self.0).expect("validated when constructed");
        address_of(&key)
    }
}

/// The roles of a role-based account key, in Kaia's order (kaia `RoleType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyRole {
    /// RoleTransaction (0): signs the account's transactions (and every role it lacks).
    Transaction,
    /// RoleAccountUpdate (1): signs the account's AccountUpdate transactions.
    AccountUpdate,
    /// RoleFeePayer (2): signs as the fee payer of others' fee-delegated transactions.
    FeePayer,
}

impl KeyRole {
    /// Every role, in Kaia's order.
    pub const ALL: [KeyRole; 3] = [KeyRole::Transaction, KeyRole::AccountUpdate, KeyRole::FeePayer];

    /// The role's index in a role-based key (and in a KIP-3 role-based keyring).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The snake_case name evlock writes (`transaction`, `account_update`, `fee_payer`).
    pub fn name(self) -> &'static str {
        match self {
            KeyRole::Transaction => "transaction",
            KeyRole::AccountUpdate => "account_update",
            KeyRole::FeePayer => "fee_payer",
        }
    }

    /// Kaia's name (`RoleTransaction`, …).
    pub fn kaia_name(self) -> &'static str {
        match self {
            KeyRole::Transaction => "RoleTransaction",
            KeyRole::AccountUpdate => "RoleAccountUpdate",
            KeyRole::FeePayer => "RoleFeePayer",
        }
    }

    /// The role whose key signs a sender's transaction of this type: RoleAccountUpdate for
    /// the AccountUpdate types, RoleTransaction for every other (kaia
    /// `GetRoleTypeForValidation`).
    pub fn for_sender(ty: TxType) -> KeyRole {
        match ty {
            TxType::Kaia(KaiaBase::AccountUpdate, _) => KeyRole::AccountUpdate,
            _ => KeyRole::Transaction,
        }
    }
}

impl std::fmt::Display for KeyRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kaia_name())
    }
}

/// A rule of Kaia's an account key breaks, as Kaia names it (kaia `kerrors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyRule {
    /// AccountKeyNil is never installed: not as the new key, not as a role that has no key yet.
    #[error("AccountKeyNil cannot be installed on an account (ErrAccountKeyNilUninitializable)")]
    NilUninitializable,
    /// A role-based update where every role is nil changes nothing (and is refused on any
    /// account that is not role-based yet).
    #[error(
        "every role is AccountKeyNil: nothing would change, and Kaia refuses it on an account that is \
         not role-based yet (ErrAccountKeyNilUninitializable)"
    )]
    AllRolesNil,
    /// A multisig without keys or a role-based key without roles.
    #[error("{0} holds no keys (ErrZeroLength)")]
    ZeroLength(&'static str),
    /// More than three roles.
    #[error("a role-based key has at most {MAX_ROLES} roles (ErrLengthTooLong)")]
    LengthTooLong,
    /// A role that is itself role-based.
    #[error("a role of AccountKeyRoleBased cannot itself be role-based (ErrNestedCompositeType)")]
    NestedCompositeType,
    /// More than ten multisig keys.
    #[error("a weighted multisig holds at most {MAX_MULTISIG_KEYS} keys (ErrMaxKeysExceed)")]
    MaxKeysExceed,
    /// A multisig key of weight 0.
    #[error("a multisig key has weight 0 (ErrZeroKeyWeight)")]
    ZeroKeyWeight,
    /// The same multisig key twice.
    #[error("a multisig key appears twice (ErrDuplicatedKey)")]
    DuplicatedKey,
    /// The weights overflow.
    #[error("the multisig weights overflow (ErrWeightedSumOverflow)")]
    WeightedSumOverflow,
    /// The weights cannot reach the threshold.
    #[error("the weights sum to {sum}, below the threshold {threshold} (ErrUnsatisfiableThreshold)")]
    UnsatisfiableThreshold {
        /// The sum of every key's weight.
        sum: u64,
        /// The threshold.
        threshold: u64,
    },
    /// An account whose key is AccountKeyFail cannot change it.
    #[error("the account's key is AccountKeyFail, which cannot be updated (ErrAccountKeyFailNotUpdatable)")]
    FailNotUpdatable,
}

impl AccountKey {
    /// Kaia's account key type number.
    pub fn key_type(&self) -> u8 {
        match self {
            AccountKey::Nil => 0,
            AccountKey::Legacy => 1,
            AccountKey::Public(_) => 2,
            AccountKey::Fail => 3,
            AccountKey::WeightedMultiSig(_) => 4,
            AccountKey::RoleBased(_) => 5,
        }
    }

    /// Kaia's name of the type (`AccountKeyPublic`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            AccountKey::Nil => "AccountKeyNil",
            AccountKey::Legacy => "AccountKeyLegacy",
            AccountKey::Public(_) => "AccountKeyPublic",
            AccountKey::Fail => "AccountKeyFail",
            AccountKey::WeightedMultiSig(_) => "AccountKeyWeightedMultiSig",
            AccountKey::RoleBased(_) => "AccountKeyRoleBased",
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
            AccountKey::WeightedMultiSig(multisig) => {
                s.begin_list(2);
                s.append(&multisig.threshold);
                s.begin_list(multisig.keys.len());
                for key in &multisig.keys {
                    s.begin_list(2);
                    s.append(&key.weight);
                    s.append(&&key.key.0[..]);
                }
            }
            AccountKey::RoleBased(roles) => {
                s.begin_list(roles.len());
                for role in roles {
                    s.append(&role.rlp_encoding());
                }
            }
        }
        s.out().into()
    }

    /// Parses `rlpEncodedKey` bytes: any key Kaia's decoder reads, except a role-based key
    /// inside a role-based key (Kaia refuses it anyway, and it would nest without bound).
    /// Whether the key may be installed is [`Self::check_update`]'s and
    /// [`Self::check_replace`]'s question.
    pub fn from_rlp_encoding(bytes: &[u8]) -> Result<Self, KaiaError> {
        Self::decode(bytes, true)
    }

    fn decode(bytes: &[u8], top: bool) -> Result<Self, KaiaError> {
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
                Ok(AccountKey::Public(decode_pubkey(&items[1], "key.public_key")?))
            }
            4 => {
                expect_items(2)?;
                let parts = list_exact(&items[1], "key (weighted multisig)", 2)?;
                let threshold = dec_u64(&parts[0], "key.threshold")?;
                let keys = list_items(&parts[1], "key.keys")?
                    .iter()
                    .map(|entry| {
                        let pair = list_exact(entry, "key.keys[]", 2)?;
                        Ok(WeightedPublicKey {
                            weight: dec_u64(&pair[0], "key.keys[].weight")?,
                            key: decode_pubkey(&pair[1], "key.keys[].public_key")?,
                        })
                    })
                    .collect::<Result<_, KaiaError>>()?;
                Ok(AccountKey::WeightedMultiSig(WeightedMultiSig { threshold, keys }))
            }
            5 if !top => Err(KaiaError::AccountKey(KeyRule::NestedCompositeType.to_string())),
            5 => {
                expect_items(2)?;
                let roles = list_items(&items[1], "key.roles")?
                    .iter()
                    .map(|role| AccountKey::decode(data(role, "key.roles[]")?, false))
                    .collect::<Result<_, KaiaError>>()?;
                Ok(AccountKey::RoleBased(roles))
            }
            other => Err(KaiaError::AccountKey(format!("unknown key type 0x{other:02x}"))),
        }
    }

    /// The key that signs for `role`: a role-based key's role (or its RoleTransaction key
    /// for a role its list does not reach), any other key itself (kaia
    /// `AccountKeyRoleBased.Validate`).
    pub fn for_role(&self, role: KeyRole) -> &AccountKey {
        match self {
            AccountKey::RoleBased(roles) => {
                roles.get(role.index()).or_else(|| roles.first()).unwrap_or(&AccountKey::Fail)
            }
            other => other,
        }
    }

    /// How many public keys the key holds (what installing it costs gas for).
    pub fn public_key_count(&self) -> usize {
        match self {
            AccountKey::Public(_) => 1,
            AccountKey::WeightedMultiSig(multisig) => multisig.keys.len(),
            AccountKey::RoleBased(roles) => roles.iter().map(AccountKey::public_key_count).sum(),
            AccountKey::Nil | AccountKey::Legacy | AccountKey::Fail => 0,
        }
    }

    /// Whether this key may be installed on an account that has no key of its type yet
    /// (kaia `CheckInstallable`).
    pub fn check_installable(&self) -> Result<(), KeyRule> {
        match self {
            AccountKey::Nil => Err(KeyRule::NilUninitializable),
            AccountKey::Legacy | AccountKey::Public(_) | AccountKey::Fail => Ok(()),
            AccountKey::WeightedMultiSig(multisig) => multisig.check(),
            AccountKey::RoleBased(roles) => {
                check_role_count(roles)?;
                for role in roles {
                    if matches!(role, AccountKey::RoleBased(_)) {
                        return Err(KeyRule::NestedCompositeType);
                    }
                    role.check_installable()?;
                }
                Ok(())
            }
        }
    }

    /// The rules an AccountUpdate's new key must keep whatever the account's key is now: a
    /// nil key, a multisig Kaia refuses, a role-based key without roles, with more than three,
    /// with a role-based role or with every role nil. (Whether a nil role may keep a role is
    /// the account's question: [`Self::check_replace`].)
    pub fn check_update(&self) -> Result<(), KeyRule> {
        match self {
            AccountKey::RoleBased(roles) => {
                check_role_count(roles)?;
                for role in roles {
                    match role {
                        AccountKey::RoleBased(_) => return Err(KeyRule::NestedCompositeType),
                        AccountKey::Nil => {}
                        other => other.check_installable()?,
                    }
                }
                if roles.iter().all(|role| *role == AccountKey::Nil) {
                    return Err(KeyRule::AllRolesNil);
                }
                Ok(())
            }
            other => other.check_installable(),
        }
    }

    /// Whether an account whose key is `old` may take `new` (kaia `CheckReplacable`): the
    /// same type is checked as an update (a role-based update keeps the roles it gives as nil,
    /// and installs those the old key does not have), another type as an installation.
    pub fn check_replace(old: &AccountKey, new: &AccountKey) -> Result<(), KeyRule> {
        if old.key_type() != new.key_type() {
            return new.check_installable();
        }
        match (old, new) {
            (AccountKey::Fail, _) => Err(KeyRule::FailNotUpdatable),
            (AccountKey::RoleBased(old_roles), AccountKey::RoleBased(new_roles)) => {
                check_role_count(new_roles)?;
                for (index, role) in new_roles.iter().enumerate() {
                    match (role, old_roles.get(index)) {
                        (AccountKey::RoleBased(_), _) => return Err(KeyRule::NestedCompositeType),
                        (role, None) => role.check_installable()?,
                        (AccountKey::Nil, Some(_)) => {}
                        (role, Some(old_role)) => AccountKey::check_replace(old_role, role)?,
                    }
                }
                Ok(())
            }
            (_, new) => new.check_installable(),
        }
    }

    /// The account's key after an update to `new` (already checked with
    /// [`Self::check_replace`]): `new`, except that a role-based update keeps the roles it
    /// leaves nil.
    pub fn updated(&self, new: &AccountKey) -> AccountKey {
        match (self, new) {
            (AccountKey::RoleBased(old_roles), AccountKey::RoleBased(new_roles)) => {
                let mut roles = old_roles.clone();
                for (index, role) in new_roles.iter().enumerate() {
                    match (role, roles.get_mut(index)) {
                        (AccountKey::Nil, _) => {}
                        (role, Some(slot)) => *slot = role.clone(),
                        (role, None) => roles.push(role.clone()),
                    }
                }
                AccountKey::RoleBased(roles)
            }
            (_, new) => new.clone(),
        }
    }

    /// Checks that the keys recovered from a transaction's signatures sign for account `from`
    /// in `role` (kaia `ValidateAccountKey`, with the Istanbul rules): a legacy key takes one
    /// signature by the key `from` was derived from, a public key one by that key, a multisig
    /// at most as many signatures as it has keys, every one by one of its keys, whose weights
    /// reach the threshold; a fail key takes none. The error says why not.
    pub fn validate(&self, role: KeyRole, from: Address, signers: &[CompressedPubkey]) -> Result<(), String> {
        let key = self.for_role(role);
        let what = if matches!(self, AccountKey::RoleBased(_)) {
            format!("the {role} key ({})", key.type_name())
        } else {
            format!("the account key ({})", key.type_name())
        };
        let one = || match signers {
            [only] => Ok(only),
            _ => Err(format!("{what} takes exactly one signature, the transaction has {}", signers.len())),
        };
        match key {
            AccountKey::Legacy => {
                let signer = one()?.address();
                if signer == from {
                    Ok(())
                } else {
                    Err(format!("{what} needs the key of {from} itself, the signature is by {signer}"))
                }
            }
            AccountKey::Public(public) => {
                let signer = one()?;
                if signer == public {
                    Ok(())
                } else {
                    Err(format!(
                        "{what} is the key of {}, the signature is by {}",
                        public.address(),
                        signer.address()
                    ))
                }
            }
            AccountKey::Fail => Err(format!("{what} refuses every signature")),
            AccountKey::Nil => Err(format!("{what} signs nothing")),
            AccountKey::RoleBased(_) => Err(format!("{what} is nested, which Kaia never installs")),
            AccountKey::WeightedMultiSig(multisig) => {
                if signers.len() > multisig.keys.len() {
                    return Err(format!(
                        "{what} has {} keys, the transaction {} signatures",
                        multisig.keys.len(),
                        signers.len()
                    ));
                }
                let mut unique: Vec<&CompressedPubkey> = Vec::with_capacity(signers.len());
                for signer in signers {
                    if !unique.contains(&signer) {
                        unique.push(signer);
                    }
                }
                let mut weight = 0u64;
                let mut matched = 0usize;
                for entry in &multisig.keys {
                    if unique.contains(&&entry.key) {
                        weight = weight.saturating_add(entry.weight);
                        matched += 1;
                    }
                }
                if matched < unique.len() {
                    let stranger = unique
                        .iter()
                        .find(|signer| !multisig.keys.iter().any(|entry| entry.key == ***signer))
                        .map(|signer| signer.address().to_string())
                        .unwrap_or_default();
                    return Err(format!("{what} has no key {stranger}, which signed"));
                }
                if weight < multisig.threshold {
                    return Err(format!(
                        "{what} needs weight {}, the signatures reach {weight}",
                        multisig.threshold
                    ));
                }
                Ok(())
            }
        }
    }
}

impl WeightedMultiSig {
    /// Kaia's rules for a multisig key (kaia `AccountKeyWeightedMultiSig.CheckInstallable`).
    pub fn check(&self) -> Result<(), KeyRule> {
        if self.keys.is_empty() {
            return Err(KeyRule::ZeroLength("a weighted multisig"));
        }
        if self.keys.len() > MAX_MULTISIG_KEYS {
            return Err(KeyRule::MaxKeysExceed);
        }
        let mut sum = 0u64;
        for (index, entry) in self.keys.iter().enumerate() {
            if entry.weight == 0 {
                return Err(KeyRule::ZeroKeyWeight);
            }
            if self.keys[..index].iter().any(|other| other.key == entry.key) {
                return Err(KeyRule::DuplicatedKey);
            }
            sum = sum.checked_add(entry.weight).ok_or(KeyRule::WeightedSumOverflow)?;
        }
        if sum < self.threshold {
            return Err(KeyRule::UnsatisfiableThreshold { sum, threshold: self.threshold });
        }
        Ok(())
    }
}

fn check_role_count(roles: &[AccountKey]) -> Result<(), KeyRule> {
    if roles.is_empty() {
        return Err(KeyRule::ZeroLength("a role-based key"));
    }
    if roles.len() > MAX_ROLES {
        return Err(KeyRule::LengthTooLong);
    }
    Ok(())
}

fn decode_pubkey(item: &rlp::Rlp<'_>, field: &'static str) -> Result<CompressedPubkey, KaiaError> {
    let pk = data(item, field)?;
    if pk.len() != 33 {
        return Err(KaiaError::AccountKey(format!("{field}: must be 33 compressed bytes, got {}", pk.len())));
    }
    CompressedPubkey::from_sec1(pk)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> CompressedPubkey {
        let signing = k256::ecdsa::SigningKey::from_slice(&[byte; 32]).unwrap();
        CompressedPubkey::from_verifying_key(signing.verifying_key())
    }

    fn multisig(threshold: u64, weights: &[u64]) -> AccountKey {
        AccountKey::WeightedMultiSig(WeightedMultiSig {
            threshold,
            keys: weights
                .iter()
                .enumerate()
                .map(|(i, w)| WeightedPublicKey { weight: *w, key: key(i as u8 + 1) })
                .collect(),
        })
    }

    /// caver-java's `klay_encodeAccountKey`/`klay_decodeAccountKey` tests against a Kaia node.
    const MULTISIG_RLP: &str = "04f84b02f848e301a102c10b598a1a3ba252acc21349d61c2fbd9bc8c15c50a5599f420cccc3291f9bf9e301a1021769a9196f523c419be50c26419ebbec34d3d6aa8b59da834212f13dbec9a9c1";
    const ROLE_BASED_RLP: &str = "05f8c4a302a1036250dad4985bc22c8b9b84d1a05624c4daa0e83c8ae8fb35702d9024a8c14a71b84e04f84b02f848e301a102c10b598a1a3ba252acc21349d61c2fbd9bc8c15c50a5599f420cccc3291f9bf9e301a1021769a9196f523c419be50c26419ebbec34d3d6aa8b59da834212f13dbec9a9c1b84e04f84b01f848e301a103e7615d056e770b3262e5b39a4823c3124989924ed4dcfab13f10b252701540d4e301a1036f21d60c16200d99e6777422470b3122b65850d5135a5a4b41344a5607a1446d";
    const ROLE_BASED_NIL_RLP: &str = "05f876a302a1036250dad4985bc22c8b9b84d1a05624c4daa0e83c8ae8fb35702d9024a8c14a718180b84e04f84b01f848e301a103e7615d056e770b3262e5b39a4823c3124989924ed4dcfab13f10b252701540d4e301a1036f21d60c16200d99e6777422470b3122b65850d5135a5a4b41344a5607a1446d";

    #[test]
    fn the_sdk_vectors_decode_and_encode_back_byte_for_byte() {
        let bytes = hex::decode(MULTISIG_RLP).unwrap();
        let key = AccountKey::from_rlp_encoding(&bytes).unwrap();
        let AccountKey::WeightedMultiSig(multisig) = &key else { panic!("{key:?}") };
        assert_eq!(multisig.threshold, 2);
        assert_eq!(multisig.keys.iter().map(|k| k.weight).collect::<Vec<_>>(), [1, 1]);
        assert_eq!(
            hex::encode(multisig.keys[0].key.as_bytes()),
            "02c10b598a1a3ba252acc21349d61c2fbd9bc8c15c50a5599f420cccc3291f9bf9"
        );
        assert_eq!(key.rlp_encoding(), bytes);
        assert_eq!(crate::kaia::gas::account_key(&key), 40_000);

        for vector in [ROLE_BASED_RLP, ROLE_BASED_NIL_RLP] {
            let bytes = hex::decode(vector).unwrap();
            let key = AccountKey::from_rlp_encoding(&bytes).unwrap();
            let AccountKey::RoleBased(roles) = &key else { panic!("{key:?}") };
            assert_eq!(roles.len(), 3);
            assert!(matches!(roles[0], AccountKey::Public(_)));
            assert!(matches!(&roles[2], AccountKey::WeightedMultiSig(m) if m.threshold == 1));
            assert_eq!(key.rlp_encoding(), bytes, "{vector}");
        }
        let with_nil = AccountKey::from_rlp_encoding(&hex::decode(ROLE_BASED_NIL_RLP).unwrap()).unwrap();
        assert_eq!(with_nil.for_role(KeyRole::AccountUpdate), &AccountKey::Nil);
        assert_eq!(crate::kaia::gas::account_key(&with_nil), 3 * 20_000);
    }

    #[test]
    fn kaias_installation_rules_name_the_rule() {
        assert_eq!(AccountKey::Nil.check_update(), Err(KeyRule::NilUninitializable));
        assert_eq!(
            multisig(3, &[1, 1]).check_update(),
            Err(KeyRule::UnsatisfiableThreshold { sum: 2, threshold: 3 })
        );
        assert_eq!(multisig(1, &[1; 11]).check_update(), Err(KeyRule::MaxKeysExceed));
        assert_eq!(multisig(1, &[1; 10]).check_update(), Ok(()));
        assert_eq!(multisig(1, &[]).check_update(), Err(KeyRule::ZeroLength("a weighted multisig")));
        assert_eq!(multisig(1, &[1, 0]).check_update(), Err(KeyRule::ZeroKeyWeight));
        assert_eq!(multisig(1, &[u64::MAX, 1]).check_update(), Err(KeyRule::WeightedSumOverflow));
        let AccountKey::WeightedMultiSig(mut twice) = multisig(1, &[1, 1]) else { unreachable!() };
        twice.keys[1].key = twice.keys[0].key;
        assert_eq!(AccountKey::WeightedMultiSig(twice).check_update(), Err(KeyRule::DuplicatedKey));
        let nils = AccountKey::RoleBased(vec![AccountKey::Nil; 3]);
        assert_eq!(nils.check_update(), Err(KeyRule::AllRolesNil));
        assert!(nils.check_update().unwrap_err().to_string().contains("ErrAccountKeyNilUninitializable"));
        let nested = AccountKey::RoleBased(vec![AccountKey::RoleBased(vec![AccountKey::Legacy])]);
        assert_eq!(nested.check_update(), Err(KeyRule::NestedCompositeType));
        assert_eq!(
            AccountKey::RoleBased(vec![]).check_update(),
            Err(KeyRule::ZeroLength("a role-based key"))
        );
        assert_eq!(
            AccountKey::RoleBased(vec![AccountKey::Legacy; 4]).check_update(),
            Err(KeyRule::LengthTooLong)
        );
        // A nested role-based key is refused when decoded, naming the rule.
        let error = AccountKey::from_rlp_encoding(&nested.rlp_encoding()).unwrap_err().to_string();
        assert!(error.contains("ErrNestedCompositeType"), "{error}");
    }

    #[test]
    fn replacing_follows_the_old_key() {
        let rotate =
            AccountKey::RoleBased(vec![AccountKey::Public(key(9)), AccountKey::Nil, AccountKey::Nil]);
        // A first role-based key: nil roles have nothing to keep.
        assert_eq!(AccountKey::check_replace(&AccountKey::Legacy, &rotate), Err(KeyRule::NilUninitializable));
        let old = AccountKey::RoleBased(vec![
            AccountKey::Public(key(1)),
            AccountKey::Public(key(2)),
            AccountKey::Fail,
        ]);
        assert_eq!(AccountKey::check_replace(&old, &rotate), Ok(()));
        let after = old.updated(&rotate);
        assert_eq!(after.for_role(KeyRole::Transaction), &AccountKey::Public(key(9)));
        assert_eq!(after.for_role(KeyRole::AccountUpdate), &AccountKey::Public(key(2)), "kept");
        assert_eq!(after.for_role(KeyRole::FeePayer), &AccountKey::Fail, "kept");
        // Kaia lets an all-nil update through on an account that has three roles: a no-op.
        let nils = AccountKey::RoleBased(vec![AccountKey::Nil; 3]);
        assert_eq!(AccountKey::check_replace(&old, &nils), Ok(()));
        assert_eq!(old.updated(&nils), old);
        // ... but not where a role has no key yet.
        let short = AccountKey::RoleBased(vec![AccountKey::Public(key(1))]);
        assert_eq!(AccountKey::check_replace(&short, &nils), Err(KeyRule::NilUninitializable));
        assert_eq!(
            AccountKey::check_replace(&AccountKey::Fail, &AccountKey::Fail),
            Err(KeyRule::FailNotUpdatable)
        );
        assert_eq!(
            AccountKey::check_replace(&AccountKey::Legacy, &AccountKey::Nil),
            Err(KeyRule::NilUninitializable)
        );
    }

    #[test]
    fn validation_by_role_and_weight() {
        let from = Address::repeat_byte(0x11);
        let account = AccountKey::RoleBased(vec![multisig(2, &[1, 1, 1]), AccountKey::Public(key(7))]);
        let tx = |signers: &[CompressedPubkey]| account.validate(KeyRole::Transaction, from, signers);
        assert!(tx(&[key(1)]).unwrap_err().contains("needs weight 2, the signatures reach 1"));
        assert_eq!(tx(&[key(1), key(3)]), Ok(()));
        assert!(tx(&[key(1), key(1)]).is_err(), "the same key twice counts once");
        assert!(
            tx(&[key(1), key(2), key(7)]).unwrap_err().contains("which signed"),
            "a stranger's signature"
        );
        assert!(tx(&[key(1), key(2), key(3), key(3)]).unwrap_err().contains("3 keys"));
        assert_eq!(account.validate(KeyRole::AccountUpdate, from, &[key(7)]), Ok(()));
        assert!(account.validate(KeyRole::AccountUpdate, from, &[key(1)]).is_err());
        // A role the list does not reach falls back to RoleTransaction.
        assert_eq!(account.validate(KeyRole::FeePayer, from, &[key(2), key(3)]), Ok(()));
        assert_eq!(crate::kaia::gas::signature_validation(&account, KeyRole::Transaction, 2), 15_000);
        assert_eq!(crate::kaia::gas::signature_validation(&account, KeyRole::AccountUpdate, 1), 0);
        let legacy_owner = key(5);
        assert_eq!(
            AccountKey::Legacy.validate(KeyRole::Transaction, legacy_owner.address(), &[legacy_owner]),
            Ok(())
        );
        assert!(AccountKey::Legacy.validate(KeyRole::Transaction, from, &[legacy_owner]).is_err());
        assert!(AccountKey::Fail.validate(KeyRole::Transaction, from, &[legacy_owner]).is_err());
    }
}
