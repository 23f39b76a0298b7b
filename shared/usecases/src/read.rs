//! Reading an incident the caller may see (`NotFound` otherwise, never a hint that it exists):
//! with the first page of its timeline, or a later page. No read touches more than the page it
//! shows.

use crate::Failure;
use domain::incident::{can_view, Event};
use domain::Actor;
use store::incidents::{StoredIncident, TIMELINE_PAGE_MAX};
use store::{Page, Store};

/// The incident as it now stands (read consistently), its first `TIMELINE_PAGE_MAX` events
/// and where the timeline goes on, if it does.
pub async fn incident_with_first_page(
    store: &Store,
    actor: &Actor,
    incident_id: &str,
) -> Result<(StoredIncident, Vec<Event>, Option<String>), Failure> {
    match store
        .incident_first_page(incident_id, TIMELINE_PAGE_MAX)
        .await?
    {
        Some((stored, events, next)) if can_view(&stored.incident, actor) => {
            Ok((stored, events, next))
        }
        _ => Err(Failure::NotFound),
    }
}

/// One page of the incident's timeline, oldest first, and where it goes on.
pub async fn timeline_page(
    store: &Store,
    actor: &Actor,
    incident_id: &str,
    page: &Page,
) -> Result<(Vec<Event>, Option<String>), Failure> {
    match store.incident(incident_id).await? {
        Some(stored) if can_view(&stored.incident, actor) => {
            Ok(store.incident_events(incident_id, page).await?)
        }
        _ => Err(Failure::NotFound),
    }
}
