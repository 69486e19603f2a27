//! TLS for the STS and SSO endpoints: a certificate authority made at start, and a server
//! certificate it signs.
//!
//! Clients of the real endpoints verify the server (botocore against the Mozilla list, or
//! `AWS_CA_BUNDLE`). To test that path for real — and not a "verify = false" shortcut — the
//! server makes its own small PKI when it starts: a P-256 CA, and a P-256 leaf signed by it for
//! `localhost`, `127.0.0.1` and `::1` (or the names given). [`TlsIdentity::ca_pem`] is the
//! file a test writes and points `AWS_CA_BUNDLE` at, for botocore and credchain alike.
//!
//! Everything is pure Rust: keys come from `p256` with the operating system's random bytes,
//! certificates from `rcgen` (without its ring/aws-lc backends), and the TLS server is rustls
//! with the `rustls-rustcrypto` provider — the same provider credchain-http's client uses. The
//! certificates are valid from 1975 to 4096, so moving the server's [`Clock`](crate::Clock)
//! never makes them expire; the client checks them against its own system clock.

use std::fmt;
use std::sync::Arc;

use p256::ecdsa::{Signature, SigningKey, signature::Signer};
use p256::pkcs8::EncodePrivateKey;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::{Error, random};

/// The names the server certificate is valid for when none are given.
pub const DEFAULT_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// A P-256 key that signs for rcgen.
struct EcKey {
    key: SigningKey,
    public: Vec<u8>,
}

impl EcKey {
    fn generate() -> Result<EcKey, Error> {
        // A random scalar; the (astronomically rare) out-of-range value is drawn again.
        for _ in 0..16 {
            let mut bytes = [0u8; 32];
            random::fill(&mut bytes)?;
            if let Ok(key) = SigningKey::from_slice(&bytes) {
                let public = key
                    .verifying_key()
                    .to_encoded_point(false)
                    .as_bytes()
                    .to_vec();
                return Ok(EcKey { key, public });
            }
        }
        Err(Error::Random {
            detail: "no valid P-256 key from 16 draws".to_owned(),
        })
    }
}

impl rcgen::PublicKeyData for EcKey {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl rcgen::SigningKey for EcKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let signature: Signature = self.key.sign(msg);
        Ok(signature.to_der().as_bytes().to_vec())
    }
}

fn serial() -> Result<rcgen::SerialNumber, Error> {
    let mut bytes = [0u8; 16];
    random::fill(&mut bytes)?;
    // Positive, as DER integers for serial numbers must be.
    if let Some(first) = bytes.first_mut() {
        *first &= 0x7f;
        *first |= 0x01;
    }
    Ok(rcgen::SerialNumber::from(bytes.to_vec()))
}

fn cert_error(e: &rcgen::Error) -> Error {
    Error::config("TLS certificate", e.to_string())
}

/// A CA and a server certificate it signed, with the server's key. `Debug` never shows the
/// key.
#[derive(Clone)]
pub struct TlsIdentity {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    leaf_pem: String,
    leaf_der: CertificateDer<'static>,
    key_der: Vec<u8>,
    names: Vec<String>,
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("names", &self.names)
            .field("key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl TlsIdentity {
    /// A new CA and a server certificate for [`DEFAULT_NAMES`].
    pub fn generate() -> Result<TlsIdentity, Error> {
        TlsIdentity::for_names(&DEFAULT_NAMES)
    }

    /// A new CA and a server certificate for these DNS names and IP addresses.
    pub fn for_names(names: &[&str]) -> Result<TlsIdentity, Error> {
        if names.is_empty() {
            return Err(Error::config(
                "TLS certificate",
                "at least one name is needed",
            ));
        }
        let ca_key = EcKey::generate()?;
        let mut ca =
            rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| cert_error(&e))?;
        ca.serial_number = Some(serial()?);
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
        ca.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        // A name of its own per CA: a client trusting another run's CA then finds no issuer
        // (UnknownIssuer), rather than an issuer of the same name whose signature fails.
        let mut tag = [0u8; 4];
        random::fill(&mut tag)?;
        let tag: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        ca.distinguished_name.push(
            rcgen::DnType::CommonName,
            format!("credchain-server test CA {tag}"),
        );
        ca.distinguished_name
            .push(rcgen::DnType::OrganizationName, "credchain");
        let ca_cert = ca.self_signed(&ca_key).map_err(|e| cert_error(&e))?;

        let leaf_key = EcKey::generate()?;
        let owned: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut leaf = rcgen::CertificateParams::new(owned.clone()).map_err(|e| cert_error(&e))?;
        leaf.serial_number = Some(serial()?);
        leaf.is_ca = rcgen::IsCa::ExplicitNoCa;
        leaf.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        leaf.use_authority_key_identifier_extension = true;
        leaf.distinguished_name.push(
            rcgen::DnType::CommonName,
            names.first().copied().unwrap_or("localhost"),
        );
        let issuer = rcgen::Issuer::from_params(&ca, &ca_key);
        let leaf_cert = leaf
            .signed_by(&leaf_key, &issuer)
            .map_err(|e| cert_error(&e))?;
        let key_der = leaf_key
            .key
            .to_pkcs8_der()
            .map_err(|e| Error::config("TLS key", e.to_string()))?
            .as_bytes()
            .to_vec();
        Ok(TlsIdentity {
            ca_pem: ca_cert.pem(),
            ca_der: ca_cert.der().clone(),
            leaf_pem: leaf_cert.pem(),
            leaf_der: leaf_cert.der().clone(),
            key_der,
            names: owned,
        })
    }

    /// The CA certificate, PEM: the content of a file for `AWS_CA_BUNDLE` (or botocore's
    /// `verify=`).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The server certificate, PEM.
    pub fn certificate_pem(&self) -> &str {
        &self.leaf_pem
    }

    /// The names the server certificate is valid for.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// A rustls server configuration serving this identity (HTTP/1.1 only), for a test's
    /// own TLS server (a replay of recorded traffic under the recorded host names, say).
    pub fn rustls_server_config(&self) -> Result<Arc<rustls::ServerConfig>, Error> {
        self.server_config()
    }

    /// A rustls server configuration serving this identity (HTTP/1.1 only).
    pub(crate) fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, Error> {
        let provider = Arc::new(rustls_rustcrypto::provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::config("TLS", e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(vec![self.leaf_der.clone(), self.ca_der.clone()], key)
            .map_err(|e| Error::config("TLS", e.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_builds_a_server_config_and_hides_its_key() {
        let id = TlsIdentity::generate().unwrap();
        assert!(id.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(
            id.certificate_pem()
                .starts_with("-----BEGIN CERTIFICATE-----")
        );
        assert_ne!(id.ca_pem(), id.certificate_pem());
        assert_eq!(id.names(), DEFAULT_NAMES);
        id.server_config().unwrap();
        assert!(!format!("{id:?}").contains("PRIVATE"));
        // Each start makes a new CA.
        assert_ne!(TlsIdentity::generate().unwrap().ca_pem(), id.ca_pem());
        assert!(TlsIdentity::for_names(&[]).is_err());
    }
}
