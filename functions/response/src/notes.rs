use crate::App;
use api::{ApiError, Ctx, Reply};
use domain::incident::parse_note;
use usecases::act::act;

/// `POST /incidents/{incident_id}/notes` (support engineers): an internal note, `201 Event`
/// of kind `internal_note`. Staff only, on open and closed incidents alike; the store keeps it
/// apart from the customer's timeline (under its own sort key) and the notifier never hears of it.
pub async fn add(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let action = ctx.read(parse_note)?;
    let t = act(&app.store, &ctx.actor, &ctx.incident_id(), action, ctx.now)
        .await?
        .transition;
    let note = t
        .events
        .into_iter()
        .find(|e| e.kind().is_internal())
        .ok_or_else(|| ApiError::Internal("the transition recorded no internal note".into()))?;
    Reply::created(note)
}
