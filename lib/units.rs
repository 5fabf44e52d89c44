//! Human units in and out: KAIA amounts (peb, ston, KAIA) and energy (Wh, kWh, MWh).
//!
//! ```
//! use evlock::units::{parse_amount, format_amount};
//! use alloy_primitives::U256;
//! assert_eq!(parse_amount("25ston").unwrap(), U256::from(25_000_000_000u64));
//! assert_eq!(parse_amount("1.5 KAIA").unwrap(), U256::from(1_500_000_000_000_000_000u128));
//! assert_eq!(parse_amount("1000").unwrap(), U256::from(1000));
//! assert_eq!(format_amount(U256::from(1_500_000_000_000_000_000u128)), "1.5 KAIA");
//! ```

use alloy_primitives::U256;

/// Why a quantity with a unit could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// The number part is not a non-negative decimal.
    #[error("{0:?} is not a non-negative decimal number")]
    NotANumber(String),
    /// The unit is not one evlock knows.
    #[error("unknown unit {unit:?} in {text:?} (use {known})")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole text.
        text: String,
        /// The units accepted here.
        known: &'static str,
    },
    /// The value has more decimals than the smallest unit allows.
    #[error("{0:?} is finer than the smallest unit")]
    TooPrecise(String),
    /// The value does not fit in 256 bits (or 64 for energy).
    #[error("{0:?} is too large")]
    Overflow(String),
    /// A bare number where the unit decides what it means (a price in peb instead of ston
    /// is off by 10^9): nothing is assumed.
    #[error("{text:?} has no unit: write one, e.g. {example}")]
    MissingUnit {
        /// The text as written.
        text: String,
        /// How it is written with its unit.
        example: &'static str,
    },
}

/// Refuses a bare number (`500`) where a unit must say what it means; `example` shows the
/// form expected (`500Wh`).
///
/// ```
/// use evlock::units::require_unit;
/// assert!(require_unit("25ston", "25ston").is_ok());
/// assert_eq!(require_unit("25", "25ston").unwrap_err().to_string(), r#""25" has no unit: write one, e.g. 25ston"#);
/// ```
pub fn require_unit(text: &str, example: &'static str) -> Result<(), UnitError> {
    let (_, unit) = split_unit(text)?;
    if unit.is_empty() {
        return Err(UnitError::MissingUnit { text: text.trim().to_string(), example });
    }
    Ok(())
}

const AMOUNT_UNITS: &[(&str, u32)] = &[
    ("peb", 0),
    ("kpeb", 3),
    ("mpeb", 6),
    ("gpeb", 9),
    ("ston", 9),
    ("gkei", 9),
    ("ukaia", 12),
    ("mkaia", 15),
    ("kaia", 18),
    ("klay", 18),
];

/// Parses an amount of KAIA: a decimal with an optional unit (`peb`, `kpeb`, `Mpeb`, `Gpeb`,
/// `ston`, `uKAIA`, `mKAIA`, `KAIA`; case-insensitive). No unit means peb.
pub fn parse_amount(text: &str) -> Result<U256, UnitError> {
    let (number, unit) = split_unit(text)?;
    let exponent = if unit.is_empty() {
        0
    } else {
        AMOUNT_UNITS.iter().find(|(name, _)| name.eq_ignore_ascii_case(unit)).map(|(_, e)| *e).ok_or_else(
            || UnitError::UnknownUnit {
                unit: unit.to_string(),
                text: text.to_string(),
                known: "peb, ston, KAIA, …",
            },
        )?
    };
    scale_decimal(number, exponent, text)
}

/// Formats peb for humans: whole KAIA with decimals when ≥ 0.001 KAIA, ston when ≥ 1 ston,
/// else peb.
pub fn format_amount(peb: U256) -> String {
    let kaia = U256::from(10u64).pow(U256::from(18));
    let ston = U256::from(1_000_000_000u64);
    if peb >= kaia / U256::from(1000) {
        format!("{} KAIA", decimal_with_point(peb, 18))
    } else if peb >= ston {
        format!("{} ston", decimal_with_point(peb, 9))
    } else {
        format!("{peb} peb")
    }
}

/// Parses energy to whole Wh: `500Wh`, `1.5kWh`, `2MWh`. A bare number is refused
/// ([`UnitError::MissingUnit`]).
pub fn parse_energy_wh(text: &str) -> Result<u64, UnitError> {
    require_unit(text, "500Wh")?;
    let (number, unit) = split_unit(text)?;
    let exponent = match unit.to_ascii_lowercase().as_str() {
        "wh" => 0,
        "kwh" => 3,
        // MWh, not mWh: a milliwatt-hour is not a whole number of Wh.
        "mwh" if unit.starts_with('M') => 6,
        _ => {
            return Err(UnitError::UnknownUnit {
                unit: unit.to_string(),
                text: text.to_string(),
                known: "Wh, kWh, MWh",
            });
        }
    };
    let value = scale_decimal(number, exponent, text)?;
    u64::try_from(value).map_err(|_| UnitError::Overflow(text.to_string()))
}

