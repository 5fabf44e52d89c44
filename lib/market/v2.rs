//! EnergyMarket version 2 (`contracts/EnergyMarketV2.json`): bindings from its committed ABI,
//! the call data of every v2 action, and the EIP-712 delivery receipt a meter signs — hashed
//! by `alloy-sol-types` (`sol!` struct, `eip712_signing_hash`), never by hand.
//!
//! ```
//! use alloy_primitives::{Address, U256};
//! use evlock::market::v2::{DeliveryReceipt, receipt_domain};
//! let receipt = DeliveryReceipt { tradeId: U256::from(1), meter: Address::ZERO, cumulativeWh: U256::from(120) };
//! let domain = receipt_domain(1001, Address::ZERO);
//! let digest = evlock::market::v2::receipt_digest(&receipt, &domain);
//! assert_ne!(digest, alloy_primitives::B256::ZERO);
//! ```

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{Eip712Domain, SolCall, SolConstructor, SolStruct};

use crate::kaia::RecoverableSig;
use crate::wire::DeliveryReceiptRecord;

#[allow(missing_docs)]
mod bindings {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        EnergyMarketV2,
        "contracts/EnergyMarketV2.json"
    );

    alloy_sol_types::sol! {
        /// What a meter signs: it measured `cumulativeWh` for trade `tradeId` (EIP-712 type
        /// `DeliveryReceipt`, domain "EnergyMarket" version "2").
        #[derive(Debug, Default, PartialEq, Eq)]
        struct DeliveryReceipt {
            uint256 tradeId;
            address meter;
            uint256 cumulativeWh;
        }
    }
}

pub use bindings::{DeliveryReceipt, EnergyMarketV2};

/// The EIP-712 domain name of the market's receipts.
pub const DOMAIN_NAME: &str = "EnergyMarket";
/// The EIP-712 domain version of the market's receipts (the contract's version).
pub const DOMAIN_VERSION: &str = "2";

/// The receipt domain of the market contract `market` on chain `chain_id`.
pub fn receipt_domain(chain_id: u64, market: Address) -> Eip712Domain {
    alloy_sol_types::eip712_domain! {
        name: DOMAIN_NAME,
        version: DOMAIN_VERSION,
        chain_id: chain_id,
        verifying_contract: market,
    }
}

/// The digest a meter signs for `receipt` under `domain`.
pub fn receipt_digest(receipt: &DeliveryReceipt, domain: &Eip712Domain) -> B256 {
    receipt.eip712_signing_hash(domain)
}

/// A receipt with its meter's signature (v 27/28, low S), as the contract takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedReceipt {
    /// The trade.
    pub trade_id: U256,
    /// The meter that measured.
    pub meter: Address,
    /// Cumulative Wh the meter measured for the trade.
    pub cumulative_wh: U256,
    /// The signature over [`receipt_digest`].
    pub signature: RecoverableSig,
}

impl SignedReceipt {
    /// The signed part.
    pub fn receipt(&self) -> DeliveryReceipt {
        DeliveryReceipt { tradeId: self.trade_id, meter: self.meter, cumulativeWh: self.cumulative_wh }
    }

    /// The contract's `Receipt` tuple.
    pub fn to_abi(&self) -> EnergyMarketV2::Receipt {
        EnergyMarketV2::Receipt {
            tradeId: self.trade_id,
            meter: self.meter,
            cumulativeWh: self.cumulative_wh,
            v: 27 + u8::from(self.signature.y_parity),
            r: B256::from(self.signature.r),
            s: B256::from(self.signature.s),
        }
    }
}

/// Why a `delivery_receipt` record cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// A field is missing or malformed (exit 2).
    #[error("delivery_receipt field `{field}`: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The record carries no signature where one is needed (exit 2).
    #[error("the delivery receipt is not signed (no r/s/y_parity): a meter signs it first")]
    Unsigned,
    /// The signature does not recover to the record's `signer` (exit 1: tampered or forged).
    #[error("the delivery receipt's signature recovers to {recovered}, not to its signer {signer}")]
    WrongSigner {
        /// Who the signature recovers to.
        recovered: Address,
        /// The record's `signer`.
        signer: Address,
    },
}

