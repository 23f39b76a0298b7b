//! Incidents, their timelines and sub-problem proposals. An incident and its timeline share a
//! partition: the incident item (`INCIDENT`), its events (`EVENT#<seq>`), and other items under
//! their own sort-key prefixes (`PROPOSAL#…`, attachments). Timeline reads are key conditions
//! on the `EVENT#` prefix only, a page at a time, so no other item is ever read for a timeline.
//! Every change after intake is one transaction guarded by the incident's version, so
//! concurrent actions serialise and never lose an update.
//!
//! - `items`: the incident and event items (keys, sparse index keys) and reading them back;
//! - `read`: an incident, its timeline a page at a time, the lists and the sweep's due reads;
//! - `write`: intake's transaction and version-guarded transitions;
//! - `sub_problems`: proposals, recorded with the parent's transition.

use crate::idempotency::IdempotencyRecord;
use domain::incident::{Event, Incident, SubProblemProposal, Transition};
use domain::time::Instant;

pub(crate) mod items;
mod read;
mod record;
mod sub_problems;
mod write;

pub(crate) use items::incident_item;
pub use read::{DuePosition, IncidentFilter, OwnerFilter};

/// An incident as stored: the domain record plus the version its next change must match.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredIncident {
    pub incident: Incident,
    pub version: u64,
    /// The customer's timeline: events under `EVENT#`, numbered 1..=event_count.
    pub event_count: u64,
    /// Internal notes (staff only), under `NOTE#`, numbered 1..=note_count.
    pub note_count: u64,
    /// Sub-problem proposals awaiting the customer, when read for a closure (which withdraws
    /// them); empty otherwise.
    pub open_proposals: Vec<SubProblemProposal>,
    /// When its latest event was stamped (`None` for items written before this was kept).
    pub last_event_at: Option<Instant>,
}

impl StoredIncident {
    /// The instant a change committed on this version stamps its events with: `now`, or the
    /// latest event's instant if the clock reads earlier, so `at` never decreases along a
    /// timeline.
    pub fn commit_now(&self, now: Instant) -> Instant {
        self.last_event_at.map_or(now, |last| now.max(last))
    }
}

/// The incident item's record of its latest event's instant (see `StoredIncident::commit_now`).
pub(crate) const LAST_EVENT_AT: &str = "last_event_at";

/// The incident item's count of internal notes (`NOTE#` items).
pub(crate) const NOTE_COUNT: &str = "note_count";

/// Events in an incident's timeline page, at most.
pub const TIMELINE_PAGE_MAX: i32 = 100;

/// An incident read with the head of its partition in one Query (`Store::incident_head`): the
/// incident and, when it has at most `TIMELINE_PAGE_MAX` events, its whole timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentHead {
    pub stored: StoredIncident,
    /// Every event, oldest first; `None` when the timeline is longer than one page.
    pub timeline: Option<Vec<Event>>,
}

/// A change written, and the incident's answer as it stands after it: the new state with the
/// first page of its timeline (what was read plus the new events) and where the timeline goes
/// on. No read after the write.
#[derive(Debug, Clone, PartialEq)]
pub struct Answered {
    pub before: StoredIncident,
    pub transition: Transition,
    pub first_page: Vec<Event>,
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CreateOutcome {
    Created,
    /// The pack's condition failed (not the owner's, expired, or used up): try another.
    PackUnusable,
    Replayed(IdempotencyRecord),
    /// The parent incident changed under a sub-problem acceptance: decide again.
    ParentChanged,
    /// The incident's number is taken: draw another number and try again.
    NumberTaken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    Applied,
    /// Another change landed first; re-read and decide again.
    Conflict,
}

/// A sub-problem acceptance: the parent's transition and the proposal's new state.
pub struct ParentChange<'a> {
    pub parent: &'a StoredIncident,
    pub transition: &'a Transition,
    pub proposal: &'a SubProblemProposal,
}
