//! The console's forms (only with `--allow-actions`): an offer or a buy becomes an unsigned
//! `tx` record, built like `evlock-trade offer` and `evlock-trade buy` build theirs, for the
//! user to download and sign elsewhere. The console never holds or asks for a key.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};

use crate::market::v2::Action as V2;
use crate::market::{Action, MarketCall};
use crate::rpc::RpcClient;
use crate::trade::{ChainParams, OfferState, TxBuilder};
use crate::units::{parse_blocks, parse_energy_wh, parse_price_per_wh};
use crate::wire::Output;

/// Which form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A new offer.
    Offer,
    /// A buy of an open offer.
    Buy,
}

/// Why a form did not give a `tx` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionError {
    /// The form is incomplete or wrong (HTTP 400).
    Form(String),
    /// The node could not fill in the transaction (HTTP 502).
    Node(String),
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Result<&'a str, ActionError> {
    form.iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
        .ok_or_else(|| ActionError::Form(format!("the form has no {name}")))
}

/// Builds the `tx` record a form asks for: its file name and its NDJSON line.
#[allow(clippy::too_many_arguments)]
pub fn build(
    client: &RpcClient,
    mut params: ChainParams,
    contract: Address,
    kind: Kind,
    form: &[(String, String)],
    head: u64,
    offers: &BTreeMap<U256, OfferState>,
    v2: bool,
) -> Result<(String, Vec<u8>), ActionError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| ActionError::Form(format!("{what}: {e}"));
    let from: Address = field(form, "from")?.parse().map_err(|e| bad("from is not an address", &e))?;
    params.from = Some(from);
    params.nonce = None;
    let (name, action): (String, Box<dyn MarketCall>) = match kind {
        Kind::Offer => {
            let energy = parse_energy_wh(field(form, "energy")?).map_err(|e| bad("energy", &e))?;
            let price = parse_price_per_wh(field(form, "price")?).map_err(|e| bad("price", &e))?;
            let blocks = parse_blocks(field(form, "expires_in")?).map_err(|e| bad("open for", &e))?;
            if energy == 0 {
                return Err(ActionError::Form("energy: an offer needs more than 0 Wh".into()));
            }
            let (energy_wh, expiry_block) = (U256::from(energy), U256::from(head.saturating_add(blocks)));
            // Version 2 takes a minimum buyer credit too: none, as `evlock-trade offer` sets.
            let action: Box<dyn MarketCall> = if v2 {
                Box::new(V2::Offer {
                    energy_wh,
                    price_per_wh: price,
                    expiry_block,
                    min_buyer_credit: i64::MIN,
                })
            } else {
                Box::new(Action::Offer { energy_wh, price_per_wh: price, expiry_block })
            };
            ("offer-tx.ndjson".to_string(), action)
        }
        Kind::Buy => {
            let id = U256::from_str_radix(field(form, "offer")?, 10).map_err(|e| bad("offer", &e))?;
            let offer = offers
                .get(&id)
                .filter(|o| o.status == 1)
                .ok_or_else(|| ActionError::Form(format!("offer {id} is not open")))?;
            let max_price = match field(form, "max_price") {
                Ok(text) => parse_price_per_wh(text).map_err(|e| bad("max price", &e))?,
                Err(_) => offer.price_per_wh,
            };
            let (offer_id, escrow) = (id, offer.escrow());
            let action: Box<dyn MarketCall> = if v2 {
                Box::new(V2::Buy {
                    offer_id,
                    max_price_per_wh: max_price,
                    min_seller_credit: i64::MIN,
                    escrow,
                })
            } else {
                Box::new(Action::Buy { offer_id, max_price_per_wh: max_price, escrow })
            };
            (format!("buy-{id}-tx.ndjson"), action)
        }
    };
    let mut builder = TxBuilder::new(Some(client), params);
    let record = builder
        .build(Some(contract), action.as_ref(), None)
        .map_err(|e| ActionError::Node(crate::exit::error_chain(&e)))?;
    let mut out = Output::to_writer(Vec::new(), false);
    out.emit(&record).map_err(|e| ActionError::Node(e.to_string()))?;
    out.flush().map_err(|e| ActionError::Node(e.to_string()))?;
    Ok((name, out.into_inner()))
}
