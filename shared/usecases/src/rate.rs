//! Rating a closed incident from the closing e-mail's link (API.md "Satisfaction"): the token is
//! verified first (a token this deployment did not issue, or an expired one, is `NotFound` and
//! nothing is read or written), then the rating is written on the incident's version with its
//! `rated` event and the satisfaction counters' moves in one transaction. Concurrent ratings
//! with one token serialise on that version: each replaces the one before, and the counters
//! hold the last one only.
//!
//! Round trips: the incident, the write (more only when another rating lands in between).

use crate::act::commit_clock;
use crate::change::update_incident;
use crate::Failure;
use domain::rating::{rate as decide, Rating, RatingRequest, RatingTokenKey};
use domain::time::Instant;
use store::Store;

/// The incident rated and its rating as written.
pub async fn rate(
    store: &Store,
    key: &RatingTokenKey,
    token: &str,
    request: &RatingRequest,
    now: Instant,
) -> Result<(domain::IncidentId, Rating), Failure> {
    let incident_id = domain::IncidentId::from(key.verify(token, now).ok_or(Failure::NotFound)?);
    let clock = move || commit_clock().max(now);
    let written = update_incident(
        store,
        &incident_id,
        &clock,
        &mut store.rounds(),
        |stored, at| {
            decide(&stored.incident, request, at).map_err(|e| Failure::Conflict(e.to_string()))
        },
    )
    .await?;
    let (_, transition) = written.ok_or(Failure::NotFound)?;
    let rating = transition
        .incident
        .rating
        .ok_or_else(|| Failure::Internal("a rating was written without its rating".into()))?;
    Ok((incident_id, rating))
}
