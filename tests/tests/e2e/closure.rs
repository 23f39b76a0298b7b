//! Closing incidents (S7, S8): resolution, unresolved closure, the customer's early closure, and
//! staff's charge decision with its once-only refund.

use e2e::*;
use serde_json::{json, Value};
use store::packs::LedgerKind;

/// A customer with a fresh pack and one open incident drawn from it: (pack_id, incident_id).
async fn open_incident(customer: &User, offer: &str) -> (String, String) {
    let pack = buy_pack(customer, offer).await;
    let pack_id = pack["pack_id"].as_str().expect("pack_id").to_string();
    let mut body = submission();
    body["pack_id"] = json!(pack_id);
    let incident = submit(customer, &body).await.expect(201).body;
    let incident_id = incident["incident_id"]
        .as_str()
        .expect("incident_id")
        .to_string();
    (pack_id, incident_id)
}

fn resolution(incident_id: &str) -> String {
    format!("/incidents/{incident_id}/resolution")
}

fn closure_request(incident_id: &str) -> String {
    format!("/incidents/{incident_id}/closure-request")
}

fn charge_decision(incident_id: &str) -> String {
    format!("/incidents/{incident_id}/charge-decision")
}

fn resolved() -> Value {
    json!({"outcome": "resolved", "solutions": ["Re-run validation after updating the storage driver."]})
}

fn unresolved(charge: &str) -> Value {
    json!({"outcome": "unresolved", "explanation": "The storage vendor has no fix yet.", "charge": charge})
}

async fn send(path: &str, user: &User, body: &Value) -> Answer {
    post(path).token(user).json(body).send().await
}

/// The customer closes early and staff then decide the charge.
async fn close_and_decide(
    customer: &User,
    staff: &User,
    incident_id: &str,
    charge: &str,
) -> Answer {
    send(
        &closure_request(incident_id),
        customer,
        &json!({"reason": "We worked around it."}),
    )
    .await
    .expect(200);
    send(
        &charge_decision(incident_id),
        staff,
        &json!({"charge": charge}),
    )
    .await
}

async fn credits(pack_id: &str) -> usize {
    store()
        .await
        .ledger(pack_id)
        .await
        .expect("store reachable")
        .iter()
        .filter(|e| e.kind == LedgerKind::Credit)
        .count()
}

async fn remaining(pack_id: &str) -> u32 {
    store()
        .await
        .pack(pack_id)
        .await
        .expect("store reachable")
        .expect("pack exists")
        .incidents_remaining
}

async fn incident_as(user: &User, incident_id: &str) -> Value {
    get(&format!("/incidents/{incident_id}"))
        .token(user)
        .send()
        .await
        .expect(200)
        .body
}

/// The pack's stored remaining units and credits, and that its ledger reconciles.
async fn assert_units(pack_id: &str, remaining_units: u32, credit_entries: usize) {
    assert_eq!(remaining(pack_id).await, remaining_units, "remaining units");
    assert_eq!(credits(pack_id).await, credit_entries, "ledger credits");
    assert_reconciles(&[pack_id.to_string()]).await;
}

fn events_of<'a>(incident: &'a Value, kind: &str) -> Vec<&'a Value> {
    incident["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

/// Every incident id in the engineers' queue, all pages.
async fn queue_ids(engineer: &User) -> Vec<String> {
    let mut ids = Vec::new();
    let mut path = "/queue?limit=100".to_string();
    loop {
        let page = get(&path).token(engineer).send().await.expect(200).body;
        ids.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter_map(|i| i["incident_id"].as_str().map(str::to_string)),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/queue?limit=100&cursor={cursor}"),
            None => return ids,
        }
    }
}

#[tokio::test]
async fn a_resolution_with_solutions_resolves_consumes_and_counts_as_the_first_response() {
    let (customer, engineer) = (User::customer(), User::engineer());
    let (pack_id, id) = open_incident(&customer, "single").await;
    assert!(queue_ids(&engineer).await.contains(&id));

    let incident = send(&resolution(&id), &engineer, &resolved())
        .await
        .expect(200)
        .body;
    assert_eq!(incident["status"], "resolved");
    assert_eq!(incident["charge"], "consumed");
    assert_eq!(incident["sla"], "met");
    assert!(incident["first_responded_at"].is_string());
    assert!(incident["closed_at"].is_string());
    let done = events_of(&incident, "resolved");
    assert_eq!(done.len(), 1);
    assert_eq!(done[0]["solutions"], resolved()["solutions"]);
    assert_eq!(done[0]["actor_account_id"], engineer.account_id.as_str());

    assert!(!queue_ids(&engineer).await.contains(&id));
    assert_units(&pack_id, 0, 0).await;
}

