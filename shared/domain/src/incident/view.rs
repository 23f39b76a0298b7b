//! An incident as the API shows it (API.md "Incidents"): the state's fields, and on the
//! single-incident routes the first page of its timeline.

use super::{Contact, Event, Incident, Owner, Rating, Scope};
use crate::category::Category;
use crate::time::{serde_instant, Instant};
use crate::{
    AccountId, CalendarId, Charge, Handling, IncidentId, IncidentStatus, PackId, Severity,
    SlaOutcome,
};
use serde::Serialize;

/// An incident as the API shows it; the timeline is left out of list views.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentView {
    pub incident_id: IncidentId,
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
    #[serde(with = "serde_instant")]
    pub created_at: Instant,
    #[serde(with = "serde_instant")]
    pub first_response_warn_at: Instant,
    #[serde(with = "serde_instant")]
    pub first_response_due_at: Instant,
    #[serde(with = "serde_instant::option")]
    pub first_responded_at: Option<Instant>,
    #[serde(with = "serde_instant::option")]
    pub sla_warned_at: Option<Instant>,
    pub sla: SlaOutcome,
    pub scope: Option<Scope>,
    pub charge: Charge,
    pub charge_decided: bool,
    #[serde(with = "serde_instant::option")]
    pub closed_at: Option<Instant>,
    pub contact_unreachable: bool,
    pub owner: Option<Owner>,
    pub rating: Option<Rating>,
    #[serde(with = "serde_instant::option")]
    pub attachments_deleted_at: Option<Instant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<Event>>,
    /// Present exactly when `timeline` is: the cursor of the rest of the timeline, or `null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline_next_cursor: Option<Option<String>>,
}

impl Incident {
    /// The API's view; with a timeline (its first page), `timeline_next_cursor` is `null`
    /// until `IncidentView::continued_by` sets it.
    pub fn view(&self, timeline: Option<Vec<Event>>) -> IncidentView {
        IncidentView {
            incident_id: self.incident_id.clone(),
            number: self.number.clone(),
            account_id: self.account_id.clone(),
            pack_id: self.pack_id.clone(),
            parent_incident_id: self.parent_incident_id.clone(),
            product_id: self.product_id.clone(),
            category: self.category,
            severity: self.severity,
            handling: self.handling,
            calendar: self.calendar,
            title: self.title.clone(),
            description: self.description.clone(),
            contact: self.contact.clone(),
            status: self.status,
            created_at: self.created_at,
            first_response_warn_at: self.first_response_warn_at,
            first_response_due_at: self.first_response_due_at,
            first_responded_at: self.first_responded_at,
            sla_warned_at: self.sla_warned_at,
            sla: self.sla,
            scope: self.scope.clone(),
            charge: self.charge,
            charge_decided: self.charge_decided,
            closed_at: self.closed_at,
            contact_unreachable: self.contact_unreachable,
            owner: self.owner.clone(),
            rating: self.rating.clone(),
            attachments_deleted_at: self.attachments_deleted_at,
            timeline_next_cursor: timeline.as_ref().map(|_| None),
            timeline,
        }
    }
}

impl IncidentView {
    /// Says where the timeline goes on (`GET /incidents/{id}/timeline?cursor=`).
    pub fn continued_by(mut self, cursor: Option<String>) -> IncidentView {
        if self.timeline.is_some() {
            self.timeline_next_cursor = Some(cursor);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use crate::incident::sample_incident;

    #[test]
    fn the_view_shows_every_field_of_the_state_and_the_timeline_only_when_asked() {
        let listed = serde_json::to_value(sample_incident().view(None)).unwrap();
        let mut keys: Vec<&str> = listed
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "account_id",
                "attachments_deleted_at",
                "calendar",
                "category",
                "charge",
                "charge_decided",
                "closed_at",
                "contact",
                "contact_unreachable",
                "created_at",
                "description",
                "first_responded_at",
                "first_response_due_at",
                "first_response_warn_at",
                "handling",
                "incident_id",
                "number",
                "owner",
                "pack_id",
                "parent_incident_id",
                "product_id",
                "rating",
                "scope",
                "severity",
                "sla",
                "sla_warned_at",
                "status",
                "title",
            ]
        );
        assert_eq!(listed["first_response_due_at"], "2026-03-02T13:00:00Z");
        assert_eq!(listed["first_responded_at"], serde_json::Value::Null);
        let shown = sample_incident()
            .view(Some(vec![]))
            .continued_by(Some("c1".into()));
        let shown = serde_json::to_value(shown).unwrap();
        assert_eq!(shown["timeline"], serde_json::json!([]));
        assert_eq!(shown["timeline_next_cursor"], "c1");
    }
}
