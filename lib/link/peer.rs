//! Who a peer is and where a record goes: `--allow` patterns, `--route` rules, the `meta.peer`
//! the operator stamps on records and the `meta.to`/`meta.peer` destinations it reads.
//!
//! A peer is a [`crate::pki::Identity`]: its certificate's name and its `kaia:` account. A
//! pattern is a name (with `*` matching any run of characters, e.g. `meter-*`), an account
//! (`0x…` or `kaia:0x…`), or `*`.
//!
//! ```
//! use evlock::link::peer::{Pattern, Route};
//! use evlock::pki::Identity;
//! let seller = Identity { name: "meter-17".into(), account: None };
//! let buyer = Identity { name: "meter-18".into(), account: None };
//! assert!("meter-*".parse::<Pattern>().unwrap().matches(&seller));
//! let route: Route = "meter-*:meter-*:receipt".parse().unwrap();
//! assert!(route.allows(&seller, &buyer, Some("receipt")));
//! assert!(!route.allows(&seller, &buyer, Some("tx")));
//! ```

use std::str::FromStr;

use alloy_primitives::Address;
use serde_json::{Map, Value, json};

use crate::pki::{ACCOUNT_URI_SCHEME, Identity};

/// A peer pattern of `--allow` and `--route`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// Every peer.
    Any,
    /// A name, `*` matching any run of characters.
    Name(String),
    /// An account.
    Account(Address),
}

fn parse_account(text: &str) -> Option<Address> {
    let text = text.strip_prefix(ACCOUNT_URI_SCHEME).unwrap_or(text);
    if text.len() == 42 && (text.starts_with("0x") || text.starts_with("0X")) {
        text.parse().ok()
    } else {
        None
    }
}

fn glob(pattern: &str, text: &str) -> bool {
    let Some((first, rest)) = pattern.split_once('*') else { return pattern == text };
    let Some(mut remaining) = text.strip_prefix(first) else { return false };
    let mut parts: Vec<&str> = rest.split('*').collect();
    let last = parts.pop().unwrap_or("");
    for part in parts {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

impl FromStr for Pattern {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text == "*" {
            return Ok(Pattern::Any);
        }
        if text.starts_with(ACCOUNT_URI_SCHEME) || text.starts_with("0x") {
            return parse_account(text)
                .map(Pattern::Account)
                .ok_or_else(|| format!("{text:?} is not an account (0x and 40 hex digits)"));
        }
        let name_chars = text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.*".contains(&b));
        if text.is_empty() || !name_chars {
            return Err(format!(
                "{text:?} is neither a peer name (letters, digits, '-', '.', '*') nor an account"
            ));
        }
        Ok(Pattern::Name(text.to_string()))
    }
}

impl Pattern {
    /// Whether the peer matches.
    pub fn matches(&self, peer: &Identity) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Name(pattern) => glob(pattern, &peer.name),
            Pattern::Account(account) => peer.account.as_ref() == Some(account),
        }
    }
}

/// A `--route FROM:TO[:KIND,…]` rule: records from peers matching FROM may be forwarded to
/// peers matching TO (only records of the listed kinds, when kinds are given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Who may send.
    pub from: Pattern,
    /// To whom.
    pub to: Pattern,
    /// Which record kinds; empty: any.
    pub kinds: Vec<String>,
}

impl FromStr for Route {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = text.split(':').collect();
        let usage = || {
            format!(
                "--route {text:?}: write FROM:TO or FROM:TO:KIND,KIND (e.g. 'meter-*:meter-*:receipt'; accounts as 0x…)"
            )
        };
        let (from, to, kinds) = match parts.as_slice() {
            [from, to] => (from, to, Vec::new()),
            [from, to, kinds] => {
                let kinds: Vec<String> =
                    kinds.split(',').map(str::trim).filter(|k| !k.is_empty()).map(str::to_string).collect();
                if kinds.is_empty() {
                    return Err(usage());
                }
                (from, to, kinds)
            }
            _ => return Err(usage()),
        };
        Ok(Route {
            from: from.parse().map_err(|e| format!("{}: {e}", usage()))?,
            to: to.parse().map_err(|e| format!("{}: {e}", usage()))?,
            kinds,
        })
    }
}

impl Route {
    /// Whether this rule lets `from` send a record of `kind` to `to`.
    pub fn allows(&self, from: &Identity, to: &Identity, kind: Option<&str>) -> bool {
        self.from.matches(from)
            && self.to.matches(to)
            && (self.kinds.is_empty() || kind.is_some_and(|k| self.kinds.iter().any(|allowed| allowed == k)))
    }
}

/// A peer as `meta.peer` shows it: `{"name": …, "account": …}`.
pub fn identity_json(peer: &Identity) -> Value {
    match &peer.account {
        Some(account) => json!({"name": peer.name, "account": account.to_checksum(None)}),
        None => json!({"name": peer.name}),
    }
}