#[tokio::test]
async fn the_owner_sees_the_resolution_in_the_incident_timeline() {
    let (customer, engineer) = (User::customer(), User::engineer());
    let (pack_id, id) = open_incident(&customer, "single").await;
    send(&resolution(&id), &engineer, &resolved())
        .await
        .expect(200);
    let incident = incident_as(&customer, &id).await;
    assert_eq!(incident["status"], "resolved");
    assert_eq!(events_of(&incident, "resolved").len(), 1);
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn an_unresolved_closure_with_a_refund_returns_one_unit_to_the_pack() {
    let (customer, engineer) = (User::customer(), User::engineer());
    let (pack_id, id) = open_incident(&customer, "five_pack").await;
    assert_eq!(remaining(&pack_id).await, 4);

    let incident = send(&resolution(&id), &engineer, &unresolved("refunded"))
        .await
        .expect(200)
        .body;
    assert_eq!(incident["status"], "unresolved");
    assert_eq!(incident["charge"], "refunded");
    assert_eq!(incident["sla"], "met");
    assert_eq!(
        events_of(&incident, "closed_unresolved")[0]["explanation"],
        "The storage vendor has no fix yet."
    );
    let decided = events_of(&incident, "charge_decided");
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0]["charge"], "refunded");
    assert_eq!(decided[0]["pack_id"], pack_id.as_str());
    assert_eq!(decided[0]["unit_usable"], true);
    assert!(decided[0].get("note").is_none());

    assert_units(&pack_id, 5, 1).await;
}

#[tokio::test]
async fn an_unresolved_closure_charged_as_consumed_keeps_the_unit() {
    let (customer, engineer) = (User::customer(), User::engineer());
    let (pack_id, id) = open_incident(&customer, "single").await;
    let incident = send(&resolution(&id), &engineer, &unresolved("consumed"))
        .await
        .expect(200)
        .body;
    assert_eq!(incident["status"], "unresolved");
    assert_eq!(incident["charge"], "consumed");
    assert_units(&pack_id, 0, 0).await;
}

#[tokio::test]
async fn a_resolution_without_solutions_is_400_naming_solutions() {
    let (customer, engineer) = (User::customer(), User::engineer());
    let (pack_id, id) = open_incident(&customer, "single").await;
    for body in [
        json!({"outcome": "resolved"}),
        json!({"outcome": "resolved", "solutions": []}),
        json!({"outcome": "resolved", "solutions": "just one"}),
    ] {
        let a = send(&resolution(&id), &engineer, &body)
            .await
            .expect_problem(400, "invalid_request");
        assert_eq!(a.error_fields(), ["solutions"], "{body}");
    }
    let a = send(
        &resolution(&id),
        &engineer,
        &json!({"outcome": "resolved", "solutions": ["fine", " "]}),
    )
    .await
    .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["solutions[1]"]);
    // Nothing was written: the incident is still awaiting its first response.
    let incident = incident_as(&customer, &id).await;
    assert_eq!(incident["status"], "awaiting_response");
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn an_unresolved_closure_without_explanation_or_charge_is_400_naming_both() {
    let (customer, engineer) = (User::customer(), User::engineer());
    let (pack_id, id) = open_incident(&customer, "single").await;
    let a = send(
        &resolution(&id),
        &engineer,
        &json!({"outcome": "unresolved"}),
    )
    .await
    .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["explanation", "charge"]);
    let a = send(
        &resolution(&id),
        &engineer,
        &json!({"outcome": "unresolved", "explanation": "No fix.", "charge": "pending"}),
    )
    .await
    .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["charge"]);
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn a_resolution_with_an_unknown_outcome_or_a_stray_charge_is_400() {
    let (customer, engineer) = (User::customer(), User::engineer());
    let (pack_id, id) = open_incident(&customer, "single").await;
    let a = send(&resolution(&id), &engineer, &json!({"outcome": "fixed"}))
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["outcome"]);
    let mut body = resolved();
    body["charge"] = json!("refunded");
    let a = send(&resolution(&id), &engineer, &body)
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["charge"]);
    assert_units(&pack_id, 0, 0).await;
}