/// Formats whole Wh for humans: Wh below 1 kWh, else kWh or MWh with up to three decimals
/// (exact: nothing is rounded away).
///
/// ```
/// use evlock::units::format_energy_wh;
/// assert_eq!(format_energy_wh(500), "500 Wh");
/// assert_eq!(format_energy_wh(1_500), "1.5 kWh");
/// assert_eq!(format_energy_wh(2_000_001), "2.000001 MWh");
/// ```
pub fn format_energy_wh(wh: u64) -> String {
    match wh {
        0..1_000 => format!("{wh} Wh"),
        1_000..1_000_000 => format!("{} kWh", decimal_with_point(U256::from(wh), 3)),
        _ => format!("{} MWh", decimal_with_point(U256::from(wh), 6)),
    }
}

/// Formats a meter's mWh total for humans: mWh below 1 Wh, else like [`format_energy_wh`]
/// with the fraction of a Wh kept.
///
/// ```
/// use evlock::units::format_energy_mwh;
/// assert_eq!(format_energy_mwh(14), "14 mWh");
/// assert_eq!(format_energy_mwh(7_250), "7.25 Wh");
/// assert_eq!(format_energy_mwh(1_500_000), "1.5 kWh");
/// ```
pub fn format_energy_mwh(mwh: u64) -> String {
    match mwh {
        0..1_000 => format!("{mwh} mWh"),
        1_000..1_000_000 => format!("{} Wh", decimal_with_point(U256::from(mwh), 3)),
        1_000_000..1_000_000_000 => format!("{} kWh", decimal_with_point(U256::from(mwh), 6)),
        _ => format!("{} MWh", decimal_with_point(U256::from(mwh), 9)),
    }
}

/// Parses a price per Wh in peb: `2ston/Wh`, `2000ston/kWh`, `0.5ston/Wh`. Both units are
/// needed: a bare number or amount (`2`, `2ston`) is refused ([`UnitError::MissingUnit`]).
/// A price per kWh or MWh must come to a whole number of peb per Wh.
///
/// ```
/// use evlock::units::parse_price_per_wh;
/// use alloy_primitives::U256;
/// assert_eq!(parse_price_per_wh("2ston/Wh").unwrap(), U256::from(2_000_000_000u64));
/// assert_eq!(parse_price_per_wh("3 ston/kWh").unwrap(), U256::from(3_000_000u64));
/// ```
pub fn parse_price_per_wh(text: &str) -> Result<U256, UnitError> {
    let missing = || UnitError::MissingUnit { text: text.trim().to_string(), example: "2ston/Wh" };
    let (amount, per) = text.rsplit_once('/').ok_or_else(missing)?;
    let per = per.trim();
    require_unit(amount, "2ston/Wh").map_err(|_| missing())?;
    let divisor = match per {
        "Wh" | "wh" => 1u64,
        "kWh" | "kwh" | "KWh" => 1_000,
        "MWh" => 1_000_000,
        _ => {
            return Err(UnitError::UnknownUnit {
                unit: format!("/{per}"),
                text: text.to_string(),
                known: "a price per Wh, kWh or MWh, e.g. 2ston/Wh",
            });
        }
    };
    let total = parse_amount(amount)?;
    let divisor = U256::from(divisor);
    if total % divisor != U256::ZERO {
        return Err(UnitError::TooPrecise(text.to_string()));
    }
    Ok(total / divisor)
}

/// Formats a price per Wh for humans, e.g. `2 ston/Wh`.
pub fn format_price_per_wh(peb: U256) -> String {
    format!("{}/Wh", format_amount(peb))
}

/// Parses a number of blocks: `600blocks`, `1block`. A bare number is refused (is `600`
/// blocks or seconds?): [`UnitError::MissingUnit`].
pub fn parse_blocks(text: &str) -> Result<u64, UnitError> {
    require_unit(text, "600blocks")?;
    let (number, unit) = split_unit(text)?;
    if !matches!(unit, "block" | "blocks") || number.contains('.') {
        return Err(UnitError::UnknownUnit {
            unit: unit.to_string(),
            text: text.to_string(),
            known: "blocks",
        });
    }
    number.replace('_', "").parse::<u64>().map_err(|_| UnitError::Overflow(text.to_string()))
}

fn split_unit(text: &str) -> Result<(&str, &str), UnitError> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_')).unwrap_or(text.len());
    if split == 0 {
        return Err(UnitError::NotANumber(text.to_string()));
    }
    Ok((text[..split].trim(), text[split..].trim()))
}

