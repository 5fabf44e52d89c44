//! The console's HTML: the market and meters pages, rendered on the server with maud, which
//! escapes every value spliced in (meter names, alarm messages and link reasons come from
//! meters and are attacker-controlled). The pages work without JavaScript; `console.js` only
//! swaps in each page's new content from the event stream.

use std::time::SystemTime;

use alloy_primitives::{Address, U256};
use maud::{DOCTYPE, Markup, html};

use super::model::{Meter, MeterKey, Model, Settings, TxRef, short};
use crate::rpc::Receipt;
use crate::units::{format_amount, format_energy_mwh, format_energy_wh, format_price_per_wh};

/// How many settled trades the market page lists (newest first); the JSON view has them all.
pub const SETTLED_SHOWN: usize = 100;

/// Which page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// Offers, trades, credit.
    Market,
    /// Meters, readings, alarms, links.
    Meters,
}

impl Page {
    /// Its name in paths and in `data-page`.
    pub fn name(self) -> &'static str {
        match self {
            Page::Market => "market",
            Page::Meters => "meters",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Page::Market => "Market",
            Page::Meters => "Meters",
        }
    }

    /// The page's changing part.
    pub fn fragment(self, model: &Model) -> Markup {
        match self {
            Page::Market => market(model),
            Page::Meters => meters(model),
        }
    }
}

/// A whole page: the frame around `page`'s content.
pub fn page(model: &Model, page: Page) -> Markup {
    let nav = |p: Page| {
        html! { a href=(format!("/{}", p.name())) aria-current=[(p == page).then_some("page")] { (p.title()) } }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (page.title()) " · evlock console" }
                link rel="stylesheet" href="/console.css";
                script src="/console.js" defer {}
            }
            body {
                header {
                    strong.brand { "evlock console" }
                    nav { (nav(Page::Market)) (nav(Page::Meters)) }
                    span #live .live { "static" }
                }
                main #content data-page=(page.name()) { (page.fragment(model)) }
                footer {
                    "Market " code { (model.settings.contract.to_checksum(None)) }
                    " · JSON: " a href=(format!("/{}.json", page.name())) { "/" (page.name()) ".json" }
                }
            }
        }
    }
}

fn ago(at: SystemTime) -> String {
    let now = SystemTime::now();
    let (span, future) = match at.duration_since(now) {
        Ok(ahead) => (ahead, true),
        Err(behind) => (behind.duration(), false),
    };
    let secs = span.as_secs();
    let text = match secs {
        0..5 => return "now".into(),
        5..120 => format!("{secs} s"),
        120..7200 => format!("{} min", secs / 60),
        7200..172_800 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    };
    if future { format!("in {text}") } else { format!("{text} ago") }
}

fn rfc3339(at: SystemTime) -> String {
    humantime::format_rfc3339_seconds(at).to_string()
}

/// A block height with its estimated time.
fn block(model: &Model, number: u64) -> Markup {
    html! {
        span.block { "block " (number) }
        @if let Some(at) = model.block_time(number) {
            " " small.when title=(format!("≈ {}", rfc3339(at))) { "≈ " (ago(at)) }
        }
    }
}

fn tx_url(settings: &Settings, hash: &str) -> String {
    match &settings.explorer {
        Some(prefix) => format!("{prefix}{hash}"),
        None => format!("/tx/{hash}"),
    }
}

fn tx_link(settings: &Settings, tx: Option<&TxRef>) -> Markup {
    html! {
        @if let Some(hash) = tx.and_then(|t| t.hash.as_deref()) {
            a.tx href=(tx_url(settings, hash)) title=(hash) { (hash.get(..10).unwrap_or(hash)) "…" }
        } @else {
            span.none { "—" }
        }
    }
}

fn account(model: &Model, address: &Address) -> Markup {
    html! {
        code.account title=(address.to_checksum(None)) { (short(address)) }
        @if let Some(credit) = model.credits.get(address) {
            " " small.credit title="credit on the market" { "credit " (credit) }
        }
    }
}

