use super::*;
use crate::incident::{apply, Action, Assignee, Owner};
use crate::rating::tests::closed;
use crate::time::parse_instant;
use crate::{Actor, Charge, IncidentStatus};
use crate::{ExemptionStatus, ReviewStatus};

fn at(s: &str) -> Instant {
    parse_instant(s).expect("instant")
}

fn engineer(id: &str) -> Actor {
    Actor {
        account_id: id.into(),
        email: None,
        name: None,
        engineer: true,
        admin: false,
    }
}

fn in_progress() -> Incident {
    Incident {
        status: IncidentStatus::InProgress,
        charge_decided: false,
        closed_at: None,
        ..closed()
    }
}

fn actions(entries: &[AuditEntry]) -> Vec<(AuditAction, &str)> {
    entries
        .iter()
        .map(|e| (e.action, e.actor_account_id.as_str()))
        .collect()
}

#[test]
fn a_resolution_is_one_entry_also_when_unresolved_with_its_charge() {
    let now = at("2026-03-04T09:00:00Z");
    let before = in_progress();
    let resolved = apply(
        &before,
        &engineer("eng-1"),
        Action::Resolve {
            solutions: vec!["Restarted".into()],
        },
        now,
    )
    .expect("resolved");
    let entries = of_transition(&before, &resolved);
    assert_eq!(actions(&entries), [(AuditAction::Resolution, "eng-1")]);
    assert_eq!(entries[0].subject.id, "inc-1");
    assert_eq!(entries[0].details["outcome"], "resolved");
    let unresolved = apply(
        &before,
        &engineer("eng-1"),
        Action::CloseUnresolved {
            explanation: "Out of our hands".into(),
            charge: Charge::Refunded,
        },
        now,
    )
    .expect("closed");
    let entries = of_transition(&before, &unresolved);
    assert_eq!(actions(&entries), [(AuditAction::Resolution, "eng-1")]);
    assert_eq!(entries[0].details["charge"], "refunded");
}

#[test]
fn an_assignment_is_one_entry_and_a_no_op_none() {
    let now = at("2026-03-04T09:00:00Z");
    let before = Incident {
        owner: None,
        ..in_progress()
    };
    let me = engineer("eng-2");
    let take = |incident: &Incident| {
        apply(
            incident,
            &me,
            Action::Assign {
                assignee: Assignee::Engineer(Owner::of(&me)),
                note: None,
            },
            now,
        )
        .expect("taken")
    };
    let taken = take(&before);
    let entries = of_transition(&before, &taken);
    assert_eq!(actions(&entries), [(AuditAction::Assignment, "eng-2")]);
    assert_eq!(entries[0].details["owner_account_id"], "eng-2");
    let again = take(&taken.incident);
    assert!(of_transition(&taken.incident, &again).is_empty());
}

#[test]
fn claim_and_exemption_decisions_name_their_subject_and_decider() {
    let now = at("2026-03-04T09:00:00Z");
    let claim = PackClaim {
        claim_id: "clm-1".into(),
        pack_id: "pack-1".into(),
        order_confirmation_number: Some("7K2QM-4XR9T-0BNHC-W3J8P".into()),
        claimant_account_id: "acct-2".into(),
        owner_account_id: "acct-1".into(),
        reason: "r".into(),
        status: ReviewStatus::Approved,
        submitted_at: now,
        decided_at: Some(now),
        decided_by: Some("admin-1".into()),
        note: None,
    };
    let e = of_claim_decision(&claim);
    assert_eq!(
        (e.action, e.actor_account_id.as_str()),
        (AuditAction::ClaimDecision, "admin-1")
    );
    assert_eq!(
        (e.subject.kind, e.subject.id.as_str()),
        (SubjectKind::Claim, "clm-1")
    );
    let exemption = TaxExemption {
        account_id: "acct-3".into(),
        jurisdiction: "PL".into(),
        certificate_reference: "c".into(),
        status: ExemptionStatus::Verified,
        submitted_at: now,
        decided_at: Some(now),
        decided_by: Some("admin-1".into()),
        note: None,
    };
    let e = of_exemption_decision(&exemption);
    assert_eq!(e.action, AuditAction::ExemptionDecision);
    assert_eq!(
        (e.subject.kind, e.subject.id.as_str()),
        (SubjectKind::TaxExemption, "acct-3")
    );
    assert_eq!(e.details["status"], "verified");
}
