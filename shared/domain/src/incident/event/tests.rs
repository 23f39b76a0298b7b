//! The wire form of every event kind, as stored and as the API shows it: each sample reads into
//! an `Event` and writes back unchanged, fresh, erased and as older writers left it.

use super::*;
use crate::privacy::erase_event_json;
use serde_json::{json, Value};

const AT: &str = "2026-03-02T09:30:00Z";

fn frame(kind: &str, details: Value) -> Value {
    let mut v = json!({"at": AT, "kind": kind, "actor_account_id": "eng-1",
                       "actor_display_name": "Ewa"});
    let Value::Object(d) = details else {
        panic!("details are a map")
    };
    v.as_object_mut().unwrap().extend(d);
    v
}

/// One event of every kind, as its writer stores it.
fn samples() -> Vec<Value> {
    vec![
        frame(
            "submitted",
            json!({"pack_id": "p1", "parent_incident_id": null, "severity": "A"}),
        ),
        frame(
            "submitted",
            json!({"pack_id": "p1", "parent_incident_id": "i0", "severity": "C"}),
        ),
        frame(
            "response",
            json!({"message": "Called back", "channel": "remote_session"}),
        ),
        frame(
            "customer_message",
            json!({"message": "Still slow", "channel": "console"}),
        ),
        frame(
            "customer_message",
            json!({"message": "By mail", "channel": "email"}),
        ),
        frame(
            "scope_proposed",
            json!({"problem_statement": "Slow logons", "resolution_criteria": "Under 5 s"}),
        ),
        frame("scope_accepted", json!({"comment": null})),
        frame("scope_rejected", json!({"comment": "Too narrow"})),
        frame(
            "sub_problem_proposed",
            json!({"proposal_id": "sp1", "title": "Printer", "description": "Jams"}),
        ),
        frame(
            "sub_problem_accepted",
            json!({"proposal_id": "sp1", "title": "Printer", "child_incident_id": "i2",
                   "child_number": "INC-AB12"}),
        ),
        frame(
            "sub_problem_declined",
            json!({"proposal_id": "sp1", "title": "Printer"}),
        ),
        frame(
            "sla_breached",
            json!({"severity": "B", "first_response_due_at": "2026-03-02T13:30:00Z"}),
        ),
        frame("resolved", json!({"solutions": ["Reboot", "Patch"]})),
        frame("closed_unresolved", json!({"explanation": "No fix"})),
        frame("closure_requested", json!({"reason": "Fixed it myself"})),
        frame("charge_decided", json!({"charge": "consumed"})),
        frame(
            "charge_decided",
            json!({"charge": "refunded", "pack_id": "p1", "unit_usable": true}),
        ),
        frame(
            "charge_decided",
            json!({"charge": "refunded", "pack_id": "p1", "unit_usable": false,
                   "note": "The refunded unit was returned to pack p1, which expired."}),
        ),
        frame(
            "sla_warning",
            json!({"severity": "A", "first_response_warn_at": "2026-03-02T11:00:00Z",
                   "first_response_due_at": "2026-03-02T11:30:00Z"}),
        ),
        frame(
            "attachment_added",
            json!({"attachment_id": "att-1", "file_name": "log.txt",
                   "content_type": "text/plain", "size_bytes": 1234}),
        ),
        frame("contact_bounced", json!({"kind_of_failure": "bounce"})),
        frame(
            "assigned",
            json!({"owner_account_id": "eng-2", "previous_owner_account_id": null, "note": null}),
        ),
        frame(
            "assigned",
            json!({"owner_account_id": null, "previous_owner_account_id": "eng-2",
                   "note": "On leave"}),
        ),
        frame("rated", json!({"score": "good", "comment": null})),
        frame("rated", json!({"score": "bad", "comment": "Slow"})),
        frame("internal_note", json!({"note": "Call Anna"})),
        frame("scope_withdrawn", json!({})),
        frame(
            "sub_problem_withdrawn",
            json!({"proposal_id": "sp1", "title": "Printer"}),
        ),
    ]
}

/// As writers before a field existed left them: the system's events without a name, a
/// customer's message before channels, an accepted sub-problem before numbers.
fn legacy_samples() -> Vec<Value> {
    vec![
        json!({"at": AT, "kind": "sla_breached", "actor_account_id": "system",
               "actor_display_name": null, "severity": "B",
               "first_response_due_at": "2026-03-02T13:30:00Z"}),
        frame("customer_message", json!({"message": "Before channels"})),
        frame(
            "sub_problem_accepted",
            json!({"proposal_id": "sp1", "title": "Printer", "child_incident_id": "i2"}),
        ),
    ]
}

fn round_trip(sample: &Value) -> Value {
    let event: Event = serde_json::from_value(sample.clone())
        .unwrap_or_else(|e| panic!("{sample} does not read: {e}"));
    serde_json::to_value(&event).unwrap()
}

#[test]
fn every_kind_reads_and_writes_back_unchanged() {
    let all = samples();
    let mut kinds: Vec<&str> = all.iter().map(|s| s["kind"].as_str().unwrap()).collect();
    kinds.dedup();
    assert_eq!(kinds.len(), 22, "one sample per kind at least: {kinds:?}");
    for sample in all.iter().chain(&legacy_samples()) {
        assert_eq!(&round_trip(sample), sample);
    }
}

#[test]
fn an_erased_event_reads_and_writes_back_without_its_personal_fields() {
    for sample in samples() {
        let mut erased = erase_event_json(sample.clone());
        // An event read back names no author once erased (the name is personal).
        erased["actor_display_name"] = Value::Null;
        assert_eq!(round_trip(&erased), erased, "erased {sample}");
        let typed: Event = serde_json::from_value(sample.clone()).unwrap();
        assert_eq!(
            serde_json::to_value(crate::privacy::erase_event(&typed)).unwrap(),
            erased,
            "the typed erasure of {sample} is the stored one"
        );
    }
}

#[test]
fn a_kind_is_read_with_its_fields_typed() {
    let e: Event = serde_json::from_value(samples()[2].clone()).unwrap();
    assert_eq!(e.kind(), EventKind::Response);
    let bad = frame("response", json!({"message": "x", "channel": "fax"}));
    assert!(serde_json::from_value::<Event>(bad).is_err());
    let bad = frame("rated", json!({"score": 7, "comment": null}));
    assert!(serde_json::from_value::<Event>(bad).is_err());
}
