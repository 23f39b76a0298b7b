//! Privacy (API.md "Privacy", SPEC "Privacy (GDPR / RODO)"): a customer's data export (one per
//! account per 24 hours, built off the request path), erasure requests (refused while an
//! incident is open or a charge is pending; one request however often it is asked), the admin's
//! decision, and what erasure does to each kind of item: personal fields become `"erased"`,
//! free text is removed, every figure (orders, amounts, ledger, SLA outcomes, counts) is kept.
//! Also the retention rule of attachments of long-closed incidents.

use crate::attachment::Attachment;
use crate::incident::{Event, Incident, SubProblemProposal};
use crate::time::{serde_instant, Instant};
use crate::types::wire_enum;
use crate::validation::{FieldError, Fields};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What replaces a name, an e-mail address or a phone number.
pub const ERASED: &str = "erased";

/// How long an account waits between two exports, and how long an export's link stays valid.
pub const EXPORT_INTERVAL_HOURS: i64 = 24;
pub const EXPORT_LINK_VALID_HOURS: i64 = 24;

/// The longest reason an erasure request may carry, and an admin's note.
pub const MAX_REASON: usize = 2_000;

/// Default of `ATTACHMENT_RETENTION_DAYS`.
pub const DEFAULT_ATTACHMENT_RETENTION_DAYS: u32 = 365;

wire_enum!(ExportStatus { Preparing => "preparing", Ready => "ready" });

wire_enum!(
    /// `erasing`: approved, the erasure steps are running (a crash leaves it here, and a re-run
    /// finishes).
    ErasureStatus {
    Pending => "pending",
    Rejected => "rejected",
    Erasing => "erasing",
    Erased => "erased",
}
);

/// One data export of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataExport {
    pub export_id: crate::ExportId,
    pub account_id: crate::AccountId,
    pub status: ExportStatus,
    #[serde(with = "serde_instant")]
    pub requested_at: Instant,
    #[serde(with = "serde_instant::option", default)]
    pub ready_at: Option<Instant>,
}

impl DataExport {
    pub fn new(export_id: crate::ExportId, account_id: &str, now: Instant) -> DataExport {
        DataExport {
            export_id,
            account_id: account_id.into(),
            status: ExportStatus::Preparing,
            requested_at: now,
            ready_at: None,
        }
    }

    /// Until when a link signed `at` is valid.
    pub fn link_expires_at(at: Instant) -> Instant {
        at + Duration::hours(EXPORT_LINK_VALID_HOURS)
    }
}

/// Whether the account may start an export now, given when its latest one was requested:
/// `Err(seconds to wait)` inside the 24 hours.
pub fn may_export(latest_requested_at: Option<Instant>, now: Instant) -> Result<(), u64> {
    match latest_requested_at {
        Some(at) if now < at + Duration::hours(EXPORT_INTERVAL_HOURS) => {
            let wait = (at + Duration::hours(EXPORT_INTERVAL_HOURS) - now).num_seconds();
            Err(wait.max(1) as u64)
        }
        _ => Ok(()),
    }
}

/// Events an export never contains: staff-only kinds (internal notes), judged by the kind's
/// wire name so kinds this build does not know are judged too.
pub fn exportable_event_kind(kind: &str) -> bool {
    kind != "internal_note"
}

/// The events of one incident as the export shows them (in order, staff-only ones left out).
pub fn exportable_events(events: Vec<Value>) -> Vec<Value> {
    events
        .into_iter()
        .filter(|e| {
            e.get("kind")
                .and_then(Value::as_str)
                .is_some_and(exportable_event_kind)
        })
        .collect()
}

/// An account's erasure request, and where its erasure stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureRequest {
    pub account_id: crate::AccountId,
    pub status: ErasureStatus,
    pub reason: String,
    #[serde(with = "serde_instant")]
    pub requested_at: Instant,
    #[serde(with = "serde_instant::option", default)]
    pub decided_at: Option<Instant>,
    #[serde(default)]
    pub decided_by: Option<crate::AccountId>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(with = "serde_instant::option", default)]
    pub erased_at: Option<Instant>,
}