fn energy(wh: U256) -> String {
    format_energy_wh(wh.saturating_to())
}

fn percent(part: U256, whole: U256) -> String {
    if whole.is_zero() {
        return "—".into();
    }
    let tenths = part.saturating_mul(U256::from(1000)) / whole;
    let tenths: u64 = tenths.saturating_to();
    format!("{}.{} %", tenths / 10, tenths % 10)
}

fn summary(model: &Model) -> Markup {
    let chain = &model.chain;
    html! {
        section.summary {
            p {
                "Head " strong #head { (chain.head) }
                @if let Some(at) = model.block_time(chain.head) {
                    " " small.when title=(rfc3339(at)) { (ago(at)) }
                }
                " · about " (format!("{:.2}", chain.seconds_per_block)) " s a block"
                " · " (model.events) " market events"
                @match &chain.node_error {
                    None => { " · " span.ok { "node answering" } }
                    Some((error, since)) => {
                        " · " span.bad title=(error) { "node unreachable since " (rfc3339(*since)) }
                    }
                }
            }
        }
    }
}

fn progress(
    class: &'static str,
    reported: U256,
    total: U256,
    tx: Option<&TxRef>,
    settings: &Settings,
) -> Markup {
    let max: u64 = total.saturating_to::<u64>().max(1);
    let value: u64 = reported.saturating_to::<u64>().min(max);
    html! {
        progress class=(class) max=(max) value=(value) { (value) "/" (max) }
        br;
        span.figure { (energy(reported)) " of " (energy(total)) " (" (percent(reported, total)) ")" }
        " " (tx_link(settings, tx))
    }
}

