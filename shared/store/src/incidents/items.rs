//! The incident item and its events as stored.

use super::record::IncidentRecord;
use super::{StoredIncident, LAST_EVENT_AT, NOTE_COUNT};
use crate::items::{from_item, key_attrs, n, s, to_item, with, Item, Record};
use crate::keys;
use crate::table::{
    ALL_INCIDENTS, AWAITING, BREACHES, BY_ASSIGNEE, BY_OWNER, BY_STATUS, OWNED_OPEN, QUEUE,
};
use crate::StoreError;
use aws_sdk_dynamodb::types::AttributeValue;
use domain::incident::{Event, Incident};
use domain::report::Month;
use domain::time::{format_instant, parse_instant};
use domain::{IncidentStatus, SlaOutcome};

pub(crate) fn incident_item(
    incident: &Incident,
    version: u64,
    event_count: u64,
) -> Result<Item, StoreError> {
    let id = &incident.incident_id;
    let created = format!("{}#{}", format_instant(incident.created_at), id);
    let due = format!("{}#{}", format_instant(incident.first_response_due_at), id);
    let mut attrs: Vec<(&'static str, AttributeValue)> = key_attrs(&keys::incident(id)).into();
    attrs.extend([
        ("version", n(version)),
        ("event_count", n(event_count)),
        (BY_OWNER.pk, s(keys::account(&incident.account_id))),
        (BY_OWNER.sk, s(keys::owner_incident(&created))),
        (BY_STATUS.pk, s(status_partition(incident.status))),
        (BY_STATUS.sk, s(created.clone())),
        (ALL_INCIDENTS.pk, s(keys::ALL_INCIDENTS_PK)),
        (ALL_INCIDENTS.sk, s(created.clone())),
        (BY_ASSIGNEE.pk, s(keys::assignee(incident.owner_id()))),
        (BY_ASSIGNEE.sk, s(created)),
    ]);
    // An owner's open incidents by deadline: the same set its open-incident count holds.
    if let Some(owner) = incident.open_owner() {
        attrs.extend([
            (OWNED_OPEN.pk, s(keys::owned_open(owner))),
            (OWNED_OPEN.sk, s(due.clone())),
        ]);
    }
    // Sparse indexes: present only while they apply, so removing them is part of the change.
    // The awaiting index keys an incident at the next instant the sweep must act: its warning
    // until that is recorded, then its deadline; settling the SLA removes it.
    if let Some(next) = incident.next_sla_signal_at() {
        attrs.extend([
            (AWAITING.pk, s(keys::await_shard(id))),
            (AWAITING.sk, s(format!("{}#{}", format_instant(next), id))),
        ]);
    }
    if incident.awaiting_response() {
        attrs.extend([(QUEUE.pk, s(keys::QUEUE_PK)), (QUEUE.sk, s(due.clone()))]);
    }
    // The queue index's second work list: closed incidents whose charge awaits a decision, by
    // closure (`?charge=pending`). Never both: an incident awaiting a response is open.
    if let Some(closed_at) = incident.closed_at.filter(|_| incident.charge_pending()) {
        attrs.extend([
            (QUEUE.pk, s(keys::CHARGE_PENDING_PK)),
            (QUEUE.sk, s(format!("{}#{}", format_instant(closed_at), id))),
        ]);
    }
    if incident.sla == SlaOutcome::Breached {
        let month = Month::of(incident.first_response_due_at).to_string();
        attrs.extend([
            (BREACHES.pk, s(keys::breach_partition(&month))),
            (BREACHES.sk, s(due)),
        ]);
    }
    Ok(with(to_item(&IncidentRecord::from(incident))?, attrs))
}

pub(super) fn status_partition(status: IncidentStatus) -> String {
    keys::incident_status(status.as_str())
}

pub(super) fn event_item(incident_id: &str, seq: u64, event: &Event) -> Result<Item, StoreError> {
    Ok(with(
        to_item(event)?,
        key_attrs(&keys::event(incident_id, seq)),
    ))
}

/// An internal note: outside the `EVENT#` range (`keys::note`), after event `after`.
pub(super) fn note_item(
    incident_id: &str,
    after: u64,
    seq: u64,
    event: &Event,
) -> Result<Item, StoreError> {
    Ok(with(
        to_item(event)?,
        key_attrs(&keys::note(incident_id, after, seq)),
    ))
}

/// Events keep their kind's fields in a flattened map, so the storage keys must not reach it.
pub(super) fn event_from_item(mut item: Item) -> Result<Event, StoreError> {
    item.remove(keys::PK);
    item.remove(keys::SK);
    from_item(item)
}

/// An incident decodes itself (its record upgrades items from older builds).
impl Record for Incident {
    fn from_record(item: Item) -> Result<Incident, StoreError> {
        from_item::<IncidentRecord>(item).map(Incident::from)
    }
}

pub(crate) fn stored_from_item(item: Item) -> Result<StoredIncident, StoreError> {
    let number = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<u64>().ok())
    };
    let version =
        number("version").ok_or_else(|| StoreError::Corrupt("incident without version".into()))?;
    let event_count = number("event_count").unwrap_or(0);
    let note_count = number(NOTE_COUNT).unwrap_or(0);
    let last_event_at = item
        .get(LAST_EVENT_AT)
        .and_then(|v| v.as_s().ok())
        .and_then(|v| parse_instant(v));
    Ok(StoredIncident {
        incident: Incident::from_record(item)?,
        version,
        event_count,
        note_count,
        open_proposals: Vec::new(),
        last_event_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::incident::sweep_signals;
    use domain::intake::{new_incident, NewIncident, Submission};
    use domain::time::{parse_instant, Instant};
    use domain::Actor;

    fn at(s: &str) -> Instant {
        parse_instant(s).expect("instant")
    }

    fn awaiting() -> Incident {
        let body = serde_json::json!({
            "product_id": "p", "category": "configuration", "severity": "B",
            "handling": "business_hours", "calendar": "UK", "title": "t", "description": "d",
            "contact": {"name": "Ada", "email": "ada@example.com"}
        });
        let submission = Submission::parse(&body).expect("valid");
        new_incident(
            &submission,
            NewIncident {
                incident_id: "inc_1".into(),
                account_id: &domain::AccountId::from("acct_1"),
                pack_id: &domain::PackId::from("pack_1"),
                parent_incident_id: None,
                first_response_warn_at: at("2026-03-31T12:00:00Z"),
                first_response_due_at: at("2026-03-31T13:00:00Z"),
                now: at("2026-03-31T09:00:00Z"),
                number: "K7M-4QX9".into(),
                actor_display_name: None,
            },
        )
        .0
    }

    fn text(item: &Item, name: &str) -> Option<String> {
        item.get(name).and_then(|v| v.as_s().ok()).cloned()
    }

    #[test]
    fn the_awaiting_key_is_the_warning_then_the_deadline_and_a_breach_enters_the_breaches_index() {
        let fresh = awaiting();
        let item = incident_item(&fresh, 1, 1).expect("item");
        assert_eq!(
            text(&item, AWAITING.sk).as_deref(),
            Some("2026-03-31T12:00:00Z#inc_1")
        );
        assert_eq!(text(&item, BREACHES.pk), None);

        let system = Actor::system();
        let warned = sweep_signals(
            &fresh,
            &system,
            at("2026-03-31T12:00:01Z"),
            at("2026-03-31T12:00:01Z"),
        )
        .expect("allowed")
        .expect("warned")
        .incident;
        let item = incident_item(&warned, 2, 2).expect("item");
        assert_eq!(
            text(&item, AWAITING.sk).as_deref(),
            Some("2026-03-31T13:00:00Z#inc_1")
        );

        let breached = sweep_signals(
            &warned,
            &system,
            at("2026-04-01T00:00:00Z"),
            at("2026-04-01T00:00:00Z"),
        )
        .expect("allowed")
        .expect("breached")
        .incident;
        let item = incident_item(&breached, 3, 3).expect("item");
        assert_eq!(text(&item, QUEUE.pk).as_deref(), Some("QUEUE"));
        assert_eq!(text(&item, AWAITING.pk), None);
        assert_eq!(text(&item, AWAITING.sk), None);
        // The report month is the deadline's, in UTC.
        assert_eq!(
            text(&item, BREACHES.pk).as_deref(),
            Some("BREACHED#2026-03")
        );
        assert_eq!(
            text(&item, BREACHES.sk).as_deref(),
            Some("2026-03-31T13:00:00Z#inc_1")
        );
    }

    #[test]
    fn an_incident_reads_back_as_it_was_written() {
        let closed = domain::incident::apply(
            &awaiting(),
            &Actor::customer("acct_1"),
            domain::incident::Action::RequestClosure {
                reason: "fixed".into(),
            },
            at("2026-03-31T10:00:00Z"),
        )
        .expect("closed")
        .incident;
        for incident in [awaiting(), closed] {
            let item = incident_item(&incident, 4, 2).expect("item");
            let stored = stored_from_item(item).expect("readable");
            assert_eq!((stored.incident, stored.version), (incident, 4));
        }
    }

    #[test]
    fn an_incident_stored_before_warnings_reads_with_its_deadline_as_the_warning() {
        let mut item = incident_item(&awaiting(), 1, 1).expect("item");
        item.remove("first_response_warn_at");
        item.remove("sla_warned_at");
        let stored = stored_from_item(item).expect("readable");
        assert_eq!(
            stored.incident.first_response_warn_at,
            stored.incident.first_response_due_at
        );
        assert_eq!(stored.incident.sla_warned_at, None);
    }

    #[test]
    fn a_closure_whose_charge_awaits_a_decision_enters_the_charges_list_and_leaves_it_decided() {
        let customer = Actor::customer("acct_1");
        let closed = domain::incident::apply(
            &awaiting(),
            &customer,
            domain::incident::Action::RequestClosure {
                reason: "fixed".into(),
            },
            at("2026-03-31T10:00:00Z"),
        )
        .expect("closed")
        .incident;
        let item = incident_item(&closed, 2, 2).expect("item");
        assert_eq!(text(&item, QUEUE.pk).as_deref(), Some("CHARGE_PENDING"));
        assert_eq!(
            text(&item, QUEUE.sk).as_deref(),
            Some("2026-03-31T10:00:00Z#inc_1")
        );
        let admin = Actor {
            admin: true,
            ..Actor::customer("acct_admin")
        };
        let decided = domain::incident::apply(
            &closed,
            &admin,
            domain::incident::Action::DecideCharge {
                charge: domain::Charge::Refunded,
            },
            at("2026-03-31T11:00:00Z"),
        )
        .expect("decided")
        .incident;
        let item = incident_item(&decided, 3, 3).expect("item");
        assert_eq!(text(&item, QUEUE.pk), None);
        assert_eq!(text(&item, QUEUE.sk), None);
    }

    #[test]
    fn an_incident_stored_before_numbers_reads_with_a_number_derived_from_its_id() {
        let mut item = incident_item(&awaiting(), 1, 1).expect("item");
        assert_eq!(text(&item, "number").as_deref(), Some("K7M-4QX9"));
        item.remove("number");
        let stored = stored_from_item(item).expect("readable");
        assert_eq!(
            stored.incident.number,
            domain::incident::legacy_incident_number("inc_1")
        );
        assert!(stored.incident.number.starts_with('0'));
    }
}
