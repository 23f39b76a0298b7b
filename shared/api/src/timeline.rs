//! Answers that carry an incident's timeline: at most its first `TIMELINE_PAGE_MAX` events,
//! oldest first, and `timeline_next_cursor` for `GET /incidents/{id}/timeline`. No incident's
//! answer grows with its history, and no read touches more than the page it shows.

use crate::problem::ApiError;
use crate::request::{Ctx, Reply};
use lambda_http::http::StatusCode;
use usecases::read::IncidentPage;

/// The route that continues an incident's timeline.
pub fn timeline_path(incident_id: &str) -> String {
    format!("/incidents/{incident_id}/timeline")
}

/// The incident as `GET /incidents/{id}` shows it, or as a change left it (read with its
/// timeline before the write, answered without a read after it): with `status`.
pub fn incident_reply(
    ctx: &Ctx,
    page: IncidentPage,
    status: StatusCode,
) -> Result<Reply, ApiError> {
    let cursor = ctx.seal_cursor_for(&timeline_path(&page.incident.incident_id), &[], page.next);
    Reply::with_status(
        status,
        page.incident
            .view(Some(page.first_page))
            .continued_by(cursor),
    )
}

/// The answer to a change of the incident: its state after the change with the first page of
/// its timeline (`usecases::act::act_answered`).
pub fn answered_reply(ctx: &Ctx, answered: IncidentPage) -> Result<Reply, ApiError> {
    incident_reply(ctx, answered, StatusCode::OK)
}
