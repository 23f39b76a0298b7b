//! The one HTTP client the AWS SDK clients of a process send through: hyper's HTTP/1.1 client
//! (hyper-util's pooled client) on rustls with *ring*, trusting only [`crate::ROOTS`].
//!
//! The SDK's own client (aws-smithy-http-client) links HTTP/2 (h2) and its own connector stack
//! beside the hyper-util client the Stripe client already uses; every AWS API these functions
//! call (DynamoDB, S3, SES, SNS, Secrets Manager) is served over HTTP/1.1, so this adapter keeps
//! what they use and leaves the rest out of every zip.
//!
//! What it does for the SDK, as the SDK's client does: one pool per distinct connect timeout
//! (the adapters set theirs in their `TimeoutConfig`), the read timeout (waiting for the
//! response's head), and errors classified for the SDK's retry policy: a connection that could
//! not be made, was reset or closed, or a timeout, is retryable ("io", "timeout"); a response cut
//! short is a transient error; a request the client refused to send is the caller's ("user").

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::ErrorKind;
use hyper_util::client::legacy::connect::HttpConnector as Tcp;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::error::Error;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Https = hyper_rustls::HttpsConnector<Tcp>;
type Pool = Client<Https, SdkBody>;

/// The bundled roots as rustls trusts them.
fn root_store() -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    for (name, pem) in crate::ROOTS {
        let der = CertificateDer::from_pem_slice(pem.as_bytes())
            .unwrap_or_else(|e| panic!("the bundled root {name} is not a PEM certificate: {e}"));
        roots
            .add(der)
            .unwrap_or_else(|e| panic!("the bundled root {name} is not usable: {e}"));
    }
    roots
}

/// The TLS configuration: TLS 1.2 and 1.3 on *ring*, the bundled roots only.
fn tls_config() -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(root_store())
        .with_no_client_auth()
}

/// The SDK-facing client: hands each SDK client a connector for its timeouts.
#[derive(Debug)]
pub(crate) struct AwsHttps {
    tls: rustls::ClientConfig,
    /// One pooled client per connect timeout, made when first asked for.
    pools: Mutex<Vec<(Option<Duration>, Pool)>>,
}

impl AwsHttps {
    pub(crate) fn new() -> AwsHttps {
        AwsHttps {
            tls: tls_config(),
            pools: Mutex::new(Vec::new()),
        }
    }

    fn pool(&self, connect_timeout: Option<Duration>) -> Pool {
        let mut pools = self.pools.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, client)) = pools.iter().find(|(t, _)| *t == connect_timeout) {
            return client.clone();
        }
        let mut tcp = Tcp::new();
        tcp.enforce_http(false);
        tcp.set_connect_timeout(connect_timeout);
        tcp.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(self.tls.clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(https);
        pools.push((connect_timeout, client.clone()));
        client
    }
}

impl HttpClient for AwsHttps {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(Connector {
            client: self.pool(settings.connect_timeout()),
            read_timeout: settings.read_timeout(),
        })
    }
}

#[derive(Debug, Clone)]
struct Connector {
    client: Pool,
    read_timeout: Option<Duration>,
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        let sent = self.client.request(request);
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let answered = match read_timeout {
                Some(limit) => tokio::time::timeout(limit, sent).await.map_err(|_| {
                    ConnectorError::timeout(
                        format!("HTTP read timeout: no response within {limit:?}").into(),
                    )
                })?,
                None => sent.await,
            };
            match answered {
                Ok(response) => HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                    .map_err(|e| ConnectorError::other(e.into(), None)),
                Err(e) => Err(classify(e)),
            }
        })
    }
}

fn find_source<'a, E: Error + 'static>(err: &'a (dyn Error + 'static)) -> Option<&'a E> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<E>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}

/// What the SDK's retry policy should make of a failed exchange (as the SDK's own client
/// classifies hyper's errors).
fn classify(err: hyper_util::client::legacy::Error) -> ConnectorError {
    if err.is_connect() || find_source::<std::io::Error>(&err).is_some() {
        return ConnectorError::io(err.into());
    }
    match find_source::<hyper::Error>(&err) {
        Some(h) if h.is_timeout() => ConnectorError::timeout(err.into()),
        Some(h) if h.is_user() => ConnectorError::user(err.into()),
        Some(h) if h.is_closed() || h.is_canceled() => ConnectorError::io(err.into()),
        Some(h) if h.is_incomplete_message() => {
            ConnectorError::other(BoxError::from(err), Some(ErrorKind::TransientError))
        }
        _ => ConnectorError::other(err.into(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_root_is_trusted() {
        assert_eq!(root_store().len(), crate::ROOTS.len());
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_retryable_io_error() {
        // A port nothing listens on: bind one, learn its number, close it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let https = AwsHttps::new();
        let client = https.pool(Some(Duration::from_secs(1)));
        let request = http::Request::get(format!("http://127.0.0.1:{port}/"))
            .body(SdkBody::empty())
            .expect("a request");
        let err = client.request(request).await.expect_err("nothing listens");
        let classified = classify(err);
        assert!(classified.is_io(), "{classified:?}");
    }
}
