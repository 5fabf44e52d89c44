//! The transaction type enumeration: numbers, snake_case names used by the
//! evlock wire format, and Kaia's own `TxType...` names.

use std::fmt;

/// How a Kaia native transaction's fee is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeeMode {
    /// The sender pays (type byte = base).
    Sender,
    /// The fee payer pays everything (type byte = base + 1).
    FeeDelegated,
    /// The fee payer pays `fee_ratio` percent (type byte = base + 2).
    FeeDelegatedWithRatio,
}

/// The six Kaia native transaction families (without fee delegation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KaiaBase {
    /// 0x08 TxTypeValueTransfer.
    ValueTransfer,
    /// 0x10 TxTypeValueTransferMemo.
    ValueTransferMemo,
    /// 0x20 TxTypeAccountUpdate.
    AccountUpdate,
    /// 0x28 TxTypeSmartContractDeploy.
    SmartContractDeploy,
    /// 0x30 TxTypeSmartContractExecution.
    SmartContractExecution,
    /// 0x38 TxTypeCancel.
    Cancel,
}

impl KaiaBase {
    /// The type byte of the non-delegated form.
    pub const fn byte(self) -> u8 {
        match self {
            KaiaBase::ValueTransfer => 0x08,
            KaiaBase::ValueTransferMemo => 0x10,
            KaiaBase::AccountUpdate => 0x20,
            KaiaBase::SmartContractDeploy => 0x28,
            KaiaBase::SmartContractExecution => 0x30,
            KaiaBase::Cancel => 0x38,
        }
    }

    fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            0x08 => KaiaBase::ValueTransfer,
            0x10 => KaiaBase::ValueTransferMemo,
            0x20 => KaiaBase::AccountUpdate,
            0x28 => KaiaBase::SmartContractDeploy,
            0x30 => KaiaBase::SmartContractExecution,
            0x38 => KaiaBase::Cancel,
            _ => return None,
        })
    }
}

/// Every transaction type this module can build, encode and decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxType {
    /// TxTypeLegacyTransaction (0x00, plain RLP list).
    Legacy,
    /// TxTypeEthereumAccessList, EIP-2930 (raw prefix 0x7801).
    Eip2930,
    /// TxTypeEthereumDynamicFee, EIP-1559 (raw prefix 0x7802).
    Eip1559,
    /// A Kaia native type.
    Kaia(KaiaBase, FeeMode),
}

/// (type, snake_case name, Kaia name) for all 21 types.
const NAMES: [(TxType, &str, &str); 21] = {
    use FeeMode::*;
    use KaiaBase::*;
    [
        (TxType::Legacy, "legacy", "TxTypeLegacyTransaction"),
        (TxType::Eip2930, "eip2930", "TxTypeEthereumAccessList"),
        (TxType::Eip1559, "eip1559", "TxTypeEthereumDynamicFee"),
        (TxType::Kaia(ValueTransfer, Sender), "value_transfer", "TxTypeValueTransfer"),
        (
            TxType::Kaia(ValueTransfer, FeeDelegated),
            "fee_delegated_value_transfer",
            "TxTypeFeeDelegatedValueTransfer",
        ),
        (
            TxType::Kaia(ValueTransfer, FeeDelegatedWithRatio),
            "fee_delegated_value_transfer_with_ratio",
            "TxTypeFeeDelegatedValueTransferWithRatio",
        ),
        (TxType::Kaia(ValueTransferMemo, Sender), "value_transfer_memo", "TxTypeValueTransferMemo"),
        (
            TxType::Kaia(ValueTransferMemo, FeeDelegated),
            "fee_delegated_value_transfer_memo",
            "TxTypeFeeDelegatedValueTransferMemo",
        ),
        (
            TxType::Kaia(ValueTransferMemo, FeeDelegatedWithRatio),
            "fee_delegated_value_transfer_memo_with_ratio",
            "TxTypeFeeDelegatedValueTransferMemoWithRatio",
        ),
        (TxType::Kaia(AccountUpdate, Sender), "account_update", "TxTypeAccountUpdate"),
        (
            TxType::Kaia(AccountUpdate, FeeDelegated),
            "fee_delegated_account_update",
            "TxTypeFeeDelegatedAccountUpdate",
        ),
        (
            TxType::Kaia(AccountUpdate, FeeDelegatedWithRatio),
            "fee_delegated_account_update_with_ratio",
            "TxTypeFeeDelegatedAccountUpdateWithRatio",
        ),
        (TxType::Kaia(SmartContractDeploy, Sender), "smart_contract_deploy", "TxTypeSmartContractDeploy"),
        (
            TxType::Kaia(SmartContractDeploy, FeeDelegated),
            "fee_delegated_smart_contract_deploy",
            "TxTypeFeeDelegatedSmartContractDeploy",
        ),
        (
            TxType::Kaia(SmartContractDeploy, FeeDelegatedWithRatio),
            "fee_delegated_smart_contract_deploy_with_ratio",
            "TxTypeFeeDelegatedSmartContractDeployWithRatio",
        ),
        (
            TxType::Kaia(SmartContractExecution, Sender),
            "smart_contract_execution",
            "TxTypeSmartContractExecution",
        ),
        (
            TxType::Kaia(SmartContractExecution, FeeDelegated),
            "fee_delegated_smart_contract_execution",
            "TxTypeFeeDelegatedSmartContractExecution",
        ),
        (
            TxType::Kaia(SmartContractExecution, FeeDelegatedWithRatio),
            "fee_delegated_smart_contract_execution_with_ratio",
            "TxTypeFeeDelegatedSmartContractExecutionWithRatio",
        ),
        (TxType::Kaia(Cancel, Sender), "cancel", "TxTypeCancel"),
        (TxType::Kaia(Cancel, FeeDelegated), "fee_delegated_cancel", "TxTypeFeeDelegatedCancel"),
        (
            TxType::Kaia(Cancel, FeeDelegatedWithRatio),
            "fee_delegated_cancel_with_ratio",
            "TxTypeFeeDelegatedCancelWithRatio",
        ),
    ]
};

