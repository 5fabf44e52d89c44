//! Calibration: commissioning a meter against reference loads, and checking it later.
//!
//! The paper's answer to the recalibration and physical attacks is that "the sensors are
//! working properly" is verified by pushing known currents through them. A commissioning
//! ([`commission`]) does it once, on a trusted bench: warm-up, a zero point with the relay
//! open, two or more load points (set through the simulator's programmable load, or by the
//! technician connecting reference loads), each judged against an accuracy class; it fits a
//! gain/offset correction and records the register baseline in a signed [`Certificate`].
//! A [`check`] later verifies the certificate, compares the registers with its baseline and
//! re-runs the load points.
//!
//! - [`certificate`]: the certificate, its canonical JSON, EIP-191 signing and verification.
//! - [`procedure`]: the measurement: warm-up, points, averaging, least-squares fit.
//! - [`report`]: the human table and the SVG error plot of `evlock-calibrate report`.

pub mod certificate;
pub mod procedure;
pub mod report;

use std::path::PathBuf;

pub use crate::meter::Correction;
pub use certificate::{Certificate, CertifiedDevice, CertifiedPoint};
pub use procedure::{Plan, PointResult, Rig, Run, Technician};

use crate::exit::{ErrorClass, ExitCode};
use crate::meter::health::{RegisterChanges, changes_json, register_changes};
use crate::meter::{MeterError, Registers};
use crate::signer::{Signer, SignerError};
use crate::wire::CalibrationSummaryRecord;

