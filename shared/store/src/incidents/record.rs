//! The incident as stored: its own type, so the item's shape (and how items written by older
//! builds read) is the store's business, not the rules'.

use domain::category::Category;
use domain::incident::{legacy_incident_number, Contact, Incident, Owner, Rating, Scope};
use domain::time::{serde_instant, Instant};
use domain::{
    AccountId, CalendarId, Charge, Handling, IncidentId, IncidentStatus, PackId, Severity,
    SlaOutcome,
};
use serde::{Deserialize, Serialize};

/// The incident item's attributes besides its keys, indexes and counters (`items::incident_item`
/// adds those). Written whole on every change.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct IncidentRecord {
    incident_id: IncidentId,
    /// Absent on incidents stored before numbers existed.
    #[serde(default)]
    number: Option<String>,
    account_id: AccountId,
    pack_id: PackId,
    #[serde(default)]
    parent_incident_id: Option<IncidentId>,
    product_id: String,
    category: Category,
    severity: Severity,
    handling: Handling,
    calendar: CalendarId,
    title: String,
    description: String,
    contact: Contact,
    status: IncidentStatus,
    #[serde(with = "serde_instant")]
    created_at: Instant,
    /// Absent on incidents stored before warnings existed.
    #[serde(with = "serde_instant::option", default)]
    first_response_warn_at: Option<Instant>,
    #[serde(with = "serde_instant")]
    first_response_due_at: Instant,
    #[serde(with = "serde_instant::option", default)]
    first_responded_at: Option<Instant>,
    #[serde(with = "serde_instant::option", default)]
    sla_warned_at: Option<Instant>,
    sla: SlaOutcome,
    #[serde(default)]
    scope: Option<Scope>,
    charge: Charge,
    #[serde(default)]
    charge_decided: bool,
    #[serde(with = "serde_instant::option", default)]
    closed_at: Option<Instant>,
    #[serde(default)]
    contact_unreachable: bool,
    #[serde(default)]
    owner: Option<Owner>,
    #[serde(default)]
    rating: Option<Rating>,
    #[serde(with = "serde_instant::option", default)]
    attachments_deleted_at: Option<Instant>,
}

impl From<&Incident> for IncidentRecord {
    fn from(i: &Incident) -> Self {
        IncidentRecord {
            incident_id: i.incident_id.clone(),
            number: Some(i.number.clone()),
            account_id: i.account_id.clone(),
            pack_id: i.pack_id.clone(),
            parent_incident_id: i.parent_incident_id.clone(),
            product_id: i.product_id.clone(),
            category: i.category,
            severity: i.severity,
            handling: i.handling,
            calendar: i.calendar,
            title: i.title.clone(),
            description: i.description.clone(),
            contact: i.contact.clone(),
            status: i.status,
            created_at: i.created_at,
            first_response_warn_at: Some(i.first_response_warn_at),
            first_response_due_at: i.first_response_due_at,
            first_responded_at: i.first_responded_at,
            sla_warned_at: i.sla_warned_at,
            sla: i.sla,
            scope: i.scope.clone(),
            charge: i.charge,
            charge_decided: i.charge_decided,
            closed_at: i.closed_at,
            contact_unreachable: i.contact_unreachable,
            owner: i.owner.clone(),
            rating: i.rating.clone(),
            attachments_deleted_at: i.attachments_deleted_at,
        }
    }
}

/// Items from older builds read upgraded: an incident stored before numbers existed gets one
/// derived from its id (`legacy_incident_number`); one stored before warnings existed warns at
/// its deadline (its awaiting-index key is already the deadline), so the sweep warns and
/// breaches it together.
impl From<IncidentRecord> for Incident {
    fn from(r: IncidentRecord) -> Self {
        let number = r
            .number
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| legacy_incident_number(&r.incident_id));
        Incident {
            incident_id: r.incident_id,
            number,
            account_id: r.account_id,
            pack_id: r.pack_id,
            parent_incident_id: r.parent_incident_id,
            product_id: r.product_id,
            category: r.category,
            severity: r.severity,
            handling: r.handling,
            calendar: r.calendar,
            title: r.title,
            description: r.description,
            contact: r.contact,
            status: r.status,
            created_at: r.created_at,
            first_response_warn_at: r.first_response_warn_at.unwrap_or(r.first_response_due_at),
            first_response_due_at: r.first_response_due_at,
            first_responded_at: r.first_responded_at,
            sla_warned_at: r.sla_warned_at,
            sla: r.sla,
            scope: r.scope,
            charge: r.charge,
            charge_decided: r.charge_decided,
            closed_at: r.closed_at,
            contact_unreachable: r.contact_unreachable,
            owner: r.owner,
            rating: r.rating,
            attachments_deleted_at: r.attachments_deleted_at,
        }
    }
}
