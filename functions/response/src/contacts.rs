use crate::App;
use api::{ApiError, Ctx, Reply};
use domain::incident::{parse_customer_message, parse_response, Event, EventKind, Transition};
use usecases::act::act;

/// `POST /incidents/{incident_id}/responses` (support engineers): a contact on any channel. The
/// first one stops the SLA clock; the versioned write makes a race with the sweep come out one
/// way only.
pub async fn respond(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let action = ctx.read(parse_response)?;
    let t = act(&app.store, &ctx.actor, &ctx.incident_id(), action, ctx.now)
        .await?
        .transition;
    Reply::created(posted(t, EventKind::Response)?)
}

/// `POST /incidents/{incident_id}/messages` (the incident's owner).
pub async fn customer_message(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let action = ctx.read(parse_customer_message)?;
    let t = act(&app.store, &ctx.actor, &ctx.incident_id(), action, ctx.now)
        .await?
        .transition;
    Reply::created(posted(t, EventKind::CustomerMessage)?)
}

/// The contact as stored; a first late response also records the breach, which is not it.
fn posted(t: Transition, kind: EventKind) -> Result<Event, ApiError> {
    t.events
        .into_iter()
        .find(|e| e.kind() == kind)
        .ok_or_else(|| {
            ApiError::Internal(format!("the transition recorded no {kind:?} event").into())
        })
}