/// Where a record is addressed (`meta.to`, else `meta.peer`): by name, by account, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The peer's name.
    pub name: Option<String>,
    /// The peer's account.
    pub account: Option<Address>,
}

impl Destination {
    /// Reads a destination value: `"meter-17"`, `"0x…"`, `"kaia:0x…"`, or an object with
    /// `name` and/or `account`.
    pub fn from_value(value: &Value) -> Result<Destination, String> {
        match value {
            Value::String(text) => Ok(match parse_account(text) {
                Some(account) => Destination { name: None, account: Some(account) },
                None if crate::pki::valid_name(text) => {
                    Destination { name: Some(text.clone()), account: None }
                }
                None => return Err(format!("{text:?} is neither a peer name nor an account")),
            }),
            Value::Object(map) => {
                let name = match map.get("name") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(name)) if crate::pki::valid_name(name) => Some(name.clone()),
                    Some(other) => return Err(format!("the name {other} is not a peer name")),
                };
                let account = match map.get("account") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(text)) => {
                        Some(parse_account(text).ok_or_else(|| format!("{text:?} is not an account"))?)
                    }
                    Some(other) => return Err(format!("the account {other} is not an account")),
                };
                if name.is_none() && account.is_none() {
                    return Err("a destination needs a name or an account".into());
                }
                Ok(Destination { name, account })
            }
            other => Err(format!("{other} is not a destination (a name, an account, or {{\"name\":…}})")),
        }
    }

    /// Whether `peer` is this destination (every part given must match).
    pub fn is(&self, peer: &Identity) -> bool {
        self.name.as_ref().is_none_or(|n| *n == peer.name)
            && self.account.as_ref().is_none_or(|a| peer.account.as_ref() == Some(a))
    }
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.name, &self.account) {
            (Some(name), _) => f.write_str(name),
            (None, Some(account)) => write!(f, "{}", account.to_checksum(None)),
            (None, None) => f.write_str("nobody"),
        }
    }
}

/// The record's `meta` object, created if missing; `Err` when `meta` is not an object.
pub fn meta_mut(record: &mut Map<String, Value>) -> Result<&mut Map<String, Value>, String> {
    let meta = record.entry("meta").or_insert_with(|| Value::Object(Map::new()));
    match meta {
        Value::Object(map) => Ok(map),
        other => Err(format!("`meta` must be an object, not {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(name: &str, account: Option<&str>) -> Identity {
        Identity { name: name.into(), account: account.map(|a| a.parse().unwrap()) }
    }

    const A: &str = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94";

    #[test]
    fn patterns_match_names_globs_and_accounts() {
        let m = peer("meter-17", Some(A));
        for yes in ["*", "meter-17", "meter-*", "*-17", "m*1*", A, &format!("kaia:{A}"), &A.to_lowercase()] {
            assert!(yes.parse::<Pattern>().unwrap().matches(&m), "{yes}");
        }
        for no in ["meter-1", "meter-17x", "x*", "*-18", "0x0000000000000000000000000000000000000001"] {
            assert!(!no.parse::<Pattern>().unwrap().matches(&m), "{no}");
        }
        assert!("meter 1".parse::<Pattern>().is_err());
        assert!("0x12".parse::<Pattern>().is_err());
        assert!(!"meter-*".parse::<Pattern>().unwrap().matches(&peer("meter", None)));
    }

    #[test]
    fn routes_parse_and_filter_by_kind() {
        let route: Route = format!("meter-*:{A}").parse().unwrap();
        assert!(route.allows(&peer("meter-1", None), &peer("x", Some(A)), None));
        assert!(!route.allows(&peer("meter-1", None), &peer("x", None), None));
        assert!("a".parse::<Route>().is_err());
        assert!("a:b:".parse::<Route>().is_err());
        assert!("a:b:c:d".parse::<Route>().unwrap_err().contains("FROM:TO"));
    }

    #[test]
    fn destinations_from_meta() {
        let by_name = Destination::from_value(&json!("meter-17")).unwrap();
        assert!(by_name.is(&peer("meter-17", Some(A))));
        let by_account = Destination::from_value(&json!(format!("kaia:{A}"))).unwrap();
        assert_eq!(by_account.account, Some(A.parse().unwrap()));
        let both = Destination::from_value(&json!({"name": "meter-17", "account": A})).unwrap();
        assert!(both.is(&peer("meter-17", Some(A))));
        assert!(!both.is(&peer("meter-17", None)), "the account must match too");
        assert!(Destination::from_value(&json!(7)).is_err());
        assert!(Destination::from_value(&json!({})).is_err());
        assert!(Destination::from_value(&json!("no spaces allowed")).is_err());
        assert_eq!(identity_json(&peer("m", Some(A))), json!({"name": "m", "account": A}));
    }
}
