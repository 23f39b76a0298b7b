use super::*;
use crate::incident::EventKind;
use crate::incident::{ensure_undecided, parse_assignment, MAX_NOTE};
use crate::time::parse_instant;
use crate::{Handling, Severity};
use chrono::Duration;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

const OWNER: &str = "acct-owner";
const ENGINEER: &str = "eng-1";
const ADMIN: &str = "admin-1";

fn at(s: &str) -> Instant {
    parse_instant(s).expect("a valid RFC 3339 instant")
}

/// Submitted Monday 2 March 2026, 09:00Z; severity A, so the first response is due two hours later.
fn created() -> Instant {
    at("2026-03-02T09:00:00Z")
}

/// 75 % of severity A's two hours.
fn warn() -> Instant {
    at("2026-03-02T10:30:00Z")
}

fn due() -> Instant {
    at("2026-03-02T11:00:00Z")
}

fn before_due() -> Instant {
    at("2026-03-02T10:15:00Z")
}

fn after_due() -> Instant {
    at("2026-03-02T12:30:00Z")
}

fn owner() -> Actor {
    Actor::customer(OWNER)
}

fn stranger() -> Actor {
    Actor::customer("acct-someone-else")
}

fn engineer() -> Actor {
    Actor {
        account_id: ENGINEER.into(),
        email: Some("eng@support.example".into()),
        name: None,
        engineer: true,
        admin: false,
    }
}

fn admin() -> Actor {
    Actor {
        account_id: ADMIN.into(),
        email: Some("admin@support.example".into()),
        name: None,
        engineer: false,
        admin: true,
    }
}

/// The breach sweep acts as the system actor.
fn sweeper() -> Actor {
    Actor::system()
}

fn actor_for(party: Party) -> Actor {
    match party {
        Party::Engineer => engineer(),
        Party::Owner => owner(),
        Party::Staff => admin(),
        Party::System => sweeper(),
    }
}

/// A fresh incident, as intake creates it: awaiting a first response, clock running.
fn awaiting() -> Incident {
    Incident {
        account_id: OWNER.into(),
        severity: Severity::A,
        handling: Handling::TwentyFourSeven,
        contact: Contact {
            phone: Some("+48 22 123 45 67".into()),
            ..crate::incident::sample_incident().contact
        },
        created_at: created(),
        first_response_warn_at: warn(),
        first_response_due_at: due(),
        ..crate::incident::sample_incident()
    }
}

fn awaiting_breached() -> Incident {
    Incident {
        sla: SlaOutcome::Breached,
        ..awaiting()
    }
}

fn in_progress() -> Incident {
    Incident {
        status: IncidentStatus::InProgress,
        first_responded_at: Some(at("2026-03-02T09:30:00Z")),
        sla: SlaOutcome::Met,
        ..awaiting()
    }
}

fn resolved() -> Incident {
    Incident {
        status: IncidentStatus::Resolved,
        charge: Charge::Consumed,
        charge_decided: true,
        closed_at: Some(at("2026-03-02T10:00:00Z")),
        contact_unreachable: false,
        ..in_progress()
    }
}

fn unresolved(charge: Charge) -> Incident {
    Incident {
        status: IncidentStatus::Unresolved,
        charge,
        charge_decided: true,
        ..resolved()
    }
}

fn closed_by_customer() -> Incident {
    Incident {
        status: IncidentStatus::ClosedByCustomer,
        sla: SlaOutcome::Withdrawn,
        first_responded_at: None,
        charge: Charge::Pending,
        charge_decided: false,
        closed_at: Some(at("2026-03-02T09:20:00Z")),
        contact_unreachable: false,
        ..awaiting()
    }
}

fn proposed_scope() -> Scope {
    Scope {
        problem_statement: "The service crashes at start since KB123".into(),
        resolution_criteria: "The service starts and stays up for a day".into(),
        status: ScopeStatus::Proposed,
        proposed_by: ENGINEER.into(),
        proposed_at: at("2026-03-02T09:40:00Z"),
        decided_at: None,
        comment: None,
    }
}

fn with_scope(incident: Incident, status: ScopeStatus) -> Incident {
    Incident {
        scope: Some(Scope {
            status,
            ..proposed_scope()
        }),
        ..incident
    }
}

fn respond() -> Action {
    Action::Respond {
        message: "Please send the event log.".into(),
        channel: Channel::Email,
    }
}

/// An assignment to a known engineer (`None`: release).
fn assign_to(account_id: &str) -> Action {
    Action::Assign {
        assignee: Assignee::Engineer(Owner {
            account_id: account_id.into(),
            display_name: format!("{account_id} name"),
        }),
        note: Some("Over to you".into()),
    }
}

fn release() -> Action {
    Action::Assign {
        assignee: Assignee::Nobody,
        note: None,
    }
}

fn message() -> Action {
    Action::CustomerMessage {
        message: "Log attached.".into(),
    }
}

fn propose_scope() -> Action {
    Action::ProposeScope {
        problem_statement: "The service crashes at start".into(),
        resolution_criteria: "The service starts".into(),
    }
}

fn decide_scope(accept: bool) -> Action {
    Action::DecideScope {
        accept,
        comment: Some(if accept { "agreed" } else { "not quite" }.into()),
    }
}

fn propose_sub_problem() -> Action {
    Action::ProposeSubProblem {
        proposal_id: "sub-1".into(),
        title: "Backups fail too".into(),
        description: "A separate failure of the backup job".into(),
    }
}

fn decide_sub_problem(accept: bool) -> Action {
    Action::DecideSubProblem {
        proposal_id: "sub-1".into(),
        title: "Backups fail too".into(),
        accepted_as: accept.then(|| ChildIncident {
            incident_id: "inc-2".into(),
            number: "K7M-4QX9".into(),
        }),
    }
}

fn resolve() -> Action {
    Action::Resolve {
        solutions: vec!["Roll back KB123".into(), "Apply the hotfix".into()],
    }
}

fn close_unresolved(charge: Charge) -> Action {
    Action::CloseUnresolved {
        explanation: "No fix exists yet".into(),
        charge,
    }
}

fn request_closure() -> Action {
    Action::RequestClosure {
        reason: "We found the cause ourselves".into(),
    }
}

fn decide_charge(charge: Charge) -> Action {
    Action::DecideCharge { charge }
}

/// Applies `action` as the party the action belongs to.
fn apply_as_party(
    incident: &Incident,
    action: Action,
    now: Instant,
) -> Result<Transition, ActionError> {
    let actor = actor_for(action.party());
    apply(incident, &actor, action, now)
}

fn kinds(events: &[Event]) -> Vec<EventKind> {
    events.iter().map(|e| e.kind()).collect()
}

/// A field of the event's wire form (`null` when absent).
fn detail(event: &Event, key: &str) -> Value {
    event.wire().get(key).cloned().unwrap_or(Value::Null)
}

