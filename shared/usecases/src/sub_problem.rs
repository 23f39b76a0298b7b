//! Sub-problems (S1): an engineer proposes that part of a problem become its own incident; the
//! owner decides once. Accepting draws one unit with every intake check, in the same transaction
//! as the parent's `sub_problem_accepted` event and the proposal's decision; declining consumes
//! nothing.

use crate::act::{commit_now, visible};
use crate::draw::{draw_incident, new_number, Draw, Drawn};
use crate::Failure;
use domain::calendar::Calendars;
use domain::incident::{
    apply, decided_proposal, ensure_undecided, Action, ChildIncident, Event, Incident,
    SubProblemRequest,
};
use domain::intake::sub_problem_submission;
use domain::Actor;
use store::ids::new_id;
use store::incidents::{ApplyOutcome, ParentChange};
use store::Store;

/// Records the proposal with the parent's `sub_problem_proposed` event; answers its id.
pub async fn propose(
    store: &Store,
    actor: &Actor,
    incident_id: &domain::IncidentId,
    request: &SubProblemRequest,
) -> Result<domain::ProposalId, Failure> {
    let proposal_id = domain::ProposalId::from(new_id("prop"));
    let mut rounds = store.rounds();
    while rounds.start().await {
        let stored = visible(store, actor, incident_id).await?;
        let action = Action::ProposeSubProblem {
            proposal_id: proposal_id.clone(),
            title: request.title.clone(),
            description: request.description.clone(),
        };
        // Stamped at this round, not at the request's arrival.
        let now = commit_now(&stored);
        let t = apply(&stored.incident, actor, action, now)?;
        let proposal = request.clone().into_proposal(
            &stored.incident.incident_id,
            &proposal_id,
            &actor.account_id,
            now,
        );
        if store
            .propose_sub_problem(&stored, &t, &proposal, now)
            .await?
            == ApplyOutcome::Applied
        {
            return Ok(proposal_id);
        }
    }
    Err(busy())
}

/// The owner's decision on a proposal.
pub enum Decided {
    Declined,
    /// The sub-problem's own incident, drawn from the owner's pack, with its `submitted` event.
    Accepted {
        incident: Box<Incident>,
        submitted: Event,
    },
}

/// Decides a proposal once: a repeat is a `Conflict`, never a second draw.
pub async fn decide(
    store: &Store,
    calendars: &Calendars,
    actor: &Actor,
    incident_id: &domain::IncidentId,
    proposal_id: &domain::ProposalId,
    accept: bool,
) -> Result<Decided, Failure> {
    // Fixed across rounds: a round that lost the race wrote nothing under it. The number is
    // drawn again only if it turns out taken.
    let mut child = accept.then(|| ChildIncident {
        incident_id: new_id("inc").into(),
        number: new_number(),
    });
    let mut rounds = store.rounds();
    while rounds.start().await {
        let stored = visible(store, actor, incident_id).await?;
        let parent_id = stored.incident.incident_id.clone();
        let proposal = store.proposal(&parent_id, proposal_id).await?;
        let action = Action::DecideSubProblem {
            proposal_id: proposal_id.clone(),
            title: proposal
                .as_ref()
                .map(|p| p.title.clone())
                .unwrap_or_default(),
            accepted_as: child.clone(),
        };
        let now = commit_now(&stored);
        // Who may decide, and whether the incident is open, before anything about the proposal.
        let t = apply(&stored.incident, actor, action, now)?;
        let proposal = proposal.ok_or(Failure::NotFound)?;
        ensure_undecided(&proposal)?;
        let decided = decided_proposal(&proposal, child.as_ref());
        let Some(ChildIncident {
            incident_id: child_id,
            number,
        }) = &child
        else {
            if store
                .decline_sub_problem(&stored, &t, &decided, now)
                .await?
                == ApplyOutcome::Applied
            {
                return Ok(Decided::Declined);
            }
            continue;
        };
        let submission = sub_problem_submission(&stored.incident, &proposal);
        let draw = Draw {
            actor,
            submission: &submission,
            now,
            incident_id: child_id.clone(),
            number: number.clone(),
            idempotency: None,
            parent_incident_id: Some(parent_id),
            parent: Some(ParentChange {
                parent: &stored,
                transition: &t,
                proposal: &decided,
            }),
            remember_email: None,
        };
        // The same budget as this loop's rounds: one per request, not one per round.
        match draw_incident(store, calendars, draw, &mut rounds).await? {
            Drawn::Created {
                incident,
                submitted,
            } => {
                return Ok(Decided::Accepted {
                    incident,
                    submitted,
                })
            }
            // The store replays only a draw with an idempotency key; this one has none.
            Drawn::Replayed(_) => {
                return Err(Failure::Internal(
                    "a sub-problem draw without an idempotency key was replayed".into(),
                ))
            }
            // The parent changed between reading and drawing: nothing was written; decide again.
            Drawn::ParentChanged => continue,
            // The number is taken: nothing was written; decide again with another.
            Drawn::NumberTaken => {
                if let Some(child) = child.as_mut() {
                    child.number = new_number();
                }
            }
        }
    }
    Err(busy())
}

fn busy() -> Failure {
    Failure::Busy("the incident is changing too fast; retry".into())
}
