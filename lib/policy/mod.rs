//! The signing policy: what a signer may sign, declared in a TOML file.
//!
//! A meter's key should sign reports to one contract and nothing else; an operator's fee-payer
//! key should sponsor only the market's calls, at sane gas prices. `evlock-sign --policy FILE`
//! checks every request against the file before any signature is made, and records the file's
//! sha256 in every `signed_tx`. Every field is optional: what is not restricted is allowed.
//!
//! ```toml
//! # Which chains, which transaction types.
//! chain_ids = [1001, 31337]
//! tx_types = ["smart_contract_execution", "fee_delegated_smart_contract_execution"]
//!
//! # Per-transaction limits. Amounts take units: peb (default), ston, KAIA.
//! max_value = "0"
//! max_gas = 300000
//! max_gas_price = "50 ston"
//! allow_deploy = false
//!
//! # At most this much value over any rolling window (counted across runs via the audit log).
//! [window]
//! seconds = 3600
//! max_value = "10 KAIA"
//!
//! # Which recipients, and for contracts which functions (4-byte selectors).
//! [[allow]]
//! to = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
//! selectors = ["0x1a2b3c4d"]
//! ```
//!
//! With `[[allow]]` entries present, `to` must match one of them; an entry with `selectors`
//! accepts only calls whose data starts with one of them (no plain transfers), an entry
//! without `selectors` accepts any data.
//!
//! EnergyMarketV2 delivery receipts (`delivery_receipt` records) are refused unless the policy
//! says otherwise — a meter signs receipts from its own readings inside its delivery session,
//! never from figures piped to it. A technician's test bench may allow them, for named market
//! contracts (and, through `chain_ids`, chains):
//!
//! ```toml
//! allow_receipts = true
//! receipt_markets = ["0x5FbDB2315678afecb367f032d93F642f64180aa3"]
//! ```

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use alloy_primitives::{Address, U256};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::exit::{ErrorClass, ExitCode};
use crate::units::parse_amount;

/// Why a policy file cannot be used, or why a request is denied.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The policy file cannot be read.
    #[error("cannot read policy file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The policy file is not valid TOML for a policy, or a value in it is out of range.
    #[error("invalid policy file {path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the TOML location when there is one.
        reason: String,
    },
    /// The request breaks a rule of the policy.
    #[error("denied by policy: {0}")]
    Denied(String),
}

impl ErrorClass for PolicyError {
    fn exit_code(&self) -> ExitCode {
        match self {
            PolicyError::Denied(_) => ExitCode::No,
            _ => ExitCode::Usage,
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            PolicyError::Denied(_) => "policy_denied",
            _ => "bad_policy",
        }
    }
}

