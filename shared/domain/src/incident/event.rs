//! The timeline: one `Event` per thing that happened to an incident, its kind's own fields typed
//! (`EventDetails`). The wire form, stored and shown by the API, is one flat map: `at`, `kind`,
//! `actor_account_id`, `actor_display_name`, then the kind's fields (API.md "Timeline").
//!
//! A field erasure removes (API.md "Privacy": messages, texts, titles, notes, comments, file
//! names) is an `Erasable`: written as it was, or absent once erased. A field some events of a
//! kind carry and others do not (a refund's pack, a message's channel before channels existed) is
//! an `Option` left out when `None`. A nullable field that is always written (a submission's
//! `parent_incident_id`, an assignment's owners) is an `Option` written as `null`.

use super::Score;
use crate::time::{serde_instant, Instant};
use crate::{AccountId, Channel, Charge, IncidentId, PackId, Severity};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Submitted,
    Response,
    CustomerMessage,
    ScopeProposed,
    ScopeAccepted,
    ScopeRejected,
    SubProblemProposed,
    SubProblemAccepted,
    SubProblemDeclined,
    SlaBreached,
    Resolved,
    ClosedUnresolved,
    ClosureRequested,
    ChargeDecided,
    SlaWarning,
    AttachmentAdded,
    ContactBounced,
    /// Ownership changed.
    Assigned,
    /// The contact rated the handling.
    Rated,
    /// Staff only: never shown to the customer, never mailed; stored apart from the customer's
    /// timeline.
    InternalNote,
    /// The incident closed while the scope proposal awaited the customer.
    ScopeWithdrawn,
    /// The incident closed while a sub-problem proposal awaited the customer.
    SubProblemWithdrawn,
}

impl EventKind {
    /// Seen by staff only.
    pub fn is_internal(self) -> bool {
        self == EventKind::InternalNote
    }
}

/// Where a customer's message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageChannel {
    /// Posted in the console (or through the API).
    Console,
    /// An answer to one of our e-mails.
    Email,
}

/// A detail erasure removes: as written (`Kept`), or Erasable::Erased (`Erased`, absent from the wire form).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Erasable<T> {
    Kept(T),
    #[default]
    Erased,
}

impl<T> Erasable<T> {
    pub fn is_erased(&self) -> bool {
        matches!(self, Erasable::Erased)
    }

    /// The detail as written, unless erased.
    pub fn kept(&self) -> Option<&T> {
        match self {
            Erasable::Kept(t) => Some(t),
            Erasable::Erased => None,
        }
    }
}

impl<T> From<T> for Erasable<T> {
    fn from(t: T) -> Self {
        Erasable::Kept(t)
    }
}

/// An erased detail is never written: its field carries `skip_serializing_if`.
impl<T: Serialize> Serialize for Erasable<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Erasable::Kept(t) => t.serialize(s),
            Erasable::Erased => s.serialize_none(),
        }
    }
}

/// A present field is kept, even `null` (an `Erasable<Option<_>>` tells null from absent).
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Erasable<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Erasable::Kept)
    }
}

