//! EnergyMarket on the in-process chain (revm, no node) for the contract tests: signed
//! transactions from keyed parties, views, empty blocks, and the contract's balance invariant.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use evlock::devnet::{Chain, ChainConfig};
use evlock::kaia::{RecoverableSig, Transaction};
use evlock::market::{Action, EnergyMarket};
use k256::ecdsa::SigningKey;
use serde_json::json;

/// The gas price every transaction pays: Kaia's 25 ston, in peb.
pub const GAS_PRICE: u64 = 25_000_000_000;

/// What each funded account starts with: 10,000 KAIA.
pub fn starting_funds() -> U256 {
    U256::from(10u64).pow(U256::from(22))
}

/// An account that signs its own transactions.
pub struct Party {
    pub key: SigningKey,
    pub address: Address,
    pub nonce: u64,
}

impl Party {
    /// The party whose private key is 32 × `byte` (byte ≠ 0).
    pub fn new(byte: u8) -> Party {
        let key = SigningKey::from_slice(&[byte; 32]).unwrap();
        let address = evlock::kaia::address_of(key.verifying_key());
        Party { key, address, nonce: 0 }
    }
}

/// How a mined transaction went.
#[derive(Debug, Clone)]
pub struct Sent {
    pub ok: bool,
    /// The `Error(string)` reason of a revert.
    pub reason: Option<String>,
    pub gas_used: u64,
    /// What the sender paid for gas (gas used × price).
    pub fee: U256,
    pub block_number: u64,
    pub contract_address: Option<Address>,
}

/// A chain with one EnergyMarket (once deployed).
pub struct Market {
    pub chain: Chain,
    /// The market contract (zero until [`Market::send`] deploys it).
    pub address: Address,
    time: u64,
}

impl Market {
    /// A fresh chain where each of `funded` holds [`starting_funds`].
    pub fn new(funded: &[Address]) -> Market {
        let alloc = funded.iter().map(|a| (*a, starting_funds())).collect();
        Market {
            chain: Chain::new(ChainConfig { alloc, ..Default::default() }, 1),
            address: Address::ZERO,
            time: 1,
        }
    }

    /// Signs and mines (one block) a contract deployment (`to` None) or call from `who`.
    pub fn send_input(&mut self, who: &mut Party, to: Option<Address>, value: U256, input: &[u8]) -> Sent {
        let mut fields = json!({"type": if to.is_none() { "smart_contract_deploy" } else { "smart_contract_execution" },
            "chain_id": "31337", "nonce": who.nonce.to_string(), "gas": "6000000", "gas_price": GAS_PRICE.to_string(),
            "from": who.address.to_checksum(None), "value": value.to_string(),
            "input": format!("0x{}", hex::encode(input))});
        match to {
            Some(to) => fields["to"] = json!(to.to_checksum(None)),
            None => {
                fields["human_readable"] = json!(false);
                fields["code_format"] = json!(0);
            }
        }
        let mut tx = Transaction::from_json_value(&fields).unwrap();
        tx.add_sender_signature(RecoverableSig::sign_prehash(&who.key, &tx.sig_hash()).unwrap()).unwrap();
        self.time += 1;
        let hash = self.chain.submit(&tx.raw().unwrap(), self.time, true).unwrap();
        who.nonce += 1;
        let mined = self.chain.transaction(&hash).unwrap();
        Sent {
            ok: mined.status,
            reason: evlock::rpc::revert_reason(&mined.revert_data),
            gas_used: mined.gas_used,
            fee: U256::from(mined.gas_used) * mined.effective_gas_price,
            block_number: mined.block_number,
            contract_address: mined.contract_address,
        }
    }

    /// Sends a market action from `who`; a deployment becomes the market.
    pub fn send(&mut self, who: &mut Party, action: &Action) -> Sent {
        let to = if matches!(action, Action::Deploy { .. }) { None } else { Some(self.address) };
        let sent = self.send_input(who, to, action.value(), &action.call_data());
        if let Some(created) = sent.contract_address {
            self.address = created;
        }
        sent
    }

    /// Calls a view of the contract at `to` (latest state).
    pub fn view_at<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        let (ok, output, _) =
            self.chain.call(Address::ZERO, Some(to), U256::ZERO, call.abi_encode().into(), None);
        assert!(ok, "view {} reverted", C::SIGNATURE);
        C::abi_decode_returns(&output).unwrap()
    }

    /// Calls a view of the market.
    pub fn view<C: SolCall>(&self, call: C) -> C::Return {
        self.view_at(self.address, call)
    }

    /// (totalEscrow, totalOwed).
    pub fn totals(&self) -> (U256, U256) {
        (self.view(EnergyMarket::totalEscrowCall {}), self.view(EnergyMarket::totalOwedCall {}))
    }

    /// The contract holds exactly the open escrows plus what it owes.
    pub fn assert_invariant(&self) {
        let (escrow, owed) = self.totals();
        assert_eq!(
            self.chain.balance(self.address),
            escrow + owed,
            "balance = open escrows + unwithdrawn credits"
        );
    }

    /// The latest block's number.
    pub fn block_number(&self) -> u64 {
        self.chain.head().number
    }

    /// Mines `n` empty blocks.
    pub fn wait_blocks(&mut self, n: u64) {
        for _ in 0..n {
            self.time += 1;
            self.chain.mine(self.time).expect("an in-memory chain always mines");
        }
    }
}
