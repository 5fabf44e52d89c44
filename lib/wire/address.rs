//! Addresses as records and flags write them: `0x` and 40 hex digits, checked against their
//! EIP-55 checksum when the case is mixed.
//!
//! EIP-55 hides a checksum in the case of the letters: a mixed-case address whose case does
//! not match is a typo or a tampered copy, and is refused. An address in one case only (all
//! lower, as geth's keystores write it, or all upper) carries no checksum and is taken as it
//! is. Every place that reads an address from a record, a flag or a file goes through
//! [`parse_address`]; every address written is EIP-55.

use alloy_primitives::Address;

use crate::exit::{ErrorClass, ExitCode, excerpt};

/// Why a text is not an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not 20 bytes of hex (with or without `0x`).
    #[error("{0} is not an address (0x and 40 hex digits)")]
    Malformed(String),
    /// Mixed case that is not the EIP-55 checksum.
    #[error(
        "{given} has a wrong EIP-55 checksum: mixed case must be exactly {expected} (a typo? all lower or all upper case carries no checksum and is taken as it is)"
    )]
    Checksum {
        /// The address as given.
        given: String,
        /// Its EIP-55 spelling.
        expected: String,
    },
}

impl ErrorClass for AddressError {
    fn exit_code(&self) -> ExitCode {
        ExitCode::Usage
    }

    fn error_code(&self) -> &'static str {
        match self {
            AddressError::Malformed(_) => "bad_address",
            AddressError::Checksum { .. } => "bad_checksum",
        }
    }
}

/// Parses an address: `0x` (optional) and 40 hex digits, all lower case, all upper case, or
/// mixed case matching its EIP-55 checksum.
///
/// ```
/// use evlock::wire::parse_address;
/// let checksummed = "0x7b65B75d204aBed71587c9E519a89277766EE1d0";
/// let address = parse_address(checksummed).unwrap();
/// assert_eq!(parse_address(&checksummed.to_lowercase()).unwrap(), address);
/// assert_eq!(parse_address(&format!("0x{}", checksummed[2..].to_uppercase())).unwrap(), address);
/// assert!(parse_address("0x7B65b75d204aBed71587c9E519a89277766EE1d0").is_err(), "one letter flipped");
/// ```
pub fn parse_address(text: &str) -> Result<Address, AddressError> {
    let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
    if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AddressError::Malformed(excerpt(text)));
    }
    let mut bytes = [0u8; 20];
    hex::decode_to_slice(digits, &mut bytes).map_err(|_| AddressError::Malformed(excerpt(text)))?;
    let address = Address::from(bytes);
    let has_lower = digits.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = digits.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper {
        let expected = address.to_checksum(None);
        if expected[2..] != *digits {
            return Err(AddressError::Checksum { given: text.to_string(), expected });
        }
    }
    Ok(address)
}

/// [`parse_address`] as a clap value parser, for `--flag ADDRESS` options.
pub fn address_arg(text: &str) -> Result<Address, String> {
    parse_address(text.trim()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_case_and_wrong_length_are_refused() {
        let good = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
        assert!(parse_address(good).is_ok());
        assert!(parse_address(&good[2..]).is_ok(), "no prefix (geth keystores)");
        let flipped = good.replacen("5FbDB", "5fbDB", 1);
        let error = parse_address(&flipped).unwrap_err();
        assert!(matches!(&error, AddressError::Checksum { expected, .. } if expected == good), "{error}");
        assert!(error.to_string().contains(good), "{error}");
        assert!(matches!(parse_address("0x12"), Err(AddressError::Malformed(_))));
        assert!(matches!(parse_address(&format!("0x{}", "g".repeat(40))), Err(AddressError::Malformed(_))));
        let flood = "0".repeat(10_000_000);
        assert!(parse_address(&flood).unwrap_err().to_string().len() < 200, "the message quotes a prefix");
    }
}