/// `POST /account/erasure-request`'s body: `{"reason"}` (1–2,000 characters).
pub fn parse_erasure_request(body: &Value) -> Result<String, Vec<FieldError>> {
    let mut f = Fields::of(body);
    let reason = f.required_str("reason", MAX_REASON);
    f.finish(reason)
}

/// `POST /erasure-requests/{account_id}/decision`'s body: `{"approve": bool, "note"?}`.
pub fn parse_erasure_decision(body: &Value) -> Result<(bool, Option<String>), Vec<FieldError>> {
    let mut f = Fields::of(body);
    let approve = f.required_bool("approve");
    let note = f.optional_str("note", MAX_REASON);
    f.finish(approve.map(|a| (a, note)))
}

/// Why a privacy request is refused (a `409 invalid_state`, or not found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivacyRefusal {
    /// An incident of the account is still open.
    OpenIncident,
    /// A closed incident still waits for its charge decision.
    PendingCharge,
    /// The request was already decided (or is being carried out).
    NotPending(ErasureStatus),
    NotFound,
}

impl PrivacyRefusal {
    pub fn message(&self) -> String {
        match self {
            PrivacyRefusal::OpenIncident => "The account has an open incident; it can be erased once every incident is closed.".into(),
            PrivacyRefusal::PendingCharge => "An incident of the account waits for its charge decision; it can be erased once that is decided.".into(),
            PrivacyRefusal::NotPending(s) => format!("The erasure request is {}, not pending.", s.as_str()),
            PrivacyRefusal::NotFound => "No such erasure request.".into(),
        }
    }
}

/// Whether an account whose incidents are `incidents` may be erased now.
pub fn erasable(incidents: &[Incident]) -> Result<(), PrivacyRefusal> {
    if incidents.iter().any(|i| !i.status.is_closed()) {
        return Err(PrivacyRefusal::OpenIncident);
    }
    if incidents.iter().any(|i| i.charge == crate::Charge::Pending) {
        return Err(PrivacyRefusal::PendingCharge);
    }
    Ok(())
}

/// What an erasure request does, given the account's current request: a pending one is the same
/// request again (`None`: nothing to write); otherwise a new pending request.
pub fn request_erasure(
    current: Option<&ErasureRequest>,
    incidents: &[Incident],
    account_id: &str,
    reason: &str,
    now: Instant,
) -> Result<Option<ErasureRequest>, PrivacyRefusal> {
    if let Some(c) = current {
        if matches!(c.status, ErasureStatus::Pending | ErasureStatus::Erasing) {
            return Ok(None);
        }
    }
    erasable(incidents)?;
    Ok(Some(ErasureRequest {
        account_id: account_id.into(),
        status: ErasureStatus::Pending,
        reason: reason.to_string(),
        requested_at: now,
        decided_at: None,
        decided_by: None,
        note: None,
        erased_at: None,
    }))
}

/// The admin's decision on a pending request: `Erasing` (approved; the steps follow) or
/// `Rejected`. An approval re-checks that nothing was opened meanwhile.
pub fn decide_erasure(
    current: &ErasureRequest,
    approve: bool,
    note: Option<String>,
    incidents: &[Incident],
    admin: &str,
    now: Instant,
) -> Result<ErasureRequest, PrivacyRefusal> {
    if current.status != ErasureStatus::Pending {
        return Err(PrivacyRefusal::NotPending(current.status));
    }
    if approve {
        erasable(incidents)?;
    }
    let mut next = current.clone();
    next.status = if approve {
        ErasureStatus::Erasing
    } else {
        ErasureStatus::Rejected
    };
    next.decided_at = Some(now);
    next.decided_by = Some(admin.into());
    next.note = note;
    Ok(next)
}