fn market(model: &Model) -> Markup {
    let settings = &model.settings;
    let head = model.chain.head;
    let open: Vec<_> = model.offers.iter().filter(|(_, o)| o.state.status == 1).collect();
    let delivering: Vec<_> = model.trades.iter().filter(|(_, t)| t.settlement.is_none()).collect();
    let settled: Vec<_> = model.trades.iter().rev().filter(|(_, t)| t.settlement.is_some()).collect();
    html! {
        (summary(model))
        section #offers {
            h2 { "Open offers" }
            @if open.is_empty() {
                p.empty { "No open offers." }
            } @else {
                table {
                    thead { tr {
                        th { "Offer" } th { "Seller" } th { "Energy" } th { "Price" } th { "Escrow" }
                        th { "Open until" } th { "Transaction" }
                        @if settings.actions { th { "Buy" } }
                    } }
                    tbody {
                        @for (id, offer) in &open {
                            @let expiry: u64 = offer.state.expiry_block.saturating_to();
                            tr.offer #(format!("offer-{id}")) {
                                td { (id) }
                                td { (account(model, &offer.state.seller)) }
                                td.energy { (energy(offer.state.energy_wh)) }
                                td.price { (format_price_per_wh(offer.state.price_per_wh)) }
                                td.escrow { (format_amount(offer.state.escrow())) }
                                td {
                                    (block(model, expiry))
                                    @if expiry < head { " " span.bad { "expired" } }
                                }
                                td { (tx_link(settings, offer.created.as_ref())) }
                                @if settings.actions {
                                    td { (buy_form(settings, id, offer.state.price_per_wh)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section #delivering {
            h2 { "In delivery" }
            @if delivering.is_empty() {
                p.empty { "No trade is in delivery." }
            } @else {
                table {
                    thead { tr {
                        th { "Trade" } th { "Seller → buyer" } th { "Energy" } th { "Seller's meter" }
                        th { "Buyer's meter" } th { "Deadline" } th { "Bought" }
                    } }
                    tbody {
                        @for (id, trade) in &delivering {
                            @let t = &trade.state;
                            tr.trade #(format!("trade-{id}")) {
                                td { (id) br; small { "offer " (t.offer_id) } }
                                td { (account(model, &t.seller)) " → " (account(model, &t.buyer)) }
                                td.energy { (energy(t.energy_wh)) br; small { (format_amount(t.escrow())) " in escrow" } }
                                td.seller-side { (progress("seller", t.seller_wh, t.energy_wh, trade.seller_receipt.as_ref().or(trade.seller_report.as_ref()), settings)) }
                                td.buyer-side { (progress("buyer", t.buyer_wh, t.energy_wh, trade.buyer_receipt.as_ref().or(trade.buyer_report.as_ref()), settings)) }
                                td {
                                    (block(model, t.deadline.saturating_to()))
                                    @if let Some(grace) = settings.grace_blocks {
                                        br; small.grace { "grace until " (block(model, t.deadline.saturating_to::<u64>().saturating_add(grace))) }
                                    }
                                }
                                td { (tx_link(settings, trade.opened.as_ref())) }
                            }
                        }
                    }
                }
            }
        }
        section #settled {
            h2 { "Settled" }
            @if settled.is_empty() {
                p.empty { "No trade is settled yet." }
            } @else {
                @if settled.len() > SETTLED_SHOWN {
                    p.note { "The latest " (SETTLED_SHOWN) " of " (settled.len()) "; all are in " a href="/market.json" { "/market.json" } "." }
                }
                table {
                    thead { tr {
                        th { "Trade" } th { "Seller → buyer" } th { "Delivered" } th { "Seller paid" }
                        th { "Buyer refunded" } th { "Outcome" } th { "Settled" }
                    } }
                    tbody {
                        @for (id, trade) in settled.iter().take(SETTLED_SHOWN) {
                            @if let Some(s) = &trade.settlement {
                                tr.settled #(format!("settled-{id}")) {
                                    td { (id) }
                                    td { (account(model, &trade.state.seller)) " → " (account(model, &trade.state.buyer)) }
                                    td.delivered { (energy(s.delivered_wh)) " of " (energy(trade.state.energy_wh)) }
                                    td.paid { (format_amount(s.seller_paid)) }
                                    td.refund { (format_amount(s.buyer_refund)) }
                                    td {
                                        @if s.complete { span.ok { "complete" } } @else { span.bad { "cut short" } }
                                    }
                                    td { (block(model, s.tx.block)) " " (tx_link(settings, Some(&s.tx))) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section #credits {
            h2 { "Credit" }
            @if model.credits.is_empty() {
                p.empty { "No credit has changed yet." }
            } @else {
                table {
                    thead { tr { th { "Account" } th { "Credit" } } }
                    tbody {
                        @for (who, credit) in &model.credits {
                            tr { td { code title=(who.to_checksum(None)) { (short(who)) } } td.credit { (credit) } }
                        }
                    }
                }
            }
        }
        section #recent {
            h2 { "Latest events" }
            @if model.recent.is_empty() {
                p.empty { "No market event yet." }
            } @else {
                ol {
                    @for r in &model.recent {
                        li { span.block { "block " (r.tx.block) } " " strong { (r.event) } " " (r.summary) " " (tx_link(settings, Some(&r.tx))) }
                    }
                }
            }
        }
        @if settings.actions { (offer_form(settings)) }
    }
}

fn from_input(settings: &Settings) -> Markup {
    html! {
        input name="from" required placeholder="0x… (your account)" size="20" pattern="0x[0-9a-fA-F]{40}"
            value=[settings.default_from.map(|a| a.to_checksum(None))];
    }
}

fn buy_form(settings: &Settings, id: &U256, price: U256) -> Markup {
    html! {
        form.buy method="post" action="/actions/buy" {
            input type="hidden" name="offer" value=(id);
            input type="hidden" name="max_price" value=(format!("{price}peb/Wh"));
            (from_input(settings))
            button type="submit" { "tx record" }
        }
    }
}

fn offer_form(settings: &Settings) -> Markup {
    html! {
        section #new-offer {
            h2 { "New offer" }
            p.note { "The console holds no key: this downloads a " code { "tx" } " record to sign, e.g. "
                code { "evlock-sign --key seller.json < offer-tx.ndjson | evlock-relay submit" } "." }
            form.offer method="post" action="/actions/offer" {
                label { "Seller " (from_input(settings)) }
                label { "Energy " input name="energy" required value="500Wh" size="8"; }
                label { "Price " input name="price" required value="2ston/Wh" size="10"; }
                label { "Open for " input name="expires_in" required value="600blocks" size="10"; }
                button type="submit" { "Download the tx record" }
            }
        }
    }
}

fn meter_row(model: &Model, key: &MeterKey, meter: &Meter) -> Markup {
    let settings = &model.settings;
    let (name, own) = match key {
        MeterKey::Account(address) => (meter.name.clone(), Some(*address)),
        MeterKey::Name(name) => (Some(name.clone()), None),
    };
    html! {
        tr.meter data-account=[own.map(|a| a.to_checksum(None))] {
            td {
                @if let Some(name) = &name { strong.meter-name { (name) } br; }
                @if let Some(own) = &own { code title=(own.to_checksum(None)) { (short(own)) } }
                @if let Some(device) = meter.device.as_ref().filter(|d| Some(*d) != name.as_ref()) {
                    br; small.device { (device) }
                }
            }
            td {
                @match &meter.owner {
                    Some(owner) => { (account(model, owner)) }
                    None => { span.none { @if meter.owner_checked { "not registered" } @else { "—" } } }
                }
                @if let Some(registered) = &meter.registered {
                    br; small { "registered at " (block(model, registered.block)) }
                }
                @if let Some(state) = meter.state {
                    br; small.meter-state { (state)
                        @match &meter.last_trade {
                            Some(last) if last.is_zero() => { " (serves no trade)" }
                            Some(last) => { " (serves trades up to " (last) ")" }
                            None => {}
                        }
                    }
                }
                @if let Some(signer) = &meter.signer {
                    br; small { "signs with " code title=(signer.to_checksum(None)) { (short(signer)) } }
                }
            }
            td.link {
                @match &meter.link {
                    Some(link) if link.connected => { span.ok { "connected" } br; small { "since " (link.since) } }
                    Some(link) => {
                        span.bad { "disconnected" } br; small { "since " (link.since) }
                        @if let Some(reason) = &link.reason { br; small { (reason) } }
                    }
                    None => { span.none { "—" } }
                }
            }
            td.reading {
                @if let Some(r) = &meter.reading {
                    (format!("{:.1} W", r.watts)) " · " (format!("{:.2} V", r.volts)) " · " (format!("{:.3} A", r.amps))
                    br; (format_energy_mwh(r.energy_mwh))
                    @if let Some(state) = r.state { " · " (format!("{state:?}").to_lowercase()) }
                    @if let Some(switch) = &r.switch { " · relay " (switch) }
                    br; small { "#" (r.seq) " at " (r.time) }
                    @if !r.healthy { " " span.bad { "unhealthy" } }
                } @else { span.none { "—" } }
                @if let Some(report) = &meter.last_report {
                    br; small { "reported " (energy(report.wh)) " for trade " (report.trade_id) " " (tx_link(settings, Some(&report.tx))) }
                }
            }
            td.alarms {
                @if meter.alarms.is_empty() {
                    span.none { "none" }
                } @else {
                    ul {
                        @for alarm in &meter.alarms {
                            li { strong.alarm-code { (alarm.code) } " " small { (alarm.time) " #" (alarm.seq) } br; (alarm.message) }
                        }
                    }
                    @if meter.alarm_count > meter.alarms.len() as u64 {
                        small { (meter.alarm_count) " in all" }
                    }
                }
            }
        }
    }
}

fn meters(model: &Model) -> Markup {
    html! {
        (summary(model))
        section #meters {
            h2 { "Meters" }
            @if model.meters.is_empty() {
                p.empty { "No meter is registered or reporting yet." }
            } @else {
                table {
                    thead { tr { th { "Meter" } th { "Owner" } th { "Link" } th { "Last reading" } th { "Alarms" } } }
                    tbody { @for (key, meter) in &model.meters { (meter_row(model, key, meter)) } }
                }
            }
            p.note {
                (model.records) " input records read"
                @if model.dropped > 0 { "; " (model.dropped) " dropped (too many meters)" }
                "."
            }
        }
    }
}

/// A transaction's page: its receipt as the node has it, with the market events it emitted.
pub fn tx_page(model: &Model, hash: &str, receipt: Result<Option<Receipt>, String>) -> Markup {
    let events: Vec<(&'static str, serde_json::Value)> = match &receipt {
        Ok(Some(r)) => {
            r.logs.iter().filter_map(|l| crate::market::decode_event(&l.topics, &l.data)).collect()
        }
        _ => Vec::new(),
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "Transaction · evlock console" }
                link rel="stylesheet" href="/console.css";
            }
            body {
                header { strong.brand { "evlock console" } nav { a href="/market" { "Market" } a href="/meters" { "Meters" } } }
                main {
                    h2 { "Transaction" }
                    p { code { (hash) } }
                    @match &receipt {
                        Err(error) => { p.bad { "The node could not be asked: " (error) } }
                        Ok(None) => { p.empty { "The node knows no receipt for this transaction (yet)." } }
                        Ok(Some(r)) => {
                            table.receipt {
                                tr { th { "Status" } td { @if r.success { span.ok { "success" } } @else { span.bad { "reverted" } } } }
                                @if let Some(reason) = &r.revert_reason { tr { th { "Revert reason" } td { (reason) } } }
                                tr { th { "Block" } td { (block(model, r.block_number)) } }
                                @if let Some(from) = r.from { tr { th { "From" } td { code { (from.to_checksum(None)) } } } }
                                @if let Some(to) = r.to { tr { th { "To" } td { code { (to.to_checksum(None)) } } } }
                                tr { th { "Gas used" } td { (r.gas_used) } }
                                @if let Some(price) = r.effective_gas_price {
                                    tr { th { "Fee" } td { (format_amount(price.saturating_mul(U256::from(r.gas_used)))) } }
                                }
                            }
                            @if !events.is_empty() {
                                h3 { "Market events" }
                                ul { @for (name, fields) in &events { li { strong { (name) } " " code { (fields.to_string()) } } } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A short page for an error status (404, 421, …).
pub fn error_page(title: &str, message: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (title) } link rel="stylesheet" href="/console.css"; }
            body { main { h2 { (title) } p { (message) } p { a href="/market" { "Back to the market" } } } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_from_meters_are_escaped() {
        let settings = Settings {
            contract: Address::repeat_byte(9),
            actions: true,
            explorer: Some("https://explorer.example/tx/".into()),
            default_from: None,
            grace_blocks: None,
        };
        let mut model = Model::new(settings, 0);
        let alarm = json!({"kind": "alarm", "code": "<b>x</b>", "device": "sim:<script>alert(1)</script>", "seq": 0,
            "time": "\"><img src=x>", "message": "a & b <i>"});
        model.apply_input(alarm).unwrap();
        let meters = page(&model, Page::Meters).into_string();
        assert!(meters.contains("sim:&lt;script&gt;alert(1)&lt;/script&gt;"), "{meters}");
        assert!(
            meters.contains("&lt;b&gt;x&lt;/b&gt;") && meters.contains("a &amp; b &lt;i&gt;"),
            "{meters}"
        );
        assert!(meters.contains("&quot;&gt;&lt;img src=x&gt;"), "{meters}");
        for raw in ["<script>alert", "<b>x", "<img", "<i>"] {
            assert!(!meters.contains(raw), "{raw} got through: {meters}");
        }
        // The only script is the console's own, from its own origin.
        assert_eq!(meters.matches("<script").count(), 1);
        assert!(meters.contains("<script src=\"/console.js\" defer></script>"));
        let market = page(&model, Page::Market).into_string();
        assert!(market.contains("action=\"/actions/offer\""), "forms with --allow-actions");
    }
}