/// What a policy needs to know about a signing request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The chain id the transaction is bound to.
    pub chain_id: u64,
    /// The transaction type's wire name (`value_transfer`, `eip1559`, …).
    pub tx_type: String,
    /// The recipient; `None` for a contract deployment.
    pub to: Option<Address>,
    /// The value sent, in peb.
    pub value: U256,
    /// The call data.
    pub input_selector: Option<[u8; 4]>,
    /// Whether the call data is empty.
    pub input_empty: bool,
    /// The gas limit.
    pub gas: u64,
    /// The highest price per gas the transaction can pay (gas price or max fee per gas).
    pub gas_price: U256,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    chain_ids: Option<Vec<u64>>,
    tx_types: Option<Vec<String>>,
    max_value: Option<toml::Value>,
    max_gas: Option<u64>,
    max_gas_price: Option<toml::Value>,
    #[serde(default)]
    allow_deploy: Option<bool>,
    window: Option<WindowFile>,
    #[serde(default)]
    allow: Vec<AllowFile>,
    allow_receipts: Option<bool>,
    receipt_markets: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowFile {
    seconds: u64,
    max_value: toml::Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowFile {
    to: String,
    selectors: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
struct Allow {
    to: Address,
    selectors: Option<Vec<[u8; 4]>>,
}

/// A loaded signing policy, with the rolling-window state of this signer.
#[derive(Debug, Clone)]
pub struct Policy {
    sha256: String,
    chain_ids: Option<Vec<u64>>,
    tx_types: Option<Vec<String>>,
    max_value: Option<U256>,
    max_gas: Option<u64>,
    max_gas_price: Option<U256>,
    allow_deploy: bool,
    window: Option<(Duration, U256)>,
    allow: Vec<Allow>,
    allow_receipts: bool,
    receipt_markets: Vec<Address>,
    spent: VecDeque<(SystemTime, U256)>,
}

impl Policy {
    /// Reads and checks a policy file.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let bytes = crate::wire::read_file_capped(path, crate::wire::MAX_FILE_BYTES)
            .map_err(|source| PolicyError::Read { path: path.to_path_buf(), source })?;
        Policy::parse(&bytes, path)
    }

    /// Parses policy TOML; `path` is only used in messages.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self, PolicyError> {
        let invalid = |reason: String| PolicyError::Invalid { path: path.to_path_buf(), reason };
        let text = std::str::from_utf8(bytes).map_err(|_| invalid("not UTF-8 text".into()))?;
        let file: PolicyFile = toml::from_str(text).map_err(|e| invalid(e.to_string().trim().to_string()))?;
        let amount = |field: &str, value: &toml::Value| -> Result<U256, PolicyError> {
            let text = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) if *i >= 0 => i.to_string(),
                other => {
                    return Err(invalid(format!("{field}: expected an amount like \"2 KAIA\", got {other}")));
                }
            };
            parse_amount(&text).map_err(|e| invalid(format!("{field}: {e}")))
        };
        let tx_types = file
            .tx_types
            .map(|types| {
                types
                    .into_iter()
                    .map(|t| match crate::kaia::TxType::from_name(&t) {
                        // Any spelling Kaia uses is accepted; requests carry the wire name.
                        Some(known) => Ok(known.name().to_string()),
                        None => Err(invalid(format!("tx_types: unknown type {t:?}"))),
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        let allow = file
            .allow
            .into_iter()
            .map(|entry| {
                let to = crate::wire::parse_address(entry.to.trim())
                    .map_err(|e| invalid(format!("allow.to: {e}")))?;
                let selectors = entry
                    .selectors
                    .map(|list| {
                        list.iter()
                            .map(|s| {
                                let digits = s.strip_prefix("0x").unwrap_or(s);
                                let bytes = hex::decode(digits)
                                    .map_err(|e| invalid(format!("selector {s:?}: {e}")))?;
                                <[u8; 4]>::try_from(bytes.as_slice())
                                    .map_err(|_| invalid(format!("selector {s:?}: must be 4 bytes")))
                            })
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .transpose()?;
                Ok(Allow { to, selectors })
            })
            .collect::<Result<Vec<_>, PolicyError>>()?;
        let window = file
            .window
            .map(|w| {
                if w.seconds == 0 {
                    return Err(invalid("window.seconds must be positive".into()));
                }
                Ok((Duration::from_secs(w.seconds), amount("window.max_value", &w.max_value)?))
            })
            .transpose()?;
        let receipt_markets = file
            .receipt_markets
            .unwrap_or_default()
            .iter()
            .map(|m| {
                crate::wire::parse_address(m.trim()).map_err(|e| invalid(format!("receipt_markets: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let allow_receipts = file.allow_receipts.unwrap_or(false);
        if allow_receipts && receipt_markets.is_empty() {
            return Err(invalid(
                "allow_receipts needs receipt_markets: the market contracts receipts are for".into(),
            ));
        }
        Ok(Policy {
            sha256: hex::encode(Sha256::digest(bytes)),
            allow_receipts,
            receipt_markets,
            chain_ids: file.chain_ids,
            tx_types,
            max_value: file.max_value.as_ref().map(|v| amount("max_value", v)).transpose()?,
            max_gas: file.max_gas,
            max_gas_price: file.max_gas_price.as_ref().map(|v| amount("max_gas_price", v)).transpose()?,
            allow_deploy: file.allow_deploy.unwrap_or(false),
            window,
            allow,
            spent: VecDeque::new(),
        })
    }

    /// The sha256 of the policy file's bytes, hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Counts value already signed at `at` (e.g. from the audit log) toward the rolling window.
    pub fn remember_spent(&mut self, at: SystemTime, value: U256) {
        if self.window.is_some() && !value.is_zero() {
            self.spent.push_back((at, value));
        }
    }

    /// Checks a delivery receipt for market contract `market` on chain `chain_id`: refused
    /// unless `allow_receipts` and the market is one of `receipt_markets` (and the chain one
    /// of `chain_ids`, when given).
    pub fn check_receipt(&self, chain_id: u64, market: Address) -> Result<(), PolicyError> {
        let deny = |reason: String| Err(PolicyError::Denied(reason));
        if !self.allow_receipts {
            return deny(
                "delivery receipts are not allowed (allow_receipts): a meter signs them from its own readings".into(),
            );
        }
        if let Some(ids) = &self.chain_ids
            && !ids.contains(&chain_id)
        {
            return deny(format!("chain id {chain_id} is not in {ids:?}"));
        }
        if !self.receipt_markets.contains(&market) {
            return deny(format!("market {market} is not in receipt_markets"));
        }
        Ok(())
    }

    /// Checks a request at time `now`. On approval the value counts toward the window.
    pub fn check(&mut self, request: &Request, now: SystemTime) -> Result<(), PolicyError> {
        let deny = |reason: String| Err(PolicyError::Denied(reason));
        if let Some(ids) = &self.chain_ids
            && !ids.contains(&request.chain_id)
        {
            return deny(format!("chain id {} is not in {ids:?}", request.chain_id));
        }
        if let Some(types) = &self.tx_types
            && !types.contains(&request.tx_type)
        {
            return deny(format!("transaction type {} is not allowed", request.tx_type));
        }
        if let Some(max) = self.max_gas
            && request.gas > max
        {
            return deny(format!("gas {} exceeds max_gas {max}", request.gas));
        }
        if let Some(max) = self.max_gas_price
            && request.gas_price > max
        {
            return deny(format!("gas price {} peb exceeds max_gas_price {max} peb", request.gas_price));
        }
        if let Some(max) = self.max_value
            && request.value > max
        {
            return deny(format!("value {} peb exceeds max_value {max} peb", request.value));
        }
        match request.to {
            None if !self.allow_deploy => {
                return deny("contract deployment is not allowed (allow_deploy)".into());
            }
            None => {}
            Some(to) if !self.allow.is_empty() => {
                let Some(entry) = self.allow.iter().find(|a| a.to == to) else {
                    return deny(format!("recipient {to} is not in the allow list"));
                };
                if let Some(selectors) = &entry.selectors {
                    match request.input_selector {
                        Some(selector) if selectors.contains(&selector) => {}
                        Some(selector) => {
                            return deny(format!(
                                "function 0x{} is not allowed on {to}",
                                hex::encode(selector)
                            ));
                        }
                        None if request.input_empty => {
                            return deny(format!(
                                "plain transfers to {to} are not allowed (only listed functions)"
                            ));
                        }
                        None => {
                            return deny(format!("call data to {to} is shorter than a function selector"));
                        }
                    }
                }
            }
            Some(_) => {}
        }
        if let Some((span, max)) = self.window {
            while self
                .spent
                .front()
                .is_some_and(|(at, _)| now.duration_since(*at).unwrap_or_default() >= span)
            {
                self.spent.pop_front();
            }
            let total = self.spent.iter().fold(U256::ZERO, |acc, (_, v)| acc.saturating_add(*v));
            let after = total.saturating_add(request.value);
            if after > max {
                return deny(format!(
                    "value {} peb would bring the last {}s to {after} peb, over the window's {max} peb",
                    request.value,
                    span.as_secs()
                ));
            }
            self.remember_spent(now, request.value);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKET: &str = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

    fn policy(text: &str) -> Policy {
        Policy::parse(text.as_bytes(), Path::new("test.toml")).unwrap()
    }

    fn call(value: u64) -> Request {
        Request {
            chain_id: 31337,
            tx_type: "smart_contract_execution".into(),
            to: Some(MARKET.parse().unwrap()),
            value: U256::from(value),
            input_selector: Some([0x1a, 0x2b, 0x3c, 0x4d]),
            input_empty: false,
            gas: 100_000,
            gas_price: U256::from(25_000_000_000u64),
        }
    }

    #[test]
    fn receipts_are_refused_unless_allowed_for_a_named_market() {
        let market: Address = MARKET.parse().unwrap();
        let other = Address::repeat_byte(7);
        let denied = |p: &Policy, chain: u64, m: Address| p.check_receipt(chain, m).unwrap_err().to_string();
        assert!(denied(&policy(""), 31337, market).contains("allow_receipts"));
        let bench =
            policy(&format!("chain_ids = [31337]\nallow_receipts = true\nreceipt_markets = [\"{MARKET}\"]"));
        assert!(bench.check_receipt(31337, market).is_ok());
        assert!(denied(&bench, 31337, other).contains("receipt_markets"));
        assert!(denied(&bench, 1001, market).contains("chain id 1001"));
        let error = Policy::parse(b"allow_receipts = true", Path::new("p.toml")).unwrap_err().to_string();
        assert!(error.contains("needs receipt_markets"), "{error}");
    }

    #[test]
    fn an_empty_policy_allows_everything_but_deploys() {
        let mut p = policy("");
        let now = SystemTime::now();
        assert!(p.check(&call(u64::MAX), now).is_ok());
        let deploy = Request { to: None, ..call(0) };
        assert!(p.check(&deploy, now).is_err());
        assert!(policy("allow_deploy = true").check(&deploy, now).is_ok());
        assert_eq!(p.sha256(), hex::encode(Sha256::digest(b"")));
    }

    #[test]
    fn each_limit_allows_exactly_the_limit_and_denies_one_more() {
        let text = "max_value = \"1 KAIA\"\nmax_gas = 200000\nmax_gas_price = \"30 ston\"\n";
        let now = SystemTime::now();
        let mut p = policy(text);
        let kaia = 1_000_000_000_000_000_000u64;
        let ston30 = U256::from(30_000_000_000u64);
        let at_limit = [
            Request { gas: 200_000, ..call(0) },
            Request { gas_price: ston30, ..call(0) },
            call(kaia),
            Request { gas: 200_000, gas_price: ston30, ..call(kaia) },
        ];
        for request in at_limit {
            assert!(p.check(&request, now).is_ok(), "{request:?} is at the limit, not over it");
        }
        let over = [
            (Request { gas: 200_001, ..call(0) }, "gas 200001 exceeds max_gas 200000"),
            (
                Request { gas_price: ston30 + U256::from(1), ..call(0) },
                "exceeds max_gas_price 30000000000 peb",
            ),
            (call(kaia + 1), "exceeds max_value 1000000000000000000 peb"),
        ];
        for (request, reason) in over {
            let error = p.check(&request, now).unwrap_err().to_string();
            assert!(error.contains(reason), "{error} should say {reason}");
        }
    }

    #[test]
    fn the_window_allows_exactly_its_maximum() {
        let now = SystemTime::now();
        let mut p = policy("[window]\nseconds = 60\nmax_value = \"100 peb\"\n");
        assert!(p.check(&call(60), now).is_ok());
        assert!(p.check(&call(40), now).is_ok(), "60 + 40 is exactly the window's 100");
        assert!(p.check(&call(1), now).is_err(), "one more is over");
        // Past the span, the window is empty again.
        assert!(p.check(&call(100), now + Duration::from_secs(60)).is_ok());
    }

    #[test]
    fn remember_spent_counts_only_real_value_in_a_window() {
        let now = SystemTime::now();
        // Without a window nothing is kept (a long-running signer must not grow without bound).
        let mut plain = policy("max_value = \"1 KAIA\"");
        plain.remember_spent(now, U256::from(5));
        assert!(plain.spent.is_empty(), "no window, nothing to remember");
        // With one, a zero value is not an entry, and a real one counts against the window.
        let mut windowed = policy("[window]\nseconds = 60\nmax_value = \"100 peb\"\n");
        windowed.remember_spent(now, U256::ZERO);
        assert!(windowed.spent.is_empty(), "a zero value is not remembered");
        windowed.remember_spent(now, U256::from(70));
        assert_eq!(windowed.spent.len(), 1);
        assert!(windowed.check(&call(30), now).is_ok());
        let error = windowed.check(&call(1), now).unwrap_err().to_string();
        assert!(error.contains("over the window's 100 peb"), "{error}");
    }

    #[test]
    fn each_rule_denies_with_a_reason() {
        let text = format!(
            "chain_ids = [31337]\ntx_types = [\"smart_contract_execution\"]\nmax_value = \"1 KAIA\"\nmax_gas = 200000\nmax_gas_price = \"30 ston\"\n[[allow]]\nto = \"{MARKET}\"\nselectors = [\"0x1a2b3c4d\"]\n"
        );
        let now = SystemTime::now();
        let mut p = policy(&text);
        assert!(p.check(&call(5), now).is_ok());
        let cases = [
            (Request { chain_id: 1, ..call(0) }, "chain id 1"),
            (Request { tx_type: "value_transfer".into(), ..call(0) }, "value_transfer"),
            (Request { gas: 200_001, ..call(0) }, "max_gas"),
            (Request { gas_price: U256::from(31_000_000_000u64), ..call(0) }, "max_gas_price"),
            (call(2_000_000_000_000_000_000), "max_value"),
            (Request { to: Some(Address::ZERO), ..call(0) }, "allow list"),
            (Request { input_selector: Some([0; 4]), ..call(0) }, "function 0x00000000"),
            (Request { input_selector: None, input_empty: true, ..call(0) }, "plain transfers"),
            (
                Request { input_selector: None, input_empty: false, ..call(0) },
                "shorter than a function selector",
            ),
        ];
        for (request, reason) in cases {
            let error = p.check(&request, now).unwrap_err().to_string();
            assert!(error.contains(reason), "{error} should mention {reason}");
        }
    }

    #[test]
    fn rolling_window_counts_and_forgets() {
        let mut p = policy("[window]\nseconds = 60\nmax_value = 100\n");
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert!(p.check(&call(60), t0).is_ok());
        assert!(p.check(&call(40), t0 + Duration::from_secs(10)).is_ok());
        assert!(p.check(&call(1), t0 + Duration::from_secs(20)).is_err(), "100 already spent");
        assert!(p.check(&call(60), t0 + Duration::from_secs(60)).is_ok(), "the first 60 left the window");
        assert!(p.check(&call(1), t0 + Duration::from_secs(61)).is_err());
    }

    #[test]
    fn bad_files_name_the_problem() {
        for (text, reason) in [
            ("chain_ids = \"x\"", "chain_ids"),
            ("max_value = \"2 dollars\"", "max_value"),
            ("tx_types = [\"teleport\"]", "teleport"),
            ("[[allow]]\nto = \"0x12\"", "allow.to"),
            (
                "[[allow]]\nto = \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"\nselectors=[\"0x12\"]",
                "4 bytes",
            ),
            ("colour = 1", "colour"),
            ("[window]\nseconds = 0\nmax_value = 1", "window.seconds"),
            ("max_value = -5", "expected an amount like"),
        ] {
            let error = Policy::parse(text.as_bytes(), Path::new("p.toml")).unwrap_err().to_string();
            assert!(error.contains(reason), "{error} should mention {reason}");
        }
    }

    #[test]
    fn a_denial_is_a_definite_no_and_a_bad_file_is_bad_input() {
        let denied = policy("chain_ids = [1]").check(&call(0), SystemTime::now()).unwrap_err();
        assert_eq!((denied.exit_code(), denied.error_code()), (ExitCode::No, "policy_denied"));
        let invalid = Policy::parse(b"colour = 1", Path::new("p.toml")).unwrap_err();
        assert_eq!((invalid.exit_code(), invalid.error_code()), (ExitCode::Usage, "bad_policy"));
    }
}
