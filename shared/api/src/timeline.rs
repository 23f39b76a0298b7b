//! Answers that carry an incident's timeline: at most its first `TIMELINE_PAGE_MAX` events,
//! oldest first, and `timeline_next_cursor` for `GET /incidents/{id}/timeline`. No incident's
//! answer grows with its history, and no read touches more than the page it shows.

use crate::problem::ApiError;
use crate::request::{Ctx, Reply};
use lambda_http::http::StatusCode;
use usecases::read::{Answered, IncidentPage};

/// The route that continues an incident's timeline.
pub fn timeline_path(incident_id: &str) -> String {
    format!("/incidents/{incident_id}/timeline")
}

/// The incident as `GET /incidents/{id}` shows it (`usecases::read::incident_with_first_page`),
/// with `status`.
pub fn incident_reply(
    ctx: &Ctx,
    found: IncidentPage,
    status: StatusCode,
) -> Result<Reply, ApiError> {
    let (stored, events, next) = found;
    let cursor = ctx.seal_cursor_for(&timeline_path(&stored.incident.incident_id), &[], next);
    Reply::with_status(
        status,
        stored.incident.view(Some(events)).continued_by(cursor),
    )
}

/// The answer to a change of the incident: its state after the change with the first page of
/// its timeline, as the store answered it without reading again (`usecases::read::Answered`).
pub fn answered_reply(ctx: &Ctx, answered: Answered) -> Result<Reply, ApiError> {
    let incident = answered.transition.incident;
    let cursor = ctx.seal_cursor_for(&timeline_path(&incident.incident_id), &[], answered.next);
    Reply::with_status(
        StatusCode::OK,
        incident
            .view(Some(answered.first_page))
            .continued_by(cursor),
    )
}