/// What can go wrong in a calibration.
#[derive(Debug, thiserror::Error)]
pub enum CalibrationError {
    /// Bad options or a plan that cannot be carried out (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The certificate file is unreadable or not a certificate (exit 2).
    #[error("certificate {}: {reason}", path.display())]
    BadCertificate {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The certificate's signature does not hold: it was changed (exit 1).
    #[error("certificate {} is not valid: {reason}", path.display())]
    Tampered {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The certificate was signed by someone else than the technician named (exit 1).
    #[error("certificate {} was signed by {found}, not by the technician {expected}", path.display())]
    WrongTechnician {
        /// The file.
        path: PathBuf,
        /// The address asked for.
        expected: String,
        /// The signer.
        found: String,
    },
    /// The output file exists and `--force` was not given (exit 2).
    #[error("{} exists; give --force to replace it", path.display())]
    FileExists {
        /// The file.
        path: PathBuf,
    },
    /// The output file could not be written (exit 2).
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No programmable load and nobody to connect loads by hand (exit 2).
    #[error("{0}")]
    NoTechnician(String),
    /// A meter, reference meter, switch or load failed (exit 3).
    #[error(transparent)]
    Meter(#[from] MeterError),
    /// The technician's key could not sign (exit 5 for key errors).
    #[error(transparent)]
    Signer(#[from] SignerError),
    /// A bug: the certificate could not be made consistently.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ErrorClass for CalibrationError {
    fn exit_code(&self) -> ExitCode {
        match self {
            CalibrationError::Tampered { .. } | CalibrationError::WrongTechnician { .. } => ExitCode::No,
            CalibrationError::Meter(inner) => inner.exit_code(),
            CalibrationError::Signer(inner) => inner.exit_code(),
            CalibrationError::Usage(_)
            | CalibrationError::BadCertificate { .. }
            | CalibrationError::FileExists { .. }
            | CalibrationError::Write { .. }
            | CalibrationError::NoTechnician(_)
            | CalibrationError::Internal(_) => ExitCode::Usage,
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            CalibrationError::Usage(_) => "usage",
            CalibrationError::BadCertificate { .. } => "bad_certificate",
            CalibrationError::Tampered { .. } => "certificate_tampered",
            CalibrationError::WrongTechnician { .. } => "wrong_technician",
            CalibrationError::FileExists { .. } => "file_exists",
            CalibrationError::Write { .. } => "write_failed",
            CalibrationError::NoTechnician(_) => "no_technician",
            CalibrationError::Meter(inner) => inner.error_code(),
            CalibrationError::Signer(inner) => inner.error_code(),
            CalibrationError::Internal(_) => "internal",
        }
    }
}

/// The accuracy classes a meter is commissioned and checked to, in % of the reference: those
/// of the standards for electricity meters. 0.1, 0.2 and 0.5 are the precision classes of
/// IEC 62053-22 (there 0.1S, 0.2S, 0.5S: the same limit, held down to lower currents) and
/// ANSI C12.20; 0.5, 1 and 2 those of IEC 62053-21 (1 and 2 are EN 50470-3's classes B and A;
/// 0.5 its class C); 3 is IEC 62053-23's reactive-energy class. Any other number (5, 1e308)
/// would make a certificate claim what no standard means, so it is refused.
pub const ACCURACY_CLASSES: [f64; 6] = [0.1, 0.2, 0.5, 1.0, 2.0, 3.0];

const CLASSES_TEXT: &str = "an accuracy class is one of 0.1, 0.2, 0.5, 1, 2, 3 (% of the reference, as IEC 62053 and ANSI C12.20 define them; an S suffix is accepted)";

/// Parses an accuracy class (`--class`): one of [`ACCURACY_CLASSES`], written `1`, `1.0`,
/// `0.5` or `0.5S` (IEC's S classes have the same limit in %).
pub fn parse_class(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let number = trimmed.strip_suffix(['S', 's']).unwrap_or(trimmed);
    match number.parse::<f64>() {
        Ok(class) if ACCURACY_CLASSES.contains(&class) => Ok(class),
        _ => Err(format!("{}: {CLASSES_TEXT}", crate::exit::excerpt(trimmed))),
    }
}

/// Parses a current: `2A`, `2.5 A`, `500mA`, `0A`, or a bare number of amps.
pub fn parse_amps(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let lower = trimmed.to_ascii_lowercase();
    let (number, scale) = if let Some(n) = lower.strip_suffix("ma") {
        (n, 1e-3)
    } else if let Some(n) = lower.strip_suffix('a') {
        (n, 1.0)
    } else {
        (lower.as_str(), 1.0)
    };
    let value: f64 =
        number.trim().parse().map_err(|_| format!("{trimmed:?} is not a current (write e.g. 2A, 500mA)"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("{trimmed:?}: a load current must be a finite number ≥ 0"));
    }
    Ok(value * scale)
}

/// The meter's registers; none for a driver that exposes none.
fn read_registers(rig: &mut Rig) -> Result<Registers, CalibrationError> {
    match rig.meter.registers() {
        Ok(registers) => Ok(registers),
        Err(MeterError::Unsupported { .. }) => Ok(Registers::new()),
        Err(error) => Err(error.into()),
    }
}

/// The outcome of a commissioning: the measured run and the certificate it makes.
#[derive(Debug)]
pub struct Commissioned {
    /// The points and the fitted correction.
    pub run: Run,
    /// The certificate: signed when `run.pass()` (and only then written), unsigned otherwise.
    pub certificate: Certificate,
}

impl Commissioned {
    /// Whether every point is within its limit.
    pub fn pass(&self) -> bool {
        self.run.pass()
    }

    /// The summary record.
    pub fn summary(&self, certificate_path: &str) -> CalibrationSummaryRecord {
        let certificate = &self.certificate;
        let mut reasons = self.run.failure_reasons();
        if !self.pass() {
            reasons.push(format!("no certificate written to {certificate_path}"));
        }
        CalibrationSummaryRecord {
            step: "summary".into(),
            command: "commission".into(),
            device: certificate.device.uri.clone(),
            pass: self.pass(),
            class: certificate.class,
            points: self.run.points.len() as u32,
            failed_points: self.run.failed_points(),
            signature: if certificate.signature.is_some() { "signed" } else { "none" }.into(),
            technician: certificate.technician.clone(),
            registers: if certificate.registers.is_empty() { "none" } else { "match" }.into(),
            changed_registers: None,
            gain: certificate.correction.gain,
            offset_amps: certificate.correction.offset_amps,
            certificate: certificate_path.into(),
            reasons,
        }
    }
}

/// Commissions the meter on `rig`: reads its register baseline, runs `plan`, and makes the
/// certificate signed by `signer` (the technician).
pub fn commission(
    rig: &mut Rig,
    plan: &Plan,
    technician: &mut dyn Technician,
    signer: &dyn Signer,
    reference_uri: Option<String>,
    issued: String,
) -> Result<Commissioned, CalibrationError> {
    let registers = read_registers(rig)?;
    let run = procedure::measure(rig, plan, technician)?;
    let info = rig.meter.info().clone();
    let certificate = Certificate {
        kind: certificate::CERTIFICATE_KIND.into(),
        v: 1,
        device: CertifiedDevice { uri: info.uri, driver: info.driver, model: info.model },
        issued,
        technician: signer.address().to_checksum(None),
        class: plan.class,
        zero_limit_amps: plan.zero_limit_amps,
        method: if plan.expected { "expected" } else { "reference" }.into(),
        reference: reference_uri,
        registers,
        points: run.points.iter().map(PointResult::certified).collect(),
        correction: run.correction,
        signature: None,
    };
    // Only a meter that passed gets a signed certificate: a signature (perhaps by a TEE key)
    // is not spent on one that will never be written.
    let certificate = if run.pass() { certificate.sign(signer)? } else { certificate };
    Ok(Commissioned { run, certificate })
}

/// The outcome of a check against a certificate.
#[derive(Debug)]
pub struct Checked {
    /// The re-measured points.
    pub run: Run,
    /// Registers that differ from the certificate's baseline: `(expected, found)`.
    pub changed_registers: RegisterChanges,
    /// Whether the device exposes registers at all.
    pub has_registers: bool,
    /// Why the device may not be the certified one (another driver or model).
    pub device_mismatch: Option<String>,
}

impl Checked {
    /// Whether the meter passed: points in tolerance, registers unchanged, same device.
    pub fn pass(&self) -> bool {
        self.run.pass() && self.changed_registers.is_empty() && self.device_mismatch.is_none()
    }

    /// Every reason the check failed.
    pub fn reasons(&self) -> Vec<String> {
        let mut reasons = Vec::new();
        if let Some(mismatch) = &self.device_mismatch {
            reasons.push(mismatch.clone());
        }
        if !self.changed_registers.is_empty() {
            let names: Vec<&str> = self.changed_registers.keys().map(String::as_str).collect();
            reasons.push(format!("registers differ from the certificate's baseline: {}", names.join(", ")));
        }
        reasons.extend(self.run.failure_reasons());
        reasons
    }

    /// The summary record.
    pub fn summary(
        &self,
        certificate: &Certificate,
        device: &str,
        certificate_path: &str,
    ) -> CalibrationSummaryRecord {
        CalibrationSummaryRecord {
            step: "summary".into(),
            command: "check".into(),
            device: device.into(),
            pass: self.pass(),
            class: certificate.class,
            points: self.run.points.len() as u32,
            failed_points: self.run.failed_points(),
            signature: "valid".into(),
            technician: certificate.technician.clone(),
            registers: if !self.has_registers && certificate.registers.is_empty() {
                "none"
            } else if self.changed_registers.is_empty() {
                "match"
            } else {
                "changed"
            }
            .into(),
            changed_registers: (!self.changed_registers.is_empty())
                .then(|| changes_json(&self.changed_registers)),
            gain: self.run.correction.gain,
            offset_amps: self.run.correction.offset_amps,
            certificate: certificate_path.into(),
            reasons: self.reasons(),
        }
    }
}

/// Checks the meter on `rig` against a verified `certificate`: registers against its
/// baseline, then `plan`'s points against its class.
pub fn check(
    rig: &mut Rig,
    plan: &Plan,
    technician: &mut dyn Technician,
    certificate: &Certificate,
) -> Result<Checked, CalibrationError> {
    let info = rig.meter.info().clone();
    let device_mismatch =
        (info.driver != certificate.device.driver || info.model != certificate.device.model).then(|| {
            format!(
                "the certificate is for a {} ({}), this device is a {} ({})",
                certificate.device.model, certificate.device.driver, info.model, info.driver
            )
        });
    if info.uri != certificate.device.uri {
        log::warn!("the certificate was issued for {}, checking {}", certificate.device.uri, info.uri);
    }
    let registers = read_registers(rig)?;
    let changed_registers = register_changes(&certificate.registers, &registers);
    let run = procedure::measure(rig, plan, technician)?;
    Ok(Checked { run, changed_registers, has_registers: !registers.is_empty(), device_mismatch })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_standard_accuracy_classes() {
        assert_eq!(parse_class("1").unwrap(), 1.0);
        assert_eq!(parse_class("0.5S").unwrap(), 0.5);
        assert_eq!(parse_class("2.0").unwrap(), 2.0);
        for bad in ["1e308", "5", "0", "-1", "inf", "NaN", "0.3", "x"] {
            assert!(parse_class(bad).unwrap_err().contains("0.1, 0.2, 0.5, 1, 2, 3"), "{bad}");
        }
    }

    #[test]
    fn currents_parse_with_units() {
        assert_eq!(parse_amps("2A").unwrap(), 2.0);
        assert_eq!(parse_amps(" 2.5 A ").unwrap(), 2.5);
        assert_eq!(parse_amps("500mA").unwrap(), 0.5);
        assert_eq!(parse_amps("0A").unwrap(), 0.0);
        assert_eq!(parse_amps("3").unwrap(), 3.0);
        assert!(parse_amps("-1A").unwrap_err().contains("≥ 0"));
        assert!(parse_amps("twoA").unwrap_err().contains("not a current"));
        assert!(parse_amps("inf").is_err());
    }

    #[test]
    fn tampering_is_a_no_and_bad_files_are_usage_errors() {
        let tampered = CalibrationError::Tampered { path: "c.json".into(), reason: "x".into() };
        assert_eq!(tampered.exit_code(), ExitCode::No);
        let bad = CalibrationError::BadCertificate { path: "c.json".into(), reason: "x".into() };
        assert_eq!(bad.exit_code(), ExitCode::Usage);
        let meter = CalibrationError::from(MeterError::NotFound { path: "/dev/x".into() });
        assert_eq!(meter.exit_code(), ExitCode::Device);
        assert_eq!(meter.error_code(), "device_not_found");
    }
}
