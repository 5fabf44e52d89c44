//! Reading the market's state through `eth_call`: offers, trades, credit and balances, as
//! typed values and as `status` records.

use alloy_primitives::{Address, I256, U256};
use alloy_sol_types::SolCall;
use serde_json::{Value, json};

use super::TradeError;
use crate::market::EnergyMarket;
use crate::market::v2::EnergyMarketV2;
use crate::rpc::RpcClient;
use crate::units::{format_amount, format_price_per_wh};
use crate::wire::StatusRecord;

/// An offer as the contract holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferState {
    /// The seller.
    pub seller: Address,
    /// Energy offered, Wh.
    pub energy_wh: U256,
    /// Price per Wh, peb.
    pub price_per_wh: U256,
    /// The last block it can be bought at.
    pub expiry_block: U256,
    /// 1 open, 2 bought, 3 cancelled (4 expired: version 2's view of an open offer past its
    /// expiry).
    pub status: u8,
}

impl OfferState {
    /// The escrow a buyer sends: energy × price.
    pub fn escrow(&self) -> U256 {
        self.energy_wh.saturating_mul(self.price_per_wh)
    }

    /// `open`, `bought`, `cancelled`, `expired` (or `none`).
    pub fn status_name(&self) -> &'static str {
        match self.status {
            1 => "open",
            2 => "bought",
            3 => "cancelled",
            4 => "expired",
            _ => "none",
        }
    }

    /// The `fields` of its `status` record (`evlock-trade status offer ID`).
    pub fn status_fields(&self) -> Value {
        json!({
            "seller": self.seller.to_checksum(None), "energy_wh": self.energy_wh.to_string(),
            "price_per_wh": self.price_per_wh.to_string(), "price": format_price_per_wh(self.price_per_wh),
            "escrow": amount_fields(self.escrow()), "expiry_block": self.expiry_block.to_string(),
            "state": self.status_name(),
        })
    }
}

/// An amount as `status` records show it: `{"peb": "…", "human": "2 ston"}`.
pub fn amount_fields(peb: U256) -> Value {
    json!({"peb": peb.to_string(), "human": format_amount(peb)})
}

/// The `fields` of an account's `credit` status record.
pub fn credit_fields(credit: I256) -> Value {
    json!({"credit": credit.to_string()})
}

/// A trade as the contract holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeState {
    /// The seller.
    pub seller: Address,
    /// The buyer.
    pub buyer: Address,
    /// The offer it came from.
    pub offer_id: U256,
    /// Energy bought, Wh.
    pub energy_wh: U256,
    /// Price per Wh, peb.
    pub price_per_wh: U256,
    /// The block after which it can be settled incomplete.
    pub deadline: U256,
    /// The seller's meter's cumulative report, Wh.
    pub seller_wh: U256,
    /// The buyer's meter's cumulative report, Wh.
    pub buyer_wh: U256,
    /// 1 delivering, 2 settled.
    pub status: u8,
}

impl TradeState {
    /// `delivering`, `settled` (or `none`).
    pub fn status_name(&self) -> &'static str {
        match self.status {
            1 => "delivering",
            2 => "settled",
            _ => "none",
        }
    }

    /// The escrow the buyer sent: energy × price.
    pub fn escrow(&self) -> U256 {
        self.energy_wh.saturating_mul(self.price_per_wh)
    }

    /// The Wh both meters agree on: the smaller report.
    pub fn delivered_wh(&self) -> U256 {
        self.seller_wh.min(self.buyer_wh)
    }

    /// The `fields` of its `status` record (`evlock-trade status trade ID`).
    pub fn status_fields(&self) -> Value {
        json!({
            "offer_id": self.offer_id.to_string(), "seller": self.seller.to_checksum(None),
            "buyer": self.buyer.to_checksum(None), "energy_wh": self.energy_wh.to_string(),
            "price_per_wh": self.price_per_wh.to_string(), "price": format_price_per_wh(self.price_per_wh),
            "escrow": amount_fields(self.escrow()), "deadline_block": self.deadline.to_string(),
            "seller_report_wh": self.seller_wh.to_string(), "buyer_report_wh": self.buyer_wh.to_string(),
            "delivered_wh": self.delivered_wh().to_string(),
            "state": self.status_name(),
        })
    }
}

