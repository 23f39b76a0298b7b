use crate::category::Category;
use crate::time::{serde_instant, Instant};
use crate::{
    AccountId, CalendarId, Charge, Handling, IncidentId, IncidentStatus, Language, PackId,
    Severity, SlaOutcome,
};
use serde::{Deserialize, Serialize};

/// An incident's title, at most (a sub-problem's too).
pub const MAX_TITLE: usize = 200;
/// An incident's description, at most (a sub-problem's too).
pub const MAX_DESCRIPTION: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// The e-mails' language; intake always sets it (default by calendar). Incidents stored
    /// before it existed read as `None` and get the calendar's default.
    #[serde(default)]
    pub language: Option<Language>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeStatus {
    Proposed,
    Accepted,
    Rejected,
    /// The incident closed while the proposal awaited the customer (`scope_withdrawn`).
    Withdrawn,
}

/// The agreed definition of the problem (S7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub problem_statement: String,
    pub resolution_criteria: String,
    pub status: ScopeStatus,
    pub proposed_by: crate::AccountId,
    #[serde(with = "serde_instant")]
    pub proposed_at: Instant,
    #[serde(with = "serde_instant::option", default)]
    pub decided_at: Option<Instant>,
    #[serde(default)]
    pub comment: Option<String>,
}

/// The engineer who owns an incident (API.md, Ownership), as the incident shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub account_id: AccountId,
    /// The engineer's token `name`, else the part of its e-mail before `@`.
    pub display_name: String,
}

impl Owner {
    /// The acting engineer as an owner.
    pub fn of(actor: &crate::Actor) -> Owner {
        Owner {
            account_id: actor.account_id.clone(),
            display_name: actor.display_name(),
        }
    }
}

/// An incident's state: what the rules decide on. The store keeps it as its own item
/// (`store::incidents::items`), the API shows it as an `IncidentView`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub incident_id: IncidentId,
    /// The short number people see and type (`number::incident_number`).
    pub number: String,
    pub account_id: AccountId,
    pub pack_id: PackId,
    pub parent_incident_id: Option<IncidentId>,
    pub product_id: String,
    pub category: Category,
    pub severity: Severity,
    pub handling: Handling,
    pub calendar: CalendarId,
    pub title: String,
    pub description: String,
    pub contact: Contact,
    pub status: IncidentStatus,
    pub created_at: Instant,
    /// 75 % of the response window (fixed at intake with the deadline): the sweep's warning.
    pub first_response_warn_at: Instant,
    pub first_response_due_at: Instant,
    pub first_responded_at: Option<Instant>,
    /// When the sweep recorded the `sla_warning` (at most once).
    pub sla_warned_at: Option<Instant>,
    pub sla: SlaOutcome,
    pub scope: Option<Scope>,
    pub charge: Charge,
    /// Set once staff (or the resolution itself) has decided the charge of a closed incident.
    pub charge_decided: bool,
    pub closed_at: Option<Instant>,
    /// The contact's address bounced or complained: mail to it is no longer sent (v3).
    pub contact_unreachable: bool,
    /// The engineer who owns it; `None` while unowned.
    pub owner: Option<Owner>,
    /// The contact's rating of the handling (API.md "Satisfaction"); a later one replaces it.
    pub rating: Option<super::Rating>,
    /// When the retention step deleted its attachments (closed longer than
    /// `ATTACHMENT_RETENTION_DAYS`); `null` while they are kept.
    pub attachments_deleted_at: Option<Instant>,
}

/// An incident awaiting its first response, for tests to change what they need of it.
#[cfg(test)]
pub(crate) fn sample_incident() -> Incident {
    use crate::time::parse_instant;
    let at = |s: &str| parse_instant(s).expect("an instant");
    Incident {
        incident_id: "inc-1".into(),
        number: "K7M-4QX9".into(),
        account_id: "acct-owner".into(),
        pack_id: "pack-1".into(),
        parent_incident_id: None,
        product_id: "sql-server-2019".into(),
        category: Category::ErrorOrCrash,
        severity: Severity::B,
        handling: Handling::BusinessHours,
        calendar: CalendarId::Pl,
        title: "Service crashes on start".into(),
        description: "Since the last update the service stops within a minute.".into(),
        contact: Contact {
            name: "Ops".into(),
            email: "ops@customer.example".into(),
            phone: None,
            language: None,
        },
        status: IncidentStatus::AwaitingResponse,
        created_at: at("2026-03-02T09:00:00Z"),
        first_response_warn_at: at("2026-03-02T12:00:00Z"),
        first_response_due_at: at("2026-03-02T13:00:00Z"),
        first_responded_at: None,
        sla_warned_at: None,
        sla: SlaOutcome::Pending,
        scope: None,
        charge: Charge::Consumed,
        charge_decided: false,
        closed_at: None,
        contact_unreachable: false,
        owner: None,
        rating: None,
        attachments_deleted_at: None,
    }
}

impl Incident {
    /// In the engineers' queue: no first response yet, not closed.
    pub fn awaiting_response(&self) -> bool {
        self.status == IncidentStatus::AwaitingResponse
    }

    /// Open for its owner's workload (API.md, `?owner=me&open=true`): awaiting a response or in
    /// progress, or closed by the customer with the charge still to decide.
    pub fn is_open(&self) -> bool {
        !self.status.is_closed() || self.charge == Charge::Pending
    }

    /// Closed with the charge still to decide (staff's `?charge=pending`).
    pub fn charge_pending(&self) -> bool {
        self.status.is_closed() && self.charge == Charge::Pending
    }

    /// The owner's account while the incident is open: the engineer whose open-incident count
    /// (and open list) holds it.
    pub fn open_owner(&self) -> Option<&str> {
        self.owner
            .as_ref()
            .filter(|_| self.is_open())
            .map(|o| o.account_id.as_str())
    }

    /// The owner's account id, if owned.
    pub fn owner_id(&self) -> Option<&str> {
        self.owner.as_ref().map(|o| o.account_id.as_str())
    }

    /// The language of the e-mails about this incident.
    pub fn language(&self) -> Language {
        self.contact
            .language
            .unwrap_or_else(|| Language::default_for_calendar(self.calendar))
    }

    /// Watched by the breach sweep: awaiting, and the clock still running.
    pub fn sla_clock_running(&self) -> bool {
        self.awaiting_response() && self.sla == SlaOutcome::Pending
    }

    /// The next instant the sweep must act at while the clock runs: the warning until it is
    /// recorded, then the deadline. `None` once the SLA is settled or the incident answered.
    pub fn next_sla_signal_at(&self) -> Option<Instant> {
        if !self.sla_clock_running() {
            return None;
        }
        Some(match self.sla_warned_at {
            None => self.first_response_warn_at.min(self.first_response_due_at),
            Some(_) => self.first_response_due_at,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubProblemProposal {
    pub proposal_id: crate::ProposalId,
    pub incident_id: IncidentId,
    pub title: String,
    pub description: String,
    pub status: ProposalStatus,
    pub proposed_by: crate::AccountId,
    #[serde(with = "serde_instant")]
    pub proposed_at: Instant,
    #[serde(default)]
    pub child_incident_id: Option<IncidentId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProposalStatus {
    Proposed,
    Accepted,
    Declined,
    /// The incident closed while the proposal awaited the customer.
    Withdrawn,
}
