//! Privacy (API.md "Privacy"): the caller's data export and erasure request; the admins'
//! erasure requests and decisions. The use cases are `usecases::privacy`; the archive itself is
//! built off the request path by the sweeper's scheduled privacy step.

use crate::App;
use api::{ApiError, Ctx, Reply};
use domain::privacy::{
    parse_erasure_decision, parse_erasure_request, ErasureRequest, ErasureStatus,
};
use domain::time::format_instant;
use lambda_http::http::StatusCode;
use serde_json::{json, Value};
use usecases::privacy;

fn erasure_view(r: &ErasureRequest) -> Value {
    json!({
        "account_id": r.account_id,
        "status": r.status,
        "reason": r.reason,
        "requested_at": format_instant(r.requested_at),
        "decided_at": r.decided_at.map(format_instant),
        "note": r.note,
    })
}

/// `POST /account/data-export` → `202 {"export_id","status":"preparing"}`; one per 24 hours.
pub async fn request_export(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let export = privacy::request_export(&app.store, &ctx.actor, ctx.now).await?;
    Reply::with_status(
        StatusCode::ACCEPTED,
        json!({"export_id": export.export_id, "status": export.status}),
    )
}

/// `GET /account/data-export/{export_id}`: its state and, when ready, a link valid 24 hours.
pub async fn export(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let view = privacy::export_view(
        &app.store,
        &app.objects,
        &ctx.actor,
        &ctx.export_id(),
        ctx.now,
    )
    .await?;
    Reply::ok(json!({
        "export_id": view.export.export_id,
        "status": view.export.status,
        "requested_at": format_instant(view.export.requested_at),
        "download_url": view.download_url,
        "expires_at": view.expires_at.map(format_instant),
    }))
}

/// `POST /account/erasure-request {"reason"}` → `202 {"account_id","status":"pending"}`.
pub async fn request_erasure(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let reason = ctx.read(parse_erasure_request)?;
    let request = privacy::request_erasure(&app.store, &ctx.actor, &reason, ctx.now).await?;
    Reply::with_status(
        StatusCode::ACCEPTED,
        json!({"account_id": request.account_id, "status": request.status}),
    )
}

/// `GET /erasure-requests?status=` (support-admins; default `pending`), oldest first.
pub async fn list(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let status = match ctx.query("status") {
        None => ErasureStatus::Pending,
        Some(s) => s
            .parse::<ErasureStatus>()
            .map_err(|m| ApiError::invalid_field("status", &m))?,
    };
    let page = ctx.page()?;
    let (requests, next) = privacy::erasure_requests(&app.store, status, &page).await?;
    Reply::page(&ctx, requests.iter().map(erasure_view).collect(), next)
}

/// `POST /erasure-requests/{account_id}/decision {"approve","note"}` (support-admins) →
/// `200 {"account_id","status":"erased|rejected"}`; an approval is carried out before the answer.
pub async fn decide(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let (approve, note) = ctx.read(parse_erasure_decision)?;
    let decided = privacy::decide_erasure(
        &app.store,
        &app.objects,
        &ctx.actor,
        &ctx.account_id(),
        approve,
        note,
        ctx.now,
    )
    .await?;
    Reply::ok(json!({"account_id": decided.account_id, "status": decided.status}))
}
