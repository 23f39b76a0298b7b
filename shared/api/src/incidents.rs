//! Acting on an existing incident, shared by `response` and `closure`: read it, let the domain
//! decide, write the transition on the version it was decided on (retrying on a race).

use crate::problem::ApiError;
use domain::incident::{apply, can_view, Action, ActionError, Transition};
use domain::time::Instant;
use domain::Actor;
use store::incidents::StoredIncident;
use store::Store;

impl From<ActionError> for ApiError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::NotFound => ApiError::NotFound,
            ActionError::Forbidden(who) => ApiError::Forbidden(who),
            ActionError::InvalidState(why) => ApiError::InvalidState(why),
        }
    }
}

/// Applies `action` to the incident; `404` if it does not exist or the caller may not see it.
/// Returns the incident as it was read and the transition written. Its events are stamped when
/// they commit: each read-decide-write round decides at the clock's reading then (never before
/// `now`, the request's arrival, nor before the incident's latest event).
pub async fn act(
    store: &Store,
    actor: &Actor,
    incident_id: &str,
    action: Action,
    now: Instant,
) -> Result<(StoredIncident, Transition), ApiError> {
    act_then(store, actor, incident_id, action, now, |_| {}).await
}

/// Like `act`, with `finish` run on each decided transition before it is written (e.g. to add
/// facts the domain was handed, such as whether a refunded unit is still usable).
pub async fn act_then<F>(
    store: &Store,
    actor: &Actor,
    incident_id: &str,
    action: Action,
    now: Instant,
    mut finish: F,
) -> Result<(StoredIncident, Transition), ApiError>
where
    F: FnMut(&mut Transition),
{
    let clock = move || commit_clock().max(now);
    let outcome = store
        .update_incident(
            incident_id,
            &clock,
            |stored: &StoredIncident, now: Instant| -> Result<Transition, ApiError> {
                if !can_view(&stored.incident, actor) {
                    return Err(ApiError::NotFound);
                }
                let mut transition = apply(&stored.incident, actor, action.clone(), now)?;
                finish(&mut transition);
                Ok(transition)
            },
        )
        .await?;
    outcome.ok_or(ApiError::NotFound)
}

/// The wall clock in whole seconds, as requests read it.
pub fn commit_clock() -> Instant {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(0)
}

/// The instant a change decided now on `stored` commits at (for loops of their own that write
/// events, like sub-problem proposals): fresh each attempt, never before the latest event.
pub fn commit_now(stored: &StoredIncident) -> Instant {
    stored.commit_now(commit_clock())
}

/// Reads an incident the caller may see, or `404`.
pub async fn visible(
    store: &Store,
    actor: &Actor,
    incident_id: &str,
) -> Result<StoredIncident, ApiError> {
    match store.incident(incident_id).await? {
        Some(stored) if can_view(&stored.incident, actor) => Ok(stored),
        _ => Err(ApiError::NotFound),
    }
}
