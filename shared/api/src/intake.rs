//! Drawing a unit and creating an incident: shared by `POST /incidents` and by an accepted
//! sub-problem, so both run every intake check and the same single transaction.

use crate::problem::ApiError;
use domain::calendar::{first_response_clock, Calendars};
use domain::incident::{Event, Incident};
use domain::intake::{check, new_incident, NewIncident, Refusal, Submission};
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

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::UnknownProduct => ApiError::invalid_field(
                "product_id",
                "is not a product in the catalogue (see GET /products)",
            ),
            Refusal::OutOfScope {
                exclusion,
                redirect,
            } => ApiError::OutOfScope {
                exclusion: exclusion.to_string(),
                redirect: redirect.to_string(),
            },
            Refusal::ProductOutOfLifecycle { support_ended_on } => {
                ApiError::ProductOutOfLifecycle { support_ended_on }
            }
            Refusal::SeverityARequires24x7 => ApiError::SeverityARequires24x7,
        }
    }
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
) -> Result<Drawn, ApiError> {
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
                    .map_err(|e| ApiError::Internal(format!("serialising the answer: {e}")))?;
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
    Err(ApiError::NoUsablePack(match &submission.pack_id {
        Some(id) => format!("Pack {id} is not yours, has expired, or has no incidents left."),
        None => "You have no unexpired pack with incidents remaining. Buy a pack (POST /packs) or claim one (POST /pack-claims).".into(),
    }))
}

/// The answer to a repeated creating request: the original, or `422` for a different body. A
/// stored answer that cannot be read back is a `500` (logged), never a replayed `null`.
pub fn replay(record: &IdempotencyRecord, fingerprint: &str) -> Result<crate::Reply, ApiError> {
    if record.fingerprint != fingerprint {
        return Err(ApiError::IdempotencyKeyReused);
    }
    let body = record.body_json()?;
    if !(200..300).contains(&record.status) {
        return Err(ApiError::Internal(format!(
            "idempotency record with status {}",
            record.status
        )));
    }
    Ok(crate::Reply::replay(record.status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: u16, body: &str) -> IdempotencyRecord {
        IdempotencyRecord {
            fingerprint: "f".into(),
            status,
            body: body.into(),
        }
    }

    #[test]
    fn a_stored_answer_that_does_not_read_back_is_a_500_not_a_null_replay() {
        for body in ["", "not json", "null", "{\"truncated\":"] {
            let e = replay(&record(201, body), "f").expect_err(body);
            assert_eq!(e.status().as_u16(), 500, "{body:?}");
        }
        assert_eq!(
            replay(&record(99, "{}"), "f").expect_err("status").status(),
            500
        );
    }

    #[test]
    fn a_readable_stored_answer_is_replayed_as_it_was() {
        let r = replay(&record(201, r#"{"pack_id":"p"}"#), "f").expect("replayed");
        assert_eq!(r.body["pack_id"], "p");
        assert!(r.replayed);
        assert!(matches!(
            replay(&record(201, "{}"), "other"),
            Err(ApiError::IdempotencyKeyReused)
        ));
    }
}
