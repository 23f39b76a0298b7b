use super::*;
use crate::incident::{Erasable, EventDetails, Scope, ScopeStatus};
use crate::rating::tests::closed;
use crate::rating::{Rating, Score};
use crate::time::parse_instant;
use crate::{Charge, IncidentStatus};
use serde_json::json;

fn at(s: &str) -> Instant {
    parse_instant(s).expect("instant")
}

fn pending_request() -> ErasureRequest {
    request_erasure(
        None,
        &[closed()],
        "acct-1",
        "leaving",
        at("2026-05-01T10:00:00Z"),
    )
    .expect("erasable")
    .expect("a new request")
}

#[test]
fn one_export_per_24_hours_and_the_wait_is_what_is_left_of_them() {
    let first = at("2026-05-01T10:00:00Z");
    assert_eq!(may_export(None, first), Ok(()));
    assert_eq!(may_export(Some(first), first), Err(24 * 3600));
    assert_eq!(may_export(Some(first), at("2026-05-02T09:59:00Z")), Err(60));
    assert_eq!(may_export(Some(first), at("2026-05-02T10:00:00Z")), Ok(()));
}

#[test]
fn an_export_never_contains_internal_notes_even_of_kinds_this_build_does_not_know() {
    let events = vec![
        json!({"kind": "submitted", "at": "2026-05-01T10:00:00Z"}),
        json!({"kind": "internal_note", "note": "staff only"}),
        json!({"kind": "response", "message": "hello"}),
        json!({"no_kind": true}),
    ];
    let kept = exportable_events(events);
    let kinds: Vec<&str> = kept.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["submitted", "response"]);
    assert!(!exportable_event_kind("internal_note"));
}

#[test]
fn an_open_incident_or_a_pending_charge_refuses_erasure() {
    let open = Incident {
        status: IncidentStatus::InProgress,
        closed_at: None,
        ..closed()
    };
    let charge_pending = Incident {
        status: IncidentStatus::ClosedByCustomer,
        charge: Charge::Pending,
        charge_decided: false,
        ..closed()
    };
    let now = at("2026-05-01T10:00:00Z");
    assert_eq!(
        request_erasure(None, &[closed(), open], "a", "r", now),
        Err(PrivacyRefusal::OpenIncident)
    );
    assert_eq!(
        request_erasure(None, &[charge_pending], "a", "r", now),
        Err(PrivacyRefusal::PendingCharge)
    );
    assert!(request_erasure(None, &[], "a", "r", now).unwrap().is_some());
}

#[test]
fn asking_twice_is_one_request_and_a_decided_one_may_be_asked_again() {
    let first = pending_request();
    let again = request_erasure(
        Some(&first),
        &[],
        "acct-1",
        "again",
        at("2026-05-01T11:00:00Z"),
    );
    assert_eq!(again, Ok(None));
    let rejected = decide_erasure(
        &first,
        false,
        None,
        &[],
        "admin",
        at("2026-05-01T12:00:00Z"),
    )
    .unwrap();
    assert_eq!(rejected.status, ErasureStatus::Rejected);
    let renewed = request_erasure(
        Some(&rejected),
        &[],
        "acct-1",
        "r",
        at("2026-05-02T10:00:00Z"),
    )
    .unwrap()
    .expect("a new request after a rejection");
    assert_eq!(renewed.status, ErasureStatus::Pending);
    assert_eq!(renewed.decided_by, None);
}

#[test]
fn a_decision_needs_a_pending_request_and_an_approval_rechecks_the_incidents() {
    let req = pending_request();
    let now = at("2026-05-01T12:00:00Z");
    let open = Incident {
        status: IncidentStatus::AwaitingResponse,
        closed_at: None,
        ..closed()
    };
    assert_eq!(
        decide_erasure(&req, true, None, std::slice::from_ref(&open), "admin", now),
        Err(PrivacyRefusal::OpenIncident)
    );
    // A rejection does not care what is open.
    assert!(decide_erasure(&req, false, None, &[open], "admin", now).is_ok());
    let approved =
        decide_erasure(&req, true, Some("ok".into()), &[closed()], "admin", now).unwrap();
    assert_eq!(approved.status, ErasureStatus::Erasing);
    assert_eq!(approved.decided_by.as_deref(), Some("admin"));
    assert_eq!(
        decide_erasure(&approved, false, None, &[], "admin", now),
        Err(PrivacyRefusal::NotPending(ErasureStatus::Erasing))
    );
    let done = erasure_finished(&approved, now);
    assert_eq!(done.status, ErasureStatus::Erased);
    assert!(done.reason.is_empty());
}

