//! The EnergyMarket contract from Rust: bindings generated from the committed ABI
//! (`contracts/EnergyMarket.json`, built by the pinned solc), so the tools cannot drift from
//! the contract; the call data of every market action; event decoding. (Revert reasons are
//! decoded by `crate::rpc::revert_reason`, for any contract.) Version 2 of the contract —
//! signed delivery receipts, meter consent and revocation — is [`v2`].
//!
//! ```
//! use evlock::market::Action;
//! use alloy_primitives::U256;
//! let report = Action::Report { trade_id: U256::from(7), cumulative_wh: U256::from(120) };
//! assert_eq!(&report.call_data()[..4], &[0x75, 0x3c, 0x09, 0x85]); // report(uint256,uint256)
//! ```

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolConstructor, SolEvent};
use serde_json::{Map, Value, json};

pub mod v2;

/// What a transaction builder needs of a market action, of either contract version: its
/// function, call data, value, a gas limit for when the node cannot estimate, and the fields
/// that describe it in a `tx` record's `meta.market`.
pub trait MarketCall {
    /// The contract function's name (`deploy` for a deployment).
    fn function(&self) -> &'static str;
    /// The transaction input.
    fn call_data(&self) -> Vec<u8>;
    /// The value sent.
    fn value(&self) -> U256;
    /// Whether it deploys a contract (no `to`).
    fn is_deploy(&self) -> bool;
    /// A gas limit when the node cannot estimate (offline, or the call would revert now):
    /// about 1.5× what the function uses on the devnet.
    fn fallback_gas(&self) -> u64;
    /// The action's fields for `meta.market` (numbers as decimal strings, addresses EIP-55),
    /// without `action` itself.
    fn describe(&self) -> Map<String, Value>;
}

/// A number as a record field: a decimal string.
pub(crate) fn num(value: impl ToString) -> Value {
    Value::String(value.to_string())
}

/// An address as a record field: EIP-55.
pub(crate) fn addr(address: &Address) -> Value {
    Value::String(address.to_checksum(None))
}

impl MarketCall for Action {
    fn function(&self) -> &'static str {
        Action::function(self)
    }
    fn call_data(&self) -> Vec<u8> {
        Action::call_data(self)
    }
    fn value(&self) -> U256 {
        Action::value(self)
    }
    fn is_deploy(&self) -> bool {
        matches!(self, Action::Deploy { .. })
    }
    fn fallback_gas(&self) -> u64 {
        match self {
            Action::Deploy { .. } => 2_400_000,
            Action::RegisterMeter { .. } => 110_000,
            Action::Offer { .. } => 150_000,
            Action::Buy { .. } => 220_000,
            Action::Report { .. } => 80_000,
            Action::Settle { .. } => 210_000,
            Action::Cancel { .. } => 60_000,
            Action::Withdraw => 80_000,
        }
    }
    fn describe(&self) -> Map<String, Value> {
        let fields = match self {
            Action::Deploy { delivery_blocks } => json!({"delivery_blocks": num(delivery_blocks)}),
            Action::RegisterMeter { meter, owner } => json!({"meter": addr(meter), "owner": addr(owner)}),
            Action::Offer { energy_wh, price_per_wh, expiry_block } => json!({
                "energy_wh": num(energy_wh), "price_per_wh": num(price_per_wh), "expiry_block": num(expiry_block)
            }),
            Action::Buy { offer_id, max_price_per_wh, escrow } => json!({
                "offer": num(offer_id), "max_price_per_wh": num(max_price_per_wh), "escrow": num(escrow)
            }),
            Action::Report { trade_id, cumulative_wh } => {
                json!({"trade": num(trade_id), "cumulative_wh": num(cumulative_wh)})
            }
            Action::Settle { trade_id } => json!({"trade": num(trade_id)}),
            Action::Cancel { offer_id } => json!({"offer": num(offer_id)}),
            Action::Withdraw => json!({}),
        };
        object(fields)
    }
}

/// The map of a JSON object built with `json!({...})`.
pub(crate) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[allow(missing_docs)]
mod bindings {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        EnergyMarket,
        "contracts/EnergyMarket.json"
    );
}

pub use bindings::EnergyMarket;

