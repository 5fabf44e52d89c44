//! The calibration certificate: what a commissioning found, signed by the technician.
//!
//! The file is JSON with a fixed field order:
//!
//! ```json
//! {
//!   "kind": "calibration_certificate",
//!   "v": 1,
//!   "device": {"uri": "sim:home", "driver": "sim", "model": "simulated battery"},
//!   "issued": "2026-11-24T10:00:00.000Z",
//!   "technician": "0x9858EfFD232B4033E47d90003D41EC34EcaEda94",
//!   "class": 1.0,
//!   "zero_limit_amps": 0.01,
//!   "method": "reference",
//!   "reference": "sim:home?role=reference",
//!   "registers": {"gain": 32768, "offset": 0},
//!   "points": [
//!     {"point": 0, "load": "zero", "nominal_amps": 0.0, "reference_amps": 0.0,
//!      "measured_amps": 0.0004, "measured_volts": 12.8, "error_amps": 0.0004, "error_pct": null},
//!     {"point": 1, "load": "load", "nominal_amps": 1.0, "reference_amps": 1.0, "measured_amps": 1.0021,
//!      "measured_volts": 12.79, "error_amps": 0.0021, "error_pct": 0.21}
//!   ],
//!   "correction": {"gain": 0.99791, "offset_amps": -0.0004},
//!   "signature": "0x…65 bytes…"
//! }
//! ```
//!
//! The signature is an EIP-191 personal-message signature (`personal_sign`) over the
//! *canonical* JSON of the certificate without its `signature` field: the same fields in
//! the same order, no whitespace. Anyone can verify it by recovering the signer's address
//! and comparing it with `technician`; the file itself may be indented for humans. Numbers
//! are rounded (µA, 0.1 mV, 10⁻⁴ %, 10⁻⁸ gain) when the certificate is made, so the canonical
//! text survives a parse and re-serialization exactly.

use std::path::Path;

use alloy_primitives::{Address, U256};
use serde::{Deserialize, Serialize};

use super::CalibrationError;
use crate::kaia::RecoverableSig;
pub use crate::meter::round_to;
use crate::meter::{Calibration, Correction, Registers};
use crate::signer::{Signer, eip191_hash};

/// The certificate's `kind`.
pub const CERTIFICATE_KIND: &str = "calibration_certificate";

/// The device a certificate is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertifiedDevice {
    /// The URI it was opened from at commissioning.
    pub uri: String,
    /// The driver.
    pub driver: String,
    /// The model as the driver reports it.
    pub model: String,
}

/// One measured point of the commissioning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertifiedPoint {
    /// The index: 0 is the zero point.
    pub point: u32,
    /// `zero` (relay open) or `load`.
    pub load: String,
    /// The current the point was meant to draw, A.
    pub nominal_amps: f64,
    /// The reference value, A.
    pub reference_amps: f64,
    /// The meter's mean, A.
    pub measured_amps: f64,
    /// The meter's mean voltage, V.
    pub measured_volts: f64,
    /// measured − reference, A.
    pub error_amps: f64,
    /// The relative error, % (`null` for the zero point).
    pub error_pct: Option<f64>,
}

