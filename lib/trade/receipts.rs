//! Delivery receipts for version 2 market transactions (`evlock-trade receipts`): signed
//! `delivery_receipt` records checked against the market and chain they are for, reduced to
//! what a transaction needs — the highest figure of each meter, or of each side of a trade —
//! and, with a node to ask, receipts the contract would refuse (a meter not serving that
//! trade, a key that is not the meter's signer) left out, because one refused receipt reverts
//! the whole transaction.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};

use super::{TradeError, TradeState, read_meter};
use crate::market::v2::{ReceiptError, SignedReceipt};
use crate::rpc::RpcClient;
use crate::wire::DeliveryReceiptRecord;

/// A receipt with the address its signature recovers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedReceipt {
    /// The receipt as the contract takes it.
    pub receipt: SignedReceipt,
    /// Who signed it.
    pub signer: Address,
}

/// The highest receipt of each (trade, meter) of one market on one chain.
#[derive(Debug, Clone)]
pub struct ReceiptBook {
    market: Address,
    chain_id: u64,
    latest: BTreeMap<(U256, Address), CheckedReceipt>,
}

impl ReceiptBook {
    /// An empty book for the market `market` on chain `chain_id`.
    pub fn new(market: Address, chain_id: u64) -> Self {
        ReceiptBook { market, chain_id, latest: BTreeMap::new() }
    }

    /// Takes a signed record: refused when it is unsigned, malformed, its signature does not
    /// recover to its `signer`, or it is for another market or chain. Returns whether it
    /// raised its meter's figure (a lower or equal one changes nothing).
    pub fn add(&mut self, record: &DeliveryReceiptRecord) -> Result<bool, TradeError> {
        let (request, receipt) = SignedReceipt::from_record(record)?;
        if request.market != self.market {
            return Err(TradeError::ReceiptElsewhere {
                what: "market",
                found: request.market.to_checksum(None),
                expected: self.market.to_checksum(None),
            });
        }
        if request.chain_id != self.chain_id {
            return Err(TradeError::ReceiptElsewhere {
                what: "chain",
                found: request.chain_id.to_string(),
                expected: self.chain_id.to_string(),
            });
        }
        let signer = receipt
            .signature
            .recover_address(&request.digest())
            .map_err(|e| ReceiptError::Field { field: "s", reason: e.to_string() })?;
        let key = (receipt.trade_id, receipt.meter);
        if self.latest.get(&key).is_some_and(|held| held.receipt.cumulative_wh >= receipt.cumulative_wh) {
            return Ok(false);
        }
        self.latest.insert(key, CheckedReceipt { receipt, signer });
        Ok(true)
    }

    /// Whether no receipt was taken.
    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }

    /// The highest receipt of every (trade, meter), by trade then meter.
    pub fn all(&self) -> Vec<CheckedReceipt> {
        self.latest.values().cloned().collect()
    }

    /// The highest receipt of each meter of trade `trade_id`.
    pub fn for_trade(&self, trade_id: U256) -> Vec<CheckedReceipt> {
        self.latest.values().filter(|r| r.receipt.trade_id == trade_id).cloned().collect()
    }
}

/// Which side of `trade` a receipt speaks for, as the contract will decide it; `Err` says why
/// the contract would refuse it (and so revert the transaction carrying it).
pub fn receipt_side(
    client: &RpcClient,
    market: Address,
    trade: &TradeState,
    receipt: &CheckedReceipt,
) -> Result<Result<bool, String>, TradeError> {
    let id = receipt.receipt.trade_id;
    let meter = read_meter(client, market, receipt.receipt.meter)?;
    if !matches!(meter.status, 2 | 3) {
        return Ok(Err(format!(
            "meter {} is {}, not a bound meter",
            receipt.receipt.meter,
            meter.status_name()
        )));
    }
    if !meter.serves(id) {
        return Ok(Err(format!(
            "meter {} was revoked before trade {id} opened (it serves trades up to {})",
            receipt.receipt.meter, meter.last_trade
        )));
    }
    if meter.signer != receipt.signer {
        return Ok(Err(format!(
            "signed by {}, but meter {}'s receipts are signed by {}",
            receipt.signer, receipt.receipt.meter, meter.signer
        )));
    }
    if meter.owner == trade.seller {
        Ok(Ok(true))
    } else if meter.owner == trade.buyer {
        Ok(Ok(false))
    } else {
        Ok(Err(format!(
            "meter {} belongs to {}, neither side of trade {id}",
            receipt.receipt.meter, meter.owner
        )))
    }
}

