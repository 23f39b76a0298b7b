//! The one place that decides status, `code` and body for every failure (RFC 9457
//! problem+json). Internal details go to the log, never to the client.

use domain::validation::FieldError;
use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde_json::{json, Map, Value};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid request: {detail}")]
    InvalidRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("unauthenticated")]
    Unauthenticated,
    #[error("forbidden: needs {0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("invalid state: {0}")]
    InvalidState(String),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("idempotency key reused with a different body")]
    IdempotencyKeyReused,
    #[error("out of scope: {exclusion}")]
    OutOfScope { exclusion: String, redirect: String },
    #[error("product out of lifecycle since {support_ended_on}")]
    ProductOutOfLifecycle { support_ended_on: String },
    #[error("severity A requires 24x7")]
    SeverityARequires24x7,
    #[error("no usable pack: {0}")]
    NoUsablePack(String),
    #[error("too many attempts")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    ServiceUnavailable(String),
    /// The payment provider could not be reached, was too slow or refused: nothing was ordered.
    #[error("payment provider unavailable: {0}")]
    PaymentUnavailable(String),
    /// A payment webhook whose signature does not verify (the reason stays in the log).
    #[error("invalid signature: {0}")]
    InvalidSignature(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{} {}", one.field, one.message),
            _ => format!("{} fields are invalid", errors.len()),
        };
        ApiError::InvalidRequest { detail, errors }
    }

    pub fn invalid_field(field: &str, message: &str) -> Self {
        Self::invalid(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidRequest { .. } | ApiError::InvalidSignature(_) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::InvalidState(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::IdempotencyKeyReused
            | ApiError::OutOfScope { .. }
            | ApiError::ProductOutOfLifecycle { .. }
            | ApiError::SeverityARequires24x7
            | ApiError::NoUsablePack(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::ServiceUnavailable(_) | ApiError::PaymentUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidRequest { .. } => "invalid_request",
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::InvalidState(_) => "invalid_state",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::IdempotencyKeyReused => "idempotency_key_reused",
            ApiError::OutOfScope { .. } => "out_of_scope",
            ApiError::ProductOutOfLifecycle { .. } => "product_out_of_lifecycle",
            ApiError::SeverityARequires24x7 => "severity_a_requires_24x7",
            ApiError::NoUsablePack(_) => "no_usable_pack",
            ApiError::TooManyAttempts { .. } => "too_many_attempts",
            ApiError::ServiceUnavailable(_) | ApiError::PaymentUnavailable(_) => {
                "service_unavailable"
            }
            ApiError::InvalidSignature(_) => "invalid_signature",
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::InvalidRequest { .. } => "Invalid request",
            ApiError::Unauthenticated => "Unauthenticated",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::NotFound => "Not found",
            ApiError::InvalidState(_) => "Invalid state",
            ApiError::PayloadTooLarge => "Payload too large",
            ApiError::IdempotencyKeyReused => "Idempotency key reused",
            ApiError::OutOfScope { .. } => "Out of scope",
            ApiError::ProductOutOfLifecycle { .. } => "Product out of lifecycle",
            ApiError::SeverityARequires24x7 => "Severity A requires 24x7 handling",
            ApiError::NoUsablePack(_) => "No usable pack",
            ApiError::TooManyAttempts { .. } => "Too many attempts",
            ApiError::ServiceUnavailable(_) | ApiError::PaymentUnavailable(_) => {
                "Service unavailable"
            }
            ApiError::InvalidSignature(_) => "Invalid signature",
            ApiError::Internal(_) => "Internal error",
        }
    }

    /// What the client may read. Internal and unavailable causes stay in the log.
    fn detail(&self) -> String {
        match self {
            ApiError::InvalidRequest { detail, .. } => detail.clone(),
            ApiError::Unauthenticated => "A valid bearer token is required.".into(),
            ApiError::Forbidden(group) => format!("This action needs membership of the {group} group."),
            ApiError::NotFound => "No such resource.".into(),
            ApiError::InvalidState(d) => d.clone(),
            ApiError::PayloadTooLarge => "The request body is larger than 64 KiB.".into(),
            ApiError::IdempotencyKeyReused => "This Idempotency-Key was already used with a different request body.".into(),
            ApiError::OutOfScope { redirect, .. } => redirect.clone(),
            ApiError::ProductOutOfLifecycle { support_ended_on } => {
                format!("The product left extended support on {support_ended_on} and is no longer eligible for incidents.")
            }
            ApiError::SeverityARequires24x7 => {
                "Severity A incidents are worked around the clock: choose 24x7 handling and give a contact phone.".into()
            }
            ApiError::NoUsablePack(d) => d.clone(),
            ApiError::TooManyAttempts { .. } => "Too many unknown order confirmation numbers; try again later.".into(),
            ApiError::ServiceUnavailable(_) => "The data store is busy or unreachable. Nothing was half-written, but a change may or may not have been made: retry after the indicated delay (with the same Idempotency-Key where the route takes one).".into(),
            ApiError::PaymentUnavailable(_) => "The payment provider could not be reached or refused the order. Nothing was ordered: retry after the indicated delay with the same Idempotency-Key.".into(),
            ApiError::InvalidSignature(_) => "The Stripe-Signature header does not verify for this body, or its timestamp is more than 5 minutes away.".into(),
            ApiError::Internal(_) => "An unexpected error occurred.".into(),
        }
    }

    pub fn body(&self) -> Value {
        let code = self.code();
        let mut body = Map::new();
        body.insert(
            "type".into(),
            json!(format!(
                "https://errors.support.example/{}",
                code.replace('_', "-")
            )),
        );
        body.insert("title".into(), json!(self.title()));
        body.insert("status".into(), json!(self.status().as_u16()));
        body.insert("code".into(), json!(code));
        body.insert("detail".into(), json!(self.detail()));
        match self {
            ApiError::InvalidRequest { errors, .. } => {
                body.insert("errors".into(), json!(errors));
            }
            ApiError::OutOfScope {
                exclusion,
                redirect,
            } => {
                body.insert("exclusion".into(), json!(exclusion));
                body.insert("redirect".into(), json!(redirect));
            }
            ApiError::ProductOutOfLifecycle { support_ended_on } => {
                body.insert("support_ended_on".into(), json!(support_ended_on));
            }
            _ => {}
        }
        Value::Object(body)
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::TooManyAttempts { retry_after_secs } => Some((*retry_after_secs).max(1)),
            ApiError::ServiceUnavailable(_) => Some(1),
            ApiError::PaymentUnavailable(_) => Some(2),
            _ => None,
        }
    }

    pub fn into_response(self) -> Response<Body> {
        let mut builder = Response::builder()
            .status(self.status())
            .header(header::CONTENT_TYPE, "application/problem+json");
        if let Some(secs) = self.retry_after() {
            builder = builder.header(header::RETRY_AFTER, secs.to_string());
        }
        builder
            .body(Body::Text(self.body().to_string()))
            .unwrap_or_else(|_| {
                Response::new(Body::Text(
                    r#"{"code":"internal_error","status":500}"#.into(),
                ))
            })
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> Self {
        if matches!(e, store::StoreError::InvalidCursor) {
            return ApiError::invalid_field("cursor", "is not a cursor this list handed out");
        }
        if e.is_retryable() {
            ApiError::ServiceUnavailable(e.to_string())
        } else {
            ApiError::Internal(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_names_its_code_and_status() {
        let e = ApiError::invalid_field("severity", "must be one of: A, B, C");
        let b = e.body();
        assert_eq!(b["code"], "invalid_request");
        assert_eq!(b["status"], 400);
        assert_eq!(b["errors"][0]["field"], "severity");
    }

    #[test]
    fn a_foreign_cursor_is_a_client_error_naming_the_cursor() {
        let e = ApiError::from(store::StoreError::InvalidCursor);
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(e.body()["errors"][0]["field"], "cursor");
    }

    #[test]
    fn internal_errors_never_carry_their_cause() {
        let e = ApiError::Internal("DispatchFailure: connection refused at 10.0.0.1".into());
        let text = e.body().to_string();
        assert!(
            !text.contains("DispatchFailure") && !text.contains("10.0.0.1"),
            "{text}"
        );
    }

    #[test]
    fn unavailable_and_rate_limited_answers_carry_retry_after() {
        let r = ApiError::ServiceUnavailable("throttled".into()).into_response();
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
        let r = ApiError::TooManyAttempts {
            retry_after_secs: 1200,
        }
        .into_response();
        assert_eq!(r.headers()[header::RETRY_AFTER], "1200");
    }

    #[test]
    fn a_payment_provider_outage_is_a_503_with_retry_after_and_no_cause() {
        let e = ApiError::PaymentUnavailable("connect error 127.0.0.1:9".into());
        assert_eq!(e.code(), "service_unavailable");
        assert!(!e.body().to_string().contains("127.0.0.1"));
        let r = e.into_response();
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()[header::RETRY_AFTER], "2");
    }

    #[test]
    fn a_bad_webhook_signature_is_400_invalid_signature() {
        let e = ApiError::InvalidSignature("Mismatch".into());
        assert_eq!(
            (e.status(), e.code()),
            (StatusCode::BAD_REQUEST, "invalid_signature")
        );
        assert!(!e.body().to_string().contains("Mismatch"));
    }
}