fn scale_decimal(number: &str, exponent: u32, text: &str) -> Result<U256, UnitError> {
    let number = number.replace('_', "");
    let (whole, fraction) = number.split_once('.').unwrap_or((&number, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
    {
        return Err(UnitError::NotANumber(text.to_string()));
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() as u32 > exponent {
        return Err(UnitError::TooPrecise(text.to_string()));
    }
    let digits = format!("{whole}{fraction}{}", "0".repeat((exponent - fraction.len() as u32) as usize));
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(U256::ZERO);
    }
    U256::from_str_radix(digits, 10).map_err(|_| UnitError::Overflow(text.to_string()))
}

fn decimal_with_point(value: U256, decimals: usize) -> String {
    let digits = format!("{value:0>width$}", width = decimals + 1);
    let (whole, fraction) = digits.split_at(digits.len() - decimals);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() { whole.to_string() } else { format!("{whole}.{fraction}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("0").unwrap(), U256::ZERO);
        assert_eq!(parse_amount("2 ston").unwrap(), U256::from(2_000_000_000u64));
        assert_eq!(parse_amount("0.000000001KAIA").unwrap(), U256::from(1_000_000_000u64));
        assert_eq!(parse_amount("1_000peb").unwrap(), U256::from(1000));
        assert!(matches!(parse_amount("1.5peb"), Err(UnitError::TooPrecise(_))));
        assert!(matches!(parse_amount("-1"), Err(UnitError::NotANumber(_))));
        assert!(matches!(parse_amount("3 ether"), Err(UnitError::UnknownUnit { .. })));
        assert!(matches!(parse_amount(&"9".repeat(90)), Err(UnitError::Overflow(_))));
        assert_eq!(format_amount(U256::from(25_000_000_000u64)), "25 ston");
        assert_eq!(format_amount(U256::from(7)), "7 peb");
    }

    #[test]
    fn prices_and_blocks() {
        assert_eq!(parse_price_per_wh("2ston/Wh").unwrap(), U256::from(2_000_000_000u64));
        assert_eq!(parse_price_per_wh("2 ston / kWh").unwrap(), U256::from(2_000_000u64));
        assert_eq!(parse_price_per_wh("1KAIA/MWh").unwrap(), U256::from(1_000_000_000_000u64));
        assert_eq!(parse_price_per_wh("7peb/Wh").unwrap(), U256::from(7));
        for bare in ["7", "2ston", "2/Wh", " 3 "] {
            let error = parse_price_per_wh(bare).unwrap_err();
            assert!(matches!(error, UnitError::MissingUnit { .. }), "{bare}: {error}");
            assert!(error.to_string().contains("e.g. 2ston/Wh"), "{error}");
        }
        assert!(matches!(parse_price_per_wh("1peb/kWh"), Err(UnitError::TooPrecise(_))));
        assert!(matches!(parse_price_per_wh("2ston/J"), Err(UnitError::UnknownUnit { .. })));
        assert_eq!(format_price_per_wh(U256::from(2_000_000_000u64)), "2 ston/Wh");
        assert_eq!(parse_blocks("600blocks").unwrap(), 600);
        assert_eq!(parse_blocks("1 block").unwrap(), 1);
        assert!(matches!(parse_blocks("42"), Err(UnitError::MissingUnit { example: "600blocks", .. })));
        assert!(parse_blocks("10s").is_err());
        assert!(parse_blocks("1.5blocks").is_err());
    }

    #[test]
    fn energy() {
        assert_eq!(parse_energy_wh("500Wh").unwrap(), 500);
        assert_eq!(parse_energy_wh("1.5kWh").unwrap(), 1500);
        assert_eq!(parse_energy_wh("2MWh").unwrap(), 2_000_000);
        assert_eq!(parse_energy_wh("42 Wh").unwrap(), 42);
        let error = parse_energy_wh("42").unwrap_err();
        assert_eq!(error.to_string(), r#""42" has no unit: write one, e.g. 500Wh"#);
        assert!(parse_energy_wh("1.0005kWh").is_err());
        assert!(parse_energy_wh("3 mWh").is_err(), "milliwatt-hours are not whole Wh");
        assert_eq!(format_energy_wh(0), "0 Wh");
        assert_eq!(format_energy_wh(1_000), "1 kWh");
        assert_eq!(format_energy_wh(999_999), "999.999 kWh");
        assert_eq!(format_energy_mwh(999), "999 mWh");
        assert_eq!(format_energy_mwh(1_000), "1 Wh");
        assert_eq!(format_energy_mwh(3_000_000_000), "3 MWh");
    }
}
