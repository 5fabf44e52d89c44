//! Building `tx` records for market actions: the transaction type (Kaia's smart-contract
//! types, fee-delegated when an operator pays the gas, or legacy / EIP-1559 for any EVM
//! chain), and nonce, gas, gas price and chain id from flags or the node.

use alloy_primitives::{Address, U256};
use serde_json::{Map, Value, json};

use super::TradeError;
use crate::kaia::{FeeMode, fields, gas};
#[cfg(test)]
use crate::market::Action;
use crate::market::MarketCall;
use crate::rpc::{NonceTracker, RpcClient, RpcError};
use crate::wire::TxRecord;

/// Which family of transaction types the market's calls use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TxFamily {
    /// Kaia's `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee
    /// payer): Kaia and evlock-devnet only.
    #[default]
    Kaia,
    /// Legacy (EIP-155) transactions: any EVM chain.
    Legacy,
    /// EIP-1559 transactions: any EVM chain with a base fee (and Kaia).
    Eip1559,
}

impl TxFamily {
    /// The wire name (`kaia`, `legacy`, `eip1559`).
    pub fn as_str(self) -> &'static str {
        match self {
            TxFamily::Kaia => "kaia",
            TxFamily::Legacy => "legacy",
            TxFamily::Eip1559 => "eip1559",
        }
    }
}

/// Transaction parameters given on the command line; what is `None` is asked of the node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainParams {
    /// The transaction types (`--tx-type`).
    pub tx_type: TxFamily,
    /// The chain id (`--chain-id`).
    pub chain_id: Option<u64>,
    /// The first nonce (`--nonce`); later transactions of a stream count up from it.
    pub nonce: Option<u64>,
    /// The gas price in peb (`--gas-price`); with EIP-1559 the max fee per gas.
    pub gas_price: Option<U256>,
    /// EIP-1559's max priority fee per gas in peb (`--priority-fee`).
    pub priority_fee: Option<U256>,
    /// The gas limit of every transaction (`--gas`); otherwise estimated with a margin.
    pub gas: Option<u64>,
    /// The sender (`--from`): needed to ask the node for its nonce.
    pub from: Option<Address>,
    /// The account that pays the gas (`--fee-payer`): makes the transaction fee-delegated.
    pub fee_payer: Option<Address>,
    /// The share of the fee the fee payer pays, 1–99 % (`--fee-ratio`).
    pub fee_ratio: Option<u8>,
}

/// A gas limit for a market function when the node cannot estimate it (offline, or the
/// call would revert now): about 1.5× what the function uses on the devnet.
pub fn fallback_gas(action: &dyn MarketCall) -> u64 {
    action.fallback_gas()
}

/// Makes `tx` records, filling what the flags left out from the node and counting nonces
/// up across a stream.
pub struct TxBuilder<'a> {
    client: Option<&'a RpcClient>,
    params: ChainParams,
    nonces: NonceTracker,
    next_offline_nonce: Option<u64>,
}

impl<'a> TxBuilder<'a> {
    /// A builder that asks `client` (when given) for whatever `params` leaves out.
    pub fn new(client: Option<&'a RpcClient>, params: ChainParams) -> Self {
        let next_offline_nonce = params.nonce;
        TxBuilder { client, params, nonces: NonceTracker::new(), next_offline_nonce }
    }

    /// The sender, if known.
    pub fn from(&self) -> Option<Address> {
        self.params.from
    }

