//! The breach sweep, invoked as EventBridge invokes it (`cargo lambda invoke` with a Scheduled
//! Event), and its store loop on tables of its own.
//!
//! Intake fixes deadlines at least two hours ahead, and a sweep at a later as-of would breach the
//! incidents other tests are working on at the same time. So these tests write their incidents
//! through the store's own intake transaction (pack draw, ledger, timeline) with a deadline
//! minutes away, and sweep at that deadline: no incident submitted over HTTP is ever due in these
//! sweeps. The tests that invoke the sweeper take turns (`SWEEPS`), so that one test's sweep
//! never settles another's incidents before that test has looked at them.

use chrono::{Duration, SubsecRound, Utc};
use domain::incident::{apply, Action, ActionError, Event, EventKind, Incident, Transition};
use domain::intake::{new_incident, NewIncident, Submission};
use domain::time::{format_instant, Instant};
use domain::{Actor, Money};
use e2e::*;
use futures::{stream, StreamExt};
use serde_json::{json, Value};
use store::idempotency::IdempotencyWrite;
use store::incidents::CreateOutcome;
use store::packs::PurchaseOutcome;
use store::Store;
use tokio::sync::Mutex;
use usecases::sweep::SweepPlan;

pub(crate) static SWEEPS: Mutex<()> = Mutex::const_new(());

const SCHEDULED: &str = include_str!("../../events/scheduled.json");

pub(crate) fn now() -> Instant {
    Utc::now().trunc_subsecs(0)
}

/// The Scheduled Event EventBridge sends, with `time` set.
fn scheduled(at: Instant) -> Value {
    let mut event: Value = serde_json::from_str(SCHEDULED).expect("scheduled.json is JSON");
    event["time"] = json!(format_instant(at));
    event["id"] = json!(new_key());
    event
}

pub(crate) async fn sweep(at: Instant) -> Value {
    let report = lambda_invoke("sla-sweeper", &scheduled(at)).await;
    assert_eq!(report["as_of"], format_instant(at), "report: {report}");
    for field in ["examined", "breached", "warned", "skipped", "duration_ms"] {
        assert!(report[field].is_u64(), "{field} missing: {report}");
    }
    report
}

pub(crate) fn count(report: &Value, field: &str) -> u64 {
    report[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field}: {report}"))
}

/// Five-packs for `owner`, bought through the store's purchase transaction.
async fn five_packs(store: &Store, owner: &User, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..n {
        let at = now();
        let price = Money {
            currency: "PLN".into(),
            net: 199_900,
            tax: 45_977,
            gross: 245_877,
        };
        let pack = bench::fixtures::five_pack(&owner.account_id, price, at);
        let key = IdempotencyWrite::new(
            &domain::AccountId::from(&owner.account_id),
            "POST /packs",
            &new_key(),
            "sweeper test".into(),
            at,
        );
        // The local server is slow under load: a timed-out purchase is retried with its key.
        let mut outcome = store.purchase(&pack, &key).await;
        for _ in 0..5 {
            match &outcome {
                Err(e) if e.is_retryable() => outcome = store.purchase(&pack, &key).await,
                _ => break,
            }
        }
        match outcome.expect("store reachable") {
            PurchaseOutcome::Created | PurchaseOutcome::Replayed(_) => {}
            other => panic!("purchase: {other:?}"),
        }
        ids.push(pack.pack_id.into_string());
    }
    ids
}

/// `n` incidents of one new customer, awaiting a first response due at `due` (warned at the
/// deadline too, as before warnings existed), each created by the intake transaction.
async fn awaiting(n: usize, due: Instant) -> (User, Vec<String>) {
    awaiting_with(n, due, due).await
}

