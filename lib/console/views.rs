//! The JSON views of the console's pages, for scripts: the same numbers as the HTML, and, for
//! every offer, trade and credit, the very `fields` an `evlock-trade status` record has.

use std::time::SystemTime;

use alloy_primitives::{Address, U256};
use serde_json::{Value, json};

use super::model::{Meter, MeterKey, Model, TxRef};
use crate::trade::{amount_fields, credit_fields};
use crate::units::format_energy_mwh;
use crate::wire::{Envelope, StatusRecord};

fn time(at: Option<SystemTime>) -> Value {
    at.map_or(Value::Null, |t| Value::String(humantime::format_rfc3339_seconds(t).to_string()))
}

fn tx(tx: &Option<TxRef>) -> Value {
    tx.as_ref().map_or(Value::Null, |t| json!({"block": t.block.to_string(), "tx_hash": t.hash}))
}

fn node(model: &Model) -> Value {
    match &model.chain.node_error {
        None => json!({"ok": true}),
        Some((error, since)) => json!({"ok": false, "error": error, "since": time(Some(*since))}),
    }
}

fn block_u64(value: U256) -> u64 {
    value.saturating_to()
}

/// `/market.json`: the head, every offer and trade (with their `status` fields), every
/// credit, and the latest events.
pub fn market_json(model: &Model) -> Value {
    let head = model.chain.head;
    let offers: Vec<Value> = model
        .offers
        .iter()
        .map(|(id, offer)| {
            let expiry = block_u64(offer.state.expiry_block);
            json!({
                "what": "offer", "id": id.to_string(), "fields": offer.state.status_fields(),
                "expired": offer.state.status == 1 && expiry < head,
                "expiry_time": time(model.block_time(expiry)),
                "created": tx(&offer.created), "closed": tx(&offer.closed),
            })
        })
        .collect();
    let trades: Vec<Value> = model
        .trades
        .iter()
        .map(|(id, trade)| {
            let settlement = trade.settlement.as_ref().map_or(Value::Null, |s| {
                json!({
                    "delivered_wh": s.delivered_wh.to_string(), "seller_paid": amount_fields(s.seller_paid),
                    "buyer_refund": amount_fields(s.buyer_refund), "complete": s.complete,
                    "block": s.tx.block.to_string(), "tx_hash": s.tx.hash,
                })
            });
            let mut view = json!({
                "what": "trade", "id": id.to_string(), "fields": trade.state.status_fields(),
                "deadline_time": time(model.block_time(block_u64(trade.state.deadline))),
                "opened": tx(&trade.opened),
                "reports": {"seller": tx(&trade.seller_report), "buyer": tx(&trade.buyer_report)},
                "settlement": settlement,
            });
            // Version 2: the sides' signed receipts on chain, and the end of the grace window
            // (until then only the seller settles an unfinished trade).
            if let Some(grace) = model.settings.grace_blocks {
                let end = block_u64(trade.state.deadline).saturating_add(grace);
                view["receipts"] =
                    json!({"seller": tx(&trade.seller_receipt), "buyer": tx(&trade.buyer_receipt)});
                view["grace_end_block"] = json!(end.to_string());
                view["grace_end_time"] = time(model.block_time(end));
                view["in_grace"] =
                    json!(trade.state.status == 1 && head > block_u64(trade.state.deadline) && head <= end);
            }
            view
        })
        .collect();
    let credits: Vec<Value> = model
        .credits
        .iter()
        .map(|(account, credit)| {
            json!({"what": "credit", "id": account.to_checksum(None), "fields": credit_fields(*credit)})
        })
        .collect();
    let recent: Vec<Value> = model
        .recent
        .iter()
        .map(|r| json!({"event": r.event, "block": r.tx.block.to_string(), "tx_hash": r.tx.hash, "summary": r.summary}))
        .collect();
    json!({
        "kind": "console_market", "v": 1,
        "contract": model.settings.contract.to_checksum(None),
        "version": if model.settings.grace_blocks.is_some() { 2 } else { 1 },
        "grace_blocks": model.settings.grace_blocks.map(|g| g.to_string()),
        "block": head.to_string(), "block_time": time(model.block_time(head)),
        "seconds_per_block": model.chain.seconds_per_block,
        "node": node(model), "events": model.events,
        "offers": offers, "trades": trades, "credits": credits, "recent": recent,
    })
}