/// One thing a participant asks the market to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Deploy a market whose trades have `delivery_blocks` blocks for delivery.
    Deploy {
        /// The delivery window in blocks.
        delivery_blocks: u64,
    },
    /// Bind a meter to its owner (registrar only).
    RegisterMeter {
        /// The meter's account.
        meter: Address,
        /// The owner's account.
        owner: Address,
    },
    /// Offer energy at a price per Wh until a block.
    Offer {
        /// Energy in Wh.
        energy_wh: U256,
        /// Price per Wh in peb.
        price_per_wh: U256,
        /// The last block at which the offer can be bought.
        expiry_block: U256,
    },
    /// Buy an offer, sending `escrow` (energy × price).
    Buy {
        /// The offer.
        offer_id: U256,
        /// The highest price per Wh the buyer accepts.
        max_price_per_wh: U256,
        /// The value sent: exactly energy × price.
        escrow: U256,
    },
    /// Report the cumulative Wh delivered so far.
    Report {
        /// The trade.
        trade_id: U256,
        /// Cumulative Wh since the trade started.
        cumulative_wh: U256,
    },
    /// Settle a trade.
    Settle {
        /// The trade.
        trade_id: U256,
    },
    /// Cancel an unbought offer.
    Cancel {
        /// The offer.
        offer_id: U256,
    },
    /// Withdraw everything owed to the caller.
    Withdraw,
}

impl Action {
    /// The contract function's name (`deploy` for a deployment).
    pub fn function(&self) -> &'static str {
        match self {
            Action::Deploy { .. } => "deploy",
            Action::RegisterMeter { .. } => "registerMeter",
            Action::Offer { .. } => "offer",
            Action::Buy { .. } => "buy",
            Action::Report { .. } => "report",
            Action::Settle { .. } => "settle",
            Action::Cancel { .. } => "cancel",
            Action::Withdraw => "withdraw",
        }
    }

    /// The transaction input: init code with constructor arguments for a deployment, else
    /// the ABI-encoded call.
    pub fn call_data(&self) -> Vec<u8> {
        use EnergyMarket as M;
        match self {
            Action::Deploy { delivery_blocks } => {
                let mut code = EnergyMarket::BYTECODE.to_vec();
                let window = alloy_primitives::Uint::<40, 1>::from(*delivery_blocks);
                code.extend(M::constructorCall { deliveryBlocks_: window }.abi_encode());
                code
            }
            Action::RegisterMeter { meter, owner } => {
                M::registerMeterCall { meter: *meter, owner: *owner }.abi_encode()
            }
            Action::Offer { energy_wh, price_per_wh, expiry_block } => {
                M::offerCall { energyWh: *energy_wh, pricePerWh: *price_per_wh, expiryBlock: *expiry_block }
                    .abi_encode()
            }
            Action::Buy { offer_id, max_price_per_wh, .. } => {
                M::buyCall { offerId: *offer_id, maxPricePerWh: *max_price_per_wh }.abi_encode()
            }
            Action::Report { trade_id, cumulative_wh } => {
                M::reportCall { tradeId: *trade_id, cumulativeWh: *cumulative_wh }.abi_encode()
            }
            Action::Settle { trade_id } => M::settleCall { tradeId: *trade_id }.abi_encode(),
            Action::Cancel { offer_id } => M::cancelCall { offerId: *offer_id }.abi_encode(),
            Action::Withdraw => M::withdrawCall {}.abi_encode(),
        }
    }

    /// The value the transaction sends (the escrow for a buy, else zero).
    pub fn value(&self) -> U256 {
        match self {
            Action::Buy { escrow, .. } => *escrow,
            _ => U256::ZERO,
        }
    }
}

