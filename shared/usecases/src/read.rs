//! Reading an incident the caller may see (`NotFound` otherwise, never a hint that it exists):
//! with the first page of its timeline, or a later page. No read touches more than the page it
//! shows.

use crate::Failure;
use domain::incident::{can_view, Event, Incident};
use domain::Actor;
use store::incidents::{Answered, TIMELINE_PAGE_MAX};
use store::{Page, Store};

/// An incident as it now stands (as read, or as a change left it), the first page of its
/// timeline and where the timeline goes on.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentPage {
    pub incident: Incident,
    pub first_page: Vec<Event>,
    pub next: Option<String>,
}

impl From<Answered> for IncidentPage {
    fn from(a: Answered) -> Self {
        IncidentPage {
            incident: a.transition.incident,
            first_page: a.first_page,
            next: a.next,
        }
    }
}

/// The incident as it now stands (read consistently), its first `TIMELINE_PAGE_MAX` events
/// and where the timeline goes on, if it does.
pub async fn incident_with_first_page(
    store: &Store,
    actor: &Actor,
    incident_id: &domain::IncidentId,
) -> Result<IncidentPage, Failure> {
    match store
        .incident_first_page(incident_id, TIMELINE_PAGE_MAX, actor.is_staff())
        .await?
    {
        Some((stored, first_page, next)) if can_view(&stored.incident, actor) => Ok(IncidentPage {
            incident: stored.incident,
            first_page,
            next,
        }),
        _ => Err(Failure::NotFound),
    }
}

/// The id of the incident a number names, typed as people type it (`404` for anything that is
/// not a number, or a number no incident holds). Whether the caller may see the incident is
/// the incident read's question (`incident_with_first_page`): another account's is `NotFound`.
pub async fn incident_id_by_number(
    store: &Store,
    number: &str,
) -> Result<domain::IncidentId, Failure> {
    let Some(number) = domain::incident::normalise_incident_number(number) else {
        return Err(Failure::NotFound);
    };
    store
        .incident_by_number(&number)
        .await?
        .map(domain::IncidentId::from)
        .ok_or(Failure::NotFound)
}

/// One page of the incident's timeline, oldest first, and where it goes on.
pub async fn timeline_page(
    store: &Store,
    actor: &Actor,
    incident_id: &domain::IncidentId,
    page: &Page,
) -> Result<(Vec<Event>, Option<String>), Failure> {
    match store.incident(incident_id).await? {
        // Staff read the internal notes with the events; a customer's pages are the `EVENT#`
        // range alone, so a note can neither show nor shorten a page nor leave a cursor behind.
        Some(stored) if can_view(&stored.incident, actor) => Ok(if actor.is_staff() {
            store.staff_events(incident_id, page).await?
        } else {
            store.incident_events(incident_id, page).await?
        }),
        _ => Err(Failure::NotFound),
    }
}
