use crate::App;
use api::timeline::answered_reply;
use api::{ApiError, Ctx, Reply};
use domain::incident::{parse_scope_decision, parse_scope_proposal, Action};
use usecases::act::act_answered;

/// `POST /incidents/{incident_id}/scope` (support engineers): the problem definition (S7).
pub async fn propose(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let action = ctx.read(parse_scope_proposal)?;
    answer(app, &ctx, action).await
}

/// `POST /incidents/{incident_id}/scope/decision` (the incident's owner): accept or reject.
pub async fn decide(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let action = ctx.read(parse_scope_decision)?;
    answer(app, &ctx, action).await
}

/// Acts, then answers with the incident as it stands after the change (two round trips).
async fn answer(app: &'static App, ctx: &Ctx, action: Action) -> Result<Reply, ApiError> {
    let answered = act_answered(
        &app.store,
        &ctx.actor,
        &ctx.incident_id(),
        None,
        action,
        ctx.now,
        |_| {},
    )
    .await?;
    answered_reply(ctx, answered)
}
