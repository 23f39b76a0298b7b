use crate::App;
use api::incidents::act_then;
use api::{ApiError, Ctx, Reply};
use domain::incident::{
    may_refund, note_refunded_unit, parse_charge_decision, parse_closure_request, parse_resolution,
    Action,
};
use domain::pack::Pack;
use lambda_http::http::StatusCode;

/// `POST /incidents/{id}/resolution` (support-engineers): resolved with its solutions, or
/// unresolved with an explanation and the charge.
pub async fn resolve(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let action = ctx.read(parse_resolution)?;
    close(app, &ctx, action).await
}

/// `POST /incidents/{id}/closure-request` (the owner): closes early; the charge waits for staff.
pub async fn request_closure(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let action = ctx.read(parse_closure_request)?;
    close(app, &ctx, action).await
}

/// `POST /incidents/{id}/charge-decision` (support staff): consumed or refunded, once; the same
/// decision again is a no-op.
pub async fn decide_charge(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let action = ctx.read(parse_charge_decision)?;
    close(app, &ctx, action).await
}

/// Lets the domain decide, writes the transition on the version it was decided on, and answers
/// with the incident and its timeline as they now stand.
async fn close(app: &'static App, ctx: &Ctx, action: Action) -> Result<Reply, ApiError> {
    let incident_id = ctx.param("incident_id");
    // A refund's entry says whether the returned unit can still be used, so the pack is read
    // first; its expiry is the only fact needed and a decision does not change it.
    let pack = if may_refund(&action) {
        Some(incident_pack(app, ctx, incident_id).await?)
    } else {
        None
    };
    act_then(
        &app.store,
        &ctx.actor,
        incident_id,
        action,
        ctx.now,
        |transition| {
            if let Some(pack) = &pack {
                note_refunded_unit(transition, pack, ctx.now);
            }
        },
    )
    .await?;
    api::timeline::incident_reply(&app.store, ctx, incident_id, StatusCode::OK).await
}

async fn incident_pack(app: &'static App, ctx: &Ctx, incident_id: &str) -> Result<Pack, ApiError> {
    let stored = api::incidents::visible(&app.store, &ctx.actor, incident_id).await?;
    let pack_id = &stored.incident.pack_id;
    app.store.pack(pack_id).await?.ok_or_else(|| {
        ApiError::Internal(format!(
            "pack {pack_id} of incident {incident_id} is missing"
        ))
    })
}