/// `n` incidents of one new customer, awaiting a first response, warned at `warn` and due at
/// `due`, each created by the intake transaction (one unit drawn, `submitted` event), at most 4
/// at a time.
pub(crate) async fn awaiting_with(n: usize, warn: Instant, due: Instant) -> (User, Vec<String>) {
    let store = store().await;
    let owner = User::customer();
    let packs = five_packs(&store, &owner, n.div_ceil(5)).await;
    let submission = Submission::parse(&submission()).expect("a valid submission");
    let ids: Vec<String> = (0..n).map(|_| store::ids::new_id("inc")).collect();
    stream::iter(ids.iter().enumerate())
        .for_each_concurrent(4, |(i, id)| {
            let (store, owner, packs, submission) = (&store, &owner, &packs, &submission);
            async move {
                let at = now();
                let (incident, submitted) = new_incident(
                    submission,
                    NewIncident {
                        incident_id: id.clone().into(),
                        account_id: &domain::AccountId::from(&owner.account_id),
                        pack_id: &domain::PackId::from(&packs[i / 5]),
                        parent_incident_id: None,
                        first_response_warn_at: warn,
                        first_response_due_at: due,
                        now: at,
                        number: domain::incident::incident_number(&store::ids::random_bytes::<5>()),
                        actor_display_name: None,
                    },
                );
                // A timed-out draw may have landed: look before drawing again.
                for _ in 0..5 {
                    match store
                        .create_incident(&incident, &submitted, at, None, None)
                        .await
                    {
                        Ok(outcome) => {
                            assert_eq!(outcome, CreateOutcome::Created);
                            return;
                        }
                        Err(e) if e.is_retryable() => {
                            if store.incident(id).await.ok().flatten().is_some() {
                                return;
                            }
                        }
                        Err(e) => panic!("intake transaction: {e}"),
                    }
                }
                panic!("the local server kept timing out");
            }
        })
        .await;
    (owner, ids)
}

/// `n` incidents of one new customer awaiting a first response due at `due`, written as intake
/// stores them but in batches, without pack draws or timelines: 200 intake transactions would
/// hold the local server's one lock for a minute (moto copies the table in every transaction),
/// starving every other test.
async fn awaiting_in_bulk(n: usize, due: Instant) -> (User, Vec<String>) {
    let owner = User::customer();
    let submission = Submission::parse(&submission()).expect("a valid submission");
    let at = now();
    let incidents: Vec<Incident> = (0..n)
        .map(|_| {
            bench::fixtures::awaiting_incident(
                &submission,
                &owner.account_id,
                "pack_unchecked",
                due,
                due,
                at,
            )
        })
        .collect();
    store()
        .await
        .load_awaiting_for_bench(&incidents, 2)
        .await
        .expect("loaded");
    (
        owner,
        incidents
            .into_iter()
            .map(|i| i.incident_id.into_string())
            .collect(),
    )
}

pub(crate) async fn incident(owner: &User, id: &str) -> Value {
    // `cargo lambda watch` answers 408 when it could not start a function instance in time
    // (it starts them with `cargo run`, which waits for any build holding the cargo lock).
    for _ in 0..3 {
        let answer = get(&format!("/incidents/{id}")).token(owner).send().await;
        if answer.status != 408 {
            return answer.expect(200).body;
        }
    }
    panic!("GET /incidents/{id}: the local emulator kept answering 408");
}

