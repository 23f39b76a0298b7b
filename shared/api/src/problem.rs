//! The one place that decides status, `code` and body for every failure (RFC 9457
//! problem+json). Internal details go to the log, never to the client.

use domain::validation::FieldError;
use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde_json::{json, Map, Value};
use std::borrow::Cow;

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
    /// An assignment names an account that is not a known support engineer.
    #[error("not an engineer")]
    NotAnEngineer,
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
    /// Unexpected: the cause is kept whole for the log, never shown to the client.
    #[error("internal error: {0}")]
    Internal(Cause),
}

/// An unexpected failure's cause with its whole `source()` chain, for the log line of the
/// request (`request failed error=internal error: serialising a reply: …: …`).
#[derive(Debug)]
pub struct Cause(Box<dyn std::error::Error + Send + Sync + 'static>);

impl Cause {
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Cause {
        Cause(Box::new(e))
    }

    /// `e`, as the cause of what was being done (`"serialising a reply"`).
    pub fn context(
        what: impl Into<String>,
        e: impl std::error::Error + Send + Sync + 'static,
    ) -> Cause {
        Cause(Box::new(Context {
            what: what.into(),
            source: Box::new(e),
        }))
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

impl From<String> for Cause {
    fn from(message: String) -> Cause {
        Cause(message.into())
    }
}

impl From<&str> for Cause {
    fn from(message: &str) -> Cause {
        Cause(message.into())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{what}")]
struct Context {
    what: String,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync + 'static>,
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

    /// The one table: every variant's status, `code`, title, client-readable detail and
    /// `Retry-After`. Internal and unavailable causes stay in the log, never in the detail.
    fn meta(&self) -> Meta<'_> {
        use Cow::{Borrowed, Owned};
        use StatusCode as S;
        let m = Meta::new;
        match self {
            ApiError::InvalidRequest { detail, .. } => m(S::BAD_REQUEST, "invalid_request", "Invalid request", Borrowed(detail)),
            ApiError::Unauthenticated => m(S::UNAUTHORIZED, "unauthenticated", "Unauthenticated", Borrowed("A valid bearer token is required.")),
            ApiError::Forbidden(group) => m(S::FORBIDDEN, "forbidden", "Forbidden", Owned(format!("This action needs membership of the {group} group."))),
            ApiError::NotFound => m(S::NOT_FOUND, "not_found", "Not found", Borrowed("No such resource.")),
            ApiError::InvalidState(d) => m(S::CONFLICT, "invalid_state", "Invalid state", Borrowed(d)),
            ApiError::PayloadTooLarge => m(S::PAYLOAD_TOO_LARGE, "payload_too_large", "Payload too large", Borrowed("The request body is larger than 64 KiB.")),
            ApiError::IdempotencyKeyReused => m(S::UNPROCESSABLE_ENTITY, "idempotency_key_reused", "Idempotency key reused", Borrowed("This Idempotency-Key was already used with a different request body.")),
            ApiError::OutOfScope { redirect, .. } => m(S::UNPROCESSABLE_ENTITY, "out_of_scope", "Out of scope", Borrowed(redirect)),
            ApiError::ProductOutOfLifecycle { support_ended_on } => m(S::UNPROCESSABLE_ENTITY, "product_out_of_lifecycle", "Product out of lifecycle", Owned(format!("The product left extended support on {support_ended_on} and is no longer eligible for incidents."))),
            ApiError::SeverityARequires24x7 => m(S::UNPROCESSABLE_ENTITY, "severity_a_requires_24x7", "Severity A requires 24x7 handling", Borrowed("Severity A incidents are worked around the clock: choose 24x7 handling and give a contact phone.")),
            ApiError::NotAnEngineer => m(S::UNPROCESSABLE_ENTITY, "not_an_engineer", "Not an engineer", Borrowed("The account named is not a known support engineer (engineers are known once they have used the API).")),
            ApiError::NoUsablePack(d) => m(S::UNPROCESSABLE_ENTITY, "no_usable_pack", "No usable pack", Borrowed(d)),
            ApiError::TooManyAttempts { retry_after_secs } => m(S::TOO_MANY_REQUESTS, "too_many_attempts", "Too many attempts", Borrowed("Too many unknown order confirmation numbers; try again later.")).retry_after((*retry_after_secs).max(1)),
            ApiError::ServiceUnavailable(_) => m(S::SERVICE_UNAVAILABLE, "service_unavailable", "Service unavailable", Borrowed("The data store is busy or unreachable. Nothing was half-written, but a change may or may not have been made: retry after the indicated delay (with the same Idempotency-Key where the route takes one).")).retry_after(1),
            ApiError::PaymentUnavailable(_) => m(S::SERVICE_UNAVAILABLE, "service_unavailable", "Service unavailable", Borrowed("The payment provider could not be reached or refused the order. Nothing was ordered: retry after the indicated delay with the same Idempotency-Key.")).retry_after(2),
            ApiError::InvalidSignature(_) => m(S::BAD_REQUEST, "invalid_signature", "Invalid signature", Borrowed("The Stripe-Signature header does not verify for this body, or its timestamp is more than 5 minutes away.")),
            ApiError::Internal(_) => m(S::INTERNAL_SERVER_ERROR, "internal_error", "Internal error", Borrowed("An unexpected error occurred.")),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.meta().status
    }

    pub fn code(&self) -> &'static str {
        self.meta().code
    }

    pub fn body(&self) -> Value {
        let meta = self.meta();
        let code = meta.code;
        let mut body = Map::new();
        body.insert(
            "type".into(),
            json!(format!(
                "https://errors.support.example/{}",
                code.replace('_', "-")
            )),
        );
        body.insert("title".into(), json!(meta.title));
        body.insert("status".into(), json!(meta.status.as_u16()));
        body.insert("code".into(), json!(code));
        body.insert("detail".into(), json!(meta.detail));
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

    pub fn into_response(self) -> Response<Body> {
        let meta = self.meta();
        let mut builder = Response::builder()
            .status(meta.status)
            .header(header::CONTENT_TYPE, "application/problem+json");
        if let Some(secs) = meta.retry_after {
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

/// One variant's row of the table.
struct Meta<'a> {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: Cow<'a, str>,
    retry_after: Option<u64>,
}

impl<'a> Meta<'a> {
    fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: Cow<'a, str>,
    ) -> Self {
        Meta {
            status,
            code,
            title,
            detail,
            retry_after: None,
        }
    }

    fn retry_after(self, secs: u64) -> Self {
        Meta {
            retry_after: Some(secs),
            ..self
        }
    }
}

/// A use case that did not happen, answered as the contract says.
impl From<usecases::Failure> for ApiError {
    fn from(f: usecases::Failure) -> Self {
        use usecases::Failure as F;
        match f {
            F::NotFound => ApiError::NotFound,
            F::Forbidden(who) => ApiError::Forbidden(who),
            F::Conflict(why) => ApiError::InvalidState(why),
            F::NotAnEngineer => ApiError::NotAnEngineer,
            F::Refused(r) => r.into(),
            F::NoUsablePack(why) => ApiError::NoUsablePack(why),
            F::TooManyAttempts { retry_after_secs } => {
                ApiError::TooManyAttempts { retry_after_secs }
            }
            F::Busy(why) | F::Unavailable(why) => ApiError::ServiceUnavailable(why),
            F::PaymentUnavailable(why) => ApiError::PaymentUnavailable(why),
            F::IdempotencyKeyReused => ApiError::IdempotencyKeyReused,
            F::InvalidCursor => {
                ApiError::invalid_field("cursor", "is not a cursor this list handed out")
            }
            F::Internal(why) => ApiError::Internal(why.into()),
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

    /// The table's status and `code` per variant, as API.md lists them.
    #[test]
    fn each_variant_answers_its_status_and_code() {
        let cases = [
            (ApiError::invalid_field("x", "y"), 400, "invalid_request"),
            (ApiError::Unauthenticated, 401, "unauthenticated"),
            (ApiError::Forbidden("support-admins"), 403, "forbidden"),
            (ApiError::NotFound, 404, "not_found"),
            (
                ApiError::InvalidState("closed".into()),
                409,
                "invalid_state",
            ),
            (ApiError::PayloadTooLarge, 413, "payload_too_large"),
            (ApiError::NotAnEngineer, 422, "not_an_engineer"),
            (
                ApiError::IdempotencyKeyReused,
                422,
                "idempotency_key_reused",
            ),
            (
                ApiError::OutOfScope {
                    exclusion: "custom_code".into(),
                    redirect: "elsewhere".into(),
                },
                422,
                "out_of_scope",
            ),
            (
                ApiError::ProductOutOfLifecycle {
                    support_ended_on: "2020-01-14".into(),
                },
                422,
                "product_out_of_lifecycle",
            ),
            (
                ApiError::SeverityARequires24x7,
                422,
                "severity_a_requires_24x7",
            ),
            (ApiError::NoUsablePack("none".into()), 422, "no_usable_pack"),
            (
                ApiError::TooManyAttempts {
                    retry_after_secs: 0,
                },
                429,
                "too_many_attempts",
            ),
            (
                ApiError::ServiceUnavailable("x".into()),
                503,
                "service_unavailable",
            ),
            (
                ApiError::PaymentUnavailable("x".into()),
                503,
                "service_unavailable",
            ),
            (
                ApiError::InvalidSignature("x".into()),
                400,
                "invalid_signature",
            ),
            (ApiError::Internal("x".into()), 500, "internal_error"),
        ];
        for (e, status, code) in cases {
            let body = e.body();
            assert_eq!((e.status().as_u16(), e.code()), (status, code), "{e:?}");
            assert_eq!(
                (body["status"].as_u64(), body["code"].as_str()),
                (Some(u64::from(status)), Some(code))
            );
            assert!(
                body["title"].as_str().is_some_and(|t| !t.is_empty()),
                "{body}"
            );
            assert!(
                body["detail"].as_str().is_some_and(|t| !t.is_empty()),
                "{body}"
            );
        }
        let r = ApiError::TooManyAttempts {
            retry_after_secs: 0,
        }
        .into_response();
        assert_eq!(r.headers()[header::RETRY_AFTER], "1", "never a zero wait");
        assert!(ApiError::NotFound
            .into_response()
            .headers()
            .get(header::RETRY_AFTER)
            .is_none());
    }

    #[test]
    fn a_foreign_cursor_is_a_client_error_naming_the_cursor() {
        let e = ApiError::from(usecases::Failure::InvalidCursor);
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
    fn an_unexpected_error_keeps_its_cause_chain_for_the_log_only() {
        let json_error = serde_json::from_str::<Value>("{").expect_err("truncated");
        let e = ApiError::Internal(Cause::context("reading a stored answer", json_error));
        let logged = e.to_string();
        assert!(
            logged.starts_with("internal error: reading a stored answer: EOF while parsing"),
            "{logged}"
        );
        assert!(!e.body().to_string().contains("EOF"), "{}", e.body());
        let stored = ApiError::from(usecases::Failure::Internal(
            "stored item is malformed: incident without version".into(),
        ));
        assert!(
            stored.to_string().contains("incident without version"),
            "{stored}"
        );
        assert_eq!(stored.status(), StatusCode::INTERNAL_SERVER_ERROR);
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
