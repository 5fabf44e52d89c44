//! The keys of one account, by Kaia role: what a signing step chooses its keys from.
//!
//! A keystore names an account and holds keys for it; on Kaia they need not be the same
//! address. A v3 keystore holds one key for every role (a decoupled account's v3 file names the
//! account, as caver-js writes it); a flat KIP-3 keyring holds keys that all sign every role
//! (a multisig account's); a role-based KIP-3 keyring holds keys per role: RoleTransaction for
//! the account's transactions, RoleAccountUpdate for its account updates, RoleFeePayer for
//! paying others' fees (a role without keys falls back to the transaction keys). A hardware key
//! signs every role for the account given with `--account`, or its own address.
//!
//! Keys of several sources (`--key` given more than once) combine into one set when they sign
//! for the same account: the keys of a multisig account held by different people or devices.

use std::path::Path;

use alloy_primitives::Address;

use super::{KeystoreSigner, Signer, SignerError};
use crate::kaia::KeyRole;
use crate::keys::keystore::Keystore;
use crate::keys::password::PasswordSource;

/// One key with its own address, computed once.
struct Held {
    signer: Box<dyn Signer + Send>,
    address: Address,
}

/// The keys that sign for one account, by role.
pub struct AccountKeys {
    account: Address,
    /// Where the keys came from, for messages.
    source: String,
    keys: Vec<Held>,
    /// Per role (in [`KeyRole`] order), which of `keys` sign for it, in signing order.
    roles: [Vec<usize>; 3],
    /// Whether the source named the account (a decoupled account's keystore), rather than it
    /// being the key's own address.
    named: bool,
}

impl AccountKeys {
    /// One key that signs every role, for the account it names.
    pub fn single(signer: Box<dyn Signer + Send>) -> Self {
        let address = signer.address();
        let account = signer.account();
        AccountKeys {
            account,
            source: format!("the key of {address}"),
            keys: vec![Held { signer, address }],
            roles: [vec![0], vec![0], vec![0]],
            named: account != address,
        }
    }

    /// The keys of a keystore file for `roles` (each role's keys, see [`Keystore::role_keys`]),
    /// decrypted with one password, for the account the file names.
    pub fn unlock_keystore(
        path: &Path,
        password: &PasswordSource,
        roles: &[KeyRole],
    ) -> Result<Self, SignerError> {
        let keystore = Keystore::load(path)?;
        let source = path.display().to_string();
        let mut wanted: Vec<usize> = Vec::new();
        let mut by_role: [Vec<usize>; 3] = Default::default();
        for role in roles {
            let positions = keystore.role_keys(role.index());
            if positions.is_empty() {
                return Err(SignerError::NoKeyForRole { source_name: source, role: *role });
            }
            if keystore.is_role_based() && *role != KeyRole::Transaction && positions == keystore.role_keys(0)
            {
                log::info!(
                    "{source} has no {role} keys: its RoleTransaction keys sign for it, as Kaia validates that role"
                );
            }
            for position in positions {
                let at = wanted.iter().position(|p| *p == position).unwrap_or_else(|| {
                    wanted.push(position);
                    wanted.len() - 1
                });
                by_role[role.index()].push(at);
            }
        }
        let secret = password.obtain(&format!("Password for {}", path.display()), false)?;
        let decrypted = keystore.decrypt_at(secret.as_bytes(), &wanted)?;
        let own = decrypted.first().map(|k| k.key.address()).unwrap_or_default();
        let account = keystore.address().unwrap_or(own);
        let keys: Vec<Held> = decrypted
            .into_iter()
            .map(|k| {
                let address = k.key.address();
                Held { signer: Box::new(KeystoreSigner::for_account(k.key, account)), address }
            })
            .collect();
        let named = keys.iter().all(|k| k.address != account);
        Ok(AccountKeys { account, source, keys, roles: by_role, named })
    }

    /// The account the keys sign for.
    pub fn account(&self) -> Address {
        self.account
    }

    /// Whether the account is not any of its keys' own address (a decoupled account).
    pub fn is_decoupled(&self) -> bool {
        self.keys.iter().all(|k| k.address != self.account)
    }

