//! SLA warnings: `first_response_warn_at` in the quote, the incident, its list and the queue;
//! the sweep (invoked as EventBridge invokes it) writing one `sla_warning` per unanswered
//! incident past that instant, also when sweeps overlap, and never after the first response.
//!
//! Like the breach tests, the swept incidents are written through the intake transaction with a
//! warning minutes away (intake's own warnings are at least 90 minutes ahead, so no incident
//! another test submitted over HTTP is ever due in these sweeps), and sweeps take turns.

use super::sweeper::{awaiting_with, count, incident, now, respond, sweep, SWEEPS};
use chrono::Duration;
use domain::time::format_instant;
use e2e::*;
use serde_json::Value;

fn kinds(incident: &Value) -> Vec<String> {
    incident["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn of_kind(incident: &Value, kind: &str) -> usize {
    kinds(incident).iter().filter(|k| *k == kind).count()
}

fn position(incident: &Value, kind: &str) -> Option<usize> {
    kinds(incident).iter().position(|k| k == kind)
}

#[tokio::test]
async fn overlapping_sweeps_past_the_warning_instant_record_exactly_one_warning_each_then_the_breach(
) {
    let _turn = SWEEPS.lock().await;
    let warn = now() + Duration::minutes(5);
    let due = now() + Duration::minutes(10);
    let (owner, ids) = awaiting_with(6, warn, due).await;
    let as_of = warn + Duration::seconds(1);

    let (a, b) = tokio::join!(sweep(as_of), sweep(as_of));
    let later = sweep(as_of + Duration::minutes(1)).await;
    // Each of the six was read by one of the overlapping sweeps at least.
    assert!(
        count(&a, "examined") + count(&b, "examined") >= 6,
        "{a} {b}"
    );
    // On DynamoDB exactly 6; on moto a warning whose attempt timed out after landing is retried,
    // fails its version condition and counts as skipped. Never more than written.
    let warned = count(&a, "warned") + count(&b, "warned") + count(&later, "warned");
    assert!(warned <= 6, "{a} {b} {later}");
    for id in &ids {
        let i = incident(&owner, id).await;
        assert_eq!(of_kind(&i, "sla_warning"), 1, "{i}");
        assert_eq!(of_kind(&i, "sla_breached"), 0, "{i}");
        assert_eq!(i["sla"], "pending", "{i}");
        assert_eq!(i["status"], "awaiting_response", "{i}");
        assert_eq!(i["first_response_warn_at"], format_instant(warn), "{i}");
        assert_eq!(i["sla_warned_at"], format_instant(as_of), "{i}");
        let warning = &i["timeline"][position(&i, "sla_warning").expect("warned")];
        assert_eq!(warning["actor_account_id"], "system");
        assert_eq!(warning["severity"], "C");
        assert_eq!(warning["first_response_warn_at"], format_instant(warn));
        assert_eq!(warning["first_response_due_at"], format_instant(due));
    }

    let at_deadline = sweep(due + Duration::seconds(1)).await;
    assert!(count(&at_deadline, "examined") >= 6, "{at_deadline}");
    for id in &ids {
        let i = incident(&owner, id).await;
        assert_eq!(i["sla"], "breached", "{i}");
        assert_eq!(of_kind(&i, "sla_warning"), 1, "{i}");
        assert_eq!(of_kind(&i, "sla_breached"), 1, "{i}");
        assert!(
            position(&i, "sla_warning") < position(&i, "sla_breached"),
            "{i}"
        );
    }
}

#[tokio::test]
async fn a_response_racing_the_warning_ends_unwarned_or_warned_before_it_never_after() {
    let _turn = SWEEPS.lock().await;
    let engineer = User::engineer();
    let mut outcomes = Vec::new();
    for round in 0..4u64 {
        let warn = now() + Duration::minutes(5);
        let due = now() + Duration::minutes(10);
        let (owner, ids) = awaiting_with(2, warn, due).await;
        let (id, control) = (&ids[0], &ids[1]);
        let response = async {
            tokio::time::sleep(std::time::Duration::from_millis(round * 150)).await;
            respond(&engineer, id).await
        };
        let (answer, report) = tokio::join!(response, sweep(warn + Duration::seconds(1)));
        answer.expect(201);
        assert!(count(&report, "examined") >= 1, "{report}");

        let raced = incident(&owner, id).await;
        assert_eq!(raced["status"], "in_progress", "{raced}");
        assert_eq!(raced["sla"], "met", "{raced}");
        let warnings = of_kind(&raced, "sla_warning");
        assert!(warnings <= 1, "{raced}");
        if warnings == 1 {
            assert!(
                position(&raced, "sla_warning") < position(&raced, "response"),
                "a warning after the response: {raced}"
            );
        }
        // A later sweep, past the deadline too, adds nothing to the answered incident.
        sweep(due + Duration::seconds(1)).await;
        let after = incident(&owner, id).await;
        assert_eq!(after["timeline"], raced["timeline"], "{after}");
        // The sweeps did run: the unanswered incident beside it was warned, then breached.
        let control = incident(&owner, control).await;
        assert_eq!(of_kind(&control, "sla_warning"), 1, "{control}");
        assert_eq!(control["sla"], "breached", "{control}");
        outcomes.push(if warnings == 1 { "warned" } else { "unwarned" });
    }
    eprintln!("response vs warning sweep outcomes: {outcomes:?}");
}

#[tokio::test]
async fn an_incident_answered_before_its_warning_instant_is_never_warned() {
    let _turn = SWEEPS.lock().await;
    let warn = now() + Duration::minutes(5);
    let due = now() + Duration::minutes(10);
    let (owner, ids) = awaiting_with(2, warn, due).await;
    let (answered, control) = (&ids[0], &ids[1]);
    respond(&User::engineer(), answered).await.expect(201);
    let before = incident(&owner, answered).await;

    let report = sweep(warn + Duration::seconds(1)).await;
    assert!(count(&report, "warned") >= 1, "{report}");
    sweep(due + Duration::seconds(1)).await;

    let after = incident(&owner, answered).await;
    assert_eq!(after, before);
    assert_eq!(of_kind(&after, "sla_warning"), 0, "{after}");
    assert!(after["sla_warned_at"].is_null(), "{after}");
    let control = incident(&owner, control).await;
    assert_eq!(of_kind(&control, "sla_warning"), 1, "{control}");
}

async fn quote(user: &User, query: &str) -> Value {
    get(&format!("/sla/quote?{query}"))
        .token(user)
        .send()
        .await
        .expect(200)
        .body
}

#[tokio::test]
async fn the_quote_gives_the_warning_at_three_quarters_of_the_window() {
    let user = User::customer();
    // Mon 15 Jun 2026 09:00 in Warsaw: B warns at 12:00 and is due at 13:00.
    let b = quote(&user, "severity=B&calendar=PL&at=2026-06-15T07:00:00Z").await;
    assert_eq!(b["first_response_warn_at"], "2026-06-15T10:00:00Z");
    assert_eq!(b["first_response_due_at"], "2026-06-15T11:00:00Z");
    // Wed 23 Dec 2026 16:00 in Warsaw: one hour that day, then five closed days; C warns after
    // 6 business hours (Mon 28 Dec 14:00), due after 8 (16:00).
    let c = quote(&user, "severity=C&calendar=PL&at=2026-12-23T15:00:00Z").await;
    assert_eq!(c["first_response_warn_at"], "2026-12-28T13:00:00Z");
    assert_eq!(c["first_response_due_at"], "2026-12-28T15:00:00Z");
    let a = quote(&user, "severity=A&calendar=UK&at=2026-12-26T23:00:00Z").await;
    assert_eq!(a["first_response_warn_at"], "2026-12-27T00:30:00Z");
    assert_eq!(a["first_response_due_at"], "2026-12-27T01:00:00Z");
}

#[tokio::test]
async fn the_incident_its_list_and_the_queue_carry_the_warning_instant_the_quote_gives() {
    let user = User::customer();
    buy_pack(&user, "five_pack").await;
    let mut body = submission();
    body["severity"] = "A".into();
    body["handling"] = "24x7".into();
    let created = submit(&user, &body).await.expect(201).body;
    let id = created["incident_id"].as_str().expect("id").to_string();
    let q = quote(
        &user,
        &format!(
            "severity=A&calendar=PL&at={}",
            created["created_at"].as_str().expect("created_at")
        ),
    )
    .await;
    let warn = &q["first_response_warn_at"];
    assert!(warn.is_string(), "{q}");
    assert_eq!(&created["first_response_warn_at"], warn, "{created}");
    assert_eq!(created["first_response_due_at"], q["first_response_due_at"]);
    assert!(created["sla_warned_at"].is_null(), "{created}");

    let read = get(&format!("/incidents/{id}"))
        .token(&user)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(&read["first_response_warn_at"], warn);
    let list = get("/incidents").token(&user).send().await.expect(200).body;
    assert_eq!(&list["items"][0]["first_response_warn_at"], warn, "{list}");

    // The queue is shared by every test: page through it until the incident shows up.
    let engineer = User::engineer();
    let mut cursor: Option<String> = None;
    for _ in 0..200 {
        let path = match &cursor {
            Some(c) => format!("/queue?limit=100&cursor={c}"),
            None => "/queue?limit=100".to_string(),
        };
        let page = get(&path).token(&engineer).send().await.expect(200).body;
        let items = page["items"].as_array().expect("items");
        if let Some(item) = items.iter().find(|i| i["incident_id"] == id.as_str()) {
            assert_eq!(&item["first_response_warn_at"], warn, "{item}");
            return;
        }
        for item in items {
            assert!(item["first_response_warn_at"].is_string(), "{item}");
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    panic!("incident {id} is not in the queue");
}
