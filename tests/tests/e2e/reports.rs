//! SLA reports: the counters kept in the settling transactions agree with the incidents after a
//! concurrent mix of responses, closures and sweeps; the report routes read them (support-admins
//! only, months validated), and the breaches list follows breaches and later responses.

use super::sweeper::{awaiting_with, incident, now, respond, sweep, SWEEPS};
use chrono::Duration;
use domain::incident::{apply, sweep_signals, Action, ActionError, EventKind, Incident};
use domain::intake::{new_incident, NewIncident, Submission};
use domain::report::{Month, SlaCounts};
use domain::time::{parse_instant, Instant};
use domain::{Actor, CalendarId, Channel, Severity, SlaOutcome};
use e2e::*;
use futures::{stream, StreamExt};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use store::{Page, Store};
use usecases::sweep::SweepPlan;

#[derive(Debug)]
struct Failure(String);

impl From<usecases::Failure> for Failure {
    fn from(e: usecases::Failure) -> Self {
        Failure(e.to_string())
    }
}

fn engineer_actor() -> Actor {
    Actor {
        account_id: "eng_mix".into(),
        email: None,
        name: None,
        engineer: true,
        admin: false,
    }
}

/// 48 incidents of every calendar and severity, due from 30 hours before `as_of` to 29 after
/// (across a month boundary), warned an hour before their deadline, loaded as intake stores them.
async fn mixed_table(as_of: Instant) -> (Store, Vec<String>) {
    let store = store::testkit::fresh_store().await.expect("a fresh table");
    let incidents: Vec<Incident> = (0..48i64)
        .map(|i| {
            let calendar = CalendarId::ALL[(i % 3) as usize];
            let severity = Severity::ALL[((i / 3) % 3) as usize];
            let body = json!({
                "product_id": "windows-server-2022", "category": "configuration",
                "severity": severity, "handling": "24x7", "calendar": calendar,
                "title": "t", "description": "d",
                "contact": {"name": "Ada", "email": "ada@example.com", "phone": "+48 22 123 45 67"}
            });
            let submission = Submission::parse(&body).expect("a valid submission");
            let due = as_of + Duration::hours((i * 7) % 60 - 30);
            new_incident(
                &submission,
                NewIncident {
                    incident_id: store::ids::new_id("inc").into(),
                    account_id: &domain::AccountId::from("acct_mix"),
                    pack_id: &domain::PackId::from("pack_mix"),
                    parent_incident_id: None,
                    first_response_warn_at: due - Duration::hours(1),
                    first_response_due_at: due,
                    now: due - Duration::hours(4),
                    number: domain::incident::incident_number(&store::ids::random_bytes::<5>()),
                    actor_display_name: None,
                },
            )
            .0
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

/// Applies `action` as `actor` through the versioned read-decide-write loop, retrying what the
/// busy local server times out (a repeat that finds the incident closed is the earlier attempt).
async fn act(store: &Store, id: &str, actor: &Actor, action: Action, at: Instant) {
    for _ in 0..5 {
        let mut rounds = store.rounds();
        let outcome = usecases::change::update_incident(
            store,
            &domain::IncidentId::from(id),
            &|| at,
            &mut rounds,
            |stored, at| Ok(apply(&stored.incident, actor, action.clone(), at)?),
        )
        .await
        .map_err(|e| e.to_string());
        match outcome {
            Ok(_) => return,
            Err(why) if why.contains("closed") => return,
            Err(why) => eprintln!("{id}: retrying after {why}"),
        }
    }
    panic!("{id}: the action never landed");
}

async fn sweep_store(store: &Store, as_of: Instant) {
    let plan = SweepPlan {
        as_of,
        page_size: 5,
        page_budget: 1_000,
        stop_at: None,
    };
    let system = Actor::system();
    let swept = usecases::sweep::sweep_due(store, &plan, |i, at| {
        match sweep_signals(i, &system, as_of, at) {
            Ok(t) => Ok(t),
            Err(ActionError::InvalidState(_)) => Ok(None),
            Err(e) => Err(Failure(e.to_string())),
        }
    })
    .await;
    if let Some(Failure(why)) = swept.failure {
        eprintln!("sweep cut short (the next one goes on): {why}");
    }
}

#[tokio::test]
async fn the_counters_equal_a_recount_of_the_incidents_after_a_concurrent_mix_of_responses_sweeps_and_closures(
) {
    let as_of = parse_instant("2026-03-01T04:00:00Z").expect("instant");
    let (store, ids) = mixed_table(as_of).await;
    let engineer = engineer_actor();
    let owner = Actor::customer("acct_mix");

    let actions = stream::iter(ids.iter().enumerate()).for_each_concurrent(6, |(i, id)| {
        let (store, engineer, owner) = (&store, &engineer, &owner);
        async move {
            match i % 4 {
                0 => {
                    let respond = Action::Respond {
                        message: "Looking".into(),
                        channel: Channel::Email,
                    };
                    act(store, id, engineer, respond, as_of).await
                }
                1 => {
                    let close = Action::RequestClosure {
                        reason: "Solved it".into(),
                    };
                    act(store, id, owner, close, as_of).await
                }
                3 => {
                    let resolve = Action::Resolve {
                        solutions: vec!["Restart the service".into()],
                    };
                    act(store, id, engineer, resolve, as_of).await
                }
                _ => {} // left to the sweep
            }
        }
    });
    tokio::join!(
        actions,
        sweep_store(&store, as_of),
        sweep_store(&store, as_of)
    );
    // Whatever an overlapping run deferred is the next run's.
    sweep_store(&store, as_of).await;

    let mut expected: HashMap<(Month, CalendarId, Severity), SlaCounts> = HashMap::new();
    let mut breached_by_month: HashMap<Month, BTreeSet<String>> = HashMap::new();
    let mut seen = SlaCounts::default();
    for id in &ids {
        let (stored, timeline) = store
            .incident_with_timeline(id)
            .await
            .expect("reachable")
            .expect("exists");
        let i = &stored.incident;
        let month = Month::of(i.first_response_due_at);
        if i.sla != SlaOutcome::Pending {
            expected
                .entry((month, i.calendar, i.severity))
                .or_default()
                .count(i.sla);
            seen.count(i.sla);
        }
        if i.sla == SlaOutcome::Breached {
            breached_by_month
                .entry(month)
                .or_default()
                .insert(id.clone());
        }
        // Each outcome's event at most once, and a warning never after the first response.
        let count = |k: EventKind| timeline.iter().filter(|e| e.kind() == k).count();
        assert!(count(EventKind::SlaWarning) <= 1, "{id}: {timeline:?}");
        assert_eq!(
            count(EventKind::SlaBreached),
            usize::from(i.sla == SlaOutcome::Breached),
            "{id}: {timeline:?}"
        );
        let first_contact = timeline.iter().position(|e| {
            matches!(
                e.kind(),
                EventKind::Response | EventKind::Resolved | EventKind::ClosureRequested
            )
        });
        if let (Some(w), Some(c)) = (
            timeline
                .iter()
                .position(|e| e.kind() == EventKind::SlaWarning),
            first_contact,
        ) {
            assert!(w < c, "{id}: warning after the first contact: {timeline:?}");
        }
    }
    // The mix settled every kind of outcome, so the comparison below is not vacuous.
    assert!(
        seen.met > 0 && seen.breached > 0 && seen.withdrawn > 0,
        "{seen:?}"
    );

    let feb = Month::parse("2026-02").expect("month");
    let mar = Month::parse("2026-03").expect("month");
    let counted = store.sla_counts(feb, mar).await.expect("counters");
    let keys: BTreeSet<_> = expected.keys().chain(counted.keys()).copied().collect();
    for key in keys {
        assert_eq!(
            counted.get(&key).copied().unwrap_or_default(),
            expected.get(&key).copied().unwrap_or_default(),
            "{key:?}"
        );
    }

    for month in [feb, mar] {
        let mut listed = BTreeSet::new();
        let mut page = Page {
            limit: 4,
            cursor: None,
        };
        loop {
            let (items, next) = store.breaches(month, &page).await.expect("breaches");
            for i in items {
                assert_eq!(i.sla, SlaOutcome::Breached);
                assert_eq!(Month::of(i.first_response_due_at), month);
                assert!(listed.insert(i.incident_id.into_string()), "listed twice");
            }
            match next {
                Some(c) => page.cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(
            listed,
            breached_by_month.remove(&month).unwrap_or_default(),
            "{month}"
        );
    }
    store.delete_table().await.expect("dropped");
}

async fn report(user: &User, query: &str) -> Answer {
    get(&format!("/reports/sla{query}"))
        .token(user)
        .send()
        .await
}

async fn breaches(user: &User, query: &str) -> Answer {
    get(&format!("/reports/sla/breaches{query}"))
        .token(user)
        .send()
        .await
}

#[tokio::test]
async fn the_report_routes_are_for_support_admins_only() {
    for user in [User::customer(), User::engineer()] {
        report(&user, "").await.expect_problem(403, "forbidden");
        breaches(&user, "?month=2026-12")
            .await
            .expect_problem(403, "forbidden");
    }
    report(&User::admin(), "").await.expect(200);
    breaches(&User::admin(), "?month=2026-12").await.expect(200);
}

#[tokio::test]
async fn bad_months_and_ranges_are_400_naming_the_field() {
    let admin = User::admin();
    for (query, fields) in [
        ("?from=2026-13", vec!["from"]),
        ("?to=26-01", vec!["to"]),
        ("?from=May&to=2026-00", vec!["from", "to"]),
        ("?from=2026-06&to=2026-05", vec!["from"]),
        ("?from=2024-12&to=2026-12", vec!["to"]),
        ("?from=1999-12&to=2000-01", vec!["from"]),
    ] {
        let a = report(&admin, query)
            .await
            .expect_problem(400, "invalid_request");
        assert_eq!(a.error_fields(), fields, "{query}");
    }
    for query in [
        "",
        "?month=",
        "?month=2026-1",
        "?month=2026-12-01",
        "?month=2100-01",
    ] {
        let a = breaches(&admin, query)
            .await
            .expect_problem(400, "invalid_request");
        assert_eq!(a.error_fields(), ["month"], "{query}");
    }
    let a = breaches(&admin, "?month=2026-12&limit=0")
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["limit"]);
    let a = breaches(&admin, "?month=2026-12&cursor=bm90LWEtY3Vyc29y")
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["cursor"]);
}

#[tokio::test]
async fn the_default_report_is_every_calendar_and_severity_of_the_last_twelve_months() {
    let a = report(&User::admin(), "").await.expect(200);
    let items = a.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 12 * 3 * 3);
    let current = Month::of(now()).to_string();
    let first = Month::of(now()).plus(-11).to_string();
    assert_eq!(items[0]["month"], first.as_str());
    assert_eq!(items[items.len() - 1]["month"], current.as_str());
    for item in items {
        for field in ["met", "breached", "withdrawn"] {
            assert!(item[field].is_u64(), "{item}");
        }
        let (met, breached) = (item["met"].as_u64(), item["breached"].as_u64());
        match (met, breached) {
            (Some(0), Some(0)) => assert!(item["achievement"].is_null(), "{item}"),
            (Some(m), Some(b)) => {
                let got = item["achievement"].as_f64().expect("achievement");
                assert!((got - m as f64 / (m + b) as f64).abs() < 1e-9, "{item}");
            }
            _ => panic!("{item}"),
        }
    }
    let one = report(&User::admin(), "?from=2026-02&to=2026-02")
        .await
        .expect(200);
    assert_eq!(one.body["items"].as_array().map(Vec::len), Some(9));
}

fn line<'a>(report: &'a Value, month: &str, calendar: &str, severity: &str) -> &'a Value {
    report["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["month"] == month && i["calendar"] == calendar && i["severity"] == severity)
        .expect("a line for every month, calendar and severity")
}

/// All breach lines of a month, page by page (`limit` 2, so the cursor is exercised).
async fn all_breaches(month: &str) -> Vec<Value> {
    let admin = User::admin();
    let mut lines = Vec::new();
    let mut query = format!("?month={month}&limit=2");
    for _ in 0..10_000 {
        let page = breaches(&admin, &query).await.expect(200).body;
        lines.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => query = format!("?month={month}&limit=2&cursor={c}"),
            None => return lines,
        }
    }
    panic!("the breaches list never ended");
}

