//! Following the market's events: `eth_getLogs` over block ranges, decoded into `event`
//! records, from a block on, optionally following new blocks.

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::TradeError;
use crate::market::decode_event;
use crate::rpc::RpcClient;
use crate::wire::Record;

/// A market event: written by `evlock-trade watch`.
///
/// ```json
/// {"kind":"event","v":1,"event":"TradeOpened","contract":"0x…","block":"7","tx_hash":"0x…",
///  "log_index":"0","fields":{"trade_id":"1","offer_id":"1","buyer":"0x…","escrow":"1000","deadline":"107"}}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// The event's name in the contract (`OfferCreated`, `Reported`, …).
    pub event: String,
    /// The contract that emitted it.
    pub contract: String,
    /// The block it is in, decimal.
    pub block: String,
    /// The transaction that emitted it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tx_hash: Option<String>,
    /// Its index in the block, decimal.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub log_index: Option<String>,
    /// The event's fields: amounts and ids as decimal strings, addresses EIP-55.
    pub fields: Value,
}

impl Record for EventRecord {
    const KIND: &'static str = "event";
}

/// Reads the market's events block range by block range.
pub struct Watcher<'a> {
    client: &'a RpcClient,
    market: Address,
    next_block: u64,
}

/// The most blocks one `eth_getLogs` asks for (nodes cap the range).
const MAX_RANGE: u64 = 1_000;

impl<'a> Watcher<'a> {
    /// A watcher that starts at `from_block`.
    pub fn new(client: &'a RpcClient, market: Address, from_block: u64) -> Self {
        Watcher { client, market, next_block: from_block }
    }

    /// The next block not yet read.
    pub fn next_block(&self) -> u64 {
        self.next_block
    }

    /// The events of the blocks from the next unread one up to `until` (inclusive, at most
    /// the chain's head), in chain order.
    pub fn poll(&mut self, until: Option<u64>) -> Result<Vec<EventRecord>, TradeError> {
        let head = self.client.block_number()?;
        let last = until.map_or(head, |until| until.min(head));
        let mut events = Vec::new();
        while self.next_block <= last {
            let to = last.min(self.next_block + MAX_RANGE - 1);
            let filter = json!({"address": self.market.to_checksum(None),
                                "fromBlock": format!("{:#x}", self.next_block), "toBlock": format!("{to:#x}")});
            for log in self.client.get_logs(&filter)? {
                if log.removed || log.address != self.market {
                    continue;
                }
                let Some((name, fields)) = decode_event(&log.topics, &log.data) else {
                    log::debug!(
                        "skipping a log the market ABI does not know (topic {:?})",
                        log.topics.first()
                    );
                    continue;
                };
                events.push(EventRecord {
                    event: name.into(),
                    contract: log.address.to_checksum(None),
                    block: log.block_number.unwrap_or(to).to_string(),
                    tx_hash: log.transaction_hash.map(|h| h.to_string()),
                    log_index: log.log_index.map(|i| i.to_string()),
                    fields,
                });
            }
            self.next_block = to + 1;
        }
        Ok(events)
    }
}