/// A calibration certificate (see the module docs for the format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// Always `calibration_certificate`.
    pub kind: String,
    /// The format version, 1.
    pub v: u32,
    /// The device.
    pub device: CertifiedDevice,
    /// When it was commissioned, RFC 3339 UTC.
    pub issued: String,
    /// The technician's address (the signer), EIP-55.
    pub technician: String,
    /// The accuracy class, % (`1` = ±1 %).
    pub class: f64,
    /// The zero point's absolute limit, A.
    pub zero_limit_amps: f64,
    /// `reference` (a reference meter measured alongside) or `expected` (known loads).
    pub method: String,
    /// The reference meter's URI, for `method: reference`.
    pub reference: Option<String>,
    /// The register baseline: what later readings and checks compare against.
    pub registers: Registers,
    /// The points, the zero point first.
    pub points: Vec<CertifiedPoint>,
    /// The fitted correction.
    pub correction: Correction,
    /// `0x` + r ‖ s ‖ v (65 bytes, v = 27 or 28), absent before signing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl Certificate {
    /// What a meter session takes from this certificate (its signature verified already):
    /// the correction, the register baseline, and the device it was made for.
    pub fn calibration(&self) -> Calibration {
        Calibration {
            correction: self.correction,
            baseline: self.registers.clone(),
            uri: self.device.uri.clone(),
            driver: self.device.driver.clone(),
            model: self.device.model.clone(),
            issued: self.issued.clone(),
            technician: self.technician.clone(),
        }
    }

    /// The canonical JSON the signature covers: every field but `signature`, in order,
    /// without whitespace.
    pub fn canonical_json(&self) -> String {
        let unsigned = Certificate { signature: None, ..self.clone() };
        serde_json::to_string(&unsigned).expect("a certificate always serializes")
    }

    /// Signs the certificate as `signer`, which becomes its `technician`.
    pub fn sign(mut self, signer: &dyn Signer) -> Result<Certificate, CalibrationError> {
        self.technician = signer.address().to_checksum(None);
        let canonical = self.canonical_json();
        // The canonical text must survive a round trip through a file, or nobody could
        // verify the signature later.
        let reparsed: Certificate = serde_json::from_str(&canonical)
            .map_err(|e| CalibrationError::Internal(format!("certificate does not parse back: {e}")))?;
        if reparsed.canonical_json() != canonical {
            return Err(CalibrationError::Internal(
                "the certificate's numbers do not survive a round trip through JSON".into(),
            ));
        }
        let sig = signer.sign_message(canonical.as_bytes())?;
        self.signature = Some(signature_hex(&sig));
        Ok(self)
    }

    /// Verifies the signature: recovers the signer of the canonical JSON and checks it is the
    /// `technician` the certificate names. Returns that address.
    pub fn verify(&self, path: &Path) -> Result<Address, CalibrationError> {
        let tampered = |reason: String| CalibrationError::Tampered { path: path.to_path_buf(), reason };
        let claimed =
            crate::wire::parse_address(&self.technician).map_err(|e| tampered(format!("technician: {e}")))?;
        let signature = self.signature.as_deref().ok_or_else(|| tampered("it is not signed".into()))?;
        let sig = parse_signature(signature).map_err(tampered)?;
        let digest = eip191_hash(self.canonical_json().as_bytes());
        let signer = sig
            .recover_address(&digest)
            .map_err(|e| tampered(format!("the signature does not verify: {e}")))?;
        if signer != claimed {
            return Err(tampered(format!(
                "the signature is not {}'s (it recovers to {}): the certificate was changed after signing",
                claimed.to_checksum(None),
                signer.to_checksum(None)
            )));
        }
        Ok(signer)
    }

    /// Reads a certificate file (without verifying it).
    pub fn load(path: &Path) -> Result<Certificate, CalibrationError> {
        let bad = |reason: String| CalibrationError::BadCertificate { path: path.to_path_buf(), reason };
        let bytes = crate::wire::read_file_capped(path, crate::wire::MAX_FILE_BYTES)
            .map_err(|e| bad(e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|_| bad("not UTF-8 text".into()))?;
        let certificate: Certificate =
            serde_json::from_str(&text).map_err(|e| bad(format!("not a calibration certificate: {e}")))?;
        if certificate.kind != CERTIFICATE_KIND || certificate.v != 1 {
            return Err(bad(format!(
                "kind {:?} version {} (expected {CERTIFICATE_KIND:?} version 1)",
                certificate.kind, certificate.v
            )));
        }
        Ok(certificate)
    }

    /// Reads and verifies a certificate; with `technician`, also checks who signed it.
    pub fn load_verified(path: &Path, technician: Option<&str>) -> Result<Certificate, CalibrationError> {
        let certificate = Certificate::load(path)?;
        let signer = certificate.verify(path)?;
        if let Some(expected) = technician {
            let expected_address = crate::wire::parse_address(expected.trim())
                .map_err(|e| CalibrationError::Usage(format!("--technician: {e}")))?;
            if expected_address != signer {
                return Err(CalibrationError::WrongTechnician {
                    path: path.to_path_buf(),
                    expected: expected_address.to_checksum(None),
                    found: signer.to_checksum(None),
                });
            }
        }
        Ok(certificate)
    }

    /// The load points (the zero point left out).
    pub fn load_points(&self) -> impl Iterator<Item = &CertifiedPoint> {
        self.points.iter().filter(|p| p.load == "load")
    }

    /// The file text: indented JSON, one trailing newline.
    pub fn to_file_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a certificate always serializes");
        text.push('\n');
        text
    }

    /// Writes the certificate to `path` atomically with mode 0644; an existing file is only
    /// replaced with `force`.
    pub fn write(&self, path: &Path, force: bool) -> Result<(), CalibrationError> {
        write_atomically(path, self.to_file_text().as_bytes(), force)
    }
}

