//! The local chain behind `evlock-devnet`: a single-node, Kaia-compatible chain whose EVM is
//! revm, for the demo, the examples and every integration test.
//!
//! - Accepts every transaction type `evlock-sign` makes: it verifies the chain id, the
//!   signatures against the accounts' keys as Kaia does (every key type: legacy, public,
//!   fail, weighted multisig with its threshold, role-based with RoleTransaction for
//!   transactions, RoleAccountUpdate for account updates and RoleFeePayer for fee payers; a
//!   key set by an AccountUpdate replaces the one the address was derived from), Kaia's rules
//!   for the keys an AccountUpdate installs, the nonce and the balances. Ethereum transaction
//!   types are accepted only from accounts whose key is still legacy.
//! - Kaia-native value transfers, memos, cancels and account updates run natively; contract
//!   deployment and execution and the Ethereum types run in revm. Fees are Kaia's: the fee
//!   payer pays all the gas of a fee-delegated transaction, or its `fee_ratio` percent.
//! - One block per transaction by default ([`Chain::submit`] mines), or a pending pool and
//!   [`Chain::mine`] for a block time.
//! - State persists as a journal of blocks (one fsynced NDJSON line per block, holding its
//!   raw transactions); loading replays it, so a restarted devnet has every mined
//!   transaction and receipt again. Only the latest state is queryable: historical state
//!   queries are refused with a clear error.

pub mod rpc;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use revm::context::result::{ExecutionResult, Output};
use revm::context::{BlockEnv, CfgEnv, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::database_interface::{DatabaseCommit, DatabaseRef, WrapDatabaseRef};
use revm::primitives::TxKind;
use revm::primitives::hardfork::SpecId;
use revm::state::AccountInfo;
use revm::{Context, ExecuteEvm, MainBuilder, MainContext};
use serde::{Deserialize, Serialize};

use crate::exit::{ErrorClass, ExitCode, error_chain};
use crate::kaia::{AccountKey, FeeDelegation, KaiaKind, KeyRole, KeyRule, Transaction, gas};
use crate::wire::DurableLog;

/// Why the chain refuses a transaction or a query. Each maps to a JSON-RPC error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The raw bytes are not a transaction (bad hex, bad RLP, unknown type).
    #[error("invalid transaction: {0}")]
    Decode(String),
    /// The transaction is for another chain.
    #[error("invalid chain id: transaction for chain {got}, this chain is {expected}")]
    WrongChain {
        /// This chain's id.
        expected: u64,
        /// The transaction's.
        got: u64,
    },
    /// The signatures do not satisfy the account's key for their role (kaia
    /// `ErrInvalidAccountKey`).
    #[error("invalid {role} signature for {account}: {reason} (ErrInvalidAccountKey)")]
    InvalidAccountKey {
        /// `sender` or `fee payer`.
        role: &'static str,
        /// The account that must have signed.
        account: Address,
        /// Why its key is not satisfied.
        reason: String,
    },
    /// An Ethereum transaction type from an account whose key is no longer legacy.
    #[error(
        "{account} has an {key} account key: Ethereum transaction types need the legacy key \
         (ErrLegacyTransactionMustBeWithLegacyKey)"
    )]
    NotLegacyKey {
        /// The sender.
        account: Address,
        /// Its key's type (`AccountKeyPublic`, …).
        key: &'static str,
    },
    /// An AccountUpdate whose new key Kaia refuses for this account.
    #[error("account update of {account}: {rule}")]
    AccountKey {
        /// The account.
        account: Address,
        /// The rule its new key breaks.
        rule: KeyRule,
    },
    /// The transaction is already in the chain or the pool.
    #[error("already known: {0}")]
    Known(B256),
    /// The nonce was used already.
    #[error("nonce too low: next nonce {expected}, tx nonce {got}")]
    NonceTooLow {
        /// The account's next nonce.
        expected: u64,
        /// The transaction's.
        got: u64,
    },
    /// The nonce leaves a gap.
    #[error("nonce too high: next nonce {expected}, tx nonce {got}")]
    NonceTooHigh {
        /// The account's next nonce.
        expected: u64,
        /// The transaction's.
        got: u64,
    },
    /// A payer cannot afford gas × price (+ value for the sender).
    #[error("insufficient funds for gas * price + value: {account} has {balance}, needs {needed}")]
    InsufficientFunds {
        /// The account.
        account: Address,
        /// Its balance.
        balance: U256,
        /// What it must pay at most.
        needed: U256,
    },
    /// The gas limit is below the transaction's intrinsic gas.
    #[error("intrinsic gas too low: gas {gas}, needed {needed}")]
    IntrinsicGas {
        /// The limit given.
        gas: u64,
        /// The intrinsic gas.
        needed: u64,
    },
    /// The gas limit is above the block's.
    #[error("exceeds block gas limit: gas {gas}, block limit {limit}")]
    GasLimit {
        /// The limit given.
        gas: u64,
        /// The block's.
        limit: u64,
    },
    /// The price per gas is below the chain's.
    #[error("gas price {got} is below the chain's {minimum} peb")]
    Underpriced {
        /// The chain's gas price.
        minimum: U256,
        /// The transaction's.
        got: U256,
    },
    /// The transaction is valid elsewhere but not accepted here (and why).
    #[error("{0}")]
    Unsupported(String),
    /// A query names state the devnet does not keep.
    #[error("{0}")]
    Query(String),
    /// The state file cannot be read or written.
    #[error("state file {path}: {reason}")]
    State {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

impl ErrorClass for ChainError {
    fn exit_code(&self) -> ExitCode {
        match self {
            ChainError::State { .. } => ExitCode::Usage,
            _ => ExitCode::No,
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            ChainError::State { .. } => "state_file",
            _ => "tx_rejected",
        }
    }
}

/// How a chain starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainConfig {
    /// The chain id (31337 by default: nothing signed for it replays on a public network).
    pub chain_id: u64,
    /// The price per gas in peb (25 ston, Kaia's, by default).
    pub gas_price: U256,
    /// The gas limit of a block (and so of one transaction).
    pub block_gas_limit: u64,
    /// Funded accounts at genesis.
    pub alloc: Vec<(Address, U256)>,
}

