//! Ownership and hand-off (SPEC "Ownership and hand-off"; API.md "Ownership"): who may take,
//! hand off or release an incident, and the `assigned` event each change records. The first
//! response to an unowned incident makes its author the owner (`actions::apply`, `Respond`).

use super::event::{Event, EventDetails};
use super::model::{Incident, Owner};
use super::ActionError;
use crate::time::Instant;
use crate::validation::{FieldError, Fields};
use crate::{AccountId, Actor};

/// An assignment's note, at most (characters).
pub const MAX_NOTE: usize = 2_000;
/// An account id named in a request, at most (characters; tokens' `sub` are shorter).
pub const MAX_ACCOUNT_ID: usize = 128;

/// `POST /incidents/{id}/assignment`: `{"owner_account_id": id|null, "note"?}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentRequest {
    /// The new owner; `None` releases the incident.
    pub owner_account_id: Option<String>,
    pub note: Option<String>,
}

pub fn parse_assignment(body: &serde_json::Value) -> Result<AssignmentRequest, Vec<FieldError>> {
    let mut f = Fields::of(body);
    let owner = f.required_nullable_str("owner_account_id", MAX_ACCOUNT_ID);
    let note = f.optional_str("note", MAX_NOTE);
    f.finish(owner.map(|owner_account_id| AssignmentRequest {
        owner_account_id,
        note,
    }))
}

/// Who an assignment names, once the use case has looked the account up among the engineers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    /// Release: nobody owns it.
    Nobody,
    /// A known support engineer.
    Engineer(Owner),
    /// An account that is not a known support engineer (`422 not_an_engineer`).
    Unknown(String),
}

impl Assignee {
    fn account_id(&self) -> Option<&str> {
        match self {
            Assignee::Nobody => None,
            Assignee::Engineer(o) => Some(&o.account_id),
            Assignee::Unknown(id) => Some(id),
        }
    }
}

/// Decides an assignment of the open incident `current` by `actor`: `Ok(None)` when nothing
/// changes (the owner named already owns it), else the new owner and its `assigned` event.
///
/// - an engineer may take an unowned incident, hand its own to another engineer, or release its
///   own; taking one another engineer owns is `InvalidState` (409), handing off or releasing
///   someone else's (or giving an unowned one to someone else) is `Forbidden` (403);
/// - a support admin may do any of these on any open incident;
/// - the new owner must be a known support engineer (`NotAnEngineer`, 422), checked after the
///   caller's right to make the change.
pub fn decide_assignment(
    current: &Incident,
    actor: &Actor,
    assignee: &Assignee,
    note: Option<&str>,
    now: Instant,
) -> Result<Option<(Option<Owner>, Event)>, ActionError> {
    let before = current.owner_id();
    let after = assignee.account_id();
    if before == after {
        return Ok(None);
    }
    if !actor.admin {
        let me = actor.account_id.as_str();
        let allowed = match (before, after) {
            // Taking an unowned incident.
            (None, Some(new)) => new == me,
            // Handing off or releasing one's own.
            (Some(old), _) if old == me => true,
            // Taking one someone else owns: a lost race, not a lack of rights.
            (Some(_), Some(new)) if new == me => {
                return Err(ActionError::InvalidState(
                    "another engineer owns the incident".into(),
                ))
            }
            _ => false,
        };
        if !allowed {
            return Err(ActionError::Forbidden("support-admins"));
        }
    }
    let owner = match assignee {
        Assignee::Nobody => None,
        Assignee::Engineer(o) => Some(o.clone()),
        Assignee::Unknown(_) => return Err(ActionError::NotAnEngineer),
    };
    let event = assigned_event(now, actor, after, before, note);
    Ok(Some((owner, event)))
}

/// The `assigned` event: the new owner (or null), the previous one (or null), the note, and
/// the assigning account's display name (for the new owner's e-mail).
pub fn assigned_event(
    now: Instant,
    actor: &Actor,
    owner: Option<&str>,
    previous: Option<&str>,
    note: Option<&str>,
) -> Event {
    Event::by(
        now,
        actor,
        EventDetails::Assigned {
            owner_account_id: owner.map(AccountId::from),
            previous_owner_account_id: previous.map(AccountId::from),
            note: note.map(str::to_string).into(),
        },
    )
}

/// The first response to an unowned incident makes its author the owner: the new owner and
/// its `assigned` event, or `None` if the incident is owned (or the author is no engineer).
pub fn auto_assign(current: &Incident, actor: &Actor, now: Instant) -> Option<(Owner, Event)> {
    if current.owner.is_some() || !actor.engineer {
        return None;
    }
    let owner = Owner::of(actor);
    let event = assigned_event(now, actor, Some(&owner.account_id), None, None);
    Some((owner, event))
}

/// One support engineer of the registry, as `GET /engineers` shows it: the display name and
/// address its token last presented, and how many open incidents it owns.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Engineer {
    pub account_id: String,
    pub display_name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub open_incidents: i64,
}
