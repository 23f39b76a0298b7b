//! The SDK configuration every AWS adapter starts from (`store`, `objects`, `email`, `pager`,
//! the Stripe secret's read): one HTTPS client per process, rustls on *ring* (the crypto the
//! Stripe client already links, so no second TLS stack), trusting only the certificate
//! authorities AWS service endpoints chain to. Nothing reads the system certificate store, so
//! a cold start does not parse its ~300 files before the first connection.
//!
//! The roots, bundled from Mozilla's store (Debian `ca-certificates`): Amazon Root CA 1–4 and
//! Starfield Services Root CA G2 (Amazon Trust Services, which issues the certificates of the
//! service endpoints), and DigiCert Global Root CA and G2 (endpoints still on DigiCert chains).
//! Plain-HTTP endpoints (the local server) need none of it.

use aws_config::{BehaviorVersion, ConfigLoader};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::Builder;
use aws_types::sdk_config::SharedHttpClient;
use std::sync::OnceLock;

/// The bundled roots, PEM.
pub const ROOTS: [(&str, &str); 7] = [
    (
        "Amazon Root CA 1",
        include_str!("roots/amazon_root_ca_1.pem"),
    ),
    (
        "Amazon Root CA 2",
        include_str!("roots/amazon_root_ca_2.pem"),
    ),
    (
        "Amazon Root CA 3",
        include_str!("roots/amazon_root_ca_3.pem"),
    ),
    (
        "Amazon Root CA 4",
        include_str!("roots/amazon_root_ca_4.pem"),
    ),
    (
        "Starfield Services Root CA G2",
        include_str!("roots/starfield_services_root_g2.pem"),
    ),
    (
        "DigiCert Global Root CA",
        include_str!("roots/digicert_global_root_ca.pem"),
    ),
    (
        "DigiCert Global Root G2",
        include_str!("roots/digicert_global_root_g2.pem"),
    ),
];

fn trust_store() -> TrustStore {
    ROOTS.iter().fold(
        TrustStore::empty().with_native_roots(false),
        |store, (_, pem)| store.with_pem_certificate(pem.as_bytes()),
    )
}

/// The process's one HTTPS client for the AWS SDKs (connections pooled across clients).
pub fn http_client() -> SharedHttpClient {
    static CLIENT: OnceLock<SharedHttpClient> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            let context = TlsContext::builder()
                .with_trust_store(trust_store())
                .build()
                .expect("a TLS context of bundled roots");
            Builder::new()
                .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
                .tls_context(context)
                .build_https()
        })
        .clone()
}

/// `aws_config::defaults` with that client: region, credentials and endpoints from the
/// environment as usual (`AWS_REGION`, the Lambda role's variables, `AWS_ENDPOINT_URL_*`).
pub fn loader() -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).http_client(http_client())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_root_is_one_pem_certificate() {
        for (name, pem) in ROOTS {
            assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{name}");
            assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), 1, "{name}");
            assert!(
                pem.trim_end().ends_with("-----END CERTIFICATE-----"),
                "{name}"
            );
        }
    }
}