impl crate::exit::ErrorClass for ReceiptError {
    fn exit_code(&self) -> crate::exit::ExitCode {
        match self {
            ReceiptError::WrongSigner { .. } => crate::exit::ExitCode::No,
            _ => crate::exit::ExitCode::Usage,
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            ReceiptError::Field { .. } => "bad_receipt",
            ReceiptError::Unsigned => "unsigned_receipt",
            ReceiptError::WrongSigner { .. } => "receipt_signer_mismatch",
        }
    }
}

/// A receipt record's domain and signed part: what a meter is asked to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRequest {
    /// The chain id.
    pub chain_id: u64,
    /// The market contract.
    pub market: Address,
    /// The signed part.
    pub receipt: DeliveryReceipt,
}

impl ReceiptRequest {
    /// Reads the domain and signed part of a `delivery_receipt` record.
    pub fn from_record(record: &DeliveryReceiptRecord) -> Result<Self, ReceiptError> {
        // Decimal digits only, as records are written: U256's own parser also takes hex, and
        // "0x" alone as zero, so a malformed field would pass as a figure.
        let number = |field: &'static str, text: &str| {
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ReceiptError::Field {
                    field,
                    reason: format!("{text:?} is not a decimal number"),
                });
            }
            text.parse::<U256>().map_err(|e| ReceiptError::Field { field, reason: format!("{text:?}: {e}") })
        };
        let address = |field: &'static str, text: &str| {
            crate::wire::parse_address(text).map_err(|e| ReceiptError::Field { field, reason: e.to_string() })
        };
        let chain_id =
            u64::try_from(number("chain_id", &record.chain_id)?).map_err(|_| ReceiptError::Field {
                field: "chain_id",
                reason: format!("{:?} is beyond a 64-bit chain id", record.chain_id),
            })?;
        Ok(ReceiptRequest {
            chain_id,
            market: address("market", &record.market)?,
            receipt: DeliveryReceipt {
                tradeId: number("trade_id", &record.trade_id)?,
                meter: address("meter", &record.meter)?,
                cumulativeWh: number("cumulative_wh", &record.cumulative_wh)?,
            },
        })
    }

    /// The EIP-712 digest to sign.
    pub fn digest(&self) -> B256 {
        receipt_digest(&self.receipt, &receipt_domain(self.chain_id, self.market))
    }

    /// The signed record: this request, `signature` by `signer`, and `meta`.
    pub fn signed_record(
        &self,
        signature: &RecoverableSig,
        signer: Address,
        meta: Option<serde_json::Value>,
    ) -> DeliveryReceiptRecord {
        DeliveryReceiptRecord {
            chain_id: self.chain_id.to_string(),
            market: self.market.to_checksum(None),
            trade_id: self.receipt.tradeId.to_string(),
            meter: self.receipt.meter.to_checksum(None),
            cumulative_wh: self.receipt.cumulativeWh.to_string(),
            digest: Some(self.digest().to_string()),
            signer: Some(signer.to_checksum(None)),
            r: Some(B256::from(signature.r).to_string()),
            s: Some(B256::from(signature.s).to_string()),
            y_parity: Some(u8::from(signature.y_parity)),
            meta,
        }
    }
}