impl TxType {
    /// All supported types.
    pub fn all() -> impl Iterator<Item = TxType> {
        NAMES.iter().map(|(t, _, _)| *t)
    }

    /// The snake_case names of every type, comma-separated (for messages that list them).
    pub fn names() -> String {
        TxType::all().map(TxType::name).collect::<Vec<_>>().join(", ")
    }

    /// Kaia's numeric type (`typeInt`): 0, 0x7801, 0x7802 or the native type byte.
    pub const fn type_int(self) -> u16 {
        match self {
            TxType::Legacy => 0,
            TxType::Eip2930 => 0x7801,
            TxType::Eip1559 => 0x7802,
            TxType::Kaia(base, mode) => base.byte() as u16 + mode_offset(mode) as u16,
        }
    }

    /// The Kaia native type byte (`None` for legacy and Ethereum types).
    pub const fn kaia_byte(self) -> Option<u8> {
        match self {
            TxType::Kaia(base, mode) => Some(base.byte() + mode_offset(mode)),
            _ => None,
        }
    }

    /// Looks up a Kaia native type byte.
    pub fn from_kaia_byte(b: u8) -> Option<TxType> {
        let mode = match b & 0x07 {
            0 => FeeMode::Sender,
            1 => FeeMode::FeeDelegated,
            2 => FeeMode::FeeDelegatedWithRatio,
            _ => return None,
        };
        KaiaBase::from_byte(b & !0x07).map(|base| TxType::Kaia(base, mode))
    }

    /// Looks up a numeric type: 0 = legacy, 1 / 0x7801 = EIP-2930,
    /// 2 / 0x7802 = EIP-1559, otherwise a Kaia type byte.
    pub fn from_number(n: u64) -> Option<TxType> {
        match n {
            0 => Some(TxType::Legacy),
            1 | 0x7801 => Some(TxType::Eip2930),
            2 | 0x7802 => Some(TxType::Eip1559),
            3..=0xff => TxType::from_kaia_byte(n as u8),
            _ => None,
        }
    }

    /// The snake_case name used by the evlock wire format.
    pub fn name(self) -> &'static str {
        NAMES.iter().find(|(t, _, _)| *t == self).map(|(_, n, _)| *n).unwrap_or("?")
    }

    /// Kaia's name (`TxTypeFeeDelegatedValueTransferWithRatio`, ...).
    pub fn kaia_name(self) -> &'static str {
        NAMES.iter().find(|(t, _, _)| *t == self).map(|(_, _, n)| *n).unwrap_or("?")
    }

    /// Parses a snake_case name or a Kaia CamelCase name with or without the
    /// `TxType` prefix (`value_transfer`, `TxTypeValueTransfer`,
    /// `ValueTransfer`, `LegacyTransaction`, `EthereumDynamicFee`, ...).
    pub fn from_name(s: &str) -> Option<TxType> {
        NAMES.iter().find_map(|(t, snake, kaia)| {
            let short = &kaia["TxType".len()..];
            (s == *snake || s == *kaia || s == short).then_some(*t)
        })
    }

    /// The fee mode (`Sender` for legacy and Ethereum types).
    pub fn fee_mode(self) -> FeeMode {
        match self {
            TxType::Kaia(_, mode) => mode,
            _ => FeeMode::Sender,
        }
    }

    /// True for the fee-delegated forms (with or without ratio).
    pub fn is_fee_delegated(self) -> bool {
        self.fee_mode() != FeeMode::Sender
    }
}

const fn mode_offset(mode: FeeMode) -> u8 {
    match mode {
        FeeMode::Sender => 0,
        FeeMode::FeeDelegated => 1,
        FeeMode::FeeDelegatedWithRatio => 2,
    }
}

impl fmt::Display for TxType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
