use super::*;
use crate::category::Category;
use crate::incident::EventKind;
use crate::incident::{apply, Action};
use crate::time::parse_instant;
use crate::{Channel, IncidentStatus, SlaOutcome};

fn at(s: &str) -> Instant {
    parse_instant(s).expect("instant")
}

/// Severity B, warned at 12:00Z, due at 13:00Z.
fn awaiting() -> Incident {
    Incident {
        category: Category::Performance,
        title: "Slow".into(),
        description: "Queries are slow".into(),
        ..crate::incident::sample_incident()
    }
}

fn system() -> Actor {
    Actor::system()
}

fn kinds(t: &Transition) -> Vec<EventKind> {
    t.events.iter().map(|e| e.kind()).collect()
}

#[test]
fn nothing_is_due_up_to_and_at_the_warning_instant() {
    for now in ["2026-03-02T11:59:59Z", "2026-03-02T12:00:00Z"] {
        assert_eq!(
            sweep_signals(&awaiting(), &system(), at(now), at(now)),
            Ok(None),
            "{now}"
        );
    }
}

#[test]
fn past_the_warning_instant_one_warning_is_recorded_with_the_deadline_and_severity() {
    let now = at("2026-03-02T12:00:01Z");
    let t = sweep_signals(&awaiting(), &system(), now, now)
        .unwrap()
        .expect("a warning");
    assert_eq!(kinds(&t), [EventKind::SlaWarning]);
    let e = &t.events[0];
    assert_eq!(e.at, now);
    assert_eq!(e.actor_account_id, crate::SYSTEM_ACCOUNT);
    assert_eq!(e.wire()["severity"], "B");
    assert_eq!(e.wire()["first_response_warn_at"], "2026-03-02T12:00:00Z");
    assert_eq!(e.wire()["first_response_due_at"], "2026-03-02T13:00:00Z");
    assert_eq!(t.incident.sla_warned_at, Some(now));
    assert_eq!(t.incident.sla, SlaOutcome::Pending);
    assert_eq!(t.incident.status, IncidentStatus::AwaitingResponse);
    // The index now keys the incident at its deadline, and a second sweep finds nothing new.
    assert_eq!(
        t.incident.next_sla_signal_at(),
        Some(at("2026-03-02T13:00:00Z"))
    );
    assert_eq!(
        sweep_signals(
            &t.incident,
            &system(),
            at("2026-03-02T12:30:00Z"),
            at("2026-03-02T12:30:00Z")
        ),
        Ok(None)
    );
}

#[test]
fn signals_are_stamped_at_their_commit_never_before_the_sweeps_instant() {
    let as_of = at("2026-03-02T14:00:00Z");
    // A customer message landed after the sweep's instant: the write commits after it.
    let later = at("2026-03-02T14:00:07Z");
    let t = sweep_signals(&awaiting(), &system(), as_of, later)
        .unwrap()
        .expect("both");
    assert!(t.events.iter().all(|e| e.at == later), "{:?}", t.events);
    assert_eq!(t.incident.sla_warned_at, Some(later));
    // What is due is still decided at the sweep's instant: not yet past the warning there.
    assert_eq!(
        sweep_signals(
            &awaiting(),
            &system(),
            at("2026-03-02T11:00:00Z"),
            at("2026-03-02T14:00:00Z")
        ),
        Ok(None)
    );
    // A commit instant before the sweep's own is never used.
    let t = sweep_signals(&awaiting(), &system(), as_of, at("2026-03-02T09:00:00Z"))
        .unwrap()
        .expect("both");
    assert!(t.events.iter().all(|e| e.at == as_of), "{:?}", t.events);
}

#[test]
fn a_warned_incident_is_breached_past_its_deadline_without_a_second_warning() {
    let warned = sweep_signals(
        &awaiting(),
        &system(),
        at("2026-03-02T12:10:00Z"),
        at("2026-03-02T12:10:00Z"),
    )
    .unwrap()
    .expect("warning")
    .incident;
    let t = sweep_signals(
        &warned,
        &system(),
        at("2026-03-02T13:00:01Z"),
        at("2026-03-02T13:00:01Z"),
    )
    .unwrap()
    .expect("breach");
    assert_eq!(kinds(&t), [EventKind::SlaBreached]);
    assert_eq!(t.incident.sla, SlaOutcome::Breached);
    assert_eq!(t.incident.next_sla_signal_at(), None);
    assert_eq!(t.events[0].wire()["severity"], "B");
}

#[test]
fn a_sweep_late_for_both_records_the_warning_then_the_breach_in_one_transition() {
    let t = sweep_signals(
        &awaiting(),
        &system(),
        at("2026-03-02T14:00:00Z"),
        at("2026-03-02T14:00:00Z"),
    )
    .unwrap()
    .expect("both");
    assert_eq!(kinds(&t), [EventKind::SlaWarning, EventKind::SlaBreached]);
    assert_eq!(t.incident.sla, SlaOutcome::Breached);
}

#[test]
fn an_answered_or_closed_incident_is_never_warned() {
    let engineer = Actor {
        account_id: "eng-1".into(),
        email: None,
        name: None,
        engineer: true,
        admin: false,
    };
    let answered = apply(
        &awaiting(),
        &engineer,
        Action::Respond {
            message: "On it".into(),
            channel: Channel::Email,
        },
        at("2026-03-02T11:00:00Z"),
    )
    .unwrap()
    .incident;
    let closed = apply(
        &awaiting(),
        &Actor::customer("acct-owner"),
        Action::RequestClosure {
            reason: "fixed it myself".into(),
        },
        at("2026-03-02T11:00:00Z"),
    )
    .unwrap()
    .incident;
    for incident in [answered, closed] {
        assert_eq!(incident.next_sla_signal_at(), None);
        assert_eq!(
            sweep_signals(
                &incident,
                &system(),
                at("2026-03-02T12:30:00Z"),
                at("2026-03-02T12:30:00Z")
            ),
            Ok(None)
        );
    }
}

#[test]
fn only_the_system_records_signals() {
    let e = sweep_signals(
        &awaiting(),
        &Actor::customer("acct-owner"),
        at("2026-03-02T12:30:00Z"),
        at("2026-03-02T12:30:00Z"),
    );
    assert!(matches!(e, Err(ActionError::Forbidden(_))), "{e:?}");
}

#[test]
fn the_index_keys_an_unwarned_incident_at_its_warning_and_never_past_its_deadline() {
    assert_eq!(
        awaiting().next_sla_signal_at(),
        Some(at("2026-03-02T12:00:00Z"))
    );
    let odd = Incident {
        first_response_warn_at: at("2026-03-02T14:00:00Z"),
        ..awaiting()
    };
    assert_eq!(odd.next_sla_signal_at(), Some(at("2026-03-02T13:00:00Z")));
}

#[test]
fn an_outcome_is_settled_exactly_when_a_pending_sla_leaves_pending() {
    let pending = awaiting();
    for outcome in [SlaOutcome::Met, SlaOutcome::Breached, SlaOutcome::Withdrawn] {
        let after = Incident {
            sla: outcome,
            ..awaiting()
        };
        assert_eq!(settled_outcome(&pending, &after), Some(outcome));
        assert_eq!(settled_outcome(&after, &after), None);
    }
    assert_eq!(settled_outcome(&pending, &pending), None);
}
