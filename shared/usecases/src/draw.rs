//! Submitting an incident: every intake check, then one unit drawn from the first usable pack
//! that accepts the draw (the named one, or soonest expiry first), creating the incident, its
//! `submitted` event, the ledger debit and the idempotency record in one transaction. Shared by
//! `POST /incidents` and an accepted sub-problem, so both get every check and the same write.

use crate::Failure;
use domain::calendar::{first_response_clock, Calendars};
use domain::incident::{Event, Incident};
use domain::intake::{check, new_incident, NewIncident, Submission};
use domain::pack::draw_candidates;
use domain::time::Instant;
use domain::Actor;
use store::idempotency::{IdempotencyRecord, IdempotencyWrite};
use store::incidents::{CreateOutcome, ParentChange};
use store::Store;

pub enum Drawn {
    Created {
        incident: Box<Incident>,
        submitted: Event,
    },
    Replayed(IdempotencyRecord),
    /// A sub-problem's parent changed between reading and drawing; nothing was written.
    ParentChanged,
}

/// One draw: who submits what, when, under which new id; for a sub-problem, the parent's change.
pub struct Draw<'a> {
    pub actor: &'a Actor,
    pub submission: &'a Submission,
    pub now: Instant,
    pub incident_id: String,
    pub idempotency: Option<IdempotencyWrite>,
    pub parent_incident_id: Option<String>,
    pub parent: Option<ParentChange<'a>>,
}

/// Runs the intake checks, then draws from the first usable pack that accepts the draw (the
/// named one, or soonest expiry first), creating the incident in the same transaction.
pub async fn draw_incident(
    store: &Store,
    calendars: &Calendars,
    draw: Draw<'_>,
) -> Result<Drawn, Failure> {
    let Draw {
        actor,
        submission,
        now,
        incident_id,
        idempotency,
        parent_incident_id,
        parent,
    } = draw;
    let product = store.product(&submission.product_id).await?;
    check(submission, product.as_ref(), now)?;
    let packs = match &submission.pack_id {
        Some(id) => store.pack(id).await?.into_iter().collect(),
        None => store.all_packs_of(&actor.account_id).await?,
    };
    let candidates = draw_candidates(
        &packs,
        &actor.account_id,
        submission.pack_id.as_deref(),
        now,
    );
    let clock = first_response_clock(calendars.get(submission.calendar), submission.severity, now);
    for pack in candidates {
        let (incident, submitted) = new_incident(
            submission,
            NewIncident {
                incident_id: incident_id.clone(),
                account_id: &actor.account_id,
                pack_id: &pack.pack_id,
                parent_incident_id: parent_incident_id.clone(),
                first_response_warn_at: clock.warn_at,
                first_response_due_at: clock.due_at,
                now,
            },
        );
        let idempotency = match idempotency.clone() {
            Some(mut w) => {
                w.body = serde_json::to_value(incident.view(Some(vec![submitted.clone()])))
                    .map_err(|e| Failure::Internal(format!("serialising the answer: {e}")))?;
                Some(w)
            }
            None => None,
        };
        let parent = parent.as_ref().map(|p| ParentChange {
            parent: p.parent,
            transition: p.transition,
            proposal: p.proposal,
        });
        match store
            .create_incident(&incident, &submitted, now, idempotency.as_ref(), parent)
            .await?
        {
            CreateOutcome::Created => {
                return Ok(Drawn::Created {
                    incident: Box::new(incident),
                    submitted,
                })
            }
            CreateOutcome::Replayed(record) => return Ok(Drawn::Replayed(record)),
            CreateOutcome::ParentChanged => return Ok(Drawn::ParentChanged),
            CreateOutcome::PackUnusable => continue,
        }
    }
    Err(Failure::NoUsablePack(match &submission.pack_id {
        Some(id) => format!("Pack {id} is not yours, has expired, or has no incidents left."),
        None => "You have no unexpired pack with incidents remaining. Buy a pack (POST /packs) or claim one (POST /pack-claims).".into(),
    }))
}