/// Each kind's own fields. Written flat beside the frame, the kind as `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventDetails {
    Submitted {
        pack_id: PackId,
        parent_incident_id: Option<IncidentId>,
        severity: Severity,
    },
    Response {
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        message: Erasable<String>,
        channel: Channel,
    },
    CustomerMessage {
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        message: Erasable<String>,
        /// `None` for messages stored before channels existed (all from the console).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<MessageChannel>,
    },
    ScopeProposed {
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        problem_statement: Erasable<String>,
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        resolution_criteria: Erasable<String>,
    },
    ScopeAccepted {
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        comment: Erasable<Option<String>>,
    },
    ScopeRejected {
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        comment: Erasable<Option<String>>,
    },
    SubProblemProposed {
        proposal_id: crate::ProposalId,
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        title: Erasable<String>,
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        description: Erasable<String>,
    },
    SubProblemAccepted {
        proposal_id: crate::ProposalId,
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        title: Erasable<String>,
        child_incident_id: IncidentId,
        /// Absent once erased, and for acceptances stored before incident numbers existed.
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        child_number: Erasable<String>,
    },
    SubProblemDeclined {
        proposal_id: crate::ProposalId,
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        title: Erasable<String>,
    },
    SlaBreached {
        severity: Severity,
        #[serde(with = "serde_instant")]
        first_response_due_at: Instant,
    },
    Resolved {
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        solutions: Erasable<Vec<String>>,
    },
    ClosedUnresolved {
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        explanation: Erasable<String>,
    },
    ClosureRequested {
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        reason: Erasable<String>,
    },
    /// On a refund, the pack the unit went back to and whether it can be drawn again, with a
    /// sentence for the customer when it cannot (`closure_requests::note_refunded_unit`).
    ChargeDecided {
        charge: Charge,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pack_id: Option<PackId>,
        /// Absent unless refunded, and once erased.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit_usable: Option<bool>,
        /// Absent unless the refunded unit cannot be used, and once erased.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    SlaWarning {
        severity: Severity,
        #[serde(with = "serde_instant")]
        first_response_warn_at: Instant,
        #[serde(with = "serde_instant")]
        first_response_due_at: Instant,
    },
    AttachmentAdded {
        attachment_id: crate::AttachmentId,
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        file_name: Erasable<String>,
        content_type: String,
        size_bytes: u64,
    },
    ContactBounced {
        /// `bounce` or `complaint`.
        kind_of_failure: String,
    },
    /// The new owner (`None`: released), the previous one, the assigning engineer's note.
    Assigned {
        owner_account_id: Option<AccountId>,
        previous_owner_account_id: Option<AccountId>,
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        note: Erasable<Option<String>>,
    },
    Rated {
        score: Score,
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        comment: Erasable<Option<String>>,
    },
    InternalNote {
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        note: Erasable<String>,
    },
    ScopeWithdrawn,
    SubProblemWithdrawn {
        proposal_id: crate::ProposalId,
        #[serde(default, skip_serializing_if = "Erasable::is_erased")]
        title: Erasable<String>,
    },
}

impl EventDetails {
    pub fn kind(&self) -> EventKind {
        use EventDetails as D;
        match self {
            D::Submitted { .. } => EventKind::Submitted,
            D::Response { .. } => EventKind::Response,
            D::CustomerMessage { .. } => EventKind::CustomerMessage,
            D::ScopeProposed { .. } => EventKind::ScopeProposed,
            D::ScopeAccepted { .. } => EventKind::ScopeAccepted,
            D::ScopeRejected { .. } => EventKind::ScopeRejected,
            D::SubProblemProposed { .. } => EventKind::SubProblemProposed,
            D::SubProblemAccepted { .. } => EventKind::SubProblemAccepted,
            D::SubProblemDeclined { .. } => EventKind::SubProblemDeclined,
            D::SlaBreached { .. } => EventKind::SlaBreached,
            D::Resolved { .. } => EventKind::Resolved,
            D::ClosedUnresolved { .. } => EventKind::ClosedUnresolved,
            D::ClosureRequested { .. } => EventKind::ClosureRequested,
            D::ChargeDecided { .. } => EventKind::ChargeDecided,
            D::SlaWarning { .. } => EventKind::SlaWarning,
            D::AttachmentAdded { .. } => EventKind::AttachmentAdded,
            D::ContactBounced { .. } => EventKind::ContactBounced,
            D::Assigned { .. } => EventKind::Assigned,
            D::Rated { .. } => EventKind::Rated,
            D::InternalNote { .. } => EventKind::InternalNote,
            D::ScopeWithdrawn => EventKind::ScopeWithdrawn,
            D::SubProblemWithdrawn { .. } => EventKind::SubProblemWithdrawn,
        }
    }
}

