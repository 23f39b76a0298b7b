//! The read → decide → write loop of a change to one incident, under the request's one retry
//! budget: each round reads the incident, decides on what it read, and writes on that version;
//! a round that lost to another writer (the store answers `Conflict`, nothing written) decides
//! again on a fresh read. Each round decides at its own instant — the clock read then, never
//! before the incident's latest event (`StoredIncident::commit_now`) — so events are stamped
//! when they commit and `at` never decreases along a timeline.

use crate::Failure;
use domain::incident::Transition;
use domain::time::Instant;
use store::incidents::{Answered, ApplyOutcome, IncidentHead, StoredIncident};
use store::retry::Rounds;
use store::Store;

/// Every round lost to other writers: nothing was written.
fn too_busy(incident_id: &str) -> Failure {
    Failure::Busy(format!(
        "incident {incident_id} is changing too fast; retry"
    ))
}

/// Reads, decides and writes until the decision lands on the version it was made on: the
/// incident as read and the transition written, or `None` when the incident does not exist.
pub async fn update_incident<F>(
    store: &Store,
    incident_id: &domain::IncidentId,
    clock: &(dyn Fn() -> Instant + Sync),
    rounds: &mut Rounds,
    mut decision: F,
) -> Result<Option<(StoredIncident, Transition)>, Failure>
where
    F: FnMut(&StoredIncident, Instant) -> Result<Transition, Failure>,
{
    while rounds.start().await {
        let Some(stored) = store.incident(incident_id).await? else {
            return Ok(None);
        };
        let now = stored.commit_now(clock());
        let t = decision(&stored, now)?;
        if store.apply_transition(&stored, &t, now).await? == ApplyOutcome::Applied {
            return Ok(Some((stored, t)));
        }
    }
    Err(too_busy(incident_id))
}

/// `update_incident` for a change answered with the incident: each round is one read of the
/// incident with its timeline (`first`, if given, is round one's) and one write answered from
/// that read plus the new events (`Store::read_for_change`, `Store::apply_answered`) — two
/// round trips. `with_proposals`: each round also reads the open sub-problem proposals.
pub async fn update_incident_answered<F>(
    store: &Store,
    incident_id: &domain::IncidentId,
    mut first: Option<IncidentHead>,
    with_proposals: bool,
    clock: &(dyn Fn() -> Instant + Sync),
    rounds: &mut Rounds,
    mut decision: F,
) -> Result<Option<Answered>, Failure>
where
    F: FnMut(&StoredIncident, Instant) -> Result<Transition, Failure>,
{
    while rounds.start().await {
        let Some(head) = store
            .read_for_change(incident_id, first.take(), with_proposals)
            .await?
        else {
            return Ok(None);
        };
        let now = head.stored.commit_now(clock());
        let t = decision(&head.stored, now)?;
        if let Some(answered) = store.apply_answered(head, t, now).await? {
            return Ok(Some(answered));
        }
    }
    Err(too_busy(incident_id))
}
