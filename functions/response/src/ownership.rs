use crate::App;
use api::timeline::answered_reply;
use api::{ApiError, Ctx, Reply};
use domain::incident::parse_assignment;
use usecases::assign::assign;

/// `POST /incidents/{incident_id}/assignment` (support engineers and admins): take, hand off or
/// release; `200 Incident` as it stands after the change (a no-op answers it unchanged).
pub async fn assignment(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let request = ctx.read(parse_assignment)?;
    let answered = assign(&app.store, &ctx.actor, &ctx.incident_id(), request, ctx.now).await?;
    answered_reply(&ctx, answered)
}

/// `GET /engineers` (support staff): every registered engineer with its open-incident count
/// (a counter kept with the changes, read with the registry in one Query).
pub async fn engineers(app: &'static App, _ctx: Ctx) -> Result<Reply, ApiError> {
    let items: Vec<serde_json::Value> = usecases::lists::engineers(&app.store)
        .await?
        .into_iter()
        .map(|e| {
            serde_json::json!({
                "account_id": e.account_id,
                "display_name": e.display_name,
                "email": e.email,
                "open_incidents": e.open_incidents.max(0),
            })
        })
        .collect();
    Reply::ok(serde_json::json!({ "items": items }))
}
