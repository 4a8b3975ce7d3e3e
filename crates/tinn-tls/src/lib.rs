//! The one TLS client configuration of tinn: the HTTP client (`https://`, `wss://`) and the
//! PostgreSQL driver (`sslmode=require`) trust the same roots and read a script's `ca` option the
//! same way, with the same messages.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

/// Why a TLS client configuration could not be built; scripts read its Display text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A `ca` block that does not parse as a PEM certificate.
    #[error("ca: not a PEM certificate: {}", pem_reason(.0))]
    NotPem(rustls::pki_types::pem::Error),
    /// A `ca` certificate rustls refuses as a trust root.
    #[error("ca: unusable certificate: {0}")]
    Unusable(rustls::Error),
    /// A `ca` text with no certificate in it.
    #[error("ca: no PEM certificate found")]
    NoCertificate,
    /// rustls refused the protocol versions (a bug in tinn's configuration, not the script's).
    #[error("tls: {0}")]
    Config(rustls::Error),
}

/// Why PEM text did not parse; rustls prints a missing end marker as a list of byte values.
fn pem_reason(err: &rustls::pki_types::pem::Error) -> String {
    match err {
        rustls::pki_types::pem::Error::MissingSectionEnd { end_marker } => {
            format!("missing end marker '-----END {}-----'", String::from_utf8_lossy(end_marker))
        }
        other => other.to_string(),
    }
}

/// Trust: the system's roots, plus the PEM certificates in `ca` when given (PEM text).
pub fn client_config(ca: Option<&str>) -> Result<rustls::ClientConfig, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    // A machine without a CA bundle can still reach servers whose CA the script names.
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(pem) = ca {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(TlsError::NotPem)?;
            roots.add(cert).map_err(TlsError::Unusable)?;
            added += 1;
        }
        if added == 0 {
            return Err(TlsError::NoCertificate);
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
