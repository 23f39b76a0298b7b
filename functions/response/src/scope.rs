use crate::App;
use api::timeline::incident_reply;
use api::{ApiError, Ctx, Reply};
use domain::incident::{parse_scope_decision, parse_scope_proposal};
use lambda_http::http::StatusCode;
use usecases::act::act;

/// `POST /incidents/{incident_id}/scope` (support engineers): the problem definition (S7).
pub async fn propose(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let action = ctx.read(parse_scope_proposal)?;
    let id = ctx.param("incident_id");
    act(&app.store, &ctx.actor, id, action, ctx.now).await?;
    incident_reply(&app.store, &ctx, id, StatusCode::OK).await
}

/// `POST /incidents/{incident_id}/scope/decision` (the incident's owner): accept or reject.
pub async fn decide(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let action = ctx.read(parse_scope_decision)?;
    let id = ctx.param("incident_id");
    act(&app.store, &ctx.actor, id, action, ctx.now).await?;
    incident_reply(&app.store, &ctx, id, StatusCode::OK).await
}