impl EventDetails {
    /// The same details with every personal field removed (API.md "Privacy"): ids, enum
    /// values, numbers and instants stay. `privacy::KEPT_EVENT_FIELDS` says the same of the
    /// stored form (`event::tests` holds the two together).
    pub fn erased(self) -> EventDetails {
        use EventDetails as D;
        match self {
            D::Response { channel, .. } => D::Response {
                message: Erasable::Erased,
                channel,
            },
            D::CustomerMessage { channel, .. } => D::CustomerMessage {
                message: Erasable::Erased,
                channel,
            },
            D::ScopeProposed { .. } => D::ScopeProposed {
                problem_statement: Erasable::Erased,
                resolution_criteria: Erasable::Erased,
            },
            D::ScopeAccepted { .. } => D::ScopeAccepted {
                comment: Erasable::Erased,
            },
            D::ScopeRejected { .. } => D::ScopeRejected {
                comment: Erasable::Erased,
            },
            D::SubProblemProposed { proposal_id, .. } => D::SubProblemProposed {
                proposal_id,
                title: Erasable::Erased,
                description: Erasable::Erased,
            },
            D::SubProblemAccepted {
                proposal_id,
                child_incident_id,
                ..
            } => D::SubProblemAccepted {
                proposal_id,
                title: Erasable::Erased,
                child_incident_id,
                child_number: Erasable::Erased,
            },
            D::SubProblemDeclined { proposal_id, .. } => D::SubProblemDeclined {
                proposal_id,
                title: Erasable::Erased,
            },
            D::Resolved { .. } => D::Resolved {
                solutions: Erasable::Erased,
            },
            D::ClosedUnresolved { .. } => D::ClosedUnresolved {
                explanation: Erasable::Erased,
            },
            D::ClosureRequested { .. } => D::ClosureRequested {
                reason: Erasable::Erased,
            },
            D::ChargeDecided {
                charge, pack_id, ..
            } => D::ChargeDecided {
                charge,
                pack_id,
                unit_usable: None,
                note: None,
            },
            D::AttachmentAdded {
                attachment_id,
                content_type,
                size_bytes,
                ..
            } => D::AttachmentAdded {
                attachment_id,
                file_name: Erasable::Erased,
                content_type,
                size_bytes,
            },
            D::Assigned {
                owner_account_id,
                previous_owner_account_id,
                ..
            } => D::Assigned {
                owner_account_id,
                previous_owner_account_id,
                note: Erasable::Erased,
            },
            D::Rated { score, .. } => D::Rated {
                score,
                comment: Erasable::Erased,
            },
            D::InternalNote { .. } => D::InternalNote {
                note: Erasable::Erased,
            },
            D::SubProblemWithdrawn { proposal_id, .. } => D::SubProblemWithdrawn {
                proposal_id,
                title: Erasable::Erased,
            },
            kept @ (D::Submitted { .. }
            | D::SlaBreached { .. }
            | D::SlaWarning { .. }
            | D::ContactBounced { .. }
            | D::ScopeWithdrawn) => kept,
        }
    }
}

/// One entry of an incident's timeline: when, who, and what (the kind and its fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    #[serde(with = "serde_instant")]
    pub at: Instant,
    pub actor_account_id: AccountId,
    /// The author as people read it: the token's `name`, else its e-mail before `@`; `null`
    /// for the system (the sweep, bounces), once erased, and for events stored before names
    /// were kept.
    #[serde(default)]
    pub actor_display_name: Option<String>,
    #[serde(flatten)]
    pub details: EventDetails,
}

impl Event {
    /// An event by the account `actor`, named by no one (the system, or a caller that names
    /// it itself).
    pub fn new(at: Instant, actor: &str, details: EventDetails) -> Event {
        Event {
            at,
            actor_account_id: actor.into(),
            actor_display_name: None,
            details,
        }
    }

    /// An event of the system (the sweep's signals).
    pub fn system(at: Instant, details: EventDetails) -> Event {
        Event::new(at, crate::SYSTEM_ACCOUNT, details)
    }

    /// An event by `actor`, named for people (no name for the system).
    pub fn by(at: Instant, actor: &crate::Actor, details: EventDetails) -> Event {
        let mut event = Event::new(at, &actor.account_id, details);
        event.actor_display_name = actor_name(actor);
        event
    }

    pub fn kind(&self) -> EventKind {
        self.details.kind()
    }
}

#[cfg(test)]
impl Event {
    /// The event's wire form (what is stored and shown), for tests that read a field by name.
    pub(crate) fn wire(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(m)) => m,
            other => panic!("an event is written as a map: {other:?}"),
        }
    }
}

/// How an event names its author: the actor's display name; `None` for the system.
pub fn actor_name(actor: &crate::Actor) -> Option<String> {
    (!actor.is_system()).then(|| actor.display_name())
}

#[cfg(test)]
mod tests;