impl Default for ChainConfig {
    fn default() -> Self {
        ChainConfig {
            chain_id: 31337,
            gas_price: U256::from(25_000_000_000u64),
            block_gas_limit: 30_000_000,
            alloc: Vec::new(),
        }
    }
}

/// A block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Height; genesis is 0.
    pub number: u64,
    /// keccak256 of the RLP of (parent hash, number, timestamp, gas used, tx hashes).
    pub hash: B256,
    /// The previous block's hash (zero for genesis).
    pub parent_hash: B256,
    /// Seconds since the Unix epoch.
    pub timestamp: u64,
    /// Gas used by all its transactions.
    pub gas_used: u64,
    /// Its transactions, in order.
    pub transactions: Vec<B256>,
}

/// A log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The emitting contract.
    pub address: Address,
    /// Indexed topics.
    pub topics: Vec<B256>,
    /// Data.
    pub data: Bytes,
    /// Position in the block.
    pub log_index: u64,
}

/// A mined transaction with its receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mined {
    /// The raw bytes as sent.
    pub raw: Bytes,
    /// The decoded transaction.
    pub tx: Transaction,
    /// The transaction hash.
    pub hash: B256,
    /// The sending account.
    pub from: Address,
    /// The block.
    pub block_number: u64,
    /// The block's hash.
    pub block_hash: B256,
    /// Position in the block.
    pub index: u64,
    /// Success (true) or revert/halt (false).
    pub status: bool,
    /// Gas used, intrinsic included.
    pub gas_used: u64,
    /// Gas used up to and including this transaction in its block.
    pub cumulative_gas_used: u64,
    /// The price per gas paid.
    pub effective_gas_price: U256,
    /// The deployed contract.
    pub contract_address: Option<Address>,
    /// Emitted logs.
    pub logs: Vec<LogEntry>,
    /// Revert data (ABI `Error(string)` etc.), empty on success.
    pub revert_data: Bytes,
}

/// A validated transaction waiting for a block.
#[derive(Debug, Clone)]
struct Pending {
    raw: Bytes,
    tx: Transaction,
    hash: B256,
    from: Address,
    fee_payer: Option<(Address, u8)>,
    /// The gas of validating its signatures against multisig keys (on top of the intrinsic).
    validation_gas: u64,
}