    /// The keys that sign for `role`, in signing order, with their own addresses.
    pub fn for_role(&self, role: KeyRole) -> impl Iterator<Item = (Address, &(dyn Signer + Send))> + '_ {
        self.roles[role.index()].iter().map(|i| (self.keys[*i].address, &*self.keys[*i].signer))
    }

    /// The own addresses of the keys that sign for `role`.
    pub fn addresses(&self, role: KeyRole) -> Vec<Address> {
        self.for_role(role).map(|(address, _)| address).collect()
    }

    /// The same keys, signing for `account` (`--account`): a key's own account, or a plain
    /// keystore's, may be another's key (a decoupled or multisig account's); a keystore that
    /// names another decoupled account is refused.
    pub fn for_account(mut self, account: Address) -> Result<Self, SignerError> {
        if self.named && self.account != account {
            return Err(SignerError::AccountConflict {
                source_name: self.source,
                named: self.account,
                asked: account,
            });
        }
        self.account = account;
        self.named = true;
        Ok(self)
    }

    /// Adds another source's keys for the same account (the next `--key`), after these in
    /// every role; a key held already is not added twice.
    pub fn combine(mut self, other: AccountKeys) -> Result<Self, SignerError> {
        if other.account != self.account {
            return Err(SignerError::DifferentAccounts { first: self.account, second: other.account });
        }
        let mut moved: Vec<Option<usize>> = Vec::with_capacity(other.keys.len());
        for held in other.keys {
            if self.keys.iter().any(|k| k.address == held.address) {
                moved.push(self.keys.iter().position(|k| k.address == held.address));
            } else {
                self.keys.push(held);
                moved.push(Some(self.keys.len() - 1));
            }
        }
        for (role, positions) in other.roles.iter().enumerate() {
            for position in positions {
                if let Some(Some(at)) = moved.get(*position)
                    && !self.roles[role].contains(at)
                {
                    self.roles[role].push(*at);
                }
            }
        }
        self.named |= other.named;
        self.source = format!("{} and {}", self.source, other.source);
        Ok(self)
    }
}

impl From<Box<dyn Signer + Send>> for AccountKeys {
    fn from(signer: Box<dyn Signer + Send>) -> Self {
        AccountKeys::single(signer)
    }
}