/// The receipts worth sending for `trade`: for each side, the highest receipt of a meter the
/// contract accepts for it, and only when it is above what the side already holds on chain.
/// Refused receipts are left out with a warning naming why.
pub fn latest_per_side(
    client: &RpcClient,
    market: Address,
    trade: &TradeState,
    receipts: Vec<CheckedReceipt>,
) -> Result<Vec<SignedReceipt>, TradeError> {
    let mut sided = Vec::with_capacity(receipts.len());
    for receipt in receipts {
        match receipt_side(client, market, trade, &receipt)? {
            Ok(seller_side) => sided.push((receipt.receipt, seller_side)),
            Err(why) => log::warn!(
                "receipt of {} Wh for trade {} left out: {why} (the contract would refuse it)",
                receipt.receipt.cumulative_wh,
                receipt.receipt.trade_id
            ),
        }
    }
    Ok(worth_sending(trade, sided))
}

/// Of receipts with the side each speaks for (`true`: the seller's), the highest of each side,
/// when it raises what that side holds on chain (figures count up to the trade's energy).
fn worth_sending(trade: &TradeState, receipts: Vec<(SignedReceipt, bool)>) -> Vec<SignedReceipt> {
    let mut best: [Option<SignedReceipt>; 2] = [None, None];
    for (receipt, seller_side) in receipts {
        let slot = &mut best[usize::from(!seller_side)];
        if slot.as_ref().is_none_or(|held| held.cumulative_wh < receipt.cumulative_wh) {
            *slot = Some(receipt);
        }
    }
    let on_chain = [trade.seller_wh, trade.buyer_wh];
    best.into_iter()
        .zip(on_chain)
        .filter_map(|(receipt, held)| receipt.filter(|r| r.cumulative_wh.min(trade.energy_wh) > held))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::{ErrorClass, ExitCode};
    use crate::market::v2::tests::{MARKET, METER, address_of, key, receipt_record};

    fn market() -> Address {
        crate::wire::parse_address(MARKET).unwrap()
    }

    fn figures(receipts: &[CheckedReceipt]) -> Vec<(u64, u64)> {
        receipts
            .iter()
            .map(|r| (r.receipt.trade_id.to::<u64>(), r.receipt.cumulative_wh.to::<u64>()))
            .collect()
    }

    #[test]
    fn the_book_keeps_the_highest_receipt_of_each_trade_and_meter() {
        let meter_key = key(7);
        let mut book = ReceiptBook::new(market(), 31337);
        assert!(book.is_empty());
        assert!(book.add(&receipt_record(&meter_key, 31337, MARKET, 7, 120)).unwrap());
        assert!(!book.is_empty());
        // Lower and equal figures change nothing; a higher one replaces.
        assert!(!book.add(&receipt_record(&meter_key, 31337, MARKET, 7, 100)).unwrap());
        assert!(!book.add(&receipt_record(&meter_key, 31337, MARKET, 7, 120)).unwrap());
        assert!(book.add(&receipt_record(&meter_key, 31337, MARKET, 7, 121)).unwrap());
        assert!(book.add(&receipt_record(&meter_key, 31337, MARKET, 9, 5)).unwrap());
        assert!(book.add(&receipt_record(&meter_key, 31337, MARKET, 8, 50)).unwrap());
        assert_eq!(figures(&book.all()), [(7, 121), (8, 50), (9, 5)]);
        assert_eq!(figures(&book.for_trade(U256::from(8))), [(8, 50)]);
        assert_eq!(figures(&book.for_trade(U256::from(7))), [(7, 121)]);
        assert!(book.for_trade(U256::from(10)).is_empty());
        let held = &book.all()[0];
        assert_eq!(held.signer, address_of(&meter_key));
        assert_eq!(held.receipt.meter, crate::wire::parse_address(METER).unwrap());
    }

    fn receipt(meter: u8, wh: u64) -> SignedReceipt {
        let signature =
            crate::kaia::RecoverableSig::sign_prehash(&key(7), &alloy_primitives::B256::ZERO).unwrap();
        SignedReceipt {
            trade_id: U256::from(1),
            meter: Address::repeat_byte(meter),
            cumulative_wh: U256::from(wh),
            signature,
        }
    }

    #[test]
    fn the_receipts_worth_sending_are_each_sides_highest_above_what_it_holds() {
        let trade = TradeState {
            seller: Address::repeat_byte(1),
            buyer: Address::repeat_byte(2),
            offer_id: U256::from(1),
            energy_wh: U256::from(100),
            price_per_wh: U256::from(1),
            deadline: U256::from(50),
            seller_wh: U256::from(40),
            buyer_wh: U256::from(30),
            status: 1,
        };
        let figures = |sent: Vec<SignedReceipt>| {
            sent.iter().map(|r| (r.meter.0[0], r.cumulative_wh.to::<u64>())).collect::<Vec<_>>()
        };
        // Two meters on the seller's side (a replaced one and its successor): the higher figure
        // goes, whichever meter came first; the buyer's one meter likewise.
        let sided = vec![(receipt(3, 60), true), (receipt(4, 70), true), (receipt(5, 35), false)];
        assert_eq!(figures(worth_sending(&trade, sided)), [(4, 70), (5, 35)]);
        let sided = vec![(receipt(4, 70), true), (receipt(3, 60), true)];
        assert_eq!(figures(worth_sending(&trade, sided)), [(4, 70)]);
        // Equal to what the side holds on chain: nothing to send; one more: sent.
        let sided = vec![(receipt(3, 40), true), (receipt(5, 31), false)];
        assert_eq!(figures(worth_sending(&trade, sided)), [(5, 31)]);
        // Beyond the trade's energy a figure counts as the energy: above the held 40, sent as it is.
        let sided = vec![(receipt(3, 500), true)];
        assert_eq!(figures(worth_sending(&trade, sided)), [(3, 500)]);
        let full = TradeState { seller_wh: U256::from(100), ..trade };
        assert!(
            worth_sending(&full, vec![(receipt(3, 500), true)]).is_empty(),
            "the seller holds the whole energy"
        );
    }

    #[test]
    fn receipts_for_another_market_or_chain_or_tampered_are_refused_and_the_book_is_unchanged() {
        let meter_key = key(7);
        let mut book = ReceiptBook::new(market(), 31337);
        book.add(&receipt_record(&meter_key, 31337, MARKET, 7, 120)).unwrap();
        let other_market = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
        let refused = [
            (receipt_record(&meter_key, 31337, other_market, 7, 500), "market"),
            (receipt_record(&meter_key, 1001, MARKET, 7, 500), "chain"),
        ];
        for (record, what) in refused {
            match book.add(&record).unwrap_err() {
                TradeError::ReceiptElsewhere { what: named, .. } => assert_eq!(named, what),
                other => panic!("{what}: {other}"),
            }
        }
        let mut tampered = receipt_record(&meter_key, 31337, MARKET, 7, 500);
        tampered.cumulative_wh = "5000".into();
        let error = book.add(&tampered).unwrap_err();
        assert_eq!(error.exit_code(), ExitCode::No, "{error}");
        let mut unsigned = receipt_record(&meter_key, 31337, MARKET, 7, 500);
        unsigned.r = None;
        assert_eq!(book.add(&unsigned).unwrap_err().exit_code(), ExitCode::Usage);
        assert_eq!(figures(&book.all()), [(7, 120)]);
    }
}
