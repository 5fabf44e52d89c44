//! X.509 certificates for the operator–meter link: an operator CA, leaf certificates that bind
//! a meter's (or the operator's) Kaia account into a URI SAN `kaia:0x…`, and reading any
//! certificate back (subject, SANs, account, issuer, validity, SHA-256 fingerprint).
//!
//! Every key is ECDSA P-256 (`ecdsa-with-SHA256` signatures), the curve every TLS stack and
//! small board speaks. Certificates are made by rcgen and read by x509-parser; `evlock-keygen
//! tls` writes them (keys 0600, atomically, never over an existing file without `--force`), and
//! the link ([`crate::link`]) reads a peer's name and account from its verified certificate
//! with [`identity`].
//!
//! ```
//! use evlock::pki::{LeafRequest, Usage, Validity, issue, new_ca};
//! let ca = new_ca("Operator CA", &Validity::days(3650)).unwrap();
//! let account = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94".parse().unwrap();
//! let request = LeafRequest {
//!     name: "meter-17".into(),
//!     account: Some(account),
//!     hosts: vec![],
//!     usage: Usage::Client,
//!     validity: Validity::days(365),
//! };
//! let leaf = issue(&ca.cert_pem, &ca.key_pem, &request).unwrap();
//! assert_eq!(leaf.info.name.as_deref(), Some("meter-17"));
//! assert_eq!(leaf.info.account, Some(account));
//! assert_eq!(leaf.info.issuer, "CN=Operator CA");
//! ```

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use alloy_primitives::Address;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SanType, SerialNumber,
};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use sha2::{Digest, Sha256};
use x509_parser::extensions::GeneralName;
use zeroize::Zeroizing;

use crate::exit::{ErrorClass, ExitCode};

/// The URI scheme of the SAN that carries a Kaia account: `kaia:0x…` (EIP-55).
pub const ACCOUNT_URI_SCHEME: &str = "kaia:";

/// Why a certificate could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// A leaf name that cannot be a DNS name (it is also the peer's name on the link).
    #[error(
        "{name:?} is not a usable certificate name: use letters, digits, '-' and '.', starting with a letter or digit (at most 253 characters)"
    )]
    BadName {
        /// The name as given.
        name: String,
    },
    /// A `--host` that is neither an IP address nor a DNS name.
    #[error("{host:?} is neither an IP address nor a DNS name")]
    BadHost {
        /// The host as given.
        host: String,
    },
    /// The validity period is empty or does not fit a certificate.
    #[error("bad validity period: {0}")]
    BadValidity(String),
    /// The PEM text holds no certificate, or one that cannot be parsed as X.509.
    #[error("{what}: not an X.509 certificate ({reason})")]
    BadCertificate {
        /// Which input: `CA certificate`, a file name.
        what: String,
        /// What the parser said.
        reason: String,
    },
    /// The PEM text holds no usable private key.
    #[error("{what}: not a usable private key ({reason})")]
    BadKey {
        /// Which input.
        what: String,
        /// What the parser said.
        reason: String,
    },
    /// The CA certificate is not a CA (no basic constraints `CA:TRUE`).
    #[error("the CA certificate ({subject}) is not a CA certificate")]
    NotACa {
        /// Its subject.
        subject: String,
    },
    /// The CA key is not the key of the CA certificate.
    #[error("the CA key does not belong to the CA certificate ({subject})")]
    KeyMismatch {
        /// The CA certificate's subject.
        subject: String,
    },
    /// rcgen could not make the key or the certificate.
    #[error("cannot make the certificate")]
    Generate(#[source] rcgen::Error),
}

impl ErrorClass for PkiError {
    fn exit_code(&self) -> ExitCode {
        match self {
            PkiError::BadKey { .. } | PkiError::KeyMismatch { .. } => ExitCode::Key,
            _ => ExitCode::Usage,
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            PkiError::BadName { .. } => "bad_name",
            PkiError::BadHost { .. } => "bad_host",
            PkiError::BadValidity(_) => "bad_validity",
            PkiError::BadCertificate { .. } => "bad_certificate",
            PkiError::BadKey { .. } => "bad_key",
            PkiError::NotACa { .. } => "not_a_ca",
            PkiError::KeyMismatch { .. } => "ca_key_mismatch",
            PkiError::Generate(_) => "certificate_generation",
        }
    }
}