/// The chain.
pub struct Chain {
    config: ChainConfig,
    db: CacheDB<EmptyDB>,
    /// The key of every account whose key is not AccountKeyLegacy (set by an AccountUpdate).
    keys: HashMap<Address, AccountKey>,
    blocks: Vec<Block>,
    mined: Vec<Mined>,
    by_hash: HashMap<B256, usize>,
    pending: Vec<Pending>,
    journal: Option<DurableLog>,
}

/// The longest line of a state file: a block's raw transactions, hex (a full block of call
/// data is a few MB).
const MAX_STATE_LINE_BYTES: usize = 16 << 20;

#[derive(Serialize, Deserialize)]
struct JournalHeader {
    evlock_devnet_state: u32,
    config: ChainConfig,
}

#[derive(Serialize, Deserialize)]
struct JournalBlock {
    number: u64,
    timestamp: u64,
    txs: Vec<Bytes>,
}

impl Chain {
    /// A new chain at its genesis block.
    pub fn new(config: ChainConfig, genesis_time: u64) -> Self {
        let mut db = CacheDB::new(EmptyDB::default());
        for (address, balance) in &config.alloc {
            db.insert_account_info(*address, AccountInfo { balance: *balance, ..Default::default() });
        }
        let mut chain = Chain {
            config,
            db,
            keys: HashMap::new(),
            blocks: Vec::new(),
            mined: Vec::new(),
            by_hash: HashMap::new(),
            pending: Vec::new(),
            journal: None,
        };
        chain.seal_block(genesis_time, Vec::new());
        chain
    }

    /// Opens a chain persisted in `path`, or starts one there with `config`. Every later
    /// block is appended to the file and fsynced before its transactions are reported mined.
    pub fn open(path: &Path, config: ChainConfig, now: u64) -> Result<Self, ChainError> {
        let state_error = |reason: String| ChainError::State { path: path.to_path_buf(), reason };
        let existed = path.exists();
        let mut header: Option<JournalHeader> = None;
        let mut blocks = Vec::new();
        let mut log = DurableLog::open_with(path, MAX_STATE_LINE_BYTES, |line, text| {
            if line == 1 {
                header =
                    Some(serde_json::from_str(text).map_err(|e| format!("not a devnet state header: {e}"))?);
            } else {
                blocks.push(
                    serde_json::from_str::<JournalBlock>(text).map_err(|e| format!("not a block: {e}"))?,
                );
            }
            Ok(())
        })
        .map_err(|e| state_error(error_chain(&e)))?;
        let mut chain;
        match header {
            Some(header) => {
                if header.config != config {
                    log::warn!("{}: using the chain settings stored in the state file", path.display());
                }
                chain = Chain::new(header.config, blocks.first().map_or(now, |b| b.timestamp));
                for block in blocks {
                    for raw in &block.txs {
                        chain
                            .admit(raw, block.timestamp)
                            .map_err(|e| state_error(format!("replaying block {}: {e}", block.number)))?;
                    }
                    chain.mine_pending(block.timestamp);
                }
            }
            None if existed && log.lines() > 0 => return Err(state_error("no header line".into())),
            None => {
                chain = Chain::new(config, now);
                let header = JournalHeader { evlock_devnet_state: 1, config: chain.config.clone() };
                log.append(&header).map_err(|e| state_error(error_chain(&e)))?;
            }
        }
        chain.journal = Some(log);
        Ok(chain)
    }

    /// The chain's settings.
    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The latest block.
    pub fn head(&self) -> &Block {
        self.blocks.last().expect("genesis always exists")
    }

    /// A block by number.
    pub fn block(&self, number: u64) -> Option<&Block> {
        self.blocks.get(usize::try_from(number).ok()?)
    }

    /// A block by hash.
    pub fn block_by_hash(&self, hash: &B256) -> Option<&Block> {
        self.blocks.iter().rev().find(|b| b.hash == *hash)
    }

    /// A mined transaction by hash.
    pub fn transaction(&self, hash: &B256) -> Option<&Mined> {
        self.by_hash.get(hash).map(|i| &self.mined[*i])
    }

