//! What the closing requests must say (S7, S8): a resolution with its solutions or an unresolved
//! closure with its explanation and charge, a customer's closure request, staff's charge
//! decision — read with `Fields` so every bad field is named at once — and what a refund's
//! timeline entry tells the customer about the unit it returned.

use super::actions::{Action, Transition};
use super::event::EventDetails;
use crate::pack::Pack;
use crate::time::{format_instant, Instant};
use crate::validation::{FieldError, Fields};
use crate::{Charge, PackStatus};
use serde_json::Value;

/// How many suggested solutions one resolution may deliver.
pub const MAX_SOLUTIONS: usize = 20;
/// One suggested solution.
pub const MAX_SOLUTION: usize = 10_000;
/// Why no solution could be found.
pub const MAX_EXPLANATION: usize = 20_000;
/// Why the customer asks to close.
pub const MAX_CLOSURE_REASON: usize = 5_000;

/// `POST /incidents/{id}/resolution`: `{"outcome":"resolved","solutions":[…]}` or
/// `{"outcome":"unresolved","explanation","charge":"consumed|refunded"}`. A field that belongs
/// to the other outcome is refused rather than ignored: a `charge` sent with `resolved` would
/// otherwise look like a refund that never happens.
pub fn parse_resolution(body: &Value) -> Result<Action, Vec<FieldError>> {
    let mut f = Fields::of(body);
    let outcome = f.required_str("outcome", 64);
    let action = match outcome.as_deref() {
        Some("resolved") => {
            let solutions = f.required_str_list("solutions", MAX_SOLUTIONS, MAX_SOLUTION);
            refuse_present(&mut f, body, &["explanation", "charge"], "unresolved");
            solutions.map(|solutions| Action::Resolve { solutions })
        }
        Some("unresolved") => {
            let explanation = f.required_str("explanation", MAX_EXPLANATION);
            let charge = decided_charge(&mut f, "charge");
            refuse_present(&mut f, body, &["solutions"], "resolved");
            explanation
                .zip(charge)
                .map(|(explanation, charge)| Action::CloseUnresolved {
                    explanation,
                    charge,
                })
        }
        Some(_) => {
            f.error("outcome", "must be one of: resolved, unresolved");
            None
        }
        None => None,
    };
    f.finish(action)
}

/// `POST /incidents/{id}/closure-request`: `{"reason"}`.
pub fn parse_closure_request(body: &Value) -> Result<Action, Vec<FieldError>> {
    let mut f = Fields::of(body);
    let reason = f.required_str("reason", MAX_CLOSURE_REASON);
    f.finish(reason.map(|reason| Action::RequestClosure { reason }))
}

/// `POST /incidents/{id}/charge-decision`: `{"charge":"consumed|refunded"}`.
pub fn parse_charge_decision(body: &Value) -> Result<Action, Vec<FieldError>> {
    let mut f = Fields::of(body);
    let charge = decided_charge(&mut f, "charge");
    f.finish(charge.map(|charge| Action::DecideCharge { charge }))
}

/// Whether the action, if it lands, returns a unit: the caller then needs the pack's state to
/// say whether the unit can still be used (`note_refunded_unit`).
pub fn may_refund(action: &Action) -> bool {
    matches!(
        action,
        Action::CloseUnresolved {
            charge: Charge::Refunded,
            ..
        } | Action::DecideCharge {
            charge: Charge::Refunded
        }
    )
}

/// A refund always returns its unit to the pack it came from, expired or not (S8); but a unit in
/// an expired pack cannot be drawn again (S10). The `charge_decided` entry says which pack got the
/// unit and whether it is usable, with a sentence for the customer when it is not.
pub fn note_refunded_unit(transition: &mut Transition, pack: &Pack, now: Instant) {
    if !transition.refund || pack.pack_id != transition.incident.pack_id {
        return;
    }
    // After the refund at least one unit remains, so only expiry can make it unusable.
    let usable = pack.status(now) != PackStatus::Expired;
    for event in transition.events.iter_mut() {
        if let EventDetails::ChargeDecided {
            pack_id,
            unit_usable,
            note,
            ..
        } = &mut event.details
        {
            *pack_id = Some(pack.pack_id.clone());
            *unit_usable = Some(usable);
            *note = (!usable).then(|| {
                format!(
                    "The refunded unit was returned to pack {}, which expired at {}; it cannot \
                     be used for a new incident.",
                    pack.pack_id,
                    pack.expires_at.map(format_instant).unwrap_or_default()
                )
            });
        }
    }
}