#[tokio::test]
async fn a_sweep_breach_is_counted_once_and_listed_and_a_later_response_shows_in_the_list() {
    let _turn = SWEEPS.lock().await;
    let admin = User::admin();
    let due = now() + Duration::minutes(10);
    let month = Month::of(due).to_string();
    let range = format!("?from={month}&to={month}");
    let (owner, ids) = awaiting_with(3, due - Duration::minutes(2), due).await;
    // Under the sweeps' turn nothing else breaches: HTTP incidents are due hours ahead.
    let before = report(&admin, &range).await.expect(200).body;
    let breached_before = line(&before, &month, "PL", "C")["breached"]
        .as_u64()
        .expect("count");

    sweep(due + Duration::seconds(1)).await;
    let after = report(&admin, &range).await.expect(200).body;
    assert_eq!(
        line(&after, &month, "PL", "C")["breached"].as_u64(),
        Some(breached_before + 3),
        "{after}"
    );
    let listed = all_breaches(&month).await;
    for id in &ids {
        let l = listed
            .iter()
            .find(|l| l["incident_id"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} not listed"));
        assert_eq!(l["account_id"], owner.account_id.as_str());
        assert_eq!(
            (l["severity"].as_str(), l["calendar"].as_str()),
            (Some("C"), Some("PL"))
        );
        assert_eq!(
            l["first_response_due_at"],
            domain::time::format_instant(due)
        );
        assert!(l["first_responded_at"].is_null(), "{l}");
    }

    respond(&User::engineer(), &ids[0]).await.expect(201);
    let answered = incident(&owner, &ids[0]).await;
    assert_eq!(answered["sla"], "breached");
    let listed = all_breaches(&month).await;
    let l = listed
        .iter()
        .find(|l| l["incident_id"] == ids[0].as_str())
        .expect("still listed");
    assert_eq!(l["first_responded_at"], answered["first_responded_at"]);
    assert_eq!(
        l["number"], answered["number"],
        "the breach names its incident's number"
    );
    // The late response settles nothing again: the breach stays counted once.
    let again = report(&admin, &range).await.expect(200).body;
    assert_eq!(
        line(&again, &month, "PL", "C")["breached"].as_u64(),
        Some(breached_before + 3)
    );
}