#[test]
fn erasing_an_incident_removes_every_personal_field_and_keeps_every_figure() {
    let mut i = closed();
    i.contact.phone = Some("+48 600 000 000".into());
    i.scope = Some(Scope {
        problem_statement: "the printer".into(),
        resolution_criteria: "prints".into(),
        status: ScopeStatus::Accepted,
        proposed_by: "eng-1".into(),
        proposed_at: at("2026-03-02T09:30:00Z"),
        decided_at: None,
        comment: Some("fine".into()),
    });
    i.rating = Some(Rating {
        score: Score::Good,
        comment: Some("thanks Anna".into()),
        at: at("2026-03-04T09:00:00Z"),
    });
    let e = erase_incident(&i);
    assert_eq!(e.contact.name, ERASED);
    assert_eq!(e.contact.email, ERASED);
    assert_eq!(e.contact.phone.as_deref(), Some(ERASED));
    assert!(e.title.is_empty() && e.description.is_empty());
    let scope = e.scope.as_ref().unwrap();
    assert!(scope.problem_statement.is_empty() && scope.resolution_criteria.is_empty());
    assert_eq!(scope.comment, None);
    assert_eq!(e.rating.as_ref().unwrap().comment, None);
    assert_eq!(e.rating.as_ref().unwrap().score, Score::Good);
    // Kept: what reports, the ledger and the SLA depend on.
    assert_eq!(
        (
            e.status,
            e.sla,
            e.charge,
            e.severity,
            e.calendar,
            e.closed_at,
            e.pack_id.clone()
        ),
        (
            i.status,
            i.sla,
            i.charge,
            i.severity,
            i.calendar,
            i.closed_at,
            i.pack_id.clone()
        )
    );
    assert!(incident_is_erased(&e));
    assert!(!incident_is_erased(&i));
    assert_eq!(erase_incident(&e), e, "erasing twice changes nothing");
}

#[test]
fn erasing_an_event_keeps_ids_and_figures_only() {
    let mut event = Event::new(
        at("2026-03-02T09:30:00Z"),
        "eng-1",
        EventDetails::AttachmentAdded {
            attachment_id: "att-1".into(),
            file_name: Erasable::Kept("anna.pdf".into()),
            content_type: "application/pdf".into(),
            size_bytes: 10,
        },
    );
    event.actor_display_name = Some("Ewa".into());
    let erased = erase_event(&event);
    assert_eq!(
        erased.details,
        EventDetails::AttachmentAdded {
            attachment_id: "att-1".into(),
            file_name: Erasable::Erased,
            content_type: "application/pdf".into(),
            size_bytes: 10,
        }
    );
    assert_eq!(erased.actor_display_name, None);
    assert_eq!(erased.kind(), event.kind());
    assert_eq!(erased.at, event.at);
    assert_eq!(erased.actor_account_id, event.actor_account_id);
}

#[test]
fn erasing_a_stored_event_keeps_its_frame_and_figures_whatever_its_kind() {
    let raw = json!({"at": "2026-03-02T09:30:00Z", "kind": "internal_note",
                     "actor_account_id": "eng-1", "note": "Anna is difficult", "severity": "B"});
    let erased = erase_event_json(raw);
    assert_eq!(
        erased,
        json!({"at": "2026-03-02T09:30:00Z", "kind": "internal_note",
               "actor_account_id": "eng-1", "severity": "B"})
    );
}

#[test]
fn attachments_are_past_retention_only_when_closed_longer_than_the_period() {
    let i = closed(); // closed 2026-03-03T09:00:00Z
    assert!(!past_retention(&i, 365, at("2027-03-03T08:00:00Z")));
    assert!(past_retention(&i, 365, at("2027-03-04T09:00:01Z")));
    let open = Incident {
        closed_at: None,
        ..closed()
    };
    assert!(!past_retention(&open, 1, at("2030-01-01T00:00:00Z")));
}

#[test]
fn the_retention_setting_is_a_whole_number_of_days_with_a_default() {
    assert_eq!(retention_days_from(None), Ok(365));
    assert_eq!(retention_days_from(Some("")), Ok(365));
    assert_eq!(retention_days_from(Some("30")), Ok(30));
    for bad in ["0", "-1", "1.5", "forever", "99999"] {
        let e = retention_days_from(Some(bad)).unwrap_err();
        assert!(e.contains("ATTACHMENT_RETENTION_DAYS"), "{e}");
    }
}

#[test]
fn a_request_needs_a_reason_and_a_decision_a_boolean() {
    assert_eq!(
        parse_erasure_request(&json!({"reason": "leaving"})),
        Ok("leaving".into())
    );
    let e = parse_erasure_request(&json!({})).unwrap_err();
    assert_eq!(e[0].field, "reason");
    assert!(parse_erasure_request(&json!({"reason": "x".repeat(MAX_REASON + 1)})).is_err());
    assert_eq!(
        parse_erasure_decision(&json!({"approve": true, "note": "ok"})),
        Ok((true, Some("ok".into())))
    );
    let e = parse_erasure_decision(&json!({"approve": "yes"})).unwrap_err();
    assert_eq!(e[0].field, "approve");
}