    /// Every mined transaction of a block, in order.
    pub fn block_transactions(&self, block: &Block) -> Vec<&Mined> {
        block.transactions.iter().filter_map(|h| self.transaction(h)).collect()
    }

    /// The latest balance.
    pub fn balance(&self, address: Address) -> U256 {
        self.account(address).balance
    }

    /// The next nonce, counting pending transactions when `pending`.
    pub fn nonce(&self, address: Address, pending: bool) -> u64 {
        let mined = self.account(address).nonce;
        if pending { mined + self.pending.iter().filter(|p| p.from == address).count() as u64 } else { mined }
    }

    /// The latest code of an account.
    pub fn code(&self, address: Address) -> Bytes {
        self.account(address).code.map(|c| c.original_bytes()).unwrap_or_default()
    }

    /// A storage slot's latest value.
    pub fn storage(&self, address: Address, slot: U256) -> U256 {
        self.db.storage_ref(address, slot).unwrap_or_default()
    }

    /// How many transactions wait in the pool.
    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    fn account(&self, address: Address) -> AccountInfo {
        self.db.basic_ref(address).ok().flatten().unwrap_or_default()
    }

    /// Validates a raw transaction and puts it in the pool.
    fn admit(&mut self, raw: &[u8], _now: u64) -> Result<B256, ChainError> {
        let tx = Transaction::decode_raw(raw).map_err(|e| ChainError::Decode(e.to_string()))?;
        let hash = tx.tx_hash().map_err(|e| ChainError::Decode(e.to_string()))?;
        if self.by_hash.contains_key(&hash) || self.pending.iter().any(|p| p.hash == hash) {
            return Err(ChainError::Known(hash));
        }
        let chain_id = tx.chain_id().ok_or_else(|| {
            ChainError::Unsupported("pre-EIP-155 transactions (no chain id) are not accepted".into())
        })?;
        if chain_id != self.config.chain_id {
            return Err(ChainError::WrongChain { expected: self.config.chain_id, got: chain_id });
        }
        let from = match &tx {
            Transaction::Kaia(k) => k.from,
            other => other.recover_sender().map_err(|e| ChainError::Decode(e.to_string()))?,
        };
        let fee_payer = match &tx {
            Transaction::Kaia(k) => match &k.fee {
                FeeDelegation::None => None,
                FeeDelegation::Full { fee_payer } => Some((*fee_payer, 100u8)),
                FeeDelegation::WithRatio { fee_payer, fee_ratio } => Some((*fee_payer, fee_ratio.get())),
            },
            _ => None,
        };
        let validation_gas = self.check_keys(&tx, from, fee_payer.map(|(payer, _)| payer))?;
        let expected = self.nonce(from, true);
        if tx.nonce() < expected {
            return Err(ChainError::NonceTooLow { expected, got: tx.nonce() });
        }
        if tx.nonce() > expected {
            return Err(ChainError::NonceTooHigh { expected, got: tx.nonce() });
        }
        if tx.gas() > self.config.block_gas_limit {
            return Err(ChainError::GasLimit { gas: tx.gas(), limit: self.config.block_gas_limit });
        }
        let intrinsic = self.intrinsic_gas(&tx) + validation_gas;
        if tx.gas() < intrinsic {
            return Err(ChainError::IntrinsicGas { gas: tx.gas(), needed: intrinsic });
        }
        let price = self.effective_price(&tx);
        if price < self.config.gas_price {
            return Err(ChainError::Underpriced { minimum: self.config.gas_price, got: price });
        }
        if let Transaction::Kaia(k) = &tx
            && let KaiaKind::ValueTransfer { to, .. } | KaiaKind::ValueTransferMemo { to, .. } = &k.kind
            && !self.code(*to).is_empty()
        {
            return Err(ChainError::Unsupported(format!(
                "{to} is a contract: value transfers go to accounts, use smart_contract_execution"
            )));
        }
        let (sender_fee, payer_fee) = Self::split_fee(U256::from(tx.gas()) * price, fee_payer);
        let sender_needs = tx.value()
            + sender_fee
            + if fee_payer.is_some_and(|(p, _)| p == from) { payer_fee } else { U256::ZERO };
        let pooled = |who: Address| -> U256 {
            self.pending
                .iter()
                .filter(|p| p.from == who)
                .map(|p| p.tx.value() + U256::from(p.tx.gas()) * self.effective_price(&p.tx))
                .sum()
        };
        let balance = self.balance(from).saturating_sub(pooled(from));
        if balance < sender_needs {
            return Err(ChainError::InsufficientFunds { account: from, balance, needed: sender_needs });
        }
        if let Some((payer, _)) = fee_payer.filter(|(p, _)| *p != from) {
            let balance = self.balance(payer);
            if balance < payer_fee {
                return Err(ChainError::InsufficientFunds { account: payer, balance, needed: payer_fee });
            }
        }
        self.pending.push(Pending {
            raw: Bytes::copy_from_slice(raw),
            tx,
            hash,
            from,
            fee_payer,
            validation_gas,
        });
        Ok(hash)
    }

