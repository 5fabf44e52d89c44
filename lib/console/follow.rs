//! Feeding the console: following the market's events block range by block range (like
//! `evlock-trade watch --follow`), and reading `reading`, `alarm` and `link` records from a
//! stream. A node that stops answering does not stop the console: the pages say since when it
//! is unreachable, and following goes on where it stopped once it answers again.

use std::io::Read;
use std::time::Duration;

use alloy_primitives::Address;
use serde_json::{Value, json};

use super::Console;
use crate::exit::{Failure, error_chain};
use crate::rpc::RpcClient;
use crate::trade::{EventRecord, TradeError, Watcher, meter_owner, read_credit, read_offer, read_trade};
use crate::wire::{OnError, Output, RecordStream};

/// The most blocks read before the pages are updated: a long history shows up bit by bit.
const CHUNK_BLOCKS: u64 = 5_000;
/// The most meter owners asked of the contract in one round.
const OWNERS_PER_ROUND: usize = 16;

/// How to follow the market.
#[derive(Debug, Clone, Copy)]
pub struct FollowOptions {
    /// How long to wait between two looks at the chain once caught up.
    pub poll: Duration,
}

/// Follows one market into a [`Console`].
pub struct Follower<'a> {
    client: &'a RpcClient,
    console: &'a Console,
    market: Address,
    watcher: Watcher<'a>,
    /// Events read but not applied yet (their offers or trades could not be read).
    pending: Vec<EventRecord>,
    sampled: bool,
    options: FollowOptions,
}

fn quantity(value: &Value, key: &str) -> Option<u64> {
    u64::from_str_radix(value.get(key)?.as_str()?.trim_start_matches("0x"), 16).ok()
}

fn block(client: &RpcClient, which: Value) -> Result<Option<(u64, u64)>, TradeError> {
    let block = client.call("eth_getBlockByNumber", json!([which, false]))?;
    Ok(quantity(&block, "number").zip(quantity(&block, "timestamp")))
}

impl<'a> Follower<'a> {
    /// A follower of `market` from the block the console's model starts at.
    pub fn new(client: &'a RpcClient, console: &'a Console, market: Address, options: FollowOptions) -> Self {
        let from = console.read().chain.next_block;
        Follower {
            client,
            console,
            market,
            watcher: Watcher::new(client, market, from),
            pending: Vec::new(),
            sampled: false,
            options,
        }
    }

    /// One round: the head, then the events up to it (at most a chunk of blocks), then the
    /// owners of meters the link named. Returns whether the follower has caught up with the
    /// head.
    pub fn step(&mut self) -> Result<bool, TradeError> {
        let (head, time) = match block(self.client, json!("latest"))? {
            Some((number, time)) => (number, Some(time)),
            None => (self.client.block_number()?, None),
        };
        // Once, an older block to measure the interval before blocks are seen to pass.
        let earlier = if self.sampled || head < 10 {
            None
        } else {
            self.sampled = true;
            block(self.client, json!(format!("{:#x}", head - head.min(100))))?
        };
        self.console.update(|model| model.set_head(head, time, earlier));

        let until = head.min(self.watcher.next_block().saturating_add(CHUNK_BLOCKS - 1));
        if self.watcher.next_block() <= until {
            self.pending.extend(self.watcher.poll(Some(until))?);
        }
        if !self.pending.is_empty() {
            let (offers, trades) = self.console.read().missing(&self.pending);
            let offers = offers
                .into_iter()
                .map(|id| read_offer(self.client, self.market, id).map(|o| (id, o)))
                .collect::<Result<Vec<_>, _>>()?;
            let trades = trades
                .into_iter()
                .map(|id| read_trade(self.client, self.market, id).map(|t| (id, t)))
                .collect::<Result<Vec<_>, _>>()?;
            let events = std::mem::take(&mut self.pending);
            let next = self.watcher.next_block();
            self.console.update(|model| {
                for (id, offer) in offers {
                    model.seed_offer(id, offer);
                }
                for (id, trade) in trades {
                    model.seed_trade(id, trade);
                }
                for event in &events {
                    model.apply_event(event);
                }
                model.chain.next_block = next;
                true
            });
        } else {
            let next = self.watcher.next_block();
            self.console.update(|model| {
                model.chain.next_block = next;
                false
            });
        }
        let mut stale = None;
        self.console.update(|model| {
            stale = Some(model.take_stale_credits());
            false
        });
        let stale = stale.unwrap_or_default();
        for account in &stale {
            match read_credit(self.client, self.market, *account) {
                Ok(credit) => self.console.update(|model| model.set_credit(*account, credit)),
                Err(error) => {
                    // Read again next round.
                    self.console.update(|model| {
                        model.mark_stale_credits(stale.iter().copied());
                        false
                    });
                    return Err(error);
                }
            };
        }
        let unknown = self.console.read().unknown_owners(OWNERS_PER_ROUND);
        for meter in unknown {
            let owner = meter_owner(self.client, self.market, meter)?;
            self.console.update(|model| model.set_owner(meter, owner));
        }
        Ok(self.watcher.next_block() > head)
    }

    /// Follows until `stop` says to: a round, then (once caught up) a pause of the poll
    /// interval. A round that fails is shown on the pages and tried again after the pause.
    pub fn run(&mut self, stop: impl Fn() -> bool) {
        let mut failing = false;
        while !stop() {
            let caught_up = match self.step() {
                Ok(caught_up) => {
                    if failing {
                        log::info!("the node answers again");
                        failing = false;
                    }
                    caught_up
                }
                Err(error) => {
                    let message = error_chain(&error);
                    if !failing {
                        log::warn!("cannot follow the market: {message}");
                        failing = true;
                    }
                    self.console.update(|model| model.set_node_error(message));
                    true
                }
            };
            if caught_up {
                // Sleep in small steps so a stop request is seen quickly.
                let mut left = self.options.poll;
                while !left.is_zero() && !stop() {
                    let nap = left.min(Duration::from_millis(100));
                    std::thread::sleep(nap);
                    left -= nap;
                }
            }
        }
    }
}

/// Reads `reading`, `alarm` and `link` records from `input` into the console until it ends.
/// A line that is not one of those is reported on stderr (an `error` record) and skipped:
/// the console never stops for its input.
pub fn read_input<R: Read>(console: &Console, input: R, max_line: usize) -> Result<(), Failure> {
    let mut sink = Output::to_writer(std::io::sink(), false);
    let outcome = RecordStream::new(input, OnError::Skip).with_max_line(max_line).run(
        &mut sink,
        |record: Value, _line, _out| {
            let mut result = Ok(false);
            console.update(|model| {
                result = model.apply_input(record);
                matches!(result, Ok(true))
            });
            result.map(|_| ()).map_err(Failure::from)
        },
    )?;
    log::info!("input ended: {} records taken, {} refused", outcome.processed, outcome.failed);
    Ok(())
}