fn is_invalid_state<T>(r: &Result<T, ActionError>) -> bool {
    matches!(r, Err(ActionError::InvalidState(_)))
}

// ---------------------------------------------------------------------------------------------
// The state × action table
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// `Ok`, with a change and at least one event.
    Applied,
    /// `Ok` with `no_op`: nothing changes.
    NoOp,
    /// `Err(InvalidState)`.
    Invalid,
}
use Outcome::{Applied as A, Invalid as X, NoOp as N};

/// The table's columns, one per action (`DecideCharge` twice: one for each decision).
fn table_actions() -> Vec<(&'static str, Action)> {
    vec![
        ("respond", respond()),
        ("customer_message", message()),
        ("propose_scope", propose_scope()),
        ("decide_scope", decide_scope(true)),
        ("propose_sub_problem", propose_sub_problem()),
        ("decide_sub_problem", decide_sub_problem(true)),
        ("resolve", resolve()),
        ("close_unresolved", close_unresolved(Charge::Consumed)),
        ("request_closure", request_closure()),
        ("decide_charge(consumed)", decide_charge(Charge::Consumed)),
        ("decide_charge(refunded)", decide_charge(Charge::Refunded)),
        ("breach", Action::Breach),
        (
            "emailed_message",
            Action::EmailedMessage {
                message: "by mail".into(),
            },
        ),
        (
            "contact_bounced",
            Action::ContactBounced {
                kind_of_failure: "bounce".into(),
            },
        ),
        ("assign", assign_to(ENGINEER)),
        (
            "add_note",
            Action::AddNote {
                note: "internal".into(),
            },
        ),
    ]
}

/// Exhaustive on purpose: a new `Action` variant does not compile until the table covers it.
fn column_of(action: &Action) -> usize {
    match action {
        Action::Respond { .. } => 0,
        Action::CustomerMessage { .. } => 1,
        Action::ProposeScope { .. } => 2,
        Action::DecideScope { .. } => 3,
        Action::ProposeSubProblem { .. } => 4,
        Action::DecideSubProblem { .. } => 5,
        Action::Resolve { .. } => 6,
        Action::CloseUnresolved { .. } => 7,
        Action::RequestClosure { .. } => 8,
        Action::DecideCharge {
            charge: Charge::Refunded,
        } => 10,
        Action::DecideCharge { .. } => 9,
        Action::Breach => 11,
        Action::EmailedMessage { .. } => 12,
        Action::ContactBounced { .. } => 13,
        Action::Assign { .. } => 14,
        Action::AddNote { .. } => 15,
    }
}

/// The rows: every state the table starts from (each with a scope proposal awaiting the
/// customer, so that deciding the scope depends on the state alone), and what each column's
/// action must do there. All actions are taken after the first-response deadline.
#[rustfmt::skip]
fn table() -> Vec<(&'static str, Incident, [Outcome; 16])> {
    let p = |i: Incident| with_scope(i, ScopeStatus::Proposed);
    vec![
        // rsp respond, msg customer message, psc/dsc propose/decide scope, psp/dsp propose/decide sub-problem,
        // res resolve, unr close unresolved, clo request closure, $co/$rf decide charge consumed/refunded, brc breach,
        // eml e-mailed message, bnc contact bounced, asg an admin assigns it to an engineer, not an internal note
        //                                                                       rsp msg psc dsc psp dsp res unr clo $co $rf brc eml bnc asg not
        ("awaiting_response, sla pending",     p(awaiting()),                   [A,  A,  A,  A,  A,  A,  A,  A,  A,  X,  X,  A,  A,  A,  A,  A]),
        ("awaiting_response, sla breached",    p(awaiting_breached()),          [A,  A,  A,  A,  A,  A,  A,  A,  A,  X,  X,  X,  A,  A,  A,  A]),
        ("in_progress",                        p(in_progress()),                [A,  A,  A,  A,  A,  A,  A,  A,  A,  X,  X,  X,  A,  A,  A,  A]),
        ("resolved",                           p(resolved()),                   [X,  X,  X,  X,  X,  X,  X,  X,  X,  N,  X,  X,  X,  X,  X,  A]),
        ("unresolved, consumed (decided)",     p(unresolved(Charge::Consumed)), [X,  X,  X,  X,  X,  X,  X,  X,  X,  N,  X,  X,  X,  X,  X,  A]),
        ("unresolved, refunded",               p(unresolved(Charge::Refunded)), [X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  N,  X,  X,  X,  X,  A]),
        ("closed_by_customer, charge pending", p(closed_by_customer()),         [X,  X,  X,  X,  X,  X,  X,  X,  X,  A,  A,  X,  X,  X,  X,  A]),
    ]
}

#[test]
fn the_table_has_one_column_per_action_in_order() {
    let columns: Vec<usize> = table_actions().iter().map(|(_, a)| column_of(a)).collect();
    assert_eq!(columns, (0..16).collect::<Vec<_>>());
}