fn view<C: SolCall>(client: &RpcClient, market: Address, call: C) -> Result<C::Return, TradeError> {
    let request =
        json!({"to": market.to_checksum(None), "data": format!("0x{}", hex::encode(call.abi_encode()))});
    let output = client.eth_call(&request, "latest")?;
    C::abi_decode_returns(&output).map_err(|e| TradeError::BadAnswer {
        contract: market.to_checksum(None),
        function: C::SIGNATURE,
        reason: if output.is_empty() { "empty answer (no contract there?)".into() } else { e.to_string() },
    })
}

/// Which EnergyMarket contract a market is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MarketVersion {
    /// `contracts/EnergyMarket.sol`: reports only.
    V1,
    /// `contracts/EnergyMarketV2.sol`: signed delivery receipts, meters with consent.
    V2,
}

impl MarketVersion {
    /// 1 or 2.
    pub fn number(self) -> u8 {
        match self {
            MarketVersion::V1 => 1,
            MarketVersion::V2 => 2,
        }
    }
}

/// Checks that an EnergyMarket is at `market`, before anything is built for it, and tells its
/// version: a contract is there and its `deliveryBlocks()` view answers a non-zero window;
/// version 2 also answers `graceBlocks()`. Anything else is [`TradeError::NotAMarket`]
/// (exit 2), naming the address; a node that cannot be reached stays a network error.
pub fn check_market(client: &RpcClient, market: Address) -> Result<MarketVersion, TradeError> {
    let not_a_market = |reason: String| TradeError::NotAMarket { contract: market.to_checksum(None), reason };
    match view(client, market, EnergyMarket::deliveryBlocksCall {}) {
        Ok(window) if window > alloy_primitives::aliases::U40::ZERO => {}
        Ok(_) => return Err(not_a_market("its deliveryBlocks() is 0".into())),
        Err(TradeError::BadAnswer { reason, .. }) => return Err(not_a_market(reason)),
        Err(TradeError::Rpc(error)) if error.node_error().is_some() => {
            let message = &error.node_error().expect("checked").message;
            return Err(not_a_market(format!("deliveryBlocks() failed: {message}")));
        }
        Err(other) => return Err(other),
    }
    // Version 1 has no graceBlocks(): the call reverts (or answers nothing).
    match view(client, market, EnergyMarketV2::graceBlocksCall {}) {
        Ok(_) => Ok(MarketVersion::V2),
        Err(TradeError::BadAnswer { .. }) => Ok(MarketVersion::V1),
        Err(TradeError::Rpc(error)) if error.node_error().is_some() => Ok(MarketVersion::V1),
        Err(other) => Err(other),
    }
}

/// A version 2 meter as the contract holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterState {
    /// The owner it is bound (or proposed) to; zero when unknown.
    pub owner: Address,
    /// 0 none, 1 proposed, 2 active, 3 revoked.
    pub status: u8,
    /// The address its receipts are signed by.
    pub signer: Address,
    /// For a revoked meter, the last trade id it may serve.
    pub last_trade: U256,
}

impl MeterState {
    /// `none`, `proposed`, `active`, `revoked`.
    pub fn status_name(&self) -> &'static str {
        match self.status {
            1 => "proposed",
            2 => "active",
            3 => "revoked",
            _ => "none",
        }
    }

    /// Whether the meter may serve trade `trade_id`: active, or revoked after that trade
    /// opened.
    pub fn serves(&self, trade_id: U256) -> bool {
        self.status == 2 || (self.status == 3 && trade_id <= self.last_trade)
    }
}

/// A version 2 market's grace window, in blocks.
pub fn grace_blocks(client: &RpcClient, market: Address) -> Result<u64, TradeError> {
    Ok(view(client, market, EnergyMarketV2::graceBlocksCall {})?.saturating_to::<u64>())
}

/// Reads a version 2 market's meter.
pub fn read_meter(client: &RpcClient, market: Address, meter: Address) -> Result<MeterState, TradeError> {
    let r = view(client, market, EnergyMarketV2::metersCall { meter })?;
    Ok(MeterState { owner: r.owner, status: r.status, signer: r.signer, last_trade: r.lastTrade })
}