/// A market event decoded from a log, of either version: its name and fields as JSON
/// (numbers as decimal strings, addresses EIP-55). `None` for logs that are not the market's.
pub fn decode_event(topics: &[B256], data: &[u8]) -> Option<(&'static str, Value)> {
    use EnergyMarket as M;
    let first = topics.first()?;
    let num = |v: U256| Value::String(v.to_string());
    let addr = |a: Address| Value::String(a.to_checksum(None));
    macro_rules! decode {
        ($event:ty) => {
            <$event>::decode_raw_log(topics.iter().copied(), data).ok()?
        };
    }
    let decoded = match *first {
        M::MeterRegistered::SIGNATURE_HASH => {
            let e = decode!(M::MeterRegistered);
            ("MeterRegistered", json!({"meter": addr(e.meter), "owner": addr(e.owner)}))
        }
        M::OfferCreated::SIGNATURE_HASH => {
            let e = decode!(M::OfferCreated);
            (
                "OfferCreated",
                json!({"offer_id": num(e.offerId), "seller": addr(e.seller), "energy_wh": num(e.energyWh),
                       "price_per_wh": num(e.pricePerWh), "expiry_block": num(e.expiryBlock)}),
            )
        }
        M::OfferCancelled::SIGNATURE_HASH => {
            let e = decode!(M::OfferCancelled);
            ("OfferCancelled", json!({"offer_id": num(e.offerId)}))
        }
        M::TradeOpened::SIGNATURE_HASH => {
            let e = decode!(M::TradeOpened);
            (
                "TradeOpened",
                json!({"trade_id": num(e.tradeId), "offer_id": num(e.offerId), "buyer": addr(e.buyer),
                       "escrow": num(e.escrow), "deadline": num(e.deadline)}),
            )
        }
        M::Reported::SIGNATURE_HASH => {
            let e = decode!(M::Reported);
            (
                "Reported",
                json!({"trade_id": num(e.tradeId), "meter": addr(e.meter), "seller_side": e.sellerSide,
                       "cumulative_wh": num(e.cumulativeWh)}),
            )
        }
        M::TradeSettled::SIGNATURE_HASH => {
            let e = decode!(M::TradeSettled);
            (
                "TradeSettled",
                json!({"trade_id": num(e.tradeId), "delivered_wh": num(e.deliveredWh), "seller_paid": num(e.sellerPaid),
                       "buyer_refund": num(e.buyerRefund), "complete": e.complete}),
            )
        }
        M::CreditChanged::SIGNATURE_HASH => {
            let e = decode!(M::CreditChanged);
            ("CreditChanged", json!({"account": addr(e.account), "credit": e.credit.to_string()}))
        }
        M::Withdrawn::SIGNATURE_HASH => {
            let e = decode!(M::Withdrawn);
            ("Withdrawn", json!({"account": addr(e.account), "amount": num(e.amount)}))
        }
        // Version 2's own events (those it shares with version 1 decoded above).
        _ => return v2::decode_event(topics, data),
    };
    Some(decoded)
}

/// Input for the `offers(id)` view.
pub fn offer_query(offer_id: U256) -> Bytes {
    EnergyMarket::offersCall { offerId: offer_id }.abi_encode().into()
}

/// Input for the `trades(id)` view.
pub fn trade_query(trade_id: U256) -> Bytes {
    EnergyMarket::tradesCall { tradeId: trade_id }.abi_encode().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::keccak256;

    #[test]
    fn selectors_match_the_solidity_signatures() {
        let cases = [
            (
                Action::RegisterMeter { meter: Address::ZERO, owner: Address::ZERO },
                "registerMeter(address,address)",
            ),
            (
                Action::Offer {
                    energy_wh: U256::from(1),
                    price_per_wh: U256::from(1),
                    expiry_block: U256::from(1),
                },
                "offer(uint256,uint256,uint256)",
            ),
            (
                Action::Buy {
                    offer_id: U256::from(1),
                    max_price_per_wh: U256::from(2),
                    escrow: U256::from(3),
                },
                "buy(uint256,uint256)",
            ),
            (
                Action::Report { trade_id: U256::from(1), cumulative_wh: U256::from(2) },
                "report(uint256,uint256)",
            ),
            (Action::Settle { trade_id: U256::from(1) }, "settle(uint256)"),
            (Action::Cancel { offer_id: U256::from(1) }, "cancel(uint256)"),
            (Action::Withdraw, "withdraw()"),
        ];
        for (action, signature) in cases {
            assert_eq!(&action.call_data()[..4], &keccak256(signature)[..4], "{signature}");
        }
        let buy =
            Action::Buy { offer_id: U256::from(1), max_price_per_wh: U256::from(2), escrow: U256::from(3) };
        assert_eq!(buy.value(), U256::from(3));
    }

    #[test]
    fn deployment_appends_the_constructor_argument() {
        let code = Action::Deploy { delivery_blocks: 600 }.call_data();
        assert_eq!(&code[..EnergyMarket::BYTECODE.len()], &EnergyMarket::BYTECODE[..]);
        assert_eq!(U256::from_be_slice(&code[code.len() - 32..]), U256::from(600));
    }
}