#[test]
fn every_state_and_action_pair_gives_the_outcome_of_the_table() {
    let now = after_due();
    let mut failures = Vec::new();
    for (state, incident, expected_row) in table() {
        for (name, action) in table_actions() {
            let expected = expected_row[column_of(&action)];
            let result = apply_as_party(&incident, action, now);
            let got = match &result {
                Ok(t) if t.no_op => Ok(N),
                Ok(_) => Ok(A),
                Err(ActionError::InvalidState(_)) => Ok(X),
                Err(other) => Err(other.clone()),
            };
            if got != Ok(expected) {
                failures.push(format!(
                    "({state}, {name}): expected {expected:?}, got {got:?}"
                ));
                continue;
            }
            // What every outcome must look like, beyond its kind.
            match result {
                Ok(t) if t.no_op => {
                    if t.incident != incident || !t.events.is_empty() || t.refund {
                        failures.push(format!(
                            "({state}, {name}): a no-op changed something: {t:?}"
                        ));
                    }
                }
                Ok(t) => {
                    if t.events.is_empty() || t.events.iter().any(|e| e.at != now) {
                        failures.push(format!(
                            "({state}, {name}): events missing or not at now: {:?}",
                            t.events
                        ));
                    }
                    if t.incident.incident_id != incident.incident_id
                        || t.incident.account_id != incident.account_id
                    {
                        failures.push(format!(
                            "({state}, {name}): the identity of the incident changed"
                        ));
                    }
                    if incident.status.is_closed() && !t.incident.status.is_closed() {
                        failures.push(format!("({state}, {name}): a closed incident was reopened"));
                    }
                }
                Err(_) => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing (state, action) pairs:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// First response and the SLA clock
// ---------------------------------------------------------------------------------------------

#[test]
fn a_first_response_on_time_meets_the_sla_and_starts_the_work() {
    let t = apply(&awaiting(), &engineer(), respond(), before_due()).unwrap();
    assert_eq!(t.incident.sla, SlaOutcome::Met);
    assert_eq!(t.incident.status, IncidentStatus::InProgress);
    assert_eq!(t.incident.first_responded_at, Some(before_due()));
    assert_eq!(kinds(&t.events), [EventKind::Response, EventKind::Assigned]);
    assert_eq!(detail(&t.events[0], "channel"), "email");
    assert_eq!(
        detail(&t.events[0], "message"),
        "Please send the event log."
    );
    assert!(!t.refund && !t.no_op);
}

#[test]
fn a_first_response_exactly_at_the_deadline_is_on_time() {
    let t = apply(&awaiting(), &engineer(), respond(), due()).unwrap();
    assert_eq!(t.incident.sla, SlaOutcome::Met);
    assert_eq!(kinds(&t.events), [EventKind::Response, EventKind::Assigned]);
}

#[test]
fn a_first_response_after_the_deadline_before_the_sweep_breaches_with_exactly_one_breach_event() {
    let t = apply(&awaiting(), &engineer(), respond(), after_due()).unwrap();
    assert_eq!(t.incident.sla, SlaOutcome::Breached);
    assert_eq!(t.incident.status, IncidentStatus::InProgress);
    assert_eq!(t.incident.first_responded_at, Some(after_due()));
    assert_eq!(
        kinds(&t.events),
        [
            EventKind::Response,
            EventKind::SlaBreached,
            EventKind::Assigned
        ]
    );
    let breach = &t.events[1];
    assert_eq!(breach.actor_account_id, "system");
    assert_eq!(
        detail(breach, "first_response_due_at"),
        "2026-03-02T11:00:00Z"
    );
}

#[test]
fn a_first_response_after_the_sweep_breached_keeps_breached_and_adds_no_second_breach_event() {
    let swept = apply(
        &awaiting(),
        &sweeper(),
        Action::Breach,
        at("2026-03-02T11:01:00Z"),
    )
    .unwrap();
    assert_eq!(kinds(&swept.events), [EventKind::SlaBreached]);
    let t = apply(&swept.incident, &engineer(), respond(), after_due()).unwrap();
    assert_eq!(t.incident.sla, SlaOutcome::Breached);
    assert_eq!(t.incident.status, IncidentStatus::InProgress);
    assert_eq!(t.incident.first_responded_at, Some(after_due()));
    assert_eq!(kinds(&t.events), [EventKind::Response, EventKind::Assigned]);
}

#[test]
fn later_responses_do_not_move_the_first_response_or_the_sla() {
    let first = apply(&awaiting(), &engineer(), respond(), before_due())
        .unwrap()
        .incident;
    let t = apply(&first, &engineer(), respond(), after_due()).unwrap();
    assert_eq!(t.incident.first_responded_at, Some(before_due()));
    assert_eq!(t.incident.sla, SlaOutcome::Met);
    assert_eq!(kinds(&t.events), [EventKind::Response]);
}

#[test]
fn a_resolution_counts_as_the_first_response() {
    let on_time = apply(&awaiting(), &engineer(), resolve(), before_due()).unwrap();
    assert_eq!(on_time.incident.first_responded_at, Some(before_due()));
    assert_eq!(on_time.incident.sla, SlaOutcome::Met);
    assert_eq!(on_time.incident.status, IncidentStatus::Resolved);
    assert_eq!(kinds(&on_time.events), [EventKind::Resolved]);

    let late = apply(&awaiting(), &engineer(), resolve(), after_due()).unwrap();
    assert_eq!(late.incident.first_responded_at, Some(after_due()));
    assert_eq!(late.incident.sla, SlaOutcome::Breached);
    assert_eq!(
        kinds(&late.events),
        [EventKind::Resolved, EventKind::SlaBreached]
    );
}

#[test]
fn an_unresolved_closure_also_counts_as_the_first_response() {
    let t = apply(
        &awaiting(),
        &engineer(),
        close_unresolved(Charge::Consumed),
        before_due(),
    )
    .unwrap();
    assert_eq!(t.incident.first_responded_at, Some(before_due()));
    assert_eq!(t.incident.sla, SlaOutcome::Met);
}

#[test]
fn the_sweep_breaches_a_due_incident_once_with_a_system_event() {
    let now = at("2026-03-02T11:01:00Z");
    let t = apply(&awaiting(), &sweeper(), Action::Breach, now).unwrap();
    assert_eq!(t.incident.sla, SlaOutcome::Breached);
    assert_eq!(
        t.incident.status,
        IncidentStatus::AwaitingResponse,
        "still in the queue"
    );
    assert_eq!(t.incident.first_responded_at, None);
    assert_eq!(kinds(&t.events), [EventKind::SlaBreached]);
    assert_eq!(t.events[0].at, now);
    assert_eq!(t.events[0].actor_account_id, "system");
    assert_eq!(
        detail(&t.events[0], "first_response_due_at"),
        "2026-03-02T11:00:00Z"
    );
    // A second, overlapping sweep finds nothing to do.
    let again = apply(&t.incident, &sweeper(), Action::Breach, now);
    assert!(is_invalid_state(&again), "{again:?}");
}

#[test]
fn a_breach_before_the_deadline_is_refused() {
    let r = apply(&awaiting(), &sweeper(), Action::Breach, before_due());
    assert!(is_invalid_state(&r), "{r:?}");
}

#[test]
fn a_breach_exactly_at_the_deadline_is_refused_because_a_response_then_is_still_on_time() {
    assert_eq!(
        apply(&awaiting(), &engineer(), respond(), due())
            .unwrap()
            .incident
            .sla,
        SlaOutcome::Met
    );
    let r = apply(&awaiting(), &sweeper(), Action::Breach, due());
    assert!(is_invalid_state(&r), "{r:?}");
}

#[test]
fn a_breach_of_an_answered_incident_is_refused_even_after_the_deadline() {
    let answered = apply(&awaiting(), &engineer(), respond(), before_due())
        .unwrap()
        .incident;
    let r = apply(&answered, &sweeper(), Action::Breach, after_due());
    assert!(is_invalid_state(&r), "{r:?}");
}

// ---------------------------------------------------------------------------------------------
// Closing
// ---------------------------------------------------------------------------------------------

#[test]
fn a_resolution_consumes_the_charge_and_closes_the_incident() {
    let t = apply(&in_progress(), &engineer(), resolve(), after_due()).unwrap();
    assert_eq!(t.incident.status, IncidentStatus::Resolved);
    assert_eq!(t.incident.charge, Charge::Consumed);
    assert!(t.incident.charge_decided);
    assert_eq!(t.incident.closed_at, Some(after_due()));
    assert!(!t.refund);
    assert_eq!(kinds(&t.events), [EventKind::Resolved]);
    assert_eq!(
        detail(&t.events[0], "solutions"),
        serde_json::json!(["Roll back KB123", "Apply the hotfix"])
    );
}

#[test]
fn a_resolution_without_any_solution_is_refused() {
    let r = apply(
        &in_progress(),
        &engineer(),
        Action::Resolve { solutions: vec![] },
        after_due(),
    );
    assert!(is_invalid_state(&r), "{r:?}");
}

#[test]
fn an_unresolved_closure_with_a_refund_sets_the_refund_flag() {
    let t = apply(
        &in_progress(),
        &engineer(),
        close_unresolved(Charge::Refunded),
        after_due(),
    )
    .unwrap();
    assert_eq!(t.incident.status, IncidentStatus::Unresolved);
    assert_eq!(t.incident.charge, Charge::Refunded);
    assert!(t.incident.charge_decided);
    assert_eq!(t.incident.closed_at, Some(after_due()));
    assert!(t.refund);
    assert_eq!(
        kinds(&t.events),
        [EventKind::ClosedUnresolved, EventKind::ChargeDecided]
    );
    assert_eq!(detail(&t.events[0], "explanation"), "No fix exists yet");
    assert_eq!(detail(&t.events[1], "charge"), "refunded");
}

#[test]
fn an_unresolved_closure_with_the_charge_consumed_refunds_nothing() {
    let t = apply(
        &in_progress(),
        &engineer(),
        close_unresolved(Charge::Consumed),
        after_due(),
    )
    .unwrap();
    assert_eq!(t.incident.status, IncidentStatus::Unresolved);
    assert_eq!(t.incident.charge, Charge::Consumed);
    assert!(t.incident.charge_decided);
    assert!(!t.refund);
    assert_eq!(detail(&t.events[1], "charge"), "consumed");
}

#[test]
fn an_unresolved_closure_must_decide_the_charge() {
    let r = apply(
        &in_progress(),
        &engineer(),
        close_unresolved(Charge::Pending),
        after_due(),
    );
    assert!(is_invalid_state(&r), "{r:?}");
}

#[test]
fn a_customer_closure_before_any_response_withdraws_the_sla_and_leaves_the_charge_pending() {
    let t = apply(&awaiting(), &owner(), request_closure(), before_due()).unwrap();
    assert_eq!(t.incident.status, IncidentStatus::ClosedByCustomer);
    assert_eq!(t.incident.sla, SlaOutcome::Withdrawn);
    assert_eq!(t.incident.charge, Charge::Pending);
    assert!(!t.incident.charge_decided);
    assert_eq!(t.incident.closed_at, Some(before_due()));
    assert_eq!(t.incident.first_responded_at, None);
    assert!(!t.refund);
    assert_eq!(kinds(&t.events), [EventKind::ClosureRequested]);
    assert_eq!(
        detail(&t.events[0], "reason"),
        "We found the cause ourselves"
    );
}

#[test]
fn a_customer_closure_after_a_breach_keeps_the_breach() {
    let t = apply(
        &awaiting_breached(),
        &owner(),
        request_closure(),
        after_due(),
    )
    .unwrap();
    assert_eq!(t.incident.sla, SlaOutcome::Breached);
    assert_eq!(t.incident.status, IncidentStatus::ClosedByCustomer);
    assert_eq!(t.incident.charge, Charge::Pending);
    assert_eq!(kinds(&t.events), [EventKind::ClosureRequested]);
}

#[test]
fn a_customer_closure_after_a_response_keeps_the_met_sla() {
    let t = apply(&in_progress(), &owner(), request_closure(), after_due()).unwrap();
    assert_eq!(t.incident.sla, SlaOutcome::Met);
    assert_eq!(t.incident.charge, Charge::Pending);
}

#[test]
fn a_customer_closure_after_the_unanswered_deadline_is_a_breach_even_before_the_sweep() {
    // A late first response breaches by itself (not waiting for the sweep); a late closure should
    // too, or the final outcome depends on when the sweep happened to run.
    let t = apply(&awaiting(), &owner(), request_closure(), after_due()).unwrap();
    assert_eq!(t.incident.sla, SlaOutcome::Breached);
    assert_eq!(
        kinds(&t.events),
        [EventKind::ClosureRequested, EventKind::SlaBreached]
    );
}

// ---------------------------------------------------------------------------------------------
// Charge decisions
// ---------------------------------------------------------------------------------------------

#[test]
fn a_charge_decision_on_a_pending_charge_applies_it() {
    let now = after_due();
    let consumed = apply(
        &closed_by_customer(),
        &engineer(),
        decide_charge(Charge::Consumed),
        now,
    )
    .unwrap();
    assert_eq!(consumed.incident.charge, Charge::Consumed);
    assert!(consumed.incident.charge_decided);
    assert!(!consumed.refund && !consumed.no_op);
    assert_eq!(kinds(&consumed.events), [EventKind::ChargeDecided]);
    assert_eq!(detail(&consumed.events[0], "charge"), "consumed");

    let refunded = apply(
        &closed_by_customer(),
        &engineer(),
        decide_charge(Charge::Refunded),
        now,
    )
    .unwrap();
    assert_eq!(refunded.incident.charge, Charge::Refunded);
    assert!(refunded.incident.charge_decided);
    assert!(refunded.refund && !refunded.no_op);
    assert_eq!(detail(&refunded.events[0], "charge"), "refunded");
    // The status and the closing instant stay as the customer left them.
    assert_eq!(refunded.incident.status, IncidentStatus::ClosedByCustomer);
    assert_eq!(refunded.incident.closed_at, closed_by_customer().closed_at);
}

#[test]
fn the_same_charge_decision_again_is_a_no_op_that_refunds_nothing() {
    let decided = apply(
        &closed_by_customer(),
        &engineer(),
        decide_charge(Charge::Refunded),
        after_due(),
    )
    .unwrap()
    .incident;
    let again = apply(
        &decided,
        &admin(),
        decide_charge(Charge::Refunded),
        after_due(),
    )
    .unwrap();
    assert!(again.no_op);
    assert!(
        !again.refund,
        "a retried refund must not return a second unit"
    );
    assert!(again.events.is_empty());
    assert_eq!(again.incident, decided);
}

#[test]
fn a_different_charge_decision_after_deciding_is_invalid_state() {
    let decided = apply(
        &closed_by_customer(),
        &engineer(),
        decide_charge(Charge::Consumed),
        after_due(),
    )
    .unwrap()
    .incident;
    let r = apply(
        &decided,
        &engineer(),
        decide_charge(Charge::Refunded),
        after_due(),
    );
    assert!(is_invalid_state(&r), "{r:?}");
    let r = apply(
        &unresolved(Charge::Refunded),
        &engineer(),
        decide_charge(Charge::Consumed),
        after_due(),
    );
    assert!(is_invalid_state(&r), "{r:?}");
}

#[test]
fn a_charge_decision_of_pending_is_refused() {
    let r = apply(
        &closed_by_customer(),
        &engineer(),
        decide_charge(Charge::Pending),
        after_due(),
    );
    assert!(is_invalid_state(&r), "{r:?}");
}

#[test]
fn a_charge_decision_on_an_open_incident_is_invalid_state() {
    for incident in [awaiting(), awaiting_breached(), in_progress()] {
        let r = apply(
            &incident,
            &admin(),
            decide_charge(Charge::Refunded),
            after_due(),
        );
        assert!(is_invalid_state(&r), "{:?}: {r:?}", incident.status);
    }
}

// ---------------------------------------------------------------------------------------------
// Scope (S7)
// ---------------------------------------------------------------------------------------------

#[test]
fn a_proposed_scope_accepted_by_the_customer_becomes_the_agreed_scope() {
    let proposed = apply(
        &in_progress(),
        &engineer(),
        propose_scope(),
        at("2026-03-02T10:00:00Z"),
    )
    .unwrap();
    let scope = proposed.incident.scope.clone().expect("a scope");
    assert_eq!(scope.status, ScopeStatus::Proposed);
    assert_eq!(scope.problem_statement, "The service crashes at start");
    assert_eq!(scope.resolution_criteria, "The service starts");
    assert_eq!(scope.proposed_by, ENGINEER);
    assert_eq!(scope.proposed_at, at("2026-03-02T10:00:00Z"));
    assert_eq!(kinds(&proposed.events), [EventKind::ScopeProposed]);
    assert_eq!(
        detail(&proposed.events[0], "problem_statement"),
        "The service crashes at start"
    );

    let accepted = apply(
        &proposed.incident,
        &owner(),
        decide_scope(true),
        at("2026-03-02T10:05:00Z"),
    )
    .unwrap();
    let scope = accepted.incident.scope.expect("a scope");
    assert_eq!(scope.status, ScopeStatus::Accepted);
    assert_eq!(scope.decided_at, Some(at("2026-03-02T10:05:00Z")));
    assert_eq!(scope.comment.as_deref(), Some("agreed"));
    assert_eq!(kinds(&accepted.events), [EventKind::ScopeAccepted]);
    assert_eq!(detail(&accepted.events[0], "comment"), "agreed");
}

#[test]
fn a_rejected_scope_is_replaced_by_the_next_proposal() {
    let rejected = apply(
        &with_scope(in_progress(), ScopeStatus::Proposed),
        &owner(),
        decide_scope(false),
        after_due(),
    )
    .unwrap();
    assert_eq!(
        rejected.incident.scope.as_ref().map(|s| s.status),
        Some(ScopeStatus::Rejected)
    );
    assert_eq!(kinds(&rejected.events), [EventKind::ScopeRejected]);

    let later = after_due() + Duration::minutes(10);
    let reproposed = apply(&rejected.incident, &engineer(), propose_scope(), later).unwrap();
    let scope = reproposed.incident.scope.expect("a scope");
    assert_eq!(scope.status, ScopeStatus::Proposed);
    assert_eq!(scope.problem_statement, "The service crashes at start");
    assert_eq!(scope.proposed_at, later);
    assert_eq!(scope.decided_at, None);
    assert_eq!(scope.comment, None);
}

#[test]
fn an_accepted_scope_cannot_be_proposed_again() {
    let r = apply(
        &with_scope(in_progress(), ScopeStatus::Accepted),
        &engineer(),
        propose_scope(),
        after_due(),
    );
    assert!(is_invalid_state(&r), "{r:?}");
}

#[test]
fn a_scope_decision_without_a_pending_proposal_is_invalid_state() {
    for incident in [
        in_progress(),
        with_scope(in_progress(), ScopeStatus::Accepted),
        with_scope(in_progress(), ScopeStatus::Rejected),
    ] {
        let r = apply(&incident, &owner(), decide_scope(true), after_due());
        assert!(
            is_invalid_state(&r),
            "{:?}: {r:?}",
            incident.scope.map(|s| s.status)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Sub-problems (S1)
// ---------------------------------------------------------------------------------------------

#[test]
fn a_sub_problem_proposal_is_recorded_in_the_timeline_without_changing_the_incident() {
    let t = apply(
        &in_progress(),
        &engineer(),
        propose_sub_problem(),
        after_due(),
    )
    .unwrap();
    assert_eq!(t.incident, in_progress());
    assert_eq!(kinds(&t.events), [EventKind::SubProblemProposed]);
    let e = &t.events[0];
    assert_eq!(detail(e, "proposal_id"), "sub-1");
    assert_eq!(detail(e, "title"), "Backups fail too");
    assert_eq!(
        detail(e, "description"),
        "A separate failure of the backup job"
    );
}

#[test]
fn an_accepted_sub_problem_names_the_new_incident_and_a_declined_one_does_not() {
    let accepted = apply(
        &in_progress(),
        &owner(),
        decide_sub_problem(true),
        after_due(),
    )
    .unwrap();
    assert_eq!(accepted.incident, in_progress());
    assert_eq!(kinds(&accepted.events), [EventKind::SubProblemAccepted]);
    assert_eq!(detail(&accepted.events[0], "proposal_id"), "sub-1");
    assert_eq!(detail(&accepted.events[0], "child_incident_id"), "inc-2");
    assert!(!accepted.refund);

    let declined = apply(
        &in_progress(),
        &owner(),
        decide_sub_problem(false),
        after_due(),
    )
    .unwrap();
    assert_eq!(kinds(&declined.events), [EventKind::SubProblemDeclined]);
    assert_eq!(detail(&declined.events[0], "proposal_id"), "sub-1");
    assert!(!declined.events[0].wire().contains_key("child_incident_id"));
}

// ---------------------------------------------------------------------------------------------
// Authorization
// ---------------------------------------------------------------------------------------------

#[test]
fn another_customer_gets_not_found_for_every_action() {
    for incident in [awaiting(), in_progress(), closed_by_customer()] {
        for (name, action) in table_actions() {
            let r = apply(&incident, &stranger(), action, after_due());
            assert_eq!(
                r.err(),
                Some(ActionError::NotFound),
                "{name} on {:?}",
                incident.status
            );
        }
    }
}

#[test]
fn a_customer_on_an_engineer_action_is_forbidden() {
    let engineer_actions = [
        respond(),
        propose_scope(),
        propose_sub_problem(),
        resolve(),
        close_unresolved(Charge::Refunded),
    ];
    for action in engineer_actions {
        assert_eq!(action.party(), Party::Engineer);
        let r = apply(&in_progress(), &owner(), action.clone(), after_due());
        assert!(
            matches!(r, Err(ActionError::Forbidden(_))),
            "{action:?}: {r:?}"
        );
    }
}

#[test]
fn a_customer_cannot_decide_the_charge_of_its_own_incident() {
    let r = apply(
        &closed_by_customer(),
        &owner(),
        decide_charge(Charge::Refunded),
        after_due(),
    );
    assert!(matches!(r, Err(ActionError::Forbidden(_))), "{r:?}");
}

#[test]
fn staff_on_owner_actions_are_forbidden() {
    let owner_actions = [
        message(),
        decide_scope(true),
        decide_sub_problem(true),
        request_closure(),
    ];
    let incident = with_scope(in_progress(), ScopeStatus::Proposed);
    for staff in [engineer(), admin()] {
        for action in owner_actions.clone() {
            assert_eq!(action.party(), Party::Owner);
            let r = apply(&incident, &staff, action.clone(), after_due());
            assert!(
                matches!(r, Err(ActionError::Forbidden(_))),
                "{} {action:?}: {r:?}",
                staff.account_id
            );
        }
    }
}

#[test]
fn an_admin_who_is_not_an_engineer_cannot_work_the_incident() {
    let r = apply(&awaiting(), &admin(), respond(), before_due());
    assert!(matches!(r, Err(ActionError::Forbidden(_))), "{r:?}");
}

#[test]
fn an_admin_may_decide_a_charge() {
    let t = apply(
        &closed_by_customer(),
        &admin(),
        decide_charge(Charge::Refunded),
        after_due(),
    )
    .unwrap();
    assert_eq!(t.incident.charge, Charge::Refunded);
    assert!(t.refund);
    assert_eq!(t.events[0].actor_account_id, ADMIN);
}

#[test]
fn an_engineer_may_decide_a_charge() {
    let t = apply(
        &closed_by_customer(),
        &engineer(),
        decide_charge(Charge::Consumed),
        after_due(),
    )
    .unwrap();
    assert_eq!(t.incident.charge, Charge::Consumed);
    assert_eq!(t.events[0].actor_account_id, ENGINEER);
}

#[test]
fn authorization_is_checked_before_the_state() {
    // A stranger learns nothing about a closed incident; a customer is told it may not, not that
    // the incident is closed.
    let r = apply(&resolved(), &stranger(), respond(), after_due());
    assert_eq!(r.err(), Some(ActionError::NotFound));
    let r = apply(&resolved(), &owner(), respond(), after_due());
    assert!(matches!(r, Err(ActionError::Forbidden(_))), "{r:?}");
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

#[test]
fn events_carry_the_actor_and_the_time() {
    let now = at("2026-03-02T10:42:17Z");
    let cases: Vec<(Incident, Actor, Action)> = vec![
        (awaiting(), engineer(), respond()),
        (in_progress(), owner(), message()),
        (in_progress(), engineer(), propose_scope()),
        (
            with_scope(in_progress(), ScopeStatus::Proposed),
            owner(),
            decide_scope(false),
        ),
        (in_progress(), engineer(), propose_sub_problem()),
        (in_progress(), owner(), decide_sub_problem(false)),
        (in_progress(), engineer(), resolve()),
        (
            in_progress(),
            engineer(),
            close_unresolved(Charge::Refunded),
        ),
        (in_progress(), owner(), request_closure()),
        (
            closed_by_customer(),
            admin(),
            decide_charge(Charge::Consumed),
        ),
    ];
    for (incident, actor, action) in cases {
        let t = apply(&incident, &actor, action.clone(), now).unwrap();
        assert!(!t.events.is_empty(), "{action:?}");
        for e in &t.events {
            assert_eq!(e.at, now, "{action:?}");
            assert_eq!(e.actor_account_id, actor.account_id, "{action:?}");
        }
    }
}

#[test]
fn apply_leaves_the_current_incident_untouched() {
    let current = awaiting();
    let _ = apply(&current, &engineer(), resolve(), after_due()).unwrap();
    assert_eq!(current, awaiting());
}

#[test]
fn a_customer_calling_itself_system_cannot_breach_another_accounts_incident() {
    let mut impostor = Actor::customer("system");
    impostor.email = Some("system@example.com".into());
    let mut incident = awaiting();
    incident.account_id = "someone-else".into();
    let r = apply(&incident, &impostor, Action::Breach, after_due());
    assert_eq!(r, Err(ActionError::NotFound));
}

#[test]
fn messages_name_their_channel_and_a_contact_bounces_once() {
    let t = apply_as_party(&awaiting(), message(), after_due()).unwrap();
    assert_eq!(detail(&t.events[0], "channel"), "console");
    let t = apply_as_party(
        &awaiting(),
        Action::EmailedMessage {
            message: "by mail".into(),
        },
        after_due(),
    )
    .unwrap();
    assert_eq!(kinds(&t.events), vec![EventKind::CustomerMessage]);
    assert_eq!(detail(&t.events[0], "channel"), "email");
    let bounced = Action::ContactBounced {
        kind_of_failure: "complaint".into(),
    };
    let t = apply_as_party(&awaiting(), bounced.clone(), after_due()).unwrap();
    assert!(t.incident.contact_unreachable);
    assert_eq!(kinds(&t.events), vec![EventKind::ContactBounced]);
    assert_eq!(detail(&t.events[0], "kind_of_failure"), "complaint");
    let again = apply_as_party(&t.incident, bounced, after_due()).unwrap();
    assert!(again.no_op && again.events.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Ownership: take, hand off, release (API.md "Ownership")
// ---------------------------------------------------------------------------------------------

fn engineer_named(id: &str) -> Actor {
    Actor {
        account_id: id.into(),
        email: Some(format!("{id}@support.example")),
        name: None,
        engineer: true,
        admin: false,
    }
}

fn owned_by(id: &str) -> Incident {
    Incident {
        owner: Some(Owner {
            account_id: id.into(),
            display_name: format!("{id} name"),
        }),
        ..in_progress()
    }
}

fn assigned_details(t: &Transition) -> (Value, Value, Value) {
    let e = t
        .events
        .iter()
        .find(|e| e.kind() == EventKind::Assigned)
        .expect("an assigned event");
    (
        e.wire()["owner_account_id"].clone(),
        e.wire()["previous_owner_account_id"].clone(),
        e.wire()["note"].clone(),
    )
}

#[test]
fn an_engineer_takes_an_unowned_incident_with_one_assigned_event() {
    let t = apply(
        &in_progress(),
        &engineer(),
        assign_to(ENGINEER),
        before_due(),
    )
    .unwrap();
    assert_eq!(t.incident.owner_id(), Some(ENGINEER));
    assert_eq!(kinds(&t.events), [EventKind::Assigned]);
    assert_eq!(t.events[0].actor_account_id, ENGINEER);
    assert_eq!(
        assigned_details(&t),
        (
            Value::from(ENGINEER),
            Value::Null,
            Value::from("Over to you")
        )
    );
    assert!(!t.no_op);
}

#[test]
fn taking_an_incident_one_already_owns_changes_nothing() {
    let t = apply(
        &owned_by(ENGINEER),
        &engineer(),
        assign_to(ENGINEER),
        before_due(),
    )
    .unwrap();
    assert!(t.no_op && t.events.is_empty());
    assert_eq!(t.incident, owned_by(ENGINEER));
}

#[test]
fn taking_an_incident_another_engineer_owns_is_a_conflict() {
    let r = apply(
        &owned_by("eng-2"),
        &engineer(),
        assign_to(ENGINEER),
        before_due(),
    );
    assert!(matches!(r, Err(ActionError::InvalidState(_))), "{r:?}");
}

#[test]
fn an_owner_hands_off_or_releases_its_own_incident() {
    let handed = apply(
        &owned_by(ENGINEER),
        &engineer(),
        assign_to("eng-2"),
        before_due(),
    )
    .unwrap();
    assert_eq!(handed.incident.owner_id(), Some("eng-2"));
    assert_eq!(
        assigned_details(&handed),
        (
            Value::from("eng-2"),
            Value::from(ENGINEER),
            Value::from("Over to you")
        )
    );
    let released = apply(&owned_by(ENGINEER), &engineer(), release(), before_due()).unwrap();
    assert_eq!(released.incident.owner, None);
    assert_eq!(
        assigned_details(&released),
        (Value::Null, Value::from(ENGINEER), Value::Null)
    );
}

#[test]
fn handing_off_or_releasing_someone_elses_incident_is_forbidden_to_an_engineer() {
    for action in [assign_to("eng-3"), release()] {
        let r = apply(&owned_by("eng-2"), &engineer(), action, before_due());
        assert!(matches!(r, Err(ActionError::Forbidden(_))), "{r:?}");
    }
    // Giving an unowned incident to someone else is an admin's call too.
    let r = apply(
        &in_progress(),
        &engineer(),
        assign_to("eng-2"),
        before_due(),
    );
    assert!(matches!(r, Err(ActionError::Forbidden(_))), "{r:?}");
}

#[test]
fn an_admin_assigns_anyone_on_any_open_incident() {
    for (from, action, owner) in [
        (in_progress(), assign_to("eng-2"), Some("eng-2")),
        (owned_by("eng-2"), assign_to("eng-3"), Some("eng-3")),
        (owned_by("eng-2"), release(), None),
    ] {
        let t = apply(&from, &admin(), action, before_due()).unwrap();
        assert_eq!(t.incident.owner_id(), owner);
        assert_eq!(kinds(&t.events), [EventKind::Assigned]);
        assert_eq!(t.events[0].actor_account_id, ADMIN);
    }
}

#[test]
fn an_unknown_assignee_is_refused_after_the_callers_right_is_checked() {
    let unknown = || Action::Assign {
        assignee: Assignee::Unknown("acct-customer".into()),
        note: None,
    };
    let r = apply(&in_progress(), &admin(), unknown(), before_due());
    assert_eq!(r, Err(ActionError::NotAnEngineer));
    let r = apply(&owned_by(ENGINEER), &engineer(), unknown(), before_due());
    assert_eq!(r, Err(ActionError::NotAnEngineer));
    // Someone else's incident: the right comes first.
    let r = apply(&owned_by("eng-2"), &engineer(), unknown(), before_due());
    assert!(matches!(r, Err(ActionError::Forbidden(_))), "{r:?}");
}

#[test]
fn a_closed_incident_takes_no_assignment_and_a_customer_none() {
    let r = apply(&resolved(), &admin(), assign_to(ENGINEER), before_due());
    assert!(matches!(r, Err(ActionError::InvalidState(_))), "{r:?}");
    let r = apply(
        &closed_by_customer(),
        &engineer(),
        assign_to(ENGINEER),
        before_due(),
    );
    assert!(matches!(r, Err(ActionError::InvalidState(_))), "{r:?}");
    let r = apply(&in_progress(), &owner(), assign_to(ENGINEER), before_due());
    assert!(r.is_err(), "{r:?}");
    assert!(!matches!(r, Err(ActionError::InvalidState(_))), "{r:?}");
}

#[test]
fn the_first_response_to_an_unowned_incident_makes_its_author_the_owner() {
    let t = apply(&awaiting(), &engineer(), respond(), before_due()).unwrap();
    assert_eq!(kinds(&t.events), [EventKind::Response, EventKind::Assigned]);
    assert_eq!(t.incident.owner_id(), Some(ENGINEER));
    assert_eq!(
        t.incident.owner.as_ref().map(|o| o.display_name.as_str()),
        Some("eng"),
        "the part of the e-mail before @"
    );
    assert_eq!(
        assigned_details(&t),
        (Value::from(ENGINEER), Value::Null, Value::Null)
    );
    // An owned incident keeps its owner whoever responds.
    let t = apply(&owned_by("eng-2"), &engineer(), respond(), before_due()).unwrap();
    assert_eq!(kinds(&t.events), [EventKind::Response]);
    assert_eq!(t.incident.owner_id(), Some("eng-2"));
}

#[test]
fn an_incident_is_open_for_its_owner_until_closed_and_its_charge_decided() {
    let mut i = owned_by(ENGINEER);
    assert_eq!(i.open_owner(), Some(ENGINEER));
    i = apply(&i, &engineer_named(ENGINEER), resolve(), before_due())
        .unwrap()
        .incident;
    assert_eq!(i.open_owner(), None, "resolved: closed, charge decided");
    let pending = Incident {
        owner: owned_by(ENGINEER).owner,
        ..closed_by_customer()
    };
    assert_eq!(pending.open_owner(), Some(ENGINEER), "charge pending");
    let decided = apply(
        &pending,
        &admin(),
        decide_charge(Charge::Consumed),
        after_due(),
    )
    .unwrap()
    .incident;
    assert_eq!(decided.open_owner(), None);
    assert_eq!(in_progress().open_owner(), None, "unowned");
}

#[test]
fn an_assignment_body_names_the_owner_or_null_and_a_short_note() {
    let ok =
        parse_assignment(&serde_json::json!({"owner_account_id": "eng-2", "note": "Handing over"}))
            .unwrap();
    assert_eq!(ok.owner_account_id.as_deref(), Some("eng-2"));
    assert_eq!(ok.note.as_deref(), Some("Handing over"));
    let release = parse_assignment(&serde_json::json!({"owner_account_id": null})).unwrap();
    assert_eq!(release.owner_account_id, None);
    let field = |body: Value| -> Vec<String> {
        parse_assignment(&body)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    };
    assert_eq!(field(serde_json::json!({})), ["owner_account_id"]);
    assert_eq!(
        field(serde_json::json!({"owner_account_id": 7})),
        ["owner_account_id"]
    );
    assert_eq!(
        field(serde_json::json!({"owner_account_id": "e", "note": "x".repeat(MAX_NOTE + 1)})),
        ["note"]
    );
}

// ---------------------------------------------------------------------------------------------
// Issue 31: internal notes, withdrawn proposals, names on events
// ---------------------------------------------------------------------------------------------

fn open_proposal(id: &str) -> SubProblemProposal {
    SubProblemProposal {
        proposal_id: id.into(),
        incident_id: "inc-1".into(),
        title: format!("Sub-problem {id}"),
        description: "Separately".into(),
        status: ProposalStatus::Proposed,
        proposed_by: ENGINEER.into(),
        proposed_at: created(),
        child_incident_id: None,
    }
}

#[test]
fn a_note_is_an_engineers_internal_event_on_open_and_closed_incidents_alike() {
    let note = || Action::AddNote {
        note: "Call the DBA".into(),
    };
    for incident in [in_progress(), resolved(), closed_by_customer()] {
        let t = apply(&incident, &engineer(), note(), after_due()).expect("allowed");
        assert_eq!(kinds(&t.events), [EventKind::InternalNote]);
        assert!(t.events[0].kind().is_internal());
        assert_eq!(detail(&t.events[0], "note"), "Call the DBA");
        // Nothing about the incident changes.
        assert_eq!(t.incident, incident);
        assert!(!t.refund && !t.no_op && t.withdrawn.is_empty());
    }
    // Not the customer's, and not another customer's (which does not learn it exists).
    assert_eq!(
        apply(&in_progress(), &owner(), note(), after_due()),
        Err(ActionError::Forbidden("support engineers"))
    );
    assert_eq!(
        apply(&in_progress(), &stranger(), note(), after_due()),
        Err(ActionError::NotFound)
    );
}

#[test]
fn every_closure_withdraws_the_scope_proposal_awaiting_the_customer() {
    for (name, action) in [
        ("resolve", resolve()),
        ("close_unresolved", close_unresolved(Charge::Refunded)),
        ("request_closure", request_closure()),
    ] {
        let actor = if name == "request_closure" {
            owner()
        } else {
            engineer()
        };
        let incident = with_scope(in_progress(), ScopeStatus::Proposed);
        let t = apply(&incident, &actor, action.clone(), after_due()).expect(name);
        let scope = t.incident.scope.as_ref().expect("scope");
        assert_eq!(scope.status, ScopeStatus::Withdrawn, "{name}");
        assert_eq!(scope.decided_at, Some(after_due()), "{name}");
        let withdrawn: Vec<&Event> = t
            .events
            .iter()
            .filter(|e| e.kind() == EventKind::ScopeWithdrawn)
            .collect();
        assert_eq!(withdrawn.len(), 1, "{name}");
        assert_eq!(withdrawn[0].actor_account_id, actor.account_id, "{name}");
        // A decided scope stays as it was.
        for status in [ScopeStatus::Accepted, ScopeStatus::Rejected] {
            let t = apply(
                &with_scope(in_progress(), status),
                &actor,
                action.clone(),
                after_due(),
            )
            .expect(name);
            assert_eq!(t.incident.scope.as_ref().expect("scope").status, status);
            assert!(!kinds(&t.events).contains(&EventKind::ScopeWithdrawn));
        }
    }
    // Deciding the withdrawn scope afterwards does not fit (the incident is closed, and the
    // proposal no longer awaits a decision).
    let closed = apply(
        &with_scope(in_progress(), ScopeStatus::Proposed),
        &engineer(),
        resolve(),
        after_due(),
    )
    .expect("resolved")
    .incident;
    assert!(is_invalid_state(&apply(
        &closed,
        &owner(),
        decide_scope(true),
        after_due()
    )));
}

#[test]
fn a_closure_withdraws_each_open_sub_problem_proposal_once_and_nothing_else_does() {
    let open = [open_proposal("p-1"), open_proposal("p-2")];
    let mut decided = open_proposal("p-3");
    decided.status = ProposalStatus::Declined;
    let mut elsewhere = open_proposal("p-4");
    elsewhere.incident_id = "inc-other".into();
    let all = [open[0].clone(), open[1].clone(), decided, elsewhere];

    let mut t = apply(&in_progress(), &engineer(), resolve(), after_due()).expect("resolved");
    withdraw_proposals(&mut t, &all, &engineer());
    let ids: Vec<&str> = t.withdrawn.iter().map(|p| p.proposal_id.as_str()).collect();
    assert_eq!(ids, ["p-1", "p-2"]);
    assert!(t
        .withdrawn
        .iter()
        .all(|p| p.status == ProposalStatus::Withdrawn));
    let events: Vec<&Event> = t
        .events
        .iter()
        .filter(|e| e.kind() == EventKind::SubProblemWithdrawn)
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(detail(events[0], "proposal_id"), "p-1");
    assert_eq!(detail(events[0], "title"), "Sub-problem p-1");
    assert!(events.iter().all(|e| e.at == after_due()));

    // Not a closure: nothing is withdrawn.
    let mut t = apply(&in_progress(), &engineer(), respond(), after_due()).expect("responded");
    withdraw_proposals(&mut t, &all, &engineer());
    assert!(t.withdrawn.is_empty());
    assert!(!kinds(&t.events).contains(&EventKind::SubProblemWithdrawn));
    // A repeated charge decision (a no-op) withdraws nothing either.
    let mut t = apply(
        &unresolved(Charge::Consumed),
        &admin(),
        decide_charge(Charge::Consumed),
        after_due(),
    )
    .expect("no-op");
    withdraw_proposals(&mut t, &all, &admin());
    assert!(t.withdrawn.is_empty() && t.events.is_empty());
}

#[test]
fn a_withdrawn_proposal_cannot_be_decided() {
    let mut withdrawn = open_proposal("p-1");
    withdrawn.status = ProposalStatus::Withdrawn;
    assert!(matches!(
        ensure_undecided(&withdrawn),
        Err(ActionError::InvalidState(_))
    ));
    assert_eq!(ensure_undecided(&open_proposal("p-2")), Ok(()));
}

#[test]
fn events_name_their_author_for_people_and_the_system_stays_nameless() {
    let grace = Actor {
        name: Some("Grace Hopper".into()),
        ..engineer()
    };
    let t = apply(&awaiting(), &grace, respond(), before_due()).expect("responded");
    assert!(t
        .events
        .iter()
        .all(|e| e.actor_display_name.as_deref() == Some("Grace Hopper")));
    // No name in the token: the address's local part.
    let t = apply(&in_progress(), &engineer(), respond(), after_due()).expect("responded");
    assert_eq!(t.events[0].actor_display_name.as_deref(), Some("eng"));
    // The sweep's breach: no name.
    let t = apply(&awaiting(), &sweeper(), Action::Breach, after_due()).expect("breached");
    assert_eq!(t.events[0].kind(), EventKind::SlaBreached);
    assert_eq!(t.events[0].actor_display_name, None);
    // The name is a field of its own, beside the account id, whatever the kind.
    let json = serde_json::to_value(&t.events[0]).expect("json");
    assert!(json
        .as_object()
        .expect("object")
        .contains_key("actor_display_name"));
    // A sub-problem decision says which sub-problem, and what it became.
    let t = apply(
        &in_progress(),
        &owner(),
        decide_sub_problem(true),
        after_due(),
    )
    .expect("accepted");
    assert_eq!(detail(&t.events[0], "title"), "Backups fail too");
    assert_eq!(detail(&t.events[0], "child_incident_id"), "inc-2");
    assert_eq!(detail(&t.events[0], "child_number"), "K7M-4QX9");
}
