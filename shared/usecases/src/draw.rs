//! Submitting an incident: every intake check, then one unit drawn from the first usable pack
//! that accepts the draw (the named one, or soonest expiry first), creating the incident, its
//! `submitted` event, the ledger debit and the idempotency record in one transaction. Shared by
//! `POST /incidents` and an accepted sub-problem, so both get every check and the same write.

use crate::Failure;
use domain::calendar::{first_response_clock, Calendars};
use domain::incident::{Event, Incident};
use domain::intake::{check, new_incident, NewIncident, Submission};
use domain::pack::draw_candidates;
use domain::pack::Pack;
use domain::time::Instant;
use domain::Actor;
use domain::PackStatus;
use store::idempotency::{IdempotencyRecord, IdempotencyWrite};
use store::incidents::CreateOutcome::{
    Created, NumberTaken, PackUnusable, ParentChanged, Replayed,
};
use store::incidents::ParentChange;
use store::packs::PackDraw;
use store::retry::Rounds;
use store::Store;

pub enum Drawn {
    Created {
        incident: Box<Incident>,
        submitted: Event,
    },
    Replayed(IdempotencyRecord),
    /// A sub-problem's parent changed between reading and drawing; nothing was written.
    ParentChanged,
    /// The draw's incident number is taken (`Draw::number`); nothing was written: draw again
    /// with another (`new_number`).
    NumberTaken,
}

/// A fresh incident number from the OS CSPRNG (`domain::incident::incident_number`).
pub fn new_number() -> String {
    domain::incident::incident_number(&store::ids::random_bytes::<5>())
}

/// One draw: who submits what, when, under which new id; for a sub-problem, the parent's change.
pub struct Draw<'a> {
    pub actor: &'a Actor,
    pub submission: &'a Submission,
    pub now: Instant,
    pub incident_id: String,
    /// The new incident's number (`new_number`), reserved by the draw's transaction.
    pub number: String,
    pub idempotency: Option<IdempotencyWrite>,
    pub parent_incident_id: Option<String>,
    pub parent: Option<ParentChange<'a>>,
    /// The account's e-mail address to keep in the draw's own transaction (see
    /// `profile::claim_email`), or `None`.
    pub remember_email: Option<&'a str>,
}

/// Runs the intake checks, then draws from the first usable pack that accepts the draw (the
/// named one, or soonest expiry first), creating the incident in the same transaction.
///
/// A named pack is drawn from without reading it first: the transaction's own condition is the
/// rule of usability (`store::packs::usable_condition`), so the common submission is one round
/// trip. Only when that draw does not hold is the pack read, to tell a pack that changed
/// meanwhile (draw again) from one that is not usable (the refusal). Such a draw leaves the
/// `usable_packs` index as it is, so a pack whose last unit it took stays listed until the next
/// draw from the index takes it out (as after concurrent draws).
///
/// The packs come from the sparse `usable_packs` index (one Query whose cost follows the packs
/// in use, not the account's history). A draw whose pack no longer takes it (its last unit went
/// meanwhile) reads the pack again (consistently) and, while it is still usable, draws again.
/// Only when no indexed pack takes the draw is the account's whole history read, once, before
/// the refusal: an index that lags or misses a pack never refuses a customer who has a unit.
/// Listed packs found used up leave the index in the first draw's transaction.
pub async fn draw_incident(
    store: &Store,
    calendars: &Calendars,
    draw: Draw<'_>,
) -> Result<Drawn, Failure> {
    let submission = draw.submission;
    let product = store.catalogue_product(&submission.product_id).await?;
    check(submission, product.as_ref(), draw.now)?;
    let account = &draw.actor.account_id;
    // One budget for the whole draw, whichever packs it tries (the index's, then the history's):
    // moving on to another pack does not start the policy's time again.
    let mut rounds = store.rounds();
    if let Some(id) = &submission.pack_id {
        if rounds.start().await {
            let blind = PackDraw {
                seen: None,
                reindex: false,
                used_up: &[],
                remember_email: draw.remember_email,
            };
            if let Attempt::Done(drawn) = draw_one(store, calendars, &draw, id, blind).await? {
                return Ok(drawn);
            }
        }
    }
    let packs = match &submission.pack_id {
        Some(id) => store.pack(id).await?.into_iter().collect(),
        None => store.usable_packs_of(account, draw.now).await?,
    };
    let listed = submission.pack_id.is_none();
    if let Some(drawn) = draw_from(store, calendars, &draw, &packs, listed, &mut rounds).await? {
        return Ok(drawn);
    }
    if listed {
        let history = store.all_packs_of(account).await?;
        if let Some(drawn) =
            draw_from(store, calendars, &draw, &history, false, &mut rounds).await?
        {
            return Ok(drawn);
        }
    }
    Err(Failure::NoUsablePack(match &submission.pack_id {
        Some(id) => format!("Pack {id} is not yours, has expired, or has no incidents left."),
        None => "You have no unexpired pack with incidents remaining. Buy a pack (POST /packs) or claim one (POST /pack-claims).".into(),
    }))
}