impl SignedReceipt {
    /// Reads a signed `delivery_receipt` record, checking that its signature recovers to its
    /// `signer` (whether that signer is the meter's on chain is the contract's to decide).
    /// Returns the domain with it.
    pub fn from_record(
        record: &DeliveryReceiptRecord,
    ) -> Result<(ReceiptRequest, SignedReceipt), ReceiptError> {
        let request = ReceiptRequest::from_record(record)?;
        let (Some(r), Some(s), Some(y_parity)) = (&record.r, &record.s, record.y_parity) else {
            return Err(ReceiptError::Unsigned);
        };
        let word = |field: &'static str, text: &str| {
            text.parse::<B256>().map_err(|e| ReceiptError::Field { field, reason: format!("{text:?}: {e}") })
        };
        if y_parity > 1 {
            return Err(ReceiptError::Field {
                field: "y_parity",
                reason: format!("{y_parity} is not 0 or 1"),
            });
        }
        let signature = RecoverableSig::new(word("r", r)?.into(), word("s", s)?.into(), y_parity == 1);
        let recovered = signature
            .recover_address(&request.digest())
            .map_err(|e| ReceiptError::Field { field: "s", reason: e.to_string() })?;
        if let Some(signer) = &record.signer {
            let signer = crate::wire::parse_address(signer)
                .map_err(|e| ReceiptError::Field { field: "signer", reason: e.to_string() })?;
            if signer != recovered {
                return Err(ReceiptError::WrongSigner { recovered, signer });
            }
        }
        let signed = SignedReceipt {
            trade_id: request.receipt.tradeId,
            meter: request.receipt.meter,
            cumulative_wh: request.receipt.cumulativeWh,
            signature,
        };
        Ok((request, signed))
    }
}

/// One thing a participant asks the v2 market to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Deploy a market with a delivery window and a grace window, in blocks.
    Deploy {
        /// Blocks a trade has for delivery.
        delivery_blocks: u64,
        /// Blocks after the deadline in which only the seller settles an unfinished trade.
        grace_blocks: u64,
    },
    /// Offer the registrar role (registrar only).
    ProposeRegistrar {
        /// The proposed registrar (zero withdraws the offer).
        registrar: Address,
    },
    /// Take the registrar role offered to the sender.
    AcceptRegistrar,
    /// Vouch for a meter of an owner (registrar only).
    ProposeMeter {
        /// The meter's account.
        meter: Address,
        /// The owner's account.
        owner: Address,
    },
    /// Accept a meter proposed for the sender.
    AcceptMeter {
        /// The meter.
        meter: Address,
    },
    /// Revoke a meter for new trades (owner or registrar).
    RevokeMeter {
        /// The meter.
        meter: Address,
    },
    /// Set the address a meter's receipts are signed by (owner only).
    SetMeterSigner {
        /// The meter.
        meter: Address,
        /// Its new receipt-signing address.
        signer: Address,
    },
    /// Offer energy at a price per Wh until a block, to buyers with enough credit.
    Offer {
        /// Energy in Wh.
        energy_wh: U256,
        /// Price per Wh in peb.
        price_per_wh: U256,
        /// The last block at which the offer can be bought.
        expiry_block: U256,
        /// The lowest buyer credit accepted.
        min_buyer_credit: i64,
    },
    /// Buy an offer, sending `escrow` (energy × price).
    Buy {
        /// The offer.
        offer_id: U256,
        /// The highest price per Wh the buyer accepts.
        max_price_per_wh: U256,
        /// The lowest seller credit the buyer accepts.
        min_seller_credit: i64,
        /// The value sent: exactly energy × price.
        escrow: U256,
    },
    /// Report the cumulative Wh delivered so far (from the meter's account).
    Report {
        /// The trade.
        trade_id: U256,
        /// Cumulative Wh since the trade started.
        cumulative_wh: U256,
    },
    /// Record signed receipts.
    SubmitReceipts {
        /// The receipts.
        receipts: Vec<SignedReceipt>,
    },
    /// Settle a trade.
    Settle {
        /// The trade.
        trade_id: U256,
    },
    /// Record receipts of a trade and settle it in the same transaction.
    SettleWithReceipts {
        /// The trade.
        trade_id: U256,
        /// Its receipts (usually each side's latest).
        receipts: Vec<SignedReceipt>,
    },
    /// Cancel an unbought offer.
    Cancel {
        /// The offer.
        offer_id: U256,
    },
    /// Withdraw everything owed to the caller.
    Withdraw,
}

