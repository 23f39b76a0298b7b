//! Acting on an existing incident: read it, let the domain decide, write the transition on the
//! version it was decided on (`change`: the read-decide-write loop, under the one retry policy).

use crate::change::{update_incident, update_incident_answered};
use crate::read::IncidentPage;
use crate::Failure;
use domain::incident::{apply, can_view, withdraw_proposals, Action, Incident, Transition};
use domain::time::Instant;
use domain::Actor;
use store::incidents::{IncidentHead, StoredIncident};
use store::Store;

/// A change written: the incident as it was read, the version the change was decided on, and
/// the transition written (its `incident` is the state after it).
#[derive(Debug, Clone, PartialEq)]
pub struct Acted {
    pub before: Incident,
    pub version: u64,
    pub transition: Transition,
}

/// Applies `action` to the incident; `NotFound` if it does not exist or the caller may not see
/// it. Its events are stamped when they commit: each round decides at the clock's reading then
/// (never before `now`, the request's arrival, nor before the incident's latest event).
pub async fn act(
    store: &Store,
    actor: &Actor,
    incident_id: &domain::IncidentId,
    action: Action,
    now: Instant,
) -> Result<Acted, Failure> {
    let clock = move || commit_clock().max(now);
    let mut rounds = store.rounds();
    let decide = decide(actor, &action, |_| {});
    let outcome = update_incident(store, incident_id, &clock, &mut rounds, decide).await?;
    let (before, transition) = outcome.ok_or(Failure::NotFound)?;
    Ok(Acted {
        before: before.incident,
        version: before.version,
        transition,
    })
}

/// What each round of an act decides on the incident as read: `NotFound` if the caller may not
/// see it, else the domain's transition for `action`, then `finish` on it.
fn decide<'a, F>(
    actor: &'a Actor,
    action: &'a Action,
    mut finish: F,
) -> impl FnMut(&StoredIncident, Instant) -> Result<Transition, Failure> + 'a
where
    F: FnMut(&mut Transition) + 'a,
{
    move |stored, now| {
        if !can_view(&stored.incident, actor) {
            return Err(Failure::NotFound);
        }
        let mut transition = apply(&stored.incident, actor, action.clone(), now)?;
        // A closure withdraws the sub-problem proposals that await the customer (read with the
        // incident when the action closes: `act_answered`).
        withdraw_proposals(&mut transition, &stored.open_proposals, actor);
        finish(&mut transition);
        Ok(transition)
    }
}

/// `act` for a change answered with the incident as it then stands: read with its timeline
/// in one Query (or `first`, already read), decided, written, answered without a read after the
/// write (`change::update_incident_answered`).
pub async fn act_answered<F>(
    store: &Store,
    actor: &Actor,
    incident_id: &domain::IncidentId,
    first: Option<IncidentHead>,
    action: Action,
    now: Instant,
    finish: F,
) -> Result<IncidentPage, Failure>
where
    F: FnMut(&mut Transition),
{
    let clock = move || commit_clock().max(now);
    let outcome = update_incident_answered(
        store,
        incident_id,
        first,
        action.closes(),
        &clock,
        &mut store.rounds(),
        decide(actor, &action, finish),
    )
    .await?;
    let mut answered = outcome.ok_or(Failure::NotFound)?;
    // Staff see the internal notes in the timeline: the answer's first page is theirs (read
    // after the write, only for an incident that has notes).
    if actor.is_staff() && answered.before.note_count > 0 {
        let first_page = store::Page {
            limit: store::incidents::TIMELINE_PAGE_MAX,
            cursor: None,
        };
        let (events, next) = store.staff_events(incident_id, &first_page).await?;
        answered.first_page = events;
        answered.next = next;
    }
    Ok(answered.into())
}

/// The wall clock in whole seconds, as requests read it.
pub fn commit_clock() -> Instant {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(0)
}

/// The instant a change decided now on `stored` commits at (for loops of their own that write
/// events, like sub-problem proposals): fresh each round, never before the latest event.
pub fn commit_now(stored: &StoredIncident) -> Instant {
    stored.commit_now(commit_clock())
}

/// Reads an incident the caller may see, or `NotFound`.
pub async fn visible(
    store: &Store,
    actor: &Actor,
    incident_id: &domain::IncidentId,
) -> Result<StoredIncident, Failure> {
    match store.incident(incident_id).await? {
        Some(stored) if can_view(&stored.incident, actor) => Ok(stored),
        _ => Err(Failure::NotFound),
    }
}
