//! Creating a Checkout Session: `POST {base}/v1/checkout/sessions`, form-encoded as Stripe
//! documents it, `Authorization: Bearer <secret key>`, and Stripe's own `Idempotency-Key` set to
//! the pack id, so a retried order gets the same session back instead of a second one. Bounded
//! by a timeout; every failure says only what kind it was (no key, no body in messages).
//!
//! The request goes through hyper's client on the rustls (*ring*) stack the AWS SDK already
//! links, trusting Mozilla's roots (`webpki-roots`, what the earlier reqwest client trusted), so
//! the function carries one HTTP stack rather than two. Plain `http://` is accepted too: the
//! tests' recording server on loopback.

use crate::secret::Secret;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use std::time::Duration;

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// One order to be paid: one line item at the pack's gross price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRequest {
    pub pack_id: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217; sent in lower case as Stripe spells currencies.
    pub currency: String,
    /// What the customer sees on the payment page.
    pub product_name: String,
    pub customer_email: Option<String>,
}

/// What the order keeps of the session.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Session {
    pub id: String,
    pub url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// Not reached, or no answer within the timeout.
    #[error("Stripe unreachable or too slow: {0}")]
    Unreachable(String),
    /// Answered with an error status (its `error.type` and `error.code`, when given).
    #[error("Stripe refused the session: status {status} ({kind})")]
    Refused { status: u16, kind: String },
    /// Answered 2xx without a session's id and url.
    #[error("Stripe answered without a session: {0}")]
    BadAnswer(String),
}

pub struct CheckoutClient {
    http: Client<Https, Full<Bytes>>,
    timeout: Duration,
    base: String,
    secret_key: Secret,
    success_url: String,
    cancel_url: String,
}

impl CheckoutClient {
    pub fn new(
        base: &str,
        secret_key: Secret,
        success_url: String,
        cancel_url: String,
        timeout: Duration,
    ) -> Result<CheckoutClient, CheckoutError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| CheckoutError::Unreachable(format!("building the TLS client: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_connect_timeout(Some(timeout.min(Duration::from_secs(2))));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let http = Client::builder(TokioExecutor::new()).build(https);
        Ok(CheckoutClient {
            http,
            timeout,
            base: base.trim_end_matches('/').to_string(),
            secret_key,
            success_url,
            cancel_url,
        })
    }

    /// The form parameters, in the order they are sent.
    pub fn form(&self, request: &SessionRequest) -> Vec<(String, String)> {
        let mut form = vec![
            ("mode".to_string(), "payment".to_string()),
            ("client_reference_id".into(), request.pack_id.clone()),
            ("metadata[pack_id]".into(), request.pack_id.clone()),
            ("success_url".into(), self.success_url.clone()),
            ("cancel_url".into(), self.cancel_url.clone()),
            ("line_items[0][quantity]".into(), "1".into()),
            (
                "line_items[0][price_data][currency]".into(),
                request.currency.to_ascii_lowercase(),
            ),
            (
                "line_items[0][price_data][unit_amount]".into(),
                request.amount.to_string(),
            ),
            (
                "line_items[0][price_data][product_data][name]".into(),
                request.product_name.clone(),
            ),
        ];
        if let Some(email) = &request.customer_email {
            form.push(("customer_email".into(), email.clone()));
        }
        form
    }

    pub async fn create_session(&self, request: &SessionRequest) -> Result<Session, CheckoutError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.form(request))
            .finish();
        let post = http::Request::post(format!("{}/v1/checkout/sessions", self.base))
            .header(
                http::header::AUTHORIZATION,
                format!("Bearer {}", self.secret_key.expose()),
            )
            .header("Idempotency-Key", &request.pack_id)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| CheckoutError::Unreachable(format!("building the request: {e}")))?;
        let exchange = async {
            let response = self.http.request(post).await.map_err(|e| {
                // The error's text names the kind of failure (connect, TLS, closed), never the key.
                CheckoutError::Unreachable(format!("{e}"))
            })?;
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|e| CheckoutError::Unreachable(format!("reading the answer: {e}")))?
                .to_bytes();
            Ok::<_, CheckoutError>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| {
                CheckoutError::Unreachable(format!("no answer within {:?}", self.timeout))
            })??;
        if !status.is_success() {
            let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let field = |name: &str| body["error"][name].as_str().unwrap_or("-").to_string();
            return Err(CheckoutError::Refused {
                status: status.as_u16(),
                kind: format!("{}/{}", field("type"), field("code")),
            });
        }
        let session: Session =
            serde_json::from_slice(&bytes).map_err(|e| CheckoutError::BadAnswer(e.to_string()))?;
        if session.id.is_empty() || !session.url.starts_with("http") {
            return Err(CheckoutError::BadAnswer("empty id or url".into()));
        }
        Ok(session)
    }
}
