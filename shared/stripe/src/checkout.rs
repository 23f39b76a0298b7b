//! Creating a Checkout Session: `POST {base}/v1/checkout/sessions`, form-encoded as Stripe
//! documents it, `Authorization: Bearer <secret key>`, and Stripe's own `Idempotency-Key` set to
//! the pack id, so a retried order gets the same session back instead of a second one. Bounded
//! by a timeout; every failure says only what kind it was (no key, no body in messages).

use crate::config::Secret;
use serde::Deserialize;
use std::time::Duration;

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
    http: reqwest::Client,
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
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(2)))
            .build()
            .map_err(|e| CheckoutError::Unreachable(format!("building the HTTP client: {e}")))?;
        Ok(CheckoutClient {
            http,
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
        let response = self
            .http
            .post(format!("{}/v1/checkout/sessions", self.base))
            .bearer_auth(self.secret_key.expose())
            .header("Idempotency-Key", &request.pack_id)
            .form(&self.form(request))
            .send()
            .await
            .map_err(|e| CheckoutError::Unreachable(e.without_url().to_string()))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| CheckoutError::Unreachable(e.without_url().to_string()))?;
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
