//! Sub-problems (S1): an engineer proposes that part of a problem become its own incident; the
//! owner decides once. Accepting draws one unit with every intake check, in the same transaction
//! as the parent's `sub_problem_accepted` event and the proposal's decision; declining consumes
//! nothing.

use crate::App;
use api::incidents::{commit_now, visible};
use api::intake::{draw_incident, Draw, Drawn};
use api::{ApiError, Ctx, Reply};
use domain::incident::{
    apply, decided_proposal, ensure_undecided, parse_sub_problem_decision, Action,
    SubProblemRequest,
};
use domain::intake::sub_problem_submission;
use serde_json::json;
use store::ids::new_id;
use store::incidents::{ApplyOutcome, ParentChange};
use store::retry::Rounds;

/// `POST /incidents/{incident_id}/sub-problems` (support engineers).
pub async fn propose(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let request = ctx.read(SubProblemRequest::parse)?;
    let proposal_id = new_id("prop");
    let mut rounds = Rounds::new();
    while rounds.start().await {
        let stored = visible(&app.store, &ctx.actor, ctx.param("incident_id")).await?;
        let action = Action::ProposeSubProblem {
            proposal_id: proposal_id.clone(),
            title: request.title.clone(),
            description: request.description.clone(),
        };
        // Stamped at this attempt, not at the request's arrival.
        let now = commit_now(&stored);
        let t = apply(&stored.incident, &ctx.actor, action, now)?;
        let proposal = request.clone().into_proposal(
            &stored.incident.incident_id,
            &proposal_id,
            &ctx.actor.account_id,
            now,
        );
        let outcome = app
            .store
            .propose_sub_problem(&stored, &t, &proposal, now)
            .await?;
        if outcome == ApplyOutcome::Applied {
            return Reply::created(json!({"proposal_id": proposal_id, "status": "proposed"}));
        }
    }
    Err(busy())
}

/// `POST /incidents/{incident_id}/sub-problems/{proposal_id}/decision` (the incident's owner).
/// No `Idempotency-Key`: a proposal is decided once, so a repeat is `409`, never a second draw.
pub async fn decide(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let accept = ctx.read(parse_sub_problem_decision)?;
    let proposal_id = ctx.param("proposal_id");
    // Fixed across attempts: an attempt that lost the race wrote nothing under it.
    let child_id = accept.then(|| new_id("inc"));
    let mut rounds = Rounds::new();
    while rounds.start().await {
        let stored = visible(&app.store, &ctx.actor, ctx.param("incident_id")).await?;
        let parent_id = stored.incident.incident_id.clone();
        let action = Action::DecideSubProblem {
            proposal_id: proposal_id.to_string(),
            accept,
            child_incident_id: child_id.clone(),
        };
        let now = commit_now(&stored);
        // Who may decide, and whether the incident is open, before anything about the proposal.
        let t = apply(&stored.incident, &ctx.actor, action, now)?;
        let proposal = app
            .store
            .proposal(&parent_id, proposal_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        ensure_undecided(&proposal)?;
        let decided = decided_proposal(&proposal, accept, child_id.as_deref());
        let Some(child_id) = &child_id else {
            let outcome = app
                .store
                .decline_sub_problem(&stored, &t, &decided, now)
                .await?;
            if outcome == ApplyOutcome::Applied {
                return Reply::ok(json!({"proposal_id": proposal_id, "status": "declined"}));
            }
            continue;
        };
        let submission = sub_problem_submission(&stored.incident, &proposal);
        let draw = Draw {
            actor: &ctx.actor,
            submission: &submission,
            now,
            incident_id: child_id.clone(),
            idempotency: None,
            parent_incident_id: Some(parent_id),
            parent: Some(ParentChange {
                parent: &stored,
                transition: &t,
                proposal: &decided,
            }),
        };
        match draw_incident(&app.store, app.calendars, draw).await {
            Ok(Drawn::Created {
                incident,
                submitted,
            }) => return Reply::created(incident.view(Some(vec![submitted]))),
            Ok(Drawn::Replayed(_)) => {
                return Err(ApiError::Internal(
                    "a sub-problem draw without an idempotency key was replayed".into(),
                ))
            }
            // The parent changed between reading and drawing: nothing was written; decide again.
            Ok(Drawn::ParentChanged) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(busy())
}

fn busy() -> ApiError {
    ApiError::ServiceUnavailable("the incident is changing too fast; retry".into())
}
