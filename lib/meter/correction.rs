//! The correction a calibration certificate brings to a meter's readings, and what a session
//! needs of a certificate. The certificate itself (its format, signature, commissioning) is
//! `crate::calibrate`'s; the meter only applies what it was given.

use serde::{Deserialize, Serialize};

use super::Registers;

/// The least-squares correction reference ≈ gain × measured + offset.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    /// The gain.
    pub gain: f64,
    /// The offset, A.
    pub offset_amps: f64,
}

impl Correction {
    /// No correction.
    pub const IDENTITY: Correction = Correction { gain: 1.0, offset_amps: 0.0 };

    /// The corrected current.
    pub fn amps(&self, measured: f64) -> f64 {
        self.gain * measured + self.offset_amps
    }

    /// The corrected power: the gain scales it, the offset adds offset × V (× the power factor
    /// on AC, where the current's offset is in phase with nothing in particular, so it is
    /// counted as real power only to the extent the load's is).
    pub fn watts(&self, measured_watts: f64, volts: f64, power_factor: Option<f64>) -> f64 {
        self.gain * measured_watts + self.offset_amps * volts * power_factor.unwrap_or(1.0)
    }
}

/// What a metering session takes from a verified calibration certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// The gain/offset correction of amps and watts.
    pub correction: Correction,
    /// The register baseline the `recalibrated` check compares against.
    pub baseline: Registers,
    /// The URI of the device the certificate was made for.
    pub uri: String,
    /// The driver the certificate was made for.
    pub driver: String,
    /// The model the certificate was made for.
    pub model: String,
    /// When it was issued, RFC 3339 UTC (for the log).
    pub issued: String,
    /// Who signed it, EIP-55 (for the log).
    pub technician: String,
}

/// Rounds to `decimals` places, so the value prints short and parses back exactly.
pub fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    let rounded = (value * scale).round() / scale;
    if rounded == 0.0 { 0.0 } else { rounded } // no "-0.0"
}