/// When a certificate is valid: from `not_before` for `days` days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validity {
    /// The start; `None` is now.
    pub not_before: Option<SystemTime>,
    /// The length in days (at least 1).
    pub days: u32,
}

impl Validity {
    /// Valid from now for `days` days.
    pub fn days(days: u32) -> Self {
        Validity { not_before: None, days }
    }

    fn bounds(&self) -> Result<(time::OffsetDateTime, time::OffsetDateTime), PkiError> {
        if self.days == 0 {
            return Err(PkiError::BadValidity("--days must be at least 1".into()));
        }
        let start = self.not_before.unwrap_or_else(SystemTime::now);
        let end = start
            .checked_add(Duration::from_secs(u64::from(self.days) * 86_400))
            .ok_or_else(|| PkiError::BadValidity(format!("{} days is too long", self.days)))?;
        let to_time = |t: SystemTime| {
            let secs = match t.duration_since(SystemTime::UNIX_EPOCH) {
                Ok(d) => d.as_secs() as i64,
                Err(e) => -(e.duration().as_secs() as i64),
            };
            // X.509 times end in 9999 (GeneralizedTime); rcgen refuses later ones.
            time::OffsetDateTime::from_unix_timestamp(secs)
                .ok()
                .filter(|t| t.year() >= 1950 && t.year() <= 9999)
                .ok_or_else(|| PkiError::BadValidity("the period must lie between 1950 and 9999".into()))
        };
        Ok((to_time(start)?, to_time(end)?))
    }
}

/// What a leaf certificate is for (its extended key usage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// A TLS client: a meter dialling the operator (the default).
    Client,
    /// A TLS server: the operator's listener.
    Server,
    /// Both.
    Both,
}

impl Usage {
    fn purposes(self) -> Vec<ExtendedKeyUsagePurpose> {
        match self {
            Usage::Client => vec![ExtendedKeyUsagePurpose::ClientAuth],
            Usage::Server => vec![ExtendedKeyUsagePurpose::ServerAuth],
            Usage::Both => vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth],
        }
    }
}

/// A leaf certificate to issue.
#[derive(Debug, Clone)]
pub struct LeafRequest {
    /// The subject's common name, also its first DNS SAN and its name on the link.
    pub name: String,
    /// The Kaia account bound into the certificate (URI SAN `kaia:0x…`).
    pub account: Option<Address>,
    /// More SANs (DNS names or IP addresses) a server certificate answers to.
    pub hosts: Vec<String>,
    /// Client, server or both.
    pub usage: Usage,
    /// The validity period.
    pub validity: Validity,
}

/// A new certificate and its key, as PEM, with what the certificate says.
pub struct Issued {
    /// The certificate (PEM).
    pub cert_pem: String,
    /// Its private key (PKCS#8 PEM): a secret.
    pub key_pem: Zeroizing<String>,
    /// The certificate, read back.
    pub info: CertInfo,
}

/// What a certificate says, as `evlock-keygen tls inspect` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// The subject as an RFC 4514-style string, e.g. `CN=meter-17`.
    pub subject: String,
    /// The subject's common name, if any.
    pub name: Option<String>,
    /// DNS-name SANs.
    pub dns_names: Vec<String>,
    /// IP-address SANs.
    pub ip_addresses: Vec<IpAddr>,
    /// URI SANs (the account's among them).
    pub uris: Vec<String>,
    /// The Kaia account of the `kaia:` URI SAN.
    pub account: Option<Address>,
    /// The issuer.
    pub issuer: String,
    /// The serial number in hex.
    pub serial: String,
    /// The start of the validity period.
    pub not_before: SystemTime,
    /// The end of the validity period.
    pub not_after: SystemTime,
    /// Whether it is a CA certificate.
    pub is_ca: bool,
    /// The extended key usages: `client`, `server`.
    pub usages: Vec<&'static str>,
    /// SHA-256 of the DER, lowercase hex without separators.
    pub fingerprint_sha256: String,
}