#[tokio::test]
async fn only_support_engineers_may_resolve_not_the_owner_nor_an_admin() {
    let customer = User::customer();
    let (pack_id, id) = open_incident(&customer, "single").await;
    send(&resolution(&id), &customer, &resolved())
        .await
        .expect_problem(403, "forbidden");
    send(&resolution(&id), &User::admin(), &resolved())
        .await
        .expect_problem(403, "forbidden");
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn resolving_an_unknown_incident_is_404() {
    send(
        &resolution("inc_doesnotexist"),
        &User::engineer(),
        &resolved(),
    )
    .await
    .expect_problem(404, "not_found");
}

#[tokio::test]
async fn a_closed_incident_accepts_no_second_resolution_or_closure_request() {
    let (customer, engineer) = (User::customer(), User::engineer());
    let (pack_id, id) = open_incident(&customer, "single").await;
    send(&resolution(&id), &engineer, &resolved())
        .await
        .expect(200);
    send(&resolution(&id), &engineer, &unresolved("refunded"))
        .await
        .expect_problem(409, "invalid_state");
    send(
        &closure_request(&id),
        &customer,
        &json!({"reason": "Too late."}),
    )
    .await
    .expect_problem(409, "invalid_state");
    assert_units(&pack_id, 0, 0).await;
}

#[tokio::test]
async fn the_owner_closing_before_any_response_leaves_the_sla_withdrawn_and_the_charge_pending() {
    let (customer, engineer) = (User::customer(), User::engineer());
    let (pack_id, id) = open_incident(&customer, "single").await;
    let incident = send(
        &closure_request(&id),
        &customer,
        &json!({"reason": "We fixed it ourselves."}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(incident["status"], "closed_by_customer");
    assert_eq!(incident["charge"], "pending");
    assert_eq!(incident["sla"], "withdrawn");
    assert!(incident["first_responded_at"].is_null());
    assert!(incident["closed_at"].is_string());
    let asked = events_of(&incident, "closure_requested");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0]["reason"], "We fixed it ourselves.");
    assert!(!queue_ids(&engineer).await.contains(&id));
    assert_units(&pack_id, 0, 0).await;
}

#[tokio::test]
async fn the_owner_closing_after_a_response_keeps_the_sla_met() {
    let (customer, engineer) = (User::customer(), User::engineer());
    let (pack_id, id) = open_incident(&customer, "single").await;
    post(&format!("/incidents/{id}/responses"))
        .token(&engineer)
        .json(&json!({"message": "Looking into it.", "channel": "email"}))
        .send()
        .await
        .expect(201);
    let incident = send(
        &closure_request(&id),
        &customer,
        &json!({"reason": "No longer needed."}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(incident["status"], "closed_by_customer");
    assert_eq!(incident["sla"], "met");
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn only_the_owner_may_ask_to_close() {
    let customer = User::customer();
    let (pack_id, id) = open_incident(&customer, "single").await;
    let body = json!({"reason": "Not mine."});
    send(&closure_request(&id), &User::customer(), &body)
        .await
        .expect_problem(404, "not_found");
    send(&closure_request(&id), &User::engineer(), &body)
        .await
        .expect_problem(403, "forbidden");
    let incident = incident_as(&customer, &id).await;
    assert_eq!(incident["status"], "awaiting_response");
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn a_closure_request_without_a_reason_is_400_naming_reason() {
    let customer = User::customer();
    let (pack_id, id) = open_incident(&customer, "single").await;
    let a = send(&closure_request(&id), &customer, &json!({}))
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["reason"]);
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn an_admin_refund_returns_one_unit_and_repeating_it_is_a_no_op() {
    let (customer, admin) = (User::customer(), User::admin());
    let (pack_id, id) = open_incident(&customer, "single").await;
    let first = close_and_decide(&customer, &admin, &id, "refunded")
        .await
        .expect(200)
        .body;
    assert_eq!(first["status"], "closed_by_customer");
    assert_eq!(first["charge"], "refunded");
    assert_eq!(events_of(&first, "charge_decided").len(), 1);
    assert_eq!(remaining(&pack_id).await, 1);

    let again = send(
        &charge_decision(&id),
        &admin,
        &json!({"charge": "refunded"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(again["charge"], "refunded");
    assert_eq!(events_of(&again, "charge_decided").len(), 1);
    assert_eq!(again["timeline"], first["timeline"]);
    assert_units(&pack_id, 1, 1).await;
}

#[tokio::test]
async fn an_engineer_may_decide_the_charge_and_a_different_decision_afterwards_is_409() {
    let (customer, engineer) = (User::customer(), User::engineer());
    let (pack_id, id) = open_incident(&customer, "single").await;
    let decided = close_and_decide(&customer, &engineer, &id, "consumed")
        .await
        .expect(200)
        .body;
    assert_eq!(decided["charge"], "consumed");
    send(
        &charge_decision(&id),
        &User::admin(),
        &json!({"charge": "refunded"}),
    )
    .await
    .expect_problem(409, "invalid_state");
    assert_units(&pack_id, 0, 0).await;
}

#[tokio::test]
async fn a_charge_decision_on_an_open_incident_is_409() {
    let customer = User::customer();
    let (pack_id, id) = open_incident(&customer, "single").await;
    send(
        &charge_decision(&id),
        &User::admin(),
        &json!({"charge": "refunded"}),
    )
    .await
    .expect_problem(409, "invalid_state");
    assert_units(&pack_id, 0, 0).await;
}

#[tokio::test]
async fn a_customer_cannot_decide_the_charge_of_their_own_incident() {
    let customer = User::customer();
    let (pack_id, id) = open_incident(&customer, "single").await;
    let a = close_and_decide(&customer, &customer, &id, "refunded").await;
    a.expect_problem(403, "forbidden");
    assert_units(&pack_id, 0, 0).await;
}

#[tokio::test]
async fn a_charge_decision_without_a_decided_charge_is_400_naming_charge() {
    let customer = User::customer();
    let (pack_id, id) = open_incident(&customer, "single").await;
    for body in [
        json!({}),
        json!({"charge": "pending"}),
        json!({"charge": 1}),
    ] {
        let a = send(&charge_decision(&id), &User::admin(), &body)
            .await
            .expect_problem(400, "invalid_request");
        assert_eq!(a.error_fields(), ["charge"], "{body}");
    }
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn twenty_concurrent_identical_refund_decisions_refund_exactly_one_unit() {
    let (customer, admin) = (User::customer(), User::admin());
    let (pack_id, id) = open_incident(&customer, "single").await;
    send(
        &closure_request(&id),
        &customer,
        &json!({"reason": "Closing."}),
    )
    .await
    .expect(200);
    let before = remaining(&pack_id).await;

    let (path, body) = (charge_decision(&id), json!({"charge": "refunded"}));
    let decisions = (0..20).map(|_| send(&path, &admin, &body));
    for answer in futures::future::join_all(decisions).await {
        assert_eq!(answer.expect(200).body["charge"], "refunded");
    }

    assert_units(&pack_id, before + 1, 1).await;
    let incident = incident_as(&customer, &id).await;
    assert_eq!(events_of(&incident, "charge_decided").len(), 1);
}

#[tokio::test]
async fn a_refund_to_a_pack_that_has_since_expired_is_recorded_and_says_the_unit_cannot_be_used() {
    let (customer, admin) = (User::customer(), User::admin());
    let (pack_id, id) = open_incident(&customer, "five_pack").await;
    let past = chrono::Utc::now() - chrono::Duration::days(1);
    store()
        .await
        .set_pack_expiry(&pack_id, past)
        .await
        .expect("expiry moved");

    let incident = close_and_decide(&customer, &admin, &id, "refunded")
        .await
        .expect(200)
        .body;
    assert_eq!(incident["charge"], "refunded");
    let decided = events_of(&incident, "charge_decided");
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0]["pack_id"], pack_id.as_str());
    assert_eq!(decided[0]["unit_usable"], false);
    let note = decided[0]["note"]
        .as_str()
        .expect("a note for the customer");
    assert!(note.contains("cannot be used"), "{note}");

    assert_units(&pack_id, 5, 1).await;
    let pack = get(&format!("/packs/{pack_id}"))
        .token(&customer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(pack["status"], "expired");
    assert_eq!(pack["incidents_remaining"], 5);
    // And indeed it cannot be drawn from.
    let mut body = submission();
    body["pack_id"] = json!(pack_id);
    submit(&customer, &body)
        .await
        .expect_problem(422, "no_usable_pack");
    assert_reconciles(&[pack_id]).await;
}