/// `0x` + r ‖ s ‖ v with v = 27 + y parity, as `personal_sign` returns it.
pub fn signature_hex(sig: &RecoverableSig) -> String {
    let mut bytes = Vec::with_capacity(65);
    bytes.extend_from_slice(&sig.r.to_be_bytes::<32>());
    bytes.extend_from_slice(&sig.s.to_be_bytes::<32>());
    bytes.push(27 + sig.y_parity as u8);
    format!("0x{}", hex::encode(bytes))
}

/// Parses `0x` + 65 bytes (v = 27/28, or 0/1).
pub fn parse_signature(text: &str) -> Result<RecoverableSig, String> {
    let digits = text.strip_prefix("0x").ok_or("the signature is not 0x-hex")?;
    let bytes = hex::decode(digits).map_err(|e| format!("the signature is not hex: {e}"))?;
    if bytes.len() != 65 {
        return Err(format!("the signature has {} bytes, not 65", bytes.len()));
    }
    let y_parity = match bytes[64] {
        0 | 27 => false,
        1 | 28 => true,
        v => return Err(format!("the signature's v byte is {v} (expected 27 or 28)")),
    };
    Ok(RecoverableSig::new(U256::from_be_slice(&bytes[..32]), U256::from_be_slice(&bytes[32..64]), y_parity))
}

/// Writes `contents` (0644: a certificate is public) through a temporary file in the same
/// folder, fsynced, then put in place: renamed over the target with `force`, else hard-linked,
/// which fails if the name exists even when another process creates it meanwhile.
pub fn write_atomically(path: &Path, contents: &[u8], force: bool) -> Result<(), CalibrationError> {
    crate::keys::files::write_new_file(path, contents, 0o644, force)
        .map_err(|error| new_file_error(path, error))
}

/// Checks, before anything is measured, that a certificate could be written at `path`: its
/// folder exists and takes a new file, and nothing is there (or, with `force`, a regular
/// file, never a symlink or a device).
pub fn check_destination(path: &Path, force: bool) -> Result<(), CalibrationError> {
    crate::keys::files::check_new_file(path, force).map_err(|error| new_file_error(path, error))
}