fn int(value: i64) -> alloy_primitives::I256 {
    alloy_primitives::I256::try_from(value).expect("an i64 fits an int256")
}

impl Action {
    /// The contract function's name (`deploy` for a deployment).
    pub fn function(&self) -> &'static str {
        match self {
            Action::Deploy { .. } => "deploy",
            Action::ProposeRegistrar { .. } => "proposeRegistrar",
            Action::AcceptRegistrar => "acceptRegistrar",
            Action::ProposeMeter { .. } => "proposeMeter",
            Action::AcceptMeter { .. } => "acceptMeter",
            Action::RevokeMeter { .. } => "revokeMeter",
            Action::SetMeterSigner { .. } => "setMeterSigner",
            Action::Offer { .. } => "offer",
            Action::Buy { .. } => "buy",
            Action::Report { .. } => "report",
            Action::SubmitReceipts { .. } => "submitReceipts",
            Action::Settle { .. } => "settle",
            Action::SettleWithReceipts { .. } => "settleWithReceipts",
            Action::Cancel { .. } => "cancel",
            Action::Withdraw => "withdraw",
        }
    }

    /// The transaction input: init code with constructor arguments for a deployment, else
    /// the ABI-encoded call.
    pub fn call_data(&self) -> Vec<u8> {
        use EnergyMarketV2 as M;
        let abi = |receipts: &[SignedReceipt]| receipts.iter().map(SignedReceipt::to_abi).collect::<Vec<_>>();
        match self {
            Action::Deploy { delivery_blocks, grace_blocks } => {
                let mut code = M::BYTECODE.to_vec();
                code.extend(
                    M::constructorCall {
                        deliveryBlocks_: U256::from(*delivery_blocks),
                        graceBlocks_: U256::from(*grace_blocks),
                    }
                    .abi_encode(),
                );
                code
            }
            Action::ProposeRegistrar { registrar } => {
                M::proposeRegistrarCall { proposed: *registrar }.abi_encode()
            }
            Action::AcceptRegistrar => M::acceptRegistrarCall {}.abi_encode(),
            Action::ProposeMeter { meter, owner } => {
                M::proposeMeterCall { meter: *meter, owner: *owner }.abi_encode()
            }
            Action::AcceptMeter { meter } => M::acceptMeterCall { meter: *meter }.abi_encode(),
            Action::RevokeMeter { meter } => M::revokeMeterCall { meter: *meter }.abi_encode(),
            Action::SetMeterSigner { meter, signer } => {
                M::setMeterSignerCall { meter: *meter, signer: *signer }.abi_encode()
            }
            Action::Offer { energy_wh, price_per_wh, expiry_block, min_buyer_credit } => M::offerCall {
                energyWh: *energy_wh,
                pricePerWh: *price_per_wh,
                expiryBlock: *expiry_block,
                minBuyerCredit: int(*min_buyer_credit),
            }
            .abi_encode(),
            Action::Buy { offer_id, max_price_per_wh, min_seller_credit, .. } => M::buyCall {
                offerId: *offer_id,
                maxPricePerWh: *max_price_per_wh,
                minSellerCredit: int(*min_seller_credit),
            }
            .abi_encode(),
            Action::Report { trade_id, cumulative_wh } => {
                M::reportCall { tradeId: *trade_id, cumulativeWh: *cumulative_wh }.abi_encode()
            }
            Action::SubmitReceipts { receipts } => {
                M::submitReceiptsCall { receipts: abi(receipts) }.abi_encode()
            }
            Action::Settle { trade_id } => M::settleCall { tradeId: *trade_id }.abi_encode(),
            Action::SettleWithReceipts { trade_id, receipts } => {
                M::settleWithReceiptsCall { tradeId: *trade_id, receipts: abi(receipts) }.abi_encode()
            }
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

/// A version 2 event that version 1 does not have (meters, the registrar, receipts, offers
/// with a credit minimum), decoded like [`super::decode_event`].
pub fn decode_event(topics: &[B256], data: &[u8]) -> Option<(&'static str, serde_json::Value)> {
    use super::{addr, num};
    use EnergyMarketV2 as M;
    use alloy_sol_types::SolEvent;
    use serde_json::json;
    macro_rules! decode {
        ($event:ty) => {
            <$event>::decode_raw_log(topics.iter().copied(), data).ok()?
        };
    }
    let decoded = match *topics.first()? {
        M::OfferCreated::SIGNATURE_HASH => {
            let e = decode!(M::OfferCreated);
            (
                "OfferCreated",
                json!({"offer_id": num(e.offerId), "seller": addr(&e.seller), "energy_wh": num(e.energyWh),
                       "price_per_wh": num(e.pricePerWh), "expiry_block": num(e.expiryBlock),
                       "min_buyer_credit": num(e.minBuyerCredit)}),
            )
        }
        M::MeterProposed::SIGNATURE_HASH => {
            let e = decode!(M::MeterProposed);
            ("MeterProposed", json!({"meter": addr(&e.meter), "owner": addr(&e.owner)}))
        }
        M::MeterAccepted::SIGNATURE_HASH => {
            let e = decode!(M::MeterAccepted);
            ("MeterAccepted", json!({"meter": addr(&e.meter), "owner": addr(&e.owner)}))
        }
        M::MeterRevoked::SIGNATURE_HASH => {
            let e = decode!(M::MeterRevoked);
            (
                "MeterRevoked",
                json!({"meter": addr(&e.meter), "owner": addr(&e.owner), "last_trade": num(e.lastTrade)}),
            )
        }
        M::MeterSignerChanged::SIGNATURE_HASH => {
            let e = decode!(M::MeterSignerChanged);
            ("MeterSignerChanged", json!({"meter": addr(&e.meter), "signer": addr(&e.signer)}))
        }
        M::RegistrarProposed::SIGNATURE_HASH => {
            let e = decode!(M::RegistrarProposed);
            ("RegistrarProposed", json!({"registrar": addr(&e.registrar), "proposed": addr(&e.proposed)}))
        }
        M::RegistrarChanged::SIGNATURE_HASH => {
            let e = decode!(M::RegistrarChanged);
            ("RegistrarChanged", json!({"previous": addr(&e.previous), "registrar": addr(&e.registrar)}))
        }
        M::ReceiptAccepted::SIGNATURE_HASH => {
            let e = decode!(M::ReceiptAccepted);
            (
                "ReceiptAccepted",
                json!({"trade_id": num(e.tradeId), "meter": addr(&e.meter), "seller_side": e.sellerSide,
                       "cumulative_wh": num(e.cumulativeWh)}),
            )
        }
        _ => return None,
    };
    Some(decoded)
}

fn receipt_fields(receipts: &[SignedReceipt]) -> serde_json::Value {
    use super::{addr, num};
    receipts
        .iter()
        .map(|r| serde_json::json!({"trade": num(r.trade_id), "meter": addr(&r.meter), "cumulative_wh": num(r.cumulative_wh)}))
        .collect()
}

impl super::MarketCall for Action {
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
        // About 1.5× the devnet's figures; receipts cost per receipt (a recovery and a store).
        let per_receipt = |receipts: &[SignedReceipt]| 45_000 * receipts.len() as u64;
        match self {
            Action::Deploy { .. } => 4_800_000,
            Action::ProposeRegistrar { .. } | Action::AcceptRegistrar => 80_000,
            Action::ProposeMeter { .. } => 110_000,
            Action::AcceptMeter { .. } | Action::RevokeMeter { .. } | Action::SetMeterSigner { .. } => 80_000,
            Action::Offer { .. } => 180_000,
            Action::Buy { .. } => 240_000,
            Action::Report { .. } => 80_000,
            Action::SubmitReceipts { receipts } => 60_000 + per_receipt(receipts),
            Action::Settle { .. } => 210_000,
            Action::SettleWithReceipts { receipts, .. } => 210_000 + per_receipt(receipts),
            Action::Cancel { .. } => 60_000,
            Action::Withdraw => 80_000,
        }
    }
    fn describe(&self) -> serde_json::Map<String, serde_json::Value> {
        use super::{addr, num};
        use serde_json::json;
        let fields = match self {
            Action::Deploy { delivery_blocks, grace_blocks } => {
                json!({"delivery_blocks": num(delivery_blocks), "grace_blocks": num(grace_blocks)})
            }
            Action::ProposeRegistrar { registrar } => json!({"registrar": addr(registrar)}),
            Action::AcceptRegistrar => json!({}),
            Action::ProposeMeter { meter, owner } => json!({"meter": addr(meter), "owner": addr(owner)}),
            Action::AcceptMeter { meter } | Action::RevokeMeter { meter } => json!({"meter": addr(meter)}),
            Action::SetMeterSigner { meter, signer } => json!({"meter": addr(meter), "signer": addr(signer)}),
            Action::Offer { energy_wh, price_per_wh, expiry_block, min_buyer_credit } => json!({
                "energy_wh": num(energy_wh), "price_per_wh": num(price_per_wh),
                "expiry_block": num(expiry_block), "min_buyer_credit": num(min_buyer_credit)
            }),
            Action::Buy { offer_id, max_price_per_wh, min_seller_credit, escrow } => json!({
                "offer": num(offer_id), "max_price_per_wh": num(max_price_per_wh),
                "min_seller_credit": num(min_seller_credit), "escrow": num(escrow)
            }),
            Action::Report { trade_id, cumulative_wh } => {
                json!({"trade": num(trade_id), "cumulative_wh": num(cumulative_wh)})
            }
            Action::SubmitReceipts { receipts } => json!({"receipts": receipt_fields(receipts)}),
            Action::Settle { trade_id } => json!({"trade": num(trade_id)}),
            Action::SettleWithReceipts { trade_id, receipts } => {
                json!({"trade": num(trade_id), "receipts": receipt_fields(receipts)})
            }
            Action::Cancel { offer_id } => json!({"offer": num(offer_id)}),
            Action::Withdraw => json!({}),
        };
        let mut map = super::object(fields);
        map.insert("version".into(), json!("2"));
        map
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use alloy_primitives::keccak256;

    use crate::exit::{ErrorClass, ExitCode};

    /// The market of the test receipts.
    pub(crate) const MARKET: &str = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    /// The meter of the test receipts.
    pub(crate) const METER: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

    /// A key of 32 bytes `byte`.
    pub(crate) fn key(byte: u8) -> k256::ecdsa::SigningKey {
        k256::ecdsa::SigningKey::from_slice(&[byte; 32]).unwrap()
    }

    pub(crate) fn address_of(key: &k256::ecdsa::SigningKey) -> Address {
        crate::kaia::address_of(key.verifying_key())
    }

    /// An edit of a record.
    type Change = fn(&mut DeliveryReceiptRecord);

    /// A record for trade 7 of 120 Wh of meter [`METER`] on market [`MARKET`], signed by `key`.
    fn signed(key: &k256::ecdsa::SigningKey) -> DeliveryReceiptRecord {
        receipt_record(key, 31337, MARKET, 7, 120)
    }

    /// A `delivery_receipt` record of `wh` for trade `trade` of meter [`METER`], signed by `key`
    /// (for the tests of the modules that take receipts).
    pub(crate) fn receipt_record(
        key: &k256::ecdsa::SigningKey,
        chain_id: u64,
        market: &str,
        trade: u64,
        wh: u64,
    ) -> DeliveryReceiptRecord {
        let unsigned = DeliveryReceiptRecord {
            chain_id: chain_id.to_string(),
            market: market.into(),
            trade_id: trade.to_string(),
            meter: METER.into(),
            cumulative_wh: wh.to_string(),
            digest: None,
            signer: None,
            r: None,
            s: None,
            y_parity: None,
            meta: None,
        };
        let request = ReceiptRequest::from_record(&unsigned).unwrap();
        let signature = RecoverableSig::sign_prehash(key, &request.digest()).unwrap();
        request.signed_record(&signature, address_of(key), Some(serde_json::json!({"seq": 3})))
    }

    #[test]
    fn a_signed_record_reads_back_as_the_receipt_its_signer_signed() {
        let meter_key = key(7);
        let record = signed(&meter_key);
        assert_eq!(record.signer.as_deref(), Some(address_of(&meter_key).to_checksum(None).as_str()));
        assert_eq!(record.meta, Some(serde_json::json!({"seq": 3})));
        let (request, receipt) = SignedReceipt::from_record(&record).unwrap();
        assert_eq!(request.chain_id, 31337);
        assert_eq!(request.market, crate::wire::parse_address(MARKET).unwrap());
        assert_eq!(record.digest, Some(request.digest().to_string()));
        let expected = DeliveryReceipt {
            tradeId: U256::from(7),
            meter: crate::wire::parse_address(METER).unwrap(),
            cumulativeWh: U256::from(120),
        };
        assert_eq!(receipt.receipt(), expected);
        assert_eq!(request.receipt, expected);
        assert_eq!(receipt.signature.recover_address(&request.digest()).unwrap(), address_of(&meter_key));
        let abi = receipt.to_abi();
        assert_eq!(
            (abi.tradeId, abi.meter, abi.cumulativeWh),
            (U256::from(7), expected.meter, U256::from(120))
        );
        assert_eq!(abi.v, 27 + u8::from(receipt.signature.y_parity));
        assert_eq!((abi.r, abi.s), (B256::from(receipt.signature.r), B256::from(receipt.signature.s)));
        // Both parities occur: v is 27 for one and 28 for the other.
        let parities: std::collections::BTreeSet<u8> =
            (1..=8).map(|b| SignedReceipt::from_record(&signed(&key(b))).unwrap().1.to_abi().v).collect();
        assert_eq!(parities, [27, 28].into());
    }

    #[test]
    fn the_digest_binds_the_chain_the_market_and_every_signed_field() {
        let record = signed(&key(7));
        let base = ReceiptRequest::from_record(&record).unwrap().digest();
        let changes: [Change; 5] = [
            |r| r.chain_id = "31338".into(),
            |r| r.market = METER.into(),
            |r| r.trade_id = "8".into(),
            |r| r.meter = MARKET.into(),
            |r| r.cumulative_wh = "121".into(),
        ];
        for change in changes {
            let mut other = record.clone();
            change(&mut other);
            let request = ReceiptRequest::from_record(&other).unwrap();
            assert_ne!(request.digest(), base, "{other:?}");
            // The signature no longer recovers to the record's signer: tampered.
            let error = SignedReceipt::from_record(&other).unwrap_err();
            assert!(matches!(error, ReceiptError::WrongSigner { .. }), "{error}");
            assert_eq!(error.exit_code(), ExitCode::No);
            assert_eq!(error.error_code(), "receipt_signer_mismatch");
        }
        assert_ne!(
            receipt_domain(1, Address::ZERO).separator(),
            receipt_domain(2, Address::ZERO).separator()
        );
    }

    #[test]
    fn a_record_signed_by_another_key_than_its_signer_is_refused_and_without_a_signer_it_recovers() {
        let mut record = signed(&key(7));
        record.signer = Some(address_of(&key(8)).to_checksum(None));
        match SignedReceipt::from_record(&record).unwrap_err() {
            ReceiptError::WrongSigner { recovered, signer } => {
                assert_eq!((recovered, signer), (address_of(&key(7)), address_of(&key(8))));
            }
            other => panic!("{other}"),
        }
        record.signer = None;
        let (request, receipt) = SignedReceipt::from_record(&record).unwrap();
        assert_eq!(receipt.signature.recover_address(&request.digest()).unwrap(), address_of(&key(7)));
    }

    #[test]
    fn unsigned_and_malformed_records_name_what_is_wrong() {
        let good = signed(&key(7));
        for strip in [0, 1, 2] {
            let mut record = good.clone();
            match strip {
                0 => record.r = None,
                1 => record.s = None,
                _ => record.y_parity = None,
            }
            let error = SignedReceipt::from_record(&record).unwrap_err();
            assert!(matches!(error, ReceiptError::Unsigned), "{error}");
            assert_eq!((error.exit_code(), error.error_code()), (ExitCode::Usage, "unsigned_receipt"));
        }
        let cases: [(Change, &str); 12] = [
            (|r| r.y_parity = Some(2), "y_parity"),
            (|r| r.chain_id = "-1".into(), "chain_id"),
            (|r| r.chain_id = "18446744073709551616".into(), "chain_id"),
            (|r| r.trade_id = "0x".into(), "trade_id"),
            (|r| r.trade_id = "0x7".into(), "trade_id"),
            (|r| r.chain_id = "+31337".into(), "chain_id"),
            (|r| r.cumulative_wh = String::new(), "cumulative_wh"),
            (|r| r.cumulative_wh = "1".repeat(100), "cumulative_wh"),
            (|r| r.meter = "0x1234".into(), "meter"),
            (|r| r.market = "market".into(), "market"),
            (|r| r.r = Some("0xzz".into()), "r"),
            (|r| r.signer = Some("0x00".into()), "signer"),
        ];
        for (change, field) in cases {
            let mut record = good.clone();
            change(&mut record);
            match SignedReceipt::from_record(&record).unwrap_err() {
                ReceiptError::Field { field: named, .. } => assert_eq!(named, field, "{record:?}"),
                other => panic!("{field}: {other}"),
            }
        }
        // y_parity 1 and 0 are the only parities; the other one recovers another key.
        let mut flipped = good.clone();
        flipped.y_parity = Some(1 - good.y_parity.unwrap());
        assert!(SignedReceipt::from_record(&flipped).is_err());
        let error = ReceiptError::Field { field: "s", reason: "x".into() };
        assert_eq!((error.exit_code(), error.error_code()), (ExitCode::Usage, "bad_receipt"));
    }

    #[test]
    fn the_receipt_type_hash_is_the_contracts() {
        let declared = keccak256("DeliveryReceipt(uint256 tradeId,address meter,uint256 cumulativeWh)");
        assert_eq!(DeliveryReceipt::default().eip712_type_hash(), declared);
    }

    #[test]
    fn selectors_match_the_solidity_signatures() {
        let receipts = Vec::new();
        let cases = [
            (
                Action::SubmitReceipts { receipts: receipts.clone() },
                "submitReceipts((uint256,address,uint256,uint8,bytes32,bytes32)[])",
            ),
            (
                Action::SettleWithReceipts { trade_id: U256::from(1), receipts },
                "settleWithReceipts(uint256,(uint256,address,uint256,uint8,bytes32,bytes32)[])",
            ),
            (
                Action::Offer {
                    energy_wh: U256::from(1),
                    price_per_wh: U256::from(1),
                    expiry_block: U256::from(1),
                    min_buyer_credit: -3,
                },
                "offer(uint256,uint256,uint256,int256)",
            ),
            (
                Action::Buy {
                    offer_id: U256::from(1),
                    max_price_per_wh: U256::from(1),
                    min_seller_credit: 0,
                    escrow: U256::ZERO,
                },
                "buy(uint256,uint256,int256)",
            ),
            (Action::AcceptMeter { meter: Address::ZERO }, "acceptMeter(address)"),
            (Action::AcceptRegistrar, "acceptRegistrar()"),
        ];
        for (action, signature) in cases {
            assert_eq!(&action.call_data()[..4], &keccak256(signature)[..4], "{signature}");
        }
    }
}