/// Reads offer `id`; an id the contract never issued is [`TradeError::NotFound`].
pub fn read_offer(client: &RpcClient, market: Address, id: U256) -> Result<OfferState, TradeError> {
    let r = view(client, market, EnergyMarket::offersCall { offerId: id })?;
    if r.seller == Address::ZERO {
        return Err(TradeError::NotFound {
            what: "offer",
            id: id.to_string(),
            contract: market.to_checksum(None),
        });
    }
    Ok(OfferState {
        seller: r.seller,
        energy_wh: r.energyWh,
        price_per_wh: r.pricePerWh,
        expiry_block: r.expiryBlock,
        status: r.status,
    })
}

/// Reads trade `id`; an id the contract never issued is [`TradeError::NotFound`].
pub fn read_trade(client: &RpcClient, market: Address, id: U256) -> Result<TradeState, TradeError> {
    let r = view(client, market, EnergyMarket::tradesCall { tradeId: id })?;
    if r.seller == Address::ZERO {
        return Err(TradeError::NotFound {
            what: "trade",
            id: id.to_string(),
            contract: market.to_checksum(None),
        });
    }
    Ok(TradeState {
        seller: r.seller,
        buyer: r.buyer,
        offer_id: r.offerId,
        energy_wh: r.energyWh,
        price_per_wh: r.pricePerWh,
        deadline: r.deadline,
        seller_wh: r.sellerWh,
        buyer_wh: r.buyerWh,
        status: r.status,
    })
}

/// The owner a meter is registered to (zero when it is not registered).
pub fn meter_owner(client: &RpcClient, market: Address, meter: Address) -> Result<Address, TradeError> {
    view(client, market, EnergyMarket::meterOwnerCall(meter))
}

/// What `evlock-trade status` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// An offer by id.
    Offer(U256),
    /// A trade by id.
    Trade(U256),
    /// An account's trading credit.
    Credit(Address),
    /// What an account can withdraw from the market (and its native balance).
    Balance(Address),
    /// A meter: its owner (and on version 2 its state, signing address and last trade).
    Meter(Address),
}

/// Reads an account's trading credit.
pub fn read_credit(client: &RpcClient, market: Address, account: Address) -> Result<I256, TradeError> {
    view(client, market, EnergyMarket::creditCall(account))
}

/// Reads what `query` names and renders it as a `status` record.
pub fn status_record(client: &RpcClient, market: Address, query: &Query) -> Result<StatusRecord, TradeError> {
    let block = client.block_number()?;
    let (what, id, fields): (&str, String, Value) = match query {
        Query::Offer(id) => ("offer", id.to_string(), read_offer(client, market, *id)?.status_fields()),
        Query::Trade(id) => ("trade", id.to_string(), read_trade(client, market, *id)?.status_fields()),
        Query::Credit(account) => {
            let credit: I256 = view(client, market, EnergyMarket::creditCall(*account))?;
            ("credit", account.to_checksum(None), credit_fields(credit))
        }
        Query::Balance(account) => {
            let owed: U256 = view(client, market, EnergyMarket::balanceOfCall(*account))?;
            let native = client.get_balance(*account, "latest")?;
            (
                "balance",
                account.to_checksum(None),
                json!({"withdrawable": amount_fields(owed), "account": amount_fields(native)}),
            )
        }
        Query::Meter(meter) => {
            let fields = match check_market(client, market)? {
                MarketVersion::V1 => {
                    let owner = meter_owner(client, market, *meter)?;
                    let state = if owner == Address::ZERO { "none" } else { "active" };
                    json!({"owner": owner.to_checksum(None), "state": state, "version": "1"})
                }
                MarketVersion::V2 => {
                    let m = read_meter(client, market, *meter)?;
                    json!({"owner": m.owner.to_checksum(None), "state": m.status_name(),
                           "signer": m.signer.to_checksum(None), "last_trade": m.last_trade.to_string(),
                           "version": "2"})
                }
            };
            ("meter", meter.to_checksum(None), fields)
        }
    };
    Ok(StatusRecord {
        what: what.into(),
        id,
        contract: market.to_checksum(None),
        block: block.to_string(),
        fields,
        meta: None,
    })
}