    /// The key of an account: AccountKeyLegacy until an AccountUpdate sets another.
    pub fn account_key(&self, address: Address) -> AccountKey {
        self.keys.get(&address).cloned().unwrap_or(AccountKey::Legacy)
    }

    /// Kaia's key checks of a transaction against the latest state: the sender's signatures
    /// against its account's key for the role the type needs, the fee payer's against the fee
    /// payer's RoleFeePayer key, an AccountUpdate's new key against the account's, an
    /// Ethereum type only from a legacy account. Returns the signature validation gas.
    fn check_keys(
        &self,
        tx: &Transaction,
        from: Address,
        fee_payer: Option<Address>,
    ) -> Result<u64, ChainError> {
        let decode = |e: crate::kaia::KaiaError| ChainError::Decode(e.to_string());
        let sender_key = self.account_key(from);
        let Transaction::Kaia(kaia) = tx else {
            return match sender_key {
                AccountKey::Legacy => Ok(0),
                other => Err(ChainError::NotLegacyKey { account: from, key: other.type_name() }),
            };
        };
        let role = KeyRole::for_sender(tx.tx_type());
        let signers = tx.recover_sender_keys().map_err(decode)?;
        sender_key.validate(role, from, &signers).map_err(|reason| ChainError::InvalidAccountKey {
            role: "sender",
            account: from,
            reason,
        })?;
        let mut validation_gas = gas::signature_validation(&sender_key, role, signers.len());
        if let Some(payer) = fee_payer {
            let payer_key = self.account_key(payer);
            let signers = tx.recover_fee_payer_keys().map_err(decode)?;
            payer_key.validate(KeyRole::FeePayer, payer, &signers).map_err(|reason| {
                ChainError::InvalidAccountKey { role: "fee payer", account: payer, reason }
            })?;
            validation_gas += gas::signature_validation(&payer_key, KeyRole::FeePayer, signers.len());
        }
        if let KaiaKind::AccountUpdate { key } = &kaia.kind {
            AccountKey::check_replace(&sender_key, key)
                .map_err(|rule| ChainError::AccountKey { account: from, rule })?;
        }
        Ok(validation_gas)
    }

    /// Validates and accepts a raw transaction; with auto-mining (the default) mines it in a
    /// block of its own at time `now` and persists the block before returning.
    pub fn submit(&mut self, raw: &[u8], now: u64, auto_mine: bool) -> Result<B256, ChainError> {
        let hash = self.admit(raw, now)?;
        if auto_mine && let Err(error) = self.mine(now) {
            // Not persisted, so not mined: the transaction is forgotten, and sending it again
            // is a new try, not "already known".
            self.pending.retain(|p| p.hash != hash);
            return Err(error);
        }
        Ok(hash)
    }

    /// Mines the pool into a block (an empty one if the pool is empty) and returns it. With a
    /// state file the block is appended and fsynced first: a block that cannot be persisted
    /// is not mined, and its transactions stay in the pool.
    pub fn mine(&mut self, now: u64) -> Result<&Block, ChainError> {
        let timestamp = now.max(self.head().timestamp);
        if let Some(log) = self.journal.as_mut() {
            let block = JournalBlock {
                number: self.blocks.last().map_or(0, |b| b.number + 1),
                timestamp,
                txs: self.pending.iter().map(|p| p.raw.clone()).collect(),
            };
            log.append(&block)
                .map_err(|e| ChainError::State { path: log.path().to_path_buf(), reason: error_chain(&e) })?;
        }
        Ok(self.mine_pending(timestamp))
    }

