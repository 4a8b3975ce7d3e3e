//! The server's TLS: certificates and keys loaded from PEM text or PEM files, one of several
//! chosen per connection by the name the client asks for (SNI), and swapped by `reload` while
//! connections stay up (each handshake reads the set current at that moment).

use std::sync::{Arc, RwLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::error::HttpError;

/// One `{cert, key, names}` entry of the `tls` option, as the script gave it.
pub(crate) struct CertSource {
    /// PEM text, or the path of a PEM file (read again on every reload).
    pub(crate) cert: String,
    pub(crate) key: String,
    /// Host names this certificate answers; empty: the names the certificate itself is valid for.
    pub(crate) names: Vec<String>,
}

/// A certificate ready for handshakes.
#[derive(Debug)]
struct Loaded {
    names: Vec<String>,
    certified: Arc<CertifiedKey>,
}

/// The certificates of one server; `ResolvesServerCert` for rustls.
#[derive(Debug)]
pub(crate) struct Certificates {
    sources: Vec<SourceText>,
    current: RwLock<Arc<Vec<Loaded>>>,
}

/// A `CertSource` without its Debug-unfriendly PEM text in logs.
struct SourceText(CertSource);

impl std::fmt::Debug for SourceText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cert {}, key {}", describe(&self.0.cert), describe(&self.0.key))
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn is_pem(text: &str) -> bool {
    text.contains("-----BEGIN")
}

/// How an error names a cert or key: its path, or "(PEM text)".
fn describe(source: &str) -> String {
    if is_pem(source) { "(PEM text)".to_owned() } else { format!("'{source}'") }
}

/// The PEM text of `source`: itself, or the contents of the file it names.
fn pem_of(what: &'static str, source: &str) -> Result<Vec<u8>, HttpError> {
    if is_pem(source) {
        return Ok(source.as_bytes().to_vec());
    }
    std::fs::read(source).map_err(|e| HttpError::TlsRead { what, path: source.to_owned(), source: e })
}

fn load(source: &CertSource, provider: &CryptoProvider) -> Result<Loaded, HttpError> {
    let cert_failed = |reason: String| HttpError::Tls { subject: format!("cert {}", describe(&source.cert)), reason };
    let key_failed = |reason: String| HttpError::Tls { subject: format!("key {}", describe(&source.key)), reason };
    let cert_pem = pem_of("cert", &source.cert)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_failed(format!("not a PEM certificate: {e}")))?;
    if chain.is_empty() {
        return Err(cert_failed("no PEM certificate found".to_owned()));
    }
    let key_pem = pem_of("key", &source.key)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| key_failed(format!("no PEM private key found ({e})")))?;
    let certified = CertifiedKey::from_der(chain, key, provider).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => HttpError::KeyMismatch { key: describe(&source.key), cert: describe(&source.cert) },
        other => key_failed(other.to_string()),
    })?;
    let names = source.names.iter().map(|name| name.to_ascii_lowercase()).collect();
    Ok(Loaded { names, certified: Arc::new(certified) })
}

fn load_all(sources: &[SourceText]) -> Result<Vec<Loaded>, HttpError> {
    let provider = provider();
    sources.iter().map(|source| load(&source.0, &provider)).collect()
}

/// `name` matches `pattern` exactly or through a leading wildcard label (`*.example.com`).
fn name_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => name.split_once('.').is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
        None => pattern == name,
    }
}

impl Loaded {
    fn answers(&self, name: &str) -> bool {
        if !self.names.is_empty() {
            return self.names.iter().any(|pattern| name_matches(pattern, name));
        }
        let (Ok(server_name), Some(cert)) = (ServerName::try_from(name), self.certified.cert.first()) else {
            return false;
        };
        webpki::EndEntityCert::try_from(cert).is_ok_and(|cert| cert.verify_is_valid_for_subject_name(&server_name).is_ok())
    }
}

impl Certificates {
    /// Loads every source; the first error names the entry that failed.
    pub(crate) fn new(sources: Vec<CertSource>) -> Result<Certificates, HttpError> {
        let sources: Vec<SourceText> = sources.into_iter().map(SourceText).collect();
        if sources.is_empty() {
            return Err(HttpError::NoCertificate);
        }
        let loaded = load_all(&sources)?;
        Ok(Certificates { sources, current: RwLock::new(Arc::new(loaded)) })
    }

    /// Reads every source again and swaps the set in for new handshakes; on any error the
    /// old set stays.
    pub(crate) fn reload(&self) -> Result<(), HttpError> {
        let loaded = Arc::new(load_all(&self.sources)?);
        match self.current.write() {
            Ok(mut current) => *current = loaded,
            Err(poisoned) => *poisoned.into_inner() = loaded,
        }
        Ok(())
    }

    fn snapshot(&self) -> Arc<Vec<Loaded>> {
        match self.current.read() {
            Ok(current) => Arc::clone(&current),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// rustls' server config using these certificates, offering `alpn` protocols.
    pub(crate) fn server_config(self: &Arc<Self>, alpn: Vec<Vec<u8>>) -> Result<Arc<rustls::ServerConfig>, HttpError> {
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(HttpError::TlsConfig)?
            .with_no_client_auth()
            .with_cert_resolver(Arc::clone(self) as Arc<dyn ResolvesServerCert>);
        config.alpn_protocols = alpn;
        Ok(Arc::new(config))
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let loaded = self.snapshot();
        // no SNI (a bare IP address) or no match: the first certificate, as nginx does
        let chosen = hello
            .server_name()
            .map(str::to_ascii_lowercase)
            .and_then(|name| loaded.iter().find(|entry| entry.answers(&name)))
            .or_else(|| loaded.first());
        chosen.map(|entry| Arc::clone(&entry.certified))
    }
}

#[cfg(test)]
mod tests {
    use super::name_matches;

    #[test]
    fn wildcards_cover_one_label() {
        assert!(name_matches("a.example.com", "a.example.com"));
        assert!(name_matches("*.example.com", "a.example.com"));
        assert!(!name_matches("*.example.com", "a.b.example.com"));
        assert!(!name_matches("*.example.com", "example.com"));
    }
}