    /// The node, if there is one.
    pub fn client(&self) -> Option<&'a RpcClient> {
        self.client
    }

    fn chain_id(&mut self) -> Result<u64, TradeError> {
        if let Some(id) = self.params.chain_id {
            return Ok(id);
        }
        let client = self.client.ok_or(TradeError::Missing { what: "chain id", flag: "--chain-id" })?;
        let id = client.chain_id()?;
        self.params.chain_id = Some(id);
        Ok(id)
    }

    fn gas_price(&mut self) -> Result<U256, TradeError> {
        if let Some(price) = self.params.gas_price {
            return Ok(price);
        }
        let client = self.client.ok_or(TradeError::Missing { what: "gas price", flag: "--gas-price" })?;
        let price = client.gas_price()?;
        // An EIP-1559 max fee with room for the base fee to double, as wallets set it.
        let price = match self.params.tx_type {
            TxFamily::Eip1559 => price.saturating_mul(U256::from(2)),
            _ => price,
        };
        self.params.gas_price = Some(price);
        Ok(price)
    }

    fn priority_fee(&mut self, max_fee: U256) -> Result<U256, TradeError> {
        if let Some(fee) = self.params.priority_fee {
            return Ok(fee.min(max_fee));
        }
        let client =
            self.client.ok_or(TradeError::Missing { what: "priority fee", flag: "--priority-fee" })?;
        let fee = client.max_priority_fee_per_gas()?.min(max_fee);
        self.params.priority_fee = Some(fee);
        Ok(fee)
    }

    fn nonce(&mut self) -> Result<u64, TradeError> {
        if let Some(nonce) = self.next_offline_nonce {
            self.next_offline_nonce = Some(nonce + 1);
            return Ok(nonce);
        }
        let client = self.client.ok_or(TradeError::Missing { what: "nonce", flag: "--nonce" })?;
        let from = self
            .params
            .from
            .ok_or(TradeError::Missing { what: "sender to ask the nonce of", flag: "--from (or --nonce)" })?;
        Ok(self.nonces.next(client, from)?)
    }

    fn gas(&mut self, to: Option<Address>, action: &dyn MarketCall, input: &[u8]) -> Result<u64, TradeError> {
        let execution = match (self.params.gas, self.client) {
            (Some(gas), _) => return Ok(gas),
            (None, None) => fallback_gas(action),
            (None, Some(client)) => {
                let mut call = Map::new();
                if let Some(from) = self.params.from {
                    call.insert("from".into(), json!(from.to_checksum(None)));
                }
                if let Some(to) = to {
                    call.insert("to".into(), json!(to.to_checksum(None)));
                }
                call.insert("data".into(), json!(format!("0x{}", hex::encode(input))));
                call.insert("value".into(), json!(format!("{:#x}", action.value())));
                match client.estimate_gas(&Value::Object(call)) {
                    // A quarter more than the estimate: state may change before it is mined.
                    Ok(estimate) => estimate.saturating_add(estimate.div_ceil(4)),
                    Err(RpcError::Node { error, .. }) => {
                        log::warn!(
                            "{} would fail now ({}); using {} gas and letting the chain decide",
                            action.function(),
                            error.message,
                            fallback_gas(action)
                        );
                        fallback_gas(action)
                    }
                    Err(other) => return Err(other.into()),
                }
            }
        };
        let delegation = gas::fee_delegation(match (self.params.fee_payer, self.params.fee_ratio) {
            (None, _) => FeeMode::Sender,
            (Some(_), None) => FeeMode::FeeDelegated,
            (Some(_), Some(_)) => FeeMode::FeeDelegatedWithRatio,
        });
        Ok(execution + delegation)
    }

    /// The `tx` record for `action` on the market at `contract` (`None` for a deployment),
    /// with `meta` carried through.
    pub fn build(
        &mut self,
        contract: Option<Address>,
        action: &dyn MarketCall,
        meta: Option<Value>,
    ) -> Result<TxRecord, TradeError> {
        let deploy = action.is_deploy();
        let to = if deploy { None } else { contract };
        if !deploy && to.is_none() {
            return Err(TradeError::Missing { what: "market contract", flag: "--contract" });
        }
        let family = self.params.tx_type;
        if family != TxFamily::Kaia && self.params.fee_payer.is_some() {
            return Err(TradeError::FeeDelegationNeedsKaia { tx_type: family.as_str() });
        }
        let input = action.call_data();
        let chain_id = self.chain_id()?;
        let gas_price = self.gas_price()?;
        let gas = self.gas(to, action, &input)?;
        let nonce = self.nonce()?;

        let base = if deploy { "smart_contract_deploy" } else { "smart_contract_execution" };
        let kind = match (family, self.params.fee_payer, self.params.fee_ratio) {
            (TxFamily::Legacy, ..) => "legacy".to_string(),
            (TxFamily::Eip1559, ..) => "eip1559".to_string(),
            (TxFamily::Kaia, None, _) => base.to_string(),
            (TxFamily::Kaia, Some(_), None) => format!("fee_delegated_{base}"),
            (TxFamily::Kaia, Some(_), Some(_)) => format!("fee_delegated_{base}_with_ratio"),
        };
        let mut tx = Map::new();
        tx.insert(fields::TYPE.name.into(), json!(kind));
        tx.insert(fields::CHAIN_ID.name.into(), json!(chain_id.to_string()));
        tx.insert(fields::NONCE.name.into(), json!(nonce.to_string()));
        tx.insert(fields::GAS.name.into(), json!(gas.to_string()));
        if family == TxFamily::Eip1559 {
            let priority = self.priority_fee(gas_price)?;
            tx.insert(fields::MAX_FEE_PER_GAS.name.into(), json!(gas_price.to_string()));
            tx.insert(fields::MAX_PRIORITY_FEE_PER_GAS.name.into(), json!(priority.to_string()));
        } else {
            tx.insert(fields::GAS_PRICE.name.into(), json!(gas_price.to_string()));
        }
        if let Some(from) = self.params.from {
            tx.insert(fields::FROM.name.into(), json!(from.to_checksum(None)));
        }
        if let Some(to) = to {
            tx.insert(fields::TO.name.into(), json!(to.to_checksum(None)));
        }
        tx.insert(fields::VALUE.name.into(), json!(action.value().to_string()));
        tx.insert(fields::INPUT.name.into(), json!(format!("0x{}", hex::encode(&input))));
        if deploy && family == TxFamily::Kaia {
            tx.insert(fields::HUMAN_READABLE.name.into(), json!(false));
            tx.insert(fields::CODE_FORMAT.name.into(), json!(0));
        }
        if let Some(payer) = self.params.fee_payer {
            tx.insert(fields::FEE_PAYER.name.into(), json!(payer.to_checksum(None)));
            if let Some(ratio) = self.params.fee_ratio {
                tx.insert(fields::FEE_RATIO.name.into(), json!(ratio));
            }
        }
        let mut market = Map::new();
        market.insert("action".into(), json!(action.function()));
        market.extend(action.describe());
        // The input's meta stays the caller's; the market's own description goes beside it.
        let mut meta = match meta {
            Some(Value::Object(map)) => map,
            Some(other) => Map::from_iter([("input".to_string(), other)]),
            None => Map::new(),
        };
        meta.insert("market".into(), Value::Object(market));
        tx.insert("meta".into(), Value::Object(meta));
        Ok(TxRecord { fields: tx })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offline() -> ChainParams {
        ChainParams {
            chain_id: Some(1001),
            nonce: Some(9),
            gas_price: Some(U256::from(25_000_000_000u64)),
            from: Some("0x70997970C51812dc3A010C7d01b50e0d17dc79C8".parse().unwrap()),
            ..ChainParams::default()
        }
    }

    #[test]
    fn offline_records_count_nonces_and_use_fallback_gas() {
        let market: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3".parse().unwrap();
        let mut builder = TxBuilder::new(None, offline());
        let report = Action::Report { trade_id: U256::from(3), cumulative_wh: U256::from(120) };
        let first = builder.build(Some(market), &report, Some(json!({"order": 1}))).unwrap();
        let second = builder.build(Some(market), &Action::Settle { trade_id: U256::from(3) }, None).unwrap();
        assert_eq!(first["nonce"], "9");
        assert_eq!(second["nonce"], "10");
        assert_eq!(first["gas"], fallback_gas(&report).to_string());
        assert_eq!(first["chain_id"], "1001");
        assert_eq!(first["to"], "0x5FbDB2315678afecb367f032d93F642f64180aa3");
        assert_eq!(first["meta"]["order"], 1);
        assert_eq!(first["meta"]["market"]["cumulative_wh"], "120");
        assert_eq!(first["input"], format!("0x{}", hex::encode(report.call_data())));
        // The record is a transaction evlock-sign accepts.
        crate::kaia::Transaction::from_json_value(&Value::Object(first.fields.clone())).unwrap();
    }

    #[test]
    fn fee_payer_makes_it_fee_delegated_with_its_extra_gas() {
        let market: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3".parse().unwrap();
        let payer: Address = "0xa94f5374Fce5edBC8E2a8697C15331677e6EbF0B".parse().unwrap();
        let params = ChainParams { gas: None, fee_payer: Some(payer), ..offline() };
        let mut builder = TxBuilder::new(None, params.clone());
        let tx = builder.build(Some(market), &Action::Withdraw, None).unwrap();
        assert_eq!(tx["type"], "fee_delegated_smart_contract_execution");
        assert_eq!(tx["gas"], (fallback_gas(&Action::Withdraw) + gas::FEE_DELEGATED).to_string());
        crate::kaia::Transaction::from_json_value(&Value::Object(tx.fields.clone())).unwrap();
        let mut builder = TxBuilder::new(None, ChainParams { fee_ratio: Some(30), ..params });
        let tx = builder.build(None, &Action::Deploy { delivery_blocks: 100 }, None).unwrap();
        assert_eq!(tx["type"], "fee_delegated_smart_contract_deploy_with_ratio");
        assert_eq!(tx["fee_ratio"], 30);
        assert!(tx.fields.get("to").is_none());
        crate::kaia::Transaction::from_json_value(&Value::Object(tx.fields.clone())).unwrap();
    }

    #[test]
    fn ethereum_types_for_any_evm_chain() {
        let market: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3".parse().unwrap();
        let params =
            ChainParams { tx_type: TxFamily::Eip1559, priority_fee: Some(U256::from(7)), ..offline() };
        let mut builder = TxBuilder::new(None, params.clone());
        let tx = builder.build(Some(market), &Action::Withdraw, None).unwrap();
        assert_eq!(tx["type"], "eip1559");
        assert_eq!(tx["max_fee_per_gas"], "25000000000", "--gas-price is the max fee");
        assert_eq!(tx["max_priority_fee_per_gas"], "7");
        assert!(tx.fields.get("gas_price").is_none());
        assert_eq!(tx["gas"], fallback_gas(&Action::Withdraw).to_string(), "no fee-delegation gas");
        crate::kaia::Transaction::from_json_value(&Value::Object(tx.fields.clone())).unwrap();
        let tx = builder.build(None, &Action::Deploy { delivery_blocks: 5 }, None).unwrap();
        assert!(tx.fields.get("to").is_none() && tx.fields.get("human_readable").is_none());
        let deploy = crate::kaia::Transaction::from_json_value(&Value::Object(tx.fields.clone())).unwrap();
        assert!(deploy.is_deploy());

        let mut builder = TxBuilder::new(None, ChainParams { tx_type: TxFamily::Legacy, ..offline() });
        let tx = builder.build(Some(market), &Action::Withdraw, None).unwrap();
        assert_eq!(tx["type"], "legacy");
        assert_eq!(tx["gas_price"], "25000000000");
        crate::kaia::Transaction::from_json_value(&Value::Object(tx.fields.clone())).unwrap();

        // Fee delegation is Kaia's; an EIP-1559 record offline needs its priority fee.
        let payer = Some("0xa94f5374Fce5edBC8E2a8697C15331677e6EbF0B".parse().unwrap());
        let mut builder = TxBuilder::new(None, ChainParams { fee_payer: payer, ..params.clone() });
        let err = builder.build(Some(market), &Action::Withdraw, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--fee-payer needs --tx-type kaia (fee delegation is Kaia's; eip1559 has none)"
        );
        let mut builder = TxBuilder::new(None, ChainParams { priority_fee: None, ..params });
        let err = builder.build(Some(market), &Action::Withdraw, None).unwrap_err();
        assert!(err.to_string().contains("--priority-fee"), "{err}");
    }

    #[test]
    fn every_field_written_is_in_the_tx_table() {
        let market: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3".parse().unwrap();
        let payer: Address = "0xa94f5374Fce5edBC8E2a8697C15331677e6EbF0B".parse().unwrap();
        let eip1559 =
            ChainParams { tx_type: TxFamily::Eip1559, priority_fee: Some(U256::from(1)), ..offline() };
        for params in
            [offline(), ChainParams { fee_payer: Some(payer), fee_ratio: Some(30), ..offline() }, eip1559]
        {
            let mut builder = TxBuilder::new(None, params);
            for action in [Action::Deploy { delivery_blocks: 10 }, Action::Withdraw] {
                let contract = (!matches!(action, Action::Deploy { .. })).then_some(market);
                let tx = builder.build(contract, &action, None).unwrap();
                for key in tx.fields.keys().filter(|k| *k != "meta") {
                    let field =
                        crate::kaia::tx_field(key).unwrap_or_else(|| panic!("`{key}` is not a tx field"));
                    assert_eq!(field.name, key, "the builder writes wire names, not aliases");
                }
            }
        }
    }

    #[test]
    fn missing_parameters_name_their_flags() {
        let mut builder = TxBuilder::new(None, ChainParams { chain_id: None, ..offline() });
        let err = builder.build(Some(Address::ZERO), &Action::Withdraw, None).unwrap_err();
        assert_eq!(err.to_string(), "no chain id: give --chain-id or --rpc to ask the node");
        let mut builder = TxBuilder::new(None, ChainParams { nonce: None, ..offline() });
        let err = builder.build(Some(Address::ZERO), &Action::Withdraw, None).unwrap_err();
        assert!(err.to_string().contains("--nonce"), "{err}");
        let mut builder = TxBuilder::new(None, offline());
        let err = builder.build(None, &Action::Withdraw, None).unwrap_err();
        assert!(err.to_string().contains("--contract"), "{err}");
    }
}