impl std::fmt::Debug for AccountKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountKeys")
            .field("account", &self.account)
            .field("keys", &self.keys.iter().map(|k| k.address).collect::<Vec<_>>())
            .field("roles", &self.roles)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SecretKey;

    fn key(byte: u8) -> SecretKey {
        SecretKey::from_bytes(&[byte; 32]).unwrap()
    }

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keystores").join(name)
    }

    fn kaia_password() -> PasswordSource {
        PasswordSource { file: Some(fixture("kaia-password.txt")), no_input: true, flag: "--password-file" }
    }

    fn parse(addresses: &[&str]) -> Vec<Address> {
        addresses.iter().map(|a| a.parse().unwrap()).collect()
    }

    #[test]
    fn a_role_based_keystore_of_kaias_docs_holds_each_roles_keys() {
        // The account and each role's keys as the caver-js examples list them.
        let account: Address = "0x86bcE8c859f5f304aa30ADb89F2F7B6EE5A0d6e2".parse().unwrap();
        let transaction = parse(&[
            "0x63FdfA2c88c44B8f681c12a357A087eBeb210535",
            "0x6B9323b26552E256d3Fe3C313859791173C6d013",
        ]);
        let update = parse(&["0xE4C9fe481391921Fb3c9C81066Fa5a0b7a8e9f9E"]);
        let fee_payer = parse(&[
            "0xE037F5bFA07facAdF9e99dc9a97F7e2b4Ef51B39",
            "0x4772220E0733d2F0BA025DACAF257739dd8B2eFD",
        ]);
        let path = fixture("kaia-v4-role-based.json");
        let keys = AccountKeys::unlock_keystore(&path, &kaia_password(), &KeyRole::ALL).unwrap();
        assert_eq!(keys.account(), account);
        assert!(keys.is_decoupled());
        assert_eq!(keys.addresses(KeyRole::Transaction), transaction);
        assert_eq!(keys.addresses(KeyRole::AccountUpdate), update);
        assert_eq!(keys.addresses(KeyRole::FeePayer), fee_payer);
        // The same through the key URI.
        let access = crate::signer::KeyAccess::password(kaia_password());
        let opened =
            crate::signer::KeyUri::Keystore(path.clone()).open_account(&access, &KeyRole::ALL).unwrap();
        assert_eq!(opened.addresses(KeyRole::FeePayer), fee_payer);
        // Given twice (`--key` repeated), each key is held once and keeps its roles.
        let again = AccountKeys::unlock_keystore(&path, &kaia_password(), &KeyRole::ALL).unwrap();
        let twice = opened.combine(again).unwrap();
        assert_eq!(twice.keys.len(), 5);
        assert_eq!(twice.addresses(KeyRole::Transaction), transaction);
        assert_eq!(twice.addresses(KeyRole::AccountUpdate), update);
        assert_eq!(twice.addresses(KeyRole::FeePayer), fee_payer);
        // Only the roles asked for are decrypted and held.
        let one = AccountKeys::unlock_keystore(&path, &kaia_password(), &[KeyRole::FeePayer]).unwrap();
        assert_eq!((one.addresses(KeyRole::FeePayer), one.keys.len()), (fee_payer, 2));
        assert!(format!("{one:?}").contains(&format!("{account:?}")), "{one:?}");
        // It names its account: it cannot be made to sign for another.
        let error = keys.for_account(Address::repeat_byte(1)).unwrap_err();
        assert!(matches!(error, SignerError::AccountConflict { .. }), "{error}");
    }

    #[test]
    fn a_multiple_keystore_signs_every_role_with_all_its_keys_and_a_single_one_is_its_own() {
        let keys =
            AccountKeys::unlock_keystore(&fixture("kaia-v4-multiple.json"), &kaia_password(), &KeyRole::ALL)
                .unwrap();
        let all = keys.addresses(KeyRole::Transaction);
        assert_eq!(all.len(), 2);
        assert_ne!(all[0], all[1]);
        for role in KeyRole::ALL {
            assert_eq!(keys.addresses(role), all, "{role}");
        }
        assert_eq!(keys.keys.len(), 2, "each key decrypted once");
        let single =
            AccountKeys::unlock_keystore(&fixture("kaia-v4-single.json"), &kaia_password(), &KeyRole::ALL)
                .unwrap();
        let own: Address = "0xc02cec4d0346bf4124deeb55c5216a4138a40a8c".parse().unwrap();
        assert_eq!((single.account(), single.addresses(KeyRole::FeePayer)), (own, vec![own]));
        assert!(!single.is_decoupled());
        // A plain key may sign for another account (a decoupled or multisig account's key).
        assert_eq!(single.for_account(Address::repeat_byte(1)).unwrap().account(), Address::repeat_byte(1));
    }

    #[test]
    fn keys_of_one_account_combine_and_others_are_refused() {
        let account = Address::repeat_byte(0x44);
        let a = AccountKeys::single(Box::new(KeystoreSigner::for_account(key(1), account)));
        assert!(a.is_decoupled());
        let b = AccountKeys::single(Box::new(KeystoreSigner::from_key(key(2)))).for_account(account).unwrap();
        let again = AccountKeys::single(Box::new(KeystoreSigner::for_account(key(1), account)));
        let both = a.combine(b).unwrap().combine(again).unwrap();
        assert_eq!(both.account(), account);
        let expected = vec![key(1).address(), key(2).address()];
        for role in KeyRole::ALL {
            assert_eq!(both.addresses(role), expected, "each key once, in the order given");
        }
        // A key held already keeps its place; a new one joins each role it signs for.
        let again = AccountKeys::single(Box::new(KeystoreSigner::for_account(key(2), account)));
        let both = both.combine(again).unwrap();
        for role in KeyRole::ALL {
            assert_eq!(both.addresses(role), expected);
        }
        // Combined with a source that names the account, the keys are bound to it.
        let plain = AccountKeys::single(Box::new(KeystoreSigner::from_key(key(4))));
        assert!(!plain.named);
        let own = key(4).address();
        let named = AccountKeys::single(Box::new(KeystoreSigner::for_account(key(5), own)));
        let bound = plain.combine(named).unwrap();
        assert!(matches!(bound.for_account(account), Err(SignerError::AccountConflict { .. })));
        let stranger = AccountKeys::single(Box::new(KeystoreSigner::from_key(key(3))));
        assert!(matches!(both.combine(stranger), Err(SignerError::DifferentAccounts { .. })));
        // A keystore naming a decoupled account cannot be made to sign for another.
        let named = AccountKeys::single(Box::new(KeystoreSigner::for_account(key(1), account)));
        let error = named.for_account(Address::repeat_byte(0x55)).unwrap_err();
        assert!(matches!(error, SignerError::AccountConflict { .. }), "{error}");
    }
}
