use crate::App;
use api::incidents::act;
use api::{ApiError, Ctx, Reply};
use domain::incident::{parse_scope_decision, parse_scope_proposal};

/// `POST /incidents/{incident_id}/scope` (support engineers): the problem definition (S7).
pub async fn propose(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    ctx.require_engineer()?;
    let action = ctx.read(parse_scope_proposal)?;
    let id = ctx.param("incident_id");
    act(&app.store, &ctx.actor, id, action, ctx.now).await?;
    incident_with_timeline(app, id).await
}

/// `POST /incidents/{incident_id}/scope/decision` (the incident's owner): accept or reject.
pub async fn decide(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let action = ctx.read(parse_scope_decision)?;
    let id = ctx.param("incident_id");
    act(&app.store, &ctx.actor, id, action, ctx.now).await?;
    incident_with_timeline(app, id).await
}

/// The incident as `GET /incidents/{id}` shows it, read (consistently) after the change.
async fn incident_with_timeline(app: &App, id: &str) -> Result<Reply, ApiError> {
    let (stored, timeline) = app
        .store
        .incident_with_timeline(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Reply::ok(stored.incident.view(Some(timeline)))
}