/// A charge staff can decide: `consumed` or `refunded` (never back to `pending`).
fn decided_charge(f: &mut Fields<'_>, key: &str) -> Option<Charge> {
    match f.required_str(key, 64)?.as_str() {
        "consumed" => Some(Charge::Consumed),
        "refunded" => Some(Charge::Refunded),
        _ => {
            f.error(key, "must be one of: consumed, refunded");
            None
        }
    }
}

fn refuse_present(f: &mut Fields<'_>, body: &Value, keys: &[&str], outcome: &str) {
    for key in keys {
        if body.get(key).is_some_and(|v| !v.is_null()) {
            f.error(key, format!("belongs only to the {outcome} outcome"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::{apply, Incident};
    use crate::pack::Pack;
    use crate::time::parse_instant;
    use crate::{Actor, Money, Offer};
    use serde_json::json;

    fn fields(r: Result<Action, Vec<FieldError>>) -> Vec<String> {
        r.expect_err("a shape error")
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_resolution_reads_its_trimmed_solutions() {
        let a = parse_resolution(&json!({"outcome": "resolved", "solutions": [" Reboot "]}));
        assert_eq!(
            a,
            Ok(Action::Resolve {
                solutions: vec!["Reboot".into()]
            })
        );
    }

    #[test]
    fn a_resolution_without_solutions_names_solutions() {
        assert_eq!(
            fields(parse_resolution(&json!({"outcome": "resolved"}))),
            ["solutions"]
        );
        assert_eq!(
            fields(parse_resolution(
                &json!({"outcome": "resolved", "solutions": []})
            )),
            ["solutions"]
        );
        assert_eq!(
            fields(parse_resolution(
                &json!({"outcome": "resolved", "solutions": ["ok", "  "]})
            )),
            ["solutions[1]"]
        );
    }

    #[test]
    fn solutions_are_capped_in_count_and_length() {
        let many: Vec<String> = (0..=MAX_SOLUTIONS).map(|i| format!("s{i}")).collect();
        assert_eq!(
            fields(parse_resolution(
                &json!({"outcome": "resolved", "solutions": many})
            )),
            ["solutions"]
        );
        let long = "x".repeat(MAX_SOLUTION + 1);
        assert_eq!(
            fields(parse_resolution(
                &json!({"outcome": "resolved", "solutions": [long]})
            )),
            ["solutions[0]"]
        );
    }

    #[test]
    fn an_unresolved_closure_needs_an_explanation_and_a_decided_charge() {
        assert_eq!(
            fields(parse_resolution(&json!({"outcome": "unresolved"}))),
            ["explanation", "charge"]
        );
        assert_eq!(
            fields(parse_resolution(
                &json!({"outcome": "unresolved", "explanation": "No fix", "charge": "pending"})
            )),
            ["charge"]
        );
        assert_eq!(
            parse_resolution(
                &json!({"outcome": "unresolved", "explanation": "No fix", "charge": "refunded"})
            ),
            Ok(Action::CloseUnresolved {
                explanation: "No fix".into(),
                charge: Charge::Refunded
            })
        );
    }

    #[test]
    fn fields_of_the_other_outcome_are_refused() {
        assert_eq!(
            fields(parse_resolution(
                &json!({"outcome": "resolved", "solutions": ["a"], "charge": "refunded"})
            )),
            ["charge"]
        );
        assert_eq!(
            fields(parse_resolution(&json!({
                "outcome": "unresolved", "explanation": "x", "charge": "consumed", "solutions": ["a"]
            }))),
            ["solutions"]
        );
    }

    #[test]
    fn a_missing_or_unknown_outcome_is_named() {
        assert_eq!(fields(parse_resolution(&json!({}))), ["outcome"]);
        assert_eq!(
            fields(parse_resolution(&json!({"outcome": "fixed"}))),
            ["outcome"]
        );
    }

    #[test]
    fn a_closure_request_needs_a_reason() {
        assert_eq!(fields(parse_closure_request(&json!({}))), ["reason"]);
        assert_eq!(
            fields(parse_closure_request(&json!({"reason": " "}))),
            ["reason"]
        );
        assert_eq!(
            parse_closure_request(&json!({"reason": "Fixed it myself"})),
            Ok(Action::RequestClosure {
                reason: "Fixed it myself".into()
            })
        );
    }

    #[test]
    fn a_charge_decision_is_consumed_or_refunded() {
        assert_eq!(fields(parse_charge_decision(&json!({}))), ["charge"]);
        assert_eq!(
            fields(parse_charge_decision(&json!({"charge": "pending"}))),
            ["charge"]
        );
        assert_eq!(
            parse_charge_decision(&json!({"charge": "consumed"})),
            Ok(Action::DecideCharge {
                charge: Charge::Consumed
            })
        );
    }

    #[test]
    fn only_refunding_actions_may_refund() {
        assert!(may_refund(&Action::DecideCharge {
            charge: Charge::Refunded
        }));
        assert!(may_refund(&Action::CloseUnresolved {
            explanation: "x".into(),
            charge: Charge::Refunded
        }));
        assert!(!may_refund(&Action::DecideCharge {
            charge: Charge::Consumed
        }));
        assert!(!may_refund(&Action::Resolve {
            solutions: vec!["x".into()]
        }));
    }

    fn t(s: &str) -> Instant {
        parse_instant(s).expect("instant")
    }

    fn pack(expires_at: &str) -> Pack {
        let mut p = Pack::new(
            "pk_1".into(),
            Offer::Single,
            "acct_owner",
            t("2025-01-10T10:00:00Z"),
            "ABCDE-FGHJK-MNPQR-STVWX".into(),
            Money {
                currency: "PLN".into(),
                net: 100,
                tax: 23,
                gross: 123,
            },
            false,
        );
        p.incidents_remaining = 0;
        p.expires_at = Some(t(expires_at));
        p
    }

    fn closed_pending() -> Incident {
        Incident {
            incident_id: "inc_1".into(),
            account_id: "acct_owner".into(),
            pack_id: "pk_1".into(),
            severity: crate::Severity::C,
            status: crate::IncidentStatus::ClosedByCustomer,
            created_at: t("2025-06-02T10:00:00Z"),
            first_response_warn_at: t("2025-06-03T08:00:00Z"),
            first_response_due_at: t("2025-06-03T10:00:00Z"),
            sla: crate::SlaOutcome::Withdrawn,
            charge: Charge::Pending,
            closed_at: Some(t("2025-06-02T11:00:00Z")),
            ..crate::incident::sample_incident()
        }
    }

    fn refund(now: Instant) -> Transition {
        let staff = Actor {
            account_id: "acct_admin".into(),
            email: None,
            name: None,
            engineer: false,
            admin: true,
        };
        let action = Action::DecideCharge {
            charge: Charge::Refunded,
        };
        apply(&closed_pending(), &staff, action, now).expect("a refund")
    }

    #[test]
    fn a_refund_to_an_expired_pack_says_the_unit_cannot_be_used() {
        let now = t("2026-02-01T00:00:00Z");
        let mut tr = refund(now);
        note_refunded_unit(&mut tr, &pack("2026-01-10T10:00:00Z"), now);
        let d = tr.events[0].wire();
        assert_eq!(d["charge"], "refunded");
        assert_eq!(d["pack_id"], "pk_1");
        assert_eq!(d["unit_usable"], false);
        let note = d["note"].as_str().expect("a note");
        assert!(note.contains("cannot be used"), "{note}");
        assert!(note.contains("2026-01-10T10:00:00Z"), "{note}");
    }

    #[test]
    fn a_refund_to_a_live_pack_says_the_unit_is_usable_without_a_note() {
        let now = t("2025-07-01T00:00:00Z");
        let mut tr = refund(now);
        note_refunded_unit(&mut tr, &pack("2026-01-10T10:00:00Z"), now);
        let d = tr.events[0].wire();
        assert_eq!(d["unit_usable"], true);
        assert!(!d.contains_key("note"));
    }

    #[test]
    fn the_pack_expires_at_its_expiry_instant_for_the_note_too() {
        let now = t("2026-01-10T10:00:00Z");
        let mut tr = refund(now);
        note_refunded_unit(&mut tr, &pack("2026-01-10T10:00:00Z"), now);
        assert_eq!(tr.events[0].wire()["unit_usable"], false);
    }

    #[test]
    fn nothing_is_noted_without_a_refund_or_for_another_pack() {
        let now = t("2026-02-01T00:00:00Z");
        let mut tr = refund(now);
        let mut other = pack("2026-01-10T10:00:00Z");
        other.pack_id = "pk_other".into();
        note_refunded_unit(&mut tr, &other, now);
        assert!(!tr.events[0].wire().contains_key("unit_usable"));
        tr.refund = false;
        note_refunded_unit(&mut tr, &pack("2026-01-10T10:00:00Z"), now);
        assert!(!tr.events[0].wire().contains_key("unit_usable"));
    }
}