    /// Executes the pool into a block at `timestamp` (already persisted, or replayed).
    fn mine_pending(&mut self, timestamp: u64) -> &Block {
        let pending = std::mem::take(&mut self.pending);
        let number = self.head().number + 1;
        let mut hashes = Vec::with_capacity(pending.len());
        let mut results = Vec::with_capacity(pending.len());
        let mut cumulative = 0;
        let mut log_index = 0;
        let mut index = 0u64;
        for mut p in pending {
            // An earlier transaction of this block may have changed a key (or left a nonce
            // gap): as a Kaia node does, one that no longer validates is left out.
            match self.recheck(&p) {
                Ok(validation_gas) => p.validation_gas = validation_gas,
                Err(error) => {
                    log::warn!("transaction {} left out of block {number}: {error}", p.hash);
                    continue;
                }
            }
            let mut mined = self.execute(p, number, timestamp);
            cumulative += mined.gas_used;
            mined.cumulative_gas_used = cumulative;
            mined.index = index;
            index += 1;
            for log in &mut mined.logs {
                log.log_index = log_index;
                log_index += 1;
            }
            hashes.push(mined.hash);
            results.push(mined);
        }
        let hash = self.seal_block(timestamp, hashes);
        for mut mined in results {
            mined.block_hash = hash;
            self.by_hash.insert(mined.hash, self.mined.len());
            self.mined.push(mined);
        }
        self.head()
    }

    /// Checks a pooled transaction again against the state its block has reached: its nonce
    /// and its signatures against the keys. Returns its signature validation gas.
    fn recheck(&self, p: &Pending) -> Result<u64, ChainError> {
        let expected = self.account(p.from).nonce;
        if p.tx.nonce() != expected {
            return Err(ChainError::NonceTooHigh { expected, got: p.tx.nonce() });
        }
        self.check_keys(&p.tx, p.from, p.fee_payer.map(|(payer, _)| payer))
    }

    fn seal_block(&mut self, timestamp: u64, transactions: Vec<B256>) -> B256 {
        let (number, parent_hash) = self.blocks.last().map_or((0, B256::ZERO), |b| (b.number + 1, b.hash));
        let gas_used = transactions
            .iter()
            .filter_map(|h| self.by_hash.get(h))
            .map(|i| self.mined[*i].gas_used)
            .sum::<u64>();
        let mut stream = rlp::RlpStream::new_list(5 + transactions.len());
        stream.append(&parent_hash.as_slice());
        stream.append(&number);
        stream.append(&timestamp);
        stream.append(&self.config.chain_id);
        stream.append(&(transactions.len() as u64));
        for hash in &transactions {
            stream.append(&hash.as_slice());
        }
        let hash = keccak256(stream.out());
        self.blocks.push(Block { number, hash, parent_hash, timestamp, gas_used, transactions });
        hash
    }

    /// Kaia's intrinsic gas of a transaction (fee-delegation extra included).
    pub fn intrinsic_gas(&self, tx: &Transaction) -> u64 {
        gas::intrinsic(tx)
    }

    fn effective_price(&self, tx: &Transaction) -> U256 {
        match tx {
            // No base fee market here: an EIP-1559 transaction pays the chain's price,
            // capped by its max fee.
            Transaction::Eip1559(t) => {
                t.max_fee_per_gas.min(self.config.gas_price.max(t.max_priority_fee_per_gas))
            }
            other => other.max_gas_price(),
        }
    }

    /// Splits a fee into (sender's part, fee payer's part).
    fn split_fee(fee: U256, fee_payer: Option<(Address, u8)>) -> (U256, U256) {
        match fee_payer {
            None => (fee, U256::ZERO),
            Some((_, ratio)) => {
                let payer = fee * U256::from(ratio) / U256::from(100);
                (fee - payer, payer)
            }
        }
    }