fn new_file_error(path: &Path, error: crate::keys::files::NewFileError) -> CalibrationError {
    use crate::keys::files::NewFileError;
    match error {
        NewFileError::Exists => CalibrationError::FileExists { path: path.to_path_buf() },
        NewFileError::NotRegular(what) => CalibrationError::Write {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("it is {what}, not a regular file: it is never replaced"),
            ),
        },
        NewFileError::Io(source) => CalibrationError::Write { path: path.to_path_buf(), source },
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::keys::SecretKey;
    use crate::signer::KeystoreSigner;
    use std::fs;

    pub(crate) fn technician() -> KeystoreSigner {
        KeystoreSigner::from_key(
            SecretKey::from_hex("7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d").unwrap(),
        )
    }

    pub(crate) fn unsigned() -> Certificate {
        Certificate {
            kind: CERTIFICATE_KIND.into(),
            v: 1,
            device: CertifiedDevice {
                uri: "sim:bench".into(),
                driver: "sim".into(),
                model: "sim battery".into(),
            },
            issued: "2026-11-24T10:00:00.000Z".into(),
            technician: String::new(),
            class: 1.0,
            zero_limit_amps: 0.01,
            method: "reference".into(),
            reference: Some("sim:bench?role=reference".into()),
            registers: [("gain".to_string(), 32768), ("offset".to_string(), 0)].into(),
            points: vec![
                CertifiedPoint {
                    point: 0,
                    load: "zero".into(),
                    nominal_amps: 0.0,
                    reference_amps: 0.0,
                    measured_amps: round_to(0.000_412_345, 6),
                    measured_volts: round_to(12.812_345, 4),
                    error_amps: round_to(0.000_412_345, 6),
                    error_pct: None,
                },
                CertifiedPoint {
                    point: 1,
                    load: "load".into(),
                    nominal_amps: 2.0,
                    reference_amps: round_to(1.999_871_1, 6),
                    measured_amps: round_to(2.004_123_9, 6),
                    measured_volts: round_to(12.79, 4),
                    error_amps: round_to(0.004_252_8, 6),
                    error_pct: Some(round_to(0.212_65, 4)),
                },
            ],
            correction: Correction {
                gain: round_to(0.997_876_543_21, 8),
                offset_amps: round_to(-0.000_41, 6),
            },
            signature: None,
        }
    }

    #[test]
    fn signed_certificates_verify_and_name_their_technician() {
        let signer = technician();
        let certificate = unsigned().sign(&signer).unwrap();
        assert_eq!(certificate.technician, signer.address().to_checksum(None));
        let signature = certificate.signature.as_deref().unwrap();
        assert_eq!(signature.len(), 2 + 130);
        assert!(signature.ends_with("1b") || signature.ends_with("1c"), "v is 27 or 28");
        assert_eq!(certificate.verify(Path::new("c.json")).unwrap(), signer.address());
    }

    #[test]
    fn the_file_round_trips_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cert.json");
        let certificate = unsigned().sign(&technician()).unwrap();
        certificate.write(&path, false).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("{\n  \"kind\": \"calibration_certificate\",\n  \"v\": 1,"), "{text}");
        let loaded = Certificate::load_verified(&path, Some(&technician().address().to_string())).unwrap();
        assert_eq!(loaded, certificate);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644);
        }
        // Never overwritten without force; nothing left behind.
        let error = certificate.write(&path, false).unwrap_err();
        assert!(matches!(error, CalibrationError::FileExists { .. }), "{error}");
        certificate.write(&path, true).unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn any_changed_value_breaks_the_signature() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cert.json");
        let certificate = unsigned().sign(&technician()).unwrap();
        certificate.write(&path, false).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        for (from, to) in [("2.004124", "2.004125"), ("32768", "32769"), ("\"class\": 1.0", "\"class\": 2.0")]
        {
            assert!(text.contains(from), "{from} in {text}");
            fs::write(&path, text.replacen(from, to, 1)).unwrap();
            let error = Certificate::load_verified(&path, None).unwrap_err();
            assert!(matches!(error, CalibrationError::Tampered { .. }), "{from}: {error}");
            assert!(error.to_string().contains("changed after signing"), "{error}");
        }
        // Indentation is not content: a reformatted file still verifies.
        fs::write(&path, serde_json::to_string(&certificate).unwrap()).unwrap();
        Certificate::load_verified(&path, None).unwrap();
    }

    #[test]
    fn a_damaged_signature_or_another_technician_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cert.json");
        let mut certificate = unsigned().sign(&technician()).unwrap();
        let signature = certificate.signature.clone().unwrap();
        certificate.signature = Some(format!("{}{}", &signature[..10], &signature[12..]));
        certificate.write(&path, true).unwrap();
        let error = Certificate::load_verified(&path, None).unwrap_err();
        assert!(error.to_string().contains("64 bytes, not 65"), "{error}");

        certificate.signature = None;
        certificate.write(&path, true).unwrap();
        assert!(Certificate::load_verified(&path, None).unwrap_err().to_string().contains("not signed"));

        let certificate = unsigned().sign(&technician()).unwrap();
        certificate.write(&path, true).unwrap();
        let error = Certificate::load_verified(&path, Some("0x0000000000000000000000000000000000000001"))
            .unwrap_err();
        assert!(matches!(error, CalibrationError::WrongTechnician { .. }), "{error}");
    }

    #[test]
    fn malformed_files_are_bad_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cert.json");
        for text in ["", "{", r#"{"kind":"calibration_certificate"}"#, "[1,2]"] {
            fs::write(&path, text).unwrap();
            let error = Certificate::load(&path).unwrap_err();
            assert!(matches!(error, CalibrationError::BadCertificate { .. }), "{text}: {error}");
        }
        let mut extra: serde_json::Value = serde_json::to_value(unsigned()).unwrap();
        extra["note"] = "unsigned extra".into();
        fs::write(&path, extra.to_string()).unwrap();
        assert!(Certificate::load(&path).unwrap_err().to_string().contains("unknown field"));
        let missing = Certificate::load(&dir.path().join("nope.json")).unwrap_err();
        assert!(missing.to_string().contains("nope.json"), "{missing}");
    }

    #[test]
    fn rounding_is_exact_through_json() {
        for value in [0.1234567891, 2.0041239, -0.00041, 12.812345, 1234.56789, 0.99787654321] {
            for decimals in [4, 6, 8] {
                let rounded = round_to(value, decimals);
                let text = serde_json::to_string(&rounded).unwrap();
                assert_eq!(
                    serde_json::from_str::<f64>(&text).unwrap().to_bits(),
                    rounded.to_bits(),
                    "{text}"
                );
            }
        }
        assert_eq!(serde_json::to_string(&round_to(-0.0000001, 6)).unwrap(), "0.0");
    }

    #[test]
    fn corrections_apply_to_amps_and_watts() {
        let correction = Correction { gain: 1.01, offset_amps: -0.02 };
        assert!((correction.amps(2.0) - 2.0).abs() < 1e-12);
        assert!((correction.watts(25.6, 12.8, None) - (25.856 - 0.256)).abs() < 1e-9);
        assert_eq!(Correction::IDENTITY.amps(3.5), 3.5);
    }
}