fn meter_json(model: &Model, key: &MeterKey, meter: &Meter) -> Value {
    let account = match key {
        MeterKey::Account(account) => Value::String(account.to_checksum(None)),
        MeterKey::Name(_) => Value::Null,
    };
    let name = match key {
        MeterKey::Name(name) => Some(name.clone()),
        MeterKey::Account(_) => meter.name.clone(),
    };
    let reading = meter.reading.as_ref().map_or(Value::Null, |r| {
        json!({
            "time": r.time, "seq": r.seq, "volts": r.volts, "amps": r.amps, "watts": r.watts,
            "energy_mwh": r.energy_mwh, "energy": format_energy_mwh(r.energy_mwh),
            "state": r.state, "switch": r.switch, "healthy": r.healthy,
        })
    });
    let alarms: Vec<Value> = meter
        .alarms
        .iter()
        .map(|a| json!({"code": a.code, "time": a.time, "seq": a.seq, "message": a.message}))
        .collect();
    let link = meter
        .link
        .as_ref()
        .map_or(Value::Null, |l| json!({"connected": l.connected, "since": l.since, "reason": l.reason}));
    let report = meter.last_report.as_ref().map_or(Value::Null, |r| {
        json!({"trade_id": r.trade_id.to_string(), "wh": r.wh.to_string(), "block": r.tx.block.to_string(), "tx_hash": r.tx.hash})
    });
    let owner_credit = meter.owner.and_then(|owner| model.credits.get(&owner)).map(|c| c.to_string());
    let receipt = meter.last_receipt.as_ref().map_or(Value::Null, |r| {
        json!({"trade_id": r.trade_id.to_string(), "wh": r.wh.to_string(), "block": r.tx.block.to_string(), "tx_hash": r.tx.hash})
    });
    // Version 2's meter state; an account's own key signs until the owner names another.
    let v2 = model.settings.grace_blocks.is_some();
    let signer = meter.signer.or(match key {
        MeterKey::Account(account) if v2 && meter.state.is_some() => Some(*account),
        _ => None,
    });
    json!({
        "state": meter.state, "signer": signer.map(|s| s.to_checksum(None)),
        "last_trade": meter.last_trade.map(|t| t.to_string()), "last_receipt": receipt,
        "account": account, "name": name, "device": meter.device,
        "owner": meter.owner.map(|o| o.to_checksum(None)), "owner_credit": owner_credit,
        "registered": tx(&meter.registered), "reading": reading,
        "alarms": alarms, "alarm_count": meter.alarm_count, "link": link, "last_report": report,
    })
}

/// `/meters.json`: every meter, registered or known from input records.
pub fn meters_json(model: &Model) -> Value {
    let meters: Vec<Value> = model.meters.iter().map(|(key, meter)| meter_json(model, key, meter)).collect();
    json!({
        "kind": "console_meters", "v": 1,
        "contract": model.settings.contract.to_checksum(None), "block": model.chain.head.to_string(),
        "node": node(model), "records": model.records, "dropped": model.dropped, "meters": meters,
    })
}

/// `/status/WHAT/ID`: the `status` record `evlock-trade status WHAT ID` would write, from the
/// console's picture (no node is asked). `None` when the console knows no such thing.
pub fn status_json(model: &Model, what: &str, id: &str) -> Option<Value> {
    let (id, fields) = match what {
        "offer" => {
            let id = U256::from_str_radix(id, 10).ok()?;
            (id.to_string(), model.offers.get(&id)?.state.status_fields())
        }
        "trade" => {
            let id = U256::from_str_radix(id, 10).ok()?;
            (id.to_string(), model.trades.get(&id)?.state.status_fields())
        }
        "credit" => {
            let account: Address = id.parse().ok()?;
            // An account the market never changed has credit 0, as the contract says.
            let credit = model.credits.get(&account).copied().unwrap_or_default();
            (account.to_checksum(None), credit_fields(credit))
        }
        _ => return None,
    };
    let record = StatusRecord {
        what: what.to_string(),
        id,
        contract: model.settings.contract.to_checksum(None),
        block: model.chain.head.to_string(),
        fields,
        meta: None,
    };
    Some(serde_json::to_value(Envelope::new(&record)).expect("a status record serializes"))
}