    fn add_balance(&mut self, address: Address, delta: U256, add: bool) {
        let mut info = self.account(address);
        info.balance = if add { info.balance + delta } else { info.balance.saturating_sub(delta) };
        self.db.insert_account_info(address, info);
    }

    /// Executes an admitted transaction against the latest state.
    fn execute(&mut self, p: Pending, number: u64, timestamp: u64) -> Mined {
        let price = self.effective_price(&p.tx);
        let intrinsic = self.intrinsic_gas(&p.tx) + p.validation_gas;
        let max_fee = U256::from(p.tx.gas()) * price;
        // Reserve the whole fee from the payers now; refund the unused part at the end.
        let (sender_max, payer_max) = Self::split_fee(max_fee, p.fee_payer);
        self.add_balance(p.from, sender_max, false);
        if let Some((payer, _)) = p.fee_payer {
            self.add_balance(payer, payer_max, false);
        }
        let mut mined = Mined {
            raw: p.raw.clone(),
            tx: p.tx.clone(),
            hash: p.hash,
            from: p.from,
            block_number: number,
            block_hash: B256::ZERO,
            index: 0,
            status: true,
            gas_used: intrinsic,
            cumulative_gas_used: 0,
            effective_gas_price: price,
            contract_address: None,
            logs: Vec::new(),
            revert_data: Bytes::new(),
        };
        let native = match &p.tx {
            Transaction::Kaia(k) => match &k.kind {
                KaiaKind::ValueTransfer { to, value } | KaiaKind::ValueTransferMemo { to, value, .. } => {
                    self.add_balance(p.from, *value, false);
                    self.add_balance(*to, *value, true);
                    true
                }
                KaiaKind::Cancel => true,
                KaiaKind::AccountUpdate { key } => {
                    // Checked when admitted and again before this block: a valid update.
                    match self.account_key(p.from).updated(key) {
                        AccountKey::Legacy => self.keys.remove(&p.from),
                        updated => self.keys.insert(p.from, updated),
                    };
                    true
                }
                _ => false,
            },
            _ => false,
        };
        if native {
            let mut info = self.account(p.from);
            info.nonce += 1;
            self.db.insert_account_info(p.from, info);
        } else {
            let extra = intrinsic - self.evm_intrinsic(&p.tx);
            self.run_evm(&p, number, timestamp, extra, &mut mined);
        }
        let charged = U256::from(mined.gas_used) * price;
        let (sender_fee, payer_fee) = Self::split_fee(charged, p.fee_payer);
        self.add_balance(p.from, sender_max - sender_fee, true);
        if let Some((payer, _)) = p.fee_payer {
            self.add_balance(payer, payer_max - payer_fee, true);
        }
        mined
    }

    /// The part of the intrinsic gas revm itself charges (base + data).
    fn evm_intrinsic(&self, tx: &Transaction) -> u64 {
        let base = if tx.is_deploy() { gas::CONTRACT_CREATION } else { gas::TX };
        (base + gas::data(tx.input())).min(self.intrinsic_gas(tx))
    }

    fn block_env(&self, number: u64, timestamp: u64) -> BlockEnv {
        BlockEnv {
            number: U256::from(number),
            timestamp: U256::from(timestamp),
            gas_limit: self.config.block_gas_limit,
            basefee: 0,
            ..Default::default()
        }
    }

    fn cfg(&self) -> CfgEnv {
        let mut cfg = CfgEnv::new_with_spec(SpecId::CANCUN);
        cfg.chain_id = self.config.chain_id;
        cfg.disable_fee_charge = true;
        cfg.disable_base_fee = true;
        cfg.disable_priority_fee_check = true;
        cfg.tx_gas_limit_cap = Some(u64::MAX);
        cfg
    }