/// Tries the usable ones of `packs` in the draw's order; `None` if none took the draw. `listed`:
/// the packs came from the `usable_packs` index (else from the account's history, and a draw
/// puts its pack back in the index).
async fn draw_from(
    store: &Store,
    calendars: &Calendars,
    draw: &Draw<'_>,
    packs: &[Pack],
    listed: bool,
    rounds: &mut Rounds,
) -> Result<Option<Drawn>, Failure> {
    let account = &draw.actor.account_id;
    let named = draw.submission.pack_id.as_deref();
    let used_up: Vec<String> = if listed {
        packs
            .iter()
            .filter(|p| p.owner_account_id == *account && p.status(draw.now) == PackStatus::UsedUp)
            .map(|p| p.pack_id.clone())
            .collect()
    } else {
        Vec::new()
    };
    let mut clean_up: &[String] = &used_up;
    for candidate in draw_candidates(packs, account, named, draw.now) {
        let mut pack = candidate.clone();
        let mut still_usable = true;
        while still_usable && rounds.start().await {
            let how = PackDraw {
                seen: Some(pack.incidents_remaining),
                reindex: !listed,
                used_up: std::mem::take(&mut clean_up),
                remember_email: draw.remember_email,
            };
            if let Attempt::Done(drawn) =
                draw_one(store, calendars, draw, &pack.pack_id, how).await?
            {
                return Ok(Some(drawn));
            }
            // Drawn from meanwhile, refunded, moved or expired: the pack as it stands now.
            match store.pack(&pack.pack_id).await? {
                Some(now) if now.usable_by(account, draw.now) => pack = now,
                _ => still_usable = false,
            }
        }
        if still_usable {
            return Err(Failure::Unavailable(format!(
                "pack {} is changing too fast; retry",
                pack.pack_id
            )));
        }
    }
    Ok(None)
}

/// What one attempt on one pack came to.
enum Attempt {
    Done(Drawn),
    /// The pack no longer takes the draw (the last unit it was read with went meanwhile, or it is
    /// no longer usable): read it again.
    PackChanged,
}

/// One transaction: a unit drawn from the pack (as `how` says), the incident created.
async fn draw_one(
    store: &Store,
    calendars: &Calendars,
    draw: &Draw<'_>,
    pack_id: &str,
    how: PackDraw<'_>,
) -> Result<Attempt, Failure> {
    let submission = draw.submission;
    let clock = first_response_clock(
        calendars.get(submission.calendar),
        submission.severity,
        draw.now,
    );
    let (incident, submitted) = new_incident(
        submission,
        NewIncident {
            incident_id: draw.incident_id.clone(),
            account_id: &draw.actor.account_id,
            pack_id,
            parent_incident_id: draw.parent_incident_id.clone(),
            first_response_warn_at: clock.warn_at,
            first_response_due_at: clock.due_at,
            now: draw.now,
            number: draw.number.clone(),
            actor_display_name: domain::incident::actor_name(draw.actor),
        },
    );
    let idempotency = match draw.idempotency.clone() {
        Some(mut w) => {
            w.body = serde_json::to_value(incident.view(Some(vec![submitted.clone()])))
                .map_err(|e| Failure::Internal(format!("serialising the answer: {e}")))?;
            Some(w)
        }
        None => None,
    };
    let parent = draw.parent.as_ref().map(|p| ParentChange {
        parent: p.parent,
        transition: p.transition,
        proposal: p.proposal,
    });
    let outcome = store
        .draw_and_create(
            &incident,
            &submitted,
            draw.now,
            idempotency.as_ref(),
            parent,
            how,
        )
        .await?;
    Ok(match outcome {
        Created => Attempt::Done(Drawn::Created {
            incident: Box::new(incident),
            submitted,
        }),
        Replayed(record) => Attempt::Done(Drawn::Replayed(record)),
        ParentChanged => Attempt::Done(Drawn::ParentChanged),
        NumberTaken => Attempt::Done(Drawn::NumberTaken),
        PackUnusable => Attempt::PackChanged,
    })
}