fn breach_events(incident: &Value) -> usize {
    incident["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .filter(|e| e["kind"] == "sla_breached")
        .count()
}

pub(crate) async fn respond(engineer: &User, id: &str) -> Answer {
    post(&format!("/incidents/{id}/responses"))
        .token(engineer)
        .json(&json!({"message": "Looking at the cluster logs now.", "channel": "email"}))
        .send()
        .await
}

async fn version(id: &str) -> u64 {
    store()
        .await
        .incident(id)
        .await
        .expect("store reachable")
        .expect("the incident exists")
        .version
}

#[tokio::test]
async fn a_past_deadline_incident_is_breached_once_and_a_second_sweep_adds_nothing() {
    let _turn = SWEEPS.lock().await;
    let due = now() - Duration::minutes(1);
    let (owner, ids) = awaiting(1, due).await;
    let id = &ids[0];
    let as_of = now();

    let first = sweep(as_of).await;
    assert!(count(&first, "examined") >= 1, "first sweep: {first}");
    assert_eq!(
        count(&first, "breached") + count(&first, "skipped"),
        count(&first, "examined"),
        "{first}"
    );
    let swept = incident(&owner, id).await;
    assert_eq!(swept["sla"], "breached", "{swept}");
    assert_eq!(swept["status"], "awaiting_response", "{swept}");
    assert_eq!(breach_events(&swept), 1, "{swept}");
    let breach = swept["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "sla_breached")
        .unwrap();
    assert_eq!(breach["actor_account_id"], "system");
    assert_eq!(breach["at"], format_instant(as_of));
    let v = version(id).await;

    let second = sweep(as_of + Duration::minutes(1)).await;
    let again = incident(&owner, id).await;
    assert_eq!(breach_events(&again), 1, "{again}");
    assert_eq!(again["timeline"], swept["timeline"]);
    assert_eq!(
        version(id).await,
        v,
        "the second sweep rewrote the incident"
    );
    assert_eq!(second["remaining"], false, "{second}");
}

#[tokio::test]
async fn two_overlapping_sweeps_over_200_due_incidents_record_exactly_one_breach_each() {
    let _turn = SWEEPS.lock().await;
    let due = now() + Duration::minutes(10);
    let (owner, ids) = awaiting_in_bulk(200, due).await;
    let as_of = due + Duration::seconds(1);

    // Two sweepers overlapping on every run; a run's work is bounded, so they run again until
    // neither leaves anything behind (on DynamoDB the first pair finishes).
    let (mut breached, mut accounted) = (0, 0);
    for run in 1.. {
        let (a, b) = tokio::join!(sweep(as_of), sweep(as_of));
        for r in [&a, &b] {
            breached += count(r, "breached");
            accounted += count(r, "breached") + count(r, "skipped");
        }
        if a["remaining"] == false && b["remaining"] == false {
            break;
        }
        assert!(
            run < 10,
            "still work left after {run} overlapping runs: {a} {b}"
        );
    }
    // Every due incident was examined and settled by one sweep at least. (The sum of `breached`
    // alone is exact on DynamoDB; on moto a breach whose attempt timed out after landing is
    // retried by the SDK, fails its version condition and is reported as skipped.)
    assert!(accounted >= 200, "sweeps accounted for {accounted} of 200");
    eprintln!("overlapping sweeps: {breached} breached, {accounted} breached or skipped");

    // Read through the store: after a minute of sweeping, `cargo lambda watch` has let the idle
    // intake instances die, and a GET routed to one hangs for the invocation timeout.
    let store = store().await;
    let timelines: Vec<(String, Vec<Event>)> = stream::iter(&ids)
        .map(|id| {
            let (store, owner) = (&store, &owner);
            async move {
                let (stored, timeline) = store
                    .incident_with_timeline(id)
                    .await
                    .expect("store reachable")
                    .expect("the incident exists");
                assert_eq!(stored.incident.account_id, owner.account_id);
                assert_eq!(stored.incident.sla, domain::SlaOutcome::Breached, "{id}");
                (id.clone(), timeline)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut total = 0;
    for (id, timeline) in &timelines {
        let breaches = timeline
            .iter()
            .filter(|e| e.kind() == EventKind::SlaBreached)
            .count();
        assert_eq!(breaches, 1, "{id}: {timeline:?}");
        total += breaches;
    }
    assert_eq!(total, 200);
    remove_bulk_fixtures(&store, &ids).await;
}

/// The bulk incidents name no real pack (they were never drawn), so they must not outlive the
/// test in the shared table: later suites (schemathesis as staff) would try to refund them.
async fn remove_bulk_fixtures(store: &store::Store, ids: &[String]) {
    use aws_sdk_dynamodb::types::AttributeValue;
    for id in ids {
        let pk = store::keys::incident(id).pk;
        let items = store
            .client()
            .query()
            .table_name(store.table_name())
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(pk))
            .send()
            .await
            .expect("store reachable")
            .items
            .unwrap_or_default();
        for item in items {
            let key = ["PK", "SK"].map(|k| (k.to_string(), item[k].clone()));
            store
                .client()
                .delete_item()
                .table_name(store.table_name())
                .set_key(Some(key.into_iter().collect()))
                .send()
                .await
                .expect("store reachable");
        }
    }
}

#[tokio::test]
async fn a_response_racing_the_sweep_is_met_without_a_breach_or_breached_with_one_never_a_mix() {
    let _turn = SWEEPS.lock().await;
    let engineer = User::engineer();
    let mut outcomes = Vec::new();
    for round in 0..5u64 {
        let due = now() + Duration::minutes(10);
        let (owner, ids) = awaiting(2, due).await;
        let (id, control) = (&ids[0], &ids[1]);
        // Stagger the response so both orders get a chance (a sweep starts a process first).
        let response = async {
            tokio::time::sleep(std::time::Duration::from_millis(round * 150)).await;
            respond(&engineer, id).await
        };
        let (answer, report) = tokio::join!(response, sweep(due + Duration::seconds(1)));
        answer.expect(201);
        assert!(count(&report, "examined") >= 1, "{report}");

        let raced = incident(&owner, id).await;
        assert_eq!(raced["status"], "in_progress", "{raced}");
        assert!(raced["first_responded_at"].is_string(), "{raced}");
        match raced["sla"].as_str() {
            Some("met") => assert_eq!(breach_events(&raced), 0, "{raced}"),
            Some("breached") => assert_eq!(breach_events(&raced), 1, "{raced}"),
            other => panic!("sla {other:?} after a response: {raced}"),
        }
        // The sweep did run at that instant: the unanswered incident beside it is breached.
        let control = incident(&owner, control).await;
        assert_eq!(control["sla"], "breached", "{control}");
        assert_eq!(breach_events(&control), 1, "{control}");
        outcomes.push(raced["sla"].as_str().unwrap_or_default().to_string());
    }
    eprintln!("response vs sweep outcomes: {outcomes:?}");
}

#[tokio::test]
async fn a_responded_incident_is_never_touched_by_the_sweep() {
    let _turn = SWEEPS.lock().await;
    let due = now() + Duration::minutes(10);
    let (owner, ids) = awaiting(2, due).await;
    let (answered, control) = (&ids[0], &ids[1]);
    respond(&User::engineer(), answered).await.expect(201);
    let before = incident(&owner, answered).await;
    assert_eq!(before["sla"], "met", "{before}");
    let v = version(answered).await;

    let report = sweep(due + Duration::seconds(1)).await;

    let after = incident(&owner, answered).await;
    assert_eq!(after, before);
    assert_eq!(version(answered).await, v);
    // The same sweep did breach the unanswered incident due at the same instant.
    assert!(count(&report, "examined") >= 1, "{report}");
    let control = incident(&owner, control).await;
    assert_eq!(control["sla"], "breached", "{control}");
    assert_eq!(breach_events(&control), 1);
}

#[tokio::test]
async fn a_closed_incident_is_never_touched_by_the_sweep() {
    let _turn = SWEEPS.lock().await;
    let due = now() + Duration::minutes(10);
    let (owner, ids) = awaiting(2, due).await;
    let (closed, control) = (&ids[0], &ids[1]);
    let answer = post(&format!("/incidents/{closed}/closure-request"))
        .token(&owner)
        .json(&json!({"reason": "We found the cause ourselves."}))
        .send()
        .await
        .expect(200);
    assert_eq!(
        answer.body["status"], "closed_by_customer",
        "{}",
        answer.body
    );
    let before = incident(&owner, closed).await;
    assert_eq!(before["sla"], "withdrawn", "{before}");
    let v = version(closed).await;

    let report = sweep(due + Duration::seconds(1)).await;

    let after = incident(&owner, closed).await;
    assert_eq!(after, before);
    assert_eq!(version(closed).await, v);
    assert!(count(&report, "examined") >= 1, "{report}");
    let control = incident(&owner, control).await;
    assert_eq!(control["sla"], "breached", "{control}");
}

#[tokio::test]
async fn a_scheduled_event_without_a_valid_time_is_refused_as_not_retryable() {
    for event in [
        json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}),
        {
            let mut e = scheduled(now());
            e["time"] = json!("yesterday at noon");
            e
        },
    ] {
        let failure = lambda_invoke_failure("sla-sweeper", &event).await;
        assert!(failure.contains("NonRetryable.BadEvent"), "{failure}");
    }
}

// The store's sweep loop on tables of its own: paging, budget, time limit, overlap.

/// The Lambda's decision, as the system actor, at the write's commit instant.
fn breach() -> impl Fn(&Incident, Instant) -> Result<Option<Transition>, usecases::Failure> {
    move |incident, at| match apply(incident, &Actor::system(), Action::Breach, at) {
        Ok(t) => Ok(Some(t)),
        Err(ActionError::InvalidState(_)) => Ok(None),
        Err(e) => panic!("unexpected refusal: {e}"),
    }
}

/// `due` incidents due at `at - 1h` and `later` due a day after `at`, loaded unchecked.
async fn table_with(due: usize, later: usize, at: Instant) -> (Store, Vec<String>) {
    let store = store::testkit::fresh_store().await.expect("a fresh table");
    let submission = Submission::parse(&submission()).expect("a valid submission");
    let incidents: Vec<Incident> = (0..due + later)
        .map(|i| {
            let deadline = if i < due {
                at - Duration::hours(1)
            } else {
                at + Duration::days(1)
            };
            bench::fixtures::awaiting_incident(
                &submission,
                "acct_sweep",
                "pack_sweep",
                deadline,
                deadline,
                at - Duration::hours(3),
            )
        })
        .collect();
    store
        .load_awaiting_for_bench(&incidents, 4)
        .await
        .expect("loaded");
    let ids = incidents
        .into_iter()
        .map(|i| i.incident_id.into_string())
        .collect();
    (store, ids)
}

fn plan(as_of: Instant, page_size: i32, page_budget: u32) -> SweepPlan {
    SweepPlan {
        as_of,
        page_size,
        page_budget,
        stop_at: None,
    }
}

#[tokio::test]
async fn the_sweep_reads_only_due_incidents_and_keeps_to_its_page_budget_across_runs() {
    let as_of = now();
    let (store, ids) = table_with(40, 60, as_of).await;

    let limited = usecases::sweep::sweep_due(&store, &plan(as_of, 4, 5), breach()).await;
    assert!(limited.failure.is_none());
    assert_eq!(limited.tally.pages, 5);
    assert!(limited.tally.examined <= 20);
    assert_eq!(limited.tally.breached, limited.tally.examined);
    assert!(limited.tally.remaining);

    let rest = usecases::sweep::sweep_due(&store, &plan(as_of, 4, 1_000), breach()).await;
    assert!(rest.failure.is_none());
    assert!(!rest.tally.remaining);
    assert_eq!(limited.tally.breached + rest.tally.breached, 40);
    // Only due incidents are read: the 60 due tomorrow never come back from the index.
    assert_eq!(limited.tally.examined + rest.tally.examined, 40);

    let idle = usecases::sweep::sweep_due(&store, &plan(as_of, 4, 1_000), breach()).await;
    assert_eq!(
        (idle.tally.examined, idle.tally.pages, idle.tally.remaining),
        (0, store::keys::AWAIT_SHARDS, false)
    );
    for (i, id) in ids.iter().enumerate() {
        let (stored, timeline) = store
            .incident_with_timeline(id)
            .await
            .expect("reachable")
            .expect("exists");
        let breaches = timeline
            .iter()
            .filter(|e| e.kind() == EventKind::SlaBreached)
            .count();
        assert_eq!(breaches, usize::from(i < 40), "{id}");
        assert_eq!(stored.incident.sla == domain::SlaOutcome::Breached, i < 40);
    }
    store.delete_table().await.expect("dropped");
}

#[tokio::test]
async fn a_sweep_out_of_time_starts_nothing_and_says_work_remains() {
    let as_of = now();
    let (store, _) = table_with(5, 0, as_of).await;
    let mut late = plan(as_of, 100, 50);
    late.stop_at = Some(std::time::Instant::now());
    let swept = usecases::sweep::sweep_due(&store, &late, breach()).await;
    assert_eq!(
        (
            swept.tally.examined,
            swept.tally.pages,
            swept.tally.remaining
        ),
        (0, 0, true)
    );
    let swept = usecases::sweep::sweep_due(&store, &plan(as_of, 100, 50), breach()).await;
    assert_eq!(swept.tally.breached, 5);
    store.delete_table().await.expect("dropped");
}

#[tokio::test]
async fn two_overlapping_sweeps_on_one_table_breach_each_due_incident_exactly_once() {
    let as_of = now();
    let (store, ids) = table_with(100, 20, as_of).await;
    let both = plan(as_of, 10, 1_000);
    let (a, b) = tokio::join!(
        usecases::sweep::sweep_due(&store, &both, breach()),
        usecases::sweep::sweep_due(&store, &both, breach()),
    );
    assert!(a.failure.is_none() && b.failure.is_none());
    for (i, id) in ids.iter().enumerate() {
        let (stored, timeline) = store
            .incident_with_timeline(id)
            .await
            .expect("reachable")
            .expect("exists");
        let due = i < 100;
        assert_eq!(timeline.len(), usize::from(due), "{id}: {timeline:?}");
        assert_eq!(stored.incident.sla == domain::SlaOutcome::Breached, due);
    }
    for t in [&a.tally, &b.tally] {
        assert_eq!(t.breached + t.skipped, t.examined, "{t:?}");
    }
    // Never more breaches counted than written. Exactly 100 on DynamoDB, where the SDK's
    // ClientRequestToken makes a retried transaction idempotent; moto ignores the token, so a
    // write that landed after its attempt timed out is retried, fails its version condition and
    // is counted as skipped. Every due incident was examined by one sweep at least.
    assert!(a.tally.breached + b.tally.breached <= 100, "{a:?} {b:?}");
    assert!(a.tally.examined + b.tally.examined >= 100, "{a:?} {b:?}");
    store.delete_table().await.expect("dropped");
}
