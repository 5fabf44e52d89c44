//! Kaia's intrinsic gas (kaia `params/protocol_params.go`): the one table of these costs, for
//! the devnet that charges them and the transaction builder that budgets for them.

use super::{AccountKey, FeeMode, KaiaKind, KeyRole, Transaction};

/// A value transfer, a cancel, a contract call or an account update (`TxGas`).
pub const TX: u64 = 21_000;
/// A contract deployment (`TxGasContractCreation`).
pub const CONTRACT_CREATION: u64 = 53_000;
/// Extra for a fee-delegated transaction (`TxGasFeeDelegated`).
pub const FEE_DELEGATED: u64 = 10_000;
/// Extra for a fee-delegated transaction with a ratio (`TxGasFeeDelegatedWithRatio`).
pub const FEE_DELEGATED_WITH_RATIO: u64 = 15_000;
/// Per public key an account update installs (`TxAccountCreationGasPerKey`).
pub const ACCOUNT_KEY_PER_KEY: u64 = 20_000;
/// Per signature beyond the first that a weighted multisig key validates
/// (`TxValidationGasPerKey`).
pub const SIGNATURE_VALIDATION_PER_KEY: u64 = 15_000;
/// Per zero byte of data (`TxDataZeroGas`).
pub const DATA_ZERO: u64 = 4;
/// Per non-zero byte of data (`TxDataNonZeroGasEIP2028`).
pub const DATA_NONZERO: u64 = 16;

/// The extra gas of a fee mode.
pub fn fee_delegation(mode: FeeMode) -> u64 {
    match mode {
        FeeMode::Sender => 0,
        FeeMode::FeeDelegated => FEE_DELEGATED,
        FeeMode::FeeDelegatedWithRatio => FEE_DELEGATED_WITH_RATIO,
    }
}

/// The gas of call data or init code.
pub fn data(bytes: &[u8]) -> u64 {
    bytes.iter().map(|b| if *b == 0 { DATA_ZERO } else { DATA_NONZERO }).sum()
}

/// The gas an account key costs to install (`AccountCreationGas`): per public key it holds,
/// summed over a multisig's keys and a role-based key's roles; nothing for legacy, fail and nil.
pub fn account_key(key: &AccountKey) -> u64 {
    key.public_key_count() as u64 * ACCOUNT_KEY_PER_KEY
}

/// The gas of validating `signatures` signatures against an account's key in `role`
/// (`SigValidationGas`, after Istanbul): per signature beyond the first when the role's key is
/// a weighted multisig, nothing otherwise. Kaia adds it to the intrinsic gas, for the sender
/// and for the fee payer.
pub fn signature_validation(key: &AccountKey, role: KeyRole, signatures: usize) -> u64 {
    match key.for_role(role) {
        AccountKey::WeightedMultiSig(_) => signatures.saturating_sub(1) as u64 * SIGNATURE_VALIDATION_PER_KEY,
        _ => 0,
    }
}

/// A transaction's intrinsic gas: its base, its data and its fee-delegation extra (the
/// signature validation of multisig accounts, which depends on the chain's state, comes on
/// top: [`signature_validation`]).
pub fn intrinsic(tx: &Transaction) -> u64 {
    let base = match tx {
        Transaction::Kaia(k) => match &k.kind {
            KaiaKind::AccountUpdate { key } => TX + account_key(key),
            KaiaKind::SmartContractDeploy { .. } => CONTRACT_CREATION,
            _ => TX,
        },
        other if other.is_deploy() => CONTRACT_CREATION,
        _ => TX,
    };
    base + fee_delegation(tx.tx_type().fee_mode()) + data(tx.input())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_docs_value_transfer_costs_21000_and_delegation_adds_to_it() {
        assert_eq!(fee_delegation(FeeMode::Sender), 0);
        assert_eq!(fee_delegation(FeeMode::FeeDelegated), 10_000);
        assert_eq!(fee_delegation(FeeMode::FeeDelegatedWithRatio), 15_000);
        assert_eq!(data(&[0, 1, 0, 2]), 4 + 16 + 4 + 16);
        assert_eq!(account_key(&AccountKey::Legacy), 0);
    }
}