    fn run_evm(&mut self, p: &Pending, number: u64, timestamp: u64, extra_gas: u64, mined: &mut Mined) {
        let access_list = match &p.tx {
            Transaction::Eip2930(t) => t.access_list.clone(),
            Transaction::Eip1559(t) => t.access_list.clone(),
            _ => Vec::new(),
        };
        let env = TxEnv {
            tx_type: 0,
            caller: p.from,
            gas_limit: p.tx.gas() - extra_gas,
            gas_price: 0,
            kind: if p.tx.is_deploy() { TxKind::Create } else { TxKind::Call(p.tx.to().unwrap_or_default()) },
            value: p.tx.value(),
            data: Bytes::copy_from_slice(p.tx.input()),
            nonce: self.account(p.from).nonce,
            chain_id: Some(self.config.chain_id),
            access_list: revm::context::transaction::AccessList(
                access_list
                    .into_iter()
                    .map(|item| revm::context::transaction::AccessListItem {
                        address: item.address,
                        storage_keys: item.storage_keys,
                    })
                    .collect(),
            ),
            ..Default::default()
        };
        let block = self.block_env(number, timestamp);
        let cfg = self.cfg();
        let outcome = {
            let mut evm = Context::mainnet()
                .with_db(WrapDatabaseRef(&self.db))
                .with_block(block)
                .with_cfg(cfg)
                .build_mainnet();
            evm.transact(env)
        };
        match outcome {
            Ok(result_and_state) => {
                self.db.commit(result_and_state.state);
                fill_from_result(result_and_state.result, extra_gas, mined);
            }
            Err(error) => {
                // Validation passed above, so this is a revm-level refusal: the nonce is still
                // consumed and the intrinsic gas charged, as a failed transaction.
                mined.status = false;
                mined.revert_data = Bytes::from(error.to_string().into_bytes());
                let mut info = self.account(p.from);
                info.nonce += 1;
                self.db.insert_account_info(p.from, info);
            }
        }
    }

    /// Runs a call against the latest state without changing it: (success, output or revert
    /// data, gas used).
    pub fn call(
        &self,
        from: Address,
        to: Option<Address>,
        value: U256,
        data: Bytes,
        gas: Option<u64>,
    ) -> (bool, Bytes, u64) {
        let env = TxEnv {
            tx_type: 0,
            caller: from,
            gas_limit: gas.unwrap_or(self.config.block_gas_limit),
            gas_price: 0,
            kind: to.map_or(TxKind::Create, TxKind::Call),
            value,
            data,
            nonce: self.account(from).nonce,
            chain_id: Some(self.config.chain_id),
            ..Default::default()
        };
        let head = self.head();
        let mut cfg = self.cfg();
        cfg.disable_balance_check = true;
        cfg.disable_nonce_check = true;
        let mut evm = Context::mainnet()
            .with_db(WrapDatabaseRef(&self.db))
            .with_block(self.block_env(head.number + 1, head.timestamp))
            .with_cfg(cfg)
            .build_mainnet();
        match evm.transact(env) {
            Ok(outcome) => match outcome.result {
                ExecutionResult::Success { gas, output, .. } => (true, output.into_data(), gas.tx_gas_used()),
                ExecutionResult::Revert { gas, output, .. } => (false, output, gas.tx_gas_used()),
                ExecutionResult::Halt { gas, reason, .. } => {
                    (false, Bytes::from(format!("{reason:?}").into_bytes()), gas.tx_gas_used())
                }
            },
            Err(error) => (false, Bytes::from(error.to_string().into_bytes()), 0),
        }
    }
}

fn fill_from_result(result: ExecutionResult, extra_gas: u64, mined: &mut Mined) {
    let convert = |logs: Vec<revm::primitives::Log>| {
        logs.into_iter()
            .map(|log| LogEntry {
                address: log.address,
                topics: log.data.topics().to_vec(),
                data: log.data.data.clone(),
                log_index: 0,
            })
            .collect::<Vec<_>>()
    };
    match result {
        ExecutionResult::Success { gas, logs, output, .. } => {
            mined.gas_used = gas.tx_gas_used() + extra_gas;
            mined.logs = convert(logs);
            if let Output::Create(_, address) = output {
                mined.contract_address = address;
            }
        }
        ExecutionResult::Revert { gas, output, .. } => {
            mined.status = false;
            mined.gas_used = gas.tx_gas_used() + extra_gas;
            mined.revert_data = output;
        }
        ExecutionResult::Halt { gas, reason, .. } => {
            mined.status = false;
            mined.gas_used = gas.tx_gas_used() + extra_gas;
            mined.revert_data = Bytes::from(format!("{reason:?}").into_bytes());
        }
    }
}
