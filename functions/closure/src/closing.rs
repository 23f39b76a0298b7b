use crate::App;
use api::{ApiError, Ctx, Reply};
use domain::incident::{parse_charge_decision, parse_closure_request, parse_resolution, Action};

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

/// Lets the domain decide (`usecases::closure`), then answers with the incident and its
/// timeline as they stand after the change.
async fn close(app: &'static App, ctx: &Ctx, action: Action) -> Result<Reply, ApiError> {
    let answered =
        usecases::closure::close(&app.store, &ctx.actor, &ctx.incident_id(), action, ctx.now)
            .await?;
    api::timeline::answered_reply(ctx, answered)
}
