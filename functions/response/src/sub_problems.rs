//! Sub-problems (S1): the HTTP side of `usecases::sub_problem` (propose, and the owner's
//! decision: accepting draws one unit with every intake check; declining consumes nothing).

use crate::App;
use api::{ApiError, Ctx, Reply};
use domain::incident::{parse_sub_problem_decision, SubProblemRequest};
use serde_json::json;
use usecases::sub_problem::{self, Decided};

/// `POST /incidents/{incident_id}/sub-problems` (support engineers).
pub async fn propose(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let request = ctx.read(SubProblemRequest::parse)?;
    let proposal_id =
        sub_problem::propose(&app.store, &ctx.actor, &ctx.incident_id(), &request).await?;
    Reply::created(json!({"proposal_id": proposal_id, "status": "proposed"}))
}

/// `POST /incidents/{incident_id}/sub-problems/{proposal_id}/decision` (the incident's owner).
/// No `Idempotency-Key`: a proposal is decided once, so a repeat is `409`, never a second draw.
pub async fn decide(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let accept = ctx.read(parse_sub_problem_decision)?;
    let proposal_id = ctx.proposal_id();
    match sub_problem::decide(
        &app.store,
        app.calendars,
        &ctx.actor,
        &ctx.incident_id(),
        &proposal_id,
        accept,
    )
    .await?
    {
        Decided::Declined => Reply::ok(json!({"proposal_id": proposal_id, "status": "declined"})),
        Decided::Accepted {
            incident,
            submitted,
        } => Reply::created(incident.view(Some(vec![submitted]))),
    }
}