/// Who a peer is, by its verified certificate: the name (common name, else the first DNS SAN)
/// and the Kaia account (the `kaia:` URI SAN), if the certificate binds one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity {
    /// The peer's name.
    pub name: String,
    /// The peer's account.
    pub account: Option<Address>,
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.account {
            Some(account) => write!(f, "{} ({ACCOUNT_URI_SCHEME}{})", self.name, account.to_checksum(None)),
            None => f.write_str(&self.name),
        }
    }
}

/// Whether `name` can be a certificate name: a DNS name (labels of letters, digits and `-`).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    // Positive and never with a leading zero byte: 16 bytes exactly, as RFC 5280 allows.
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::from_slice(&bytes)
}

fn new_key() -> Result<KeyPair, PkiError> {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(PkiError::Generate)
}

fn finish(cert: rcgen::Certificate, key: &KeyPair) -> Result<Issued, PkiError> {
    let info = inspect_der(cert.der(), "the new certificate")?;
    Ok(Issued { cert_pem: cert.pem(), key_pem: Zeroizing::new(key.serialize_pem()), info })
}

/// A new self-signed operator CA named `name` (ECDSA P-256, path length 0: it issues leaves
/// only).
pub fn new_ca(name: &str, validity: &Validity) -> Result<Issued, PkiError> {
    if name.trim().is_empty() {
        return Err(PkiError::BadName { name: name.into() });
    }
    let mut params = CertificateParams::default();
    let (not_before, not_after) = validity.bounds()?;
    params.not_before = not_before;
    params.not_after = not_after;
    params.serial_number = Some(serial());
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let key = new_key()?;
    let cert = params.self_signed(&key).map_err(PkiError::Generate)?;
    finish(cert, &key)
}

/// Issues a leaf certificate under the CA (`ca_cert_pem`, `ca_key_pem`), with a new key.
pub fn issue(ca_cert_pem: &str, ca_key_pem: &str, request: &LeafRequest) -> Result<Issued, PkiError> {
    if !valid_name(&request.name) {
        return Err(PkiError::BadName { name: request.name.clone() });
    }
    let ca_der = first_certificate(ca_cert_pem.as_bytes(), "the CA certificate")?;
    let ca_info = inspect_der(&ca_der, "the CA certificate")?;
    if !ca_info.is_ca {
        return Err(PkiError::NotACa { subject: ca_info.subject });
    }
    let ca_key = KeyPair::from_pem(ca_key_pem)
        .map_err(|e| PkiError::BadKey { what: "the CA key".into(), reason: e.to_string() })?;
    let (_, parsed) = x509_parser::parse_x509_certificate(&ca_der)
        .map_err(|e| PkiError::BadCertificate { what: "the CA certificate".into(), reason: e.to_string() })?;
    if parsed.public_key().subject_public_key.data.as_ref() != ca_key.public_key_raw() {
        return Err(PkiError::KeyMismatch { subject: ca_info.subject });
    }
    let issuer = Issuer::from_ca_cert_der(&ca_der, ca_key).map_err(PkiError::Generate)?;

    let mut params = CertificateParams::default();
    let (not_before, not_after) = request.validity.bounds()?;
    let (ca_start, ca_end) = (ca_info.not_before, ca_info.not_after);
    let (start, end) = (SystemTime::from(not_before), SystemTime::from(not_after));
    if start < ca_start || end > ca_end {
        log::warn!(
            "the certificate's validity reaches outside its CA's: it is only usable while both are valid"
        );
    }
    params.not_before = not_before;
    params.not_after = not_after;
    params.serial_number = Some(serial());
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, request.name.as_str());
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = request.usage.purposes();
    params.use_authority_key_identifier_extension = true;
    let ia5 = |text: &str| text.try_into().map_err(|_| PkiError::BadHost { host: text.to_string() });
    let mut sans = vec![SanType::DnsName(ia5(&request.name)?)];
    for host in &request.hosts {
        match host.parse::<IpAddr>() {
            Ok(ip) => sans.push(SanType::IpAddress(ip)),
            Err(_) if valid_name(host) => sans.push(SanType::DnsName(ia5(host)?)),
            Err(_) => return Err(PkiError::BadHost { host: host.clone() }),
        }
    }
    if let Some(account) = &request.account {
        let uri = format!("{ACCOUNT_URI_SCHEME}{}", account.to_checksum(None));
        sans.push(SanType::URI(uri.as_str().try_into().map_err(PkiError::Generate)?));
    }
    params.subject_alt_names = sans;
    let key = new_key()?;
    let cert = params.signed_by(&key, &issuer).map_err(PkiError::Generate)?;
    finish(cert, &key)
}

