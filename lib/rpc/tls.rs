//! TLS for the JSON-RPC client and server: PEM loading and rustls configurations.
//!
//! Everything runs on rustls with the `ring` provider (pure Rust and assembly, no cmake, cross
//! builds for ARM boards). Configurations are built with that provider explicitly, and
//! [`install_default_provider`] also makes it the process default for any code that asks for
//! one. There is no option anywhere to skip certificate verification: a node with a private
//! CA is reached by adding that CA (`--ca-cert`).

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate, key or CA given to the client or server is unusable. These are input
/// errors (exit 2): the handshake never started.
#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    /// The PEM text holds no certificate (wrong file, or a key where a certificate belongs).
    #[error("no certificate found in the {what} PEM")]
    NoCertificate {
        /// Which input: `CA`, `client certificate`, `server certificate`, `client CA`.
        what: &'static str,
    },
    /// The PEM text holds no private key (PKCS#8, PKCS#1 or SEC1).
    #[error("no private key found in the {what} PEM")]
    NoKey {
        /// Which input: `client key`, `server key`.
        what: &'static str,
    },
    /// The PEM text is malformed.
    #[error("cannot read the {what} PEM")]
    Pem {
        /// Which input.
        what: &'static str,
        /// What the PEM parser said.
        #[source]
        source: rustls_pki_types::pem::Error,
    },
    /// A CA certificate was not accepted as a trust anchor.
    #[error("the {what} is not a usable CA certificate")]
    BadCa {
        /// Which input: `CA` or `client CA`.
        what: &'static str,
        /// Why rustls refused it.
        #[source]
        source: rustls::Error,
    },
    /// rustls refused the certificate/key pair (for instance the key does not match).
    #[error("the {what} certificate and key cannot be used together")]
    Identity {
        /// `client` or `server`.
        what: &'static str,
        /// Why rustls refused them.
        #[source]
        source: rustls::Error,
    },
    /// The client-certificate verifier could not be built from the client CA.
    #[error("cannot verify client certificates with the client CA")]
    Verifier(#[source] rustls::server::VerifierBuilderError),
}

/// The crypto provider every configuration here uses: rustls on `ring`.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Installs `ring` as rustls's process-wide default provider, unless one is installed already.
pub fn install_default_provider() {
    if CryptoProvider::get_default().is_none() {
        // A concurrent install of the same provider is fine: ignore "already installed".
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Every certificate in a PEM text (a chain, or several CAs).
pub fn certificates(pem: &[u8], what: &'static str) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsConfigError::Pem { what, source })?;
    if certs.is_empty() {
        return Err(TlsConfigError::NoCertificate { what });
    }
    Ok(certs)
}

/// The first private key in a PEM text.
pub fn private_key(pem: &[u8], what: &'static str) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|source| match source {
        rustls_pki_types::pem::Error::NoItemsFound => TlsConfigError::NoKey { what },
        source => TlsConfigError::Pem { what, source },
    })
}

fn roots(pem: &[u8], what: &'static str, store: &mut RootCertStore) -> Result<(), TlsConfigError> {
    for cert in certificates(pem, what)? {
        store.add(cert).map_err(|source| TlsConfigError::BadCa { what, source })?;
    }
    Ok(())
}

/// The client's configuration: the webpki (Mozilla) roots plus `ca_pem`'s certificates, and
/// a client certificate chain and key for mutual TLS. Offers HTTP/1.1 by ALPN.
pub fn client_config(
    ca_pem: Option<&[u8]>,
    identity: Option<(&[u8], &[u8])>,
) -> Result<ClientConfig, TlsConfigError> {
    let mut store = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(pem) = ca_pem {
        roots(pem, "CA", &mut store)?;
    }
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default protocol versions")
        .with_root_certificates(store);
    let mut config = match identity {
        Some((cert_pem, key_pem)) => {
            let chain = certificates(cert_pem, "client certificate")?;
            let key = private_key(key_pem, "client key")?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|source| TlsConfigError::Identity { what: "client", source })?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The server's configuration: its certificate chain and key; with `client_ca_pem`, every
/// client must present a certificate issued by one of those CAs (mutual TLS).
pub fn server_config(
    cert_pem: &[u8],
    key_pem: &[u8],
    client_ca_pem: Option<&[u8]>,
) -> Result<ServerConfig, TlsConfigError> {
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default protocol versions");
    let builder = match client_ca_pem {
        Some(pem) => {
            let mut store = RootCertStore::empty();
            roots(pem, "client CA", &mut store)?;
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider)
                .build()
                .map_err(TlsConfigError::Verifier)?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let chain = certificates(cert_pem, "server certificate")?;
    let key = private_key(key_pem, "server key")?;
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|source| TlsConfigError::Identity { what: "server", source })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_errors_name_the_input() {
        let error = certificates(b"not pem", "CA").unwrap_err();
        assert_eq!(error.to_string(), "no certificate found in the CA PEM");
        let error = private_key(b"", "client key").unwrap_err();
        assert_eq!(error.to_string(), "no private key found in the client key PEM");
        assert!(client_config(Some(b"nothing"), None).is_err());
        assert!(client_config(None, None).is_ok());
    }
}
