//! One notification: verify the signature over the raw body before reading anything of it, then
//! let the domain decide what the event does to the order it names, and write that in one
//! conditional transaction (which also writes the event id once). Every verified event is
//! answered `200 {"received":true}`, also when it changes nothing, so Stripe stops re-sending it.

use crate::App;
use api::request::MAX_BODY_BYTES;
use api::{ApiError, Reply};
use chrono::{SubsecRound, Utc};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;

pub const PATH: &str = "/payments/stripe/webhook";

pub async fn handle(app: &'static App, req: Request) -> Response<Body> {
    let started = std::time::Instant::now();
    let request_id = req
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let response = match receive(app, &req).await {
        Ok(reply) => reply.into_response(),
        Err(e) => {
            if e.status().is_server_error() {
                tracing::error!(error = %e, code = e.code(), "notification failed");
            }
            e.into_response()
        }
    };
    tracing::info!(
        request_id = %request_id,
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

async fn receive(app: &'static App, req: &Request) -> Result<Reply, ApiError> {
    if !req.method().as_str().eq_ignore_ascii_case("POST")
        || req.uri().path().trim_end_matches('/') != PATH
    {
        return Err(ApiError::NotFound);
    }
    let body: &[u8] = match req.body() {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    };
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    let now = Utc::now().trunc_subsecs(0);
    let header = req
        .headers()
        .get("stripe-signature")
        .and_then(|h| h.to_str().ok());
    let secret = app
        .secret
        .as_ref()
        .map(|s| s.expose().as_bytes())
        .unwrap_or_default();
    if let Err(e) = stripe::signature::verify(header, body, secret, now.timestamp()) {
        tracing::warn!(reason = %e, "payment notification refused: signature");
        return Err(ApiError::InvalidSignature(e.to_string()));
    }
    let notice = stripe::event::read_notice(body).map_err(|e| {
        tracing::warn!(error = %e, "signed notification is not an event");
        ApiError::invalid_field("body", "is not a Stripe event")
    })?;
    usecases::payment::apply(&app.store, &notice, now).await?;
    Reply::ok(json!({ "received": true }))
}