/// The first certificate of a PEM text, as DER.
pub fn first_certificate(pem: &[u8], what: &str) -> Result<CertificateDer<'static>, PkiError> {
    match CertificateDer::pem_slice_iter(pem).next() {
        Some(Ok(der)) => Ok(der),
        Some(Err(e)) => Err(PkiError::BadCertificate { what: what.into(), reason: e.to_string() }),
        None => Err(PkiError::BadCertificate { what: what.into(), reason: "no CERTIFICATE block".into() }),
    }
}

/// Reads a certificate (DER): subject, SANs, account, issuer, validity, fingerprint.
pub fn inspect_der(der: &[u8], what: &str) -> Result<CertInfo, PkiError> {
    let bad = |reason: String| PkiError::BadCertificate { what: what.into(), reason };
    let (rest, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| bad(e.to_string()))?;
    if !rest.is_empty() {
        return Err(bad("bytes after the certificate".into()));
    }
    let name = cert.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok()).map(str::to_string);
    let (mut dns_names, mut ip_addresses, mut uris) = (Vec::new(), Vec::new(), Vec::new());
    let sans = cert.subject_alternative_name().map_err(|e| bad(format!("its SANs: {e}")))?;
    for general in sans.iter().flat_map(|ext| ext.value.general_names.iter()) {
        match general {
            GeneralName::DNSName(dns) => dns_names.push(dns.to_string()),
            GeneralName::URI(uri) => uris.push(uri.to_string()),
            GeneralName::IPAddress(bytes) => match bytes.len() {
                4 => ip_addresses.push(IpAddr::from(<[u8; 4]>::try_from(*bytes).unwrap())),
                16 => ip_addresses.push(IpAddr::from(<[u8; 16]>::try_from(*bytes).unwrap())),
                _ => return Err(bad("an IP-address SAN of neither 4 nor 16 bytes".into())),
            },
            _ => {}
        }
    }
    let mut account = None;
    for uri in &uris {
        if let Some(text) = uri.strip_prefix(ACCOUNT_URI_SCHEME) {
            let parsed: Address =
                text.parse().map_err(|_| bad(format!("the account SAN {uri:?} is not an address")))?;
            if account.replace(parsed).is_some_and(|first| first != parsed) {
                return Err(bad("two different kaia: account SANs".into()));
            }
        }
    }
    let usages = match cert.extended_key_usage().map_err(|e| bad(format!("its key usage: {e}")))? {
        Some(eku) => {
            let mut usages = Vec::new();
            if eku.value.client_auth || eku.value.any {
                usages.push("client");
            }
            if eku.value.server_auth || eku.value.any {
                usages.push("server");
            }
            usages
        }
        None => Vec::new(),
    };
    let time = |t: &x509_parser::time::ASN1Time| {
        let secs = t.timestamp();
        if secs >= 0 {
            SystemTime::UNIX_EPOCH + Duration::from_secs(secs as u64)
        } else {
            SystemTime::UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
        }
    };
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        name,
        dns_names,
        ip_addresses,
        uris,
        account,
        issuer: cert.issuer().to_string(),
        serial: hex::encode(cert.raw_serial()),
        not_before: time(&cert.validity().not_before),
        not_after: time(&cert.validity().not_after),
        is_ca: cert.is_ca(),
        usages,
        fingerprint_sha256: hex::encode(Sha256::digest(der)),
    })
}