/// The request once every step has run: its reason (free text) removed too.
pub fn erasure_finished(current: &ErasureRequest, now: Instant) -> ErasureRequest {
    let mut next = current.clone();
    next.status = ErasureStatus::Erased;
    next.reason = String::new();
    next.erased_at = Some(now);
    next
}

/// The incident with its personal data gone: the contact's name, address and phone become
/// `"erased"`, title, description, scope texts and the rating's comment are removed. Everything
/// else (status, severity, calendar, SLA outcome, charge, instants, owner) is kept. Erasing an
/// erased incident changes nothing.
pub fn erase_incident(incident: &Incident) -> Incident {
    let mut i = incident.clone();
    i.title = String::new();
    i.description = String::new();
    i.contact.name = ERASED.to_string();
    i.contact.email = ERASED.to_string();
    i.contact.phone = i.contact.phone.as_ref().map(|_| ERASED.to_string());
    if let Some(scope) = i.scope.as_mut() {
        scope.problem_statement = String::new();
        scope.resolution_criteria = String::new();
        scope.comment = None;
    }
    if let Some(rating) = i.rating.as_mut() {
        rating.comment = None;
    }
    i
}

/// Whether an incident still carries personal data.
pub fn incident_is_erased(i: &Incident) -> bool {
    erase_incident(i) == *i
}

/// The fields of an event's details that are not personal: ids, enum values, numbers and
/// instants. Every other field (messages, scope texts, solutions, notes, reasons, comments,
/// file names, display names) is removed by erasure.
const KEPT_EVENT_FIELDS: &[&str] = &[
    "attachment_id",
    "channel",
    "charge",
    "content_type",
    "first_response_due_at",
    "first_response_warn_at",
    "kind_of_failure",
    "owner_account_id",
    "previous_owner_account_id",
    "pack_id",
    "parent_incident_id",
    "child_incident_id",
    "proposal_id",
    "score",
    "severity",
    "size_bytes",
];

/// The event without its personal fields or its author's name; its frame (`at`, `kind`,
/// `actor_account_id`) and the kept fields stay.
pub fn erase_event(event: &Event) -> Event {
    Event {
        actor_display_name: None,
        details: event.details.clone().erased(),
        ..event.clone()
    }
}

/// `erase_event` on an event as stored (raw JSON: kinds this build does not know included):
/// `at`, `kind` and `actor_account_id` stay, the details keep only the kept fields. The two
/// agree on every kind (`incident::event` tests).
pub fn erase_event_json(event: Value) -> Value {
    match event {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| {
                    matches!(k.as_str(), "at" | "kind" | "actor_account_id")
                        || KEPT_EVENT_FIELDS.contains(&k.as_str())
                })
                .collect(),
        ),
        other => other,
    }
}

pub fn erase_proposal(p: &SubProblemProposal) -> SubProblemProposal {
    let mut p = p.clone();
    p.title = String::new();
    p.description = String::new();
    p
}

pub fn erase_attachment(a: &Attachment) -> Attachment {
    let mut a = a.clone();
    a.file_name = ERASED.to_string();
    a
}

/// Whether the attachments of an incident are past retention at `now`: closed more than
/// `retention_days` ago.
pub fn past_retention(incident: &Incident, retention_days: u32, now: Instant) -> bool {
    incident
        .closed_at
        .is_some_and(|closed| closed + Duration::days(i64::from(retention_days)) < now)
}

/// Reads `ATTACHMENT_RETENTION_DAYS` (unset: the default): a whole number of days, 1–36500.
pub fn retention_days_from(value: Option<&str>) -> Result<u32, String> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(DEFAULT_ATTACHMENT_RETENTION_DAYS),
        Some(v) => match v.parse::<u32>() {
            Ok(d) if (1..=36_500).contains(&d) => Ok(d),
            _ => Err(format!(
                "ATTACHMENT_RETENTION_DAYS must be a whole number of days from 1 to 36500, not {v:?}"
            )),
        },
    }
}

#[cfg(test)]
mod tests;