/// A peer's identity from its (already verified) leaf certificate: the common name, else the
/// first DNS SAN, and the `kaia:` account SAN.
pub fn identity(der: &[u8]) -> Result<Identity, PkiError> {
    let info = inspect_der(der, "the peer's certificate")?;
    let name = info.name.clone().or_else(|| info.dns_names.first().cloned()).ok_or_else(|| {
        PkiError::BadCertificate {
            what: "the peer's certificate".into(),
            reason: "it has neither a common name nor a DNS name".into(),
        }
    })?;
    Ok(Identity { name, account: info.account })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(name: &str) -> LeafRequest {
        LeafRequest {
            name: name.into(),
            account: None,
            hosts: vec![],
            usage: Usage::Client,
            validity: Validity::days(30),
        }
    }

    #[test]
    fn a_leaf_carries_its_name_account_hosts_and_usage() {
        let ca = new_ca("Test CA", &Validity::days(10)).unwrap();
        assert!(ca.info.is_ca);
        assert_eq!(ca.info.subject, "CN=Test CA");
        let account: Address = "0x9858effd232b4033e47d90003d41ec34ecaeda94".parse().unwrap();
        let mut leaf = request("operator");
        leaf.account = Some(account);
        leaf.hosts = vec!["127.0.0.1".into(), "localhost".into()];
        leaf.usage = Usage::Server;
        let issued = issue(&ca.cert_pem, &ca.key_pem, &leaf).unwrap();
        let info = &issued.info;
        assert_eq!(info.dns_names, vec!["operator", "localhost"]);
        assert_eq!(info.ip_addresses, vec!["127.0.0.1".parse::<IpAddr>().unwrap()]);
        assert_eq!(info.uris, vec!["kaia:0x9858EfFD232B4033E47d90003D41EC34EcaEda94"]);
        assert_eq!(info.usages, vec!["server"]);
        assert!(!info.is_ca);
        assert_eq!(info.serial.len(), 32);
        let days = info.not_after.duration_since(info.not_before).unwrap().as_secs() / 86_400;
        assert_eq!(days, 30);
        let der = first_certificate(issued.cert_pem.as_bytes(), "leaf").unwrap();
        assert_eq!(identity(&der).unwrap(), Identity { name: "operator".into(), account: Some(account) });
        assert!(issued.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    }

    #[test]
    fn bad_inputs_are_named() {
        let ca = new_ca("Test CA", &Validity::days(10)).unwrap();
        let other = new_ca("Other CA", &Validity::days(10)).unwrap();
        assert!(matches!(
            issue(&ca.cert_pem, &ca.key_pem, &request("meter 17")),
            Err(PkiError::BadName { .. })
        ));
        assert!(matches!(
            issue(&ca.cert_pem, &other.key_pem, &request("meter-17")),
            Err(PkiError::KeyMismatch { .. })
        ));
        let leaf = issue(&ca.cert_pem, &ca.key_pem, &request("meter-17")).unwrap();
        assert!(matches!(
            issue(&leaf.cert_pem, &leaf.key_pem, &request("meter-18")),
            Err(PkiError::NotACa { .. })
        ));
        let mut bad_host = request("meter-17");
        bad_host.hosts = vec!["not a host".into()];
        assert!(matches!(issue(&ca.cert_pem, &ca.key_pem, &bad_host), Err(PkiError::BadHost { .. })));
        assert!(matches!(new_ca("x", &Validity::days(0)), Err(PkiError::BadValidity(_))));
        assert!(matches!(first_certificate(b"nothing", "x"), Err(PkiError::BadCertificate { .. })));
        assert!(valid_name("meter-17.site-a") && !valid_name("-x") && !valid_name("a..b"));
    }
}
